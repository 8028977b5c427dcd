import assert from 'node:assert/strict';
import { SessionIndex } from '../../../client/receiver/session-index.js';
import { addressOf } from '../../../protocol/e2ee/address.js';
import { headerHint } from '../../../protocol/e2ee/header-nonce.js';
import { generateIdentity } from '../../../protocol/e2ee/identity.js';
import { openEnvelope, Session } from '../../../protocol/e2ee/session.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('client/receiver/session-index', () => {
  it('names the one session an envelope belongs to, follows its state, and forgets it', () => {
    const bob = generateIdentity();
    const bobAddress = addressOf(bob, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    const index = new SessionIndex();
    const peers = Array.from({ length: 5 }, () => {
      const id = generateIdentity();
      const initiator = Session.initiate(id, addressOf(id, new Uint8Array(32).fill(3), new Uint8Array(32).fill(4)), bobAddress);
      const opened = openEnvelope(bob, index, initiator.seal(utf8('hi'), 2048));
      index.update(opened.session);
      // Bob answers, so the initiator's later envelopes are not sealed-sender ones.
      openEnvelope(id, [initiator], opened.session.seal(utf8('hello'), 2048));
      index.update(opened.session);
      return { initiator, responder: opened.session };
    });
    assert.equal(index.size, 5);
    for (const { initiator, responder } of peers) {
      for (let i = 0; i < 3; i++) {
        const envelope = initiator.seal(utf8(`m${i}`), 2048);
        assert.deepEqual(index.byHint(headerHint(envelope)), [responder]);
        let tried = 0;
        const r = openEnvelope(bob, index, envelope, undefined, { onTried: (n) => (tried = n) });
        assert.equal(r.session, responder);
        assert.equal(tried, 1);
        index.update(r.session);
      }
    }
    const { initiator, responder } = peers[0];
    index.delete(responder.id);
    assert.equal(index.size, 4);
    assert.equal(index.byId(responder.id), undefined);
    assert.deepEqual(index.byHint(headerHint(initiator.seal(utf8('gone'), 2048))), []);
  });
});
