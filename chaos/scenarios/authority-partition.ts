// One authority cut off from the network (namespaces): no packet in or out.
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 15_000;

export default defineScenario({
  name: 'authority-partition',
  description:
    'authority-1\u2019s namespace drops every packet in and out (nftables) from 2 s into the chat for two epochs; its process keeps running, alone. The other two still make the threshold and sign a document every epoch, so the chat must not notice. When the partition heals, authority-1 must take part again: within two epochs and 5 s the document in force must carry all three signatures. Every message must arrive exactly once.',
  network: 'netns',
  shape: chaosShape(EPOCH_MS),
  traffic: { intervalMs: 500, durationMs: 2000 + 2 * EPOCH_MS + 6000, replyEvery: 3 },
  retransmitSlackMs: 1000,
  faults: [{ kind: 'partition', targets: ['authority-1'], atMs: 2000, healAtMs: 2000 + 2 * EPOCH_MS }],
  recovery: { what: 'authority-1 signing documents again; chat delivery unaffected (every message once)', measure: 'heal', withinMs: EPOCH_MS, signedByAll: true },
  drainMs: 30_000,
});
