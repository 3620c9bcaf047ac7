#!/usr/bin/env bash
# The repository stands alone: no tracked file may point at a path outside it (the sibling
# folder the project was started from, or an absolute path of a developer's machine). Scenario
# and example data are exempt: they hold clinical text, not paths.
set -euo pipefail
cd "$(dirname "$0")/.."

pattern='(\.\./shared|shared/(design|guideline|examples)|/work/|\.\./\.\./\.\./)'
if hits=$(git grep -n -I -E "$pattern" -- . ':!tests/scenarios/**' ':!examples/**' ':!scripts/check-standalone.sh'); then
    echo "ERROR: these tracked files point outside the repository; say it in the project's own words:" >&2
    echo "$hits" >&2
    exit 1
fi
echo "the repository stands alone: no tracked file names a path outside it"
