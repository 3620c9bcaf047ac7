#!/usr/bin/env bash
# Measures the binary's allocator choice: the release binary with mimalloc (the default) against
# the same code on glibc malloc (`--no-default-features`), alternated in one run on loopback.
# Per variant and round: whole-record throughput with wrk, server CPU per request (from
# /proc/PID/stat), peak RSS, and RSS 10 s after the load stops. Not part of CI.
#
#   scripts/compare-allocators.sh [SECONDS_PER_RUN=10] [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
rounds="${2:-2}"
port="${OMS_CDS_LOAD_PORT:-18183}"
target_dir="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release --locked -p oms-cds-tests --bin make-record
cargo build --release --locked -p oms-cds --bin oms-cds
cp "${target_dir}/release/oms-cds" "${work}/oms-cds-mimalloc"
cargo build --release --locked -p oms-cds --bin oms-cds --no-default-features
cp "${target_dir}/release/oms-cds" "${work}/oms-cds-glibc"
cargo build --release --locked -p oms-cds --bin oms-cds # leave the default build in place

# The standard whole record (383 resources, 333 Observations), moved to today.
"${target_dir}/release/make-record" --resources 383 >"${work}/record.json" 2>/dev/null
cat >"${work}/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("${work}/record.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
ticks_per_second="$(getconf CLK_TCK)"

printf '%-9s %5s %10s %14s %13s %15s\n' variant round "req/s" "CPU ms/req" "peak RSS MiB" "RSS +10s MiB"
for round in $(seq 1 "$rounds"); do
  for variant in mimalloc glibc; do
    OMS_CDS_LISTEN="127.0.0.1:${port}" OMS_CDS_PUBLIC_BASE_URL="http://127.0.0.1:${port}" \
    OMS_CDS_DATABASE_URL="sqlite://${work}/${variant}-${round}.db" OMS_CDS_LOG_LEVEL=warn \
    OMS_CDS__AUTH__REQUIRED=false \
      "${work}/oms-cds-${variant}" serve >"${work}/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
      curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
      sleep 0.1
    done
    before="$(cpu_ticks "$server")"
    requests="$(wrk -t2 -c8 -d"${seconds}s" -s "${work}/post.lua" \
      "http://127.0.0.1:${port}/cds-services/oms-relapse-order-select" \
      | awk '/requests in/ {print $1}')"
    after="$(cpu_ticks "$server")"
    peak="$(hwm_kib "$server")"
    sleep 10
    settled="$(rss_kib "$server")"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    awk -v v="$variant" -v r="$round" -v n="$requests" -v s="$seconds" -v t=$((after - before)) \
        -v hz="$ticks_per_second" -v p="$peak" -v q="$settled" 'BEGIN {
      printf "%-9s %5d %10.0f %14.2f %13.1f %15.1f\n", v, r, n / s, 1000 * t / hz / n, p / 1024, q / 1024 }'
  done
done
