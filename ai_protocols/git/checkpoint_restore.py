"""Restoring a checkpoint (:meth:`Restoring.restore`), into a new worktree or here.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import CheckpointRefused, GitFailed
from ai_protocols.git.checkpoint_marks import RESTORING, _restored_mark
from ai_protocols.git.checkpoint_repo import (
    _GITLINK,
    _NO_HOOKS,
    _SKIP_WORKTREE,
    _WHOLE,
    Checkpoint,
    Restored,
    _as_seen,
    _b,
    _discard,
    _first_five,
    _move,
    _path,
    _s,
    _unlink,
)
from ai_protocols.git.spawn import GitRun as _Git
from ai_protocols.git.spawn import add_all, add_pathspec, temp_index_env
from ai_protocols.lean import shell_quote
from ai_protocols.paths import AI_DIR, is_tool_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


class Restoring:
    """``checkpoint restore``: a checkpoint's files written back, into a new worktree or
    here."""

    def restore(self, checkpoint: Checkpoint, *, worktree: Path | None = None,
                branch: str | None = None, in_place: bool = False) -> Restored:
        """Put ``checkpoint``'s files back.

        By default into a new linked worktree (git-worktree(1)) at ``worktree`` (default
        :meth:`default_worktree`; refused inside this work tree or its git folder),
        whose ``HEAD`` is the commit the checkpoint was taken on (on a new ``branch``
        when given, else detached) and whose files are the checkpoint's, as uncommitted
        changes, as they were; a submodule's commit (its gitlink) as the checkpoint has
        it is staged in its index, its folder left empty for ``git submodule update
        --init`` (``submodules``).

        ``in_place``: into this work tree, leaving its ``HEAD``, branch and index as
        they are; every path is made as the checkpoint has it (written, or removed
        when the checkpoint lacks it) unless what the path holds now exists only in the
        work tree (not in ``HEAD``, the index, or any checkpoint): such a file is never
        overwritten (refused before anything is written) nor removed (``kept``). A
        submodule is moved to the checkpoint's commit (``git checkout --detach``) when
        it is checked out, clean and has that commit, else refused; its folder is never
        removed. The live session files are never written. Raises
        :class:`~ai_protocols.errors.CheckpointRefused` and
        :class:`~ai_protocols.errors.GitFailed`.
        """
        if in_place:
            return self._restore_here(checkpoint)
        target = _path(os.path.abspath(worktree or self.default_worktree(checkpoint)))
        if os.path.lexists(target):
            self._refuse_existing(target, checkpoint)
        self._refuse_nested(target, checkpoint)
        if branch is not None:
            self._check_branch(branch)
        if checkpoint.parent is not None and self.shallow and \
                not self.has_commit(checkpoint.parent):
            raise CheckpointRefused(str(target), f"the commit it was taken on, "
                                    f"{checkpoint.parent[:12]}, is past the history of this "
                                    "shallow clone (git clone --depth); fetch more of it with "
                                    "git fetch --deepen=N (or git fetch --unshallow), then "
                                    "run this again")
        base = checkpoint.parent or checkpoint.commit
        # Locked as git makes it (git-worktree(1) --lock: no moment without the lock),
        # with our reason: the mark of a restore under way, which the finished mark
        # RESTORED_MARK replaces; a worktree still locked so is one we left half way.
        args = ["worktree", "add", "-q", "--no-checkout", "--lock", "--reason", RESTORING]
        args += ["-b", branch] if branch else ["--detach"]
        self._clear_stale(target)
        self._git(*_NO_HOOKS, *args, str(target), base)
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        try:
            # Every file of the checkpoint, in a sparse checkout too (git worktree add
            # gives the new worktree this one's sparse patterns: the files outside them,
            # the tool's .ai/ among them, would not be written, and then not be there).
            self._git(*_WHOLE, "read-tree", "-u", "--reset", checkpoint.commit, cwd=target,
                      env=env)
        except GitFailed as error:  # (a smudge filter that fails): undone, and said so
            raise GitFailed(error.command, error.reason + self._undo_worktree(target, branch)
                            ) from None
        inside = self.worktrees_inside
        links = [(path, blob) for _, path, _, mode, blob in self._raw(None, checkpoint.commit)
                 if mode == _GITLINK and not self._in_worktree_inside(path, inside)]
        if checkpoint.parent is not None:
            self._git(*_WHOLE, "reset", "-q", "--no-refresh", cwd=target,
                      env=env)  # index = HEAD
            if links:  # a gitlink lives in the index only: the checkpoint's, staged
                self._git("update-index", "-z", "--index-info", cwd=target, env=env,
                          stdin=b"".join(f"{_GITLINK} {blob}\t".encode() + _b(path) + b"\0"
                                         for path, blob in links))
        copies = self._second_copies(target)
        _restored_mark(target, make=checkpoint.commit)  # the last step: a whole restore
        self._git("worktree", "unlock", str(target))
        registered = self._registered_submodules(checkpoint.commit) if links else set()
        done = Restored(checkpoint, target, branch,
                        submodules=[link for link in links if link[0] in registered])
        done.copies = copies
        # A nested repository (a gitlink no .gitmodules names: git add took an untracked
        # repository so) has no URL for submodule update; one whose commit was never
        # pushed cannot be fetched from its URL: both are taken from this checkout.
        done.unpushed = [(path, commit) for path, commit in links
                         if path not in registered or not self._pushed(path, commit)]
        return done

    def _second_copies(self, target: Path) -> list[tuple[str, str, str]]:
        """For each live session file of this project that the new worktree at
        ``target`` holds too (a checkpoint keeps them as the index has them: a session
        file committed comes along), whose session is the one live here (the same file
        at the same place in this work tree, of one session:
        :func:`~ai_protocols.session.layout.one_session`): the record a carry leaves
        made there, its kept copy's place a symbolic link to the file here, so that
        ``ai-protocols`` in that worktree says where the session is and refuses a write
        into the copy (:class:`~ai_protocols.errors.SessionCarried`, exit 6: a second
        live copy of one session, the one rule of a carried session's; issue 14,
        twenty-first round: ``log`` there wrote into it without a word). Returns
        ``(copy, live, record)`` of each, absolute paths. Reads the head of each pair
        (:func:`~ai_protocols.session.layout.head_of`)."""
        from ai_protocols.paths import CONTEXT_DIR, DEFAULT_CONTEXT
        from ai_protocols.session.layout import HEAD_BYTES, head_of, one_session
        from ai_protocols.session.names import kept_path

        ai = _path(os.path.relpath(self.root / AI_DIR, self.top))
        if ai.parts[:1] == ("..",):
            return []
        there, here = target / ai, self.root / AI_DIR
        names = [DEFAULT_CONTEXT]
        if os.path.isdir(there / CONTEXT_DIR):
            names += sorted(f"{CONTEXT_DIR}/{n}" for n in os.listdir(there / CONTEXT_DIR)
                            if n.endswith(".org") and not n.startswith("."))

        def heading(path: Path) -> dict[str, str] | None:
            try:
                with open(path, "rb") as source:
                    data = source.read(HEAD_BYTES)
            except OSError:
                return None
            found = head_of(data)  # (the one rule of a session head's read)
            return None if found is None else found.properties

        copies = []
        for name in names:
            copy, live = there / name, here / name
            if not copy.is_file() or copy.is_symlink() or not live.is_file() or \
                    live.is_symlink():
                continue
            mine, theirs = heading(copy), heading(live)
            if mine is None or theirs is None or not one_session(mine, theirs):
                continue
            record = kept_path(str(there), str(copy))
            if os.path.lexists(record):
                continue
            os.makedirs(os.path.dirname(record), exist_ok=True)
            os.symlink(str(live), record)
            copies.append((str(copy), str(live), record))
        return copies

    def _undo_worktree(self, target: Path, branch: str | None) -> str:
        """Remove the worktree at ``target`` a restore began (and the ``branch`` it made)
        after git failed writing its files: never a locked half-made worktree left
        behind. What was done, to add to git's reason."""
        self._spawn("worktree", "remove", "-f", "-f", str(target)).wait(ok=tuple(range(256)))
        if os.path.lexists(target):
            return ("; the worktree it began is left half made: remove it with git worktree "
                    f"remove -f -f {shell_quote(str(target))}")
        if branch is not None:
            self._spawn("branch", "-q", "-D", branch).wait(ok=tuple(range(256)))
        return ("; the worktree it began was removed" +
                (f", and its branch {branch}" if branch else "") + ": nothing was made")

    def _added(self, adding: _Git, env: dict[str, str]) -> None:
        """Wait for the checkpoint's ``git add -A``. When it failed only for untracked
        repositories with no commit checked out (``error: 'sub/' does not have a commit
        checked out``: git-add(1) records a nested repository as its commit, and there
        is none), add again without them, and keep their paths in
        :attr:`empty_repositories`."""
        try:
            adding.wait()
        except GitFailed as error:
            marker = "' does not have a commit checked out"
            empty = [part.rsplit("'", 1)[-1].rstrip("/") for part in error.reason.split(marker)
                     [:-1]]
            if not empty or any(not p or p.startswith("..") for p in empty):
                raise
            exclude = [f":(top,literal,exclude){p}" for p in empty]
            self._git(*add_all(self.git_dir_text),
                      *add_pathspec(self.session_paths, self.worktrees_inside), *exclude,
                      env=env)
            self.empty_repositories = empty
    def _registered_submodules(self, commit: str) -> set[str]:
        """The paths ``.gitmodules`` in ``commit``'s tree names as submodules
        (gitmodules(5): ``submodule.<name>.path``), read as git reads it."""
        found = self._git("config", "--blob", f"{commit}:.gitmodules", "-z", "--get-regexp",
                          r"^submodule\..*\.path$", ok=(0, 1, 128))
        paths = set()
        for item in found.split(b"\0"):
            _, _, value = item.partition(b"\n")
            if value:
                paths.add(value.decode("utf-8", "surrogateescape"))
        return paths

    def _pushed(self, path: str, commit: str) -> bool:
        """Whether the submodule checked out here at ``path`` has ``commit`` on one of
        its remote-tracking branches (``git for-each-ref --contains``): else it was
        likely never pushed, and ``git submodule update`` in a new worktree, which
        fetches from the submodule's URL, cannot get it. ``True`` when not known (no
        checkout here)."""
        where = self.top / path
        if not os.path.lexists(where / ".git"):
            return True
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        run = self._spawn("for-each-ref", "--count=1", "--contains", commit,
                          "--format=%(refname)", "refs/remotes", cwd=where, env=env)
        try:
            return bool(run.wait().strip())
        except GitFailed:  # (the commit is not there either)
            return True

    def nested_repositories(self, checkpoint: Checkpoint) -> list[str]:
        """The paths ``checkpoint`` holds as a gitlink (a commit only, not its files)
        that the user's index does not know as a submodule: untracked git repositories
        inside the work tree, which ``git add -A`` takes so (git-add(1), "embedded
        repository")."""
        top = self.top_text
        folders = [p for p in checkpoint.changed if os.path.isdir(os.path.join(top, p))
                   and not os.path.islink(os.path.join(top, p))]
        if not folders:
            return []
        # Only what the checkpoint holds as a gitlink (mode 160000, git-ls-tree(1)): a
        # tracked file replaced by a plain folder is a changed path that is a folder
        # too, and the checkpoint holds that folder's files (issue 14, ninth review).
        held = self._git("ls-tree", "-z", checkpoint.commit, "--",
                         *(f":(top,literal){p}" for p in folders))
        links = {_s(item.partition(b"\t")[2]) for item in held.split(b"\0")
                 if item.startswith(_GITLINK.encode())}
        folders = [p for p in folders if p in links]
        if not folders:
            return []
        out = self._git("ls-files", "-s", "-z", "--", *(f":(top,literal){p}" for p in folders))
        known = {_s(item.partition(b"\t")[2]) for item in out.split(b"\0")
                 if item.startswith(_GITLINK.encode())}
        return [p for p in folders if p not in known]

    def dirty_submodules(self) -> list[str]:
        """The submodules (paths from the top) with uncommitted changes or untracked files
        inside them, which a checkpoint leaves out: it holds each submodule's commit
        only. ``git status --porcelain=v2``'s submodule field (git-status(1): ``S``,
        then ``M`` tracked changes, ``U`` untracked files), asked only of the
        submodules the index knows, and only when ``.gitmodules`` exists."""
        if not os.path.exists(os.path.join(self.top_text, ".gitmodules")):
            return []
        listed = self._git("ls-files", "-s", "-z")
        links = [_s(item.partition(b"\t")[2]) for item in listed.split(b"\0")
                 if item.startswith(_GITLINK.encode())]
        if not links:
            return []
        out = self._git("status", "--porcelain=v2", "-z", "--ignore-submodules=none",
                        "--", *(f":(top,literal){p}" for p in links))
        found, records, at = [], out.split(b"\0"), 0
        while at < len(records):
            record = records[at]
            at += 1
            if record[:2] not in (b"1 ", b"2 "):
                continue
            fields = record.split(b" ", 9 if record[:1] == b"2" else 8)
            sub = fields[2]
            if record[:1] == b"2":
                at += 1  # (the original path follows)
            if sub[:1] == b"S" and (sub[2:3] == b"M" or sub[3:4] == b"U"):
                found.append(_s(fields[-1]))
        return found

    def _restore_here(self, checkpoint: Checkpoint) -> Restored:
        temp = self._temp_index()
        head = self.head()
        # What your index holds that HEAD does not (what is staged), read before the
        # snapshot, at the same time as it.
        staged = self._spawn(*(("diff-index", "--cached", "-z", "--raw", "--no-renames", head)
                               if head else ("ls-files", "-s", "-z")))
        try:
            try:
                now = self._snapshot(temp)  # the work tree, in the temporary index
            finally:
                listing = staged.wait()
            # What the work tree holds that HEAD does not (a deletion holds nothing).
            here = {path: (mode, blob) for status, path, _, mode, blob in self._raw(head, now)
                    if status != "D" and mode != _GITLINK}
            uncommitted = {path: blob for path, (_, blob) in here.items()}
            every = self._raw(now, checkpoint.commit)
            # The tool's own files (every .ai/ folder: the scaffold, the board, the
            # archives, the locks, the session files) are never written nor removed.
            # A linked worktree of this repository inside the work tree (a checkpoint
            # taken before they were left out may hold it as a gitlink) is another
            # checkout, never touched.
            inside = self.worktrees_inside
            every = [c for c in every if not self._in_worktree_inside(c[1], inside)]
            changes = [c for c in every if not is_tool_path(c[1], self.tool_folders)]
            tool = [c[1] for c in every if is_tool_path(c[1], self.tool_folders)]
            places = self._held({p: uncommitted[p] for _, p, *_ in changes
                                 if p in uncommitted})
            mode_only = self._mode_only_here(head, now, places)
            only_here = set(uncommitted) - (set(places) - mode_only)  # lost if overwritten
            kept, touched, links, refused = [], [], [], []
            for status, path, old_mode, new_mode, blob in changes:
                if _GITLINK in (old_mode, new_mode):
                    if status == "D":
                        kept.append(path)  # a submodule's folder: its own repository
                    else:
                        refused += self._submodule_refusal(path, status, old_mode, blob)
                        links.append((path, blob))
                elif status == "D" and path in only_here:
                    kept.append(path)
                else:
                    touched.append((status, path))
            outside = self._outside_sparse([p for _, p in touched])
            touched = [(s, p) for s, p in touched if p not in outside]
            written = [p for s, p in touched if s != "D"]
            removed = {p for s, p in touched if s == "D" and p not in only_here}
            clash = sorted({p for _, p in touched if p in only_here} |
                           set(self._in_the_way(written, {p for s, p in touched if s == "A"},
                                                removed)) |
                           # a path kept (its content is here alone) where a folder goes
                           {k for k in kept if any(w.startswith(k + "/") for w in written)})
            if clash:
                shown = _first_five(clash)
                chmod = [p for p in clash if p in mode_only]
                said = (f" (of {_first_five(chmod)} only the file mode, a chmod, is not "
                        "kept elsewhere: its content is)") if chmod else ""
                raise CheckpointRefused(
                    str(self.top), f"it would overwrite uncommitted, untracked or ignored "
                    f"work in {shown}{said}; keep it first: take a checkpoint (ai-protocols "
                    "checkpoint), which records it (but a file git ignores: move that), or "
                    "commit or move it; then restore again (or restore into a new worktree, "
                    "without --force)")
            if refused:
                raise CheckpointRefused(str(self.top), "; ".join(refused))
            self._refuse_staged(head, listing, [p for _, p in touched], here)
            self._refuse_edited([p for s, p in touched if s != "D"],
                                [p for s, p in touched if s == "D"])
            self._check_filters(checkpoint.commit, written)
            entries = {path: (mode, blob) for status, path, _, mode, blob in changes}
            meanwhile = self._write_checked(temp, [(p, None if s == "D" else entries[p])
                                                   for s, p in touched])
            touched = [(s, p) for s, p in touched if p not in meanwhile]
            for path, commit in links:
                self._git(*_NO_HOOKS, "checkout", "-q", "--detach", commit,
                          cwd=self.top / path,
                          env={k: v for k, v in self._env.items()
                               if k not in ("GIT_DIR", "GIT_WORK_TREE")})
        finally:
            _unlink(temp)
            _unlink(f"{temp}.lock")
        done = Restored(checkpoint, self.top, None, [p for _, p in touched] +
                        [p for p, _ in links], kept, links)
        done.left = tool
        done.changed = meanwhile
        done.sparse = sorted(outside)
        if checkpoint.parent != head:  # taken on another commit: HEAD's files removed too
            done.elsewhere = (checkpoint.parent, head)
            done.committed_removed = [p for s, p in touched if s == "D" and p not in uncommitted]
        return done

    def _write_checked(self, temp: str,
                       items: list[tuple[str, tuple[str, str] | None]]) -> list[str]:
        """Make each path of ``items`` (relative to the top; ``(mode, hash)`` to write,
        ``None`` to remove) as given, each only if the work tree still holds there what
        the snapshot saw; return the paths left as they are because they changed since.

        The snapshot is the temporary index ``temp``: ``git add -A`` left in it each
        file's stat data as it read the file (``git ls-files --debug``,
        git-ls-files(1)); a path it did not hold (or holds skip-worktree: not in the work
        tree) was absent. Each path is looked at (``lstat``: ctime, mtime, inode, size)
        just before it is written or removed: a file saved since (in an editor, by
        another program) is left, and so is a file made since where there was none. The
        files are first written by git into a folder of the git folder (``git
        checkout-index --prefix``: filters, line endings, modes and symbolic links as a
        checkout writes them; a killed run's folder is removed by the next run, never
        left in the work tree), then each is renamed over its path, so the moment
        between the look and the write is one rename (a copy beside it first, when the
        git folder is on another file system). Removals go first (with the folders they
        leave empty), so that a folder that goes where a file went, or a file where a
        folder went, has its place. No hook runs. Raises
        :class:`~ai_protocols.errors.GitFailed`."""
        place = _path(f"{temp}.target")
        staging = _path(f"{temp}.files")
        env = temp_index_env(self._env, str(place))
        written = [(p, entry) for p, entry in items if entry is not None]
        try:
            if written:
                _discard(staging)  # (a killed run's, whose number this process now has)
                os.makedirs(staging)
                self._git("read-tree", "--empty", env=env)
                self._git("update-index", "-z", "--index-info", env=env,
                          stdin=b"".join(f"{mode} {blob} 0\t".encode() + _b(p) + b"\0"
                                         for p, (mode, blob) in written))
                self._git(*_NO_HOOKS, "checkout-index", f"--prefix={staging}/", "-z",
                          "--stdin", env=env,
                          stdin=b"".join(_b(p) + b"\0" for p, _ in written))
            seen = self._looked(temp)
            changed: list[str] = []
            for path, entry in sorted(items, key=lambda item: item[1] is not None):
                where = self.top / path
                if not _as_seen(where, seen.get(path)):
                    changed.append(path)
                    continue
                if entry is None:
                    where.unlink(missing_ok=True)
                    self._prune(_path(path).parent)
                    continue
                if os.path.isdir(where) and not os.path.islink(where):
                    try:
                        os.rmdir(where)  # (emptied by the removals: the restore checked it)
                    except OSError:  # (a file made in it since)
                        changed.append(path)
                        continue
                os.makedirs(where.parent, exist_ok=True)
                _move(staging / path, where)
            return changed
        finally:
            _discard(staging)
            place.unlink(missing_ok=True)
            _path(f"{place}.lock").unlink(missing_ok=True)

    def _looked(self, temp: str) -> dict[str, tuple[int, ...] | None]:
        """The stat data (ctime and mtime in nanoseconds, inode, size) the temporary
        index ``temp`` holds of each path, ``None`` for one marked skip-worktree (not
        in the work tree: a sparse checkout's); git-ls-files(1), ``--debug -z``: each
        name, then five lines."""
        out = self._git("ls-files", "--debug", "-z", env=temp_index_env(self._env, str(temp)))
        seen: dict[str, tuple[int, ...] | None] = {}
        items = out.split(b"\0")
        name = items[0]
        for item in items[1:]:
            lines = item.split(b"\n", 5)
            if len(lines) < 6:
                break
            fields = {k.strip(): v.strip() for line in lines[:5]
                      for part in line.split(b"\t") for k, _, v in [part.partition(b":")]}
            ctime, mtime = (tuple(int(x) for x in fields[k].split(b":"))
                            for k in (b"ctime", b"mtime"))
            skip = int(fields[b"flags"], 16) & _SKIP_WORKTREE
            seen[_s(name)] = None if skip else (
                ctime[0] * 10**9 + ctime[1], mtime[0] * 10**9 + mtime[1],
                int(fields[b"ino"]), int(fields[b"size"]))
            name = lines[5]
        return seen

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` (relative to the top) and the folders above it while they
        are empty, as git does when it removes a file."""
        while folder.parts:
            try:
                os.rmdir(self.top / folder)
            except OSError:
                return
            folder = folder.parent

