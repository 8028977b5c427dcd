// The gateway's mailbox store on a real LevelDB in a temp folder: deposits
// per second and fetch+ack per second, against raw LevelDB puts of the same
// value size (no fsync, like the store's default) measured in the same run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { MailboxStore } from '../node/store/mailbox-store.js';
import { systemRandom } from '../protocol/crypto/random.js';
import { round, type Benchmark } from './harness.js';

const MESSAGE_BYTES = 2048; // about one Sphinx payload
const COUNT = 5000;
const MAILBOXES = 100;
const FETCH_BATCH = 20;

/** Runs `n` operations, `concurrency` at a time; returns operations per second. */
async function perSecond(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function rawPutsPerSecond(dir: string, message: Uint8Array, concurrency: number): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const value = new Uint8Array(8 + message.length);
  value.set(message, 8);
  const key = (i: number) => {
    const k = new Uint8Array(41);
    k[0] = 2;
    new DataView(k.buffer).setBigUint64(33, BigInt(i));
    return k;
  };
  await perSecond(500, concurrency, (i) => db.put(key(i), value)); // warm-up
  const rate = await perSecond(COUNT, concurrency, (i) => db.put(key(1000 + i), value));
  await db.close();
  return rate;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'gateway.fetch',
    description: `mailbox deposits/s and fetch+ack/s (${MESSAGE_BYTES}-byte messages, ${MAILBOXES} mailboxes) against raw LevelDB puts/s of the same value size`,
    async run() {
      const root = mkdtempSync(join(tmpdir(), 'chaff-bench-store-'));
      try {
        const message = systemRandom(MESSAGE_BYTES);
        const mailboxes = Array.from({ length: MAILBOXES }, () => systemRandom(32));
        const results: Record<string, unknown> = { messageBytes: MESSAGE_BYTES, messages: COUNT };
        for (const concurrency of [1, 16]) {
          const rawPuts = await rawPutsPerSecond(join(root, `raw-${concurrency}`), message, concurrency);
          const store = await MailboxStore.open(join(root, `store-${concurrency}`), { maxMessagesPerMailbox: 1_000_000, maxBytesPerMailbox: 2 ** 40 });
          await perSecond(500, concurrency, (i) => store.deposit(mailboxes[i % MAILBOXES], message, 0)); // warm-up
          const deposits = await perSecond(COUNT, concurrency, (i) => store.deposit(mailboxes[i % MAILBOXES], message, 0));
          // one round = fetch FETCH_BATCH oldest messages of a mailbox, then ack them
          const rounds = Math.floor((COUNT + 500) / FETCH_BATCH);
          const fetchAckRounds = await perSecond(rounds, Math.min(concurrency, MAILBOXES), async (i) => {
            const box = mailboxes[i % MAILBOXES];
            const got = await store.fetch(box, FETCH_BATCH);
            await store.ack(
              box,
              got.map((m) => m.id),
            );
          });
          await store.close();
          results[`c${concurrency}`] = {
            rawPutsPerSecond: Math.round(rawPuts),
            depositsPerSecond: Math.round(deposits),
            depositRatio: round(deposits / rawPuts),
            fetchAckMessagesPerSecond: Math.round(fetchAckRounds * FETCH_BATCH),
            fetchAckRatio: round((fetchAckRounds * FETCH_BATCH) / rawPuts),
          };
        }
        return results;
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
