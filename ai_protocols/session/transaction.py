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

A body may move the session instead (:meth:`SessionEdit.move_to`: an archive,
an adoption): everything that can fail is written before the file is removed,
and undone on a failure, so that a failed move changes nothing, and a move
killed half way is finished by the next command that opens the file
(:func:`moved_away`), never done twice.

Paths are text (``str``): :func:`editing` and :func:`locked_sessions` take any
``os.PathLike`` too (docs/performance.md: no ``pathlib`` on the hot paths).
"""

from __future__ import annotations

import errno
import os
import stat

from ai_protocols.errors import (
    AiProtocolsError,
    BeingEdited,
    ItemNotFound,
    MergeConflict,
    NoSession,
    OtherSession,
    RolloverUndone,
    SessionCarried,
    SessionRemoved,
    SessionReplaced,
    SessionWrappedUp,
    StorageError,
    Unmerged,
    UnreadableSession,
    UnsafePath,
    carry_left,
)
from ai_protocols.git.head import OPERATION_SAID
from ai_protocols.lean import counted, datetime, quoted, shell_quote, timedelta
from ai_protocols.liveness.clock import Moment, now_moment
from ai_protocols.org.emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import (
    entry_lines,
    format_timestamp,
    parse_timestamp,
    strip_ending,
    unescape_inline,
)
from ai_protocols.paths import CONTEXT_DIR, DEFAULT_CONTEXT, join, parent, safe_id, sibling
from ai_protocols.session.cause import (
    OLDER,
    committed_by,
    git_version,
    head_put_back,
    stash_untracked,
    wrapped_cause,
)
from ai_protocols.session.layout import (
    ACTIVE,
    CRASHED,
    ENDED,
    NO_SESSION_HEADLINE,
    SESSION_ID_PROPERTY,
    WRAPPED_UP,
    append_entry,
    apply_entry,
    head_of,
    log_line,
    one_session,
    other_session,
    property_value,
    read_session,
    same_session_id,
    session_headline,
    session_named,
)
from ai_protocols.session.locks import (
    _ARCHIVE_NAMES,
    LockedSessions,
    _kept_copies,
    discard_partial_archives,
    last_written,
    locked_sessions,
    moved_may_be,
    refuse_unsafe,
)
from ai_protocols.session.model import Compared, LogEntry, Session
from ai_protocols.session.names import (
    ADOPTED_AWAY,
    earlier_kept_paths,
    kept_path,
    left_path,
    start_command,
    tombstone_path,
)
from ai_protocols.session.pending import PendingEntry, append_pending, pending_path, read_pending
from ai_protocols.session.rollover import (
    BOUND,
    LEAST,
    Planned,
    held_by,
    held_entries,
    history_folder,
    is_ours,
    least_movable,
    link_again,
    linked_earlier,
    most_movable,
    named_as_ours,
    plan,
    relink,
    sorted_strays,
    superseded_edits,
    unlinked_earlier,
)
from ai_protocols.session.stale_commit import older_record
from ai_protocols.session.text import conflict_marker_lines, preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Literal, NoReturn

    from ai_protocols.session.merge import MergeResult

    IfEdited = Literal["refuse", "defer"]

__all__ = [
    "ADOPTED_AWAY",
    "Editing",
    "LockedSessions",
    "SessionEdit",
    "adopted_away",
    "brought_lacking",
    "copy_loses",
    "discard_partial_archives",
    "drop_adopted_leftovers",
    "editing",
    "forget",
    "git_version",
    "kept_at_start",
    "kept_in_git",
    "lacking",
    "links_into_moved",
    "locked_sessions",
    "merge_kept",
    "minute_of",
    "missing_earlier",
    "missing_earlier_advice",
    "moved_away",
    "moved_elsewhere",
    "moved_where",
    "operation_warning",
    "probe",
    "put_back_refusal",
    "put_copy_back",
    "refuse_put_back",
    "refuse_unsafe",
    "settle",
    "stash_back",
    "stash_moved",
    "stashed_in",
    "stashed_newer",
    "unmerged",
    "unmerged_others",
    "unmerged_warning",
    "untracked_earlier",
    "warn",
    "written_later",
]


def minute_of(now: datetime | Moment | None) -> datetime:
    """``now`` (the local time when ``None``) to the minute, as Org's timestamps are."""
    if isinstance(now, Moment):
        return now.minute
    return (now or datetime.now()).replace(second=0, microsecond=0)


class SessionEdit:
    """A session file open for one change, as :func:`editing` gives it.

    ``doc`` is the file in memory; ``moment`` the time of the change (to the
    minute, local) and ``stamp`` it as an Org inactive timestamp; ``at`` the same
    moment as :class:`~ai_protocols.liveness.clock.Moment`. ``exit_recorded``: the
    last entry applied was a spawner's (or a hook's) exit record. While a person
    holds the file in Emacs (``emacs_lock`` is set, only with
    ``if_edited="defer"``), only :meth:`apply` may be called: the entries wait
    in the pending file, and ``pending`` is its path once the edit is over.
    """

    def __init__(self, path: str, doc: OrgFile, at: Moment,
                 emacs_lock: EmacsLock | None) -> None:
        self.path = path
        self.doc = doc
        self.at = at
        self.moment = at.minute
        self.stamp = format_timestamp(self.moment)
        self.exit_recorded = False
        self.status_set = False  # the body set STATUS itself (a wrap-up, a recovery)
        self.emacs_lock = emacs_lock
        self.pending: str | None = None
        self.kept: list[LogEntry] = []  # applied while deferred: to the pending file
        self.target = path  # where the file is written: another path after move_to()
        self.tombstone: str | None = None
        self.exclusive = False  # the target must not exist yet (an archive)
        self.temp_name: str | None = None  # of the target's temporary file
        self.then: str | None = None  # the text of a new session to take the file's place
        self.read_as: os.stat_result | None = None  # the file as it was read
        self.rolled: Planned | None = None  # older entries to move out (session.rollover)
        self.rolled_made: str | None = None  # the earlier file this write made for them
        self.earlier_to: str | None = None  # where a move takes the earlier-entries files
        #: Set when this write left the file past the bound and no later write moves
        #: entries out of it: what holds it there (:func:`~ai_protocols.session.rollover.held_by`).
        self.over_bound: str | None = None
        #: Set when this write's warning of a stash gave the procedure of the git
        #: operation under way too (:func:`stash_back`): it is not given twice.
        self.operation_said = False
        #: Set when this write warned that it goes into an older version than the one
        #: written last, reachable from a branch or tag (:func:`_replaced_warning` names
        #: it: HEAD left it): the ``moved:`` Log line is still written, its warning not
        #: given a second time.
        self.replaced_said = False
        #: When the write goes into an older version than the one written last: where
        #: that one recorded ``HEAD`` (:attr:`_Stored.last_head`), for ``record_head``.
        self.last_head: tuple[str | None, str | None] | None = None
        #: The earlier-entries files this write links again, their entries taken out of
        #: the file (:func:`_relink_regained`): said on stderr when it is written.
        self.relinked: list[str] = []
        #: ``HEAD`` as read for this write (:func:`ai_protocols.git.head.read_head`), for
        #: ``record_head``; ``None`` when not read (or outside git).
        self.head_read: tuple[str | None, str | None] | None = None
        #: What git brought that a stale save dropped, merged back, said by kind, and
        #: where the version holding it is (:func:`_brought_back`): said on stderr.
        self.brought: tuple[str, str] | None = None

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

    def session(self, *, brief: bool = False) -> Session:
        """The session as the document now reads (``path`` is where it is written); with
        ``brief``, read brief (:func:`~ai_protocols.session.layout.read_session`), from
        the document itself (its text is not joined and parsed again)."""
        return read_session(self.target, self.doc, brief=brief)

    def _writable(self) -> None:
        if self.emacs_lock is not None:
            raise AssertionError("only apply() may be called while Emacs holds the file")

    def set_properties(self, *values: tuple[str, str | None]) -> None:
        """Set each ``(KEY, value)`` in the session headline's drawer, in order; a
        ``None`` value removes the key. Only the lines of those keys change. Values
        are text (:func:`~ai_protocols.session.layout.property_value`), read back as
        given."""
        self._writable()
        self.status_set |= any(key.upper() == "STATUS" for key, _ in values)
        self.doc.set_properties(self.line, [
            (key, None if value is None else property_value(value)) for key, value in values])

    def note(self, text: str) -> None:
        """Append ``- <stamp> text`` to the Log section (``text``: one line without
        control characters, for instance from :func:`ai_protocols.session.text.preview`;
        it is made inert there, :func:`~ai_protocols.session.layout.log_line`)."""
        self._writable()
        append_entry(self.doc, self.line, "log", [log_line(self.stamp, text)])

    def note_block(self, text: str) -> None:
        """Append ``text`` (any text, of several lines too) to the Log section as one
        entry stamped now, as an entry's text is written
        (:func:`~ai_protocols.org.syntax.entry_lines`: inline and made inert when it
        fits one line, else an example block), every character kept."""
        self._writable()
        append_entry(self.doc, self.line, "log", entry_lines(self.stamp, text))

    def apply(self, entry: LogEntry, *, folding: bool = False) -> str:
        """Splice ``entry`` in (see :func:`ai_protocols.session.layout.apply_entry`);
        return the line the Log section gets for it. Raises
        :class:`~ai_protocols.errors.ItemNotFound` or
        :class:`~ai_protocols.errors.AmbiguousItem` for a ``done`` that matches no
        single open item, checked against the file even while the entry must wait."""
        said = apply_entry(self.doc, self.line, entry, self.stamp, folding=folding)
        self.exit_recorded = entry.kind == "exit"
        if self.emacs_lock is not None:
            self.kept.append(entry)
        return said

    def apply_all(self, entries: Sequence[LogEntry]) -> list[str]:
        """:meth:`apply` each of ``entries`` in order; the lines the Log gets. A
        ``--done`` that matches nothing after other entries of the call raises
        :class:`~ai_protocols.errors.ItemNotFound` counting the open items of the file
        as it is (and stays: nothing is written), not those the call's own refused
        entries would have added (issue 16, eleventh round): the file is read again
        for that, on that error path only."""
        said: list[str] = []
        for at, entry in enumerate(entries):
            try:
                said.append(self.apply(entry))
            except ItemNotFound as error:
                if at == 0:
                    raise
                text = storage.read_regular(self.path).decode("utf-8", "replace")
                try:  # (the same entry on the file as read: the count it holds)
                    apply_entry(OrgFile(text), self.line, entry, self.stamp)
                except ItemNotFound as as_read:
                    raise as_read from None
                raise error from None
        return said

    def move_to(self, target: str, tombstone: str, *, exclusive: bool = False,
                temp_name: str | None = None, then: str | None = None,
                earlier_to: str | None = None) -> None:
        """Write the file to ``target`` instead, then remove it from where it was,
        leaving ``tombstone`` (one line: where it went) for late writers there; with
        ``then``, a new session file of that text takes its place instead (``start``
        after an interrupted wrap-up). ``exclusive``: ``target`` must not exist yet.
        ``earlier_to``: the folder the files of its earlier entries go to (an
        archive's); else they stay where they are, and the links to them are made
        relative to ``target``.
        Call holding ``target``'s lock too (``locked_sessions(ai_dir, path, target)``),
        having checked that no person holds ``target`` in Emacs.

        Nothing visible changes until everything that can fail is done (see
        :func:`editing`): a failure leaves both files as they were."""
        self._writable()
        self.target = os.fspath(target)
        self.tombstone = tombstone
        self.exclusive = exclusive
        self.temp_name = temp_name
        self.then = then
        self.earlier_to = earlier_to


class AsRead:
    """A session file as a reader read it, for the edit that follows (:func:`editing`'s
    ``as_read``; the SessionStart hook's ``start``, then its record): ``data``, the bytes
    read, and ``doc``, the :class:`OrgFile` parsed from ``text``, their decoding (here:
    the one place a document is made to be spliced), read only until the edit.
    The edit reads the file again under its lock and takes ``doc`` only when what it
    reads is ``data`` byte for byte (a person's save, another command's write in between
    is read and parsed as always): no second decode, conflict scan and parse of the
    same bytes. The edit changes ``doc``: it is given to one edit."""

    __slots__ = ("data", "doc")

    def __init__(self, data: bytes, text: str) -> None:
        self.data, self.doc = data, OrgFile(text, source=data)


def open_session(ai_dir: str, path: str, *, source: bool = True,
                 closed_ok: bool = False, as_read: AsRead | None = None
                 ) -> tuple[OrgFile, os.stat_result]:
    """The session file at ``path``, read for a change (call holding its lock), and what
    ``fstat`` said of it; with ``closed_ok``, also one a wrap-up closed (to fold what
    waited, before it moves). ``as_read``: the file as read before (:class:`AsRead`),
    whose document is taken when the bytes read now are its bytes.

    Raises :class:`~ai_protocols.errors.NoSession` (none there; its subclass
    :class:`~ai_protocols.errors.SessionRemoved` when something else removed it and
    its kept copy is there), :class:`~ai_protocols.errors.SessionWrappedUp` (closed,
    or archived or adopted: ``where`` says to what; also the leftover of a move that
    was done but for removing the file, which is then removed),
    :class:`~ai_protocols.errors.UnreadableSession` (its subclass
    :class:`~ai_protocols.errors.MergeConflict` for a file with conflict markers, and
    its subclass :class:`~ai_protocols.errors.Unmerged` for one git's index holds
    unmerged, :func:`unmerged`), :class:`~ai_protocols.errors.UnsafePath` or
    :class:`~ai_protocols.errors.StorageError`.
    """
    found = storage.read_file(path, same=as_read.data if as_read is not None else None)
    if found is None:
        _missing(ai_dir, path)
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
    _refuse_unmerged(ai_dir, path)
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


def conflict_sides(text: str) -> tuple[str, str]:
    """The two sides of a file holding git's conflict markers (of seven characters, as
    git writes them by default): the lines outside the conflicts, with each conflict's
    first part (``<<<<<<<`` to ``|||||||`` or ``=======``: git's ``--ours``, stage 2)
    for the one, its last part (``=======`` to ``>>>>>>>``: ``--theirs``, stage 3) for
    the other (git-merge-file(1)). No I/O."""
    one: list[str] = []
    two: list[str] = []
    part = 0  # 0 outside, 1 the first side, 2 the common ancestor's, 3 the second side
    for line in text.splitlines(keepends=True):
        mark = line[:8].rstrip("\r\n")
        if mark.startswith("<<<<<<<") and mark[7:8] in ("", " "):
            part = 1
        elif part and mark.startswith("|||||||") and mark[7:8] in ("", " "):
            part = 2
        elif part and mark.rstrip() == "=======":
            part = 3
        elif part and mark.startswith(">>>>>>>") and mark[7:8] in ("", " "):
            part = 0
        else:
            if part in (0, 1):
                one.append(line)
            if part in (0, 3):
                two.append(line)
    return "".join(one), "".join(two)


def conflict_sessions(ai_dir: str, path: str, text: str) -> str | None:
    """When the two sides of the conflict markers in the session file at ``path``
    (``text``, :func:`conflict_sides`) are two sessions
    (:func:`~ai_protocols.session.layout.other_session`: an add/add conflict of two clones
    that each started one, or one clone's wrap-up and new session met by the other's
    entries), what each is and how to keep both: never merged into one. A side whose
    session an archive here holds (:func:`archive_of`: wrapped up in the other clone) is
    said to go there, the other kept live; else one is kept here and the other given a
    file of its own. ``None`` when they may be one session's versions. On a refusal's
    path only."""
    sides = conflict_sides(text)
    heads = [session_headline(OrgFile(side)) for side in sides]
    if heads[0] is None or heads[1] is None:
        return None
    ours, theirs = heads[0].properties, heads[1].properties
    if other_session(ours, theirs, lambda: sides) is None:
        return None
    file = shell_quote(path)
    rel = path[len(parent(ai_dir)) + 1:] if path.startswith(parent(ai_dir) + "/") else path
    said = (f"the side git calls ours (<<<<<<<, git checkout --ours) holds {session_named(ours)}, "
            f"the side it calls theirs (>>>>>>>) {session_named(theirs)}; merging them "
            "line by line (or keeping what each side logged) would make one session of two: "
            "keep each whole")
    for gone, flag, stage in ((ours, "--theirs", 2), (theirs, "--ours", 3)):
        archive = archive_of(ai_dir, gone)
        if archive is None:
            continue
        bring = (f"bring what this clone logged to the wrapped-up one into its archive "
                 f"(ai-protocols merge-kept {file}), which merges the copy ai-protocols "
                 f"kept of it into the archive") if stage == 2 else \
            (f"add to that archive by hand what the other side logged to the wrapped-up "
             f"session (git show :{stage}:{shell_quote(rel)}, from the project's root)")
        one, other = ("ours", "theirs") if stage == 2 else ("theirs", "ours")
        return (f"{said}; {one} was wrapped up (its archive {archive} is here) and "
                f"{other} began after it: keep {other} live "
                f"(git checkout {flag} -- {file} && git add {file}), then {bring}, and "
                f"commit")
    return (f"{said}: keep one here (git checkout --ours -- {file}) or (git checkout "
            f"--theirs -- {file}) and give the "
            f"other a file of its own, from the project's root: as another agent's session "
            f"(git show :3:{shell_quote(rel)} > .ai/session-context.d/NAME.org, or :2: for "
            f"ours; that agent then runs with AI_AGENT_ID=NAME), or let the clone where it "
            f"runs wrap it up first (ai-protocols wrap-up); then git add the files and "
            f"commit")


def moved_away(ai_dir: str, path: str, agent_id: str | None, started: datetime | None,
               read_as: os.stat_result, session_id: str | None = None) -> str | None:
    """Where the session in ``path`` went, when ``path`` is what a move left: its
    tombstone says where (``archived to T``, ``adopted by P``) and which file it
    moved (device, inode, size and mtime), that very file is still at ``path``
    (``read_as``; its session's ``agent_id``, ``started`` and ``session_id``), and the
    place it names holds this session (the same AGENT_ID, or ADOPTED_FROM, and STARTED;
    the same SESSION_ID or none on both sides,
    :func:`~ai_protocols.session.layout.same_session_id`). Else
    ``None``: no tombstone, or one a failed or killed move left before it was done."""
    tomb = tombstone_path(ai_dir, path)
    if not os.path.lexists(tomb):
        return None
    try:
        lines = storage.read_regular(tomb, 4096).decode("utf-8", "replace").split("\n")
        moved = tuple(int(n) for n in lines[1].split()[1:5])
    except (OSError, ValueError, IndexError):
        return None
    here = storage.identity(read_as)
    if not lines[1].startswith("source ") or moved != here:
        return None
    where = lines[0].strip()
    how, _, place = where.partition(" to " if where.startswith("archived") else " by ")
    try:
        found = storage.read_bytes(place) if place else None
    except AiProtocolsError:
        found = None
    headline = session_headline(OrgFile(found.decode("utf-8", "replace"))) if found else None
    if headline is None:
        return None
    there = headline.properties
    same = parse_timestamp(there.get("STARTED", "")) == started
    if how == "adopted":
        same = same and there.get("ADOPTED_FROM") == (agent_id or str(path))
    else:
        same = same and (there.get("AGENT_ID") or None) == agent_id
    same = same and same_session_id(session_id, there.get(SESSION_ID_PROPERTY))
    return where if same else None


def moved_where(ai_dir: str, path: str) -> str | None:
    """What the tombstone of ``path`` says (its first line: ``archived to T``...), or
    ``None`` when there is none, or when what stands at its name is no file the tool
    wrote (a folder, a FIFO): not a note of a move, and never a reason to refuse a
    write (the write's tidy-up warns of it, :func:`_tidy`)."""
    try:
        gone = storage.read_bytes(tombstone_path(ai_dir, path))
    except UnreadableSession:
        return None
    return None if gone is None else gone.decode("utf-8", "replace").split("\n")[0].strip()


def adopted_away(ai_dir: str, path: str) -> str | None:
    """When the tombstone of ``path`` says another agent adopted its session (``recover
    --adopt``, :mod:`ai_protocols.session.recovery`): ``adopted by X at T: it carries on
    in P`` (``X`` the adopter's ``AGENT_ID``, read from its file ``P``; ``T`` when the
    tombstone was written, local time to the minute), for the agent that comes back to
    find its file gone; ``None`` otherwise (no tombstone, or an archive's)."""
    where = moved_where(ai_dir, path)
    if where is None or not where.startswith("adopted by "):
        return None
    place = where[len("adopted by "):]
    try:
        when = datetime.fromtimestamp(os.stat(tombstone_path(ai_dir, path)).st_mtime)
    except OSError:
        return None
    props = _head_properties(place)
    who = (props or {}).get("AGENT_ID") or "another agent"
    still = f"it carries on in {place}" if props else \
        f"it carried on in {place}, which is gone now (wrapped up? ai-protocols list)"
    return f"adopted by {who} at {when:%Y-%m-%d %H:%M}: {still}"


def _head_properties(path: str) -> dict[str, str] | None:
    """The session headline's properties of the file at ``path`` (its first 64 KiB),
    ``None`` when it cannot be read or has none."""
    try:
        with open(path, "rb") as source:
            data = source.read(65536)
    except OSError:
        return None
    return _props_of(data)


def _abandoned(where: str) -> str:
    """A tombstone's ``archived to T``, as ``abandoned, archived to T`` when the archive
    ``T`` is of a session abandoned (``ai-protocols abandon``): said as such."""
    if where.startswith("archived to "):
        props = _head_properties(where[len("archived to "):])
        if props and props.get("STATUS") == "abandoned":
            return f"abandoned, {where}"
    return where


def moved_elsewhere(ai_dir: str, path: str) -> str | None:
    """Where another clone moved the session of ``path`` (gone, its kept copy here), as
    a merge brought the move in: ``archived to A (in another clone)`` when an archive
    under ``.ai/sessions/`` holds the kept copy's session (a wrap-up or an abandon:
    :func:`~ai_protocols.session.layout.one_session`, the ``SESSION_ID`` too, or none on both
    sides), ``adopted by F (in another clone)`` when a live session file has its
    ``STARTED`` (and ``SESSION_ID``, or none on both sides) and an ``ADOPTED_FROM``; ``None``
    otherwise (removed by something else: ``git clean``, ``git stash -u``, or ``merge-kept``
    of another session's version put back over it)."""
    kept = _head_properties(kept_path(ai_dir, path))
    if not kept or not kept.get("STARTED"):
        return None
    key = (kept.get("AGENT_ID") or None, kept["STARTED"])
    archive = _archive_holding(ai_dir, kept)
    if archive is not None:
        return f"{archive} (in another clone)"
    folder = os.path.join(ai_dir, "session-context.d")
    try:
        live = [os.path.join(folder, n) for n in sorted(os.listdir(folder))
                if n.endswith(".org") and not n.startswith(".")]
    except OSError:
        live = []
    for other in [os.path.join(ai_dir, "session-context.org"), *live]:
        props = _head_properties(other) if other != path else None
        if props and props.get("ADOPTED_FROM") and props.get("STARTED") == key[1] and \
                one_session({**props, "AGENT_ID": ""}, {**kept, "AGENT_ID": ""}):
            return f"adopted by {other} (in another clone)"
    return None


def kept_at_start(ai_dir: str, path: str) -> tuple[str | None, bytes | None]:
    """What ``start`` does with the kept copy of the session file ``path`` (gone, the
    copy there): ``(where its session went, None)`` when it drops the copy (an archive
    holds its session and every entry of it, or git's history that very version, or
    another clone adopted it: :func:`moved_elsewhere`, :func:`kept_in_git`); ``(where,
    the copy's bytes)`` when the archive lacks some of its entries: put back as a file
    of its own, which ``start`` then refuses (exit 7); ``(None, None)`` when no archive
    or adoption holds its session: brought back as it is. The one rule of
    :meth:`~ai_protocols.session.project.Project._bring_back` and of what ``merge-kept``
    says ``start`` will do. Raises :class:`~ai_protocols.errors.StorageError` when the
    copy cannot be read."""
    where = moved_elsewhere(ai_dir, path)
    if where is None:
        return None, None
    kept = kept_path(ai_dir, path)
    try:
        copy = storage.read_regular(kept)
    except (OSError, storage.NotRegular) as error:
        raise StorageError(kept, error) from None
    archive = where.partition(" to ")[2].removesuffix(" (in another clone)")
    if not archive or archive_lacks(archive, copy, path)[0] == 0 or \
            kept_in_git(path, kept):  # (adopted: not an archive)
        return where, None
    return where, copy


def archive_of(ai_dir: str, props: dict[str, str]) -> str | None:
    """The path of the newest archive under ``.ai/sessions/`` that holds the session whose
    headline properties are ``props``: the same ``AGENT_ID`` and ``STARTED``, and the
    same ``SESSION_ID`` when both hold one (:data:`~ai_protocols.session.layout.IDENTITY`:
    the session was wrapped up, here or in another clone whose archive a merge brought).
    Only archives named at or after the session's start are read (their names begin with
    the minute of the wrap-up, :func:`~ai_protocols.session.names.name_time`), each its
    first headline's drawer; ``None`` when none holds it. On a refusal's path only."""
    from ai_protocols.session.names import name_time

    started = parse_timestamp(props.get("STARTED", ""))
    if started is None:
        return None
    sessions = os.path.join(ai_dir, "sessions")
    try:
        names = sorted(os.listdir(sessions), reverse=True)  # (newest first)
    except OSError:
        return None
    for name in names:
        if not name.endswith(".org") or name.startswith("."):
            continue
        at = name_time(name)
        if at is not None and at < started.replace(second=0, microsecond=0) - _A_DAY:
            break  # (named before the session began, give or take a zone)
        there = _head_properties(os.path.join(sessions, name))
        if there and one_session(there, props):
            return os.path.join(sessions, name)
    return None


#: How far an archive's name (UTC) may be before its session's ``STARTED`` (local time).
_A_DAY = timedelta(days=1)


def _archive_holding(ai_dir: str, session: dict[str, str]) -> str | None:
    """``archived to A`` (``abandoned, archived to A``) for the newest archive ``A`` under
    ``.ai/sessions/`` that holds the session whose headline properties are ``session``
    (:func:`~ai_protocols.session.layout.one_session`); ``None`` when none is."""
    sessions = os.path.join(ai_dir, "sessions")
    try:
        names = sorted(os.listdir(sessions), reverse=True)  # (newest first)
    except OSError:
        names = []
    for name in names:
        if name.endswith(".org") and not name.startswith("."):
            props = _head_properties(os.path.join(sessions, name))
            if props and one_session(props, session):
                said = "abandoned, archived" if props.get("STATUS") == "abandoned" \
                    else "archived"
                return f"{said} to {os.path.join(sessions, name)}"
    return None


def settle(ai_dir: str, path: str) -> str | None:
    """When the file at ``path`` is what a move left (:func:`moved_away`), remove it and
    what goes with it, and return where its session went. Call holding its lock.
    Without the move's tombstone (:func:`~ai_protocols.session.locks.moved_may_be`:
    every start's case) one ``lstat``, the file not read."""
    if not moved_may_be(ai_dir, path):
        return None
    try:
        found = storage.read_file(path)
    except AiProtocolsError:
        return None
    if found is None:
        return None
    headline = session_headline(OrgFile(found[0].decode("utf-8", "replace")))
    if headline is None:
        return None
    props = headline.properties
    where = moved_away(ai_dir, path, props.get("AGENT_ID") or None,
                       parse_timestamp(props.get("STARTED", "")), found[1],
                       props.get(SESSION_ID_PROPERTY))
    if where is not None:
        forget(ai_dir, path)
    return where


def kept_in_git(path: str, kept: str) -> bool:
    """Whether a commit reachable from a ref (a branch, a tag, the stash; a reflog
    alone does not count) holds the kept copy ``kept`` of the session file at ``path``
    byte for byte (:func:`_stored_in_git`): its entries are in git's history, not in
    that copy alone. Runs git up to four times: on a rare path only."""
    stored = _stored_in_git(path, kept)
    return stored is not None and not stored.reflog_only


def put_copy_back(path: str, data: bytes, like: os.stat_result | None = None) -> None:
    """Make the session file ``path``, absent, with the bytes ``data`` (its kept copy's),
    as a file of its own: atomically, never over a file there (``StorageError``). What
    ``start`` does with a kept copy
    (:meth:`~ai_protocols.session.project.Project._bring_back`). ``like``: the kept
    copy's ``stat``, whose modification time the file is given, so that it is that
    version (:func:`~ai_protocols.storage.files.same_version`; a copy, never a hard
    link, which a save in place would write into too). Call holding its lock. Raises
    ``OSError`` when the time cannot be set."""
    storage.atomic_write(path, data, exclusive=True, locked=True)
    if like is not None:
        os.utime(path, ns=(like.st_atime_ns, like.st_mtime_ns))


def forget(ai_dir: str, path: str) -> None:
    """Remove what a session that left ``path`` leaves behind: the file (a move's
    leftover), its pending file (folded into where it went) and its kept copy, and
    the earlier-entries files the archive holds too (:func:`drop_carried_leftovers`)."""
    drop_carried_leftovers(ai_dir, path)
    for gone in (path, pending_path(path), kept_path(ai_dir, path),
                 kept_path(ai_dir, pending_path(path))):
        try:
            os.unlink(gone)
        except FileNotFoundError:
            pass
    try:
        storage.fsync_dir(parent(path))
    except OSError:
        pass


def _missing(ai_dir: str, path: str) -> NoReturn:
    """Raise what a command finds when the session file ``path`` is not there: where it
    went (its tombstone: :class:`~ai_protocols.errors.SessionWrappedUp`), else, when a
    copy of it is kept (something other than this tool removed it),
    :class:`~ai_protocols.errors.SessionRemoved`, or when the newest stash entry holds it
    (``git stash -a`` takes the kept copy with it), else
    :class:`~ai_protocols.errors.NoSession`."""
    where = moved_where(ai_dir, path)
    if where is not None:
        raise SessionWrappedUp(path, _abandoned(where))
    kept = kept_path(ai_dir, path)
    if os.path.lexists(kept):
        carried = carried_away(ai_dir, path)
        if carried is not None:
            raise carried
        where = moved_elsewhere(ai_dir, path)
        if where is not None:
            raise SessionWrappedUp(path, where)
        stash = stashed_in(path)
        raise SessionRemoved(path, kept, stash,
                             switched_from(path, kept) if stash is None or carry_left(path)
                             else None,
                             start_command(path))
    stash = stashed_in(path)  # (git stash -a took the kept copy too; no process without one)
    if stash is not None:
        raise SessionRemoved(path, kept, stash, start=start_command(path))
    raise NoSession(path)


def switched_from(path: str, kept: str) -> tuple[str, str, str] | None:
    """When the session file ``path`` is gone because ``HEAD`` left the branch it is
    committed on (``git switch``, ``git checkout -b NEW OLD``: git removes a tracked file
    the new commit lacks, git-checkout(1)): ``(branch, here, top)``, the branch its
    kept copy ``kept`` records (``GIT_BRANCH``) whose tip holds the file, where ``HEAD``
    is now (a branch, or "a detached HEAD"), and the project's folder (the work tree's
    top, or the folder below it that holds ``.ai/``), where ``git switch BRANCH`` brings
    the file back and ``ai-protocols`` finds it. ``None`` otherwise: no such branch
    recorded, ``HEAD`` on it, the branch not holding the file, or checked out in another work tree
    (:func:`~ai_protocols.git.state.checked_out_at`: ``git switch`` refuses it there, so
    ``start`` brings the file back; issue 14, nineteenth round). Reads the kept copy's
    first lines and git's files; git runs (``git cat-file -e``, then ``git worktree
    list``) only when the branches differ."""
    from ai_protocols.git.head import branch_text, read_head

    try:
        head = storage.read_regular(kept, 8192).decode("utf-8", "replace")
    except (OSError, storage.NotRegular):
        return None
    import re

    found = re.search(r"^[ \t]*:GIT_BRANCH:[ \t]+(\S.*?)[ \t]*$", head, re.MULTILINE)
    folder = parent(path)
    while not os.path.isdir(folder) and parent(folder) != folder:
        folder = parent(folder)
    now = read_head(folder)
    if found is None or now is None or branch_text(now[0]) == found.group(1):
        return None
    branch = found.group(1)
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        top = GitRun(["git", "-C", folder, "rev-parse", "--show-toplevel"], git_env(),
                     None).wait().decode("utf-8", "surrogateescape").strip()
        name = os.path.relpath(path, top).replace(os.sep, "/")
        GitRun(["git", "-C", top, "cat-file", "-e", f"refs/heads/{branch}:{name}"],
               git_env(), None).wait()
    except (GitFailed, ValueError):
        return None
    from ai_protocols.git.state import checked_out_at

    if checked_out_at(top, branch) is not None:  # (git switch refuses it here: start it is)
        return None
    here = f"branch {branch_text(now[0])}" if now[0] is not None else "a detached HEAD"
    from ai_protocols.paths import project_of

    # (the project's folder, not the top: git runs anywhere in the work tree, and
    # ai-protocols finds the session there after a cd; issue 14, twenty-first round)
    folder = project_of(path)
    return branch, here, folder if folder.startswith(top.rstrip(os.sep) + os.sep) else top


def stashed_in(path: str) -> str | None:
    """The top of the work tree whose newest stash entry holds the session file ``path``
    (gone from the work tree: ``git stash -u`` took it, untracked, its third parent; or
    tracked, its own tree), so that ``git stash pop`` there brings it back; ``None``
    otherwise. No process without a stash (:func:`ai_protocols.git.head.has_stash`);
    else up to three git runs, on the way to an error only."""
    from ai_protocols.git.head import has_stash

    folder = parent(path)
    probe = folder
    while not os.path.isdir(probe) and parent(probe) != probe:
        probe = parent(probe)  # (the folder itself may be gone with the file)
    if not has_stash(probe):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        top = GitRun(["git", "-C", probe, "rev-parse", "--show-toplevel"], git_env(),
                     None).wait().decode("utf-8", "surrogateescape").strip()
    except GitFailed:
        return None
    if not top:
        return None
    relative = os.path.relpath(path, top)
    for ref in ("refs/stash^3", "refs/stash"):
        try:
            GitRun(["git", "-C", top, "rev-parse", "-q", "--verify", f"{ref}:{relative}"],
                   git_env(), None).wait()
        except GitFailed:
            continue
        return top
    return None


def refuse_missing(ai_dir: str, path: str) -> None:
    """Raise what :func:`open_session` would for a session file that is not there, before
    any lock is taken: a command that fails for want of a session creates nothing (no
    ``.ai/.locks/``, no ``.ai/``). One that appears meanwhile is found under the lock."""
    if not os.path.lexists(path):
        storage.refuse_symlinks(parent(ai_dir), path)  # as the lock would have said first
        _missing(ai_dir, path)


def _refuse_older(ai_dir: str, path: str, doc: OrgFile,
                  read_as: os.stat_result | None) -> _Stored | None:
    """:class:`~ai_protocols.errors.SessionReplaced` when the file is not the version
    this tool last wrote (another version than its kept copy,
    :func:`~ai_protocols.storage.files.same_version`), that version
    was written later than the file's (``UPDATED_AT``, else ``UPDATED``), and git does
    not hold it: an older one was put back, and a write would lose what the newer one
    holds. When git holds it (a branch switch or a reset put a committed version
    back), the write goes on, and where git holds it is returned (:class:`_Stored`) for
    the Log and the warning to name. ``None`` otherwise. A person's save in Emacs
    makes a new inode too, but keeps its time: it passes. Raised too when git holds it
    but put nothing back (:func:`_saved_over_commit`: an editor's stale save over the
    tool's write committed since), so that the stale-save merge backs of
    :meth:`Editing._open` take it, as over an uncommitted write."""
    kept = kept_path(ai_dir, path)
    try:
        st = os.stat(kept, follow_symlinks=False)
    except OSError:  # (no kept copy: git clean -fdx, a fresh clone; the stash may tell)
        return stashed_newer(path, doc) if read_as is not None else None
    if read_as is None or storage.same_version(st, read_as):
        return None
    if stat.S_ISLNK(st.st_mode):  # (the record of a carry to another work tree)
        carried = carried_refusal(path, kept)
        if carried is not None:
            raise carried
        return None
    try:
        head = storage.read_regular(kept, 65536).decode("utf-8", "replace")
    except (OSError, storage.NotRegular):
        return None
    headline = session_headline(OrgFile(head[: head.rfind("\n") + 1]))
    mine = session_headline(doc)
    if headline is None or mine is None:
        return
    stored = _refuse_other(ai_dir, path, kept, mine.properties, headline.properties,
                           _texts(doc, kept), replaced_ok=True)
    if stored is not None:
        return stored
    if written_later(*((h.properties.get("UPDATED_AT"),
                        parse_timestamp(h.properties.get("UPDATED", "")))
                       for h in (headline, mine))):
        try:
            newer = storage.read_regular(kept)
        except (OSError, storage.NotRegular):
            newer = None
        if newer is not None and committed_by(path, newer) is not None:
            return None  # (a commit made here holds the file: a person's choice, committed)
        stored = _stored_in_git(path, kept)
        if stored is None or stored.reflog_only or \
                _saved_over_commit(ai_dir, path, doc, stored.blob):
            lacking, loses, said = _lacking(ai_dir, path, kept, doc)
            cause = head_put_back(path, headline.properties.get("GIT_BRANCH") or None,
                                  newer)[1]
            from ai_protocols.git.head import has_stash

            raise SessionReplaced(path, kept, stored.blob if stored is not None else None,
                                  lacking, loses=loses, said=said, cause=cause,
                                  stash=has_stash(parent(path)))
        stored.last_head = (headline.properties.get("GIT_BRANCH") or None,
                            headline.properties.get("GIT_COMMIT") or None)
        return stored
    return None


def _saved_over_commit(ai_dir: str, path: str, doc: OrgFile, blob: str) -> bool:
    """Whether the session file ``path`` (read as ``doc``), older than its kept copy
    while a commit holds that copy (as ``blob``, :class:`_Stored`), is an editor's stale
    save over the tool's write, not a version git put back: ``HEAD``'s version of the
    file is the kept copy itself (the tool's write committed as it was: a checkout or a
    reset writes ``HEAD``'s version, which the file is not; a merge's result holds what
    git brought too, and is left to the rules of a pull) and the file is no version
    committed as it is (:func:`opened_on` gives another: something was typed in it, or
    the version it was opened on was never committed; ``git checkout OLD -- FILE`` puts
    a committed version back, which stands). docs/decisions.md, "Twenty-third round:
    stale saves over a committed write ...". Runs git up to three times, only when the
    file is older than its kept copy and git holds that copy; raises nothing of its
    own."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    try:
        head = GitRun(["git", "-C", root, "rev-parse", "--verify", "-q",
                       f"HEAD:./{os.path.relpath(path, root)}"], git_env(), None).wait()
    except (GitFailed, OSError):
        return False
    if head.decode("ascii", "replace").strip() != blob:
        return False  # (HEAD's version is another: git put the file here, or merged)
    data = b"".join(doc.encoded())
    return opened_on(path, data, b"", None) != data


def carried_refusal(path: str, kept: str) -> SessionCarried | None:
    """When the kept copy ``kept`` of the session file ``path`` is a symbolic link to
    an absolute path of a file there (the record the carry advice of
    :func:`ai_protocols.session.resume.replaced_warning` leaves: issue 14, nineteenth
    round, "work elsewhere"): :class:`~ai_protocols.errors.SessionCarried`, naming the
    work tree it went to (the link's path less ``path``'s own below its work tree's top,
    :func:`~ai_protocols.paths.git_dirs`), and whether what it names is gone (that work
    tree removed or moved, the session there wrapped up: said so, and a write here is
    refused until the record is removed; issue 14, twentieth round: it was taken for no
    record, and the write went on with no word); ``None`` otherwise (no link, or a
    relative one: no record of ours). When what it names is gone because ``git
    worktree move`` took that work tree elsewhere, where its file is now
    (:func:`~ai_protocols.git.state.moved_worktree`: the refusal names it, with the
    ``ln -sf`` that brings the record up to date and the ``cd`` there). One
    ``readlink``, one ``stat`` (and one git run when the file there is gone): call
    when the kept copy is not the file (a rare path)."""
    try:
        dest = os.readlink(kept)
    except OSError:
        return None
    if not os.path.isabs(dest):
        return None
    from ai_protocols.paths import git_dirs, relative_to

    dirs = git_dirs(parent(path))
    below = relative_to(path, dirs[0]) if dirs else os.path.basename(path)
    there = dest[:-len(below) - 1] if dest.endswith(os.sep + below) else parent(dest)
    gone = not os.path.isfile(dest)
    moved = None
    # (the project's folder there, where the cd goes: a project below the top of its
    # work tree has its .ai/ there; issue 14, twenty-first round)
    from ai_protocols.paths import project_of, same_place

    root = project_of(path)
    moved_folder = None
    if gone and dest.endswith(os.sep + below):  # (git worktree move: git knows where)
        from ai_protocols.git.state import moved_worktree

        top = moved_worktree(parent(path), there)
        if top is not None and os.path.isfile(os.path.join(top, below)):
            moved = (top, os.path.join(top, below))
            moved_folder = same_place(root, top)
    return SessionCarried(path, dest, there, kept, gone=gone, here=os.path.lexists(path),
                          moved=moved, folder=same_place(root, there),
                          moved_folder=moved_folder)


def carried_away(ai_dir: str, path: str) -> SessionCarried | None:
    """When the session file ``path`` is gone and its kept copy's place is the record of
    a carry (the file itself moved to another work tree, the kept copy made a link to it:
    the carry advice's plain route; issue 14, twentieth round: nothing here said where
    the session went, and ``start`` began a second one): :func:`carried_refusal`'s
    error, which every command that finds the file gone raises or says (``log``,
    ``show``, ``resume``, ``status``, ``start``); ``None`` otherwise. One ``lstat``, and
    a ``readlink`` and a ``stat`` when it is a link: call when the file is gone."""
    kept = kept_path(ai_dir, path)
    if not os.path.islink(kept):
        return None
    return carried_refusal(path, kept)


def stashed_newer(path: str, doc: OrgFile) -> _Stored | None:
    """Where there is no kept copy to compare with (``git clean -fdx`` took it after a
    plain ``git stash``; a fresh clone): the newest stash entry's version of the session
    file ``path`` (its tracked files, else its untracked ones, ``refs/stash^3``,
    git-stash(1)), as a :class:`_Stored` only in the stash, when it is the same session
    (the same ``SESSION_ID``) and was written later than the file (:func:`written_later`);
    ``None`` otherwise (issue 14, thirteenth round: the write into the older version
    warned, as with a kept copy). No process without a stash
    (:func:`ai_protocols.git.head.has_stash`, a ``stat`` or two); else two or three git
    runs, once: the write makes the kept copy."""
    from ai_protocols.git.head import has_stash

    folder = parent(path)
    mine = session_headline(doc)
    if mine is None or not mine.properties.get(SESSION_ID_PROPERTY) or \
            not has_stash(folder):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    name = "./" + os.path.basename(path)
    for ref in ("refs/stash", "refs/stash^3"):
        try:
            blob = GitRun(["git", "-C", folder, "rev-parse", "-q", "--verify",
                           f"{ref}:{name}"], git_env(), None).wait().decode("ascii").strip()
            data = GitRun(["git", "-C", folder, "cat-file", "blob", blob], git_env(),
                          None).wait()
        except (GitFailed, UnicodeDecodeError):
            continue
        headline = head_of(data)
        if headline is None or headline.properties.get(SESSION_ID_PROPERTY) != \
                mine.properties.get(SESSION_ID_PROPERTY):
            return None
        if not written_later(*((h.properties.get("UPDATED_AT"),
                                parse_timestamp(h.properties.get("UPDATED", "")))
                               for h in (headline, mine))):
            return None
        stored = _Stored(blob, "the stash (git stash list)", True)
        stored.last_head = (headline.properties.get("GIT_BRANCH") or None,
                            headline.properties.get("GIT_COMMIT") or None)
        return stored
    return None


def _refuse_other(ai_dir: str, path: str, kept: str, file: dict[str, str],
                  mine: dict[str, str], texts: Callable[[], tuple[str, str]], *,
                  replaced_ok: bool = False) -> _Stored | None:
    """:class:`~ai_protocols.errors.OtherSession` when the session file at ``path``
    (its headline's properties ``file``) is another session than its kept copy at
    ``kept`` (``mine``): :func:`~ai_protocols.session.layout.other_session`, the one
    rule; ``texts`` gives the two files' texts, read only when their objectives or
    titles differ. A few string comparisons otherwise. When an archive holds the kept
    copy's session (:func:`archive_of`: it was wrapped up in another clone, and a pull
    brought that and a new session), the error names it (``archived``): the way is to
    bring the kept copy's entries into that archive (``merge-kept``), not to put the
    wrapped-up session back over the new one. When another live session file holds the
    kept copy's session (the same ``SESSION_ID``: :func:`own_file_of`, a merge gave it a
    file of its own), the error names it (``moved``): carry on there, never put it back
    here (issue 14, thirteenth round). Else, with ``replaced_ok``, when git holds the
    kept copy in a commit a branch, a tag or the stash reaches (:func:`_stored_in_git`:
    a branch switch to a branch with its own session), nothing is at risk: where git
    holds it is returned and the write goes on, as for an older version of one session
    (docs/git.md, "replaced"); ``None`` when the two are one session."""
    why = other_session(file, mine, texts)
    if why is None:
        return None
    refuse_put_back(ai_dir, path)  # (the file's session is archived: exit 7, one rule)
    archived = archive_of(ai_dir, mine)
    moved = own_file_of(ai_dir, path, mine) if archived is None else None
    if moved is not None:
        raise OtherSession(path, kept, why, session_named(mine), session_named(file),
                           moved=moved, moved_lacks=_kept_lacks(kept, moved),
                           moved_kept=None if os.path.lexists(kept_path(ai_dir, moved))
                           else kept_path(ai_dir, moved))
    if replaced_ok and archived is None:
        stored = _stored_in_git(path, kept)
        if stored is not None and not stored.reflog_only:
            stored.last_head = (mine.get("GIT_BRANCH") or None, mine.get("GIT_COMMIT") or None)
            stored.other = True
            return stored
    raise OtherSession(path, kept, why, session_named(mine), session_named(file),
                       archived=archived)


def other_session_elsewhere(ai_dir: str, path: str, kept: str, file: dict[str, str],
                            mine: dict[str, str],
                            texts: Callable[[], tuple[str, str]]) -> str | None:
    """For the read commands' warning (``resume``, ``status``, ``show``), the writes' own
    rule (:func:`_refuse_other`) when the session file at ``path`` (headline properties
    ``file``) is another session than its kept copy at ``kept`` (``mine``) and that
    session lives on elsewhere: in a file of its own (the refusal's reason, naming it),
    or in a commit git keeps (a branch switch: the warning the write gives, "this
    branch's session now"). ``None`` otherwise (the caller says what it says). Runs git
    (:func:`_stored_in_git`) only for another session."""
    try:
        stored = _refuse_other(ai_dir, path, kept, file, mine, texts, replaced_ok=True)
    except OtherSession as error:
        return error.reason if error.moved is not None else None
    except SessionWrappedUp as error:  # (an archived session put back over this one)
        return error.message
    return None if stored is None else _replaced_warning(path, stored, ai_dir)


def own_file_of(ai_dir: str, path: str, props: dict[str, str]) -> str | None:
    """Another live session file than ``path`` (``.ai/session-context.org`` or an agent's
    ``.ai/session-context.d/<id>.org``) whose session headline holds the ``SESSION_ID``
    of ``props`` (random, written once by ``start``: the same session): a merge gave the
    session a file of its own (docs/git.md). ``None`` when ``props`` hold no
    ``SESSION_ID`` or no such file is there. Reads each file's first 64 KiB; on a
    refusal's path only."""
    wanted = props.get(SESSION_ID_PROPERTY)
    if not wanted:
        return None
    ai_dir = ai_dir.rstrip("/")
    folder = join(ai_dir, CONTEXT_DIR)
    try:
        names = sorted(n for n in os.listdir(folder)
                       if n.endswith(".org") and not n.startswith("."))
    except OSError:
        names = []
    for candidate in [join(ai_dir, DEFAULT_CONTEXT)] + [join(folder, n) for n in names]:
        if os.path.normpath(candidate) == os.path.normpath(path):
            continue
        there = _head_properties(candidate)
        if there and there.get(SESSION_ID_PROPERTY) == wanted:
            return candidate
    return None


def _kept_lacks(kept: str, moved: str) -> int:
    """How many entries the kept copy at ``kept`` holds that the session file ``moved``
    lacks (:func:`ai_protocols.session.merge.entries_lacking`); -1 when either cannot be
    read as a session."""
    from ai_protocols.session.merge import entries_lacking

    try:
        return entries_lacking(storage.read_regular(moved), storage.read_regular(kept))
    except (OSError, storage.NotRegular):
        return -1


def _refuse_archived(ai_dir: str, path: str, doc: OrgFile,
                     read_as: os.stat_result | None) -> None:
    """:class:`~ai_protocols.errors.SessionWrappedUp` when the session file at ``path``
    (read as ``doc``, ``read_as``), which is not the version this tool wrote last (its
    kept copy is gone, as a wrap-up leaves it, or another inode), holds a session an
    archive under ``.ai/sessions/`` holds (:func:`archived_copy`: a git checkout or a
    copy put a wrapped-up session back): a write would bring it back, and the next
    wrap-up would archive its entries a second time. The error says whether the file
    holds anything the archive lacks (:func:`archive_lacks`). The file is written into
    as usual (no check) while it is its kept copy."""
    if read_as is None:
        return
    try:
        st = os.stat(kept_path(ai_dir, path), follow_symlinks=False)
        if storage.same_version(st, read_as):
            return
    except OSError:
        pass
    headline = session_headline(doc)
    if headline is None:
        return
    found = archived_copy(ai_dir, path, headline.properties,
                          b"".join(bytes(piece) for piece in doc.encoded()))
    if found is not None:
        raise SessionWrappedUp(path, f"archived to {found[0]}", copy_lacks=found[1],
                               copy_holds=found[2], cause=wrapped_cause(path))


def archived_copy(ai_dir: str, path: str, props: dict[str, str],
                  data: bytes) -> tuple[str, int, str] | None:
    """``(archive, lacking, said)`` when an archive under ``.ai/sessions/`` holds the
    session of the session file at ``path`` (its headline properties ``props``, its bytes
    ``data``): :func:`archive_of`, the same ``AGENT_ID``, ``STARTED`` and
    ``SESSION_ID`` (when both hold one); ``lacking``: how many things (an entry, a
    checkbox item, a line typed...) the file holds that the archive does not, ``said``
    by kind (:func:`archive_lacks`, the one rule; -1 when either cannot be read as a
    session). ``None`` when no archive holds it."""
    archive = archive_of(ai_dir, props)
    if archive is None:
        return None
    return (archive, *archive_lacks(archive, data, path))


def _texts(doc: OrgFile | bytes, kept: str) -> Callable[[], tuple[str, str]]:
    """What :func:`_refuse_other` reads when it must: the file's text (``doc``, read
    already) and the whole kept copy's (``""`` when it cannot be read)."""

    def read() -> tuple[str, str]:
        data = doc if isinstance(doc, bytes) else \
            b"".join(bytes(piece) for piece in doc.encoded())
        try:
            other = storage.read_regular(kept)
        except (OSError, storage.NotRegular):
            other = b""
        return data.decode("utf-8", "replace"), other.decode("utf-8", "replace")

    return read


def _refuse_misplaced(ai_dir: str, path: str, doc: OrgFile) -> None:
    """:class:`~ai_protocols.errors.OtherSession` when the file at ``path``, an agent's
    own (``.ai/session-context.d/<id>.org``, :func:`ai_protocols.paths.context_path_text`),
    holds the session of another ``AGENT_ID`` than the one its name is for, and that
    agent's own file holds that very session (the same ``STARTED``): another agent's
    file copied over it (``cp B.org A.org`` writes into the file in place, and so into
    its kept copy, the same inode). The default agent's file (``.ai/session-context.org``,
    whose own sessions hold no ``AGENT_ID``) holding an agent's session that agent's
    own file holds too is refused as well. A session a person brought in under this
    name (its agent has no such file) is written as before. A file whose headline has
    no ``AGENT_ID``, or outside those places, is not checked. When no kept copy is
    there (a fresh clone, ``git clean -fdx``) the refusal says so and advises no ``cp``.
    One dict look-up and a name compared; the other agent's file read only when the names differ."""
    headline = session_headline(doc)
    if headline is not None:
        _misplaced(ai_dir, path, headline.properties)


def misplaced_warning(ai_dir: str, path: str) -> str | None:
    """What a write into the session file at ``path`` would be refused with by
    :func:`_refuse_misplaced` (another agent's own session at this path), for the read
    commands' warning (``resume``, ``status``, ``start``); ``None`` otherwise. Reads the
    file's first headline."""
    props = _head_properties(path)
    if not props:
        return None
    try:
        _misplaced(ai_dir, path, props)
    except OtherSession as error:
        return error.reason
    return None


def _misplaced(ai_dir: str, path: str, props: dict[str, str]) -> None:
    """:func:`_refuse_misplaced` given the session headline's properties ``props``."""
    agent = props.get("AGENT_ID")
    folder, name = os.path.split(path)
    if not agent:
        return
    if os.path.basename(folder) == CONTEXT_DIR and parent(folder) == ai_dir.rstrip("/"):
        mine = {"AGENT_ID": name[: -len(".org")] if name.endswith(".org") else name}
    elif path == join(ai_dir.rstrip("/"), DEFAULT_CONTEXT):
        # The default agent's file (no AI_AGENT_ID): its own sessions hold no AGENT_ID
        # (start writes none; an adoption removes it).
        folder, mine = join(ai_dir.rstrip("/"), CONTEXT_DIR), {}
    else:
        return
    try:
        own = f"{safe_id(agent)}.org"
    except AiProtocolsError:
        return  # (an id no file name is made from: nothing to compare)
    if own == name and mine:
        return
    # A copy of that agent's own live session (the same STARTED there): not a file a
    # person brought in to carry on under this name, which is written as it is.
    theirs = _head_properties(join(folder, own)) or {}
    if (theirs.get("AGENT_ID"), theirs.get("STARTED"), theirs.get(SESSION_ID_PROPERTY)) != \
            (agent, props.get("STARTED"), props.get(SESSION_ID_PROPERTY)):
        return
    kept = kept_path(ai_dir, path)
    try:
        same = storage.same_version(os.stat(kept), os.stat(path))
    except OSError:
        same = False
    raise OtherSession(path, kept, f"its AGENT_ID is {quoted(agent, 80)}, its file's "
                       f"name {quoted(name, 80)}", session_named(mine),
                       session_named(props), same_file=same,
                       no_kept=not same and not os.path.lexists(kept))


def _lacking(ai_dir: str, path: str, kept: str, doc: OrgFile | bytes
             ) -> tuple[int, bool, str]:
    """What the session file ``path`` (read as ``doc``) holds that its kept copy at
    ``kept`` lacks: how many entries (:func:`ai_protocols.session.merge.entries_lacking`),
    an entry the kept copy's earlier-entries files hold not counted (its rollover moved
    it: :func:`~ai_protocols.session.rollover.held_entries`); whether copying the
    kept copy over the file would lose anything at all (:func:`copy_loses`: a tick, a
    note, a property, a line of free text a person typed, a line deleted); and those
    entries said by kind (:func:`_by_kind`: ``1 entry and 1 reworded entry``; ``""``
    when there are none). ``(1, True, "")`` when either cannot be read as a session
    (then copying one over the other is not said to be safe). Only on the way to a
    refusal or a warning."""
    from ai_protocols.session.merge import entries_lacking

    data = doc if isinstance(doc, bytes) else b"".join(bytes(piece) for piece in doc.encoded())
    try:
        newer = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return 1, True, ""
    held = held_entries(ai_dir, path, OrgFile(newer.decode("utf-8", "replace")))
    found = entries_lacking(newer, data, held)
    if found < 0:
        return 1, True, ""
    said = _by_kind(path, data, kept, newer, found) if found else ""
    return found, bool(found) or copy_loses(path, data, newer, held), said


def _by_kind(path: str, data: bytes, kept: str, newer: bytes, found: int) -> str:
    """The ``found`` entries the session file ``path`` (``data``) holds that its kept
    copy (``kept``, ``newer``) lacks, said by kind by the one rule of the read commands'
    warning (:func:`compared_versions`, :meth:`~ai_protocols.session.model.Compared.said`):
    a reworded entry (the same section and timestamp, other words, as the merge takes
    one) is said as one, not as an entry; ticks too. ``found`` (which leaves out what
    the kept copy's rollover moved) bounds the new entries said."""
    counts = compared_versions(path, data, newer, kept)
    if counts is None:
        return counted(found, "entry", "entries")
    counts.entries = max(min(counts.entries, found - counts.reworded), 0)
    return counts.said(log=False, none=counted(found, "entry", "entries"))


def compared_versions(path: str, data: bytes, kept: bytes, kept_at: str, *,
                      lacks: bool = False) -> Compared | None:
    """What the kept copy ``kept`` (at ``kept_at``) lacks of the session file at ``path``
    (``data``), counted by kind (:func:`~ai_protocols.session.model.compared`); with
    ``lacks``, what the file lacks of the kept copy. Counted on the version both derive
    from that git committed (:func:`_committed`, two git runs), so that a reword is
    what the merge takes for one (an entry one holds as committed, the other in other
    words) and two entries added are two; without one, by the merge's pairing of words.
    The one count of the refusals' and the read commands' "holds" and "lacks"
    (docs/decisions.md, "Issue 14, twenty-first round (stale saves, a fresh review)").
    ``None`` when either is no session. Call on a refusal's or a warning's path
    only."""
    from ai_protocols.session.model import compared

    try:
        here = read_session(path, data.decode("utf-8", "replace"))
        there = read_session(kept_at, kept.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        return None
    committed = _committed(path, data, kept) if path else None
    try:
        base = None if committed is None else \
            read_session(path, committed.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        base = None
    return compared(there, here, base) if lacks else compared(here, there, base)


def copy_loses(path: str, older: bytes, newer: bytes, held: set[str] | None = None) -> bool:
    """Whether putting the kept copy (``newer``, the version this tool wrote last) back
    over the session file at ``path`` (``older``, the version git put back, which a
    person may have edited since) loses anything: by the one judgement
    (:func:`~ai_protocols.session.merge.copy_drops`, compared directly, against the
    committed version both derive from, :func:`_committed`, when there is one; the
    entries ``held`` by the kept copy's earlier-entries files taken out of both), any
    line ``older`` holds that ``newer`` lacks (a tick, a note under an item, a
    property, a summary line, free text) or an entry ``older`` deleted. ``True`` too
    when either is no session (then ``merge-kept`` says what to do). The one rule the
    refusal of a write (:class:`~ai_protocols.errors.SessionReplaced`), ``resume`` and
    ``status`` advise ``cp`` (or ``mv -f``) by. Runs git twice (``git log``, ``git
    cat-file``) when the file is in a repository; raises nothing of its own."""
    from ai_protocols.session.merge import copy_drops, without_held

    if older == newer:
        return False
    if held:
        older, newer = without_held(older, held)[0], without_held(newer, held)[0]
    base = _committed(path, older, newer, held) if path else None
    drops = copy_drops(older, newer, base)
    return drops is None or sum(drops[0]) + drops[1] > 0


def lacking(ai_dir: str, path: str) -> tuple[int, bool, str]:
    """What the session file ``path`` holds that the version this tool wrote last (its
    kept copy, :func:`~ai_protocols.session.names.kept_path`) and the earlier-entries
    files that version links lack: how many entries (what ``merge-kept`` would add),
    whether putting the kept copy back would lose anything (:func:`copy_loses`), and
    those entries said by kind (:func:`_lacking`); ``(1, True, "")`` when either cannot
    be read as a session. The advice of :class:`~ai_protocols.errors.SessionReplaced`,
    for the read commands' warnings. Raises nothing of its own."""
    try:
        data = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        return 1, True, ""
    return _lacking(ai_dir, path, kept_path(ai_dir, path), data)


def merge_kept(ai_dir: str, path: str, *, now: datetime | Moment | None = None,
               then: Callable[[SessionEdit], object] | None = None,
               wording: str = "file") -> int:
    """:func:`merge_kept_into`, how many entries were gained only (an entry kept in
    the kept copy's words, a reword, not among them)."""
    return merge_kept_into(ai_dir, path, now=now, then=then, wording=wording)[1]


#: What ``merge-kept`` merged into the file (:func:`merge_kept_into`'s fourth answer):
#: the version this tool wrote last, or what git's ``HEAD`` holds (a stale save's merge
#: back, whose entries git brought; a version from before a rollover ``HEAD`` holds).
KEPT_SOURCE, HEAD_SOURCE = "the kept copy", "git's HEAD"


def merge_kept_into(ai_dir: str, path: str, *, now: datetime | Moment | None = None,
                    then: Callable[[SessionEdit], object] | None = None,
                    wording: str = "file") -> tuple[str, int, int, str]:
    """Merge the session file at ``path`` with the newer version this tool wrote last,
    its kept copy (:func:`~ai_protocols.session.names.kept_path`), when git put an older
    version back and a write went into it, so that each holds entries the other lacks
    (what :class:`~ai_protocols.errors.SessionReplaced` advises: ``ai-protocols
    merge-kept``). One edit transaction: the two are merged entry by entry
    (:func:`ai_protocols.session.merge.merge_diverged_bytes`: every entry of both, the
    drawer as the merge driver merges it) and written, with a Log line saying so.
    Returns the file that gained entries, how many (entries the file lacked; an entry
    kept in the kept copy's words is a reword, not among them) and how many entries
    the two word differently were merged as one (reworded), and where what the file
    lacked came from (:data:`KEPT_SOURCE`, :data:`HEAD_SOURCE` when ``HEAD``'s version
    held it, the blob a committed stale save went over when that held it
    (:func:`~ai_protocols.session.stale_commit.gone_over_source`), or both joined by
    "and": a stale save merged back as the next write would,
    or a version from before a rollover; said by the command): ``path``, or the archive
    of the kept copy's session when it was wrapped up in another clone
    (:func:`_merge_into_archive`; its reworded count 0), or the archive of the file's
    own session when git's merge or rebase left the file unmerged as a modify/delete
    whose deleting side archived it (:func:`archived_unmerged`: the changed side merged
    into the archive as the merge driver would have, :func:`_merge_unmerged_archive`,
    its reworded count 0); 0 and 0, writing nothing,
    when the file is its kept copy or not older than it (nothing to merge). The base
    of the three-way merge is the newest version git committed (from ``HEAD``) that both derive from
    (:func:`_committed`): a line changed on one side only takes the change; without
    one, what both hold, and an entry the two word differently (the only one of its
    section and minute on each side: :func:`~ai_protocols.session.merge.reworded_pairs`)
    is kept once, in the words of ``wording`` (``"file"``, the default: a person's
    edit after git put the file back; ``"kept"``: the kept copy's), the other words
    written whole into the Log (an entry after the ``merged:`` line) and named on
    stderr: no text is dropped (docs/decisions.md, "Issue 14, fourteenth round
    (merge-kept without a base)"). ``then``: called with the edit before
    it is written (the caller records where ``HEAD`` is now:
    :func:`ai_protocols.session.pause.record_head`). Raises
    :class:`~ai_protocols.errors.OtherSession` when the file is another session than
    the kept copy's (:func:`~ai_protocols.session.layout.other_session`; two sessions
    are never merged), :class:`~ai_protocols.errors.KeptNotMerged` when they cannot be
    merged (nothing written; its advice names what only each holds, by kind and count),
    :class:`~ai_protocols.errors.StaleSave` when the file is an editor's stale save
    whose merge back the next write refuses (:func:`next_write_merges`: the same
    refusal, with its commands; nothing written), :class:`~ai_protocols.errors.BeingEdited`
    while a person edits the file in Emacs, and what :func:`editing` raises."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge import (
        base_rank,
        entries_lacking,
        reworded_entries,
        without_held,
    )

    found = archived_unmerged(ai_dir, path)
    if found is not None:  # (git's merge left it unmerged, its other side archived)
        with locked_sessions(ai_dir, path, also=(_archive_lock(ai_dir),)):
            return found[0], _merge_unmerged_archive(ai_dir, path, *found), 0, KEPT_SOURCE
    refuse_missing(ai_dir, path)
    kept = kept_path(ai_dir, path)
    # (the archive folder's lock too, taken with the session file's in the one order of
    # locked_sessions: the kept copy may go into an archive, and a lock file missing
    # then, never made in this clone, cannot be made while another lock is held)
    with locked_sessions(ai_dir, path, also=(_archive_lock(ai_dir),)):
        refuse_if_edited(path)
        # (a stale buffer's save that the next write merges back on its own: merged the
        # same way, with HEAD's version too, never the kept copy alone, which would drop
        # what git brought: docs/decisions.md, "Issue 14, twentieth round (the base of a
        # stale save's merge)")
        stale = next_write_merges(ai_dir, path)
        if stale is not None:
            before = storage.read_regular(path)
            try:
                kept_before: bytes | None = storage.read_regular(kept)
            except (OSError, storage.NotRegular):
                kept_before = None
            with editing(ai_dir, path, now=now, held=True,
                         new_text=stale[0].text) as edit:
                edit.note(f"merged back: {stale[1]} {_brought_how(stale[2])} that a save "
                          f"over this file dropped (an editor's buffer opened before git "
                          f"changed the file, saved after)")
                if then is not None:
                    then(edit)
            after = stale[0].text.encode("utf-8")
            gained = max(entries_lacking(before, after), 0)
            # (the entries the kept copy lacked too came from HEAD's version; all of them
            # where the tool never wrote: a fresh clone)
            alone = gained if kept_before is None else \
                entries_lacking(before, after, also=(kept_before,))
            from ai_protocols.session.stale_commit import gone_over_source

            # (a committed stale save's: the version it went over, below HEAD)
            head_source = gone_over_source(stale[2]) or HEAD_SOURCE
            source = head_source if alone == gained and gained else \
                KEPT_SOURCE if alone == 0 else f"{head_source} and {KEPT_SOURCE}"
            return path, gained, 0, source
        put_back = _put_back_archive(ai_dir, path, kept)
        if put_back is not None:
            return put_back, _merge_into_archive(ai_dir, path, path,
                                                 storage.read_regular(path), put_back,
                                                 wording=wording), 0, KEPT_SOURCE
        try:
            here = os.stat(path, follow_symlinks=False)
        except OSError:
            return path, 0, 0, KEPT_SOURCE
        try:
            there = os.stat(kept, follow_symlinks=False)
        except OSError:
            there = None
        try:
            older = storage.read_regular(path)
            doc = OrgFile(older.decode("utf-8", "replace"))
            _refuse_misplaced(ai_dir, path, doc)
            same = there is None or storage.same_version(here, there)
            newer = older if same else storage.read_regular(kept)
        except (OSError, storage.NotRegular) as error:
            raise KeptNotMerged(path, kept, f"it cannot be read ({error})") from None
        # A version from before a rollover committed since, saved over the file in place
        # (the kept copy too, one inode) or not: the newer version is HEAD's
        # (RolloverUndone's advice; docs/decisions.md, "Issue 16, fourteenth round").
        from_head = None  # (the command putting HEAD's version back, when it is the newer)
        if older == newer:
            kept, newer, from_head = _newer_in_head(ai_dir, path, doc) or (kept, newer, None)
            if from_head is None:
                return path, 0, 0, KEPT_SOURCE
        text = newer.decode("utf-8", "replace")
        mine, theirs = session_headline(OrgFile(text)), session_headline(doc)
        if mine is not None and theirs is not None:
            try:
                _refuse_other(ai_dir, path, kept, theirs.properties, mine.properties,
                              lambda: (older.decode("utf-8", "replace"), text))
            except OtherSession as other:
                if other.archived is None:
                    raise
                return other.archived, _merge_into_archive(ai_dir, path, kept, newer,
                                                           other.archived,
                                                           wording=wording), 0, KEPT_SOURCE
        if from_head is None and not _kept_is_later(older, newer):
            # (a person's save, say: the file is not the older one; unless it is one
            # from before a rollover HEAD holds, saved over the file after the kept copy)
            kept, newer, from_head = _newer_in_head(ai_dir, path, doc) or (kept, newer, None)
            if from_head is None:
                return path, 0, 0, KEPT_SOURCE
            text = newer.decode("utf-8", "replace")
        # An entry a rollover moved to an earlier file either version links is no entry
        # that the other version alone holds: taken out of all three, so that the
        # merged file holds it once, in that earlier file (docs/decisions.md, "Issue 16,
        # eleventh round (rollover against the kept copy and merges)"); the base is
        # found among the versions so taken out too (thirteenth round).
        held = held_entries(ai_dir, path, OrgFile(text)) | held_entries(ai_dir, path, doc)
        whole = older
        (older, _), (newer, _) = without_held(older, held), without_held(newer, held)
        base = _committed(path, older, newer, held)
        rolled = bool(linked_earlier(OrgFile(text), path))
        merged = _merged_or_refused(path, kept, older, newer, base, wording=wording,
                                    rolled=rolled, restore=from_head)
        reworded = [] if base is not None and base_rank(base, older, newer) > 0 else \
            reworded_entries(older, newer)
        if held and without_held(whole, held_entries(
                ai_dir, path, OrgFile(merged.data.decode("utf-8", "replace"))))[1] != \
                without_held(whole, held)[1]:
            raise KeptNotMerged(path, kept, "the merged file would not link every "
                                            "earlier-entries file holding its entries",
                                rolled=rolled, restore=from_head,
                                **_only_in_each(older, newer))
        # (an entry kept in the kept copy's words is no entry the file lacked: a reword)
        gained = max(entries_lacking(whole, merged.data), 0) - \
            (len(reworded) if wording == "kept" else 0)
        gained = max(gained, 0)
        left_out = [pair[1 if wording == "file" else 0] for pair in
                    reworded_entries(older, newer, whole=True)] if reworded else []
        back = _came_back(older, newer, base, merged.data,
                          {line for pair in reworded for line in pair})
        words = _wording_said(reworded, wording)
        result = merged.data.decode("utf-8")
        # An entry a person edited in the older file after a rollover moved its old text
        # out: the old text is recorded as superseded, so show --all gives it once, as
        # edited (docs/decisions.md, "Issue 16, thirteenth round").
        replaced = superseded_edits(ai_dir, path, doc, OrgFile(text)) if held else set()
        if replaced:
            marked = OrgFile(result)
            _record_superseded(marked, replaced)
            result = marked.text
        with editing(ai_dir, path, now=now, held=True, new_text=result) as edit:
            whose = "ai-protocols kept" if from_head is None else \
                "git's HEAD holds (from after its rollover)"
            edit.note(f"merged: the newer version {whose} of this file, "
                      f"{counted(gained, 'entry', 'entries')} the file lacked"
                      + (f" (no committed version of both found: {back[0]})" if back
                         else "") + (f"; {words[0]}" if words else ""))
            for text in left_out:  # (no text is ever dropped: the words left out, whole)
                edit.note_block(_left_out_said(text, wording))
            if then is not None:
                then(edit)
        if back:
            warn(f"{path}: {back[1]}")
        if words:
            warn(f"{path}: {words[1]}")
    return path, gained, len(reworded), KEPT_SOURCE if from_head is None else HEAD_SOURCE


def _newer_in_head(ai_dir: str, path: str, doc: OrgFile) -> tuple[str, bytes, str] | None:
    """For ``merge-kept``: the newer version of the session file ``path`` (read as
    ``doc``) that git's ``HEAD`` holds when it links an earlier-entries file ``doc`` does
    not (:func:`_rolled_in_head`): where it is (``HEAD:./REL``), its bytes, and the
    command that puts it back over the file (``git -C ROOT show HEAD:./REL > FILE``,
    quoted to paste); ``None`` otherwise."""
    rolled = _rolled_in_head(ai_dir, path, doc)
    if rolled is None:
        return None
    return rolled[0], rolled[2], (f"git -C {shell_quote(parent(ai_dir))} show "
                                  f"{shell_quote(rolled[0])} > {shell_quote(path)}")


#: The two sides of ``merge-kept``'s merge as its messages name them: the first (the
#: file, or the archive) and the second (the kept copy, or the copy put back).
_SIDES = ("the file", "the kept copy")


def _wording_said(reworded: list[tuple[str, str]], wording: str,
                  sides: tuple[str, str] = _SIDES, where: str = "the Log",
                  option: str | None = None) -> tuple[str, str] | None:
    """What ``merge-kept`` says of the entries its two sides (``sides``, named as
    :data:`_SIDES`) word differently (``reworded``: pairs of first lines, the first
    side's then the second's, :func:`~ai_protocols.session.merge.reworded_entries`), of
    which it kept the words of ``wording`` (``"file"``: the first side's, ``"kept"``:
    the second's): short (the Log's) and whole (stderr's, naming whose words were kept
    and the words left out, written whole into ``where``, and how to keep them instead: by
    hand, or before a merge ``merge-kept --wording OPTION``, ``option`` when it is not
    the other of ``wording``); ``None`` when there are none."""
    if not reworded:
        return None
    mine = wording == "file"
    kept_words, other = (f"{sides[0]}'s", f"{sides[1]}'s") if mine else \
        (f"{sides[1]}'s", f"{sides[0]}'s")
    count = counted(len(reworded), "entry", "entries")
    left = "; ".join(quoted(pair[1] if mine else pair[0]) for pair in reworded)
    option = option or ("kept" if mine else "file")
    return (f"{count} worded differently in {sides[0]} and {sides[1]}: {kept_words} "
            f"words kept",
            f"{count} worded differently in {sides[0]} and {sides[1]} (of one section "
            f"and minute, and alike in words: one entry, reworded), with no committed "
            f"version of both to say which changed it: kept {kept_words} words, left "
            f"out {other} ({left}), written whole into {where} after the 'merged:' "
            f"line; to keep {other} instead, type them back in by hand (merge-kept "
            f"--wording {option} chooses them before a merge)")


def _came_back(older: bytes, newer: bytes, base: bytes | None,
               merged: bytes, reworded: set[str] | None = None) -> tuple[str, str] | None:
    """When ``merge-kept`` found no committed version both ``older`` (the file) and
    ``newer`` (the kept copy) derive from (``base`` is ``None`` or not theirs,
    :func:`~ai_protocols.session.merge.base_rank`: the file never committed, or its
    history rewritten), the merge (two ways: what both hold as its base) keeps every line
    of both, so a line a person deleted from the file that the kept copy still holds
    comes back: what to say, short (the Log's) and whole (stderr's), naming the lines of
    ``merged`` the file did not hold (``None`` when a base was used, or no line came
    back). The write record (``UPDATED``, ``UPDATED_AT``) is not named, nor the first
    lines in ``reworded`` (an entry's other words, said apart: :func:`_wording_said`)."""
    from ai_protocols.session.merge import base_rank

    if base is not None and base_rank(base, older, newer) > 0:
        return None
    left: dict[bytes, int] = {}
    for line in older.splitlines():
        left[line.strip()] = left.get(line.strip(), 0) + 1
    back = []
    for line in merged.splitlines():
        key = line.strip()
        if left.get(key, 0) > 0:
            left[key] -= 1
        elif key and not key.startswith((b":UPDATED:", b":UPDATED_AT:")) and \
                key.decode("utf-8", "replace") not in (reworded or ()):
            back.append(line.decode("utf-8", "replace"))
    if not back:
        return None
    lines = counted(len(back), "line", "lines")
    shown = "; ".join(quoted(line.strip(), 80) for line in back[:3]) + \
        (" ..." if len(back) > 3 else "")
    return (f"{lines} of the kept copy kept that the file lacked",
            f"no committed version that both the file and the kept copy come from was "
            f"found (the file never committed, or its history rewritten), so the merge kept "
            f"every line of both: {lines} of the kept copy that the file lacked came back "
            f"({shown}); the newer entries are among them, but if you had deleted one of "
            f"these lines from the file, delete it again")


def _merged_or_refused(path: str, kept: str, older: bytes, newer: bytes,
                       base: bytes | None, *, ancestor: bool = False,
                       archive: bool = False, wording: str = "file", rolled: bool = False,
                       restore: str | None = None, put_back: bool = False) -> MergeResult:
    """The three-way merge ``merge-kept`` writes into ``path`` (of ``older``, the file
    there, and ``newer``, the kept copy at ``kept``, against ``base``:
    :func:`~ai_protocols.session.merge.merge_diverged_bytes`), checked to drop no line
    of either side that the other did not change
    (:func:`~ai_protocols.session.merge.lines_dropped`); ``ancestor``: ``base`` is known
    to be an ancestor of both (:func:`_archive_base`); ``archive``: ``path`` is the kept
    copy's archive (the refusal's advice is then the archive's; ``put_back``: ``kept``
    is a copy of the archived session put back, said as such); ``wording``: see
    :func:`merge_kept_into`. Raises
    :class:`~ai_protocols.errors.KeptNotMerged` (nothing written) when they do not
    merge cleanly or a line would be dropped; ``rolled`` (``newer`` links
    earlier-entries files) and ``restore`` (the command that puts ``newer`` back, when
    not ``cp KEPT FILE``) go into it: its advice."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge import (
        base_rank,
        lines_dropped,
        merge_diverged_bytes,
        reworded_entries,
    )

    merged = merge_diverged_bytes(older, newer, base, ancestor=ancestor, wording=wording)
    if merged is None:
        raise KeptNotMerged(path, kept, "both changed the same lines (or they are not two "
                                        "versions of one session that merge without a "
                                        "conflict)", archive=archive, rolled=rolled,
                            restore=restore, put_back=put_back,
                            **_only_in_each(older, newer))
    dropped = lines_dropped(older, merged.data, base, newer) + \
        lines_dropped(newer, merged.data, base, older)
    if dropped and not (base is not None and (ancestor or base_rank(base, older, newer))):
        # (no base: an entry's other words, left out by the wording rule, are no line lost)
        words = {pair[1 if wording == "file" else 0] for pair in
                 reworded_entries(older, newer)}
        dropped = [line for line in dropped if line.strip() not in words]
    if dropped:
        lost = counted(len(dropped), "line", "lines")
        raise KeptNotMerged(path, kept, f"the merge would drop {lost} one of them holds "
                                        f"(as {dropped[0]!r})", archive=archive,
                            rolled=rolled, restore=restore, put_back=put_back,
                            **_only_in_each(older, newer))
    return merged


def _only_in_each(older: bytes, newer: bytes) -> dict[str, str]:
    """What only ``newer`` (the kept copy, the newer version) holds and what only
    ``older`` (the file) holds, each said by kind and count
    (:func:`~ai_protocols.session.merge.changes_lacking` without a base: an entry, a
    tick, a changed entry, a property, a Log line, a line; ``""`` for none or not
    known), as :class:`~ai_protocols.errors.KeptNotMerged`'s ``kept_holds`` and
    ``file_holds``: what its by-hand advice names before the ``cp`` that would lose
    it. Reads nothing."""
    from ai_protocols.session.merge import changes_lacking, said_changes

    said = {}
    for key, one, other in (("kept_holds", older, newer), ("file_holds", newer, older)):
        found = changes_lacking(one, other)
        said[key] = said_changes(found) if _changed(found) > 0 else ""
    return said


def _put_back_archive(ai_dir: str, path: str, kept: str) -> str | None:
    """The archive under ``.ai/sessions/`` of the session the file at ``path`` holds,
    when the file is a copy of that wrapped-up (or abandoned) session put back by hand
    or by git (:func:`archived_copy`; what ``start`` and the writes refuse, exit 7)
    and not the version this tool wrote last (its kept copy ``kept`` is gone, as a
    wrap-up leaves it, or another inode); ``None`` otherwise, and when the file is
    the very one a move left (:func:`moved_away`: a killed wrap-up's, which
    :func:`settle` removes). Reads the file's head; lists ``.ai/sessions/`` only when it
    holds a session."""
    here = last_written(path, kept)
    if here is None:
        return None
    props = _head_properties(path)
    if not props or moved_away(ai_dir, path, props.get("AGENT_ID") or None,
                               parse_timestamp(props.get("STARTED", "")), here,
                               props.get(SESSION_ID_PROPERTY)):
        return None
    return archive_of(ai_dir, props)


def put_back_warning(ai_dir: str, path: str) -> str | None:
    """What a write into the session file at ``path`` is refused with when the file is a
    copy of a wrapped-up (or abandoned) session put back by hand or by git
    (:func:`_put_back_archive`; :class:`~ai_protocols.errors.SessionWrappedUp`, exit 7,
    whose advice is ``ai-protocols merge-kept FILE`` when it holds entries the archive
    lacks, ``rm FILE`` otherwise), for the read commands' warning
    (:func:`ai_protocols.session.resume.misplaced_of`); ``None`` otherwise. Call only
    for a live file whose session is closed (a rare case): it reads the archive."""
    refusal = put_back_refusal(ai_dir, path)
    return None if refusal is None else refusal.message


def put_back_refusal(ai_dir: str, path: str) -> SessionWrappedUp | None:
    """The one refusal of ``start`` and every write when the session file at ``path`` is
    a copy of a wrapped-up (or abandoned) session put back by hand or by git
    (:func:`_put_back_archive`, whatever its ``STATUS`` says: a version from before the
    wrap-up too): :class:`~ai_protocols.errors.SessionWrappedUp` (exit 7) naming the
    archive, with how many entries the file holds that the archive lacks
    (``copy_lacks``: ``merge-kept`` advised, else ``rm``) and, when the kept copy is of
    another session (one started since, which ``start`` brings back once the file is
    gone), that kept copy. ``None`` otherwise. Reads the file's head and, only when it is
    not the kept copy, lists ``.ai/sessions/``: on a refusal's path or a rare case only."""
    kept = kept_path(ai_dir, path)
    archive = _put_back_archive(ai_dir, path, kept)
    if archive is None:
        return None
    try:
        lacks, holds = archive_lacks(archive, storage.read_regular(path), path)
    except (OSError, storage.NotRegular):
        return None
    where = "abandoned, archived" if (_head_properties(archive) or {}).get("STATUS") == \
        "abandoned" else "archived"
    mine = _head_properties(kept)
    live = kept if mine and archive_of(ai_dir, mine) is None and \
        not one_session(mine, _head_properties(path) or {}) else None
    return SessionWrappedUp(path, f"{where} to {archive}", copy_lacks=lacks, kept=live,
                            copy_holds=holds, cause=wrapped_cause(path))


def refuse_put_back(ai_dir: str, path: str) -> None:
    """Raise :func:`put_back_refusal`'s error, if any, for the session file at ``path``
    (``start`` on a live-looking file: a version from before the wrap-up)."""
    refusal = put_back_refusal(ai_dir, path)
    if refusal is not None:
        raise refusal


def archive_lacks(archive: str, data: bytes, path: str | None = None) -> tuple[int, str]:
    """What the session file bytes ``data`` (a copy of the session the archive at
    ``archive`` holds, put back, or a kept copy; of the file at ``path``) hold that the
    archive lacks: ``(how many, said by kind)``, ``(0, "")`` when nothing, ``(-1, "")``
    when either cannot be read as a session. The one rule of "holds nothing the archive
    lacks" (``rm`` of the copy advised, or the kept copy dropped at ``start``, only
    then; else ``merge-kept``): byte for byte, every entry, tick, changed entry, Log
    line and line of free text (a checkbox item or a line a person typed, which
    :func:`~ai_protocols.session.merge.changes_lacking` counts as lines) the archive
    does not hold, the session headline's properties aside (the wrap-up's write changed
    them). When ``path`` is given, what the version the copy derives from holds
    (:func:`_archive_base`, as ``merge-kept`` takes it, two or three git runs) is not
    counted either: the archive changed it since (a tick made before the wrap-up, a
    summary it rewrote), which ``merge-kept`` would not bring back; and an entry that
    version and the archive hold and the copy lacks (a person deleted it) is counted as
    a deletion (``1 deletion of an entry``): ``rm`` would leave it in the archive,
    ``merge-kept`` removes it. The one judgement of every copy advised
    (:func:`~ai_protocols.session.merge.copy_drops`; docs/decisions.md, "Issue 14,
    twenty-first round (what a put-back copy holds)", "Twenty-fourth round: advice that
    loses nothing when pasted"). Raises nothing of its own."""
    from ai_protocols.lean import counted
    from ai_protocols.session.merge import HEADLINE_KINDS, copy_drops, said_changes

    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular):
        return -1, ""
    base = _put_back_base(path, archive, data) if path is not None else None
    drops = copy_drops(data, archived, base)
    if drops is None:
        return -1, ""
    found = tuple(0 if kind in HEADLINE_KINDS else count
                  for kind, count in enumerate(drops[0]))
    total = sum(found) + drops[1]
    said = [said_changes(found)] if sum(found) else []
    if drops[1]:
        said.append(counted(drops[1], "deletion of an entry", "deletions of entries"))
    return total, " and ".join(said)


def _merge_into_archive(ai_dir: str, path: str, kept: str, newer: bytes,
                        archive: str, *, wording: str = "file") -> int:
    """``merge-kept`` into the archive ``archive`` of a session wrapped up: when the kept
    copy's session (``newer``, at ``kept``) was wrapped up in another clone and the file
    at ``path`` holds a new session, or when the file itself (``kept`` is then ``path``)
    is a copy of the archived session put back by hand or by git
    (:func:`_put_back_archive`), with entries logged or typed since. The entries the
    archive lacks are merged into it, as the merge driver merges two versions of one
    session (the base: the version both derive from in the history of the commit that
    added the archive, :func:`_archive_base`, else the newest committed version of
    ``path`` both derive from, else what both hold, a reworded entry kept once in the
    words of ``wording``; the archive stays wrapped up), under the archive folder's
    lock, written atomically; then ``kept`` is removed (the kept copy, so that the
    file's session is written as this path's from now on; or the put-back copy, so
    that ``start`` begins a new session: every line of it is in the archive now).
    Says on stderr what was written into the archive, by kind (:func:`_archive_gained`),
    or that nothing was. Returns how many entries the archive gained. Raises
    :class:`~ai_protocols.errors.KeptNotMerged` (nothing written) when they do not merge
    cleanly or a line of either would be dropped. Call holding ``path``'s lock and the
    archive folder's (:func:`_archive_lock`)."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge import (
        MergeResult,
        base_rank,
        reworded_entries,
    )

    # The discipline of every write of a session file (editing's): never a link on
    # the way, never under a person's unsaved buffer (13th round).
    storage.refuse_symlinks(parent(ai_dir), archive)
    refuse_if_edited(archive)
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular) as error:
        raise KeptNotMerged(archive, kept, f"it cannot be read ({error})",
                            archive=True, put_back=kept == path) from None
    put_back = kept == path
    base = _put_back_base(path, archive, newer, left_path(ai_dir, path)) if put_back \
        else _archive_base(path, archive, newer)
    ancestor = base is not None
    if base is None:
        base = _committed(path, archived, newer)
    # Whose words an entry keeps that the two word differently, with no base: the
    # file's (a person's edit) is, for a copy put back, that copy, the merge's second
    # side; ``--wording kept`` then keeps the archive's, the version ai-protocols wrote.
    words = ("kept" if wording == "file" else "file") if put_back else wording
    sides = ("the archive", "the copy" if put_back else "the kept copy")
    merged = _merged_or_refused(archive, kept, archived, newer, base, ancestor=ancestor,
                                archive=True, wording=words, put_back=put_back)
    reworded_said = None
    if not ancestor and not (base is not None and base_rank(base, archived, newer) > 0):
        # (no base: an entry the two word differently is kept once; the other words go
        # into the archive's Log, whole, as merge_kept_into writes them, and are named
        # on stderr with how to keep them instead)
        reworded = reworded_entries(archived, newer, whole=True)
        merged = MergeResult(_with_left_out(merged.data, [
            pair[1 if words == "file" else 0] for pair in reworded], words, sides),
            merged.conflicts)
        reworded_said = _wording_said(reworded_entries(archived, newer), words, sides,
                                      f"the archive's Log ({archive})",
                                      "kept" if put_back and wording == "file" else
                                      "file" if put_back else None)
    # (a put-back copy's lines the archive lacks are that copy's additions, not lines
    # that came back: said as entries gained)
    back = None if ancestor or kept == path else \
        _came_back(archived, newer, base, merged.data)
    said, gained = _archive_gained(archive, archived, merged.data)
    if merged.data != archived:
        storage.atomic_write(archive, merged.data)
    _unlink(kept)
    commit = f" (commit it: git add {shell_quote(archive)})"
    if kept == path:
        live = kept_path(ai_dir, path)
        live = live if os.path.lexists(live) else None  # (another session's, started since)
        try:
            storage.fsync_dir(parent(path))
        except OSError:
            pass
        then = _then_start(ai_dir, path, live)
        what = f"{path}, a copy of a session already wrapped up (archived to {archive}) " \
               f"put back by hand or by git,"
        warn(f"merged {what} into the archive: {said}{commit}; the "
              f"copy was removed, every line of it being in the archive; {then}"
              if said else
              f"{what} holds nothing the archive lacks: nothing was written into the "
              f"archive; the copy was removed; {then}")
    else:
        what = "the kept copy, of a session wrapped up in another clone,"
        warn(f"merged {what} into its archive {archive}: {said}"
              f"{commit}, not into {path}, whose session carries on; the kept copy was "
              f"dropped" + _archive_abort_advice(path, archive, newer) if said else
              f"{what} holds nothing its archive {archive} lacks: nothing was written "
              f"into the archive; the kept copy was dropped; {path}'s session carries on")
    if back:
        warn(f"{archive}: {back[1]}")
    if reworded_said:
        warn(f"{archive}: {reworded_said[1]}")
    return gained


def _archive_gained(archive: str, before: bytes, after: bytes) -> tuple[str, int]:
    """What a merge wrote into the archive at ``archive`` (its bytes ``before`` and
    ``after``), said by kind (:func:`~ai_protocols.session.model.compared`,
    :meth:`~ai_protocols.session.model.Compared.said`: ``1 entry and 1 tick written into
    it``, the Log lines added; ``and 1 entry removed from it``: a person's deletion taken
    from the copy), and how many entries it gained; ``("", 0)`` when the bytes are the
    same, ``changed lines written into it`` when the change is of no kind counted (a
    person's free text, a property)."""
    from ai_protocols.session.model import compared

    if before == after:
        return "", 0
    try:
        old = read_session(archive, before.decode("utf-8", "replace"))
        new = read_session(archive, after.decode("utf-8", "replace"))
    except (AiProtocolsError, ValueError):
        return "changed lines", 0
    gained, lost = compared(new, old), compared(old, new)
    said = [f"{gained.said(none='')} written into it"] if gained.said(none="") else []
    if lost.entries:
        said.append(f"{counted(lost.entries, 'entry', 'entries')} removed from it")
    return " and ".join(said) or "changed lines written into it", gained.entries


def _left_out_said(text: str, wording: str, sides: tuple[str, str] = _SIDES) -> str:
    """The Log entry's text for the words ``text`` of an entry worded differently that
    ``merge-kept`` left out, having kept those of ``wording`` (:data:`WORDINGS`: the
    first of ``sides``, or the second, :func:`_wording_said`)."""
    other = sides[1] if wording == "file" else sides[0]
    return f"merged: {other}'s words of an entry worded differently, left out: {text}"


def _with_left_out(data: bytes, left_out: list[str], wording: str,
                   sides: tuple[str, str] = _SIDES) -> bytes:
    """The session file ``data`` (UTF-8) with an entry stamped now at the end of its Log
    for each text of ``left_out`` (the words of an entry worded differently that a merge
    without a base left out, the kept copy's when ``wording`` is ``"file"``, else the
    file's), written as :meth:`SessionEdit.note_block` writes them; ``data`` as it is
    when there are none or it holds no session headline. Raises nothing of its own."""
    if not left_out:
        return data
    doc = OrgFile(data.decode("utf-8"))
    session = session_headline(doc)
    if session is None:
        return data
    stamp = format_timestamp(datetime.now())
    for text in left_out:
        append_entry(doc, session.line, "log", entry_lines(
            stamp, _left_out_said(text, wording, sides)))
    return b"".join(bytes(piece) for piece in doc.encoded())


def _archive_abort_advice(path: str, archive: str, kept: bytes) -> str:
    """What ``merge-kept`` adds to its message after merging the kept copy (``kept``) into
    ``archive`` while a git operation is under way (:func:`ai_protocols.git.head.operation`:
    the merge that brought the archive, say): how to go on, and how to abort it, which git
    refuses while the archive has changes it has not staged (``git merge --abort``: "Entry
    ... not uptodate"). The abort is advised as ``git checkout -- ARCHIVE && git OP
    --abort`` only when ``HEAD``'s version of the session file ``path`` holds every entry
    of ``kept`` (then the abort loses nothing: the session's entries are back in that
    file, as before the operation); otherwise it says that the archive holds the only
    copy of some, and to go on rather than abort. ``""`` when no operation is under way
    (a few ``stat`` calls) or it is a bisect. Runs ``git cat-file`` once otherwise."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import operation
    from ai_protocols.git.spawn import GitRun, git_env
    from ai_protocols.session.merge import entries_lacking

    what = operation(parent(archive))
    if what is None or what == "bisect":
        return ""
    q = shell_quote(archive)
    go_on = "git commit" if what == "merge" else f"git {what} --continue"
    said = (f"; a git {what} is under way: go on with 'git add {q}' then '{go_on}'")
    try:
        committed = GitRun(["git", "-C", parent(path), "cat-file", "blob",
                            f"HEAD:./{path.rsplit('/', 1)[-1]}"], git_env(), None).wait()
    except (GitFailed, OSError):
        committed = None
    lacking = -1 if committed is None else entries_lacking(committed, kept)
    if lacking == 0:
        return (f"{said}; to abort it instead, 'git checkout -- {q} && git {what} --abort' "
                f"(every entry merged in is in HEAD's {path} too, which the abort puts back)")
    return (f"{said}, not an abort: the archive now holds the only copy of "
            f"{'some entries' if lacking < 0 else counted(lacking, 'entry', 'entries')} "
            f"of the kept copy, which an abort would drop")


def _archive_lock(ai_dir: str) -> str:
    """The path whose lock guards ``.ai/sessions/``
    (:func:`ai_protocols.session.archive.archive_lock`, which this module cannot import:
    the archive module stands above it)."""
    return join(join(ai_dir.rstrip("/"), "sessions"), _ARCHIVE_NAMES[0])


#: How many of the commits that changed a session file ``merge-kept`` looks through
def _then_start(ai_dir: str, path: str, live: str | None) -> str:
    """What ``start`` will do at ``path`` (gone) with its kept copy ``live`` (``None``:
    none), by :func:`kept_at_start`'s rule, for ``merge-kept``'s message."""
    new = "'ai-protocols start' begins a new session"
    if live is None:
        return new
    try:
        where, copy = kept_at_start(ai_dir, path)
    except AiProtocolsError:
        where, copy = "", b""
    if where is None:
        return (f"'ai-protocols start' brings back the session ai-protocols wrote last "
                f"here (kept in {live})")
    if copy is None:
        return (f"{new} (the version ai-protocols wrote last here, kept in {live}, is of "
                f"a session {where.removesuffix(' (in another clone)')} with every "
                f"entry of it: start drops it)")
    return (f"'ai-protocols start' puts the version ai-protocols wrote last here (kept in "
            f"{live}) back at {path}, since its archive lacks some of its entries, and "
            f"refuses it (exit 7) until 'ai-protocols merge-kept' merges it in too")


#: for the version both sides derive from.
_BASES = 30


def _archive_base(path: str, archive: str, newer: bytes) -> bytes | None:
    """The version of the session file at ``path`` that both the archive at ``archive``
    (wrapped up in another clone, which a merge brought here) and the kept copy
    (``newer``) derive from: the newest version of ``path`` in the history of the commit
    that added the archive (``git log --diff-filter=A`` from ``HEAD`` and, during a
    merge, ``MERGE_HEAD``; the wrap-up moved that very file, so the archive derives
    from each of them, a person's rewording and ticks included) that is of the kept
    copy's session and all of whose entries the kept copy holds (the tool only ever
    adds entries: :func:`~ai_protocols.session.merge.base_rank`), so that a line
    changed on one side only is taken as changed, as ``git merge`` takes it. Before
    that rule, the newest such version of ``newer``'s session whose write record
    (``UPDATED_AT``, which only the tool's writes change, never a person's edit)
    ``newer`` carries: the version ``newer`` descends from even when a person reworded,
    ticked or deleted its entries since (a put-back copy edited by hand, whose entries
    the version's need not all be; docs/decisions.md, "Issue 14, fifteenth round
    (put-back sessions)"). ``None``
    when no commit here added the archive (copied in by hand, not committed) or none
    is; then :func:`_committed` is tried. Runs git two or three times."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    env = git_env()
    added = None
    for heads in (["HEAD", "MERGE_HEAD"], ["HEAD"]):  # (MERGE_HEAD during a merge only)
        try:
            added = GitRun(["git", "-C", parent(archive), "log", "-1", "--format=%H",
                            "--no-renames", "--diff-filter=A", *heads, "--",
                            archive.rsplit("/", 1)[-1]], env, None).wait().strip()
            break
        except (GitFailed, OSError):
            continue
    if not added:
        return None
    # (the kept copy ranked against itself: its session, and every entry of the version;
    # first, the version whose write record it carries: the one it descends from)
    return _committed(path, newer, newer, since=added.decode("ascii", "replace"),
                      carried=True)


def _put_back_base(path: str, archive: str, copy: bytes, left: str | None = None
                   ) -> bytes | None:
    """The version a copy (``copy``) of the session the archive at ``archive`` holds,
    put back at ``path``, derives from: :func:`_archive_base`, else (the archive not
    committed yet) the version the copy carries, in git or as the wrap-up left it at
    ``left`` (:func:`_carried_version`); ``None`` when neither is. The one base of
    ``merge-kept``'s merge of such a copy and of :func:`archive_lacks`. A carried
    version holding an entry the archive lacks is none: the archive does not derive
    from it (a rebase stopped on the file's modify/delete: git's index is unmerged and
    ``HEAD``, the branch rebased onto, holds the other side's version, the file itself;
    taken for the base, that side's entries would be "no change" and lost). Runs git up
    to six times: a refusal's or ``merge-kept``'s path only."""
    from ai_protocols.session.merge import entries_lacking

    base = _archive_base(path, archive, copy)
    if base is not None:
        return base
    carried = _carried_version(path, copy, left)
    if carried is None:
        return None
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular):
        return None
    return carried if entries_lacking(archived, carried) == 0 else None


def _carried_version(path: str, newer: bytes, left: str | None = None) -> bytes | None:
    """The version of the session file at ``path`` in git's index, else in a commit
    reachable from ``HEAD`` (:func:`_committed`), else the one the wrap-up left beside
    its tombstone (``left``, :func:`~ai_protocols.session.names.left_path`: the version
    this tool wrote last before it), that is of ``newer``'s session and whose write
    record (``UPDATED_AT``, which only the tool's writes change) ``newer`` carries: the
    version ``newer``, a copy put back by ``git checkout`` (or from an editor's backup,
    never committed) and maybe edited by hand, descends from; ``None`` when none is.
    The base of a put-back copy's merge into an archive not committed yet, by the rule
    :func:`_archive_base` follows for a committed one (docs/decisions.md, "Issue 14,
    sixteenth round (stale saves and put-back copies)", "Issue 14, seventeenth round
    (stale saves)"). Runs git up to three times: ``merge-kept`` only."""
    mine = _props_of(newer)
    if not mine or not mine.get("UPDATED_AT"):
        return None
    folder, name = parent(path), path.rsplit("/", 1)[-1]

    def kept_there() -> bytes | None:
        try:
            return storage.read_regular(left) if left else None
        except (OSError, storage.NotRegular):
            return None

    for version in (lambda: git_version(folder, f":./{name}"),
                    lambda: _committed(path, newer, newer, carried=True), kept_there):
        found = version()
        theirs = _props_of(found) if found else None
        if theirs and theirs.get("UPDATED_AT") == mine["UPDATED_AT"] and \
                one_session(theirs, mine):
            return found
    return None


def _committed(path: str, older: bytes, newer: bytes,
               held: set[str] | None = None, *, since: str = "HEAD",
               carried: bool = False) -> bytes | None:
    """The newest version of the file at ``path`` that a commit reachable from ``HEAD``
    holds and that both ``older`` and ``newer`` derive from
    (:func:`ai_protocols.session.merge.base_rank`: the one ``older`` carries the write
    record of first, as git put it back and a person edited it; else the newest each
    holds every entry of), among the last
    :data:`_BASES` commits that changed it (``git log --raw``, then one ``git cat-file
    --batch``); ``None``: none is, no commit, untracked, no git. ``held``: entries
    (:func:`~ai_protocols.session.rollover.held_entries`) taken out of ``older`` and
    ``newer``, and so out of each committed version before it is ranked (a version
    from before a rollover holds the entries it moved); the version returned is so
    taken out too. ``since``: the commit whose history is looked through
    (:func:`_archive_base`'s); ``carried``: the newest version that is of ``newer``'s
    session (:func:`~ai_protocols.session.layout.one_session`) and whose
    ``UPDATED_AT`` ``newer`` carries is returned first, whatever entries it holds."""
    from ai_protocols.session.merge import base_rank, without_held

    mine = _props_of(newer) if carried else None
    found = None
    versions = _history(path, [since])
    if held:
        versions = [without_held(blob, held)[0] for blob in versions]
    if mine and mine.get("UPDATED_AT"):
        written = _written_with(path, versions, mine, since, held)
        if written is not None:
            return written
    for blob in versions:
        rank = base_rank(blob, older, newer)
        if rank == 2:  # (the version whose record older carries: the tool's write of it)
            written = _written_with(path, versions, _props_of(older) or {}, since, held)
            return written if written is not None and \
                base_rank(written, older, newer) == 2 else blob
        if rank == 1 and found is None:
            found = blob
    return found


def _written_with(path: str, versions: list[bytes], props: dict[str, str], since: str,
                  held: set[str] | None = None) -> bytes | None:
    """The version of the session file at ``path`` that the tool wrote with the write
    record (``UPDATED_AT``) of ``props`` (a session headline's properties), among
    ``versions`` (of ``since``'s history, newest first) and, when one of those carries
    it and ``since`` is ``HEAD``, the versions ``HEAD``'s and the branches' reflogs
    reach (:func:`_history`: the commit a rebase replayed is no longer in ``HEAD``'s
    history): :func:`~ai_protocols.session.merge.written_among`, the one all others
    carrying it hold. ``held``: entries taken out of each (:func:`_committed`'s).
    ``None`` when none carries it. Runs git twice more only when one does."""
    from ai_protocols.session.merge import without_held

    stamp = props.get("UPDATED_AT")

    def carrying(found: list[bytes]) -> list[bytes]:
        return [v for v in found if (theirs := _props_of(v)) and
                theirs.get("UPDATED_AT") == stamp and one_session(theirs, props)]

    mine = carrying(versions) if stamp else []
    if not mine:
        return None
    if since == "HEAD":
        more = _history(path, ["--reflog"])
        if held:
            more = [without_held(blob, held)[0] for blob in more]
        mine += [v for v in carrying(more) if v not in mine]
    from ai_protocols.session.merge import written_among

    return written_among(mine) or mine[0]


def _history(path: str, revs: list[str]) -> list[bytes]:
    """The versions of the file at ``path`` that the last :data:`_BASES` commits that
    changed it, from ``revs`` (``git log`` arguments: ``HEAD``, ``--reflog``...), hold,
    newest first (:func:`~ai_protocols.git.state.history_versions`, after each commit)."""
    from ai_protocols.git.state import history_versions

    return history_versions(parent(path), path.rsplit("/", 1)[-1], revs, _BASES, before=False)


def _props_of(data: bytes) -> dict[str, str] | None:
    """The session headline's properties of the session file bytes ``data`` (its head
    only: :func:`~ai_protocols.session.layout.head_of`); ``None`` when it holds none."""
    headline = head_of(data)
    return None if headline is None else dict(headline.properties.items())


def _kept_is_later(file: bytes, kept: bytes) -> bool:
    """Whether the kept copy's last write came after the file's (:func:`written_later`
    of their session headlines); ``True`` when either has none to compare by."""
    stamps = []
    for data in (kept, file):
        headline = session_headline(OrgFile(data.decode("utf-8", "replace")))
        if headline is None:
            return True
        props = headline.properties
        stamps.append((props.get("UPDATED_AT"), parse_timestamp(props.get("UPDATED", ""))))
    return written_later(*stamps)


def written_later(kept: tuple[str | None, datetime | None],
                  file: tuple[str | None, datetime | None]) -> bool:
    """Whether the write that left ``kept`` (its ``UPDATED_AT`` and ``UPDATED``, as
    :class:`~ai_protocols.session.model.Session` reads them) came after the one that left
    ``file``: by ``UPDATED_AT`` when both have one
    (:func:`~ai_protocols.session.stale_commit.older_record`, the one rule: two writes
    in one second differ in their seconds since boot; a tie of two records counts the
    file older), else by ``UPDATED`` (minutes). The
    one rule :func:`editing` (which refuses to write into an older version) and the read
    commands' warning (:func:`ai_protocols.session.resume.replaced_warning`) apply."""
    (kept_at, then), (file_at, now) = kept, file
    if Moment.parse(kept_at) is not None and Moment.parse(file_at) is not None:
        # Another write's record, and not a later one: the file is an older version.
        return older_record(file_at, kept_at)
    return then is not None and now is not None and then > now


class _Stored:
    """Where git holds the version of a session file this tool wrote last, when an older
    one was put back: ``blob``, its object id; ``where``, the refs whose history holds
    it, said for a person (``branch main``, ``tag v1``, ``the stash``...);
    ``stash_only``: no ref but ``refs/stash`` (a ``git stash`` took it: ``git stash
    pop`` brings it back, once this write is committed)."""

    __slots__ = ("blob", "last_head", "other", "reflog_only", "stash_only", "where")

    def __init__(self, blob: str, where: str, stash_only: bool) -> None:
        self.blob, self.where, self.stash_only = blob, where, stash_only
        #: ``(GIT_BRANCH, GIT_COMMIT)`` the version written last records: where ``HEAD``
        #: was at the last write, which a ``moved:`` line starts from (issue 14, twelfth
        #: round: not the older file's record).
        self.last_head: tuple[str | None, str | None] | None = None
        #: No ref reaches it, only a reflog (HEAD's after a reset, an older stash
        #: entry's): a write over it is refused, as for a version git never held.
        self.reflog_only = False
        #: The file holds another session than that version (a switch to a branch with
        #: a session of its own): said so, not "an older version".
        self.other = False


def _ref_names(refs: list[str]) -> tuple[str, bool]:
    """``refs`` (full names, git-for-each-ref(1)) said for a person, at most three
    named, and whether the stash is the only one. No ref at all: the commit a
    detached ``HEAD`` is on (``git log --all`` takes ``HEAD`` too)."""
    said = []
    for ref in refs:
        for prefix, kind in (("refs/heads/", "branch "), ("refs/tags/", "tag "),
                             ("refs/remotes/", "remote-tracking branch ")):
            if ref.startswith(prefix):
                said.append(kind + ref[len(prefix):])
                break
        else:
            said.append("the stash (git stash list)" if ref == "refs/stash" else ref)
    if not said:
        return "the commit HEAD is on (detached)", False
    more = f" and {len(said) - 3} more refs" if len(said) > 3 else ""
    return ", ".join(said[:3]) + more, refs == ["refs/stash"]


def _stored_in_git(path: str, kept: str) -> _Stored | None:
    """Where git holds ``kept`` (the version this tool last wrote of the session file at
    ``path``): its blob, when a commit reachable from a ref holds it (a branch, a tag,
    the stash, HEAD; the reflogs aside), and the refs that reach that commit; else
    ``None``: then the version on disk replaced one that git keeps (a branch switch,
    ``git stash``), and writing to it loses nothing; a reset past the commit that held
    it leaves it to the reflog alone, which does not count. Runs git four times, only
    when the file is not the kept copy and is older than it. The blob is hashed as git
    would hash it at ``path`` (its attributes' filters applied: git-hash-object(1)
    ``--path``); ``None`` too when git cannot say."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    env = git_env()
    folder, name = parent(path), path.rsplit("/", 1)[-1]
    try:
        blob = GitRun(["git", "-C", folder, "hash-object", f"--path={name}", "--", kept],
                      env, None).wait().decode("ascii", "replace").strip()
        if not blob:
            return None
        GitRun(["git", "-C", folder, "cat-file", "-e", blob], env, None).wait()  # (or fails)
        # Reachable from a branch, a tag or the stash (git-log(1) --all: the refs and
        # HEAD, not the reflogs): a commit of them brought the blob in (-m: a merge's
        # own result too). A blob that only the reflog holds (git reset --hard HEAD~
        # after the commit) is gone at the next gc, and git never shows it again.
        found = GitRun(["git", "-C", folder, "log", "--all", "-m", "--format=%H", "-1",
                        f"--find-object={blob}", "--", name], env, None).wait()
        commit = found.decode("ascii", "replace").strip().split("\n")[0]  # (-m: a line
        if not commit:  # per parent of a merge, the stash's own commit too)
            # Only a reflog may hold it (git log --reflog: every reflog's commits).
            found = GitRun(["git", "-C", folder, "log", "--reflog", "-m", "--format=%H",
                            "-1", f"--find-object={blob}", "--", name], env, None).wait()
            if not found.strip():
                return None
            stored = _Stored(blob, "a reflog only", False)
            stored.reflog_only = True
            return stored
        refs = GitRun(["git", "-C", folder, "for-each-ref", "--contains", commit,
                       "--format=%(refname)"], env, None).wait()
    except GitFailed:
        return None
    return _Stored(blob, *_ref_names(refs.decode("utf-8", "replace").split("\n")[:-1]))


def _refuse_unmerged(ai_dir: str, path: str) -> None:
    """:class:`~ai_protocols.errors.Unmerged` when git's index holds the session file
    ``path`` unmerged (:func:`unmerged`): a write would become what ``git add`` records,
    the other side of the merge lost (docs/git.md)."""
    found = unmerged(ai_dir, path)
    if found is not None:
        raise found


def unmerged(ai_dir: str, path: str, what: str = "session context") -> Unmerged | None:
    """The :class:`~ai_protocols.errors.Unmerged` error for the file ``path`` (a session
    file under ``ai_dir``, or the task board: ``what`` says which, as
    :class:`~ai_protocols.errors.MergeConflict` does) when git's index holds it unmerged,
    with what git left and how to resolve it; ``None`` when it does not, or git cannot
    say. The index is read (``git ls-files --unmerged``, git-ls-files(1): stage 1 the
    common ancestor, 2 ours, 3 theirs) only while a merge, rebase, cherry-pick or revert
    is under way (:func:`ai_protocols.git.head.merging`, a few ``stat`` calls): a
    command in a quiet repository runs no git. A conflict ``git stash pop`` or ``git
    checkout -m`` left is not seen (git leaves no such name then): a modify/delete there
    is one git reports on the spot. Nor is a file both sides changed that holds conflict
    markers: the readers' :class:`~ai_protocols.errors.MergeConflict` says that one
    (issue 14, twelfth round: a second warning said "without conflict markers")."""
    from ai_protocols.git.head import merging

    folder = parent(path)
    if not merging(folder):
        return None
    stages = _stages(path)
    if not stages or (stages >= {2, 3} and _marked(path)):
        return None  # (conflict markers: the reader's MergeConflict says it, one advice)
    return Unmerged(path, tuple(sorted(stages)), _unmerged_advice(ai_dir, path, stages, what),
                    what)


def _stages(path: str) -> set[int]:
    """The stages (1 the common ancestor, 2 ours, 3 theirs) git's index holds of the
    file ``path`` (``git ls-files --unmerged``, git-ls-files(1)); empty when none, or
    git cannot say. One git run."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    folder, name = parent(path), path.rsplit("/", 1)[-1]
    try:
        out = GitRun(["git", "-C", folder, "ls-files", "--unmerged", "-z", "--",
                      f":(literal){name}"], git_env(), None).wait()
    except GitFailed:
        return set()
    stages = set()
    for line in out.split(b"\0"):
        fields = line.split(b"\t", 1)[0].split()
        if len(fields) == 3 and fields[2] in (b"1", b"2", b"3"):
            stages.add(int(fields[2]))
    return stages


def _driver_marked(path: str, text: str | None) -> bool:
    """Whether the conflict markers in the file ``path`` (``text``, its text, when the
    caller has it) are the merge driver's: its first opening marker line is labelled
    ``ours``, as the driver labels its sides
    (:func:`~ai_protocols.session.merge.run_merge_driver`), where git's own merge labels
    them ``HEAD`` or a commit, branch or stash name (git-merge(1), "How conflicts are
    presented"). ``False`` when it cannot be read."""
    if text is None:
        try:
            text = storage.read_regular(path).decode("utf-8", "replace")
        except (OSError, storage.NotRegular):
            return False
    lines = conflict_marker_lines(text)
    if not lines:
        return False
    line = text.splitlines()[lines[0] - 1]
    return line.startswith("<") and line.lstrip("<").strip() == "ours"


def remerge_advice(path: str, configured: bool = False, text: str | None = None) -> str | None:
    """The command that merges the file ``path``, which holds git's conflict markers,
    again through the merge driver (``git checkout -m``, git-checkout(1): "recreate the
    conflicted merge in the specified paths", from the stages git's index still holds),
    for :class:`~ai_protocols.errors.MergeConflict`: a merge made before the driver was
    configured (a fresh clone's first pull: git clones no local configuration) is then
    made entry by entry, as later ones are. When the clone's configuration still lacks
    the driver (``status`` configures nothing), ``ai-protocols init`` first; when the
    caller has just ``configured`` it (``start``), or configured it since git merged
    (the markers are git's own, not the driver's: :func:`_driver_marked`; ``text``: the
    file's text, when the caller has it), the command alone. ``None`` when the driver
    made the markers (they are where both sides changed the same lines: merging again
    gives them again), no merge is under way or the index does not hold both sides (a
    few ``stat`` calls; one git run while a merge is under way). Issue 14, fifteenth
    round; issue 15, twentieth round (a driver configured after git merged)."""
    from ai_protocols.git.head import merging
    from ai_protocols.paths import merge_driver_missing

    missing = merge_driver_missing(parent(path)) is not None
    if not merging(parent(path)) or \
            not (missing or configured or not _driver_marked(path, text)) or \
            not {2, 3} <= _stages(path):
        return None
    q = shell_quote(path)
    again = f"'git checkout -m -- {q}' merges it again through the merge driver, entry " \
            f"by entry, then 'git add {q}'"
    if missing:
        return (f"the merge driver was not configured in this clone when git merged it (git "
                f"does not clone it): run 'ai-protocols init' (or 'ai-protocols start', "
                f"which configures it), then {again}")
    return again


def _marked(path: str) -> bool:
    """Whether the file ``path`` holds git's conflict marker lines
    (:func:`~ai_protocols.session.text.conflict_marker_lines`): a conflict git's merge
    (or the driver's fallback, git merge-file) wrote into it, which the readers refuse
    with :class:`~ai_protocols.errors.MergeConflict` and its advice. ``False`` when it
    cannot be read."""
    try:
        return bool(conflict_marker_lines(storage.read_regular(path).decode("utf-8",
                                                                            "replace")))
    except (OSError, storage.NotRegular):
        return False


def unmerged_warning(ai_dir: str, path: str) -> str | None:
    """The warning the read commands (``show``, ``status``, ``resume``, ``start``, the
    SessionStart hook) give while git's index holds the session file ``path`` unmerged
    (:func:`unmerged`): what git left, how to resolve it, and that nothing writes into
    it until then; ``None`` otherwise (a few ``stat`` calls outside a merge)."""
    found = unmerged(ai_dir, path)
    if found is None:
        return None
    return f"{found.advice}; nothing writes into this session file until then"


def unmerged_others(ai_dir: str) -> str | None:
    """The warning ``start`` and ``status`` give while git's index holds unmerged any file
    of ``ai_dir`` that is no live session file nor the task board (their own readers say
    those, :func:`unmerged_warning`): an earlier-entries file (``history/``, an archive's
    folder), an archive of ``sessions/``. A merge where one clone wrapped the session up
    and the other rolled it over can stop on such a file (docs/merge-driver.md,
    "Earlier-entries files"). ``None`` outside a merge, rebase, cherry-pick or revert
    (:func:`ai_protocols.git.head.merging`, a few ``stat`` calls), or when git cannot
    say."""
    from ai_protocols.git.head import merging

    if not merging(ai_dir):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        out = GitRun(["git", "-C", ai_dir, "ls-files", "--unmerged", "-z", "--", "."],
                     git_env(), None).wait()
    except GitFailed:
        return None
    found: list[str] = []
    stages: dict[str, set[bytes]] = {}
    live: list[str] = []
    for line in out.split(b"\0"):
        fields, tab, name = line.partition(b"\t")
        below = os.fsdecode(name).split("/")  # (relative to ai_dir: git's way, "/")
        path = join(ai_dir, "/".join(below))
        stages.setdefault(path, set()).add(fields.split()[-1] if fields.split() else b"")
        if not tab or below in (["session-context.org"], ["tasks.org"]) or \
                (len(below) == 2 and below[0] == "session-context.d"):
            if tab and below != ["tasks.org"] and path not in live:
                live.append(path)
            continue  # (said by their own readers)
        if path not in found:
            found.append(path)
    if not found:
        return None
    twice = _archived_twice(ai_dir, found, stages, live)
    if twice is not None:
        return twice
    named = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    it = "it" if len(found) == 1 else "them"
    return (f"git's index holds unmerged {named} (a merge stopped on {it}): what "
            f"{'it is' if len(found) == 1 else 'each is'} and how to finish is in the "
            f"merge's output and 'git status'; resolve, then 'git add' {it} and commit")


def _archived_twice(ai_dir: str, found: list[str], stages: dict[str, set[bytes]],
                    live: list[str]) -> str | None:
    """The advice for one session both clones closed (a wrap-up or an abandon on each),
    each into an archive of its own name: git's rename detection pairs the live file
    with both archives (rename/rename: the live path deleted on both sides, each
    archive added by one) and writes the merge driver's result, the one merged
    session, into both. ``found``: the unmerged paths of ``ai_dir``'s archives and
    other files, ``stages`` each unmerged path's stages, ``live`` the unmerged live
    session files. Of archives of ``sessions/`` that git holds at one stage (added by
    one side) and whose bytes are alike, the first by name (names start with the
    minute the session ended, in UTC: the earlier closing; the same choice on every
    clone) is kept; the commands remove the others and the live file's removed entry
    (both sides removed it) and go on with the operation (docs/merge-driver.md,
    "Both clones closed the session"). ``None`` when there are no two such archives.
    Raises nothing of its own."""
    sessions = join(ai_dir, "sessions")
    alike: dict[bytes, list[str]] = {}
    for path in found:
        if parent(path) != sessions or not path.endswith(".org") or \
                len(stages.get(path, ())) != 1 or b"1" in stages[path]:
            continue
        try:
            alike.setdefault(storage.read_regular(path), []).append(path)
        except (OSError, storage.NotRegular):
            continue
    groups = [sorted(paths) for paths in alike.values() if len(paths) > 1]
    if not groups:
        return None
    gone = [path for path in live if stages.get(path) == {b"1"}]
    go_on = _go_on(ai_dir)
    said, commands = [], []
    for keep, *others in groups:
        said.append(f"{', '.join([keep, *others])} each hold the one merged session (every "
                    f"entry once, each side's closing in its Log): keep {keep} (the first by "
                    f"name: the earlier closing)")
        commands += [f"git rm -q -- {' '.join(shell_quote(p) for p in others)}",
                     f"git add -- {shell_quote(keep)}"]
    commands += [f"git rm -q --cached -- {shell_quote(p)}" for p in gone] + [go_on]
    marked = [group[0] for group in groups if _marked(group[0])]
    return ("both clones closed one session, each into an archive of its own name, and "
            f"git stopped on them (rename/rename): {'; '.join(said)}, and remove the "
            + ("others" if len(found) > 2 else "other")
            + (f", once you have resolved the conflict markers in {', '.join(marked)}"
               if marked else "")
            + f", with: {' && '.join(commands)} (then 'ai-protocols list' shows the session "
            "once)")


def _go_on(folder: str) -> str:
    """The command that finishes the git operation stopped in the repository around
    ``folder`` once its conflicts are resolved (:func:`ai_protocols.git.head.operation`):
    ``git rebase --continue``, ``git cherry-pick --continue``, ``git revert
    --continue``, ``git am --continue``; ``git commit --no-edit`` for a merge (or
    none). A few ``stat`` calls."""
    from ai_protocols.git.head import operation

    return {"rebase": "git rebase --continue", "cherry-pick": "git cherry-pick --continue",
            "revert": "git revert --continue", "am": "git am --continue"}.get(
        operation(folder) or "", "git commit --no-edit")


def _left_by(folder: str) -> str:
    """Who left a file unmerged in the repository around ``folder``, for a message: ``the
    git rebase under way`` (and ``merge``, ``cherry-pick``, ``revert``, ``am``:
    :func:`ai_protocols.git.head.operation`), ``git's merge`` when none is under way.
    A few ``stat`` calls."""
    from ai_protocols.git.head import operation

    what = operation(folder)
    return f"the git {what} under way" if what else "git's merge"


def _sides(folder: str) -> tuple[str, str]:
    """How a message names git's two sides of an unmerged file (its stages 2 and 3) in
    the repository around ``folder``: ``("this side", "the other side")``, but during a
    rebase, where stage 2 is the branch the commits are replayed onto and stage 3 the
    commit being replayed (git-rebase(1), "ours" and "theirs" swapped), those. A few
    ``stat`` calls."""
    from ai_protocols.git.head import operation

    if operation(folder) == "rebase":
        return "the branch being rebased onto", "the commit being replayed"
    return "this side", "the other side"


def _abort_with_archive(folder: str, archive: str) -> str:
    """How to give up the git operation under way in the repository around ``folder``
    once ``merge-kept`` wrote into ``archive`` (changes git has not staged), said as
    each abort behaves (tested by running each: docs/decisions.md, "Issue 14, eighteenth
    round (restore)"). ``git rebase --abort`` resets the work tree to the branch as it
    was (git-rebase(1)): it goes through and drops the write. ``git merge --abort``,
    ``git cherry-pick --abort``, ``git revert --abort`` and ``git am --abort`` reset as
    ``git reset --merge`` does (git-reset(1)): a file with unstaged changes is kept as it
    is when its index entry is ``HEAD``'s (the archive this side committed), else the
    abort refuses ("Entry ... not uptodate": the archive the operation brought), and the
    archive is put back first. ``""`` when no operation is under way. One ``git
    diff-index`` run (only for the latter)."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import operation
    from ai_protocols.git.spawn import GitRun, git_env

    what = operation(folder)
    if what is None or what == "bisect":
        return ""
    abort, q = f"git {what} --abort", shell_quote(archive)
    if what == "rebase":
        return (f" To give up the rebase instead, '{abort}' goes through as it is: it puts "
                f"the branch back as it was before the rebase and drops this write (what it "
                f"merged is in the commits on either side)")
    try:  # (named: the index's entry of the archive differs from HEAD's, or HEAD lacks it)
        kept = not GitRun(["git", "-C", folder, "diff-index", "--cached", "--name-only",
                           "HEAD", "--", f":(literal){archive}"], git_env(), None).wait().strip()
    except (GitFailed, OSError):
        kept = False
    if kept:
        return (f" To give up the {what} instead, '{abort}' goes through and keeps this "
                f"write in the archive, a change not committed (the archive is HEAD's: "
                f"'git checkout -- {q}' after it drops the write)")
    return (f" To give up the {what} instead, put the archive back first ('{abort}' refuses "
            f"while it differs from the index: the {what} brought the archive, which HEAD "
            f"does not hold so): 'git checkout -- {q} && {abort}'")


def archived_unmerged(ai_dir: str, path: str,
                      stages: set[int] | None = None) -> tuple[str, int] | None:
    """When git's index holds the session file ``path`` unmerged as a modify/delete
    whose deleting side archived the session (a wrap-up, an abandon, an archiving
    recover, committed in one commit with the entries logged before it, so that the
    archive is past git's 50% rename similarity and git paired no rename, merged
    nothing into it): ``(the archive, the stage of the side that changed the file)``,
    the archive the newest under ``.ai/sessions/`` that holds the file's session
    (:func:`archive_of`: the same ``AGENT_ID``, ``STARTED`` and ``SESSION_ID``), the
    stage 2 (ours changed it: the other side archived it) or 3 (theirs changed it: this
    side archived it; git's sides, so during a rebase "ours" is the branch rebased
    onto). ``None`` otherwise. ``stages``: the stages git holds (:func:`_stages`), when
    the caller read them; else they are read while an operation is under way only (a
    few ``stat`` calls otherwise, :func:`ai_protocols.git.head.merging`). The session is
    read from the work tree's file (the changed side's version, which git leaves
    there), else from the changed side's stage. docs/merge-driver.md, "A session
    archived on one side, changed on the other". Raises nothing of its own."""
    if stages is None:
        from ai_protocols.git.head import merging

        if not merging(parent(path)):
            return None
        stages = _stages(path)
    if stages not in ({1, 2}, {1, 3}):
        return None
    changed = 2 if 2 in stages else 3
    props = _head_properties(path)
    if not props:
        data = git_version(parent(path), f":{changed}:./{path.rsplit('/', 1)[-1]}")
        props = _props_of(data) if data else None
    if not props or not props.get("STARTED"):
        return None
    archive = archive_of(ai_dir, props)
    return None if archive is None else (archive, changed)


def _archived_resolution(path: str, archive: str) -> str:
    """The one command left once the archive ``archive`` holds every entry of the
    session file ``path`` that git's merge left unmerged (:func:`archived_unmerged`):
    ``git rm`` of the file, ``git add`` of the archive, then what finishes the
    operation (:func:`_go_on`), quoted to paste."""
    return (f"git rm -q -- {shell_quote(path)} && git add -- {shell_quote(archive)} && "
            f"{_go_on(parent(path))}")


def _archived_advice(path: str, archive: str, changed: int) -> str:
    """:func:`_unmerged_advice` for a session file git's merge left unmerged whose
    deleting side archived it at ``archive`` (:func:`archived_unmerged`; ``changed``:
    the stage of the side that changed it): when the archive lacks entries of the file,
    ``ai-protocols merge-kept FILE``, which merges them in; else the one command left
    (:func:`_archived_resolution`). Reads both files' entries."""
    q = shell_quote(path)
    where = _abandoned(f"archived to {archive}")
    from ai_protocols.git.head import operation

    # (git's sides: in a rebase, "ours" is the branch rebased onto)
    ours, theirs = ("the branch rebased onto", "the commit being replayed") if \
        operation(parent(path)) == "rebase" else ("this side", "the other side")
    who, other = (theirs, ours) if changed == 2 else (ours, theirs)
    said = (f"{_left_by(parent(path))} left it unmerged (modify/delete): {who} wrapped "
            f"this session up "
            f"({where}) in a commit that changed it too much for git to pair the two "
            f"(no rename found), while {other} changed it; the file holds {other}'s "
            f"version")
    try:
        lacking, holds = archive_lacks(archive, storage.read_regular(path), path)
    except (OSError, storage.NotRegular):
        lacking, holds = -1, ""
    if lacking == 0:
        return (f"{said}, and the archive holds all of it (merged in): "
                f"'{_archived_resolution(path, archive)}' resolves it (removes the file, "
                f"keeps the archive)")
    return (f"{said}, and git merged none of it into the archive: 'ai-protocols "
            f"merge-kept {q}' merges {other}'s entries and changes "
            f"into the archive, as the merge driver merges a session (every entry of both "
            f"once; it writes only the archive), then says the one command left (git rm "
            f"of this file, git add of the archive); 'git rm {q}' alone would leave "
            f"{holds or 'its entries'} in git's history only, and 'git add {q}' keeps it "
            f"as a live session (which then lives on twice, here and in the archive)")


def _merge_unmerged_archive(ai_dir: str, path: str, archive: str, changed: int) -> int:
    """``merge-kept`` of the session file ``path`` that git's merge left unmerged, its
    deleting side having archived the session at ``archive`` (:func:`archived_unmerged`;
    ``changed``: the stage of the side that changed the file). The merge git would have
    made had it paired the rename: the merge driver's
    (:func:`ai_protocols.session.merge.merge_session_bytes`) of the common ancestor
    (stage 1), ours and theirs (the file in the work tree for the changed side, else its
    stage; the archive for the other), written atomically into the archive, the only
    file written; the kept copy is dropped when it is the file (this tool's last write of
    it: every line of it is in the archive now). Says on stderr what was written and the
    one command left (:func:`_archived_resolution`). Returns how many entries the
    archive gained. Raises :class:`~ai_protocols.errors.KeptNotMerged` (nothing written)
    when git holds no common ancestor, the three are not one session the driver merges,
    both sides changed the same lines (a conflict), or an entry either side added would
    be missing; :class:`~ai_protocols.errors.BeingEdited` while a person edits either
    file in Emacs. Call holding ``path``'s lock and the archive folder's."""
    from ai_protocols.errors import KeptNotMerged
    from ai_protocols.session.merge import entries_lacking, merge_session_bytes

    storage.refuse_symlinks(parent(ai_dir), archive)
    refuse_if_edited(path)
    refuse_if_edited(archive)
    folder, name = parent(path), path.rsplit("/", 1)[-1]
    try:
        mine = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        mine = git_version(folder, f":{changed}:./{name}")
    base = git_version(folder, f":1:./{name}")
    by_hand = (f"B=$(git -C {shell_quote(folder)} rev-parse --path-format=absolute "
               f"--git-path ai-base.org) && git -C {shell_quote(folder)} show :1:./"
               f"{shell_quote(name)} > \"$B\" && ai-protocols merge-driver \"$B\" "
               f"{shell_quote(archive)} {shell_quote(path)} {shell_quote(archive)}; then "
               f"resolve the conflict markers it leaves in the archive, and "
               f"'{_archived_resolution(path, archive)}'")
    try:
        archived = storage.read_regular(archive)
    except (OSError, storage.NotRegular) as error:
        raise KeptNotMerged(archive, path, f"it cannot be read ({error})",
                            unmerged=by_hand, left_by=_left_by(folder)) from None
    if mine is None or base is None:
        raise KeptNotMerged(archive, path, "git's index holds no common ancestor of them",
                            unmerged=by_hand, left_by=_left_by(folder))
    ours, theirs = (mine, archived) if changed == 2 else (archived, mine)
    merged = merge_session_bytes(base, ours, theirs, place=archive)
    if merged is None or merged.conflicts:
        raise KeptNotMerged(archive, path, "both sides changed the same lines (or they "
                                           "are not three versions of one session)",
                            unmerged=by_hand, left_by=_left_by(folder))
    if entries_lacking(merged.data, mine, also=(base,)) or \
            entries_lacking(merged.data, archived, also=(base,)):
        raise KeptNotMerged(archive, path, "the merge would lack an entry one side added",
                            unmerged=by_hand, left_by=_left_by(folder))
    said, gained = _archive_gained(archive, archived, merged.data)
    if merged.data != archived:
        storage.atomic_write(archive, merged.data)
    kept = kept_path(ai_dir, path)
    try:
        if storage.same_version(os.stat(path, follow_symlinks=False),
                                os.stat(kept, follow_symlinks=False)):
            _unlink(kept)  # (this tool's last write of the file: all in the archive now)
    except OSError:
        pass
    then = _archived_resolution(path, archive)
    warn(f"merged {path}, which {_left_by(parent(path))} left unmerged (modify/delete: one "
         f"side archived the session, the other changed it), into the archive: {said}; now "
         f"'{then}' (removes the file, every entry of it being in the archive, and keeps "
         f"the archive).{_abort_with_archive(parent(path), archive)}" if said else
         f"the archive {archive} holds every entry of {path} already: nothing was "
         f"written; now '{then}' (removes the file and keeps the archive)")
    return gained


def operation_warning(path: str, *, kept: tuple[str, str] | None = None) -> str | None:
    """What to do when the session file ``path``, tracked by git and changed in the work
    tree, meets a git operation stopped half way (:func:`ai_protocols.git.head.operation`:
    a rebase, ``git am``, a merge, a cherry-pick, a revert, a bisect): the command that
    goes on with it refuses, or leaves this change out, while the file has unstaged
    changes (git-rebase(1): ``git rebase --continue`` says "You must edit all merge
    conflicts and then mark them as resolved"; a checkout: "Your local changes to the
    following files would be overwritten"). ``None`` when no operation is under way
    (a few ``stat`` calls), or the file is untracked or unchanged (then one ``git
    ls-files -m``). Every write says it on stderr; ``status``, ``show``, ``resume`` and
    ``start`` warn with it too (docs/git.md). ``None`` also when the file holds
    conflict markers: the readers' :class:`~ai_protocols.errors.MergeConflict` is then
    the one advice (issue 14, twelfth round). ``kept``: for a file that is no session
    file (the task board's writes, ``board.Board.editing``), ``(what its changes are
    called, what brings them back after git put its version over them)``, the session
    file's words otherwise."""
    from ai_protocols.git.head import operation

    folder = parent(path)
    what = operation(folder)
    if what is None:
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    name = path.rsplit("/", 1)[-1]
    try:  # (-m: tracked, and changed against the index; an untracked file is not listed)
        out = GitRun(["git", "-C", folder, "ls-files", "-m", "-z", "--",
                      f":(literal){name}"], git_env(), None).wait()
    except GitFailed:
        return None
    if not out.strip(b"\0") or _marked(path):
        return None
    q = shell_quote(path)
    said = f"a git {what} is under way in this repository, and {path} has changes git has " \
           "not staged"
    # Whatever git puts back over them (an abort, a bisect's checkouts), what this session
    # logged stays in the copy ai-protocols keeps, and merge-kept merges it back in.
    changes, back = kept or (
        "this session's entries", f"'ai-protocols merge-kept {q}' merges back in what this "
        "session logged (kept in .ai/.locks/live/)")

    def abort(command: str) -> str:  # (git refuses some aborts while the file has changes)
        return (f"to abort it instead, 'git checkout -- {q}' ({changes} stay in "
                f"the copy ai-protocols keeps), '{command}', then {back}")

    if what == "rebase":
        return (f"{said}: 'git rebase --continue' refuses while it has them ('You must edit "
                f"all merge conflicts...'); run 'git add {q}' ({changes} then go "
                "into the commit being replayed), then 'git rebase --continue'; "
                f"{abort('git rebase --abort')}")
    if what == "bisect":
        return (f"{said}: 'git bisect good', 'bad' or 'skip' (and 'git bisect reset') check "
                "out another commit, which git refuses where that commit's version of the "
                f"file differs ('Your local changes ... would be overwritten'): put git's "
                f"back with 'git checkout -- {q}' ({changes} stay in the copy "
                f"ai-protocols keeps), and once 'git bisect reset' has run, {back}; "
                f"{'log' if kept is None else 'change the board'} nothing in between")
    go_on = {"merge": "'git commit' (or 'git merge --continue')",
             "am": "'git am --continue'", "cherry-pick": "'git cherry-pick --continue'",
             "revert": "'git revert --continue'"}[what]
    return (f"{said}: {go_on} makes its commit without them, and a later step that "
            f"changes the file stops on them ('Your local changes ... would be "
            f"overwritten'); run 'git add {q}' first to put them in that commit, or commit "
            f"the file after it; {abort(f'git {what} --abort')}")


def _unmerged_advice(ai_dir: str, path: str, stages: set[int], what: str) -> str:
    """What git's ``stages`` of the unmerged file ``path`` mean, and how to resolve it;
    the sides named as :func:`_sides` names them."""
    q = shell_quote(path)
    by = _left_by(parent(path))
    ours, theirs = _sides(parent(path))
    board = what != "session context"
    lost = f"{theirs}'s tasks and claims" if board else f"what {theirs} logged"
    if 2 in stages and 3 in stages:  # both sides changed it, and no driver merged them
        return (f"{by} left it unmerged without conflict markers: when the merge "
                f"driver did not run (git said why: a driver program not found?), the file "
                f"holds {ours}'s version only, without {lost}; run 'ai-protocols init' "
                f"(it installs the merge driver again), then 'git checkout -m {q}' "
                f"merges it again, then 'git add {q}' once it holds both sides; or "
                f"merge it by hand, then 'git add {q}'")
    if stages == {1}:  # deleted by both (git status: DD): each clone closed and archived it
        return (f"{by} left it unmerged (both deleted): each side removed it (both "
                f"clones closed the session and archived it: 'ai-protocols status' names the "
                f"archive to keep); 'git rm -q --cached {q}' resolves it, leaving the work "
                f"tree as it is")
    found = None if board else archived_unmerged(ai_dir, path, stages)
    if found is not None:  # (modify/delete, the deleting side archived it)
        return _archived_advice(path, *found)
    if 2 in stages:  # deleted by them (git status: UD)
        return (f"{by} left it unmerged (modify/delete): {theirs} removed it, while "
                f"{ours} changed it; the file holds {ours}'s version. Resolve it: "
                f"'git rm {q}' removes it here too (copy first whatever {ours} "
                f"added that you need), or 'git add {q}' keeps it"
                + ("" if board else " as a live session (which then lives on twice, here "
                   f"and where {theirs} put it)"))
    return (f"{by} left it unmerged (modify/delete): {ours} removed it, while "
            f"{theirs} changed it; the file holds {theirs}'s version. Resolve "
            f"it: 'git rm {q}' keeps it removed ({lost} since then stays only in "
            f"git's history), or 'git add {q}' brings it back"
            + ("" if board else " as a live session"))


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


def refuse_if_edited(path: str) -> None:
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
    lets the body :meth:`~SessionEdit.apply` entries that then wait in the
    pending file. ``held``: the caller holds the locks already
    (:func:`locked_sessions`: a change that needs several files' locks takes
    them all there, in one order). ``new_text``: create the file with this text
    instead of reading it (call holding its lock, having seen there is none).
    ``closed_ok``: open a file a wrap-up closed too. ``first``: the change that may
    refuse its input (``log``'s entries: a ``--done`` that matches nothing), made on
    the file as read, after a rollover is planned (in memory) and before it is
    written, so that bad input makes nothing (issue 16, eleventh round); called again
    on the file read again when the rollover cannot be written. ``as_read``: the file
    as the caller read it just before (:class:`AsRead`), taken when it is unchanged.

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
        self._copies: list[str] = []  # (what a killed rollover left: _settle_strays)
        #: The history folder's files no link names, as read (None: not listed yet).
        self._strays: list[str] | None = None
        #: LEAST movable bytes found unparsed in the file as read (_way_blocked): the
        #: warning that no rollover moves what holds it is not computed (_check_bound).
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
                    edit.rolled_made = _write_earlier(ai_dir, edit.rolled)
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
                said = _replaced_warning(path, replaced, ai_dir)
                edit.operation_said = OPERATION_SAID in said
                edit.replaced_said = "reachable from " in said
                warn(said)
        except BaseException:
            self._release()
            raise
        self._edit, self._waiting = edit, waiting
        return edit

    def _open(self, *, roll: bool
              ) -> tuple[SessionEdit, list[PendingEntry], str | None, _Stored | None]:
        """The file read (its pending entries folded, a rollover planned when ``roll``
        and it is past the bound), why the planned rollover cannot be written
        (:func:`_earlier_blocked`) or ``None``, and where git holds the newer version
        this write goes over (:func:`_refuse_older`) or ``None``."""
        ai_dir, path, new_text, now = self._ai_dir, self._path, self._new_text, self._now
        emacs = live_emacs_lock(path) if new_text is None else None
        if emacs is not None and self._if_edited == "refuse":
            raise BeingEdited(path, emacs.owner)
        read_as = replaced = head = brought = None
        if new_text is None:
            # While Emacs holds the file, the edit is a trial that is never written.
            as_read, self._as_read = self._as_read, None
            doc, read_as = open_session(ai_dir, path, source=emacs is None,
                                        closed_ok=self._closed_ok, as_read=as_read)
            del as_read
            try:
                replaced = _refuse_older(ai_dir, path, doc, read_as)
                if replaced is not None and emacs is None:
                    # (an earlier version than this tool's last, saved from a buffer
                    # opened before it after git brought changes: merged back)
                    from ai_protocols.git.head import read_head

                    head = read_head(parent(ai_dir))
                    brought = _stale_earlier(ai_dir, path, doc, head) or \
                        stale_committed(ai_dir, path, doc, head, read_as)
                    if brought is not None:
                        doc, replaced = brought[0], None
            except SessionReplaced:
                # (a stale buffer saved over this tool's write after a pull: merged back)
                if emacs is not None:
                    raise
                from ai_protocols.git.head import read_head

                head = read_head(parent(ai_dir))
                brought = _stale_over_kept(ai_dir, path, doc, head) or \
                    _stale_earlier(ai_dir, path, doc, head) or \
                    stale_committed(ai_dir, path, doc, head, read_as)
                if brought is None:
                    raise
                doc, replaced = brought[0], None
            _refuse_misplaced(ai_dir, path, doc)
            _refuse_archived(ai_dir, path, doc, read_as)
            waiting = read_pending(path, kept_path(ai_dir, pending_path(path)))
            # (one listdir, which _settle_strays reads at the write: listed once)
            self._strays = unlinked_earlier(ai_dir, path, doc) if emacs is None else None
            regained = _refuse_undone(ai_dir, path, doc, self._strays) \
                if self._strays else []
            if emacs is None and replaced is None:
                # (a few reads of git's files: git runs only when HEAD moved since the
                # file's last write; docs/decisions.md, "Issue 14, fifteenth round")
                from ai_protocols.git.head import read_head

                head = read_head(parent(ai_dir))
                again = _brought_back(ai_dir, path, doc, head, read_as)
                if again is None and brought is None:
                    # (a stale save committed: HEAD's version is the save; else the kept
                    # copy's changes no commit holds, dropped under a newer record:
                    # twenty-second round; a merge back above kept them)
                    again = stale_committed(ai_dir, path, doc, head, read_as) or \
                        _kept_dropped(ai_dir, path, doc, head, read_as)
                if again is not None:  # (a second pull's: said with the first, when both)
                    doc = again[0]
                    brought = again if brought is None else \
                        (doc, f"{brought[1]} and {again[1]}", again[2])
        else:
            doc, waiting, regained = OrgFile(new_text), [], []
            self._strays = None  # (listed at the write, as before)
        at = now if isinstance(now, Moment) else now_moment(now)
        edit = SessionEdit(path, doc, at, emacs)
        edit.read_as = read_as
        edit.head_read = head
        if brought is not None:
            edit.brought = brought[1:]
            edit.note(f"merged back: {brought[1]} {_brought_how(brought[2])} that a save "
                      f"over this file dropped (an editor's buffer opened before git "
                      f"changed the file, saved after)")
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
            # What a rollover killed between its two writes left, told from the file
            # before this plan moves the same entries out of it (_settle_strays).
            copies = sorted_strays(ai_dir, path, doc)[1]
            # A way the earlier file cannot take, while the rollover would move entries
            # (LEAST bytes of them found unparsed): said as the plan's, without making it
            # at every write (issue 16, fourteenth round).
            # (least_movable finds no more than most_movable, read first: a file held by
            # what stays is told so without it, and without its regular expression)
            headline = session_headline(doc)
            may = headline is not None and sum(most_movable(doc, headline).values()) >= LEAST
            self._movable = may and least_movable(doc, headline) >= LEAST
            blocked = _way_blocked(ai_dir, path) if self._movable else None
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
                    blocked = _earlier_blocked(ai_dir, edit.rolled)
                except AiProtocolsError as error:  # a symbolic link on the rollover's way
                    blocked = str(error)
                if edited:
                    _record_superseded(doc, edited)
        if regained and edit.rolled is None:
            # (not when this write rolls over: its plan, made on the file as read, moves
            # those entries (into that very file when the file is as the rollover read
            # it); the strays are then settled at the write, as a killed rollover's)
            edit.doc, edit.relinked = _relink_regained(ai_dir, path, edit.doc, regained)
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
                _drop_earlier(self._ai_dir, [made])
                for folder in {parent(made), *map(parent, _kept_copies(self._ai_dir, made))}:
                    _remove_empty_history(folder)  # (the folders it made, when empty)
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
        _restore_earlier(ai_dir, path, doc)
        drop_carried_leftovers(ai_dir, path)  # (first: they are the archive's, not strays)
        if edit.brought is not None:
            later = "" if edit.brought[1].startswith("HEAD:") else \
                " or before ai-protocols last wrote it"
            warn(f"{path} lacked {edit.brought[0]} {_brought_how(edit.brought[1], True)}"
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
        redundant = _settle_strays(ai_dir, path, doc, self._copies, self._strays)
        _drop_unfinished_carries(ai_dir, path, doc, always=edit.target != path)
        _refuse_unsafe_earlier(ai_dir, path, edit)  # (exit 12 before anything is written)
        if edit.target != path:
            moves, left = relink(ai_dir, doc, path, edit.target, edit.earlier_to)
            for line in left:
                warn(f"the line {quoted(line)} of {path}'s Earlier entries section names no "
                      f"earlier-entries file of this session's: it is left as it is (a "
                      f"relative path made to name the same file from the archive), and "
                      f"what it names is not moved")
            _move(ai_dir, edit, doc.encoded(), moves)
            # (the commit point: what follows tidies up, and a failure there only warns)
            _tidy(edit.target, lambda: _drop_earlier(ai_dir, redundant))
            _tidy(edit.target, lambda: _drop_unlinked_copies(ai_dir, path, doc))
            _tidy(edit.target,
                  lambda: _warn_moved_folder(ai_dir, path, edit.earlier_to, moves))
            if not edit.operation_said:
                _tidy(edit.target, lambda: _warn_operation(edit.target))
            _tidy(edit.target, lambda: _configure_driver(ai_dir))
            return
        if self._new_text is not None:
            _make_folder(parent(path))
        data = doc.encoded()
        say_not_kept(path, kept_path(ai_dir, path),
                      storage.atomic_write(path, data, keep=kept_path(ai_dir, path),
                                          locked=True, keep_link=False, keep_time=True))
        # The commit point: the file is written. What follows tidies up; a failure there
        # warns and never makes the command one that says nothing changed (a retry
        # would write its entries twice): docs/decisions.md, "Issue 14, fourteenth
        # round (merge-kept without a base)".
        size = sum(len(piece) for piece in data)
        # (the bytes read, written: not held while _check_bound reads the edited text,
        # which may join a big section's text: issue 16, fifteenth round)
        del data
        doc.forget_bytes()
        _check_bound(edit, size, self._movable)
        _tidy(path, lambda: _drop_earlier(ai_dir, redundant))  # (a killed rollover's)
        if edit.rolled_made:
            made = edit.rolled_made
            _tidy(path, lambda: _untracked_note(ai_dir, path, made))
        # A session starts again where an old one left (new_text), or a tombstone a
        # failed or killed move left beside the file it never moved: it says nothing now.
        _tidy(path, lambda: drop_carried_leftovers(ai_dir, path))
        _tidy(path, lambda: _drop_tombstone(ai_dir, path))
        kept = kept_path(ai_dir, path)
        if os.path.lexists(kept + REFUSAL_HEAD):  # (a stale save's refusal, settled: one
            _tidy(path, lambda: _drop_refusal_copies(kept))  # lstat when there is none)
        if waiting:  # only now: a kill before this line folds nothing twice (PENDING_FOLDED)
            _tidy(path, lambda: _drop_pending(ai_dir, path))
        if not edit.operation_said:  # (the stash's warning gave one procedure for both)
            _tidy(path, lambda: _warn_operation(path))
        _tidy(path, lambda: _configure_driver(ai_dir))


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
    from ai_protocols.session.layout import is_earlier_name, own_earlier_folder
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
                _unlink(copy)
            except OSError:
                pass


def _warn_moved_folder(ai_dir: str, path: str, folder: str | None,
                       moves: list[tuple[str, str]]) -> None:
    """After an adoption moved the earlier-entries files of ``path`` into the adopter's
    history folder ``folder``: say on stderr that a link elsewhere naming their old
    folder or a file in it (a person's, another archive's) now names nothing, and where
    they are (issue 16, eleventh round: no link breaks unsaid; none is searched for,
    a scan of every file for a rare move)."""
    if not moves or folder is None or \
            os.path.relpath(folder, ai_dir).split(os.sep)[0] != "history":
        return
    old = parent(moves[0][0])
    found = links_into_moved(ai_dir, path, moves)
    where = ""
    if found:
        shown = "; ".join(f"{file} line {number}" for file, number, _ in found[:5])
        lines = counted(len(found), "line", "lines")
        name = "names" if len(found) == 1 else "name"
        where = (f"; {lines} of this project's session files and archives {name} it: "
                 f"{shown}{' ...' if len(found) > 5 else ''} (the first would read "
                 f"{quoted(found[0][2])})")
    warn(f"the earlier-entries files of {path} moved from {old} to {folder} (an "
          f"adoption), and {old} goes once empty: a link elsewhere that names that folder "
          f"or a file in it (in a file of yours, in another session's archive) now names "
          f"nothing; point it at {folder}{where}")


def links_into_moved(ai_dir: str, path: str, moves: list[tuple[str, str]]
                     ) -> list[tuple[str, int, str]]:
    """The lines of this project's session files (``.ai/session-context.org``,
    ``.ai/session-context.d/``) and archives (``.ai/sessions/*.org``), ``path`` aside,
    holding a link Org sees (:func:`~ai_protocols.session.layout.move_links`'s rule:
    bracket, plain and angle links, ``#+INCLUDE:``/``#+SETUPFILE:``/``#+BIBLIOGRAPHY:``
    paths) that names a file ``moves`` (old path, new path: an adoption's, done) took
    away, or their old folder: ``(file, line number from 1, the line as it would
    name the new place)``, in file order. Read only, nothing written (another session's
    file is its own agent's, an archive is closed): said so that a person can point the
    links at the new place. Reads each file; parses only one holding the old folder's
    name. Raises nothing of its own (a file that cannot be read is passed over)."""
    from ai_protocols.session.layout import move_links
    from ai_protocols.session.names import session_files

    if not moves:
        return []
    old_folder, new_folder = parent(moves[0][0]), parent(moves[0][1])
    renamed = {os.path.normpath(os.path.abspath(a)): os.path.normpath(os.path.abspath(b))
               for a, b in moves}
    renamed[os.path.normpath(os.path.abspath(old_folder))] = \
        os.path.normpath(os.path.abspath(new_folder))
    needle = os.path.basename(os.path.normpath(old_folder)).encode("utf-8")
    files = [join(ai_dir, "session-context.org"),
             *session_files(join(ai_dir, "session-context.d"))]
    try:
        files += sorted(join(join(ai_dir, "sessions"), name)
                        for name in os.listdir(join(ai_dir, "sessions"))
                        if name.endswith(".org") and not name.startswith("."))
    except OSError:
        pass
    found: list[tuple[str, int, str]] = []
    for file in files:
        if os.path.normpath(file) == os.path.normpath(path):
            continue
        try:
            data = storage.read_regular(file)
        except (OSError, storage.NotRegular):
            continue
        if needle not in data:
            continue
        doc = OrgFile(data.decode("utf-8", "replace"))
        before = list(doc.lines)
        folder = parent(file)
        move_links(doc, folder, folder, set(), renamed)
        for number, (one, two) in enumerate(zip(before, doc.lines, strict=True), start=1):
            if one != two and needle.decode("utf-8") in one:
                found.append((file, number, strip_ending(two, doc.newline)))
    return found


def _warn_operation(path: str) -> None:
    """:func:`operation_warning` of the file just written, on stderr (issue 14, eighth
    review): the write itself goes on, as git's own commands would let it."""
    said = operation_warning(path)
    if said is not None:
        warn(said)


def _replaced_warning(path: str, stored: _Stored, ai_dir: str) -> str:
    """The warning of a write that goes into an older version of ``path`` than the one
    this tool wrote last, saying where git holds that one (:class:`_Stored`), and, when
    only the stash does, the commands that bring it back with this write's entries:
    ``git stash pop`` refuses while the file has changes of its own (git-stash(1)), so
    this write is committed first, and the pop merges the two versions through the
    session merge driver (docs/git.md). What happened is named as git's files and the
    stash say it (issue 14, eleventh round): a stash, a stash and then a checkout of
    another commit (:func:`stash_moved`), a checkout to a detached ``HEAD``. When the
    stash holds the file untracked (its third parent), the commit advised for a tracked
    one fails (no pathspec matches) and the pop refuses the file here: the commands that
    work instead, which ``status`` gives after the write
    (:func:`ai_protocols.session.resume.untracked_pop`: they merge this write back in,
    so they are said once it is written; issue 14, twenty-fourth round). ``ai_dir``:
    the project's ``.ai`` folder."""
    blob = stored.blob[:12]
    folder = parent(path)
    from ai_protocols.git.head import read_head

    head = read_head(folder)
    detached = head is not None and head[0] is None and head[1] is not None
    if not stored.stash_only:
        what, how = put_back(path, stored)
        if stored.other:
            return (f"{path} holds another session than the one ai-protocols last wrote "
                    f"there: git put {what} here ({how}): it is this branch's session now, "
                    f"and this write goes into it; the one written last is in git as blob "
                    f"{blob}, reachable from {stored.where} (git show {blob})")
        return (f"git put {what} at {path} ({how}); this write goes into it, and the one "
                f"ai-protocols wrote last is in git as blob {blob}, reachable from "
                f"{stored.where} (git show {blob})")
    moved = stash_moved(folder)
    from ai_protocols.git.head import operation

    under_way = operation(folder) if moved is not None else None
    if moved is None:
        back = stash_back(path, detached=detached)
        if stash_untracked(path, stored.blob):  # (no commit of a file git does not track)
            back = (f"the stash holds it as an untracked file (git stash -u), which git "
                    f"stash pop refuses while a file is here and no commit can take: run "
                    f"ai-protocols status (from {parent(ai_dir)}) after this write for the "
                    f"commands that bring it back (the file moved aside, the pop, "
                    f"ai-protocols merge-kept)")
        return (f"{path} is an older version than the one ai-protocols last wrote (git "
                f"stash put it back?); this write goes into it, and the newer one is in git "
                f"as blob {blob} only in the stash (git stash list; git show {blob}); to get "
                f"it back with what is written here: {back}")
    return (f"{path} is an older version than the one ai-protocols last wrote: git stash "
            f"took that one (it is in git as blob {blob}, only in the stash: git stash "
            f"list; git show {blob}), and then HEAD moved off the commit the stash was made "
            f"on ({moved[2]}) to {moved[3]} ({moved_by(under_way)}); this write goes "
            f"into that commit's version of the file. To get the newer one back with what "
            f"is written here: "
            f"{stash_back(path, detached=detached, moved=moved, operation=under_way)}")


def put_back(path: str, stored: _Stored) -> tuple[str, str]:
    """What git put at the session file ``path`` over the version this tool wrote last
    (which git holds: ``stored``, :class:`_Stored`) and what did it, as git's files say
    (:func:`ai_protocols.git.head.read_head`, :func:`~ai_protocols.git.head.operation`):
    the one rule of the Log's ``replaced:`` line and the write's warning
    (:func:`_replaced_warning`). ``HEAD`` on another branch than the one the last write
    recorded (``GIT_BRANCH``, :attr:`_Stored.last_head`): ``("the session file of branch
    B", "a switch from branch A")``, never "an older version" (the file is that branch's,
    not an older one of this). Otherwise ``"an older version of this file"`` and
    ``"git stash"``, ``"the git OP under way"``, ``"a checkout of commit C, HEAD
    detached"``, ``"a git reset or checkout of branch B"`` (``HEAD`` still on the branch
    written on, and its version of the file is the file), :data:`RESTORED` (on that
    branch, its version another: no reset or checkout wrote the file), or ``"a branch
    switch or a reset"`` (no branch recorded). Branch names are quoted
    (:func:`ai_protocols.lean.quoted`). A few ``stat`` and reads of git's files; one
    ``git show`` when on the branch written on."""
    if stored.stash_only:
        return OLDER, "git stash"
    return head_put_back(path, stored.last_head[0] if stored.last_head else None)


def moved_by(operation: str | None) -> str:
    """What moved ``HEAD`` off the commit a stash was made on, for a person: the git
    ``operation`` under way (:func:`ai_protocols.git.head.operation`: a bisect's or a
    rebase's checkouts), else a checkout or switch."""
    return f"the git {operation} under way" if operation else "a git checkout or switch"


def stash_moved(folder: str) -> tuple[str, str | None, str, str] | None:
    """When ``HEAD`` of the work tree around ``folder`` is no longer the commit the
    newest stash entry was made on (its first parent, git-stash(1) "Discussion"): a
    checkout or switch came after the stash. Returns that commit, the branch it was
    made on (from the entry's subject, ``WIP on NAME:`` or ``On NAME:``; ``None`` for
    ``(no branch)``, a detached ``HEAD``), and the two places said for a person (where
    the stash was made, where ``HEAD`` is); ``None`` when ``HEAD`` is that commit, or
    git cannot say. A branch another work tree has checked out
    (:func:`~ai_protocols.git.state.checked_out_at`) is said so and given as ``None``:
    ``git switch`` refuses it here, so the way back is its commit, detached (issue 14,
    nineteenth round). Two or three git runs (only on the way to a warning)."""
    import re

    from ai_protocols.errors import GitFailed
    from ai_protocols.git.head import branch_text, read_head
    from ai_protocols.git.spawn import GitRun, git_env

    head = read_head(folder)
    try:
        base = GitRun(["git", "-C", folder, "rev-parse", "-q", "--verify", "refs/stash^1"],
                      git_env(), None).wait().decode("ascii", "replace").strip()
        subject = GitRun(["git", "-C", folder, "show", "-s", "--format=%s", "refs/stash"],
                         git_env(), None).wait().decode("utf-8", "surrogateescape")
    except GitFailed:
        return None
    if head is None or not base or head[1] == base:
        return None
    found = re.match(r"(?:WIP on|On) ([^:]+):", subject)
    made_on = found.group(1) if found and found.group(1) != "(no branch)" else None
    there = (f"branch {branch_text(made_on)} at {base[:12]}" if made_on else
             f"a detached HEAD at {base[:12]}")
    if made_on:  # (git switch refuses a branch another work tree has checked out)
        from ai_protocols.git.state import checked_out_at

        elsewhere = checked_out_at(folder, made_on)
        if elsewhere is not None:  # (go back to its commit, detached: git switch takes it)
            there += (f", which is checked out in the work tree {quoted(elsewhere, 200)}, "
                      f"where git switch {shell_quote(made_on)} refuses it here")
            made_on = None
    here = (f"a detached HEAD at {head[1][:12]}" if head[0] is None and head[1] else
            f"branch {branch_text(head[0])} at {(head[1] or '')[:12]}" if head[1] else
            f"branch {branch_text(head[0])}, before its first commit")
    return base, made_on, there, here


def stash_back(path: str, commit: bool = True, *, detached: bool = False,
               moved: tuple[str, str | None, str, str] | None = None,
               operation: str | None = None, chained: bool = False) -> str:
    """The commands that bring back the version of the session file ``path`` only the
    stash holds, keeping what was written into the older one since (``commit``: the file
    has changes of its own): ``git stash pop`` refuses while it has them (git-stash(1)),
    so they are committed first, and the pop merges the two versions through the
    session merge driver (docs/git.md). On a detached ``HEAD`` (``detached``) a commit
    belongs to no branch, and a later ``git switch`` leaves it behind: a branch is made
    first (``git switch -c NAME``). When ``HEAD`` moved off the commit the stash was made
    on (``moved``, :func:`stash_moved`), going back there comes first: the file's changes
    put aside (``git checkout --``: they stay in the copy ai-protocols keeps), the switch
    back, the pop, then ``ai-protocols merge-kept`` merges the write back in; staying
    here is the other way. While a git ``operation`` is under way (a bisect, a rebase,
    :func:`ai_protocols.git.head.operation`: it moved ``HEAD``), one procedure: the
    file's changes put aside, the operation ended (``git bisect reset`` goes back where
    it began; ``git rebase --abort`` and the other aborts too: git-bisect(1),
    git-rebase(1)), the pop, ``merge-kept``; no commit in the middle of it. Quoted to
    paste (:func:`~ai_protocols.lean.shell_quote`); with ``chained``, the commit and the
    pop of the plain case joined by ``&&``, to paste after other commands."""
    if operation is not None and moved is not None:
        end = "git bisect reset" if operation == "bisect" else f"git {operation} --abort"
        aside = f"git checkout -- {shell_quote(path)} && " if commit else ""
        return (f"a git {operation} {OPERATION_SAID}, then pop the stash where it was "
                f"made ({end} goes back to where the {operation} began), with: {aside}{end} "
                f"&& git stash pop && ai-protocols merge-kept {shell_quote(path)} (what was "
                f"written here stays in the copy ai-protocols keeps, and merge-kept merges "
                f"it back in); log nothing in between")
    branch = "git switch -c NAME (HEAD is detached: a commit there is on no branch), " \
        "then " if detached and commit else ""
    then = " && " if chained and not branch else ", then "
    first = f"{branch}git commit -m 'Session' -- {shell_quote(path)}{then}" if commit else ""
    here = f"{first}git stash pop (the merge driver merges the two)"
    if moved is None:
        return here
    from ai_protocols.git.head import branch_name

    back = f"git switch {shell_quote(branch_name(moved[1]) or '')}" if moved[1] else \
        f"git switch --detach {moved[0][:12]}"
    aside = f"git checkout -- {shell_quote(path)} (what was written here stays in the copy " \
        "ai-protocols keeps), " if commit else ""
    return (f"either go back to where the stash was made: {aside}{back}, git stash pop, "
            f"then ai-protocols merge-kept {shell_quote(path)} (it merges back in what was "
            f"written here); or stay here: {here}")


def _check_bound(edit: SessionEdit, size: int, movable: bool = False) -> None:
    """Set ``edit.over_bound`` when the write of ``size`` bytes left the file past
    :data:`~ai_protocols.session.rollover.BOUND` and no later write will move entries
    out: every such write (eleventh review: once was not enough, and a file made past
    the bound by hand was never said), but one that leaves at least
    :data:`~ai_protocols.session.rollover.LEAST` movable bytes without rolling them
    over (the next write does). The size is the write's own; what holds the file is
    read only then, as :func:`~ai_protocols.session.rollover.plan` read it. ``movable``:
    :data:`~ai_protocols.session.rollover.LEAST` movable bytes were found in the file
    as read (a write adds entries, and moves none when it does not roll over)."""
    if size <= BOUND:
        return
    rolled = edit.rolled is not None
    if not rolled and movable:
        return
    headline = session_headline(edit.doc)
    most = most_movable(edit.doc, headline) if headline is not None else {}
    # (LEAST movable bytes found unparsed: the next write rolls them; least_movable
    # finds no more than most_movable, so it is read only when that reaches LEAST)
    if not rolled and headline is not None and sum(most.values()) >= LEAST and \
            least_movable(edit.doc, headline) >= LEAST:
        return
    movable, held = held_by(edit.doc, most)
    if rolled or movable < LEAST:
        edit.over_bound = held


def _write_earlier(ai_dir: str, planned: Planned) -> str | None:
    """Write a rollover's earlier-entries file (:mod:`ai_protocols.session.rollover`)
    atomically, fsynced with its folder, under the session file's lock, with a copy
    kept under ``.ai/.locks/live/`` as the session file's is (a hard link: one that git
    removes comes back at the next write, :func:`_restore_earlier`), unless a file of
    its name holds these bytes already (a write killed after this step: its name is
    its content's). Returns its path when this call made it. Raises
    :class:`~ai_protocols.errors.StorageError` (a file of its name with other bytes: a
    person changed it; the file system refused the write: a full disk)."""
    path = planned.path
    kept = _kept_earlier(ai_dir, path)
    storage.discard_partial_writes(path, *([kept] if kept else []))
    try:
        there = storage.read_bytes(path)
    except AiProtocolsError:  # a link, a folder: refused below, as the write fails
        there = None
    if there is not None and planned.same_as(there):
        return None
    if there is not None:
        raise StorageError(path, FileExistsError(
            errno.EEXIST, "an earlier-entries file of this name holds other bytes"))
    _make_folder(parent(path))
    if kept is not None:
        _make_folder(parent(kept))
    say_not_kept(path, kept, storage.atomic_write(path, planned.data, exclusive=True,
                                                   keep=kept, locked=True))
    return path


def say_not_kept(path: str, kept: str | None, error: OSError | None,
                 risk: str | None = None) -> None:
    """The one rule of a kept copy that could not be made: warn on stderr that the
    write of ``path`` is done but its copy ``kept`` could not be given its name
    (``error``: :attr:`~ai_protocols.storage.files.Prepared.keep_error`, or what
    :func:`~ai_protocols.storage.files.atomic_write` returned), what stands there, and
    what the copy is there for, lost until the next write makes it: ``risk``, else
    that ``git clean -fdx`` or ``git stash -u`` would lose what ``path`` holds (issue
    16, thirteenth and fourteenth rounds). Nothing said when ``error`` or ``kept`` is
    ``None``. Every write that keeps a copy says it through here: a session file, an
    earlier-entries file, the pending file beside a session Emacs holds, an adopter's
    file, the task board (:meth:`ai_protocols.board.board.Board`'s writes)."""
    if error is None or kept is None:
        return
    warn(f"{path} is written, but its copy could not be kept in {kept}: "
          f"{_what_stands(kept) or getattr(error, 'strerror', None) or error}; "
          f"move that away, and the next write makes the copy (until then, "
          f"{risk or f'git clean -fdx or git stash -u would lose what {path} holds'})")


def _what_stands(place: str) -> str | None:
    """What stands at ``place`` when it is no regular file (``"a directory stands
    there"``), else ``None``. One ``lstat``."""
    import stat

    try:
        mode = os.lstat(place).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else f"{storage.kind_of(mode)} stands there"


def _settle_strays(ai_dir: str, path: str, doc: OrgFile, known: list[str],
                   listed: list[str] | None = None) -> list[str]:
    """The earlier-entries files of ``path``'s history folder that no link of ``doc``
    names (:func:`~ai_protocols.session.rollover.unlinked_earlier`): each that holds an
    entry found nowhere else and is the tool's is linked again in ``doc``, said on
    stderr (a link line a person deleted: the entries stay the session's, for ``show
    --all`` and the move to the archive); returns those that are provably redundant
    (every entry of theirs in ``doc`` or a linked file: a rollover killed between its
    two writes), and the copies such a rollover left, the file edited since
    (:func:`~ai_protocols.session.rollover.sorted_strays`; ``known``: those told from
    the file before this write's own rollover moved their entries out), said on stderr,
    which the caller removes once the file is written. Any write, not
    only a rollover's: no such file stays for good. One ``listdir`` when there is
    none; none with ``listed`` (those of the history folder's files no link names, as
    the write read them: :meth:`Editing._open`), of which those ``doc`` links now are
    passed over."""
    if listed is None:
        strays = unlinked_earlier(ai_dir, path, doc)
    elif listed:
        linked = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
        strays = [one for one in listed if os.path.normpath(one) not in linked]
    else:
        strays = []
    strays = [s for s in strays if s not in known]
    redundant, copies, others = sorted_strays(ai_dir, path, doc, strays)
    copies = [*known, *copies]
    for copy in copies:
        # (only what is known: a rollover killed before its second write leaves such a
        # file, and so does an older version of the file brought back, git checkout)
        warn(f"{copy} holds a copy of entries of {path}: no link names it, and {path} "
              f"still holds most of its entries, as edited since (a rollover killed "
              f"before its second write, or an older version of {path} brought back, "
              f"leaves such a file): removed, so that no entry is stored twice")
    redundant += copies
    for other in others:
        if link_again(ai_dir, doc, path, other):
            warn(f"{other} holds earlier entries of {path} that no link in it named (a "
                  f"line of its Earlier entries section deleted?): linked again; to drop "
                  f"those entries, remove the file and its line together")
    return redundant


def _refuse_undone(ai_dir: str, path: str, doc: OrgFile, strays: list[str]
                   ) -> list[tuple[str, set[str]]]:
    """The earlier-entries files of ``strays`` (the history folder's files no link of
    ``doc``, the session file ``path`` as read, names) whose entries the file holds
    again (:func:`~ai_protocols.session.rollover.regained_strays`), each with its
    entries: an editor's buffer opened before the rollover and saved after it, an older
    version put back, a rollover killed between its two writes. Raises
    :class:`~ai_protocols.errors.RolloverUndone` (nothing written) when git's ``HEAD``
    holds a newer version that links such a file (:func:`_rolled_in_head`): its entries
    written since are in git only, and ``merge-kept`` merges them (docs/decisions.md,
    "Issue 16, fourteenth round"). Reads each stray; one ``git show`` when one is
    regained; nothing when ``strays`` is empty."""
    from ai_protocols.session.rollover import regained_strays

    regained = regained_strays(ai_dir, path, doc, strays)
    if regained:
        newer = _rolled_in_head(ai_dir, path, doc, [s for s, _ in regained])
        if newer is not None:
            raise RolloverUndone(path, newer[1], newer[0])
    return regained


def _relink_regained(ai_dir: str, path: str, doc: OrgFile,
                     regained: list[tuple[str, set[str]]]) -> tuple[OrgFile, list[str]]:
    """The session file ``path`` (as ``doc``) with its rollover restored, when nothing
    newer holds it (:func:`_refuse_undone` found ``regained``, each earlier file with
    its entries): those entries taken out of the file
    (:func:`~ai_protocols.session.merge.without_held`, every other byte as it was), the
    link put back (:func:`~ai_protocols.session.rollover.link_again`), an entry edited
    since recorded as superseded (:func:`~ai_protocols.session.rollover.regained_edits`),
    so that each entry is stored once and the earlier file and its kept copy stay
    (docs/decisions.md, "Issue 16, fourteenth round"). Returns the file (``doc`` itself
    when none could be linked) and the files linked again."""
    from ai_protocols.session.merge import without_held
    from ai_protocols.session.rollover import regained_edits

    held = set().union(*(entries for _, entries in regained))
    data = b"".join(bytes(piece) for piece in doc.encoded())
    relinked = OrgFile(without_held(data, held)[0].decode("utf-8"))
    linked: list[str] = []
    edited: set[str] = set()
    for stray, _ in regained:
        if link_again(ai_dir, relinked, path, stray):
            linked.append(stray)
            found = _read_or_none(stray)
            if found is not None:
                edited |= regained_edits(OrgFile(found.decode("utf-8", "replace")), relinked)
    if not linked:
        return doc, []
    if edited:
        _record_superseded(relinked, edited)
    return relinked, linked


def _rolled_in_head(ai_dir: str, path: str, doc: OrgFile, earlier: list[str] | None = None
                    ) -> tuple[str, str, bytes] | None:
    """The version of the session file ``path`` that git's ``HEAD`` holds, when it is a
    newer version of the session in ``doc`` (the same ``STARTED``, ``AGENT_ID`` and
    ``SESSION_ID``; written later, :func:`written_later`) and links an earlier-entries
    file of the tool's that ``doc`` does not (one of ``earlier`` when given): a rollover
    committed, then a version from before it saved over the file. ``(where, earlier
    file, bytes)``, ``where`` naming it for a message (``HEAD:./REL``, git's syntax);
    ``None`` otherwise, and outside git. One ``git show``; on a rare path only."""
    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    data = git_version(root, f"HEAD:./{below}")
    if data is None:
        return None
    head = OrgFile(data.decode("utf-8", "replace"))
    theirs, mine = session_headline(head), session_headline(doc)
    if theirs is None or mine is None:
        return None
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    if any(theirs.properties.get(k) != mine.properties.get(k) for k in keys):
        return None
    if not written_later(*((h.properties.get("UPDATED_AT"),
                            parse_timestamp(h.properties.get("UPDATED", "")))
                           for h in (theirs, mine))):
        return None
    have = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
    wanted = None if earlier is None else {os.path.normpath(e) for e in earlier}
    for one in linked_earlier(head, path):
        place = os.path.normpath(one.path)
        if place in have or not named_as_ours(ai_dir, one.path) or \
                (wanted is not None and place not in wanted):
            continue
        return f"HEAD:./{below}", one.path, data
    return None


def _brought_back(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """What git brought into the session file ``path`` (read as ``doc``) and a save over
    it dropped, merged back: ``(the merged document, what it regained said by kind, where
    the newer version is)``, or ``None`` when nothing was dropped.

    The case (docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)"):
    a person's buffer with unsaved changes visits the file; ``git pull`` (the merge
    driver's merge, or a fast-forward) changes the file under it; the person saves,
    answering "yes" to "changed on disk", and the file is the version from before the
    pull plus what they typed. Cheap on every write: only when ``HEAD`` (read from git's
    files, :func:`ai_protocols.git.head.read_head`, no process) is not the commit the
    file records (``GIT_COMMIT``, set at each write that sees ``HEAD`` move), and the
    file (``read_as``, its ``stat`` as read) is not its kept copy (the version this tool
    wrote last, :func:`~ai_protocols.storage.files.same_version`: git or a save, by a
    rename or in place, changed it since; one ``stat``), is
    ``HEAD``'s version of the file read (one ``git show``); nothing more when it is the
    file's bytes, or when ``HEAD`` moved since the commit the file records by commits
    made here only (:func:`~ai_protocols.git.head.below_own_commits`, the reflog's last
    4 KiB: a person's own line, committed, then changed in place, is no change git
    brought). Then what ``HEAD``'s version holds that neither the file nor the kept
    copy holds (:func:`~ai_protocols.session.merge.changes_lacking`: an entry, one an
    earlier-entries file holds aside, a rollover moved it; a tick, a changed entry, a
    state, a property, a Log line, a line: docs/decisions.md, "Issue 14, seventeenth
    round (stale saves)") came through git;
    one more ``git show``, of the file at the commit the kept copy records, leaves out
    those that were committed here before this tool's last write (a person deleted
    them since), and nothing is lacking when the file was made from what git wrote
    (:func:`_saved_after_git`: a deliberate deletion). What is left was dropped: the
    three versions are merged by :func:`merge_stale`, on the version the buffer was
    opened on (:func:`opened_on`: every entry of the kept copy and of ``HEAD``'s kept,
    a person's typed lines and deletions from that version too, checked to drop no line,
    :func:`~ai_protocols.session.merge.lines_dropped`). Raises
    :class:`~ai_protocols.errors.StaleSave` (nothing written) when they do not merge
    cleanly, with the commands that merge them, saying whether those leave conflict
    markers (the driver's merge of the same three,
    :func:`~ai_protocols.session.merge.merge_session_bytes`). ``head``: what
    :func:`~ai_protocols.git.head.read_head` gives for the work tree (read once per write:
    :func:`ai_protocols.session.pause.record_head` reads it again from the edit)."""
    root = parent(ai_dir)
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None or \
            mine.properties.get("GIT_COMMIT") == head[1]:
        return None
    kept = kept_path(ai_dir, path)
    try:
        there = os.stat(kept, follow_symlinks=False)
    except OSError:  # (no kept copy: this tool never wrote here; git's history tells)
        return _stale_unkept(ai_dir, path, doc, head) if read_as is not None else None
    if read_as is None or storage.same_version(there, read_as):
        return None  # (the file is what this tool wrote last: nobody saved over it)
    if not git_moved(root, head, mine.properties.get("GIT_COMMIT")):
        return None  # (HEAD moved by commits made here only: git brought nothing)
    try:
        older = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    below = os.path.relpath(path, root)
    data = b"".join(doc.encoded())
    if _from_refusal(kept, data, head[1]):
        return None  # (the refusal's commands followed: the three merged by a person)
    # (a file that is, byte for byte, the version this tool wrote last is no proof that
    # nobody saved over it: git changed the file since that write (its time is not the
    # kept copy's), and a buffer opened before git's change, a character typed and
    # deleted, or Emacs's "save anyway", puts those bytes back; judged as any other
    # save, merged on the commit recorded, never on the kept copy: docs/decisions.md,
    # "Issue 14, twentieth round (stale saves of an older version)")
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, older):
        return None
    theirs = session_headline(OrgFile(newer.decode("utf-8", "replace")))
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    if theirs is None or any(theirs.properties.get(k) != mine.properties.get(k)
                             for k in keys):
        return None  # (another session: the identity rules speak for it)
    from ai_protocols.session.merge import (
        changes_lacking,
        lines_dropped,
    )

    held = held_entries(ai_dir, path, doc)
    if _changed(changes_lacking(data, newer, held, also=(older,))) <= 0:
        return None
    kept_head = head_of(older)
    recorded = kept_head.properties.get("GIT_COMMIT") if kept_head is not None else None
    # (what was committed here before this tool last wrote is no entry git brought: an
    # entry of it the file lacks is a person's deletion, made since)
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    before = (older,) if committed is None else (older, committed)
    found = changes_lacking(data, newer, held, also=before)
    lacking = _changed(found)
    if lacking <= 0 or _saved_after_git(data, newer, older, held, before):
        return None
    where = f"HEAD:./{below}"
    # (the base: the kept copy, the version the buffer was opened on; a save of that
    # version itself (or the advised ``cp KEPT FILE``) holds nothing typed, and on it
    # the merge would give HEAD's version, dropping what the tool wrote that HEAD
    # lacks: then the commit recorded, where it is the ancestor of both, else what
    # both hold, every entry of either kept)
    merged = merge_stale(path, data, older, newer, committed,
                         committed is not None and below_head(root, recorded))
    if merged is None or lines_dropped(data, merged.data, older, newer) or \
            lines_dropped(newer, merged.data, older, data):
        _refuse_stale(ai_dir, path, data, older, newer, committed, recorded, found)
    return _regained(merged.data, data, found, where)


def _kept_other(kept: str, read_as: os.stat_result | None) -> tuple[bool, bytes | None]:
    """Whether the kept copy ``kept`` (the version this tool wrote last) is there, and its
    bytes when it is a regular file, readable, other than the session file as read
    (``read_as``, its ``stat``: :func:`~ai_protocols.storage.files.same_version`), else
    ``None``: the one guard of :func:`_kept_dropped` and :func:`stale_committed`. Raises
    nothing of its own."""
    try:
        there = os.stat(kept, follow_symlinks=False)
    except OSError:
        return False, None
    if read_as is None or not stat.S_ISREG(there.st_mode) or \
            storage.same_version(there, read_as):
        return True, None
    try:
        return True, storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return True, None


def _kept_dropped(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None] | None,
                  read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """What the kept copy (the version this tool wrote last) holds that no commit holds
    and the session file ``path`` (read as ``doc``) lacks, merged back: ``(the merged
    document, what it regained said by kind, the kept copy's path)``, or ``None`` when it
    lacks nothing of the kind. The case (docs/decisions.md, "Issue 14, twenty-second round
    (the kept copy's uncommitted entries)"): the agent writes after a pull, its entry left
    uncommitted; a buffer opened before that write is saved over the file; then another
    pull (``git pull --autostash`` stashes the save and pops it back through the merge
    driver, or a pull merges the committed save): the merged file carries a newer write
    record than the kept copy's, holds what git brought, and lacks the agent's entry, which
    only the kept copy holds. :func:`_refuse_older` (the file is not older) and
    :func:`_brought_back` (the file lacks nothing ``HEAD``'s version holds) find nothing,
    over one pull or several.

    Only when the file is not the kept copy (one ``stat``, read as ``read_as``), ``HEAD``
    (``head``, :func:`~ai_protocols.git.head.read_head`) moved since the commit the kept
    copy records, not by one's own commits only (:func:`git_moved`: git wrote the file
    since), and the file carries another write record (``UPDATED_AT``, which only the
    tool's writes change) than the kept copy's: a file that carries the kept copy's was
    made from it by a person, and a deletion in it stands. Then what the kept copy holds
    that the file lacks (:func:`~ai_protocols.session.merge.changes_lacking`: an entry, a
    tick, a changed entry, a property, a Log line, a line), less what ``HEAD``'s version,
    the version at the commit the kept copy records, or any version a ref's history holds
    (``git log --full-history --all``: a branch, a tag, the stash) holds: what a commit
    or a stash holds was git's to keep or drop; what none holds was the tool's write
    alone. Nothing when a version in that history carries the kept copy's write record
    (the write, or a person's edit of it, was committed: a deletion there stands). That is
    merged
    back: the file and the kept copy three ways on the version at the commit the kept copy
    records (where ``HEAD``'s history holds it, :func:`below_head`; else on what both hold,
    every entry of either kept), checked to drop no line of either
    (:func:`~ai_protocols.session.merge.lines_dropped`). Raises
    :class:`~ai_protocols.errors.StaleSave` (nothing written) with the commands that merge
    them when that merge is not clean (:func:`_refuse_stale`). Runs git up to five times,
    only when the file lacks some of the kept copy's changes."""
    if head is None or head[1] is None or read_as is None:
        return None
    mine = session_headline(doc)
    older = _kept_other(kept_path(ai_dir, path), read_as)[1] if mine is not None else None
    if older is None:
        return None
    kept_head = head_of(older)
    if kept_head is None:
        return None
    theirs = dict(kept_head.properties.items())
    recorded = theirs.get("GIT_COMMIT")
    root = parent(ai_dir)
    if not recorded or not git_moved(root, head, recorded) or \
            theirs.get("UPDATED_AT") == mine.properties.get("UPDATED_AT") or \
            not one_session(theirs, dict(mine.properties.items())):
        return None
    from ai_protocols.session.merge import (
        changes_lacking,
        lines_dropped,
        merge_diverged_bytes,
    )

    data = b"".join(doc.encoded())
    held = held_entries(ai_dir, path, doc)
    if _changed(changes_lacking(data, older, held)) <= 0:
        return None  # (the file holds every change of the kept copy)
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    committed = git_version(root, f"{recorded}:./{below}")
    known = tuple(v for v in (newer, committed) if v is not None)
    if _changed(changes_lacking(data, older, held, also=known)) <= 0:
        return None
    history = _history(path, ["--full-history", "--all"])
    stamp = theirs.get("UPDATED_AT")
    if stamp and any((_props_of(v) or {}).get("UPDATED_AT") == stamp for v in history):
        return None  # (the kept copy's write, or a person's edit of it, was committed)
    found = changes_lacking(data, older, held, also=(*known, *history))
    if _changed(found) <= 0:
        return None  # (a commit or the stash holds them: git's to keep or drop)
    ancestor = committed is not None and below_head(root, recorded)
    merged = merge_diverged_bytes(data, older, committed, ancestor=ancestor)
    if merged is None or lines_dropped(data, merged.data, committed, older) or \
            lines_dropped(older, merged.data, committed, data):
        _refuse_stale(ai_dir, path, data, older, newer if newer is not None else data,
                      committed, recorded, found, kept_holds=True)
    return _regained(merged.data, data, found, kept_path(ai_dir, path))


#: What a stale save's refusal (:func:`_refuse_stale`) writes beside the kept copy for
#: the merge driver: the version the buffer was opened on, and the tool's two versions
#: joined, with a write record of its own; and the commit ``HEAD`` named then (per
#: machine, no one's text).
REFUSAL_BASE, REFUSAL_HEAD, REFUSAL_AT = ".base", ".head", ".refused"


def _regained(merged: bytes, data: bytes, found: tuple[int, ...] | None,
              where: str) -> tuple[OrgFile, str, str] | None:
    """A stale-save merge back's answer: ``(the merged document, what it regained said
    by kind, where the version holding it is)`` for ``merged`` (the merge's bytes) of
    the file as read (``data``), ``found`` counted what the file lacks
    (:func:`~ai_protocols.session.merge.changes_lacking`); ``None`` when the merge gave
    the file as it is: nothing came back, and no Log line, warning or advice says
    something did (an older text the save went over, counted as a tick, is no change
    the file lacks: docs/decisions.md, "Twenty-third round: stale saves ..."). No I/O."""
    from ai_protocols.session.merge import said_changes

    if merged == data:
        return None
    return OrgFile(merged.decode("utf-8")), said_changes(found), where


def _stamped(data: bytes, at: Moment) -> bytes:
    """The session file ``data`` with a write record of its own, ``at`` (``UPDATED``
    and ``UPDATED_AT``, as a write sets them): what the stale save's refusal writes as
    the other side of the merge it advises (:func:`_refuse_stale`), so that the merged
    file carries a record no buffer opened before can carry (the driver takes the
    record of the side updated last). ``data`` as it is when it has no session
    headline. Raises nothing of its own."""
    doc = OrgFile(data.decode("utf-8", "replace"))
    headline = session_headline(doc)
    if headline is None:
        return data
    doc.set_properties(headline.line, [
        ("UPDATED", format_timestamp(at.minute)),
        ("UPDATED_AT", at.to_property() if at.measured else None)])
    return b"".join(doc.encoded())


def _from_refusal(kept: str, data: bytes, commit: str | None) -> bool:
    """Whether the session file ``data`` was made from the version a stale save's
    refusal wrote at ``kept`` + :data:`REFUSAL_HEAD` (its printed commands followed:
    the merge driver's result carries that version's write record, which no other
    version holds), and ``HEAD`` is still ``commit``, the one it named then
    (:data:`REFUSAL_AT`): the three were merged as the refusal advised, and the file is
    what a person made of them, conflicts settled by the driver or by hand; nothing of
    it is a stale save's to merge back (docs/decisions.md, "Issue 14, twenty-first round
    (the stale save's refusal)"). After another move of ``HEAD`` (a pull since), the
    file is judged as any other: a buffer opened on it and saved after that pull is a
    stale save again. Two reads of small files, on the stale-save path only."""
    stamp = (_props_of(data) or {}).get("UPDATED_AT")
    if not stamp or not commit:
        return False
    try:
        if storage.read_regular(kept + REFUSAL_AT, 256).decode("ascii", "replace").strip() \
                != commit:
            return False
        head = storage.read_regular(kept + REFUSAL_HEAD, 65536)
    except (OSError, storage.NotRegular):
        return False
    headline = head_of(head)
    return headline is not None and headline.properties.get("UPDATED_AT") == stamp


def _drop_refusal_copies(kept: str) -> None:
    """Remove what a stale save's refusal wrote beside the kept copy ``kept``
    (:data:`REFUSAL_BASE`, :data:`REFUSAL_HEAD`, :data:`REFUSAL_AT`), once a write took
    the file made from them. Raises nothing."""
    for end in (REFUSAL_BASE, REFUSAL_HEAD, REFUSAL_AT):
        try:
            os.unlink(kept + end)
        except OSError:
            pass


def _refuse_stale(ai_dir: str, path: str, data: bytes, older: bytes, newer: bytes,
                  committed: bytes | None, recorded: str | None,
                  found: tuple[int, ...] | None, kept_holds: bool = False) -> NoReturn:
    """Raise :class:`~ai_protocols.errors.StaleSave` (nothing written into the file) for
    a stale save of the session file ``path`` whose merge back is not clean: ``data``, the file as
    the write read it (maybe joined with the kept copy by an earlier step), ``older``
    the kept copy, ``newer`` ``HEAD``'s version, ``committed`` the file at the commit
    the kept copy records (``recorded``), ``found`` what the file lacks
    (:func:`~ai_protocols.session.merge.changes_lacking`); ``kept_holds``: the kept copy
    holds it too (said so). The one refusal of every
    stale-save path (:func:`_brought_back`, :func:`_stale_earlier`, a stale save in a
    clone the tool never wrote in): its commands merge the file on disk (the person's
    save) on the version its buffer was opened on (:func:`opened_on`) with the tool's
    two versions joined (:func:`_tools_join`), as :func:`merge_stale` does; without
    those, on the kept copy (or the commit it records, when the file is the kept copy)
    with ``HEAD``'s version. Both are written beside the kept copy
    (:data:`REFUSAL_BASE`, :data:`REFUSAL_HEAD`; the second with a write record of its
    own, :func:`_stamped`, so that the next write knows the file made from it while
    ``HEAD`` stays where it is, :data:`REFUSAL_AT`, :func:`_from_refusal`) and the
    commands are one ``ai-protocols merge-driver``; when
    they cannot be written, ``git show`` commands write git's versions. Says whether
    the commands leave conflict markers (the driver's merge of the same three,
    :func:`~ai_protocols.session.merge.merge_session_bytes`). docs/decisions.md, "Issue
    14, twentieth round (the refusal's commands)" and "twenty-first round (the stale
    save's refusal)"."""
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.merge import merge_session_bytes, said_changes

    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    kept = kept_path(ai_dir, path)
    where = f"HEAD:./{below}"
    head_copy, base_copy = kept + REFUSAL_HEAD, kept + REFUSAL_BASE
    try:
        raw: bytes | None = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        raw = None
    ours = data if raw is None else raw
    opened = None if raw is None else opened_on(path, raw, older, committed)
    joined = _tools_join(older, newer, committed,
                         committed is not None and below_head(root, recorded), path)
    # (without the version it was opened on, the kept copy as the base (or the commit
    # it records when the file is the kept copy), still against the two joined: an
    # entry the tool wrote that HEAD lacks is no deletion; when the two do not join,
    # git's versions)
    at = recorded if ours == older and committed is not None else None
    if opened is None or opened == ours:
        opened = committed if at is not None else older
    if joined is None:
        opened, joined = (committed if at is not None else older), newer
    theirs = _stamped(joined, now_moment())  # type: ignore[arg-type]
    try:
        os.makedirs(parent(kept), exist_ok=True)  # (a clone the tool never wrote in)
        storage.atomic_write(base_copy, opened)  # type: ignore[arg-type]
        storage.atomic_write(head_copy, theirs)
        from ai_protocols.git.head import read_head

        at_head = read_head(root)
        if at_head is not None and at_head[1]:  # (HEAD then: _from_refusal's)
            storage.atomic_write(kept + REFUSAL_AT, f"{at_head[1]}\n".encode("ascii"))
        commands = (f"ai-protocols merge-driver {shell_quote(base_copy)} "
                    f"{shell_quote(path)} {shell_quote(head_copy)} {shell_quote(below)}")
    except (OSError, storage.StorageError):  # (then git's versions, by git show)
        theirs, base = newer, kept
        opened = committed if at is not None else older
        commands = f"git -C {shell_quote(root)} show {shell_quote(where)} > " \
                   f"{shell_quote(head_copy)}"
        if at is not None:
            base = base_copy
            commands = (f"git -C {shell_quote(root)} show "
                        f"{shell_quote(f'{at}:./{below}')} > {shell_quote(base)} && "
                        f"{commands}")
        commands += (f" && ai-protocols merge-driver {shell_quote(base)} "
                     f"{shell_quote(path)} {shell_quote(head_copy)} {shell_quote(below)}")
    # (what the pasted commands will do: the driver's merge of the same three)
    driver = merge_session_bytes(opened, ours, theirs, place=below)  # type: ignore[arg-type]
    raise StaleSave(path, where, _changed(found), commands,  # type: ignore[arg-type]
                    None if driver is None else not driver.conflicts,
                    what=said_changes(found), kept_holds=kept_holds)


def opened_on(path: str, data: bytes, older: bytes, committed: bytes | None,
              saved: bool = False) -> bytes | None:
    """The version a stale buffer saved as ``data`` (the session file at ``path``) was
    opened on: the version the tool wrote with the write record (``UPDATED_AT``, which
    only the tool's writes change) ``data`` carries. The kept copy ``older`` (the
    version this tool wrote last, byte for byte) when it carries it; else, among the
    versions that carry it, ``committed`` (the file at the commit that copy records)
    and the last versions git committed in ``HEAD``'s history and its reflogs
    (:func:`_history`, one ``git log`` and one ``git cat-file``), the one every other
    holds every entry of: a record names one version only while its bytes are the
    tool's write, and the merge driver's result of a rebase or a merge (``git pull
    --rebase`` replays the commit of that write over the other clone's) carries the
    same record with the other clone's entries too, which the buffer never held
    (docs/decisions.md, "Issue 14, twenty-first round (stale saves, a fresh review)");
    when no one of them is held by all the others, the first (``committed``, else the
    newest). ``saved``: ``data`` is a stale save git's history holds (``HEAD``'s
    version, :func:`stale_committed`), which carries the record it was opened on: then
    ``data`` itself only when no other version carries it (nothing typed); a version
    equal to ``data`` otherwise is the tool's write (committed before a rebase replayed
    it, a save of it as it was). ``None`` when none carries it (a buffer opened on a
    version never committed). docs/decisions.md, "Issue 14, twentieth round (the base
    of a stale save's merge)"."""
    mine = _props_of(data) or {}
    stamp = mine.get("UPDATED_AT")
    if not stamp:
        return None
    if (_props_of(older) or {}).get("UPDATED_AT") == stamp:
        return older
    found: list[bytes] = []
    # (newest first, the history's order, for written_among's choice among equals; committed
    # last when the history lacks it)
    for version in _history(path, ["HEAD", "--reflog"]) + \
            ([committed] if committed is not None else []):
        theirs = _props_of(version)
        if theirs and theirs.get("UPDATED_AT") == stamp and one_session(theirs, mine) and \
                version not in found:
            found.append(version)
    if saved:  # (the save itself, committed, carries the record too: never the version
        # it was opened on while another does, or a deletion made it the one all hold)
        found = [version for version in found if version != data] or found
    first = committed if committed is not None and committed in found else \
        found[0] if found else None
    from ai_protocols.session.merge import written_among

    return (written_among(found) or first) if found else None


def _tools_join(older: bytes, newer: bytes, committed: bytes | None,
                ancestor: bool = False, path: str | None = None) -> bytes | None:
    """The tool's two versions a stale save went over, merged: the kept copy ``older``
    and ``HEAD``'s version ``newer`` (on ``committed``, as :func:`merge_stale` says;
    ``ancestor``: git's history says it is the ancestor of both). Without such an
    ancestor, when ``HEAD``'s history holds the kept copy itself (committed after the
    tool wrote it, the commit it records older than the file's first: ``path``'s
    history, :func:`_history`), on the kept copy: ``HEAD``'s version came from it. So a
    line the other clone changed (a reword by hand) is its change, as the merge driver
    takes it, never a second entry. ``None`` when that merge is not clean."""
    from ai_protocols.session.merge import merge_diverged_bytes

    if older == newer:
        return older
    if not (ancestor and committed is not None) and path is not None and \
            older in _history(path, ["HEAD"]):
        committed, ancestor = older, True
    tools = merge_diverged_bytes(older, newer, committed,
                                 ancestor=ancestor and committed is not None)
    return None if tools is None else tools.data


def below_head(root: str, commit: str | None) -> bool:
    """Whether ``commit`` (the one a kept copy records, ``GIT_COMMIT``) is in the history
    of ``HEAD`` of the work tree at ``root`` (``git merge-base --is-ancestor``): then its
    version of the session file is the ancestor of both the kept copy (written on it)
    and ``HEAD``'s version, and the tool's two versions merge three ways on it, as the
    merge driver merges them (a line both changed, a reword on each side, is a
    conflict), not on what both hold. ``False`` when it is not, or git cannot say. One
    git run, on the stale-save paths only."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    if not commit:
        return False
    try:
        GitRun(["git", "-C", root, "merge-base", "--is-ancestor", commit, "HEAD"],
               git_env(), None).wait()
    except (GitFailed, OSError):
        return False
    return True


def merge_stale(path: str, data: bytes, older: bytes, newer: bytes,
                committed: bytes | None, ancestor: bool = False,
                saved: bool = False) -> MergeResult | None:
    """The merge of a stale save (``data``, the session file at ``path``) with the two
    newer versions it went over: ``older``, the kept copy (the version this tool wrote
    last), and ``newer``, ``HEAD``'s version. The rule (docs/decisions.md, "Issue 14,
    twentieth round (the base of a stale save's merge)"): every entry, tick and line
    any of the three holds is kept, unless the save removed it from the version its
    buffer was opened on (:func:`opened_on`); an entry the tool wrote after that, or
    git brought, is never the person's deletion. First the tool's two versions are
    merged (on ``committed``, the file at the commit the kept copy records, where it is
    the ancestor of both: ``ancestor``, git's history says so, :func:`below_head`; else
    on what both hold: every entry of either kept), then
    the save's changes are taken on that, three ways on the version it was opened on;
    without one, every entry of both is kept. ``None`` when a merge is not clean
    (:func:`~ai_protocols.session.merge.merge_diverged_bytes`). ``saved``: ``data`` is
    a stale save git's history holds (:func:`opened_on`'s). Runs git only when
    :func:`opened_on` looks through the history."""
    from ai_protocols.session.merge import MergeResult, merge_diverged_bytes

    both = _tools_join(older, newer, committed, ancestor, path)
    if both is None:
        return None
    base = opened_on(path, data, older, committed, saved)
    if base == data:
        return MergeResult(both, False)
    return merge_diverged_bytes(data, both, base, ancestor=base is not None)


def _stale_earlier(ai_dir: str, path: str, doc: OrgFile,
                   head: tuple[str | None, str | None] | None
                   ) -> tuple[OrgFile, str, str] | None:
    """A save of an earlier version than the one this tool wrote last, after git
    brought changes, merged back: ``(the merged document, what it regained said by
    kind, where the newer version is)``, or ``None`` (then :func:`_refuse_older`'s rule
    stands: git put an older version back, and the write goes into it). Called only
    when that rule found the file (read as ``doc``) older than its kept copy and git
    holding the kept copy. The case (docs/decisions.md, "Issue 14, twentieth round
    (stale saves of an older version)"): a buffer opened before one of the tool's
    writes, ``git pull`` since, the buffer saved with nothing typed in it (a character
    typed and deleted, "changed on disk" answered yes). Only when ``HEAD`` moved since
    the commit the kept copy records (``GIT_COMMIT``) and not by one's own commits
    (:func:`~ai_protocols.git.head.below_own_commits`: git brought something), and the
    file carries the write record of a version the buffer was opened on
    (:func:`opened_on`: the kept copy, or one git committed): the three are merged by
    :func:`merge_stale` (every entry of the kept copy and of ``HEAD``'s version kept,
    what was typed too), checked to drop no line of either
    (:func:`~ai_protocols.session.merge.lines_dropped`). Also called when the write
    refuses the file (git does not hold the kept copy: a write left uncommitted over
    ``git pull --autostash``) and :func:`_stale_over_kept` merges nothing
    (docs/decisions.md, "Issue 14, twentieth round (the base of a stale save's
    merge)"). When HEAD's version holds changes the save lacks and the three do not
    merge cleanly, raises :class:`~ai_protocols.errors.StaleSave` with the commands that
    merge them (:func:`_refuse_stale`), as for a stale save over the tool's last
    version: never the rule of a version put back, which would leave out of the file
    what the pull brought and the tool wrote since the buffer was opened
    (docs/decisions.md, "Issue 14, twenty-first round (the stale save's refusal)").
    Runs git up to five times, on that rare path only."""
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None:
        return None
    kept = kept_path(ai_dir, path)
    try:
        older = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    kept_head = head_of(older)
    recorded = kept_head.properties.get("GIT_COMMIT") if kept_head is not None else None
    root = parent(ai_dir)
    from ai_protocols.git.head import below_own_commits

    if not recorded or recorded == head[1] or below_own_commits(root, head[1]) == recorded:
        return None  # (git brought nothing since this tool's last write)
    data = b"".join(doc.encoded())
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, older):
        return None
    keys = ("STARTED", "AGENT_ID", SESSION_ID_PROPERTY)
    theirs = session_headline(OrgFile(newer.decode("utf-8", "replace")))
    if theirs is None or any(theirs.properties.get(k) != mine.properties.get(k)
                             for k in keys):
        return None
    committed = git_version(root, f"{recorded}:./{below}")
    if opened_on(path, data, older, committed) is None:
        return None  # (no version it was opened on: the rule of a version put back)
    if (_props_of(newer) or {}).get("UPDATED_AT") == mine.properties.get("UPDATED_AT"):
        return None  # (made from the version git put here, HEAD's: a person's edit of it)
    from ai_protocols.session.merge import changes_lacking, lines_dropped

    found = changes_lacking(data, newer, held_entries(ai_dir, path, doc), also=(older,))
    if _changed(found) <= 0:
        return None  # (HEAD holds nothing the save lacks: no pull's change dropped)
    merged = merge_stale(path, data, older, newer, committed, below_head(root, recorded))
    if merged is None or merged.conflicts or lines_dropped(older, merged.data, data, newer) \
            or lines_dropped(newer, merged.data, data, older):
        # (a stale save of a pull, as git's autostash leaves it or not: refused with the
        # commands that merge the three, never the rule of a version put back, which
        # drops from the file what the pull brought and the tool wrote: docs/decisions.md,
        # "Issue 14, twenty-first round (the stale save's refusal)")
        _refuse_stale(ai_dir, path, data, older, newer, committed, recorded, found)
    return _regained(merged.data, data, found, f"HEAD:./{below}")


def _stale_unkept(ai_dir: str, path: str, doc: OrgFile,
                  head: tuple[str | None, str | None]) -> tuple[OrgFile, str, str] | None:
    """A stale save in a clone where this tool never wrote the session file ``path``
    (read as ``doc``; no kept copy: a fresh clone), found by git's history and merged
    back: ``(the merged document, what it regained said by kind, where the newer
    version is)``, or ``None``. The case (docs/decisions.md, "Issue 14, twenty-first
    round (a stale save in a fresh clone)"): a buffer opened on the version a commit
    holds, ``git pull`` since, the buffer saved after: the file carries the write
    record (``UPDATED_AT``, which only the tool's writes change) of a version
    committed before ``HEAD``'s (:func:`_committed`, ``carried``) and lacks what
    ``HEAD``'s version brought. Only when ``HEAD`` moved since the commit the file
    records (``head``, :func:`~ai_protocols.git.head.read_head`), not by one's own
    commits only, and not at the first move its reflog holds alone (the clone that
    brought the file: no buffer was open on an earlier version). The three are merged
    as any stale save is (:func:`merge_stale`, the opened-on version standing for the
    tool's last write, which there is none of), checked to drop no line; raises
    :class:`~ai_protocols.errors.StaleSave` (:func:`_refuse_stale`) when they do not
    merge cleanly. Runs git up to three times, only in a clone with no kept copy after
    ``HEAD`` moved."""
    mine = session_headline(doc)
    root = parent(ai_dir)
    if mine is None or not _brought_since(root, head, mine.properties.get("GIT_COMMIT")):
        return None  # (git brought nothing since the file was checked out)
    data = b"".join(doc.encoded())
    stamp = mine.properties.get("UPDATED_AT")
    if not stamp:
        return None
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    theirs = None if newer is None or newer == data else _props_of(newer)
    if theirs is None or theirs.get("UPDATED_AT") == stamp or \
            not one_session(theirs, dict(mine.properties.items())):
        return None  # (HEAD's version, or one made from it, or another session)
    opened = _committed(path, data, data, carried=True)
    if opened is None or opened == newer or (_props_of(opened) or {}).get("UPDATED_AT") != stamp:
        return None  # (no committed version carries its record: never committed)
    from ai_protocols.session.merge import changes_lacking, lines_dropped

    found = changes_lacking(data, newer, held_entries(ai_dir, path, doc), also=(opened,))
    if _changed(found) <= 0:
        return None
    merged = merge_stale(path, data, opened, newer, opened)
    if merged is None or merged.conflicts or lines_dropped(data, merged.data, opened, newer) \
            or lines_dropped(newer, merged.data, opened, data):
        _refuse_stale(ai_dir, path, data, opened, newer, opened, None, found)
    return _regained(merged.data, data, found, f"HEAD:./{below}")


def unkept_stale_may_be(ai_dir: str, path: str) -> bool:
    """Whether the session file ``path``, which has no kept copy (this tool never wrote
    it here), may be a stale save :func:`_stale_unkept` finds: ``HEAD`` moved since the
    commit the file records (:func:`_brought_since`). What the read commands ask before
    :func:`next_write_merges` (``resume.unkept_stale_warning``): a few reads of git's
    files and of the file's first 64 KiB, no process."""
    from ai_protocols.git.head import read_head

    props = _head_properties(path)
    return props is not None and _brought_since(parent(ai_dir), read_head(parent(ai_dir)),
                                                props.get("GIT_COMMIT"))


def git_moved(root: str, head: tuple[str | None, str | None] | None,
              recorded: str | None) -> bool:
    """Whether git may have brought a version of a session file since the commit
    ``recorded`` (its ``GIT_COMMIT``, set at each write that sees ``HEAD`` move):
    ``head`` (:func:`~ai_protocols.git.head.read_head`, for the work tree at ``root``)
    names another commit, not reached from ``recorded`` by commits made here only
    (:func:`~ai_protocols.git.head.below_own_commits`). The one gate of the stale-save
    merge back (:func:`_brought_back`), which the read commands ask before saying what
    the next write does (``resume.replaced_warning``). No process."""
    from ai_protocols.git.head import below_own_commits

    if head is None or head[1] is None or head[1] == recorded:
        return False
    return below_own_commits(root, head[1]) != (recorded or "")


def _brought_since(root: str, head: tuple[str | None, str | None] | None,
                   recorded: str | None) -> bool:
    """:func:`git_moved`, and by more than the first move ``HEAD``'s reflog holds
    (:func:`_only_first_move`: the clone that brought the file, in a clone where the
    tool never wrote it). No process."""
    from ai_protocols.git.head import below_own_commits

    return git_moved(root, head, recorded) and \
        not _only_first_move(root, below_own_commits(root, head[1]))  # type: ignore[index]


def _only_first_move(root: str, below: str | None) -> bool:
    """Whether ``HEAD``'s reflog (its last 4 KiB, :func:`~ai_protocols.git.head.
    reflog_moves`) starts with the move that made it (from no commit: a clone, a first
    commit) and every later move is a commit of one's own: ``below``, the commit below
    those (:func:`~ai_protocols.git.head.below_own_commits`), is where that first move
    went, or ``""`` (one's own commits from the first). Then every version of a file
    git wrote here is the one the clone checked out, or one made here since: no buffer
    was opened on an older one. ``False`` when the reflog does not say. No process."""
    if below == "":
        return True
    if not below:
        return False
    from ai_protocols.git.head import reflog_moves
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(root)
    moves = None if dirs is None else reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), 4096)
    return bool(moves) and not moves[0][0].strip("0") and moves[0][1] == below


def _stale_over_kept(ai_dir: str, path: str, doc: OrgFile,
                     head: tuple[str | None, str | None] | None
                     ) -> tuple[OrgFile, str, str] | None:
    """A stale save over what this tool wrote after git changed the file, merged back:
    ``(the merged document, what it regained said by kind, where the newer version
    is)``, or ``None`` (then :func:`_refuse_older`'s refusal stands, advising
    ``merge-kept``). Called only when that refusal was raised: the file (read as
    ``doc``) is older than its kept copy (the version this tool wrote last, a copy of
    its own: :func:`~ai_protocols.storage.files.same_version`) and git does not hold
    the kept copy. The case (docs/decisions.md, "Issue 14, seventeenth round (the kept
    copy is a copy)"): a buffer opened before a ``git pull``; an agent logs after the
    pull (into the version git wrote); the person saves the buffer, in place. The file
    is then the version the buffer was opened on plus what was typed: it carries that
    version's write record (``GIT_COMMIT``, which is not ``HEAD``: ``head`` as
    :func:`~ai_protocols.git.head.read_head` gives it), and a commit holds that version
    (:func:`_committed`, the one the file carries the ``UPDATED_AT`` of first), other
    than the file (something was typed: a version git put back as it is, a checkout, is
    refused as before). The three are merged as the stale save over what git brought
    is (:func:`_brought_back`): the version the buffer came from as the base, the file
    and the kept copy as the sides (what the pull brought and the agent wrote after
    it), checked to drop no line. Not with earlier-entries files held aside (a
    rollover since: the refusal's ``merge-kept`` takes them out). Runs git up to three
    times, on the refusal's path only."""
    mine = session_headline(doc)
    if head is None or head[1] is None or mine is None or \
            mine.properties.get("GIT_COMMIT") in (None, "", head[1]):
        return None
    kept = kept_path(ai_dir, path)
    try:
        newer = storage.read_regular(kept)
    except (OSError, storage.NotRegular):
        return None
    data = b"".join(doc.encoded())
    if held_entries(ai_dir, path, doc) or \
            held_entries(ai_dir, path, OrgFile(newer.decode("utf-8", "replace"))):
        return None
    base = opened_on(path, data, newer, None)  # (the one rule of that version)
    if base is None or base in (data, newer):
        return None
    from ai_protocols.session.merge import (
        changes_lacking,
        lines_dropped,
        merge_diverged_bytes,
        said_changes,
    )

    merged = merge_diverged_bytes(data, newer, base, ancestor=True)
    if merged is None or lines_dropped(data, merged.data, base, newer) or \
            lines_dropped(newer, merged.data, base, data):
        _refuse_stale_over_kept(ai_dir, path, data, newer, base)
        return None
    found = changes_lacking(data, newer, None, also=(base,))
    return OrgFile(merged.data.decode("utf-8")), said_changes(found), kept


def _refuse_stale_over_kept(ai_dir: str, path: str, data: bytes, kept: bytes,
                            base: bytes) -> None:
    """When the stale save ``data`` (the session file at ``path``, opened on ``base``)
    and the kept copy ``kept`` (what the tool wrote after git changed the file) do not
    merge cleanly (:func:`_stale_over_kept`) and ``HEAD``'s version holds a change the
    save lacks that ``base`` lacks too (git brought it: a line both changed, a reword on
    each side): raise :class:`~ai_protocols.errors.StaleSave` with the commands that
    merge the three (:func:`_refuse_stale`), as for every stale save whose merge back is
    not clean, the merge driver's own verdict on those lines; else return (the
    refusal of a version put back stands, advising ``merge-kept``). Runs git up to three
    times, on the refusal's path only (docs/decisions.md, "Issue 14, twenty-first round
    (stale saves, a fresh review)")."""
    from ai_protocols.session.merge import changes_lacking

    root = parent(ai_dir)
    below = os.path.relpath(path, root)
    newer = git_version(root, f"HEAD:./{below}")
    if newer is None or newer in (data, base):
        return
    found = changes_lacking(data, newer, None, also=(base,))
    if _changed(found) <= 0:
        return
    recorded = (_props_of(kept) or {}).get("GIT_COMMIT")
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    _refuse_stale(ai_dir, path, data, kept, newer, committed, recorded, found,
                  kept_holds=True)


def merges_at_write(ai_dir: str, path: str) -> bool:
    """Whether the next write into the session file ``path`` merges it with its kept
    copy on its own (:func:`_stale_over_kept`: a committed version put back, then
    edited, as a stale buffer's save is) rather than refusing it: what the read
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
    the files they read are written beside the kept copy, :func:`_refuse_stale`). For
    ``status``'s and ``resume``'s advice and ``merge-kept``, which say or do what the
    write does (docs/decisions.md, "Issue 14, twentieth round (the base of a stale
    save's merge)", "twenty-first round (the stale save's refusal)"). Runs git only
    when the file is not the version the tool wrote last (or there is none) and
    ``HEAD`` moved; raises nothing else of its own."""
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
        replaced = _refuse_older(ai_dir, path, doc, read_as)
        if replaced is not None:
            brought = _stale_earlier(ai_dir, path, doc, head) or \
                stale_committed(ai_dir, path, doc, head, read_as)
            if brought is None:
                return None  # (the write goes into the version git put back)
    except SessionReplaced:
        brought = _stale_over_kept(ai_dir, path, doc, head) or \
            _stale_earlier(ai_dir, path, doc, head) or \
            stale_committed(ai_dir, path, doc, head, read_as)
        if brought is None:
            return None  # (the write refuses it)
    except StaleSave:
        raise  # (the write refuses the stale save: its commands, for the caller to say)
    except AiProtocolsError:
        return None
    doc = doc if brought is None else brought[0]
    try:  # (the write's refusals in between; and an older file after a rollover, whose
        # merge the write and merge-kept make otherwise: nothing said here)
        _refuse_misplaced(ai_dir, path, doc)
        _refuse_archived(ai_dir, path, doc, read_as)
        strays = unlinked_earlier(ai_dir, path, doc)
        if strays and _refuse_undone(ai_dir, path, doc, strays):
            return None
        # (then what git brought, on the merged document, as the write does)
        again = _brought_back(ai_dir, path, doc, head, read_as)
        if again is None and brought is None:
            again = stale_committed(ai_dir, path, doc, head, read_as) or \
                _kept_dropped(ai_dir, path, doc, head, read_as)
    except StaleSave:
        raise
    except AiProtocolsError:
        return None
    if again is None:
        return brought
    return again if brought is None else (again[0], f"{brought[1]} and {again[1]}", again[2])


def _brought_how(where: str, named: bool = False) -> str:
    """How the changes a stale save dropped came, by ``where`` the version holding them
    is (:func:`_brought_back`'s ``HEAD:./REL``, :func:`_stale_over_kept`'s kept copy,
    :func:`stale_committed`'s blob): for the Log line, or (``named``) for stderr, naming
    that version."""
    from ai_protocols.session.stale_commit import held_as

    said = held_as(where, named)
    if said is not None:
        return said
    if where.startswith("HEAD:"):
        return f"that git brought ({where} holds them)" if named else \
            "git brought (git's HEAD holds them)"
    what = "that git brought or ai-protocols wrote since"
    return f"{what} ({where}, the version ai-protocols wrote last, holds them)" if named \
        else f"{what} (the version ai-protocols wrote last holds them)"


def _changed(counts: tuple[int, ...] | None) -> int:
    """How many changes :func:`~ai_protocols.session.merge.changes_lacking` counted, of
    every kind; -1 when it could not read a version."""
    return -1 if counts is None else sum(counts)


def _saved_after_git(data: bytes, newer: bytes, older: bytes, held: set[str] | None,
                     before: tuple[bytes, ...]) -> bool:
    """Whether the session file ``data``, which lacks changes that git brought
    (``newer``, ``HEAD``'s version, holds them; none of ``before``, the versions from
    before git changed the file, does: an entry, a tick, a state, a property, a Log
    line, :func:`~ai_protocols.session.merge.changes_lacking`), was made from the
    version git wrote and not from an older buffer: it holds some other change git
    brought (a person unticked an item the pull ticked: the Log line of that tick is
    still there), or the write
    record (``UPDATED_AT``, which only the tool's writes change) of ``HEAD``'s version
    where that differs from ``older``'s (the kept copy); where it differs, a file that
    carries another record (the kept copy's) was not made from git's version, whatever
    it holds (a stale buffer in which a person ticked by hand an item the pull ticked
    too: docs/decisions.md, "Issue 14, seventeenth round (the kept copy is a copy)"),
    and the "holds some of it" rule is left for the versions with one record. A stale
    save is the version
    from before git changed the file plus what a person typed: it holds none of what
    git brought and the old write record; a file that holds what git brought and lacks
    some of it is a person's deliberate deletion, which nothing brings back
    (docs/decisions.md, "Issue 14, sixteenth round (stale saves and put-back
    copies)"). Reads what the caller read: no git, no file."""
    from ai_protocols.session.merge import changes_lacking

    mine, theirs, kept = _props_of(data), _props_of(newer), _props_of(older)
    stamp, old = (theirs or {}).get("UPDATED_AT"), (kept or {}).get("UPDATED_AT")
    if stamp and stamp != old:
        # (the write record tells the two apart where it differs: a buffer made from
        # what git wrote carries HEAD's; a stale one carries the kept copy's, though it
        # holds a change the pull brought too, typed again by hand: seventeenth round)
        return (mine or {}).get("UPDATED_AT") == stamp
    return brought_lacking(lambda one, other, also: _changed(
        changes_lacking(one, other, held, also=also)), data, newer, before) <= 0


def brought_lacking(lacking: Callable[[bytes, bytes, tuple[bytes, ...]], int], data: bytes,
                    newer: bytes, before: tuple[bytes, ...]) -> int:
    """How many of the entries git brought a file saved over by a stale buffer dropped:
    the one rule of the merge back, for a session file (:func:`_brought_back`) and for
    the task board (:meth:`ai_protocols.board.board.Board.editing`). ``data``: the file;
    ``newer``: ``HEAD``'s version; ``before``: the versions from before git changed the
    file (the kept copy, the version this tool wrote last, first; then the file at the
    commit that write recorded, when git holds one). What git brought is what
    ``newer`` holds and none of ``before`` does; ``lacking(version, other, also)``
    counts what ``other`` holds that neither ``version`` nor any of ``also`` does
    (a session's changes of every kind, :func:`~ai_protocols.session.merge.changes_lacking`;
    tasks). 0 when the file lacks none of it, and when it holds some of it:
    made from what git wrote, not from an older buffer, the file lacks the rest by a
    person's deliberate deletion (a stale save is the version from before git changed
    the file plus what was typed: it holds nothing git brought). docs/decisions.md,
    "Issue 14, sixteenth round (stale saves and put-back copies)". Raises nothing of its
    own."""
    missing = lacking(data, newer, before)
    if missing <= 0 or lacking(before[0], newer, before[1:]) > missing:
        return 0
    return missing


def _drop_unfinished_carries(ai_dir: str, path: str, doc: OrgFile, *, always: bool) -> None:
    """Remove what a move killed after step 1 (:func:`_move`), before its archive was in
    place, left under ``.ai/sessions/``: a folder ``NAME/`` with no ``NAME.org`` beside
    it, holding second names (hard links, or copies of the same bytes) of the earlier
    files ``doc`` links; only those names, then the folder when that leaves it empty
    (a folder holding anything else stays). The entries stay where the links name them.
    Looked for when a linked file has more names than itself and its kept copies (the
    sign of such a link, one ``lstat`` each), and always at a move (``always``: a
    wrap-up run again; a copy across file systems leaves no such sign)."""
    linked = [e.path for e in linked_earlier(doc, path) if named_as_ours(ai_dir, e.path)]
    if not linked:
        return
    if not always:
        for one in linked:
            try:
                names = os.lstat(one).st_nlink
            except OSError:
                continue
            if names > 1 + sum(os.path.lexists(c) for c in _kept_copies(ai_dir, one)):
                break
        else:
            return
    sessions = join(ai_dir, "sessions")
    try:
        entries = list(os.scandir(sessions))
    except OSError:
        return
    present = {entry.name for entry in entries}
    for entry in entries:
        if entry.name + ".org" in present or not entry.is_dir(follow_symlinks=False):
            continue
        folder = join(sessions, entry.name)
        for one in linked:
            there = join(folder, os.path.basename(one))
            try:
                if os.path.samefile(one, there) or (
                        os.path.isfile(there) and not os.path.islink(there) and
                        storage.read_bytes(there) == storage.read_bytes(one)):
                    _unlink(there)
            except (OSError, AiProtocolsError):
                continue
        try:
            os.rmdir(folder)  # (only an empty one)
        except OSError:
            pass


def _kept_earlier(ai_dir: str, path: str) -> str | None:
    """Where the copy of the earlier-entries file ``path`` is written (inside the git
    folder in a git work tree: :func:`~ai_protocols.session.names.earlier_kept_paths`;
    ``None`` outside ``.ai/``)."""
    copies = _kept_copies(ai_dir, path)
    return copies[0] if copies else None


def _restore_earlier(ai_dir: str, path: str, doc: OrgFile) -> None:
    """Put back, from their kept copies, the earlier-entries files the session file
    ``path`` links that are gone (``git clean``, ``git stash -u``): a hard link, as the
    copy was made. Only files of the tool's (:func:`~ai_protocols.session.rollover.named_as_ours`,
    the copy :func:`~ai_protocols.session.rollover.is_ours`). Best effort: one that
    cannot be put back is said on stderr, and the write goes on (it never fails for
    want of an earlier file). Nothing when the file links none (one look at its
    headlines)."""
    for earlier in linked_earlier(doc, path):
        if os.path.islink(earlier.path) and named_as_ours(ai_dir, earlier.path):
            warn(f"{earlier.path}, which {path} links for its earlier entries, is a "
                  f"symbolic link: ai-protocols does not follow it, and a wrap-up refuses "
                  f"to move it (exit 12); replace it with the file it points to")
            continue
        if not named_as_ours(ai_dir, earlier.path):
            continue
        if os.path.lexists(earlier.path):
            _keep_earlier(ai_dir, path, earlier.path)
            continue
        try:
            _refuse_links(ai_dir, [earlier.path])
        except UnsafePath as error:
            warn(f"{earlier.path} is missing and is not put back: {error}")
            continue
        kept = next((copy for copy in _kept_copies(ai_dir, earlier.path)
                     if os.path.isfile(copy) and not os.path.islink(copy) and
                     is_ours(ai_dir, earlier.path, _read_or_none(copy))), None)
        if kept is None:
            warn(f"{earlier.path} is missing, and no copy of it is kept here: {path} "
                  f"links it for its earlier entries; "
                  f"{missing_earlier_advice(ai_dir, earlier.path)}")
            continue
        try:
            _make_folder(parent(earlier.path))
            os.link(kept, earlier.path, follow_symlinks=False)
            storage.fsync_dir(parent(earlier.path))
        except (OSError, StorageError) as error:
            warn(f"{earlier.path} is missing and could not be put back from {kept}: "
                  f"{getattr(error, 'strerror', None) or error}")


def _keep_earlier(ai_dir: str, path: str, earlier: str) -> None:
    """Make the kept copy of the linked earlier-entries file ``earlier`` when it has
    none (a rollover killed between the file's name and its copy's, issue 16 eleventh
    round): a hard link, as :func:`_write_earlier` makes it, of a file of the tool's
    (:func:`~ai_protocols.session.rollover.is_ours`: the copy is what
    :func:`_restore_earlier` puts back, and only such a copy). One ``lstat`` of the
    copy's place when it is there: the file is read only when it is missing. A kept
    copy there stays as it is, even when the file beside it is another (it holds the
    bytes the tool wrote; docs/decisions.md). Best effort: said on stderr when it
    cannot be made."""
    if os.path.relpath(earlier, ai_dir).split(os.sep)[0] != "history":
        return  # (an archive's earlier file: git tracks it, none is kept)
    kept = _kept_earlier(ai_dir, earlier)
    if kept is None:
        return
    if os.path.lexists(kept):
        stands = _what_stands(kept)  # (a folder there: no copy, and none can be made)
        if stands is not None and os.path.isfile(earlier):
            warn(f"{earlier}, which {path} links for its earlier entries, has no copy "
                  f"kept in {kept}: {stands}; move that away, and the next write makes "
                  f"the copy (until then, git clean -fdx would lose those entries)")
        return
    if not os.path.isfile(earlier) or os.path.islink(earlier) or \
            not is_ours(ai_dir, earlier):
        return  # (a file a person edited: its kept copy could never be put back)
    try:
        _refuse_links(ai_dir, [kept])
        _make_folder(parent(kept))
        os.link(earlier, kept, follow_symlinks=False)
        storage.fsync_dir(parent(kept))
    except FileExistsError:
        pass  # (made meanwhile: the lock is held, so by nothing of the tool's)
    except (OSError, AiProtocolsError) as error:
        warn(f"{earlier}, which {path} links for its earlier entries, has no copy kept "
              f"in {kept}, and none could be made: "
              f"{getattr(error, 'strerror', None) or error}")


def _read_or_none(path: str) -> bytes | None:
    try:
        return storage.read_bytes(path)
    except AiProtocolsError:
        return None


def warn(text: str) -> None:
    """Say ``text`` on stderr as a warning (``Warning: ...``): what a write went on
    despite (an earlier-entries file that could not be written or put back, a link
    line left as it is). The library's one other such word is
    :func:`ai_protocols.storage.files.env_number`'s."""
    import sys

    from ai_protocols.lean import display

    try:  # (escaped once, by the one rule: a path or a line may hold any character)
        sys.stderr.write(f"Warning: {display(text)}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # no stderr to say it on
        pass


def _refuse_unsafe_earlier(ai_dir: str, path: str, edit: SessionEdit) -> None:
    """:class:`~ai_protocols.errors.UnsafePath` when the way to a file this write may
    make or move for the earlier entries (the rollover's new file and its kept copy;
    for a move, each linked file of the tool's, its kept copy, its place in the
    archive's folder) goes through a symbolic link: the rule of every file the tool
    writes (:func:`ai_protocols.storage.files.refuse_symlinks`), checked before
    anything is written. A write in place does not follow the links' files: a linked
    file that is a symbolic link blocks no ``log`` (eighth review); one that is missing
    is put back only where no link is on its way (:func:`_restore_earlier`)."""
    paths: list[str | None] = []
    if edit.rolled is not None:
        paths += [edit.rolled.path, *_kept_copies(ai_dir, edit.rolled.path)]
    if edit.target == path:  # (a write in place follows no link: only a move must)
        _refuse_links(ai_dir, paths)
        return
    for earlier in linked_earlier(edit.doc, path):
        if named_as_ours(ai_dir, earlier.path):
            paths += [earlier.path, *_kept_copies(ai_dir, earlier.path)]
            if edit.earlier_to is not None:
                paths.append(join(edit.earlier_to, os.path.basename(earlier.path)))
    _refuse_links(ai_dir, paths)


def _base_of(ai_dir: str, one: str) -> str:
    """The folder from which the way to ``one`` is checked for symbolic links: for a
    copy kept in the git folder, that folder (its own way, ``.git`` itself, is git's
    business); else the project's (the folder of ``ai_dir``)."""
    root = parent(ai_dir)
    if "/ai-protocols/" in one:
        from ai_protocols.paths import git_dirs

        dirs = git_dirs(root)
        if dirs is not None and one.startswith(dirs[1].rstrip("/") + "/ai-protocols/"):
            return dirs[1]
    return root if (one + "/").startswith(root.rstrip("/") + "/") else parent(one)


def _refuse_links(ai_dir: str, paths: list[str | None]) -> None:
    for one in paths:
        if one is None:
            continue
        storage.refuse_symlinks(_base_of(ai_dir, one), one)


def _way_blocked(ai_dir: str, path: str) -> str | None:
    """What :func:`_earlier_blocked` says, before any rollover of the session file
    ``path`` is planned, of the folders on the way to its earlier file (whatever its
    name: a file where a folder must be, a folder that cannot be written); asked when
    the rollover would move entries (:func:`~ai_protocols.session.rollover.least_movable`
    finds :data:`~ai_protocols.session.rollover.LEAST` bytes of them); ``None`` for a
    symbolic link on the way (said once the rollover is planned, as before)."""
    try:
        return _folders_blocked(ai_dir, join(history_folder(ai_dir, path), "earlier.org"))
    except AiProtocolsError:
        return None


def _folders_blocked(ai_dir: str, earlier: str) -> str | None:
    """The first part of :func:`_earlier_blocked`: the folders on the way to the earlier
    file ``earlier`` and its kept copy."""
    kept = _kept_earlier(ai_dir, earlier)
    _refuse_links(ai_dir, [earlier, *_kept_copies(ai_dir, earlier)])
    for target in (earlier, kept):
        if target is None:
            continue
        folder = parent(target)
        current = _base_of(ai_dir, target)
        below = os.path.relpath(folder, current).split(os.sep)
        for part in below if below != ["."] else []:
            step = join(current, part)
            try:
                os.lstat(step)
            except FileNotFoundError:
                break
            except OSError as error:
                return f"{step} cannot be read ({error.strerror})"
            if not os.path.isdir(step):
                return f"{step} is a file where a folder must be: rename or remove it"
            current = step
        if not os.access(current, os.W_OK | os.X_OK):
            return f"the folder {current} cannot be written: give write permission to it"
    return None


def _earlier_blocked(ai_dir: str, planned: Planned) -> str | None:
    """Why the rollover's earlier file (or its kept copy) cannot be written, said for a
    person to act on (what to rename or remove), else ``None``: a file where a folder
    on its way must be, a folder that cannot be written, a file or folder of its name
    holding other bytes. Raises :class:`~ai_protocols.errors.UnsafePath` for a symbolic
    link on the way (the caller skips the rollover with that reason: the entry is
    written all the same, decisions "Issue 16, eighth review (rollover robustness)")."""
    blocked = _folders_blocked(ai_dir, planned.path)
    if blocked is not None:
        return blocked
    if os.path.lexists(planned.path):
        if os.path.isdir(planned.path):
            return f"{planned.path} is a folder: rename or remove it"
        there = _read_or_none(planned.path)
        if there is None or not planned.same_as(there):
            return (f"{planned.path} is there with other bytes than this rollover writes: "
                    f"rename it")
        return None
    held = _held_in_git(ai_dir, planned.path)
    if held is not None:
        return (f"git holds {planned.path} in {held}, and it would come back there: made "
                f"here, it would stop git (git stash pop, git checkout: 'already exists'); "
                f"the file rolls over once git has put it back, or at a later write that "
                f"moves other entries")
    return None


def _held_in_git(ai_dir: str, path: str) -> str | None:
    """Where git holds a file at ``path`` (an earlier-entries file a rollover is about to
    make, not in the work tree) in a commit reachable from a ref or a reflog (the
    stash's untracked files of ``git stash -u`` are such a commit: the third parent of
    a stash's, git-stash(1)), said for a person; else ``None``. A rollover planned on an
    older version that git put back (``git stash``, a branch switch) plans the very
    file the newer version has: made here, untracked, it would make ``git stash pop``
    and ``git checkout`` refuse ("already exists"). Runs git twice, only when a rollover
    is planned; ``None`` when git cannot say (no repository)."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    env = git_env()
    root = parent(ai_dir)
    rel = os.path.relpath(path, root)
    try:
        found = GitRun(["git", "-C", root, "log", "--all", "--reflog", "--full-history",
                        "--format=%H", "-1",
                        "--", rel], env, None).wait().decode("ascii", "replace").strip()
        if not found:
            return None
        refs = GitRun(["git", "-C", root, "for-each-ref", "--contains", found,
                       "--format=%(refname)"], env, None).wait()
    except GitFailed:
        return None
    names = refs.decode("utf-8", "replace").split("\n")[:-1]
    if not names:
        return f"commit {found[:12]}, which only a reflog holds"
    return _ref_names(names)[0]


def missing_earlier_advice(ai_dir: str, path: str) -> str:
    """How to get back the earlier-entries file ``path`` that a session file links and
    that is not in the work tree nor kept here: from git when a commit holds it (one
    ``git log --all --reflog --full-history -1``, only on the way to saying this); else
    that it may exist only in the clone that rolled the session over, untracked (``git
    commit -a`` leaves a new file out, git-commit(1)), with what to run there. Never a git
    command that cannot work (docs/decisions.md, "Issue 16, eighth review (rollover vs
    git, ninth reviewer)")."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rel = os.path.relpath(path, root)
    try:
        found = GitRun(["git", "-C", root, "log", "--all", "--reflog", "--full-history",
                        "--format=%H", "-1", "--", rel], git_env(), None).wait()
    except GitFailed:
        found = None
    if found and found.strip():
        commit = found.decode("ascii", "replace").strip()[:12]
        return (f"get it back from git: git show {commit}:{shell_quote(rel)} > "
                f"{shell_quote(path)} (run at the top of the repository; 'git log --all -- "
                f"{shell_quote(rel)}' names every commit holding it)")
    return (f"no commit of this repository holds it: it may exist only in the clone that "
            f"rolled the session over, never committed ('git commit -a' leaves a new file "
            f"out); there, run 'git add {shell_quote(rel)}' and commit, then pull here")


def missing_earlier(ai_dir: str, path: str, gone: list[str] | None = None) -> str | None:
    """The warning ``status`` gives when the session file ``path`` links earlier-entries
    files of its own (:func:`~ai_protocols.session.rollover.linked_earlier`) that are
    neither in the work tree nor kept here (a clone of one that rolled over and never
    committed them): which, that ``show --all`` cannot read them and their count is
    unknown, and how to get them back (:func:`missing_earlier_advice`); ``None``
    otherwise. ``gone``: those files, as the caller found them reading the file
    (:func:`~ai_protocols.session.rollover.missing_linked`); else the file is read
    (parsed only when a link names a file that is not here). Git runs only on the
    way to the warning."""
    if gone is None:
        try:
            data = storage.read_regular(path)
        except (OSError, storage.NotRegular):
            return None
        if b"[[file:" not in data:
            return None
        from ai_protocols.session.rollover import missing_linked

        gone = missing_linked(ai_dir, path, data.decode("utf-8", "replace"))
    if not gone:
        return None
    one = len(gone) == 1
    return (f"{path} links "
            f"{counted(len(gone), 'earlier-entries file', 'earlier-entries files')} that "
            f"{'is' if one else 'are'} not here and not kept ({', '.join(gone[:3])}"
            f"{' ...' if len(gone) > 3 else ''}): show --all cannot read "
            f"{'it' if one else 'them'}, and how many entries {'it holds' if one else 'they hold'} "
            f"is unknown; {missing_earlier_advice(ai_dir, gone[0])}")


def untracked_earlier(ai_dir: str, path: str) -> str | None:
    """The warning ``status`` and ``show`` give when git tracks the session file ``path``
    but not some earlier-entries file of its history folder (a rollover made it; ``git
    commit -a`` leaves a new file out, git-commit(1), and a clone would link a file it
    never gets); ``None`` otherwise. One ``stat`` when the folder is not there, else
    one ``git ls-files`` run."""
    folder = history_folder(ai_dir, path)
    if not os.path.isdir(folder):
        return None
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rel, below = os.path.relpath(path, root), os.path.relpath(folder, root)
    try:
        tracked = GitRun(["git", "-C", root, "ls-files", "-z", "--", rel], git_env(),
                         None).wait()
        if not tracked.strip(b"\0"):
            return None  # (a session file git does not track: nor its earlier files)
        out = GitRun(["git", "-C", root, "ls-files", "-z", "--others", "--", below],
                     git_env(), None).wait()
    except GitFailed:
        return None
    new = [os.fsdecode(n) for n in out.split(b"\0")
           if n and named_as_ours(ai_dir, join(root, os.fsdecode(n)))]
    if not new:
        return None
    return (f"git tracks {path} but not "
            f"{counted(len(new), 'earlier-entries file', 'earlier-entries files')} it links or "
            f"made ({', '.join(new[:3])}"
            f"{' ...' if len(new) > 3 else ''}): commit {'it' if len(new) == 1 else 'them'} "
            f"with it (git add {shell_quote(below)}; 'git commit -a' leaves new files out), "
            "or other clones link files they do not have")


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
            data = _read_or_none(kept)
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


def _record_superseded(doc: OrgFile, digests: set[str]) -> None:
    """Add ``digests`` to the :data:`~ai_protocols.session.rollover.SUPERSEDED` property
    of the session's ``Earlier entries`` section (a rollover just made or found it)."""
    from ai_protocols.session.layout import earlier_section, session_headline
    from ai_protocols.session.rollover import SUPERSEDED

    head = session_headline(doc)
    section = earlier_section(doc, head) if head is not None else None
    if section is None:
        return
    tokens = set(section.properties.get(SUPERSEDED, "").split()) | digests
    doc.set_properties(section.line, [(SUPERSEDED, " ".join(sorted(tokens)))])


def _untracked_note(ai_dir: str, path: str, made: str) -> None:
    """After a write that rolled ``path`` over into the new file ``made``: when git
    tracks ``path`` and not ``made``, say on stderr to ``git add`` it (``git commit -a``
    leaves a new file out, git-commit(1); another clone would then link a file it never
    gets). One ``git ls-files`` run, only at a rollover."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    root = parent(ai_dir)
    rels = [os.path.relpath(p, root) for p in (path, made)]
    try:
        out = GitRun(["git", "-C", root, "ls-files", "-z", "--", *rels], git_env(),
                     None).wait()
    except GitFailed:
        return
    tracked = {os.fsdecode(name) for name in out.split(b"\0") if name}
    if rels[0] in tracked and rels[1] not in tracked:
        warn(f"the oldest entries of {path} moved into the new file {made}: git does not "
              f"track it yet; commit it with the session file (git add "
              f"{shell_quote(rels[1])}; 'git commit -a' leaves a new file out), or other "
              "clones link a file they do not have")


def _drop_earlier(ai_dir: str, paths: list[str]) -> None:
    """Remove the earlier-entries files ``paths`` and their kept copies (best effort:
    each is a copy of entries kept elsewhere, which nothing reads)."""
    for path in paths:
        for gone in (path, *_kept_copies(ai_dir, path)):
            try:
                _unlink(gone)
            except OSError:
                pass


def drop_carried_leftovers(ai_dir: str, path: str) -> None:
    """When ``path``'s tombstone says its session was archived (``archived to T``): the
    files of ``path``'s history folder that are also in the archive's folder (``T``
    without ``.org``), the very same file (a hard link) or the same bytes, removed with
    their kept copies: what a wrap-up killed after the archive was in place, before it
    removed the old names, leaves (:func:`_move`, step 4). Only when ``T`` is there: a
    move killed before it (after the tombstone) left the folder's names as the copies
    (eighth review: they were taken for the originals). Nothing else is touched;
    nothing when there is no tombstone (one ``lstat``). Call holding ``path``'s lock."""
    tomb = tombstone_path(ai_dir, path)
    if not os.path.lexists(tomb):
        return
    where = moved_where(ai_dir, path) or ""
    if not where.startswith("archived to ") or not where.endswith(".org"):
        return
    folder = where[len("archived to "):-4]
    try:  # (a tombstone copied with the project names the original's archive: not ours)
        here = os.path.samefile(parent(folder), join(ai_dir, "sessions"))
    except OSError:
        here = False
    if not here or not os.path.isfile(folder + ".org"):
        # (a move killed before its archive was in place: the history folder's files
        # are the only ones a link names; the folder's names go, not these:
        # _drop_unfinished_carries)
        return
    history = history_folder(ai_dir, path)
    try:
        names = sorted(os.listdir(history))
    except OSError:
        return
    same = []
    for name in names:
        old, new = join(history, name), join(folder, name)
        try:
            if os.path.samefile(old, new) or (
                    os.path.isfile(new) and not os.path.islink(old) and
                    storage.read_bytes(old) == storage.read_bytes(new)):
                same.append(old)
        except (OSError, AiProtocolsError):
            continue
    _drop_earlier(ai_dir, same)
    _remove_empty_history(history)
    for kept in {parent(c) for old in same for c in _kept_copies(ai_dir, old)}:
        _remove_empty_history(kept)


def _carry(ai_dir: str, moves: list[tuple[str, str]]) -> list[str]:
    """Give each earlier-entries file its second name beside the archive (a hard link;
    a copy across file systems; a name that holds the same bytes already is kept),
    the folders fsynced: step 1 of :func:`_move`. Returns the names made, which
    :func:`_uncarry` removes when the move fails."""
    made: list[str] = []
    try:
        for old, new in moves:
            if os.path.lexists(new):
                if storage.read_bytes(new) == storage.read_bytes(old):
                    continue
                raise StorageError(new, FileExistsError(errno.EEXIST, "File exists"))
            _make_folder(parent(new))
            try:
                os.link(old, new, follow_symlinks=False)
            except OSError:
                data = storage.read_bytes(old)
                if data is None:
                    continue  # (gone meanwhile: its link names where it was)
                storage.atomic_write(new, data, exclusive=True)
            made.append(new)
        made += _keep_carried(ai_dir, [new for _, new in moves])
        for folder in {parent(new) for _, new in moves} | {parent(m) for m in made}:
            storage.fsync_dir(folder)
    except OSError as error:
        _uncarry(made)
        raise StorageError(moves[0][1], error) from error
    except BaseException:
        _uncarry(made)
        raise
    return made


def _keep_carried(ai_dir: str, news: list[str]) -> list[str]:
    """The kept copies of the earlier-entries files ``news`` a move gave new names in a
    history folder (an adoption's, into the adopter's; an archive's keep none), made
    before the old names and their copies go (issue 16, eleventh round): hard links,
    as :func:`_write_earlier` makes them. Returns those made (removed again when the
    move fails)."""
    made: list[str] = []
    for new in news:
        if os.path.relpath(new, ai_dir).split(os.sep)[0] != "history":
            continue
        kept = _kept_earlier(ai_dir, new)
        if kept is None or os.path.lexists(kept):
            continue
        _refuse_links(ai_dir, [kept])
        _make_folder(parent(kept))
        os.link(new, kept, follow_symlinks=False)
        made.append(kept)
    return made


def drop_adopted_leftovers(ai_dir: str, path: str, adopter: str) -> list[str]:
    """Finish an adoption of the session file ``path`` by ``adopter`` killed after it
    gave the earlier-entries files their new names but before it removed the old ones
    (:func:`_move`, step 4): each file of the tool's in ``path``'s history folder whose
    name holds the same bytes in ``adopter``'s (a second name, or a copy) is removed,
    with its kept copies, then the folders left empty; the adopter's file gets its
    kept copy when it has none. Returns the paths removed. Call holding both files'
    locks (:func:`locked_sessions`). A file only there, or another there, stays (it is
    no leftover: nothing is lost). The later steps are finished too, whichever the
    kill stopped at: once ``path`` is gone, its kept copy, its pending file and that
    file's copy (folded into the adopter's); the kept copies of old names removed
    already, where the adopter's folder holds the same bytes under that name; and the
    old folders left empty."""
    old, new = history_folder(ai_dir, path), history_folder(ai_dir, adopter)
    if not os.path.lexists(path):  # (step 4 done: the session is the adopter's)
        for gone in (pending_path(path), kept_path(ai_dir, path),
                     kept_path(ai_dir, pending_path(path))):
            _unlink(gone)
    _drop_orphaned_kept(ai_dir, old, new)
    try:
        names = sorted(os.listdir(old))
    except OSError:
        return []
    moves = []
    for name in names:
        one, there = join(old, name), join(new, name)
        if not named_as_ours(ai_dir, one) or os.path.islink(one) or os.path.islink(there):
            continue
        try:
            same = os.path.samefile(one, there) or (
                os.path.isfile(there) and storage.read_bytes(one) == storage.read_bytes(there))
        except (OSError, AiProtocolsError):
            continue
        if same:
            moves.append((one, there))
    if moves:
        try:
            _keep_carried(ai_dir, [there for _, there in moves])
        except (OSError, AiProtocolsError) as error:
            warn(f"the adopted earlier-entries files in {new} have no copy kept, and none "
                  f"could be made: {getattr(error, 'strerror', None) or error}")
            return []  # (the old names stay: they are the only second copy)
        _drop_carried(ai_dir, moves)
    return [one for one, _ in moves]


def _drop_orphaned_kept(ai_dir: str, old: str, new: str) -> None:
    """The kept copies of earlier-entries files of the history folder ``old`` whose own
    name is gone, where the folder ``new`` holds the same bytes under that name (an
    adoption killed between removing an old name and its kept copy): removed, then
    their folders when that leaves them empty."""
    for folder in {parent(kept) for kept in _kept_copies(ai_dir, join(old, "x.org"))}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            kept, there = join(folder, name), join(new, name)
            if name.startswith(".") or os.path.lexists(join(old, name)) or \
                    os.path.islink(kept) or os.path.islink(there):
                continue
            try:
                same = os.path.samefile(kept, there) or (
                    os.path.isfile(there) and os.path.isfile(kept)
                    and storage.read_bytes(kept) == storage.read_bytes(there))
            except (OSError, AiProtocolsError):
                continue
            if same:
                _unlink(kept)
        _remove_empty_history(folder)
    _remove_empty_history(old)


def _uncarry(made: list[str]) -> None:
    """Remove the names :func:`_carry` made (a move that failed)."""
    for name in made:
        _unlink(name)


def _drop_carried(ai_dir: str, moves: list[tuple[str, str]]) -> None:
    """After a move: the earlier-entries files' old names and kept copies removed (an
    archive has none), and their folder when that leaves it empty (best effort: a
    leftover is a copy no link names)."""
    folders = set()
    for old, _ in moves:
        _unlink(old)
        for kept in _kept_copies(ai_dir, old):
            _unlink(kept)
            folders.add(parent(kept))
        folders.add(parent(old))
    for folder in folders:
        try:
            storage.fsync_dir(folder)
        except OSError:
            pass
        _remove_empty_history(folder)


def _remove_empty_history(folder: str) -> None:
    """Remove ``folder`` and the folders above it up to the ``history`` folder that holds
    it (``.ai/history/``, and its mirrors where copies are kept), each only while it is
    empty (``rmdir``: a folder holding anything, a person's file, stays, and so do
    those above it). The tool's own folders: no empty ``.ai/history/session-context.d/``
    is left after the last session's wrap-up."""
    while folder and "/history" in folder:
        try:
            os.rmdir(folder)
        except OSError:
            return
        if os.path.basename(folder) == "history":
            return
        folder = parent(folder)


def _tidy(path: str, step: Callable[[], object]) -> None:
    """Run ``step``, a tidy-up after the write of ``path`` is made (the commit point of
    a write: removing what the write made redundant, a tombstone, a pending file,
    warnings): an error of the file system there (:class:`OSError`,
    :class:`~ai_protocols.errors.AiProtocolsError`) is said on stderr as a warning
    naming what stands in the way, never raised, so that the command does not fail
    after its change is made (its retry would make it twice). Raises nothing of its
    own."""
    try:
        step()
    except (OSError, AiProtocolsError) as error:
        where = getattr(error, "filename", None) or getattr(error, "path", None)
        reason = getattr(error, "strerror", None) or str(error)
        what = f"{where}: {reason}" if where else reason
        warn(f"{path} is written (the command is done: do not run it again), but a "
              f"tidy-up after it failed ({what}); move away what stands there, and the "
              f"next write tidies up")


def _drop_pending(ai_dir: str, path: str) -> None:
    """Remove the pending file of ``path`` and its kept copy: its entries are folded."""
    for pending in (pending_path(path), kept_path(ai_dir, pending_path(path))):
        _unlink(pending)


def _unlink(path: str) -> None:
    """Remove ``path``; nothing when it is not there (``Path.unlink(missing_ok=True)``)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _keep_left(ai_dir: str, path: str) -> None:
    """At a wrap-up's (or an abandon's) move of the session file ``path`` into its
    archive: its kept copy, the version this tool wrote last, renamed to
    :func:`~ai_protocols.session.names.left_path` beside the tombstone (one ``rename``,
    as the ``unlink`` it stands for), the base of ``merge-kept`` of a copy put back
    (:func:`_left_version`); a left version of an earlier session there goes when
    there is no kept copy."""
    try:
        os.replace(kept_path(ai_dir, path), left_path(ai_dir, path))
    except FileNotFoundError:
        _unlink(left_path(ai_dir, path))


def _prune_left(ai_dir: str, keep: tuple[str, ...]) -> None:
    """At an archive's move: what earlier ended sessions left under the lock folder
    and no one read for :data:`~ai_protocols.session.leftovers.KEEP_SECONDS` removed
    (:func:`~ai_protocols.session.leftovers.prune`), but this move's own (``keep``)."""
    import time

    from ai_protocols.session.leftovers import prune

    prune(ai_dir, time.time(), keep=keep)


def _drop_tombstone(ai_dir: str, path: str) -> None:
    """Remove the tombstone of ``path`` and, only when there was one (no more system
    calls on a write's usual path: one ``unlink``), the version a wrap-up left beside
    it (:func:`_keep_left`)."""
    try:
        os.unlink(tombstone_path(ai_dir, path))
    except FileNotFoundError:
        return
    _unlink(left_path(ai_dir, path))


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise StorageError(folder, error) from error


def _move(ai_dir: str, edit: SessionEdit, data: list[bytes | memoryview] | bytes,
          moves: list[tuple[str, str]]) -> None:
    """Write the session to ``edit.target`` and take it away from ``edit.path`` (see
    :meth:`SessionEdit.move_to`), so that a failure at any step changes nothing:

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
    (:func:`moved_away`), so it removes the file and says where the session went:
    the session is never doubled. A failure is reported as the file system refusing
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
    _make_folder(parent(target))
    written = storage.prepare(target, data, temp_name=edit.temp_name, locked=True,
                              keep=None if edit.exclusive else kept_path(ai_dir, target),
                              keep_link=False, keep_time=True)
    then = None
    carried: list[str] = []
    try:
        if edit.then is not None:
            then = storage.prepare(path, edit.then.encode("utf-8"), keep=kept_path(ai_dir, path),
                                   locked=True, keep_link=False, keep_time=True)
        carried = _carry(ai_dir, moves)
        storage.atomic_write(tomb, record, locked=True)
        try:
            _commit_target(edit, written, then)
        except BaseException:
            _unlink(tomb)
            raise
    except BaseException:
        _uncarry(carried)
        raise
    finally:
        written.discard()
        if then is not None:
            then.discard()
    say_not_kept(target, written.keep, written.keep_error)
    if then is not None:
        say_not_kept(path, then.keep, then.keep_error)
    # (the move is done: what follows tidies up, and a failure there only warns, _tidy)
    _tidy(target, lambda: _drop_carried(ai_dir, moves))
    _tidy(target, lambda: _drop_pending(ai_dir, path))
    if then is None and edit.tombstone.startswith("archived "):
        _tidy(target, lambda: _keep_left(ai_dir, path))
        _tidy(target, lambda: _prune_left(ai_dir, (tomb, left_path(ai_dir, path))))
    elif then is None:
        _tidy(target, lambda: _unlink(kept_path(ai_dir, path)))
    else:  # a new session is in the file's place: the tombstone has nothing to say
        _tidy(target, lambda: _drop_tombstone(ai_dir, path))
    _tidy(target, lambda: storage.fsync_dir(parent(path)))


def _commit_target(edit: SessionEdit, written: storage.Prepared,
                   then: storage.Prepared | None) -> None:
    """Steps 3 and 4 of :func:`_move`; step 3 undone when step 4 fails."""
    path, target = edit.path, edit.target
    backup = None
    if not edit.exclusive and os.path.lexists(target):  # the adopter's own (fresh) file
        backup = sibling(target, storage.temporary_name(os.path.basename(target),
                                                        locked=True, second=True))
        try:
            _unlink(backup)  # (a killed move's: the target's lock is held)
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


def stale_committed(ai_dir: str, path: str, doc: OrgFile,
                    head: tuple[str | None, str | None] | None,
                    read_as: os.stat_result | None) -> tuple[OrgFile, str, str] | None:
    """A stale save git holds, merged back: ``(the merged document, what it regained said
    by kind, where the version it went over is)``, or ``None``. The case
    (docs/decisions.md, "Issue 14, twenty-second round (a stale save committed)"): an
    editor's buffer of the session file ``path`` (read as ``doc``) opened on an older
    version, saved after a ``git pull`` (or this tool's write) and committed, here or in
    another clone (a fast-forward or a merge that took it whole brings it): ``HEAD``'s
    version is the save, so :func:`_brought_back`, :func:`_stale_earlier` and
    :func:`_stale_unkept`, which compare the file with ``HEAD``'s version, find nothing.

    The cheap tests first (no process): ``HEAD`` (``head``, :func:`~ai_protocols.git.
    head.read_head`) is not the commit the file records (``GIT_COMMIT``); with a kept
    copy, the file (``read_as``, its ``stat``) is not it
    (:func:`~ai_protocols.storage.files.same_version`), is of its session, and its write
    record (``UPDATED_AT``) is older than the kept copy's (:func:`written_later`: a
    version git put here), or the same one and ``HEAD`` moved since by more than one's
    own commits (:func:`git_moved`); a file with a later record than the kept copy's came
    through git from a later write, and is left to the other rules. Without a kept copy
    (a fresh clone), :func:`_brought_since`. Then git's history
    (:func:`~ai_protocols.session.stale_commit.went_over`, two git runs) gives the
    version the save went over (a later write record than the file's, below ``HEAD``'s
    versions that carry the file's); the version the buffer was opened on
    (:func:`opened_on`) must differ from the file (a save with nothing typed, or a
    revert, stands) and the version gone over must hold a change neither holds
    (:func:`~ai_protocols.session.merge.changes_lacking`). The three are merged as every
    stale save is (:func:`merge_stale`: the kept copy and the version gone over joined,
    the save's changes taken on them three ways on the version it was opened on; a
    deletion the person made from that version stands), checked to drop no line; when
    that is not clean, :class:`~ai_protocols.errors.StaleSave` is raised
    (:func:`_refuse_stale`'s commands), naming the version gone over. Raises nothing
    else of its own."""
    if head is None or head[1] is None or read_as is None:
        return None
    mine = session_headline(doc)
    if mine is None or mine.properties.get("GIT_COMMIT") == head[1]:
        return None  # (the commonest: HEAD where the file's last write saw it)
    props = dict(mine.properties.items())
    recorded_here = props.get("GIT_COMMIT")
    if not props.get("UPDATED_AT"):
        return None
    root = parent(ai_dir)
    there, older = _kept_other(kept_path(ai_dir, path), read_as)
    if not there:
        if not _brought_since(root, head, recorded_here):
            return None
    else:
        if older is None:
            return None
        theirs = _props_of(older)
        if theirs is None or not one_session(theirs, props):
            return None
        stamps = [(p.get("UPDATED_AT"), parse_timestamp(p.get("UPDATED", "")))
                  for p in (theirs, props)]
        if written_later(stamps[1], stamps[0]) and not written_later(*stamps):
            return None  # (a later write than the kept copy's: git brought it; a tie of
            # two records counts the file older, older_record's rule)
        if not written_later(*stamps) and not git_moved(root, head, recorded_here):
            return None  # (the kept copy's version, edited: HEAD moved by own commits)
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.stale_commit import went_over

    data = b"".join(doc.encoded())
    gone = went_over(path, data, head[1])
    if gone is None:
        return None
    over, where = gone
    below = os.path.relpath(path, root)
    recorded = (_props_of(older) or {}).get("GIT_COMMIT") if older is not None else None
    committed = git_version(root, f"{recorded}:./{below}") if recorded else None
    opened = opened_on(path, data, over if older is None else older, committed, True)
    if opened is None or opened == data:
        return None  # (no version it was opened on, or nothing typed: a revert stands)
    ancestor = committed is not None and below_head(root, recorded)
    kept_data = older
    if older is None:  # (no kept copy: the opened version stands for the tool's last)
        older = committed = opened
    from ai_protocols.session.merge import changes_lacking, lines_dropped

    held = held_entries(ai_dir, path, doc)
    joined = _tools_join(older, over, committed, ancestor, path)
    found = changes_lacking(data, over if joined is None else joined, held, also=(opened,))
    if _changed(found) <= 0:
        return None  # (the save dropped nothing of what was written after it was opened)
    merged = merge_stale(path, data, older, over, committed, ancestor, saved=True)
    # (a line of the tool's two versions the merge lacks is dropped unless the other of
    # them lacks it too, or the save removed it from the version it was opened on: the
    # person's deletion, which stands)
    if merged is None or merged.conflicts or \
            (lines_dropped(older, merged.data, data, over) and
             lines_dropped(older, merged.data, opened, data)) or \
            (lines_dropped(over, merged.data, data, older) and
             lines_dropped(over, merged.data, opened, data)):
        kept_holds = kept_data is not None and \
            _changed(changes_lacking(data, kept_data, held, also=(opened,))) > 0
        try:
            _refuse_stale(ai_dir, path, data, older, over, committed, recorded, found,
                          kept_holds=kept_holds)
        except StaleSave as refused:  # (the version gone over named, not HEAD's)
            raise StaleSave(path, where, refused.lacking, refused.commands, refused.settled,
                            refused.what, refused.kept_holds) from None
    return _regained(merged.data, data, found, where)
