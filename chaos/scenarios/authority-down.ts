// One directory authority down, then a second one: first the threshold
// (2 of 3) still holds, then it does not, and no new document can be signed.
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 10_000;

export default defineScenario({
  name: 'authority-down',
  description:
    'authority-1 is SIGKILLed 2 s into the chat; two epochs later authority-2 follows, leaving one of three, below the signing threshold, for 1.5 epochs; then both are restarted. With one down the other two keep signing a document every epoch and nothing changes for the chat. With two down no document is signed: once the last document has run out, clients and relays have none for the current epoch and messages wait in the senders\u2019 queues. After the restart the authorities publish again within two epochs (docs/testnet.md: a round whose share step has passed is skipped). Every message must arrive exactly once, the backlog within two epochs and 5 s of the restart.',
  network: 'loopback',
  shape: chaosShape(EPOCH_MS),
  traffic: { intervalMs: 500, durationMs: 37_000 + 2 * EPOCH_MS + 5000, replyEvery: 3 },
  retransmitSlackMs: 1000,
  faults: [
    { kind: 'kill', targets: ['authority-1'], atMs: 2000, restartAtMs: 37_000 },
    { kind: 'kill', targets: ['authority-2'], atMs: 2000 + 2 * EPOCH_MS, restartAtMs: 37_000 },
  ],
  recovery: { what: 'threshold-signed documents again, and chat delivery (every message once)', measure: 'heal', withinMs: 2 * EPOCH_MS + 5000 },
  drainMs: 40_000,
});
