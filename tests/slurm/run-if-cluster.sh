#!/usr/bin/env bash
# Runs a Slurm test (CMD...) when the test cluster is up, as the slurm.cluster-start fixture
# recorded in $TYPEFLOW_SLURM_STATUS (tests/slurm/cluster.sh); otherwise exits 77, which CTest
# counts as a skip (SKIP_RETURN_CODE), saying why, or under CI=true exits 1: CI must run them.
#   run-if-cluster.sh bash tests/slurm/smoke.sh
set -euo pipefail

if (($# == 0)); then
  echo "usage: run-if-cluster.sh CMD [ARG...]" >&2
  exit 2
fi

status_file=${TYPEFLOW_SLURM_STATUS:-}
if [[ -z "$status_file" ]]; then
  why="TYPEFLOW_SLURM_STATUS is not set (the tests get it from tests/slurm/CMakeLists.txt)"
elif [[ ! -f "$status_file" ]]; then
  why="$status_file does not exist: the slurm.cluster-start fixture has not run"
else
  status=$(<"$status_file")
  if [[ "$status" == "ok" ]]; then
    if [[ -z "${SLURM_CONF:-}" || ! -f "$SLURM_CONF" ]]; then
      why="SLURM_CONF (${SLURM_CONF:-unset}) names no file, though the cluster was started"
    else
      exec "$@"
    fi
  else
    why="the Slurm test cluster is ${status}"
  fi
fi

if [[ "${CI:-}" == "true" ]]; then
  echo "FAILED (CI=true, where the Slurm tests must run): $why" >&2
  exit 1
fi
echo "SKIPPED: $why" >&2
exit 77
