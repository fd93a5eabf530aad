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

import shlex
import signal
from pathlib import Path

import pytest
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
    assert "ai_protocols.board.model" not in found, sorted(n for n in found if "board" in n)
    mine = _cli(project, "task", "add", "mine", agent="me.2").stdout.strip()
    _cli(project, "start", agent="me.2")
    _cli(project, "task", "claim", mine, agent="me.2")
    said = _cli(project, "wrap-up", "done", agent="me.2").stderr
    assert f"Task {mine} (DOING, still claimed by you)" in said, said
    assert task not in said, said
