// Attack (or accident): saved ratchet state rolls back. The messenger saves a
// session after every receive and every prepare, each as its own synced
// LevelDB batch. classic-level runs every write on libuv's thread pool, so
// two writes in flight at once can commit in either order: the older state
// could land last, and after a restart the client would reuse message keys
// (a two-time pad for the peer to notice, and replays accepted again).
// client/store/sealed-store.ts commits writes in the order they were issued.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectionsOf, COLLECTIONS } from '../../client/state.js';
import { createProfile } from '../../client/store/profile.js';
import { bytesCodec } from '../../client/store/codecs.js';
import { drain, sendOne, texts, Users } from '../helpers/messenger-users.js';

describe('saved ratchet state rolling back when receive and prepare write at once', function () {
  // 300 rounds of at least one fsync each: 25 s at 40 ms per fsync (CI's disk), 60 s at 100 ms.
  this.timeout(180_000);
  const users = new Users();
  after(() => users.closeAll());

  it('the store commits concurrent writes of one record in the order they were issued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-adv-rollback-'));
    const store = await createProfile(dir, 'pass', { collections: COLLECTIONS, scrypt: { N: 2 ** 10, r: 8, p: 1 } });
    try {
      const sessions = collectionsOf(store).sessions;
      const padding = store.collection('files', bytesCodec);
      const big = new Uint8Array(20_000);
      let stale = 0;
      for (let round = 0; round < 300; round++) {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 16; i++) {
          // As the messenger does: a session state with other records, synced or not.
          const batch = store
            .batch()
            .put(sessions, 'session', Uint8Array.of(round & 0xff, i))
            .put(padding, `pad${i % 3}`, i % 2 ? big : Uint8Array.of(i));
          writes.push(batch.write({ sync: i % 2 === 0 }));
        }
        await Promise.all(writes);
        const onDisk = await sessions.get('session');
        if (onDisk![1] !== 15) stale++;
      }
      assert.equal(stale, 0, `${stale} of 300 rounds left an older state on disk than the last one written`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('interleaved receive and prepare: after a restart the session is the latest (no key reused, nothing replayed)', async () => {
    const alice = await users.create('alice');
    let bob = await users.create('bob');
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    await alice.messenger.send('bob', { kind: 'text', text: 'hello' });
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    const fromBob: Uint8Array[] = [];
    for (let round = 0; round < 30; round++) {
      await alice.messenger.send('bob', { kind: 'text', text: `a${round}` });
      await bob.messenger.send('alice', { kind: 'text', text: `b${round}` });
      const [envelope] = await drain(alice);
      // Bob receives Alice's envelope while sealing his own: both save the one session.
      const [, sent] = await Promise.all([bob.messenger.receive(envelope), sendOne(bob)]);
      fromBob.push(sent!.envelope);
    }
    bob = await users.reopen(bob);
    await bob.messenger.send('alice', { kind: 'text', text: 'after restart' });
    fromBob.push(...(await drain(bob)));
    for (const e of fromBob) await alice.messenger.receive(e);
    assert.equal(alice.messenger.stats().rejected.replay ?? 0, 0, 'a restored older state would seal with message keys already used');
    assert.equal(texts(alice).at(-1), 'after restart');
    await alice.messenger.send('bob', { kind: 'text', text: 'still there' });
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    assert.deepEqual(texts(bob), ['still there']);
    assert.deepEqual(bob.messenger.stats().rejected, {});
  });
});
