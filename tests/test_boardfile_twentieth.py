"""The board's file and git, after a fresh review of issue 15 (twentieth round).

A board gone from disk and not by git comes back whole (f8); after ``git stash -u`` the
advice that brings the stash back works as printed (f9); a board git merged without
the driver is refused with the remerge first, also once the driver was configured
since (f1); a lock a person wrote by hand and removed in Emacs stays removed (f5).
Every command runs as the installed ``ai-protocols`` (and git, Emacs) in a real
repository (docs/decisions.md, "Issue 15, twentieth round (the board's file and git)").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD, add, board, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

KEPT = Path(".ai") / ".locks" / "live" / "tasks.org"
#: A title a person may type (letters, digits, spaces, some punctuation), trimmed.
TITLES = st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -.,"),
                 min_size=1, max_size=30).map(str.strip).filter(bool)


def _a_board_never_committed(repo: Path, run: Runner, titles: list[str]) -> tuple[str, str]:
    """Free tasks ``titles``, a claimed one and a closed one, a person's note typed in the
    board, all written by ai-protocols (the kept copy holds them); nothing committed but
    a first file. The claimed and the closed task's ids."""
    (repo / "README").write_text("r\n")
    git(repo, "add", "README")
    git(repo, "commit", "-qm", "i")
    for title in titles:
        add(run, title)
    claimed = add(run, "Claimed one")
    run("task", "claim", claimed, agent="a.1")
    with open(repo / BOARD, "a", encoding="utf-8") as handle:
        handle.write("A note a person typed.\n")
    closed = add(run, "Finished one")  # (a write after the note: the kept copy has it)
    run("task", "claim", closed, agent="a.1")
    run("task", "done", closed, agent="a.1")
    return claimed, closed


@pytest.mark.parametrize("removal", ["rm", "git clean -fd"])
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(TITLES, min_size=1, max_size=3, unique=True))
def test_a_board_never_committed_and_removed_comes_back_whole(
        tmp_path_factory: pytest.TempPathFactory, removal: str, titles: list[str]) -> None:
    repo = tmp_path_factory.mktemp("f8").resolve()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    run = Runner(repo)
    claimed, closed = _a_board_never_committed(repo, run, titles)
    before = board(repo)
    if removal == "rm":
        (repo / BOARD).unlink()
    else:
        git(repo, "clean", "-fdq")
    assert not (repo / BOARD).exists() and (repo / KEPT).is_file()
    # The readers show what will come back, before any write.
    listed = run("task", "list", "--all", agent="b.1")
    for title in [*titles, "Claimed one", "Finished one"]:
        assert title in listed.stdout, (title, listed)
    assert "is gone" in listed.stderr and "writes it back whole" in listed.stderr
    assert claimed in run("task", "list", "--mine", agent="a.1").stdout
    assert not (repo / BOARD).exists()  # (a reader writes nothing)
    added = run("task", "add", "next task", agent="b.1")
    assert "the whole board" in added.stderr, added
    after = board(repo)
    assert after.startswith(before) or before.rstrip("\n") in after, after
    assert "A note a person typed." in after and "next task" in after
    assert (repo / KEPT).read_text(encoding="utf-8") == after  # (both copies whole)
    shown = run("task", "show", closed, agent="b.1").stdout
    assert "DONE" in shown


def test_a_board_a_checkout_removed_is_that_commit_s_not_brought_back_whole(
        repo: Path, run: Runner) -> None:
    (repo / "README").write_text("r\n")
    git(repo, "add", "README")
    git(repo, "commit", "-qm", "i")
    git(repo, "branch", "old")  # (a branch from before the board)
    free = add(run, "Free one")
    claimed = add(run, "Claimed one")
    run("task", "claim", claimed, agent="a.1")
    git(repo, "add", ".ai")
    git(repo, "commit", "-qm", "board")
    git(repo, "checkout", "-q", "old")  # git removes the committed board: git's history
    listed = run("task", "list", "--all", agent="b.1")
    assert free not in listed.stdout and "is gone" not in listed.stderr, listed
    # (its claim is that branch's, committed there: docs/tasks.md, a branch switch)
    assert f"task {claimed} (Claimed one) is claimed by a.1 on branch" in listed.stderr
    added = run("task", "add", "on old", agent="b.1")
    assert "the whole board" not in added.stderr
    assert free not in board(repo) and claimed not in board(repo)


def test_after_git_stash_u_the_printed_commands_bring_back_both_boards(
        repo: Path, run: Runner) -> None:
    claimed, _ = _a_board_never_committed(repo, run, ["Free one", "Free two"])
    (repo / "work.txt").write_text("work\n")
    git(repo, "stash", "-u", "-q")
    assert not (repo / BOARD).exists()
    added = run("task", "add", "during stash", agent="b.1")
    said = re.search(r"losing neither board, with: (.*)", added.stderr)
    assert said, added.stderr
    # Followed exactly, from elsewhere, without the tool on PATH: it names itself fully.
    env = clean_env(PATH="/usr/bin:/bin")
    done = subprocess.run(["bash", "-c", said.group(1)], cwd="/", env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done
    text = board(repo)
    for title in ("Free one", "Free two", "Claimed one", "Finished one", "during stash"):
        assert title in text, (title, text)
    assert text.count("A note a person typed.") == 1
    assert (repo / "work.txt").read_text() == "work\n"
    assert git(repo, "stash", "list") == ""
    assert not (repo / ".ai" / "tasks.org.before-pop").exists()
    assert claimed in run("task", "list", "--mine", agent="a.1").stdout


def _conflicted_clone(tmp_path: Path) -> tuple[Path, str]:
    """A board conflicted by plain git: a fresh clone (no merge driver configured, git
    clones none) whose person retitled a task in the board while the other clone's agent
    claimed it; the pull merged without the driver. The clone and the task's id."""
    a = (tmp_path / "A").resolve()
    a.mkdir()
    git(a, "init", "-q", "-b", "main")
    run_a = Runner(a)
    task = add(run_a, "Base task", agent="pa")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "base")
    origin = tmp_path / "origin.git"
    git(a, "clone", "-q", "--bare", ".", str(origin))
    git(a, "remote", "add", "origin", str(origin))
    c = (tmp_path / "C").resolve()
    git(tmp_path, "clone", "-q", str(origin), str(c))
    run_a("task", "claim", task, agent="pa")
    git(a, "commit", "-qam", "claim")
    git(a, "push", "-q", "origin", "main")
    text = board(c).replace("* TODO Base task\n", "* TODO Base task renamed by person\n")
    (c / BOARD).write_text(text, encoding="utf-8")
    git(c, "commit", "-qam", "person retitles")
    pulled = subprocess.run(["git", "-C", str(c), "pull", "-q", "--no-rebase"],
                            capture_output=True, text=True,
                            env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                          GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))
    assert pulled.returncode != 0 and "<<<<<<< " in board(c), pulled
    return c, task


def _follow(c: Path, message: str) -> None:
    """Run the remerge the refusal ``message`` gives first, as printed."""
    if "run 'ai-protocols init'" in message:
        subprocess.run([str(CLI), "init"], cwd=c, env=clean_env(), check=True,
                       capture_output=True)
    steps = re.findall(r"'(git (?:checkout -m|add) -- [^']+|git add [^']+)'", message)
    assert steps and steps[0].startswith("git checkout -m"), message
    for step in steps[:2]:
        subprocess.run(["bash", "-c", step], cwd=c, check=True, capture_output=True,
                       env=clean_env())


@pytest.mark.parametrize("command", [("task", "list"), ("locks",), ("check",),
                                     ("task", "add", "x")])
def test_a_board_git_merged_without_the_driver_is_refused_with_the_remerge_first(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    c, task = _conflicted_clone(tmp_path)
    run = Runner(c)
    refused = run(*command, agent="pc", check=False)
    assert refused.returncode == 6, refused
    said = refused.stderr
    first = said.index("git checkout -m")
    assert first < said.index("resolve the merge by hand"), said
    if command[0] == "task" and command[-1] == "x":  # (a change: the driver is set up now)
        again = run("task", "list", agent="pc", check=False)
        assert again.returncode == 6 and "git checkout -m" in again.stderr, again
        assert "ai-protocols init" not in again.stderr.split("git checkout -m")[0]
        said = again.stderr
    _follow(c, said)
    listed = run("task", "list", "--all", agent="pc")
    assert listed.stdout.count(task) == 1, listed  # (one task, not a doubled one)
    line = next(x for x in listed.stdout.splitlines() if task in x)
    assert "Base task renamed by person" in line and "claimed by pa" in line, listed


EMACS = shutil.which("emacs")


def _emacs(script: str) -> None:
    subprocess.run([EMACS or "emacs", "--batch", "-Q", "--eval", script], check=True,
                   capture_output=True, timeout=120, env=clean_env())


@pytest.mark.skipif(EMACS is None, reason="needs Emacs")
def test_a_lock_a_person_wrote_and_removed_in_emacs_stays_removed(
        repo: Path, run: Runner) -> None:
    add(run, "x", agent="ag.1")
    path = str(repo / BOARD)
    _emacs(f'(progn (find-file "{path}") (goto-char (point-min)) '
           '(re-search-forward "^Areas an agent keeps.*\\n") '
           '(insert "** secret/\\n:PROPERTIES:\\n:PATH:     secret/\\n:OWNER:    ann\\n'
           ':REASON:   Ann is reworking this\\n:END:\\n") (save-buffer))')
    assert "secret/" in run("locks", agent="ag.1").stdout
    add(run, "an agent adds a task", agent="ag.1")  # (the kept copy holds Ann's lock)
    assert "secret/" in (repo / KEPT).read_text(encoding="utf-8")
    _emacs(f'(progn (require (quote org)) (find-file "{path}") (goto-char (point-min)) '
           '(re-search-forward "^\\\\*\\\\* secret/") (org-cut-subtree) (save-buffer))')
    assert "secret/" not in board(repo)
    listed = run("locks", agent="ag.1")
    assert "secret/" not in listed.stdout + listed.stderr, listed
    added = run("task", "add", "another task", agent="ag.1")
    assert "put back" not in added.stderr, added
    assert "secret/" not in board(repo)


def test_a_lock_a_person_wrote_that_git_stash_took_is_put_back_with_the_way_to_end_it(
        repo: Path, run: Runner) -> None:
    add(run, "x", agent="ag.1")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b")
    text = board(repo)
    at = text.index("\n", text.index("Areas an agent keeps")) + 1
    text = text[:at] + "** secret/\n:PROPERTIES:\n:PATH:     secret/\n:OWNER:    ann\n" \
        ":END:\n" + text[at:]
    (repo / BOARD).write_text(text, encoding="utf-8")
    add(run, "y", agent="ag.1")
    git(repo, "stash", "-q")  # (git puts HEAD's board back: git's doing, not a save)
    listed = run("locks", agent="ag.1")
    assert "the lock on secret/ held by ann" in listed.stderr, listed
    assert "written by hand" in listed.stderr
    assert "'ai-protocols unlock secret/ --force'" in listed.stderr
    added = run("task", "add", "z", agent="ag.1")
    assert "the lock on secret/, held by ann" in added.stderr, added
    assert os.path.exists(repo / BOARD) and ":OWNER:    ann" in board(repo)
