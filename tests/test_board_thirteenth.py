"""The task board after its thirteenth round (issue 15): one reading of the board per
command; the identity rule linear in the board's tasks when a person changed many ids;
a task found through the board's git history when its id changed in a commit git
fast-forwarded; the notes' prefixes.

Every command runs as the installed ``ai-protocols`` in a real git repository; the
counts run the installed command's own ``main`` in a real process of its own, with a
counter on what is measured (no timing).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from boardkit import BOARD, add, board, git

from conftest import Runner, clean_env

AGENT = "me.1796000000"

#: The installed command's ``main``, run with counters: how many times an Org file was
#: read and parsed (an ``OrgFile`` made), how many times a board was read into tasks
#: (``model._read_board``, the
#: work behind ``read_board``), and how many Python calls (a generator resumed counts:
#: ``sys.setprofile``) ran in the board's modules (``ai_protocols/board/``). The counts
#: go to stderr's last line as JSON.
COUNTED = """
import collections, json, os, sys
from ai_protocols.board import model
from ai_protocols.org import file as orgfile
calls = collections.Counter()
parse = orgfile.OrgFile.__init__
def counted_parse(self, *args, **kwargs):
    calls["parse"] += 1
    return parse(self, *args, **kwargs)
orgfile.OrgFile.__init__ = counted_parse
name = "_read_board" if hasattr(model, "_read_board") else "read_board"  # (as before)
read = getattr(model, name)
def counted_read(*args, **kwargs):
    calls["read"] += 1
    return read(*args, **kwargs)
setattr(model, name, counted_read)
here = os.path.join(os.path.dirname(model.__file__), "")
def profile(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.startswith(here):
        calls["board_calls"] += 1
if os.environ.get("COUNT_CALLS"):
    sys.setprofile(profile)
from ai_protocols.cli.main import main
sys.argv = ["ai-protocols", *sys.argv[1:]]
try:
    main()
finally:
    sys.setprofile(None)
    print(json.dumps(calls), file=sys.stderr)
"""


def counted(project: Path, *args: str, calls: bool = False,
            code: int = 0) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    """``ai-protocols ARGS`` run through :data:`COUNTED` in ``project``; its result and
    its counts."""
    env = clean_env(AI_AGENT_ID=AGENT, **({"COUNT_CALLS": "1"} if calls else {}))
    done = subprocess.run([sys.executable, "-c", COUNTED, *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == code, done
    return done, json.loads(done.stderr.strip().splitlines()[-1])


# -- 1. one reading of the board per command ------------------------------------------------

def test_each_command_reads_and_parses_the_board_once(project: Path, run: Runner) -> None:
    """Item 1: ``task list`` read and parsed the board about ten times (every helper
    read it again). With a kept copy other than the board (a person's edit since the
    last write: the lost-claims check reads it too), every reading command parses the
    board and its kept copy once each and reads each into tasks at most once per
    reading (checked or lenient); a change parses once more, under the board's lock."""
    first = add(run, "first")
    add(run, "second")
    run("task", "claim", first, agent=AGENT)
    with (project / BOARD).open("a", encoding="utf-8") as out:
        for k in range(30):
            out.write(f"* TODO by hand {k}\n")
    for args in (["task", "list"], ["task", "list", "--mine"], ["task", "list", "--free"],
                 ["task", "list", "--json"], ["task", "show", first], ["check"],
                 ["locks"]):
        calls = counted(project, *args)[1]
        assert calls.get("parse", 0) <= 2, (args, calls)  # the board, its kept copy
        assert calls.get("read", 0) <= 3, (args, calls)
    assert "by hand 29" in counted(project, "task", "list")[0].stdout
    calls = counted(project, "task", "release", first)[1]
    assert calls.get("parse", 0) <= 3, calls  # (+ the board read under the lock)
    assert ":OWNER:" not in board(project).split("* TODO second")[0].split("first")[1]


# -- 2. the identity rule, linear in the tasks ------------------------------------------------

def test_many_ids_changed_by_hand_cost_linear_work(project: Path, run: Runner) -> None:
    """Item 2: a person changed the ids of 300 tasks of a board of 300 (not committed):
    half retyped to new ids, half swapped in pairs (each task the other's id). The
    identity rule (``merge.same_tasks`` and ``_moved_ids``, run by ``task list``'s
    lost-claims check) and ``Board._same_again`` (run by the next change, noting each
    change) pair them by indexes, not by comparing each task with the others: the
    Python calls in the board's modules stay under 300 per task (before: a look at
    every task per task, 5,600 per task). Every task is noted once, as the same task."""
    add(run, "seed")
    n = 300
    with (project / BOARD).open("a", encoding="utf-8") as out:
        for k in range(n):
            out.write(f"* TODO task {k}\n:PROPERTIES:\n:ID:       20261130-100000-{k:08d}\n"
                      f":END:\nwhat task {k} is\n")
    add(run, "after")  # (the kept copy: this board)
    text = board(project)
    for k in range(n):
        was = f":ID:       20261130-100000-{k:08d}\n"
        now = k + 1 if k % 4 == 0 else k - 1 if k % 4 == 1 else None
        text = text.replace(was, f":ID:       20261130-100000-{'y' if now is not None else 'x'}"
                                 f"{now if now is not None else k:08d}\n")
    # (the swapped ones: each the other's id; only these ids: a random one may hold "-y")
    text = text.replace("20261130-100000-y", "20261130-100000-")
    (project / BOARD).write_text(text, encoding="utf-8")
    calls = counted(project, "task", "list", calls=True)[1]
    assert calls["board_calls"] < 300 * n, calls
    calls = counted(project, "task", "add", "more", calls=True)[1]
    assert calls["board_calls"] < 300 * n, calls
    after = board(project)
    for k in (0, 1, 2, n // 2 + 3, n - 1):
        now = f"{k + 1:08d}" if k % 4 == 0 else f"{k - 1:08d}" if k % 4 == 1 else f"x{k:08d}"
        assert f"its id was 20261130-100000-{k:08d} (changed by hand to " \
               f"20261130-100000-{now}): the same task" in after, k
    assert after.count("(changed by hand to") == n


# -- 5. an id changed in a commit git fast-forwarded: found through the board's history -------

def test_an_id_changed_in_a_fast_forwarded_commit_is_found_in_history(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Item 5: a clone where a person changed a task's id by hand (no tool run there, so
    no note) and only that clone changed the board: ``git pull`` fast-forwards, no merge
    driver runs. ``task show OLD``, ``task claim/release/done OLD`` and ``start --task
    OLD`` are refused (exit 20, nothing written) saying ``its id is now NEW`` from the
    board's git history (the commit that changed it, paired by the one identity rule),
    through two such changes too; a task a commit removed is said so; an id the
    history never had is the plain "no task"."""
    old = add(run, "the task", "--working-set", "src")
    add(run, "another")
    gone = add(run, "to remove")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    new = old[:-8] + "zzzzzzzz"
    text = board(clone).replace(f":ID:       {old}\n", f":ID:       {new}\n")
    (clone / BOARD).write_text(text, encoding="utf-8")
    git(clone, "commit", "-qam", "a person's id")
    newer = old[:-8] + "yyyyyyyy"
    text = board(clone).replace(f":ID:       {new}\n", f":ID:       {newer}\n")
    start = text.index("* TODO to remove")
    text = text[:start] + text[text.index("\n* ", start) + 1:] if "\n* " in text[start:] \
        else text[:start]
    (clone / BOARD).write_text(text, encoding="utf-8")
    git(clone, "commit", "-qam", "again, and a task removed")
    git(project, "pull", "-q", "--ff-only", str(clone), "HEAD")
    before = board(project)
    for args in (["task", "show", old], ["task", "show", old[-8:]], ["task", "claim", old],
                 ["task", "release", old], ["task", "done", old], ["start", "--task", old]):
        done = run(*args, agent=AGENT, check=False)
        assert done.returncode == 20, (args, done)
        assert f"its id is now {newer}" in done.stderr and "git history" in done.stderr, \
            (args, done.stderr)
        assert board(project) == before
    done = run("task", "show", new, check=False)  # (the id between: followed on)
    assert done.returncode == 20 and f"its id is now {newer}" in done.stderr, done.stderr
    done = run("task", "show", gone, check=False)
    assert done.returncode == 20 and "was removed from the board by commit" in done.stderr, \
        done.stderr
    done = run("task", "show", "20261130-000000-qqqqqqqq", check=False)
    assert done.returncode == 20 and "git history" not in done.stderr \
        and "'ai-protocols task list' shows the ids" in done.stderr, done.stderr
    assert run("task", "show", newer).stdout.startswith(f"Task {newer}: the task")


# -- 4. each note under its own prefix --------------------------------------------------------

def _said(stderr: str) -> dict[str, str]:
    """Each stderr line of a change's report by its prefix (``put back``, ``noted``...)."""
    return {line.split(" on the task board: ")[0]: line.split(" on the task board: ", 1)[1]
            for line in stderr.splitlines() if " on the task board: " in line}


def test_each_kind_of_change_is_said_under_its_own_prefix(project: Path, run: Runner) -> None:
    """Item 4: "put back on the task board:" introduced every line of ``_same_again``,
    a person's changed id given back or git's put-back id among them. Now: a deleted
    ``:ID:`` line given its id back is put back; an id typed as another task's, its own
    given back, is corrected; a retyped id kept, and an id git put back (its log items
    with it), are noted. No line says an id "changed by hand" under "put back"."""
    a, b, c, d = (add(run, title) for title in ("task A", "task B", "task C", "task D"))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    text = board(project).replace(f":ID:       {a}\n", "")
    text = text.replace(f":ID:       {c}\n", f":ID:       {b}\n")  # (B's, typed as C's)
    text = text.replace(f":ID:       {d}\n", ":ID:       ann-d\n")
    (project / BOARD).write_text(text, encoding="utf-8")
    said = _said(run("task", "add", "E").stderr)
    assert said.keys() == {"put back", "corrected", "noted"}, said
    assert said["put back"] == f"task {a}: its :ID: line, deleted by hand, with its id"
    assert said["corrected"].startswith(f"task {c}: its id, changed by hand to {b}")
    assert said["noted"] == f"task ann-d: its id was changed by hand from {d}, noted in its " \
                            "log (the same task)"
    git(project, "checkout", "--", str(BOARD))  # git: the committed board, D's old id
    said = _said(run("task", "add", "F").stderr)
    assert said.keys() == {"noted"}, said
    assert said["noted"].startswith(f"task {d}: its id is {d} again, as git put back an older "
                                    "board (a person had changed it to ann-d)"), said


# -- 6. ids swapped inside one merge ----------------------------------------------------------

def swapped_in_a_clone(project: Path, tmp_path: Path, a: str, b: str) -> Path:
    """The board committed, then cloned into ``tmp_path/clone``, where a person swaps
    tasks ``a``'s and ``b``'s ids and commits: the clone."""
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    swapped = board(clone).replace(f":ID:       {a}\n", ":ID:       SWAP\n").replace(
        f":ID:       {b}\n", f":ID:       {a}\n").replace(":ID:       SWAP\n", f":ID:       {b}\n")
    (clone / BOARD).write_text(swapped, encoding="utf-8")
    git(clone, "commit", "-qam", "ids swapped by hand")
    return clone


def test_ids_swapped_in_one_clone_merge_by_the_one_rule(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Item 6: a person swaps two tasks' ``:ID:`` lines in one clone (both ids on each
    side of the merge) while the other clone claims one of them. The merge pairs each
    task by the one identity rule (its whole text, its claim), not by the id: the task
    that was claimed stays claimed (under the id the person gave it), the other stays
    free, each with a note of its id's change; the same whichever side git calls ours.
    Then ``task show`` of the claimed task's old id names its id now (its log)."""
    a = add(run, "task A")
    b = add(run, "task B")
    for path in ("src/a.py", "src/b.py"):
        (project / path).parent.mkdir(exist_ok=True)
        (project / path).write_text("x\n", encoding="utf-8")
    clone = swapped_in_a_clone(project, tmp_path, a, b)
    run("task", "claim", a, agent=AGENT)
    git(project, "commit", "-qam", "claim A")
    for where, other in ((project, clone), (clone, project)):
        if where == clone:  # (the other way round: the clone merges the claim in)
            run("init", cwd=clone)
            git(clone, "reset", "-q", "--hard", "HEAD")
        git(where, "pull", "-q", "--no-rebase", "--no-edit", str(other), "HEAD")
        text = board(where)
        task_a = text[text.index("* DOING task A"):text.index("* TODO task B")] \
            if "* DOING task A" in text else ""
        assert f":ID:       {b}" in task_a and f":OWNER:    {AGENT}" in task_a, text
        assert f"its id was {a} (changed by hand to {b}): the same task" in task_a, text
        task_b = text[text.index("* TODO task B"):]
        assert f":ID:       {a}" in task_b and ":OWNER:" not in task_b.split("* ")[1], text
    shown = run("task", "show", b, agent=AGENT)
    assert shown.stdout.startswith(f"Task {b}: task A") and AGENT in shown.stdout, shown


# -- 3. a session linked to a task whose id a merge swapped follows its own task --------------

def test_a_session_linked_before_a_swap_follows_its_own_task(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Item 3: a session linked by ``start --task`` to task A's id; a person swaps A's
    and B's ids in a clone; the merge (a real ``git pull`` through the merge driver)
    notes each change. ``resume`` names task A (by the id it has now), not B, which
    has A's old id now: the notes of the one identity rule decide, not the bare id."""
    a = add(run, "task A")
    b = add(run, "task B")
    clone = swapped_in_a_clone(project, tmp_path, a, b)
    run("start", "--task", a, agent=AGENT)
    run("task", "claim", b, agent="other.1796000000")  # (so the merge is a real one)
    git(project, "commit", "-qm", "claim B", "--", str(BOARD))
    git(project, "pull", "-q", "--no-rebase", "--no-edit", str(clone), "HEAD")
    assert f"its id was {a} (changed by hand to {b})" in board(project)
    shown = run("resume", agent=AGENT).stdout
    assert f"{b}" in shown and "task A" in shown and "task B" not in shown, shown


def test_a_link_made_after_the_swap_note_keeps_the_id(project: Path, run: Runner) -> None:
    """Item 3, the other way: a link made in a minute after the note of the swap meant
    the task that has the id then (``current_task``'s ``linked_at``); one made before
    (or unknown) follows the notes. The library's rule, on a board the installed
    command wrote."""
    from ai_protocols.board.model import BoardFile, current_task, read_board
    from ai_protocols.lean import datetime

    a = add(run, "task A")
    b = add(run, "task B")
    text = board(project).replace(f":ID:       {a}\n", ":ID:       SWAP\n").replace(
        f":ID:       {b}\n", f":ID:       {a}\n").replace(":ID:       SWAP\n", f":ID:       {b}\n")
    (project / BOARD).write_text(text, encoding="utf-8")
    run("task", "add", "C")  # (notes each change)
    doc = BoardFile(board(project))
    tasks = read_board(doc)[0]
    note = datetime.now().replace(second=0, microsecond=0)
    for at, title in ((None, "task A"), (note.replace(year=2020), "task A"),
                      (note.replace(year=2999), "task B")):
        found = current_task(doc, tasks, a, at)
        assert found is not None and found.title == title, (at, found)
