#!/bin/sh
# Runs every test, installing whatever is missing first:
#   lints and formatting, the OpenAPI document validated and the web client type-checked
#   against it, unit tests (native), the wasm build, the deploy script (against a fake account,
#   and its dry run), the integration tests against a real `wrangler dev` (the live ones twice:
#   once more with rooms spread over fan-out objects), the client package
#   (clients/js: its build and its own tests against `wrangler dev`), the benchmark's smoke
#   check, fuzzing from the OpenAPI document, the load test, and the web client's browser tests.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - started))" >&2; }

step "setup"
sh scripts/setup.sh --browser

step "clippy, and the formatting (cargo fmt --check)"
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --quiet --all-targets -- -D warnings
else
    echo "clippy is not installed and could not be: lints skipped" >&2
fi
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --check
else
    echo "rustfmt is not installed and could not be: the formatting check skipped" >&2
fi

step "contract: the OpenAPI document validated; the web client type-checked against it"
sh scripts/contract.sh

step "unit tests, every statement's query plan, the room rules against their SQL guards, the throttles', the handles' and the room history's SQL"
cargo test --quiet --lib --test query_plans --test room_rules --test throttle_sql --test key_guard --test history_sql --test handle_sql --test rooms_json

step "build the worker (wasm32)"
sh scripts/build.sh

step "deploying: scripts/deploy.sh against a fake account, and its dry run (wrangler deploy --dry-run)"
CHATROOMS_SKIP_BUILD=1 sh tests/deploy.sh

# Four at a time on two cores: most of a test's time is waiting (on wrangler dev, on a socket's
# frames, on a key's TTL), not computing.
step "integration tests against wrangler dev"
CHATROOMS_SKIP_BUILD=1 cargo test --quiet --test api -- --test-threads 4

# The live protocol again, with every room's sockets past its first in fan-out objects
# (src/live/fan/): a client must not be able to tell which object holds its socket.
step "the live tests again, every room spread over fan-out objects (ROOM_SOCKETS_PER_OBJECT=1)"
CHATROOMS_TEST_VARS=ROOM_SOCKETS_PER_OBJECT=1 CHATROOMS_SKIP_BUILD=1 cargo test --quiet --test api -- --test-threads 4 live::

step "the client package (clients/js): its types from the documents, tsc --strict over a typed usage, its size budget, npm pack, and its tests against wrangler dev"
node clients/js/scripts/build.mjs
node clients/js/test/run.mjs

# The test profile's build of benches/bench.rs reuses the integration tests' dependencies; the
# bench profile (opt-level 3) would compile them all again.
step "benchmark smoke: both workers start, one comparison"
BENCH_SMOKE=1 CHATROOMS_SKIP_BUILD=1 cargo test --quiet --bench bench

step "fuzzing from the OpenAPI document (schemathesis, 1,000+ requests)"
sh scripts/fuzz.sh

step "load test: 200 clients for 30 s against wrangler dev"
CHATROOMS_SKIP_BUILD=1 cargo test --quiet --test load -- --nocapture

step "browser tests: the web client in Chromium against wrangler dev"
CHATROOMS_SKIP_BUILD=1 npx playwright test

step "all tests passed"
