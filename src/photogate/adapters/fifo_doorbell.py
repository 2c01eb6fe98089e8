"""FifoDoorbell: a sender wakes idle consumers in other processes through one named pipe per queue.

A send writes one byte into the queue's pipe; a consumer waiting for messages is woken by
the event loop the moment it arrives, and otherwise costs nothing. Each listener keeps the pipe
open for reading *and* writing, so a sender never finds it without a reader (the byte waits in
the pipe while every consumer is busy) and no listener ever sees end-of-file. Where named pipes
do not exist (Windows) or cannot be made, `wait` just sleeps: consumers fall back to polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import stat
from pathlib import Path

log = logging.getLogger(__name__)
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_READ_SIZE = 4096


class FifoDoorbell:
    """One named pipe per queue under `directory`, created by the first listener."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._listeners: dict[str, _Listener] = {}
        self._unavailable = not hasattr(os, "mkfifo")

    def ring(self, queue: str) -> None:
        """Wake a listener of `queue`, if any; never blocks, never fails (it is only a hint)."""
        try:
            fd = os.open(self._path(queue), os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no pipe yet (nobody ever listened) or no reader: no one to wake
            return
        try:
            os.write(fd, b"\x01")
        except OSError:  # the pipe is full: its listeners have plenty of wake-ups pending
            pass
        finally:
            os.close(fd)

    def listen(self, queue: str) -> None:
        """Start keeping the rings of `queue` (a consumer calls it before it first looks)."""
        self._listener(queue)

    async def wait(self, queue: str, seconds: float) -> bool:
        """Wait up to `seconds` for a ring on `queue` since listening began; True if one came."""
        listener = self._listener(queue)
        if listener is None:
            await asyncio.sleep(seconds)
            return False
        return await listener.wait(seconds)

    def close(self) -> None:
        """Stop listening; later waits open the pipes again."""
        listeners, self._listeners = self._listeners, {}
        for listener in listeners.values():
            listener.close()

    def _listener(self, queue: str) -> _Listener | None:
        listener = self._listeners.get(queue)
        if listener is not None or self._unavailable:
            return listener
        try:
            listener = _Listener(self._open_fifo(queue))
        except OSError:
            log.warning("no wake-up pipe in %s; consumers poll", self._directory, exc_info=True)
            self._unavailable = True
            return None
        self._listeners[queue] = listener
        return listener

    def _open_fifo(self, queue: str) -> int:
        path = self._path(queue)
        self._directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkfifo(path, 0o600)
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(f"{path} exists and is not a named pipe")
        return fd

    def _path(self, queue: str) -> Path:
        if _PLAIN_NAME.fullmatch(queue):
            return self._directory / queue
        return self._directory / hashlib.sha256(queue.encode()).hexdigest()[:32]


class _Listener:
    """One open pipe and the coroutines waiting on it; it is read only while someone waits,
    so a busy process leaves the wake-up to an idle one.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    async def wait(self, seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        if not self._waiters:
            self._loop = loop
            loop.add_reader(self.fd, self._readable)
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            return False
        finally:
            self._forget(waiter)
        return True

    def close(self) -> None:
        if self._waiters and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.fd)
        os.close(self.fd)

    def _readable(self) -> None:
        if not self._drain():
            return  # another process took the byte first
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _drain(self) -> bool:
        got = False
        with contextlib.suppress(BlockingIOError):
            while os.read(self.fd, _READ_SIZE):
                got = True
        return got

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        self._waiters.discard(waiter)
        if not self._waiters and self._loop is not None:
            self._loop.remove_reader(self.fd)
            self._loop = None
