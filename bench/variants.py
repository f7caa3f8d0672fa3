#!/usr/bin/env python3
"""What release-profile settings cost or gain: .so size and client CPU per login.

    python3 bench/variants.py build [--src DIR]     # builds each variant of libetna_auth.so into /tmp/etna-variants/<name>
    python3 bench/variants.py measure [--logins N] [--reps R]

build: snapshots the committed tree (git archive HEAD) unless --src is given,
and builds the library (`cargo build --release --lib`) once per variant with
CARGO_PROFILE_RELEASE_* overrides, each in its own target directory
(Cargo.toml is not touched). measure: starts the benchmark's server
(bench/build/sandbox_host from the normal build) and TLS front, then runs
bench/build/etna_client against each variant (LD_LIBRARY_PATH overrides the
client's RUNPATH), interleaved, R repetitions: plain HTTP one session reused
(N logins) and TLS new session per login (N/4 logins); CPU per login from
wait4 minus a 1-login run, medians. Needs bench/run.sh to have built bench/build.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402

OUT = Path("/tmp/etna-variants")
VARIANTS = [
    # name, env overrides, cargo args, usable (panic must stay unwind: the C ABI catches panics)
    ("default (opt 3, no LTO, 16 CGUs)", {}, [], True),
    ("lto=fat, codegen-units=1", {"LTO": "fat", "CODEGEN_UNITS": "1"}, [], True),
    ("lto=fat, codegen-units=1, opt-level=s", {"LTO": "fat", "CODEGEN_UNITS": "1", "OPT_LEVEL": "s"}, [], True),
    ("lto=fat, codegen-units=1, no sandbox feature", {"LTO": "fat", "CODEGEN_UNITS": "1"}, ["--no-default-features"], True),
    ("lto=fat, codegen-units=1, panic=abort (NOT usable)", {"LTO": "fat", "CODEGEN_UNITS": "1", "PANIC": "abort"}, [], False),
]


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.split(" (")[0]).strip("-")


def build(src: Path) -> None:
    for name, env_over, cargo_args, _ in VARIANTS:
        target = OUT / slug(name)
        env = dict(os.environ, CARGO_TARGET_DIR=str(target))
        for k, v in env_over.items():
            env[f"CARGO_PROFILE_RELEASE_{k}"] = v
        print(f"building {name} -> {target}", flush=True)
        subprocess.run(["cargo", "build", "--release", "--lib", "--quiet", *cargo_args], cwd=src, env=env, check=True)


def stripped_size(so: Path) -> int:
    with tempfile.TemporaryDirectory() as d:
        dst = Path(d) / "x.so"
        subprocess.run(["strip", "-o", str(dst), str(so)], check=True)
        return dst.stat().st_size


def run(argv: list, libdir: Path) -> float:
    env = bench.child_env()
    env["LD_LIBRARY_PATH"] = str(libdir)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} with {libdir}: {err.decode()}")
    return ru.ru_utime + ru.ru_stime


def measure(n: int, reps: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="etna-variants-"))
    sb = front = None
    E = str(bench.BUILD / "etna_client")
    rows = []
    try:
        ca, cert, key = bench.make_certs(tmp)
        sb = bench.SandboxHost()
        front = bench.TlsFront(cert, key, "127.0.0.1", sb.port)
        tls_url = f"https://127.0.0.1:{front.port}{sb.path}"
        n_tls = max(2, n // 4)
        present = [(v, OUT / slug(v[0]) / "release") for v in VARIANTS if (OUT / slug(v[0]) / "release" / "libetna_auth.so").exists()]
        res = {v[0]: {"plain": [], "tls": [], "plain1": [], "tls1": []} for v, _ in present}
        for rep in range(reps):
            for (name, *_), libdir in present:
                r = res[name]
                r["plain"].append(run([E, "reuse", sb.url, sb.key, str(n)], libdir))
                r["plain1"].append(run([E, "reuse", sb.url, sb.key, "1"], libdir))
                r["tls"].append(run([E, "new", tls_url, sb.key, str(n_tls), str(ca)], libdir))
                r["tls1"].append(run([E, "new", tls_url, sb.key, "1", str(ca)], libdir))
            print(f"rep {rep + 1}/{reps} done", file=sys.stderr, flush=True)
        base = None
        for (name, _, _, usable), libdir in present:
            r = res[name]
            p1, t1 = statistics.median(r["plain1"]), statistics.median(r["tls1"])
            plain = statistics.median((c - p1) / (n - 1) * 1e6 for c in r["plain"])
            tls = statistics.median((c - t1) / (n_tls - 1) * 1e6 for c in r["tls"])
            so = libdir / "libetna_auth.so"
            row = {"name": name, "usable": usable, "stripped": stripped_size(so), "plain_us": plain, "tls_us": tls,
                   "plain_range": (min((c - p1) / (n - 1) * 1e6 for c in r["plain"]), max((c - p1) / (n - 1) * 1e6 for c in r["plain"])),
                   "tls_range": (min((c - t1) / (n_tls - 1) * 1e6 for c in r["tls"]), max((c - t1) / (n_tls - 1) * 1e6 for c in r["tls"]))}
            base = base or row
            rows.append(row)
        print(f"| [profile.release] variant | stripped .so | plain HTTP CPU/login µs, session reused ({n} logins) | "
              f"TLS CPU/login µs, new session per login ({n_tls} logins) |")
        print("|---|---|---|---|")
        for row in rows:
            print(f"| {row['name']} | {row['stripped'] / 2**20:.2f} MiB ({row['stripped'] / base['stripped'] - 1:+.0%}) | "
                  f"{row['plain_us']:.1f} [{row['plain_range'][0]:.1f}–{row['plain_range'][1]:.1f}] ({row['plain_us'] / base['plain_us'] - 1:+.0%}) | "
                  f"{row['tls_us']:.0f} [{row['tls_range'][0]:.0f}–{row['tls_range'][1]:.0f}] ({row['tls_us'] / base['tls_us'] - 1:+.0%}) |")
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "variants.json").write_text(json.dumps({"n": n, "reps": reps, "rows": rows}, indent=1))
    finally:
        for x in (front, sb):
            if x is not None:
                x.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["build", "measure"])
    ap.add_argument("--src", default=None)
    ap.add_argument("--logins", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    if a.what == "build":
        src = Path(a.src) if a.src else Path(tempfile.mkdtemp(prefix="etna-src-"))
        if not a.src:
            subprocess.run(f"git -C {bench.ROOT} archive HEAD | tar -x -C {src}", shell=True, check=True)
        build(src)
    else:
        measure(a.logins, a.reps)


if __name__ == "__main__":
    main()
