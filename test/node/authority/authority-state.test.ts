// Three authorities driven as the network drives them: uploads, descriptor
// sharing, signing, signature exchange; with one offline, one lying, and a
// node that stops sending descriptors.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { decodeDocument } from '../../../protocol/pki/document.js';
import { verifyDocument } from '../../../protocol/pki/signatures.js';
import { AuthorityState, type AdmissionSource, type StoredItem } from '../../../node/authority/authority-state.js';
import { signAdmissionView, type AdmissionEntry } from '../../../protocol/pki/admission.js';
import type { NodeRole } from '../../../protocol/pki/descriptor.js';
import { keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const AUTH = [101, 102, 103].map(keyFor);
const AUTH_KEYS = AUTH.map((k) => k.publicKey);
const at = (epoch: number, offsetMs = 0) => PARAMS.genesisMs + epoch * PARAMS.epochDurationMs + offsetMs;

/** An admission list of fixture node labels (role: any), changeable by the test. */
class Admits implements AdmissionSource {
  constructor(public labels: Set<number>) {}
  admits(identityKey: Uint8Array, _role: NodeRole): boolean {
    return [...this.labels].some((l) => toHex(keyFor(l).publicKey) === toHex(identityKey));
  }
  entries(): AdmissionEntry[] {
    return [...this.labels].map((l) => ({ identityKey: keyFor(l).publicKey, role: null }));
  }
}

/** Every fixture node the tests upload. */
const ADMITTED = [1, 2, 3, 4, 5, 6, 7, 50, 51];

function authorities(admitted: number[][] = AUTH.map(() => ADMITTED), maxDescriptorsPerEpoch?: number) {
  return AUTH.map((identity, i) => new AuthorityState({ identity, authorityKeys: AUTH_KEYS, params: PARAMS, admission: new Admits(new Set(admitted[i])), maxDescriptorsPerEpoch }));
}

/** The share step between every pair of `online` authorities: views and descriptors, both ways. */
function share(auths: AuthorityState[], online: number[], epoch: number, now: number) {
  for (const i of online) auths[i].ownView(epoch);
  for (const i of online) {
    for (const j of online) {
      if (i === j) continue;
      for (const v of auths[i].viewsFor(epoch)) auths[j].addView(v, now);
      auths[j].mergeDescriptors(auths[i].descriptorsFor(epoch), now);
    }
  }
}

/** One full round for `epoch` among the `online` authorities; returns what each published. */
function round(auths: AuthorityState[], online: number[], epoch: number, uploads: Array<[number, number[]]>) {
  const now = at(epoch - 1, 1000);
  for (const [label, to] of uploads) for (const i of to) if (online.includes(i)) auths[i].addDescriptor(signedFor(label, epoch, label >= 50 ? 'gateway' : 'mix'), now);
  share(auths, online, epoch, now);
  const signed = online.map((i) => auths[i].sign(epoch));
  for (const [k, i] of online.entries()) for (const j of online) if (i !== j) auths[j].addSignature(epoch, signed[k].document, signed[k].signature);
  return online.map((i) => auths[i].published(epoch));
}

const ALL = [0, 1, 2];
const NODES = [1, 2, 3, 4, 5, 6, 50, 51];

describe('directory authorities (state and rules)', function () {
  it('three authorities publish the same document, signed by all three', function () {
    const auths = authorities();
    const published = round(
      auths,
      ALL,
      5,
      NODES.map((n) => [n, ALL]),
    );
    assert.ok(published.every((p) => p !== null));
    assert.equal(new Set(published.map((p) => toHex(p!.document))).size, 1);
    const doc = verifyDocument(published[0]!, AUTH_KEYS);
    assert.equal(doc.epoch, 5);
    assert.equal(doc.gateways.length, 2);
    assert.deepEqual(
      doc.layers.map((l) => l.length),
      [2, 2, 2],
    );
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
    const published = round(
      auths,
      [0, 1],
      5,
      NODES.map((n) => [n, ALL]),
    );
    assert.equal(published[0]!.signatures.length, 2);
    verifyDocument(published[0]!, AUTH_KEYS);
  });

  it('one authority signing a different document: its signature does not count, the majority publishes', function () {
    const auths = authorities();
    const now = at(4, 1000);
    for (const n of NODES) for (const i of ALL) auths[i].addDescriptor(signedFor(n, 5, n >= 50 ? 'gateway' : 'mix'), now);
    auths[2].addDescriptor(signedFor(7, 5), now); // only the liar holds node 7 and it does not share
    for (const a of auths) a.ownView(5);
    for (const a of auths) for (const b of auths) if (a !== b) for (const v of a.viewsFor(5)) b.addView(v, now); // admission views only
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
    const first = round(
      auths,
      ALL,
      5,
      NODES.map((n) => [n, ALL]),
    )[0]!;
    const second = round(
      auths,
      ALL,
      6,
      NODES.filter((n) => n !== 3).map((n) => [n, ALL]),
    )[0]!;
    const before = decodeDocument(first.document);
    const after = decodeDocument(second.document);
    const names = (d: typeof after) => d.layers.map((l) => l.map((e) => e.name));
    assert.ok(!names(after).flat().includes('node-3'));
    const sizes = after.layers.map((l) => l.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    for (const [i, layer] of names(before).entries()) {
      for (const n of layer)
        if (n !== 'node-3')
          assert.ok(
            names(after).some((l) => l.includes(n)),
            n,
          );
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
    const published = round(
      auths,
      [0, 1],
      5,
      NODES.map((n) => [n, ALL]),
    )[0]!;
    const doc = auths[2].adopt(published);
    assert.equal(doc.epoch, 5);
    assert.throws(() => auths[2].adopt({ document: published.document, signatures: published.signatures.slice(0, 1) }));
    const next = round(
      auths,
      ALL,
      6,
      NODES.map((n) => [n, ALL]),
    );
    assert.equal(new Set(next.map((p) => toHex(p!.document))).size, 1, 'all three agree again');
  });

  describe('admission (a majority of the authorities must admit a node)', function () {
    const names = (p: ReturnType<typeof round>[number]) =>
      decodeDocument(p!.document)
        .layers.flat()
        .map((e) => e.name)
        .concat(decodeDocument(p!.document).gateways.map((e) => e.name))
        .sort();

    it('refuses uploads from identities this authority does not admit, before keeping anything', function () {
      const [a] = authorities([[1, 50], [], []]);
      const now = at(4, 1000);
      assert.equal(a.addDescriptor(signedFor(9, 5), now), 'not-admitted');
      assert.equal(a.addDescriptor(signedFor(1, 5), now), null);
      assert.deepEqual(a.descriptorsFor(5).length, 1);
    });

    it('a node admitted by one authority alone never enters the document; admitted by two of three, it does, and all three build the same bytes', function () {
      // Node 8 is admitted by authority 0 only (a dishonest or careless one); node 9 by 1 and 2 only.
      const base = [1, 2, 3, 4, 5, 6, 50, 51];
      const auths = authorities([
        [...base, 8],
        [...base, 9],
        [...base, 9],
      ]);
      const published = round(
        auths,
        ALL,
        5,
        [...base, 8, 9].map((n) => [n, ALL]),
      );
      assert.equal(new Set(published.map((p) => toHex(p!.document))).size, 1, 'one document, signed by all');
      assert.equal(published[0]!.signatures.length, 3);
      const listed = names(published[0]);
      assert.ok(!listed.includes('node-8'), 'admitted by one authority only');
      assert.ok(listed.includes('node-9'), 'admitted by a majority, though not by authority 0');
      assert.equal(listed.length, base.length + 1);
    });

    it('an admission binds the role: a node admitted as a gateway cannot enter as a mix', function () {
      const auths = authorities();
      const gatewayOnly = {
        admits: (k: Uint8Array, role: NodeRole) => toHex(k) === toHex(keyFor(7).publicKey) && role === 'gateway',
        entries: (): AdmissionEntry[] => [{ identityKey: keyFor(7).publicKey, role: 'gateway' }],
      };
      const a = new AuthorityState({ identity: AUTH[0], authorityKeys: AUTH_KEYS, params: PARAMS, admission: gatewayOnly });
      assert.equal(a.addDescriptor(signedFor(7, 5, 'mix'), at(4, 1000)), 'not-admitted');
      assert.equal(a.addDescriptor(signedFor(7, 5, 'gateway'), at(4, 1000)), null);
      void auths;
    });

    it('bounds the descriptors held per epoch, for uploads and shares alike; a new version of a held node still replaces it', function () {
      const auths = authorities(undefined, 3);
      const now = at(4, 1000);
      for (const n of [1, 2, 3]) assert.equal(auths[0].addDescriptor(signedFor(n, 5), now), null);
      assert.equal(auths[0].addDescriptor(signedFor(4, 5), now), 'full');
      assert.equal(auths[0].addDescriptor(signedFor(1, 5, 'mix', 2), now), null, 'a held node may update');
      for (const n of [4, 5, 6]) auths[1].addDescriptor(signedFor(n, 5), now);
      const merged = auths[0].mergeShared(auths[1].descriptorsFor(5), now);
      assert.deepEqual(merged, { kept: 0, refused: { full: 3 } });
      assert.equal(auths[0].descriptorsFor(5).length, 3);
    });

    it('a share from one authority cannot make another keep nodes only it admits', function () {
      const auths = authorities([[1], [1, 20, 21, 22], [1]]);
      const now = at(4, 1000);
      for (const n of [20, 21, 22]) assert.equal(auths[1].addDescriptor(signedFor(n, 5), now), null);
      share(auths, ALL, 5, now);
      assert.equal(auths[0].descriptorsFor(5).length, 0);
      assert.deepEqual(auths[0].mergeShared(auths[1].descriptorsFor(5), now).refused, { 'not-admitted': 3 });
    });

    it('keeps one view per configured authority, chosen the same way everywhere; refuses views by strangers and for other epochs', function () {
      const auths = authorities();
      const now = at(4, 1000);
      const stranger = keyFor(200);
      assert.equal(auths[0].addView(signAdmissionView({ epoch: 5, authorityKey: stranger.publicKey, entries: [] }, stranger), now), 'not-authority');
      assert.equal(auths[0].addView(signAdmissionView({ epoch: 6, authorityKey: AUTH[1].publicKey, entries: [] }, AUTH[1]), now), 'wrong-epoch');
      const bad = signAdmissionView({ epoch: 5, authorityKey: AUTH[1].publicKey, entries: [] }, AUTH[1]);
      bad.signature[0] ^= 1;
      assert.equal(auths[0].addView(bad, now), 'invalid');
      // Authority 1 equivocates: two different views for epoch 5.
      const v1 = signAdmissionView({ epoch: 5, authorityKey: AUTH[1].publicKey, entries: [{ identityKey: keyFor(1).publicKey, role: null }] }, AUTH[1]);
      const v2 = signAdmissionView({ epoch: 5, authorityKey: AUTH[1].publicKey, entries: [{ identityKey: keyFor(2).publicKey, role: null }] }, AUTH[1]);
      assert.equal(auths[0].addView(v1, now), null);
      assert.equal(auths[0].addView(v2, now), null);
      assert.equal(auths[2].addView(v2, now), null);
      assert.equal(auths[2].addView(v1, now), null);
      const held = (a: AuthorityState) =>
        a
          .viewsFor(5)
          .map((v) => toHex(v.bytes))
          .sort();
      assert.deepEqual(held(auths[0]), held(auths[2]), 'the same view kept whatever the order');
    });

    it('restores a round from what it stored: own view, views and shared descriptors, and its own view stays fixed', function () {
      const stored: Array<{ epoch: number; item: StoredItem }> = [];
      const admission = new Admits(new Set([1, 2]));
      const a = new AuthorityState({ identity: AUTH[0], authorityKeys: AUTH_KEYS, params: PARAMS, admission, onStored: (epoch, item) => stored.push({ epoch, item }) });
      const others = authorities([[], [3], [3]]);
      const now = at(4, 1000);
      a.addDescriptor(signedFor(1, 5), now);
      const own = a.ownView(5);
      others[1].ownView(5);
      others[2].ownView(5);
      for (const v of [...others[1].viewsFor(5), ...others[2].viewsFor(5)]) a.addView(v, now);
      assert.equal(a.mergeShared([signedFor(3, 5)], now).kept, 1, 'node 3: admitted by authorities 1 and 2');
      assert.deepEqual(
        stored.map((s) => ('view' in s.item ? 'view' : 'descriptor')),
        ['descriptor', 'view', 'view', 'view', 'descriptor'],
      );
      admission.labels = new Set([2]); // the operator suspends node 1 afterwards
      const b = new AuthorityState({ identity: AUTH[0], authorityKeys: AUTH_KEYS, params: PARAMS, admission });
      const restored = b.restore(
        stored.map((s) => s.item),
        now,
      );
      assert.deepEqual(restored, { descriptors: 1, views: 3 }, 'node 1 is no longer admitted here; node 3 still is by the majority');
      assert.deepEqual(b.ownView(5), own, 'the view signed before the restart stays the one for this round');
    });
  });
});
