#!/usr/bin/env bash
# The crate boundaries hold: the rules (`cards`) know the decision model (`fhir-mapping`), exact
# decimals and dates, and nothing about JSON, FHIR libraries, serialisation or identifiers.
# `fhir-mapping` owns FHIR both ways; the service owns the wire and the configuration files.
set -euo pipefail
cd "$(dirname "$0")/.."

allowed_normal="fhir-mapping rust_decimal time"
# proptest generates the facts of the rules' property tests; it is test-only.
allowed_dev="proptest"
forbidden_in_source='\b(fhirbolt|serde|serde_json|uuid)\b'

# The names listed in one [section] of a Cargo.toml.
section() {
    awk -v want="[$2]" '
        /^\[/ { inside = ($0 == want); next }
        inside && /^[A-Za-z0-9_-]+[[:space:]]*[.=]/ { split($0, parts, /[[:space:]]*[.=]/); print parts[1] }
    ' "$1"
}

status=0
for dependency in $(section cards/Cargo.toml dependencies); do
    if [[ " $allowed_normal " != *" $dependency "* ]]; then
        echo "ERROR: cards depends on '$dependency'; it may depend on: $allowed_normal" >&2
        status=1
    fi
done
for dependency in $(section cards/Cargo.toml dev-dependencies); do
    if [[ " $allowed_dev " != *" $dependency "* ]]; then
        echo "ERROR: cards has the dev-dependency '$dependency'; allowed: $allowed_dev" >&2
        status=1
    fi
done
if hits=$(grep -rnE "$forbidden_in_source" cards/src); then
    echo "ERROR: cards/src names a library it must not know:" >&2
    echo "$hits" >&2
    status=1
fi
if [[ $status -eq 0 ]]; then
    echo "boundaries hold: cards depends on $allowed_normal (dev: $allowed_dev) and names no FHIR, JSON or uuid library"
fi
exit $status
