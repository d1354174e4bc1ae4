#!/usr/bin/env bash
# The Slurm executor's overhead (issue 16; a measurement, not a test; benchmarks/slurm/README.md
# says how to read it, docs/performance.md has the figures).
#
#   bash benchmarks/slurm/run.sh [--reps N] [--bin PATH] [chain] [map] [flagship]
#
# What (default: chain map; each repeated N times, default 3; median, min and max printed):
#   chain     typeflow-bench-slurm run --to c50 --executor slurm (50 empty steps in a chain)
#             against the same 50 jobs submitted at once by this script, each
#             `sbatch --dependency=afterok:<previous>`, waited for by polling `squeue` every
#             100 ms (then one `scontrol show job` checks they all COMPLETED)
#   map       typeflow-bench-slurm run --to elements --executor slurm (a p.map of 200 empty
#             elements, one job array) against one `sbatch --array=0-199` from this script
#   flagship  bash examples/run.sh run --executor slurm against bash examples/run.sh run (the
#             Fashion-MNIST flagship; --no-cache and a fresh store each time, so every step runs)
# The script's jobs run the benchmark binary's `--help` (a process start of the same binary,
# as cheap as an empty step's run-step is without its files).
#
# The cluster: SLURM_CONF when it is set (a cluster already up, e.g. after
# `eval "$(bash tests/slurm/cluster.sh env)"`); else this script starts its own with
# tests/slurm/cluster.sh in TYPEFLOW_SLURM_DIR (default /tmp/typeflow-slurm-bench), port
# TYPEFLOW_SLURM_PORT (default 6917), TYPEFLOW_SLURM_CPUS CPUs (default: the machine's), and
# stops it at the end. Root is needed to start one. Driver and script always use the same
# cluster.
#
# The binary: --bin PATH, or build/bench/benchmarks/typeflow-bench-slurm, built with the
# `bench` preset (`cmake --preset bench && cmake --build build/bench --target
# typeflow-bench-slurm`) when it is missing.
#
# Prints one line per measured run, then `summary shape=slurm_<shape> ...` lines:
#   driver_ms / script_ms               wall time, median (min-max)
#   overhead_ms_per_step                (driver - script) / steps, of the medians
#   ratio                               driver / script, of the medians
#   sbatch|squeue|scontrol_per_step     the driver's calls (its summary's `slurm:` line) / steps
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
reps=3
bin=""
what=()
while (($# > 0)); do
  case "$1" in
  --reps) reps=$2; shift 2 ;;
  --reps=*) reps=${1#--reps=}; shift ;;
  --bin) bin=$2; shift 2 ;;
  --bin=*) bin=${1#--bin=}; shift ;;
  chain | map | flagship) what+=("$1"); shift ;;
  -h | --help) sed -n '2,36p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#what[@]} > 0)) || what=(chain map)
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --reps must be a whole number >= 1, not '$reps'" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/typeflow-slurm-bench.XXXXXX")
own_cluster=""
cleanup() {
  if [[ -n "$own_cluster" ]]; then
    bash "$root/tests/slurm/cluster.sh" stop --user "$work" >&2 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${SLURM_CONF:-}" ]]; then
  export TYPEFLOW_SLURM_DIR="${TYPEFLOW_SLURM_DIR:-/tmp/typeflow-slurm-bench}"
  export TYPEFLOW_SLURM_PORT="${TYPEFLOW_SLURM_PORT:-6917}"
  bash "$root/tests/slurm/cluster.sh" start --user "$work" >&2
  own_cluster=yes
  eval "$(bash "$root/tests/slurm/cluster.sh" env)"
fi
sinfo -h -o %c >/dev/null || { echo "run.sh: no cluster answers at SLURM_CONF=$SLURM_CONF" >&2; exit 1; }
cpus=$(sinfo -h -o %c | head -n 1)

if [[ -z "$bin" ]]; then
  bin="$root/build/bench/benchmarks/typeflow-bench-slurm"
  if [[ ! -x "$bin" ]]; then
    (cd "$root" && cmake --preset bench && cmake --build build/bench --target typeflow-bench-slurm) >&2
  fi
fi
[[ -x "$bin" ]] || { echo "run.sh: no benchmark binary at $bin" >&2; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Median, min and max of the numbers on stdin: "median min max".
stats() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)], v[1], v[NR]}'; }

# Waits until no record of job $1 is queued, running or completing, polling `squeue` every
# 100 ms (as the driver asks it: cheap for slurmctld, a finished job is not listed; counted in
# $work/polls), then checks with one `scontrol -o show job` that every record ended COMPLETED;
# fails when a job waits for a dependency that can never be met, or after 600 s.
wait_end() {
  local queued deadline=$((SECONDS + 600)) polls=0 states
  while ((SECONDS < deadline)); do
    polls=$((polls + 1))
    queued=$(squeue -h -r -j "$1" -o '%T|%r' 2>/dev/null || true)
    if grep -q DependencyNeverSatisfied <<<"$queued"; then
      echo "run.sh: job $1 waits for a dependency that failed" >&2
      exit 1
    fi
    if [[ -z "$queued" ]]; then
      states=$(scontrol -o show job "$1" | grep -oE 'JobState=[^ ]*' | sort -u)
      [[ "$states" == "JobState=COMPLETED" ]] || { echo "run.sh: job $1 ended $states" >&2; exit 1; }
      echo "$polls" >>"$work/polls"
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: job $1 not ended after 600 s" >&2
  exit 1
}

# Waits (60 s at most) until the cluster has nothing queued or running, so that one measured run
# does not pay for the jobs of the one before.
wait_idle() {
  local deadline=$((SECONDS + 60))
  while [[ -n "$(squeue -h -o %i)" ]]; do
    ((SECONDS < deadline)) || { echo "run.sh: the cluster still has jobs after 60 s:" >&2; squeue >&2; exit 1; }
    sleep 0.1
  done
}

# One driver run of shape $1 (chain: --to c50, map: --to elements), repetition $2: prints
# "wall_ms sbatch squeue scontrol jobs".
driver_run() {
  local target=c50 out="$work/driver-$1-$2.txt" start end line
  [[ "$1" == map ]] && target=elements
  start=$(now_ms)
  if ! "$bin" run --to "$target" --executor slurm --no-cache --store "$work/store-$1-$2" --quiet >"$out" 2>&1; then
    echo "run.sh: the driver's $1 run failed:" >&2
    tail -n 20 "$out" >&2
    exit 1
  fi
  end=$(now_ms)
  # slurm: 50 jobs submitted, 0 adopted; sbatch 50, squeue 150, scontrol 0, scancel 0 calls
  line=$(grep -E '^slurm: ' "$out" | tail -n 1)
  [[ -n "$line" ]] || { echo "run.sh: no 'slurm:' line in the driver's output ($out)" >&2; exit 1; }
  echo "$((end - start)) $(sed -E 's/^slurm: ([0-9]+) jobs submitted.*sbatch ([0-9]+), squeue ([0-9]+), scontrol ([0-9]+).*/\2 \3 \4 \1/' <<<"$line")"
}

# The same jobs from a shell script, shape $1: prints "wall_ms polls".
script_run() {
  local start end job previous="" i
  : >"$work/polls"
  start=$(now_ms)
  if [[ "$1" == chain ]]; then
    for ((i = 1; i <= 50; i++)); do
      job=$(sbatch --parsable --no-requeue --job-name=bench:chain --output="$work/log.%j" \
        ${previous:+--dependency=afterok:$previous} --wrap "'$bin' --help >/dev/null")
      previous=${job%%;*}
    done
    wait_end "$previous"
  else
    job=$(sbatch --parsable --no-requeue --job-name=bench:map --output="$work/log.%A_%a" \
      --array=0-199 --wrap "'$bin' --help >/dev/null")
    wait_end "${job%%;*}"
  fi
  end=$(now_ms)
  echo "$((end - start)) $(cat "$work/polls")"
}

shape_bench() {
  local shape=$1 steps=50 r d s
  [[ "$shape" == map ]] && steps=200
  : >"$work/$shape.driver"
  : >"$work/$shape.script"
  for ((r = 1; r <= reps; r++)); do
    # Odd repetitions run the driver first, even ones the script, so that neither always runs
    # after the other's finished jobs (slurmctld keeps them MinJobAge).
    if ((r % 2 == 1)); then
      wait_idle
      d=$(driver_run "$shape" "$r")
      wait_idle
      s=$(script_run "$shape")
    else
      wait_idle
      s=$(script_run "$shape")
      wait_idle
      d=$(driver_run "$shape" "$r")
    fi
    echo "$shape rep $r: driver ${d%% *} ms (sbatch, squeue, scontrol, jobs: ${d#* }), script ${s%% *} ms (${s#* } squeue polls)"
    echo "$d" >>"$work/$shape.driver"
    echo "$s" >>"$work/$shape.script"
  done
  read -r dmed dmin dmax < <(cut -d' ' -f1 "$work/$shape.driver" | stats)
  read -r smed smin smax < <(cut -d' ' -f1 "$work/$shape.script" | stats)
  read -r sb _ < <(cut -d' ' -f2 "$work/$shape.driver" | stats)
  read -r sq sqmin sqmax < <(cut -d' ' -f3 "$work/$shape.driver" | stats)
  read -r sc _ < <(cut -d' ' -f4 "$work/$shape.driver" | stats)
  awk -v shape="$shape" -v steps="$steps" -v cpus="$cpus" -v reps="$reps" \
    -v dmed="$dmed" -v dmin="$dmin" -v dmax="$dmax" -v smed="$smed" -v smin="$smin" -v smax="$smax" \
    -v sb="$sb" -v sq="$sq" -v sqmin="$sqmin" -v sqmax="$sqmax" -v sc="$sc" 'BEGIN {
      printf "summary shape=slurm_%s steps=%d cpus=%d reps=%d driver_ms=%d (%d-%d) script_ms=%d (%d-%d) " \
             "overhead_ms_per_step=%.1f ratio=%.3f sbatch_per_step=%.3f squeue_per_step=%.2f (%d-%d calls) " \
             "scontrol_per_step=%.3f\n", shape, steps, cpus, reps, dmed, dmin, dmax, smed, smin, smax,
             (dmed - smed) / steps, dmed / smed, sb / steps, sq / steps, sqmin, sqmax, sc / steps }'
}

# The flagship, repetition $2, with the executor $1 (local or slurm): prints the wall ms of
# examples/run.sh (with its dependency check, configure and up-to-date build: a few seconds)
# and the ms of the run itself (its summary's `run ID succeeded in T`); its output is kept in
# $work/flagship-$1-$2.txt (and shown when it fails).
flagship_run() {
  local out="$work/flagship-$1-$2.txt" start end rc=0 args=(run --no-cache --store "$work/flagship-store-$1-$2")
  [[ "$1" == slurm ]] && args+=(--executor slurm)
  start=$(now_ms)
  (cd "$work" && bash "$root/examples/run.sh" "${args[@]}") >"$out" 2>&1 || rc=$?
  end=$(now_ms)
  if ((rc != 0)); then
    echo "run.sh: the flagship with --executor $1 failed (exit $rc), its output:" >&2
    cat "$out" >&2
    mkdir -p "${TYPEFLOW_BENCH_KEEP:-$root/build/slurm-bench}"
    cp -r "$work/flagship-store-$1-$2" "$out" "${TYPEFLOW_BENCH_KEEP:-$root/build/slurm-bench}/" 2>/dev/null || true
    echo "run.sh: its store and output are kept in ${TYPEFLOW_BENCH_KEEP:-$root/build/slurm-bench}" >&2
    return 1
  fi
  local took
  took=$(grep -oE '^run [0-9a-z]+ succeeded in [0-9.]+(ms|s)' "$out" | tail -n 1 | awk '{
    t = $NF; if (t ~ /ms$/) { sub(/ms$/, "", t); print int(t) } else { sub(/s$/, "", t); print int(t * 1000) } }')
  echo "$((end - start)) ${took:-0}"
}

flagship_bench() {
  local r l s accuracy_l accuracy_s failed=""
  # Build once outside the measurement (examples/run.sh builds the gcc preset's fashion-mnist).
  (cd "$work" && bash "$root/examples/run.sh" help >/dev/null) 2>&1 | tail -n 3 >&2
  : >"$work/flagship.local"
  : >"$work/flagship.slurm"
  for ((r = 1; r <= reps; r++)); do
    wait_idle
    l=$(flagship_run local "$r") || exit 1
    wait_idle
    s=$(flagship_run slurm "$r") || { failed=yes; break; }
    accuracy_l=$(grep -oE 'test_accuracy[ =:]+[0-9.]+' "$work/flagship-local-$r.txt" | tail -n 1 || true)
    accuracy_s=$(grep -oE 'test_accuracy[ =:]+[0-9.]+' "$work/flagship-slurm-$r.txt" | tail -n 1 || true)
    echo "flagship rep $r: local ${l%% *} ms (the run ${l#* } ms, ${accuracy_l:-no test_accuracy line}), slurm ${s%% *} ms (the run ${s#* } ms, ${accuracy_s:-no test_accuracy line}); $(grep -E '^slurm: ' "$work/flagship-slurm-$r.txt" || echo 'no slurm: line')"
    echo "$l" >>"$work/flagship.local"
    echo "$s" >>"$work/flagship.slurm"
  done
  [[ -z "$failed" ]] || exit 1
  read -r lmed lmin lmax < <(cut -d' ' -f1 "$work/flagship.local" | stats)
  read -r smed smin smax < <(cut -d' ' -f1 "$work/flagship.slurm" | stats)
  read -r lrun lrmin lrmax < <(cut -d' ' -f2 "$work/flagship.local" | stats)
  read -r srun srmin srmax < <(cut -d' ' -f2 "$work/flagship.slurm" | stats)
  echo "summary shape=slurm_flagship cpus=$cpus reps=$reps local_ms=$lmed ($lmin-$lmax) slurm_ms=$smed ($smin-$smax) ratio=$(awk -v a="$smed" -v b="$lmed" 'BEGIN {printf "%.2f", a / b}') local_run_ms=$lrun ($lrmin-$lrmax) slurm_run_ms=$srun ($srmin-$srmax) run_ratio=$(awk -v a="$srun" -v b="$lrun" 'BEGIN {printf "%.2f", a / b}')"
}

echo "cluster: SLURM_CONF=$SLURM_CONF, $cpus CPUs; binary $bin; $reps repetitions; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for w in "${what[@]}"; do
  case "$w" in
  chain | map) shape_bench "$w" ;;
  flagship) flagship_bench ;;
  esac
done
