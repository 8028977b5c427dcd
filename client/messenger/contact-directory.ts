// The contacts by name and by identity key, as the contact book, the outbox
// and the inbox look them up; and their stored records.
//
// Every change goes through create(), update() or remove(), which change the
// record in memory at the moment they stage it in a unit of work, never
// after its commit. A writer that awaits its commit therefore never puts
// back the copy it read over a change made meanwhile (a card with a new
// delivery id, a send taking the next sequence number, the user's own
// change): the next writer starts from the latest record. Commits land in
// the order they were issued (client/store/sealed-store.ts, StoreCore.write),
// so the store ends with the latest record too. A commit that fails leaves
// memory ahead of the store until the next write of that contact.

import { ClientError } from '../api.js';
import type { ContactRecord } from '../state.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { ContactStore } from './stores.js';

export class ContactDirectory {
  readonly #byName = new Map<string, ContactRecord>();
  readonly #byIdentity = new Map<string, string>();

  private constructor(private readonly store: ContactStore) {}

  static async load(store: ContactStore): Promise<ContactDirectory> {
    const directory = new ContactDirectory(store);
    for (const [name, contact] of await store.list()) {
      directory.#byName.set(name, contact);
      directory.#byIdentity.set(contact.identity, name);
    }
    return directory;
  }

  get(name: string): ContactRecord | undefined {
    return this.#byName.get(name);
  }

  /** The contact, or ClientError('unknown-contact'). */
  require(name: string): ContactRecord {
    const c = this.#byName.get(name);
    if (!c) throw new ClientError('unknown-contact', `no contact named ${JSON.stringify(name)} (see \`chaff client contacts list\`)`);
    return c;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The name of the contact with this identity key (hex). */
  nameOf(identity: string): string | undefined {
    return this.#byIdentity.get(identity);
  }

  /** The contact whose pending key change is this identity key (hex). */
  pendingOf(identity: string): ContactRecord | undefined {
    for (const c of this.#byName.values()) if (c.keyChanged && c.pendingIdentity === identity) return c;
    return undefined;
  }

  /** Whether the user rejected this identity key (hex) as some contact's new key. */
  isRejected(identity: string): boolean {
    for (const c of this.#byName.values()) if (c.rejectedIdentities?.includes(identity)) return true;
    return false;
  }

  values(): IterableIterator<ContactRecord> {
    return this.#byName.values();
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** A new contact, kept in memory and staged in `work`. */
  create(work: UnitOfWork, contact: ContactRecord): void {
    if (this.#byName.has(contact.name)) throw new ClientError('contact-exists', `a contact named ${JSON.stringify(contact.name)} exists already`);
    this.#keep(contact);
    this.store.put(work, contact.name, contact);
  }

  /**
   * Changes `name`'s record in place: `change` gets the latest record and
   * returns the fields that change; the result is kept in memory and staged
   * in `work` at once (see the header), and returned. ClientError('unknown-contact') if there is none.
   */
  update(work: UnitOfWork, name: string, change: (current: ContactRecord) => Partial<ContactRecord>): ContactRecord {
    const current = this.require(name);
    const updated: ContactRecord = { ...current, ...change(current), name };
    this.#keep(updated);
    this.store.put(work, name, updated);
    return updated;
  }

  /** Forgets the contact in memory and stages the deletion of its record. */
  remove(work: UnitOfWork, name: string): void {
    const c = this.#byName.get(name);
    if (c) {
      this.#byName.delete(name);
      this.#byIdentity.delete(c.identity);
    }
    this.store.del(work, name);
  }

  /** Keeps the record in memory (a changed identity key is re-indexed). */
  #keep(contact: ContactRecord): void {
    const old = this.#byName.get(contact.name);
    if (old && old.identity !== contact.identity) this.#byIdentity.delete(old.identity);
    this.#byName.set(contact.name, contact);
    this.#byIdentity.set(contact.identity, contact.name);
  }
}
