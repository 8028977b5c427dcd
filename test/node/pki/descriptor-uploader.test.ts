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

  it('stop() ends the schedule and pending retries', async () => {
    const { clock, times, uploader } = setup([partial]);
    await uploader.start();
    await uploader.stop();
    await advance(clock, 3 * EPOCH);
    assert.deepEqual(times, [0]);
  });
});
