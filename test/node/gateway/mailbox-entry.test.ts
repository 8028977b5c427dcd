import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { decodeMailboxEntry, encodeMailboxEntry } from '../../../node/gateway/mailbox-entry.js';

describe('node/gateway/mailbox-entry: what a mailbox stores', function () {
  const surbId = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);

  it('pins the layout: kind (bit 6: via the delivery id) ‖ [SURB id] ‖ body', function () {
    assert.equal(toHex(encodeMailboxEntry({ kind: 'message', surbId: null, via: 'address', body: new Uint8Array([0xab, 0xcd]) })), '01abcd');
    assert.equal(toHex(encodeMailboxEntry({ kind: 'surb-reply', surbId, via: 'address', body: new Uint8Array([0x01, 0x02, 0x03]) })), '02' + 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff' + '010203');
    assert.equal(toHex(encodeMailboxEntry({ kind: 'message', surbId: null, via: 'delivery', body: new Uint8Array([0xab, 0xcd]) })), '41abcd');
    assert.equal(toHex(encodeMailboxEntry({ kind: 'surb-reply', surbId, via: 'delivery', body: new Uint8Array([0x01]) })), '42' + 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff' + '01');
    // Entries stored before delivery ids existed (kind 1 or 2, no flag) came through the public mailbox id.
    assert.equal(decodeMailboxEntry(new Uint8Array([1, 0xab]))!.via, 'address');
  });

  it('round-trips both kinds, and an empty body', function () {
    for (const entry of [
      { kind: 'message' as const, surbId: null, via: 'address' as const, body: new Uint8Array([1, 2, 3]) },
      { kind: 'message' as const, surbId: null, via: 'delivery' as const, body: new Uint8Array(0) },
      { kind: 'surb-reply' as const, surbId, via: 'delivery' as const, body: new Uint8Array(40).fill(9) },
      { kind: 'surb-reply' as const, surbId, via: 'address' as const, body: new Uint8Array(1) },
    ]) {
      assert.deepEqual(decodeMailboxEntry(encodeMailboxEntry(entry)), entry);
    }
  });

  it('does not decode unknown kinds or a truncated SURB reply, and refuses a bad SURB id', function () {
    assert.equal(decodeMailboxEntry(new Uint8Array(0)), null);
    assert.equal(decodeMailboxEntry(new Uint8Array([0, 1, 2])), null);
    assert.equal(decodeMailboxEntry(new Uint8Array([3, 1, 2])), null);
    assert.equal(decodeMailboxEntry(new Uint8Array([0x43, 1, 2])), null);
    assert.equal(decodeMailboxEntry(new Uint8Array([0x81, 1, 2])), null);
    assert.equal(decodeMailboxEntry(new Uint8Array(16).fill(2)), null, '15 bytes of SURB id');
    assert.throws(() => encodeMailboxEntry({ kind: 'surb-reply', surbId: new Uint8Array(15), via: 'address', body: new Uint8Array(1) }), RangeError);
    assert.throws(() => encodeMailboxEntry({ kind: 'surb-reply', surbId: null, via: 'address', body: new Uint8Array(1) }), RangeError);
    assert.throws(() => encodeMailboxEntry({ kind: 'message', surbId, via: 'address', body: new Uint8Array(1) }), RangeError);
  });
});
