"""Issue 16, twenty-third round: the rows beside 1,000 other session files and ``wrap-up``
with a task board, and the copies on their paths made one rule.

Real processes throughout: the installed ``ai-protocols`` (and ``python3 -m
ai_protocols``) as subprocesses, real git in temporary repositories, a long-lived fake
agent that runs its commands through a shell as agents do
(``test_live_fifteenth._start_agent``), and the real ``find -exec``. No timing is
asserted: what is asserted is what a broken implementation gets wrong (the owner
recorded, what a command imports, the bytes it leaves).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
from gitkit import git
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from test_fast_path import imported
from test_live_fifteenth import _cli, _git_project, _owner_pid, _start_agent

from conftest import BIN

# -- the owner through ``find -exec python3 -m ai_protocols`` (one rule of "runs this tool") --


@pytest.mark.parametrize("tool", ["ai-protocols", "python3 -m ai_protocols"])
def test_a_claim_through_find_exec_belongs_to_the_agent(tmp_path: Path, tool: str) -> None:
    """``find -exec`` runs only to run the command, however the tool is named on its
    command line (the program, or ``python3 -m ai_protocols``, more words after it):
    the owner is the agent behind the shell that ran ``find``, so the claim holds while
    the agent lives and is taken over once it is killed. (The second form named ``find``
    the owner: ``_for_a_moment`` knew the program's name only, ``_runs_this_tool`` both.)"""
    project = _git_project(tmp_path)
    _cli(project, "init")
    task = _cli(project, "task", "add", "Through find").stdout.strip()
    program = tool if tool == "ai-protocols" else \
        f"{shlex.quote(str(BIN / 'python3'))} -m ai_protocols"
    agent = _start_agent(project, "vm.p.claude.F",
                         f"find . -maxdepth 0 -exec {program} task claim {task} ';'")
    try:
        assert _owner_pid(project) == [agent.pid], (project / ".ai" / "tasks.org").read_text()
        taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B", check=False)
        assert taken.returncode == 21, taken.stdout + taken.stderr
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    taken = _cli(project, "task", "claim", task, agent="vm.p.codex.B")
    assert "crashed" in taken.stdout and str(agent.pid) in taken.stdout, taken.stdout


# -- wrap-up beside a board that holds nothing of its agent's --------------------------------


def test_wrap_up_beside_a_board_of_others_imports_no_board_model(tmp_path: Path) -> None:
    """The plain search that tells whether the board may name the agent
    (``board.held.names_agent``) needs none of the board's reader: a wrap-up beside a
    board holding only another agent's claim and lock imports no ``board.model`` (it
    did: a tenth of the command's instructions), and says nothing of the board; the
    agent's own claim still imports it and is named (the hypothesis test of
    test_history_sixteenth holds the search to the full reader)."""
    project = _git_project(tmp_path)
    _cli(project, "init")
    task = _cli(project, "task", "add", "theirs", agent="other.1").stdout.strip()
    for words in (["start"], ["task", "claim", task], ["lock", "area/", "--reason", "b"]):
        _cli(project, *words, agent="other.1")
    _cli(project, "start", agent="me.1")
    found = imported(project, "wrap-up", "done", AI_AGENT_ID="me.1")
    model = {f"ai_protocols.board.{name}" for name in (  # (and its parts: twenty-seventh
        "model", "board_file", "board_read", "claim_history", "board_input")}  # round)
    assert not found & model, sorted(n for n in found if "board" in n)
    mine = _cli(project, "task", "add", "mine", agent="me.2").stdout.strip()
    _cli(project, "start", agent="me.2")
    _cli(project, "task", "claim", mine, agent="me.2")
    said = _cli(project, "wrap-up", "done", agent="me.2").stderr
    assert f"Task {mine} (DOING, still claimed by you)" in said, said
    assert task not in said, said


# -- one parser of ``git worktree list --porcelain -z`` -------------------------------------

_NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                              exclude_characters="/\0"), min_size=1, max_size=12).filter(
    lambda name: name not in (".", "..", "main", "@") and not name.startswith("-"))
# (git worktree add refuses a folder named "@" alone: its name in .git/worktrees/ would be
# "@", which git's ref rules refuse; every other name here it takes, checked with git 2.39)


@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAME, min_size=1, max_size=3, unique_by=lambda n: n.casefold()),
       reason=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                                    exclude_characters="\0"), max_size=10))
@example(names=["a b", "new\nline", "é\\x"], reason="two\nlines")
@example(names=["x"], reason=" \v x \f\t")
def test_the_worktree_parser_reads_what_git_lists(tmp_path_factory: pytest.TempPathFactory,
                                                  names: list[str], reason: str) -> None:
    """Whatever the work trees' folder names (spaces, new lines, any Unicode) and a lock's
    reason, the one parser (``git.state.worktrees``) gives each work tree git made, its
    branch and its lock's reason, as git has them (the copy in ``reach_note`` read the
    output split at new lines: a folder named with one was two wrong paths). The reason as
    git lists it: git trims the ASCII blanks ``" \\t\\n\\r"`` at both ends (not ``\\v``,
    ``\\f``; checked against git 2.x's porcelain output), and a lock whose reason is
    all blanks lists as locked without one (``""``)."""
    from ai_protocols.git.history import other_worktrees, worktrees

    base = tmp_path_factory.mktemp("wt")
    root = base / "main"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "commit", "-q", "--allow-empty", "-m", "i")
    made = {}
    for n, name in enumerate(names):
        folder = base / name
        branch = f"b{n}"
        git(root, "worktree", "add", "-q", "-b", branch, str(folder))
        made[os.path.realpath(folder)] = f"refs/heads/{branch}"
    locked = os.path.realpath(base / names[0])
    git(root, "worktree", "lock", "--reason", reason, locked)
    listed = worktrees(str(root))
    assert {os.path.realpath(p): b for p, b, _ in listed} == \
        {os.path.realpath(root): "refs/heads/main", **made}
    assert {os.path.realpath(p): why for p, _, why in listed} == \
        {os.path.realpath(root): None,
         **{p: (reason.strip(" \t\n\r") if p == locked else None) for p in made}}
    assert {os.path.realpath(p) for p, _, _ in other_worktrees(str(base / names[-1]))} == \
        {os.path.realpath(root), *made} - {os.path.realpath(base / names[-1])}


# -- whereabouts: the restore's worktree asked of git only when said ------------------------


def test_whereabouts_asks_for_the_restore_s_worktree_only_when_it_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Checkpoints.whereabouts`` ran ``git worktree list`` (``restored_at``) for every
    checkpoint it found, and ``checkpoint restore`` of one here and ``checkpoint list``
    dropped the answer: it is asked on first use (``Whereabouts.restored``, ``say``),
    and then names the worktree a restore made, as before."""
    from ai_protocols.git.checkpoint import Checkpoints

    project = _git_project(tmp_path)
    (project / "f").write_text("x\n")
    _cli(project, "start", agent="vm.p.claude.W")
    (project / "f").write_text("x\nwork\n")
    _cli(project, "checkpoint", agent="vm.p.claude.W")
    commit = git(project, "for-each-ref", "--format=%(objectname)",
                 "refs/ai-protocols/").split()[0]
    logged = tmp_path / "git.log"
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True,
                          text=True).stdout.strip()
    (wrapper / "git").write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(logged))}\n'
                                 f'exec {shlex.quote(real)} "$@"\n')
    (wrapper / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper}{os.pathsep}{os.environ['PATH']}")
    where = Checkpoints(str(project), "vm.p.claude.W").whereabouts(None, commit[:12])
    assert where.state == "here" and where.checkpoint is not None
    assert logged.exists() and "worktree list" not in logged.read_text(), logged.read_text()
    assert where.restored is None and "restore it with" in where.say("it")
    assert "worktree list" in logged.read_text(), logged.read_text()
    restored = _cli(project, "checkpoint", "restore", commit[:12], "--worktree",
                    str(tmp_path / "back"), agent="vm.p.claude.W")
    assert restored.returncode == 0
    again = Checkpoints(str(project), "vm.p.claude.W").whereabouts(None, commit[:12])
    assert again.restored is not None and \
        os.path.realpath(again.restored) == os.path.realpath(tmp_path / "back")
    assert "is restored already" in again.say("it"), again.say("it")
