"""prog ui --executor slurm: runs started from the browser run mode's API run their steps as
Slurm jobs on the test cluster (tests/slurm/README.md), as `prog run --executor slurm` does.

  ui.py UI_CHILD     (through run-if-cluster.sh: needs the cluster; tests/slurm/CMakeLists.txt)

Starts `UI_CHILD ui --executor slurm --port 0` over a temporary store, gets a browser session
(GET /api/session: its cookie and CSRF token), starts a run by POST /api/runs with lr=0.25,
waits (bounded, no sleeps for luck: polling the run's record) until it ends, and checks:
it succeeded with lr=0.25; each step ran as a job (the store's jobs/RUN/STEP/1/job file holds
the Slurm job id, which sacct knows); a retry of a failed run through POST /api/runs/ID/retry
runs the failed step as a new job and reuses the rest. Ends the server with SIGINT: exit 0.
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

WAIT = float(os.environ.get("TYPEFLOW_SLURM_UI_WAIT", "180"))


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for(what, ready, bound=WAIT):
    end = time.monotonic() + bound
    while time.monotonic() < end:
        value = ready()
        if value:
            return value
        time.sleep(0.1)  # polling a condition, bounded: not a wait for luck
    fail("waited %.0f s for %s" % (bound, what))


def main():
    if len(sys.argv) != 2:
        fail("usage: ui.py UI_CHILD")
    program = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="typeflow-slurm-ui-") as tmp:
        store = os.path.join(tmp, "store")
        out_path = os.path.join(tmp, "ui.out")
        err_path = os.path.join(tmp, "ui.err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            server = subprocess.Popen(
                [program, "ui", "--store", store, "--port", "0", "--executor", "slurm"],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            check(program, store, server, out_path)
        except SystemExit:
            server.kill()
            server.wait()
            with open(err_path, encoding="utf-8", errors="replace") as e:
                print("prog ui's stderr:\n" + e.read(), file=sys.stderr)
            raise
        with open(err_path, encoding="utf-8", errors="replace") as e:
            errors = e.read()
        if server.returncode != 0:
            fail("prog ui exited %d on SIGINT, not 0:\n%s" % (server.returncode, errors))
    print("ok: runs started from the API ran their steps as Slurm jobs; a retry too")


def check(program, store, server, out_path):
    def url_line():
        with open(out_path, encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"at (http://127\.0\.0\.1:\d+/) \(store [^;]*; runs' steps as Slurm jobs\)",
                      text)
        if server.poll() is not None:
            fail("prog ui ended (%d) before serving: %s" % (server.returncode, text))
        return m.group(1) if m else None

    base = wait_for("prog ui to print its URL (naming Slurm)", url_line, 30)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path):
        with opener.open(base + path.lstrip("/"), timeout=30) as r:
            return json.loads(r.read())

    def post(path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(base + path.lstrip("/"), data=data, method="POST")
        req.add_header("X-CSRF-Token", csrf)
        req.add_header("Origin", base.rstrip("/"))
        try:
            with opener.open(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    csrf = get("/api/session")["csrf"]

    def ended(run):
        def done():
            doc = get("/api/runs/" + run)
            return doc if doc["status"] not in ("pending", "running") else None
        return wait_for("run %s to end" % run, done)

    def job_of(run, step):
        path = os.path.join(store, "jobs", run, step, "1", "job")
        if not os.path.exists(path):
            fail("no job file %s: step %s of run %s was not a Slurm job" % (path, step, run))
        with open(path, encoding="utf-8") as f:
            job = f.read().strip()
        if not re.fullmatch(r"\d+(_\d+)?", job):
            fail("job file %s holds %r, not a Slurm job id" % (path, job))
        sacct = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job, "-o", "JobID,State"],
                               capture_output=True, text=True, check=False)
        # sacct needs accounting, which the test cluster may not keep: scontrol knows a recent job
        known = job in sacct.stdout or subprocess.run(
            ["scontrol", "show", "job", job], capture_output=True, text=True,
            check=False).returncode == 0
        if not known:
            fail("Slurm knows no job %s (sacct: %r)" % (job, sacct.stdout + sacct.stderr))
        return job

    status, body = post("/api/runs", [("param", "lr=0.25")])
    if status != 202:
        fail("POST /api/runs: %d %s" % (status, body))
    run = body["id"]
    doc = ended(run)
    if doc["status"] != "succeeded":
        fail("run %s ended %s, not succeeded: %s" % (run, doc["status"], json.dumps(doc)[:2000]))
    if doc["params"]["lr"] not in ("0.25", 0.25):
        fail("run %s has lr %r, not 0.25" % (run, doc["params"]["lr"]))
    jobs = {step: job_of(run, step) for step in ("train", "report")}
    if jobs["train"] == jobs["report"]:
        fail("train and report ran as one job (%s)" % jobs["train"])

    # A failed run, retried from the API: report again as a job, train reused (no new job).
    status, body = post("/api/runs", [("param", "fail=true")])
    if status != 202:
        fail("POST /api/runs fail=true: %d %s" % (status, body))
    failed = body["id"]
    if ended(failed)["status"] != "failed":
        fail("run %s with fail=true did not fail" % failed)
    job_of(failed, "report")
    status, body = post("/api/runs/%s/retry" % failed, [])
    if status != 202:
        fail("POST /api/runs/%s/retry: %d %s" % (failed, status, body))
    retry = body["id"]
    doc = ended(retry)
    if doc["kind"] != "retry" or doc["origin"] != failed:
        fail("run %s is not recorded as a retry of %s: kind %s origin %s"
             % (retry, failed, doc["kind"], doc["origin"]))
    # fail is still true in the retry: report fails again, as a new job of the retry's
    job_of(retry, "report")

    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("prog ui did not end within 60 s of SIGINT")


if __name__ == "__main__":
    main()
