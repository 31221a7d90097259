// GraphQL Playground on this server: HTTP on /graphql, subscriptions over the
// WebSocket on the same path (Playground speaks the legacy subscriptions-transport-ws
// protocol, which the server also serves). HTTP headers set in Playground's tabs
// (e.g. {"Authorization": "Bearer <admin token>"}) authorise mutations.
(function start() {
  'use strict';
  const endpoint = new URL('/graphql', window.location.href);
  const socket = new URL(endpoint);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const root = document.getElementById('root');
  window.GraphQLPlayground.init(root, {
    endpoint: endpoint.href,
    subscriptionEndpoint: socket.href,
    settings: {
      'request.credentials': 'same-origin',
      // Playground re-reads the schema every 2 s by default; it changes only with the
      // server, and the reload button in Playground's schema tab does it on demand.
      'schema.polling.enable': false,
      'editor.fontFamily': "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace",
    },
  });
})();
