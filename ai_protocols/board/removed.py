"""A board gone from disk that ai-protocols wrote: whether it comes back whole.

Every write of the board keeps a copy of it, per machine, in
``.ai/.locks/live/tasks.org`` (git ignores that folder, so ``git clean -fd``,
``git stash -u`` and ``rm .ai/tasks.org`` leave it). When the board itself is gone,
what took it decides what comes back (docs/tasks.md, "A board gone from disk";
docs/decisions.md, "Issue 15, twentieth round (the board's file and git)"):

- a commit or checkout git made: ``HEAD``'s commit lacks the board, and the commit
  ``HEAD`` named at the tool's last write (the write record beside the kept copy,
  ``board/stale.py``), or one ``HEAD`` left since (its reflog), held it: a branch
  switch, a ``git checkout`` of an older commit, ``git reset --hard``, or a commit
  that removed it. That is the user's git history;
  only the live claims and locks are held and put back (``board/board.py``);
- anything else (``rm``, ``git clean -fd`` or ``git stash -u`` of a board never
  committed, ``git rm`` not committed): the board comes back whole from the kept
  copy, every task and every byte a person typed in it, as the readers show it before
  the write (:func:`comes_back_whole`).

Only read when the board is missing (a ``stat``), so no hot path pays for it.
"""

from __future__ import annotations

import os

__all__ = ["base_path", "comes_back_whole", "git_removed", "keep_base", "stash_pop_steps"]

#: How many commits ``HEAD`` left since the board's last write are asked whether they
#: held the board (one ``git cat-file`` each, the newest first), and how many bytes of
#: the end of ``HEAD``'s reflog are read to find them.
_ASKED, _REFLOG_READ = 8, 16384

def _where(board: str) -> tuple[str, str, str] | None:
    """The board's work tree top, its git folder and the board's path from the top
    (``/``-separated); ``None`` outside git."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(os.path.dirname(os.path.dirname(board)))
    if dirs is None:
        return None
    relative = os.path.relpath(board, dirs[0]).replace(os.sep, "/")
    return dirs[0], dirs[1], relative


def git_removed(board: str, kept: str) -> bool:
    """Whether git's own history says a commit or checkout took the board ``board`` away
    (a path; ``kept``: its kept copy): ``HEAD``'s commit lacks the board, and the commit
    ``HEAD`` named at the board's last write (the write record,
    :func:`~ai_protocols.board.stale.read_record`) or one ``HEAD`` left since (its
    reflog, ``logs/HEAD``, back to that commit: at most :data:`_ASKED` of them) held it:
    a commit or checkout made since (a branch switch, ``git checkout`` of an older
    commit, ``git reset --hard``, a commit that removed it) took it. ``False`` outside
    git, or when none of them held the board (never committed: ``rm``, ``git clean``,
    ``git stash -u``). At most ``2 + _ASKED`` git runs; only for a board gone from disk."""
    from ai_protocols.board.stale_record import read_record
    from ai_protocols.git.head import reflog_moves
    from ai_protocols.git.history import file_at

    where = _where(board)
    if where is None:
        return False
    top, git_dir, relative = where
    if file_at(top, "HEAD", relative) is not None:
        return False  # (HEAD holds it: removed from the work tree, not by a commit)
    recorded = read_record(kept)[0]
    left = [recorded] if recorded else []
    for old, _, _ in reversed(reflog_moves(os.path.join(git_dir, "logs", "HEAD"),
                                           _REFLOG_READ) or []):
        if old == recorded or len(left) > _ASKED:
            break  # (HEAD was there at the last write: what it left since is all read)
        if old.strip("0") and old not in left:
            left.append(old)
    return any(file_at(top, old, relative) is not None for old in left)


def comes_back_whole(board: str, kept: str) -> bytes | None:
    """The kept copy's bytes (``kept``) when the board ``board`` is gone from disk and
    comes back whole from it (the module's rule: not :func:`git_removed`); ``None``
    when the board is there, there is no kept copy (or an empty one), or git took the
    board. A ``stat`` when the board is there."""
    if os.path.lexists(board):
        return None
    from ai_protocols.board.board_file import kept_board_bytes

    copy = kept_board_bytes(kept)
    if not copy or git_removed(board, kept):
        return None
    return copy


def base_path(kept: str) -> str:
    """Where the version a board came back whole from is kept (per machine, beside the
    kept copy: ``.ai/.locks/live/tasks.org.removed``): the common base of the board
    written back and a stash's board, for :func:`stash_pop_steps`."""
    return kept + ".removed"


def keep_base(kept: str, copy: bytes) -> None:
    """Keep ``copy`` (the kept copy's bytes the board came back whole from) in
    :func:`base_path`, atomically. Raises what a write raises."""
    from ai_protocols.storage import files as storage

    storage.atomic_write(base_path(kept), copy)


def stash_pop_steps(board: str, kept: str) -> str | None:
    """The commands that bring back what ``git stash -u`` took once the board is here
    again, losing neither board: git's newest stash entry holds the board as an
    untracked file (its third parent, git-stash(1) "Discussion"), and ``git stash pop``
    refuses to write it over the one here ("already exists, no checkout"). When the
    board here is the stash's, it is removed before the pop; else it is moved aside,
    the pop puts the stash's back, and the board's merge driver merges the one set aside
    into it against the version the board came back from (:func:`base_path`; without
    it, the one set aside is put back over the stash's: it holds everything
    ai-protocols wrote). ``None`` when the stash does not hold the board (or there is
    no stash, no git). Paths as git names them, from the work tree's top; one or two
    git runs."""
    from ai_protocols.git.head import has_stash
    from ai_protocols.git.history import blob_id, stash_untracked_blobs
    from ai_protocols.lean import shell_quote

    where = _where(board)
    if where is None or not has_stash(where[0]):
        return None
    top, _, relative = where
    blob = stash_untracked_blobs(top).get(relative)
    if blob is None:
        return None
    here = shell_quote(relative)
    try:
        with open(board, "rb") as handle:
            same = blob_id(handle.read(), blob) == blob
    except OSError:
        return None
    if same:
        return f"rm -f -- {here} && git stash pop"
    aside = shell_quote(relative + ".before-pop")
    base = base_path(kept)
    if not os.path.isfile(base):
        return f"mv -- {here} {aside} && git stash pop && mv -f -- {aside} {here}"
    from ai_protocols.git.driver import tool_command

    shown = shell_quote(os.path.relpath(base, top).replace(os.sep, "/"))
    return (f"mv -- {here} {aside} && git stash pop && {tool_command()} merge-driver "
            f"{shown} {here} {aside} {here} && rm -- {aside}")
