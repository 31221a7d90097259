// GraphiQL, served by the binary from its embedded copy: queries over HTTP with the
// Headers pane, subscriptions over the WebSocket on /graphql, nothing from elsewhere.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { checked, foreignRequests, launch } from './lib/browser.mjs';
import { openGraphiQL, resultMatching, run, setHeaders, setQuery } from './lib/graphiql.mjs';
import { readmeFirstQuery, subscriptionsOpen } from './lib/graphql.mjs';
import { seededDatabase, Server, TOKEN } from './lib/server.mjs';

const ADMIN = { Authorization: `Bearer ${TOKEN}` };

describe('GraphiQL', () => {
  let server;
  let session;

  before(async () => {
    server = await new Server(await seededDatabase(), { name: 'graphiql-server' }).start();
    session = await launch();
  });

  after(async () => {
    await session?.close();
    await server?.stop();
  });

  it("runs the README's first query and shows Keum Sae-rok", async (t) => {
    await checked(session, t, async () => {
      const { page } = await openGraphiQL(session, server.origin, 'graphiql');
      // The admin token in the Headers pane: Soundtrack #2 is still a draft.
      await setHeaders(page, ADMIN);
      await setQuery(page, readmeFirstQuery());
      await run(page);
      const text = await resultMatching(page, /Keum Sae-rok/);
      const result = JSON.parse(text);
      const titles = result.data.seriesBySlug.installments.nodes.map((i) => i.title);
      assert.deepEqual(titles, ['Soundtrack #1', 'Soundtrack #2']);
      assert.ok(!result.errors, text);
    });
  });

  it('receives the alert of a subscription when Soundtrack #2 is published from GraphiQL', async (t) => {
    await checked(session, t, async () => {
      // The release page links to GraphiQL; the publishing tab is opened from there.
      const release = await session.open('release page');
      await release.page.goto(server.origin, { waitUntil: 'load' });
      await release.page.waitForSelector('#status[data-state="live"]');
      const href = await release.page.$eval('nav.tools a[href="/graphql"]', (a) => a.href);
      assert.equal(href, `${server.origin}/graphql`);

      await subscriptionsOpen(server.origin, 1);

      const watching = await openGraphiQL(session, server.origin, 'graphiql subscription');
      await setQuery(
        watching.page,
        `subscription WatchReleases {
  releaseAlerts(filter: { kinds: [INSTALLMENT_PUBLISHED] }) {
    cursor
    kind
    series { title }
    installment { title status credits(first: 3) { nodes { character person { name } } } }
  }
}`,
      );
      await run(watching.page);
      // GraphiQL's subscription is open once the server counts it (the page has one).
      await subscriptionsOpen(server.origin, 2);

      const publishing = await session.open('graphiql publish');
      await publishing.page.goto(href, { waitUntil: 'load' });
      await publishing.page.waitForSelector('.graphiql-query-editor .CodeMirror');
      await setHeaders(publishing.page, ADMIN);
      await setQuery(
        publishing.page,
        'query Drafts { seriesBySlug(slug: "soundtrack") { installments(status: DRAFT) { nodes { id title } } } }',
      );
      await run(publishing.page);
      const drafts = JSON.parse(await resultMatching(publishing.page, /Soundtrack #2/));
      const [draft] = drafts.data.seriesBySlug.installments.nodes;
      assert.equal(draft.title, 'Soundtrack #2');
      await setQuery(
        publishing.page,
        `mutation Publish { publishInstallment(id: "${draft.id}") { title status publishedAt } }`,
      );
      await run(publishing.page);
      await resultMatching(publishing.page, /"status": "PUBLISHED"/);

      const alert = JSON.parse(await resultMatching(watching.page, /INSTALLMENT_PUBLISHED/));
      assert.equal(alert.data.releaseAlerts.installment.title, 'Soundtrack #2');
      assert.equal(alert.data.releaseAlerts.installment.status, 'PUBLISHED');
      assert.equal(alert.data.releaseAlerts.series.title, 'Soundtrack');
      // And the release page, which GraphiQL was opened from, shows it too.
      await release.page.waitForFunction(
        () => document.querySelector('#feed .event .installment')?.textContent === 'Soundtrack #2',
        { polling: 50 },
      );
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
