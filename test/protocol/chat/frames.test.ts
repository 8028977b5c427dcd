import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { MAX_CONTENT_LENGTH } from '../../../protocol/chat/content.js';
import {
  type ChatFrame,
  ChatFrameError,
  DATA_HEADER_LENGTH,
  type DataFragment,
  decodeFrame,
  encodeFrame,
  encodeReadReceipts,
  MAX_FRAME_LENGTH,
  maxReceiptIds,
  MIN_FRAME_LENGTH,
} from '../../../protocol/chat/frames.js';
import { fragment } from '../../../protocol/chat/fragmenter.js';

const P = 1800;
const id = fromHex('000102030405060708090a0b0c0d0e0f');
const code = (c: string) => (err: unknown) => err instanceof ChatFrameError && err.code === c;

const pinnedData: DataFragment = {
  kind: 'data',
  messageId: id,
  seq: 0x0102030405060708n,
  index: 1,
  count: 3,
  contentLength: 10,
  sentMs: 1_700_000_000_000,
  chunk: new TextEncoder().encode('abcd'),
};
const pinnedDataHex =
  '01' + // kind
  '000102030405060708090a0b0c0d0e0f' + // message id
  '0102030405060708' + // seq
  '00000001' + // index
  '00000003' + // count
  '0000000a' + // content length
  '4278bcfe56800000' + // sent time, f64
  '0004' + // chunk length
  '61626364'; // chunk

const pinnedReceiptHex = '020102' + 'aa'.repeat(16) + '000102030405060708090a0b0c0d0e0f';

/** pinnedDataHex with the fields after the id replaced. */
function dataHex(seq: string, index: string, count: string, length: string, sent: string, chunkLength: string, chunk: string): string {
  return '01' + '000102030405060708090a0b0c0d0e0f' + seq + index + count + length + sent + chunkLength + chunk;
}

describe('chat: frames', function () {
  it('pins the data fragment layout', function () {
    assert.equal(DATA_HEADER_LENGTH, 47);
    const bytes = encodeFrame(pinnedData, P);
    assert.equal(toHex(bytes), pinnedDataHex);
    assert.equal(bytes.length, DATA_HEADER_LENGTH + 4);
    assert.deepEqual(decodeFrame(fromHex(pinnedDataHex)), pinnedData);
  });

  it('pins the receipt layout', function () {
    const receipt: ChatFrame = { kind: 'receipt', receiptType: 'read', messageIds: [new Uint8Array(16).fill(0xaa), id] };
    assert.equal(toHex(encodeFrame(receipt, P)), pinnedReceiptHex);
    assert.deepEqual(decodeFrame(fromHex(pinnedReceiptHex)), receipt);
  });

  it('pins the contact card layout and refuses malformed cards', function () {
    const card: ChatFrame = { kind: 'card', deliveryId: new Uint8Array(32).fill(0xd1), mailboxProof: new Uint8Array(96).fill(0x9f) };
    const bytes = encodeFrame(card, P);
    assert.equal(toHex(bytes), '030101' + 'd1'.repeat(32) + '9f'.repeat(96));
    assert.deepEqual(decodeFrame(bytes), card);
    const none: ChatFrame = { kind: 'card', deliveryId: null, mailboxProof: new Uint8Array(96).fill(0x9f) };
    assert.equal(toHex(encodeFrame(none, P)), '030100' + '00'.repeat(32) + '9f'.repeat(96));
    assert.deepEqual(decodeFrame(encodeFrame(none, P)), none);
    const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
    assert.throws(() => decodeFrame(bytes.subarray(0, 130)), code('truncated'));
    assert.throws(() => decodeFrame(Uint8Array.of(...bytes, 0)), code('trailing-bytes'));
    assert.throws(() => decodeFrame(Uint8Array.of(3, 2, ...bytes.subarray(2))), code('out-of-range'));
    assert.throws(() => decodeFrame(Uint8Array.of(3, 1, 2, ...bytes.subarray(3))), code('out-of-range'));
    assert.throws(() => decodeFrame(Uint8Array.of(3, 1, 0, ...bytes.subarray(3))), code('out-of-range'), 'no delivery id, but non-zero bytes in its place');
  });

  it('round-trips any fragment the fragmenter makes', function () {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: MIN_FRAME_LENGTH, max: 200 }),
        (messageId, seq, sentMs, content, maxFrameLength) => {
          const frames = fragment(messageId, seq, sentMs, content, maxFrameLength);
          frames.forEach((bytes, index) => {
            const f = decodeFrame(bytes) as DataFragment;
            assert.equal(f.kind, 'data');
            assert.deepEqual({ ...f, chunk: undefined }, { kind: 'data', messageId, seq, index, count: frames.length, contentLength: content.length, sentMs, chunk: undefined });
            assert.deepEqual(encodeFrame(f, maxFrameLength), bytes);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips receipts up to the most ids that fit', function () {
    assert.equal(maxReceiptIds(P), 112);
    assert.equal(maxReceiptIds(MAX_FRAME_LENGTH), 255);
    assert.equal(maxReceiptIds(MIN_FRAME_LENGTH), 2);
    const ids = Array.from({ length: 112 }, (_, i) => new Uint8Array(16).fill(i));
    const bytes = encodeFrame({ kind: 'receipt', receiptType: 'read', messageIds: ids }, P);
    assert.equal(bytes.length, 3 + 16 * 112);
    assert.deepEqual(decodeFrame(bytes), { kind: 'receipt', receiptType: 'read', messageIds: ids });
    assert.throws(() => encodeFrame({ kind: 'receipt', receiptType: 'read', messageIds: [...ids, id] }, P), code('too-long'));
    assert.throws(() => encodeFrame({ kind: 'receipt', receiptType: 'read', messageIds: [] }, P), code('out-of-range'));
  });

  it('splits many read receipts over as few frames as fit', function () {
    const ids = Array.from({ length: 250 }, (_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i + j) & 0xff));
    const frames = encodeReadReceipts(ids, P);
    assert.deepEqual(
      frames.map((f) => f.length),
      [3 + 16 * 112, 3 + 16 * 112, 3 + 16 * 26],
    );
    assert.deepEqual(
      frames.flatMap((f) => (decodeFrame(f) as { messageIds: Uint8Array[] }).messageIds),
      ids,
    );
    assert.equal(encodeReadReceipts([id], P).length, 1);
    assert.throws(() => encodeReadReceipts([], P), code('bad-argument'));
    assert.throws(() => encodeReadReceipts([new Uint8Array(4)], P), code('bad-argument'));
  });

  it('refuses to encode invalid frames', function () {
    const bad = (patch: Partial<DataFragment>) => ({ ...pinnedData, ...patch }) as DataFragment;
    assert.throws(() => encodeFrame(bad({ chunk: new Uint8Array(P - DATA_HEADER_LENGTH + 1), count: 1, index: 0, contentLength: P - DATA_HEADER_LENGTH + 1 }), P), code('too-long'));
    assert.throws(() => encodeFrame(bad({ index: 3 }), P), code('bad-index'));
    assert.throws(() => encodeFrame(bad({ sentMs: Number.NaN }), P), code('out-of-range'));
    assert.throws(() => encodeFrame(bad({ chunk: new Uint8Array(3) }), P), code('out-of-range'));
    assert.throws(() => encodeFrame(bad({ seq: -1n }), P), code('bad-argument'));
    assert.throws(() => encodeFrame(bad({ seq: 1n << 64n }), P), code('bad-argument'));
    assert.throws(() => encodeFrame(bad({ messageId: new Uint8Array(15) }), P), code('bad-argument'));
    assert.throws(() => encodeFrame(bad({ count: 1.5 }), P), code('bad-argument'));
    assert.throws(() => encodeFrame({ kind: 'nope' } as unknown as ChatFrame, P), code('bad-argument'));
    assert.throws(() => encodeFrame({ kind: 'receipt', receiptType: 'seen', messageIds: [id] } as unknown as ChatFrame, P), code('bad-argument'));
    for (const length of [MIN_FRAME_LENGTH - 1, MAX_FRAME_LENGTH + 1, 100.5, Number.NaN]) {
      assert.throws(() => encodeFrame(pinnedData, length), code('bad-argument'));
    }
  });

  it('refuses malformed data fragments with the reason', function () {
    const s = '0102030405060708';
    const t = '4278bcfe56800000';
    assert.throws(() => decodeFrame(new Uint8Array(0)), code('truncated'));
    assert.throws(() => decodeFrame(Uint8Array.of(0)), code('bad-kind'));
    assert.throws(() => decodeFrame(Uint8Array.of(4, 0, 0)), code('bad-kind'));
    assert.throws(() => decodeFrame(fromHex(pinnedDataHex).subarray(0, 46)), code('truncated'));
    assert.throws(() => decodeFrame(fromHex(pinnedDataHex).subarray(0, 50)), code('truncated'));
    assert.throws(() => decodeFrame(fromHex(pinnedDataHex + '00')), code('trailing-bytes'));
    // index ≥ count
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000003', '00000003', '0000000a', t, '0004', '61626364'))), code('bad-index'));
    // count 0
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000000', '00000000', '00000000', t, '0000', ''))), code('out-of-range'));
    // content length over the maximum
    const tooLong = (MAX_CONTENT_LENGTH + 1).toString(16).padStart(8, '0');
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000000', '00000001', tooLong, t, '0000', ''))), code('out-of-range'));
    // non-finite sent time
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000001', '00000003', '0000000a', '7ff8000000000000', '0004', '61626364'))), code('out-of-range'));
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000001', '00000003', '0000000a', 'fff0000000000000', '0004', '61626364'))), code('out-of-range'));
    // chunk lengths no sender could produce: 3 chunks of 3 cannot carry 10 bytes; a single fragment must carry everything
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000000', '00000003', '0000000a', t, '0003', '616263'))), code('out-of-range'));
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000000', '00000001', '0000000a', t, '0004', '61626364'))), code('out-of-range'));
    // last fragment: 10 − 3 = 7 is not a multiple of 2 fragments
    assert.throws(() => decodeFrame(fromHex(dataHex(s, '00000002', '00000003', '0000000a', t, '0003', '616263'))), code('out-of-range'));
    // the same last fragment with 2 bytes is fine (stride 4)
    assert.equal((decodeFrame(fromHex(dataHex(s, '00000002', '00000003', '0000000a', t, '0002', '6162'))) as DataFragment).index, 2);
  });

  it('refuses malformed receipts with the reason', function () {
    assert.throws(() => decodeFrame(Uint8Array.of(2, 1)), code('truncated'));
    assert.throws(() => decodeFrame(fromHex('020202' + 'aa'.repeat(32))), code('out-of-range')); // unknown receipt type
    assert.throws(() => decodeFrame(fromHex('020100')), code('out-of-range')); // no ids
    assert.throws(() => decodeFrame(fromHex(pinnedReceiptHex).subarray(0, 34)), code('truncated'));
    assert.throws(() => decodeFrame(fromHex(pinnedReceiptHex + 'ff')), code('trailing-bytes'));
  });

  it('decoded frames do not share memory with the input', function () {
    const bytes = fromHex(pinnedDataHex);
    const f = decodeFrame(bytes) as DataFragment;
    bytes.fill(0xee);
    assert.deepEqual(f, pinnedData);
  });

  it('random and mutated bytes never throw anything but ChatFrameError', function () {
    const valid = [fromHex(pinnedDataHex), fromHex(pinnedReceiptHex), ...fragment(id, 7n, 1, new Uint8Array(300).fill(1), 128)];
    const decodeOrChatError = (bytes: Uint8Array) => {
      try {
        const frame = decodeFrame(bytes);
        // Whatever decodes re-encodes to the same bytes: one encoding per frame.
        assert.deepEqual(encodeFrame(frame, MAX_FRAME_LENGTH), bytes);
      } catch (err) {
        assert.ok(err instanceof ChatFrameError, `unexpected ${String(err)}`);
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc.tuple(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 120 })).map(([k, rest]) => Uint8Array.of(k, ...rest)),
        ),
        decodeOrChatError,
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), fc.nat({ max: 255 }), fc.integer({ min: -3, max: 3 }), (frame, at, value, resize) => {
        const bytes = Uint8Array.from(frame);
        bytes[at % bytes.length] = value;
        const resized = resize >= 0 ? Uint8Array.of(...bytes, ...new Uint8Array(resize)) : bytes.subarray(0, Math.max(0, bytes.length + resize));
        decodeOrChatError(resized);
      }),
      { numRuns: 2000 },
    );
  });
});
