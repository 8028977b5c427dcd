import assert from 'node:assert/strict';
import { expectedReturnMs, MAX_BACKOFF_FACTOR, PER_HOP_ALLOWANCE_MS, retransmitTimeoutMs } from '../../../client/sender/round-trip.js';

describe('client/sender/round-trip', () => {
  const base = { layers: 3, fetchIntervalMs: 1000, forwardDelayMs: 2500, ackDelayMs: 1500, slackMs: 3000 };

  it('a loop or a decoy ACK is expected back after its delays, one allowance per hop (layers + 2 gateways) and two fetch periods', () => {
    assert.equal(expectedReturnMs(10_000, 4000, { layers: 3, fetchIntervalMs: 1000 }), 10_000 + 4000 + 5 * PER_HOP_ALLOWANCE_MS + 2000);
  });

  it('the first timeout is the round trip: both delays, the allowance on both routes, two fetch periods and the slack', () => {
    assert.equal(retransmitTimeoutMs({ ...base, attempt: 1 }), 2500 + 1500 + 2 * 5 * 100 + 2 * 1000 + 3000);
  });

  it('each retransmission waits half as long again, up to four times the first', () => {
    const first = retransmitTimeoutMs({ ...base, attempt: 1 });
    assert.deepEqual(
      [2, 3, 4, 7, 8, 20].map((attempt) => retransmitTimeoutMs({ ...base, attempt }) / first),
      [1.5, 2, 2.5, 4, MAX_BACKOFF_FACTOR, MAX_BACKOFF_FACTOR],
    );
  });
});
