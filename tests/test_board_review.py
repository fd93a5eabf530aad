"""The task board after its second review (issue 15's open faults 2 to 12).

Every command runs as the installed ``ai-protocols`` in a real git repository;
Emacs judges the board where a person's edit is involved.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from conftest import CLI, Runner, clean_env
from emacs import assert_reader_agrees, org_element

BOARD = Path(".ai") / "tasks.org"


def add(run: Runner, title: str, *args: str, agent: str = "planner.1") -> str:
    return run("task", "add", title, *args, agent=agent).stdout.strip()


def board(repo: Path) -> str:
    return (repo / BOARD).read_text(encoding="utf-8")


def hook(project: Path, path: Path, agent: str) -> subprocess.CompletedProcess[str]:
    payload = {"session_id": "s", "cwd": str(project), "hook_event_name": "PreToolUse",
               "tool_name": "Write", "tool_input": {"file_path": str(path), "content": "x"}}
    return subprocess.run([str(CLI), "hook", "PreToolUse", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=project, env=clean_env(AI_AGENT_ID=agent), timeout=60)


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
                 ("task", "release", task), ("lock", "x", "--reason", "r"), ("check",)):
        done = run(*args, agent="a.1", check=False)
        assert done.returncode == 6, (args, done.returncode, done.stderr)
        assert f"line {number} ('A note I typed here')" in done.stderr, done.stderr
        assert "nothing was changed" in done.stderr
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
