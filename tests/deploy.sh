#!/bin/sh
# scripts/deploy.sh against a fake account (tests/deploy/fake-wrangler.sh): the first run creates
# the database, the namespace and the bucket, writes their ids into the deploy config, applies every
# migration, sends a new ADDRESS_KEY with the deployment and deploys; the second creates,
# applies and sends nothing, and leaves the config as it was; without a login it stops before
# touching anything. Then the dry run, offline.
set -eu
ROOT=$(cd "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
account=$(mktemp -d)
config=wrangler.deploy-test.toml
trap 'rm -rf "$account"; rm -f "$config"' EXIT
fail() {
    echo "tests/deploy.sh: $*" >&2
    echo "--- the account's log:" >&2
    cat "$account/log" >&2 2>/dev/null || true
    exit 1
}
deploy() {
    FAKE_ACCOUNT=$account DEPLOY_WRANGLER=$ROOT/tests/deploy/fake-wrangler.sh DEPLOY_CONFIG=$config \
        ADDRESS_KEY='a "quoted" \ key' sh scripts/deploy.sh "$@" </dev/null >"$account/out" 2>&1
}
count() { grep -c "$1" "$account/log" 2>/dev/null || true; }

# Not logged in: nothing happens.
if deploy; then fail "deployed without a login"; fi
grep -q "wrangler login" "$account/out" || fail "no word of logging in: $(cat "$account/out")"
[ ! -f "$account/log" ] || fail "changed the account without a login"

touch "$account/logged-in"
deploy || fail "the first deploy failed: $(tail -20 "$account/out")"
[ "$(count 'created D1 chatrooms')" = 1 ] || fail "the database was not created once"
[ "$(count 'created KV chatrooms-sessions')" = 1 ] || fail "the namespace was not created once"
[ "$(count 'created R2 chatrooms-files')" = 1 ] || fail "the bucket was not created once"
[ "$(count 'applied ')" = "$(ls migrations | wc -l | tr -d ' ')" ] || fail "not every migration was applied"
[ "$(count 'secret ADDRESS_KEY')" = 1 ] || fail "ADDRESS_KEY was not sent"
[ "$(count 'deployed with 2 ids')" = 1 ] || fail "not deployed with the account's two ids"
grep -q 'quoted' "$account/out" && fail "the secret was printed"
kv=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].id)' "$account/kv.json")
grep -q "^id = \"$kv\"" "$config" || fail "the deploy config does not hold the namespace's id"
cp "$config" "$account/config-first"
cp "$account/log" "$account/log-first"

deploy || fail "the second deploy failed: $(tail -20 "$account/out")"
[ "$(count 'created ')" = 3 ] || fail "the second run created something"
[ "$(count 'applied ')" = "$(ls migrations | wc -l | tr -d ' ')" ] || fail "the second run applied a migration again"
[ "$(count 'secret ')" = 1 ] || fail "the second run sent the secret again"
cmp -s "$config" "$account/config-first" || fail "the second run changed the deploy config"
git diff --quiet -- wrangler.toml || fail "wrangler.toml was changed"

# The dry run: every step said, and wrangler's own dry run (the upload's size).
CHATROOMS_SKIP_BUILD=${CHATROOMS_SKIP_BUILD:-1} sh scripts/deploy.sh --dry-run >"$account/dry" 2>&1 ||
    fail "the dry run failed: $(tail -20 "$account/dry")"
[ "$(grep -c '^would: ' "$account/dry")" = 8 ] || fail "the dry run did not say its eight steps"
grep -E "Total Upload" "$account/dry" >&2 || fail "the dry run printed no upload size"
echo "deploy: a fake account set up once, then left alone; the dry run offline" >&2
