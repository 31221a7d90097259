// Apollo Client over its HttpLink: a subscription goes over Apollo's multipart
// protocol (no WebSocket link) and receives alerts; when the server shuts down it
// ends with the protocol's fatal error, telling the app to subscribe again.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { CombinedProtocolErrors } from "@apollo/client/errors";

import { Inbox, Server } from "./server.js";

const ALERTS = gql`
  subscription Alerts {
    releaseAlerts {
      cursor
      kind
      installment {
        id
        title
      }
    }
  }
`;

test("Apollo Client receives alerts through its multipart subscriptions", async (t) => {
  const server = await Server.create({ PREMIERE_MULTIPART_HEARTBEAT_MS: "50" });
  t.after(() => server.dispose());
  await server.start();
  const client = new ApolloClient({
    link: new HttpLink({ uri: server.url }),
    cache: new InMemoryCache(),
  });
  t.after(() => client.stop());

  const results = new Inbox();
  const subscription = client.subscribe({ query: ALERTS }).subscribe({
    next: (result) => results.push(result),
    error: (error) => results.push({ error }),
    complete: () => results.push("complete"),
  });
  t.after(() => subscription.unsubscribe());
  await server.waitForSubscriptions(1);

  await server.publish("Soundtrack #2");
  const third = await server.release(3);
  const first = await results.next("the Soundtrack #2 alert");
  assert.equal(first.error, undefined, String(first.error));
  assert.equal(first.data.releaseAlerts.kind, "INSTALLMENT_PUBLISHED");
  assert.equal(first.data.releaseAlerts.installment.title, "Soundtrack #2");
  const second = await results.next("the next alert");
  assert.equal(second.data.releaseAlerts.installment.title, third);
  assert.deepEqual(
    [first, second].map((r) => r.data.releaseAlerts.cursor),
    (await server.logCursors()).slice(-2),
  );

  // Shutdown: the fatal error reaches the app as protocol errors.
  await server.stop();
  const end = await results.next("the end of the subscription");
  assert.ok(CombinedProtocolErrors.is(end.error), `protocol errors, got ${String(end.error ?? end)}`);
  assert.match(end.error.errors[0].message, /shutting down/);
});
