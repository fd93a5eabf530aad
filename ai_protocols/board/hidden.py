"""A stale save of the task board that git's later moves hide.

A buffer opened on ``.ai/tasks.org`` before a ``git pull`` and saved after it drops what
the pull brought (``board/stale.py``'s rule merges it back). What git does next must not
hide that save: a second pull that touches only other files (the newest pull then
brought nothing to the board), or a commit of the save itself (``git commit -am``, an
agent's ``git add -A && git commit``: ``HEAD``'s board is then the save, byte for byte).
This module finds, from ``HEAD``'s reflog, the pull whose change of the board a save is
judged against (:func:`board_pull`: the newest one that changed the board, over one's
own commits and the pulls since that did not), and the board that holds what it
brought when ``HEAD``'s own board is such a save, committed (:func:`brought_board`).
A save's merge back (:func:`stale_merge`) says in the task's log what happened: a
claim dropped because the save closed the task was dropped by a person's editor, not by
a git merge (:func:`in_buffer`).
docs/tasks.md (a buffer saved after a pull); docs/decisions.md, "Issue 15,
twenty-second round (the board's stale saves that git's later moves hide)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ai_protocols.board.board_file import AreaLock, Task
    from ai_protocols.session.merge_units import MergeResult

__all__ = ["OR_DELETED", "PULLS_WALKED", "board_pull", "brought_board", "deleted_claim",
           "deleted_lock", "held_before_said", "in_buffer", "nothing_lacking", "stale_merge",
           "stopped_pull", "takes_out_unended", "unlocked_since"]

#: How many pulls (or merges) of ``HEAD``'s reflog :func:`board_pull` walks back over at
#: most, looking for one that changed the board: each costs at most one ``git show``.
PULLS_WALKED = 16


def board_pull(root: str, pulls: Iterable[tuple[str, str]], below: str
               ) -> tuple[str, str, bytes, bytes] | None:
    """The newest pull or merge that ``HEAD`` still holds the result of and that
    changed the board (the file ``below``, from the top of the work tree ``root``):
    walking ``pulls`` (``HEAD``'s reflog back over one's own commits and pulls, newest
    first, each ``(the commit before it, the one after)``:
    :func:`~ai_protocols.git.head.pulls_back`) over the pulls and merges since that
    left the board as it was (at most :data:`PULLS_WALKED`), ``(the
    commit HEAD named before it, the commit it moved to, the board before it, the board
    it left)``; when none of them changed it, the newest one's (what git brought is then
    nothing). ``None`` when there is none (a checkout, a reset or a rebase on the way,
    no reflog, a board git cannot give at one of them). One ``git show`` per board read,
    each commit's once (two for the newest pull, when it changed the board: the common
    case). Raises nothing."""
    from itertools import islice

    from ai_protocols.session.transaction import git_version

    boards: dict[str, bytes | None] = {}

    def at(commit: str) -> bytes | None:
        if commit not in boards:
            boards[commit] = git_version(root, f"{commit}:./{below}")
        return boards[commit]

    newest = None
    for old, new in islice(pulls, PULLS_WALKED):
        after, before = at(new), at(old)
        if after is None or before is None:
            break
        newest = newest or (old, new, before, after)
        if after != before:
            return old, new, before, after
    return newest


def stopped_pull(root: str, below: str) -> tuple[str, bytes, bytes] | None:
    """What a merge, rebase, cherry-pick, revert or ``am`` under way (a ``git pull``
    stopped on a conflict in another file; :func:`~ai_protocols.git.head.stopped_from`)
    already brought to the board (the
    file ``below``, from the top of the work tree ``root``): ``(the commit HEAD named
    before it, the board at that commit, the board git wrote into its index)``. While it
    is stopped, ``HEAD``'s reflog names no pull (a merge has not moved ``HEAD``; a
    rebase's start is a checkout of the other side), so the board git merged is read
    from the index (stage 0, ``git show :0:./PATH``): a save from a buffer opened before
    the pull is judged against it as against a pull's result. ``None`` when none is under
    way, the board is unmerged (its conflict is the board merge's: exit 6) or the same
    as before, the commit it brings is one ``HEAD`` held (``git rebase -i`` of one's own
    commits: git brought nothing, and an earlier pick's board is no news; not asked of
    a revert, whose commit ``HEAD`` always holds, nor of a patch), or git cannot
    give it. One ``git merge-base`` and two ``git show`` while one is under way; a few
    ``stat`` calls otherwise. Raises nothing."""
    from ai_protocols.git.head import operation, stopped_from
    from ai_protocols.git.history import start_ancestry
    from ai_protocols.session.transaction import git_version

    stopped = stopped_from(root)
    if stopped is None or (stopped[1] and operation(root) != "revert" and
                           start_ancestry(root, stopped[1], stopped[0])()):
        return None  # (what it brings, HEAD held: a rebase of one's own commits only; a
        # revert's commit is always HEAD's, and what it brings is its undoing)
    before = stopped[0]
    index = git_version(root, f":0:./{below}")
    old = git_version(root, f"{before}:./{below}") if index is not None else None
    if index is None or old is None or index == old:
        return None
    return before, old, index


def brought_board(head_board: bytes, pull: tuple[str, str, bytes, bytes] | None
                  ) -> bytes | None:
    """The board that holds what git brought to a saved board, when ``HEAD``'s board
    (``head_board``) cannot: it is itself a stale save, committed (a
    person's ``git commit -am`` of the save, an agent's ``git add -A && git commit``),
    which lacks every thing the pull ``pull`` (:func:`board_pull`) brought, as a buffer
    opened before it does: then the board that pull left (its fourth item), on which
    the save is merged back as on ``HEAD``'s. ``None`` when ``HEAD``'s board holds some
    of what the pull brought (made after it: a person's edit, deletions included,
    stands), or is the board the pull left (git wrote it), or there is no such pull.
    Parses the boards; no process. Raises nothing."""
    if pull is None or head_board == pull[3]:
        return None
    from ai_protocols.board.merge_lacking import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking

    if brought_lacking(tasks_lacking, head_board, pull[3], (pull[2],)) <= 0:
        return None
    return pull[3]


def unlocked_since(board: bytes, before: bytes) -> bool:
    """Whether the board ``board`` holds an item ``unlock`` writes (``- [T] unlocked by
    B: PATH, A's lock (LOCKED_AT R)``, :func:`~ai_protocols.board.model.unlock_item`)
    that ``before`` lacks, naming the record of a lock ``before`` holds and ``board``
    does not: that lock was ended by ``unlock`` (in another clone), not dropped by a
    stale buffer, which cannot hold an item written after it was opened
    (:func:`~ai_protocols.board.model.unlocks_since`, the one reading). Linear in the
    lines; raises nothing."""
    from ai_protocols.board.claim_history import unlocks_since

    return bool(unlocks_since(board, before))


def takes_out_unended(merged: bytes, board: bytes) -> bool:
    """Whether ``merged`` (the merge back of another clone's save, committed and pulled:
    :func:`~ai_protocols.board.stale.seen_dropped`) takes out of the board ``board`` (the
    board the pull left) a lock or a claim that no item of the tool ends: a lock (by its
    ``LOCKED_AT`` record) ``board`` holds and ``merged`` does not, unless ``unlock``'s
    item in ``merged`` names it (:func:`~ai_protocols.board.model.unlocks_since`); a
    claim (task id and owner) ``board`` holds on a task ``merged`` holds unclaimed, or
    lacks, unless the task's log in ``merged`` holds an item ending a claim that
    ``board``'s lacks (``released by``, ``handed off by``, ``done by``...). Such a
    take-out is no merge back: a bare deletion of a live lock or claim ends it in no
    clone (the owner's clone puts it back, the lost-claims rule), so a clone reading a
    board that holds it shows it
    (docs/decisions.md, "Twenty-fourth round: the board during a stopped pull"). ``True``
    when a board cannot be read (nothing taken out on a guess). Parses the two boards;
    raises nothing."""
    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import _CLAIM_ENDS, log_items, read_board
    from ai_protocols.board.claim_history import lock_records, unlocks_since

    if lock_records(board) - lock_records(merged) - unlocks_since(merged, board):
        return True
    try:
        docs = [BoardFile(one.decode("utf-8")) for one in (board, merged)]
        (tasks, _locks), (after, _) = (read_board(doc, check=False) for doc in docs)
    except (UnicodeDecodeError, ValueError):
        return True
    now = {task.id: task for task in after if task.id}
    for task in tasks:
        if not task.id or not task.owner:
            continue
        there = now.get(task.id)
        if there is not None and there.owner is not None:
            continue  # (held still, or taken over: a claim of another's, not taken out)
        items = set(log_items(docs[1], there.line)) - set(log_items(docs[0], task.line)) \
            if there is not None else set()
        if not any(f"] {end}" in item for item in items for end in _CLAIM_ENDS):
            return True
    return False


def deleted_lock(board: str, area: str, same: Callable[[str, str], bool]
                 ) -> AreaLock | None:
    """The lock on ``area`` that the board ``board`` lacks and its history still holds
    unended: the newest version of the board in ``HEAD``'s history
    (:func:`~ai_protocols.git.state.history_versions`) holding a lock with a record
    (``LOCKED_AT``) whose path ``same`` takes for ``area``, when the commit that took it
    out wrote no ``unlock`` item for it
    (:func:`~ai_protocols.board.model.ended_in_history`): a person deleted it by hand
    (here, or in another clone), which ends it in no clone (the owner's clone puts it
    back). ``unlock PATH --force`` ends it for good by writing ``unlock``'s item naming
    it (docs/decisions.md, "Twenty-fourth round: the board during a stopped pull").
    ``None`` when there is none, or git cannot say. Two git runs, one more when found;
    raises nothing."""
    import os

    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import read_board
    from ai_protocols.board.claim_history import ended_in_history
    from ai_protocols.git.history import history_versions

    root = os.path.dirname(os.path.dirname(board))
    for version in history_versions(root, os.path.relpath(board, root), ["HEAD"], limit=8):
        try:
            locks = read_board(BoardFile(version.decode("utf-8")), check=False)[1]
        except (UnicodeDecodeError, ValueError):
            continue
        found = next((lock for lock in locks if same(lock.path, area)), None)
        if found is not None:
            if found.locked_at and not ended_in_history(board, [found])[0]:
                return found
            return None
    return None


def deleted_claim(board: str, task_id: str, now: bytes) -> Task | None:
    """The claim of the task ``task_id`` (its ``ID``) that the board ``board`` lacks and
    its history still holds unended: the newest version of the board in ``HEAD``'s
    history (:func:`~ai_protocols.git.state.history_versions`, its newest 8) holding that
    task claimed, when that claim has its record (``CLAIMED_AT``), the commit that took
    the record out wrote no end of it (:func:`~ai_protocols.board.model.ended_in_history`)
    and the step from that version to the board ``now`` (the board being written, its
    bytes) wrote none either
    (:func:`~ai_protocols.board.model.ended_since`: a release not committed yet): a
    person deleted its claim lines by hand (here, or in another clone), which ends it in
    no clone (the owner's clone puts it back). ``task release ID --force`` ends it for
    good by writing the release record naming that ``CLAIMED_AT``
    (:func:`~ai_protocols.board.model.release_record`; docs/decisions.md, "Twenty-fifth
    round: the board's hand deletions and stopped operations"), as ``unlock PATH
    --force`` does for a lock (:func:`deleted_lock`). ``None`` when there is none, or git
    cannot say. Two git runs, one more when found; raises nothing."""
    import os

    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import read_board
    from ai_protocols.board.claim_history import ended_in_history, ended_since
    from ai_protocols.git.history import history_versions

    root = os.path.dirname(os.path.dirname(board))
    for version in history_versions(root, os.path.relpath(board, root), ["HEAD"], limit=8):
        try:
            tasks = read_board(BoardFile(version.decode("utf-8")), check=False)[0]
        except (UnicodeDecodeError, ValueError):
            continue
        found = next((task for task in tasks if task.id == task_id), None)
        if found is None or not found.owner:
            continue  # (the versions since the deletion: the newest claimed one decides)
        if not (found.claimed_at and found.is_open):
            return None
        if ended_since(now, version, found) or \
                ended_in_history(board, [found])[0]:
            return None
        return found
    return None


def stale_merge(base: bytes, ours: bytes, theirs: bytes, *,
                labels: tuple[str, str, str]) -> MergeResult | None:
    """The board's merge (:func:`~ai_protocols.board.merge.merge_board_bytes`, its
    arguments) of a stale save's merge back (``ours``: the save; ``base``: the version
    its buffer was opened on; ``theirs``: what came since), its own log items said as
    what happened (:func:`in_buffer`): no git merge, a person's editor. Raises
    nothing of its own."""
    from ai_protocols.board.merge import merge_board_bytes

    return in_buffer(merge_board_bytes(base, ours, theirs, labels=labels),
                     (base, ours, theirs))


def in_buffer(merged: MergeResult | None, inputs: tuple[bytes, ...]) -> MergeResult | None:
    """``merged`` (a stale save's merge back) with each log item the merge itself wrote
    (a line none of ``inputs`` holds) that drops a claim "made while the task was closed
    on the other side" saying instead that it was closed in an editor's buffer opened
    before it (:data:`~ai_protocols.board.model.CLOSED_IN_BUFFER`): the save closed the
    task, no other clone; the agent is told so
    (:func:`~ai_protocols.board.model.dropped_by_merge`). ``None`` stays ``None``.
    Linear in the lines; raises nothing."""
    from dataclasses import replace

    from ai_protocols.board.board_read import DROPPED
    from ai_protocols.board.claim_history import CLOSED_IN_BUFFER

    other = b"made while the task was closed on the other side"
    if merged is None or other not in merged.data:
        return merged
    known = {line for one in inputs for line in one.splitlines()}
    lines = merged.data.splitlines(keepends=True)
    for number, line in enumerate(lines):
        bare = line.rstrip(b"\r\n")
        if other in bare and bare not in known and \
                DROPPED.fullmatch(bare.strip().decode("utf-8", "replace")):
            lines[number] = line.replace(other, CLOSED_IN_BUFFER.encode())
    return replace(merged, data=b"".join(lines))


def nothing_lacking(data: bytes, older: bytes, base: bytes) -> bool:
    """Whether the board ``data`` (a save judged over the tool's own writes) lacks
    nothing of the tool's last write ``older`` after all, on the version ``base`` its
    buffer was opened on: no task, claim, close or lock ``older`` holds that neither
    ``data`` nor ``base`` does, or that ``data`` holds in ``base``'s older text
    (:func:`~ai_protocols.board.merge.lacking_said`), and no task of ``older`` it
    lacks whole (a claim made on it since is lacking). So a person's edit of a task the
    tool wrote (a state typed, a keyword added to the ``#+TODO:`` line) is no stale
    save: nothing is said or merged back. ``False`` when a board cannot be read.
    Parses the boards; raises nothing."""
    from ai_protocols.board.merge_lacking import lacking_said

    found = lacking_said(data, older, (base,))
    whole = lacking_said(data, older)
    if found is None or whole is None:
        return False
    return not any(found) and not whole[0]


def held_before_said(data: bytes, theirs: bytes, base: bytes, before: bytes,
                     brought_said: Callable[[bytes, bytes, tuple[bytes, ...], int], str]
                     ) -> str | None:
    """What a stale save ``data`` lacks, said truthfully by whose it is, when some of
    it is not git's: the board ``before`` (before the pull) held it and the version
    ``base`` the save was found opened on does not (a buffer opened before it was
    written, or a person's deletion of exactly it, which cannot be told apart when the
    save is byte for byte an older version, docs/tasks.md): ``1 task added ('C'), and
    1 task added ('B') that the board held before the pull (or that a person deleted
    ...)``, the first part what git brought (``theirs`` holds it, ``before`` does not),
    each said by ``brought_said`` (:func:`~ai_protocols.board.stale.brought_said`, the
    one rule of those words). ``None`` when the save lacks
    nothing ``before`` held that git did not change too, or a board cannot be read:
    the caller's words stand. Parses the boards; raises nothing."""
    from ai_protocols.board.merge_lacking import lacking_said

    if before == base:
        return None
    earlier = lacking_said(data, before, (base,))
    brought = lacking_said(data, theirs, (base, before))
    if earlier is None or brought is None or \
            not {*earlier[0], *earlier[1], *earlier[2]} - \
            {*brought[0], *brought[1], *brought[2]}:
        return None
    said = f"{brought_said(data, before, (base,), 0)} that the board held before the " \
        f"pull{OR_DELETED}"
    return f"{brought_said(data, theirs, (base, before), 0)}, and {said}" \
        if any(brought) else said


#: What a warning adds to what a save lacks that the board held before the pull
#: (:func:`held_before_said`): the person may have deleted it.
OR_DELETED = (" (or that a person deleted in a buffer opened after it was written: the two "
              "cannot be told apart; to delete it, delete it again in a reverted buffer)")
