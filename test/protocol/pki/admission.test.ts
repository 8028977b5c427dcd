// Signed admission views (docs/pki.md §Admission): pinned bytes, signature,
// bounds, and the majority count.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import {
  admissionCount,
  AdmissionError,
  decodeSignedAdmissionView,
  encodeSignedAdmissionView,
  MAX_ADMITTED,
  preferredView,
  signAdmissionView,
  verifyAdmissionView,
} from '../../../protocol/pki/admission.js';
import { keyFor } from '../../helpers/pki-fixtures.js';

const A = keyFor(101);
const B = keyFor(102);
const N1 = keyFor(1).publicKey;
const N2 = keyFor(2).publicKey;
const failsWith = (code: string, fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof AdmissionError && e.code === code, code);

describe('protocol/pki/admission', function () {
  it('pins the view bytes: u64 epoch, authority key, u32 count, sorted (key, role) entries, signature over the domain', function () {
    const signed = signAdmissionView(
      {
        epoch: 7,
        authorityKey: A.publicKey,
        entries: [
          { identityKey: N2, role: 'gateway' },
          { identityKey: N1, role: null },
        ],
      },
      A,
    );
    const [lo, hi] =
      toHex(N1) < toHex(N2)
        ? [
            [N1, '00'],
            [N2, '02'],
          ]
        : [
            [N2, '02'],
            [N1, '00'],
          ];
    assert.equal(toHex(signed.bytes), '0000000000000007' + toHex(A.publicKey) + '00000002' + toHex(lo[0] as Uint8Array) + lo[1] + toHex(hi[0] as Uint8Array) + hi[1]);
    assert.equal(signed.signature.length, 64);
    const wire = encodeSignedAdmissionView(signed);
    assert.deepEqual(decodeSignedAdmissionView(wire), signed);
    const view = verifyAdmissionView(signed);
    assert.equal(view.epoch, 7);
    assert.deepEqual(
      view.entries.map((e) => e.role),
      toHex(N1) < toHex(N2) ? [null, 'gateway'] : ['gateway', null],
    );
  });

  it('refuses a bad signature, unsorted or duplicate entries, unknown roles, too many entries', function () {
    const signed = signAdmissionView({ epoch: 1, authorityKey: A.publicKey, entries: [{ identityKey: N1, role: 'mix' }] }, A);
    const tampered = { bytes: Uint8Array.from(signed.bytes), signature: signed.signature };
    tampered.bytes[7] ^= 1; // epoch 0 instead of 1
    failsWith('bad-signature', () => verifyAdmissionView(tampered));
    failsWith('malformed', () => signAdmissionView({ epoch: 1, authorityKey: B.publicKey, entries: [] }, A));
    failsWith('unsorted', () =>
      signAdmissionView(
        {
          epoch: 1,
          authorityKey: A.publicKey,
          entries: [
            { identityKey: N1, role: null },
            { identityKey: N1, role: 'mix' },
          ],
        },
        A,
      ),
    );
    const badRole = Uint8Array.from(signed.bytes);
    badRole[badRole.length - 1] = 3;
    failsWith('bad-role', () => verifyAdmissionView({ bytes: badRole, signature: signed.signature }));
    failsWith('truncated', () => verifyAdmissionView({ bytes: signed.bytes.subarray(0, signed.bytes.length - 1), signature: signed.signature }));
    const many = Array.from({ length: MAX_ADMITTED + 1 }, (_, i) => ({ identityKey: new Uint8Array(32).map((_, j) => (j < 4 ? (i >> (8 * j)) & 0xff : 0)), role: null }));
    failsWith('too-many', () => signAdmissionView({ epoch: 1, authorityKey: A.publicKey, entries: many }, A));
  });

  it('counts each configured authority once, in the right role; picks one of two views by one authority the same way everywhere', function () {
    const vA = verifyAdmissionView(signAdmissionView({ epoch: 1, authorityKey: A.publicKey, entries: [{ identityKey: N1, role: 'mix' }] }, A));
    const vB = verifyAdmissionView(signAdmissionView({ epoch: 1, authorityKey: B.publicKey, entries: [{ identityKey: N1, role: null }] }, B));
    const stranger = keyFor(200);
    const vS = verifyAdmissionView(signAdmissionView({ epoch: 1, authorityKey: stranger.publicKey, entries: [{ identityKey: N1, role: null }] }, stranger));
    const keys = [A.publicKey, B.publicKey, keyFor(103).publicKey];
    assert.equal(admissionCount([vA, vB, vB, vS], keys, N1, 'mix'), 2);
    assert.equal(admissionCount([vA, vB], keys, N1, 'gateway'), 1, 'A admits it as a mix only');
    assert.equal(admissionCount([vA, vB], keys, N2, 'mix'), 0);
    const x = signAdmissionView({ epoch: 1, authorityKey: A.publicKey, entries: [] }, A);
    const y = signAdmissionView({ epoch: 1, authorityKey: A.publicKey, entries: [{ identityKey: N2, role: null }] }, A);
    assert.equal(preferredView(x, y), preferredView(y, x));
  });
});
