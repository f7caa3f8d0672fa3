"""etna-auth: log in to the ETNA Trader / AutoShares brokerage API.

A thin binding over the etna-auth native library (``ctypes``); all the
protocol lives in the library. Quick start::

    import etna_auth

    with etna_auth.Session("https://pub-api-et-demo-prod.etnasoft.us/api", APP_KEY) as s:
        token = s.login("alice", password, code=lambda reason: input(f"{reason}: "))
        requests.get(url, headers=s.authorization_header)

Offline tests use the embedded emulator::

    with etna_auth.Sandbox() as sb, etna_auth.Session(sb.url, sb.app_key) as s:
        s.login("bob", "bob-pass", pin="1234")

A valid token when the app needs one (stored, or one login)::

    token = s.acquire_token("alice", password=getpass.getpass)
"""

from ._errors import CancelledError as CancelledError  # the old names, not in __all__:
from ._errors import TimeoutError as TimeoutError  # noqa: A004  (a star import must not shadow)
from ._errors import (
    AppKeyError,
    CredentialsError,
    EtnaCancelledError,
    EtnaError,
    EtnaIOError,
    EtnaTimeoutError,
    InternalError,
    InvalidArgumentError,
    NetworkError,
    NoTokenError,
    ProtocolError,
    RejectedError,
    ServerError,
    StateError,
    Status,
    TlsError,
)
from ._acquire import StoreSpec, default_store
from ._ffi import LibraryNotFoundError, load_library
from ._log import TRACE
from ._sandbox import Sandbox
from ._login import AsyncFactor, Factor
from ._session import DEFAULT_LOCK_TIMEOUT, DEFAULT_TIMEOUT, Session, Step, forget_token

__version__ = "0.1.0"

__all__ = [
    "AppKeyError",
    "AsyncFactor",
    "CredentialsError",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "EtnaCancelledError",
    "EtnaError",
    "EtnaIOError",
    "EtnaTimeoutError",
    "Factor",
    "InternalError",
    "InvalidArgumentError",
    "LibraryNotFoundError",
    "NetworkError",
    "NoTokenError",
    "ProtocolError",
    "RejectedError",
    "Sandbox",
    "ServerError",
    "Session",
    "StateError",
    "Status",
    "Step",
    "StoreSpec",
    "TRACE",
    "TlsError",
    "default_store",
    "forget_token",
    "library_version",
    "library_version_number",
    "load_library",
]


def library_version() -> str:
    """The native library's version (``etna_version()``), loading it if needed."""
    from . import _ffi

    return _ffi.text(_ffi.lib().etna_version())


def library_version_number() -> int:
    """The native library's version as ``major * 10000 + minor * 100 + patch``
    (``etna_version_number()``), e.g. to check a minimum version at run time."""
    from . import _ffi

    return int(_ffi.lib().etna_version_number())
