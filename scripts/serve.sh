#!/bin/sh
# Serves the API locally: wrangler dev on 127.0.0.1:${PORT:-8787}, on the local D1 under
# ${CHATROOMS_STATE:-.wrangler/state} with every migration applied.
#   --fresh   start from an empty database
#   --edge    serve the site of examples/edge-frontend instead, with the service behind its
#             service binding (README, "A front-end on the same edge")
# Any further arguments go to wrangler dev.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
fresh=
edge=
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) fresh=1 ;;
        --edge) edge=1 ;;
        *) break ;;
    esac
    shift
done
sh scripts/setup.sh
state=${CHATROOMS_STATE:-.wrangler/state}
if [ -n "$fresh" ]; then
    rm -rf "$state"
fi
CI=1 wrangler d1 migrations apply DB --local --persist-to "$state"
# Client networks are kept only as HMAC tags under the secret ADDRESS_KEY: a random one for this
# checkout, in .dev.vars (which wrangler dev reads, and git ignores), made once.
if ! grep -q '^ADDRESS_KEY=' .dev.vars 2>/dev/null; then
    printf 'ADDRESS_KEY=%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>.dev.vars
fi
if [ -z "$edge" ]; then
    # Every limit as deployed, but locally every user comes from 127.0.0.1: no cap on sign-ups
    # per address.
    exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --persist-to "$state" --var SIGNUPS_PER_HOUR:off "$@"
fi
# Two Workers in one wrangler dev: the front-end answers on the port, the service only through
# its binding. `--var` reaches the first Worker alone, and wrangler dev gives a Worker after the
# first no Rate Limiting binding, so the service runs from a copy of wrangler.toml (beside it,
# for its paths; git ignores it) whose vars turn off what needs one, as `--var` does above.
awk '/^(ADDRESS_RATE_LIMIT|SIGNUPS_PER_HOUR) *=/ { next }
     { print }
     /^\[vars\]$/ { print "ADDRESS_RATE_LIMIT = \"off\""; print "SIGNUPS_PER_HOUR = \"off\"" }' wrangler.toml >wrangler.edge.toml
exec wrangler dev -c examples/edge-frontend/wrangler.toml -c wrangler.edge.toml \
    --ip 127.0.0.1 --port "${PORT:-8787}" --persist-to "$state" "$@"
