// urql with graphql-sse as its subscription exchange (the setup urql documents):
// subscriptions over Server-Sent Events (queries would go over fetchExchange).

import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, fetchExchange, gql, subscriptionExchange } from "@urql/core";
import { createClient as createSSEClient } from "graphql-sse";

import { Inbox, Server } from "./server.js";

test("urql receives alerts through its graphql-sse exchange", async (t) => {
  const server = await Server.create();
  t.after(() => server.dispose());
  await server.start();
  const sse = createSSEClient({ url: server.url });
  t.after(() => sse.dispose());
  const client = new Client({
    url: server.url,
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = sse.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  const results = new Inbox();
  const { unsubscribe } = client
    .subscription(gql`subscription { releaseAlerts { cursor kind installment { title } } }`)
    .subscribe((result) => results.push(result));
  t.after(() => unsubscribe());
  await server.waitForSubscriptions(1);

  await server.publish("Soundtrack #2");
  const result = await results.next("the alert");
  assert.equal(result.error, undefined, String(result.error));
  assert.equal(result.data.releaseAlerts.kind, "INSTALLMENT_PUBLISHED");
  assert.equal(result.data.releaseAlerts.installment.title, "Soundtrack #2");
  assert.equal(result.data.releaseAlerts.cursor, (await server.logCursors()).at(-1));
});
