// The group layer's byte formats, pinned (docs/groups.md §Ops, §Group
// messages, §Group frames), and strict decoding: random or damaged bytes give
// a GroupError, never anything else.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { sha256 } from '../../../protocol/crypto/hash.js';
import { addressToBytes } from '../../../protocol/e2ee/address.js';
import { GroupError } from '../../../protocol/groups/errors.js';
import { decodeGroupFrame, encodeGroupFrames, GROUP_FRAME_HEADER_LENGTH } from '../../../protocol/groups/frame.js';
import { decodeGroupMessage, encodeGroupMessage } from '../../../protocol/groups/messages.js';
import { decodeOp, groupIdOf, signOp, OP_SIGNATURE_DOMAIN } from '../../../protocol/groups/op.js';
import { verify } from '../../../protocol/crypto/ed25519.js';
import { concatBytes } from '../../../protocol/bytes.js';
import { member } from './fixtures.js';

const alice = member(60);
const salt = new Uint8Array(16).fill(0xab);
const groupId = groupIdOf(alice.key, salt);
const create = signOp({ groupId, author: alice.identity.signingKey, deps: [], timeMs: 1_700_000_000_000, body: { kind: 'create', salt, creator: alice.address, name: 'pinned' } });
const accept = signOp({ groupId, author: alice.identity.signingKey, deps: [{ id: create.id, lamport: 0 }], timeMs: 1_700_000_000_001, body: { kind: 'accept' } });

const isGroupError = (e: unknown) => e instanceof GroupError;

describe('groups: wire formats', () => {
  it('pins a create op field by field', () => {
    const b = create.bytes;
    assert.equal(b.length, 63 + 2 + 16 + 225 + 6 + 64);
    assert.equal(b[0], 1, 'version');
    assert.deepEqual(b.subarray(1, 17), groupId);
    assert.equal(b[17], 1, 'kind create');
    assert.deepEqual(b.subarray(18, 50), alice.key);
    assert.equal(toHex(b.subarray(50, 54)), '00000000', 'Lamport 0');
    assert.equal(toHex(b.subarray(54, 62)), '4278bcfe56800000', 'f64 1.7e12');
    assert.equal(b[62], 0, 'no dependencies');
    assert.equal(toHex(b.subarray(63, 65)), (16 + 225 + 6).toString(16).padStart(4, '0'), 'body length');
    assert.deepEqual(b.subarray(65, 81), salt);
    assert.deepEqual(b.subarray(81, 306), addressToBytes(alice.address));
    assert.equal(new TextDecoder().decode(b.subarray(306, 312)), 'pinned');
    assert.ok(verify(alice.key, concatBytes(new TextEncoder().encode(OP_SIGNATURE_DOMAIN), b.subarray(0, 312)), b.subarray(312)));
    assert.deepEqual(create.id, sha256(b));
    assert.equal(toHex(groupId), '1e754332fe381525ac3449cdf0423237');
    assert.equal(toHex(create.id), 'b0e4a2d8f1f376450dae5fc275d78f1225bce5c9b21de3b370e15d4d6f23935c');
  });

  it('pins an accept op byte for byte', () => {
    assert.equal(accept.bytes.length, 63 + 32 + 2 + 64);
    assert.deepEqual(accept.bytes.subarray(18, 50), alice.key);
    assert.equal(
      toHex(accept.bytes),
      [
        '01', // version
        '1e754332fe381525ac3449cdf0423237', // group id
        '03', // kind accept
        'c210e75b4b8efa7e42802b60c62a24cc807bcdf307e9136f1f79d550c9f25463', // author
        '00000001', // Lamport time
        '4278bcfe56801000', // time, f64
        '01', // one dependency
        'b0e4a2d8f1f376450dae5fc275d78f1225bce5c9b21de3b370e15d4d6f23935c', // the create's id
        '0000', // empty body
        'd0b6899ad64490efb946944effdec883c7eefdcb58cf31f06e5b6ef13900883880e0823e56e7cba2933596728075ef9fcb4d8aa9ec7d9108ccb85411b5d9a506', // signature
      ].join(''),
    );
    assert.equal(accept.lamport, 1);
    assert.deepEqual(decodeOp(accept.bytes).id, accept.id);
  });

  it('pins the group messages', () => {
    const id = fromHex('00112233445566778899aabbccddeeff');
    const post = encodeGroupMessage({ type: 'post', id, seq: 7n, sentMs: 1_700_000_000_002, heads: [accept.id], content: { kind: 'text', text: 'hi' } });
    assert.equal(toHex(post), `03${toHex(id)}0000000000000007${'4278bcfe56802000'}01${toHex(accept.id)}016869`);
    assert.equal(toHex(encodeGroupMessage({ type: 'receipt', receipt: 'read', ids: [id] })), `040201${toHex(id)}`);
    assert.equal(toHex(encodeGroupMessage({ type: 'sync', heads: [accept.id], want: [] })), `0501${toHex(accept.id)}00`);
    const ops = encodeGroupMessage({ type: 'ops', ops: [accept] });
    assert.equal(toHex(ops), `010001${accept.bytes.length.toString(16).padStart(4, '0')}${toHex(accept.bytes)}`);
    for (const m of [post, ops]) assert.deepEqual(encodeGroupMessage(decodeGroupMessage(m)), m);
  });

  it('pins a group frame: kind 4, version 1, group id, then a chat data fragment', () => {
    const message = encodeGroupMessage({ type: 'sync', heads: [], want: [] });
    const [frame] = encodeGroupFrames(groupId, new Uint8Array(16).fill(0x11), 3n, 1_700_000_000_003, message, 1621);
    assert.equal(frame.length, GROUP_FRAME_HEADER_LENGTH + 47 + message.length);
    assert.equal(toHex(frame), `0401${toHex(groupId)}01${'11'.repeat(16)}0000000000000003${'00000000'}${'00000001'}${'00000003'}${'4278bcfe56803000'}0003${toHex(message)}`);
    const decoded = decodeGroupFrame(frame);
    assert.deepEqual(decoded.groupId, groupId);
    assert.deepEqual(decoded.fragment.chunk, message);
  });

  it('a frame never exceeds the envelope plaintext, and a long message spans frames', () => {
    const message = encodeGroupMessage({ type: 'post', id: new Uint8Array(16), seq: 0n, sentMs: 0, heads: [accept.id], content: { kind: 'text', text: 'y'.repeat(4000) } });
    const frames = encodeGroupFrames(groupId, new Uint8Array(16), 0n, 0, message, 1621);
    assert.equal(frames.length, Math.ceil(message.length / (1621 - GROUP_FRAME_HEADER_LENGTH - 47)));
    for (const f of frames) assert.ok(f.length <= 1621);
  });

  it('refuses damaged ops: any flipped bit is malformed or a bad signature', () => {
    fc.assert(
      fc.property(fc.nat({ max: accept.bytes.length * 8 - 1 }), (bit) => {
        const damaged = Uint8Array.from(accept.bytes);
        damaged[bit >>> 3] ^= 1 << (bit & 7);
        assert.throws(() => decodeOp(damaged), isGroupError);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes raise nothing but GroupError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(1, 2, 3, 4, 5, 0x04), (bytes, first) => {
        const b = bytes.length > 0 ? Uint8Array.from([first, ...bytes.subarray(1)]) : bytes;
        for (const decode of [decodeGroupMessage, decodeOp, decodeGroupFrame]) {
          try {
            decode(b);
          } catch (e) {
            assert.ok(isGroupError(e), `${decode.name}: ${(e as Error).name}: ${(e as Error).message}`);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
