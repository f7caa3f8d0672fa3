"""The second factors of a login (and the password of an acquire),
marshalled to the library's login policy.

The policy itself (docs/login-policy.md: ask for each factor as often as the
server asks, give up, end the login on every failure, and every message)
lives in the library, behind ``etna_login``. What is left here is what only
Python knows: a factor given as a string (sent once: asked again means it
was wrong), a callable (called with the server's Reason), the exception a
callable raises (carried across the C call and raised again), and writing
the answer into the library's buffer. For :meth:`Session.acquire_token_async`
the callables run on the event loop (:attr:`Factors.loop`) while the
library's call waits on a thread of its own.
"""

import asyncio
import concurrent.futures
import ctypes
import inspect
import itertools
import threading
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Tuple, Union

from . import _ctrlc, _ffi
from ._errors import Status, error_for
from ._handle import to_c

__all__ = ["Factor", "AsyncFactor", "Factors", "ASK_CALLBACK", "NO_CALLBACK", "register", "unregister"]

#: A second factor for :meth:`Session.login`: the value itself (sent once),
#: or a callable given the server's Reason and returning the value (called
#: each time the server asks), or ``None`` to give up.
Factor = Union[str, Callable[[str], Optional[str]]]

#: A second factor for :meth:`Session.login_async`: also an async callable.
AsyncFactor = Union[str, Callable[[str], Optional[str]], Callable[[str], Awaitable[Optional[str]]]]

_NEED_PIN = int(Status.NEED_PIN)
_NEED_CODE = int(Status.NEED_CODE)
_NEED_PASSWORD = int(Status.NEED_PASSWORD)
KEYWORDS = {_NEED_PIN: "pin", _NEED_CODE: "code", _NEED_PASSWORD: "password"}

#: What the password callable's prompt ends with (the library's Reason
#: comes first): a callable such as ``getpass.getpass`` shows it as it is.
PASSWORD_PROMPT_END = ". Password: "

#: ETNA_ANSWER_BUFFER_SIZE of etna_auth.h (checked by the tests): the
#: longest answer etna_login takes, with its NUL.
ANSWER_BUFFER_SIZE = 256
_ANSWER = ctypes.c_char * ANSWER_BUFFER_SIZE


class Factors:
    """The ``pin`` and ``code`` of one login (and the ``password`` callable
    of an acquire), and what the callback of ``etna_login`` /
    ``etna_acquire_token`` needs around them."""

    __slots__ = ("pin", "code", "password", "none", "_sent", "error", "key", "loop", "_lock", "_stopped", "_pending")

    def __init__(self, pin: Optional[Any], code: Optional[Any], password: Optional[Any] = None) -> None:
        # Checked before anything is sent: a wrong type is a TypeError that
        # does not end a previous login. (A password given as a str is the
        # C call's argument, never kept here.) One test per factor, no loop:
        # this runs in every login.
        if pin is not None and pin.__class__ is not str:
            _check_factor(pin, "pin")
        if code is not None and code.__class__ is not str:
            _check_factor(code, "code")
        if password is not None:
            _check_factor(password, "password")
        #: No factor at all: the library gets no callback (NULL).
        self.none = pin is None and code is None and password is None
        self.pin = pin
        self.code = code
        self.password = password
        self._sent: Optional[Set[int]] = None  # the steps whose string factor was sent
        #: What a callable raised (or the binding's own refusal), raised
        #: again by the caller once etna_login has returned.
        self.error: Optional[BaseException] = None
        self.key = 0
        #: The event loop that runs the callables (acquire_token_async), or
        #: None: they run on the calling thread.
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._lock: Optional[threading.Lock] = None  # with loop (on_loop)
        self._stopped = False
        self._pending: "Optional[concurrent.futures.Future[Optional[str]]]" = None

    def on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The callables run on ``loop`` (and are awaited there), while the
        native call waits on a thread of its own; :meth:`stop` ends them."""
        self._lock = threading.Lock()
        self.loop = loop

    def factor(self, step: int) -> Optional[Any]:
        """What was given for ``step``."""
        if step == _NEED_PIN:
            return self.pin
        if step == _NEED_CODE:
            return self.code
        return self.password if step == _NEED_PASSWORD else None

    def ask(self, step: int, reason: str) -> "Union[str, None, Awaitable[Optional[str]]]":
        """The answer for ``step`` (``NEED_PIN`` / ``NEED_CODE`` /
        ``NEED_PASSWORD``): the string (once), what the callable returns
        (maybe an awaitable), or ``None`` to give up. A string asked for
        again was wrong: the *rejected* error with the server's Reason,
        rather than spending the user's remaining attempts on the same
        value."""
        factor = self.factor(step)
        if factor is None:
            return None
        if step == _NEED_PASSWORD:
            reason = password_prompt(reason)
        if isinstance(factor, str):
            sent = self._sent
            if sent is None:
                sent = self._sent = set()
            elif step in sent:
                raise error_for(Status.ERR_REJECTED, reason)
            sent.add(step)
            return factor
        return factor(reason)  # type: ignore[no-any-return]

    def answer(self, step: int, reason: Optional[bytes], buffer: Optional[int], size: int) -> int:
        """The callback of etna_login on the calling thread: write the
        answer into the library's buffer and return 0, or keep what went
        wrong in :attr:`error` and return 1 (give up). Never raises.

        This runs in every login that the server asks a factor of, so its
        common case (a str, or a callable's str) avoids what costs there
        (bench/costs.py): ``inspect.isawaitable`` (an ABC check) is asked
        of non-str answers only, and the answer is written by the buffer's
        own ``value`` setter (one memcpy and the NUL) rather than a
        ``ctypes.memmove`` call through libffi."""
        try:
            text = "" if reason is None else reason.decode("utf-8", "replace")
            if self.loop is None or not callable(self.factor(step)):
                value = self.ask(step, text)
                if value is not None and value.__class__ is not str and inspect.isawaitable(value):
                    discard(value)
                    raise TypeError(
                        f"the {KEYWORDS[step]} callable returned an awaitable: use login_async() or acquire_token_async()"
                    )
            else:
                value = self._on_loop(step, text)
            if value is None:
                return 1  # the library gives up, with its message
            keyword = KEYWORDS[step]
            data = to_c(value if value.__class__ is str else checked(value, keyword), keyword)
            if buffer is None:
                return 1
            # value: the bytes and a NUL when they fit; exactly size bytes
            # (no NUL) otherwise, and the library reports an answer too
            # long, in its own words.
            kind = _ANSWER if size == ANSWER_BUFFER_SIZE else ctypes.c_char * size
            kind.from_address(buffer).value = data if len(data) <= size else data[:size]
            return 0
        except BaseException as exc:  # raised again after etna_login returns
            if self.error is None:
                self.error = exc
            if not isinstance(exc, Exception):  # a signal's (Ctrl-C at a prompt)
                _ctrlc.settle()
            return 1

    def _on_loop(self, step: int, reason: str) -> Optional[str]:
        """The answer of a callable of an async call, asked on
        :attr:`loop` (and awaited there)."""

        async def on_loop() -> Optional[str]:
            value = self.ask(step, reason)
            return await value if inspect.isawaitable(value) else value

        assert self._lock is not None and self.loop is not None  # set with loop
        with self._lock:
            if self._stopped:
                return None
            pending = self._pending = asyncio.run_coroutine_threadsafe(on_loop(), self.loop)
        try:
            return pending.result()
        except concurrent.futures.CancelledError:
            return None  # stop(): the caller was cancelled; the library gives up
        finally:
            self._pending = None

    def token(self, result: Tuple[int, str, str]) -> str:
        """The token of a login call's (status, message, token), or what a
        callable raised, or the library's error."""
        status, message, token = result
        error = self.error
        if error is not None:  # a callable raised: the library has ended the login
            self.error = None
            raise error
        if status < 0:
            raise error_for(status, message)
        return token

    def stop(self) -> None:
        """The async caller was cancelled: a callable awaited on the loop
        is cancelled and none is asked again (the library gives up)."""
        lock = self._lock
        if lock is None:  # no loop: nothing is awaited
            return
        with lock:
            self._stopped = True
            pending = self._pending
        if pending is not None:
            pending.cancel()


def _check_factor(factor: object, keyword: str) -> None:
    """A factor other than None: a str or a callable, else TypeError."""
    if not isinstance(factor, str) and not callable(factor):
        raise TypeError(f"{keyword} must be a str, a callable or None, not {type(factor).__name__}")


def password_prompt(reason: str) -> str:
    """The text the password callable gets: the library's Reason (why a
    login is needed), then :data:`PASSWORD_PROMPT_END`."""
    return reason.rstrip(" .:") + PASSWORD_PROMPT_END


def checked(value: object, keyword: str) -> str:
    """A callable's answer, which must be a ``str``."""
    if not isinstance(value, str):
        raise TypeError(f"the {keyword} callable must return a str or None, not {type(value).__name__}")
    return value


def fitting(data: bytes, step: int) -> bytes:
    """An answer for :meth:`Session.login_async`, refused as etna_login
    refuses one that does not fit in its buffer, so that both logins take
    the same answers. The text is the library's (capi/src/login_api.rs);
    test_policy.py checks that the two stay the same."""
    if len(data) >= ANSWER_BUFFER_SIZE:
        noun = "PIN" if step == _NEED_PIN else "verification code"
        raise error_for(
            Status.ERR_ARGUMENT,
            f"the {noun} written by the callback does not fit in the answer buffer "
            f"({ANSWER_BUFFER_SIZE} bytes with the terminating NUL)",
        )
    return data


def discard(awaitable: object) -> None:
    """Close a coroutine that will never be awaited (no RuntimeWarning)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


# The logins in progress, by the user_data given to etna_login: one
# callback for every login (a ctypes callback per login costs more).
_asking: Dict[int, Factors] = {}
_keys = itertools.count(1)


def register(factors: Factors) -> int:
    """The user_data with which the callback finds ``factors``, until
    :func:`unregister`."""
    key = factors.key = next(_keys)
    _asking[key] = factors
    return key


def unregister(key: int) -> None:
    _asking.pop(key, None)


def _ask(user_data: Optional[int], step: int, reason: Optional[bytes], answer: Optional[int], size: int) -> int:
    # Runs on the thread of the native call, which is the caller's (or,
    # for acquire_token_async, a thread of the call's own: Factors.loop).
    factors = _asking.get(user_data or 0)
    if factors is None:
        return 1
    return factors.answer(step, reason, answer, size)


ASK_CALLBACK = _ffi.AskCallback(_ask)
#: A NULL EtnaAskCallback (ctypes refuses None for a function pointer type).
NO_CALLBACK = _ffi.AskCallback()
