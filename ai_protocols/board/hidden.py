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
docs/tasks.md (a buffer saved after a pull); docs/decisions.md, "Issue 15,
twenty-second round (the board's stale saves that git's later moves hide)".
"""

from __future__ import annotations

__all__ = ["PULLS_WALKED", "board_pull", "brought_board"]

#: How many pulls (or merges) of ``HEAD``'s reflog :func:`board_pull` walks back over at
#: most, looking for one that changed the board: each costs at most one ``git show``.
PULLS_WALKED = 16


def board_pull(root: str, head: str, below: str) -> tuple[str, str, bytes, bytes] | None:
    """The newest pull or merge that ``HEAD`` (the commit ``head``, in the work tree
    ``root``) still holds the result of and that changed the board (the file ``below``,
    from the work tree's top): walking ``HEAD``'s reflog back over one's own commits and
    the pulls and merges since that left the board as it was
    (:func:`~ai_protocols.board.stale.pulls_back`, at most :data:`PULLS_WALKED`), ``(the
    commit HEAD named before it, the commit it moved to, the board before it, the board
    it left)``; when none of them changed it, the newest one's (what git brought is then
    nothing). ``None`` when there is none (a checkout, a reset or a rebase on the way,
    no reflog, a board git cannot give at one of them). One ``git show`` per board read,
    each commit's once (two for the newest pull, when it changed the board: the common
    case). Raises nothing."""
    from itertools import islice

    from ai_protocols.board.stale import pulls_back
    from ai_protocols.session.transaction import git_version

    boards: dict[str, bytes | None] = {}

    def at(commit: str) -> bytes | None:
        if commit not in boards:
            boards[commit] = git_version(root, f"{commit}:./{below}")
        return boards[commit]

    newest = None
    for old, new in islice(pulls_back(root, head), PULLS_WALKED):
        after, before = at(new), at(old)
        if after is None or before is None:
            break
        newest = newest or (old, new, before, after)
        if after != before:
            return old, new, before, after
    return newest


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
    from ai_protocols.board.merge import tasks_lacking
    from ai_protocols.session.transaction import brought_lacking

    if brought_lacking(tasks_lacking, head_board, pull[3], (pull[2],)) <= 0:
        return None
    return pull[3]
