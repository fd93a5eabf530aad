"""Archiving: moving a closed session file into ``.ai/sessions/``.

A wrap-up (or ``recover --archive``, or ``start`` finishing a wrap-up an older
version left half done) closes the session in an edit transaction and, in the
same transaction, moves it: :func:`archive_to` picks a name nobody has and
:meth:`~ai_protocols.session.edit_base.SessionEdit.move_to` writes the closed
session there, then removes the file (see
:func:`ai_protocols.session.transaction.editing` for why nothing changes when any
step fails, and why a kill never loses or doubles a session). The archive is
written, not renamed, so ``.ai/sessions/`` may be on another file system.
"""

from __future__ import annotations

import errno
import os

from ai_protocols.errors import InvalidText, StorageError
from ai_protocols.lean import datetime
from ai_protocols.liveness.clock import Moment
from ai_protocols.session.edit_base import SessionEdit
from ai_protocols.session.locks import TEMP_NAME, archive_lock, refuse_unsafe_archive
from ai_protocols.session.model import Session
from ai_protocols.session.names import archive_name
from ai_protocols.session.splice import read_info
from ai_protocols.session.text import slugify
from ai_protocols.storage import files as storage

__all__ = ["PATH_MAX", "archive_lock", "archive_to", "record", "refuse_unsafe_archive"]

#: The longest path the system takes, in bytes, without its final NUL (Linux's
#: PATH_MAX, 4096, counts it): an archive's path is kept within it.
PATH_MAX = 4095


def end_of(session: Session, at: Moment | None, mtime: float) -> datetime:
    """When the session was closed, as exactly as the file says: ``at``, the moment of
    the transaction that closes it now, when ``ENDED`` is its minute; else the instant
    of the write that set ``ENDED`` (its ``UPDATED_AT``, when it agrees); else
    ``ENDED`` as this machine's local time; else ``mtime`` (the file's modification
    time, seconds since the epoch)."""
    if session.ended is not None:
        if at is not None and at.minute == session.ended:
            return at.wall
        record = Moment.parse(session.updated_at)
        return record.wall if record and record.agrees_with(session.ended) else session.ended
    return datetime.fromtimestamp(mtime).astimezone()


def archive_to(edit: SessionEdit, root: str, sessions_dir: str, *,
               then: str | None = None) -> str:
    """In an edit transaction of a closed session (holding the archive lock too, see
    :func:`archive_lock`): name its archive, :func:`~ai_protocols.session.names.archive_name`
    of ENDED (else the file's mtime), AGENT_ID and DESCRIPTION, numbered past names
    taken and cut to fit ``PATH_MAX``, and make the transaction write it there, then
    remove the file (or, with ``then``, put a new session of that text in its place);
    the files of its earlier entries go to the folder of the archive's name without
    ``.org`` (``.ai/sessions/NAME/``), which no listing reads as a session. Returns
    the archive's path. Raises :class:`~ai_protocols.errors.UnsafePath`, or
    :class:`~ai_protocols.errors.StorageError` when ``sessions_dir`` cannot be made or
    its path leaves no room for a name."""
    refuse_unsafe_archive(root, sessions_dir)
    session = edit.session(brief=True)  # (its properties name the archive: no entries)
    assert edit.read_as is not None
    ended = end_of(session, edit.at, edit.read_as.st_mtime)
    try:  # (a DESCRIPTION a person typed may name nothing: "session" then)
        slug = slugify(session.description or "session")
    except InvalidText:
        slug = "session"
    try:
        os.makedirs(sessions_dir, exist_ok=True)
    except OSError as error:
        raise StorageError(sessions_dir, error) from error
    # (the temporary files of archives killed mid-write)
    storage.discard_partial_writes(os.path.join(sessions_dir, TEMP_NAME))
    room = PATH_MAX - len(os.fsencode(sessions_dir)) - 1
    try:
        number = 1
        target = os.path.join(sessions_dir,
                              archive_name(ended, session.agent_id, slug, max_bytes=room))
        while os.path.lexists(target):
            number += 1
            target = os.path.join(sessions_dir,
                                  archive_name(ended, session.agent_id, slug, number, room))
    except ValueError as error:
        raise StorageError(sessions_dir, OSError(
            errno.ENAMETOOLONG, "its path leaves no room for an archive's name")) from error
    # The files of its earlier entries go beside it, into a folder of its name.
    edit.move_to(target, f"archived to {target}", exclusive=True, temp_name=TEMP_NAME,
                 then=then, earlier_to=target[:-4] if target.endswith(".org") else None)
    return target


def record(ai_dir: str, sessions_dir: str, target: str) -> None:
    """Add the archive ``target`` to the archive index (best effort: a cache). Call
    holding the archive lock, once the transaction that wrote it is over."""
    from ai_protocols.storage import archive_index  # (with json: only once archived)

    archive_index.record_archive(ai_dir, sessions_dir, target,
                                 lambda path: read_info(path, "archived"))
