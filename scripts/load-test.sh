#!/usr/bin/env bash
# HTTP load run against a release build on loopback: wrk sends one example request over and over
# for a bounded time, then prints throughput and latency percentiles. Authentication is off for
# this run (each JWT is single-use by design); JWT verification cost is in the criterion benches.
#
#   scripts/load-test.sh [DURATION_SECONDS] [CONNECTIONS] [REQUEST_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-15}"
connections="${2:-32}"
request="${3:-examples/order-sign-cyclophosphamide-refractory-child.json}"
port="${OMS_CDS_LOAD_PORT:-18181}"
target_dir="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release -p oms-cds --bin oms-cds --locked
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

OMS_CDS_LISTEN="127.0.0.1:${port}" \
OMS_CDS_PUBLIC_BASE_URL="http://127.0.0.1:${port}" \
OMS_CDS_DATABASE_URL="sqlite://${work}/load.db" \
OMS_CDS_LOG_LEVEL=warn \
OMS_CDS__AUTH__REQUIRED=false \
  "${target_dir}/release/oms-cds" serve >"${work}/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The examples are written for 2026-11-25: move them to today so no measurement is stale.
python3 - "$request" "${work}/body.json" <<'PY'
import json, sys, datetime, re
src, dst = sys.argv[1], sys.argv[2]
shift = (datetime.date.today() - datetime.date(2026, 11, 25)).days
def move(v):
    if isinstance(v, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return (datetime.date.fromisoformat(v) + datetime.timedelta(days=shift)).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", v):
            return (datetime.datetime.fromisoformat(v.replace("Z", "+00:00")) + datetime.timedelta(days=shift)).isoformat().replace("+00:00", "Z")
        return v
    if isinstance(v, list):
        return [move(x) for x in v]
    if isinstance(v, dict):
        return {k: move(x) for k, x in v.items()}
    return v
json.dump(move(json.load(open(src))), open(dst, "w"))
PY

cat >"${work}/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("${work}/body.json", "r")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors(status)=%d p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

# One service id per hook: oms-relapse-order-select or oms-relapse-order-sign.
hook="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hook"])' "$request")"
echo "== wrk: ${duration}s, ${connections} connections, 2 threads, $(basename "$request")"
wrk -t2 -c"${connections}" -d"${duration}s" --latency -s "${work}/post.lua" \
  "http://127.0.0.1:${port}/cds-services/oms-relapse-${hook}"
curl -fsS "http://127.0.0.1:${port}/metrics" | grep -E '^oms_cds_(issued_cards_log_dropped_total|http_requests_total\{route="/cds-services/\{id\}")' || true
