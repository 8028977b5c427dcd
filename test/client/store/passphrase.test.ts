// Passphrase → key with scrypt: cross-checked against node:crypto, parameter
// bounds, normalisation, and that the event loop keeps running.

import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { toHex } from '../../../protocol/bytes.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  KdfParamsError,
  PassphraseError,
  derivePassphraseKey,
  passphraseBytes,
  scryptMemoryBytes,
  validateSalt,
  validateScryptParams,
} from '../../../client/store/passphrase.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const SALT = new Uint8Array(16).map((_, i) => i);

describe('client/store/passphrase', () => {
  it('derives what node:crypto scrypt derives for the same inputs', async () => {
    const key = await derivePassphraseKey('correct horse battery staple', SALT, SMALL);
    const expected = scryptSync(Buffer.from('correct horse battery staple'), SALT, 32, { N: SMALL.N, r: SMALL.r, p: SMALL.p });
    assert.equal(toHex(key), expected.toString('hex'));
    // pinned, so a change of KDF or encoding shows up as a format break
    assert.equal(toHex(key), '9a9f74cc441de571a18c4bf8580ad51f86745d14b39065ad24ad92fc05c99515');
  });

  it('depends on passphrase, salt and every parameter', async () => {
    const base = toHex(await derivePassphraseKey('pw', SALT, SMALL));
    const variants = await Promise.all([
      derivePassphraseKey('pw2', SALT, SMALL),
      derivePassphraseKey(
        'pw',
        SALT.map((b, i) => (i === 0 ? b ^ 1 : b)),
        SMALL,
      ),
      derivePassphraseKey('pw', SALT, { ...SMALL, N: 2 ** 11 }),
      derivePassphraseKey('pw', SALT, { ...SMALL, r: 4 }),
      derivePassphraseKey('pw', SALT, { ...SMALL, p: 2 }),
    ]);
    const all = new Set([base, ...variants.map(toHex)]);
    assert.equal(all.size, 6);
  });

  it('normalises the passphrase to NFC (composed and decomposed accents give one key)', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    assert.notEqual(composed, decomposed);
    assert.deepEqual(passphraseBytes(composed), passphraseBytes(decomposed));
    assert.equal(toHex(await derivePassphraseKey(composed, SALT, SMALL)), toHex(await derivePassphraseKey(decomposed, SALT, SMALL)));
  });

  it('refuses an empty or non-string passphrase with PassphraseError', async () => {
    await assert.rejects(derivePassphraseKey('', SALT, SMALL), PassphraseError);
    await assert.rejects(derivePassphraseKey(undefined as unknown as string, SALT, SMALL), PassphraseError);
  });

  it('accepts the defaults and the test parameters', () => {
    assert.deepEqual(validateScryptParams(DEFAULT_SCRYPT_PARAMS), { N: 131072, r: 8, p: 1 });
    assert.deepEqual(validateScryptParams(SMALL), SMALL);
    assert.equal(scryptMemoryBytes(DEFAULT_SCRYPT_PARAMS), 128 * 8 * 131072 + 128 * 8);
  });

  const absurd: Array<[string, unknown, RegExp]> = [
    ['not an object', null, /object/],
    ['N missing', { r: 8, p: 1 }, /N must be a positive integer/],
    ['N a string', { N: '1024', r: 8, p: 1 }, /N must be a positive integer/],
    ['N not a power of two', { N: 1000, r: 8, p: 1 }, /power of two/],
    ['N too small', { N: 2 ** 4, r: 8, p: 1 }, /between 2\^10 and 2\^22/],
    ['N huge', { N: 2 ** 40, r: 8, p: 1 }, /between 2\^10 and 2\^22/],
    ['r zero', { N: 1024, r: 0, p: 1 }, /r must be a positive integer/],
    ['r fractional', { N: 1024, r: 1.5, p: 1 }, /r must be a positive integer/],
    ['r too big', { N: 1024, r: 1000, p: 1 }, /r must be at most 32/],
    ['p too big', { N: 1024, r: 8, p: 64 }, /p must be at most 16/],
    ['memory over 1 GiB', { N: 2 ** 21, r: 8, p: 1 }, /MiB/],
    ['work over the cap (N·r·p)', { N: 2 ** 20, r: 2, p: 16 }, /more work/],
  ];
  for (const [what, params, message] of absurd) {
    it(`refuses absurd scrypt parameters: ${what}`, () => {
      assert.throws(
        () => validateScryptParams(params),
        (e: unknown) => e instanceof KdfParamsError && message.test(e.message),
      );
    });
  }

  it('refuses salts outside 16..64 bytes, before deriving', async () => {
    assert.throws(() => validateSalt(new Uint8Array(15)), KdfParamsError);
    assert.throws(() => validateSalt(new Uint8Array(65)), KdfParamsError);
    validateSalt(new Uint8Array(64));
    await assert.rejects(derivePassphraseKey('pw', new Uint8Array(8), SMALL), KdfParamsError);
  });

  it('keeps the event loop running while deriving', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await derivePassphraseKey('pw', SALT, { N: 2 ** 13, r: 8, p: 1 });
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'no timer fired during the derivation');
  });
});
