"""Outside any project, a command that needs git names everything to do (issue 14,
twentieth round; docs/decisions.md, "Issue 14, twentieth round (commands that need
git, outside a project)").

The reviewer's f3.sh: in a folder that is no git repository and holds no ``.ai/``,
``checkpoint`` said "run 'ai-protocols init' ... first" (exit 13); followed, ``init``
succeeded and ``checkpoint`` failed again, "not in a git work tree ... (git init makes
one)" (exit 14). Each command that needs git (``checkpoint`` and its subcommands,
``check``) now says both steps, ``git init && ai-protocols init``, and the advice,
pasted as printed in that folder, makes the command work.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, Runner, clean_env

NEEDS_GIT = [("checkpoint", "--note", "before"), ("checkpoint",), ("checkpoint", "list"),
             ("check",)]


@pytest.mark.parametrize("args", NEEDS_GIT, ids=lambda a: "-".join(a))
def test_the_first_refusal_names_git_init_and_init(tmp_path: Path, args: tuple[str, ...]
                                                   ) -> None:
    folder = tmp_path.resolve() / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("work\n")
    run = Runner(folder)
    done = run(*args, agent="ag", check=False)
    assert done.returncode == 13, done
    assert "git init && ai-protocols init" in done.stderr, done.stderr
    assert not (folder / ".ai").exists() and not (folder / ".git").exists()
    advice = re.search(r"\((git init && ai-protocols init)\)", done.stderr)
    assert advice is not None, done.stderr
    command = advice.group(1).replace("ai-protocols", str(CLI))
    pasted = subprocess.run(["sh", "-c", command], cwd=folder, env=clean_env(),
                            capture_output=True, text=True, timeout=60)
    assert pasted.returncode == 0, pasted
    again = run(*args, agent="ag", check=False)
    assert again.returncode == 0, again


def test_a_command_that_needs_no_git_still_names_init_alone(tmp_path: Path) -> None:
    """The guard: ``locks`` (the board works without git) keeps its advice, ``init``
    alone, which makes it work."""
    folder = tmp_path.resolve()
    run = Runner(folder)
    done = run("locks", agent="ag", check=False)
    assert done.returncode == 13 and "git init" not in done.stderr, done.stderr
    assert "run 'ai-protocols init'" in done.stderr
    run("init")
    assert run("locks", agent="ag").returncode == 0
