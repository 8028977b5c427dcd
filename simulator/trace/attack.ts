// The simulator's attacks on traffic from a real network (docs/simulator.md
// §Trace mode): the events of read.ts become the observations the loopix
// model gives its simulated observer (simulator/models/loopix.ts), and the
// same AttackSuite, metrics and curves come out.
//
// The observer, as in the loopix model:
// - a global passive observer of every client link: every `send` event of
//   every gateway's trace is a packet seen leaving that user's client
//   (real packets, loops and drops look alike on the link);
// - corrupt gateways (by default every gateway that wrote a trace) see the
//   deposits into their users' mailboxes with their times. Deposits of kind
//   `message` are the outputs (a gateway cannot tell a real message from
//   its own user's loop, both are `message`); `surb-reply` deposits are
//   the SURB-ACKs returning to a sender, used only by `activity: 'acks'`.
// Per observation window of `windowS` seconds, from the first observer
// event (the last window may be partial):
//   activity   per user, the packets they sent ('sends', the default), or,
//              with 'acks' and a corrupt entry gateway, the SURB-ACKs stored
//              for them (the loopix model's choice for users behind a
//              corrupt gateway: real packets, decoys and loops are ACKed);
//   outputs    the recipients of the `message` deposits at corrupt gateways.
// sda and lsda run on those windows (AttackSuite.observeRound). gsda needs
// each deposit's sender distribution; the loopix model traces it through
// the mixes, but a gateway trace has no mix links, so here it is the
// delay-blind one: every packet sent in the `windowS` seconds before the
// deposit is equally likely to be it (a user's weight = their share of
// those packets; weights ≤ GSDA_MIN_WEIGHT dropped as in the loopix model).
//
// The activity scores (metrics/activity.ts, as the loopix model's): per
// user who wrote anything and window, whether the SURB-ACKs stored for a
// user behind a corrupt gateway (ackAuc), or the packets seen leaving a
// user's client (sendAuc), tell the windows in which the truth says the
// user wrote a message.
//
// Truth: the distinct (from, to) pairs of `message` events, directed (a
// reply is its own pair). Users: every id seen in any event, sorted, so a
// user without truth lines (the testnet's probe clients) counts as writing
// to nobody: a link the attack finds from such a user scores as a false
// pair. Nothing here reads files or clocks: it is a function of the events.

import { basename } from 'node:path';
import { ActivityScore } from '../metrics/activity.js';
import { truthMatrix } from '../metrics/recovery.js';
import { ATTACKS, AttackSuite, type AttackName, type Recovery } from '../models/attack-suite.js';
import { checkpointWindows, type ActivityStats, type CurvePoint } from '../models/continuous-run.js';
import { GSDA_MIN_WEIGHT } from '../models/loopix.js';
import type { TraceFile, TraceSet } from './read.js';

export class TraceAttackError extends Error {
  constructor(message: string) {
    super(`trace attack: ${message}`);
    this.name = 'TraceAttackError';
  }
}

export const ACTIVITY_SOURCES = ['sends', 'acks'] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

/** The attacks keep users × users matrices and LSDA solves a users² system. */
export const MAX_TRACE_USERS = 2000;
export const DEFAULT_WINDOW_S = 10;
export const DEFAULT_CURVE_POINTS = 6;

export interface TraceAttackOptions {
  /** Observation window (the attacks' round) and gsda's look-back, s. Default 10. */
  windowS?: number;
  /** Points on the recovery curves (evenly spaced windows, the last at the end); default 6, at most the windows. */
  curvePoints?: number;
  /** Default all three. */
  attacks?: readonly AttackName[];
  /** Indices into set.files of the corrupt gateways' traces; default every observer file. */
  corruptFiles?: readonly number[];
  activity?: ActivitySource;
}

export interface TraceUserCounts {
  /** Mailbox id, hex. */
  id: string;
  /** The gateway whose trace shows most of this user's packets (its file name without .jsonl), or null. */
  gateway: string | null;
  /** Packets seen leaving the user's client. */
  sends: number;
  /** sends over the observed period, 1/s. */
  packetsPerSecond: number;
  fetches: number;
  /** Deposits into the user's mailbox at any gateway, by kind. */
  messageDeposits: number;
  surbReplyDeposits: number;
  /** Truth: messages the user wrote, and received. */
  messagesSent: number;
  messagesReceived: number;
}

export interface TraceCounts {
  users: number;
  /** Users seen sending packets. */
  sendingUsers: number;
  /** Users in some truth line (as sender or recipient). */
  truthUsers: number;
  gateways: number;
  corruptGateways: number;
  sends: number;
  /** Mean over the users seen sending of their packets per second. */
  packetsPerUserPerSecond: number;
  fetches: number;
  /** Deposits of kind message / surb-reply at every gateway. */
  messageDeposits: number;
  surbReplyDeposits: number;
  /** message deposits at corrupt gateways: the attacks' outputs. */
  observedDeposits: number;
  /** Truth: messages written, their fragments, distinct (from, to) pairs, messages written within the observed period. */
  messages: number;
  fragments: number;
  truthEdges: number;
  messagesInPeriod: number;
}

export interface TraceAttackResults {
  model: 'trace';
  inputs: { files: Array<TraceFile & { corrupt: boolean }> };
  parameters: { windowS: number; curvePoints: number; attacks: AttackName[]; activity: ActivitySource; corruptGateways: string[] };
  /** From the first to the last observer event (wall-clock ms as the gateways wrote them). */
  period: { startMs: number; endMs: number; durationS: number; windows: number };
  metrics: { recovery: Record<string, Recovery>; counts: TraceCounts; activity: ActivityStats };
  curves: { recovery: CurvePoint[] };
  users: TraceUserCounts[];
  truthEdges: Array<{ from: string; to: string; messages: number }>;
}

interface Checked {
  windowS: number;
  attacks: AttackName[];
  activity: ActivitySource;
  corrupt: Uint8Array;
}

function check(set: TraceSet, options: TraceAttackOptions): Checked {
  const windowS = options.windowS ?? DEFAULT_WINDOW_S;
  if (typeof windowS !== 'number' || !Number.isFinite(windowS) || windowS <= 0) throw new TraceAttackError(`window ${windowS}: expected a number of seconds above 0`);
  const attacks = [...(options.attacks ?? ATTACKS)];
  for (const a of attacks) if (!ATTACKS.includes(a)) throw new TraceAttackError(`unknown attack ${JSON.stringify(a)}; expected any of ${ATTACKS.join(', ')}`);
  if (attacks.length === 0) throw new TraceAttackError('no attacks to run');
  const activity = options.activity ?? 'sends';
  if (!ACTIVITY_SOURCES.includes(activity)) throw new TraceAttackError(`activity ${JSON.stringify(activity)}: expected ${ACTIVITY_SOURCES.join(' or ')}`);
  const corrupt = new Uint8Array(set.files.length);
  if (options.corruptFiles === undefined) set.files.forEach((f, i) => (corrupt[i] = f.role === 'observer' ? 1 : 0));
  else {
    for (const i of options.corruptFiles) {
      const f = set.files[i];
      if (!f) throw new TraceAttackError(`corrupt gateway file index ${i} is not among the ${set.files.length} files read`);
      if (f.role !== 'observer') throw new TraceAttackError(`${f.path} is not a gateway's trace (${f.role}), so it cannot be a corrupt gateway`);
      corrupt[i] = 1;
    }
  }
  return { windowS, attacks, activity, corrupt };
}

/** A gateway's name: its trace file's name without `.jsonl` (the testnet writes observer-<gateway>.jsonl). */
export function gatewayName(file: TraceFile): string {
  return basename(file.path).replace(/\.jsonl$/, '');
}

function filesRead(set: TraceSet): string {
  return set.files.length === 1 ? `file read (${set.files[0].path})` : `${set.files.length} files read`;
}

/** Runs the attack suite on a set of traces (see the file header). */
export function attackTrace(set: TraceSet, options: TraceAttackOptions = {}): TraceAttackResults {
  const { windowS, attacks, activity, corrupt } = check(set, options);
  const observerFiles = set.files.filter((f) => f.role === 'observer');
  if (observerFiles.length === 0) throw new TraceAttackError(`no observer events (send, fetch, deposit) in the ${filesRead(set)}; pass the gateways' observer-*.jsonl with --trace`);
  if (!set.files.some((f) => f.role === 'truth')) throw new TraceAttackError(`no truth: no message events in the ${filesRead(set)}; pass the clients' truth-*.jsonl with --truth`);

  // Users, sorted by id.
  const ids = new Set<string>();
  for (const { event: e } of set.events) {
    if (e.ev === 'message') {
      ids.add(e.from);
      ids.add(e.to);
    } else ids.add(e.user);
  }
  const userIds = [...ids].sort();
  const U = userIds.length;
  if (U > MAX_TRACE_USERS) throw new TraceAttackError(`${U} users; the attacks handle at most ${MAX_TRACE_USERS}`);
  const index = new Map(userIds.map((id, i) => [id, i]));
  const at = (id: string): number => index.get(id) as number;

  // The observed period and its windows.
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const { event: e } of set.events) {
    if (e.ev === 'message') continue;
    if (e.t < startMs) startMs = e.t;
    if (e.t > endMs) endMs = e.t;
  }
  const windowMs = windowS * 1000;
  const durationS = (endMs - startMs) / 1000;
  const windows = Math.max(1, Math.ceil((endMs - startMs) / windowMs));
  const windowOf = (t: number): number => Math.min(windows - 1, Math.floor((t - startMs) / windowMs));
  const curvePoints = Math.min(windows, options.curvePoints ?? DEFAULT_CURVE_POINTS);
  if (!Number.isInteger(curvePoints) || curvePoints < 1) throw new TraceAttackError(`curve points ${options.curvePoints}: expected a whole number ≥ 1`);
  const checkpoints = new Set(checkpointWindows(windows, curvePoints));

  // Per-user counts, each user's entry gateway (the file with most of their sends), and the truth.
  const users: TraceUserCounts[] = userIds.map((id) => ({
    id,
    gateway: null,
    sends: 0,
    packetsPerSecond: 0,
    fetches: 0,
    messageDeposits: 0,
    surbReplyDeposits: 0,
    messagesSent: 0,
    messagesReceived: 0,
  }));
  const sendsAt = userIds.map(() => new Map<number, number>());
  const edges = new Map<string, { from: string; to: string; messages: number }>();
  let messages = 0;
  let fragments = 0;
  let messagesInPeriod = 0;
  for (const { event: e, file } of set.events) {
    switch (e.ev) {
      case 'send': {
        const u = at(e.user);
        users[u].sends++;
        sendsAt[u].set(file, (sendsAt[u].get(file) ?? 0) + 1);
        break;
      }
      case 'fetch':
        users[at(e.user)].fetches++;
        break;
      case 'deposit':
        if (e.kind === 'message') users[at(e.user)].messageDeposits++;
        else users[at(e.user)].surbReplyDeposits++;
        break;
      case 'message': {
        messages++;
        fragments += e.fragments;
        if (e.t >= startMs && e.t <= endMs) messagesInPeriod++;
        users[at(e.from)].messagesSent++;
        users[at(e.to)].messagesReceived++;
        if (e.from === e.to) break; // a note to oneself links nobody
        const key = `${e.from}>${e.to}`;
        const edge = edges.get(key);
        if (edge) edge.messages++;
        else edges.set(key, { from: e.from, to: e.to, messages: 1 });
        break;
      }
    }
  }
  const entryFile = new Int32Array(U).fill(-1);
  for (let u = 0; u < U; u++) {
    let best = 0;
    for (const [file, n] of sendsAt[u]) {
      if (n > best || (n === best && file < entryFile[u])) {
        best = n;
        entryFile[u] = file;
      }
    }
    if (entryFile[u] >= 0) users[u].gateway = gatewayName(set.files[entryFile[u]]);
    users[u].packetsPerSecond = durationS > 0 ? users[u].sends / durationS : Number.NaN;
  }
  const truthEdges = [...edges.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  const truth = truthMatrix(
    U,
    U,
    truthEdges.map((e) => ({ source: at(e.from), target: at(e.to) })),
    { symmetric: false },
  );

  // The observer's windows.
  const suite = new AttackSuite(U, attacks);
  const byAcks = Uint8Array.from({ length: U }, (_, u) => (activity === 'acks' && entryFile[u] >= 0 && corrupt[entryFile[u]] ? 1 : 0));
  const sent = new Float64Array(U);
  const acked = new Float64Array(U);
  const wrote = new Float64Array(U);
  // Scored: users who wrote something (the truth has their messages); a
  // user without truth lines (a probe, a silent client) has no active
  // window, and pooling their other rates in would score the users, not
  // their activity.
  const ackVisible = Uint8Array.from({ length: U }, (_, u) => (users[u].messagesSent > 0 && entryFile[u] >= 0 && corrupt[entryFile[u]] ? 1 : 0));
  const ackActivity = new ActivityScore();
  const sendActivity = new ActivityScore();
  const activityNow = new Float64Array(U);
  const outputs: number[] = [];
  const curve: CurvePoint[] = [];
  let window = 0;
  const closeWindow = (): void => {
    for (let u = 0; u < U; u++) {
      activityNow[u] = byAcks[u] ? acked[u] : sent[u];
      if (ackVisible[u]) ackActivity.observe(acked[u], wrote[u] > 0);
      if (users[u].messagesSent > 0 && users[u].sends > 0) sendActivity.observe(sent[u], wrote[u] > 0);
    }
    suite.observeRound(activityNow, outputs);
    sent.fill(0);
    acked.fill(0);
    wrote.fill(0);
    outputs.length = 0;
    window++;
    if (checkpoints.has(window)) curve.push({ timeS: Math.min(window * windowS, durationS), recovery: suite.recovery(truth) });
  };

  // gsda's look-back: the packets sent in the last windowMs, per user.
  const recentTimes: number[] = [];
  const recentUsers: number[] = [];
  let recentHead = 0;
  const recentCount = new Float64Array(U);
  const weightSenders: number[] = [];
  const weights: number[] = [];
  let observedDeposits = 0;

  for (const { event: e, file } of set.events) {
    if (e.ev === 'message') {
      if (e.t < startMs || e.t > endMs) continue;
      const w = windowOf(e.t);
      while (window < w) closeWindow();
      wrote[at(e.from)]++;
      continue;
    }
    const w = windowOf(e.t);
    while (window < w) closeWindow();
    if (e.ev === 'send') {
      const u = at(e.user);
      sent[u]++;
      recentTimes.push(e.t);
      recentUsers.push(u);
      recentCount[u]++;
      continue;
    }
    if (e.ev !== 'deposit' || !corrupt[file]) continue;
    const r = at(e.user);
    if (e.kind === 'surb-reply') {
      acked[r]++;
      continue;
    }
    observedDeposits++;
    outputs.push(r);
    while (recentHead < recentTimes.length && recentTimes[recentHead] <= e.t - windowMs) recentCount[recentUsers[recentHead++]]--;
    if (recentHead > 4096 && recentHead * 2 > recentTimes.length) {
      recentTimes.splice(0, recentHead);
      recentUsers.splice(0, recentHead);
      recentHead = 0;
    }
    const total = recentTimes.length - recentHead;
    weightSenders.length = 0;
    weights.length = 0;
    for (let u = 0; u < U && total > 0; u++) {
      const q = recentCount[u] / total;
      if (q > GSDA_MIN_WEIGHT) {
        weightSenders.push(u);
        weights.push(q);
      }
    }
    suite.observeDelivery(r, weightSenders, weights);
  }
  while (window < windows) closeWindow();

  const sending = users.filter((u) => u.sends > 0);
  const corruptNames = set.files.filter((_, i) => corrupt[i]).map(gatewayName);
  return {
    model: 'trace',
    inputs: { files: set.files.map((f, i) => ({ ...f, corrupt: corrupt[i] === 1 })) },
    parameters: { windowS, curvePoints, attacks, activity, corruptGateways: corruptNames },
    period: { startMs, endMs, durationS, windows },
    metrics: {
      recovery: curve[curve.length - 1].recovery,
      counts: {
        users: U,
        sendingUsers: sending.length,
        truthUsers: users.filter((u) => u.messagesSent + u.messagesReceived > 0).length,
        gateways: observerFiles.length,
        corruptGateways: corruptNames.length,
        sends: users.reduce((a, u) => a + u.sends, 0),
        packetsPerUserPerSecond: sending.length && durationS > 0 ? sending.reduce((a, u) => a + u.packetsPerSecond, 0) / sending.length : Number.NaN,
        fetches: users.reduce((a, u) => a + u.fetches, 0),
        messageDeposits: users.reduce((a, u) => a + u.messageDeposits, 0),
        surbReplyDeposits: users.reduce((a, u) => a + u.surbReplyDeposits, 0),
        observedDeposits,
        messages,
        fragments,
        truthEdges: truthEdges.length,
        messagesInPeriod,
      },
      activity: { ackAuc: ackActivity.auc(), sendAuc: sendActivity.auc(), ackUserWindows: ackActivity.windows, activeShare: sendActivity.activeWindows / Math.max(1, sendActivity.windows) },
    },
    curves: { recovery: curve },
    users,
    truthEdges,
  };
}
