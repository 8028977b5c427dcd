// Looking up a short handle, `bob@gateway-b` (docs/handles.md), through the
// mixnet, so that gateway-b never learns who asked:
//
//   resolve(bob@gateway-b) ─▶ queued (gateway-b found by name in the current document)
//   payload event ─▶ PacketScheduler.nextReal takes it ahead of any prepared envelope
//                 ─▶ a packet to NAME_SERVICE_RECIPIENT at gateway-b, its SURB back to
//                    our own mailbox; sent(): the SURB id and keys are kept, a timeout armed
//   gateway-b answers through that SURB ─▶ a SURB reply in our mailbox, which a fetch
//                    carries as a SURB id and a digest (docs/gateway.md §Fetch)
//   EntryRouter sees one of our SURB ids ─▶ answered(): the body by its message id
//                    (the reply-body RPC to our own gateway), SHA-256(body) = the digest,
//                    decrypted with the SURB keys, decoded, the record verified
//                    ─▶ the promise resolves with the owner's address
//   no answer by the timeout ─▶ queued again for the next payload slot, up to
//                    maxAttempts tries; then the promise rejects
//
// A lookup only ever takes a payload slot that would otherwise have carried
// a prepared envelope or a decoy, so the λP stream on the wire is the same
// with or without lookups; it never touches the ARQ, the messenger or any
// session. Its SURB keys are kept in memory while the lookup is pending
// (every try's: a late answer to an earlier try is as good) and wiped when
// it ends. At most maxPending lookups are pending at once; asking for a
// handle already being looked up joins that lookup.
//
// A Startable built from its components (the Clock its timeouts run on, the
// network view that names gateways, the link's reply-body call, a logger) and
// its init options; stop() cancels the timeouts and rejects what is pending.

import { toHex } from '../../protocol/bytes.js';
import type { Address } from '../../protocol/e2ee/address.js';
import type { Topology } from '../../protocol/pki/routes.js';
import { decryptSURBPayload, type Geometry } from '../../protocol/sphinx/index.js';
import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import { surbReplyDigestMatches, type FetchEntry } from '../../protocol/wire/fetch.js';
import { decodeLookupAnswer, formatHandle, HandleError, verifyHandleRecord, type HandleText } from '../../protocol/wire/handle.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ClientError } from '../api.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';

/** Tries of one lookup before it fails. */
export const DEFAULT_LOOKUP_ATTEMPTS = 4;
/** Lookups pending at once, at most. */
export const DEFAULT_MAX_PENDING_LOOKUPS = 8;

export interface HandleLookupsInit {
  /** The network's Sphinx geometry (the answer's length, its decryption). */
  geometry: Geometry;
  /** Tries of one lookup, each in its own payload slot, before it fails (default 4). */
  maxAttempts?: number;
  /** Lookups pending at once (default 8); more are refused. */
  maxPending?: number;
}

export interface HandleLookupsComponents {
  clock: Clock;
  /** The current document: where a handle's gateway is found by name. */
  view: { current(): Topology | null };
  /** The reply-body call to our own gateway. */
  link: Pick<GatewayLinkLike, 'replyBody'>;
  logger: Logger;
}

/** A lookup given a payload slot: the packet scheduler builds its packet and reports back with sent, unsent or failed. */
export interface LookupSlot {
  readonly id: number;
  /** The name asked (canonical). */
  readonly name: string;
  /** The named gateway's node id, as the document listed it when the lookup was queued. */
  readonly gateway: Uint8Array;
  /** Which try this is: 1 for the first. */
  readonly attempt: number;
}

export interface HandleLookupStats {
  pending: number;
  /** Lookup packets that left. */
  sent: number;
  /** Tries whose answer did not come in time (sent again, or the lookup failed). */
  timeouts: number;
  resolved: number;
  /** Lookups that ended without an address (not found, refused, no answer, forged). */
  failed: number;
  /** Answers refused because the record did not verify (forged, another name, another gateway) or did not decode. */
  refused: number;
  /** SURB replies of ours set aside: no body at the gateway, a body that does not match its digest or does not open with the SURB keys. */
  ignored: number;
}

interface Lookup {
  readonly id: number;
  readonly handle: HandleText;
  readonly gateway: Uint8Array;
  readonly promise: Promise<Address>;
  resolve(address: Address): void;
  reject(err: Error): void;
  /** Tries sent so far. */
  attempts: number;
  /** queued: waits for a payload slot; in-slot: the scheduler is building its packet; in-flight: sent, its timeout armed. */
  state: 'queued' | 'in-slot' | 'in-flight';
  timer: TimerHandle | null;
  /** Every try's SURB keys by SURB id (hex), until the lookup ends. */
  readonly surbs: Map<string, Uint8Array>;
}

export class HandleLookups implements Startable {
  readonly #c: HandleLookupsComponents;
  readonly #geometry: Geometry;
  readonly #maxAttempts: number;
  readonly #maxPending: number;
  /** Pending lookups by `name@gateway node id`. */
  readonly #pending = new Map<string, Lookup>();
  /** Lookups waiting for a payload slot, oldest first. */
  readonly #queue: Lookup[] = [];
  /** The lookup each of our SURB ids (hex) belongs to. */
  readonly #bySurb = new Map<string, Lookup>();
  #nextId = 1;
  #stopped = false;
  readonly #stats = { sent: 0, timeouts: 0, resolved: 0, failed: 0, refused: 0, ignored: 0 };

  constructor(components: HandleLookupsComponents, init: HandleLookupsInit) {
    this.#c = components;
    this.#geometry = init.geometry;
    this.#maxAttempts = init.maxAttempts ?? DEFAULT_LOOKUP_ATTEMPTS;
    this.#maxPending = init.maxPending ?? DEFAULT_MAX_PENDING_LOOKUPS;
    if (!(Number.isInteger(this.#maxAttempts) && this.#maxAttempts >= 1)) throw new RangeError('maxAttempts must be a positive integer');
    if (!(Number.isInteger(this.#maxPending) && this.#maxPending >= 1)) throw new RangeError('maxPending must be a positive integer');
  }

  async start(): Promise<void> {
    this.#stopped = false;
  }

  /** Cancels every timeout and rejects every pending lookup (their keys wiped). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const lookup of [...this.#pending.values()]) this.#finish(lookup, new ClientError('unavailable', 'the daemon is stopping: the handle lookup was abandoned'));
  }

  stats(): HandleLookupStats {
    return { pending: this.#pending.size, ...this.#stats };
  }

  /**
   * The address `handle` stands for, looked up through the mixnet. Rejects
   * at once (ClientError 'bad-address') when the current document has no
   * gateway of that name, or several; ClientError 'unavailable' with no
   * document yet, with maxPending lookups pending, or after maxAttempts
   * tries without an answer; 'not-found' when the gateway holds no such
   * name; HandleError ('forged', 'wrong-name', 'wrong-gateway', 'malformed',
   * 'bad-name') when its answer does not verify.
   */
  resolve(handle: HandleText): Promise<Address> {
    if (this.#stopped) return Promise.reject(new ClientError('unavailable', 'the daemon is stopping'));
    let gateway: Uint8Array;
    try {
      gateway = this.#gatewayNamed(handle.gateway);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const key = `${handle.name}@${toHex(gateway)}`;
    const joined = this.#pending.get(key);
    if (joined) return joined.promise;
    if (this.#pending.size >= this.#maxPending) {
      return Promise.reject(new ClientError('unavailable', `${this.#pending.size} handle lookups are under way already, the most this daemon runs at once: try again once one has ended`));
    }
    let settle!: Pick<Lookup, 'resolve' | 'reject'>;
    const promise = new Promise<Address>((resolve, reject) => (settle = { resolve, reject }));
    const lookup: Lookup = { id: this.#nextId++, handle: { ...handle }, gateway, promise, ...settle, attempts: 0, state: 'queued', timer: null, surbs: new Map() };
    this.#pending.set(key, lookup);
    this.#queue.push(lookup);
    return promise;
  }

  /** The node id of the one gateway the current document names `name`. */
  #gatewayNamed(name: string): Uint8Array {
    const topology = this.#c.view.current();
    if (!topology) throw new ClientError('unavailable', 'no network document yet, so no gateway can be found by name: try again once the daemon is online (chaff client status)');
    const gateways = topology.document.gateways;
    const named = gateways.filter((g) => g.name === name);
    if (named.length === 1) return Uint8Array.from(named[0].nodeId);
    const listed = [...new Set(gateways.map((g) => JSON.stringify(g.name)))].sort().join(', ') || 'none';
    if (named.length === 0) throw new ClientError('bad-address', `no gateway named ${JSON.stringify(name)} in the network's current document; it lists ${listed}`);
    throw new ClientError('bad-address', `${named.length} gateways of the network's current document are named ${JSON.stringify(name)}, so the handle names none of them`);
  }

  // ------------------------------------------------- the packet scheduler's side

  /** The next lookup waiting for a payload slot, or undefined; the caller must report sent, unsent or failed for it before its next call. */
  next(): LookupSlot | undefined {
    const lookup = this.#queue.shift();
    if (!lookup) return undefined;
    lookup.state = 'in-slot';
    return { id: lookup.id, name: lookup.handle.name, gateway: lookup.gateway, attempt: lookup.attempts + 1 };
  }

  /** The slot's packet left: its SURB (kept until the lookup ends) and the time after which it counts as unanswered. */
  sent(slot: LookupSlot, surbId: Uint8Array, surbKeys: Uint8Array, timeoutMs: number): void {
    const lookup = this.#inSlot(slot);
    if (!lookup) {
      surbKeys.fill(0);
      return;
    }
    this.#stats.sent++;
    lookup.attempts++;
    lookup.state = 'in-flight';
    const surb = toHex(surbId);
    lookup.surbs.set(surb, surbKeys);
    this.#bySurb.set(surb, lookup);
    lookup.timer = this.#c.clock.at(this.#c.clock.now() + timeoutMs, () => this.#timedOut(lookup));
  }

  /** The slot could not send (no document, the link refused it): the lookup takes the next slot, its tries untouched. */
  unsent(slot: LookupSlot): void {
    const lookup = this.#inSlot(slot);
    if (!lookup) return;
    lookup.state = 'queued';
    this.#queue.unshift(lookup);
  }

  /** The lookup's packet cannot be built (its gateway left the document): the lookup fails. */
  failed(slot: LookupSlot, error: Error): void {
    const lookup = this.#inSlot(slot);
    if (!lookup) return;
    this.#finish(lookup, new ClientError('unavailable', `cannot send a lookup to ${lookup.handle.gateway}: ${error.message}`));
  }

  #inSlot(slot: LookupSlot): Lookup | undefined {
    const lookup = [...this.#pending.values()].find((l) => l.id === slot.id);
    return lookup?.state === 'in-slot' ? lookup : undefined;
  }

  #timedOut(lookup: Lookup): void {
    lookup.timer = null;
    if (!this.#isPending(lookup)) return;
    this.#stats.timeouts++;
    if (lookup.attempts >= this.#maxAttempts) {
      const tries = `${lookup.attempts} ${lookup.attempts === 1 ? 'try' : 'tries'}`;
      this.#finish(lookup, new ClientError('unavailable', `no answer from ${lookup.handle.gateway} for ${lookup.handle.name} after ${tries}`));
      return;
    }
    lookup.state = 'queued';
    this.#queue.push(lookup);
  }

  // ------------------------------------------------------ the entry router's side

  /** Whether `surbId` is the SURB of a pending lookup's try. */
  owns(surbId: Uint8Array | null): boolean {
    return surbId !== null && this.#bySurb.has(toHex(surbId));
  }

  /**
   * A SURB reply to one of our lookups (owns(entry.surbId)): reads its body
   * from our gateway by message id, checks it against the fetch's digest,
   * opens it with the SURB keys and settles the lookup with the answer.
   * Resolves once done (the entry may then be acknowledged); rejects only
   * when the body could not be fetched, so the entry stays at the gateway
   * and comes again while the lookup waits. A body that is missing, does not
   * match the digest or does not open is set aside (counted, logged): the
   * lookup waits for another answer or its timeout.
   */
  async answered(entry: FetchEntry): Promise<void> {
    const surb = entry.surbId === null ? null : toHex(entry.surbId);
    const asked = surb === null ? undefined : this.#bySurb.get(surb);
    if (!asked || surb === null) return;
    if (entry.id === null || entry.digest === undefined) return this.#ignore('a SURB reply of a handle lookup came without a message id or digest');
    const reply = await this.#c.link.replyBody(entry.id);
    // The lookup may have ended while the body was on its way (another try's answer, stop()).
    const lookup = this.#bySurb.get(surb);
    const surbKeys = lookup?.surbs.get(surb);
    if (!lookup || !surbKeys || !this.#isPending(lookup)) return;
    if (!reply.found) return this.#ignore('our gateway has no body for a SURB reply of a handle lookup');
    if (!surbReplyDigestMatches(entry.digest, reply.body)) return this.#ignore('the body of a handle lookup answer does not match its digest; ignored');
    let plaintext: Uint8Array;
    try {
      plaintext = decryptSURBPayload(this.#geometry, reply.body, surbKeys);
    } catch {
      return this.#ignore('a handle lookup answer does not open with its SURB keys; ignored');
    }
    this.#settle(lookup, plaintext);
  }

  /** Decodes and checks an opened answer, and ends the lookup with it. */
  #settle(lookup: Lookup, plaintext: Uint8Array): void {
    const { name, gateway } = lookup.handle;
    try {
      const answer = decodeLookupAnswer(plaintext);
      if (answer.status === 'found') {
        verifyHandleRecord(answer.record, { name, gateway: lookup.gateway });
        this.#stats.resolved++;
        this.#finish(lookup, null, answer.record.address);
      } else if (answer.status === 'not-found') {
        if (answer.name !== name) throw new HandleError('wrong-name', `asked for ${name}, the answer is about ${answer.name}`);
        this.#finish(lookup, new ClientError('not-found', `no handle ${formatHandle(lookup.handle)}: ${gateway} holds no name ${name}`));
      } else {
        this.#finish(lookup, new ClientError('unavailable', `${gateway} could not read the lookup for ${name} (it answered "bad request")`));
      }
    } catch (err) {
      if (!(err instanceof HandleError)) throw err;
      this.#stats.refused++;
      this.#c.logger.warn('a handle lookup answer was refused: it does not verify', { gateway, code: err.code });
      this.#finish(lookup, err);
    } finally {
      plaintext.fill(0);
    }
  }

  #ignore(msg: string): void {
    this.#stats.ignored++;
    this.#c.logger.warn(msg);
  }

  #isPending(lookup: Lookup): boolean {
    return this.#pending.get(`${lookup.handle.name}@${toHex(lookup.gateway)}`) === lookup;
  }

  /** Ends `lookup`: its timeout cancelled, its SURB keys wiped, its promise settled with `address` or `err`. */
  #finish(lookup: Lookup, err: Error | null, address?: Address): void {
    if (!this.#isPending(lookup)) return;
    this.#pending.delete(`${lookup.handle.name}@${toHex(lookup.gateway)}`);
    const queued = this.#queue.indexOf(lookup);
    if (queued >= 0) this.#queue.splice(queued, 1);
    lookup.timer?.cancel();
    lookup.timer = null;
    for (const [surb, keys] of lookup.surbs) {
      keys.fill(0);
      this.#bySurb.delete(surb);
    }
    lookup.surbs.clear();
    if (err) {
      this.#stats.failed++;
      lookup.reject(err);
    } else lookup.resolve(address!);
  }
}
