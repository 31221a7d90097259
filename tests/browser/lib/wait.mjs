// Waiting for events with a deadline (no test sleeps to wait for something).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long a test waits for something that should happen. */
export const WAIT_MS = 20_000;

/** Where screenshots and server logs go. */
export const OUTPUT =
  process.env.BROWSER_TEST_OUTPUT ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../output');

export async function withTimeout(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Re-evaluates `probe` until it returns a truthy value, at most `ms`. */
export async function until(probe, { ms = WAIT_MS, every = 50, what = 'a condition' } = {}) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
