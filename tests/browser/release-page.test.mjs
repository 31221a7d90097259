// The live release page at `/`: history newest first, alerts appended live, each
// exactly once, across a reload and across a server restart.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { checked, foreignRequests, launch } from './lib/browser.mjs';
import { createPublished, gql, publish, soundtrack, subscriptionsOpen } from './lib/graphql.mjs';
import { seededDatabase, Server } from './lib/server.mjs';
import { WAIT_MS } from './lib/wait.mjs';

/** The installment titles the feed shows, top to bottom. */
function titles(page) {
  return page.$$eval('#feed .event .installment', (items) => items.map((i) => i.textContent));
}

function waitForStatus(page, state) {
  return page.waitForSelector(`#status[data-state="${state}"]`, { timeout: WAIT_MS });
}

/** Waits until the newest event shown is `title`, for at most `timeout` ms. */
function waitForTop(page, title, timeout = WAIT_MS) {
  return page.waitForFunction(
    (t) => document.querySelector('#feed .event .installment')?.textContent === t,
    { timeout, polling: 10 },
    title,
  );
}

/** Waits until the feed shows `count` events, all of series `only` when given. */
function feedHolds(page, count, only = null) {
  return page.waitForFunction(
    (n, series) => {
      const events = [...document.querySelectorAll('#feed .event')];
      return events.length === n && (!series || events.every((e) => e.dataset.series === series));
    },
    { timeout: WAIT_MS, polling: 50 },
    count,
    only,
  );
}

describe('the release page', () => {
  let database;
  let server;
  let session;
  let release;
  let seriesId;

  before(async () => {
    database = await seededDatabase();
    server = await new Server(database, { name: 'release-page-server' }).start();
    session = await launch();
    release = await session.open('release page');
    ({ seriesId } = await soundtrack(server.origin, 1));
  });

  after(async () => {
    await session?.close();
    await server?.stop();
  });

  it('shows the latest release events, live, with links to the IDEs', async (t) => {
    await checked(session, t, async () => {
      const { page } = release;
      const response = await page.goto(server.origin, { waitUntil: 'load' });
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-security-policy'], /script-src 'self';/);
      await waitForStatus(page, 'live');
      assert.deepEqual(await titles(page), ['Soundtrack #1']);
      assert.equal(await page.$eval('#status .status-label', (e) => e.textContent), 'Live');
      const links = await page.$$eval('nav.tools a', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, ['/graphql', '/playground']);
      assert.equal(await page.$eval('#announcer', (e) => e.getAttribute('aria-live')), 'polite');
    });
  });

  it('shows the Soundtrack #2 alert within a second of the publish', async (t) => {
    await checked(session, t, async () => {
      const { page } = release;
      await subscriptionsOpen(server.origin, 1);
      const { installment } = await soundtrack(server.origin, 2);
      assert.equal(installment.status, 'DRAFT');
      assert.equal((await publish(server.origin, installment.id)).status, 'PUBLISHED');
      const published = Date.now();
      await waitForTop(page, 'Soundtrack #2', 1000);
      const shownAfter = Date.now() - published;
      t.diagnostic(`alert shown ${shownAfter} ms after the publish returned`);
      assert.ok(shownAfter < 1000, `${shownAfter} ms`);
      assert.deepEqual(await titles(page), ['Soundtrack #2', 'Soundtrack #1']);
      const top = '#feed .event:first-child';
      assert.equal(await page.$eval(`${top} .kind`, (e) => e.textContent), 'Published');
      assert.equal(await page.$eval(`${top} .series-link`, (e) => e.textContent), 'Soundtrack');
      const credits = await page.$$eval(`${top} .credits li`, (items) => items.map((i) => i.textContent));
      assert.ok(credits.includes('Keum Sae-rok as Do Hyeonseo'), credits.join(' | '));
      assert.ok(await page.$eval(`${top} time.when`, (e) => !Number.isNaN(Date.parse(e.dateTime))));
      await page.waitForFunction(
        () => document.querySelector('#announcer').textContent.includes('Soundtrack #2'),
        { timeout: WAIT_MS, polling: 50 },
      );
    });
  });

  it('shows it once after a reload', async (t) => {
    await checked(session, t, async () => {
      const { page } = release;
      await page.reload({ waitUntil: 'load' });
      await waitForStatus(page, 'live');
      assert.deepEqual(await titles(page), ['Soundtrack #2', 'Soundtrack #1']);
      // A later alert arrives after anything the resumed subscription would replay:
      // once it is shown, a duplicate of #2 would be too.
      await createPublished(server.origin, seriesId, 3);
      await waitForTop(page, 'Soundtrack #3');
      assert.deepEqual(await titles(page), ['Soundtrack #3', 'Soundtrack #2', 'Soundtrack #1']);
      const stored = await page.evaluate(() => localStorage.getItem('premiere.release-page.cursors'));
      const newest = await page.$eval('#feed .event:first-child', (e) => e.dataset.cursor);
      assert.equal(JSON.parse(stored)[''], newest);
    });
  });

  it('after a server restart shows the alerts published while it was down, each once', async (t) => {
    await checked(session, t, async () => {
      const { page } = release;
      await page.evaluate(() => {
        window.samePage = true;
      });
      await server.stop();
      await waitForStatus(page, 'reconnecting');
      // Another process on the same database publishes while this one is down.
      const other = await new Server(database, { name: 'release-page-second-process' }).start();
      try {
        await createPublished(other.origin, seriesId, 4);
        await createPublished(other.origin, seriesId, 5);
      } finally {
        await other.stop();
      }
      await server.start();
      await waitForTop(page, 'Soundtrack #5');
      await waitForStatus(page, 'live');
      assert.deepEqual(await titles(page), [
        'Soundtrack #5',
        'Soundtrack #4',
        'Soundtrack #3',
        'Soundtrack #2',
        'Soundtrack #1',
      ]);
      assert.equal(await page.evaluate(() => window.samePage), true, 'the page reloaded');
    });
  });

  it('narrows to one series, live', async (t) => {
    await checked(session, t, async () => {
      const { page } = release;
      const created = await gql(
        server.origin,
        'mutation { createSeries(input: { slug: "night-shift", title: "Night Shift", network: "KBS" }) { id } }',
      );
      const nightShift = created.createSeries.id;
      await createPublished(server.origin, nightShift, 1);
      await waitForTop(page, 'Night Shift #1');
      // The series list was read at load: reload to see the new series in it.
      await page.reload({ waitUntil: 'load' });
      await waitForStatus(page, 'live');
      await page.waitForSelector(`#series option[value="${nightShift}"]`, { timeout: WAIT_MS });
      await page.select('#series', seriesId);
      await feedHolds(page, 5, seriesId);
      assert.equal(new URL(page.url()).searchParams.get('series'), seriesId);
      await waitForStatus(page, 'live');
      // Live alerts of another series stay out; those of this one come in.
      await createPublished(server.origin, nightShift, 2);
      await createPublished(server.origin, seriesId, 6);
      await waitForTop(page, 'Soundtrack #6');
      assert.ok(!(await titles(page)).includes('Night Shift #2'));
      await page.select('#series', '');
      await feedHolds(page, 8);
      // Clicking a series' name narrows to it too.
      await page.click(`#feed .series-link[data-series="${nightShift}"]`);
      await feedHolds(page, 2, nightShift);
      assert.deepEqual(await titles(page), ['Night Shift #2', 'Night Shift #1']);
      assert.equal(await page.$eval('#series', (s) => s.value), nightShift);
    });
  });

  it("makes requests to the server's origin only, within its CSP", async (t) => {
    await checked(session, t, async () => {
      assert.deepEqual(foreignRequests(session.pages, server.origin), []);
      assert.ok(release.sockets.some((url) => url === `${server.origin.replace('http', 'ws')}/graphql`));
      assert.deepEqual(release.violations, []);
      assert.deepEqual(release.errors, []);
    });
  });
});
