// init's wait for the network's document (client/document-wait.ts) on a
// manual clock: a document not published yet is waited for with progress
// reports, a wait has a bound, and what waiting cannot fix fails at once.

import assert from 'node:assert/strict';
import { ClientError } from '../../client/api.js';
import { waitForDocument, waitReason, type DocumentWaitProgress } from '../../client/document-wait.js';
import { PkiFetchError, type VerifiedDocument } from '../../runtime/pki/pki-client.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { documentOf, EPOCHS, GATEWAY_A, startOf } from './daemon/fake-network.js';

const RATES = { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 };
const NOT_PUBLISHED = [
  { authority: 'auth-1', error: 'refused: not published yet' },
  { authority: 'auth-2', error: 'dial: connection refused' },
];

/** Authorities that answer with `failure` for every epoch until `published` holds one. */
class Authorities {
  readonly published = new Map<number, VerifiedDocument>();
  asked = 0;
  constructor(readonly failure: Array<{ authority: string; error: string }>) {}
  async fetchDocument(epoch: number): Promise<VerifiedDocument> {
    this.asked++;
    const doc = this.published.get(epoch);
    if (doc) return doc;
    throw new PkiFetchError(epoch, this.failure);
  }
}

/** Advances the clock in 100 ms steps, letting the wait's promises run, until `done` or `ms` passed. */
async function drive(clock: ManualClock, ms: number, done: () => boolean): Promise<void> {
  for (let t = 0; t < ms && !done(); t += 100) {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(100);
  }
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('client/document-wait', () => {
  it('waits for a document not published yet, reporting about once a second, and returns it once published', async () => {
    const clock = new ManualClock(startOf(7) + 500);
    const authorities = new Authorities(NOT_PUBLISHED);
    const reports: DocumentWaitProgress[] = [];
    let result: VerifiedDocument | Error | null = null;
    void waitForDocument(authorities, EPOCHS, clock, { limitMs: 60_000, onWaiting: (p) => reports.push(p) }).then(
      (d) => (result = d),
      (e: Error) => (result = e),
    );
    await drive(clock, 12_000, () => false);
    assert.equal(result, null, 'still waiting');
    assert.ok(reports.length >= 10 && reports.length <= 14, `${reports.length} reports in 12 s`);
    assert.deepEqual(reports[0], { epoch: 7, waitedMs: 0, limitMs: 60_000, reason: 'not published yet' });
    assert.ok(reports.at(-1)!.waitedMs >= 10_000);
    assert.ok(authorities.asked >= 4 && authorities.asked <= 7, `asked ${authorities.asked} times: pauses grow to 5 s`);
    authorities.published.set(7, documentOf(7, [GATEWAY_A], RATES));
    await drive(clock, 6000, () => result !== null);
    assert.equal((result as unknown as VerifiedDocument).epoch, 7);
  });

  it('gives up after its bound, saying how long it waited and why', async () => {
    const clock = new ManualClock(startOf(7) + 500);
    let result: unknown = null;
    void waitForDocument(new Authorities(NOT_PUBLISHED), EPOCHS, clock, { limitMs: 20_000 }).catch((e: unknown) => (result = e));
    await drive(clock, 25_000, () => result !== null);
    assert.ok(result instanceof ClientError && result.code === 'unavailable');
    assert.match((result as Error).message, /^could not get a verified network document for epoch 7 after waiting 20 s: pki: no verified document for epoch 7 \(auth-1: refused: not published yet/);
    assert.ok(clock.now() - (startOf(7) + 500) <= 21_000, 'not much beyond the bound');
  });

  it('fails at once when every authority serves a document that does not verify (a wrong network file)', async () => {
    const clock = new ManualClock(startOf(7) + 500);
    const authorities = new Authorities([
      { authority: 'auth-1', error: 'rejected: 0 of 3 signatures verify' },
      { authority: 'auth-2', error: 'rejected: 0 of 3 signatures verify' },
    ]);
    const reports: DocumentWaitProgress[] = [];
    await assert.rejects(
      waitForDocument(authorities, EPOCHS, clock, { limitMs: 60_000, onWaiting: (p) => reports.push(p) }),
      (e: unknown) => e instanceof ClientError && /does not verify against the authorities in the network file/.test(e.message),
    );
    assert.equal(authorities.asked, 1);
    assert.equal(reports.length, 0);
  });

  it('waits for a network whose genesis is still to come, then asks for epoch 0', async () => {
    const clock = new ManualClock(EPOCHS.genesisMs - 3000);
    const authorities = new Authorities(NOT_PUBLISHED);
    authorities.published.set(0, documentOf(0, [GATEWAY_A], RATES));
    const reports: DocumentWaitProgress[] = [];
    let result: VerifiedDocument | null = null;
    void waitForDocument(authorities, EPOCHS, clock, { limitMs: 60_000, onWaiting: (p) => reports.push(p) }).then((d) => (result = d));
    await drive(clock, 5000, () => result !== null);
    assert.equal(result!.epoch, 0);
    assert.deepEqual(reports[0], { epoch: null, waitedMs: 0, limitMs: 60_000, reason: 'the network starts in 3 s' });
  });

  it('tells why: not published, authorities that do not answer, or nothing to wait for', () => {
    assert.equal(waitReason(new PkiFetchError(1, NOT_PUBLISHED)), 'not published yet');
    assert.equal(waitReason(new PkiFetchError(1, [{ authority: 'auth-1', error: 'dial: connection refused' }])), 'the authorities do not answer (auth-1: dial: connection refused)');
    assert.equal(waitReason(new PkiFetchError(1, [{ authority: 'auth-1', error: 'rejected: forged' }])), null);
  });
});
