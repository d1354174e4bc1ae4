#!/usr/bin/env bash
# Runs one libFuzzer target as a test (fuzz/CMakeLists.txt registers it as fuzz.<name>):
#   1. every input of its corpus in the repository once, whole: the hand-made seeds and the
#      regression inputs of past findings (some are 200 KB: deep nesting);
#   2. then new inputs, mutated from that corpus, for a fixed time (inputs up to
#      TYPEFLOW_FUZZ_MAX_LEN bytes, 4096 by default: short inputs run many times faster).
#   bash fuzz/run-fuzzer.sh <target binary> <corpus dir> <work dir> <seconds>
# TYPEFLOW_FUZZ_SECONDS in the environment overrides <seconds>. New inputs the fuzzer finds go
# to <work dir>/corpus (never into the repository); an input that fails is written to
# <work dir>/ and named in the output: copy it into the corpus as a regression seed. The
# fuzzer's own output is kept in <work dir>/seeds.log and fuzz.log (executions: stat::*).
# The stack is cut to 1 MiB (ulimit -s) so that unbounded recursion fails here, on inputs of
# a few KB to a few hundred KB, and not only on the 8 MiB stacks of programs given more;
# -rss_limit_mb and -malloc_limit_mb make an allocation sized by the input a failure too.
set -uo pipefail
target=$1 corpus=$2 work=$3
seconds=${TYPEFLOW_FUZZ_SECONDS:-$4}
max_len=${TYPEFLOW_FUZZ_MAX_LEN:-4096}
name=$(basename "$target")
mkdir -p "$work/corpus"
ulimit -s 1024
limits=(-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="$work/")

fail() {
  echo "fuzz: $name failed ($1, exit $2). The input is the file named above (crash-*, timeout-*," \
       "oom-*, leak-* in $work/); copy it into $corpus/ as a regression seed" \
       "(named regression-<what>) once the cause is fixed" >&2
  exit "$2"
}

start=$SECONDS
mapfile -t seeds < <(find "$corpus" -type f | sort)
"$target" "${limits[@]}" "${seeds[@]}" > "$work/seeds.log" 2>&1
status=$?
if ((status != 0)); then
  cat "$work/seeds.log"
  echo "fuzz: the corpus input that failed: $(grep '^Running: ' "$work/seeds.log" | tail -1 | cut -d' ' -f2-)" >&2
  fail "on its corpus" "$status"
fi
echo "fuzz: $name: ${#seeds[@]} corpus inputs passed ($((SECONDS - start)) s)"

"$target" "${limits[@]}" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
  "$work/corpus" "$corpus" > "$work/fuzz.log" 2>&1
status=$?
grep -v '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)' "$work/fuzz.log"
((status == 0)) || fail "after $seconds s of new inputs" "$status"
