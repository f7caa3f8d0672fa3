"""Every error class: from the sandbox, from small hostile servers, and the
status -> exception table."""

import builtins
import pickle
import threading
import time

import pytest

import etna_auth
from etna_auth import Status, Step
from helpers import CA_PEM, LEAF_PEM, answer, free_port, header, http, reset, tls_server_context

OK = http(200, {"State": "Succeeded", "Token": "tok-abc"})
NEED_CODE = http(202, {"State": "Expecting", "Step": "VerificationCode", "Reason": "Expecting confirmation code", "Token": "interim-1"})
NEED_PIN = http(202, {"State": "Expecting", "Step": "SecutityPin", "Reason": "Expecting pin", "Token": "interim-1"})


def login_against(server, *, timeout=5.0, **kwargs):
    with etna_auth.Session(server.url(), "the-key", timeout=timeout) as s:
        return s.login("u", "s3cret-pw", **kwargs)


# -- from the sandbox ------------------------------------------------------

def test_app_key_error(sandbox):
    with etna_auth.Session(sandbox.url, "wrong-key") as s:
        with pytest.raises(etna_auth.AppKeyError) as info:
            s.login("alice", "alice-pass")
    assert info.value.status is Status.ERR_APP_KEY
    assert "pplication key" in info.value.message


def test_credentials_error(session):
    with pytest.raises(etna_auth.CredentialsError) as info:
        session.login("alice", "wrong-pass")
    assert info.value.status is Status.ERR_CREDENTIALS
    assert "401" in str(info.value)
    with pytest.raises(etna_auth.CredentialsError):
        session.login("nobody", "alice-pass")


def test_state_errors(session):
    with pytest.raises(etna_auth.StateError):
        session.supply_pin("1234")  # nothing asked for
    with pytest.raises(etna_auth.StateError):
        session.token
    assert session.begin_auth("bob", "bob-pass") is Step.NEED_PIN
    with pytest.raises(etna_auth.StateError):
        session.supply_code("123456")  # the PIN was asked for
    # STATE changes nothing: the PIN can still be given.
    assert session.supply_pin("1234") is Step.DONE


def test_io_error_for_an_unreadable_ca_file(sandbox, tmp_path):
    with pytest.raises(etna_auth.EtnaIOError) as info:
        etna_auth.Session(sandbox.url, sandbox.app_key, ca_file=tmp_path / "missing.pem")
    assert isinstance(info.value, OSError)
    assert info.value.status is Status.ERR_IO


def test_ca_file_without_a_certificate_is_an_argument_error(sandbox, tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    with pytest.raises(etna_auth.InvalidArgumentError):
        etna_auth.Session(sandbox.url, sandbox.app_key, ca_file=str(empty))


def _native_message_of(start):
    """etna_last_error() after ``start()`` (a raw ctypes call that fails),
    read on this thread: what the binding must show verbatim."""
    from etna_auth import _ffi

    assert not start()
    return _ffi.text(_ffi.lib().etna_last_error()), _ffi.lib().etna_last_status()


def test_sandbox_on_a_busy_port_is_an_io_error(sandbox):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(etna_auth.EtnaIOError) as info:
            etna_auth.Sandbox({"port": port})
        from etna_auth import _ffi

        expected, status = _native_message_of(lambda: _ffi.lib().etna_sandbox_start(f'{{"port": {port}}}'.encode()))
    assert isinstance(info.value, OSError)
    assert info.value.status is Status.ERR_IO == status
    assert str(info.value) == info.value.message == expected  # verbatim, no prefix added
    assert "cannot start the sandbox: cannot start the sandbox" not in str(info.value)


def test_sandbox_bad_config_message_is_the_library_s(sandbox):
    from etna_auth import _ffi

    with pytest.raises(etna_auth.InvalidArgumentError) as info:
        etna_auth.Sandbox({"max_attempts": "three"})
    expected, status = _native_message_of(lambda: _ffi.lib().etna_sandbox_start(b'{"max_attempts": "three"}'))
    assert info.value.status is Status.ERR_ARGUMENT == status
    assert str(info.value) == expected
    assert str(info.value).count("sandbox") <= 1


def test_session_refused_by_etna_new_has_the_library_s_status_and_message():
    from etna_auth import _ffi

    with pytest.raises(etna_auth.InvalidArgumentError) as info:
        etna_auth.Session("http://example.com/api", "k")  # plain http to a remote host
    expected, status = _native_message_of(lambda: _ffi.lib().etna_new(b"http://example.com/api", b"k"))
    assert info.value.status is Status.ERR_ARGUMENT == status
    assert str(info.value) == expected and expected


# -- hostile servers -------------------------------------------------------

def test_garbage_is_a_protocol_error(serve):
    server = serve(answer(b"this is not HTTP at all\r\n\r\n"))
    with pytest.raises(etna_auth.ProtocolError):
        login_against(server)


def test_not_json_is_a_protocol_error(serve):
    server = serve(answer(http(200, "<html>hello</html>")))
    with pytest.raises(etna_auth.ProtocolError) as info:
        login_against(server)
    assert info.value.status is Status.ERR_PROTOCOL


def test_missing_token_is_a_protocol_error(serve):
    server = serve(answer(http(200, {"State": "Succeeded"})))
    with pytest.raises(etna_auth.ProtocolError, match="Token"):
        login_against(server)


def test_unknown_step_is_a_protocol_error_naming_it(serve):
    body = {"State": "Expecting", "Step": "RetinaScan", "Reason": "Look here", "Token": "t"}
    server = serve(answer(http(202, body)))
    with pytest.raises(etna_auth.ProtocolError, match="RetinaScan"):
        login_against(server)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_5xx_and_429_are_server_errors(serve, status):
    server = serve(answer(http(status, "busy")))
    with pytest.raises(etna_auth.ServerError, match=str(status)) as info:
        login_against(server)
    assert info.value.status is Status.ERR_SERVER


def test_redirects_are_not_followed(serve):
    target = serve(answer(OK))
    location = f"Location: {target.url()}/token"
    server = serve(answer(http(302, "", headers=(location,))))
    with pytest.raises(etna_auth.ProtocolError):
        login_against(server)
    assert server.requests == 1
    assert target.requests == 0  # the credentials went nowhere else


def test_reset_is_a_network_error(serve):
    def handler(n, head, conn):
        reset(conn)
        return False

    server = serve(handler)
    with pytest.raises(etna_auth.NetworkError) as info:
        login_against(server)
    assert isinstance(info.value, ConnectionError)
    assert info.value.status is Status.ERR_NETWORK


def test_truncated_answer_is_a_network_error(serve):
    def handler(n, head, conn):
        conn.sendall(http(200, {"State": "Succeeded", "Token": "tok"})[:-5])
        return False

    with pytest.raises(etna_auth.NetworkError):
        login_against(serve(handler))


def test_connection_refused_is_a_network_error():
    with etna_auth.Session(f"http://127.0.0.1:{free_port()}/api", "k") as s:
        with pytest.raises(etna_auth.NetworkError):
            s.begin_auth("u", "p")


def test_a_silent_server_times_out_on_time(serve):
    stop = threading.Event()

    def silent(n, head, conn):
        stop.wait(10)
        return False

    server = serve(silent)
    start = time.monotonic()
    try:
        with pytest.raises(etna_auth.TimeoutError) as info:
            login_against(server, timeout=0.4)
    finally:
        stop.set()
    elapsed = time.monotonic() - start
    assert isinstance(info.value, builtins.TimeoutError)
    assert info.value.status is Status.ERR_TIMEOUT
    assert 0.3 <= elapsed < 3.0


def test_a_dripping_server_cannot_hold_a_call_past_its_deadline(serve):
    stop = threading.Event()

    def drip(n, head, conn):
        for byte in http(200, {"State": "Succeeded", "Token": "x" * 50}):
            if stop.wait(0.1):
                break
            conn.sendall(bytes([byte]))
        return False

    server = serve(drip)
    start = time.monotonic()
    try:
        with pytest.raises(builtins.TimeoutError):
            login_against(server, timeout=0.5)
    finally:
        stop.set()
    assert time.monotonic() - start < 3.0


def test_corrupted_ticket_is_rejected(serve):
    corrupted = http(401, {"State": "Failed", "Step": "VerificationCode", "Reason": "Corrupted ticket"})
    server = serve(answer(NEED_CODE, corrupted))
    with pytest.raises(etna_auth.RejectedError, match="Corrupted ticket"):
        login_against(server, code="123456")


def test_app_key_body_whatever_the_status(serve):
    body = {"error": "Application key is not defined or does not exist"}
    for status in (400, 401, 403):
        with pytest.raises(etna_auth.AppKeyError):
            login_against(serve(answer(http(status, body))))


def test_tls_handshake_failure_is_a_tls_error(serve, tmp_path):
    # An https URL to a server that answers the ClientHello in plain HTTP.
    def plain_http(conn):
        conn.recv(4096)
        conn.sendall(http(400, "this is plain http"))
        return False

    server = serve(answer(OK), on_connect=plain_http)
    ca = tmp_path / "ca.pem"
    ca.write_text(CA_PEM)
    with etna_auth.Session(server.url("https"), "k", timeout=5, ca_file=ca) as s:
        with pytest.raises(etna_auth.TlsError) as info:
            s.begin_auth("u", "s3cret-pw")
    assert info.value.status is Status.ERR_TLS


def test_tls_with_the_right_ca_file_works(serve, tmp_path):
    server = serve(answer(OK), tls=tls_server_context(tmp_path))
    ca = tmp_path / "ca.pem"
    ca.write_text(CA_PEM)
    with etna_auth.Session(server.url("https", "localhost"), "k", timeout=5, ca_file=ca) as s:
        assert s.login("u", "p") == "tok-abc"


def test_tls_untrusted_certificate(serve, tmp_path):
    server = serve(answer(OK), tls=tls_server_context(tmp_path))
    other = tmp_path / "leaf-as-ca.pem"
    other.write_text(LEAF_PEM)  # a certificate, but not the issuer
    with etna_auth.Session(server.url("https", "localhost"), "k", timeout=5, ca_file=other) as s:
        with pytest.raises(etna_auth.TlsError, match="certificate"):
            s.login("u", "p")
    assert server.requests == 0


def test_tls_host_name_mismatch(serve, tmp_path):
    server = serve(answer(OK), tls=tls_server_context(tmp_path))
    ca = tmp_path / "ca.pem"
    ca.write_text(CA_PEM)
    # The certificate is for "localhost", not for 127.0.0.1.
    with etna_auth.Session(server.url("https", "127.0.0.1"), "k", timeout=5, ca_file=ca) as s:
        with pytest.raises(etna_auth.TlsError, match="127.0.0.1"):
            s.login("u", "p")
    assert server.requests == 0


def test_transient_errors_on_a_supply_call_keep_the_step(serve):
    busy = http(503, "busy")
    server = serve(answer(NEED_CODE, busy, OK))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        assert s.begin_auth("u", "p") is Step.NEED_CODE
        with pytest.raises(etna_auth.ServerError):
            s.supply_code("1")
        assert s.supply_code("1") is Step.DONE  # retried
        assert s.token == "tok-abc"


def test_other_errors_on_a_supply_call_end_the_login(serve):
    refused = http(401, {"State": "Failed", "Step": "SecutityPin", "Reason": "Invalid pin"})
    server = serve(answer(NEED_PIN, refused))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        assert s.begin_auth("u", "p") is Step.NEED_PIN
        with pytest.raises(etna_auth.RejectedError):
            s.supply_pin("1")
        with pytest.raises(etna_auth.StateError):
            s.supply_pin("1")
    assert server.requests == 2


def test_second_steps_send_the_interim_token_and_the_factor(serve):
    server = serve(answer(NEED_PIN, NEED_CODE, OK))
    assert login_against(server, pin="1234", code="999") == "tok-abc"
    first, pin_step, code_step = server.heads
    assert header(first, "Et-App-Key") == b"the-key"
    assert header(first, "Authorization") is None
    assert header(pin_step, "Authorization") == b"Bearer interim-1"
    assert header(pin_step, "PinCode") == b"1234"
    assert header(code_step, "VerificationCode") == b"999"
    assert header(code_step, "PinCode") is None


def test_non_ascii_credentials_are_sent_as_utf8(serve):
    server = serve(answer(OK))
    with etna_auth.Session(server.url(), "k", timeout=5) as s:
        s.login("jürgen", "pässwörd-ß")
    assert header(server.heads[0], "Username") == "jürgen".encode("utf-8")
    assert header(server.heads[0], "Password") == "pässwörd-ß".encode("utf-8")


def test_cancel_interrupts_a_call_in_flight(serve):
    stop = threading.Event()
    server = serve(lambda n, head, conn: stop.wait(10) and False)
    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        errors = []

        def run():
            try:
                s.begin_auth("u", "p")
            except Exception as exc:
                errors.append(exc)

        t = threading.Thread(target=run)
        t.start()
        while server.requests == 0:
            time.sleep(0.01)
        start = time.monotonic()
        s.cancel()
        t.join(5)
        stop.set()
        assert not t.is_alive()
        assert time.monotonic() - start < 2
        assert len(errors) == 1 and isinstance(errors[0], etna_auth.CancelledError)
        assert errors[0].status is Status.ERR_CANCELLED


def test_cancel_with_nothing_in_flight_stops_the_next_call_once(sandbox, session):
    session.cancel()
    before = sandbox.request_count
    with pytest.raises(etna_auth.CancelledError) as info:
        session.begin_auth("alice", "alice-pass")
    assert info.value.status is Status.ERR_CANCELLED
    assert sandbox.request_count == before  # nothing was sent
    assert session.login("alice", "alice-pass")  # each cancel is used once


def test_two_cancels_stop_one_call(session):
    session.cancel()
    session.cancel()
    with pytest.raises(etna_auth.CancelledError):
        session.begin_auth("alice", "alice-pass")
    assert session.begin_auth("alice", "alice-pass") is Step.DONE


def test_end_login_drops_an_unused_cancel(session):
    session.cancel()
    session.end_login()
    assert session.begin_auth("alice", "alice-pass") is Step.DONE


# -- the table -------------------------------------------------------------

# The builtin exceptions some classes also are, so that generic handlers
# (``except OSError``, ``except ValueError``...) catch them. Which status
# has which class is checked against the header in test_header.py.
ALSO_BUILTIN = {
    etna_auth.InvalidArgumentError: ValueError,
    etna_auth.NetworkError: ConnectionError,
    etna_auth.TimeoutError: builtins.TimeoutError,
    etna_auth.EtnaIOError: OSError,
}


def test_every_error_status_has_its_own_class():
    from etna_auth._errors import error_for

    classes = set()
    for status in (s for s in Status if s < 0):
        exc = error_for(status, "msg")
        cls = type(exc)
        assert cls is not etna_auth.EtnaError and isinstance(exc, etna_auth.EtnaError)
        assert isinstance(exc, ALSO_BUILTIN.get(cls, etna_auth.EtnaError))
        assert exc.status is status and str(exc) == "msg"
        classes.add(cls)
        # The library's description is the fallback message.
        assert error_for(status).message.startswith("ETNA_" + status.name)
        # Exceptions survive pickling (multiprocessing, logging handlers).
        again = pickle.loads(pickle.dumps(exc))
        assert type(again) is cls and again.status is status and again.message == "msg"
    assert len(classes) == len([s for s in Status if s < 0])
    assert set(ALSO_BUILTIN) <= classes
    unknown = error_for(-1234, "odd")
    assert type(unknown) is etna_auth.EtnaError and unknown.status == -1234


def test_status_descriptions_are_distinct():
    descriptions = {s.describe() for s in Status}
    assert len(descriptions) == len(Status)


def test_direct_construction():
    exc = etna_auth.CredentialsError("bad")
    assert exc.status is Status.ERR_CREDENTIALS and str(exc) == "bad"
    assert "CredentialsError" in repr(exc) and "ERR_CREDENTIALS" in repr(exc)
