"""The library's log, routed into the standard ``logging`` module.

Filled in with the log callback (see :func:`native_level_for`).
"""

import enum

__all__ = ["NativeLevel"]


class NativeLevel(enum.IntEnum):
    """The library's log levels (``ETNA_LOG_*`` in ``etna_auth.h``)."""

    INFO = 1
    DEBUG = 2
    TRACE = 3
