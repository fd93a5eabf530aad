"""Claims and locks ``HEAD``'s history holds unended that the task board lacks: a
person took them off by hand (a commit that wrote no end of the tool's), in this clone
or another. Every clone holds them as lost, whatever its kept copy (``Board.lost``,
the PreToolUse hook), until ``task release ID --force`` / ``unlock PATH --force``
ends them. The answer for ``HEAD``'s board is kept per clone
(``.ai/.locks/live/tasks.org.unended``), so readers run git only once after ``HEAD``
moves. docs/tasks.md; docs/decisions.md, "Twenty-sixth round: the board across
clones".
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from ai_protocols.board.board_file import AreaLock, Task
    from ai_protocols.org.file import OrgFile

__all__ = ["UNENDED_WALKED", "operation_took", "still_unended", "unended"]

#: How many of the board's newest versions in ``HEAD``'s history :func:`unended` reads
#: (those of :func:`deleted_claim` and :func:`deleted_lock`).
UNENDED_WALKED = 8


def unended(board: str, data: bytes | None) -> OrgFile | None:
    """The claims and locks that ``HEAD``'s history holds unended and the board
    ``board`` (read as ``data``) lacks, as a small board of their own (their task
    subtrees, and the locks' in its Locks section, as the newest of ``HEAD``'s
    :data:`UNENDED_WALKED` newest boards holding them has them), or ``None`` when there
    are none: each one a commit took out (a person's hand deletion, here or in another
    clone) with no end of the tool's (:func:`~ai_protocols.board.model.
    ended_in_history`; nor a ``git revert`` of the commit that made it:
    :func:`~ai_protocols.board.claim_history.reverted_out`), whose record
    (``CLAIMED_AT``, ``LOCKED_AT``) ``data`` does not hold (an end item naming it,
    written since, ends it). The one source of what every
    clone, whatever its kept copy, holds as lost (``Board.lost``: shown, enforced, put
    back by a write while its holder is at work; the PreToolUse hook); the way out is
    ``task release ID --force`` / ``unlock PATH --force``.

    Cheap to ask: the answer for ``HEAD``'s board is kept per clone beside the kept copy
    (``tasks.org.unended``, never in git), its first line naming the commit ``HEAD``
    was at, then the claim and lock records it was judged with (carried over one's own
    commits while the board, the tool's last write, still holds them all: :func:`_carried`);
    git runs (a ``git log``, a ``git cat-file --batch``, a ``git log -S`` per
    claim or lock a version holds that ``HEAD``'s board does not) only when ``HEAD``
    moved since. ``HEAD``'s board's own live claims and locks are in the answer too
    (B1 of the twenty-seventh round's review): one the board lacks with no end item is a
    hand deletion not committed yet, held as in every other clone; not while a git
    operation is stopped (``git revert``, merge, cherry-pick, rebase: the board is
    git's; each such record is left out, the older ones still held:
    :func:`operation_took`). Reads git's files; raises nothing (``None`` when git
    cannot say)."""
    import os

    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.git.head import read_head
    from ai_protocols.paths import kept_board_path
    from ai_protocols.storage import files as storage

    root = os.path.dirname(os.path.dirname(board))
    head = read_head(root)
    if head is None or not head[1]:
        return None
    kept = kept_board_path(board)
    key = f"# ai-protocols: claims and locks (own too) HEAD {head[1]} holds unended".encode()
    try:
        found: bytes | None = storage.read_regular(f"{kept}.unended")
    except (OSError, storage.NotRegular):
        found = None
    if found is None or not found.startswith(key + b"\n"):
        from ai_protocols.board.stale_record import _scratch

        found = _carried(root, head[1], kept, data, found, key)
        if found is None:
            body, at_head, own = _unended_of(root, board)
            found = _kept_answer(key, [*_records(at_head or b""), *_records(data or b"")],
                                 body, own)
        _scratch(kept, "unended", found)
    body = _parts(found)[2]
    if not body:
        return None
    lacking = {record for record in _records(body) if data is None or record not in data}
    if not lacking:
        return None
    own = lacking & set(_head_records(found))
    if own:  # (a merge, revert, cherry-pick or rebase stopped: what it took out of
        # HEAD's board is that operation's, not held; the older ones are held still)
        taken = operation_took(board, [record.decode("utf-8", "replace") for record in own])
        if taken:
            if lacking <= {record.encode() for record in taken}:
                return None
            found = found[:len(found) - len(body)] + _without(body, taken)
    return BoardFile(found.decode("utf-8", "replace"))


def operation_took(board: str, records: list[str], *, brought: bool = False) -> set[str]:
    """Of ``records`` (the ``CLAIMED_AT`` and ``LOCKED_AT`` values of claims and locks
    the board ``board`` lacks), those ``HEAD``'s board holds (a property line's) while
    a git operation is under way: a merge, rebase, cherry-pick or revert stopped on a
    conflict, or a ``git revert --no-commit`` not committed yet
    (:func:`~ai_protocols.git.head.merging`). ``brought``: of ``records`` of claims and
    locks the board holds again that this tool had ended, those ``HEAD``'s board lacks
    (a stopped revert of a release or an unlock brought them back). The board is in the
    operation's hands until it is committed: what it took out of ``HEAD``'s board or
    brought back onto it, or a person changed during it, is its own, in every clone,
    whatever the clone's kept copy: not held, nothing put back or ended again by a
    write made during it (which would go into the operation's result: a revert undone
    by the tool). Once committed, the commit is judged as any other (a revert of the
    commit that made a claim ends it: ``claim_history.reverted_out``; a merge that took
    out a live claim with no end is a hand deletion, held). The one rule of
    ``Board.lost``, :func:`unended` and the PreToolUse hook (docs/decisions.md,
    "Twenty-eighth round: the board's git acts"). A few ``stat`` calls when none is
    under way; one ``git show`` when one is; raises nothing."""
    import os

    from ai_protocols.git.head import merging

    root = os.path.dirname(os.path.dirname(board))
    if not records or not merging(root):
        return set()
    from ai_protocols.session.transaction import git_version

    at_head = git_version(root, f"HEAD:./{os.path.relpath(board, root)}")
    held = set(_records(at_head)) if at_head is not None else set()
    return {record for record in records if (record.encode() in held) != brought}


def _without(body: bytes, records: set[str]) -> bytes:
    """:func:`unended`'s small board ``body`` without the claims and locks whose records
    are ``records`` (:func:`operation_took`'s)."""
    from ai_protocols.board.board_file import BoardFile, Task
    from ai_protocols.board.board_read import read_board

    doc = BoardFile(body.decode("utf-8", "replace"))
    try:
        tasks, locks = read_board(doc, check=False)
    except ValueError:
        return body
    items: list[tuple[Task | AreaLock, list[str]]] = [
        (item, _bare_lines(doc, item.line - 1, doc.find(item.line - 1).subtree_end))
        for item in [*locks, *tasks]
        if ((item.claimed_at if isinstance(item, Task) else item.locked_at) or "")
        not in records]
    return _small_board(items)


def _carried(root: str, head: str, kept: str, data: bytes | None, found: bytes | None,
             key: bytes) -> bytes | None:
    """:func:`unended`'s kept answer ``found`` under the key ``key`` of ``head``, when
    it still holds without git: ``HEAD`` came to ``head`` from the commit it names by
    commits of one's own only (``HEAD``'s reflog,
    :func:`~ai_protocols.board.stale_record.committed_onto`: git brought nothing), the
    board ``data`` is this tool's last write here (the kept copy ``kept``'s bytes), and
    it still holds every claim and lock record the answer was judged with (its ``held``
    lines: the records of ``HEAD``'s board then and of the boards it was carried over
    since): those commits took none of them out. A record gone (a claim a person deleted
    by hand, a tool's write over it and a commit since; a release) is judged again, by
    git, as every clone judges it. ``None`` otherwise. Reads the reflog's end and the
    kept copy; no process; raises nothing."""
    if found is None or data is None or not found.startswith(key[:key.rindex(b"HEAD ")]):
        return None
    line, held, body = _parts(found)
    if any(record not in data for record in held):
        return None
    from ai_protocols.board.stale_record import committed_onto
    from ai_protocols.storage import files as storage

    try:
        if storage.read_regular(kept) != data:
            return None
    except (OSError, storage.NotRegular):
        return None
    was = line.rsplit(b"HEAD ", 1)[-1].split(b" ", 1)[0].decode("ascii", "replace")
    return _kept_answer(key, [*held, *_records(data)], body, _head_records(found)) \
        if committed_onto(root, head, was) else None


#: How :func:`unended`'s kept answer names each claim and lock record it was judged with
#: (one line each, after its first).
_HELD = b"# held: "


#: How it names each record of ``HEAD``'s board's own live claims and locks in its body
#: (after the :data:`_HELD` lines): held as lost only while no git operation is under way.
_HEAD = b"# head: "


def _kept_answer(key: bytes, held: list[bytes], body: bytes, head: list[bytes] | None = None
                 ) -> bytes:
    """:func:`unended`'s kept answer: the line ``key``, a :data:`_HELD` line for each of
    the records ``held`` (once each, in order), a :data:`_HEAD` line for each of
    ``head`` (the records of ``HEAD``'s board's own live claims and locks in the body),
    and the small board ``body``."""
    return key + b"\n" + b"".join(_HELD + record + b"\n" for record in dict.fromkeys(held)
                                   ) + b"".join(_HEAD + record + b"\n"
                                                for record in dict.fromkeys(head or [])) + body


def _parts(found: bytes) -> tuple[bytes, list[bytes], bytes]:
    """The kept answer ``found`` (:func:`_kept_answer`) as its first line, its records
    and its small board (empty: none)."""
    line, _, rest = found.partition(b"\n")
    held = []
    while rest.startswith(_HELD):
        record, _, rest = rest.partition(b"\n")
        held.append(record[len(_HELD):])
    while rest.startswith(_HEAD):
        rest = rest.partition(b"\n")[2]
    return line, held, rest


def _head_records(found: bytes) -> list[bytes]:
    """The :data:`_HEAD` records of the kept answer ``found`` (:func:`_kept_answer`)."""
    rest = found.partition(b"\n")[2]
    while rest.startswith(_HELD):
        rest = rest.partition(b"\n")[2]
    head = []
    while rest.startswith(_HEAD):
        record, _, rest = rest.partition(b"\n")
        head.append(record[len(_HEAD):])
    return head


def still_unended(source: OrgFile, data: bytes, tasks: list[Task], locks: list[AreaLock],
                  had: set[str | None]) -> tuple[list[Task], list[AreaLock]]:
    """The claims and locks of :func:`unended`'s board ``source`` that hold on the board
    ``data`` (read as ``tasks`` and ``locks``) beside what the caller holds already
    (``had``: records, ``CLAIMED_AT`` and ``LOCKED_AT`` values, of the kept copy's
    lost ones): a claim of a task the board holds open and unclaimed, a lock no lock on
    the board overlaps (another agent's) or covers the same path of; neither's record
    on the board (an end item naming it: ended), nor a claim the step from ``source``
    to ``data`` ended (:func:`~ai_protocols.board.model.ended_since`: a release not
    committed yet). The holders' liveness is the
    caller's to judge. The one rule of ``Board.lost`` and the PreToolUse hook. Raises
    :class:`ValueError` as reading a board does."""
    from ai_protocols.board.board_file import overlap
    from ai_protocols.board.board_read import read_board
    from ai_protocols.board.claim_history import ended_since

    old_tasks, old_locks = read_board(source, check=False)
    by_id = {t.id: t for t in tasks if t.id}
    before = source.text.encode("utf-8")
    claims = [old for old in old_tasks
              if old.claimed_at not in had and old.claimed_at and
              old.claimed_at.encode() not in data and (now := by_id.get(old.id)) is not None
              and now.is_open and not now.owner and not ended_since(data, before, old)]
    held = [lock for lock in old_locks
            if lock.locked_at not in had and lock.locked_at and
            lock.locked_at.encode() not in data and not any(
                overlap(h.path, lock.path) and (h.owner != lock.owner or h.path == lock.path)
                for h in locks)]
    return claims, held


def _records(text: bytes) -> list[bytes]:
    """The ``CLAIMED_AT`` and ``LOCKED_AT`` values of the property lines of ``text``."""
    return [line.split(b":", 2)[2].strip() for line in text.splitlines()
            if line.strip().startswith((b":CLAIMED_AT:", b":LOCKED_AT:"))]


def _unended_of(root: str, board: str) -> tuple[bytes, bytes | None, list[bytes]]:
    """:func:`unended`'s board, without its first line, for ``HEAD``'s board (empty:
    none), ``HEAD``'s board (``None``: none), and the records of ``HEAD``'s board's own
    live claims and locks in it. Git runs as it says."""
    import os

    from ai_protocols.board.board_file import BoardFile, Task
    from ai_protocols.board.board_read import read_board
    from ai_protocols.board.claim_history import ended_in_history
    from ai_protocols.git.history import history_versions
    from ai_protocols.session.transaction import git_version

    below = os.path.relpath(board, root)
    at_head = git_version(root, f"HEAD:./{below}")
    if at_head is None:
        return b"", None, []
    try:  # (a claim of a task HEAD's board has not open and unclaimed holds on no board)
        head_doc = BoardFile(at_head.decode("utf-8"))
        head_tasks, head_locks = read_board(head_doc, check=False)
    except (UnicodeDecodeError, ValueError):
        return b"", at_head, []
    free = {t.id for t in head_tasks if t.id and t.is_open and not t.owner}
    # (HEAD's board's own live claims and locks: a board on disk lacking one with no end
    # item is a hand deletion not committed yet, held as every other clone holds it)
    live = _live_of(head_doc, head_tasks, head_locks)
    own = [((item.claimed_at if isinstance(item, Task) else item.locked_at) or "").encode()
           for item, _ in live]
    seen: set[str] = set()
    claims: list[tuple[Task, list[str]]] = []
    locks: list[tuple[AreaLock, list[str]]] = []
    for version in history_versions(root, below, ["HEAD"], limit=UNENDED_WALKED):
        try:
            doc = BoardFile(version.decode("utf-8"))
            tasks, held = read_board(doc, check=False)
        except (UnicodeDecodeError, ValueError):
            continue
        for task in tasks:
            if not task.id or not task.owner or task.id in seen:
                continue  # (the newest version holding the task claimed decides)
            seen.add(task.id)
            if task.is_open and task.claimed_at and task.id in free and \
                    task.claimed_at.encode() not in at_head:
                top = doc.find(task.line - 1)
                claims.append((task, _bare_lines(doc, task.line - 1, top.subtree_end)))
        for lock in held:
            if lock.locked_at and f"LOCKED_AT {lock.locked_at}" not in seen and \
                    lock.locked_at.encode() not in at_head:
                seen.add(f"LOCKED_AT {lock.locked_at}")
                top = doc.find(lock.line - 1)
                locks.append((lock, _bare_lines(doc, lock.line - 1, top.subtree_end)))
    items: list[Task | AreaLock] = [t for t, _ in claims] + [h for h, _ in locks]
    if not items:
        return _small_board(live), at_head, own
    # (ended: an end of the tool's, or a git revert of the commit that made it, a
    # person's choice; not of one that only put back a claim deleted by hand before it)
    ended = ended_in_history(board, items)  # type: ignore[arg-type]
    kept = [pair for pair, out in zip(claims + locks, ended, strict=True)  # type: ignore[operator]
            if not out]
    return _small_board(kept + live), at_head, own


def _live_of(doc: OrgFile, tasks: list[Task], locks: list[AreaLock]
             ) -> list[tuple[Task | AreaLock, list[str]]]:
    """The live claims (open, owned, with a ``CLAIMED_AT`` record) and the locks (with
    a ``LOCKED_AT`` record) of the board ``doc`` (read as ``tasks`` and ``locks``) that
    this tool wrote for an agent (an owner that is an agent id: a person's hand-written
    claim is the person's to remove, ``Board._persons_removal``), each with its
    subtree's lines, for :func:`_small_board`."""
    from ai_protocols.board.board_input import owner_problem

    found: list[tuple[Task | AreaLock, list[str]]] = []
    for lock in locks:
        if lock.locked_at and lock.owner and owner_problem(lock.owner) is None:
            found.append((lock, _bare_lines(doc, lock.line - 1,
                                            doc.find(lock.line - 1).subtree_end)))
    for task in tasks:
        if task.id and task.is_open and task.owner and task.claimed_at and \
                owner_problem(task.owner) is None:
            found.append((task, _bare_lines(doc, task.line - 1,
                                            doc.find(task.line - 1).subtree_end)))
    return found


def _small_board(items: list[tuple[Task | AreaLock, list[str]]]) -> bytes:
    """:func:`unended`'s small board of ``items`` (each with its subtree's lines): the
    locks in its Locks section, then the tasks; empty when there are none."""
    from ai_protocols.board.board_file import TODO_LINE, Task

    if not items:
        return b""
    text = [TODO_LINE, "* Locks", ":PROPERTIES:", ":CUSTOM_ID: locks", ":END:"]
    text += [line for item, lines in items if not isinstance(item, Task) for line in lines]
    text += [line for item, lines in items if isinstance(item, Task) for line in lines]
    return ("\n".join(text) + "\n").encode("utf-8")


def _bare_lines(doc: OrgFile, start: int, end: int) -> list[str]:
    """The lines ``start`` to ``end`` of ``doc``, without their line ends."""
    return [line.rstrip("\r\n") for line in doc.lines[start:end]]
