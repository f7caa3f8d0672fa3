"""``Session``: one login to one ETNA server, over ``EtnaSession``."""

import asyncio
import ctypes
import enum
import inspect
import logging
import math
import threading
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Generator, Optional, Tuple, Union

from . import _ffi, _log
from ._errors import CancelledError, StateError, Status, error_for, raise_last
from ._handle import Handle, PathLike, path_to_c, to_c

__all__ = ["Step", "Session", "Factor", "AsyncFactor", "forget_token"]


class Step(enum.Enum):
    """Where a login stands after a call."""

    DONE = 0
    """Logged in: :attr:`Session.token` holds the token."""
    NEED_PIN = 1
    """The server asks for the security PIN: call :meth:`Session.supply_pin`."""
    NEED_CODE = 2
    """The server asks for the emailed/SMS code: call :meth:`Session.supply_code`."""


#: A second factor for :meth:`Session.login`: the value itself (sent once),
#: or a callable given the server's Reason and returning the value (called
#: each time the server asks).
Factor = Union[str, Callable[[str], Optional[str]]]

#: A second factor for :meth:`Session.login_async`: also an async callable.
AsyncFactor = Union[str, Callable[[str], Optional[str]], Callable[[str], Awaitable[Optional[str]]]]

_MAX_TIMEOUT_MS = 2**32 - 1
_INFO = logging.INFO


class Session(Handle["ctypes._Pointer[_ffi._EtnaSession]"]):
    """A login session: one server (``base_url``), one application key.

    ``base_url`` is the API base, e.g.
    ``"https://pub-api-et-demo-prod.etnasoft.us/api"`` (plain ``http`` only
    to a loopback host). ``timeout`` is the deadline in seconds of each
    exchange with the server; ``ca_file`` a PEM file whose certificates are
    trusted instead of the operating system's trust store.

    Use it as a context manager, or call :meth:`close`; it is also closed
    when garbage collected. Methods may be called from several threads (the
    library serializes them); blocking calls release the GIL.
    """

    _kind = "session"

    def __init__(
        self,
        base_url: str,
        app_key: str,
        *,
        timeout: float = 30.0,
        ca_file: Optional[PathLike] = None,
    ) -> None:
        super().__init__()
        url_c = to_c(base_url, "base_url")
        key_c = to_c(app_key, "app_key")
        timeout_ms = _timeout_ms(timeout)
        ca_c = None if ca_file is None else path_to_c(ca_file, "ca_file")
        self._lib = lib = _ffi.lib()
        ptr = lib.etna_new(url_c, key_c)
        if not ptr:
            # NULL: etna_last_status() says why (ETNA_ERR_ARGUMENT today).
            raise_last(lib.etna_last_status())
        self._ptr = ptr
        self._base_url = base_url
        self._reason = ""
        self._log_level = 0  # the max_level of the log callback installed; 0: none
        self._begin_auth = lib.unchecked.etna_begin_auth
        try:
            if _log.wanted_level():
                self._set_log(ptr)
            self._check(lib.etna_set_timeout_ms(ptr, timeout_ms))
            if ca_c is not None:
                self._check(lib.etna_set_ca_file(ptr, ca_c))
        except BaseException:
            self.close()
            raise

    def _delete(self, ptr: "ctypes._Pointer[_ffi._EtnaSession]") -> None:
        self._lib.etna_free(ptr)

    def _interrupt(self, ptr: "ctypes._Pointer[_ffi._EtnaSession]") -> None:
        self._lib.etna_cancel(ptr)

    @staticmethod
    def _check(status: int) -> int:
        if status < 0:
            raise_last(status)
        return status

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<etna_auth.Session {self._base_url!r} {state}>"

    # -- the login, step by step -------------------------------------------

    def _exchange(self, func: Any, args: Tuple[bytes, ...], want_token: bool = False) -> Tuple[int, str, str]:
        """Run one exchange with the server (``etna_begin_auth`` /
        ``etna_supply_*``); return its status, this thread's
        ``etna_last_error()`` (read at once, on the thread that made the
        call: a worker thread for :meth:`login_async`), and with
        ``want_token`` the token when logged in (read under the same
        borrow, so that it is this login's)."""
        # The borrow of Handle._borrow, inlined: this is the path of every
        # login, and the context manager's four Python calls showed in the
        # per-login cost (bench/costs.py).
        lock = self._lock
        with lock:
            ptr = self._ptr
            if ptr is None:
                raise self._closed_error()
            self._busy += 1
        try:
            # The log is checked as each login begins; the logger's INFO
            # test first, as wanted_level() costs more (off by default).
            if func is self._begin_auth and (self._log_level or _log.logger.isEnabledFor(_INFO)):
                if _log.wanted_level() != self._log_level:
                    self._set_log(ptr)
            status = func(ptr, *args)
            token = _read_token(self._lib, ptr) if want_token and status == 0 else ""
        finally:
            with lock:
                self._busy -= 1
                if not self._busy and self._ptr is None:
                    self._after_close()
        # etna_last_error() is never NULL.
        message = self._lib.unchecked.etna_last_error().decode("utf-8", "replace") if status else ""
        # After NEED_* the message is the server's Reason.
        self._reason = message if status > 0 else ""
        return status, message, token

    def _set_log(self, ptr: Any) -> None:
        """Install (or remove) the log callback to match the ``etna_auth``
        logger's effective level; checked when each login begins, so that
        a level set later applies to the next login."""
        level = _log.wanted_level()
        if level:
            status = self._lib.etna_set_log_callback(ptr, _log.callback, None, level)
        else:
            status = self._lib.etna_set_log_callback(ptr, _log.no_callback, None, _log.NativeLevel.INFO)
        self._check(status)
        self._log_level = level

    @staticmethod
    def _step(outcome: Tuple[int, str, str]) -> Step:
        status, message, _ = outcome
        if status < 0:
            raise error_for(status, message)
        return _step_of(status)

    def begin_auth(self, username: str, password: str) -> Step:
        """Start (or restart) a login with the user's name and password.

        Returns :attr:`Step.DONE`, or the factor the server asks for next
        (its Reason is then in :attr:`reason`). Raises an :class:`EtnaError`
        subclass on failure, e.g. :class:`CredentialsError`.
        """
        args = (to_c(username, "username"), to_c(password, "password"))
        return self._step(self._exchange(self._begin_auth, args))

    def supply_pin(self, pin: str) -> Step:
        """Send the security PIN, after :attr:`Step.NEED_PIN`. Returns
        :attr:`Step.NEED_PIN` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        return self._step(self._exchange(self._lib.unchecked.etna_supply_pin, (to_c(pin, "pin"),)))

    def supply_code(self, code: str) -> Step:
        """Send the verification code, after :attr:`Step.NEED_CODE`. Returns
        :attr:`Step.NEED_CODE` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        return self._step(self._exchange(self._lib.unchecked.etna_supply_code, (to_c(code, "code"),)))

    @property
    def reason(self) -> str:
        """The server's Reason with the last ``NEED_*`` step (e.g.
        ``"Invalid pin"``), ``""`` after any other outcome."""
        return self._reason

    def cancel(self) -> None:
        """Interrupt the network call in flight on this session, from any
        thread: it raises :class:`CancelledError` and the session keeps its
        step. With no call in flight, the next network call on this session
        raises :class:`CancelledError` at once, sending nothing (so a cancel
        is never lost to a race with a worker thread that has not made its
        call yet). Each cancel stops one call; :meth:`end_login` drops one
        that no call has used."""
        with self._borrow() as ptr:
            self._check(self._lib.etna_cancel(ptr))

    def end_login(self) -> None:
        """End the login: abandon one in progress (the user gave up on the
        code) or log out, keeping the session and its settings. The
        credentials, tokens and the connection's buffers are wiped; a
        cached token file is not touched (see :func:`forget_token`)."""
        with self._borrow() as ptr:
            self._check(self._lib.etna_end_login(ptr))
        self._reason = ""

    # -- the whole login in one call --------------------------------------
    #
    # The policy (docs/login-policy.md) is written once, as the generator
    # _login_policy(); login() and login_async() only drive it: they run the
    # exchanges it yields (here, or on a worker thread) and call the
    # callbacks it yields (awaiting them in login_async), and end the login
    # when anything escapes.

    def _login_policy(self, username: str, password: str, pin: Optional[Factor], code: Optional[Factor]) -> "_Policy":
        # Checked before the generator starts: a wrong type is a TypeError
        # before anything is sent, and does not end a previous login.
        for keyword, factor in (("pin", pin), ("code", code)):
            if factor is not None and not isinstance(factor, str) and not callable(factor):
                raise TypeError(f"{keyword} must be a str, a callable or None, not {type(factor).__name__}")
        args = (to_c(username, "username"), to_c(password, "password"))
        return _login_policy(self._lib, args, pin, code)

    def _abandon(self) -> None:
        """End the login after a failure, so that the library holds no
        credentials and a later supply_* is a StateError. Never masks the
        exception being raised."""
        try:
            self.end_login()
        except StateError:  # closed meanwhile: nothing is left to end
            pass

    def login(
        self,
        username: str,
        password: str,
        *,
        pin: Optional[Factor] = None,
        code: Optional[Factor] = None,
    ) -> str:
        """Log in and return the token.

        ``pin`` and ``code`` are used when the server asks for them (see
        ``docs/login-policy.md``):

        - a string is sent once: if the server asks for the same factor
          again, it was wrong, and :class:`RejectedError` is raised (its
          message the server's Reason, e.g. ``"Invalid pin"``) rather than
          spending the user's remaining attempts on the same value;
        - a callable is called with the server's Reason each time the server
          asks (so that it can tell the user the last value was wrong), and
          returns the value, or ``None`` to give up (:class:`CancelledError`);
        - a factor asked for but not given is the same as ``None``.

        Whenever the login does not succeed (an error, a cancel, giving up,
        or an exception from a callable, which propagates unchanged), the
        login is ended first (:meth:`end_login`): nothing more is sent, and
        the session stays usable.
        """
        policy = self._login_policy(username, password, pin, code)
        try:
            action = next(policy)
            while True:
                if action[0] is _EXCHANGE:
                    outcome = exchange = self._exchange(action[1], action[2], True)
                else:
                    outcome = action[1](action[2])
                    if inspect.isawaitable(outcome):
                        _discard(outcome)
                        raise TypeError(f"the {action[3]} callable returned an awaitable: use login_async()")
                try:
                    action = policy.send(outcome)
                except StopIteration:
                    break
        except BaseException:
            self._abandon()
            raise
        return exchange[2]  # the token, read with the last exchange

    async def login_async(
        self,
        username: str,
        password: str,
        *,
        pin: Optional[AsyncFactor] = None,
        code: Optional[AsyncFactor] = None,
    ) -> str:
        """:meth:`login` for ``asyncio``: the same policy, and the event loop
        is never blocked.

        The exchanges with the server run on the loop's default executor (a
        worker thread). ``pin`` / ``code`` may also be async callables (their
        result is awaited); plain callables are called on the loop's thread.

        Cancelling the task interrupts the exchange in flight
        (``etna_cancel``), waits for the native call to return (at once),
        ends the login and re-raises ``asyncio.CancelledError``; the session
        stays usable.
        """
        policy = self._login_policy(username, password, pin, code)
        loop = asyncio.get_running_loop()
        try:
            action = next(policy)
            while True:
                if action[0] is _EXCHANGE:
                    outcome = exchange = await self._exchange_in_worker(loop, action[1], action[2])
                else:
                    outcome = action[1](action[2])
                    if inspect.isawaitable(outcome):
                        outcome = await outcome
                try:
                    action = policy.send(outcome)
                except StopIteration:
                    break
        except BaseException:
            # No native call is in flight here (a cancelled exchange has
            # returned), so ending the login takes microseconds: done on the
            # loop's thread, where a second cancellation cannot interrupt it.
            self._abandon()
            raise
        return exchange[2]  # the token, read with the last exchange

    async def _exchange_in_worker(self, loop: asyncio.AbstractEventLoop, func: Any, args: Tuple[bytes, ...]) -> Tuple[int, str, str]:
        """:meth:`_exchange` on a worker thread. On cancellation: a call not
        yet started never starts; a call under way is interrupted with
        etna_cancel and waited for, so that the session is never used behind
        the caller's back once the CancelledError is raised."""
        lock = threading.Lock()
        state = {"started": False, "abandoned": False}

        def work() -> Optional[Tuple[int, str, str]]:
            with lock:
                if state["abandoned"]:
                    return None
                state["started"] = True
            return self._exchange(func, args, True)

        future = loop.run_in_executor(None, work)
        try:
            # shield: a cancelled task must not cancel (forget) the future of
            # a call that is still running; it is waited for below.
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with lock:
                state["abandoned"] = True
                started = state["started"]
            if started:
                # Lands on the call in flight, or, if it is about to begin,
                # is kept for it and stops it before it sends anything.
                self._cancel_quietly()
                await _wait_regardless(future)
            raise

    def _cancel_quietly(self) -> None:
        try:
            self.cancel()
        except StateError:  # closed: close() has cancelled the call itself
            pass

    # -- the result --------------------------------------------------------

    @property
    def token(self) -> str:
        """The session token after a successful login; :class:`StateError`
        otherwise. Send it as ``Authorization: Bearer <token>``."""
        with self._borrow() as ptr:
            return _read_token(self._lib, ptr)

    @property
    def authorization_header(self) -> Dict[str, str]:
        """``{"Authorization": "Bearer <token>"}``, for ``requests`` etc."""
        return {"Authorization": "Bearer " + self.token}

    @property
    def expires_at(self) -> Optional[datetime]:
        """When the token expires (an aware UTC ``datetime``: login time plus
        the documented 24 hours), or ``None`` without a token."""
        with self._borrow() as ptr:
            seconds = self._lib.etna_token_expires_at(ptr)
        return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds > 0 else None

    # -- settings and the token cache --------------------------------------

    def set_proxy(self, proxy_url: Optional[str]) -> None:
        """Use the HTTP proxy ``"http://[user:password@]host:port"`` (https
        goes through it with CONNECT); ``None`` turns proxying off. By
        default the session follows ``https_proxy`` / ``NO_PROXY``."""
        url_c = None if proxy_url is None else to_c(proxy_url, "proxy_url")
        with self._borrow() as ptr:
            self._check(self._lib.etna_set_proxy(ptr, url_c))

    def save_token(self, path: PathLike) -> None:
        """Save the token in the token cache file at ``path`` (mode 0600)."""
        path_c = path_to_c(path, "path")
        with self._borrow() as ptr:
            self._check(self._lib.etna_save_token(ptr, path_c))

    def load_token(self, path: PathLike, username: str, *, min_valid: float = 60.0) -> bool:
        """Load ``username``'s cached token for this server from ``path`` if it
        stays valid ``min_valid`` more seconds. Returns ``False`` when there
        is none (no file, no entry, expiring too soon)."""
        path_c = path_to_c(path, "path")
        user_c = to_c(username, "username")
        min_valid_s = _seconds_u32(min_valid, "min_valid")
        with self._borrow() as ptr:
            status = self._lib.etna_load_token(ptr, path_c, user_c, min_valid_s)
        if status == Status.ERR_NO_TOKEN:
            return False
        self._check(status)
        return True


def forget_token(path: PathLike, base_url: str, username: str) -> None:
    """Remove ``username``'s cached token for ``base_url`` from the token
    cache file at ``path`` (a logout). No entry or no file is fine."""
    args = (path_to_c(path, "path"), to_c(base_url, "base_url"), to_c(username, "username"))
    status = _ffi.lib().etna_forget_token(*args)
    if status < 0:
        raise_last(status)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    return float(value)


def _timeout_ms(timeout: object) -> int:
    seconds = _number(timeout, "timeout")
    if not (seconds > 0 and math.isfinite(seconds)) or seconds * 1000 > _MAX_TIMEOUT_MS:
        raise error_for(
            Status.ERR_ARGUMENT,
            f"timeout must be a positive number of seconds up to {_MAX_TIMEOUT_MS // 1000}",
        )
    return max(1, math.ceil(seconds * 1000))


def _seconds_u32(value: object, name: str) -> int:
    seconds = _number(value, name)
    if not (0 <= seconds <= _MAX_TIMEOUT_MS):
        raise error_for(Status.ERR_ARGUMENT, f"{name} must be between 0 and {_MAX_TIMEOUT_MS}")
    return math.ceil(seconds)


def _step_of(status: int) -> Step:
    try:
        return _STEPS[status]
    except KeyError:
        raise error_for(Status.ERR_INTERNAL, f"unknown step status {status} from the library") from None


_STEPS = {step.value: step for step in Step}

# What a _login_policy() generator yields: (_EXCHANGE, C function, C
# arguments), answered with the call's (status, message, token); or (_ASK,
# callable, the server's Reason, keyword), answered with what the callable
# returned.
_EXCHANGE = "exchange"
_ASK = "ask"
_Policy = Generator[Tuple[Any, ...], Any, None]

# status -> (keyword, what the factor is called in messages, C function name)
# (plain ints: an Enum member lookup is a Python call in the loop).
_NEED_PIN = int(Status.NEED_PIN)
_FACTORS = {
    _NEED_PIN: ("pin", "PIN", "etna_supply_pin"),
    int(Status.NEED_CODE): ("code", "verification code", "etna_supply_code"),
}


def _login_policy(lib: Any, credentials: Tuple[bytes, bytes], pin: Optional[Factor], code: Optional[Factor]) -> _Policy:
    """The login policy of docs/login-policy.md, once for login() and
    login_async(). Raises what the login must raise; the driver ends the
    login whenever an exception escapes."""
    sent = set()  # the factors given as strings that have been sent
    unchecked = lib.unchecked  # the arguments are bytes from to_c()
    status, message, _ = yield (_EXCHANGE, unchecked.etna_begin_auth, credentials)
    while status:  # not ETNA_OK
        if status < 0:
            raise error_for(status, message)
        if status not in _FACTORS:
            _step_of(status)  # raises: an unknown step is an InternalError
        keyword, noun, supply = _FACTORS[status]
        factor = pin if status == _NEED_PIN else code
        if isinstance(factor, str):
            if status in sent:
                # Asked again for a value that was sent: it was wrong, and a
                # string cannot change, so the user's remaining attempts are
                # not spent on it. The message is the server's Reason.
                raise error_for(Status.ERR_REJECTED, message)
            sent.add(status)
            value: object = factor
        elif factor is None:
            value = None
        else:
            value = yield (_ASK, factor, message, keyword)
        if value is None:
            raise CancelledError(f"the login was abandoned: no {noun} was given")
        if not isinstance(value, str):
            raise TypeError(f"the {keyword} callable must return a str or None, not {type(value).__name__}")
        status, message, _ = yield (_EXCHANGE, getattr(unchecked, supply), (to_c(value, keyword),))


def _discard(awaitable: object) -> None:
    """Close a coroutine that will never be awaited (no RuntimeWarning)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


async def _wait_regardless(future: "asyncio.Future[Any]") -> None:
    """Wait for ``future`` to finish, through further cancellations (the
    native call it runs returns at once after etna_cancel)."""
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            continue
        except BaseException:  # the call's own error: superseded by the cancellation
            return
    if not future.cancelled():
        future.exception()  # retrieved: no "exception was never retrieved" warning


# Most tokens fit: one etna_get_token call instead of asking for the length
# first. The buffer is a bytearray, so that it is wiped with a memset-like
# slice assignment rather than another foreign call, and the token is
# decoded straight from it (no intermediate bytes copy left unwiped).
_TOKEN_BUFFER = 1024


def _read_token(lib: Any, ptr: Any) -> str:
    """The session's token (etna_get_token), in a borrow of ``ptr``."""
    get_token = lib.unchecked.etna_get_token
    raw = bytearray(_TOKEN_BUFFER)
    n = get_token(ptr, _TokenBuffer.from_buffer(raw), _TOKEN_BUFFER_LEN)
    try:
        if n < 0:
            raise_last(n)
        if n < _TOKEN_BUFFER:
            return str(memoryview(raw)[:n], "utf-8")
    finally:
        raw[:] = _ZEROS
    while True:  # longer than the buffer: nothing was written; ask again
        size = n + 1
        raw = bytearray(size)
        n = get_token(ptr, (ctypes.c_char * size).from_buffer(raw), ctypes.c_size_t(size))
        try:
            if n < 0:
                raise_last(n)
            if n < size:
                return str(memoryview(raw)[:n], "utf-8")
        finally:
            raw[:] = bytes(size)


_TokenBuffer = ctypes.c_char * _TOKEN_BUFFER
_TOKEN_BUFFER_LEN = ctypes.c_size_t(_TOKEN_BUFFER)
_ZEROS = bytes(_TOKEN_BUFFER)
