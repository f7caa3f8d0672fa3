"""Session.lock_timeout (etna_set_lock_timeout_ms): its default, its range,
and a real wait for another session's login lock that gives up when it
says, with the binding's EtnaTimeoutError naming the lock file. (The default
against the header's ETNA_DEFAULT_LOCK_TIMEOUT_MS: test_header.py.)"""

import threading
import time

import pytest

import etna_auth

URL = "https://example.com/api"
#: Every wait of these tests is bounded by this many seconds.
BOUND = 30


def test_the_default_is_two_minutes():
    with etna_auth.Session(URL, "key") as s:
        assert s.lock_timeout == etna_auth.DEFAULT_LOCK_TIMEOUT == 120.0


def test_the_keyword_and_the_property():
    with etna_auth.Session(URL, "key", lock_timeout=1.5) as s:
        assert s.lock_timeout == 1.5
        s.lock_timeout = 0  # no wait: allowed, unlike timeout
        assert s.lock_timeout == 0.0
        s.lock_timeout = 0.0001  # rounded up to a millisecond, never to "no wait"
        assert s.lock_timeout == 0.001
        s.lock_timeout = (2**32 - 1) / 1000  # the largest uint32_t of ms
        assert s.lock_timeout == (2**32 - 1) / 1000
        s.lock_timeout = 7
        assert s.lock_timeout == 7.0 and isinstance(s.lock_timeout, float)
    with etna_auth.Session(URL, "key", lock_timeout=0) as s:
        assert s.lock_timeout == 0.0


BAD_VALUES = [-1, -0.0001, float("nan"), float("inf"), float("-inf"), 5e6]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_values_are_invalid_arguments(value):
    with pytest.raises(etna_auth.InvalidArgumentError, match="lock_timeout must be zero or a positive number of seconds"):
        etna_auth.Session(URL, "key", lock_timeout=value)
    with etna_auth.Session(URL, "key", lock_timeout=3) as s:
        with pytest.raises(etna_auth.InvalidArgumentError, match="lock_timeout"):
            s.lock_timeout = value
        assert s.lock_timeout == 3.0  # unchanged by a refused value


@pytest.mark.parametrize("value", ["30", None, True])
def test_non_numbers_are_type_errors(value):
    with pytest.raises(TypeError, match="lock_timeout"):
        etna_auth.Session(URL, "key", lock_timeout=value)
    with etna_auth.Session(URL, "key") as s:
        with pytest.raises(TypeError, match="lock_timeout"):
            s.lock_timeout = value


def test_setting_it_on_a_closed_session_is_a_state_error():
    s = etna_auth.Session(URL, "key", lock_timeout=4)
    s.close()
    with pytest.raises(etna_auth.StateError):
        s.lock_timeout = 1
    assert s.lock_timeout == 4.0


def test_a_wait_for_another_login_gives_up_after_the_lock_timeout(sandbox, tmp_path):
    store = tmp_path / "tokens.json"
    asked = threading.Event()
    release = threading.Event()
    refused = []
    first = {}

    def password(reason):  # the first login, holding the login lock
        asked.set()
        try:
            holder.lock_timeout = 5  # a settings change from inside its own login
        except etna_auth.StateError as e:
            refused.append(e)
        release.wait(BOUND)
        return "alice-pass"

    def log_in():
        try:
            first["token"] = holder.acquire_token("alice", password, store=store)
        except BaseException as e:  # seen by the assertions below
            first["error"] = e

    with sandbox.session() as holder, etna_auth.Session(sandbox.url, sandbox.app_key, lock_timeout=1) as waiter:
        thread = threading.Thread(target=log_in)
        thread.start()
        try:
            assert asked.wait(BOUND), "the first login asks for the password, holding the login lock"
            locks = sorted(tmp_path.glob("tokens.json.login-*.lock"))
            assert len(locks) == 1, locks

            started = time.monotonic()
            with pytest.raises(etna_auth.EtnaTimeoutError) as info:
                waiter.acquire_token("alice", "alice-pass", store=store)
            waited = time.monotonic() - started
            assert 0.9 <= waited < 5, waited
            assert str(locks[0]) in str(info.value)
            assert isinstance(info.value, TimeoutError)  # the builtin, as every EtnaTimeoutError

            waiter.lock_timeout = 0  # no wait at all
            started = time.monotonic()
            with pytest.raises(etna_auth.EtnaTimeoutError, match=str(locks[0])):
                waiter.acquire_token("alice", "alice-pass", store=store)
            assert time.monotonic() - started < 0.9
        finally:
            release.set()
            thread.join(BOUND)
        assert not thread.is_alive()
        assert "error" not in first, first
        assert len(refused) == 1 and holder.lock_timeout == 120.0  # refused, unchanged
        # The lock is free: the waiter takes the stored token, no login.
        sent = sandbox.request_count
        assert waiter.acquire_token("alice", store=store) == first["token"]
        assert sandbox.request_count == sent
