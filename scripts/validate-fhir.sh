#!/usr/bin/env bash
# Runs the scenario suite, which empties target/suggested-resources/ and writes every suggested
# FHIR resource of this run there, then validates each one with an independent FHIR R4 validator:
# Python fhir.resources 6.4.0 (FHIR 4.0.1 models) on pydantic 1, installed into
# target/fhir-validator-venv on first use (works offline afterwards). So only files written by
# this run are checked.
#
# Usage: scripts/validate-fhir.sh
# Fails loudly (exit 1, file name and error) on any invalid resource, or when there is none.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/fhir-validator-venv"
resources="$target/suggested-resources"

rm -rf "$resources"
(cd "$root" && cargo test -p oms-cds-tests --test scenarios --locked --quiet)

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import fhir.resources' 2>/dev/null; then
    echo "creating the validator environment in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "fhir.resources==6.4.0" "pydantic<2"
fi

if [[ ! -d "$resources" ]] || [[ -z "$(ls -A "$resources" 2>/dev/null)" ]]; then
    echo "ERROR: the scenario suite wrote no suggested resources to $resources" >&2
    exit 1
fi

"$venv/bin/python" "$root/scripts/validate_fhir.py" "$resources"
