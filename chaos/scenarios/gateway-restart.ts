// A gateway SIGKILLed and restarted while its client sends as fast as it can.
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 10_000;

export default defineScenario({
  name: 'gateway-restart',
  description:
    'alice writes to bob every 150 ms (about 7 messages a second with the replies, against a payload stream of 20 packets a second), and 8 s into it alice\u2019s gateway is SIGKILLed and restarted 4 s later from its data folder. While it is down alice\u2019s daemon cannot send and queues; bob\u2019s packets to alice wait in her mailbox at that gateway (on disk). After the restart alice\u2019s daemon reconnects and the queue drains. Every message must arrive exactly once, the backlog within one epoch of the restart.',
  network: 'loopback',
  shape: chaosShape(EPOCH_MS),
  traffic: { intervalMs: 150, durationMs: 24_000, replyEvery: 3 },
  retransmitSlackMs: 1000,
  faults: [{ kind: 'kill', targets: ['gateway-of-alice'], atMs: 8000, restartAtMs: 12_000 }],
  recovery: { what: 'chat delivery through the restarted gateway (every message once)', measure: 'heal', withinMs: EPOCH_MS, backInDocument: ['gateway-of-alice'] },
  drainMs: 30_000,
});
