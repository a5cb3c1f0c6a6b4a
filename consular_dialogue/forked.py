"""Work shared with a forked child process, on a machine with a second processor.

A command whose output is long splits it in two shares (``in_two``): a child forked
before anything is read makes the second while this process makes the first, as a
report's actions and its open items, or each half of a long list or an export's
to-dos. ``cdt check`` splits its tables so (``services.integrity``). The results are
those of one process, in the same order: where no child can be forked, or the child
fails, this process makes its share too. Only the standard library is used:
``os.fork``, two pipes, ``pickle``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

M = TypeVar("M")
S = TypeVar("S")
T = TypeVar("T")


def in_two(
    make: Callable[[], M],
    share_of: Callable[[M, int, list[S]], T],
    *,
    measure: Callable[[M, int], S] | None = None,
    fork: bool = True,
) -> tuple[M, list[T]]:
    """What ``make()`` gives here (``made``), and ``[share_of(made, 0, sizes),
    share_of(made, 1, sizes)]``, where ``sizes`` are what ``measure(made, share)``
    gives of each share (none without ``measure``): what each share needs to know of
    the other (the widths of a table's columns).

    With ``fork``, a child is forked first, where one can be (``Child.start``): it makes
    its own ``made`` and share 1 while this process makes share 0, and they send each
    other their share's size. Each ``make`` must give the same: what it reads was read
    before the fork, or does not change (a part file). Where no child runs, or it fails
    at any step, this process makes what the child did not send: the shares are the
    same either way, and an error in the child's is raised here as one process raises
    it. An error here ends the child."""

    def in_child(parent: Parent) -> T:
        made = make()
        sizes: list[S] = []
        if measure is not None:
            size = measure(made, 1)
            parent.send(size)
            sizes = [parent.receive(), size]
        return share_of(made, 1, sizes)

    child = Child.start(in_child) if fork else None
    try:
        made = make()
        sizes = [] if measure is None else [measure(made, 0)]
        if measure is not None and child is not None:
            theirs = child.receive()
            if theirs is not None and child.send(sizes[0]):
                sizes.append(theirs[0])
            else:  # failed: its share is made here
                child.stop()
                child = None
        if measure is not None and len(sizes) == 1:
            sizes.append(measure(made, 1))
        mine = share_of(made, 0, sizes)
        # In the ``try``: an interrupt may be raised as ``result`` is entered.
        got = None if child is None else child.result()
    except BaseException:
        if child is not None:
            child.stop()  # (a child reaped already is left alone)
        raise
    return made, [mine, share_of(made, 1, sizes) if got is None else got[0]]


class Parent:
    """What a child's work is given of its parent: whether it is gone, and the way to
    send it values and receive values from it, each as one pickled message."""

    def __init__(self, pid: int, to_parent: BinaryIO, from_parent: BinaryIO) -> None:
        self._pid = pid
        self._out = to_parent
        self._in = from_parent

    def gone(self) -> bool:
        """Whether the parent is gone (killed): the work should stop."""
        return os.getppid() != self._pid

    def send(self, value: Any) -> None:
        _send(self._out, value)

    def receive(self) -> Any:
        """The parent's next value; ``EOFError`` when it has ended its side."""
        got = _receive(self._in)
        if got is None:
            raise EOFError("the parent sent nothing more")
        return got[0]


class Child:
    """A function run in a forked process, its result sent back pickled through a pipe;
    it may send values before and receive values from this process (``Parent``).

    The child reads nothing from and writes nothing to the standard streams (they are
    /dev/null to it: a reader of the command's output is not kept waiting by it), and
    leaves by ``os._exit``: no exit handler or buffered output of the parent's runs
    twice, and a lock the parent holds is not let go. Once reaped, it is never sent a
    signal (its pid may be another process's by then)."""

    def __init__(self, pid: int, from_child: BinaryIO, to_child: BinaryIO) -> None:
        self.pid = pid
        self._in: BinaryIO | None = from_child
        self._out: BinaryIO | None = to_child
        self.status: int | None = None  # once reaped; -1 if another reaped it

    @classmethod
    def start(cls, work: Callable[[Parent], Any]) -> Child | None:
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
            pipes: list[int] = []
            try:
                pipes += os.pipe()  # from the child
                pipes += os.pipe()  # to the child
                pid = os.fork()
            except OSError:
                for end in pipes:
                    os.close(end)
                return None
            from_child, to_parent, from_parent, to_child = pipes
            if pid == 0:  # the child: its result, or nothing and exit status 1
                status = 1
                try:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                    os.close(from_child)
                    os.close(to_child)
                    devnull = os.open(os.devnull, os.O_RDWR)
                    # (a closed stream may be one of the pipes)
                    for stream in {0, 1, 2} - {to_parent, from_parent}:
                        os.dup2(devnull, stream)
                    with open(to_parent, "wb") as out, open(from_parent, "rb") as into:
                        _send(out, work(Parent(parent, out, into)))
                    status = 0
                finally:
                    os._exit(status)
            os.close(to_parent)
            os.close(from_parent)
            # Kept open until the child's result is read or it is stopped (``_close``).
            child = cls(pid, open(from_child, "rb"), open(to_child, "wb"))  # noqa: SIM115
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

    def send(self, value: Any) -> bool:
        """Send the child ``value``; False if it cannot take it (it has ended)."""
        if self._out is None:
            return False
        try:
            _send(self._out, value)
        except OSError:  # a broken pipe: the child has ended
            return False
        return True

    def receive(self) -> tuple[Any] | None:
        """The child's next value, as ``(value,)``; None when it ended without one."""
        if self._in is None:
            return None
        try:
            return _receive(self._in)
        except BaseException:
            self.stop()
            raise

    def result(self) -> tuple[Any] | None:
        """What the child's function returned, as ``(value,)`` once it has ended well
        (a value may be None); None if it failed. Its side is closed then."""
        got = self.receive()
        try:
            self._close()
            self._reap()
        except BaseException:
            self.stop()
            raise
        return got if self.status == 0 else None

    def stop(self) -> None:
        """End the child, whatever it is doing."""
        self._close()
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _close(self) -> None:
        for stream in (self._in, self._out):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._in = self._out = None

    def _reap(self) -> None:
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                self.status = -1


_LENGTH = struct.Struct("<Q")


def _send(stream: BinaryIO, value: Any) -> None:
    """``value`` pickled, after its length."""
    data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: BinaryIO) -> tuple[Any] | None:
    """The next value sent (``_send``), as ``(value,)``; None at the end of the stream
    or of a message cut short (its sender ended)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    return (pickle.loads(data),) if len(data) == size else None


def processors() -> int:
    """The processors this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
