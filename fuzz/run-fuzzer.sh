#!/usr/bin/env bash
# Runs one libFuzzer target as a test: first over every input of its corpus in the repository
# (seeds and the regression inputs of past findings), then on new inputs for a fixed time.
#   bash fuzz/run-fuzzer.sh <target binary> <corpus dir> <work dir> <seconds>
# TYPEFLOW_FUZZ_SECONDS in the environment overrides <seconds>. New inputs the fuzzer finds go
# to <work dir>/corpus (never into the repository); an input that fails is written to
# <work dir>/ and named below, to be copied into the corpus as a regression seed.
# The stack is cut to 1 MiB (ulimit -s) so that unbounded recursion fails here, on inputs of
# a few hundred KB, rather than only on the 8 MiB stacks of real programs with bigger inputs.
set -uo pipefail
target=$1 corpus=$2 work=$3
seconds=${TYPEFLOW_FUZZ_SECONDS:-$4}
mkdir -p "$work/corpus"
ulimit -s 1024
"$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
  -max_len=300000 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$corpus"
status=$?
if ((status != 0)); then
  echo "fuzz: $(basename "$target") failed (exit $status); the input is the file named above" \
       "(crash-*/timeout-*/oom-* in $work/). Keep it as a regression seed: copy it into $corpus/" >&2
fi
exit $status
