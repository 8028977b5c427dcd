import assert from 'node:assert/strict';
import { buildDocument, encodeDocument } from '../../../protocol/pki/document.js';
import { decodeSignedDocument, DocumentSignatureError, encodeSignedDocument, mergeSignatures, signDocument, threshold, verifyDocument, type SignedDocument } from '../../../protocol/pki/signatures.js';
import { keyFor, PARAMS, signedFor } from '../../helpers/pki-fixtures.js';

const EPOCH = 4;
const authorities = [keyFor(100), keyFor(101), keyFor(102)];
const authorityKeys = authorities.map((a) => a.publicKey);
const bytes = encodeDocument(buildDocument(EPOCH, PARAMS, [signedFor(1, EPOCH), signedFor(2, EPOCH, 'gateway')]));
const otherBytes = encodeDocument(buildDocument(EPOCH, PARAMS, [signedFor(1, EPOCH)]));

function rejection(fn: () => unknown): DocumentSignatureError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DocumentSignatureError, `expected DocumentSignatureError, got ${String(err)}`);
    return err;
  }
  assert.fail('accepted');
}

describe('pki: document signatures', () => {
  it('threshold is a strict majority', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9].map(threshold), [1, 2, 2, 3, 3, 5]);
  });

  it('accepts 2 of 3 authorities and refuses 1 of 3', () => {
    const two: SignedDocument = { document: bytes, signatures: [signDocument(bytes, authorities[0]), signDocument(bytes, authorities[2])] };
    assert.equal(verifyDocument(two, authorityKeys).epoch, EPOCH);
    const one: SignedDocument = { document: bytes, signatures: [signDocument(bytes, authorities[1])] };
    const err = rejection(() => verifyDocument(one, authorityKeys));
    assert.equal(err.code, 'threshold');
    assert.equal(err.valid, 1);
    assert.equal(err.needed, 2);
    assert.match(err.message, /1 valid of 2 needed/);
  });

  it('ignores unknown signers and counts duplicates once', () => {
    const s0 = signDocument(bytes, authorities[0]);
    const unknown = signDocument(bytes, keyFor(200));
    const err = rejection(() => verifyDocument({ document: bytes, signatures: [s0, s0, { ...s0 }, unknown] }, authorityKeys));
    assert.equal(err.valid, 1);
    // A configured key listed twice is still one authority: n = 3, not 4.
    const e2 = rejection(() => verifyDocument({ document: bytes, signatures: [s0] }, [...authorityKeys, authorityKeys[0]]));
    assert.equal(e2.needed, 2);
  });

  it('refuses a tampered document', () => {
    const signatures = authorities.map((a) => signDocument(bytes, a));
    const tampered = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"mu":2', '"mu":3'));
    assert.equal(rejection(() => verifyDocument({ document: tampered, signatures }, authorityKeys)).valid, 0);
  });

  it('does not count a signature made for a different document', () => {
    const signatures = [signDocument(bytes, authorities[0]), signDocument(otherBytes, authorities[1])];
    assert.equal(rejection(() => verifyDocument({ document: bytes, signatures }, authorityKeys)).valid, 1);
  });

  it('ignores malformed signature entries', () => {
    const s0 = signDocument(bytes, authorities[0]);
    const short = { identityKey: authorityKeys[1], signature: new Uint8Array(10) };
    const bad = { identityKey: authorityKeys[2], signature: new Uint8Array(64) };
    assert.equal(rejection(() => verifyDocument({ document: bytes, signatures: [s0, short, bad] }, authorityKeys)).valid, 1);
  });

  it('checks the epoch when given the time', () => {
    const signed = { document: bytes, signatures: authorities.map((a) => signDocument(bytes, a)) };
    const at = (epoch: number) => PARAMS.genesisMs + epoch * PARAMS.epochDurationMs + 1;
    assert.equal(verifyDocument(signed, authorityKeys, at(EPOCH)).epoch, EPOCH);
    assert.equal(verifyDocument(signed, authorityKeys, at(EPOCH - 1)).epoch, EPOCH, 'fetched ahead');
    assert.equal(rejection(() => verifyDocument(signed, authorityKeys, at(EPOCH + 1))).code, 'wrong-epoch');
    assert.equal(rejection(() => verifyDocument(signed, authorityKeys, at(EPOCH - 2))).code, 'wrong-epoch');
  });

  it('refuses an empty authority set', () => {
    assert.equal(rejection(() => verifyDocument({ document: bytes, signatures: [] }, [])).code, 'no-authorities');
  });

  it('merges signature sets from several authorities for the same bytes', () => {
    const from = (i: number): SignedDocument => ({ document: bytes, signatures: [signDocument(bytes, authorities[i])] });
    assert.throws(() => verifyDocument(from(0), authorityKeys), DocumentSignatureError);
    const merged = mergeSignatures([from(0), from(1), from(0)]);
    assert.equal(merged.signatures.length, 2);
    assert.equal(verifyDocument(merged, authorityKeys).epoch, EPOCH);
    assert.deepEqual(mergeSignatures([from(1), from(0)]), merged, 'order-independent');
    const junk = { document: bytes, signatures: [signDocument(bytes, keyFor(200)), { identityKey: authorityKeys[2], signature: new Uint8Array(64) }] };
    assert.equal(mergeSignatures([merged, junk], authorityKeys).signatures.length, 2);
    assert.equal(rejection(() => mergeSignatures([from(0), { document: otherBytes, signatures: [] }])).code, 'mismatched-documents');
  });

  it('round-trips the wire form and refuses malformed wire bytes', () => {
    const signed = mergeSignatures(authorities.map((a) => ({ document: bytes, signatures: [signDocument(bytes, a)] })));
    const wire = encodeSignedDocument(signed);
    assert.deepEqual(decodeSignedDocument(wire), signed);
    assert.equal(rejection(() => decodeSignedDocument(wire.subarray(0, wire.length - 1))).code, 'malformed');
    assert.equal(rejection(() => decodeSignedDocument(new Uint8Array(3))).code, 'malformed');
    assert.equal(rejection(() => decodeSignedDocument(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0]))).code, 'malformed');
  });
});
