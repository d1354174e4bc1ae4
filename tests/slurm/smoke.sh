#!/usr/bin/env bash
# The Slurm test cluster works, and Slurm answers in the forms typeflow's Slurm executor reads
# (tests/slurm/README.md lists them): a job runs and writes its output; a job array of 4 runs
# every element, each visible with its own record; a failing job ends FAILED with its exit
# code; `scancel` of a running job ends it CANCELLED; finished jobs stay in `scontrol show job`.
# Needs SLURM_CONF (run by CTest through run-if-cluster.sh). Prints the submit-to-end latency.
set -euo pipefail

: "${SLURM_CONF:?SLURM_CONF must name the slurm.conf of the test cluster}"
work=$(mktemp -d "${TMPDIR:-/tmp}/typeflow-slurm-smoke.XXXXXX")
submitted=()
cleanup() {
  if ((${#submitted[@]} > 0)); then
    scancel "${submitted[@]}" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# The value of FIELD in a job's one-line record(s) (`scontrol -o show job`), one line per record
# (an array job has one record per element).
field() {
  scontrol -o show job "$1" | grep -oE "(^| )$2=[^ ]*" | sed -E "s/^ ?$2=//"
}

terminal='^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$'

# Waits (polling, at most $3 seconds) until every record of job $1 is in a state matching $2.
wait_state() {
  local job=$1 want=$2 bound=$3 states deadline=$((SECONDS + $3))
  while true; do
    states=$(field "$job" JobState || true)
    if [[ -n "$states" ]] && ! grep -qvE "$want" <<<"$states"; then
      return 0
    fi
    ((SECONDS < deadline)) || fail "job $job not in a state matching $want after ${bound} s: $(tr '\n' ' ' <<<"$states")"
    sleep 0.1
  done
}

submit() {
  local id
  id=$(sbatch --parsable "$@") || fail "sbatch $* failed"
  [[ "$id" =~ ^[0-9]+$ ]] || fail "sbatch --parsable printed '$id', not a job id"
  submitted+=("$id")
  echo "$id"
}

# 1. A trivial job: its output, its record, and how long from sbatch to its end as polled.
start_ns=$(date +%s%N)
job=$(submit --job-name=smoke-hi --output="$work/hi.out" --wrap 'echo hi')
wait_state "$job" "$terminal" 60
latency_ms=$((($(date +%s%N) - start_ns) / 1000000))
[[ "$(field "$job" JobState)" == COMPLETED ]] || fail "job $job: $(scontrol -o show job "$job")"
[[ "$(field "$job" ExitCode)" == 0:0 ]] || fail "job $job exit code $(field "$job" ExitCode)"
[[ "$(cat "$work/hi.out")" == hi ]] || fail "job $job wrote '$(cat "$work/hi.out")', not 'hi'"
echo "ok: job $job COMPLETED, output 'hi'; submit to end (polled): ${latency_ms} ms"

# 2. A job array of 4: `sbatch --parsable` prints the array's id alone; each element has its
# own record (ArrayJobId = that id, ArrayTaskId = its index) and writes its own output.
# shellcheck disable=SC2016  # expanded in the job, not here
array=$(submit --job-name=smoke-array --array=0-3 --output="$work/element-%a.out" \
  --wrap 'echo "element $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID"')
wait_state "$array" "$terminal" 60
records=$(field "$array" JobState | wc -l)
((records == 4)) || fail "array $array has $records records, not 4: $(scontrol -o show job "$array")"
grep -qvx COMPLETED <<<"$(field "$array" JobState)" &&
  fail "array $array: not all COMPLETED: $(field "$array" JobState | tr '\n' ' ')"
[[ "$(field "$array" ArrayJobId | sort -u)" == "$array" ]] || fail "array $array: ArrayJobId $(field "$array" ArrayJobId | tr '\n' ' ')"
[[ "$(field "$array" ArrayTaskId | sort -n | tr '\n' ' ')" == "0 1 2 3 " ]] ||
  fail "array $array: ArrayTaskId $(field "$array" ArrayTaskId | tr '\n' ' ')"
for i in 0 1 2 3; do
  [[ "$(cat "$work/element-$i.out")" == "element $i of $array" ]] ||
    fail "element $i wrote '$(cat "$work/element-$i.out" 2>&1)'"
done
echo "ok: array $array: 4 elements COMPLETED, each with its output"

# 3. A failing job: FAILED, Reason=NonZeroExitCode, ExitCode=<code>:<signal>.
failing=$(submit --job-name=smoke-fail --output=/dev/null --wrap 'exit 3')
wait_state "$failing" "$terminal" 60
[[ "$(field "$failing" JobState)" == FAILED ]] || fail "job $failing: $(scontrol -o show job "$failing")"
[[ "$(field "$failing" Reason)" == NonZeroExitCode ]] || fail "job $failing reason $(field "$failing" Reason)"
[[ "$(field "$failing" ExitCode)" == 3:0 ]] || fail "job $failing exit code $(field "$failing" ExitCode)"
echo "ok: job $failing FAILED, Reason=NonZeroExitCode, ExitCode=3:0"

# 4. scancel of a running job: CANCELLED (ExitCode 0:15, SIGTERM), and no longer in squeue.
sleeper=$(submit --job-name=smoke-cancel --output=/dev/null --wrap 'sleep 300')
wait_state "$sleeper" '^RUNNING$' 60
scancel "$sleeper"
wait_state "$sleeper" "$terminal" 30
[[ "$(field "$sleeper" JobState)" == CANCELLED ]] || fail "job $sleeper: $(scontrol -o show job "$sleeper")"
[[ -z "$(squeue -h -j "$sleeper" -o %T 2>/dev/null)" ]] || fail "job $sleeper still in squeue"
echo "ok: job $sleeper CANCELLED by scancel (ExitCode $(field "$sleeper" ExitCode))"

# 5. Finished jobs stay visible (MinJobAge=600): the first one is still there.
[[ "$(field "$job" JobState)" == COMPLETED ]] || fail "job $job no longer shown by scontrol"
echo "ok: finished job $job still shown by scontrol show job"
