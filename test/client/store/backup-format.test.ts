// The backup file's bytes (docs/client-storage.md §Backup file): pinned
// bytes for seeded randomness, an independent decryption following the
// documented layout, and every way a file can be wrong.

import assert from 'node:assert/strict';
import { scryptSync, createHash } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../../protocol/bytes.js';
import {
  BACKUP_HEADER_LENGTH,
  BackupCorruptError,
  BackupTruncatedError,
  CHUNK_LENGTH,
  CHUNK_TAG_LENGTH,
  NotABackupError,
  WrongBackupPassphraseError,
  decodeBackupPayload,
  encodeBackupPayload,
  openBackup,
  sealBackup,
  type BackupContents,
} from '../../../client/store/backup-format.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'vector backup passphrase';
const utf8 = new TextEncoder();

const CONTENTS: BackupContents = {
  createdMs: Date.UTC(2026, 11, 7, 12, 0, 0),
  collections: ['profile', 'contacts'],
  records: [
    { collection: 'profile', id: 'identity', value: Uint8Array.of(1, 2, 3) },
    { collection: 'contacts', id: 'bob', value: utf8.encode('{"name":"bob"}') },
  ],
  files: [{ name: 'client.toml', data: utf8.encode('[client]\n') }],
};

// encodeBackupPayload(CONTENTS), byte for byte (docs/client-storage.md §Backup file, Payload).
const VECTOR_PAYLOAD = [
  '000001a250600600', // created 2026-12-07T12:00:00Z = 1,796,644,800,000 ms
  '00000004', // 4 entries
  '01' + '00' + '0000' + '00000016' + toHex(utf8.encode('["profile","contacts"]')),
  '02' + '07' + toHex(utf8.encode('profile')) + '0008' + toHex(utf8.encode('identity')) + '00000003' + '010203',
  '02' + '08' + toHex(utf8.encode('contacts')) + '0003' + toHex(utf8.encode('bob')) + '0000000e' + toHex(utf8.encode('{"name":"bob"}')),
  '03' + '0b' + toHex(utf8.encode('client.toml')) + '0000' + '00000009' + toHex(utf8.encode('[client]\n')),
].join('');

// sealBackup(VECTOR_PAYLOAD, PASSPHRASE, N = 2^10, r = 8, p = 1, deterministicRandom('chaff backup vector')).
const VECTOR_HEADER = [
  '434841464642414b', // "CHAFFBAK"
  '01', // format version
  '01', // scrypt
  '0a0801', // log2 N = 10, r = 8, p = 1
  '3ea46bc71758cea5db8ee43e26f5e0a4', // scrypt salt
  '02185d0598a5b8f2249a6b0ac58c8995', // payload salt
  '0000000000000090', // L = 144
  'ddbe884b28c984fef09178db600396b0', // header MAC
].join('');
const VECTOR_FILE_SHA256 = '7acad3508a5fbb99fa49b75b469ed5f8f279c9e6299d9a179a1d5bcde841ffad';

function seal(payload: Uint8Array, seed = 'chaff backup vector'): Promise<Uint8Array> {
  return sealBackup(payload, PASSPHRASE, SMALL, deterministicRandom(seed));
}

/** A payload of `length` bytes (a record padded to it), for multi-chunk files. */
function bigContents(valueBytes: number): BackupContents {
  const value = new Uint8Array(valueBytes).map((_, i) => i % 251);
  return { createdMs: 1, collections: ['files'], records: [{ collection: 'files', id: 'f', value }], files: [] };
}

describe('client/store/backup-format', () => {
  it('encodes the documented payload: length, time, count, entries, zero padding', () => {
    const payload = encodeBackupPayload(CONTENTS);
    const unpadded = VECTOR_PAYLOAD.length / 2;
    assert.equal(unpadded, 129);
    assert.equal(payload.length, 144, 'max(64, Padmé(129))');
    assert.equal(toHex(payload), VECTOR_PAYLOAD + '00'.repeat(144 - unpadded));
    assert.deepEqual(decodeBackupPayload('f', payload), CONTENTS);
  });

  it('writes the pinned file for seeded randomness', async () => {
    const file = await seal(encodeBackupPayload(CONTENTS));
    assert.equal(toHex(file.subarray(0, BACKUP_HEADER_LENGTH)), VECTOR_HEADER);
    assert.equal(file.length, BACKUP_HEADER_LENGTH + 144 + CHUNK_TAG_LENGTH);
    assert.equal(createHash('sha256').update(file).digest('hex'), VECTOR_FILE_SHA256);
  });

  it('follows the documented layout (independent decryption: scrypt, HKDF, ChaCha20-Poly1305 with the STREAM nonce)', async () => {
    const payload = encodeBackupPayload(bigContents(150_000));
    const file = await seal(payload);
    assert.equal(toHex(file.subarray(0, 8)), toHex(utf8.encode('CHAFFBAK')));
    assert.deepEqual([...file.subarray(8, 13)], [1, 1, 10, 8, 1]);
    assert.equal(Number(Buffer.from(file.subarray(45, 53)).readBigUInt64BE()), payload.length);
    const k = new Uint8Array(scryptSync(PASSPHRASE, file.subarray(13, 29), 32, { N: 1024, r: 8, p: 1 }));
    const macKey = hkdf(sha256, k, undefined, utf8.encode('chaff-backup-v1 header'), 32);
    assert.equal(toHex(hmac(sha256, macKey, file.subarray(0, 53)).subarray(0, 16)), toHex(file.subarray(53, 69)));
    const key = hkdf(sha256, k, file.subarray(29, 45), utf8.encode('chaff-backup-v1 payload'), 32);
    const chunks = Math.ceil(payload.length / CHUNK_LENGTH);
    assert.equal(chunks, 3);
    const opened: Uint8Array[] = [];
    for (let i = 0; i < chunks; i++) {
      const nonce = new Uint8Array(12);
      nonce[10] = i; // 11-byte big-endian counter
      nonce[11] = i === chunks - 1 ? 1 : 0;
      const start = BACKUP_HEADER_LENGTH + i * (CHUNK_LENGTH + CHUNK_TAG_LENGTH);
      opened.push(chacha20poly1305(key, nonce).decrypt(file.subarray(start, Math.min(file.length, start + CHUNK_LENGTH + CHUNK_TAG_LENGTH))));
    }
    assert.equal(toHex(Buffer.concat(opened)), toHex(payload));
  });

  it('round-trips a multi-chunk payload', async () => {
    const contents = bigContents(300_000);
    const file = await seal(encodeBackupPayload(contents));
    assert.deepEqual(decodeBackupPayload('f', await openBackup('f', file, PASSPHRASE)), contents);
  });

  it('refuses a wrong passphrase, saying so', async () => {
    const file = await seal(encodeBackupPayload(CONTENTS));
    await assert.rejects(
      openBackup('b.chaff', file, 'not the passphrase'),
      (e: unknown) => e instanceof WrongBackupPassphraseError && e.message === 'wrong passphrase for the backup b.chaff (or its header is damaged)',
    );
  });

  it('refuses a truncated file, saying how much is missing', async () => {
    const file = await seal(encodeBackupPayload(bigContents(150_000)));
    const full = CHUNK_LENGTH + CHUNK_TAG_LENGTH;
    for (const length of [BACKUP_HEADER_LENGTH + full, BACKUP_HEADER_LENGTH + full + 1000, file.length - 1]) {
      await assert.rejects(
        openBackup('b.chaff', file.subarray(0, length), PASSPHRASE),
        (e: unknown) => e instanceof BackupTruncatedError && e.message === `the backup b.chaff is truncated: it has ${length} of its ${file.length} bytes (was the copy interrupted?)`,
        `cut at ${length}`,
      );
    }
    await assert.rejects(openBackup('b.chaff', file.subarray(0, 40), PASSPHRASE), /the backup b.chaff is truncated: it ends after 40 bytes, inside its header/);
    await assert.rejects(openBackup('b.chaff', file.subarray(0, BACKUP_HEADER_LENGTH), PASSPHRASE), /it has 69 of its/);
    const small = await seal(encodeBackupPayload(CONTENTS));
    await assert.rejects(openBackup('b.chaff', small.subarray(0, small.length - 1), PASSPHRASE), BackupTruncatedError, 'a one-chunk file too');
  });

  it('refuses a flipped byte anywhere: in a chunk as damage, in the key derivation fields as a wrong passphrase', async () => {
    const file = await seal(encodeBackupPayload(bigContents(150_000)));
    const flipped = (at: number) => {
      const copy = file.slice();
      copy[at] ^= 0x01;
      return copy;
    };
    const second = BACKUP_HEADER_LENGTH + CHUNK_LENGTH + CHUNK_TAG_LENGTH;
    await assert.rejects(openBackup('b', flipped(second + 5), PASSPHRASE), /the backup b is damaged \(chunk 2 of 3 \(bytes 65621…\) does not authenticate\)/);
    await assert.rejects(openBackup('b', flipped(file.length - 1), PASSPHRASE), /chunk 3 of 3 .* does not authenticate/);
    await assert.rejects(openBackup('b', flipped(BACKUP_HEADER_LENGTH + 3), PASSPHRASE), /chunk 1 of 3 \(bytes 69…\) does not authenticate/);
    for (const at of [10, 11, 14, 30, 52, 60]) await assert.rejects(openBackup('b', flipped(at), PASSPHRASE), WrongBackupPassphraseError, `byte ${at}`);
    await assert.rejects(openBackup('b', flipped(0), PASSPHRASE), (e: unknown) => e instanceof NotABackupError && /does not start with "CHAFFBAK"/.test(e.message));
    await assert.rejects(openBackup('b', flipped(8), PASSPHRASE), /format version 0, which this chaff cannot read/);
    await assert.rejects(openBackup('b', flipped(9), PASSPHRASE), /unknown key derivation 0/);
  });

  it('refuses bytes after the end, and a file that is no backup', async () => {
    const file = await seal(encodeBackupPayload(bigContents(150_000)));
    await assert.rejects(openBackup('b', Buffer.concat([file, Buffer.from('extra')]), PASSPHRASE), /the backup b is damaged \(5 bytes follow its end\)/);
    await assert.rejects(openBackup('b', utf8.encode('[client]\ngateway = "x"\n'), PASSPHRASE), NotABackupError);
    await assert.rejects(openBackup('b', new Uint8Array(0), PASSPHRASE), NotABackupError);
  });

  it('refuses payloads that do not parse, never naming record ids', () => {
    const good = encodeBackupPayload(CONTENTS);
    const broken = (mutate: (p: Uint8Array) => void) => {
      const p = good.slice();
      mutate(p);
      return p;
    };
    assert.throws(
      () =>
        decodeBackupPayload(
          'b',
          broken((p) => (p[12] = 0x02)),
        ),
      /the collection list is not its first entry/,
    );
    assert.throws(
      () =>
        decodeBackupPayload(
          'b',
          broken((p) => (p[11] = 9)),
        ),
      /an entry of unknown kind 0|an entry runs past the end/,
    );
    assert.throws(
      () =>
        decodeBackupPayload(
          'b',
          broken((p) => (p[11] = 200)),
        ),
      BackupCorruptError,
    );
    assert.throws(
      () =>
        decodeBackupPayload(
          'b',
          broken((p) => (p[good.length - 1] = 1)),
        ),
      /its padding is wrong/,
    );
    assert.throws(() => decodeBackupPayload('b', good.subarray(0, 11)), /its payload is too short/);
    const unlisted = encodeBackupPayload({ ...CONTENTS, collections: ['profile'], records: [CONTENTS.records[1]] });
    assert.throws(
      () => decodeBackupPayload('b', unlisted),
      (e: unknown) => e instanceof BackupCorruptError && /unlisted collection "contacts"/.test(e.message) && !e.message.includes('bob'),
    );
    const otherFile = encodeBackupPayload({ ...CONTENTS, files: [{ name: 'profile.json', data: new Uint8Array(1) }] });
    assert.throws(() => decodeBackupPayload('b', otherFile), /an unexpected file "profile.json"/);
  });
});
