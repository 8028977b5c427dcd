// Which share exchanges of a round are done, and so whether an upload that
// arrives now can still reach every other authority (docs/pki.md §Late
// uploads).
//
// A descriptor an authority A holds reaches another authority P in one of
// two ways: in A's own share request to P (its body is fixed when A encodes
// it), or in A's reply to P's share request (fixed when A answers). Once
// both are fixed for some P, a descriptor A takes afterwards can never
// reach P: A and P would build different documents for the epoch, and with
// few authorities neither gets a majority of signatures. So A stops taking
// uploads for the epoch at that point and refuses them `too-late`; the node
// is in the next epoch's document instead of splitting this one.
//
// A share request is sent once: if its call fails, what A takes later
// cannot reach P that way either, so it counts as fixed all the same. A
// peer that is down never sends its share, so it closes nothing.

export class ShareExchanges {
  /** epoch → peer name → which direction is fixed. */
  readonly #rounds = new Map<number, Map<string, { sent: boolean; answered: boolean }>>();

  #of(epoch: number, peer: string): { sent: boolean; answered: boolean } {
    let round = this.#rounds.get(epoch);
    if (!round) this.#rounds.set(epoch, (round = new Map()));
    let e = round.get(peer);
    if (!e) round.set(peer, (e = { sent: false, answered: false }));
    return e;
  }

  /** Our share request to `peer` for `epoch` was encoded: what we held then is what it carries. */
  sending(epoch: number, peer: string): void {
    this.#of(epoch, peer).sent = true;
  }

  /** We answered `peer`'s share request for `epoch` with what we held then. */
  answered(epoch: number, peer: string): void {
    this.#of(epoch, peer).answered = true;
  }

  /** Whether an upload for `epoch` taken now would miss some authority: true once any peer has both directions fixed. */
  closed(epoch: number): boolean {
    for (const e of this.#rounds.get(epoch)?.values() ?? []) if (e.sent && e.answered) return true;
    return false;
  }

  /** Forgets the rounds before `epoch`. */
  pruneBefore(epoch: number): void {
    for (const k of this.#rounds.keys()) if (k < epoch) this.#rounds.delete(k);
  }
}
