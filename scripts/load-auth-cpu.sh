#!/usr/bin/env bash
# What authentication costs the server: CPU per request with it on (the demo, trusting its own
# issuer; single-use tokens minted ahead) and off (`serve`, auth not required), same build, same
# request, rounds alternated in one run (scripts/load_auth_cpu.py).
#
#   scripts/load-auth-cpu.sh [REQUESTS_PER_ROUND] [ROUNDS] [CONCURRENCY] [REQUEST_FILE]
#
# OMS_CDS_BIN runs another build (e.g. one of an older commit) instead of building this one.
set -euo pipefail
cd "$(dirname "$0")/.."

requests="${1:-3000}"
rounds="${2:-3}"
concurrency="${3:-4}"
request="${4:-examples/order-select-rituximab-after-full-course.json}"
target_dir="${CARGO_TARGET_DIR:-target}"
auth_port="${OMS_CDS_AUTH_PORT:-18281}"
open_port="${OMS_CDS_OPEN_PORT:-18282}"
bin="${OMS_CDS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --locked -p oms-cds --bin oms-cds >&2
  bin="${target_dir}/release/oms-cds"
fi

work="$(mktemp -d)"
mkdir -p "$work/demo"
cleanup() {
  kill "${auth_pid:-}" "${open_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work/demo" && OMS_CDS_LOG_LEVEL=warn exec "$bin" demo --port "$auth_port") >"$work/demo.log" 2>&1 &
auth_pid=$!
OMS_CDS_LISTEN="127.0.0.1:${open_port}" \
OMS_CDS_PUBLIC_BASE_URL="http://127.0.0.1:${open_port}" \
OMS_CDS_DATABASE_URL="sqlite://${work}/open.db" \
OMS_CDS_LOG_LEVEL=warn \
OMS_CDS__AUTH__REQUIRED=false \
  "$bin" serve >"$work/open.log" 2>&1 &
open_pid=$!
for port in "$auth_port" "$open_port"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

python3 scripts/load_auth_cpu.py \
  --auth-base "http://127.0.0.1:${auth_port}" --auth-pid "$auth_pid" \
  --open-base "http://127.0.0.1:${open_port}" --open-pid "$open_pid" \
  --request "$request" --requests "$requests" --rounds "$rounds" --concurrency "$concurrency"
