"""The browser tests' harness (tests/browser/README.md).

A scenario is a function scenario(t) given a `Browser` test `t`: a temporary store, `prog ui`
serving it (the pipeline program of browser_child.cpp, started with `ui --port 0`, its URL read
from what it prints), and a headless Chromium driven through chromium-driver by Selenium.
`run(scenario)` parses the command line, checks that Chromium, its driver and Selenium are
there (missing: exit 77, a skip, or under CI=true exit 1, a failure, naming what is missing),
runs the scenario, and always ends Chromium and the server: the server must exit 0 on Ctrl-C.

Nothing waits by sleeping: every wait is a WebDriverWait (or a deadline on a process) for a
condition, with a bound (TYPEFLOW_BROWSER_WAIT seconds, default 30) that fails the test.
On a failure the page is saved as FAILED-<scenario>.png and .html beside the screenshots, and
the server's output is printed.
"""

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

SKIP = 77
CHROMIUM_FLAGS = [
    "--headless=new",            # no display (CI has none)
    "--no-sandbox",              # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-dev-shm-usage",   # containers' /dev/shm is small (64 MB): Chromium would crash
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--window-size=1280,900",
    "--hide-scrollbars",         # screenshots without them
]
WAIT_S = float(os.environ.get("TYPEFLOW_BROWSER_WAIT", "30"))


class Failure(Exception):
    """A check of the scenario failed: the message says which and what was seen."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def find_missing():
    """What the browser tests need and this machine lacks, each with its Debian package."""
    missing = []
    try:
        import selenium.webdriver  # noqa: F401  (whether it is there)
    except ImportError:
        missing.append("Selenium for " + sys.executable + " (Debian package python3-selenium)")
    if not chromium_binary():
        missing.append("chromium (Debian package chromium)")
    if not driver_binary():
        missing.append("chromedriver (Debian package chromium-driver)")
    return missing


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def driver_binary():
    return shutil.which("chromedriver")


class Server:
    """`prog ui --store DIR --port 0` as a child process; its output is kept (drained by
    threads, so a full pipe never blocks it) and the URL read from its first line."""

    def __init__(self, child, store, env):
        self.lines = queue.Queue()
        self.out = []
        self.err = []
        self.proc = subprocess.Popen(
            [child, "ui", "--store", store, "--port", "0"], env=env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._drain(self.proc.stdout, self.out, self.lines)
        self._drain(self.proc.stderr, self.err, None)
        self.url = self._read_url()

    @staticmethod
    def _drain(stream, keep, lines):
        def pump():
            for line in stream:
                keep.append(line)
                if lines is not None:
                    lines.put(line)
            if lines is not None:
                lines.put(None)
        threading.Thread(target=pump, daemon=True).start()

    def _read_url(self):
        deadline = time.monotonic() + WAIT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("`prog ui` printed no URL within %.0f s" % WAIT_S)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise Failure("`prog ui` ended (exit %s) before printing its URL"
                              % self.proc.wait())
            m = re.search(r"serving pipeline '[^']*' at (http://\S+/) ", line)
            if m:
                return m.group(1).rstrip("/")

    def output(self):
        return "--- prog ui stdout ---\n%s--- prog ui stderr ---\n%s" % (
            "".join(self.out), "".join(self.err))

    def stop(self):
        """Ctrl-C; the server must end with exit 0 (it stops the runs it started)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("`prog ui` did not end within %.0f s of Ctrl-C" % WAIT_S)
        check(code == 0, "`prog ui` exited %s after Ctrl-C, not 0" % code)


class Browser:
    """One scenario's world: store, server, Chromium. See the module's comment."""

    def __init__(self, name, child, shots, tmp):
        self.name = name
        self.child = child
        self.shots = shots
        self.tmp = tmp
        self.store = os.path.join(tmp, "store")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TYPEFLOW_")}
        self.server = None
        self.driver = None
        self.profile = None

    # ------------------------------------------------------------------ the program
    def prog(self, *args, expect=0, store=True):
        """Runs the pipeline program (a command other than ui; on the store unless store is
        False); its stdout."""
        argv = [self.child] + list(args) + (["--store", self.store] if store else [])
        try:
            p = subprocess.run(argv, env=self.env, text=True, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not end within %.0f s" % (" ".join(argv), WAIT_S))
        check(p.returncode == expect, "%s exited %d, not %d:\n%s%s"
              % (" ".join(argv), p.returncode, expect, p.stdout, p.stderr))
        return p.stdout

    def refusal(self, *args):
        """The first line the program prints on stderr for a command it refuses (exit 2): the
        message a page must show for the same refusal."""
        argv = [self.child] + list(args) + ["--store", self.store]
        p = subprocess.run(argv, env=self.env, text=True, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=WAIT_S)
        check(p.returncode == 2, "%s exited %d, not 2:\n%s%s"
              % (" ".join(argv), p.returncode, p.stdout, p.stderr))
        return p.stderr.splitlines()[0]

    def seed(self, *params, expect=0):
        """A run recorded by `prog run --param NAME=VALUE ...` (before or beside the server),
        which exits `expect` (1: a step failed); its id."""
        before = {r["id"] for r in self.runs()}
        args = ["run"]
        for kv in params:
            args += ["--param", kv]
        self.prog(*args, expect=expect)
        new = [r for r in self.runs() if r["id"] not in before]
        check(len(new) == 1, "prog run recorded %d runs, not 1" % len(new))
        return new[0]["id"]

    def runs(self):
        """The store's runs as `prog runs --json` lists them (another process than the
        server: what a user's terminal sees), newest first; none before the store exists."""
        if not os.path.exists(self.store):
            return []
        return json.loads(self.prog("runs", "--json"))["runs"]

    def show(self, run_id):
        return json.loads(self.prog("show", run_id, "--json"))

    def serve(self, **env):
        """Starts `prog ui` (with these environment variables added)."""
        e = dict(self.env)
        e.update(env)
        self.server = Server(self.child, self.store, e)
        return self.server.url

    def status(self, path):
        """The HTTP status of GET SERVER/path."""
        try:
            with urllib.request.urlopen(self.server.url + path, timeout=WAIT_S) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    # ------------------------------------------------------------------ the browser
    def open_browser(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_binary()
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        # Everything Chromium writes (its profile, the singleton socket it puts under TMPDIR)
        # goes into the test's temporary directory, removed at the end.
        self.profile = os.path.join(self.tmp, "chromium")
        scratch = os.path.join(self.tmp, "chromium-tmp")
        os.makedirs(scratch)
        options.add_argument("--user-data-dir=" + self.profile)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        env = dict(os.environ, TMPDIR=scratch)
        self.driver = webdriver.Chrome(service=Service(driver_binary(), env=env), options=options)
        self.driver.set_page_load_timeout(WAIT_S)
        return self.driver

    def get(self, path):
        self.driver.get(self.server.url + path)
        self.wait_loaded()

    def wait_loaded(self):
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete",
                  "the page to finish loading")

    def wait(self, condition, what, timeout=None):
        """Waits until condition(driver) is true (or returns a value: returned); a bounded
        wait whose failure says what was waited for."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, timeout or WAIT_S, poll_frequency=0.05).until(
                condition)
        except TimeoutException:
            raise Failure("waited %.0f s for %s; the page is %s"
                          % (timeout or WAIT_S, what, self.driver.current_url))

    def find(self, css):
        """The one element matching css, waited for (a page's script may add it)."""
        from selenium.webdriver.common.by import By
        return self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, css) or [None])[0],
                         "an element %s" % css)

    def all(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def path(self):
        """The current page's path and query (without the server's address)."""
        url = self.driver.current_url
        return url[len(self.server.url):] if url.startswith(self.server.url) else url

    def wait_path(self, pattern, what):
        """Waits until the page's path matches the regular expression; the match."""
        return self.wait(lambda d: re.fullmatch(pattern, self.path()), what)

    def mark_page(self):
        """Puts a marker on the page's window object: a navigation or reload loses it."""
        self.driver.execute_script("window.typeflowTestMarker = 'same page';")

    def page_kept(self):
        return self.driver.execute_script("return window.typeflowTestMarker") == "same page"

    def node_class(self, step):
        """The class attribute of the DAG's node of `step` (g.node.st-STATUS#node-STEP)."""
        nodes = self.all("svg.dag-graph g.node#node-" + step)
        return nodes[0].get_attribute("class") if nodes else None

    def wait_node(self, step, status):
        return self.wait(
            lambda d: "st-" + status in (self.node_class(step) or "").split(),
            "the DAG's node %s to be st-%s (it is: %s)" % (step, status, self.node_class(step)))

    def wait_run_status(self, status):
        def shown(d):
            els = self.all("span#run-status")
            return els and els[0].text.strip() == status
        self.wait(shown, "span#run-status to say %r" % status)

    def screenshot(self, name):
        """The whole page as screenshots/<name>.png (the window grown to the page's height)."""
        os.makedirs(self.shots, exist_ok=True)
        d = self.driver
        height = d.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        d.set_window_size(1280, min(max(int(height), 600), 4000))
        inner = d.execute_script("return window.innerHeight")  # the window less its frame
        if inner < height:
            d.set_window_size(1280, min(max(int(height) + (height - inner), 600), 4000))
        path = os.path.join(self.shots, name + ".png")
        d.save_screenshot(path)
        d.set_window_size(1280, 900)
        return path

    def console_errors(self):
        """The page's console errors but failed loads (a 400 a form expects is one): script
        exceptions, Content-Security-Policy refusals."""
        try:
            entries = self.driver.get_log("browser")
        except Exception:  # a driver without the log: nothing to check
            return []
        return [e["message"] for e in entries
                if e.get("level") == "SEVERE" and "Failed to load resource" not in e["message"]]

    def chromium_processes(self):
        """The processes of this test's Chromium: those whose command line names its profile."""
        mine = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.profile.encode() in f.read():
                        mine.append(int(pid))
            except OSError:  # ended meanwhile
                pass
        return mine

    def end_chromium(self):
        """Waits (bounded) until the browser's processes have ended after quit(), so that none
        writes into the temporary directory while it is removed; kills those left, by id."""
        deadline = time.monotonic() + WAIT_S
        while self.chromium_processes() and time.monotonic() < deadline:
            time.sleep(0.05)  # polls the processes' end: they are not this process's children
        for pid in self.chromium_processes():
            print("Chromium process %d outlived quit(): killed" % pid, file=sys.stderr)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self, failed):
        errors = []
        if self.driver is not None:
            if failed:
                try:
                    os.makedirs(self.shots, exist_ok=True)
                    base = os.path.join(self.shots, "FAILED-" + self.name)
                    self.driver.save_screenshot(base + ".png")
                    with open(base + ".html", "w", encoding="utf-8") as f:
                        f.write(self.driver.page_source)
                    print("the page at the failure (%s): %s.png, %s.html"
                          % (self.driver.current_url, base, base), file=sys.stderr)
                except Exception as e:  # the failure itself matters more
                    print("could not save the page: %s" % e, file=sys.stderr)
            try:
                self.driver.quit()
            except Exception as e:  # Chromium gone already: the server must still be ended
                errors.append("ending Chromium failed: %s" % e)
            self.end_chromium()
        if self.server is not None:
            try:
                self.server.stop()
            except Failure as e:
                errors.append(str(e))
            if failed or errors:
                print(self.server.output(), file=sys.stderr)
        return errors


def run(scenario):
    """The main of a scenario file: python3 <scenario>.py --child PROG [--screenshots DIR]."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    ap = argparse.ArgumentParser(description=scenario.__doc__)
    ap.add_argument("--child", required=True,
                    help="the pipeline program: "
                         "build/<preset>/tests/browser/typeflow-browser-child")
    ap.add_argument("--screenshots", default=os.path.join(os.getcwd(), "screenshots"),
                    help="where the pages' screenshots go (default: ./screenshots)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary store, and say where")
    args = ap.parse_args()

    missing = find_missing()
    if missing:
        print("browser test %s: missing %s" % (name, "; ".join(missing)), file=sys.stderr)
        if os.environ.get("CI") == "true":
            print("FAILED (CI=true, where the browser tests must run): install them with "
                  "cmake/install-deps.sh", file=sys.stderr)
            return 1
        print("skipped (cmake/install-deps.sh installs them)", file=sys.stderr)
        return SKIP
    check_child = os.path.isfile(args.child) and os.access(args.child, os.X_OK)
    if not check_child:
        print("browser test %s: no program %s" % (name, args.child), file=sys.stderr)
        return 2

    for stale in ("png", "html"):  # a failure's page from an earlier run of this scenario
        path = os.path.join(args.screenshots, "FAILED-%s.%s" % (name, stale))
        if os.path.exists(path):
            os.remove(path)
    tmp = tempfile.mkdtemp(prefix="typeflow-browser-")
    t = Browser(name, os.path.abspath(args.child), os.path.abspath(args.screenshots), tmp)
    failed = True
    start = time.monotonic()
    try:
        scenario(t)
        if t.driver is not None:
            errors = t.console_errors()
            check(not errors, "the browser's console shows errors:\n  " + "\n  ".join(errors))
        failed = False
    except Failure as e:
        print("FAILED %s: %s" % (name, e), file=sys.stderr)
    except Exception:
        traceback.print_exc()
        print("FAILED %s (an exception, above)" % name, file=sys.stderr)
    finally:
        errors = t.close(failed)
        for e in errors:
            print("FAILED %s: %s" % (name, e), file=sys.stderr)
        failed = failed or bool(errors)
        if args.keep:
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        return 1
    print("passed %s in %.1f s (screenshots: %s)" % (name, time.monotonic() - start, t.shots))
    return 0
