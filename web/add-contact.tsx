// Adding a contact by the address they gave you (contacts.add): a name of
// your choosing and their address, pasted. The daemon checks both (a name of
// letters, digits, spaces, dots, dashes or underscores; an address whose
// signature holds) and says what is wrong; the form shows it.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ContactInfo } from '../client/api.js';
import { call } from './api.js';

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
          try {
            // Whitespace a copy from a chat or an e-mail may bring inside the address.
            onAdded(await call<ContactInfo>('contacts.add', { name: name.trim(), address: address.replace(/\s+/g, '') }));
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="add-contact-name">Name (yours to choose)</label>
        <input id="add-contact-name" ref={first} type="text" value={name} autoComplete="off" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <label for="add-contact-address">Their address (chaff1…)</label>
        <textarea id="add-contact-address" rows={4} value={address} spellcheck={false} onInput={(e) => setAddress((e.currentTarget as HTMLTextAreaElement).value)} />
        <p class="muted hint">Then compare safety numbers with them (Verify, in the conversation) to be sure the address is theirs.</p>
        <button type="submit" disabled={!ready}>
          Add
        </button>
        {error && (
          <p class="alert" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
