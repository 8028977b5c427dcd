// What the web app costs the person who opens it (issue 12: "first paint
// under a second"; "a history of 10,000 messages opens and scrolls
// smoothly"), in Debian's headless Chromium against the real UI server
// (client/ui/ui-server.ts) over a real messenger with no network under it
// (test/web/offline-daemon.ts), as the browser tests run it:
//
//   web.firstPaint  the app's first contentful paint and the moment its
//                   conversation list is shown, from the navigation's start,
//                   against the first paint of a page of one line served on
//                   127.0.0.1 in the same run (the browser's own floor: what
//                   no page can go below on this machine);
//   web.history     opening a conversation of 10,000 messages (a click until
//                   its newest message is rendered), and scrolling to its
//                   top (until the next 200 earlier ones are rendered), as
//                   medians of several tries, against that same floor.
//
// Wall times move with the machine's load: read the ratios, measured in one
// run, not the milliseconds.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { UiServer } from '../client/ui/ui-server.js';
import { median } from '../protocol/stats/quantile.js';
import { silentLogger } from '../runtime/log/logger.js';
import { Users } from '../test/helpers/messenger-users.js';
import { desktopPage, launchChromium } from '../test/web/browser-checks.js';
import { offlineDaemon } from '../test/web/offline-daemon.js';
import { round, type Benchmark } from './harness.js';

/** Loads of each page whose median is reported. */
const LOADS = 7;
const HISTORY = 10_000;
/** Messages the list renders at a time (web/message-list.tsx PAGE). */
const PAGE = 200;

/** First contentful paint of the page now loaded, ms since its navigation started (waited for: a loaded page may not have painted yet). */
async function firstPaint(page: Page): Promise<number> {
  const entry = await page.waitForFunction(
    () => (performance as unknown as { getEntriesByName(name: string): Array<{ startTime: number }> }).getEntriesByName('first-contentful-paint')[0]?.startTime ?? false,
    { timeout: 30_000, polling: 50 },
  );
  return (await entry.jsonValue()) as number;
}

/** A page of one line on 127.0.0.1: the floor a first paint cannot go below here. */
async function floorServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title></head><body><p>Chaff</p></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

async function floorPaintMs(browser: Browser, url: string): Promise<number> {
  const page = await desktopPage(browser, []);
  const paints: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto(url, { waitUntil: 'load' });
    paints.push(await firstPaint(page));
  }
  await page.close();
  return median(paints);
}

/** Runs `fn` with a browser, alice's UI server over an offline messenger holding `history` messages to bob, and the floor page. */
async function withApp<T>(history: number, fn: (ctx: { browser: Browser; server: UiServer; floorUrl: string }) => Promise<T>): Promise<T> {
  const users = new Users();
  const browser = await launchChromium();
  const floor = await floorServer();
  let server: UiServer | undefined;
  try {
    const alice = await offlineDaemon(users, 'alice');
    const bob = await offlineDaemon(users, 'bob');
    await alice.api.addContact('bob', bob.user.address);
    // Queued at once: their synced writes share fsyncs (the store's group commit).
    for (let i = 0; i < history; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, history - i) }, (_, j) => alice.api.sendText('bob', `message ${i + j} of the long history`)));
    }
    server = new UiServer({ api: alice.api, logger: silentLogger }, { port: 0, statusIntervalMs: 1000 });
    await server.start();
    return await fn({ browser, server, floorUrl: floor.url });
  } finally {
    await browser.close();
    await server?.stop();
    floor.server.close();
    await users.closeAll();
  }
}

async function firstPaintBench(): Promise<Record<string, unknown>> {
  return withApp(0, async ({ browser, server, floorUrl }) => {
    const floorMs = await floorPaintMs(browser, floorUrl);
    const page = await desktopPage(browser, []);
    await page.goto(server.loginUrl);
    const paints: number[] = [];
    const lists: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      await page.goto(server.origin, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('button.conversation[data-contact="bob"]', { timeout: 30_000 });
      lists.push(await page.evaluate(() => (performance as unknown as { now(): number }).now()));
      paints.push(await firstPaint(page));
    }
    const paintMs = median(paints);
    const listMs = median(lists);
    return {
      loads: LOADS,
      firstPaintMs: round(paintMs),
      conversationsShownMs: round(listMs),
      floorPaintMs: round(floorMs),
      firstPaintOverFloor: round(paintMs / floorMs),
      conversationsShownOverFloor: round(listMs / floorMs),
      // The aim: a first paint under a second.
      firstPaintOverAim: round(paintMs / 1000),
    };
  });
}

async function historyBench(): Promise<Record<string, unknown>> {
  return withApp(HISTORY, async ({ browser, server, floorUrl }) => {
    const floorMs = await floorPaintMs(browser, floorUrl);
    const page = await desktopPage(browser, []);
    await page.goto(server.loginUrl);
    const newest = `message ${HISTORY - 1} of the long history`;
    const opens: number[] = [];
    const scrolls: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(server.origin, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('button.conversation[data-contact="bob"]', { timeout: 30_000 });
      const t0 = Date.now();
      await page.click('button.conversation[data-contact="bob"]');
      await page.waitForFunction((text: string) => document.querySelector('.messages .message:last-child .body')?.textContent === text, { timeout: 60_000, polling: 'raf' }, newest);
      opens.push(Date.now() - t0);
      // Scrolled to the top: the next page of earlier messages comes.
      const hiddenBefore = Number(await page.$eval('.messages', (el) => el.getAttribute('data-hidden')));
      const t1 = Date.now();
      await page.$eval('.messages', (el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
      await page.waitForFunction((n: number) => Number(document.querySelector('.messages')?.getAttribute('data-hidden')) === n, { timeout: 60_000, polling: 'raf' }, hiddenBefore - PAGE);
      scrolls.push(Date.now() - t1);
    }
    const openMs = median(opens);
    const scrollMs = median(scrolls);
    return {
      messages: HISTORY,
      openMs: round(openMs),
      earlierPageMs: round(scrollMs),
      floorPaintMs: round(floorMs),
      openOverFloor: round(openMs / floorMs),
      earlierPageOverFloor: round(scrollMs / floorMs),
    };
  });
}

declare const document: { querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null };

export const benchmarks: Benchmark[] = [
  {
    name: 'web.firstPaint',
    description: "the web app's first contentful paint and its conversation list shown, ms from the navigation, against a one-line page's first paint in the same browser",
    run: firstPaintBench,
  },
  {
    name: 'web.history',
    description: 'opening a conversation of 10,000 messages in the web app, and the next 200 earlier ones on scrolling to its top, against a one-line page’s first paint',
    run: historyBench,
  },
];
