#!/usr/bin/env bash
# Makes sure promtool is installed, then runs the tests that need it: the exposition of the
# running binary through `promtool check metrics` (tests/api/exposition.rs; without promtool
# that test skips its promtool part) and the alert-rule unit tests.
#
#   bash scripts/check-metrics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/oms-cds/target}"

# shellcheck source=scripts/promtool.sh
source scripts/promtool.sh
ensure_promtool
promtool --version | head -n 1

# The API tests start the binary from the target directory.
cargo build --locked -p oms-cds --bin oms-cds
cargo test --locked -p oms-cds-tests --test api exposition

bash scripts/test-alert-rules.sh
