"""The task board's merge: ``.ai/tasks.org`` merged task by task, keyed by the task's ID.

Two clones that each add a task append at the end of the board, and git's line
merge calls that a conflict. ``ai-protocols merge-driver`` (the driver ``init``
installs for ``.ai/*.org``, docs/merge-driver.md) merges the board with
:func:`merge_board_bytes` instead:

- each version is read as every board reader reads it
  (:class:`~ai_protocols.board.model.BoardFile`: without a ``#+TODO:`` line, with the
  board's states) and cut into the text before the first headline, and one chunk per
  level-1 headline with its whole subtree: a task known by its ``ID``, the locks
  section (``CUSTOM_ID`` ``locks``), any other headline (a person's task without an
  ``ID``) by its title and tags, its state aside, or as the base's headline whose
  line that side edited, when that is sure (:func:`_renamed`); a task whose ``ID``
  that side deleted or retyped as the base's task, by the identity rule of
  :func:`same_tasks`, its deleted id given back;
- the order of the chunks is merged three ways (``git merge-file`` on the names);
  tasks both sides added at one place are kept in id order (their creation time),
  each side's own order kept (:func:`_interleaved`);
- a task only one side changed takes that side; one side removed and the other
  left as it was goes; one side removed and the other changed is kept between
  conflict markers;
- a task both sides changed is merged part by part: the headline's state by the
  rule of :func:`merge_task_properties` (a closed state, any of the board's done
  states, wins over an open one; DONE over CANCELLED), its title and tags, its
  planning line and each property by three-way rules (a claim as one: a side that
  released gives way to a side that claimed; two claims: the earlier one wins), its
  log items by the session merge's entry rules (each known by its identity over the
  task: moved on one side and noted on the other, one item; removed on one side and
  changed on the other, a conflict on that item alone), and a person's free text as
  ``git merge-file`` merges it; a headline without an ``ID``: its line three ways
  (its state and its title each, the state by the same rule: :func:`_heading_line`),
  then its body so;
- the locks section's locks are merged the same way, keyed by ``PATH``.

Where a part of one task cannot be settled by a rule (both sides retitled it, set
its working set differently...), that task alone is left as ``git merge-file``
merges it, with ordinary conflict markers, and the driver exits 1. Anything this
module does not understand (not UTF-8, other line endings, conflict markers
already there) is left to the caller, who merges it as ``git merge-file`` does.

Its parts stand in modules by concern (twenty-seventh round), from the bottom up:
:mod:`~ai_protocols.board.merge_pairs`, :mod:`~ai_protocols.board.merge_tasks`,
:mod:`~ai_protocols.board.merge_lacking`; this module holds the whole merge.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

from ai_protocols.board.merge_lacking import _given_id
from ai_protocols.board.merge_lacking import _lacks_change as _lacks_change
from ai_protocols.board.merge_lacking import given_and_edited as given_and_edited
from ai_protocols.board.merge_lacking import lacking_said as lacking_said
from ai_protocols.board.merge_lacking import merged_before as merged_before
from ai_protocols.board.merge_lacking import tasks_lacking as tasks_lacking
from ai_protocols.board.merge_lacking import tied_record as tied_record
from ai_protocols.board.merge_lacking import without_merged as without_merged
from ai_protocols.board.merge_pairs import (
    CLAIM_KEYS,
    LOCK_KEYS,
    STATE_RANK,
    _Conflict,
    _is_id_line,
    _pair,
    _Seen,
    _Version,
    same_tasks,
)
from ai_protocols.board.merge_pairs import kept_task_pairs as kept_task_pairs
from ai_protocols.board.merge_tasks import (
    _ident,
    _latest_stamp,
    _merge_list,
    _ours_first,
    _renamed,
    _with_id,
    merge_task_properties,
)
from ai_protocols.board.model import STATES, BoardFile, read_board
from ai_protocols.org.syntax import strip_ending
from ai_protocols.session.merge_units import MergeResult, _CannotMerge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ai_protocols.board.merge_pairs import _Chunk
    from ai_protocols.board.model import Task
    from ai_protocols.lean import datetime
    from ai_protocols.org.file import OrgFile

__all__ = ["CLAIM_KEYS", "LOCK_KEYS", "STATE_RANK", "is_board", "merge_board_bytes",
           "merge_task_properties"]


def _result_names(text: str) -> set[str] | None:
    try:
        version = _Version(text)
    except _CannotMerge:
        return None
    return {n for n in version.order if n.startswith("task:")}


def merge_board_bytes(base: bytes, ours: bytes, theirs: bytes, *,
                      labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                      marker_size: int = 7) -> MergeResult | None:
    """Merge three versions of the task board task by task (see the module's docstring);
    ``None`` when they are not three boards this merge understands, and the caller
    merges them as ``git merge-file`` does. Runs ``git merge-file``; raises nothing of
    its own."""
    try:
        texts = [data.decode("utf-8") for data in (base, ours, theirs)]
    except UnicodeDecodeError:
        return None
    if any("\x00" in t for t in texts):
        return None
    try:
        o, a, b = (_Version(t) for t in texts)
        if len({v.newline for v in (o, a, b)}) != 1:
            return None
        first = _ours_first(a.text, b.text)
        _adopt_ids(o, a, b)
        _added_alike(o, a, b)
        merged, conflict = _merge_list(o.chunks, a.chunks, b.chunks, o.order, a.order,
                                       b.order, first=first, labels=labels,
                                       marker_size=marker_size, keep_changed=False)
    except (_CannotMerge, _Conflict, UnicodeDecodeError, OSError):
        return None
    keep_final = a.final_newline if a.final_newline == b.final_newline else \
        (b.final_newline if a.final_newline == o.final_newline else a.final_newline)
    if not keep_final and merged.endswith(a.newline):
        merged = merged[: -len(a.newline)]
    if not conflict:  # every task either side kept, once, and no other: else git decides
        found = _result_names(merged)
        # (a task whose id one side lost or retyped is the base's: known by either id)
        side_a, order_a = _renamed(o.chunks, a.chunks, a.order)
        side_b, order_b = _renamed(o.chunks, b.chunks, b.order)
        aliases = {now: was for names, renamed in ((a.order, order_a), (b.order, order_b))
                   for now, was in zip(names, renamed, strict=True) if now != was}
        tasks = {n for n in (*order_a, *order_b) if n.startswith("task:")}
        if found is None or {aliases.get(n, n) for n in found} != \
                tasks - _removed(o.chunks, o.order, side_a, side_b):
            return None
    return MergeResult(merged.encode("utf-8"), conflict)


def _reparsed(like: _Version, lines: list[str]) -> _Chunk:
    """``lines`` (one level-1 headline and its subtree) as a chunk of a board with the
    preamble of ``like``."""
    again = _Version(like.chunks["preamble"].raw + "".join(lines))
    return again.chunks[again.order[1]]


def _adopt_ids(o: _Version, a: _Version, b: _Version) -> None:
    """A base task without an ``ID`` that a command on one side or on both gave one
    (each its own: two clones each ran a command), known as that task on both sides:
    the smaller id kept (the base's task given it too, and the other side's edits of
    the task, without an id, merged into it), the other named in its log, the id it
    was (:data:`~ai_protocols.board.model.RETYPED`: ``task ... OTHERID`` finds it).
    Changes ``o``, ``a`` and ``b`` in place."""
    # (each decided on the boards as they came, before any is changed)
    every = {name: {side: _given_id(o.chunks[name], side, o, name) for side in (a, b)}
             for name in o.order if name.startswith("heading:")}
    for name, given in every.items():
        base = o.chunks[name]
        named = {side: ident for side, ident in given.items() if ident is not None}
        if not named:
            continue  # (none gave it an id)
        # (a side that removed it, or retitled it, has no task of that name: the base's
        # task, with the id, is then what it removed, or what it retitled: the one
        # identity rule, :func:`_renamed`, knows it by the text under its headline)
        kept = min(named.values(), key=_ident)
        model = (a if given[a] == kept else b).chunks[kept]
        ident = next((raw for raw in model.lines
                      if _is_id_line(strip_ending(raw, model.newline))), None)
        if ident is None or model.drawer is None:
            continue

        def put_id(chunk: _Chunk, model: _Chunk = model, ident: str = ident) -> list[str]:
            """``chunk`` (the task without an id) with the kept id's line: in place of
            an empty or blank ``:ID:`` line it held, else where the command put it in
            its drawer (one made as the command made it, when it has none): the same
            task given an id whatever its drawer held before."""
            blank = [i for i, raw in enumerate(chunk.lines)
                     if _is_id_line(strip_ending(raw, chunk.newline))]
            if blank:
                return [ident if i == blank[0] else raw for i, raw in enumerate(chunk.lines)
                        if i == blank[0] or i not in blank]
            if chunk.drawer is not None:
                at = next(i for i, raw in enumerate(model.lines)
                          if _is_id_line(strip_ending(raw, model.newline))) - model.drawer[0]  # type: ignore[index]
                at = chunk.drawer[0] + max(1, min(at, chunk.drawer[1] - chunk.drawer[0]))
                return [*chunk.lines[:at], ident, *chunk.lines[at:]]
            cut = chunk.body_start
            return [*chunk.lines[:cut], model.lines[model.drawer[0]], ident,  # type: ignore[index]
                    model.lines[model.drawer[1]], *chunk.lines[cut:]]  # type: ignore[index]

        # The base: its own task with the id (not the side's, which may hold an edit made
        # in the same commit: that edit is the side's, merged as any edit).
        o.chunks[kept] = _reparsed(o, put_id(base))
        o.order[o.order.index(name)] = kept
        del o.chunks[name]
        for side in (a, b):
            if side in named:
                chunk = side.chunks.pop(named[side])
                if named[side] != kept:  # its own task, edits and all, with the kept id
                    lines = [ident if _is_id_line(strip_ending(raw, chunk.newline)) else raw
                             for raw in chunk.lines]
                    if not lines[-1].endswith(chunk.newline):
                        lines[-1] += chunk.newline
                    stamp = _latest_stamp(lines)
                    lines.append(f"- {stamp} its id was also {_ident(named[side])} (given "
                                 f"in another clone; a merge kept {_ident(kept)}): the "
                                 f"same task{model.newline}")
                    chunk = _reparsed(side, lines)
                side.chunks[kept] = chunk
                side.order[side.order.index(named[side])] = kept
            elif name in side.chunks:  # (that side's task, edited or not, with the id)
                chunk = side.chunks.pop(name)
                side.chunks[kept] = _reparsed(side, put_id(chunk))
                side.order[side.order.index(name)] = kept


def _added_alike(o: _Version, a: _Version, b: _Version) -> None:
    """A task both sides added (the base has it by neither name) that one side holds
    without an ``ID`` and the other with one (a stale buffer saved again after a write
    gave the task it held an id: the task a person typed, saved twice), known as one
    task: the side without the id given the other's ``:ID:`` line
    (:func:`_with_id`), so the two merge as one task. Which task of the other side it
    is: the one identity rule (:func:`_pair`, as :func:`same_tasks` and :func:`_renamed`
    pair a task whose ``:ID:`` line is gone: its whole text, its claim, the text under
    its headline when no other task has it and it is not empty, else its title and
    tags), with the same title and tags (both added it: neither title is known to be
    the newer, so the merge never picks one), among the tasks
    that side added that this side lacks; a task :func:`_renamed` pairs with a base
    task is that task, never this one. Changes ``a`` and ``b`` in place."""
    kinds = ("heading:", "task:")
    for side, other in ((a, b), (b, a)):
        known = set(_renamed(o.chunks, side.chunks, side.order)[1])
        free = {n: _Seen.of_chunk(side.chunks[n]) for n in side.order
                if n.startswith("heading:") and n in known and n not in o.chunks
                and n not in other.chunks and side.chunks[n].head[1] is not None}
        gone = {n: _Seen.of_chunk(other.chunks[n]) for n in other.order
                if n.startswith("task:") and n not in o.chunks and n not in side.chunks}
        if not free or not gone:
            continue
        every = ([_Seen.of_chunk(other.chunks[n]) for n in other.order if n.startswith(kinds)],
                 [_Seen.of_chunk(side.chunks[n]) for n in side.order if n.startswith(kinds)])
        for was, name in _pair(gone, free, *every, bare=False):
            if gone[was].title != free[name].title:
                continue  # (both added: nothing says which title is the newer one)
            side.chunks[was] = _with_id(side.chunks.pop(name), other.chunks[was])
            side.order[side.order.index(name)] = was


#: How many changes of a task's id :func:`id_in_history` follows (each one git run for
#: the commit and two for its boards): a bound on a miss's cost.
HISTORY_HOPS = 8


def id_in_history(doc: OrgFile, wanted: str, root: str,
                  ) -> tuple[Task | None, list[str], str | None] | None:
    """What the board's git history (the project at ``root``) says of the id ``wanted``
    (whole, or an end of it, as ``board.find_task`` reads one) that no task of ``doc``
    has and no task's log names: the id a person changed in a commit git then took as
    it was (a fast-forward, or a merge that took that side whole, without the merge
    driver: no note was written). The newest commit of ``HEAD``'s history that changed
    how often the board holds ``wanted`` (``git log -S``, git-log(1)) is the one that
    changed or removed it; its parent's board had the task; the one identity rule
    (:func:`same_tasks`, the merge's) pairs that task with the task of the commit's
    board that it became. Followed while that id, too, is gone (at most
    :data:`HISTORY_HOPS` changes). Returns the task of ``doc`` that has the id now, with
    the changes that led to it (``commit C changed X to Y``); or ``None`` and what to
    say of a commit that removed the task; ``None`` when the history says nothing (no
    git, no such commit, a board git cannot read, a task the rule pairs with none of
    the new board's). The one rule of an id's history, for a command's id
    (``board._history_says``) and a session's linked task (:func:`current_or_history`)
    alike; run only on a miss: a found id costs no git run."""
    from pathlib import Path

    from ai_protocols.board.model import find_task
    from ai_protocols.errors import TaskNotFound
    from ai_protocols.git.history import file_at, recorded_in_history
    from ai_protocols.paths import AI_DIR, BOARD_FILE

    path = f"{AI_DIR}/{BOARD_FILE}"
    board = Path(root, path)
    tasks = read_board(doc, check=False)[0]
    ident, seen, said = wanted, {wanted}, []
    for _ in range(HISTORY_HOPS):
        commit = recorded_in_history(root, path, ident)
        if commit is None:
            return None
        before, after = file_at(root, f"{commit}^", path), file_at(root, commit, path)
        if before is None:
            return None
        try:
            old = BoardFile(before.decode("utf-8"))
            task = find_task(read_board(old, check=False)[0], ident, board)
            new = BoardFile(after.decode("utf-8")) if after is not None else None
        except (UnicodeDecodeError, ValueError, TaskNotFound):
            return None
        short = commit[:12]
        pair = [b for a, b in (same_tasks(old, new) if new is not None else [])
                if old.headlines[a].line == task.line - 1]
        now = read_board(new, check=False)[0] if new is not None and pair else []
        found = next((t for t in now if t.line == new.headlines[pair[0]].line + 1), None) \
            if new is not None and pair else None
        if found is None or not found.id:
            if any(t.id == task.id for t in read_board(new, check=False)[0]) \
                    if new is not None else False:
                return None  # (still there in that commit: not what changed it)
            return None, said, (f"its task, {task.id} ({task.title}), was removed from the "
                                f"board by commit {short}"
                                + (f" ({'; '.join(said)})" if said else "")
                                + "; 'git show " + short + "' shows how")
        said.append(f"commit {short} changed {task.id} to {found.id}")
        here = [t for t in tasks if t.id == found.id]
        if len(here) == 1:
            return here[0], said, None
        if found.id in seen:
            return None
        ident = found.id
        seen.add(ident)
    return None


def current_or_history(doc: OrgFile, tasks: list[Task], wanted: str,
                       linked_at: datetime | None, root: str) -> Task | None:
    """The task a session's link to ``wanted`` names now: the one rule of its log's notes
    (:func:`~ai_protocols.board.model.current_task`), else, when no task has the id and
    no log names it, the board's git history (:func:`id_in_history`: a person changed
    the id in a commit the clone fast-forwarded), as ``task show`` reads an id; ``None``
    when neither says. Git runs only on that miss."""
    from ai_protocols.board.model import current_task

    found = current_task(doc, tasks, wanted, linked_at)
    if found is not None or any(t.id == wanted for t in tasks):
        return found
    history = id_in_history(doc, wanted, root)
    return history[0] if history is not None else None


def _removed(o: dict[str, _Chunk], order: list[str], a: dict[str, _Chunk],
             b: dict[str, _Chunk]) -> set[str]:
    """The tasks one side removed and the other left as they were: they go. ``o``, ``a``,
    ``b``: the chunks by name (each side's as :func:`_renamed` names them); ``order``:
    the base's names."""
    gone = set()
    for side, other in ((a, b), (b, a)):
        for name in order:
            if name not in side and name in other and other[name].raw == o[name].raw:
                gone.add(name)
    return gone


def is_board(path: str | None, data: bytes) -> bool:
    """Whether the file git merges is the task board: its path in the tree (git's ``%P``)
    is ``.ai/tasks.org``, or, without one, its text declares the board's states."""
    if path:
        parts = path.replace("\\", "/").split("/")
        return parts[-1] == "tasks.org" and len(parts) >= 2 and parts[-2] == ".ai"
    first = data[:4096].decode("utf-8", "replace")
    return "#+TODO: " + " ".join(STATES[:4]) in first
