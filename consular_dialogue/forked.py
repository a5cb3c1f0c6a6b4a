"""Work shared with a forked child process, on a machine with a second processor.

A command that spends most of its time on one long job of independent pieces (an
export's to-dos, a long list's lines) hands the second half to a child and does the
first itself (``halves``); ``cdt check`` splits its tables so (``services.integrity``).
The results are those of one process, in the same order: where no child can be
forked, or the child fails, this process does its half too. Only the standard library
is used: ``os.fork``, a pipe, ``pickle``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def halves(count: int, work: Callable[[int, int], T], *, least: int) -> list[T]:
    """``work(start, stop)`` of a range of ``count`` pieces, as one result or two: of
    fewer than ``least`` pieces, ``[work(0, count)]``; of more, where a child can be
    forked, ``[work(0, half), work(half, count)]``, the second made by the child and
    sent back pickled. A ``work`` must give the same result wherever it runs (it reads
    what the process held at the fork, and changes nothing the parent needs): the
    child's half is made here when the child fails, so that an error in it is raised
    here as one process raises it. An error in the first half is raised as it comes
    (one process would have met it first), the child ended."""
    half = count // 2
    child = Child.start(lambda parent_gone: (work(half, count),)) if count >= least else None
    if child is None:
        return [work(0, count)]
    try:
        mine = work(0, half)
    except BaseException:
        child.stop()
        raise
    theirs = child.result()  # (its result,), or None
    return [mine, work(half, count) if theirs is None else theirs[0]]


class Child:
    """A function run in a forked process, its result sent back pickled through a pipe.

    The child reads nothing from and writes nothing to the standard streams (they are
    /dev/null to it: a reader of the command's output is not kept waiting by it), and
    leaves by ``os._exit``: no exit handler or buffered output of the parent's runs
    twice, and a lock the parent holds is not let go. It is given a function that says
    whether its parent is gone (killed), to stop its work then. Once reaped, it is
    never sent a signal (its pid may be another process's by then)."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe = pipe
        self.status: int | None = None  # once reaped; -1 if another reaped it

    @classmethod
    def start(cls, work: Callable[[Callable[[], bool]], Any]) -> Child | None:
        """The child running ``work``; None where there is no second processor or no
        fork, where another thread runs (a fork copies no other thread, but may copy a
        lock one holds), or where children are reaped as they end (SIGCHLD ignored: no
        status to read)."""
        threading = sys.modules.get("threading")
        if not hasattr(os, "fork") or processors() < 2:
            return None
        if threading is not None and threading.active_count() > 1:
            return None
        if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
            return None
        parent = os.getpid()
        # An interrupt waits until each process is ready for it: the child inside the
        # ``try`` that ends it with ``os._exit``, the parent once it holds the child.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
        child = None
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                read, write = os.pipe()
            except OSError:
                return None
            try:
                pid = os.fork()
            except OSError:
                os.close(read)
                os.close(write)
                return None
            if pid == 0:  # the child: its result, or nothing and exit status 1
                status = 1
                try:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                    os.close(read)
                    devnull = os.open(os.devnull, os.O_RDWR)
                    for stream in {0, 1, 2} - {write}:  # (a closed stream may be the pipe)
                        os.dup2(devnull, stream)
                    result = work(lambda: os.getppid() != parent)
                    with open(write, "wb") as out:
                        out.write(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
                    status = 0
                finally:
                    os._exit(status)
            os.close(write)
            child = cls(pid, read)
        finally:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            except BaseException:  # an interrupt held back until now
                if child is not None:
                    child.stop()
                raise
        return child

    def failed(self) -> bool:
        """Whether the child has ended without its result (asked without waiting)."""
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by another (SIGCHLD ignored since)
                pid, status = self.pid, -1
            if pid:
                self.status = status
        return self.status is not None and self.status != 0

    def result(self) -> Any | None:
        """What the child's function returned; None if it failed."""
        pipe, self.pipe = self.pipe, -1
        try:
            with open(pipe, "rb") as reader:
                sent = reader.read()
            self._reap()
        except BaseException:
            self.stop()
            raise
        return pickle.loads(sent) if self.status == 0 and sent else None

    def stop(self) -> None:
        """End the child, whatever it is doing."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                self.status = -1


def processors() -> int:
    """The processors this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
