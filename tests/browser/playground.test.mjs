// GraphQL Playground 1.7.28, served by the binary from its embedded copy (not from
// async-graphql): a query over HTTP and a subscription over the WebSocket on /graphql
// (Playground speaks the legacy subscriptions-transport-ws protocol).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { checked, foreignRequests, launch } from './lib/browser.mjs';
import { publish, soundtrack, subscriptionsOpen } from './lib/graphql.mjs';
import { seededDatabase, Server } from './lib/server.mjs';
import { WAIT_MS } from './lib/wait.mjs';

const RUN = '[title="Execute Query (Ctrl-Enter)"]';

/** Replaces the text of the open tab's query editor (Playground's first CodeMirror). */
function setQuery(page, text) {
  return page.$eval('.CodeMirror', (element, value) => element.CodeMirror.setValue(value), text);
}

/** Waits until the page shows `text` (the result pane is part of the page). */
function shows(page, text) {
  return page.waitForFunction((t) => document.body.innerText.includes(t), { timeout: WAIT_MS, polling: 50 }, text);
}

describe('GraphQL Playground', () => {
  let server;
  let session;
  let playground;

  before(async () => {
    server = await new Server(await seededDatabase(), { name: 'playground-server' }).start();
    session = await launch();
  });

  after(async () => {
    await session?.close();
    await server?.stop();
  });

  it('loads and runs a query', async (t) => {
    await checked(session, t, async () => {
      playground = await session.open('playground');
      const response = await playground.page.goto(`${server.origin}/playground`, { waitUntil: 'load' });
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-security-policy'], /connect-src 'self'/);
      await playground.page.waitForSelector(RUN, { timeout: WAIT_MS });
      await setQuery(
        playground.page,
        'query Soundtrack { seriesBySlug(slug: "soundtrack") { title genres latestInstallment { title } } }',
      );
      await playground.page.click(RUN);
      await shows(playground.page, '"Soundtrack #1"');
      await shows(playground.page, '"romance"');
    });
  });

  it('receives a release alert over its WebSocket', async (t) => {
    await checked(session, t, async () => {
      const { page } = playground;
      await setQuery(
        page,
        'subscription Releases { releaseAlerts { kind installment { title status } } }',
      );
      await page.click(RUN);
      await subscriptionsOpen(server.origin, 1);
      const { installment } = await soundtrack(server.origin, 2);
      assert.equal((await publish(server.origin, installment.id)).status, 'PUBLISHED');
      await shows(page, '"INSTALLMENT_PUBLISHED"');
      await shows(page, '"Soundtrack #2"');
    });
  });

  it("makes requests to the server's origin only, within its CSP", async (t) => {
    await checked(session, t, async () => {
      assert.deepEqual(foreignRequests(session.pages, server.origin), []);
      const sockets = session.pages.flatMap((r) => r.sockets);
      assert.ok(sockets.some((url) => url.endsWith('/graphql')), `WebSockets: ${sockets}`);
      assert.deepEqual(session.pages.flatMap((r) => r.violations), []);
      assert.deepEqual(session.pages.flatMap((r) => r.errors), []);
    });
  });
});
