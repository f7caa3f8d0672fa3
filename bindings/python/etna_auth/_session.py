"""``Session``: one login to one ETNA server, over ``EtnaSession``."""

import asyncio
import ctypes
import enum
import inspect
import logging
import math
import threading
from ctypes import c_void_p
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

from . import _acquire, _ctrlc, _errors, _ffi, _log, _thread_call
from ._errors import EtnaError, StateError, Status, error_for, raise_last
from ._handle import MAX_U32, Handle, PathLike, StoreSpec, number, path_to_c, seconds_u32, to_c
from ._login import ASK_CALLBACK, NO_CALLBACK, AsyncFactor, Factor, Factors, checked, fitting, register, unregister

__all__ = ["Step", "Session", "Factor", "AsyncFactor", "forget_token", "DEFAULT_TIMEOUT", "DEFAULT_LOCK_TIMEOUT"]

T = TypeVar("T")


class Step(enum.Enum):
    """Where a login stands after a call."""

    DONE = 0
    """Logged in: :attr:`Session.token` holds the token."""
    NEED_PIN = 1
    """The server asks for the security PIN: call :meth:`Session.supply_pin`."""
    NEED_CODE = 2
    """The server asks for the emailed/SMS code: call :meth:`Session.supply_code`."""
    NEED_PASSWORD = 3
    """:meth:`Session.acquire_token` needs a login and asks for the password
    (a ``password`` callable answers it); never a step of :meth:`Session.begin_auth`."""


#: The library's default deadline of each exchange (ETNA_DEFAULT_TIMEOUT_MS
#: in etna_auth.h, checked by the tests), in milliseconds.
_DEFAULT_TIMEOUT_MS = 30000
#: :class:`Session`'s default ``timeout``, in seconds.
DEFAULT_TIMEOUT = _DEFAULT_TIMEOUT_MS / 1000.0
#: The library's default wait for a lock that another login or token file
#: writer holds (ETNA_DEFAULT_LOCK_TIMEOUT_MS, checked by the tests), in ms.
_DEFAULT_LOCK_TIMEOUT_MS = 120000
#: :class:`Session`'s default ``lock_timeout``, in seconds (two minutes).
DEFAULT_LOCK_TIMEOUT = _DEFAULT_LOCK_TIMEOUT_MS / 1000.0

_INFO = logging.INFO
_info_enabled = _log.logger.isEnabledFor


class Session(Handle["ctypes._Pointer[_ffi._EtnaSession]"]):
    """A login session: one server (``base_url``), one application key.

    ``base_url`` is the API base, e.g.
    ``"https://pub-api-et-demo-prod.etnasoft.us/api"`` (plain ``http`` only
    to a loopback host). ``timeout`` is the deadline in seconds of each
    exchange with the server; ``ca_file`` a PEM file whose certificates are
    trusted instead of the operating system's trust store.

    Use it as a context manager (``with`` or ``async with``), or call
    :meth:`close`; it is also closed when garbage collected. Methods may be
    called from several threads (the library serializes them); blocking
    calls release the GIL, and in the main thread Ctrl-C interrupts them.
    ``timeout`` defaults to the library's (:data:`DEFAULT_TIMEOUT`, 30 s).
    ``lock_timeout`` is how long :meth:`acquire_token` waits for another
    login's lock or the token file's write lock (see :attr:`lock_timeout`).
    """

    _kind = "session"

    def __init__(
        self,
        base_url: str,
        app_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: Optional[PathLike] = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        super().__init__()
        url_c = to_c(base_url, "base_url")
        key_c = to_c(app_key, "app_key")
        timeout_ms = _milliseconds(timeout, "timeout", zero_ok=False)
        lock_timeout_ms = _milliseconds(lock_timeout, "lock_timeout", zero_ok=True)
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
        self._lock_timeout_ms = _DEFAULT_LOCK_TIMEOUT_MS
        self._begin_auth = lib.unchecked.etna_begin_auth
        try:
            if _log.wanted_level():
                self._set_log(ptr)
            self._check(lib.etna_set_timeout_ms(ptr, timeout_ms))
            self._set_lock_timeout_ms(ptr, lock_timeout_ms)
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

    @property
    def base_url(self) -> str:
        """The API base URL given to the constructor (what
        :func:`forget_token` takes), also after :meth:`close`."""
        return self._base_url

    @property
    def lock_timeout(self) -> float:
        """How long :meth:`acquire_token` waits, in seconds, for a lock that
        another thread's or process's login holds (or the token file's
        write lock while it saves): then it raises
        :class:`EtnaTimeoutError` naming the lock file and its holder.
        ``0`` is no wait at all. Rounded up to a millisecond; the default is
        the library's (:data:`DEFAULT_LOCK_TIMEOUT`, two minutes).
        :meth:`cancel` and Ctrl-C end a wait at once, whatever its length.
        Setting it from inside this session's callables raises
        :class:`StateError`."""
        return self._lock_timeout_ms / 1000.0

    @lock_timeout.setter
    def lock_timeout(self, seconds: float) -> None:
        ms = _milliseconds(seconds, "lock_timeout", zero_ok=True)
        with self._borrow() as ptr:
            self._set_lock_timeout_ms(ptr, ms)

    def _set_lock_timeout_ms(self, ptr: Any, ms: int) -> None:
        self._check(self._lib.etna_set_lock_timeout_ms(ptr, ms))
        self._lock_timeout_ms = ms

    # -- the login, step by step -------------------------------------------

    def _exchange(
        self, func: Any, args: Tuple[Any, ...], want_token: bool = False, factors: Optional[Factors] = None
    ) -> Tuple[int, str, str]:
        """One native call on the session: ``func(ptr, *args)``, or with
        ``factors`` ``func(ptr, *args, callback, user_data)`` (etna_login,
        etna_acquire_token: the ask callback finds ``factors``). Returns
        its status, this thread's ``etna_last_error()`` (read at once, on
        the thread that made the call: one of its own for the async
        methods), and with ``want_token`` the token when logged in (read
        under the same borrow, so that it is this login's)."""
        # The borrow of Handle._borrow, inlined, with acquire/release
        # rather than ``with``: this is the path of every login, and the
        # context manager's Python calls showed in the per-login cost
        # (bench/costs.py).
        lock = self._lock
        lock.acquire()
        ptr = self._ptr
        if ptr is not None:
            self._busy += 1
        lock.release()
        if ptr is None:
            raise self._closed_error()
        try:
            if factors is not None:
                if self._log_level or _info_enabled(_INFO):
                    self._refresh_log(ptr)
                key = register(factors)
                try:
                    status = func(ptr, *args, NO_CALLBACK if factors.none else ASK_CALLBACK, c_void_p(key))
                finally:
                    unregister(key)
            else:
                if func is self._begin_auth and (self._log_level or _info_enabled(_INFO)):
                    self._refresh_log(ptr)
                status = func(ptr, *args)
            token = _read_token(self._lib, ptr) if want_token and status == 0 else ""
        finally:
            lock.acquire()
            try:
                self._busy -= 1
                if not self._busy and self._ptr is None:
                    self._after_close()
            finally:
                lock.release()
        # etna_last_error() is never NULL.
        message = self._lib.unchecked.etna_last_error().decode("utf-8", "replace") if status else ""
        # After NEED_* the message is the server's Reason.
        self._reason = message if status > 0 else ""
        return status, message, token

    def _refresh_log(self, ptr: Any) -> None:
        """The log is checked as each login begins, when a callback is
        installed or the logger shows INFO (the callers test that first:
        wanted_level() costs more, and the log is off by default)."""
        if _log.wanted_level() != self._log_level:
            self._set_log(ptr)

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
        return self._step(self._blocking(lambda: self._exchange(self._begin_auth, args), login=True))

    def supply_pin(self, pin: str) -> Step:
        """Send the security PIN, after :attr:`Step.NEED_PIN`. Returns
        :attr:`Step.NEED_PIN` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        args = (to_c(pin, "pin"),)
        return self._step(self._blocking(lambda: self._exchange(self._lib.unchecked.etna_supply_pin, args), login=True))

    def supply_code(self, code: str) -> Step:
        """Send the verification code, after :attr:`Step.NEED_CODE`. Returns
        :attr:`Step.NEED_CODE` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        args = (to_c(code, "code"),)
        return self._step(self._blocking(lambda: self._exchange(self._lib.unchecked.etna_supply_code, args), login=True))

    @property
    def reason(self) -> str:
        """The server's Reason with the last ``NEED_*`` step (e.g.
        ``"Invalid pin"``), ``""`` after any other outcome."""
        return self._reason

    def cancel(self) -> None:
        """Interrupt the network call in flight on this session, from any
        thread: it raises :class:`EtnaCancelledError` and the session keeps its
        step. With no call in flight, the next network call on this session
        raises :class:`EtnaCancelledError` at once, sending nothing (so a cancel
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
    # The policy (docs/login-policy.md) is the library's: login() is one
    # etna_login call, and login_async() drives the same steps with the
    # library's own give-up (etna_abandon_login), so that every message comes
    # from the library. _login.Factors holds what only Python knows.

    def _abandon(self) -> None:
        """End the login after a failure, so that the library holds no
        credentials and a later supply_* is a StateError. Never masks the
        exception being raised."""
        try:
            self.end_login()
        except StateError:  # closed meanwhile: nothing is left to end
            pass

    def _give_up(self) -> EtnaError:
        """Give up the login that waits for a factor (etna_abandon_login):
        the login is ended and the error is the library's, the one that
        :meth:`login` raises when no factor is given."""
        with self._borrow() as ptr:
            status = self._lib.etna_abandon_login(ptr)
            message = _errors.last_error()
        self._reason = ""
        return error_for(status, message)

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
          returns the value, or ``None`` to give up
          (:class:`EtnaCancelledError`);
        - a factor asked for but not given is the same as ``None``.

        The callables run on the calling thread. Whenever the login does not
        succeed (an error, a cancel, giving up, or an exception from a
        callable, which propagates unchanged), the login is ended first:
        nothing more is sent, and the session stays usable. In the main
        thread, Ctrl-C (``KeyboardInterrupt``) interrupts it at once.
        """
        factors = Factors(pin, code)
        args = (to_c(username, "username"), to_c(password, "password"))
        login = self._lib.unchecked.etna_login
        return factors.token(self._blocking(lambda: self._exchange(login, args, True, factors), login=True))

    async def login_async(
        self,
        username: str,
        password: str,
        *,
        pin: Optional[AsyncFactor] = None,
        code: Optional[AsyncFactor] = None,
    ) -> str:
        """:meth:`login` for ``asyncio``: the same policy, and the event loop
        is never blocked. The binding drives the library's steps
        (``etna_begin_auth``, ``etna_supply_*``) and gives up with the
        library's ``etna_abandon_login``, so outcomes and messages are those
        of :meth:`login`.

        Each exchange with the server runs on a thread of its own, never on
        the loop's default executor (which ``getaddrinfo`` and
        ``asyncio.to_thread`` share), in a copy of the caller's
        ``contextvars`` context. ``pin`` / ``code`` may also be async
        callables (their result is awaited); plain callables are called on
        the loop's thread.

        Cancelling the task interrupts the exchange in flight
        (``etna_cancel``), waits for the native call to return (at once),
        ends the login and re-raises ``asyncio.CancelledError``; the session
        stays usable.
        """
        factors = Factors(pin, code)
        args = (to_c(username, "username"), to_c(password, "password"))
        loop = asyncio.get_running_loop()
        try:
            status, message, token = await self._exchange_in_worker(loop, self._begin_auth, args)
            while status > 0:
                # (an unknown step is an InternalError)
                keyword = "pin" if _step_of(status) is Step.NEED_PIN else "code"
                value = factors.ask(status, message)
                if inspect.isawaitable(value):
                    value = await value
                if value is None:
                    raise self._give_up()
                supply = self._lib.unchecked.etna_supply_pin if keyword == "pin" else self._lib.unchecked.etna_supply_code
                factor = fitting(to_c(checked(value, keyword), keyword), status)
                status, message, token = await self._exchange_in_worker(loop, supply, (factor,))
            if status < 0:
                raise error_for(status, message)
        except BaseException:
            # No native call is in flight here (a cancelled exchange has
            # returned), so ending the login takes microseconds: done on the
            # loop's thread, where a second cancellation cannot interrupt it.
            self._abandon()
            raise
        return token

    # -- a valid token: the store, or one login ---------------------------

    def acquire_token(
        self,
        username: str,
        password: Optional[Factor] = None,
        *,
        pin: Optional[Factor] = None,
        code: Optional[Factor] = None,
        store: StoreSpec = None,
        min_valid: float = 300,
    ) -> str:
        """Return a token valid for at least ``min_valid`` more seconds: the
        one stored for ``username`` at this base URL (nothing is sent, no
        callable is called), else the token of a login by :meth:`login`'s
        policy, which is then stored (``etna_acquire_token``).

        ``store`` is ``None`` for the default store (:func:`default_store`),
        ``"keyring"`` for the OS credential store (no fallback to a file:
        :class:`EtnaIOError` when none is reachable), or a token file's path.
        ``password`` is a str, or a callable asked with the library's Reason
        only when a login is needed (returning ``None`` gives up), or
        ``None``: a needed login then raises :class:`EtnaCancelledError`
        without sending anything (to look for a stored token only, with
        ``False`` rather than an exception when there is none, use
        :meth:`load_token`). The password callable gets a prompt: why a
        login is needed, then ``". Password: "`` (``getpass.getpass``
        shows it as it is). A refused password raises
        :class:`CredentialsError` at once, never tried again. ``pin`` and
        ``code`` are as for :meth:`login`; ``min_valid`` is at most 86400.

        While another thread or process logs in for the same store, server
        and user, this call waits for it and takes its token (at most
        :attr:`lock_timeout`, then :class:`EtnaTimeoutError`). On failure the
        login is ended (the session keeps the token only when storing it
        failed: :class:`EtnaIOError`). In the main thread, Ctrl-C cancels
        the call, also its wait.
        """
        args, factors = _acquire.prepare(username, password, pin, code, store, min_valid)
        acquire = self._lib.unchecked.etna_acquire_token
        # Ctrl-C in the main thread cancels it, also a wait for another
        # process's login, and ends the login.
        return factors.token(self._blocking(lambda: self._exchange(acquire, args, True, factors), login=True))

    async def acquire_token_async(
        self,
        username: str,
        password: Optional[AsyncFactor] = None,
        *,
        pin: Optional[AsyncFactor] = None,
        code: Optional[AsyncFactor] = None,
        store: StoreSpec = None,
        min_valid: float = 300,
    ) -> str:
        """:meth:`acquire_token` for ``asyncio``: the same call on a thread
        of its own (never the loop's default executor: a wait of minutes for
        another process's login holds no shared thread), in a copy of the
        caller's ``contextvars`` context; ``password``, ``pin`` and
        ``code`` may also be async callables, and every callable runs on the
        loop's thread. Cancelling the task cancels the callable being
        awaited, interrupts the call (``etna_cancel``, also a wait for
        another login), waits for it, ends the login and re-raises
        ``asyncio.CancelledError``."""
        args, factors = _acquire.prepare(username, password, pin, code, store, min_valid)
        acquire = self._lib.unchecked.etna_acquire_token
        loop = asyncio.get_running_loop()
        factors.on_loop(loop)
        result = await self._in_worker(
            loop, lambda: self._exchange(acquire, args, True, factors), stop=factors.stop, end_login=True
        )
        return factors.token(result)

    async def _exchange_in_worker(
        self, loop: asyncio.AbstractEventLoop, func: Any, args: Tuple[bytes, ...]
    ) -> Tuple[int, str, str]:
        """:meth:`_exchange` on a thread of its own (:meth:`_in_worker`)."""
        return await self._in_worker(loop, lambda: self._exchange(func, args, True))

    async def _in_worker(
        self,
        loop: asyncio.AbstractEventLoop,
        call: Callable[[], Tuple[int, str, str]],
        *,
        stop: Optional[Callable[[], None]] = None,
        end_login: bool = False,
    ) -> Tuple[int, str, str]:
        """``call``, native calls on this session, on a thread of its own
        (_thread_call.py). On cancellation: a call not yet started never starts; a
        call under way is interrupted with etna_cancel (after ``stop``) and
        waited for, so that the session is never used behind the caller's
        back once the CancelledError is raised; with ``end_login``, the
        login is then ended."""
        lock = threading.Lock()
        state = {"started": False, "abandoned": False}

        def work() -> Tuple[int, str, str]:
            with lock:
                if state["abandoned"]:
                    return (0, "", "")  # never seen: the caller was cancelled
                state["started"] = True
            return call()

        future = _thread_call.on_loop(loop, work)
        try:
            # shield: a cancelled task must not cancel (forget) the future of
            # a call that is still running; it is waited for below.
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            with lock:
                state["abandoned"] = True
                started = state["started"]
            if started:
                if stop is not None:
                    stop()
                # Lands on the call in flight, or, if it is about to begin,
                # is kept for it and stops it before it sends anything.
                self._cancel_quietly()
                await _wait_regardless(future)
                if end_login:
                    # Also drops a cancel that no call has used (the call had
                    # finished), so that it cannot stop the session's next call.
                    self._abandon()
            raise

    def _blocking(self, job: Callable[[], T], *, login: bool) -> T:
        """Run ``job``, a blocking native call on this session, so that
        Ctrl-C interrupts it in the main thread (_ctrlc.py): with ``login``,
        cancelled and the login ended. Without ``login`` (the token cache's
        lock cannot be cancelled) the KeyboardInterrupt comes at once and
        the call ends on its own, on a thread of its own."""
        if not _ctrlc.interruptible():
            return job()
        if not login:
            return _ctrlc.run(job, _nothing, wait=False)
        # cancel on the Ctrl-C watcher's thread; after that, the login is
        # ended on this one.
        return _ctrlc.run(job, self._cancel_quietly, after=self._abandon)

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
        """Save the token in the token cache file at ``path`` (mode 0600).
        Waits while another thread or process writes the cache (Ctrl-C in
        the main thread interrupts the wait)."""
        path_c = path_to_c(path, "path")
        self._cache_call(self._lib.etna_save_token, path_c)

    def load_token(self, path: PathLike, username: str, *, min_valid: float = 60.0) -> bool:
        """Load ``username``'s cached token for this server from ``path`` if it
        stays valid ``min_valid`` more seconds. Returns ``False`` when there
        is none (no file, no entry, expiring too soon)."""
        path_c = path_to_c(path, "path")
        user_c = to_c(username, "username")
        min_valid_s = seconds_u32(min_valid, "min_valid")
        return self._cache_call(self._lib.etna_load_token, path_c, user_c, min_valid_s) != Status.ERR_NO_TOKEN

    def _cache_call(self, func: Any, *args: Any) -> int:
        """A token-cache call in a borrow of the pointer; its status, or its
        error raised (but ERR_NO_TOKEN, returned). The borrow is the job's
        own: interrupted, the call is left to finish (a file lock cannot be
        cancelled) and keeps the session alive until it does."""

        def job() -> Tuple[int, str]:
            with self._borrow() as ptr:
                status = func(ptr, *args)
            return status, _errors.last_error() if status < 0 else ""

        status, message = self._blocking(job, login=False)
        if status < 0 and status != Status.ERR_NO_TOKEN:
            raise error_for(status, message)
        return int(status)


def forget_token(path: PathLike, base_url: str, username: str) -> None:
    """Remove ``username``'s cached token for ``base_url`` from the token
    cache file at ``path`` (a logout). No entry or no file is fine. Waits
    while another thread or process writes the cache (Ctrl-C in the main
    thread interrupts the wait)."""
    args = (path_to_c(path, "path"), to_c(base_url, "base_url"), to_c(username, "username"))
    forget = _ffi.lib().etna_forget_token

    def job() -> Tuple[int, str]:
        status = forget(*args)
        return status, _errors.last_error() if status < 0 else ""

    if _ctrlc.interruptible():
        status, message = _ctrlc.run(job, _nothing, wait=False)
    else:
        status, message = job()
    if status < 0:
        raise error_for(status, message)


def _nothing() -> None:
    """No cancel: a file lock cannot be cancelled."""


def _milliseconds(value: object, name: str, *, zero_ok: bool) -> int:
    """A number of seconds (``timeout``, ``lock_timeout``) as the ``uint32_t``
    milliseconds of the library, rounded up: positive, or with ``zero_ok``
    zero too (no wait); finite; at most 2^32 - 1 ms."""
    seconds = number(value, name)
    if not ((seconds >= 0 if zero_ok else seconds > 0) and math.isfinite(seconds)) or seconds * 1000 > MAX_U32:
        kind = "zero or a positive" if zero_ok else "a positive"
        raise error_for(Status.ERR_ARGUMENT, f"{name} must be {kind} number of seconds up to {MAX_U32 // 1000}")
    return math.ceil(seconds * 1000)


def _step_of(status: int) -> Step:
    try:
        return _STEPS[status]
    except KeyError:
        raise error_for(Status.ERR_INTERNAL, f"unknown step status {status} from the library") from None


_STEPS = {step.value: step for step in Step}

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
# first. The buffer is a new ctypes array (calloc'd: cheaper than a
# bytearray seen through from_buffer), the token is decoded straight from
# it through a memoryview (no intermediate bytes copy left unwiped), and it
# is wiped by its own ``raw`` setter (a memcpy) rather than another foreign
# call.
_TOKEN_BUFFER = 1024


def _read_token(lib: Any, ptr: Any) -> str:
    """The session's token (etna_get_token), in a borrow of ``ptr``."""
    get_token = lib.unchecked.etna_get_token
    raw = _TokenBuffer()
    n = get_token(ptr, raw, _TOKEN_BUFFER_LEN)
    try:
        if n < 0:
            raise_last(n)
        if n < _TOKEN_BUFFER:
            return str(memoryview(raw)[:n], "utf-8")
    finally:
        raw.raw = _ZEROS
    while True:  # longer than the buffer: nothing was written; ask again
        size = n + 1
        big = (ctypes.c_char * size)()
        n = get_token(ptr, big, ctypes.c_size_t(size))
        try:
            if n < 0:
                raise_last(n)
            if n < size:
                return str(memoryview(big)[:n], "utf-8")
        finally:
            big.raw = bytes(size)


_TokenBuffer = ctypes.c_char * _TOKEN_BUFFER
_TOKEN_BUFFER_LEN = ctypes.c_size_t(_TOKEN_BUFFER)
_ZEROS = bytes(_TOKEN_BUFFER)
