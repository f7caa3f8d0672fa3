"""Helpers for the tests: small scripted HTTP servers on 127.0.0.1, plain
sockets (no HTTP library) so that they can answer anything. The shared fault
matrix and the one test PKI are in tests/scenarios (test_scenarios.py)."""

import json
import socket
import ssl
import struct
import threading
import time
from typing import Callable, List, Optional

#: A scripted server's handler: (request index, request head, connection) -> keep alive.
Handler = Callable[[int, bytes, socket.socket], bool]


def http(status: int, body: "bytes | str | dict", *, reason: str = "X", headers: "tuple[str, ...]" = ()) -> bytes:
    """A complete HTTP/1.1 answer with Content-Length, kept alive."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    head += list(headers)
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


NEED_PIN_ANSWER = http(202, {"State": "Expecting", "Step": "SecutityPin", "Reason": "Expecting pin", "Token": "interim-1"})


def answer(*responses: bytes) -> Handler:
    """Answer the n-th request with responses[n] (the last one repeats)."""

    def handler(n: int, head: bytes, conn: socket.socket) -> bool:
        conn.sendall(responses[min(n, len(responses) - 1)])
        return True

    return handler


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class Server:
    """Accepts on 127.0.0.1, reads request heads and calls ``handler(n, head,
    conn)`` for the n-th request (0-based, over all connections); the handler
    writes what it likes and returns whether to keep the connection."""

    def __init__(
        self,
        handler: Handler,
        *,
        tls: Optional[ssl.SSLContext] = None,
        on_connect: Optional[Callable[[socket.socket], bool]] = None,
    ) -> None:
        self.handler = handler
        self.tls = tls
        self.on_connect = on_connect
        self.heads: List[bytes] = []
        self.connections = 0
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._conns: List[socket.socket] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}/api"

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.heads)

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.on_connect is not None and not self.on_connect(conn):
                return
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                with self._lock:
                    n = len(self.heads)
                    self.heads.append(head)
                if not self.handler(n, head, conn):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stopped.set()
        self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def header(head: bytes, name: str) -> Optional[bytes]:
    """The value of header ``name`` in a request head (raw bytes), or None."""
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower().encode():
            return value.strip()
    return None


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forward(head: bytes, upstream: str) -> bytes:
    """Send a request head (the login requests have no body) to the server
    at ``upstream`` ("http://127.0.0.1:PORT/...") and return its whole
    answer, for servers that misbehave first and then behave like another."""
    host, port = upstream.split("//", 1)[1].split("/", 1)[0].split(":")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"host:")]
    lines.insert(1, f"Host: {host}:{port}".encode())
    with socket.create_connection((host, int(port)), timeout=10) as up:
        up.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = up.recv(65536)
            if not chunk:
                raise ConnectionError("upstream closed before its answer")
            data += chunk
        top, body = data.split(b"\r\n\r\n", 1)
        length = int(header(top, "Content-Length") or b"0")
        while len(body) < length:
            chunk = up.recv(65536)
            if not chunk:
                raise ConnectionError("upstream closed in its answer")
            body += chunk
    return top + b"\r\n\r\n" + body


def stall_first_then_relay(upstream: str, release: threading.Event) -> Handler:
    """Never answer the first request (until ``release``); relay every
    later one to ``upstream`` (e.g. the sandbox's URL)."""

    def handler(n: int, head: bytes, conn: socket.socket) -> bool:
        if n == 0:
            release.wait(30)
            return False
        conn.sendall(forward(head, upstream))
        return True

    return handler


def slow_relay(upstream: str, delay: float) -> Handler:
    """Relay every request to ``upstream``, answering ``delay`` s late."""

    def handler(n: int, head: bytes, conn: socket.socket) -> bool:
        answer_ = forward(head, upstream)
        time.sleep(delay)
        conn.sendall(answer_)
        return True

    return handler
