// One node's clock 30 s ahead, or 30 s behind (two scenarios).
import { chaosShape, defineScenario, type Scenario } from '../scenario.js';

// Epochs of 180 s (key grace 45 s, a quarter of the epoch as in every testnet), so 30 s is a sixth of an
// epoch. A node whose clock is off by s is listed and keeps unwrapping only while s stays under the key
// grace, under 30 % of the epoch (an ahead node needs the next document, published at 70 %, before its own
// epoch turns) and under 45 % (a behind node's upload at 5 % of its epoch must reach the authorities before
// their share step at 50 %): docs/pki.md §Clock skew. With the testnet's shorter epochs 30 s breaks those
// bounds (at 60 s epochs a gateway 30 s behind uploads at 55 % of the real epoch, refused too-late, and is
// never listed; no upload schedule can serve ±30 s when the authorities take uploads for only 30 s of an
// epoch), so these scenarios use the shortest epoch at which ±30 s must work, and fail if the skewed node
// is left out of any document. Production (20 min epochs, key grace 2 min) tolerates about ±2 min.
const EPOCH_MS = 180_000;

function skew(name: string, node: string, offsetMs: number, role: string): Scenario {
  const way = offsetMs > 0 ? 'ahead' : 'behind';
  return defineScenario({
    name,
    description: `${node} (a ${role}) runs with its clock ${Math.abs(offsetMs) / 1000} s ${way} of everyone else's for the whole run (epochs of ${EPOCH_MS / 1000} s, key grace ${EPOCH_MS / 4000} s). It computes its epoch boundaries 30 s off: it rotates its Sphinx keys, uploads descriptors (${way === 'ahead' ? 'too early, refused as wrong-epoch and retried' : "late in the authorities' collect step"}), fetches documents and retires keys at the wrong moments. It must still be listed in every document of the run, and every message must arrive exactly once, none later than 30 s after it was sent. The traffic lasts an epoch and 20 s, so it crosses an epoch boundary whatever the phase.`,
    network: 'loopback',
    shape: chaosShape(EPOCH_MS),
    clockSkewMs: { [node]: offsetMs },
    traffic: { intervalMs: 1000, durationMs: EPOCH_MS + 20_000, replyEvery: 3 },
    retransmitSlackMs: 1000,
    faults: [],
    recovery: { what: `chat delivery with ${node}'s clock ${way} (every message once), ${node} listed throughout`, measure: 'latency', withinMs: 30_000, listedThroughout: [node] },
    drainMs: 30_000,
  });
}

export const clockSkewAhead = skew('clock-skew-ahead', 'mix-1', 30_000, 'mix');
export const clockSkewBehind = skew('clock-skew-behind', 'gateway-b', -30_000, 'gateway');
