// The receiver's index of end-to-end sessions by header nonce
// (docs/e2ee.md §4 Header nonces and the session index). Every session
// lists the nonces of the later envelopes it would accept now
// (Session.acceptedHeaderNonces); the index maps each nonce's 30-bit hint (its first 30 bits) to
// its session, so a mailbox entry is matched by one lookup and tried against
// the one session it names (or none: cover, someone else's mail, a first
// envelope), whatever the number of sessions. Without it every entry was
// tried against every session, so each stranger who wrote once made every
// later entry slower.
//
// A session's nonces are recomputed whenever its state changes (after it
// opened an envelope, after it sealed one), and the index changes only by
// the difference: as a rule one hint leaves and one enters. A hint (30
// bits) shared by two sessions lists both; one that matches a cover
// envelope by chance costs one header trial.

import { headerHint } from '../../protocol/e2ee/header-nonce.js';
import type { Session, SessionLookup } from '../../protocol/e2ee/session.js';

const NONCE = 24;

export class SessionIndex implements SessionLookup {
  readonly #byId = new Map<string, Session>();
  readonly #byHint = new Map<number, Session | Session[]>();
  readonly #hintsOf = new Map<string, Set<number>>();

  get size(): number {
    return this.#byId.size;
  }

  /** Indexed hints over all sessions (memory: about 50 bytes each). */
  get hints(): number {
    let n = 0;
    for (const h of this.#hintsOf.values()) n += h.size;
    return n;
  }

  byId(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  byHint(hint: number): Session[] {
    const v = this.#byHint.get(hint);
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }

  values(): IterableIterator<Session> {
    return this.#byId.values();
  }

  /** Adds a session, or re-indexes it after its state changed. */
  update(session: Session): void {
    if (this.#byId.get(session.id) !== session) this.#unindex(session.id);
    this.#byId.set(session.id, session);
    const old = this.#hintsOf.get(session.id) ?? new Set<number>();
    const hints = new Set<number>();
    for (const run of session.acceptedHeaderNonces()) {
      for (let o = 0; o + NONCE <= run.length; o += NONCE) hints.add(headerHint(run, o));
    }
    for (const hint of old) if (!hints.has(hint)) this.#remove(hint, session);
    for (const hint of hints) if (!old.has(hint)) this.#add(hint, session);
    this.#hintsOf.set(session.id, hints);
  }

  #add(hint: number, session: Session): void {
    const v = this.#byHint.get(hint);
    if (v === undefined) this.#byHint.set(hint, session);
    else if (Array.isArray(v)) {
      if (!v.includes(session)) v.push(session);
    } else if (v !== session) this.#byHint.set(hint, [v, session]);
  }

  #remove(hint: number, session: Session): void {
    const v = this.#byHint.get(hint);
    if (v === session) this.#byHint.delete(hint);
    else if (Array.isArray(v)) {
      const rest = v.filter((s) => s !== session);
      if (rest.length === 0) this.#byHint.delete(hint);
      else this.#byHint.set(hint, rest.length === 1 ? rest[0] : rest);
    }
  }

  /** Forgets a session (it is not destroyed here). */
  delete(id: string): void {
    this.#unindex(id);
    this.#byId.delete(id);
  }

  #unindex(id: string): void {
    const session = this.#byId.get(id);
    const hints = this.#hintsOf.get(id);
    if (!session || !hints) return;
    for (const hint of hints) this.#remove(hint, session);
    this.#hintsOf.delete(id);
  }
}
