#!/bin/sh
# One command to deploy the service to the Cloudflare account wrangler is logged in to:
#   1. finds the D1 database, the KV namespace and the R2 bucket by name, and creates whichever
#      the account lacks (DEPLOY_D1_NAME, default chatrooms; DEPLOY_KV_TITLE, default
#      chatrooms-sessions; DEPLOY_R2_BUCKET, default chatrooms-files);
#   2. keeps their ids (and the bucket's name) in wrangler.deploy.toml, the deploy config (written
#      whose ids stay the local placeholders; ignored by git);
#   3. applies the migrations to the remote database (only those not applied yet);
#   4. asks for the secret ADDRESS_KEY once (Enter makes a random one; ADDRESS_KEY=… in the
#      environment answers without asking), unless the worker has it already;
#   5. deploys (the secret, if new, goes up with the deployment: never on a command line, never
#      in a file left behind).
# Run twice, it finds everything in place and creates nothing.
#
# scripts/deploy.sh --dry-run takes no account and no network: it prints every step above as it
# would take it, then runs `wrangler deploy --dry-run` on a deploy config with placeholder ids
# (which builds the worker and prints the upload's size). The test command runs it.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"

dry=0
case "${1:-}" in
    --dry-run) dry=1 ;;
    "") ;;
    *)
        echo "usage: scripts/deploy.sh [--dry-run]" >&2
        exit 2
        ;;
esac

D1_NAME=${DEPLOY_D1_NAME:-chatrooms}
KV_TITLE=${DEPLOY_KV_TITLE:-chatrooms-sessions}
R2_BUCKET=${DEPLOY_R2_BUCKET:-chatrooms-files}
CONFIG=${DEPLOY_CONFIG:-wrangler.deploy.toml}
# The placeholder ids wrangler.toml carries for local use.
LOCAL_D1_ID=00000000-0000-4000-8000-000000000000
LOCAL_KV_ID=00000000000000000000000000000000
LOCAL_R2_BUCKET=chatrooms-files

step() { echo "==> $*" >&2; }
would() { echo "would: $*" >&2; }

sh scripts/setup.sh
# DEPLOY_WRANGLER: another wrangler to run (tests/deploy.sh runs this script against a fake
# account).
wrangler() {
    if [ -n "${DEPLOY_WRANGLER:-}" ]; then
        "$DEPLOY_WRANGLER" "$@"
    else
        npx --no-install wrangler "$@"
    fi
}

# The deploy config `$1`: wrangler.toml with the database's id `$2` and the namespace's id `$3`.
# It sits beside wrangler.toml, so that its relative paths (build/, web/, migrations/) hold.
write_config() {
    {
        echo "# Written by scripts/deploy.sh from wrangler.toml, with this account's ids. Not for git."
        sed -e "s/^database_id = \"$LOCAL_D1_ID\"/database_id = \"$2\"/" -e "s/^id = \"$LOCAL_KV_ID\"/id = \"$3\"/" \
            -e "s/^bucket_name = \"$LOCAL_R2_BUCKET\"/bucket_name = \"$R2_BUCKET\"/" wrangler.toml
    } >"$1.tmp"
    if ! grep -q "^database_id = \"$2\"" "$1.tmp" || ! grep -q "^id = \"$3\"" "$1.tmp" ||
        ! grep -q "^bucket_name = \"$R2_BUCKET\"" "$1.tmp"; then
        rm -f "$1.tmp"
        echo "scripts/deploy.sh: wrangler.toml no longer has the placeholder ids it replaces" >&2
        exit 1
    fi
    mv "$1.tmp" "$1"
}

# The `id` field of the entry of the JSON array on stdin whose `key` field is `value`, or nothing.
# Usage: field_of key value id
field_of() {
    node -e '
        const [key, value, id] = process.argv.slice(1);
        let text = "";
        process.stdin.on("data", (chunk) => { text += chunk; });
        process.stdin.on("end", () => {
            const start = text.indexOf("[");
            const list = start < 0 ? [] : JSON.parse(text.slice(start));
            const found = list.find((entry) => entry[key] === value);
            if (found) process.stdout.write(String(found[id]));
        });
    ' "$1" "$2" "$3"
}

migrations=$(ls migrations | tr '\n' ' ')

if [ "$dry" = 1 ]; then
    would "check that wrangler is logged in to an account (wrangler whoami --json; else: npx wrangler login)"
    would "use the D1 database \"$D1_NAME\" of the account, or create it (wrangler d1 create $D1_NAME)"
    would "use the KV namespace \"$KV_TITLE\" of the account, or create it (wrangler kv namespace create $KV_TITLE)"
    would "use the R2 bucket \"$R2_BUCKET\" of the account, or create it (wrangler r2 bucket create $R2_BUCKET)"
    would "write their ids into $CONFIG (wrangler.toml with the account's ids)"
    would "apply to the remote database the migrations it has not had (wrangler d1 migrations apply DB --remote): $migrations"
    would "ask for ADDRESS_KEY unless the worker has it (wrangler secret list), and send it with the deployment"
    would "deploy (wrangler deploy -c $CONFIG)"
    dry_config=wrangler.dry-run.toml
    trap 'rm -f "$dry_config"' EXIT
    write_config "$dry_config" "$LOCAL_D1_ID" "$LOCAL_KV_ID"
    step "wrangler deploy --dry-run -c $dry_config"
    wrangler deploy --dry-run -c "$dry_config" --outdir target/deploy-dry-run
    exit 0
fi

step "the account"
if ! wrangler whoami --json >/dev/null 2>&1; then
    echo "wrangler is not logged in: run \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN), then this again" >&2
    exit 1
fi

step "D1 database \"$D1_NAME\""
d1_id=$(wrangler d1 list --json | field_of name "$D1_NAME" uuid)
if [ -z "$d1_id" ]; then
    wrangler d1 create "$D1_NAME" >&2
    d1_id=$(wrangler d1 list --json | field_of name "$D1_NAME" uuid)
fi
[ -n "$d1_id" ] || { echo "the D1 database \"$D1_NAME\" was not found after creating it" >&2; exit 1; }
echo "$D1_NAME: $d1_id" >&2

step "KV namespace \"$KV_TITLE\""
kv_id=$(wrangler kv namespace list | field_of title "$KV_TITLE" id)
if [ -z "$kv_id" ]; then
    wrangler kv namespace create "$KV_TITLE" >&2
    kv_id=$(wrangler kv namespace list | field_of title "$KV_TITLE" id)
fi
[ -n "$kv_id" ] || { echo "the KV namespace \"$KV_TITLE\" was not found after creating it" >&2; exit 1; }
echo "$KV_TITLE: $kv_id" >&2

step "R2 bucket \"$R2_BUCKET\""
if ! wrangler r2 bucket info "$R2_BUCKET" >/dev/null 2>&1; then
    wrangler r2 bucket create "$R2_BUCKET" >&2
    wrangler r2 bucket info "$R2_BUCKET" >/dev/null 2>&1 ||
        { echo "the R2 bucket \"$R2_BUCKET\" was not found after creating it" >&2; exit 1; }
fi
echo "$R2_BUCKET: there" >&2

step "$CONFIG"
write_config "$CONFIG" "$d1_id" "$kv_id"

step "migrations, remotely"
wrangler d1 migrations apply DB --remote -c "$CONFIG"

step "the secret ADDRESS_KEY"
secrets_file=""
if wrangler secret list -c "$CONFIG" --format json 2>/dev/null | grep -q '"ADDRESS_KEY"'; then
    echo "the worker has it" >&2
else
    key=${ADDRESS_KEY:-}
    if [ -z "$key" ] && [ -t 0 ]; then
        printf 'ADDRESS_KEY (any long random string; Enter makes one): ' >&2
        stty -echo
        read -r key || key=""
        stty echo
        echo >&2
    fi
    if [ -z "$key" ]; then
        key=$(openssl rand -hex 32 2>/dev/null || od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
        echo "a random one was made (it is only ever used by the worker: nobody needs to know it)" >&2
    fi
    secrets_file=$(mktemp)
    trap 'rm -f "$secrets_file"' EXIT
    chmod 600 "$secrets_file"
    ADDRESS_KEY_VALUE=$key node -e 'process.stdout.write(JSON.stringify({ ADDRESS_KEY: process.env.ADDRESS_KEY_VALUE }))' >"$secrets_file"
fi

step "deploy"
if [ -n "$secrets_file" ]; then
    wrangler deploy -c "$CONFIG" --secrets-file "$secrets_file"
else
    wrangler deploy -c "$CONFIG"
fi
