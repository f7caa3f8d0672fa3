"""``Session.acquire_token``: a valid token from a store or one login, over
``etna_acquire_token``, and the default store's place.

The policy (the stored token while it stays valid, else one login across
threads and processes, its token stored; a refused password returned at
once) is the library's. What is left here is marshalling: the store spec,
the password as the C argument (a str) or through the one ask callback (a
callable, asked with ``NEED_PASSWORD`` only when a login is needed), and,
for the async call, the callables handed back to the event loop.
"""

import asyncio
import ctypes
import os
from typing import TYPE_CHECKING, Any, Optional, Tuple

from . import _errors, _ffi
from . import _session as session_module
from ._errors import raise_last
from ._handle import StoreSpec, to_c
from ._login import ASK_CALLBACK, NO_CALLBACK, Factors, asking

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["StoreSpec", "KEYRING", "default_store"]

#: The store spec of the OS credential store.
KEYRING = "keyring"

# The C arguments of one acquire: store, username, password, min_valid_s.
_Args = Tuple[Optional[bytes], bytes, Optional[bytes], int]


def store_to_c(store: object) -> Optional[bytes]:
    """The store spec for ``etna_acquire_token``: NULL for the default
    store, a str as it is (``"keyring"`` names the OS credential store), an
    ``os.PathLike`` always as a file (``Path("keyring")`` becomes
    ``"./keyring"``, not the credential store)."""
    if store is None:
        return None
    if isinstance(store, os.PathLike):
        path = os.fspath(store)
        if not isinstance(path, str):
            raise TypeError(f"store must be a str path, not {type(path).__name__}")
        return to_c(os.path.join(os.curdir, path) if path == KEYRING else path, "store")
    if not isinstance(store, str):
        raise TypeError(f"store must be None, a path or \"keyring\", not {type(store).__name__}")
    return to_c(store, "store")


def default_store() -> str:
    """The default store of :meth:`Session.acquire_token` (``store=None``):
    ``ETNA_AUTH_STORE`` when set (``"keyring"`` or a path), else the
    per-user token file, e.g. ``~/.config/etna-auth/tokens.json`` on Linux
    (``etna_default_store``). Nothing is created. :class:`EtnaIOError` when
    there is no default place (no home folder)."""
    get = _ffi.lib().etna_default_store
    n = get(None, 0)
    while True:
        if n < 0:
            raise_last(n)
        size = n + 1
        buf = ctypes.create_string_buffer(size)
        n = get(buf, size)
        if 0 <= n < size:
            return buf.raw[:n].decode("utf-8", "replace")


def prepare(
    username: str, password: Optional[Any], pin: Optional[Any], code: Optional[Any], store: object, min_valid: float
) -> Tuple[_Args, Factors]:
    """The C arguments and the callables, checked before anything is sent."""
    if password is not None and not isinstance(password, str) and not callable(password):
        raise TypeError(f"password must be a str, a callable or None, not {type(password).__name__}")
    factors = Factors(pin, code, None if isinstance(password, str) else password)
    args = (
        store_to_c(store),
        to_c(username, "username"),
        to_c(password, "password") if isinstance(password, str) else None,
        session_module._seconds_u32(min_valid, "min_valid"),
    )
    return args, factors


def call(session: "Session", args: _Args, factors: Factors) -> Tuple[int, str, str]:
    """etna_acquire_token, in a borrow of the pointer (maybe on a worker
    thread: the status's message and the token are read on the same
    thread); its status, message and token."""
    lib = session._lib
    with session._borrow() as ptr:
        session._refresh_log(ptr)
        with asking(factors) as user_data:
            callback = NO_CALLBACK if factors.none else ASK_CALLBACK
            status = lib.etna_acquire_token(ptr, args[0], args[1], args[2], args[3], callback, user_data)
        message = _errors.last_error() if status else ""
        token = session_module._read_token(lib, ptr) if status == 0 else ""
    session._reason = ""
    return status, message, token


def acquire(session: "Session", args: _Args, factors: Factors) -> str:
    """One etna_acquire_token on this thread; Ctrl-C in the main thread
    cancels it (also a wait for another process's login) and ends the login."""
    return factors.token(session._blocking(lambda: call(session, args, factors), login=True))


async def acquire_async(session: "Session", args: _Args, factors: Factors) -> str:
    """etna_acquire_token on the loop's default executor, its callables
    handed back to the loop. Cancelled: the callable being awaited is
    cancelled, the call is interrupted (etna_cancel) and waited for, the
    login is ended, and the CancelledError raised again."""
    loop = factors.loop = asyncio.get_running_loop()
    result = await session._in_worker(loop, lambda: call(session, args, factors), stop=factors.stop, end_login=True)
    return factors.token(result)
