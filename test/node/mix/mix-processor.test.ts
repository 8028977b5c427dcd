import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { delay, geometryFromUserForwardPayloadLength, recipient, Sphinx, type PathHop } from '../../../protocol/sphinx/index.js';
import { MixProcessor, type EpochKey, type MixDeps } from '../../../node/mix/mix-processor.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { replaySet } from './replay-set.js';
import { forwardedPacket } from '../../helpers/sphinx-fixtures.js';

const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 256, withSURB: false });
const sphinx = new Sphinx(geometry);

function node() {
  return { id: crypto.getRandomValues(new Uint8Array(32)), key: X25519PrivateKey.generate() };
}

function packetVia(hops: Array<{ id: Uint8Array; key: X25519PrivateKey }>, delayMs = 100): Uint8Array {
  const path: PathHop[] = hops.map((h, i) => ({
    id: h.id,
    publicKey: h.key.publicKey,
    commands: i === hops.length - 1 ? [recipient(new Uint8Array(32))] : [delay(delayMs)],
  }));
  return sphinx.newPacket(path, new Uint8Array(geometry.forwardPayloadLength));
}

function setup(keys: EpochKey[], overrides: Partial<MixDeps> = {}, limits = { inputQueue: 100, delayQueue: 100 }) {
  const clock = new ManualClock(0);
  const { seen, checkReplay } = replaySet();
  const sent: Array<{ to: string; packet: Uint8Array; at: number }> = [];
  const mix = new MixProcessor(
    {
      geometry,
      clock,
      keys: () => keys,
      checkReplay,
      maxDelayMs: () => 10_000,
      forward: (id, packet) => (sent.push({ to: toHex(id), packet, at: clock.now() }), 'sent'),
      ...overrides,
    },
    limits,
  );
  return { mix, clock, sent, seen };
}

describe('mix processor', function () {
  const me = node();
  const next = node();
  const last = node();

  it('unwraps, holds for the sender’s delay, then forwards to the next hop', async function () {
    const { mix, clock, sent } = setup([{ epoch: 7, key: me.key }]);
    await mix.accept(packetVia([me, next, last], 250));
    assert.equal(mix.delayDepth, 1);
    clock.advanceTo(249);
    assert.equal(sent.length, 0);
    clock.advanceTo(250);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].to, toHex(next.id));
    const onward = sphinx.unwrap(next.key, sent[0].packet);
    assert.ok(onward.kind === 'forward' && onward.packet, 'the next hop can unwrap what was forwarded');
    assert.equal(mix.forwarded, 1);
  });

  it('drops a replay of the same packet under the same epoch key, and counts it', async function () {
    const { mix, clock, sent } = setup([{ epoch: 7, key: me.key }]);
    const p = packetVia([me, next, last]);
    await mix.accept(p);
    await mix.accept(p);
    clock.advanceTo(1000);
    assert.equal(sent.length, 1);
    assert.deepEqual(mix.dropCounts(), { replay: 1 });
  });

  it('tries the previous epoch’s key during its grace window', async function () {
    const old = X25519PrivateKey.generate();
    const oldMe = { id: me.id, key: old };
    const { mix, clock, sent, seen } = setup([
      { epoch: 8, key: me.key },
      { epoch: 7, key: old },
    ]);
    await mix.accept(packetVia([oldMe, next, last]));
    clock.advanceTo(1000);
    assert.equal(sent.length, 1);
    assert.ok([...seen][0].startsWith('7:'), 'the replay tag is recorded under the key’s epoch');
  });

  it('counts garbage by reason and keeps working', async function () {
    const { mix, clock, sent } = setup([{ epoch: 1, key: me.key }]);
    await mix.accept(new Uint8Array(10));
    await mix.accept(new Uint8Array(geometry.packetLength).fill(1));
    await mix.accept(crypto.getRandomValues(new Uint8Array(geometry.packetLength)).fill(0, 0, 2));
    await mix.accept(packetVia([next, me, last])); // made for another node
    await mix.accept(packetVia([me, next, last]));
    clock.advanceTo(1000);
    assert.equal(sent.length, 1);
    assert.deepEqual(mix.dropCounts(), { 'wrong-size': 1, 'bad-version': 1, 'mac-failure': 2 });
    assert.equal(mix.received, 5);
  });

  it('bounds the delay queue and the input queue', async function () {
    const { mix } = setup([{ epoch: 1, key: me.key }], {}, { inputQueue: 100, delayQueue: 2 });
    for (let i = 0; i < 4; i++) await mix.accept(packetVia([me, next, last]));
    assert.equal(mix.delayDepth, 2);
    assert.equal(mix.dropCounts()['delay-queue-full'], 2);

    let release: (v: boolean) => void = () => {};
    const slow = setup([{ epoch: 1, key: me.key }], { checkReplay: () => new Promise<boolean>((r) => (release = r)) }, { inputQueue: 1, delayQueue: 10 });
    const first = slow.mix.accept(packetVia([me, next, last]));
    await slow.mix.accept(packetVia([me, next, last]));
    assert.deepEqual(slow.mix.dropCounts(), { 'input-queue-full': 1 });
    release(true);
    await first;
    assert.equal(slow.mix.delayDepth, 1);
  });

  it('refuses a delay beyond the bound before recording its replay tag, and counts it', async function () {
    let bound = 500;
    const { mix, clock, sent, seen } = setup([{ epoch: 1, key: me.key }], { maxDelayMs: () => bound });
    await mix.accept(packetVia([me, next, last], 501));
    await mix.accept(packetVia([me, next, last], 0xffffffff));
    assert.deepEqual(mix.dropCounts(), { 'delay-too-long': 2 });
    assert.equal(seen.size, 0, 'no replay tag was stored for a refused packet');
    assert.equal(mix.delayDepth, 0);
    await mix.accept(packetVia([me, next, last], 500));
    bound = 0; // the bound is read per packet (a new document, a new μ)
    await mix.accept(packetVia([me, next, last], 1));
    await mix.accept(packetVia([me, next, last], 0));
    clock.advanceTo(500);
    assert.equal(sent.length, 2);
    assert.deepEqual(mix.dropCounts(), { 'delay-too-long': 3 });
  });

  it('counts unknown next hops, full forward queues, replay-store failures and shutdown', async function () {
    const unknown = setup([{ epoch: 1, key: me.key }], { forward: () => 'unknown' });
    await unknown.mix.accept(packetVia([me, next, last]));
    unknown.clock.advanceTo(1000);
    const full = setup([{ epoch: 1, key: me.key }], { forward: () => 'queue-full' });
    await full.mix.accept(packetVia([me, next, last]));
    full.clock.advanceTo(1000);
    const broken = setup([{ epoch: 1, key: me.key }], { checkReplay: () => Promise.reject(new Error('disk full')) });
    await broken.mix.accept(packetVia([me, next, last]));
    const stopping = setup([{ epoch: 1, key: me.key }]);
    await stopping.mix.accept(packetVia([me, next, last]));
    stopping.mix.stop();
    await stopping.mix.accept(packetVia([me, next, last]));
    assert.deepEqual(unknown.mix.dropCounts(), { 'unknown-next-hop': 1 });
    assert.deepEqual(full.mix.dropCounts(), { 'forward-queue-full': 1 });
    assert.deepEqual(broken.mix.dropCounts(), { 'replay-store-error': 1 });
    assert.deepEqual(stopping.mix.dropCounts(), { shutdown: 2 });
  });

  it('counts a packet whose replay check was still pending at stop() as shutdown, not as a full delay queue', async function () {
    let release: (v: boolean) => void = () => {};
    const { mix } = setup([{ epoch: 1, key: me.key }], { checkReplay: () => new Promise<boolean>((r) => (release = r)) });
    const pending = mix.accept(packetVia([me, next, last]));
    mix.stop();
    release(true);
    await pending;
    assert.deepEqual(mix.dropCounts(), { shutdown: 1 });
  });

  it('a packet that ends at the mix goes to onFinalHop (its own loop), else it is dropped', async function () {
    const loops: number[] = [];
    const own = setup([{ epoch: 1, key: last.key }], { onFinalHop: async () => (loops.push(1), true) });
    const p1 = packetVia([me, last]);
    const atLast = forwardedPacket(sphinx.unwrap(me.key, p1));
    await own.mix.accept(atLast);
    assert.deepEqual(loops, [1]);
    const other = setup([{ epoch: 1, key: last.key }]);
    await other.mix.accept(forwardedPacket(sphinx.unwrap(me.key, packetVia([me, last]))));
    assert.deepEqual(other.mix.dropCounts(), { 'final-hop-refused': 1 });
  });
});
