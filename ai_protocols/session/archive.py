"""Archiving: moving a closed session file into ``.ai/sessions/``.

A wrap-up (or ``recover --archive``) first writes the closed file in place,
through the edit transaction, then calls :func:`archive_session` to rename it
under a name nobody has. A kill between the two leaves a closed file in place,
which the next ``start``, ``wrap-up`` or ``recover`` archives: never a lost or
doubled session.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ai_protocols.errors import InvalidText
from ai_protocols.liveness.clock import Moment
from ai_protocols.session.layout import read_info
from ai_protocols.session.model import Session
from ai_protocols.session.names import archive_name, tombstone_path
from ai_protocols.session.pending import pending_path
from ai_protocols.session.text import slugify
from ai_protocols.session.transaction import editing
from ai_protocols.storage import archive_index
from ai_protocols.storage import files as storage

__all__ = ["archive_session", "refuse_unsafe_archive"]

#: The archive folder's lock guards its names and the archive index.
ARCHIVE_LOCK = ".archive"


def refuse_unsafe_archive(root: Path, sessions_dir: Path) -> None:
    """:class:`~ai_protocols.errors.UnsafePath` if the way into ``sessions_dir`` (or
    its lock) is a symbolic link. Called before a wrap-up writes the closed file,
    so that a refusal changes nothing instead of leaving a closed file that
    cannot be moved."""
    storage.refuse_symlinks(root, sessions_dir)
    storage.refuse_symlinks(root, storage.lock_path(sessions_dir.parent,
                                                    sessions_dir / ARCHIVE_LOCK))


def end_of(session: Session) -> datetime:
    """When the session was closed, as exactly as the file says: the instant of the write
    that set ``ENDED`` (its ``UPDATED_AT``, when it agrees), else ``ENDED`` as this
    machine's local time, else the file's modification time."""
    record = Moment.parse(session.updated_at)
    if session.ended is not None:
        return record.wall if record and record.agrees_with(session.ended) else session.ended
    return datetime.fromtimestamp(session.path.stat().st_mtime).astimezone()


def archive_session(root: Path, sessions_dir: Path, session: Session) -> Path:
    """Rename the closed session file ``session.path`` into ``sessions_dir`` under
    :func:`~ai_protocols.session.names.archive_name`, numbered past names taken;
    leave a tombstone where it went for late writers; add its row to the archive
    index. Entries still waiting for Emacs in its pending file are folded in
    first. Returns the archive's path. Call holding the session file's lock.

    Raises :class:`~ai_protocols.errors.UnsafePath`,
    :class:`~ai_protocols.errors.LockTimeout`, or ``OSError`` from the rename.
    """
    ai_dir = sessions_dir.parent
    refuse_unsafe_archive(root, sessions_dir)
    if pending_path(session.path).exists():
        # Entries that waited for Emacs belong to this session: into it before it moves
        # (PENDING_FOLDED: never twice), and the pending file goes with the fold, so that
        # the next session of this name cannot take them for its own.
        with editing(ai_dir, session.path, held=True, closed_ok=True):
            pass
        pending_path(session.path).unlink(missing_ok=True)
    ended = end_of(session)
    try:  # (a DESCRIPTION a person typed may name nothing: "session" then)
        slug = slugify(session.description or "session")
    except InvalidText:
        slug = "session"
    with storage.locked(ai_dir, sessions_dir / ARCHIVE_LOCK):
        sessions_dir.mkdir(parents=True, exist_ok=True)
        number = 1
        target = sessions_dir / archive_name(ended, session.agent_id, slug)
        while os.path.lexists(target):
            number += 1
            target = sessions_dir / archive_name(ended, session.agent_id, slug, number)
        # The note first: a kill between the two leaves the file in place (the note
        # is read only when the file is gone), never a file gone without a note.
        storage.atomic_write(tombstone_path(ai_dir, session.path),
                             f"archived to {target}\n".encode())
        os.rename(session.path, target)
        storage.fsync_dir(sessions_dir)
        storage.fsync_dir(session.path.parent)
        archive_index.record_archive(ai_dir, sessions_dir, target,
                                     lambda path: read_info(path, "archived"))
    return target
