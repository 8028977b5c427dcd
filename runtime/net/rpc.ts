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

import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { concatBytes } from '../../protocol/bytes.js';

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

export const RPC_DROP_REASONS = ['oversize', 'truncated', 'timeout', 'refused', 'handler-error'] as const;
export type RpcDropReason = (typeof RPC_DROP_REASONS)[number];

export interface RpcServerStats {
  served: number;
  drops: Record<RpcDropReason, number>;
}

export interface RpcServerOptions {
  maxRequestBytes: number;
  /** Deadline for reading the request and writing the reply. Default 10 s. */
  timeoutMs?: number;
  maxInboundStreams?: number;
  onDrop?: (reason: RpcDropReason, from: PeerId) => void;
}

const STATUS_OK = 0;
const STATUS_REFUSED = 1;

/** Reads `header` bytes then a body whose length is in the header's last 4 bytes. */
function readFramed(stream: Stream, headerLength: number, maxBody: number, signal: AbortSignal): Promise<{ header: Uint8Array; body: Uint8Array }> {
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
export async function serveRpc(host: Libp2p, protocol: string, handler: RpcHandler, options: RpcServerOptions): Promise<RpcServerStats> {
  const stats: RpcServerStats = { served: 0, drops: Object.fromEntries(RPC_DROP_REASONS.map((r) => [r, 0])) as Record<RpcDropReason, number> };
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
      const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      let request: Uint8Array;
      try {
        request = (await readFramed(stream, 4, options.maxRequestBytes, signal)).body;
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
    },
    { maxInboundStreams: options.maxInboundStreams ?? 32 },
  );
  return stats;
}

export interface RpcCallOptions {
  maxResponseBytes: number;
  /** Deadline for the whole exchange, dial included. Default 10 s. */
  timeoutMs?: number;
}

/** Sends `request` to `peer` (at `addrs`, if given) and returns the reply body; throws RpcError. */
export async function callRpc(host: Libp2p, peer: PeerId, addrs: readonly (string | Multiaddr)[], protocol: string, request: Uint8Array, options: RpcCallOptions): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const targets = addrs.map((a) => {
    const m = typeof a === 'string' ? multiaddr(a) : a;
    return m.getComponents().some((c) => c.name === 'p2p') ? m : m.encapsulate(`/p2p/${peer.toString()}`);
  });
  let stream: Stream;
  try {
    stream = await host.dialProtocol(targets.length > 0 ? targets : peer, protocol, { signal });
  } catch (err) {
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
