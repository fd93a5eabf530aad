"""The resume context's value and its two forms: :class:`ResumeContext`, what it
holds (the board's tasks it shows among it, read by :func:`_tasks`), fitted into a
number of bytes as text or JSON (:func:`_fit`; the rules: :mod:`ai_protocols.session.resume`),
the lines and keys of each section, and the names cut to :data:`NAME_BYTES`
(:func:`_clip`), which every warning of the context uses too. docs/decisions.md,
"Twenty-eighth round: the SessionStart hook beside 1,000 files, and resume.py split".
"""

from __future__ import annotations

import os

from ai_protocols.git.head import branch_text
from ai_protocols.lean import (
    counted,
    datetime,
    display,
    shell_quote,
)
from ai_protocols.liveness.evidence import Liveness
from ai_protocols.org.syntax import Entry
from ai_protocols.paths import relative_to
from ai_protocols.session.model import Session, iso, moved_count
from ai_protocols.session.names import (
    resumed_by,
)
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_protocols.board.board_file import AreaLock, Handoff, Task
    from ai_protocols.git.state import GitState
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.project import Project


#: The default bound of the output, in bytes of UTF-8.
DEFAULT_MAX_BYTES = 4096
#: Bytes a name is cut to (its JSON form: a ``"`` or ``\\`` counts twice).
NAME_BYTES = 60
#: What ends a summary or step in progress that was cut to fit.
CUT_MARK = "[cut to fit; all of it: ai-protocols show]"
#: The lists, highest priority first: when not all fits, the last are left out first.
LISTS = ("key_files", "context", "next", "blockers", "decisions", "discoveries", "others")
#: The lists in the order of ``resume --json``'s keys (the older first).
_JSON_LISTS = (*LISTS[2:], *LISTS[:2])
#: Bytes the objective is cut to (ending in ``…``; all of it: ``ai-protocols show``).
OBJECTIVE_BYTES = 120
_LABELS = {
    "key_files": ("Key files (read these first)", "key file", "key files"),
    "context": ("Context to keep", "fact of context", "facts of context"),
    "next": ("Next steps", "next step", "next steps"),
    "blockers": ("Blockers", "blocker", "blockers"),
    "decisions": ("Decisions", "decision", "decisions"),
    "discoveries": ("Discoveries", "discovery", "discoveries"),
    "others": ("Other agents' sessions to recover", "session of another agent",
               "sessions of other agents"),
}
# (sets and tables, not regular expressions: compiling them costs each run its time)
_CONTROL = dict.fromkeys([*range(0x20), 0x7F], "\ufffd")
_HEX = frozenset("0123456789abcdefABCDEF")


class ResumeContext:
    """What an agent needs to carry on, whole; :meth:`to_text` and :meth:`to_json`
    fit it into :attr:`max_bytes`.

    ``session`` is ``None`` when the agent has no session file yet. The lists hold
    only open items, newest first: ``in_progress`` is the step ``log --current``
    marked, else the newest open progress item; ``key_files`` and ``context`` the
    session's key files and facts of context; ``others`` the other agents'
    sessions in a state that calls for ``recover`` (crashed, abandoned, wrapped-up
    but not moved), newest first;
    ``rolled_back`` the warning when the session was recorded on another branch,
    or at a commit this clone does not have, or its last checkpoint holds
    uncommitted work this checkout does not.

    (A plain class, not a dataclass: making one costs each run half a millisecond.)
    """

    def __init__(self, agent_id: str | None, session: Session | None, git: GitState | None,
                 *, in_progress: Entry | None = None, next_steps: list[Entry] | None = None,
                 blockers: list[Entry] | None = None, decisions: list[Entry] | None = None,
                 discoveries: list[Entry] | None = None,
                 others: list[tuple[Session, Liveness]] | None = None,
                 rolled_back: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 key_files: list[Entry] | None = None,
                 context: list[Entry] | None = None,
                 tasks: list[Task] | None = None) -> None:
        self.agent_id, self.session, self.git = agent_id, session, git
        self.in_progress = in_progress
        self.key_files = key_files or []
        self.context = context or []
        self.next_steps = next_steps or []
        self.blockers = blockers or []
        self.decisions = decisions or []
        self.discoveries = discoveries or []
        self.others = others or []
        #: Other agents' session files past the newest :func:`others_to_read` read for
        #: :attr:`others`: counted among those left out, unread (their states unknown).
        self.others_unread = 0
        #: The oldest decisions and discoveries a brief read of the session counted but did
        #: not read, by list (``Session.unread``): counted among those left out.
        self.notes_unread: dict[str, int] = {}
        self.rolled_back = rolled_back
        #: :attr:`rolled_back` is said first, before the session's context: the file is
        #: not the one this tool wrote last (another session, another agent's, an older
        #: version: :func:`replaced_warning`), so what follows may not be this agent's.
        self.warn_first = False
        self.max_bytes = max_bytes
        #: The open tasks of the board (docs/tasks.md) the agent holds or its session is
        #: linked to, at most :data:`MAX_TASKS`.
        self.tasks = tasks or []
        #: How many more open tasks the agent holds than :attr:`tasks` shows
        #: (``task list --mine`` lists them all).
        self.tasks_left_out = 0
        #: The areas the agent itself has locked on the board (the first few), and how
        #: many more it holds (``ai-protocols locks`` lists them all).
        self.locks: list[AreaLock] = []
        self.locks_left_out = 0
        #: Why the board cannot be read, and what :attr:`tasks` and :attr:`locks` were
        #: read from instead (its kept copy), in words
        #: (:func:`~ai_protocols.board.model.read_readable`); ``None`` when it was read.
        self.board_unreadable: str | None = None
        #: What the board on disk lacks that git brought or this tool wrote, dropped by
        #: a stale editor's save (:func:`~ai_protocols.board.stale.told`'s words), and
        #: whether its merge back is left to a person; :attr:`tasks` and :attr:`locks`
        #: are read with it merged back (or, left to a person, with the locks of both);
        #: ``None`` when it lacks nothing. Said in the context the agent reads, not only
        #: on stderr (issue 15, twentieth round).
        self.board_lacks: tuple[str, bool] | None = None
        #: The last hand-off of each of :attr:`tasks` that was handed off, by task id
        #: (its note for the agent that took it on: docs/tasks.md).
        self.handoffs: dict[str, Handoff] = {}
        #: What the agent lost to a git merge of the board (a claim, a lock), in words.
        self.dropped: list[str] = []
        #: Without a session file: whether git (or anything but this tool) removed it,
        #: its last version kept for ``start`` to bring back (``.ai/.locks/live/``).
        self.removed = False
        #: When ``removed`` by a branch switch: ``(branch, here, top)``
        #: (:func:`~ai_protocols.session.replaced.switched_from`), and the kept copy.
        self.switched: tuple[str, str, str] | None = None
        self.kept: str | None = None
        #: When ``removed``: where the session file was (absolute).
        self.removed_path: str | None = None
        #: Without a session file: where it was carried, when its kept copy's place is
        #: the record of a carry to another work tree (the file itself moved there:
        #: :func:`~ai_protocols.session.replaced.carried_away`), as the writes'
        #: refusal says it; also in :attr:`rolled_back` (the JSON's warning).
        self.carried: str | None = None

    def __repr__(self) -> str:
        title = self.session.title if self.session else None
        return (f"ResumeContext(agent_id={self.agent_id!r}, session={title!r}, "
                f"next_steps={len(self.next_steps)}, blockers={len(self.blockers)}, "
                f"decisions={len(self.decisions)}, discoveries={len(self.discoveries)}, "
                f"others={len(self.others)}, max_bytes={self.max_bytes})")

    def _lists(self) -> dict[str, list]:
        return {"key_files": self.key_files, "context": self.context,
                "next": self.next_steps, "blockers": self.blockers,
                "decisions": self.decisions, "discoveries": self.discoveries,
                "others": self.others}

    def to_text(self) -> str:
        """The context as text for a model to read, ending in a newline: at most
        :attr:`max_bytes` bytes of UTF-8 when that is at least :data:`MIN_MAX_BYTES`."""
        return _fit(_TextForm(self), self)  # type: ignore[return-value]

    def to_json(self) -> dict[str, object]:
        """The same content as data (keys in docs/user-guide.md): :func:`dumps` of it
        and a newline, what ``resume --json`` prints, is at most :attr:`max_bytes`
        bytes of UTF-8 when that is at least :data:`MIN_MAX_BYTES`."""
        return _fit(_JsonForm(self), self)  # type: ignore[return-value]


#: Tasks of the board the context shows at most, and the bytes of each one's working set.
MAX_TASKS = 3
#: The agent's own locks of the board the context names at most (each path cut to
#: :data:`NAME_BYTES`); the rest are counted: ``and N more: ai-protocols locks``.
MAX_LOCKS = 3
WORKING_SET_BYTES = 300
#: Bytes of a task's last hand-off note the context keeps.
HANDOFF_BYTES = 200


def board_lacks_said(lacks: str, left: bool) -> str:
    """What the resume context says of a board that lacks what a stale editor's save
    dropped (:attr:`ResumeContext.board_lacks`): ``lacks`` (the stale rule's words) and
    whether its merge back is left to a person (``left``), with what the agent is to
    do. Raises nothing."""
    if left:
        return (f"the task board (.ai/tasks.org) lacks {lacks}, and its merge back is "
                "left to a person: every board command that writes refuses until then, "
                "saying how; the locks of both versions hold")
    return (f"the task board (.ai/tasks.org) lacks {lacks}; the tasks and locks here "
            "are read with them merged back, and the next board command that writes "
            "(task claim, lock, ...) merges them back")


def _tasks(project: Project, session: Session | None, context: ResumeContext
           ) -> tuple[list[Task], dict[str, Handoff], list[str]]:
    """The open tasks of the board the agent holds, or its session is linked to (none
    without a board, or with one that cannot be read), the first :data:`MAX_TASKS`, the
    last hand-off of each that was handed off (its log), by task id, and what the agent
    lost to a git merge of the board (:func:`~ai_protocols.board.model.dropped_by_merge`).
    Sets ``context``'s count of the tasks past those
    (:attr:`ResumeContext.tasks_left_out`) and the agent's own locks
    (:attr:`ResumeContext.locks`, the first :data:`MAX_LOCKS`, and
    :attr:`ResumeContext.locks_left_out`): after a compaction the agent hears of every
    claim and lock it holds, each named or counted."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.paths import BOARD_FILE

    path = os.path.join(project.ai_dir_text, BOARD_FILE)
    data: bytes | None = b""
    try:
        data = storage.read_bytes(path)
        if data is None:  # (gone, and not by git: as the next change writes it back whole)
            data = _gone_board(path)
        if not data:
            return [], {}, []  # (no board: its module is not even imported)
    except AiProtocolsError:
        data = None  # (a symbolic link, no regular file: read_readable says why)
    left = None
    if data:  # (what git brought and a stale save dropped: as the next write reads it)
        from ai_protocols.board.brought import unchecked

        key = unchecked(path, data)  # (None, the common case: nothing to check, no git)
        if key is not None:  # (the board's one rule, nothing written; said once on stderr)
            from ai_protocols.board.stale import as_read

            data, lacks, sides = as_read(path, data, key)
            left = sides[1] if sides else None
            context.board_lacks = None if lacks is None else (lacks, sides is not None)
    from ai_protocols.board.board_file import handoffs
    from ai_protocols.board.board_read import read_readable

    # (a board that cannot be read: its kept copy's claims and locks, and why, as check)
    found, tasks, locks, context.board_unreadable = read_readable(path, data)
    if found is None:
        return [], {}, []
    if left is not None and context.board_unreadable is None:
        from ai_protocols.board.board_read import more_locks

        locks = locks + more_locks(locks, [left])
    doc = found
    from ai_protocols.paths import is_own, own_suffix

    me, linked = project.agent_id, session.task if session else None
    suffix = own_suffix()  # (its session under another work tree's id: its own too)
    if linked:  # (its id changed since: the task its log says it is now)
        from ai_protocols.board.claim_history import linked_since
        from ai_protocols.board.merge import current_or_history

        now = current_or_history(doc, tasks, linked,
                                 linked_since(session.log, linked) if session else None,
                                 str(project.root))
        linked = now.id if now is not None else linked
    mine = [t for t in tasks if t.is_open and (is_own(t.owner, me, suffix) or
                                               (linked and t.id == linked))]
    if me and data and context.board_unreadable is None:  # its claims git took off the board
        # (stash, checkout...): still its own
        mine += [t for t in _kept_claims(path, data, doc, tasks)
                 if is_own(t.owner, me, suffix)]
    context.tasks_left_out = max(len(mine) - MAX_TASKS, 0)
    mine = mine[:MAX_TASKS]
    held = [lock for lock in locks if is_own(lock.owner, me, suffix)]
    context.locks, context.locks_left_out = held[:MAX_LOCKS], max(len(held) - MAX_LOCKS, 0)
    passed = {t.id or "": handoffs(doc, t.line) for t in mine}
    from ai_protocols.board.board_read import dropped_by_merge

    dropped = dropped_by_merge(doc, me, tasks, locks, suffix)  # (one search, when nothing was lost)
    return mine, {key: found[-1] for key, found in passed.items() if found}, dropped


def _gone_board(path: str) -> bytes | None:
    """The board at ``path``, gone from disk, as the next change writes it back: its kept
    copy, when it comes back whole (:func:`~ai_protocols.board.removed.comes_back_whole`);
    else ``None``. A ``stat`` without a kept copy (nothing of the board's imported)."""
    from ai_protocols.paths import kept_board_path

    kept = kept_board_path(path)
    if not os.path.isfile(kept):
        return None
    from ai_protocols.board.removed import comes_back_whole

    return comes_back_whole(path, kept)


def _kept_claims(path: str, data: bytes, doc: OrgFile, tasks: list[Task]) -> list[Task]:
    """The open claims of the board's kept copy (``.ai/.locks/live/tasks.org``, the last
    board this tool wrote) that the board at ``path`` (``data``, read as ``doc`` and
    ``tasks``) lost to git (:func:`~ai_protocols.board.model.lost_claims`, with the
    rules ``Board.lost`` applies: a task whose ``:ID:`` line a person deleted or retyped
    is that task, :func:`~ai_protocols.board.merge.kept_task_pairs`; one a person
    archived is not lost, :func:`~ai_protocols.board.model.all_sunk`); none when the
    board is that copy, or the copy cannot be read."""
    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import kept_other, read_board
    from ai_protocols.paths import kept_board_path

    kept = kept_other(path, kept_board_path(path), data)
    if kept is None:
        return []
    from ai_protocols.board.board_input import all_sunk  # (the board's history and archive:
    from ai_protocols.board.claim_history import lost_claims  # only when a copy is kept)
    from ai_protocols.board.merge_pairs import kept_task_pairs  # (and the session merge: only then)
    try:
        kept_doc = BoardFile(kept.decode("utf-8"))
        old = read_board(kept_doc, check=False)[0]
        moved = {sunk.id for sunk in all_sunk(None, path)}
        same = {o.id or "": now for o, now in kept_task_pairs(doc, kept_doc, old, moved)}
    except (UnicodeDecodeError, ValueError):
        return []
    return [task for task, _ in lost_claims(old, doc, tasks, same, moved, board=path,
                                            kept=kept_doc)]


def _task_text(task: Task, me: str | None, handoff: Handoff | None = None) -> str:
    from ai_protocols.paths import is_own, own_suffix

    whose = "yours" if is_own(task.owner, me, own_suffix()) else \
        f"held by {_clip(task.owner)}" if task.owner else "free"
    kept, left = _working_set(task, WORKING_SET_BYTES - 70, _shell_word)
    working = " ".join(map(_shell_word, kept)) or ("" if left else "(any file)")
    if left:
        working += f"{' ' if kept else ''}(and {left} more: ai-protocols task show " \
                   f"{_clip(task.id, 24)})"
    said = ""
    if handoff is not None:
        when = f"{handoff.time:%Y-%m-%d %H:%M}, " if handoff.time else ""
        said = (f"    handed off ({when}by {_clip(handoff.by)}, to {_clip(handoff.to)}): "
                f"{_clip(handoff.note, HANDOFF_BYTES)}\n")
    return (f"  {task.id} {task.state} ({whose}): {_clip(task.title, 100)}\n"
            f"    working set: {working}\n" + said)


def _task_json(task: Task, handoff: Handoff | None = None) -> dict[str, object]:
    return {"id": task.id, "state": task.state, "title": _clip(task.title, 100),
            "owner": _clip(task.owner),
            "working_set": (listed := _working_set(task, WORKING_SET_BYTES - 30,
                                                   _json_word))[0],
            "working_set_left_out": listed[1],
            "last_handoff": None if handoff is None else {
                **handoff.to_json(), "from": _clip(handoff.by), "to": _clip(handoff.to),
                "from_role": _clip(handoff.from_role),
                "note": _clip(handoff.note, HANDOFF_BYTES)}}


def _working_set(task: Task, limit: int, form: Callable[[str], str]) -> tuple[list[str], int]:
    """The paths of ``task``'s working set that fit in ``limit`` bytes, whole and in
    order, each as ``form`` shows it (the bytes counted are its form's and one separator
    of 2 each); and how many were left out (the first that does not fit and all after)."""
    used = 0
    for count, path in enumerate(task.working_set):
        used += len(form(path).encode()) + 2
        if used > limit:
            return list(task.working_set[:count]), len(task.working_set) - count
    return list(task.working_set), 0


def _json_word(path: str) -> str:
    """A path as JSON writes it (its quotes and escapes: the bytes it costs)."""
    return dumps(path)


def _shell_word(path: str) -> str:
    """A path for a person, told apart from the next one, as ``shlex.quote`` writes it
    (without importing it): as it is when made of letters, digits and ``@%+=:,./-_``,
    else in single quotes, a ``'`` inside as ``'"'"'``; a control character as ``?``
    (:func:`_clip`)."""
    path = _clip(path, 1 << 20) or ""
    if path and all(ch.isalnum() or ch in "@%+=:,./-_" for ch in path):
        return path
    return "'" + path.replace("'", "'\"'\"'") + "'"


def _is_hash(text: str | None) -> bool:
    return bool(text) and 4 <= len(text) <= 64 and _HEX.issuperset(text)  # type: ignore[arg-type]


def _clip(name: str | None, limit: int = NAME_BYTES) -> str | None:
    """``name`` on one line, cut to ``limit`` bytes (as JSON escapes it) ending in ``…``."""
    if name is None:
        return None
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") \
        .translate(_CONTROL)

    def cost(ch: str) -> int:
        return len(ch.encode()) + (ch in '"\\')

    if sum(map(cost, name)) <= limit:
        return name
    kept, used = [], len("…".encode())
    for ch in name:
        used += cost(ch)
        if used > limit:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def _target(session: Session) -> str:
    """How ``recover`` names a session: its agent id, or the path of its file, quoted
    for a POSIX shell (:func:`~ai_protocols.lean.shell_quote`, the one quoter: a plain
    one with no import)."""
    return shell_quote(session.agent_id or session.path_text)


def _cut(text: str, fits: Callable[[str], bool]) -> str:
    """``text`` if it fits; else its longest run of whole first lines that fits with
    :data:`CUT_MARK` on a line of its own; else the longest start of its first line
    that fits with the mark; else the mark alone."""
    if fits(text):
        return text
    lines = text.split("\n")
    low, high = 0, len(lines) - 1  # the most whole lines that fit: from low to high
    while low < high:
        middle = (low + high + 1) // 2
        if fits("\n".join(lines[:middle]) + "\n" + CUT_MARK):
            low = middle
        else:
            high = middle - 1
    if low > 0:
        return "\n".join(lines[:low]) + "\n" + CUT_MARK
    first = lines[0]
    low, high = 0, len(first)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(first[:middle] + "… " + CUT_MARK):
            low = middle
        else:
            high = middle - 1
    return first[:low] + "… " + CUT_MARK if low else CUT_MARK


def dumps(data: object) -> str:
    """JSON as ``resume --json`` prints it: one line, compact, UTF-8 as it is."""
    import json  # (only here: the text needs none of it)

    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class _Form:
    """One way to print the context, measured in pieces: the part around the lists,
    each list item, and what the note on left-out entries costs."""

    def __init__(self, context: ResumeContext) -> None:
        self.context = context
        session = context.session
        self.summary = session.summary if session else None
        step = context.in_progress
        self.step = step.text if step is not None else None
        #: The tasks shown, and how many more the agent holds: :func:`_fit` shows fewer
        #: when their lines leave no room within ``max_bytes`` for the rest at its least.
        self.tasks = list(context.tasks)
        self.tasks_left_out = context.tasks_left_out

    def base(self, summary: str | None, step: str | None) -> int:
        raise NotImplementedError

    def item(self, key: str, value: object) -> tuple[object, int]:
        raise NotImplementedError

    def between(self, key: str, shown: int) -> int:
        """Bytes besides the item itself that the list's item number ``shown`` adds."""
        raise NotImplementedError

    def note(self, left: dict[str, int]) -> int:
        raise NotImplementedError

    def render(self, summary: str | None, step: str | None, items: dict[str, list],
               left: dict[str, int]) -> object:
        raise NotImplementedError


def _fit(form: _Form, context: ResumeContext) -> object:
    """The form's rendering of ``context`` within its ``max_bytes`` (see the module)."""
    budget = context.max_bytes
    lists = context._lists()
    left = {key: len(values) for key, values in lists.items()}
    left["others"] += context.others_unread
    for key, count in context.notes_unread.items():
        left[key] += count
    worst = form.note(left)
    summary, step = form.summary, form.step
    floor = form.base(_mark(summary), _mark(step))
    while form.tasks and floor + worst > budget:  # (long titles, working sets, notes,
        form.tasks.pop()  # escaped in JSON: the newest claims stay, the rest counted)
        form.tasks_left_out += 1
        floor = form.base(_mark(summary), _mark(step))
    # The key files and the facts of context keep their room against a long summary or
    # step (issue 14, thirteenth round: a 5,000-character --current pushed them out): up
    # to half of what the two may share; the other lists take what these leave.
    reserve = 0
    for key in LISTS[:2]:
        for shown, value in enumerate(lists[key]):
            reserve += form.item(key, value)[1] + form.between(key, shown)
    reserve = max(0, min(reserve, (budget - worst - floor) // 2))
    if form.base(summary, step) + worst + reserve > budget:
        room = budget - worst - floor - reserve

        def grows(text: str | None, *, is_step: bool) -> int:
            if is_step:
                return form.base(_mark(summary), text) - floor
            return form.base(text, _mark(step)) - floor

        if step is not None:
            share = max(room // 2, room - grows(summary, is_step=False))
            step = _cut(step, lambda text: grows(text, is_step=True) <= share)
        if summary is not None:
            rest = room - grows(step, is_step=True)
            summary = _cut(summary, lambda text: grows(text, is_step=False) <= rest)
    size = form.base(summary, step)
    items: dict[str, list] = {key: [] for key in LISTS}
    for key in LISTS:
        for value in lists[key]:
            piece, cost = form.item(key, value)
            cost += form.between(key, len(items[key]))
            left[key] -= 1
            if size + cost + form.note(left) > budget:
                left[key] += 1
                break
            items[key].append(piece)
            size += cost
    return form.render(summary, step, items, left)


def _mark(text: str | None) -> str | None:
    """The shortest a text that is there can be cut to."""
    return None if text is None else CUT_MARK


def _left_phrases(left: dict[str, int]) -> list[str]:
    return [f"{count} {_LABELS[key][1] if count == 1 else _LABELS[key][2]}"
            for key, count in left.items() if count]


class _TextForm(_Form):
    """The text ``resume`` prints."""

    def _head(self, summary: str | None, step: str | None) -> str:
        return self._top(step) + self._summary(summary)

    def _top(self, step: str | None) -> str:
        """The title line, the objective and the step in progress: read first."""
        context, session = self.context, self.context.session
        if session is None:
            who = f" for AI_AGENT_ID {context.agent_id}" if context.agent_id else ""
            if context.removed and context.switched is not None:
                from ai_protocols.errors import removed_by_switch

                kept = relative_to(context.kept or "", context.switched[2])
                return (f"Resume: the session file{who} is not on "
                        f"{context.switched[1]}: "
                        f"{removed_by_switch(context.switched, kept, context.removed_path)}\n")
            if context.carried:
                return (f"Resume: no session file{who} here: it was carried to another "
                        f"work tree (the warning below says where to work)\n")
            if context.removed:
                return (f"Resume: the session file{who} was removed, and not by "
                        "ai-protocols (git clean, git stash -u or git checkout?); its last "
                        "version, with every entry logged to it, is kept in .ai/.locks/live/. "
                        "Bring it back with: ai-protocols start\n")
            return (f"Resume: no session yet{who}. Start one with: "
                    "ai-protocols start --title TITLE\n")
        status = _clip(session.status, 20) or "?"
        who = f"agent {context.agent_id}, " if context.agent_id else ""
        out = [f"Resume: {_clip(session.title, 100) or '(untitled)'} ({who}{status})\n"]
        if context.warn_first and context.rolled_back:
            out.append(f"\nWarning: {context.rolled_back}.\n")
        if session.objective:
            out.append(f"\nObjective: {_clip(session.objective, OBJECTIVE_BYTES)}\n")
        if session.status == "paused":
            note = _clip(session.pause_note, OBJECTIVE_BYTES) or "(no note)"
            out.append(f"\nPaused at {_stamp(session.paused)}: {note} "
                       f"(it resumes with {resumed_by(context.agent_id, session.agent_session)})\n")
        out.append("\nIn progress:\n")
        if context.in_progress is None or step is None:
            out.append("  (no open progress item)\n")
        else:
            out.append(_entry_text(context.in_progress, step))
        return "".join(out)

    def _summary(self, summary: str | None) -> str:
        if self.context.session is None:
            return ""
        return "\nSummary:\n" + (_indent(summary, "  ") if summary is not None else "  (none)\n")

    def _middle(self) -> str:
        context, session = self.context, self.context.session
        out = []
        if session is not None:
            if session.compactions:
                last = f", last at {_stamp(session.compacted)}" if session.compacted else ""
                times = counted(session.compactions, "time", "times")
                compacted = f"context compacted {times}{last}"
            else:
                compacted = "no compaction recorded"
            out.append(f"\nSession: last updated {_stamp(session.updated)}; {compacted}.\n")
            if session.earlier:  # (a file rolled over: docs/user-guide.md)
                count = moved_count(session.earlier)
                files = counted(len(session.earlier), "earlier-entries file",
                                "earlier-entries files")
                moved = "an unknown number of older entries" if count is None else \
                    counted(count, "older entry", "older entries")
                out.append(f"  {moved} moved "
                           f"to {files}: "
                           "ai-protocols show --all\n")
        git = context.git
        if git is None:
            named = os.environ.get("GIT_DIR")  # (a git folder holds HEAD: gitrepository-layout)
            wrong = named and not os.path.isfile(os.path.join(named, "HEAD"))
            out.append("\nGit: not a git work tree" + (
                f" (GIT_DIR={_clip(named)} names no git repository)" if wrong else "") + "\n")
            return "".join(out)
        out.append("\nGit:\n")
        if git.commit is None:
            out.append(f"  branch {_clip(branch_text(git.branch))}, no commit yet\n")
        else:
            where = f"branch {_clip(branch_text(git.branch))}" if git.branch else "detached HEAD"
            out.append(f"  {where}, last commit {git.short or git.commit[:12]} "
                       f"{_clip(git.subject) or ''}".rstrip() + "\n")
        if git.upstream:
            out.append(f"  upstream {_clip(git.upstream)}: {git.ahead} ahead, "
                       f"{git.behind} behind\n")
        else:
            out.append("  no upstream\n")
        if git.changed or git.untracked:
            more = git.changed + git.untracked - len(git.first_files)
            out.append(f"  {git.changed} changed, {git.untracked} untracked:\n")
            out += [f"    {_clip(display(name))}\n" for name in git.first_files]
            if more > 0:
                out.append(f"    and {more} more (git status)\n")
        else:
            out.append("  no changed or untracked files\n")
        return "".join(out)

    def _tail(self) -> str:
        context = self.context
        warning = None if context.warn_first else context.rolled_back
        out = f"\nWarning: {context.board_unreadable}.\n" if context.board_unreadable else ""
        if context.board_lacks is not None:
            out += f"\nWarning: {board_lacks_said(*context.board_lacks)}.\n"
        if self.tasks or self.tasks_left_out:
            out += "\nTasks (.ai/tasks.org):\n" + "".join(
                _task_text(t, context.agent_id, context.handoffs.get(t.id or ""))
                for t in self.tasks)
            if self.tasks_left_out:
                out += (f"  and {self.tasks_left_out} more you hold: "
                        "ai-protocols task list --mine\n")
        if context.locks:
            out += "\nLocks you hold (.ai/tasks.org):\n" + "".join(
                f"  {_shell_word(_clip(lock.path) or '')}\n" for lock in context.locks)
            if context.locks_left_out:
                out += f"  and {context.locks_left_out} more: ai-protocols locks\n"
        out += "".join(f"\nWarning: {said}.\n" for said in context.dropped)
        return out + (f"\nWarning: {warning}.\n" if warning else "")

    def base(self, summary: str | None, step: str | None) -> int:
        return len((self._head(summary, step) + self._middle() + self._tail()).encode())

    def item(self, key: str, value: object) -> tuple[object, int]:
        text = _other_text(*value) if key == "others" else _entry_text(value)  # type: ignore[misc, arg-type]
        if key == "others" and value[1].state == "paused":  # type: ignore[index]
            text = _PausedText(text)
        return text, len(text.encode())

    def between(self, key: str, shown: int) -> int:
        if key == "others":  # (room for both headings: to recover, paused)
            return len(f"\n{_LABELS[key][0]}:\n{PAUSED_OTHERS}") if shown == 0 else 0
        return len(f"\n{_LABELS[key][0]}:\n") if shown == 0 else 0

    def _note(self, left: dict[str, int]) -> str:
        phrases = _left_phrases(left)
        if not phrases:
            return ""
        where = "ai-protocols show"
        if left["others"]:
            where += "; other agents' sessions: ai-protocols status"
        return (f"\nLeft out to fit {self.context.max_bytes} bytes, oldest first: "
                f"{', '.join(phrases)}. Read them with: {where}\n")

    def note(self, left: dict[str, int]) -> int:
        return len(self._note(left).encode())

    def render(self, summary: str | None, step: str | None, items: dict[str, list],
               left: dict[str, int]) -> str:
        out = [self._top(step)]
        for key in LISTS:
            if key == "next":
                out.append(self._summary(summary))
            if key == "others":
                out.append(self._middle())
                # Paused sessions wait for their agents: listed as paused, apart from
                # those to recover (one rule with start, status and list).
                recover = [t for t in items[key] if not isinstance(t, _PausedText)]
                paused = [t for t in items[key] if isinstance(t, _PausedText)]
                if recover:
                    out.append(f"\n{_LABELS[key][0]}:\n")
                    out += recover
                if paused:
                    out.append(PAUSED_OTHERS)
                    out += paused
                continue
            if items[key]:
                out.append(f"\n{_LABELS[key][0]}:\n")
                out += items[key]
        out.append(self._tail())
        out.append(self._note(left))
        return "".join(out)


#: The heading of other agents' paused sessions, in ``resume`` as in ``start``.
PAUSED_OTHERS = "\nOther agents' paused sessions (they wait for their agents):\n"


class _PausedText(str):
    """An item of the other sessions' list that is a paused session's text."""

    __slots__ = ()


def _indent(text: str, prefix: str) -> str:
    """Every line of ``text`` after ``prefix`` (empty lines too), each ending in a newline."""
    return "".join(f"{prefix}{line}\n" for line in text.split("\n"))


def _entry_text(entry: Entry, text: str | None = None) -> str:
    """``  - [YYYY-MM-DD HH:MM] text``, further lines of the text indented by four
    spaces, and a decision's rationale on its own line."""
    lines = (entry.text if text is None else text).split("\n")
    out = f"  - [{_stamp(entry.time)}] " + "\n    ".join(lines) + "\n"
    if entry.rationale is not None:
        out += "    rationale: " + "\n    ".join(entry.rationale.split("\n")) + "\n"
    return out


def recover_command(target: str, action: str, *, force: bool = False) -> str:
    """The command line that recovers another agent's session, ``target`` (quoted for
    the shell) by ``action`` (``adopt``, ``archive``), with ``--force`` when ``force``
    (a paused session: ``recover`` refuses it without): after ``--`` when it starts with
    ``-``, which would otherwise read as an option."""
    options = f"--{action}" + (" --force" if force else "")
    if target.lstrip("'").startswith("-"):  # ('-a b', quoted, is an option to click too)
        return f"ai-protocols recover {options} -- {target}"
    return f"ai-protocols recover {target} {options}"


def take_over_command(session: Session) -> str:
    """The command with which another agent takes ``session`` over although it is
    paused (``recover ID --adopt --force``)."""
    return recover_command(_target(session), "adopt", force=True)


def _other_text(session: Session, live: Liveness) -> str:
    target = _target(session)
    out = f"  - {target}: {live.state} ({preview(live.evidence, 200)})\n"
    if live.state == "paused":
        if session.title:
            out += f"    title: {preview(session.title)}\n"
        if session.objective:
            out += f"    objective: {preview(session.objective, 120)}\n"
    if session.summary:
        out += f"    summary: {preview(session.summary)}\n"
    if live.state == "paused":
        return (out + f"    it resumes with "
                f"{resumed_by(session.agent_id, session.agent_session)}\n"
                f"    or take it over, if its agent will not come back: "
                f"{take_over_command(session)}\n")
    if live.state != "wrapped-up":
        out += f"    take it over: {recover_command(target, 'adopt')}\n"
    return out + f"    or archive it: {recover_command(target, 'archive')}\n"


def _other_json(session: Session, live: Liveness) -> dict[str, object]:
    target = _target(session)
    paused = live.state == "paused"
    return {"agent_id": session.agent_id, "path": session.path_text, "state": live.state,
            "evidence": preview(live.evidence, 200),
            "summary": preview(session.summary) if session.summary else None,
            "updated": iso(session.updated),
            "adopt": recover_command(target, "adopt", force=paused)
            if live.state != "wrapped-up" else None,
            "archive": recover_command(target, "archive", force=paused),
            "title": preview(session.title) if session.title else None,
            "objective": preview(session.objective, 120) if session.objective else None,
            "resumed_by": resumed_by(session.agent_id, session.agent_session)
            if paused else None}


class _JsonForm(_Form):
    """The data ``resume --json`` prints, measured as :func:`dumps` of it and a newline."""

    def _data(self, summary: str | None, step: str | None) -> dict[str, object]:
        context, session = self.context, self.context.session
        git = context.git
        in_progress = None
        if context.in_progress is not None and step is not None:
            in_progress = {**context.in_progress.to_json(), "text": step}
        data: dict[str, object] = {
            "schema": 1,
            "session": session is not None,
            "agent_id": context.agent_id,
            "title": _clip(session.title, 100) if session else None,
            "status": _clip(session.status, 20) if session else None,
            "summary": summary,
            "in_progress": in_progress,
            "next": [],
            "blockers": [],
            "decisions": [],
            "discoveries": [],
            "updated": iso(session.updated) if session else None,
            "compactions": session.compactions if session else 0,
            "compacted": iso(session.compacted) if session else None,
            "git": None if git is None else {
                **git.to_json(), "branch": _clip(branch_text(git.branch)),
                "subject": _clip(git.subject),
                "upstream": _clip(git.upstream),
                "first_files": [_clip(name) for name in git.first_files]},
            "others": [],
            "rolled_back": context.rolled_back,
            "cut": {"summary": summary != self.summary,
                    "in_progress": step != self.step},
            "left_out": dict.fromkeys(_JSON_LISTS, 0),
            # (issue 14's keys come last: the keys before them stay as they were)
            "objective": _clip(session.objective, OBJECTIVE_BYTES) if session else None,
            "paused": iso(session.paused) if session else None,
            "pause_note": _clip(session.pause_note, OBJECTIVE_BYTES) if session else None,
            "key_files": [],
            "context": [],
            "tasks": [_task_json(t, context.handoffs.get(t.id or "")) for t in self.tasks],
            "removed": context.removed,
            # (a file rolled over: how many of its entries are in its earlier files)
            "earlier": {"files": len(session.earlier),
                        "entries": moved_count(session.earlier)}
            if session is not None and session.earlier else None,
            # (issue 15, fifteenth round: what the agent lost to a merge of the board)
            "dropped_by_merge": context.dropped,
        }
        # (issue 15, fifteenth round: every claim and lock the agent holds, named or
        # counted; the keys only when there is something to say, so that the bound's
        # least, MIN_MAX_BYTES, holds for everything else at its longest)
        if self.tasks_left_out:
            data["tasks_left_out"] = self.tasks_left_out
        if context.locks:
            data["locks"] = [_clip(lock.path) for lock in context.locks]
            data["locks_left_out"] = context.locks_left_out
        if context.board_unreadable:  # (issue 15, sixteenth round)
            data["board_unreadable"] = context.board_unreadable
        if context.board_lacks is not None:  # (issue 15, twentieth round)
            data["board_lacks"] = board_lacks_said(*context.board_lacks)
        return data

    def base(self, summary: str | None, step: str | None) -> int:
        data = self._data(summary, step)
        data["cut"] = {"summary": False, "in_progress": False}  # the longer: a bound
        return len(dumps(data).encode()) + 1

    def item(self, key: str, value: object) -> tuple[object, int]:
        data = _other_json(*value) if key == "others" else value.to_json()  # type: ignore[misc, union-attr]
        return data, len(dumps(data).encode())

    def between(self, key: str, shown: int) -> int:
        return 1 if shown else 0  # ","

    def note(self, left: dict[str, int]) -> int:
        return sum(len(str(count)) - 1 for count in left.values())

    def render(self, summary: str | None, step: str | None, items: dict[str, list],
               left: dict[str, int]) -> dict[str, object]:
        data = self._data(summary, step)
        data.update(items)
        data["left_out"] = {key: left[key] for key in _JSON_LISTS}
        return data
