#!/usr/bin/env python3
"""The one scripted hostile server of the scenario runners (Rust, Python, C#).

    python3 hostile_server.py [SCENARIOS_JSON] [--connect PORT]

Serves every scenario of scenarios.json (README.md beside this file
describes the format) on 127.0.0.1, keyed by a path prefix: a scenario run
gets the base URL ``SCHEME://HOST:PORT/s/<scenario id>/<run>/api``, and each
request under that prefix is answered by the first of the scenario's
``answers`` rules that matches it. Python standard library only.

It listens on four ports: plain http; https with ``tests/pki/server.pem``
(localhost and 127.0.0.1, signed by ``tests/pki/ca.pem``); https with
``tests/pki/wrong-name.pem`` (wrong-name.example only, same CA); and it
knows a fourth port with nothing listening (connection refused). A TLS
ClientHello on the plain port gets a plain-http 400 answer (an https URL to
a plain http server).

Control, one line in and one JSON line out, on standard input and output,
or with ``--connect PORT`` over a TCP connection the server makes to
127.0.0.1:PORT (for a runner whose pipes a Unix child cannot use, as a
Windows test under Wine):

    (at start)        {"ready": true, "http": P, "https": P, "https_wrong_name": P, "refused": P}
    open ID           {"url": "...", "key": "ID/RUN"}       a fresh run of scenario ID
    stats ID/RUN      {"requests": N, "connections": N, "violations": [...]}
    (end of input)    the server exits (the connection closes, with --connect)

``requests`` counts the requests read under the run's prefix, ``connections``
the connections that carried at least one of them, and ``violations`` lists
what the server found wrong in them (``expect_request`` of a rule, a request
that is not ``POST <base>/token``, no rule matching, ...). Errors in a
command get ``{"error": "..."}``.
"""

import json
import os
import re
import select
import socket
import ssl
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.normpath(os.path.join(HERE, "..", "pki"))
MAX_HEAD = 1 << 20


class Run:
    """The counters of one run of one scenario."""

    def __init__(self, scenario, key, url):
        self.scenario = scenario
        self.key = key
        self.url = url
        self.requests = 0
        self.connections = 0
        self.violations = []


class State:
    def __init__(self, doc):
        self.doc = doc
        self.responses = doc.get("responses", {})
        self.scenarios = {s["id"]: s for s in doc["scenarios"]}
        self.runs = {}
        self.next_run = 0
        self.lock = threading.Lock()
        self.stray = []  # requests outside any run
        self.ports = {}

    def open(self, sid):
        scenario = self.scenarios.get(sid)
        if scenario is None:
            return {"error": "no scenario %r" % sid}
        server = scenario.get("server", {})
        kind = server.get("kind", "script")
        host = server.get("host", "127.0.0.1")
        with self.lock:
            self.next_run += 1
            run_id = self.next_run
        key = "%s/%d" % (sid, run_id)
        if kind == "refused":
            url = "http://%s:%d/api" % (host, self.ports["refused"])
        elif kind == "script":
            transport = server.get("transport", "http")
            scheme, port = {
                "http": ("http", "http"),
                "https": ("https", "https"),
                "https-wrong-name": ("https", "https_wrong_name"),
                "https-to-plain": ("https", "http"),
            }[transport]
            url = "%s://%s:%d/s/%s/api" % (scheme, host, self.ports[port], key)
        else:
            return {"error": "scenario %r has server kind %r: nothing to open" % (sid, kind)}
        with self.lock:
            self.runs[key] = Run(scenario, key, url)
        return {"url": url, "key": key}

    def stats(self, key):
        with self.lock:
            run = self.runs.get(key)
            if run is None:
                return {"error": "no run %r" % key}
            return {
                "requests": run.requests,
                "connections": run.connections,
                "violations": list(run.violations),
                "stray": len(self.stray),
            }


# -- bytes from the JSON ---------------------------------------------------


def garbage(n):
    """Deterministic binary garbage (the same bytes as the old Rust table)."""
    return bytes((((i * 2654435761) & 0xFFFFFFFF) >> 13) & 0xFF for i in range(n))


def to_bytes(value, ctx):
    """A byte string of the JSON: a string (UTF-8, "{self}" replaced by the
    run's base URL), or a list of pieces: strings, {"hex": "..."},
    {"garbage": N}, {"repeat": STRING, "times": N, "numbered": false}, and
    whole answers ({"http": ...} or {"response": NAME, ...}) as bytes."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.replace("{self}", ctx["self"]).encode("utf-8")
    if isinstance(value, list):
        return b"".join(to_bytes(v, ctx) for v in value)
    if isinstance(value, dict):
        if "response" in value:
            value = dict(ctx["responses"][value["response"]], **{k: v for k, v in value.items() if k != "response"})
        if "http" in value:
            return http_answer(value, ctx)
        if "hex" in value:
            return bytes.fromhex(value["hex"])
        if "garbage" in value:
            return garbage(value["garbage"])
        if "repeat" in value:
            times = value.get("times", 1)
            if value.get("numbered"):
                return b"".join(to_bytes(value["repeat"].replace("{i}", str(i)), ctx) for i in range(times))
            return to_bytes(value["repeat"], ctx) * times
    raise ValueError("not a byte string: %r" % (value,))


def http_answer(action, ctx):
    if isinstance(action.get("body"), dict):
        body = json.dumps(action["body"], separators=(",", ":")).encode("ascii")
    else:
        body = to_bytes(action.get("body", ""), ctx)
    lines = ["HTTP/1.1 %d %s" % (action["http"], action.get("reason", "X"))]
    if action.get("content_type", "application/json") is not None:
        lines.append("Content-Type: " + action.get("content_type", "application/json"))
    length = action.get("content_length", "auto")
    if length == "auto":
        lines.append("Content-Length: %d" % len(body))
    elif length is not None:
        lines.append("Content-Length: %d" % length)
    head = ("\r\n".join(lines) + "\r\n").encode("ascii")
    for h in action.get("headers", []):
        head += to_bytes(h, ctx) + b"\r\n"
    head += to_bytes(action.get("head_extra"), ctx) + b"\r\n"
    answer = head + body
    cut = action.get("cut")
    if cut == "head":
        answer = head
    elif isinstance(cut, int):
        answer = answer[:cut] if cut >= 0 else answer[: len(answer) + cut]
    return answer


# -- sockets -----------------------------------------------------------------


class Gone(Exception):
    """The client went away."""


def peer_closed(conn, timeout):
    """Waits up to timeout seconds; True as soon as the peer has closed."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if isinstance(conn, ssl.SSLSocket):
            time.sleep(min(left, 0.05))
            continue
        try:
            readable, _, _ = select.select([conn], [], [], min(left, 0.25))
        except (OSError, ValueError):
            return True
        if readable:
            try:
                if conn.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except OSError:
                return True
            time.sleep(min(left, 0.05))  # data waiting: not ours to read now


def send(conn, data, drip_ms=None):
    try:
        if not drip_ms:
            conn.sendall(data)
            return
        for i in range(len(data)):
            conn.sendall(data[i : i + 1])
            if peer_closed(conn, drip_ms / 1000.0):
                raise Gone()
    except OSError:
        raise Gone()


def reset(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


def header_value(headers, name):
    name = name.lower().encode("ascii")
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def matches(rule, n, headers):
    when = rule.get("request")
    if when is not None and n not in (when if isinstance(when, list) else [when]):
        return False
    for name, value in rule.get("header", {}).items():
        if header_value(headers, name) != value.encode("utf-8"):
            return False
    for name in rule.get("no_header", []):
        if header_value(headers, name) is not None:
            return False
    return True


def check_request(expect, n, headers, violations):
    for name, value in expect.get("headers", {}).items():
        got = header_value(headers, name)
        if got != value.encode("utf-8"):
            violations.append("request %d: header %s is %r, expected %r" % (n, name, got, value))
    for name, pattern in expect.get("header_matches", {}).items():
        got = header_value(headers, name)
        if got is None or not re.search(pattern, got.decode("utf-8", "replace")):
            violations.append("request %d: header %s is %r, expected /%s/" % (n, name, got, pattern))
    for name in expect.get("absent", []):
        if header_value(headers, name) is not None:
            violations.append("request %d: header %s present, expected absent" % (n, name))


def play(state, conn, rule, ctx):
    """Runs one rule's actions; returns what to do with the connection."""
    actions = rule.get("do", [])
    try:
        for action in actions:
            if isinstance(action, str):
                action = state.responses[action]
            elif "response" in action:  # a named response with some fields changed
                action = dict(state.responses[action["response"]], **{k: v for k, v in action.items() if k != "response"})
            if "sleep_ms" in action:
                if peer_closed(conn, action["sleep_ms"] / 1000.0):
                    return "close"
            elif "http" in action:
                send(conn, http_answer(action, ctx), action.get("drip_ms"))
            elif "send" in action:
                data = to_bytes(action["send"], ctx)
                for _ in range(action.get("times", 1)):
                    send(conn, data, action.get("drip_ms"))
            else:
                raise ValueError("unknown action %r" % (action,))
    except Gone:
        return "close"
    return rule.get("then", "keep")


PATH = re.compile(r"^/s/([A-Za-z0-9_.-]+/\d+)(/.*)$")


def serve(state, conn, kind, tls_context):
    conn_id = object()
    runs_seen = set()
    try:
        conn.settimeout(30)
        if kind == "http":
            first = conn.recv(1, socket.MSG_PEEK)
            if first == b"\x16":  # a TLS ClientHello on the plain port
                conn.recv(65536)
                body = b"this is plain http"
                conn.sendall(b"HTTP/1.1 400 X\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                conn.close()
                return
        else:
            conn = tls_context.wrap_socket(conn, server_side=True)
        scheme = "http" if kind == "http" else "https"
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data or len(buf) > MAX_HEAD:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            request_line = lines[0].decode("latin-1")
            headers = []
            for line in lines[1:]:
                key, _, value = line.partition(b":")
                headers.append((key.strip(), value.strip()))
            length = int(header_value(headers, "Content-Length") or b"0")
            while len(buf) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            buf = buf[length:]
            parts = request_line.split(" ")
            m = PATH.match(parts[1]) if len(parts) == 3 else None
            with state.lock:
                run = state.runs.get(m.group(1)) if m else None
                if run is None:
                    state.stray.append("a request outside any run: %r" % request_line)
                    n = -1
                else:
                    n = run.requests
                    run.requests += 1
                    if run.key not in runs_seen:
                        runs_seen.add(run.key)
                        run.connections += 1
            if run is None:
                conn.sendall(b"HTTP/1.1 404 X\r\nContent-Length: 0\r\n\r\n")
                return
            violations = []
            base_path = "/s/%s/api" % run.key
            if parts[0] != "POST" or parts[1] != base_path + "/token" or parts[2] != "HTTP/1.1":
                violations.append("request %d: %r, expected 'POST %s/token HTTP/1.1'" % (n, request_line, base_path))
            host = (header_value(headers, "Host") or b"").decode("latin-1")
            ctx = {"self": "%s://%s%s" % (scheme, host, base_path), "responses": state.responses}
            rule = None
            for candidate in run.scenario["server"].get("answers", []):
                if matches(candidate, n, headers):
                    rule = candidate
                    break
            if rule is None:
                violations.append("request %d: no rule matches" % n)
            elif "expect_request" in rule:
                check_request(rule["expect_request"], n, headers, violations)
            if violations:
                with state.lock:
                    run.violations.extend(violations)
            if rule is None:
                return
            then = play(state, conn, rule, ctx)
            if then == "reset":
                reset(conn)
                return
            if then == "close":
                return
    except (OSError, ssl.SSLError, ValueError):
        return
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(state, kind, tls_context=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)

    def accept():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(state, conn, kind, tls_context), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return sock.getsockname()[1]


def tls_context(name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(PKI, name + ".pem"), os.path.join(PKI, name + ".key"))
    return ctx


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    args = sys.argv[1:]
    connect = None
    if "--connect" in args:
        i = args.index("--connect")
        connect = int(args[i + 1])
        del args[i : i + 2]
    path = args[0] if args else os.path.join(HERE, "scenarios.json")
    with open(path, encoding="utf-8") as f:
        state = State(json.load(f))
    state.ports = {
        "http": listen(state, "http"),
        "https": listen(state, "https", tls_context("server")),
        "https_wrong_name": listen(state, "https", tls_context("wrong-name")),
        "refused": free_port(),
    }
    out, lines = sys.stdout, sys.stdin
    if connect is not None:
        control = socket.create_connection(("127.0.0.1", connect))
        control.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out = control.makefile("w", encoding="utf-8", newline="\n")
        lines = control.makefile("r", encoding="utf-8", newline="\n")

    def say(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    say(dict(ready=True, **state.ports))
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == "open" and len(words) == 2:
            say(state.open(words[1]))
        elif words[0] == "stats" and len(words) == 2:
            say(state.stats(words[1]))
        else:
            say({"error": "unknown command %r" % line.strip()})


if __name__ == "__main__":
    main()
