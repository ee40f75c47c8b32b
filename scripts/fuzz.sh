#!/bin/sh
# Fuzzes the service from its own OpenAPI document (GET /openapi.json) with schemathesis: every
# check, every phase (examples, coverage, fuzzing, stateful), at least FUZZ_MIN_REQUESTS (1000)
# requests, against a wrangler dev of its own on a free loopback port with a fresh database.
# Passes only with no failure of any check, no 5xx and enough requests; prints the figures.
#
#   scripts/fuzz.sh                 the whole run
#   FUZZ_EXAMPLES=100 scripts/fuzz.sh  more test cases per operation and phase (default 50)
#   FUZZ_FUZZING_EXAMPLES=50 scripts/fuzz.sh  more in the fuzzing phase alone (default 25)
#   FUZZ_SEED=123 scripts/fuzz.sh   replay a run with the seed it printed
#
# schemathesis (pinned in requirements-fuzz.txt) goes into .venv/ (git-ignored); a second run
# skips the install. The state directory and the reports are kept only if the run fails.
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
step() { printf '==> fuzz: %s (%ss)\n' "$*" "$(($(date +%s) - started))" >&2; }

EXAMPLES=${FUZZ_EXAMPLES:-50}
FUZZING_EXAMPLES=${FUZZ_FUZZING_EXAMPLES:-25}
MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-1000}

# --- schemathesis, pinned, in .venv/ -------------------------------------------------------
pinned=$(pinned schemathesis requirements-fuzz.txt)
venv_install schemathesis requirements-fuzz.txt "schemathesis, version $pinned"
PY=.venv/bin/python

# --- the worker, built ----------------------------------------------------------------------
step "setup and build"
sh scripts/setup.sh
sh scripts/build.sh >/dev/null
export CHATROOMS_SKIP_BUILD=1 WRANGLER_SEND_METRICS=false

# --- a wrangler dev of our own ----------------------------------------------------------------
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/chatrooms-fuzz.XXXXXX")
PORT=$(free_port)
INSPECTOR_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
WRANGLER_PID=

finish() {
    status=$?
    if [ -n "$WRANGLER_PID" ]; then
        # wrangler leads its own process group (setsid below): end it and workerd, nothing else.
        # (No `--` before the group: dash's kill takes it for a process id.)
        kill -TERM "-$WRANGLER_PID" 2>/dev/null || true
        tries=0
        while kill -0 "-$WRANGLER_PID" 2>/dev/null && [ "$tries" -lt 50 ]; do
            sleep 0.1
            tries=$((tries + 1))
        done
        kill -KILL "-$WRANGLER_PID" 2>/dev/null || true
    fi
    if [ "$status" = 0 ]; then
        rm -rf "$STATE"
    else
        echo "fuzz.sh: state, wrangler log and reports kept in $STATE" >&2
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "migrations into $STATE"
CI=1 wrangler d1 migrations apply DB --local --persist-to "$STATE/d1" >"$STATE/migrations.log" 2>&1 || {
    cat "$STATE/migrations.log" >&2
    exit 1
}

step "wrangler dev on $BASE"
# setsid: wrangler (and the workerd it starts) in a process group of their own, so that
# finish() ends exactly them. PBKDF2 at its minimum keeps sign-ups and logins cheap.
setsid wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$INSPECTOR_PORT" \
    --persist-to "$STATE/d1" --show-interactive-dev-session=false \
    --var PBKDF2_ITERATIONS:1000 --var SIGNUPS_PER_HOUR:200 \
    --var ADDRESS_KEY:fuzz-address-key --var ADDRESS_RATE_LIMIT:off \
    </dev/null >"$STATE/wrangler.log" 2>&1 &
WRANGLER_PID=$!
deadline=$(($(date +%s) + 90))
# Up: wrangler's watcher has done the rebuild (and worker reload) it always does once ready,
# and the worker answers JSON, not the plain-text 503 of a reload under way.
up() {
    grep -q "changed, restarting build" "$STATE/wrangler.log" &&
        curl -s -o /dev/null -w '%{content_type}' "$BASE/user/00000000-0000-4000-8000-000000000000" |
        grep -q '^application/json'
}
until up; do
    if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$WRANGLER_PID" 2>/dev/null; then
        echo "fuzz.sh: wrangler dev did not answer on $BASE" >&2
        cat "$STATE/wrangler.log" >&2
        exit 1
    fi
    sleep 0.5
done

# --- data for the fuzzer to aim at: users, keys, rooms, a message ------------------------------
step "seeding users, rooms and messages"
# call METHOD PATH KEY BODY [FIELD]: the JSON answer, or FIELD of it; fails unless 2xx.
call() {
    answer=$(curl -s -w '\n%{http_code}' -X "$1" "$BASE$2" -H "Authorization: Bearer $3" \
        -H 'Content-Type: application/json' -d "$4")
    code=$(printf '%s' "$answer" | tail -n 1)
    body=$(printf '%s' "$answer" | sed '$d')
    case "$code" in
        2??) ;;
        *) echo "fuzz.sh: seeding: $1 $2 answered $code: $body" >&2; exit 1 ;;
    esac
    if [ -n "${5:-}" ]; then
        printf '%s' "$body" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$5"
    fi
}
sign_up() { # NAME -> "user_id key"
    answer=$(curl -s -X POST "$BASE/user" -H 'Content-Type: application/json' \
        -d "{\"username\": \"$1\", \"password\": \"fuzz-password-$1\"}")
    printf '%s' "$answer" | "$PY" -c 'import json, sys; a = json.load(sys.stdin); print(a["user_id"], a["key"])'
}
log_in() { # USER_ID NAME -> key
    curl -s "$BASE/token?user_id=$1&password=fuzz-password-$2" |
        "$PY" -c 'import json, sys; print(json.load(sys.stdin)["key"])'
}
set -- $(sign_up owner); OWNER=$1 OWNER_KEY=$2
set -- $(sign_up member); MEMBER=$1 MEMBER_KEY=$2
set -- $(sign_up outsider); OUTSIDER=$1 OUTSIDER_KEY=$2
# Keys only DELETE /token is given, so that revoking them leaves the others live.
set -- $(sign_up spare); SPARE=$1 SPARE_KEY=$2
SPARE_KEY2=$(log_in "$SPARE" spare)
SPARE_KEY3=$(log_in "$SPARE" spare)
LOBBY=$(call POST /room/ "$OWNER_KEY" '{"name": "lobby"}' room_id)
CAFE=$(call POST /room/ "$OWNER_KEY" '{"name": "café"}' room_id)
SECRET=$(call POST /room/ "$OWNER_KEY" '{"name": "secret", "open": false}' room_id)
MEMBERS_ROOM=$(call POST /room/ "$MEMBER_KEY" '{"name": "members only", "open": false}' room_id)
call POST "/room/$LOBBY/members" "$MEMBER_KEY" '{}'
call POST "/room/$CAFE/members" "$MEMBER_KEY" '{}'
call POST "/room/$SECRET/members" "$OWNER_KEY" "{\"user_id\": \"$MEMBER\"}"  # an invitation
call POST "/room/$SECRET/members" "$MEMBER_KEY" '{}'  # accepted
call POST "/room/$SECRET/invites" "$OWNER_KEY" "{\"user_id\": \"$OUTSIDER\"}"  # left pending
call POST "/room/$SECRET/admins" "$OWNER_KEY" "{\"user_id\": \"$MEMBER\"}"
call PUT "/room/$LOBBY/bans/$OUTSIDER" "$OWNER_KEY" '{}'
call PUT "/user/$OWNER/handle" "$OWNER_KEY" '{"handle": "fuzz.owner"}'
call PUT "/user/$MEMBER/handle" "$MEMBER_KEY" '{"handle": "fuzz.member"}'
for text in "hello, room" "second message" "third message"; do
    call POST "/room/$LOBBY/messages" "$OWNER_KEY" "{\"text\": \"$text\"}"
    call POST "/room/$SECRET/messages" "$MEMBER_KEY" "{\"text\": \"$text\"}"
done
# A message of each open room, to react to (with a reaction already on it).
LOBBY_MESSAGE=$(call POST "/room/$LOBBY/messages" "$MEMBER_KEY" '{"text": "react to me"}' message_id)
SECRET_MESSAGE=$(call POST "/room/$SECRET/messages" "$OWNER_KEY" '{"text": "and to me"}' message_id)
call PUT "/room/$LOBBY/messages/$LOBBY_MESSAGE/reactions/%F0%9F%91%8D" "$OWNER_KEY" ''
# A file in each open room, and one in a message.
upload() {
    curl -sS -X POST "$BASE/room/$1/files?name=$2" -H "Authorization: Bearer $3" -H "Content-Type: $4" \
        --data-binary "$5" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["file_id"])'
}
LOBBY_FILE=$(upload "$LOBBY" note.txt "$OWNER_KEY" text/plain "a note")
CAFE_FILE=$(upload "$CAFE" dot.png "$OWNER_KEY" image/png "not really a png")
call POST "/room/$LOBBY/messages" "$OWNER_KEY" "{\"text\": \"a file\", \"files\": [\"$LOBBY_FILE\"]}"

# Known ids and keys stand in for generated ones about half the time (positive cases only
# take values the document accepts, negative ones only values it refuses).
cat >"$STATE/schemathesis.toml" <<EOF
[dictionaries.users]
values = ["$OWNER", "$MEMBER", "$OUTSIDER"]
[dictionaries.keys]
values = ["$OWNER_KEY", "$MEMBER_KEY", "$OUTSIDER_KEY"]
[dictionaries.rooms]
values = ["$LOBBY", "$CAFE", "$SECRET", "$MEMBERS_ROOM"]
[dictionaries.handles]
values = ["fuzz.owner", "FUZZ.Member"]
[dictionaries.handle_starts]
values = ["fuzz", "Fu", "fuzz.o"]
[dictionaries.messages]
values = ["$LOBBY_MESSAGE", "$SECRET_MESSAGE"]
[dictionaries.reaction_keys]
values = ["👍", "🎉", "ok"]
[dictionaries.files]
values = ["$LOBBY_FILE", "$CAFE_FILE"]
[dictionaries.spare_users]
values = ["$SPARE"]
[dictionaries.spare_keys]
values = ["$SPARE_KEY", "$SPARE_KEY2", "$SPARE_KEY3"]

[parameters]
"path.user_id" = { dictionary = "users", probability = 0.5 }
"path.room_id" = { dictionary = "rooms", probability = 0.6 }
"query.user_id" = { dictionary = "users", probability = 0.5 }
"query.key" = { dictionary = "keys", probability = 0.5 }
"body.user_id" = { dictionary = "users", probability = 0.5 }
"body.key" = { dictionary = "keys", probability = 0.6 }
"path.handle" = { dictionary = "handles", probability = 0.5 }
"query.q" = { dictionary = "handle_starts", probability = 0.5 }
"path.message_id" = { dictionary = "messages", probability = 0.5 }
"path.key" = { dictionary = "reaction_keys", probability = 0.5 }
"path.file_id" = { dictionary = "files", probability = 0.5 }

# The fuzzing phase, the slowest by far (hypothesis draws from the names' long character
# classes), with fewer cases than the others: every operation still gets them.
[phases.fuzzing.generation]
max-examples = $FUZZING_EXAMPLES

# A DM with oneself is a 400 the document cannot tell from a valid request (the key's user and
# the path's are both known users).
[[operations]]
include-operation-id = "openDm"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404", "429"] } }

# A read position past the room's latest seq is a 400 that the document cannot tell from a valid
# one (the latest seq is the room's, now).
[[operations]]
include-operation-id = "markRead"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404"] } }

# A mention of someone who is not a present member is a 400, and the whole room's by a member who
# is not an admin a 403, that the document cannot tell from valid ones (who is present is the
# room's, now).
[[operations]]
include-operation-id = "postMessage"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404", "429"] } }

# A cursor (before) that is a well-formed message id but not one that mentions the user is a 404.
[[operations]]
include-operation-id = "listMentions"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404"] } }

# A reaction's key is at most 32 bytes and holds no whitespace, which the document's character
# count cannot say (a 400); a message holds at most 20 keys, a person at most 10 of them (a 409).
[[operations]]
include-operation-id = "addReaction"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404", "409", "429"] } }

[[operations]]
include-operation-id = "removeReaction"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404", "429"] } }

# A query of only whitespace, or with a control character, is a 400 the document cannot say.
[[operations]]
include-operation-id = "searchMessages"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404"] } }

[[operations]]
include-operation-id = "listReactors"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404"] } }

# A file's name with a path or control character, or a Content-Type that is no media type, is a
# 400 the document cannot say; a request's body that is not as long as its Content-Length never
# reaches the worker.
[[operations]]
include-operation-id = "uploadFile"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "400", "401", "403", "404", "411", "413", "429"] } }

# A range past the end of the file is a 416 the document cannot tell from one within it.
[[operations]]
include-operation-id = "downloadFile"
checks = { positive_data_acceptance = { expected-statuses = ["2XX", "304", "400", "401", "404", "416"] } }

[[operations]]
include-operation-id = "logOut"
parameters = { "body.key" = { dictionary = "spare_keys", probability = 0.6 }, "body.user_id" = { dictionary = "spare_users", probability = 0.6 } }
EOF

# --- the run ----------------------------------------------------------------------------------
step "schemathesis: all checks, all phases, $EXAMPLES cases per operation and phase ($FUZZING_EXAMPLES fuzzing)"
# Every check but "created resource not found": the stateful phase follows a new room's links
# with the creator's key, but the dictionaries above may swap in another known key, to whom a
# room created closed is rightly a 404 (a closed room is invisible to non-members). The
# integration tests check that the creator of every resource reaches it.
#
# too_slow is hypothesis finding its own drawing slow (the names' character classes on a busy
# machine), not the service: it failed whole runs with every request answered well. One worker:
# with two or more, hypothesis parses its own strategies' source from several threads at once,
# which CPython 3.11's ast module does not survive (a "recursion depth mismatch" runtime error,
# seen in the coverage phase with four workers and again, once in CI, with two).
#
# Three operations are left out: the live sockets (openLiveSocket, openInboxSocket), which
# schemathesis cannot open (every request it can send is a 426 before anything else is read;
# tests/api/live/ opens them), and /asyncapi.json (getAsyncApi), a static file the platform
# serves with its own headers.
set -- --checks all --exclude-checks ensure_resource_availability --max-examples "$EXAMPLES" --workers 1 \
    --exclude-operation-id openLiveSocket --exclude-operation-id openInboxSocket --exclude-operation-id getAsyncApi \
    --suppress-health-check too_slow --no-color --output-sanitize false \
    --report har,junit --report-dir "$STATE/report" --request-timeout 30
[ -n "${FUZZ_SEED:-}" ] && set -- "$@" --seed "$FUZZ_SEED"
fuzz_started=$(date +%s)
st_status=0
# From inside the state directory, where it leaves its caches (.hypothesis, .schemathesis).
(cd "$STATE" && "$ROOT/.venv/bin/schemathesis" --config-file schemathesis.toml run "$BASE/openapi.json" "$@") ||
    st_status=$?
fuzz_seconds=$(($(date +%s) - fuzz_started))

# --- the figures ------------------------------------------------------------------------------
"$PY" - "$STATE/report" "$fuzz_seconds" "$MIN_REQUESTS" "$st_status" <<'EOF'
import collections, glob, json, sys
import xml.etree.ElementTree as ET

report, seconds, minimum, st_status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
entries = []
for path in glob.glob(f"{report}/har-*.json"):
    with open(path) as handle:
        entries += json.load(handle)["log"]["entries"]
statuses = collections.Counter(entry["response"]["status"] for entry in entries)
server_errors = sum(count for status, count in statuses.items() if status >= 500)
# Failure codes to the checks that raise them (`st explain CODE` tells more).
CHECKS = {
    "ST101": "not_a_server_error", "ST102": "not_a_server_error", "ST103": "status_code_conformance",
    "ST104": "content_type_conformance", "ST105": "content_type_conformance", "ST106": "content_type_conformance",
    "ST107": "response_headers_conformance", "ST108": "response_schema_conformance",
    "ST109": "response_schema_conformance", "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance", "ST112": "max_response_time", "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance", "ST203": "missing_required_header", "ST204": "unsupported_method",
    "ST205": "allow_header_conformance", "ST301": "use_after_free", "ST302": "ensure_resource_availability",
    "ST401": "ignored_auth", "ST402": "object_level_authorization",
}
failures = collections.Counter({check: 0 for check in CHECKS.values() if check != "max_response_time"})
for path in glob.glob(f"{report}/junit-*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        for failure in case.iter("failure"):
            for line in (failure.text or "").splitlines():
                code = line.strip()[2:7] if line.strip().startswith("- ST") else None
                if code:
                    failures[CHECKS.get(code, code)] += 1
print()
print("==> fuzz figures")
print(f"    requests sent:   {len(entries)} (at least {minimum} required)")
print(f"    by status:       " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
print(f"    5xx answers:     {server_errors}")
print(f"    failures by check (unique failures):")
for check, count in sorted(failures.items()):
    print(f"      {check:30} {count}")
print(f"    duration:        {seconds} s")
ok = st_status == 0 and server_errors == 0 and len(entries) >= minimum
print(f"    result:          {'passed' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
EOF
