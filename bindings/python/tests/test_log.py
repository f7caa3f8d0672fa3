"""The library's log in the standard ``logging`` module: logger
``etna_auth``, INFO / DEBUG / TRACE (5); the callback is installed only when
the logger would show something; no secret in any line; a failing handler
never reaches C."""

import asyncio
import contextvars
import logging
import sys

import pytest

import etna_auth
from etna_auth import _ffi, _log
from helpers import http, in_turn

LOGGER = "etna_auth"


@pytest.fixture
def set_log_calls(monkeypatch):
    """The calls to etna_set_log_callback, as (callback is not NULL, max_level)."""
    lib = _ffi.lib()
    original = lib.etna_set_log_callback
    calls = []

    def recording(ptr, callback, user_data, max_level):
        calls.append((bool(callback), max_level))  # a NULL pointer is falsy
        return original(ptr, callback, user_data, max_level)

    monkeypatch.setattr(lib, "etna_set_log_callback", recording)
    return calls


@pytest.fixture(autouse=True)
def quiet_logger():
    """Each test starts with the logger at its default (WARNING via root)."""
    logger = logging.getLogger(LOGGER)
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_trace_is_a_named_level_below_debug():
    assert etna_auth.TRACE == 5 < logging.DEBUG
    assert logging.getLevelName(5) == "TRACE"


def test_a_2fa_login_at_trace_logs_every_level_and_no_secret(sandbox, caplog):
    caplog.set_level(etna_auth.TRACE, logger=LOGGER)
    with sandbox.session() as s:
        token = s.login("dave", "dave-pass", pin="4321", code="654321")
    records = [r for r in caplog.records if r.name == LOGGER]
    levels = {r.levelname for r in records}
    assert levels == {"INFO", "DEBUG", "TRACE"}, levels
    lines = [r.getMessage() for r in records]
    assert len(lines) >= 6
    # The server's address is taken out first: its port (43215) could hold
    # the PIN's digits by chance.
    text = "\n".join(lines).replace(sandbox.url, "<url>")
    assert "<url>" in text
    assert "dave" in text  # the user name is not a secret: the log is useful
    for secret in ("dave-pass", "4321", "654321", token, sandbox.app_key):
        assert secret not in text, secret
    assert sandbox.app_key[:4] in text  # the key by its first 4 characters


def test_no_interim_or_session_token_in_the_log(serve, caplog):
    caplog.set_level(etna_auth.TRACE, logger=LOGGER)
    need_pin = http(202, {"State": "Expecting", "Step": "SecutityPin", "Reason": "Expecting pin", "Token": "interim-SECRET-1"})
    need_code = http(202, {"State": "Expecting", "Step": "VerificationCode", "Reason": "Code?", "Token": "interim-SECRET-2"})
    ok = http(200, {"State": "Succeeded", "Token": "session-SECRET-3"})
    server = serve(in_turn(need_pin, need_code, ok))
    with etna_auth.Session(server.url(), "the-app-key-SECRET", timeout=5) as s:
        assert s.login("u", "pw-SECRET", pin="PIN-SECRET", code="CODE-SECRET") == "session-SECRET-3"
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == LOGGER)
    assert "Expecting pin" in text  # the Reason is logged
    assert "SECRET" not in text, text


def test_no_callback_when_the_logger_is_above_info(sandbox, set_log_calls, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with sandbox.session() as s:
        s.login("bob", "bob-pass", pin="1234")
        assert s._log_level == 0
    assert set_log_calls == []
    assert [r for r in caplog.records if r.name == LOGGER] == []


def test_the_callback_follows_the_effective_level(sandbox, set_log_calls, caplog):
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    with sandbox.session() as s:
        assert set_log_calls == [(True, _log.NativeLevel.INFO)]  # from the start
        s.login("alice", "alice-pass")
        assert {r.levelno for r in caplog.records if r.name == LOGGER} == {logging.INFO}
        # Changed later: applies when the next login begins.
        logger.setLevel(logging.DEBUG)
        caplog.clear()
        s.login("alice", "alice-pass")
        assert set_log_calls[-1] == (True, _log.NativeLevel.DEBUG)
        assert logging.DEBUG in {r.levelno for r in caplog.records if r.name == LOGGER}
        assert etna_auth.TRACE not in {r.levelno for r in caplog.records if r.name == LOGGER}
        # Raised above INFO: the callback is removed, nothing more is logged.
        logger.setLevel(logging.ERROR)
        caplog.clear()
        s.login("alice", "alice-pass")
        assert set_log_calls[-1] == (False, _log.NativeLevel.INFO)
        assert [r for r in caplog.records if r.name == LOGGER] == []
        # Unchanged level: no further call (each one drops the connection).
        n = len(set_log_calls)
        s.login("alice", "alice-pass")
        assert len(set_log_calls) == n


def test_the_parent_logger_s_level_counts(sandbox, set_log_calls):
    # Effective level: a level set on the root logger turns it on too.
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        with sandbox.session() as s:
            s.login("alice", "alice-pass")
    finally:
        root.setLevel(old)
    assert set_log_calls == [(True, _log.NativeLevel.DEBUG)]


def test_a_failing_handler_never_raises_into_c(sandbox, monkeypatch):
    logger = logging.getLogger(LOGGER)
    logger.setLevel(etna_auth.TRACE)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    seen = []

    class Exploding(logging.Filter):
        def filter(self, record):
            seen.append(record.getMessage())
            raise RuntimeError("a broken log filter")

    exploding = Exploding()
    logger.addFilter(exploding)
    try:
        with sandbox.session() as s:
            assert s.login("bob", "bob-pass", pin="1234")
    finally:
        logger.removeFilter(exploding)
    assert seen  # the callback ran and the filter raised...
    assert unraisable == []  # ...and nothing reached ctypes' error path


def test_login_async_logs_from_a_thread_of_its_own(sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    async def main():
        with sandbox.session() as s:
            return await s.login_async("carol", "carol-pass", code="123456")

    token = asyncio.run(main())
    records = [r for r in caplog.records if r.name == LOGGER]
    assert records and all(token not in r.getMessage() for r in records)
    assert any(r.threadName != "MainThread" for r in records)


REQUEST_ID = contextvars.ContextVar("request_id", default="-")


def test_log_records_see_the_caller_s_contextvars(sandbox, tmp_path):
    # A request-id filter, as web apps have one: the records of a call carry
    # the caller's context (issue 30 §3; it saw the default before), from
    # the calling thread and from the threads of the async calls.
    seen = []

    class RequestId(logging.Filter):
        def filter(self, record):
            seen.append(REQUEST_ID.get())
            return True

    logger = logging.getLogger(LOGGER)
    request_id = RequestId()
    logger.addFilter(request_id)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with sandbox.session() as s:
            REQUEST_ID.set("sync")
            s.login("bob", "bob-pass", pin="1234")
            sync = set(seen)
            seen.clear()

            async def main():
                REQUEST_ID.set("async")
                await s.login_async("bob", "bob-pass", pin="1234")
                await s.acquire_token_async("alice", "alice-pass", store=tmp_path / "tokens.json")

            asyncio.run(main())
    finally:
        logger.removeFilter(request_id)
        logger.setLevel(level)
    assert sync == {"sync"}
    assert set(seen) == {"async"}
