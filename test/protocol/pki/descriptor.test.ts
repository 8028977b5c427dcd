import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { sha256 } from '../../../protocol/crypto/hash.js';
import {
  DescriptorError,
  decodeDescriptor,
  decodeSignedDescriptor,
  encodeDescriptor,
  encodeSignedDescriptor,
  familyDeclaration,
  MAX_ADDRESS_LENGTH,
  MAX_ADDRESSES,
  MAX_DESCRIPTOR_LENGTH,
  MAX_FAMILY,
  MAX_NAME_LENGTH,
  signDescriptor,
  verifyDescriptor,
  type Descriptor,
} from '../../../protocol/pki/descriptor.js';
import { descriptorFor, keyFor, signedFor, withFamily } from '../../helpers/pki-fixtures.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DescriptorError, `expected DescriptorError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('no error');
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('pki: descriptor', () => {
  it('pins the canonical bytes of one descriptor', () => {
    const d = descriptorFor(1, 5);
    const bytes = encodeDescriptor(d);
    const text = new TextDecoder().decode(bytes);
    assert.ok(text.startsWith('{"addresses":["/ip4/10.0.0.1/tcp/4000"],"epoch":5,"identityKey":"'));
    assert.ok(text.includes(`"identityKey":"${toHex(d.identityKey)}","name":"node-1","role":"mix","sphinxKeys":{"5":"`));
    assert.ok(text.endsWith('"},"version":1}'));
    assert.equal(toHex(sha256(bytes)), '91836141af0bb50ca9ac0a0e8d68502b49e35663a4f46a3a834f10ff80976a0a');
  });

  it('round-trips through encode/decode and the signed wire form', () => {
    const signed = signedFor(2, 9, 'gateway', 7);
    const wire = encodeSignedDescriptor(signed);
    const back = verifyDescriptor(decodeSignedDescriptor(wire));
    assert.deepEqual(back, descriptorFor(2, 9, 'gateway', 7));
    assert.deepEqual(encodeDescriptor(back), signed.bytes);
  });

  it('refuses a bad signature, a wrong signer and tampered bytes', () => {
    const signed = signedFor(3, 1);
    const sig = Uint8Array.from(signed.signature);
    sig[0] ^= 1;
    assert.equal(
      code(() => verifyDescriptor({ bytes: signed.bytes, signature: sig })),
      'bad-signature',
    );
    const other = signDescriptor(descriptorFor(3, 1), keyFor(3));
    assert.equal(
      code(() => verifyDescriptor({ bytes: signedFor(4, 1).bytes, signature: other.signature })),
      'bad-signature',
    );
    assert.equal(
      code(() => signDescriptor(descriptorFor(3, 1), keyFor(4))),
      'bad-signature',
    );
    const tampered = new TextEncoder().encode(new TextDecoder().decode(signed.bytes).replace('node-3', 'node-9'));
    assert.equal(
      code(() => verifyDescriptor({ bytes: tampered, signature: signed.signature })),
      'bad-signature',
    );
    assert.equal(
      code(() => verifyDescriptor({ bytes: signed.bytes, signature: new Uint8Array(63) })),
      'bad-size',
    );
  });

  it('refuses non-canonical encodings', () => {
    const text = new TextDecoder().decode(encodeDescriptor(descriptorFor(1, 5)));
    assert.equal(
      code(() => decodeDescriptor(enc(text + ' '))),
      'malformed',
    );
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace('"epoch":5', '"epoch":5.0')))),
      'malformed',
    );
    const obj = JSON.parse(text) as Record<string, unknown>;
    const reordered = JSON.stringify({ version: obj.version, ...obj });
    assert.equal(
      code(() => decodeDescriptor(enc(reordered))),
      'malformed',
    );
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace('"version":1}', '"version":1,"x":1}')))),
      'malformed',
    );
    assert.equal(
      code(() => decodeDescriptor(new Uint8Array([0xff, 0xfe]))),
      'malformed',
    );
  });

  it('refuses bad fields with typed errors', () => {
    const with_ = (patch: Partial<Descriptor>): Descriptor => ({ ...descriptorFor(1, 5), ...patch });
    assert.equal(
      code(() => encodeDescriptor(with_({ identityKey: new Uint8Array(31) }))),
      'bad-size',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ role: 'authority' as 'mix' }))),
      'unknown-role',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ name: 'a b' }))),
      'bad-name',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ name: '' }))),
      'bad-name',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ addresses: Array.from({ length: 9 }, (_, i) => `/ip4/1.1.1.${i}/tcp/1`) }))),
      'too-many-addresses',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ addresses: ['ip4/1.1.1.1'] }))),
      'bad-address',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ addresses: [] }))),
      'bad-address',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ addresses: ['/ip4/1.1.1.1', '/ip4/1.1.1.1'] }))),
      'bad-address',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ addresses: ['/' + 'a'.repeat(300)] }))),
      'bad-address',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ epoch: -1 }))),
      'bad-epoch',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ version: 1.5 }))),
      'bad-version',
    );
    assert.equal(
      code(() => encodeDescriptor(with_({ sphinxKeys: new Map([[5, new Uint8Array(32).fill(1)]]) }))),
      'bad-sphinx-keys',
    );
    assert.equal(
      code(() =>
        encodeDescriptor(
          with_({
            sphinxKeys: new Map([
              [5, new Uint8Array(32).fill(1)],
              [6, new Uint8Array(31).fill(1)],
            ]),
          }),
        ),
      ),
      'bad-size',
    );
    assert.equal(
      code(() =>
        encodeDescriptor(
          with_({
            sphinxKeys: new Map([
              [5, new Uint8Array(32).fill(1)],
              [6, new Uint8Array(32)],
            ]),
          }),
        ),
      ),
      'bad-sphinx-keys',
    );
    const far = new Map(descriptorFor(1, 5).sphinxKeys);
    far.set(20, new Uint8Array(32).fill(2));
    assert.equal(
      code(() => encodeDescriptor(with_({ sphinxKeys: far }))),
      'bad-sphinx-keys',
    );
  });

  it('refuses oversize input', () => {
    assert.equal(
      code(() => decodeDescriptor(new Uint8Array(5000))),
      'oversize',
    );
    assert.equal(
      code(() => decodeSignedDescriptor(new Uint8Array(5000))),
      'oversize',
    );
    assert.equal(
      code(() => decodeSignedDescriptor(new Uint8Array(10))),
      'malformed',
    );
  });
});

describe('pki: descriptor family declaration', () => {
  const familyKeys = [2, 3, 4].map((l) => keyFor(l).publicKey).sort((a, b) => Buffer.compare(a, b));

  it('pins the canonical bytes of a descriptor with a family; one without keeps its earlier bytes', () => {
    const d = withFamily(descriptorFor(1, 5), [1, 2, 3, 4]);
    const text = new TextDecoder().decode(encodeDescriptor(d));
    assert.ok(text.includes(`"epoch":5,"family":["${familyKeys.map(toHex).join('","')}"],"identityKey":"`));
    assert.equal(toHex(sha256(encodeDescriptor(d))), 'b6a66e3dac22366bcc37051c9ed30940a335fdcf1761abce230cac4c0a200efb');
    // No family, or an empty one: the bytes pinned above for descriptors without families.
    assert.equal(toHex(sha256(encodeDescriptor({ ...descriptorFor(1, 5), family: [] }))), '91836141af0bb50ca9ac0a0e8d68502b49e35663a4f46a3a834f10ff80976a0a');
  });

  it('round-trips a family through the signed wire form', () => {
    const d = withFamily(descriptorFor(1, 5, 'gateway'), [4, 3, 2]);
    const back = verifyDescriptor(decodeSignedDescriptor(encodeSignedDescriptor(signDescriptor(d, keyFor(1)))));
    assert.deepEqual(back.family, familyKeys);
    assert.equal('family' in verifyDescriptor(signedFor(1, 5)), false, 'a descriptor without a family decodes without one');
  });

  it('refuses a family that is unsorted, repeated, lists the node itself, is too long or not 32-byte keys', () => {
    const with_ = (family: Uint8Array[]): Descriptor => ({ ...descriptorFor(1, 5), family });
    assert.equal(
      code(() => encodeDescriptor(with_([...familyKeys].reverse()))),
      'bad-family',
    );
    assert.equal(
      code(() => encodeDescriptor(with_([familyKeys[0], familyKeys[0]]))),
      'bad-family',
    );
    assert.equal(
      code(() => encodeDescriptor(with_([keyFor(1).publicKey]))),
      'bad-family',
    );
    assert.equal(
      code(() => encodeDescriptor(with_([new Uint8Array(31)]))),
      'bad-family',
    );
    const many = Array.from({ length: MAX_FAMILY + 1 }, (_, i) => keyFor(100 + i).publicKey).sort((a, b) => Buffer.compare(a, b));
    assert.equal(
      code(() => encodeDescriptor(with_(many))),
      'bad-family',
    );
    assert.doesNotThrow(() => encodeDescriptor(with_(many.slice(0, MAX_FAMILY))));
    // On the wire: present means non-empty, lower-case hex, canonical order.
    const text = new TextDecoder().decode(encodeDescriptor(withFamily(descriptorFor(1, 5), [2, 3])));
    const [k1, k2] = familyKeys.filter((k) => toHex(k) !== toHex(keyFor(4).publicKey)).map(toHex);
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace(`"family":["${k1}","${k2}"],`, '"family":[],')))),
      'bad-family',
    );
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace(`"family":["${k1}","${k2}"],`, `"family":["${k2}","${k1}"],`)))),
      'bad-family',
    );
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace(`"family":["${k1}","${k2}"],`, `"family":["${k1}",7],`)))),
      'bad-family',
    );
    assert.equal(
      code(() => decodeDescriptor(enc(text.replace(`"family":["${k1}","${k2}"],`, `"family":"${k1}",`)))),
      'bad-family',
    );
  });

  it('a descriptor with every field at its bound still fits', () => {
    const d: Descriptor = {
      identityKey: keyFor(1).publicKey,
      name: 'n'.repeat(MAX_NAME_LENGTH),
      role: 'gateway',
      addresses: Array.from({ length: MAX_ADDRESSES }, (_, i) => `/dns4/${String(i).padEnd(MAX_ADDRESS_LENGTH - 6, 'x')}`),
      epoch: Number.MAX_SAFE_INTEGER - 4,
      sphinxKeys: new Map([0, 1, 2, 3].map((i) => [Number.MAX_SAFE_INTEGER - 4 + i, new Uint8Array(32).fill(1)])),
      version: 0xffffffff,
      family: Array.from({ length: MAX_FAMILY }, (_, i) => keyFor(100 + i).publicKey).sort((a, b) => Buffer.compare(a, b)),
    };
    assert.equal(d.addresses[0].length, MAX_ADDRESS_LENGTH);
    const bytes = encodeDescriptor(d);
    assert.ok(bytes.length <= MAX_DESCRIPTOR_LENGTH, `${bytes.length} bytes`);
  });

  it('familyDeclaration: one list for every node of the family, its own key left out, sorted, once each', () => {
    const hexes = [4, 2, 1, 3, 2].map((l) => toHex(keyFor(l).publicKey));
    assert.deepEqual(familyDeclaration(hexes, keyFor(1).publicKey), familyKeys);
    assert.deepEqual(
      familyDeclaration(
        hexes.map((h) => h.toUpperCase()),
        keyFor(1).publicKey,
      ),
      familyKeys,
    );
    assert.deepEqual(familyDeclaration([], keyFor(1).publicKey), []);
    assert.equal(
      code(() => familyDeclaration(['abc'], keyFor(1).publicKey)),
      'bad-family',
    );
  });
});
