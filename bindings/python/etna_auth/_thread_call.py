"""A blocking native call on a thread of its own, which ends with the call.

Used where the calling thread must not wait inside the call: the ``async``
methods (the event loop goes on; :func:`on_loop`) and, from the main
thread, the token-store calls that a cancel cannot stop (Ctrl-C must not
wait for another process's file lock; ``_ctrlc.py``).

Never the event loop's default executor: a login that waits minutes for a
silent server or for another process's login would hold one of its few
threads (``min(32, CPUs + 4)``), which ``getaddrinfo`` of httpx and aiohttp,
``asyncio.to_thread`` and the application share. A thread per call costs
about 60 us, small beside an exchange with a server, and no thread of the
binding outlives the call it serves (``os.fork`` then finds none).

The work runs in a copy of the caller's ``contextvars`` context (as
``asyncio.to_thread`` does), so that log records of the call see the
caller's context (a request id, say). SIGINT is blocked in the thread, so
that Ctrl-C always reaches the main thread, where Python handles it.
"""

import asyncio
import contextvars
import signal
import threading
from typing import Any, Callable, Tuple, TypeVar

T = TypeVar("T")

__all__ = ["start", "on_loop"]

#: What a call ended with: (True, its result) or (False, what it raised).
Outcome = Tuple[bool, Any]

_SIGINT_ONLY = {signal.SIGINT}
_block_sigint = getattr(signal, "pthread_sigmask", None)  # POSIX only


def start(job: Callable[[], Any], done: Callable[[Outcome], None]) -> None:
    """Start ``job()`` on a new thread, in a copy of this thread's context;
    ``done`` gets its outcome there (and must not raise)."""
    context = contextvars.copy_context()

    def work() -> None:
        if _block_sigint is not None:
            _block_sigint(signal.SIG_BLOCK, _SIGINT_ONLY)
        try:
            outcome: Outcome = (True, context.run(job))
        except BaseException as exc:  # carried to the caller, raised there
            outcome = (False, exc)
        done(outcome)

    threading.Thread(target=work, name="etna_auth call", daemon=True).start()


def on_loop(loop: asyncio.AbstractEventLoop, job: Callable[[], T]) -> "asyncio.Future[T]":
    """``job()`` on a thread of its own; a future of ``loop`` for its result."""
    future: "asyncio.Future[T]" = loop.create_future()

    def done(outcome: Outcome) -> None:
        try:
            loop.call_soon_threadsafe(_settle, future, outcome)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    start(job, done)
    return future


def _settle(future: "asyncio.Future[Any]", outcome: Outcome) -> None:
    if future.cancelled():
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
