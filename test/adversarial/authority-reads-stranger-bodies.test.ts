// Attack: a peer that is not an authority makes a directory authority read
// up to 8 MiB of a share or signature request before the authority checks
// who is calling, and opens as many streams as it likes at once (issue 9 §2).
//
// Real components: an AuthorityService on a libp2p host on 127.0.0.1 with a
// temp data folder; the attacker is a second libp2p host writing raw
// streams on the authority's protocols.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import type { Stream } from '@libp2p/interface';
import { PKI_PROTOCOLS } from '../../runtime/pki/wire.js';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import { signedFor } from '../helpers/pki-fixtures.js';
import { admit, clientHost, currentEpoch, makeAuthorities, paramsNow, sleep, startAuthority, stopAuthority } from '../helpers/authorities.js';

const BODY = 8 * 1024 * 1024;

/** Writes a request header announcing `length` bytes, then the body in 64 KiB chunks until done or the stream closes; returns the body bytes handed to the stream. */
async function pushBody(stream: Stream, length: number): Promise<number> {
  let closed = false;
  stream.addEventListener('close', () => (closed = true));
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, length);
  stream.send(header);
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let sent = 0;
  while (sent < length && !closed) {
    const n = Math.min(chunk.length, length - sent);
    let ok: boolean;
    try {
      ok = stream.send(chunk.subarray(0, n));
    } catch {
      break;
    }
    sent += n;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => (stream.removeEventListener('drain', done), stream.removeEventListener('close', done), resolve());
        stream.addEventListener('drain', done);
        stream.addEventListener('close', done);
      });
    }
  }
  return sent;
}

describe('a peer that is not an authority makes an authority read large request bodies and hold many streams', function () {
  this.timeout(30_000);
  let root: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'chaff-adv-bodies-'))));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a stranger on the share protocol before reading its 8 MiB body', async function () {
    const params = paramsNow(60_000, 100);
    const auths = await makeAuthorities(2, root); // the second is configured but never started
    const svc = await startAuthority(auths[0], auths, params, { rpcTimeoutMs: 10_000 });
    cleanup.push(async () => stopAuthority(auths[0]));
    const stranger = await clientHost();
    cleanup.push(async () => stranger.stop());
    const peer = auths[0].peer;
    const target = peer.addresses.map((a) => multiaddr(`${a}/p2p/${peer.peerId}`));

    const stream = await stranger.dialProtocol(target, PKI_PROTOCOLS.share);
    const sent = await pushBody(stream, BODY);
    await sleep(200);
    stream.abort(new Error('done'));
    const s = svc.stats();
    assert.ok(sent < 1024 * 1024, `the stranger pushed ${sent} of ${BODY} body bytes before the authority cut it off`);
    assert.equal(s.sharesRefused['not-authority'], 1, 'refused as not an authority, and counted');
    assert.equal((s.rpc.share as { bytesRead?: number }).bytesRead, 0, 'the authority took no byte of the request off the stream');
    assert.equal(s.rpc.share.drops['not-allowed'], 1);
  });

  it('bounds the streams one peer holds open at once, and keeps serving others', async function () {
    const params = paramsNow(60_000, 100);
    const E = currentEpoch(params);
    const [a] = await makeAuthorities(1, root);
    admit(a, [1]);
    const svc = await startAuthority(a, [a], params, { rpcTimeoutMs: 10_000 });
    cleanup.push(async () => stopAuthority(a));
    const attacker = await clientHost();
    const honest = await clientHost();
    cleanup.push(
      async () => attacker.stop(),
      async () => honest.stop(),
    );
    const target = a.peer.addresses.map((x) => multiaddr(`${x}/p2p/${a.peer.peerId}`));

    // 24 streams, each promising a 100-byte descriptor and never sending it. (Opened one at a
    // time: libp2p resets streams opened all at once on one connection; a stream the authority
    // resets at once may fail to open, which counts as cut off.)
    const streams: Array<Stream | null> = [];
    const closed: boolean[] = [];
    for (let i = 0; i < 24; i++) {
      const s = await attacker.dialProtocol(target, PKI_PROTOCOLS.descriptor).catch(() => null);
      streams.push(s);
      closed.push(s === null);
      s?.addEventListener('close', () => (closed[i] = true));
      try {
        s?.send(Uint8Array.of(0, 0, 0, 100));
      } catch {
        closed[i] = true; // reset already
      }
    }
    await sleep(1000);
    const cut = closed.filter(Boolean).length;
    assert.ok(cut >= 24 - 8, `only ${cut} of 24 idle streams from one peer were cut off; the rest pin the authority for 10 s each`);
    assert.ok(svc.stats().rpc.descriptor.drops.busy >= 16, 'counted as busy');
    const client = new PkiClient({ host: honest }, { authorities: [a.peer], rpcTimeoutMs: 3000 });
    assert.equal((await client.uploadDescriptor(signedFor(1, E + 1))).accepted, 1, 'another peer is still served');
    for (const s of streams) s?.abort(new Error('done'));
  });
});
