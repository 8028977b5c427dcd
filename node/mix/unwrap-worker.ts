// An unwrap worker thread (the job module of UnwrapPool, unwrap-pool.ts):
// holds the epoch keys the pool last sent and unwraps each packet of a batch
// with them. It checks no replays: the event loop does, for every worker at
// once (a packet replayed to two workers is still caught).

import { X25519PrivateKey } from '../../protocol/crypto/x25519.js';
import { serveBatches, workerInit } from '../../runtime/worker-pool/batch-worker.js';
import type { Geometry, UnwrapResult } from '../../protocol/sphinx/index.js';
import { unwrapWithKeys, type UnwrapKey } from './unwrap-with-keys.js';
import type { KeyState, WorkerOutcome } from './unwrap-pool.js';

const { geometry } = workerInit<{ geometry: Geometry }>();
let keys: UnwrapKey[] = [];

/** The buffers a result owns alone (fresh from unwrap), which may move to the event loop without a copy. */
function ownBuffers(result: UnwrapResult): ArrayBuffer[] {
  const parts = [result.replayTag, result.kind === 'forward' ? result.packet : result.payload];
  const out: ArrayBuffer[] = [];
  for (const p of parts) {
    const b = p.buffer as ArrayBuffer;
    if (p.byteOffset === 0 && p.byteLength === b.byteLength && !out.includes(b)) out.push(b);
  }
  return out;
}

serveBatches<Uint8Array, WorkerOutcome>({
  onState(state) {
    const next = (state as KeyState).map((k) => ({ epoch: k.epoch, key: X25519PrivateKey.fromBytes(k.raw) }));
    for (const k of state as KeyState) k.raw.fill(0);
    for (const k of keys) k.key.destroy();
    keys = next;
  },
  run(packet) {
    try {
      return unwrapWithKeys(geometry, keys, packet);
    } catch (err) {
      // A bug, not a refusal: the event loop counts it as the inline stage's throw would be.
      return { ok: false, bug: (err as Error).stack ?? String(err) };
    }
  },
  transferOf: (o) => (o.ok ? ownBuffers(o.result) : []),
});
