#!/usr/bin/env bash
# Runs a command against a throwaway, unlocked gnome-keyring on a private D-Bus session,
# so keychain tests never touch the user's real keyring.
#   .ci/with-keyring.sh cargo test -p proofsheet-keys
# Needs: dbus-daemon (dbus-run-session), gnome-keyring, and libsecret-tools for secret-tool.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool not found; install it with: apt-get install -y dbus-daemon gnome-keyring libsecret-tools" >&2
    exit 127
  fi
done

keyring_home="$(mktemp -d)"
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home"
# Tells the keychain tests that a real keyring is available (they skip without it).
export PROOFSHEET_KEYRING_TESTS=1

status=0
# The command goes in as positional parameters, so its arguments are never re-split.
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n pw | gnome-keyring-daemon --unlock --components=secrets --replace --daemonize >/dev/null
  exec "$@"
' with-keyring "$@" || status=$?
exit "$status"
