// The web app's server refuses what is not the user's own browser on the
// app's own page (docs/web-app.md §Security): a wrong Host (DNS rebinding),
// a wrong or missing Origin, a missing or wrong secret or cookie; and every
// answer carries the strict Content-Security-Policy and no-store.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { ClientApi, ClientEvent, ClientStatus } from '../../client/api.js';
import { ClientError } from '../../client/api.js';
import { UiServer } from '../../client/ui/ui-server.js';
import { CONTENT_SECURITY_POLICY } from '../../client/ui/security-headers.js';
import { silentLogger } from '../../runtime/log/logger.js';
import { groupsUnavailable } from '../helpers/groups-unavailable.js';

const SECRET = 'test-secret-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A daemon API with one contact; the calls the tests make are counted. */
function fakeApi(calls: string[]): ClientApi {
  const unavailable = async (): Promise<never> => {
    throw new ClientError('unavailable', 'not in this test');
  };
  return {
    status: async () => {
      calls.push('status');
      return { gateway: { name: 'gw', nodeId: '00', connected: true } } as unknown as ClientStatus;
    },
    address: async () => ({ address: 'chaff1test' }),
    listContacts: async () => {
      calls.push('contacts.list');
      return [{ name: 'bob', address: 'chaff1bob', verified: false, keyChanged: false, held: 0, addedMs: 0 }];
    },
    addContact: unavailable,
    removeContact: unavailable,
    acceptContactKey: unavailable,
    rejectContactKey: unavailable,
    markVerified: unavailable,
    sendText: async (contact) => {
      calls.push(`send.text ${contact}`);
      throw new ClientError('unknown-contact', `no contact named "${contact}"`);
    },
    sendFile: unavailable,
    history: unavailable,
    inbox: unavailable,
    markRead: unavailable,
    fileData: unavailable,
    verify: unavailable,
    rotateDeliveryId: unavailable,
    ...groupsUnavailable(),
    subscribe: (_listener: (e: ClientEvent) => void) => () => undefined,
  };
}

describe('the web app server (client/ui/ui-server.ts)', function () {
  const calls: string[] = [];
  const bundle = new Map([
    ['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from('<!doctype html><title>t</title>') }],
    ['/app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from('export {};') }],
  ]);
  const server = new UiServer({ api: fakeApi(calls), logger: silentLogger }, { port: 0, secret: SECRET, bundle });
  let port = 0;
  let cookie = '';

  before(async () => {
    await server.start();
    port = Number(new URL(server.origin).port);
    const login = await send(port, `/login?secret=${SECRET}`);
    cookie = String(login.headers['set-cookie']).split(';')[0];
  });
  after(() => server.stop());
  beforeEach(() => (calls.length = 0));

  const callApi = (headers: Record<string, string>, body = JSON.stringify({ method: 'contacts.list' })) =>
    send(port, '/api/call', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

  it('listens on 127.0.0.1 only, and its login URL holds the secret', () => {
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.loginUrl, `${server.origin}/login?secret=${SECRET}`);
  });

  it('exchanges the secret for an HttpOnly, SameSite=Strict session cookie and sends the browser on to the app', async () => {
    const login = await send(port, `/login?secret=${SECRET}`);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/');
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, new RegExp(`^chaff_ui_${port}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`), 'named for its port');
    const app = await send(port, '/', { headers: { Cookie: cookie } });
    assert.equal(app.status, 200);
    assert.match(app.body, /<title>/);
  });

  it('refuses a missing or wrong secret, and every page and call without the session cookie', async () => {
    assert.equal((await send(port, '/login')).status, 401);
    assert.equal((await send(port, '/login?secret=wrong')).status, 401);
    assert.equal((await send(port, `/login?secret=${SECRET}x`)).status, 401);
    assert.equal((await send(port, '/')).status, 401);
    assert.equal((await send(port, '/app.js')).status, 401);
    assert.equal((await send(port, '/api/events')).status, 401);
    assert.equal((await send(port, '/', { headers: { Cookie: `chaff_ui_${port}=wrong` } })).status, 401);
    // Another app's session (cookies ignore ports: the browser sends both apps' cookies to each).
    const value = cookie.split('=')[1];
    assert.equal((await send(port, '/', { headers: { Cookie: `chaff_ui_${port + 1}=${value}` } })).status, 401);
    assert.equal((await send(port, '/', { headers: { Cookie: `chaff_ui=${value}` } })).status, 401);
    assert.equal((await send(port, '/', { headers: { Cookie: `chaff_ui_${port + 1}=other; ${cookie}` } })).status, 200, 'its own among others');
    assert.equal((await callApi({ Origin: server.origin })).status, 401);
    assert.deepEqual(calls, []);
  });

  it('refuses a wrong Host (DNS rebinding: the page of another name that resolves to 127.0.0.1), even with the secret and the cookie', async () => {
    for (const host of ['evil.example:' + port, 'localhost:' + port, '127.0.0.1', `127.0.0.1:${port + 1}`]) {
      assert.equal((await send(port, `/login?secret=${SECRET}`, { headers: { Host: host } })).status, 421, host);
      assert.equal((await send(port, '/', { headers: { Host: host, Cookie: cookie } })).status, 421, host);
      assert.equal((await callApi({ Host: host, Cookie: cookie, Origin: `http://${host}` })).status, 421, host);
    }
    assert.deepEqual(calls, []);
  });

  it('refuses a wrong Origin, a POST without one, and cross-site fetches, even with the cookie', async () => {
    assert.equal((await callApi({ Cookie: cookie, Origin: 'http://evil.example' })).status, 403);
    assert.equal((await callApi({ Cookie: cookie, Origin: 'null' })).status, 403);
    assert.equal((await callApi({ Cookie: cookie })).status, 403);
    assert.equal((await send(port, '/', { headers: { Cookie: cookie, Origin: 'http://evil.example' } })).status, 403);
    assert.equal((await callApi({ Cookie: cookie, Origin: server.origin, 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    assert.deepEqual(calls, []);
    const ok = await callApi({ Cookie: cookie, Origin: server.origin, 'Sec-Fetch-Site': 'same-origin' });
    assert.equal(ok.status, 200);
    assert.deepEqual(calls, ['contacts.list']);
  });

  it('sends the strict Content-Security-Policy, no-store and nosniff on every answer, refusals included', async () => {
    const answers = [
      await send(port, '/', { headers: { Cookie: cookie } }),
      await send(port, '/app.js', { headers: { Cookie: cookie } }),
      await send(port, '/'),
      await send(port, '/', { headers: { Host: 'evil.example' } }),
    ];
    for (const a of answers) {
      assert.equal(a.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.equal(a.headers['cache-control'], 'no-store');
      assert.equal(a.headers['x-content-type-options'], 'nosniff');
      assert.equal(a.headers['referrer-policy'], 'no-referrer');
    }
    assert.match(CONTENT_SECURITY_POLICY, /^default-src 'self'; script-src 'self';/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('answers calls with the daemon API’s methods and its error codes; refuses unknown methods, bad params and non-JSON bodies', async () => {
    const h = { Cookie: cookie, Origin: server.origin };
    const list = await callApi(h);
    assert.deepEqual(JSON.parse(list.body), { result: [{ name: 'bob', address: 'chaff1bob', verified: false, keyChanged: false, held: 0, addedMs: 0 }] });
    const unknownContact = await callApi(h, JSON.stringify({ method: 'send.text', params: { contact: 'carol', text: 'hi' } }));
    assert.equal(unknownContact.status, 422);
    assert.deepEqual(JSON.parse(unknownContact.body), { error: { code: 'unknown-contact', message: 'no contact named "carol"' } });
    assert.equal((await callApi(h, JSON.stringify({ method: 'contacts.rename' }))).status, 404);
    assert.equal((await callApi(h, JSON.stringify({ method: 'send.text', params: { contact: 1 } }))).status, 400);
    assert.equal((await callApi(h, '{')).status, 400);
    assert.equal((await send(port, '/api/call', { method: 'POST', headers: { ...h, 'Content-Type': 'text/plain' }, body: '{}' })).status, 415);
    assert.equal((await send(port, '/api/call', { method: 'POST', headers: { ...h, 'Content-Type': 'application/json' }, body: 'x'.repeat(3 * 1024 * 1024) })).status, 413);
    assert.equal((await send(port, '/api/call', { headers: { Cookie: cookie } })).status, 405);
  });

  it('streams live events: the daemon status at once, as server-sent events', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { Host: `127.0.0.1:${port}`, Cookie: cookie } }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          if (text.includes('event: status')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const data = first.split('\n').find((l) => l.startsWith('data: '))!;
    const snapshot = JSON.parse(data.slice(6)) as { daemon: boolean; status: { gateway: { name: string } } };
    assert.equal(snapshot.daemon, true);
    assert.equal(snapshot.status.gateway.name, 'gw');
  });
});
