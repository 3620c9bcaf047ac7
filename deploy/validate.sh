#!/usr/bin/env bash
# Offline validation of the deployment artefacts (no cluster, no container engine needed).
#
#   bash deploy/validate.sh          # from the repository root (any directory works)
#
# 1. Renders the Kustomize overlays with `kubectl kustomize`: dev, the production template and
#    example-site (the template with every placeholder filled).
# 2. Validates every rendered object against the Kubernetes API schemas and the Prometheus Operator
#    CRD schema (npm kubernetes-models, deploy/validate/validate-schemas.mjs), then again with
#    unknown-field detection (PyPI kubernetes-validate --strict) for the built-in kinds.
# 3. Checks the deployment invariants per environment (deploy/validate/check-policy.mjs), and that
#    the production template is REFUSED while it holds placeholders (each one named).
# 4. Validates deploy/docker-compose.yml (Compose schema + scale-out shape) and the HAProxy config.
# 5. Scans both Dockerfiles and the rendered manifests with checkov; every finding must be fixed or
#    skipped inline with a reason.
# 6. Proves the validators bite: each must reject deploy/validate/fixtures/broken-manifests.yaml.
#
# Tools are installed once from the package registries into
# ${OMS_CDS_TOOLS_DIR:-$HOME/.cache/oms-cds-tools} (versioned directories with a completion marker,
# so re-runs reuse them and an interrupted install is redone). Any failure exits non-zero.

set -euo pipefail

readonly CHECKOV_VERSION=3.3.30
readonly KUBERNETES_VALIDATE_VERSION=1.37.0
# Oldest Kubernetes the manifests target (preStop `sleep`, topology spread `matchLabelKeys`).
readonly KUBERNETES_SCHEMA_VERSION=1.30.0
readonly OVERLAYS=(dev production example-site)
# The policy each overlay must pass. overlays/production is a template and is not listed: it must
# FAIL the production policy, on placeholders only (see "production template" below).
declare -rA POLICY_OF=([dev]=dev [example-site]=production)
# What the template's refusal must name: one pattern per placeholder a site has to fill.
readonly TEMPLATE_PLACEHOLDERS=(
  'Deployment/oms-cds .*image'
  'Ingress/oms-cds spec.rules\[0\].host'
  'Ingress/oms-cds spec.tls\[0\].hosts'
  'NetworkPolicy/oms-cds spec.egress\[2\].*cidr = "192.0.2.0/24"'
  'oms-cds.toml public_base_url'
  'oms-cds.toml cors.allowed_origins'
  'oms-cds.toml auth.issuers\[0\].iss'
  'oms-cds.toml auth.issuers\[0\].jwks_url'
  'oms-cds.toml fhir.allowed_servers'
)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly TOOLS_DIR="${OMS_CDS_TOOLS_DIR:-$HOME/.cache/oms-cds-tools}"
WORK_DIR="$(mktemp -d)"
readonly WORK_DIR
trap 'rm -rf "$WORK_DIR"' EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'validate.sh: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------

# Runs apt-get update once per run, and only when a Debian package is actually needed.
apt_lists_fresh=false
apt_update_once() {
  if [[ $apt_lists_fresh == false ]]; then
    apt-get update -qq >/dev/null
    apt_lists_fresh=true
  fi
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# Major version of the kustomize embedded in kubectl, or 0 when there is none (kubectl < 1.21).
kustomize_major() {
  kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p' | grep . || echo 0
}

# The overlays use directory `resources` and `patches`, which need kustomize v4 or later.
ensure_kubectl() {
  if ! command -v kubectl >/dev/null; then
    apt_update_once
    as_root apt-get install -y -qq kubernetes-client >/dev/null
  fi
  local major
  major="$(kustomize_major)"
  if (( major < 4 )); then
    fail "kubectl $(command -v kubectl) embeds kustomize v${major}; v4 or later is needed (Debian bookworm's kubernetes-client 1.20 has v2). Put a kubectl >= 1.21 first on PATH."
  fi
}

# A virtualenv holding one pinned PyPI package: ensure_venv DIR PACKAGE==VERSION
ensure_venv() {
  local dir="$1" requirement="$2"
  if [[ ! -f "$dir/.installed" ]]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    touch "$dir/.installed"
  fi
}

# The Node validators' dependencies, keyed by the lock file so a dependency change reinstalls.
ensure_node_modules() {
  local lock_hash
  lock_hash="$(sha256sum "$REPO_ROOT/deploy/validate/package-lock.json" | cut -c1-16)"
  NODE_DIR="$TOOLS_DIR/node-$lock_hash"
  if [[ ! -f "$NODE_DIR/.installed" ]]; then
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp "$REPO_ROOT/deploy/validate/package.json" "$REPO_ROOT/deploy/validate/package-lock.json" "$NODE_DIR/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$NODE_DIR/.installed"
  fi
  # ES modules resolve packages next to the importing file: run the scripts from NODE_DIR.
  cp "$REPO_ROOT"/deploy/validate/*.mjs "$NODE_DIR/"
}

# Debian's haproxy binary and the libraries it links, unpacked (not installed: no service starts).
ensure_haproxy() {
  HAPROXY_DIR="$TOOLS_DIR/haproxy-deb12"
  local packages=(haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1)
  if [[ ! -f "$HAPROXY_DIR/.installed" ]]; then
    rm -rf "$HAPROXY_DIR"
    mkdir -p "$HAPROXY_DIR/debs"
    apt_update_once
    (cd "$HAPROXY_DIR/debs" && apt-get download -qq "${packages[@]}" 2>/dev/null)
    local deb
    for deb in "$HAPROXY_DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$HAPROXY_DIR/root"; done
    touch "$HAPROXY_DIR/.installed"
  fi
}

haproxy_check() {
  LD_LIBRARY_PATH="$HAPROXY_DIR/root/usr/lib/x86_64-linux-gnu" \
    "$HAPROXY_DIR/root/usr/sbin/haproxy" -c -f "$1"
}

# checkov without its online extras: no guideline download, no platform calls.
checkov_offline() {
  BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
    "$TOOLS_DIR/venv-checkov-$CHECKOV_VERSION/bin/checkov" --quiet --compact --skip-download "$@"
}

kubernetes_validate() {
  "$TOOLS_DIR/venv-kubernetes-validate-$KUBERNETES_VALIDATE_VERSION/bin/kubernetes-validate" \
    --strict --kubernetes-version "$KUBERNETES_SCHEMA_VERSION" --quiet "$@"
}

# expect_rejection NAME PATTERN COMMAND...: COMMAND must fail and print PATTERN (a grep -E regex).
expect_rejection() {
  local name="$1" pattern="$2"
  shift 2
  local output
  if output="$("$@" 2>&1)"; then
    fail "self-test: $name accepted the broken fixture"
  fi
  if ! grep -Eq -- "$pattern" <<<"$output"; then
    printf '%s\n' "$output" >&2
    fail "self-test: $name failed without reporting /$pattern/"
  fi
  echo "ok    $name rejects the broken fixture (/$pattern/)"
}

# The production template must fail the production policy, name every placeholder a site fills in,
# and fail on nothing else (so the template is sound apart from the site's names).
check_template_refused() {
  local output pattern
  if output="$(node "$NODE_DIR/check-policy.mjs" production "$1" 2>&1)"; then
    printf '%s\n' "$output" >&2
    fail "overlays/production passed the production policy: its placeholders are no longer detected"
  fi
  for pattern in "${TEMPLATE_PLACEHOLDERS[@]}"; do
    grep -Eq -- "^FAIL  policy production: placeholder: $pattern" <<<"$output" \
      || { printf '%s\n' "$output" >&2; fail "the refusal of overlays/production does not name /$pattern/"; }
  done
  if grep '^FAIL' <<<"$output" | grep -v '^FAIL  policy production: placeholder: ' >&2; then
    fail "overlays/production breaks a production rule besides its placeholders (above)"
  fi
  grep '^FAIL' <<<"$output" | sed 's/^FAIL  policy production: /ok    refused: /'
}

# --- run ---------------------------------------------------------------------------------------

main() {
  cd "$REPO_ROOT"
  mkdir -p "$TOOLS_DIR"

  step "tools (cached in $TOOLS_DIR)"
  ensure_kubectl
  ensure_node_modules
  ensure_venv "$TOOLS_DIR/venv-kubernetes-validate-$KUBERNETES_VALIDATE_VERSION" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  ensure_venv "$TOOLS_DIR/venv-checkov-$CHECKOV_VERSION" "checkov==$CHECKOV_VERSION"
  ensure_haproxy
  kubectl version --client 2>/dev/null | sed 's/^/      /'

  step "render overlays"
  local rendered_dir="$WORK_DIR/rendered" overlay
  mkdir -p "$rendered_dir"
  for overlay in "${OVERLAYS[@]}"; do
    kubectl kustomize "deploy/k8s/overlays/$overlay" >"$rendered_dir/$overlay.yaml"
    echo "ok    $overlay: $(grep -c '^kind:' "$rendered_dir/$overlay.yaml") objects"
  done

  step "Kubernetes API and CRD schemas (kubernetes-models)"
  node "$NODE_DIR/validate-schemas.mjs" "$rendered_dir"/*.yaml

  step "unknown fields, Kubernetes $KUBERNETES_SCHEMA_VERSION (kubernetes-validate --strict; CRDs are covered above)"
  kubernetes_validate "$rendered_dir"/*.yaml
  echo "ok    no unknown or mistyped fields in built-in kinds"

  step "deployment policy"
  for overlay in "${!POLICY_OF[@]}"; do
    echo "      $overlay (${POLICY_OF[$overlay]} rules)"
    node "$NODE_DIR/check-policy.mjs" "${POLICY_OF[$overlay]}" "$rendered_dir/$overlay.yaml"
  done

  step "production template: refused while placeholders remain (expected failure)"
  check_template_refused "$rendered_dir/production.yaml"

  step "docker compose and load balancer"
  node "$NODE_DIR/validate-compose.mjs" deploy/docker-compose.yml deploy/compose/haproxy.cfg
  local haproxy_output
  if ! haproxy_output="$(haproxy_check deploy/compose/haproxy.cfg 2>&1)"; then
    printf '%s\n' "$haproxy_output"
    fail "haproxy rejected deploy/compose/haproxy.cfg"
  fi
  # Replica names only resolve inside the compose network: unresolved-address warnings are expected.
  grep -v -e 'could not resolve address' -e '^\[NOTICE\]' <<<"$haproxy_output" | sed 's/^/      /' || true

  step "checkov: Dockerfiles (the registry build and deploy/image's local build)"
  checkov_offline --framework dockerfile --file Dockerfile
  checkov_offline --framework dockerfile --file deploy/image/Dockerfile.local

  step "checkov: rendered manifests"
  checkov_offline --framework kubernetes --directory "$rendered_dir"

  step "self-test: the validators reject broken input"
  local fixture=deploy/validate/fixtures/broken-manifests.yaml
  expect_rejection "kubernetes-models (type error)" 'Deployment/broken-type: .*containerPort must be integer' \
    node "$NODE_DIR/validate-schemas.mjs" "$fixture"
  expect_rejection "kubernetes-models (CRD schema)" 'ServiceMonitor/broken: .*interval must match pattern' \
    node "$NODE_DIR/validate-schemas.mjs" "$fixture"
  expect_rejection "kubernetes-validate (unknown field)" "'readinesProbe' was unexpected" \
    kubernetes_validate "$fixture"
  expect_rejection "check-policy (literal database URL)" 'OMS_CDS_DATABASE_URL must come from a secretKeyRef|exactly one Deployment' \
    node "$NODE_DIR/check-policy.mjs" production "$fixture"
  expect_rejection "checkov (missing hardening)" 'CKV_K8S_(8|20|22|28|37)' \
    checkov_offline --framework kubernetes --file "$fixture"

  printf '\nvalidate.sh: all deployment checks passed in %ss\n' "$SECONDS"
}

main "$@"
