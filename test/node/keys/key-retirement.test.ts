import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpochKeyring } from '../../../node/keys/epoch-keys.js';
import { KeyRetirement } from '../../../node/keys/key-retirement.js';
import { ReplayCache } from '../../../node/store/replay-cache.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { memoryLogger, silentLogger, type Logger } from '../../../runtime/log/logger.js';

const epochs = { genesisMs: 1_000_000, epochDurationMs: 60_000 };
const GRACE = 5_000;
const at = (epoch: number, offsetMs = 0) => epochs.genesisMs + epoch * epochs.epochDurationMs + offsetMs;
const tag = (n: number) => new Uint8Array(32).fill(n);
const settle = () => new Promise((r) => setTimeout(r, 20));
/** Waits for a retirement's asynchronous prune (LevelDB compactions) to finish and the next timer to be armed. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await settle();
  assert.ok(cond(), 'timed out');
  await settle();
}

describe('key retirement', function () {
  it('when a key’s grace window ends, the key is deleted and its epoch’s replay tags are pruned from memory and disk', async function () {
    const clock = new ManualClock(at(3, 10));
    const keyDir = mkdtempSync(join(tmpdir(), 'chaff-keys-'));
    const replayDir = mkdtempSync(join(tmpdir(), 'chaff-replay-'));
    const keyring = new EpochKeyring({ dir: keyDir, epochs, graceMs: GRACE });
    const replay = await ReplayCache.open(replayDir, { liveFrom: keyring.liveFrom(clock.now()) });
    const calls: Array<[number, readonly number[]]> = [];
    const failOnWarning: Logger = { ...silentLogger, warn: (msg, fields) => assert.fail(`${msg}: ${String(fields?.error)}`) };
    const retirement = new KeyRetirement(
      { keyring, clock, logger: failOnWarning },
      {
        onRetired: async (liveFrom, deleted) => {
          await replay.pruneBefore(liveFrom);
          calls.push([liveFrom, deleted]);
        },
      },
    );
    await retirement.start();
    assert.deepEqual(keyring.epochs(), [3, 4]);
    assert.equal(replay.liveFrom, 2, 'epoch 2’s grace window is still open 10 ms into epoch 3');
    assert.ok(await replay.checkAndInsert(3, tag(1)));
    assert.ok(await replay.checkAndInsert(4, tag(2)));

    clock.advanceTo(at(4, GRACE - 1));
    await until(() => calls.at(-1)?.[0] === 3);
    assert.equal(replay.size(3), 1, 'epoch 3’s key still unwraps during its grace window');
    assert.deepEqual(keyring.epochs(), [3, 4]);

    clock.advanceTo(at(4, GRACE));
    await until(() => calls.at(-1)?.[0] === 4);
    assert.deepEqual(keyring.epochs(), [4, 5]);
    assert.deepEqual(readdirSync(keyDir).sort(), ['sphinx-4.key', 'sphinx-5.key']);
    assert.equal(replay.liveFrom, 4);
    assert.equal(replay.size(3), 0);
    assert.equal(await replay.checkAndInsert(3, tag(3)), false, 'a retired epoch is refused');
    assert.deepEqual(calls.at(-1), [4, [3]]);

    // Many epochs later: one retirement per epoch, never more than the live epochs held.
    for (let e = 5; e < 15; e++) {
      assert.ok(await replay.checkAndInsert(e, tag(e)));
      clock.advanceTo(at(e, GRACE));
      await until(() => calls.at(-1)?.[0] === e);
      assert.deepEqual([...replay.sizes().keys()], [e], `only epoch ${e} is live ${GRACE} ms into epoch ${e}`);
    }
    await retirement.stop();
    await replay.close();

    // On disk: reopening with the live floor finds only the live epoch.
    const again = await ReplayCache.open(replayDir, { liveFrom: keyring.liveFrom(clock.now()) });
    assert.deepEqual([...again.sizes().keys()], [14]);
    await again.close();
    keyring.close();
  });

  it('a failing prune is reported and retried at the next retirement; stop cancels the timer', async function () {
    const clock = new ManualClock(at(3));
    const keyring = new EpochKeyring({ dir: mkdtempSync(join(tmpdir(), 'chaff-keys-')), epochs, graceMs: GRACE });
    const logger = memoryLogger();
    const errors = (): unknown[] => logger.records.filter((r) => r.level === 'warn').map((r) => r.fields.error);
    const floors: number[] = [];
    let fail = true;
    const retirement = new KeyRetirement(
      { keyring, clock, logger },
      {
        onRetired: (liveFrom) => {
          if (fail) throw new Error('disk full');
          floors.push(liveFrom);
        },
      },
    );
    await retirement.start();
    assert.deepEqual(errors(), ['disk full']);
    fail = false;
    clock.advanceTo(at(3, GRACE));
    await settle();
    assert.deepEqual(floors, [3]);
    await retirement.stop();
    clock.advanceTo(at(9, GRACE));
    await settle();
    assert.deepEqual(floors, [3], 'nothing runs after stop');
    keyring.close();
  });
});
