// Attack (issue 9 §2): identities register, send a little (each gets a token
// bucket), leave mail behind, and never come back. On main every
// registration was kept forever and token buckets were never evicted, so
// per-client state grew with every identity ever seen. A gateway must evict
// a token bucket once it is full again (idle), and expire a registration,
// with its mailbox, after the idle period (idleExpiryMs) on the injected
// clock; a client that keeps fetching stays.
//
// Real components: GatewayService on a libp2p host on 127.0.0.1 with real
// LevelDB stores (test/adversarial/gateway-harness.ts); clients are libp2p
// hosts speaking through GatewayLink (register, send stream, fetch).

import assert from 'node:assert/strict';
import { BODY, startGateway, T0, until, type GatewayUnderTest } from './gateway-harness.js';

const IDLE_MS = 7 * 86_400_000;
const CLIENTS = 6;

describe('identities that register, send and leave pin gateway state forever', function () {
  this.timeout(60_000);
  let gw: GatewayUnderTest | undefined;
  after(async () => gw?.stop());

  it('evicts idle token buckets, and expires idle registrations with their mailboxes, while an active client stays', async () => {
    gw = await startGateway({ limits: { clientRate: 1, rateHeadroom: 1, registration: { proofBits: 0, idleExpiryMs: IDLE_MS } } });
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = await gw.newClient();
      await new Promise((r) => setTimeout(r, 300)); // under libp2p's 5 new connections per second per address, the mix's connection (deliver) included
      await c.link.connect(); // registers, opens the send stream
      for (let k = 0; k < 3; k++) c.link.trySend(gw.entryPacket(k));
      gw.deliver(c.link.mailboxId, 0x40 + i);
      clients.push(c);
    }
    await until(() => gw!.gateway.stats().entry.accepted === 3 * CLIENTS, 'every client’s frames accepted');
    await until(() => gw!.gateway.stats().exit.deposits === CLIENTS, 'a message in every mailbox');
    assert.equal(gw.gateway.stats().held?.buckets, CLIENTS, 'a token bucket per client that sent');
    assert.equal(gw.gateway.stats().registeredClients, CLIENTS);

    // A minute later every bucket is full again: as good as new, so dropped.
    gw.clock.advanceTo(T0 + 60_000);
    await gw.gateway.maintain();
    assert.equal(gw.gateway.stats().held.buckets, 0, 'idle token buckets were kept');
    assert.equal(gw.gateway.stats().evicted.buckets, CLIENTS);

    // One client keeps fetching; the others never come back.
    const active = clients[0];
    for (let day = 1; day <= 8; day++) {
      gw.clock.advanceTo(T0 + day * 86_400_000);
      if (day % 2 === 0) await active.link.fetch([], BODY);
      await gw.gateway.maintain();
    }
    const s = gw.gateway.stats();
    assert.equal(s.registeredClients, 1, `${s.registeredClients} registrations after ${CLIENTS - 1} clients were idle for more than ${IDLE_MS / 86_400_000} days`);
    assert.equal(s.evicted.registrations, CLIENTS - 1);
    assert.equal(s.evicted.messages, CLIENTS - 1, 'their mailboxes went with them');
    assert.equal(gw.mailboxes.stats().messages, 1, 'only the active client’s message is kept');
    assert.equal(gw.registry.has(active.link.mailboxId), true);
    const [entry] = await active.link.fetch([], BODY);
    assert.equal(entry.body[0], 0x40);

    // An evicted identity is a stranger again: its fetch is refused until it registers anew.
    await assert.rejects(clients[1].link.fetch([], BODY), /not registered/);
  });
});
