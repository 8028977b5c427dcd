// Your own address, to give to the people who should be able to write to
// you: the text (with a button to copy it) and a QR code to scan from a
// phone. An address is not secret, but whoever has it can send you contact
// requests (docs/client.md §Contact requests). Above them, your short
// handle (own-handle.tsx): shown, claimed and released there.

import { useEffect, useState } from 'preact/hooks';
import { call } from './api.js';
import { OwnHandle } from './own-handle.js';
import { QrCode } from './qr-code.js';

export function OwnAddress({ onClose }: { onClose(): void }) {
  const [address, setAddress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    call<{ address: string }>('address').then(
      (a) => setAddress(a.address),
      (err: Error) => setError(err.message),
    );
  }, []);

  const copy = async (): Promise<void> => {
    if (address === null) return;
    try {
      await navigator.clipboard.writeText(address);
      setCopied(true);
    } catch {
      setError('the browser did not allow copying: select the address and copy it');
    }
  };

  return (
    <section class="own-address" id="own-address" aria-labelledby="own-address-title">
      <div class="title-row">
        <h2 id="own-address-title">Your address</h2>
        <button type="button" class="link" onClick={onClose}>
          Close
        </button>
      </div>
      <p class="muted">Give it to the people who should be able to write to you. Whoever has it can send you a contact request; it does not let anyone read your messages.</p>
      <OwnHandle />
      {address === null ? (
        <p class="muted" role="status">
          {error ?? 'Loading…'}
        </p>
      ) : (
        <>
          {/* Upper case: bech32 allows it and QR's alphanumeric mode packs it tighter (BIP 173), as `chaff client address --qr` does. */}
          <QrCode text={address.toUpperCase()} label="Your address as a QR code" large />
          <p class="address" data-field="own-address">
            {address}
          </p>
          <button type="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy the address'}
          </button>
          {error && <p class="alert">{error}</p>}
        </>
      )}
    </section>
  );
}
