// The PKI RPC request bodies: pinned layouts, round trips, bounds.

import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/bytes.js';
import { encodeSignedDescriptor } from '../../../protocol/pki/descriptor.js';
import {
  decodeDescriptorRequest,
  decodeDocumentRequest,
  decodeShareRequest,
  decodeSignatureRequest,
  encodeDescriptorRequest,
  encodeDocumentRequest,
  encodeShareRequest,
  encodeSignatureRequest,
  MAX_SHARED_DESCRIPTORS,
  MAX_SHARED_VIEWS,
  PkiWireError,
} from '../../../runtime/pki/wire.js';
import { encodeSignedAdmissionView, signAdmissionView } from '../../../protocol/pki/admission.js';
import { keyFor, signedFor } from '../../helpers/pki-fixtures.js';

const failsWith = (code: string, fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof PkiWireError && e.code === code, `expected ${code}`);

describe('runtime/pki/wire', function () {
  it('pins the document request: u64 big-endian epoch', function () {
    assert.equal(toHex(encodeDocumentRequest(0x0102030405)), '0000000102030405');
    assert.equal(decodeDocumentRequest(Uint8Array.from([0, 0, 0, 1, 2, 3, 4, 5])), 0x0102030405);
    assert.equal(decodeDocumentRequest(encodeDocumentRequest(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    failsWith('bad-epoch', () => decodeDocumentRequest(Uint8Array.from([0, 0x20, 0, 0, 0, 0, 0, 0])));
    failsWith('bad-epoch', () => encodeDocumentRequest(-1));
    failsWith('truncated', () => decodeDocumentRequest(new Uint8Array(7)));
    failsWith('trailing', () => decodeDocumentRequest(new Uint8Array(9)));
  });

  it('pins the share request: epoch, u16 count, u16-length-prefixed signed descriptors, u16 views, u32-length-prefixed signed views', function () {
    const a = signedFor(1, 7);
    const b = signedFor(2, 7, 'gateway');
    const wa = encodeSignedDescriptor(a);
    const wb = encodeSignedDescriptor(b);
    const v = signAdmissionView({ epoch: 7, authorityKey: keyFor(101).publicKey, entries: [{ identityKey: keyFor(1).publicKey, role: null }] }, keyFor(101));
    const wv = encodeSignedAdmissionView(v);
    const body = encodeShareRequest({ epoch: 7, descriptors: [a, b], views: [v] });
    const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');
    assert.equal(toHex(body), '0000000000000007' + '0002' + hex(wa.length, 2) + toHex(wa) + hex(wb.length, 2) + toHex(wb) + '0001' + hex(wv.length, 4) + toHex(wv));
    const back = decodeShareRequest(body);
    assert.equal(back.epoch, 7);
    assert.deepEqual(back.descriptors, [a, b]);
    assert.deepEqual(back.views, [v]);
    assert.deepEqual(decodeShareRequest(encodeShareRequest({ epoch: 3, descriptors: [], views: [] })), { epoch: 3, descriptors: [], views: [] });
    failsWith('truncated', () => decodeShareRequest(body.subarray(0, body.length - 1)));
    failsWith('trailing', () => decodeShareRequest(Uint8Array.from([...body, 0])));
    const tooMany = new Uint8Array(10);
    new DataView(tooMany.buffer).setUint16(8, MAX_SHARED_DESCRIPTORS + 1);
    failsWith('too-many', () => decodeShareRequest(tooMany));
    failsWith('too-many', () => encodeShareRequest({ epoch: 1, descriptors: new Array(MAX_SHARED_DESCRIPTORS + 1).fill(a), views: [] }));
    failsWith('too-many', () => encodeShareRequest({ epoch: 1, descriptors: [], views: new Array(MAX_SHARED_VIEWS + 1).fill(v) }));
    const manyViews = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff]);
    failsWith('too-many', () => decodeShareRequest(manyViews));
    const longView = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    failsWith('oversize', () => decodeShareRequest(longView));
    const long = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xff, 0xff]);
    failsWith('oversize', () => decodeShareRequest(long));
    const short = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 64, ...new Uint8Array(64)]);
    failsWith('malformed', () => decodeShareRequest(short));
  });

  it('pins the signature request: epoch, u32 length, document, signer key, signature', function () {
    const document = new TextEncoder().encode('{"doc":1}');
    const signature = { identityKey: new Uint8Array(32).fill(0xaa), signature: new Uint8Array(64).fill(0xbb) };
    const body = encodeSignatureRequest({ epoch: 9, document, signature });
    assert.equal(toHex(body), '0000000000000009' + '00000009' + toHex(document) + 'aa'.repeat(32) + 'bb'.repeat(64));
    assert.deepEqual(decodeSignatureRequest(body), { epoch: 9, document, signature });
    failsWith('truncated', () => decodeSignatureRequest(body.subarray(0, body.length - 1)));
    failsWith('trailing', () => decodeSignatureRequest(Uint8Array.from([...body, 1])));
    const huge = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff]);
    failsWith('oversize', () => decodeSignatureRequest(huge));
    failsWith('malformed', () => encodeSignatureRequest({ epoch: 1, document, signature: { identityKey: new Uint8Array(31), signature: signature.signature } }));
  });

  it('the descriptor request is the signed descriptor wire form', function () {
    const a = signedFor(3, 4);
    const body = encodeDescriptorRequest(a);
    assert.deepEqual(body, encodeSignedDescriptor(a));
    assert.deepEqual(decodeDescriptorRequest(body), a);
    failsWith('truncated', () => decodeDescriptorRequest(new Uint8Array(64)));
    failsWith('oversize', () => decodeDescriptorRequest(new Uint8Array(5000)));
  });
});
