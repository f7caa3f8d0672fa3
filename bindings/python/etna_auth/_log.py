"""The library's log, routed into the standard ``logging`` module.

Logger ``etna_auth``; the library's levels map to ``logging.INFO``,
``logging.DEBUG`` and :data:`TRACE` (5, below DEBUG, named ``"TRACE"``).
A session installs the library's log callback (``etna_set_log_callback``)
only while the logger's effective level would show something, with the
library's ``max_level`` matching it, so that there is no cost by default:
without a callback the library does not even format its lines.

The callback is one module-level ctypes object: it outlives every session
(ctypes callbacks must stay alive while C may call them), and it never
raises into C.
"""

import enum
import logging
from typing import Dict, Optional

from . import _ffi

__all__ = ["NativeLevel", "TRACE", "logger", "wanted_level", "callback", "no_callback"]

#: The level of the library's TRACE lines (connection events), below DEBUG.
TRACE = 5
if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")

logger = logging.getLogger("etna_auth")


class NativeLevel(enum.IntEnum):
    """The library's log levels (``ETNA_LOG_*`` in ``etna_auth.h``)."""

    INFO = 1
    DEBUG = 2
    TRACE = 3


_PY_LEVEL: Dict[int, int] = {NativeLevel.INFO: logging.INFO, NativeLevel.DEBUG: logging.DEBUG, NativeLevel.TRACE: TRACE}


def wanted_level() -> int:
    """The ``max_level`` the logger's effective level calls for, or 0 when
    it would show none of the library's lines (then no callback at all)."""
    if not logger.isEnabledFor(logging.INFO):
        return 0
    if logger.isEnabledFor(TRACE):
        return NativeLevel.TRACE
    if logger.isEnabledFor(logging.DEBUG):
        return NativeLevel.DEBUG
    return NativeLevel.INFO


def _on_line(user_data: Optional[int], level: int, line: Optional[bytes]) -> None:
    # Runs on the thread of the session's call, inside the C call: an
    # exception must not cross into C (ctypes would only print it), and a
    # failing handler or filter must not break a login.
    try:
        text = "" if line is None else line.decode("utf-8", "replace")  # line dies with this call
        logger.log(_PY_LEVEL.get(level, logging.DEBUG), "%s", text)
    except BaseException:  # noqa: B036 (nothing may escape into C)
        pass


#: The ctypes callback given to every session (kept alive by this module).
callback = _ffi.LogCallback(_on_line)
#: A NULL EtnaLogCallback (the argtype refuses None): turns the log off.
no_callback = _ffi.LogCallback()
