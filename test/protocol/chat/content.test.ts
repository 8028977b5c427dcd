import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../../../protocol/bytes.js';
import { type ChatContent, decodeContent, DEFAULT_FILE_NAME, encodeContent, MAX_CONTENT_LENGTH, MAX_FILE_NAME_BYTES, MAX_MESSAGE_BYTES, sanitizeFileName } from '../../../protocol/chat/content.js';
import { ChatContentError } from '../../../protocol/chat/errors.js';

// Characters a hostile name would use, mixed with any grapheme.
const nameUnit = fc.oneof(
  fc.constantFrom('/', '\\', '\u0000', '\u001f', '\u007f', '\u0085', '\u200e', '\u202e', '\u2067', '\ufeff', '.', ' ', '\ud800', '\udc00'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);
const code = (c: string) => (err: unknown) => err instanceof ChatContentError && err.code === c;

describe('chat: content', function () {
  it('pins the text layout', function () {
    assert.equal(toHex(encodeContent({ kind: 'text', text: 'hé' })), '0168c3a9');
    assert.equal(toHex(encodeContent({ kind: 'text', text: '' })), '01');
  });

  it('pins the file layout', function () {
    const bytes = encodeContent({ kind: 'file', name: 'a.txt', data: Uint8Array.of(1, 2, 3) });
    assert.equal(toHex(bytes), '0205612e747874010203');
  });

  it('round-trips text and files', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        assert.deepEqual(decodeContent(encodeContent({ kind: 'text', text })), { kind: 'text', text });
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 ._-]{1,60}$/), fc.uint8Array({ maxLength: 300 }), (name, data) => {
        const decoded = decodeContent(encodeContent({ kind: 'file', name, data }));
        assert.deepEqual(decoded, { kind: 'file', name: sanitizeFileName(name), data });
      }),
      { numRuns: 200 },
    );
  });

  it('accepts exactly MAX_MESSAGE_BYTES of user data and refuses one more', function () {
    assert.equal(MAX_MESSAGE_BYTES, 1 << 20);
    const longestName = 'n'.repeat(MAX_FILE_NAME_BYTES);
    const biggest = encodeContent({ kind: 'file', name: longestName, data: new Uint8Array(MAX_MESSAGE_BYTES) });
    assert.equal(biggest.length, MAX_CONTENT_LENGTH);
    assert.equal((decodeContent(biggest) as { data: Uint8Array }).data.length, MAX_MESSAGE_BYTES);
    assert.equal(encodeContent({ kind: 'text', text: 'x'.repeat(MAX_MESSAGE_BYTES) }).length, MAX_MESSAGE_BYTES + 1);
    assert.throws(() => encodeContent({ kind: 'file', name: 'f', data: new Uint8Array(MAX_MESSAGE_BYTES + 1) }), code('too-large'));
    assert.throws(() => encodeContent({ kind: 'text', text: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }), code('too-large'));
    // Multi-byte characters count in bytes, not characters.
    assert.throws(() => encodeContent({ kind: 'text', text: 'é'.repeat(MAX_MESSAGE_BYTES / 2 + 1) }), code('too-large'));
    const oversized = new Uint8Array(2 + MAX_MESSAGE_BYTES + 1);
    oversized[0] = 1;
    oversized.fill(0x61, 1);
    assert.throws(() => decodeContent(oversized), code('too-large'));
  });

  it('sanitises file names on both sides', function () {
    assert.equal(sanitizeFileName('../../etc/passwd'), '.._.._etc_passwd');
    assert.equal(sanitizeFileName('C:\\Users\\x.doc'), 'C:_Users_x.doc');
    assert.equal(sanitizeFileName('a\u0000b\u001fc\u007fd\u0085e'), 'abcde');
    assert.equal(sanitizeFileName('photo\u202Egpj.exe'), 'photogpj.exe');
    assert.equal(sanitizeFileName('  report.pdf\n'), 'report.pdf');
    for (const empty of ['', '.', '..', '...', ' \t', '\u202E']) assert.equal(sanitizeFileName(empty), DEFAULT_FILE_NAME);
    assert.equal(sanitizeFileName('bad\ud800name'), 'bad\ufffdname');
    // What the receiver decodes is what the sender stored.
    const wire = encodeContent({ kind: 'file', name: 'dir/evil\u0007.sh', data: new Uint8Array(1) });
    assert.deepEqual(decodeContent(wire), { kind: 'file', name: 'dir_evil.sh', data: new Uint8Array(1) });
    // A hostile sender's raw bytes are sanitised on decode too.
    const raw = Uint8Array.of(2, 6, 0x2f, 0x65, 0x74, 0x63, 0x0a, 0x2f, 9);
    assert.deepEqual(decodeContent(raw), { kind: 'file', name: '_etc_', data: Uint8Array.of(9) });
    assert.deepEqual(decodeContent(Uint8Array.of(2, 0, 7)), { kind: 'file', name: DEFAULT_FILE_NAME, data: Uint8Array.of(7) });
    fc.assert(
      fc.property(fc.string({ unit: nameUnit, maxLength: 80 }), (name) => {
        const clean = sanitizeFileName(name);
        assert.ok(!/[/\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(clean), JSON.stringify(clean));
        assert.ok(!/[\ud800-\udfff]/.test(clean.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')), 'no lone surrogate');
        assert.ok(clean.length > 0);
        assert.equal(sanitizeFileName(clean), clean);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses over-long file names with a typed error', function () {
    assert.equal(sanitizeFileName('é'.repeat(127) + 'x'), 'é'.repeat(127) + 'x'); // 255 bytes
    assert.throws(() => sanitizeFileName('é'.repeat(128)), code('bad-name'));
    assert.throws(() => encodeContent({ kind: 'file', name: 'n'.repeat(256), data: new Uint8Array(0) }), code('bad-name'));
  });

  it('refuses malformed content with typed errors', function () {
    assert.throws(() => decodeContent(new Uint8Array(0)), code('truncated'));
    assert.throws(() => decodeContent(Uint8Array.of(3, 1)), code('bad-kind'));
    assert.throws(() => decodeContent(Uint8Array.of(0)), code('bad-kind'));
    assert.throws(() => decodeContent(Uint8Array.of(2)), code('truncated'));
    assert.throws(() => decodeContent(Uint8Array.of(2, 5, 0x61, 0x62)), code('truncated'));
    assert.throws(() => decodeContent(Uint8Array.of(1, 0xc3)), code('bad-utf8'));
    assert.throws(() => decodeContent(Uint8Array.of(1, 0xed, 0xa0, 0x80)), code('bad-utf8')); // an encoded surrogate
    assert.throws(() => decodeContent(Uint8Array.of(2, 1, 0xff)), code('bad-utf8'));
    assert.throws(() => encodeContent({ kind: 'video' } as unknown as ChatContent), code('bad-argument'));
    assert.throws(() => encodeContent({ kind: 'file', name: 'x', data: [1] } as unknown as ChatContent), code('bad-argument'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeContent(bytes);
        } catch (err) {
          assert.ok(err instanceof ChatContentError, String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});
