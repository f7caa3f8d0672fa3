"""docs/login-policy.md, rule by rule, against the sandbox: each test runs
with ``Session.login`` (one etna_login call) and with ``Session.login_async``
(the library's steps, driven by the binding) through the ``login`` fixture,
so that both show the library's outcome and text."""

import asyncio
import threading
import time

import pytest

import etna_auth
from etna_auth import Status, Step
from helpers import NEED_PIN, http, in_turn


@pytest.fixture(params=["login", "login_async"])
def login(request):
    """login(session, user, password, **factors) through one driver."""
    if request.param == "login":
        return lambda s, *args, **kwargs: s.login(*args, **kwargs)
    return lambda s, *args, **kwargs: asyncio.run(s.login_async(*args, **kwargs))


def assert_login_ended(sandbox, session):
    """After a give-up: no credentials left, supply_* is the STATE error and
    sends nothing; the session logs in again."""
    before = sandbox.request_count
    for supply in (session.supply_pin, session.supply_code):
        with pytest.raises(etna_auth.StateError) as info:
            supply("1234")
        assert info.value.status is Status.ERR_STATE
    assert sandbox.request_count == before
    assert session.reason == ""
    assert session.expires_at is None
    assert session.login("alice", "alice-pass")


def native_messages(sandbox, user, password, steps):
    """The library's messages for a step-by-step run (what the policy must
    show verbatim): [reason after begin, reason or error after each step]."""
    out = []
    with sandbox.session() as s:
        s.begin_auth(user, password)
        out.append(s.reason)
        for supply, value in steps:
            try:
                getattr(s, supply)(value)
                out.append(s.reason)
            except etna_auth.EtnaError as exc:
                out.append(exc)
    return out


# -- a factor given as a string -----------------------------------------

def test_a_string_factor_is_sent_once(login, sandbox, session):
    before = sandbox.request_count
    assert login(session, "dave", "dave-pass", pin="4321", code="654321") == session.token
    assert sandbox.request_count - before == 3  # begin, PIN, code


@pytest.mark.parametrize(
    "user, password, factors, reason",
    [
        ("bob", "bob-pass", {"pin": "9999"}, "Invalid pin"),
        ("carol", "carol-pass", {"code": "000000"}, "Invalid verification code"),
        ("dave", "dave-pass", {"pin": "4321", "code": "000000"}, "Invalid verification code"),
    ],
)
def test_a_string_factor_asked_again_is_rejected_with_the_server_s_reason(
    login, sandbox, session, user, password, factors, reason
):
    before = sandbox.request_count
    with pytest.raises(etna_auth.RejectedError) as info:
        login(session, user, password, **factors)
    # One attempt per string, not the remaining attempts.
    assert sandbox.request_count - before == 1 + len(factors)
    assert info.value.status is Status.ERR_REJECTED
    assert str(info.value) == info.value.message == reason  # verbatim, no prefix
    assert "9999" not in repr(info.value) and "000000" not in repr(info.value)
    assert_login_ended(sandbox, session)


# -- a factor given as a callable ----------------------------------------

def test_the_callable_gets_the_server_s_reason_each_time(login, sandbox, session):
    reasons = []

    def pin(reason):
        reasons.append(reason)
        return "4321" if len(reasons) == 3 else "0000"

    assert login(session, "dave", "dave-pass", pin=pin, code="654321")
    expected = native_messages(sandbox, "dave", "dave-pass", [("supply_pin", "0000"), ("supply_pin", "0000")])
    assert reasons == expected == [expected[0], "Invalid pin", "Invalid pin"]
    assert expected[0]  # the sandbox's first Reason ("Expecting security pin")


def test_a_callable_that_keeps_answering_wrong_meets_the_server_s_limit(login, sandbox, session):
    calls = []

    def code(reason):
        calls.append(reason)
        return "000000"

    with pytest.raises(etna_auth.RejectedError) as info:
        login(session, "carol", "carol-pass", code=code)
    assert len(calls) == 3  # the sandbox's max_attempts
    wrong = [("supply_code", "000000")] * 3
    final = native_messages(sandbox, "carol", "carol-pass", wrong)[-1]
    assert isinstance(final, etna_auth.RejectedError)
    assert str(info.value) == str(final)  # the library's message, verbatim
    assert_login_ended(sandbox, session)


@pytest.mark.parametrize("factor", ["pin", "code"])
def test_a_callable_returning_none_abandons_the_login(login, sandbox, session, factor):
    factors = {"pin": "4321", "code": "654321"}
    factors[factor] = lambda reason: None
    before = sandbox.request_count
    with pytest.raises(etna_auth.CancelledError) as info:
        login(session, "dave", "dave-pass", **factors)
    assert info.value.status is Status.ERR_CANCELLED
    noun = "PIN" if factor == "pin" else "verification code"
    assert str(info.value) == f"the login was abandoned: no {noun} was given"
    assert sandbox.request_count - before == (1 if factor == "pin" else 2)
    assert_login_ended(sandbox, session)


@pytest.mark.parametrize(
    "user, password, factors, noun",
    [("bob", "bob-pass", {}, "PIN"), ("dave", "dave-pass", {"pin": "4321"}, "verification code")],
)
def test_a_factor_not_given_is_the_same_as_none(login, sandbox, session, user, password, factors, noun):
    with pytest.raises(etna_auth.CancelledError) as info:
        login(session, user, password, **factors)
    assert info.value.status is Status.ERR_CANCELLED
    assert str(info.value) == f"the login was abandoned: no {noun} was given"
    assert not isinstance(info.value, ValueError)
    assert_login_ended(sandbox, session)


def test_a_callable_s_exception_propagates_unchanged(login, sandbox, session):
    class Abort(Exception):
        pass

    raised = Abort("the user closed the dialog")

    def code(reason):
        raise raised

    with pytest.raises(Abort) as info:
        login(session, "carol", "carol-pass", code=code)
    assert info.value is raised
    assert_login_ended(sandbox, session)


def test_a_keyboard_interrupt_in_a_callable_ends_the_login_too(login, sandbox, session):
    def pin(reason):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        login(session, "bob", "bob-pass", pin=pin)
    assert_login_ended(sandbox, session)


@pytest.mark.parametrize("length", [255, 256, 300])
def test_an_answer_too_long_for_the_library_s_buffer_is_refused_with_one_text(sandbox, length):
    # etna_login takes answers up to ETNA_ANSWER_BUFFER_SIZE - 1 bytes, and
    # says so in its own words; login_async, which sends the answers itself,
    # refuses the same answers with the same text.
    outcomes = []
    for drive in (lambda s, **f: s.login("bob", "bob-pass", **f),
                  lambda s, **f: asyncio.run(s.login_async("bob", "bob-pass", **f))):
        answers = ["7" * length, "1234"]
        with sandbox.session() as s:
            try:
                outcomes.append(drive(s, pin=lambda reason: answers.pop(0)) == s.token)
            except etna_auth.InvalidArgumentError as exc:
                outcomes.append(str(exc))
                assert_login_ended(sandbox, s)
    if length < 256:
        assert outcomes == [True, True]  # the long PIN was sent, refused, and asked again
    else:
        assert outcomes[0] == outcomes[1]
        assert outcomes[0].startswith("the PIN written by the callback does not fit"), outcomes[0]
        assert "7777" not in outcomes[0]


def test_a_callable_must_return_a_str_or_none(login, sandbox, session):
    with pytest.raises(TypeError, match="pin"):
        login(session, "bob", "bob-pass", pin=lambda reason: 1234)
    assert_login_ended(sandbox, session)


def test_a_factor_of_a_wrong_type_is_refused_before_anything_is_sent(login, sandbox, session):
    session.login("alice", "alice-pass")
    token = session.token
    before = sandbox.request_count
    with pytest.raises(TypeError):
        login(session, "bob", "bob-pass", pin=1234)
    assert sandbox.request_count == before
    assert session.token == token  # nothing was ended either


# -- errors from the library ---------------------------------------------

def test_a_library_error_ends_the_login_with_the_library_s_message(login, sandbox, session):
    with pytest.raises(etna_auth.CredentialsError) as info:
        login(session, "bob", "wrong-pass", pin="1234")
    with sandbox.session() as s:
        with pytest.raises(etna_auth.CredentialsError) as native:
            s.begin_auth("bob", "wrong-pass")
    assert info.value.status is Status.ERR_CREDENTIALS
    assert str(info.value) == str(native.value) and "401" in str(info.value)
    assert_login_ended(sandbox, session)


def test_a_transient_error_on_a_step_ends_the_login_too(login, serve):
    # The library keeps the step after a 5xx (a supply call may be
    # repeated); login() does not retry: it ends the login and raises.
    server = serve(in_turn(NEED_PIN, http(503, "busy")))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        with pytest.raises(etna_auth.ServerError) as info:
            login(s, "u", "p", pin="1234")
        assert info.value.status is Status.ERR_SERVER and "503" in str(info.value)
        with pytest.raises(etna_auth.StateError):
            s.supply_pin("1234")
    assert server.requests == 2


def test_a_pending_cancel_stops_the_login_before_it_sends(login, sandbox, session):
    session.cancel()
    before = sandbox.request_count
    with pytest.raises(etna_auth.CancelledError) as info:
        login(session, "alice", "alice-pass")
    assert info.value.status is Status.ERR_CANCELLED
    assert sandbox.request_count == before
    assert_login_ended(sandbox, session)


def test_cancel_from_another_thread_during_a_login(sandbox, session):
    # A callback blocks the login at the PIN; another thread cancels; the
    # PIN exchange raises CancelledError, and the login is ended.
    asked = threading.Event()

    def pin(reason):
        asked.set()
        time.sleep(0.2)  # the cancel lands now, before the PIN is sent
        return "1234"

    def canceller():
        asked.wait(5)
        session.cancel()

    t = threading.Thread(target=canceller)
    t.start()
    with pytest.raises(etna_auth.CancelledError):
        session.login("bob", "bob-pass", pin=pin)
    t.join()
    assert_login_ended(sandbox, session)


# -- the result -------------------------------------------------------------

def test_expires_at_is_none_without_a_token(login, sandbox, session):
    assert session.expires_at is None
    login(session, "alice", "alice-pass")
    assert session.expires_at is not None
    with pytest.raises(etna_auth.CredentialsError):
        login(session, "alice", "nope")
    assert session.expires_at is None


def test_login_rejects_an_async_callable():
    # login() cannot await: it says so, and leaves no coroutine unawaited.
    with etna_auth.Sandbox() as sb, sb.session() as s:
        async def pin(reason):
            return "1234"

        with _no_warnings():
            with pytest.raises(TypeError, match="login_async"):
                s.login("bob", "bob-pass", pin=pin)
        assert_login_ended(sb, s)


class _no_warnings:
    """No "coroutine ... was never awaited" warning in the block."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self.records = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        import gc

        gc.collect()  # a coroutine left unawaited warns when collected
        self._catch.__exit__(*exc)
        assert [str(w.message) for w in self.records if "never awaited" in str(w.message)] == []
