#!/usr/bin/env python3
"""A run page whose session cookie was replaced (another tab opened from a link on another
site gets a new one) still stops its run: the script fetches the new token and posts again."""
import sys

from harness import check, run


def scenario(t):
    t.serve()
    t.open_browser()
    t.get("/runs/new")
    t.find("#param-hold").click()
    t.find("#start-run").click()
    m = t.wait_path(r"/runs/(?!new$)([^/?#]+)", "the new run's page")
    t.wait_loaded()
    t.mark_page()
    t.wait_run_status("running")
    # Another session replaces this page's cookie (as a tab opened from another site would).
    t.driver.delete_all_cookies()
    t.driver.execute_script("return fetch('/api/session').then(function (r) { return r.text(); })")
    t.wait(lambda d: d.get_cookies() != [], "a new session cookie")
    t.find("#stop").click()
    t.wait_run_status("stopped")
    check(t.page_kept(), "the page was reloaded")


if __name__ == "__main__":
    sys.exit(run(scenario))
