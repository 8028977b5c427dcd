// Packet links between relays: fixed-size Sphinx frames over one kept-open
// libp2p stream per peer and direction (docs/wire.md). Outbound frames wait
// in a bounded per-peer queue; a full queue refuses (and counts) instead of
// blocking or growing. Every frame that is not delivered is counted by reason.
// A Startable (runtime/lifecycle/startable.ts) built from its components (the
// host's protocol and dial methods, a Logger) and its init options.

import type { PeerId, Stream, Connection } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { systemClock } from '../../runtime/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { DialHost, ProtocolHost } from '../../runtime/net/host.js';
import { readFrames } from '../../runtime/net/frame-reader.js';
import { LIBP2P_INBOUND_STREAM_CEILING, PeerStreamBound } from '../../runtime/net/peer-stream-bound.js';

export const PACKET_PROTOCOL = '/chaff/packet/1';

/** Most queued frames coalesced into one stream write (16 × 3130 B ≈ 50 KiB). */
const MAX_FRAMES_PER_WRITE = 16;

export const DROP_REASONS = [
  /** send(): the peer's queue was at capacity. */
  'queue-full',
  /** send(), or an inbound stream: not exactly packetLength bytes. */
  'wrong-size',
  /** inbound: the stream ended (closed or reset) inside a frame. */
  'truncated',
  /** inbound: acceptPeer() refused the remote peer; its whole stream is dropped. */
  'unknown-peer',
  /** outbound: frames still queued when stop() ran, or sent after it. */
  'stopped',
  /** outbound: the stream refused a frame (it closed under us). */
  'stream-error',
  /** inbound: onFrame threw. */
  'handler-error',
  /** inbound: the peer already holds maxInboundStreamsPerPeer packet streams; the new one is reset. */
  'too-many-streams',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What a PacketLink uses: the host's protocol and dial methods, a logger (per-frame detail at debug), and a clock for its redial backoff (default: the wall clock). */
export interface PacketLinkComponents {
  readonly host: ProtocolHost & DialHost;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface PacketLinkInit {
  /** Sphinx packet length of the network's geometry: every frame is exactly this long. */
  readonly packetLength: number;
  /** Called once per whole inbound frame (a fresh copy the callee may keep). */
  readonly onFrame: (frame: Uint8Array, from: PeerId) => void;
  /** Frames held per peer before send() refuses. Default 1024. */
  readonly queueCapacity?: number;
  /** Inbound filter, e.g. "is this peer in the current topology". Default: accept all. */
  readonly acceptPeer?: (peer: PeerId) => boolean;
  /** First reconnect delay after a failed dial or a lost stream, doubled per failure. Default 100 ms. */
  readonly backoffMinMs?: number;
  /** Reconnect delay ceiling. Default 10 s. */
  readonly backoffMaxMs?: number;
  /** Abort a dial (connect + Noise + yamux + protocol negotiation) after this long. Default 10 s. */
  readonly dialTimeoutMs?: number;
  /**
   * Inbound packet streams one peer may hold open at once (over all its
   * connections). A peer needs one; the default 4 covers a reconnect racing
   * the old stream's teardown.
   */
  readonly maxInboundStreamsPerPeer?: number;
  /** Called on every counted drop, after the counter is bumped. */
  readonly onDrop?: (reason: DropReason, peer: PeerId | undefined) => void;
}

export interface PacketLinkStats {
  /** Frames handed to an outbound stream. */
  sent: number;
  /** Whole frames delivered to onFrame. */
  received: number;
  drops: Record<DropReason, number>;
  /** Frames waiting in all outbound queues. */
  queueDepth: number;
  /** Outbound streams opened (one per peer unless a link failed). */
  streamsOpened: number;
  /** Inbound streams accepted. */
  streamsAccepted: number;
  /** Failed dials. */
  dialFailures: number;
}

/** A bounded FIFO ring of frames. */
class FrameRing {
  private readonly slots: (Uint8Array | undefined)[];
  private head = 0;
  length = 0;
  constructor(readonly capacity: number) {
    this.slots = new Array(capacity);
  }
  push(frame: Uint8Array): boolean {
    if (this.length === this.capacity) return false;
    this.slots[(this.head + this.length) % this.capacity] = frame;
    this.length++;
    return true;
  }
  peek(): Uint8Array | undefined {
    return this.length === 0 ? undefined : this.slots[this.head];
  }
  shift(): Uint8Array | undefined {
    if (this.length === 0) return undefined;
    const frame = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return frame;
  }
  clear(): number {
    const n = this.length;
    while (this.length > 0) this.shift();
    return n;
  }
}

type LinkState = 'idle' | 'dialing' | 'open' | 'backoff';

/** The outbound side of one peer: its queue and kept-open stream. */
interface OutLink {
  readonly peer: PeerId;
  addrs: Multiaddr[];
  /** The list `addrs` was parsed from. */
  addrSource?: readonly (Multiaddr | string)[];
  readonly queue: FrameRing;
  state: LinkState;
  stream?: Stream;
  pumping: boolean;
  failures: number;
  timer?: TimerHandle;
}

export class PacketLink implements Startable {
  readonly packetLength: number;
  private readonly node: ProtocolHost & DialHost;
  private readonly opts: PacketLinkInit;
  private readonly capacity: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly links = new Map<string, OutLink>();
  private readonly inbound = new Set<Stream>();
  private readonly inboundBound: PeerStreamBound;
  private readonly counters = {
    sent: 0,
    received: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    dialFailures: 0,
  };
  private readonly drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private started = false;
  private stopped = false;

  constructor(components: PacketLinkComponents, options: PacketLinkInit) {
    if (!Number.isInteger(options.packetLength) || options.packetLength <= 0) throw new RangeError(`packetLength must be a positive integer, got ${options.packetLength}`);
    const capacity = options.queueCapacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`queueCapacity must be a positive integer, got ${capacity}`);
    this.node = components.host;
    this.opts = options;
    this.packetLength = options.packetLength;
    this.capacity = capacity;
    this.inboundBound = new PeerStreamBound(options.maxInboundStreamsPerPeer ?? 4);
    this.log = components.logger;
    this.clock = components.clock ?? systemClock;
  }

  /** Registers the inbound handler for PACKET_PROTOCOL. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.node.handle(PACKET_PROTOCOL, (stream, connection) => this.accept(stream, connection), {
      // Our per-peer bound (counted) is the one that bites: runtime/net/peer-stream-bound.ts.
      maxInboundStreams: LIBP2P_INBOUND_STREAM_CEILING,
    });
  }

  /**
   * Queues `frame` for `peer` and returns at once. False (and a counted drop)
   * if the frame is not packetLength bytes, the peer's queue is full, or the
   * link is stopped. `addrs` are the peer's addresses from the topology; the
   * latest non-empty list given for a peer is used for its next dial.
   */
  send(peer: PeerId, addrs: readonly (Multiaddr | string)[], frame: Uint8Array): boolean {
    if (frame.length !== this.packetLength) return this.drop('wrong-size', peer, `outbound frame of ${frame.length} bytes`);
    if (this.stopped) return this.drop('stopped', peer);
    const key = peer.toString();
    let link = this.links.get(key);
    if (link === undefined) {
      link = { peer, addrs: [], queue: new FrameRing(this.capacity), state: 'idle', pumping: false, failures: 0 };
      this.links.set(key, link);
    }
    // Parsed once per address list (callers pass the same list from the topology document for every packet).
    if (addrs.length > 0 && addrs !== link.addrSource) {
      link.addrs = addrs.map((a) => withPeer(typeof a === 'string' ? multiaddr(a) : a, key));
      link.addrSource = addrs;
    }
    if (!link.queue.push(frame)) return this.drop('queue-full', peer);
    this.kick(link);
    return true;
  }

  stats(): PacketLinkStats {
    let queueDepth = 0;
    for (const link of this.links.values()) queueDepth += link.queue.length;
    return { ...this.counters, drops: { ...this.drops }, queueDepth };
  }

  /** Frames waiting for `peer`. */
  queueDepth(peer: PeerId): number {
    return this.links.get(peer.toString())?.queue.length ?? 0;
  }

  /**
   * Unregisters the handler and closes every stream: outbound streams flush
   * what they already hold; frames still queued are dropped ('stopped').
   * Does not stop the libp2p node.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.started) await this.node.unhandle(PACKET_PROTOCOL).catch(() => undefined);
    const closing: Promise<void>[] = [];
    for (const link of this.links.values()) {
      link.timer?.cancel();
      const n = link.queue.clear();
      if (n > 0) this.drop('stopped', link.peer, `${n} queued frames`, n);
      if (link.stream !== undefined) closing.push(closeOrAbort(link.stream));
    }
    for (const stream of this.inbound) closing.push(closeOrAbort(stream));
    await Promise.all(closing);
    this.links.clear();
    this.inbound.clear();
  }

  // --- outbound ---

  private kick(link: OutLink): void {
    if (this.stopped) return;
    if (link.state === 'open') void this.pump(link);
    else if (link.state === 'idle') void this.dial(link);
    // 'dialing' pumps when the stream opens; 'backoff' redials from its timer.
  }

  private async dial(link: OutLink): Promise<void> {
    link.state = 'dialing';
    let stream: Stream;
    try {
      const target = link.addrs.length > 0 ? link.addrs : link.peer;
      stream = await this.node.dialProtocol(target, PACKET_PROTOCOL, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs ?? 10_000) });
    } catch (err) {
      this.counters.dialFailures++;
      this.log.debug('dial failed', { peer: link.peer.toString(), error: (err as Error).message });
      this.retryLater(link);
      return;
    }
    if (this.stopped) {
      await closeOrAbort(stream);
      return;
    }
    this.counters.streamsOpened++;
    link.stream = stream;
    link.state = 'open';
    link.failures = 0;
    // Nothing is expected back on an outbound packet stream; without a
    // listener, stray bytes would sit in the read buffer.
    stream.addEventListener('message', () => undefined);
    stream.addEventListener('close', (evt) => {
      if (link.stream !== stream) return;
      this.log.debug('outbound stream closed', { peer: link.peer.toString(), ...(evt.error ? { error: evt.error.message } : {}) });
      link.stream = undefined;
      if (this.stopped) return;
      link.state = 'idle';
      if (link.queue.length > 0) this.retryLater(link);
    });
    void this.pump(link);
  }

  private retryLater(link: OutLink): void {
    if (this.stopped) return;
    const min = this.opts.backoffMinMs ?? 100;
    const max = this.opts.backoffMaxMs ?? 10_000;
    const base = Math.min(max, min * 2 ** Math.min(link.failures, 30));
    link.failures++;
    // ±25% jitter so relays that lost the same peer do not redial in lockstep.
    const delay = base * (0.75 + Math.random() * 0.5);
    link.state = 'backoff';
    link.timer = this.clock.at(this.clock.now() + delay, () => {
      link.timer = undefined;
      if (this.stopped || link.state !== 'backoff') return;
      link.state = 'idle';
      if (link.queue.length > 0) void this.dial(link);
    });
  }

  /** Moves frames from the queue into the stream, waiting for 'drain' whenever the stream says its buffer is full. */
  private async pump(link: OutLink): Promise<void> {
    if (link.pumping) return;
    link.pumping = true;
    try {
      while (link.stream !== undefined && link.queue.length > 0) {
        const stream = link.stream;
        if (stream.writableNeedsDrain) {
          // Closed while waiting: the 'close' listener schedules the redial
          // and the frames stay queued for the next stream.
          if (!(await drained(stream))) return;
          continue;
        }
        if (stream.writeStatus !== 'writable') return;
        // Frames waiting together leave in one write: one yamux frame, one
        // Noise encryption and one socket write instead of one per packet.
        const count = Math.min(link.queue.length, MAX_FRAMES_PER_WRITE);
        const batch = new Uint8Array(count * this.packetLength);
        for (let i = 0; i < count; i++) batch.set(link.queue.shift()!, i * this.packetLength);
        try {
          stream.send(batch);
        } catch (err) {
          this.drop('stream-error', link.peer, (err as Error).message, count);
          return;
        }
        this.counters.sent += count;
      }
    } finally {
      link.pumping = false;
    }
  }

  // --- inbound ---

  private accept(stream: Stream, connection: Connection): void {
    const from = connection.remotePeer;
    if (this.stopped) {
      stream.abort(new Error('packet link stopped'));
      return;
    }
    if (this.opts.acceptPeer !== undefined && !this.opts.acceptPeer(from)) {
      this.drop('unknown-peer', from);
      stream.abort(new Error('unknown peer'));
      return;
    }
    const release = this.inboundBound.acquire(from);
    if (release === null) {
      this.drop('too-many-streams', from, `${this.inboundBound.maxPerPeer} open`);
      stream.abort(new Error('too many packet streams from this peer'));
      return;
    }
    this.counters.streamsAccepted++;
    this.inbound.add(stream);
    readFrames(stream, this.packetLength, {
      onFrame: (frame) => {
        this.counters.received++;
        try {
          this.opts.onFrame(frame, from);
        } catch (err) {
          this.drop('handler-error', from, (err as Error).message);
        }
      },
      onTruncated: (filled) => this.drop('truncated', from, `${filled} of ${this.packetLength} bytes`),
      onClose: (error) => {
        release();
        this.inbound.delete(stream);
        if (error !== undefined) this.log.debug('inbound stream ended', { peer: from.toString(), error: error.message });
      },
    });
  }

  private drop(reason: DropReason, peer: PeerId | undefined, detail?: string, n = 1): false {
    this.drops[reason] += n;
    this.log.debug('frame dropped', { reason, frames: n, peer: peer?.toString() ?? null, ...(detail === undefined ? {} : { detail }) });
    try {
      this.opts.onDrop?.(reason, peer);
    } catch {
      // A metrics hook must not break the data path.
    }
    return false;
  }
}

/** `addr` with a trailing /p2p/<peer>, so the dial authenticates the expected peer. */
function withPeer(addr: Multiaddr, peer: string): Multiaddr {
  return addr.getComponents().some((c) => c.name === 'p2p') ? addr : addr.encapsulate(`/p2p/${peer}`);
}

/**
 * Resolves true on the stream's next 'drain', false if it closes first. Not
 * stream.onDrain(): in @libp2p/utils 7 it can hand back an already-resolved
 * promise while writableNeedsDrain is still true, and a pump awaiting it
 * spins forever in microtasks.
 */
export function drained(stream: Stream): Promise<boolean> {
  if (stream.status !== 'open') return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      stream.removeEventListener('drain', onDrain);
      stream.removeEventListener('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    stream.addEventListener('drain', onDrain);
    stream.addEventListener('close', onClose);
  });
}

async function closeOrAbort(stream: Stream): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(2_000) });
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}
