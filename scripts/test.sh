#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs the whole test suite, lint and type check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# nox --no-venv runs its sessions with whatever "python", "ruff" and "mypy" PATH finds.
export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
exec nox --no-venv -s lint typecheck tests docs -- "$@"
