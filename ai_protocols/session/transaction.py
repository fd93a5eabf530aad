"""The one way a session file is written: an edit transaction.

Every change to a session-context file, by every command, goes through
:func:`editing`::

    with editing(ai_dir, path, now=now) as edit:
        edit.set_properties(("STATUS", "paused"))
        edit.note("pause: switched to the urgent bug")

which does, in this order and nowhere else: take the file's lock (and any
other the command needs, always in one order), remove the temporary files a
killed writer left, read the file (refusing one that is missing, wrapped up,
unreadable or a symbolic link), fold in the entries that waited while a
person held the file in Emacs, let the body edit the document in memory,
set ``UPDATED``, and write the whole file atomically. An exception in the
body writes nothing. Edits name the session headline by nothing: the
transaction finds it again for each one, so no caller holds a headline
made stale by an earlier edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ai_protocols.errors import BeingEdited, NoSession, SessionWrappedUp, UnreadableSession
from ai_protocols.org.emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import format_timestamp, unescape_inline
from ai_protocols.session.layout import (
    NO_SESSION_HEADLINE,
    WRAPPED_UP,
    append_entry,
    apply_entry,
    log_line,
    property_value,
    read_session,
    session_headline,
)
from ai_protocols.session.model import LogEntry, Session
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.pending import PendingEntry, append_pending, pending_path, read_pending
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from typing import Literal

    IfEdited = Literal["refuse", "defer"]

__all__ = ["SessionEdit", "editing", "locked_sessions", "minute_of"]


def minute_of(now: datetime | None) -> datetime:
    """``now`` (the local time when ``None``) to the minute, as Org's timestamps are."""
    return (now or datetime.now()).replace(second=0, microsecond=0)


@contextlib.contextmanager
def locked_sessions(ai_dir: Path, *paths: Path) -> Iterator[None]:
    """Hold the locks of the session files ``paths``, taken in one order (sorted) by
    every process so that two commands never wait on each other, and remove what
    killed writers left beside each: temporary files of the file, of its pending
    file and of its tombstone, all written under its lock.

    Raises :class:`~ai_protocols.errors.LockTimeout`,
    :class:`~ai_protocols.errors.UnsafePath` or :class:`~ai_protocols.errors.StorageError`.
    """
    with contextlib.ExitStack() as held:
        for path in sorted(set(paths), key=str):
            held.enter_context(storage.locked(ai_dir, path))
        for path in paths:
            storage.discard_partial_writes(path, pending_path(path), tombstone_path(ai_dir, path))
        yield


class SessionEdit:
    """A session file open for one change, as :func:`editing` gives it.

    ``doc`` is the file in memory; ``moment`` the time of the change (to the
    minute) and ``stamp`` it as an Org inactive timestamp. While a person
    holds the file in Emacs (``emacs_lock`` is set, only with
    ``if_edited="defer"``), only :meth:`apply` may be called: the entries wait
    in the pending file, and ``pending`` is its path once the edit is over.
    """

    def __init__(self, path: Path, doc: OrgFile, moment: datetime,
                 emacs_lock: EmacsLock | None) -> None:
        self.path = path
        self.doc = doc
        self.moment = moment
        self.stamp = format_timestamp(moment)
        self.emacs_lock = emacs_lock
        self.pending: Path | None = None
        self.kept: list[LogEntry] = []  # applied while deferred: to the pending file
        self.target = path  # where the file is written: another path after move_to()
        self.tombstone: str | None = None

    @property
    def line(self) -> int:
        """The line index of the session headline, as the document is now."""
        headline = session_headline(self.doc)
        assert headline is not None  # the transaction opened only a file that has one
        return headline.line

    @property
    def properties(self) -> dict[str, str]:
        """The session headline's properties (keys upper-case), as the document is now,
        read back as text (the escapes of :meth:`set_properties` undone)."""
        return {key: unescape_inline(value)
                for key, value in self.doc.find(self.line).properties.items()}

    def session(self) -> Session:
        """The session as the document now reads (``path`` is where it is written)."""
        return read_session(self.target, self.doc.text)

    def _writable(self) -> None:
        if self.emacs_lock is not None:
            raise AssertionError("only apply() may be called while Emacs holds the file")

    def set_properties(self, *values: tuple[str, str | None]) -> None:
        """Set each ``(KEY, value)`` in the session headline's drawer, in order; a
        ``None`` value removes the key. Only the lines of those keys change. Values
        are text (:func:`~ai_protocols.session.layout.property_value`), read back as
        given."""
        self._writable()
        self.doc.set_properties(self.line, [
            (key, None if value is None else property_value(value)) for key, value in values])

    def note(self, text: str) -> None:
        """Append ``- <stamp> text`` to the Log section (``text``: one line without
        control characters, for instance from :func:`ai_protocols.session.text.preview`;
        it is made inert there, :func:`~ai_protocols.session.layout.log_line`)."""
        self._writable()
        append_entry(self.doc, self.line, "log", [log_line(self.stamp, text)])

    def apply(self, entry: LogEntry, *, folding: bool = False) -> str:
        """Splice ``entry`` in (see :func:`ai_protocols.session.layout.apply_entry`);
        return the line the Log section gets for it. Raises
        :class:`~ai_protocols.errors.ItemNotFound` or
        :class:`~ai_protocols.errors.AmbiguousItem` for a ``done`` that matches no
        single open item, checked against the file even while the entry must wait."""
        said = apply_entry(self.doc, self.line, entry, self.stamp, folding=folding)
        if self.emacs_lock is not None:
            self.kept.append(entry)
        return said

    def move_to(self, target: Path, tombstone: str) -> None:
        """Write the file to ``target`` instead, then remove it from where it was,
        leaving ``tombstone`` (one line: where it went) for late writers there.
        Call holding ``target``'s lock too (``locked_sessions(ai_dir, path, target)``),
        having checked that no person holds ``target`` in Emacs."""
        self._writable()
        self.target = target
        self.tombstone = tombstone


def open_session(ai_dir: Path, path: Path, *, source: bool = True,
                 closed_ok: bool = False) -> OrgFile:
    """The session file at ``path``, read for a change (call holding its lock); with
    ``closed_ok``, also one a wrap-up closed (to fold what waited, before it moves).

    Raises :class:`~ai_protocols.errors.NoSession` (none there),
    :class:`~ai_protocols.errors.SessionWrappedUp` (closed, or archived: ``where``
    says to what), :class:`~ai_protocols.errors.UnreadableSession`,
    :class:`~ai_protocols.errors.UnsafePath` or :class:`~ai_protocols.errors.StorageError`.
    """
    data = storage.read_bytes(path)
    if data is None:
        gone = storage.read_bytes(tombstone_path(ai_dir, path))
        if gone is not None:
            raise SessionWrappedUp(path, gone.decode("utf-8", "replace").strip())
        raise NoSession(path)
    if not data:
        raise UnreadableSession(path, "it is empty")
    doc = OrgFile(storage.decode(path, data), source=data if source else None)
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    if headline.properties.get("STATUS") == WRAPPED_UP and not closed_ok:
        raise SessionWrappedUp(path)
    return doc


def refuse_if_edited(path: Path) -> None:
    """:class:`~ai_protocols.errors.BeingEdited` while a person has unsaved changes to
    ``path`` in Emacs: moving a file away under their buffer would make their save
    bring it back, so wrap-up and recover wait until they have saved."""
    emacs = live_emacs_lock(path)
    if emacs is not None:
        raise BeingEdited(path, emacs.owner)


def _fold_pending(edit: SessionEdit, waiting: list[PendingEntry]) -> None:
    """Splice in the entries that waited while Emacs held the file, in order, and
    record the last one folded (``PENDING_FOLDED``: a fold killed before the pending
    file is removed never folds twice)."""
    folded = int(edit.properties.get("PENDING_FOLDED", "0") or 0)
    for entry in waiting:
        if entry.seq > folded:
            apply_entry(edit.doc, edit.line, LogEntry(entry.kind, entry.text, entry.rationale),
                        entry.stamp, folding=True)
    edit.doc.set_properties(edit.line, [("PENDING_FOLDED",
                                         str(max(folded, *(e.seq for e in waiting))))])


@contextlib.contextmanager
def editing(ai_dir: Path, path: Path, *, now: datetime | None = None,
            if_edited: IfEdited = "refuse", held: bool = False, new_text: str | None = None,
            closed_ok: bool = False) -> Iterator[SessionEdit]:
    """Open the session file at ``path`` for one change, and write it when the body
    ends without an exception (see the module's docstring for the steps).

    ``now``: the time of the change (default: now, to the minute).
    ``if_edited``: while a person holds the file in Emacs, ``"refuse"`` raises
    :class:`~ai_protocols.errors.BeingEdited` before anything is read, ``"defer"``
    lets the body :meth:`~SessionEdit.apply` entries that then wait in the
    pending file. ``held``: the caller holds the locks already
    (:func:`locked_sessions`: a change that needs several files' locks takes
    them all there, in one order). ``new_text``: create the file with this text
    instead of reading it (call holding its lock, having seen there is none).
    ``closed_ok``: open a file a wrap-up closed too.

    Raises what :func:`open_session` raises, and
    :class:`~ai_protocols.errors.LockTimeout` or
    :class:`~ai_protocols.errors.BeingEdited`.
    """
    with contextlib.ExitStack() as stack:
        if not held:
            stack.enter_context(locked_sessions(ai_dir, path))
        emacs = live_emacs_lock(path) if new_text is None else None
        if emacs is not None and if_edited == "refuse":
            raise BeingEdited(path, emacs.owner)
        if new_text is None:
            # While Emacs holds the file, the edit is a trial that is never written.
            doc = open_session(ai_dir, path, source=emacs is None, closed_ok=closed_ok)
            waiting = read_pending(path)
        else:
            doc, waiting = OrgFile(new_text), []
        edit = SessionEdit(path, doc, minute_of(now), emacs)
        if waiting:
            _fold_pending(edit, waiting)
        yield edit
        if emacs is not None:
            if edit.kept:
                edit.pending = _keep(edit, waiting)
            return
        doc.set_properties(edit.line, [("UPDATED", edit.stamp)])
        if edit.target != path or new_text is not None:
            edit.target.parent.mkdir(parents=True, exist_ok=True)
        storage.atomic_write(edit.target, doc.encoded())
        if new_text is not None:  # a session starts again where an old one left
            tombstone_path(ai_dir, path).unlink(missing_ok=True)
        if waiting:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            pending_path(path).unlink(missing_ok=True)
        if edit.tombstone is not None:
            storage.atomic_write(tombstone_path(ai_dir, path), f"{edit.tombstone}\n".encode())
            pending_path(path).unlink(missing_ok=True)
            path.unlink()
            storage.fsync_dir(path.parent)


def _keep(edit: SessionEdit, waiting: list[PendingEntry]) -> Path:
    """Append the entries applied while Emacs held the file to its pending file."""
    folded = int(edit.properties.get("PENDING_FOLDED", "0") or 0)
    seq = max([folded, *(e.seq for e in waiting)])
    return append_pending(edit.path, [
        PendingEntry(seq + n, e.kind, e.text, edit.stamp, e.rationale)
        for n, e in enumerate(edit.kept, start=1)])
