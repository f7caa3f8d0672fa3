"""Ctrl-C (a real SIGINT) during a blocking call made from the main thread:
KeyboardInterrupt within 200 ms, the native call cancelled, the login ended,
the session usable afterwards. pytest runs the tests in the main thread,
with Python's own SIGINT handler."""

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import etna_auth
from etna_auth import _ctrlc
from helpers import NEED_CODE, NEED_PIN, STALL, in_turn, token_answer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) is POSIX")

LIMIT_S = 0.2


class Sigint:
    """Sends SIGINT to this process after ``delay`` seconds (from a timer
    thread), and remembers when."""

    def __init__(self, delay: float) -> None:
        self.sent_at = 0.0
        self._timer = threading.Timer(delay, self._send)
        self._timer.start()

    def _send(self) -> None:
        self.sent_at = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    def latency(self) -> float:
        """Seconds from the signal until now (the KeyboardInterrupt caught)."""
        now = time.monotonic()
        self._timer.join()
        assert self.sent_at, "the signal was never sent"
        return now - self.sent_at


def interrupted(call, delay=0.3):
    """Run ``call()``, which must be ended by a SIGINT sent after ``delay``;
    returns the latency."""
    assert _ctrlc.interruptible()
    sigint = Sigint(delay)
    with pytest.raises(KeyboardInterrupt):
        call()
    return sigint.latency()


def assert_ended_and_usable(server, s):
    """The login was ended (nothing to supply, nothing sent), and the session
    logs in again (the server's next answer is a token)."""
    requests = server.requests
    with pytest.raises(etna_auth.StateError):
        s.supply_pin("1234")
    assert server.requests == requests
    assert s.login("u", "s3cret-pw") == "tok-after"


@pytest.mark.parametrize("call", ["begin_auth", "login"])
def test_ctrl_c_interrupts_a_call_waiting_for_a_silent_server(serve, call):
    server = serve(in_turn(STALL, token_answer("tok-after")))
    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        latency = interrupted(lambda: getattr(s, call)("u", "s3cret-pw"))
        assert latency < LIMIT_S, f"KeyboardInterrupt {latency * 1000:.0f} ms after SIGINT"
        assert_ended_and_usable(server, s)


@pytest.mark.parametrize("factor", ["pin", "code"])
def test_ctrl_c_interrupts_a_supply_call(serve, factor):
    # Five rounds: where the signal lands in the binding's Python code
    # varies, and every place must end the same way.
    rounds = 5
    need = NEED_PIN if factor == "pin" else NEED_CODE
    server = serve(in_turn(*[need, STALL] * rounds, token_answer("tok-after")))
    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        for i in range(rounds):
            assert server.requests == 2 * i
            s.begin_auth("u", "s3cret-pw")
            supply = s.supply_pin if factor == "pin" else s.supply_code
            latency = interrupted(lambda: supply("1234"), delay=0.1 + 0.05 * i)
            assert latency < LIMIT_S
            with pytest.raises(etna_auth.StateError):  # ended: nothing sent
                supply("1234")
        assert_ended_and_usable(server, s)


def test_ctrl_c_in_a_callback_of_login_which_runs_on_the_calling_thread(serve):
    server = serve(in_turn(NEED_PIN, token_answer("tok-after")))
    threads = []

    def pin(reason):
        threads.append(threading.current_thread())
        time.sleep(10)  # a user thinking: interruptible, as input() is
        return "1234"

    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        latency = interrupted(lambda: s.login("u", "s3cret-pw", pin=pin))
        assert latency < LIMIT_S
        assert threads == [threading.main_thread()]
        assert server.requests == 1  # the PIN was never sent
        assert_ended_and_usable(server, s)


def test_ctrl_c_while_the_token_cache_is_locked_by_another_writer(sandbox, tmp_path):
    # A cancel cannot stop a wait for the cache's file lock: the
    # KeyboardInterrupt comes at once, the save goes on in the background
    # and the session stays usable (and alive) meanwhile.
    cache = tmp_path / "tokens.json"
    with sandbox.session() as s:
        s.login("alice", "alice-pass")
        with open(str(cache) + ".lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            latency = interrupted(lambda: s.save_token(cache))
            assert latency < LIMIT_S
            assert s.token  # usable while the save waits
        # The lock is released: the save that was left waiting finishes.
        deadline = time.monotonic() + 5
        while not cache.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert s.load_token(cache, "alice")


def test_calls_from_other_threads_run_directly():
    seen = []
    t = threading.Thread(target=lambda: seen.append(_ctrlc.interruptible()))
    t.start()
    t.join()
    assert seen == [False]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert not _ctrlc.interruptible()  # nothing to raise: no detour
    finally:
        signal.signal(signal.SIGINT, previous)
    assert _ctrlc.interruptible()


def test_ctrl_c_at_an_input_prompt_in_a_child_process(sandbox):
    # The whole path as a user meets it: a script asks for the PIN with
    # input() and gets Ctrl-C there.
    script = textwrap.dedent(
        """
        import sys, time
        import etna_auth
        url, key = sys.argv[1:3]
        with etna_auth.Session(url, key, timeout=20) as s:
            try:
                s.login("bob", "bob-pass", pin=lambda reason: input(reason + ": "))
            except KeyboardInterrupt:
                print("interrupted", time.monotonic(), flush=True)
            try:
                s.supply_pin("1234")
            except etna_auth.StateError:
                print("ended", flush=True)
            print("again", s.login("bob", "bob-pass", pin="1234") == s.token, flush=True)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(etna_auth.__path__[0].rsplit(os.sep, 1)[0]))
    child = subprocess.Popen(
        [sys.executable, "-c", script, sandbox.url, sandbox.app_key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        before = sandbox.request_count
        deadline = time.monotonic() + 10
        while sandbox.request_count == before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the child waits at its prompt (stdin open, nothing written)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    # The prompt (no newline) comes first: the child did wait at input().
    assert out.startswith("Expecting security pin: interrupted "), (out, err)
    lines = out.split("\n")
    assert float(lines[0].split()[-1]) - sent < LIMIT_S
    assert lines[1:3] == ["ended", "again True"], (out, err)
    assert child.returncode == 0, err
