// The web app's first run in a real browser (issue 12, docs/web-app.md
// §First run): on an in-process network, `chaff client ui`'s server (a
// UiServer with a FirstRun, wired as cli/client/web-app.ts wires it) serves
// the first-run page for a fresh folder. Headless Chromium, by keyboard: a
// weak passphrase shows the meter's verdict and is refused without consent;
// a strong one, with a gateway picked from the network's document, creates
// the profile (the real initProfile: it opens with that passphrase); the
// page shows the address as text and QR code; the server starts
// `chaff client daemon` for it (a real process, the passphrase through a
// FIFO) and, once it runs, "Open Chaff" switches to the app, which shows
// the same address. axe-core on each screen; screenshots in the trace
// folder (printed).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { zeroize } from '../../protocol/bytes.js';
import { connectClientApi } from '../../client/rpc/client.js';
import { clientSocketPath } from '../../client/rpc/socket-path.js';
import { unlockProfileKey, WrongPassphraseError } from '../../client/store/profile-key.js';
import { DaemonLink } from '../../client/ui/daemon-link.js';
import { FirstRun } from '../../client/ui/first-run.js';
import { UiServer } from '../../client/ui/ui-server.js';
import { silentLogger } from '../../runtime/log/logger.js';
import { chaffEntry } from '../../testnet/chaff-entry.js';
import { FAST_CHAT_SHAPE } from '../helpers/chat.js';
import { InProcessNetwork } from '../helpers/in-process-network.js';
import { sleep } from '../helpers/wait.js';
import { clearByKeyboard, describeViolations, desktopPage, launchChromium, seriousViolations, type PageDocument } from './browser-checks.js';

declare const document: PageDocument;

const WEAK = 'Summer2025!';
const STRONG = 'violet tractor quietly juggles seventeen maps';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the web app first run in headless Chromium, on an in-process network', function () {
  // The in-process network took 60 to 85 s to its first document at load 17 (test/web/web-app.test.ts); the daemon process a few seconds more.
  this.timeout(300_000);
  let net: InProcessNetwork | undefined;
  let browser: Browser | undefined;
  let server: UiServer | undefined;
  let firstRun: FirstRun | undefined;
  let link: DaemonLink | undefined;
  let traceDir = '';

  before(async function () {
    browser = await launchChromium();
    traceDir = mkdtempSync(join(tmpdir(), 'chaff-first-run-web-'));
    net = await InProcessNetwork.start(FAST_CHAT_SHAPE, () => {}, { traceDir });
  });
  after(async function () {
    await browser?.close();
    await server?.stop();
    await firstRun?.stop();
    await link?.stop();
    // The daemon this test's first run started, by its process id.
    const pid = firstRun?.daemonPid;
    if (pid != null && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await net?.stop();
  });

  it('creates a profile by keyboard (a weak passphrase refused with the verdict), shows the address and QR, starts the daemon and opens the app; axe on each screen', async function () {
    const shots = join(traceDir, 'first-run');
    mkdirSync(shots, { recursive: true });
    this.test!.title += ` [screenshots: ${shots}]`;
    const profileDir = join(traceDir, 'profile');
    await net!.currentDocument(120_000);
    const gatewayNames = new Set(net!.plan.nodes.filter((n) => n.role === 'gateway').map((n) => n.name));

    link = new DaemonLink({ logger: silentLogger }, { connect: () => connectClientApi(clientSocketPath(profileDir)), maxBackoffMs: 1000 });
    const l = link;
    firstRun = new FirstRun(
      { logger: silentLogger, daemonConnected: () => l.connected, onDaemonStarted: () => void l.start() },
      { profileDir, network: net!.plan.networkFile, chaffCommand: { file: process.execPath, args: [chaffEntry()] }, scrypt: { N: 2 ** 14, r: 8, p: 1 } },
    );
    firstRun.start();
    server = new UiServer({ api: link.api(), logger: silentLogger, firstRun }, { port: 0, statusIntervalMs: 500 });
    await server.start();

    const problems: string[] = [];
    const page = await desktopPage(browser!, problems);
    await page.goto(server.loginUrl);
    await page.waitForSelector('#first-passphrase', { timeout: 10_000 });
    // The gateway list comes from the network's document (the page's own fetch: an epoch's document may list fewer gateways than a later one's).
    await page.waitForFunction(() => document.querySelectorAll('#first-gateway option').length > 1, { timeout: 60_000 });
    const listed = await page.$$eval('#first-gateway option', (els) => els.map((el) => (el as unknown as { value: string }).value));
    assert.equal(listed[0], '', 'the first choice is "any"');
    for (const name of listed.slice(1)) assert.ok(gatewayNames.has(name), `${name} is a gateway of the network`);
    const chosen = listed[listed.length - 1];
    await page.screenshot({ path: join(shots, '1-form.png') });
    let violations = await seriousViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));

    // Keyboard only: the passphrase field has the focus after a Tab or two from the heading.
    await page.focus('#first-passphrase');
    await page.keyboard.type(WEAK);
    await page.waitForFunction(() => (document.querySelector('[data-field="first-passphrase-strength"]')?.textContent ?? '').startsWith('Weak:'), { timeout: 10_000 });
    assert.equal(await page.$eval('.first-run .strength', (el) => el.getAttribute('data-verdict')), 'weak');
    assert.ok(await page.$('#first-accept-weak'), 'a weak passphrase offers "use it anyway"');
    await page.keyboard.press('Tab'); // the "use it anyway" checkbox, left unticked
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('id')), 'first-repeat');
    await page.keyboard.type(WEAK);
    await page.keyboard.press('Enter');
    const alert = await page.waitForSelector('[role="alert"][data-field="first-run-error"]', { timeout: 10_000 });
    assert.match((await alert!.evaluate((el) => el.textContent)) ?? '', /weak: someone who copies your profile could find it in/);
    assert.ok(!existsSync(join(profileDir, 'profile.json')), 'the weak passphrase made no profile');
    await page.screenshot({ path: join(shots, '2-weak-refused.png') });
    violations = await seriousViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));

    // A strong one: both fields emptied by keyboard and typed again.
    for (const id of ['first-passphrase', 'first-repeat']) {
      await clearByKeyboard(page, `#${id}`);
      await page.keyboard.type(STRONG);
    }
    await page.waitForFunction(() => (document.querySelector('[data-field="first-passphrase-strength"]')?.textContent ?? '').startsWith('Good:'), { timeout: 10_000 });
    assert.equal(await page.$('#first-accept-weak'), null, 'a good passphrase needs no consent');
    // The gateway, by keyboard: the select takes the first letters of its option.
    await page.focus('#first-gateway');
    await page.keyboard.type(chosen);
    assert.equal(await page.$eval('#first-gateway', (el) => (el as unknown as { value: string }).value), chosen);
    await page.focus('#first-repeat');
    await page.keyboard.press('Enter');

    // The address, as text and QR code.
    const address = await page.waitForSelector('[data-field="first-run-address"]', { timeout: 120_000 });
    const text = ((await address!.evaluate((el) => el.textContent)) ?? '').trim();
    assert.match(text, /^chaff1[0-9a-z]+$/);
    assert.equal(await page.$eval('[data-field="first-run-gateway"]', (el) => el.textContent), chosen);
    assert.equal(await page.$eval('svg.qr', (el) => el.getAttribute('aria-label')), 'Your address as a QR code');
    await page.screenshot({ path: join(shots, '3-created.png') });
    violations = await seriousViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));

    // The profile opens with the passphrase typed, not with another.
    const key = await unlockProfileKey(profileDir, STRONG);
    zeroize(key);
    await assert.rejects(unlockProfileKey(profileDir, WEAK), WrongPassphraseError);
    assert.deepEqual(
      readdirSync(profileDir).filter((f) => f.endsWith('.fifo')),
      [],
      'the passphrase pipe is gone',
    );

    // The daemon starts; then "Open Chaff" (focused) opens the app.
    await page.waitForSelector('button[data-action="open-app"]', { timeout: 120_000 });
    assert.ok(firstRun.daemonPid !== null && alive(firstRun.daemonPid), 'the daemon process runs');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-action') === 'open-app', { timeout: 5000 });
    await page.screenshot({ path: join(shots, '4-daemon-running.png') });
    violations = await seriousViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app button[data-action="own-address"]', { timeout: 10_000 });
    await page.click('button[data-action="own-address"]');
    await page.waitForSelector('[data-field="own-address"]', { timeout: 30_000 });
    assert.equal((await page.$eval('[data-field="own-address"]', (el) => el.textContent))?.trim(), text, "the app shows the new profile's address");
    await page.screenshot({ path: join(shots, '5-app.png') });
    violations = await seriousViolations(page);
    assert.deepEqual(violations, [], describeViolations(violations));
    assert.deepEqual(problems, [], 'no CSP violation, no page error');
  });
});
