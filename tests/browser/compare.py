#!/usr/bin/env python3
"""Compare two runs: on the runs page tick the two runs' checkboxes (input.pick) and press
#compare; the compare page (/compare?run=A&run=B) lists each parameter in
table#compare-params (tr[data-param=NAME]) with the differing one (lr) marked "differs" and
the others not, and the final metrics in table#compare-metrics (tr[data-metric=NAME]), loss
and accuracy differing (they follow lr)."""
import sys
import urllib.parse

from harness import check, run


def classes(el):
    return (el.get_attribute("class") or "").split()


def scenario(t):
    a = t.seed("lr=0.1")
    other = t.seed("lr=0.5", "epochs=5")  # a third run, not compared
    b = t.seed("lr=0.2")
    t.serve()
    t.open_browser()
    t.get("/")
    for run_id in (a, b):
        t.find('tr.run[data-run="%s"] input.pick' % run_id).click()
    t.find("button#compare").click()
    m = t.wait_path(r"/compare\?(.*)", "the compare page")
    t.wait_loaded()
    picked = urllib.parse.parse_qs(m.group(1)).get("run", [])
    check(sorted(picked) == sorted([a, b]),
          "the compare page compares %s, not the two runs ticked %s" % (picked, [a, b]))
    body = t.find("body").text
    for run_id in (a, b):
        check(run_id in body, "the compare page does not name run %s" % run_id)
    check(other not in body, "the compare page shows run %s, which was not ticked" % other)

    lr = t.find('table#compare-params tr[data-param="lr"]')
    check("differs" in classes(lr), "lr's row is not marked differs (class %r)" % classes(lr))
    check("0.1" in lr.text and "0.2" in lr.text, "lr's row does not show 0.1 and 0.2: %r" % lr.text)
    for name in ("epochs", "batch", "optimizer", "schedule", "hold"):
        row = t.find('table#compare-params tr[data-param="%s"]' % name)
        check("differs" not in classes(row),
              "%s's row is marked differs, but both runs have the same value: %r" % (name, row.text))
    for name in ("loss", "accuracy"):
        row = t.find('table#compare-metrics tr[data-metric="%s"]' % name)
        check("differs" in classes(row), "%s's row is not marked differs: %r" % (name, row.text))
    t.screenshot("compare")


if __name__ == "__main__":
    sys.exit(run(scenario))
