// The web app's first run, its server side (client/ui/first-run.ts behind
// client/ui/ui-server.ts; docs/web-app.md §First run): the strength check
// the daemon applies (refused, weak only with consent), the two passphrases
// compared, an existing profile never overwritten, the profile created with
// the passphrase given (it opens with it), and the first run's endpoints
// behind the same guard as the app's (Host, Origin, session cookie). The
// profile maker is a stand-in here (it makes the profile, not the
// registration): test/web/first-run.test.ts runs the real initProfile on a
// network.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientApi } from '../../../client/api.js';
import type { InitOptions } from '../../../client/init.js';
import { COLLECTIONS } from '../../../client/state.js';
import { createProfile, openProfile } from '../../../client/store/profile.js';
import { PROFILE_FILE, WrongPassphraseError } from '../../../client/store/profile-key.js';
import type { FirstRunState } from '../../../client/ui/first-run-state.js';
import { FirstRun, profileExists } from '../../../client/ui/first-run.js';
import { sessionCookieName } from '../../../client/ui/request-guard.js';
import { UiServer } from '../../../client/ui/ui-server.js';
import { silentLogger } from '../../../runtime/log/logger.js';
import { waitFor } from '../../helpers/wait.js';

const SECRET = 'first-run-secret-0123456789';
const SCRYPT = { N: 2 ** 12, r: 8, p: 1 };
const GOOD = 'violet tractor quietly juggles seventeen maps';
const WEAK = 'Summer2025!';
const REFUSED = 'password';

interface Answer {
  status: number;
  body: string;
}

function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

/** The daemon is never there in these tests. */
const NO_DAEMON = { subscribe: () => () => undefined } as unknown as ClientApi;
const BUNDLE = new Map([['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from('<!doctype html><title>t</title>') }]]);

interface Harness {
  dir: string;
  server: UiServer;
  firstRun: FirstRun;
  inits: InitOptions[];
  port: number;
  /** The headers of the app's own signed-in browser. */
  own(post?: boolean): Record<string, string>;
  stop(): Promise<void>;
}

async function harness(prepare: (dir: string) => Promise<void> = async () => undefined): Promise<Harness> {
  const dir = join(mkdtempSync(join(tmpdir(), 'chaff-first-run-')), 'profile');
  await prepare(dir);
  const inits: InitOptions[] = [];
  const firstRun = new FirstRun(
    {
      logger: silentLogger,
      daemonConnected: () => false,
      // The stand-in for initProfile: the profile with its passphrase, no network.
      init: async (options) => {
        inits.push(options);
        const store = await createProfile(options.profileDir, options.passphrase, { collections: COLLECTIONS, ...(options.scrypt ? { scrypt: options.scrypt } : {}) });
        await store.close();
        return { address: 'chaff1stand-in', gateway: options.gateway ?? 'gw-random' };
      },
    },
    // No such network file: the gateway list fails, which the page shows; nothing else needs it here.
    { profileDir: dir, network: join(dir, '..', 'no-network.toml'), chaffCommand: null, scrypt: SCRYPT, waitMs: 0 },
  );
  firstRun.start();
  const server = new UiServer({ api: NO_DAEMON, logger: silentLogger, firstRun }, { port: 0, secret: SECRET, bundle: BUNDLE });
  await server.start();
  const port = Number(new URL(server.origin).port);
  return {
    dir,
    server,
    firstRun,
    inits,
    port,
    own: (post = false) => ({
      Cookie: `${sessionCookieName(port)}=${SECRET}`,
      ...(post ? { Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' } : {}),
    }),
    stop: async () => {
      await server.stop();
      await firstRun.stop();
      rmSync(join(dir, '..'), { recursive: true, force: true });
    },
  };
}

describe('the web app first run, server side (client/ui/first-run.ts)', function () {
  this.timeout(20_000);
  let h: Harness;
  afterEach(async () => h?.stop());

  it('rates a passphrase with the strength check the daemon applies, and never repeats it', async () => {
    h = await harness();
    const rate = async (passphrase: string): Promise<{ verdict: string; text: string }> => {
      const a = await send(h.port, '/api/first-run/strength', { method: 'POST', headers: h.own(true), body: { passphrase } });
      assert.equal(a.status, 200, a.body);
      // ("password" is in zxcvbn's own warning: "This is a top-10 common password.")
      if (passphrase !== REFUSED) assert.ok(!a.body.includes(passphrase), 'the answer does not repeat the passphrase');
      return (JSON.parse(a.body) as { result: { verdict: string; text: string } }).result;
    };
    assert.equal((await rate(REFUSED)).verdict, 'refused');
    assert.equal((await rate(WEAK)).verdict, 'weak');
    const good = await rate(GOOD);
    assert.equal(good.verdict, 'good');
    assert.match(good.text, /good/);
  });

  it('refuses a refused passphrase, a weak one without consent (with the reason) and two that differ; nothing is created', async () => {
    h = await harness();
    const create = (body: Record<string, unknown>): Promise<Answer> => send(h.port, '/api/first-run/create', { method: 'POST', headers: h.own(true), body });

    const refused = await create({ passphrase: REFUSED, repeat: REFUSED, acceptWeak: true });
    assert.equal(refused.status, 422);
    const r = JSON.parse(refused.body) as { error: { code: string; message: string; verdict: string } };
    assert.equal(r.error.verdict, 'refused', 'a refused one is refused even with acceptWeak');
    assert.match(r.error.message, /too easy to guess/);

    const weak = await create({ passphrase: WEAK, repeat: WEAK });
    assert.equal(weak.status, 422);
    const w = JSON.parse(weak.body) as { error: { code: string; message: string; verdict: string } };
    assert.equal(w.error.code, 'weak-passphrase');
    assert.equal(w.error.verdict, 'weak');
    assert.match(w.error.message, /this passphrase is weak: someone who copies your profile could find it in .+Use it anyway/);
    assert.ok(!weak.body.includes(WEAK), 'the refusal does not repeat the passphrase');

    const differ = await create({ passphrase: GOOD, repeat: `${GOOD}!` });
    assert.equal(differ.status, 422);
    assert.match(differ.body, /the two passphrases differ/);

    const badInvite = await create({ passphrase: GOOD, repeat: GOOD, invite: 'not-a-token' });
    assert.equal(badInvite.status, 422);
    assert.match(badInvite.body, /invite token/);

    assert.deepEqual(h.inits, [], 'init never ran');
    assert.ok(!existsSync(join(h.dir, PROFILE_FILE)), 'no profile was written');
    const state = JSON.parse((await send(h.port, '/api/first-run', { headers: h.own() })).body) as FirstRunState;
    assert.equal(state.phase, 'form');
  });

  it('creates the profile with the passphrase given (it opens with it), a weak one with consent; the daemon command is shown when it cannot be started', async () => {
    h = await harness();
    const a = await send(h.port, '/api/first-run/create', { method: 'POST', headers: h.own(true), body: { passphrase: WEAK, repeat: WEAK, acceptWeak: true, gateway: 'gw-2', invite: null } });
    assert.equal(a.status, 202, a.body);
    assert.ok(!a.body.includes(WEAK));
    await waitFor('the profile is created', async () => h.firstRun.state().phase === 'created', { timeoutMs: 10_000 });
    const state = JSON.parse((await send(h.port, '/api/first-run', { headers: h.own() })).body) as FirstRunState;
    assert.deepEqual(state.created, { address: 'chaff1stand-in', gateway: 'gw-2' });
    assert.equal(state.daemon.state, 'failed');
    assert.equal(state.daemon.command, `chaff client daemon --profile ${h.dir}`);
    assert.ok(!JSON.stringify(state).includes(WEAK), 'the state never holds the passphrase');
    assert.equal(h.inits.length, 1);
    assert.equal(h.inits[0].gateway, 'gw-2');
    assert.ok(profileExists(h.dir));
    const store = await openProfile(h.dir, WEAK, { collections: COLLECTIONS });
    await store.close();
    await assert.rejects(openProfile(h.dir, GOOD, { collections: COLLECTIONS }), WrongPassphraseError);

    // Once created, a second create is refused.
    const again = await send(h.port, '/api/first-run/create', { method: 'POST', headers: h.own(true), body: { passphrase: GOOD, repeat: GOOD } });
    assert.equal(again.status, 409);
  });

  it('never overwrites a profile that appeared in the folder, nor one that was there', async () => {
    let before = Buffer.alloc(0);
    h = await harness(async (dir) => {
      const store = await createProfile(dir, GOOD, { collections: COLLECTIONS, scrypt: SCRYPT });
      await store.close();
      before = readFileSync(join(dir, PROFILE_FILE));
    });
    const a = await send(h.port, '/api/first-run/create', { method: 'POST', headers: h.own(true), body: { passphrase: `${GOOD} too`, repeat: `${GOOD} too` } });
    assert.equal(a.status, 409, a.body);
    assert.match(a.body, /holds a profile already; it is never overwritten/);
    assert.deepEqual(h.inits, []);
    assert.deepEqual(readFileSync(join(h.dir, PROFILE_FILE)), before);
    const store = await openProfile(h.dir, GOOD, { collections: COLLECTIONS });
    await store.close();

    // A server with no first run (the folder holds a profile): the endpoints refuse, the page gets the app.
    const plain = new UiServer({ api: NO_DAEMON, logger: silentLogger }, { port: 0, secret: SECRET, bundle: BUNDLE });
    await plain.start();
    try {
      const port = Number(new URL(plain.origin).port);
      const headers = { Cookie: `${sessionCookieName(port)}=${SECRET}` };
      assert.deepEqual(JSON.parse((await send(port, '/api/first-run', { headers })).body), { active: false });
      const refused = await send(port, '/api/first-run/create', {
        method: 'POST',
        headers: { ...headers, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' },
        body: { passphrase: GOOD, repeat: GOOD },
      });
      assert.equal(refused.status, 409);
    } finally {
      await plain.stop();
    }
  });

  it('guards the first-run endpoints like the app: wrong Host, wrong or missing Origin, no cookie are refused before anything runs', async () => {
    h = await harness();
    const body = { passphrase: GOOD, repeat: GOOD };
    const origin = `http://127.0.0.1:${h.port}`;
    const cookie = h.own().Cookie;
    const cases: Array<[string, { method?: string; headers: Record<string, string>; path: string }, number]> = [
      ['no cookie (state)', { headers: {}, path: '/api/first-run' }, 401],
      ['a wrong cookie', { headers: { Cookie: `${sessionCookieName(h.port)}=wrong` }, path: '/api/first-run' }, 401],
      ['a rebinding Host', { headers: { Cookie: cookie, Host: `evil.example:${h.port}` }, path: '/api/first-run' }, 421],
      ['localhost', { headers: { Cookie: cookie, Host: `localhost:${h.port}` }, path: '/api/first-run' }, 421],
      ['no cookie (create)', { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, path: '/api/first-run/create' }, 401],
      ['another Origin', { method: 'POST', headers: { Cookie: cookie, Origin: 'http://evil.example', 'Content-Type': 'application/json' }, path: '/api/first-run/create' }, 403],
      ['no Origin', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, path: '/api/first-run/create' }, 403],
      ['a cross-site fetch', { method: 'POST', headers: { Cookie: cookie, Origin: origin, 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/json' }, path: '/api/first-run/create' }, 403],
      ['a form post (not JSON)', { method: 'POST', headers: { Cookie: cookie, Origin: origin, 'Content-Type': 'text/plain' }, path: '/api/first-run/create' }, 415],
      ['a strength check without cookie', { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, path: '/api/first-run/strength' }, 401],
      ['a GET of create', { headers: { Cookie: cookie }, path: '/api/first-run/create' }, 405],
    ];
    for (const [what, c, status] of cases) {
      const a = await send(h.port, c.path, { method: c.method ?? 'GET', headers: c.headers, ...(c.method === 'POST' ? { body } : {}) });
      assert.equal(a.status, status, `${what}: ${a.body}`);
      assert.ok(!a.body.includes(GOOD));
    }
    assert.deepEqual(h.inits, [], 'no refused request reached init');
    assert.ok(!existsSync(join(h.dir, PROFILE_FILE)));
    // The network file does not exist: the page says the gateways could not be listed.
    await waitFor('the gateway list fails', async () => h.firstRun.state().networkError !== null, { timeoutMs: 5000 });
    assert.match(h.firstRun.state().networkError!, /network file/);
  });
});
