#!/usr/bin/env python3
"""A bad value in the start form (/runs/new) shows its error beside its field
(#error-param-NAME) with the first line `prog run --param` prints for the same value, the
page stays (no navigation), and nothing is recorded (`prog runs --json` in another process
lists the same runs as before). Two values: lr=5, outside lr's range (the number input's
min/max: the server must still be the one that answers), and batch=48, which only the server's
check knows is wrong (not a power of two); after the second, lr's error is gone."""
import sys

from harness import check, run


def error_text(t, name):
    els = t.all("#error-param-" + name)
    return els[0].text.strip() if els else ""


def fill(t, name, value):
    field = t.find("#param-" + name)
    field.clear()
    field.send_keys(value)


def scenario(t):
    t.seed()  # a store with one run: nothing must be added to it
    before = [r["id"] for r in t.runs()]
    lr_message = t.refusal("run", "--param", "lr=5")
    batch_message = t.refusal("run", "--param", "batch=48")
    check(lr_message.startswith("typeflow: parameter 'lr' (double) got '5'"), lr_message)
    t.serve()
    t.open_browser()
    t.get("/runs/new")
    t.find("form#start")
    t.mark_page()

    fill(t, "lr", "5")
    t.find("#start-run").click()
    t.wait(lambda d: lr_message in error_text(t, "lr"),
           "#error-param-lr to show %r (it shows %r)" % (lr_message, error_text(t, "lr")))
    err = t.find("#error-param-lr")
    check("field-error" in (err.get_attribute("class") or "").split(),
          "#error-param-lr has no class field-error")
    check(t.path() == "/runs/new" and t.page_kept(), "the form's page was left or reloaded")
    t.screenshot("bad-value")
    after = [r["id"] for r in t.runs()]
    check(after == before, "lr=5 recorded runs: the store holds %s, before %s" % (after, before))

    fill(t, "lr", "0.1")  # valid again
    fill(t, "batch", "48")
    t.find("#start-run").click()
    t.wait(lambda d: batch_message in error_text(t, "batch"),
           "#error-param-batch to show %r (it shows %r)" % (batch_message, error_text(t, "batch")))
    check(lr_message not in error_text(t, "lr"),
          "#error-param-lr still shows lr's error after lr was corrected")
    check(t.path() == "/runs/new" and t.page_kept(), "the form's page was left or reloaded")
    after = [r["id"] for r in t.runs()]
    check(after == before,
          "batch=48 recorded runs: the store holds %s, before %s" % (after, before))


if __name__ == "__main__":
    sys.exit(run(scenario))
