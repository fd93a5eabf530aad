"""``Board``: the task board's operations, as one agent sees them.

Every change is one transaction (:meth:`Board.editing`): take the board's
lock (``.ai/.locks/tasks.org.lock``, the same ``flock`` as session files),
refuse while a person has unsaved changes to it in Emacs
(:class:`~ai_protocols.errors.BeingEdited`, exit 10: a claim must not wait on
a person), read it, splice the change in, and write it atomically. A claim is
decided inside that lock, so of many agents claiming one task at once exactly
one wins; the others are told who holds it
(:class:`~ai_protocols.errors.TaskTaken`).

Whether the agent holding a claim or a lock is still at work is decided by
the evidence ``status`` uses (:mod:`ai_protocols.liveness.evidence`): its
session file's state when it has one, else the lease and the process that
took the claim, and its age. A claim or lock whose agent is crashed,
abandoned or wrapped up may be taken over, and the board says whose it was
and why; a live one (or one that cannot be judged) only with ``force``.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ai_protocols.board.model import (
    CLOSED_STATES,
    LINE_KEY,
    LOCKS_ID,
    RETYPED,
    SAID_AT_MOST,
    STATES,
    TODO_LINE,
    AreaLock,
    BoardFile,
    Handoff,
    Sunk,
    Task,
    UnlockRecord,
    _check_task_id,
    all_sunk,
    board_bytes,
    board_decode,
    board_file,
    board_path,
    board_text,
    board_text_of,
    board_title,
    board_value,
    check_drawers,
    check_given_path,
    check_line,
    check_role,
    check_tag,
    check_title,
    claim_void,
    done_states,
    dropped_by_merge,
    ended_elsewhere,
    ended_locks,
    find_task,
    handoffs,
    holder_name,
    id_fault,
    id_shown,
    join_paths,
    kept_board_bytes,
    kept_board_path,
    kept_other,
    line_key_miss,
    lock_record,
    locks_section,
    lost_claims,
    mint_task_id,
    names_a_loss,
    normalize_path,
    on_other_branch,
    overlap,
    overlap_real,
    own_log,
    plain_path,
    read_board,
    record_ended_locks,
    renamed_to,
    same_area,
    same_role,
    sunk_locks,
    task_headlines,
    undone_ends,
    unique_areas,
    unlock_item,
    unlock_records,
)
from ai_protocols.errors import (
    AiProtocolsError,
    BeingEdited,
    DuplicateTaskId,
    InvalidAgentId,
    InvalidText,
    NoProject,
    PathLocked,
    TaskClosed,
    TaskNotFound,
    TaskTaken,
)
from ai_protocols.git.history import head_holds
from ai_protocols.lean import counted, datetime, quoted, record, shell_quote, timedelta
from ai_protocols.liveness.evidence import (
    RECOVERABLE,
    Liveness,
    assess,
    current_owner,
    owner_property,
    stale_after,
)
from ai_protocols.org.emacs_lock import live_emacs_lock, lock_kind
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import (
    entry_lines,
    format_property,
    format_timestamp,
    unescape_inline,
)
from ai_protocols.paths import AI_DIR, BOARD_FILE
from ai_protocols.session.edit_base import minute_of
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.project import Project
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TypeVar

    from ai_protocols.scaffold import InitAction

    T = TypeVar("T")

__all__ = ["Board", "ClaimReport", "LockReport", "Lost", "duplicate_ids", "find_task", "held_by",
           "state_words"]


#: How much later than a wrap-up a claim must be to be of a later run: a claim's record
#: (``CLAIMED_AT``) is to the second; one without it, to the minute.
_SLACK = timedelta(minutes=1)


#: A claim's properties, which go together everywhere: who, which process, since when
#: (to the minute, and as a zone-proof record).
CLAIM_KEYS = ("OWNER", "OWNER_PROCESS", "CLAIMED", "CLAIMED_AT")


@record
class Lost:
    """A live claim (``task``, as the kept copy has it; ``missing``: the task is gone
    from the board on disk) or lock (``lock``) that the board on disk lost, with its
    agent's ``state`` (:meth:`Board.lost`); or (``undone``) the tool's last change to a
    task's claim or state that the board on disk lost (a close, release, hand-off or
    takeover git undid): ``task`` as the kept copy has it, ``now`` as the board on disk
    has it, with the claim there again, and ``state`` that claim's holder's."""

    task: Task | None
    lock: AreaLock | None
    state: Liveness
    missing: bool = False
    undone: bool = False
    #: The task on disk (another ``id``, or none, when a person deleted or retyped its
    #: ``:ID:`` line: :meth:`Board.same_tasks`).
    now: Task | None = None
    #: Not the kept copy's: a claim or lock ``HEAD``'s history holds unended, taken out
    #: by hand (:func:`~ai_protocols.board.unended.unended`), read from this board.
    source: OrgFile | None = None

    def describe(self) -> str:
        if self.task is not None and self.undone and self.now is not None:
            old = self.task
            was = f"{old.state}, claimed by {old.owner}" if old.owner and old.is_open \
                else f"{old.state}, unclaimed" if old.is_open else str(old.state)
            if not self.now.owner:
                return (f"task {old.id}: ai-protocols last wrote it {was}, but the board "
                        f"has it {self.now.state} again, in an older text (a close undone: "
                        "a buffer opened before it was saved over it, or git put back an "
                        "older board; the next change of the board closes it again)")
            return (f"task {old.id}: ai-protocols last wrote it {was}, but the board has "
                    f"it {self.now.state}, claimed by {self.now.owner} again (a close, "
                    "release, hand-off or takeover undone; that claim does not count)")
        hand = ", taken off the board by hand with no end: git's history holds it" \
            if self.source is not None else ""
        if self.task is not None:
            return (f"task {self.task.id} claimed by {self.task.owner} "
                    f"({state_words(self.state.state)}"
                    f"{'' if self.task.claimed_at else ', written by hand'}{hand})")
        assert self.lock is not None
        if self.undone:
            return (f"the lock on {self.lock.path} held by {self.lock.owner}: ai-protocols "
                    "removed it (unlock, or a takeover), but the board has it again (that "
                    "lock does not count)")
        return (f"the lock on {self.lock.path} held by {self.lock.owner} "
                f"({state_words(self.state.state)}"
                f"{'' if self.lock.locked_at else ', written by hand'}{hand})")


@record
class ClaimReport:
    """What ``task claim`` did: the task as now written; ``already``: it was the
    caller's already; ``previous`` and ``state``: whose claim it took over, and why."""

    task: Task
    already: bool = False
    previous: str | None = None
    state: Liveness | None = None
    #: The caller's own claim, renewed from a new process (its ``OWNER_PROCESS``).
    renewed: bool = False
    #: The caller's own claim, held by another process of the same agent id that still
    #: runs (its ``OWNER_PROCESS``): left with it, not renewed.
    shared: str | None = None
    #: The caller's own claim that held no more (its session wrapped up or abandoned
    #: since it was taken; the state and evidence), renewed so that it holds.
    revived: str | None = None


@record
class LockReport:
    """One area ``lock`` took: the lock, and each lock of another agent it replaced
    (its agent gone, or ``--force``) with that agent's state."""

    lock: AreaLock
    replaced: list[tuple[AreaLock, Liveness]]
    renewed: bool = False
    #: The caller's own lock, held by another process of the same agent id that still
    #: runs (its ``OWNER_PROCESS``): renewed, but left with that process.
    shared: str | None = None


#: How many times a change is made again on a board that changed under it (a person's
#: save between the read and the write) before it is refused.
CHANGE_TRIES = 8


class _Changed(Exception):
    """The board changed between its read and its write (:meth:`Board._write`);
    ``displaced``: the board as this write had made it and what another program saved
    over it in the moment it stood in place (:attr:`storage.Prepared.displaced`), for
    the redo to merge in (:meth:`Board._merge_displaced`), else ``None``; ``put_back``:
    the board this write was made from, the board as it had made it, and the save it
    put back in place (:attr:`storage.Prepared.put_back`), which a save made on the
    write in that moment may replace after the swap back, else ``None``."""

    def __init__(self, displaced: tuple[bytes, bytes] | None = None,
                 put_back: tuple[bytes, bytes, bytes] | None = None) -> None:
        super().__init__()
        self.displaced = displaced
        self.put_back = put_back


def _redone(method):  # type: ignore[no-untyped-def]
    """``method`` (a change of the board through :meth:`Board.editing`) made again, from
    the read on, while the board changes under it (:class:`_Changed`), at most
    :data:`CHANGE_TRIES` times in all; then
    :class:`~ai_protocols.errors.BeingEdited` (exit 10), nothing written."""

    def again(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._displaced = []
        self._put_back = []
        self._given_before = {}
        try:
            for _ in range(CHANGE_TRIES):
                try:
                    return method(self, *args, **kwargs)
                except _Changed as changed:
                    if changed.displaced is not None:  # (merged in order: each save
                        self._displaced.append(changed.displaced)  # over its own write)
                    if changed.put_back is not None:
                        self._put_back.append(changed.put_back)
            found = board_file(self.path)
            self._merge_displaced(found[0] if found is not None else None, aside=True)
            raise BeingEdited(self.path, "", "changed")
        finally:
            self._displaced = []
            self._put_back = []
            self._given_before = {}

    again.__name__, again.__qualname__ = method.__name__, method.__qualname__
    again.__doc__, again.__wrapped__ = method.__doc__, method  # type: ignore[attr-defined]
    return again


def _give_missing_ids(doc: OrgFile) -> list[tuple[str, int, str, int]]:
    """Give each task of ``doc`` without an ``:ID:`` (or with an empty one) a new id
    (:func:`~ai_protocols.board.model.mint_task_id`), all in one pass
    (:meth:`OrgFile.add_property_to_all`: a person may paste hundreds of tasks at once);
    returns each such task's title as typed, the line (an index) its headline stands
    on now, its id, and the line (an index) it stood on before, in board order."""
    headlines = [doc.headlines[i] for i in task_headlines(doc)]
    ids = {h.properties.get("ID", "").strip() for h in headlines}
    lacking = [h for h in headlines if not h.properties.get("ID")]
    if lacking:  # (the line each task with an id stood on as read: a ``line:N`` key's
        # message, :func:`_find`, says which task it is once the lines moved)
        doc.__dict__["read_ids"] = {h.line + 1: h.properties["ID"].strip() for h in headlines
                                    if h.properties.get("ID")}
    minted = []
    for _ in lacking:
        ids.add(new := mint_task_id(taken=ids))
        minted.append(new)
    empty = [(h, m) for h, m in zip(lacking, minted, strict=True) if "ID" in h.properties]
    if empty:  # (an ":ID:" line with no value: set where it stands)
        for headline, new in reversed(empty):
            doc.set_properties(headline.line, [("ID", new)])
        pairs = [(h, m) for h, m in zip(lacking, minted, strict=True) if "ID" not in h.properties]
        fresh = {h.line for h, _ in pairs}
        doc.add_property_to_all([doc.find(line) for line in sorted(fresh)],
                                "ID", [m for _, m in pairs])
    else:
        doc.add_property_to_all(lacking, "ID", minted)
    if not minted:
        return []
    given = set(minted)
    now = {h.properties["ID"]: h.line for h in (doc.headlines[i] for i in task_headlines(doc))
           if h.properties.get("ID") in given}
    return [(h.raw_title, now[m], m, h.line) for h, m in zip(lacking, minted, strict=True)]


class Board:
    """The task board ``.ai/tasks.org`` of ``project``, seen by its agent
    (``project.agent_id``, the id the session-context resolver uses)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        #: The board: this project's, or in a linked git work tree the main work tree's
        #: (:func:`~ai_protocols.board.model.board_path`: one board for all of them).
        self.path = Path(board_path(str(project.root)))
        #: What setting the project up did, when a change found no ``.ai/``
        #: (:func:`ai_protocols.scaffold.init_project`'s actions; empty: nothing).
        self.set_up: list[InitAction] = []
        #: Whose claim the last :meth:`release` ended (``None``: it released nothing).
        self.released_from: str | None = None
        #: Whether the last :meth:`reopen` opened a closed task (``False``: it was open).
        self.reopened = False
        #: Why the agent behind the last claim or lock cannot be judged by its process
        #: from outside (``None``: it can; :meth:`_agent_process`).
        self.unseen: str | None = None
        #: Where the per-machine copy of the last board this tool wrote is kept (a hard
        #: link): ``.ai/.locks/live/tasks.org`` beside the board (docs/git.md).
        self.kept_path = kept_board_path(str(self.path))
        #: What the last change put back of :meth:`lost` (one line each).
        self.restored: list[str] = []
        #: What the last change only noted on the board, putting nothing back: a task
        #: whose id a person changed, the change noted in its log (one line each).
        self.noted: list[str] = []
        self._noting: list[str] = []  # (what the change under way noted)
        #: What the last change corrected on the board: a task whose id a person typed
        #: as another task's id got its own back (one line each).
        self.corrected: list[str] = []
        self._correcting: list[str] = []  # (what the change under way corrected)
        #: The records of the claims the change under way put back from git's history
        #: (:meth:`_unended`), and whether the last release ended such a claim.
        self._hand_put_back: set[str | None] = set()
        self.hand_released = False
        #: The same, as the :class:`Lost` items put back (a release or unlock after a
        #: rollback says what it gave up came back from the kept copy first).
        self.restored_items: list[Lost] = []
        #: The git configuration file a change put the merge driver in (a clone's).
        self.driver_configured: str | None = None
        #: The locks the change under way removes (unlock, a takeover): recorded once it
        #: is written (:func:`~ai_protocols.board.model.record_ended_locks`).
        self._ending: list[AreaLock] = []
        #: What other programs saved over this change's own writes in the moment each
        #: stood in place (:class:`_Changed`): each write's bytes and the save over it,
        #: merged into the board each redo reads, for the whole change
        #: (:meth:`_merge_displaced`).
        self._displaced: list[tuple[bytes, bytes]] = []
        #: The saves this change's writes put back in place (:class:`_Changed`), each with
        #: the board the write was made from and the write, for the whole change: when a
        #: save made on the write replaced it, it is merged back (:meth:`_merge_displaced`).
        self._put_back: list[tuple[bytes, bytes, bytes]] = []
        # (what this board object read: one reading and parsing of the board, of its kept
        # copy, and one judgement of what git took away, per version of each: _read_once)
        self._read_memo: tuple[tuple[int, ...], bytes, BoardFile] | None = None
        #: The text of the version git brought, when the last read board lacks what it
        #: brought and its merge back is left to a person: its locks hold too (:meth:`read`).
        self._left: str | None = None
        self._kept_memo: tuple[bytes, BoardFile, list[Task], list[AreaLock]] | None = None
        self._lost_memo: tuple[tuple[int, ...], bytes, list[Lost]] | None = None
        self._same_memo: tuple[object, object, list[tuple[Task, Task]]] | None = None
        self._view_memo: tuple[tuple[int, ...], bytes, bytes, BoardFile] | None = None
        self._kept_of_memo: tuple[tuple[int, ...], bytes, bytes | None] | None = None
        #: Whether the board is gone from disk and is read, and written by the next
        #: change, whole from its kept copy (:meth:`_whole`).
        self.comes_back = False
        #: Whether the last change wrote such a board back whole.
        self.wrote_whole = False
        self._whole_memo: tuple[tuple[int, ...], bytes | None] | None = None
        #: The claims a switch off another branch took from the board that that branch's
        #: tip holds, committed (:meth:`lost`: not lost, not put back), said for a person.
        self.on_branches: list[str] = []
        #: The claims of the kept copy whose whole task a commit of ``HEAD``'s history
        #: deleted (another clone's, brought by git: an end, not put back), each with its
        #: holder's state, while that holder is not gone (:meth:`lost`; said for a person
        #: by :meth:`deleted_said`).
        self.deleted: list[tuple[Task, Liveness]] = []

    @classmethod
    def discover(cls, cwd: str | None = None) -> Board:
        """The board of the project around ``cwd`` (:meth:`Project.discover`).
        :class:`~ai_protocols.errors.NoProject` first, before anything about the agent
        is judged, when there is no project: ``AI_PROJECT_ROOT`` unset and no folder
        from ``cwd`` up holds ``.ai/`` or is the top of a git work tree."""
        from ai_protocols.paths import find_project_root

        root = find_project_root(cwd)
        if not os.environ.get("AI_PROJECT_ROOT") and not os.path.isdir(root / ".ai") and \
                not os.path.lexists(root / ".git"):
            raise NoProject(root)
        return cls(Project.discover(cwd))

    @property
    def me(self) -> str | None:
        return self.project.agent_id

    def is_me(self, owner: str | None) -> bool:
        """Whether the claim's or lock's ``owner`` is this agent (:attr:`me`, or its
        agent program's session under another work tree's name): the one rule,
        :func:`~ai_protocols.paths.is_own`."""
        from ai_protocols.paths import is_own

        return is_own(owner, self.me, self.own_suffix)

    @property
    def own_suffix(self) -> str | None:
        """``.RUNTIME.SESSION`` of the agent program's session this command runs in
        (:func:`~ai_protocols.paths.own_suffix`, read once); ``None``: none."""
        if not hasattr(self, "_suffix"):
            from ai_protocols.paths import own_suffix

            self._suffix = own_suffix()
        return self._suffix

    # -- reading ------------------------------------------------------------------------------

    def _doc(self) -> OrgFile | None:
        """The board as read (``None``: there is none): :meth:`_read_once`, as the next
        change will see it (:meth:`_view`): a reading command answers as it will once
        that change is written. Not to be changed: every reader of this board object
        shares it (a change is made on the write transaction's own reading:
        :meth:`editing`)."""
        found = self._read_once()
        return None if found is None else self._view(found)

    def _view(self, read: tuple[tuple[int, ...], bytes, BoardFile]) -> BoardFile:
        """The board ``read`` (:meth:`_read_once`) with the ids the next change gives
        back or notes (:meth:`_same_again`, run on a copy in memory, nothing written,
        nothing said): a task whose ``:ID:`` line a person deleted, or retyped to a text
        no id can be or to another task's id, has its own id; one retyped to an id keeps
        it, with the note of the id it had, so that ``task show OLD`` names the id it has
        now. ``read``'s own board when the kept copy is the board, or pairs no task
        anew (the common case: the kept copy's bytes compared, nothing parsed again).
        Once per version of the board and of the kept copy."""
        seen, data, doc = read
        kept = self._kept_of(read)
        if kept is None:
            return doc
        memo = self._view_memo
        if memo is not None and memo[0] == seen and memo[1] is data and memo[2] == kept:
            return memo[3]
        view = doc
        try:
            kept_doc, old_tasks, _ = self._kept(kept)
            pairs = self.same_tasks(doc, kept_doc, old_tasks)
            if pairs:
                view = BoardFile(doc.text)
                if "disk_lines" in doc.__dict__:  # (the same text: the same lines)
                    view.__dict__["disk_lines"] = doc.__dict__["disk_lines"]
                # (the same text: the same pairs, not paired a second time)
                self._same_memo = (view.headlines, kept_doc.headlines, pairs)
                saved = self._noting, self._correcting
                self._noting, self._correcting = [], []
                try:
                    self._same_again(view, data)
                finally:
                    self._noting, self._correcting = saved
        except (UnicodeDecodeError, ValueError, AiProtocolsError):
            view = doc
        self._view_memo = (seen, data, kept, view)
        return view

    def _read_once(self) -> tuple[tuple[int, ...], bytes, BoardFile] | None:
        """The board's bytes and its parsed text, with what ``stat`` said of the file
        (its device, inode, size and change times): read and parsed once for as long as
        the file is that one, unchanged (a command's many readers: ``task list`` read
        and parsed it ten times); read again once it is another file or changed (this
        tool's own write renames a new file over it; an editor's too, or writes into
        it, which changes its times). ``None``: there is no board. Raises what
        :meth:`_text` raises, and :func:`~ai_protocols.board.model.board_bytes`'s
        errors."""
        try:
            found = os.stat(self.path)
            seen: tuple[int, ...] | None = (found.st_dev, found.st_ino, found.st_size,
                                           found.st_mtime_ns, found.st_ctime_ns)
        except OSError:
            seen = None
        memo = self._read_memo
        if seen is not None and memo is not None and memo[0] == seen:
            return memo
        data = board_bytes(self.path)
        self._left = None
        if data is None:
            self._read_memo = None
            data = self._whole()  # (gone, and not by git: as the next change writes it)
            if data is None:
                return None
        text = self._text(data)  # (git's conflict markers: refused as they are)
        if data:  # (what git brought and a stale save dropped: as the next write reads it)
            from ai_protocols.board.brought import unchecked

            key = unchecked(str(self.path), data)  # (None: nothing to check, no git)
            if key is not None:
                from ai_protocols.board.stale import as_read

                merged, _, sides = as_read(str(self.path), data, key)
                self._left = sides[1] if sides else None  # (left to a person: both hold)
                if merged is not data:
                    from ai_protocols.board.stale import disk_lines

                    disk = BoardFile(text)
                    data, text = merged, board_text_of(self.path, merged)
                    view = BoardFile(text)
                    # (the lines said, and a line's key, are the file's: what Emacs shows)
                    view.__dict__["disk_lines"] = disk_lines(view, disk)
                    read = (seen or (), data, view)
                    self._read_memo = read if seen is not None else None
                    return read
        read = (seen or (), data, BoardFile(text))
        self._read_memo = read if seen is not None else None
        return read

    def _whole(self) -> bytes | None:
        """The kept copy's bytes when the board is gone from disk and comes back whole
        from it (:func:`~ai_protocols.board.removed.comes_back_whole`: removed, and not
        by a commit or checkout git made), else ``None``; sets :attr:`comes_back`. Judged
        once per version of the kept copy for this board object."""
        try:
            found = os.stat(self.kept_path)
            seen: tuple[int, ...] = (found.st_dev, found.st_ino, found.st_size,
                                     found.st_mtime_ns)
        except OSError:
            self.comes_back = False
            return None
        memo = self._whole_memo
        if memo is None or memo[0] != seen:
            from ai_protocols.board.removed import comes_back_whole

            memo = self._whole_memo = (seen, comes_back_whole(str(self.path), self.kept_path))
        self.comes_back = memo[1] is not None
        return memo[1]

    def _kept_of(self, read: tuple[tuple[int, ...], bytes, BoardFile]) -> bytes | None:
        """The kept copy's bytes when the board ``read`` (:meth:`_read_once`) is not
        them (:func:`~ai_protocols.board.model.kept_other`), else ``None``: read once per
        version of the board (the kept copy changes only with a write of the board)."""
        memo = self._kept_of_memo
        if memo is not None and memo[0] == read[0] and memo[1] is read[1]:
            return memo[2]
        try:
            kept = kept_other(str(self.path), self.kept_path, read[1])
        except OSError:
            kept = None
        self._kept_of_memo = (read[0], read[1], kept)
        return kept

    def _kept(self, kept: bytes) -> tuple[BoardFile, list[Task], list[AreaLock]]:
        """The kept copy ``kept`` (its bytes) parsed and read
        (:func:`~ai_protocols.board.model.read_board`, not checked), once for those
        bytes. Raises :class:`UnicodeDecodeError` and :class:`ValueError` as parsing
        does. Not to be changed: shared."""
        memo = self._kept_memo
        if memo is None or memo[0] != kept:
            doc = BoardFile(kept.decode("utf-8"))
            memo = self._kept_memo = (kept, doc, *read_board(doc, check=False))
        return memo[1], list(memo[2]), list(memo[3])

    def _text(self, data: bytes) -> str:
        """The board's text; :class:`~ai_protocols.errors.MergeConflict` while it holds a
        git merge's conflict markers (two clones changed it at once), and its subclass
        :class:`~ai_protocols.errors.Unmerged` while git's index holds it unmerged
        without them (:func:`~ai_protocols.session.unmerged.unmerged`): read as it is,
        it would lose claims and ids, so nothing reads or writes it until a person
        resolves the merge."""
        from ai_protocols.session.unmerged import unmerged

        text = board_text_of(self.path, data)

        found = unmerged(self.project.ai_dir_text, str(self.path), "the task board")
        if found is not None:  # (git's index holds it unmerged: the same rule, no markers)
            raise found
        return text

    def read(self, *, lenient: bool = False) -> tuple[list[Task], list[AreaLock]]:
        """The tasks and locks on the board (none when there is no board yet).
        ``lenient`` (a reader that writes nothing: ``check``): a drawer after a person's
        note is read where it stands rather than refused
        (:func:`~ai_protocols.board.model.stray_properties`). When the board lacks what
        git brought and its merge back is left to a person, the locks of the version git
        brought hold too, after the board's own (:func:`~ai_protocols.board.model.more_locks`,
        the PreToolUse hook's rule)."""
        doc = self._doc()
        if doc is None:
            return [], []
        tasks, locks = read_board(doc, self.path, check=not lenient)
        if self._left is not None:
            from ai_protocols.board.model import more_locks

            locks = locks + more_locks(locks, [self._left])
        return tasks, locks

    def dropped(self) -> list[str]:
        """What this agent lost to a git merge of the board and must be told, in words
        (:func:`~ai_protocols.board.model.dropped_by_merge`): ``[]`` without an agent id,
        a board, or one that cannot be read (the command says why), and at the cost of
        one search of the board's text when the board names no loss of this agent's."""
        from ai_protocols.errors import AiProtocolsError

        try:
            doc = self._doc()
            if doc is None or not names_a_loss(doc.text, self.me, self.own_suffix):
                return []
            return dropped_by_merge(doc, self.me, *read_board(doc, self.path, check=False),
                                    self.own_suffix, where=str(self.path.parent))
        except AiProtocolsError:
            return []

    def tasks(self) -> list[Task]:
        return self.read()[0]

    def disk_lines(self) -> dict[int, int | None] | None:
        """While the board lacks what git brought (a stale save) and is read with it
        merged back: the line in the file on disk of each task's headline, by its line
        as read (:func:`~ai_protocols.board.stale.disk_lines`; ``None`` for a task only
        git brought); ``None`` otherwise (the lines read are the file's)."""
        doc = self._doc()
        return None if doc is None else doc.__dict__.get("disk_lines")

    def locks(self) -> list[AreaLock]:
        return self.read()[1]

    def task(self, task_id: str) -> Task:
        """The task ``task_id`` names (:func:`find_task`: its whole id, or any end of it
        only one task's id has). :class:`~ai_protocols.errors.TaskNotFound` when none or
        several do, :class:`~ai_protocols.errors.DuplicateTaskId` when two tasks have
        that id."""
        with self._explained():
            doc = self._doc()
            if doc is None:
                return find_task([], task_id, self.path)
            return _find(doc, task_id, self.path)

    @contextlib.contextmanager
    def _explained(self) -> Iterator[None]:
        """A :class:`~ai_protocols.errors.TaskNotFound` raised inside, told why when the
        board read is not this work tree's own ``.ai/tasks.org``: in a linked git work
        tree every command reads the main work tree's board (:func:`board_path`), so a
        task only in this work tree's own (committed) copy is not there; the error says
        which board was read, and where the task is when that copy holds it."""
        try:
            yield
        except DuplicateTaskId:
            raise
        except TaskNotFound as error:
            own = os.path.join(str(self.project.root), AI_DIR, BOARD_FILE)
            if error.candidates or error.elsewhere or os.path.normpath(own) == \
                    os.path.normpath(str(self.path)):
                raise
            why = (f"this is a linked git work tree, and the work trees of a repository "
                   f"share the main work tree's board, {self.path}; this work tree's own "
                   f"{own} is not read")
            held = _own_copy_holds(own, error.task_id)
            if held is not None:
                why += (f", and it is there that task {held} is (a copy git checked out "
                        "with the branch): add it to the shared board with 'ai-protocols "
                        "task add', or run the command in the main work tree")
            else:
                why += "; 'ai-protocols task list' shows the shared board's ids"
            raise TaskNotFound(error.task_id, error.board, (), why) from None

    def sunk_claims(self) -> list[tuple[Sunk, Liveness]]:
        """The claims on headlines that hold a task's id but are no task (below level 1:
        demoted in Emacs; or in the board's Org archive: archived), whose task is open
        and whose holder is not gone (crashed, abandoned, wrapped up), with the holder's
        state: the board reads no task there, so the claim no longer counts and no
        command reaches the task (:func:`~ai_protocols.board.model.sunk_tasks`). Reading
        only; the archive is read only when there is one."""
        try:
            doc = self._doc()
        except AiProtocolsError:
            return []
        found = []
        closed = done_states(doc) if doc is not None else frozenset(CLOSED_STATES)
        try:  # (a task also on the board, put back there before: the board's is the task)
            ids = {t.id for t in read_board(doc, check=False)[0]} if doc is not None else set()
        except ValueError:
            ids = set()
        for sunk in all_sunk(doc, str(self.path)):
            if not sunk.owner or sunk.state in closed or sunk.id in ids:
                continue
            gone, state = self.gone(sunk.owner, sunk.owner_process, sunk.claimed,
                                    since_at=sunk.claimed_at)
            if not gone:
                found.append((sunk, state))
        for sunk in sunk_locks(doc) if doc is not None else ():  # (a lock moved the same way)
            gone, state = self.gone(sunk.owner, sunk.owner_process, sunk.claimed,
                                    since_at=sunk.claimed_at)
            if not gone:
                found.append((sunk, state))
        return found

    def agent_state(self, agent_id: str | None, process: str | None, since: datetime | None,
                    now: datetime | None = None, since_at: str | None = None, *,
                    advise: bool = True) -> Liveness:
        """Whether ``agent_id``, holding a claim or lock, is still at work, with the
        evidence, strongest first (docs/tasks.md, "Whether the holder is still at work"):

        0. an ``agent_id`` the board gives as no agent id, or not at all
           (:func:`~ai_protocols.board.model.owner_problem`): unknown, whose lock holds
           and whose claim only ``--force`` takes (never an error about ``AI_AGENT_ID``);
        1. its spawner's lease: live;
        2. its session wrapped up (its tombstone) since the claim was taken: wrapped up
           (the agent said it was done, whatever process is left);
        3. the ``process`` that took the claim or lock, running: live (a session file
           left by an earlier, dead process of the same agent never outranks it),
           unless its session is paused (``pause``): paused, as ``status`` says;
        4. its session file's state, as ``status`` decides it, when that says more than
           ``unknown``; but ``ended`` (its agent's own end record, a SessionEnd hook's)
           with no process of it running (the claim's or lock's, its session's: each
           recorded one gone from this host) for longer than the grace for a resume
           (:func:`~ai_protocols.liveness.evidence.ended_grace`) is abandoned: it left
           without a wrap-up, and what it held is anyone's to take over (a ``/clear``
           of Claude Code ends a session in a process that goes on: step 3 finds it
           running); so too when its processes are another host's or another PID
           namespace's (none can be checked, none known to run), but for an end by
           ``/clear`` (``session end (clear)``: its process goes on unseen), which
           waits until stale (:func:`~ai_protocols.liveness.evidence.stale_after`);
        5. the claim's own evidence: its process gone (crashed), else how long ago
           (``since``, the local time; ``since_at``, its ``CLAIMED_AT``/``LOCKED_AT``
           record, which no time zone misleads) it was taken (abandoned).

        An ``ended`` holder's evidence says how to free what it holds at once, for a
        person: ``ai-protocols abandon`` under its id, in the work tree its session lives
        in (``cd ROOT && ...`` when that is another work tree than this board's caller's);
        ``advise=False`` (the PreToolUse hook's refusal, read by another agent's model)
        says instead to ask a person or wait: an agent must not abandon another's
        session to get past its lock."""
        from ai_protocols.board.model import owner_problem
        from ai_protocols.liveness.clock import age_since
        from ai_protocols.liveness.evidence import Owner, lease_held

        moment = now or datetime.now()
        project = self.project
        age = age_since(since, since_at, moment)
        problem = owner_problem(agent_id)
        if problem is not None:  # a board's value, never AI_AGENT_ID: no agent to judge
            return Liveness("unknown", f"the board cannot say who holds it: {problem}", age)
        # Every work tree sharing this board: the holder's lease, session file or
        # wrap-up record is in the one it ran in, and the answer is the same from each.
        everywhere = [project, *self._other_work_trees()]
        if any(lease_held(p.ai_dir, agent_id) for p in everywhere):
            return Liveness("live", "its spawner holds the lease", age)
        session = None
        for where in everywhere:
            try:
                path = where.path_of(agent_id)
            except InvalidAgentId:
                break
            try:
                session = where.read(path)
            except Exception:  # unreadable, or none: judged by the claim alone
                session = None
            if session is not None:
                project = where
                break
            said = _wrapped_up(where.root, tombstone_path(where.ai_dir, path))
            # (a wrap-up before this claim or lock was taken is of an earlier run)
            if said is not None and _judged_by(said, since_at, age):
                return Liveness("abandoned" if said[0].startswith("its session was abandoned")
                                else "wrapped-up", said[0])
        recorded = Owner.parse(process) if process else None
        # (a paused session waits for its agent: paused, as 'status' says, even while
        # the process that took the claim runs)
        if recorded is not None and recorded.alive() and \
                (session is None or session.status not in ("wrapped-up", "paused")):
            return Liveness("live", f"its owner, process {recorded.pid}, is running", age)
        if session is not None:
            live = project.liveness(session, moment)
            if live.state == "ended":
                # (its own end record, and no process of it runs: the claim's, the
                # session's; Claude Code's /clear ends a session in a process that goes
                # on, which the check above finds running: live)
                # (after a grace for a resume: ended_grace, from its end record's write)
                from ai_protocols.liveness.evidence import ended_grace

                ran = [Owner.parse(text) for text in (process, session.owner) if text]
                ran = [owner for owner in ran if owner is not None]
                grace = ended_grace()
                if ran and live.age is not None and live.age >= grace and \
                        all(owner.alive() is False for owner in ran):
                    pids = " and ".join(sorted({str(owner.pid) for owner in ran}))
                    minutes = int(live.age.total_seconds() // 60)
                    return Liveness(
                        "abandoned", f"its session: {live.evidence}, but no process of it "
                                     f"runs (process {pids} on this host is gone) and it "
                                     f"ended {minutes} min ago (the grace for a resume: "
                                     f"{grace.total_seconds() / 60:g} min): what it held "
                                     "may be taken over", live.age)
                if ran and live.age is not None and \
                        all(owner.alive() is False for owner in ran):
                    # (gone, but within the grace: say when, and how to free it now)
                    pids = " and ".join(sorted({str(owner.pid) for owner in ran}))
                    left = int((grace - live.age).total_seconds() // 60) + 1
                    if advise:
                        from ai_protocols.lean import shell_quote

                        there = "" if project.root == self.project.root else \
                            f"cd {shell_quote(str(project.root))} && "
                        now_ = (f", or now if it will not resume: {there}AI_AGENT_ID="
                                f"{shell_quote(agent_id)} ai-protocols abandon --reason TEXT")
                    else:
                        now_ = ("; its agent may resume it before then: ask a person "
                                "whether it will, or wait")
                    return Liveness(
                        "ended", f"its session: {live.evidence}; no process of it runs "
                                 f"(process {pids} on this host is gone): what it held may "
                                 f"be taken over without --force in {left} min (the grace "
                                 f"for a resume, AI_PROTOCOLS_ENDED_GRACE_MINUTES){now_}",
                        live.age)
                # (a process of it this host cannot judge: another host's, another PID
                # namespace's; none known to run: its end record decides, after the same
                # grace for a resume; but an end by /clear, whose process goes on (its
                # SessionStart hook carries the claims to the new id), only once stale)
                unseen = sorted({f"process {owner.pid} on {owner.host}" for owner in ran
                                 if owner.alive() is None})
                if unseen and live.age is not None and \
                        not any(owner.alive() for owner in ran):
                    cleared = (session.exit or "").endswith("(clear)")
                    limit, name = (stale_after(), "AI_PROTOCOLS_STALE_HOURS, as it ended "
                                                  "by /clear, whose process goes on") \
                        if cleared else (grace, "the grace for a resume")
                    where = " and ".join(unseen)
                    minutes = int(live.age.total_seconds() // 60)
                    if live.age >= limit:
                        return Liveness(
                            "abandoned", f"its session: {live.evidence}; its {where} "
                                         f"cannot be checked from this host, and it ended "
                                         f"{minutes} min ago ({name}: "
                                         f"{limit.total_seconds() / 60:g} min): what it "
                                         "held may be taken over", live.age)
                    left = int((limit - live.age).total_seconds() // 60) + 1
                    now_ = ", or now, by 'ai-protocols abandon' there" if advise else \
                        "; ask a person whether it will resume, or wait"
                    return Liveness(
                        "ended", f"its session: {live.evidence}; its {where} cannot be "
                                 f"checked from this host: what it held may be taken over "
                                 f"without --force in {left} min ({name}){now_}", live.age)
            if live.state != "unknown":
                return Liveness(live.state, f"its session: {live.evidence}")
        judged = assess(project.ai_dir, agent_id=agent_id, status=None, owner=process,
                        exit_=None, exited=None, host=None, updated=since, now=moment,
                        stale_after=stale_after(), age=age)
        if judged.state == "unknown" and (recorded is None or not recorded.visible()):
            # (no process to judge: why, and until when it holds)
            left = stale_after() - age if age is not None else None
            until = f"{left.total_seconds() / 3600:.1f} h from now" if left is not None \
                else "an unknown time from now"
            why = "records no process of its agent (made in a sandbox's PID namespace, or " \
                "by a command its shell left behind)" if recorded is None else \
                f"records process {recorded.pid} of another PID namespace (a sandbox?), " \
                "which nothing here can see"
            return Liveness("unknown", f"the claim or lock {why}, and no lease or session "
                                       "file of its agent says more: it holds until "
                                       f"AI_PROTOCOLS_STALE_HOURS after it was taken ({until}),"
                                       " or until taken with --force once its agent is gone",
                            age)
        return judged

    def _other_work_trees(self) -> list[Project]:
        """This project in each other work tree of its git repository (the main one and
        every linked one, from the files git keeps: gitrepository-layout(5),
        ``worktrees/<id>/gitdir``), for the agent ``self.me``; none outside git."""
        if getattr(self, "_others", None) is None:
            mine = os.path.realpath(self.project.root)
            others = []
            for root in _work_tree_projects(str(self.path)):
                if os.path.realpath(root) != mine and os.path.isdir(root):
                    with contextlib.suppress(Exception):  # (a work tree git lost)
                        others.append(Project(root, self.me))
            self._others: list[Project] = others
        return self._others

    def gone(self, agent_id: str | None, process: str | None, since: datetime | None,
             now: datetime | None = None, since_at: str | None = None) -> tuple[bool, Liveness]:
        """Whether a claim or lock of ``agent_id`` may be taken over (its agent is
        crashed, abandoned or wrapped up), and the state that says so. An owner the
        board does not name, or names as no agent id, is ``unknown``: not gone."""
        state = self.agent_state(agent_id, process, since, now, since_at)
        return state.state in RECOVERABLE, state

    # -- claims and locks git took away --------------------------------------------------------

    def lost(self, doc: OrgFile | None = None) -> list[Lost]:
        """The live claims and locks of the last board this tool wrote (its kept copy,
        :attr:`kept_path`) that the board on disk (``doc``, else read) no longer holds:
        what ``git stash``, ``git checkout -- .ai/tasks.org``, ``git reset --hard`` or a
        branch switch took away (git puts an older board back). A claim counts as lost
        when its task is gone or open and unclaimed on disk; a lock, when no lock of
        that agent on that path is on disk; either only while its agent is not gone
        (crashed, abandoned, wrapped up); not when the claim's record is still on its
        task (a person closed and reopened it in Emacs) or the task is still on the
        board at another level (a person demoted it). An edit that took a claim's or
        lock's lines out is taken for git's. Cheap when nothing happened: the board
        holds the kept copy's bytes (:func:`~ai_protocols.board.model.kept_other`).
        Without ``doc``, judged once per version of the board and of the kept copy for
        this board object (a command's many callers share it): a long-running program
        makes a new :class:`Board` to judge the holders' liveness afresh."""
        if doc is not None:
            found = self._lost(doc, kept_other(str(self.path), self.kept_path))
            return found + self._unended(doc, found)
        try:
            read = self._read_once()
        except (UnicodeDecodeError, ValueError, OSError, AiProtocolsError):
            return []  # (a board that cannot be read, a symbolic link...: its command says why)
        kept = self._kept_of(read) if read is not None else \
            kept_other(str(self.path), self.kept_path, None)
        memo = self._lost_memo  # (the same board and kept copy: judged once per command)
        if memo is not None and read is not None and memo[0] == read[0] and memo[1] == kept:
            return list(memo[2])
        found = self._lost(read[2] if read is not None else None, kept)
        found += self._unended(read[2] if read is not None else None, found)
        if read is not None:
            self._lost_memo = (read[0], kept, found)
        return list(found)

    def _unended(self, doc: OrgFile | None, found: list[Lost]) -> list[Lost]:
        """The claims and locks ``HEAD``'s history holds unended that the board ``doc``
        lacks (:func:`~ai_protocols.board.unended.unended`: taken off by hand, in this
        clone or another, with no end of the tool's) and ``found`` (:meth:`_lost`'s)
        does not name, as :class:`Lost` items with their ``source``, while their holder
        is not gone: in every clone, whatever its kept copy, a claim of a task the board
        holds open and unclaimed, a lock no lock of another agent on the board overlaps.
        Cheap when ``HEAD`` did not move since it was last asked (a file read); raises
        nothing."""
        if doc is None:
            return []
        from ai_protocols.board.unended import still_unended, unended

        data = doc.text.encode("utf-8")
        source = unended(str(self.path), data)
        if source is None:
            return []
        had = {x.task.claimed_at for x in found if x.task is not None} | \
            {x.lock.locked_at for x in found if x.lock is not None}
        try:
            tasks, locks = read_board(doc, check=False)
            claims, held = still_unended(source, data, tasks, locks, had)
        except ValueError:
            return []
        by_id = {t.id: t for t in tasks if t.id}
        more = []
        for old in claims:
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone:
                more.append(Lost(old, None, state, False, now=by_id[old.id], source=source))
        for lock in held:
            gone, state = self.gone(lock.owner, lock.owner_process, lock.locked,
                                    since_at=lock.locked_at)
            if not gone:
                more.append(Lost(None, lock, state, True, source=source))
        return more

    def _lost(self, doc: OrgFile | None, kept: bytes | None) -> list[Lost]:
        """:meth:`lost` of the board ``doc`` (``None``: there is none) against the kept
        copy's bytes ``kept`` (``None``: the board holds them, or there is none)."""
        if kept is None:
            return []
        try:
            kept_doc, old_tasks, old_locks = self._kept(kept)
            tasks, locks = read_board(doc, check=False) if doc is not None else ([], [])
        except (UnicodeDecodeError, ValueError):
            return []
        same = {old.id or "": now for old, now in self.same_tasks(doc, kept_doc, old_tasks)}
        # (a task archived in Emacs: the archive holding its id is the person's doing)
        moved = {sunk.id for sunk in all_sunk(None, str(self.path))}
        found: list[Lost] = []
        self.on_branches = []
        live = []
        deleted: list[Task] = []
        for old, missing in lost_claims(old_tasks, doc, tasks, same, moved,
                                        board=str(self.path), deleted=deleted, kept=kept_doc):
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone and not self._persons_removal(doc, old.owner, old.claimed_at):
                live.append((old, missing, state))
        # (a claim another branch's tip holds: a switch off that branch took it; it stays
        # that branch's. git runs only in this case. Not a claim whose owner works in
        # another work tree sharing the board: no switch of this board's branch moved it)
        self.deleted = []
        for old in deleted:  # (a claim's whole task deleted elsewhere: said, not put back)
            gone, state = self.gone(old.owner, old.owner_process, old.claimed,
                                    since_at=old.claimed_at)
            if not gone:
                self.deleted.append((old, state))
        branched = [old for old, _, _ in live if self._works_here(old.owner)]
        where = dict(zip([id(old) for old in branched],
                         on_other_branch(str(self.path), branched), strict=True))
        for (old, missing, state), branch in zip(
                live, [where.get(id(old)) for old, _, _ in live], strict=True):
            if branch is not None:
                # (resume's one rule: the switch, or the work tree that has the branch
                # checked out, with the claimant's session file carried along)
                from ai_protocols.session.resume import go_to

                main = self._main_project()
                go = go_to(main, branch, self._session_file_of(main, old.owner))
                self.on_branches.append(
                    f"task {old.id} ({old.title}) is claimed by {old.owner} on branch "
                    f"{quoted(branch, 80)}, committed there; to work on it with the "
                    f"session of {old.owner}: {go}")
                continue
            found.append(Lost(old, None, state, missing,
                              now=same.get(old.id or "") if not missing else None))
        by_id = {t.id: t for t in tasks if t.id}
        undone = undone_ends(kept_doc, old_tasks, doc, tasks, same)
        if undone and doc is not None:
            from ai_protocols.board.stale import head_reverted

            if head_reverted(str(self.path), self.kept_path):
                undone = []  # (a git revert put them back: a person's choice, HEAD's)
        for old in undone:
            now = same.get(old.id or "") or by_id[old.id]
            state = self.agent_state(now.owner, now.owner_process, now.claimed,
                                     since_at=now.claimed_at)
            found.append(Lost(old, None, state, False, True, now))
        # Locks this tool removed (unlock, a takeover) that the board holds again: no lock.
        ended = ended_locks(str(self.path))
        kept_ids = {lock_record(h) for h in old_locks}
        undone = [h for h in locks if lock_record(h) in ended and lock_record(h) not in kept_ids]
        if undone:
            from ai_protocols.board.stale import head_reverted

            if head_reverted(str(self.path), self.kept_path):
                undone = []  # (a git revert put them back: a person's choice, HEAD's)
        locks = [h for h in locks if h not in undone]
        root = str(self.project.root)  # (a path a person retyped to the same place: held)
        held = {(plain_path(root, h.path), h.owner) for h in locks}
        # (a lock a person moved out of the Locks section in Emacs: moved, not lost; not
        # put back beside it, every command names its line: sunk_claims)
        held |= {(plain_path(root, s.lock.path), s.owner) for s in
                 (sunk_locks(doc) if doc is not None else ()) if s.lock is not None}
        missing_locks = []
        for old_lock in old_locks:
            if not old_lock.owner or (plain_path(root, old_lock.path), old_lock.owner) in held:
                continue
            if any(h.owner != old_lock.owner and overlap(h.path, old_lock.path)
                   for h in locks):
                continue  # another agent's lock is there now (a merge kept the earlier)
            missing_locks.append(old_lock)
        # (an unlock made in another clone, brought by a pull or a merge: the board holds
        # the item that unlock wrote; it stays out. An edit's removal is no end)
        removed = ended_elsewhere(str(self.path), doc, missing_locks)
        # (a lock is no branch's: it keeps its paths in every work tree sharing the
        # board, whichever branch each is on; a switch's loss of one is put back)
        for old_lock, out in zip(missing_locks, removed, strict=True):
            if out or self._persons_removal(doc, old_lock.owner, old_lock.locked_at):
                continue
            gone, state = self.gone(old_lock.owner, old_lock.owner_process, old_lock.locked,
                                    since_at=old_lock.locked_at)
            if not gone:
                found.append(Lost(None, old_lock, state, True))
        for again in undone:
            state = self.agent_state(again.owner, again.owner_process, again.locked,
                                     since_at=again.locked_at)
            found.append(Lost(None, again, state, False, True))
        return found

    def deleted_said(self, task: Task) -> str:
        """What git's history says of the claimed task ``task`` that a commit deleted
        whole (one of :attr:`deleted`): ``its task, ID (TITLE), was removed from the board
        by commit C; 'git show C' shows how`` (:func:`~ai_protocols.board.merge.
        id_in_history`, the words ``task show ID`` gives), or, when the history says no
        more, that a commit of ``HEAD``'s history removed it. Runs git (``git log -S``);
        raises nothing."""
        from ai_protocols.board.merge import id_in_history

        found = None
        try:
            doc = self._read_once()
            if doc is not None and task.id:
                found = id_in_history(doc[2], task.id, str(self.project.root))
        except (AiProtocolsError, OSError, ValueError):
            found = None
        if found is not None and found[2]:
            return found[2]
        return (f"its task, {task.id} ({task.title}), was removed from the board by a commit "
                "of HEAD's history ('git log -p -- .ai/tasks.org' shows which)")

    def _main_project(self) -> Project:
        """This project in the main work tree, where the board is (the first of
        :func:`_work_tree_projects`): ``self.project`` when this command runs there, or
        when that one cannot be read."""
        main = _work_tree_projects(str(self.path))[0]
        if os.path.realpath(main) == os.path.realpath(self.project.root):
            return self.project
        try:
            return Project(main, self.me)
        except Exception:  # (a work tree git lost: as _other_work_trees)
            return self.project

    @staticmethod
    def _session_file_of(project: Project, owner: str | None) -> str | None:
        """The session file of the agent ``owner`` in ``project`` when it is there (a
        claim's owner that :meth:`_works_here` placed in the main work tree), else
        ``None`` (no file to carry: an owner known by its lease, or no agent id)."""
        if not owner:
            return None
        try:
            path = project.path_of(owner)
        except InvalidAgentId:
            return None
        return str(path) if os.path.lexists(path) else None

    def _persons_removal(self, doc: OrgFile | None, owner: str | None,
                         record: str | None) -> bool:
        """Whether a claim or lock of the kept copy that the board ``doc`` lacks was
        removed by a person, for good: it is not what this tool wrote for an agent (no
        ``CLAIMED_AT``/``LOCKED_AT`` record, ``record``, or an ``owner`` that is no agent
        id: :func:`~ai_protocols.board.model.owner_problem`; a person wrote it by hand,
        docs/tasks.md "A holder the tool cannot judge"), and git did not write the board
        as it is (:meth:`_by_git`): a save, not a stash, checkout, reset or switch.
        Such a removal stands: not lost, not put back. One git run, only for such an
        item."""
        from ai_protocols.board.model import owner_problem

        if record and owner_problem(owner) is None:
            return False  # (the tool's, for an agent: put back, however it was removed)
        return doc is not None and not self._by_git()

    def _by_git(self) -> bool:
        """Whether the board on disk holds exactly what git's index holds for it (stage 0,
        ``git cat-file blob :PATH``, gitrevisions(7)): git wrote it as it is (a stash,
        checkout, reset or switch writes the index's version), not a person's save.
        ``False`` when it cannot be read, outside git or for a board git does not track.
        One git run."""
        from ai_protocols.git.history import file_at

        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        return file_at(str(self.path.parent.parent), "", f"{AI_DIR}/{BOARD_FILE}") == data

    def _works_here(self, owner: str | None) -> bool:
        """Whether the agent ``owner`` works in the work tree whose branch the board
        follows (the main work tree, where the board is), for the branch rule of
        :meth:`_lost`: always when no linked work tree shares the board; else only when
        that is known: its session file or its spawner's lease is in the main work tree
        and in no linked one, or this command is its own, run in the main work tree. A
        claim of an agent of another work tree, or of one not known, is held as any
        other (put back): a branch switch in the main work tree moved none of its work
        (docs/decisions.md, "Issue 14, seventeenth round (the board's stale saves,
        again)"). Reads files only; runs only for claims the board lost."""
        from ai_protocols.liveness.evidence import lease_held

        roots = _work_tree_projects(str(self.path))
        if len(roots) < 2:
            return True
        if not owner:
            return False
        main = os.path.realpath(roots[0])
        if self.is_me(owner) and os.path.realpath(self.project.root) == main:
            return True
        places = [self.project, *self._other_work_trees()]
        found = set()
        for place in places:
            try:
                there = place.path_of(owner).exists() or lease_held(place.ai_dir, owner)
            except (InvalidAgentId, OSError):
                return False
            if there:
                found.add(os.path.realpath(place.root))
        return found == {main}

    def held_tasks(self, tasks: list[Task] | None = None,
                   lost: list[Lost] | None = None) -> tuple[list[Task], list[str]]:
        """The open tasks the agent (:attr:`me`) holds: those the board on disk says it
        claimed (``tasks``: the board's, else read), then those whose claim git took off
        the board while the agent is at work (:meth:`lost`, or ``lost`` when the caller
        has it), as the kept copy has them; and the ids of the latter. A lost claim
        holds as a lost lock does (docs/tasks.md, "When git puts an older board back"):
        its working set limits ``check`` and the agent's context. No agent id: none."""
        me = self.me
        if not me:
            return [], []
        if tasks is None:
            tasks = self.read(lenient=True)[0]
        lost = self.lost() if lost is None else lost
        # (a claim git put back after this tool ended it: not held)
        undone = {item.now.line for item in lost if item.undone and item.now is not None}
        held = [t for t in tasks if t.is_open and self.is_me(t.owner) and t.line not in undone]
        ids = {t.id for t in held}
        kept: list[str] = []
        for item in lost:
            task = item.task
            if task is not None and not item.undone and self.is_me(task.owner) and \
                    task.id not in ids:
                held.append(task)
                kept.append(task.id or "")
                ids.add(task.id)
        return held, kept

    def same_tasks(self, doc: OrgFile | None, kept: OrgFile,
                   old_tasks: list[Task] | None = None) -> list[tuple[Task, Task]]:
        """The tasks of the kept copy ``kept`` (read as ``old_tasks``) whose ``ID`` the
        board ``doc`` no longer holds anywhere, each with the task of ``doc`` that is the
        same task: a person deleted or retyped its ``:ID:`` line. Known as the merge
        knows a task without an ``ID`` (:func:`~ai_protocols.board.merge.same_tasks`:
        title and tags, and place among those with them). ``[]`` without ``doc``."""
        from ai_protocols.board.merge import kept_task_pairs

        if doc is None:
            return []
        memo = self._same_memo  # (the same two versions: paired once per command)
        if memo is not None and memo[0] is doc.headlines and memo[1] is kept.headlines:
            return list(memo[2])
        if old_tasks is None:
            old_tasks = read_board(kept, check=False)[0]
        archived = {sunk.id for sunk in all_sunk(None, str(self.path))}
        pairs = kept_task_pairs(doc, kept, old_tasks, archived)
        if any(now.id for _, now in pairs) and self._git_wrote():
            # (the board is the one HEAD's commit holds: git's other id for a task, a
            # branch switch or a checkout, is no person's retyping: docs/tasks.md)
            # (but for the id its log says a person changed it from: git put back an
            # older board, said so by :meth:`_same_again`; and for the claim's evidence,
            # the same OWNER and CLAIMED_AT: a claim is made once, so a person changed
            # its id in a commit git brought, a pull or a merge)
            # (and for the id the task's own log says it had: its note came with it)
            pairs = [(old, now) for old, now in pairs if not now.id or _same_claim(old, now)
                     or _logged(kept, old.line, _retyped_note(now.id, old.id or ""))
                     or _had(doc, now, old.id)]
        self._same_memo = (doc.headlines, kept.headlines, pairs)
        return list(pairs)

    def _git_wrote(self) -> bool:
        """Whether the board on disk holds exactly what ``HEAD``'s commit holds
        (:func:`~ai_protocols.git.state.head_holds`): git wrote it as it is."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        root = self.path.parent.parent
        return head_holds(str(root), f"{AI_DIR}/{BOARD_FILE}", data)

    def _same_again(self, doc: OrgFile, data: bytes | None) -> list[str]:
        """Give each task whose ``:ID:`` line a person deleted its id back (the kept
        copy's), so that it stays the task its claim, its agent and its links name (a
        new one would make the put-back of :meth:`lost` add it a second time); a task
        whose id a person retyped keeps the person's id, with a line in its log naming
        the one it had (:meth:`same_tasks`); a task whose id is the one it had before a
        person's change, in a version older than that change (its log lacks the kept
        copy's note of it: git put back an older board), keeps git's id, gets back the
        log items the kept copy has, and a line saying so. What was put back, one line
        each; what was only noted (a person's retyped id) goes to ``self._noting``.
        ``data``: the board's bytes as read (``None``: there is no board)."""
        kept = kept_other(str(self.path), self.kept_path, data)
        if kept is None:
            return []
        try:
            kept_doc, old_tasks, _ = self._kept(kept)
            pairs = self.same_tasks(doc, kept_doc, old_tasks)
        except (UnicodeDecodeError, ValueError):
            return []
        said = []
        stamp = format_timestamp(minute_of(None))
        held = Counter(t.id for t in read_board(doc, check=False)[0] if t.id)  # (once)
        # Each task's notes, by the headline's place among the headlines (which the id
        # lines set here do not change), put in all at once after (one numbering of the
        # headlines for all: not one per note, quadratic on a big board).
        ordinal = {h.line: number for number, h in enumerate(doc.headlines)}
        notes: list[tuple[int, list[str]]] = []

        def note(task: Task, text: str) -> None:
            notes.append((ordinal[task.line - 1], entry_lines(stamp, _whole(text))))

        for old, now in sorted(pairs, key=lambda p: p[1].line, reverse=True):
            if not now.id:
                doc.set_properties(now.line - 1, [("ID", old.id)])
                said.append(f"task {old.id}: its :ID: line, deleted by hand, with its id")
            elif (fault := id_fault(now.id)) is not None:
                # (retyped to a text no id can be: its own back, the text named as the
                # one display rule shows it, nothing invisible written: docs/tasks.md)
                doc.set_properties(now.line - 1, [("ID", old.id)])
                note(now, f"its id was changed by hand to {id_shown(now.id)}, which cannot be "
                     f"a task's id ({fault.split(';')[0]}): given back ({old.id})")
                self._correcting.append(f"task {old.id}: its id, changed by hand to "
                                        f"{quoted(now.id)}, which cannot be a task's id "
                                        f"({fault}), given back; noted in its log")
            elif held[now.id] > 1:
                # (retyped into another task's id: one id names one task; its own back)
                doc.set_properties(now.line - 1, [("ID", old.id)])
                note(now, f"its id was changed by hand to {now.id}, another task's id: "
                     f"given back ({old.id})")
                self._correcting.append(f"task {old.id}: its id, changed by hand to "
                                        f"{now.id} (another task's id), given back; noted "
                                        "in its log")
            elif _logged(kept_doc, old.line, _retyped_note(now.id, old.id or "")) and \
                    not _logged(doc, now.line, _retyped_note(now.id, old.id or "")):
                # (the kept copy's task says a person changed the id from the one on
                # disk, and the task on disk is older than that note: git's doing; its
                # log as the kept copy has it first, then what happened)
                notes.append((ordinal[now.line - 1],
                              _missing_log(doc, now.line, kept_doc, old.line)))
                note(now, f"its id is {now.id} again: git put back an older board (it had "
                          f"been changed by hand to {old.id})")
                self._noting.append(f"task {now.id}: its id is {now.id} again, as git put "
                                    f"back an older board (a person had changed it to "
                                    f"{old.id}); noted in its log, with the log items the "
                                    "last board ai-protocols wrote had")
            elif _had(doc, now, old.id):
                continue  # (its log says so already: the merge's note, or one git brought)
            else:
                note(now, _retyped_note(old.id or "", now.id))
                self._noting.append(f"task {now.id}: its id was changed by hand from "
                                    f"{old.id}, noted in its log (the same task)")
        headlines = doc.headlines
        doc.insert_all([(doc.content_end(headlines[number]), lines) for number, lines in notes])
        return said[::-1]

    def _restore(self, doc: OrgFile, lost: list[Lost]) -> list[str]:
        """Put ``lost`` back into ``doc`` from the kept copy: a claim's properties on its
        task (the whole task, when it is gone), a lock's subtree in the locks section;
        for a change git undid (``undone``), the kept copy's claim, closure and role
        properties and state on the task, and the lines of its log the board lacks."""
        if not lost:
            return []
        own = self._kept(kept_other(str(self.path), self.kept_path) or b"")[0]
        said = []
        for item in lost:
            kept = item.source if item.source is not None else own
            if item.task is not None:
                old = item.task
                source = next((h for h in kept.headlines if h.properties.get("ID") == old.id),
                              None)
                if source is None:
                    continue
                # (a task whose :ID: a person retyped: known by the id it has now)
                ident = item.now.id if item.now is not None and item.now.id else old.id
                if item.undone:
                    now = next((t for t in read_board(doc, check=False)[0] if t.id == ident),
                               None)
                    if now is None:  # (two tasks with that id: nothing to put it on)
                        continue
                    doc.set_properties(now.line - 1, [
                        (key, source.properties.get(key))
                        for key in (*CLAIM_KEYS, "CLOSED_AT", "CHECKPOINT", "ROLE")])
                    if old.state and old.state != now.state:
                        _set_state(doc, now.line - 1, old.state)
                    _put_back_log(doc, now.line, kept, old.line)
                    said.append(f"task {ident}: {old.state}"
                                + (f", claimed by {old.owner}" if old.owner and old.is_open
                                   else "")
                                + f", as ai-protocols last wrote it (it was "
                                f"{now.state}"
                                + (f", claimed by {now.owner} again)" if now.owner else
                                   " again, in an older text)"))
                    continue
                if item.missing:
                    _append_at_end(doc, _bare(kept.lines_between(source.line, source.subtree_end)))
                else:
                    now = next(t for t in read_board(doc, check=False)[0] if t.id == ident)
                    doc.set_properties(now.line - 1, [
                        (key, source.properties.get(key))
                        for key in HELD_KEYS if key in CLAIM_KEYS or key in source.properties])
                    if old.state and old.state != now.state:  # a claim's state: DOING...
                        _set_state(doc, now.line - 1, old.state)
                    # (the claim's log items, and any other the board lost with it)
                    _put_back_log(doc, now.line, kept, old.line)
                said.append(f"task {ident}, claimed by {old.owner}")
            elif item.lock is not None and item.undone:
                again = next((h for h in read_board(doc, check=False)[1]
                              if lock_record(h) == lock_record(item.lock)), None)
                if again is not None:
                    _remove_subtree(doc, again.line - 1)
                    said.append(f"the lock on {item.lock.path} of {item.lock.owner} removed "
                                "again, as ai-protocols last left it")
            elif item.lock is not None:
                source = next((h for h in kept.headlines if h.line == item.lock.line - 1),
                              None)
                if source is None:
                    continue
                _append_lock(doc, _bare(kept.lines_between(source.line, source.subtree_end)))
                said.append(f"the lock on {item.lock.path}, held by {item.lock.owner}")
        return said

    # -- the transaction ----------------------------------------------------------------------

    @contextlib.contextmanager
    def editing(self, *, create: bool = False) -> Iterator[OrgFile]:
        """The board, open for one change under its lock; written atomically when the
        body ends without an exception and changed it. Without a board, the body sees
        an empty one, which ``create`` writes (making ``.ai/`` as ``init`` does when
        needed) and which is otherwise never written. Tasks a person added without an
        ``ID`` get one; a board whose ``#+TODO:`` line no longer declares the states
        gets one at its top. Raises :class:`~ai_protocols.errors.BeingEdited` while Emacs
        holds unsaved changes to the board, and what any write may raise."""
        ai_dir = self.path.parent
        if not ai_dir.is_dir():
            if not create:
                yield BoardFile(board_text())  # nothing to find there: nothing is written
                return
            self._set_up()
        else:
            self._merge_driver()
        with storage.locked(ai_dir, self.path):
            storage.discard_partial_writes(self.path, self.kept_path)
            emacs = live_emacs_lock(self.path)  # a stale one (its Emacs gone) is ignored
            if emacs is not None:
                raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
            found = board_file(self.path)
            data, read_as = found if found is not None else (None, None)
            whole = self._whole() if data is None else None  # (gone, not by git: whole)
            doc = BoardFile(board_text()) if data is None and whole is None else \
                BoardFile(self._text(whole or data or b""), source=whole or data)
            check_drawers(doc, self.path)  # an id Org does not see: never written over
            # What git brought and a stale buffer's save dropped: merged back first
            # (said here, or refused: not by a reader of this command as well)
            from ai_protocols.board.brought import settled, unsettled

            dropped = settled(str(self.path))
            from ai_protocols.board.stale import (
                brought_back,
                keep_read,
                link_last,
                record_head,
                revert_said,
            )

            brought = brought_back(str(self.path), self.kept_path, data) \
                if data is not None else None
            disk = None
            if brought is not None:
                disk, doc = doc, BoardFile(self._text(brought[0]))
                check_drawers(doc, self.path)
                doc.__dict__["disk_doc"] = disk  # (a line:N key's lines: _give_ids)
            # What another program saved over this change's last write: merged in.
            displaced = self._merge_displaced(brought[0] if brought is not None else data)
            if displaced is not None:
                # (a save the write put back, made on the board before it, takes the
                # write's own change out, and with it what the write merged back from
                # git: judged again, as the board now stands; docs/decisions.md, "Issue
                # 14, twenty-first round (a save at the write, over a stale save)")
                again = brought_back(str(self.path), self.kept_path, displaced)
                if again is not None:
                    displaced, brought = again[0], brought or again
                doc = BoardFile(self._text(displaced))
                check_drawers(doc, self.path)
                if disk is not None:  # (still the file's lines that a line:N key names:
                    # the board merged, on the file as read; docs/decisions.md, "Issue
                    # 14, twenty-first round (a save at the write, over a stale save)")
                    doc.__dict__["disk_doc"] = disk
            # Live claims and locks git took away (git stash, checkout...): put back.
            # (a board git removed is the oldest board of all: the same)
            self._ending = []
            self._noting = []
            self._correcting = []
            lost = self.lost(doc) if whole is None else []
            # (lost claims this write puts back, from the kept copy or git's history: a
            # forced release of one names its record, as of one deleted by hand)
            self._hand_put_back = {x.task.claimed_at for x in lost
                                   if x.task is not None and not x.undone}
            put_back = self._same_again(doc, data) if whole is None else \
                [self._came_back_words(doc)]  # (before: _restore finds those by id)
            put_back += self._restore(doc, lost)
            self._drop_named_ends(doc)
            self._new_ids(doc)  # (before the command: it sees the ids the board keeps)
            self._give_ids(doc)  # (and a task a person added without one: its own)
            as_read = done_states(doc)
            if not set(STATES) <= doc.declared_keywords or \
                    not set(CLOSED_STATES) <= as_read:  # its #+TODO: line: gone,
                # changed (without it, "DOING x" would be a title; without its "|", Org
                # takes only the line's last word for a done state: DONE would be open)
                doc.insert(0, [TODO_LINE])
                # The command judges the board as read, as Org (and task list) reads it
                # now; a state it sets ends that (_set_state): the line it writes decides.
                doc.read_done = as_read
            before = doc.text
            try:
                yield doc
            except BaseException:  # (the command refused: nothing written, the board still
                unsettled(str(self.path), dropped)  # lacks what a reader said it lacks)
                raise
            _give_missing_ids(doc)
            if not (data is None and create) and brought is None and displaced is None and (
                    doc.text == before or (data is None and not put_back and
                                           not self._noting and not self._correcting)):
                return  # nothing changed: the file stays as it was, inode and all
            if whole is not None:  # (the base of a stash's board and this one: kept)
                from ai_protocols.board.removed import keep_base

                keep_base(self.kept_path, whole)
            last = kept_board_bytes(self.kept_path)  # (this tool's last write)
            linked = link_last(self.kept_path)  # (it, as this write reads it)
            try:
                self._write(doc, read_as, data)
            except BaseException:
                keep_read(self.kept_path, b"", None, linked, wrote=False)
                raise
            # (a stale save's bases; a write that merged one back goes on from the
            # kept copy: a deletion in a buffer made after it is not told from one; a
            # board that came back whole was read as its kept copy)
            read = whole if whole is not None else \
                data or board_text().encode()  # (none, or empty: an empty board)
            keep_read(self.kept_path, last if brought is not None and last else read,
                      last, linked)
            record_head(str(self.path), self.kept_path)
            if brought is not None:
                from ai_protocols.session.edit_base import warn

                warn(f"{self.path} lacked {brought[2]}; merged back. "
                     f"{revert_said(data or b'', brought[0], mode=True)}")
            record_ended_locks(str(self.path), self._ending)
            _warn_operation(str(self.path))
            self.restored = put_back
            self.noted = self._noting
            self.corrected = self._correcting
            self.restored_items = lost if put_back else []
            self.wrote_whole = whole is not None


    def _drop_named_ends(self, doc: OrgFile) -> None:
        """Take off ``doc`` each claim and lock whose own end item is on it (the claim's
        task log names its ``CLAIMED_AT``: :func:`~ai_protocols.board.model.
        claim_named_ended`; the Locks section names its ``LOCKED_AT``:
        :func:`~ai_protocols.board.model.named_unlocked`): every reader already reads
        them as ended (the owner's clone put them back before it saw the end, and git
        merged both); the write tidies them away as ``task release`` and ``unlock`` do
        (a ``DOING`` task back to ``TODO``), the end items kept, and says so in
        ``self._correcting``. Surgical: only those lines change. Raises nothing."""
        from ai_protocols.board.model import claim_named_ended, named_unlocked, read_value

        done = done_states(doc)
        while "(CLAIMED_AT " in doc.text:  # (no end item names a claim: nothing to take off)
            found = next(((h, h.properties) for h in (doc.headlines[i]
                                                       for i in task_headlines(doc))
                          if h.todo not in done and
                          claim_named_ended(doc, h, h.properties)), None)
            if found is None:
                break
            h, props = found
            doc.set_properties(h.line, [(key, None) for key in CLAIM_KEYS])
            if h.todo == "DOING":
                _set_state(doc, h.line, "TODO")
            self._correcting.append(
                f"task {props.get('ID') or f'on line {h.line + 1}'}: "
                f"{holder_name(read_value(props.get('OWNER')))}'s claim (CLAIMED_AT "
                f"{props['CLAIMED_AT']}), ended for good by the release item naming it, "
                "taken off")
        unlocked = named_unlocked(doc)
        section = locks_section(doc)
        if section is None or not unlocked:
            return
        top = doc.headlines[section]
        ended = [h for h in doc.headlines[section + 1:]
                 if h.line < top.subtree_end and h.level == top.level + 1 and
                 h.properties.get("LOCKED_AT") in unlocked]
        for h in reversed(ended):
            self._correcting.append(
                f"{read_value(h.properties.get('PATH')) or h.raw_title}: "
                f"{holder_name(read_value(h.properties.get('OWNER')))}'s lock (LOCKED_AT "
                f"{h.properties['LOCKED_AT']}), ended by the unlock item naming it, "
                "taken off")
            _remove_subtree(doc, h.line)
        self._correcting[len(self._correcting) - len(ended):] = \
            reversed(self._correcting[len(self._correcting) - len(ended):])

    def _came_back_words(self, doc: OrgFile) -> str:
        """What a change that writes a gone board back whole (:meth:`_whole`) says it
        put back: the board, with how many tasks and locks, from where."""
        try:
            tasks, locks = read_board(doc, check=False)
        except ValueError:
            tasks, locks = [], []
        return (f"the whole board, {counted(len(tasks), 'task', 'tasks')} and "
                f"{counted(len(locks), 'lock', 'locks')}, from its kept copy "
                f"{self.kept_path} (it was removed, and not by ai-protocols nor by a git "
                "commit or checkout: rm, git clean, git stash -u?)")

    def _merge_displaced(self, current: bytes | None, *, aside: bool = False) -> bytes | None:
        """The board ``current`` (as read, or with what git brought merged back; ``None``:
        there is none) with what other programs saved over this change's earlier writes
        in the moment each stood in place (:attr:`_displaced`) merged in, each as git
        merges a branch: what the save changed from the write it was made on, applied
        to the board (:func:`~ai_protocols.board.merge.merge_board_bytes`); then each
        save those writes put back (:attr:`_put_back`) that a save made on the write
        replaced after the swap back: when ``current`` holds the write's change
        (:func:`~ai_protocols.board.merge.tasks_lacking` finds none of it lacking: the
        person saved on the write, not on the save put back), the save's change from
        the write, which also takes the write's own change out (the change is made
        again on what this gives). ``None`` when nothing changed. Each save is merged
        again at each read for the whole change: the write that held the merge may not
        land either (another save came first), and the board read again lacks it
        again. A save that cannot be merged (conflicting changes, or no board this
        merge understands) is set aside (:meth:`_set_aside`), never lost, and merged no
        more; a save put back, with the write's own change taken out of the board where
        that merges. With ``aside`` (the change gives up: nothing is written), each
        save is set aside instead, a save put back when ``current`` lacks it. Raises
        what :meth:`_set_aside` raises."""
        if not self._displaced and not self._put_back:
            return None
        from ai_protocols.board.merge import merge_board_bytes, tasks_lacking

        labels = (str(self.path), "written", "saved")
        merged = current if current is not None else board_text().encode()
        for one in list(self._displaced):
            written, saved = one
            result = None if aside else merge_board_bytes(written, merged, saved,
                                                          labels=labels)
            if result is None or result.conflicts:
                self._set_aside(saved)
                self._displaced.remove(one)
            else:
                merged = result.data
        for two in list(self._put_back):
            read, written, saved = two
            if tasks_lacking(merged, written, (read,)) != 0:  # (made on the save put
                if aside and tasks_lacking(merged, saved, (written,)) != 0:  # back, or
                    self._set_aside(saved)  # no board: as it is)
                continue
            result = None if aside else merge_board_bytes(written, merged, saved,
                                                          labels=labels)
            if result is not None and not result.conflicts:
                merged = result.data
                continue
            self._set_aside(saved)
            self._put_back.remove(two)
            undone = None if aside else merge_board_bytes(written, merged, read, labels=labels)
            if undone is not None and not undone.conflicts:
                merged = undone.data
        return merged if merged != current else None

    def _set_aside(self, saved: bytes) -> None:
        """Keep ``saved`` (another program's save over this change's write, which could
        not be merged in) beside the board, as ``tasks.org.saved-<UTC time>`` (untracked:
        ``git status`` shows it), and say so on stderr with how to merge it. Raises
        :class:`~ai_protocols.errors.StorageError` when it cannot be written."""
        from datetime import datetime, timezone

        from ai_protocols.session.edit_base import warn

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.saved-{stamp}")
        storage.atomic_write(aside, saved, exclusive=True)
        warn(f"another program saved {self.path} at the moment ai-protocols wrote it, and "
             f"its save could not be merged in: kept as {aside}; compare the two (M-x "
             f"ediff-files) and copy what it adds into the board")

    def _give_ids(self, doc: OrgFile) -> None:
        """Give each task a person added without an ``:ID:`` (``org-insert-todo-heading``
        in Emacs) an id of its own, before the command runs, so that the command can
        name it (``task claim TITLE``: :func:`_find`); each said in ``self._correcting``
        (docs/tasks.md, "A task added in Emacs"). The ids given are kept on ``doc``
        (``given_ids``, and by the line each task stood on, ``given_lines``: the
        ``line:N`` key ``task list`` told) for :func:`_find`. When ``doc`` merged back
        what git brought (a stale save), the line in the file on disk of each task, by
        its line here (``disk_lines``: the keys ``task list`` told are the file's)."""
        disk = doc.__dict__.pop("disk_doc", None)
        if disk is not None:  # (taken as the given lines are: before the ids move them)
            from ai_protocols.board.stale import disk_lines

            doc.__dict__["disk_lines"] = disk_lines(doc, disk)
        lines = doc.__dict__.get("disk_lines")
        # (ids an earlier try of this change gave, back in the board through another
        # program's save at its write, merged in: their tasks are still named by the
        # keys they had, their line in the file as read or their title; docs/decisions.md,
        # "Issue 14, twenty-first round (a save at the write, over a stale save)")
        came_back = self._came_back(doc, lines)
        given = _give_missing_ids(doc)
        for title, line, minted, _was in given[:SAID_AT_MOST]:
            self._correcting.append(
                f"task {minted} ({quoted(unescape_inline(title))}, line {line + 1}), added "
                "without an id: given its id")
        if len(given) > SAID_AT_MOST:
            more = given[SAID_AT_MOST:]
            self._correcting.append(
                f"{counted(len(more), 'more task', 'more tasks')} added without an id (lines "
                f"{more[0][1] + 1} to {more[-1][1] + 1}): given their ids (task list shows "
                "them)")
        before = getattr(self, "_given_before", None)
        if before is not None:  # (within _redone: kept for the next try)
            for _, _, minted, was in given:
                before[minted] = was + 1 if lines is None else lines.get(was + 1)
        doc.__dict__["given_ids"] = frozenset(
            [minted for _, _, minted, _was in given] + list(came_back.values()))
        doc.__dict__["given_lines"] = {**came_back,
                                       **{was + 1: minted for _, _, minted, was in given}}

    def _came_back(self, doc: OrgFile, lines: dict[int, int | None] | None
                   ) -> dict[int, str]:
        """The tasks of ``doc`` (a board about to be changed again, :func:`_redone`)
        that hold an id an earlier try of this change gave (``_given_before``: each id,
        the line its task had in the file as read), by their line here (as read, before
        this try's ids move them); each such line is made to stand for that file's line
        in ``lines`` (``disk_lines``, when the board merges back what git brought), so
        that ``line:N`` and the title reach the task the earlier try found (without
        ``lines``, by that line as read: the key's). Empty outside a redo. Reads
        nothing."""
        before = getattr(self, "_given_before", None)
        if not before:
            return {}
        found = {}
        for index in task_headlines(doc):
            headline = doc.headlines[index]
            ident = headline.properties.get("ID", "").strip()
            if ident not in before:
                continue
            if lines is not None:  # (a line of the file on disk: told through the table)
                found[headline.line + 1] = ident
                lines[headline.line + 1] = before[ident]
            elif before[ident] is not None:  # (the line as read: the key's own)
                found[before[ident]] = ident  # type: ignore[index]
        return found

    def _new_ids(self, doc: OrgFile) -> None:
        """Give each task whose ``:ID:`` a person typed as a text no id can be
        (:func:`~ai_protocols.board.model.id_fault`), and that is no task the kept copy
        knows (:meth:`_same_again` gave such a task its own id back), a new id, with a
        line in its log naming the text as the one display rule shows it; said in
        ``self._correcting``. The notes go in at once (:meth:`OrgFile.insert_all`)."""
        indexes = task_headlines(doc)
        faults = [(index, typed, fault) for index in indexes
                  if (typed := doc.headlines[index].properties.get("ID", "").strip())
                  and (fault := id_fault(typed)) is not None]
        if not faults:
            return
        ids = {doc.headlines[i].properties.get("ID", "").strip() for i in indexes}
        stamp = format_timestamp(minute_of(None))
        notes = []
        for index, typed, fault in faults:
            ids.add(minted := mint_task_id(taken=ids))
            doc.set_properties(doc.headlines[index].line, [("ID", minted)])
            notes.append((index, entry_lines(stamp, _whole(
                f"its id was typed by hand as {id_shown(typed)}, which cannot be a task's "
                f"id ({fault.split(';')[0]}): given a new one"))))
            self._correcting.append(f"task {minted}: its id, typed by hand as "
                                    f"{quoted(typed)}, cannot be a task's id ({fault}): "
                                    "given a new one; noted in its log")
        headlines = doc.headlines  # (an id line set keeps every headline's place)
        doc.insert_all([(doc.content_end(headlines[index]), lines) for index, lines in notes])

    def _write(self, doc: OrgFile, read_as: os.stat_result | None, data: bytes | None) -> None:
        """Put ``doc`` in place of the board read as ``data`` (``read_as``: which file it
        was), under the board's lock, only if that file is still the one there and no
        Emacs took it meanwhile: a person's save since the read (their editor renames a
        new file over it, or writes into it) is never written over. :class:`_Changed`
        when it changed (the change is redone on the new board: :func:`_redone`);
        :class:`~ai_protocols.errors.BeingEdited` when Emacs took it."""
        from ai_protocols.errors import StorageError

        encoded = doc.encoded()
        prepared = storage.prepare(self.path, encoded, keep=self.kept_path,
                                   keep_link=False, locked=True, keep_time=True)
        try:
            emacs = live_emacs_lock(self.path)
            if emacs is not None:
                raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
            if not prepared.commit_unless_changed(read_as, data):
                written = encoded if isinstance(encoded, bytes) else b"".join(encoded)
                raise _Changed(
                    None if prepared.displaced is None else (written, prepared.displaced),
                    None if prepared.put_back is None else (
                        board_text().encode() if data is None else data, written,
                        prepared.put_back))
        except OSError as error:
            raise StorageError(self.path, error) from error
        finally:
            prepared.discard()
        if prepared.keep_error is not None:  # (the write stands: said, as a session's)
            from ai_protocols.session.edit_base import say_not_kept

            say_not_kept(str(self.path), self.kept_path, prepared.keep_error,
                         "a git command that puts back an older board would undo the "
                         "claims and locks written since, unseen")

    def _set_up(self) -> None:
        """Set the project up as ``init`` does: ``.ai/`` and the merge driver in the local
        git configuration (without it, two branches that add tasks conflict); what was
        done is in :attr:`set_up`."""
        from ai_protocols.git.driver import driver_command
        from ai_protocols.scaffold import init_project

        project = self.project
        if project.root_guessed and not os.path.lexists(project.root / ".git"):
            raise NoProject(project.root)
        self.set_up = init_project(project.root, merge_driver=driver_command())
        if not self.path.parent.is_dir():  # a linked work tree's board: the main one's
            self.set_up += init_project(self.path.parent.parent)

    def _merge_driver(self) -> None:
        """Configure the merge driver in a clone whose local git configuration lacks it
        (:func:`ai_protocols.git.driver.configure_missing_merge_driver`);
        :attr:`driver_configured` says when it did. The file is read first, as
        :meth:`Project.log <ai_protocols.session.project.Project.log>` reads it: the merge
        module is imported only for a clone that lacks the driver (a tenth of a board
        command's instructions)."""
        from ai_protocols.paths import merge_driver_missing

        if not merge_driver_missing(str(self.project.root)):
            return
        from ai_protocols.git.driver import configure_missing_merge_driver

        self.driver_configured = configure_missing_merge_driver(str(self.project.root))

    def _agent_process(self) -> str | None:
        """The ``OWNER_PROCESS`` a claim or lock made now records
        (:func:`~ai_protocols.liveness.evidence.current_owner`), or ``None`` when no process
        can stand for the agent; :attr:`unseen` says why the agent cannot be judged by
        its process from outside, when it cannot (``None``: it can)."""
        from ai_protocols.liveness.evidence import owner_property
        from ai_protocols.liveness.host import pid_namespace

        found = current_owner()
        namespace = pid_namespace()
        if found is None:
            self.unseen = (
                "no process of the agent is to be seen from this command: it runs in a PID "
                f"namespace of its own (namespace {namespace}: a sandbox, as Codex's runs "
                "commands), whose first process stands for no agent" if namespace else
                "no process of the agent is to be seen from this command: its shell left "
                "it behind (run in the background, adopted by process 1 or a subreaper)")
        elif namespace is not None:
            self.unseen = (f"the agent's process, {found.pid}, is one of PID namespace "
                           f"{namespace} (a sandbox, a container), which no command outside "
                           "it can see")
        else:
            self.unseen = None
        return owner_property(found)

    def _me(self, action: str) -> str:
        if not self.me:
            raise InvalidAgentId("", f"it is not set, and {action} needs to know who you are: "
                                     "run inside Claude Code or Codex, or set AI_AGENT_ID "
                                     "(ai-protocols agent-id --runtime NAME)")
        try:
            self.me.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidAgentId(self.me, "it is not valid UTF-8") from error
        return self.me

    # -- tasks --------------------------------------------------------------------------------

    @_redone
    def add(self, title: str, *, working_set: tuple[str, ...] = (), role: str | None = None,
            tags: tuple[str, ...] = (), now: datetime | None = None,
            cwd: str | None = None) -> Task:
        """Put a new task (state ``TODO``) at the end of the board, making the board if
        needed; return it. Paths are relative to ``cwd`` (the working directory). Raises
        :class:`~ai_protocols.errors.InvalidText` (before anything is written) for a title,
        path, role or tag the board cannot hold as given (:func:`check_title`...)."""
        title = check_title(title)
        paths = unique_areas(normalize_path(str(self.project.root), check_given_path(p, cwd), cwd)
                        for p in working_set)
        for path in paths:
            _lockable(path, "a working set does not name it (no agent edits it); name the "
                            "files or folders the task is going to change")
        role = check_role(role) if role is not None else None
        tags = tuple(_unique(check_tag(t) for t in tags))
        heading = f"* TODO {board_title(title)}" + (f" :{':'.join(tags)}:" if tags else "")
        with self.editing(create=True) as doc:
            # the time taken holding the board's lock (13th round); the id drawn under
            # it, against the ids the board holds: never one of them
            moment = minute_of(now)
            taken = {doc.headlines[i].properties.get("ID", "").strip()
                     for i in task_headlines(doc)}
            task_id = mint_task_id(taken=taken)
            props = [("ID", task_id), ("ROLE", board_value(role)),
                     ("WORKING_SET", join_paths(paths) or None),
                     ("CREATED", format_timestamp(moment))]
            _append_at_end(doc, [
                heading, ":PROPERTIES:",
                *(format_property(k, v) for k, v in props if v is not None), ":END:",
                f"- {format_timestamp(moment)} added by {self.me or '(no agent id)'}"])
        return find_task(read_board(doc)[0], task_id, self.path)

    @_redone
    def claim(self, task_id: str, *, force: bool = False,
              now: datetime | None = None) -> ClaimReport:
        """Make the task the caller's. Of many claims at once, exactly one wins: the
        others get :class:`~ai_protocols.errors.TaskTaken` naming the holder. A claim
        whose agent is gone (crashed, abandoned, wrapped up) is taken over, and the
        task's log says whose it was and why; a live one only with ``force``. A done
        or cancelled task is :class:`~ai_protocols.errors.TaskClosed`."""
        from ai_protocols.liveness.clock import now_moment

        me = self._me("a claim")
        process = self._agent_process()
        with self.editing() as doc, self._explained():
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            moment = at.minute
            task, line = _locate(doc, task_id, self.path)
            if not task.is_open:
                raise TaskClosed(task.id or task_id, task.state or "closed", "claim")
            if task.commented and not self.is_me(task.owner):
                raise TaskClosed(task.id or task_id, task.state or "open", "claim",
                                 commented=True)
            stamp = format_timestamp(moment)
            values = [("OWNER", board_value(me)), ("OWNER_PROCESS", process), ("CLAIMED", stamp),
                      ("CLAIMED_AT", at.to_property())]
            if self.is_me(task.owner):
                shared = task.owner_process if task.owner_process != process and \
                    _runs_elsewhere(task.owner_process) else None
                if task.owner_process == process or shared is not None:
                    # Two live processes share the agent id: the claim stays with the one
                    # that took it (moved, it would look crashed once this one ends while
                    # that one works on): said, never renewed (docs/tasks.md). But a claim
                    # its own agent's wrap-up (or abandon) ended holds no more: renewed.
                    return self._held_again(doc, line, task, values, shared, stamp, now)
                # The same agent from a new process (a resumed run): the claim is renewed
                # in place, so that its live process, not the dead one, stands for it.
                doc.set_properties(line, values)
                _note(doc, line, stamp, f"claim renewed by {me}, from a new process")
                return ClaimReport(self._held(doc, line, task_id), already=True,
                                   renewed=True)
            previous = state = None
            if task.owner:
                gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                        task.claimed_at)
                if not gone and not force:
                    raise TaskTaken(task.id or task_id, task.owner, state.state, state.evidence)
                previous = task.owner
            # A task closed once and reopened by a person: its closure's record goes (the
            # log keeps it), so that its claim is this one; so does a CLOSED: planning
            # line Org left (a reopen by hand, or by an older version), which would make
            # a claim in its minute count for nothing (docs/tasks.md).
            doc.set_properties(line, [*values, ("CLOSED_AT", None), ("CHECKPOINT", None)])
            closed = _drop_closed(doc, line)
            if task.state in ("TODO", "NEXT", None) or task.state in CLOSED_STATES:
                # (DONE, CANCELLED read as open: the board's #+TODO: line, which this
                # write declares, would close it again)
                _set_state(doc, line, "DOING")
            said = f"claimed by {me}"
            if previous is not None and state is not None:
                said += f", taking it over: it was {held_by(previous, state, force)}"
            if closed is not None:
                said += f" (its planning line's {closed} taken out, as Org does on a reopen)"
            _note(doc, line, stamp, said)
            task = self._held(doc, line, task_id)
        return ClaimReport(task, previous=previous, state=state)

    def _held(self, doc: OrgFile, line: int, task_id: str) -> Task:
        """The task on ``line`` of ``doc`` as every reader reads it, once a claim by this
        agent is made there: :class:`~ai_protocols.errors.ClaimVoid` (nothing written)
        when the readers' rule (:func:`~ai_protocols.board.model.claim_void`) reads it as
        free, or as another's: a claim is never reported won unless the board holds it."""
        from ai_protocols.errors import ClaimVoid

        task = _read_at(doc, line)
        if task.owner is not None and self.is_me(task.owner):
            return task
        headline = doc.find(line)
        why = claim_void(doc, headline, headline.properties, done_states(doc)) or \
            "its claim's properties do not read back as this agent's"
        raise ClaimVoid(task.id or task_id, why)

    def _held_again(self, doc: OrgFile, line: int, task: Task,
                    values: list[tuple[str, str | None]], shared: str | None, stamp: str,
                    now: datetime | None) -> ClaimReport:
        """The caller's claim of ``task`` (at ``line``), taken by this process or by
        ``shared``, another of its agent id's that runs: left as it is while it holds;
        renewed (its time, and its process unless ``shared``: ``values``) when the board
        would let another agent take it over (:meth:`gone`: its own session wrapped up or
        abandoned since it was taken), so that a claim command always leaves the claim
        held (docs/tasks.md, "Claiming a task"). The report's ``revived`` says why."""
        gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                task.claimed_at)
        if not gone:
            return ClaimReport(task, already=True, shared=shared)
        doc.set_properties(line, values if shared is None else
                           [v for v in values if v[0] != "OWNER_PROCESS"])
        _note(doc, line, stamp, f"claim renewed by {self.me}: it held no more ({state.state}: "
                                f"{state.evidence})")
        return ClaimReport(self._held(doc, line, task.id or ""), already=True, renewed=True,
                           shared=shared, revived=f"{state.state}: {state.evidence}")

    def _owned(self, doc: OrgFile, task_id: str, action: str, force: bool,
               now: datetime | None) -> tuple[Task, int, str | None]:
        """The task, its line, and what to say of the claim it had, for a change only its
        holder (or anyone, when it is free or its holder gone, or ``force``) may make."""
        with self._explained():
            task, line = _locate(doc, task_id, self.path)
        if not task.is_open:  # closed: no claim to judge, whoever closed it
            raise TaskClosed(task.id or task_id, task.state or "closed", action)
        if not task.owner or self.is_me(task.owner):
            return task, line, None
        gone, state = self.gone(task.owner, task.owner_process, task.claimed, now,
                                        task.claimed_at)
        if not gone and not force:
            raise TaskTaken(task.id or task_id, task.owner, state.state, state.evidence, action)
        return task, line, held_by(task.owner, state, force)

    @_redone
    def release(self, task_id: str, *, force: bool = False, now: datetime | None = None) -> Task:
        """Give the claim up: the task is free again (``DOING`` goes back to ``TODO``).
        Another agent's live claim is :class:`~ai_protocols.errors.TaskTaken` unless
        ``force``; a done or cancelled task :class:`~ai_protocols.errors.TaskClosed`
        (its claim is the record of who closed it). A task nobody holds is returned
        as it is, nothing written; but with ``force``, one whose claim a person deleted
        by hand, which ``HEAD``'s history still holds unended
        (:func:`~ai_protocols.board.hidden.deleted_claim`: its owner's clone puts it
        back), gets the release record naming that claim
        (:func:`~ai_protocols.board.model.release_record`), which ends it in every
        clone; :attr:`released_from` is then its owner."""
        self.released_from = None
        self.hand_released = False  # (a claim deleted by hand, put back from history)
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "release", force, now)
            if task.owner is None and force and task.id:
                # (a claim a person deleted by hand, which HEAD's history still holds
                # unended: ended for good by the release record naming it, as unlock
                # --force does for a lock; docs/decisions.md, "Twenty-fifth round")
                from ai_protocols.board.hidden import deleted_claim
                from ai_protocols.board.model import release_record

                gone_claim = deleted_claim(str(self.path), task.id, doc.text.encode())
                if gone_claim is not None:
                    self.released_from = gone_claim.owner
                    _note(doc, line, format_timestamp(moment),
                          release_record(self.me or "(no agent id)", gone_claim))
                    return _read_at(doc, line)
            if task.owner is None:
                return task
            self.released_from = task.owner
            doc.set_properties(line, [(key, None) for key in CLAIM_KEYS])
            if task.state == "DOING":
                _set_state(doc, line, "TODO")
            if other and task.claimed_at and task.claimed_at in self._hand_put_back:
                # (a lost claim this write put back, from the kept copy or git's history:
                # a person took it off by hand; its end names its record, so that no
                # clone's history holds it again; docs/decisions.md, "Twenty-sixth round:
                # the board across clones")
                from ai_protocols.board.model import release_record

                self.hand_released = True
                _note(doc, line, format_timestamp(moment),
                      release_record(self.me or "(no agent id)", task))
                return _read_at(doc, line)
            # (a forced release names the claim's record too: should the claim come back
            # beside it, by a merge, every clone reads it as ended: claim_named_ended)
            _note(doc, line, format_timestamp(moment), f"released by {self.me or '(no agent id)'}"
                  + (f", who was not its holder: it was {other}" if other else "")
                  + (f" (CLAIMED_AT {task.claimed_at})" if other and task.claimed_at else ""))
            return _read_at(doc, line)

    @_redone
    def done(self, task_id: str, *, checkpoint: str | None = None, force: bool = False,
             now: datetime | None = None) -> Task:
        """Close the task as ``DONE``, with the ``checkpoint`` it was closed with (a
        reference, kept as text in ``CHECKPOINT``). Its claim and owner stay as a record."""
        checkpoint = check_line("checkpoint", checkpoint) if checkpoint is not None else None
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            _task, line, other = self._owned(doc, task_id, "close", force, now)
            stamp = format_timestamp(moment)
            doc.set_properties(line, [("CHECKPOINT", board_value(checkpoint)),
                                      ("CLOSED_AT", stamp)])
            _set_state(doc, line, "DONE")
            _note(doc, line, stamp, f"done by {self.me or '(no agent id)'}" +
                  (f", checkpoint {checkpoint}" if checkpoint else "") +
                  (f"; it was {other}" if other else ""))
            return _read_at(doc, line)

    @_redone
    def cancel(self, task_id: str, *, force: bool = False,
               now: datetime | None = None) -> Task:
        """Close the task as ``CANCELLED`` (it will not be done); its claim and owner stay
        as a record, as :meth:`done` keeps them. Another agent's live claim is
        :class:`~ai_protocols.errors.TaskTaken` unless ``force``; a closed task
        :class:`~ai_protocols.errors.TaskClosed`. Logged in the task's log."""
        with self.editing() as doc:
            moment = minute_of(now)
            _task, line, other = self._owned(doc, task_id, "cancel", force, now)
            stamp = format_timestamp(moment)
            doc.set_properties(line, [("CLOSED_AT", stamp)])
            _set_state(doc, line, "CANCELLED")
            _note(doc, line, stamp, f"cancelled by {self.me or '(no agent id)'}" +
                  (f"; it was {other}" if other else ""))
            return _read_at(doc, line)

    @_redone
    def reopen(self, task_id: str, *, now: datetime | None = None) -> Task:
        """Open a closed (``DONE``, ``CANCELLED``, or a person's done state) task again:
        ``TODO``, free (its claim's record and ``CLOSED_AT`` go; its ``CHECKPOINT`` stays,
        the restore point it was closed with), logged with what it was. An open task is
        returned as it is, nothing written (:attr:`reopened` says which)."""
        self.reopened = False
        with self.editing() as doc:
            moment = minute_of(now)
            with self._explained():
                task, line = _locate(doc, task_id, self.path)
            if task.is_open:
                return task
            doc.set_properties(line, [(key, None) for key in (*CLAIM_KEYS, "CLOSED_AT")])
            _drop_closed(doc, line)  # (Org's CLOSED: goes too, as Org's reopen takes it out)
            _set_state(doc, line, "TODO")
            _note(doc, line, format_timestamp(moment),
                  f"reopened by {self.me or '(no agent id)'} (it was {task.state}"
                  + (f", closed by {task.owner}" if task.owner else "") + ")")
            self.reopened = True
            return _read_at(doc, line)

    @_redone
    def edit(self, task_id: str, *, title: str | None = None,
             working_set: tuple[str, ...] | None = None, add_paths: tuple[str, ...] = (),
             remove_paths: tuple[str, ...] = (), tags: tuple[str, ...] = (),
             untags: tuple[str, ...] = (), role: str | None = None, force: bool = False,
             now: datetime | None = None, cwd: str | None = None) -> tuple[Task, list[str]]:
        """Change an open task after ``task add``: its ``title``, its working set (replaced
        by ``working_set``; ``add_paths`` added to it, ``remove_paths`` taken out of it;
        paths relative to ``cwd``, checked as ``add`` checks them), its ``tags`` added and
        ``untags`` removed, its ``role``. Only the words changed are written (the
        headline's keyword, priority and other tags as they were); the change is logged
        in the task's log. Another agent's live claim is
        :class:`~ai_protocols.errors.TaskTaken` unless ``force`` (it works inside that
        working set); a closed task :class:`~ai_protocols.errors.TaskClosed`; a bad title,
        path, tag or role :class:`~ai_protocols.errors.InvalidText` before anything is
        written. Returns the task and what changed (one phrase each; none: nothing
        written)."""
        root = str(self.project.root)

        def given(paths: tuple[str, ...]) -> list[str]:
            found = unique_areas(normalize_path(root, check_given_path(p, cwd), cwd)
                                 for p in paths)
            for path in found:
                _lockable(path, "a working set does not name it (no agent edits it); name "
                                "the files or folders the task is going to change")
            return found

        title = check_title(title) if title is not None else None
        replaced = given(working_set) if working_set is not None else None
        added, removed = given(add_paths), given(remove_paths)
        tags = tuple(_unique(check_tag(t) for t in tags))
        untags = tuple(_unique(check_tag(t) for t in untags))
        role = check_role(role) if role is not None else None
        with self.editing() as doc:
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "edit", force, now)
            said: list[str] = []
            paths = list(task.working_set) if replaced is None else list(replaced)
            paths = unique_areas([*paths, *added])
            _check_removal(paths, removed)
            paths = [p for p in paths if not any(same_area(p, r) for r in removed)]
            if tuple(paths) != tuple(task.working_set):
                doc.set_properties(line, [("WORKING_SET", join_paths(paths) or None)])
                said.append(f"working set {_listed(task.working_set)} -> {_listed(paths)}")
            if role is not None and role != task.role:
                doc.set_properties(line, [("ROLE", board_value(role))])
                said.append(f"role {task.role or '(none)'} -> {role}")
            new_tags = [t for t in _unique([*task.tags, *tags]) if t not in untags]
            if (title is not None and title != task.title) or tuple(new_tags) != task.tags:
                _set_heading(doc, line, board_title(title) if title is not None else None,
                             new_tags)
                if title is not None and title != task.title:
                    said.append(f"title {task.title!r} -> {title!r}")
                if tuple(new_tags) != task.tags:
                    said.append(f"tags {_listed(task.tags)} -> {_listed(new_tags)}")
            if not said:
                return task, []
            _note(doc, line, format_timestamp(moment),
                  f"edited by {self.me or '(no agent id)'}: {'; '.join(said)}"
                  + (f"; it was {other}" if other else ""))
            return _read_at(doc, line), said

    def check_done(self, task_id: str, *, force: bool = False,
                   now: datetime | None = None) -> Task:
        """The task ``task_id`` names, when :meth:`done` would close it now: what would
        refuse it, judged without writing (and without the board's lock), so that
        ``task done --checkpoint`` takes no checkpoint for a close that is refused.
        Raises what :meth:`done` raises before it writes:
        :class:`~ai_protocols.errors.BeingEdited`, what reading the board raises
        (:class:`~ai_protocols.errors.MergeConflict`,
        :class:`~ai_protocols.errors.MisplacedDrawer`...),
        :class:`~ai_protocols.errors.TaskNotFound`,
        :class:`~ai_protocols.errors.TaskClosed`, and
        :class:`~ai_protocols.errors.TaskTaken` for another agent's claim that may be
        live (unless ``force``). A claim made between this and :meth:`done` is still
        refused by :meth:`done`."""
        _check_task_id(task_id)
        emacs = live_emacs_lock(self.path)
        if emacs is not None:
            raise BeingEdited(self.path, emacs.owner, lock_kind(emacs))
        doc = self._doc()
        if doc is None:
            raise TaskNotFound(task_id, self.path)
        check_drawers(doc, self.path)
        return self._owned(doc, task_id, "close", force, now)[0]

    def resolve_ref(self, ref: str) -> str:
        """What ``task done --checkpoint-ref REF`` keeps in ``CHECKPOINT``: the full name of
        the ref (``refs/tags/v1``, ``refs/ai-protocols/checkpoints/...``) and the commit it
        names now (its whole hash), ``refs/tags/v1 3f2a...`` (``HEAD`` on a branch: that
        branch); the hash alone for what is no ref by name (a hash, ``main~2``,
        ``:/TEXT``, ``HEAD@{1}``). Every form of git-rev-parse(1) "SPECIFYING REVISIONS"
        that names an object peeling to a commit: ``--verify REF``, then that object's
        ``^{commit}``, and ``--symbolic-full-name REF``.
        :class:`~ai_protocols.errors.InvalidText` (exit 4) for a text that names no commit
        here; :class:`~ai_protocols.errors.GitFailed` (exit 14) when git cannot run."""
        import subprocess

        from ai_protocols.errors import GitFailed

        ref = check_line("checkpoint", ref)
        if ref.startswith("-"):
            raise InvalidText("checkpoint", ref, "a ref does not start with '-'; give the "
                                                 "ref's name (refs/ai-protocols/..., as "
                                                 "'ai-protocols checkpoint list' shows it, a "
                                                 "branch or a tag) or a commit hash")
        root = str(self.project.root)
        try:
            # The object REF names first, then the commit it peels to: appending
            # '^{commit}' to REF itself would change what ':/TEXT' searches for (its
            # regular expression runs to the end of the text).
            found = subprocess.run(["git", "-C", root, "rev-parse", "--verify", "--quiet",
                                    "--end-of-options", ref],
                                   capture_output=True, text=True, check=False)
            commit = found if found.returncode != 0 or not found.stdout.strip() else \
                subprocess.run(["git", "-C", root, "rev-parse", "--verify", "--quiet",
                                "--end-of-options", f"{found.stdout.strip()}^{{commit}}"],
                               capture_output=True, text=True, check=False)
            name = subprocess.run(["git", "-C", root, "rev-parse", "--symbolic-full-name",
                                   ref], capture_output=True, text=True, check=False)
        except OSError as error:
            raise GitFailed("rev-parse", str(error)) from error
        if commit is not found and (commit.returncode != 0 or not commit.stdout.strip()):
            raise InvalidText("checkpoint", ref, "it names a git object that is no commit "
                                                 "(a tree or a blob); give a checkpoint's "
                                                 "ref, a branch, a tag or a commit; nothing "
                                                 "was changed")
        if commit.returncode != 0 or not commit.stdout.strip():
            raise InvalidText("checkpoint", ref, "it names no commit in this repository (a "
                                                 "checkpoint's ref, a branch, a tag or a "
                                                 "commit hash; 'git log' lists commits); "
                                                 "nothing was changed")
        full = name.stdout.strip() if name.returncode == 0 else ""
        full = full if full.startswith("refs/") and "\n" not in full else ""
        return f"{full} {commit.stdout.strip()}" if full else commit.stdout.strip()

    def checkpoint_where(self, task: Task) -> str | None:
        """Where the checkpoint ``task`` was closed with is, seen from this clone, and how
        to restore it: :meth:`~ai_protocols.git.checkpoint.Checkpoints.whereabouts`'s
        words (docs/checkpoints.md "Where a recorded checkpoint is") for a ``CHECKPOINT``
        of a checkpoint's ref and its commit (``REF HASH``, as ``task done --checkpoint``
        and ``--checkpoint-ref`` record it) or a commit alone; for a checkpoint's ref alone
        (recorded by a version before: no commit), whether this clone holds it, else the
        fetch that brings it. ``None``: no checkpoint, or a branch's or tag's ref (git's
        clone and fetch bring those; the record names its commit). Runs git (a few
        times); :class:`~ai_protocols.errors.GitFailed` when it cannot run."""
        import re

        from ai_protocols.git.checkpoint import NAMESPACE, Checkpoints

        parts = (task.checkpoint or "").split()
        if not parts or len(parts) > 2:
            return None
        ref = parts[0] if parts[0].startswith("refs/") else None
        commit = parts[-1] if re.fullmatch(r"[0-9a-fA-F]{4,64}", parts[-1]) else None
        if (ref is not None and not ref.startswith(f"{NAMESPACE}/")) or \
                (ref is None and commit is None):
            return None
        points = Checkpoints(self.project.root, self.me)
        if commit is None:  # (a ref alone: here, or the fetch that brings it)
            assert ref is not None
            held = next((p for p in points.list(every_agent=True) if p.ref == ref), None)
            if held is not None:
                commit = held.commit
            else:
                return (f"its ref {ref} is not in this clone, and the board does not record "
                        f"its commit (closed by an older version): {points.fetch_command()} "
                        f"&& ai-protocols checkpoint restore {shell_quote(ref)} (from "
                        f"{self.project.root_text})")
        return points.whereabouts(ref, commit).say("it")

    @_redone
    def handoff(self, task_id: str, *, to: str, note: str, force: bool = False,
                now: datetime | None = None) -> Task:
        """Hand the task on to the role ``to`` with ``note``: the claim is given up, the
        role set, and the state becomes ``REVIEW`` for a reviewer, else ``NEXT`` (ready
        for that role). The note goes into the task's log."""
        to = check_role(to)
        note = check_line("note", note)  # (one rule for the board's free texts: MAX_LINE)
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            moment = minute_of(now)
            task, line, other = self._owned(doc, task_id, "hand off", force, now)
            doc.set_properties(line, [("ROLE", board_value(to)),
                                      *((key, None) for key in CLAIM_KEYS)])
            _set_state(doc, line, "REVIEW" if same_role(to, "reviewer") else "NEXT")
            who = self.me or "(no agent id)"
            stamp = format_timestamp(moment)
            if other:  # its own item: the hand-off's stays "handed off by W to R: NOTE"
                _note(doc, line, stamp, f"claim taken by {who} to hand it off: it was {other}")
            said = f"handed off by {who}" + (f" (role {task.role})" if task.role else "") + \
                f" to {to}: {note}"
            doc.insert(doc.content_end(doc.find(line)), entry_lines(stamp, said))
            return _read_at(doc, line)

    def handoffs(self, task: Task) -> list[Handoff]:
        """The hand-offs of ``task`` (as :meth:`task` or :meth:`tasks` read it), oldest
        first, from its log on the board (:func:`~ai_protocols.board.model.handoffs`)."""
        doc = self._doc()
        if doc is None:
            return []
        found = next((t for t in read_board(doc, self.path)[0] if t.line == task.line and
                      t.id == task.id), None)
        return handoffs(doc, found.line) if found is not None else []

    def link_session(self, task_id: str, *, now: datetime | None = None) -> Task:
        """Link the agent's session to the task: its ``TASK`` property, and a Log line,
        through the session's edit transaction. Returns the task. Raises
        :class:`~ai_protocols.errors.TaskNotFound`, and what a session edit raises
        (:class:`~ai_protocols.errors.NoSession` without a session file)."""
        from ai_protocols.session.transaction import editing

        task = self.linkable(task_id)
        with editing(self.project.ai_dir, self.project.path, now=now) as edit:
            if edit.properties.get("TASK") != task.id:
                edit.set_properties(("TASK", task.id))
                edit.note(f"task: {task.id} {preview(task.title)}")
        return task

    def linkable(self, task_id: str) -> Task:
        """The task ``task_id`` names, when a session may be linked to it (``start --task``,
        ``log --task``): :class:`~ai_protocols.errors.TaskNotFound` as :meth:`task`, and
        :class:`~ai_protocols.errors.TaskClosed` (exit 24) for a done-type one (``DONE``,
        ``CANCELLED``, or one the board's ``#+TODO:`` line puts after ``|``): work linked
        to a closed task would be lost from every list of open work (docs/tasks.md)."""
        task = self.task(task_id)
        if not task.is_open:
            raise TaskClosed(task.id or task_id, task.state or "closed",
                             "link the session to")
        return task

    def session_tasks(self, linked: str | None = None,
                      linked_at: datetime | None = None) -> list[Task]:
        """The open tasks the agent holds, and the task ``linked`` to its session (by
        ``start``/``log --task``, at ``linked_at``: as its log's notes, or the board's git
        history, says it is now: :func:`~ai_protocols.board.merge.current_or_history`) if
        it is still open, in board order."""
        tasks = self.tasks()
        held = self.held_tasks(tasks)[0]
        if linked:  # (its id changed since: the task its log, or git's history, says)
            from ai_protocols.board.merge import current_or_history

            doc = self._doc()
            now = current_or_history(doc, tasks, linked, linked_at, str(self.project.root)) \
                if doc is not None else None
            linked = now.id if now is not None else linked
        return [t for t in tasks if t.is_open and (t in held or (linked and t.id == linked))] \
            + [t for t in held if t not in tasks]

    @_redone
    def carry_own(self, prefix: str, *, now: datetime | None = None) -> list[str]:
        """Make the claims and locks of an earlier conversation of this very agent process
        the caller's (:attr:`me`): those whose owner id starts with ``prefix`` (the agent
        program's ids here, ``host.project.runtime.``) and whose ``OWNER_PROCESS`` is the
        process behind this command (:func:`~ai_protocols.liveness.evidence.current_owner`:
        the same process id and start, not merely a live one). Claude Code gives a
        conversation a new session id on ``/clear``, ``/resume`` of another one and a
        fork, and so a new agent id; the process, its work and its locks go on (its hooks
        reference; docs/tasks.md, "An agent across /clear"). Each claim carried gets a
        line in its task's log; returns one line per claim or lock carried (none: the
        board is not written; none either when no process stands for this command's
        agent)."""
        from ai_protocols.liveness.evidence import Owner

        here = current_owner()
        if here is None:
            return []

        def ours(owner: str | None, process: str | None) -> bool:
            if not owner or self.is_me(owner) or not owner.startswith(prefix) or not process:
                return False
            recorded = Owner.parse(process)
            return recorded is not None and recorded.same_process(here)

        return self._carry(ours, f"the same agent process (pid {here.pid}), its "
                                 "conversation given a new id", now=now)

    @_redone
    def carry_adopted(self, agent_id: str, *, now: datetime | None = None) -> list[str]:
        """Make the open claims and the locks of ``agent_id``, whose session the caller
        (:attr:`me`) adopted (``recover ID --adopt``), the caller's, taken by this
        process now (their ``OWNER_PROCESS`` and times renewed): the adopter carries that
        work on, so no third agent takes it over without ``--force`` (docs/tasks.md,
        "Adopting a session"). The rule of :meth:`carry_own`; returns what it carried,
        one line each (none: the board is not written). Raises what a board change
        raises (:meth:`editing`)."""
        return self._carry(lambda owner, _process: bool(owner) and owner == agent_id and
                           not self.is_me(owner),
                           f"its session adopted by {self.me} (recover --adopt)",
                           now=now, process=owner_property(current_owner()))

    def _carry(self, ours: Callable[[str | None, str | None], bool], why: str, *,
               now: datetime | None, process: str | None = None) -> list[str]:
        """The one carry of claims and locks to the caller: each open claim and lock
        whose owner and ``OWNER_PROCESS`` ``ours`` accepts gets the caller's id, and, given
        ``process``, that process and a new time (claimed, locked: now); each claim a
        line of its task's log saying ``why``. Returns one line per claim or lock."""
        from ai_protocols.liveness.clock import now_moment

        me = self._me("carrying claims over")
        said: list[str] = []
        with self.editing() as doc:
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            stamp = format_timestamp(at.minute)
            tasks, locks = read_board(doc)
            for task in tasks:
                if task.is_open and ours(task.owner, task.owner_process):
                    doc.set_properties(task.line - 1, [("OWNER", board_value(me)), *(
                        [("OWNER_PROCESS", process), ("CLAIMED", stamp),
                         ("CLAIMED_AT", at.to_property())] if process else [])])
                    _note(doc, task.line - 1, stamp,
                          f"claim carried over from {task.owner} to {me}: {why}")
                    said.append(f"the claim of task {task.id}, from {task.owner}")
            for held in locks:
                if ours(held.owner, held.owner_process):
                    doc.set_properties(held.line - 1, [("OWNER", board_value(me)), *(
                        [("OWNER_PROCESS", process), ("LOCKED", stamp),
                         ("LOCKED_AT", at.to_property())] if process else [])])
                    said.append(f"the lock on {held.path}, from {held.owner}")
        return said

    # -- locks --------------------------------------------------------------------------------

    @_redone
    def lock(self, paths: tuple[str, ...], *, reason: str, force: bool = False,
             now: datetime | None = None, cwd: str | None = None) -> list[LockReport]:
        """Lock each area of ``paths`` (files, or folders) for the caller, with
        ``reason``. An overlapping lock of another agent that may be at work is
        :class:`~ai_protocols.errors.PathLocked` (nothing is locked) unless ``force``;
        one whose agent is gone is replaced, and the report says whose it was and why.
        The caller's own lock on the same path is renewed."""
        me = self._me("a lock")
        if not paths:
            raise InvalidText("path", "", "give at least one path to lock")
        areas = unique_areas(normalize_path(str(self.project.root), check_given_path(p, cwd), cwd)
                        for p in paths)
        for area in areas:
            _lockable(area)
        reason = check_line("reason", reason)
        from ai_protocols.liveness.clock import now_moment

        process = self._agent_process()
        reports: list[LockReport] = []
        root = str(self.project.root)
        with self.editing(create=True) as doc:
            # (the time taken holding the board's lock: 13th round)
            at = now_moment(now)
            moment = at.minute
            locks = read_board(doc)[1]
            # (an area named as a lock of one's own is, with or without its final '/':
            # that lock, renewed in place; same_area, the one rule)
            areas = [next((h.path for h in locks
                           if self.is_me(h.owner) and same_area(h.path, a)), a) for a in areas]
            replaced: dict[int, tuple[AreaLock, Liveness]] = {}
            for area in areas:
                found: list[tuple[AreaLock, Liveness]] = []
                for held in locks:
                    if self.is_me(held.owner) or not overlap_real(root, held.path, area):
                        continue
                    gone, state = self.gone(held.owner, held.owner_process, held.locked, now,
                                            held.locked_at)
                    if not gone and not force:
                        raise PathLocked(area, plain_path(root, held.path),
                                         holder_name(held.owner), state.state,
                                         state.evidence, held.reason or "(no reason given)",
                                         written=held.path)
                    replaced[held.line] = (held, state)
                    found.append((held, state))
                mine = next((h for h in locks if self.is_me(h.owner) and h.path == area), None)
                # (another live process of this agent id took it: it stays that process's)
                shared = mine.owner_process if mine is not None and \
                    mine.owner_process != process and \
                    _runs_elsewhere(mine.owner_process) else None
                reports.append(LockReport(AreaLock(area, me, process, reason, moment), found,
                                          mine is not None, shared))
            stamp = format_timestamp(moment)
            values = [("OWNER", board_value(me)), ("OWNER_PROCESS", process), ("LOCKED", stamp),
                      ("LOCKED_AT", at.to_property()), ("REASON", board_value(reason))]
            kept = {h.path for h in locks if h.path in areas}  # changed in place
            self._ending = [h for h, _ in replaced.values()]
            # Other locks these areas hold or lie in, whose agents are gone: removed; what
            # a person wrote under one (notes, sub-headings) goes under the lock taking it
            # over, line for line, and its headline's own title into the takeover's note.
            gone_lines = sorted((n for n, (h, _) in replaced.items() if h.path not in kept),
                                reverse=True)
            carried: dict[int, list[str]] = {}
            titles: dict[int, str] = {}
            for line in gone_lines:
                headline = doc.find(line - 1)
                body = _bare(doc.lines_between(headline.body_start, headline.subtree_end))
                carried[line] = body if any(b.strip() for b in body) else []
                typed = unescape_inline(headline.raw_title)  # (raw or escaped alike)
                if typed != unescape_inline(_lock_title(replaced[line][0].path)):
                    titles[line] = typed
            for line in gone_lines:
                _remove_subtree(doc, line - 1)
            placed: set[int] = set()
            for report in reports:
                said = [entry_lines(stamp, _whole(
                    f"took it over: {held.path}" +
                    (f" ({titles[held.line]!r})" if held.line in titles else "") +
                    f" was {held_by(held.owner, state, force, 'locked')}"
                    f", for: {held.reason or '(no reason given)'}" +
                    ("; what was written under it follows" if carried.get(held.line) and
                     held.line not in placed else "")))[0]
                    for held, state in report.replaced]
                body: list[str] = []
                for held, _state in report.replaced:
                    if held.line not in placed:
                        body += carried.get(held.line, [])
                        placed.add(held.line)
                text, headings = _split_at_headline(body)
                same = next((h for h in read_board(doc)[1] if h.path == report.lock.path),
                            None)
                if same is not None:  # renewed, or taken over: only its own lines change
                    doc.set_properties(same.line - 1, values if report.shared is None else
                                       [v for v in values if v[0] != "OWNER_PROCESS"])
                    if headings:
                        doc.insert(doc.find(same.line - 1).subtree_end, headings)
                    if said or text:
                        doc.insert(doc.content_end(doc.find(same.line - 1)), said + text)
                    continue
                _append_lock(doc, [f"** {_lock_title(report.lock.path)}", ":PROPERTIES:",
                                   format_property("PATH", join_paths([report.lock.path])),
                                   *(format_property(k, v) for k, v in values), ":END:",
                                   *said, *text, *headings])
            new_locks = read_board(doc)[1]
        for report in reports:
            report.lock = next(h for h in new_locks if h.path == report.lock.path)
        return reports

    def locks_over(self, areas: Iterable[str]) -> list[tuple[str, AreaLock, Liveness]]:
        """The locks of other agents that may be at work (not gone: ``gone`` says) which
        hold or lie in one of ``areas`` (paths as
        :func:`~ai_protocols.board.model.normalize_path` gives them: a claimed task's
        working set), each as ``(area, lock, its agent's state)``: a claim does not
        refuse them (a working set names where the task's work goes, a lock who may
        edit there now), but the PreToolUse hook will refuse the claimer's edits there,
        so ``task claim`` warns. Reads the board; writes nothing."""
        return self._crossing(areas, ((lock, (lock.path,), lock.owner, lock.owner_process,
                                       lock.locked, lock.locked_at)
                                      for lock in self.read(lenient=True)[1]))

    def claims_over(self, areas: Iterable[str]) -> list[tuple[str, Task, Liveness]]:
        """The open tasks claimed by other agents that may be at work whose working set
        holds or lies in one of ``areas`` (paths as ``lock`` takes them), each as
        ``(area, task, its holder's state)``: a lock there does not refuse them, but
        the PreToolUse hook will refuse that holder's edits in its own task's files, so
        ``lock`` warns. Reads the board; writes nothing."""
        # (a task naming no working set may change any file: docs/tasks.md)
        return self._crossing(areas, ((task, task.working_set or ("./",), task.owner,
                                       task.owner_process, task.claimed, task.claimed_at)
                                      for task in self.read(lenient=True)[0] if task.is_open))

    def _crossing(self, areas: Iterable[str], held: Iterable[tuple[T, tuple[str, ...],
                                                                   str | None, str | None,
                                                                   datetime | None,
                                                                   str | None]]
                  ) -> list[tuple[str, T, Liveness]]:
        """Each held item (with its paths, owner, owner process and the time it was
        taken) of another agent not gone whose paths overlap one of ``areas``
        (``overlap_real``), as ``(the area, the item, its agent's state)``."""
        root = str(self.project.root)
        wanted = list(areas)
        found: list[tuple[str, T, Liveness]] = []
        for item, paths, owner, process, since, since_at in held if wanted else ():
            if not owner or self.is_me(owner):
                continue
            hit = next((a for a in wanted for p in paths if overlap_real(root, p, a)), None)
            if hit is None:
                continue
            gone, state = self.gone(owner, process, since, since_at=since_at)
            if not gone:
                found.append((hit, item, state))
        return found

    def outer_locks(self, areas: list[str]) -> list[tuple[str, Path, AreaLock, Liveness]]:
        """The live locks of other agents on the boards of the projects around this one
        (:func:`~ai_protocols.paths.enclosing_projects`: this is a repository nested in
        another's work tree, or a submodule) that hold or lie in one of ``areas`` (paths
        as :func:`~ai_protocols.board.model.normalize_path` gives them, relative to this
        project): the PreToolUse hook enforces those here too (docs/tasks.md, "Nested
        repositories"), though this board cannot see them. Each as ``(area, the outer
        board, its lock, its agent's state)``; unreadable outer boards are passed over
        (the hook says so when it meets them)."""
        from ai_protocols.paths import enclosing_projects

        found: list[tuple[str, Path, AreaLock, Liveness]] = []
        root = str(self.project.root)
        for outer in enclosing_projects(root):
            board = Board(Project(outer, None))
            if not board.path.is_file():
                continue
            try:
                held = board.read(lenient=True)[1]
            except (AiProtocolsError, OSError, ValueError):
                continue
            inner = os.path.relpath(root, outer).replace(os.sep, "/")
            for area in areas:
                there = inner + "/" + ("" if area == "./" else area)
                for lock in held:
                    if not lock.owner or self.is_me(lock.owner) or \
                            not overlap(lock.path, there):
                        continue
                    state = board.agent_state(lock.owner, lock.owner_process, lock.locked,
                                              since_at=lock.locked_at)
                    if state.state not in RECOVERABLE:
                        found.append((area, board.path, lock, state))
        return found

    @_redone
    def unlock(self, paths: tuple[str, ...], *, force: bool = False,
               now: datetime | None = None, cwd: str | None = None) -> list[AreaLock]:
        """Remove the locks on exactly these paths. Another agent's lock whose agent may
        be at work is :class:`~ai_protocols.errors.PathLocked` unless ``force``; a path
        with no lock is :class:`~ai_protocols.errors.InvalidText`, but with ``force`` a
        lock a person deleted by hand, which ``HEAD``'s history still holds unended
        (:func:`~ai_protocols.board.hidden.deleted_lock`: its owner's clone puts it
        back), is ended by ``unlock``'s item naming it. Nothing changes unless every
        path can be unlocked. Returns the locks ended."""
        if not paths:
            raise InvalidText("path", "", "give at least one path to unlock")
        areas = unique_areas(normalize_path(str(self.project.root), p, cwd) for p in paths)
        removed: list[AreaLock] = []
        deleted: list[AreaLock] = []  # (deleted by hand: only ``unlock``'s item written)
        root = str(self.project.root)
        with self.editing() as doc:
            locks = read_board(doc)[1]
            for area in areas:
                held = next((h for h in locks if h.path == area), None) or next(
                    (h for h in locks if plain_path(root, h.path) == area), None)
                if held is None:  # (a folder named without its "/", or a file with one)
                    alike = [h for h in locks if same_area(h.path, area)]
                    held = alike[0] if len({h.path for h in alike}) == 1 else None
                if held is None and force and locks_section(doc) is not None:
                    from ai_protocols.board.hidden import deleted_lock

                    gone_lock = deleted_lock(str(self.path), area, lambda path, want: (
                        path == want or plain_path(root, path) == want or
                        same_area(path, want)))
                    if gone_lock is not None:
                        deleted.append(gone_lock)
                        continue
                if held is None:
                    moved = next((m for m in sunk_locks(doc) if m.lock is not None and
                                  m.lock.path.rstrip("/") == area.rstrip("/")), None)
                    raise InvalidText("path", area, "there is no lock on it "
                                                    "('ai-protocols locks' lists them)"
                                      if moved is None else
                                      f"its lock is no lock on the board now: {moved.where()}")
                if not self.is_me(held.owner):
                    gone, state = self.gone(held.owner, held.owner_process, held.locked, now,
                                            held.locked_at)
                    if not gone and not force:
                        raise PathLocked(area, plain_path(root, held.path),
                                         holder_name(held.owner), state.state,
                                         state.evidence, held.reason or "(no reason given)",
                                         "unlock", written=held.path)
                removed.append(held)
            section = locks_section(doc)
            top = doc.headlines[section].line if section is not None else None
            for held in sorted(removed, key=lambda h: h.line, reverse=True):
                _remove_subtree(doc, held.line - 1)
            if (removed or deleted) and top is not None:
                # (the record of each end, in the Locks section's own text: a clone that
                # still holds the lock learns by it, through git, that it was ended, not
                # taken out by an edit: board.model.ended_elsewhere; one per lock, and
                # those no clone needs any more go: _unneeded_records)
                records = unlock_records(doc)
                for line in reversed(self._unneeded_records(records, now)):
                    doc.replace(line, line + 1, [])
                recorded = {r.locked_at for r in records if r.locked_at}
                section = doc.find(top)
                stamp = format_timestamp(minute_of(now))
                who = self.me or "(no agent id)"
                doc.insert(doc.content_end(section), [
                    line for held in removed + deleted
                    if not held.locked_at or held.locked_at not in recorded
                    for line in entry_lines(stamp, _whole(unlock_item(who, held)))])
            self._ending = list(removed)
        return removed + deleted

    def _unneeded_records(self, records: list[UnlockRecord],
                          now: datetime | None) -> list[int]:
        """The lines of the unlock records (``records``: :func:`~ai_protocols.board.model.
        unlock_records`) that no clone needs any more, in the board's order: each written
        longer ago than the stale setting (:func:`~ai_protocols.liveness.evidence.
        stale_after`, ``AI_PROTOCOLS_STALE_HOURS``: the time every clone has to bring it
        in) whose lock's holder is gone (:meth:`gone`: crashed, abandoned, wrapped up).
        A record only keeps a clone that still holds its lock from putting it back or
        enforcing it as lost (:meth:`lost`, the hook), which both do only while its
        holder is at work: once it is gone, in a clone that has not pulled in that
        time too (judged by its age, since its ``LOCKED_AT``: abandoned). ``now``: the
        local time (``None``: now). Reads the holders' session files; raises nothing."""
        moment = now or datetime.now()
        stale = stale_after()
        lines = []
        for found in records:
            if found.holder is None or found.stamped is None or \
                    moment - found.stamped <= stale:
                continue
            if self.gone(found.holder, None, found.stamped, moment, found.locked_at)[0]:
                lines.append(found.line)
        return lines

    # -- a linked work tree's own copy -------------------------------------------------------

    @property
    def own_copy(self) -> Path:
        """This work tree's own ``.ai/tasks.org``: the board itself, but in a linked git
        work tree, where git checks out a copy that no command reads (the board is the
        main work tree's: :attr:`path`)."""
        return self.project.ai_dir / BOARD_FILE

    def merge_copy(self) -> bool | None:
        """Merge the edit a person made in this linked work tree's own copy of the board
        (:attr:`own_copy`: what it holds against what the work tree's ``HEAD`` holds)
        into the shared board, task by task, as ``git merge`` would with the board's
        merge driver (:func:`~ai_protocols.board.merge.merge_board_bytes`: base ``HEAD``'s
        copy, ours the shared board, theirs the copy), in one transaction of the
        board (:meth:`editing`: its lock, Emacs's lock respected, written atomically
        over the very board read). The copy itself is not changed (``git checkout HEAD
        -- .ai/tasks.org`` drops its edit). ``True``: the board changed; ``False``: it
        already held the edit; ``None``: the copy holds no edit (it is ``HEAD``'s, or
        there is none). Raises :class:`~ai_protocols.errors.InvalidText` outside a linked
        work tree (there is no other copy), :class:`~ai_protocols.errors.BoardCopyNotMerged`
        when a task both changed is left to a person (nothing written), and what
        :meth:`editing` raises."""
        from ai_protocols.board.merge import (
            merge_board_bytes,
            merged_before,
            tied_record,
            without_merged,
        )
        from ai_protocols.errors import BoardCopyNotMerged
        from ai_protocols.git.history import head_blob

        own = self.own_copy
        if self.path.parent == own.parent:
            raise InvalidText("task merge-copy in", str(self.project.root),
                              f"it is no linked git work tree: its board, {self.path}, is "
                              "the one every command uses, and there is no other copy "
                              "to merge")
        data = board_bytes(own)
        if data is None:
            return None
        tree = str(self.project.root)
        base = head_blob(tree, f"./{os.path.relpath(own, tree)}")
        if base is None:
            raise BoardCopyNotMerged(own, self.path, "the work tree's HEAD holds no board "
                                                     "to tell the copy's edit by")
        if data == base:
            return None
        # (the copy's parts an earlier run merged, changed again since: from what the
        # shared board took)
        earlier = self._copy_merged(base)
        since, record = merged_before(base, earlier, data)
        with self.editing() as doc:
            # (a task without an id typed into the copy and merged by an earlier run is
            # in the shared board with an id now: not added again)
            read = doc.text.encode("utf-8")
            since, shared, theirs, ties = without_merged(since, read, data, earlier)
            merged = merge_board_bytes(since, shared, theirs,
                                       labels=(str(self.path), "HEAD", str(own)))
            if merged is None or merged.conflicts:
                from ai_protocols.board.stale import left_to_person

                raise BoardCopyNotMerged(
                    own, self.path, "the board's merge does not understand these versions"
                    if merged is None else None, left=left_to_person(merged))
            text = merged.data.decode("utf-8")
            changed = text != doc.text
            if changed:
                lines = text.split(doc.newline)
                if lines and not lines[-1]:
                    lines.pop()
                doc.replace(0, doc.line_count, lines)
        # (each task typed into the copy without an id, tied in the record to the id the
        # shared board gave it, given after the body: known so next time, however changed)
        self._copy_merged(base, tied_record(record, base, data, read,
                                            doc.text.encode("utf-8"), ties))
        return changed

    @property
    def _merged_copy_path(self) -> Path:
        """Where ``task merge-copy`` keeps the copy it merged last: beside the copy's own
        kept place (``.ai/.locks/live/tasks.org.merged`` of this work tree, as the
        board's ``.commit`` record: per work tree, never in git)."""
        return Path(f"{kept_board_path(str(self.own_copy))}.merged")

    def _copy_merged(self, head: bytes, copy: bytes | None = None) -> bytes | None:
        """The record of what ``task merge-copy`` merged from this work tree's copy
        (:func:`~ai_protocols.board.merge.merged_before`): with ``copy``, keep it
        (``head``: the copy as the work tree's ``HEAD`` holds it, which the record
        names by its SHA-256); else the one kept, when it names ``head`` (``None``
        without one, or when ``HEAD`` holds another copy since: then ``HEAD``'s is the
        base). Never raises: a record that cannot be written or read is none (the merge
        takes ``HEAD``'s copy as its base, as without one)."""
        import hashlib

        path = self._merged_copy_path
        name = hashlib.sha256(head).hexdigest().encode("ascii") + b"\n"
        if copy is not None:
            with contextlib.suppress(OSError, AiProtocolsError):
                path.parent.mkdir(parents=True, exist_ok=True)
                storage.atomic_write(path, [name, copy])
            return copy
        try:
            kept = storage.read_regular(path)
        except (OSError, AiProtocolsError):
            return None
        return kept[len(name):] if kept.startswith(name) else None


# -- helpers ------------------------------------------------------------------------------------


def _lockable(area: str, refusal: str = "it takes no lock; lock the files or folders you "
                                         "are going to change") -> None:
    """:class:`~ai_protocols.errors.InvalidText` when ``area`` (as
    :func:`~ai_protocols.board.model.normalize_path` gives it) is, or is inside, a folder
    no agent edits: the tool's own (``.ai``: its sessions, the board, written only by
    ai-protocols under its own lock) or git's (``.git``, a folder or a linked work
    tree's file: written only by git; gitrepository-layout(5)), at any depth (a nested
    repository's too). One rule for every path a task or lock names (``lock``, ``task
    add --working-set``); ``refusal`` says what to do instead."""
    parts = area.rstrip("/").split("/")
    for name, whose in ((AI_DIR, "ai-protocols' own folder (its sessions and the task "
                                 "board, which its commands change under their own lock)"),
                        (".git", "git's own folder, which only git changes")):
        if name in parts:
            raise InvalidText("path", area, f"{name} is {whose}: {refusal}")




def _unique(items: Iterator[str] | list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


#: The properties a claim or a hand-off sets on its task (the claim's, and the role it
#: was handed to): what putting back a claim git took off puts back.
HELD_KEYS = (*CLAIM_KEYS, "ROLE")


def _own_copy_holds(own: str, task_id: str) -> str | None:
    """The id of the task ``task_id`` names in the board file ``own`` (a linked work
    tree's own copy), or ``None`` when it holds none, or cannot be read."""
    try:
        data = board_bytes(own)
        if not data:
            return None
        tasks = read_board(BoardFile(board_decode(own, data)), check=False)[0]
        return find_task(tasks, task_id, Path(own)).id
    except (AiProtocolsError, OSError, ValueError):
        return None


def duplicate_ids(tasks: list[Task]) -> dict[str, list[int]]:
    """Each id two tasks or more have (a person copied a task), with their lines."""
    lines: dict[str, list[int]] = {}
    for t in tasks:
        if t.id:
            lines.setdefault(t.id, []).append(t.line)
    return {k: v for k, v in lines.items() if len(v) > 1}


def _locate(doc: OrgFile, task_id: str, board: Path) -> tuple[Task, int]:
    """The task and the line index of its headline, in ``doc`` as it is now."""
    task = _find(doc, task_id, board)
    return task, task.line - 1


def _find(doc: OrgFile, task_id: str, board: Path) -> Task:
    """:func:`find_task` among the tasks of ``doc``; when no task has the id, a headline
    that holds it but is not read as a task (below level 1, or in the board's Org
    archive: :func:`~ai_protocols.board.model.sunk_tasks`), or a task whose log says
    its id was that one (:func:`~ai_protocols.board.model.renamed_to`), is named in the
    :class:`~ai_protocols.errors.TaskNotFound`, with what to do."""
    at = LINE_KEY.fullmatch(task_id.strip())
    said = int(at.group(1)) if at else 0  # (the line the person gave: the file's)
    line = said
    lines = doc.__dict__.get("disk_lines")
    if at and lines is not None:  # (a line of the file on disk: the board shown merges
        # back what git brought, below or above it: that line's task's line here)
        line = {disk: line for line, disk in lines.items() if disk is not None}.get(said, 0)
        if not line:
            raise TaskNotFound(task_id, board, (), line_key_miss(said, None))
    minted = doc.__dict__.get("given_lines", {}).get(line) if at else None
    if at and not minted and doc.__dict__.get("given_lines"):  # (lines moved since read)
        raise TaskNotFound(task_id, board, (), line_key_miss(
            said, doc.__dict__.get("read_ids", {}).get(line)))
    try:  # (a task without an id named by its line, which the change under way gave one)
        return find_task(read_board(doc, board)[0], minted or (
            f"line:{line}" if at else task_id), board,
                         doc.__dict__.get("given_ids", frozenset()))
    except DuplicateTaskId:
        raise
    except TaskNotFound as error:
        if error.candidates and not error.shortest:
            raise
        if at is not None and line != said:  # (said by the file's line, not the view's)
            raise TaskNotFound(task_id, board, (), line_key_miss(said, next(
                (t.id for t in read_board(doc, board, check=False)[0]
                 if t.line == line and t.id), None))) from None
        wanted = task_id.strip()
        if not wanted:
            raise
        if at is not None:  # (a line's key names a line, never a title: bare_keys)
            raise
        found = [] if error.shortest else [
            s for s in all_sunk(doc, str(board)) if s.id == wanted or s.id.endswith(wanted)]
        if found:
            raise TaskNotFound(task_id, board, (), found[0].where()) from None
        titled = [t for t in read_board(doc, board, check=False)[0] if t.title == wanted]
        if error.shortest and not titled:  # (too short for an id's end, and no title)
            raise
        if titled:  # (a task added in Emacs, named by its title as `task list` advised,
            # given its id since by a write: the id, or which of several)
            said = (f"the task titled {quoted(wanted)} (line {titled[0].line}) has the id "
                    f"{titled[0].id} now; name it by that id") if len(titled) == 1 and \
                titled[0].id else (
                f"the task titled {quoted(wanted)} has no id yet: name it by its line, "
                f"line:{titled[0].line}") if len(titled) == 1 else (
                f"{counted(len(titled), 'task', 'tasks')} are titled {quoted(wanted)}: name one "
                "by its id (" + ", ".join(f"{t.id} on line {t.line}" if t.id else
                                          f"line:{t.line}, which has none yet" for t in titled)
                + ")")
            raise TaskNotFound(task_id, board, (), said) from None
        renamed = renamed_to(doc, wanted)
        if not renamed:
            history = _history_says(doc, wanted, board)
            if history is None:
                raise
            raise TaskNotFound(task_id, board, (), history) from None
        raise TaskNotFound(task_id, board, (), "its id is now " + " or ".join(
            f"{t.id} (line {t.line}, as its log says)" for t in renamed)
            + "; name it by the id it has now") from None


def _history_says(doc: OrgFile, wanted: str, board: Path) -> str | None:
    """What the board's git history says of the id ``wanted`` (whole, or an end of it,
    as :func:`find_task` reads one) that no task of ``doc`` has and no task's log names
    (:func:`~ai_protocols.board.merge.id_in_history`, the one rule): what to tell the
    person, ``its id is now NEW ...``, or that a commit removed the task; ``None`` when
    the history says nothing. Run only on a miss: a found id costs no git run."""
    from ai_protocols.board.merge import id_in_history

    found = id_in_history(doc, wanted, str(board.parent.parent))
    if found is None:
        return None
    task, said, removed = found
    if task is not None:
        return (f"its id is now {task.id} (line {task.line}, as the board's git "
                f"history says: {'; '.join(said)}, without a note in its log); name "
                "it by the id it has now")
    return removed


def _check_removal(paths: list[str], removed: list[str]) -> None:
    """Refuse ``task edit --remove-working-set`` of a path the working set (``paths``,
    after what is added) does not hold, and of its last paths: an empty working set
    means "any file" (docs/tasks.md), so taking the last path out would widen the task,
    not narrow it. Raises :class:`~ai_protocols.errors.InvalidText` (exit 4) before
    anything is written."""
    for path in removed:
        if not any(same_area(path, p) for p in paths):
            raise InvalidText("--remove-working-set", path,
                              f"the working set does not hold it (it holds {_listed(paths)}); "
                              "name a path exactly as 'task show' lists it")
    if removed and paths and all(any(same_area(p, r) for r in removed) for p in paths):
        raise InvalidText("--remove-working-set", " ".join(removed),
                          "it would take every path out, and a task with no working set may "
                          "change any file; name what it keeps with --working-set PATH")


def _listed(items: tuple[str, ...] | list[str]) -> str:
    return " ".join(items) if items else "(none)"


def _set_heading(doc: OrgFile, line: int, title: str | None, tags: list[str]) -> None:
    """Put ``title`` (``None``: the one there) and ``tags`` on the headline on ``line``,
    keeping its stars, keyword, priority and ``COMMENT`` as they are: only the title's
    words and the tag group change (Org's headline syntax: org-element's)."""
    from ai_protocols.org.file import find_tags

    headline = doc.find(line)
    bare = doc.lines[line].rstrip("\r\n").lstrip("\ufeff")
    found = find_tags(bare)
    head = bare[:found[0]] if found else bare.rstrip(" \t")
    if title is not None:
        raw = headline.raw_title
        at = head.rfind(raw) if raw else -1
        if raw and at >= headline.level:
            head = head[:at] + title + head[at + len(raw):]
        else:  # (no title yet: after the keyword, priority and COMMENT)
            head = head.rstrip(" \t") + " " + title
    doc.set_line(line, head + (f" :{':'.join(tags)}:" if tags else ""))


def _read_at(doc: OrgFile, line: int) -> Task:
    return next(t for t in read_board(doc)[0] if t.line == line + 1)


def _drop_closed(doc: OrgFile, line: int) -> str | None:
    """Take the ``CLOSED: [T]`` out of the planning line of the headline on ``line``, as
    Org takes it out when a task goes back to an open state
    (:func:`~ai_protocols.org.syntax.closed_taken`, Org's rule: ``SCHEDULED``,
    ``DEADLINE`` and every other byte stay; a line left empty goes); the text taken out
    (``CLOSED: [T]``, as that rule found it), or ``None`` when there was none."""
    from ai_protocols.org.syntax import closed_taken, is_planning

    at = line + 1
    headline = doc.find(line)
    if at >= headline.body_end or not is_planning(doc.lines[at]):
        return None
    kept, taken = closed_taken(doc.lines[at].rstrip("\r\n"))
    if taken is None:
        return None
    if kept is None:
        doc.replace(at, at + 1, [])
    else:
        doc.set_line(at, kept)
    return taken


def _set_state(doc: OrgFile, line: int, state: str) -> None:
    """Put ``state`` as the TODO keyword of the headline on ``line``, changing only that
    word of the line (or inserting it after the stars). The board's states are read as
    they will be written from then on (``read_done`` goes: :func:`done_states`)."""
    doc.__dict__.pop("read_done", None)
    headline = doc.find(line)
    text = doc.lines[line]
    bare = text.rstrip("\r\n")
    prefix = "\ufeff" if bare.startswith("\ufeff") else ""
    bare = bare[len(prefix):]
    stars = bare[: headline.level]
    rest = bare[headline.level:]
    gap = rest[: len(rest) - len(rest.lstrip(" \t"))]
    words = rest[len(gap):]
    if headline.todo is not None:
        words = state + words[len(headline.todo):]
    else:
        words = f"{state} {words}" if words else state
    doc.set_line(line, stars + (gap or " ") + words)


def _whole(text: str) -> str:
    """``text`` as one log line, whole: control characters as spaces, nothing cut."""
    return preview(text, len(text) + 1)


def _note(doc: OrgFile, line: int, stamp: str, text: str) -> None:
    """Append ``- <stamp> text`` to the task's own body (its log), whole."""
    doc.insert(doc.content_end(doc.find(line)), entry_lines(stamp, _whole(text)))


def held_by(owner: str | None, state: Liveness, force: bool = False,
            what: str = "held") -> str:
    """Whose claim (or lock: ``what`` ``"locked"``) it was and why it could be taken, in
    plain words: ``held by X, whose session was wrapped up at T (archived as P)``,
    ``held by X, who is crashed: its owner, process 4370 on this host, is gone``; a
    forced takeover says so."""
    who = holder_name(owner)
    if state.evidence.startswith("its session was ") and \
            state.evidence.startswith(f"its session was {state_words(state.state)}"):
        said = f"{what} by {who}, whose session {state.evidence[len('its session '):]}"
    else:
        said = f"{what} by {who}, who is {state_words(state.state)}: {state.evidence}"
    return said + ("; taken by force" if force else "")


def state_words(state: str) -> str:
    """A holder's state (:data:`~ai_protocols.liveness.evidence.STATES`) as the board's
    messages say it: ``wrapped-up`` as ``wrapped up``, every other as it is (``live``,
    ``paused``, ``crashed``, ``abandoned``, ``ended``, ``unknown``)."""
    return "wrapped up" if state == "wrapped-up" else state


def _work_tree_projects(board: str) -> list[str]:
    """The project root in every work tree sharing ``board`` (the main work tree's
    ``.ai/tasks.org``): the main one's, then each linked work tree's
    (``$GIT_COMMON_DIR/worktrees/<id>/gitdir`` names its ``.git`` file), at the same
    place in it. Read from files, without running git."""
    main = os.path.dirname(os.path.dirname(board))
    top = main
    while not os.path.isdir(os.path.join(top, ".git")):
        parent = os.path.dirname(top)
        if parent == top:
            return [main]
        top = parent
    below = os.path.relpath(main, top)
    roots = [main]
    linked = os.path.join(top, ".git", "worktrees")
    try:
        names = sorted(os.listdir(linked))
    except OSError:
        return roots
    for name in names:
        try:
            with open(os.path.join(linked, name, "gitdir"), encoding="utf-8") as handle:
                dotgit = handle.readline().strip()
        except (OSError, ValueError):
            continue
        if dotgit:
            roots.append(os.path.normpath(os.path.join(os.path.dirname(dotgit), below)))
    return roots


def _judged_by(said: tuple[str, timedelta, str | None], since_at: str | None,
               age: timedelta | None) -> bool:
    """Whether a claim or lock taken at ``since_at`` (its ``CLAIMED_AT``/``LOCKED_AT``)
    is ended by the wrap-up ``said`` (:func:`_wrapped_up`): it was taken at or before
    the wrap-up's instant (its archive's ``UPDATED_AT``), compared on the boot clock
    when both were measured on one host and boot, else as instants. Without both
    records, by ages, with a minute's slack (a board written before)."""
    from ai_protocols.liveness.clock import Moment

    taken, ended = Moment.parse(since_at), Moment.parse(said[2])
    if taken is not None and ended is not None:
        return taken.order(ended) <= ended.order(taken)
    return age is None or said[1] <= age + _SLACK


def _wrapped_up(root: Path, tomb: Path) -> tuple[str, timedelta, str | None] | None:
    """What a session's tombstone says, in words: ``its session was wrapped up at T
    (archived as P)`` or ``its session was adopted by P at T``, how long ago (the
    tombstone's age), and the ``UPDATED_AT`` its archive was last written with (the
    wrap-up's instant; ``None`` when it cannot be read); ``None`` without one."""
    from ai_protocols.lean import datetime as moment

    try:
        gone = storage.read_bytes(tomb)
        when = moment.fromtimestamp(os.stat(tomb).st_mtime)
        ago = max(moment.now() - when, timedelta(0))
    except (OSError, storage.StorageError):
        return None
    if gone is None:
        return None
    first = gone.decode("utf-8", "replace").split("\n")[0].strip()
    how, _, place = first.partition(" to " if first.startswith("archived") else " by ")
    if place:
        with contextlib.suppress(ValueError):
            place = os.path.relpath(place, root) if os.path.isabs(place) and \
                not os.path.relpath(place, root).startswith(os.pardir) else place
    at = f"{when:%Y-%m-%d %H:%M}"
    instant = status = None
    target = first.partition(" to " if first.startswith("archived") else " by ")[2]
    if target:
        with contextlib.suppress(OSError, storage.StorageError, storage.NotRegular):
            head = storage.read_regular(target, 65536).decode("utf-8", "replace")
            key = head.find("\n:UPDATED_AT:")
            if key >= 0:
                instant = head[key + 14:head.find("\n", key + 1)].strip() or None
            key = head.find("\n:STATUS:")
            if key >= 0:
                status = head[key + 10:head.find("\n", key + 1)].strip() or None
    if how == "adopted":
        return f"its session was adopted by {preview(place, 200)} at {at}", ago, instant
    # An archive of 'ai-protocols abandon' (its STATUS abandoned) is no wrap-up.
    said = "abandoned" if status == "abandoned" else "wrapped up"
    return f"its session was {said} at {at}" + \
        (f" (archived as {preview(place, 300)})" if place else ""), ago, instant


def _runs_elsewhere(owner_process: str | None) -> bool:
    """Whether ``owner_process`` (an ``OWNER_PROCESS`` value) names a process other than
    this command's owner (:func:`~ai_protocols.liveness.evidence.current_owner`) that
    still runs on this host: another live process of the same agent id. ``False`` when
    it cannot be told (another host, another PID namespace, a value not read)."""
    from ai_protocols.liveness.evidence import Owner

    other = Owner.parse(owner_process or "")
    here = current_owner()
    return other is not None and (here is None or not other.same_process(here)) and \
        other.alive() is True


def _same_claim(old: Task, now: Task) -> bool:
    """Whether ``old`` and ``now`` hold one claim: the same ``OWNER`` and ``CLAIMED_AT``
    (the claim's moment to the hundredth of a second), both set: the identity rule's
    strong evidence (:func:`~ai_protocols.board.merge.same_tasks`, step 2)."""
    return bool(old.owner and old.claimed_at) and \
        (old.owner, old.claimed_at) == (now.owner, now.claimed_at)


def _had(doc: OrgFile, now: Task, ident: str | None) -> bool:
    """Whether the log of ``now`` (a task of ``doc``) says its id was ``ident``
    (:data:`~ai_protocols.board.model.RETYPED`: a person's change, noted, or the merge's
    ``its id was also``)."""
    return bool(ident) and any(
        (found := RETYPED.match(text.strip())) is not None and found.group(1) == ident
        for text in own_log(doc, now.line))


def _retyped_note(was: str, now: str) -> str:
    """The line a task's log gets when a person changed its ``:ID:`` from ``was`` to
    ``now`` (``Board._same_again``): what :func:`~ai_protocols.board.model.renamed_to` looks for."""
    return f"its id was {was} (changed by hand to {now}): the same task"




def _logged(doc: OrgFile, line: int, text: str) -> bool:
    """Whether an item of the log of the task on ``line`` (from 1) of ``doc`` is
    ``- [STAMP] text``, whole: the tool's own item, never the same words at the end of
    another item (a hand-off's note: docs/tasks.md, "Merging the board")."""
    tail = "] " + text
    return any((item := whole.strip()).startswith("- [") and item.endswith(tail) and
               item.find("]") == len(item) - len(tail) for whole in own_log(doc, line))


def _missing_log(doc: OrgFile, line: int, kept: OrgFile, kept_line: int) -> list[str]:
    """The items of the log of the task on ``kept_line`` (from 1) of the kept copy
    ``kept`` that the log of the task on ``line`` (from 1) of ``doc`` lacks, in the kept
    copy's order (:func:`_put_back_log`)."""
    missing = own_log(kept, kept_line)
    for text in own_log(doc, line):
        if text in missing:
            missing.remove(text)
    return missing


def _put_back_log(doc: OrgFile, line: int, kept: OrgFile, kept_line: int) -> None:
    """Add to the log of the task on ``line`` (from 1) of ``doc`` the items of its log in
    the kept copy ``kept`` (the task on ``kept_line``) that it lacks (git put back an
    older board: the claim's "claimed by" item, a takeover's reason...), after its own,
    in the kept copy's order; the items both hold stay as they are."""
    missing = _missing_log(doc, line, kept, kept_line)
    if missing:
        doc.insert(doc.content_end(doc.find(line - 1)), missing)


def _bare(lines: list[str]) -> list[str]:
    """Lines as :meth:`OrgFile.insert` takes them: without their line ends."""
    return [line[:-1] if line.endswith("\n") else line for line in lines]


def _append_at_end(doc: OrgFile, lines: list[str]) -> None:
    """Append ``lines`` at the end of the file, after a newline if the last line has none."""
    doc.insert(doc.line_count, lines)


def _split_at_headline(lines: list[str]) -> tuple[list[str], list[str]]:
    """``lines`` (a subtree's, without its headline) as its own text, and its sub-headings
    with all that follows the first of them."""
    for index, line in enumerate(lines):
        stars = len(line) - len(line.lstrip("*"))
        if stars and line[stars:stars + 1] in (" ", "\t"):
            return lines[:index], lines[index:]
    return lines, []


def _lock_title(path: str) -> str:
    """A lock's headline text: its path, made inert (:func:`board_title`)."""
    return board_title(preview(path, 200)) or "lock"


def _append_lock(doc: OrgFile, lines: list[str]) -> None:
    """Put a lock's subtree at the end of the locks section (made when missing)."""
    index = locks_section(doc)
    if index is None:
        _append_at_end(doc, ["* Locks", ":PROPERTIES:", format_property("CUSTOM_ID", LOCKS_ID),
                             ":END:"])
        index = locks_section(doc)
        assert index is not None
    section = doc.headlines[index]
    end = section.subtree_end
    doc.insert(end, lines)


def _remove_subtree(doc: OrgFile, line: int) -> None:
    headline = doc.find(line)
    doc.replace(line, headline.subtree_end, [])


#: How the git-operation hint of a board write (:func:`_warn_operation`) names the
#: board's changes and what brings them back after git put its version over them.
_BOARD_KEPT = ("the board's changes", "the next board command that writes puts back the "
               "live claims and locks it took (the board's kept copy, .ai/.locks/live/, "
               "holds them)")


def _warn_operation(board: str) -> None:
    """After a write of the board ``board``: the hint every session file's write gives
    while a git operation is stopped half way and the file has changes git has not
    staged (:func:`~ai_protocols.session.unmerged.operation_warning`, the one text,
    in the board's words): ``git rebase --continue`` refuses until ``git add
    .ai/tasks.org``. A few ``stat`` calls; one ``git ls-files`` only while an operation
    is under way. On stderr; raises nothing."""
    from ai_protocols.session.edit_base import warn
    from ai_protocols.session.unmerged import operation_warning

    said = operation_warning(board, kept=_BOARD_KEPT)
    if said is not None:
        warn(said)
