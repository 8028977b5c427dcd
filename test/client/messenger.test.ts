// The client's chat logic with real encrypted stores (LevelDB in temp
// folders), two users' messengers exchanging envelopes directly: what the
// network would carry, minus the network. The network paths are proven in
// test/integration/chat*.test.ts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessengerOptions } from '../../client/messenger.js';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { decodeAddress } from '../../protocol/e2ee/address.js';
import { toHex } from '../../protocol/bytes.js';
import { generateIdentity, type Identity } from '../../protocol/e2ee/identity.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { drain, ENVELOPE, openUser, type User } from '../helpers/messenger-users.js';

const clock = new ManualClock(1_800_000_000_000);
const folders: string[] = [];

/** The user's profile in `dir` (new when `fresh`); `tag` names its gateway and mailbox key (the same for the same tag: a reinstall that kept it). */
function open(name: string, dir: string, identity: Identity, tag: number, fresh: boolean, extra: Partial<MessengerOptions> & { deliveryId?: Uint8Array } = {}): Promise<User> {
  const { deliveryId, ...options } = extra;
  const mailboxKey = Ed25519PrivateKey.fromSeed(new Uint8Array(32).fill(tag + 1));
  return openUser(clock, { name, dir, fresh, identity, mailboxKey, gateway: new Uint8Array(32).fill(tag), extra: options, ...(deliveryId ? { deliveryId } : {}) });
}

async function user(name: string, tag: number): Promise<User> {
  const dir = mkdtempSync(join(tmpdir(), `chaff-messenger-${name}-`));
  folders.push(dir);
  return open(name, dir, generateIdentity(), tag, true);
}

async function reopen(u: User): Promise<User> {
  u.messenger.stop();
  await u.store.close();
  return open(u.name, u.dir, u.identity, u.name === 'alice' ? 0x10 : 0x20, false);
}

const texts = (u: User, kind: 'message' | 'state' = 'message') => u.events.filter((e) => e.type === kind).map((e) => (e as { message: { content: { text?: string } } }).message.content.text);

describe('client/messenger', function () {
  this.timeout(20_000);
  let alice: User;
  let bob: User;

  beforeEach(async () => {
    alice = await user('alice', 0x10);
    bob = await user('bob', 0x20);
    await alice.messenger.addContact('bob', bob.address);
    await bob.messenger.addContact('alice', alice.address);
    // Adding a contact queues our contact card (docs/chat.md §Frames): exchange them first.
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    for (const e of await drain(bob)) await alice.messenger.receive(e);
    alice.events.length = 0;
    bob.events.length = 0;
  });

  afterEach(async () => {
    for (const u of [alice, bob]) {
      u.messenger.stop();
      await u.store.close().catch(() => undefined);
    }
  });

  after(() => {
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it('shows each message once as it arrives, its history in the order sent, whatever order and duplicates the network produces', async () => {
    for (let i = 0; i < 6; i++) await alice.messenger.send('bob', { kind: 'text', text: `m${i}` });
    const envelopes = await drain(alice);
    assert.equal(envelopes.length, 6);
    assert.ok(envelopes.every((e) => e.length === ENVELOPE));
    // Reordered, with a duplicate of the third: each is shown at once (docs/chat.md §Ordering), the duplicate not again.
    for (const i of [2, 0, 2, 5, 1, 4, 3]) await bob.messenger.receive(envelopes[i]);
    assert.deepEqual(texts(bob), ['m2', 'm0', 'm5', 'm1', 'm4', 'm3']);
    assert.deepEqual(
      bob.messenger.history('alice').map((m) => m.content.text),
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
    );
    assert.equal(bob.messenger.stats().rejected.replay, 1, `the duplicate was rejected as a replay ${JSON.stringify(bob.messenger.stats())}`);
    assert.deepEqual(
      alice.messenger.history('bob').map((m) => m.state),
      Array(6).fill('delivered'),
    );
  });

  it('both sides starting a session at once still converse both ways', async () => {
    await alice.messenger.send('bob', { kind: 'text', text: 'a1' });
    await bob.messenger.send('alice', { kind: 'text', text: 'b1' });
    const fromAlice = await drain(alice);
    const fromBob = await drain(bob);
    for (const e of fromAlice) await bob.messenger.receive(e);
    for (const e of fromBob) await alice.messenger.receive(e);
    for (let i = 2; i <= 4; i++) {
      await alice.messenger.send('bob', { kind: 'text', text: `a${i}` });
      await bob.messenger.send('alice', { kind: 'text', text: `b${i}` });
      for (const e of await drain(alice)) await bob.messenger.receive(e);
      for (const e of await drain(bob)) await alice.messenger.receive(e);
    }
    assert.deepEqual(texts(bob), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(texts(alice), ['b1', 'b2', 'b3', 'b4']);
    assert.equal(Object.keys(bob.messenger.stats().rejected).length, 0, JSON.stringify(bob.messenger.stats().rejected));
  });

  it('splits a file into fragments and reassembles it', async () => {
    const data = new Uint8Array(20_000).map((_, i) => (i * 7) & 0xff);
    const sent = await alice.messenger.send('bob', { kind: 'file', name: 'notes.bin', data });
    assert.ok(sent.fragments > 10, `${sent.fragments} fragments`);
    const envelopes = await drain(alice);
    for (const e of envelopes.reverse()) await bob.messenger.receive(e);
    const got = bob.messenger.history('alice');
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].content.file, { name: 'notes.bin', size: 20_000 });
    assert.deepEqual((await bob.messenger.fileData(got[0].id)).data, data);
  });

  it('read receipts travel back and mark the message read', async () => {
    await alice.messenger.send('bob', { kind: 'text', text: 'hello' });
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    assert.equal(await bob.messenger.markRead('alice'), 1);
    assert.equal(bob.messenger.inbox().unread.length, 0);
    for (const e of await drain(bob)) await alice.messenger.receive(e);
    assert.equal(alice.messenger.history('bob')[0].state, 'read');
    assert.ok(alice.messenger.history('bob')[0].readMs !== null);
  });

  it('a restart keeps the outbox, sessions and ordering state: nothing lost, nothing shown twice', async () => {
    await alice.messenger.send('bob', { kind: 'text', text: 'a' });
    await alice.messenger.send('bob', { kind: 'text', text: 'b' });
    const first = await drain(alice);
    await alice.messenger.send('bob', { kind: 'text', text: 'c' });
    alice = await reopen(alice);
    assert.equal(alice.messenger.queuedFragments, 1, 'the unsent fragment is queued again after the restart');
    const second = await drain(alice);
    await bob.messenger.receive(first[1]);
    bob = await reopen(bob);
    await bob.messenger.receive(second[0]);
    await bob.messenger.receive(first[0]);
    await bob.messenger.receive(first[1]);
    assert.deepEqual(
      bob.messenger.history('alice').map((m) => m.content.text),
      ['a', 'b', 'c'],
    );
  });

  it('a message from an unknown sender becomes a contact request, and adding them adopts it', async () => {
    const carol = await user('carol', 0x30);
    try {
      await carol.messenger.addContact('bob', bob.address);
      await carol.messenger.send('bob', { kind: 'text', text: 'hi, it is carol' });
      for (const e of await drain(carol)) await bob.messenger.receive(e);
      const { requests } = bob.messenger.inbox();
      assert.equal(requests.length, 1);
      assert.equal(requests[0].address, carol.address);
      assert.equal(bob.events.filter((e) => e.type === 'request').length, 1);
      await bob.messenger.addContact('carol', requests[0].address);
      assert.deepEqual(
        bob.messenger.history('carol').map((m) => m.content.text),
        ['hi, it is carol'],
      );
      assert.equal(bob.messenger.inbox().requests.length, 0);
    } finally {
      carol.messenger.stop();
      await carol.store.close();
    }
  });

  it('a contact whose identity key changes is flagged; their messages are held until accepted', async () => {
    // alice reinstalls: a new identity at the same gateway and mailbox.
    const dir = mkdtempSync(join(tmpdir(), 'chaff-messenger-alice2-'));
    folders.push(dir);
    const alice2 = await open('alice', dir, generateIdentity(), 0x10, true);
    try {
      await alice2.messenger.addContact('bob', bob.address);
      await alice2.messenger.send('bob', { kind: 'text', text: 'new phone' });
      for (const e of await drain(alice2)) await bob.messenger.receive(e);
      const contact = bob.messenger.listContacts().find((c) => c.name === 'alice')!;
      assert.equal(contact.keyChanged, true);
      assert.equal(contact.held, 1);
      const announced = bob.events.filter((e) => e.type === 'contact').at(-1);
      assert.equal(announced?.type === 'contact' && announced.contact.held, 1, 'the front ends learn how many messages are held');
      assert.deepEqual(bob.messenger.history('alice'), [], 'held, not shown');
      await assert.rejects(bob.messenger.send('alice', { kind: 'text', text: 'x' }), /identity key changed/);
      const before = bob.messenger.verify('alice').safetyNumber;
      await bob.messenger.acceptContactKey('alice');
      assert.deepEqual(
        bob.messenger.history('alice').map((m) => m.content.text),
        ['new phone'],
      );
      assert.notEqual(bob.messenger.verify('alice').safetyNumber, before, 'the safety number follows the new key');
    } finally {
      alice2.messenger.stop();
      await alice2.store.close();
    }
  });

  it('a verified contact takes a new key only with the explicit --unverify step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-messenger-alice3-'));
    folders.push(dir);
    await bob.messenger.markVerified('alice', true);
    const alice3 = await open('alice', dir, generateIdentity(), 0x10, true);
    try {
      await alice3.messenger.addContact('bob', bob.address);
      await alice3.messenger.send('bob', { kind: 'text', text: 'reinstalled' });
      for (const e of await drain(alice3)) await bob.messenger.receive(e);
      assert.equal(bob.messenger.listContacts().find((c) => c.name === 'alice')!.keyChanged, true);
      await assert.rejects(bob.messenger.acceptContactKey('alice'), { code: 'verified-contact' });
      assert.deepEqual(bob.messenger.history('alice'), [], 'still held');
      const info = await bob.messenger.acceptContactKey('alice', true);
      assert.equal(info.verified, false, 'the verification went with the old key');
      assert.deepEqual(
        bob.messenger.history('alice').map((m) => m.content.text),
        ['reinstalled'],
      );
    } finally {
      alice3.messenger.stop();
      await alice3.store.close();
    }
  });

  it("packets to a contact go to the delivery id its card gave, and follow a rotation; before any card, to the address's mailbox", async () => {
    await bob.messenger.send('alice', { kind: 'text', text: 'to the address' });
    const first = await bob.messenger.prepareNext();
    assert.deepEqual(first!.mailbox, decodeAddress(alice.address).mailbox, 'no delivery id known yet: the public mailbox id');
    const d1 = new Uint8Array(32).fill(0xd1);
    const d2 = new Uint8Array(32).fill(0xd2);
    await alice.messenger.announceDeliveryId(d1);
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    await bob.messenger.send('alice', { kind: 'text', text: 'to d1' });
    bob.arq.remove(first!.key);
    assert.deepEqual((await bob.messenger.prepareNext())!.mailbox, d1);
    await alice.messenger.announceDeliveryId(d2);
    for (const e of await drain(alice)) await bob.messenger.receive(e);
    await bob.messenger.send('alice', { kind: 'text', text: 'to d2' });
    let p;
    while ((p = await bob.messenger.prepareNext()) && !toHex(p.mailbox).startsWith('d2')) bob.arq.remove(p.key);
    assert.deepEqual(p!.mailbox, d2);
  });

  it("a contact's card taken while our sends are being written keeps its delivery id (a send does not overwrite it with the record it read)", async () => {
    const d = new Uint8Array(32).fill(0xd7);
    await alice.messenger.announceDeliveryId(d);
    const cards = await drain(alice);
    // Sends in flight (their commits pending) while the card is taken, then more after it.
    const sends = Array.from({ length: 20 }, (_, i) => bob.messenger.send('alice', { kind: 'text', text: `racing ${i}` }));
    for (const e of cards) await bob.messenger.receive(e);
    await Promise.all(sends);
    await bob.messenger.send('alice', { kind: 'text', text: 'after' });
    const mailboxes = new Set<string>();
    for (let p; (p = await bob.messenger.prepareNext()); bob.arq.remove(p.key)) mailboxes.add(toHex(p.mailbox));
    assert.deepEqual([...mailboxes], [toHex(d)], 'every message goes to the delivery id');
    // And it is what the store holds.
    bob = await reopen(bob);
    await bob.messenger.send('alice', { kind: 'text', text: 'after a restart' });
    const p = await bob.messenger.prepareNext();
    assert.deepEqual(p!.mailbox, d);
  });

  it('a card that arrives before its sender is added (a contact request) still gives the delivery id, across a restart', async () => {
    // carol adds bob first: her one card reaches bob while she is a stranger to him.
    const dir = mkdtempSync(join(tmpdir(), 'chaff-messenger-carol-'));
    folders.push(dir);
    const dCarol = new Uint8Array(32).fill(0xca);
    const carol = await open('carol', dir, generateIdentity(), 0x30, true, { deliveryId: dCarol });
    try {
      await carol.messenger.addContact('bob', bob.address);
      for (const e of await drain(carol)) await bob.messenger.receive(e);
      assert.equal(bob.messenger.inbox().requests.length, 1, 'the card made a contact request');
      bob = await reopen(bob);
      await bob.messenger.addContact('carol', carol.address);
      await bob.messenger.send('carol', { kind: 'text', text: 'hello carol' });
      // Bob's own card to carol and his message: both to her delivery id, not her address's mailbox.
      const mailboxes: string[] = [];
      for (let p; (p = await bob.messenger.prepareNext()); bob.arq.remove(p.key)) mailboxes.push(toHex(p.mailbox));
      assert.deepEqual(mailboxes, [toHex(dCarol), toHex(dCarol)]);
    } finally {
      carol.messenger.stop();
      await carol.store.close();
    }
  });
  it('garbage, cover and tampered envelopes are counted and never shown', async () => {
    await bob.messenger.receive(new Uint8Array(ENVELOPE));
    await bob.messenger.receive(new Uint8Array(ENVELOPE).map(() => (Math.random() * 256) | 0));
    await alice.messenger.send('bob', { kind: 'text', text: 'x' });
    const [env] = await drain(alice);
    const tampered = Uint8Array.from(env);
    tampered[500] ^= 1;
    await bob.messenger.receive(tampered);
    assert.equal(texts(bob).length, 0);
    const rejected = bob.messenger.stats().rejected;
    assert.equal((rejected.undecryptable ?? 0) + (rejected.tampered ?? 0), 3, JSON.stringify(rejected));
    await bob.messenger.receive(env);
    assert.deepEqual(texts(bob), ['x'], 'the genuine envelope still opens after the tampered copy');
  });

  it('refuses bad names, bad addresses, duplicates and oversize messages with typed errors', async () => {
    await assert.rejects(alice.messenger.addContact('', bob.address), { code: 'bad-name' });
    await assert.rejects(alice.messenger.addContact('x', 'chaff1notanaddress'), { code: 'bad-address' });
    await assert.rejects(alice.messenger.addContact('bob', bob.address), { code: 'contact-exists' });
    await assert.rejects(alice.messenger.addContact('me', alice.address), { code: 'bad-address' });
    await assert.rejects(alice.messenger.send('nobody', { kind: 'text', text: 'x' }), { code: 'unknown-contact' });
    await assert.rejects(alice.messenger.send('bob', { kind: 'file', name: 'big', data: new Uint8Array((1 << 20) + 1) }), { code: 'too-large' });
  });

  it('does not seal a fragment whose gateway cannot be routed: it goes to unroutable and the next one is prepared', async () => {
    const carol = await user('carol', 0x30);
    const waiting: Array<[string, number]> = [];
    // dave sends to bob (gateway tag 0x20: routable) and carol (0x30: not in the document).
    const dir = mkdtempSync(join(tmpdir(), 'chaff-messenger-dave-'));
    folders.push(dir);
    const dave = await open('dave', dir, generateIdentity(), 0x40, true, { routable: (gw) => gw[0] !== 0x30, unroutable: (k, gw) => waiting.push([k, gw[0]]) });
    await dave.messenger.addContact('bob', bob.address);
    await dave.messenger.addContact('carol', carol.address);
    for (const e of await drain(dave)) await bob.messenger.receive(e); // dave's card to bob; carol's waits
    assert.deepEqual(
      waiting.map(([, g]) => g),
      [0x30],
      'the card to carol waits, unsealed',
    );
    await dave.messenger.send('carol', { kind: 'text', text: 'to carol' });
    await dave.messenger.send('bob', { kind: 'text', text: 'to bob' });
    const p = await dave.messenger.prepareNext();
    assert.ok(p && p.gateway[0] === 0x20, 'the message to bob is prepared; the one to carol, queued first, waits');
    assert.deepEqual(
      waiting.map(([, g]) => g),
      [0x30, 0x30],
    );
    assert.equal(dave.arq.has(waiting[1][0]), true, 'still the sender’s to deliver');
    assert.equal(await dave.messenger.prepareNext(), null);
    dave.messenger.stop();
    await dave.store.close();
    carol.messenger.stop();
    await carol.store.close();
  });
});
