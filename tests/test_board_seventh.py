"""The task board after its seventh review (issue 15, rev15f): a claim git took off the
board still limits its agent's working set, a board the hook cannot read falls back on
its kept copy, what a release or unlock after a rollback did, one liveness vocabulary
(paused), the state a takeover names, and an agent's locks across Claude Code's /clear.

Every command runs as the installed ``ai-protocols`` in a real git repository, the hook
as a real subprocess; a live agent is a command run under the test's own process
(``run``), a gone one under a short-lived process (``as_another_agent``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from boardkit import BOARD, add, board, write_hook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env

KEPT = Path(".ai") / ".locks" / "live" / "tasks.org"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@t")).stdout


def committed(project: Path) -> None:
    (project / "src").mkdir(exist_ok=True)
    (project / "docs").mkdir(exist_ok=True)
    (project / "src" / "a").write_text("a\n")
    (project / "docs" / "d").write_text("d\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")


# -- 1. a claim git took off the board still limits its agent's working set --------------------


def test_check_counts_a_claim_git_took_off_the_board(project: Path, run: Runner) -> None:
    task = add(run, "Docs", "--working-set", "docs/")
    committed(project)
    run("task", "claim", task, agent="carol")  # (the test process: carol is live)
    git(project, "stash", "-q")  # the board's claim goes; the kept copy holds it
    assert "carol" not in board(project)
    (project / "src" / "a").write_text("changed\n")  # outside docs/
    done = run("check", agent="carol", check=False)
    assert done.returncode == 23, done.stdout + done.stderr
    assert "src/a: outside the working set" in done.stdout
    assert "has claimed no task" not in done.stdout
    assert f"Task {task}: its claim is held from the kept copy" in done.stdout
    data = json.loads(run("check", "--json", agent="carol", check=False).stdout)
    assert data["tasks"] == [task] and data["working_set"] == ["docs/"]
    assert data["tasks_from_kept_copy"] == [task] and not data["ok"]
    # Inside the working set: nothing to report.
    git(project, "checkout", "--", "src/a")
    (project / "docs" / "d").write_text("changed\n")
    assert run("check", agent="carol", check=False).returncode == 0
    # task list --mine and resume show it as carol's too.
    mine = run("task", "list", "--mine", agent="carol").stdout
    assert task in mine and "held from the kept copy" in mine
    assert task in run("resume", agent="carol", check=False).stdout
    from conftest import CLI

    context = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                             input=json.dumps({"session_id": "s", "cwd": str(project),
                                               "hook_event_name": "SessionStart",
                                               "source": "startup"}),
                             capture_output=True, text=True, cwd=project,
                             env=clean_env(AI_AGENT_ID="carol"), timeout=60)
    assert context.returncode == 0 and task in context.stdout, context
    # Not another agent's.
    assert task not in run("task", "list", "--mine", agent="dave").stdout


def test_a_lost_claim_of_a_gone_agent_limits_nothing(project: Path, run: Runner) -> None:
    task = add(run, "Docs", "--working-set", "docs/")
    committed(project)
    run("task", "claim", task, agent="carol", as_another_agent=True)  # crashed at once
    git(project, "stash", "-q")
    (project / "src" / "a").write_text("changed\n")
    done = run("check", agent="carol", check=False)
    assert done.returncode == 0, done.stdout
    assert "has claimed no task" in done.stdout


# -- 4. a release or unlock after a rollback says what it did -------------------------------------


def test_release_and_unlock_after_a_rollback_say_what_happened(project: Path,
                                                                run: Runner) -> None:
    task = add(run, "LR")
    committed(project)
    run("task", "claim", task, agent="rel.1")
    run("lock", "src/", "--reason", "mine", agent="rel.1")
    git(project, "checkout", "--", str(BOARD))  # the board before the claim and the lock
    assert "rel.1" not in board(project)
    released = run("task", "release", task, agent="rel.1")
    assert "was not claimed" not in released.stdout
    assert f"Released task {task}: LR (its claim, rel.1's, was lost from the board (git " \
        "stash, git checkout, git reset or a branch switch put an older board back, or " \
        "removed the board? or an edit outside ai-protocols took it out)" in released.stdout
    assert "put back from the kept copy" in released.stdout and "and released" in \
        released.stdout
    assert f"task {task}, claimed by" not in released.stderr.split("put back on")[-1]
    assert "released by rel.1" in board(project)
    unlocked = run("unlock", "src/", agent="rel.1")
    assert "Unlocked src/" in unlocked.stdout
    assert "(the lock was lost from the board" not in unlocked.stdout  # put back already
    # A third party's change resurrects neither.
    run("task", "add", "other", agent="other")
    assert "rel.1" not in run("task", "list", agent="other").stdout
    assert run("locks", agent="other").stdout.strip() == "No locks."
    assert ":OWNER:    rel.1" not in board(project)


def test_unlock_after_a_rollback_says_the_lock_came_back_first(project: Path,
                                                                run: Runner) -> None:
    add(run, "x")
    committed(project)
    run("lock", "src/", "--reason", "mine", agent="rel.1")
    git(project, "checkout", "--", str(BOARD))
    unlocked = run("unlock", "src/", agent="rel.1")
    assert "Unlocked src/ (the lock was lost from the board (git stash" in unlocked.stdout
    assert "put back from the kept copy" in unlocked.stdout
    assert "put back on the task board" not in unlocked.stderr
    run("task", "add", "other", agent="other")
    assert run("locks", agent="other").stdout.strip() == "No locks."


# -- 3. a board the hook cannot read: its kept copy's locks hold -----------------------------------


def latin1_note(project: Path) -> bytes:
    """A person's note saved as latin-1 (one byte that is no UTF-8) at the board's end."""
    path = project / BOARD
    before = path.read_bytes()
    path.write_bytes(before + "Café -- Ann\n".encode("latin-1"))
    return path.read_bytes()


def test_the_hook_and_check_fall_back_on_the_kept_copy_of_a_non_utf8_board(
        project: Path, run: Runner) -> None:
    run("lock", "src/", "--reason", "busy", agent="holder")  # (the test process: live)
    data = latin1_note(project)
    offset = data.index(b"\xe9")
    target = project / "src" / "a"
    hook = write_hook(project, target, "bob")
    assert hook.returncode == 2, hook.stderr
    assert "refused: src/a is inside src/, which holder has locked (busy)" in hook.stderr
    assert f"could not be read (it is not UTF-8: byte 0xE9 at offset {offset}" in hook.stderr
    assert "kept copy" in hook.stderr and "Re-save the board as UTF-8" in hook.stderr
    assert write_hook(project, target, "holder").returncode == 0  # its own lock
    target.parent.mkdir(exist_ok=True)
    target.write_text("x\n")
    done = run("check", agent="bob", check=False)
    assert done.returncode == 23, done.stdout + done.stderr
    assert "src/a: inside src/, locked by holder (live)" in done.stdout
    assert "could not be read" in done.stderr and "checked against its kept copy" in done.stderr
    assert json.loads(run("check", "--json", agent="bob", check=False).stdout)[
        "board_unreadable"].startswith("it is not UTF-8")
    # Board commands refuse, naming the byte, its line and what to do; nothing changes.
    line = data[:offset].count(b"\n") + 1
    for args in (("task", "list"), ("task", "add", "t"), ("lock", "docs/", "--reason", "r"),
                 ("unlock", "src/")):
        said = run(*args, agent="bob", check=False)
        assert said.returncode == 6, (args, said.stderr)
        assert f"byte 0xE9 at offset {offset} (line {line})" in said.stderr
        assert "Re-save it as UTF-8" in said.stderr
        assert (project / BOARD).read_bytes() == data


def test_a_board_that_is_a_symbolic_link_falls_back_on_the_kept_copy(
        project: Path, run: Runner, tmp_path: Path) -> None:
    run("lock", "src/", "--reason", "busy", agent="holder")
    elsewhere = tmp_path / "board.org"
    elsewhere.write_bytes((project / BOARD).read_bytes().replace(b"src/", b"other/"))
    (project / BOARD).unlink()
    (project / BOARD).symlink_to(elsewhere)
    hook = write_hook(project, project / "src" / "a", "bob")
    assert hook.returncode == 2, hook.stderr
    assert "which holder has locked" in hook.stderr and "symbolic link" in hook.stderr
    (project / "src").mkdir(exist_ok=True)
    (project / "src" / "a").write_text("x\n")
    assert run("check", agent="bob", check=False).returncode == 23


def test_an_unreadable_board_without_a_kept_copy_is_not_allowed(
        project: Path, run: Runner) -> None:
    run("lock", "src/", "--reason", "busy", agent="holder")
    (project / KEPT).unlink()
    latin1_note(project)
    hook = write_hook(project, project / "src" / "a", "bob")
    assert hook.returncode == 1 and "the edit was not checked" in hook.stderr


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(0, 1), byte=st.sampled_from([b"\x80", b"\xe9", b"\xff", b"\xc3("]))
def test_any_bad_byte_anywhere_keeps_the_kept_copys_locks(
        project: Path, run: Runner, where: float, byte: bytes) -> None:
    from ai_protocols.board.guard import refusal

    if not (project / KEPT).exists():
        run("lock", "src/", "--reason", "busy", agent="holder")
    path = project / BOARD
    good = (project / KEPT).read_bytes()
    at = int(len(good) * where)
    path.write_bytes(good[:at] + byte + good[at:])
    said = refusal(str(project), "bob", [str(project / "src" / "a")])
    assert said is not None and "holder" in said and "could not be read" in said
    path.write_bytes(good)


# -- 5. a paused holder is shown as paused, its claim and lock still holding ----------------------


def test_a_paused_live_holder_is_paused_everywhere(project: Path, run: Runner) -> None:
    task = add(run, "A")
    run("start", "--title", "x", agent="p.1")  # (the test process: its agent runs on)
    run("task", "claim", task, agent="p.1")
    run("lock", "src/", "--reason", "mine", agent="p.1")
    run("pause", "--note", "lunch", "--no-checkpoint", agent="p.1")
    assert "paused" in run("status", agent="p.1").stdout
    listed = run("task", "list", agent="b.1").stdout
    assert "claimed by p.1 (paused)" in listed and "(live)" not in listed
    assert json.loads(run("task", "list", "--json", agent="b.1").stdout)[0][
        "owner_state"] == "paused"
    assert "its holder:  paused (its session: paused at" in run("task", "show", task,
                                                               agent="b.1").stdout
    locks = run("locks", agent="b.1").stdout
    assert "locked by p.1 (paused: its session: paused at" in locks
    refused = run("task", "claim", task, agent="b.1", check=False)
    assert refused.returncode == 21
    assert "it is claimed by p.1 (paused: its session: paused at" in refused.stderr
    taken = run("lock", "src/x", "--reason", "r", agent="b.1", check=False)
    assert taken.returncode == 22 and "paused" in taken.stderr and "live" not in taken.stderr
    hook = write_hook(project, project / "src" / "a", "b.1")
    assert hook.returncode == 2 and "that agent is paused (its session: paused at" in \
        hook.stderr


# -- 6. a takeover names the real state ----------------------------------------------------------


def test_a_takeover_from_an_abandoned_session_says_abandoned(project: Path,
                                                             run: Runner) -> None:
    task = add(run, "A")
    run("start", "--title", "x", agent="ab.1", as_another_agent=True)
    run("task", "claim", task, agent="ab.1", as_another_agent=True)
    run("lock", "src/", "--reason", "mine", agent="ab.1", as_another_agent=True)
    run("abandon", "--reason", "dead end", agent="ab.1", as_another_agent=True)
    listed = json.loads(run("task", "list", "--json", agent="c.1").stdout)[0]
    assert listed["owner_state"] == "abandoned", listed
    assert listed["owner_evidence"].startswith("its session was abandoned at")
    claimed = run("task", "claim", task, agent="c.1")
    assert "taken over: it was held by ab.1, whose session was abandoned at" in claimed.stdout
    assert "wrapped up" not in claimed.stdout
    assert "whose session was abandoned at" in board(project)
    locked = run("lock", "src/", "--reason", "r", agent="c.1")
    assert "src/ was locked by ab.1, whose session was abandoned at" in locked.stdout


def test_a_takeover_from_a_wrapped_up_session_says_wrapped_up(project: Path,
                                                              run: Runner) -> None:
    task = add(run, "A")
    run("start", "--title", "x", agent="w.1", as_another_agent=True)
    run("task", "claim", task, agent="w.1", as_another_agent=True)
    run("wrap-up", "done", agent="w.1", as_another_agent=True)
    claimed = run("task", "claim", task, agent="c.1")
    assert "held by w.1, whose session was wrapped up at" in claimed.stdout


def test_the_states_are_said_by_one_function() -> None:
    from ai_protocols.board.board import held_by, state_words
    from ai_protocols.liveness.evidence import STATES, Liveness

    for state in STATES:
        said = held_by("x.1", Liveness(state, "because"))
        assert f"who is {state_words(state)}: because" in said
    assert state_words("wrapped-up") == "wrapped up"


# -- 2. one agent process across /clear: its locks and claims are its own -------------------------

#: A stand-in for one Claude Code process across a /clear (or a fork, in a process of its
#: own): it runs the hooks as its children, as Claude Code does, and the agent's commands
#: through a shell, as its Bash tool does; it prints what each step gave, as JSON.
CLAUDE = r"""
import json, subprocess, sys
cli, root, old, new, source, task = sys.argv[1:7]
out = {}
def hook(event, payload, env_file=None):
    env = {**ENV, **({"CLAUDE_ENV_FILE": env_file} if env_file else {})}
    done = subprocess.run([cli, "hook", event, "--runtime", "claude"], cwd=root, env=env,
                          input=json.dumps({"cwd": root, "hook_event_name": event, **payload}),
                          capture_output=True, text=True)
    return [done.returncode, done.stdout, done.stderr]
def bash(command, agent):
    done = subprocess.run(["bash", "-c", command], cwd=root, env={**ENV, "AI_AGENT_ID": agent},
                          capture_output=True, text=True)
    return [done.returncode, done.stdout, done.stderr]
def agent_id(env_file):
    return open(env_file).read().split("=", 1)[1].strip()
if old != "-":
    hook("SessionStart", {"session_id": old, "source": "startup"}, root + "/../env-old")
    me = agent_id(root + "/../env-old")
    out["old"] = me
    out["lock"] = bash(f"{cli} lock src/ --reason mine", me)
    out["claim"] = bash(f"{cli} task claim {task}", me)
    out["end"] = hook("SessionEnd", {"session_id": old, "reason": "clear"})
out["start"] = hook("SessionStart", {"session_id": new, "source": source}, root + "/../env-new")
me = agent_id(root + "/../env-new")
out["new"] = me
out["edit"] = hook("PreToolUse", {"session_id": new, "tool_name": "Write",
                                  "tool_input": {"file_path": root + "/src/a", "content": "x"}})
out["mine"] = bash(f"{cli} task list --mine", me)
out["release"] = bash(f"{cli} task release {task}", me)
out["unlock"] = bash(f"{cli} unlock src/", me)
print(json.dumps(out))
"""


def as_claude(project: Path, old: str, new: str, source: str, task: str) -> dict:
    from conftest import CLI

    env = clean_env()
    script = "ENV = " + repr(env) + "\n" + CLAUDE
    done = subprocess.run([__import__("sys").executable, "-c", script, str(CLI), str(project),
                           old, new, source, task], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_after_clear_the_same_process_keeps_its_locks_and_claims(project: Path,
                                                                 run: Runner) -> None:
    task = add(run, "T")
    said = as_claude(project, "s-old", "s-new", "clear", task)
    assert said["lock"][0] == 0 and said["claim"][0] == 0, said
    assert said["new"] != said["old"]
    assert said["edit"][0] == 0, said["edit"]  # its own lock: through
    assert task in said["mine"][1]
    assert said["release"][0] == 0 and "Released task" in said["release"][1], said["release"]
    assert said["unlock"][0] == 0, said["unlock"]
    text = board(project)
    assert f"claim carried over from {said['old']} to {said['new']}" in text
    log = next((project / ".ai" / "session-context.d").glob("*s-new.org")).read_text()
    assert f"carried over, as this same process's: the claim of task {task}, from " \
        f"{said['old']}; the lock on src/, from {said['old']}" in log


def test_a_fork_in_a_new_process_is_not_the_same_agent(project: Path, run: Runner) -> None:
    task = add(run, "T")
    from ai_protocols.paths import id_prefix

    # The parent conversation, its process alive (this test's): a lock and a claim, under
    # an id of this host, project and agent program (only the process tells them apart).
    parent = f"{id_prefix('claude', project)}.s-parent"
    run("lock", "src/", "--reason", "parent's", agent=parent)
    run("task", "claim", task, agent=parent)
    said = as_claude(project, "-", "s-fork", "fork", task)
    assert said["edit"][0] == 2 and "that agent is live" in said["edit"][2], said["edit"]
    assert said["unlock"][0] == 22 and said["release"][0] == 21, said
    assert task not in said["mine"][1]
    assert "carried over" not in board(project)
    assert json.loads(run("locks", "--json").stdout)[0]["owner"] == parent


# -- also: a second process's SessionEnd does not end a session its owner still runs ------------

HOLDER = r"""
import json, subprocess, sys
cli, root, env = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
subprocess.run([cli, "hook", "SessionStart", "--runtime", "claude"], cwd=root, env=env,
               input=json.dumps({"session_id": "s-two", "cwd": root, "source": "startup",
                                 "hook_event_name": "SessionStart"}),
               capture_output=True, text=True, check=True)
print("started", flush=True)
sys.stdin.read()
"""


def session_end(project: Path) -> subprocess.CompletedProcess[str]:
    from conftest import CLI

    return subprocess.run([str(CLI), "hook", "SessionEnd", "--runtime", "claude"],
                          cwd=project, env=clean_env(), text=True, capture_output=True,
                          input=json.dumps({"session_id": "s-two", "cwd": str(project),
                                            "hook_event_name": "SessionEnd",
                                            "reason": "prompt_input_exit"}), timeout=60)


def test_another_process_s_session_end_leaves_a_running_session_alone(project: Path) -> None:
    import sys

    from conftest import CLI

    owner = subprocess.Popen([sys.executable, "-c", HOLDER, str(CLI), str(project),
                              json.dumps(clean_env())], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=clean_env())
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "started"
        path = next((project / ".ai" / "session-context.d").glob("*s-two.org"))
        assert session_end(project).returncode == 0
        text = path.read_text(encoding="utf-8")
        assert ":STATUS:   active" in text or ":STATUS: active" in text, text
        assert f"not this session's owner: process {owner.pid} still runs it" in text
    finally:
        owner.communicate("", timeout=60)
    # Its owner gone: the end is recorded.
    assert session_end(project).returncode == 0
    text = path.read_text(encoding="utf-8")
    assert "session end (prompt_input_exit)" in text.split("still runs it")[-1]
