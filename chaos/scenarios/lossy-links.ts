// 5 % loss and 200 ms round trips on every link (namespaces).
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 15_000;

export default defineScenario({
  name: 'lossy-links',
  description:
    'Every node and both client daemons in namespaces of their own; on every link 5 % of the packets are dropped in each direction and each direction is delayed 100 ms \u00b1 20 ms (a 200 ms round trip), for the whole run: three epochs of chat. The links are TCP (libp2p), so a dropped IP packet is retransmitted by TCP and costs time, not a Sphinx packet; the mixes\u2019 and clients\u2019 timers must tolerate the added latency (a longer round trip, late acknowledgements). Every message must arrive exactly once, none later than 30 s after it was sent.',
  network: 'netns',
  shape: chaosShape(EPOCH_MS),
  links: { lossPercent: 5, delayMs: 100, jitterMs: 20 },
  traffic: { intervalMs: 1000, durationMs: 3 * EPOCH_MS, replyEvery: 3 },
  faults: [],
  recovery: { what: 'chat delivery on slow, lossy links (every message once)', measure: 'latency', withinMs: 30_000 },
  drainMs: 45_000,
});
