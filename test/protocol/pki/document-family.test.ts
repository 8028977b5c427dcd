import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { signDescriptor } from '../../../protocol/pki/descriptor.js';
import { buildDocument, decodeDocument, documentDigest, DocumentError, encodeDocument } from '../../../protocol/pki/document.js';
import { descriptorFor, keyFor, PARAMS, signedFor, signedWithFamily } from '../../helpers/pki-fixtures.js';

const EPOCH = 10;
const enc = (s: string) => new TextEncoder().encode(s);

describe('pki: document entries with families, and names', () => {
  it('pins the canonical bytes of a document listing a family', () => {
    const doc = buildDocument(EPOCH, PARAMS, [signedWithFamily(1, EPOCH, 'mix', [1, 2]), signedWithFamily(2, EPOCH, 'mix', [1, 2]), signedFor(3, EPOCH), signedFor(50, EPOCH, 'gateway')]);
    const bytes = encodeDocument(doc);
    const text = new TextDecoder().decode(bytes);
    const k1 = toHex(keyFor(1).publicKey);
    const k2 = toHex(keyFor(2).publicKey);
    // The entry of node 1 lists node 2 and the other way round; the field sits between addresses and identityKey.
    assert.ok(text.includes(`"addresses":["/ip4/10.0.0.1/tcp/4000"],"family":["${k2}"],"identityKey":"${k1}"`));
    assert.ok(text.includes(`"addresses":["/ip4/10.0.0.2/tcp/4000"],"family":["${k1}"],"identityKey":"${k2}"`));
    assert.equal((text.match(/"family"/g) ?? []).length, 2, 'entries without a family carry no field');
    assert.equal(toHex(documentDigest(bytes)), '65c3b654d5189f0009ae7a133fe342936e5ea9178d4939454e9329e62290511d');
    assert.deepEqual(decodeDocument(bytes), doc);
  });

  it('a document without families has the bytes it had before families existed', () => {
    // The same document as document.test.ts pins, built from descriptors that declare an empty family.
    const empty = (l: number, role: 'mix' | 'gateway' = 'mix') => signDescriptor({ ...descriptorFor(l, EPOCH, role), family: [] }, keyFor(l));
    const doc = buildDocument(EPOCH, PARAMS, [...[1, 2, 3, 4].map((l) => empty(l)), empty(50, 'gateway')]);
    assert.equal(toHex(documentDigest(encodeDocument(doc))), '9f782e155887a3987ee0977af480d8f88fba18c5c3bc9db7ffec9323d68fea7d');
  });

  it('refuses an entry whose family is empty, unsorted, lists the node itself or is not keys', () => {
    const doc = buildDocument(EPOCH, PARAMS, [signedWithFamily(1, EPOCH, 'mix', [1, 2, 3]), signedFor(50, EPOCH, 'gateway')]);
    const text = new TextDecoder().decode(encodeDocument(doc));
    const [a, b] = [2, 3].map((l) => toHex(keyFor(l).publicKey)).sort();
    const field = `"family":["${a}","${b}"]`;
    assert.ok(text.includes(field));
    for (const bad of ['"family":[]', `"family":["${b}","${a}"]`, `"family":["${toHex(keyFor(1).publicKey)}"]`, `"family":["${a}",1]`, `"family":"${a}"`]) {
      assert.throws(() => decodeDocument(enc(text.replace(field, bad))), DocumentError, bad);
    }
  });

  it('keeps every node whatever its name: two nodes of one name are both listed', () => {
    const squat = signDescriptor({ ...descriptorFor(51, EPOCH, 'gateway'), name: 'node-50' }, keyFor(51));
    const doc = buildDocument(EPOCH, PARAMS, [signedFor(50, EPOCH, 'gateway'), squat, signedFor(1, EPOCH)]);
    assert.deepEqual(
      doc.gateways.map((g) => g.name),
      ['node-50', 'node-50'],
    );
    assert.deepEqual(decodeDocument(encodeDocument(doc)), doc);
  });
});
