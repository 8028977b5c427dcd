// Who may talk to the web app's server (docs/web-app.md §Security). The
// server listens on 127.0.0.1 only, but any web page the user opens can make
// the browser send requests there, and a DNS-rebinding page can even read
// the answers: its own name resolves to 127.0.0.1, so to the browser the
// server is that page's origin. Three checks close this:
//
// - Host must be exactly the bound address ("127.0.0.1:PORT"): a rebinding
//   page's requests carry its own name (RFC 9110 §7.2).
// - Origin, when the browser sends one, must be the app's own origin; POSTs
//   must carry it (browsers always send Origin on a POST, Fetch §3.2).
//   Sec-Fetch-Site, when present, must be same-origin or none (a typed URL).
// - Every request but the login needs the session cookie. The login URL
//   holds a random secret (printed by `chaff client ui`); it is exchanged
//   for an HttpOnly, SameSite=Strict cookie, so other sites' requests never
//   carry it, and page scripts never see it. Its name holds the port:
//   cookies ignore ports (RFC 6265 §8.5), so two profiles' apps open in one
//   browser would otherwise overwrite each other's session.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The session cookie's name for the app on `port`: `chaff_ui_PORT`. */
export function sessionCookieName(port: number | string): string {
  return `chaff_ui_${port}`;
}
export const LOGIN_PATH = '/login';

export type GuardVerdict = { ok: true } | { ok: false; status: number; reason: string };

/** Equal strings, compared in time independent of where they differ. */
function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(secret, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class RequestGuard {
  readonly #host: string;
  readonly #origin: string;
  readonly #secret: string;
  readonly #cookie: string;

  /** `host`: "127.0.0.1:PORT", the address the server is bound to. */
  constructor(host: string, secret: string) {
    this.#host = host;
    this.#origin = `http://${host}`;
    this.#secret = secret;
    this.#cookie = sessionCookieName(new URL(this.#origin).port);
  }

  get origin(): string {
    return this.#origin;
  }

  /** Host, Origin and Sec-Fetch-Site: is this request the app's own, whatever its path? */
  checkSource(req: IncomingMessage): GuardVerdict {
    if (req.headers.host !== this.#host) return { ok: false, status: 421, reason: `wrong Host (this server answers only to ${this.#host})` };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.#origin) return { ok: false, status: 403, reason: 'wrong Origin' };
    if (req.method === 'POST' && origin === undefined) return { ok: false, status: 403, reason: 'a POST needs an Origin' };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, status: 403, reason: `a ${String(site)} request` };
    return { ok: true };
  }

  /** The login's secret, from its query string. */
  checkLoginSecret(url: URL): GuardVerdict {
    return sameSecret(url.searchParams.get('secret') ?? undefined, this.#secret) ? { ok: true } : { ok: false, status: 401, reason: 'wrong or missing secret' };
  }

  /** The session cookie. */
  checkSession(req: IncomingMessage): GuardVerdict {
    return sameSecret(cookieValue(req.headers.cookie, this.#cookie), this.#secret) ? { ok: true } : { ok: false, status: 401, reason: 'not signed in: open the address `chaff client ui` printed' };
  }

  /** The Set-Cookie of a successful login: no Max-Age, so it ends with the browser session. */
  sessionCookie(): string {
    return `${this.#cookie}=${this.#secret}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
