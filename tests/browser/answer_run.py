#!/usr/bin/env python3
"""Answer a waiting run from its page: with TYPEFLOW_BROWSER_ASK the pipeline has a step
`decide` that reads `threshold`, a delayed parameter without a default. A run started from the
form waits for it; its page shows form#answer (select#answer-param offering threshold); a bad
value (5, outside 0..1) shows in #error-answer the first line `prog answer ID threshold=5`
prints, and the run goes on waiting; 0.5 lets it finish: decide st-succeeded and span#run-status
succeeded on the same page (no reload), form#answer gone; the store has threshold 0.5."""
import sys

from harness import check, run


def scenario(t):
    from selenium.webdriver.support.ui import Select
    t.env["TYPEFLOW_BROWSER_ASK"] = "1"  # the server's pipeline and every prog command's
    t.serve()
    t.open_browser()
    t.get("/runs/new")
    t.find("form#start")
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    run_id = m.group(1)
    t.wait_loaded()
    t.mark_page()
    t.wait(lambda d: t.all("form#answer") and t.all("form#answer")[0].is_displayed(),
           "form#answer, the prompt for the delayed parameter")
    t.wait_node("evaluate", "succeeded")
    t.wait_run_status("running")
    offered = [o.get_attribute("value") for o in Select(t.find("select#answer-param")).options]
    check(offered == ["threshold"], "select#answer-param offers %s, not [threshold]" % offered)
    t.screenshot("run-waiting")

    message = t.refusal("answer", run_id, "threshold=5")
    value = t.find("input#answer-value")
    value.clear()
    value.send_keys("5")
    t.find("#answer-submit").click()
    t.wait(lambda d: message in t.find("#error-answer").text,
           "#error-answer to show %r (it shows %r)" % (message, t.find("#error-answer").text))
    record = t.show(run_id)
    check(record["status"] == "running" and record["waiting_for"],
          "after a refused answer the run is %s, waiting for %s, not still waiting"
          % (record["status"], record["waiting_for"]))

    value.clear()
    value.send_keys("0.5")
    t.find("#answer-submit").click()
    t.wait_node("decide", "succeeded")
    t.wait_run_status("succeeded")
    t.wait(lambda d: not any(f.is_displayed() for f in t.all("form#answer")),
           "form#answer to go once the run is answered")
    check(t.page_kept(), "the run page was reloaded or left (its window lost the test's marker)")
    runs = [(r["id"], r["status"], r["params"].get("threshold")) for r in t.runs()]
    check(runs == [(run_id, "succeeded", "0.5")],
          "the store holds %s, not the run %s succeeded with threshold 0.5" % (runs, run_id))


if __name__ == "__main__":
    sys.exit(run(scenario))
