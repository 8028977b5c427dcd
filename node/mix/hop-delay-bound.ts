// The per-hop delay bound a relay enforces (docs/sphinx.md §Delay bound):
// maxHopDelayMs(1000/μ), the same number honest senders truncate their
// Exp(μ) draws at, for the μ of the documents the relay holds. Near an epoch
// boundary packets built from the previous document are still in flight, so
// the largest bound (the smallest μ) of the documents held is used.

import { maxHopDelayMs } from '../../protocol/traffic/exponential.js';
import type { TopologyView } from '../net/topology-router.js';

/**
 * The longest delay command honoured, ms. With no document held a relay
 * knows no μ and can route nothing (every next hop is unknown), so it holds
 * nothing either: 0.
 */
export function hopDelayBoundMs(view: TopologyView): number {
  let bound = 0;
  for (const t of view.all()) bound = Math.max(bound, maxHopDelayMs(1000 / t.document.params.mu));
  return bound;
}
