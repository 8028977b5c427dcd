// Short handles for the web app's browser tests without a mixnet
// (test/web/offline-daemon.ts): each test user's daemon gets the real
// HandleAdmin (client/daemon/handle-admin.ts), over the user's own profile
// store, whose claims and lookups reach an in-memory registry of names
// instead of the network. The registry plays every test gateway's side: its
// claim RPC (first come, one name per client, docs/handles.md §Claim RPC)
// and its name service, which answers a lookup with the record kept, or
// "not found". A lookup resolves as the daemon's does once the answer has
// come back (the record verified, the owner's address returned; an unknown
// gateway refused at once with the names known), except that the test
// decides when: while `hold` is set, lookups wait for it, as a lookup waits
// for its round trip through the mixnet.

import type { ApiFacadeComponents } from '../../client/daemon/api-facade.js';
import { HandleAdmin } from '../../client/daemon/handle-admin.js';
import { ClientError } from '../../client/api.js';
import { sealedMessengerStores } from '../../client/messenger/stores.js';
import { toHex } from '../../protocol/bytes.js';
import { Ed25519PrivateKey } from '../../protocol/crypto/ed25519.js';
import { addressOf } from '../../protocol/e2ee/address.js';
import { generateIdentity } from '../../protocol/e2ee/identity.js';
import type { NodeEntry } from '../../protocol/pki/document.js';
import { mailboxIdOf } from '../../protocol/wire/fetch.js';
import { formatHandle, signHandleRecord, verifyHandleRecord, type HandleClaimReply, type HandleRecord, type HandleText } from '../../protocol/wire/handle.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { User } from '../helpers/messenger-users.js';

interface Gateway {
  entry: NodeEntry;
  /** The names it holds: name → record. */
  names: Map<string, HandleRecord>;
}

export class OfflineNameServices {
  readonly #gateways = new Map<string, Gateway>();
  /** While set, lookups wait for it (the form's waiting state); unset, they answer at once. */
  hold: Promise<void> | null = null;
  /** Lookups asked, in order (`name@gateway`). */
  readonly lookups: string[] = [];

  /** The handle admin of `user`, whose mailbox is at `gateway`. */
  admin(user: User, gateway: NodeEntry, logger: Logger): Promise<NonNullable<ApiFacadeComponents['handles']>> {
    const at = this.#gateway(gateway);
    const mailbox = toHex(user.ownAddress.mailbox);
    const ours = (): string | undefined => [...at.names].find(([, r]) => toHex(r.address.mailbox) === mailbox)?.[0];
    const reply = (status: HandleClaimReply['status']): HandleClaimReply => ({ status, name: ours() ?? '' });
    return HandleAdmin.load({
      logger,
      stores: sealedMessengerStores(user.store),
      link: {
        gateway: at.entry,
        // The registry is always reached, though the daemon's link is not (its messages wait in the queue).
        connected: true,
        claimHandle: async (record) => {
          verifyHandleRecord(record, { name: record.name, gateway: at.entry.nodeId });
          const holder = at.names.get(record.name);
          if (holder && toHex(holder.address.mailbox) !== mailbox) return reply('taken');
          const held = ours();
          if (held !== undefined) at.names.delete(held);
          at.names.set(record.name, record);
          return reply('ok');
        },
        releaseHandle: async () => {
          const held = ours();
          if (held !== undefined) at.names.delete(held);
          return reply('ok');
        },
      },
      lookups: { resolve: (handle) => this.#resolve(handle) },
      signRecord: (name) => signHandleRecord(name, user.identity, user.ownAddress, user.mailboxKey),
    });
  }

  /** `name` at the gateway named `gateway` (one of the users') held by another client (a fresh identity and mailbox there), as if it had claimed it first. */
  takenElsewhere(gateway: string, name: string): void {
    const at = this.#gateways.get(gateway);
    if (!at) throw new Error(`no user's gateway is named ${gateway}`);
    const identity = generateIdentity();
    const key = Ed25519PrivateKey.generate();
    const address = addressOf(identity, at.entry.nodeId, mailboxIdOf(key.publicKey));
    at.names.set(name, signHandleRecord(name, identity, address, key));
  }

  #gateway(entry: NodeEntry): Gateway {
    let g = this.#gateways.get(entry.name);
    if (!g) this.#gateways.set(entry.name, (g = { entry, names: new Map() }));
    return g;
  }

  async #resolve(handle: HandleText) {
    const gateway = this.#gateways.get(handle.gateway);
    if (!gateway) {
      const listed = [...this.#gateways.keys()].map((n) => JSON.stringify(n)).join(', ');
      throw new ClientError('bad-address', `no gateway named ${JSON.stringify(handle.gateway)} in the network's current document; it lists ${listed}`);
    }
    this.lookups.push(formatHandle(handle));
    await this.hold;
    const record = gateway.names.get(handle.name);
    if (!record) throw new ClientError('not-found', `no handle ${formatHandle(handle)}: ${handle.gateway} holds no name ${handle.name}`);
    // A HandleError here is what the daemon turns into forged-handle.
    verifyHandleRecord(record, { name: handle.name, gateway: gateway.entry.nodeId });
    return record.address;
  }
}
