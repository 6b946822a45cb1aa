#!/usr/bin/env bash
# Installs the real gateways the integration tests run on loopback (issue 16 §6), pinned:
#   tests/gateways/.venv           LiteLLM proxy  (PyPI litellm[proxy])
#   tests/gateways/portkey         Portkey gateway (npm @portkey-ai/gateway)
# Idempotent (a second run only checks the versions) and bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

LITELLM_VERSION=1.79.3
PORTKEY_VERSION=1.15.2
DIR=tests/gateways

venv="$DIR/.venv"
have_litellm="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null || true)"
if [ "$have_litellm" != "$LITELLM_VERSION" ]; then
  echo "==> LiteLLM proxy $LITELLM_VERSION ($venv)"
  python3 -m venv "$venv"
  timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION"
fi

pk="$DIR/portkey"
have_portkey="$(node -p "require('./$pk/node_modules/@portkey-ai/gateway/package.json').version" 2>/dev/null || true)"
if [ "$have_portkey" != "$PORTKEY_VERSION" ]; then
  echo "==> Portkey gateway $PORTKEY_VERSION ($pk)"
  mkdir -p "$pk"
  (cd "$pk" && timeout 600 npm install --no-fund --no-audit --loglevel=error --save-exact \
     "@portkey-ai/gateway@$PORTKEY_VERSION")
fi

# Both must start, not only install.
"$venv/bin/litellm" --version >/dev/null
test -x "$pk/node_modules/.bin/gateway"
echo "==> gateways ready: litellm $LITELLM_VERSION, @portkey-ai/gateway $PORTKEY_VERSION"
