"""Ctrl-C during a blocking native call made from the main thread.

CPython runs signal handlers only between bytecodes of the main thread, so
a SIGINT that arrives while the main thread is inside a C call (a login
waiting for a silent server) is noticed only when the call returns. So a
blocking call made from the main thread, when SIGINT has a Python handler
(``KeyboardInterrupt`` by default), runs on a worker thread instead, and the
main thread waits for it in Python, where the handler runs at once. When the
handler raises, the native call is cancelled (``etna_cancel``), waited for
(it returns at once) and the exception is raised again.

Callbacks of the native call (the PIN and code prompts of ``etna_login``)
are handed back to the waiting thread (:func:`on_caller`), so that user code
still runs on the thread that called, where ``input()`` stays interruptible.

The hand-over costs about 11 us of CPU per call (two thread switches); calls
from other threads, or with SIGINT ignored or left to the OS, run directly.
"""

import os
import queue
import signal
import threading
from typing import Any, Callable, List, Optional, Tuple, TypeVar

T = TypeVar("T")

# How long the waiting thread blocks at a time: a signal delivered to
# another thread does not wake it, so this bounds the delay (Windows also
# never interrupts a lock wait).
_POLL_S = 0.05

_DONE = 0
_ASK = 1

_local = threading.local()


def interruptible() -> bool:
    """True when a blocking call on this thread should go through :func:`run`."""
    if threading.current_thread() is not threading.main_thread():
        return False
    return callable(signal.getsignal(signal.SIGINT))


class _Worker:
    """A thread that runs one job at a time, kept for the next call."""

    def __init__(self) -> None:
        self.jobs: "queue.SimpleQueue[Tuple[Callable[[], Any], queue.SimpleQueue[Any]]]" = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="etna_auth call", daemon=True).start()

    def _loop(self) -> None:
        while True:
            job, inbox = self.jobs.get()
            _local.inbox = inbox
            try:
                outcome: Tuple[bool, Any] = (True, job())
            except BaseException as exc:  # carried to the caller, raised there
                outcome = (False, exc)
            _local.inbox = None
            job = None  # type: ignore[assignment]  # holds the caller's objects: not until the next job
            _idle.append(self)  # free before the caller hears: its next call reuses it
            inbox.put((_DONE, outcome))
            inbox = outcome = None  # type: ignore[assignment]


_idle: List[_Worker] = []


def _forget_workers() -> None:
    _idle.clear()  # a forked child has none of its parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def run(job: Callable[[], T], cancel: Callable[[], None], *, wait: bool = True) -> T:
    """Run ``job`` on a worker thread while this (main) thread waits,
    serving the callbacks the job hands back with :func:`on_caller`.

    If waiting raises (``KeyboardInterrupt`` from the SIGINT handler),
    ``cancel`` is called, then, with ``wait``, the job is waited for
    (callbacks asked meanwhile get their default answer) and the exception
    is raised again. Without ``wait`` (a call that a cancel cannot stop,
    such as waiting for a file lock) it is raised at once and the job ends
    on its own; the job must then hold what it uses by itself.
    """
    try:
        worker = _idle.pop()
    except IndexError:  # none yet, or all busy in a call that made this one
        worker = _Worker()
    waiting = _Waiting()
    worker.jobs.put((job, waiting.inbox))  # the last step before the try below
    while True:
        # The loop that waits is a call of its own: a signal handler runs
        # where the eval loop checks for it (in 3.11, also at places that
        # no try/except of the same function covers), and an exception from
        # a call is always caught here.
        try:
            ok, value = waiting.serve()
            break
        except BaseException as exc:
            waiting.answer_default()
            cancel()
            if waiting.interrupt is None:
                waiting.interrupt = exc
            if not wait:
                raise
    if waiting.interrupt is not None:
        raise waiting.interrupt
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


class _Waiting:
    """The waiting side of :func:`run`: the job's messages, and the
    callback being answered."""

    __slots__ = ("inbox", "interrupt", "_reply", "_default")

    def __init__(self) -> None:
        self.inbox: "queue.SimpleQueue[Tuple[int, Any]]" = queue.SimpleQueue()
        self.interrupt: Optional[BaseException] = None
        self._reply: "Optional[queue.SimpleQueue[Any]]" = None
        self._default: Any = None

    def serve(self) -> Tuple[bool, Any]:
        """Answer the job's callbacks until it is done; its outcome."""
        while True:
            try:
                kind, payload = self.inbox.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if kind == _DONE:
                return payload  # type: ignore[no-any-return]
            func, args, reply, default = payload
            self._reply, self._default = reply, default  # answered by answer_default() if interrupted
            reply.put(default if self.interrupt is not None else func(*args))
            self._reply = None

    def answer_default(self) -> None:
        """Interrupted: a callback waiting for its answer gets the default."""
        reply, self._reply = self._reply, None
        if reply is not None:
            reply.put(self._default)


def on_caller(func: Callable[..., T], args: Tuple[Any, ...], default: T) -> T:
    """``func(*args)`` on the thread waiting in :func:`run` for this job (or
    right here when the job runs directly). ``func`` must not raise;
    ``default`` is the answer when that thread has been interrupted."""
    inbox = getattr(_local, "inbox", None)
    if inbox is None:
        return func(*args)
    reply: "queue.SimpleQueue[T]" = queue.SimpleQueue()
    inbox.put((_ASK, (func, args, reply, default)))
    return reply.get()
