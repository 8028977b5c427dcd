// Contact requests (docs/client.md §Contact requests): people who have your
// address and wrote before you added them. Accepting one adds them as a
// contact under the name you give (contacts.add with their address); their
// held messages then appear in the new conversation. Compare the safety
// number with them (in person, or another channel you trust) to be sure who
// it is. Blocking one deletes the request with its messages and drops what
// they send from then on, unread (docs/client.md §Blocking); it asks first.

import { useState } from 'preact/hooks';
import type { ContactRequest } from '../client/api.js';
import { shortAddress, timeOf } from './format.js';

interface Props {
  requests: ContactRequest[];
  onAccept(name: string, address: string): Promise<void>;
  onBlock(address: string): Promise<void>;
}

function RequestItem({ request, index, onAccept, onBlock }: { request: ContactRequest; index: number; onAccept: Props['onAccept']; onBlock: Props['onBlock'] }) {
  const [name, setName] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = `request-name-${index}`;
  return (
    <li class="request" data-address={request.address}>
      <p class="request-what">
        {request.messages} message{request.messages === 1 ? '' : 's'} since {timeOf(request.firstMs)} from an address you have not added
      </p>
      <p class="muted request-address" title={request.address}>
        {shortAddress(request.address)}
      </p>
      <p class="muted">Safety number: {request.safetyNumber}</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (name.trim() === '' || busy) return;
          setBusy(true);
          setError(null);
          try {
            await onAccept(name.trim(), request.address);
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for={inputId}>Name for this contact</label>
        <div class="composer-row">
          <input id={inputId} type="text" value={name} autoComplete="off" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <button type="submit" disabled={busy || name.trim() === ''}>
            Accept
          </button>
        </div>
        {error && (
          <p class="alert" role="alert">
            {error}
          </p>
        )}
      </form>
      <div class="actions">
        {confirming ? (
          <>
            <button
              type="button"
              class="danger"
              data-action="confirm-block"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onBlock(request.address);
                } catch (err) {
                  setError((err as Error).message);
                  setBusy(false);
                }
              }}
            >
              Block and delete {request.messages === 1 ? 'their message' : `their ${request.messages} messages`}
            </button>
            <button type="button" class="link" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" class="link danger" data-action="block" onClick={() => setConfirming(true)}>
            Block…
          </button>
        )}
      </div>
    </li>
  );
}

export function ContactRequests({ requests, onAccept, onBlock }: Props) {
  if (requests.length === 0) return null;
  return (
    <section class="requests" aria-labelledby="requests-title">
      <h2 id="requests-title">Contact requests</h2>
      <ul>
        {requests.map((r, i) => (
          <RequestItem key={r.address} request={r} index={i} onAccept={onAccept} onBlock={onBlock} />
        ))}
      </ul>
    </section>
  );
}
