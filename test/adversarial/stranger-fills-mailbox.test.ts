// Attack (issue 9 §2, "anyone who knows an address can fill that user's
// mailbox"): a stranger who knows only Bob's address (his gateway and public
// mailbox id M) sends him packet after packet. On main they all went into
// Bob's one mailbox until its quota was full, and then his real contacts'
// messages were refused. Now Bob registers a private delivery id D (which he
// gives only to established contacts, inside the encrypted session, and puts
// in his own SURBs): what is addressed to M fills only a small
// contact-request allowance, and deposits through D, messages and SURB
// replies (ACKs) alike, are still accepted and fetched, marked by which id
// they came through.
//
// Real components: GatewayService on a libp2p host on 127.0.0.1 with real
// LevelDB stores (test/adversarial/gateway-harness.ts); packets arrive from a
// real mix host over /chaff/packet/1; Bob registers and fetches through
// GatewayLink.

import assert from 'node:assert/strict';
import { BODY, startGateway, until, type GatewayUnderTest } from './gateway-harness.js';

const ALLOWANCE = 8;
const STRANGER_PACKETS = 60;

describe('a stranger who knows only an address fills its mailbox and crowds out the contacts', function () {
  this.timeout(60_000);
  let gw: GatewayUnderTest | undefined;
  after(async () => gw?.stop());

  it('fills only the contact-request allowance; mail and ACKs through the delivery id still arrive and are fetched', async () => {
    gw = await startGateway({
      limits: { fetchBatch: 8, registration: { proofBits: 0 }, requestAllowance: { messages: ALLOWANCE, bytes: 1 << 20 } },
      // Bob's main mailbox is small too, so on main the stranger fills it.
      mailbox: { maxMessagesPerMailbox: 40 },
    });
    const bob = await gw.newClient();
    const deliveryId = crypto.getRandomValues(new Uint8Array(32));
    await bob.link.register({ deliveryId });

    // The stranger floods M.
    for (let i = 0; i < STRANGER_PACKETS; i++) gw.deliver(bob.link.mailboxId, 0x51);
    const handled = () => gw!.gateway.stats().exit.deposits + (gw!.gateway.stats().exit.drops['request-allowance-full'] ?? 0);
    await until(() => handled() + gw!.gateway.stats().exit.drops['over-quota-messages'] >= STRANGER_PACKETS, 'the flood handled');
    let s = gw.gateway.stats();
    assert.equal(s.exit.deposits, ALLOWANCE, `${s.exit.deposits} of a stranger’s packets stored: more than the contact-request allowance`);
    assert.equal(s.exit.drops['request-allowance-full'], STRANGER_PACKETS - ALLOWANCE);

    // Bob's contacts write to D, and an ACK for one of Bob's own packets comes back to D.
    for (let i = 0; i < 30; i++) gw.deliver(deliveryId, 0xc0);
    const surbId = crypto.getRandomValues(new Uint8Array(16));
    gw.deliverSurbReply(deliveryId, surbId);
    await until(() => gw!.gateway.stats().exit.deposits === ALLOWANCE + 31, 'every contact message and the ACK stored');
    s = gw.gateway.stats();
    assert.equal(s.exit.drops['over-quota-messages'], 0);
    assert.equal(s.exit.surbReplies, 1);

    // Bob fetches everything: contacts' mail gets at least three quarters of every reply while requests wait.
    const seen = { address: 0, delivery: 0, acks: 0 };
    let acks: bigint[] = [];
    for (let round = 0; round < 10; round++) {
      const entries = await bob.link.fetch(acks, BODY);
      if (round === 0) assert.ok(entries.filter((e) => e.via === 'delivery').length >= 6, 'contacts’ mail is not crowded out of a reply');
      for (const e of entries) {
        seen[e.via]++;
        if (e.kind === 'surb-reply') {
          seen.acks++;
          assert.deepEqual(e.surbId, surbId);
          assert.equal(e.via, 'delivery');
        } else assert.equal(e.body[0], e.via === 'address' ? 0x51 : 0xc0);
      }
      acks = entries.map((e) => e.id!);
      if (entries.length === 0) break;
    }
    assert.deepEqual(seen, { address: ALLOWANCE, delivery: 31, acks: 1 });
    assert.equal(gw.mailboxes.stats().messages, 0, 'everything acknowledged');

    // Once fetched, the allowance is open again for new contact requests.
    gw.deliver(bob.link.mailboxId, 0x52);
    await until(() => gw!.gateway.stats().exit.deposits === ALLOWANCE + 32, 'a new request accepted');
  });

  it('rotates the delivery id: the old one stops reaching the mailbox; a delivery id cannot be another client’s', async () => {
    gw ??= await startGateway({ limits: { registration: { proofBits: 0 } } });
    const alice = await gw.newClient();
    await new Promise((r) => setTimeout(r, 250));
    const eve = await gw.newClient();
    const d1 = crypto.getRandomValues(new Uint8Array(32));
    const d2 = crypto.getRandomValues(new Uint8Array(32));
    await alice.link.register({ deliveryId: d1 });
    await alice.link.register({ deliveryId: d2 });
    const before = gw.gateway.stats().exit;
    gw.deliver(d1, 0xd1);
    gw.deliver(d2, 0xd2);
    await until(() => gw!.gateway.stats().exit.deposits + gw!.gateway.stats().exit.drops['unknown-recipient'] === before.deposits + before.drops['unknown-recipient'] + 2, 'both handled');
    assert.equal(gw.gateway.stats().exit.deposits, before.deposits + 1, 'the current delivery id reaches the mailbox');
    assert.equal(gw.gateway.stats().exit.drops['unknown-recipient'], before.drops['unknown-recipient'] + 1, 'the old one does not');
    const [entry] = await alice.link.fetch([], BODY);
    assert.deepEqual([entry.via, entry.body[0]], ['delivery', 0xd2]);
    await assert.rejects(eve.link.register({ deliveryId: d2 }), /delivery id is taken/);
    await assert.rejects(eve.link.register({ deliveryId: alice.link.mailboxId }), /delivery id is taken/);
    assert.ok(gw.gateway.stats().register.drops['delivery-id-taken'] >= 2);
    assert.equal(gw.registry.resolve(d2)?.mailboxId.length, 32);
  });
});
