#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs lint, type check, the wheel check (the built wheel
# installed bare and with each extra alone) and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# nox --no-venv runs its sessions with whatever "python", "ruff" and "mypy" PATH finds.
export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
exec nox --no-venv -s lint typecheck wheel tests docs -- "$@"
