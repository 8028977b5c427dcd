// chaff_document_age_seconds is never negative (node/ops/document-age.ts): a
// node holds the next epoch's document before that epoch begins, and the age
// is that of the document in force, measured from its validity start.

import assert from 'node:assert/strict';
import { documentAgeSeconds, documentsInForce } from '../../../node/ops/document-age.js';

const EPOCHS = { genesisMs: 1_000_000, epochDurationMs: 60_000 };
const at = (epoch: number, intoMs: number) => EPOCHS.genesisMs + epoch * EPOCHS.epochDurationMs + intoMs;

describe('document age', () => {
  it('is the time since the start of the newest document in force, not of a future one', () => {
    // In epoch 5, 10 s in, holding 4, 5 and (fetched early) 6.
    assert.equal(documentAgeSeconds(at(5, 10_000), [4, 5, 6], EPOCHS), 10);
    assert.equal(documentsInForce(at(5, 10_000), [4, 5, 6], EPOCHS), 1);
    assert.equal(documentAgeSeconds(at(5, 0), [5, 6], EPOCHS), 0);
  });

  it('is never negative: only future documents, or none, is no document in force (no sample)', () => {
    assert.equal(documentAgeSeconds(at(5, 59_000), [6], EPOCHS), null);
    assert.equal(documentsInForce(at(5, 59_000), [6], EPOCHS), 0);
    assert.equal(documentAgeSeconds(at(5, 1), [], EPOCHS), null);
    for (let into = 0; into < 60_000; into += 7_919) {
      for (const held of [[4], [5], [6], [4, 5, 6], [6, 7]]) {
        const age = documentAgeSeconds(at(5, into), held, EPOCHS);
        assert.ok(age === null || age >= 0, `${held} at +${into} ms: ${age}`);
      }
    }
  });

  it('grows past an epoch when the current document is missing: the alert reads a stale document', () => {
    assert.equal(documentAgeSeconds(at(6, 30_000), [4, 5], EPOCHS), 90);
    assert.equal(documentsInForce(at(6, 30_000), [4, 5], EPOCHS), 0);
  });
});
