// The user's short handle through the daemon's API (docs/client.md §Short
// handles, docs/handles.md): `handle.get`, `handle.claim`, `handle.release`,
// and the handle a contact is added by (`contacts.add` with `bob@gateway-b`
// where an address would go).
//
//   claim(name) ─▶ a record signed over our current address (identity key, and the
//                  link's key K for the mailbox proof) ─▶ our gateway (the claim RPC)
//               ─▶ ok: the name kept in the profile store (status shows it)
//               ─▶ taken / invalid / not registered: a ClientError that says so
//   addressOf(text) ─▶ an address: as given ─▶ unchanged
//                   ─▶ a handle: looked up through the mixnet (client/handles/handle-lookups.ts)
//                      ─▶ the address its verified record names
//
//   reclaim() ─▶ (the link registered at start, or connected again while one is due)
//             ─▶ the kept name claimed again with a fresh record (idempotent at the
//                gateway when nothing changed; needed when it released the name
//                because our registration expired, docs/gateway.md §Short handles)
//             ─▶ ok: done until the next start
//             ─▶ taken: the name is someone else's now: cleared, a warning logged
//                (without the name) and a `warning` event for the front ends
//             ─▶ unreachable / not registered: due again at the next connection
//
// Every answer of our gateway says which name we hold after it, and the
// profile store follows it, so what status shows is what the gateway said
// last. The calls run one at a time. The log never carries a name (the
// daemon's log holds no names or text).

import { encodeAddress } from '../../protocol/e2ee/address.js';
import { checkHandleName, formatHandle, HandleError, parseHandle, type HandleClaimReply, type HandleRecord, type HandleText } from '../../protocol/wire/handle.js';
import type { Logger } from '../../runtime/log/logger.js';
import { ClientError, type ClientEvent, type HandleInfo } from '../api.js';
import type { HandleLookups } from '../handles/handle-lookups.js';
import type { MessengerStores } from '../messenger/stores.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';

/** The profile store's record holding the name we hold at our gateway (UTF-8). */
export const HANDLE_RECORD = 'handle';

export interface HandleAdminComponents {
  logger: Logger;
  /** The profile store, where the claimed name is kept. */
  stores: Pick<MessengerStores, 'profile' | 'begin'>;
  link: Pick<GatewayLinkLike, 'claimHandle' | 'releaseHandle' | 'gateway' | 'connected'>;
  lookups: Pick<HandleLookups, 'resolve'>;
  /** Our handle record for `name` (protocol/wire/handle.ts signHandleRecord over our current address, with the identity and the link's key). */
  signRecord(name: string): HandleRecord;
  /** The front ends' event stream: told when the kept name turned out to be someone else's at a re-claim. */
  emit?: (event: ClientEvent) => void;
}

export class HandleAdmin {
  readonly #c: HandleAdminComponents;
  /** The name we hold at our gateway, as its last answer said (or as stored). */
  #name: string | null;
  #busy: Promise<unknown> = Promise.resolve();
  /** Whether the kept name is still to be claimed again since this start (reclaim()). */
  #reclaimDue: boolean;
  /** The re-claim under way, which a second trigger joins. */
  #reclaiming: Promise<void> | null = null;

  private constructor(components: HandleAdminComponents, name: string | null) {
    this.#c = components;
    this.#name = name;
    this.#reclaimDue = name !== null;
  }

  /** With the name the profile store holds (none, or an unreadable one: none). */
  static async load(components: HandleAdminComponents): Promise<HandleAdmin> {
    const stored = await components.stores.profile.get(HANDLE_RECORD);
    let name: string | null = null;
    if (stored && stored.length > 0) {
      const text = new TextDecoder().decode(stored);
      try {
        name = checkHandleName(text) === text ? text : null;
      } catch {
        name = null;
      }
    }
    return new HandleAdmin(components, name);
  }

  /** Our handle, `name@gateway`, or null when we hold none. */
  handle(): string | null {
    return this.#name === null ? null : formatHandle({ name: this.#name, gateway: this.#c.link.gateway.name });
  }

  info(): HandleInfo {
    return { handle: this.handle() };
  }

  /** Claims `name` at our gateway (first come): our handle is then `name@gateway`. */
  claim(name: string): Promise<HandleInfo> {
    return this.#serial(async () => {
      let canonical: string;
      try {
        canonical = checkHandleName(name);
      } catch (err) {
        throw new ClientError('bad-name', (err as Error).message);
      }
      const gateway = this.#c.link.gateway.name;
      this.#online('claim a handle');
      const reply = await this.#call(() => this.#c.link.claimHandle(this.#c.signRecord(canonical)));
      await this.#follow(reply);
      this.#answered(reply);
      switch (reply.status) {
        case 'ok':
          this.#c.logger.info('a handle was claimed at our gateway');
          return this.info();
        case 'taken':
          throw new ClientError(
            'handle-taken',
            `${formatHandle({ name: canonical, gateway })} is taken: another client of ${gateway} claimed it first. Choose another name${this.#name ? ` (you keep ${this.handle()})` : ''}`,
          );
        case 'invalid':
          throw new ClientError('bad-request', `${gateway} refused the handle record as invalid: it does not match this client's registration there (its address or mailbox)`);
        case 'not-registered':
          throw new ClientError('unavailable', `${gateway} holds no registration for this client: wait until chaff client status shows the daemon online, then claim again`);
      }
    });
  }

  /** Releases our handle: anyone may then claim the name. */
  release(): Promise<{ released: string | null }> {
    return this.#serial(async () => {
      const before = this.handle();
      this.#online('release the handle');
      const reply = await this.#call(() => this.#c.link.releaseHandle());
      await this.#follow(reply);
      this.#answered(reply);
      if (reply.status !== 'ok' && reply.status !== 'not-registered') throw new ClientError('unavailable', `${this.#c.link.gateway.name} did not release the handle (it answered ${reply.status})`);
      if (before !== null) this.#c.logger.info('the handle was released at our gateway');
      return { released: before };
    });
  }

  /**
   * Claims the kept name again with a fresh record, once a start: the
   * compose step calls it when the link's first registration succeeds and
   * whenever the gateway is reached again while it is still due. Never
   * throws and never blocks the start: an unreachable gateway (or one that
   * has no registration for us yet) leaves it due for the next connection.
   */
  reclaim(): Promise<void> {
    if (!this.#reclaimDue) return Promise.resolve();
    return (this.#reclaiming ??= this.#serial(() => this.#reclaimOnce()).finally(() => (this.#reclaiming = null)));
  }

  async #reclaimOnce(): Promise<void> {
    const name = this.#name;
    // A claim or release of the user's since this start answered already.
    if (!this.#reclaimDue || name === null) {
      this.#reclaimDue = false;
      return;
    }
    const before = this.handle();
    let reply: HandleClaimReply;
    try {
      reply = await this.#c.link.claimHandle(this.#c.signRecord(name));
    } catch (err) {
      this.#c.logger.info('could not claim our handle again at our gateway; trying at the next connection', { error: (err as Error).message });
      return;
    }
    if (reply.status === 'not-registered') {
      this.#c.logger.info('our gateway holds no registration for us yet; claiming our handle again at the next connection');
      return;
    }
    this.#reclaimDue = false;
    try {
      if (reply.status === 'taken') await this.#follow({ ...reply, name: reply.name === name ? '' : reply.name });
      else await this.#follow(reply);
    } catch (err) {
      this.#c.logger.warn('could not record the handle our gateway says we hold', { error: (err as Error).message });
      return;
    }
    switch (reply.status) {
      case 'ok':
        this.#c.logger.info('our handle was claimed again at our gateway');
        return;
      case 'taken':
        this.#c.logger.warn('our handle is now held by another client of our gateway (it was released while our registration had expired): cleared; claim another');
        this.#c.emit?.({
          type: 'warning',
          text: `Your handle ${before} is now someone else's: ${this.#c.link.gateway.name} released it while this client was away, and another client claimed it. Claim another name (chaff client handle claim NAME, or in the web app, Your address). Contacts who added you keep your address.`,
        });
        return;
      case 'invalid':
        this.#c.logger.warn('our gateway refused our handle record as invalid when claiming it again');
        return;
    }
  }

  /**
   * The address `text` stands for: a handle (`bob@gateway-b`) is looked
   * up through the mixnet and its record verified; anything else (an
   * address) is returned as it is, for the contact book to check.
   */
  async addressOf(text: string): Promise<string> {
    let handle: HandleText | null;
    try {
      handle = parseHandle(text.trim());
    } catch (err) {
      throw new ClientError('bad-address', (err as Error).message);
    }
    if (!handle) return text;
    // Offline, a lookup would wait for the link in the queue, past the caller's deadline.
    this.#online('add a contact by handle');
    try {
      return encodeAddress(await this.#c.lookups.resolve(handle));
    } catch (err) {
      if (!(err instanceof HandleError)) throw err;
      const refused = err.code === 'forged' || err.code === 'wrong-name' || err.code === 'wrong-gateway';
      throw new ClientError(
        refused ? 'forged-handle' : 'unavailable',
        `${handle.gateway} answered for ${formatHandle(handle)} with ${refused ? 'a record that does not verify' : 'an answer this client cannot read'} (${err.message}); nothing was added`,
      );
    }
  }

  /** A reply of the gateway's to the user's claim or release says what we hold: nothing is left to claim again. */
  #answered(reply: HandleClaimReply): void {
    if (reply.status !== 'not-registered') this.#reclaimDue = false;
  }

  #online(what: string): void {
    if (!this.#c.link.connected) throw new ClientError('unavailable', `the gateway is not reachable now: ${what} once the daemon is online (chaff client status)`);
  }

  /** A claim or release call, its failures as ClientError 'unavailable' (the gateway's own words kept). */
  async #call(call: () => Promise<HandleClaimReply>): Promise<HandleClaimReply> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ClientError) throw err;
      throw new ClientError('unavailable', `${this.#c.link.gateway.name} did not take the handle call: ${(err as Error).message}`);
    }
  }

  /** Keeps the name the gateway says we hold now (its reply's name; '' for none). */
  async #follow(reply: HandleClaimReply): Promise<void> {
    const name = reply.name === '' ? null : reply.name;
    if (name === this.#name) return;
    const work = this.#c.stores.begin();
    if (name === null) this.#c.stores.profile.del(work, HANDLE_RECORD);
    else this.#c.stores.profile.put(work, HANDLE_RECORD, new TextEncoder().encode(name));
    await work.commit({ sync: true });
    this.#name = name;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task);
    this.#busy = run.catch(() => undefined);
    return run;
  }
}
