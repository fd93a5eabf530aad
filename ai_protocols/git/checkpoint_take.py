"""Taking a checkpoint (:meth:`Taking.take`): the work tree kept as a commit through a
temporary index, the unmerged paths left out.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import GitFailed
from ai_protocols.git.checkpoint_repo import (
    _IDENTITY,
    _SUBJECT,
    Checkpoint,
    _b,
    _discard,
    _early_spec,
    _running,
    _s,
    _unlink,
)
from ai_protocols.git.spawn import TEMP_PREFIX as _TEMP_PREFIX
from ai_protocols.git.spawn import EarlyAdd, add_all, add_pathspec, temp_index_env
from ai_protocols.git.spawn import GitRun as _Git
from ai_protocols.lean import datetime, digits, timezone
from ai_protocols.paths import is_tool_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Taking:
    """Taking a checkpoint: the temporary index seeded from the real one, ``git add -A``
    into it, the commit and its ref (the module docstring of
    :mod:`ai_protocols.git.checkpoint`)."""

    def _seeded(self, temp: str) -> tuple[dict[str, str], list[str]]:
        """Seed the temporary index ``temp`` with the real one (none when the repository
        has no index yet): a hard link to it (git replaces an index it changes with a new
        file, gitformat-index(5) and git's lockfile API), else a copy; return the
        environment that points git at it, and the pathspec of ``git add -A`` (the whole
        tree, less the session files)."""
        try:  # git never writes an index in place (a lock file renamed over it):
            os.link(self.index_text, temp)  # the real one is safe, and keeps its time
            data = None
        except FileNotFoundError:
            data = None
        except OSError:  # (a file system without hard links)
            try:
                with open(self.index_text, "rb") as source:
                    data, stat = source.read(), os.fstat(source.fileno())
            except FileNotFoundError:
                data = None
        if data is not None:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # The copy keeps the index's time: git tells a file changed in the same
            # tick as the index was written ("racily clean", gitformat-index(5) and
            # Documentation/technical/racy-git.txt) by comparing with that time.
            os.utime(temp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        env = temp_index_env(self._env, temp)
        return env, add_pathspec(self.session_paths, self.worktrees_inside)

    def _snapshot(self, temp: str) -> str:
        """The tree of the work tree as a checkpoint records it, built in the temporary
        index ``temp``; returns the tree's hash."""
        env, spec = self._seeded(temp)
        flags = self._spawn("ls-files", "-v", "-z", env=env)
        self._git(*add_all(self.git_dir_text), *spec, env=env)
        self._unflag(env, flags.wait())
        return self._git("write-tree", env=env).decode().strip()

    def _unflag(self, env: dict[str, str], listing: bytes) -> None:
        """Take into the temporary index (``env``) the work tree's content of the files
        the user's index marks skip-worktree or assume-unchanged (``listing``: its
        ``git ls-files -v -z``, git-ls-files(1): tag ``S``, or a lower-case tag), which
        ``git add -A`` passes over (git-update-index(1)): their flags cleared in the
        temporary index only, then each file there is hashed; one missing from the work
        tree (a sparse checkout's) stays as the index has it. The user's index keeps its
        flags."""
        skip, assume = [], []
        for item in listing.split(b"\0"):
            if len(item) > 2 and (item[:1] == b"S" or item[:1].islower()):
                path = item[2:]
                if not self._is_session_path(_s(path)):
                    (assume if item[:1].islower() else skip).append(path)
                    if item[:1] == b"s":
                        skip.append(path)
        if not skip and not assume:
            return
        for flag, paths in (("--no-assume-unchanged", assume), ("--no-skip-worktree", skip)):
            if paths:
                self._git("update-index", flag, "-z", "--stdin", env=env,
                          stdin=b"".join(p + b"\0" for p in paths))
        top = self.top_text
        here = [p for p in dict.fromkeys(assume + skip)
                if os.path.lexists(os.path.join(top, _s(p)))]
        if here:
            self._git("update-index", "-z", "--stdin", env=env,
                      stdin=b"".join(p + b"\0" for p in here))

    def _temp_index(self, keep: str | None = None) -> str:
        """A fresh temporary index path in the git folder (text); removes those killed
        runs left (their process is gone: an index, or the folder of files a restore in
        place writes, :meth:`_write_checked`), but ``keep``, the one started early."""
        git_dir = self.git_dir_text
        kept = None if keep is None else os.path.basename(keep)
        for name in os.listdir(git_dir):  # (no glob: no pattern to compile)
            if not name.startswith(_TEMP_PREFIX) or ".index" not in name or \
                    (kept is not None and name.startswith(kept)):
                continue
            pid = name[len(_TEMP_PREFIX):].split(".", 1)[0]
            if digits(pid) and not _running(int(pid)):
                _discard(os.path.join(git_dir, name))
        temp = os.path.join(git_dir, f"{_TEMP_PREFIX}{os.getpid()}.index")
        if keep is None:
            _unlink(temp)  # a dead run's, whose number this process now has
        return temp

    def _changed(self, base: str | None, tree: str) -> list[str]:
        """Paths that differ between commit ``base`` (``None``: nothing) and ``tree``."""
        if base is None:
            out = self._git("ls-tree", "-r", "-z", "--name-only", "--full-tree", tree)
        else:
            out = self._git("diff-tree", "-r", "-z", "--name-only", "--no-renames", base,
                            tree)
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    # -- taking one ---------------------------------------------------------------------

    def take(self, note: str | None = None, *, meanwhile: Callable[[], object] | None = None,
             early: EarlyAdd | None = None, before_commit: Callable[[], object] | None = None
             ) -> tuple[Checkpoint, str | None]:
        """Record the work tree as a new checkpoint of this agent; return it and the
        branch ``HEAD`` was on. ``note``: free text kept in the commit's message;
        ``meanwhile``: called while ``git add`` runs (to import what comes next);
        ``before_commit``: called once the tree is written, just before the commit's
        time is taken (:func:`take` takes the session file's lock there, so that the
        time is taken holding it, as every write's is);
        ``early``: that ``git add``, started already
        (:func:`ai_protocols.git.spawn.start_add`; taken over when it is this work
        tree's, else closed). Raises :class:`~ai_protocols.errors.GitFailed`.

        The git runs that do not wait on each other run at the same time
        (``write-tree`` beside the list of changed paths), and the agent's refs are read
        while ``git add`` runs. ``HEAD`` and its branch are as :class:`Checkpoints` read
        them."""
        own = os.path.join(self.git_dir_text, f"{_TEMP_PREFIX}{os.getpid()}.index")
        if early is not None and (early.top != self.top_text or early.temp != own or
                                  early.env["GIT_INDEX_FILE"] != own or
                                  add_pathspec(self.session_paths, self.worktrees_inside)[2:]
                                  != _early_spec(early)):
            early.close()  # (not this work tree's: started again, as it should be)
            early = None
        if early is not None:
            early.taken = True
            temp, env, adding = own, early.env, early.run
            self._temp_index(keep=own)
        else:
            temp = self._temp_index()
        try:
            if early is None:
                env, spec = self._seeded(temp)
                adding = self._spawn(*add_all(self.git_dir_text), *spec, env=env)
            flags = self._spawn("ls-files", "-v", "-z", env=env)  # (the flags add keeps)
            try:
                prefix = self._own_prefix()
                numbers = self._numbers()
                numbers.append(self._last_number())
                if meanwhile is not None:
                    meanwhile()
            finally:
                try:
                    self._added(adding, env)  # (never a process left behind)
                finally:
                    listing = flags.wait()
            self._unflag(env, listing)
            parent, branch = self.head_commit, self.head_branch
            def both() -> list[_Git]:
                return [self._spawn("write-tree", env=env),
                        self._spawn("diff-index", "--cached", "-z", "--name-only",
                                    "--no-renames", parent, env=env) if parent else
                        self._spawn("ls-files", "-z", "--full-name", env=env)]

            running = both()
            try:
                tree = running[0].wait()
            except GitFailed as error:
                running[1].wait(ok=tuple(range(256)))
                if "unmerged" not in error.reason or not self._leave_out_unmerged(env):
                    raise
                running = both()  # (once more, with the session files left out)
                tree = running[0].wait()
            listed = running[1].wait()
        finally:
            _unlink(temp)
            _unlink(f"{temp}.lock")
        tree_hash = tree.decode().strip()
        changed = [p.decode("utf-8", "surrogateescape") for p in listed.split(b"\0") if p]
        work = sum(not is_tool_path(p, self.tool_folders) for p in changed)  # (the one rule)
        number = max(numbers, default=0) + 1
        if before_commit is not None:
            before_commit()
        while True:  # another run of this agent may take the same number: the next one
            # (its time taken again: a number is never older than the one below it,
            # so that the list's order, by time, is the numbers' order: see ``order``)
            moment = datetime.now(timezone.utc).replace(microsecond=0)
            message = f"{_SUBJECT} {number}" + (f": {note.splitlines()[0]}" if note else "")
            message += "\n\n" + (f"{note}\n\n" if note else "")
            message += f"AI-Protocols-Agent: {self.agent}\nAI-Protocols-Files: {work}\n"
            commit = self._commit(tree_hash, parent, message, moment)
            ref = f"{prefix}{number}"
            try:
                self._git("update-ref", "-m", f"ai-protocols: checkpoint {number}", "--stdin",
                          stdin=f"create {ref} {commit}\n".encode())
                break
            except GitFailed as error:
                if "reference already exists" not in error.reason and \
                        "cannot lock ref" not in error.reason:
                    raise
                number += 1
                if number > max(numbers, default=0) + 1000:
                    raise
        self._keep_number(number)
        return Checkpoint(ref=ref, agent=self.agent, number=number, commit=commit,
                          parent=parent, time=moment, note=note, files=work,
                          changed=changed, clone=self.clone), branch

    def _leave_out_unmerged(self, env: dict[str, str]) -> bool:
        """Resolve in the temporary index (``env``) the live session files that are
        unmerged in it (a merge of the session file left unresolved: ``git add -A``
        resolves every other path from the work tree, but leaves these as the index
        has them, and ``git write-tree`` refuses unmerged entries) to "ours", stage 2
        (gitrevisions(7), ``:2:path``: ``HEAD``'s side): a worktree restored from the
        checkpoint then holds the session file as committed, never deleted. One without
        a stage 2 (deleted on our side) is left out. Whether there were any."""
        out = self._git("ls-files", "-u", "-z", env=env)
        stages: dict[str, dict[str, bytes]] = {}
        for item in out.split(b"\0"):
            if item:
                info, _, path = item.partition(b"\t")
                name = _s(path)
                if self._is_session_path(name):
                    mode, blob, stage = info.decode().split(" ")
                    stages.setdefault(name, {})[stage] = f"{mode} {blob} 0\t".encode()
        if not stages:
            return False
        ours = [v["2"] + _b(p) + b"\0" for p, v in sorted(stages.items()) if "2" in v]
        gone = [_b(p) + b"\0" for p, v in sorted(stages.items()) if "2" not in v]
        if ours:  # (a stage 0 entry replaces every stage of its path)
            self._git("update-index", "-z", "--index-info", env=env, stdin=b"".join(ours))
        if gone:
            self._git("update-index", "-z", "--force-remove", "--stdin", env=env,
                      stdin=b"".join(gone))
        return True

    def _commit(self, tree: str, parent: str | None, message: str, moment: datetime) -> str:
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        stamp = f"{int(moment.timestamp())} +0000"
        env = {**self._env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        try:
            out = self._git(*args, stdin=message.encode(), env=env)
        except GitFailed as error:  # no identity configured: the tool's own
            if "identity" not in error.reason and "tell me who you are" not in error.reason \
                    and "empty ident" not in error.reason:
                raise
            out = self._git(*args, stdin=message.encode(), env={**env, **_IDENTITY})
        return out.decode().strip()

