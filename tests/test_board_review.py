"""The task board after its second review (issue 15's open faults 2 to 12).

Every command runs as the installed ``ai-protocols`` in a real git repository;
Emacs judges the board where a person's edit is involved.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, add, board
from boardkit import write_hook as hook
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner
from emacs import assert_reader_agrees, org_element


def _commit(project: Path) -> None:
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "base"], check=True)


# -- 2. symbolic links: real locations are compared ---------------------------------------------


def test_a_link_inside_the_project_does_not_get_past_lock_check_or_hook(
        project: Path, run: Runner, tmp_path: Path) -> None:
    (project / "src" / "api").mkdir(parents=True)
    (project / "src" / "api" / "x.py").write_text("x\n")
    (project / "apilink").symlink_to("src/api")
    _commit(project)
    # lock: through the link and back, both ways
    run("lock", "src/api", "--reason", "reshaping", agent="a.1")
    for area in ("apilink/x.py", "apilink", "apilink/"):
        done = run("lock", area, "--reason", "mine", agent="b.1", check=False)
        assert done.returncode == 22, (area, done.stdout, done.stderr)
    run("unlock", "src/api/", agent="a.1")
    run("lock", "apilink", "--reason", "through the link", agent="a.1")
    assert json.loads(run("locks", "--json").stdout)[0]["path"] == "src/api/"
    done = run("lock", "src/api/x.py", "--reason", "mine", agent="b.1", check=False)
    assert done.returncode == 22, done.stderr
    # the hook: an edit through the link into the lock, and the reverse
    assert hook(project, project / "apilink" / "x.py", "b.1").returncode == 2
    assert hook(project, project / "apilink" / "new.py", "b.1").returncode == 2
    assert hook(project, project / "src" / "api" / "x.py", "b.1").returncode == 2
    assert hook(project, project / "src" / "other.py", "b.1").returncode == 0
    # check: a change made through the link is inside the lock
    (project / "apilink" / "x.py").write_text("changed\n")
    report = json.loads(run("check", "--json", agent="b.1", check=False).stdout)
    assert [(f["path"], f["locked_by"]) for f in report["findings"]] == [("src/api/x.py", "a.1")]
    # a working set given through the link holds the real files
    task = add(run, "API work", "--working-set", "apilink/")
    run("task", "claim", task, agent="a.1")
    assert json.loads(run("check", "--json", agent="a.1").stdout)["findings"] == []
    # a link leading out of the project is refused, clearly, and changes nothing
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / "out").symlink_to(outside)
    before = (project / BOARD).read_bytes()
    done = run("lock", "out/x", "--reason", "r", agent="b.1", check=False)
    assert done.returncode == 4 and "leads outside the project" in done.stderr
    assert (project / BOARD).read_bytes() == before
    assert hook(project, project / "out" / "x", "b.1").returncode == 0


def test_a_lock_taken_through_a_link_before_links_were_resolved_still_holds(
        project: Path, run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    (project / "apilink").symlink_to("src/api")
    run("lock", "docs/", "--reason", "first", agent="a.1")
    text = board(project).replace(":PATH:", ":PATH: apilink/\n:OLD:", 1)
    (project / BOARD).write_text(text)
    assert hook(project, project / "src" / "api" / "y.py", "b.1").returncode == 2
    done = run("lock", "src/api/y.py", "--reason", "mine", agent="b.1", check=False)
    assert done.returncode == 22


# -- 3. a person's line between a task's headline and its drawer ---------------------------------


def test_a_planning_line_is_read_and_a_stray_line_is_refused_naming_it(
        project: Path, run: Runner) -> None:
    task = add(run, "Plan it")
    other = add(run, "Other")
    path = project / BOARD
    # A planning line right after the headline: Org reads the drawer, and so do we.
    text = board(project).replace("* TODO Plan it\n",
                                  "* TODO Plan it\nSCHEDULED: <2026-12-01 Tue>\n")
    path.write_text(text)
    run("task", "claim", task, agent="a.1")
    parsed = org_element([path])[0]
    assert_reader_agrees(path, parsed)
    props = {h["title"]: h["properties"] for h in parsed["headlines"]}
    assert props["Plan it"]["ID"] == task and props["Plan it"]["OWNER"] == "a.1"
    # A note typed there: Org reads no properties; every command refuses, naming the line,
    # and nothing is written over it.
    text = board(project).replace("SCHEDULED: <2026-12-01 Tue>\n", "A note I typed here\n")
    path.write_text(text)
    parsed = org_element([path])[0]
    assert not {k.upper() for k in {h["title"]: h["properties"] for h in
                                    parsed["headlines"]}["Plan it"]}  # Org sees none
    number = text.splitlines().index("A note I typed here") + 1
    for args in (("task", "claim", other), ("task", "add", "New"), ("task", "list"),
                 ("task", "release", task), ("lock", "x", "--reason", "r")):
        done = run(*args, agent="a.1", check=False)
        assert done.returncode == 6, (args, done.returncode, done.stderr)
        assert f"line {number} ('A note I typed here')" in done.stderr, done.stderr
        assert "nothing was changed" in done.stderr
        assert path.read_text() == text
    # check writes nothing: it reads the drawer where it stands, and warns naming the line
    done = run("check", agent="a.1", check=False)
    assert done.returncode == 0 and f"line {number} ('A note I typed here')" in done.stderr
    assert path.read_text() == text
    # The hook still guards the locks.
    path.write_text(text.replace("A note I typed here\n", ""))
    run("lock", "src/", "--reason", "r", agent="a.1")
    path.write_text(board(project).replace("* TODO Plan it\n",
                                           "* TODO Plan it\nA note I typed here\n"))
    assert hook(project, project / "src" / "x.py", "b.1").returncode == 2


# -- 4. taking over a wrapped-up holder's claim says so plainly, and logs it whole -------------


def test_a_takeover_from_a_wrapped_up_holder_says_whose_and_why_in_plain_words(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix it")
    run("start", agent="early.1")
    run("task", "claim", task, agent="early.1")
    run("wrap-up", "Stopped early", agent="early.1")
    out = run("task", "claim", task, agent="late.1").stdout
    said = re.search(r"it was held by early\.1, whose session was wrapped up at "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d \(archived as \.ai/sessions/[^)\n]+\.org\)\n",
                     out)
    assert said, out
    assert "source" not in out and "/.ai/.locks" not in out  # no tombstone internals
    line = next(ln for ln in board(project).splitlines() if "taking it over" in ln)
    assert line.endswith(".org)"), line  # the item whole, its parentheses closed


# -- 5. duplicate ids ---------------------------------------------------------------------


def test_a_duplicate_id_is_refused_naming_both_lines_and_shown_by_list_and_check(
        project: Path, run: Runner) -> None:
    task = add(run, "Fix it")
    path = project / BOARD
    text = board(project)
    copy = text[text.index("* TODO Fix it"):]
    path.write_text(text + copy.replace("Fix it", "Fix it again"))
    text = path.read_text()
    lines = [n + 1 for n, ln in enumerate(text.splitlines()) if ln.startswith("* TODO")]
    for args in (("task", "show", task), ("task", "claim", task), ("task", "claim", task[-5:])):
        done = run(*args, agent="a.1", check=False)
        assert done.returncode == 20, done.stderr
        assert f"(lines {lines[0]} and {lines[1]})" in done.stderr
        assert "delete the :ID: line" in done.stderr and "nothing was changed" in done.stderr
        assert path.read_text() == text
    listed = run("task", "list").stdout
    assert f"duplicate id: the task on line {lines[1]} has it too" in listed
    assert json.loads(run("task", "list", "--json").stdout)[0]["duplicate_id_lines"] == lines
    checked = json.loads(run("check", "--json", agent="a.1").stdout)
    assert checked["duplicate_ids"] == [{"id": task, "lines": lines}]
    assert f"Duplicate id {task}" in run("check", agent="a.1").stdout
    # The fix the message gives works: the copy without an id gets a new one.
    second = text.rindex(f":ID:       {task}\n")
    path.write_text(text[:second] + text[second:].replace(f":ID:       {task}\n", "", 1))
    run("task", "claim", task, agent="a.1")
    ids = [t["id"] for t in json.loads(run("task", "list", "--json").stdout)]
    assert len(set(ids)) == 2 and task in ids


# -- 6. any end of an id that only one task has ----------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(tails=st.lists(st.text("0123456789abcdefghjkmnpqrstvwxyz", min_size=8, max_size=8),
                      min_size=1, max_size=6, unique=True),
       pick=st.integers(0, 5), length=st.integers(1, 24))
def test_any_end_of_an_id_names_the_one_task_that_has_it(tails: list[str], pick: int,
                                                         length: int) -> None:
    from ai_protocols.board.board import find_task
    from ai_protocols.board.model import Task
    from ai_protocols.errors import TaskNotFound

    tasks = [Task(id=f"20261130-1000{n:02d}-{tail}", title="t", state="TODO", line=n + 1)
             for n, tail in enumerate(tails)]
    wanted = tasks[pick % len(tasks)]
    end = wanted.id[-length:]
    having = [t for t in tasks if t.id.endswith(end)]
    if length < 4:  # (too short to name a task: twenty-first round, docs/tasks.md "Ids")
        with pytest.raises(TaskNotFound) as caught:
            find_task(tasks, end, Path("b"))
        assert "too short to name a task: give at least 4 characters" in str(caught.value)
        assert all(t.id in str(caught.value) for t in having)
    elif len(having) == 1:
        assert find_task(tasks, end, Path("b")) is wanted
        assert find_task(tasks, f" {end} ", Path("b")) is wanted
    else:
        with pytest.raises(TaskNotFound) as caught:
            find_task(tasks, end, Path("b"))
        assert f"names {len(having)} tasks" in str(caught.value)
        assert "give more of the end of the one you mean" in str(caught.value)
        assert all(t.id in str(caught.value) for t in having)


def test_a_short_unique_end_of_an_id_works_on_the_command_line(project: Path,
                                                               run: Runner) -> None:
    ids = [add(run, f"Task {n}") for n in range(3)]
    for task in ids:
        end = next(task[-k:] for k in range(4, 9) if sum(i.endswith(task[-k:]) for i in ids) == 1)
        assert json.loads(run("task", "show", end, "--json").stdout)["id"] == task
        short = run("task", "show", task[-3:], "--json", check=False)  # (twenty-first round)
        assert short.returncode == 20 and "too short" in short.stderr


# -- 7. the words of the board's messages ------------------------------------------------------


def test_refusals_say_how_the_paths_stand_and_give_advice_that_fits(
        project: Path, run: Runner) -> None:
    (project / "src" / "api").mkdir(parents=True)
    run("lock", "src/api/", "--reason", "reshaping", agent="a.1")
    done = run("lock", "src/", "--reason", "r", agent="b.1", check=False)
    assert done.returncode == 22 and "src/ holds src/api/, locked by a.1" in done.stderr
    done = run("lock", "src/api/v1.py", "--reason", "r", agent="b.1", check=False)
    assert "src/api/v1.py is inside src/api/, locked by a.1" in done.stderr
    done = run("lock", "src/api", "--reason", "r", agent="b.1", check=False)
    assert "src/api/ is locked by a.1 (live" in done.stderr
    done = run("unlock", "src/api/", agent="b.1", check=False)
    assert done.returncode == 22 and "cannot unlock src/api/" in done.stderr
    assert "only its holder may unlock it" in done.stderr and "wait for" not in done.stderr
    task = add(run, "Fix it")
    run("task", "claim", task, agent="impl.1")
    for args, action in ((("task", "release", task), "release it"),
                         (("task", "done", task), "close it"),
                         (("task", "handoff", task, "--to", "reviewer", "--note", "n"),
                          "hand it off")):
        done = run(*args, agent="impl.2", check=False)
        assert done.returncode == 21
        assert "pick another task" not in done.stderr
        assert f"only its holder may {action}: ask impl.1" in done.stderr
    claim = run("task", "claim", task, agent="impl.2", check=False)
    assert "pick another task" in claim.stderr


# -- 8. the state machine ----------------------------------------------------------------------


def test_closed_tasks_refuse_every_change_of_claim_or_state(project: Path,
                                                            run: Runner) -> None:
    done_task = add(run, "Finished")
    run("task", "claim", done_task, agent="impl.1")
    run("task", "done", done_task, agent="impl.1")  # impl.1 (this test process) stays live
    cancelled = add(run, "Dropped")
    path = project / BOARD
    path.write_text(board(project).replace("* TODO Dropped", "* CANCELLED Dropped"))
    before = path.read_bytes()
    for task, state in ((done_task, "DONE"), (cancelled, "CANCELLED")):
        for args in (("task", "release", task), ("task", "done", task),
                     ("task", "claim", task),
                     ("task", "handoff", task, "--to", "reviewer", "--note", "n")):
            for agent in ("impl.1", "impl.2"):
                result = run(*args, agent=agent, check=False)
                assert result.returncode == 24, (args, agent, result.stderr)
                assert f"it is {state} already" in result.stderr
                assert f"ai-protocols task reopen {task}" in result.stderr
                assert path.read_bytes() == before
    free = add(run, "Nobody's")
    out = run("task", "release", free, agent="impl.1").stdout
    assert "was not claimed: nothing to release" in out


# -- 9. check escapes what it prints -------------------------------------------------------


def test_check_prints_a_file_name_with_control_characters_escaped(project: Path,
                                                                  run: Runner) -> None:
    task = add(run, "Docs", "--working-set", "docs/")
    run("task", "claim", task, agent="a.1")
    (project / "bad\nname\x1b[31m.txt").write_text("x\n")
    out = run("check", agent="a.1", check=False).stdout
    assert "bad\\nname\\x1b[31m.txt: outside the working set" in out
    assert "\x1b" not in out
    report = json.loads(run("check", "--json", agent="a.1", check=False).stdout)
    assert report["findings"][0]["path"] == "bad\nname\x1b[31m.txt"  # JSON: exact


# -- 10. a stale, foreign or garbage Emacs lock on the board ---------------------------------------


def test_emacs_locks_on_the_board_follow_the_session_files_policy_with_fitting_words(
        project: Path, run: Runner) -> None:
    from ai_protocols.liveness.host import boot_time, hostname

    add(run, "First")
    lock = project / ".ai" / ".#tasks.org"
    path = project / BOARD
    # A stale lock: this host, a process that no longer runs: ignored, as Emacs does.
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.symlink_to(f"me@{hostname()}.{dead.pid}:{int(boot_time() or 0)}")
    add(run, "Second")
    lock.unlink()
    # Garbage: taken as held (waiting is safe), and said so, with what to do.
    for garbage, kind in (("garbage", "symlink"), ("not a lock at all", "file")):
        if kind == "symlink":
            lock.symlink_to(garbage)
        else:
            lock.write_text(garbage)
        before = path.read_bytes()
        done = run("task", "add", "Third", check=False)
        assert done.returncode == 10
        assert "is not one Emacs writes" in done.stderr and "delete that lock file" in \
            done.stderr and "save or revert" not in done.stderr, done.stderr
        assert path.read_bytes() == before
        lock.unlink()
    # Another host's: cannot be checked from here.
    lock.symlink_to("me@elsewhere.example.org.4242:1")
    done = run("task", "add", "Third", check=False)
    assert done.returncode == 10 and "on another host" in done.stderr
    assert f"delete {lock}" in done.stderr
    lock.unlink()
    # A running Emacs on this host: the plain words.
    lock.symlink_to(f"me@{hostname()}.{os.getpid()}:{int(boot_time() or 0)}")
    done = run("task", "add", "Third", check=False)
    assert done.returncode == 10 and "save or revert that buffer" in done.stderr


# -- 11. outside a project, NoProject comes first ------------------------------------------------


def test_every_board_command_outside_a_project_says_so_first(tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    run = Runner(nowhere)
    commands = [("task", "add", "x"), ("task", "add", "DONE bad title"), ("task", "list"),
                ("task", "show", "x"), ("task", "claim", "x"), ("task", "release", "x"),
                ("task", "done", "x"), ("task", "done", "x", "--checkpoint"),
                ("task", "handoff", "x", "--to", "r", "--note", "n"),
                ("lock", "x", "--reason", "r"), ("lock", "/elsewhere", "--reason", "r"),
                ("unlock", "x"), ("locks",), ("check",), ("check", "--json")]
    for args in commands:
        for agent in (None, "bad/../id"):
            done = run(*args, agent=agent, check=False)
            assert done.returncode == 13, (args, agent, done.returncode, done.stderr)
            assert "no project here" in done.stderr
    assert os.listdir(nowhere) == []


# -- property tests: arbitrary names through links, a person's arbitrary line -------------------


_NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs"),
                              exclude_characters="/%\\"), min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..") and len(n.encode()) < 200)


@settings(max_examples=40, deadline=None)
@given(target=st.lists(_NAME, min_size=1, max_size=3), link=_NAME, leaf=_NAME)
def test_an_area_and_a_path_through_a_link_to_it_overlap_both_ways(
        tmp_path_factory: pytest.TempPathFactory, target: list[str], link: str,
        leaf: str) -> None:
    from ai_protocols.board.model import covers_real, normalize_path, overlap_real

    root = str(tmp_path_factory.mktemp("links").resolve())
    folder = os.path.join(root, *target)
    os.makedirs(folder, exist_ok=True)
    link_path = os.path.join(root, link)
    if os.path.lexists(link_path):
        return
    os.symlink(folder, link_path)
    real_area = normalize_path(root, "/".join(target), cwd=root)
    via_link = normalize_path(root, f"{link}/{leaf}", cwd=root)
    assert covers_real(root, real_area, via_link)
    assert overlap_real(root, f"{link}/", real_area + leaf)
    assert covers_real(root, f"{link}/", "/".join(target) + "/" + leaf)


@settings(max_examples=200, deadline=None)
@given(line=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                                  exclude_characters="\n\r"), max_size=40))
def test_a_persons_line_under_a_task_headline_never_loses_its_id_silently(line: str) -> None:
    from ai_protocols.board.model import board_text, read_board
    from ai_protocols.errors import MisplacedDrawer
    from ai_protocols.org.file import OrgFile

    text = board_text() + (f"* DOING Fix it\n{line}\n:PROPERTIES:\n:ID:       20261130-1000-abc\n"
                           ":OWNER:    a.1\n:END:\n")
    doc = OrgFile(text)
    try:
        tasks, _ = read_board(doc)
    except MisplacedDrawer as error:
        assert error.text == line and "stands between the headline" in str(error)
        return
    fix = [t for t in tasks if t.title == "Fix it" or t.id == "20261130-1000-abc"]
    if line.startswith("*") and " " in line[:line.count("*") + 1]:
        return  # the person's line is a headline of its own: the drawer is its
    assert fix and fix[-1].id == "20261130-1000-abc" and fix[-1].owner == "a.1", (line, tasks)
