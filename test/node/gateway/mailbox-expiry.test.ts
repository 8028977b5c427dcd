import assert from 'node:assert/strict';
import { MailboxExpiry } from '../../../node/gateway/mailbox-expiry.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('node/gateway/mailbox-expiry (manual clock)', () => {
  it('expires once a period on the clock, logs a failed pass and keeps its schedule, and stops', async () => {
    const clock = new ManualClock(1_000);
    const passes: number[] = [];
    let fail = false;
    const mailboxes = {
      expire: async (nowMs: number) => {
        passes.push(nowMs);
        if (fail) throw new Error('disk full');
        return { retention: 0 };
      },
    };
    const logger = memoryLogger();
    const expiry = new MailboxExpiry({ mailboxes, clock, logger }, { intervalMs: 100 });
    await expiry.start();
    clock.advanceTo(1_099);
    assert.deepEqual(passes, [], 'the first pass is a period after start');
    clock.advanceTo(1_100);
    await flush();
    fail = true;
    clock.advanceTo(1_200);
    await flush();
    assert.deepEqual(
      logger.records.map((r) => [r.level, r.msg, r.fields.error]),
      [['warn', 'mailbox expiry failed', 'disk full']],
    );
    fail = false;
    clock.advanceTo(1_300);
    await flush();
    assert.deepEqual(passes, [1_100, 1_200, 1_300]);
    await expiry.stop();
    await expiry.stop();
    clock.advanceTo(2_000);
    await flush();
    assert.deepEqual(passes, [1_100, 1_200, 1_300], 'nothing runs after stop');
  });
});
