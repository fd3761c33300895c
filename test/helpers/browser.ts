import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/** A headless Chromium at phone width, with what went wrong on its page collected. */
export interface PhoneBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors (a resource that failed is in failedLoads instead). */
  consoleErrors: string[];
  /** "status url" of every response of 400 or more, except the browser's own favicon probe (none is served). */
  failedLoads: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Debian's Chromium, driven by playwright-core, in a new empty profile, at
 * 390 × 844 px. Without the background-networking flags Chromium's own
 * connections are refused by this machine's closed network, many at a time.
 */
export async function openPhoneBrowser(
  options: { javaScriptEnabled?: boolean } = {},
): Promise<PhoneBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tm-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 390, height: 844 },
      javaScriptEnabled: options.javaScriptEnabled ?? true,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const failedLoads: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text()))
      consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico'))
      failedLoads.push(`${res.status()} ${res.url()}`);
  });
  return {
    context,
    page,
    consoleErrors,
    failedLoads,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
