// One node's clock 30 s ahead, or 30 s behind (two scenarios).
import { defineScenario, type Scenario } from '../scenario.js';

// Epochs of 60 s, so ±30 s is half an epoch (a real network's epochs are 20 min or more: there ±30 s is
// 2.5 %). With epochs of 30 s a gateway 30 s behind is a whole epoch late: every descriptor it uploads is
// for an epoch already under way, refused as wrong-epoch, and it is never listed (seen in a run).
const EPOCH_MS = 60_000;

function skew(name: string, node: string, offsetMs: number, role: string): Scenario {
  const way = offsetMs > 0 ? 'ahead' : 'behind';
  return defineScenario({
    name,
    description: `${node} (a ${role}) runs with its clock ${Math.abs(offsetMs) / 1000} s ${way} of everyone else's for the whole run (epochs of ${EPOCH_MS / 1000} s, key grace ${EPOCH_MS / 4000} s). It computes the wrong epoch for part of every epoch: it rotates its Sphinx keys, uploads descriptors and retires keys at the wrong moments, so for part of every epoch it refuses packets built with the keys the others use. The network must work around it: every message must arrive exactly once, none later than two epochs after it was sent. Nothing is healed: the bound is on every message's latency.`,
    network: 'loopback',
    shape: { epochDurationMs: EPOCH_MS, lambdaP: 20, lambdaL: 2, lambdaD: 2, mu: 50 },
    clockSkewMs: { [node]: offsetMs },
    traffic: { intervalMs: 1000, durationMs: 1.5 * EPOCH_MS, replyEvery: 3 },
    retransmitSlackMs: 1000,
    faults: [],
    recovery: { what: `chat delivery with ${node}'s clock ${way} (every message once)`, measure: 'latency', withinMs: 2 * EPOCH_MS },
    drainMs: 30_000,
  });
}

export const clockSkewAhead = skew('clock-skew-ahead', 'mix-1', 30_000, 'mix');
export const clockSkewBehind = skew('clock-skew-behind', 'gateway-b', -30_000, 'gateway');
