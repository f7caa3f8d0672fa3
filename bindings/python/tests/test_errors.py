"""Every error class: from the sandbox, from small hostile servers, and the
status -> exception table."""

import builtins
import pickle
import time

import pytest

import etna_auth
from etna_auth import Status, Step
from helpers import STALL, always, begin_auth_in_flight


# -- from the sandbox ------------------------------------------------------

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

def test_cancel_interrupts_a_call_in_flight(serve):
    server = serve(always(STALL))
    with etna_auth.Session(server.url(), "k", timeout=20) as s:
        t, errors = begin_auth_in_flight(server, s)
        start = time.monotonic()
        s.cancel()
        t.join(5)
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


def test_the_status_of_a_code_this_binding_does_not_know_is_a_status():
    # A newer library's code: still a Status (typed so: e.status.name
    # type-checks), equal to the code, named UNKNOWN; Status() itself still
    # refuses the code, and the error survives pickling.
    from etna_auth._errors import error_for

    unknown = error_for(-1234, "odd")
    assert isinstance(unknown.status, Status) and unknown.status == -1234 and int(unknown.status) == -1234
    assert unknown.status.name == "UNKNOWN" and unknown.status not in list(Status)
    assert repr(unknown) == "EtnaError('odd', status=-1234)"
    with pytest.raises(ValueError):
        Status(-1234)
    again = pickle.loads(pickle.dumps(unknown))
    assert again.status == -1234 and isinstance(again.status, Status)
    assert etna_auth.EtnaError("plain").status is Status.OK


def test_status_descriptions_are_distinct():
    descriptions = {s.describe() for s in Status}
    assert len(descriptions) == len(Status)


def test_direct_construction():
    exc = etna_auth.CredentialsError("bad")
    assert exc.status is Status.ERR_CREDENTIALS and str(exc) == "bad"
    assert "CredentialsError" in repr(exc) and "ERR_CREDENTIALS" in repr(exc)
