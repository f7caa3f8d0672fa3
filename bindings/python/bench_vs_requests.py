#!/usr/bin/env python3
"""Client CPU of two-factor logins: the etna_auth binding vs. ``requests``.

Starts one embedded sandbox (through the binding) and, in each of 5 rounds,
runs two child processes one after the other against it: one does N logins
as carol (password, then the emailed code) through ``etna_auth`` with one
``Session``, the other does the same two requests per login with a reused
``requests.Session`` (the vendor's sample, in a loop). The sandbox runs in
this parent process, so the children's CPU is the client's alone.

For each child it prints the CPU time (user + sys) the child used in all
(``os.wait4``: interpreter start, imports, logins) and in its login loop
alone (measured by the child with ``getrusage(RUSAGE_SELF)`` around the
loop, after one warm-up login), then the medians and the ratio
binding / requests.

Usage (after ``cargo build --release``):
    ETNA_AUTH_LIB=target/release/libetna_auth.so python3 bindings/python/bench_vs_requests.py [--logins 200] [--rounds 5]
``requests`` is installed with pip if missing.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

USER, PASSWORD, CODE = "carol", "carol-pass", "123456"


def cpu(usage: "resource.struct_rusage") -> float:
    return usage.ru_utime + usage.ru_stime


# -- children ----------------------------------------------------------------

def child_binding(url: str, key: str, n: int) -> dict:
    import etna_auth

    with etna_auth.Session(url, key) as s:
        s.login(USER, PASSWORD, code=CODE)  # warm-up
        t0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for _ in range(n):
            token = s.login(USER, PASSWORD, code=CODE)
        t1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    assert token
    return {"loop_cpu": cpu(t1) - cpu(t0), "loop_wall": w1 - w0}


def child_requests(url: str, key: str, n: int) -> dict:
    import requests

    endpoint = url.rstrip("/") + "/token"
    base = {"Et-App-Key": key, "Username": USER, "Password": PASSWORD, "Accept": "application/json"}
    s = requests.Session()
    s.trust_env = False  # straight to the loopback sandbox, as the binding goes

    def login() -> str:
        r = s.post(endpoint, headers=base)
        body = r.json()
        if r.status_code != 202 or body.get("Step") != "VerificationCode":
            raise RuntimeError(f"unexpected first answer {r.status_code}")
        r = s.post(endpoint, headers={**base, "Authorization": "Bearer " + body["Token"], "VerificationCode": CODE})
        body = r.json()
        if r.status_code != 200 or body.get("State") != "Succeeded":
            raise RuntimeError(f"unexpected second answer {r.status_code}")
        return body["Token"]

    login()  # warm-up
    t0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(n):
        token = login()
    t1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    assert token
    return {"loop_cpu": cpu(t1) - cpu(t0), "loop_wall": w1 - w0}


# -- parent ------------------------------------------------------------------

def run_child(kind: str, url: str, key: str, n: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, url, key, str(n)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} child failed with exit code {proc.returncode}")
    result = json.loads(out)
    result["total_cpu"] = cpu(usage)
    return result


def ensure_requests() -> None:
    try:
        import requests  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "requests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=4, metavar=("KIND", "URL", "KEY", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, url, key, n = args.child
        run = child_binding if kind == "binding" else child_requests
        print(json.dumps(run(url, key, int(n))))
        return

    ensure_requests()
    import etna_auth

    print(f"etna_auth {etna_auth.library_version()} ({etna_auth.load_library().path}), "
          f"Python {sys.version.split()[0]}, {args.logins} two-factor logins per child, {args.rounds} rounds")
    rows = {"binding": [], "requests": []}
    with etna_auth.Sandbox() as sandbox:
        print(f"sandbox {sandbox.url}")
        print(f"{'round':>5} {'child':>9} {'total CPU s':>12} {'loop CPU s':>11} {'loop wall s':>12} {'loop CPU/login':>15}")
        for i in range(args.rounds):
            order = ["binding", "requests"] if i % 2 == 0 else ["requests", "binding"]
            for kind in order:
                r = run_child(kind, sandbox.url, sandbox.app_key, args.logins)
                rows[kind].append(r)
                print(f"{i + 1:>5} {kind:>9} {r['total_cpu']:>12.3f} {r['loop_cpu']:>11.3f} "
                      f"{r['loop_wall']:>12.3f} {r['loop_cpu'] / args.logins * 1e6:>12.0f} us")
        requests_served = sandbox.request_count

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[kind])

    print(f"sandbox answered {requests_served} requests")
    print("medians:")
    for key, label in (("total_cpu", "whole child (wait4)"), ("loop_cpu", "login loop only")):
        b, q = med("binding", key), med("requests", key)
        per_round = statistics.median(
            x[key] / y[key] for x, y in zip(rows["binding"], rows["requests"]) if y[key] > 0
        )
        print(f"  {label:<20} binding {b:.3f} s, requests {q:.3f} s, "
              f"ratio binding/requests {b / q:.2f} (median of per-round ratios {per_round:.2f})")


if __name__ == "__main__":
    main()
