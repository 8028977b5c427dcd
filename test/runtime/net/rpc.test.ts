// Request/response on real libp2p hosts on 127.0.0.1.

import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { callRpc, RpcError, RpcRefusal, serveRpc } from '../../../runtime/net/rpc.js';

const PROTO = '/chaff/test-rpc/1';

describe('rpc over libp2p', function () {
  this.timeout(20_000);
  let server: Host;
  let client: Host;
  const addrs = () => server.getMultiaddrs();
  const call = (body: Uint8Array, maxResponseBytes = 1024, timeoutMs = 5_000) => callRpc(client, server.peerId, addrs(), PROTO, body, { maxResponseBytes, timeoutMs });
  const failsWith = async (code: string, p: Promise<unknown>) => assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === code, `expected RpcError ${code}`);

  beforeEach(async function () {
    server = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    client = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  });
  afterEach(async function () {
    await Promise.all([server.stop(), client.stop()]);
  });

  it('answers requests, one stream each, including empty and large bodies', async function () {
    const stats = await serveRpc(
      server,
      PROTO,
      (req, from) => {
        assert.equal(from.toString(), client.peerId.toString());
        return Uint8Array.from(req).reverse();
      },
      { maxRequestBytes: 1 << 20 },
    );
    assert.deepEqual(await call(Uint8Array.of(1, 2, 3)), Uint8Array.of(3, 2, 1));
    assert.deepEqual(await call(new Uint8Array(0)), new Uint8Array(0));
    const big = crypto.getRandomValues(new Uint8Array(60_000));
    assert.deepEqual(await call(big, 1 << 20), Uint8Array.from(big).reverse());
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => call(Uint8Array.of(i))));
    assert.deepEqual(
      many.map((r) => r[0]),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(stats.served, 23);
  });

  it('passes a refusal back with its reason, and hides internal errors', async function () {
    const stats = await serveRpc(
      server,
      PROTO,
      (req) => {
        if (req[0] === 1) throw new RpcRefusal('descriptor is for the wrong epoch');
        throw new Error('secret internal detail');
      },
      { maxRequestBytes: 16 },
    );
    await assert.rejects(call(Uint8Array.of(1)), (e: unknown) => e instanceof RpcError && e.code === 'refused' && /wrong epoch/.test(e.message));
    await assert.rejects(call(Uint8Array.of(2)), (e: unknown) => e instanceof RpcError && e.code === 'refused' && !/secret/.test(e.message));
    assert.deepEqual([stats.drops.refused, stats.drops['handler-error']], [1, 1]);
  });

  it('bounds sizes on both sides', async function () {
    const stats = await serveRpc(server, PROTO, () => new Uint8Array(2000), { maxRequestBytes: 100 });
    await assert.rejects(call(new Uint8Array(101)), RpcError, 'the server aborts an oversize request');
    assert.equal(stats.drops.oversize, 1);
    await failsWith('too-large', call(new Uint8Array(10), 1000));
  });

  it('drops truncated and slow requests and keeps serving', async function () {
    const stats = await serveRpc(server, PROTO, (req) => req, { maxRequestBytes: 100, timeoutMs: 300 });
    const raw = await client.dialProtocol(server.getMultiaddrs(), PROTO);
    raw.send(Uint8Array.of(0, 0, 0, 50, 1, 2, 3)); // promises 50 bytes, sends 3, then ends
    await raw.close();
    const slow = await client.dialProtocol(server.getMultiaddrs(), PROTO);
    slow.send(Uint8Array.of(0, 0, 0, 50)); // and never finishes
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(stats.drops.truncated, 1);
    assert.equal(stats.drops.timeout, 1);
    assert.deepEqual(await call(Uint8Array.of(9)), Uint8Array.of(9));
    slow.abort(new Error('done'));
  });

  it('reports an unreachable peer and a deadline', async function () {
    const stopped = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    const where = stopped.getMultiaddrs();
    await stopped.stop();
    await failsWith('dial', callRpc(client, stopped.peerId, where, PROTO, new Uint8Array(1), { maxResponseBytes: 10, timeoutMs: 3_000 }));
    await serveRpc(server, PROTO, () => new Promise<Uint8Array>(() => undefined), { maxRequestBytes: 10, timeoutMs: 60_000 });
    await failsWith('timeout', call(new Uint8Array(1), 10, 300));
  });

  it('refuses a peer that allow() rejects before reading any of its request, and sends the reason back', async function () {
    let handled = 0;
    const stats = await serveRpc(server, PROTO, (req) => (handled++, req), {
      maxRequestBytes: 1 << 20,
      allow: (peer) => (peer.equals(client.peerId) ? 'not-authority' : true),
    });
    await assert.rejects(call(new Uint8Array(1000)), (e: unknown) => e instanceof RpcError && e.code === 'refused' && e.message === 'not-authority');
    assert.deepEqual([handled, stats.drops['not-allowed'], stats.bytesRead], [0, 1, 0]);
    assert.ok(stats.bytesDiscarded <= 1004, 'what arrived was dropped unread');
  });

  it("bounds one peer's open streams; the next is reset and counted busy, the others complete", async function () {
    const release: Array<() => void> = [];
    const stats = await serveRpc(server, PROTO, (req) => new Promise<Uint8Array>((resolve) => release.push(() => resolve(req))), { maxRequestBytes: 16, maxStreamsPerPeer: 2 });
    const first = call(Uint8Array.of(1));
    while (release.length < 1) await new Promise((r) => setTimeout(r, 20));
    const second = call(Uint8Array.of(2));
    while (release.length < 2) await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(call(Uint8Array.of(3)), RpcError, 'a third stream from the same peer');
    assert.equal(stats.drops.busy, 1);
    for (const r of release) r();
    assert.deepEqual([...(await first), ...(await second)], [1, 2]);
    assert.deepEqual(
      await (async () => {
        const p = call(Uint8Array.of(4));
        while (release.length < 3) await new Promise((r) => setTimeout(r, 20));
        release[2]();
        return p;
      })(),
      Uint8Array.of(4),
      'served again once streams closed',
    );
  });

  it("our bound is the one that refuses, counted, even above libp2p's default of 32 streams per connection", async function () {
    const BOUND = 40;
    const release: Array<() => void> = [];
    const stats = await serveRpc(server, PROTO, (req) => new Promise<Uint8Array>((resolve) => release.push(() => resolve(req))), { maxRequestBytes: 16, maxStreamsPerPeer: BOUND });
    // One call first, so the 40 share the connection it opened (concurrent first dials race each other).
    const warm = call(Uint8Array.of(0xfe));
    while (release.length < 1) await new Promise((r) => setTimeout(r, 20));
    release.shift()!();
    await warm;
    const calls = Array.from({ length: BOUND }, (_, i) => call(Uint8Array.of(i)));
    while (release.length < BOUND) await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.getConnections(server.peerId).length, 1, 'one connection: libp2p alone would have reset 8 of these');
    await assert.rejects(call(Uint8Array.of(0xff)), RpcError, 'one past the bound');
    assert.equal(stats.drops.busy, 1, 'the refusal is counted');
    for (const r of release) r();
    assert.deepEqual(
      (await Promise.all(calls)).map((b) => b[0]),
      Array.from({ length: BOUND }, (_, i) => i),
    );
  });
});
