"""What the tests of the merge driver and of stale saves share: a bare origin and two
clones of it, each after the installed ``ai-protocols init`` (which installs the merge
driver into the clone's git configuration), the first with a session committed and
pushed; git run as a person runs it, with a fixed identity; the installed
``ai-protocols`` as one agent of a clone; a save written as Emacs writes a buffer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import Runner, clean_env

IDENTITY = {"GIT_AUTHOR_NAME": "Tester", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "Tester", "GIT_COMMITTER_EMAIL": "t@example.org"}

#: The two layouts of a session file: one agent without an id, or an agent's own file.
LAYOUTS = {"single": None, "per-agent": "ag7"}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``cwd`` (the fixed identity, the tests' clean environment);
    raises ``AssertionError`` with git's output when it fails and ``check``."""
    done = subprocess.run(["git", *args], cwd=cwd, env=clean_env(**IDENTITY),
                          capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.returncode}\n{done.stdout}{done.stderr}")
    return done


def commit(clone: Path, message: str) -> None:
    """Everything in ``clone`` committed (an empty commit when nothing changed)."""
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "--allow-empty", "-m", message)


class Agent(Runner):
    """The installed ``ai-protocols`` in one clone, as one agent (``agent``: its
    ``AI_AGENT_ID``, ``None``: none)."""

    def __init__(self, cwd: Path, agent: str | None = None) -> None:
        super().__init__(cwd)
        self.agent = agent

    def __call__(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("agent", self.agent)
        return super().__call__(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def file(self) -> Path:
        """The session file, from the clone's top."""
        return Path(".ai") / ("session-context.org" if self.agent is None else
                              f"session-context.d/{self.agent}.org")

    @property
    def path(self) -> Path:
        return self.cwd / self.file

    def head(self) -> str:
        """``HEAD``'s version of the session file."""
        return git(self.cwd, "show", f"HEAD:./{self.file}").stdout


def push(run: Runner, message: str) -> None:
    """Everything in ``run``'s clone committed and pushed to the origin's ``main``."""
    commit(run.cwd, message)
    git(run.cwd, "push", "-q", "origin", "HEAD:main")


def save(path: Path, data: bytes, how: str) -> None:
    """A person's save of a buffer holding ``data``: a new file renamed into place
    (``rename``, Emacs's first save of a file) or the file written over (``inplace``,
    Emacs's later saves of a file under git); the file made anew when it is gone."""
    if how == "rename" or not path.exists():
        temp = path.with_name(path.name + ".saving")
        temp.write_bytes(data)
        os.replace(temp, path)
        return
    with open(path, "r+b") as file:
        file.write(data)
        file.truncate()


def shared_session(first: Agent) -> None:
    """:class:`Clones`' first session: ``init``, ``start --title 'Shared work'``, an entry
    ``Base step`` with a next step ``Write the tests``."""
    first("init")
    first("start", "--title", "Shared work")
    first("log", "--progress", "Base step", "--next", "Write the tests")


class Clones:
    """A bare origin (``origin``) under ``base`` and two clones of it, ``one`` and ``two``
    (folders named ``names``), each after ``init``; ``run_one`` and ``run_two`` the
    installed ``ai-protocols`` in each as the agent ``agent``. Before ``two`` is cloned,
    ``one`` holds ``files`` (written as given, no session), or what ``prepare`` made in
    it (given ``run_one``; by default ``init``, ``start --title 'Shared work'``, an entry
    ``Base step`` and a next step), committed and pushed."""

    def __init__(self, base: Path, files: dict[str, bytes] | None = None, *,
                 agent: str | None = None, names: tuple[str, str] = ("one", "two"),
                 prepare: Callable[[Agent], None] | None = None) -> None:
        self.origin = base / "origin.git"
        git(base, "init", "-q", "--bare", "-b", "main", str(self.origin))
        self.one = base / names[0]
        git(base, "clone", "-q", str(self.origin), str(self.one))
        self.run_one = Agent(self.one, agent)
        if files is not None:
            self.run_one("init")
            for name, data in files.items():
                (self.one / name).write_bytes(data)
        else:
            (prepare or shared_session)(self.run_one)
        push(self.run_one, "base")
        self.two = base / names[1]
        git(base, "clone", "-q", "-b", "main", str(self.origin), str(self.two))
        self.run_two = Agent(self.two, agent)
        self.run_two("init")

    def commit(self, clone: Path, message: str) -> None:
        commit(clone, message)

    def merge_two_into_one(self) -> subprocess.CompletedProcess[str]:
        """``two`` pushes; ``one`` fetches and merges (git runs the driver)."""
        git(self.two, "push", "-q", "origin", "HEAD:main")
        git(self.one, "fetch", "-q", "origin")
        return git(self.one, "merge", "--no-edit", "origin/main", check=False)


def _fix_session(first: Agent) -> None:
    (first.cwd / "README").write_text("hi\n")
    commit(first.cwd, "init")
    first("init")
    first("start", "--objective", "Fix")
    first("log", "--progress", "first step")


def two_clones(base: Path, layout: str) -> tuple[Agent, Agent]:
    """:class:`Clones` ``a`` and ``b`` under ``base`` in the layout ``layout`` (a key of
    :data:`LAYOUTS`): ``a`` with a README committed, then a session (``--objective
    Fix``, an entry ``first step``), committed and pushed: the reviewer's set-up.
    Returns the agents of ``a`` and ``b``."""
    clones = Clones(base, agent=LAYOUTS[layout], names=("a", "b"), prepare=_fix_session)
    return clones.run_one, clones.run_two
