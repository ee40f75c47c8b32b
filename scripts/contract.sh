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

# --- what the checks need: openapi-spec-validator (pinned, in .venv/), and the npm packages --
pinned=$(pinned openapi-spec-validator requirements-contract.txt)
venv_install openapi-spec-validator requirements-contract.txt "openapi-spec-validator $pinned"
sh scripts/setup.sh

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
