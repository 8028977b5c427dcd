// Verifying a contact (docs/e2ee.md §Safety numbers): the safety number of
// the user's and the contact's identity keys, as digits and as a QR code, to
// compare in person or over a channel both trust. If they match, the user
// marks the contact verified; a later key change then needs an explicit
// step (key-change.tsx).

import { useEffect, useState } from 'preact/hooks';
import type { ContactInfo } from '../client/api.js';
import { call } from './api.js';
import { QrCode } from './qr-code.js';

interface Props {
  contact: ContactInfo;
  /** The contact as the daemon now has it. */
  onChanged(contact: ContactInfo): void;
}

export function VerifyPanel({ contact, onChanged }: Props) {
  const [number, setNumber] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setNumber(null);
    call<{ safetyNumber: string; verified: boolean }>('verify', { contact: contact.name }).then(
      (v) => setNumber(v.safetyNumber),
      (err: Error) => setError(err.message),
    );
    // The number follows the contact's key: a key accepted since changes it.
  }, [contact.name, contact.keyChanged, contact.address]);

  const mark = async (verified: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await call<ContactInfo>('contacts.verify', { name: contact.name, verified }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="verify" id="verify-panel" aria-labelledby="verify-title">
      <h3 id="verify-title">Safety number with {contact.name}</h3>
      {number === null ? (
        <p class="muted" role="status">
          {error ?? 'Loading…'}
        </p>
      ) : (
        <>
          <p class="safety-number" data-field="safety-number">
            {number}
          </p>
          <QrCode text={number.replace(/\s+/g, '')} label={`The safety number with ${contact.name} as a QR code`} />
          <p class="muted">
            {contact.name} sees the same number in their app. Compare it with them in person, or over a channel you both trust (a call where you know their voice). If it matches, nobody stands between
            you.
          </p>
          <p data-field="verified-state">{contact.verified ? `You verified ${contact.name}.` : `${contact.name} is not verified.`}</p>
          <button type="button" disabled={busy} onClick={() => void mark(!contact.verified)}>
            {contact.verified ? 'Remove verification' : `The numbers match: mark ${contact.name} verified`}
          </button>
          {error && (
            <p class="alert" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </section>
  );
}
