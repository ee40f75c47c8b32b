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

# The version requirements file $2 pins for package $1.
pinned() {
    sed -n "s/^$1==\([^ ]*\).*/\1/p" "$2"
}

# Installs requirements file $2 into .venv/ (made first if missing) unless `.venv/bin/$1
# --version` already prints $3: the Python tools of the checks, pinned, beside the project.
venv_install() {
    [ "$(".venv/bin/$1" --version 2>/dev/null)" = "$3" ] && return 0
    printf '==> installing %s into .venv/\n' "$2" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv || {
        echo "python3 cannot make a virtualenv (on Debian: apt-get install python3-venv)" >&2
        return 1
    }
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$2"
}
