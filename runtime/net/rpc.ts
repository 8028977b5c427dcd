// Request/response over libp2p: one stream per exchange (docs/wire.md §RPC).
//
//   request  = u32 big-endian length ‖ body
//   response = u8 status (0 ok, 1 refused) ‖ u32 big-endian length ‖ body
//              (for "refused", the body is a UTF-8 reason)
//
// Each side half-closes after sending. Sizes are bounded on both sides (a
// length above the limit aborts the stream at once, before the body is
// read); every exchange has a deadline. Bad input is counted and never
// crashes the node.
//
// A server may also refuse a peer before reading anything it sends
// (`allow`, checked when the stream opens: the refusal goes back, what the
// peer sends is dropped unread, and past 64 KiB the stream is reset), and bounds the
// streams one peer has open at once on a protocol (`maxStreamsPerPeer`).
//
// Hand-written framing rather than @libp2p/utils' length-prefixed streams:
// those prefix each message with an unsigned varint, while this format (a
// fixed u32, a status byte before the reply's length) is specified byte by
// byte in docs/wire.md and pinned by tests; and the refusal path must read
// nothing of a refused caller's body, which a message-oriented reader does
// not allow. The packet streams need no length at all (fixed-size frames,
// frame-reader.ts).

import type { PeerId, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { concatBytes } from '../../protocol/bytes.js';
import type { DialHost, ProtocolHost } from './host.js';
import { LIBP2P_INBOUND_STREAM_CEILING, PeerStreamBound } from './peer-stream-bound.js';

export type RpcErrorCode = 'dial' | 'timeout' | 'refused' | 'too-large' | 'protocol' | 'closed';

/** A failed call, with why. */
export class RpcError extends Error {
  readonly code: RpcErrorCode;
  constructor(code: RpcErrorCode, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
  }
}

/** Thrown by a handler to refuse a request; the message goes back to the caller. */
export class RpcRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcRefusal';
  }
}

export type RpcHandler = (request: Uint8Array, from: PeerId) => Uint8Array | Promise<Uint8Array>;

export const RPC_DROP_REASONS = ['oversize', 'truncated', 'timeout', 'refused', 'handler-error', 'not-allowed', 'busy'] as const;
export type RpcDropReason = (typeof RPC_DROP_REASONS)[number];

export interface RpcServerStats {
  served: number;
  drops: Record<RpcDropReason, number>;
}

/** What serveRpc returns: the stats, and the request bytes taken off its streams. */
export interface RpcServerCounters extends RpcServerStats {
  /** Request bytes read (headers and bodies) from streams that were served. */
  bytesRead: number;
  /** Bytes of refused ('not-allowed') requests dropped unread before the stream was reset. */
  bytesDiscarded: number;
}

/** Default bound on one peer's open streams on one protocol (libp2p's own default per connection, now over all of a peer's connections). */
export const DEFAULT_MAX_STREAMS_PER_PEER = 32;

export interface RpcServerOptions {
  maxRequestBytes: number;
  /** Deadline for reading the request and writing the reply. Default 10 s. */
  timeoutMs?: number;
  /**
   * Checked when a stream opens, before any byte of the request is read:
   * true to serve the peer, or the reason it is refused (sent back, counted
   * as 'not-allowed'). Default: everyone.
   */
  allow?: (peer: PeerId) => true | string;
  /** Streams one peer may have open at once on this protocol (over all its connections); more are reset and counted 'busy'. Default 32. */
  maxStreamsPerPeer?: number;
  onDrop?: (reason: RpcDropReason, from: PeerId) => void;
}

const STATUS_OK = 0;
const STATUS_REFUSED = 1;

/** Reads `header` bytes then a body whose length is in the header's last 4 bytes. */
function readFramed(stream: Stream, headerLength: number, maxBody: number, signal: AbortSignal, onBytes?: (n: number) => void): Promise<{ header: Uint8Array; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let received = 0;
    let need = headerLength;
    let header: Uint8Array | null = null;
    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('remoteCloseWrite', onEnd);
      stream.removeEventListener('close', onEnd);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: RpcError): void => {
      cleanup();
      reject(err);
    };
    const tryParse = (): void => {
      if (received < need) return;
      const all = concatBytes(...chunks);
      if (!header) {
        header = all.slice(0, headerLength);
        const length = new DataView(header.buffer).getUint32(headerLength - 4, false);
        if (length > maxBody) return fail(new RpcError('too-large', `message of ${length} bytes exceeds ${maxBody}`));
        need = headerLength + length;
        if (received < need) return;
      }
      if (received > need) return fail(new RpcError('protocol', 'trailing bytes after the message'));
      cleanup();
      resolve({ header, body: all.slice(headerLength, need) });
    };
    const onMessage = (evt: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      chunks.push(chunk);
      received += chunk.length;
      onBytes?.(chunk.length);
      if (received > headerLength + maxBody) return fail(new RpcError('too-large', 'message exceeds the limit'));
      tryParse();
    };
    const onEnd = (): void => {
      if (received < need || !header) fail(new RpcError('protocol', `stream ended after ${received} bytes, before the message was complete`));
    };
    const onAbort = (): void => fail(new RpcError('timeout', 'deadline passed'));
    stream.addEventListener('message', onMessage as never);
    stream.addEventListener('remoteCloseWrite', onEnd);
    stream.addEventListener('close', onEnd);
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
  });
}

function frame(prefix: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 4 + body.length);
  out.set(prefix);
  new DataView(out.buffer).setUint32(prefix.length, body.length, false);
  out.set(body, prefix.length + 4);
  return out;
}

async function sendAndClose(stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.removeEventListener('drain', done);
        stream.removeEventListener('close', done);
        resolve();
      };
      stream.addEventListener('drain', done);
      stream.addEventListener('close', done);
    });
  }
  await stream.close();
}

/** Registers `handler` for `protocol`; returns live counters. */
export async function serveRpc(host: Pick<ProtocolHost, 'handle'>, protocol: string, handler: RpcHandler, options: RpcServerOptions): Promise<RpcServerCounters> {
  const stats: RpcServerCounters = { served: 0, drops: Object.fromEntries(RPC_DROP_REASONS.map((r) => [r, 0])) as Record<RpcDropReason, number>, bytesRead: 0, bytesDiscarded: 0 };
  const bound = new PeerStreamBound(options.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER);
  const drop = (reason: RpcDropReason, from: PeerId): void => {
    stats.drops[reason]++;
    try {
      options.onDrop?.(reason, from);
    } catch {
      // metrics must not break the exchange
    }
  };
  await host.handle(
    protocol,
    async (stream, connection) => {
      const from = connection.remotePeer;
      let verdict: true | string = true;
      try {
        verdict = options.allow ? options.allow(from) : true;
      } catch {
        verdict = 'not allowed';
      }
      if (verdict !== true) {
        // Nothing of the request is read: the refusal goes out and the stream is reset.
        drop('not-allowed', from);
        await refuseUnread(stream, verdict, options.timeoutMs ?? 10_000, (n) => (stats.bytesDiscarded += n));
        return;
      }
      const release = bound.acquire(from);
      if (release === null) {
        drop('busy', from);
        stream.abort(new Error('too many streams from this peer'));
        return;
      }
      try {
        await serveOne(stream, from);
      } finally {
        release();
      }
    },
    // Our bound (counted) is the one that bites: runtime/net/peer-stream-bound.ts.
    { maxInboundStreams: LIBP2P_INBOUND_STREAM_CEILING },
  );

  async function serveOne(stream: Stream, from: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    let request: Uint8Array;
    try {
      request = (await readFramed(stream, 4, options.maxRequestBytes, signal, (n) => (stats.bytesRead += n))).body;
    } catch (err) {
      const code = err instanceof RpcError ? err.code : 'protocol';
      drop(code === 'too-large' ? 'oversize' : code === 'timeout' ? 'timeout' : 'truncated', from);
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let reply: Uint8Array;
    try {
      reply = frame([STATUS_OK], await handler(request, from));
      stats.served++;
    } catch (err) {
      const refused = err instanceof RpcRefusal;
      drop(refused ? 'refused' : 'handler-error', from);
      reply = frame([STATUS_REFUSED], new TextEncoder().encode(refused ? err.message : 'internal error'));
    }
    try {
      await sendAndClose(stream, reply);
    } catch {
      stream.abort(new Error('reply failed'));
    }
  }
  return stats;
}

/** Bytes of a refused request a server lets arrive (and discards) before it resets the stream. */
export const REFUSED_DISCARD_LIMIT = 64 * 1024;

/**
 * Sends a refusal without reading the request: whatever the caller sends is
 * dropped as it arrives (never buffered or parsed), and the stream is reset
 * once more than REFUSED_DISCARD_LIMIT bytes came in or the deadline passes;
 * a polite caller that half-closes gets its refusal and a clean close.
 */
async function refuseUnread(stream: Stream, reason: string, timeoutMs: number, onDiscard: (n: number) => void): Promise<void> {
  let discarded = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const onMessage = (evt: { data: Uint8Array | { byteLength: number } }): void => {
    const n = evt.data.byteLength;
    discarded += n;
    onDiscard(n);
    if (discarded > REFUSED_DISCARD_LIMIT) {
      stream.abort(new Error('refused request still arriving'));
      finish();
    }
  };
  stream.addEventListener('message', onMessage as never);
  stream.addEventListener('remoteCloseWrite', finish);
  stream.addEventListener('close', finish);
  const timer = setTimeout(() => {
    stream.abort(new Error('refused request: deadline passed'));
    finish();
  }, timeoutMs);
  try {
    await sendAndClose(stream, frame([STATUS_REFUSED], new TextEncoder().encode(reason)));
  } catch {
    stream.abort(new Error('refusal not sent'));
    finish();
  }
  await done;
  clearTimeout(timer);
  stream.removeEventListener('message', onMessage as never);
  stream.removeEventListener('remoteCloseWrite', finish);
  stream.removeEventListener('close', finish);
}

export interface RpcCallOptions {
  maxResponseBytes: number;
  /** Deadline for the whole exchange, dial included. Default 10 s. */
  timeoutMs?: number;
}

/** Sends `request` to `peer` (at `addrs`, if given) and returns the reply body; throws RpcError. */
export async function callRpc(host: DialHost, peer: PeerId, addrs: readonly (string | Multiaddr)[], protocol: string, request: Uint8Array, options: RpcCallOptions): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const targets = addrs.map((a) => {
    const m = typeof a === 'string' ? multiaddr(a) : a;
    return m.getComponents().some((c) => c.name === 'p2p') ? m : m.encapsulate(`/p2p/${peer.toString()}`);
  });
  let stream: Stream;
  try {
    stream = await host.dialProtocol(targets.length > 0 ? targets : peer, protocol, { signal });
  } catch (err) {
    // The peer answers but does not speak this protocol version: it runs another Chaff release (docs/compatibility.md).
    if ((err as Error).name === 'UnsupportedProtocolError') {
      throw new RpcError('dial', `${peer.toString()} does not speak ${protocol}: it runs a Chaff version with other protocol versions (docs/compatibility.md)`);
    }
    throw new RpcError(signal.aborted ? 'timeout' : 'dial', `cannot reach ${peer.toString()} for ${protocol}: ${(err as Error).message}`);
  }
  try {
    const reading = readFramed(stream, 5, options.maxResponseBytes, signal);
    reading.catch(() => undefined); // awaited below; never an unhandled rejection if sending fails first
    await sendAndClose(stream, frame([], request));
    const { header, body } = await reading;
    if (header[0] === STATUS_OK) return body;
    if (header[0] === STATUS_REFUSED) throw new RpcError('refused', new TextDecoder().decode(body));
    throw new RpcError('protocol', `unknown status ${header[0]}`);
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    if (err instanceof RpcError) throw err;
    throw new RpcError('closed', (err as Error).message);
  }
}
