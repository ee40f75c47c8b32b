#!/bin/sh
# The benchmark: builds the worker, starts its own `wrangler dev` instances on loopback (the
# Rust worker, and a plain-JS baseline in bench/baseline), measures password hashing, request
# overhead, round trips, scale, size, and live rooms (WebSocket fan-out beside a plain-JS Durable
# Object, and what a message and an open tab cost), prints a table of targets and measured
# values, and writes it to bench/RESULTS.md. About 20 minutes. BENCH_SECONDS=N lengthens each
# round of section 2; BENCH_SECTIONS=2,4 runs only those sections (6 is the live one), and
# BENCH_SMOKE=1 only the check the test command runs (both workers start, answer one read route
# alike, and fan a few seconds of messages out to 5 sockets with none lost or reordered);
# neither writes bench/RESULTS.md.
# BENCH_BASELINE=<a wrangler config> puts another build of the service (say, main before a
# change: a config whose `main` is that build's index.js) in the JS baseline's place in section 2.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
sh scripts/setup.sh
sh scripts/build.sh
CHATROOMS_SKIP_BUILD=1 cargo bench --bench bench
