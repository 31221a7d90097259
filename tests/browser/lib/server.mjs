// The real server binary on a temporary SQLite database, seeded with the demo data.

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

import { OUTPUT, WAIT_MS, withTimeout } from './wait.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BINARY = process.env.PREMIERE_BIN ?? path.resolve(here, '../../../target/debug/premiere');
export const TOKEN = 'browser-test-admin-token';

/** A temporary database folder, seeded once with `premiere seed`. */
export async function seededDatabase() {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: build it with \`cargo build --bin premiere\` (or set PREMIERE_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'premiere-browser-'));
  const url = `sqlite://${path.join(dir, 'premiere.db')}`;
  await promisify(execFile)(BINARY, ['seed'], { cwd: dir, env: env(url, '127.0.0.1:0') });
  return { dir, url };
}

function env(databaseUrl, listen) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    PREMIERE_ADMIN_TOKEN: TOKEN,
    PREMIERE_LISTEN: listen,
    RUST_LOG: process.env.RUST_LOG ?? 'info,sqlx=warn,sea_orm=warn',
  };
}

/** One server process; `start` resolves once it prints the address it serves on. */
export class Server {
  constructor(database, { listen = '127.0.0.1:0', name = 'server' } = {}) {
    this.database = database;
    this.listen = listen;
    this.name = name;
    this.process = null;
    this.origin = null;
  }

  async start() {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const log = fs.createWriteStream(path.join(OUTPUT, `${this.name}.log`), { flags: 'a' });
    const child = spawn(BINARY, ['serve'], {
      cwd: this.database.dir,
      env: env(this.database.url, this.listen),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    child.stderr.pipe(log);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.exited = exited;
    let seen = '';
    const ready = new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        log.write(chunk);
        seen += chunk;
        const match = /Premiere is serving on (http:\/\/\S+)/.exec(seen);
        if (match) resolve(match[1]);
      });
      exited.then((code) => reject(new Error(`${this.name} exited (${code}) before serving:\n${seen}`)));
    });
    this.origin = await withTimeout(ready, WAIT_MS, `${this.name} to start`);
    // Later starts of this server reuse its port, so that pages keep their origin.
    this.listen = new URL(this.origin).host;
    return this;
  }

  /** SIGTERM, as an operator would; resolves when the process has exited. */
  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill('SIGTERM');
    await withTimeout(this.exited, WAIT_MS, `${this.name} to stop`);
  }
}
