"""Every login flow against the embedded sandbox, one call and step by step."""

import time
from datetime import datetime, timedelta, timezone

import pytest

import etna_auth
from etna_auth import Step


def test_single_factor(session):
    token = session.login("alice", "alice-pass")
    assert token and token == session.token
    assert session.authorization_header == {"Authorization": "Bearer " + token}


def test_pin(session):
    assert session.login("bob", "bob-pass", pin="1234") == session.token


def test_code(session):
    assert session.login("carol", "carol-pass", code="123456") == session.token


def test_pin_then_code(session):
    assert session.login("dave", "dave-pass", pin="4321", code="654321") == session.token


def test_non_ascii_username_and_password(session):
    assert session.login("jürgen", "pässwörd-ß")


def test_non_ascii_custom_account():
    account = {"username": "ユーザー", "password": "пароль-€", "pin": "0000"}
    with etna_auth.Sandbox({"accounts": [account]}) as sb, sb.session() as s:
        assert s.login("ユーザー", "пароль-€", pin="0000")
        with pytest.raises(etna_auth.CredentialsError):
            s.login("ユーザー", "пароль-$")


def test_step_by_step_with_reasons(session):
    assert session.begin_auth("dave", "dave-pass") is Step.NEED_PIN
    assert session.reason  # the server's Reason, e.g. "Expecting pin"
    assert session.supply_pin("0000") is Step.NEED_PIN
    assert session.reason == "Invalid pin"
    assert session.supply_pin("4321") is Step.NEED_CODE
    assert session.supply_code("000000") is Step.NEED_CODE
    assert session.reason == "Invalid verification code"
    assert session.supply_code("654321") is Step.DONE
    assert session.reason == ""
    assert session.token


def test_single_factor_step_by_step(session):
    assert session.begin_auth("alice", "alice-pass") is Step.DONE
    assert session.token


def test_expires_at_is_an_aware_datetime_a_day_ahead(session):
    assert session.expires_at is None
    before = datetime.now(timezone.utc)
    session.login("alice", "alice-pass")
    expires = session.expires_at
    assert expires is not None and expires.tzinfo is not None
    assert expires.utcoffset() == timedelta(0)
    after = datetime.now(timezone.utc)
    assert before + timedelta(hours=24) - timedelta(seconds=2) <= expires
    assert expires <= after + timedelta(hours=24) + timedelta(seconds=2)


def test_callable_factor_gets_the_reason_and_can_retry(session):
    reasons = []

    def code(reason):
        reasons.append(reason)
        return "111111" if len(reasons) == 1 else "123456"

    assert session.login("carol", "carol-pass", code=code)
    assert len(reasons) == 2
    assert reasons[1] == "Invalid verification code"
    assert reasons[0] != reasons[1]


def test_callable_pin_and_code(session):
    seen = []
    token = session.login(
        "dave",
        "dave-pass",
        pin=lambda r: seen.append(("pin", r)) or "4321",
        code=lambda r: seen.append(("code", r)) or "654321",
    )
    assert token
    assert [kind for kind, _ in seen] == ["pin", "code"]


def test_lockout_after_max_attempts(session):
    calls = []

    def always_wrong(reason):
        calls.append(reason)
        return "000000"

    with pytest.raises(etna_auth.RejectedError) as info:
        session.login("carol", "carol-pass", code=always_wrong)
    assert len(calls) == 3  # the default max_attempts
    assert info.value.status == etna_auth.Status.ERR_REJECTED
    # The login is over: nothing more to supply.
    with pytest.raises(etna_auth.StateError):
        session.supply_code("123456")
    # A new login works.
    assert session.login("carol", "carol-pass", code="123456")


def test_max_attempts_is_configurable():
    config = {"max_attempts": 1, "accounts": [{"username": "u", "password": "p", "pin": "1"}]}
    with etna_auth.Sandbox(config) as sb, sb.session() as s:
        assert s.begin_auth("u", "p") is Step.NEED_PIN
        with pytest.raises(etna_auth.RejectedError):
            s.supply_pin("2")


def test_factor_of_wrong_type_is_a_type_error_before_anything_is_sent(sandbox):
    with sandbox.session() as s:
        before = sandbox.request_count
        with pytest.raises(TypeError):
            s.login("bob", "bob-pass", pin=1234)
        assert sandbox.request_count == before


def test_relogin_replaces_the_token(session):
    first = session.login("alice", "alice-pass")
    second = session.login("bob", "bob-pass", pin="1234")
    assert first != second and session.token == second


def test_failed_login_drops_the_previous_token(session):
    session.login("alice", "alice-pass")
    with pytest.raises(etna_auth.CredentialsError):
        session.login("alice", "nope")
    with pytest.raises(etna_auth.StateError):
        session.token
    assert session.expires_at is None


def test_a_two_factor_login_uses_one_connection(sandbox):
    with sandbox.session() as s:
        requests0, connections0 = sandbox.request_count, sandbox.connection_count
        s.login("dave", "dave-pass", pin="4321", code="654321")
        assert sandbox.request_count - requests0 == 3
        assert sandbox.connection_count - connections0 == 1


def test_sandbox_custom_app_key():
    with etna_auth.Sandbox({"app_key": "my-key"}) as sb:
        assert sb.app_key == "my-key"
        with etna_auth.Session(sb.url, "my-key") as s:
            assert s.login("alice", "alice-pass")


def test_sandbox_bad_config():
    with pytest.raises(etna_auth.InvalidArgumentError, match="sandbox"):
        etna_auth.Sandbox({"no_such_key": 1})
    with pytest.raises(TypeError):
        etna_auth.Sandbox("{}")  # a dict, not JSON text


def test_sandbox_url_and_repr(sandbox):
    assert sandbox.url.startswith("http://127.0.0.1:") and sandbox.url.endswith("/api")
    assert sandbox.url in repr(sandbox)
    assert sandbox.app_key == "sandbox-app-key"


def test_token_cache_round_trip(sandbox, tmp_path):
    cache = tmp_path / "tokens.json"
    with sandbox.session() as s:
        token = s.login("alice", "alice-pass")
        s.save_token(cache)
    with sandbox.session() as s:
        assert s.load_token(cache, "alice") is True
        assert s.token == token and s.expires_at is not None
        assert s.load_token(cache, "bob") is False
        assert s.load_token(str(cache), "alice", min_valid=2 * 86400) is False
    etna_auth.forget_token(cache, sandbox.url, "alice")
    with sandbox.session() as s:
        assert s.load_token(cache, "alice") is False
        assert s.load_token(tmp_path / "missing.json", "alice") is False


def test_token_cache_errors(sandbox, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not a cache")
    bad.chmod(0o600)
    with sandbox.session() as s:
        with pytest.raises(etna_auth.StateError):
            s.save_token(tmp_path / "t.json")  # no token yet
        with pytest.raises(etna_auth.EtnaIOError) as info:
            s.load_token(bad, "alice")
        assert isinstance(info.value, OSError)


def test_version():
    assert etna_auth.library_version() == etna_auth.__version__


def test_end_login_abandons_a_login_and_sends_nothing_more(sandbox, session):
    assert session.begin_auth("dave", "dave-pass") is etna_auth.Step.NEED_PIN
    session.end_login()
    assert session.reason == ""
    before = sandbox.request_count
    with pytest.raises(etna_auth.StateError):
        session.supply_pin("4321")
    assert sandbox.request_count == before


def test_end_login_forgets_the_token_and_the_session_logs_in_again(session):
    session.login("alice", "alice-pass")
    session.end_login()
    with pytest.raises(etna_auth.StateError):
        session.token
    assert session.expires_at is None
    session.end_login()  # nothing to end is fine
    assert session.login("alice", "alice-pass")


def test_end_login_on_a_closed_session_raises(sandbox):
    s = sandbox.session()
    s.close()
    with pytest.raises(etna_auth.StateError, match="closed"):
        s.end_login()


def test_a_token_longer_than_the_first_buffer(serve):
    # The token is read with one call into a 1 KiB buffer; a longer one is
    # asked for again with its length.
    from helpers import always, token_answer

    long_token = "t" * 5000
    server = serve(always(token_answer(long_token)))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        assert s.login("u", "p") == long_token
        assert s.token == long_token


@pytest.mark.parametrize("length", [1023, 1024, 1025])
def test_tokens_around_the_buffer_size(serve, length):
    from helpers import always, token_answer

    token = "x" * length
    server = serve(always(token_answer(token)))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        assert s.login("u", "p") == token == s.token
