"""Claims and locks in git's history of the board: when a claim or lock ended (released,
done, unlocked) here or in another clone, the ended locks' record, a task renamed or
retyped since, the claims lost to git. Split out of :mod:`ai_protocols.board.model`,
which re-exports every name.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.board.board_file import (
    AreaLock,
    BoardFile,
    Task,
    board_value,
    holder_name,
    read_value,
)
from ai_protocols.board.board_read import (
    _CLAIM_ENDS,
    UNLOCKED_BY,
    log_items,
    named_ends,
    named_unlocks,
    own_log,
    read_board,
    unlock_records,
)
from ai_protocols.lean import pattern
from ai_protocols.org.syntax import parse_timestamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ai_protocols.org.file import OrgFile
    from ai_protocols.org.syntax import Entry


#: The log item of a task whose id a person changed (``Board._same_again``), that two
#: clones each gave an id (the merge's ``_adopt_ids``) or each changed to another (the
#: merge's ``_one_id``: the smaller kept), or whose change by hand a merge kept over a
#: later note that said otherwise (``_id_said``): the id it was, the id it has.
RETYPED = pattern(r"- \[[^]]*\] its id was (?:also )?(\S+) \((?:changed by hand to|"
                  r"(?:given|changed by hand) in another clone; a merge kept|"
                  r"a merge kept the change by hand to) (\S+)\): the same task$")

#: The log item of a task whose id git put back after a person had changed it
#: (``Board._same_again``): the id it has again, the id the person had typed.
PUT_BACK = pattern(r"- \[[^]]*\] its id is (\S+) again: git put back an older board \(it had "
                   r"been changed by hand to (\S+)\)$")


def renamed_to(doc: OrgFile, wanted: str, tasks: list[Task] | None = None) -> list[Task]:
    """The tasks of ``doc`` (read as ``tasks``) whose log says the id ``wanted`` (the
    whole id, or an end of it, as ``find_task`` reads one) was theirs and the id they
    have now is another: a person changed it (:data:`RETYPED`), two clones each gave
    one (the merge's note, :data:`RETYPED` too), or git put back the id a person had
    changed (:data:`PUT_BACK`): followed from its latest note back through the ids its
    notes say it had (a note whose id it has is one of those ids: two clones' ids a
    merge made one, an id changed twice), never through a note of an id it never had.
    The one rule that follows an id through such changes, for a command's id and a
    session's linked task alike (:func:`current_task`)."""
    found = []
    for task in tasks if tasks is not None else read_board(doc, check=False)[0]:
        had = {task.id}
        for text in reversed(own_log(doc, task.line)):
            match = RETYPED.match(text.strip())
            if match and match.group(2) in had:
                was = match.group(1)
            else:
                match = PUT_BACK.match(text.strip())
                if not (match and match.group(1) in had):
                    continue
                was = match.group(2)
            if was != task.id and (was == wanted or was.endswith(wanted)):
                found.append(task)
                break
            had.add(was)
    return found


def current_task(doc: OrgFile, tasks: list[Task], wanted: str,
                 linked_at: datetime | None = None) -> Task | None:
    """The task of ``tasks`` (read from ``doc``) whose id is ``wanted``, else the one
    task whose log says it was (:func:`renamed_to`, followed through a chain of such
    changes); ``None`` when none, or more than one, is. A session's link: the one rule
    of "the same task" (the notes the identity rule writes) before the bare id: when
    the task that has ``wanted`` got it by a change (its log's latest id note: ``its id
    was W (changed by hand to wanted)``, two ids swapped) and one other task's log says
    it had ``wanted``, a link made before that note (``linked_at``, the minute of the
    session's link, the note's minute included; ``None``: not known, taken as before)
    meant the other task, which is returned; a link made in a later minute meant the
    task with the id."""
    seen = {wanted}
    while True:
        exact = [t for t in tasks if t.id == wanted]
        if len(exact) == 1:
            came = _id_came(doc, exact[0])
            if came is not None and (linked_at is None or linked_at <= came):
                found = [t for t in renamed_to(doc, wanted, tasks) if t is not exact[0]]
                if len(found) == 1 and found[0].id:
                    return found[0]
        if exact:
            return exact[0] if len(exact) == 1 else None
        found = renamed_to(doc, wanted, tasks)
        if len(found) != 1 or found[0].id in seen or not found[0].id:
            return found[0] if len(found) == 1 else None
        wanted = found[0].id
        seen.add(wanted)


def linked_since(log: list[Entry], wanted: str) -> datetime | None:
    """When a session linked itself to the task ``wanted``: the time of the latest item
    of its Log (``log``) that ``start``/``log --task`` wrote for it (``task: ID
    TITLE``); ``None`` without one (:func:`current_task`'s ``linked_at``)."""
    for entry in reversed(log):
        if entry.text == f"task: {wanted}" or entry.text.startswith(f"task: {wanted} "):
            return entry.time
    return None


_NOTE_STAMP = pattern(r"- (\[[^]]*\])")  # (a log item's time stamp)


def _id_came(doc: OrgFile, task: Task) -> datetime | None:
    """When the task's id came to it by a change from another id, as its log's latest
    id note says (:data:`RETYPED`: a person's change, noted; the note's minute), else
    ``None``."""
    for text in reversed(own_log(doc, task.line)):
        match = RETYPED.match(text.strip())
        if match is None:
            continue
        if match.group(2) != task.id or match.group(1) == task.id:
            return None
        stamp = _NOTE_STAMP.match(text.strip())
        return parse_timestamp(stamp.group(1)) if stamp else None
    return None


def lost_claims(old_tasks: list[Task], doc: OrgFile | None,
                tasks: list[Task], same: dict[str, Task] | None = None,
                moved: frozenset[str] | set[str] = frozenset(),
                board: str | None = None,
                deleted: list[Task] | None = None,
                kept: OrgFile | None = None) -> list[tuple[Task, bool]]:
    """The open claims of ``old_tasks`` (the board's kept copy) that the board on disk
    (``doc``, read as ``tasks``; ``None``: there is none) no longer holds, each with
    whether its task is gone from it: its task gone, or open and unclaimed on disk.
    Not when the claim's record (``OWNER``, ``CLAIMED``) is still on its task (a person
    closed and reopened it in Emacs) or the task is still on the board at another level
    (a person demoted it), or its id is in ``moved`` (the ids the board's Org archive
    holds: a person archived it): changed on purpose, not taken away by git. ``same``:
    the task on disk, by the kept copy's id, that is that task though a person deleted
    or retyped its ``:ID:`` line (``Board.same_tasks``): judged as that task. Whose agent
    is still at work is not judged here (``Board.lost`` does).

    Not either, given the ``board``'s path, when the board on disk is no older board
    but a newer one git brought (a pull, a merge, a rebase: a release, hand-off or
    ``done`` made in another clone): a commit of ``HEAD``'s history took the claim's
    ``CLAIMED_AT`` out of the board (:func:`changed_in_history`; git runs only then, in
    this rare case). A claim never committed cannot have been ended elsewhere: a newer
    log on its task (a merge's note) does not make the board that lost it newer. Given
    ``deleted``, each claim left out so whose whole task is gone from the board (deleted
    in another clone) is appended to it, for the readers to say so. ``kept``: the kept
    copy ``old_tasks`` were read from (its logs: :func:`ended_elsewhere`)."""
    same = same or {}
    by_id = {t.id: t for t in tasks if t.id}
    # Every headline's own properties, by ID.
    records = {h.properties.get("ID"): h.properties for h in doc.headlines
               if h.properties.get("ID")} if doc is not None else {}
    found = []
    for old in old_tasks:
        if not (old.id and old.owner and old.is_open) or old.id in moved:
            continue
        now = same.get(old.id) or by_id.get(old.id)  # (ids swapped: ``same`` decides)
        if now is not None and (now.owner or not now.is_open):
            continue
        record = records.get(old.id) if now is None or now.id == old.id else now.properties
        if record is not None and (now is None or (
                read_value(record.get("OWNER")) == old.owner and
                record.get("CLAIMED") == old.properties.get("CLAIMED"))):
            continue
        found.append((old, now is None, now))
    if board is not None and found:
        removed = ended_elsewhere(board, doc, [old for old, _, _ in found],
                                  [now for _, _, now in found], kept)
        if deleted is not None:
            deleted += [old for (old, gone, _), out in zip(found, removed, strict=True)
                        if out and gone]
        return [(old, gone) for (old, gone, _), out in zip(found, removed, strict=True)
                if not out]
    return [(old, gone) for old, gone, _ in found]


#: The reason a stale save's merge back gives for a claim it dropped because the save
#: closed the task (board/hidden.py, ``in_buffer``), where a git merge says "on the other
#: side".
CLOSED_IN_BUFFER = "made while the task was closed in an editor's buffer opened before it"


def _has_more(there: list[str], kept: list[str]) -> bool:
    """Whether ``there`` holds a line (counted as many times as it is there) that
    ``kept`` lacks."""
    rest = list(kept)
    for text in there:
        if text not in rest:
            return True
        rest.remove(text)
    return False


def ending_commands(paths: list[str], ids: list[str], most: int = 3) -> list[str]:
    """The commands, quoted as a person pastes them, that end for good the locks on
    ``paths`` (``'ai-protocols unlock PATH --force'``) and the claims of the tasks
    ``ids`` (``'ai-protocols task release ID --force'``), at most ``most`` of each: an
    edit that takes a live agent's lock or claim off the board is put back (lost) or
    merged back (a stale save: the two cannot be told apart), so these are what works.
    The one text of that advice (the lost ones' warning, a stale save's). Raises
    nothing."""
    from ai_protocols.lean import shell_quote

    return [f"'ai-protocols unlock {shell_quote(path)} --force'" for path in paths[:most]] + \
        [f"'ai-protocols task release {shell_quote(ident)} --force'" for ident in ids[:most]]


def release_record(me: str, task: Task) -> str:
    """The text of the item ``task release ID --force`` writes into the log of ``task``
    whose claim (its record ``CLAIMED_AT``, owner ``OWNER``, as ``HEAD``'s history held
    it: :func:`~ai_protocols.board.hidden.deleted_claim`) a person deleted by hand: a
    ``released by`` item (:data:`_CLAIM_ENDS`) that names the record, as ``unlock``'s
    item names a lock's (:func:`unlock_item`), so that every clone reads the claim as
    ended by its text alone (:func:`named_ends`), whatever step took the record out."""
    return (f"released by {me}, who was not its holder: {holder_name(task.owner)}'s claim "
            f"had been deleted by hand (CLAIMED_AT {task.claimed_at})")


def unlock_item(me: str, lock: AreaLock) -> str:
    """The text of the item ``unlock`` writes into the Locks section's own text for
    ``lock`` (:data:`UNLOCKED_BY`), made inert where the item is written."""
    record = f"LOCKED_AT {lock.locked_at}" if lock.locked_at else "no LOCKED_AT"
    return f"{UNLOCKED_BY}{me}: {lock.path}, {lock.owner or '(no owner)'}'s lock ({record})"


def unlocks_since(board: bytes, before: bytes) -> set[bytes]:
    """The records (``LOCKED_AT`` values, as bytes) of the locks ``before`` holds and
    ``board`` does not that an item ``unlock`` wrote in ``board`` and not in ``before``
    names: the locks that the step from ``before`` to ``board`` ended by ``unlock``
    (:func:`~ai_protocols.board.hidden.unlocked_since`; and, for the commit of git's
    history that took a lock out, :func:`ended_in_history`: a person may delete the
    inert item later). Linear in the lines; raises nothing."""
    ended = lock_records(before) - lock_records(board)
    said = f"] {UNLOCKED_BY}".encode()
    known = set(before.splitlines())
    return {named for named in (
        line.strip().rsplit(b"(LOCKED_AT ", 1)[-1][:-1].strip()
        for line in board.splitlines()
        if line not in known and said in line and line.strip().endswith(b")"))
        if named in ended} if ended else set()


def lock_records(data: bytes) -> set[bytes]:
    """The records (``LOCKED_AT`` values, as bytes) of the locks the board ``data``
    holds: each ``:LOCKED_AT:`` property line's value. Linear in the lines; raises
    nothing."""
    return {line.strip().split(b":", 2)[2].strip() for line in data.splitlines()
            if line.strip().startswith(b":LOCKED_AT:")}


def ended_elsewhere(board: str, doc: OrgFile | None, held: list[Task] | list[AreaLock],
                    nows: list[Task | None] | None = None,
                    kept: OrgFile | None = None) -> list[bool]:
    """For each of ``held`` (claims of the kept copy's tasks, or locks, that the board on
    disk ``doc`` at ``board`` lacks; ``nows``: each claim's task on that board, ``None``
    when it is gone; ``kept``: the kept copy the claims were read from), whether that
    is an end made by ai-protocols elsewhere (in another clone, or a work tree's
    branch, and brought by git), not a loss (the one rule of every reader:
    ``Board.lost``, ``check``, the PreToolUse hook). One rule for both kinds: the step
    from a board that held it to one that lacks it wrote the tool's record of its end
    (:func:`ended_since`):

    - the step from the kept copy ``kept`` to the board on disk, for a claim with its
      record (``CLAIMED_AT``) whose task is on the board (its log there holds more of
      the tool's items ending a claim than the kept copy's: no clock is read, so the
      zones of the clones that wrote them do not count); for a lock with its record
      (``LOCKED_AT``), the Locks section's own text holds the item every ``unlock``
      writes naming that record (:func:`unlock_item`);
    - else (that record deleted since: a person tidying the log or the section), the
      commit of ``HEAD``'s history that took the claim's or lock's record out
      (:func:`ended_in_history`: git runs only then);
    - any other (a task gone from the board, a claim or lock written by hand without
      its record): when a commit of ``HEAD``'s history took it out
      (:func:`changed_in_history`: git runs only then).

    So an edit that took a live agent's claim or lock out of a copy of the board (an
    editor, an agent's edit tool), merged or fast-forwarded with its branch, is no end:
    the claim or lock is lost, still enforced and put back while its agent is at work
    (docs/tasks.md, "A newer board git brought is kept"). Raises nothing."""
    nows = nows if nows is not None else [None] * len(held)
    unlocked = {record.locked_at for record in unlock_records(doc)} if doc is not None \
        else set()
    answers: list[bool | None] = []
    for item, now in zip(held, nows, strict=True):
        if isinstance(item, Task) and item.claimed_at and now is not None and \
                doc is not None and now.line:
            answers.append(True if item.claimed_at.encode() in named_ends(
                "\n".join(log_items(doc, now.line)).encode()) or (
                kept is not None and item.line and _claim_ends_between(
                    doc, now.line, kept, item.line)) else None)
        elif isinstance(item, AreaLock) and item.locked_at:
            answers.append(True if item.locked_at in unlocked else None)
        else:
            answers.append(None)
    recorded = [item for item, now, answer in zip(held, nows, answers, strict=True)
                if answer is None and _record_of(item) and
                (isinstance(item, AreaLock) or now is not None)]
    rest = [item for item, answer in zip(held, answers, strict=True)
            if answer is None and item not in recorded]
    ends = iter(ended_in_history(board, recorded) if recorded else [])
    history = iter(changed_in_history(board, rest) if rest else [])  # type: ignore[arg-type]
    return [answer if answer is not None else
            next(ends) if item in recorded else next(history)
            for item, answer in zip(held, answers, strict=True)]


def _claim_ends(doc: OrgFile, line: int) -> list[str]:
    """The tool's items ending a claim (:data:`_CLAIM_ENDS`), as written, in the log of
    the task on ``line`` (from 1) of ``doc``."""
    return [item for item in log_items(doc, line)
            if item.split("] ", 1)[-1].startswith(_CLAIM_ENDS)]


def _claim_ends_between(after: OrgFile, line: int, before: OrgFile, was: int) -> bool:
    """Whether the log of the task on ``line`` of ``after`` holds an item ending a claim
    (counted as many times as it is there) that the task's log on ``was`` of ``before``
    lacks: the step from ``before`` (which held the claim) to ``after`` wrote one.
    Order and stamps are not read (an item's Org stamp is its writer's local time,
    without a zone: docs/decisions.md, "a claim's end, in history and across
    zones")."""
    return _has_more(_claim_ends(after, line), _claim_ends(before, was))


def ended_since(after: bytes, before: bytes, held: Task | AreaLock) -> bool:
    """Whether the step from the board ``before`` (which holds ``held``'s record) to the
    board ``after`` ended ``held`` by ai-protocols: it took the record out and wrote
    the tool's record of the end. For a lock, the item ``unlock`` writes naming its
    ``LOCKED_AT`` (:func:`unlocks_since`); for a claim, its task (by ``ID``) is on
    both, with its ``CLAIMED_AT`` before and not after, and its log gained an item
    ending a claim (``released by``, ``handed off by``, ``done by``...:
    :func:`_claim_ends_between`).
    The one rule of a claim's or lock's end in a step of git's history
    (:func:`ended_in_history`) and from the kept copy (:func:`ended_elsewhere`).
    Raises nothing (boards that cannot be read: ``False``)."""
    if isinstance(held, AreaLock):
        return (held.locked_at or "").encode() in unlocks_since(after, before)
    if not held.id:
        return False
    try:
        docs = [BoardFile(data.decode("utf-8")) for data in (after, before)]
        now, was = (next((t for t in read_board(d, check=False)[0] if t.id == held.id), None)
                    for d in docs)
    except (UnicodeDecodeError, ValueError):
        return False
    return now is not None and was is not None and was.claimed_at == held.claimed_at and \
        now.claimed_at != held.claimed_at and \
        _claim_ends_between(docs[0], now.line, docs[1], was.line)


def ended_in_history(board: str, held: list[Task] | list[AreaLock]) -> list[bool]:
    """For each of ``held`` (claims or locks, each with its record: ``CLAIMED_AT``,
    ``LOCKED_AT``), one the board at ``board`` lacks and whose end the board does not
    tell (the tool's record of it deleted since: a person tidying a log or the Locks
    section), whether the newest commit of ``HEAD``'s history that changed how often
    the board holds its record's property (``CLAIMED_AT: R``, ``LOCKED_AT: R``, found
    by :func:`~ai_protocols.git.state.recorded_in_history`: the commit that took it
    out) ended it against its parent (:func:`ended_since`, the one rule): an end made
    elsewhere and brought by git; or that commit is a ``git revert`` of the commit that
    made it (:func:`reverted_out`: a person's end, made in this clone or another,
    whatever this clone's kept copy holds). One a stale save or a person's edit took
    out (that commit writes no such record), or one ``HEAD``'s board still holds, is no
    end: ``False``; so without git. Git's order, not the stamps' wall-clock times,
    decides. Git runs: one ``git log`` per item, two reads of the board per commit
    found (and :func:`reverted_out`'s runs); only for what a board lost (docs/tasks.md,
    "A newer board git brought is kept")."""
    from ai_protocols.git.history import file_at, recorded_in_history

    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    answers = []
    for item in held:
        name = "CLAIMED_AT" if isinstance(item, Task) else "LOCKED_AT"
        record = _record_of(item)
        commit = recorded_in_history(root, path, f"{name}: {record}") if record else None
        after = file_at(root, commit, path) if commit else None
        before = file_at(root, f"{commit}^", path) if after is not None else None
        answers.append((before is not None and after is not None and
                        ended_since(after, before, item)) or
                       (bool(record) and _named_in_history(root, path, record,
                                                           isinstance(item, AreaLock))) or
                       (commit is not None and reverted_out(root, path, commit, after, before,
                                                            f"{name}: {record}")))
    return answers


def reverted_out(root: str, path: str, commit: str, after: bytes | None,
                 before: bytes | None, line: str) -> bool:
    """Whether ``commit`` (its board ``path``, from the work tree ``root``'s top, is
    ``after``; its parent's, ``before``) took out the claim or lock whose property line
    holds ``line`` (``CLAIMED_AT: R``, ``LOCKED_AT: R``) as a ``git revert``
    (:func:`undone_by`: git's "This reverts commit S" line, or a board put back whole)
    of the very commit ``S`` that made it (:func:`made_by`): a person's git act that
    ends the claim or lock, in every clone, in the one that holds it in its kept copy
    too (docs/decisions.md, "Twenty-eighth round: the board's git acts"). What the
    revert took out is ``S``'s own, whatever else git merged or the person settled in
    it. A revert of a commit that only put back a claim deleted by hand before it
    returns to the hand deletion: no end. The one rule of a revert's end for every
    reader and writer (:func:`ended_in_history`). :func:`undone_by`'s and
    :func:`made_by`'s git runs, only for a commit that took it out; raises nothing."""
    if after is None or before is None or line.encode() in after or \
            line.encode() not in before:
        return False
    return made_by(root, undone_by(root, commit, path), path, line)


def made_by(root: str, commit: str | None, path: str, line: str) -> bool:
    """Whether ``commit`` (``None``: not known) made the claim or lock whose property
    line holds ``line`` (``CLAIMED_AT: R``) on the board ``path`` (from the work tree
    ``root``'s top): no commit of its parent's history holds it. A commit that put back
    one made before it (a tool's write over a hand deletion, B2 of the twenty-seventh
    round's review) did not: a revert of it returns to the hand deletion, which stays
    unended. One ``git log -S``; raises nothing."""
    from ai_protocols.git.history import recorded_in_history

    return commit is not None and recorded_in_history(root, path, line, f"{commit}^") is None


def _named_in_history(root: str, path: str, record: str, lock: bool = False) -> bool:
    """Whether ``HEAD``'s history ended the claim whose ``CLAIMED_AT`` is ``record`` by
    the item :func:`release_record` (``task release ID --force`` of a claim a person
    deleted by hand: the commit that took the record out wrote no end), or (``lock``)
    the lock whose ``LOCKED_AT`` it is by ``unlock``'s item (:func:`named_unlocks`):
    the newest
    commit that changed how often the board holds ``(CLAIMED_AT R)`` (added the item,
    or a person's tidying took it out: its parent then holds it) holds, or its parent
    holds, such an item naming it (:func:`named_ends`). A ``git revert`` of the commit
    that wrote the item, which took it out, is no tidying: it undid the end, a person's
    choice (:func:`reverted_end`), and the claim or lock holds again. One ``git log``,
    up to two reads (a ``git cat-file`` and two more for a commit that took it out);
    raises nothing."""
    from ai_protocols.git.history import file_at, recorded_in_history

    commit = recorded_in_history(root, path, f"({'LOCKED' if lock else 'CLAIMED'}_AT {record})")
    if commit is None:
        return False
    after, before = file_at(root, commit, path), file_at(root, f"{commit}^", path)
    if _names_end(after, record, lock):
        return True
    return _names_end(before, record, lock) and not reverted_end(root, path, commit, record,
                                                                 lock)


def _names_end(data: bytes | None, record: str, lock: bool) -> bool:
    """Whether the board ``data`` holds the tool's item that ends the claim (``lock``:
    the lock) whose record is ``record`` (:func:`named_ends`, :func:`named_unlocks`)."""
    return data is not None and record.encode() in (
        named_unlocks(data) if lock else named_ends(data))


#: How many of the newest board commits before a commit :func:`undone_by` looks at for
#: the one whose parent's board that commit put back (as many as the pulls walked,
#: :data:`~ai_protocols.board.hidden.PULLS_WALKED`).
UNDONE_WALKED = 16


def undone_by(root: str, commit: str, below: str) -> str | None:
    """The commit ``S`` that ``commit`` undoes on the board (the file ``below``, from the
    work tree ``root``'s top): the one its message names by git's line ``This reverts
    commit S`` (:func:`~ai_protocols.session.cause.reverted_by`), or, with no such line
    (``git revert --no-commit`` then ``git commit -m MSG``, ``git checkout S^ --
    FILE`` committed), the newest of the :data:`UNDONE_WALKED`
    newest commits of ``commit^``'s history that changed the board whose parent's board
    is byte for byte ``commit``'s: a version put back whole, a person's git act (a
    save with nothing typed cannot be told from it and stands too: docs/decisions.md,
    "Twenty-seventh round: a stale save over a pull that removed an entry"). ``None``
    when neither. The one reading of a revert for :func:`reverted_end` and
    :func:`~ai_protocols.board.stale_history.reverted_to`. One ``git cat-file``;
    without git's line, two more (``git log``, ``git cat-file --batch``), and, when
    ``commit``'s board is an older version, one ``git log`` and a read per commit
    walked; raises nothing."""
    from ai_protocols.git.history import board_commits, file_at, history_versions
    from ai_protocols.session.cause import reverted_by

    reverted = reverted_by(root, commit)
    if reverted is not None:
        return reverted
    board = file_at(root, commit, below)
    older = history_versions(root, below, [f"{commit}^"], limit=UNDONE_WALKED)
    if board is None or board not in older[1:]:
        return None  # (commit^'s own board first: a commit that changed it is not that)
    for step in board_commits(root, f"{commit}^", below, UNDONE_WALKED):
        if file_at(root, f"{step}^", below) == board:
            return step
    return None


def reverted_end(root: str, path: str, commit: str, record: str, lock: bool = False) -> bool:
    """Whether ``commit`` is a ``git revert`` (its message's ``This reverts commit S``,
    or its board ``S``'s parent's: :func:`undone_by`)
    of the very commit ``S`` that wrote
    the item ending the claim (``lock``: the lock) whose record is ``record`` (``S``'s
    board ``path``, from the work tree ``root``'s top, names it and ``S``'s parent's does
    not): the end undone by a person's git act, not a log tidied. The runs of
    :func:`undone_by` and, for a revert, two reads;
    raises nothing."""
    from ai_protocols.git.history import file_at

    reverted = undone_by(root, commit, path)
    return reverted is not None and \
        _names_end(file_at(root, reverted, path), record, lock) and \
        not _names_end(file_at(root, f"{reverted}^", path), record, lock)


def changed_in_history(board: str, held: list[Task] | list[AreaLock]) -> list[bool]:
    """For each of ``held`` (claims of the kept copy's tasks, or locks), whether a commit
    of ``HEAD``'s history took it off the board at ``board`` while ``HEAD``'s board lacks
    it: an end made in another clone and brought by git (a pull, a merge, a rebase),
    which stays; not an older board put back (``git stash``, ``checkout``, ``reset``, a
    branch switch). Known by its record (a claim's ``CLAIMED_AT``, a lock's
    ``LOCKED_AT``: made once, each unique:
    :func:`~ai_protocols.git.state.removed_in_history`); one a person wrote by hand
    without it, by what it is (:func:`~ai_protocols.git.state.held_in_history`): a claim,
    its task's ``ID`` with the same ``OWNER`` and ``CLAIMED``; a lock, its ``PATH`` with
    the same ``OWNER`` and ``LOCKED``; the commits looked at are those that changed how
    often the board names its owner. All ``False`` without git. Runs git: only for the
    claims and locks a board lost."""
    from ai_protocols.git.history import held_in_history, removed_in_history

    if not held:
        return []
    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    records = [_record_of(item) for item in held]
    removed = removed_in_history(root, path, [record for record in records if record])
    return [(record in removed) if record else
            bool(item.owner) and held_in_history(root, path, board_value(item.owner) or "",
                                                 _holder_of(item))
            for item, record in zip(held, records, strict=True)]


def on_other_branch(board: str, held: list[Task] | list[AreaLock]) -> list[str | None]:
    """For each of ``held`` (claims of the kept copy's tasks that the board at ``board``
    lost; locks are judged so too when given), the local branch other than ``HEAD``'s
    whose tip's board holds it, committed (its record, ``CLAIMED_AT`` or ``LOCKED_AT``:
    :func:`~ai_protocols.git.state.held_on_branches`), else ``None``. One a branch holds
    was taken away by a switch off that branch: it is that branch's (its task is there,
    with it), not put back on this branch's board (docs/tasks.md, "When git puts an older
    board back"). All ``None`` without git or a record. Runs git: only for what a board
    lost."""
    from ai_protocols.git.history import held_on_branches

    records = [_record_of(item) for item in held]
    if not any(records):
        return [None] * len(held)
    root = os.path.dirname(os.path.dirname(board))
    path = f"{os.path.basename(os.path.dirname(board))}/{os.path.basename(board)}"
    where = held_on_branches(root, path, [r for r in records if r])
    return [where.get(r) if r else None for r in records]


def _record_of(item: Task | AreaLock) -> str:
    """A claim's ``CLAIMED_AT`` or a lock's ``LOCKED_AT``; ``""`` when it has none."""
    return (item.claimed_at if isinstance(item, Task) else item.locked_at) or ""


def _holder_of(item: Task | AreaLock) -> Callable[[str], bool]:
    """What tells whether a version of the board (its text) holds ``item``, a claim or
    lock without its record: a task of ``item``'s ``ID`` with its ``OWNER`` and
    ``CLAIMED`` (as written); a lock on its ``PATH`` with its ``OWNER`` and ``LOCKED``."""
    def holds(text: str) -> bool:
        try:
            tasks, locks = read_board(BoardFile(text), check=False)
        except ValueError:
            return False
        if isinstance(item, Task):
            return any(t.id == item.id and t.owner == item.owner and
                       t.properties.get("CLAIMED") == item.properties.get("CLAIMED")
                       for t in tasks)
        return any(h.path == item.path and h.owner == item.owner and h.locked == item.locked
                   for h in locks)

    return holds


def undone_ends(old_doc: OrgFile, old_tasks: list[Task], doc: OrgFile | None,
                tasks: list[Task], same: dict[str, Task] | None = None) -> list[Task]:
    """The tasks of the kept copy (``old_doc``, read as ``old_tasks``) whose last change
    by this tool to their claim or state the board on disk (``doc``, read as ``tasks``)
    lost: on disk the task holds a claim that stands (open, with an ``OWNER``) which the
    kept copy's task does not (it was closed, released, handed off or taken over since),
    or it is open, unclaimed, where the kept copy's is closed (a ``task done`` of a task
    nobody claimed), and the task on disk is an older version of the kept copy's: every
    item of its log (:func:`log_items`: the tool's own items; a note a person typed
    under it in the stale buffer, timestamped or not, is no item) is in the kept copy's, which has
    more (the log items of that change).
    So ``git checkout``/``stash``/``reset``, or an editor's buffer opened before the
    change and saved after it, undid a ``task done``, ``release``, ``handoff`` or a
    takeover. A person's change in Emacs after the tool's write (a task reopened)
    keeps the tool's log lines: not counted. ``same``: as for :func:`lost_claims`.
    Returns the kept copy's tasks."""
    if doc is None:
        return []
    same = same or {}
    by_id = {t.id: t for t in tasks if t.id}
    found = []
    for old in old_tasks:
        now = same.get(old.id) if old.id else None  # (ids swapped: ``same`` decides)
        now = now or (by_id.get(old.id) if old.id else None)
        if now is None or not now.is_open or not (now.owner or not old.is_open):
            continue  # (open on disk: claimed, or unclaimed where the kept copy closed it)
        if old.is_open and old.owner == now.owner and \
                old.properties.get("CLAIMED") == now.properties.get("CLAIMED") and \
                old.claimed_at == now.claimed_at:
            continue  # the same claim on both
        kept, there = log_items(old_doc, old.line), log_items(doc, now.line)
        if len(kept) > len(there) and not _has_more(there, kept):
            found.append(old)
    return found
