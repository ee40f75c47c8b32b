#!/bin/sh
# Installs whatever building, serving and testing need, and skips whatever is already there,
# so a second run takes seconds. Safe to run again at any time.
#   scripts/setup.sh            the wasm32 toolchain, worker-build, wasm-bindgen, npm packages
#   scripts/setup.sh --browser  also Debian's chromium, for the browser tests
set -eu
. "$(dirname -- "$0")/env.sh"
cd "$ROOT"

step() { printf '==> setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=
apt_install() {
    step "apt-get install $*"
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The wasm32 standard library. rustup first; where it cannot download (it sometimes hangs on
# these machines), Debian's rustc-web with a standard library built once from its sources.
wasm_target() {
    if [ "${CHATROOMS_WASM_TOOLCHAIN:-}" != debian-web ]; then
        if rustup target list --installed | grep -qx wasm32-unknown-unknown; then return; fi
        step "rustup target add wasm32-unknown-unknown"
        if timeout 60 rustup target add wasm32-unknown-unknown; then return; fi
        step "rustup could not download the wasm32 target: using Debian's toolchain"
    fi
    debian_wasm_toolchain
}

debian_wasm_toolchain() {
    sysroot=/usr/lib/rustlib
    for package in rustc-web cargo-web rust-web-src lld-16; do
        if ! dpkg -s "$package" >/dev/null 2>&1; then
            apt_install rustc-web cargo-web rust-web-src lld-16
            break
        fi
    done
    rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web /usr
    as_root mkdir -p "$sysroot/x86_64-unknown-linux-gnu/bin" "$sysroot/wasm32-unknown-unknown/lib"
    [ -e "$sysroot/x86_64-unknown-linux-gnu/bin/rust-lld" ] ||
        as_root ln -s /usr/lib/llvm-16/bin/lld "$sysroot/x86_64-unknown-linux-gnu/bin/rust-lld"
    # Rebuilt whenever Debian's rustc changes: rlibs from another compiler version are refused.
    stamp="$sysroot/wasm32-unknown-unknown/lib/.built-by"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$(/usr/bin/rustc --version)" ]; then
        step "building the wasm32 standard library from Debian's sources (about 40 s)"
        as_root rm -f "$sysroot"/wasm32-unknown-unknown/lib/*.rlib
        scratch=$(mktemp -d)
        mkdir "$scratch/src"
        printf '[package]\nname = "wasm-std"\nversion = "0.0.0"\nedition = "2021"\n' >"$scratch/Cargo.toml"
        echo '#![no_std]' >"$scratch/src/lib.rs"
        (cd "$scratch" && unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR &&
            RUSTFLAGS="-Cembed-bitcode=yes" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
            /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
            -Zbuild-std=std,panic_abort,panic_unwind)
        rm -f "$scratch"/target/wasm32-unknown-unknown/release/deps/libwasm_std-*.rlib
        as_root cp "$scratch"/target/wasm32-unknown-unknown/release/deps/*.rlib "$sysroot/wasm32-unknown-unknown/lib/"
        rm -rf "$scratch"
        /usr/bin/rustc --version | as_root tee "$stamp" >/dev/null
    fi
}

# worker-build, and wasm-bindgen at exactly the version Cargo.lock pins (worker-build
# refuses any other). Both compile from source: minutes on a fresh machine, so in parallel, and
# at opt-level 1: each runs for a second or two per build of the worker, and full optimisation
# would cost more minutes to compile than it ever saves.
cargo_tools() {
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false
    bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
    pids=
    if [ "$(worker-build --version 2>/dev/null)" != "0.8.7" ]; then
        step "cargo install worker-build 0.8.7"
        cargo install -q worker-build --version 0.8.7 --locked &
        pids="$pids $!"
    fi
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
        step "cargo install wasm-bindgen-cli $bindgen_version"
        # Not --locked: its lock file pins a crate version the registry no longer has.
        cargo install -q wasm-bindgen-cli --version "$bindgen_version" --force &
        pids="$pids $!"
    fi
    for pid in $pids; do wait "$pid"; done
}

# npm packages (wrangler, esbuild, binaryen, Playwright) exactly as package-lock.json has them.
npm_packages() {
    stamp=node_modules/.chatrooms-package-lock.json
    if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
        step "npm ci"
        npm ci --no-audit --no-fund --loglevel=error
        cp package-lock.json "$stamp"
    fi
}

browser() {
    [ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation
}

# The test command lints with clippy and checks formatting with rustfmt; rustup's default
# profile has both, a minimal one not.
lints() {
    for component in clippy rustfmt; do
        cargo "${component#rust}" --version >/dev/null 2>&1 && continue
        step "rustup component add $component"
        timeout 60 rustup component add "$component" ||
            step "$component could not be installed: the test command will skip what needs it"
    done
}

with_browser=
for option in "$@"; do
    case "$option" in
        --browser) with_browser=1 ;;
        *) echo "setup.sh: unknown option $option" >&2; exit 2 ;;
    esac
done
wasm_target
lints
# The cargo tools compile (all cores) while npm and apt download.
cargo_tools &
tools=$!
npm_packages
[ -z "$with_browser" ] || browser
wait "$tools"
