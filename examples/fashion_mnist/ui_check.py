#!/usr/bin/env python3
"""The flagship serves its runs in a browser: `fashion-mnist ui --port 0`.

    ui_check.py FASHION_MNIST WORKDIR

In a fresh WORKDIR: records a run of `data-files` alone (`run --only data-files`), starts
`fashion-mnist ui --store store --port 0`, reads the URL from the line it prints, asks
GET /api/runs and checks that it lists that run, then sends SIGINT (Ctrl-C) and checks that
the server ends with status 0. Every wait is bounded (a hang fails the check).
"""
import json
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

BOUND_S = 60


def fail(message, proc=None):
    if proc is not None and proc.poll() is None:
        proc.kill()
    sys.exit(f"ui_check: {message}")


def main():
    program, workdir = sys.argv[1], Path(sys.argv[2])
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    run = subprocess.run([program, "run", "--only", "data-files", "--store", "store", "--quiet"],
                         cwd=workdir, capture_output=True, text=True, timeout=BOUND_S)
    if run.returncode != 0:
        fail(f"`run --only data-files` exited {run.returncode}: {run.stdout}{run.stderr}")

    proc = subprocess.Popen([program, "ui", "--store", "store", "--port", "0"], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(BOUND_S, proc.kill)  # a server that never says where it is
    timer.start()
    line = proc.stdout.readline()
    timer.cancel()
    at = "http://127.0.0.1:"
    if "Ctrl-C ends" not in line or at not in line:
        fail(f"`ui` printed {line!r}, not its URL; stderr: {proc.stderr.read() if proc.poll() is not None else ''}", proc)
    url = line[line.index(at):].split()[0]
    if not url.endswith("/"):
        fail(f"the URL {url!r} does not end with /", proc)
    with urllib.request.urlopen(url + "api/runs", timeout=BOUND_S) as r:
        status, body = r.status, r.read().decode()
    runs = json.loads(body)["runs"]
    if status != 200 or len(runs) != 1 or runs[0]["pipeline"] != "fashion-mnist":
        fail(f"GET /api/runs answered {status}: {body}", proc)
    with urllib.request.urlopen(url, timeout=BOUND_S) as r:
        page = r.read().decode()
    if r.status != 200 or runs[0]["id"] not in page:
        fail(f"GET / answered {r.status} without the run {runs[0]['id']}", proc)

    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=BOUND_S)
    except subprocess.TimeoutExpired:
        fail("`ui` did not end within 60 s of SIGINT", proc)
    if code != 0:
        fail(f"`ui` exited {code} after SIGINT: {proc.stderr.read()}")
    print(f"ui_check: {url} served run {runs[0]['id']} of fashion-mnist; SIGINT ended it (0)")


if __name__ == "__main__":
    main()
