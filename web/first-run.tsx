// The first run (docs/web-app.md §First run): `chaff client ui --network
// FILE` on a folder with no profile serves this page instead of the app. It
// asks for a passphrase twice (with the strength meter: the server runs the
// check the daemon and `chaff client init` apply), a gateway of the
// network's current document (default: one at random, as init picks) and an
// invite token if the gateway's operator gave one, then the server creates
// the profile (initProfile), whose wait for the network shows here. Then:
// the address as text and QR code, while the server starts the client
// daemon; once it runs, "Open Chaff" switches to the app.
//
// The passphrases live in this page's state only while typed: they go to
// the server in the strength check (a moment after the typing stops) and in
// the create call, and the fields are emptied once that call is accepted.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { PassphraseStrengthInfo } from '../client/api.js';
import type { FirstRunState } from '../client/ui/first-run-state.js';
import { strengthLine, useStrength } from './passphrase-strength.js';
import { QrCode } from './qr-code.js';
import './first-run.css';

const POLL_MS = 500;

class FirstRunError extends Error {
  constructor(
    message: string,
    readonly verdict?: 'refused' | 'weak',
  ) {
    super(message);
    this.name = 'FirstRunError';
  }
}

/** The first run's state, or null when the server has none to give (an older server, or it is away): the app is shown. */
export async function firstRunState(): Promise<FirstRunState | { active: false } | null> {
  try {
    const response = await fetch('/api/first-run', { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok || !(response.headers.get('Content-Type') ?? '').startsWith('application/json')) return null;
    return (await response.json()) as FirstRunState | { active: false };
  } catch {
    return null;
  }
}

async function post<T>(action: 'strength' | 'create', body: Record<string, unknown>): Promise<T> {
  const response = await fetch(`/api/first-run/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.startsWith('application/json')) throw new FirstRunError(`${response.status}: ${(await response.text()).trim()}`);
  const answer = (await response.json()) as { result?: T; error?: { message: string; verdict?: 'refused' | 'weak' } };
  if (answer.error) throw new FirstRunError(answer.error.message, answer.error.verdict);
  return answer.result as T;
}

/** The UI server's strength estimate of a passphrase (no daemon yet). */
const askServer = (passphrase: string): Promise<PassphraseStrengthInfo> => post<PassphraseStrengthInfo>('strength', { passphrase });

export function FirstRunPage({ initial, onOpenApp }: { initial: FirstRunState; onOpenApp(): void }) {
  const [state, setState] = useState<FirstRunState>(initial);
  const title = useRef<HTMLHeadingElement>(null);

  // Polls while something is under way: the gateway list, init, the daemon's start.
  const busy = (state.gateways === null && state.networkError === null) || state.phase === 'creating' || (state.phase === 'created' && state.daemon.state !== 'running');
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => {
      void firstRunState().then((s) => {
        if (s && s.active) setState(s);
      });
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [busy]);

  useEffect(() => {
    document.title = state.phase === 'created' ? 'Your profile is ready · Chaff' : 'Create your profile · Chaff';
    // The created screen moves the focus itself (its heading, then "Open Chaff").
    if (state.phase !== 'created') title.current?.focus();
  }, [state.phase]);

  return (
    <main class="first-run" id="first-run" data-phase={state.phase}>
      {state.phase === 'created' && state.created ? (
        <Created state={state} created={state.created} onOpenApp={onOpenApp} />
      ) : (
        <>
          <h1 ref={title} tabIndex={-1}>
            Create your Chaff profile
          </h1>
          <p class="muted">
            Your profile holds your keys and your messages, encrypted under a passphrase, in <span data-field="profile-dir">{state.profileDir}</span>. Nobody can reset the passphrase: without it the
            profile cannot be opened.
          </p>
          {state.phase === 'creating' ? <Creating state={state} /> : <CreateForm state={state} onAccepted={setState} />}
        </>
      )}
    </main>
  );
}

function Creating({ state }: { state: FirstRunState }) {
  return (
    <section aria-labelledby="creating-title">
      <h2 id="creating-title">Creating your profile…</h2>
      <p role="status" data-field="first-run-progress">
        {state.progress ?? 'Creating your profile…'}
      </p>
    </section>
  );
}

function CreateForm({ state, onAccepted }: { state: FirstRunState; onAccepted(s: FirstRunState): void }) {
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [gateway, setGateway] = useState('');
  const [invite, setInvite] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const strength = useStrength(passphrase, askServer);
  const weak = strength?.verdict === 'weak';
  const shownError = error ?? state.error;

  const submit = async (): Promise<void> => {
    if (sending) return;
    if (passphrase !== repeat) {
      setError('The two passphrases differ.');
      return;
    }
    setSending(true);
    setError(null);
    try {
      const next = await post<FirstRunState>('create', { passphrase, repeat, acceptWeak: weak && acceptWeak, gateway: gateway === '' ? null : gateway, invite: invite.trim() === '' ? null : invite });
      // Accepted: the passphrase leaves this page's state.
      setPassphrase('');
      setRepeat('');
      setInvite('');
      onAccepted(next);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      noValidate
      aria-labelledby="create-title"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="create-title">Your passphrase</h2>
      <label for="first-passphrase">Passphrase</label>
      <input
        id="first-passphrase"
        type="password"
        autoComplete="new-password"
        value={passphrase}
        aria-describedby="first-passphrase-strength"
        onInput={(e) => setPassphrase((e.currentTarget as HTMLInputElement).value)}
      />
      <div class="strength" data-verdict={strength?.verdict ?? ''}>
        <meter id="first-passphrase-meter" min={0} max={4} low={2} high={3.5} optimum={4} value={strength ? strength.score : 0} aria-label="Strength of the passphrase" />
        <p id="first-passphrase-strength" class="hint" aria-live="polite" data-field="first-passphrase-strength">
          {passphrase === '' ? 'Four or five random words, or a sentence only you would write, make a good one.' : strengthLine(passphrase, strength)}
        </p>
      </div>
      {weak && (
        <div class="check">
          <input id="first-accept-weak" type="checkbox" checked={acceptWeak} onChange={(e) => setAcceptWeak((e.currentTarget as HTMLInputElement).checked)} />
          <label for="first-accept-weak">Use it anyway, though it is weak</label>
        </div>
      )}
      <label for="first-repeat">Repeat the passphrase</label>
      <input id="first-repeat" type="password" autoComplete="new-password" value={repeat} onInput={(e) => setRepeat((e.currentTarget as HTMLInputElement).value)} />

      <h2>Your gateway</h2>
      <label for="first-gateway">Gateway</label>
      <select id="first-gateway" value={gateway} aria-describedby="first-gateway-help" onChange={(e) => setGateway((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">Any (one chosen at random)</option>
        {(state.gateways ?? []).map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <p class="hint muted" id="first-gateway-help">
        The node that keeps your mailbox and through which your client enters the network. {state.gateways !== null ? `The network's document lists ${state.gateways.length}.` : ''}
      </p>
      {state.networkWaiting !== null && (
        <p class="hint" role="status" data-field="first-run-network">
          {state.networkWaiting}
        </p>
      )}
      {state.networkError !== null && (
        <p class="hint alert" role="alert" data-field="first-run-network-error">
          {state.networkError} You can still create the profile with any gateway.
        </p>
      )}
      <label for="first-invite">Invite token (only if your gateway's operator gave you one)</label>
      <input id="first-invite" type="text" autoComplete="off" spellcheck={false} value={invite} onInput={(e) => setInvite((e.currentTarget as HTMLInputElement).value)} />

      <button type="submit" disabled={sending}>
        {sending ? 'Creating…' : 'Create the profile'}
      </button>
      {shownError && (
        <p class="alert" role="alert" data-field="first-run-error">
          {shownError}
        </p>
      )}
    </form>
  );
}

function Created({ state, created, onOpenApp }: { state: FirstRunState; created: { address: string; gateway: string }; onOpenApp(): void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const running = state.daemon.state === 'running';
  const title = useRef<HTMLHeadingElement>(null);
  const open = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    (running ? open.current : title.current)?.focus();
  }, [running]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(created.address);
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not allow copying: select the address and copy it.');
    }
  };
  return (
    <section aria-labelledby="created-title">
      <h1 id="created-title" ref={title} tabIndex={-1}>
        Your profile is ready
      </h1>
      <p>
        Your gateway is <strong data-field="first-run-gateway">{created.gateway}</strong>. This is your address: give it to the people who should be able to write to you. Whoever has it can send you a
        contact request; it does not let anyone read your messages.
      </p>
      {/* Upper case: bech32 allows it and QR's alphanumeric mode packs it tighter, as `chaff client address --qr` draws it. */}
      <QrCode text={created.address.toUpperCase()} label="Your address as a QR code" large />
      <p class="address" data-field="first-run-address">
        {created.address}
      </p>
      <button type="button" onClick={() => void copy()}>
        Copy the address
      </button>
      {copied && <p role="status">{copied}</p>}
      <h2>Your client</h2>
      {running ? (
        <p role="status" data-field="first-run-daemon">
          The client daemon is running: it keeps your connection to the network and sends your cover traffic. It goes on running when you close this page or stop the web app.
        </p>
      ) : state.daemon.state === 'failed' ? (
        <div role="alert" data-field="first-run-daemon">
          <p class="alert">{state.daemon.message}</p>
          <code data-field="first-run-daemon-command">{state.daemon.command}</code>
          <p class="muted">This page waits for it, then offers to open your conversations.</p>
        </div>
      ) : (
        <p role="status" data-field="first-run-daemon">
          Starting the client daemon…
        </p>
      )}
      {running && (
        <button type="button" class="open-app" ref={open} data-action="open-app" onClick={onOpenApp}>
          Open Chaff
        </button>
      )}
    </section>
  );
}
