// Apollo Client's persisted-queries link (automatic persisted queries) against the
// real server: the first request sends only the hash over GET, is told
// PERSISTED_QUERY_NOT_FOUND, retries with the document over POST; from then on, any
// client (another one, with an empty hash cache) sends only the hash. And trusted
// documents: with a manifest, an unlisted operation is refused without a retry.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { print } from "graphql";

import { Server } from "./server.js";

const TITLE = gql`
  query Title {
    seriesBySlug(slug: "soundtrack") {
      title
    }
  }
`;

const COUNT = gql`
  query Count {
    allSeries {
      totalCount
    }
  }
`;

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** A client whose requests are recorded as `METHOD query|hash`. */
function client(url) {
  const sent = [];
  const recording = async (input, init = {}) => {
    const method = init.method ?? "GET";
    const text = method === "GET" ? decodeURIComponent(String(input)) : String(init.body);
    sent.push(`${method} ${text.includes("seriesBySlug") || text.includes("allSeries") ? "query" : "hash"}`);
    return fetch(input, init);
  };
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, fetch: recording }),
  );
  const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
  return { apollo, sent };
}

test("Apollo's persisted-queries link registers a document once, then sends its hash", async (t) => {
  const server = await Server.create();
  t.after(() => server.dispose());
  await server.start();

  const first = client(server.url);
  t.after(() => first.apollo.stop());
  const result = await first.apollo.query({ query: TITLE, fetchPolicy: "network-only" });
  assert.equal(result.data.seriesBySlug.title, "Soundtrack");
  assert.deepEqual(first.sent, ["GET hash", "POST query"], "not found, then registered");

  const again = await first.apollo.query({ query: TITLE, fetchPolicy: "network-only" });
  assert.equal(again.data.seriesBySlug.title, "Soundtrack");
  assert.deepEqual(first.sent.slice(2), ["GET hash"]);

  // Another client knows no hash yet; the server does.
  const second = client(server.url);
  t.after(() => second.apollo.stop());
  const other = await second.apollo.query({ query: TITLE, fetchPolicy: "network-only" });
  assert.equal(other.data.seriesBySlug.title, "Soundtrack");
  assert.deepEqual(second.sent, ["GET hash"]);
});

test("with a manifest, Apollo Client runs listed operations by hash and is refused others", async (t) => {
  // As Apollo's manifest generator writes it: the document as the cache sends it
  // (with `__typename` added).
  const listed = print(new InMemoryCache().transformDocument(TITLE));
  const dir = mkdtempSync(join(tmpdir(), "premiere-manifest-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = join(dir, "manifest.json");
  writeFileSync(
    manifest,
    JSON.stringify({
      format: "apollo-persisted-query-manifest",
      version: 1,
      operations: [{ id: sha256(listed), body: listed, name: "Title", type: "query" }],
    }),
  );
  const server = await Server.create({ PREMIERE_PERSISTED_QUERIES_MANIFEST: manifest });
  t.after(() => server.dispose());
  await server.start();

  const { apollo, sent } = client(server.url);
  t.after(() => apollo.stop());
  const result = await apollo.query({ query: TITLE, fetchPolicy: "network-only" });
  assert.equal(result.data.seriesBySlug.title, "Soundtrack");
  assert.deepEqual(sent, ["GET hash"], "listed: known by hash at once");

  await assert.rejects(
    apollo.query({ query: COUNT, fetchPolicy: "network-only" }),
    (error) => {
      assert.equal(error.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_IN_LIST", String(error));
      return true;
    },
  );
  assert.deepEqual(sent.slice(1), ["GET hash"], "not retried with the document");
});
