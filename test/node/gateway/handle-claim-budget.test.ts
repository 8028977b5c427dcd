// Each client's budget of short-handle claims and releases
// (node/gateway/handle-claim-budget.ts, docs/gateway.md §Short handles): a
// burst of `perHour`, refilled over an hour on the injected clock; the first
// refusal of a window is marked so the gateway logs it once; buckets are
// dropped once full again or once their client is no longer registered.

import assert from 'node:assert/strict';
import { DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR, HandleClaimBudget } from '../../../node/gateway/handle-claim-budget.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const alice = new Uint8Array(32).fill(0xa1);
const bob = new Uint8Array(32).fill(0xb0);

describe('node/gateway/handle-claim-budget', () => {
  it('allows a burst of perHour, refuses the rest, and allows one more per hour/perHour on the clock', () => {
    const clock = new ManualClock(T0);
    const budget = new HandleClaimBudget({ perHour: 4, clock });
    for (let i = 0; i < 4; i++) assert.equal(budget.charge(alice), 'ok', `claim ${i + 1} of the burst`);
    assert.equal(budget.charge(alice), 'limited-first', 'the first refusal of the window is marked');
    assert.equal(budget.charge(alice), 'limited', 'later refusals in the window are not');
    assert.equal(budget.charge(bob), 'ok', 'another client has its own bucket');
    clock.advance(HOUR / 4 - 1000);
    assert.equal(budget.charge(alice), 'limited', 'not a whole token yet');
    clock.advance(2000);
    assert.equal(budget.charge(alice), 'ok', 'a token refilled after an hour / perHour');
    assert.equal(budget.charge(alice), 'limited');
    clock.advance(HOUR);
    for (let i = 0; i < 4; i++) assert.equal(budget.charge(alice), 'ok', 'refilled to the burst, not beyond');
    assert.equal(budget.charge(alice), 'limited-first', 'a new window: reported again');
  });

  it('defaults to DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR and refuses a budget that is not a positive integer', () => {
    const clock = new ManualClock(T0);
    assert.equal(new HandleClaimBudget({ clock }).perHour, DEFAULT_HANDLE_CLAIMS_PER_CLIENT_PER_HOUR);
    for (const perHour of [0, -1, 1.5, Number.NaN, Infinity]) assert.throws(() => new HandleClaimBudget({ perHour, clock }), RangeError, String(perHour));
  });

  it('keeps a bucket per charged client only until it is full again and its window is over, or its client is gone', () => {
    const clock = new ManualClock(T0);
    const budget = new HandleClaimBudget({ perHour: 2, clock });
    const registered = new Set([alice, bob].map((m) => m[0]));
    const isRegistered = (m: Uint8Array) => registered.has(m[0]);
    budget.charge(alice);
    budget.charge(alice);
    assert.equal(budget.charge(alice), 'limited-first');
    budget.charge(bob);
    assert.equal(budget.size, 2);
    assert.equal(budget.prune(isRegistered), 0, 'both buckets are partly spent');
    registered.delete(bob[0]);
    assert.equal(budget.prune(isRegistered), 1, 'an unregistered client’s bucket goes');
    assert.equal(budget.size, 1);
    clock.advance(HOUR - 1000);
    assert.equal(budget.prune(isRegistered), 0, 'alice was reported less than an hour ago');
    clock.advance(60_000);
    assert.equal(budget.prune(isRegistered), 1, 'full again and the window over');
    assert.equal(budget.size, 0);
    assert.equal(budget.charge(alice), 'ok', 'a dropped bucket comes back full');
  });
});
