"""The session file kept open in Emacs while the agent logs and git moves the file under
the buffer, the old buffer saved after (issue 14, twenty-first round; docs/decisions.md,
"Issue 14, twenty-first round (stale saves, a fresh review)").

A fresh review found, each with a script (its number in brackets):

1. a ``git pull --rebase`` that brings the other clone's entry, an agent's write after
   it and the old buffer saved: the next write dropped the pulled entry for good, the
   rebased commit's version (the same write record as the buffer's, but holding the
   pulled entry) taken for the version the buffer was opened on (r1);
2. a stale save left uncommitted and a second ``git pull --autostash``: the stash's pop
   through the merge driver took what the save dropped for deletions (r4);
3. a wrapped-up session's live file recreated by a stale save holding a typed checkbox
   item and a line: the refusal advised ``rm`` (r7);
4. a buffer opened after a merging pull, an entry deleted in it: the next write kept an
   entry of the other clone twice (r2);
5. the other clone and the stale buffer reworded one entry: the write kept both wordings
   as two entries where the driver stops at a conflict (r5);
7. ``git stash`` and a stale save: ``status`` advised a ``git stash pop`` that fails, with
   wrong counts (r6);
8. ``merge-kept`` named the wrong source, the refusal's files stayed behind (r8), and two
   entries of one minute were called one reworded entry.

Two real clones of a bare repository, real git, the installed console script; both
layouts of the session file (``.ai/session-context.org``, and an agent's
``.ai/session-context.d/ID.org``); the save written as Emacs writes a buffer (a new file
renamed into place, or in place).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from gitkit import pasted
from test_merge_driver import git

from conftest import Runner

#: The two layouts: one agent without an id, or an agent's own file.
LAYOUTS = {"single": None, "per-agent": "ag7"}


class Agent(Runner):
    """The installed ``ai-protocols`` in one clone, as one agent (``agent``: its
    ``AI_AGENT_ID``, ``None``: none)."""

    def __init__(self, cwd: Path, agent: str | None) -> None:
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


def two_clones(base: Path, layout: str) -> tuple[Agent, Agent]:
    """A bare origin under ``base``; clone ``a`` with a session (``first step``),
    committed and pushed; clone ``b`` of it; both after ``init``: the reviewer's set-up."""
    origin, a, b = base / "origin.git", base / "a", base / "b"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "clone", "-q", str(origin), str(a))
    (a / "README").write_text("hi\n")
    commit(a, "init")
    run_a, run_b = Agent(a, LAYOUTS[layout]), Agent(b, LAYOUTS[layout])
    run_a("init")
    run_a("start", "--objective", "Fix")
    run_a("log", "--progress", "first step")
    commit(a, "session")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b("init")
    return run_a, run_b


def commit(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "--allow-empty", "-m", message)


def push(run: Agent, message: str) -> None:
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


def _between(text: str, start: str, end: str) -> str:
    """The part of a message from ``start`` up to ``end`` (exclusive), white space
    joined."""
    said = " ".join(text.split())
    found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), said)
    assert found, said
    return found.group(1)


# -- 3. a wrapped-up session's file put back by a stale save (r7) --------------------------

#: What a person types into the stale buffer, under Next steps: an entry as the tool
#: writes one, a checkbox item as ``C-c C-x b`` or typing makes it, a free line; or
#: nothing.
TYPED = {
    "entry": "- [ ] [2026-11-30 Mon 09:15] Typed entry for QA",
    "checkbox": "- [ ] Ask QA for the dump",
    "line": "A free line the person typed.",
    "nothing": "",
}


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("typed", list(TYPED))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_put_back_copy_is_advised_rm_only_when_it_holds_nothing_the_archive_lacks(
        tmp_path: Path, layout: str, typed: str, how: str) -> None:
    """The other clone wraps the session up; a buffer opened before the pull that brings
    the wrap-up is saved after it, recreating the live file. Every write refuses it (exit
    7); the advice pasted loses nothing: ``merge-kept`` (the typed text ends in the
    archive) whenever the file holds anything the archive lacks, ``rm`` only when it
    holds nothing (every line of it is in the archive)."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    run_b("wrap-up", "B wrapped up")
    push(run_b, "b wrap")
    buffer = run_a.path.read_text()
    git(run_a.cwd, "pull", "-q", "--no-rebase", "origin", "main")
    assert not run_a.path.exists()
    if TYPED[typed]:
        buffer = re.sub(r"(:CUSTOM_ID: next-steps\n:END:\n)", rf"\1{TYPED[typed]}\n",
                        buffer, count=1)
        assert TYPED[typed] in buffer
    save(run_a.path, buffer.encode(), how)
    refused = run_a("log", "--progress", "A-post", check=False)
    assert refused.returncode == 7, refused.stderr
    said = " ".join(refused.stderr.split())
    archives = list((run_a.cwd / ".ai" / "sessions").glob("*.org"))
    assert len(archives) == 1
    started = run_a("start", "--objective", "Again", check=False)
    assert started.returncode == 7
    assert " ".join(started.stderr.split()).split("nothing is written:")[1] == \
        said.split("nothing is written:")[1]
    if typed == "nothing":
        assert "rm " in said and "merge-kept" not in said, said
        kept = archives[0].read_text()
        assert all(line in kept for line in buffer.splitlines()
                   if line and not re.match(r":\S+:", line)), said
        command = _between(said, "(rm ", ")")
        assert pasted(run_a.cwd, f"rm {command}").returncode == 0
    else:
        assert "merge-kept" in said and "(rm " not in said, said
        assert "never rm it" in said
        command = "ai-protocols merge-kept " + _between(said, "(ai-protocols merge-kept ",
                                                        ";")
        done = pasted(run_a.cwd, command)
        assert done.returncode == 0, done.stderr
        assert TYPED[typed] in archives[0].read_text()
    assert not run_a.path.exists()
    run_a("start", "--objective", "Again")
