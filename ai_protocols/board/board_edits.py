"""The task board's edits of its text, each surgical (the lines it changes, a person's
bytes as typed): a task found, its heading, state, drawer and log lines set, a lock
appended or removed; and the reports the board's operations give (:class:`Lost`,
:class:`ClaimReport`, :class:`LockReport`). Split out of :mod:`ai_protocols.board.board`,
which re-exports every name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ai_protocols.board.board_file import (
    LOCKS_ID,
    BoardFile,
    board_bytes,
    board_decode,
    board_file,
    board_title,
    holder_name,
    locks_section,
    same_area,
    task_headlines,
)
from ai_protocols.board.board_input import (
    LINE_KEY,
    all_sunk,
    find_task,
    line_key_miss,
    mint_task_id,
)
from ai_protocols.board.board_read import own_log, read_board
from ai_protocols.board.claim_history import RETYPED, renamed_to
from ai_protocols.errors import (
    AiProtocolsError,
    BeingEdited,
    DuplicateTaskId,
    InvalidText,
    TaskNotFound,
)
from ai_protocols.lean import counted, quoted, record, timedelta
from ai_protocols.liveness.evidence import current_owner
from ai_protocols.org.syntax import entry_lines, format_property
from ai_protocols.paths import AI_DIR
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_protocols.board.board_file import AreaLock, Task
    from ai_protocols.liveness.evidence import Liveness
    from ai_protocols.org.file import OrgFile


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
