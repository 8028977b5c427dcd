// What the web app's browser tests share: the system's headless Chromium
// (system-chromium.ts) at a desktop size, the page's CSP violations and
// errors collected, and axe-core's serious and critical findings.

import axe from 'axe-core';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { systemChromium } from './system-chromium.js';

// The page's globals, in the functions evaluated there (the project's types have no DOM).
export interface PageElement {
  id: string;
  textContent: string | null;
  disabled?: boolean;
  getAttribute(name: string): string | null;
}
export interface PageDocument {
  activeElement: PageElement | null;
  visibilityState: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Headless Chromium; a missing browser fails here, loudly. */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({ executablePath: systemChromium(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page in a desktop window (the three columns side by side; below 60rem they stack) whose CSP violations and page errors land in `problems`. A context of its own: its own cookies. */
export async function desktopPage(browser: Browser | BrowserContext, problems: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  return page;
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Through the DevTools protocol, which the page's CSP does not govern (an inline <script> would be refused, as it should).
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document as never, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.map(String) })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`).join('\n');
}

declare const window: unknown;
declare const document: unknown;

/**
 * Empties a field as a person does: click, select all, Backspace, then wait
 * until it is empty. A value set from script fires no input event, so the
 * form's state would not hear it, and the next render (the status comes
 * every 500 ms) would put the old text back.
 */
export async function clearByKeyboard(page: Page, selector: string): Promise<void> {
  await page.click(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('a');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.waitForFunction((sel: string) => ((document as PageDocument).querySelector(sel) as unknown as { value: string } | null)?.value === '', { timeout: 10_000 }, selector);
}
