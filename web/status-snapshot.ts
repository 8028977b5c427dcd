// What the app's server sends on its event stream every status interval
// (docs/web-app.md §API): the daemon's status, or that it does not answer.
// Kept apart from web/api.ts (which needs the browser's fetch and
// EventSource) so the app's state can be tested under Node.

import type { ClientStatus } from '../client/api.js';

export interface StatusSnapshot {
  /** Does the daemon answer? */
  daemon: boolean;
  status: ClientStatus | null;
  atMs: number;
}
