#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs a real task on a bundled local site.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python examples/quickstart.py "$@"
