// A contact's identity key changed (docs/e2ee.md §Key changes): another key
// proved that it owns the contact's mailbox. It may be the contact on a new
// install, or someone posing as them. Their messages are held and nothing
// is sent until the user decides: accept the new key (after comparing the
// new safety number) or reject it (the old key stays; what the new one sent
// is deleted). A verified contact's key is accepted only together with
// removing the verification, which belonged to the old key.

import { useState } from 'preact/hooks';
import type { ContactInfo } from '../client/api.js';
import { call } from './api.js';

interface Props {
  contact: ContactInfo;
  /** The decision was taken: the contact as the daemon now has it. */
  onDecided(contact: ContactInfo): void;
}

export function KeyChangeWarning({ contact, onDecided }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const decide = async (method: 'contacts.accept' | 'contacts.reject'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const params = method === 'contacts.accept' && contact.verified ? { name: contact.name, unverify: true } : { name: contact.name };
      onDecided(await call<ContactInfo>(method, params));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const held = contact.held;
  return (
    <section class="key-change" role="alert" aria-labelledby="key-change-title" data-field="key-change">
      <h3 id="key-change-title">{contact.name}'s identity key changed</h3>
      <p>
        Someone with a new key now answers for {contact.name}'s address. That happens when {contact.name} reinstalls Chaff, or when someone else tries to pose as them. Nothing is sent to{' '}
        {contact.name} until you decide{held > 0 ? `, and the ${held} message${held === 1 ? '' : 's'} that came with the new key ${held === 1 ? 'is' : 'are'} held` : ''}.
      </p>
      {contact.pendingSafetyNumber && (
        <p>
          Ask {contact.name} for their safety number and compare it with the new one:
          <span class="safety-number block">{contact.pendingSafetyNumber}</span>
        </p>
      )}
      {contact.verified && <p>You had verified {contact.name}. Accepting the new key removes that verification: compare the new number before you verify again.</p>}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void decide('contacts.accept')}>
          {contact.verified ? 'Accept the new key and remove the verification' : 'Accept the new key'}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void decide('contacts.reject')}>
          Reject it
        </button>
      </div>
      {error && <p class="alert">{error}</p>}
    </section>
  );
}
