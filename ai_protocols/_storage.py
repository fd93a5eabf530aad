"""Locked, atomic, fsynced file writes.

Every change to a session-context file happens under that file's lock and is
written as: temporary file beside it, flush, fsync, rename over the original,
fsync of the folder. A kill at any moment leaves the old file or the new one,
whole. Locks live in ``.ai/.locks/`` (mirroring the path under ``.ai/``) so
that no lock file sits next to a file a person opens in Emacs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ai_protocols._errors import LockTimeout, StorageError, UnreadableSession, UnsafePath

__all__ = ["atomic_write", "decode", "fsync_dir", "lock_path", "locked"]

LOCK_DIR = ".locks"
DEFAULT_LOCK_TIMEOUT = 30.0


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
def locked(ai_dir: Path, target: Path) -> Iterator[None]:
    """Hold the operating-system lock for ``target`` (released if we die).

    Both ``target`` and its lock file are checked for symbolic links first:
    every write goes through here.
    """
    from filelock import FileLock, Timeout

    path = lock_path(ai_dir, target)
    refuse_symlinks(ai_dir.parent, target)
    refuse_symlinks(ai_dir.parent, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(path.parent, error) from error
    timeout = _lock_timeout()
    lock = FileLock(path, timeout=timeout, poll_interval=0.01, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout as error:
        raise LockTimeout(target, timeout) from error
    except OSError as error:
        raise StorageError(path, error) from error
    try:
        yield
    finally:
        lock.release()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: all of it or none of it, even across a kill.

    The old file's permission bits are kept. On any failure (a full disk, a
    read-only folder) the temporary file is removed and the original stays.
    """
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    except OSError as error:
        raise StorageError(path, error) from error
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it does not exist. A symbolic link is
    refused: none of the files the tool reads is one."""
    if path.is_symlink():
        raise UnsafePath(path, path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as error:
        raise UnreadableSession(path, "it is a directory") from error
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
