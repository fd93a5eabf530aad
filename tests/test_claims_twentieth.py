"""Issue 15, twentieth round (claims, identity, liveness): a claim command leaves the
claim held or says why not; an adopted session's claims and locks go to the adopter;
one Codex or Claude Code session is one agent in every work tree sharing the board
(docs/decisions.md, "Issue 15, twentieth round (claims, identity, liveness)")."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from boardkit import add, git
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

ME = "wx.1796000000"
OTHER = "wy.1796000001"


# -- 1. a claim command after a wrap-up --------------------------------------------------


@pytest.mark.parametrize("ending", ["wrap-up", "abandon"])
def test_a_claim_of_ones_own_after_a_wrap_up_is_renewed_and_holds(project: Path, run: Runner,
                                                                   ending: str) -> None:
    """f3: after ``wrap-up`` (or ``abandon``), the same agent's ``task claim`` of its task
    was "yours already" while the claim, ended by the wrap-up, went to the next agent at
    once. Now it is renewed, said so, and another agent is refused (exit 21)."""
    task = add(run, "keep working")
    run("start", "--title", "part one", agent=ME)
    run("task", "claim", task, agent=ME)
    if ending == "wrap-up":
        run("wrap-up", "part one", agent=ME)
    else:
        run("abandon", "--reason", "stopping", agent=ME)
    again = run("task", "claim", task, agent=ME)
    assert "is yours already" in again.stdout
    assert "claim renewed: it held no more" in again.stdout, again.stdout
    taken = run("task", "claim", task, agent=OTHER, check=False)
    assert taken.returncode == 21, taken.stdout + taken.stderr
    assert f"claimed by {ME}" in taken.stderr
    assert "live" in taken.stderr


def test_a_held_claim_of_ones_own_is_left_as_it_is(project: Path, run: Runner) -> None:
    """The other side: a claim that holds is not written again (the board's bytes stay)."""
    task = add(run, "keep working")
    run("task", "claim", task, agent=ME)
    before = (project / ".ai/tasks.org").read_bytes()
    again = run("task", "claim", task, agent=ME)
    assert "is yours already" in again.stdout and "renewed" not in again.stdout
    assert (project / ".ai/tasks.org").read_bytes() == before


# -- 2. recover --adopt and --archive ----------------------------------------------------


def _crashed_holder(run: Runner, title: str) -> str:
    """A task claimed, and ``src/api`` locked, by ``old.1796000000``, whose process is
    gone (crashed) after ``start --task``; the task's id."""
    task = add(run, title, "--working-set", "src/")
    for args in (("start", "--task", task), ("task", "claim", task),
                 ("lock", "src/api", "--reason", "old work")):
        run(*args, agent="old.1796000000", as_another_agent=True)
    return task


def test_recover_adopt_carries_the_claims_and_locks_to_the_adopter(project: Path,
                                                                   run: Runner) -> None:
    """f4: the adopter carried the session on, but a third agent took its claim and lock
    over without --force. Now both are the adopter's, held by its process."""
    (project / "src/api").mkdir(parents=True)
    task = _crashed_holder(run, "adopt me")
    done = run("recover", "old.1796000000", "--adopt", agent="new.1796000001")
    assert f"the claim of task {task}, from old.1796000000" in done.stderr
    assert "the lock on src/api/, from old.1796000000" in done.stderr
    mine = run("task", "list", "--mine", agent="new.1796000001")
    assert task in mine.stdout
    locks = run("locks", agent="new.1796000001").stdout
    assert "src/api/  locked by you" in locks
    claim = run("task", "claim", task, agent="third.1796000002", check=False)
    assert claim.returncode == 21, claim.stdout + claim.stderr
    lock = run("lock", "src/api", "--reason", "mine", agent="third.1796000002", check=False)
    assert lock.returncode == 22, lock.stdout + lock.stderr
    board = (project / ".ai/tasks.org").read_text()
    assert "claim carried over from old.1796000000 to new.1796000001" in board


def test_recover_archive_leaves_them_for_takeover_and_says_so(project: Path,
                                                              run: Runner) -> None:
    """The decision for --archive: no agent carries the work on; the claims and locks
    stay, named, and any agent takes them over without --force."""
    (project / "src/api").mkdir(parents=True)
    task = _crashed_holder(run, "archive me")
    done = run("recover", "old.1796000000", "--archive", agent="new.1796000001")
    assert f"task {task} (archive me)" in done.stderr
    assert "the lock on src/api/" in done.stderr
    claim = run("task", "claim", task, agent="third.1796000002")
    assert "taken over" in claim.stdout


# -- 3. one session, every work tree -----------------------------------------------------


def _trees(tmp_path: Path) -> tuple[Path, Path]:
    main = (tmp_path / "main").resolve()
    main.mkdir()
    git(main, "init", "-q", "-b", "main")
    (main / "src/api").mkdir(parents=True)
    (main / "src/api/v1.py").write_text("a\n")
    Runner(main)("init")
    git(main, "add", "-A")
    git(main, "commit", "-q", "-m", "init")
    tree = (tmp_path / "wt").resolve()
    git(main, "worktree", "add", "-q", str(tree), "-b", "agent1")
    return main, tree


def _as_session(cwd: Path, variable: str, session: str, *args: str
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, env=clean_env(**{variable: session}),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("variable", ["CODEX_THREAD_ID", "CLAUDE_CODE_SESSION_ID"])
def test_one_session_is_one_agent_in_every_work_tree(tmp_path: Path, variable: str) -> None:
    """f2: the same session's commands from the main work tree did not know its own claim
    and lock made from the linked one (its id has the other tree's folder name): --mine
    empty, release exit 21, check exit 23, while the hook let the edit through."""
    main, tree = _trees(tmp_path)
    session = "sess77"
    task = _as_session(tree, variable, session, "task", "add", "cross wt",
                       "--working-set", "src/").stdout.strip()
    assert _as_session(tree, variable, session, "task", "claim", task).returncode == 0
    assert _as_session(tree, variable, session, "lock", "src/api", "--reason",
                       "mine").returncode == 0
    mine = _as_session(main, variable, session, "task", "list", "--mine")
    assert task in mine.stdout and "(you)" in mine.stdout, mine.stdout
    locks = _as_session(main, variable, session, "locks")
    assert "locked by you" in locks.stdout, locks.stdout
    (main / "src/api/v1.py").write_text("b\n")
    check = _as_session(main, variable, session, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    again = _as_session(main, variable, session, "task", "claim", task)
    assert again.returncode == 0 and "is yours already" in again.stdout, again.stdout
    released = _as_session(main, variable, session, "task", "release", task)
    assert released.returncode == 0, released.stderr
    # another session is another agent still
    other = _as_session(main, variable, "sess78", "lock", "src/api/v1.py", "--reason", "x")
    assert other.returncode == 22, other.stdout + other.stderr


def test_the_hook_and_the_commands_share_the_rule(tmp_path: Path) -> None:
    """The PreToolUse hook lets the session's own edit through, and refuses another
    session's, under the same rule as the commands (paths.is_own)."""
    main, tree = _trees(tmp_path)
    assert _as_session(tree, "CODEX_THREAD_ID", "sess77", "lock", "src/api",
                       "--reason", "mine").returncode == 0
    patch = "*** Begin Patch\n*** Update File: src/api/v1.py\n@@\n-a\n+b\n*** End Patch\n"
    for session, code in (("sess77", 0), ("sess78", 2)):
        payload = {"session_id": session, "cwd": str(main), "hook_event_name": "PreToolUse",
                   "tool_name": "apply_patch", "tool_input": {"command": patch}}
        done = subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "codex"],
                              input=json.dumps(payload), capture_output=True, text=True,
                              cwd=main, env=clean_env(), timeout=60)
        assert done.returncode == code, (session, done.stderr)


@settings(max_examples=200, deadline=None)
@given(session=st.text(min_size=1, max_size=90),
       folder=st.text(st.characters(blacklist_characters="/\0"), min_size=1, max_size=30),
       runtime=st.sampled_from(["claude", "codex"]))
def test_every_derived_id_of_a_session_is_its_own(session: str, folder: str,
                                                  runtime: str) -> None:
    """For any session id and work tree folder: the id derived there is the session's own
    by the one rule, and the same session id under another runtime is not."""
    from ai_protocols.paths import derived_agent_id, is_own, own_suffix

    derived = derived_agent_id(runtime, session, os.path.join("/x", folder))
    variable = "CODEX_THREAD_ID" if runtime == "codex" else "CLAUDE_CODE_SESSION_ID"
    suffix = own_suffix({variable: session})
    assert (derived is None) == (suffix is None)
    if derived is not None:
        assert is_own(derived, "someone.else", suffix)
        other = "claude" if runtime == "codex" else "codex"
        assert not is_own(derived_agent_id(other, session, "/x/y"), "someone.else", suffix)


def test_a_claim_a_merge_dropped_is_told_in_every_work_tree(tmp_path: Path) -> None:
    """The dropped-claim warning follows the same rule: a merge's log item naming the
    session's id of the linked work tree is told to that session in the main one (and
    not to another session)."""
    from boardkit import edit

    main, _tree = _trees(tmp_path)
    run = Runner(main)
    task = add(run, "contested")
    run("task", "claim", task, agent="pb.1796000001")
    claimed = next(line for line in (main / ".ai/tasks.org").read_text().splitlines()
                   if "claimed by pb.1796000001" in line)
    edit(main, claimed, claimed + "\n- [2026-12-01 Tue 10:00] merge: dropped "
         "vm.wt.codex.sess77's claim, which came after pb.1796000001's (the earlier claim "
         "stands)")
    told = _as_session(main, "CODEX_THREAD_ID", "sess77", "task", "list").stderr
    assert f"your claim of task {task} (contested) was dropped" in told, told
    assert "was dropped" not in _as_session(main, "CODEX_THREAD_ID", "sess78", "task",
                                            "list").stderr
