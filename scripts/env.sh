# Sourced by the other scripts: the tools setup.sh installed, and where worker-build finds them.
# shellcheck shell=sh
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WRANGLER_SEND_METRICS=false
export CI="${CI:-}"

# The wasm32 standard library comes from rustup when it could download it, else from the
# Debian toolchain that setup.sh linked as `debian-web`. CHATROOMS_WASM_TOOLCHAIN=debian-web
# forces the Debian route (to test it where rustup works).
wasm_toolchain() {
    if [ -n "${CHATROOMS_WASM_TOOLCHAIN:-}" ]; then
        echo "$CHATROOMS_WASM_TOOLCHAIN"
    elif rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        echo stable
    elif [ -d /usr/lib/rustlib/wasm32-unknown-unknown/lib ] && rustup toolchain list | grep -q '^debian-web'; then
        echo debian-web
    else
        return 1
    fi
}
