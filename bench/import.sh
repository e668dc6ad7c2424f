#!/usr/bin/env bash
# Builds the release binary and runs the bulk-import benchmark (bench/import.py): 100,000
# establishments imported from CSV on PostgreSQL through `khuyencong import` and through
# `POST /api/v1/imports`, beside PostgreSQL's COPY of the same rows into the same tables, three
# times each, alternating. Options are passed on, e.g. `bench/import.sh --rows 20000 --repeat 1`.
# Needs psql and a local PostgreSQL (BENCH_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres);
# makes and drops the databases kc_bench_import and kc_bench_import_template.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec python3 bench/import.py "$@"
