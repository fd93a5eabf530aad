"""The pieces every part of the edit transaction shares, below all of them.

The value a body edits (:class:`SessionEdit`) and the file as a command read it
(:class:`AsRead`); the warning and the Emacs refusal every write and move says
(:func:`warn`, :func:`refuse_if_edited`); a session file's properties and history
as git holds them (``props_of``, ``_history``, ``_committed``, ``written_later``:
the write record's rule); the tombstone a move leaves (:func:`moved_away`,
:func:`moved_where`); and the small file steps (``unlink``, ``tidy``,
``make_folder``) that the concern modules and :mod:`ai_protocols.session.transaction`
above them call. The transaction's design: docs/architecture.md, docs/decisions.md,
"Tombstones tell a late writer where its session went" and "Issue 14, twentieth
round (the base of a stale save's merge)"; docs/decisions.md, "Twenty-fifth round:
transaction.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols import errors  # (a write's exceptions by name where caught: first use)
from ai_protocols.errors import (
    AiProtocolsError,
    StorageError,
    UnreadableSession,
)
from ai_protocols.lean import datetime, timedelta
from ai_protocols.liveness.clock import Moment
from ai_protocols.org.emacs_lock import EmacsLock, live_emacs_lock
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import entry_lines, format_timestamp, parse_timestamp, unescape_inline
from ai_protocols.paths import parent
from ai_protocols.session.locks import _kept_copies
from ai_protocols.session.model import LogEntry, Session
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.reading import read_session
from ai_protocols.session.rollover import Planned
from ai_protocols.session.sections import (
    SESSION_ID_PROPERTY,
    head_of,
    one_session,
    same_session_id,
    session_headline,
)
from ai_protocols.session.splice import append_entry, apply_entry, log_line, property_value
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


__all__ = [
    "A_DAY",
    "AsRead",
    "SessionEdit",
    "Stored",
    "abandoned",
    "base_of",
    "head_properties",
    "kept_earlier",
    "make_folder",
    "minute_of",
    "moved_away",
    "moved_where",
    "props_of",
    "read_or_none",
    "record_superseded",
    "ref_names",
    "refuse_if_edited",
    "refuse_links",
    "remove_empty_history",
    "say_not_kept",
    "stored_in_git",
    "tidy",
    "unlink",
    "warn",
    "what_stands",
    "written_later",
]


def minute_of(now: datetime | Moment | None) -> datetime:
    """``now`` (the local time when ``None``) to the minute, as Org's timestamps are."""
    if isinstance(now, Moment):
        return now.minute
    return (now or datetime.now()).replace(second=0, microsecond=0)


class SessionEdit:
    """A session file open for one change, as :func:`~ai_protocols.session.transaction.editing`
    gives it.

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
        #: entries out of it: what holds it there
        #: (:func:`~ai_protocols.session.rollover_plan.held_by`).
        self.over_bound: str | None = None
        #: Set when this write's warning of a stash gave the procedure of the git
        #: operation under way too (:func:`~ai_protocols.session.replaced.stash_back`): it is not
        #: given twice.
        self.operation_said = False
        #: Set when this write warned that it goes into an older version than the one
        #: written last, reachable from a branch or tag
        #: (:func:`~ai_protocols.session.replaced.replaced_warning` names it: HEAD left it): the
        #: ``moved:`` Log line is still written, its warning not given a second time.
        self.replaced_said = False
        #: When the write goes into an older version than the one written last: where
        #: that one recorded ``HEAD`` (:attr:`Stored.last_head`), for ``record_head``.
        self.last_head: tuple[str | None, str | None] | None = None
        #: The earlier-entries files this write links again, their entries taken out of
        #: the file (:func:`~ai_protocols.session.carries.relink_regained`): said on stderr when it
        #: is written.
        self.relinked: list[str] = []
        #: ``HEAD`` as read for this write (:func:`ai_protocols.git.head.read_head`), for
        #: ``record_head``; ``None`` when not read (or outside git).
        self.head_read: tuple[str | None, str | None] | None = None
        #: What git brought that a stale save dropped, merged back, said by kind, and
        #: where the version holding it is (:func:`~ai_protocols.session.stale_saves.brought_back`):
        #: said on stderr.
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
        ``brief``, read brief (:func:`~ai_protocols.session.reading.read_session`), from
        the document itself (its text is not joined and parsed again)."""
        return read_session(self.target, self.doc, brief=brief)

    def _writable(self) -> None:
        if self.emacs_lock is not None:
            raise AssertionError("only apply() may be called while Emacs holds the file")

    def set_properties(self, *values: tuple[str, str | None]) -> None:
        """Set each ``(KEY, value)`` in the session headline's drawer, in order; a
        ``None`` value removes the key. Only the lines of those keys change. Values
        are text (:func:`~ai_protocols.session.splice.property_value`), read back as
        given."""
        self._writable()
        self.status_set |= any(key.upper() == "STATUS" for key, _ in values)
        self.doc.set_properties(self.line, [
            (key, None if value is None else property_value(value)) for key, value in values])

    def note(self, text: str) -> None:
        """Append ``- <stamp> text`` to the Log section (``text``: one line without
        control characters, for instance from :func:`ai_protocols.session.text.preview`;
        it is made inert there, :func:`~ai_protocols.session.splice.log_line`)."""
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
        """Splice ``entry`` in (see :func:`ai_protocols.session.splice.apply_entry`);
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
            except errors.ItemNotFound as error:
                if at == 0:
                    raise
                text = storage.read_regular(self.path).decode("utf-8", "replace")
                try:  # (the same entry on the file as read: the count it holds)
                    apply_entry(OrgFile(text), self.line, entry, self.stamp)
                except errors.ItemNotFound as as_read:
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
        :func:`~ai_protocols.session.transaction.editing`): a failure leaves both files as they
        were."""
        self._writable()
        self.target = os.fspath(target)
        self.tombstone = tombstone
        self.exclusive = exclusive
        self.temp_name = temp_name
        self.then = then
        self.earlier_to = earlier_to


class AsRead:
    """A session file as a reader read it, for the edit that follows
    (:func:`~ai_protocols.session.transaction.editing`'s ``as_read``; the SessionStart hook's
    ``start``, then its record): ``data``, the bytes read, and ``doc``, the :class:`OrgFile` parsed
    from ``text``, their decoding (here: the one place a document is made to be spliced), read only
    until the edit. The edit reads the file again under its lock and takes ``doc`` only when what it
    reads is ``data`` byte for byte (a person's save, another command's write in between
    is read and parsed as always): no second decode, conflict scan and parse of the
    same bytes. The edit changes ``doc``: it is given to one edit."""

    __slots__ = ("data", "doc")

    def __init__(self, data: bytes, text: str) -> None:
        self.data, self.doc = data, OrgFile(text, source=data)


def moved_away(ai_dir: str, path: str, agent_id: str | None, started: datetime | None,
               read_as: os.stat_result, session_id: str | None = None) -> str | None:
    """Where the session in ``path`` went, when ``path`` is what a move left: its
    tombstone says where (``archived to T``, ``adopted by P``) and which file it
    moved (device, inode, size and mtime), that very file is still at ``path``
    (``read_as``; its session's ``agent_id``, ``started`` and ``session_id``), and the
    place it names holds this session (the same AGENT_ID, or ADOPTED_FROM, and STARTED;
    the same SESSION_ID or none on both sides,
    :func:`~ai_protocols.session.sections.same_session_id`). Else
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
    write (the write's tidy-up warns of it, :func:`tidy`)."""
    try:
        gone = storage.read_bytes(tombstone_path(ai_dir, path))
    except UnreadableSession:
        return None
    return None if gone is None else gone.decode("utf-8", "replace").split("\n")[0].strip()


def head_properties(path: str) -> dict[str, str] | None:
    """The session headline's properties of the file at ``path`` (its first 64 KiB),
    ``None`` when it cannot be read or has none."""
    try:
        with open(path, "rb") as source:
            data = source.read(65536)
    except OSError:
        return None
    return props_of(data)


def abandoned(where: str) -> str:
    """A tombstone's ``archived to T``, as ``abandoned, archived to T`` when the archive
    ``T`` is of a session abandoned (``ai-protocols abandon``): said as such."""
    if where.startswith("archived to "):
        props = head_properties(where[len("archived to "):])
        if props and props.get("STATUS") == "abandoned":
            return f"abandoned, {where}"
    return where


#: How far an archive's name (UTC) may be before its session's ``STARTED`` (local time).
A_DAY = timedelta(days=1)


#: for the version both sides derive from.
_BASES = 30


def _committed(path: str, older: bytes, newer: bytes,
               held: set[str] | None = None, *, since: str = "HEAD",
               carried: bool = False) -> bytes | None:
    """The newest version of the file at ``path`` that a commit reachable from ``HEAD``
    holds and that both ``older`` and ``newer`` derive from
    (:func:`ai_protocols.session.merge_diverged.base_rank`: the one ``older`` carries the write
    record of first, as git put it back and a person edited it; else the newest each
    holds every entry of), among the last
    :data:`_BASES` commits that changed it (``git log --raw``, then one ``git cat-file
    --batch``); ``None``: none is, no commit, untracked, no git. ``held``: entries
    (:func:`~ai_protocols.session.rollover.held_entries`) taken out of ``older`` and
    ``newer``, and so out of each committed version before it is ranked (a version
    from before a rollover holds the entries it moved); the version returned is so
    taken out too. ``since``: the commit whose history is looked through
    (:func:`~ai_protocols.session.wrapped_copy.archive_base`'s); ``carried``: the newest version
    that is of ``newer``'s session (:func:`~ai_protocols.session.sections.one_session`) and whose
    ``UPDATED_AT`` ``newer`` carries is returned first, whatever entries it holds."""
    from ai_protocols.session.merge_changes import without_held
    from ai_protocols.session.merge_diverged import base_rank

    mine = props_of(newer) if carried else None
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
            written = _written_with(path, versions, props_of(older) or {}, since, held)
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
    history): :func:`~ai_protocols.session.merge_changes.written_among`, the one all others
    carrying it hold. ``held``: entries taken out of each (:func:`_committed`'s).
    ``None`` when none carries it. Runs git twice more only when one does."""
    from ai_protocols.session.merge_changes import without_held

    stamp = props.get("UPDATED_AT")

    def carrying(found: list[bytes]) -> list[bytes]:
        return [v for v in found if (theirs := props_of(v)) and
                theirs.get("UPDATED_AT") == stamp and one_session(theirs, props)]

    mine = carrying(versions) if stamp else []
    if not mine:
        return None
    if since == "HEAD":
        more = _history(path, ["--reflog"])
        if held:
            more = [without_held(blob, held)[0] for blob in more]
        mine += [v for v in carrying(more) if v not in mine]
    from ai_protocols.session.merge_changes import written_among

    return written_among(mine) or mine[0]


def _history(path: str, revs: list[str]) -> list[bytes]:
    """The versions of the file at ``path`` that the last :data:`_BASES` commits that
    changed it, from ``revs`` (``git log`` arguments: ``HEAD``, ``--reflog``...), hold,
    newest first (:func:`~ai_protocols.git.history.history_versions`, after each commit)."""
    from ai_protocols.git.history import history_versions

    return history_versions(parent(path), path.rsplit("/", 1)[-1], revs, _BASES, before=False)


def props_of(data: bytes) -> dict[str, str] | None:
    """The session headline's properties of the session file bytes ``data`` (its head
    only: :func:`~ai_protocols.session.sections.head_of`); ``None`` when it holds none."""
    headline = head_of(data)
    return None if headline is None else dict(headline.properties.items())


def written_later(kept: tuple[str | None, datetime | None],
                  file: tuple[str | None, datetime | None]) -> bool:
    """Whether the write that left ``kept`` (its ``UPDATED_AT`` and ``UPDATED``, as
    :class:`~ai_protocols.session.model.Session` reads them) came after the one that left
    ``file``: by ``UPDATED_AT`` when both have one
    (:func:`~ai_protocols.session.stale_commit.older_record`, the one rule: two writes
    in one second differ in their seconds since boot; a tie of two records counts the
    file older), else by ``UPDATED`` (minutes). The
    one rule :func:`~ai_protocols.session.transaction.editing` (which refuses to write into an older
    version) and the read commands' warning (:func:`ai_protocols.session.resume.replaced_warning`)
    apply."""
    (kept_at, then), (file_at, now) = kept, file
    if Moment.parse(kept_at) is not None and Moment.parse(file_at) is not None:
        from ai_protocols.session.stale_commit import older_record  # (not every write's)

        # Another write's record, and not a later one: the file is an older version.
        return older_record(file_at, kept_at)
    return then is not None and now is not None and then > now


class Stored:
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


def ref_names(refs: list[str]) -> tuple[str, bool]:
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


def stored_in_git(path: str, kept: str) -> Stored | None:
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
            stored = Stored(blob, "a reflog only", False)
            stored.reflog_only = True
            return stored
        refs = GitRun(["git", "-C", folder, "for-each-ref", "--contains", commit,
                       "--format=%(refname)"], env, None).wait()
    except GitFailed:
        return None
    return Stored(blob, *ref_names(refs.decode("utf-8", "replace").split("\n")[:-1]))


def refuse_if_edited(path: str) -> None:
    """:class:`~ai_protocols.errors.BeingEdited` while a person has unsaved changes to
    ``path`` in Emacs: moving a file away under their buffer would make their save
    bring it back, so wrap-up and recover wait until they have saved."""
    emacs = live_emacs_lock(path)
    if emacs is not None:
        from ai_protocols.errors import BeingEdited  # (made on first use: errors_write)

        raise BeingEdited(path, emacs.owner)


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
          f"{what_stands(kept) or getattr(error, 'strerror', None) or error}; "
          f"move that away, and the next write makes the copy (until then, "
          f"{risk or f'git clean -fdx or git stash -u would lose what {path} holds'})")


def what_stands(place: str) -> str | None:
    """What stands at ``place`` when it is no regular file (``"a directory stands
    there"``), else ``None``. One ``lstat``."""
    import stat

    try:
        mode = os.lstat(place).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else f"{storage.kind_of(mode)} stands there"


def _changed(counts: tuple[int, ...] | None) -> int:
    """How many changes :func:`~ai_protocols.session.merge_changes.changes_lacking` counted, of
    every kind; -1 when it could not read a version."""
    return -1 if counts is None else sum(counts)


def kept_earlier(ai_dir: str, path: str) -> str | None:
    """Where the copy of the earlier-entries file ``path`` is written (inside the git
    folder in a git work tree: :func:`~ai_protocols.session.names.earlier_kept_paths`;
    ``None`` outside ``.ai/``)."""
    copies = _kept_copies(ai_dir, path)
    return copies[0] if copies else None


def read_or_none(path: str) -> bytes | None:
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


def base_of(ai_dir: str, one: str) -> str:
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


def refuse_links(ai_dir: str, paths: list[str | None]) -> None:
    for one in paths:
        if one is None:
            continue
        storage.refuse_symlinks(base_of(ai_dir, one), one)


def record_superseded(doc: OrgFile, digests: set[str]) -> None:
    """Add ``digests`` to the :data:`~ai_protocols.session.rollover.SUPERSEDED` property
    of the session's ``Earlier entries`` section (a rollover just made or found it)."""
    from ai_protocols.session.earlier_links import earlier_section
    from ai_protocols.session.rollover import SUPERSEDED
    from ai_protocols.session.sections import session_headline

    head = session_headline(doc)
    section = earlier_section(doc, head) if head is not None else None
    if section is None:
        return
    tokens = set(section.properties.get(SUPERSEDED, "").split()) | digests
    doc.set_properties(section.line, [(SUPERSEDED, " ".join(sorted(tokens)))])


def remove_empty_history(folder: str) -> None:
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


def tidy(path: str, step: Callable[[], object]) -> None:
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


def unlink(path: str) -> None:
    """Remove ``path``; nothing when it is not there (``Path.unlink(missing_ok=True)``)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise StorageError(folder, error) from error
