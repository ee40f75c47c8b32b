#!/bin/sh
# The contract, checked by other people's tools: web/openapi.json validated by
# openapi-spec-validator, and the web client type-checked against it. openapi-typescript turns
# the document into types (target/contract/openapi.d.ts, made anew every run, never committed),
# web/js/api.js gives each endpoint's answer its type from them in JSDoc, and tsc checks
# web/js/ with those types (tsconfig.json), emitting nothing: a field the document renames and
# the client still reads fails here. The client itself keeps no build step.
#
#   scripts/contract.sh
#
# openapi-spec-validator (pinned in requirements-contract.txt) goes into .venv/, beside
# schemathesis; typescript and openapi-typescript come from package.json. A second run skips
# the installs.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
step() { printf '==> contract: %s (%ss)\n' "$*" "$(($(date +%s) - started))" >&2; }

# --- openapi-spec-validator, pinned, in .venv/ -----------------------------------------------
pinned=$(sed -n 's/^openapi-spec-validator==\([^ ]*\).*/\1/p' requirements-contract.txt)
if [ "$(.venv/bin/openapi-spec-validator --version 2>/dev/null)" != "openapi-spec-validator $pinned" ]; then
    step "installing openapi-spec-validator $pinned into .venv/"
    [ -x .venv/bin/python ] || python3 -m venv .venv || {
        echo "contract.sh: python3 cannot make a virtualenv (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-contract.txt
fi

# --- the npm packages, as setup.sh installs them (and with its stamp) --------------------------
if ! cmp -s package-lock.json node_modules/.chatrooms-package-lock.json 2>/dev/null; then
    step "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.chatrooms-package-lock.json
fi

# --- the checks ------------------------------------------------------------------------------
step "openapi-spec-validator web/openapi.json"
.venv/bin/openapi-spec-validator --validation-errors all web/openapi.json

step "openapi-typescript web/openapi.json -> target/contract/openapi.d.ts"
mkdir -p target/contract
openapi-typescript web/openapi.json --output target/contract/openapi.d.ts >target/contract/openapi-typescript.log 2>&1 || {
    cat target/contract/openapi-typescript.log >&2
    exit 1
}

step "tsc: web/js/ against the document's types"
tsc --noEmit -p tsconfig.json || {
    echo "contract.sh: the web client (web/js/) and web/openapi.json disagree, or a JSDoc type is wrong" >&2
    exit 1
}
step "passed"
