#!/usr/bin/env bash
# The rulebook pages (GET /guideline) checked end to end in a real headless browser.
#
#   bash tests/browser/run.sh        # from any directory; CI runs it after cargo test
#
# 1. Installs Debian's chromium when /usr/bin/chromium is missing (apt-get; sudo when not root).
#    Without apt-get and without chromium it fails: a browser test that skips itself proves
#    nothing.
# 2. Installs the pinned playwright-core (npm ci, tests/browser/package-lock.json).
# 3. Builds the oms-cds binary (respecting CARGO_TARGET_DIR).
# 4. Starts it on a free loopback port with a temporary configuration whose rituximab dose differs
#    from the default (so the pages are shown to come from the running configuration), SQLite in
#    a temporary directory, and no authentication (the rulebook is public anyway).
# 5. Runs tests/browser/rulebook.mjs against it, and always stops the service.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly ROOT
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
# The configured dose the pages must show, and the default they must not show in its place.
readonly RITUXIMAB_MG_PER_M2=350
readonly DEFAULT_RITUXIMAB_MG_PER_M2=375

fail() { printf 'tests/browser/run.sh: %s\n' "$*" >&2; exit 1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
now() { date +%s.%N; }
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

started="$(now)"

# --- 1. the browser ----------------------------------------------------------------------------
phase="$(now)"
if [[ ! -x "$CHROMIUM" ]]; then
  command -v apt-get >/dev/null ||
    fail "$CHROMIUM is missing and apt-get is not available to install Debian's chromium"
  echo "installing Debian's chromium (not found at $CHROMIUM)"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [[ -x "$CHROMIUM" ]] || fail "apt-get installed chromium, but $CHROMIUM is still missing"
fi
"$CHROMIUM" --version
chromium_seconds="$(since "$phase")"

# --- 2. the driver -----------------------------------------------------------------------------
phase="$(now)"
command -v node >/dev/null || fail "node is missing (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || fail "npm is missing (Debian: apt-get install npm)"
(cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
npm_seconds="$(since "$phase")"

# --- 3. the service binary ---------------------------------------------------------------------
phase="$(now)"
cd "$ROOT"
# The workspace build with every target: the same feature set `cargo test --workspace` just
# built, so this is a no-op in CI instead of a second build of the service with other features.
cargo build --locked --workspace --all-targets
target_dir="$(cargo metadata --format-version 1 --no-deps --locked |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')"
binary="$target_dir/debug/oms-cds"
[[ -x "$binary" ]] || fail "the build left no binary at $binary"
build_seconds="$(since "$phase")"

# --- 4. the service ----------------------------------------------------------------------------
work="$(mktemp -d)"
service_pid=""
stop_service() {
  if [[ -n "$service_pid" ]] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_service EXIT

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
base="http://127.0.0.1:$port"
cat >"$work/oms-cds.toml" <<EOF
listen = "127.0.0.1:$port"
public_base_url = "$base"

[storage]
database_url = "sqlite://$work/oms-cds.db"

[log]
format = "json"
level = "warn"

[auth]
required = false

[clinical]
rituximab_mg_per_m2 = $RITUXIMAB_MG_PER_M2
EOF

phase="$(now)"
"$binary" serve --config "$work/oms-cds.toml" >"$work/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 100); do
  if ! kill -0 "$service_pid" 2>/dev/null; then
    cat "$work/service.log" >&2
    fail "the service exited before it answered /healthz"
  fi
  if "$binary" healthcheck --url "$base/healthz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
"$binary" healthcheck --url "$base/healthz" >/dev/null 2>&1 ||
  { cat "$work/service.log" >&2; fail "the service did not answer /healthz at $base"; }
start_seconds="$(since "$phase")"

# --- 5. the browser test -----------------------------------------------------------------------
phase="$(now)"
status=0
RULEBOOK_RITUXIMAB_MG_PER_M2="$RITUXIMAB_MG_PER_M2" \
  RULEBOOK_DEFAULT_RITUXIMAB_MG_PER_M2="$DEFAULT_RITUXIMAB_MG_PER_M2" \
  node "$ROOT/tests/browser/rulebook.mjs" "$base" || status=$?
browser_seconds="$(since "$phase")"
if [[ $status -ne 0 ]]; then
  echo "--- service log ---" >&2
  tail -n 50 "$work/service.log" >&2
fi
printf 'rulebook browser step: %s s (chromium %s s, npm ci %s s, build %s s, service start %s s, browser %s s)\n' \
  "$(since "$started")" "$chromium_seconds" "$npm_seconds" "$build_seconds" "$start_seconds" "$browser_seconds"
exit "$status"
