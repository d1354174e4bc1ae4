#!/usr/bin/env bash
# The flagship (Fashion-MNIST) on the test cluster: run once locally and once with
# --executor slurm, each with a store of its own, and check that the Slurm run ran the sweep's
# trainings as jobs and found the same best configuration with the same test accuracy, byte for
# byte (the stored outputs are content-addressed). Prints both. Run through run-if-cluster.sh.
#   flagship.sh FASHION_MNIST_BINARY [--param NAME=VALUE]...
set -euo pipefail
program=$1
shift
work=$(mktemp -d /tmp/typeflow-slurm-flagship.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

run_id() {  # the run id in a summary's last "run ID STATUS in ..." line
  sed -n 's/^run \([0-9a-z]*\) [a-z]* in .*/\1/p' "$1" | tail -n 1
}

run() {  # run LABEL FLAGS...: the flagship's run into ./LABEL.txt, its store ./LABEL
  local label=$1
  shift
  if ! "$program" run --store "$work/$label" --quiet "$@" >"$label.txt" 2>&1; then
    echo "FAILED: the $label run:" >&2
    cat "$label.txt" >&2
    exit 1
  fi
}
start=$SECONDS
run local "$@"
local_s=$((SECONDS - start))
start=$SECONDS
run slurm --executor slurm "$@"
slurm_s=$((SECONDS - start))
"$program" show "$(run_id local.txt)" --store "$work/local" --json >local.json
"$program" show "$(run_id slurm.txt)" --store "$work/slurm" --json >slurm.json
"$program" describe --json >describe.json

python3 - "$local_s" "$slurm_s" <<'PY'
import json, sys

local, slurm = (json.load(open(f)) for f in ("local.json", "slurm.json"))
placement = {s["name"]: s["placement"] for s in json.load(open("describe.json"))["steps"]}
failures = []

def step(run, name):
    return next(s for s in run["steps"] if s["name"] == name)

def metric(run, step_name, name):
    values = [m["value"] for m in run["metrics"] if m["step"] == step_name and m["name"] == name]
    return values[-1] if values else None

for name in ("train", "pick-best", "evaluate"):
    if placement.get(name) != "job":
        failures.append(f"step {name} does not run as a job but in the {placement.get(name)}")
for run, label in ((local, "local"), (slurm, "slurm")):
    if run["status"] != "succeeded":
        failures.append(f"the {label} run {run['status']}: {run['message']}")
for name in ("pick-best", "evaluate"):  # content-addressed: equal hashes, equal outputs
    a, b = step(local, name).get("artifact"), step(slurm, name).get("artifact")
    if a is None or a != b:
        failures.append(f"{name}: the outputs differ ({a} vs {b})")
best = {}
for run, label in ((local, "local"), (slurm, "slurm")):
    best[label] = {k: metric(run, "pick-best", k) for k in ("mlp", "hidden", "lr", "l2")}
    best[label]["test_accuracy"] = metric(run, "evaluate", "test_accuracy")
if best["local"] != best["slurm"] or best["local"]["test_accuracy"] is None:
    failures.append(f"the best configurations differ: local {best['local']}, slurm {best['slurm']}")
trainings = sum(1 for s in slurm["steps"] if s["name"].startswith("train["))
print(f"local run: {sys.argv[1]} s; slurm run: {sys.argv[2]} s, {trainings} trainings as jobs")
print(f"best configuration and test accuracy: local {best['local']}; slurm {best['slurm']}")
for f in failures:
    print("FAILED: " + f)
sys.exit(1 if failures else 0)
PY
grep '^slurm: ' slurm.txt
