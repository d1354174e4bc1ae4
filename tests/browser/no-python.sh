#!/bin/sh
# A browser test where CMake found no python3: the skip (exit 77) the harness gives when what it
# needs is missing, or under CI=true a failure (CI must run the browser tests).
echo "browser test $1: missing python3 (Debian package python3-selenium)" >&2
if [ "${CI:-}" = true ]; then
  echo "FAILED (CI=true, where the browser tests must run): cmake/install-deps.sh installs it" >&2
  exit 1
fi
echo "skipped (cmake/install-deps.sh installs it)" >&2
exit 77
