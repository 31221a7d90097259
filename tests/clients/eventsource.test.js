// A browser's EventSource (the `eventsource` package, which follows the HTML
// specification) subscribed to release alerts with nothing but a URL: it receives
// the Soundtrack #2 alert, and when the server restarts it reconnects by itself,
// sends Last-Event-ID, and receives exactly the alerts it missed, then live ones.

import assert from "node:assert/strict";
import { test } from "node:test";
import { EventSource } from "eventsource";

import { Inbox, Server } from "./server.js";

const QUERY = "subscription { releaseAlerts { cursor kind installment { title } } }";

test("an EventSource resumes across a server restart with Last-Event-ID", async (t) => {
  const server = await Server.create({ PREMIERE_SSE_RETRY_MS: "100" });
  t.after(() => server.dispose());
  await server.start();

  // The requests the EventSource makes; a reconnection waits for `gate` to open,
  // so that the alerts published meanwhile are surely missed, not received live.
  const requests = [];
  let gate = Promise.resolve();
  const fetchThroughGate = async (url, init) => {
    requests.push(new Headers(init.headers).get("last-event-id"));
    await gate;
    return fetch(url, init);
  };

  const url = `${server.url}?query=${encodeURIComponent(QUERY)}`;
  const source = new EventSource(url, { fetch: fetchThroughGate });
  t.after(() => source.close());
  const started = new Inbox();
  const alerts = new Inbox();
  const completes = new Inbox();
  source.addEventListener("message", (e) => started.push(e.lastEventId));
  source.addEventListener("next", (e) => {
    const result = JSON.parse(e.data);
    assert.equal(result.errors, undefined, e.data);
    assert.equal(e.lastEventId, result.data.releaseAlerts.cursor, "each alert's id is its cursor");
    alerts.push(result.data.releaseAlerts);
  });
  source.addEventListener("complete", () => completes.push(true));

  // The stream starts (an id, no event), then the alert arrives.
  await started.next("the stream starts");
  await server.publish("Soundtrack #2");
  const first = await alerts.next("the Soundtrack #2 alert");
  assert.equal(first.kind, "INSTALLMENT_PUBLISHED");
  assert.equal(first.installment.title, "Soundtrack #2");

  // The server restarts; the EventSource is told `complete`, and comes back...
  let open;
  gate = new Promise((ok) => (open = ok));
  await server.stop();
  await completes.next("complete on shutdown");
  await server.start();
  // ...after these two were published.
  const missed = [await server.release(3), await server.release(4)];
  open();
  const received = [await alerts.next("a missed alert"), await alerts.next("a missed alert")];
  assert.deepEqual(
    received.map((a) => a.installment.title),
    missed,
  );
  // It resumed after the last cursor it had seen, by itself.
  assert.deepEqual(requests, [null, first.cursor]);

  // Then live alerts, and nothing twice.
  const live = await server.release(5);
  const next = await alerts.next("a live alert");
  assert.equal(next.installment.title, live);
  const log = await server.logCursors();
  assert.deepEqual(
    [first, ...received, next].map((a) => a.cursor),
    log.slice(-4),
  );
  assert.equal(alerts.items.length, 0, "no duplicate");
});

test("an EventSource gets errors as events, then complete", async (t) => {
  const server = await Server.create();
  t.after(() => server.dispose());
  await server.start();
  const query = `subscription { releaseAlerts(after: "not a cursor") { cursor } }`;
  const source = new EventSource(`${server.url}?query=${encodeURIComponent(query)}`);
  t.after(() => source.close());
  const results = new Inbox();
  source.addEventListener("next", (e) => results.push(JSON.parse(e.data)));
  source.addEventListener("complete", () => {
    // The error is final: do not reconnect.
    source.close();
    results.push("complete");
  });
  const result = await results.next("the error");
  assert.equal(result.errors[0].extensions.code, "BAD_USER_INPUT");
  assert.equal(result.errors[0].extensions.field, "after");
  assert.equal(await results.next("complete"), "complete");
});
