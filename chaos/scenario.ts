// What a chaos scenario is (docs/chaos.md): one file per scenario in
// chaos/scenarios/, each a Scenario — the network it runs on, the faults and
// when they come and go, what must recover and how fast, and what loss (if
// any) is expected and why. chaos/runner.ts runs one and returns a
// ChaosSummary (JSON).

import type { TestnetShape } from '../testnet/plan.js';

/**
 * Which nodes a fault hits, resolved when it starts: a node name
 * ("mix-3", "authority-1"), "layer-N" (every mix of layer N in the document
 * then in force), or "gateway-of-alice" / "gateway-of-bob" (the chat
 * client's own gateway).
 */
export type Target = string;

export type Fault =
  /** The targets' processes are killed (SIGKILL by default) at `atMs`, started again at `restartAtMs` (never, if absent). */
  | { kind: 'kill'; targets: Target[]; atMs: number; restartAtMs?: number; signal?: 'SIGKILL' | 'SIGTERM' }
  /** Everything in and out of the targets' namespaces dropped from `atMs` to `healAtMs` (namespaces only). */
  | { kind: 'partition'; targets: Target[]; atMs: number; healAtMs: number };

export interface Scenario {
  name: string;
  /** One paragraph: what happens and what must hold. */
  description: string;
  /** 'loopback': every process on 127.0.0.1; 'netns': each in a namespace of its own (root, iproute2, nftables). */
  network: 'loopback' | 'netns';
  /** The testnet shape, over DEFAULT_SHAPE (epochDurationMs, rates). */
  shape: Partial<TestnetShape>;
  /** On every link, for the whole run (namespaces only): loss (%, each direction), one-way delay and jitter (ms). */
  links?: { lossPercent?: number; delayMs?: number; jitterMs?: number };
  /** Nodes whose clock runs this many ms ahead (negative: behind), from their start. */
  clockSkewMs?: Record<string, number>;
  /** Chat: alice writes to bob every `intervalMs`, bob to alice every `replyEvery`-th time, for `durationMs`. */
  traffic: { intervalMs: number; durationMs: number; replyEvery?: number };
  /** The client daemons' retransmit slack (ms; the default is 3000). */
  retransmitSlackMs?: number;
  /** The faults, in ms from the start of the traffic. */
  faults: Fault[];
  recovery: {
    /** What must recover, in words (goes into the summary). */
    what: string;
    /**
     * 'heal': every message sent before the last heal (restart or end of a
     * partition) is delivered within `withinMs` after it, and the first one
     * sent after it within `withinMs` of the heal.
     * 'latency': no heal (a condition for the whole run): every message is
     * delivered within `withinMs` of being sent.
     */
    measure: 'heal' | 'latency';
    withinMs: number;
    /** Nodes (targets) that must be back in the document in force after the heal… */
    backInDocument?: Target[];
    /** …within this long after it (default: two epochs and 5 s: a relay restarted just after a round's share step is listed from the epoch after next). */
    backInDocumentWithinMs?: number;
    /** …and the document then in force signed by every authority (an authority that was down or cut off signs again). */
    signedByAll?: boolean;
    /** Relays (targets) that must be listed in every document from the traffic's first epoch to the end of the run (a node the faults leave up, e.g. one whose clock is skewed). */
    listedThroughout?: Target[];
  };
  /** How long to wait after the traffic for messages still on their way (ms). */
  drainMs: number;
  /** Loss the scenario expects, with why; without it, every message must arrive exactly once. */
  expectedLoss?: { atMost: number; reason: string };
}

export interface LostMessage {
  id: string;
  from: string;
  to: string;
  sentAtMs: number;
  /** Why, as far as the sender's daemon knows: its delivery state and retransmissions. */
  reason: string;
}

export interface ChaosSummary {
  scenario: string;
  description: string;
  network: 'loopback' | 'netns';
  /** How delay, loss, partitions and skew were applied in this run. */
  mechanism: { loss?: string; delay?: string; partition?: string; clockSkew?: string };
  startedAt: string;
  wallTimeS: number;
  /** The faults as they ran, ms from the start of the traffic, with the nodes they hit. */
  timeline: Array<{ atMs: number; event: string }>;
  messages: {
    sent: number;
    delivered: number;
    /** Messages the receiving application showed (or stored) more than once. */
    duplicates: number;
    lost: number;
    lostMessages: LostMessage[];
    retransmissions: number;
    latencyMs: { p50: number; p99: number; max: number } | null;
  };
  recovery: {
    what: string;
    measure: 'heal' | 'latency';
    boundMs: number;
    /** When the last heal happened (ms from the start of the traffic); null without a heal. */
    healAtMs: number | null;
    /** 'heal': from the heal until every message sent before it had arrived; 'latency': the slowest delivery. */
    recoveryMs: number | null;
    /** 'heal': from the heal until the first message sent after it arrived. */
    firstDeliveryAfterHealMs: number | null;
    /** Targets of backInDocument missing from the document in force when the bound ran out. */
    missingFromDocument: string[];
    /** From the heal until the start of the epoch of the first document listing every target of backInDocument again (and, with signedByAll, signed by every authority). */
    backInDocumentAfterMs: number | null;
  };
  /** Packets the nodes dropped (their chaff_packets_dropped_total at the end: a node restarted counts from its restart), by reason and by node, and packets the loss rules dropped. */
  dropped: { byReason: Record<string, number>; byNodes: Record<string, Record<string, number>>; byLossRules: number | null };
  documentEpoch: number | null;
  /** For each epoch of the run whose document left a relay out (or had fewer signatures than authorities, or was never published): what it lacked. */
  unlisted: Record<string, string[]>;
  pass: boolean;
  /** Why it failed (empty when it passed). */
  failures: string[];
  dataDir: string;
}

/**
 * The shape every scenario runs: its epoch length, and the rates they share
 * (a payload stream fast enough that a fault hits many messages in a few
 * seconds, μ = 50/s so the mixes' delays stay short).
 */
export function chaosShape(epochDurationMs: number): Partial<TestnetShape> {
  return { epochDurationMs, lambdaP: 20, lambdaL: 2, lambdaD: 2, mu: 50 };
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}
