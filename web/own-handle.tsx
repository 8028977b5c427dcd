// Your short handle, in the "Your address" panel (docs/client.md §Short
// handles): `alice@gateway-a`, easy to copy and to say aloud, which people
// can type where an address goes. Claiming one is a name field and a button
// (handle.claim: first come at your gateway; the daemon's refusal, a name
// taken or one a handle cannot have, shown in words); releasing it asks
// first (handle.release: anyone may then claim the name). A daemon without
// handles, or a gateway not reached, says so in the panel.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { HandleInfo } from '../client/api.js';
import { call } from './api.js';
import { claimRefusal } from './handle-words.js';

export function OwnHandle() {
  /** undefined: loading; null: none claimed. */
  const [handle, setHandle] = useState<string | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  // Focus follows the buttons that replace each other, so a keyboard user keeps their place.
  const keep = useRef<HTMLButtonElement>(null);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  useEffect(() => {
    call<HandleInfo>('handle.get').then(
      (h) => setHandle(h.handle),
      (err: Error) => setLoadError(err.message),
    );
  }, []);

  const copy = async (): Promise<void> => {
    if (!handle) return;
    try {
      await navigator.clipboard.writeText(handle);
      setNote('Copied.');
    } catch {
      setNote('The browser did not allow copying: select the handle and copy it.');
    }
  };

  const claim = async (): Promise<void> => {
    if (busy || name.trim() === '') return;
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const h = await call<HandleInfo>('handle.claim', { name: name.trim() });
      setHandle(h.handle);
      setName('');
      setNote(`Your handle is now ${h.handle ?? 'none'}.`);
    } catch (err) {
      setError(claimRefusal(err as Error));
    } finally {
      setBusy(false);
    }
  };

  const release = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const r = await call<{ released: string | null }>('handle.release');
      setHandle(null);
      setConfirming(false);
      setNote(r.released ? `${r.released} is released.` : 'You held no handle.');
      field.current?.focus();
    } catch (err) {
      setError(claimRefusal(err as Error));
    } finally {
      setBusy(false);
    }
  };

  if (loadError !== null) {
    return (
      <section class="own-handle" aria-labelledby="own-handle-title">
        <h3 id="own-handle-title">Your handle</h3>
        <p class="muted">Short handles are not available: {loadError}</p>
      </section>
    );
  }
  return (
    <section class="own-handle" aria-labelledby="own-handle-title">
      <h3 id="own-handle-title">Your handle</h3>
      {handle === undefined ? (
        <p class="muted">Loading…</p>
      ) : handle === null ? (
        <p class="muted" data-field="no-handle">
          You have no handle yet. A handle is a short name at your gateway that people can type instead of your address; anyone who asks your gateway for it gets your address.
        </p>
      ) : (
        <>
          <p class="handle" data-field="own-handle">
            {handle}
          </p>
          <p class="muted">People can add you by it. Compare safety numbers with them all the same: a handle points to your address, it does not prove it.</p>
          <div class="actions">
            <button type="button" data-action="copy-handle" onClick={() => void copy()}>
              Copy the handle
            </button>
            {confirming ? (
              <>
                <button type="button" class="danger" data-action="confirm-release-handle" disabled={busy} onClick={() => void release()}>
                  Release {handle}
                </button>
                <button type="button" ref={keep} data-action="keep-handle" disabled={busy} onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" data-action="release-handle" onClick={() => setConfirming(true)}>
                Release…
              </button>
            )}
          </div>
          {confirming && (
            <p class="alert" data-field="release-warning">
              Anyone may then claim the name. Contacts who added you keep your address.
            </p>
          )}
        </>
      )}
      {handle !== undefined && (
        <form
          class="claim-handle"
          onSubmit={(e) => {
            e.preventDefault();
            void claim();
          }}
        >
          <label for="handle-name">{handle === null ? 'Claim a handle' : 'Claim another name (it replaces yours)'}</label>
          <div class="claim-row">
            <input
              id="handle-name"
              ref={field}
              type="text"
              value={name}
              autoComplete="off"
              spellcheck={false}
              aria-describedby="handle-name-hint"
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit" data-action="claim-handle" disabled={busy || name.trim() === ''}>
              {busy ? 'Claiming…' : 'Claim'}
            </button>
          </div>
          <p class="muted hint" id="handle-name-hint">
            1 to 32 characters: a–z, 0–9, dot, dash or underscore. First come at your gateway.
          </p>
        </form>
      )}
      {error && (
        <p class="alert" role="alert" data-field="handle-error">
          {error}
        </p>
      )}
      <p class="muted" role="status" data-field="handle-note">
        {note ?? ''}
      </p>
    </section>
  );
}
