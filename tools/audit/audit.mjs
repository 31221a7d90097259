// Runs every audit of graphql-http (the GraphQL-over-HTTP specification) against a
// running Premiere server and prints each result. Exits non-zero unless every audit
// passed: an error (MUST), a warning (SHOULD) or a notice (MAY) all count as failures.
//
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

const results = await auditServer({ url });
let passed = 0;
for (const result of results) {
  if (result.status === 'ok') {
    passed += 1;
    console.log(`ok      ${result.id} ${result.name}`);
  } else {
    console.log(`${result.status.padEnd(7)} ${result.id} ${result.name}`);
    console.log(`        reason: ${result.reason}`);
    if (result.response) {
      const res = result.response;
      let body = '';
      try {
        body = await res.text();
      } catch {
        body = '(body already read)';
      }
      console.log(`        response: ${res.status} ${res.headers.get('content-type') ?? ''} ${body.slice(0, 300)}`);
    }
  }
}
const failed = results.length - passed;
console.log(`\ngraphql-http audit: ${passed} of ${results.length} passed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
