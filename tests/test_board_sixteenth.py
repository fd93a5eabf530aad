"""The task board after a fresh reviewer's use of it (issue 15, sixteenth round).

Every command runs as the installed ``ai-protocols`` in a real git repository; a live
agent is this test's own process (or one it starts and keeps alive); a person's edits are
made by a real Emacs where the reviewer made them in Emacs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from boardkit import BOARD, add, board
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


def owner_pid(text: str, key: str) -> int:
    """The process id of the first ``:KEY: pid N on ...`` line of ``text``."""
    found = re.search(rf"^:{key}:\s+pid (\d+) ", text, re.M)
    assert found, text
    return int(found.group(1))


# -- 1. a claim made through an executable shell script records the agent -----------------


SHEBANGS = ["#!/bin/bash", "#!/usr/bin/env bash", "#!/bin/sh -e", "#!/usr/bin/env sh"]


@pytest.mark.parametrize("shebang", SHEBANGS)
def test_a_claim_through_a_shell_script_records_the_agent(project: Path, run: Runner,
                                                          shebang: str) -> None:
    task = add(run, "T")
    script = project / "claim.sh"
    script.write_text(f'{shebang}\n{CLI} task claim "$1"\n')
    script.chmod(0o755)
    done = subprocess.run([str(script), task], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="p.1"), timeout=60)
    assert done.returncode == 0, done
    assert owner_pid(board(project), "OWNER_PROCESS") == os.getpid()  # not the script's
    taken = run("task", "claim", task, agent="q.1", check=False)
    assert taken.returncode == 21, taken
    assert "claimed by p.1 (live" in taken.stderr


def test_a_python_helper_script_is_no_go_between(project: Path, run: Runner) -> None:
    """The rule of docs/user-guide.md, "The owner": a helper in Python is the agent, or
    stands for it; only a shell script (or another go-between) stands between."""
    task = add(run, "T")
    script = project / "claim.py"
    script.write_text(f"#!{sys.executable}\nimport subprocess, sys\n"
                      f"sys.exit(subprocess.call([{str(CLI)!r}, 'task', 'claim', sys.argv[1]]))\n")
    script.chmod(0o755)
    done = subprocess.run([str(script), task], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="p.1"), timeout=60)
    assert done.returncode == 0, done
    assert owner_pid(board(project), "OWNER_PROCESS") != os.getpid()


def test_start_through_a_shell_script_records_the_agent(project: Path, run: Runner) -> None:
    script = project / "begin.sh"
    script.write_text(f"#!/bin/sh -e\n{CLI} start\n")
    script.chmod(0o755)
    done = subprocess.run([str(script)], cwd=project, capture_output=True, text=True,
                          env=clean_env(AI_AGENT_ID="s.1"), timeout=60)
    assert done.returncode == 0, done
    path = run("path", agent="s.1").stdout.strip()
    assert owner_pid(Path(path).read_text(), "OWNER") == os.getpid()
    assert '"live"' in run("status", "--json", agent="s.1").stdout


def test_many_agents_claiming_through_a_script_make_one_owner(project: Path,
                                                              run: Runner) -> None:
    """Six live agents claim one task at once, each through the team's shell script:
    one wins, the five others are refused (exit 21), none takes it over."""
    task = add(run, "T")
    script = project / "claim.sh"
    script.write_text(f'#!/bin/bash\n{CLI} task claim "$1"\n')
    script.chmod(0o755)
    agent = ("import subprocess, sys\n"
             "done = subprocess.run([sys.argv[1], sys.argv[2]], capture_output=True)\n"
             "print(done.returncode, flush=True)\n"
             "sys.stdin.read()\n")  # (alive until the test closes its stdin)
    agents = [subprocess.Popen([sys.executable, "-c", agent, str(script), task], cwd=project,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env=clean_env(AI_AGENT_ID=f"a{n}.1")) for n in range(6)]
    try:
        codes = sorted(int(a.stdout.readline()) for a in agents)  # type: ignore[union-attr]
    finally:
        for a in agents:
            a.communicate("", timeout=60)
    assert codes == [0, 21, 21, 21, 21, 21], codes
    assert board(project).count(":OWNER_PROCESS:") == 1
    assert "taken over" not in board(project).lower()


# -- 2. resume, SessionStart and wrap-up on a board that cannot be read ------------------


def _held(run: Runner) -> str:
    task = add(run, "my task", "--working-set", "src/", agent="wu.1")
    run("start", "--task", task, agent="wu.1")
    run("task", "claim", task, agent="wu.1")
    run("lock", "shared/", "--reason", "r", agent="wu.1")
    return task


def test_resume_names_the_claims_of_a_board_saved_as_latin_1(project: Path,
                                                             run: Runner) -> None:
    task = _held(run)
    with (project / BOARD).open("ab") as handle:
        handle.write(b"* TODO caf\xe9 (saved as latin-1)\n")
    text = run("resume", agent="wu.1").stdout
    assert task in text and "shared/" in text
    assert "cannot be read (it is not UTF-8" in text
    assert "kept copy" in text and "Re-save it as UTF-8" in text
    data = json.loads(run("resume", "--json", agent="wu.1").stdout)
    assert [t["id"] for t in data["tasks"]] == [task]
    assert data["locks"] == ["shared/"]
    assert "not UTF-8" in data["board_unreadable"]
    hook = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                          input=json.dumps({"session_id": "s", "cwd": str(project),
                                            "hook_event_name": "SessionStart",
                                            "source": "compact"}),
                          capture_output=True, text=True, cwd=project,
                          env=clean_env(AI_AGENT_ID="wu.1"), timeout=60)
    assert hook.returncode == 0, hook
    assert task in hook.stdout and "not UTF-8" in hook.stdout
    wrapped = run("wrap-up", "end", agent="wu.1")
    assert "cannot be read" in wrapped.stderr
    assert f"Task {task} (DOING, still claimed by you)" in wrapped.stderr
    assert "Lock on shared/" in wrapped.stderr


def test_resume_names_the_claims_of_a_board_with_a_misplaced_drawer(project: Path,
                                                                    run: Runner) -> None:
    task = _held(run)
    text = board(project)
    headline = next(line for line in text.splitlines() if line.endswith("my task"))
    (project / BOARD).write_text(text.replace(headline + "\n",
                                              headline + "\na note Ann typed\n"))
    refused = run("task", "list", agent="wu.1", check=False)
    assert refused.returncode == 6, refused
    said = run("resume", agent="wu.1").stdout
    assert task in said and "shared/" in said
    assert "'a note Ann typed'" in said and "every change of the board is refused" in said
    wrapped = run("wrap-up", "end", agent="wu.1")
    assert f"Task {task} (DOING" in wrapped.stderr and "Lock on shared/" in wrapped.stderr
    assert "a note Ann typed" in wrapped.stderr


def test_resume_says_the_board_cannot_be_read_without_a_kept_copy(project: Path,
                                                                  run: Runner) -> None:
    _held(run)
    for kept in (project / ".ai" / ".locks" / "live").glob("tasks.org*"):
        kept.unlink()
    with (project / BOARD).open("ab") as handle:
        handle.write(b"\x00")
    data = json.loads(run("resume", "--json", agent="wu.1").stdout)
    assert data["tasks"] == []
    assert "no kept copy" in data["board_unreadable"]


# -- 3. a lock a person moves in Emacs is named by its line, never doubled ---------------


def _emacs(project: Path, code: str) -> None:
    done = subprocess.run(["emacs", "--batch", "-Q", "--eval",
                           f'(progn (require (quote org)) (find-file ".ai/tasks.org") '
                           f'(org-mode) {code} (save-buffer))'],
                          cwd=project, capture_output=True, text=True, env=clean_env(),
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_lock_moved_in_emacs_is_not_put_back_beside_it(project: Path, run: Runner) -> None:
    add(run, "task one", agent="ma.1")
    run("lock", "src/", "docs/", "--reason", "locked", agent="ma.1")
    _emacs(project, '(goto-char (point-min)) (re-search-forward "^\\\\*\\\\* docs/") '
                    '(org-promote-subtree) (goto-char (point-min)) '
                    '(re-search-forward "^\\\\*\\\\* src/") (org-cut-subtree) '
                    '(goto-char (point-max)) (org-paste-subtree 2)')
    moved = board(project)
    docs_line = moved.splitlines().index("* docs/") + 1
    said = run("task", "add", "two", agent="mb.1")
    assert "the lock on docs/, held by ma.1 (live), is no lock on the board" in said.stderr
    assert f"line {docs_line} of the board holds it as a level-1 headline" in said.stderr
    assert "the lock on src/, held by ma.1 (live)" in said.stderr
    assert "put back" not in said.stderr
    text = board(project)
    assert text.count(":PATH:     docs/") == 1 and text.count(":PATH:     src/") == 1
    assert "No locks." in run("locks", agent="mb.1").stdout
    refused = run("unlock", "docs/", agent="ma.1", check=False)
    assert refused.returncode == 4, refused
    assert f"line {docs_line} of the board holds it" in refused.stderr
    assert board(project) == text  # (nothing changed)
    # Moved back under * Locks in Emacs: a lock again, and unlock ends it for good.
    _emacs(project, '(goto-char (point-min)) (re-search-forward "^\\\\* docs/") '
                    '(org-cut-subtree) (goto-char (point-min)) '
                    '(re-search-forward "^\\\\* Locks") (org-end-of-subtree) '
                    '(insert "\\n") (org-paste-subtree 2)')
    assert "docs/" in run("locks", agent="mb.1").stdout
    run("unlock", "docs/", agent="ma.1")
    assert ":PATH:     docs/" not in board(project)


def test_a_moved_lock_of_a_gone_agent_is_not_said(project: Path, run: Runner) -> None:
    run("lock", "docs/", "--reason", "r", agent="gone.1", as_another_agent=True)
    _emacs(project, '(goto-char (point-min)) (re-search-forward "^\\\\*\\\\* docs/") '
                    '(org-promote-subtree)')
    said = run("task", "list", agent="x.1")
    assert "docs/" not in said.stderr


# -- 4. a task a person adds in Emacs without an id ------------------------------------------


def _emacs_task(project: Path, title: str) -> None:
    _emacs(project, f'(goto-char (point-max)) (insert "* TODO {title}\\n")')


def test_a_task_added_in_emacs_is_claimed_by_its_title(project: Path, run: Runner) -> None:
    add(run, "first", agent="lead.1")
    _emacs_task(project, "Added in Emacs by Ann")
    listed = run("task", "list", agent="b.1")
    assert "(no id)" in listed.stdout
    assert "ai-protocols task claim 'Added in Emacs by Ann'" in listed.stderr
    assert run("task", "claim", "Added in", agent="b.1", check=False).returncode == 20
    claimed = run("task", "claim", "Added in Emacs by Ann", agent="b.1")
    task = re.search(r"Claimed task (\S+):", claimed.stdout).group(1)  # type: ignore[union-attr]
    assert f"task {task} ('Added in Emacs by Ann', line" in claimed.stderr
    assert "added without an id: given its id" in claimed.stderr
    data = json.loads(run("task", "show", task, "--json", agent="b.1").stdout)
    assert data["owner"] == "b.1" and data["title"] == "Added in Emacs by Ann"
    assert board(project).count(f":ID:       {task}") == 1


def test_any_change_gives_a_task_added_in_emacs_its_id_and_says_so(project: Path,
                                                                    run: Runner) -> None:
    add(run, "first", agent="lead.1")
    _emacs_task(project, "Ann one")
    _emacs_task(project, "Ann one")
    # Two tasks of one title: the title names neither.
    refused = run("task", "claim", "Ann one", agent="b.1", check=False)
    assert refused.returncode == 20, refused
    said = run("lock", "src/", "--reason", "r", agent="b.1").stderr
    assert said.count("added without an id: given its id") == 2
    ids = [t["id"] for t in json.loads(run("task", "list", "--json").stdout)]
    assert len(ids) == 3 and None not in ids and len(set(ids)) == 3


# -- 5. a person's own sub-heading with an org-id ID is no moved task ---------------------


def test_a_persons_heading_with_an_org_id_is_no_moved_task(project: Path,
                                                           run: Runner) -> None:
    add(run, "with subs", agent="su.1")
    with (project / BOARD).open("a") as handle:
        handle.write("** Meeting notes\n:PROPERTIES:\n"
                     ":ID:       6f1c2d3e-aaaa-bbbb-cccc-1234567890ab\n:OWNER:    ann\n"
                     ":END:\n- Ann's notes\n")
    said = run("task", "list", agent="su.1")
    assert "warning" not in said.stderr and "demoted" not in said.stderr, said.stderr


def test_a_demoted_task_is_still_named(project: Path, run: Runner) -> None:
    """The rule above keeps the tool's own tasks: a claimed task demoted in Emacs is
    still named by its line."""
    add(run, "Parent", agent="su.1")
    task = add(run, "Demote me", agent="su.1")
    run("task", "claim", task, agent="su.1")
    _emacs(project, '(goto-char (point-min)) (re-search-forward "^\\\\* DOING Demote me") '
                    '(org-demote-subtree)')
    said = run("task", "list", agent="x.1").stderr
    assert f"task {task}, claimed by su.1 (live), is no task on the board" in said


# -- 6. working-set paths: a folder with and without its final / is one -------------------


def test_working_set_paths_follow_the_rule_of_locks(project: Path, run: Runner) -> None:
    task = add(run, "ws", "--working-set", "src/api/", "--working-set", "src/api",
               agent="e.1")
    assert json.loads(run("task", "show", task, "--json").stdout)["working_set"] == \
        ["src/api/"]
    run("task", "edit", task, "--add-working-set", "lib", "--add-working-set", "lib/",
        agent="e.1")
    assert json.loads(run("task", "show", task, "--json").stdout)["working_set"] == \
        ["src/api/", "lib"]
    run("task", "edit", task, "--remove-working-set", "src/api", agent="e.1")
    assert json.loads(run("task", "show", task, "--json").stdout)["working_set"] == ["lib"]
    refused = run("task", "edit", task, "--remove-working-set", "lib/", agent="e.1",
                  check=False)
    assert refused.returncode == 4 and "every path out" in refused.stderr
    missing = run("task", "edit", task, "--remove-working-set", "li", agent="e.1",
                  check=False)
    assert missing.returncode == 4 and "does not hold it" in missing.stderr


@pytest.mark.parametrize("first,second", [("lib", "lib/"), ("lib/", "lib")])
def test_lock_of_one_folder_twice_is_one_lock(project: Path, run: Runner, first: str,
                                              second: str) -> None:
    run("lock", first, second, "--reason", "r", agent="e.1")
    assert board(project).count(":PATH:") == 1


# -- 7. a title with backslashes is shown as typed ---------------------------------------


# (imported here, not inside a test: importing it defines @given tests, which hypothesis
# refuses inside a running one)
from test_terminal_output import _read_escapes  # noqa: E402

BACKSLASHED = st.text(st.sampled_from("ab\\xnt. é\u202e"), min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(title=BACKSLASHED)
def test_a_title_reads_back_through_the_board_and_the_display(title: str) -> None:
    """The board's escape of a title (``board_title``) reads back as typed, and what a
    terminal shows of it reads back too (the one display rule); a backslash before no
    letter an escape starts with is shown as typed, a run of them as typed too."""
    from ai_protocols.board.model import board_title
    from ai_protocols.lean import display
    from ai_protocols.org.syntax import unescape_inline

    assert unescape_inline(board_title(title)) == title
    shown = display(title)
    assert _read_escapes(shown) == title
    if not any(ch in "xuUtnr\u202e" for ch in title):
        assert shown == title


def test_task_list_and_show_give_a_backslashed_title_as_typed(project: Path,
                                                              run: Runner) -> None:
    one = add(run, "a\\\\b", agent="x.1")  # (the four characters a \ \ b)
    two = add(run, "x\\ny", agent="x.1")  # (x \ n y: shown x\\ny, not a newline)
    three = add(run, "C:\\\\\\dir", agent="x.1")
    listed = run("task", "list").stdout
    assert f"{one}  TODO      a\\\\b\n" in listed
    assert f"{two}  TODO      x\\\\ny\n" in listed
    assert f"{three}  TODO      C:\\\\\\dir\n" in listed
    assert run("task", "show", one).stdout.startswith(f"Task {one}: a\\\\b\n")
    assert [t["title"] for t in json.loads(run("task", "list", "--json").stdout)] == \
        ["a\\\\b", "x\\ny", "C:\\\\\\dir"]
