"""Ctrl-C (a real SIGINT) during a blocking call made from the main thread:
KeyboardInterrupt within 200 ms, the native call cancelled, the login ended,
the session usable afterwards. pytest runs the tests in the main thread,
with Python's own SIGINT handler."""

import asyncio
import fcntl
import os
import signal
import socket
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


def test_ctrl_c_in_the_password_callable_of_acquire_token(serve, tmp_path):
    server = serve(in_turn(token_answer("tok-after")))
    store = tmp_path / "tokens.json"
    threads = []

    def password(reason):
        threads.append(threading.current_thread())
        time.sleep(10)  # a user thinking
        return "s3cret-pw"

    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        latency = interrupted(lambda: s.acquire_token("u", password, store=store))
        assert latency < LIMIT_S
        assert threads == [threading.main_thread()]
        assert server.requests == 0 and not store.exists()
        assert s.acquire_token("u", "s3cret-pw", store=store) == "tok-after"
        assert server.requests == 1


def test_ctrl_c_interrupts_acquire_token_waiting_for_a_silent_server(serve, tmp_path):
    server = serve(in_turn(STALL, token_answer("tok-after")))
    store = tmp_path / "tokens.json"
    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        latency = interrupted(lambda: s.acquire_token("u", "s3cret-pw", store=store))
        assert latency < LIMIT_S
        with pytest.raises(etna_auth.StateError):  # ended: nothing to supply
            s.supply_pin("1234")
        assert not store.exists()
        # The login lock was released: the next acquire logs in and stores.
        assert s.acquire_token("u", "s3cret-pw", store=store) == "tok-after"
        assert store.exists()


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


def run_script(script, *args, timeout=30):
    """A child Python running ``script`` with this binding; (out, err, code)."""
    env = dict(os.environ, PYTHONPATH=str(etna_auth.__path__[0].rsplit(os.sep, 1)[0]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout,
    )
    return done.stdout, done.stderr, done.returncode


def test_ctrl_c_ends_a_sync_call_inside_asyncio_run(serve):
    # asyncio.run's SIGINT handler only cancels the main task, which cannot
    # run while the call holds the loop's thread: the call still ends at
    # once with KeyboardInterrupt, as outside asyncio (issue 30 §3: it ran
    # to its 20 s timeout).
    server = serve(in_turn(STALL))
    script = """
        import asyncio, os, signal, sys, threading, time
        import etna_auth
        url = sys.argv[1]
        async def main():
            with etna_auth.Session(url, "k", timeout=20) as s:
                threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
                s.login("u", "s3cret-pw")
        start = time.monotonic()
        try:
            asyncio.run(main())
            print("returned")
        except KeyboardInterrupt:
            print("KeyboardInterrupt", time.monotonic() - start - 0.5)
    """
    out, err, code = run_script(script, server.url())
    assert out.startswith("KeyboardInterrupt "), (out, err)
    assert float(out.split()[1]) < 1.0, out
    assert code == 0, err


def test_ctrl_c_with_another_wakeup_fd_in_place(serve):
    # An event loop's wakeup fd (add_signal_handler) is kept: the signal
    # reaches it too, and it is back in place after the call.
    server = serve(in_turn(STALL, token_answer("tok-after")))
    theirs_r, theirs_w = socket.socketpair()
    theirs_w.setblocking(False)
    previous = signal.set_wakeup_fd(theirs_w.fileno())
    try:
        with etna_auth.Session(server.url(), "k", timeout=20) as s:
            latency = interrupted(lambda: s.login("u", "s3cret-pw"))
            assert latency < LIMIT_S
            assert signal.set_wakeup_fd(theirs_w.fileno()) == theirs_w.fileno()  # theirs again
            theirs_r.settimeout(2)
            assert signal.SIGINT in theirs_r.recv(64)
            assert_ended_and_usable(server, s)
    finally:
        signal.set_wakeup_fd(previous)
        theirs_r.close()
        theirs_w.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the fork warning is Python 3.12's")
def test_no_fork_warning_after_a_call_and_ctrl_c_in_the_forked_child(serve):
    # Python 3.12+ warns at os.fork() when the process has other threads:
    # the binding's Ctrl-C watcher is stopped before a fork (and started
    # again by the next call); the child has its own.
    server = serve(in_turn(token_answer("tok-1"), STALL))
    script = """
        import os, signal, sys, threading, time, warnings
        import etna_auth
        url = sys.argv[1]
        with etna_auth.Session(url, "k", timeout=20) as s:
            s.login("u", "s3cret-pw")
            warnings.simplefilter("error", DeprecationWarning)  # the fork warning fails the fork
            pid = os.fork()
            if pid == 0:
                # The child: Ctrl-C still ends a call at once.
                threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
                start = time.monotonic()
                try:
                    s.login("u", "s3cret-pw")
                    os._exit(3)
                except KeyboardInterrupt:
                    os._exit(0 if time.monotonic() - start < 1.5 else 4)
            _, status = os.waitpid(pid, 0)
            print("child", os.waitstatus_to_exitcode(status), "threads", threading.active_count())
    """
    out, err, code = run_script(script, server.url())
    assert "DeprecationWarning" not in err and code == 0, (out, err)
    assert out.split() == ["child", "0", "threads", "1"], (out, err)


def test_no_thread_of_the_binding_outlives_its_call(sandbox):
    def binding_threads():
        return [t for t in threading.enumerate() if t.name == "etna_auth call"]

    async def main():
        with sandbox.session() as s:
            await s.login_async("bob", "bob-pass", pin="1234")

    asyncio.run(main())
    deadline = time.monotonic() + 2
    while binding_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert binding_threads() == []


def test_a_ctrl_c_handled_before_a_call_does_not_end_that_call(sandbox):
    # The watcher may still wait for the GIL with that signal's byte when
    # the next call begins: the byte is not the call's (it was taken as
    # the KeyboardInterrupt of 200 of 200 logins begun at once after one).
    with sandbox.session() as s:
        assert s.login("alice", "alice-pass")  # the watcher runs
        for _ in range(50):
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)  # raised here: os.kill checks for signals
            assert s.login("alice", "alice-pass")
