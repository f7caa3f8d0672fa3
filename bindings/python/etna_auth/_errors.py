"""Status codes and the exception raised for each error status.

One table (``_CLASS_FOR_STATUS``) maps every ``ETNA_ERR_*`` code of the C
ABI to its exception class. Messages come from ``etna_last_error()``, which
never holds a password, PIN, code or token.

The library's status table (src/status_table.rs, written to
bindings/status_codes.json) is the source of every fact here: the class
names, families (a family member subclasses its family's class), the
``retry_can_help`` flags and the first line of each docstring.
tests/test_header.py checks every column against that file.
"""

import builtins
import enum
from typing import Any, ClassVar, Dict, NoReturn, Optional, Tuple, Type

from . import _ffi

__all__ = [
    "Status",
    "EtnaError",
    "InvalidArgumentError",
    "StateError",
    "AppKeyError",
    "CredentialsError",
    "RejectedError",
    "NetworkError",
    "EtnaTimeoutError",
    "ProtocolError",
    "ServerError",
    "EtnaIOError",
    "TlsError",
    "NoTokenError",
    "EtnaCancelledError",
    "InternalError",
    "error_for",
]


class Status(enum.IntEnum):
    """Every status code of the C ABI (``ETNA_*`` in ``etna_auth.h``)."""

    OK = 0
    NEED_PIN = 1
    NEED_CODE = 2
    NEED_PASSWORD = 3
    ERR_ARGUMENT = -1
    ERR_STATE = -2
    ERR_APP_KEY = -3
    ERR_CREDENTIALS = -4
    ERR_REJECTED = -5
    ERR_NETWORK = -6
    ERR_TIMEOUT = -7
    ERR_PROTOCOL = -8
    ERR_SERVER = -9
    ERR_IO = -10
    ERR_TLS = -11
    ERR_NO_TOKEN = -12
    ERR_CANCELLED = -13
    ERR_INTERNAL = -99

    def describe(self) -> str:
        """The library's static description (``etna_status_str``)."""
        return _ffi.text(_ffi.lib().etna_status_str(int(self)))


class EtnaError(Exception):
    """An etna-auth call failed.

    ``status`` is the :class:`Status` (for a code this binding does not
    know, a ``Status`` of that value named ``UNKNOWN``: it still equals the
    code) and ``message`` the library's one-line explanation, also
    ``str(error)``. Neither ever holds a secret.
    """

    #: The status of an error made without one (each subclass its own;
    #: ``Status.OK``, 0, for the base class, as before it had a default).
    default_status: ClassVar[Status] = Status.OK
    #: Whether trying the same call again later can succeed (a network
    #: failure, a timeout, a server error): the status table's ``retry``.
    retry_can_help: ClassVar[bool] = False
    status: Status
    message: str

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        if status is None:
            status = self.default_status
        self.status = _status_of(status)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        known = self.status.name in Status.__members__
        status = f"Status.{self.status.name}" if known else int(self.status)
        return f"{type(self).__name__}({self.message!r}, status={status})"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.message, int(self.status)))


def _status_of(code: int) -> Status:
    """``Status(code)``, or for a code this binding does not know (a newer
    library's) a ``Status`` of that value named ``UNKNOWN``, so that
    ``EtnaError.status`` is always a :class:`Status` (``Status(code)``
    itself still raises ``ValueError`` for it)."""
    try:
        return Status(code)
    except ValueError:
        unknown = int.__new__(Status, code)
        unknown._name_ = "UNKNOWN"
        unknown._value_ = int(code)
        return unknown


class InvalidArgumentError(EtnaError, ValueError):
    """ETNA_ERR_ARGUMENT: A bad argument (NULL, invalid UTF-8, a control character in a header value...). Nothing was sent.

    Also a builtin ``ValueError``."""

    default_status: ClassVar[Status] = Status.ERR_ARGUMENT


class StateError(EtnaError):
    """ETNA_ERR_STATE: The call is not valid now (e.g. etna_supply_pin() when no PIN was asked for). Nothing was sent.

    Also raised by a closed object."""

    default_status: ClassVar[Status] = Status.ERR_STATE


class AppKeyError(EtnaError):
    """ETNA_ERR_APP_KEY: The server does not know the application key ("Application key is not defined or does not exist")."""

    default_status: ClassVar[Status] = Status.ERR_APP_KEY


class CredentialsError(EtnaError):
    """ETNA_ERR_CREDENTIALS: Wrong user name or password (401 Failed at step BaseAuthentication)."""

    default_status: ClassVar[Status] = Status.ERR_CREDENTIALS


class RejectedError(EtnaError):
    """ETNA_ERR_REJECTED: The server ended the login: second factor refused for good, "Corrupted ticket", any other Failed answer.

    Also raised by :meth:`Session.login` for a factor given as a string that
    the server asks for again (its message is then the server's Reason)."""

    default_status: ClassVar[Status] = Status.ERR_REJECTED


class NetworkError(EtnaError, builtins.ConnectionError):
    """ETNA_ERR_NETWORK: Network failure: DNS, connect, reset, truncated answer.

    Also a builtin ``ConnectionError``."""

    default_status: ClassVar[Status] = Status.ERR_NETWORK
    retry_can_help: ClassVar[bool] = True


class EtnaTimeoutError(NetworkError, builtins.TimeoutError):
    """ETNA_ERR_TIMEOUT: The exchange did not complete within the session's timeout,
    or a wait for another login's or writer's lock file outlasted the lock timeout.

    A :class:`NetworkError`, and also a builtin ``TimeoutError``. The old
    name ``etna_auth.TimeoutError`` is an alias."""

    default_status: ClassVar[Status] = Status.ERR_TIMEOUT
    retry_can_help: ClassVar[bool] = True


class ProtocolError(EtnaError):
    """ETNA_ERR_PROTOCOL: An answer that is not understood: not JSON, missing/empty/unsafe Token, unknown State or Step, a redirect (never followed), a body over 64 KiB, or an unexpected HTTP status.

    The message says what was seen."""

    default_status: ClassVar[Status] = Status.ERR_PROTOCOL


class ServerError(EtnaError):
    """ETNA_ERR_SERVER: A server error: HTTP 5xx or 429."""

    default_status: ClassVar[Status] = Status.ERR_SERVER
    retry_can_help: ClassVar[bool] = True


class EtnaIOError(EtnaError, OSError):
    """ETNA_ERR_IO: A local error: a file that cannot be read or written (CA file, token cache), or a port that cannot be bound (sandbox).

    Also an ``OSError``."""

    default_status: ClassVar[Status] = Status.ERR_IO


class TlsError(EtnaError):
    """ETNA_ERR_TLS: A TLS failure: untrusted certificate, host name mismatch, handshake failure, no trust store.

    See ``ca_file``."""

    default_status: ClassVar[Status] = Status.ERR_TLS


class NoTokenError(EtnaError):
    """ETNA_ERR_NO_TOKEN: No stored token valid long enough (none, expired, or no store file): etna_load_token(), and the CLI's token --no-prompt when a login would need input."""

    default_status: ClassVar[Status] = Status.ERR_NO_TOKEN


class EtnaCancelledError(EtnaError):
    """ETNA_ERR_CANCELLED: The call was cancelled by etna_cancel(), from another thread or before the call began; nothing more was sent.

    In Python: :meth:`Session.cancel`, ``close()`` from another thread, or
    a login given up (no factor given). Not ``asyncio.CancelledError``: a
    cancelled :meth:`Session.login_async` raises that one. The old name
    ``etna_auth.CancelledError`` is an alias."""

    default_status: ClassVar[Status] = Status.ERR_CANCELLED


class InternalError(EtnaError):
    """ETNA_ERR_INTERNAL: An internal error (a bug in etna-auth, caught before it could cross into C)."""

    default_status: ClassVar[Status] = Status.ERR_INTERNAL


#: The names before 0.1.0's status table: kept as aliases. They shadow the
#: builtin ``TimeoutError`` and sit next to ``asyncio.CancelledError``, so the
#: table's names are the ones to use.
TimeoutError = EtnaTimeoutError  # noqa: A001
CancelledError = EtnaCancelledError


_CLASS_FOR_STATUS: Dict[int, Type[EtnaError]] = {
    Status.ERR_ARGUMENT: InvalidArgumentError,
    Status.ERR_STATE: StateError,
    Status.ERR_APP_KEY: AppKeyError,
    Status.ERR_CREDENTIALS: CredentialsError,
    Status.ERR_REJECTED: RejectedError,
    Status.ERR_NETWORK: NetworkError,
    Status.ERR_TIMEOUT: EtnaTimeoutError,
    Status.ERR_PROTOCOL: ProtocolError,
    Status.ERR_SERVER: ServerError,
    Status.ERR_IO: EtnaIOError,
    Status.ERR_TLS: TlsError,
    Status.ERR_NO_TOKEN: NoTokenError,
    Status.ERR_CANCELLED: EtnaCancelledError,
    Status.ERR_INTERNAL: InternalError,
}


def error_for(status: int, message: str = "") -> EtnaError:
    """The exception for an error ``status`` (with the library's
    description of the status when ``message`` is empty)."""
    if not message:
        message = _ffi.text(_ffi.lib().etna_status_str(status))
    return _CLASS_FOR_STATUS.get(status, EtnaError)(message, status)


def last_error() -> str:
    """This thread's ``etna_last_error()``, decoded."""
    return _ffi.text(_ffi.lib().etna_last_error())


def raise_last(status: int) -> NoReturn:
    """Raise the exception for ``status`` with this thread's last error.

    Must run on the thread that made the failing call, before any other
    etna_ call on it.
    """
    raise error_for(status, last_error())
