#!/usr/bin/env bash
# The real JavaScript clients against the real server, over HTTP: graphql-sse, a
# browser's EventSource (the `eventsource` package), Apollo Client's multipart
# subscriptions and persisted-queries link, urql with graphql-sse. Builds the server; each test starts it
# (and restarts it) on a free port over a temporary SQLite file with the demo data.
#
# Usage: bash tests/clients/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cd "$here"
npm ci --no-audit --no-fund --silent

cd "$root"
cargo build --quiet --bin premiere
target="$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

cd "$here"
PREMIERE_BIN="$target/debug/premiere" npm test --silent
