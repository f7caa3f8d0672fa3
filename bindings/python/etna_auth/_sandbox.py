"""``Sandbox``: the library's embedded emulator of the token endpoint."""

import ctypes
import json
from collections.abc import Mapping
from typing import Any, Optional

from . import _ffi
from ._errors import raise_last
from ._handle import Handle
from ._session import DEFAULT_TIMEOUT, Session

__all__ = ["Sandbox"]


class Sandbox(Handle["ctypes._Pointer[_ffi._EtnaSandbox]"]):
    """An emulator of the ETNA token endpoint on 127.0.0.1, for offline tests.

    ``config`` is ``None`` for the default accounts, or a dict in the
    sandbox's JSON config format (every key optional, unknown keys an
    error)::

        {"app_key": "...", "port": 0, "max_attempts": 3,
         "accounts": [{"username": "...", "password": "...",
                       "pin": "1234", "code": "123456"}]}

    The defaults (the application key, max_attempts and the accounts, such
    as bob / bob-pass with PIN 1234) are listed once, in ``etna_auth.h``
    ("The sandbox's defaults"), and in the README's sandbox section.

    Give :attr:`url` and :attr:`app_key` to :class:`Session`. Stop it with
    :meth:`close` (or use it as a context manager).
    """

    _kind = "sandbox"

    def __init__(self, config: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__()
        if config is not None and not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict or None, not {type(config).__name__}")
        config_c = None if config is None else json.dumps(dict(config)).encode("utf-8")
        self._lib = lib = _ffi.lib()
        ptr = lib.etna_sandbox_start(config_c)
        if not ptr:
            # NULL: etna_last_status() says why (ETNA_ERR_ARGUMENT for a bad
            # config, ETNA_ERR_IO for a port that cannot be bound), and the
            # message already says that the sandbox did not start.
            raise_last(lib.etna_last_status())
        self._ptr = ptr
        self._url = _ffi.text(lib.etna_sandbox_url(ptr))
        self._app_key = _ffi.text(lib.etna_sandbox_app_key(ptr))

    def _delete(self, ptr: Any) -> None:
        self._lib.etna_sandbox_stop(ptr)

    @property
    def url(self) -> str:
        """The base URL to give :class:`Session`, e.g. ``"http://127.0.0.1:40123/api"``."""
        return self._url

    @property
    def app_key(self) -> str:
        """The application key the sandbox accepts."""
        return self._app_key

    @property
    def request_count(self) -> int:
        """Requests answered so far."""
        with self._borrow() as ptr:
            return int(self._lib.etna_sandbox_request_count(ptr))

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far."""
        with self._borrow() as ptr:
            return int(self._lib.etna_sandbox_connection_count(ptr))

    def session(self, *, timeout: float = DEFAULT_TIMEOUT) -> Session:
        """A new :class:`Session` for this sandbox."""
        return Session(self._url, self._app_key, timeout=timeout)

    def __repr__(self) -> str:
        state = "stopped" if self.closed else self._url
        return f"<etna_auth.Sandbox {state}>"

