// Where each mailbox entry goes (the mailbox poller hands them in one at a
// time, client/receiver/mailbox-poller.ts):
//
//   SURB reply ─▶ a pending handle lookup's answer ─▶ handle lookups (its body fetched by
//                 message id, checked against the digest, opened, the record verified)
//              ─▶ a loop's or a decoy's ACK ─▶ loop monitor
//              ─▶ a real fragment's ACK, its digest that of the ACK its SURB keys make ─▶ ARQ, messenger (delivered)
//              ─▶ unknown, or another digest ─▶ ignored
//   message    ─▶ one of our loops ─▶ loop monitor
//              ─▶ anything else ─▶ messenger (an envelope)
//
// handle() resolves once the entry is durably processed: only then does the
// poller acknowledge it to the gateway.

import { surbAckPayload, type Geometry } from '../../protocol/sphinx/index.js';
import { surbReplyDigestMatches, type FetchEntry } from '../../protocol/wire/fetch.js';
import type { HandleLookups } from '../handles/handle-lookups.js';
import type { Messenger } from '../messenger.js';
import type { Arq } from '../sender/arq.js';
import type { LoopMonitor } from '../traffic/loop-monitor.js';
import type { EpochLog } from './epoch-log.js';

export interface EntryRouterInit {
  geometry: Geometry;
}

export interface EntryRouterComponents {
  loops: Pick<LoopMonitor, 'ackReturned' | 'returned'>;
  arq: Pick<Arq, 'lookup' | 'confirm'>;
  messenger: Pick<Messenger, 'fragmentAcked' | 'receive'>;
  epochLog: EpochLog;
  /** Pending handle lookups, whose answers come back as SURB replies (none without it). */
  lookups?: Pick<HandleLookups, 'owns' | 'answered'>;
}

export class EntryRouter {
  readonly #geometry: Geometry;
  readonly #c: EntryRouterComponents;

  constructor(components: EntryRouterComponents, init: EntryRouterInit) {
    this.#geometry = init.geometry;
    this.#c = components;
  }

  async handle(entry: FetchEntry): Promise<void> {
    const { loops, arq, messenger } = this.#c;
    if (entry.kind === 'surb-reply') {
      const surbId = entry.surbId!;
      // A lookup's answer: acknowledged once handled; a body that could not be fetched rejects, so it comes again.
      if (this.#c.lookups?.owns(surbId)) return this.#c.lookups.answered(entry);
      if (loops.ackReturned(surbId)) return;
      const found = arq.lookup(surbId);
      if (!found) return;
      // The fetch carries the ACK's digest (docs/gateway.md §Fetch, ACK slots); its payload is fixed by our SURB keys.
      if (entry.digest === undefined || !surbReplyDigestMatches(entry.digest, surbAckPayload(this.#geometry, found.surbKeys))) {
        // Not made with our SURB keys: forged or corrupted. The real ACK may still come.
        this.#c.epochLog.warn('an ACK that does not open with its SURB keys was ignored');
        return;
      }
      arq.confirm(found.key, surbId);
      await messenger.fragmentAcked(found.key);
      return;
    }
    if (loops.returned(entry.body)) return;
    await messenger.receive(entry.body);
  }
}
