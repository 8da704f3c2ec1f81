#!/usr/bin/env bash
# The test command README.md names: every test in the workspace, then the doctests
# (nextest does not run doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest run --workspace --no-fail-fast
cargo test --workspace --doc
