import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { geometryFromUserForwardPayloadLength, PRODUCTION_GEOMETRY } from '../../../protocol/sphinx/index.js';
import {
  CLIENT_PAYLOAD_FLAG_SURB,
  ClientPayloadError,
  decodeClientPayload,
  DROP_RECIPIENT,
  encodeClientPayload,
  hasClientPayloadRoom,
  isDropRecipient,
  type ClientPayloadErrorCode,
} from '../../../protocol/wire/client-payload.js';
import { deterministicRandom } from '../../helpers/drbg.js';

// Small geometry: header 2 + 32 + 2·82 + 32 = 230, SURB 230 + 32 + 64 = 326, forward payload 2 + 326 + 16 = 344.
const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 2, userForwardPayloadLength: 16, withSURB: true });
const noSurbRoom = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 2, userForwardPayloadLength: 16, withSURB: false });
const user = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function rejects(fn: () => unknown, code: ClientPayloadErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof ClientPayloadError && err.code === code);
}

describe('wire: client payload', function () {
  it('has the geometry’s forward payload length', function () {
    assert.equal(geometry.surbLength, 326);
    assert.equal(geometry.forwardPayloadLength, 344);
    assert.equal(encodeClientPayload(PRODUCTION_GEOMETRY, { surb: null, userPayload: new Uint8Array(2048) }).length, 2622);
    assert.equal(hasClientPayloadRoom(geometry), true);
    assert.equal(hasClientPayloadRoom(PRODUCTION_GEOMETRY), true);
    assert.equal(hasClientPayloadRoom(noSurbRoom), false);
  });

  it('pins the layout without a SURB: flags 0, reserved 0, random SURB slot, user payload', function () {
    const bytes = encodeClientPayload(geometry, { surb: null, userPayload: user }, deterministicRandom('client-payload'));
    const expected = concatBytes(new Uint8Array([0, 0]), deterministicRandom('client-payload')(326), user);
    assert.deepEqual(bytes, expected);
    assert.equal(toHex(bytes.subarray(0, 10)), '0000e64372198e018e63');
    assert.equal(toHex(bytes.subarray(328)), 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    assert.equal(sha(bytes), '97cdc9db4f1a36ab4226112217e32037d3fa10cd1b6f592afeaacacdee0c44e4');
    assert.deepEqual(decodeClientPayload(geometry, bytes), { surb: null, userPayload: user });
  });

  it('pins the layout with a SURB: flags 1 and the SURB in its slot; round-trips', function () {
    const surb = deterministicRandom('a SURB')(geometry.surbLength);
    const bytes = encodeClientPayload(geometry, { surb, userPayload: user }, () => {
      throw new Error('no randomness needed with a SURB');
    });
    assert.equal(bytes[0], CLIENT_PAYLOAD_FLAG_SURB);
    assert.equal(bytes[1], 0);
    assert.deepEqual(bytes.subarray(2, 328), surb);
    assert.deepEqual(bytes.subarray(328), user);
    assert.equal(sha(bytes), sha(concatBytes(new Uint8Array([1, 0]), surb, user)));
    const decoded = decodeClientPayload(geometry, bytes);
    assert.deepEqual(decoded, { surb, userPayload: user });
    // The result owns its bytes.
    bytes.fill(0xee);
    assert.deepEqual(decoded.surb, surb);
    assert.deepEqual(decoded.userPayload, user);
  });

  it('pins drop cover and a decoy: the same layouts, flag 0 (discarded) and flag 1 (its SURB-ACK is sent), for the drop recipient', function () {
    assert.equal(toHex(DROP_RECIPIENT), '00'.repeat(32));
    const surb = deterministicRandom('a decoy SURB')(geometry.surbLength);
    const decoy = encodeClientPayload(geometry, { surb, userPayload: user });
    const drop = encodeClientPayload(geometry, { surb: null, userPayload: user }, deterministicRandom('client-payload'));
    assert.equal(toHex(decoy.subarray(0, 2)), '0100');
    assert.equal(toHex(drop.subarray(0, 2)), '0000');
    assert.equal(decoy.length, drop.length);
    assert.deepEqual(decodeClientPayload(geometry, decoy).surb, surb);
    assert.equal(decodeClientPayload(geometry, drop).surb, null);
  });

  it('refuses unknown flags, a non-zero reserved byte and wrong sizes', function () {
    const good = encodeClientPayload(geometry, { surb: null, userPayload: user });
    for (const flags of [0x02, 0x03, 0x80, 0xff]) {
      const bad = Uint8Array.from(good);
      bad[0] = flags;
      rejects(() => decodeClientPayload(geometry, bad), 'bad-flags');
    }
    const reserved = Uint8Array.from(good);
    reserved[1] = 1;
    rejects(() => decodeClientPayload(geometry, reserved), 'bad-reserved');
    rejects(() => decodeClientPayload(geometry, good.subarray(1)), 'wrong-size');
    rejects(() => decodeClientPayload(geometry, concatBytes(good, new Uint8Array(1))), 'wrong-size');
    rejects(() => decodeClientPayload(noSurbRoom, good.subarray(0, noSurbRoom.forwardPayloadLength)), 'no-surb-room');
    rejects(() => encodeClientPayload(geometry, { surb: null, userPayload: new Uint8Array(15) }), 'wrong-size');
    rejects(() => encodeClientPayload(geometry, { surb: new Uint8Array(325), userPayload: user }), 'wrong-size');
    rejects(() => encodeClientPayload(noSurbRoom, { surb: null, userPayload: user }), 'no-surb-room');
  });

  it('the drop recipient is 32 zero bytes, and only that is one', function () {
    assert.deepEqual(DROP_RECIPIENT, new Uint8Array(32));
    assert.equal(isDropRecipient(new Uint8Array(32)), true);
    for (let i = 0; i < 32; i++) {
      const id = new Uint8Array(32);
      id[i] = 1;
      assert.equal(isDropRecipient(id), false, `byte ${i}`);
    }
    assert.equal(isDropRecipient(new Uint8Array(31)), false);
    assert.equal(isDropRecipient(new Uint8Array(33)), false);
  });
});
