#!/usr/bin/env python3
"""Driver of the etna-auth benchmark (run it through bench/run.sh, which builds first).

    bench.py [--logins N] [--reps R] [--smoke] [--out DIR]

Starts ONE server process (bench/build/sandbox_host: the etna-auth sandbox,
which also reports its request and connection counters on demand), a TLS
front for it (bench/tls_front.py, test CA made with `openssl req`), checks
that every client sends the same request headers (a capturing server), then
runs every client in its own process, one after the other:

  N-run    N two-factor logins: client CPU (user + sys of the child from
           wait4), wall time, requests and TCP connections counted by the
           server (or, for TLS, by the server behind the front: one upstream
           connection per TLS connection).
  1-run    one login: cold start (process start + library load + first
           login, wall) and its CPU. CPU per login = (CPU(N) - median CPU(1)) / (N - 1).
  RSS-run  one login under /usr/bin/time -f %M (the peak RSS of a process
           that was never a copy of this large Python parent).

R repetitions (client order rotated each time); medians and [min-max].
--smoke: N = 5, one repetition, every client must work (exit 1 otherwise).
"""
import argparse
import contextlib
import http.server
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
# ETNA_AUTH_LIB names a build in another CARGO_TARGET_DIR (the C programs in
# build/ must then be linked against that directory too).
LIB = Path(os.environ.get("ETNA_AUTH_LIB") or ROOT / "target" / "release" / "libetna_auth.so")
BINDING_DIR = Path(os.environ.get("ETNA_AUTH_BINDING_DIR") or ROOT / "bindings" / "python")
PY = sys.executable  # the real interpreter, never a pyenv shim script


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env["ETNA_AUTH_LIB"] = str(LIB)
    env["ETNA_AUTH_BINDING_DIR"] = str(BINDING_DIR)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# -- the server ---------------------------------------------------------------

class Child:
    """A helper process that runs until its standard input closes."""

    proc: subprocess.Popen

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class SandboxHost(Child):
    """bench/build/sandbox_host: the one server process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([str(BUILD / "sandbox_host")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=child_env())
        vals = {}
        for _ in range(2):
            line = self.proc.stdout.readline()
            if "=" not in line:
                raise SystemExit(f"sandbox_host did not start (got {line!r})")
            k, v = line.strip().split("=", 1)
            vals[k] = v
        self.url, self.key = vals["ETNA_BASE_URL"], vals["ETNA_APP_KEY"]
        hostport = self.url.split("//", 1)[1].split("/", 1)[0]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.path = "/" + self.url.split("//", 1)[1].split("/", 1)[1] if "/" in self.url.split("//", 1)[1] else ""

    def count(self) -> tuple:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        req, conn = self.proc.stdout.readline().split()
        return int(req), int(conn)


def make_certs(tmp: Path) -> tuple:
    """A test CA and a server certificate for 127.0.0.1 / localhost (RSA 2048, like most public APIs)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=tmp, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=etna-auth bench CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    (tmp / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
                                 "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    return tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"


class TlsFront(Child):
    """bench/tls_front.py: TLS in front of the sandbox host."""

    def __init__(self, cert: Path, key: Path, host: str, port: int) -> None:
        self.proc = subprocess.Popen([PY, str(HERE / "tls_front.py"), str(cert), str(key), host, str(port)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT="):
            raise SystemExit(f"tls_front did not start (got {line!r})")
        self.port = int(line.strip().split("=")[1])


@contextlib.contextmanager
def servers():
    """The sandbox server and its TLS front (test CA) for a measurement, stopped
    afterwards: yields (SandboxHost, TLS base URL, CA file)."""
    tmp = Path(tempfile.mkdtemp(prefix="etna-servers-"))
    sb = front = None
    try:
        ca, cert, key = make_certs(tmp)
        sb = SandboxHost()
        front = TlsFront(cert, key, "127.0.0.1", sb.port)
        yield sb, f"https://127.0.0.1:{front.port}{sb.path}", ca
    finally:
        for x in (front, sb):
            if x is not None:
                x.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# -- header check ---------------------------------------------------------------

class CaptureServer:
    """Answers the two steps of a code login with canned JSON and records each request's headers."""

    INTERIM = "interim-token-for-the-header-check"

    def __init__(self) -> None:
        capture = self
        self.requests = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the reuse clients send both steps on one connection

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = list(self.headers.items())
                with capture.lock:
                    capture.requests.append((self.requestline, headers))
                if "verificationcode" in {n.lower() for n, _ in headers}:
                    status, body = 200, {"State": "Succeeded", "Token": "final-token-for-the-header-check"}
                else:
                    status, body = 202, {"State": "Expecting", "Step": "VerificationCode",
                                         "Reason": "Expecting confirmation code", "Token": capture.INTERIM}
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:
                pass  # bench.py's output is its own report

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list:
        with self.lock:
            out, self.requests = self.requests, []
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def normalized(req: tuple) -> tuple:
    """Request line and the header set, names lower-cased; Host and User-Agent values aside (they differ by design)."""
    line, headers = req
    hs = []
    for name, value in headers:
        n = name.lower()
        if n in ("host", "user-agent"):
            value = "<present>"
        hs.append((n, value))
    return line, tuple(sorted(hs))


# -- running a client -------------------------------------------------------------

def run_child(argv: list, timeout: float = 600) -> dict:
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    except OSError as e:
        return {"rc": -1001, "wall": 0.0, "cpu": 0.0, "stderr": f"cannot start {argv[0]}: {e}", "report": None}
    try:
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        proc.stdout.close()
        proc.stderr.close()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    res = {"rc": proc.returncode, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
           "stderr": err.decode(errors="replace").strip()}
    try:
        res["report"] = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        res["report"] = None
        if res["rc"] == 0:
            res["rc"] = -1000
            res["stderr"] += f"\nno report line in stdout: {out[:300]!r}"
    return res


def peak_rss_kb(argv: list) -> tuple:
    """/usr/bin/time -f %M: the peak RSS of the client, a child of the small `time` process."""
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS=%M", *argv], capture_output=True, text=True,
                          env=child_env(), timeout=300)
    kb = None
    for line in proc.stderr.splitlines():
        if line.startswith("MAXRSS="):
            kb = int(line.split("=")[1])
    report = None
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pass
    return proc.returncode, kb, (report or {}).get("vmhwm_kb"), proc.stderr.strip()


def binding_available() -> tuple:
    if not (BINDING_DIR / "etna_auth" / "__init__.py").exists():
        return False, "bindings/python/etna_auth does not exist"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import etna_auth; "
            "etna_auth.load_library(); etna_auth.Session")
    p = subprocess.run([PY, "-c", code, str(BINDING_DIR)], capture_output=True, text=True, env=child_env())
    if p.returncode != 0:
        return None, "bindings/python exists but does not load: " + p.stderr.strip().splitlines()[-1]
    return True, "bindings/python (ctypes)"


def clients(sb: SandboxHost, tls_url: str, ca: Path, with_binding: bool) -> list:
    E, C = str(BUILD / "etna_client"), str(BUILD / "curl_client")
    P = [PY, str(HERE / "py_client.py")]
    u, k, ca = sb.url, sb.key, str(ca)
    L = [
        # name, label, argv without N, extra args after N, vs-libcurl baseline, vs-requests baseline
        ("etna-reuse", "etna-auth C ABI, one session", [E, "reuse", u, k], [], "curl-reuse", "requests-reuse"),
        ("etna-new", "etna-auth C ABI, new session per login", [E, "new", u, k], [], "curl-new", "requests-reuse"),
        ("curl-reuse", "libcurl by hand, easy handle reused", [C, "reuse", u, k], [], "curl-reuse", "requests-reuse"),
        ("curl-new", "libcurl by hand, new easy handle per login", [C, "new", u, k], [], "curl-new", "requests-reuse"),
        ("requests-reuse", "Python requests, Session reused", P + ["requests", "reuse", u, k], [], "curl-reuse", "requests-reuse"),
    ]
    if with_binding:
        L.append(("binding-reuse", "Python binding (etna_auth), Session reused", P + ["binding", "reuse", u, k], [],
                  "curl-reuse", "requests-reuse"))
    L += [
        ("tls-etna-new", "TLS: etna-auth (rustls), new session per login", [E, "new", tls_url, k], [ca],
         "tls-curl-new", None),
        ("tls-curl-new", "TLS: libcurl+OpenSSL, new handle per login", [C, "new", tls_url, k], [ca],
         "tls-curl-new", None),
    ]
    return [dict(name=n, label=l, argv=a, extra=x, vs_curl=vc, vs_req=vr) for n, l, a, x, vc, vr in L]


def argv_for(c: dict, n: int) -> list:
    return c["argv"] + [str(n)] + c["extra"]


# -- statistics and the table ---------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:.{digits}f}"


def summarize(c: dict, runs: dict, n: int) -> dict:
    cpu1 = med(r["cpu"] for r in runs["one"])
    wall1 = med(r["wall"] for r in runs["one"])
    per_cpu = [(r["cpu"] - cpu1) / (n - 1) * 1e6 for r in runs["N"]] if n > 1 else [r["cpu"] * 1e6 for r in runs["N"]]
    per_wall = [(r["wall"] - wall1) / (n - 1) * 1e6 for r in runs["N"]] if n > 1 else [r["wall"] * 1e6 for r in runs["N"]]
    loop = [r["report"]["loop_cpu"] / n * 1e6 for r in runs["N"]]
    return {
        "name": c["name"], "label": c["label"],
        "cpu_us": med(per_cpu), "cpu_us_range": spread(per_cpu),
        "loop_cpu_us": med(loop),
        "wall_us": med(per_wall), "wall_us_range": spread(per_wall),
        "total_cpu_s": med(r["cpu"] for r in runs["N"]),
        "req_per_login": med(r["requests"] / n for r in runs["N"]),
        "conn_per_login": med(r["connections"] / n for r in runs["N"]),
        "rss_mib": med(k / 1024 for k in runs["rss"]) if runs["rss"] else None,
        "rss_mib_range": spread([k / 1024 for k in runs["rss"]]),
        "vmhwm_mib": med(k / 1024 for k in runs["vmhwm"] if k is not None),
        "cold_ms": med(r["wall"] * 1e3 for r in runs["one"]),
        "cold_ms_range": spread([r["wall"] * 1e3 for r in runs["one"]]),
        "cold_cpu_ms": med(r["cpu"] * 1e3 for r in runs["one"]),
        "vs_curl": c["vs_curl"], "vs_req": c["vs_req"],
    }


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(rows: list) -> str:
    by = {r["name"]: r for r in rows}
    out = ["| client | CPU/login µs (median [min–max]) | vs libcurl | vs requests | wall/login µs | "
           "requests/login | connections/login | peak RSS, 1 login, MiB | cold start ms (wall [min–max]) | cold start CPU ms |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lo, hi = r["cpu_us_range"]
        rc = ratio(r["cpu_us"], by.get(r["vs_curl"], {}).get("cpu_us"))
        rr = ratio(r["cpu_us"], by.get(r["vs_req"], {}).get("cpu_us")) if r["vs_req"] else None
        ccol = f"{rc:.2f}x {r['vs_curl'].replace('-', ' ')}" if rc is not None and r["vs_curl"] != r["name"] else ("1" if r["vs_curl"] == r["name"] else "n/a")
        rcol = "—" if r["vs_req"] is None else (f"{rr:.3f}x" if r["vs_req"] != r["name"] else "1")
        wl, wh = r["wall_us_range"]
        cl, ch = r["cold_ms_range"]
        out.append(f"| {r['label']} (`{r['name']}`) | {fmt(r['cpu_us'])} [{fmt(lo)}–{fmt(hi)}] | {ccol} | {rcol} | "
                   f"{fmt(r['wall_us'])} | {fmt(r['req_per_login'], 2)} | {fmt(r['conn_per_login'], 3)} | "
                   f"{fmt(r['rss_mib'], 2)} | {fmt(r['cold_ms'], 1)} [{fmt(cl, 1)}–{fmt(ch, 1)}] | {fmt(r['cold_cpu_ms'], 1)} |")
    return "\n".join(out)


def so_size() -> dict:
    raw = LIB.stat().st_size
    with tempfile.TemporaryDirectory() as d:
        dst = Path(d) / "lib.so"
        subprocess.run(["strip", "-o", str(dst), str(LIB)], check=True)
        stripped = dst.stat().st_size
    return {"bytes": raw, "stripped_bytes": stripped}


def targets(rows: list, size: dict) -> list:
    by = {r["name"]: r for r in rows}

    def get(n, k):
        return by.get(n, {}).get(k)

    out = []

    def check(what, value, limit, unit=""):
        if value is None:
            out.append(f"- {what}: n/a (client missing)")
        else:
            out.append(f"- {what}: {value:.3g}{unit} (target ≤ {limit:g}{unit}): {'MET' if value <= limit else 'MISSED'}")

    check("C ABI CPU/login vs libcurl, plain HTTP, session / easy handle reused",
          ratio(get("etna-reuse", "cpu_us"), get("curl-reuse", "cpu_us")), 0.7, "x")
    check("C ABI CPU/login vs libcurl, plain HTTP, new session / new handle per login",
          ratio(get("etna-new", "cpu_us"), get("curl-new", "cpu_us")), 0.7, "x")
    check("C ABI CPU/login vs libcurl+OpenSSL, TLS, new connection per login",
          ratio(get("tls-etna-new", "cpu_us"), get("tls-curl-new", "cpu_us")), 0.5, "x")
    check("Python binding CPU/login vs requests", ratio(get("binding-reuse", "cpu_us"), get("requests-reuse", "cpu_us")), 0.1, "x")
    for n in ("etna-reuse", "etna-new", "tls-etna-new", "binding-reuse"):
        if n in by:
            check(f"TCP connections per login, {n}", get(n, "conn_per_login"), 1)
    check("stripped libetna_auth.so", size["stripped_bytes"] / 2**20, 2.5, " MiB")
    check("peak RSS of a C client doing one login, plain HTTP", get("etna-reuse", "rss_mib"), 4, " MiB")
    check("peak RSS of a C client doing one login, TLS", get("tls-etna-new", "rss_mib"), 6, " MiB")
    return out


def machine() -> str:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    curl_v = subprocess.run(["curl-config", "--version"], capture_output=True, text=True).stdout.strip()
    ssl_v = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        import requests
        req_v = requests.__version__
    except ImportError:
        req_v = "?"
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({model}), Linux {platform.release()}; "
            f"{rustc}; {curl_v}; {ssl_v}; Python {platform.python_version()}, requests {req_v}")


# -- main -----------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logins", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    if args.smoke:
        args.logins, args.reps = 5, 1
    n = args.logins
    if n < 2:
        raise SystemExit("--logins must be at least 2")

    have_binding, why = binding_available()
    log(f"Python binding: {why}")
    failures = []
    if have_binding is None:
        failures.append(why)

    tmp = Path(tempfile.mkdtemp(prefix="etna-bench-"))
    sb = front = cap = None
    try:
        ca, cert, key = make_certs(tmp)
        sb = SandboxHost()
        front = TlsFront(cert, key, "127.0.0.1", sb.port)
        tls_url = f"https://127.0.0.1:{front.port}{sb.path}"
        log(f"server: sandbox_host pid {sb.proc.pid} at {sb.url}; TLS front pid {front.proc.pid} at {tls_url}")
        cs = clients(sb, tls_url, ca, bool(have_binding))

        # 1. Same requests on the wire (plain HTTP clients against a capturing server).
        cap = CaptureServer()
        seen = {}
        for c in cs:
            if c["name"].startswith("tls-"):
                continue
            argv = [a.replace(sb.url, f"http://127.0.0.1:{cap.port}{sb.path}") for a in argv_for(c, 1)]
            r = run_child(argv)
            reqs = cap.take()
            if r["rc"] != 0:
                failures.append(f"{c['name']} against the capturing server: exit {r['rc']}: {r['stderr']}")
                continue
            seen[c["name"]] = [normalized(q) for q in reqs]
        ref = seen.get("etna-reuse")
        for name, reqs in seen.items():
            if reqs != ref:
                failures.append(f"{name} does not send the same requests as etna-auth:\n  etna-auth: {ref}\n  {name}: {reqs}")
        if ref:
            log("request headers (all clients): " + " | ".join(
                f"{line}: " + ", ".join(h for h, _ in hs) for line, hs in ref))

        # 2. Warm-up and correctness: every client, N = 5.
        for c in cs:
            before = sb.count()
            r = run_child(argv_for(c, 5))
            after = sb.count()
            if r["rc"] != 0:
                failures.append(f"{c['name']}: exit {r['rc']}: {r['stderr']}")
                continue
            reqs, conns = after[0] - before[0], after[1] - before[1]
            if reqs != 10 or conns > 5 or conns < 1:
                failures.append(f"{c['name']}: 5 logins made {reqs} requests on {conns} connections (expected 10 on 1..5)")
            log(f"ok   {c['name']:<15} 5 logins: {reqs} requests, {conns} connections, cpu {r['cpu'] * 1e3:.1f} ms")
        if failures:
            for f in failures:
                log("FAIL " + f)
            return 1
        if args.smoke:
            for c in cs:
                rc, kb, hwm, err = peak_rss_kb(argv_for(c, 1))
                if rc != 0 or kb is None:
                    log(f"FAIL {c['name']} under /usr/bin/time: exit {rc}: {err}")
                    return 1
                log(f"ok   {c['name']:<15} one login under /usr/bin/time: peak RSS {kb / 1024:.1f} MiB")
            log("smoke: every client works")
            return 0

        # 3. Measurements.
        runs = {c["name"]: {"N": [], "one": [], "rss": [], "vmhwm": []} for c in cs}
        started = time.time()
        for rep in range(args.reps):
            order = cs[rep % len(cs):] + cs[:rep % len(cs)]
            for c in order:
                R = runs[c["name"]]
                before = sb.count()
                r = run_child(argv_for(c, n))
                after = sb.count()
                if r["rc"] != 0:
                    raise SystemExit(f"{c['name']} failed: {r['stderr']}")
                r["requests"], r["connections"] = after[0] - before[0], after[1] - before[1]
                R["N"].append(r)
                r1 = run_child(argv_for(c, 1))
                if r1["rc"] != 0:
                    raise SystemExit(f"{c['name']} failed: {r1['stderr']}")
                R["one"].append(r1)
                rc, kb, hwm, err = peak_rss_kb(argv_for(c, 1))
                if rc != 0:
                    raise SystemExit(f"{c['name']} failed under /usr/bin/time: {err}")
                R["rss"].append(kb)
                R["vmhwm"].append(hwm)
                log(f"rep {rep + 1}/{args.reps} {c['name']:<15} N={n}: cpu {r['cpu']:.3f} s, wall {r['wall']:.3f} s, "
                    f"{r['requests']} req / {r['connections']} conn; 1 login: {r1['wall'] * 1e3:.1f} ms wall, "
                    f"{r1['cpu'] * 1e3:.1f} ms cpu; peak RSS {kb} kB (VmHWM {hwm} kB)")
        rows = [summarize(c, runs[c["name"]], n) for c in cs]
        size = so_size()
        tg = targets(rows, size)
        md = [f"Machine: {machine()}", "",
              f"Command: `bash bench/run.sh {n}{'' if args.reps == 5 else f' --reps {args.reps}'}` ({n} two-factor logins per client run, {args.reps} repetitions, "
              f"{time.time() - started:.0f} s)", "", table(rows), "",
              f"libetna_auth.so: {size['bytes']} bytes, stripped {size['stripped_bytes']} bytes "
              f"({size['stripped_bytes'] / 2**20:.2f} MiB)", "", "Targets:", *tg, ""]
        text = "\n".join(md)
        print(text)
        outdir = Path(args.out)
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / f"latest-N{n}.md").write_text(text)
        raw = {"n": n, "reps": args.reps, "machine": machine(), "so": size, "rows": rows,
               "runs": {k: {kk: [({x: y for x, y in e.items() if x != "stderr"} if isinstance(e, dict) else e)
                                 for e in vv] for kk, vv in v.items()} for k, v in runs.items()}}
        (outdir / f"latest-N{n}.json").write_text(json.dumps(raw, indent=1))
        log(f"written: {outdir}/latest-N{n}.md and .json")
        return 0
    finally:
        for x in (cap, front, sb):
            if x is not None:
                (x.close if isinstance(x, CaptureServer) else x.stop)()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
