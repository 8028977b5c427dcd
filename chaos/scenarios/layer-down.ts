// Every mix of one layer down at once for a moment: no route exists.
import { chaosShape, defineScenario } from '../scenario.js';

const EPOCH_MS = 10_000;

export default defineScenario({
  name: 'layer-down',
  description:
    'Both mixes of layer 2 (as the document in force lists them) are SIGKILLed 4 s into the chat and restarted 8 s later. Meanwhile no route through the network exists: every packet sent is lost at layer 1\u2019s door and retransmitted. The restarted mixes come back with their stored keys and replay caches, so packets built for them before the crash still work. Every message must arrive exactly once, the backlog within 1.5 epochs of the restart: a packet lost during the outage is sent again only when its retransmission timeout runs out, and after a few attempts that timeout is at its cap of four round trips (about 8 s with these rates).',
  network: 'loopback',
  shape: chaosShape(EPOCH_MS),
  traffic: { intervalMs: 500, durationMs: 24_000, replyEvery: 3 },
  retransmitSlackMs: 1000,
  faults: [{ kind: 'kill', targets: ['layer-2'], atMs: 4000, restartAtMs: 12_000 }],
  // 1.5 epochs: a packet lost while the layer was down is next sent when its ARQ timeout runs out, and
  // that timeout has grown by half per attempt up to 4× the round trip (about 8 s here: docs/client.md).
  recovery: { what: 'chat delivery after the layer returns (every message once)', measure: 'heal', withinMs: 1.5 * EPOCH_MS },
  drainMs: 30_000,
});
