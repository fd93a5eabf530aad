"""A stale save's standing refusal is kept, so the PreToolUse hook does not walk git
again on every edit (issue 15, twenty-third round; docs/decisions.md, "Twenty-third
round: the board's claims a clone had seen").

While the merge back of a stale save is left to a person (both retitled a task), every
PreToolUse hook call used to run the whole rule again (``git show`` of several boards,
the merge, the refusal's files). The refusal is now kept under the same key as the
"nothing lacking" and "merged" answers (``HEAD``, the write record, the board's and the
kept copy's bytes): an unchanged state answers from it with no ``git show``; a change
of the board or of ``HEAD`` judges again.

Real clones, real ``git`` behind a ``PATH`` wrapper that logs each call, the installed
console script's real hook command.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from boardkit import BOARD
from test_boardstale_seventeenth import _clones, _push, _save
from test_merge_driver import git
from test_readers_eighteenth import _hook

from conftest import clean_env


def _logging_git(base: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``git`` is a wrapper that logs its arguments, a line per
    call, then runs the real ``git``; and the log."""
    real = shutil.which("git")
    assert real is not None
    folder, log = base / "wrapped", base / "git.log"
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n',
                       encoding="utf-8")
    wrapper.chmod(0o755)
    env = clean_env(AI_AGENT_ID="pb", PATH=f"{folder}{os.pathsep}{os.environ['PATH']}")
    return env, log


def _shows(log: Path) -> list[str]:
    """The ``git show`` calls the log holds (and empties it)."""
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    log.write_text("", encoding="utf-8")
    return [line for line in lines if re.match(r"(-\S+ )*show\b", line) or
            " show " in f" {line} "]


def _refused(base: Path) -> tuple[Path, dict[str, str], Path]:
    """Clone ``b`` with a stale save whose merge back is left to a person (both
    retitled task two; ``a``'s ``ca`` locked ``lib``); ``lib/y`` there."""
    a, b, run_a, _run_b, ids = _clones(base, b_writes=True, tasks=("one", "two"))
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "edit", ids[1], "--title", "Task two, per A", agent="pa")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("* TODO Task two\n", "* TODO Task two, per the person\n"))
    (b / "lib").mkdir()
    (b / "lib" / "y").write_text("y\n")
    env, log = _logging_git(base)
    return b, env, log


def test_the_standing_refusal_is_answered_again_with_no_git_show(tmp_path: Path) -> None:
    """The first hook call judges (``git show``s) and refuses the edit into ``ca``'s
    lock; the second, nothing changed, refuses with the very same words and runs no
    ``git show``; the board's bytes are untouched."""
    b, env, log = _refused(tmp_path.resolve())
    saved = (b / BOARD).read_bytes()
    first = _hook(b, b / "lib" / "y", "pb", env=env)
    assert first.returncode == 2 and "lib" in first.stderr and "ca" in first.stderr, first
    assert _shows(log), "the first call judges the board"
    second = _hook(b, b / "lib" / "y", "pb", env=env)
    assert (second.returncode, second.stderr) == (first.returncode, first.stderr)
    assert _shows(log) == [], "the standing refusal is answered from what was kept"
    assert (b / BOARD).read_bytes() == saved


def test_a_change_of_the_board_or_head_judges_again(tmp_path: Path) -> None:
    """After the kept refusal: a line typed into the board judges again (still refused:
    the retitle both made is still there); a commit (``HEAD`` moves) judges again; the
    board put back to ``HEAD``'s (the person's save dropped) is no refusal any more: the
    next write goes through and ``locks`` gives no merge commands."""
    b, env, log = _refused(tmp_path.resolve())
    _hook(b, b / "lib" / "y", "pb", env=env)
    _hook(b, b / "lib" / "y", "pb", env=env)
    _shows(log)
    _save(b, (b / BOARD).read_text(encoding="utf-8") + "A line typed later\n")
    typed = _hook(b, b / "lib" / "y", "pb", env=env)
    assert typed.returncode == 2 and _shows(log), typed
    git(b, "commit", "-q", "--allow-empty", "-m", "HEAD moves")
    moved = _hook(b, b / "lib" / "y", "pb", env=env)
    assert moved.returncode == 2 and _shows(log), moved
    git(b, "checkout", "--", str(BOARD))
    from conftest import Runner

    run_b = Runner(b)
    listed = run_b("locks", agent="pb")
    assert "merge-driver" not in listed.stderr, listed.stderr
    assert run_b("task", "add", "x", agent="pb", check=False).returncode == 0
