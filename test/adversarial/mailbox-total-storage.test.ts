// Attack (issue 9 §2, "mailbox quotas have no total"): an attacker spreads
// deposits over many mailboxes (fresh registrations, or every address it
// knows), each under its own quota, to fill the gateway's disk. The sum over
// all mailboxes must be capped (maxTotalBytes, config mailbox_total_bytes):
// deposits beyond it are refused and counted, nothing already stored is
// dropped, and room comes back as clients fetch and acknowledge.
//
// Real components: GatewayService on a libp2p host on 127.0.0.1 with real
// LevelDB stores (test/adversarial/gateway-harness.ts); packets arrive from a
// real mix host over /chaff/packet/1; clients register and fetch through
// GatewayLink.

import assert from 'node:assert/strict';
import { BODY, geometry, startGateway, until, type GatewayUnderTest } from './gateway-harness.js';

const MAILBOXES = 6;
const PER_MAILBOX = 10;

describe('deposits spread over many mailboxes fill a gateway’s disk', function () {
  this.timeout(60_000);
  let gw: GatewayUnderTest | undefined;
  after(async () => gw?.stop());

  it('caps the total over all mailboxes; deposits beyond it are refused and counted; acknowledgements make room', async () => {
    // A stored message is kind (1) ‖ user payload.
    const entryBytes = 1 + geometry.userForwardPayloadLength;
    const cap = 20 * entryBytes;
    gw = await startGateway({ limits: { registration: { proofBits: 0 } }, mailbox: { maxTotalBytes: cap } });
    const clients = [];
    for (let i = 0; i < MAILBOXES; i++) {
      const c = await gw.newClient();
      await new Promise((r) => setTimeout(r, 300)); // under libp2p's 5 new connections per second per address
      await c.link.register();
      clients.push(c);
    }
    // Every mailbox gets PER_MAILBOX packets, far under its own quota (10,000).
    for (let k = 0; k < PER_MAILBOX; k++) for (const c of clients) gw.deliver(c.link.mailboxId, k);
    const total = MAILBOXES * PER_MAILBOX;
    const handled = () => gw!.gateway.stats().exit.deposits + (gw!.gateway.stats().exit.drops['over-total-bytes'] ?? 0);
    await until(() => handled() === total, 'every deposit handled');
    const s = gw.gateway.stats();
    assert.ok(s.mailbox.bytes <= cap, `${s.mailbox.bytes} bytes stored over all mailboxes, above the ${cap}-byte cap`);
    assert.equal(s.exit.deposits, 20);
    assert.equal(s.exit.drops['over-total-bytes'], total - 20);
    assert.equal(s.mailbox.counters.rejected['over-total-bytes'], total - 20);
    assert.equal(s.mix.drops['final-hop-refused'], total - 20, 'refused packets are not acknowledged (the sender retransmits)');

    // A client fetches and acknowledges: its room comes back to everyone.
    const first = await clients[0].link.fetch([], BODY);
    assert.ok(first.length > 0);
    await clients[0].link.fetch(
      first.map((e) => e.id!),
      BODY,
    );
    gw.deliver(clients[5].link.mailboxId, 0xee);
    await until(() => gw!.gateway.stats().exit.deposits === 21, 'a deposit accepted once there is room');
    assert.ok(gw.gateway.stats().mailbox.bytes <= cap);
  });
});
