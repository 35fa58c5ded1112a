"""Inter-process lock: fcntl.flock on POSIX, msvcrt.locking on Windows (standard library only)."""

from __future__ import annotations

import os
import stat
import time
from types import TracebackType

from .errors import HelperError

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """Exclusive lock on ``path``; waits up to ``timeout`` seconds, polling (bounded)."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self.fd: int | None = None
        self.waited = False

    def __enter__(self) -> FileLock:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise HelperError(
                f"cannot open the lock file {self.path} ({exc.strerror}): remove it if it is a symlink"
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device planted there: never block on it
            os.close(fd)
            raise HelperError(f"the lock file {self.path} is not a regular file: remove it and run again")
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        while not _try_lock(fd):
            self.waited = True
            if time.monotonic() >= deadline:
                os.close(fd)
                raise HelperError(
                    f"timed out after {self.timeout:.0f}s waiting for another helper process ({self.path})"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
        self.fd = fd
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.fd is not None:
            try:
                _unlock(self.fd)
            finally:
                os.close(self.fd)
                self.fd = None
