// Who the user blocked and who is not a contact (blocked contacts are shown
// in their conversation): each with the start and end of the address, how
// many of their envelopes were dropped since the daemon started, and
// Unblock (docs/client.md §Blocking).

import { useState } from 'preact/hooks';
import type { BlockedInfo } from '../client/api.js';
import { shortAddress } from './format.js';

interface Props {
  blocked: BlockedInfo[];
  onUnblock(address: string): Promise<void>;
}

function BlockedItem({ entry, onUnblock }: { entry: BlockedInfo; onUnblock: Props['onUnblock'] }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <li class="blocked-entry" data-address={entry.address}>
      <span class="request-address" title={entry.address}>
        {shortAddress(entry.address)}
      </span>{' '}
      <span class="muted" data-field="dropped">
        {entry.dropped} dropped
      </span>{' '}
      <button type="button" class="link" aria-label={`Unblock ${shortAddress(entry.address)}`} onClick={() => onUnblock(entry.address).catch((err: Error) => setError(err.message))}>
        Unblock
      </button>
      {error && <span class="alert"> {error}</span>}
    </li>
  );
}

export function BlockedList({ blocked, onUnblock }: Props) {
  const strangers = blocked.filter((b) => b.contact === undefined);
  if (strangers.length === 0) return null;
  return (
    <section class="blocked" aria-labelledby="blocked-title">
      <h2 id="blocked-title">Blocked</h2>
      <p class="muted hint">What they send is dropped unread; they are not told.</p>
      <ul>
        {strangers.map((b) => (
          <BlockedItem key={b.address} entry={b} onUnblock={onUnblock} />
        ))}
      </ul>
    </section>
  );
}
