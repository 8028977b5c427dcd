// Directory authorities with 3-second epochs: uploads, sharing, signing,
// publishing, restarts, an authority that never comes up, and garbage on
// every PKI protocol. The whole round with restarts and the garbage run on
// real libp2p hosts on 127.0.0.1 and the wall clock (the network is part of
// what they test); the rules of the round run on in-memory hosts and a
// ManualClock (test/helpers/memory-host.ts), in a fraction of the time.

import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { toHex } from '../../../protocol/bytes.js';
import { buildDocument, encodeDocument, type NetworkParams } from '../../../protocol/pki/document.js';
import { epochAt, epochStart } from '../../../protocol/pki/epoch.js';
import { decodeSignedDocument } from '../../../protocol/pki/signatures.js';
import { systemClock } from '../../../runtime/clock.js';
import { createHost, type Host } from '../../../runtime/net/host.js';
import { callRpc, RpcError } from '../../../runtime/net/rpc.js';
import { DocumentWatcher } from '../../../runtime/pki/document-watcher.js';
import { PkiClient, type VerifiedDocument } from '../../../runtime/pki/pki-client.js';
import { admit, clientHost, makeAuthorities, makeMemoryAuthorities, startAuthority as startService, stopAuthority, type TestAuthority } from '../../helpers/authorities.js';
import { encodeDocumentRequest, encodeShareRequest, encodeSignatureRequest, MAX_DOCUMENT_RESPONSE_BYTES, PKI_PROTOCOLS } from '../../../runtime/pki/wire.js';
import { keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';
import { editAdmission } from '../../../node/authority/admission-list.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemoryNetwork } from '../../helpers/memory-host.js';

/** The manual clock's start (any time will do: the params are set from it). */
const T0 = 1_800_000_000_000;

const D = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Params whose epoch `first` started `intoMs` ago. */
function paramsNow(first: number, intoMs: number): NetworkParams {
  return { ...PARAMS, epochDurationMs: D, genesisMs: Date.now() - first * D - intoMs };
}

type Auth = TestAuthority;

/** Every fixture node these tests upload, admitted by each authority (admissions.toml, as `chaff node admit` writes it). */
const ADMITTED = [1, 2, 3, 4, 5, 6, 50, 51];

async function startAuthority(a: Auth, all: Auth[], params: NetworkParams, schedule?: { share: number; sign: number }): Promise<void> {
  admit(a, ADMITTED);
  await startService(a, all, params, schedule ? { schedule } : {});
}

const MIXES = [1, 2, 3, 4, 5];
const GATEWAYS = [50, 51];

describe('node/authority/authority-service (libp2p, 3 s epochs)', function () {
  this.timeout(30_000);
  let root: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'chaff-authority-'))));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('publishes one document signed by all; a leaver drops out; restarted authorities reload or adopt', async function () {
    const params = paramsNow(10, 100);
    const at = (epoch: number, f: number) => sleep(epochStart(epoch, params) + f * D - Date.now());
    const E = epochAt(Date.now(), params);
    const auths = await makeAuthorities(3, root);
    for (const a of auths) await startAuthority(a, auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const [A, B, C] = auths;
    const host = await clientHost();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), dataDir: join(root, 'node'), rpcTimeoutMs: 2000 });
    await client.start();
    const onlyA = new PkiClient({ host }, { authorities: [A.peer] });
    const watched: VerifiedDocument[] = [];
    const watcher = new DocumentWatcher({ source: client, clock: systemClock }, { epochs: params, onDocument: (d) => watched.push(d) });
    watcher.start();
    cleanup.push(async () => watcher.stop());

    // Epoch E: every node uploads its descriptor for E + 1; mix 5 reaches only A (sharing spreads it).
    for (const n of [...MIXES.filter((m) => m !== 5), ...GATEWAYS]) {
      const r = await client.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'));
      assert.equal(r.accepted, 3, JSON.stringify(r));
    }
    assert.equal((await onlyA.uploadDescriptor(signedFor(5, E + 1))).accepted, 1);
    const wrong = await client.uploadDescriptor(signedFor(6, E + 5));
    assert.deepEqual([wrong.accepted, wrong.refused.map((r) => r.reason)], [0, ['wrong-epoch', 'wrong-epoch', 'wrong-epoch']]);

    await at(E, 0.8);
    const served = await Promise.all(
      auths.map(async (a) =>
        decodeSignedDocument(await callRpc(host, a.peer.peerId, a.peer.addresses, PKI_PROTOCOLS.document, encodeDocumentRequest(E + 1), { maxResponseBytes: MAX_DOCUMENT_RESPONSE_BYTES })),
      ),
    );
    assert.equal(new Set(served.map((s) => toHex(s.document))).size, 1, 'the three authorities publish the same bytes');
    for (const s of served) assert.equal(s.signatures.length, 3);
    const first = (await client.fetchDocument(E + 1)).document;
    assert.equal(first.epoch, E + 1);
    assert.deepEqual(first.gateways.map((g) => g.name).sort(), ['node-50', 'node-51']);
    assert.deepEqual(
      first.layers
        .flat()
        .map((m) => m.name)
        .sort(),
      MIXES.map((m) => `node-${m}`),
      'mix 5 is in: shared by A',
    );
    for (const a of auths) assert.equal(a.service!.stats().documentsPublished, 1);
    assert.ok(A.service!.stats().sharesSent >= 2);

    // Epoch E + 1: C restarts early and reloads E + 1 from disk; mix 4 stops uploading;
    // B goes down before the signing and comes back after it.
    await at(E + 1, 0.05);
    await stopAuthority(C);
    await startAuthority(C, auths, params);
    assert.equal(C.service!.stats().documentsLoaded, 1);
    assert.deepEqual(C.service!.published(E + 1)!.document, served[0].document, 'C serves E + 1 again after its restart');
    for (const n of [1, 2, 3, 5, ...GATEWAYS]) assert.equal((await client.uploadDescriptor(signedFor(n, E + 2, n >= 50 ? 'gateway' : 'mix'))).accepted, 3);
    await at(E + 1, 0.6);
    await stopAuthority(B);
    await at(E + 1, 0.8);
    await startAuthority(B, auths, params);
    await at(E + 1, 0.95);

    const pa = A.service!.published(E + 2)!;
    const pc = C.service!.published(E + 2)!;
    assert.deepEqual(pa.document, pc.document);
    assert.equal(pa.signatures.length, 2, 'A and C signed; B was down');
    assert.equal(B.service!.stats().documentsAdopted, 1, 'B adopted the published document');
    assert.deepEqual(B.service!.published(E + 2)!.document, pa.document);
    const second = (await client.fetchDocument(E + 2)).document;
    assert.ok(!second.layers.flat().some((m) => m.name === 'node-4'), 'the node that stopped uploading is gone');
    // Built on the agreed document of E + 1 (layer continuity), by C after its restart too.
    const expected = buildDocument(
      E + 2,
      params,
      [1, 2, 3, 5, ...GATEWAYS].map((n) => signedFor(n, E + 2, n >= 50 ? 'gateway' : 'mix')),
      first,
    );
    assert.deepEqual(pa.document, encodeDocument(expected));
    const layerOf = (doc: typeof first, name: string) => doc.layers.findIndex((l) => l.some((m) => m.name === name));
    assert.ok([1, 2, 3, 5].filter((m) => layerOf(second, `node-${m}`) !== layerOf(first, `node-${m}`)).length <= 1, 'at most one mix moves');

    assert.deepEqual(
      watched.map((w) => w.epoch).filter((e) => e > E),
      [E + 1, E + 2],
      'the watcher delivered both documents',
    );
    const again = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), dataDir: join(root, 'node') });
    await again.start();
    assert.ok(again.cached(E + 1) && again.cached(E + 2), 'the client cache reloads from disk');
  });

  it('refuses garbage on every protocol, and share/signature from non-authorities, without crashing', async function () {
    const params = paramsNow(30, 100);
    const E = epochAt(Date.now(), params);
    const auths = await makeAuthorities(2, root); // auths[1] is played by a raw host below
    await startAuthority(auths[0], auths, params);
    cleanup.push(async () => stopAuthority(auths[0]));
    const svc = auths[0].service!;
    const peer = auths[0].peer;
    const rogue = await createHost({ privateKey: auths[1].key, listen: ['/ip4/127.0.0.1/tcp/0'] });
    const stranger = await clientHost();
    cleanup.push(
      async () => rogue.stop(),
      async () => stranger.stop(),
    );
    const call = (from: Host, p: keyof typeof PKI_PROTOCOLS, body: Uint8Array) =>
      callRpc(from, peer.peerId, peer.addresses, PKI_PROTOCOLS[p], body, { maxResponseBytes: MAX_DOCUMENT_RESPONSE_BYTES, timeoutMs: 2000 });
    const refused = async (p: Promise<unknown>, reason: RegExp) => assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === 'refused' && reason.test(e.message));
    const junk = crypto.getRandomValues(new Uint8Array(300));

    for (const p of ['descriptor', 'share', 'signature', 'document'] as const) {
      await refused(call(rogue, p, p === 'document' ? junk.subarray(0, 7) : junk), p === 'descriptor' ? /invalid/ : /malformed/);
      await refused(call(rogue, p, new Uint8Array(0)), /malformed/);
    }
    const share = encodeShareRequest({ epoch: E + 1, descriptors: [signedFor(1, E + 1)], views: [] });
    await refused(call(stranger, 'share', share), /not-authority/);
    await refused(call(stranger, 'signature', junk), /not-authority/);
    const self = { identityKey: peer.identityKey, signature: new Uint8Array(64) };
    await refused(call(rogue, 'signature', encodeSignatureRequest({ epoch: E + 1, document: Uint8Array.of(1), signature: self })), /wrong-signer/);
    const own = { identityKey: auths[1].peer.identityKey, signature: new Uint8Array(64).fill(7) };
    await refused(call(rogue, 'signature', encodeSignatureRequest({ epoch: E + 1, document: Uint8Array.of(1), signature: own })), /bad-signature/);
    await refused(call(rogue, 'signature', encodeSignatureRequest({ epoch: E + 9, document: Uint8Array.of(1), signature: own })), /wrong-epoch/);
    await refused(call(rogue, 'share', encodeShareRequest({ epoch: E + 7, descriptors: [], views: [] })), /wrong-epoch/);
    const bad = signedFor(2, E + 1);
    bad.signature[0] ^= 1;
    await refused(call(stranger, 'descriptor', new Uint8Array([...bad.bytes, ...bad.signature])), /invalid/);
    await refused(call(stranger, 'document', encodeDocumentRequest(E + 1)), /not published yet/);
    // Beyond the bound: the server aborts the stream before reading the body.
    await assert.rejects(call(stranger, 'document', junk), (e: unknown) => e instanceof RpcError && e.code !== 'refused');
    // A raw stream announcing a body far beyond the bound.
    const raw = await stranger.dialProtocol(
      peer.addresses.map((a) => multiaddr(`${a}/p2p/${peer.peerId}`)),
      PKI_PROTOCOLS.document,
    );
    raw.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3));
    await sleep(200);
    raw.abort(new Error('done'));

    assert.equal(await call(rogue, 'share', share).then(() => 'ok'), 'ok', 'a configured authority may share');
    const s = svc.stats();
    assert.equal(s.descriptorsRefused.malformed, 1);
    assert.equal(s.descriptorsRefused.invalid, 2);
    assert.deepEqual(s.sharesRefused, { 'not-authority': 1, malformed: 2, 'wrong-epoch': 1 });
    assert.deepEqual(s.signaturesRefused, { 'not-authority': 1, malformed: 2, 'wrong-epoch': 1, 'wrong-signer': 1, 'bad-signature': 1, mismatch: 0 });
    assert.deepEqual(s.documentRequestsRefused, { malformed: 2, 'not-published': 1 });
    assert.equal(s.rpc.document.drops.oversize, 2);
    assert.equal(s.sharesReceived, 1);
  });
});

describe('node/authority/authority-service (in memory, manual clock, 3 s epochs)', function () {
  this.timeout(30_000);
  let root: string;
  let network: MemoryNetwork;
  let clock: ManualClock;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chaff-authority-'));
    network = new MemoryNetwork();
    clock = new ManualClock(T0);
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  /** Params whose epoch `first` started `intoMs` before the clock's now. */
  const paramsAt = (first: number, intoMs: number): NetworkParams => ({ ...PARAMS, epochDurationMs: D, genesisMs: clock.now() - first * D - intoMs });

  /**
   * Moves the clock to `toMs` in steps of a sixtieth of an epoch, letting the
   * calls each step starts (in-memory streams, files) run before the next:
   * the schedule's steps then happen in the order and at the epoch fractions
   * they would on a wall clock, in a fraction of the time.
   */
  async function advanceTo(toMs: number): Promise<void> {
    while (clock.now() < toMs) {
      clock.advanceTo(Math.min(toMs, clock.now() + D / 60));
      // A timers turn and a check turn: the calls, file reads and writes a step started get the time they take on a loaded machine.
      await sleep(10);
      await new Promise((r) => setImmediate(r));
    }
  }

  async function startAuthority(a: Auth, all: Auth[], params: NetworkParams, schedule?: { share: number; sign: number }): Promise<void> {
    admit(a, ADMITTED);
    await startService(a, all, params, { clock, ...(schedule ? { schedule } : {}) });
  }

  it('publishes with 2 of 3 when one authority never comes up', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const auths = await makeMemoryAuthorities(3, root, network);
    for (const a of auths.slice(0, 2)) await startAuthority(a, auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 1000 });
    for (const n of [1, 2, 3, 50]) {
      const r = await client.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'));
      assert.deepEqual([r.accepted, r.failed.length], [2, 1]);
    }
    await advanceTo(epochStart(E, params) + 0.8 * D);
    const got = await client.fetchDocument(E + 1);
    assert.equal(got.signed.signatures.length, 2);
    assert.equal(got.document.layers.flat().length, 3);
    assert.equal(auths[0].service!.stats().shareFailures, 1, 'sharing with the missing authority failed');
    await advanceTo(epochStart(E, params) + 0.95 * D);
    assert.equal(auths[0].service!.stats().signatureFailures, 1, 'so did sending it the signature, after retries');
    assert.equal(auths[0].service!.stats().signaturesSent, 1);
  });

  it('a descriptor uploaded to one authority after it shared reaches the other through the share reply', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const auths = await makeMemoryAuthorities(3, root, network);
    await startAuthority(auths[0], auths, params, { share: 0.6, sign: 0.7 }); // shares late
    await startAuthority(auths[1], auths, params, { share: 0.4, sign: 0.7 }); // shares early
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const both = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 1000 });
    for (const n of [1, 2, 3, 50]) await both.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'));
    // After authority 1 pushed its share (40 %) and before authority 0 shares (60 %): node 4 reaches authority 1 only.
    await advanceTo(epochStart(E, params) + 0.5 * D);
    const onlyB = new PkiClient({ host }, { authorities: [auths[1].peer], rpcTimeoutMs: 1000 });
    assert.equal((await onlyB.uploadDescriptor(signedFor(4, E + 1))).accepted, 1);
    await advanceTo(epochStart(E, params) + 0.85 * D);
    // Authority 0 learnt node 4 from authority 1's reply, so both built and signed the same document.
    const got = await both.fetchDocument(E + 1);
    assert.equal(got.signed.signatures.length, 2);
    assert.ok(got.document.layers.flat().some((e) => e.name === 'node-4'));
  });

  it('an upload to one authority after both share exchanges is refused too-late, so both still build and sign one document', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const auths = await makeMemoryAuthorities(2, root, network); // both must sign: a split round publishes nothing
    for (const a of auths) await startAuthority(a, auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const both = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 1000 });
    for (const n of [1, 2, 3, 50]) assert.equal((await both.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'))).accepted, 2);
    // Both shared at 50 % (each sent its share and answered the other's): node 4 arrives at authority 0 only.
    await advanceTo(epochStart(E, params) + 0.6 * D);
    assert.deepEqual([auths[0].service!.stats().sharesSent, auths[0].service!.stats().sharesReceived], [1, 1]);
    const onlyA = new PkiClient({ host }, { authorities: [auths[0].peer], rpcTimeoutMs: 1000 });
    const late = await onlyA.uploadDescriptor(signedFor(4, E + 1));
    assert.equal(late.accepted, 0);
    assert.deepEqual(
      late.refused.map((r) => r.reason),
      ['too-late'],
    );
    assert.equal(auths[0].service!.stats().descriptorsRefused['too-late'], 1);
    // A node whose clock is ahead already uploads for E + 2: wrong-epoch (which it retries), not too-late.
    const early = await onlyA.uploadDescriptor(signedFor(5, E + 2));
    assert.deepEqual(
      early.refused.map((r) => r.reason),
      ['wrong-epoch'],
    );
    await advanceTo(epochStart(E, params) + 0.85 * D);
    const got = await both.fetchDocument(E + 1);
    assert.equal(got.signed.signatures.length, 2, 'both signed the same bytes');
    assert.ok(!got.document.layers.flat().some((e) => e.name === 'node-4'), 'the late node waits for the next epoch');
  });

  it('a restarted authority still holds the descriptors it accepted, and builds with them', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const auths = await makeMemoryAuthorities(3, root, network);
    await startAuthority(auths[0], auths, params);
    cleanup.push(async () => Promise.all(auths.map(stopAuthority)));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const onlyA = new PkiClient({ host }, { authorities: [auths[0].peer], rpcTimeoutMs: 1000 });
    for (const n of [1, 2, 3, 50, 51]) assert.equal((await onlyA.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'))).accepted, 1);
    await stopAuthority(auths[0]);
    await startAuthority(auths[0], auths, params);
    assert.equal(auths[0].service!.stats().descriptorsReloaded, 5);
    await startAuthority(auths[1], auths, params); // holds nothing of its own: learns them by sharing
    const both = new PkiClient({ host }, { authorities: auths.map((a) => a.peer), rpcTimeoutMs: 1000 });
    await advanceTo(epochStart(E, params) + 0.85 * D);
    const got = await both.fetchDocument(E + 1);
    assert.equal(got.document.layers.flat().length, 3);
    assert.equal(got.document.gateways.length, 2);
  });

  it('admits a node while it runs: the operator edits the admission list and the next upload is kept; refusals are logged once per node', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const [a] = await makeMemoryAuthorities(1, root, network);
    admit(a, [1, 50]);
    const logger = memoryLogger();
    await startService(a, [a], params, { admissionRefreshMs: 0, logger, clock });
    const logged = (): Array<{ message: string; fields?: Record<string, unknown> }> => logger.records.map((r) => ({ message: r.msg, fields: r.fields }));
    cleanup.push(async () => stopAuthority(a));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: [a.peer], rpcTimeoutMs: 1000 });
    for (const n of [1, 50]) assert.equal((await client.uploadDescriptor(signedFor(n, E + 1, n >= 50 ? 'gateway' : 'mix'))).accepted, 1);
    const refused = await client.uploadDescriptor(signedFor(7, E + 1));
    assert.deepEqual(
      refused.refused.map((r) => r.reason),
      ['not-admitted'],
    );
    await client.uploadDescriptor(signedFor(7, E + 1));
    const lines = logged().filter((l) => /descriptor refused: not admitted/.test(l.message));
    assert.equal(lines.length, 1, 'logged once for the node this epoch');
    assert.equal(lines[0].fields!.identity, toHex(keyFor(7).publicKey));
    assert.equal(a.service!.stats().descriptorsRefused['not-admitted'], 2);

    await editAdmission(join(a.dir, 'admissions.toml'), toHex(keyFor(7).publicKey), { status: 'admitted', role: 'mix' }, new Date());
    assert.equal((await client.uploadDescriptor(signedFor(7, E + 1))).accepted, 1, 'admitted without a restart');
    assert.equal(a.service!.stats().admission.admitted, 3);
    await advanceTo(epochStart(E, params) + 0.85 * D);
    const doc = (await client.fetchDocument(E + 1)).document;
    assert.deepEqual(
      doc.layers
        .flat()
        .map((m) => m.name)
        .sort(),
      ['node-1', 'node-7'],
    );
  });

  it('reloads the round log after a restart, ignoring a torn last record', async function () {
    const params = paramsAt(20, 200);
    const E = epochAt(clock.now(), params);
    const [a] = await makeMemoryAuthorities(1, root, network);
    admit(a, [1, 2, 3]);
    await startService(a, [a], params, { clock });
    cleanup.push(async () => stopAuthority(a));
    const host = await network.host();
    cleanup.push(async () => host.stop());
    const client = new PkiClient({ host }, { authorities: [a.peer], rpcTimeoutMs: 1000 });
    for (const n of [1, 2, 3]) assert.equal((await client.uploadDescriptor(signedFor(n, E + 1))).accepted, 1);
    await a.service!.flushed();
    const s = a.service!.stats().roundLog;
    assert.equal(s.recordsAppended, 3);
    await stopAuthority(a);
    await appendFile(join(a.dir, 'descriptors', `${E + 1}.log`), Uint8Array.of(1, 0, 0, 9, 0, 7, 7)); // a record cut short by a crash
    await startService(a, [a], params, { clock });
    assert.equal(a.service!.stats().descriptorsReloaded, 3);
  });
});
