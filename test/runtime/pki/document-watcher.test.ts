// The watcher keeps the current and next documents, retrying with backoff.

import assert from 'node:assert/strict';
import { DocumentWatcher } from '../../../runtime/pki/document-watcher.js';
import type { VerifiedDocument } from '../../../runtime/pki/pki-client.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('runtime/pki/document-watcher', function () {
  it('the watcher fetches the current document, then the next one from 75 %, with backoff', async function () {
    const D = 10_000;
    const epochs = { genesisMs: 1_000_000, epochDurationMs: D };
    const clock = new ManualClock(epochs.genesisMs + 3 * D + 100);
    const available = new Set<number>([3]);
    const asked: Array<[number, number]> = [];
    const source = {
      async fetchDocument(epoch: number): Promise<VerifiedDocument> {
        asked.push([epoch, clock.now()]);
        if (!available.has(epoch)) throw new Error('not published yet');
        return { epoch } as VerifiedDocument;
      },
    };
    const got: number[] = [];
    const watcher = new DocumentWatcher({ source, clock }, { epochs, onDocument: (d) => got.push(d.epoch) });
    const settle = () => new Promise((r) => setImmediate(r));
    await watcher.start();
    await settle();
    assert.deepEqual(got, [3]);
    clock.advanceTo(epochs.genesisMs + 3.75 * D);
    await settle();
    assert.deepEqual(asked.at(-1), [4, epochs.genesisMs + 3.75 * D]);
    // Retries at 200 ms, then 400, 800, ... (a fiftieth of the epoch, doubling, at most a tenth).
    for (const t of [200, 600, 1400]) {
      clock.advanceTo(epochs.genesisMs + 3.75 * D + t);
      await settle();
      assert.deepEqual(asked.at(-1), [4, epochs.genesisMs + 3.75 * D + t]);
    }
    available.add(4);
    clock.advanceTo(epochs.genesisMs + 3.75 * D + 2400);
    await settle();
    assert.deepEqual(got, [3, 4]);
    const n = asked.length;
    clock.advanceTo(epochs.genesisMs + 4.5 * D);
    await settle();
    assert.equal(asked.length, n, 'nothing to fetch: epoch 4 is held');
    await watcher.stop();
  });
});
