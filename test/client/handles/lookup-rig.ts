// The client's short-handle lookup path on a manual clock, over the
// in-memory network of test/client/daemon/fake-network.ts: the real packet
// scheduler (its payload slots fired one at a time by the test), the real
// packet factory and Sphinx packets, the real handle lookups and entry
// router, a FakeGatewayLink whose name services answer from its `names`.
// The ARQ, the loop monitor and the messenger are recorders: a lookup must
// not touch them.

import { createHash } from 'node:crypto';
import { EntryRouter } from '../../../client/daemon/entry-router.js';
import { EpochLog } from '../../../client/daemon/epoch-log.js';
import { PacketScheduler } from '../../../client/daemon/packet-scheduler.js';
import { HandleLookups, type HandleLookupsInit } from '../../../client/handles/handle-lookups.js';
import type { PreparedEnvelope } from '../../../client/messenger.js';
import { PacketFactory } from '../../../client/traffic/packet-factory.js';
import { toHex } from '../../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../../protocol/crypto/ed25519.js';
import { addressOf, type Address } from '../../../protocol/e2ee/address.js';
import { generateIdentity, type Identity } from '../../../protocol/e2ee/identity.js';
import type { NodeEntry } from '../../../protocol/pki/document.js';
import { Topology } from '../../../protocol/pki/routes.js';
import { mailboxIdOf, type FetchEntry } from '../../../protocol/wire/fetch.js';
import { signHandleRecord, type HandleRecord } from '../../../protocol/wire/handle.js';
import { memoryLogger } from '../../../runtime/log/logger.js';
import { seededUniform } from '../../../simulator/random.js';
import { deterministicRandom } from '../../helpers/drbg.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { documentOf, FakeGatewayLink, GATEWAY_A, GATEWAY_B, GEOMETRY, startOf, type Routed } from '../daemon/fake-network.js';

export const EPOCH = 100;
export const FETCH_INTERVAL_MS = 1000;
export const SLACK_MS = 3000;
export const OWN_MAILBOX = new Uint8Array(32).fill(0xaa);
export const BOB_MAILBOX = new Uint8Array(32).fill(0xbb);

/** A user registered at `gateway`: identity, mailbox key K, address, and their signed records. */
export interface HandleOwner {
  identity: Identity;
  key: Ed25519PrivateKey;
  address: Address;
  record(name: string): HandleRecord;
}

export function handleOwner(seed: string, gateway: NodeEntry): HandleOwner {
  const identity = generateIdentity(deterministicRandom(seed));
  const key = Ed25519PrivateKey.fromSeed(createHash('sha256').update(`mailbox key ${seed}`).digest());
  const address = addressOf(identity, gateway.nodeId, mailboxIdOf(key.publicKey));
  return { identity, key, address, record: (name) => signHandleRecord(name, identity, address, key) };
}

export class LookupRig {
  readonly clock = new ManualClock(startOf(EPOCH) + 1000);
  readonly log = memoryLogger('client');
  readonly link = new FakeGatewayLink(this.clock, OWN_MAILBOX);
  readonly topology = new Topology(documentOf(EPOCH, [GATEWAY_A, GATEWAY_B], { lambdaP: 1, lambdaL: 0, lambdaD: 0 }).document);
  readonly lookups: HandleLookups;
  readonly scheduler: PacketScheduler;
  readonly router: EntryRouter;
  /** Envelopes ready for the payload stream, taken in order. */
  readonly prepared: PreparedEnvelope[] = [];
  /** Every SURB's keys a lookup's packet left with, and its timeout, in order. */
  readonly sentKeys: Uint8Array[] = [];
  readonly timeouts: number[] = [];
  /** What reached the ARQ, the loop monitor and the messenger. */
  readonly touched: string[] = [];
  /** Entries the router handled (acknowledged at the next poll), and those it refused (kept at the gateway). */
  readonly handled: FetchEntry[] = [];
  readonly refused: Array<{ entry: FetchEntry; error: Error }> = [];
  #acks: bigint[] = [];

  constructor(init: Partial<HandleLookupsInit> = {}) {
    const epochLog = new EpochLog({ logger: this.log, epochNow: () => EPOCH });
    this.lookups = new HandleLookups({ clock: this.clock, view: { current: () => this.topology }, link: this.link, logger: this.log.child('handles') }, { geometry: GEOMETRY, ...init });
    const lookups = this.lookups;
    this.scheduler = new PacketScheduler(
      {
        clock: this.clock,
        uniform: seededUniform(7),
        link: this.link,
        factory: new PacketFactory({ geometry: GEOMETRY, uniform: seededUniform(11) }),
        arq: {
          unsent: (k) => void this.touched.push(`arq.unsent ${k}`),
          sent: (k) => void this.touched.push(`arq.sent ${k}`),
          attempts: () => 0,
        },
        loops: { sent: () => void this.touched.push('loops.sent'), decoySent: () => undefined },
        messenger: { fragmentSent: (k) => void this.touched.push(`messenger.fragmentSent ${k}`) },
        view: { current: () => this.topology },
        prepared: { take: () => this.prepared.shift() },
        waiting: { park: (k) => void this.touched.push(`waiting.park ${k}`) },
        meter: { sent: () => undefined },
        epochLog,
        lookups: {
          next: () => lookups.next(),
          sent: (slot, surbId, surbKeys, timeoutMs) => {
            this.sentKeys.push(surbKeys);
            this.timeouts.push(timeoutMs);
            lookups.sent(slot, surbId, surbKeys, timeoutMs);
          },
          unsent: (slot) => lookups.unsent(slot),
          failed: (slot, err) => lookups.failed(slot, err),
        },
      },
      { fetchIntervalMs: FETCH_INTERVAL_MS, retransmitSlackMs: SLACK_MS, rates: { lambdaP: 1, lambdaL: 0, lambdaD: 0 } },
    );
    this.router = new EntryRouter(
      {
        loops: { ackReturned: () => false, returned: () => false },
        arq: {
          lookup: () => {
            this.touched.push('arq.lookup');
            return undefined;
          },
          confirm: () => void this.touched.push('arq.confirm'),
        },
        messenger: {
          fragmentAcked: async () => void this.touched.push('messenger.fragmentAcked'),
          receive: async () => void this.touched.push('messenger.receive'),
        },
        epochLog,
        lookups,
      },
      { geometry: GEOMETRY },
    );
  }

  /** Connects the link (its send stream open). */
  async connect(): Promise<this> {
    await this.link.connect();
    return this;
  }

  /** One payload event of the λP stream, now: what the scheduler's stream would do. */
  slot(): void {
    const item = this.scheduler.nextReal();
    this.scheduler.emit(item ? { kind: 'real', item } : { kind: 'decoy' }, this.clock.now());
  }

  /** A prepared envelope to bob (a real fragment waiting for the stream). */
  prepare(key: string): void {
    this.prepared.push({ key, envelope: new Uint8Array(GEOMETRY.userForwardPayloadLength).fill(7), gateway: GATEWAY_B.nodeId, mailbox: BOB_MAILBOX });
  }

  /** One mailbox fetch (carrying the acks of what was handled), every entry through the router, as the mailbox poller hands them in. */
  async poll(): Promise<void> {
    const entries = await this.link.fetch(this.#acks.splice(0));
    for (const entry of entries) {
      try {
        await this.router.handle(entry);
        this.handled.push(entry);
        this.#acks.push(entry.id!);
      } catch (err) {
        this.refused.push({ entry, error: err as Error });
      }
    }
  }

  /** Lookup packets routed so far. */
  lookupsRouted(): Routed[] {
    return this.link.routed.filter((r) => r.to === 'names');
  }

  /** Puts `record` in `gateway`'s name service under `name`. */
  serve(gateway: NodeEntry, name: string, record: HandleRecord): void {
    const names = this.link.names.get(toHex(gateway.nodeId)) ?? new Map<string, HandleRecord>();
    names.set(name, record);
    this.link.names.set(toHex(gateway.nodeId), names);
  }
}

/** Settles a promise's outcome without an unhandled rejection while the test drives time. */
export function outcome<T>(p: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown; promise: Promise<T> } {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      error = e;
    },
  );
  return { settled: () => settled, value: () => value, error: () => error, promise: p };
}

/** Turns of the event loop (the router's awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
