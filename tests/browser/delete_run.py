#!/usr/bin/env python3
"""Delete a run from its page after confirming: #delete asks window.confirm; dismissed, nothing
happens (the page stays, the run stays); accepted, the page goes to the runs page (/), where
the run's row is gone, and the store no longer has it (`prog runs --json`, `prog show` in
another process) while the other run stays."""
import sys

from harness import check, run


def confirm(t, accept):
    from selenium.webdriver.support import expected_conditions as EC
    t.find("#delete").click()
    alert = t.wait(EC.alert_is_present(), "#delete to ask for confirmation (window.confirm)")
    text = alert.text
    if accept:
        alert.accept()
    else:
        alert.dismiss()
    return text


def scenario(t):
    keep = t.seed("lr=0.1")
    gone = t.seed("lr=0.2")
    t.serve()
    t.open_browser()
    t.get("/runs/" + gone)
    t.wait_run_status("succeeded")
    t.mark_page()

    question = confirm(t, accept=False)
    check(gone in question, "the confirmation does not name the run %s: %r" % (gone, question))
    check(t.path() == "/runs/" + gone and t.page_kept(),
          "dismissing the confirmation left or reloaded the page (now %s)" % t.path())
    ids = [r["id"] for r in t.runs()]
    check(ids == [gone, keep], "after a dismissed confirmation the store holds %s, not %s"
          % (ids, [gone, keep]))

    confirm(t, accept=True)
    t.wait_path(r"/(\?.*)?", "the runs page after the deletion")
    t.wait_loaded()
    t.find('tr.run[data-run="%s"]' % keep)
    check(not t.all('tr.run[data-run="%s"]' % gone), "the runs page still lists run %s" % gone)
    t.screenshot("runs-after-delete")
    ids = [r["id"] for r in t.runs()]
    check(ids == [keep], "the store holds %s after deleting %s, not %s" % (ids, gone, [keep]))
    t.prog("show", gone, expect=2)


if __name__ == "__main__":
    sys.exit(run(scenario))
