"""The mark a restore leaves in the worktree it made (``RESTORING`` while it runs,
``RESTORED_MARK`` after): which checkpoint a worktree was restored from
(:func:`restored_commit`), where a checkpoint was restored already (:func:`restored_at`),
and the words ``resume`` says of it (:func:`restored_said`).

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.lean import display, shell_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


#: The reason a restore's new worktree is locked with while the restore is under way
#: (git-worktree(1) ``add --lock --reason``): one still locked so is one a restore of
#: ours stopped half way left.
RESTORING = "ai-protocols checkpoint restore under way"

#: The file a whole restore leaves in its new worktree's own git folder (never in its
#: files): a worktree without it is one a restore stopped half way left.
RESTORED_MARK = "ai-protocols-restored"


def _restored_mark(target: Path, make: str | None = None) -> bool:
    """Whether the linked worktree at ``target`` holds :data:`RESTORED_MARK` in its git
    folder (gitrepository-layout(5): its ``.git`` file names it); ``make``: write it,
    naming the commit of the checkpoint restored there (``restored COMMIT``: what
    :func:`restored_at` reads; a mark written before the twenty-first round of issue 14
    says ``restored`` alone)."""
    mark = _mark_path(str(target))
    if mark is None:
        return False
    if make is not None:
        with open(mark, "w", encoding="ascii") as out:
            out.write(f"restored {make}\n")
        return True
    return os.path.exists(mark)


def _mark_path(target: str) -> str | None:
    """Where the linked worktree whose top is ``target`` keeps :data:`RESTORED_MARK`
    (its own git folder); ``None`` when ``target`` is no such worktree's top. Reads
    git's files only (:func:`~ai_protocols.paths.git_dirs`)."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(target)
    if dirs is None or os.path.realpath(dirs[0]) != os.path.realpath(target):
        return None
    return os.path.join(dirs[1], RESTORED_MARK)


def restored_commit(target: str) -> str | None:
    """The commit of the checkpoint a restore put into the worktree whose top is
    ``target`` (its :data:`RESTORED_MARK`, written by a whole restore); ``None`` when no
    restore made it, or one before the mark named the commit. A ``stat`` and a read."""
    mark = _mark_path(target)
    if mark is None:
        return None
    try:
        with open(mark, encoding="ascii", errors="replace") as source:
            words = source.read(200).split()
    except OSError:
        return None
    return words[1] if len(words) == 2 and words[0] == "restored" else None


def restored_at(root: str, commit: str) -> str | None:
    """The top folder of a worktree of the repository around ``root``, other than the
    one around ``root``, that ``checkpoint restore`` made of the checkpoint whose commit
    ``commit`` names (a hash of 4 digits or more): the work is there already, as
    uncommitted changes (issue 14, twenty-first round: ``resume`` repeated "restore it
    with", and the restore pasted again was refused); ``None`` when none is (or git
    cannot say). One git run (``git worktree list --porcelain -z``, git-worktree(1)),
    and a read of each worktree's mark: call on a warning's path only."""
    from ai_protocols.git.history import other_worktrees

    commit = commit.lower()
    for path, _, _ in other_worktrees(root):
        made = restored_commit(path)
        if made is not None and len(commit) >= 4 and made.startswith(commit):
            return path
    return None


def restored_said(it: str, where: str, short: str, root: str, force: bool = True) -> str:
    """What advice says of a checkpoint (``it``, ``short`` its hash) that a restore put
    into the worktree ``where`` already (:func:`restored_at`), instead of the restore
    command again, which would be refused (that folder exists): the one rule of
    ``resume``'s warning and of :meth:`Whereabouts.say`. Its work is there, without the
    session (whose file is here); ``force``: what brings its files beside the session,
    ``ai-protocols checkpoint restore HASH --force`` from ``root`` (it refuses, changing
    nothing, when it would overwrite uncommitted work here); ``force`` false, that command
    is left out: some of its files are here as it has them, or changed since (the caller
    says how to take back only what is missing), or ``HEAD`` is not where the session
    was recorded (the caller says where the work is first)."""
    there = shell_quote(where)
    said = (f"{it} is restored already, in the worktree {display(where)} (a checkpoint "
            f"restore made it: its work is there, as uncommitted changes on the commit "
            f"{it} was taken on, but not this session, whose file is here; see it with git "
            f"-C {there} status)")
    if not force:
        return said
    return (f"{said}; bring its files here, beside the session, with: ai-protocols "
            f"checkpoint restore {short} --force (from {root}; it writes the checkpoint's "
            f"files into this work tree, leaving HEAD, the branch and the index as they "
            f"are, and refuses, changing nothing, when that would overwrite uncommitted work "
            f"here; git worktree remove --force {there} then removes that worktree, with "
            f"anything done there since)")
