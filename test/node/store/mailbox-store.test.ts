// The gateway's mailbox store on a real LevelDB, including a SIGKILL crash test.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFolderLockedError } from '../../../node/store/database.js';
import { DepositRejectedError, MailboxInputError, MailboxStore } from '../../../node/store/mailbox-store.js';
import { CRASH_MAILBOX, messageFor } from './fixtures/crash-messages.js';

const mailbox = () => new Uint8Array(randomBytes(32));
const msg = (n: number, len = 10) => new Uint8Array(len).fill(n);

describe('node/store/mailbox-store', () => {
  let dir: string;
  let store: MailboxStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-mailbox-'));
    store = await MailboxStore.open(dir, { maxMessageBytes: 100, maxMessagesPerMailbox: 5, maxBytesPerMailbox: 200, retentionMs: 1000 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches in arrival order, without deleting, and keeps mailboxes apart', async () => {
    const a = mailbox();
    const b = mailbox();
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(await store.deposit(a, msg(i), 100 + i));
      await store.deposit(b, msg(50 + i), 100 + i);
    }
    const first = await store.fetch(a, 3);
    assert.deepEqual(
      first.map((m) => m.id),
      ids.slice(0, 3),
    );
    assert.deepEqual(first[1].message, msg(1));
    assert.equal(first[2].depositedMs, 102);
    assert.deepEqual(await store.fetch(a, 3), first);
    assert.equal((await store.fetch(a, 100)).length, 4);
    assert.deepEqual((await store.fetch(b, 1))[0].message, msg(50));
    assert.deepEqual(await store.fetch(mailbox(), 10), []);
    assert.deepEqual(store.stats(), { mailboxes: 2, messages: 8, bytes: 80 });
  });

  it('ack deletes exactly the acked ids and counts unknown ones', async () => {
    const a = mailbox();
    const b = mailbox();
    const ids = [await store.deposit(a, msg(1), 0), await store.deposit(a, msg(2), 0), await store.deposit(a, msg(3), 0)];
    const other = await store.deposit(b, msg(9), 0);
    // an id of another mailbox and a made-up id are unknown here
    assert.deepEqual(await store.ack(a, [ids[0], ids[2], other, 999]), { acked: 2, unknown: 2 });
    assert.deepEqual(
      (await store.fetch(a, 10)).map((m) => m.id),
      [ids[1]],
    );
    assert.equal((await store.fetch(b, 10)).length, 1);
    assert.deepEqual(await store.ack(a, [ids[0]]), { acked: 0, unknown: 1 });
    assert.equal(store.counters.acked, 2);
    assert.equal(store.counters.ackUnknown, 3);
    assert.deepEqual(store.stats(), { mailboxes: 2, messages: 2, bytes: 20 });
  });

  it('refuses oversize messages and full mailboxes, counted, without dropping older ones', async () => {
    const a = mailbox();
    await assert.rejects(store.deposit(a, msg(0, 101), 0), (e: unknown) => e instanceof DepositRejectedError && e.reason === 'too-large');
    for (let i = 0; i < 5; i++) await store.deposit(a, msg(i), 0);
    await assert.rejects(store.deposit(a, msg(5), 0), (e: unknown) => e instanceof DepositRejectedError && e.reason === 'over-quota-messages');
    const b = mailbox();
    await store.deposit(b, msg(1, 100), 0);
    await store.deposit(b, msg(2, 100), 0);
    await assert.rejects(store.deposit(b, msg(3, 1), 0), (e: unknown) => e instanceof DepositRejectedError && e.reason === 'over-quota-bytes');
    assert.deepEqual(store.counters.rejected, { 'too-large': 1, 'over-quota-messages': 1, 'over-quota-bytes': 1, 'over-total-bytes': 0 });
    assert.deepEqual(
      (await store.fetch(a, 10)).map((m) => m.message[0]),
      [0, 1, 2, 3, 4],
    );
    // concurrent deposits cannot overshoot the quota
    const c = mailbox();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.deposit(c, msg(i), 0)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    assert.equal((await store.fetch(c, 10)).length, 5);
    // room again after an ack
    await store.ack(a, [(await store.fetch(a, 1))[0].id]);
    await store.deposit(a, msg(9), 0);
  });

  it('caps the total over all mailboxes: deposits beyond it are refused and counted, and room comes back when messages go', async () => {
    await store.close();
    store = await MailboxStore.open(dir, { maxMessageBytes: 100, maxMessagesPerMailbox: 5, maxBytesPerMailbox: 200, retentionMs: 1000, maxTotalBytes: 250 });
    const boxes = [mailbox(), mailbox(), mailbox()];
    const ids: number[] = [];
    for (const box of boxes.slice(0, 2)) for (let i = 0; i < 2; i++) ids.push(await store.deposit(box, msg(i, 60), 1));
    assert.equal(store.stats().bytes, 240);
    // A fresh mailbox, well under its own quota, is refused: the store is full.
    await assert.rejects(store.deposit(boxes[2], msg(9, 20), 1), (e: unknown) => e instanceof DepositRejectedError && e.reason === 'over-total-bytes');
    assert.equal(store.counters.rejected['over-total-bytes'], 1);
    assert.equal(store.stats().messages, 4, 'nothing stored was dropped to make room');
    await store.ack(boxes[0], [ids[0]]);
    await store.deposit(boxes[2], msg(9, 20), 1);
    assert.equal(store.stats().bytes, 200);
  });

  it('a deposit may carry its mailbox’s own quota; ack takes several mailboxes; deleteMailbox empties one', async () => {
    const requests = mailbox();
    const main = mailbox();
    for (let i = 0; i < 2; i++) await store.deposit(requests, msg(i), 1, { messages: 2, bytes: 1000 });
    await assert.rejects(store.deposit(requests, msg(3), 1, { messages: 2, bytes: 1000 }), (e: unknown) => e instanceof DepositRejectedError && e.reason === 'over-quota-messages');
    const m = await store.deposit(main, msg(4), 1);
    const [r] = await store.fetch(requests, 1);
    assert.deepEqual(await store.ack([main, requests], [m, r.id, 12345]), { acked: 2, unknown: 1 });
    assert.deepEqual(store.usageOf(requests), { messages: 1, bytes: 10 });
    for (let i = 0; i < 3; i++) await store.deposit(main, msg(i), 1);
    assert.equal(await store.deleteMailbox(main), 3);
    assert.equal(await store.deleteMailbox(main), 0);
    assert.deepEqual(await store.fetch(main, 10), []);
    assert.equal(store.counters.evicted, 3);
    assert.deepEqual(store.stats(), { mailboxes: 1, messages: 1, bytes: 10 });
    await store.close();
    store = await MailboxStore.open(dir, { maxMessageBytes: 100, maxMessagesPerMailbox: 5, maxBytesPerMailbox: 200, retentionMs: 1000 });
    assert.deepEqual(store.stats(), { mailboxes: 1, messages: 1, bytes: 10 }, 'the deletes were durable, the index too');
    assert.equal((await store.expire(10_000)).retention, 1);
  });

  it('expires messages older than the retention', async () => {
    const a = mailbox();
    const b = mailbox();
    await store.deposit(a, msg(1), 1000);
    await store.deposit(b, msg(2), 1500);
    const keep = await store.deposit(a, msg(3), 2500);
    assert.deepEqual(await store.expire(2000), { retention: 1 });
    assert.deepEqual(await store.expire(2600), { retention: 1 });
    assert.deepEqual(
      (await store.fetch(a, 10)).map((m) => m.id),
      [keep],
    );
    assert.deepEqual(await store.fetch(b, 10), []);
    assert.equal(store.counters.expired, 2);
    assert.deepEqual(store.stats(), { mailboxes: 1, messages: 1, bytes: 10 });
  });

  it('expires through the deposit-time index, which acks keep in step and old stores get on open', async () => {
    const a = mailbox();
    const acked = await store.deposit(a, msg(1), 1000);
    await store.deposit(a, msg(2), 1100);
    await store.deposit(a, msg(3), 5000);
    await store.ack(a, [acked]);
    // Remove the index and its marker, as in a store written before the index existed.
    await store.close();
    const { Level } = await import('level');
    const raw = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    const indexKeys: Uint8Array[] = [];
    for await (const k of raw.keys({ gte: new Uint8Array([0x04]), lt: new Uint8Array([0x05]) })) indexKeys.push(k);
    assert.equal(indexKeys.length, 2, 'one index key per stored message (the acked one was removed)');
    await raw.batch([...indexKeys.map((key) => ({ type: 'del' as const, key })), { type: 'del', key: new Uint8Array([0x00, ...new TextEncoder().encode('mailbox-time-index')]) }]);
    await raw.close();
    store = await MailboxStore.open(dir, { retentionMs: 1000 });
    assert.deepEqual(await store.expire(3000), { retention: 1 }, 'the rebuilt index finds the old message');
    assert.deepEqual(await store.expire(3000), { retention: 0 });
    assert.deepEqual(
      (await store.fetch(a, 10)).map((m) => m.message[0]),
      [3],
    );
  });

  it('keeps messages, usage and the sequence across restarts', async () => {
    const a = mailbox();
    const ids = [await store.deposit(a, msg(1), 0), await store.deposit(a, msg(2), 0)];
    await store.ack(a, ids);
    const third = await store.deposit(a, msg(3), 0);
    await store.close();
    store = await MailboxStore.open(dir, { maxMessagesPerMailbox: 2 });
    assert.deepEqual(store.stats(), { mailboxes: 1, messages: 1, bytes: 10 });
    const fourth = await store.deposit(a, msg(4), 0);
    assert.ok(fourth > third && third > ids[1], `ids ${ids} ${third} ${fourth} must grow`);
    await assert.rejects(store.deposit(a, msg(5), 0), DepositRejectedError);
    // all acked, then restarted: ids are still never reused
    await store.ack(a, [third, fourth]);
    await store.close();
    store = await MailboxStore.open(dir);
    assert.ok((await store.deposit(a, msg(6), 0)) > fourth);
  });

  it('rejects malformed input with typed errors', async () => {
    await assert.rejects(store.deposit(new Uint8Array(31), msg(1), 0), MailboxInputError);
    await assert.rejects(store.fetch(new Uint8Array(33), 1), MailboxInputError);
    await assert.rejects(store.fetch(mailbox(), -1), MailboxInputError);
    await assert.rejects(store.ack(mailbox(), [1.5]), MailboxInputError);
    await assert.rejects(store.deposit(mailbox(), 'text' as unknown as Uint8Array, 0), MailboxInputError);
  });

  it('keeps every deposit that resolved when the process is SIGKILLed', async function () {
    this.timeout(15_000);
    await store.close();
    const crashDir = mkdtempSync(join(tmpdir(), 'chaff-crash-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/deposit-child.ts', import.meta.url)), crashDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      let lockCheck: Promise<unknown> | undefined;
      let lockDone = false;
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          if (lockCheck === undefined && out.startsWith('open\n')) {
            // while the child holds the folder, opening it here gives the typed lock error
            lockCheck = MailboxStore.open(crashDir).then(
              (s) => s.close().then(() => reject(new Error('opened a folder locked by another process'))),
              (e: unknown) => (e instanceof DataFolderLockedError ? (lockDone = true) : reject(e)),
            );
          }
          if (lockDone && out.split('\n').length > 400) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`child exited early: ${err}`)));
      });
      assert.equal(await exited, 'SIGKILL');
      const printed = out
        .split('\n')
        .slice(1)
        .filter((l) => /^\d+ \d+$/.test(l))
        .map((l) => l.split(' ').map(Number) as [number, number]);
      assert.ok(printed.length > 300, `only ${printed.length} deposits printed`);
      store = await MailboxStore.open(crashDir);
      const stored = new Map((await store.fetch(CRASH_MAILBOX, 1_000_000)).map((m) => [m.id, m]));
      for (const [i, id] of printed) {
        const m = stored.get(id);
        assert.ok(m, `message ${i} (id ${id}) was lost`);
        assert.deepEqual(m.message, messageFor(i));
        assert.equal(m.depositedMs, 1_000 + i);
      }
      await store.close();
    } finally {
      rmSync(crashDir, { recursive: true, force: true });
      store = await MailboxStore.open(dir);
    }
  });
});
