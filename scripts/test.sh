#!/bin/sh
# Runs every test, installing whatever is missing first:
#   lints, unit tests (native), the wasm build, a deploy dry run, the integration tests
#   against a real `wrangler dev`, fuzzing from the OpenAPI document, the load test, and the
#   web client's browser tests.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - started))" >&2; }

step "setup"
sh scripts/setup.sh --browser

step "clippy"
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --quiet --all-targets -- -D warnings
else
    echo "clippy is not installed and could not be: lints skipped" >&2
fi

step "contract: the OpenAPI document validated; the web client type-checked against it"
sh scripts/contract.sh

step "unit tests, and every statement's query plan"
cargo test --quiet --lib
cargo test --quiet --test query_plans

step "build the worker (wasm32)"
sh scripts/build.sh

step "wrangler deploy --dry-run"
dry_run=$(CHATROOMS_SKIP_BUILD=1 wrangler deploy --dry-run --outdir target/dry-run 2>&1) || {
    echo "$dry_run" >&2
    exit 1
}
echo "$dry_run" | grep -E "Total Upload" >&2

step "integration tests against wrangler dev"
CHATROOMS_SKIP_BUILD=1 cargo test --quiet --test api

step "fuzzing from the OpenAPI document (schemathesis, 1,000+ requests)"
sh scripts/fuzz.sh

step "load test: 200 clients for 30 s against wrangler dev"
CHATROOMS_SKIP_BUILD=1 cargo test --quiet --test load -- --nocapture

step "browser tests: the web client in Chromium against wrangler dev"
CHATROOMS_SKIP_BUILD=1 npx playwright test

step "all tests passed"
