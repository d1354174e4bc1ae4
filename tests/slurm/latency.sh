#!/usr/bin/env bash
# Slurm's own latency on the test cluster, the baseline for typeflow's Slurm executor (a
# measurement, not a test; tests/slurm/README.md has the figures):
#   sequential  N trivial jobs, each submitted when the previous one is seen ended (sbatch, then
#               polling `scontrol -o show job` every 50 ms): submit to seen-ended, per job
#   chain       N trivial jobs submitted at once, each --dependency=afterok on the previous one:
#               first submit to the last one seen ended, and per job
#   array       one --array=0-(M-1) of trivial jobs: submit to all seen ended
# Usage: SLURM_CONF=... latency.sh [N (default 20)] [M (default 200)]
set -euo pipefail

: "${SLURM_CONF:?SLURM_CONF must name the slurm.conf of the test cluster}"
n=${1:-20}
m=${2:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/typeflow-slurm-latency.XXXXXX")
trap 'rm -rf "$work"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Waits until every record of job $1 has ended; fails after 600 s or when one did not complete.
wait_end() {
  local states deadline=$((SECONDS + 600))
  while ((SECONDS < deadline)); do
    states=$(scontrol -o show job "$1" | grep -oE 'JobState=[^ ]*' | sort -u)
    if ! grep -qvE 'JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)' <<<"$states"; then
      [[ "$states" == "JobState=COMPLETED" ]] || {
        echo "job $1 ended $states" >&2
        exit 1
      }
      return 0
    fi
    sleep 0.05
  done
  echo "job $1 not ended after 600 s" >&2
  exit 1
}

stats() {
  sort -n | awk '{v[NR] = $1; s += $1} END {
    printf "min %d ms, median %d ms, mean %d ms, max %d ms (%d jobs)\n",
           v[1], v[int((NR + 1) / 2)], s / NR, v[NR], NR }'
}

for ((i = 0; i < n; i++)); do
  start=$(now_ms)
  job=$(sbatch --parsable --output=/dev/null --wrap true)
  wait_end "$job"
  echo $(($(now_ms) - start))
done >"$work/sequential"
echo "sequential: submit to seen ended: $(stats <"$work/sequential")"

start=$(now_ms)
previous=""
for ((i = 0; i < n; i++)); do
  previous=$(sbatch --parsable --output=/dev/null ${previous:+--dependency=afterok:$previous} \
    --wrap true)
done
wait_end "$previous"
total=$(($(now_ms) - start))
echo "chain of $n (--dependency=afterok): ${total} ms, $((total / n)) ms per job"

start=$(now_ms)
array=$(sbatch --parsable --output=/dev/null --array=0-$((m - 1)) --wrap true)
wait_end "$array"
total=$(($(now_ms) - start))
echo "array of $m: ${total} ms, $((total / m)) ms per element ($(sinfo -h -o %c | head -n 1) CPUs in the cluster)"
