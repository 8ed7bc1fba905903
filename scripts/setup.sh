#!/usr/bin/env bash
# Sets up twse-bsr on a fresh Debian machine, as root or as a user; safe to run again.
# Creates .venv, installs the package with its dev extras, and makes sure a Chromium is there.
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))'; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "setup: Python 3.11 or 3.12 is needed; install python3.11 and run 'make setup' again" >&2
    exit 1
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { as_root apt-get update -qq >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }; }

if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
    apt_install python3-venv || true
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

# Chromium: BSR_CHROMIUM, else a system Chromium, else Debian's package, else Playwright's own build.
chromium="${BSR_CHROMIUM:-}"
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$chromium" ] || { [ -x "$candidate" ] && chromium=$candidate; } || true
done
if [ -z "$chromium" ] && command -v apt-get >/dev/null && apt_install chromium; then
    chromium=/usr/bin/chromium
fi
if [ -z "$chromium" ]; then
    .venv/bin/playwright install chromium
    echo "setup: using Playwright's managed Chromium"
else
    echo "setup: using Chromium at $chromium"
fi
echo "setup: done; .venv is ready"
