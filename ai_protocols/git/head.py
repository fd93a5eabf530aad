"""The branch and commit a work tree's ``HEAD`` names, read from its files, without git.

``log`` runs many times a session and records the branch and last commit when
they change: spawning ``git`` each time would cost more than the rest of the
command. So this reads what git itself reads (source: gitrepository-layout(5)
and git-worktree(1)):

- ``.git`` is the repository folder, or a file ``gitdir: PATH`` (a linked
  worktree, a submodule) naming it, relative to the work tree;
- ``HEAD`` there is ``ref: refs/heads/NAME`` (a branch) or a commit's hash
  (a detached ``HEAD``);
- a linked worktree's refs are in the common folder its ``commondir`` file
  names; a ref is a file of that name holding a hash (or another ``ref:``),
  else a line ``HASH NAME`` of ``packed-refs`` (lines starting ``#`` or ``^``
  are not refs).

What cannot be read this way (the reftable ref storage of git 2.45, an
unreadable file) gives ``None``: nothing is recorded rather than a guess.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # (no hot command imports typing or collections, as paths.py)
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "BROUGHT",
    "OWN_COMMIT",
    "below_own_commits",
    "branch_name",
    "branch_text",
    "has_stash",
    "merging",
    "moves_back",
    "operation",
    "pulled_from",
    "pulls_back",
    "read_head",
    "rebase_merged",
    "reflog_moves",
    "stopped_from",
]

_HEX = frozenset("0123456789abcdef")
#: Symbolic refs followed at most (git stops at 5 too: ``MAXDEPTH`` in refs.c).
_DEPTH = 5


def _read(path: str, limit: int = 4096) -> str | None:
    try:
        with open(path, "rb") as file:
            # (a byte that is not UTF-8, in a branch's name or a path, kept: PEP 383)
            return file.read(limit).decode("utf-8", "surrogateescape")
    except OSError:
        return None


def _git_dir(start: str) -> str | None:
    """The repository folder of the work tree around ``start``: the first ``.git``
    upwards (a folder, or a ``gitdir:`` file)."""
    folder = os.path.abspath(start)
    while True:
        dot = os.path.join(folder, ".git")
        if os.path.isdir(dot):
            return dot
        if os.path.isfile(dot):
            text = _read(dot) or ""
            if not text.startswith("gitdir:"):
                return None
            target = text[len("gitdir:"):].strip()
            return os.path.normpath(os.path.join(folder, target))
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _is_hash(text: str) -> bool:
    return len(text) in (40, 64) and _HEX.issuperset(text)


def _resolve(git_dir: str, common: str, ref: str) -> str | None:
    """The commit ``ref`` (``refs/heads/main``) names; ``None`` when it names none yet
    (an unborn branch) or cannot be read."""
    for _ in range(_DEPTH):
        text = None
        for base in (git_dir, common):  # a worktree's own refs first (HEAD, bisect...)
            text = _read(os.path.join(base, *ref.split("/")))
            if text is not None:
                break
        if text is None:
            packed = _read(os.path.join(common, "packed-refs"), 1 << 24) or ""
            for line in packed.splitlines():
                if line[:1] in ("#", "^"):
                    continue
                value, _, name = line.partition(" ")
                if name.strip() == ref and _is_hash(value):
                    return value
            return None
        text = text.strip()
        if text.startswith("ref:"):
            ref = text[4:].strip()
            continue
        return text if _is_hash(text) else None
    return None


def branch_text(name: str | None) -> str | None:
    """A branch's name as the session file records it and the read commands compare and
    show it: as it is when it is UTF-8; else each byte that is not (carried as a lone
    surrogate, PEP 383: :func:`read_head` and git's output read so) as ``\\xNN``. git's
    names never hold a backslash (git-check-ref-format(1)), so no other name reads the
    same; the Org file stays UTF-8 and the name is compared as the bytes it is."""
    if name is None or name.isascii():
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def branch_name(text: str | None) -> str | None:
    """The branch name :func:`branch_text` recorded as ``text``, back as git's own (each
    ``\\xNN`` its byte, carried as a lone surrogate, PEP 383), to give git or a shell
    command: git's names never hold a backslash, so every ``\\xNN`` is one of its."""
    if text is None or "\\x" not in text:
        return text
    raw, out, at = text.encode("utf-8"), bytearray(), 0
    while at < len(raw):
        if raw[at:at + 2] == b"\\x" and at + 4 <= len(raw):
            try:
                out.append(int(raw[at + 2:at + 4], 16))
                at += 4
                continue
            except ValueError:
                pass
        out.append(raw[at])
        at += 1
    return out.decode("utf-8", "surrogateescape")


def read_head(root: str | os.PathLike[str]) -> tuple[str | None, str | None] | None:
    """``(branch, commit)`` of the work tree around ``root``, read from the files (see
    the module): ``branch`` is ``None`` on a detached ``HEAD`` (its name without
    ``refs/heads/`` otherwise), ``commit`` the full hash, ``None`` before the first
    commit. ``None`` when ``root`` is in no git work tree, or its refs cannot be read
    this way. Runs no process and changes nothing."""
    git_dir = _git_dir(os.fspath(root))
    if git_dir is None:
        return None
    head = _read(os.path.join(git_dir, "HEAD"))
    if head is None:
        return None
    head = head.strip()
    common = git_dir
    pointer = _read(os.path.join(git_dir, "commondir"))
    if pointer is not None and pointer.strip():
        common = os.path.normpath(os.path.join(git_dir, pointer.strip()))
    if os.path.isdir(os.path.join(common, "reftable")):
        return None  # (refs/heads holds a stub there: nothing true to read)
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
        return branch, _resolve(git_dir, common, ref)
    return (None, head) if _is_hash(head) else None


def has_stash(start: str | os.PathLike[str]) -> bool:
    """Whether the repository of the work tree around ``start`` has a stash
    (``refs/stash``, what ``git stash list`` lists, git-stash(1)), read from its files
    as :func:`read_head` reads refs: a ``stat`` or two, no process. ``False`` outside
    git, or where the refs cannot be read this way (reftable). The one test of a stash
    (issue 14, eleventh round): the hot path's, the errors' and ``resume``'s advice."""
    git_dir = _git_dir(os.fspath(start))
    if git_dir is None:
        return False
    common = git_dir
    pointer = _read(os.path.join(git_dir, "commondir"))
    if pointer is not None and pointer.strip():
        common = os.path.normpath(os.path.join(git_dir, pointer.strip()))
    if os.path.lexists(os.path.join(common, "refs", "stash")):
        return True
    return os.path.lexists(os.path.join(common, "packed-refs")) and \
        _resolve(git_dir, common, "refs/stash") is not None


#: What git leaves in a repository folder while a merge, a cherry-pick, a revert or a
#: rebase stops on a conflict (gitrepository-layout(5); git-rebase(1): ``rebase-merge/``
#: and ``rebase-apply/``; ``git merge --squash``: ``SQUASH_MSG``; ``git status`` reads
#: the same names).
_UNDER_WAY = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "REBASE_HEAD", "rebase-merge",
              "rebase-apply", "SQUASH_MSG")


def merging(start: str | os.PathLike[str]) -> bool:
    """Whether the repository of the work tree around ``start`` (a folder) is in the
    middle of a merge, cherry-pick, revert or rebase: one of the names git leaves there
    until the operation ends is present (:data:`_UNDER_WAY`; a linked worktree's own
    folder holds them). Only then can git's index hold a file unmerged, so only then is
    ``git ls-files -u`` worth a process. A few ``stat`` calls; ``False`` outside git."""
    git_dir = _git_dir(os.fspath(start))
    return git_dir is not None and any(os.path.lexists(os.path.join(git_dir, name))
                                       for name in _UNDER_WAY)


#: The git operation each name git leaves in a repository folder says is under way, in
#: the order they are looked for (gitrepository-layout(5); git-rebase(1): ``rebase-merge/``
#: and ``rebase-apply/``, the latter also ``git am``'s, which marks it with ``applying``;
#: git-cherry-pick(1) and git-revert(1): ``sequencer/`` while a series is not done;
#: git-bisect(1): ``BISECT_LOG``; ``git status`` reads the same names).
_OPERATIONS = (("rebase-merge", "rebase"), ("rebase-apply/applying", "am"),
               ("rebase-apply", "rebase"), ("MERGE_HEAD", "merge"),
               ("CHERRY_PICK_HEAD", "cherry-pick"), ("REVERT_HEAD", "revert"),
               ("sequencer", "cherry-pick"), ("BISECT_LOG", "bisect"))


#: What :func:`ai_protocols.session.replaced.stash_back` says when it gives the
#: procedure of a git operation under way (a bisect, a rebase...): the warning of that
#: operation is then not given again (here, not there: the readers that look for it,
#: ``resume`` among them, need not import the transaction).
OPERATION_SAID = "is under way: end it first"


def operation(start: str | os.PathLike[str]) -> str | None:
    """The git operation under way in the repository of the work tree around ``start``
    (a folder): ``"rebase"``, ``"am"``, ``"merge"``, ``"cherry-pick"``, ``"revert"`` or
    ``"bisect"``, as git names the command that goes on with it (``git rebase
    --continue``, ``git bisect good``...); ``None`` when none is, or outside git. A
    series of reverts (``sequencer/``, its ``todo`` starting with ``revert``) is
    ``"revert"``. A few ``stat`` calls (:data:`_OPERATIONS`); runs no process."""
    git_dir = _git_dir(os.fspath(start))
    if git_dir is None:
        return None
    for name, what in _OPERATIONS:
        if os.path.lexists(os.path.join(git_dir, name)):
            if name == "sequencer":
                todo = _read(os.path.join(git_dir, "sequencer", "todo")) or ""
                return "revert" if todo.lstrip().startswith("revert") else what
            return what
    return None


def stopped_from(start: str | os.PathLike[str]) -> tuple[str, str] | None:
    """The commit ``HEAD`` named before the merge, rebase, cherry-pick, revert or ``am``
    under way in the repository
    of the work tree around ``start`` (a folder) stopped (:func:`operation`: a ``git
    pull`` or ``git pull --rebase`` stopped on a conflict, a ``git merge``, a ``git
    rebase``), and the commit it brings: for a merge, ``HEAD`` itself (git moves it only
    at the merge's commit) and ``MERGE_HEAD``; for a rebase, the branch's commit before
    it and the one it goes onto (``rebase-merge/`` or ``rebase-apply/``, ``orig-head``
    and ``onto``, git-rebase(1)); for a ``git cherry-pick`` or ``git revert`` stopped on
    a conflict, ``HEAD`` (git moves it only at the pick's commit) and the commit picked
    or reverted (``CHERRY_PICK_HEAD``, ``REVERT_HEAD``: git-cherry-pick(1),
    git-revert(1)); for a ``git am`` stopped (``rebase-apply/applying``), ``HEAD`` and
    ``""`` (a patch brings no commit). ``None`` when none is under way, or it cannot be
    read. A few ``stat`` calls and small reads; no process."""
    what = operation(start)
    git_dir = _git_dir(os.fspath(start)) or ""
    if what == "merge":
        head = read_head(start)
        other = (_read(os.path.join(git_dir, "MERGE_HEAD")) or "").split()
        return (head[1], other[0]) if head is not None and head[1] and other and \
            _is_hash(other[0]) else None
    if what in ("cherry-pick", "revert"):  # (stopped on a conflict: its ``*_HEAD``)
        head = read_head(start)
        name = "CHERRY_PICK_HEAD" if what == "cherry-pick" else "REVERT_HEAD"
        other = (_read(os.path.join(git_dir, name)) or "").split()
        return (head[1], other[0]) if head is not None and head[1] and other and \
            _is_hash(other[0]) else None
    if what == "am":  # (a patch, no commit: what it brings is the index alone)
        head = read_head(start)
        return (head[1], "") if head is not None and head[1] else None
    if what != "rebase":
        return None
    for folder in ("rebase-merge", "rebase-apply"):
        before, onto = ((_read(os.path.join(git_dir, folder, name)) or "").strip()
                        for name in ("orig-head", "onto"))
        if _is_hash(before) and _is_hash(onto):
            return before, onto
    return None


def rebase_merged(start: str | os.PathLike[str]) -> str | None:
    """Whether git's merges of files in the repository around ``start`` (a folder) were
    a rebase's, for a message that names what merged: ``"under way"`` while a rebase is
    (:func:`operation`), ``"done"`` when ``HEAD``'s newest move other than a commit of
    one's own (:data:`_OWN`, its reflog's last :data:`_OWN_READ` bytes) ended one (``git
    rebase``, ``git pull --rebase``: their reflog messages), else ``None``. A few
    ``stat`` calls and one small read; no process."""
    from ai_protocols.paths import git_dirs

    if operation(start) == "rebase":
        return "under way"
    dirs = git_dirs(os.fspath(start))
    moves = None if dirs is None else \
        reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), _OWN_READ)
    for _old, _new, message in reversed(moves or []):
        if not message.startswith(_OWN):
            what = message.partition(b": ")[0]  # (``rebase (finish)``, ``pull -r (finish)``)
            return "done" if what.startswith((b"rebase", b"pull")) and \
                what.endswith(b")") else None
    return None


def reflog_moves(path: str, tail: int | None = None) -> list[tuple[str, str, bytes]] | None:
    """The moves a reflog file ``path`` records (gitrepository-layout(5), ``logs/HEAD``,
    ``logs/refs/heads/BRANCH``: ``OLD NEW NAME <EMAIL> TIME ZONE<TAB>MESSAGE``, a line
    a move), oldest first, each ``(old value, new value, message)``; with ``tail``,
    only those in its last ``tail`` bytes (a first line cut there left out). A line
    that is not one is left out. ``None`` when the file cannot be read. No process."""
    try:
        with open(path, "rb") as log:
            if tail is not None:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(size - tail, 0))
            lines = log.read().splitlines()
    except (OSError, ValueError):
        return None
    if tail is not None and size > tail and lines:
        lines = lines[1:]  # (the first may be cut)
    moves = []
    for line in lines:
        info, _, message = line.partition(b"\t")
        fields = info.split(b" ", 2)
        if len(fields) == 3 and len(fields[0]) == len(fields[1]):
            moves.append((fields[0].decode("ascii", "replace"),
                          fields[1].decode("ascii", "replace"), message))
    return moves


#: The reflog messages of a commit made in this work tree (git-commit(1)), not of one
#: git brought (``commit (merge)`` ends a merge: brought).
_OWN = (b"commit: ", b"commit (amend): ", b"commit (initial): ")
#: Bytes of ``logs/HEAD`` :func:`below_own_commits` reads back (its newest moves).
_OWN_READ = 4096


def below_own_commits(root: str | os.PathLike[str], head: str) -> str | None:
    """The commit ``HEAD`` named before the commits of one's own (:data:`_OWN`) that
    made it ``head``, one after another at the top of its reflog (its last
    :data:`_OWN_READ` bytes, :func:`reflog_moves`); ``head`` itself when its last move
    was no such commit; ``""`` when they go back to the first commit (no commit before
    them); ``None`` when the reflog does not say (none, or its newest move is not to
    ``head``). Everything a version at ``head`` holds beyond the version at that commit
    was committed here, not brought by git. No process."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(os.fspath(root))
    moves = None if dirs is None else \
        reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), _OWN_READ)
    if not moves or moves[-1][1] != head:
        return None
    below = head
    for old, new, message in reversed(moves):
        if new != below or not message.startswith(_OWN):
            break
        below = old
    return below.strip("0") and below


#: What a ``HEAD`` reflog entry's message starts with when git brought others' work:
#: ``git pull`` (``pull: Fast-forward``, ``pull --no-rebase: Merge made by ...``) and
#: ``git merge`` (``merge origin/main: Fast-forward``); git-reflog(1).
BROUGHT = (b"pull", b"merge ", b"commit (merge): ")  # (the last: a merge's conflicts settled)
OWN_COMMIT = (b"commit: ", b"commit (amend): ")  # (moves that keep the pull's result)
_REFLOG_READ = 16384  # (bytes of logs/HEAD read back: many own commits after a pull)


def pulled_from(root: str, head: str) -> tuple[str, str] | None:
    """The commit ``HEAD`` named before the newest ``git pull`` or ``git merge`` whose
    result ``head`` still holds: walking ``HEAD``'s reflog (gitrepository-layout(5),
    ``logs/HEAD``: ``OLD NEW NAME <EMAIL> TIME ZONE<TAB>MESSAGE``) back from its newest
    entry (whose new value must be ``head``) over one's own commits (``commit:``,
    ``commit (amend):``: a commit's parent is the commit it moved from, an amend's
    parents are those of the commit it replaces, so the pull's result stays an ancestor
    of ``HEAD`` unless an amend replaced that very commit) to the newest entry whose
    message is a pull's or a merge's (:data:`BROUGHT`), each entry's new value the
    old value of the one after it: that entry's ``(old value, new value)`` (the new
    value is ``head`` unless one's own commits came after). ``None`` otherwise (another
    kind of move on the way: a checkout, a reset, a rebase; the pull's result amended
    away; no reflog; no pull within the last :data:`_REFLOG_READ` bytes). Reads the end
    of one file; no process. For the stale-save merge back of a board
    (:func:`brought_back`, :func:`record_head`)."""
    return next(pulls_back(root, head), None)


def pulls_back(root: str, head: str) -> Iterator[tuple[str, str]]:
    """The pulls and merges ``head`` still holds the results of, newest first, as
    :func:`pulled_from` finds the newest, walking on over one's own commits and those
    pulls (:func:`moves_back`) to the ones before: each ``(the commit HEAD named
    before it, the one it named after)``; the steps of a rebasing pull (``pull --rebase
    (start)``, ``(pick)``..., ``(finish)``) as one pull, from before its start to its
    result. Stops at another kind of move, or a pull's result amended away. Reads the
    end of one file; no process; raises nothing."""
    amended = set()
    result = None  # (a rebasing pull's result, while its steps are walked back)
    for old, new, message in moves_back(root, head, OWN_COMMIT + BROUGHT):
        if message.startswith(BROUGHT):
            if new in amended:
                return
            what = message.split(b":", 1)[0]
            if what.startswith(b"pull") and what.endswith(b")") and \
                    not what.endswith(b"(start)"):
                result = result or new  # (a step of ``git pull --rebase``: pick, finish)
                continue
            yield old, result or new
            result = None
        elif message.startswith(b"commit (amend)"):
            amended.add(old)


def moves_back(root: str, head: str, through: tuple[bytes, ...] = OWN_COMMIT
               ) -> Iterator[tuple[str, str, bytes]]:
    """The entries of ``HEAD``'s reflog (gitrepository-layout(5), ``logs/HEAD``) from
    the newest back, as ``(old value, new value, message)``, the newest's new value
    ``head`` and each one's new value the old value of the one after it, over one's
    own commits (:data:`OWN_COMMIT`; ``through``: the kinds of entry walked over):
    the first entry of another kind is the last given; none once the chain breaks
    (or a branch was born: no old value). The last
    :data:`_REFLOG_READ` bytes only; no process; raises nothing. The one walk of
    :func:`pulled_from` and :func:`ai_protocols.board.stale.committed_onto`."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(root)
    moves = None if dirs is None else \
        reflog_moves(os.path.join(dirs[1], "logs", "HEAD"), _REFLOG_READ)
    want = head
    for old, new, message in reversed(moves or []):
        if new != want or not old.strip("0"):
            return
        yield old, new, message
        if not message.startswith(through):
            return
        want = old
