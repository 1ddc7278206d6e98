#!/usr/bin/env bash
# Sets up (scripts/bootstrap.sh) and runs a real task on a bundled local site: a job
# application in a headless Chromium, on the embedded defaults (SQLite, Playwright, local
# artifacts). It uses an LLM when SKYVERN_LLM_MODEL is set, else the offline planner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/skyvern-core demo "$@"
