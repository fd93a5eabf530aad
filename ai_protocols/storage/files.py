"""Locked, atomic, fsynced file writes.

Every change to a session-context file happens under that file's lock and is
written as: temporary file beside it, flush, fsync, rename over the original,
fsync of the folder. A kill at any moment leaves the old file or the new one,
whole. Locks live in ``.ai/.locks/`` (mirroring the path under ``.ai/``) so
that no lock file sits next to a file a person opens in Emacs.

The lock is ``flock(2)``, taken here directly on POSIX: it is the very lock
filelock's ``UnixFileLock`` takes (the two exclude each other), but importing
filelock costs more than a whole ``ai-protocols log`` may, because it brings
asyncio. Where there is no ``fcntl``, filelock's own lock for the platform is
used. Temporary names come from ``os.urandom`` for the same reason: the
``tempfile`` module costs milliseconds to import.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from ai_protocols.errors import LockTimeout, StorageError, UnreadableSession, UnsafePath

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: filelock's lock instead
    fcntl = None  # type: ignore[assignment]

__all__ = ["NotRegular", "OsLock", "atomic_write", "decode", "fsync_dir", "lock_path", "locked",
           "open_regular", "read_bytes", "read_regular"]

LOCK_DIR = ".locks"
DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_POLL = 0.01  # seconds between attempts while another process holds a lock


def lock_path(ai_dir: Path, target: Path) -> Path:
    """The lock file that guards ``target`` (a path under ``ai_dir``)."""
    return ai_dir / LOCK_DIR / f"{target.relative_to(ai_dir)}.lock"


def _lock_timeout() -> float:
    value = os.environ.get("AI_PROTOCOLS_LOCK_TIMEOUT", "")
    try:
        return float(value) if value else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def refuse_symlinks(base: Path, target: Path) -> None:
    """Raise :class:`UnsafePath` if ``target`` or any folder between ``base`` and it
    is a symbolic link: ``.ai/``, ``.ai/sessions/`` or a session file replaced by
    a link must never lead a write outside the project."""
    current = base
    for part in target.relative_to(base).parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePath(target, current)


@contextlib.contextmanager
def locked(ai_dir: Path, target: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the operating-system lock for ``target`` (released if we die), waiting
    ``timeout`` seconds (``AI_PROTOCOLS_LOCK_TIMEOUT``, 30, by default) before
    :class:`LockTimeout`.

    Both ``target`` and its lock file are checked for symbolic links first:
    every write goes through here.
    """
    path = lock_path(ai_dir, target)
    refuse_symlinks(ai_dir.parent, target)
    refuse_symlinks(ai_dir.parent, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(path.parent, error) from error
    timeout = _lock_timeout() if timeout is None else timeout
    lock = OsLock(path)
    try:
        lock.acquire(timeout)
    except TimeoutError as error:
        raise LockTimeout(target, timeout) from error
    try:
        yield
    finally:
        lock.release()


class OsLock:
    """The exclusive operating-system lock on one file (made if missing), which the
    kernel drops when its holder dies, so a killed process never leaves it behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._fallback: object | None = None

    def acquire(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds (0: one attempt), then :class:`TimeoutError`.
        A lock file that cannot be made or opened is :class:`StorageError`."""
        if fcntl is None:  # pragma: no cover - not POSIX
            self._acquire_with_filelock(timeout)
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise StorageError(self.path, error) from error
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.path} is locked") from None
                time.sleep(LOCK_POLL)
                continue
            except OSError as error:
                os.close(fd)
                raise StorageError(self.path, error) from error
            if os.fstat(fd).st_nlink:
                self._fd = fd
                return
            os.close(fd)  # removed by its last holder (a lease's end) meanwhile: lock anew

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
        elif self._fallback is not None:  # pragma: no cover - not POSIX
            self._fallback.release()  # type: ignore[attr-defined]
            self._fallback = None

    def _acquire_with_filelock(self, timeout: float) -> None:  # pragma: no cover - not POSIX
        from filelock import FileLock, Timeout

        lock = FileLock(self.path, timeout=timeout, poll_interval=LOCK_POLL,
                        preserve_lock_file=True)
        try:
            lock.acquire()
        except Timeout as error:
            raise TimeoutError(f"{self.path} is locked") from error
        except OSError as error:
            raise StorageError(self.path, error) from error
        self._fallback = lock


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | list[bytes | memoryview], mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (bytes, or a list of pieces written one after
    another): all of it or none of it, even across a kill.

    The old file's permission bits are kept. On any failure (a full disk, a
    read-only folder) the temporary file is removed and the original stays.
    """
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    except OSError as error:
        raise StorageError(path, error) from error
    tmp: Path | None = None
    try:
        fd, tmp = _create_temporary(path)
        with os.fdopen(fd, "wb") as handle:
            for piece in [data] if isinstance(data, bytes) else data:
                handle.write(piece)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_dir(path.parent)
    except OSError as error:
        raise StorageError(path, error) from error
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, private ``.NAME.<random>.tmp`` beside ``path``, as ``mkstemp`` makes one."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits taken already
            continue


def discard_partial_writes(*paths: Path) -> None:
    """Remove temporary files killed writers left beside ``paths``, listing each
    folder once.

    Only call this holding the lock that guards them: then no live writer has one open.
    """
    by_folder: dict[Path, set[str]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, set()).add(path.name)
    for folder, targets in by_folder.items():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            # Only atomic_write's own ``.NAME.<random>.tmp``: the random part holds no
            # dot. ``.NAME.x.org.<random>.tmp`` belongs to the file ``NAME.x.org``, which
            # another lock guards: a writer of it may be about to rename it into place.
            if not (name.startswith(".") and name.endswith(".tmp")):
                continue
            target, _, middle = name[1:-len(".tmp")].rpartition(".")
            if target in targets and middle:
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)


class NotRegular(OSError):
    """A path that is something other than a regular file (a folder, a named pipe, a
    device, a socket, a symbolic link): never opened for reading, since opening a
    FIFO or a device can block forever. ``kind`` says what it is, in words."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file", os.fspath(path))
        self.kind = kind


def kind_of(mode: int) -> str:
    """What a file of ``mode`` (``st_mode``) is, in words: "a directory"..."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return kind
    return "not a regular file"


_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0))


def open_regular(path: str | os.PathLike[str]) -> int:
    """A descriptor of the regular file ``path``, open for reading; raises
    :class:`NotRegular` for anything else, without blocking: the path is
    ``lstat``-ed first, so a FIFO or a device is never opened, then opened with
    ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat`` (it may have been
    replaced in between). ``FileNotFoundError`` and other ``OSError`` as ``open``
    raises them."""
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(path, kind_of(mode))
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:  # replaced by a symbolic link meanwhile
            raise NotRegular(path, "a symbolic link") from error
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(path, kind_of(mode))
    return fd


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), read without ever
    blocking on something that is not one (:func:`open_regular`)."""
    fd = open_regular(path)
    try:
        if limit is not None:
            return os.read(fd, limit)
        size = os.fstat(fd).st_size
        chunks = []
        while True:
            chunk = os.read(fd, max(size + 1, 65536))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size = 65536
    finally:
        os.close(fd)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it does not exist. A symbolic link is
    refused (:class:`~ai_protocols.errors.UnsafePath`): none of the files the tool
    reads is one; so is anything else that is not a regular file
    (:class:`~ai_protocols.errors.UnreadableSession`), without blocking on a FIFO."""
    try:
        return read_regular(path)
    except FileNotFoundError:
        return None
    except NotRegular as error:
        if error.kind == "a symbolic link":
            raise UnsafePath(path, path) from error
        if error.kind == "a directory":
            raise UnreadableSession(path, "it is a directory") from error
        raise UnreadableSession(path, error.strerror) from error
    except OSError as error:
        raise StorageError(path, error) from error


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text, or :class:`UnreadableSession` for anything that is not Org text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # never the start of UTF-8
        raise UnreadableSession(path, "it is UTF-16 (it starts with a byte-order mark), not UTF-8")
    if b"\x00" in data:
        raise UnreadableSession(path, "it holds NUL bytes (binary data, not Org text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableSession(
            path, f"it is not UTF-8 (byte 0x{data[error.start]:02X} at offset {error.start})"
        ) from error
