// Follows `releaseAlerts` over graphql-ws and never lets go: whenever the connection
// or the subscription ends (server restart, network loss, a transient error), it
// subscribes again with `after` = the cursor of the last alert the page showed, so
// the server replays exactly what was missed, in order, then carries on live.

import { GraphQLError } from './api.js';

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 5000;

/**
 * Starts following. Returns a function that stops.
 *
 * - `createClient`: graphql-ws's.
 * - `document`, `filter`: the subscription and its ReleaseFilter (or null).
 * - `cursor()`: the cursor to resume after (null: from now on), read at every (re)subscribe.
 * - `onAlert(event)`, `onStatus('connecting' | 'live' | 'reconnecting')`.
 * - `onInvalidCursor()`: the server does not know the cursor (another database).
 */
export function follow({ createClient, document, filter, cursor, onAlert, onStatus, onInvalidCursor }) {
  const url = new URL('/graphql', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let stopped = false;
  let failures = 0;
  let timer = null;
  let unsubscribe = null;

  const client = createClient({
    url: url.href,
    lazy: true,
    // Retries are ours (below), so that each one carries the latest cursor.
    retryAttempts: 0,
    keepAlive: 15_000,
    on: {
      connected: () => {
        failures = 0;
        if (!stopped) onStatus('live');
      },
      closed: () => {
        if (!stopped) onStatus('reconnecting');
      },
    },
  });

  function retry(immediately = false) {
    if (stopped || timer !== null) return;
    unsubscribe = null;
    onStatus('reconnecting');
    const backoff = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** failures);
    failures += 1;
    const delay = immediately ? 0 : backoff * (0.5 + Math.random() / 2);
    timer = setTimeout(() => {
      timer = null;
      subscribe();
    }, delay);
  }

  function subscribe() {
    if (stopped) return;
    let failed = false;
    // `variables` is read when the message is sent, so even a resend by graphql-ws
    // itself carries the current cursor.
    const payload = {
      query: document,
      get variables() {
        return { after: cursor(), filter };
      },
    };
    unsubscribe = client.subscribe(payload, {
      next: (result) => {
        if (result.errors?.length) {
          const error = new GraphQLError(result.errors);
          failed = true;
          if (error.names('after')) {
            stopped = true;
            onInvalidCursor();
          } else {
            console.warn('release alerts:', error.message);
          }
          return;
        }
        if (result.data?.releaseAlerts) onAlert(result.data.releaseAlerts);
      },
      // The socket closed or could not open.
      error: () => retry(),
      // The server ended the subscription (it is shutting down) or refused it.
      complete: () => retry(!failed && failures === 0),
    });
  }

  // A network that comes back is worth trying at once; one that goes away is noticed
  // now rather than when TCP gives up.
  const online = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
      failures = 0;
      retry(true);
    }
  };
  const offline = () => client.terminate();
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);

  onStatus('connecting');
  subscribe();

  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('online', online);
    window.removeEventListener('offline', offline);
    unsubscribe?.();
    client.dispose();
  };
}
