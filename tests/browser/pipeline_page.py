#!/usr/bin/env python3
"""The pipeline page (/pipeline): the manifest, naming every step and every parameter with its
type, and the structure hash `prog describe --json` gives."""
import json
import sys

from harness import check, run


def scenario(t):
    manifest = json.loads(t.prog("describe", "--json", store=False))
    t.serve()
    check(t.status("/pipeline") == 200, "GET /pipeline answers %d" % t.status("/pipeline"))
    t.open_browser()
    t.get("/pipeline")
    body = t.find("body").text
    for step in ("prepare", "train", "evaluate"):
        check(step in body, "the pipeline page does not name step %s" % step)
    for name in ("lr", "epochs", "batch", "optimizer", "schedule", "hold"):
        check(name in body, "the pipeline page does not name parameter %s" % name)
    check(manifest["structure_hash"] in body,
          "the pipeline page does not show the structure hash %s" % manifest["structure_hash"])
    t.screenshot("pipeline")


if __name__ == "__main__":
    sys.exit(run(scenario))
