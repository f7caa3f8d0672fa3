"""Helpers for the tests: the one scripted HTTP server of the test suites,
tests/scenarios/hostile_server.py, run as a child process.

:class:`HostileServer` serves a scenario file (test_scenarios.py plays the
shared one); :class:`Scripted` is one server for one test, playing rules
written in the test (the ``answers`` of tests/scenarios/README.md).

ETNA_SCENARIOS names another scenario file (its hostile_server.py and
../pki are then found beside it).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = Path(os.environ.get("ETNA_SCENARIOS") or REPO / "tests" / "scenarios" / "scenarios.json").resolve()
SERVER = SCENARIOS.parent / "hostile_server.py"
PKI = SCENARIOS.parent.parent / "pki"


class HostileServer:
    """hostile_server.py serving the scenarios of ``doc_path``, in a child
    process driven over its stdin/stdout."""

    def __init__(self, doc_path: Path = SCENARIOS) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(doc_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lock = threading.Lock()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        ready = json.loads(self._out.readline() or "{}")
        if not ready.get("ready"):
            raise RuntimeError("hostile_server.py did not start")
        self.ports: Dict[str, int] = ready

    def ask(self, command: str) -> Dict[str, Any]:
        with self.lock:
            self._in.write(command + "\n")
            self._in.flush()
            answer: Dict[str, Any] = json.loads(self._out.readline())
        if "error" in answer:
            raise RuntimeError(f"hostile_server.py: {command}: {answer['error']}")
        return answer

    def close(self) -> None:
        self._in.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Scripted:
    """One scripted server for one test: hostile_server.py playing
    ``answers`` (a list of rules: ``{"request": N, "do": [ACTION...],
    "then": "keep"|"close"|"reset"}``), over ``transport`` ("http",
    "https"...)."""

    def __init__(self, answers: List[Dict[str, Any]], *, transport: str = "http") -> None:
        doc = {"scenarios": [{"id": "test", "server": {"kind": "script", "transport": transport, "answers": answers}}]}
        fd, path = tempfile.mkstemp(prefix="etna-scripted-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            self._server = HostileServer(Path(path))  # has read the file once ready
        finally:
            os.unlink(path)
        opened = self._server.ask("open test")
        self._url: str = opened["url"]
        self._key: str = opened["key"]

    def url(self) -> str:
        """The base URL to give a Session."""
        return self._url

    def stats(self) -> Dict[str, Any]:
        return self._server.ask("stats " + self._key)

    @property
    def requests(self) -> int:
        return int(self.stats()["requests"])

    @property
    def connections(self) -> int:
        return int(self.stats()["connections"])

    def close(self) -> None:
        self._server.close()


def begin_auth_in_flight(server: Scripted, session: Any) -> Tuple[threading.Thread, List[Exception]]:
    """Starts ``session.begin_auth("u", "p")`` on a thread of its own and
    returns once ``server`` has its request: the thread, and the list that
    gets what the call raises."""
    errors: List[Exception] = []

    def run() -> None:
        try:
            session.begin_auth("u", "p")
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    while server.requests == 0:
        time.sleep(0.01)
    return t, errors


def http(status: int, body: Any, **fields: Any) -> Dict[str, Any]:
    """An answer action: ``body`` a dict (sent as JSON) or a string."""
    return dict(fields, http=status, body=body)


def always(*actions: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Rules that play ``actions`` for every request."""
    return [{"do": list(actions)}]


def in_turn(*actions: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Rules that answer request n with ``actions[n]`` (the last one repeats)."""
    rules: List[Dict[str, Any]] = [{"request": n, "do": [a]} for n, a in enumerate(actions[:-1])]
    return rules + [{"do": [actions[-1]]}]


#: Never answers (until the client goes away).
STALL = {"sleep_ms": 60000}

NEED_PIN = http(202, {"State": "Expecting", "Step": "SecutityPin", "Reason": "Expecting pin", "Token": "interim-1"})
NEED_CODE = http(
    202, {"State": "Expecting", "Step": "VerificationCode", "Reason": "Expecting confirmation code", "Token": "interim-1"}
)


def token_answer(token: str) -> Dict[str, Any]:
    return http(200, {"State": "Succeeded", "Token": token})
