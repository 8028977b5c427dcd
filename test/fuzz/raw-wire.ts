// Raw libp2p streams for the fuzzer: bytes go out exactly as the mutator
// made them (a corrupt length prefix, a frame cut short), which the
// project's own callers (runtime/net/rpc.ts callRpc, the packet link) would
// never send. What comes back is classified from the caller's side, so it
// can be compared with what the node counted.

import type { Connection, Stream } from '@libp2p/interface';
import { drained } from '../../node/net/packet-link.js';

/** What the caller saw of one RPC exchange. */
export type RpcOutcome = 'served' | 'refused' | 'reset' | 'unopened';

/**
 * One request on a fresh stream of `connection`: `bytes` written as they
 * are (the mutated u32 length ‖ body), the write side closed, the reply read
 * to its end. The reply's first byte is runtime/net/rpc.ts's status (0 ok,
 * 1 refused); a stream the node aborted (oversize, truncated) is 'reset',
 * one that never opened (the connection went) 'unopened'.
 */
export async function rawRpc(connection: Connection, protocol: string, bytes: Uint8Array, timeoutMs: number, onUnopened?: (err: Error) => void): Promise<RpcOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let stream: Stream;
  try {
    stream = await connection.newStream(protocol, { signal });
  } catch (err) {
    onUnopened?.(err as Error);
    return 'unopened';
  }
  const chunks: number[] = [];
  let connectionClosed = (): void => undefined;
  const ended = new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      if (chunks.length === 0 && data.length > 0) chunks.push(data[0]);
    });
    stream.addEventListener('close', () => resolve());
    // A stream does not always hear that its connection went: without this it would wait out the deadline.
    connectionClosed = () => resolve();
    connection.addEventListener('close', connectionClosed);
    signal.addEventListener('abort', () => {
      stream.abort(new Error('fuzzer deadline'));
      resolve();
    });
  });
  try {
    // Each wait also ends when the stream or its connection does (`ended`).
    if (!stream.send(bytes)) await Promise.race([drained(stream).catch(() => undefined), ended]);
    await Promise.race([stream.close({ signal }).catch(() => undefined), ended]);
  } catch {
    // The node aborted the stream (as it must for an oversize length) or it closed first.
  }
  await ended;
  connection.removeEventListener('close', connectionClosed);
  if (chunks.length === 0) return 'reset';
  return chunks[0] === 0 ? 'served' : chunks[0] === 1 ? 'refused' : 'reset';
}

/**
 * One stream of fixed-size frames (/chaff/packet/1, /chaff/client/send/1):
 * every frame written in order, waiting whenever the stream asks to drain,
 * then `tail` (a frame cut short, or nothing), then the write side closed.
 * Resolves with the bytes the stream took before it closed or was refused.
 */
export async function rawFrames(
  connection: Connection,
  protocol: string,
  frames: Iterable<Uint8Array>,
  tail: Uint8Array | null,
  timeoutMs: number,
): Promise<{ bytesWritten: number; aborted: boolean }> {
  const signal = AbortSignal.timeout(timeoutMs);
  let stream: Stream;
  try {
    stream = await connection.newStream(protocol, { signal });
  } catch {
    return { bytesWritten: 0, aborted: true };
  }
  let aborted = false;
  const closed = new Promise<void>((resolve) =>
    stream.addEventListener('close', (evt) => {
      if (evt.error !== undefined) aborted = true;
      resolve();
    }),
  );
  // Nothing comes back on these protocols; without a listener stray bytes would sit in the buffer.
  stream.addEventListener('message', () => undefined);
  let bytesWritten = 0;
  try {
    // Frames leave in writes of up to 16 (as the packet link writes them): one yamux frame and one Noise
    // encryption each. Between writes the event loop runs, so making the frames never starves it.
    let group: Uint8Array[] = [];
    const flush = async (): Promise<boolean> => {
      if (stream.status !== 'open' || stream.writeStatus !== 'writable') return false;
      const chunk = concat(group);
      group = [];
      if (!stream.send(chunk)) await drained(stream);
      bytesWritten += chunk.length;
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    };
    let open = true;
    for (const frame of frames) {
      group.push(frame);
      if (group.length === 16 && !(open = await flush())) break;
    }
    if (open && tail !== null) group.push(tail);
    if (open && group.length > 0) await flush();
    if (stream.status === 'open') await stream.close({ signal });
  } catch {
    aborted = true;
    stream.abort(new Error('fuzzer stream failed'));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
  // A remote reset can close the stream without an error on the event.
  return { bytesWritten, aborted: aborted || stream.status === 'aborted' || stream.status === 'reset' };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs `task` for 0 … n − 1 with at most `limit` at once. */
export async function bounded(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}
