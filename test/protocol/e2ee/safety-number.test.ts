import assert from 'node:assert/strict';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../../../protocol/bytes.js';
import type { Address } from '../../../protocol/e2ee/address.js';
import { publicIdentityOf, type PublicIdentity } from '../../../protocol/e2ee/identity.js';
import { fingerprintDigits, formatSafetyNumber, safetyNumber } from '../../../protocol/e2ee/safety-number.js';
import { seededUser } from './fixtures.js';

/** Signal's NumericFingerprintGenerator, written out again with @noble/hashes as a cross-check. */
function reference(p: PublicIdentity): string {
  const key = concatBytes(p.identityKey, p.identityDhKey);
  let hash = concatBytes(new Uint8Array(2), key);
  for (let i = 0; i < 5200; i++) hash = sha512(concatBytes(hash, key));
  let out = '';
  for (let j = 0; j < 30; j += 5) {
    const v = hash.subarray(j, j + 5).reduce((acc, b) => acc * 256n + BigInt(b), 0n);
    out += (v % 100000n).toString().padStart(5, '0');
  }
  return out;
}

describe('e2ee: safety numbers', () => {
  const alice = seededUser('safety-alice');
  const bob = seededUser('safety-bob');

  it('is the same 60 digits on both sides', () => {
    const onAlice = safetyNumber(publicIdentityOf(alice.identity), bob.address);
    const onBob = safetyNumber(publicIdentityOf(bob.identity), alice.address);
    assert.equal(onAlice, onBob);
    assert.match(onAlice, /^\d{60}$/);
  });

  it('matches an independent implementation of the Signal construction, and a pinned value', () => {
    const a = fingerprintDigits(alice.address);
    assert.equal(a, reference(alice.address));
    const b = fingerprintDigits(bob.address);
    assert.equal(safetyNumber(alice.address, bob.address), a < b ? a + b : b + a);
    assert.equal(formatSafetyNumber(safetyNumber(alice.address, bob.address)), '34543 60599 33006 92747 94956 02106 69324 27261 86780 62187 96075 99242');
  });

  it('changes when either identity key changes', () => {
    const base = safetyNumber(alice.address, bob.address);
    const mallory = seededUser('safety-mallory');
    assert.notEqual(safetyNumber(alice.address, mallory.address), base);
    assert.notEqual(safetyNumber(alice.address, { ...bob.address, identityKey: mallory.address.identityKey }), base);
    assert.notEqual(safetyNumber(alice.address, { ...bob.address, identityDhKey: mallory.address.identityDhKey }), base);
    // Gateway and mailbox are not part of it: moving does not change who you are.
    const moved: Address = { ...bob.address, mailbox: new Uint8Array(32).fill(9) };
    assert.equal(safetyNumber(alice.address, moved), base);
  });

  it('formats as twelve groups of five digits', () => {
    const s = safetyNumber(alice.address, bob.address);
    const f = formatSafetyNumber(s);
    assert.equal(f.split(' ').length, 12);
    assert.equal(f.replaceAll(' ', ''), s);
    assert.throws(() => formatSafetyNumber('123'), RangeError);
  });
});
