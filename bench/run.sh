#!/usr/bin/env bash
# Builds the release binary and runs the read-path benchmark (bench/run.py); options are passed on,
# e.g. `bench/run.sh --scale 100 --duration 15` (the defaults) or `bench/run.sh --scale 1 --duration 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec python3 bench/run.py "$@"
