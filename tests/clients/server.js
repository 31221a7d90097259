// The real Premiere binary for the client tests: a fresh SQLite database with the
// demo data, one port for its whole life (a restart comes back on the same one, as
// a browser expects), stopped with SIGTERM like in production.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const BIN = process.env.PREMIERE_BIN ?? resolve(here, "../../target/debug/premiere");
export const TOKEN = "client-tests-admin-token";
/** How long a test waits for something that should happen. */
export const WAIT = 10_000;

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Rejects after `ms` with `what`, unless `promise` settles first. */
export function within(promise, what, ms = WAIT) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Server {
  /** A stopped server over a new database holding the demo data. */
  static async create(env = {}) {
    const dir = mkdtempSync(join(tmpdir(), "premiere-clients-"));
    const server = new Server(dir, await freePort(), env);
    execFileSync(BIN, ["seed"], { env: server.env, stdio: "ignore" });
    return server;
  }

  constructor(dir, port, env) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}/graphql`;
    this.env = {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, "premiere.db")}?mode=rwc`,
      PREMIERE_LISTEN: `127.0.0.1:${port}`,
      PREMIERE_ADMIN_TOKEN: TOKEN,
      PREMIERE_SHUTDOWN_TIMEOUT: "3",
      RUST_LOG: process.env.RUST_LOG ?? "warn",
      ...env,
    };
    this.process = null;
  }

  /** Starts the binary and resolves once it serves. */
  async start() {
    const child = spawn(BIN, ["serve"], { env: this.env, stdio: ["ignore", "pipe", "inherit"] });
    this.process = child;
    const exited = new Promise((ok) => child.once("exit", ok));
    this.exited = exited;
    let output = "";
    await within(
      new Promise((ok, fail) => {
        child.stdout.on("data", (chunk) => {
          output += chunk;
          if (output.includes("Premiere is serving on")) ok();
        });
        exited.then((code) => fail(new Error(`premiere exited (${code}): ${output}`)));
      }),
      "the server starts",
    );
    return this;
  }

  /** SIGTERM, and resolves once the process has exited. */
  async stop() {
    if (!this.process) return;
    this.process.kill("SIGTERM");
    await within(this.exited, "the server stops");
    this.process = null;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A plain GraphQL POST; with the admin token when `admin`. Returns `data`. */
  async graphql(query, variables = {}, { admin = false } = {}) {
    const headers = { "content-type": "application/json" };
    if (admin) headers.authorization = `Bearer ${TOKEN}`;
    const response = await fetch(this.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  /** The id of the demo series' installment `title` (a draft until published). */
  async installmentId(title) {
    const data = await this.graphql(
      `{ seriesBySlug(slug: "soundtrack") { installments(first: 100) { nodes { id title } } } }`,
      {},
      { admin: true },
    );
    const node = data.seriesBySlug.installments.nodes.find((n) => n.title === title);
    if (!node) throw new Error(`no installment ${title}`);
    return node.id;
  }

  /** Publishes `title` of the demo series with the admin token. */
  async publish(title) {
    const id = await this.installmentId(title);
    await this.graphql(
      `mutation($id: ID!) { publishInstallment(id: $id) { status } }`,
      { id },
      { admin: true },
    );
  }

  /** Adds installment `number` of the demo series, published at once; its title. */
  async release(number) {
    const series = await this.graphql(`{ seriesBySlug(slug: "soundtrack") { id } }`);
    const data = await this.graphql(
      `mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { title } }`,
      { input: { seriesId: series.seriesBySlug.id, number, publish: true } },
      { admin: true },
    );
    return data.createInstallment.title;
  }

  /** Resolves once the server counts `n` open subscriptions (polling /metrics). */
  async waitForSubscriptions(n) {
    const metrics = this.url.replace(/\/graphql$/, "/metrics");
    const counted = async () => {
      for (;;) {
        const text = await (await fetch(metrics)).text();
        const line = text.split("\n").find((l) => l.startsWith("premiere_subscriptions_open "));
        if (Number(line?.split(" ")[1]) >= n) return;
        await new Promise((ok) => setTimeout(ok, 10));
      }
    };
    await within(counted(), `${n} open subscriptions`);
  }

  /** The cursors of the release log, oldest first. */
  async logCursors() {
    const data = await this.graphql(`{ releaseEvents(first: 100) { edges { cursor } } }`);
    return data.releaseEvents.edges.map((e) => e.cursor);
  }
}

/** A queue of values pushed by callbacks, awaited one by one with a timeout. */
export class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(what = "a message") {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return within(new Promise((ok) => this.waiters.push(ok)), what);
  }
}
