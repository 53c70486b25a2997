#!/usr/bin/env bash
# System packages the tests need: Debian's Chromium for the real-browser tests. Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "system-deps: /usr/bin/chromium is missing and I am not root: install Debian's 'chromium' package" >&2
  exit 1
fi
echo "system-deps: installing Debian chromium (for the browser tests)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
