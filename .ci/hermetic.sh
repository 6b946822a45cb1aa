#!/usr/bin/env bash
# Runs a command (the workspace tests) so that it cannot reach a designer's library or
# keychain entries, and FAILS if it tried:
# - HOME and the XDG folders point into a throwaway folder; afterwards nothing there may
#   be named after Proofsheet (the app's and the CLI's default data dir live there);
# - under .ci/with-keyring.sh, the Secret Service traffic is recorded; afterwards no
#   call may name the real keychain services (com.proofsheet.app / com.proofsheet.dev):
#   tests use their own (com.proofsheet.test.*).
#   .ci/with-keyring.sh .ci/hermetic.sh cargo test --workspace
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

work="$(mktemp -d)"
monitor=""
cleanup() {
  [ -n "$monitor" ] && kill "$monitor" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Cargo and rustup keep their own homes; everything else sees the throwaway one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
home="$work/home"
mkdir -p "$home"
export HOME="$home"
export XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config"
export XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state"

log="$work/secret-service.log"
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-monitor >/dev/null; then
  dbus-monitor --session "interface='org.freedesktop.Secret.Service'" \
    "interface='org.freedesktop.Secret.Collection'" "interface='org.freedesktop.Secret.Item'" \
    >"$log" 2>/dev/null &
  monitor=$!
  for _ in $(seq 50); do [ -s "$log" ] && break; sleep 0.1; done
fi

status=0
"$@" || status=$?

leaks="$(find "$home" -iname '*proofsheet*' 2>/dev/null || true)"
if [ -n "$leaks" ]; then
  echo "hermeticity: a test wrote into the user's own folders (use a temp data dir):" >&2
  echo "$leaks" >&2
  status=1
fi
if [ -n "$monitor" ]; then
  sleep 0.2
  kill "$monitor" 2>/dev/null || true
  monitor=""
  if grep -Eq 'string "com\.proofsheet\.(app|dev)"' "$log"; then
    echo "hermeticity: a test used a real keychain service name (com.proofsheet.app/.dev);" \
      "tests use com.proofsheet.test.*:" >&2
    grep -E 'string "com\.proofsheet\.(app|dev)"' "$log" | sort | uniq -c >&2
    status=1
  fi
fi
exit "$status"
