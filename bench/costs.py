#!/usr/bin/env python3
"""Deterministic costs per login: user-space instructions (callgrind) and system calls (strace).

    python3 bench/costs.py [--variants] [--only binding-reuse,etna-reuse]   # after bench/run.sh has built bench/build

CPU time on a shared 2-core VM is noisy; instruction and system-call counts
are not. For each client this runs it under `valgrind --tool=callgrind` and
`strace -f -c` twice, with N1 and N2 logins, and reports (count(N2) -
count(N1)) / (N2 - N1): the cost of one more login, without process start.
For etna-auth it also splits the instructions of one login by where they are
spent (self cost per function, grouped by crate / library).
--variants: the same instruction count for each library build made by
bench/variants.py build (LD_LIBRARY_PATH overrides the client's RUNPATH).
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import variants  # noqa: E402


def callgrind(argv: list, out: Path, env_extra: dict = None) -> int:
    env = bench.child_env()
    env.update(env_extra or {})
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"callgrind {argv}: {p.stderr[-2000:]}")
    m = re.search(r"Collected : (\d+)", p.stderr)
    return int(m.group(1))


def self_costs(out: Path) -> dict:
    p = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)], capture_output=True, text=True)
    costs = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            costs[m.group(2)] = costs.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return costs


# (group, regex, matched against): "line" is the whole callgrind entry
# ("file:function [object]"), "fn" the function name alone.
GROUPS = [
    ("malloc/free (libc)", r"malloc\.c|__rdl_alloc|__rdl_dealloc|__rust_alloc|__rust_dealloc|__rdl_realloc", "line"),
    ("memcpy/memset/memcmp/memchr", r"mem(move|cpy|set|cmp|chr|rchr)|strlen|strchr", "line"),
    ("libcurl", r"libcurl\.so", "line"),
    ("OpenSSL (libssl, libcrypto)", r"libssl\.so|libcrypto\.so", "line"),
    ("ld.so (symbol binding)", r"ld-linux", "line"),
    ("CPython", r"python|libpython|\.cpython-", "line"),
    ("ring (crypto)", r"^(ring::|ring_core_|fe_|ge_|table_select|x25519|_aesni|aes_|gcm_|sha\d|bn_|LIMBS_|ecp_|p256|nistz|GFp|ChaCha|poly1305)", "fn"),
    ("http + bytes crates (HeaderName, HeaderMap, request builder)", r"^<?(http|bytes)::|<http::|<bytes::", "fn"),
    ("rustls + webpki + pki-types (TLS, certificates, PEM)", r"rustls|webpki|untrusted::|\bder::", "fn"),
    ("ureq-proto + httparse (HTTP/1.1 writer and parser)", r"ureq_proto|httparse", "fn"),
    ("ureq (agent, pool, timeouts, run loop)", r"ureq::", "fn"),
    ("serde_json (answer parsing)", r"serde_json|serde::|serde_core", "fn"),
    ("zeroize (wiping secrets)", r"zeroize|Zeroiz", "fn"),
    ("core::fmt (formatting)", r"core::fmt|default_write_fmt|fmt::", "fn"),
    ("etna_auth (our functions)", r"etna_auth::|^etna_", "fn"),
    ("libc (other)", r"libc\.so", "line"),
]


def group_of(line: str) -> str:
    fn = line.split(":", 1)[1] if line.startswith("???:") else line.split(":", 1)[-1]
    fn = fn.rsplit(" [", 1)[0]
    for name, rx, what in GROUPS:
        if re.search(rx, line if what == "line" else fn):
            return name
    if "libetna_auth" in line:
        return "other code in libetna_auth.so (std, inlined generics)"
    return "other (executable, other shared libraries)"


def strace_per_call(argv: list) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".strace") as f:
        subprocess.run(["strace", "-f", "-c", "-o", f.name, *argv], capture_output=True, env=bench.child_env(), check=True)
        text = Path(f.name).read_text()
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            calls[parts[-1]] = int(parts[3])
    return calls


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", action="store_true")
    ap.add_argument("--only", help="comma-separated client names (e.g. binding-reuse,etna-reuse): measure only these")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="etna-profile-"))
    try:
        with bench.servers() as (sb, tls_url, ca):
            have_binding, _ = bench.binding_available()
            cs = {c["name"]: c for c in bench.clients(sb, tls_url, ca, bool(have_binding))}
            plan = [("etna-reuse", 1, 101), ("curl-reuse", 1, 101), ("etna-new", 1, 101), ("curl-new", 1, 101),
                    ("tls-etna-new", 1, 11), ("tls-curl-new", 1, 11), ("requests-reuse", 1, 101)]
            if have_binding:
                # 100 logins apart: CPython's warm-up (specialising, GC passes)
                # moved the count of 20 by +-30 k from run to run; at 100, +-2 k.
                plan.append(("binding-reuse", 1, 101))
            if a.only:
                only = a.only.split(",")
                unknown = set(only) - {name for name, *_ in plan}
                if unknown:
                    raise SystemExit(f"costs.py: --only: unknown or unavailable client(s) {sorted(unknown)}")
                plan = [p for p in plan if p[0] in only]
            if a.variants:
                print("| [profile.release] variant | stripped .so | instructions/login, plain HTTP, session reused | "
                      "instructions/login, TLS, new session per login |")
                print("|---|---|---|---|")
                base = None
                for name, *_ in variants.VARIANTS:
                    libdir = variants.OUT / variants.slug(name) / "release"
                    if not (libdir / "libetna_auth.so").exists():
                        continue
                    env = {"LD_LIBRARY_PATH": str(libdir)}
                    vals = []
                    for cname, n1, n2 in (("etna-reuse", 1, 101), ("tls-etna-new", 1, 11)):
                        c = cs[cname]
                        i1 = callgrind(bench.argv_for(c, n1), tmp / "v1.out", env)
                        i2 = callgrind(bench.argv_for(c, n2), tmp / "v2.out", env)
                        vals.append((i2 - i1) / (n2 - n1))
                    size = variants.stripped_size(libdir / "libetna_auth.so")
                    base = base or (size, *vals)
                    print(f"| {name} | {size / 2**20:.2f} MiB ({size / base[0] - 1:+.0%}) | {vals[0] / 1e3:.0f} k ({vals[0] / base[1] - 1:+.0%}) | "
                          f"{vals[1] / 1e6:.2f} M ({vals[1] / base[2] - 1:+.0%}) |", flush=True)
                return 0

            rows = {}
            breakdown = {}
            for name, n1, n2 in plan:
                c = cs[name]
                o1, o2 = tmp / f"{name}.1.out", tmp / f"{name}.2.out"
                i1 = callgrind(bench.argv_for(c, n1), o1)
                i2 = callgrind(bench.argv_for(c, n2), o2)
                s1 = strace_per_call(bench.argv_for(c, n1))
                s2 = strace_per_call(bench.argv_for(c, n2))
                per_sys = {k: (s2.get(k, 0) - s1.get(k, 0)) / (n2 - n1) for k in set(s1) | set(s2)}
                per_sys = {k: v for k, v in per_sys.items() if v >= 0.05}
                rows[name] = ((i2 - i1) / (n2 - n1), sum(per_sys.values()), per_sys)
                if name in ("etna-reuse", "tls-etna-new", "curl-reuse", "tls-curl-new"):
                    c1, c2 = self_costs(o1), self_costs(o2)
                    g = collections.Counter()
                    for fn in set(c1) | set(c2):
                        g[group_of(fn)] += (c2.get(fn, 0) - c1.get(fn, 0)) / (n2 - n1)
                    breakdown[name] = g
                print(f"{name}: {rows[name][0]:.0f} instructions and {rows[name][1]:.1f} system calls per login", file=sys.stderr, flush=True)

            print("| client | user-space instructions per login | vs libcurl | system calls per login | which (per login) |")
            print("|---|---|---|---|---|")
            base = {"etna-reuse": "curl-reuse", "etna-new": "curl-new", "curl-reuse": "curl-reuse", "curl-new": "curl-new",
                    "tls-etna-new": "tls-curl-new", "tls-curl-new": "tls-curl-new", "requests-reuse": "curl-reuse",
                    "binding-reuse": "curl-reuse"}
            for name, (ins, sysc, per) in rows.items():
                which = ", ".join(f"{k} {v:g}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
                vs = f"{ins / rows[base[name]][0]:.2f}x" if base[name] in rows else "n/a"
                print(f"| `{name}` | {ins / 1e3:.0f} k | {vs} | {sysc:.1f} | {which} |")
            for name, g in breakdown.items():
                total = sum(g.values())
                print(f"\nWhere one more login's user-space instructions go, `{name}` ({total / 1e3:.0f} k):\n")
                print("| part | instructions | share |")
                print("|---|---|---|")
                for part, v in g.most_common():
                    if v / total >= 0.005:
                        print(f"| {part} | {v / 1e3:.1f} k | {v / total:.0%} |")
            sc = bench.BUILD / "syscall_cost"
            if sc.exists():
                print("\nbench/syscall_cost (the system calls ureq adds to every request):\n")
                print(subprocess.run([str(sc)], capture_output=True, text=True).stdout)
            return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
