// Why a mix did not forward a packet (counted by reason: docs/operators.md §Metrics).

export type MixDropReason =
  | 'wrong-size'
  | 'bad-version'
  | 'low-order-point'
  | 'mac-failure'
  | 'bad-command'
  | 'payload-tag'
  | 'delay-too-long'
  | 'replay'
  | 'replay-store-error'
  | 'input-queue-full'
  | 'delay-queue-full'
  | 'forward-queue-full'
  | 'unknown-next-hop'
  | 'final-hop-refused'
  /** The unwrap worker holding the packet stopped (crashed); it was replaced and the reason logged. */
  | 'worker-lost'
  | 'shutdown';
