"""The task board after its fifth review (issue 15, rev15d: the reviewer's small faults 6
to 11).

Every command runs as the installed ``ai-protocols`` in a real git repository; a live
agent is a command run under the test's own process (``run``); property tests of the
rules that take arbitrary text run in-process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from boardkit import BOARD, add, board, write_hook
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "protocol.file.allow=always", "-C", str(repo), *args],
                          check=True, capture_output=True, text=True,
                          env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                        GIT_COMMITTER_NAME="t",
                                        GIT_COMMITTER_EMAIL="t@t")).stdout


def shown(run: Runner, task: str) -> dict:
    return json.loads(run("task", "show", task, "--json").stdout)


# -- 6. hand-off notes, read back through the CLI ------------------------------------------------


def test_task_show_lists_the_hand_off_notes(project: Path, run: Runner) -> None:
    task = add(run, "Parse the config", "--role", "implementer")
    run("task", "claim", task, agent="impl.1")
    run("task", "handoff", task, "--to", "reviewer", "--note",
        "check the edge case in parse(): empty input", agent="impl.1")
    text = run("task", "show", task, agent="rev.1").stdout
    assert "hand-offs:" in text
    assert "impl.1 (implementer) -> reviewer: check the edge case in parse(): empty input" \
        in text
    data = shown(run, task)
    assert [{k: v for k, v in h.items() if k != "time"} for h in data["handoffs"]] == [
        {"from": "impl.1", "from_role": "implementer", "to": "reviewer",
         "note": "check the edge case in parse(): empty input"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", data["handoffs"][0]["time"])
    # A hand-off of another agent's claim (forced): the takeover is its own log item, so
    # the note read back is the note, whole.
    run("task", "claim", task, agent="rev.1")
    run("task", "handoff", task, "--to", "implementer", "--note", "fix: the empty case",
        "--force", agent="lead.1")
    handoffs = shown(run, task)["handoffs"]
    assert [(h["from"], h["from_role"], h["to"], h["note"]) for h in handoffs] == [
        ("impl.1", "implementer", "reviewer", "check the edge case in parse(): empty input"),
        ("lead.1", "reviewer", "implementer", "fix: the empty case")]
    assert "claim taken by lead.1 to hand it off: it was held by rev.1" in board(project)
    # A task never handed off: an empty list, and no heading in the text.
    other = add(run, "Other")
    assert shown(run, other)["handoffs"] == []
    assert "hand-offs" not in run("task", "show", other).stdout


def test_resume_and_session_start_show_the_last_hand_off(project: Path, run: Runner) -> None:
    task = add(run, "Parse the config", "--role", "implementer")
    run("task", "claim", task, agent="impl.1")
    run("task", "handoff", task, "--to", "reviewer", "--note", "first note", agent="impl.1")
    run("task", "claim", task, agent="impl.1")
    run("task", "handoff", task, "--to", "reviewer", "--note",
        "check the edge case in parse()", agent="impl.1")
    run("start", "--title", "review", agent="rev.1")
    run("task", "claim", task, agent="rev.1")
    text = run("resume", agent="rev.1").stdout
    assert "check the edge case in parse()" in text and "first note" not in text
    assert "by impl.1, to reviewer" in text
    tasks = json.loads(run("resume", "--json", agent="rev.1").stdout)["tasks"]
    assert tasks[0]["last_handoff"]["note"] == "check the edge case in parse()"
    assert tasks[0]["last_handoff"]["from"] == "impl.1"
    payload = {"session_id": "s", "cwd": str(project), "hook_event_name": "SessionStart",
               "source": "compact"}
    started = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                             input=json.dumps(payload), capture_output=True, text=True,
                             cwd=project, env=clean_env(AI_AGENT_ID="rev.1"), timeout=60)
    assert started.returncode == 0, started.stderr
    assert "check the edge case in parse()" in started.stdout


_WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                min_size=1, max_size=20).filter(lambda w: not w.startswith("-")
                                                and not any(c.isspace() for c in w))
_NOTE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=500).filter(lambda t: t.strip() != "")


@settings(max_examples=150, deadline=None)
@given(note=_NOTE, role=_WORD, to=_WORD)
def test_every_hand_off_note_reads_back_as_given(note: str, role: str, to: str) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        os.mkdir(root / ".ai")
        board_ = Board(Project(root, "a.1"))
        task = board_.add("T", role=role)
        board_.handoff(task.id or "", to=to, note=note)
        found = board_.handoffs(board_.task(task.id or ""))
    assert [(h.by, h.from_role, h.to, h.note) for h in found] == \
        [("a.1", role, to, note.strip(" "))]  # (as typed: eleventh round, one rule)


# -- 7. one limit for the board's free texts -----------------------------------------------------


def test_a_hand_off_note_has_the_limit_and_error_of_a_reason(project: Path,
                                                               run: Runner) -> None:
    task = add(run, "T")
    before = board(project)
    long = run("task", "handoff", task, "--to", "reviewer", "--note", "n" * 501,
               agent="a.1", check=False)
    reason = run("lock", "src", "--reason", "n" * 501, agent="a.1", check=False)
    assert long.returncode == reason.returncode == 4
    assert long.stderr.replace("note", "reason") == reason.stderr
    assert "longer than 500 characters" in long.stderr
    two_lines = run("task", "handoff", task, "--to", "reviewer", "--note", "a\nb",
                    agent="a.1", check=False)
    assert two_lines.returncode == 4 and "one line" in two_lines.stderr
    assert board(project) == before
    run("task", "handoff", task, "--to", "reviewer", "--note", "n" * 500, agent="a.1")
    assert shown(run, task)["handoffs"][0]["note"] == "n" * 500


# -- 9. small input faults ------------------------------------------------------------------------


def test_roles_match_in_either_case(project: Path, run: Runner) -> None:
    task = add(run, "T", "--role", "implementer")
    run("task", "handoff", task, "--to", "Reviewer", "--note", "n", agent="a.1")
    data = shown(run, task)
    assert (data["state"], data["role"]) == ("REVIEW", "Reviewer")  # the role as given
    listed = json.loads(run("task", "list", "--role", "REVIEWER", "--json").stdout)
    assert [t["id"] for t in listed] == [task]


@pytest.mark.parametrize(("args", "code", "said"), [
    (["task", "handoff", "{task}", "--to", "-x", "--note", "n"], 2, "looks like an option"),
    (["task", "add", "U", "--role", "-r"], 2, "looks like an option"),
    (["task", "list", "--role", "-r"], 2, "looks like an option"),
    (["task", "handoff", "{task}", "--to=-x", "--note", "n"], 4,
     "a role does not start with '-'"),
    (["task", "add", "U", "--role=-r"], 4, "a role does not start with '-'"),
])
def test_a_role_starting_with_a_dash_is_refused(project: Path, run: Runner, args: list[str],
                                                code: int, said: str) -> None:
    """As its own argument: a usage error (exit 2); after '=': refused (exit 4); both say
    what to give instead."""
    task = add(run, "T")
    before = board(project)
    done = run(*[a.format(task=task) for a in args], agent="a.1", check=False)
    assert done.returncode == code, done
    assert said in done.stderr
    assert "reviewer" in done.stderr  # what to give instead
    assert board(project) == before


def test_an_empty_role_filter_is_refused(project: Path, run: Runner) -> None:
    add(run, "T", "--role", "implementer")
    empty = run("task", "list", "--role", "", check=False)
    assert empty.returncode == 4 and "role '' cannot be used: it is empty" in empty.stderr
    assert "No open task" not in empty.stdout + empty.stderr
    none = run("task", "list", "--role", "nosuch")
    assert none.stdout == "No task matches.\n"


@pytest.mark.parametrize("path", ["src/ ", " src/", "src\u00a0", "~/x", "~", "~x/y"])
@pytest.mark.parametrize("command", ["add", "lock"])
def test_a_path_with_white_space_around_or_a_tilde_first_is_refused(
        project: Path, run: Runner, path: str, command: str) -> None:
    add(run, "T")
    before = board(project)
    args = ["task", "add", "W", "--working-set", path] if command == "add" else \
        ["lock", path, "--reason", "r"]
    done = run(*args, agent="a.1", check=False)
    assert done.returncode == 4, done
    said = "white space at its start or end" if path.strip() != path else \
        "starts with '~', which the shell did not expand"
    assert said in done.stderr and "give the path" in done.stderr
    assert board(project) == before


def test_a_file_whose_name_starts_with_a_tilde_is_named_from_dot(project: Path,
                                                                 run: Runner) -> None:
    task = add(run, "T", "--working-set", "./~x")
    assert shown(run, task)["working_set"] == ["~x"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12))
def test_the_typed_path_rule(text: str) -> None:
    from ai_protocols.board.model import check_given_path
    from ai_protocols.errors import InvalidText

    bad = text != text.strip() or text.startswith("~") or any(c in "*?" for c in text) or \
        ("[" in text and "]" in text[text.index("["):]) or \
        any(part != part.strip(" ") for part in text.split("/"))  # (paths run together,
    # board_input._no_paths_run_together: no folder on disk has a part so named, "/ 0")
    try:
        assert check_given_path(text, "/nonexistent-folder") == text
        assert not bad
    except InvalidText:
        assert bad


def test_pause_with_words_points_to_its_note(project: Path, run: Runner) -> None:
    run("start", agent="a.1")
    done = run("pause", "lunch", "break", agent="a.1", check=False)
    assert done.returncode == 2
    assert "ai-protocols pause takes no argument" in done.stderr
    assert "as in ai-protocols pause --note 'lunch break'" in done.stderr


def test_task_words_after_a_one_word_option_point_to_the_note(project: Path,
                                                               run: Runner) -> None:
    task = add(run, "T")
    done = run("task", "handoff", task, "--to", "reviewer", "look", "at", "parse",
               agent="a.1", check=False)
    assert done.returncode == 2
    assert "--to takes a role, one word" in done.stderr
    assert "--note 'look at parse'" in done.stderr


def test_several_paths_after_one_working_set_say_to_repeat_it(project: Path,
                                                             run: Runner) -> None:
    done = run("task", "add", "T", "--working-set", "src/", "docs/", check=False)
    assert done.returncode == 2
    assert "--working-set takes one value; repeat it for each, as in --working-set src/ " \
        "--working-set docs/" in done.stderr
    assert not (project / BOARD).exists()


def test_a_checkpoint_ref_starting_with_a_dash_says_what_to_give(project: Path,
                                                                 run: Runner) -> None:
    task = add(run, "T")
    done = run("task", "done", task, "--checkpoint-ref=-x", agent="a.1", check=False)
    assert done.returncode == 4
    assert "a ref does not start with '-'; give the ref's name (refs/ai-protocols/" \
        in done.stderr
    assert "or a commit hash" in done.stderr


# -- 11. task done --checkpoint refused: no checkpoint made ---------------------------------------


def test_done_with_a_checkpoint_on_another_agents_live_claim_makes_nothing(
        project: Path, run: Runner) -> None:
    (project / "f.txt").write_text("work\n")
    task = add(run, "T")
    run("task", "claim", task, agent="a.1")
    run("start", agent="b.1")
    before = board(project)
    refused = run("task", "done", task, "--checkpoint", agent="b.1", check=False)
    assert refused.returncode == 21, refused
    assert "claimed by a.1" in refused.stderr
    assert "checkpoint" not in refused.stdout
    assert git(project, "for-each-ref", "refs/ai-protocols") == ""
    assert board(project) == before
    forced = run("task", "done", task, "--checkpoint", "--force", agent="b.1")
    assert "Done: task" in forced.stdout
    assert git(project, "for-each-ref", "refs/ai-protocols") != ""


# -- 8. claims made through make, script and other go-betweens --------------------------------


@pytest.mark.parametrize("how", ["make", "gmake", "script"])
def test_a_claim_made_through_a_go_between_stays_held(project: Path, run: Runner,
                                                      how: str) -> None:
    import shutil

    if shutil.which(how) is None:
        pytest.fail(f"{how} is not installed: the test needs it")
    task = add(run, "T")
    claim = f"{CLI} task claim {task}"
    if how == "script":
        command = ["script", "-qec", claim, "/dev/null"]
    else:
        (project / "Makefile").write_text(f"claim:\n\t{claim}\n")
        command = [how, "-s", "claim"]
    # The make (or script) is a child of this test's process, the agent, which stays
    # alive; the make ends as soon as the claim is made.
    done = subprocess.run(command, cwd=project, env=clean_env(AI_AGENT_ID="w1.1"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done
    recorded = next(line for line in board(project).splitlines()
                    if line.startswith(":OWNER_PROCESS:"))
    assert f"pid {os.getpid()} " in recorded
    taken = run("task", "claim", task, agent="w2.1", check=False)
    assert taken.returncode == 21, taken
    assert "claimed by w1.1 (live" in taken.stderr


def test_a_claim_made_by_a_helper_program_is_judged_by_the_agents_session(
        project: Path, run: Runner) -> None:
    """A team's helper (a Python program, no go-between) records itself and ends: the
    claim is still held while the agent's own session (same id) says it is live."""
    task = add(run, "T")
    run("start", agent="w1.1")  # the agent's session: its owner is this test's process
    run("task", "claim", task, agent="w1.1", as_another_agent=True)  # through a helper
    taken = run("task", "claim", task, agent="w2.1", check=False)
    assert taken.returncode == 21, taken
    assert "its session" in taken.stderr


# -- 10. a submodule's files under the superproject's lock ---------------------------------------


def test_the_hook_in_a_submodule_keeps_the_superprojects_lock(project: Path, run: Runner,
                                                              tmp_path: Path) -> None:
    upstream = (tmp_path / "upstream").resolve()
    upstream.mkdir()
    git(upstream, "init", "-q")
    git(upstream, "commit", "-q", "--allow-empty", "-m", "first")
    git(project, "submodule", "add", "-q", str(upstream), "mods/up")
    sub = project / "mods" / "up"
    assert (sub / ".git").is_file()
    run("lock", "mods/up/", "--reason", "bumping the library", agent="a.1")
    refused = write_hook(sub, sub / "lib.py", "b.1")
    assert refused.returncode == 2, refused
    assert "mods/up/lib.py is inside mods/up/" in refused.stderr
    assert f"the board of the superproject {project}" in refused.stderr
    # With a board of its own too (its locks count as before).
    run("init", cwd=sub)
    assert write_hook(sub, sub / "lib.py", "b.1").returncode == 2
    assert write_hook(sub, sub / "lib.py", "a.1").returncode == 0  # its own lock
    assert write_hook(project, project / "other.py", "b.1").returncode == 0
    assert (project / BOARD).is_file()


def test_superprojects_reads_gits_files(project: Path, tmp_path: Path) -> None:
    from ai_protocols.paths import superprojects

    upstream = (tmp_path / "upstream").resolve()
    upstream.mkdir()
    git(upstream, "init", "-q")
    git(upstream, "commit", "-q", "--allow-empty", "-m", "first")
    git(project, "submodule", "add", "-q", str(upstream), "mods/up")
    assert superprojects(str(project / "mods" / "up")) == [str(project)]
    assert superprojects(str(project)) == []
    git(project, "commit", "-q", "-m", "sub")
    worktree = (tmp_path / "wt").resolve()
    git(project, "worktree", "add", "-q", str(worktree))
    assert superprojects(str(worktree)) == []  # a linked work tree is no submodule
