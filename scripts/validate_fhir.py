#!/usr/bin/env python3
"""Validates FHIR R4 JSON files with an independent validator (fhir.resources, pydantic models).

Usage: validate_fhir.py FILE_OR_DIR...

Which FHIR release: fhir.resources 6.x builds its top-level models (`fhir.resources.<type>`) from
FHIR 4.0.1, i.e. R4 (only the `STU3` and `DSTU2` sub-packages hold older releases; R4B/R5 arrived in
7.x). The script checks `fhir.resources.__fhir_version__ == "4.0.1"` so a different release cannot
slip in unnoticed.

Beyond the model's own checks (element names, types, cardinalities, choice types), each suggested
order must be `status` draft and `intent` order, as the card contract requires.

Exit status: 0 when every file is valid; 1 with one line per bad file (name and error) otherwise.
"""

import json
import sys
from pathlib import Path

import fhir.resources
from fhir.resources import construct_fhir_element

EXPECTED_FHIR_VERSION = "4.0.1"


def files(arguments):
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            yield from sorted(path.glob("*.json"))
        else:
            yield path


def validate(path):
    """Returns None when valid, else the error text."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return f"unreadable JSON: {error}"
    resource_type = data.get("resourceType")
    if not resource_type:
        return "no resourceType"
    try:
        construct_fhir_element(resource_type, data)
    except Exception as error:  # pydantic.ValidationError, or an unknown resource type
        return " ".join(str(error).split())
    if resource_type in ("MedicationRequest", "ServiceRequest"):
        if data.get("status") != "draft" or data.get("intent") != "order":
            return "a suggested order must be status draft, intent order"
    return None


def main(arguments):
    if fhir.resources.__fhir_version__ != EXPECTED_FHIR_VERSION:
        print(f"fhir.resources models are FHIR {fhir.resources.__fhir_version__}, expected "
              f"{EXPECTED_FHIR_VERSION} (R4)", file=sys.stderr)
        return 1
    checked = 0
    failures = []
    for path in files(arguments):
        checked += 1
        error = validate(path)
        if error:
            failures.append(f"INVALID {path}: {error}")
    for failure in failures:
        print(failure, file=sys.stderr)
    if checked == 0:
        print("no FHIR files to validate", file=sys.stderr)
        return 1
    print(f"{checked - len(failures)}/{checked} FHIR R4 resources valid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
