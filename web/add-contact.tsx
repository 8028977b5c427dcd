// Adding a contact (contacts.add) by the address they gave you, or by their
// short handle (`bob@gateway-b`, docs/client.md §Short handles): a name of
// your choosing and the address or handle, pasted or typed. The daemon
// checks both (a name of letters, digits, spaces, dots, dashes or
// underscores; an address whose signature holds) and says what is wrong; the
// form shows it. A handle is looked up through the mixnet first, which can
// take up to a minute at the network's rates: meanwhile the form says so
// (a live region) and the button waits; what can go wrong with a lookup (no
// such name, a forged answer, an unknown gateway, no answer) is said in
// words (handle-words.ts).

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ContactInfo } from '../client/api.js';
import { call } from './api.js';
import { isHandle, lookupRefusal } from './handle-words.js';

interface Props {
  /** The contact was added: open its conversation. */
  onAdded(contact: ContactInfo): void;
  onClose(): void;
}

export function AddContact({ onAdded, onClose }: Props) {
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The handle being looked up, while it is. */
  const [lookingUp, setLookingUp] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const ready = name.trim() !== '' && address.trim() !== '' && !busy;
  return (
    <section class="add-contact" aria-labelledby="add-contact-title">
      <div class="title-row">
        <h2 id="add-contact-title">Add a contact</h2>
        <button type="button" class="link" onClick={onClose}>
          Close
        </button>
      </div>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!ready) return;
          setBusy(true);
          setError(null);
          // Whitespace a copy from a chat or an e-mail may bring inside the address.
          const given = address.replace(/\s+/g, '');
          const handle = isHandle(given) ? given : null;
          setLookingUp(handle);
          try {
            onAdded(await call<ContactInfo>('contacts.add', { name: name.trim(), address: given }));
          } catch (err) {
            setError(handle === null ? (err as Error).message : lookupRefusal(handle, err as Error));
          } finally {
            setBusy(false);
            setLookingUp(null);
          }
        }}
      >
        <label for="add-contact-name">Name (yours to choose)</label>
        <input id="add-contact-name" ref={first} type="text" value={name} autoComplete="off" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <label for="add-contact-address">Their address (chaff1…) or handle (bob@gateway-b)</label>
        <textarea
          id="add-contact-address"
          rows={4}
          value={address}
          spellcheck={false}
          aria-describedby="add-contact-address-hint"
          onInput={(e) => setAddress((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <p class="muted hint" id="add-contact-address-hint">
          A handle is looked up through the network, which can take up to a minute. Then compare safety numbers with them (Verify, in the conversation) to be sure the address is theirs.
        </p>
        <button type="submit" disabled={!ready}>
          {lookingUp === null ? 'Add' : 'Looking up…'}
        </button>
        <p class="muted" role="status" aria-live="polite" data-field="lookup-status">
          {lookingUp === null ? '' : `Looking up ${lookingUp} through the network…`}
        </p>
        {error && (
          <p class="alert" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
