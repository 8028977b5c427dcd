// Three authorities driven as the network drives them: uploads, descriptor
// sharing, signing, signature exchange; with one offline, one lying, and a
// node that stops sending descriptors.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { decodeDocument } from '../../../protocol/pki/document.js';
import { verifyDocument } from '../../../protocol/pki/signatures.js';
import { AuthorityState } from '../../../node/authority/authority-state.js';
import { keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const AUTH = [101, 102, 103].map(keyFor);
const AUTH_KEYS = AUTH.map((k) => k.publicKey);
const at = (epoch: number, offsetMs = 0) => PARAMS.genesisMs + epoch * PARAMS.epochDurationMs + offsetMs;

function authorities() {
  return AUTH.map((identity) => new AuthorityState({ identity, authorityKeys: AUTH_KEYS, params: PARAMS }));
}

/** One full round for `epoch` among the `online` authorities; returns what each published. */
function round(auths: AuthorityState[], online: number[], epoch: number, uploads: Array<[number, number[]]>) {
  const now = at(epoch - 1, 1000);
  for (const [label, to] of uploads) for (const i of to) if (online.includes(i)) auths[i].addDescriptor(signedFor(label, epoch, label >= 50 ? 'gateway' : 'mix'), now);
  for (const i of online) for (const j of online) if (i !== j) auths[j].mergeDescriptors(auths[i].descriptorsFor(epoch), now);
  const signed = online.map((i) => auths[i].sign(epoch));
  for (const [k, i] of online.entries()) for (const j of online) if (i !== j) auths[j].addSignature(epoch, signed[k].document, signed[k].signature);
  return online.map((i) => auths[i].published(epoch));
}

const ALL = [0, 1, 2];
const NODES = [1, 2, 3, 4, 5, 6, 50, 51];

describe('directory authorities (state and rules)', function () {
  it('three authorities publish the same document, signed by all three', function () {
    const auths = authorities();
    const published = round(auths, ALL, 5, NODES.map((n) => [n, ALL]));
    assert.ok(published.every((p) => p !== null));
    assert.equal(new Set(published.map((p) => toHex(p!.document))).size, 1);
    const doc = verifyDocument(published[0]!, AUTH_KEYS);
    assert.equal(doc.epoch, 5);
    assert.equal(doc.gateways.length, 2);
    assert.deepEqual(doc.layers.map((l) => l.length), [2, 2, 2]);
    assert.equal(published[0]!.signatures.length, 3);
  });

  it('an upload that reached one authority is shared with the others', function () {
    const auths = authorities();
    const uploads: Array<[number, number[]]> = NODES.map((n) => [n, n === 6 ? [2] : ALL]);
    const published = round(auths, ALL, 5, uploads);
    const doc = decodeDocument(published[0]!.document);
    assert.equal(doc.layers.flat().length, 6, 'node 6 is in');
  });

  it('one authority offline: the other two still reach the threshold', function () {
    const auths = authorities();
    const published = round(auths, [0, 1], 5, NODES.map((n) => [n, ALL]));
    assert.equal(published[0]!.signatures.length, 2);
    verifyDocument(published[0]!, AUTH_KEYS);
  });

  it('one authority signing a different document: its signature does not count, the majority publishes', function () {
    const auths = authorities();
    const now = at(4, 1000);
    for (const n of NODES) for (const i of ALL) auths[i].addDescriptor(signedFor(n, 5, n >= 50 ? 'gateway' : 'mix'), now);
    auths[2].addDescriptor(signedFor(7, 5), now); // only the liar holds node 7 and it does not share
    const honest = [auths[0].sign(5), auths[1].sign(5)];
    const liar = auths[2].sign(5);
    assert.notEqual(toHex(liar.document), toHex(honest[0].document));
    assert.equal(auths[0].addSignature(5, liar.document, liar.signature), false);
    assert.equal(auths[0].addSignature(5, honest[1].document, honest[1].signature), true);
    assert.equal(auths[2].addSignature(5, honest[0].document, honest[0].signature), false);
    assert.ok(auths[0].published(5));
    assert.equal(auths[2].published(5), null, 'the liar alone never reaches the threshold');
  });

  it('a document with one signature is not published and is refused by verifiers', function () {
    const auths = authorities();
    const now = at(4, 1000);
    for (const n of NODES) auths[0].addDescriptor(signedFor(n, 5, n >= 50 ? 'gateway' : 'mix'), now);
    const alone = auths[0].sign(5);
    assert.equal(auths[0].published(5), null);
    assert.throws(() => verifyDocument({ document: alone.document, signatures: [alone.signature] }, AUTH_KEYS), /1 valid/);
  });

  it('a node that stops sending descriptors drops out of the next epoch; layers stay balanced and stable', function () {
    const auths = authorities();
    const first = round(auths, ALL, 5, NODES.map((n) => [n, ALL]))[0]!;
    const second = round(auths, ALL, 6, NODES.filter((n) => n !== 3).map((n) => [n, ALL]))[0]!;
    const before = decodeDocument(first.document);
    const after = decodeDocument(second.document);
    const names = (d: typeof after) => d.layers.map((l) => l.map((e) => e.name));
    assert.ok(!names(after).flat().includes('node-3'));
    const sizes = after.layers.map((l) => l.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    for (const [i, layer] of names(before).entries()) {
      for (const n of layer) if (n !== 'node-3') assert.ok(names(after).some((l) => l.includes(n)), n);
      assert.ok(names(after)[i].filter((n) => layer.includes(n)).length >= layer.length - 1, 'most mixes keep their layer');
    }
  });

  it('refuses descriptors that are invalid, for the wrong epoch, late or older', function () {
    const [a] = authorities();
    const now = at(4, 1000);
    assert.equal(a.addDescriptor(signedFor(1, 7), now), 'wrong-epoch');
    const bad = signedFor(1, 5);
    assert.equal(a.addDescriptor({ ...bad, signature: new Uint8Array(64) }, now), 'invalid');
    assert.equal(a.addDescriptor(signedFor(1, 5, 'mix', 2), now), null);
    assert.equal(a.addDescriptor(signedFor(1, 5, 'mix', 1), now), 'older-version');
    a.sign(5);
    assert.equal(a.addDescriptor(signedFor(2, 5), now), 'too-late');
  });

  it('an authority that was offline adopts the published document (verified) and builds on it', function () {
    const auths = authorities();
    const published = round(auths, [0, 1], 5, NODES.map((n) => [n, ALL]))[0]!;
    const doc = auths[2].adopt(published);
    assert.equal(doc.epoch, 5);
    assert.throws(() => auths[2].adopt({ document: published.document, signatures: published.signatures.slice(0, 1) }));
    const next = round(auths, ALL, 6, NODES.map((n) => [n, ALL]));
    assert.equal(new Set(next.map((p) => toHex(p!.document))).size, 1, 'all three agree again');
  });
});
