import assert from 'node:assert/strict';
import { bech32m } from '@scure/base';
import {
  ADDRESS_BYTES,
  ADDRESS_TEXT_LENGTH,
  AddressError,
  addressFromBytes,
  addressSignedBytes,
  addressToBytes,
  decodeAddress,
  encodeAddress,
  sameIdentity,
  type Address,
} from '../../../protocol/e2ee/address.js';
import { generateIdentity } from '../../../protocol/e2ee/identity.js';
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
      'chaff1qgjlq9lwldcsurkgm22phy5w3cxvg4fewu8rc5m72x07xrs9rexlslj6nrmddu56wu24yvwt94635vv2fs6v47vjecrqkarfpde87ze2l3pmqmxs2da2l6jc04hdk5getqh0lmljdr6x2uwg475xsjju53vjqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgppyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpy85z70qeeeg3v5fsqxg5dsvraqq7w47sqr63g6umfkrl09gx4vzhk0d7eqv2u04u0tu4az2236s73yqrnw6wd2p79m7uh83ufqxk0hqq5a2283',
    );
    // The data part is plain bech32m (BIP 350) of the 225 binary bytes.
    assert.deepEqual(bech32m.decodeToBytes(text, 400).bytes, addressToBytes(alice.address));
  });

  it('round-trips through bytes and text, keeping every field', () => {
    const bytes = addressToBytes(alice.address);
    assert.equal(bytes.length, ADDRESS_BYTES);
    assert.equal(bytes[0], 0x02);
    assert.deepEqual(bytes.subarray(1, 33), alice.identity.signingKey.publicKey);
    assert.deepEqual(bytes.subarray(97, 129), new Uint8Array(32).fill(0x20));
    assert.deepEqual(bytes.subarray(129, 161), new Uint8Array(32).fill(0x21));
    // The signature (bytes 161 … 224) covers the domain and bytes 0 … 160: every other field.
    assert.equal(Buffer.from(addressSignedBytes(alice.address)).toString('hex'), Buffer.from('chaff-e2ee-address-v2\0').toString('hex') + Buffer.from(bytes.subarray(0, 161)).toString('hex'));
    assert.deepEqual(bytes.subarray(161), alice.address.signature);
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
      assert.equal(
        codeOf(() => decodeAddress(typo)),
        'checksum',
        `position ${i}`,
      );
    }
    // Two swapped neighbours.
    let j = 50;
    while (text[j] === text[j + 1]) j++;
    const swapped = text.slice(0, j) + text[j + 1] + text[j] + text.slice(j + 2);
    assert.equal(
      codeOf(() => decodeAddress(swapped)),
      'checksum',
    );
  });

  it('rejects an address whose signature does not verify, whichever field changed', () => {
    const sig = Uint8Array.from(alice.address.signature);
    sig[5] ^= 0x40;
    const forged: Address = { ...alice.address, signature: sig };
    assert.equal(
      codeOf(() => decodeAddress(encodeAddress(forged))),
      'signature',
    );
    // A different prekey under the same signature.
    const swappedPrekey: Address = { ...alice.address, signedPrekey: generateIdentity().signedPrekey.publicKey };
    assert.equal(
      codeOf(() => decodeAddress(encodeAddress(swappedPrekey))),
      'signature',
    );
    // Someone else's identity key with alice's signed keys.
    const mallory = generateIdentity();
    const stolen: Address = { ...alice.address, identityKey: mallory.signingKey.publicKey };
    assert.equal(
      codeOf(() => addressFromBytes(addressToBytes(stolen))),
      'signature',
    );
    // Version 2 signs the gateway and the mailbox too: neither can be moved under alice's signature.
    assert.equal(
      codeOf(() => addressFromBytes(addressToBytes({ ...alice.address, mailbox: new Uint8Array(32).fill(0x66) }))),
      'signature',
    );
    assert.equal(
      codeOf(() => addressFromBytes(addressToBytes({ ...alice.address, gateway: new Uint8Array(32).fill(0x66) }))),
      'signature',
    );
    // Mallory's own valid signature over alice's keys is fine cryptographically but is Mallory's address.
    const unsigned = { ...alice.address, identityKey: mallory.signingKey.publicKey };
    const resigned: Address = { ...unsigned, signature: mallory.signingKey.sign(addressSignedBytes(unsigned)) };
    assert.equal(sameIdentity(decodeAddress(encodeAddress(resigned)), alice.address), false);
  });

  it('refuses a version 1 address (gateway and mailbox unsigned) with reason "version"', () => {
    const v1 = addressToBytes(alice.address);
    v1[0] = 1;
    assert.equal(
      codeOf(() => addressFromBytes(v1)),
      'version',
    );
    assert.match(
      String(
        (() => {
          try {
            addressFromBytes(v1);
          } catch (e) {
            return (e as Error).message;
          }
        })(),
      ),
      /version 1/,
    );
  });

  it('names the failed check: length, prefix, encoding, version', () => {
    const text = encodeAddress(alice.address);
    assert.equal(
      codeOf(() => decodeAddress(text.slice(0, -1))),
      'length',
    );
    assert.equal(
      codeOf(() => decodeAddress(text + 'q')),
      'length',
    );
    assert.equal(
      codeOf(() => decodeAddress('')),
      'length',
    );
    assert.equal(
      codeOf(() => decodeAddress('chaft' + text.slice(5))),
      'prefix',
    );
    assert.equal(
      codeOf(() => decodeAddress(text.slice(0, 10) + 'b' + text.slice(11))),
      'encoding',
    );
    const letter = [...text].findIndex((c, i) => i > 6 && c >= 'a' && c <= 'z');
    assert.equal(
      codeOf(() => decodeAddress(text.slice(0, letter) + text[letter].toUpperCase() + text.slice(letter + 1))),
      'encoding',
    );
    assert.equal(
      codeOf(() => decodeAddress(42 as unknown as string)),
      'encoding',
    );
    const v3 = addressToBytes(alice.address);
    v3[0] = 3;
    assert.equal(
      codeOf(() => decodeAddress(rawText(v3))),
      'version',
    );
    assert.equal(
      codeOf(() => addressFromBytes(v3)),
      'version',
    );
    assert.equal(
      codeOf(() => addressFromBytes(addressToBytes(alice.address).subarray(1))),
      'length',
    );
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
