#!/usr/bin/env python3
"""Text from a user is text in the browser: a run started from the form with an experiment and
a tag that hold markup (an <img> whose onerror sets window.pwned, a <b>) shows them literally on
the runs page, the run's page and the compare page: no element is made of them, nothing runs
(window.pwned stays unset, and the console has no error: a handler that got through would at
least be a Content-Security-Policy refusal there), and the store keeps the text as typed."""
import sys

from harness import check, run

IMG = '<img id="injected" src="/nothing.png" onerror="window.pwned=1">'
BOLD = "<b id=\"bold\">bold</b>"


def clean(t, page):
    check(not t.all("#injected") and not t.all("#bold"),
          "the %s made elements of the run's text" % page)
    check(t.driver.execute_script("return window.pwned === undefined"),
          "the %s ran the run's text as script" % page)


def scenario(t):
    other = t.seed()
    t.serve()
    t.open_browser()
    t.get("/runs/new")
    t.find("form#start")
    t.find("#experiment").send_keys(BOLD)
    t.find("#tags").send_keys("note=" + IMG)
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    run_id = m.group(1)
    t.wait_loaded()
    t.wait_run_status("succeeded")
    body = t.find("body").text
    check(IMG in body and BOLD in body, "the run's page does not show the text as typed")
    clean(t, "run's page")

    t.get("/")
    row = t.find('tr.run[data-run="%s"]' % run_id)
    check(IMG in row.text and BOLD in row.text,
          "the runs page does not show the text as typed: %r" % row.text)
    clean(t, "runs page")
    t.screenshot("runs-escaped")

    t.get("/compare?run=%s&run=%s" % (run_id, other))
    t.find("table#compare-params")
    clean(t, "compare page")

    r = t.runs()[0]
    check(r["id"] == run_id and r["experiment"] == BOLD and r["tags"] == {"note": IMG},
          "the store has experiment %r and tags %r" % (r["experiment"], r["tags"]))


if __name__ == "__main__":
    sys.exit(run(scenario))
