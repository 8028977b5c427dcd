// A duration for people to read: the one definition the CLI and the
// simulator's progress lines share (they had drifted into two).
//
//   'words'      850 ms, 1.2 s, 1m 5s, 1h 2m, 1d 1h: a figure in a sentence
//                (chaff client status, delivery times);
//   'stopwatch'  0:07, 12:34, 1:02:03: a reading that ticks in place
//                (the sweep's progress line), to the second, "--:--" when unknown.

export type DurationStyle = 'words' | 'stopwatch';

/** `ms` as text in `style` (default 'words'). Pure. */
export function formatDuration(ms: number, style: DurationStyle = 'words'): string {
  return style === 'stopwatch' ? stopwatch(ms) : words(ms);
}

function words(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function stopwatch(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
