#!/usr/bin/env python3
"""The library's footprint: stripped size, what it links (NEEDED), peak RSS of one login.

    python3 bench/footprint.py [LIBDIR] [--runs 5]   # after bench/run.sh (or its build step) made bench/build

LIBDIR holds the libetna_auth.so to measure (default target/release); the
bench clients load it through LD_LIBRARY_PATH, as bench/costs.py --variants
does. Peak RSS is /usr/bin/time's %M for `etna_client new URL KEY 1` over
plain HTTP and over TLS (bench/bench.py's server and TLS front), the median
and range of --runs runs. Prints one Markdown table row per figure.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402


def stripped_size(lib: Path) -> int:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.so"
        subprocess.run(["strip", "-o", str(out), str(lib)], check=True)
        return out.stat().st_size


def needed(lib: Path) -> list:
    p = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True, check=True)
    return [line.split("[")[1].rstrip("]") for line in p.stdout.splitlines() if "(NEEDED)" in line]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("libdir", nargs="?", default=str(bench.ROOT / "target" / "release"))
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    libdir = Path(a.libdir).resolve()
    lib = libdir / "libetna_auth.so"
    os.environ["LD_LIBRARY_PATH"] = str(libdir)  # bench.child_env() passes it on
    size = stripped_size(lib)
    print(f"| stripped `{lib}` | {size:,} B ({size / 2**20:.2f} MiB) |")
    print(f"| NEEDED | {', '.join(needed(lib))} |")
    with bench.servers() as (sb, tls_url, ca):
        cs = {c["name"]: c for c in bench.clients(sb, tls_url, ca, False)}
        for name, what in (("etna-new", "plain HTTP"), ("tls-etna-new", "TLS")):
            kbs = []
            for _ in range(a.runs):
                rc, kb, _, err = bench.peak_rss_kb(bench.argv_for(cs[name], 1))
                if rc != 0 or kb is None:
                    raise SystemExit(f"footprint.py: {name} failed: {err[-500:]}")
                kbs.append(kb)
            print(f"| peak RSS, one login, {what} (`{name}`, {a.runs} runs) | "
                  f"{statistics.median(kbs) / 1024:.2f} MiB ({min(kbs)}-{max(kbs)} KiB) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
