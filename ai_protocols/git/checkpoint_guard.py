"""What a restore refuses (:class:`Guarding`): a worktree or a branch in the way, staged or
unsaved changes (Emacs's buffers among them), filters, modes and submodules a restore
cannot keep.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import CheckpointRefused, GitFailed
from ai_protocols.git.checkpoint_marks import (
    RESTORED_MARK,
    RESTORING,
    _restored_mark,
    restored_commit,
)
from ai_protocols.git.checkpoint_repo import (
    _GITLINK,
    Checkpoint,
    _b,
    _first_five,
    _path,
    _raw_records,
    _real,
    _s,
)
from ai_protocols.git.spawn import GitRun as _Git
from ai_protocols.git.spawn import sparse_checkout
from ai_protocols.lean import shell_quote
from ai_protocols.paths import is_tool_path, literal_pathspec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


class Guarding:
    """The refusals of a restore: what a restore would overwrite or lose."""

    def _refuse_existing(self, target: Path, checkpoint: Checkpoint | None = None) -> None:
        """Refuse to restore into ``target``, which exists, unless it is an empty folder
        that is no worktree (git-worktree(1) ``add`` takes one so). Only a worktree a
        restore of ours demonstrably left half way (still locked with the reason
        :data:`RESTORING`) gets the advice to remove it; any other folder or worktree
        (a person's, the main work tree) may hold work. One a restore of ``checkpoint``
        itself made is said so: its work is there already (issue 14, twenty-first
        round)."""
        listed = self._worktrees()
        real = _real(target)
        if real in listed:
            if listed[real] == RESTORING:
                raise CheckpointRefused(str(target), "it exists already, as a worktree a "
                                        "restore stopped half way left: remove it with git "
                                        "worktree remove -f -f "
                                        f"{shell_quote(str(target))}, or give another "
                                        "folder (--worktree)")
            if checkpoint is not None and \
                    restored_commit(str(target)) == checkpoint.commit:
                raise CheckpointRefused(str(target), "it exists already, as the worktree a "
                                        "restore of this very checkpoint made: its files are "
                                        "there, with any work done there since (git -C "
                                        f"{shell_quote(str(target))} status; removing it "
                                        "deletes its files); give another "
                                        "folder (--worktree) for a second copy, or restore it "
                                        "into this work tree with --force")
            if _restored_mark(target):
                raise CheckpointRefused(str(target), "it exists already, as a worktree a "
                                        "restore made (it may hold work done there since: "
                                        "removing it deletes its files); give another "
                                        "folder (--worktree)")
            raise CheckpointRefused(str(target), "it exists already, as a worktree (it may "
                                    "hold work); give another folder (--worktree)")
        if os.path.isdir(target) and not os.path.islink(target) and not os.listdir(target):
            return
        raise CheckpointRefused(str(target), "it exists already; give another folder "
                                "(--worktree)")

    def _clear_stale(self, target: Path) -> None:
        """Before a restore makes a worktree at ``target`` (which does not exist): when git
        still has a worktree registered there, its folder removed without ``git worktree
        remove`` (``rm -rf``; git-worktree(1): "prunable"), clear that one registration
        (``git worktree remove -f -f``; never ``git worktree prune``, which would clear
        every missing one) when a restore made it (its git folder holds
        :data:`RESTORED_MARK`, or its lock is :data:`RESTORING`: the tool's own copy of
        a checkpoint, which the checkpoint still holds); else raise
        :class:`~ai_protocols.errors.CheckpointRefused`: a person's worktree whose
        folder is missing may be on a drive not mounted now (issue 14, twenty-second
        round: git's raw refusal, exit 14, was all that was said). Reads the
        registrations' files (gitrepository-layout(5), ``worktrees/<id>/gitdir``); a
        git run only to clear one."""
        found = self._registered_at(target)
        if found is None:
            return
        try:
            with open(os.path.join(found, "locked"), encoding="utf-8",
                      errors="replace") as lock:
                reason: str | None = lock.read().strip()
        except OSError:
            reason = None
        if reason == RESTORING or os.path.exists(os.path.join(found, RESTORED_MARK)):
            self._git("worktree", "remove", "-f", "-f", str(target))
            return
        quoted = shell_quote(str(target))
        raise CheckpointRefused(str(target), "git has a worktree registered at this folder, "
                                "whose folder is missing (removed without git worktree "
                                "remove, or on a drive not mounted now; no restore made "
                                "it); give another folder (--worktree), or, if it is gone "
                                "for good, clear its registration with git worktree remove "
                                f"-f -f {quoted} (from {self.top}), then run this again")

    def _registered_at(self, target: Path) -> str | None:
        """The git folder (``$GIT_COMMON_DIR/worktrees/<id>``) of the worktree git has
        registered at ``target``, whose ``gitdir`` file names ``target/.git``; ``None``
        when there is none. Where each really is counts (:func:`_real`)."""
        home = os.path.join(self.common_dir, "worktrees")
        try:
            names = os.listdir(home)
        except OSError:
            return None
        wanted = _real(target / ".git")
        for name in names:
            try:
                with open(os.path.join(home, name, "gitdir"), "rb") as source:
                    named = _s(source.read(4096).strip())
            except OSError:
                continue
            if named and os.path.isabs(named) and _real(_path(named)) == wanted:
                return os.path.join(home, name)
        return None

    def _worktrees(self) -> dict[str, str | None]:
        """Each worktree of this repository (``git worktree list --porcelain``,
        git-worktree(1)), where it really is, with its lock's reason (``""``: locked
        without one; ``None``: not locked)."""
        from ai_protocols.git.history import worktree_list

        out = self._git("worktree", "list", "--porcelain", "-z", ok=tuple(range(256)))
        return {_real(_path(path)): locked for path, _, locked in worktree_list(out)}

    def _refuse_nested(self, target: Path, checkpoint: Checkpoint) -> None:
        """Refuse a new worktree inside this work tree or its git folders: git would
        make it (git-worktree(1) does not check), and the next ``git add -A`` (a
        checkpoint's, or the user's) would record it as a submodule's gitlink. Links are
        followed: where the folder would really be is what counts."""
        real = _real(target)
        for folder, what in ((self.top, "this work tree"), (self.git_dir, "its git folder"),
                             (self.common_dir, "its git folder")):
            inside = os.path.realpath(folder)
            if real == inside or real.startswith(inside.rstrip(os.sep) + os.sep):
                raise CheckpointRefused(
                    str(target), f"it is inside {what} ({inside}): a worktree there would "
                    "be taken into the next git add -A and commit of this work tree, as a "
                    "submodule; give "
                    "--worktree a folder outside it (one beside it that does not exist "
                    f"yet: {self._free_beside(checkpoint)})")

    def _free_beside(self, checkpoint: Checkpoint) -> Path:
        """The default worktree of ``checkpoint`` (:meth:`default_worktree`) when nothing
        is there yet, else the first of ``NAME-2``, ``NAME-3``... beside it that does not
        exist: a folder a refusal can suggest that ``restore`` will take."""
        default = self.default_worktree(checkpoint)
        found, count = default, 1
        while os.path.lexists(found) and count < 1000:
            count += 1
            found = default.with_name(f"{default.name}-{count}")
        return found

    def _refuse_taken(self, target: Path, checkpoint: Checkpoint) -> None:
        """Refuse an export ``target`` inside this work tree that git does not ignore
        (git-check-ignore(1)): the next checkpoint (and the user's next ``git add -A``)
        would take the tarball as uncommitted work, as :meth:`_refuse_nested` refuses a
        worktree there (issue 14, fifteenth round). Inside the git folder, or ignored,
        nothing takes it: written. Links are followed. One git run, only inside."""
        real, top = _real(target), os.path.realpath(self.top)
        if not real.startswith(top.rstrip(os.sep) + os.sep):
            return
        for folder in (self.git_dir, self.common_dir):
            inside = os.path.realpath(folder)
            if real.startswith(inside.rstrip(os.sep) + os.sep):
                return
        path = os.path.relpath(real, top)
        if self._git("check-ignore", "--no-index", "--", path, cwd=_path(top),
                     ok=(0, 1)).strip():
            return  # (ignored: git add -A and a checkpoint leave it out)
        beside = self.default_worktree(checkpoint)
        raise CheckpointRefused(
            str(target), f"it is inside this work tree ({top}) and git does not ignore "
            "it: the next checkpoint, and git add -A, would take the tarball as work; give "
            f"a FILE outside the work tree (for example {beside}.tar.gz), or ignore it "
            "first (a line in .gitignore or .git/info/exclude)", "export")

    def branch_problem(self, branch: str) -> str | None:
        """Why ``branch`` cannot name a new branch (``None``: it can): git's rules
        (git-check-ref-format(1) ``--branch``, which also refuses a leading ``-``), and
        never a full ref name (``refs/heads/foo`` would make a branch literally named
        so) nor a shorthand git expands (``@{-1}``)."""
        if branch.startswith("-"):
            return "a branch name cannot start with '-'"
        if branch.startswith("refs/"):
            return (f"give the branch's own name, without refs/... (as in "
                    f"{branch.rsplit('/', 1)[-1]}), not a full ref name")
        out = self._git("check-ref-format", "--branch", branch, ok=tuple(range(256)))
        if out.decode("utf-8", "surrogateescape").strip() != branch:
            return ("it is not a valid branch name (git check-ref-format --branch: no "
                    "'..', no space, ~, ^, :, ?, *, [ or \\, no '@{', no part starting "
                    "with '.' or ending with '.lock')")
        return None

    def _check_branch(self, branch: str) -> None:
        problem = self.branch_problem(branch)
        if problem is not None:
            raise CheckpointRefused(f"branch {branch}", problem)
        exists = self._git("rev-parse", "-q", "--verify", f"refs/heads/{branch}", ok=(0, 1))
        if exists.strip():
            raise CheckpointRefused(f"branch {branch}", "that branch exists already; give "
                                    "another name")

    def _raw(self, old: str | None, new: str) -> list[tuple[str, str, str, str, str]]:
        """``(status, path, old mode, new mode, new object)`` for each path that differs
        between the commits or trees ``old`` (``None``: nothing) and ``new``
        (git-diff-tree(1), "Raw output format"); a deleted path's new object is zeros."""
        if old is None:
            out = self._git("ls-tree", "-r", "-z", "--full-tree", new)
            found = []
            for item in out.split(b"\0"):
                if item:
                    info, _, path = item.partition(b"\t")
                    mode, _, blob = info.decode().split(" ")
                    found.append(("A", _s(path), "000000", mode, blob))
            return found
        return _raw_records(self._git("diff-tree", "-r", "-z", "--raw", "--no-renames", old,
                                      new))

    def _held(self, blobs: dict[str, str], index: bool = True) -> dict[str, list[str]]:
        """Where each of the paths' objects (``blobs``: path to hash) is kept elsewhere
        than the work tree: ``":0"`` (the index at that path; not asked when ``index``
        is false) and the commits of the checkpoints (any agent's) that hold it at that
        path; a path kept nowhere is left out. One ``git cat-file --batch-check -z`` run
        (git-cat-file(1))."""
        if not blobs:
            return {}
        commits = [c.commit for c in self.list(every_agent=True)]
        asked = [(path, where, f"{where}:{path}") for path in blobs
                 for where in ((":0",) * index + tuple(commits))]
        out = self._git("cat-file", "--batch-check=%(objectname)", "-z",
                        stdin=b"".join(_b(name) + b"\0" for _, _, name in asked))
        held: dict[str, list[str]] = {}
        at = 0
        for path, where, name in asked:  # one answer each, in order: a hash, or "missing"
            missing = _b(name) + b" missing\n"
            if out.startswith(missing, at):
                at += len(missing)
                continue
            answer, at = out[at:out.index(b"\n", at)].decode(), out.index(b"\n", at) + 1
            if answer == blobs[path]:
                held.setdefault(path, []).append(where)
        return held

    def _outside_sparse(self, paths: list[str]) -> set[str]:
        """Which of ``paths`` (relative to the top) a sparse checkout leaves out of the
        work tree: marked skip-worktree in your index (``git ls-files -t``, tag ``S``,
        git-ls-files(1)) and not there. A restore in place leaves them as your index has
        them: it never checks out what the sparse checkout's definition leaves out
        (docs/checkpoints.md). Outside a sparse checkout (:func:`sparse_checkout`),
        nothing, and no git run."""
        if not paths or not sparse_checkout(self.git_dir):
            return set()
        wanted = set(paths)
        found = set()
        for item in self._git("ls-files", "-t", "-z").split(b"\0"):
            if item[:2] == b"S " and (path := _s(item[2:])) in wanted and \
                    not os.path.lexists(self.top / path):
                found.add(path)
        return found

    def _refuse_staged(self, head: str | None, listing: bytes, paths: list[str],
                       here: dict[str, tuple[str, str]]) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when one of
        ``paths`` (relative to the top: those the restore would write or remove) holds
        work that only your index keeps: staged (``listing``: ``git diff-index --cached
        --raw -z`` against ``head``, or ``git ls-files -s -z`` before the first commit),
        in ``HEAD`` at no path and in no checkpoint at that path (with that content, and
        that file mode when the staging changed it). Such work is uncommitted: the index
        keeps it through the restore, but the next ``git add -A`` (or ``git commit -a``)
        drops it for the restored file (docs/decisions.md, "Issue 14, seventeenth round
        (restore, sparse checkouts, pause)"). The advice is one that works when followed
        (``here``: the work tree's ``(mode, hash)`` at each path that differs from
        ``HEAD``): where the work tree holds what is staged, a checkpoint (it records the
        work tree) or a commit; where it does not, a checkpoint would record the work
        tree's text, not the index's, so what is staged is set aside in a patch in the git
        folder and unstaged (``git diff --cached --binary``, ``git restore --staged``;
        ``git apply --cached`` stages it again), with a checkpoint first when some other
        path's work tree is what is staged (unstaged, it would be kept nowhere else)
        (docs/decisions.md, "Issue 14, eighteenth round (restore)")."""
        touched = set(paths)
        staged: dict[str, str] = {}
        modes: dict[str, str] = {}
        entries: dict[str, tuple[str, str]] = {}
        if head:
            for status, path, old_mode, new_mode, blob in _raw_records(listing):
                if path in touched and status[:1] in ("A", "M", "T") and \
                        new_mode != _GITLINK:
                    staged[path], entries[path] = blob, (new_mode, blob)
                    if status[:1] != "A" and old_mode != new_mode:
                        modes[path] = new_mode
        else:  # "MODE HASH STAGE" TAB PATH, git-ls-files(1)
            for item in listing.split(b"\0"):
                info, _, path = item.partition(b"\t")
                if item and _s(path) in touched:
                    mode, blob, stage = info.decode().split(" ")
                    if stage == "0" and mode != _GITLINK:
                        staged[_s(path)], entries[_s(path)] = blob, (mode, blob)
        if not staged:
            return
        held = self._held(staged, index=False)
        lost = sorted(set(staged) - (set(held) - self._modes_not_kept(modes, held)))
        if not lost:
            return
        said = (f"the work staged (git add) in {_first_five(lost)} is in no commit or "
                "checkpoint, only in your index, and the restore would overwrite or remove "
                "those files, so your next git add -A would drop it; keep it first: ")
        then = "; then restore again (or restore into a new worktree, without --force)"
        apart = [p for p in lost if here.get(p) != entries[p]]
        if not apart:  # (the work tree holds what is staged: a checkpoint records it)
            raise CheckpointRefused(
                str(self.top), f"{said}take a checkpoint (ai-protocols checkpoint), which "
                "records it (the work tree holds what is staged there), or commit it (git "
                f"commit){then}")
        top = shell_quote(str(self.top))
        named = " ".join(shell_quote(literal_pathspec(p)) for p in lost)
        patch = self.git_dir / "ai-protocols-staged.patch"
        count = 1
        while os.path.lexists(patch) and count < 1000:
            count += 1
            patch = self.git_dir / f"ai-protocols-staged-{count}.patch"
        aside = shell_quote(str(patch))
        first = "ai-protocols checkpoint && " if len(apart) < len(lost) else ""
        raise CheckpointRefused(
            str(self.top), f"{said}a checkpoint alone would not keep it (it records the work "
            f"tree, which differs from the index at {_first_five(apart)}), nor would a bare "
            f"git stash pop bring it back; set what is staged aside with: {first}git -C "
            f"{top} diff --cached --binary -- {named} > {aside} && git -C {top} restore "
            f"--staged -- {named} (after the restore, git -C {top} apply --cached {aside} "
            f"stages it again){then}")

    def _edited_in_emacs(self, paths: list[str]) -> list[str]:
        """Which of ``paths`` (relative to the top) a buffer in Emacs holds unsaved
        changes to: a live lock ``.#NAME`` beside it
        (:func:`~ai_protocols.org.emacs_lock.live_emacs_lock`: a lock of a process on
        this host that is gone, or from before the last boot, is stale; one ``readlink``
        a path). The one rule of ``restore --force``'s refusal and ``checkpoint``'s
        warning."""
        from ai_protocols.org.emacs_lock import live_emacs_lock

        top = self.top_text
        return [p for p in paths if live_emacs_lock(os.path.join(top, p)) is not None]

    def start_unsaved_search(self) -> _Git:
        """Start the ``git status`` run :meth:`unsaved_in_emacs` reads (alongside the
        checkpoint's own git runs: it writes nothing)."""
        return self._spawn("--no-optional-locks", "status", "--porcelain", "-z",
                           "--ignored=matching", "--untracked-files=all", "--",
                           ":(top,glob)**/.#*")

    def unsaved_in_emacs(self, started: _Git | None = None) -> list[str]:
        """The work files (paths from the top, outside the tool's ``.ai/`` folders) an
        Emacs buffer holds unsaved changes to (:meth:`_edited_in_emacs`): a checkpoint
        leaves Emacs's own files out, so it holds such a file as it is on disk, without
        what was typed since (docs/checkpoints.md). The locks are found by one ``git
        status`` run limited to lock names (``.#*``), ignored ones too
        (``--ignored=matching``: an ignored folder is not walked), without taking
        git's optional index lock (git(1), ``--no-optional-locks``): the index is
        never written; ``started``: that run, begun by :meth:`start_unsaved_search`.
        Raises :class:`~ai_protocols.errors.GitFailed`."""
        out = (started or self.start_unsaved_search()).wait()
        files = []
        for item in out.split(b"\0"):
            if item[:3] in (b"?? ", b"!! ") and not item.endswith(b"/"):
                folder, _, name = _s(item[3:]).rpartition("/")
                work = f"{folder}/{name[2:]}" if folder else name[2:]
                if name[2:] and not is_tool_path(work, self.tool_folders):
                    files.append(work)
        return self._edited_in_emacs(files)

    def _refuse_edited(self, paths: list[str], removed: list[str] | None = None) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when a person
        edits one of ``paths`` (relative to the top: the files the restore would write)
        or ``removed`` (those it would remove) in Emacs, the refusal saying which it
        would do: a live lock ``.#NAME`` beside it
        (:func:`~ai_protocols.org.emacs_lock.live_emacs_lock`, one ``readlink`` a file)
        means a buffer with unsaved changes, uncommitted work the snapshot does not
        hold, and the person's next save would undo the restore of that file
        (docs/decisions.md, "Issue 14, fifteenth round (Emacs buffers and git)")."""
        edited, gone = self._edited_in_emacs(paths), self._edited_in_emacs(removed or [])
        if edited or gone:
            said = " and ".join(
                [f"{_first_five(edited)}, which the restore would write"] * bool(edited) +
                [f"{_first_five(gone)}, which the restore would remove"] * bool(gone))
            raise CheckpointRefused(
                str(self.top), f"a buffer in Emacs holds unsaved changes to {said}; save or "
                "revert it in Emacs first (or restore into a new worktree, without --force)")

    def _check_filters(self, commit: str, paths: list[str]) -> None:
        """Refuse (:class:`CheckpointRefused`, before anything is written) when the
        smudge filter ``.gitattributes`` sets on one of ``paths`` (gitattributes(5),
        ``filter``) fails on the checkpoint's ``commit``'s file: ``git checkout`` removes
        a file before it writes it, so a filter that fails then leaves it deleted. Each
        such file is run through its filters first (``git cat-file --filters``,
        git-cat-file(1)), as the checkout would write it."""
        if not paths:
            return
        out = self._git("check-attr", "-z", "--stdin", "filter",
                        stdin=b"".join(_b(p) + b"\0" for p in paths))
        fields = out.split(b"\0")
        filtered = [_s(path) for path, _, value in zip(fields[0::3], fields[1::3],
                                                       fields[2::3], strict=False)
                    if value not in (b"unspecified", b"unset", b"")]
        # One run per file (git 2.39's --batch --filters asks a path it was given),
        # eight at a time.
        for at in range(0, len(filtered), 8):
            runs = [self._spawn("cat-file", "--filters", f"{commit}:{p}")
                    for p in filtered[at:at + 8]]
            failed = None
            for run in runs:
                try:
                    run.wait()
                except GitFailed as error:
                    failed = failed or error
            if failed is not None:
                raise CheckpointRefused(
                    str(self.top), f"a filter failed on a file it would write "
                    f"({failed.reason}); no file was written or removed") from None

    def _mode_only_here(self, head: str | None, now: str,
                        held: dict[str, list[str]]) -> set[str]:
        """Which of the paths whose content is kept elsewhere (``held``, from
        :meth:`_held`: path to the places holding it) have in the work tree (the tree
        ``now``) a file mode (a ``chmod +x``) that ``HEAD`` has not, and that none of
        those places (the index, a checkpoint) has with that content: a change the work
        tree alone holds, as content can be, judged by the same rule (docs/decisions.md,
        "Issue 14, sixteenth round (git)")."""
        if head is None or not held:
            return set()
        return self._modes_not_kept(
            {path: mode for status, path, old, mode, _ in self._raw(head, now)
             if status == "M" and old != mode and mode != _GITLINK and path in held}, held)

    def _modes_not_kept(self, changed: dict[str, str],
                        held: dict[str, list[str]]) -> set[str]:
        """Which of ``changed`` (path to the file mode it has now, one ``HEAD`` has not)
        none of the places holding its content (``held``, from :meth:`_held`) has with
        that mode."""
        if not changed:
            return set()
        asked: dict[str, list[str]] = {}
        for path in changed:
            for where in held[path]:
                asked.setdefault(where, []).append(path)
        kept = set()
        places = list(asked.items())
        for at in range(0, len(places), 8):  # eight runs at a time
            runs = [self._spawn(*(("ls-files", "-s", "-z") if where == ":0" else
                                  ("ls-tree", "-z", "--full-tree", where)), "--",
                                *(f":(top,literal){p}" if where == ":0" else p for p in paths))
                    for where, paths in places[at:at + 8]]
            for run in runs:  # "MODE SP ... TAB PATH", both formats (a stage, a type)
                for item in run.wait().split(b"\0"):
                    info, _, path = item.partition(b"\t")
                    if item and info.decode().split(" ")[0] == changed.get(_s(path)):
                        kept.add(_s(path))
        return set(changed) - kept

    def _submodule_refusal(self, path: str, status: str, old_mode: str,
                           commit: str) -> list[str]:
        """Why the submodule at ``path`` cannot be moved to ``commit`` in place (``[]``:
        it can): it is not checked out here, has uncommitted changes, or lacks it."""
        where = self.top / path
        if status != "M" or old_mode != _GITLINK:
            return [f"{path} is a submodule in the checkpoint and not here (or the other "
                    "way round); restore into a new worktree (without --force)"]
        if not os.path.lexists(where / ".git"):
            # (git -C TOP: the path is git's, from the top, wherever it is pasted; issue
            # 14, twenty-first round)
            return [f"the submodule {path} is not checked out here; run git -C "
                    f"{shell_quote(str(self.top))} submodule update --init -- "
                    f"{shell_quote(path)} first, or restore into a new worktree"]
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        if self._spawn("status", "--porcelain", cwd=where, env=env).wait().strip():
            return [f"the submodule {path} has uncommitted changes; commit or stash them "
                    "there first"]
        probe = self._spawn("rev-parse", "-q", "--verify", f"{commit}^{{commit}}", cwd=where,
                            env=env).wait(ok=(0, 1, 128))
        if not probe.strip():
            return [f"the submodule {path} does not have the commit {commit[:12]}; fetch it "
                    f"there first (git -C {shell_quote(str(where))} fetch)"]
        return []

    def _in_the_way(self, written: list[str], added: set[str],
                    removed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
        """What restoring ``written`` into this work tree would destroy that the
        snapshot does not hold: a file (ignored, or untracked) where an ``added`` one
        goes, a folder where a file goes, a file where a folder goes. ``removed``: the
        files the restore removes first (their content is held elsewhere): a folder
        holding only those, or such a file, is not in the way."""
        found = []
        for path in written:
            # The folders above first: a symbolic link or a file where a folder goes is
            # in the way itself (unless removed first), and what lies beyond a symbolic
            # link is no file of this work tree (never judged through it).
            parent, beyond = _path(path).parent, False
            while parent.parts:
                where = self.top / parent
                if os.path.lexists(where) and (os.path.islink(where) or
                                               not os.path.isdir(where)):
                    if parent.as_posix() not in removed:
                        found.append(parent.as_posix())  # a file where a folder goes
                    beyond = True
                    break
                parent = parent.parent
            if beyond:
                continue
            target = self.top / path
            if os.path.isdir(target) and not os.path.islink(target):
                if not self._only_removed(path, removed):
                    found.append(path)  # its files would go with it
            elif path in added and os.path.lexists(target) and path not in removed:
                found.append(path)  # ignored, so not in the snapshot
        return found

    def _only_removed(self, folder: str, removed: set[str]) -> bool:
        """Whether every file under ``folder`` (relative to the top) is one of
        ``removed`` (an ignored file, a nested repository: not)."""
        for at, folders, files in os.walk(self.top / folder):
            rel = os.path.relpath(at, self.top).replace(os.sep, "/")
            for name in files:
                if f"{rel}/{name}" not in removed:
                    return False
            for name in folders:
                if os.path.islink(os.path.join(at, name)) and f"{rel}/{name}" not in removed:
                    return False
        return True

    def _is_session_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.session_paths)

