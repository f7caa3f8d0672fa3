"""Status codes and the exception raised for each error status.

One table (``_CLASS_FOR_STATUS``) maps every ``ETNA_ERR_*`` code of the C
ABI to its exception class. Messages come from ``etna_last_error()``, which
never holds a password, PIN, code or token.
"""

import builtins
import enum
from typing import Any, ClassVar, Dict, NoReturn, Optional, Tuple, Type, Union

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
    "TimeoutError",
    "ProtocolError",
    "ServerError",
    "EtnaIOError",
    "TlsError",
    "NoTokenError",
    "CancelledError",
    "InternalError",
    "error_for",
]


class Status(enum.IntEnum):
    """Every status code of the C ABI (``ETNA_*`` in ``etna_auth.h``)."""

    OK = 0
    NEED_PIN = 1
    NEED_CODE = 2
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

    ``status`` is the :class:`Status` (a plain ``int`` for a code this
    binding does not know) and ``message`` the library's one-line
    explanation, also ``str(error)``. Neither ever holds a secret.
    """

    default_status: ClassVar[Optional[Status]] = None
    status: Union[Status, int]
    message: str

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        if status is None:
            status = self.default_status if self.default_status is not None else 0
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        status = f"Status.{self.status.name}" if isinstance(self.status, Status) else self.status
        return f"{type(self).__name__}({self.message!r}, status={status})"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.message, int(self.status)))


class InvalidArgumentError(EtnaError, ValueError):
    """ETNA_ERR_ARGUMENT: a bad argument (e.g. a control character in a
    header value, an unacceptable URL); nothing was sent."""

    default_status = Status.ERR_ARGUMENT


class StateError(EtnaError):
    """ETNA_ERR_STATE: the call is not valid now (no factor asked for, no
    token yet, or the object is closed); nothing was sent."""

    default_status = Status.ERR_STATE


class AppKeyError(EtnaError):
    """ETNA_ERR_APP_KEY: the server does not know the application key."""

    default_status = Status.ERR_APP_KEY


class CredentialsError(EtnaError):
    """ETNA_ERR_CREDENTIALS: wrong user name or password."""

    default_status = Status.ERR_CREDENTIALS


class RejectedError(EtnaError):
    """ETNA_ERR_REJECTED: the server ended the login (a second factor
    refused for good, "Corrupted ticket", any other Failed answer)."""

    default_status = Status.ERR_REJECTED


class NetworkError(EtnaError, builtins.ConnectionError):
    """ETNA_ERR_NETWORK: DNS, connect, reset or truncated answer. Also a
    builtin ``ConnectionError``."""

    default_status = Status.ERR_NETWORK


class TimeoutError(EtnaError, builtins.TimeoutError):  # noqa: A001 (shadows on purpose)
    """ETNA_ERR_TIMEOUT: the exchange did not complete within the session's
    timeout. Also a builtin ``TimeoutError``."""

    default_status = Status.ERR_TIMEOUT


class ProtocolError(EtnaError):
    """ETNA_ERR_PROTOCOL: an answer that is not understood (not JSON, no
    Token, unknown State or Step, a redirect, a body over 64 KiB, an
    unexpected HTTP status); the message says what was seen."""

    default_status = Status.ERR_PROTOCOL


class ServerError(EtnaError):
    """ETNA_ERR_SERVER: HTTP 5xx or 429."""

    default_status = Status.ERR_SERVER


class EtnaIOError(EtnaError, OSError):
    """ETNA_ERR_IO: a local file error (CA file, token cache). Also an
    ``OSError``."""

    default_status = Status.ERR_IO


class TlsError(EtnaError):
    """ETNA_ERR_TLS: untrusted certificate, host name mismatch, handshake
    failure, or no trust store (see ``ca_file``)."""

    default_status = Status.ERR_TLS


class NoTokenError(EtnaError):
    """ETNA_ERR_NO_TOKEN: no cached token valid long enough."""

    default_status = Status.ERR_NO_TOKEN


class CancelledError(EtnaError):
    """ETNA_ERR_CANCELLED: the call was interrupted by ``Session.cancel()``
    (or by ``close()`` from another thread)."""

    default_status = Status.ERR_CANCELLED


class InternalError(EtnaError):
    """ETNA_ERR_INTERNAL: a bug in etna-auth, caught at the C boundary."""

    default_status = Status.ERR_INTERNAL


_CLASS_FOR_STATUS: Dict[int, Type[EtnaError]] = {
    Status.ERR_ARGUMENT: InvalidArgumentError,
    Status.ERR_STATE: StateError,
    Status.ERR_APP_KEY: AppKeyError,
    Status.ERR_CREDENTIALS: CredentialsError,
    Status.ERR_REJECTED: RejectedError,
    Status.ERR_NETWORK: NetworkError,
    Status.ERR_TIMEOUT: TimeoutError,
    Status.ERR_PROTOCOL: ProtocolError,
    Status.ERR_SERVER: ServerError,
    Status.ERR_IO: EtnaIOError,
    Status.ERR_TLS: TlsError,
    Status.ERR_NO_TOKEN: NoTokenError,
    Status.ERR_CANCELLED: CancelledError,
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
