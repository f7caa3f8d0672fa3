"""close() while calls are in flight on other threads (as C#'s
EtnaSession.Dispose): it cancels every millisecond until no call is left, for
up to 5 s; the cancelled calls raise CancelledError, later calls the closed
StateError; a call that outlives the wait frees the session when it
returns, never before."""

import fcntl
import threading
import time

import pytest

import etna_auth
from helpers import STALL, always


@pytest.fixture
def freed(monkeypatch):
    """The pointers Session._delete frees, with the thread that freed them."""
    calls = []
    original = etna_auth.Session._delete

    def counting(self, ptr):
        calls.append(threading.current_thread().name)
        original(self, ptr)

    monkeypatch.setattr(etna_auth.Session, "_delete", counting)
    return calls


def run_in_thread(name, call):
    """Start ``call`` on a thread; returns (thread, outcome list)."""
    outcome = []

    def run():
        try:
            outcome.append(call())
        except BaseException as exc:  # reported to the test
            outcome.append(exc)

    t = threading.Thread(target=run, name=name)
    t.start()
    return t, outcome


def test_the_bound_is_five_seconds():
    assert etna_auth.Session._close_wait == 5.0


def test_close_cancels_the_call_in_flight_and_the_calls_behind_it(serve, freed):
    server = serve(always(STALL))  # never answers
    s = etna_auth.Session(server.url(), "k", timeout=20)
    first, first_out = run_in_thread("first", lambda: s.begin_auth("u", "p"))
    while server.requests == 0:
        time.sleep(0.005)
    # Two more calls on the session: they wait inside the library behind
    # the first (one login at a time), or in Python's call path.
    others = [run_in_thread(f"queued{i}", lambda: s.login("u", "p")) for i in range(2)]
    time.sleep(0.1)
    start = time.monotonic()
    s.close()
    elapsed = time.monotonic() - start
    for t in [first] + [t for t, _ in others]:
        t.join(5)
        assert not t.is_alive()
    # Each call returned within milliseconds, not after its 20 s timeout.
    assert elapsed < 1.0, elapsed
    outcomes = [first_out[0]] + [out[0] for _, out in others]
    for outcome in outcomes:
        assert isinstance(outcome, etna_auth.CancelledError), outcome
        assert outcome.status is etna_auth.Status.ERR_CANCELLED
    assert server.requests <= 3
    assert freed == ["MainThread"]  # close() itself freed it, once
    with pytest.raises(etna_auth.StateError, match="closed"):
        s.begin_auth("u", "p")
    with pytest.raises(etna_auth.StateError, match="closed"):
        s.login("u", "p")
    s.close()
    assert freed == ["MainThread"]


def test_close_during_login_async_on_another_thread(sandbox, serve):
    import asyncio

    server = serve(always(STALL))
    s = etna_auth.Session(server.url(), "k", timeout=20)

    async def main():
        task = asyncio.ensure_future(s.login_async("u", "p"))
        while server.requests == 0:
            await asyncio.sleep(0.005)
        closer = threading.Thread(target=s.close)
        closer.start()
        try:
            with pytest.raises(etna_auth.CancelledError):
                await task
        finally:
            closer.join(5)

    asyncio.run(main())
    assert s.closed


def test_a_call_that_outlives_the_wait_frees_the_session_when_it_returns(sandbox, tmp_path, monkeypatch, freed):
    # save_token waits for the cache file's lock, held here (as by another
    # process): a cancel cannot stop it.
    monkeypatch.setattr(etna_auth.Session, "_close_wait", 0.3)
    cache = tmp_path / "tokens.json"
    s = sandbox.session()
    s.login("alice", "alice-pass")
    with open(str(cache) + ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        saver, outcome = run_in_thread("saver", lambda: s.save_token(cache))
        time.sleep(0.2)
        assert saver.is_alive()  # blocked in flock
        start = time.monotonic()
        s.close()
        elapsed = time.monotonic() - start
        assert 0.25 <= elapsed < 1.5, elapsed  # gave up waiting after the bound
        assert s.closed
        with pytest.raises(etna_auth.StateError, match="closed"):
            s.token
        time.sleep(0.1)
        assert freed == []  # never while the call uses it
        assert saver.is_alive()
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        saver.join(5)
    assert not saver.is_alive()
    assert outcome == [None]  # the call finished normally
    assert freed == ["saver"]  # freed by the last call, when it returned
    assert cache.exists()
    s.close()
    assert freed == ["saver"]
