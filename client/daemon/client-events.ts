// The events pushed to the front ends that subscribed (client/api.ts
// ClientEvent): the messenger emits, the API's subscribe() listens.

import type { ClientEvent } from '../api.js';

export class ClientEvents {
  readonly #listeners = new Set<(e: ClientEvent) => void>();

  emit(e: ClientEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // A front end's listener must not break the daemon.
      }
    }
  }

  /** Returns the unsubscribe. */
  subscribe(listener: (e: ClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
