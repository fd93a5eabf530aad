"""Issue 15, sixth round: the task board's smaller faults a fifth reviewer found
(docs/decisions.md, "Issue 15, fifth review (board small faults)")."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, add, board, board_driver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env

AGENT = "impl.1"


# -- 12. a lock on a loop of symbolic links ------------------------------------------------------


@pytest.mark.parametrize("through", ["loop1", "loop1/x", "sub/../loop2"])
def test_a_lock_on_a_loop_of_symbolic_links_is_refused(project: Path, run: Runner,
                                                         through: str) -> None:
    (project / "sub").mkdir()
    os.symlink("loop2", project / "loop1")
    os.symlink("loop1", project / "loop2")
    before = (project / BOARD).read_bytes() if (project / BOARD).exists() else None
    refused = run("lock", through, "--reason", "x", agent=AGENT, check=False)
    assert refused.returncode == 4, refused
    assert "a loop of symbolic links" in refused.stderr, refused.stderr
    assert ((project / BOARD).read_bytes() if (project / BOARD).exists() else None) == before
    add(run, "t")
    refused = run("task", "add", "u", "--working-set", through, agent=AGENT, check=False)
    assert refused.returncode == 4 and "a loop of symbolic links" in refused.stderr


# -- 13. the quoting advice after an option the command does not have ----------------------------


@pytest.mark.parametrize(("args", "advice"), [
    (["wrap-up", "--summary", "done", "for", "now"],
     "ai-protocols wrap-up has no option --summary; its DESCRIPTION goes in quotes, with no "
     "option before it, as in "
     "ai-protocols wrap-up 'done for now'"),
    (["task", "add", "--titel", "fix", "it"],
     "ai-protocols task add has no option --titel; its TITLE goes in quotes, with no option "
     "before it, as in "
     "ai-protocols task add 'fix it'"),
    (["task", "add", "fix", "the", "bug"],
     "put it in quotes, as in ai-protocols task add 'fix the bug'"),
])
def test_the_quoting_advice_quotes_the_value_not_an_unknown_option(
        project: Path, run: Runner, args: list[str], advice: str) -> None:
    run("start", agent=AGENT)
    refused = run(*args, agent=AGENT, check=False)
    assert refused.returncode == 2, refused
    assert advice in refused.stderr, refused.stderr
    assert "'--summary done" not in refused.stderr.split("goes after '--'")[0]


# -- 15. unusable AI_PROTOCOLS_LOCK_TIMEOUT / AI_PROTOCOLS_STALE_HOURS, and exit 8's advice -------


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1e400", "-1e9"])
def test_an_unusable_lock_timeout_is_said_once_with_the_default(project: Path, run: Runner,
                                                                 value: str) -> None:
    done = run("task", "add", "x", agent=AGENT, env={"AI_PROTOCOLS_LOCK_TIMEOUT": value})
    warning = f"Warning: AI_PROTOCOLS_LOCK_TIMEOUT={value!r} is not usable"
    assert done.stderr.count(warning) == 1, done.stderr
    assert "the default, 30, applies" in done.stderr
    for value in ("", "5", "-1"):  # (empty is unset; a usable value is used, not warned of)
        done = run("task", "add", "x", agent=AGENT, env={"AI_PROTOCOLS_LOCK_TIMEOUT": value})
        assert "Warning" not in done.stderr, done.stderr


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "1e11"])
def test_an_unusable_stale_hours_is_said_once_with_the_default(project: Path, run: Runner,
                                                                value: str) -> None:
    run("start", agent="other.1", as_another_agent=True)
    run("start", agent=AGENT)
    done = run("status", agent=AGENT, env={"AI_PROTOCOLS_STALE_HOURS": value}, check=False)
    warning = f"Warning: AI_PROTOCOLS_STALE_HOURS={value!r} is not usable"
    assert done.stderr.count(warning) == 1, done.stderr
    assert "the default, 12, applies" in done.stderr


@settings(max_examples=40, deadline=None)
@given(value=st.text(min_size=1, max_size=12))
def test_any_lock_timeout_text_gives_a_number_and_a_warning_only_when_unusable(
        value: str) -> None:
    import io
    import math
    import sys

    from ai_protocols.storage import files

    if "\0" in value:
        return
    files._WARNED.clear()
    old, sys.stderr = sys.stderr, io.StringIO()
    os.environ["AI_PROTOCOLS_LOCK_TIMEOUT"] = value
    try:
        seconds = files._lock_timeout()
        said = sys.stderr.getvalue()
    finally:
        sys.stderr = old
        del os.environ["AI_PROTOCOLS_LOCK_TIMEOUT"]
    assert math.isfinite(seconds)
    try:
        usable = abs(float(value)) <= 366 * 86400
    except ValueError:
        usable = False
    assert (seconds == float(value)) if usable else (seconds == 30.0)
    assert bool(said) is not usable


def test_exit_8_says_what_to_do(project: Path, run: Runner) -> None:
    from ai_protocols.errors import LockTimeout

    said = str(LockTimeout(project / BOARD, 1))
    assert said.startswith(f"could not lock {project / BOARD} within 1 s; another process "
                           "holds it: run the command again")
    assert "AI_PROTOCOLS_LOCK_TIMEOUT=SECONDS" in said and "fuser -v" in said


# -- 9, 10. resume: a working set as a list, quoted paths; the hand-off note's cut ---------------


def test_resume_gives_the_working_set_as_a_list_and_the_text_tells_paths_apart(
        project: Path, run: Runner) -> None:
    for name in ("a b", "c"):
        (project / name).mkdir()
    (project / "it's").write_text("x", encoding="utf-8")
    task = add(run, "t", "--working-set", "a b", "--working-set", "c",
               "--working-set", "it's")
    run("start", agent=AGENT)
    claimed = run("task", "claim", task, agent=AGENT)
    assert "working set: 'a b/' c/ 'it'\"'\"'s'" in claimed.stdout, claimed.stdout
    data = json.loads(run("resume", "--json", agent=AGENT).stdout)
    (mine,) = data["tasks"]
    assert mine["working_set"] == ["a b/", "c/", "it's"]
    assert mine["working_set_left_out"] == 0
    listed = json.loads(run("task", "list", "--json", agent=AGENT).stdout)
    assert listed[0]["working_set"] == mine["working_set"]
    text = run("resume", agent=AGENT).stdout
    assert "    working set: 'a b/' c/ 'it'\"'\"'s'\n" in text, text
    shown = run("task", "show", task, agent=AGENT).stdout
    assert "working set: 'a b/' c/ 'it'\"'\"'s'" in shown, shown


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(st.sampled_from("ab é'\"\\"), min_size=1, max_size=40)
                      .map(str.strip).filter(lambda n: n and "%" not in n and n != "nil"),
                      min_size=1, max_size=30, unique=True))
def test_resume_keeps_whole_paths_within_its_bound(project: Path, run: Runner,
                                                   names: list[str]) -> None:
    from ai_protocols.board.model import join_paths
    from ai_protocols.session.resume import resume_context  # noqa: F401 (the bound's owner)

    text = board(project) if (project / BOARD).exists() else None
    if text is None:
        add(run, "seed")
        text = board(project)
    # One task a person wrote, claimed by AGENT, with these paths in its working set.
    paths = [f"d/{n}" for n in names]
    task = (f"* DOING many\n:PROPERTIES:\n:ID: 20260101-000000-many0000\n"
            f":WORKING_SET: {join_paths(paths)}\n:OWNER: {AGENT}\n"
            f":CLAIMED: [2026-01-01 Thu 10:00]\n:END:\n")
    body = text.split("* DOING many")[0]
    (project / BOARD).write_text(body + task, encoding="utf-8")
    out = run("resume", "--json", "--max-bytes", "2560", agent=AGENT).stdout
    assert len(out.rstrip("\n").encode()) <= 2560
    (mine,) = [t for t in json.loads(out)["tasks"] if t["title"] == "many"]
    kept, left = mine["working_set"], mine["working_set_left_out"]
    assert kept == paths[:len(kept)] and len(kept) + left == len(paths)
    shown = run("resume", "--max-bytes", "2560", agent=AGENT).stdout
    assert len(shown.encode()) <= 2560
    import re

    more = re.search(r"\(and (\d+) more: ai-protocols task show 20260101-000000-many0000\)",
                     shown)
    assert more is None or int(more[1]) >= 1


def test_resume_json_cuts_the_last_note_as_documented(project: Path, run: Runner) -> None:
    task = add(run, "t")
    run("start", agent=AGENT)
    note = "n" * 300
    run("task", "claim", task, agent=AGENT)
    run("task", "handoff", task, "--to", "implementer", "--note", note, agent=AGENT)
    run("task", "claim", task, agent=AGENT)
    (mine,) = json.loads(run("resume", "--json", agent=AGENT).stdout)["tasks"]
    assert mine["last_handoff"]["note"] == "n" * (200 - len("…".encode())) + "…"
    shown = json.loads(run("task", "show", task, "--json", agent=AGENT).stdout)
    assert shown["handoffs"][-1]["note"] == note
    docs = (Path(__file__).parent.parent / "docs" / "tasks.md").read_text(encoding="utf-8")
    assert "cut, in both, to its first 200 bytes" in docs


# -- 11. a merge that drops the later of two claims logs it ---------------------------------------


def _claimed(owner: str | None, minute: int = 0) -> str:
    from ai_protocols.board.model import board_text

    props = ":ID: 20260101-000000-t0000000\n"
    if owner:
        props += f":OWNER:    {owner}\n:CLAIMED:  [2026-01-01 Thu 10:{minute:02d}]\n"
    return board_text() + (f"* {'DOING' if owner else 'TODO'} t\n:PROPERTIES:\n{props}"
                           ":END:\n- [2025-12-31 Wed 09:00] a person's note\n** a child\n")


def test_a_merge_that_drops_the_later_claim_logs_it(tmp_path: Path) -> None:
    bob, alice = _claimed("bob", 1), _claimed("alice", 5)
    for ours, theirs in ((bob, alice), (alice, bob)):
        merged = board_driver(tmp_path, _claimed(None), ours, theirs)
        assert ":OWNER:    bob" in merged and ":OWNER:    alice" not in merged, merged
        assert ("- [2025-12-31 Wed 09:00] a person's note\n"
                "- [2026-01-01 Thu 10:05] merge: dropped alice's claim, which came after "
                "bob's (the earlier claim stands)\n** a child\n") in merged, merged
    same = board_driver(tmp_path, _claimed(None), bob, bob)
    assert "merge: dropped" not in same


# -- 14. after a put-back, the advice for a stash that holds the board -------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"),
                          timeout=60)


def test_after_a_put_back_the_stash_advice_works(project: Path, run: Runner) -> None:
    task = add(run, "A")
    (project / "code.txt").write_text("x\n", encoding="utf-8")
    _git(project, "add", "-A")
    assert _git(project, "commit", "-qm", "b").returncode == 0
    add(run, "B")
    run("task", "claim", task, agent=AGENT)
    (project / "code.txt").write_text("x\ny\n", encoding="utf-8")
    assert _git(project, "stash", "-q").returncode == 0
    seen = run("task", "list", agent="p")
    assert "'git stash pop', if it was stashed and nothing changed the board since" in \
        seen.stderr, seen.stderr
    changed = run("task", "add", "C", agent="p")
    assert "put back on the task board" in changed.stderr
    assert "'git stash pop' refuses now that the board has local changes. Run 'git add " \
        f"{project / BOARD}' first" in changed.stderr, changed.stderr
    assert _git(project, "stash", "pop").returncode != 0  # what the old advice led to
    assert _git(project, "add", str(project / BOARD)).returncode == 0
    popped = _git(project, "stash", "pop")
    assert popped.returncode == 0, popped
    text = board(project)
    assert f":OWNER:    {AGENT}" in text and "* TODO B" in text and "* TODO C" in text
    assert (project / "code.txt").read_text(encoding="utf-8") == "x\ny\n"
    again = run("task", "add", "D", agent="p")
    assert "git stash" not in again.stderr and "put back" not in again.stderr


# -- 16. a paused holder keeps its claim; a claim on a person's own state -----------------------


def test_a_paused_holder_keeps_its_claim(project: Path, run: Runner) -> None:
    task = add(run, "A")
    run("start", "--title", "x", agent="a.1", as_another_agent=True)
    run("task", "claim", task, agent="a.1", as_another_agent=True)
    run("pause", "--note", "lunch", agent="a.1", as_another_agent=True)
    refused = run("task", "claim", task, agent="b.1", check=False)
    assert refused.returncode == 21, refused
    assert "it is claimed by a.1 (paused: its session: paused at" in refused.stderr
    assert "claimed by a.1 (paused)" in run("task", "list", agent="b.1").stdout
    assert task not in run("task", "list", "--free", agent="b.1").stdout
    docs = (Path(__file__).parent.parent / "docs" / "tasks.md").read_text(encoding="utf-8")
    assert "**A paused holder keeps its claim.**" in docs


def test_a_claim_on_a_state_a_person_added_stands_and_keeps_the_state(
        project: Path, run: Runner) -> None:
    task = add(run, "W")
    path = project / BOARD
    text = path.read_text(encoding="utf-8").replace(
        "#+TODO: TODO NEXT DOING REVIEW |", "#+TODO: TODO NEXT DOING WAITING REVIEW |")
    path.write_text(text.replace("* TODO W", "* WAITING W"), encoding="utf-8")
    run("task", "claim", task, agent="c.1", as_another_agent=True)
    assert "* WAITING W" in board(project)
    listed = json.loads(run("task", "list", "--json", agent="d.1").stdout)
    assert listed[0]["state"] == "WAITING" and listed[0]["owner"] == "c.1"
    run("start", "--title", "c", agent="c.1")
    run("task", "claim", task, agent="c.1")
    refused = run("task", "claim", task, agent="d.1", check=False)
    assert refused.returncode == 21, refused
    run("task", "release", task, agent="c.1")
    assert "* WAITING W" in board(project)
    assert json.loads(run("task", "show", task, "--json", agent="d.1").stdout)["owner"] is None
    docs = (Path(__file__).parent.parent / "docs" / "tasks.md").read_text(encoding="utf-8")
    assert "**A state a person adds**" in docs


# -- 7. a claimed task demoted or archived in Emacs --------------------------------------------


def _emacs(project: Path, action: str, title: str, stars: str = "\\\\*") -> None:
    """Real Emacs (Org) runs ``action`` on the headline ``* DOING TITLE`` (``stars``: a
    regular expression of its stars) and saves."""
    code = ('(progn (require (quote org)) (find-file ".ai/tasks.org") (org-mode) '
            f'(goto-char (point-min)) (re-search-forward "^{stars} DOING {title}") ({action}) '
            '(save-some-buffers t))')
    done = subprocess.run(["emacs", "--batch", "--eval", code], cwd=project,
                          capture_output=True, text=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_demoted_claimed_task_is_warned_about_and_named_by_no_task(
        project: Path, run: Runner) -> None:
    add(run, "Parent")
    task = add(run, "Child")
    run("task", "claim", task, agent=AGENT)
    _emacs(project, "org-demote-subtree", "Child")
    line = board(project).split("\n").index("** DOING Child") + 1
    listed = run("task", "list", agent="p.1")
    assert f"warning: task {task}, claimed by {AGENT} (live), is no task on the board" in \
        listed.stderr, listed.stderr
    assert f"line {line} of the board holds that :ID: as a level-2 headline" in listed.stderr
    before = (project / BOARD).read_bytes()
    for named in (task, task[-8:]):
        refused = run("task", "done", named, agent=AGENT, check=False)
        assert refused.returncode == 20, refused
        assert f"line {line} of the board holds that :ID: as a level-2 headline" in \
            refused.stderr and "promote it back to a top-level headline" in refused.stderr
        assert "'ai-protocols task list' shows the ids" not in refused.stderr
    assert (project / BOARD).read_bytes() == before
    changed = run("task", "add", "trigger", agent="p.1")
    assert "is no task on the board" in changed.stderr
    assert board(project).count(f":ID:       {task}") == 1  # (not put back as a twin)
    _emacs(project, "org-promote-subtree", "Child", "\\\\*\\\\*")
    again = run("task", "done", task, agent=AGENT)
    assert "is no task" not in again.stderr


def test_an_archived_claimed_task_is_warned_about_and_named_by_no_task(
        project: Path, run: Runner) -> None:
    task = add(run, "Child")
    run("task", "claim", task, agent=AGENT)
    _emacs(project, "org-archive-subtree", "Child")
    archive = project / ".ai" / "tasks.org_archive"
    assert task in archive.read_text(encoding="utf-8")
    listed = run("task", "list", agent="p.1")
    assert f"warning: task {task}, claimed by {AGENT} (live), is no task on the board" in \
        listed.stderr and f"of {archive} holds it (archived in Emacs" in listed.stderr
    refused = run("task", "show", task, agent=AGENT, check=False)
    assert refused.returncode == 20 and f"of {archive} holds it" in refused.stderr
    # Left archived on purpose: its OWNER line deleted there, nothing more is said.
    archive.write_text("".join(line for line in archive.read_text(encoding="utf-8")
                               .splitlines(keepends=True) if not line.startswith(":OWNER:")),
                       encoding="utf-8")
    assert "is no task" not in run("task", "list", agent="p.1").stderr


def test_only_a_live_holders_sunk_claim_is_warned_about(project: Path, run: Runner) -> None:
    add(run, "Parent")
    gone = add(run, "Gone")
    live = add(run, "Live")
    run("task", "claim", gone, agent="gone.1", as_another_agent=True)
    run("task", "claim", live, agent=AGENT)
    _emacs(project, "org-demote-subtree", "Gone")
    _emacs(project, "org-demote-subtree", "Live")
    said = run("task", "list", agent="p.1").stderr
    assert f"warning: task {live}, claimed by {AGENT} (live)" in said, said
    assert gone not in said
