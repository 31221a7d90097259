// The live release page: the latest release events, newest first, then every alert
// as it happens. No alert is missed or shown twice: the page subscribes with `after` =
// the cursor of the newest event it shows (kept in localStorage), and the server
// replays everything after it before going live, after a reconnect as after a reload.

import * as api from './api.js';
import * as cursors from './cursors.js';
import { describe, Feed } from './feed.js';
import { follow } from './live.js';

const PAGE = 20;
const STATUS_LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

const byId = (id) => document.getElementById(id);
const feed = new Feed(byId('feed'), byId('event-template'));
const select = byId('series');
const earlier = byId('earlier');

const state = {
  /** Series ID the page is narrowed to, '' for all. */
  series: new URLSearchParams(window.location.search).get('series') ?? '',
  /** Cursor of the newest event shown: where the subscription resumes. */
  newest: null,
  /** Cursor of the oldest event shown from the history: where "earlier" pages. */
  oldest: null,
  stop: null,
  /** Bumped at every (re)start, so that late answers of an old one are dropped. */
  generation: 0,
};

const filter = () => (state.series ? { seriesIds: [state.series] } : null);

function setStatus(status) {
  const element = byId('status');
  element.dataset.state = status;
  element.querySelector('.status-label').textContent = STATUS_LABELS[status];
}

function notice(text) {
  const element = byId('notice');
  element.textContent = text ?? '';
  element.hidden = !text;
}

/** Announces `text` to screen readers (the region is aria-live="polite"). */
function announce(text) {
  const region = byId('announcer');
  region.textContent = '';
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

function showEmpty() {
  byId('empty').hidden = feed.size > 0;
}

function newestOf(history) {
  return history.releaseEvents.edges.at(-1)?.node.cursor ?? null;
}

/** Appends a page of history (oldest first, as the log returns it) below what is shown. */
function appendHistory(history, lastVisit) {
  const events = history.releaseEvents.edges.map((edge) => edge.node);
  // Marked "new": what came after the newest event the last visit showed.
  const seen = lastVisit === null ? -1 : events.findIndex((e) => e.cursor === lastVisit);
  for (let index = events.length - 1; index >= 0; index -= 1) {
    feed.add(events[index], { atTop: false, fresh: seen >= 0 && index > seen });
  }
  if (events.length) state.oldest = events[0].cursor;
  earlier.hidden = !history.releaseEvents.pageInfo.hasPreviousPage;
}

function showAlert(event) {
  if (!feed.add(event, { atTop: true, fresh: true })) return;
  state.newest = event.cursor;
  cursors.remember(state.series, event.cursor);
  showEmpty();
  announce(describe(event));
}

/** Loads the history and (re)subscribes; called at start and when the filter changes. */
async function start(createClient, attempt = 0) {
  const generation = ++state.generation;
  state.stop?.();
  state.stop = null;
  const key = state.series;
  const stored = cursors.lastShown(key);
  let history;
  let resume;
  try {
    history = await api.query(api.HISTORY, { last: PAGE, filter: filter() });
    resume = newestOf(history) ?? stored;
    if (resume === null) {
      // Nothing to resume after: take the end of the whole log, then read the history
      // again, so that an event published in between is in one or the other.
      const head = await api.query(api.HEAD);
      history = await api.query(api.HISTORY, { last: PAGE, filter: filter() });
      resume = newestOf(history) ?? head.releaseEvents.edges.at(-1)?.cursor ?? null;
    }
  } catch (error) {
    if (generation !== state.generation) return;
    setStatus('reconnecting');
    notice(`The server is not answering (${error.message}); trying again.`);
    const delay = Math.min(5000, 500 * 2 ** attempt);
    setTimeout(() => generation === state.generation && start(createClient, attempt + 1), delay);
    return;
  }
  if (generation !== state.generation) return;
  notice(null);
  feed.clear();
  appendHistory(history, stored);
  feed.list.setAttribute('aria-busy', 'false');
  showEmpty();
  state.newest = resume;
  if (resume) cursors.remember(key, resume);
  state.stop = follow({
    createClient,
    document: api.ALERTS,
    filter: filter(),
    cursor: () => state.newest,
    onAlert: showAlert,
    onStatus: setStatus,
    onInvalidCursor: () => {
      // The cursor belongs to another database (the server's was replaced): start over.
      cursors.forget(key);
      start(createClient);
    },
  });
}

async function showEarlier() {
  const generation = state.generation;
  earlier.disabled = true;
  try {
    const history = await api.query(api.HISTORY, {
      last: PAGE,
      before: state.oldest,
      filter: filter(),
    });
    if (generation === state.generation) appendHistory(history, null);
  } catch (error) {
    notice(`Could not load earlier releases (${error.message}).`);
  } finally {
    earlier.disabled = false;
  }
}

async function loadSeries() {
  try {
    const data = await api.query(api.SERIES);
    for (const series of data.allSeries.nodes) {
      select.append(new Option(series.title, series.id, false, series.id === state.series));
    }
  } catch (error) {
    console.warn('series list:', error.message);
  }
  select.value = state.series;
}

function narrow(createClient, series) {
  state.series = series;
  select.value = series;
  const url = new URL(window.location.href);
  if (series) url.searchParams.set('series', series);
  else url.searchParams.delete('series');
  window.history.replaceState(null, '', url);
  start(createClient);
}

async function main() {
  const module = document.querySelector('meta[name="premiere:graphql-ws"]').content;
  const { createClient } = await import(module);
  select.addEventListener('change', () => narrow(createClient, select.value));
  byId('controls').addEventListener('submit', (event) => event.preventDefault());
  feed.list.addEventListener('click', (event) => {
    const button = event.target.closest('.series-link');
    if (button) narrow(createClient, button.dataset.series);
  });
  earlier.addEventListener('click', showEarlier);
  setInterval(() => feed.tick(), 30_000);
  await Promise.all([loadSeries(), start(createClient)]);
}

main();
