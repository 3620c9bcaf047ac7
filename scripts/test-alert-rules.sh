#!/usr/bin/env bash
# Unit-tests the alert rules: extracts the rule groups from the PrometheusRule manifest
# (deploy/k8s/base/prometheusrule.yaml) into a plain Prometheus rule file, checks it with
# `promtool check rules`, and runs `promtool test rules` on deploy/monitoring/rules-test.yaml.
#
#   bash scripts/test-alert-rules.sh
#
# Needs promtool (installed by scripts/check-metrics.sh's helper when missing) and python3 with
# PyYAML (installed from PyPI into ${OMS_CDS_TOOLS_DIR:-$HOME/.cache/oms-cds-tools} when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly PYYAML_VERSION=6.0.2
readonly TOOLS_DIR="${OMS_CDS_TOOLS_DIR:-$HOME/.cache/oms-cds-tools}"
readonly RULE_MANIFEST=deploy/k8s/base/prometheusrule.yaml
readonly RULES_TEST=deploy/monitoring/rules-test.yaml

# shellcheck source=scripts/promtool.sh
source scripts/promtool.sh
ensure_promtool

# PyYAML: the system's if it has one, else a pinned copy in the tools cache.
pyyaml_dir="$TOOLS_DIR/pyyaml-$PYYAML_VERSION"
if ! python3 -c 'import yaml' 2>/dev/null; then
  if [[ ! -f "$pyyaml_dir/.installed" ]]; then
    rm -rf "$pyyaml_dir"
    python3 -m pip install --quiet --disable-pip-version-check --target "$pyyaml_dir" \
      "PyYAML==$PYYAML_VERSION"
    touch "$pyyaml_dir/.installed"
  fi
  export PYTHONPATH="$pyyaml_dir${PYTHONPATH:+:$PYTHONPATH}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The test file names its rule file relative to itself: both go side by side in $work.
python3 - "$RULE_MANIFEST" "$work/oms-cds-rules.yaml" <<'PY'
import sys
import yaml

manifest_path, out_path = sys.argv[1], sys.argv[2]
with open(manifest_path) as f:
    manifest = yaml.safe_load(f)
if manifest.get("kind") != "PrometheusRule":
    sys.exit(f"{manifest_path}: not a PrometheusRule")
groups = manifest["spec"]["groups"]
with open(out_path, "w") as f:
    yaml.safe_dump({"groups": groups}, f, sort_keys=False)
print(f"extracted {len(groups)} groups, "
      f"{sum(len(g['rules']) for g in groups)} rules from {manifest_path}")
PY
cp "$RULES_TEST" "$work/rules-test.yaml"

promtool check rules "$work/oms-cds-rules.yaml"
promtool test rules "$work/rules-test.yaml"
