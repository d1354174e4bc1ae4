#!/usr/bin/env python3
"""Retry a failed run: #retry on its page starts `prog retry ID` and goes to the new run's page,
where the steps that succeeded before are reused (prepare and train st-cached) and the one that
failed runs again (evaluate st-failed: its parameter still makes it fail); the store has the
retry with kind retry and origin ID, and the failed run unchanged."""
import re
import sys

from harness import check, run


def scenario(t):
    failed = t.seed("schedule=diverge", expect=1)
    t.serve()
    t.open_browser()
    t.get("/runs/" + failed)
    t.wait_run_status("failed")
    t.find("#retry").click()
    m = t.wait_path(r"/runs/(?!%s$)([^/?#]+)" % re.escape(failed), "the retry's page")
    retry = m.group(1)
    t.wait_loaded()
    t.wait_node("prepare", "cached")
    t.wait_node("train", "cached")
    t.wait_node("evaluate", "failed")
    t.wait_run_status("failed")
    t.screenshot("run-retried")
    runs = [(r["id"], r["kind"], r["origin"], r["status"]) for r in t.runs()]
    want = [(retry, "retry", failed, "failed"), (failed, "run", None, "failed")]
    check(runs == want, "the store holds %s, not %s" % (runs, want))


if __name__ == "__main__":
    sys.exit(run(scenario))
