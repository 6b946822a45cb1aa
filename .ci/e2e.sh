#!/usr/bin/env bash
# Runs the WebDriver e2e suite against the real binary under Xvfb and a throwaway keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p target/e2e
# No test may reach the public catalog feed host (debug builds honour this).
export PROOFSHEET_CATALOG_AUTO_CHECK=off
# The window test against the real LiteLLM and Portkey needs them (a check when installed).
.ci/setup-gateways.sh
exec .ci/with-keyring.sh xvfb-run -a -s "-screen 0 1600x1000x24" \
  tests/e2e/.venv/bin/pytest -q -p no:cacheprovider tests/e2e "$@"
