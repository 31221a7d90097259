// Talking to the server from the test itself, as an admin would with curl.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { TOKEN } from './server.mjs';
import { until } from './wait.mjs';

export async function gql(origin, query, variables = {}, { admin = true } = {}) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(admin ? { authorization: `Bearer ${TOKEN}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Installment `number` of the Soundtrack series, read with the admin token (drafts are embargoed). */
export async function soundtrack(origin, number) {
  const data = await gql(
    origin,
    `{ seriesBySlug(slug: "soundtrack") { id installments(first: 100) { nodes { id number title status } } } }`,
  );
  const series = data.seriesBySlug;
  return { seriesId: series.id, installment: series.installments.nodes.find((i) => i.number === number) };
}

export async function publish(origin, id) {
  const data = await gql(
    origin,
    `mutation($id: ID!) { publishInstallment(id: $id) { title status publishedAt } }`,
    { id },
  );
  return data.publishInstallment;
}

/** Creates installment `number` of the series, published now. */
export async function createPublished(origin, seriesId, number) {
  const data = await gql(
    origin,
    `mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id title status } }`,
    { input: { seriesId, number, publish: true } },
  );
  return data.createInstallment;
}

/** A gauge or counter of /metrics. */
export async function metric(origin, name) {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

/** Waits until /metrics shows at least `count` open subscriptions. */
export function subscriptionsOpen(origin, count = 1) {
  return until(async () => (await metric(origin, 'premiere_subscriptions_open')) >= count, {
    what: `${count} open subscription(s)`,
  });
}

/** The README's first GraphQL block ("First queries"). */
export function readmeFirstQuery() {
  const readme = fs.readFileSync(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../README.md'),
    'utf8',
  );
  const match = /```graphql\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no ```graphql block');
  return match[1];
}
