"""The board's readers after a stale save dropped what a pull brought (issue 14,
eighteenth round; docs/decisions.md, "Issue 14, eighteenth round (the board's readers
after a stale save)").

A buffer of ``.ai/tasks.org`` opened before ``git pull`` and saved after drops the claim
and the lock the pull brought. The next write merges them back; until then every reader
acts on the board as that write will make it, nothing written: ``locks`` lists the lock,
``task list --free`` does not offer the claimed task, ``task show`` names its owner,
``check`` reports a change inside the lock, the PreToolUse hook refuses an edit there;
each command says once on stderr that the board lacks what git brought. When the merge
back is left to a person (a task both changed), the hook still refuses by the lock of the
version git brought.

The common case runs no git (a ``git`` first on ``PATH`` logs each run and runs the
real one): a board whose ``HEAD`` moved since its last write by a commit of one's own,
then edited by a person, is checked once (``git show``), and the answer ("nothing
lacking") is kept per machine, so the next hook and ``task list`` run no git.

Real clones of a bare repository, real ``git pull``, the installed console script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_boardstale_seventeenth import _clones as _both_clones
from test_boardstale_seventeenth import _push, _save
from test_merge_driver import git

from conftest import CLI, Runner, clean_env

WARNED = "lacks what git brought"


def _clones(base: Path, *, b_writes: bool) -> tuple[Path, Path, Runner, Runner, list[str]]:
    """tests/test_boardstale_seventeenth.py's two clones, with a board of two tasks."""
    return _both_clones(base, b_writes=b_writes, tasks=("one", "two"))


def _hook(cwd: Path, path: Path, agent: str, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    """The installed ``hook PreToolUse --runtime claude`` given an ``Edit`` of ``path``."""
    payload = {"session_id": "s1", "cwd": str(cwd), "hook_event_name": "PreToolUse",
               "tool_name": "Edit", "tool_input": {"file_path": str(path),
                                                   "old_string": "y", "new_string": "z"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True, cwd=cwd,
                          env=env or clean_env(AI_AGENT_ID=agent), timeout=60)


def _stale(base: Path, typed: str, *, b_writes: bool) -> tuple[Path, Runner, Runner, list[str]]:
    """Agent ``ca`` claims task one and locks ``lib`` in clone ``a``, pushed; in clone
    ``b`` a buffer opened before the pull, with the task ``typed`` added, is saved after
    it."""
    a, b, run_a, run_b, ids = _clones(base, b_writes=b_writes)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[0], agent="ca")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer + f"* TODO {typed}\n")
    return b, run_a, run_b, ids


_TITLE = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                 min_size=1, max_size=20).map(lambda s: f"Typed {s}")


@pytest.mark.parametrize("b_writes", [True, False], ids=["b-wrote", "fresh-clone"])
@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_TITLE)
def test_the_readers_act_on_what_git_brought_and_write_nothing(tmp_path_factory, b_writes: bool,
                                                               typed: str) -> None:
    base = tmp_path_factory.mktemp("r").resolve()
    b, _run_a, run_b, ids = _stale(base, typed, b_writes=b_writes)
    saved = (b / BOARD).read_bytes()
    assert b"lib" not in saved.split(b"* Locks", 1)[-1]  # (the save dropped the lock)
    locks = run_b("locks", agent="pb")
    assert "lib" in locks.stdout and "ca" in locks.stdout, locks.stdout
    assert locks.stderr.count(WARNED) == 1, locks.stderr
    assert "next board command that writes" in locks.stderr
    free = run_b("task", "list", "--free", agent="pb")
    assert ids[0] not in free.stdout and ids[1] in free.stdout and typed in free.stdout
    assert free.stderr.count(WARNED) == 1, free.stderr
    shown = run_b("task", "show", ids[0], agent="pb").stdout
    assert "ca" in shown, shown
    (b / "lib").mkdir()
    (b / "lib" / "y").write_text("y\n")
    checked = run_b("check", agent="pb", check=False)
    assert checked.returncode == 23, checked.stdout + checked.stderr
    assert "lib/y" in checked.stdout and "ca" in checked.stdout
    hook = _hook(b, b / "lib" / "y", "pb")
    assert hook.returncode == 2, hook.stderr
    assert "lib/y is inside lib" in hook.stderr and WARNED in hook.stderr
    assert (b / BOARD).read_bytes() == saved  # (no reader wrote the board)
    # the next write merges them back, and says so; the readers then say nothing
    done = run_b("task", "add", "After the save", agent="pb")
    assert "lacked what git brought" in done.stderr
    assert "lib" in (b / BOARD).read_text(encoding="utf-8").split("* Locks", 1)[1]
    after = run_b("locks", agent="pb")
    assert "lib" in after.stdout and WARNED not in after.stderr


def test_a_merge_back_left_to_a_person_still_refuses_the_edit(tmp_path: Path) -> None:
    """Both retitled a task: the next write refuses (exit 6); the hook refuses an edit
    inside the lock the pull brought; ``locks`` says why the board lacks it."""
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=True)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "edit", ids[1], "--title", "Task two, per A", agent="pa")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("* TODO Task two\n", "* TODO Task two, per the person\n"))
    saved = (b / BOARD).read_bytes()
    (b / "lib").mkdir()
    hook = _hook(b, b / "lib" / "y", "pb")
    assert hook.returncode == 2, hook.stderr
    assert "lib/y is inside lib" in hook.stderr and "left to a person" in hook.stderr
    locks = run_b("locks", agent="pb")
    assert locks.stderr.count("1 lock (lib) that git brought") == 1, locks.stderr
    assert "merge-driver" in locks.stderr and "refuses" in locks.stderr
    assert (b / BOARD).read_bytes() == saved
    assert run_b("task", "add", "x", agent="pb", check=False).returncode == 6


def _logging_git(base: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``PATH`` starts with a ``git`` that logs its arguments (one
    line a run) and runs the real one; the log."""
    real = shutil.which("git")
    assert real is not None
    folder = base / "logged-bin"
    folder.mkdir()
    log = base / "git-runs.log"
    script = folder / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return clean_env(PATH=f"{folder}{os.pathsep}{os.environ['PATH']}", AI_AGENT_ID="pb"), log


def _runs(log: Path) -> list[str]:
    runs = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return runs


def test_the_common_case_runs_no_git_and_one_check_is_kept(tmp_path: Path) -> None:
    base = tmp_path.resolve()
    _a, b, _run_a, run_b, _ids = _clones(base, b_writes=True)
    env, log = _logging_git(base)
    inside = b / "src" / "f"
    # HEAD moved by a commit of one's own; the board is the tool's last write: no git
    assert _hook(b, inside, "pb", env).returncode == 0
    assert run_b("task", "list", env=env).returncode == 0
    assert _runs(log) == []
    # a person edits the board (nothing lacking): checked once, then kept
    record = b / ".ai/.locks/live/tasks.org.checked"
    _save(b, (b / BOARD).read_text(encoding="utf-8") + "* TODO Typed by the person\n")
    first = _hook(b, inside, "pb", env)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    # (checked: by git, or, when HEAD moved by commits of one's own only, by the reflog)
    _runs(log)
    checked = record.read_bytes(), record.stat().st_mtime_ns
    for _ in range(2):
        assert _hook(b, inside, "pb", env).returncode == 0
        listed = run_b("task", "list", env=env)
        assert "Typed by the person" in listed.stdout and WARNED not in listed.stderr
    assert _runs(log) == []
    assert (record.read_bytes(), record.stat().st_mtime_ns) == checked  # (kept, not redone)
    # another edit of the board: checked again, once
    _save(b, (b / BOARD).read_text(encoding="utf-8") + "* TODO Typed again\n")
    assert run_b("task", "list", env=env).returncode == 0
    _runs(log)
    again = record.read_bytes(), record.stat().st_mtime_ns
    assert again[0] != checked[0]
    assert _hook(b, inside, "pb", env).returncode == 0
    assert _runs(log) == [] and (record.read_bytes(), record.stat().st_mtime_ns) == again


def test_a_board_that_lacks_what_git_brought_is_merged_once_for_every_reader(
        tmp_path: Path) -> None:
    """Until the next write, the merge back found by one reader is kept (with its key):
    the next hook and ``locks`` run no git and still see the pulled lock; an edit of
    the board (another key) is checked again."""
    base = tmp_path.resolve()
    b, _run_a, run_b, _ids = _stale(base, "Typed by the person", b_writes=True)
    env, log = _logging_git(base)
    first = _hook(b, b / "lib" / "y", "pb", env)
    assert first.returncode == 2 and WARNED in first.stderr, first.stderr
    assert any(run.split()[2:3] == ["show"] for run in _runs(log))
    for _ in range(2):
        again = _hook(b, b / "lib" / "y", "pb", env)
        assert again.returncode == 2 and WARNED in again.stderr, again.stderr
        locks = run_b("locks", env=env)
        assert "lib" in locks.stdout and locks.stderr.count(WARNED) == 1, locks
    assert _runs(log) == []
    _save(b, (b / BOARD).read_text(encoding="utf-8") + "* TODO Typed again\n")
    assert _hook(b, b / "lib" / "y", "pb", env).returncode == 2
    assert any(run.split()[2:3] == ["show"] for run in _runs(log))


@pytest.mark.parametrize("b_writes", [True, False], ids=["b-wrote", "fresh-clone"])
def test_a_stale_save_with_nothing_typed_is_judged_as_any_other(tmp_path: Path,
                                                                b_writes: bool) -> None:
    """A buffer opened before the pull and saved after with nothing new in it (a note
    typed and deleted; Emacs's "changed on disk; save anyway?") puts back the bytes the
    tool last wrote (or, in a fresh clone, the board from before the pull): that is no
    proof that nothing was lost (a fresh review found the pulled lock, claim and task
    dropped for good, readers and writes alike). The readers act on what git brought
    and the next write merges it back."""
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=b_writes)
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[0], agent="ca")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    run_a("task", "add", "Task pulled", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer)
    assert "Task pulled" not in (b / BOARD).read_text(encoding="utf-8")
    listed = run_b("locks", agent="pb")
    assert "lib" in listed.stdout and WARNED in listed.stderr, listed
    assert ids[0] not in run_b("task", "list", "--free", agent="pb").stdout
    refused = _hook(b, b / "lib" / "x", "pb")
    assert refused.returncode == 2, refused
    locked = run_b("lock", "lib/x", "--reason", "mine", agent="pb", check=False)
    assert locked.returncode != 0 and "ca" in locked.stderr, locked  # (inside ca's lock)
    run_b("task", "add", "B later", agent="pb")  # (a write: merged back, for good)
    text = (b / BOARD).read_text(encoding="utf-8")
    assert "Task pulled" in text and ":OWNER:    ca" in text and "** lib" in text, text


def test_task_show_and_task_list_agree_on_a_close_a_stale_save_undid(repo: Path) -> None:
    """A buffer opened before `task done`, with a timestamped note typed under the task,
    saved after: `task list` showed the task closed (as the next write puts it back) and
    `task show` showed it open, held by its agent (a fresh review). Both show it as
    ai-protocols last wrote it."""
    run = Runner(repo)
    one = run("task", "add", "Task one", agent="b").stdout.strip()
    run("task", "claim", one, agent="b")
    buffer = (repo / BOARD).read_text(encoding="utf-8")
    run("task", "done", one, agent="b")
    typed = buffer.replace("claimed by b\n", "claimed by b\n- [2026-12-01 Tue 16:53] my note\n")
    assert typed != buffer
    _save(repo, typed)
    listed = run("task", "list", "--all", "--json", agent="b").stdout
    assert [t["state"] for t in json.loads(listed) if t["id"] == one] == ["DONE"], listed
    shown = json.loads(run("task", "show", one, "--json", agent="b").stdout)
    assert shown["state"] == "DONE", shown
    run("lock", "README", "--reason", "r", agent="b")  # (a write: the close put back)
    assert json.loads(run("task", "show", one, "--json", agent="b").stdout)["state"] == "DONE"
    assert "my note" in (repo / BOARD).read_text(encoding="utf-8")
