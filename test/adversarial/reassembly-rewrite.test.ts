// Attack: one large message makes every further fragment cost the whole
// reassembly. Each fragment of a partial message rewrote and synced the
// peer's entire reassembly state (every chunk held so far, base64 in JSON:
// 5.4 MiB per fragment near the end of a 4 MiB message), so a sender, or a
// stranger, could make the victim write the square of the message size.
// Now each held chunk is a record of its own (client/receiver/inbound-states.ts):
// a further fragment writes its chunk and the session, however large the message.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeContent } from '../../protocol/chat/content.js';
import { fragment } from '../../protocol/chat/fragmenter.js';
import { addressOf, decodeAddress, encodeAddress } from '../../protocol/e2ee/address.js';
import { maxPlaintextLength } from '../../protocol/e2ee/envelope.js';
import { generateIdentity } from '../../protocol/e2ee/identity.js';
import { Session } from '../../protocol/e2ee/session.js';
import { ENVELOPE, Users, type User } from '../helpers/messenger-users.js';

describe('a large message making every further fragment rewrite the whole reassembly state', function () {
  this.timeout(60_000);
  const users = new Users();
  after(() => users.closeAll());

  /** Bytes the receiver's store writes for each of `measured` fragments of a `size`-byte file (the last fragment held back). */
  async function bytesPerFragment(bob: User, size: number, measured: number[]): Promise<number[]> {
    const carol = generateIdentity();
    const carolAddress = addressOf(carol, new Uint8Array(32).fill(3), new Uint8Array(randomBytes(32)));
    await bob.messenger.addContact(`carol${size}`, encodeAddress(carolAddress));
    const session = Session.initiate(carol, carolAddress, decodeAddress(bob.address));
    const content = encodeContent({ kind: 'file', name: 'big.bin', data: new Uint8Array(randomBytes(size)) });
    const frames = fragment(new Uint8Array(randomBytes(16)), 0n, users.clock.now(), content, maxPlaintextLength(ENVELOPE));
    const out: number[] = [];
    for (let i = 0; i < frames.length - 1; i++) {
      const envelope = session.seal(frames[i], ENVELOPE);
      const before = bob.store.stats().bytesWritten;
      await bob.messenger.receive(envelope);
      if (measured.includes(i)) out.push(bob.store.stats().bytesWritten - before);
    }
    return out;
  }

  it('bytes written per further fragment do not grow with the message size', async function () {
    const bob = await users.create('bob');
    const small = await bytesPerFragment(bob, 30_000, [5, 10, 15]);
    const large = await bytesPerFragment(bob, 400_000, [5, 100, 200, 250]);
    this.test!.title += ` [bytes per fragment: 30 kB message ${small.join(', ')}; 400 kB message ${large.join(', ')}]`;
    const limit = Math.max(...small) * 1.5;
    for (const b of large) assert.ok(b <= limit, `a fragment of the 400 kB message wrote ${b} bytes; one of a 30 kB message at most ${Math.max(...small)}`);
    assert.ok(Math.max(...large) < 8 * 1024, `about a chunk and a session state per fragment, got ${large.join(', ')} bytes`);
  });
});
