#!/bin/sh
# The contract, checked by other people's tools: web/openapi.json validated by
# openapi-spec-validator, web/asyncapi.json (the live socket's frames) by the AsyncAPI 3.0.0
# JSON Schema (scripts/asyncapi_check.py), and the web client type-checked against both. The
# client package (clients/js) turns the documents into types (clients/js/scripts/generate.mjs,
# by openapi-typescript: made anew every run, never committed); the web client calls the
# service through that package (copied into web/js/client/ with those types), and tsc checks
# web/js/ (tsconfig.json), emitting nothing: a field a document renames and the web client
# still reads fails here. The web client itself keeps no build step.
#
#   scripts/contract.sh
#
# openapi-spec-validator and jsonschema (pinned in requirements-contract.txt) go into .venv/,
# beside schemathesis; typescript and openapi-typescript come from package.json. The AsyncAPI
# schema is the one the AsyncAPI project publishes in @asyncapi/specs (pinned below), fetched
# by `npm pack` into target/contract/: it is only read, so it stays out of package.json and
# node_modules/. A second run skips the installs and the fetch.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
ASYNCAPI_SPECS=6.11.1
step() { printf '==> contract: %s (%ss)\n' "$*" "$(($(date +%s) - started))" >&2; }

# --- what the checks need: openapi-spec-validator (pinned, in .venv/), and the npm packages --
pinned=$(pinned openapi-spec-validator requirements-contract.txt)
venv_install openapi-spec-validator requirements-contract.txt "openapi-spec-validator $pinned"
sh scripts/setup.sh

# --- the checks ------------------------------------------------------------------------------
step "openapi-spec-validator web/openapi.json"
.venv/bin/openapi-spec-validator --validation-errors all web/openapi.json

step "AsyncAPI 3.0.0 schema (@asyncapi/specs $ASYNCAPI_SPECS) web/asyncapi.json"
specs=target/contract/asyncapi-specs-$ASYNCAPI_SPECS
schema="$specs/schemas/3.0.0-without-\$id.json"
if [ ! -f "$schema" ]; then
    mkdir -p "$specs"
    (cd target/contract && npm pack "@asyncapi/specs@$ASYNCAPI_SPECS" --silent >/dev/null)
    tar -xzf "target/contract/asyncapi-specs-$ASYNCAPI_SPECS.tgz" -C "$specs" --strip-components=1 package/schemas
fi
.venv/bin/python scripts/asyncapi_check.py "$schema" web/asyncapi.json

step "the client package's types (clients/js/scripts/generate.mjs), copied into web/js/client/ with its sources"
node clients/js/scripts/generate.mjs
node clients/js/scripts/vendor.mjs --types web/js/client

step "tsc: web/js/ against the document's types"
tsc --noEmit -p tsconfig.json || {
    echo "contract.sh: the web client (web/js/) and web/openapi.json disagree, or a JSDoc type is wrong" >&2
    exit 1
}
step "passed"
