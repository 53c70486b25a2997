#!/usr/bin/env bash
# System packages the tests need, each installed only when missing (idempotent): Debian's Chromium
# for the real-browser tests, and Debian's PostgreSQL server binaries for the store tests (the tests
# start their own throwaway cluster on 127.0.0.1; the package's own service is not used).
set -euo pipefail
packages=()
if [ ! -x /usr/bin/chromium ]; then
  packages+=(chromium fonts-liberation)
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  packages+=(postgresql)
fi
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "system-deps: missing Debian packages ${packages[*]} and I am not root: install them" >&2
  exit 1
fi
echo "system-deps: installing Debian ${packages[*]} (browser and PostgreSQL tests)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version; fi
ls -d /usr/lib/postgresql/*/bin
