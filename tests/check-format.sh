#!/usr/bin/env bash
# Checks that every C++ file under include/, src/, tests/, examples/, benchmarks/ and fuzz/ is
# formatted as the repository's .clang-format says (clang-format 14), and lists those that are not.
#   bash tests/check-format.sh         # check; exit 1 when a file would change
#   bash tests/check-format.sh --diff  # also show how each would change
# To format them all: git ls-files 'include/*.[hc]pp' 'tests/*.[hc]pp' 'examples/*.[hc]pp' \
#                        'benchmarks/*.[hc]pp' 'fuzz/*.[hc]pp' | xargs clang-format-14 -i
# Exit status: 0 all formatted, 1 some are not (listed on stderr), 2 clang-format-14 missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "check-format: $clang_format not found (Debian: clang-format-14; cmake/install-deps.sh installs it)" >&2
  exit 2
fi
show_diff=0
if [[ "${1:-}" == "--diff" ]]; then
  show_diff=1
fi

# The tracked files, plus new ones not yet added (but not ignored ones, e.g. build/).
mapfile -t files < <(
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- include src tests examples benchmarks fuzz
  else
    find include src tests examples benchmarks fuzz -type f
  fi | grep -E '\.(hpp|cpp)$' | sort -u)

declare -a unformatted=()
for file in "${files[@]}"; do
  [[ -f "$file" ]] || continue  # deleted in the work tree, still in the index
  if ! "$clang_format" --dry-run -Werror "$file" >/dev/null 2>&1; then
    unformatted+=("$file")
    if ((show_diff)); then
      "$clang_format" "$file" | diff -u --label "$file" --label "$file (formatted)" "$file" - >&2 || true
    fi
  fi
done

if ((${#unformatted[@]} > 0)); then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "check-format: fix with: $clang_format -i FILE... (see how: bash tests/check-format.sh --diff)" >&2
  exit 1
fi
echo "check-format: all ${#files[@]} files formatted"
