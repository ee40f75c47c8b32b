#!/bin/sh
# Serves the API locally: wrangler dev on 127.0.0.1:${PORT:-8787}, on the local D1 under
# .wrangler/state with every migration applied. `--fresh` starts from an empty database.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
sh scripts/setup.sh
if [ "${1:-}" = --fresh ]; then
    rm -rf .wrangler/state
fi
CI=1 wrangler d1 migrations apply DB --local
# Locally every user comes from 127.0.0.1: no cap on sign-ups per address.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var SIGNUPS_PER_HOUR:off
