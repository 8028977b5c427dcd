import assert from 'node:assert/strict';
import { EpochError, epochAt, epochEnd, epochStart, msUntilNextEpoch } from '../../../protocol/pki/epoch.js';

const clock = { genesisMs: 1_000_000, epochDurationMs: 60_000 };

describe('pki: epochs', () => {
  it('maps times to epochs at the boundaries', () => {
    assert.equal(epochAt(1_000_000, clock), 0);
    assert.equal(epochAt(1_059_999, clock), 0);
    assert.equal(epochAt(1_060_000, clock), 1);
    assert.equal(epochAt(1_000_000 + 60_000 * 1000 + 5, clock), 1000);
  });
  it('gives start and exclusive end', () => {
    assert.equal(epochStart(3, clock), 1_180_000);
    assert.equal(epochEnd(3, clock), 1_240_000);
    assert.equal(epochAt(epochStart(3, clock), clock), 3);
    assert.equal(epochAt(epochEnd(3, clock) - 1, clock), 3);
    assert.equal(msUntilNextEpoch(1_180_001, clock), 59_999);
  });
  it('refuses bad input with EpochError', () => {
    assert.throws(() => epochAt(999_999, clock), EpochError);
    assert.throws(() => epochAt(Number.NaN, clock), EpochError);
    assert.throws(() => epochAt(1_000_000, { genesisMs: 0, epochDurationMs: 0 }), EpochError);
    assert.throws(() => epochStart(-1, clock), EpochError);
    assert.throws(() => epochStart(1.5, clock), EpochError);
    assert.throws(() => epochStart(Number.MAX_SAFE_INTEGER, clock), EpochError);
  });
});
