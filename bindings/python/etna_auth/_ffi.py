"""Finding and loading the etna-auth shared library, and every C prototype.

This is the only module that touches ``ctypes`` declarations: each function
of ``include/etna_auth.h`` is declared once below with its ``argtypes`` and
``restype``. The library is loaded lazily, on first use (or by an explicit
:func:`load_library` call), so that ``import etna_auth`` always works.

Where the library is looked for (see :func:`candidate_paths`):

1. a path given to :func:`load_library`: then the only candidate (a wrong
   value is an error, never a reason to load some other copy);
2. the library bundled inside this package directory, by its absolute path
   (``etna_auth/libetna_auth.so`` next to this module): what a wheel
   installs, built for this very version of the binding, so it comes first;
3. the ``ETNA_AUTH_LIB`` environment variable; when it is set, it is the
   last candidate (a wrong value is an error, never a reason to load the
   build tree's copy). A bare file name such as ``libetna_auth.so`` is left
   to the system's library search;
4. ``<repository>/target/release/``, found relative to this source file
   (``bindings/python/etna_auth`` -> ``../../../target/release``), for a
   checkout or an editable install after ``cargo build --release``.

The file name is ``libetna_auth.so`` on Linux (and other Unix systems),
``libetna_auth.dylib`` on macOS and ``etna_auth.dll`` on Windows.

``ctypes.CDLL`` releases the GIL during every call, so a login blocked on the
network never blocks other Python threads.
"""

import ctypes
import os
import sys
import threading
import types
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

__all__ = [
    "LibraryNotFoundError",
    "SessionPtr",
    "SandboxPtr",
    "LogCallback",
    "AskCallback",
    "candidate_paths",
    "library_file_name",
    "load_library",
    "lib",
]

ENV_VAR = "ETNA_AUTH_LIB"


class LibraryNotFoundError(ImportError):
    """The etna-auth shared library could not be found or loaded.

    The message names every path tried and why each one failed.
    """


class _EtnaSession(ctypes.Structure):
    """Opaque ``EtnaSession`` (only ever used through a pointer)."""


class _EtnaSandbox(ctypes.Structure):
    """Opaque ``EtnaSandbox`` (only ever used through a pointer)."""


# Distinct pointer types: passing a sandbox where a session is expected is a
# ctypes.ArgumentError, not a crash.
SessionPtr = POINTER(_EtnaSession)
SandboxPtr = POINTER(_EtnaSandbox)

# typedef void (*EtnaLogCallback)(void *user_data, int level, const char *line);
LogCallback = CFUNCTYPE(None, c_void_p, c_int, c_char_p)

# typedef int (*EtnaAskCallback)(void *user_data, int step, const char *reason,
#                                char *answer, size_t answer_size);
# (answer as c_void_p: the address of the library's buffer, written in place)
AskCallback = CFUNCTYPE(c_int, c_void_p, c_int, c_char_p, c_void_p, c_size_t)

# name: (restype, argtypes), exactly as in include/etna_auth.h (the test
# suite parses the header and checks every entry, and that none is missing).
_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "etna_new": (SessionPtr, [c_char_p, c_char_p]),
    "etna_set_timeout_ms": (c_int, [SessionPtr, c_uint32]),
    "etna_set_lock_timeout_ms": (c_int, [SessionPtr, c_uint32]),
    "etna_set_ca_file": (c_int, [SessionPtr, c_char_p]),
    "etna_set_proxy": (c_int, [SessionPtr, c_char_p]),
    "etna_begin_auth": (c_int, [SessionPtr, c_char_p, c_char_p]),
    "etna_supply_pin": (c_int, [SessionPtr, c_char_p]),
    "etna_supply_code": (c_int, [SessionPtr, c_char_p]),
    "etna_login": (c_int, [SessionPtr, c_char_p, c_char_p, AskCallback, c_void_p]),
    "etna_abandon_login": (c_int, [SessionPtr]),
    "etna_acquire_token": (c_int, [SessionPtr, c_char_p, c_char_p, c_char_p, c_uint32, AskCallback, c_void_p]),
    "etna_default_store": (c_int, [c_char_p, c_size_t]),
    "etna_get_token": (c_int, [SessionPtr, c_char_p, c_size_t]),
    "etna_token_expires_at": (c_int64, [SessionPtr]),
    "etna_cancel": (c_int, [SessionPtr]),
    "etna_end_login": (c_int, [SessionPtr]),
    "etna_save_token": (c_int, [SessionPtr, c_char_p]),
    "etna_load_token": (c_int, [SessionPtr, c_char_p, c_char_p, c_uint32]),
    "etna_forget_token": (c_int, [c_char_p, c_char_p, c_char_p]),
    "etna_set_log_callback": (c_int, [SessionPtr, LogCallback, c_void_p, c_int]),
    "etna_last_error": (c_char_p, []),
    "etna_last_status": (c_int, []),
    "etna_status_str": (c_char_p, [c_int]),
    "etna_version": (c_char_p, []),
    "etna_version_number": (c_int, []),
    "etna_free": (None, [SessionPtr]),
    "etna_sandbox_start": (SandboxPtr, [c_char_p]),
    "etna_sandbox_url": (c_char_p, [SandboxPtr]),
    "etna_sandbox_app_key": (c_char_p, [SandboxPtr]),
    "etna_sandbox_request_count": (c_uint64, [SandboxPtr]),
    "etna_sandbox_connection_count": (c_uint64, [SandboxPtr]),
    "etna_sandbox_stop": (None, [SandboxPtr]),
}


# The functions that also get an unchecked twin (Library.unchecked).
_UNCHECKED = (
    "etna_begin_auth",
    "etna_supply_pin",
    "etna_supply_code",
    "etna_login",
    "etna_acquire_token",
    "etna_get_token",
    "etna_last_error",
)
# ... and of those, the ones that never block: they keep the GIL.
_KEEP_GIL = ("etna_get_token", "etna_last_error")


def library_file_name(platform: Optional[str] = None) -> str:
    """The library's file name on ``platform`` (default: this one)."""
    platform = sys.platform if platform is None else platform
    if platform == "win32" or platform == "cygwin":
        return "etna_auth.dll"
    if platform == "darwin":
        return "libetna_auth.dylib"
    return "libetna_auth.so"


_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_RELEASE_DIR = _PACKAGE_DIR.parent.parent.parent / "target" / "release"

PathArg = Union[str, "os.PathLike[str]"]


def candidate_paths(path: Optional[PathArg] = None) -> List[Tuple[str, Path]]:
    """The places the library is looked for, in order, as (origin, path)."""
    if path is not None:
        return [("explicit path", Path(os.fspath(path)))]
    name = library_file_name()
    candidates = [("bundled in the package", _PACKAGE_DIR / name)]
    env = os.environ.get(ENV_VAR)
    if env:
        candidates.append((ENV_VAR, Path(env)))
    else:
        candidates.append(("the repository's target/release", _REPO_RELEASE_DIR / name))
    return candidates


class Library:
    """The loaded library: one attribute per C function, prototypes set."""

    #: The file the library was loaded from.
    path: Path
    #: The binding's own copies of the calls on a login's path, without
    #: argument checks (see __init__); not for use outside the package.
    unchecked: types.SimpleNamespace

    def __init__(self, cdll: ctypes.CDLL, path: Path) -> None:
        self.path = path
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                func = getattr(cdll, name)
            except AttributeError:
                raise OSError(
                    f"not an etna-auth library of this version (missing symbol {name})"
                ) from None
            func.restype = restype
            func.argtypes = argtypes
            setattr(self, name, func)
        # Twins without argtypes of the calls on every login's path, for
        # the binding's own use only: ctypes' argument checks (from_param
        # per argument) cost about 8 k instructions per login, 4 % of it
        # (bench/costs.py). Callers pass exactly the C types: bytes or None
        # for const char *, the SessionPtr, a ctypes buffer, c_size_t for
        # size_t, c_uint32, c_void_p, an AskCallback.
        #
        # The calls that never block (etna_last_error reads a thread-local,
        # etna_get_token never waits for an exchange in flight) keep the GIL
        # (a PyDLL view of the same library): releasing and taking it again
        # costs more than the call itself.
        self.unchecked = types.SimpleNamespace()
        keeps_gil = ctypes.PyDLL(str(path), handle=cdll._handle)
        for name in _UNCHECKED:
            func = (keeps_gil if name in _KEEP_GIL else cdll)[name]  # new objects, not the checked ones
            func.restype = _PROTOTYPES[name][0]
            setattr(self.unchecked, name, func)
        self._cdll = cdll

    # The prototypes are set in __init__; this keeps type checkers quiet
    # about the dynamic attributes.
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


_lock = threading.Lock()
_lib: Optional[Library] = None


def _open(path: Path) -> Library:
    return Library(ctypes.CDLL(str(path)), path)


def load_library(path: Optional[PathArg] = None) -> Library:
    """Load the etna-auth library (once per process) and return it.

    ``path`` names the library file to use; by default it is looked for as
    described in the module documentation (the bundled library, then
    ``ETNA_AUTH_LIB``, then the repository's ``target/release``).
    Calling this again returns the library already loaded; asking for a
    different file once one is loaded raises ``RuntimeError``.

    Raises :class:`LibraryNotFoundError` naming every path tried.
    """
    global _lib
    with _lock:
        candidates = candidate_paths(path)
        if _lib is not None:
            if path is not None and Path(os.fspath(path)).resolve() != _lib.path.resolve():
                raise RuntimeError(
                    f"the etna-auth library is already loaded from {_lib.path}; "
                    f"cannot load {os.fspath(path)} as well"
                )
            return _lib
        tried = []
        for origin, candidate in candidates:
            # A bare file name given explicitly ("libetna_auth.so") is left
            # to the system's library search (LD_LIBRARY_PATH, ldconfig...).
            bare = len(candidate.parts) == 1 and origin in (ENV_VAR, "explicit path")
            if not bare and not candidate.is_file():
                tried.append(f"  {candidate} ({origin}): not found")
                continue
            try:
                _lib = _open(candidate)
                return _lib
            except OSError as exc:
                tried.append(f"  {candidate} ({origin}): {exc}")
        raise LibraryNotFoundError(
            "etna-auth: cannot load the native library "
            f"{library_file_name()}. Tried:\n"
            + "\n".join(tried)
            + f"\nBuild it with `cargo build --release` in the etna-auth repository, "
            f"then set {ENV_VAR} to its path (or pass the path to "
            "etna_auth.load_library())."
        )


def text(value: Optional[bytes]) -> str:
    """A ``const char *`` result as ``str`` (UTF-8; ``""`` for NULL)."""
    return "" if value is None else value.decode("utf-8", "replace")


def lib() -> Library:
    """The loaded library, loading it on first use."""
    loaded = _lib
    return loaded if loaded is not None else load_library()
