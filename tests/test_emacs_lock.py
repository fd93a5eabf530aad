"""A person editing in Emacs: their unsaved buffer is respected, and nothing is lost.

The main test runs a real Emacs that visits the session file, changes the
buffer (so Emacs holds its ``.#NAME`` lock), waits while agents log, then
saves and exits.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ai_protocols import LogEntry, Project, read_session
from ai_protocols.session.pending import pending_path, read_pending

from conftest import Runner
from emacs import JUDGES, Judge, org_element

PERSON = """\
(find-file (car command-line-args-left))
(setq command-line-args-left nil)
(goto-char (point-max))
(insert "* A person's heading\\nTyped in Emacs while the agent worked.\\n")
(write-region "" nil (concat buffer-file-name ".ready"))
(let ((deadline (+ (float-time) 120)))  ; never outlive a test that died
  (while (not (file-exists-p (concat buffer-file-name ".go")))
    (when (> (float-time) deadline) (kill-emacs 3))
    (sleep-for 0.05)))
(save-buffer)
(kill-emacs 0)
"""


def lock_of(path: Path) -> Path:
    return path.with_name(f".#{path.name}")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_a_real_emacs_buffer_and_agent_entries_both_survive(
        judge: Judge, project: Path, run: Runner, tmp_path: Path) -> None:
    run("start", "--title", "Shared with a person")
    run("log", "--next", "Write the parser")
    path = project / ".ai/session-context.org"
    script = tmp_path / "person.el"
    script.write_text(PERSON)
    person = judge.popen(["-l", str(script), str(path)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ready = Path(f"{path}.ready")
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert person.poll() is None, person.communicate()[0]
        assert time.monotonic() < deadline, "Emacs did not start editing"
        time.sleep(0.05)
    assert os.path.islink(lock_of(path)), "Emacs holds no lock while the buffer is modified"
    before = path.read_bytes()

    first = run("log", "--progress", "Parsed the header")
    assert "unsaved changes in Emacs" in first.stderr
    assert str(Path(pending_path(path))) in first.stderr
    run("log", "--decision", "Use a table", "--rationale", "Faster\n* and safe")
    run("log", "--done", "Write the parser", "--summary", "Header parsed")
    assert path.read_bytes() == before, "the file was rewritten under the person's buffer"
    shown = json.loads(run("show", "--json").stdout)
    assert [(p["kind"], p["text"]) for p in shown["pending"]] == [
        ("progress", "Parsed the header"), ("decision", "Use a table"),
        ("done", "Write the parser"), ("summary", "Header parsed")]
    pending = org_element([Path(pending_path(path))])[0]
    assert [h["title"] for h in pending["headlines"] if h["level"] == 1] == [
        "progress", "decision", "done", "summary"]
    assert all(h["property_drawer"] for h in pending["headlines"] if h["level"] == 1)

    Path(f"{path}.go").write_text("")
    output, _ = person.communicate(timeout=30)
    assert person.returncode == 0, output
    assert not os.path.lexists(lock_of(path))
    assert "A person's heading" in path.read_text()

    run("log", "--progress", "After the save")
    assert not Path(pending_path(path)).exists()
    text = path.read_text()
    assert "Typed in Emacs while the agent worked." in text
    session = read_session(path, text)
    assert [e.text for e in session.progress] == ["Parsed the header", "After the save"]
    assert session.decisions[0].rationale == "Faster\n* and safe"
    assert [(e.text, e.done) for e in session.next_steps] == [("Write the parser", True)]
    assert session.summary == "Header parsed"
    # The chronological view is to the minute: within one, entries come before the
    # Log's own lines (done, summary), in the order log writes them.
    kinds = [e.text.split(":")[0] for e in session.log]
    assert kinds[0] == "start"
    assert sorted(kinds) == sorted(["start", "next", "progress", "decision", "done", "summary",
                                    "progress"])
    parsed = org_element([path])[0]
    assert [h["title"] for h in parsed["headlines"]][-1] == "A person's heading"
    assert parsed["drawers"] == []


def test_stale_lock_is_ignored(project: Path, run: Runner) -> None:
    run("start")
    path = project / ".ai/session-context.org"
    lock_of(path).symlink_to(f"someone@{socket.gethostname()}.{dead_pid()}:1")
    result = run("log", "--progress", "written directly")
    assert "Emacs" not in result.stderr
    assert "written directly" in path.read_text()
    assert not Path(pending_path(path)).exists()


@pytest.mark.parametrize("owner", [
    "someone@another-host.example.com.4242:1700000000",
    "someone@{host}.{pid}",
    "not an Emacs lock at all",
])
@pytest.mark.parametrize("as_link", [True, False])
def test_live_lock_keeps_entries_pending(project: Path, run: Runner, owner: str,
                                         as_link: bool) -> None:
    run("start")
    path = project / ".ai/session-context.org"
    owner = owner.format(host=socket.gethostname(), pid=os.getpid())
    if as_link:
        lock_of(path).symlink_to(owner)
    else:
        lock_of(path).write_text(owner)
    before = path.read_bytes()
    result = run("log", "--blocker", "kept aside")
    assert f"lock held by {owner}" in result.stderr
    assert path.read_bytes() == before
    assert [e.text for e in read_pending(path)] == ["kept aside"]
    wrap = run("wrap-up", "Too early", check=False)
    assert wrap.returncode == 10
    assert wrap.stderr == (f"Error: {path} has unsaved changes in Emacs (lock held by "
                           f"{owner}); save or revert that buffer, then try again\n")
    assert path.read_bytes() == before
    lock_of(path).unlink()
    archive = Path(run("wrap-up", "Later").stdout.strip())
    assert "kept aside" in archive.read_text()
    assert not Path(pending_path(path)).exists()


def test_lock_from_before_a_reboot_is_stale(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.start()
    lock_of(project.path).symlink_to(f"me@{socket.gethostname()}.{os.getpid()}:1000")
    report = project.log(LogEntry("progress", "x"))
    assert report.pending is None


def test_a_fold_killed_before_removing_the_pending_file_folds_nothing_twice(
        tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.start()
    lock_of(project.path).symlink_to("someone@elsewhere.1")
    project.log(LogEntry("progress", "one"))
    project.log(LogEntry("progress", "two"))
    waiting = Path(pending_path(project.path)).read_bytes()
    lock_of(project.path).unlink()
    project.log(LogEntry("progress", "three"))
    # As if killed between writing the session file and removing the pending file:
    Path(pending_path(project.path)).write_bytes(waiting)
    project.log(LogEntry("progress", "four"))
    assert [e.text for e in project.show().progress] == ["one", "two", "three", "four"]
    assert not Path(pending_path(project.path)).exists()
    # Numbering goes on from the last fold, so new entries are not mistaken for old ones.
    lock_of(project.path).symlink_to("someone@elsewhere.1")
    project.log(LogEntry("progress", "five"))
    assert [e.seq for e in read_pending(project.path)] == [3]
    lock_of(project.path).unlink()
    project.log(LogEntry("progress", "six"))
    assert [e.text for e in project.show().progress][-2:] == ["five", "six"]


def test_a_bad_done_fails_at_once_even_while_locked(project: Path, run: Runner) -> None:
    run("start")
    path = project / ".ai/session-context.org"
    lock_of(path).symlink_to("someone@elsewhere.1")
    result = run("log", "--done", "nothing like it", check=False)
    assert result.returncode == 5
    assert not Path(pending_path(path)).exists()


def test_done_whose_item_vanished_is_still_recorded(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.start()
    project.log(LogEntry("next", "Polish"))
    lock_of(project.path).symlink_to("someone@elsewhere.1")
    project.log(LogEntry("done", "Polish"))
    lock_of(project.path).unlink()
    # Meanwhile the person deleted the item in Emacs.
    text = project.path.read_text()
    project.path.write_text(re.sub(r"^- \[ \] .*Polish\n", "", text, flags=re.M))
    project.log(LogEntry("progress", "next thing"))
    log = [e.text for e in project.show().log]
    assert "done: Polish (not ticked: no single open item matched)" in log


def test_scans_ignore_emacs_and_pending_files(project: Path, run: Runner) -> None:
    agent = "a.p.claude.1700000000"
    run("start", agent=agent)
    path = project / f".ai/session-context.d/{agent}.org"
    lock_of(path).symlink_to("someone@elsewhere.1")
    run("log", "--progress", "x", agent=agent)
    (path.parent / f"#{path.name}#").write_text("auto-save")
    (path.parent / f"{path.name}~").write_text("backup")
    rows = json.loads(run("list", "--json").stdout)
    assert [r["path"] for r in rows] == [str(path)]
    other = run("start", agent="b.p.codex.1700000001").stdout
    assert "not updated" not in other
