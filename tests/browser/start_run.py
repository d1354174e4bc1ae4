#!/usr/bin/env python3
"""Start a run from the form (/runs/new, form#start) with one parameter changed (#param-lr),
land on the run's page (/runs/ID), and watch its DAG turn green without the page being
reloaded: `train` waits (TYPEFLOW_BROWSER_GATE) until the test has seen it running on the page,
then every node must turn st-succeeded and span#run-status say succeeded on the same page
(a marker set on window after the page loaded survives). The store then holds the run with
lr 0.3 and every other parameter at its default."""
import os
import sys

from harness import check, run


def scenario(t):
    gate = os.path.join(t.tmp, "gate")
    t.serve(TYPEFLOW_BROWSER_GATE=gate)
    t.open_browser()
    t.get("/")
    t.find("a#new-run").click()
    t.wait_path("/runs/new", "the start form")
    t.wait_loaded()
    t.find("form#start")
    lr = t.find("#param-lr")
    check(lr.get_attribute("value") == "0.1",
          "#param-lr shows %r, not the default 0.1" % lr.get_attribute("value"))
    lr.clear()
    lr.send_keys("0.3")
    t.screenshot("new-run")
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    run_id = m.group(1)
    t.wait_loaded()
    t.mark_page()

    # Held at the gate: the page shows train running, prepare done.
    t.wait_node("train", "running")
    t.wait_node("prepare", "succeeded")
    t.wait_run_status("running")
    t.screenshot("run-running")
    check(not os.path.exists(gate), "the gate is open before the test opened it")
    open(gate, "w").close()

    for step in ("prepare", "train", "evaluate"):
        t.wait_node(step, "succeeded")
    t.wait_run_status("succeeded")
    check(t.page_kept(), "the run page was reloaded or left (its window lost the test's marker)")
    check(t.path() == "/runs/" + run_id, "the page moved to %s" % t.path())
    t.screenshot("run-live")
    # The finished run's page as anyone opening it sees it (the README's picture).
    t.get("/runs/" + run_id)
    for step in ("prepare", "train", "evaluate"):
        t.wait_node(step, "succeeded")
    t.wait_run_status("succeeded")
    t.screenshot("run")

    runs = t.runs()
    check([r["id"] for r in runs] == [run_id], "the store holds %s, not the one run %s"
          % ([r["id"] for r in runs], run_id))
    params = runs[0]["params"]
    want = {"lr": "0.3", "epochs": "3", "batch": "32", "optimizer": "adam",
            "schedule": "constant", "hold": "false"}
    check(params == want, "the run's parameters are %s, not %s" % (params, want))
    check(runs[0]["status"] == "succeeded", "prog runs says %s" % runs[0]["status"])


if __name__ == "__main__":
    sys.exit(run(scenario))
