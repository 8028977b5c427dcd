// The mix's unwrap stage on worker threads (node/mix/unwrap-pool.ts) inside
// the real MixProcessor: replays are caught across workers, a key rotation
// reaches every worker, and a crashed worker's packets are counted and its
// place taken. Real threads, a ManualClock for the delay queue.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { delay, geometryFromUserForwardPayloadLength, recipient, Sphinx, type PathHop } from '../../../protocol/sphinx/index.js';
import { MixProcessor, type EpochKey } from '../../../node/mix/mix-processor.js';
import { UnwrapPool } from '../../../node/mix/unwrap-pool.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { replaySet } from './replay-set.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 256, withSURB: false });
const sphinx = new Sphinx(geometry);
const nextHop = { id: new Uint8Array(32).fill(2), key: X25519PrivateKey.generate() };

function packetFor(key: X25519PrivateKey, delayMs = 10): Uint8Array {
  const path: PathHop[] = [
    { id: new Uint8Array(32).fill(1), publicKey: key.publicKey, commands: [delay(delayMs)] },
    { id: nextHop.id, publicKey: nextHop.key.publicKey, commands: [recipient(new Uint8Array(32))] },
  ];
  return sphinx.newPacket(path, new Uint8Array(geometry.forwardPayloadLength));
}

/** One pool of two workers for the whole file (starting workers is the slow part); each test sets the keys. */
let keys: EpochKey[] = [];
const logger = memoryLogger();
const pool = new UnwrapPool({ geometry, workers: 2, keys: () => keys, logger });

function setup(epochKeys: EpochKey[]) {
  keys = epochKeys;
  const clock = new ManualClock(0);
  const replays = replaySet();
  const mix = new MixProcessor(
    {
      geometry,
      clock,
      keys: () => keys,
      checkReplay: replays.checkReplay,
      maxDelayMs: () => 10_000,
      forward: () => 'sent',
      unwrapStage: pool,
    },
    { inputQueue: 1000, delayQueue: 1000 },
  );
  return { clock, seen: replays.seen, mix };
}

describe('mix unwrap pool (worker threads)', function () {
  this.timeout(30_000);
  before(() => pool.start());
  after(() => pool.stop());

  it('unwraps on the workers; a packet replayed to the other worker is still refused, once', async function () {
    const me = X25519PrivateKey.generate();
    const { mix, clock, seen } = setup([{ epoch: 3, key: me }]);
    const p = packetFor(me);
    // Back to back: the least-loaded choice puts the copies on different workers.
    await Promise.all([mix.accept(p), mix.accept(p), mix.accept(packetFor(me)), mix.accept(p)]);
    assert.deepEqual(mix.dropCounts(), { replay: 2 });
    assert.equal(mix.delayDepth, 2);
    assert.equal(seen.size, 2);
    assert.ok([...seen].every((k) => k.startsWith('3:')));
    clock.advance(10);
    assert.equal(mix.forwarded, 2);
  });

  it('replay checks are issued in arrival order, whichever worker finishes first', async function () {
    const me = X25519PrivateKey.generate();
    const { mix, seen } = setup([{ epoch: 1, key: me }]);
    const packets = Array.from({ length: 24 }, () => packetFor(me));
    const tags = packets.map((p) => toHex(sphinx.unwrap(me, p).replayTag));
    await Promise.all(packets.map((p) => mix.accept(p)));
    assert.deepEqual(
      [...seen].map((k) => k.slice(2)),
      tags,
    );
  });

  it('a key rotation reaches every worker before the next packet', async function () {
    const k1 = X25519PrivateKey.generate();
    const k2 = X25519PrivateKey.generate();
    const { mix, seen } = setup([{ epoch: 1, key: k1 }]);
    await Promise.all([mix.accept(packetFor(k1)), mix.accept(packetFor(k1))]);
    assert.deepEqual(mix.dropCounts(), {});
    keys = [
      { epoch: 2, key: k2 },
      { epoch: 1, key: k1 },
    ];
    await Promise.all([mix.accept(packetFor(k2)), mix.accept(packetFor(k1)), mix.accept(packetFor(k2))]);
    assert.deepEqual(mix.dropCounts(), {});
    keys = [{ epoch: 2, key: k2 }]; // epoch 1's grace window is over
    await Promise.all([mix.accept(packetFor(k1)), mix.accept(packetFor(k1)), mix.accept(packetFor(k2))]);
    assert.deepEqual(mix.dropCounts(), { 'mac-failure': 2 });
    assert.deepEqual(
      [...seen].map((k) => k.split(':')[0]),
      ['1', '1', '2', '1', '2', '2'],
    );
  });

  it('a crashed worker: its packets are counted as worker-lost and logged with the reason, and a replacement (with the keys) takes over', async function () {
    const me = X25519PrivateKey.generate();
    const { mix } = setup([{ epoch: 1, key: me }]);
    const accepted = Array.from({ length: 20 }, () => mix.accept(packetFor(me)));
    const held = await pool.killWorker(0);
    await Promise.all(accepted);
    assert.ok(held > 0, 'the killed worker held packets');
    assert.deepEqual(mix.dropCounts(), { 'worker-lost': held });
    assert.equal(mix.delayDepth, 20 - held);
    assert.equal(pool.restarts, 1);
    const warning = logger.records.find((r) => r.level === 'warn' && r.msg === 'worker stopped; replaced');
    assert.ok(warning, 'the crash is logged');
    assert.equal(warning.fields.jobsLost, held);
    assert.match(String(warning.fields.reason), /killWorker/);
    // Both workers (the replacement too) unwrap with the current keys.
    await Promise.all(Array.from({ length: 6 }, () => mix.accept(packetFor(me))));
    assert.equal(mix.delayDepth, 26 - held);
    assert.deepEqual(mix.dropCounts(), { 'worker-lost': held });
  });

  it('packets still in the workers when the pool stops are counted as shutdown (the last test: it stops the pool)', async function () {
    const me = X25519PrivateKey.generate();
    const { mix } = setup([{ epoch: 1, key: me }]);
    const accepted = Array.from({ length: 5 }, () => mix.accept(packetFor(me)));
    mix.stop();
    await pool.stop();
    await Promise.all(accepted);
    const drops = mix.dropCounts();
    assert.equal((drops.shutdown ?? 0) + (drops['delay-queue-full'] ?? 0) + mix.delayDepth, 5);
    assert.ok((drops.shutdown ?? 0) > 0);
  });
});
