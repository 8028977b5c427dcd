// The end-to-end sessions the messenger holds (contacts' and strangers'):
// the header-nonce index over them (client/receiver/session-index.ts) and
// their stored states. A session's state is staged in the same unit of work
// as what its ratchet step produced, so a restart never reuses a step.

import { toHex } from '../../protocol/bytes.js';
import { Session, type SessionLookup } from '../../protocol/e2ee/session.js';
import { SessionIndex } from '../receiver/session-index.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { MessengerLog } from './messenger-log.js';
import type { SessionStore } from './stores.js';

export class SessionBook {
  readonly #index = new SessionIndex();

  private constructor(private readonly store: SessionStore) {}

  /** Every stored session; one that cannot be read is skipped (and logged). */
  static async load(store: SessionStore, log: MessengerLog): Promise<SessionBook> {
    const book = new SessionBook(store);
    for (const [, bytes] of await store.list()) {
      try {
        book.#index.update(Session.deserialize(bytes));
      } catch (err) {
        log('warn', 'a stored session could not be read; it is skipped', { error: (err as Error).message });
      }
    }
    return book;
  }

  /** What openEnvelope looks sessions up in. */
  get lookup(): SessionLookup {
    return this.#index;
  }

  get size(): number {
    return this.#index.size;
  }

  /** Indexed header nonces over all sessions. */
  get headerNonces(): number {
    return this.#index.hints;
  }

  byId(id: string | null | undefined): Session | undefined {
    return id ? this.#index.byId(id) : undefined;
  }

  /** A session with the peer of this identity key (hex), if any. */
  ofPeer(identity: string): Session | undefined {
    for (const s of this.#index.values()) if (toHex(s.peerIdentityKey) === identity) return s;
    return undefined;
  }

  /** Re-indexes the session (its state changed) and stages its state. */
  save(work: UnitOfWork, session: Session): void {
    this.#index.update(session);
    this.store.put(work, session.id, session.serialize());
  }

  /** Forgets and wipes the session; its record's deletion is staged. */
  forget(work: UnitOfWork, session: Session): void {
    this.#index.delete(session.id);
    this.store.del(work, session.id);
    session.destroy();
  }

  /** Forgets every session with the peer of this identity key (hex). */
  forgetPeer(work: UnitOfWork, identity: string): void {
    for (const session of [...this.#index.values()]) if (toHex(session.peerIdentityKey) === identity) this.forget(work, session);
  }
}
