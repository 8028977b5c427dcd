// What anonymity costs: end-to-end latency of real messages, and the
// bandwidth every user spends (real plus cover packets). Loopix's
// trade-off (Piotrowska et al. 2017, §5) is between exactly these and the
// anonymity metrics in anonymity.ts. Percentiles use the project's one
// definition (protocol/stats/quantile.ts: linear interpolation, Hyndman &
// Fan type 7).

import { sortedQuantile } from '../../protocol/stats/quantile.js';

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** Mean, median, 99th percentile and maximum of latencies (NaN for none). */
export function latencySummary(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs);
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isFinite(sorted[i]) || sorted[i] < 0) throw new RangeError(`latencySummary: latency ${i} must be a finite number ≥ 0, got ${sorted[i]}`);
  }
  sorted.sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    n,
    mean: n ? sum / n : Number.NaN,
    p50: sortedQuantile(sorted, 0.5),
    p99: sortedQuantile(sorted, 0.99),
    max: n ? sorted[n - 1] : Number.NaN,
  };
}

export interface TrafficCounts {
  /** Users the traffic is shared by. */
  users: number;
  /** Length of the measured period (ms of simulated time). */
  durationMs: number;
  /** Packets sent by users: real, cover (loops, drops) together. */
  packets: number;
  /** Of those, packets carrying real messages (including retransmissions and acknowledgements, if counted as real). */
  realPackets: number;
  /** Bytes on the wire for those packets. */
  bytes: number;
}

export interface TrafficCost {
  packetsPerUserPerSecond: number;
  bytesPerUserPerSecond: number;
  /** realPackets / packets; NaN when nothing was sent. */
  realShare: number;
}

export function trafficCost(c: TrafficCounts): TrafficCost {
  if (!Number.isInteger(c.users) || c.users < 1) throw new RangeError(`trafficCost: users must be a whole number ≥ 1, got ${c.users}`);
  if (!Number.isFinite(c.durationMs) || c.durationMs <= 0) throw new RangeError(`trafficCost: durationMs must be > 0, got ${c.durationMs}`);
  for (const key of ['packets', 'realPackets', 'bytes'] as const) {
    if (!Number.isFinite(c[key]) || c[key] < 0) throw new RangeError(`trafficCost: ${key} must be a finite number ≥ 0, got ${c[key]}`);
  }
  if (c.realPackets > c.packets) throw new RangeError(`trafficCost: realPackets (${c.realPackets}) exceeds packets (${c.packets})`);
  const userSeconds = (c.users * c.durationMs) / 1000;
  return {
    packetsPerUserPerSecond: c.packets / userSeconds,
    bytesPerUserPerSecond: c.bytes / userSeconds,
    realShare: c.packets > 0 ? c.realPackets / c.packets : Number.NaN,
  };
}
