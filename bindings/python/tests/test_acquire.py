"""Session.acquire_token / acquire_token_async against the sandbox (real
sockets): the stored token or one login, counted with the sandbox's
request count; the stores (a token file, the default store, "keyring");
the password as a str or a callable."""

import asyncio
import os
import time
from pathlib import Path

import pytest

import etna_auth


@pytest.fixture
def store(tmp_path):
    """An empty store: a token file path whose folder does not exist yet."""
    return tmp_path / "etna" / "tokens.json"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The default store's place under a temporary XDG_CONFIG_HOME."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("ETNA_AUTH_STORE", raising=False)
    return config


class Sent:
    """The requests the sandbox received since the last look."""

    def __init__(self, sandbox):
        self._sandbox = sandbox
        self._seen = sandbox.request_count

    def __call__(self):
        now = self._sandbox.request_count
        sent, self._seen = now - self._seen, now
        return sent


class Asked:
    """A password callable that records the reasons it was asked with."""

    def __init__(self, answer):
        self.answer = answer
        self.reasons = []

    def __call__(self, reason):
        self.reasons.append(reason)
        return self.answer


def test_an_empty_store_logs_in_and_stores_then_nothing_is_sent(sandbox, store):
    sent = Sent(sandbox)
    with sandbox.session() as s:
        token = s.acquire_token("alice", "alice-pass", store=store)
        assert token and s.token == token and s.expires_at is not None
    assert sent() == 1
    assert store.is_file()
    if os.name == "posix":
        assert store.stat().st_mode & 0o777 == 0o600
        assert store.parent.stat().st_mode & 0o777 == 0o700
    with sandbox.session() as s:  # another session (as another process would)
        assert s.acquire_token("alice", "alice-pass", store=str(store)) == token
        assert s.token == token
    assert sent() == 0


def test_min_valid_longer_than_what_is_left_forces_a_login(sandbox, store):
    sent = Sent(sandbox)
    with sandbox.session() as s:
        first = s.acquire_token("alice", "alice-pass", store=store, min_valid=86400)
    assert sent() == 1
    time.sleep(1.1)  # the stored token has less than 86400 s left now
    with sandbox.session() as s:
        assert s.acquire_token("alice", "alice-pass", store=store) == first
        assert sent() == 0
        second = s.acquire_token("alice", "alice-pass", store=store, min_valid=86400)
    assert sent() == 1 and second != first
    with sandbox.session() as s:  # the new token replaced the old one in the store
        assert s.acquire_token("alice", store=store) == second
    assert sent() == 0


def test_min_valid_beyond_a_token_s_life_is_refused_by_the_library(sandbox, store):
    sent = Sent(sandbox)
    with sandbox.session() as s:
        with pytest.raises(etna_auth.InvalidArgumentError, match="min_valid_s"):
            s.acquire_token("alice", "alice-pass", store=store, min_valid=86401)
        with pytest.raises(TypeError):
            s.acquire_token("alice", "alice-pass", store=store, min_valid="300")  # type: ignore[arg-type]
    assert sent() == 0


def test_the_password_callable_is_asked_only_when_a_login_is_needed(sandbox, store):
    sent = Sent(sandbox)
    asked = Asked("alice-pass")
    with sandbox.session() as s:
        token = s.acquire_token("alice", asked, store=store)
    assert len(asked.reasons) == 1 and "login is needed" in asked.reasons[0]
    # A prompt as it is, for getpass.getpass: the Reason, then "Password: ".
    assert asked.reasons[0].endswith(". Password: ") and ".." not in asked.reasons[0]
    assert sent() == 1
    later = Asked("alice-pass")
    with sandbox.session() as s:
        assert s.acquire_token("alice", later, store=store) == token
    assert later.reasons == [] and sent() == 0


def test_no_password_and_no_callable_gives_up_without_sending(sandbox, store):
    sent = Sent(sandbox)
    with sandbox.session() as s:
        with pytest.raises(etna_auth.EtnaCancelledError, match="password"):
            s.acquire_token("alice", store=store)
        with pytest.raises(etna_auth.EtnaCancelledError):
            s.acquire_token("alice", Asked(None), store=store)  # the callable gives up
        with pytest.raises(etna_auth.StateError):  # no token, no login left
            s.token
    assert sent() == 0
    assert not store.exists()


def test_a_refused_password_is_not_tried_again(sandbox, store):
    sent = Sent(sandbox)
    asked = Asked("wrong-pass")
    with sandbox.session() as s:
        with pytest.raises(etna_auth.CredentialsError):
            s.acquire_token("alice", asked, store=store)
        assert len(asked.reasons) == 1 and sent() == 1
        with pytest.raises(etna_auth.CredentialsError):
            s.acquire_token("alice", "wrong-pass", store=store)
        assert sent() == 1
        with pytest.raises(etna_auth.StateError):
            s.supply_pin("1234")  # the login was ended
    assert sent() == 0


def test_second_factors_as_for_login(sandbox, store):
    sent = Sent(sandbox)
    codes = []
    with sandbox.session() as s:
        token = s.acquire_token("dave", "dave-pass", pin="4321", code=lambda r: codes.append(r) or "654321", store=store)
    assert token and len(codes) == 1 and sent() == 3
    with sandbox.session() as s:
        with pytest.raises(etna_auth.RejectedError, match="Invalid pin"):  # a str PIN is sent once
            s.acquire_token("bob", "bob-pass", pin="0000", store=store)
    assert sent() == 2


def test_a_callable_s_exception_propagates_unchanged(sandbox, store):
    sent = Sent(sandbox)

    class Mine(Exception):
        pass

    def password(reason):
        raise Mine("from the application")

    with sandbox.session() as s:
        with pytest.raises(Mine):
            s.acquire_token("alice", password, store=store)
        with pytest.raises(TypeError):
            s.acquire_token("alice", 1234, store=store)  # type: ignore[arg-type]
    assert sent() == 0


def test_the_default_store(sandbox, home, monkeypatch):
    expected = home / "etna-auth" / "tokens.json"
    assert etna_auth.default_store() == str(expected)
    sent = Sent(sandbox)
    with sandbox.session() as s:
        token = s.acquire_token("alice", "alice-pass")
    assert sent() == 1 and expected.is_file()
    if os.name == "posix":
        assert (home / "etna-auth").stat().st_mode & 0o777 == 0o700
    with sandbox.session() as s:
        assert s.acquire_token("alice", store=str(expected)) == token
    assert sent() == 0
    monkeypatch.setenv("ETNA_AUTH_STORE", "keyring")
    assert etna_auth.default_store() == "keyring"


def test_a_path_named_keyring_is_a_file(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with sandbox.session() as s:
        s.acquire_token("alice", "alice-pass", store=Path("keyring"))
    assert (tmp_path / "keyring").is_file()


def test_keyring_without_a_secret_service_is_the_library_s_io_error(sandbox, home, monkeypatch):
    # No Secret Service here: the session bus is a socket that does not exist.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + str(home / "no-bus"))
    sent = Sent(sandbox)
    with sandbox.session() as s:
        with pytest.raises(etna_auth.EtnaIOError) as info:
            s.acquire_token("alice", "alice-pass", store="keyring")
    assert info.value.status == etna_auth.Status.ERR_IO and str(info.value)
    assert "alice-pass" not in str(info.value)
    assert sent() == 0


def test_an_empty_store_spec_is_refused(sandbox):
    with sandbox.session() as s:
        with pytest.raises(etna_auth.InvalidArgumentError):
            s.acquire_token("alice", "alice-pass", store="")
        with pytest.raises(TypeError):
            s.acquire_token("alice", "alice-pass", store=42)  # type: ignore[arg-type]


# -- async -------------------------------------------------------------------


def test_async_acquire_with_async_callables_on_the_loop(sandbox, store):
    sent = Sent(sandbox)
    threads = []

    async def password(reason):
        threads.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return "dave-pass"

    async def main():
        with sandbox.session() as s:
            token = await s.acquire_token_async("dave", password, pin=lambda r: "4321", code="654321", store=store)
        with sandbox.session() as s:
            again = await s.acquire_token_async("dave", password, store=store)
        return token, again

    token, again = asyncio.run(main())
    assert token == again and len(threads) == 1
    assert sent() == 3


def test_async_refused_password_and_giving_up(sandbox, store):
    sent = Sent(sandbox)

    async def main():
        with sandbox.session() as s:
            with pytest.raises(etna_auth.EtnaCancelledError):
                await s.acquire_token_async("alice", store=store)
            assert sent() == 0
            with pytest.raises(etna_auth.CredentialsError):
                await s.acquire_token_async("alice", "wrong-pass", store=store)
            assert sent() == 1

    asyncio.run(main())


def test_cancelling_the_task_while_the_password_callable_waits(sandbox, store):
    sent = Sent(sandbox)
    waiting = []

    async def main():
        never = asyncio.Event()

        async def password(reason):
            waiting.append(reason)
            await never.wait()
            return "alice-pass"

        with sandbox.session() as s:
            task = asyncio.ensure_future(s.acquire_token_async("alice", password, store=store))
            while not waiting:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(etna_auth.StateError):
                s.token
            assert sent() == 0
            # The session is usable, and no cancel is left over for it.
            return await s.acquire_token_async("alice", "alice-pass", store=store)

    assert asyncio.run(main())
    assert sent() == 1
