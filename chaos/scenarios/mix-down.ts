// A mix killed (SIGKILL) and kept down for two epochs, then started again
// from its data folder. The short scenario `npm test` runs
// (test/integration/chaos-mix-down.test.ts).
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 10_000;

export default defineScenario({
  name: 'mix-down',
  description:
    'mix-1 is SIGKILLed 2 s into the chat and kept down for two epochs, then restarted from its data folder. While it is down, packets routed through it are lost and the clients retransmit them on fresh routes; the documents drop it once its descriptor stops coming. Every message must arrive exactly once, the backlog must clear within one epoch of the restart, and mix-1 must be listed again within two epochs of it.',
  network: 'loopback',
  // The chat shape of the integration tests (λP 20/s, 20 ms per hop), short epochs.
  shape: chaosShape(EPOCH_MS),
  traffic: { intervalMs: 500, durationMs: 2000 + 2 * EPOCH_MS + 4000, replyEvery: 3 },
  retransmitSlackMs: 1000,
  faults: [{ kind: 'kill', targets: ['mix-1'], atMs: 2000, restartAtMs: 2000 + 2 * EPOCH_MS }],
  recovery: { what: 'chat delivery (every message once) and mix-1 back in the document', measure: 'heal', withinMs: EPOCH_MS, backInDocument: ['mix-1'] },
  drainMs: 20_000,
});
