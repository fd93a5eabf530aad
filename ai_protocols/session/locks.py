"""The session files' locks, and the checks ``start`` makes holding them that find, as a
rule, nothing to do: below the write machinery (:mod:`ai_protocols.session.transaction`,
:mod:`~ai_protocols.session.rollover`, :mod:`~ai_protocols.session.archive`,
:mod:`~ai_protocols.session.recovery`, :mod:`~ai_protocols.session.pause`), which
imports them from here, so that a ``start`` on a session already started by its
caller, which writes nothing, imports none of it (docs/decisions.md, "Twenty-third
round: start without the write machinery"). Each check that finds something to do
hands it to the write machinery, imported then.
"""

from __future__ import annotations

import os

from ai_protocols.errors import InvalidAgentId
from ai_protocols.paths import join, parent
from ai_protocols.session.names import (
    earlier_kept_paths,
    history_folder,
    kept_path,
    tombstone_path,
)
from ai_protocols.session.pending import pending_path
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.liveness.evidence import Liveness
    from ai_protocols.session.model import Session

__all__ = ["ARCHIVE_LOCK", "TEMP_NAME", "LockedSessions", "archive_lock",
           "discard_partial_archives", "last_written", "locked_sessions", "may_take_over",
           "moved_may_be", "put_back_may_be", "refuse_unsafe", "refuse_unsafe_archive",
           "refuse_unwritable_id"]


#: The archive folder's lock guards its names and the archive index.
ARCHIVE_LOCK = ".archive"
#: The name of the temporary files archives are written through, in ``.ai/sessions/``.
TEMP_NAME = "archive"
#: The archive lock's and the archive temporary files' names in ``.ai/sessions/``.
_ARCHIVE_NAMES = (ARCHIVE_LOCK, TEMP_NAME)


def discard_partial_archives(ai_dir: str) -> None:
    """Remove the archive temporary files of wrap-ups killed mid-write from
    ``.ai/sessions/`` (:func:`~ai_protocols.storage.files.discard_partial_writes`).
    Call holding the archive lock (:func:`ai_protocols.session.archive.archive_lock`):
    then no wrap-up is writing one."""
    storage.discard_partial_writes(join(join(ai_dir, "sessions"), _ARCHIVE_NAMES[1]))


def locked_sessions(ai_dir: str, *paths: str, also: tuple[str, ...] = ()) -> LockedSessions:
    """Hold the locks of the session files ``paths`` (and of ``also``: the archive's
    lock, for a command that archives), all taken here in one order (sorted) by every
    process so that two commands never wait on each other, and remove what killed
    writers left beside each: temporary files of the file, of its pending file, of
    its tombstone and of its kept copy, all written under its lock.

    A lock file that git (``git clean -x``) deleted is made again first, holding no
    lock (see :class:`~ai_protocols.storage.files.AnchoredLock`); if one goes while
    the others are being taken, all are let go and taken again.

    Raises :class:`~ai_protocols.errors.LockTimeout`,
    :class:`~ai_protocols.errors.UnsafePath` or :class:`~ai_protocols.errors.StorageError`.
    """
    return LockedSessions(os.fspath(ai_dir), tuple(map(os.fspath, paths)),
                          tuple(map(os.fspath, also)))


class LockedSessions:
    """What :func:`locked_sessions` gives: the locks are taken on entering the ``with``
    block and released, the last taken first, on leaving it however it is left (and
    when taking them fails half-way). A class rather than a
    ``@contextlib.contextmanager``: importing :mod:`contextlib` (with :mod:`functools`
    and :mod:`collections`) costs a tenth of an interpreter's start
    (docs/performance.md)."""

    __slots__ = ("_ai_dir", "_also", "_held", "_paths")

    def __init__(self, ai_dir: str, paths: tuple[str, ...], also: tuple[str, ...]) -> None:
        self._ai_dir, self._paths, self._also = ai_dir, paths, also
        self._held: list[storage.Locked] = []

    def __enter__(self) -> None:
        ai_dir, paths, held = self._ai_dir, self._paths, self._held
        targets = sorted({*paths, *self._also})
        for target in targets:  # before anything is made: no lock file outside the project
            refuse_unsafe(ai_dir, target)
        if len(targets) > 1:
            storage.ensure_lock_files(ai_dir, targets)
        try:
            while True:
                try:
                    for target in targets:
                        lock = storage.locked(ai_dir, target)
                        lock.__enter__()
                        held.append(lock)
                    break
                except storage.LockFileGone:
                    _release(held)
                    storage.ensure_lock_files(ai_dir, targets)
            for path in paths:
                # (an unlink a name: the writes under this lock name their temporary
                # files so; and the folders of its earlier-entries files and of their
                # kept copies, listed, only where it has them: the session file's lock
                # guards both, so a temporary file there is a killed rollover's)
                history = history_folder(ai_dir, path)
                storage.discard_partial_writes(
                    path, pending_path(path), tombstone_path(ai_dir, path),
                    kept_path(ai_dir, path), kept_path(ai_dir, pending_path(path)),
                    folders=(history, *{parent(kept) for kept in _kept_copies(
                        ai_dir, join(history, "x.org"))}) if os.path.isdir(history) else ())
        except BaseException:
            _release(held)
            raise

    def __exit__(self, *_: object) -> None:
        _release(self._held)


def _release(held: list[storage.Locked]) -> None:
    """Release the locks ``held``, the last taken first, every one even when one fails."""
    if held:
        try:
            held.pop().__exit__(None, None, None)
        finally:
            _release(held)


def refuse_unsafe(ai_dir: str, path: str) -> None:
    """:class:`~ai_protocols.errors.UnsafePath` when the way to ``path`` (a file under
    ``ai_dir``) or to its lock file goes through a symbolic link."""
    storage.refuse_symlinks(parent(ai_dir), path)
    storage.refuse_symlinks(parent(ai_dir), storage.lock_path(ai_dir, path))


def _kept_copies(ai_dir: str, path: str) -> list[str]:
    """Every place a copy of the earlier-entries file ``path`` may be kept (read and
    removed in both)."""
    try:
        return earlier_kept_paths(ai_dir, path)
    except ValueError:
        return []


def moved_may_be(ai_dir: str, path: str) -> bool:
    """Whether the session file at ``path`` may be what a move left, for
    :func:`~ai_protocols.session.away.settle` to look into: the move's tombstone
    (:func:`~ai_protocols.session.names.tombstone_path`) is there. One ``lstat``; every
    start's case is ``False``: nothing to settle, the write machinery not imported."""
    return os.path.lexists(tombstone_path(ai_dir, path))


def last_written(path: str, kept: str) -> os.stat_result | None:
    """The ``lstat`` of the session file at ``path`` when it may be a copy put back by
    hand or by git (what :func:`~ai_protocols.session.wrapped_copy.put_back_refusal`
    looks into): it is there and is not the version this tool wrote last (its kept copy
    ``kept``, the same inode and time: :func:`~ai_protocols.storage.files.same_version`).
    ``None`` when it is not there or is that very version: then nothing to refuse. Two
    ``lstat``s."""
    try:
        here = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    try:
        there = os.stat(kept, follow_symlinks=False)
        if storage.same_version(here, there):
            return None
    except OSError:
        pass
    return here


def put_back_may_be(ai_dir: str, path: str) -> bool:
    """Whether ``start`` must ask :func:`~ai_protocols.session.wrapped_copy.refuse_put_back`
    about the session file at ``path``: :func:`last_written` finds a version the tool
    did not write last (``False``: nothing to refuse, the write machinery not imported)."""
    return last_written(path, kept_path(ai_dir, path)) is not None


def archive_lock(sessions_dir: str) -> str:
    """The path whose lock guards ``sessions_dir``'s names and the archive index: take
    it with the session's own, as :func:`locked_sessions` takes the paths given as its
    ``also``."""
    return os.path.join(sessions_dir, ARCHIVE_LOCK)


def refuse_unsafe_archive(root: str, sessions_dir: str) -> None:
    """:class:`~ai_protocols.errors.UnsafePath` if the way into ``sessions_dir`` (or
    its lock) is a symbolic link. Called before anything is written, so that a
    refusal changes nothing."""
    storage.refuse_symlinks(root, sessions_dir)
    storage.refuse_symlinks(root, storage.lock_path(parent(sessions_dir),
                                                    archive_lock(sessions_dir)))


def refuse_unwritable_id(agent_id: str | None) -> None:
    """An id that is not UTF-8 has a file name (its bytes are percent-encoded) but
    cannot be written into the file's AGENT_ID: :class:`InvalidAgentId` before
    anything is written."""
    if agent_id is None:
        return
    try:
        agent_id.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidAgentId(agent_id, "it is not valid UTF-8, so it cannot be "
                             "written into the session file") from error


def may_take_over(session: Session, state: Liveness) -> bool:
    """Whether a new agent may become the owner of a session it finds in its own file:
    when the old owner is gone (:data:`~ai_protocols.liveness.evidence.GONE`), or was
    never recorded on this host. Not when it may be at work on another host, or in
    another PID namespace."""
    from ai_protocols.liveness.evidence import GONE, Owner
    from ai_protocols.liveness.host import hostname

    if state.state in GONE:
        return True
    recorded = Owner.parse(session.owner) if session.owner else None
    host = recorded.host if recorded else session.host
    return state.state == "unknown" and host in (None, hostname()) and \
        (recorded is None or recorded.visible())  # not a sandbox's process
