import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toHex } from '../../../protocol/bytes.js';
import {
  checkRegistrationProof,
  decodeRegisterRequest,
  encodeRegisterRequest,
  leadingZeroBits,
  parseProofRequired,
  proofRequiredMessage,
  REGISTER_REQUEST_LENGTH,
  RegisterFormatError,
  searchRegistrationProof,
} from '../../../protocol/wire/register.js';

const d = Uint8Array.from({ length: 32 }, (_, i) => 0xd0 + (i % 16));
const t = Uint8Array.from({ length: 32 }, (_, i) => i);
const gatewayKey = new Uint8Array(32).fill(0x11);
const clientKey = new Uint8Array(32).fill(0x33);

describe('wire: client register request and proof of work', function () {
  it('pins the request layout: version ‖ flags ‖ delivery id ‖ invite token ‖ nonce', function () {
    assert.equal(REGISTER_REQUEST_LENGTH, 74);
    const all = encodeRegisterRequest({ deliveryId: d, inviteToken: t, proofNonce: 0x0102030405060708n });
    assert.equal(toHex(all), '01' + '07' + toHex(d) + toHex(t) + '0102030405060708');
    const onlyDelivery = encodeRegisterRequest({ deliveryId: d });
    assert.equal(toHex(onlyDelivery), '01' + '01' + toHex(d) + '00'.repeat(32) + '00'.repeat(8));
    assert.equal(toHex(encodeRegisterRequest({ inviteToken: t })), '01' + '02' + '00'.repeat(32) + toHex(t) + '00'.repeat(8));
    assert.equal(toHex(encodeRegisterRequest({ proofNonce: 5n })), '01' + '04' + '00'.repeat(64) + '0000000000000005');
    assert.equal(encodeRegisterRequest({}).length, 0, 'no field: the legacy empty body');
  });

  it('round-trips, and decodes the empty body as a request without fields', function () {
    for (const r of [{}, { deliveryId: d }, { inviteToken: t }, { proofNonce: 0n }, { deliveryId: d, inviteToken: t, proofNonce: (1n << 64n) - 1n }]) {
      assert.deepEqual(decodeRegisterRequest(encodeRegisterRequest(r)), r);
    }
  });

  it('refuses other lengths, versions, unknown flags, non-zero absent fields and the all-zero delivery id', function () {
    const good = encodeRegisterRequest({ deliveryId: d });
    assert.throws(() => decodeRegisterRequest(good.subarray(1)), RegisterFormatError);
    assert.throws(() => decodeRegisterRequest(new Uint8Array([1, 2, 3])), /empty or 74 bytes/);
    const version = Uint8Array.from(good);
    version[0] = 2;
    assert.throws(() => decodeRegisterRequest(version), /version 2/);
    const flags = Uint8Array.from(good);
    flags[1] = 0x09;
    assert.throws(() => decodeRegisterRequest(flags), /unknown flags/);
    const stray = Uint8Array.from(good);
    stray[40] = 1; // in the invite field, whose flag is clear
    assert.throws(() => decodeRegisterRequest(stray), /absent invite/);
    const zeroDelivery = new Uint8Array(REGISTER_REQUEST_LENGTH);
    zeroDelivery[0] = 1;
    zeroDelivery[1] = 1;
    assert.throws(() => decodeRegisterRequest(zeroDelivery), /drop recipient/);
    assert.throws(() => encodeRegisterRequest({ deliveryId: new Uint8Array(32) }), /drop recipient/);
    assert.throws(() => encodeRegisterRequest({ deliveryId: new Uint8Array(31) }), RegisterFormatError);
    assert.throws(() => encodeRegisterRequest({ proofNonce: -1n }), RegisterFormatError);
  });

  it('pins the proof of work: SHA-256("chaff-register-pow-v1\\0" ‖ gateway key ‖ client key ‖ nonce) with leading zero bits', function () {
    const hash = (nonce: bigint) => {
      const n = Buffer.alloc(8);
      n.writeBigUInt64BE(nonce);
      return new Uint8Array(createHash('sha256').update('chaff-register-pow-v1\0').update(gatewayKey).update(clientKey).update(n).digest());
    };
    const nonce = searchRegistrationProof(gatewayKey, clientKey, 10, 0n, 1 << 20)!;
    assert.notEqual(nonce, null);
    assert.ok(leadingZeroBits(hash(nonce)) >= 10, 'the found nonce meets the bits by an independent SHA-256');
    for (let n = 0n; n < nonce; n++) assert.ok(leadingZeroBits(hash(n)) < 10, 'the first such nonce');
    assert.equal(nonce, 978n, 'pinned for these keys');
    assert.equal(checkRegistrationProof(gatewayKey, clientKey, nonce, 10), true);
    assert.equal(checkRegistrationProof(new Uint8Array(32).fill(0x12), clientKey, nonce, 10), false, 'bound to the gateway');
    assert.equal(checkRegistrationProof(gatewayKey, new Uint8Array(32).fill(0x34), nonce, 10), false, 'bound to the client key');
    assert.equal(checkRegistrationProof(gatewayKey, clientKey, 12345n, 0), true, '0 bits: free');
    assert.equal(leadingZeroBits(new Uint8Array([0, 0x1f])), 11);
    assert.equal(leadingZeroBits(new Uint8Array(2)), 16);
  });

  it('the proof-required refusal carries the bits', function () {
    assert.equal(proofRequiredMessage(18), 'proof of work required: 18 bits');
    assert.equal(parseProofRequired(proofRequiredMessage(18)), 18);
    assert.equal(parseProofRequired('proof of work required: 99 bits'), null, 'beyond 32 bits');
    assert.equal(parseProofRequired('closed'), null);
  });
});
