#!/usr/bin/env python3
"""Stop a long-running run from its page: a run started from the form with the checkbox
#param-hold ticked (its `train` waits until the run is stopped) shows train running; #stop
ends it, and span#run-status turns to stopped on the same page (no reload), as the store says
(`prog show --json` in another process)."""
import sys

from harness import check, run


def scenario(t):
    t.serve()
    t.open_browser()
    t.get("/runs/new")
    t.find("form#start")
    hold = t.find("#param-hold")
    check(hold.get_attribute("type") == "checkbox",
          "#param-hold (a bool) is a %s, not a checkbox" % hold.get_attribute("type"))
    check(not hold.is_selected(), "#param-hold is ticked, but its default is false")
    hold.click()
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    run_id = m.group(1)
    t.wait_loaded()
    t.mark_page()
    t.wait_node("train", "running")
    t.wait_run_status("running")
    record = t.show(run_id)
    check(record["status"] == "running" and record["params"]["hold"] == "true",
          "prog show says the run is %s with hold=%s, not running with hold=true"
          % (record["status"], record["params"]["hold"]))

    t.find("#stop").click()
    t.wait_run_status("stopped")
    check(t.page_kept(), "the run page was reloaded or left (its window lost the test's marker)")
    t.screenshot("run-stopped")
    runs = [(r["id"], r["status"]) for r in t.runs()]
    check(runs == [(run_id, "stopped")], "the store holds %s, not the one run %s stopped"
          % (runs, run_id))


if __name__ == "__main__":
    sys.exit(run(scenario))
