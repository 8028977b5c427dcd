// The daemon's hold on the network, as the user sees it (docs/client.md
// §Offline): whether it has a verified document for the epoch now and
// whether its gateway connection is open, each with the time it last
// changed. The daemon runs without either (history, contacts and the API
// work; what is sent waits in the queue); this only watches. It looks once
// a `checkIntervalMs` on the clock, and on each change logs it and pushes a
// `connection` event to the front ends (client/api.ts ConnectionInfo), so
// the chat and the web app can say what is missing.
//
// A Startable: start() takes the first look, stop() cancels the timer.

import type { Clock, TimerHandle } from '../../protocol/traffic/clock.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import type { ClientEvent, ConnectionInfo } from '../api.js';
import type { GatewayLinkLike } from '../net/gateway-link.js';
import type { NetworkView } from './network-view.js';

export interface ConnectionWatchInit {
  /** How often to look. Default 1 s. */
  checkIntervalMs?: number;
}

export interface ConnectionWatchComponents {
  clock: Clock;
  logger: Logger;
  view: Pick<NetworkView, 'usable' | 'newest'>;
  link: Pick<GatewayLinkLike, 'connected' | 'lastError' | 'gateway'>;
  emit: (event: ClientEvent) => void;
}

const DEFAULT_CHECK_INTERVAL_MS = 1000;

export class ConnectionWatch implements Startable {
  readonly #c: ConnectionWatchComponents;
  readonly #intervalMs: number;
  readonly #startedMs: number;
  #state: ConnectionInfo;
  #timer: TimerHandle | null = null;
  #running = false;

  constructor(components: ConnectionWatchComponents, init: ConnectionWatchInit = {}) {
    this.#c = components;
    this.#intervalMs = init.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    this.#startedMs = components.clock.now();
    this.#state = this.#look(null);
  }

  /** The state at the last look, taken again now (status calls it). */
  state(): ConnectionInfo {
    this.check();
    return structuredClone(this.#state);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.check();
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Looks now; a change is logged and pushed as a `connection` event. */
  check(): void {
    const before = this.#state;
    const after = this.#look(before);
    this.#state = after;
    if (after.document.verified === before.document.verified && after.gateway.connected === before.gateway.connected) return;
    const { logger } = this.#c;
    if (after.online) logger.info('online: the network document is verified and the gateway connected', { epoch: after.document.epoch, gateway: this.#c.link.gateway.name });
    else {
      logger.warn('offline: messages are queued until the network is back', {
        document: after.document.verified ? 'verified' : 'none for the epoch now',
        gateway: after.gateway.connected ? 'connected' : 'unreachable',
        ...(after.gateway.error ? { error: after.gateway.error } : {}),
      });
    }
    this.#c.emit({ type: 'connection', connection: structuredClone(after) });
  }

  #arm(): void {
    if (!this.#running) return;
    this.#timer = this.#c.clock.at(this.#c.clock.now() + this.#intervalMs, () => {
      this.#timer = null;
      this.check();
      this.#arm();
    });
  }

  #look(before: ConnectionInfo | null): ConnectionInfo {
    const now = this.#c.clock.now();
    const verified = this.#c.view.usable() !== undefined;
    const connected = this.#c.link.connected;
    const since = (was: boolean | undefined, is: boolean, sinceMs: number | undefined): number => (was === is && sinceMs !== undefined ? sinceMs : before ? now : this.#startedMs);
    return {
      online: verified && connected,
      document: { verified, epoch: this.#c.view.newest()?.epoch ?? null, sinceMs: since(before?.document.verified, verified, before?.document.sinceMs) },
      gateway: { connected, sinceMs: since(before?.gateway.connected, connected, before?.gateway.sinceMs), error: connected ? null : this.#c.link.lastError },
    };
  }
}
