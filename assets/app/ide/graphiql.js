// GraphiQL on this server: queries and mutations are POSTed to /graphql, and
// subscriptions run over the WebSocket on the same path (graphql-transport-ws, with
// the graphql-ws client bundled in GraphiQL). The JSON in the Headers pane goes with
// every request and, for subscriptions, as the `connection_init` payload, so
// `{"Authorization": "Bearer <admin token>"}` there authorises mutations.
(function start() {
  'use strict';
  const endpoint = new URL('/graphql', window.location.href);
  const socket = new URL(endpoint);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  const defaultQuery = `# Premiere: a catalogue of series with release alerts.
# Admin mutations need {"Authorization": "Bearer <admin token>"} in the Headers pane;
# the release page is at /.

{
  seriesBySlug(slug: "soundtrack") {
    title
    genres
    installments(first: 10) {
      nodes {
        title
        status
        credits(first: 5) { nodes { role character person { name } } }
      }
    }
  }
}
`;

  const fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: socket.href,
  });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // The admin token stays in this tab, not in localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
