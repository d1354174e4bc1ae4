#!/usr/bin/env python3
"""A run that fails, started from the form: the selects of the enum `optimizer` and of the
string with choices `schedule` offer exactly their values; with schedule=diverge the run's page
shows train running (held until the test opens its gate, TYPEFLOW_BROWSER_GATE), then
evaluate's node turn st-failed (train st-succeeded), span#run-status failed, and the step's
error message, on the same page; the store records the run failed with that value."""
import os
import sys

from harness import check, run


def scenario(t):
    from selenium.webdriver.support.ui import Select
    gate = os.path.join(t.tmp, "gate")
    t.serve(TYPEFLOW_BROWSER_GATE=gate)
    t.open_browser()
    t.get("/runs/new")
    t.find("form#start")
    for name, values, default in (("optimizer", ["sgd", "adam"], "adam"),
                                  ("schedule", ["constant", "cosine", "diverge"], "constant")):
        field = t.find("select#param-" + name)
        select = Select(field)
        offered = [o.get_attribute("value") for o in select.options]
        check(offered == values, "select#param-%s offers %s, not %s" % (name, offered, values))
        chosen = select.first_selected_option.get_attribute("value")
        check(chosen == default, "select#param-%s starts at %s, not the default %s"
              % (name, chosen, default))
    Select(t.find("select#param-schedule")).select_by_value("diverge")
    Select(t.find("select#param-optimizer")).select_by_value("sgd")
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    run_id = m.group(1)
    t.wait_loaded()
    t.mark_page()
    t.wait_node("train", "running")  # held at the gate until the page has shown it
    open(gate, "w").close()
    t.wait_node("evaluate", "failed")
    t.wait_node("train", "succeeded")
    t.wait_run_status("failed")
    t.wait(lambda d: "the loss diverged (schedule 'diverge')" in t.find("body").text,
           "the page to show evaluate's error")
    check(t.page_kept(), "the run page was reloaded or left (its window lost the test's marker)")
    t.screenshot("run-failed-live")
    runs = t.runs()
    check(len(runs) == 1 and runs[0]["id"] == run_id and runs[0]["status"] == "failed",
          "the store holds %s, not the one run %s failed" % (runs, run_id))
    check(runs[0]["params"]["schedule"] == "diverge" and runs[0]["params"]["optimizer"] == "sgd",
          "the run's parameters are %s" % runs[0]["params"])


if __name__ == "__main__":
    sys.exit(run(scenario))
