import assert from 'node:assert/strict';
import { bech32m } from '@scure/base';
import {
  ADDRESS_BYTES,
  ADDRESS_TEXT_LENGTH,
  AddressError,
  addressFromBytes,
  addressToBytes,
  decodeAddress,
  encodeAddress,
  sameIdentity,
  type Address,
} from '../../../protocol/e2ee/address.js';
import { generateIdentity, prekeySignatureMessage } from '../../../protocol/e2ee/identity.js';
import { codeOf, seededUser } from './fixtures.js';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** The text form of arbitrary bytes (bypassing encodeAddress's checks). */
function rawText(bytes: Uint8Array): string {
  return bech32m.encode('chaff', bech32m.toWords(bytes), 1000);
}

describe('e2ee: address', () => {
  const alice = seededUser('address-alice', 0x20);

  it('pins the text encoding of a seeded address', () => {
    const text = encodeAddress(alice.address);
    assert.equal(text.length, ADDRESS_TEXT_LENGTH);
    assert.equal(text.length, 372);
    assert.equal(
      text,
      'chaff1qyjlq9lwldcsurkgm22phy5w3cxvg4fewu8rc5m72x07xrs9rexlslj6nrmddu56wu24yvwt94635vv2fs6v47vjecrqkarfpde87ze2l3pmqmxs2da2l6jc04hdk5getqh0lmljdr6x2uwg475xsjju53vnq77ej7g8t30p24sum99pslqhvk34gjyk9qm057lqmz5df30xmxat23r7rhv7ffa886hpqp29t7rv88umg5yq7eanwkwusvy9vdc6qcszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpm27s2y',
    );
    // The data part is plain bech32m (BIP 350) of the 225 binary bytes.
    assert.deepEqual(bech32m.decodeToBytes(text, 400).bytes, addressToBytes(alice.address));
  });

  it('round-trips through bytes and text, keeping every field', () => {
    const bytes = addressToBytes(alice.address);
    assert.equal(bytes.length, ADDRESS_BYTES);
    assert.equal(bytes[0], 0x01);
    assert.deepEqual(bytes.subarray(1, 33), alice.identity.signingKey.publicKey);
    assert.deepEqual(bytes.subarray(161, 193), new Uint8Array(32).fill(0x20));
    assert.deepEqual(bytes.subarray(193, 225), new Uint8Array(32).fill(0x21));
    const back = decodeAddress(encodeAddress(alice.address));
    assert.deepEqual(back, alice.address);
    assert.deepEqual(addressFromBytes(bytes), alice.address);
    // Upper case and surrounding whitespace are accepted (QR codes use upper case).
    assert.deepEqual(decodeAddress(`  ${encodeAddress(alice.address).toUpperCase()}\n`), alice.address);
  });

  it('catches a one-character typo with the checksum', () => {
    const text = encodeAddress(alice.address);
    for (const i of [6, 7, 100, 250, 365, 371]) {
      const other = CHARSET[(CHARSET.indexOf(text[i]) + 1) % 32];
      const typo = text.slice(0, i) + other + text.slice(i + 1);
      assert.equal(codeOf(() => decodeAddress(typo)), 'checksum', `position ${i}`);
    }
    // Two swapped neighbours.
    let j = 50;
    while (text[j] === text[j + 1]) j++;
    const swapped = text.slice(0, j) + text[j + 1] + text[j] + text.slice(j + 2);
    assert.equal(codeOf(() => decodeAddress(swapped)), 'checksum');
  });

  it('rejects an address whose prekey signature does not verify', () => {
    const sig = Uint8Array.from(alice.address.prekeySignature);
    sig[5] ^= 0x40;
    const forged: Address = { ...alice.address, prekeySignature: sig };
    assert.equal(codeOf(() => decodeAddress(encodeAddress(forged))), 'signature');
    // A different prekey under the same signature.
    const swappedPrekey: Address = { ...alice.address, signedPrekey: generateIdentity().signedPrekey.publicKey };
    assert.equal(codeOf(() => decodeAddress(encodeAddress(swappedPrekey))), 'signature');
    // Someone else's identity key with alice's signed keys.
    const mallory = generateIdentity();
    const stolen: Address = { ...alice.address, identityKey: mallory.signingKey.publicKey };
    assert.equal(codeOf(() => addressFromBytes(addressToBytes(stolen))), 'signature');
    // Mallory's own valid signature over alice's keys is fine cryptographically but is Mallory's address.
    const resigned: Address = {
      ...alice.address,
      identityKey: mallory.signingKey.publicKey,
      prekeySignature: mallory.signingKey.sign(prekeySignatureMessage(alice.address.identityDhKey, alice.address.signedPrekey)),
    };
    assert.equal(sameIdentity(decodeAddress(encodeAddress(resigned)), alice.address), false);
  });

  it('names the failed check: length, prefix, encoding, version', () => {
    const text = encodeAddress(alice.address);
    assert.equal(codeOf(() => decodeAddress(text.slice(0, -1))), 'length');
    assert.equal(codeOf(() => decodeAddress(text + 'q')), 'length');
    assert.equal(codeOf(() => decodeAddress('')), 'length');
    assert.equal(codeOf(() => decodeAddress('chaft' + text.slice(5))), 'prefix');
    assert.equal(codeOf(() => decodeAddress(text.slice(0, 10) + 'b' + text.slice(11))), 'encoding');
    const letter = [...text].findIndex((c, i) => i > 6 && c >= 'a' && c <= 'z');
    assert.equal(codeOf(() => decodeAddress(text.slice(0, letter) + text[letter].toUpperCase() + text.slice(letter + 1))), 'encoding');
    assert.equal(codeOf(() => decodeAddress(42 as unknown as string)), 'encoding');
    const v2 = addressToBytes(alice.address);
    v2[0] = 2;
    assert.equal(codeOf(() => decodeAddress(rawText(v2))), 'version');
    assert.equal(codeOf(() => addressFromBytes(v2)), 'version');
    assert.equal(codeOf(() => addressFromBytes(addressToBytes(alice.address).subarray(1))), 'length');
    assert.throws(() => addressToBytes({ ...alice.address, mailbox: new Uint8Array(31) }), AddressError);
  });

  it('sameIdentity compares both identity keys', () => {
    const bob = seededUser('address-bob');
    const moved: Address = { ...alice.address, mailbox: new Uint8Array(32) };
    assert.equal(sameIdentity(alice.address, moved), true);
    assert.equal(sameIdentity(alice.address, bob.address), false);
    assert.equal(sameIdentity(alice.address, { ...alice.address, identityDhKey: bob.address.identityDhKey }), false);
  });
});
