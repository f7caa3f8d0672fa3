"""``Session``: one login to one ETNA server, over ``EtnaSession``."""

import ctypes
import enum
import math
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Union

from . import _ffi
from ._errors import RejectedError, Status, error_for, last_error, raise_last
from ._handle import Handle, PathLike, path_to_c, to_c

__all__ = ["Step", "Session", "Factor", "forget_token"]


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
Factor = Union[str, Callable[[str], str]]

_MAX_TIMEOUT_MS = 2**32 - 1


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
        try:
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

    def _step(self, status: int) -> Step:
        if status < 0:
            raise_last(status)
        # After NEED_* the last error is the server's Reason.
        self._reason = last_error() if status > 0 else ""
        return Step(status)

    def begin_auth(self, username: str, password: str) -> Step:
        """Start (or restart) a login with the user's name and password.

        Returns :attr:`Step.DONE`, or the factor the server asks for next
        (its Reason is then in :attr:`reason`). Raises an :class:`EtnaError`
        subclass on failure, e.g. :class:`CredentialsError`.
        """
        user_c = to_c(username, "username")
        pw_c = to_c(password, "password")
        with self._borrow() as ptr:
            return self._step(self._lib.etna_begin_auth(ptr, user_c, pw_c))

    def supply_pin(self, pin: str) -> Step:
        """Send the security PIN, after :attr:`Step.NEED_PIN`. Returns
        :attr:`Step.NEED_PIN` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        pin_c = to_c(pin, "pin")
        with self._borrow() as ptr:
            return self._step(self._lib.etna_supply_pin(ptr, pin_c))

    def supply_code(self, code: str) -> Step:
        """Send the verification code, after :attr:`Step.NEED_CODE`. Returns
        :attr:`Step.NEED_CODE` again when it was wrong and the server allows
        another try (see :attr:`reason`)."""
        code_c = to_c(code, "code")
        with self._borrow() as ptr:
            return self._step(self._lib.etna_supply_code(ptr, code_c))

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

    def login(
        self,
        username: str,
        password: str,
        *,
        pin: Optional[Factor] = None,
        code: Optional[Factor] = None,
    ) -> str:
        """Log in and return the token.

        ``pin`` and ``code`` are used when the server asks for them. A
        string is sent once: if the server asks for the same factor again,
        it was wrong, and :class:`RejectedError` is raised rather than
        spending the user's remaining attempts on the same value. A callable
        is called with the server's Reason each time it asks (so it can tell
        the user that the last value was wrong) and returns the value. A
        factor asked for but not given raises ``ValueError`` naming it.
        """
        factors = {Step.NEED_PIN: ("pin", "PIN", pin), Step.NEED_CODE: ("code", "verification code", code)}
        for keyword, _, factor in factors.values():
            if factor is not None and not isinstance(factor, str) and not callable(factor):
                raise TypeError(
                    f"{keyword} must be a str, a callable or None, not {type(factor).__name__}"
                )
        sent_once = set()
        step = self.begin_auth(username, password)
        while step is not Step.DONE:
            keyword, what, factor = factors[step]
            if factor is None:
                raise ValueError(f"the server asks for the {what}, but login() got no {keyword}=")
            if isinstance(factor, str):
                if step in sent_once:
                    raise RejectedError(
                        f"the {what} was refused ({self._reason}); a {keyword} given as a "
                        "string is sent only once: pass a callable to let the user retry"
                    )
                sent_once.add(step)
                value = factor
            else:
                value = factor(self._reason)
                if not isinstance(value, str):
                    raise TypeError(
                        f"the {keyword} callable must return a str, not {type(value).__name__}"
                    )
            supply = self.supply_pin if step is Step.NEED_PIN else self.supply_code
            step = supply(value)
        return self.token

    # -- the result --------------------------------------------------------

    @property
    def token(self) -> str:
        """The session token after a successful login; :class:`StateError`
        otherwise. Send it as ``Authorization: Bearer <token>``."""
        lib = self._lib
        with self._borrow() as ptr:
            n = self._check(lib.etna_get_token(ptr, None, 0))
            buf = ctypes.create_string_buffer(n + 1)
            try:
                m = self._check(lib.etna_get_token(ptr, buf, n + 1))
                if m != n:  # another thread logged in again in between
                    return self.token
                return buf.raw[:n].decode("utf-8")
            finally:
                ctypes.memset(buf, 0, n + 1)

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
