#!/usr/bin/env bash
# Installs whatever is missing on a fresh Debian/Ubuntu machine: system packages for
# Tauri, the keychain and e2e, PostgreSQL (the team tests start their own server with
# its initdb and pg_ctl), tauri-driver, the UI's npm packages, the e2e Python venv.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus-daemon gnome-keyring libsecret-tools python3-venv
  postgresql)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> $(date +%T) installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v rustup >/dev/null || { echo "rustup is missing: install it from rustup.rs" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js 20+ is missing" >&2; exit 1; }
# rust-toolchain.toml pins the compiler and names its components; the first cargo call
# in this folder installs them. Each component is checked on its own.
cargo --version >/dev/null
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  # A debug build (a minute, not five): it only relays WebDriver commands.
  echo "==> $(date +%T) installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --debug
fi

# npm ci fails here: the lock file lacks other platforms' optional packages.
echo "==> $(date +%T) npm install (ui)"
(cd ui && npm install --no-fund --no-audit --loglevel=error)

if [ ! -x tests/e2e/.venv/bin/pytest ]; then
  echo "==> e2e Python environment"
  python3 -m venv tests/e2e/.venv
  tests/e2e/.venv/bin/pip install -q -r tests/e2e/requirements.txt
fi
# The S3 server process the team storage tests start on loopback (s3s-fs, file-backed),
# installed under the target dir where team::testing_s3 looks for it.
S3S_ROOT="${CARGO_TARGET_DIR:-target}/s3s"
if [ ! -x "$S3S_ROOT/bin/s3s-fs" ]; then
  # A debug build: the release one took 7 to 22 minutes on a fresh 2-core machine, for a
  # server that stores a few small files per test.
  echo "==> $(date +%T) installing s3s-fs (S3 test server) into $S3S_ROOT"
  cargo install s3s-fs --version 0.14.1 --features binary --locked --debug --root "$S3S_ROOT"
fi
# The real gateways (LiteLLM, Portkey) the integration tests start on loopback.
.ci/setup-gateways.sh
echo "==> $(date +%T) setup complete"
