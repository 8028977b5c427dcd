import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { PACKET_PROTOCOL, PacketLink, type PacketLinkInit } from '../../../node/net/packet-link.js';
import { silentLogger } from '../../../runtime/log/logger.js';
import { waitFor } from '../../helpers/wait.js';

const SIZE = 3130; // the production Sphinx packet length

interface Received {
  frame: Uint8Array;
  from: PeerId;
}

interface Side {
  host: Host;
  link: PacketLink;
  got: Received[];
}

function frameNo(i: number, size = SIZE): Uint8Array {
  const f = new Uint8Array(size);
  f.fill(i & 0xff);
  new DataView(f.buffer).setUint32(0, i);
  return f;
}

const until = (cond: () => boolean, what: string, ms = 10_000): Promise<boolean> => waitFor(what, cond, { timeoutMs: ms });

describe('node/net/packet-link', function () {
  this.timeout(30_000);
  const running: Side[] = [];

  async function side(options: Partial<PacketLinkInit> & { key?: PrivateKey; listen?: string } = {}): Promise<Side> {
    const host = await createHost({ privateKey: options.key ?? (await generateKeyPair('Ed25519')), listen: [options.listen ?? '/ip4/127.0.0.1/tcp/0'] });
    const got: Received[] = [];
    const link = new PacketLink({ host, logger: silentLogger }, { packetLength: SIZE, onFrame: (frame, from) => got.push({ frame, from }), ...options });
    await link.start();
    const s = { host, link, got };
    running.push(s);
    return s;
  }

  async function stopSide(s: Side): Promise<void> {
    const i = running.indexOf(s);
    if (i >= 0) running.splice(i, 1);
    await s.link.stop();
    await s.host.stop();
  }

  afterEach(async () => {
    await Promise.all([...running].map(stopSide));
  });

  it('delivers 1,000 frames in order over one kept-open stream', async () => {
    const a = await side();
    const b = await side();
    for (let i = 0; i < 1000; i++) assert.equal(a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(i)), true);
    await until(() => b.got.length === 1000, '1000 frames');
    b.got.forEach((r, i) => {
      assert.deepEqual(r.frame, frameNo(i));
      assert.ok(r.from.equals(a.host.peerId));
    });
    // A second burst reuses the same stream.
    for (let i = 1000; i < 1100; i++) a.link.send(b.host.peerId, [], frameNo(i));
    await until(() => b.got.length === 1100, '100 more frames');
    assert.equal(a.link.stats().streamsOpened, 1);
    assert.equal(b.link.stats().streamsAccepted, 1);
    const conns = a.host.getConnections(b.host.peerId);
    assert.equal(conns.length, 1);
    assert.equal(conns[0].streams.filter((s) => s.protocol === PACKET_PROTOCOL).length, 1);
    const st = a.link.stats();
    assert.equal(st.sent, 1100);
    assert.equal(st.queueDepth, 0);
    assert.equal(b.link.stats().received, 1100);
    assert.deepEqual(
      Object.values(st.drops).filter((n) => n > 0),
      [],
    );
  });

  it('waits for drain when the stream is full (bursts far beyond the yamux window) without spinning', async () => {
    const a = await side({ queueCapacity: 10_000 });
    const b = await side();
    const N = 8000; // 25 MB: the pump must wait for 'drain' many times
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5); // stays alive only if the event loop is free
    try {
      for (let i = 0; i < N; i++) assert.equal(a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(i)), true);
      await until(() => b.got.length === N, `${N} frames`, 20_000);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0);
    b.got.forEach((r, i) => assert.equal(new DataView(r.frame.buffer).getUint32(0), i));
    assert.equal(a.link.stats().streamsOpened, 1);
  });

  it('sends in both directions between the same two hosts', async () => {
    const a = await side();
    const b = await side();
    a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(1));
    b.link.send(a.host.peerId, a.host.getMultiaddrs(), frameNo(2));
    await until(() => a.got.length === 1 && b.got.length === 1, 'one frame each way');
    assert.deepEqual(a.got[0].frame, frameNo(2));
    assert.deepEqual(b.got[0].frame, frameNo(1));
  });

  it('refuses frames of the wrong size, counted as wrong-size', async () => {
    const a = await side();
    const b = await side();
    const drops: string[] = [];
    const a2 = new PacketLink({ host: a.host, logger: silentLogger }, { packetLength: SIZE, onFrame: () => undefined, onDrop: (r) => drops.push(r) });
    assert.equal(a2.send(b.host.peerId, b.host.getMultiaddrs(), new Uint8Array(SIZE - 1)), false);
    assert.equal(a2.send(b.host.peerId, b.host.getMultiaddrs(), new Uint8Array(SIZE + 1)), false);
    assert.equal(a2.send(b.host.peerId, b.host.getMultiaddrs(), new Uint8Array(0)), false);
    assert.equal(a2.stats().drops['wrong-size'], 3);
    assert.equal(a2.stats().queueDepth, 0);
    assert.deepEqual(drops, ['wrong-size', 'wrong-size', 'wrong-size']);
    await a2.stop();
  });

  it('pins the framing: frames back to back with no length prefix, split anywhere', async () => {
    const a = await side();
    const b = await side();
    const stream = await a.host.dialProtocol(b.host.getMultiaddrs(), PACKET_PROTOCOL);
    const wire = new Uint8Array(3 * SIZE);
    for (let i = 0; i < 3; i++) wire.set(frameNo(i), i * SIZE);
    // Odd cuts: a frame split over many writes, and writes spanning frames.
    for (const [from, to] of [
      [0, 1],
      [1, 7],
      [7, SIZE + 5],
      [SIZE + 5, 2 * SIZE + 1],
      [2 * SIZE + 1, 3 * SIZE],
    ]) {
      stream.send(wire.subarray(from, to));
      await new Promise((r) => setTimeout(r, 5));
    }
    await stream.close();
    await until(() => b.got.length === 3, 'three frames');
    b.got.forEach((r, i) => assert.deepEqual(r.frame, frameNo(i)));
    await until(() => b.link.stats().streamsAccepted === 1, 'accepted');
    assert.equal(b.link.stats().drops.truncated, 0);
  });

  it('counts a trailing partial frame as truncated, survives garbage and resets, and still works', async () => {
    const a = await side();
    const b = await side();

    // Junk of an odd size, then a clean close: one whole (garbage) frame is
    // delivered, the 7-byte tail is counted as truncated.
    const s1 = await a.host.dialProtocol(b.host.getMultiaddrs(), PACKET_PROTOCOL);
    s1.send(new Uint8Array(SIZE + 7).fill(0xee));
    await s1.close();
    await until(() => b.link.stats().drops.truncated === 1, 'truncated after close');
    assert.equal(b.got.length, 1);

    // Half a frame, then an abrupt reset.
    const s2 = await a.host.dialProtocol(b.host.getMultiaddrs(), PACKET_PROTOCOL);
    s2.send(new Uint8Array(SIZE >> 1).fill(0xdd));
    await new Promise((r) => setTimeout(r, 50));
    s2.abort(new Error('test reset'));
    await until(() => b.link.stats().drops.truncated === 2, 'truncated after reset');

    // A reset with nothing sent is not a drop.
    const s3 = await a.host.dialProtocol(b.host.getMultiaddrs(), PACKET_PROTOCOL);
    s3.abort(new Error('test reset'));

    // The receiver still takes frames, on a fresh link from the same peer.
    for (let i = 0; i < 10; i++) a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(i));
    await until(() => b.got.length === 11, 'ten good frames');
    b.got.slice(1).forEach((r, i) => assert.deepEqual(r.frame, frameNo(i)));
    assert.equal(b.link.stats().drops.truncated, 2);
  });

  it('drops the stream of a peer that acceptPeer refuses, counted as unknown-peer', async () => {
    const a = await side();
    const b = await side({ acceptPeer: () => false });
    a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(0));
    await until(() => b.link.stats().drops['unknown-peer'] >= 1, 'unknown-peer drop');
    assert.equal(b.got.length, 0);
  });

  it("bounds one peer's packet streams over all its connections: past the bound each new one is reset and counted too-many-streams", async () => {
    const a = await side();
    const b = await side({ maxInboundStreamsPerPeer: 2 });
    // Ten streams on one connection: libp2p alone would have let 32 through per connection, uncounted past that.
    const streams = [];
    for (let i = 0; i < 10; i++) streams.push(await a.host.dialProtocol(b.host.getMultiaddrs(), PACKET_PROTOCOL));
    await until(() => b.link.stats().streamsAccepted + b.link.stats().drops['too-many-streams'] === 10, 'every stream accepted or refused');
    assert.deepEqual([b.link.stats().streamsAccepted, b.link.stats().drops['too-many-streams']], [2, 8]);
    // The two kept carry frames; once they close, the peer gets its slots back.
    streams[0].send(frameNo(7));
    await until(() => b.got.length === 1, 'a frame on a kept stream');
    for (const s of streams) await s.close().catch(() => undefined);
    await until(() => b.link.stats().drops['too-many-streams'] === 8 && (b.link as unknown as { inbound: Set<unknown> }).inbound.size === 0, 'streams closed');
    a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(8));
    await until(() => b.got.length === 2, 'a frame on a fresh link');
    assert.equal(b.link.stats().drops['too-many-streams'], 8);
  });

  it('an onFrame that throws is a counted drop, not a crash', async () => {
    const a = await side();
    let calls = 0;
    const b = await side({
      onFrame: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
    });
    a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(0));
    a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(1));
    await until(() => calls === 2, 'both frames');
    assert.equal(b.link.stats().drops['handler-error'], 1);
  });

  it('a full queue refuses at once with queue-full drops and never grows', async () => {
    const a = await side({ queueCapacity: 8, backoffMinMs: 50 });
    // A peer nobody listens for: dials fail, frames wait in the queue.
    const ghost = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    const addr = multiaddr('/ip4/127.0.0.1/tcp/1');
    const t0 = process.hrtime.bigint();
    const results = Array.from({ length: 20 }, (_, i) => a.link.send(ghost, [addr], frameNo(i)));
    const us = Number(process.hrtime.bigint() - t0) / 1e3;
    assert.deepEqual(results, [...Array(8).fill(true), ...Array(12).fill(false)]);
    assert.ok(us < 50_000, `20 sends took ${us} µs`);
    assert.equal(a.link.stats().drops['queue-full'], 12);
    assert.equal(a.link.queueDepth(ghost), 8);
    await until(() => a.link.stats().dialFailures >= 2, 'redials with backoff');
    assert.equal(a.link.queueDepth(ghost), 8);
    await a.link.stop();
    assert.equal(a.link.stats().drops.stopped, 8);
    assert.equal(a.link.stats().queueDepth, 0);
    assert.equal(a.link.send(ghost, [addr], frameNo(0)), false);
    assert.equal(a.link.stats().drops.stopped, 9);
  });

  it('reconnects after the receiver restarts on the same port and identity', async () => {
    const a = await side({ backoffMinMs: 20, backoffMaxMs: 200 });
    const key = await generateKeyPair('Ed25519');
    let b = await side({ key });
    const addrs = b.host.getMultiaddrs();
    const listen = addrs[0].decapsulate('/p2p').toString();
    a.link.send(b.host.peerId, addrs, frameNo(0));
    await until(() => b.got.length === 1, 'first frame');

    await stopSide(b);
    // While the receiver is down, frames queue (or are lost with the dying stream).
    for (let i = 1; i <= 5; i++) a.link.send(b.host.peerId, addrs, frameNo(i));
    await new Promise((r) => setTimeout(r, 300));
    b = await side({ key, listen });
    assert.equal(b.host.getMultiaddrs()[0].toString(), addrs[0].toString());

    let i = 100;
    const pump = setInterval(() => a.link.send(b.host.peerId, addrs, frameNo(i++)), 20);
    try {
      await until(() => b.got.some((r) => new DataView(r.frame.buffer).getUint32(0) >= 100), 'a frame after the restart');
    } finally {
      clearInterval(pump);
    }
    assert.ok(a.link.stats().streamsOpened >= 2);
    // Frames arrive in send order on the new stream.
    const seen = b.got.map((r) => new DataView(r.frame.buffer).getUint32(0));
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
    );
  });

  it('stop() closes the streams cleanly on both sides', async () => {
    const a = await side();
    const b = await side();
    for (let i = 0; i < 50; i++) a.link.send(b.host.peerId, b.host.getMultiaddrs(), frameNo(i));
    await until(() => b.got.length === 50, '50 frames');
    const conn = a.host.getConnections(b.host.peerId)[0];
    await a.link.stop();
    await until(() => conn.streams.filter((s) => s.protocol === PACKET_PROTOCOL).length === 0, 'stream gone');
    assert.equal(b.link.stats().drops.truncated, 0);
  });
});
