"""The resume context: what an agent needs to carry on, in the order it needs it.

:func:`resume_context` gathers it for one agent: first the objective
(``start --objective``), whether it is paused, the step in progress (the one
``log --current`` marked, else the newest open progress item), the key files
and the facts of context (``log --key-file``, ``log --context``); then the
summary, the open next steps and blockers, the decisions with their
rationale, the discoveries, when the session was last updated and how often
its context was compacted, the git state of the work tree, the other agents'
sessions that need recovering, and a warning when the work tree does not hold
what the session last saw. ``ai-protocols resume`` prints it, and the agents'
hooks put it into a model's context, so :meth:`ResumeContext.to_text` and
:meth:`ResumeContext.to_json` each fit it into ``max_bytes``:

- lists are newest first, and entries are whole or left out, never cut;
- when the whole does not fit, the lists are filled in order of priority
  (key files, context, next steps, blockers, decisions, discoveries, other
  agents' sessions),
  each from its newest entry, until an entry does not fit: so the oldest
  entries of the lowest-priority lists go first; a last line (a key, in JSON)
  says how many of each were left out and where to read them;
- the summary and the step in progress are never left out; when even they do
  not fit, they are cut at a line boundary (within their first line only when
  that alone does not fit) and end in :data:`CUT_MARK`;
- names that come from outside the session's entries (the title, branches,
  the commit's subject, file names) are cut to :data:`NAME_BYTES` bytes,
  ending in ``…`` (the objective and the pause's note to :data:`OBJECTIVE_BYTES`),
  so that the lines around the lists have a bounded size and
  :data:`MIN_MAX_BYTES` is always enough.
"""

from __future__ import annotations

import os

from ai_protocols.errors import CARRY_SUFFIX
from ai_protocols.git.head import OPERATION_SAID, branch_name, branch_text
from ai_protocols.lean import (
    counted,
    datetime,
    digits,
    display,
    json_encoder,
    shell_last_word,
    shell_quote,
)
from ai_protocols.liveness.evidence import NAMED_TO_OTHERS, Liveness
from ai_protocols.org.syntax import Entry
from ai_protocols.paths import relative_to
from ai_protocols.session.model import Session, iso, moved_count, newest_first
from ai_protocols.session.names import (
    ADOPTED_AWAY,
    KEPT_LEFT,
    KEPT_OTHER,
    KEPT_SAME,
    kept_path,
    kept_relation,
    may_be_misplaced,
    resumed_by,
)
from ai_protocols.session.reading import BRIEF_NOTES
from ai_protocols.session.sections import CLOSED_STATUSES
from ai_protocols.session.text import preview
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import EllipsisType

    from ai_protocols.board.board_file import AreaLock, Handoff, Task
    from ai_protocols.git.state import GitState, StateReading
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.project import Project

__all__ = ["CUT_MARK", "DEFAULT_MAX_BYTES", "MIN_MAX_BYTES", "NAME_BYTES", "ResumeContext",
           "dumps", "replaced_warning", "resume_context", "rolled_back_warning",
           "stash_here_again", "stashed_unkept_warning", "stashed_write_warning"]

#: The default bound of the output, in bytes of UTF-8.
DEFAULT_MAX_BYTES = 4096
#: The least ``max_bytes`` the bound is guaranteed for (``resume --max-bytes`` refuses
#: less): room for every line around the lists at their longest, the cut summary and
#: step, and the line that says what was left out.
MIN_MAX_BYTES = 2560
#: Bytes a name is cut to (its JSON form: a ``"`` or ``\\`` counts twice).
NAME_BYTES = 60
#: What ends a summary or step in progress that was cut to fit.
CUT_MARK = "[cut to fit; all of it: ai-protocols show]"
#: The words of the warning for a session recorded where this work tree is not.
ROLLED_BACK = "it looks rolled back: the work may be in another checkout"
#: What to check when the commit a session recorded is not in this clone, and no
#: session file of ``HEAD``'s history recorded it (issue 14, twelfth round).
MISSING_CHECK = ("check: another clone's commits not fetched here, git fetch then git log "
                 "--all; a reset here, git reflog; a rebase or amend elsewhere, git log "
                 "shows whether its changes are here")
#: What the warning says instead when HEAD moved on past the last checkpoint.
MOVED_ON = ("the branch moved on (an amend or a rebase leaves the commit recorded "
            "behind), so the work is likely here, and that older checkpoint is not the "
            "place to go back to (git reflog shows how HEAD moved)")
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


def resume_context(project: Project, session: Session | None, *,
                   max_bytes: int = DEFAULT_MAX_BYTES, now: datetime | None = None,
                   git: GitState | StateReading | EllipsisType | None = ...
                   ) -> ResumeContext:
    """The resume context of ``session`` (``None``: the agent has no session file yet)
    in ``project``, as of ``now`` (default: the present), for :meth:`ResumeContext.to_text`
    and :meth:`ResumeContext.to_json` to fit into ``max_bytes``. Reads the work tree's
    git state, unless the caller gives it as ``git`` (what
    :func:`ai_protocols.git.state.read_state` gave, or the reading
    :func:`~ai_protocols.git.state.start_state` started, waited for here), and the
    other agents' session files, while git runs; changes nothing."""
    moment = now or datetime.now()
    if git is ...:
        from ai_protocols.git.state import start_state

        git = start_state(project.root_text)
    given: list[GitState | None] = []

    def state() -> GitState | None:  # (a reading waited for once, where it is needed;
        if not given:  # once even when the wait raised)
            given.append(None)
            given[0] = git() if callable(git) else git  # type: ignore[assignment]
        return given[0]

    try:  # (git runs while the rest is read)
        return _resume_context(project, session, max_bytes, moment, state)
    finally:
        state()  # (after an exception too: no process left behind)


def _resume_context(project: Project, session: Session | None, max_bytes: int,
                    moment: datetime, state: Callable[[], GitState | None]
                    ) -> ResumeContext:
    """:func:`resume_context`, ``state`` giving the git state, asked only where it is
    needed: after the other sessions, the board and the session's lists are read."""
    seen, unread = project.newest_others(moment, head=True,  # (what it shows of them is
                                         most=others_to_read(max_bytes))  # in their heads)
    others = [(s, live) for s, live in seen if live.state in NAMED_TO_OTHERS]
    others.sort(key=lambda pair: (pair[0].updated or pair[0].started or datetime.min,
                                  pair[0].path_text), reverse=True)
    context = ResumeContext(agent_id=project.agent_id, session=session, git=None,
                            others=others, max_bytes=max_bytes)
    context.others_unread = unread
    context.tasks, context.handoffs, context.dropped = _tasks(project, session, context)
    if session is None:
        from ai_protocols.session.replaced import carried_away

        carried = carried_away(project.ai_dir_text, project.path_text) \
            if not os.path.lexists(project.path_text) else None
        context.carried = carried.said if carried is not None else None
        removed = project._removed_sessions()
        context.removed = project.path_text in removed  # (as text)
        if context.removed:  # (a branch switch: git switch back first, issue 14 twelfth)
            from ai_protocols.session.replaced import switched_from

            context.switched = switched_from(project.path_text, removed[project.path_text])
            context.kept = removed[project.path_text]
            context.removed_path = project.path_text
        context.rolled_back = _joined(_adopted(project, None), context.carried)
        context.git = state()
        return context
    if session.unread and notes_to_read(max_bytes) > BRIEF_NOTES:
        # (a bound that may show more than a brief read read)
        session = context.session = _whole(session)
    context.notes_unread = {"decisions": session.unread.get("decision", 0),
                            "discoveries": session.unread.get("discovery", 0)}
    progress = newest_first(e for e in session.progress if not e.done)
    context.in_progress = session.current or (progress[0] if progress else None)
    context.key_files = newest_first(session.items("key-file"))
    context.context = newest_first(session.items("context"))
    context.next_steps = newest_first(e for e in session.next_steps if not e.done)
    context.blockers = newest_first(session.blockers)
    context.decisions = newest_first(session.decisions)
    context.discoveries = newest_first(session.discoveries)
    replacing = replaced_warning(project, session)  # (first: it may say the operation's)
    adopted, unmerged = _adopted(project, session), _unmerged(project, session, replacing)
    git = context.git = state()
    context.rolled_back = _joined(adopted, unmerged, replacing,
                                  _rolled_back_unless(replacing, project, session, git))
    context.rolled_back = _joined(context.rolled_back,
                                  stash_here_again(project, context.rolled_back))
    context.warn_first = replacing is not None  # (issue 14, thirteenth round)
    return context


def notes_to_read(max_bytes: int) -> int:
    """How many of the newest decisions (and of the newest discoveries) the resume
    context of ``max_bytes`` bytes may look at: one more than it can show, each shown
    at no less than an entry with a time and no text costs (its line of text, or its
    JSON). A brief read that read :data:`~ai_protocols.session.reading.BRIEF_NOTES` of
    them serves a bound that needs no more (issue 16, seventeenth round)."""
    shortest = Entry(datetime(2000, 1, 1), "")
    as_json = json_encoder(",", ":")(shortest.to_json())  # (:func:`dumps`, without json.py)
    return max_bytes // min(len(_entry_text(shortest).encode()), len(as_json.encode())) + 1


def _whole(session: Session) -> Session:
    """:func:`~ai_protocols.session.reading.whole` of ``session``; ``session`` itself when
    the file cannot be read again (what was read is shown)."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.reading import whole

    try:
        return whole(session)
    except (OSError, AiProtocolsError, storage.NotRegular):
        return session


def others_to_read(max_bytes: int) -> int:
    """How many other agents' session files the resume context of ``max_bytes`` bytes
    reads at most (:meth:`~ai_protocols.session.project.Project.newest_others`): each one
    it shows costs at least the fixed parts of its text (:func:`_other_text`: its line,
    and its ``recover --archive`` command, or for a paused one the longer take-over
    line; its JSON, every key, costs more), so no more than ``max_bytes`` over that can
    show. The rest are counted as left out, unread (issue 16, fifteenth round: a scan
    independent of the number of files)."""
    return max_bytes // len(f"  - : ()\n    or archive it: {recover_command('', 'archive')}\n")


def _joined(*warnings: str | None) -> str | None:
    """The warnings given, one after another (``None``: none)."""
    said = [w for w in warnings if w]
    return ". ".join(said) if said else None


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


def rolled_back_warning(project: Project, session: Session,
                        git: GitState | EllipsisType | None = ...) -> str | None:
    """The warning ``resume`` ends with, and ``start`` prints, when the work of
    ``session`` is not in this checkout: the session file an older version than the
    one last written (:func:`replaced_warning`), recorded on another branch, at a commit this
    clone does not have, or with a last checkpoint holding uncommitted work that is not
    here (and whether that checkpoint is in this clone); ``None`` when the checkout
    holds what the session recorded. Reads the work tree's git state unless given as
    ``git``; runs git once more at most. Changes nothing.

    Without ``git``, git is not run at all when the files of the work tree say
    ``HEAD`` is the branch and commit recorded and no checkpoint holds uncommitted
    work (:func:`_recorded_head_is_here`): ``start`` of a session under way, the
    common case, then costs no process."""
    replacing = replaced_warning(project, session)
    replaced = _joined(_unmerged(project, session, replacing), replacing)
    if git is ...:
        if _recorded_head_is_here(project, session):
            # (no git run unless a stash exists: start imports not even the module)
            return _joined(replaced, stash_here_again(project, replaced))
        from ai_protocols.git.state import read_state

        git = read_state(project.root_text)
    rolled = _joined(replaced, _rolled_back_unless(replacing, project, session, git))
    return _joined(rolled, stash_here_again(project, rolled))


def stash_here_again(project: Project, said: str | None = None) -> str | None:
    """When the newest stash entry holds untracked files that are here again (``start``
    brought the session file back from its kept copy after ``git stash -u`` took it, and
    ``.ai/``'s own files with it), so that ``git stash pop`` refuses them all: the
    commands that bring the work back (:func:`_stash_advice`), whether or not a
    checkpoint was recorded (issue 14, ninth review: that advice came only with a
    checkpoint's warning). ``None`` without a stash (a ``stat`` or two, no process), when
    no such file is here, or when ``said`` (the warning given already) holds it."""
    from ai_protocols.git.head import has_stash

    if (said and "here again" in said) or not has_stash(project.root_text):
        return None
    advice = _stash_advice(project, " and the session file")
    return advice if advice and "here again" in advice else None


def _adopted(project: Project, session: Session | None) -> str | None:
    """The note for an agent that comes back to find its session adopted by another
    (``recover --adopt``): without a session file, from its tombstone; in the fresh
    session ``start`` began in its place, from that session's first Log line, as long as
    nothing has been logged to it (:data:`~ai_protocols.session.names.ADOPTED_AWAY`).
    ``None`` otherwise."""
    if session is not None and (session.progress or session.next_steps or session.decisions
                                or session.discoveries or session.blockers or
                                session.left_out or len(session.log) > 3):
        return None  # (an item a brief read left out: the sections are not empty)
    if session is None:
        from ai_protocols.session.names import tombstone_path

        if not os.path.lexists(tombstone_path(project.ai_dir_text, project.path_text)):
            return None
    if session is None:
        from ai_protocols.session.away import adopted_away

        said = adopted_away(project.ai_dir_text, project.path_text)
        return None if said is None else f"this agent's session was {said}"
    if session.left_out_log:  # (read brief: the Log's length is that of the whole)
        from ai_protocols.errors import AiProtocolsError
        from ai_protocols.session.reading import whole

        try:
            session = whole(session)
        except (OSError, AiProtocolsError, storage.NotRegular):
            return None
        if len(session.log) > 3:
            return None
    line = next((e.text for e in session.log if e.text.startswith(ADOPTED_AWAY)), None)
    return None if line is None else \
        f"this agent's session before this one was {line[len(ADOPTED_AWAY):]}"


def _unmerged(project: Project, session: Session, said: str | None = None) -> str | None:
    """:func:`~ai_protocols.session.unmerged.unmerged_warning` of the session's file,
    imported only while a merge is under way (:func:`ai_protocols.git.head.merging`);
    or, while another git operation is (a rebase, a bisect...) and the file has unstaged
    changes, :func:`~ai_protocols.session.unmerged.operation_warning`, unless
    ``said`` (the stash's warning) gave that operation's procedure already."""
    from ai_protocols.git.head import merging, operation
    from ai_protocols.paths import parent

    folder = parent(session.path_text)
    if not merging(folder) and operation(folder) is None:
        return None
    from ai_protocols.session.unmerged import operation_warning, unmerged_warning

    return unmerged_warning(project.ai_dir_text, session.path_text) or \
        (None if said and OPERATION_SAID in said else operation_warning(session.path_text))


def replaced_warning(project: Project, session: Session) -> str | None:
    """The warning the read commands (``show``, ``resume``, ``status``, ``start``) give
    when the session file on disk is an older version than the one this tool last wrote,
    its kept copy (:func:`~ai_protocols.session.names.kept_path`): something other than
    this tool put it back (``git stash``, ``git reset --hard``, a checkout). It says
    how many Log entries and which checkpoints the newer version records that this one
    does not, and where they are: the kept copy, the stash (``git stash list``, when
    there is one), the checkpoints' refs, each with the command that gets it back.
    ``None`` when the file is the version last written, or a later one.

    Cheap when nothing happened: the file and its kept copy are one version (a copy
    with the file's time, :func:`ai_protocols.storage.files.same_version`), two
    ``stat`` calls; otherwise (a
    person's save, a checkout) the kept copy is read and the two writes' times compared
    by :func:`ai_protocols.session.edit_base.written_later`, the rule the writes
    apply. Runs git once (``git rev-parse --verify refs/stash``) only when it warns.
    Changes nothing."""
    path = session.path_text
    relation = kept_relation(project.ai_dir_text, path)
    misplaced = misplaced_of(project, path, session.agent_id, session.status,
                             left=relation != KEPT_SAME)
    if misplaced is not None:
        return misplaced
    if relation != KEPT_OTHER:
        return stashed_write_warning(project, session) or \
            stashed_unkept_warning(project, session) or \
            (unkept_stale_warning(project, path) if relation != KEPT_LEFT else None)
    kept = kept_path(project.ai_dir_text, path)
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.edit_base import written_later
    from ai_protocols.session.reading import read_session

    if os.path.islink(kept):
        return carried_warning(path, kept)
    try:
        kept_data = storage.read_regular(kept)
        newer = read_session(kept, storage.decode(kept, kept_data))
    except (OSError, AiProtocolsError, storage.NotRegular):
        return None
    other = _other_session_warning(project, path, kept)
    if other is not None:
        return other
    if not written_later((newer.updated_at, newer.updated), (session.updated_at, session.updated)):
        # (a save over what git brought, from a buffer opened on the version written
        # last: the next write merges it back or refuses it; else a person's edit)
        return _stale_warning(project, path) if _head_moved(project, session) else None
    stale = _stale_warning(project, path)
    if stale is not None:  # (what the next write does, by the function it runs)
        return stale
    from ai_protocols.session.cause import committed_by

    if committed_by(path, kept_data) is not None:  # (a person's choice, committed: the
        return None  # write goes on too; the version written last stays in git's history)
    from ai_protocols.session.entries_compared import compared_versions
    from ai_protocols.session.model import compared
    from ai_protocols.session.reading import whole

    try:
        session = whole(session)  # (every entry compared: not a brief read's)
    except (OSError, AiProtocolsError, storage.NotRegular):
        return None
    # (what the file lacks, by kind, by the merge's rule of a reword: a reword of the
    # file's is said below as its own, not as an entry it lacks)
    try:
        data = storage.read_regular(path)
    except (OSError, storage.NotRegular):
        data = None
    found = (None if data is None else
             compared_versions(path, data, kept_data, kept, lacks=True)) or \
        compared(newer, session)
    found.reworded = 0
    missing, lacks = found.log, found.said()
    points = [e.text[len("checkpoint: "):].split(" (", 1)[0] for e in missing
              if e.text.startswith("checkpoint: ")]
    if points:  # (the last one named: the text stays within resume's bound)
        last = f"checkpoint {_clip(points[-1], 40)}"
        lacks += f" ({last})" if len(points) == 1 else \
            f" ({counted(len(points), 'checkpoint', 'checkpoints')}, the last {last})"
    from ai_protocols.session.cause import OLDER, head_put_back

    # (the one rule of the write's replaced: line and refusal: a branch switch is named
    # as such, and every other cause as git's files say it)
    what, by = head_put_back(path, newer.git_branch, kept_data)
    carried = False
    if what != OLDER:
        switched = _switched_warning(project, path, kept_data, newer.git_branch or "",
                                     what, by, lacks)
        if switched[1]:  # (the work is committed on that branch: nothing to restore)
            return switched[0]
        parts = [switched[0]]
        carried = CARRY_SAID in switched[0]
    else:
        parts = [f"this session file is an older version than the one ai-protocols last "
                 f"wrote ({by}): it lacks {lacks} of the newer one"]
    # (paths from the project's root: short, and within resume's bound)
    here, copy = (relative_to(p, project.root_text) for p in (path, kept))
    from ai_protocols.session.entries_compared import lacking

    # a write went into the older version: copying either over the other loses some (an
    # entry the newer one's rollover moved to its earlier files is not lacking)
    only_here, loses, said = lacking(project.ai_dir_text, path)
    stashed = _stash_advice(project, " and the session file")
    if stashed and "here again" not in stashed:
        fix = f"ai-protocols merge-kept {shell_quote(here)}" if loses else \
            f"cp {shell_quote(copy)} {shell_quote(here)}"
        stashed = _stash_pop_refused(project, path, fix) or stashed
    if stashed:
        parts.append(f"{stashed}; do that before any write here")
    if points:
        parts.append(_checkpoint_whereabouts(project, newer, points[-1]))
    first = "else, " if stashed else ""  # (git stash pop brings the file back too)
    if carried:  # (the carry moves the kept copy: the two are alternatives)
        first = "or, instead of that carry (not after it), to work here: "
    if loses:
        # (said by kind, as the write's refusal says it: a reword is not an entry added)
        count = "some entries" if only_here < 0 else said or \
            "edits (a tick, a note, a property or a line typed or deleted by hand)"
        count += " the newer one lacks or holds otherwise" if said else " the newer one lacks"
        from ai_protocols.session.transaction import merges_at_write

        if merges_at_write(project.ai_dir_text, path):  # (a version git holds, edited)
            parts.append(f"{first}this file holds {count}: the next write here merges the "
                         f"two on its own (it keeps what each changed, and its Log says "
                         f"so); run it, or ai-protocols merge-kept {shell_quote(here)} "
                         f"(from {_clip(project.root_text, 120)}), before you commit the "
                         f"file")
        else:
            parts.append(f"{first}this file holds {count}: merge the two with "
                         f"ai-protocols merge-kept {shell_quote(here)} "
                         f"(from {_clip(project.root_text, 120)}; it keeps what each "
                         f"changed)")
    else:
        parts.append(f"{first}put back the newer session file ai-protocols keeps with "
                     f"cp {shell_quote(copy)} {shell_quote(here)} "
                     f"(from {_clip(project.root_text, 120)})")
    return "; ".join(parts)


def _stash_pop_refused(project: Project, path: str, fix: str) -> str | None:
    """When ``git stash pop`` would refuse to bring back the newest stash entry because
    the session file ``path`` has changes of its own and the entry changes it too
    (git-stash(1): "Your local changes ... would be overwritten"): the stash advice
    (:func:`_stash_advice`'s words) with the commands that work, to paste from the
    project's root: ``fix`` (``ai-protocols merge-kept FILE``, or the ``cp`` of the kept
    copy, as the advice after it says), which makes the file hold every version the tool
    and the person wrote, then :func:`~ai_protocols.session.replaced.stash_back`'s
    commit and pop (the merge driver merges the stash's version in). ``None`` when the
    pop would not refuse (the file as ``HEAD`` holds it, or the stash leaves it as it
    was). Runs git twice, on a warning's path only (docs/decisions.md, "Issue 14,
    twenty-first round (stale saves, a fresh review)")."""
    from ai_protocols.git.head import read_head
    from ai_protocols.git.state import _git
    from ai_protocols.session.replaced import stash_back, stash_moved

    folder = os.path.dirname(path)
    name = "./" + os.path.basename(path)
    if not _git(folder, "status", "--porcelain", "--", name):
        return None  # (no change of its own: the pop brings the stash's version back)
    if _git(folder, "diff", "--quiet", "refs/stash^1", "refs/stash", "--", name) \
            is not None:
        return None  # (the stash does not change the file: the pop leaves it alone)
    here = relative_to(path, project.root_text)
    head = read_head(folder)
    moved = stash_moved(folder)
    detached = head is not None and head[0] is None and head[1] is not None
    back = stash_back(here, True, moved=moved, detached=detached, chained=True)
    joined = " && " if moved is None and not detached else ", then "
    return (f"if git stash took the work, it is in the stash (git stash list), and git "
            f"stash pop refuses it while this file has changes of its own: to bring the "
            f"work and the session file back with what is here, from "
            f"{_clip(project.root_text, 120)}: {fix}{joined}{back}")


def _head_moved(project: Project, session: Session) -> bool:
    """Whether git may have brought a version of the session file since the commit it
    records (``GIT_COMMIT``): the stale-save merge back's own gate
    (:func:`~ai_protocols.session.stale_saves.git_moved`, from git's files, no process),
    the one condition under which a save from a buffer opened before may lack what git
    brought (:func:`~ai_protocols.session.transaction.next_write_merges` looks
    further)."""
    from ai_protocols.git.head import read_head
    from ai_protocols.session.stale_saves import git_moved

    return git_moved(project.root_text, read_head(project.root_text), session.git_commit)


def unkept_stale_warning(project: Project, path: str) -> str | None:
    """:func:`_stale_warning` of this agent's own session file ``path`` in a clone
    where the tool never wrote it (no kept copy: a fresh clone), where a stale save is
    found by git's history (docs/decisions.md, "Issue 14, twenty-first round (a stale
    save in a fresh clone)"); ``None`` for another agent's file (its own agent's next
    write finds it), when there is a kept copy, and when nothing is stale. One ``stat``
    for a file with a kept copy; without, git's files and the file's head are read
    (:func:`~ai_protocols.session.stale_saves.unkept_stale_may_be`), and git runs only
    when ``HEAD`` moved since the clone, not by one's own commits alone."""
    if path != project.path_text or os.path.lexists(kept_path(project.ai_dir_text, path)):
        return None
    from ai_protocols.session.stale_saves import unkept_stale_may_be

    return _stale_warning(project, path) if unkept_stale_may_be(project.ai_dir_text, path) \
        else None


def _stale_warning(project: Project, path: str) -> str | None:
    """:func:`replaced_warning`'s words when the next write merges the session file
    ``path`` back on its own or refuses it as a stale save
    (:func:`~ai_protocols.session.transaction.next_write_merges`, the functions the
    write runs: an editor's buffer opened before git or this tool changed the file,
    saved after): what the file lacks that the merge brings back, said by kind, and
    that a write (or ``merge-kept``) must run before the file is committed, in the words
    the write says (:func:`~ai_protocols.session.stale_said.next_write_said`); or,
    when the write refuses it
    (:class:`~ai_protocols.errors.StaleSave`: both changed the same lines), that it
    does, with the commands that merge the three (the refusal's own, its files written
    beside the kept copy). ``None`` otherwise. Runs git a few times, on the warning's
    path only (docs/decisions.md, "Issue 14, twentieth round (the base of a stale
    save's merge)", "twenty-first round (the stale save's refusal)")."""
    from ai_protocols.errors import StaleSave
    from ai_protocols.session.transaction import next_write_merges

    root = _clip(project.root_text, 120)
    try:
        stale = next_write_merges(project.ai_dir_text, path)
    except StaleSave as refused:
        how = refused.how[0].lower() + refused.how[1:]
        return (f"this session file was saved from an editor's buffer opened before git "
                f"changed it: it lacks {refused.what} that git brought ({refused.newer} "
                f"holds them), and both changed the same lines, so the next write here "
                f"refuses it (exit 6) until the three are merged; {how}{refused.commands} "
                f"(from {root}); in Emacs, revert the buffer first")
    if stale is None:
        return None
    here = relative_to(path, project.root_text)
    unkept = not os.path.lexists(kept_path(project.ai_dir_text, path))  # (a fresh clone's)
    merge = f"ai-protocols merge-kept {shell_quote(here)} (from {root})"
    from ai_protocols.session.stale_said import next_write_said  # (the write's words)

    return next_write_said(stale[1], stale[2], unkept, merge)


def _switched_warning(project: Project, path: str, kept: bytes, recorded: str, what: str,
                      by: str, lacks: str) -> tuple[str, bool]:
    """:func:`replaced_warning`'s first part when a branch switch put ``what`` (the
    session file of the branch ``HEAD`` is on) at ``path`` (:func:`~ai_protocols.session.
    transaction.head_put_back` said ``by``, "a switch from branch ``recorded``"), and
    whether the version this tool wrote last (``kept``, its bytes) is the one the branch
    ``recorded`` holds at its tip: then the work is committed there and ``git switch``
    takes a person back to it (no copy, no restore: either would bring that branch's
    files onto this one; issue 14, fifteenth round). One git run."""
    from ai_protocols.git.head import branch_name
    from ai_protocols.git.history import file_at

    here = relative_to(path, project.root_text)
    name = branch_name(recorded)
    committed = bool(name) and file_at(project.root_text, f"refs/heads/{name}",
                                       f"./{here}") == kept
    said = (f"this is {what}, not the one ai-protocols last wrote ({by}): it "
            f"lacks {lacks} of that one")
    # (git switch refuses a branch another work tree has checked out; the version written
    # last, when that branch does not hold it, is the kept copy here: carried there)
    there = _checked_out_elsewhere(project, name, path, None if committed else
                                   kept_path(project.ai_dir_text, path)) if name else None
    if there is not None and there.startswith(CARRIES_ON):  # (where it is, first)
        return f"{there}; the file here is {what} ({by})", True
    if there is not None:
        return (f"{said}, which {'is committed' if committed else 'may be'} on branch "
                f"{_clip(name, 80)}; {there}"), committed
    if committed:
        return (f"{said}, which is committed on branch {_clip(name, 80)} with the session's "
                f"work: go back to it with {_pasted(project, f'git switch {shell_quote(name)}')}"
                ), True
    return (f"{said}; the work may be on branch {_clip(name, 80)}: git switch "
            f"{shell_quote(name)} goes back to it"), False


def _checkpoint_whereabouts(project: Project, newer: Session, point: str) -> str:
    """What :func:`replaced_warning` says of the checkpoint ``point`` (``"N HASH"``, as
    its Log line names it) the newer version records and the file lacks: where it is and
    the command that brings it back, by the one rule
    (:meth:`~ai_protocols.git.checkpoint.Checkpoints.whereabouts`: its ref here, its
    commit alone, or collected by git gc). Runs git a few times; only when warning."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.git.checkpoint import Checkpoints

    number, _, commit = point.partition(" ")
    it = f"checkpoint {_clip(number, 20)}"
    ref = newer.checkpoint if (newer.checkpoint or "").startswith("refs/") and \
        (newer.checkpoint or "").endswith(f"/{number}") else None  # (that one's ref)
    commit = commit if _is_hash(commit) else ""
    try:
        where = Checkpoints(project.root_text, project.agent_id).whereabouts(
            ref, commit, int(number) if digits(number) else None)
    except AiProtocolsError:
        return f"the uncommitted work of {it}: ai-protocols checkpoint list says where it is"
    return f"the uncommitted work of {it}: {where.say(it)}"


def misplaced_of(project: Project, path: str, agent_id: str | None,
                 status: str | None = None, *, left: bool = False) -> str | None:
    """What a write into the session file at ``path``, whose session headline holds the
    ``AGENT_ID`` ``agent_id`` and the ``STATUS`` ``status``, would be refused with
    because another agent's own session is there
    (:func:`~ai_protocols.session.replaced.misplaced_warning`), or because the file
    is a copy of a session wrapped up (or abandoned) that its archive holds, put back
    by hand or by git (:func:`~ai_protocols.session.wrapped_copy.put_back_warning`:
    ``merge-kept`` brings what it holds into the archive; issue 14, fourteenth round),
    for every read command's warning (``show``, ``resume``, ``status``, ``start``,
    ``list``: one rule, kept copy or none; issue 14, thirteenth round); ``None``
    otherwise. A string compare unless the file holds an ``AGENT_ID`` not this path's
    or a closed session, or ``left`` (then ``.ai/sessions/`` is listed). ``left``: the
    file is not the version this clone's tool wrote last, which it wrote or moved away
    (:func:`~ai_protocols.session.names.kept_relation` not
    :data:`~ai_protocols.session.names.KEPT_SAME`: a kept copy of another version, or
    none and a tombstone): a file there, whatever its ``STATUS``, may be a version from
    before a wrap-up, here or in a clone a pull brought, saved from a stale buffer or
    put back by git, which ``start`` and every write refuse by the same rule
    (:func:`~ai_protocols.session.wrapped_copy.put_back_refusal`); the cheap test that
    keeps the listing off the hot path; docs/decisions.md, "Issue 14, sixteenth round
    (stale saves and put-back copies)", "Twenty-fourth round: a stale save over a
    wrap-up or a pause")."""
    if status in CLOSED_STATUSES or left:  # (a live file holding a closed session: rare)
        from ai_protocols.session.wrapped_copy import put_back_warning

        said = put_back_warning(project.ai_dir_text, path)
        if said is not None:
            return said
    if not may_be_misplaced(project.agent_id, path, agent_id):
        return None
    # (another agent's id in this path's file: its own session copied here? as the
    # writes refuse it)
    from ai_protocols.session.replaced import misplaced_warning

    return misplaced_warning(project.ai_dir_text, path)


def _other_session_warning(project: Project, path: str, kept: str) -> str | None:
    """When the file at ``path`` is another session than its kept copy at ``kept``
    (:func:`~ai_protocols.session.sections.other_session`, the rule the writes and
    ``merge-kept`` apply, which refuse it): which two, and the commands that put the
    kept copy's session back (as :class:`~ai_protocols.errors.OtherSession` says
    them). ``None`` otherwise. Reads both files' first headline."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.sections import other_session, session_headline, session_named

    try:
        texts = [storage.read_regular(p).decode("utf-8", "replace") for p in (path, kept)]
    except (OSError, storage.NotRegular):
        return None
    file, mine = (session_headline(OrgFile(t)) for t in texts)
    if file is None or mine is None:
        return None
    why = other_session(file.properties, mine.properties, lambda: (texts[0], texts[1]))
    if why is None:
        return None
    here, copy = (shell_quote(relative_to(p, project.root_text)) for p in (path, kept))
    aside = shell_quote(relative_to(path, project.root_text) + ".other")
    from ai_protocols.session.wrapped_copy import archive_of

    archive = archive_of(project.ai_dir_text, mine.properties)
    if archive is not None:  # (wrapped up in another clone: never put back over this one)
        return (f"this session file holds another session ({session_named(file.properties)}) "
                f"than the one ai-protocols wrote last here "
                f"({session_named(mine.properties)}): {why}; that one was wrapped up (its "
                f"archive {relative_to(archive, project.root_text)} is here): bring what the "
                f"kept copy holds into the archive with ai-protocols merge-kept {here} "
                f"(from {_clip(project.root_text, 120)}), then commit the archive")
    from ai_protocols.session.replaced import other_session_elsewhere

    elsewhere = other_session_elsewhere(project.ai_dir_text, path, kept, file.properties,
                                        mine.properties, lambda: (texts[0], texts[1]))
    if elsewhere is not None:  # (in a file of its own, or a commit git keeps: no cp)
        return elsewhere
    return (f"this session file holds another session ({session_named(file.properties)}) "
            f"than the one ai-protocols wrote last here ({session_named(mine.properties)}): "
            f"{why}; no write goes into it: keep it aside and put this session back with "
            f"mv {here} {aside} && cp {copy} {here} "
            f"(from {_clip(project.root_text, 120)})")


def stashed_write_warning(project: Project, session: Session) -> str | None:
    """When a write went into an older version of the session file that ``git stash``
    put back (its Log's last ``replaced:`` line says ``(git stash)``, naming the blob of
    the version ai-protocols wrote before), and the newest stash entry still holds that
    version: that it is only in the stash, and the commands that bring it back with what
    was written since (:func:`ai_protocols.session.replaced.stash_back`). Without it
    the read commands went silent after that write, the kept copy being the file again
    (issue 14, ninth review). ``None`` otherwise: no stash (a ``stat`` or two, no
    process), no such line; else one or two git runs (``git rev-parse``), and ``git
    status`` of the file when it warns."""
    from ai_protocols.git.head import has_stash

    path = session.path_text
    folder = os.path.dirname(path)
    if not has_stash(folder):
        return None
    last = next((e.text for e in reversed(session.log) if e.text.startswith("replaced: ")),
                None)
    if last is None or "(git stash)" not in last:
        return None
    import re

    found = re.search(r"as blob ([0-9a-f]{7,40})\b", last)
    if found is None:
        return None
    from ai_protocols.git.state import _git
    from ai_protocols.session.replaced import stash_back

    name = "./" + os.path.basename(path)
    for ref in ("refs/stash", "refs/stash^3"):  # (its tracked files, then its untracked)
        held = _git(folder, "rev-parse", "-q", "--verify", f"{ref}:{name}")
        if held is not None and held.decode("ascii", "replace").startswith(found.group(1)):
            break
    else:
        return None
    from ai_protocols.git.head import read_head
    from ai_protocols.session.replaced import stash_moved

    changed = _git(folder, "status", "--porcelain", "--", name)
    here = relative_to(path, project.root_text)
    head = read_head(folder)
    moved = stash_moved(folder)  # (a checkout after the stash: say so, go back first)
    untracked = untracked_pop(project, path, found.group(1)) \
        if moved is None and ref == "refs/stash^3" else None
    if untracked is not None:  # (no commit of an untracked file: the pop's own commands)
        return (f"a write went into an older version of this session file that git stash put "
                f"back (the Log's replaced: line), and the version ai-protocols wrote before "
                f"it is still only in the stash (git stash list), blob "
                f"{found.group(1)[:12]}, as an untracked file: {untracked}")
    from ai_protocols.git.head import operation
    from ai_protocols.session.replaced import moved_by

    under_way = operation(folder) if moved is not None else None
    then = "" if moved is None else \
        f", and HEAD then moved off the commit the stash was made on ({moved[2]}) to " \
        f"{moved[3]} ({moved_by(under_way)})"
    back = stash_back(here, bool(changed), moved=moved, operation=under_way,
                      detached=head is not None and head[0] is None and head[1] is not None)
    return (f"a write went into an older version of this session file that git stash put "
            f"back (the Log's replaced: line){then}, and the version ai-protocols wrote "
            f"before it is still only in the stash (git stash list), blob "
            f"{found.group(1)[:12]}: to bring it back with what was written since, from "
            f"{_clip(project.root_text, 120)}: {back}")


def stashed_unkept_warning(project: Project, session: Session) -> str | None:
    """With no kept copy to compare with (``git clean -fdx`` after a plain ``git
    stash``), when the newest stash entry holds a later version of this very session
    (:func:`ai_protocols.session.replaced.stashed_newer`): that the newer one is
    only in the stash, and the command that brings it back, before any write here
    (issue 14, thirteenth round). ``None`` otherwise: a kept copy there, or no stash
    (a ``stat`` or three, no process); else two or three git runs."""
    from ai_protocols.git.head import has_stash

    path = session.path_text
    if os.path.lexists(kept_path(project.ai_dir_text, path)) or \
            not has_stash(os.path.dirname(path)):
        return None
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.replaced import stash_back, stashed_newer

    try:
        doc = OrgFile(storage.decode(path, storage.read_regular(path)))
    except (OSError, storage.NotRegular):
        return None
    stored = stashed_newer(path, doc)
    if stored is None:
        return None
    from ai_protocols.git.state import _git

    changed = _git(os.path.dirname(path), "status", "--porcelain", "--",
                   "./" + os.path.basename(path))
    here = relative_to(path, project.root_text)
    return (f"this session file is an older version than the one the newest stash entry "
            f"holds (git stash took it; the copy ai-protocols keeps is gone: git clean?): "
            f"the newer one is only in the stash (git stash list), blob "
            f"{stored.blob[:12]}; to bring it back, from {_clip(project.root_text, 120)}: "
            f"{stash_back(here, bool(changed))}; do that before any write here")


def _after_pop(path: str, newer: str, blob: str, root: str, name: str, step: str) -> str:
    """The step after ``git stash pop`` brings back the session file ``path`` (``name``,
    from the project's root ``root``) as the stash holds it (``blob``): ``step``, which
    puts the newer version at ``newer`` over it (the kept copy's ``cp``, or the ``mv -f``
    of the file carried on since, as it is now), only when that loses nothing of the
    popped version (:func:`~ai_protocols.session.entries_compared.copy_loses`, the one rule of
    every ``cp`` advised: a line a person typed and saved before the stash took it, a
    tick, a note); else ``ai-protocols merge-kept NAME``, which keeps both (the newer
    version, when it is not the kept copy, is left aside). docs/decisions.md, "Issue 14,
    twenty-second round (a stale save committed)". Runs git (``git show BLOB``, and the
    base's two runs) on the warning's path only."""
    from ai_protocols.session.entries_compared import copy_loses
    from ai_protocols.session.transaction import git_version

    try:
        data = storage.read_regular(newer)
    except (OSError, storage.NotRegular):
        data = None
    popped = git_version(root, blob) if data is not None else None
    if data is None or popped is None or copy_loses(path, popped, data):
        return f"ai-protocols merge-kept {shell_quote(name)}"
    return step


def untracked_pop(project: Project, path: str, blob: str) -> str | None:
    """When the newest stash entry holds the session file ``path`` untracked (its third
    parent, ``refs/stash^3``, git-stash(1)) as the blob ``blob`` (an id, or its first hex
    digits) and the file is here again: :func:`_stash_advice`'s commands for
    ``project``, which move the file aside, pop, and merge what was written into it
    since back in (``ai-protocols merge-kept``): a commit of an untracked file matches
    no pathspec, and the pop refuses the file while it is here (issue 14, twenty-fourth
    round). ``None`` otherwise (then :func:`~ai_protocols.session.transaction.
    stash_back`'s commit and pop work). One or two git runs."""
    from ai_protocols.session.cause import stash_untracked

    if not os.path.lexists(path) or not stash_untracked(path, blob):
        return None
    return _stash_advice(project, " and the session file", written=path)


def _stash_advice(project: Project, also: str = "", written: str | None = None) -> str | None:
    """The one rule for a warning of work that is not here: when the repository has a
    stash (``git stash list`` lists one, git-stash(1)), where the work may be and how
    to bring it back (``also``: what else ``git stash pop`` brings back); ``None``
    without a stash (:func:`ai_protocols.git.head.has_stash`: a ``stat`` or two, no
    process); else one git run.

    When the newest entry holds untracked files that are here again (``start`` brought
    the session file back, and ``.ai/``'s own files with it: :func:`stash_untracked`),
    ``git stash pop`` refuses them all; the advice is then the commands that work, to
    paste (issue 14, eighth review): those of the tool's files removed first (the
    stash holds them: a session file comes back as ai-protocols wrote it last, from its
    kept copy), any other file moved aside, ``git stash pop``. ``written``: the session
    file a write went (or goes) into since the stash took it: after the pop,
    ``ai-protocols merge-kept`` merges that write (the kept copy) back into the stash's
    version; it is that session continued, not another."""
    from ai_protocols.git.head import has_stash  # (the one rule: git's files, no process)
    from ai_protocols.git.history import stash_untracked_blobs
    from ai_protocols.paths import git_dirs, is_tool_path, join, named_from, tool_folders

    root = project.root_text
    if not has_stash(root):
        return None
    said = "if git stash took the work, it is in the stash (git stash list): "
    # (git's paths, from the top, looked at there; said from the project's root, where
    # the command runs: a project below the top; issue 14, twenty-first round)
    dirs = git_dirs(root)
    top = dirs[0] if dirs else root
    tools = tool_folders(root)
    held = stash_untracked_blobs(root)
    here = [p for p in held if os.path.lexists(join(top, p))]
    if not here:
        return f"{said}git stash pop brings the work{also} back"
    name = dict(zip(here, named_from(root, here), strict=True))
    # Only what the stash holds as it is, or the tool's locks and kept copies, is
    # removed; anything else (a session started after the stash, a person's file) is
    # moved aside: never deleted (issue 14, twelfth round).
    gone = [p for p in here if is_tool_path(p, tools) and
            _same_as_stashed(top, p, held[p], tools)]
    aside = [p for p in here if p not in gone]
    steps = [f"mv -- {shell_quote(name[p])} {shell_quote(name[p] + '.before-pop')}"
             for p in aside]
    if gone:
        steps.append("rm -f -- " + " ".join(shell_quote(name[p]) for p in gone))
    steps.append("git stash pop")
    fresh = []  # (sessions started after the stash, moved aside: said)
    for p in (p for p in here if is_tool_path(p, tools) and p.endswith(".org")):
        if p in aside and written is not None and _same_file(join(top, p), written):
            # (the write merged back in after the pop: that session, continued)
            steps.append(f"ai-protocols merge-kept {shell_quote(name[p])}")
            continue
        if p in aside and _continues_stashed(top, p):  # (the newest of that session)
            steps.append(_after_pop(join(top, p), join(top, p), held[p], root, name[p],
                                    f"mv -f -- {shell_quote(name[p] + '.before-pop')} "
                                    f"{shell_quote(name[p])}"))
            continue
        if p in aside:
            fresh.append(name[p])
        kept = kept_path(project.ai_dir_text, join(top, p))
        if os.path.isfile(kept):
            steps.append(_after_pop(join(top, p), kept, held[p], root, name[p],
                                    f"cp -- {shell_quote(relative_to(kept, root))} "
                                    f"{shell_quote(name[p])}"))
    files = "file that is" if len(here) == 1 else "files that are"
    then = "" if not fresh else (
        f"; what was written here since the stash is then in "
        f"{', '.join(_clip(display(p + '.before-pop'), 80) or '' for p in fresh[:3])}"
        f"{', ...' if len(fresh) > 3 else ''} (a session started after the stash is another "
        f"session, which merge-kept does not join: copy what you need of it into the "
        f"session file in an editor, then remove it)")
    return (f"{said}it also holds {len(here)} untracked {files} "
            f"here again ({', '.join(_clip(display(name[p]), 60) or '' for p in here[:3])}"
            f"{', ...' if len(here) > 3 else ''}), which git stash pop refuses to "
            f"overwrite; bring the work{also} back with: {' && '.join(steps)} (from "
            f"{_clip(root, 120)}){then}")


def _same_file(one: str, other: str) -> bool:
    """Whether the paths ``one`` and ``other`` name one file (``os.path.samefile``);
    ``False`` when either cannot be looked at."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _continues_stashed(root: str, path: str) -> bool:
    """Whether the session file ``path`` (from the work tree's top at ``root``) here is
    the session the stash holds at that path, continued (``start`` brought it back
    from its kept copy, then writes went in): then it, not the stash's, is the newest.
    It must hold every entry of the stash's (:func:`~ai_protocols.session.merge.
    entries_lacking`) as well as be the same session.
    ``False`` for another session (:func:`~ai_protocols.session.sections.other_session`,
    the one rule: ``start`` after ``git stash -a`` began a fresh one) or when either
    cannot be read. One git run (``git cat-file blob refs/stash^3:PATH``)."""
    from ai_protocols.git.state import _git
    from ai_protocols.org.file import OrgFile
    from ai_protocols.paths import join
    from ai_protocols.session.sections import other_session, session_headline

    stashed = _git(root, "cat-file", "blob", f"refs/stash^3:{path}")
    try:
        mine = storage.read_regular(join(root, path))
    except (OSError, storage.NotRegular):
        return False
    if stashed is None:
        return False
    texts = (mine.decode("utf-8", "replace"), stashed.decode("utf-8", "replace"))
    file, then = (session_headline(OrgFile(t)) for t in texts)
    if file is None or then is None or \
            other_session(file.properties, then.properties, lambda: texts) is not None:
        return False
    from ai_protocols.session.merge import entries_lacking

    return entries_lacking(mine, stashed) == 0  # (the stash's every entry is here too)


def _same_as_stashed(root: str, path: str, blob: str,
                     tools: tuple[str, ...] = (".ai/",)) -> bool:
    """Whether the file ``path`` (from the work tree's top at ``root``) may be removed
    before ``git stash pop`` without losing a byte: one of the tool's locks or kept
    copies (``.locks/`` of one of the tool's folders ``tools``,
    :func:`~ai_protocols.paths.tool_folders`: the stash brings its own back; a session
    file moved aside keeps what its kept copy held), or a file holding exactly the blob
    the stash holds for it (:func:`~ai_protocols.git.history.blob_id`). Reads the file."""
    from ai_protocols.git.history import blob_id
    from ai_protocols.paths import LOCK_DIR, join

    if any(path.startswith(f"{folder}{LOCK_DIR}/") for folder in tools):
        return True
    try:
        return blob_id(storage.read_regular(join(root, path)), blob) == blob
    except (OSError, storage.NotRegular):
        return False


def _recorded_head_is_here(project: Project, session: Session) -> bool:
    """Whether :func:`_rolled_back` would say nothing whatever the work tree's changes:
    nothing recorded, or the branch (if any) and the commit (if any) recorded are what
    ``HEAD`` names, read from git's files (:func:`ai_protocols.git.head.read_head`),
    no checkpoint holding uncommitted work is recorded, and no ``moved:`` Log line led
    to the place recorded (:func:`_last_move`). ``False`` when in doubt
    (git's files cannot be read so): then git is asked."""
    if not (session.git_branch or session.git_commit or session.checkpoint):
        return True
    if _is_hash(session.checkpoint_commit) and session.checkpoint_files > 0:
        return False  # (whether that work is here needs git status)
    moved = _last_move(session)
    if moved is not None and moved[1] == (session.git_branch, session.git_commit):
        return False  # (is the place it moved from held here?)
    from ai_protocols.git.head import read_head

    head = read_head(project.root_text)
    if head is None:
        return False
    branch, commit = head
    return (not session.git_branch or (branch is not None and
                                       session.git_branch == branch_text(branch))) \
        and (not session.git_commit or (commit is not None and session.git_commit == commit))


def _is_hash(text: str | None) -> bool:
    return bool(text) and 4 <= len(text) <= 64 and _HEX.issuperset(text)  # type: ignore[arg-type]


#: git's empty tree (SHA-1): what a checkpoint taken before the first commit is
#: compared with.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _covers(here: list[str], work: list[str]) -> bool:
    """Whether one of the work tree's changed paths ``here`` (an untracked folder
    ending in ``/``) is one of the checkpoint's paths ``work``."""
    paths = set(work)
    return any(p in paths or (p.endswith("/") and any(w.startswith(p) for w in work))
               for p in here)


def _recorded_elsewhere(project: Project, session: Session, git: GitState | None,
                        recorded: tuple[str | None, str | None] | None = None, *,
                        alarms_only: bool = False) -> str | None:
    """The warning for work this checkout does not hold (see :func:`rolled_back_warning`),
    the session recorded on branch and commit ``recorded`` (default: its ``GIT_BRANCH``
    and ``GIT_COMMIT``); with ``alarms_only``, ``None`` too when ``HEAD`` descends from
    that commit or holds its changes rebased (nothing is elsewhere then):

    - the session was recorded on another branch than this work tree's;
    - or at a commit this clone does not have;
    - or its last checkpoint holds uncommitted work (``CHECKPOINT_FILES`` > 0) that
      this checkout does not hold: when the checkpoint is here, the changes of it that
      neither the work tree nor ``HEAD`` holds
      (:func:`~ai_protocols.git.history.missing_work`), each named; else, when this
      checkout has none of it: no change in the work tree at any of the
      checkpoint's paths outside ``.ai/`` (when the checkpoint is not in this clone:
      no tracked change outside ``.ai/``; an untracked file alone never counts),
      nothing outside ``.ai/`` committed since the commit the checkpoint was taken
      on (``CHECKPOINT_BASE``), and the checkpoint's files outside ``.ai/`` are not
      ``HEAD``'s, or the checkpoint is not in this clone.

    ``None`` when none of these (or nothing recorded). The git runs it needs (the
    look for the recorded commit and the checkpoint, and the comparisons of trees)
    run at the same time; none when nothing was recorded. The words for each place
    ``HEAD`` can stand are docs/checkpoints.md's table; ``git reset --hard`` is never
    advised (``git merge --ff-only`` brings a branch forward and keeps uncommitted
    changes, or refuses)."""
    session_branch, session_commit = recorded or (session.git_branch, session.git_commit)
    if git is None or not (session_branch or session_commit or session.checkpoint):
        return None
    root = project.root_text
    commit = session_commit
    # HEAD at exactly the commit recorded (detached, or a new branch there) holds the
    # work: another branch name alone says nothing is missing.
    other_branch = bool(session_branch) and session_branch != branch_text(git.branch) and \
        not (commit and commit == git.commit)
    point = session.checkpoint_commit if _is_hash(session.checkpoint_commit) else None
    base = session.checkpoint_base
    ask = [c for c in (commit,) if commit and commit != git.commit and _is_hash(commit)]
    # Uncommitted work recorded: which paths (outside .ai/) it holds, whether any was
    # committed since, and whether it is HEAD's.
    since = compare = paths = None
    maybe_lost = bool(point) and session.checkpoint_files > 0
    start = base if _is_hash(base) else _EMPTY_TREE
    if maybe_lost and (_is_hash(base) or base == "none"):
        from ai_protocols.git.history import start_changes

        paths = start_changes(root, start, point)  # type: ignore[arg-type]
    if maybe_lost and git.commit is not None and _is_hash(base):
        from ai_protocols.git.history import start_work_diff

        if base != git.commit:
            since = start_work_diff(root, base, git.commit)  # type: ignore[arg-type]
        compare = start_work_diff(root, git.commit, point)  # type: ignore[arg-type]
    if point and (ask or other_branch or maybe_lost) and point not in ask:
        ask.append(point)  # (hashes, never options)
    here: set[str] | None = set()
    if ask:  # (as a rule none: HEAD at the commit recorded, no checkpoint)
        from ai_protocols.git.history import present_commits

        here = present_commits(root, *ask)
    committed = since() if since is not None else ([] if base == git.commit else None)
    differs = compare() if compare is not None else None
    changes = paths() if paths is not None else None  # None: the checkpoint is not here
    work = None if changes is None else [c[3] for c in changes]
    lost = None  # which of its changes neither the work tree nor HEAD holds (None: unknown)
    if changes:
        from ai_protocols.git.history import missing_work

        lost = missing_work(root, start, point, changes, git.commit,  # type: ignore[arg-type]
                            git.work_paths)
    missing = bool(commit) and commit != git.commit and (here is None or commit not in here)
    point_here = bool(point) and (point in (here or ()) or differs is not None or
                                  work is not None)
    # Is some of it here? A change at one of its paths (not known: a tracked change).
    touched = _covers(git.work_paths, work) if work is not None else git.work_tracked > 0
    uncommitted = maybe_lost and bool(lost) if lost is not None else \
        maybe_lost and not touched and work != [] and (
            (git.commit is None and base == "none") or
            (committed == [] and (differs is None or bool(differs))))
    # The commit recorded is here and is not HEAD: is HEAD behind it (an ancestor),
    # ahead of it (it descends), or on another line (neither)?
    behind = aside = descends = rebased = kept = False
    if commit and commit != git.commit and not missing and git.commit is not None and \
            _is_hash(commit):
        from ai_protocols.git.history import work_of

        # (the one rule log's moved: line follows too; HEAD's files the checkpoint's:
        # an amend that took its work, it is here)
        where = work_of(root, commit, git.commit, git.branch,
                        held=differs == [] and lost == [])
        behind, descends = where == "behind", where == "descends"
        rebased, aside = where == "carried", where == "aside"
        if (behind or aside) and git.work > 0 and not other_branch:
            from ai_protocols.git.history import uncommitted_here

            kept = uncommitted_here(root, commit, git.commit)  # (a git reset HEAD~1)
    if not (other_branch or missing or uncommitted or behind or aside):
        return None
    if alarms_only and (descends or rebased) and not (missing or uncommitted):
        return None  # (HEAD holds that place's work: nothing is elsewhere)
    moved_on = not uncommitted and not behind and not aside and \
        _moved_on(project, base, git.commit, committed)
    parts = []
    recorded = " ".join(
        ([f"on branch {_clip(session_branch)}"] if session_branch else []) +
        ([f"at commit {_clip(session_commit, 64)}"] if session_commit else []))
    c_short = (commit or "")[:12]
    on = f"on branch {_clip(branch_text(git.branch))}" if git.branch else "on a detached HEAD"
    holds = other_branch and (behind or aside) and _branch_holds(
        project, session_branch, commit)  # type: ignore[arg-type]
    # (never git reset --hard: merge --ff-only moves the branch forward, keeping
    # uncommitted changes, and refuses when one is in the way)
    named = _clip(branch_text(git.branch))
    stays = "your uncommitted changes stay; git refuses when one is in the way" \
        if git.work else None
    detached = not session_branch and bool(commit)  # recorded on no branch

    def forward() -> str:  # (a git run: only where it is advised)
        # (the merge checks out that commit as a switch does: the session file carried
        # across when it would be in the way; issue 14, twentieth round)
        go = f"git merge --ff-only {c_short}" if git.branch else \
            f"git switch --detach {c_short}"
        go = _pasted(project, _keeping(project, session.path_text, go, commit), stays)
        return f"bring branch {named} forward to it with {go}" if git.branch else \
            f"go to it with {go}"

    def branch_it() -> str:  # (a git run: only where it is advised)
        return _pasted(project, _keeping(project, session.path_text,
                                         f"git switch -c NAME {c_short}", commit))

    if kept:  # HEAD moved off it, and the work tree holds its every change uncommitted
        parts.append(f"this session was recorded {recorded}, and HEAD ({git.commit[:12]}) "  # type: ignore[index]
                     f"{'is behind it' if behind else 'does not descend from it'}, but "
                     "every change of that commit is in the work tree: its work is "
                     "uncommitted here (a git reset kept it); commit it to carry on")
    elif other_branch and (behind or aside) and not holds:  # that branch is gone or moved
        parts.append(_branch_not_here(project, session.path_text, session_branch,  # type: ignore[arg-type]
                                      commit, f"{recorded}, but this checkout is {on}, "  # type: ignore[arg-type]
                                      f"{'behind' if behind else 'not on'} that commit"))
    elif other_branch and (behind or aside):  # the work is on that branch: go there
        parts.append(f"this session was recorded {recorded}, but this checkout is {on}, "
                     f"{'behind' if behind else 'not on'} that commit: the work is on branch "
                     f"{_clip(session_branch)}: "
                     f"{go_to(project, session_branch, session.path_text)}")  # type: ignore[arg-type]
    elif behind and detached:  # its commits were made on a detached HEAD
        parts.append(f"this session was recorded {recorded}, on a detached HEAD, and HEAD "
                     f"({git.commit[:12]}) is behind it: the commits made since are on no "  # type: ignore[index]
                     f"branch here; that commit is still in this clone: keep it on a branch "
                     f"with {branch_it()}, or {forward()}")
    elif behind:  # same branch (or none recorded): HEAD was moved back
        parts.append(f"this session was recorded {recorded}, but HEAD ({git.commit[:12]}) is "  # type: ignore[index]
                     "behind it: the commits since are no longer on the branch (a git "
                     f"reset?); that commit is still in this clone: {forward()}, or keep both "
                     f"with {branch_it()}")
    elif aside:  # same branch: rewritten (an amend, a rebase) or reset to another line
        why = ("it was made on a detached HEAD, on no branch; or an amend or a rebase "
               "rewrote it" if detached else "an amend or a rebase rewrote it, or the "
               "branch was reset to another line")
        parts.append(f"this session was recorded {recorded}, but HEAD ({git.commit[:12]}) does "  # type: ignore[index]
                     f"not descend from it ({why}); that commit is still in this clone: "
                     f"compare with {_pasted(project, f'git diff HEAD {c_short}')}, and get "
                     f"it back with {branch_it()}")
    elif other_branch and rebased:  # the work is here, rebased, on another branch
        parts.append(f"this session was recorded {recorded}; this checkout is {on}, whose "
                     "HEAD holds that commit's changes (rebased or squashed): they are here, "
                     "carried on")
    elif other_branch and descends:  # the work is here, carried on on another branch
        parts.append(f"this session was recorded {recorded}; this checkout is {on}, which "
                     "descends from that commit: its commits are here, carried on")
    elif git.commit is None and commit and not missing and _is_hash(commit):
        # A branch with no commit yet (git switch --orphan): the work is not elsewhere,
        # it is at that commit here, on its branch when that branch still holds it.
        holder = bool(session_branch) and _branch_holds(project, session_branch, commit)  # type: ignore[arg-type]
        where = (f"on branch {_clip(session_branch)}: "  # type: ignore[arg-type]
                 f"{go_to(project, session_branch, session.path_text)}"  # type: ignore[arg-type]
                 if holder else
                 f"at that commit, still in this clone: get it back with {branch_it()}")
        parts.append(f"this session was recorded {recorded}, but this checkout is {on}, "
                     f"which has no commit yet (a new orphan branch?): the work is {where}")
        if not uncommitted:
            return parts[0]
    elif other_branch or missing:
        said = []
        if other_branch:
            said.append(f"is {on}")
        if missing:
            said.append("does not have that commit")
        parts.append(f"this session was recorded {recorded}, but this checkout "
                     f"{' and '.join(said)}")
        if missing:
            from ai_protocols.git.history import is_shallow

            shallow = is_shallow(root)
            if shallow:  # (history cut by git clone --depth: never "rolled back")
                parts[-1] += (": this clone is shallow (git clone --depth), so that commit "
                              "may be past its history rather than rolled back; fetch "
                              "more of it with git fetch --deepen=N (or git fetch "
                              "--unshallow), then run this again")
                if not uncommitted:
                    return "; ".join(parts)
            else:
                rewritten = _rewritten(project, session, commit)  # type: ignore[arg-type]
                if rewritten is not None and not other_branch and not uncommitted:
                    return None  # (a rebase or reword: the work is here, not rolled back)
                if other_branch and not moved_on:  # (the branch: push it, fetch it here)
                    check = _missing_branch_check(project, session_branch,  # type: ignore[arg-type]
                                                  session.path_text)
                    parts[-1] += f" ({check})"
                elif rewritten is None and not moved_on:  # (moved on: said why, below)
                    parts[-1] += f" ({MISSING_CHECK})"
    short = (point or "")[:12]
    partly = bool(lost) and (touched or len(lost) < len(work or ()))  # (some of it here)
    if uncommitted and partly:
        parts.append(f"its last checkpoint ({short}) holds "
                     f"{counted(len(lost), 'file', 'files')} of uncommitted work that "  # type: ignore[arg-type]
                     f"neither this work tree nor HEAD has: "
                     f"{_lost_paths(project, lost)}")  # type: ignore[arg-type]
    elif uncommitted:
        count = len(work) if work is not None else session.checkpoint_files
        what = f"{counted(count, 'file', 'files')} of uncommitted work"
        parts.append(f"its last checkpoint ({short}) holds {what} that this checkout, "
                     + ("with no uncommitted change outside .ai/, does not have"
                        if not git.work else
                        "with untracked files only, does not have" if work is None else
                        "whose changes touch none of it, does not have"))
    if (behind or aside or (other_branch and (descends or rebased) and not missing)) and \
            not uncommitted:
        if (behind or aside) and point_here and session.checkpoint_files > 0 and \
                lost != []:  # (its work all here: nothing to restore)
            # (docs/checkpoints.md: with a checkpoint recorded, the warning ends with
            # the command that restores it)
            parts.append(f"its last checkpoint ({short}) holds uncommitted work: "
                         f"{_restore_it(project, 'it', short, point, force=False)}")  # type: ignore[arg-type]
        return "; ".join(parts)  # (said where the work is, and how)
    if moved_on:  # the checkpoint is older than what HEAD holds: never go back to it
        return (f"{'; '.join(parts)}; HEAD ({git.commit[:12]}) holds work committed since its "  # type: ignore[index]
                f"last checkpoint ({short}) was taken: {MOVED_ON}")
    warning = f"{'; '.join(parts)}: {ROLLED_BACK}"
    stashed = _stash_advice(project) if uncommitted else None
    if stashed:
        warning += f"; {stashed}"
    if point:
        it = "it" if uncommitted else f"the last checkpoint ({short})"
        if point_here:  # (its commit is here: the restore by hash takes it, ref or not)
            warning += f"; {_restore_it(project, it, short, point, force=not partly)}"
            if partly:
                warning += _take_back(project, lost, short, git.work_paths)  # type: ignore[arg-type]
        else:  # (the one rule: never fetched here, or collected by git gc)
            from ai_protocols.errors import AiProtocolsError
            from ai_protocols.git.checkpoint import Checkpoints

            try:
                where = Checkpoints(root, project.agent_id).whereabouts(
                    session.checkpoint if (session.checkpoint or "").startswith("refs/")
                    else None, point)
            except AiProtocolsError:
                where = None
            if where is not None:
                warning += f"; {where.say(it)}"
    return warning


def _restore_it(project: Project, it: str, short: str, point: str, force: bool = True) -> str:
    """How to get back the checkpoint ``it`` (its commit ``point``, ``short`` its first
    12 digits), which this clone holds: ``restore it with: ai-protocols checkpoint
    restore HASH``, unless a restore made a worktree of it already
    (:func:`~ai_protocols.git.checkpoint.restored_at`): then that worktree, where its
    work is, and what brings its files beside the session here
    (:func:`~ai_protocols.git.checkpoint.restored_said`, the one text; ``force``: the
    in-place restore fits; issue 14, twenty-first round: the same restore was advised
    again, and refused). One git run."""
    from ai_protocols.git.checkpoint import restored_at, restored_said

    where = restored_at(project.root_text, point)
    if where is None:
        return (f"restore {it} with: "
                f"{_pasted(project, f'ai-protocols checkpoint restore {short}')}")
    return restored_said(it, where, short, _clip(project.root_text, 120) or "", force)


def _lost_paths(project: Project, lost: list[tuple[str, str]]) -> str:
    """The paths :func:`~ai_protocols.git.history.missing_work` found, each with what of
    the checkpoint's change is missing (at most 5 named, then how many more), named from
    the project's root as the commands after them name them
    (:func:`~ai_protocols.paths.named_from`)."""
    from ai_protocols.paths import named_from

    how = {"added": "added in it, not here", "deleted": "deleted in it, here still",
           "edited": "its edit is not here"}
    for chmod in ("chmod +x", "chmod -x"):  # (a mode is work too: git restore sets it)
        how[chmod], how[f"edited, {chmod}"] = (f"its {chmod} is not here",
                                               f"its edit and its {chmod} are not here")
    names = named_from(project.root_text, [p for p, _ in lost[:5]])
    named = ", ".join(f"{_clip(display(n), 80)} ({how[h]})"
                      for n, (_, h) in zip(names, lost, strict=False))
    return named + (f", and {len(lost) - 5} more" if len(lost) > 5 else "")


def _take_back(project: Project, lost: list[tuple[str, str]], short: str,
               changed_here: list[str]) -> str:
    """How to take back only what :func:`_lost_paths` named, in this work tree: a file
    with no change here (it is as ``HEAD`` has it, so nothing is lost) with ``git
    restore --source`` (git-restore(1): the work tree only, never the index); one with
    changes here is compared first, never written over. The paths are git's (from the
    top), named from the project's root, where the commands run
    (:func:`~ai_protocols.paths.named_from`: a project below the top; issue 14,
    twenty-first round)."""
    from ai_protocols.paths import literal_pathspec, named_from

    here = set(changed_here)
    safe = [p for p, _ in lost if p not in here and
            not any(p.startswith(d) for d in here if d.endswith("/"))]
    mixed = named_from(project.root_text, [p for p, _ in lost if p not in safe])
    safe = named_from(project.root_text, safe)
    said = []
    if safe:
        said.append(_pasted(project, f"git restore --source {short} -- "
                            + " ".join(shell_quote(literal_pathspec(p)) for p in safe[:20])))
    if mixed:
        said.append("for the files changed here since, compare first: " + _pasted(
            project, f"git diff {short} -- " + " ".join(
                shell_quote(literal_pathspec(p)) for p in mixed[:20])))
    return f"; or take back only what is missing, here: {'; '.join(said)}"


def _rolled_back_unless(said: str | None, project: Project, session: Session,
                        git: GitState | None) -> str | None:
    """:func:`_rolled_back`, unless ``said`` (the stash's warning) gave the procedure of
    the git operation under way (a bisect, a rebase: it moved ``HEAD``, and ending it
    goes back): one procedure, not a ``git switch`` in the middle of it (issue 14,
    twelfth round)."""
    if said and OPERATION_SAID in said:
        return None
    return _rolled_back(project, session, git)


def _rolled_back(project: Project, session: Session, git: GitState | None) -> str | None:
    """:func:`_recorded_elsewhere` of the branch and commit the session recorded; when
    that says nothing and the Log's last ``moved:`` line (a write after ``HEAD`` moved,
    :func:`ai_protocols.session.pause.record_head`) moved the session to the place it
    records now, :func:`_recorded_elsewhere` of the place it moved from: the work
    recorded there is still elsewhere while this checkout does not hold it."""
    said = _recorded_elsewhere(project, session, git)
    if said is not None or git is None:
        return said
    moved = _last_move(session)
    if moved is None or moved[1] != (session.git_branch, session.git_commit):
        return None
    before = _recorded_elsewhere(project, session, git, moved[0], alarms_only=True)
    return None if before is None else \
        f"a write after HEAD moved recorded it (the Log: {moved[2]}); {before}"


def _rewritten(project: Project, session: Session, commit: str) -> str | None:
    """When the commit the session recorded is not in this clone, the commit of
    ``HEAD``'s history whose session file records it
    (:func:`~ai_protocols.git.history.recorded_in_history`): the session, as it was at
    that commit, was committed on top of it, so a rebase or a reword that gave it
    another hash carried its work here (issue 14, twelfth round: not "rolled back").
    ``None`` otherwise."""
    if not _is_hash(commit):
        return None
    from ai_protocols.git.history import recorded_in_history

    return recorded_in_history(project.root_text,
                               relative_to(session.path_text, project.root_text), commit)


def _last_move(session: Session) -> tuple[tuple[str | None, str | None],
                                          tuple[str | None, str | None], str] | None:
    """The places the Log's last ``moved:`` line names (from, to: each a branch, or
    ``None`` for a detached HEAD, and a commit, or ``None`` before the first), and its
    text; ``None`` when there is none, or it is not in the form the tool writes."""
    line = next((e.text for e in reversed(session.log) if e.text.startswith("moved: from ")),
                None)
    if line is None:
        return None
    places = line[len("moved: from "):].split(" to ")
    if len(places) != 2:
        return None
    found = [_place(p) for p in places]
    if found[0] is None or found[1] is None:
        return None
    return found[0], found[1], line


def _place(text: str) -> tuple[str | None, str | None] | None:
    """A place as a ``moved:`` line writes it: ``branch B at C``, ``a detached HEAD at
    C``, either ``before its first commit``."""
    if text.startswith("branch "):
        name, _, rest = text[len("branch "):].partition(" ")
    elif text.startswith("a detached HEAD "):
        name, rest = None, text[len("a detached HEAD "):]
    else:
        return None
    if rest == "before its first commit":
        return name, None
    if rest.startswith("at ") and _is_hash(rest[3:]):
        return name, rest[3:]
    return None


def _missing_branch_check(project: Project, branch: str, path: str) -> str:
    """What to check when the commit a session recorded on ``branch``, not this
    checkout's, is not in this clone (issue 14, eighteenth round: the same kind of
    advice as :data:`MISSING_CHECK`): that branch's commits pushed from the clone that
    made them, fetched here, then switched to, the session file ``path`` carried across
    the switch (:func:`_keeping`: that branch is not here to compare; issue 14,
    nineteenth round: a file committed here only was gone after it); ``REMOTE`` the
    real one (:func:`~ai_protocols.git.history.remote_for`). Git runs: one or two (the
    remote)."""
    from ai_protocols.git.history import branch_refs, remote_for

    plain = branch_name(branch) or ""
    name = shell_quote(plain)
    remote = remote_for(project.root_text, None)
    remote_said = shell_quote(remote) if remote != "REMOTE" else remote
    go = f"git switch {name}"
    behind = ""
    pushed = (f"check: branch {_clip(branch)} of another clone not pushed or not fetched "
              f"here: push it from that clone (git push {remote_said} {name}), then")
    later = "git log --all shows what this clone has; a branch deleted here, git reflog"
    if plain and branch_refs(project.root_text, plain)[0]:
        # (a branch of that name here lacks the commit: switched to alone, it is the old
        # one; the fetched one brings it forward; issue 14, nineteenth round)
        merge = f"merge --ff-only {shell_quote(f'{remote}/{plain}')}"
        go += f" && git {merge}"
        behind = f" (the branch {_clip(branch)} here lacks that commit: the merge brings it)"
        # (checked out in another work tree, git switch refuses it here: fetched, brought
        # forward there and gone to, the session file carried; issue 14, twentieth round)
        there = _checked_out_elsewhere(
            project, plain, path, first=lambda top: (
                f"git -C {shell_quote(project.root_text)} fetch {remote_said} && "
                f"git -C {shell_quote(top)} {merge}"))
        if there is not None:
            return f"{pushed}{behind}: {there}; {later}"
    return (f"{pushed} here{behind}: git fetch {remote_said} && "
            f"{_pasted(project, _keeping(project, path, go, None))}; {later}")


def _branch_not_here(project: Project, path: str, branch: str, commit: str,
                     where: str) -> str:
    """What :func:`_recorded_elsewhere` says (``where``: where the session was recorded,
    and this checkout) when the commit ``commit`` the session recorded on another branch,
    ``branch``, is in this clone but no local branch of that name holds it: when the
    one remote-tracking branch of that name holds it
    (:func:`~ai_protocols.git.history.remote_holding`: fetched, not switched to yet),
    ``git switch B`` makes the branch from it (git-switch(1), ``--guess``; issue 14,
    nineteenth round: the simplest command that works); else ``git switch -c NAME C``.
    Either with the session file ``path`` carried across (:func:`_keeping`). Up to three
    git runs."""
    from ai_protocols.git.history import remote_ahead, remote_holding

    name = branch_name(branch) or ""
    said = f"this session was recorded {where}"
    tracking = remote_holding(project.root_text, name, commit) if name else None
    if tracking is not None:
        go = _keeping(project, path, f"git switch {shell_quote(name)}",
                      f"refs/remotes/{tracking}")
        return (f"{said}: it is on {_clip(tracking)}, fetched, with no branch "
                f"{_clip(branch)} here yet: make it from that one with: "
                f"{_pasted(project, go)}")
    ahead = remote_ahead(project.root_text, name, commit) if name else None
    if ahead is not None:  # (the branch here is behind the fetched one: brought forward)
        go = (f"git switch {shell_quote(name)} && git merge --ff-only "
              f"{shell_quote(ahead)}")
        # (the session file carried there too, the branch brought forward first: issue
        # 14, twentieth round)
        there = _checked_out_elsewhere(
            project, name, path,
            first=lambda top: f"git -C {shell_quote(top)} merge --ff-only {shell_quote(ahead)}")
        if there is not None:
            return (f"{said}: it is on {_clip(ahead)}, fetched, and the branch "
                    f"{_clip(branch)} here is behind it; {there}")
        go = _keeping(project, path, go, f"refs/remotes/{ahead}")
        return (f"{said}: it is on {_clip(ahead)}, fetched, and the branch {_clip(branch)} "
                f"here is behind it: bring it forward with: {_pasted(project, go)}")
    go = _keeping(project, path, f"git switch -c NAME {commit[:12]}", commit)
    return (f"{said}, and no branch {_clip(branch)} here holds it (deleted, or moved); that "
            f"commit is still in this clone: get it back with {_pasted(project, go)}")


def _pasted(project: Project, command: str, note: str | None = None) -> str:
    """The advice's shell ``command`` as it is pasted: with where it runs from, ``(from
    ROOT)``, after it (and ``note``, in the same parentheses) unless it says so already:
    so that no sentence's punctuation is ever glued to a command (issue 14, nineteenth
    round, "advice pasteable as printed": ``cd PATH.`` failed)."""
    if command.endswith(")") and " (from " in command:
        return command if note is None else f"{command[:-1]}; {note})"
    also = f"; {note}" if note else ""
    return f"{command} (from {_clip(project.root_text, 120)}{also})"


def go_to(project: Project, branch: str, path: str | None) -> str:
    """How to get to the local branch ``branch`` (as recorded: ``\\xNN`` for a byte not
    UTF-8) with the session file ``path`` (``None``: no session file to take along):
    ``switch to it (git switch B)``, the file carried across when the switch would take
    it (:func:`_keeping`), or, when another work tree has it checked out
    (:func:`~ai_protocols.git.history.checked_out_at`: git switch refuses it here,
    "already checked out at"), that work tree, to work in, with the session file carried
    there (:func:`_checked_out_elsewhere`). The one rule of this advice: ``resume``'s
    warnings and the task board's claim on another branch (issue 14, twentieth round).
    Raises nothing; two git runs."""
    name = branch_name(branch) or ""
    go = f"git switch {shell_quote(name)}"
    there = _checked_out_elsewhere(project, name, path)
    if there is not None:
        return there
    kept = go if path is None else _keeping(project, path, go, f"refs/heads/{name}")
    return f"switch to it ({go})" if kept == go else f"switch to it with: {kept}"




def _keeping(project: Project, path: str, go: str, target: str | None) -> str:
    """The git command ``go``, which checks out the commit ``target`` (a ref or a hash;
    ``None``: not in this clone yet), as advice gives it so that the session file
    ``path`` stays in the work tree as it is: ``go`` alone when git leaves the file
    alone (:func:`~ai_protocols.git.history.same_file`: ``target`` holds it as ``HEAD``
    does, or neither holds it); else the file carried across (renamed aside, ``go``,
    renamed back): git-checkout(1) removes a committed file ``target`` lacks, writes
    ``target``'s version over one it changes, and refuses an untracked one ``target``
    has, while a file that is not there is no change it refuses for (what git holds of
    either version stays in git). Quoted to paste, from the project's root (said). One
    git run when ``target`` is given, none otherwise."""
    from ai_protocols.git.history import same_file, unmerged_paths
    from ai_protocols.paths import git_dirs

    here = relative_to(path, project.root_text)
    unmerged = unmerged_paths(project.root_text)
    first = ""
    if unmerged:  # (git switch refuses: "you need to resolve your current index first")
        dirs = git_dirs(project.root_text)
        mine = relative_to(path, dirs[0]) if dirs else here
        others = [p for p in unmerged if p != mine]
        if others:
            return (f"first resolve the {counted(len(others), 'file')} git's index holds "
                    f"unmerged ({_clip(display(others[0]), 120)}"
                    f"{', ...' if len(others) > 1 else ''}: git status lists them; git "
                    f"refuses to switch until then), then ask again (ai-protocols resume)")
        # (the session file alone: its unmerged entries taken out of the index, the
        # file as it is: issue 14, twentieth round, a conflicted git stash pop)
        first = f"git reset -q -- {shell_quote(here)} && "
    if not first and target is not None and same_file(project.root_text, here, target):
        return go
    if os.path.lexists(path + CARRY_SUFFIX):  # (never written over: issue 14, twentieth)
        return (f"{go} once the session file an earlier carry put aside, "
                f"{_clip(display(here + CARRY_SUFFIX), 200)}, is dealt with (that carry "
                f"stopped halfway; see which of it and {_clip(display(here), 200)} is the "
                f"newer with ai-protocols show and diff, keep that one at "
                f"{_clip(display(here), 200)} and remove the other), then ask again "
                f"(ai-protocols resume)")
    aside = shell_quote(here + CARRY_SUFFIX)
    reset = ("; git reset first takes the session file's unmerged entries out of git's "
             "index (a conflicted git stash pop or merge left them; the file stays as it "
             "is), or git switch refuses") if first else ""
    return (f"{first}mv -- {shell_quote(here)} {aside} && {go} && mv -- {aside} "
            f"{shell_quote(here)} (from {_clip(project.root_text, 120)}; the session file "
            "goes aside and back: the git command alone would take it away, write another "
            f"version over it or refuse it{reset})")


def _checked_out_elsewhere(project: Project, name: str, path: str | None = None,
                           newest: str | None = None,
                           first: Callable[[str], str] | None = None) -> str | None:
    """When another work tree has the local branch ``name`` checked out
    (:func:`~ai_protocols.git.history.checked_out_at`), where ``git switch`` refuses it:
    that work tree, named, and the ``cd`` that goes there (quoted for a shell); else
    ``None``. ``path``: the session file, which stays in this work tree (each work tree
    has its own ``.ai/``: docs/git.md), so the advice carries it to the same place in
    that one first (issue 14, nineteenth round: ``cd`` alone left the session behind):
    its newest version, ``newest`` (the kept copy, when the file here is another
    version: moved, the file here stays this branch's), else the file itself (moved;
    its kept copy, the same version, made a symbolic link to where it went: it holds
    nothing the file lacks, left it would bring the session back here, and removed
    nothing here would say where the session went: issue 14, twentieth round); in both
    ways the kept copy's place here is then the record of the carry
    (:func:`carried_warning`); never over a file there unless that file is
    what git holds at that branch's tip (nothing lost: git keeps it), else said, with
    no command. ``first``: of that work tree's top folder, a command (absolute paths)
    to run before going there (bringing the branch forward there: ``git -C PATH merge
    --ff-only R/B``; issue 14, twentieth round: ``git switch B`` was advised, which git
    refuses), put first in the carry's command, else said on its own. Up to two git
    runs."""
    from ai_protocols.git.history import checked_out_at

    there = checked_out_at(project.root_text, name)
    if there is None:
        return None
    from ai_protocols.paths import same_place

    said = (f"it is checked out in the work tree {_clip(display(there), 200)}, so git "
            f"switch refuses it here")
    # (this project's folder there, not that work tree's top: a project below the top
    # has its .ai/ there; issue 14, twenty-first round)
    go = f"cd {shell_last_word(same_place(project.root_text, there))}"
    before = first(there) if first is not None else None
    if path is None and before is not None:
        return f"{said}: bring it forward there and work there with: {before} && {go} " \
            f"({CARRY_SAID})"
    if path is None:
        return f"{said}: work there ({go})"
    said_alone = _elsewhere_alone(project, name, path, newest, there, said, go)
    if said_alone is not None:
        return said_alone if before is None else \
            f"{said_alone}; bring the branch forward there first with: {before} ({CARRY_SAID})"
    from ai_protocols.paths import git_dirs, join, parent

    dirs = git_dirs(project.root_text)
    top = dirs[0] if dirs else project.root_text
    dest = join(there, relative_to(path, top))
    steps = [] if before is None else [before]
    if not os.path.isdir(parent(dest)):
        steps.append(f"mkdir -p -- {shell_quote(parent(dest))}")
    steps.append(f"mv -- {shell_quote(newest or path)} {shell_quote(dest)}")
    kept = kept_path(project.ai_dir_text, path)
    if newest is None:  # (the kept copy, the same version, made the record of the carry:
        # issue 14, twentieth round: removed, it left no word here of where the session
        # went, and start here began a second one)
        if not os.path.isdir(parent(kept)):
            steps.append(f"mkdir -p -- {shell_quote(parent(kept))}")
        steps.append(f"ln -sf -- {shell_quote(dest)} {shell_quote(kept)}")
    else:  # (the record of the carry, here: carried_warning reads it)
        steps.append(f"ln -s -- {shell_quote(dest)} {shell_quote(newest)}")
    earlier = _earlier_steps(project, path, there, top, newest is None)
    steps.extend(earlier)
    steps.append(go)
    what = ("the newest version of this session (the copy ai-protocols keeps here, "
            f"{_clip(display(relative_to(newest, project.root_text)), 200)}) is only in "
            "this work tree") if newest else "this session file stays in this work tree"
    record = ("; the kept copy's place here then links to it, so that ai-protocols here "
              "says where the session went")
    if earlier:
        record += "; its earlier-entries files (a rollover's, .ai/history/) go along"
    return (f"{said}; {what} (each work tree has its own .ai/): carry it there and work "
            f"there with: {' && '.join(steps)} ({CARRY_SAID}{record})")


def _earlier_steps(project: Project, path: str, there: str, top: str, move: bool) -> list[str]:
    """The steps of the carry of the session file ``path`` to the work tree ``there``
    (``top``: this work tree's top folder) that take its earlier-entries files along
    (:func:`~ai_protocols.session.names.history_folder`: a session past 4 MiB rolled
    over; its links to them are relative, so the same place there keeps them; issue
    14, twentieth round: ``show --all`` there lacked them): none when it has no such
    folder; the folder moved (``move``: the file itself goes, nothing here links them
    any more) to a place there that holds none yet, else copied (the file here, another
    version, may link some; or that work tree has the folder already: the same
    session's files, committed on its branch). Absolute paths, quoted. A ``stat`` or
    two; call on the carry's path only."""
    from ai_protocols.paths import join, parent
    from ai_protocols.session.names import history_folder

    here = history_folder(project.ai_dir_text, path)
    if not os.path.isdir(here):
        return []
    dest = join(there, relative_to(here, top))
    if os.path.lexists(dest):
        return [f"cp -Rp -- {shell_quote(f'{here}/.')} {shell_quote(dest)}"]
    steps = [] if os.path.isdir(parent(dest)) else [f"mkdir -p -- {shell_quote(parent(dest))}"]
    steps.append(f"{'mv' if move else 'cp -Rp'} -- {shell_quote(here)} {shell_quote(dest)}")
    return steps


def _elsewhere_alone(project: Project, name: str, path: str, newest: str | None,
                     there: str, said: str, go: str) -> str | None:
    """What :func:`_checked_out_elsewhere` says instead of a carry when the session file
    ``path``'s place in the work tree ``there`` holds a file (``said``: where the branch
    ``name`` is checked out; ``go``: the ``cd`` there): the session carries on there
    (:func:`_carries_on`), that work tree has a session file of its own (never moved
    over), or the newest version is the one committed on that branch, which that work
    tree has; ``None`` when the carry goes on (nothing there, or the file there is the
    one git holds at that branch's tip). One git run, only when a file is there."""
    from ai_protocols.git.history import file_at
    from ai_protocols.paths import git_dirs, join

    dirs = git_dirs(project.root_text)
    dest = join(there, relative_to(path, dirs[0] if dirs else project.root_text))
    if not os.path.lexists(dest):
        return None
    try:
        mine = storage.read_regular(dest)
    except (OSError, storage.NotRegular):
        mine = None
    kept_here = kept_path(project.ai_dir_text, path)
    if mine is not None and os.path.lexists(kept_here) and \
            not _one_version(kept_here, path):
        on = _carries_on(project, name, there, dest, mine, kept_here)
        if on is not None:  # (that work tree has the session's newest version)
            return on
    if mine is None or mine != file_at(project.root_text, f"refs/heads/{name}",
                                       f"./{relative_to(path, project.root_text)}"):
        return (f"{said}; this session file stays in this work tree (each work tree has its "
                f"own .ai/), and that one has a session file of its own at the same place "
                f"({_clip(display(dest), 200)}), which moving this one there would write "
                f"over: see which session each is (ai-protocols show, here and there) "
                f"before you work there ({go})")
    if newest is None and os.path.lexists(kept_here) and not _one_version(kept_here, path):
        # The tip holds the newest (the kept copy is it) and the file here is another
        # version (a switch put another branch's back): that work tree has the session.
        return (f"{said}; the newest version of this session is the one committed on "
                f"branch {name}, which that work tree has (the file here is another "
                f"branch's version; moving it there would write over the newer one): "
                f"work there ({go})")
    return None


#: What the carry advice of :func:`_checked_out_elsewhere` says after its command.
CARRY_SAID = "absolute paths: from anywhere"

#: How :func:`_carries_on`'s warning begins (:func:`_switched_warning` leads with it).
CARRIES_ON = "this session carries on in the work tree "


def _carries_on(project: Project, name: str, there: str, dest: str, there_data: bytes,
                kept: str) -> str | None:
    """When the session file at ``dest`` in the work tree ``there`` (which has the branch
    ``name`` checked out; ``there_data``: its bytes) is this session (the same
    ``AGENT_ID`` and ``STARTED``) and holds every entry, Log line and tick of the kept
    copy ``kept`` here, the version this tool last wrote here (the file here being
    another version): the session carries on there (a ``cd`` followed there, or the
    newest version committed on that branch). The warning says so first, and the way
    there leaves the record of a carry here (the kept copy's place made a link to
    ``dest``, as the carry advice does), so that this work tree then says where the
    session is and refuses a write into the older file (issue 14, twentieth round: it
    gave the switched-file warning, then "a session file of its own" there). ``None``
    otherwise. Reads the two files; call on the rare path only."""
    from ai_protocols.errors import AiProtocolsError
    from ai_protocols.session.model import compared
    from ai_protocols.session.reading import read_session

    try:
        newest = read_session(kept, storage.decode(kept, storage.read_regular(kept)))
        theirs = read_session(dest, storage.decode(dest, there_data))
    except (OSError, ValueError, AiProtocolsError, storage.NotRegular):
        return None
    if newest.started is None or \
            (newest.agent_id, newest.started) != (theirs.agent_id, theirs.started):
        return None
    lacks = compared(newest, theirs)
    if lacks.log or lacks.entries or lacks.ticks:
        return None
    from ai_protocols.paths import same_place

    record = f"ln -sf -- {shell_quote(dest)} {shell_quote(kept)}"
    return (f"{CARRIES_ON}{_clip(display(there), 200)}, where branch {_clip(name, 80)} is "
            f"checked out (git switch refuses it here): its session file there "
            f"({_clip(display(dest), 200)}) holds every entry of the version ai-protocols "
            f"last wrote here (the copy it keeps, "
            f"{_clip(display(relative_to(kept, project.root_text)), 200)}): work there, "
            f"leaving here the record of the carry with: {record} && cd "
            f"{shell_last_word(same_place(project.root_text, there))} ({CARRY_SAID}; the "
            f"kept copy's place then links to "
            f"that file, so that ai-protocols here says where the session is and writes "
            f"nothing into the file here)")


def carried_warning(path: str, kept: str) -> str | None:
    """When the kept copy ``kept`` of the session file ``path`` is the record of a carry
    to another work tree (what the carry advice of :func:`_checked_out_elsewhere` leaves
    when the version here is another one: issue 14, nineteenth round, "work
    elsewhere"): what the writes' refusal says
    (:func:`~ai_protocols.session.replaced.carried_refusal`), for the read commands;
    ``None`` otherwise. One ``readlink`` and one ``stat``."""
    from ai_protocols.session.replaced import carried_refusal

    refusal = carried_refusal(path, kept)
    return None if refusal is None else refusal.said


def _one_version(kept: str, path: str) -> bool:
    """Whether the kept copy ``kept`` is the version of the session file ``path`` the
    tool wrote last (:func:`~ai_protocols.storage.files.same_version`: a copy with the
    file's time, since the seventeenth round); ``False`` when either cannot be read."""
    try:
        return storage.same_version(os.stat(kept), os.stat(path))
    except OSError:
        return False


def _branch_holds(project: Project, branch: str, commit: str) -> bool:
    """Whether the local branch ``branch`` exists and holds ``commit`` (git-merge-base(1)
    ``--is-ancestor``; the full ref name, so never an option)."""
    if not branch or not _is_hash(commit):
        return False
    from ai_protocols.git.history import start_ancestry

    return start_ancestry(project.root_text, commit, f"refs/heads/{branch_name(branch)}")()


def _moved_on(project: Project, base: str | None, head: str | None,
              committed: list[str] | None) -> bool:
    """Whether ``HEAD`` (``head``) descends from the last checkpoint's base (``base``)
    and holds work committed since it outside ``.ai/`` (``committed``: those paths,
    when already known): the branch moved on past the checkpoint (an amend or a rebase
    leaves the commit recorded behind), so that checkpoint is older than the work."""
    if head is None or not _is_hash(base) or base == head:
        return False
    from ai_protocols.git.history import start_ancestry, start_work_diff

    ancestry = start_ancestry(project.root_text, base, head)  # type: ignore[arg-type]
    if committed is None:
        committed = start_work_diff(project.root_text, base, head)()  # type: ignore[arg-type]
    return ancestry() and bool(committed)


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


# -- fitting -----------------------------------------------------------------------------


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
