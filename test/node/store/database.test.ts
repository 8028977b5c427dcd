// Opening store folders: locked, corrupt, wrong kind, graceful close.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFolderLockedError, Database, StoreCorruptError, StoreKindError, metaKey, readU64, u64 } from '../../../node/store/database.js';
import { MailboxStore } from '../../../node/store/mailbox-store.js';
import { ReplayCache } from '../../../node/store/replay-cache.js';

describe('node/store/database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaff-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder opened twice with DataFolderLockedError', async () => {
    const a = await Database.open(dir, 'test');
    try {
      await assert.rejects(Database.open(dir, 'test'), (e: unknown) => {
        assert.ok(e instanceof DataFolderLockedError);
        assert.match(e.message, /another node is using the data folder/);
        assert.equal(e.folder, dir);
        return true;
      });
      // the stores surface the same error
      await assert.rejects(MailboxStore.open(dir), DataFolderLockedError);
    } finally {
      await a.close();
    }
    // free again after close
    const b = await Database.open(dir, 'test');
    await b.close();
  });

  it('reports garbage in CURRENT as StoreCorruptError naming the folder', async () => {
    const m = await MailboxStore.open(dir);
    await m.deposit(new Uint8Array(32), new Uint8Array([1, 2, 3]), 0);
    await m.close();
    writeFileSync(join(dir, 'CURRENT'), 'garbage\n');
    await assert.rejects(MailboxStore.open(dir), (e: unknown) => {
      assert.ok(e instanceof StoreCorruptError);
      assert.ok(e.message.includes(dir));
      assert.match(e.message, /corrupt.*(backup|repair)/s);
      return true;
    });
  });

  it('reports a garbage MANIFEST as StoreCorruptError', async () => {
    const r = await ReplayCache.open(dir);
    await r.checkAndInsert(1, new Uint8Array(32));
    await r.close();
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    writeFileSync(join(dir, manifest), 'x'.repeat(100));
    await assert.rejects(ReplayCache.open(dir), StoreCorruptError);
  });

  it('refuses a folder whose CURRENT is missing instead of starting empty', async () => {
    const m = await MailboxStore.open(dir);
    await m.deposit(new Uint8Array(32), new Uint8Array([1]), 0);
    await m.close();
    rmSync(join(dir, 'CURRENT'));
    await assert.rejects(MailboxStore.open(dir), StoreCorruptError);
  });

  it('refuses a folder of another store kind', async () => {
    await (await ReplayCache.open(dir)).close();
    await assert.rejects(MailboxStore.open(dir), StoreKindError);
  });

  it('close is idempotent and leaves the data readable', async () => {
    const d = await Database.open(dir, 'test');
    await d.db.put(metaKey('x'), u64(42));
    await Promise.all([d.close(), d.close()]);
    assert.equal(d.isOpen, false);
    const again = await Database.open(dir, 'test');
    assert.equal(readU64((await again.db.get(metaKey('x')))!, 0), 42);
    await again.close();
  });
});
