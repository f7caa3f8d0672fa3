"""Ctrl-C during a blocking native call made from the main thread.

CPython runs Python signal handlers in the main thread only, between
bytecodes: a SIGINT that arrives while the main thread is inside a C call
(a login waiting for a silent server) would be handled when the call
returns, up to its timeout later. What does see the signal at once is
CPython's C-level handler, which writes the signal's number to the wakeup
fd (``signal.set_wakeup_fd``). The binding's wakeup fd is one end of a
socket pair whose other end a watcher thread reads: when SIGINT comes while
a blocking call of the binding runs on the main thread, the watcher cancels
it (``etna_cancel``) and the call returns within milliseconds. Then the
Python handler runs as usual, ``KeyboardInterrupt`` by default; when the
handler does not raise (``asyncio.run``'s only cancels the main task, which
cannot run while this call holds the loop's thread; or an application's
own), :func:`run` raises ``KeyboardInterrupt`` itself, so that the call
ends as it does outside asyncio.

The call itself runs on the calling thread: no thread hand-over (one
``poll`` as the call begins, no futex, no thread switch), the callables of a login run where they
are called (``input()`` stays interruptible), and ``contextvars`` are the
caller's. A call that a cancel cannot stop (waiting for another process's
lock on the token store) runs on a thread of its own instead, and the main
thread waits for it where a signal reaches it (``wait=False``).

The wakeup fd is one per process, and event loops use it too (asyncio's
``add_signal_handler``, trio). The binding's is installed when the place is
free and kept while it is (checked again at most every second: a check
costs two system calls); an fd found there is put back after the call and
gets the signals of the call's duration passed on. Inside a running asyncio
loop the place is checked at every call. (A loop that takes the place
later and leaves it empty costs Ctrl-C its promptness for up to a second;
``trio.run`` after such a call finds the binding's fd in place, says so in
a RuntimeWarning, and puts it back when it ends.) The watcher is the only thread
the binding keeps: it is stopped before ``os.fork()`` (so Python 3.12+ sees
a single thread and does not warn) and started again by the next call; a
child gets its own socket pair.
"""

import asyncio
import importlib
import os
import select
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable, List, Optional, TypeVar

from . import _thread_call

T = TypeVar("T")

__all__ = ["interruptible", "run", "settle"]

_SIGINT = int(signal.SIGINT)
#: Bytes of ours on the wakeup socket (no signal has these numbers).
_STOP = b"\0"
_SETTLE = b"\xff"
#: How long the wakeup fd is trusted to be ours without looking.
_RECHECK_S = 1.0
_block_signals = getattr(signal, "pthread_sigmask", None)  # POSIX only


def interruptible() -> bool:
    """True when a blocking call on this thread should go through :func:`run`."""
    if _get_ident() != (_main_ident or _find_main()):
        return False
    return callable(_getsignal(_SIGINT))


# The main thread's id, looked up once (threading.current_thread() costs a
# Python call and a dict lookup on every call); forgotten in a forked
# child, whose main thread is the one that forked.
_get_ident = threading.get_ident
_main_ident = 0


def _find_main() -> int:
    global _main_ident
    _main_ident = threading.main_thread().ident or 0
    return _main_ident


# _signal's getsignal: signal.getsignal() turns the handler into an enum
# member when it can, a failed conversion that costs 2 us per call.
_getsignal: Callable[[int], object]
try:
    _getsignal = importlib.import_module("_signal").getsignal
except (ImportError, AttributeError):  # not CPython
    _getsignal = signal.getsignal


class _Call:
    """One call under :func:`run`: what SIGINT does to it."""

    __slots__ = ("cancel", "hit", "wake")

    def __init__(self, cancel: Callable[[], None]) -> None:
        self.cancel = cancel
        self.hit = False
        #: Released on SIGINT: the lock the main thread waits on (wait=False).
        self.wake: Optional[threading.Lock] = None

    def interrupt(self) -> None:
        """SIGINT came (on the watcher thread)."""
        self.hit = True
        self.cancel()
        if self.wake is not None:
            _release(self.wake)


# The call in flight on the main thread; taken by the watcher under _guard,
# so that a cancel never reaches a call that has ended. The wakeup socket
# is read under it too (by the watcher, and by _drain() as a call begins),
# so that a signal is this call's only when it came after the call began.
_guard = threading.Lock()
_current: Optional[_Call] = None


def run(
    job: Callable[[], T], cancel: Callable[[], None], *, wait: bool = True, after: Optional[Callable[[], None]] = None
) -> T:
    """``job()`` on this (main) thread; SIGINT meanwhile calls ``cancel``
    (from the watcher thread) and ends it with ``KeyboardInterrupt`` (or
    what the SIGINT handler raises), after calling ``after`` on this thread
    (a login is ended there).

    Without ``wait`` (a call that a cancel cannot stop, such as waiting for
    a file lock) the job runs on a thread of its own and the exception is
    raised at once, the job ending on its own: it must hold what it uses."""
    global _current, _spare
    watcher = _watcher
    if (
        watcher is not None
        and watcher.installed
        and watcher.thread is not None
        and _running_loop() is None
        and _monotonic() - watcher.checked_at < _RECHECK_S
    ):
        previous = None  # ours, and looked at less than a second ago
    else:
        try:
            previous = _arm()
        except (OSError, ValueError, RuntimeError):
            # No watcher (no file descriptor or thread left, or not the main
            # interpreter): the call runs all the same, and Ctrl-C is seen
            # when it returns.
            previous = None
        watcher = _watcher
    # The record of the last call, reused (a new one costs a Python
    # __init__): the watcher reaches a record only through _current, under
    # _guard, so once a call has ended its record is nobody's. A call made
    # meanwhile (from a signal handler or a login's callable) makes its own.
    call, _spare = _spare, None
    if call is None:
        call = _Call(cancel)
    else:
        call.cancel = cancel
        call.hit = False
        call.wake = None
    # acquire/release rather than ``with``: half the cost, twice per call.
    _guard.acquire()
    try:
        if watcher is not None and watcher.thread is not None and watcher.readable():
            _drain(watcher)
        outer, _current = _current, call
    finally:
        _guard.release()
    try:
        value = job() if wait else _aside(job, call)
    except Exception:
        if not call.hit:
            raise
        # The call's own error (cancelled): the handler did not raise.
        value = None
    except BaseException:
        settle()  # a signal's exception: the watcher's byte is this call's
        raise
    finally:
        _guard.acquire()
        _current = outer
        _guard.release()
        if previous is not None:
            _disarm(previous)
        if call.hit and after is not None:
            after()
    hit = call.hit
    call.cancel = _no_cancel  # holds nothing of the call's
    _spare = call
    if hit:
        # SIGINT's handler ran without raising (asyncio.run's): the call
        # was cancelled all the same, and ends as it does outside asyncio.
        raise KeyboardInterrupt
    return value  # type: ignore[return-value]


def _no_cancel() -> None:
    """The cancel of a record kept for the next call."""


_spare: Optional[_Call] = None


def _aside(job: Callable[[], T], call: _Call) -> T:
    """``job()`` on a thread of its own while this thread waits where a
    signal reaches it (a blocking lock.acquire() is interrupted by signals
    on POSIX, PEP 475; elsewhere the watcher releases it)."""
    done = threading.Lock()
    done.acquire()
    outcome: List[_thread_call.Outcome] = []

    def finished(result: _thread_call.Outcome) -> None:
        outcome.append(result)
        _release(done)

    call.wake = done
    _thread_call.start(job, finished)
    done.acquire()
    if not outcome:  # released by the watcher: the handler did not raise
        raise KeyboardInterrupt
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _drain(watcher: "_Watcher") -> None:
    """Take what the wakeup socket holds off it, on the main thread as a
    call begins, under _guard, when :meth:`_Watcher.readable` (one system
    call: usually nothing is there).

    A signal that came before the call has had its Python handler run, or
    has it run before the call reaches the library: it is not this call's.
    The watcher, which may still wait for the GIL to read it, must not take
    it for this call's (a KeyboardInterrupt caught and a login started at
    once would be cancelled too). The watcher waits with select() and only
    then reads, under _guard: a byte is read by one side only, and one
    that the watcher reads after this came after the call began."""
    try:
        data = watcher.reader.recv(512)
    except OSError:  # the watcher has it
        return
    signals = data.replace(_STOP, b"").replace(_SETTLE, b"")
    forward = watcher.forward
    if forward >= 0 and signals:
        _pass_on(forward, signals)
    if _SETTLE in data:
        watcher.settled.set()


def settle() -> None:
    """Wait until the watcher has read what the wakeup socket holds (a
    SIGINT's exception has been seen on the main thread): the watcher may
    still wait for the GIL with that byte, and must not take it for the
    signal of the next call. Bounded; only ever after a signal."""
    watcher = _watcher
    if watcher is None or watcher.thread is None or threading.current_thread() is not threading.main_thread():
        return
    settled = watcher.settled
    settled.clear()
    try:
        watcher.writer.send(_SETTLE)
    except OSError:  # full: the watcher is behind on a pile of signals
        return
    settled.wait(1.0)


def _release(lock: threading.Lock) -> None:
    try:
        lock.release()
    except RuntimeError:  # released already (the job and SIGINT both)
        pass


class _Watcher:
    """The socket pair given to ``signal.set_wakeup_fd`` and the thread
    that reads it."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)  # set_wakeup_fd requires it
        self.reader.setblocking(False)  # read after select(), also by _drain()
        # A poll object made once: poll(0) is five times cheaper than a
        # recv() that raises BlockingIOError (select.poll: not on Windows).
        self._poll: Any = None
        if hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self.reader, select.POLLIN)
        #: Another wakeup fd found in place, given the signals during a call.
        self.forward = -1
        #: Ours is CPython's wakeup fd, as of checked_at.
        self.installed = False
        self.checked_at = 0.0
        self.thread: Optional[threading.Thread] = None
        #: Set when the watcher reads _SETTLE (settle()).
        self.settled = threading.Event()
        self._generation = 0

    def readable(self) -> bool:
        """Something to read, now (one system call)."""
        if self._poll is not None:
            return bool(self._poll.poll(0))
        return bool(select.select([self.reader], [], [], 0)[0])

    def start(self) -> None:
        self._generation += 1
        generation = self._generation
        thread = threading.Thread(target=self._watch, args=(generation,), name="etna_auth Ctrl-C", daemon=True)
        thread.start()
        self.thread = thread

    def _watch(self, generation: int) -> None:
        if _block_signals is not None:  # a signal lands on the main thread
            _block_signals(signal.SIG_BLOCK, {signal.SIGINT})
        reader = self.reader
        while True:
            try:
                select.select([reader], [], [])
            except (OSError, ValueError):  # closed
                return
            with _guard:
                try:
                    data = reader.recv(512)
                except BlockingIOError:  # _drain() took it: a signal from before a call
                    continue
                except OSError:  # closed
                    return
                if not data:
                    return
                if _SIGINT in data and _current is not None:
                    _current.interrupt()
            signals = data.replace(_STOP, b"").replace(_SETTLE, b"")  # ours, not signals
            forward = self.forward
            if forward >= 0 and signals:
                _pass_on(forward, signals)
            if _SETTLE in data:
                self.settled.set()
            if generation != self._generation:
                return

    def stop(self) -> None:
        """End the thread and wait until the system has none left."""
        thread, self.thread = self.thread, None
        if thread is None:
            return
        self._generation += 1
        try:
            self.writer.send(_STOP)
        except OSError:  # full: the thread has bytes to read, and sees the generation
            pass
        thread.join(1.0)
        _wait_gone(thread)

    def close_in_child(self) -> None:
        """A forked child: the parent's pair is not ours any more."""
        try:
            found = signal.set_wakeup_fd(-1)
            if found not in (-1, self.writer.fileno()):
                signal.set_wakeup_fd(found)
        except (ValueError, OSError):
            pass
        self.reader.close()
        self.writer.close()


_watcher: Optional[_Watcher] = None


def _arm() -> Optional[int]:
    """The watcher running and ours the wakeup fd for the call coming; the
    fd to put back after it (another's, or -1), or None to keep ours.
    (run() skips this while ours was seen in place less than a second ago,
    outside a running event loop.)"""
    global _watcher
    watcher = _watcher
    if watcher is None:
        watcher = _watcher = _Watcher()
    if watcher.thread is None:
        watcher.start()
    now = _monotonic()
    in_loop = _running_loop() is not None
    ours = watcher.writer.fileno()
    found = signal.set_wakeup_fd(ours, warn_on_full_buffer=False)
    watcher.checked_at = now
    if found == ours:
        found = -1
    if found == -1 and not in_loop:
        watcher.installed = True
        return None
    watcher.installed = False
    watcher.forward = found
    return found


def _disarm(previous: int) -> None:
    """The wakeup fd found before the call put back."""
    watcher = _watcher
    if watcher is not None:
        watcher.forward = -1
    try:
        signal.set_wakeup_fd(previous)
    except (OSError, ValueError):  # closed by its owner meanwhile: none then
        signal.set_wakeup_fd(-1)


# Looked up once (two of each per call otherwise). The package imports
# asyncio anyway (the async calls).
_running_loop = asyncio._get_running_loop
_monotonic = time.monotonic


def _pass_on(fd: int, data: bytes) -> None:
    """Give ``data`` (signal numbers) to another wakeup fd."""
    try:
        if sys.platform == "win32":  # a socket there
            sock = socket.socket(fileno=fd)
            try:
                sock.send(data)
            finally:
                sock.detach()
        else:
            os.write(fd, data)
    except OSError:
        pass


def _wait_gone(thread: threading.Thread) -> None:
    """Until the system thread has exited (join() returns a moment before:
    Python 3.12's fork warning counts the process's threads)."""
    task = f"/proc/self/task/{thread.native_id}"
    deadline = time.monotonic() + 1.0
    while os.path.exists(task) and time.monotonic() < deadline:
        time.sleep(0.0005)


def _before_fork() -> None:
    if _watcher is not None:
        _watcher.stop()


def _after_fork_in_parent() -> None:
    # Started by the next call, or now for a call in flight (a fork made
    # from a callable of a login on the main thread).
    if _watcher is not None and _current is not None:
        _watcher.start()


def _after_fork_in_child() -> None:
    global _watcher, _current, _main_ident
    watcher, _watcher, _current = _watcher, None, None
    _main_ident = 0  # the thread that forked: looked up again
    if watcher is not None:
        watcher.close_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)
