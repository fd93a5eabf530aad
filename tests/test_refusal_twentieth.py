"""Issue 14, twentieth round: the commands a stale save's refusal prints keep every entry.

A last review's case: an Emacs buffer of the session file is open in clone ``b``; the agent
logs ``B1`` (not committed) and ``git pull --autostash`` brings ``a``'s tick of ``A1`` and its
``A2``; the person rewords ``A1`` in the stale buffer, types a line and saves. The next write
rightly refuses (exit 6: both changed ``A1``'s line). Its printed commands merged the file on
the kept copy's base with ``HEAD``'s version, so ``B1`` (held by the kept copy alone) was
taken for a deletion and lost. Followed as printed, they must now keep every entry of the
three versions and what was typed (docs/decisions.md, "Issue 14, twentieth round (the
refusal's commands)").
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gitkit import commit_all, git

from conftest import CLI, Runner, clean_env

FILE = ".ai/session-context.org"


def test_the_refusals_commands_followed_keep_the_agents_uncommitted_entry(
        tmp_path: Path) -> None:
    origin, a, b = tmp_path / "origin.git", tmp_path / "a", tmp_path / "b"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(a))
    (a / "README").write_text("hi\n")
    commit_all(a, "init")
    run_a, run_b = Runner(a), Runner(b)
    run_a("init")
    run_a("start", "--title", "T")
    run_a("log", "--progress", "A1")
    commit_all(a, "session")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b("init")
    run_a("log", "--progress", "A2")
    run_a("log", "--done", "A1")
    commit_all(a, "A2")
    git(a, "push", "-q", "origin", "HEAD:main")
    buffer = (b / FILE).read_text()  # (the buffer opened now)
    run_b("log", "--progress", "B1")
    git(b, "pull", "-q", "--no-rebase", "--autostash", "origin", "main")
    assert "] B1\n" in (b / FILE).read_text()
    saved = re.sub(r"\] A1\n", "] A1 reworded\n", buffer, count=1) + "TYPED by me\n"
    temp = b / ".ai" / ".session-context.org.saving"
    temp.write_text(saved)
    os.replace(temp, b / FILE)  # (the person's save, as Emacs makes it)
    refused = run_b("log", "--progress", "B2", check=False)
    if refused.returncode == 0:  # (merged back by the write itself: nothing to follow)
        text = (b / FILE).read_text()
    else:
        assert refused.returncode == 6, refused.stderr
        said = " ".join(refused.stderr.split())
        found = re.search(r": ((?:git -C |ai-protocols merge-driver ).*?); it was left "
                          r"unchanged", said)
        assert found, said
        commands = found.group(1).replace("ai-protocols merge-driver",
                                          f"{CLI} merge-driver")
        done = subprocess.run(["bash", "-c", commands], cwd=b, env=clean_env(),
                              capture_output=True, text=True, timeout=60)
        text = (b / FILE).read_text()
        assert done.returncode in (0, 1), done.stderr
        if done.returncode == 1:  # (markers left to the person: every side still there)
            assert "<<<<<<<" in text, text
    for kept in ("] B1\n", "] A2\n", "TYPED by me\n"):
        assert kept in text, (kept, text)
    assert "A1 reworded" in text, text
