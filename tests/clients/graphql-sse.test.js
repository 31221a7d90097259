// The graphql-sse client ("distinct connections mode", over POST): a subscription
// receives alerts, a query and a mutation get one result and complete, and a
// subscription completes when the server shuts down.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "graphql-sse";

import { Inbox, Server, TOKEN, within } from "./server.js";

test("graphql-sse: subscribe, receive, complete", async (t) => {
  const server = await Server.create();
  t.after(() => server.dispose());
  await server.start();
  const client = createClient({ url: server.url, retryAttempts: 0 });
  t.after(() => client.dispose());

  const results = new Inbox();
  let completed;
  const done = new Promise((ok) => (completed = ok));
  client.subscribe(
    { query: "subscription { releaseAlerts { cursor kind installment { title } } }" },
    {
      next: (result) => results.push(result),
      error: (error) => results.push({ error }),
      complete: () => completed(),
    },
  );
  // Published once the subscription is live (the server counts it).
  await server.waitForSubscriptions(1);
  await server.publish("Soundtrack #2");
  const result = await results.next("the alert");
  assert.equal(result.errors, undefined, JSON.stringify(result));
  assert.equal(result.data.releaseAlerts.kind, "INSTALLMENT_PUBLISHED");
  assert.equal(result.data.releaseAlerts.installment.title, "Soundtrack #2");
  assert.deepEqual((await server.logCursors()).at(-1), result.data.releaseAlerts.cursor);

  // On shutdown the subscription completes.
  await server.stop();
  await within(done, "complete on shutdown");
});

test("graphql-sse: queries and mutations answer once", async (t) => {
  const server = await Server.create();
  t.after(() => server.dispose());
  await server.start();
  const admin = createClient({
    url: server.url,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const anonymous = createClient({ url: server.url });
  t.after(() => {
    admin.dispose();
    anonymous.dispose();
  });

  const all = async (client, request) => {
    const out = [];
    for await (const result of client.iterate(request)) out.push(result);
    return out;
  };
  const query = { query: `{ seriesBySlug(slug: "soundtrack") { title } }` };
  assert.deepEqual(await within(all(anonymous, query), "a query"), [
    { data: { seriesBySlug: { title: "Soundtrack" } } },
  ]);
  const mutation = {
    query: "mutation($name: String!) { createPerson(input: { name: $name }) { name } }",
    variables: { name: "Choi Jungkyu" },
  };
  const [refused] = await within(all(anonymous, mutation), "a refused mutation");
  assert.equal(refused.errors[0].extensions.code, "UNAUTHENTICATED");
  assert.deepEqual(await within(all(admin, mutation), "a mutation"), [
    { data: { createPerson: { name: "Choi Jungkyu" } } },
  ]);
  // A document that does not validate is an error result, not an HTTP error.
  const [invalid] = await within(all(anonymous, { query: "{ nope }" }), "a request error");
  assert.equal(invalid.errors[0].extensions.code, "BAD_USER_INPUT");
});
