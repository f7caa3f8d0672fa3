"""``Session.acquire_token``: the arguments of ``etna_acquire_token``, and
the default store's place.

The policy (the stored token while it stays valid, else one login across
threads and processes, its token stored; a refused password returned at
once) is the library's. What is left here is marshalling: the store spec,
the password as the C argument (a str) or through the one ask callback (a
callable, asked with ``NEED_PASSWORD`` only when a login is needed). The
call itself is :class:`Session`'s (``_session.py``, which imports this
module: never the other way round).
"""

import ctypes
import os
from typing import Any, Optional, Tuple

from . import _ffi
from ._errors import raise_last
from ._handle import StoreSpec, seconds_u32, to_c
from ._login import Factors

__all__ = ["StoreSpec", "KEYRING", "default_store"]

#: The store spec of the OS credential store.
KEYRING = "keyring"

# The C arguments of one acquire: store, username, password, min_valid_s.
_Args = Tuple[Optional[bytes], bytes, Optional[bytes], ctypes.c_uint32]


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
        ctypes.c_uint32(seconds_u32(min_valid, "min_valid")),
    )
    return args, factors
