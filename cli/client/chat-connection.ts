// What the chats say about the daemon's hold on the network (client/api.ts
// ConnectionInfo; docs/client.md §Offline): a line when it goes offline,
// saying what is missing and since when, another when what is missing
// changes, and one when it is back; the prompt says "offline" meanwhile, so
// a message that stays at `·` is explained. The daemon reports each change
// as a `connection` event; the chat reads the state once at its start.

import type { ClientStatus, ConnectionInfo } from '../../client/api.js';
import { formatDuration } from '../../protocol/util/format-duration.js';
import { connectionChangeLine } from './format.js';
import { PLAIN, type Paint } from './terminal-text.js';

/** Which parts are missing, as a key to tell one offline state from another. */
function missing(c: ConnectionInfo): string {
  return `${c.document.verified ? '' : 'document '}${c.gateway.connected ? '' : 'gateway'}`;
}

/** When the earliest missing part went missing. */
function offlineSince(c: ConnectionInfo): number {
  const since = [...(c.document.verified ? [] : [c.document.sinceMs]), ...(c.gateway.connected ? [] : [c.gateway.sinceMs])];
  return since.length > 0 ? Math.min(...since) : Math.max(c.document.sinceMs, c.gateway.sinceMs);
}

export interface ChatConnectionOutput {
  print(line: string): void;
  /** The chat is offline (true) or online again: the prompt says so. */
  offline(offline: boolean): void;
}

export class ChatConnection {
  readonly #out: ChatConnectionOutput;
  readonly #paint: Paint;
  readonly #now: () => number;
  #last: ConnectionInfo | null = null;

  constructor(out: ChatConnectionOutput, options: { paint?: Paint; now?: () => number } = {}) {
    this.#out = out;
    this.#paint = options.paint ?? PLAIN;
    this.#now = options.now ?? Date.now;
  }

  /** The state at the chat's start (said only when offline). A daemon older than the offline start reports none: nothing is said. */
  start(status: Pick<ClientStatus, 'connection'>): void {
    if (status.connection) this.apply(status.connection);
  }

  /** The state now (a `connection` event): a line when online changes, or what is missing while offline. */
  apply(c: ConnectionInfo): void {
    const before = this.#last;
    this.#last = c;
    const now = this.#now();
    if (c.online) {
      if (before && !before.online) {
        this.#out.print(this.#paint.good(`✓ back online after ${formatDuration(Math.max(0, now - offlineSince(before)))} offline: queued messages go out now`));
        this.#out.offline(false);
      }
      return;
    }
    if (before && !before.online && missing(before) === missing(c)) return;
    this.#out.print(this.#paint.warn(connectionChangeLine(c, now)));
    this.#out.offline(true);
  }
}
