// A real Chromium (the distribution's), with every page's requests recorded.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import puppeteer from 'puppeteer-core';

import { OUTPUT, withTimeout } from './wait.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// Puppeteer adds `--headless` (`headless: true`).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Nothing resolves but the server's address: a request elsewhere fails (and is
  // recorded) instead of waiting for a network the tests do not have.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'premiere-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: FLAGS,
    defaultViewport: { width: 1280, height: 900 },
  });
  const pages = [];
  return {
    browser,
    pages,
    /** A new tab whose requests, WebSockets, CSP violations and errors are recorded. */
    async open(name) {
      const page = await browser.newPage();
      const record = { name, page, requests: [], sockets: [], violations: [], errors: [] };
      const cdp = await page.createCDPSession();
      await cdp.send('Network.enable');
      cdp.on('Network.requestWillBeSent', (e) => record.requests.push(e.request.url));
      cdp.on('Network.webSocketCreated', (e) => record.sockets.push(e.url));
      page.on('pageerror', (error) => record.errors.push(error.message));
      await page.exposeFunction('__premiereViolation', (v) => record.violations.push(v));
      await page.evaluateOnNewDocument(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__premiereViolation(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
        });
      });
      pages.push(record);
      return record;
    },
    async close() {
      await browser.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Every URL the recorded pages asked for that is not on `origin` (data: URLs are in-page). */
export function foreignRequests(records, origin) {
  const http = new URL(origin);
  const ws = `${http.protocol === 'https:' ? 'wss:' : 'ws:'}//${http.host}`;
  return records.flatMap((r) =>
    [...r.requests, ...r.sockets]
      .filter((url) => !url.startsWith('data:') && !url.startsWith('blob:'))
      .filter((url) => new URL(url).origin !== http.origin && !url.startsWith(`${ws}/`))
      .map((url) => `${r.name}: ${url}`),
  );
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/** Screenshots of every open page, named after the test. */
export async function screenshots(session, testName) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const written = [];
  for (const [index, record] of session.pages.entries()) {
    if (record.page.isClosed()) continue;
    const file = path.join(OUTPUT, `${slug(testName)}-${index}-${slug(record.name)}.png`);
    try {
      // A background tab is not painted: its screenshot would wait forever.
      await record.page.bringToFront();
      await withTimeout(record.page.screenshot({ path: file }), 10_000, `a screenshot of ${record.name}`);
      written.push(file);
    } catch (error) {
      written.push(`${file} (failed: ${error.message})`);
    }
  }
  return written;
}

/**
 * Runs a check; when it fails, writes screenshots of each page to the output folder
 * and names them in the error. `PREMIERE_SCREENSHOTS=always` writes them anyway.
 */
export async function checked(session, t, check) {
  try {
    await check();
  } catch (error) {
    const files = await screenshots(session, t.name);
    error.message += `\nscreenshots:\n  ${files.join('\n  ')}`;
    throw error;
  }
  if (process.env.PREMIERE_SCREENSHOTS === 'always') await screenshots(session, t.name);
}
