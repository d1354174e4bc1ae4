#!/usr/bin/env bash
# Build times of the many-translation-units example (examples/multi_file): a full build of the
# program, then the rebuild after touching one file: a step's file (summarise.cpp), the wiring
# (pipeline.cpp) and the command line (main.cpp). For each mode (header-only, compiled:
# -DTYPEFLOW_COMPILED=ON) and with the precompiled header on and off
# (CMAKE_DISABLE_PRECOMPILE_HEADERS). g++, CMake's Release with -O2, Ninja.
#
#   bash benchmarks/compile_time/multi_file_build.sh            # all four builds
#   MODES=header-only PCH=on bash benchmarks/compile_time/multi_file_build.sh
#
# Figures are the CPU seconds (user + system) of the build and all its compilers, and the peak
# resident memory of the largest compiler. In compiled mode the libraries (typeflow,
# typeflow_store, typeflow_cli) are built first and shown on a line of their own: a project
# builds them once (or installs them), so they are not part of the program's build.
#
# Environment: MODES ("header-only compiled"), PCH ("on off"), JOBS (2), WORK (the build
# folders; build/multi-file-bench), CXX (g++). Touches files under examples/multi_file (only
# their modification time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${WORK:-$root/build/multi-file-bench}"
modes="${MODES:-header-only compiled}"
pchs="${PCH:-on off}"
jobs="${JOBS:-2}"
cxx="${CXX:-g++}"
src="$root/examples/multi_file"
[ -x /usr/bin/time ] || { echo "multi_file_build: /usr/bin/time is missing (Debian: time)" >&2; exit 2; }
mkdir -p "$work"
timing="$work/time.txt"

# build <dir> <target> <label>: builds, prints a row; returns 1 when the build failed.
build() {
  local dir="$1" target="$2" label="$3" log="$work/last-build.log"
  if ! /usr/bin/time -f "%e %U %S %M" -o "$timing" cmake --build "$dir" --target "$target" \
      -j "$jobs" >"$log" 2>&1; then
    echo "  $label: the build failed (last lines of $log):"
    tail -n 15 "$log" | sed 's/^/    /'
    return 1
  fi
  local built
  built="$(grep -c 'Building CXX\|Linking CXX' "$log" || true)"
  tail -n 1 "$timing" | awk -v l="$label" -v n="$built" \
    '{ printf "  %-38s %7.1f s CPU %7.1f s wall %6.0f MB peak  (%d steps)\n", l, $2 + $3, $1, $4 / 1024, n }'
}

echo "multi_file build: $("$cxx" --version | head -n 1); -O2 -DNDEBUG; -j$jobs; CPU seconds of the whole build"
for mode in $modes; do
  case "$mode" in
    header-only) compiled=OFF ;;
    compiled) compiled=ON ;;
    *) echo "multi_file_build: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  for pch in $pchs; do
    case "$pch" in
      on) disable=OFF ;;
      off) disable=ON ;;
      *) echo "multi_file_build: PCH must be on or off" >&2; exit 2 ;;
    esac
    dir="$work/$mode-pch-$pch"
    rm -rf "$dir"
    echo "$mode, precompiled header $pch:"
    if ! cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
        -DTYPEFLOW_BUILD_TESTS=OFF -DTYPEFLOW_BUILD_EXAMPLES=ON -DTYPEFLOW_INSTALL=OFF \
        -DTYPEFLOW_COMPILED="$compiled" -DCMAKE_DISABLE_PRECOMPILE_HEADERS="$disable" \
        >"$work/configure.log" 2>&1; then
      echo "  configuring failed: $work/configure.log"
      continue
    fi
    if [ "$compiled" = ON ]; then
      build "$dir" typeflow_cli "libraries (once, not counted)" || continue
    fi
    build "$dir" example-multi-file "full build" || continue
    for file in summarise.cpp pipeline.cpp main.cpp; do
      touch "$src/$file"
      build "$dir" example-multi-file "rebuild after touching $file" || break
    done
  done
done
