#!/usr/bin/env bash
# The graphql-http audit (GraphQL over HTTP) against the real server: builds it, starts
# it on a free port over a temporary SQLite file, runs every audit, and stops it.
# Exits non-zero on any audit that is not ok (error, warning or notice).
#
# Usage: bash tools/audit/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cd "$here"
if [ ! -d node_modules/graphql-http ]; then
  npm ci --no-audit --no-fund --silent
fi

cd "$root"
cargo build --quiet --bin premiere
bin="$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/debug/premiere"

tmp="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

DATABASE_URL="sqlite://$tmp/audit.db?mode=rwc" \
  PREMIERE_LISTEN="127.0.0.1:$port" \
  PREMIERE_ADMIN_TOKEN="audit-admin-token" \
  RUST_LOG="warn" \
  "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if node -e "fetch('http://127.0.0.1:$port/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited; its log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

node "$here/audit.mjs" "http://127.0.0.1:$port/graphql"
