import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { signDescriptor } from '../../../protocol/pki/descriptor.js';
import { buildDocument, decodeDocument, documentDigest, DocumentError, encodeDocument, selectDescriptors, type Document } from '../../../protocol/pki/document.js';
import { nodeIdOf } from '../../../protocol/pki/node-id.js';
import { descriptorFor, keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const EPOCH = 10;

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const mixes = (labels: number[], epoch = EPOCH) => labels.map((l) => signedFor(l, epoch));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sizes = (doc: Document) => doc.layers.map((l) => l.length);
const layerOf = (doc: Document) => {
  const m = new Map<string, number>();
  doc.layers.forEach((l, i) => l.forEach((e) => m.set(toHex(e.identityKey), i)));
  return m;
};
const balanced = (doc: Document) => Math.max(...sizes(doc)) - Math.min(...sizes(doc)) <= 1;

describe('pki: document', () => {
  it('pins the canonical bytes of one document', () => {
    const doc = buildDocument(EPOCH, PARAMS, [...mixes([1, 2, 3, 4]), signedFor(50, EPOCH, 'gateway')]);
    const bytes = encodeDocument(doc);
    const text = new TextDecoder().decode(bytes);
    assert.ok(text.startsWith('{"epoch":10,"gateways":[{"addresses":["/ip4/10.0.0.50/tcp/4000"],"identityKey":"'));
    assert.ok(
      text.endsWith(
        '"params":{"epochDurationMs":1200000,"genesisMs":1700000000000,"geometry":{"nike":"X25519","nrHops":5,' +
          '"userForwardPayloadLength":2000,"withSURB":true},"lambdaD":0.25,"lambdaL":0.25,"lambdaM":0.1,"lambdaP":1.5,' +
          '"layers":3,"mu":2},"version":1}',
      ),
    );
    assert.equal(toHex(documentDigest(bytes)), '9f782e155887a3987ee0977af480d8f88fba18c5c3bc9db7ffec9323d68fea7d');
  });

  it('round-trips and refuses non-canonical or tampered bytes', () => {
    const doc = buildDocument(EPOCH, PARAMS, [...mixes([1, 2, 3, 4, 5]), signedFor(50, EPOCH, 'gateway')]);
    const bytes = encodeDocument(doc);
    assert.deepEqual(decodeDocument(bytes), doc);
    const text = new TextDecoder().decode(bytes);
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.throws(() => decodeDocument(enc(text + '\n')), DocumentError);
    assert.throws(() => decodeDocument(enc(text.replace('"mu":2', '"mu":-2'))), DocumentError);
    assert.throws(() => decodeDocument(enc(text.replace('"layers":3', '"layers":2'))), DocumentError);
    // A node id that does not match its identity key.
    const id = toHex(doc.layers[0][0].nodeId);
    assert.throws(() => decodeDocument(enc(text.replace(id, '00'.repeat(32)))), DocumentError);
  });

  it('is deterministic whatever the order of the descriptors', () => {
    const input = [...mixes(range(1, 20)), signedFor(40, EPOCH, 'gateway'), signedFor(41, EPOCH, 'gateway'), signedFor(3, EPOCH, 'mix', 2)];
    const reference = encodeDocument(buildDocument(EPOCH, PARAMS, input));
    for (let seed = 1; seed < 6; seed++) {
      assert.deepEqual(encodeDocument(buildDocument(EPOCH, PARAMS, shuffle(input, seed))), reference);
    }
  });

  it('lists gateways and each layer sorted by node id, mixes balanced', () => {
    const doc = buildDocument(EPOCH, PARAMS, [...mixes(range(1, 11)), signedFor(40, EPOCH, 'gateway')]);
    assert.deepEqual(sizes(doc).sort(), [3, 3, 4]);
    assert.equal(doc.gateways.length, 1);
    for (const list of [doc.gateways, ...doc.layers]) {
      const ids = list.map((e) => toHex(e.nodeId));
      assert.deepEqual(ids, [...ids].sort());
    }
    const entry = doc.gateways[0];
    assert.deepEqual(entry.nodeId, nodeIdOf(keyFor(40).publicKey));
    assert.deepEqual(entry.sphinxKeys.current, descriptorFor(40, EPOCH).sphinxKeys.get(EPOCH));
    assert.deepEqual(entry.sphinxKeys.next, descriptorFor(40, EPOCH).sphinxKeys.get(EPOCH + 1));
  });

  it('keeps previous layers and stays balanced when mixes join', () => {
    const prev = buildDocument(EPOCH, PARAMS, mixes(range(1, 10)));
    const next = buildDocument(EPOCH + 1, PARAMS, mixes(range(1, 15), EPOCH + 1), prev);
    assert.ok(balanced(next));
    const before = layerOf(prev);
    const after = layerOf(next);
    for (const [k, i] of before) assert.equal(after.get(k), i, 'a mix that stayed kept its layer');
    assert.equal(after.size, 14);
  });

  it('rebalances with few moves when mixes leave, and drops absent nodes', () => {
    const prev = buildDocument(EPOCH, PARAMS, mixes(range(1, 13)));
    // Empty layer 0 entirely: every mix that was there stops sending descriptors.
    const gone = new Set(prev.layers[0].map((e) => toHex(e.identityKey)));
    const staying = range(1, 13).filter((l) => !gone.has(toHex(keyFor(l).publicKey)));
    const next = buildDocument(EPOCH + 1, PARAMS, mixes(staying, EPOCH + 1), prev);
    assert.ok(balanced(next), `sizes ${sizes(next)}`);
    const after = layerOf(next);
    for (const k of gone) assert.equal(after.has(k), false, 'a node without a descriptor is not in the document');
    const before = layerOf(prev);
    let moved = 0;
    for (const [k, i] of after) if (before.get(k) !== i) moved++;
    assert.equal(moved, 2, 'only the moves needed to rebalance 0/4/4 into 2/3/3 (or 3/3/2)');
  });

  it('excludes descriptors with bad signatures or for another epoch', () => {
    const good = signedFor(1, EPOCH);
    const badSig = signedFor(2, EPOCH);
    badSig.signature = Uint8Array.from(badSig.signature);
    badSig.signature[5] ^= 0x40;
    const stolen = { bytes: signedFor(3, EPOCH).bytes, signature: signedFor(4, EPOCH).signature };
    const wrongEpoch = signedFor(5, EPOCH + 1);
    const { accepted, rejected } = selectDescriptors(EPOCH, [good, badSig, stolen, wrongEpoch]);
    assert.deepEqual(
      accepted.map((d) => d.name),
      ['node-1'],
    );
    assert.equal(rejected.length, 3);
    const doc = buildDocument(EPOCH, PARAMS, [good, badSig, stolen, wrongEpoch]);
    assert.equal(doc.layers.flat().length, 1);
  });

  it('keeps one descriptor per identity: highest version, then lowest digest', () => {
    const v1 = signedFor(1, EPOCH, 'mix', 1);
    const v2 = signDescriptor({ ...descriptorFor(1, EPOCH, 'mix', 2), name: 'renamed' }, keyFor(1));
    const doc = buildDocument(EPOCH, PARAMS, [v2, v1, v1]);
    assert.deepEqual(
      doc.layers.flat().map((e) => e.name),
      ['renamed'],
    );
    const a = signDescriptor({ ...descriptorFor(1, EPOCH), name: 'a' }, keyFor(1));
    const b = signDescriptor({ ...descriptorFor(1, EPOCH), name: 'b' }, keyFor(1));
    const winner = Buffer.compare(documentDigest(a.bytes), documentDigest(b.bytes)) < 0 ? 'a' : 'b';
    assert.equal(buildDocument(EPOCH, PARAMS, [a, b]).layers.flat()[0].name, winner);
    assert.equal(buildDocument(EPOCH, PARAMS, [b, a]).layers.flat()[0].name, winner);
  });

  it('refuses bad parameters with DocumentError', () => {
    assert.throws(() => buildDocument(EPOCH, { ...PARAMS, mu: 0 }, []), DocumentError);
    assert.throws(() => buildDocument(EPOCH, { ...PARAMS, layers: 0 }, []), DocumentError);
    assert.throws(() => buildDocument(EPOCH, { ...PARAMS, lambdaP: Number.NaN }, []), DocumentError);
    assert.throws(() => buildDocument(EPOCH, { ...PARAMS, geometry: { ...PARAMS.geometry, nike: 'X448' } }, []), DocumentError);
    assert.throws(() => buildDocument(-1, PARAMS, []), DocumentError);
  });
});
