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

from ai_protocols.git.head import branch_text, read_head
from ai_protocols.lean import datetime
from ai_protocols.liveness.clock import Moment
from ai_protocols.liveness.evidence import Owner, owner_property
from ai_protocols.liveness.host import hostname
from ai_protocols.session.away import refuse_missing
from ai_protocols.session.edit_base import SessionEdit
from ai_protocols.session.model import Session
from ai_protocols.session.sections import ABANDONED, ACTIVE, PAUSED
from ai_protocols.session.text import check_text, note_text, preview, slugify
from ai_protocols.session.transaction import editing, locked_sessions, refuse_unsafe

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.session.project import Project

__all__ = ["abandon", "pause", "record_head", "resume_paused"]


def record_head(edit: SessionEdit, root: str) -> tuple[str, str | None] | None:
    """In an edit transaction: set ``GIT_BRANCH`` and ``GIT_COMMIT`` to what the work
    tree around ``root`` has checked out, when either changed (a detached ``HEAD``
    removes ``GIT_BRANCH``; before the first commit there is no ``GIT_COMMIT``).
    Nothing when ``root`` is in no work tree whose ``HEAD`` can be read from its files,
    or while a person holds the file in Emacs (the entries wait; the next write
    records it).

    When ``HEAD`` moved away from what was recorded (another branch than the one
    recorded, a detached ``HEAD`` to a branch or back, even at the same commit: issue
    14, thirteenth round, one rule for every such change; or a commit that neither
    descends from the one recorded nor holds its work: :func:`ai_protocols.git.state.
    work_of`, the one rule ``resume`` follows too, eighteenth round), a
    ``moved:`` Log line keeps where it was, and that line's text is returned with a
    note (else ``None``): the recorded place is the evidence ``resume``'s "rolled
    back" warning reads, and is never overwritten without a record. The note, ``None``
    unless the commit moved from is still in this clone, off ``HEAD``'s line, and the
    work tree holds every change of it uncommitted (``git reset HEAD~1``:
    :func:`ai_protocols.git.history.uncommitted_here`), says so. git runs only when the
    commit changed on the same branch. When the write goes
    into an older version than the one written last (``git stash``, a checkout put it
    back: :attr:`~ai_protocols.session.edit_base.SessionEdit.last_head`), the place
    moved from is that last write's record, not the older file's."""
    if edit.emacs_lock is not None:
        return None
    head = edit.head_read or read_head(root)  # (read once per write, by the transaction)
    if head is None:
        return None
    props = edit.properties
    branch, commit = branch_text(head[0]), head[1]  # (a name not UTF-8: its \xNN form)
    old_branch, old_commit = props.get("GIT_BRANCH") or None, props.get("GIT_COMMIT") or None
    if (old_branch, old_commit) == (branch, commit):
        return None
    if edit.last_head is not None:  # (an older version put back: the last write's record)
        old_branch, old_commit = edit.last_head
        if (old_branch, old_commit) == (branch, commit):
            edit.set_properties(("GIT_BRANCH", branch), ("GIT_COMMIT", commit))
            return None
    moved = None
    note = None
    if old_commit:
        if old_branch != branch or commit is None:  # (a detached HEAD to a branch too)
            moved = True
        elif old_commit != commit:
            from ai_protocols.git.history import uncommitted_here, work_of

            where = work_of(root, old_commit, commit, head[0])
            moved = where not in ("descends", "carried")
            if where in ("behind", "aside") and uncommitted_here(root, old_commit, commit):
                note = (f"the work of {old_commit[:12]} is uncommitted here: every change "
                        "of it is in the work tree (a git reset kept it); commit it to "
                        "carry on")
    edit.set_properties(("GIT_BRANCH", branch), ("GIT_COMMIT", commit))
    if not moved:
        return None

    def place(name: str | None, at: str | None) -> str:
        return (f"branch {name}" if name else "a detached HEAD") + \
            (f" at {at}" if at else " before its first commit")

    line = f"moved: from {place(old_branch, old_commit)} to {place(branch, commit)}"
    edit.note(line)
    return line, note


def pause(project: Project, note: str | None = None,
          now: datetime | Moment | None = None, *, brief: bool = False) -> Session:
    """Mark the caller's session paused (see the module), with ``note`` (one line: why,
    or what to do first on resuming; blank lines around it dropped,
    :func:`~ai_protocols.session.text.note_text`); pausing a paused session records the new note.
    Returns the session as written; with ``brief``, read brief
    (:func:`~ai_protocols.session.reading.read_session`: for a caller that needs its
    properties, not the entries of a big file). Raises :class:`~ai_protocols.errors.InvalidText`
    (a note that is empty or not one line), :class:`~ai_protocols.errors.NoSession`,
    :class:`~ai_protocols.errors.SessionWrappedUp`,
    :class:`~ai_protocols.errors.BeingEdited` and what any write may raise."""
    if note is not None:
        note = check_text("note", note_text(note), one_line=True)
    with editing(project.ai_dir_text, project.path_text, now=now) as edit:
        edit.set_properties(("STATUS", PAUSED), ("PAUSED", edit.stamp), ("PAUSE_NOTE", note))
        record_head(edit, project.root_text)
        edit.note(f"pause: {preview(note)}" if note else "pause: paused")
    return edit.session(brief=brief)


def resume_paused(project: Project, owner: Owner | None, session: Session,
                  now: datetime | Moment | None = None, *, brief: bool = False) -> Session:
    """The caller's own session is paused (``session``, as read): carry it on, with the
    caller as its owner (``owner``; ``None``: no process stands for it, none recorded).
    Call holding the file's lock. Returns the session as written; with ``brief``, read
    brief (:func:`~ai_protocols.session.reading.read_session`)."""
    when = f"{session.paused:%Y-%m-%d %H:%M}" if session.paused else "?"
    with editing(project.ai_dir_text, project.path_text, now=now, held=True) as edit:
        edit.set_properties(("STATUS", ACTIVE), ("OWNER", owner_property(owner)),
                            ("HOST", hostname()), ("PAUSED", None), ("PAUSE_NOTE", None),
                            ("EXIT", None), ("EXITED", None), ("EXIT_BY", None))
        record_head(edit, project.root_text)
        note = f" ({preview(session.pause_note)})" if session.pause_note else ""
        edit.note(f"resumed: after a pause at {when}{note}")
    return edit.session(brief=brief)


def abandon(project: Project, reason: str, now: datetime | Moment | None = None) -> str:
    """Close the caller's session as abandoned, ``reason`` (one line; blank lines around
    it dropped, :func:`~ai_protocols.session.text.note_text`) kept as its
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

    reason = check_text("reason", note_text(reason), one_line=True)
    slugify(reason, "reason")
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
