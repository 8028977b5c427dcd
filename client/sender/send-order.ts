// Which waiting fragment fills the next real slot of the λP stream
// (docs/client.md §Sending order). The stream itself is not decided here:
// its rate and its cover are the same whatever waits. Only the choice among
// the waiting fragments is, so that no message waits behind an unrelated
// one (no head-of-line blocking):
//
//   1. Retransmissions first, in the order they became due (a fragment whose
//      ACK timed out; one handed back unsent goes before them, as it was
//      next already): a lost packet is resent at once and delays only its
//      own message.
//   2. Otherwise round-robin across flows, a flow being one recipient: each
//      turn takes one fragment from the next flow that has one, so a file to
//      bob and the texts and files to carol share the stream.
//   3. Within a flow, a message of one fragment (a text, a receipt, a card)
//      goes before the remaining fragments of longer messages; those go one
//      message after another, in the order they were queued, not
//      interleaved. The receiver holds incomplete messages per sender within
//      bounds (docs/chat.md §Reassembly: 64 messages, 4 MiB) and evicts the
//      oldest beyond them, and an eviction is a loss: the sender saw every
//      fragment acknowledged and will not resend. Two large files to one
//      peer sent side by side could pass 4 MiB; one at a time (plus the
//      tails retransmissions leave) the receiver holds what a plain FIFO
//      made it hold. A one-fragment message is never held incomplete.
//
// Every operation is O(1) (key queues and maps, no scan), and the memory is
// that of the keys waiting: an emptied flow or message is forgotten. Keys
// are opaque (the ARQ's fragment keys); a key waits at most once.

import { KeyQueue } from './key-queue.js';

/** What the order needs to know of a fragment when it is queued for its first transmission. */
export interface QueuedFragment {
  /** Its recipient: fragments of one flow share that flow's turns. */
  flow: string;
  /** Its message: the fragments of a longer message go together. */
  message: string;
  /** How many fragments its message has (1: whole in one envelope, it may overtake longer messages). */
  fragments: number;
}

/** One recipient's waiting first transmissions. */
class Flow {
  /** Fragments of one-fragment messages, oldest first. */
  readonly singles = new KeyQueue<string>();
  /** Longer messages with fragments waiting, oldest first, and each one's fragments in order. */
  readonly messages = new KeyQueue<string>();
  readonly fragmentsOf = new Map<string, KeyQueue<string>>();

  get empty(): boolean {
    return this.singles.size === 0 && this.messages.size === 0;
  }

  add(key: string, message: string | null): void {
    if (message === null) {
      this.singles.push(key);
      return;
    }
    let fragments = this.fragmentsOf.get(message);
    if (!fragments) {
      this.fragmentsOf.set(message, (fragments = new KeyQueue()));
      this.messages.push(message);
    }
    fragments.push(key);
  }

  /** The next fragment: a single one, else the oldest longer message's next. Undefined when empty. */
  take(): string | undefined {
    if (this.singles.size > 0) return this.singles.shift();
    const message = this.messages.first();
    if (message === undefined) return undefined;
    const fragments = this.fragmentsOf.get(message)!;
    const key = fragments.shift();
    if (fragments.size === 0) this.#forget(message);
    return key;
  }

  remove(key: string, message: string | null): void {
    if (message === null) {
      this.singles.delete(key);
      return;
    }
    const fragments = this.fragmentsOf.get(message);
    if (!fragments) return;
    fragments.delete(key);
    if (fragments.size === 0) this.#forget(message);
  }

  #forget(message: string): void {
    this.fragmentsOf.delete(message);
    this.messages.delete(message);
  }
}

/** Where a waiting first transmission is: its flow, and its message (null: a one-fragment message). */
interface Place {
  flow: string;
  message: string | null;
}

export class SendOrder {
  /** Fragments due again, in the order they became due. */
  readonly #retransmissions = new KeyQueue<string>();
  readonly #flows = new Map<string, Flow>();
  /** Flows with a fragment waiting, the one whose turn is next first. */
  readonly #turns = new KeyQueue<string>();
  /** Every first transmission waiting, and where. */
  readonly #placed = new Map<string, Place>();

  /** Fragments waiting. */
  get size(): number {
    return this.#retransmissions.size + this.#placed.size;
  }

  has(key: string): boolean {
    return this.#retransmissions.has(key) || this.#placed.has(key);
  }

  /** Queues `key` for its first transmission (no-op if it waits already). */
  add(key: string, fragment: QueuedFragment): void {
    if (!Number.isInteger(fragment.fragments) || fragment.fragments < 1) throw new RangeError(`a message has a whole number ≥ 1 of fragments, not ${fragment.fragments}`);
    if (this.has(key)) return;
    const place: Place = { flow: fragment.flow, message: fragment.fragments === 1 ? null : fragment.message };
    let flow = this.#flows.get(place.flow);
    if (!flow) {
      this.#flows.set(place.flow, (flow = new Flow()));
      // A flow that had nothing waiting joins the rotation at its end.
      this.#turns.push(place.flow);
    }
    flow.add(key, place.message);
    this.#placed.set(key, place);
  }

  /** `key` is due again (its ACK timed out): after the retransmissions due before it, before every first transmission. */
  retransmit(key: string): void {
    if (!this.has(key)) this.#retransmissions.push(key);
  }

  /** `key` was taken but could not leave: it goes first, as it was next already. */
  putBack(key: string): void {
    if (!this.has(key)) this.#retransmissions.unshift(key);
  }

  /** Takes the fragment to send next (rules 1-3 above), or undefined when none waits. */
  next(): string | undefined {
    const due = this.#retransmissions.shift();
    if (due !== undefined) return due;
    const flowId = this.#turns.shift();
    if (flowId === undefined) return undefined;
    const flow = this.#flows.get(flowId)!;
    const key = flow.take()!;
    this.#placed.delete(key);
    if (!flow.empty) this.#turns.push(flowId);
    else this.#flows.delete(flowId);
    return key;
  }

  /** Takes `key` out, wherever it waits (acknowledged, its message cancelled, its contact removed). */
  remove(key: string): void {
    if (this.#retransmissions.delete(key)) return;
    const place = this.#placed.get(key);
    if (!place) return;
    this.#placed.delete(key);
    const flow = this.#flows.get(place.flow)!;
    flow.remove(key, place.message);
    if (flow.empty) {
      this.#flows.delete(place.flow);
      this.#turns.delete(place.flow);
    }
  }
}
