#!/usr/bin/env python3
"""Checks the include structure of include/typeflow against the layers of docs/architecture.md:

  detail (shared private helpers) < core < graph < exec < store < notify, report < cli < ui

- no include cycle between headers (files, not layers);
- no header includes one of a higher layer;
- nothing outside exec/ includes an exec/detail header (the seam is the run view);
- an impl/ header (<layer>/impl/X.hpp: the definitions of X.hpp's compiled part, see
  <typeflow/config.hpp>) is included only by its own layer's headers (and src/*.cpp).

A header's include of an impl/ header (header-only mode's `#include <typeflow/<layer>/impl/X.hpp>`
at its end, absent in compiled mode) is no edge for the cycle check: impl/X.hpp includes X.hpp.

Prints the structure (headers and lines per layer, includes between layers) and exits 1 on a
violation, listing each. Usage: tests/check-layers.py [--root DIR] [--quiet]
Only the Python standard library is used.
"""
import argparse
import collections
import os
import re
import sys

LAYERS = ["detail", "core", "graph", "exec", "store", "notify", "report", "launch", "cli", "ui"]
RANK = {"detail": 0, "core": 1, "graph": 2, "exec": 3, "store": 4, "notify": 5, "report": 5, "launch": 5,
        "cli": 6, "ui": 7}
INCLUDE = re.compile(r'^\s*#\s*include\s*<typeflow/([^>]+)>', re.M)


def layer_of(rel):
    """The layer of a header path relative to include/typeflow/."""
    head = rel.split("/")[0]
    if head.endswith(".hpp"):
        head = head[:-4]
    if head == "typeflow":  # the umbrella of everything
        return "ui"
    if head == "config":  # TYPEFLOW_INLINE, included by every layer's compiled parts
        return "detail"
    return head if head in RANK else None


def is_impl(rel):
    """True for <layer>/impl/X.hpp: the definitions of a header's compiled part."""
    parts = rel.split("/")
    return len(parts) == 3 and parts[1] == "impl"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--quiet", action="store_true", help="print violations only")
    args = ap.parse_args()
    base = os.path.join(args.root, "include", "typeflow")
    files = {}
    for dirpath, _, names in os.walk(base):
        for name in names:
            if name.endswith(".hpp"):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, base).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                files[rel] = (INCLUDE.findall(text), text.count("\n"))

    problems = []
    graph = {}
    for rel, (includes, _) in sorted(files.items()):
        graph[rel] = [i for i in includes if i in files and not (is_impl(i) and not is_impl(rel))]
        for i in includes:
            if i not in files:
                problems.append(f"{rel}: includes <typeflow/{i}>, which does not exist")
        mine = layer_of(rel)
        if mine is None:
            problems.append(f"{rel}: in no layer (known: {', '.join(LAYERS)})")
            continue
        for i in [i for i in includes if i in files]:
            theirs = layer_of(i)
            if theirs is not None and RANK[theirs] > RANK[mine]:
                problems.append(f"{rel} ({mine}) includes {i} ({theirs}), a higher layer")
            if is_impl(i) and layer_of(i) != layer_of(rel):
                problems.append(f"{rel} includes {i}: an impl/ header is included only by its "
                                "own layer's headers (and src/)")
            if i.startswith("exec/detail/") and not rel.startswith("exec/"):
                problems.append(f"{rel} includes {i}: only exec/ may include exec/detail "
                                "(above exec, read a run through exec/run_view.hpp)")

    # Cycles: depth-first search, reporting each back edge's cycle once.
    state, stack, seen_cycles = {}, [], set()

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in graph[u]:
            if state.get(v) == 1:
                cycle = stack[stack.index(v):] + [v]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    problems.append("include cycle: " + " -> ".join(cycle))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    sys.setrecursionlimit(10000)
    for u in sorted(graph):
        if u not in state:
            visit(u)

    if not args.quiet:
        per_layer = collections.Counter()
        lines = collections.Counter()
        biggest = collections.defaultdict(lambda: ("", 0))
        for rel, (_, n) in files.items():
            layer = layer_of(rel) or "?"
            per_layer[layer] += 1
            lines[layer] += n
            if n > biggest[layer][1]:
                biggest[layer] = (rel, n)
        print("headers per layer (lines; largest header):")
        for layer in LAYERS:
            if per_layer[layer]:
                rel, n = biggest[layer]
                print(f"  {layer:7} {per_layer[layer]:3} headers {lines[layer]:6} lines; largest {rel} ({n})")
        between = collections.Counter()
        for rel, includes in graph.items():
            for i in includes:
                a, b = layer_of(rel), layer_of(i)
                if a != b:
                    between[(a, b)] += 1
        print("includes between layers (from -> to: count):")
        for (a, b), n in sorted(between.items(), key=lambda x: (RANK.get(x[0][0], 9), RANK.get(x[0][1], 9))):
            print(f"  {a} -> {b}: {n}")
        exec_detail = sorted(r for r, inc in graph.items() if any(i.startswith("exec/detail/") for i in inc)
                             and not r.startswith("exec/detail/"))
        print("outside exec/detail, these include an exec/detail header: " + (", ".join(exec_detail) or "none"))
    if problems:
        print(f"check-layers: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"check-layers: {len(files)} headers, no cycle, no include of a higher layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
