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

The class is made of parts by concern (twenty-seventh round), each in a module of its
own below this one: :mod:`~ai_protocols.board.board_edits` (its helpers),
:mod:`~ai_protocols.board.board_lost`, :mod:`~ai_protocols.board.board_write`,
:mod:`~ai_protocols.board.task_commands`, :mod:`~ai_protocols.board.lock_commands`.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ai_protocols.board.board_edits import (
    ClaimReport,
    LockReport,
    Lost,
    _find,
    _own_copy_holds,
    duplicate_ids,
    held_by,
    state_words,
)
from ai_protocols.board.board_edits import _Changed as _Changed
from ai_protocols.board.board_edits import _whole as _whole
from ai_protocols.board.board_file import (
    CLOSED_STATES,
    BoardFile,
    board_bytes,
    board_text_of,
    done_states,
    overlap,
)
from ai_protocols.board.board_input import all_sunk, find_task, sunk_locks
from ai_protocols.board.board_lost import LostClaims
from ai_protocols.board.board_read import dropped_by_merge, kept_other, names_a_loss, read_board
from ai_protocols.board.board_write import Writing
from ai_protocols.board.lock_commands import LockCommands
from ai_protocols.board.task_commands import TaskCommands
from ai_protocols.errors import AiProtocolsError, DuplicateTaskId, NoProject, TaskNotFound
from ai_protocols.liveness.evidence import RECOVERABLE
from ai_protocols.paths import AI_DIR, BOARD_FILE, board_path, kept_board_path
from ai_protocols.session.project import Project

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_protocols.board.board_file import AreaLock, Task
    from ai_protocols.board.board_input import Sunk
    from ai_protocols.liveness.evidence import Liveness
    from ai_protocols.org.file import OrgFile
    from ai_protocols.scaffold import InitAction

__all__ = ["Board", "ClaimReport", "LockReport", "Lost", "duplicate_ids", "find_task", "held_by",
           "state_words"]


class Board(LockCommands, TaskCommands, Writing, LostClaims):
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
