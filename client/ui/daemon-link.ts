// The web app's server's connection to the client daemon, kept open: the UI
// outlives a daemon restart. While the daemon is away every call fails with
// ClientError 'unavailable' and the link retries with backoff (0.5 s
// doubling to 10 s); once it is back, the event subscription is renewed and
// the listeners hear a `daemon` change, so the app shows the state.

import type { ClientApi, ClientEvent } from '../api.js';
import { ClientError } from '../api.js';
import type { ClientApiConnection } from '../rpc/client.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';

export interface DaemonLinkInit {
  /** Opens a new connection to the daemon (connectClientApi on its socket). */
  connect(): Promise<ClientApiConnection>;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface DaemonLinkComponents {
  logger: Logger;
}

/** A ClientApi that follows the daemon across restarts; `connected` says whether one answers now. */
export class DaemonLink implements Startable {
  readonly #init: DaemonLinkInit;
  readonly #log: Logger;
  readonly #listeners = new Set<(event: ClientEvent) => void>();
  readonly #connectionListeners = new Set<(connected: boolean) => void>();
  #connection: ClientApiConnection | null = null;
  #unsubscribe: (() => void) | null = null;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #backoffMs: number;

  constructor(components: DaemonLinkComponents, init: DaemonLinkInit) {
    this.#init = init;
    this.#log = components.logger;
    this.#backoffMs = init.minBackoffMs ?? 500;
  }

  get connected(): boolean {
    return this.#connection !== null && !this.#connection.ended;
  }

  /** Connects once; a failure is not fatal (the link keeps trying). */
  async start(): Promise<void> {
    await this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    await this.#connection?.close();
    this.#connection = null;
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    try {
      const connection = await this.#init.connect();
      if (this.#stopped) {
        await connection.close();
        return;
      }
      this.#connection = connection;
      this.#backoffMs = this.#init.minBackoffMs ?? 500;
      if (this.#listeners.size > 0) this.#unsubscribe = connection.subscribe((e) => this.#fanOut(e));
      this.#log.info('connected to the client daemon');
      this.#announce(true);
      void connection.closed.then(() => this.#lost(connection));
    } catch (err) {
      this.#log.debug('the client daemon does not answer', { error: (err as Error).message });
      this.#retry();
    }
  }

  #lost(connection: ClientApiConnection): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    this.#unsubscribe = null;
    if (this.#stopped) return;
    this.#log.warn('lost the client daemon; reconnecting');
    this.#announce(false);
    this.#retry();
  }

  #retry(): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#init.maxBackoffMs ?? 10_000);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#attempt();
    }, delay);
  }

  #announce(connected: boolean): void {
    for (const l of this.#connectionListeners) l(connected);
  }

  #fanOut(event: ClientEvent): void {
    for (const l of this.#listeners) l(event);
  }

  #current(): ClientApiConnection {
    if (!this.connected) throw new ClientError('unavailable', 'the chaff client daemon is not running (the web app reconnects when it is back)');
    return this.#connection!;
  }

  /** The daemon's API through whatever connection is current. */
  api(): ClientApi {
    const call =
      <K extends keyof ClientApi>(name: K) =>
      // async: no daemon is a rejected promise, as ClientApi promises, never a throw.
      async (...args: unknown[]): Promise<unknown> =>
        (this.#current()[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    const api = {} as Record<keyof ClientApi, unknown>;
    for (const name of API_NAMES) api[name] = call(name);
    api.subscribe = (listener: (event: ClientEvent) => void) => {
      this.#listeners.add(listener);
      if (this.#listeners.size === 1 && this.connected) this.#unsubscribe = this.#connection!.subscribe((e) => this.#fanOut(e));
      return () => {
        this.#listeners.delete(listener);
        if (this.#listeners.size === 0) {
          this.#unsubscribe?.();
          this.#unsubscribe = null;
        }
      };
    };
    return api as unknown as ClientApi;
  }
}

type CallName = Exclude<keyof ClientApi, 'subscribe'>;
/** Every call of ClientApi but subscribe (a Record, so the compiler notices a method added to ClientApi and not here). */
const API_NAMES = Object.keys({
  status: true,
  address: true,
  addContact: true,
  listContacts: true,
  removeContact: true,
  acceptContactKey: true,
  rejectContactKey: true,
  markVerified: true,
  sendText: true,
  sendFile: true,
  history: true,
  historyPage: true,
  inbox: true,
  markRead: true,
  fileData: true,
  verify: true,
  rotateDeliveryId: true,
  handle: true,
  claimHandle: true,
  releaseHandle: true,
  groupCreate: true,
  groupInvite: true,
  groupAccept: true,
  groupDecline: true,
  groupLeave: true,
  groupRemove: true,
  groupRename: true,
  groupSendText: true,
  groupSendFile: true,
  groupList: true,
  groupHistory: true,
  groupMarkRead: true,
  block: true,
  unblock: true,
  listBlocked: true,
  settings: true,
  setSettings: true,
  passphraseStrength: true,
  changePassphrase: true,
  backup: true,
} satisfies Record<CallName, true>) as CallName[];
