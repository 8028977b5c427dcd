// The web app's server (docs/web-app.md): node:http on 127.0.0.1 only,
// serving the app built from web/, its calls (POST /api/call) and its live
// events (GET /api/events) to the one user who holds the secret. Every
// request passes the RequestGuard (Host, Origin, session cookie) first, and
// every answer carries the SECURITY_HEADERS (a strict CSP, no caching).

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientApi } from '../api.js';
import type { Startable } from '../../runtime/lifecycle/startable.js';
import type { Logger } from '../../runtime/log/logger.js';
import { answerApiCall } from './api-call.js';
import { EventStreams } from './event-stream.js';
import { FirstRunRefusal, MAX_FIRST_RUN_BODY_BYTES, readJsonBody, type FirstRun } from './first-run.js';
import { LOGIN_PATH, RequestGuard, type GuardVerdict } from './request-guard.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { buildWebBundle, type WebBundle } from './web-bundle.js';

/** The largest call body: send.file with 1 MiB of content is 1.4 MB of base64; the rest is room for the envelope. */
export const MAX_CALL_BODY_BYTES = 2 * 1024 * 1024;

/** The only address the server binds: the app is for the user at this machine. */
export const UI_HOST = '127.0.0.1';

export interface UiServerInit {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The login secret; random (32 bytes, base64url) unless given (tests). */
  secret?: string;
  /** The app's files; built from web/ at start unless given. */
  bundle?: WebBundle;
  statusIntervalMs?: number;
}

export interface UiServerComponents {
  api: ClientApi;
  logger: Logger;
  /** The first run's endpoints (/api/first-run…), when the profile folder holds no profile yet (first-run.ts). */
  firstRun?: FirstRun;
}

/** The first run's paths (docs/web-app.md §First run). */
export const FIRST_RUN_PATH = '/api/first-run';

export class UiServer implements Startable {
  readonly #init: UiServerInit;
  readonly #c: UiServerComponents;
  readonly #secret: string;
  readonly #events: EventStreams;
  #server: Server | null = null;
  #guard: RequestGuard | null = null;
  #bundle: WebBundle | null = null;

  constructor(components: UiServerComponents, init: UiServerInit) {
    this.#init = init;
    this.#c = components;
    this.#secret = init.secret ?? randomBytes(32).toString('base64url');
    this.#events = new EventStreams({ api: components.api, logger: components.logger }, { statusIntervalMs: init.statusIntervalMs });
  }

  /** The address to open: it signs the browser in (keep it private, like a password). */
  get loginUrl(): string {
    return `${this.origin}${LOGIN_PATH}?secret=${encodeURIComponent(this.#secret)}`;
  }

  /** http://127.0.0.1:PORT */
  get origin(): string {
    if (!this.#guard) throw new Error('the UI server has not started');
    return this.#guard.origin;
  }

  /** Sends a status to the open event streams now (the daemon came or went). */
  statusNow(): void {
    this.#events.statusNow();
  }

  async start(): Promise<void> {
    this.#bundle = this.#init.bundle ?? (await buildWebBundle());
    const server = createServer((req, res) => void this.#handle(req, res));
    // Requests with bodies must arrive promptly; event streams stay open.
    server.requestTimeout = 60_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#init.port, UI_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#guard = new RequestGuard(`${UI_HOST}:${port}`, this.#secret);
    await this.#events.start();
    this.#c.logger.info('web app listening', { origin: this.origin });
  }

  async stop(): Promise<void> {
    await this.#events.stop();
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const guard = this.#guard!;
    try {
      const source = guard.checkSource(req);
      if (!source.ok) return this.#refuse(res, source);
      const url = new URL(req.url ?? '/', guard.origin);
      if (url.pathname === LOGIN_PATH) {
        if (req.method !== 'GET') return this.#refuse(res, { ok: false, status: 405, reason: 'method not allowed' });
        const login = guard.checkLoginSecret(url);
        if (!login.ok) return this.#refuse(res, login);
        // 303 to the app: the secret leaves the address bar and the history entry.
        res.writeHead(303, { ...SECURITY_HEADERS, 'Set-Cookie': guard.sessionCookie(), Location: '/' });
        res.end();
        return;
      }
      const session = guard.checkSession(req);
      if (!session.ok) return this.#refuse(res, session);

      if (url.pathname === FIRST_RUN_PATH || url.pathname.startsWith(`${FIRST_RUN_PATH}/`)) return await this.#firstRunCall(req, res, url.pathname);
      if (url.pathname === '/api/call') {
        if (req.method !== 'POST') return this.#refuse(res, { ok: false, status: 405, reason: 'POST only' });
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return this.#refuse(res, { ok: false, status: 415, reason: 'the body must be application/json' });
        const body = await readBody(req, MAX_CALL_BODY_BYTES);
        if (body === null) return this.#refuse(res, { ok: false, status: 413, reason: `a call body holds at most ${MAX_CALL_BODY_BYTES} bytes` });
        let request: unknown;
        try {
          request = JSON.parse(body.toString('utf8'));
        } catch {
          return this.#json(res, 400, { error: { code: 'bad-request', message: 'the body is not JSON' } });
        }
        const answer = await answerApiCall(this.#c.api, request, this.#c.logger);
        return this.#json(res, answer.status, answer.body);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return this.#refuse(res, { ok: false, status: 405, reason: 'method not allowed' });
      if (url.pathname === '/api/events') return this.#events.attach(res, SECURITY_HEADERS);
      const asset = this.#bundle!.get(url.pathname);
      if (!asset) return this.#refuse(res, { ok: false, status: 404, reason: 'not found' });
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    } catch (err) {
      this.#c.logger.error('web app request failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) this.#refuse(res, { ok: false, status: 500, reason: 'internal error' });
      else res.destroy();
    }
  }

  /** The first run's calls: its state (GET), the strength check and the profile's creation (POST, JSON). */
  async #firstRunCall(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const firstRun = this.#c.firstRun;
    if (path === FIRST_RUN_PATH) {
      if (req.method !== 'GET') return this.#refuse(res, { ok: false, status: 405, reason: 'GET only' });
      return this.#json(res, 200, firstRun ? firstRun.state() : { active: false });
    }
    const action = path.slice(FIRST_RUN_PATH.length + 1);
    if (action !== 'strength' && action !== 'create') return this.#refuse(res, { ok: false, status: 404, reason: 'not found' });
    if (req.method !== 'POST') return this.#refuse(res, { ok: false, status: 405, reason: 'POST only' });
    if (!firstRun) return this.#json(res, 409, { error: { code: 'bad-request', message: 'this profile exists: there is no first run' } });
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return this.#refuse(res, { ok: false, status: 415, reason: 'the body must be application/json' });
    const body = await readJsonBody(req, MAX_FIRST_RUN_BODY_BYTES);
    if (!body.ok) return this.#json(res, body.status, { error: { code: 'bad-request', message: body.reason } });
    try {
      // The body (it holds a passphrase) is never logged, nor repeated in an answer.
      const result = action === 'strength' ? await firstRun.strength(body.value) : await firstRun.create(body.value);
      return this.#json(res, action === 'create' ? 202 : 200, { result });
    } catch (err) {
      if (err instanceof FirstRunRefusal) return this.#json(res, err.status, { error: { code: err.code, message: err.message, ...(err.verdict ? { verdict: err.verdict } : {}) } });
      throw err;
    }
  }

  #refuse(res: ServerResponse, verdict: Exclude<GuardVerdict, { ok: true }>): void {
    res.writeHead(verdict.status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${verdict.reason}\n`);
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/**
 * The request's body, or null when it passes `limit` bytes: the rest is read
 * and dropped (memory stays bounded) so the refusal reaches a client that is
 * still writing; the request timeout ends one that never stops.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}
