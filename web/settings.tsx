// The Settings screen (docs/web-app.md §Screens): read receipts on or off,
// the cover rates (the network's, the user's raises, what they cost a day),
// the profile's passphrase, and a backup to download. Each section calls the
// daemon's API (docs/client-api.md: settings.get / settings.set,
// passphrase.strength, profile.passphrase, profile.backup); the daemon
// checks everything and its refusal shows under the section (role="alert").
//
// Passphrases stay in this screen's state only while typed: they go to the
// daemon in the call that needs them (and, for the strength meter, a moment
// after the user stops typing: the estimator's dictionaries stay on the
// daemon's side, 7 MiB the page does not load), and the fields are emptied
// once the call succeeded. Nothing is kept in the browser.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ClientSettingsInfo, CoverRates, PassphraseStrengthInfo, ProfileBackup } from '../client/api.js';
import { call } from './api.js';
import { saveFile } from './file-transfer.js';
import { byteSize } from './format.js';
import { strengthLine, useStrength } from './passphrase-strength.js';

const RATES: ReadonlyArray<{ key: keyof CoverRates; name: string; what: string }> = [
  { key: 'lambdaP', name: 'λP', what: 'real or decoy packets a second' },
  { key: 'lambdaL', name: 'λL', what: 'loop packets a second' },
  { key: 'lambdaD', name: 'λD', what: 'drop packets a second' },
];

/** "978 MB", "1.75 GB": decimal units, as docs/client.md gives the costs. */
export function dailySize(bytes: number): string {
  return bytes < 1e9 ? `${Math.round(bytes / 1e6)} MB` : `${(bytes / 1e9).toFixed(2)} GB`;
}

/** A rate for the eye: "2", "0.5", "1.25". */
function rate(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** The error of a failed call, in the section's alert. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function Settings({ onClose }: { onClose(): void }) {
  const [settings, setSettings] = useState<ClientSettingsInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    title.current?.focus();
    call<ClientSettingsInfo>('settings.get').then(setSettings, (err: Error) => setError(err.message));
  }, []);

  return (
    <section class="settings" id="settings" aria-labelledby="settings-title">
      <div class="title-row">
        <h2 id="settings-title" ref={title} tabIndex={-1}>
          Settings
        </h2>
        <button type="button" class="link" onClick={onClose}>
          Close
        </button>
      </div>
      {settings === null ? (
        <p class="muted" role="status">
          {error ?? 'Loading…'}
        </p>
      ) : (
        <>
          <ReadReceipts settings={settings} onChanged={setSettings} />
          <CoverRatesSection settings={settings} onChanged={setSettings} />
        </>
      )}
      <PassphraseChange />
      <Backup />
    </section>
  );
}

function ReadReceipts({ settings, onChanged }: { settings: ClientSettingsInfo; onChanged(s: ClientSettingsInfo): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (on: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await call<ClientSettingsInfo>('settings.set', { readReceipts: on }));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="settings-section" aria-labelledby="receipts-title">
      <h3 id="receipts-title">Read receipts</h3>
      <div class="check">
        <input
          id="read-receipts"
          type="checkbox"
          checked={settings.readReceipts}
          disabled={busy}
          aria-describedby="read-receipts-help"
          onChange={(e) => void toggle((e.currentTarget as HTMLInputElement).checked)}
        />
        <label for="read-receipts">Send read receipts</label>
      </div>
      <p class="muted hint" id="read-receipts-help">
        On: when you open a conversation, your contact sees a blue ✓✓ on their messages. Off: nobody learns when you read (you still see their receipts). It applies at once and is kept in your
        client.toml.
      </p>
      <p class="muted" role="status" data-field="read-receipts-state">
        {settings.readReceipts ? 'Read receipts are on.' : 'Read receipts are off.'}
      </p>
      {error && (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function CoverRatesSection({ settings, onChanged }: { settings: ClientSettingsInfo; onChanged(s: ClientSettingsInfo): void }) {
  const { cover } = settings;
  const fromRaise = (c: ClientSettingsInfo['cover']): Record<keyof CoverRates, string> => ({
    lambdaP: c.raise.lambdaP === null ? '' : String(c.raise.lambdaP),
    lambdaL: c.raise.lambdaL === null ? '' : String(c.raise.lambdaL),
    lambdaD: c.raise.lambdaD === null ? '' : String(c.raise.lambdaD),
  });
  const [wanted, setWanted] = useState(() => fromRaise(cover));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  // What the fields ask for: a raise, or none (empty); a raise counts only above the network's rate.
  const parsed = RATES.map(({ key }) => {
    const text = wanted[key].trim();
    const value = text === '' ? null : Number(text);
    return { key, value: value !== null && Number.isFinite(value) ? value : value === null ? null : NaN };
  });
  const invalid = parsed.some((p) => Number.isNaN(p.value));
  const preview: CoverRates = { lambdaP: 0, lambdaL: 0, lambdaD: 0 };
  for (const { key, value } of parsed) preview[key] = Math.max(cover.network?.[key] ?? cover.effective[key], Number.isNaN(value) ? 0 : (value ?? 0));
  const c = cover.cost;
  const sentPerDay = ((preview.lambdaP + preview.lambdaL + preview.lambdaD) * c.packetBytes + cover.fetchPerSecond * c.fetchRequestBytes) * 86_400;
  const receivedPerDay = cover.fetchPerSecond * c.fetchReplyBytes * 86_400;

  const apply = async (change: Record<keyof CoverRates, number | null>): Promise<void> => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const next = await call<ClientSettingsInfo>('settings.set', change);
      onChanged(next);
      setWanted(fromRaise(next.cover));
      setSaved(`Saved: the client now sends λP ${rate(next.cover.effective.lambdaP)}, λL ${rate(next.cover.effective.lambdaL)}, λD ${rate(next.cover.effective.lambdaD)} a second.`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="settings-section" aria-labelledby="cover-title">
      <h3 id="cover-title">Cover traffic</h3>
      <p class="muted">
        Your client sends packets at constant rates whether you write or not, so nobody watching your connection can tell when you do. The network sets the rates every client uses; you may raise yours
        (more cover, more bandwidth), never lower them below the network's. A change applies at once and is kept in {settings.configFile}.
      </p>
      {/* noValidate: a rate below the network's reaches the daemon, whose refusal says why (the browser's own bubble would not). */}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (invalid || busy) return;
          void apply(Object.fromEntries(parsed.map((p) => [p.key, p.value])) as Record<keyof CoverRates, number | null>);
        }}
      >
        <table class="rates">
          <caption class="sr-only">Cover rates, packets a second</caption>
          <thead>
            <tr>
              <th scope="col">Stream</th>
              <th scope="col">Network</th>
              <th scope="col">Your raise</th>
              <th scope="col">In use</th>
            </tr>
          </thead>
          <tbody>
            {RATES.map(({ key, name, what }) => (
              <tr key={key} data-rate={key}>
                <th scope="row">
                  {name} <span class="muted">{what}</span>
                </th>
                <td data-field={`network-${key}`}>{cover.network ? rate(cover.network[key]) : '—'}</td>
                <td>
                  <label class="sr-only" for={`raise-${key}`}>
                    Your raise of {name}, {what} (empty: the network's)
                  </label>
                  <input
                    id={`raise-${key}`}
                    type="number"
                    inputMode="decimal"
                    min={cover.network ? cover.network[key] : 0}
                    max={1000}
                    step="any"
                    placeholder="none"
                    value={wanted[key]}
                    onInput={(e) => {
                      const value = (e.currentTarget as HTMLInputElement).value;
                      setWanted((w) => ({ ...w, [key]: value }));
                    }}
                  />
                </td>
                <td data-field={`effective-${key}`}>{rate(cover.effective[key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p data-field="cover-cost" aria-live="polite">
          At these rates your client sends about <strong>{dailySize(sentPerDay)} a day</strong> and receives about <strong>{dailySize(receivedPerDay)} a day</strong> (packets of{' '}
          {c.packetBytes.toLocaleString('en')} bytes, {rate(cover.fetchPerSecond)} mailbox fetch a second; the link adds a few percent).
        </p>
        <div class="actions">
          <button type="submit" disabled={busy || invalid}>
            Apply the rates
          </button>
          <button type="button" data-action="network-rates" disabled={busy} onClick={() => void apply({ lambdaP: null, lambdaL: null, lambdaD: null })}>
            Use the network's rates
          </button>
        </div>
        {invalid && <p class="alert">A rate must be a number (or empty for the network's).</p>}
        {saved && (
          <p class="muted" role="status">
            {saved}
          </p>
        )}
        {error && (
          <p class="alert" role="alert" data-field="cover-error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}

/** The daemon's strength estimate of a passphrase. */
const askDaemon = (passphrase: string): Promise<PassphraseStrengthInfo> => call<PassphraseStrengthInfo>('passphrase.strength', { passphrase });

/** A new passphrase with its strength meter: the input, the meter (zxcvbn's 0 … 4) and the verdict in words. */
function NewPassphrase({ id, label, value, onInput, strength }: { id: string; label: string; value: string; onInput(v: string): void; strength: PassphraseStrengthInfo | null }) {
  return (
    <>
      <label for={id}>{label}</label>
      <input id={id} type="password" autoComplete="new-password" value={value} aria-describedby={`${id}-strength`} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} />
      <div class="strength" data-verdict={strength?.verdict ?? ''}>
        <meter id={`${id}-meter`} min={0} max={4} low={2} high={3.5} optimum={4} value={strength ? strength.score : 0} aria-label={`Strength of the ${label.toLowerCase()}`} />
        <p id={`${id}-strength`} class="hint" aria-live="polite" data-field={`${id}-strength`}>
          {strengthLine(value, strength)}
        </p>
      </div>
    </>
  );
}

interface NewPassphraseFormProps {
  /** The section's id prefix ('passphrase', 'backup'): the form's element ids and data-field names start with it. */
  prefix: string;
  /** The id of the new passphrase's field (its meter and verdict take it as their prefix). */
  newId: string;
  newLabel: string;
  againLabel: string;
  /** Said when the two new passphrases differ. */
  mismatch: string;
  submitLabel: string;
  busyLabel?: string;
  /** Fields before the new passphrase (the current one), whether they are filled, and how to clear them after. */
  children?: ComponentChildren;
  filled?: boolean;
  onCleared?(): void;
  /** Does the work with the new passphrase; resolves with what to say once done. */
  run(passphrase: string, acceptWeak: boolean): Promise<string>;
}

/**
 * A form that asks for a new passphrase twice, with the strength meter, the
 * "use it anyway" check a weak one needs, and the outcome in words: the
 * passphrase change and the backup share it. The daemon judges strength and
 * refuses a weak passphrase not accepted as such; the fields are emptied
 * once the call succeeded.
 */
function NewPassphraseForm(props: NewPassphraseFormProps) {
  const { prefix, newId } = props;
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const strength = useStrength(next, askDaemon);
  const weak = strength?.verdict === 'weak';
  const ready = (props.filled ?? true) && next !== '' && again !== '' && !busy;

  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        if (!ready) return;
        setError(null);
        setDone(null);
        if (next !== again) {
          setError(props.mismatch);
          return;
        }
        setBusy(true);
        try {
          const said = await props.run(next, weak && acceptWeak);
          setNext('');
          setAgain('');
          setAcceptWeak(false);
          props.onCleared?.();
          setDone(said);
        } catch (err) {
          setError(messageOf(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      {props.children}
      <NewPassphrase id={newId} label={props.newLabel} value={next} onInput={setNext} strength={strength} />
      <label for={`${prefix}-again`}>{props.againLabel}</label>
      <input id={`${prefix}-again`} type="password" autoComplete="new-password" value={again} onInput={(e) => setAgain((e.currentTarget as HTMLInputElement).value)} />
      {weak && (
        <div class="check">
          <input id={`${prefix}-accept-weak`} type="checkbox" checked={acceptWeak} onChange={(e) => setAcceptWeak((e.currentTarget as HTMLInputElement).checked)} />
          <label for={`${prefix}-accept-weak`}>Use it anyway, though it is weak</label>
        </div>
      )}
      <button type="submit" disabled={!ready}>
        {busy && props.busyLabel ? props.busyLabel : props.submitLabel}
      </button>
      {done && (
        <p class="done" role="status" data-field={`${prefix}-done`}>
          {done}
        </p>
      )}
      {error && (
        <p class="alert" role="alert" data-field={`${prefix}-error`}>
          {error}
        </p>
      )}
    </form>
  );
}

function PassphraseChange() {
  const [current, setCurrent] = useState('');
  return (
    <section class="settings-section" aria-labelledby="passphrase-title">
      <h3 id="passphrase-title">Passphrase</h3>
      <p class="muted">
        It protects your profile on this computer: whoever copies the folder must guess it. Changing it does not stop the daemon. The web app passes it to the daemon for this change only; it is never
        stored or logged.
      </p>
      <NewPassphraseForm
        prefix="passphrase"
        newId="passphrase-next"
        newLabel="New passphrase"
        againLabel="Repeat the new passphrase"
        mismatch="The two new passphrases differ: type the new one again."
        submitLabel="Change the passphrase"
        filled={current !== ''}
        onCleared={() => setCurrent('')}
        run={async (next, acceptWeak) => {
          const result = await call<{ verdict: PassphraseStrengthInfo['verdict'] }>('profile.passphrase', { current, next, acceptWeak });
          return `Changed${result.verdict === 'weak' ? ' (to a weak passphrase, as you accepted)' : ''}: your profile now opens with the new passphrase only. If the daemon reads its passphrase from a file or CHAFF_PASSPHRASE (a service), update that before it restarts. Copies of the profile made before still open with the old one.`;
        }}
      >
        <label for="passphrase-current">Current passphrase</label>
        <input id="passphrase-current" type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent((e.currentTarget as HTMLInputElement).value)} />
      </NewPassphraseForm>
    </section>
  );
}

/** "contacts 3, messages 120, files 2, groups 1": what a backup holds, of what a user knows. */
function holding(records: Record<string, number>): string {
  const n = (k: string) => records[k] ?? 0;
  const word = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return [word(n('contacts'), 'contact', 'contacts'), word(n('messages'), 'message', 'messages'), word(n('files'), 'file', 'files'), word(n('groups'), 'group', 'groups')].join(', ');
}

/** chaff-backup-2026-01-01.chaff-backup (the local date). */
function backupName(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `chaff-backup-${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}.chaff-backup`;
}

function Backup() {
  return (
    <section class="settings-section" aria-labelledby="backup-title">
      <h3 id="backup-title">Backup</h3>
      <p class="muted">
        One file with your whole profile: keys, contacts, history, files, groups and settings, encrypted under a backup passphrase you choose here (it may be your profile's). Whoever has the file and
        the passphrase is you: keep both safe.
      </p>
      <NewPassphraseForm
        prefix="backup"
        newId="backup-passphrase"
        newLabel="Backup passphrase"
        againLabel="Repeat the backup passphrase"
        mismatch="The two backup passphrases differ: type it again."
        submitLabel="Download a backup"
        busyLabel="Making the backup…"
        run={async (passphrase, acceptWeak) => {
          const backup = await call<ProfileBackup>('profile.backup', { passphrase, acceptWeak });
          const name = backupName(backup.createdMs);
          saveFile(name, backup.data);
          return `Downloaded ${name} (${byteSize(backup.bytes)}): ${holding(backup.records)}, your keys and settings. It opens with the backup passphrase.`;
        }}
      />
      <p class="muted">
        To restore it, on this computer or another, into a new profile folder (a running daemon cannot make one, so this is a command): <code>chaff client import FILE --profile NEW-FOLDER</code>, then{' '}
        <code>chaff client daemon --profile NEW-FOLDER</code>. Never run a daemon on the copy while this one runs: both would use the same keys.
      </p>
    </section>
  );
}
