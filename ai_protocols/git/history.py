"""Git's history and the other work trees, as git reports them: which commits a repository
holds, what a file was at a commit or in the stash, the versions of a file in history,
where a branch is checked out, a remote's copy of a branch, a work tree's own changes
since a commit (the queries the write machinery, the board and ``resume``'s rarer
warnings ask, each a ``git`` run of its own).

Its own module above :mod:`ai_protocols.git.state` (whose git runs it makes), which a
command that only shows the work tree's state imports alone (docs/decisions.md,
"Twenty-seventh round: fewer modules on the hot paths").
"""

from __future__ import annotations

import os

from ai_protocols.git.state import _git, _start
from ai_protocols.paths import tool_folders, work_pathspec

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["blob_id", "branch_refs", "checked_out_at", "file_at", "file_mode", "has_commit",
           "head_blob", "head_holds", "held_in_history", "held_on_branches", "history_versions",
           "holds_changes", "in_history", "index_wrote", "is_shallow", "made_since",
           "missing_work", "moved_worktree", "other_worktrees", "present_commits",
           "rebase_rewrote", "rebased_into", "recorded_in_history", "remote_ahead", "remote_for",
           "remote_holding", "removed_in_history", "renamed_to", "same_file", "start_ancestry",
           "start_changes", "start_work_diff", "stash_untracked", "stash_untracked_blobs",
           "uncommitted_here", "unmerged_paths", "work_of", "worktree_list", "worktrees"]


def present_commits(root: str | os.PathLike[str], *commits: str) -> set[str] | None:
    """Which of ``commits`` (full or short hashes, never options) the repository at
    ``root`` has as commits, in one git run (``git rev-list --no-walk
    --ignore-missing``); ``None`` when git fails."""
    out = _git(root, "rev-list", "--no-walk", "--ignore-missing",
               *(f"{c}^{{commit}}" for c in commits), "--")
    if out is None:
        return None
    here = out.decode().split()
    return {c for c in commits if any(h.startswith(c.lower()) for h in here)}


def start_work_diff(root: str | os.PathLike[str], old: str,
                    new: str) -> Callable[[], list[str] | None]:
    """Start listing the paths outside the tool's ``.ai/`` folders
    (:func:`~ai_protocols.paths.is_tool_path`) that differ between the
    commits ``old`` and ``new`` (hashes, never options; ``git diff-tree``, trees only,
    the work tree is not read); return what gives them once git is done, ``None``
    when either commit is not in the repository."""
    wait = _start(root, "diff-tree", "-r", "-z", "--name-only", "--no-renames", old, new,
                  "--", *work_pathspec(tool_folders(os.fspath(root))))

    def paths() -> list[str] | None:
        out = wait()
        return None if out is None else \
            [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    return paths


def start_ancestry(root: str | os.PathLike[str], old: str,
                   new: str) -> Callable[[], bool]:
    """Start asking whether the commit ``old`` is an ancestor of (or is) ``new`` (hashes,
    never options; ``git merge-base --is-ancestor``, git-merge-base(1)); return what
    gives the answer once git is done (``False`` too when either is missing)."""
    wait = _start(root, "merge-base", "--is-ancestor", old, new)
    return lambda: wait() is not None


#: The pathspec of every path outside the tool's ``.ai/`` folders (git-glossary(7)).


def _patch_ids(root: str | os.PathLike[str], commits: str) -> set[str] | None:
    """The patch ids (git-patch-id(1) ``--stable``) of the commits of the range
    ``commits`` (no merges), their changes outside ``.ai/`` only; a commit that
    changes only ``.ai/`` has none. ``None`` when git fails."""
    out = _git(root, "log", "-p", "--no-merges", "--no-renames", "--no-color",
               "--format=commit %H", commits, "--",
               *work_pathspec(tool_folders(os.fspath(root))))
    if out is None:
        return None
    if not out.strip():
        return set()
    import tempfile

    with tempfile.TemporaryFile() as patches:
        patches.write(out)
        patches.seek(0)
        ids = _start(root, "patch-id", "--stable", stdin=patches.fileno())()
    if ids is None:
        return None
    return {line.split()[0] for line in ids.decode().splitlines() if line.strip()}


def rebased_into(root: str | os.PathLike[str], commit: str, head: str) -> bool:
    """Whether every change the commit ``commit`` holds is in ``head``, their changes
    outside ``.ai/`` compared (the session files are merged, not replayed), by the
    first of these rules that holds:

    - ``head``'s tree equals ``commit``'s (``git diff-tree --quiet``): a squash by
      ``git reset --soft`` and a commit, an amend of the message only;
    - ``commit``'s change since it and ``head`` parted (their merge base,
      git-merge-base(1)) reverses on ``head`` without context (:func:`holds_changes`):
      an amend that added more, a ``git pull --rebase`` whose upstream changed lines
      near its change (the patches' context differs), a squash;
    - each commit of ``commit`` since the merge base has a commit of the same patch
      id (git-patch-id(1) ``--stable``, as ``git cherry`` compares them) among
      ``head``'s since: a ``git pull --rebase``, or a rebase or amend that kept every
      change, then edited further;
    - the combined change of ``commit`` since the merge base (``git diff MB commit``)
      has the patch id of one commit among ``head``'s since: a squash merge
      (``git merge --squash``), an interactive rebase's squash.

    Hashes, never options; ``False`` when git fails or they share no history."""
    spec = work_pathspec(tool_folders(os.fspath(root)))
    if _git(root, "diff-tree", "--quiet", "-r", commit, head, "--", *spec) is not None:
        return True  # (exit 0: no difference outside .ai/)
    out = _git(root, "merge-base", head, commit)
    base = out.decode().strip() if out else ""
    if not base:
        return False
    if holds_changes(root, base, commit, head, spec):
        return True
    left = _patch_ids(root, f"{base}..{commit}")
    if left is None:
        return False
    if not left:
        return True
    right = _patch_ids(root, f"{base}..{head}")
    if right is None:
        return False
    if left <= right:
        return True
    combined = _diff_patch_id(root, base, commit, spec)
    return combined is not None and combined in right


def holds_changes(root: str | os.PathLike[str], base: str, commit: str, head: str,
                  spec: tuple[str, ...] | None = None) -> bool:
    """Whether the commit ``head`` holds every change outside the tool's ``.ai/`` folders
    that the commit ``commit`` made since ``base`` (their merge base), whatever else it
    holds: that change (``git diff -U0 base commit``) reverses cleanly on ``head``'s
    tree without context (``git apply --cached --check -R --unidiff-zero`` on a
    temporary index read from ``head``, git-apply(1), git-read-tree(1): nothing is
    written but that index, removed after): every line it added is there, in order,
    every line it removed is gone, an added file is there as it added it, a deleted
    one is not. So an amend that added more, or a ``git pull --rebase`` whose upstream
    changed lines next to the change (the patches' context differs, so do their patch
    ids) holds it. A three-way merge (``git merge-tree``) would not do: an amend
    that appended a line after the line the commit appended is a conflict to it.
    ``True`` when nothing changed; ``False`` when git fails. Hashes, never options.
    Three git runs (``read-tree`` and ``diff`` at once, then ``apply``)."""
    import tempfile

    if spec is None:
        spec = work_pathspec(tool_folders(os.fspath(root)))
    with tempfile.TemporaryDirectory(prefix="ai-protocols-holds-") as folder:
        index = os.path.join(folder, "index")
        read = _start(root, "read-tree", head, index=index)
        diff = _start(root, "diff", "-U0", "--binary", "--no-renames", "--no-color",
                      "--no-ext-diff", "--no-textconv", base, commit, "--", *spec)
        patch, ready = diff(), read()
        if patch is None or ready is None:
            return False
        if not patch.strip():
            return True
        with open(os.path.join(folder, "patch"), "w+b") as file:
            file.write(patch)
            file.seek(0)
            return _start(root, "apply", "--cached", "--check", "-R", "--unidiff-zero",
                          "-", stdin=file.fileno(), index=index)() is not None


def work_of(root: str | os.PathLike[str], commit: str, head: str, branch: str | None,
            held: bool = False) -> str:
    """Where the work of the commit ``commit`` (the one a session recorded) stands
    against the commit ``head`` (``HEAD``'s now, on ``branch``; ``None``: detached):
    the one rule of "``HEAD`` holds the recorded commit's work" that ``log``'s warning
    and its ``moved:`` line (:func:`ai_protocols.session.pause.record_head`) and the
    warning of ``resume``, ``start`` and the SessionStart hook
    (:mod:`ai_protocols.session.resume`) all follow (issue 14, eighteenth round):

    - ``"descends"``: ``head`` is ``commit`` or descends from it (git-merge-base(1)
      ``--is-ancestor``): the work is here, carried on;
    - ``"behind"``: ``head`` is an ancestor of ``commit``: its commits since are off
      the branch (a ``git reset``);
    - ``"carried"``: on another line, but ``head`` holds every change of it
      (:func:`rebased_into`: an amend, a rebase, a squash), or ``branch``'s reflog
      records a rebase that finished from it to ``head`` (:func:`rebase_rewrote`: its
      conflicts resolved by hand); ``held``: the caller knows already (``HEAD``'s
      files are the checkpoint's);
    - ``"aside"``: on another line, its work not here (a reset to another line);
    - ``"missing"``: this clone does not have ``commit`` (or git fails).

    Hashes, never options. Git runs only when the commits differ: two at once for the
    ancestry, then those of :func:`rebased_into` only on another line."""
    if commit == head:
        return "descends"
    after, before = start_ancestry(root, commit, head), start_ancestry(root, head, commit)
    descends, behind = after(), before()
    if descends:
        return "descends"
    if behind:
        return "behind"
    if not has_commit(root, commit):
        return "missing"
    if held or rebased_into(root, commit, head) or rebase_rewrote(root, commit, head, branch):
        return "carried"
    return "aside"


def uncommitted_here(root: str | os.PathLike[str], commit: str, head: str) -> bool:
    """Whether the work tree at ``root`` holds every change outside ``.ai/`` by which
    the commit ``commit`` differs from the commit ``head`` (``HEAD``'s), uncommitted:
    ``git reset HEAD~1`` (or ``git reset --soft``) undid the commit and kept its work.
    Each change judged by :func:`missing_work`'s one rule (a file as the commit has it,
    an edit whose lines are still there around later edits, an added file present, a
    deleted one absent, a mode). ``False`` when nothing differs or git fails. Git runs
    (only when ``HEAD`` moved off ``commit``): ``git diff-tree``, ``git ls-tree``, ``git
    hash-object`` of the files it changed, a ``git apply --check`` per file edited
    further."""
    changes = start_changes(root, head, commit)()
    if not changes:
        return False
    return missing_work(root, head, commit, changes, head, [c[3] for c in changes]) == []


def worktree_list(out: bytes) -> list[tuple[str, str | None, str | None]]:
    """The work trees in ``git worktree list --porcelain -z``'s output ``out``
    (git-worktree(1), "Porcelain Format"), in git's order: each one's top folder as git
    names it, the branch checked out there (``refs/heads/NAME``; ``None``: detached, or
    none), and its lock's reason (``""``: locked without one; ``None``: not locked). The
    one parser of that output (:func:`worktrees` runs git for it). Raises nothing."""
    found: list[list[str | None]] = []
    for line in out.split(b"\0"):
        if line.startswith(b"worktree "):
            found.append([os.fsdecode(line[9:]), None, None])
        elif found and line.startswith(b"branch "):
            found[-1][1] = os.fsdecode(line[7:])
        elif found and (line == b"locked" or line.startswith(b"locked ")):
            found[-1][2] = os.fsdecode(line[7:])
    return [(str(path), branch, locked) for path, branch, locked in found]


def worktrees(root: str | os.PathLike[str]) -> list[tuple[str, str | None, str | None]]:
    """The work trees of the repository around ``root`` (:func:`worktree_list`), this one
    among them; empty when git cannot say. One git run (``git worktree list --porcelain
    -z``)."""
    return worktree_list(_git(root, "worktree", "list", "--porcelain", "-z") or b"")


def other_worktrees(root: str | os.PathLike[str]) -> list[tuple[str, str | None, str | None]]:
    """:func:`worktrees` less the one around ``root`` (where it really is, as git's
    files say: :func:`~ai_protocols.paths.git_dirs`). One git run."""
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(os.fspath(root))
    here = os.path.realpath(dirs[0]) if dirs else None
    return [tree for tree in worktrees(root) if os.path.realpath(tree[0]) != here]


def checked_out_at(root: str | os.PathLike[str], branch: str) -> str | None:
    """The top folder of the work tree other than the one around ``root`` in which the
    local branch ``branch`` is checked out (:func:`other_worktrees`): ``git switch
    BRANCH`` refuses it here ("is already checked out at"), so advice names that work
    tree. ``None`` when none is (or git cannot say). One git run."""
    ref = f"refs/heads/{branch}"
    return next((path for path, held, _ in other_worktrees(root) if held == ref), None)


def unmerged_paths(root: str | os.PathLike[str]) -> list[str]:
    """The paths git's index holds unmerged (``git ls-files --unmerged``, git-ls-files(1):
    a conflicted merge, ``git stash pop`` or ``git checkout -m`` left them), from the
    work tree's top, ``/``-separated, each once; empty when none or git cannot say.
    ``git switch`` refuses any branch while there is one ("you need to resolve your
    current index first"). One git run."""
    out = _git(root, "ls-files", "--unmerged", "-z", "--full-name", "--", ":/")
    found: dict[str, None] = {}
    for line in (out or b"").split(b"\0"):
        if b"\t" in line:
            found[os.fsdecode(line.split(b"\t", 1)[1])] = None
    return list(found)


def moved_worktree(root: str | os.PathLike[str], old: str) -> str | None:
    """Where the work tree that was at ``old`` (a top folder, gone now) is, when ``git
    worktree move`` took it elsewhere: the one other work tree git lists (``git worktree
    list --porcelain -z``, git-worktree(1)) whose administrative folder, named by its
    ``.git`` file (``gitdir: .../worktrees/NAME``, gitrepository-layout(5)), is named
    after ``old``'s last part (git names it so when the work tree is added, with a number
    after it when that name is taken, and keeps it across a move). ``None`` when none or
    several are, or git cannot say (``git worktree remove`` took it). One git run."""
    name = os.path.basename(old.rstrip("/"))
    found = []
    for path, _, _ in other_worktrees(root):
        if os.path.realpath(path) == os.path.realpath(old):
            continue
        try:
            with open(os.path.join(path, ".git"), "rb") as handle:
                link = os.fsdecode(handle.read(4096)).strip()
        except OSError:
            continue
        admin = os.path.basename(link.removeprefix("gitdir:").strip().rstrip("/"))
        if admin == name or (admin.startswith(name) and admin[len(name):].isdigit()):
            found.append(path)
    return found[0] if len(found) == 1 else None


def same_file(root: str | os.PathLike[str], path: str, target: str) -> bool:
    """Whether the commit ``target`` (a branch, a remote-tracking branch, a hash) holds
    the file ``path`` (relative to ``root``, taken literally: git(1)
    ``--literal-pathspecs``) as ``HEAD`` does, or neither holds it: then ``git switch``
    to ``target`` leaves the file in the work tree as it is (git-checkout(1): it
    removes a committed file ``target`` lacks, writes ``target``'s version over one it
    changes, refuses an untracked one ``target`` has). ``False`` when they differ or
    git cannot say (no commit yet, ``target`` not here). One git run (``git diff
    --quiet``, exit 1 when they differ)."""
    return _git(root, "--literal-pathspecs", "diff", "--quiet", "--no-ext-diff",
                "--no-textconv", "HEAD", target, "--", f"./{path}") is not None


def remote_holding(root: str | os.PathLike[str], branch: str, commit: str) -> str | None:
    """The remote-tracking branch (``REMOTE/branch``) of the one remote that has a
    branch named ``branch`` when it holds ``commit``, with no local branch of that
    name: then ``git switch branch`` makes the local branch from it, as its upstream
    (git-switch(1), ``--guess``, which needs exactly one remote to have that name).
    ``None`` otherwise (none, several remotes with it, a local branch, or it does not
    hold ``commit``). Git runs: one (``git for-each-ref``), then one (the ancestry)."""
    local, remote = branch_refs(root, branch)
    if local or remote is None:
        return None
    return remote if start_ancestry(root, commit, f"refs/remotes/{remote}")() else None


def remote_ahead(root: str | os.PathLike[str], branch: str, commit: str) -> str | None:
    """The remote-tracking branch (``REMOTE/branch``) of the one remote that has a
    branch named ``branch`` when a local branch of that name exists too and the remote
    one holds ``commit`` (the local one lacks it: behind, fetched and not brought
    forward; issue 14, nineteenth round): then ``git switch branch && git merge
    --ff-only REMOTE/branch`` brings the local one forward. ``None`` otherwise. Git
    runs: one, then one (the ancestry)."""
    local, remote = branch_refs(root, branch)
    if not local or remote is None:
        return None
    return remote if start_ancestry(root, commit, f"refs/remotes/{remote}")() else None


def branch_refs(root: str | os.PathLike[str], branch: str) -> tuple[bool, str | None]:
    """Whether the local branch ``branch`` exists, and the remote-tracking branch
    (``REMOTE/branch``) of the one remote that has a branch of that name (``None``:
    none, or several). One git run (``git for-each-ref``)."""
    out = _git(root, "for-each-ref", "--format=%(refname)", "refs/heads/" + branch,
               "refs/remotes/*/" + branch)
    refs = [r for r in (out or b"").decode("utf-8", "surrogateescape").split("\n") if r]
    local = f"refs/heads/{branch}" in refs
    remote = [r for r in refs if r.startswith("refs/remotes/")
              and r.count("/") == 3 + branch.count("/")]
    return local, remote[0][len("refs/remotes/"):] if len(remote) == 1 else None


def rebase_rewrote(root: str | os.PathLike[str], commit: str, head: str,
                   branch: str | None) -> bool:
    """Whether a rebase of ``branch`` that finished rewrote the commit ``commit`` into
    ``head``'s history: the branch's reflog (gitrepository-layout(5),
    ``logs/refs/heads/BRANCH``; git-reflog(1)) holds an entry whose message says
    ``(finish):`` (what ``git rebase``, ``git rebase -i`` and ``git pull --rebase``
    write when a rebase ends) whose old value is ``commit`` or descends from it and
    whose new value is ``head`` or an ancestor of it. A rebase carries every commit's
    work, conflicts resolved by hand included, so its patches need not match
    (:func:`rebased_into`'s rules); this is the record of what it did. Reads one file;
    git runs (git-merge-base(1), hashes, never options) only for such an entry that does
    not name ``commit`` and ``head`` themselves. ``False`` without a branch, a reflog
    (``core.logAllRefUpdates`` off, reftable refs) or such an entry."""
    from ai_protocols.git.head import reflog_moves
    from ai_protocols.paths import git_dirs

    dirs = git_dirs(os.fspath(root))
    if not branch or dirs is None:
        return False
    moves = reflog_moves(os.path.join(dirs[2], "logs", "refs", "heads", *branch.split("/")))
    finished = [(old, new) for old, new, message in moves or [] if b"(finish): " in message]
    # The entry naming the commit first, then the last few (each asks git): most recent
    # first.
    exact = [entry for entry in finished if entry[0] == commit]
    for old, new in exact[-1:] + finished[:-9:-1]:
        if (old == commit or start_ancestry(root, commit, old)()) and \
                (new == head or start_ancestry(root, new, head)()):
            return True
    return False


def _diff_patch_id(root: str | os.PathLike[str], old: str, new: str,
                   spec: tuple[str, ...]) -> str | None:
    """The patch id (git-patch-id(1) ``--stable``) of ``git diff old new -- spec``;
    ``None`` when git fails or nothing differs."""
    out = _git(root, "diff", "--no-renames", "--no-color", "--no-ext-diff", old, new, "--",
               *spec)
    if not out:
        return None
    import tempfile

    with tempfile.TemporaryFile() as patch:
        patch.write(b"commit " + b"0" * 40 + b"\n" + out)
        patch.seek(0)
        ids = _start(root, "patch-id", "--stable", stdin=patch.fileno())()
    return ids.decode().split()[0] if ids and ids.strip() else None


def remote_for(root: str | os.PathLike[str], branch: str | None) -> str:
    """The remote to name in advice (git-config(1)): ``branch``'s upstream remote
    (``branch.<name>.remote``), else the only remote, else ``REMOTE`` (none, or
    several: the reader picks)."""
    if branch:
        out = _git(root, "config", "--get", f"branch.{branch}.remote")
        name = out.decode("utf-8", "replace").strip() if out else ""
        if name and name != ".":
            return name
    out = _git(root, "remote")
    names = out.decode("utf-8", "replace").split() if out else []
    return names[0] if len(names) == 1 else "REMOTE"


def has_commit(root: str | os.PathLike[str], commit: str) -> bool:
    """Whether the repository at ``root`` has the commit ``commit`` (a full or short
    hash), as an object that is a commit."""
    return _git(root, "cat-file", "-e", f"{commit}^{{commit}}") is not None


def is_shallow(root: str | os.PathLike[str]) -> bool:
    """Whether the repository at ``root`` is a shallow clone (git-clone(1) ``--depth``;
    ``git rev-parse --is-shallow-repository``): commits past its boundary are not
    here, though ``HEAD`` may descend from them."""
    out = _git(root, "rev-parse", "--is-shallow-repository")
    return out is not None and out.strip() == b"true"


def recorded_in_history(root: str | os.PathLike[str], path: str, commit: str,
                        rev: str = "HEAD") -> str | None:
    """The newest commit of ``HEAD``'s history (``rev``'s) that added to the file ``path`` (from the
    work tree's top) a line holding ``commit`` (a full hash: hex; or any text, taken
    as it is), or took one out, as ``git log -S`` finds it (git-log(1), "-S<string>":
    a change in the number of its occurrences); ``None`` when none does, or git cannot
    say. A session file that recorded a commit (``GIT_COMMIT``) committed in this
    history: what was done by then is in it, even when a rebase or a reword gave that
    commit another hash; the commit that took a lock's ``LOCKED_AT`` out of the board
    (:func:`~ai_protocols.board.model.ended_in_history`), or a claim's
    ``CLAIMED_AT``. One git run."""
    out = _git(root, "log", "-1", "--format=%H", "-F", f"-S{commit}", rev, "--",
               f":(top,literal){path}")
    found = out.decode("ascii", "replace").strip() if out else ""
    return found or None


def board_commits(root: str | os.PathLike[str], rev: str, path: str, most: int) -> list[str]:
    """The newest ``most`` commits of ``rev``'s history that changed the file ``path``
    (from the work tree's top at ``root``), newest first, as ``git log`` finds them;
    ``[]`` when none did or git cannot say. One git run."""
    out = _git(root, "log", f"--max-count={most}", "--format=%H", rev, "--",
               f":(top,literal){path}")
    return out.decode("ascii", "replace").split() if out else []


def file_at(root: str | os.PathLike[str], revision: str, path: str) -> bytes | None:
    """The bytes of the file ``path`` (from the work tree's top at ``root``) in the commit
    ``revision`` names (``C``, ``C^``: gitrevisions(7)); ``None`` when git cannot say or
    that commit has no such file. One git run (``git cat-file blob REV:path``,
    git-cat-file(1))."""
    return _git(root, "cat-file", "blob", f"{revision}:{path}")


def stash_untracked(root: str | os.PathLike[str]) -> list[str]:
    """The paths (from the work tree's top, as git names them, whatever folder of it
    ``root`` is: ``--full-tree``) of the untracked files the newest stash entry holds:
    its third parent's tree, which ``git stash -u`` makes (git-stash(1), "Discussion");
    ``git stash pop`` refuses to write any of them that exists again ("already exists,
    no checkout"). Empty without such a part. One git run."""
    return list(stash_untracked_blobs(root))


def stash_untracked_blobs(root: str | os.PathLike[str]) -> dict[str, str]:
    """:func:`stash_untracked`'s paths, each with the object id (hex) of the blob the
    stash holds for it (``git ls-tree``'s "<mode> SP <type> SP <object> TAB <file>",
    git-ls-tree(1), "Output format"): whether a file here again holds the same bytes
    (:func:`blob_id`). Empty without such a part. One git run."""
    out = _git(root, "ls-tree", "-r", "-z", "--full-tree", "refs/stash^3")  # (from the top)
    found: dict[str, str] = {}
    for line in (out or b"").split(b"\0"):
        head, tab, name = line.partition(b"\t")
        if tab and name:
            found[os.fsdecode(name)] = head.rsplit(b" ", 1)[-1].decode("ascii", "replace")
    return found


def blob_id(data: bytes, like: str) -> str:
    """The object id git gives a blob of ``data`` ("blob SP <size> NUL <data>" hashed,
    gitformat-object / git-hash-object(1)), in the repository's hash (SHA-256 when
    ``like``, another object id of it, has 64 hex digits; else SHA-1)."""
    import hashlib

    digest = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


def in_history(root: str | os.PathLike[str], data: bytes, commit: str, path: str,
               limit: int = 200) -> bool:
    """Whether the file ``path`` (from ``root``) held exactly ``data`` in the commit
    ``commit`` (a full hash) or one of its history (:func:`_history_blobs`): a version
    from before that commit, not one made since. One git run; ``False`` when git cannot
    say."""
    return blob_id(data, commit) in _history_blobs(root, [commit], path, limit)


def _history_blobs(root: str | os.PathLike[str], revs: list[str], path: str,
                   limit: int, before: bool = True, fold: bool = True) -> list[str]:
    """The object ids of the versions of the file ``path`` (from ``root``, where git runs)
    in the history of ``revs`` (``git log`` arguments: a commit, ``HEAD``, ``--reflog``:
    the commits the reflogs name, a rebase's replayed ones too): the blobs the newest
    ``limit`` commits that changed it gave it and (``before``) took from it, merges
    against each parent (``git log -m --raw``, git-log(1), "Raw output format": the
    version a merge made is one too), newest first, each once; none for a version that
    is no file (a creation's or deletion's all-zero id); without ``fold``, each at
    every place the walk meets it. One git run; empty when git cannot say. The one
    reading of :func:`in_history` and :func:`history_versions`."""
    out = _git(root, "log", "-m", "--raw", "--no-abbrev", "--no-renames", "--format=",
               f"-n{limit}", *revs, "--", f":(literal){path}")
    found: list[str] = []
    for line in (out or b"").split(b"\n"):
        if line.startswith(b":"):
            blobs = line.split(b"\t", 1)[0].split()[2:4]
            for blob in reversed(blobs if before else blobs[1:]):  # (after, before)
                if blob.strip(b"0"):
                    found.append(blob.decode("ascii", "replace"))
    return list(dict.fromkeys(found)) if fold else found


def history_versions(root: str | os.PathLike[str], path: str,
                     revs: list[str] | tuple[str, ...] = ("HEAD",), limit: int = 24,
                     before: bool = True, each: bool = False) -> list[bytes]:
    """The versions of the file ``path`` (from ``root``, where git runs) that the
    history of ``revs`` holds (``git log`` arguments, :func:`_history_blobs`: the newest
    ``limit`` commits that changed it, each version it had after them, a merge's too,
    and with ``before`` each it had before them), newest first, each once; with
    ``each``, every place each has in that walk (a version a revert put back is there
    where the revert made it and where it was first made: the merge driver asks whether
    any place of one is older than another's newest, docs/decisions.md, "Twenty-sixth
    round: reverts that arrive by a pull"). The board's stale-save rule takes them all
    (what a buffer was opened on, :func:`ai_protocols.board.stale.opened_on`); the
    session's readers take the versions after (``before`` false): the commits' order,
    which their walks read (docs/decisions.md, "Twenty-third round: one
    history_versions"). Two git runs (``git log``, then ``git cat-file --batch`` of each
    version once, git-cat-file(1)); empty when git cannot say (no commit, an untracked
    file, no git). Raises nothing."""
    places = _history_blobs(root, list(revs), path, limit, before, fold=not each)
    blobs = list(dict.fromkeys(places))
    if not blobs:
        return []
    read, write = os.pipe()
    try:
        os.write(write, "".join(f"{blob}\n" for blob in blobs).encode("ascii"))
        os.close(write)
        write = -1
        out = _start(root, "cat-file", "--batch", stdin=read)()
    except OSError:
        return []
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
    found: list[bytes] = []
    at = 0
    while out and at < len(out):  # ("<id> blob <size>\n<bytes>\n" each)
        end = out.find(b"\n", at)
        header = out[at:end].split() if end >= 0 else []
        if len(header) != 3 or not header[2].isdigit():
            break
        size = int(header[2])
        found.append(out[end + 1:end + 1 + size])
        at = end + 1 + size + 1
    if not each:
        return found
    if len(found) != len(blobs):  # (a version git could not give: no places to tell)
        return []
    data = dict(zip(blobs, found, strict=True))
    return [data[blob] for blob in places]


def made_since(root: str | os.PathLike[str], path: str, data: bytes, versions: list[bytes],
               revs: list[str], limit: int = 30) -> list[bytes]:
    """Of ``versions`` of the file ``path`` (from ``root``, where git runs), those a commit
    of ``revs``' history (the newest ``limit`` that changed it) made after the version
    ``data``: a commit that gave the file that version and whose history holds ``data``
    before it (:func:`_history_blobs` of those commits). A version made from ``data``
    (a person's committed edit of it, fetched into a remote branch's reflog) is no
    version ``data`` was made from. One git run (``git log -m --raw`` with each commit's
    hash), then one per version given that some commit made; empty when git cannot say.
    Raises nothing."""
    if not versions:
        return []
    out = _git(root, "log", "-m", "--raw", "--no-abbrev", "--no-renames", "--format=%H",
               f"-n{limit}", *revs, "--", f":(literal){path}")
    if out is None:
        return []
    like = ""
    made: dict[str, list[str]] = {}
    commit = ""
    for line in out.split(b"\n"):
        if line.startswith(b":"):
            after = line.split(b"\t", 1)[0].split()[3].decode("ascii", "replace")
            made.setdefault(after, []).append(commit)
            like = like or after
        elif line.strip():
            commit = line.strip().decode("ascii", "replace")
    ids = {blob_id(version, like): version for version in versions}
    mine = blob_id(data, like)
    return [version for blob, version in ids.items() if blob != mine and made.get(blob) and
            mine in _history_blobs(root, list(dict.fromkeys(made[blob])), path, limit)]


def removed_in_history(root: str | os.PathLike[str], path: str,
                       needles: list[str]) -> set[str]:
    """The ``needles`` (exact texts) that the file ``path`` (from ``root``, git's
    pathspec) lacks in the commit ``HEAD`` names while a commit in ``HEAD``'s history
    held them: a commit took them out, so a board without them is what git brought (a
    pull, a merge, a rebase of another clone's change), not an older board put back (a
    stash, a checkout of the file, a reset to an older commit, a branch from before
    them: there, no commit of ``HEAD``'s history removed them). Empty without git or a
    commit. One git run for ``HEAD``'s file, then one per needle it lacks (``git log -n1
    -S``, git-log(1)'s pickaxe: a commit that changed the number of its occurrences)."""
    if not needles:
        return set()
    head = _git(root, "cat-file", "blob", f"HEAD:./{path}")
    if head is None:
        return set()
    text = head.decode("utf-8", "replace")
    found = set()
    for needle in dict.fromkeys(needles):
        if not needle or needle in text:
            continue
        if _git(root, "log", "-n1", "--format=%H", f"-S{needle}", "HEAD", "--", path):
            found.add(needle)
    return found


def held_on_branches(root: str | os.PathLike[str], path: str,
                     needles: list[str], limit: int = 200) -> dict[str, str]:
    """For each of ``needles`` (exact texts) that the file ``path`` (from ``root``, git's
    pathspec) holds, committed, at the tip of a local branch other than the one ``HEAD``
    is on: that branch (the most recently committed one, of the newest ``limit``). What
    a branch switch took away is that branch's, not an older version put back
    (docs/git.md, "the session file of branch B"). Empty without git. Two git runs
    (``git for-each-ref``, then one ``git grep -F -o`` over the branches' trees,
    git-grep(1))."""
    from ai_protocols.git.head import read_head

    needles = [n for n in dict.fromkeys(needles) if n and "\n" not in n]
    if not needles:
        return {}
    head = read_head(os.fspath(root))
    current = head[0] if head is not None else None
    listed = _git(root, "for-each-ref", f"--count={limit}", "--sort=-committerdate",
                  "--format=%(refname:short)", "refs/heads/")
    branches = [b for b in (listed or b"").decode("utf-8", "surrogateescape").split("\n")
                if b and b != current and not b.startswith("-")]
    if not branches:
        return {}
    args = ["grep", "-F", "-o", "--no-color"]
    for needle in needles:
        args += ["-e", needle]
    found = _git(root, *args, *branches, "--", path)
    order = {b: n for n, b in enumerate(branches)}
    where: dict[str, str] = {}
    for line in (found or b"").decode("utf-8", "surrogateescape").split("\n"):
        branch, _, rest = line.partition(":")
        text = rest.partition(":")[2]
        if branch in order and text in needles and (
                text not in where or order[branch] < order[where[text]]):
            where[text] = branch
    return where


def held_in_history(root: str | os.PathLike[str], path: str, needle: str,
                    holds: Callable[[str], bool], limit: int = 8) -> bool:
    """Whether a commit took out of the file ``path`` (from ``root``, git's pathspec)
    what ``holds`` (given a version's text, UTF-8 read leniently) finds: ``HEAD``'s
    version lacks it, and one of the newest ``limit`` commits of ``HEAD``'s history that
    changed the number of ``needle``'s occurrences (``git log -S``, git-log(1)'s
    pickaxe), or that commit's parent, holds it. :func:`removed_in_history` for what has
    no unique text of its own (a claim or lock a person wrote without its record):
    ``needle`` narrows the commits, ``holds`` decides. ``False`` without git or a
    commit. Git runs: one for ``HEAD``'s file, one for the log, two per commit looked
    at."""
    head = _git(root, "cat-file", "blob", f"HEAD:./{path}")
    if head is None or holds(head.decode("utf-8", "replace")):
        return False
    found = _git(root, "log", f"-n{limit}", "--format=%H", f"-S{needle}", "HEAD", "--", path)
    for commit in (found or b"").decode("ascii", "replace").split():
        for version in (f"{commit}^", commit):
            data = _git(root, "cat-file", "blob", f"{version}:./{path}")
            if data is not None and holds(data.decode("utf-8", "replace")):
                return True
    return False


def head_holds(root: str | os.PathLike[str], path: str, data: bytes) -> bool:
    """Whether the file ``path`` (from the work tree's top at ``root``) in the commit
    ``HEAD`` names holds exactly ``data``: a file git wrote as it is (a branch switch, a
    checkout, a reset: git-checkout(1)), not a person's edit. ``False`` without git, a
    commit or the file in it. One git run (``git cat-file blob HEAD:path``,
    git-cat-file(1))."""
    return head_blob(root, path) == data


def head_blob(root: str | os.PathLike[str], path: str) -> bytes | None:
    """The file ``path`` (from the work tree's top at ``root``; ``./`` first for one
    relative to ``root``) as the commit ``HEAD`` names holds it; ``None`` without git, a
    commit or the file in it. One git run (``git cat-file blob HEAD:path``,
    git-cat-file(1))."""
    return _git(root, "cat-file", "blob", f"HEAD:{path}")


#: How many of a checkpoint's changed paths :func:`missing_work` looks at, and how many
#: of them it compares by patch at most (git apply runs): the rest are not judged.
MISSING_PATHS, MISSING_PATCHES = 256, 16


def start_changes(root: str | os.PathLike[str], old: str, new: str
                  ) -> Callable[[], list[tuple[str, str, str, str]] | None]:
    """Start listing how the commits (or trees) ``old`` and ``new`` (hashes, never
    options) differ outside the tool's ``.ai/`` folders: ``(status, old blob, new
    blob, path, old mode, new mode)`` for each path (``git diff-tree -r --raw``:
    status ``A``, ``D``, ``M`` or ``T``; a missing side's blob is all zeros, its mode
    ``000000``; a mode as git writes it, ``100644``, ``100755``, ``120000``); return
    what gives them once git is done, ``None`` when either is not in the repository.
    Trees only: the work tree is not read."""
    wait = _start(root, "diff-tree", "-r", "-z", "--no-renames", old, new,
                  "--", *work_pathspec(tool_folders(os.fspath(root))))

    def changes() -> list[tuple[str, str, str, str]] | None:
        out = wait()
        if out is None:
            return None
        fields = out.split(b"\0")
        found = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.decode("ascii", "replace").split()
            if len(parts) == 5:
                found.append((parts[4][:1], parts[2], parts[3],
                              path.decode("utf-8", "surrogateescape"),
                              parts[0].lstrip(":"), parts[1]))
        return found

    return changes


def missing_work(root: str | os.PathLike[str], old: str, new: str,
                 changes: list[tuple[str, str, str, str, str, str]], head: str | None,
                 changed_here: list[str]) -> list[tuple[str, str]] | None:
    """Which of ``changes`` (:func:`start_changes` from ``old``, the commit a checkpoint
    was taken on or the empty tree, to ``new``, the checkpoint) neither the work tree
    around ``root`` (its top folder's; ``root`` may be a project folder below it: the
    paths are git's, from the top) nor the commit ``head`` (``None``: no commit yet)
    holds: ``(path, how)``,
    ``how`` being ``"added"`` (a file it added that is nowhere here), ``"deleted"`` (a
    file it deleted that is in both), ``"edited"`` (its edit is in neither) or
    ``"chmod +x"`` (``"chmod -x"``: its content is here, but the mode it gave the file,
    executable or not, is in neither: docs/checkpoints.md counts a mode as work; an
    executable it added counts as ``chmod +x``), ``"edited, chmod +x"`` when both are
    missing. A
    change is held when the file there is the checkpoint's, byte for byte; an edit, too, when
    the checkpoint's patch of that file reverses cleanly on the work tree's file
    without context (``git apply --check -R``: it was carried on, and edited further),
    or when a commit since changed that file (``head``'s is not the one it was taken on:
    work carried on and committed is never flagged, docs/checkpoints.md); an added file
    that is here with other content was carried on. ``changed_here``: the paths ``git
    status`` shows changed (an untracked folder ending in ``/``); the others are
    ``head``'s. At most :data:`MISSING_PATHS` paths are looked at and
    :data:`MISSING_PATCHES` patches tried (the rest are taken as held: never a false
    alarm). A change found in neither is held when its file was renamed since
    (:func:`renamed_to`: committed, or staged by ``git mv``). ``None`` when git fails.
    Two git runs (``ls-tree``; ``hash-object`` only for changed files), one ``git
    apply`` for each edit found in neither as it was, and, only when a change is still
    missing, two more at once (:func:`renamed_to`)."""
    changes = changes[:MISSING_PATHS]
    if not changes:
        return []
    from ai_protocols.paths import git_dirs

    # (git names every path from the top: the files are looked at, hashed and patched
    # there, never from a project folder below it; issue 14, twenty-first round)
    dirs = git_dirs(os.fspath(root))
    top = dirs[0] if dirs else os.fspath(root)
    blobs: dict[str, str] = {}
    modes: dict[str, str] = {}  # (HEAD's, then the work tree's where git status names it)
    if head is not None:
        out = _git(root, "ls-tree", "-r", "-z", "--full-tree", head, "--",
                   *(":(top,literal)" + c[3] for c in changes))
        if out is None:
            return None
        for item in out.split(b"\0"):
            info, _, path = item.partition(b"\t")
            if path:
                name, fields = path.decode("utf-8", "surrogateescape"), info.split()
                blobs[name], modes[name] = fields[-1].decode(), fields[0].decode()
    here = set(changed_here)

    def changed(path: str) -> bool:
        return path in here or any(path.startswith(p) for p in here if p.endswith("/"))

    work = dict(blobs)  # (a path git status does not show is as HEAD has it)
    work_modes = dict(modes)
    hashing = []
    for _, _, blob, path, *_modes in changes:
        if not changed(path):
            continue
        full = os.path.join(top, path)
        work.pop(path, None)
        work_modes.pop(path, None)
        if os.path.islink(full):
            work[path] = blob_id(os.fsencode(os.readlink(full)), blob)
        elif os.path.isfile(full):
            hashing.append(path)
            work_modes[path] = file_mode(full)
        elif os.path.lexists(full):  # (a folder: a submodule's, whose commit is its
            work[path] = blob            # own to judge; never a false alarm)
    if hashing:
        out = _git(top, "hash-object", "--", *hashing)
        if out is None:
            return None
        for path, blob in zip(hashing, out.decode().split(), strict=False):
            work[path] = blob
    judged, tries = [], MISSING_PATCHES
    for status, before, after, path, _was, _mode in changes:
        there = (blobs.get(path), work.get(path))
        if status == "A":
            held = any(b is not None for b in there)
        elif status == "D":
            held = any(b is None for b in there)
        else:  # (a file committed since it was taken carries its work on: as before)
            held = after in there or (head is not None and blobs.get(path) != before)
            if not held and work.get(path) not in (None, before):
                if tries <= 0:
                    held = True  # (not judged: never a false alarm)
                else:
                    tries -= 1
                    held = _reverses(top, old, new, path)
        judged.append(held)
    # (a file it added or edited whose work is not at its path, renamed since, committed
    # or staged: its work carried on under the new name, where git's rename detection
    # finds it; issue 14, twenty-second round)
    gone = [c[3] for c, held in zip(changes, judged, strict=True)
            if not held and c[0] != "D"]
    renamed = renamed_to(root, new, head, gone) if gone else {}
    if renamed is None:
        return None
    missing = []
    for (status, _, _, path, was, mode), held in zip(changes, judged, strict=True):
        held = held or path in renamed
        # (a regular file's mode the checkpoint changed, or an executable it added:
        # held when HEAD or the work tree has the path with that mode, or the file it
        # was renamed to)
        lost_mode = status != "D" and mode in _FILE_MODES and \
            (was != mode if status != "A" else mode == "100755") and \
            mode not in (modes.get(path), work_modes.get(path), renamed.get(path))
        chmod = ("chmod +x" if mode == "100755" else "chmod -x") if lost_mode else ""
        if not held:
            missing.append((path, "added" if status == "A" else
                            "deleted" if status == "D" else
                            f"edited, {chmod}" if chmod else "edited"))
        elif chmod:
            missing.append((path, chmod))
    return missing


def renamed_to(root: str | os.PathLike[str], new: str, head: str | None,
               paths: list[str]) -> dict[str, str] | None:
    """Which of ``paths`` (git's, from the top: files the commit or tree ``new``, a
    checkpoint, holds, whose content is not at that path in ``head`` nor in the work
    tree) were renamed since, as git's rename detection finds them (``-M``,
    git-diff(1): ``head`` or the work tree's tracked files lack that path and have a
    file at another path, that ``new`` does not have, its content at least half the
    same): ``{path: mode}``, the mode
    (``100644``, ``100755``, ``120000``) of the file it became, ``head``'s unless the work
    tree's tracked file (staged, ``git mv``) is the one found. An untracked file is not
    compared (git's rename detection sees tracked files only; ``git add -N`` makes it
    seen). ``None`` when git fails. Two git runs at once (``git diff-tree -M`` against
    ``head``, ``git diff-index -M`` against the work tree); only the first without a
    commit when ``head`` is ``None``, the second then."""
    wanted = set(paths)
    spec = work_pathspec(tool_folders(os.fspath(root)))
    runs = [_start(root, "diff-index", "-z", "-M", "--diff-filter=R", new, "--", *spec)]
    if head is not None:
        runs.append(_start(root, "diff-tree", "-r", "-z", "-M", "--diff-filter=R", new,
                           head, "--", *spec))
    found: dict[str, str] = {}
    for wait in reversed(runs):  # (HEAD's first; the work tree's, read last, wins)
        out = wait()
        if out is None:
            return None
        fields = out.split(b"\0")
        for meta, source in zip(fields[0::3], fields[1::3], strict=False):
            parts = meta.decode("ascii", "replace").split()
            name = source.decode("utf-8", "surrogateescape")
            if len(parts) == 5 and parts[4].startswith("R") and name in wanted:
                found[name] = parts[1]
    return found


#: The modes git gives a regular file: not executable, executable.
_FILE_MODES = ("100644", "100755")


def file_mode(path: str) -> str:
    """The mode git records for the regular file at ``path``: ``100755`` when its owner
    may execute it (git looks at that bit only, git-update-index(1) ``core.fileMode``),
    else ``100644``; ``""`` when it cannot be read."""
    try:
        return "100755" if os.stat(path, follow_symlinks=False).st_mode & 0o100 else \
            "100644"
    except OSError:
        return ""


def _reverses(root: str | os.PathLike[str], old: str, new: str, path: str) -> bool:
    """Whether the patch of ``path`` from ``old`` to ``new`` reverses cleanly on the
    work tree's file (``git apply --check -R``, git-apply(1): nothing is written),
    without context (``-U0``, ``--unidiff-zero``): the lines it added are there, in
    order, wherever the file has grown around them."""
    patch = _git(root, "diff-tree", "-p", "-U0", "--binary", "--no-renames", old, new,
                 "--", ":(top,literal)" + path)
    if not patch:
        return False
    read, write = os.pipe()
    try:
        wait = _start(root, "apply", "--check", "-R", "--unidiff-zero", "-", stdin=read)
    finally:
        os.close(read)
    try:  # (git apply reads all of its input before it writes anything)
        view = memoryview(patch)
        while view:
            view = view[os.write(write, view):]
    except OSError:
        pass
    finally:
        os.close(write)
    return wait() is not None


def index_wrote(root: str | os.PathLike[str], path: str, st: os.stat_result) -> bool:
    """Whether the file ``path`` (relative to ``root``; ``st``: what ``stat`` says of it
    now) is the one git last wrote or took into its index (a checkout, a branch switch,
    a stash, a reset, an ``add`` or ``commit -a``): the index entry's cached ``stat``
    (``git ls-files --debug``, git-ls-files(1); gitformat-index(5): seconds and
    nanoseconds, the inode as 32 bits, the size) is ``st``'s. An editor's save since
    changes the inode or the time. One git run; ``False`` when git holds no entry or
    cannot run. For the board's stale-save rule with no pull
    (:func:`ai_protocols.board.stale.over_own_writes`)."""
    import re

    out = _git(root, "ls-files", "--debug", "--", f":(top,literal){path}")
    if not out:
        return False
    fields = dict(re.findall(rb"(\w+): (\S+)", out))
    try:
        seconds, nanos = (int(part) for part in fields[b"mtime"].split(b":"))
        return (seconds * 1_000_000_000 + nanos == st.st_mtime_ns and
                int(fields[b"ino"]) == st.st_ino & 0xFFFFFFFF and
                int(fields[b"size"]) == st.st_size & 0xFFFFFFFF)
    except (KeyError, ValueError):
        return False
