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
exec worker-build --release
