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

Paths are text (``str``; any ``os.PathLike`` is taken too, and the paths made
here are ``str``): :mod:`pathlib` costs a quarter of an interpreter's start
(docs/performance.md).
"""

from __future__ import annotations

import _thread  # not threading: its import costs what a whole log may not
import errno
import os
import stat
import sys
import time

from ai_protocols.errors import StorageError, UnreadableSession, UnsafePath
from ai_protocols.lean import display, quoted
from ai_protocols.paths import LOCK_DIR, parent, relative_to, sibling

#: Whether the system locks by ``flock(2)`` (POSIX: :mod:`fcntl`; elsewhere filelock's
#: lock). :mod:`fcntl` itself is imported where a lock is taken: a C module of its own,
#: loading it costs a command that locks nothing (``resume``, ``show``, ``status``) about
#: 0.7 M instructions (docs/performance.md, twenty-seventh round).
FLOCK = os.name == "posix"

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    StrPath = str | os.PathLike[str]

__all__ = ["RACY_NS", "AnchoredLock", "LockFileGone", "Locked", "NotRegular", "OsLock", "Prepared",
           "atomic_write", "decode", "ensure_lock_files", "env_number", "fsync_dir", "identity",
           "lock_path", "locked", "open_regular", "prepare", "read_bytes", "read_file",
           "read_regular", "temp_stem", "temporary_name"]

DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_POLL = 0.01  # seconds between attempts while another process holds a lock


def lock_path(ai_dir: StrPath, target: StrPath) -> str:
    """The lock file that guards ``target`` (a path under ``ai_dir``)."""
    ai_dir = os.fspath(ai_dir)
    below = relative_to(os.fspath(target), ai_dir)  # (never absolute: os.path.join's rule
    sep = "/" if ai_dir and not ai_dir.endswith("/") else ""  # as one f-string)
    return f"{ai_dir}{sep}{LOCK_DIR}/{below}.lock"


def _lock_timeout() -> float:
    """``AI_PROTOCOLS_LOCK_TIMEOUT``, seconds (negative: wait for as long as it takes);
    :data:`DEFAULT_LOCK_TIMEOUT` when unset or empty, and, with a warning
    (:func:`env_number`), when unusable: not a number, not finite (``inf``, ``nan``),
    or more than a year either way."""
    return env_number("AI_PROTOCOLS_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT,
                      lambda seconds: abs(seconds) <= 366 * 86400,  # (nan: no)
                      "seconds, at most a year either way")


_WARNED: set[str] = set()


def env_number(name: str, default: float, usable: Callable[[float], bool],
               wanted: str) -> float:
    """The number the environment variable ``name`` holds, or ``default`` when it is
    unset or empty, or holds no number (Python's ``float`` syntax) that ``usable``
    accepts. An unusable value is said once per process on stderr (``Warning: NAME='...'
    is not usable (WANTED): the default, D, applies``), not silently ignored
    (docs/user-guide.md, "Environment variables")."""
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        number = float(value)
        if usable(number):
            return number
    except (ValueError, OverflowError):
        pass
    if name not in _WARNED:
        _WARNED.add(name)
        try:
            sys.stderr.write(f"Warning: {name}={display(quoted(value))} is not usable "
                             f"({wanted}): the default, {default:g}, applies\n")
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):  # no stderr to say it on
            pass
    return default


def refuse_symlinks(base: StrPath, target: StrPath) -> None:
    """Raise :class:`UnsafePath` if ``target`` or any folder between ``base`` and it
    is a symbolic link: ``.ai/``, ``.ai/sessions/`` or a session file replaced by
    a link must never lead a write outside the project."""
    current, target = os.fspath(base), os.fspath(target)
    below = relative_to(target, current)
    for part in below.split("/") if below != "." else ():
        current = os.path.join(current, part)
        if os.path.islink(current):
            raise UnsafePath(target, current)


def locked(ai_dir: StrPath, target: StrPath, timeout: float | None = None) -> Locked:
    """Hold the operating-system lock for ``target`` (released if we die) while in a
    ``with`` block, waiting ``timeout`` seconds (``AI_PROTOCOLS_LOCK_TIMEOUT``, 30, by
    default) before :class:`LockTimeout`: an :class:`AnchoredLock` on its lock file,
    anchored in the project root (``ai_dir``'s parent), so that a lock file deleted by
    ``git clean -x`` while held never lets a second holder in.

    Both ``target`` and its lock file are checked for symbolic links first (on entering
    the block): every write goes through here. Raises :class:`StorageError` when the
    lock file cannot be made or opened, and :class:`LockFileGone` when it was deleted
    while this thread holds another lock (see :class:`AnchoredLock`).
    """
    return Locked(os.fspath(ai_dir), os.fspath(target), timeout)


class Locked:
    """What :func:`locked` gives: the lock is taken on entering the ``with`` block and
    released on leaving it, however it is left. A class rather than a
    ``@contextlib.contextmanager``: importing :mod:`contextlib` (with :mod:`functools`
    and :mod:`collections`) costs a tenth of an interpreter's start
    (docs/performance.md)."""

    __slots__ = ("_ai_dir", "_lock", "_target", "_timeout")

    def __init__(self, ai_dir: str, target: str, timeout: float | None) -> None:
        self._ai_dir, self._target, self._timeout = ai_dir, target, timeout
        self._lock: AnchoredLock | None = None

    def __enter__(self) -> None:
        path = lock_path(self._ai_dir, self._target)
        root = parent(self._ai_dir)
        refuse_symlinks(root, self._target)
        refuse_symlinks(root, path)
        timeout = _lock_timeout() if self._timeout is None else self._timeout
        lock = AnchoredLock(root, path)
        try:
            lock.acquire(timeout)
        except TimeoutError as error:
            from ai_protocols.errors import LockTimeout  # (made on first use: a write's)

            raise LockTimeout(self._target, timeout) from error
        self._lock = lock

    def __exit__(self, *_: object) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()


def ensure_lock_files(ai_dir: StrPath, targets: list[str], timeout: float | None = None) -> None:
    """Make the lock files of ``targets`` that are missing (see :class:`AnchoredLock`),
    holding no lock: a command that takes several locks calls this first, and again
    after :class:`LockFileGone`."""
    if not FLOCK:  # pragma: no cover - not POSIX
        return
    timeout = _lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout if timeout >= 0 else float("inf")
    for target in targets:
        path = lock_path(ai_dir, target)
        if not os.path.lexists(path):
            root = parent(os.fspath(ai_dir))
            refuse_symlinks(root, target)
            refuse_symlinks(root, path)
            try:
                AnchoredLock(root, path).make(deadline)
            except TimeoutError as error:
                from ai_protocols.errors import LockTimeout

                raise LockTimeout(target, timeout) from error


class LockFileGone(StorageError):
    """A lock file was missing (deleted by ``git clean -x``, say) while this thread held
    another lock of the project: it can be made again only by a thread that holds
    none (:class:`AnchoredLock`). Callers that take several locks take them through
    :func:`ai_protocols.session.transaction.locked_sessions`, which lets go of all,
    makes the missing files and takes them again."""

    def __init__(self, path: StrPath) -> None:
        super().__init__(path, FileNotFoundError(
            errno.ENOENT, "its lock file was removed while another lock was held "
                          "(git clean -x?); nothing was changed, run the command again"))


class _Anchors(_thread._local):
    """Per thread: the project roots it holds shared, each as ``[fd, count]``."""

    def __init__(self) -> None:
        self.held: dict[str, list[int]] = {}


_ANCHORS = _Anchors()


def _forget_anchors() -> None:  # a forked child holds none of its parent's locks
    global _ANCHORS
    _ANCHORS = _Anchors()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_anchors)


def _is_at(fd: int, path: str) -> bool:
    """Whether the lock file open as ``fd`` is still the file at ``path`` (not deleted,
    nor replaced by another of that name): a lock on a file that left its name locks
    nothing anyone else takes."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _poll(fd: int, deadline: float, what: str, *, shared: bool = False) -> None:
    """``flock(fd, LOCK_EX)`` (``LOCK_SH`` when ``shared``), trying again every
    millisecond or so until ``deadline`` (then :class:`TimeoutError`)."""
    import fcntl

    operation = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{what} is locked") from None
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL)


class AnchoredLock:
    """The exclusive lock on one lock file that deleting the file cannot break.

    ``flock(2)`` locks an inode, not a name: if ``git clean -x`` deletes the lock
    file while one process holds it, the next process makes a new file of that
    name and locks that, and both are in. So a lock is held with two locks:

    1. the exclusive ``flock`` of the lock file (the one other tools, such as
       filelock, take too), then
    2. a shared ``flock`` of the *anchor*, the project root folder, which git never
       deletes; then the lock file's inode is checked to be still the one at its
       path (else all is let go and taken again).

    A missing lock file is made only under an exclusive ``flock`` of the anchor,
    which waits until no holder is in (each holds the anchor shared). On a file
    system that cannot ``flock`` a folder (an exclusive lock needs a folder open
    for writing on some NFS), the anchor is left out: the lock is then the lock
    file's alone, as before. So a holder
    whose file was deleted is always out before a new file of that name exists, and
    whoever locks the new file is in after it. Within one thread the anchor is held
    once (counted), by a descriptor of its own: a thread that already holds a lock
    cannot make a missing file (it would wait on itself) and raises
    :class:`LockFileGone` instead. Locks of different files do not wait on each
    other; only making a file waits for all holders to be out.
    """

    def __init__(self, anchor: StrPath, path: StrPath) -> None:
        self.anchor = os.fspath(anchor)
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._fallback: OsLock | None = None

    def acquire(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds, then :class:`TimeoutError`. Raises
        :class:`StorageError` when the lock file cannot be made or opened, and
        :class:`LockFileGone` (see above)."""
        if not FLOCK:  # pragma: no cover - not POSIX: filelock's lock, unanchored
            self._fallback = OsLock(self.path)
            os.makedirs(parent(self.path), exist_ok=True)
            self._fallback.acquire(timeout)
            return
        # A negative timeout waits for as long as it takes (as filelock's -1 does).
        deadline = time.monotonic() + timeout if timeout >= 0 else float("inf")
        flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        while True:
            try:
                fd = os.open(self.path, flags)
            except FileNotFoundError:
                self.make(deadline)
                continue
            except PermissionError as error:
                # Made by another user under a stricter umask, or by an older version
                # (0644): flock(2) needs only a descriptor to read.
                try:
                    fd = os.open(self.path, (flags & ~os.O_ACCMODE) | os.O_RDONLY)
                except OSError:
                    raise StorageError(self.path, error) from error
            except OSError as error:
                raise StorageError(self.path, error) from error
            try:
                _poll(fd, deadline, self.path)
                self._enter(deadline)
            except BaseException:
                os.close(fd)
                raise
            if _is_at(fd, self.path):
                self._fd = fd
                return
            self._leave()  # deleted (and maybe made again) before we were in: again
            os.close(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._leave()
        elif self._fallback is not None:  # pragma: no cover - not POSIX
            self._fallback.release()
            self._fallback = None

    def _enter(self, deadline: float) -> None:
        """Hold the anchor shared (once per thread, counted)."""
        key = self.anchor
        held = _ANCHORS.held.get(key)
        if held is not None:
            held[1] += 1
            return
        fd = self._open_anchor()
        try:
            _poll(fd, deadline, self.anchor, shared=True)
        except (TimeoutError, KeyboardInterrupt):
            os.close(fd)
            raise
        except OSError:  # a file system that cannot lock a folder: unanchored
            os.close(fd)
            fd = -1
        _ANCHORS.held[key] = [fd, 1]

    def _leave(self) -> None:
        key = self.anchor
        held = _ANCHORS.held[key]
        held[1] -= 1
        if held[1] == 0:
            del _ANCHORS.held[key]
            if held[0] >= 0:
                os.close(held[0])

    def _open_anchor(self) -> int:
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            return os.open(self.anchor, flags)
        except OSError as error:
            raise StorageError(self.anchor, error) from error

    def make(self, deadline: float) -> None:
        """Make the missing lock file (and its folders), holding the anchor exclusively
        (:class:`TimeoutError` after ``deadline``, :class:`LockFileGone` when this thread
        holds a lock already)."""
        if self.anchor in _ANCHORS.held:
            raise LockFileGone(self.path)
        fd = self._open_anchor()
        try:
            try:
                _poll(fd, deadline, self.anchor)
            except TimeoutError:
                raise
            except OSError:
                pass  # a file system that cannot lock a folder (some NFS): unanchored
            try:
                os.makedirs(parent(self.path), exist_ok=True)
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                                 0o666))  # less the umask (see OsLock)
            except OSError as error:
                raise StorageError(self.path, error) from error
        finally:
            os.close(fd)  # the exclusive hold goes with it


class OsLock:
    """The exclusive operating-system lock on one file (made if missing), which the
    kernel drops when its holder dies, so a killed process never leaves it behind.
    Used for spawners' leases, which are held for a whole agent run; session writes
    take an :class:`AnchoredLock`."""

    def __init__(self, path: StrPath) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._fallback: object | None = None

    def acquire(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds (0: one attempt), then :class:`TimeoutError`.
        A lock file that cannot be made or opened is :class:`StorageError`."""
        if not FLOCK:  # pragma: no cover - not POSIX
            self._acquire_with_filelock(timeout)
            return
        import fcntl

        # A negative timeout waits for as long as it takes (as filelock's -1 does).
        deadline = time.monotonic() + timeout if timeout >= 0 else float("inf")
        while True:
            fd = _open_lock_file(self.path)
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
            if _is_at(fd, self.path):
                self._fd = fd
                return
            os.close(fd)  # removed (a lease's end) or replaced meanwhile: lock anew

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


def _open_lock_file(path: str) -> int:
    """A descriptor to ``flock``: the lock file made if missing, as the umask and the
    folder's group say (``0o666`` less the umask: in a group-shared checkout, umask 002
    and a setgid folder, every user of the group can open it); an existing one that
    this user may only read (made by another user under a stricter umask, or by an
    older version, which made lock files 0644) is opened for reading, which is all
    ``flock(2)`` needs. Raises :class:`StorageError`."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError as error:
        try:
            return os.open(path, os.O_RDONLY)
        except OSError:
            raise StorageError(path, error) from error
    except OSError as error:
        raise StorageError(path, error) from error


def fsync_dir(folder: StrPath) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Prepared:
    """A file written in full and fsynced under a temporary name beside ``path`` (and,
    with ``keep``, under a second temporary name beside that), not in place yet:
    :meth:`commit` puts it there, :meth:`discard` removes it. Made by :func:`prepare`,
    so that a command can write everything that can fail before it changes anything."""

    def __init__(self, path: str, tmp: str, keep: str | None, kept: str | None,
                 data: bytes | list[bytes | memoryview] = b"") -> None:
        self.path, self.tmp, self.keep, self.kept = path, tmp, keep, kept
        self._data = data
        #: What another program saved over this file in the moment it stood at ``path``
        #: before :meth:`commit_unless_changed` put the file it took away back (the
        #: bytes of a save that would otherwise be lost: the caller merges them in);
        #: ``None``: nothing.
        self.displaced: bytes | None = None
        #: The bytes of the file :meth:`commit_unless_changed` put back at ``path`` (a
        #: save that came between its check and its swap), read through a descriptor
        #: opened before the swap back: a program that read this file in the moment it
        #: stood in place may save over that one next, and the caller must then merge
        #: it back; ``None``: nothing was put back.
        self.put_back: bytes | None = None
        #: Why ``keep`` was not given its second name once the write was done (a
        #: folder where the copy belongs, say): the write stands, the caller says so.
        self.keep_error: OSError | None = None

    def commit(self, *, exclusive: bool = False) -> None:
        """Rename it onto ``path`` (with ``exclusive``: make ``path``, which must not
        exist), fsync the folder, then give ``keep`` its second name. Raises
        ``OSError``; a failure leaves it prepared."""
        if exclusive:
            _link_new(self.tmp, self.path)
            _unlink_quietly(self.tmp)
        else:
            os.replace(self.tmp, self.path)
        self._finish()

    def _finish(self) -> None:
        """After the rename: the folder's entry made durable, the kept copy put in place."""
        fsync_dir(parent(self.path))
        if self.kept is not None and self.keep is not None:
            try:  # the write is done: a stale copy at worst, said by the caller
                os.replace(self.kept, self.keep)
            except OSError as error:
                self.keep_error = error
                _unlink_quietly(self.kept)
            self.kept = None

    def commit_unless_changed(self, read_as: os.stat_result | None,
                              read: bytes | None) -> bool:
        """Put it in place only if the file at ``path`` is still the one read: the same
        :func:`identity` as ``read_as`` and the same bytes as ``read`` (``None`` for
        both: there was none, and there must be none). ``False``, nothing changed,
        when it is not: another program saved it meanwhile (a person's editor renames a
        new file over it, or writes into it), and the caller redoes its change on what
        is there now. Where the system swaps two names in one step (Linux's
        ``renameat2(2)`` with ``RENAME_EXCHANGE``), the file the swap took away is
        checked again (its identity), and put back if a save came between the check
        and the swap; a second save in the moment between the swap and the swap back
        lands on this file, and is kept in :attr:`displaced` for the caller to merge;
        the save put back is kept in :attr:`put_back` (a save made on this file, which
        stood in place for that moment, may replace it after the swap back: the caller
        merges it back then). What is left: elsewhere, a save between the check and the
        rename; here, a write into the old file that keeps its size and time. Then
        fsync the folder and give ``keep`` its second name, as :meth:`commit` does.
        Raises ``OSError``; a failure leaves it prepared."""
        if not _still(self.path, read_as, read):
            return False
        if read_as is None:
            try:
                _link_new(self.tmp, self.path)
            except FileExistsError:
                return False
            _unlink_quietly(self.tmp)
        elif _exchange(self.tmp, self.path):  # self.tmp now names the file taken away
            # (its identity alone: the new file is at the path until this is told)
            if identity(os.lstat(self.tmp)) != identity(read_as):
                with open(self.tmp, "rb") as handle:  # (the save, read once put back)
                    _exchange(self.tmp, self.path)  # a save came in between: put it back
                    self.put_back = handle.read()
                self._keep_displaced()
                return False
            os.unlink(self.tmp)
        else:
            os.replace(self.tmp, self.path)
        self._finish()
        return True

    def _keep_displaced(self) -> None:
        """After a swap back: what stands under the temporary name is this file, unless
        another program saved over it (or into it) while it stood at ``path``; then its
        bytes are kept in :attr:`displaced`."""
        with open(self.tmp, "rb") as handle:
            found = handle.read()
        data = self._data
        if found != (data if isinstance(data, bytes) else b"".join(data)):
            self.displaced = found

    def discard(self) -> None:
        for leftover in (self.tmp, self.kept):
            if leftover is not None:
                _unlink_quietly(leftover)


def prepare(path: StrPath, data: bytes | list[bytes | memoryview], mode: int = 0o666, *,
            keep: StrPath | None = None, temp_name: str | None = None,
            keep_link: bool = True, locked: bool = False, keep_time: bool = False) -> Prepared:
    """Write ``data`` (bytes, or a list of pieces written one after another) to a new
    temporary file beside ``path``, ``.<name>.<random>.tmp`` (``name``: ``temp_name``,
    else ``path``'s; ``locked``: the caller holds the lock that guards ``path`` and
    ``keep``, and the name is the fixed one, see :func:`temporary_name`, a stale file
    of that name removed first), flush and fsync it; with ``keep``, give it a second name beside
    ``keep`` too (a hard link, or a copy where there can be none; not ``keep_link``:
    always a copy of its own, which a later write into the file in place leaves as it
    was, as the task board's and the session files' must be; ``keep_time``: the copy is
    given the file's modification time, so that :func:`same_version` tells it from a
    later save with two ``stat`` calls, as the session files' copies are). The
    permission bits
    and group are those of the file at ``path`` (its group where this user may give
    it); a new file gets ``mode`` less the umask, and the folder's group where the
    folder is setgid, as the files git checks out do (``0o666``: ``0o664`` under
    umask 002). On a failure, everything made is removed and :class:`StorageError`
    raised: nothing changed."""
    path = os.fspath(path)
    keep = None if keep is None else os.fspath(keep)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    except OSError as error:
        raise StorageError(path, error) from error
    tmp: str | None = None
    try:
        fd, tmp = _create_temporary(sibling(path, temp_name) if temp_name else path, mode,
                                    locked)
        with os.fdopen(fd, "wb") as handle:
            for piece in [data] if isinstance(data, bytes) else data:
                handle.write(piece)
            handle.flush()
            if old is not None:
                _keep_mode_and_group(handle.fileno(), old)
            os.fsync(handle.fileno())
        kept = _keep_copy(tmp, keep, data, keep_link, locked, keep_time) \
            if keep is not None else None
    except OSError as error:
        if tmp is not None:
            _unlink_quietly(tmp)
        raise StorageError(path, error) from error
    return Prepared(path, tmp, keep, kept, data)


def same_version(one: os.stat_result, other: os.stat_result) -> bool:
    """Whether the ``stat`` results ``one`` and ``other`` describe one version of a file
    and its kept copy (:func:`prepare` with ``keep`` and not ``keep_link``: a copy of
    its own, given the file's modification time): the same size and modification time
    in nanoseconds. Not the inode: a hard link shares every write made into the file in
    place (Emacs saves a file under version control so, making no backup), so the
    inode cannot tell the kept copy from a person's save (docs/decisions.md, "Issue 14,
    seventeenth round (the kept copy is a copy)"). A write into the file changes its
    time (its size too, mostly); what is left is :func:`identity`'s limit, a write
    within one tick of the clock that keeps the size. A kept copy left as a hard link
    (a version before) is one version with the file, as it was taken before."""
    return one.st_size == other.st_size and one.st_mtime_ns == other.st_mtime_ns


def identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """Which file ``st`` describes, and whether it changed: its device, inode, size and
    modification time in nanoseconds (a rename of a new file over it changes the
    inode; a write into it, the size or the time)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _still(path: str, read_as: os.stat_result | None, read: bytes | None) -> bool:
    """Whether the file at ``path`` is the one read (:meth:`Prepared.commit_unless_changed`):
    its identity and its bytes (a write into it within one tick of the clock may keep
    its size and time); both ``None``: there is none."""
    try:
        data, st = _read(path)
    except FileNotFoundError:
        return read_as is None
    except (OSError, NotRegular):
        return False
    return read_as is not None and identity(st) == identity(read_as) and data == read


#: ``renameat2(2)``'s flag that swaps the two names, and where it cannot be used (a
#: system or file system without it): learnt once per process.
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2: list[object] = []


def _exchange(one: str, two: str) -> bool:
    """Swap the files named ``one`` and ``two`` in one step (Linux's ``renameat2(2)``
    with ``RENAME_EXCHANGE``, through the C library: Python has no call for it);
    ``False``, nothing done, where that cannot be done here (another system, a C
    library or file system without it). Raises ``OSError`` for anything else."""
    if not _renameat2:
        call = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                call = ctypes.CDLL(None, use_errno=True).renameat2
                call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.c_char_p, ctypes.c_uint]
            except (OSError, AttributeError, ImportError):
                call = None
        _renameat2.append(call)
    call = _renameat2[0]
    if call is None:
        return False
    import ctypes

    if call(_AT_FDCWD, os.fsencode(one), _AT_FDCWD, os.fsencode(two),  # type: ignore[operator]
            _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), two)


def atomic_write(path: StrPath, data: bytes | list[bytes | memoryview], mode: int = 0o666, *,
                 exclusive: bool = False, keep: StrPath | None = None,
                 temp_name: str | None = None, locked: bool = False,
                 keep_link: bool = True, keep_time: bool = False) -> OSError | None:
    """Replace ``path`` with ``data`` (bytes, or a list of pieces written one after
    another): all of it or none of it, even across a kill (:func:`prepare`, then
    :meth:`Prepared.commit`). Returns ``None``, or, with ``keep``, why the copy could
    not be given its name once the write was done (:attr:`Prepared.keep_error`: a
    folder stands there, say), for the caller to say.

    Permission bits and group as :func:`prepare` gives them. On any failure (a full
    disk, a read-only folder) the temporary file is removed and the original stays.
    ``exclusive``: make ``path``, never replace it (``FileExistsError`` as a
    :class:`StorageError` when a file is there); ``keep``: the new file is also
    there once this returns (see :func:`prepare`, its ``keep_link`` and ``keep_time``), and nothing
    is written when that cannot be done; ``locked``: the caller holds the lock that
    guards ``path`` (and ``keep``), and the temporary files take their fixed names
    (:func:`temporary_name`).
    """
    prepared = prepare(path, data, mode, keep=keep, temp_name=temp_name, locked=locked,
                       keep_link=keep_link, keep_time=keep_time)
    try:
        prepared.commit(exclusive=exclusive)
    except OSError as error:
        prepared.discard()
        raise StorageError(path, error) from error
    return prepared.keep_error


def _link_new(tmp: str, path: str) -> None:
    """Give the written ``tmp`` the name ``path``, which must not exist yet: ``link(2)``
    fails rather than replace a file; where the file system has no hard links, a
    check and a rename (callers hold a lock that keeps their own kind out)."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "File exists", path) from error
        os.rename(tmp, path)


def _keep_copy(tmp: str, keep: str, data: bytes | list[bytes | memoryview],
               link: bool = True, locked: bool = False, times: bool = False) -> str:
    """A second name for the written ``tmp``, beside ``keep`` (renamed onto it by the
    caller once the write is done): a hard link, or a copy where there can be none
    (or, not ``link``, always a copy; ``times``: given ``tmp``'s modification time,
    :func:`same_version`); ``locked``: under its fixed name (:func:`temporary_name`)."""
    os.makedirs(parent(keep), exist_ok=True)
    second = sibling(keep, temporary_name(os.path.basename(keep), locked=locked))
    if locked:
        _unlink_quietly(second)  # (a killed writer's: the lock is held)
    try:
        if not link:
            raise OSError(errno.EPERM, "a copy of its own is wanted")
        os.link(tmp, second, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        fd, second = _create_temporary(keep, locked=locked)
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in [data] if isinstance(data, bytes) else data:
                    handle.write(piece)
            if times:
                written = os.stat(tmp)
                os.utime(second, ns=(written.st_atime_ns, written.st_mtime_ns))
        except OSError:
            _unlink_quietly(second)
            raise
    return second


def _keep_mode_and_group(fd: int, old: os.stat_result) -> None:
    """Give the new file behind ``fd`` the permission bits and group of the file it
    replaces (the group only where this user belongs to it, as ``chgrp`` allows)."""
    os.fchmod(fd, old.st_mode & 0o7777)
    if os.fstat(fd).st_gid != old.st_gid:
        try:
            os.fchown(fd, -1, old.st_gid)
            os.fchmod(fd, old.st_mode & 0o7777)  # chown clears setgid bits; put them back
        except OSError:
            pass


#: The longest file name most file systems take, in bytes (POSIX ``NAME_MAX``: ext4,
#: XFS, Btrfs, tmpfs, APFS).
NAME_MAX = 255
#: What :func:`temporary_name` adds around the name's stem: ``.``, ``.<12 hex>.tmp``.
_TEMP_AROUND = len(".") + len(".") + 12 + len(".tmp")


def temp_stem(name: str) -> str:
    """The part of a temporary file's name that stands for the file ``name`` (a base
    name): ``name`` itself when ``.NAME.<random>.tmp`` fits :data:`NAME_MAX` bytes
    (``os.fsencode``), else the longest start of it that fits with ``~`` and 16 hex
    digits of its SHA-256 after it: a legal name near the limit (252 bytes) still
    gets a temporary name the file system takes, and the same stem each time, so
    :func:`discard_partial_writes` finds what a killed writer left."""
    raw = os.fsencode(name)
    room = NAME_MAX - _TEMP_AROUND
    if len(raw) <= room:
        return name
    import hashlib

    digest = hashlib.sha256(raw).hexdigest()[:16]
    return os.fsdecode(raw[:room - 1 - len(digest)]) + "~" + digest


#: The middles of the two temporary names of a write whose writer holds the lock that
#: guards the file (:func:`temporary_name` with ``locked``): the write's own, and a
#: second name the writer gives the file it replaces before the rename (a session
#: move's backup). Twelve hex digits, as a random middle, so that versions before
#: issue 16's fourteenth round remove them as theirs.
LOCKED_MIDDLES = ("000000000000", "000000000001")


def temporary_name(name: str, *, locked: bool = False, second: bool = False) -> str:
    """A temporary file name for the file ``name`` (a base name), to be made beside
    it: ``.STEM.<12 hex digits>.tmp`` (:func:`temp_stem`), never more than
    :data:`NAME_MAX` bytes. Every temporary file an atomic write makes is named so.
    The hex digits are random, unless ``locked``: the writer holds the lock that
    guards ``name``, so the name is fixed (:data:`LOCKED_MIDDLES`, the second one with
    ``second``) and the next writer under that lock removes what a killed one left
    with one ``unlink`` (:func:`discard_partial_writes`), listing no folder."""
    middle = LOCKED_MIDDLES[second] if locked else os.urandom(6).hex()
    return f".{temp_stem(name)}.{middle}.tmp"


def _create_temporary(path: str, mode: int = 0o666, locked: bool = False) -> tuple[int, str]:
    """A new ``.NAME.<random>.tmp`` beside ``path``, made with ``mode`` less the umask
    (the mode the file will have), as ``mkstemp`` names one; ``locked``: under its
    fixed name (:func:`temporary_name`), a file a killed writer left there removed
    first (the lock held, no live writer has it open)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = sibling(path, temporary_name(os.path.basename(path), locked=locked))
        if locked:
            _unlink_quietly(tmp)
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            if locked:  # (what unlink could not remove: a folder of that name, say)
                raise
            continue  # pragma: no cover - 48 random bits taken already


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def discard_partial_writes(*paths: str, folders: Iterable[str] = ()) -> None:
    """Remove the temporary files writers killed before their rename left: for each of
    ``paths``, those of its writes under its lock (the fixed names of
    :func:`temporary_name` with ``locked``): an ``unlink`` a name, no folder listed, so
    the cost grows with neither the folder nor anything else (a ``log`` among 10,000
    sessions costs what it costs among one); and in each of ``folders`` (small ones,
    whose files' names are not known beforehand: a session's earlier-entries files),
    every one, whatever file it was for: ``.STEM.<12 hex digits>.tmp``, one ``listdir``
    a folder; a folder that is not there is passed over. Returns nothing; raises
    nothing (what cannot be removed stays).

    Only call this holding the lock that guards those files: then no live writer has
    one open, and what is found is stale.
    """
    for path in map(os.fspath, paths):
        stem = temp_stem(os.path.basename(path))
        for middle in LOCKED_MIDDLES:
            _unlink_quietly(sibling(path, f".{stem}.{middle}.tmp"))
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if not (name.startswith(".") and name.endswith(".tmp")):
                continue
            stem, _, middle = name[1:-len(".tmp")].rpartition(".")
            if stem and len(middle) == 12 and all(c in "0123456789abcdef" for c in middle):
                _unlink_quietly(os.path.join(folder, name))


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
    return _open_regular(path)[0]


def _open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """:func:`open_regular`'s descriptor, and what ``fstat`` said of it."""
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(path, kind_of(mode))
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:  # replaced by a symbolic link meanwhile
            raise NotRegular(path, "a symbolic link") from error
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegular(path, kind_of(st.st_mode))
    return fd, st


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), read without ever
    blocking on something that is not one (:func:`open_regular`)."""
    return _read(path, limit)[0]


#: Nanoseconds: a file (or folder) whose times are this recent may change again within
#: the file system's timestamp granularity without its times moving (git's "racy"
#: entries, Documentation/technical/racy-git.txt): a record kept of what it held, keyed
#: on its ``stat``, is not trusted, so not written, until its times are older than this
#: (``list``'s archive index, ``status``'s newest archives, the other agents' heads).
RACY_NS = 2_000_000_000
#: The block :func:`read_file` compares with the bytes the caller holds (``same``).
SAME_BLOCK = 1 << 18


def _read(path: str | os.PathLike[str], limit: int | None = None,
          same: bytes | None = None) -> tuple[bytes, os.stat_result]:
    fd, st = _open_regular(path)
    try:
        if limit is not None:
            return os.read(fd, limit), st
        size = st.st_size
        chunks = []
        if same is not None and size == len(same):
            at = 0  # (a block at a time: no second copy of the file while it is the same)
            while True:
                chunk = os.read(fd, SAME_BLOCK)
                if not chunk and at == len(same):
                    return same, st
                if not chunk or not same.startswith(chunk, at):
                    chunks = [same[:at], chunk]  # (not the same: read whole, as always)
                    size = 65536
                    break
                at += len(chunk)
        while True:
            chunk = os.read(fd, max(size + 1, 65536))
            if not chunk:
                return b"".join(chunks), st
            chunks.append(chunk)
            size = 65536
    finally:
        os.close(fd)


def read_file(path: StrPath, same: bytes | None = None
              ) -> tuple[bytes, os.stat_result] | None:
    """:func:`read_bytes`, with what ``fstat`` said of the file read (which inode, its
    size and mtime: a later ``lstat`` tells whether it is still that file). ``same``:
    bytes the file may still hold (read before); compared a block
    (:data:`SAME_BLOCK`) at a time as the file is read, and returned themselves (the
    very object: ``is`` tells) when the file holds exactly them, so that a big file
    read again is not held twice."""
    try:
        return _read(path, same=same)
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


def read_bytes(path: StrPath) -> bytes | None:
    """The file's bytes, or ``None`` when it does not exist. A symbolic link is
    refused (:class:`~ai_protocols.errors.UnsafePath`): none of the files the tool
    reads is one; so is anything else that is not a regular file
    (:class:`~ai_protocols.errors.UnreadableSession`), without blocking on a FIFO."""
    found = read_file(path)
    return None if found is None else found[0]


def decode(path: StrPath, data: bytes) -> str:
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
