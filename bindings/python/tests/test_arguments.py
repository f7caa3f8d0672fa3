"""Bad arguments, the object life cycle (context manager, close, GC), and
secrets kept out of repr() and exception text."""

import gc
import time
import traceback
import weakref

import pytest

import etna_auth
from etna_auth import Step
from helpers import STALL, always, begin_auth_in_flight, http, token_answer

SECRETS = ["alice-pass", "bob-pass", "1234", "0000", "carol-pass", "123456", "654321", "s3cr€t-π"]


# -- bad arguments -------------------------------------------------------

@pytest.mark.parametrize("bad", [None, b"alice", 42, ["alice"]])
def test_non_str_arguments_are_type_errors_before_any_call(sandbox, bad):
    with sandbox.session() as s:
        before = sandbox.request_count
        with pytest.raises(TypeError, match="username"):
            s.begin_auth(bad, "alice-pass")
        with pytest.raises(TypeError, match="password"):
            s.begin_auth("alice", bad)
        with pytest.raises(TypeError, match="username"):
            s.login(bad, "alice-pass")
        s.begin_auth("bob", "bob-pass")
        before = sandbox.request_count
        with pytest.raises(TypeError, match="pin"):
            s.supply_pin(bad)
        with pytest.raises(TypeError, match="code"):
            s.supply_code(bad)
        assert sandbox.request_count == before
        assert s.supply_pin("1234") is Step.DONE  # the step still stands
    with pytest.raises(TypeError, match="base_url"):
        etna_auth.Session(bad, "key")
    with pytest.raises(TypeError, match="app_key"):
        etna_auth.Session(sandbox.url, bad)


@pytest.mark.parametrize("control", ["\r\n", "\n", "\r", "\t", "\x01", "\x1f", "\x7f"])
def test_control_characters_are_argument_errors_and_nothing_is_sent(sandbox, control):
    with sandbox.session() as s:
        before = sandbox.request_count
        for args in (("ali" + control + "ce", "alice-pass"), ("alice", "alice" + control + "pass")):
            with pytest.raises(etna_auth.InvalidArgumentError) as info:
                s.begin_auth(*args)
            assert isinstance(info.value, ValueError)
            assert info.value.status is etna_auth.Status.ERR_ARGUMENT
        assert s.begin_auth("bob", "bob-pass") is Step.NEED_PIN
        after_begin = sandbox.request_count
        with pytest.raises(ValueError):
            s.supply_pin("12" + control + "34")
        assert sandbox.request_count == after_begin == before + 1
        assert s.supply_pin("1234") is Step.DONE


def test_nul_is_refused_in_python_not_cut_by_c(sandbox):
    # ctypes would pass "alice-pass\0junk" as "alice-pass": refuse it.
    with sandbox.session() as s:
        before = sandbox.request_count
        with pytest.raises(etna_auth.InvalidArgumentError, match="NUL"):
            s.begin_auth("alice", "alice-pass\0junk")
        with pytest.raises(ValueError, match="NUL"):
            s.begin_auth("alice\0", "alice-pass")
        assert sandbox.request_count == before


def test_lone_surrogate_is_a_value_error_without_the_secret(sandbox):
    with sandbox.session() as s:
        with pytest.raises(ValueError) as info:
            s.begin_auth("alice", "pass\udc80word")
        assert "pass" not in str(info.value).replace("password", "")
        # Not even reachable: a UnicodeEncodeError holds the whole string.
        assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "ftp://127.0.0.1/api",
        "http://example.com/api",  # plain http to a remote host
        "https://user:pw@example.com/api",
        "https://example.com/api?x=1",
        "https://example.com/api#frag",
    ],
)
def test_unacceptable_base_urls(url):
    with pytest.raises(etna_auth.InvalidArgumentError) as info:
        etna_auth.Session(url, "key")
    assert "pw" not in str(info.value) or "pw" not in url


def test_empty_app_key():
    with pytest.raises(ValueError):
        etna_auth.Session("https://example.com/api", "")


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 5e6])
def test_bad_timeouts_are_value_errors(timeout):
    with pytest.raises(etna_auth.InvalidArgumentError, match="timeout"):
        etna_auth.Session("https://example.com/api", "key", timeout=timeout)


@pytest.mark.parametrize("timeout", ["30", None, True])
def test_non_number_timeouts_are_type_errors(timeout):
    with pytest.raises(TypeError, match="timeout"):
        etna_auth.Session("https://example.com/api", "key", timeout=timeout)


def test_tiny_timeout_rounds_up_to_a_millisecond():
    with etna_auth.Session("https://example.com/api", "key", timeout=0.0001):
        pass


def test_https_remote_and_loopback_urls_are_accepted():
    for url in ("https://pub-api-et-demo-prod.etnasoft.us/api", "http://localhost:1/api", "http://[::1]:1/api/"):
        with etna_auth.Session(url, "key") as s:
            assert not s.closed


def test_wrong_ca_file_type():
    with pytest.raises(TypeError, match="ca_file"):
        etna_auth.Session("https://example.com/api", "key", ca_file=3)


def test_proxy_settings(sandbox):
    with sandbox.session() as s:
        s.set_proxy("http://127.0.0.1:9")
        s.set_proxy(None)
        with pytest.raises(etna_auth.InvalidArgumentError):
            s.set_proxy("socks5://127.0.0.1:9")
        with pytest.raises(TypeError):
            s.set_proxy(9)
        # A loopback server is never reached through a proxy.
        s.set_proxy("http://127.0.0.1:9")
        assert s.login("alice", "alice-pass")


# -- life cycle ------------------------------------------------------------

def test_base_url_is_the_one_given(sandbox, tmp_path):
    # What forget_token takes: the same key as the stored token's.
    with sandbox.session() as s:
        assert s.base_url == sandbox.url
        store = tmp_path / "tokens.json"
        s.acquire_token("alice", "alice-pass", store=store)
    assert s.base_url == sandbox.url  # also once closed
    etna_auth.forget_token(store, s.base_url, "alice")
    with sandbox.session() as s:
        assert not s.load_token(store, "alice")


def test_no_module_of_the_package_imports_one_that_imports_it():
    # One direction per pair (issue 30 §6: _acquire.py <-> _session.py).
    import ast
    from pathlib import Path

    package = Path(etna_auth.__file__).parent
    imports = {}
    for path in package.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names.update([node.module] if node.module else [a.name for a in node.names])
        imports[path.stem] = names
    circles = sorted((a, b) for a in imports for b in imports[a] if a < b and a in imports.get(b, ()))
    assert circles == []


def test_context_manager_closes(sandbox):
    with etna_auth.Session(sandbox.url, sandbox.app_key) as s:
        assert not s.closed
        s.login("alice", "alice-pass")
    assert s.closed
    assert "closed" in repr(s)


def test_double_close_is_fine(sandbox):
    s = etna_auth.Session(sandbox.url, sandbox.app_key)
    s.close()
    s.close()
    with s:
        pass
    assert s.closed


def test_use_after_close_raises_state_error(sandbox):
    s = etna_auth.Session(sandbox.url, sandbox.app_key)
    s.login("alice", "alice-pass")
    s.close()
    for call in (
        lambda: s.begin_auth("alice", "alice-pass"),
        lambda: s.supply_pin("1234"),
        lambda: s.supply_code("1234"),
        lambda: s.token,
        lambda: s.expires_at,
        lambda: s.authorization_header,
        lambda: s.login("alice", "alice-pass"),
        lambda: s.cancel(),
        lambda: s.set_proxy(None),
    ):
        with pytest.raises(etna_auth.StateError, match="closed"):
            call()


@pytest.fixture
def freed(monkeypatch):
    """The pointers Session._delete frees (it still frees them)."""
    calls = []
    original = etna_auth.Session._delete

    def counting(self, ptr):
        calls.append(ptr)
        original(self, ptr)

    monkeypatch.setattr(etna_auth.Session, "_delete", counting)
    return calls


def test_garbage_collection_frees_the_session(sandbox, freed):
    s = etna_auth.Session(sandbox.url, sandbox.app_key)
    s.login("alice", "alice-pass")
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None
    assert len(freed) == 1


def test_close_then_gc_frees_once(sandbox, freed):
    s = etna_auth.Session(sandbox.url, sandbox.app_key)
    s.close()
    s.close()
    del s
    gc.collect()
    assert len(freed) == 1


def test_failed_constructor_frees_the_session(sandbox, tmp_path, freed):
    # etna_new succeeds, set_ca_file fails: the session is freed, not leaked.
    with pytest.raises(etna_auth.EtnaIOError):
        etna_auth.Session(sandbox.url, sandbox.app_key, ca_file=tmp_path / "nope.pem")
    gc.collect()
    assert len(freed) == 1


def test_sandbox_stop_and_use_after_stop():
    sb = etna_auth.Sandbox()
    url = sb.url
    with etna_auth.Session(url, sb.app_key, timeout=2) as s:
        assert s.login("alice", "alice-pass")
        sb.close()
        sb.close()
        assert sb.closed and "stopped" in repr(sb)
        with pytest.raises(etna_auth.StateError):
            sb.request_count
        with pytest.raises(etna_auth.NetworkError):
            s.login("alice", "alice-pass")


def test_close_from_another_thread_interrupts_the_call_in_flight(serve):
    server = serve(always(STALL))
    s = etna_auth.Session(server.url(), "k", timeout=20)
    t, errors = begin_auth_in_flight(server, s)
    start = time.monotonic()
    s.close()  # must not free the session under the other thread's feet
    assert time.monotonic() - start < 2
    t.join(5)
    assert s.closed and not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], etna_auth.CancelledError)


# -- secrets ---------------------------------------------------------------

def _texts(exc: BaseException):
    """What a log shows of an exception (not the test's own source lines),
    and of everything chained to it."""
    while exc is not None:
        yield str(exc)
        yield repr(exc)
        yield "".join(traceback.format_exception_only(type(exc), exc))
        yield repr(exc.args)
        exc = exc.__cause__ or exc.__context__


def test_no_secret_in_repr_or_exception_text(sandbox, serve):
    texts = []
    with sandbox.session() as s:
        token = s.login("alice", "alice-pass")
        texts += [repr(s), str(s)]
        s.login("dave", "dave-pass", pin="4321", code="654321")
        token2 = s.token
        texts += [repr(s), str(s)]
        attempts = [
            lambda: s.login("alice", "s3cr€t-π"),
            lambda: s.login("bob", "bob-pass", pin="0000"),
            lambda: s.login("carol", "carol-pass", code=lambda r: "123457"),
            lambda: s.begin_auth("alice", "s3cr€t-π\r\n"),
            lambda: s.begin_auth("alice", "s3cr€t-π\0"),
            lambda: s.begin_auth("alice", "s3cr€t-π\udc80"),
            lambda: s.supply_pin("1234"),  # no PIN asked for
            lambda: s.login("bob", "bob-pass"),  # PIN asked for, not given
        ]
        for attempt in attempts:
            with pytest.raises(Exception) as info:
                attempt()
            texts += list(_texts(info.value))
    with etna_auth.Session(sandbox.url, "wrong-key") as s:
        with pytest.raises(etna_auth.AppKeyError) as info:
            s.login("alice", "alice-pass")
        texts += list(_texts(info.value))
    server = serve(always(token_answer("tok\x01en-1234")))
    with etna_auth.Session(server.url(), "k") as s:
        with pytest.raises(etna_auth.ProtocolError) as info:
            s.login("alice", "alice-pass")
        texts += list(_texts(info.value))
    texts.append(repr(sandbox))
    assert len(texts) > 20
    for text in texts:
        # The servers' addresses are taken out first: a port such as 41234 holds a PIN.
        shown = text.replace(sandbox.url, "<sandbox>").replace(server.url(), "<server>")
        for secret in SECRETS + [token, token2, "tok\\x01en", "tok\x01en"]:
            assert secret not in shown, (secret, text)
