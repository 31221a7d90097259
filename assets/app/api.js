// GraphQL over HTTP against this server, and the documents the release page uses.

const ENDPOINT = '/graphql';

/** Everything the page shows about one release event. */
export const ALERT_FIELDS = `
  fragment Alert on ReleaseEvent {
    cursor
    kind
    occurredAt
    series { id title network genres }
    installment {
      id
      title
      number
      synopsis
      episodeCount
      credits(first: 4) { nodes { role character person { name } } }
    }
    interview { outlet title url }
  }
`;

export const SERIES = `
  query ReleasePageSeries { allSeries(first: 100) { nodes { id title } } }
`;

export const HISTORY = `
  query ReleasePageHistory($last: Int!, $before: String, $filter: ReleaseFilter) {
    releaseEvents(last: $last, before: $before, filter: $filter) {
      edges { node { ...Alert } }
      pageInfo { hasPreviousPage }
    }
  }
  ${ALERT_FIELDS}
`;

/** The newest position of the whole log, whatever the filter. */
export const HEAD = `
  query ReleasePageHead { releaseEvents(last: 1) { edges { cursor } } }
`;

export const ALERTS = `
  subscription ReleasePageAlerts($after: String, $filter: ReleaseFilter) {
    releaseAlerts(after: $after, filter: $filter) { ...Alert }
  }
  ${ALERT_FIELDS}
`;

/** A GraphQL error answer, with the errors the server sent. */
export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }

  /** True when an error names `field` (extensions.field of BAD_USER_INPUT). */
  names(field) {
    return this.errors.some((e) => e.extensions?.field === field);
  }
}

/** Runs a query; resolves to its `data`, rejects with GraphQLError or a network error. */
export async function query(document, variables = {}) {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = await response.json().catch(() => null);
  if (body?.errors?.length) throw new GraphQLError(body.errors);
  if (!response.ok || !body?.data) throw new Error(`GraphQL request failed: HTTP ${response.status}`);
  return body.data;
}
