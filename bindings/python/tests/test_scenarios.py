"""Every scenario of tests/scenarios/scenarios.json through the Python
binding, one test per scenario (its id); a scenario with ``login`` steps is
played twice, through ``Session.login`` (its id) and ``Session.login_async``
(its id + ``[async]``). The format is described in
tests/scenarios/README.md; scripted servers come from
tests/scenarios/hostile_server.py, run once for the module.

ETNA_SCENARIOS names another scenario file (its hostile_server.py and
../pki are then found beside it).
"""

import asyncio
import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

import etna_auth
from etna_auth import Status, Step
from etna_auth._errors import error_for
from helpers import PKI, SCENARIOS, HostileServer

DOC = json.loads(SCENARIOS.read_text(encoding="utf-8"))
DEFAULTS = DOC.get("defaults", {})

STEP_STATUS = {Step.DONE: "ETNA_OK", Step.NEED_PIN: "ETNA_NEED_PIN", Step.NEED_CODE: "ETNA_NEED_CODE"}
NETWORK_CALLS = {"begin", "pin", "code"}


@pytest.fixture(scope="module")
def hostile():
    server = HostileServer()
    yield server
    server.close()


class Failure(AssertionError):
    pass


class Answers:
    """The application's side of a ``login`` step: ``answers`` played by
    the ``pin`` and ``code`` callables, one per time the server asks."""

    def __init__(self, answers: list) -> None:
        self.answers = answers
        self.asked = []  # (step name, reason)
        self.thrown = None  # the exception object a {"throw"} answer raised

    def factor(self, step: str):
        def ask(reason: str):
            self.asked.append((step, reason))
            if len(self.asked) > len(self.answers):
                raise Failure(f"the callback was asked {len(self.asked)} times, with {len(self.answers)} answers")
            answer = self.answers[len(self.asked) - 1]
            if answer is None or isinstance(answer, str):
                return answer
            if "throw" in answer:
                self.thrown = RuntimeError(answer["throw"])
                raise self.thrown
            if "repeat" in answer:
                return answer["repeat"] * answer["times"]
            if "give" in answer:
                time.sleep(answer["after_ms"] / 1000.0)
                return answer["give"]
            raise Failure(f"unknown answer {answer!r}")

        return ask


class Run:
    """One scenario: its server, its session, its steps; ``login`` steps
    through ``mode`` ("sync": Session.login, "async": Session.login_async)."""

    def __init__(self, scenario: dict, hostile: HostileServer, mode: str = "sync") -> None:
        self.sc = scenario
        self.mode = mode
        self.script = None  # the Answers of the login step in progress
        self.hostile = hostile
        self.sandbox = None
        self.session = None
        self.run_key = None
        self.server_url = None
        self.secrets = list(DEFAULTS.get("secrets", [])) + list(scenario.get("secrets", []))

    def expand(self, text):
        if text is None:
            return None
        text = text.replace("{pki}", str(PKI))
        if self.server_url is not None:
            text = text.replace("{server}", self.server_url)
        return text

    def start(self) -> None:
        server = self.sc.get("server", {"kind": "none"})
        kind = server.get("kind", "script")
        app_key = DEFAULTS.get("app_key", "the-key")
        if kind == "sandbox":
            self.sandbox = etna_auth.Sandbox(server.get("config"))
            self.server_url, app_key = self.sandbox.url, self.sandbox.app_key
        elif kind in ("script", "refused"):
            opened = self.hostile.ask("open " + self.sc["id"])
            self.server_url, self.run_key = opened["url"], opened["key"]
        spec = self.sc.get("session", {})
        if spec is None:
            return
        self.url = self.expand(spec.get("url", "{server}"))
        self.app_key = spec.get("app_key", app_key)
        self.timeout_ms = spec.get("timeout_ms", DEFAULTS.get("timeout_ms", 30000))
        self.ca_file = self.expand(spec.get("ca_file"))
        self.session = self.new_session(self.url, self.app_key)

    def new_session(self, url, app_key, ca_file=None):
        ca = ca_file if ca_file is not None else getattr(self, "ca_file", None)
        timeout = getattr(self, "timeout_ms", DEFAULTS.get("timeout_ms", 30000))
        return etna_auth.Session(url, app_key, timeout=timeout / 1000.0, ca_file=ca)

    def replace_session(self, session) -> None:
        if self.session is not None:
            self.session.close()
        self.session = session

    def call(self, step: dict):
        """Runs one call; returns (status name, message, value)."""
        s = self.session
        name = step["call"]
        if name == "begin":
            return self.stepped(s.begin_auth(step["username"], step["password"]))
        if name == "pin":
            return self.stepped(s.supply_pin(step["value"]))
        if name == "code":
            return self.stepped(s.supply_code(step["value"]))
        if name == "login":
            return "ETNA_OK", "", self.login(step)
        if name == "abandon":
            # Python has no public call for it: the async driver's give-up.
            raise s._give_up()
        if name == "token":
            return "ETNA_OK", "", s.token
        if name == "expires_at":
            at = s.expires_at
            return ("ETNA_ERR_STATE", "", None) if at is None else ("ETNA_OK", "", at)
        if name == "end_login":
            s.end_login()
        elif name == "cancel":
            s.cancel()
        elif name == "set_proxy":
            s.set_proxy(step["url"])
        elif name == "set_ca_file":
            # The binding takes the CA file when the session is made: a new
            # session with the same settings and this file.
            path = self.expand(step["path"])
            self.replace_session(self.new_session(self.url, self.app_key, ca_file=path))
            self.ca_file = path
        elif name == "set_timeout_ms":
            self.timeout_ms = step["ms"]
            self.replace_session(self.new_session(self.url, self.app_key))
        elif name == "new":
            self.url, self.app_key = self.expand(step["url"]), step["app_key"]
            self.replace_session(self.new_session(self.url, self.app_key))
        elif name == "sandbox_start":
            etna_auth.Sandbox(step.get("config")).close()
        else:
            raise Failure(f"unknown call {name!r}")
        return "ETNA_OK", "", None

    def login(self, step: dict) -> str:
        factors = {}
        if step["answers"] is not None:
            self.script = Answers(step["answers"])
            factors = {"pin": self.script.factor("ETNA_NEED_PIN"), "code": self.script.factor("ETNA_NEED_CODE")}
        args = (step["username"], step["password"])
        if self.mode == "async":
            return asyncio.run(self.session.login_async(*args, **factors))
        return self.session.login(*args, **factors)

    def check_asked(self, where: str, expect: dict) -> None:
        if "asked" not in expect:
            return
        asked = self.script.asked if self.script is not None else []
        want = expect["asked"]
        if len(asked) != len(want) or any(
            got[0] != step or not re.search(pattern, got[1]) for got, (step, pattern) in zip(asked, want)
        ):
            raise Failure(f"{where}: the callback was asked {asked}, expected {want}")

    def stepped(self, step: Step):
        return STEP_STATUS[step], self.session.reason if step is not Step.DONE else "", None

    def step(self, i: int, step: dict) -> None:
        where = f"{self.sc['id']}: step {i} ({step['call']})"
        expect = step.get("expect", {"status": "ETNA_OK"})
        want = expect["status"]
        timer = None
        if "cancel_after_ms" in step:
            timer = threading.Timer(step["cancel_after_ms"] / 1000.0, self.session.cancel)
            timer.start()
        started = time.monotonic()
        raised = False
        self.script = None
        try:
            status, message, value = self.call(step)
        except RuntimeError as exc:
            # {"throw": TEXT}: that very object, whatever expect.status says
            # (what C gets); the next steps check that the login was ended.
            if self.script is None or exc is not self.script.thrown:
                raise
            self.check_asked(where, expect)
            return
        except etna_auth.EtnaError as exc:
            raised = True
            status, message, value = "ETNA_" + Status(exc.status).name, exc.message, None
            # The class comes from the binding's own table for the status.
            cls = type(error_for(Status[want[len("ETNA_"):]], "x")) if want != "ETNA_OK" and not want.startswith("ETNA_NEED") else None
            if status == want and type(exc) is not cls:
                raise Failure(f"{where}: {type(exc).__name__} for {want}, expected {cls.__name__}")
            for secret in self.secrets:
                if secret in repr(exc):
                    raise Failure(f"{where}: secret {secret!r} in {exc!r}")
        finally:
            if timer is not None:
                timer.join()
        elapsed_ms = (time.monotonic() - started) * 1000
        if status != want:
            raise Failure(f"{where}: {status} ({message!r}), expected {want}")
        if self.script is not None and self.script.thrown is not None:
            raise Failure(f"{where}: the callback threw, and the login did not raise that exception")
        self.check_asked(where, expect)
        self.check_message(where, want if raised else "", message, expect)
        if "token" in expect and value != expect["token"]:
            raise Failure(f"{where}: token {value!r}, expected {expect['token']!r}")
        if step["call"] == "expires_at" and value is not None:
            now = datetime.now(timezone.utc)
            if not now + timedelta(hours=23) < value <= now + timedelta(hours=24, minutes=1):
                raise Failure(f"{where}: expires at {value}, not about 24 h from now")
        max_ms = expect.get("max_ms")
        if max_ms is None and step["call"] in NETWORK_CALLS and self.session is not None:
            max_ms = self.timeout_ms + DEFAULTS.get("slack_ms", 2500)
        if max_ms is None and step["call"] == "login":
            max_ms = 4 * self.timeout_ms + DEFAULTS.get("slack_ms", 2500)
        if max_ms is not None and elapsed_ms > max_ms:
            raise Failure(f"{where}: took {elapsed_ms:.0f} ms, more than {max_ms}")
        if "min_ms" in expect and elapsed_ms < expect["min_ms"]:
            raise Failure(f"{where}: took {elapsed_ms:.0f} ms, less than {expect['min_ms']}")

    def check_message(self, where: str, want: str, message: str, expect: dict) -> None:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in message):
            raise Failure(f"{where}: the message is not one line: {message!r}")
        if len(message.encode("utf-8")) >= 4096:
            raise Failure(f"{where}: a message of {len(message)} characters")
        if want.startswith("ETNA_ERR") and not message:
            raise Failure(f"{where}: no message")
        for secret in self.secrets:
            if secret in message:
                raise Failure(f"{where}: secret {secret!r} in the message {message!r}")
        pattern = expect.get("message")
        if pattern is not None and not re.search(pattern, message):
            raise Failure(f"{where}: message {message!r} does not match /{pattern}/")

    def check_server(self) -> None:
        want = self.sc.get("server_expect")
        if self.sandbox is not None:
            got = {"requests": self.sandbox.request_count, "connections": self.sandbox.connection_count, "violations": []}
        elif self.run_key is not None:
            got = self.hostile.ask("stats " + self.run_key)
        else:
            return
        if got["violations"]:
            raise Failure(f"{self.sc['id']}: the server saw: " + "; ".join(got["violations"]))
        if not want:
            return
        for key in ("requests", "connections"):
            if key in want and got[key] != want[key]:
                raise Failure(f"{self.sc['id']}: {got[key]} {key} at the server, expected {want[key]}")
        if "max_connections" in want and got["connections"] > want["max_connections"]:
            raise Failure(f"{self.sc['id']}: {got['connections']} connections, at most {want['max_connections']} expected")

    def run(self) -> None:
        try:
            self.start()
            for i, step in enumerate(self.sc["steps"]):
                self.step(i, step)
            if self.session is not None:
                self.session.close()
            self.check_server()
        finally:
            if self.session is not None:
                self.session.close()
            if self.sandbox is not None:
                self.sandbox.close()


def _plays():
    """(scenario, mode) for each test: scenarios with a login step twice."""
    for sc in DOC["scenarios"]:
        yield pytest.param(sc, "sync", id=sc["id"])
        if any(step["call"] == "login" for step in sc["steps"]):
            yield pytest.param(sc, "async", id=sc["id"] + "[async]")


@pytest.mark.parametrize("scenario, mode", list(_plays()))
def test_scenario(scenario, mode, hostile):
    Run(scenario, hostile, mode).run()
