// The direct model: the baseline of today's end-to-end encrypted
// messengers (docs/simulator.md §The direct model). Users on the same
// social graph with the same behaviour as the loopix model send each
// message straight to a central server, which delivers it at once: no
// mixing, no cover traffic. Content is encrypted, but the server (or
// anyone who can compel it) sees every message's sender, recipient and
// time, so every attack gets each message as a round of its own with a
// known sender. This is the leakage Chaff is measured against.
//
// Network latency is not modelled here or in the loopix model, so the
// direct model's latency is 0 and the loopix model's is what mixing and
// the streams add. A message costs one packet of Chaff's size (3130 bytes
// at three layers), so the two models' bandwidth compares packets, not
// encodings.

import type { Message } from '../behaviour/users.js';
import { VirtualClock } from '../engine/virtual-clock.js';
import { trafficCost } from '../metrics/cost.js';
import { truthMatrix } from '../metrics/recovery.js';
import { AttackSuite } from './attack-suite.js';
import { DEFAULT_NETWORK, type DirectConfig } from './continuous-config.js';
import { checkpointWindows, MessageLog, type ContinuousRun, type CurvePoint } from './continuous-run.js';
import { packetLength } from './loopix.js';
import { presenceHooks } from '../presence/hooks.js';
import { buildWorkload } from '../workload/workload.js';

export function runDirect(config: DirectConfig, seed: number): ContinuousRun {
  const clock = new VirtualClock(0);
  const durationMs = config.durationS * 1000;
  // A message from an offline sender waits on their device until they come online (docs/simulator.md §Presence).
  const users = buildWorkload(config, seed, {
    clock,
    untilMs: durationMs,
    send: (m) => {
      const at = presence.schedule.nextOnline(m.from, clock.now());
      if (at === clock.now()) relay(m);
      else if (at < durationMs) clock.at(at, () => relay(m));
    },
  });
  const graph = users.graph;
  const U = graph.n;
  const presence = presenceHooks(config, seed, U, durationMs, 0);
  const windows = Math.floor(config.durationS / config.epochS + 1e-9);
  const checkpoints = new Set(checkpointWindows(windows, config.curvePoints));
  const suite = new AttackSuite(U, config.attacks);
  const truth = truthMatrix(U, U, graph.edges, { symmetric: !graph.directed });
  const log = new MessageLog(U);
  const curve: CurvePoint[] = [];
  const activity = new Float64Array(U);
  const output = [0];
  const sender = [0];
  const weight = [1];
  let observing = true;

  const relay = (m: Message): void => {
    if (observing) {
      activity[m.from] = 1;
      output[0] = m.to;
      suite.observeRound(activity, output);
      activity[m.from] = 0;
      sender[0] = m.from;
      suite.observeDelivery(m.to, sender, weight);
      presence.observer?.delivery(m.to, clock.now());
    }
    // Delivered at once and read when the recipient is online (at once if always); the server knows the sender: entropy 0.
    const now = clock.now();
    const read = presence.schedule.nextOnline(m.to, now);
    if (read === Infinity) return;
    log.record(now - m.createdMs, read - m.createdMs, { entropyBits: 0, epsilon: Infinity });
    users.read(m, read);
  };

  for (let w = 1; w <= windows; w++) {
    clock.at(w * config.epochS * 1000, () => {
      presence.observer?.endWindow((w - 1) * config.epochS * 1000, w * config.epochS * 1000);
      if (checkpoints.has(w)) curve.push({ timeS: w * config.epochS, recovery: { ...suite.recovery(truth), ...presence.checkpoint(w * config.epochS, truth, suite) } });
      if (w === windows) observing = false;
    });
  }
  users.start();
  clock.run(durationMs);

  const bytes = users.written * packetLength(DEFAULT_NETWORK.layers);
  const cost = trafficCost({ users: U, durationMs, packets: users.written, realPackets: users.written, bytes });
  return {
    seed,
    metrics: {
      recovery: curve[curve.length - 1].recovery,
      anonymity: log.anonymity(),
      latencyMs: log.latency(),
      traffic: {
        messagesPerUserPerSecond: users.written / U / config.durationS,
        packetsPerUserPerSecond: cost.packetsPerUserPerSecond,
        bytesPerUserPerSecond: cost.bytesPerUserPerSecond,
        pullBytesPerUserPerSecond: 0,
        realShare: cost.realShare,
        nodePacketsPerSecond: users.written / config.durationS,
      },
      ...presence.metrics(),
    },
    counts: { users: U, edges: graph.edgeCount, messages: users.written, replies: users.replies, delivered: log.delivered, undelivered: users.written - log.delivered },
    curve,
  };
}
