#!/usr/bin/env python3
"""Checks the copies of the project's facts against their one source.

The status table (src/status_table.rs, written by capi/build.rs to
bindings/status_codes.json) and the defaults of src/defaults.rs (written to
include/etna_auth.h) are the sources. The README's status table is made
from them: `python3 tests/facts.py --write` rewrites it between its markers,
and without `--write` this script fails when it differs. The bindings check
their own copies in their suites (test_header.py, HeaderTests.cs), and the
CLI its exit codes (cli/tests).

Prints one line per check and `facts: N passed, N failed`.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "<!-- status table: made by tests/facts.py --write from src/status_table.rs -->"
END = "<!-- end of the status table -->"


def statuses():
    return json.loads((ROOT / "bindings" / "status_codes.json").read_text(encoding="utf-8"))


def readme_table():
    rows = ["| status | value | CLI exit code | retry can help | meaning |", "| --- | --- | --- | --- | --- |"]
    for s in statuses():
        retry = "yes" if s["retry"] else ""
        rows.append(f"| `{s['name']}` | {s['code']} | {s['exit']} | {retry} | {s['doc']} |")
    return "\n".join(rows)


def header_macro(name):
    header = (ROOT / "include" / "etna_auth.h").read_text(encoding="utf-8")
    found = re.search(rf"^#define {name} (\S+)$", header, re.M)
    return found.group(1) if found else None


def sandbox_account_checks(readme):
    """The README's table of the sandbox's accounts is the header's list
    (made by capi/build.rs from src/defaults.rs)."""
    header = (ROOT / "include" / "etna_auth.h").read_text(encoding="utf-8")
    listed = re.findall(r"^ \*   (\S+) / (\S+): (.+)$", header, re.M)

    def factors(text):
        return sorted(re.findall(r"\b(PIN|code) `?(\d+)`?", text))

    rows = {}
    for row in readme.splitlines():
        cells = [c.strip().strip("`") for c in row.strip("|").split("|")]
        if len(cells) == 3 and cells[0] and not cells[0].startswith("-"):
            rows[cells[0]] = (cells[1], factors(cells[2]))
    checks = [("the header lists the sandbox's accounts", bool(listed))]
    for user, password, second in listed:
        checks.append((f"the README lists the sandbox account {user} as the header does",
                       rows.get(user) == (password, factors(second))))
    return checks


def layout_checks(readme):
    """The README's layout table names paths that exist, and every folder
    at the top and every entry of src/ that git tracks."""
    start = readme.find("## Layout")
    table = readme[start:readme.find("\n## ", start + 5) if readme.find("\n## ", start + 5) > 0 else None]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    named = set()
    for cell in first_cells:
        named.update(re.findall(r"`([^`]+)`", cell))
    checks = [(f"the layout table's {path} exists", (ROOT / path).exists()) for path in sorted(named)]
    import subprocess
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return checks  # not a git checkout: only the paths above
    tops = {f.split("/")[0] + "/" for f in tracked if "/" in f and not f.startswith(".")}
    srcs = {"src/" + f.split("/")[1] + ("/" if f.count("/") > 1 else "") for f in tracked if f.startswith("src/")}
    for path in sorted(tops | srcs):
        bare = path.rstrip("/")
        ok = path in named or bare in named or any(n.startswith(path) for n in named) or f"`{path}`" in table
        checks.append((f"the layout table names {path}", ok))
    return checks


def main():
    write = "--write" in sys.argv[1:]
    results = []
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        results.append(("the README has the status table's markers", False))
    else:
        current = readme[start + len(BEGIN):end].strip()
        wanted = readme_table()
        if write and current != wanted:
            readme = readme[:start + len(BEGIN)] + "\n" + wanted + "\n" + readme[end:]
            readme_path.write_text(readme, encoding="utf-8")
            current = wanted
        results.append(("the README's status table is the status table's", current == wanted))
    codes = [s["code"] for s in statuses()]
    results.append(("every status code is unique", len(codes) == len(set(codes))))
    results.append(("every error status has its own CLI exit code",
                    len({s["exit"] for s in statuses() if s["code"] < 0}) == sum(1 for c in codes if c < 0)))
    for s in statuses():
        results.append((f"{s['name']} is {s['code']} in include/etna_auth.h", header_macro(s["name"]) == str(s["code"])))
    timeout = header_macro("ETNA_DEFAULT_TIMEOUT_MS")
    results.append(("the README states the default timeout of the header",
                    timeout is not None and f"default {int(timeout) // 1000} s" in readme))
    results += sandbox_account_checks(readme)
    results += layout_checks(readme)
    failed = 0
    for what, ok in results:
        print(("ok   " if ok else "FAIL ") + what)
        failed += not ok
    print(f"facts: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
