#!/usr/bin/env bash
# Instructions of the service's request path against one plain JSON parse of the same body,
# counted by callgrind (exact and repeatable on a noisy, shared machine).
#
# For each body: `request-path-cost read` (reading the file: the baseline), `value` (a
# `serde_json::Value` parse) and `path` (parse the call, plan the prefetch completion, map,
# rules, render, serialise), each ITERATIONS times in one process. The instructions above the
# baseline, divided by ITERATIONS, are one request's; the ratio path/value is the figure.
#
#   scripts/request-path-cost.sh [ITERATIONS] [RESOURCES...]
#
# Bodies: the example `order-select-rituximab-naive-with-neuroblastoma.json` and generated whole
# records (`make-record --resources N`, seed 1; default 383 and 5000 resources). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations="${1:-3}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(383 5000)
target_dir="${CARGO_TARGET_DIR:-target}"

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked -p oms-cds-tests --bin request-path-cost --bin make-record >&2
bin="${target_dir}/release/request-path-cost"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp examples/order-select-rituximab-naive-with-neuroblastoma.json "$work/example.json"
bodies=("$work/example.json")
for n in "${sizes[@]}"; do
  "${target_dir}/release/make-record" --resources "$n" >"$work/record-$n.json" 2>/dev/null
  bodies+=("$work/record-$n.json")
done

# Instructions (Ir) of one run of the binary, from callgrind's summary line.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$bin" "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-14s %10s %16s %16s %8s\n' body bytes "value (Ir)" "path (Ir)" ratio
for body in "${bodies[@]}"; do
  base=$(instructions read "$body" "$iterations")
  value=$(instructions value "$body" "$iterations")
  path=$(instructions path "$body" "$iterations")
  python3 - "$(basename "$body" .json)" "$(stat -c %s "$body")" "$base" "$value" "$path" "$iterations" <<'PY'
import sys
name, size, base, value, path, n = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
v, p = (value - base) / n, (path - base) / n
print(f"{name:<14} {size:>10} {v:>16,.0f} {p:>16,.0f} {p / v:>7.2f}x")
PY
done
