// The client daemon's composition on a manual clock: the real parts
// (streams, scheduler, ARQ, loop monitor, poller, a Messenger on a temp
// LevelDB profile) with an in-memory gateway link and document source
// (fake-network.ts). Simulated time moves only when the test says; between
// steps the test yields to the event loop so the store's I/O completes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { ClientError, type ClientEvent, type ClientStatus } from '../../../client/api.js';
import type { ClientConfig } from '../../../client/config.js';
import type { RunningClient } from '../../../client/daemon/compose.js';
import { sealedMessengerStores } from '../../../client/messenger/stores.js';
import { retransmitTimeoutMs } from '../../../client/sender/round-trip.js';
import { COLLECTIONS } from '../../../client/state.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { toHex } from '../../../protocol/bytes.js';
import { addressOf, encodeAddress } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { mailboxIdOf } from '../../../protocol/wire/fetch.js';
import type { NodeEntry } from '../../../protocol/pki/document.js';
import { Lifecycle, type LifecycleStep } from '../../../runtime/lifecycle/startable.js';
import { memoryLogger, type Logger } from '../../../runtime/log/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { epochAt } from '../../../protocol/pki/epoch.js';
import { documentOf, EPOCHS, FakeDocuments, FakeGatewayLink, GATEWAY_A, GATEWAY_B, startOf, type Rates, composeOnFakeNetwork } from './fake-network.js';

const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const RATES: Rates = { lambdaP: 1, lambdaL: 0.1, lambdaD: 0.1 };
const FETCH_INTERVAL_MS = 1000;
const SLACK_MS = 3000;
const EPOCH = 100;

/** A Lifecycle that writes each stop into `journal` (the order the daemon stops its parts in). */
class RecordingLifecycle extends Lifecycle {
  constructor(
    log: Logger,
    readonly journal: string[],
  ) {
    super(log);
  }

  override async add<T extends LifecycleStep>(step: T): Promise<T> {
    await super.add({
      name: step.name,
      start: async () => step.start?.(),
      stop: async () => {
        this.journal.push(`stop ${step.name}`);
        await step.stop();
      },
    });
    return step;
  }

  override onStop(name: string, stop: () => Promise<void> | void): void {
    super.onStop(name, async () => {
      this.journal.push(`stop ${name}`);
      await stop();
    });
  }
}

/** A profile's folder and keys, to start a daemon on it again. */
interface Profile {
  dir: string;
  key: Ed25519PrivateKey;
  identity: Identity;
}

interface Daemon {
  clock: ManualClock;
  link: FakeGatewayLink;
  documents: FakeDocuments;
  profile: Profile;
  lifecycle: RecordingLifecycle;
  journal: string[];
  running: RunningClient;
  events: ClientEvent[];
  log: ReturnType<typeof memoryLogger>;
  /** Resolves once every store write issued so far is on disk. */
  written(): Promise<void>;
  /** Writes to the profile store since it opened (each sealing of envelopes is one). */
  storeWrites(): number;
  status(): Promise<ClientStatus>;
}

const folders: string[] = [];
const running: RunningClient[] = [];

interface DaemonOptions {
  startMs: number;
  /** The documents the authorities serve (epoch → gateways listed). */
  docs: Array<[number, NodeEntry[]]>;
  seed?: number;
  /** Documents verified earlier (the PKI client's cache), newest first. */
  cached?: Array<[number, NodeEntry[]]>;
  /** Whether the gateway answers at start (default true). */
  reachable?: boolean;
  /** Start on this profile again (default: a new one). */
  profile?: Profile;
}

/** Everything of a daemon before it starts; start() composes it (and may wait, on the manual clock, for a document). */
async function prepareDaemon(options: DaemonOptions) {
  const clock = new ManualClock(options.startMs);
  const log = memoryLogger('client');
  const journal: string[] = [];
  const lifecycle = new RecordingLifecycle(log, journal);
  let profile = options.profile;
  if (!profile) {
    const dir = mkdtempSync(join(tmpdir(), 'chaff-daemon-'));
    folders.push(dir);
    profile = { dir, key: await generateKeyPair('Ed25519'), identity: generateIdentity() };
  }
  const { dir, key, identity } = profile;
  const store = options.profile ? await openProfile(dir, 'pass', { collections: COLLECTIONS }) : await createProfile(dir, 'pass', { collections: COLLECTIONS, scrypt: SCRYPT });
  // What the entry point (client/daemon.ts) registers first: the store closes last.
  lifecycle.onStop('profile store', () => store.close());
  const documents = new FakeDocuments();
  for (const [epoch, gateways] of options.docs) documents.docs.set(epoch, documentOf(epoch, gateways, RATES));
  const cached = (options.cached ?? []).map(([epoch, gateways]) => documentOf(epoch, gateways, RATES));
  const link = new FakeGatewayLink(clock, mailboxIdOf(key.publicKey.raw), journal);
  link.reachable = options.reachable ?? true;
  const config: ClientConfig = {
    network: { ...EPOCHS, authorities: [] },
    client: { gateway: toHex(GATEWAY_A.nodeId), gatewayName: GATEWAY_A.name, fetchIntervalMs: FETCH_INTERVAL_MS, maxAttempts: 8, retransmitSlackMs: SLACK_MS, orderHoldMs: 60_000, raise: {} },
  };
  const start = async (): Promise<Daemon> => {
    const r = await composeOnFakeNetwork(
      { profileDir: dir, config },
      { clock, logger: log, lifecycle, stores: sealedMessengerStores(store), identity, key, documents, cachedDocuments: () => cached, link, seed: options.seed },
    );
    running.push(r);
    const events: ClientEvent[] = [];
    r.api.subscribe((e) => events.push(e));
    return {
      clock,
      link,
      documents,
      profile,
      lifecycle,
      journal,
      running: r,
      events,
      log,
      written: () => store.quiesced(async () => undefined),
      storeWrites: () => store.stats().writes,
      status: () => r.api.status(),
    };
  };
  return { clock, link, documents, log, start };
}

/** Starts a daemon at `startMs` with the documents of `docs` (epoch → gateways listed). */
async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  return (await prepareDaemon(options)).start();
}

/**
 * Lets the store's I/O (sealing, saving; LevelDB writes run on libuv's
 * thread pool) complete: turns of the event loop, one through the timers
 * phase so a loaded machine's I/O callbacks get their poll phase. No time
 * passes on the daemon's clock, and nothing waits for a wall-clock time.
 */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves simulated time by `ms` in steps, settling after each; stops early once `until` holds. */
async function run(d: Daemon, ms: number, until: () => boolean = () => false, stepMs = 100): Promise<void> {
  const end = d.clock.now() + ms;
  await step(d);
  while (d.clock.now() < end && !until()) {
    d.clock.advanceTo(Math.min(end, d.clock.now() + stepMs));
    await step(d);
  }
}

/**
 * After a step of the manual clock: the event loop's turns, then the store's
 * writes issued meanwhile (each synced write is an fsync: 40 ms or more on
 * a slow disk, while the manual clock would run on), then the turns that
 * follow them (an envelope sealed is ready once its write is done).
 */
async function step(d: Daemon): Promise<void> {
  await settle();
  await d.written();
  await settle();
}

const BOB_MAILBOX = new Uint8Array(32).fill(0xbb);
const BOB = encodeAddress(addressOf(generateIdentity(), GATEWAY_B.nodeId, BOB_MAILBOX));

describe('client/daemon (manual clock, in-memory gateway)', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const both = [GATEWAY_A, GATEWAY_B];

  it('the payload stream sends λP·t packets whatever is queued: real ones only take the place of decoys', async () => {
    const seconds = 30;
    const idle = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]], seed: 7 });
    await run(idle, seconds * 1000);
    const quiet = (await idle.status()).traffic.packetsSent;

    const busy = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]], seed: 7 });
    await busy.running.api.addContact('bob', BOB);
    for (let i = 0; i < 5; i++) await busy.running.api.sendText('bob', `message ${i}`);
    await run(busy, seconds * 1000);
    const loaded = (await busy.status()).traffic.packetsSent;

    assert.equal(quiet.real, 0);
    assert.ok(loaded.real >= 6, `the card and five messages went out (${loaded.real} real packets)`);
    assert.equal(loaded.real + loaded.decoy, quiet.decoy, 'the same payload slots, real or decoy');
    assert.deepEqual([loaded.loop, loaded.drop], [quiet.loop, quiet.drop], 'the loop and drop streams do not depend on the queue');
    // Poisson(λP·t = 30): within three standard deviations.
    const expected = RATES.lambdaP * seconds;
    assert.ok(Math.abs(quiet.decoy - expected) <= 3 * Math.sqrt(expected), `${quiet.decoy} payload packets in ${seconds} s at λP = ${RATES.lambdaP}`);
    assert.equal(busy.link.deliveredTo(BOB_MAILBOX).length, loaded.real, "every real packet reached the contact's mailbox");
  });

  it("a real fragment's ACK marks it delivered", async () => {
    const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]] });
    await d.running.api.addContact('bob', BOB);
    const { message } = await d.running.api.sendText('bob', 'hello');
    const delivered = () => d.events.some((e) => e.type === 'state' && e.message.id === message.id && e.message.state === 'delivered');
    await run(d, 20_000, delivered);
    assert.ok(delivered(), 'the message is delivered');
    const s = await d.status();
    assert.ok(s.traffic.acksReceived >= 2, 'the card and the message were acknowledged');
    assert.deepEqual([s.queue.queued, s.queue.inFlight, s.traffic.retransmissions], [0, 0, 0]);
    assert.deepEqual(
      (await d.running.api.history('bob')).map((m) => [m.content.text, m.state]),
      [['hello', 'delivered']],
    );
  });

  it('a lost ACK retransmits the fragment once its timeout (the chosen delays plus allowances) has passed', async () => {
    const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]] });
    d.link.loseAck = () => true;
    await d.running.api.addContact('bob', BOB);
    const sent = () => d.link.deliveredTo(BOB_MAILBOX);
    await run(d, 60_000, () => sent().length >= 2);
    const [first, second] = sent();
    assert.ok(first && second, 'sent twice');
    const timeout = retransmitTimeoutMs({ layers: 3, fetchIntervalMs: FETCH_INTERVAL_MS, forwardDelayMs: first.forwardDelayMs, ackDelayMs: first.ack!.delayMs, slackMs: SLACK_MS, attempt: 1 });
    assert.ok(second.atMs >= first.atMs + timeout, `not before the timeout (${second.atMs - first.atMs} ms after, timeout ${timeout} ms)`);
    assert.ok(second.atMs <= first.atMs + timeout + 5000, `in one of the next payload slots (${second.atMs - first.atMs - timeout} ms late)`);
    const s = await d.status();
    assert.equal(s.traffic.retransmissions, 1);
    assert.equal(s.traffic.acksReceived, 0);
  });

  it('an empty payload slot sends a decoy whose ACK is recognised (by the loop monitor, not the ARQ)', async () => {
    const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]] });
    await run(d, 10_000);
    const s = await d.status();
    const decoys = d.link.routed.filter((r) => r.to === 'drop' && r.ack);
    assert.equal(s.decoys.sent, decoys.length, 'every decoy went to a drop recipient with a SURB-ACK');
    assert.ok(s.decoys.sent >= 3, `${s.decoys.sent} decoys`);
    assert.ok(s.decoys.returned >= s.decoys.sent - 2, `their ACKs came back (${s.decoys.returned} of ${s.decoys.sent})`);
    assert.equal(s.decoys.returned + s.decoys.outstanding, s.decoys.sent);
    assert.equal(s.decoys.lost, 0);
    assert.equal(s.traffic.acksReceived, 0, 'no decoy ACK taken for a real one');
    assert.ok(s.loops.returned >= 1, 'loops come back too');
  });

  it('a fragment to a gateway missing from the document waits (its slots send decoys) and is sent once the gateway is back', async () => {
    // Epoch 100 lists only our gateway; 101 lists the contact's again.
    const d = await startDaemon({
      startMs: startOf(EPOCH) + 15_000,
      docs: [
        [EPOCH, [GATEWAY_A]],
        [EPOCH + 1, both],
      ],
    });
    await d.running.api.addContact('bob', BOB);
    await run(d, 10_000);
    let s = await d.status();
    assert.equal(s.queue.waitingForGateway, 1, 'the contact card waits');
    assert.equal(d.link.deliveredTo(BOB_MAILBOX).length, 0);
    assert.ok(s.traffic.packetsSent.decoy >= 3, 'its slots sent decoys');
    assert.ok(d.log.records.some((r) => r.msg.startsWith("a contact's gateway is not in this epoch's document")));
    await run(d, startOf(EPOCH + 1) - d.clock.now());
    assert.equal(d.link.deliveredTo(BOB_MAILBOX).length, 0, 'nothing before the epoch whose document lists it');
    await run(d, 10_000, () => d.link.deliveredTo(BOB_MAILBOX).length > 0);
    assert.equal(d.link.deliveredTo(BOB_MAILBOX).length, 1, 'sent once the gateway is back');
    s = await d.status();
    assert.equal(s.queue.waitingForGateway, 0);
    assert.ok(d.log.records.some((r) => r.msg === "messages waiting for a contact's gateway are sent now"));
  });

  it('starts its parts in the written order and stop() stops them in reverse, acknowledging the mailbox before the link closes', async () => {
    const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]] });
    const order = [
      'profile store',
      'document watcher',
      'gateway link',
      'arq',
      'messenger',
      'loop monitor',
      'send queue events',
      'prepared envelopes',
      'handle lookups',
      'document follower',
      'gateway connection',
      'mailbox poller',
      'client streams',
      'api server',
    ];
    assert.deepEqual(d.lifecycle.order, order);
    await run(d, 5000);
    // Stop right after a fetch that handed out entries: once processed, their acks are pending.
    await run(d, 10_000, () => (d.link.fetches.at(-1)?.handedOut.length ?? 0) > 0);
    const processed = d.link.fetches.at(-1)!.handedOut;
    assert.ok(processed.length > 0);
    const routed = d.link.routed.length;
    const fetches = d.link.fetches.length;
    await d.running.stop();
    assert.deepEqual(
      d.journal.filter((l) => l.startsWith('stop ')),
      [...order].reverse().map((n) => `stop ${n}`),
    );
    assert.ok(d.journal.indexOf('link stopped') > d.journal.indexOf('stop gateway link'));
    assert.equal(d.link.fetches.length, fetches + 1, 'one last fetch on stop');
    assert.deepEqual(d.link.fetches.at(-1)!.acks, processed, 'it hands the gateway the acks of what was processed');
    assert.equal(d.log.records.at(-1)!.msg, 'client daemon stopped');
    d.clock.advance(10_000);
    await settle();
    assert.equal(d.link.routed.length, routed, 'nothing leaves after stop');
    assert.equal(d.link.fetches.length, fetches + 1, 'no fetch after stop');
  });
  describe('offline start and reconnect', () => {
    const delivered = (d: Daemon, id: string) => d.events.some((e) => e.type === 'state' && e.message.id === id && e.message.state === 'delivered');

    it('starts from a cached document with neither authorities nor gateway, serves history and contacts, queues what is sent and says what is missing', async () => {
      // A first run, online: a contact and a delivered message in the profile.
      const first = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]] });
      await first.running.api.addContact('bob', BOB);
      const { message: hello } = await first.running.api.sendText('bob', 'hello');
      await run(first, 20_000, () => delivered(first, hello.id));
      assert.ok(delivered(first, hello.id));
      await first.running.stop();
      running.splice(running.indexOf(first.running), 1);

      // Ten epochs later the network is away: no document for the epoch now, and the gateway does not answer.
      const startMs = startOf(EPOCH + 10) + 1000;
      const d = await startDaemon({ startMs, docs: [], cached: [[EPOCH, both]], reachable: false, profile: first.profile });
      assert.ok(d.log.records.some((r) => r.msg.startsWith('the network is not reachable yet: starting from the document verified earlier')));
      const api = d.running.api;
      assert.deepEqual(
        (await api.history('bob')).map((m) => [m.content.text, m.state]),
        [['hello', 'delivered']],
      );
      assert.deepEqual(
        (await api.listContacts()).map((c) => c.name),
        ['bob'],
      );
      assert.deepEqual((await api.inbox()).unread, []);
      assert.deepEqual(await api.listBlocked(), []);
      assert.deepEqual(await api.groupList(), []);
      await assert.rejects(api.rotateDeliveryId(), (e: Error) => e instanceof ClientError && e.code === 'unavailable', 'rotating needs the gateway');
      const { message: later } = await api.sendText('bob', 'written offline');
      assert.equal(later.state, 'queued');

      await run(d, 10_000);
      const s = await d.status();
      assert.equal(d.link.routed.length, 0, 'nothing leaves without a document for the epoch now');
      assert.deepEqual(s.traffic.packetsSent, { real: 0, decoy: 0, drop: 0, loop: 0 });
      assert.equal(s.queue.queued, 1, 'the message waits in the queue');
      assert.equal(s.gateway.connected, false);
      assert.equal(s.connection?.online, false);
      assert.deepEqual(s.connection?.document, { verified: false, epoch: null, sinceMs: startMs });
      assert.equal(s.connection?.gateway.connected, false);
      assert.equal(s.connection?.gateway.sinceMs, startMs);
      assert.match(s.connection?.gateway.error ?? '', /gateway-a does not answer/);
      assert.deepEqual(
        (await api.history('bob')).map((m) => [m.content.text, m.state]),
        [
          ['hello', 'delivered'],
          ['written offline', 'queued'],
        ],
      );
    });

    it('reconnects when the network comes back: a message queued offline is delivered, and the payload stream runs at λP from then on', async () => {
      const startMs = startOf(EPOCH) + 1000;
      const d = await startDaemon({ startMs, docs: [], cached: [[EPOCH - 3, both]], reachable: false, seed: 3 });
      await d.running.api.addContact('bob', BOB);
      const { message } = await d.running.api.sendText('bob', 'queued while offline');
      await run(d, 30_000);
      assert.equal(d.link.routed.length, 0);
      assert.equal(d.events.filter((e) => e.type === 'connection').length, 0, 'no change yet: offline since the start');

      // The authorities publish and the gateway answers again.
      const backMs = d.clock.now();
      const epoch = epochAt(backMs, EPOCHS);
      for (const e of [epoch, epoch + 1, epoch + 2, epoch + 3]) d.documents.docs.set(e, documentOf(e, both, RATES));
      d.link.reachable = true;
      await run(d, 30_000, () => delivered(d, message.id));
      assert.ok(delivered(d, message.id), 'the message written offline is delivered');
      // A change of either part is an event: the gateway and the document may come back one after the other.
      const changes = d.events.flatMap((e) => (e.type === 'connection' ? [e.connection] : []));
      assert.ok(changes.length >= 1 && changes.length <= 2, `${changes.length} changes`);
      assert.deepEqual(
        changes.map((x) => x.online),
        [...changes.slice(1).map(() => false), true],
        'online at the last change only',
      );
      const c = changes.at(-1);
      assert.equal(c?.online, true);
      assert.ok(c!.document.sinceMs >= backMs && c!.gateway.sinceMs >= backMs);
      assert.ok(c!.document.epoch! >= epoch);
      const s = await d.status();
      assert.equal(s.connection?.online, true);
      assert.equal(s.gateway.connected, true);
      assert.ok(s.epoch! >= epoch);
      assert.ok(d.log.records.some((r) => r.msg.startsWith('online:')));

      // From now on the payload stream is the usual one: λP·t packets, real or decoy.
      const before = (await d.status()).traffic.packetsSent;
      const seconds = 60;
      await run(d, seconds * 1000);
      const after = (await d.status()).traffic.packetsSent;
      const payload = after.real + after.decoy - (before.real + before.decoy);
      const expected = RATES.lambdaP * seconds;
      assert.ok(Math.abs(payload - expected) <= 3 * Math.sqrt(expected), `${payload} payload packets in ${seconds} s at λP = ${RATES.lambdaP}`);
    });

    it('seals nothing for the payload slots while the gateway is away: a queued message waits in the envelopes sealed before', async () => {
      const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]], reachable: false });
      await d.running.api.addContact('bob', BOB);
      const { message } = await d.running.api.sendText('bob', 'queued while the gateway is away');
      await run(d, 5000);
      const before = d.storeWrites();
      const seconds = 60;
      await run(d, seconds * 1000);
      const writes = d.storeWrites() - before;
      // Before: each of the λP·t ≈ 60 slots took a sealed envelope (a ratchet step, and a synced write to refill),
      // which the link refused; the steps add up at the recipient (MAX_SKIP), the writes on the disk.
      assert.ok(writes <= 2, `${writes} store writes in ${seconds} s offline at λP = ${RATES.lambdaP}`);
      assert.equal(d.link.routed.length, 0);
      d.link.reachable = true;
      await run(d, 30_000, () => delivered(d, message.id));
      assert.ok(delivered(d, message.id), 'delivered once the gateway is back');
    });

    it('does not wait for the gateway: starts with a fresh document while the gateway is away, and connects when it answers', async () => {
      const d = await startDaemon({ startMs: startOf(EPOCH) + 1000, docs: [[EPOCH, both]], reachable: false });
      await run(d, 5000);
      let s = await d.status();
      assert.equal(s.connection?.document.verified, true);
      assert.equal(s.connection?.gateway.connected, false);
      assert.equal(s.traffic.packetsSent.decoy + s.traffic.packetsSent.loop, 0, 'the link took nothing');
      d.link.reachable = true;
      await run(d, 5000);
      s = await d.status();
      assert.equal(s.connection?.online, true);
      assert.ok(s.traffic.packetsSent.decoy > 0, 'the streams go out');
    });

    it('without any document, cached or fresh, waits for the first one (no time limit) and starts with it', async () => {
      const prepared = await prepareDaemon({ startMs: startOf(EPOCH) + 1000, docs: [] });
      let started: Daemon | null = null;
      const starting = prepared.start().then((d) => (started = d));
      for (let i = 0; i < 100; i++) {
        prepared.clock.advance(2000);
        await settle();
      }
      assert.equal(started, null, 'still waiting after 200 s');
      assert.ok(prepared.log.records.some((r) => r.msg.startsWith('no network document verified yet, and none cached')));
      const epoch = epochAt(prepared.clock.now(), EPOCHS);
      prepared.documents.docs.set(epoch, documentOf(epoch, both, RATES));
      for (let i = 0; i < 50 && !started; i++) {
        prepared.clock.advance(1000);
        await settle();
      }
      const d = await starting;
      assert.equal((await d.status()).epoch, epoch);
    });
  });
});
