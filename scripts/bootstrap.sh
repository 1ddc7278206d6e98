#!/usr/bin/env bash
# Sets up everything skyvern-core needs on a fresh Debian machine with Python 3.11:
# the system packages (Chromium, ChromeDriver, ffmpeg, PostgreSQL) and a virtualenv in .venv
# with the project installed in editable mode with every extra. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
SYSTEM_PACKAGES=(chromium chromium-driver ffmpeg postgresql fonts-dejavu-core wrk)

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing system packages: ${SYSTEM_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${SYSTEM_PACKAGES[@]}" >/dev/null
  else
    echo "==> missing system packages (${missing[*]}); run as root or:" >&2
    echo "    sudo apt-get install -y ${SYSTEM_PACKAGES[*]}" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing skyvern-core and its extras into .venv"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "==> ready: .venv/bin/skyvern-core"
