#!/usr/bin/env python3
"""The runs page (/): the store's runs newest first in table#runs, each a tr.run[data-run=ID]
with a checkbox input.pick[value=ID] and its status, a link to the start form (a#new-run), and
each run's link to its page, whose DAG shows every step's status (g.node.st-STATUS#node-STEP)
and span#run-status the run's."""
import re
import sys

from harness import check, run


def scenario(t):
    ok = t.seed("lr=0.3")
    bad = t.seed("schedule=diverge", expect=1)  # evaluate fails
    t.serve()
    t.open_browser()
    t.get("/")
    t.find("table#runs")
    rows = t.all("table#runs tr.run")
    order = [r.get_attribute("data-run") for r in rows]
    check(order == [bad, ok], "table#runs lists %s, not the two runs newest first %s"
          % (order, [bad, ok]))
    for run_id, status in ((ok, "succeeded"), (bad, "failed")):
        row = t.find('tr.run[data-run="%s"]' % run_id)
        check(status in row.text,
              "the row of run %s does not say %r: %r" % (run_id, status, row.text))
        pick = t.all('tr.run[data-run="%s"] input.pick[type="checkbox"]' % run_id)
        check(len(pick) == 1 and pick[0].get_attribute("value") == run_id,
              "the row of run %s has no checkbox input.pick with value %s" % (run_id, run_id))
    new = t.find("a#new-run")
    check(new.get_attribute("href") == t.server.url + "/runs/new",
          "a#new-run goes to %s, not /runs/new" % new.get_attribute("href"))
    t.screenshot("runs")

    # A run's own page through its link.
    t.find('tr.run[data-run="%s"] a[href="/runs/%s"]' % (bad, bad)).click()
    t.wait_path("/runs/" + re.escape(bad), "the failed run's page")
    t.wait_loaded()
    t.wait_node("train", "succeeded")
    t.wait_node("evaluate", "failed")
    t.wait_run_status("failed")
    check("the loss diverged (schedule 'diverge')" in t.find("body").text,
          "the failed run's page does not show the step's error")
    t.screenshot("run-failed")


if __name__ == "__main__":
    sys.exit(run(scenario))
