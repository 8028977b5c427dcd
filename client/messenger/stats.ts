// The messenger's counters (what `chaff client status` shows), kept by its
// parts; the facade adds what is held now.

import type { MessengerLog } from './messenger-log.js';

export interface MessengerStats {
  /** sessionsTried: sessions whose keys were tried on later envelopes' headers, over all envelopes (one lookup names at most one, as a rule). */
  received: { envelopes: number; messages: number; receipts: number; cards: number; sessionsTried: number };
  rejected: Record<string, number>;
  sent: { messages: number; fragments: number; failed: number };
  /** What is held now: sessions (contacts' and strangers'), their indexed header nonces, contact requests. */
  held: { sessions: number; headerNonces: number; requests: number };
}

export class MessengerCounters {
  readonly received = { envelopes: 0, messages: 0, receipts: 0, cards: 0, sessionsTried: 0 };
  readonly rejected: Record<string, number> = {};
  readonly sent = { messages: 0, fragments: 0, failed: 0 };

  constructor(private readonly log: MessengerLog) {}

  /** An incoming envelope (or what it carried) was refused: counted by reason, and logged. */
  reject(reason: string, fields?: Record<string, unknown>): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.log(reason === 'undecryptable' ? 'debug' : 'info', 'incoming envelope rejected', { reason, ...fields });
  }

  snapshot(held: MessengerStats['held']): MessengerStats {
    return { received: { ...this.received }, rejected: { ...this.rejected }, sent: { ...this.sent }, held };
  }
}
