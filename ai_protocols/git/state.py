"""The state of a git work tree, as ``git status --porcelain=v2`` reports it.

Source: git-status(1), "Porcelain Format Version 2": the ``# branch.*``
header lines and one line per changed (``1``, ``2``), unmerged (``u``) or
untracked (``?``) path, NUL-terminated with ``-z``. And the bytes git holds at a
revision and path (:func:`git_version`, one ``git show``: what the cause of a replaced
file and every stale-save rule compare), here so that a write, which loads this module
anyway, loads none of :mod:`ai_protocols.session.cause` for it (docs/decisions.md,
"Twenty-eighth round: the SessionStart hook beside 1,000 files, and resume.py split").
"""

from __future__ import annotations

import os

from ai_protocols.lean import factory, record
from ai_protocols.paths import (
    git_env,
    is_tool_path,
    tool_folders,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["GitState", "StateReading", "git_version", "read_state", "start_state"]

#: Paths of changed or untracked files a state keeps (the first, in git's order).
FIRST_FILES = 5


@record
class GitState:
    """A work tree's branch and changes.

    ``branch`` is ``None`` on a detached HEAD; ``commit`` (full hash),
    ``short`` and ``subject`` are ``None`` before the first commit;
    ``upstream`` is the branch's upstream (``None`` without one), ``ahead``
    and ``behind`` the commits each side has that the other has not;
    ``changed`` counts tracked paths with changes (staged, unstaged or
    unmerged), ``untracked`` untracked paths, and ``first_files`` holds the
    first :data:`FIRST_FILES` of both, in git's order; ``work`` counts those of
    both outside the tool's ``.ai/`` folders (the tool's own files left out: the
    work; :func:`~ai_protocols.paths.is_tool_path`, the one rule),
    ``work_tracked`` the tracked ones among them, and ``work_paths`` lists them all
    (an untracked folder as git shows it, ending in ``/``).
    """

    branch: str | None
    commit: str | None
    short: str | None = None
    subject: str | None = None
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    changed: int = 0
    untracked: int = 0
    first_files: list[str] = factory(list)
    work: int = 0
    work_tracked: int = 0
    work_paths: list[str] = factory(list)

    def to_json(self) -> dict[str, object]:
        return {"branch": self.branch, "commit": self.commit, "short": self.short,
                "subject": self.subject, "upstream": self.upstream, "ahead": self.ahead,
                "behind": self.behind, "changed": self.changed, "untracked": self.untracked,
                "first_files": list(self.first_files)}


def _start(root: str | os.PathLike[str], *args: str, stdin: int | None = None,
           index: str | None = None) -> Callable[[], bytes | None]:
    """Start ``git -C root ARGS`` and return what waits for it: a function that gives
    its stdout once it has ended, or ``None`` when it could not start or failed.
    Through ``posix_spawn`` and a pipe, because importing :mod:`subprocess` costs as
    much as a git run, and the hot commands run git; two can run at once. ``stdin``:
    a file descriptor git reads as its standard input (default: none); ``index``: the
    index file git uses (``GIT_INDEX_FILE``, git(1); default: the repository's)."""
    env = git_env()  # (never index.lock; an inherited GIT_INDEX_FILE is not the repository's)
    if index is not None:
        env["GIT_INDEX_FILE"] = index
    argv = ["git", "-C", os.fspath(root), *args]
    if not hasattr(os, "posix_spawnp"):  # pragma: no cover - not on POSIX
        import subprocess

        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL if stdin is None else stdin,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    env=env)
        except OSError:
            return lambda: None

        def communicate() -> bytes | None:
            out, _ = proc.communicate()
            return out if proc.returncode == 0 else None

        return communicate
    read, write = os.pipe()  # both close on exec; the child gets a copy as its stdout
    try:
        null = os.open(os.devnull, os.O_RDWR)
        try:
            pid = os.posix_spawnp("git", argv, env, file_actions=[
                (os.POSIX_SPAWN_DUP2, null if stdin is None else stdin, 0),
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_DUP2, null, 2)])
        finally:
            os.close(null)
    except OSError:
        os.close(read)
        return lambda: None
    finally:
        os.close(write)

    def collect() -> bytes | None:
        chunks = []
        try:
            while chunk := os.read(read, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(read)
            _, status = os.waitpid(pid, 0)
        return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None

    return collect


def _git(root: str | os.PathLike[str], *args: str) -> bytes | None:
    """``git -C root ARGS``'s stdout, or ``None`` when git is missing or fails."""
    return _start(root, *args)()


def read_state(root: str | os.PathLike[str]) -> GitState | None:
    """The state of the work tree at ``root``; ``None`` when it is not in one (or git
    is not installed). Never changes the repository: the index is not refreshed
    (``GIT_OPTIONAL_LOCKS=0``)."""
    return start_state(root)()


_STATUS = ("status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal")
_SHOW = ("show", "-s", "--format=%H%x00%h%x00%s")


def start_state(root: str | os.PathLike[str]) -> StateReading:
    """Start reading the state of the work tree at ``root``, and return what gives it
    (:func:`read_state`'s answer) once git is done: git runs while the caller does
    something else. Call the result once."""
    return StateReading(root)


class StateReading:
    """The state of a work tree being read: ``git status`` and ``git show`` of ``HEAD``,
    running side by side (``git show`` not at all when ``HEAD``'s files say it names no
    commit yet, :func:`~ai_protocols.git.head.read_head`: there is nothing to show; the
    status says whether there is, and a commit it names that was not shown is shown
    then, :func:`_state`). Calling it waits for git and gives the state; call it once."""

    __slots__ = ("root", "shown", "status")

    def __init__(self, root: str | os.PathLike[str]) -> None:
        from ai_protocols.git.head import read_head

        self.root = root
        self.status = _start(root, *_STATUS)
        head = read_head(root)
        self.shown = _start(root, *_SHOW, "HEAD") if head is None or head[1] is not None \
            else _nothing  # (an unborn branch: git show would fail)

    def again(self) -> None:
        """The work tree changed after ``git status`` started (the caller wrote into it):
        wait for that run, and run ``git status`` anew, to see the work tree as it is
        now. The last commit's ``git show`` goes on (writing files moves no ``HEAD``; a
        commit that differs from the status's is shown again, :func:`_state`)."""
        self.status()
        self.status = _start(self.root, *_STATUS)

    def __call__(self) -> GitState | None:
        return _state(self.root, self.status(), self.shown())


def _nothing() -> None:
    return None


def _state(root: str | os.PathLike[str], out: bytes | None,
           shown: bytes | None) -> GitState | None:
    """The state from ``git status --porcelain=v2 --branch -z`` and ``git show`` of the
    last commit (``None``: it failed, or there is none)."""
    if out is None:
        return None
    state = GitState(branch=None, commit=None)
    tools = tool_folders(os.fspath(root))  # (what is not work: the one rule)
    records = out.split(b"\0")
    index = 0
    while index < len(records):
        record = records[index].decode("utf-8", "surrogateescape")
        index += 1
        if record.startswith("# branch.oid "):
            oid = record[len("# branch.oid "):]
            state.commit = None if oid == "(initial)" else oid
        elif record.startswith("# branch.head "):
            head = record[len("# branch.head "):]
            state.branch = None if head == "(detached)" else head
        elif record.startswith("# branch.upstream "):
            state.upstream = record[len("# branch.upstream "):]
        elif record.startswith("# branch.ab "):
            ahead, behind = record[len("# branch.ab "):].split()
            state.ahead, state.behind = int(ahead), -int(behind)
        elif record[:2] in ("1 ", "2 ", "u "):
            fields = 9 if record[0] == "1" else 10 if record[0] == "2" else 11
            path = record.split(" ", fields - 1)[-1]
            if record[0] == "2":
                index += 1  # the rename's or copy's original path follows
            state.changed += 1
            if not is_tool_path(path, tools):
                state.work += 1
                state.work_tracked += 1
                state.work_paths.append(path)
            if len(state.first_files) < FIRST_FILES:
                state.first_files.append(path)
        elif record.startswith("? "):
            state.untracked += 1
            if not is_tool_path(record[2:], tools):
                state.work += 1
                state.work_paths.append(record[2:])
            if len(state.first_files) < FIRST_FILES:
                state.first_files.append(record[2:])
    if state.commit is not None:
        if shown is None or not shown.startswith(state.commit.encode() + b"\0"):
            shown = _git(root, *_SHOW, state.commit)  # it moved (or was not shown)
        if shown is not None:
            _, short, subject = shown.decode("utf-8", "replace").rstrip("\n").split("\0", 2)
            state.short, state.subject = short, subject
    return state


def git_version(root: str, spec: str) -> bytes | None:
    """The bytes git holds at ``spec`` (``REV:./REL``) in the work tree ``root``; ``None``
    when it holds none there (or git cannot run). One ``git show``."""
    return _git_out(root, "show", spec)


def _git_out(root: str, *args: str) -> bytes | None:
    """``git -C root ARGS``'s standard output (the one environment of every git run,
    :func:`ai_protocols.git.spawn.git_env`); ``None`` when git fails or cannot run.
    The one git run of :func:`git_version` and of :mod:`ai_protocols.session.cause`'s
    readers."""
    from ai_protocols.errors import GitFailed
    from ai_protocols.git.spawn import GitRun, git_env

    try:
        return GitRun(["git", "-C", root, *args], git_env(), None).wait()
    except (GitFailed, OSError):
        return None
