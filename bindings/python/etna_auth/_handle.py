"""One base class for objects that own a native pointer, and the
conversion of arguments (strings, paths, seconds).

:class:`Handle` gives ``close()``, the context-manager protocol and
``__del__``, and frees the pointer exactly once. Native calls borrow the
pointer through :meth:`Handle._borrow`, so that ``close()`` from one thread
never frees a pointer another thread is using: it interrupts the calls in
flight (``_interrupt``) and waits for them to return before freeing (or,
after ``_close_wait`` seconds, leaves the free to the last of them).
"""

import math
import os
import threading
import time
from typing import Any, Generic, Optional, TypeVar, Union

from ._errors import InvalidArgumentError, StateError, Status, error_for

P = TypeVar("P")
H = TypeVar("H", bound="Handle[Any]")


class Handle(Generic[P]):
    """Owns one native pointer ``P``; subclasses say how to free it."""

    _ptr: Optional[P] = None  # class default: __del__ works if __init__ failed
    _orphan: Optional[P] = None  # closed while a call was still using it (see close())
    _kind = "object"

    def __init__(self) -> None:
        # Borrowing takes the bare lock (a C-level context manager: a borrow
        # is on every call's path); only close() waits on the condition.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._busy = 0
        self._ptr = None

    def _delete(self, ptr: P) -> None:
        """Free the native pointer (called exactly once)."""
        raise NotImplementedError

    def _interrupt(self, ptr: P) -> None:
        """Make calls in flight on ``ptr`` return soon (close() from another thread)."""

    def _borrow(self) -> "_Borrow[P]":
        """``with self._borrow() as ptr:`` the native pointer, kept alive
        until the block ends; :class:`StateError` when closed."""
        return _Borrow(self)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._ptr is None

    #: How long close() goes on cancelling calls in flight before it leaves
    #: the free to the last of them (as C#'s EtnaSession.Dispose).
    _close_wait = 5.0
    #: How often close() cancels: a cancel ends the exchange in flight (or
    #: the next one to start), so calls queued behind it are each cancelled
    #: in turn, within a millisecond of reaching the library.
    _cancel_every = 0.001

    def close(self) -> None:
        """Free the native object. Later calls raise :class:`StateError`;
        closing again does nothing.

        Calls in flight on other threads are interrupted first (they raise
        :class:`CancelledError`), cancelling every millisecond until none is
        left, so that calls waiting behind the one in flight are cancelled
        too. close() waits for them up to 5 seconds; a call still running
        then (one that a cancel cannot stop, e.g. waiting for a token cache
        file locked by another process) frees the object itself when it
        returns: the pointer is never freed while a call uses it."""
        cond = getattr(self, "_cond", None)
        if cond is None:  # __init__ never ran
            return
        with cond:
            ptr = self._ptr
            if ptr is None:
                return
            self._ptr = None  # no call can borrow it from now on
            deadline = time.monotonic() + self._close_wait
            while self._busy:
                self._interrupt(ptr)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._orphan = ptr  # freed by the last _Borrow.__exit__
                    return
                cond.wait(min(self._cancel_every, remaining))
        self._delete(ptr)

    def _closed_error(self) -> StateError:
        return StateError(f"the {self._kind} is closed")

    def _after_close(self) -> None:
        """The last call in flight after close() has returned (called with
        ``_lock`` held): wake close(), or free the pointer it left behind."""
        self._cond.notify_all()
        orphan, self._orphan = self._orphan, None
        if orphan is not None:  # close() gave up waiting: the last call frees it
            self._delete(orphan)

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self: H) -> H:
        """``async with`` as ``with``: the object itself, closed at the end."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # Calls in flight (on threads of their own) are cancelled and return
        # at once, so this waits microseconds, not the loop's time.
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible to do
            pass


class _Borrow(Generic[P]):
    """The context manager of :meth:`Handle._borrow` (a class rather than
    ``@contextmanager``: four times cheaper, and it is on every call)."""

    __slots__ = ("_handle",)

    def __init__(self, handle: Handle[P]) -> None:
        self._handle = handle

    def __enter__(self) -> P:
        handle = self._handle
        with handle._lock:
            ptr = handle._ptr
            if ptr is None:
                raise handle._closed_error()
            handle._busy += 1
        return ptr

    def __exit__(self, *exc_info: object) -> None:
        handle = self._handle
        with handle._lock:
            handle._busy -= 1
            if not handle._busy and handle._ptr is None:
                handle._after_close()


PathLike = Union[str, "os.PathLike[str]"]

#: Where :meth:`Session.acquire_token` keeps tokens: ``None`` for the
#: default store (:func:`etna_auth.default_store`), ``"keyring"`` for the
#: OS credential store, or a token file's path (a str or ``os.PathLike``).
StoreSpec = Union[str, "os.PathLike[str]", None]


def to_c(value: object, name: str) -> bytes:
    """``value`` as NUL-terminated UTF-8 for a ``const char *`` argument.

    Raises ``TypeError`` for anything but ``str``, and
    :class:`InvalidArgumentError` (a ``ValueError``) for a NUL character
    (C would silently cut the string there) or a lone surrogate. The
    messages never quote the value: it may be a secret.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(f"{name} contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        index = exc.start
    # Raised outside the except block: the UnicodeEncodeError (which holds
    # the whole value) must not stay reachable as __context__.
    raise InvalidArgumentError(f"{name} cannot be encoded as UTF-8 (lone surrogate at index {index})")


def path_to_c(value: object, name: str) -> bytes:
    """A ``str`` or ``os.PathLike`` path as UTF-8 for the library."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or os.PathLike, not {type(value).__name__}")
    return to_c(value, name)


#: The largest number of milliseconds (or seconds) of a C ``uint32_t``.
MAX_U32 = 2**32 - 1


def number(value: object, name: str) -> float:
    """A number of seconds (an int or a float, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    return float(value)


def seconds_u32(value: object, name: str) -> int:
    """A number of seconds for a ``uint32_t`` argument, rounded up."""
    seconds = number(value, name)
    if not (0 <= seconds <= MAX_U32):
        raise error_for(Status.ERR_ARGUMENT, f"{name} must be between 0 and {MAX_U32}")
    return math.ceil(seconds)
