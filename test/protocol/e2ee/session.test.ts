import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes, toHex } from '../../../protocol/bytes.js';
import { sha256 } from '../../../protocol/crypto/hash.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { addressOf, addressToBytes, encodeAddress, decodeAddress } from '../../../protocol/e2ee/address.js';
import { maxPlaintextLength, openSealed, sealToRecipient, MIN_ENVELOPE_LENGTH } from '../../../protocol/e2ee/envelope.js';
import { E2eeError } from '../../../protocol/e2ee/errors.js';
import { generateIdentity } from '../../../protocol/e2ee/identity.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { codeOf, seededUser, type User } from './fixtures.js';

const L = 2048;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** True when `envelope` is a first (sealed-sender) envelope for `to`. */
const isFirstEnvelope = (to: User, envelope: Uint8Array) => openSealed(to.identity, envelope) !== null;

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >>> 3] ^= 1 << (bit & 7);
  return out;
}

function snapshot(sessions: Session[]): string[] {
  return sessions.map((s) => toHex(s.serialize()));
}

describe('e2ee: sessions and envelopes', () => {
  const alice = seededUser('session-alice', 0x30);
  const bob = seededUser('session-bob', 0x40);
  const carol = seededUser('session-carol', 0x50);

  it('has one plaintext limit for both kinds: L − 427', () => {
    assert.equal(maxPlaintextLength(2048), 1621);
    assert.equal(maxPlaintextLength(MIN_ENVELOPE_LENGTH), 1);
    assert.throws(() => maxPlaintextLength(MIN_ENVELOPE_LENGTH - 1), RangeError);
    assert.throws(() => maxPlaintextLength(2048.5), RangeError);
    assert.throws(() => maxPlaintextLength(65537), RangeError);
  });

  it('seals envelopes of exactly the requested length, of either kind, up to the plaintext limit', () => {
    for (const length of [MIN_ENVELOPE_LENGTH, 1000, L, 4096]) {
      const s = Session.initiate(alice.identity, alice.address, bob.address);
      const max = maxPlaintextLength(length);
      const first = s.seal(new Uint8Array(max).fill(7), length);
      assert.equal(first.length, length);
      assert.ok(isFirstEnvelope(bob, first));
      const opened = openEnvelope(bob.identity, [], first);
      assert.deepEqual(opened.plaintext, new Uint8Array(max).fill(7));
      const reply = opened.session.seal(new Uint8Array(max).fill(9), length);
      assert.equal(reply.length, length);
      assert.deepEqual(openEnvelope(alice.identity, [s], reply).plaintext, new Uint8Array(max).fill(9));
      const later = s.seal(new Uint8Array(0), length);
      assert.equal(later.length, length);
      assert.ok(!isFirstEnvelope(bob, later));
      assert.deepEqual(openEnvelope(bob.identity, [opened.session], later).plaintext, new Uint8Array(0));
      assert.throws(() => s.seal(new Uint8Array(max + 1), length), RangeError);
    }
  });

  it('runs a conversation: sealed-sender first envelopes until the reply, then header-encrypted ones', () => {
    const a = Session.initiate(alice.identity, alice.address, decodeAddress(encodeAddress(bob.address)));
    assert.equal(a.awaitingReply, true);
    assert.equal(a.role, 'initiator');
    const e1 = a.seal(utf8('hi bob'), L);
    const e2 = a.seal(utf8('are you there?'), L);
    assert.ok(isFirstEnvelope(bob, e1) && isFirstEnvelope(bob, e2));
    assert.notDeepEqual(e1.subarray(0, 32), e2.subarray(0, 32), 'a fresh E per first envelope');

    const r1 = openEnvelope(bob.identity, [], e1);
    assert.equal(r1.created, true);
    assert.equal(text(r1.plaintext), 'hi bob');
    assert.deepEqual(r1.peerAddress, alice.address, 'the sender is learned from inside the envelope');
    const b = r1.session;
    assert.equal(b.role, 'responder');
    assert.equal(b.awaitingReply, false);
    assert.equal(b.id, a.id, 'both sides name the session alike');
    assert.deepEqual(b.peerIdentityKey, alice.identity.signingKey.publicKey);
    assert.deepEqual(a.peerIdentityKey, bob.identity.signingKey.publicKey);
    assert.deepEqual(b.associatedData, a.associatedData);

    // alice's second first envelope (sent before she heard back) goes to the same session.
    const r2 = openEnvelope(bob.identity, [b], e2);
    assert.equal(r2.created, false);
    assert.equal(r2.session, b);
    assert.equal(text(r2.plaintext), 'are you there?');

    const reply = b.seal(utf8('yes!'), L);
    assert.ok(!isFirstEnvelope(alice, reply), 'the responder never sends first envelopes');
    const r3 = openEnvelope(alice.identity, [a], reply);
    assert.equal(r3.session, a);
    assert.equal(r3.created, false);
    assert.equal(text(r3.plaintext), 'yes!');
    assert.equal(a.awaitingReply, false);

    const e4 = a.seal(utf8('great'), L);
    assert.ok(!isFirstEnvelope(bob, e4), 'after a reply alice switches to header-encrypted envelopes');
    assert.equal(text(openEnvelope(bob.identity, [b], e4).plaintext), 'great');
    for (let i = 0; i < 3; i++) {
      assert.equal(text(openEnvelope(alice.identity, [a], b.seal(utf8(`b${i}`), L)).plaintext), `b${i}`);
      assert.equal(text(openEnvelope(bob.identity, [b], a.seal(utf8(`a${i}`), L)).plaintext), `a${i}`);
    }
  });

  it('picks the right session among several and leaves the others untouched', () => {
    const peers = [alice, carol, seededUser('session-dave', 0x60)];
    const bobSessions: Session[] = [];
    const theirSessions: Session[] = [];
    for (const p of peers) {
      const s = Session.initiate(p.identity, p.address, bob.address);
      const opened = openEnvelope(bob.identity, bobSessions, s.seal(utf8(`hello from ${p.address.mailbox[0]}`), L));
      assert.equal(opened.created, true);
      bobSessions.push(opened.session);
      theirSessions.push(s);
      openEnvelope(p.identity, [s], opened.session.seal(utf8('ack'), L));
    }
    for (let k = 0; k < 2; k++) {
      peers.forEach((p, i) => {
        const env = theirSessions[i].seal(utf8(`msg ${k} from ${i}`), L);
        const before = snapshot(bobSessions);
        const opened = openEnvelope(bob.identity, bobSessions, env);
        assert.equal(opened.session, bobSessions[i]);
        assert.deepEqual(opened.peerAddress, p.address);
        assert.equal(text(opened.plaintext), `msg ${k} from ${i}`);
        const after = snapshot(bobSessions);
        after.forEach((s, j) => (j === i ? assert.notEqual(s, before[j]) : assert.equal(s, before[j], `session ${j} unchanged`)));
      });
    }
  });

  it('reports envelopes for someone else, and random bytes, as undecryptable without touching any session', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const b = openEnvelope(bob.identity, [], a.seal(utf8('x'), L)).session;
    openEnvelope(alice.identity, [a], b.seal(utf8('y'), L));
    const toCarol = Session.initiate(alice.identity, alice.address, carol.address);
    const sessions = [b];
    const before = snapshot(sessions);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, toCarol.seal(utf8('for carol'), L))),
      'undecryptable',
    );
    const aliceLaterToOther = Session.initiate(alice.identity, alice.address, carol.address);
    const c = openEnvelope(carol.identity, [], aliceLaterToOther.seal(utf8('x'), L)).session;
    openEnvelope(alice.identity, [aliceLaterToOther], c.seal(utf8('y'), L));
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, aliceLaterToOther.seal(utf8('later, for carol'), L))),
      'undecryptable',
    );
    const random = deterministicRandom('cover');
    for (let i = 0; i < 20; i++)
      assert.equal(
        codeOf(() => openEnvelope(bob.identity, sessions, random(L))),
        'undecryptable',
      );
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, new Uint8Array(L))),
      'undecryptable',
    );
    assert.deepEqual(snapshot(sessions), before);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, new Uint8Array(MIN_ENVELOPE_LENGTH - 1))),
      'malformed',
    );
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, 'nope' as unknown as Uint8Array)),
      'malformed',
    );
  });

  it('rejects replayed first and later envelopes', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const first = a.seal(utf8('first'), L);
    const r = openEnvelope(bob.identity, [], first);
    const sessions = [r.session];
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, first)),
      'replay',
      'duplicate first envelope',
    );
    openEnvelope(alice.identity, [a], r.session.seal(utf8('reply'), L));
    const later = a.seal(utf8('later'), L);
    openEnvelope(bob.identity, sessions, later);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, later)),
      'replay',
      'duplicate later envelope',
    );
    // After several ratchet steps the first envelope is still recognised as a replay, not a new session.
    for (let i = 0; i < 3; i++) {
      openEnvelope(alice.identity, [a], r.session.seal(utf8('b'), L));
      openEnvelope(bob.identity, sessions, a.seal(utf8('a'), L));
    }
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, sessions, first)),
      'replay',
    );
    assert.equal(sessions.length, 1);
  });

  it('makes a new session for a new X3DH from a known peer, and for a reinstalled peer (new identity key)', () => {
    const a1 = Session.initiate(alice.identity, alice.address, bob.address);
    const b1 = openEnvelope(bob.identity, [], a1.seal(utf8('one'), L)).session;
    // alice lost her session state (same identity) and starts over.
    const a2 = Session.initiate(alice.identity, alice.address, bob.address);
    const r2 = openEnvelope(bob.identity, [b1], a2.seal(utf8('two'), L));
    assert.equal(r2.created, true);
    assert.notEqual(r2.session.id, b1.id);
    assert.deepEqual(r2.session.peerIdentityKey, b1.peerIdentityKey);
    // alice reinstalled: a new identity, so a different peer.
    const reinstalled = generateIdentity();
    const newAddress = addressOf(reinstalled, alice.address.gateway, alice.address.mailbox);
    const a3 = Session.initiate(reinstalled, newAddress, bob.address);
    const r3 = openEnvelope(bob.identity, [b1, r2.session], a3.seal(utf8('three'), L));
    assert.equal(r3.created, true);
    assert.notDeepEqual(r3.session.peerIdentityKey, b1.peerIdentityKey);
    assert.equal(text(r3.plaintext), 'three');
  });

  it('rejects a forged first envelope (sealed to bob, claiming alice, without her keys) as tampered', () => {
    const random = deterministicRandom('forgery');
    const ek = X25519PrivateKey.fromBytes(random(32)).publicKey;
    const content = concatBytes(addressToBytes(alice.address), ek, random(80), random(L - 385));
    const forged = sealToRecipient(bob.address, content, random);
    assert.equal(forged.length, L);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [], forged)),
      'tampered',
    );
    // A sealed envelope whose sender address does not verify is malformed.
    const badAddress = addressToBytes(alice.address);
    badAddress[100] ^= 1;
    const bad = sealToRecipient(bob.address, concatBytes(badAddress, ek, random(80), random(L - 385)), random);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [], bad)),
      'malformed',
    );
  });

  it('rejects a tampered later envelope (header, body, padding) without changing the session', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const b = openEnvelope(bob.identity, [], a.seal(utf8('x'), L)).session;
    openEnvelope(alice.identity, [a], b.seal(utf8('y'), L));
    const env = a.seal(utf8('short message'), L);
    const before = snapshot([b]);
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [b], flipBit(env, 8 * 30))),
      'undecryptable',
      'header',
    );
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [b], flipBit(env, 8 * 85))),
      'tampered',
      'body',
    );
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [b], flipBit(env, 8 * 1500))),
      'tampered',
      'padding',
    );
    assert.equal(
      codeOf(() => openEnvelope(bob.identity, [b], flipBit(env, 8 * L - 1))),
      'tampered',
      'tag',
    );
    assert.deepEqual(snapshot([b]), before);
    assert.equal(text(openEnvelope(bob.identity, [b], env).plaintext), 'short message');
  });

  it('property: flipping any bit of a first or later envelope gets it rejected, and no session changes', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const first = a.seal(utf8('first'), L);
    const opened = openEnvelope(bob.identity, [], first);
    const b = opened.session;
    const second = a.seal(utf8('second first'), L); // still a first envelope, for the existing session
    openEnvelope(alice.identity, [a], b.seal(utf8('reply'), L));
    const later = a.seal(utf8('later'), L);
    const sessions = [b];
    const before = snapshot(sessions);
    for (const [name, env, runs] of [
      ['first (new session)', first, 60],
      ['first (existing session)', second, 60],
      ['later', later, 150],
    ] as const) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 8 * L - 1 }), (bit) => {
          const known = name === 'first (new session)' ? [] : sessions;
          try {
            openEnvelope(bob.identity, known, flipBit(env, bit));
          } catch (err) {
            return err instanceof E2eeError && (err.code === 'undecryptable' || err.code === 'tampered');
          }
          return false;
        }),
        { numRuns: runs, seed: 7 },
      );
    }
    assert.deepEqual(snapshot(sessions), before);
    assert.equal(text(openEnvelope(bob.identity, sessions, second).plaintext), 'second first');
    assert.equal(text(openEnvelope(bob.identity, sessions, later).plaintext), 'later');
  });

  it('randomises the top bit of E (byte 31) in about half of the first envelopes, and they still open', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const envelopes = Array.from({ length: 200 }, (_, i) => a.seal(utf8(`m${i}`), L));
    const set = envelopes.filter((e) => e[31] & 0x80).length;
    assert.ok(set > 60 && set < 140, `top bit set in ${set}/200 (binomial: mean 100, sd 7)`);
    const withBit = envelopes.findIndex((e) => e[31] & 0x80);
    const withoutBit = envelopes.findIndex((e) => !(e[31] & 0x80));
    const sessions: Session[] = [];
    for (const i of [withBit, withoutBit]) {
      const r = openEnvelope(bob.identity, sessions, envelopes[i]);
      if (r.created) sessions.push(r.session);
      assert.equal(text(r.plaintext), `m${i}`);
    }
  });

  it('continues after serialize/deserialize on both sides, also while still awaiting a reply', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const e1 = a.seal(utf8('one'), L);
    const a2 = Session.deserialize(a.serialize());
    assert.equal(a2.awaitingReply, true);
    assert.equal(a2.id, a.id);
    const e2 = a2.seal(utf8('two'), L);
    assert.ok(isFirstEnvelope(bob, e2));
    const b = openEnvelope(bob.identity, [], e2).session;
    const b2 = Session.deserialize(b.serialize());
    assert.deepEqual(b2.serialize(), b.serialize());
    assert.deepEqual(b2.peerAddress, alice.address);
    assert.equal(b2.role, 'responder');
    assert.equal(text(openEnvelope(bob.identity, [b2], e1).plaintext), 'one', 'the skipped first message, after a restore');
    const reply = b2.seal(utf8('three'), L);
    const a3 = Session.deserialize(a2.serialize());
    assert.equal(text(openEnvelope(alice.identity, [a3], reply).plaintext), 'three');
    assert.equal(a3.awaitingReply, false);
    const b3 = Session.deserialize(b2.serialize());
    assert.equal(text(openEnvelope(bob.identity, [b3], a3.seal(utf8('four'), L)).plaintext), 'four');
  });

  it('rejects malformed stored sessions with E2eeError(malformed)', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    const bytes = a.serialize();
    const bad = (mutate: (b: Uint8Array) => void) => {
      const c = Uint8Array.from(bytes);
      mutate(c);
      return codeOf(() => Session.deserialize(c));
    };
    assert.equal(
      bad((c) => (c[0] = 9)),
      'malformed',
    );
    assert.equal(
      bad((c) => (c[1] = 3)),
      'malformed',
    );
    assert.equal(
      bad((c) => (c[1] = 2)),
      'malformed',
      'a responder with an own address',
    );
    assert.equal(
      bad((c) => (c[150] ^= 1)),
      'malformed',
      'peer address signature',
    );
    assert.equal(
      bad((c) => (c[300] ^= 1)),
      'malformed',
      'AD does not match',
    );
    assert.equal(
      codeOf(() => Session.deserialize(bytes.subarray(0, 612))),
      'malformed',
    );
    assert.equal(
      codeOf(() => Session.deserialize(bytes.subarray(0, bytes.length - 3))),
      'malformed',
    );
  });

  it('checks its inputs: own address must be own, peer address must verify', () => {
    assert.equal(
      codeOf(() => Session.initiate(alice.identity, carol.address, bob.address)),
      'malformed',
    );
    const sig = Uint8Array.from(bob.address.signature);
    sig[9] ^= 4;
    assert.equal(
      codeOf(() => Session.initiate(alice.identity, alice.address, { ...bob.address, signature: sig })),
      'signature',
    );
    const a = Session.initiate(alice.identity, alice.address, bob.address);
    assert.throws(() => a.seal('text' as unknown as Uint8Array, L), RangeError);
    assert.throws(() => a.seal(new Uint8Array(1), 100), RangeError);
    // A moved peer: same identity, new mailbox.
    const moved = addressOf(bob.identity, new Uint8Array(32).fill(0xaa), new Uint8Array(32).fill(0xbb));
    a.updatePeerAddress(moved);
    assert.deepEqual(a.peerAddress.mailbox, moved.mailbox);
    assert.equal(
      codeOf(() => a.updatePeerAddress(carol.address)),
      'signature',
    );
  });

  it('pins one sealed first envelope built from seeded randomness', () => {
    const a = Session.initiate(alice.identity, alice.address, bob.address, deterministicRandom('envelope-vector'));
    const env = a.seal(utf8('pinned'), L);
    assert.equal(env.length, L);
    assert.equal(toHex(env.subarray(0, 32)), 'c8d0401add25df150713fe565191b95d4f524341460cf1f89f1408d5a41bf7fd');
    assert.equal(toHex(sha256(env)), '7613307172deb12160da6e488e2c8edd4ca94c81a0c452f6cc2740c8781aa477');
    const r = openEnvelope(bob.identity, [], env);
    assert.equal(text(r.plaintext), 'pinned');
    assert.equal(r.session.id, a.id);
  });

  it('logs the cost of opening an envelope (no timing assertion)', function () {
    this.timeout(60_000);
    const sessions: Session[] = [];
    for (let i = 0; i < 20; i++) {
      const peer = Session.initiate(carol.identity, carol.address, bob.address);
      const r = openEnvelope(bob.identity, sessions, peer.seal(utf8('x'), L));
      sessions.push(r.session);
    }
    const random = deterministicRandom('cost');
    const cover = Array.from({ length: 100 }, () => random(L));
    const time = (list: Session[]) => {
      for (const e of cover.slice(0, 20)) codeOf(() => openEnvelope(bob.identity, list, e));
      const t = process.hrtime.bigint();
      for (const e of cover) codeOf(() => openEnvelope(bob.identity, list, e));
      return Number(process.hrtime.bigint() - t) / 1000 / cover.length;
    };
    const none = time([]);
    const twenty = time(sessions);
    console.log(
      `      cost: a ${L}-byte cover envelope with 0 sessions ${none.toFixed(0)} µs (sealed-sender trial: 2 X25519 + AEAD), ` +
        `with 20 sessions ${twenty.toFixed(0)} µs, i.e. ~${((twenty - none) / 20).toFixed(0)} µs per session (header AEADs under HKr and NHKr)`,
    );
  });
});
