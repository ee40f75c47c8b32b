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
# Client networks are kept only as HMAC tags under the secret ADDRESS_KEY: a random one for this
# checkout, in .dev.vars (which wrangler dev reads, and git ignores), made once.
if ! grep -q '^ADDRESS_KEY=' .dev.vars 2>/dev/null; then
    printf 'ADDRESS_KEY=%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>.dev.vars
fi
# Every limit as deployed, but locally every user comes from 127.0.0.1: no cap on sign-ups
# per address.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var SIGNUPS_PER_HOUR:off
