// Attack (issue 9 §2, "gateway registration is free"): one process makes
// many fresh identities (40 on main gave 40 × one client's token bucket) and
// registers each at one gateway, then sends from all of them at once, to
// multiply one client's token bucket into the mixnet (and leave
// registrations kept forever). The gateway's registration policy must
// bound it: "closed" and "invite" refuse identities the operator did not
// let in; "open" makes each registration cost a proof of work and caps new
// registrations per source address and per hour; and one address may have
// only `connectionsPerAddress` identities sending at once. Every refusal is
// counted with its reason.
//
// Real components: GatewayService on a libp2p host on 127.0.0.1 with real
// LevelDB stores and invite folder (test/adversarial/gateway-harness.ts);
// every identity is its own libp2p host registering through GatewayLink.
// The gateway's libp2p host accepts at most 5 new connections per second
// from one address (libp2p's inboundConnectionThreshold), so new identities
// connect at under 5 per second here.

import assert from 'node:assert/strict';
import { RpcError } from '../../runtime/net/rpc.js';
import { formatInviteToken } from '../../protocol/wire/register.js';
import { startGateway, T0, until, type GatewayUnderTest, type TestClient } from './gateway-harness.js';

const SYBILS = 24;
const FEW = 8;
/** Below libp2p's 5 inbound connections per second per address. */
const CONNECT_GAP_MS = 210;

describe('one process registers many fresh identities at a gateway to multiply its share', function () {
  this.timeout(60_000);
  let gw: GatewayUnderTest | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  async function sybils(n: number): Promise<TestClient[]> {
    return Promise.all(Array.from({ length: n }, () => gw!.newClient()));
  }

  const connected = new WeakSet<TestClient>();
  /** Registers each (a new identity's first call opens its connection); returns the refusal reasons (null for a success). */
  async function registerAll(clients: TestClient[], options: Parameters<TestClient['link']['register']>[0] = {}): Promise<Array<string | null>> {
    const out: Array<string | null> = [];
    for (const c of clients) {
      if (!connected.has(c)) {
        connected.add(c);
        await new Promise((r) => setTimeout(r, CONNECT_GAP_MS));
      }
      try {
        await c.link.register(options);
        out.push(null);
      } catch (err) {
        out.push(err instanceof RpcError && err.code === 'refused' ? err.message : `unexpected: ${(err as Error).message}`);
      }
    }
    return out;
  }

  it('"closed": no fresh identity registers; each refusal is counted', async () => {
    gw = await startGateway({ limits: { registration: { mode: 'closed' } } });
    const results = await registerAll(await sybils(FEW));
    assert.equal(results.filter((r) => r === null).length, 0, 'a closed gateway registered a fresh identity');
    assert.ok(
      results.every((r) => /takes no new clients/.test(r!)),
      String(results),
    );
    assert.equal(gw.gateway.stats().registeredClients, 0);
    assert.equal(gw.gateway.stats().register.drops.closed, FEW);
  });

  it('"invite": only an identity with an unused invite registers; an invite works once', async () => {
    gw = await startGateway({ limits: { registration: { mode: 'invite' } } });
    const [token] = await gw.invites.mint(1, T0, T0 + 86_400_000);
    assert.match(formatInviteToken(token), /^[0-9a-f]{64}$/);
    const clients = await sybils(FEW);
    const without = await registerAll(clients.slice(0, FEW - 2));
    assert.ok(
      without.every((r) => r !== null && /invite token is needed/.test(r)),
      `registered without an invite: ${String(without)}`,
    );
    assert.deepEqual(await registerAll([clients[FEW - 2]], { inviteToken: token }), [null]);
    const reused = await registerAll([clients[FEW - 1]], { inviteToken: token });
    assert.match(reused[0]!, /not valid/, 'a used invite admitted a second identity');
    const forged = await registerAll([clients[0]], { inviteToken: crypto.getRandomValues(new Uint8Array(32)) });
    assert.match(forged[0]!, /not valid/);
    // The admitted client registers again (reconnects) without a new invite.
    assert.deepEqual(await registerAll([clients[FEW - 2]]), [null]);
    const s = gw.gateway.stats();
    assert.equal(s.registeredClients, 1);
    assert.equal(s.register.drops['invite-required'], FEW - 2);
    assert.equal(s.register.drops['invite-invalid'], 2);
    assert.equal(await gw.invites.count(), 0, 'the invite was consumed');
  });

  it('"open": each registration costs a proof of work, and one address registers at most its hourly budget', async () => {
    const PER_ADDRESS = 5;
    gw = await startGateway({ limits: { registration: { mode: 'open', proofBits: 8, perAddressPerHour: PER_ADDRESS, perHour: 1000 } } });
    const clients = await sybils(SYBILS);
    // A bare request (what a free registration was) is refused with the cost.
    for (const c of clients.slice(0, 3)) {
      connected.add(c);
      await new Promise((r) => setTimeout(r, CONNECT_GAP_MS));
      await assert.rejects(c.link.register({ maxProofBits: 0 }), (err: unknown) => err instanceof Error && /8-bit proof of work, more than the 0 bits/.test(err.message));
    }
    const results = await registerAll(clients);
    assert.equal(results.filter((r) => r === null).length, PER_ADDRESS, 'one address registered more than its budget');
    assert.ok(
      results.slice(PER_ADDRESS).every((r) => /too many new registrations from this address/.test(r!)),
      String(results),
    );
    let s = gw.gateway.stats();
    assert.equal(s.registeredClients, PER_ADDRESS);
    assert.equal(s.register.drops['proof-required'], 3 + SYBILS, 'every first attempt (without a proof) was told the cost');
    assert.equal(s.register.drops['address-limit'], SYBILS - PER_ADDRESS);
    // An hour later the address may register its budget again, and no more.
    gw.clock.advanceTo(T0 + 3_600_000);
    const later = await registerAll(clients.slice(PER_ADDRESS, PER_ADDRESS + 2 * PER_ADDRESS));
    assert.equal(later.filter((r) => r === null).length, PER_ADDRESS);
    s = gw.gateway.stats();
    assert.equal(s.registeredClients, 2 * PER_ADDRESS);
  });

  it('"open": a forged proof is refused, and the gateway-wide hourly budget and the client cap hold', async () => {
    gw = await startGateway({ limits: { registration: { mode: 'open', proofBits: 0, perAddressPerHour: 1000, perHour: 6, maxClients: 4 } } });
    const results = await registerAll(await sybils(FEW));
    assert.equal(results.filter((r) => r === null).length, 4, String(results));
    assert.ok(results.slice(4).every((r) => /as many clients as it takes/.test(r!)));
    assert.equal(gw.gateway.stats().register.drops.full, FEW - 4);

    await gw.stop();
    gw = await startGateway({ limits: { registration: { mode: 'open', proofBits: 0, perAddressPerHour: 1000, perHour: 6 } } });
    const hourly = await registerAll(await sybils(FEW));
    assert.equal(hourly.filter((r) => r === null).length, 6, String(hourly));
    assert.equal(gw.gateway.stats().register.drops['rate-limited'], FEW - 6);

    await gw.stop();
    gw = await startGateway({ limits: { registration: { mode: 'open', proofBits: 20 } } });
    const [forger] = await sybils(1);
    // The link solves only up to maxProofBits: ask it for nothing, then send a made-up nonce by hand.
    const { callRpc } = await import('../../runtime/net/rpc.js');
    const { encodeRegisterRequest } = await import('../../protocol/wire/register.js');
    const { CLIENT_REGISTER_PROTOCOL } = await import('../../protocol/wire/client-protocols.js');
    const { peerOf } = await import('../../client/net/gateway-link.js');
    await assert.rejects(
      callRpc(forger.host, peerOf(gw.entry), gw.entry.addresses, CLIENT_REGISTER_PROTOCOL, encodeRegisterRequest({ proofNonce: 12345n }), { maxResponseBytes: 1024 }),
      (err: unknown) => err instanceof RpcError && /does not verify/.test(err.message),
    );
    assert.equal(gw.gateway.stats().register.drops['proof-invalid'], 1);
    assert.equal(gw.gateway.stats().registeredClients, 0);
  });

  it('identities that did register from one address get at most connectionsPerAddress token buckets’ worth of sending', async () => {
    const PER_ADDRESS = 3;
    const N = 8;
    gw = await startGateway({ limits: { clientRate: 1, rateHeadroom: 1, registration: { mode: 'open', proofBits: 0, perAddressPerHour: 1000, connectionsPerAddress: PER_ADDRESS } } });
    const clients = await sybils(N);
    assert.ok((await registerAll(clients)).every((r) => r === null));
    // Every identity opens its send stream and floods, the clock standing still (no refill).
    const open = await Promise.all(
      clients.map((c) =>
        c.link.connect().then(
          () => true,
          () => false,
        ),
      ),
    );
    const FLOOD = 40;
    for (const [i, c] of clients.entries()) if (open[i]) for (let k = 0; k < FLOOD; k++) c.link.trySend(gw.entryPacket(k));
    // Let streams that will be refused be refused.
    await until(() => gw!.gateway.stats().entry.drops['address-limit'] >= N - PER_ADDRESS, 'streams beyond the address budget refused');
    const burst = Math.ceil(1 + 5 * Math.sqrt(1) + 5); // clientBucket(1, 1): one client's burst
    await until(() => gw!.gateway.stats().entry.accepted + gw!.gateway.stats().entry.drops['rate-limited'] >= PER_ADDRESS * FLOOD, 'the admitted streams’ frames counted');
    await new Promise((r) => setTimeout(r, 200));
    const s = gw.gateway.stats();
    assert.ok(s.entry.accepted <= PER_ADDRESS * burst, `${s.entry.accepted} frames accepted from one address: more than ${PER_ADDRESS} buckets (${PER_ADDRESS * burst})`);
    assert.ok(s.entry.drops['address-limit'] >= N - PER_ADDRESS);
    assert.ok(s.held.buckets <= PER_ADDRESS, 'buckets only for the identities allowed to send');
  });
});
