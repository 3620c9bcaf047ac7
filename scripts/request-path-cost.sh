#!/usr/bin/env bash
# Instructions of the service's request path against one plain JSON parse of the same body,
# counted by callgrind (exact and repeatable on a noisy, shared machine).
#
# For each body: `request-path-cost value` (a `serde_json::Value` parse) and `path` (parse the
# call, plan the prefetch completion, map, rules, render, serialise), each ITERATIONS times in
# one process. Each is measured above its baseline: `read` (reading the file) for `value`, and
# `setup` (reading the file and the start-up set-up: configuration, value sets, rules) for
# `path`; divided by ITERATIONS, that is one request's cost. The ratio path/value is the figure.
#
#   scripts/request-path-cost.sh [ITERATIONS] [RESOURCES...]
#   BEFORE_BIN=/path/to/older/request-path-cost scripts/request-path-cost.sh ...
#
# Bodies: the example `order-select-rituximab-naive-with-neuroblastoma.json` and generated whole
# records (`make-record --resources N --compact`, seed 1; default 383 and 5000 resources).
# BEFORE_BIN, a request-path-cost built from an older commit, adds its path on the same bodies
# (above its own `read`, less this build's set-up, which such a build cannot run alone).
# Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations="${1:-3}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(383 5000)
target_dir="${CARGO_TARGET_DIR:-target}"
before="${BEFORE_BIN:-}"

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked -p oms-cds-tests --bin request-path-cost --bin make-record >&2
bin="${target_dir}/release/request-path-cost"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp examples/order-select-rituximab-naive-with-neuroblastoma.json "$work/example.json"
bodies=("$work/example.json")
for n in "${sizes[@]}"; do
  "${target_dir}/release/make-record" --resources "$n" --compact >"$work/record-$n.json" 2>/dev/null
  bodies+=("$work/record-$n.json")
done

# Instructions (Ir) of one run of a binary, from callgrind's summary line.
instructions() {
  local program="$1"
  shift
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$program" "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-12s %10s %14s %14s %8s' body bytes "value (Ir)" "path (Ir)" ratio
[ -z "$before" ] || printf ' %14s %8s %8s' "before (Ir)" ratio after/before
printf '\n'
for body in "${bodies[@]}"; do
  base=$(instructions "$bin" read "$body" "$iterations")
  setup=$(instructions "$bin" setup "$body" "$iterations")
  value=$(instructions "$bin" value "$body" "$iterations")
  path=$(instructions "$bin" path "$body" "$iterations")
  old=0 old_base=0
  if [ -n "$before" ]; then
    old_base=$(instructions "$before" read "$body" "$iterations")
    old=$(instructions "$before" path "$body" "$iterations")
  fi
  python3 - "$(basename "$body" .json)" "$(stat -c %s "$body")" "$base" "$setup" "$value" "$path" "$old_base" "$old" "$iterations" <<'PY'
import sys
name, size = sys.argv[1], int(sys.argv[2])
base, setup, value, path, old_base, old, n = map(int, sys.argv[3:])
v, p = (value - base) / n, (path - setup) / n
line = f"{name:<12} {size:>10} {v:>14,.0f} {p:>14,.0f} {p / v:>7.2f}x"
if old:
    o = (old - old_base - (setup - base)) / n
    line += f" {o:>14,.0f} {o / v:>7.2f}x {p / o:>7.2f}x"
print(line)
PY
done
