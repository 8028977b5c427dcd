// The contacts by name and by identity key, as the contact book, the outbox
// and the inbox look them up; and their stored records. Changing a contact
// here changes memory only; the record is staged with stage() by whoever
// decides when (before or after its unit of work commits).

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

  /** Keeps the record in memory (a changed identity key is re-indexed). */
  set(contact: ContactRecord): void {
    const old = this.#byName.get(contact.name);
    if (old && old.identity !== contact.identity) this.#byIdentity.delete(old.identity);
    this.#byName.set(contact.name, contact);
    this.#byIdentity.set(contact.identity, contact.name);
  }

  /** Forgets the contact in memory. */
  delete(name: string): void {
    const c = this.#byName.get(name);
    if (!c) return;
    this.#byName.delete(name);
    this.#byIdentity.delete(c.identity);
  }

  stage(work: UnitOfWork, contact: ContactRecord): void {
    this.store.put(work, contact.name, contact);
  }

  stageDelete(work: UnitOfWork, name: string): void {
    this.store.del(work, name);
  }

  /** Keeps the record in memory and stages it. */
  save(work: UnitOfWork, contact: ContactRecord): void {
    this.set(contact);
    this.stage(work, contact);
  }
}
