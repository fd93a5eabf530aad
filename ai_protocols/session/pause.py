"""Pausing, resuming and abandoning a session; where git stood at each write.

Each is one edit transaction (:func:`ai_protocols.session.transaction.editing`):

- :func:`pause`: STATUS ``paused``, when (``PAUSED``) and why (``PAUSE_NOTE``),
  and a ``pause:`` Log line. A paused session is judged ``paused``, never
  crashed or abandoned (:func:`ai_protocols.liveness.evidence.assess`), and
  ``recover`` refuses it without ``--force``.
- :func:`resume_paused`: ``start`` (and the SessionStart hook) of the agent
  whose session is paused: STATUS ``active`` again, the caller its owner, and
  a ``resumed:`` Log line.
- :func:`abandon`: STATUS ``abandoned``, ``ENDED``, the reason as
  ``DESCRIPTION`` and in the Log, and the session archived in the same
  transaction, as a wrap-up archives it (:func:`ai_protocols.session.archive.archive_to`).
- :func:`record_head`: ``GIT_BRANCH`` and ``GIT_COMMIT`` set to what the work
  tree's ``HEAD`` names now, when that changed, read from git's files
  (:func:`ai_protocols.git.head.read_head`: no process).
"""

from __future__ import annotations

from ai_protocols.git.head import read_head
from ai_protocols.lean import datetime
from ai_protocols.liveness.clock import Moment
from ai_protocols.liveness.evidence import Owner
from ai_protocols.liveness.host import hostname
from ai_protocols.session.layout import ABANDONED, ACTIVE, PAUSED
from ai_protocols.session.model import Session
from ai_protocols.session.text import check_text, preview, slugify
from ai_protocols.session.transaction import (
    SessionEdit,
    editing,
    locked_sessions,
    refuse_missing,
    refuse_unsafe,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import Project

__all__ = ["abandon", "pause", "record_head", "resume_paused"]


def record_head(edit: SessionEdit, root: str) -> None:
    """In an edit transaction: set ``GIT_BRANCH`` and ``GIT_COMMIT`` to what the work
    tree around ``root`` has checked out, when either changed (a detached ``HEAD``
    removes ``GIT_BRANCH``; before the first commit there is no ``GIT_COMMIT``).
    Nothing when ``root`` is in no work tree whose ``HEAD`` can be read from its files,
    or while a person holds the file in Emacs (the entries wait; the next write
    records it)."""
    if edit.emacs_lock is not None:
        return
    head = read_head(root)
    if head is None:
        return
    props = edit.properties
    branch, commit = head
    if (props.get("GIT_BRANCH"), props.get("GIT_COMMIT")) != (branch, commit):
        edit.set_properties(("GIT_BRANCH", branch), ("GIT_COMMIT", commit))


def pause(project: Project, note: str | None = None,
          now: datetime | Moment | None = None) -> Session:
    """Mark the caller's session paused (see the module), with ``note`` (one line: why,
    or what to do first on resuming); pausing a paused session records the new note.
    Returns the session as written. Raises :class:`~ai_protocols.errors.InvalidText`
    (a note that is empty or not one line), :class:`~ai_protocols.errors.NoSession`,
    :class:`~ai_protocols.errors.SessionWrappedUp`,
    :class:`~ai_protocols.errors.BeingEdited` and what any write may raise."""
    if note is not None:
        check_text("note", note, one_line=True)
    with editing(project.ai_dir_text, project.path_text, now=now) as edit:
        edit.set_properties(("STATUS", PAUSED), ("PAUSED", edit.stamp), ("PAUSE_NOTE", note))
        record_head(edit, project.root_text)
        edit.note(f"pause: {preview(note)}" if note else "pause: paused")
    return edit.session()


def resume_paused(project: Project, owner: Owner, session: Session,
                  now: datetime | Moment | None = None) -> Session:
    """The caller's own session is paused (``session``, as read): carry it on, with the
    caller as its owner. Call holding the file's lock. Returns the session as written."""
    when = f"{session.paused:%Y-%m-%d %H:%M}" if session.paused else "?"
    with editing(project.ai_dir_text, project.path_text, now=now, held=True) as edit:
        edit.set_properties(("STATUS", ACTIVE), ("OWNER", owner.to_property()),
                            ("HOST", hostname()), ("PAUSED", None), ("PAUSE_NOTE", None),
                            ("EXIT", None), ("EXITED", None), ("EXIT_BY", None))
        record_head(edit, project.root_text)
        note = f" ({preview(session.pause_note)})" if session.pause_note else ""
        edit.note(f"resumed: after a pause at {when}{note}")
    return edit.session()


def abandon(project: Project, reason: str, now: datetime | Moment | None = None) -> str:
    """Close the caller's session as abandoned, ``reason`` (one line) kept as its
    ``DESCRIPTION`` and in the Log, and archive it under ``.ai/sessions/`` in the same
    transaction, as :meth:`~ai_protocols.session.project.Project.wrap_up` does: any
    failure changes nothing, a kill never loses or doubles it. Returns the archive.
    Raises :class:`~ai_protocols.errors.InvalidText` (a reason that is empty, not one
    line, or with nothing to name the archive by), :class:`~ai_protocols.errors.NoSession`,
    :class:`~ai_protocols.errors.SessionWrappedUp`,
    :class:`~ai_protocols.errors.BeingEdited` and what any write may raise."""
    from ai_protocols.session.archive import (
        archive_lock,
        archive_to,
        record,
        refuse_unsafe_archive,
    )

    check_text("reason", reason, one_line=True)
    slugify(reason)
    refuse_missing(project.ai_dir_text, project.path_text)
    refuse_unsafe(project.ai_dir_text, project.path_text)
    refuse_unsafe_archive(project.root_text, project.sessions_dir_text)
    with locked_sessions(project.ai_dir_text, project.path_text,
                         also=(archive_lock(project.sessions_dir_text),)):
        with editing(project.ai_dir_text, project.path_text, now=now, held=True) as edit:
            record_head(edit, project.root_text)
            edit.set_properties(("STATUS", ABANDONED), ("ENDED", edit.stamp),
                                ("DESCRIPTION", reason), ("PAUSED", None), ("PAUSE_NOTE", None))
            edit.note(f"abandon: {preview(reason)}")
            target = archive_to(edit, project.root_text, project.sessions_dir_text)
        record(project.ai_dir_text, project.sessions_dir_text, target)
    return target
