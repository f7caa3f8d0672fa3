"""A session touched from inside its own login (issue 27 §1): a PIN
callable or a log handler that calls ``end_login()``, ``set_proxy()``,
``begin_auth()`` or ``login()`` on the same session gets ``StateError`` at
once, and the login goes on when the callable returns; ``end_login()`` on
the event loop while ``acquire_token_async`` awaits its callable gets
``StateError`` at once, and the loop goes on.

Each case runs in a child process with a deadline, so that a deadlock (the
library's or the binding's own, such as a call handed to a busy worker
thread) fails the test instead of hanging the suite. The child's calls are
made from its main thread with Python's SIGINT handler in place: the path
of Ctrl-C support (_ctrlc.py), where a re-entrant call must not wait either.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import etna_auth

DEADLINE_S = 60
#: What "at once" means for a refused call.
AT_ONCE_S = 1.0

PRELUDE = """
import asyncio, json, logging, sys, time
import etna_auth
url, key, store = sys.argv[1:4]

def attempt(calls):
    # Each call on the session, timed; what it raised.
    seen = {}
    for name, call in calls:
        start = time.monotonic()
        try:
            call()
            seen[name] = "returned"
        except etna_auth.EtnaError as exc:
            seen[name] = [type(exc).__name__, round(time.monotonic() - start, 3), str(exc)]
    return seen

def report(s, seen, token):
    print(json.dumps({"seen": seen, "logged_in": token == s.token and bool(token)}))

def same_session_calls(s):
    return [
        ("end_login", s.end_login),
        ("set_proxy", lambda: s.set_proxy(None)),
        ("begin_auth", lambda: s.begin_auth("bob", "bob-pass")),
        ("login", lambda: s.login("bob", "bob-pass", pin="1234")),
    ]
"""


def run_child(sandbox, tmp_path, body: str) -> dict:
    script = PRELUDE + textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=str(etna_auth.__path__[0].rsplit(os.sep, 1)[0]))
    done = subprocess.run(
        [sys.executable, "-c", script, sandbox.url, sandbox.app_key, str(tmp_path / "tokens.json")],
        capture_output=True, text=True, env=env, timeout=DEADLINE_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_refused_at_once(seen: dict, names, inside: str) -> None:
    assert sorted(seen) == sorted(names), seen
    for name in names:
        kind, seconds, message = seen[name]
        assert kind == "StateError", (name, seen[name])
        assert seconds < AT_ONCE_S, (name, seen[name])
        assert inside in message, (name, message)


SAME_SESSION = ["end_login", "set_proxy", "begin_auth", "login"]


@pytest.mark.parametrize(
    "call",
    [
        's.login("bob", "bob-pass", pin=lambda reason: ask("1234"))',
        's.acquire_token("alice", lambda reason: ask("alice-pass"), store=store)',
    ],
    ids=["pin of login", "password of acquire_token"],
)
def test_calls_from_a_callable_raise_state_error_and_the_login_goes_on(sandbox, tmp_path, call):
    result = run_child(sandbox, tmp_path, f"""
        with etna_auth.Session(url, key, timeout=10) as s:
            seen = {{}}
            def ask(answer):
                seen.update(attempt(same_session_calls(s)))
                return answer
            report(s, seen, {call})
    """)
    assert result["logged_in"]
    assert_refused_at_once(result["seen"], SAME_SESSION, "ask callback")


def test_calls_from_a_log_handler_raise_state_error_and_the_login_goes_on(sandbox, tmp_path):
    result = run_child(sandbox, tmp_path, """
        with etna_auth.Session(url, key, timeout=10) as s:
            seen = {}
            class Meddler(logging.Handler):
                def emit(self, record):
                    if not seen:  # once: the refused calls log nothing that matters here
                        seen["running"] = True
                        seen.update(attempt(same_session_calls(s)))
                        del seen["running"]
            logger = logging.getLogger("etna_auth")
            logger.setLevel(logging.INFO)
            logger.addHandler(Meddler())
            report(s, seen, s.login("bob", "bob-pass", pin="1234"))
    """)
    assert result["logged_in"]
    assert_refused_at_once(result["seen"], SAME_SESSION, "log callback")


def test_end_login_on_the_loop_while_acquire_token_async_awaits_its_callable(sandbox, tmp_path):
    # The loop's thread is not the one in the login: the library refuses the
    # call at once rather than wait for the login, which waits for the loop.
    result = run_child(sandbox, tmp_path, """
        async def main():
            with etna_auth.Session(url, key, timeout=10) as s:
                seen = {}
                async def password(reason):
                    seen.update(attempt([("end_login", s.end_login), ("set_proxy", lambda: s.set_proxy(None))]))
                    await asyncio.sleep(0.01)  # the loop goes on
                    return "alice-pass"
                token = await asyncio.wait_for(s.acquire_token_async("alice", password, store=store), 20)
                return {"seen": seen, "logged_in": token == s.token and bool(token)}
        print(json.dumps(asyncio.run(main())))
    """)
    assert result["logged_in"]
    assert_refused_at_once(result["seen"], ["end_login", "set_proxy"], "")
