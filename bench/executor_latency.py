#!/usr/bin/env python3
"""How long ``loop.run_in_executor(None, ...)`` waits while N async logins
stall (issue 30, section 2): what the default executor has left for the rest
of the application (``getaddrinfo`` of httpx and aiohttp runs there).

    python3 bench/executor_latency.py [N] [TIMEOUT_S]   # default: 8 logins, 5 s timeout

A local server accepts each connection and never answers; N tasks call
``Session.login_async`` against it (each with its own session), then the
probe ``await loop.run_in_executor(None, lambda: None)`` is timed. Prints
one JSON line. The binding is found as bench/py_client.py finds it
(ETNA_AUTH_BINDING_DIR, default bindings/python; ETNA_AUTH_LIB for the .so).
"""
import asyncio
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("ETNA_AUTH_BINDING_DIR") or str(ROOT / "bindings" / "python"))
import etna_auth  # noqa: E402


def silent_server() -> "tuple[socket.socket, int]":
    """Accepts connections and never answers; they are held open."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


async def measure(n: int, timeout: float) -> dict:
    listener, port = silent_server()
    loop = asyncio.get_running_loop()
    sessions = [etna_auth.Session(f"http://127.0.0.1:{port}/api", "k", timeout=timeout) for _ in range(n)]
    tasks = [asyncio.ensure_future(s.login_async("u", "pw")) for s in sessions]
    await asyncio.sleep(0.3)  # every login has sent its request and waits
    start = time.monotonic()
    await loop.run_in_executor(None, lambda: None)
    latency = time.monotonic() - start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for s in sessions:
        s.close()
    listener.close()
    return {"stalled_logins": n, "timeout_s": timeout, "cpus": os.cpu_count(),
            "run_in_executor_latency_s": round(latency, 4)}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    print(json.dumps(asyncio.run(measure(n, timeout))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
