#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite, lint and type check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/nox --no-venv -s lint typecheck tests -- "$@"
