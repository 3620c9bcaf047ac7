#!/usr/bin/env bash
# Soak run on loopback (not part of CI): the release binary under mixed traffic (small service
# calls, whole records, health probes) with bursts of ~5 MB requests, RSS sampled every 250 ms.
# Prints the idle, peak and after-burst RSS and whether RSS came back under 1.5x idle within
# 10 s of each burst. Bounded to 10 minutes whatever the argument.
#
#   scripts/soak.sh [DURATION_SECONDS=120]
#   OMS_CDS_BINARY=path/to/oms-cds scripts/soak.sh   (another build, e.g. --no-default-features)
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-120}"
if [ "$duration" -gt 600 ]; then duration=600; fi
port="${OMS_CDS_SOAK_PORT:-18182}"
target_dir="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked -p oms-cds --bin oms-cds -p oms-cds-tests --bin make-record
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

"${target_dir}/release/make-record" --resources 383 >"${work}/record.json" 2>/dev/null
# About 5 MB (7,200 resources): the body and resource limits are raised for this run.
"${target_dir}/release/make-record" --resources 7200 >"${work}/large.json" 2>/dev/null

OMS_CDS_LISTEN="127.0.0.1:${port}" \
OMS_CDS_PUBLIC_BASE_URL="http://127.0.0.1:${port}" \
OMS_CDS_DATABASE_URL="sqlite://${work}/soak.db" \
OMS_CDS_LOG_LEVEL=warn \
OMS_CDS_MAX_BODY_BYTES=8388608 \
OMS_CDS__MAPPING__MAX_RESOURCES=8000 \
OMS_CDS__AUTH__REQUIRED=false \
  "${OMS_CDS_BINARY:-${target_dir}/release/oms-cds}" serve >"${work}/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

python3 scripts/soak.py --port "$port" --pid "$server" --duration "$duration" \
  --small examples/order-sign-cyclophosphamide-refractory-child.json \
  --record "${work}/record.json" --large "${work}/large.json"
