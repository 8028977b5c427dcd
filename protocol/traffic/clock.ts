// Time as a dependency. Protocol code never reads the time itself; nodes and
// clients take a Clock, so the simulator can run their mixing and cover-traffic
// logic in virtual time (design notes §2).

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (or since the start of a simulation). */
  now(): number;
  /** Calls `fn` once at or after time `atMs`. */
  at(atMs: number, fn: () => void): TimerHandle;
}
