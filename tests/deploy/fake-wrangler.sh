#!/bin/sh
# A stand-in for wrangler against a fake Cloudflare account kept in $FAKE_ACCOUNT (a directory):
# the commands scripts/deploy.sh runs, with the account's D1 databases, KV namespaces, R2 buckets, applied
# migrations and the worker's secrets kept in files, and every change written to its log.
set -eu
account=$FAKE_ACCOUNT
log() { echo "$*" >>"$account/log"; }
list() { cat "$account/$1" 2>/dev/null || echo '[]'; }
# Appends {key1: value1, key2: value2} to the JSON array in file $1.
add() {
    node -e '
        const fs = require("fs");
        const [file, k1, v1, k2, v2] = process.argv.slice(1);
        const list = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
        list.push({ [k1]: v1, [k2]: v2 });
        fs.writeFileSync(file, JSON.stringify(list));
    ' "$account/$1" "$2" "$3" "$4" "$5"
}
random_id() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
# The value of `--config`/`-c` among the arguments.
config_of() {
    while [ $# -gt 0 ]; do
        case "$1" in -c | --config) echo "$2"; return ;; esac
        shift
    done
}

case "$1 ${2:-}" in
    "whoami --json")
        [ -f "$account/logged-in" ] || { echo "You are not authenticated." >&2; exit 1; }
        echo '{"loggedIn": true}'
        ;;
    "d1 list")
        list d1.json
        ;;
    "d1 create")
        add d1.json name "$3" uuid "$(random_id)"
        log "created D1 $3"
        ;;
    "kv namespace")
        case "$3" in
            list) echo "some notice first"; list kv.json ;;
            create) add kv.json title "$4" id "$(random_id)"; log "created KV $4" ;;
        esac
        ;;
    "r2 bucket")
        case "$3" in
            info) grep -qx "$4" "$account/r2" 2>/dev/null || { echo "The specified bucket does not exist." >&2; exit 1; } ;;
            create) echo "$4" >>"$account/r2"; log "created R2 $4" ;;
        esac
        ;;
    "d1 migrations")
        config=$(config_of "$@")
        grep -q "^database_id = \"$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].uuid)' "$account/d1.json")\"" "$config" ||
            { echo "the config does not name the account's database" >&2; exit 1; }
        for migration in $(ls migrations); do
            if ! grep -qx "$migration" "$account/applied" 2>/dev/null; then
                echo "$migration" >>"$account/applied"
                log "applied $migration"
            fi
        done
        ;;
    "secret list")
        list secrets.json
        ;;
    "deploy -c" | "deploy --config")
        config=$(config_of "$@")
        grep -q '^id = "00000000000000000000000000000000"' "$config" && { echo "placeholder KV id deployed" >&2; exit 1; }
        grep -q "^bucket_name = \"$(cat "$account/r2")\"" "$config" || { echo "a bucket the account lacks" >&2; exit 1; }
        case " $* " in
            *" --secrets-file "*)
                file=$(echo "$*" | sed 's/.*--secrets-file \([^ ]*\).*/\1/')
                for name in $(node -e 'process.stdout.write(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))).join(" "))' "$file"); do
                    add secrets.json name "$name" type secret_text
                    log "secret $name"
                done
                ;;
        esac
        log "deployed with $(grep -c '^id = \|^database_id = ' "$config") ids"
        ;;
    *)
        echo "fake wrangler: no such command: $*" >&2
        exit 1
        ;;
esac
