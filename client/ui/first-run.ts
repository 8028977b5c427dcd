// The web app's first run (docs/web-app.md §First run): when `chaff client
// ui --network FILE` finds no profile in its folder, its server offers
// these endpoints beside the app's (behind the same RequestGuard: secret
// URL, session cookie, Host and Origin):
//
//   GET  /api/first-run           the state: the network's gateways (from
//                                 its current verified document), what init
//                                 waits for, the address once created, the
//                                 daemon's state
//   POST /api/first-run/strength  {passphrase} → the strength verdict
//                                 (client/store/passphrase-strength.ts, the
//                                 check the daemon and the CLI apply)
//   POST /api/first-run/create    {passphrase, repeat, acceptWeak, gateway,
//                                 invite} → 202, then initProfile runs
//
// Once the profile is made, the client daemon is started for it
// (daemon-spawn.ts) and the page switches to the app. The passphrase is
// kept only while init and the daemon's start need it: the request's bytes
// are zeroed once parsed, and the string is dropped (JavaScript cannot wipe
// a string: its memory is reused later). It is never logged, never in a
// URL, and no answer repeats it.

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { formatDuration } from '../../protocol/util/format-duration.js';
import { parseInviteToken } from '../../protocol/wire/register.js';
import { systemClock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/log/logger.js';
import { authorityPeers } from '../../runtime/pki/authority-peers.js';
import { PkiClient } from '../../runtime/pki/pki-client.js';
import type { PassphraseStrengthInfo } from '../api.js';
import { loadNetworkFile } from '../config.js';
import { DEFAULT_DOCUMENT_WAIT_MS, waitForDocument, type DocumentWaitProgress } from '../document-wait.js';
import { initProfile, type InitOptions } from '../init.js';
import { GatewayLink } from '../net/gateway-link.js';
import type { ScryptParams } from '../store/passphrase.js';
import { PROFILE_FILE } from '../store/profile-key.js';
import { DB_FOLDER } from '../store/sealed-store.js';
import { daemonCommandLine, spawnDaemon, type ChaffCommand } from './daemon-spawn.js';
import type { DaemonState, FirstRunPhase, FirstRunState } from './first-run-state.js';

/** The longest passphrase the page takes (characters): the daemon's passphrase file holds at most 4096 bytes. */
export const MAX_PASSPHRASE_LENGTH = 1024;
/** A first-run call's body: a passphrase twice and a few fields. */
export const MAX_FIRST_RUN_BODY_BYTES = 16 * 1024;

export type { DaemonState, FirstRunPhase, FirstRunState } from './first-run-state.js';

export interface FirstRunInit {
  profileDir: string;
  /** The network file (`--network FILE`). */
  network: string;
  /** How `chaff` is run to start the daemon; null: never start it (the page shows the command). */
  chaffCommand: ChaffCommand | null;
  /** scrypt cost (tests); default initProfile's. */
  scrypt?: ScryptParams;
  /** Longest wait for the network's document (default 5 min). */
  waitMs?: number;
}

export interface FirstRunComponents {
  logger: Logger;
  /** Whether the client daemon answers now (the DaemonLink). */
  daemonConnected(): boolean;
  /** Told once the daemon has been started (the web app starts its DaemonLink then). */
  onDaemonStarted?(): void;
  /** The profile maker; initProfile unless given (tests). */
  init?: (options: InitOptions) => Promise<{ address: string; gateway: string }>;
}

/** A refusal of a first-run call: HTTP status, a ClientError-like code, words. */
export class FirstRunRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly verdict?: 'refused' | 'weak',
  ) {
    super(message);
    this.name = 'FirstRunRefusal';
  }
}

/** Whether `dir` holds a profile (its profile.json, or a database createProfile would refuse to mix with a new key). */
export function profileExists(dir: string): boolean {
  if (existsSync(join(dir, PROFILE_FILE))) return true;
  const db = join(dir, DB_FOLDER);
  return existsSync(db) && readdirSync(db).length > 0;
}

function waitLine(p: DocumentWaitProgress): string {
  const what = p.epoch === null ? "Waiting for the network's first epoch" : `Waiting for the network's document (epoch ${p.epoch})`;
  return `${what}: ${p.reason}… ${Math.floor(p.waitedMs / 1000)} s of at most ${formatDuration(p.limitMs)}`;
}

export class FirstRun {
  readonly #init: FirstRunInit;
  readonly #c: FirstRunComponents;
  #phase: FirstRunPhase = 'form';
  #gateways: string[] | null = null;
  #networkWaiting: string | null = null;
  #networkError: string | null = null;
  #progress: string | null = null;
  #error: string | null = null;
  #created: { address: string; gateway: string } | null = null;
  #daemon: { state: DaemonState; message: string | null } = { state: 'not-started', message: null };
  #stopped = false;
  #daemonPid: number | null = null;
  #work: Promise<unknown> = Promise.resolve();

  constructor(components: FirstRunComponents, init: FirstRunInit) {
    this.#c = components;
    this.#init = init;
  }

  /** Starts fetching the network's document for the gateway list (in the background). */
  start(): void {
    this.#networkWaiting = "Fetching the network's document…";
    this.#work = this.#loadGateways();
  }

  /** Ends the waits for the network (at their next progress report) and waits for the background work, 5 s at most. */
  async stop(): Promise<void> {
    this.#stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
  }

  /** The process id of the daemon this first run started, if it did. */
  get daemonPid(): number | null {
    return this.#daemonPid;
  }

  state(): FirstRunState {
    const daemonState = this.#daemon.state === 'starting' || this.#daemon.state === 'failed' ? (this.#c.daemonConnected() ? 'running' : this.#daemon.state) : this.#daemon.state;
    return {
      active: true,
      profileDir: this.#init.profileDir,
      phase: this.#phase,
      gateways: this.#gateways,
      networkWaiting: this.#networkWaiting,
      networkError: this.#networkError,
      progress: this.#progress,
      error: this.#error,
      created: this.#created,
      daemon: { state: daemonState, message: this.#daemon.message, command: daemonCommandLine(this.#init.profileDir) },
    };
  }

  /** POST /api/first-run/strength: the verdict of the strength check a new profile's passphrase must pass. */
  async strength(body: unknown): Promise<PassphraseStrengthInfo> {
    const { passphrase } = fields(body, ['passphrase']);
    const text = passphraseField(passphrase, 'passphrase');
    const { assessPassphrase, describeStrength } = await import('../store/passphrase-strength.js');
    const { profilePassphraseContext } = await import('../store/passphrase.js');
    const s = assessPassphrase(text, profilePassphraseContext(this.#init.profileDir));
    return { ...s, text: describeStrength(s) };
  }

  /**
   * POST /api/first-run/create: checks what it can at once (the two
   * passphrases, their strength, the invite token, no profile yet) and
   * starts initProfile, whose progress and end the state tells.
   */
  async create(body: unknown): Promise<FirstRunState> {
    // The estimator first (it loads once): every check below is synchronous, so two creates cannot both pass them.
    const { checkNewPassphrase, PassphraseStrengthError } = await import('../store/passphrase-strength.js');
    const { profilePassphraseContext } = await import('../store/passphrase.js');
    const f = fields(body, ['passphrase', 'repeat', 'acceptWeak', 'gateway', 'invite']);
    let passphrase: string | null = passphraseField(f.passphrase, 'passphrase');
    if (f.repeat !== passphrase) throw new FirstRunRefusal(422, 'bad-request', 'the two passphrases differ');
    if (f.acceptWeak !== undefined && typeof f.acceptWeak !== 'boolean') throw new FirstRunRefusal(400, 'bad-request', '"acceptWeak" must be true or false');
    if (f.gateway !== undefined && f.gateway !== null && (typeof f.gateway !== 'string' || f.gateway.length > 200)) throw new FirstRunRefusal(400, 'bad-request', '"gateway" must be a name');
    if (f.invite !== undefined && f.invite !== null && typeof f.invite !== 'string') throw new FirstRunRefusal(400, 'bad-request', '"invite" must be a string');
    if (this.#phase !== 'form') throw new FirstRunRefusal(409, 'bad-request', this.#phase === 'creating' ? 'the profile is being created' : 'the profile has been created');
    if (profileExists(this.#init.profileDir)) throw new FirstRunRefusal(409, 'bad-request', `${this.#init.profileDir} holds a profile already; it is never overwritten`);
    let inviteToken: Uint8Array | undefined;
    const invite = typeof f.invite === 'string' ? f.invite.trim() : '';
    if (invite !== '') {
      try {
        inviteToken = parseInviteToken(invite);
      } catch (err) {
        throw new FirstRunRefusal(422, 'bad-request', `the invite token: ${(err as Error).message}`);
      }
    }
    try {
      checkNewPassphrase(passphrase, { context: profilePassphraseContext(this.#init.profileDir), acceptWeak: f.acceptWeak === true });
    } catch (err) {
      if (!(err instanceof PassphraseStrengthError)) throw err;
      const advice = err.verdict === 'refused' ? 'Choose another.' : 'To use it anyway, tick "Use it anyway, though it is weak".';
      throw new FirstRunRefusal(422, 'weak-passphrase', `${err.message} ${advice}`, err.verdict);
    }
    const gateway = typeof f.gateway === 'string' && f.gateway !== '' ? f.gateway : undefined;
    this.#phase = 'creating';
    this.#error = null;
    this.#progress = 'Registering with the gateway…';
    const run = async (): Promise<void> => {
      try {
        const init = this.#c.init ?? initProfile;
        const created = await init({
          profileDir: this.#init.profileDir,
          passphrase: passphrase!,
          network: this.#init.network,
          ...(gateway !== undefined ? { gateway } : {}),
          ...(inviteToken ? { inviteToken } : {}),
          ...(this.#init.scrypt ? { scrypt: this.#init.scrypt } : {}),
          ...(this.#init.waitMs !== undefined ? { waitMs: this.#init.waitMs } : {}),
          onWaiting: (p) => {
            if (this.#stopped) throw new Error('the web app is stopping');
            this.#progress = waitLine(p);
          },
        });
        this.#created = created;
        this.#phase = 'created';
        this.#progress = null;
        this.#c.logger.info('first run: profile created', { profileDir: this.#init.profileDir, gateway: created.gateway });
      } catch (err) {
        this.#phase = 'form';
        this.#progress = null;
        this.#error = `The profile was not created: ${err instanceof Error ? err.message : String(err)}`;
        passphrase = null;
        return;
      } finally {
        inviteToken?.fill(0);
      }
      try {
        await this.#startDaemon(passphrase!);
      } finally {
        passphrase = null;
      }
    };
    this.#work = Promise.all([this.#work, run()]);
    return this.state();
  }

  async #startDaemon(passphrase: string): Promise<void> {
    const command = this.#init.chaffCommand;
    if (command === null || this.#stopped) {
      this.#daemon = { state: 'failed', message: 'Start the client daemon yourself:' };
      return;
    }
    this.#daemon = { state: 'starting', message: null };
    try {
      const spawned = await spawnDaemon(command, this.#init.profileDir, passphrase);
      this.#daemonPid = spawned.pid;
      this.#c.logger.info('first run: client daemon started', { pid: spawned.pid });
      void spawned.exited.then((how) => {
        if (this.#c.daemonConnected()) return;
        this.#daemon = { state: 'failed', message: `The client daemon stopped (${how}); see daemon.log in the profile folder. Start it yourself:` };
      });
      this.#c.onDaemonStarted?.();
    } catch (err) {
      this.#c.logger.warn('first run: could not start the client daemon', { error: (err as Error).message });
      this.#daemon = { state: 'failed', message: `The client daemon could not be started: ${(err as Error).message}. Start it yourself:` };
      this.#c.onDaemonStarted?.();
    }
  }

  async #loadGateways(): Promise<void> {
    let network;
    try {
      network = loadNetworkFile(this.#init.network);
    } catch (err) {
      this.#networkWaiting = null;
      this.#networkError = `cannot read the network file ${this.#init.network}: ${(err as Error).message}`;
      return;
    }
    // The document's cache goes to a folder of its own, not the profile's: init fetches (and caches) it again there.
    const cache = mkdtempSync(join(tmpdir(), 'chaff-first-run-'));
    let host: Awaited<ReturnType<typeof GatewayLink.createHost>> | undefined;
    try {
      host = await GatewayLink.createHost(await generateKeyPair('Ed25519'));
      const pki = new PkiClient({ host }, { authorities: authorityPeers(network.authorities), dataDir: cache });
      await pki.start();
      const doc = await waitForDocument(pki, network, systemClock, {
        limitMs: this.#init.waitMs ?? DEFAULT_DOCUMENT_WAIT_MS,
        onWaiting: (p) => {
          if (this.#stopped) throw new Error('the web app is stopping');
          this.#networkWaiting = waitLine(p);
        },
      });
      this.#gateways = doc.document.gateways.map((g) => g.name);
    } catch (err) {
      this.#networkError = `the network's gateways could not be listed: ${(err as Error).message}`;
    } finally {
      this.#networkWaiting = null;
      if (host) await Promise.resolve(host.stop()).catch(() => undefined);
      rmSync(cache, { recursive: true, force: true });
    }
  }
}

function fields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FirstRunRefusal(400, 'bad-request', 'the body must be a JSON object');
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!allowed.includes(key)) throw new FirstRunRefusal(400, 'bad-request', `unknown member ${JSON.stringify(key)}`);
  return record;
}

function passphraseField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new FirstRunRefusal(422, 'bad-request', `the ${name} is empty`);
  if (value.length > MAX_PASSPHRASE_LENGTH) throw new FirstRunRefusal(422, 'bad-request', `the ${name} is longer than ${MAX_PASSPHRASE_LENGTH} characters`);
  if (/[\r\n]/.test(value)) throw new FirstRunRefusal(422, 'bad-request', `the ${name} may not hold a line break`);
  return value;
}

/** The body of a first-run call, parsed; its bytes are zeroed (they may hold a passphrase). null when too large. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; reason: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunk.fill(0);
    });
    req.on('end', () => resolve());
    req.on('error', reject);
  });
  const body = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  try {
    if (size > limit) return { ok: false, status: 413, reason: `a first-run call's body holds at most ${limit} bytes` };
    try {
      return { ok: true, value: JSON.parse(body.toString('utf8')) };
    } catch {
      return { ok: false, status: 400, reason: 'the body is not JSON' };
    }
  } finally {
    body.fill(0);
  }
}
