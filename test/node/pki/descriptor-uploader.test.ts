import assert from 'node:assert/strict';
import { DescriptorUploader } from '../../../node/pki/descriptor-uploader.js';
import type { SignedDescriptor } from '../../../protocol/pki/descriptor.js';
import type { UploadResult } from '../../../runtime/pki/pki-client.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { silentLogger, type Logger } from '../../../runtime/log/logger.js';

const EPOCH = 100_000;
const epochs = { genesisMs: 0, epochDurationMs: EPOCH };
const ok: UploadResult = { accepted: 3, refused: [], failed: [] };
const partial: UploadResult = {
  accepted: 1,
  refused: [],
  failed: [
    { authority: 'a2', error: 'timeout' },
    { authority: 'a3', error: 'timeout' },
  ],
};
const flush = () => new Promise((r) => setImmediate(r));

function setup(outcomes: Array<UploadResult | Error>, startMs = 0) {
  const clock = new ManualClock(startMs);
  const times: number[] = [];
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg) };
  const pki = {
    uploadDescriptor: async (): Promise<UploadResult> => {
      times.push(clock.now());
      const o = outcomes.shift() ?? ok;
      if (o instanceof Error) throw o;
      return o;
    },
  };
  const uploader = new DescriptorUploader({ clock, logger, pki }, { epochs, descriptor: () => ({}) as SignedDescriptor });
  return { clock, times, warnings, uploader };
}

async function advance(clock: ManualClock, to: number): Promise<void> {
  while (clock.now() < to) {
    clock.advanceTo(Math.min(to, clock.now() + 250));
    await flush();
  }
}

describe('node/pki/descriptor-uploader', () => {
  it('uploads at start and at 5 % of every epoch', async () => {
    const { clock, times, uploader } = setup([]);
    await uploader.start();
    await advance(clock, 3 * EPOCH);
    await uploader.stop();
    assert.deepEqual(times, [0, 105_000, 205_000]);
  });

  it('retries what some authorities missed, with backoff, until 40 % of the epoch', async () => {
    const { clock, times, uploader } = setup([partial, new Error('all down'), partial, ok]);
    await uploader.start();
    await advance(clock, 50_000);
    await uploader.stop();
    assert.deepEqual(times, [0, 500, 1500, 3500], 'backoff 500, 1000, 2000 ms; stops once every authority took it');
  });

  it('gives up at 40 % of the epoch, saying so when no authority took it', async () => {
    const { clock, times, warnings, uploader } = setup(
      Array.from({ length: 100 }, () => new Error('down')),
      30_000,
    );
    await uploader.start();
    await advance(clock, 99_000);
    await uploader.stop();
    assert.ok(
      times.every((t) => t <= 40_000),
      `no retry after 40 %: ${times.at(-1)}`,
    );
    assert.ok(times.length >= 4, `${times.length} attempts`);
    assert.ok(warnings.some((w) => /missing from the next document/.test(w)));
  });

  it("retries a descriptor refused as wrong-epoch (this clock ahead of the authorities') until 40 % of the epoch", async () => {
    // A node 30 s ahead uploads at 5 % of its epoch, 25 s before the authorities' epoch turns: refused until it does.
    const early: UploadResult = { accepted: 0, refused: ['a1', 'a2', 'a3'].map((authority) => ({ authority, reason: 'wrong-epoch' })), failed: [] };
    const { clock, times, warnings, uploader } = setup([early, early, early, early, early, ok], 5_000);
    await uploader.start();
    await advance(clock, 60_000);
    await uploader.stop();
    assert.deepEqual(times, [5_000, 5_500, 6_500, 8_500, 12_500, 17_500], 'backoff 500 ms doubling to a twentieth of the epoch; stops once taken');
    assert.deepEqual(warnings, []);
  });

  it('gives up at 40 % of the epoch when every upload is refused as wrong-epoch', async () => {
    const early: UploadResult = { accepted: 0, refused: [{ authority: 'a1', reason: 'wrong-epoch' }], failed: [] };
    const { clock, times, warnings, uploader } = setup(
      Array.from({ length: 100 }, () => early),
      30_000,
    );
    await uploader.start();
    await advance(clock, 99_000);
    await uploader.stop();
    assert.ok(times.length >= 4 && times.every((t) => t <= 40_000), `${times.join(', ')}`);
    assert.ok(warnings.some((w) => /missing from the next document/.test(w)));
  });

  it('does not retry other refusals (too-late: a clock behind; retrying cannot help)', async () => {
    const late: UploadResult = { accepted: 0, refused: [{ authority: 'a1', reason: 'too-late' }], failed: [] };
    const { clock, times, uploader } = setup([late], 0);
    await uploader.start();
    await advance(clock, 50_000);
    await uploader.stop();
    assert.deepEqual(times, [0]);
  });

  it('stop() ends the schedule and pending retries', async () => {
    const { clock, times, uploader } = setup([partial]);
    await uploader.start();
    await uploader.stop();
    await advance(clock, 3 * EPOCH);
    assert.deepEqual(times, [0]);
  });
});
