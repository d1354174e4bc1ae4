#!/usr/bin/env bash
# Builds typeflow's API reference with Doxygen (docs/Doxyfile) and fails when Doxygen prints
# any warning, listing them, so that a broken `///` comment is found the day it is written.
#   bash docs/check-reference.sh            # into a temporary directory, removed afterwards
#   bash docs/check-reference.sh build/docs # into build/docs/html, kept
# Exit status: 0 no warnings, 1 warnings (listed on stderr), 2 doxygen missing or failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

doxygen=${DOXYGEN:-doxygen}
if ! command -v "$doxygen" >/dev/null 2>&1; then
  echo "check-reference: $doxygen not found (Debian: doxygen; cmake/install-deps.sh installs it)" >&2
  exit 2
fi

if (($# > 0)); then
  out=$1
  mkdir -p "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/typeflow-reference.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi
log="$out/doxygen-warnings.log"

# The configuration with the output directory and the warning log appended: a later line wins.
status=0
{
  cat docs/Doxyfile
  echo "OUTPUT_DIRECTORY = $out"
  echo "WARN_LOGFILE = $log"
} | "$doxygen" - >"$out/doxygen.out" 2>&1 || status=$?

# Doxygen writes its warnings to the log; anything else it printed (QUIET is on) is a problem
# too, e.g. a configuration error.
warnings=$(cat "$log" "$out/doxygen.out" 2>/dev/null | sed '/^[[:space:]]*$/d' || true)
count=$(grep -cE '(warning|error):' <<<"$warnings" || true)
if [[ -n "$warnings" ]]; then
  echo "check-reference: doxygen printed ${count} warning(s) (docs/Doxyfile fails on any):" >&2
  echo "$warnings" | sed "s|^$(pwd)/||" >&2
  by_file=$(grep -oE '^[^ ][^:]*:[0-9]+: (warning|error):' <<<"$warnings" | cut -d: -f1 |
    sed "s|^$(pwd)/||" | sort | uniq -c | sort -rn || true)
  if [[ -n "$by_file" ]]; then
    echo "check-reference: by file:" >&2
    echo "$by_file" >&2
  fi
  exit 1
fi
if ((status != 0)); then
  echo "check-reference: doxygen exited with ${status}" >&2
  exit 2
fi
echo "check-reference: API reference built without warnings${1:+ into $out/html}"
