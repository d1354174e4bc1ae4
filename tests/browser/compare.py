#!/usr/bin/env python3
"""Compare two runs: on the runs page tick the two runs' checkboxes (input.pick) and press
#compare; the compare page (/compare?run=A&run=B) lists each parameter in
table#compare-params (tr[data-param=NAME]) with the differing one (lr) marked "differs" and
the others not, and the final metrics in table#compare-metrics (tr[data-metric=NAME], the
names of `compare --json`: train.loss, train.accuracy), both differing (they follow lr): each
row marked exactly when `prog compare A B --json` says it differs; each metric's history of
the two runs overlaid in one chart (div.chart#compare-metric-NAME, a polyline.series[data-run=ID]
per run)."""
import json
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

    # The page marks what `prog compare A B --json` says differs, row by row.
    cli = json.loads(t.prog("compare", a, b, "--json"))
    differing = [p["name"] for p in cli["params"] if p["differs"]]
    check(differing == ["lr"], "prog compare says %s differ, not lr alone" % differing)
    lr = t.find('table#compare-params tr[data-param="lr"]')
    check("0.1" in lr.text and "0.2" in lr.text, "lr's row does not show 0.1 and 0.2: %r" % lr.text)
    for table, key, entries in (("compare-params", "data-param", cli["params"]),
                                ("compare-metrics", "data-metric", cli["metrics"])):
        check(entries, "prog compare lists no %s" % key)
        for entry in entries:
            row = t.find('table#%s tr[%s="%s"]' % (table, key, entry["name"]))
            check(("differs" in classes(row)) == entry["differs"],
                  "%s's row in table#%s is %smarked differs (class %r), but its values %s"
                  % (entry["name"], table, "" if "differs" in classes(row) else "not ",
                     classes(row), "differ" if entry["differs"] else "are the same"))
    metrics = sorted(m["name"] for m in cli["metrics"] if m["differs"])
    check(metrics == ["train.accuracy", "train.loss"],
          "prog compare says the metrics %s differ, not train.accuracy and train.loss" % metrics)
    # Each metric's history of both runs overlaid in one chart: the report's SVG chart
    # (div.chart#compare-metric-NAME), one polyline.series[data-run=ID] per run.
    for name in metrics:
        chart = '[id="compare-metric-%s"]' % name
        t.find(chart + " svg")
        for run_id in (a, b):
            lines = t.all('%s polyline.series[data-run="%s"]' % (chart, run_id))
            check(len(lines) == 1, "the chart of %s has %d lines of run %s, not 1"
                  % (name, len(lines), run_id))
        check(not t.all('%s polyline.series[data-run="%s"]' % (chart, other)),
              "the chart of %s draws run %s, which was not ticked" % (name, other))
    t.screenshot("compare")


if __name__ == "__main__":
    sys.exit(run(scenario))
