"""The stale-save rule in git's history: the board's versions back from a save, a pull
or a revert that dropped what a save lacks (:func:`seen_dropped`, :func:`pulled_over`,
:func:`reverted_to`, :func:`head_reverted`), a save older than the tool's last write
(:func:`older_than_write`), a save from a buffer opened before a local revert
(:func:`opened_before_revert`). Split out of :mod:`ai_protocols.board.stale`, which
re-exports every name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.board.stale_record import _made, _reads, brought_said, read_record, refuse, told
from ai_protocols.git.head import BROUGHT, OWN_COMMIT, moves_back

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_protocols.board.board_file import AreaLock, Task


def _steps_back(root: str, below: str, start: str, at_start: bytes
                ) -> Iterator[tuple[bytes, bytes]]:
    """The steps of the board's history before the commit ``start`` (whose board is
    ``at_start``), newest first, as ``HEAD``'s reflog tells them (:func:`moves_back`,
    from the entry that moved ``HEAD`` to ``start``): one's own commits, pulls and
    merges, each ``(the board at the commit it moved from, the board at the one it
    moved to)``; those that left the board as it was passed over. Ends at another
    kind of move (a checkout, a reset: what came before is no history of this board)
    or a board git cannot give. One ``git show`` per step, as the caller walks."""
    from ai_protocols.git.head import read_head

    head = read_head(root)

    def revs() -> Iterator[str]:
        reached = False
        for old, new, message in moves_back(root, head[1] if head else "",
                                            OWN_COMMIT + BROUGHT):
            reached = reached or new == start
            if not reached:
                continue  # (after start: the caller's)
            if not message.startswith(OWN_COMMIT + BROUGHT):
                return
            yield old

    yield from _pairs(root, below, revs(), at_start)


def _pairs(root: str, below: str, revs: Iterator[str], at_start: bytes
           ) -> Iterator[tuple[bytes, bytes]]:
    """The board's steps back through the commits ``revs`` (newest first, each the
    commit a step started from), from the board ``at_start``: each ``(the board at the
    commit, the board after it)`` where they differ; ends at a board git cannot give.
    One ``git show`` per commit, as the caller walks. The one walk of
    :func:`_steps_back` (this clone's reflog) and :func:`_history_steps` (git's
    history)."""
    from ai_protocols.session.transaction import git_version

    after = at_start
    for rev in revs:
        before = git_version(root, f"{rev}:./{below}")
        if before is None:
            return
        if before != after:
            yield before, after
            after = before


def _lacks_every(version: bytes, before: bytes, after: bytes, *,
                 deleted_tells: bool = True) -> bool | None:
    """Whether the board ``version`` lacks every thing the step from the board
    ``before`` to the board ``after`` made (:func:`_made`: a task, a claim, a close, a
    lock; a lock taken out is nothing made): each held in no text that has the step's
    change (:func:`~ai_protocols.board.merge.lacking_said` against ``before``: a note
    typed into a task the step claimed lacks the claim), or not held at all (a task
    the version lacks whole lacks the claim made on it, where ``brought_lacking``
    takes it for a person's deletion): a version from before the step. Not
    ``deleted_tells`` (``version`` is another clone's board, not this tool's buffer):
    a task ``before`` held that ``version`` lacks whole is a person's deletion there,
    whichever version the buffer was opened on, and what the step made on it tells
    nothing; and a task whose every changed line it changed again, to lines of its
    own, is a later edit in that clone's history (``lacking_said``'s ``committed``:
    an ``:ID:`` retyped in two commits). ``None`` when the step made nothing (of what
    tells) or a board cannot be read: no sign either way. Parses the three boards;
    raises nothing."""
    from ai_protocols.board.merge import lacking_said

    made = _made(before, after, taken=not deleted_tells)
    held = lacking_said(version, after, (before,), committed=not deleted_tells)
    whole = lacking_said(version, after)  # (its first list: the tasks it lacks whole)
    if made and (True, "locks section") in made and _took_out_of(version, before, after):
        made = made - {(True, "locks section")}  # (no sign either way: below)
    if made:  # (a claim's end with its record held nowhere in ``version``: the same)
        made = made - {(False, title) for title in _ended_out_of(version, before, after)}
    if not made or held is None or whole is None:
        return None
    if not deleted_tells:  # (the tasks the step did not add that it lacks whole)
        deleted = set(whole[0]) - set(held[0])
        made = {one for one in made if one[0] or one[1] not in deleted}
        if not made:
            return None
    lacked = {(False, name) for name in held[0] + held[1] + whole[0]} | \
        {(True, path) for path in held[2]}
    return made <= lacked


def _took_out_of(version: bytes, before: bytes, after: bytes) -> bool:
    """Whether the step from the board ``before`` to the board ``after`` took locks out
    (an ``unlock``, with the item it writes) that the board ``version`` holds none of:
    a buffer opened before that step holds them (a stale save puts them back), so
    ``version`` lacking them as well as the item is a person's tidying of the locks
    section after it, or a buffer opened before they were taken: no sign that it was
    opened before the step (docs/decisions.md, "Twenty-fourth round: the board's
    unlocks, deletions and rebases"). By the locks' records (``LOCKED_AT``,
    :func:`~ai_protocols.board.model.lock_records`). Linear in the lines; raises
    nothing."""
    from ai_protocols.board.model import lock_records

    taken = lock_records(before) - lock_records(after)
    return bool(taken) and not taken & lock_records(version)


def _ended_out_of(version: bytes, before: bytes, after: bytes) -> set[str]:
    """The titles of the tasks whose claim the step from the board ``before`` to the
    board ``after`` took out (its ``CLAIMED_AT`` gone, whoever took it: the tool's end
    with its item, :func:`~ai_protocols.board.model.ended_since`, or a ``git revert`` of
    the claim's commit, or a person's edit, committed) when the board ``version`` holds
    none of the records of the claims it took out: a buffer opened before that step
    holds the claim (a stale save puts it back), so ``version`` lacking the step's
    change as well as the claim is a person's later change of the task (a tidying of
    the log after the end was known; another agent's claim made after a revert, whose
    lines may be the reverted claim's byte for byte but for its record), or a buffer
    opened before the claim was made (which the claim's own step, walked next,
    tells): no sign that it was opened before the step, as :func:`_took_out_of` is for
    the locks an ``unlock`` or a revert took out (docs/decisions.md, "Twenty-fifth
    round: the board's hand deletions and stopped operations" and "Twenty-eighth
    round: a clean pull after a local revert"). Parses the boards only when a claim's
    record left; raises nothing."""
    from ai_protocols.board.model import BoardFile, read_board

    taken = _claim_records(before) - _claim_records(after)
    if not taken or taken & _claim_records(version):
        return set()
    try:
        tasks = read_board(BoardFile(before.decode("utf-8")), check=False)[0]
    except (UnicodeDecodeError, ValueError):
        return set()
    return {task.title for task in tasks
            if task.claimed_at and task.claimed_at.encode() in taken}


def _lacks_only_ends(data: bytes, before: bytes, after: bytes) -> bool:
    """Whether all the board ``data`` lacks of the step from the board ``before`` to the
    board ``after`` (what a pull brought: :func:`~ai_protocols.board.merge.lacking_said`)
    is tasks whose claim that step ended, ``data`` holding none of those claims
    (:func:`_ended_out_of`): a person who tidied the end's item away after the end was
    known, not a stale save (a buffer opened before the step holds the claim). Parses
    the boards only when a claim's record left; raises nothing."""
    from ai_protocols.board.merge import lacking_said

    ended = _ended_out_of(data, before, after)
    if not ended:
        return False
    lacked = lacking_said(data, after, (before,))
    return lacked is not None and not lacked[0] and not lacked[2] and \
        set(lacked[1]) <= ended


def _claim_records(data: bytes) -> set[bytes]:
    """The records (``CLAIMED_AT`` values, as bytes) of the claims the board ``data``
    holds, as :func:`~ai_protocols.board.model.lock_records` reads locks'."""
    return {line.strip().split(b":", 2)[2].strip() for line in data.splitlines()
            if line.strip().startswith(b":CLAIMED_AT:")}


def _holds_some(version: bytes, before: bytes, after: bytes) -> bool:
    """Whether the board ``version`` holds some of what the step from the board
    ``before`` to the board ``after`` made (not :func:`_lacks_every`), or the step
    made nothing: ``version`` is then of after that step."""
    return not _lacks_every(version, before, after)


def _versions_back(root: str, below: str, start: str, at_start: bytes,
                   reads: list[bytes], steps: Iterator[tuple[bytes, bytes]] | None = None
                   ) -> Iterator[bytes]:
    """The versions the board had before ``at_start`` (the board at the commit
    ``start``, or this tool's write made there), newest first: the boards of
    :func:`_steps_back` (what git's history holds), with ``reads`` (the boards the
    tool's writes read, :func:`read_paths`, newest first, each older than
    ``at_start``) between them where they were read: a board read holding some of
    what a step made (:func:`_holds_some`) was read after that step. The tool's writes
    made between two commits are thus steps of their own. ``steps``: the steps to walk
    instead of this clone's reflog's (:func:`_history_steps`: a commit another clone
    made, which this clone's reflog never named). Lazy: one ``git show`` per step of
    git's history reached."""
    reads = list(reads)
    steps = _steps_back(root, below, start, at_start) if steps is None else steps
    step = next(steps, None)
    while reads or step is not None:
        if reads and (step is None or _holds_some(reads[0], *step)):
            yield reads.pop(0)
        elif step is not None:
            yield step[0]
            step = next(steps, None)


def opened_before(board: str, kept: str, data: bytes, start: str, at_start: bytes,
                  reads: list[bytes] | None = None, *, deleted_tells: bool = True,
                  steps: Iterator[tuple[bytes, bytes]] | None = None
                  ) -> tuple[bytes, str] | None:
    """The one walk back of a stale save: the board ``board`` saved as ``data`` from a
    buffer opened before the board ``at_start`` (at the commit ``start``, or the tool's
    write made there), on which version? The versions before it, newest first
    (:func:`_versions_back`: git's history from ``start`` back, over one's own commits
    (the tool's writes committed, a person's) and pulls and merges (git's), and the
    boards the tool's writes read, ``reads``, between them), are walked back over
    while the save lacks every change of the step to the one after
    (:func:`_lacks_every`: a buffer opened before it), a step that made nothing (a
    deletion only) passed over; the first step the
    save holds a change of ends the walk (the buffer was opened on the version after
    it), as the end of what is known does. ``(the save with what it lacks of those
    steps merged back: the board's merge, base the version it was opened on, theirs
    ``at_start``; what those steps made, in words)``; ``None`` when the save lacks no
    such step or a board cannot be read. ``deleted_tells``: as :func:`_lacks_every`
    (not: ``data`` is the board another clone's commit holds,
    :func:`seen_dropped`); ``steps``: as :func:`_versions_back`. For :func:`older_than_write`
    (what came before
    the pull its record names; a save over a pull since the tool's last write is
    :func:`merge_back`'s, on the version :func:`opened_on` finds). One ``git show`` per
    step of git's history walked. Raises :class:`~ai_protocols.errors.BoardStaleSave`
    (nothing written to the board) when that merge leaves a task both changed to a
    person, with the commands that merge the three on the version the buffer was
    opened on (:func:`refuse`: both written beside the kept copy ``kept``)."""
    from ai_protocols.board.hidden import stale_merge
    from ai_protocols.board.merge import tasks_lacking

    root = os.path.dirname(os.path.dirname(board))
    below = os.path.relpath(board, root)
    opened, lacked = at_start, []
    for before in _versions_back(root, below, start, at_start, reads or [], steps):
        lacks = _lacks_every(data, before, opened, deleted_tells=deleted_tells)
        if lacks is False:
            break
        if lacks is None and _made(before, opened) is None:
            break  # (a board the merge cannot read)
        if lacks:  # (else a step that made nothing: only took out, no sign either way)
            lacked.append(brought_said(before, opened, (), tasks_lacking(before, opened)))
        opened = before
    if not lacked:
        return None
    merged = stale_merge(opened, data, at_start, labels=(board, "opened", "then"))
    if merged is None:
        return None
    said = " and ".join(lacked)
    if merged.conflicts:
        refuse(board, kept, opened, at_start, f"{start}:./{below}", said, merged)
    return merged.data, said


def seen_dropped(board: str, kept: str, pull: tuple[str, str, bytes, bytes], below: str
                 ) -> tuple[bytes, str, str] | None:
    """The board the pull ``pull`` (:func:`~ai_protocols.board.hidden.board_pull`:
    ``(the commit before it, the one after, the board before it, the board it left)``)
    should have left, when what
    it brought is another clone's stale save, committed (a buffer opened there before a
    pull that brought what this clone had too, saved after it, committed and pushed):
    the board it left lacks every thing a step of this clone's own history before the
    pull made (:func:`opened_before`, walked back from the
    board before the pull: the pulls that brought it here, one's own commits), so it
    was opened before that step, and what it dropped is merged back (the board's
    merge, base the version it was opened on, theirs the board before the pull):
    another agent's claim and lock that this clone had shown stay that agent's. A
    board that holds some of what the step before the pull made is the person's edit
    on an up-to-date buffer (a lock line deleted, a task closed), and stands: ``None``;
    so does a board that holds the item an ``unlock`` there wrote of a lock this
    clone had (:func:`~ai_protocols.board.hidden.unlocked_since`);
    so when the pull changed nothing, or a board cannot be read. A task the board
    before the step held that the board the pull left lacks whole was deleted there by
    a person, whatever buffer it was: what the step made on it tells nothing (a claim
    of it ends with its task, the lost-claims rule's). The board ``board``
    (its kept copy ``kept``; ``below``: its path from the work tree's top). One ``git
    show`` per step walked (one in the common case: the step holds what came before).
    Then the commits the pull brought are judged by the same rule
    (:func:`pulled_over`). ``(the board, the version that holds what it dropped, whose
    doing in :func:`told`'s words: ``clone``, ``pulled``)``, or ``None``.
    Raises :class:`~ai_protocols.errors.BoardStaleSave` when that merge leaves a task
    both changed to a person (:func:`refuse`'s commands).
    docs/decisions.md, "Twenty-third round: the board's claims a clone had seen"."""
    old, new, before, after = pull
    from ai_protocols.board.hidden import takes_out_unended, unlocked_since

    root = os.path.dirname(os.path.dirname(board))
    if before != after and not unlocked_since(after, before) and \
            not _reverted_pull(root, old, new, below):  # (an ``unlock`` there ended
        # a lock this clone had: the tool's doing; a revert: a person's choice)
        found = opened_before(board, kept, after, old, before, deleted_tells=False)
        if found is not None and not takes_out_unended(found[0], after):
            return found[0], f"{old}:./{below}", "clone"
    found = pulled_over(board, kept, pull, below)
    if found is None or takes_out_unended(found[0], after):
        return None  # (a live lock or claim the board holds, deleted here by hand, is
        # not ended by that: the clone that put it back holds it, so does this one)
    return found[0], f"{found[1]}:./{below}", "pulled"


def _reverted_pull(root: str, old: str, new: str, below: str) -> bool:
    """Whether a commit the pull ``old..new`` brought that changed the board is a ``git
    revert`` of it (:func:`reverted_to`; the newest
    :data:`~ai_protocols.board.hidden.PULLS_WALKED` of them): what the board the pull
    left lacks of the board before it may be that revert's doing, a
    person's choice; the other commits the pull brought are still judged one by one
    (:func:`pulled_over`, which passes over the revert). One git run, then one or more
    per commit (:func:`reverted_to`)."""
    from ai_protocols.board.hidden import PULLS_WALKED

    return any(reverted_to(root, commit, below)
               for commit in _board_changes(root, old, new, below, PULLS_WALKED))


def pulled_over(board: str, kept: str, pull: tuple[str, str, bytes, bytes], below: str
                ) -> tuple[bytes, str] | None:
    """:func:`seen_dropped` of the commits the pull ``pull`` brought (``old..new``, both
    sides of a merge, newest first, at most
    :data:`~ai_protocols.board.hidden.PULLS_WALKED` that changed the board, merges
    left out: each side is judged on its own): a commit of another clone whose board
    lacks every thing a step of git's history before it made (:func:`opened_before`,
    the same rule, walked back over that commit's first parents:
    :func:`_history_steps`) is a stale save, committed, made from a buffer opened before
    that step, even when this clone never had the step (it came in the same pull: a
    claim and the save that dropped it; a release and the save that put the claim
    back). What it dropped or put back is merged back: the board that commit should
    have had, merged into the board the pull left (the board's merge, base that
    commit's board), so that what came after it stands: ``(that board, the commit
    whose board holds what the save lacks: the save's parent)``. ``None`` when no such commit
    (each holds some of the step before it: a person's edit on an up-to-date buffer,
    and the tool's own writes) or an ``unlock`` item tells the lock's end
    (:func:`~ai_protocols.board.hidden.unlocked_since`), or the merge into the board the
    pull left leaves a conflict, or git cannot say. One ``git rev-list`` and two ``git
    show`` per commit, one more per step walked. Raises
    :class:`~ai_protocols.errors.BoardStaleSave` as :func:`opened_before` does.
    docs/decisions.md, "Twenty-third round: a stale board save in the same pull as what
    it dropped"."""
    from ai_protocols.board.hidden import PULLS_WALKED, stale_merge, unlocked_since
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env
    from ai_protocols.session.transaction import git_version

    root = os.path.dirname(os.path.dirname(board))
    old, new, _before, after = pull
    try:
        commits = GitRun(["git", "-C", root, "rev-list", "--no-merges", "--full-history",
                          "--topo-order", f"--max-count={PULLS_WALKED}", f"{old}..{new}",
                          "--", below],
                         git_env(), None).wait().decode("ascii", "replace").split()
    except (GitFailed, OSError):
        return None
    for commit in commits:
        saved = git_version(root, f"{commit}:./{below}")
        parent = git_version(root, f"{commit}^:./{below}")
        if saved is None or parent is None or saved == parent or \
                unlocked_since(saved, parent) or reverted_to(root, commit, below):
            continue  # (a revert: a person's choice, no stale save)
        found = opened_before(board, kept, saved, f"{commit}^", parent, deleted_tells=False,
                              steps=_history_steps(root, below, f"{commit}^", parent))
        if found is None:
            continue
        if saved == after:
            return found[0], f"{commit}^"
        merged = stale_merge(saved, after, found[0], labels=(board, "saved", "then"))
        return None if merged is None or merged.conflicts else (merged.data, f"{commit}^")
    return None


def reverted_to(root: str, commit: str, below: str) -> bool:
    """Whether ``commit`` is a ``git revert`` that put back on the board (the file
    ``below``, from the top of the work tree ``root``) what the reverted commit changed
    there: its message holds git's line ``This reverts commit S``
    (:func:`~ai_protocols.session.cause.reverted_by`) and its board is ``S``'s parent's,
    or, with other changes made between ``S`` and the revert (a task added, the revert
    rebased over another clone's commits), it is the board's merge
    (:func:`~ai_protocols.board.merge.merge_board_bytes`) of its parent's board and
    ``S``'s parent's on ``S``'s board, as git's revert merges (git-revert(1)), holding
    every task and lock as that merge does (:func:`~ai_protocols.board.merge.
    tasks_lacking` both ways). A person's choice, committed (a release, a done, an
    unlock undone on purpose): no stale save, nothing to merge back or undo; every
    clone reads the board it left (docs/tasks.md, "A git revert of the board"). A
    revert committed in a person's own words (``git revert --no-commit``, then ``git
    commit -m MSG``) is known by its board alone
    (:func:`~ai_protocols.board.claim_history.undone_by`). The one rule of
    :func:`seen_dropped`, :func:`pulled_over` and :func:`head_reverted`. One ``git
    cat-file`` (two more without git's line); for a revert two ``git
    show``, two more when other changes came between; raises nothing."""
    from ai_protocols.board.claim_history import undone_by
    from ai_protocols.session.transaction import git_version

    reverted = undone_by(root, commit, below)
    if reverted is None:
        return False
    board = git_version(root, f"{commit}:./{below}")
    undone = git_version(root, f"{reverted}^:./{below}")
    if board is None or undone is None:
        return False
    if board == undone:
        return True
    from ai_protocols.board.merge import merge_board_bytes, tasks_lacking

    made, before = (git_version(root, f"{rev}:./{below}") for rev in (reverted, f"{commit}^"))
    if made is None or before is None or made == undone:
        return False  # (S did not change the board: its revert put nothing back there)
    merged = merge_board_bytes(made, before, undone)
    return merged is not None and not merged.conflicts and \
        tasks_lacking(board, merged.data) == 0 and tasks_lacking(merged.data, board) == 0


def opened_before_revert(root: str, since: str, upto: str, below: str, data: bytes,
                         newer: bytes) -> bytes | None:
    """The board before a ``git revert`` made on this clone's line since the tool's last
    write (among the newest :data:`~ai_protocols.board.hidden.PULLS_WALKED` commits of
    ``since..upto`` that changed the board ``below``: ``since`` the commit that write
    recorded, ``upto`` the commit a pull moved ``HEAD`` from; :func:`reverted_to`) when
    the board ``data`` holds a claim's or lock's record that revert took out and lacks
    what git brought since that board (``newer``: ``HEAD``'s board;
    :func:`~ai_protocols.session.entries_compared.brought_lacking`): a buffer opened
    before the revert, saved after the pull, whose claim the board before the pull
    (the revert's) would read as a person's edit. ``None`` when there is none: the other
    rules judge it (docs/decisions.md, "Twenty-eighth round: a clean pull after a local
    revert"). One ``git log``, then :func:`reverted_to`'s runs and one ``git show`` per
    revert; raises nothing."""
    from ai_protocols.board.claim_history import lock_records
    from ai_protocols.board.hidden import PULLS_WALKED
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.transaction import git_version

    held = _claim_records(data) | lock_records(data)
    for commit in _board_changes(root, since, upto, below, PULLS_WALKED):
        if not reverted_to(root, commit, below):
            continue
        before, after = (git_version(root, f"{rev}:./{below}") for rev in (f"{commit}^",
                                                                           commit))
        if before is None or after is None:
            continue
        taken = (_claim_records(before) | lock_records(before)) - \
            (_claim_records(after) | lock_records(after))
        if taken & held and brought_lacking(tasks_lacking, data, newer, (before,)) > 0:
            return before
    return None


def _board_changes(root: str, since: str | None, head: str, below: str,
                   most: int = 1) -> list[str]:
    """The newest ``most`` commits of ``since..head`` (``since`` ``None``: of
    ``head``'s history) that changed the file ``below``, newest first, as ``git log``
    finds them; ``[]`` when none did or git cannot say. One git run."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        out = GitRun(["git", "-C", root, "log", f"--max-count={most}", "--format=%H",
                      f"{since}..{head}" if since else head, "--", below],
                     git_env(), None).wait()
    except (GitFailed, OSError):
        return []
    return out.decode("ascii", "replace").split()


def head_reverted(board: str, kept: str, held: list[Task] | list[AreaLock]) -> list[bool]:
    """For each of ``held`` (tasks or locks as the board ``board`` holds them now, each
    a change of this tool's that the board lost: a release, a done, an unlock undone),
    whether a ``git revert`` that put the board back (:func:`reverted_to`) among the
    commits git brought or made since this tool's last write here (the write record's
    commit, :func:`read_record`; at most :data:`~ai_protocols.board.hidden.PULLS_WALKED`
    of those that changed the board, its kept copy ``kept``) brought it back: the
    revert's board holds it as it is now (:func:`_held_keys`: a lock's record, path and
    owner; a task's id, state, owner and claim record) and its parent's board does not.
    Then its loss is that revert's doing: the person's choice, not an undone end to redo
    (``Board.lost``, :func:`~ai_protocols.board.model.undone_ends`); a revert of another
    commit (a task added and taken back) is no such choice. Asked only when the board
    lost such an end. One ``git log``, and a ``git cat-file`` per commit (for a revert,
    two ``git show`` more, and two reads of the board); raises nothing."""
    from ai_protocols.board.hidden import PULLS_WALKED
    from ai_protocols.git.head import read_head
    from ai_protocols.session.transaction import git_version

    answers = [False] * len(held)
    root = os.path.dirname(os.path.dirname(board))
    head = read_head(root)
    recorded = read_record(kept)[0]
    if not held or head is None or not head[1] or recorded is None or recorded == head[1]:
        return answers
    below = os.path.relpath(board, root)
    wanted = [_held_keys([item])[0] for item in held]  # type: ignore[list-item]
    for commit in _board_changes(root, recorded, head[1], below, PULLS_WALKED):
        if not reverted_to(root, commit, below):
            continue
        now, then = (_version_keys(git_version(root, f"{rev}:./{below}"))
                     for rev in (commit, f"{commit}^"))
        answers = [known or (key in now and key not in then)
                   for known, key in zip(answers, wanted, strict=True)]
    return answers


def _held_keys(items: list[Task] | list[AreaLock]) -> list[tuple[object, ...]]:
    """What :func:`head_reverted` compares of each of ``items``: a lock's record
    (``LOCKED_AT``), path and owner; a task's id, state, owner and claim record."""
    from ai_protocols.board.board_file import Task

    return [("task", item.id, item.state, item.owner, item.claimed_at)
            if isinstance(item, Task) else ("lock", item.locked_at, item.path, item.owner)
            for item in items]


def _version_keys(data: bytes | None) -> set[tuple[object, ...]]:
    """:func:`_held_keys` of every task and lock of the board ``data`` (none when it is
    ``None`` or cannot be read)."""
    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import read_board

    if data is None:
        return set()
    try:
        tasks, locks = read_board(BoardFile(data.decode("utf-8")), check=False)
    except (UnicodeDecodeError, ValueError):
        return set()
    return set(_held_keys(tasks)) | set(_held_keys(locks))


def _history_steps(root: str, below: str, start: str, at_start: bytes
                   ) -> Iterator[tuple[bytes, bytes]]:
    """The steps of the board's history before the commit ``start`` (whose board is
    ``at_start``), newest first, as git's history tells them (``git log --first-parent``
    from ``start``: the commits that changed the board, each against its first parent,
    whatever clone made them), each ``(the board before, the board after)``, as
    :func:`_steps_back` gives this clone's reflog's. At most
    :data:`~ai_protocols.board.hidden.PULLS_WALKED`; ends at a board git cannot give.
    One ``git log``, then one ``git show`` per step, as the caller walks. Raises
    nothing."""
    from ai_protocols.board.hidden import PULLS_WALKED
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        commits = GitRun(["git", "-C", root, "log", "--first-parent", "--format=%H",
                          f"--max-count={PULLS_WALKED}", start, "--", below],
                         git_env(), None).wait().decode("ascii", "replace").split()
    except (GitFailed, OSError):
        return
    yield from _pairs(root, below, (f"{commit}^" for commit in commits), at_start)


def older_than_write(board: str, kept: str, data: bytes, since: str,
                     pulled: str | None = None, written: str | None = None
                     ) -> tuple[bytes, int, str] | None:
    """:func:`brought_back` of a save made after this tool wrote the board since the
    pull or merge that moved ``HEAD`` from ``since`` to ``pulled`` (``None``: ``HEAD``)
    (an agent's ``lock``, or the write that merged back an earlier stale save; one's
    own commits may have followed): the board ``data`` is from a buffer older than
    those writes when it lacks some of what they and one's own commits made since the
    pull (a task, a lock, a claim the kept copy holds and the board at ``pulled`` does
    not, a task it lacks whole counting as lacking a claim made on it since:
    :func:`_made`; writes that left nothing, a lock taken and given back, tell nothing
    either way), and when it also lacks every thing the pull brought (the board at
    ``pulled`` against the board at ``since``:
    :func:`~ai_protocols.session.entries_compared.brought_lacking`; one's own commits are
    not git's doing), it is merged three ways: base the board at ``since``, ours the
    board, theirs the kept copy; a buffer opened before what came before ``since`` too
    (the pulls before, one's own commits, the tool's writes between them: the boards
    they read, kept) is first merged up to the board at ``since`` on the version it was
    opened on (:func:`opened_before`). A buffer made after
    those writes holds them: the person's edit, deletions included, stands. A save
    with nothing typed in it, byte for byte the board at ``since``, at ``pulled``, or
    at a commit of the history of ``written`` (the commit the tool's last write
    recorded), is a buffer older than those writes (:func:`typed_nothing`). Runs git
    (two ``git show`` and a ``git log``, and one ``git show`` per earlier step walked)
    only when the board is not its kept copy. Raises
    :class:`~ai_protocols.errors.BoardStaleSave` as :func:`brought_back`."""
    from ai_protocols.board.model import board_bytes
    from ai_protocols.errors import AiProtocolsError

    try:
        older = board_bytes(kept)
    except AiProtocolsError:
        return None
    if older is None or older == data:
        return None
    from ai_protocols.board.hidden import stale_merge
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.entries_compared import brought_lacking
    from ai_protocols.session.transaction import git_version

    root = os.path.dirname(os.path.dirname(board))
    below = os.path.relpath(board, root)
    where = f"{pulled or 'HEAD'}:./{below}"
    newer = git_version(root, where)  # (the board as the pull left it)
    base = git_version(root, f"{since}:./{below}")
    if newer is None or base is None:
        return None
    from ai_protocols.git.history import in_history

    if data in (base, newer) or (written is not None and
                                 in_history(root, data, written, below)):
        # (nothing typed: the save is byte for byte a board git holds, before the
        # pull, as the pull left it, a commit's: a buffer older than the tool's writes
        # since; they stand)
        return typed_nothing(data, older, where)
    made, lacks = _made(newer, older, taken=False), _made(data, older)
    if base == newer or made is None or lacks is None or (made and not made & lacks):
        return None  # (it holds what the tool wrote since the pull: made after it; a
        # task it lacks whole counts as lacking a claim made on it since; writes that
        # left nothing (a lock taken and given back) tell nothing either way)
    lacking = brought_lacking(tasks_lacking, data, newer, (base,))
    if lacking <= 0:
        return None
    said = brought_said(data, newer, (base,), lacking)
    # (a buffer older than what came before the pull too: the save merged back first
    # on the board it was opened on, up to the board at since; the boards the tool's
    # writes read before the pull between the commits)
    reads = _reads(kept)
    while reads and _holds_some(reads[0], base, newer):
        del reads[0]  # (read after the pull)
    saved, earlier = data, opened_before(board, kept, data, since, base, reads)
    if earlier is not None:
        data, said = earlier[0], f"{said}; before that, {earlier[1]}"
    merged = stale_merge(base, data, older, labels=(board, since[:12], "kept"))
    if merged is None or merged.conflicts:
        refuse(board, kept, base, older, where, said, merged, held=kept,
               walked=(data, saved))
    return merged.data, lacking, told("git", said, where, typed=merged.data != older)


def typed_nothing(data: bytes, older: bytes, where: str) -> tuple[bytes, int, str] | None:
    """:func:`older_than_write` of a save with nothing typed in it: the board ``data``
    is byte for byte a version git holds from before the tool's last write (the board
    before the pull, as the pull left it, ``where``, or a board of the history of the
    commit that write recorded: :func:`~ai_protocols.git.state.in_history`), and the
    kept copy ``older`` (the tool's last write, made on what the pull brought) holds
    what it lacks: ``(older, how many tasks and locks it regained, what they are, said
    after "lacks what git brought": "or the tool wrote since, ...")``, as the merge of
    the save onto the kept copy on the save as base makes it. ``None`` when the kept
    copy holds nothing the save lacks (a write that only took something out). A
    person's deletion that gives back a version git holds byte for byte cannot be told
    from it: what was deleted comes back (docs/tasks.md). Raises nothing."""
    from ai_protocols.board.merge import tasks_lacking

    lacking = tasks_lacking(data, older)
    if lacking <= 0:
        return None
    said = brought_said(data, older, (data,), lacking)
    return older, lacking, told("both", said, where, typed=False)
