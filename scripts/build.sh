#!/bin/sh
# Builds the worker (build/index.js + build/index_bg.wasm). wrangler runs this before it
# serves or deploys; the tests build once and set CHATROOMS_SKIP_BUILD=1 for each wrangler.
set -eu
[ "${CHATROOMS_SKIP_BUILD:-}" = 1 ] && exit 0
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"
toolchain=$(wasm_toolchain) || { echo "no wasm32 toolchain: run scripts/setup.sh" >&2; exit 1; }
if [ "$toolchain" = debian-web ]; then
    export RUSTUP_TOOLCHAIN=debian-web
    # Debian's rustc keeps its own target directory so the two compilers never share artefacts.
    export CARGO_TARGET_DIR="$ROOT/target/debian-web"
fi
# The web client imports the client package (clients/js/src/) from web/js/client/.
node clients/js/scripts/vendor.mjs web/js/client
worker-build --release
# worker-build keeps the wasm names section (function names for stack traces): 100+ KB that a
# worker denying panics does not need. Strip it, and the producers section.
wasm-opt build/index_bg.wasm --strip-debug --strip-producers -o build/index_bg.wasm \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling
