// What the send queue reports to parts built after it. The ARQ and the
// messenger are built before the prepared envelopes (which ask the
// messenger for envelopes), so they report here and the composition root
// connects the listener once everything exists: no callback reaches into a
// half-built object. A report with no listener yet is dropped: nothing is
// sent before the listener is connected (the streams start later), and the
// prepared envelopes fill themselves when they start.

export interface SendQueueListener {
  /** A fragment is ready to be sealed and sent (queued, or its ACK timed out). */
  ready(): void;
  /** A fragment was sent maxAttempts times without an ACK. */
  gaveUp(key: string, attempts: number): void;
}

export class SendQueueEvents implements SendQueueListener {
  #listener: SendQueueListener | null = null;

  ready(): void {
    this.#listener?.ready();
  }

  gaveUp(key: string, attempts: number): void {
    this.#listener?.gaveUp(key, attempts);
  }

  /** Connects `listener` (one at a time); returns the disconnect. */
  listen(listener: SendQueueListener): () => void {
    this.#listener = listener;
    return () => {
      if (this.#listener === listener) this.#listener = null;
    };
  }
}
