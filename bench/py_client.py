#!/usr/bin/env python3
"""N two-factor logins (carol: password, then the emailed code) from Python.

    py_client.py requests|binding reuse|new BASE_URL APP_KEY N [CA_FILE]

requests: the vendor's sample style, hand-written requests with a reused
          ``requests.Session`` (reuse) or a new Session per login (new).
binding:  etna-auth's Python binding (bindings/python, ctypes), one
          ``etna_auth.Session`` reused, or one per login.

Prints one JSON line like the C clients; exits non-zero if a login fails.
The binding is found through ETNA_AUTH_BINDING_DIR (the directory that holds
the ``etna_auth`` package) and ETNA_AUTH_LIB (the .so), set by bench/bench.py.
"""
import json
import os
import resource
import signal
import sys

USER, PASSWORD, CODE = "carol", "carol-pass", "123456"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vmhwm_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def make_requests(url: str, key: str, ca):
    import requests
    from urllib3.util import SKIP_HEADER

    endpoint = url.rstrip("/") + "/token"
    # The same header set as etna-auth and the libcurl client: no Connection
    # header (HTTP/1.1 keeps the connection alive by default), and no
    # Accept-Encoding (http.client would add "identity"; urllib3's SKIP_HEADER drops it).
    base = {"Et-App-Key": key, "Username": USER, "Password": PASSWORD}

    def new_session():
        s = requests.Session()
        s.trust_env = False  # straight to the loopback server, no proxy lookup
        s.headers = {"User-Agent": "requests-bench/1.0", "Accept": "application/json",
                     "Accept-Encoding": SKIP_HEADER}
        if ca is not None:
            s.verify = ca
        return s

    def login(s) -> str:
        r = s.post(endpoint, headers=base)
        body = r.json()
        if r.status_code != 202 or body.get("Step") != "VerificationCode":
            raise RuntimeError(f"unexpected first answer {r.status_code} {body}")
        r = s.post(endpoint, headers={**base, "Authorization": "Bearer " + body["Token"],
                                      "VerificationCode": CODE})
        body = r.json()
        if r.status_code != 200 or body.get("State") != "Succeeded":
            raise RuntimeError(f"unexpected second answer {r.status_code} {body}")
        return body["Token"]

    return new_session, login, lambda s: s.close()


def make_binding(url: str, key: str, ca):
    # As in an interactive program: Python's own SIGINT handler. A client
    # started from a background job inherits SIGINT ignored, and the
    # binding then skips its Ctrl-C watcher (6 k instructions and one
    # system call less per login): the count would depend on the shell.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, os.environ["ETNA_AUTH_BINDING_DIR"])
    import etna_auth

    def new_session():
        return etna_auth.Session(url, key, ca_file=ca)

    def login(s) -> str:
        return s.login(USER, PASSWORD, code=CODE)

    return new_session, login, lambda s: s.close()


def main() -> int:
    if len(sys.argv) < 6 or sys.argv[1] not in ("requests", "binding") or sys.argv[2] not in ("reuse", "new"):
        print(__doc__, file=sys.stderr)
        return 64
    kind, mode, url, key, n = sys.argv[1:6]
    ca = sys.argv[6] if len(sys.argv) > 6 else None
    n = int(n)
    c0 = cpu()
    new_session, login, close = (make_requests if kind == "requests" else make_binding)(url, key, ca)
    token = ""
    if mode == "reuse":
        s = new_session()
        for _ in range(n):
            token = login(s)
        close(s)
    else:
        for _ in range(n):
            s = new_session()
            token = login(s)
            close(s)
    if not token:
        return 3
    print(json.dumps({"client": f"{kind}-{mode}", "logins": n, "loop_cpu": cpu() - c0,
                      "vmhwm_kb": vmhwm_kb(), "token_len": len(token)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
