// Driving GraphiQL 4 as a person does: its editors are CodeMirror 5 instances, its
// buttons carry labels.

import { WAIT_MS } from './wait.mjs';

const QUERY = '.graphiql-query-editor .CodeMirror';
const RESULT = '.graphiql-response .CodeMirror';

export async function openGraphiQL(session, origin, name) {
  const record = await session.open(name);
  const response = await record.page.goto(`${origin}/graphql`, { waitUntil: 'load' });
  if (!response.ok()) throw new Error(`GET /graphql: HTTP ${response.status()}`);
  await record.page.waitForSelector(QUERY, { timeout: WAIT_MS });
  return record;
}

function setEditor(page, selector, text) {
  return page.$eval(selector, (element, value) => element.CodeMirror.setValue(value), text);
}

/**
 * Replaces the query. GraphiQL parses the editor's text a moment later and picks the
 * transport from the parsed operation (a subscription goes over the WebSocket), so
 * for a named operation this waits until the tab shows its name: until then, Run
 * would still act on the previous document (tests name their operations).
 */
export async function setQuery(page, text) {
  await setEditor(page, QUERY, text);
  const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(text)?.[1];
  if (name) {
    await page.waitForFunction(
      (expected) =>
        document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent.trim() ===
        expected,
      { timeout: WAIT_MS, polling: 50 },
      name,
    );
  }
}

/** Types `headers` (an object) into the Headers pane, as JSON. */
export async function setHeaders(page, headers) {
  const [tab] = await page.$$('xpath/.//button[normalize-space()="Headers"]');
  await tab.click();
  const editor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  await page.waitForSelector(editor, { visible: true, timeout: WAIT_MS });
  await setEditor(page, editor, JSON.stringify(headers, null, 2));
}

export async function run(page) {
  await page.click('.graphiql-execute-button');
}

/** The result pane's text, once `test` (a RegExp) matches it. */
export async function resultMatching(page, test, timeout = WAIT_MS) {
  await page.waitForFunction(
    (selector, source, flags) => {
      const text = document.querySelector(selector)?.CodeMirror?.getValue() ?? '';
      return new RegExp(source, flags).test(text);
    },
    { timeout, polling: 50 },
    RESULT,
    test.source,
    test.flags,
  );
  return page.$eval(RESULT, (element) => element.CodeMirror.getValue());
}
