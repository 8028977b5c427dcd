import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../protocol/bytes.js';
import { encodeContent, MAX_CONTENT_LENGTH, MAX_MESSAGE_BYTES } from '../../../protocol/chat/content.js';
import { ChatContentError, ChatFrameError } from '../../../protocol/chat/errors.js';
import { DATA_HEADER_LENGTH, type DataFragment, decodeFrame } from '../../../protocol/chat/frames.js';
import { defragment, fragment, fragmentCount, maxChunkLength } from '../../../protocol/chat/fragmenter.js';
import { deterministicRandom } from '../../helpers/drbg.js';

const P = 1800;
const id = fromHex('00112233445566778899aabbccddeeff');
const decodeAll = (frames: Uint8Array[]) => frames.map((f) => decodeFrame(f) as DataFragment);

describe('chat: fragmenter', function () {
  it('pins the fragments of a seeded message', function () {
    const content = deterministicRandom('chat-fragmenter')(5000);
    const frames = fragment(id, 42n, 1_700_000_000_000, content, P);
    assert.deepEqual(
      frames.map((f) => f.length),
      [P, P, 5000 - 2 * (P - DATA_HEADER_LENGTH) + DATA_HEADER_LENGTH],
    );
    // The last fragment's header, field by field: index 2 of 3, 5000 bytes, 1494-byte chunk at offset 2 · 1753.
    assert.equal(toHex(frames[2].subarray(0, DATA_HEADER_LENGTH)), '01' + '00112233445566778899aabbccddeeff' + '000000000000002a' + '00000002' + '00000003' + '00001388' + '4278bcfe56800000' + '05d6');
    assert.deepEqual(frames[2].subarray(DATA_HEADER_LENGTH), content.subarray(2 * 1753));
    const digest = createHash('sha256')
      .update(concatBytes(...frames))
      .digest('hex');
    assert.equal(digest, 'de960853a56377c11a148cf5e3b2ff9508b69f242bfaac32fb31b04ee4dcdb4a');
  });

  it('0 bytes: one fragment with an empty chunk', function () {
    const frames = fragment(id, 0n, 0, new Uint8Array(0), P);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].length, DATA_HEADER_LENGTH);
    const [f] = decodeAll(frames);
    assert.deepEqual([f.index, f.count, f.contentLength, f.chunk.length], [0, 1, 0, 0]);
    assert.deepEqual(defragment([f]), new Uint8Array(0));
  });

  it('1 byte: one fragment', function () {
    const frames = fragment(id, 0n, 0, Uint8Array.of(0x5a), P);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].length, DATA_HEADER_LENGTH + 1);
    assert.deepEqual(defragment(decodeAll(frames)), Uint8Array.of(0x5a));
  });

  it('exactly P − overhead bytes fill one frame; one more byte needs two', function () {
    const exact = new Uint8Array(maxChunkLength(P)).fill(1);
    assert.equal(maxChunkLength(P), P - DATA_HEADER_LENGTH);
    const one = fragment(id, 1n, 0, exact, P);
    assert.equal(one.length, 1);
    assert.equal(one[0].length, P);
    const two = fragment(id, 1n, 0, new Uint8Array(exact.length + 1), P);
    assert.deepEqual(
      two.map((f) => f.length),
      [P, DATA_HEADER_LENGTH + 1],
    );
  });

  it('1 MiB of file data: the expected, minimal count; 1 MiB + 1 refused', function () {
    const data = deterministicRandom('chat-1mib')(MAX_MESSAGE_BYTES);
    const content = encodeContent({ kind: 'file', name: 'big.bin', data });
    assert.equal(content.length, MAX_MESSAGE_BYTES + 2 + 7);
    const frames = fragment(id, 3n, 5, content, P);
    const stride = P - DATA_HEADER_LENGTH; // 1753
    assert.equal(frames.length, 599); // ⌈1 048 585 / 1753⌉
    assert.equal(frames.length, fragmentCount(content.length, P));
    assert.ok((frames.length - 1) * stride < content.length); // minimal
    assert.ok(frames.every((f) => f.length <= P));
    assert.deepEqual(defragment(decodeAll(frames)), content);
    // Raw content of exactly 1 MiB, too.
    assert.equal(fragment(id, 3n, 5, new Uint8Array(MAX_MESSAGE_BYTES), P).length, 599);
    assert.throws(() => encodeContent({ kind: 'file', name: 'big.bin', data: new Uint8Array(MAX_MESSAGE_BYTES + 1) }), ChatContentError);
    assert.throws(() => encodeContent({ kind: 'text', text: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }), ChatContentError);
    // The fragmenter's own bound is the largest encoded content.
    assert.equal(fragment(id, 3n, 5, new Uint8Array(MAX_CONTENT_LENGTH), P).length, 599);
    assert.throws(
      () => fragment(id, 3n, 5, new Uint8Array(MAX_CONTENT_LENGTH + 1), P),
      (err) => err instanceof ChatContentError && err.code === 'too-large',
    );
  });

  it('every fragment fits, the count is minimal, and defragment restores the content', function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: DATA_HEADER_LENGTH + 1, max: 400 }), (content, maxFrameLength) => {
        const frames = fragment(id, 9n, 123.25, content, maxFrameLength);
        const stride = maxFrameLength - DATA_HEADER_LENGTH;
        assert.ok(frames.every((f) => f.length <= maxFrameLength));
        assert.equal(frames.length, Math.max(1, Math.ceil(content.length / stride)));
        const fragments = decodeAll(frames);
        assert.deepEqual(defragment(fragments.slice().reverse()), content);
      }),
      { numRuns: 200 },
    );
  });

  it('defragment refuses missing, foreign and conflicting fragments', function () {
    const fragments = decodeAll(fragment(id, 1n, 0, new Uint8Array(500).fill(3), 200));
    assert.equal(fragments.length, 4);
    const err = (e: unknown) => e instanceof ChatFrameError && e.code === 'bad-argument';
    assert.throws(() => defragment([]), err);
    assert.throws(() => defragment(fragments.slice(1)), err);
    assert.throws(() => defragment([...fragments, { ...fragments[1], seq: 2n }]), err);
    assert.throws(() => defragment([...fragments, { ...fragments[1], chunk: new Uint8Array(fragments[1].chunk.length) }]), err);
    assert.deepEqual(defragment([...fragments, fragments[2]]), new Uint8Array(500).fill(3));
  });

  it('refuses bad arguments with typed errors', function () {
    assert.throws(() => fragment(id, 0n, 0, new Uint8Array(1), DATA_HEADER_LENGTH), ChatFrameError);
    assert.throws(() => fragment(new Uint8Array(8), 0n, 0, new Uint8Array(1), P), ChatFrameError);
    assert.throws(() => fragment(id, -1n, 0, new Uint8Array(1), P), ChatFrameError);
    assert.throws(() => fragment(id, 0n, Number.POSITIVE_INFINITY, new Uint8Array(1), P), ChatFrameError);
    assert.throws(() => fragment(id, 0n, 0, 'text' as unknown as Uint8Array, P), ChatContentError);
    assert.throws(() => fragmentCount(-1, P), ChatFrameError);
  });
});
