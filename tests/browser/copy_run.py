#!/usr/bin/env python3
"""Copy a run with changes: #copy on a run's page opens the start form for a copy
(/runs/new?copy=ID) prefilled with that run's values (lr 0.2, epochs 5, not the defaults);
changing lr and pressing #start-run starts the copy, whose page shows it succeed; the store has
it as `prog copy ID --param lr=0.4` records one: kind copy, origin ID, lr 0.4, epochs 5."""
import re
import sys

from harness import check, run


def scenario(t):
    source = t.seed("lr=0.2", "epochs=5")
    t.serve()
    t.open_browser()
    t.get("/runs/" + source)
    t.wait_run_status("succeeded")
    t.find("#copy").click()
    t.wait_path(r"/runs/new\?copy=" + re.escape(source), "the start form of a copy")
    t.wait_loaded()
    t.find("form#start")
    for name, value in (("lr", "0.2"), ("epochs", "5"), ("batch", "32")):
        shown = t.find("#param-" + name).get_attribute("value")
        check(shown == value,
              "the copy's #param-%s shows %r, not the run's %r" % (name, shown, value))
    lr = t.find("#param-lr")
    lr.clear()
    lr.send_keys("0.4")
    t.screenshot("copy-run")
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new)([^/?#]+)", "the copy's page")
    copy = m.group(1)
    check(copy != source, "the copy's page is the source run's")
    t.wait_loaded()
    t.wait_run_status("succeeded")
    runs = [(r["id"], r["kind"], r["origin"], r["params"]["lr"], r["params"]["epochs"])
            for r in t.runs()]
    want = [(copy, "copy", source, "0.4", "5"), (source, "run", None, "0.2", "5")]
    check(runs == want, "the store holds %s, not %s" % (runs, want))


if __name__ == "__main__":
    sys.exit(run(scenario))
