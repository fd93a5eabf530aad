"""The task board (.ai/tasks.org): tasks, claims, locks, the guard and the hook.

Every command runs as the installed ``ai-protocols``, in a real git repository;
Emacs judges the board's Org. The many-claims test runs 32 real processes.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from boardkit import BOARD, add, board

from conftest import CLI, Runner, clean_env
from emacs import JUDGES, assert_reader_agrees, on_both, org_element


def task_json(run: Runner, task_id: str) -> dict:
    return json.loads(run("task", "show", task_id, "--json").stdout)


# -- the board is an Org file -------------------------------------------------------------------


def test_a_new_board_declares_its_states_and_emacs_reads_it(project: Path, run: Runner) -> None:
    first = add(run, "Fix the sweep bug", "--working-set", "src/sweep.py", "--working-set",
                "docs/", "--role", "implementer", "--tag", "backend", "--tag", "urgent")
    add(run, "Review the sweep fix", "--role", "reviewer")
    text = board(project)
    assert "#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n" in text
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-hjkmnp-tv-z]{8}", first)
    parsed = _org_element_one(project / BOARD)
    assert_reader_agrees(project / BOARD, parsed)
    tasks = [h for h in parsed["headlines"] if h["level"] == 1 and h["todo"]]
    assert [(h["todo"], h["title"], h["tags"]) for h in tasks] == [
        ("TODO", "Fix the sweep bug", ["backend", "urgent"]),
        ("TODO", "Review the sweep fix", [])]
    props = {k.upper(): v for k, v in tasks[0]["properties"].items()}
    assert props["ID"] == first and props["ROLE"] == "implementer"
    assert props["WORKING_SET"] == "src/sweep.py docs/"


def test_ids_made_at_once_never_collide_and_sort_by_time(project: Path) -> None:
    """Random ids collide by chance (40 bits: once in 2**40 pairs; 20,000 in one second
    did, once, in a suite run): an id the board holds is drawn again, so the ids of one
    board never collide, whatever the draws."""
    from ai_protocols.board.model import mint_task_id

    taken: set[str] = set()
    ids = []
    for _ in range(20000):
        ids.append(minted := mint_task_id(taken=taken))
        taken.add(minted)
    assert len(set(ids)) == len(ids)
    assert [i.split("-")[:2] for i in ids] == sorted(i.split("-")[:2] for i in ids)
    # a source that repeats itself: the repeat is drawn again, the next draw taken
    draws = iter([b"\0" * 5, b"\0" * 5, b"\0\0\0\0\1"])
    from datetime import datetime, timezone

    at = datetime(2026, 11, 30, 23, 49, 12, tzinfo=timezone.utc)
    first = mint_task_id(at, source=lambda n: next(draws))
    again = mint_task_id(at, source=lambda n: next(draws), taken={first})
    assert first.endswith("-00000000") and again.endswith("-00000001")
    with pytest.raises(ValueError, match="taken"):
        mint_task_id(at, random_bytes=b"\0" * 5, taken={first})


def test_every_command_changes_only_its_own_lines(project: Path, run: Runner) -> None:
    """A person's bytes (odd spacing, a note, a comment, their own headline, CRLF-free
    text without a final newline) stay as they were through claim, release, done."""
    task_id = add(run, "Fix the sweep bug", "--working-set", "src/")
    path = project / BOARD
    person = ("\n# a person's comment   \n*  Notes of mine   :idea:\nsome   text\n"
              "  - [ ] a checkbox\n")
    text = path.read_text(encoding="utf-8").replace(
        "- [", "Wrote this by hand.\n\n- [", 1) + person.rstrip("\n")
    path.write_text(text, encoding="utf-8")
    run("task", "claim", task_id, agent="impl.1")
    run("task", "release", task_id, agent="impl.1")
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "i"], check=True)
    subprocess.run(["git", "-C", str(project), "tag", "v1.2-rc"], check=True)
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    run("task", "done", task_id, "--checkpoint-ref", "v1.2-rc", agent="impl.1")
    after = board(project)
    import difflib

    removed = [line for tag, i1, i2, _, _ in difflib.SequenceMatcher(
        None, text.splitlines(True), after.splitlines(True), autojunk=False).get_opcodes()
        if tag in ("replace", "delete") for line in text.splitlines(True)[i1:i2]]
    assert removed == ["* TODO Fix the sweep bug\n"]  # only the keyword changed
    assert after.endswith("  - [ ] a checkbox")  # no final newline, as typed
    assert "* DONE Fix the sweep bug" in after
    assert task_json(run, task_id)["checkpoint"] == f"refs/tags/v1.2-rc {head}"
    assert_reader_agrees(path, _org_element_one(path))


def test_a_task_a_person_adds_in_emacs_gets_an_id_at_the_next_write(
        project: Path, run: Runner) -> None:
    add(run, "First")
    path = project / BOARD
    path.write_text(board(project) + "* NEXT Typed by hand\n", encoding="utf-8")
    listed = json.loads(run("task", "list", "--json").stdout)
    assert [t["id"] for t in listed][1] is None
    add(run, "Second")
    listed = json.loads(run("task", "list", "--json").stdout)
    assert [t["title"] for t in listed] == ["First", "Typed by hand", "Second"]
    assert all(t["id"] for t in listed)
    assert "* NEXT Typed by hand\n:PROPERTIES:\n:ID:" in board(project)


def test_while_emacs_holds_the_board_every_write_is_refused(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    path = project / BOARD
    before = path.read_bytes()
    from ai_protocols.liveness.host import hostname

    os.symlink(f"me@{hostname()}.{os.getpid()}", project / ".ai" / ".#tasks.org")
    for args in (("task", "claim", task_id), ("task", "add", "Other"),
                 ("lock", "src/", "--reason", "x")):
        done = run(*args, agent="impl.1", check=False)
        assert done.returncode == 10, done.stderr
        assert "unsaved changes in Emacs" in done.stderr
    assert path.read_bytes() == before
    assert run("task", "list").returncode == 0  # reading goes on


@pytest.mark.parametrize(("args", "what"), [
    (("task", "add", "DONE already"), "task state"),
    (("task", "add", "Fix it :urgent:"), "tags"),
    (("task", "add", "[#A] Fix it"), "priority"),
    (("task", "add", "two\nlines"), "one line"),
    (("task", "add", "x", "--tag", "no-dash"), "tag"),
    (("task", "add", "x", "--role", "two words"), "one word"),
    (("task", "add", "x", "--working-set", "../outside"), "outside the project"),
    (("lock", "/etc/passwd", "--reason", "x"), "outside the project"),
])
def test_bad_input_is_refused_and_changes_nothing(project: Path, run: Runner,
                                                  args: tuple[str, ...], what: str) -> None:
    add(run, "Existing")
    before = (project / BOARD).read_bytes()
    done = run(*args, agent="a.1", check=False)
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("Error: ") and what in done.stderr
    assert (project / BOARD).read_bytes() == before


def test_an_unknown_or_ambiguous_id_is_refused(project: Path, run: Runner) -> None:
    for args in (("task", "claim", "k3f9"), ("task", "done", "k3f9"), ("task", "show", "k3f9")):
        done = run(*args, agent="a.1", check=False)
        assert done.returncode == 20 and "no task 'k3f9'" in done.stderr
    assert not (project / BOARD).exists()  # nothing made of nothing
    task_id = add(run, "Fix it")
    done = run("task", "claim", "nosuch", agent="a.1", check=False)
    assert done.returncode == 20 and "task list" in done.stderr
    short = task_id.rsplit("-", 1)[1]
    assert task_json(run, short)["id"] == task_id  # the random part is enough
    path = project / BOARD
    path.write_text(board(project) + board(project).split("* Locks")[1].split("\n", 1)[0]
                    + "\n" + board(project)[board(project).index("* TODO"):],
                    encoding="utf-8")  # a person copied the task: its id twice
    done = run("task", "show", task_id, check=False)
    assert done.returncode == 20 and "2 tasks" in done.stderr


# -- claims ---------------------------------------------------------------------------------------


def test_a_claim_of_a_held_task_names_its_holder(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    out = run("task", "claim", task_id, agent="impl.1").stdout
    assert f"Claimed task {task_id}" in out
    before = (project / BOARD).read_bytes()
    done = run("task", "claim", task_id, agent="impl.2", check=False)
    assert done.returncode == 21
    assert "claimed by impl.1 (live" in done.stderr
    assert (project / BOARD).read_bytes() == before
    assert "yours already" in run("task", "claim", task_id, agent="impl.1").stdout
    for action in (("task", "release", task_id), ("task", "done", task_id),
                   ("task", "handoff", task_id, "--to", "reviewer", "--note", "x")):
        refused = run(*action, agent="impl.2", check=False)
        assert refused.returncode == 21 and "impl.1" in refused.stderr
    assert (project / BOARD).read_bytes() == before
    forced = run("task", "claim", task_id, "--force", agent="impl.2").stdout
    assert "it was held by impl.1, who is live:" in forced and "taken by force" in forced
    assert task_json(run, task_id)["owner"] == "impl.2"


def test_a_claim_of_a_crashed_agent_is_taken_over_with_the_evidence(
        project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    run("task", "claim", task_id, agent="gone.1", as_another_agent=True)  # its process ends
    out = run("task", "claim", task_id, agent="impl.2").stdout
    assert "it was held by gone.1, who is crashed:" in out and "is gone" in out
    assert "taking it over: it was held by gone.1, who is crashed:" in board(project)
    assert task_json(run, task_id)["owner"] == "impl.2"


def test_a_claim_of_a_wrapped_up_session_is_taken_over(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    run("start", agent="early.1")
    run("task", "claim", task_id, agent="early.1")
    shown = run("task", "show", task_id, agent="late.1").stdout
    assert "live" in shown
    run("wrap-up", "Stopped early", agent="early.1")
    out = run("task", "claim", task_id, agent="late.1").stdout
    assert "it was held by early.1, whose session was wrapped up at " in out


def test_a_claim_needs_an_agent_id(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    done = run("task", "claim", task_id, check=False)
    assert done.returncode == 4 and "AI_AGENT_ID" in done.stderr


def test_release_done_and_handoff(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it", "--role", "implementer")
    run("task", "claim", task_id, agent="impl.1")
    assert task_json(run, task_id)["state"] == "DOING"
    run("task", "release", task_id, agent="impl.1")
    shown = task_json(run, task_id)
    assert (shown["state"], shown["owner"]) == ("TODO", None)
    run("task", "claim", task_id, agent="impl.1")
    run("task", "handoff", task_id, "--to", "reviewer", "--note", "Check the edge cases",
        agent="impl.1")
    shown = task_json(run, task_id)
    assert (shown["state"], shown["owner"], shown["role"]) == ("REVIEW", None, "reviewer")
    assert "handed off by impl.1 (role implementer) to reviewer: Check the edge cases" in \
        board(project)
    assert json.loads(run("task", "list", "--json", "--role", "reviewer", "--free").stdout)
    run("task", "claim", task_id, agent="rev.1")
    assert task_json(run, task_id)["state"] == "REVIEW"
    mine = json.loads(run("task", "list", "--json", "--mine", agent="rev.1").stdout)
    assert [t["id"] for t in mine] == [task_id]
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "i"], check=True)
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    run("task", "done", task_id, "--checkpoint-ref", head[:7], agent="rev.1")
    shown = task_json(run, task_id)
    assert (shown["state"], shown["checkpoint"]) == ("DONE", head)
    closed = run("task", "claim", task_id, agent="impl.9", check=False)
    assert closed.returncode == 24 and "DONE" in closed.stderr
    assert json.loads(run("task", "list", "--json").stdout) == []
    assert len(json.loads(run("task", "list", "--json", "--all").stdout)) == 1


# -- locks ----------------------------------------------------------------------------------------


def test_locks_exclude_each_other_and_stale_ones_are_taken_over(
        project: Path, run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    run("lock", "src/api", "--reason", "reshaping the API", agent="a.1")
    before = (project / BOARD).read_bytes()
    for area in ("src", "src/api/v1.py", "src/api/"):
        done = run("lock", area, "--reason", "mine", agent="b.1", check=False)
        assert done.returncode == 22, done.stderr
        assert "locked by a.1 (live" in done.stderr and "reshaping the API" in done.stderr
    assert (project / BOARD).read_bytes() == before
    run("lock", "src/other.py", "--reason", "elsewhere", agent="b.1")
    # A renewal changes only the lock's own lines: a person's note under it stays.
    path = project / BOARD
    path.write_text(board(project).replace(":REASON:   reshaping the API\n:END:\n",
                                           ":REASON:   reshaping the API\n:END:\nAsk a.1 first.\n"))
    out = run("lock", "src/api/", "--reason", "reshaping the API", agent="a.1").stdout
    assert out == "Renewed src/api/\n" and "Ask a.1 first.\n" in board(project)
    locks = json.loads(run("locks", "--json", agent="b.1").stdout)
    assert [(x["path"], x["owner"], x["mine"], x["state"]) for x in locks] == [
        ("src/api/", "a.1", False, "live"), ("src/other.py", "b.1", True, None)]
    refused = run("unlock", "src/api/", agent="b.1", check=False)
    assert refused.returncode == 22
    run("lock", "lib/", "--reason", "short-lived", agent="gone.1", as_another_agent=True)
    out = run("lock", "lib/x.py", "--reason", "now mine", agent="b.1").stdout
    assert "taken over: lib/ was locked by gone.1, who is crashed:" in out
    run("unlock", "src/api/", agent="a.1")
    assert [x["path"] for x in json.loads(run("locks", "--json").stdout)] == [
        "src/other.py", "lib/x.py"]
    missing = run("unlock", "nowhere", agent="a.1", check=False)
    assert missing.returncode == 4 and "no lock" in missing.stderr
    assert_reader_agrees(project / BOARD, _org_element_one(project / BOARD))


# -- the guard -----------------------------------------------------------------------------------


def test_check_reports_changes_outside_the_working_set_and_in_others_locks(
        project: Path, run: Runner) -> None:
    for name in ("src/a.py", "src/b.py", "docs/x.md", "lib/y.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x\n")
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "base"], check=True)
    task_id = add(run, "Fix src", "--working-set", "src/")
    run("task", "claim", task_id, agent="impl.1")
    run("lock", "src/b.py", "--reason", "renaming b", agent="other.1")
    clean = run("check", agent="impl.1")
    assert clean.returncode == 0
    for name in ("src/a.py", "src/b.py", "docs/x.md"):
        (project / name).write_text("changed\n")
    (project / "new file.txt").write_text("new\n")
    done = run("check", "--json", agent="impl.1", check=False)
    assert done.returncode == 23
    report = json.loads(done.stdout)
    found = {f["path"]: (f["outside_working_set"], f["locked_by"]) for f in report["findings"]}
    assert found == {"src/b.py": (False, "other.1"), "docs/x.md": (True, None),
                     "new file.txt": (True, None)}
    assert report["working_set"] == ["src/"] and report["tasks"] == [task_id]
    text = run("check", agent="impl.1", check=False).stdout
    assert "docs/x.md: outside the working set" in text
    assert "src/b.py: locked by other.1 (live) for: renaming b" in text
    # Without a claim, only the locks count.
    alone = json.loads(run("check", "--json", agent="solo.1", check=False).stdout)
    assert [f["path"] for f in alone["findings"]] == ["src/b.py"]


def hook(project: Path, payload: dict, runtime: str = "claude",
         agent: str | None = None) -> subprocess.CompletedProcess[str]:
    env = clean_env(**({"AI_AGENT_ID": agent} if agent else {}))
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", runtime],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=project, env=env, timeout=60)


def test_the_pretooluse_hook_refuses_an_edit_into_another_agents_lock(
        project: Path, run: Runner) -> None:
    def payload(tool: str, tool_input: dict, session: str = "s-2") -> dict:
        return {"session_id": session, "cwd": str(project), "hook_event_name": "PreToolUse",
                "tool_name": tool, "tool_input": tool_input, "transcript_path": "/t"}

    edit = payload("Edit", {"file_path": str(project / "src/api/v1.py"), "old_string": "a",
                            "new_string": "b"})
    assert hook(project, edit).returncode == 0  # no board: through at once
    run("lock", "src/api/", "--reason", "reshaping the API", agent="a.1")
    refused = hook(project, edit, agent="b.1")
    assert refused.returncode == 2
    assert "src/api/v1.py is inside src/api/, which a.1 has locked (reshaping the API)" in \
        refused.stderr and refused.stdout == ""
    assert hook(project, edit, agent="a.1").returncode == 0  # its own lock
    elsewhere = payload("Write", {"file_path": str(project / "src/other.py"), "content": "x"})
    assert hook(project, elsewhere, agent="b.1").returncode == 0
    patch = ("*** Begin Patch\n*** Update File: README.md\n@@\n-a\n+b\n"
             "*** Add File: src/api/new.py\n+x\n*** End Patch\n")
    codex = payload("apply_patch", {"command": patch})
    refused = hook(project, codex, runtime="codex", agent="b.1")
    assert refused.returncode == 2 and "src/api/new.py" in refused.stderr
    # A derived id (no AI_AGENT_ID): the agent's own session id names it.
    from ai_protocols.paths import derived_agent_id

    mine = derived_agent_id("claude", "s-1", project)
    run("lock", "docs/", "--reason", "rewriting", agent=mine)
    into_docs = payload("Edit", {"file_path": str(project / "docs/x.md")}, session="s-1")
    assert hook(project, into_docs).returncode == 0
    into_docs["session_id"] = "s-9"
    assert hook(project, into_docs).returncode == 2
    broken = subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                            input="not json", capture_output=True, text=True, cwd=project,
                            env=clean_env(), timeout=60)
    assert broken.returncode == 1  # a failure never blocks the agent
    # An edit whose file cannot be read from the payload: not checked, and it says so
    # (exit 1: never blocks); a tool call that edits nothing goes through quietly.
    for tool_input in ({}, {"file_path": 5}):
        unread = hook(project, payload("Edit", tool_input), agent="b.1")
        assert unread.returncode == 1 and "the edit was not checked" in unread.stderr, \
            tool_input
    quiet = hook(project, payload("Read", {"file_path": str(project / "src/api/v1.py")}),
                 agent="b.1")
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_an_edit_into_a_crashed_agents_lock_goes_through(project: Path, run: Runner) -> None:
    run("lock", "src/", "--reason", "x", agent="gone.1", as_another_agent=True)
    edit = {"session_id": "s", "cwd": str(project), "tool_name": "Write",
            "tool_input": {"file_path": str(project / "src/a.py"), "content": ""}}
    assert hook(project, edit, agent="b.1").returncode == 0


# -- many agents at once ---------------------------------------------------------------------------

WORKER = r'''
import json, os, random, subprocess, sys, time
cli, project, me, record, rounds, final, barrier_dir = sys.argv[1:8]
tasks = json.loads(os.environ["TEST_TASKS"])
env = {k: v for k, v in os.environ.items() if not k.startswith("AI_")}
env["AI_AGENT_ID"] = me
def run(*args):
    return subprocess.run([cli, *args], cwd=project, env=env, capture_output=True, text=True)
def wait(name):  # every worker at the gate, then all go at once
    open(os.path.join(barrier_dir, f"{name}.{me}"), "w").close()
    while len([n for n in os.listdir(barrier_dir) if n.startswith(name + ".")]) < 32:
        time.sleep(0.01)
rng = random.Random(me)
out = open(record, "a")
wait("a")
for _ in range(int(rounds)):
    task = rng.choice(tasks)
    done = run("task", "claim", task)
    if done.returncode == 0:
        start = time.monotonic()
        run("task", "show", task)  # hold it a while
        end = time.monotonic()
        out.write(json.dumps(["hold", task, start, end]) + "\n"); out.flush()
        released = run("task", "release", task)
        assert released.returncode == 0, released.stderr
    else:
        assert done.returncode == 21, (done.returncode, done.stderr)
        out.write(json.dumps(["lost", task, done.stderr]) + "\n"); out.flush()
wait("b")
while not os.path.exists(os.path.join(barrier_dir, "go")):
    time.sleep(0.01)
task = tasks[int(final)]
done = run("task", "claim", task)
out.write(json.dumps(["final", task, done.returncode, done.stderr]) + "\n")
out.close()
wait("c")
while not os.path.exists(os.path.join(barrier_dir, "end")):
    time.sleep(0.05)
'''


def test_32_processes_claiming_8_tasks(project: Path, run: Runner, tmp_path: Path) -> None:
    """Of 32 real processes claiming 8 tasks, each task has one holder at a time (the
    holds each process records never overlap), and at the end exactly one owner, whom
    every loser was told; a person's edits made between the claims stay, and Emacs
    reads the board."""
    tasks = [add(run, f"Task number {n}", "--working-set", f"src/t{n}/") for n in range(8)]
    gates = tmp_path / "gates"
    gates.mkdir()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    records = [tmp_path / f"w{n}.jsonl" for n in range(32)]
    env = clean_env(TEST_TASKS=json.dumps(tasks))
    workers = [subprocess.Popen([sys.executable, str(script), str(CLI), str(project),
                                 f"w{n}", str(records[n]), "3", str(n % 8), str(gates)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for n in range(32)]
    try:
        while len([g for g in os.listdir(gates) if g.startswith("b.")]) < 32:
            for worker in workers:
                assert worker.poll() is None, worker.communicate()[0]
            time.sleep(0.05)
        # A person edits the board between the claims (as in Emacs: a save in place).
        path = project / BOARD
        text = path.read_text(encoding="utf-8")
        note = "A person's note, typed between the claims.\n"
        text = text.replace(":END:\n", ":END:\n" + note, 3)  # under the Locks section, 2 tasks
        text += "* Ideas of mine :later:\nNot a task, only text.\n"
        path.write_text(text, encoding="utf-8")
        (gates / "go").touch()
        while len([g for g in os.listdir(gates) if g.startswith("c.")]) < 32:
            for worker in workers:
                assert worker.poll() is None, worker.communicate()[0]
            time.sleep(0.05)
    finally:
        (gates / "end").touch()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    rows = [json.loads(line) for r in records for line in r.read_text().splitlines()]
    holds: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        if row[0] == "hold":
            holds.setdefault(row[1], []).append((row[2], row[3]))
    assert holds, "no claim ever won"
    for task, spans in holds.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"two holders of {task} at once"
    final: dict[str, list[tuple[str, int, str]]] = {task: [] for task in tasks}
    owners = {t["id"]: t["owner"] for t in json.loads(run("task", "list", "--json").stdout)}
    for n, record in enumerate(records):
        for row in map(json.loads, record.read_text().splitlines()):
            if row[0] == "final":
                final[row[1]].append((f"w{n}", row[2], row[3]))
    for task, tries in final.items():
        winners = [who for who, code, _ in tries if code == 0]
        assert len(tries) == 4 and len(winners) == 1, tries
        assert owners[task] == winners[0]
        for _who, code, stderr in tries:
            if code != 0:
                assert code == 21 and f"claimed by {winners[0]} (live" in stderr
    after = board(project)
    assert after.count(note) == 3 and "* Ideas of mine :later:\nNot a task, only text.\n" in after
    assert_reader_agrees(project / BOARD, _org_element_one(project / BOARD))


def test_tasks_added_at_once_are_all_there_with_their_own_ids(
        project: Path, run: Runner) -> None:
    adders = [subprocess.Popen([str(CLI), "task", "add", f"Task {n}", "--tag", f"t{n}"],
                               cwd=project, env=clean_env(AI_AGENT_ID=f"p.{n}"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for n in range(16)]
    ids = [adder.communicate(timeout=120)[0].strip() for adder in adders]
    assert all(adder.returncode == 0 for adder in adders)
    listed = json.loads(run("task", "list", "--json").stdout)
    assert sorted(t["id"] for t in listed) == sorted(ids) and len(set(ids)) == 16
    assert sorted(t["title"] for t in listed) == sorted(f"Task {n}" for n in range(16))
    assert_reader_agrees(project / BOARD, _org_element_one(project / BOARD))


# -- arbitrary text --------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TITLE = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)
TAG = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd"),
                            whitelist_characters="_@#%"), min_size=1, max_size=12)
PATH = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=40)


def _org_element_one(path: Path) -> dict:
    """What org-element parses in ``path``, the same for both judges (Org 9.5, 9.7)."""
    return org_element([path])[0]


def _emacs_properties(path: Path) -> list[list[str] | None]:
    """Each headline's WORKING_SET as Org's org-entry-get-multivalued-property reads it,
    the same in every Org judged (9.5 and 9.7)."""
    script = ("(progn (require 'org) (require 'json) (org-mode) (princ (json-encode "
              "(org-map-entries (lambda () (or (org-entry-get-multivalued-property (point) "
              "\"WORKING_SET\") []))))))")
    first, *others = on_both(lambda judge: json.loads(
        judge.run([str(path), "--eval", script], timeout=300).stdout))
    for judge, other in zip(JUDGES[1:], others, strict=True):
        assert other == first, f"{JUDGES[0]} and {judge} read the working sets differently"
    return first


def test_arbitrary_titles_tags_and_paths_are_kept_or_refused(tmp_path: Path) -> None:
    """Any title, tag or working-set path either is refused (InvalidText, nothing
    written) or reads back as given (a title without the spaces around it, a path
    relative to the root): through our reader at once, and through Emacs (headline
    title and tags by org-element, the working set by Org's multi-valued property
    reader) over every board made."""
    from ai_protocols.board.board import Board
    from ai_protocols.errors import InvalidText
    from ai_protocols.session.project import Project

    root = (tmp_path / "proj").resolve()
    (root / ".ai").mkdir(parents=True)
    board = Board(Project(root, "prop.1"))
    expected: list[tuple[str, list[str], list[str]]] = []

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(TITLE, st.lists(TAG, max_size=3), st.lists(PATH, max_size=3))
    def one(title: str, tags: list[str], paths: list[str]) -> None:
        before = board.path.read_bytes() if board.path.exists() else None
        try:
            task = board.add(title, tags=tuple(tags), working_set=tuple(paths), cwd=str(root))
        except InvalidText:
            after = board.path.read_bytes() if board.path.exists() else None
            assert after == before
            return
        assert task.title == title.strip(" ")
        assert list(task.tags) == list(dict.fromkeys(tags))
        from ai_protocols.board.model import normalize_path

        normal = list(dict.fromkeys(normalize_path(str(root), p, str(root)) for p in paths))
        assert list(task.working_set) == normal
        for path in normal:  # a path kept is a fixed point of the rule
            assert normalize_path(str(root), path, str(root)) == path
        assert board.task(task.id or "").title == task.title
        expected.append((task.title, list(task.tags), normal))

    one()
    assert len(expected) > 50, "too few examples were accepted to mean anything"
    parsed = _org_element_one(board.path)
    assert_reader_agrees(board.path, parsed)
    tasks = [h for h in parsed["headlines"] if h["level"] == 1 and h["todo"]]
    # (Emacs reads the headline as written: the title made inert, docs/emacs.md)
    from ai_protocols.board.model import board_title

    assert [(h["title"], h["tags"]) for h in tasks] == \
        [(board_title(t), g) for t, g, _ in expected]
    sets = _emacs_properties(board.path)
    assert sets[-len(expected):] == [p for _, _, p in expected]  # (the Locks section first)


# -- sessions know their task ------------------------------------------------------------------


def test_a_session_is_linked_to_its_task_and_resume_shows_it(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix the sweep bug", "--working-set", "src/sweep.py", "--working-set",
                  "tests/")
    refused = run("start", "--task", "nosuch", agent="impl.1", check=False)
    assert refused.returncode == 20
    assert not (project / ".ai/session-context.d/impl.1.org").exists()
    out = run("start", "--task", task_id.rsplit("-", 1)[1], agent="impl.1").stdout
    assert f"Linked the session to task {task_id}: Fix the sweep bug" in out
    session_file = project / ".ai/session-context.d/impl.1.org"
    assert f":TASK:     {task_id}\n" in session_file.read_text()
    before = session_file.read_bytes()
    refused = run("log", "--progress", "x", "--task", "nosuch", agent="impl.1", check=False)
    assert refused.returncode == 20 and session_file.read_bytes() == before
    other = add(run, "Second task")
    out = run("log", "--progress", "Reproduced it", "--task", other, agent="impl.1").stdout
    assert "logged progress: Reproduced it" in out and f"linked task {other}" in out
    assert f":TASK:     {other}\n" in session_file.read_text()
    run("log", "--task", task_id, agent="impl.1")  # the link alone
    assert f":TASK:     {task_id}\n" in session_file.read_text()
    # resume shows the linked task (free), then the claimed one (yours), with its working set.
    text = run("resume", agent="impl.1").stdout
    assert f"Tasks (.ai/tasks.org):\n  {task_id} TODO (free): Fix the sweep bug\n" \
           "    working set: src/sweep.py tests/\n" in text
    run("task", "claim", other, agent="impl.1")
    data = json.loads(run("resume", "--json", agent="impl.1").stdout)
    assert [(t["id"], t["state"], t["owner"]) for t in data["tasks"]] == [
        (task_id, "TODO", None), (other, "DOING", "impl.1")]
    # The SessionStart hook gives the model the same text.
    payload = {"session_id": "s-1", "cwd": str(project), "hook_event_name": "SessionStart",
               "source": "startup", "transcript_path": "/t"}
    started = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                             input=json.dumps(payload), capture_output=True, text=True,
                             cwd=project, env=clean_env(AI_AGENT_ID="impl.1"), timeout=60)
    assert started.returncode == 0, started.stderr
    assert f"{other} DOING (yours): Second task" in started.stdout
    # wrap-up says which tasks are still open, and the command that closes each.
    wrapped = run("wrap-up", "Reproduced", agent="impl.1")
    assert f"ai-protocols task done {other} --checkpoint\n" in wrapped.stderr
    assert f"ai-protocols task done {task_id} --checkpoint\n" in wrapped.stderr
    assert wrapped.stdout.strip().endswith(".org")  # the archive alone on stdout


def test_a_board_that_lost_its_keywords_line_gets_it_back(project: Path, run: Runner) -> None:
    task_id = add(run, "Fix it")
    path = project / BOARD
    path.write_text(board(project).replace("#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n",
                                           ""), encoding="utf-8")
    run("task", "claim", task_id, agent="impl.1")
    shown = task_json(run, task_id)
    assert (shown["state"], shown["title"]) == ("DOING", "Fix it")
    assert board(project).startswith("#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED\n")


def test_done_with_a_checkpoint_takes_one_and_keeps_its_ref(project: Path, run: Runner) -> None:
    """``task done --checkpoint`` takes a checkpoint of the work tree (issue 14) and
    closes the task with its ref; a closed task is refused before any is taken."""
    import subprocess as sp

    (project / "work.txt").write_text("the work, not committed\n")
    task_id = add(run, "Ship it")
    run("task", "claim", task_id, agent="impl.1")
    run("start", agent="impl.1")
    done = run("task", "done", task_id, "--checkpoint", agent="impl.1")
    ref, commit = task_json(run, task_id)["checkpoint"].split(" ")  # (REF HASH: 15th round)
    assert ref.startswith("refs/ai-protocols/checkpoints/") and ref in done.stdout
    assert sp.run(["git", "rev-parse", ref], cwd=project, capture_output=True, text=True,
                  check=True).stdout.strip() == commit
    tree = sp.run(["git", "show", f"{ref}:work.txt"], cwd=project, capture_output=True,
                  text=True, check=True).stdout
    assert tree == "the work, not committed\n"
    refs = sp.run(["git", "for-each-ref", "refs/ai-protocols/"], cwd=project,
                  capture_output=True, text=True, check=True).stdout
    again = run("task", "done", task_id, "--checkpoint", agent="impl.1", check=False)
    assert again.returncode == 24, again.stderr
    assert sp.run(["git", "for-each-ref", "refs/ai-protocols/"], cwd=project,
                  capture_output=True, text=True, check=True).stdout == refs  # none taken
    both = run("task", "done", task_id, "--checkpoint", "--checkpoint-ref", "x",
               agent="impl.1", check=False)
    assert both.returncode == 2


def test_a_board_with_merge_conflict_markers_is_refused(project: Path, run: Runner) -> None:
    """Seen: two clones claimed one task and merged; git left conflict markers in the
    task's drawer, and the board was read and written on: the claimed task lost its id
    and its claim, and a second drawer was stacked on it. A board with markers is
    refused by every command, naming the lines, as a session file is, and nothing
    writes into it."""
    task_id = add(run, "Shared")
    path = project / BOARD
    text = board(project)
    drawer = text.index(":ID:")
    marked = (text[:drawer] + "<<<<<<< ours\n:OWNER:    h.d.1\n=======\n:OWNER:    h.c.1\n"
              ">>>>>>> theirs\n" + text[drawer:])
    path.write_text(marked, encoding="utf-8")
    for args in (("task", "list"), ("task", "show", task_id), ("task", "claim", task_id),
                 ("task", "add", "More"), ("lock", "src/", "--reason", "r"), ("check",)):
        result = run(*args, agent="h.e.1", check=False)
        assert result.returncode == 6, (args, result.stderr)
        assert "cannot read the task board" in result.stderr and "merge-conflict markers" \
            in result.stderr, result.stderr
        assert board(project) == marked, args
