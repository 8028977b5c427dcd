// Live events for the web app: GET /api/events is a server-sent event stream
// (HTML Living Standard §9.2) carrying
//
//   event: client   data: a ClientEvent (docs/client-api.md §Notifications)
//   event: status   data: {"daemon": bool, "status": ClientStatus | null, "atMs"}
//
// The status goes out once a second while any stream is open (one daemon
// call for all of them): the network panel derives real and cover packets
// per second from consecutive counts. A stream whose browser stops reading
// is closed once more than MAX_UNREAD_BYTES wait for it; the app's
// EventSource reconnects and reloads what it shows.

import type { ServerResponse } from 'node:http';
import type { ClientApi, ClientEvent, ClientStatus } from '../api.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';

export const MAX_UNREAD_BYTES = 4 * 1024 * 1024;
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export interface StatusSnapshot {
  daemon: boolean;
  status: ClientStatus | null;
  atMs: number;
}

export interface EventStreamsInit {
  statusIntervalMs?: number;
}

export interface EventStreamsComponents {
  api: ClientApi;
  logger: Logger;
}

export class EventStreams implements Startable {
  readonly #c: EventStreamsComponents;
  readonly #intervalMs: number;
  readonly #streams = new Set<ServerResponse>();
  #unsubscribe: (() => void) | null = null;
  #statusTimer: NodeJS.Timeout | null = null;
  #keepaliveTimer: NodeJS.Timeout | null = null;
  #polling = false;

  constructor(components: EventStreamsComponents, init: EventStreamsInit) {
    this.#c = components;
    this.#intervalMs = init.statusIntervalMs ?? 1000;
  }

  get open(): number {
    return this.#streams.size;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#c.api.subscribe((event: ClientEvent) => this.#broadcast('client', event));
    this.#statusTimer = setInterval(() => void this.#pollStatus(), this.#intervalMs);
    this.#keepaliveTimer = setInterval(() => this.#write(': keepalive\n\n'), KEEPALIVE_MS);
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    if (this.#keepaliveTimer) clearInterval(this.#keepaliveTimer);
    for (const res of this.#streams) res.end();
    this.#streams.clear();
  }

  /** Answers a GET /api/events that passed the guard: the stream stays open until the browser leaves. */
  attach(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    // The browser retries after 2 s when the stream ends.
    res.write('retry: 2000\n\n');
    this.#streams.add(res);
    res.on('close', () => this.#streams.delete(res));
    void this.#pollStatus();
  }

  /** Sends a status at once (the daemon came or went). */
  statusNow(): void {
    void this.#pollStatus();
  }

  async #pollStatus(): Promise<void> {
    if (this.#streams.size === 0 || this.#polling) return;
    this.#polling = true;
    try {
      let snapshot: StatusSnapshot;
      try {
        snapshot = { daemon: true, status: await this.#c.api.status(), atMs: Date.now() };
      } catch {
        // No daemon (or one that cannot answer): the app shows it as away.
        snapshot = { daemon: false, status: null, atMs: Date.now() };
      }
      this.#broadcast('status', snapshot);
    } finally {
      this.#polling = false;
    }
  }

  #broadcast(name: string, data: unknown): void {
    // JSON has no raw line feed, so one data line carries it.
    this.#write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #write(text: string): void {
    for (const res of this.#streams) {
      res.write(text);
      if (res.writableLength > MAX_UNREAD_BYTES) {
        this.#c.logger.warn('closing an event stream the browser does not read', { unreadBytes: res.writableLength });
        this.#streams.delete(res);
        res.destroy();
      }
    }
  }
}
