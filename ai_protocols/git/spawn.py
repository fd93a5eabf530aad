"""git runs for checkpoints, through ``posix_spawn`` and pipes, and the early start of a
checkpoint's ``git add``, all without :mod:`pathlib` or :mod:`subprocess`.

Importing :mod:`subprocess` costs a quarter of what ``git stash create`` (the
checkpoint benchmark's floor) does, and :mod:`pathlib` as much again: so
``checkpoint`` starts ``git add -A`` into its temporary index (:func:`start_add`)
before it imports them, and they load while git hashes the files, on the other core.
What a checkpoint is, and why a temporary index: :mod:`ai_protocols.git.checkpoint`.
"""

from __future__ import annotations

import os

from ai_protocols.errors import GitFailed, git_said
from ai_protocols.paths import (
    AI_DIR,
    CONTEXT_DIR,
    DEFAULT_CONTEXT,
    git_env,
)

__all__ = ["EMACS_FILES", "TEMP_PREFIX", "EarlyAdd", "GitRun", "add_pathspec", "advice", "git_env",
           "linked_worktrees_inside", "start_add", "temp_index_env"]

#: The temporary index's name in the git folder: ``<TEMP_PREFIX><pid>.index``.
TEMP_PREFIX = "ai-protocols-checkpoint-"
#: Variables that move git's folders: with one set, ask git where they are first.
GIT_PLACE = frozenset({"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
                       "GIT_CEILING_DIRECTORIES"})


def temp_index_env(env: dict[str, str], temp: str) -> dict[str, str]:
    """``env`` (git's environment, :func:`git_env`) pointing git at the temporary index
    ``temp`` (``GIT_INDEX_FILE``), with ``core.splitIndex=false`` for those runs only
    (git-config(1), ``GIT_CONFIG_COUNT``, appended after any the caller set): the
    temporary index is seeded from the user's, so with a split index
    (git-update-index(1), "SPLIT INDEX") it names the user's shared index, and git
    writing it split would make a new ``sharedindex.*`` and expire the old ones by
    ``splitIndex.sharedIndexExpire``, the one the user's ``.git/index`` needs. Written
    unsplit, it never makes nor removes a shared index (docs/decisions.md, "Issue 14,
    sixteenth round (git)")."""
    try:
        count = int(env.get("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        count = 0
    return {**env, "GIT_INDEX_FILE": temp, "GIT_CONFIG_COUNT": str(count + 1),
            f"GIT_CONFIG_KEY_{count}": "core.splitIndex",
            f"GIT_CONFIG_VALUE_{count}": "false"}


def session_names(ai: str) -> tuple[str, ...]:
    """The live session files under the ``.ai`` folder at ``ai`` (relative to the top of
    the work tree, ``/``-separated): never taken from the work tree by a checkpoint,
    never written by a restore."""
    return tuple(f"{ai}/{name}" for name in
                 (DEFAULT_CONTEXT, f".{DEFAULT_CONTEXT}.pending.org", CONTEXT_DIR))


def linked_worktrees_inside(common_dir: str, top: str) -> tuple[str, ...]:
    """The linked worktrees of the repository whose common git folder is
    ``common_dir`` that sit inside the work tree whose top is ``top`` (Claude Code's
    ``.claude/worktrees/NAME``), as paths from ``top`` (``/``-separated), sorted. Read
    from git's files, without a git run: each linked worktree has a folder
    ``worktrees/ID`` in the common git folder whose ``gitdir`` file names its
    ``.git`` file (gitrepository-layout(5), ``worktrees/<id>/gitdir``). Such a worktree
    is another checkout of the same repository, not content: ``git add -A`` would take
    it as an embedded repository (a gitlink)."""
    try:
        ids = os.listdir(os.path.join(common_dir, "worktrees"))
    except OSError:
        return ()
    base = os.path.realpath(top)
    found = []
    for name in ids:
        try:
            with open(os.path.join(common_dir, "worktrees", name, "gitdir"), "rb") as source:
                where = os.fsdecode(source.read().strip())
        except OSError:
            continue
        if not os.path.isabs(where):
            where = os.path.join(common_dir, "worktrees", name, where)
        folder = os.path.realpath(os.path.dirname(where))
        if folder != base and folder.startswith(base.rstrip(os.sep) + os.sep):
            found.append(os.path.relpath(folder, base).replace(os.sep, "/"))
    return tuple(sorted(found))


#: The names of the files Emacs keeps beside a file it edits, as globs (the GNU Emacs
#: manual, "Interlocking" (``.#NAME``, a lock: a symbolic link naming the process),
#: "Auto Save Files" (``#NAME#``) and "Backup Names" (``NAME~``, ``NAME.~N~``)): a
#: checkpoint leaves them out, so that a restore never brings back a stale lock, a stale
#: auto-save that Emacs offers to recover, or an old backup, and they never count as
#: uncommitted work.
EMACS_FILES = (".#?*", "#?*#", "?*~")


def _glob_exclude(path: str) -> list[str]:
    first = "\\" + path[0] if path[0] in "\\!^" else path[0]
    name = f"[{first}]" + "".join("\\" + c if c in "*?[\\" else c for c in path[1:])
    return [f":(top,glob,exclude){name}", f":(top,glob,exclude){name}/**"]


#: A checkpoint's ``git add``: every path (``-A``); in a sparse checkout see
#: :func:`add_all`.
ADD_ALL = ("add", "-A")


def add_all(git_dir: str | os.PathLike[str]) -> tuple[str, ...]:
    """A checkpoint's ``git add`` (:data:`ADD_ALL`) in the work tree whose git folder
    (``$GIT_DIR``, a linked worktree's own) is ``git_dir``: in a sparse checkout
    (:func:`sparse_checkout`) those outside its definition too, ``--sparse`` (git-add(1),
    git 2.34 and since): without it git refuses an untracked file there ("outside of
    your sparse-checkout definition"), and a new ``.ai/`` outside the cone is always
    one. Elsewhere without it, so that a git older than 2.34, which refuses the option,
    takes checkpoints. An entry marked skip-worktree whose file is not in the work tree
    stays as the index has it. One ``stat``; raises nothing."""
    return (*ADD_ALL, "--sparse") if sparse_checkout(git_dir) else ADD_ALL


def sparse_checkout(git_dir: str | os.PathLike[str]) -> bool:
    """Whether the work tree whose git folder is ``git_dir`` is a sparse checkout: its
    ``info/sparse-checkout`` file is there, as ``git sparse-checkout`` writes it
    (git-sparse-checkout(1)). One ``stat``; raises nothing."""
    return os.path.exists(os.path.join(git_dir, "info", "sparse-checkout"))


def add_pathspec(session_paths: tuple[str, ...], worktrees: tuple[str, ...] = ()) -> list[str]:
    """The pathspec of a checkpoint's ``git add -A``: the whole tree, less the live
    session files and the linked ``worktrees`` of the same repository inside it
    (:func:`linked_worktrees_inside`) (gitglossary(7), "pathspec": ``top``, ``glob``,
    ``exclude``).

    Each is excluded as a glob whose first character is a bracket class (and, for
    the folder, with ``/**`` too), never by its exact name: ``git add`` (2.39, and
    since) counts an exclude item whose part before its first wildcard names an
    ignored path, or a folder above it, as a request to add it, and fails "The
    following paths are ignored" (dir.c, ``exclude_matches_pathspec``); a session
    file a user git-ignores, or a git-ignored ``.ai`` folder, must simply be left
    out. (``[.]`` is the first character itself; ``\\``, ``!`` and ``^`` escaped in it.)

    Emacs's own files are left out in every folder (:data:`EMACS_FILES`): its lock
    files, auto-save files and backups are the editor's state, not the work
    (docs/checkpoints.md, "What it is, and what it leaves alone")."""
    spec = ["--", ":/"]
    for path in (*session_paths, *worktrees):
        spec += _glob_exclude(path)
    return spec + [f":(top,glob,exclude)**/{name}" for name in EMACS_FILES]


class GitRun:
    """One run of git: started at once (``posix_spawnp``, its stdin, stdout and stderr
    pipes), waited for by :meth:`wait`. What it is given on stdin is written first
    and whole: git reads all of it before it writes much (commit-tree, update-ref
    and checkout's path list do)."""

    def __init__(self, argv: list[str], env: dict[str, str], stdin: bytes | None) -> None:
        at = 3
        while at + 1 < len(argv) and argv[at] == "-c":  # (git -C DIR -c KEY=VALUE NAME)
            at += 2
        self.name = argv[at] if len(argv) > at else "git"
        self.argv = argv
        fds = [os.pipe() for _ in range(3)]  # (they close on exec; the child gets copies)
        (in_r, in_w), (out_r, out_w), (err_r, err_w) = fds
        try:
            self.pid = os.posix_spawnp("git", argv, env, file_actions=[
                (os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2)])
        except OSError as error:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise GitFailed(self.name, f"cannot run git ({error.strerror})") from None
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        self.out, self.err = out_r, err_r
        try:
            if stdin:
                view = memoryview(stdin)
                while view:
                    view = view[os.write(in_w, view):]
        except BrokenPipeError:
            pass  # it ended without reading it all: its exit status says why
        finally:
            os.close(in_w)

    def wait(self, ok: tuple[int, ...] = (0,)) -> bytes:
        """Its stdout once it has ended; :class:`GitFailed` with its stderr when its
        exit status is not in ``ok``."""
        import select  # (a C module: no cost)

        out: list[bytes] = []
        err: list[bytes] = []
        chunks = {self.out: out, self.err: err}
        poller = select.poll()
        for fd in chunks:
            poller.register(fd, select.POLLIN)
        try:
            while chunks:  # both at once: a chatty stderr never blocks stdout
                for fd, _ in poller.poll():
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        poller.unregister(fd)
                        del chunks[fd]
        finally:
            os.close(self.out)
            os.close(self.err)
            _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            reason = git_said(b"".join(err))
            raise GitFailed(self.name, (reason or f"exit status {code}") + advice(reason))
        return b"".join(out)


def advice(reason: str) -> str:
    """What to do, added to what git said (``reason``) when a run failed: for a hook
    that refused (githooks(5)), a filter of ``.gitattributes`` that failed
    (gitattributes(5), "filter"), a name too long for the file system; else to fix
    what git names. Starts with ``"; "``."""
    said = reason.lower()
    if "hook" in said:
        return ("; a git hook refused it (githooks(5): see core.hooksPath, else "
                ".git/hooks): fix the hook or what it checks, then run it again")
    if "filter" in said:
        # (git's words name the direction: "smudge filter NAME failed" when a file is
        # written out, "clean filter" when one is read in, gitattributes(5))
        way = "smudge" if "smudge" in said else "clean" if "clean" in said else "clean/smudge"
        which = "written out of git" if way == "smudge" else "read into git" \
            if way == "clean" else "read or written"
        return (f"; a filter .gitattributes sets failed on a file {which} (gitattributes(5), "
                f"filter.NAME.{way}, or filter.NAME.process, in git config): install or fix "
                "that filter" + (", or leave the file out" if way != "smudge" else "") +
                ", then run it again")
    if "too long" in said:
        return ("; a name is too long for the file system: give a shorter branch name or "
                "folder, then run it again")
    return "; fix what git names, then run it again" if reason else ""


class EarlyAdd:
    """A checkpoint's ``git add -A`` started by :func:`start_add`: ``run`` (the git run),
    ``temp`` (its temporary index), ``env`` (git's environment, pointing at it),
    ``top`` (the top of the work tree). :meth:`close` waits for it and removes the
    temporary index, when no checkpoint took it over."""

    def __init__(self, run: GitRun, temp: str, env: dict[str, str], top: str) -> None:
        self.run, self.temp, self.env, self.top = run, temp, env, top
        self.taken = False

    def close(self) -> None:
        if self.taken:
            return
        self.taken = True
        try:
            self.run.wait(ok=tuple(range(256)))
        finally:
            for name in (self.temp, f"{self.temp}.lock"):
                if os.path.lexists(name):  # (this process's own names: no race)
                    os.unlink(name)


def start_add(root: str) -> EarlyAdd | None:
    """Start a checkpoint's ``git add -A`` of the work tree whose top is ``root``, into
    its temporary index seeded with the real one, as
    :meth:`ai_protocols.git.checkpoint.Checkpoints.take` would; ``None`` (nothing
    started) unless ``root`` holds a ``.git`` folder and no variable moves git's
    folders, or when it cannot start: the checkpoint then starts it itself."""
    git_dir = os.path.join(root, ".git")
    if GIT_PLACE & os.environ.keys() or not os.path.isdir(git_dir):
        return None
    temp = os.path.join(git_dir, f"{TEMP_PREFIX}{os.getpid()}.index")
    try:
        if os.path.lexists(temp):
            os.unlink(temp)  # a dead run's, whose number this process now has
        os.link(os.path.join(git_dir, "index"), temp)  # (see Checkpoints._seeded)
    except OSError:
        return None
    env = temp_index_env(git_env(), temp)
    spec = add_pathspec(session_names(AI_DIR), linked_worktrees_inside(git_dir, root))
    try:
        run = GitRun(["git", "-C", root, *add_all(git_dir), *spec], env, None)
    except GitFailed:
        os.unlink(temp)
        return None
    return EarlyAdd(run, temp, env, root)
