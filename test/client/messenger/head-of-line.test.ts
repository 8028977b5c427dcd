// No head-of-line blocking on the sending side (docs/client.md §Sending
// order), with real messengers over real encrypted profiles
// (test/helpers/messenger-users.ts): the envelopes are taken one at a time,
// as the stream's slots take them, and handed to their recipients. A text
// sent after a 300 KiB file (196 fragments in these tests' 2 KiB envelopes)
// leaves at once, not after the file; a file to bob does not hold up carol;
// and a restart keeps it so.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MessageRecord } from '../../../client/api.js';
import { sendOne, Users, type User } from '../../helpers/messenger-users.js';

const FILE_BYTES = 300 * 1024;

describe('client/messenger: no head-of-line blocking', function () {
  this.timeout(60_000);
  let users: Users;
  beforeEach(() => {
    users = new Users();
  });
  afterEach(() => users.closeAll());

  /** Users who added each other, their cards delivered both ways. */
  async function contacts(a: User, b: User): Promise<void> {
    await a.messenger.addContact(b.name, b.address);
    await b.messenger.addContact(a.name, a.address);
    await handOver(a, [b]);
    await handOver(b, [a]);
  }

  /** Sends every queued envelope of `from`, one at a time, to whichever of `to` it is for; returns their recipients in order. */
  async function handOver(from: User, to: User[], until?: () => boolean): Promise<string[]> {
    const sent: string[] = [];
    while (!until?.()) {
      const s = await sendOne(from);
      if (!s) break;
      const recipient = to.find((u) => Buffer.from(u.ownAddress.mailbox).equals(s.mailbox));
      assert.ok(recipient, 'an envelope for one of the recipients');
      await recipient.messenger.receive(s.envelope);
      sent.push(recipient.name);
    }
    return sent;
  }

  const delivered = (from: User, to: string, m: MessageRecord) => (): boolean => from.messenger.history(to).find((r) => r.id === m.id)?.state === 'delivered';

  /** `to` holds `file` whole and `text`, each once. */
  async function assertReceived(to: User, from: string, file: { id: string; data: Uint8Array }, text: string): Promise<void> {
    const history = to.messenger.history(from);
    assert.equal(history.filter((m) => m.id === file.id).length, 1, 'the file once');
    assert.deepEqual((await to.messenger.fileData(file.id)).data, file.data, 'the file whole');
    assert.deepEqual(history.filter((m) => m.content.text === text).length, 1, 'the text once');
  }

  it('a text sent right after a 300 KiB file to the same contact leaves in the next envelope, not after the file', async () => {
    const alice = await users.create('alice');
    const bob = await users.create('bob');
    await contacts(alice, bob);
    const data = new Uint8Array(randomBytes(FILE_BYTES));
    const file = await alice.messenger.send('bob', { kind: 'file', name: 'photo.bin', data });
    assert.ok(file.fragments > 150, `${file.fragments} fragments`);

    const firstText = await alice.messenger.send('bob', { kind: 'text', text: 'the photo is on its way' });
    const before = await handOver(alice, [bob], delivered(alice, 'bob', firstText));
    assert.equal(before.length, 1, `the text left in envelope ${before.length}, after ${before.length - 1} of the file's ${file.fragments}`);

    // Halfway through the file: the next text leaves in the next envelope again.
    await handOver(alice, [bob], () => alice.arq.stats().queued <= file.fragments / 2);
    const secondText = await alice.messenger.send('bob', { kind: 'text', text: 'halfway' });
    assert.equal((await handOver(alice, [bob], delivered(alice, 'bob', secondText))).length, 1);
    assert.notEqual(alice.messenger.history('bob').find((m) => m.id === file.id)?.state, 'delivered', 'the file still on its way');

    await handOver(alice, [bob]);
    assert.equal(alice.messenger.history('bob').find((m) => m.id === file.id)?.state, 'delivered');
    await assertReceived(bob, 'alice', { id: file.id, data }, 'the photo is on its way');
    assert.equal(bob.messenger.history('alice').filter((m) => m.content.text === 'halfway').length, 1);
  });

  it("a file to bob does not hold up carol: her text leaves within the first turn, and her file shares the stream with bob's", async () => {
    const alice = await users.create('alice');
    const bob = await users.create('bob');
    const carol = await users.create('carol');
    await contacts(alice, bob);
    await contacts(alice, carol);
    const bobData = new Uint8Array(randomBytes(FILE_BYTES));
    const carolData = new Uint8Array(randomBytes(20_000));
    const bobFile = await alice.messenger.send('bob', { kind: 'file', name: 'photo.bin', data: bobData });
    const carolFile = await alice.messenger.send('carol', { kind: 'file', name: 'notes.bin', data: carolData });
    const carolText = await alice.messenger.send('carol', { kind: 'text', text: 'notes attached' });

    const untilText = await handOver(alice, [bob, carol], delivered(alice, 'carol', carolText));
    assert.ok(untilText.length <= 2, `carol's text left in envelope ${untilText.length}`);
    const untilFile = [...untilText, ...(await handOver(alice, [bob, carol], delivered(alice, 'carol', carolFile)))];
    // Turns alternate while both wait: carol's text and file take every other envelope.
    assert.equal(untilFile.length, 2 * (carolFile.fragments + 1), `carol's file done in envelope ${untilFile.length}, of ${bobFile.fragments + carolFile.fragments + 1}: ${untilFile.join(', ')}`);
    assert.deepEqual(
      untilFile,
      untilFile.map((_, i) => (i % 2 === 0 ? 'bob' : 'carol')),
    );
    assert.notEqual(alice.messenger.history('bob').find((m) => m.id === bobFile.id)?.state, 'delivered', "bob's file still on its way");

    await handOver(alice, [bob, carol]);
    await assertReceived(carol, 'alice', { id: carolFile.id, data: carolData }, 'notes attached');
    assert.deepEqual((await bob.messenger.fileData(bobFile.id)).data, bobData);
  });

  it('after a restart with a file half sent, a new text still leaves in the next envelope', async () => {
    let alice = await users.create('alice');
    const bob = await users.create('bob');
    await contacts(alice, bob);
    const data = new Uint8Array(randomBytes(FILE_BYTES));
    const file = await alice.messenger.send('bob', { kind: 'file', name: 'photo.bin', data });
    await handOver(alice, [bob], () => alice.arq.stats().queued <= file.fragments - 10);

    alice = await users.reopen(alice);
    assert.equal(alice.arq.stats().queued, file.fragments - 10, 'the rest of the file queued again');
    const text = await alice.messenger.send('bob', { kind: 'text', text: 'after the restart' });
    assert.equal((await handOver(alice, [bob], delivered(alice, 'bob', text))).length, 1);

    await handOver(alice, [bob]);
    await assertReceived(bob, 'alice', { id: file.id, data }, 'after the restart');
  });
});
