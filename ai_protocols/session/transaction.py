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
mark a file whose end was recorded as active again when this write is not
that record (a write after an exit record is evidence of life), set
``UPDATED`` (and ``UPDATED_AT``, the same moment as a record no time zone or
clock step can mislead, :mod:`ai_protocols.liveness.clock`), and write the
whole file atomically, keeping a copy of it under ``.ai/.locks/live/`` (a
copy of its own with the file's time, never a hard link, which a save in place
writes into too: a session git removes comes back from it, and a stale save is
told from it). An exception in the
body writes nothing. Edits name the session headline by nothing: the
transaction finds it again for each one, so no caller holds a headline made
stale by an earlier edit.

A body may move the session instead
(:meth:`~ai_protocols.session.edit_base.SessionEdit.move_to`: an archive, an adoption):
everything that can fail is written before the file is removed,
and undone on a failure, so that a failed move changes nothing, and a move
killed half way is finished by the next command that opens the file
(:func:`~ai_protocols.session.edit_base.moved_away`), never done twice.

Paths are text (``str``): :func:`editing` and :func:`locked_sessions` take any
``os.PathLike`` too (docs/performance.md: no ``pathlib`` on the hot paths).

The concerns grown around the transaction stand in modules of their own below it
(docs/architecture.md; docs/decisions.md, "Twenty-fifth round: transaction.py split by
concern"); ``merge-kept``, which writes through it, above it.
"""

from __future__ import annotations

import errno
import os

from ai_protocols import errors  # (a write's exceptions by name where caught: first use)
from ai_protocols.errors import (
    AiProtocolsError,
    MergeConflict,
    SessionWrappedUp,
    StorageError,
    UnreadableSession,
)
from ai_protocols.git.head import OPERATION_SAID
from ai_protocols.git.state import git_version
from ai_protocols.lean import datetime, quoted
from ai_protocols.liveness.clock import Moment, now_moment
from ai_protocols.org.emacs_lock import live_emacs_lock
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.paths import join, parent, sibling
from ai_protocols.session import away
from ai_protocols.session.away import (
    drop_tombstone,
    forget,
    keep_left,
    prune_left,
    refuse_missing,
    warn_moved_folder,
)
from ai_protocols.session.carries import (
    carry,
    check_bound,
    drop_carried,
    drop_carried_leftovers,
    drop_earlier,
    drop_unfinished_carries,
    earlier_blocked,
    refuse_undone,
    refuse_unsafe_earlier,
    relink_regained,
    restore_earlier,
    settle_strays,
    uncarry,
    untracked_note,
    way_blocked,
    write_earlier,
)
from ai_protocols.session.edit_base import (
    AsRead,
    SessionEdit,
    Stored,
    make_folder,
    moved_away,
    read_or_none,
    record_superseded,
    remove_empty_history,
    say_not_kept,
    tidy,
    unlink,
    warn,
)
from ai_protocols.session.locks import (
    LockedSessions,
    _kept_copies,
    discard_partial_archives,
    locked_sessions,
    refuse_unsafe,
)
from ai_protocols.session.model import LogEntry
from ai_protocols.session.names import (
    ADOPTED_AWAY,
    earlier_kept_paths,
    kept_path,
    left_path,
    tombstone_path,
)
from ai_protocols.session.pending import PendingEntry, append_pending, pending_path, read_pending
from ai_protocols.session.replaced import put_back, refuse_misplaced, refuse_older, replaced_warning
from ai_protocols.session.rollover import (
    BOUND,
    LEAST,
    linked_earlier,
    sorted_strays,
    unlinked_earlier,
)
from ai_protocols.session.sections import (
    ACTIVE,
    CRASHED,
    ENDED,
    NO_SESSION_HEADLINE,
    SESSION_ID_PROPERTY,
    WRAPPED_UP,
    session_headline,
)
from ai_protocols.session.splice import apply_entry
from ai_protocols.session.stale_over import (
    dropped_or_removed,
    gone_over,
    merged_saves,
    stale_committed,
    stale_over_kept,
)
from ai_protocols.session.stale_saves import (
    REFUSAL_HEAD,
    brought_back,
    drop_refusal_copies,
    stale_earlier,
)
from ai_protocols.session.text import conflict_marker_lines, preview
from ai_protocols.session.unmerged import (
    conflict_sessions,
    refuse_unmerged,
    remerge_advice,
    warn_operation,
)
from ai_protocols.session.wrapped_copy import put_back_refusal, refuse_archived
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    IfEdited = Literal["refuse", "defer"]


__all__ = [
    "ADOPTED_AWAY",
    "Editing",
    "LockedSessions",
    "discard_partial_archives",
    "editing",
    "git_version",
    "locked_sessions",
    "merges_at_write",
    "next_write_merges",
    "open_session",
    "probe",
    "refuse_unsafe",
]


def open_session(ai_dir: str, path: str, *, source: bool = True,
                 closed_ok: bool = False, as_read: AsRead | None = None
                 ) -> tuple[OrgFile, os.stat_result]:
    """The session file at ``path``, read for a change (call holding its lock), and what
    ``fstat`` said of it; with ``closed_ok``, also one a wrap-up closed (to fold what
    waited, before it moves). ``as_read``: the file as read before
    (:class:`~ai_protocols.session.edit_base.AsRead`), whose document is taken when the bytes read
    now are its bytes.

    Raises :class:`~ai_protocols.errors.NoSession` (none there; its subclass
    :class:`~ai_protocols.errors.SessionRemoved` when something else removed it and
    its kept copy is there), :class:`~ai_protocols.errors.SessionWrappedUp` (closed,
    or archived or adopted: ``where`` says to what; also the leftover of a move that
    was done but for removing the file, which is then removed),
    :class:`~ai_protocols.errors.UnreadableSession` (its subclass
    :class:`~ai_protocols.errors.MergeConflict` for a file with conflict markers, and
    its subclass :class:`~ai_protocols.errors.Unmerged` for one git's index holds
    unmerged, :func:`~ai_protocols.session.unmerged.unmerged`),
    :class:`~ai_protocols.errors.UnsafePath` or :class:`~ai_protocols.errors.StorageError`.
    """
    found = storage.read_file(path, same=as_read.data if as_read is not None else None)
    if found is None:
        away._missing(ai_dir, path)
    data, read_as = found
    del found
    if not data:
        raise UnreadableSession(path, "it is empty")
    if as_read is not None and data is as_read.data:  # (the same bytes: decoded, scanned
        doc = as_read.doc                               # and parsed as read, so as now)
        if not source:
            doc.forget_bytes()
    else:
        text = storage.decode(path, data)
        marked = conflict_marker_lines(text)
        if marked:
            sessions = conflict_sessions(ai_dir, path, text)
            raise MergeConflict(path, marked, sessions=sessions,
                                remerge=None if sessions else remerge_advice(path, text=text))
        doc = OrgFile(text, source=data if source else None)
    refuse_unmerged(ai_dir, path)
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    props = headline.properties
    where = moved_away(ai_dir, path, props.get("AGENT_ID") or None,
                       parse_timestamp(props.get("STARTED", "")), read_as,
                       props.get(SESSION_ID_PROPERTY))
    if where is not None:  # moved, but killed before it removed the file: finish that
        forget(ai_dir, path)
        raise SessionWrappedUp(path, where)
    if headline.properties.get("STATUS") == WRAPPED_UP and not closed_ok:
        raise put_back_refusal(ai_dir, path) or SessionWrappedUp(path)
    return doc, read_as


class _Probed(Exception):
    """Ends :func:`probe`'s transaction before anything is written."""


def probe(ai_dir: str, path: str) -> None:
    """Raise what a write to the session file at ``path`` would raise now, writing
    nothing: for a command that makes something else first (``pause``'s checkpoint),
    so that a write bound to fail makes nothing. Raises what :func:`editing` raises on
    entry (:class:`~ai_protocols.errors.NoSession`,
    :class:`~ai_protocols.errors.BeingEdited`,
    :class:`~ai_protocols.errors.UnreadableSession` and its kinds)."""
    try:
        with editing(ai_dir, path):
            raise _Probed
    except _Probed:
        pass


def _fold_pending(edit: SessionEdit, waiting: list[PendingEntry]) -> None:
    """Splice in the entries that waited while Emacs held the file, in order, and
    record the last one folded (``PENDING_FOLDED``: a fold killed before the pending
    file is removed never folds twice)."""
    folded = int(edit.properties.get("PENDING_FOLDED", "0") or 0)
    for entry in waiting:
        if entry.seq > folded:
            apply_entry(edit.doc, edit.line, LogEntry(entry.kind, entry.text, entry.rationale),
                        entry.stamp, folding=True)
            edit.exit_recorded = entry.kind == "exit"
    edit.doc.set_properties(edit.line, [("PENDING_FOLDED",
                                         str(max(folded, *(e.seq for e in waiting))))])


def _revive(edit: SessionEdit) -> None:
    """A write that is not the exit record, to a file whose end was recorded: whoever
    wrote is at work on it (a worker still logging after the process its spawner
    waited for exited), so it is active again. The record (EXIT, EXITED) stays, and a
    Log line says so, once."""
    props = edit.properties
    if props.get("STATUS") in (ENDED, CRASHED) and not edit.exit_recorded and \
            not edit.status_set:
        edit.doc.set_properties(edit.line, [("STATUS", ACTIVE)])
        edit.note(f"active: written to after its end was recorded "
                  f"({preview(props.get('EXIT', '') or 'no exit record')})")


def editing(ai_dir: str, path: str, *, now: datetime | Moment | None = None,
            if_edited: IfEdited = "refuse", held: bool = False, new_text: str | None = None,
            closed_ok: bool = False, first: Callable[[SessionEdit], object] | None = None,
            as_read: AsRead | None = None) -> Editing:
    """Open the session file at ``path`` for one change, and write it when the body
    ends without an exception (see the module's docstring for the steps).

    ``now``: the time of the change (default: now, measured: ``UPDATED_AT`` records
    it; a given local time, or a :class:`~ai_protocols.liveness.clock.Moment` that
    was not measured, removes that record rather than invent one).
    ``if_edited``: while a person holds the file in Emacs, ``"refuse"`` raises
    :class:`~ai_protocols.errors.BeingEdited` before anything is read, ``"defer"``
    lets the body :meth:`~ai_protocols.session.edit_base.SessionEdit.apply` entries that then wait
    in the pending file. ``held``: the caller holds the locks already
    (:func:`locked_sessions`: a change that needs several files' locks takes
    them all there, in one order). ``new_text``: create the file with this text
    instead of reading it (call holding its lock, having seen there is none).
    ``closed_ok``: open a file a wrap-up closed too. ``first``: the change that may
    refuse its input (``log``'s entries: a ``--done`` that matches nothing), made on
    the file as read, after a rollover is planned (in memory) and before it is
    written, so that bad input makes nothing (issue 16, eleventh round); called again
    on the file read again when the rollover cannot be written. ``as_read``: the file
    as the caller read it just before (:class:`~ai_protocols.session.edit_base.AsRead`), taken when
    it is unchanged.

    Raises what :func:`open_session` raises, and
    :class:`~ai_protocols.errors.LockTimeout` or
    :class:`~ai_protocols.errors.BeingEdited`.
    """
    return Editing(os.fspath(ai_dir), os.fspath(path), now, if_edited, held, new_text,
                   closed_ok, first, as_read)


class Editing:
    """What :func:`editing` gives: ``with editing(...) as edit:`` opens the file (taking
    its locks, unless held) on entering the block, and on leaving it writes the file
    only when the block ended without an exception; the locks are released however it
    is left. A class rather than a ``@contextlib.contextmanager``: importing
    :mod:`contextlib` (with :mod:`functools` and :mod:`collections`) costs a tenth of an
    interpreter's start (docs/performance.md)."""

    __slots__ = ("_ai_dir", "_as_read", "_closed_ok", "_copies", "_edit", "_first", "_held",
                 "_if_edited", "_locks", "_movable", "_new_text", "_now", "_path", "_strays",
                 "_waiting")

    def __init__(self, ai_dir: str, path: str, now: datetime | Moment | None,
                 if_edited: IfEdited, held: bool, new_text: str | None,
                 closed_ok: bool, first: Callable[[SessionEdit], object] | None = None,
                 as_read: AsRead | None = None) -> None:
        self._first = first
        self._as_read = as_read  # (given to the first read only: that edit changes it)
        self._ai_dir, self._path, self._now, self._if_edited = ai_dir, path, now, if_edited
        self._held, self._new_text, self._closed_ok = held, new_text, closed_ok
        self._locks: LockedSessions | None = None
        self._edit: SessionEdit | None = None
        self._copies: list[str] = []  # (what a killed rollover left: settle_strays)
        #: The history folder's files no link names, as read (None: not listed yet).
        self._strays: list[str] | None = None
        #: LEAST movable bytes found unparsed in the file as read (way_blocked): the
        #: warning that no rollover moves what holds it is not computed (check_bound).
        self._movable = False
        self._waiting: list[PendingEntry] = []

    def __enter__(self) -> SessionEdit:
        ai_dir, path, new_text = self._ai_dir, self._path, self._new_text
        if not self._held:
            if new_text is None:
                refuse_missing(ai_dir, path)
            locks = locked_sessions(ai_dir, path)
            locks.__enter__()
            self._locks = locks
        try:
            edit, waiting, blocked, replaced = self._open(roll=True)
            if blocked is None and edit.rolled is not None:
                # The earlier entries written first, before the command's change: a
                # failure here (a full disk) leaves the entry to be written unrolled.
                try:
                    edit.rolled_made = write_earlier(ai_dir, edit.rolled)
                except AiProtocolsError as error:  # a full disk, a link raced in
                    blocked = (f"{error} (nothing was moved; the next write tries "
                               "again)")
            if blocked is not None:  # the entries are written all the same, not rolled over
                warn(f"{path} was not rolled over (it stays past {BOUND // 1048576} MiB "
                      f"until it can be): {blocked}")
                if edit.rolled is not None:  # (the plan changed the document: read again;
                    # refused before any plan, it is the file as read, the change made)
                    edit, waiting, _, replaced = self._open(roll=False)
            if replaced is not None and edit.emacs_lock is None:
                said = replaced_warning(path, replaced, ai_dir)
                edit.operation_said = OPERATION_SAID in said
                edit.replaced_said = "reachable from " in said
                warn(said)
        except BaseException:
            self._release()
            raise
        self._edit, self._waiting = edit, waiting
        return edit

    def _open(self, *, roll: bool
              ) -> tuple[SessionEdit, list[PendingEntry], str | None, Stored | None]:
        """The file read (its pending entries folded, a rollover planned when ``roll``
        and it is past the bound), why the planned rollover cannot be written
        (:func:`~ai_protocols.session.carries.earlier_blocked`) or ``None``, and where git holds the
        newer version this write goes over (:func:`~ai_protocols.session.replaced.refuse_older`) or
        ``None``."""
        ai_dir, path, new_text, now = self._ai_dir, self._path, self._new_text, self._now
        emacs = live_emacs_lock(path) if new_text is None else None
        if emacs is not None and self._if_edited == "refuse":
            from ai_protocols.errors import BeingEdited  # (made on first use: errors_write)

            raise BeingEdited(path, emacs.owner)
        read_as = replaced = head = brought = None
        if new_text is None:
            # While Emacs holds the file, the edit is a trial that is never written.
            as_read, self._as_read = self._as_read, None
            doc, read_as = open_session(ai_dir, path, source=emacs is None,
                                        closed_ok=self._closed_ok, as_read=as_read)
            del as_read
            try:
                replaced = refuse_older(ai_dir, path, doc, read_as)
                if replaced is not None and emacs is None:
                    # (an earlier version than this tool's last, saved from a buffer
                    # opened before it after git brought changes: merged back)
                    from ai_protocols.git.head import read_head

                    head = read_head(parent(ai_dir))
                    brought = stale_earlier(ai_dir, path, doc, head) or \
                        stale_committed(ai_dir, path, doc, head, read_as)
                    if brought is not None:
                        doc, replaced = brought[0], None
            except errors.SessionReplaced:
                # (a stale buffer saved over this tool's write after a pull: merged back)
                if emacs is not None:
                    raise
                from ai_protocols.git.head import read_head

                head = read_head(parent(ai_dir))
                brought = stale_over_kept(ai_dir, path, doc, head) or \
                    stale_earlier(ai_dir, path, doc, head) or \
                    stale_committed(ai_dir, path, doc, head, read_as) or \
                    merged_saves(ai_dir, path, doc, head, read_as)
                if brought is None:
                    raise
                doc, replaced = brought[0], None
            refuse_misplaced(ai_dir, path, doc)
            refuse_archived(ai_dir, path, doc, read_as)
            waiting = read_pending(path, kept_path(ai_dir, pending_path(path)))
            # (one listdir, which settle_strays reads at the write: listed once)
            self._strays = unlinked_earlier(ai_dir, path, doc) if emacs is None else None
            regained = refuse_undone(ai_dir, path, doc, self._strays) \
                if self._strays else []
            if emacs is None and replaced is None:
                # (a few reads of git's files: git runs only when HEAD moved since the
                # file's last write; docs/decisions.md, "Issue 14, fifteenth round")
                from ai_protocols.git.head import read_head

                head = read_head(parent(ai_dir))
                again = None if gone_over(brought) else \
                    brought_back(ai_dir, path, doc, head, read_as)
                if again is None and brought is None:
                    # (a stale save committed: HEAD's version is the save; else the kept
                    # copy's changes no commit holds, dropped under a newer record:
                    # twenty-second round; a merge back above kept them)
                    again = stale_committed(ai_dir, path, doc, head, read_as) or \
                        dropped_or_removed(ai_dir, path, doc, head, read_as)
                if again is not None:  # (a second pull's: said with the first, when both)
                    doc = again[0]
                    from ai_protocols.session.stale_said import said_both
                    brought = said_both(brought, again)
        else:
            doc, waiting, regained = OrgFile(new_text), [], []
            self._strays = None  # (listed at the write, as before)
        at = now if isinstance(now, Moment) else now_moment(now)
        edit = SessionEdit(path, doc, at, emacs)
        edit.read_as = read_as
        edit.head_read = head
        if brought is not None:
            edit.brought = brought[1:]
            from ai_protocols.session.stale_said import merged_back_note
            edit.note(merged_back_note(brought[1], brought[2]))
        if new_text is None and replaced is not None and emacs is None:
            what, how = put_back(path, replaced)
            edit.note(f"replaced: git put {what} here ({how}); the "
                      f"one ai-protocols wrote last is in git as blob {replaced.blob[:12]} "
                      f"(git show {replaced.blob[:12]}), reachable from {replaced.where}")
            edit.last_head = replaced.last_head
        if waiting:
            _fold_pending(edit, waiting)
        blocked = None
        if roll and read_as is not None and read_as.st_size > BOUND and emacs is None:
            # (the plan's module only here: a write below the bound loads none of it)
            from ai_protocols.session.rollover_plan import least_movable, most_movable, plan

            # What a rollover killed between its two writes left, told from the file
            # before this plan moves the same entries out of it (settle_strays).
            copies = sorted_strays(ai_dir, path, doc)[1]
            # A way the earlier file cannot take, while the rollover would move entries
            # (LEAST bytes of them found unparsed): said as the plan's, without making it
            # at every write (issue 16, fourteenth round).
            # (least_movable finds no more than most_movable, read first: a file held by
            # what stays is told so without it, and without its regular expression)
            headline = session_headline(doc)
            may = headline is not None and sum(most_movable(doc, headline).values()) >= LEAST
            self._movable = may and least_movable(doc, headline) >= LEAST
            blocked = way_blocked(ai_dir, path) if self._movable else None
            # On the file as read (and folded): the same file plans the same move.
            # (nothing parsed when nothing can move: a file held by what stays)
            moves = blocked is None and may
            edited = _edited_since_kept(ai_dir, path, doc, read_as) if moves else None
            edit.rolled = plan(ai_dir, path, doc, read_as.st_size) if moves else None
            self._copies = [c for c in copies  # (never the very file this plan writes)
                            if edit.rolled is None or os.path.normpath(c) !=
                            os.path.normpath(edit.rolled.path)]
            if edit.rolled is not None:
                try:
                    blocked = earlier_blocked(ai_dir, edit.rolled)
                except AiProtocolsError as error:  # a symbolic link on the rollover's way
                    blocked = str(error)
                if edited:
                    record_superseded(doc, edited)
        if regained and edit.rolled is None:
            # (not when this write rolls over: its plan, made on the file as read, moves
            # those entries (into that very file when the file is as the rollover read
            # it); the strays are then settled at the write, as a killed rollover's)
            edit.doc, edit.relinked = relink_regained(ai_dir, path, edit.doc, regained)
            for earlier in edit.relinked:
                edit.note(f"relinked: {os.path.basename(earlier)}, the earlier-entries file "
                          f"of this session's rollover that this file no longer linked (a "
                          f"version from before the rollover saved over it?); the entries "
                          f"it holds were taken out of this file again")
            self._strays = [s for s in self._strays or [] if s not in edit.relinked]
            self._copies = [c for c in self._copies if c not in edit.relinked]
        if self._first is not None:  # (bad input refused before the rollover is written;
            self._first(edit)        # on the planned file: the moved entries are closed)
        return edit, waiting, blocked, replaced

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._write()
            elif self._edit is not None and self._edit.rolled_made:
                # (the command failed: the earlier file it made, linked from nowhere, goes)
                made = self._edit.rolled_made
                drop_earlier(self._ai_dir, [made])
                for folder in {parent(made), *map(parent, _kept_copies(self._ai_dir, made))}:
                    remove_empty_history(folder)  # (the folders it made, when empty)
        finally:
            self._release()

    def _release(self) -> None:
        locks, self._locks = self._locks, None
        if locks is not None:
            locks.__exit__(None, None, None)

    def _write(self) -> None:
        """The file written (or, while Emacs holds it, the entries kept for later)."""
        ai_dir, path, edit, waiting = self._ai_dir, self._path, self._edit, self._waiting
        assert edit is not None
        doc, at = edit.doc, edit.at
        if edit.emacs_lock is not None:
            if edit.kept:
                edit.pending = _keep(ai_dir, edit, waiting)
            return
        _revive(edit)
        doc.set_properties(edit.line, [("UPDATED", edit.stamp),
                                       ("UPDATED_AT", at.to_property() if at.measured else None)])
        restore_earlier(ai_dir, path, doc)
        drop_carried_leftovers(ai_dir, path)  # (first: they are the archive's, not strays)
        if edit.brought is not None:
            later = "" if edit.brought[1].startswith("HEAD:") else \
                " or before ai-protocols last wrote it"
            from ai_protocols.session.stale_said import said_merged
            warn(f"{path} lacked {said_merged(edit.brought[0], edit.brought[1], True)}"
                  f": a buffer opened before git "
                  f"changed the file (a pull, a merge){later} was saved over it; merged back, with "
                  f"what was typed in it (a Log line says so). In Emacs, revert the buffer "
                  f"(M-x revert-buffer) before editing on, or turn on auto-revert-mode")
        for earlier in edit.relinked:
            warn(f"{earlier} holds a copy of entries of {path} and no link in it named it: "
                  f"{path} held those entries again (a version from before its rollover "
                  f"saved over it, an editor's stale buffer, or an older version of {path} "
                  f"brought back, or a rollover killed before its second write): linked "
                  f"again, and those entries taken out of {path}, so that each is stored "
                  f"once, in {earlier}")
        redundant = settle_strays(ai_dir, path, doc, self._copies, self._strays)
        drop_unfinished_carries(ai_dir, path, doc, always=edit.target != path)
        refuse_unsafe_earlier(ai_dir, path, edit)  # (exit 12 before anything is written)
        if edit.target != path:
            from ai_protocols.session.rollover_plan import relink  # (a move: rare)

            moves, left = relink(ai_dir, doc, path, edit.target, edit.earlier_to)
            for line in left:
                warn(f"the line {quoted(line)} of {path}'s Earlier entries section names no "
                      f"earlier-entries file of this session's: it is left as it is (a "
                      f"relative path made to name the same file from the archive), and "
                      f"what it names is not moved")
            _move(ai_dir, edit, doc.encoded(), moves)
            # (the commit point: what follows tidies up, and a failure there only warns)
            tidy(edit.target, lambda: drop_earlier(ai_dir, redundant))
            tidy(edit.target, lambda: _drop_unlinked_copies(ai_dir, path, doc))
            tidy(edit.target,
                  lambda: warn_moved_folder(ai_dir, path, edit.earlier_to, moves))
            if not edit.operation_said:
                tidy(edit.target, lambda: warn_operation(edit.target))
            tidy(edit.target, lambda: _configure_driver(ai_dir))
            return
        if self._new_text is not None:
            make_folder(parent(path))
        data = doc.encoded()
        say_not_kept(path, kept_path(ai_dir, path),
                      storage.atomic_write(path, data, keep=kept_path(ai_dir, path),
                                          locked=True, keep_link=False, keep_time=True))
        # The commit point: the file is written. What follows tidies up; a failure there
        # warns and never makes the command one that says nothing changed (a retry
        # would write its entries twice): docs/decisions.md, "Issue 14, fourteenth
        # round (merge-kept without a base)".
        size = sum(len(piece) for piece in data)
        # (the bytes read, written: not held while check_bound reads the edited text,
        # which may join a big section's text: issue 16, fifteenth round)
        del data
        doc.forget_bytes()
        check_bound(edit, size, self._movable)
        tidy(path, lambda: drop_earlier(ai_dir, redundant))  # (a killed rollover's)
        if edit.rolled_made:
            made = edit.rolled_made
            tidy(path, lambda: untracked_note(ai_dir, path, made))
        # A session starts again where an old one left (new_text), or a tombstone a
        # failed or killed move left beside the file it never moved: it says nothing now.
        tidy(path, lambda: drop_carried_leftovers(ai_dir, path))
        tidy(path, lambda: drop_tombstone(ai_dir, path))
        kept = kept_path(ai_dir, path)
        if os.path.lexists(kept + REFUSAL_HEAD):  # (a stale save's refusal, settled: one
            tidy(path, lambda: drop_refusal_copies(kept))  # lstat when there is none)
        if waiting:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            tidy(path, lambda: _drop_pending(ai_dir, path))
        if not edit.operation_said:  # (the stash's warning gave one procedure for both)
            tidy(path, lambda: warn_operation(path))
        tidy(path, lambda: _configure_driver(ai_dir))


def _configure_driver(ai_dir: str) -> None:
    """After a write of a session file of the ``.ai`` folder ``ai_dir``: configure the
    merge driver when the clone's local git configuration lacks it, as ``start`` does,
    and say so on stderr (:func:`ai_protocols.git.driver.configure_missing_merge_driver`).
    A fresh clone whose first write is ``log`` or ``checkpoint`` would else let the next
    pull conflict on the file. Costs a read of the configuration file (no git run)
    unless the driver is missing (docs/decisions.md, "Issue 14, sixteenth round (git)")."""
    from ai_protocols.paths import merge_driver_missing

    root = parent(ai_dir)
    if merge_driver_missing(root) is None:
        return
    from ai_protocols.git.driver import configure_missing_merge_driver, driver_configured_note

    config = configure_missing_merge_driver(root)
    if config is not None:
        import sys

        try:
            sys.stderr.write(driver_configured_note(config) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):  # no stderr to say it on
            pass


def _drop_unlinked_copies(ai_dir: str, path: str, doc: OrgFile) -> None:
    """After a move of the session file ``path`` (a wrap-up, an abandon, an adoption;
    ``doc``, its text as moved): remove the kept copies (in the git folder, or under
    ``.ai/.locks/live/``) of the earlier files of its old history folder that the
    session no longer links and that are not in the work tree, when the copy's drawer
    names this session (:func:`~ai_protocols.session.rollover.same_session`): what a
    person deleted together with its link line (docs/decisions.md, "Issue 16,
    thirteenth round"). The move took every file the session links, with their copies;
    a copy a link of the session names (by its file name, from any folder), one of
    another session, one whose drawer says nothing, and one whose file is still there
    stay. A write never gets here with a version older than the tool's last (exit 6),
    so a ``git checkout``/``git clean`` that took a link and its file is refused
    before. Best effort: a copy that cannot be read or removed stays."""
    from ai_protocols.org.file import first_headline_properties
    from ai_protocols.session.earlier_links import is_earlier_name, own_earlier_folder
    from ai_protocols.session.rollover import same_session

    session = session_headline(doc)
    if session is None:
        return
    folder = own_earlier_folder(path)
    try:
        places = {parent(place) for place in earlier_kept_paths(ai_dir, join(folder, "x"))}
    except ValueError:
        return
    named = {os.path.basename(e.path) for e in linked_earlier(doc, path)}
    for place in places:
        try:
            names = os.listdir(place)
        except OSError:
            continue
        for name in names:
            if not is_earlier_name(name) or name in named or \
                    os.path.lexists(join(folder, name)):
                continue
            copy = join(place, name)
            try:
                head = storage.read_regular(copy, 8192)
            except (OSError, storage.NotRegular):
                continue
            props = first_headline_properties(bytes(head).decode("utf-8", "replace"))
            if "SESSION_STARTED" not in props or not same_session(props, session.properties):
                continue
            try:
                unlink(copy)
            except OSError:
                pass


def merges_at_write(ai_dir: str, path: str) -> bool:
    """Whether the next write into the session file ``path`` merges it with its kept
    copy on its own (:func:`~ai_protocols.session.stale_over.stale_over_kept`: a committed version
    put back, then edited, as a stale buffer's save is) rather than refusing it: what the read
    commands then say instead of advising ``merge-kept`` (issue 14, twentieth round).
    ``False`` when the file cannot be read, and when the write refuses it (a stale
    save whose merge back is not clean: :class:`~ai_protocols.errors.StaleSave`, which
    :func:`next_write_merges` raises). Runs git up to three times: call on the
    warning's path only."""
    from ai_protocols.errors import StaleSave

    try:
        return next_write_merges(ai_dir, path) is not None
    except StaleSave:
        return False


def next_write_merges(ai_dir: str, path: str) -> tuple[OrgFile, str, str] | None:
    """What the next write into the session file ``path`` merges back on its own, by
    the very functions the write runs (:meth:`Editing._open`): ``(the merged document,
    what it regains said by kind, where the newer version is)``, or ``None`` when it
    merges nothing (the file is as the tool wrote it, or the write refuses it for
    another reason, or git put an older version back and the write goes into it).
    Raises :class:`~ai_protocols.errors.StaleSave`, as the write would, when the write
    refuses a stale save whose merge back is not clean (its commands merge the three:
    the files they read are written beside the kept copy,
    :func:`~ai_protocols.session.stale_saves._refuse_stale`). For ``status``'s and ``resume``'s
    advice and ``merge-kept``, which say or do what the write does (docs/decisions.md, "Issue 14,
    twentieth round (the base of a stale save's merge)", "twenty-first round (the stale save's
    refusal)"). Runs git only when the file is not the version the tool wrote last (or there is
    none) and ``HEAD`` moved; raises nothing else of its own."""
    from ai_protocols.errors import AiProtocolsError, StaleSave
    from ai_protocols.git.head import read_head

    try:
        data = storage.read_regular(path)
        read_as = os.stat(path, follow_symlinks=False)
        doc = OrgFile(storage.decode(path, data))
    except (OSError, ValueError, storage.NotRegular):
        return None
    head = read_head(parent(ai_dir))
    brought = None
    try:
        replaced = refuse_older(ai_dir, path, doc, read_as)
        if replaced is not None:
            brought = stale_earlier(ai_dir, path, doc, head) or \
                stale_committed(ai_dir, path, doc, head, read_as)
            if brought is None:
                return None  # (the write goes into the version git put back)
    except errors.SessionReplaced:
        brought = stale_over_kept(ai_dir, path, doc, head) or \
            stale_earlier(ai_dir, path, doc, head) or \
            stale_committed(ai_dir, path, doc, head, read_as) or \
            merged_saves(ai_dir, path, doc, head, read_as)
        if brought is None:
            return None  # (the write refuses it)
    except StaleSave:
        raise  # (the write refuses the stale save: its commands, for the caller to say)
    except AiProtocolsError:
        return None
    doc = doc if brought is None else brought[0]
    try:  # (the write's refusals in between; and an older file after a rollover, whose
        # merge the write and merge-kept make otherwise: nothing said here)
        refuse_misplaced(ai_dir, path, doc)
        refuse_archived(ai_dir, path, doc, read_as)
        strays = unlinked_earlier(ai_dir, path, doc)
        if strays and refuse_undone(ai_dir, path, doc, strays):
            return None
        # (then what git brought, on the merged document, as the write does)
        again = None if gone_over(brought) else brought_back(ai_dir, path, doc, head, read_as)
        if again is None and brought is None:
            again = stale_committed(ai_dir, path, doc, head, read_as) or \
                dropped_or_removed(ai_dir, path, doc, head, read_as)
    except StaleSave:
        raise
    except AiProtocolsError:
        return None
    if again is None:
        return brought
    from ai_protocols.session.stale_said import said_both
    return said_both(brought, again)


def _edited_since_kept(ai_dir: str, path: str, doc: OrgFile, read_as: os.stat_result
                       ) -> set[str]:
    """At a rollover: the digests of the entries a person edited
    (:func:`~ai_protocols.session.rollover.edited_digests`) since this tool last wrote
    ``path`` (its kept copy, when another file than the one read: Emacs saves a new
    one), since git's ``HEAD`` (the committed text another clone may have moved out:
    an edit followed by writes that did not roll over), and since each version this
    clone shares with the others it knows of (:func:`_shared_bases`: an edit committed
    here that another clone, not having pulled it, still holds as the old text). One
    more read of the file's size and a ``git show`` per version, once per rollover."""
    from ai_protocols.session.rollover import edited_digests

    found: set[str] = set()
    olds: list[bytes] = []
    kept = kept_path(ai_dir, path)
    try:
        if not storage.same_version(os.stat(kept), read_as):
            data = read_or_none(kept)
            if data is not None:
                olds.append(data)
    except OSError:
        pass
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    for commit in ["HEAD", *_shared_bases(root)]:
        try:
            olds.append(GitRun(["git", "-C", root, "show", f"{commit}:./{below}"],
                               git_env(), None).wait())
        except GitFailed:
            pass
    for data in olds:
        try:
            found |= edited_digests(OrgFile(data.decode("utf-8", "surrogateescape")), doc)
        except AiProtocolsError:
            continue
    return found


#: At most this many remote-tracking branches are looked at for :func:`_shared_bases`.
_MOST_REMOTES = 8


def _shared_bases(root: str) -> list[str]:
    """The commits this clone shares with the others it knows of: the merge base of
    ``HEAD`` with each remote-tracking branch (``refs/remotes/``, the first
    :data:`_MOST_REMOTES`), other than ``HEAD`` itself. Another clone that has not
    pulled this clone's newer commits works from such a version (git-merge-base(1)): an
    entry edited and committed here since is still its old text there, and that clone's
    rollover may move the old text out. One ``for-each-ref`` and a ``merge-base`` per
    branch, at a rollover only; none without a remote."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        refs = GitRun(["git", "-C", root, "for-each-ref", "--format=%(objectname)",
                       "refs/remotes"], git_env(), None).wait().split()
        head = GitRun(["git", "-C", root, "rev-parse", "--verify", "-q", "HEAD"],
                      git_env(), None).wait().strip() if refs else b""
    except GitFailed:
        return []
    bases: list[str] = []
    for ref in sorted(set(refs))[:_MOST_REMOTES]:
        try:
            base = GitRun(["git", "-C", root, "merge-base", "HEAD", ref.decode("ascii")],
                          git_env(), None).wait().strip()
        except (GitFailed, UnicodeDecodeError):
            continue
        if base and base != head and base.decode("ascii") not in bases:
            bases.append(base.decode("ascii"))
    return bases


def _drop_pending(ai_dir: str, path: str) -> None:
    """Remove the pending file of ``path`` and its kept copy: its entries are folded."""
    for pending in (pending_path(path), kept_path(ai_dir, pending_path(path))):
        unlink(pending)


def _move(ai_dir: str, edit: SessionEdit, data: list[bytes | memoryview] | bytes,
          moves: list[tuple[str, str]]) -> None:
    """Write the session to ``edit.target`` and take it away from ``edit.path`` (see
    :meth:`~ai_protocols.session.edit_base.SessionEdit.move_to`), so that a failure at any step
    changes nothing:

    1. check that both folders can be written; write the session, in full, to a
       temporary file beside its target (and, with ``then``, the new session to one
       beside the file): the big writes, where a full disk shows; give the files
       of its earlier entries their names beside the archive (``moves``: hard
       links, removed again on a failure below);
    2. write the tombstone, which says where the session went and which file it
       moved (read only when that file is gone, or is still the very same: below);
    3. give the target its name (undone on any failure below: the archive removed,
       an adopter's file it replaced put back);
    4. remove the file, or put the new session in its place: the move is done;
       the earlier files' old names are removed.

    A kill between 3 and 4 leaves the file and the target both holding the session:
    the next command that opens the file finds the tombstone naming a target that
    holds this very session, and the file unchanged since it was read for the move
    (:func:`~ai_protocols.session.edit_base.moved_away`), so it removes the file and says where the
    session went: the session is never doubled. A failure is reported as the file system refusing
    the file the command moves (the adopter's, for an adoption)."""
    path, target = edit.path, edit.target
    named = path if edit.exclusive else target
    try:
        _move_steps(ai_dir, edit, data, moves)
    except StorageError as error:
        if error.path_text == named:
            raise
        raise StorageError(named, error.error) from error


def _move_steps(ai_dir: str, edit: SessionEdit,
                data: list[bytes | memoryview] | bytes, moves: list[tuple[str, str]]) -> None:
    path, target = edit.path, edit.target
    tomb = tombstone_path(ai_dir, path)
    st = edit.read_as
    assert st is not None and edit.tombstone is not None
    for folder, named in ((parent(path), path), (parent(target), target)):
        if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
            raise StorageError(named, PermissionError(errno.EACCES, "Permission denied"))
    record = (f"{edit.tombstone}\n"
              f"source {' '.join(map(str, storage.identity(st)))}\n").encode()
    make_folder(parent(target))
    written = storage.prepare(target, data, temp_name=edit.temp_name, locked=True,
                              keep=None if edit.exclusive else kept_path(ai_dir, target),
                              keep_link=False, keep_time=True)
    then = None
    carried: list[str] = []
    try:
        if edit.then is not None:
            then = storage.prepare(path, edit.then.encode("utf-8"), keep=kept_path(ai_dir, path),
                                   locked=True, keep_link=False, keep_time=True)
        carried = carry(ai_dir, moves)
        storage.atomic_write(tomb, record, locked=True)
        try:
            _commit_target(edit, written, then)
        except BaseException:
            unlink(tomb)
            raise
    except BaseException:
        uncarry(carried)
        raise
    finally:
        written.discard()
        if then is not None:
            then.discard()
    say_not_kept(target, written.keep, written.keep_error)
    if then is not None:
        say_not_kept(path, then.keep, then.keep_error)
    # (the move is done: what follows tidies up, and a failure there only warns, tidy)
    tidy(target, lambda: drop_carried(ai_dir, moves))
    tidy(target, lambda: _drop_pending(ai_dir, path))
    if then is None and edit.tombstone.startswith("archived "):
        tidy(target, lambda: keep_left(ai_dir, path))
        tidy(target, lambda: prune_left(ai_dir, (tomb, left_path(ai_dir, path))))
    elif then is None:
        tidy(target, lambda: unlink(kept_path(ai_dir, path)))
    else:  # a new session is in the file's place: the tombstone has nothing to say
        tidy(target, lambda: drop_tombstone(ai_dir, path))
    tidy(target, lambda: storage.fsync_dir(parent(path)))


def _commit_target(edit: SessionEdit, written: storage.Prepared,
                   then: storage.Prepared | None) -> None:
    """Steps 3 and 4 of :func:`_move`; step 3 undone when step 4 fails."""
    path, target = edit.path, edit.target
    backup = None
    if not edit.exclusive and os.path.lexists(target):  # the adopter's own (fresh) file
        backup = sibling(target, storage.temporary_name(os.path.basename(target),
                                                        locked=True, second=True))
        try:
            unlink(backup)  # (a killed move's: the target's lock is held)
            os.link(target, backup, follow_symlinks=False)
        except OSError as error:
            raise StorageError(target, error) from error
    try:
        try:
            written.commit(exclusive=edit.exclusive)
        except OSError as error:
            raise StorageError(target, error) from error
        try:
            if then is not None:
                then.commit()
            else:
                os.unlink(path)
        except OSError as error:
            try:
                if backup is not None:
                    os.replace(backup, target)
                    backup = None
                else:
                    os.unlink(target)
            except OSError:
                pass
            raise StorageError(path, error) from error
    finally:
        if backup is not None:
            try:
                os.unlink(backup)
            except OSError:
                pass


def _keep(ai_dir: str, edit: SessionEdit, waiting: list[PendingEntry]) -> str:
    """Append the entries applied while Emacs held the file to its pending file, and
    keep a copy of that (git clean takes the pending file, which is not ignored)."""
    folded = int(edit.properties.get("PENDING_FOLDED", "0") or 0)
    seq = max([folded, *(e.seq for e in waiting)])
    kept = kept_path(ai_dir, pending_path(edit.path))
    written, error = append_pending(edit.path, [
        PendingEntry(seq + n, e.kind, e.text, edit.stamp, e.rationale)
        for n, e in enumerate(edit.kept, start=1)], keep=kept)
    say_not_kept(written, kept, error)
    return written
