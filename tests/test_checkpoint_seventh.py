"""Issue 14, the sixth reviewer's faults in checkpoints, restore, pause and the read
commands' warnings (docs/checkpoints.md, docs/decisions.md "Issue 14, sixth review
(checkpoints, pause, read-command warnings)").

The installed command runs as a real subprocess in temporary git repositories.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import commit_all, first_commit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

# -- 1. a committed session file put back by git stash / reset: the read commands warn -------


def committed_session_with_a_checkpoint(repo: Path, run: Runner) -> Path:
    """A repository whose session file is committed, with uncommitted work and a
    checkpoint of it recorded in the session file (not committed): the reviewer's f3."""
    first_commit(repo)
    run("start", "--title", "S")
    commit_all(repo, "session")
    (repo / "a").write_text("work\n")
    (repo / "new.txt").write_text("n\n")
    run("checkpoint", "--note", "wip")
    return repo / ".ai" / "session-context.org"


@pytest.mark.parametrize("hide", ["stash", "reset"])
def test_the_read_commands_say_the_session_file_is_older_than_the_kept_copy(
        repo: Path, run: Runner, hide: str) -> None:
    path = committed_session_with_a_checkpoint(repo, run)
    if hide == "stash":
        git(repo, "stash", "-u", "-q")
    else:
        git(repo, "reset", "-q", "--hard")
        git(repo, "clean", "-qfd")
    assert git(repo, "status", "--short") == ""
    # (its ref is here: the whereabouts rule advises the restore by the commit's hash,
    # docs/decisions.md "Issue 14, fifteenth round (where the work is)")
    refs = git(repo, "for-each-ref", "--format=%(objectname) %(refname)",
               "refs/ai-protocols/checkpoints/").splitlines()
    assert len(refs) == 1 and refs[0].endswith("/1"), refs
    commit = refs[0].split()[0]
    before = path.read_bytes()
    said = {
        "resume": run("resume").stdout,
        "resume --json": run("resume", "--json").stdout,
        "start": run("start").stderr,
        "show": run("show").stderr,
        "show --json": run("show", "--json").stderr,
        "status": run("status").stdout,
    }
    for command, text in said.items():
        flat = " ".join(text.split())
        assert "older version than the one ai-protocols last wrote" in flat, (command, text)
        assert "lacks 1 Log line (checkpoint 1 " in flat, (command, text)
        assert (f"the uncommitted work of checkpoint 1: restore checkpoint 1 with: "
                f"ai-protocols checkpoint restore {commit[:12]} (from {repo});") in flat, \
            (command, text)
        assert (f"put back the newer session file ai-protocols keeps with cp "
                f".ai/.locks/live/session-context.org .ai/session-context.org (from {repo})"
                in flat), (command, text)
        assert ("git stash pop" in flat) == (hide == "stash"), (command, text)
    assert path.read_bytes() == before  # the read commands changed nothing


def test_resume_holds_its_bound_with_both_warnings_and_the_longest_id(
        repo: Path, run: Runner) -> None:
    """The warning's paths are from the project's root and its names clipped: with the
    longest agent id, a session moved off its branch and put back by git stash, resume
    still fits in its least --max-bytes."""
    agent = "a" * 200
    first_commit(repo)
    run("start", "--title", "S", agent=agent)
    commit_all(repo, "session")
    (repo / "a").write_text("work\n")
    run("checkpoint", "--note", "wip", agent=agent)
    git(repo, "stash", "-u", "-q")
    git(repo, "switch", "-q", "-c", "elsewhere")
    (repo / "b").write_text("b\n")
    commit_all(repo, "elsewhere")
    for form in ([], ["--json"]):
        said = run("resume", "--max-bytes", "2560", *form, agent=agent).stdout
        # (HEAD on another branch than the one the last write recorded: the warning names
        # the switch, docs/decisions.md "Issue 14, fifteenth round (where the work is)";
        # the kept copy is not master's tip, so the usual advice follows, the longest form)
        flat = " ".join(said.split())
        assert ("not the one ai-protocols last wrote (a switch from branch 'master')"
                in flat and "git switch master goes back to it" in flat and
                "ai-protocols checkpoint restore " in flat), said
        assert len(said.encode()) <= 2560, len(said.encode())


def test_a_session_file_that_is_the_last_written_gives_no_such_warning(
        repo: Path, run: Runner) -> None:
    """The warning can be silent: the file as the tool wrote it, or put back whole by
    git stash pop, is no older version."""
    committed_session_with_a_checkpoint(repo, run)
    for command in (["resume"], ["show"], ["status"], ["start"]):
        done = run(*command)
        assert "older version" not in done.stdout + done.stderr
    git(repo, "stash", "-u", "-q")
    git(repo, "stash", "pop", "-q")
    for command in (["resume"], ["show"], ["status"]):
        done = run(*command)
        assert "older version" not in done.stdout + done.stderr, done


# -- 2. after a log records a moved: line, resume still says the work is elsewhere -------------


def test_resume_after_a_logged_move_still_says_the_work_is_elsewhere(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "f").write_text("f\n")
    commit_all(repo, "feature work")
    run("start", "--title", "T")
    run("log", "--progress", "on feature")
    git(repo, "switch", "-q", "master")
    assert "the work is on branch feature" in run("resume").stdout
    logged = run("log", "--progress", "on master now")
    assert "moved: from branch feature" in (repo / ".ai" / "session-context.org").read_text()
    assert "Warning: HEAD moved" in logged.stderr
    for said in (run("resume").stdout, run("start").stderr):
        flat = " ".join(said.split())
        assert "moved: from branch feature" in flat, said
        assert "the work is on branch feature: switch to it (git switch feature)" in flat, said
    # back on the branch that holds the work: nothing more to say
    git(repo, "switch", "-q", "feature")
    back = run("resume").stdout
    assert "moved:" not in back and "switch to it" not in back, back


def test_a_move_onto_a_branch_that_holds_the_work_gives_no_warning(
        repo: Path, run: Runner) -> None:
    """The moved line alone is no alarm: HEAD moved onto a commit that holds the
    work (a merge of it) says nothing of it being elsewhere."""
    first_commit(repo)
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "f").write_text("f\n")
    commit_all(repo, "feature work")
    run("start", "--title", "T")
    run("log", "--progress", "on feature")
    git(repo, "switch", "-q", "master")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "feature")
    run("log", "--progress", "merged")
    said = run("resume").stdout
    assert "rolled back" not in said and "switch to it" not in said, said


# -- 3. what counts as the user's work: one rule, the project's .ai/ only ----------------------


def test_a_fresh_projects_scaffold_is_not_counted_as_uncommitted_work(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("init")  # the scaffold, uncommitted
    run("start", "--title", "S")
    taken = run("checkpoint", "--note", "nothing of mine yet")
    assert "0 files uncommitted" in taken.stdout, taken.stdout
    (repo / "mine.txt").write_text("mine\n")
    taken = run("checkpoint", "--note", "one file")
    assert "1 file uncommitted" in taken.stdout, taken.stdout
    listed = run("checkpoint", "list").stdout
    assert "0 uncommitted" in listed and "1 uncommitted" in listed, listed


def test_restore_force_brings_back_a_persons_own_dot_ai_folder(repo: Path, run: Runner) -> None:
    first_commit(repo)
    notes = repo / "docs" / ".ai"
    notes.mkdir(parents=True)
    (notes / "notes.txt").write_text("mine, at the checkpoint\n")
    taken = run("checkpoint", "--note", "x")
    assert "1 file uncommitted" in taken.stdout, taken.stdout
    (notes / "notes.txt").write_text("changed since\n")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode != 0 and "docs/.ai/notes.txt" in refused.stderr, refused
    (notes / "notes.txt").unlink()
    done = run("checkpoint", "restore", "1", "--force")
    assert (notes / "notes.txt").read_text() == "mine, at the checkpoint\n", done.stderr
    assert "1 path written or removed\n  docs/.ai/notes.txt" in done.stderr, done.stderr


# -- 3. log --key-file with white space at a name's ends: refused unless it exists ------------


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.sampled_from("ab. é"), min_size=1, max_size=6)
       .filter(lambda n: n.strip() not in ("", ".", "..") and n != n.strip()))
def test_a_key_file_with_white_space_at_its_ends_is_refused_unless_it_exists(
        repo: Path, run: Runner, name: str) -> None:
    first_commit(repo)
    if not (repo / ".ai" / "session-context.org").exists():
        run("start", "--title", "S")
    path = repo / ".ai" / "session-context.org"
    before = path.read_bytes()
    refused = run("log", "--key-file", name, check=False)
    assert refused.returncode == 4, refused
    assert "white space" in refused.stderr and repr(name.strip()) in refused.stderr, refused
    assert path.read_bytes() == before  # nothing changed
    (repo / name).write_text("x\n")  # a file whose name has it: taken as it is
    try:
        run("log", "--key-file", name)
        assert f"\n   {name}\n" in path.read_text() or f"\n  {name}\n" in path.read_text()
    finally:
        (repo / name).unlink()


def test_a_key_file_in_a_folder_with_a_trailing_space_is_refused(repo: Path,
                                                                 run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "S")
    refused = run("log", "--key-file", "src /a.txt", check=False)
    assert refused.returncode == 4 and "'src/a.txt'" in refused.stderr, refused


# -- 3. one rule for notes of several lines: blank lines around them dropped --------------------


@pytest.mark.parametrize("command", [["checkpoint"], ["pause"], ["abandon"]])
def test_blank_lines_around_a_note_are_dropped(repo: Path, run: Runner,
                                               command: list[str]) -> None:
    first_commit(repo)
    run("start", "--title", "S")
    (repo / "a").write_text("wip\n")
    option = "--reason" if command == ["abandon"] else "--note"
    run(*command, option, "\n \n first line\n\n")
    if command == ["abandon"]:
        [archive] = (repo / ".ai" / "sessions").glob("*.org")
        text = archive.read_text()
        assert ":DESCRIPTION: first line" in text, text
        assert "abandoned: first line" in text or "abandon: first line" in text, text
        return
    text = (repo / ".ai" / "session-context.org").read_text()
    subject = git(repo, "log", "-1", "--format=%s", "--glob=refs/ai-protocols/*")
    assert subject.endswith(": first line"), subject
    assert "uncommitted): first line" in text, text
    if command == ["pause"]:
        assert ":PAUSE_NOTE: first line" in text and "pause: first line" in text, text


def test_a_note_of_blank_lines_only_is_refused_as_empty(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "S")
    refused = run("checkpoint", "--note", "\n  \n", check=False)
    assert refused.returncode == 4 and "empty" in refused.stderr, refused
    assert git(repo, "for-each-ref", "refs/ai-protocols/") == ""


# -- 3. a second pause: says it is paused already, takes no checkpoint --------------------------


def test_a_second_pause_takes_no_checkpoint_and_says_it_is_paused(repo: Path,
                                                                  run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "S")
    (repo / "a").write_text("wip\n")
    run("pause", "--note", "first")
    refs = git(repo, "for-each-ref", "refs/ai-protocols/")
    path = repo / ".ai" / "session-context.org"
    before = path.read_bytes()
    again = run("pause")
    assert "already paused" in again.stderr and "nothing changed" in again.stderr, again
    assert "No checkpoint was taken" in again.stderr, again
    assert path.read_bytes() == before
    noted = run("pause", "--note", "second")
    assert "already paused" in noted.stderr and "its note is now: second" in noted.stderr
    assert ":PAUSE_NOTE: second" in path.read_text()
    assert git(repo, "for-each-ref", "refs/ai-protocols/") == refs  # no new checkpoint


# -- 3. a checkpoint no ref holds is named by its hash ------------------------------------------


def test_a_checkpoint_restored_by_hash_after_its_ref_is_gone_is_named_by_it(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "a").write_text("wip\n")
    run("checkpoint", "--note", "x")
    ref = git(repo, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
    commit = git(repo, "rev-parse", ref)
    git(repo, "update-ref", "-d", ref)
    where = tmp_path / "by-hash"
    done = run("checkpoint", "restore", commit[:12], "--worktree", str(where))
    assert f"Restored checkpoint {commit[:12]} into a new worktree" in done.stderr, done
    assert "default/" not in done.stderr, done.stderr
    beside = run("checkpoint", "restore", commit[:12])  # the default folder: by its hash too
    assert beside.stdout.strip().endswith(f"-checkpoint-{commit[:12]}"), beside.stdout
    assert (where / "a").read_text() == "wip\n"


# -- 3. a path alone on stdout is printed as it is; escapes are for the human text -------------


def test_a_path_printed_on_stdout_is_the_raw_path(repo: Path, run: Runner,
                                                  tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "a").write_text("wip\n")
    run("checkpoint", "--note", "x")
    odd = tmp_path / "tab\there\u202e"
    done = run("checkpoint", "restore", "1", "--worktree", str(odd))
    assert done.stdout == f"{odd}\n", done.stdout
    # the human text on stderr: escapes, no raw control or format character
    # (the remove command's $'...' writes the tab in octal: eighth review)
    assert "\\011" in done.stderr and "\t" not in done.stderr, done.stderr
    assert "\u202e" not in done.stderr
    target = tmp_path / "ex\tport.tar.gz"
    exported = run("checkpoint", "export", "1", str(target))
    assert exported.stdout == f"{target}\n" and target.exists()
    run("start", "--title", "S")
    paused = run("pause", "--no-checkpoint")
    assert paused.stdout == f"{repo / '.ai' / 'session-context.org'}\n"


def test_a_sub_projects_own_scaffold_is_not_counted_either(repo: Path, run: Runner) -> None:
    """A project in a folder below the top of the work tree: its own .ai/ is the
    tool's too (paths.tool_folders)."""
    first_commit(repo)
    sub = repo / "sub"
    sub.mkdir()
    (sub / ".ai").mkdir()  # the project's root is the first folder holding .ai/
    run("init", cwd=sub)
    run("start", "--title", "S", cwd=sub)
    taken = run("checkpoint", "--note", "nothing of mine", cwd=sub)
    assert "0 files uncommitted" in taken.stdout, taken.stdout
    (sub / "mine.txt").write_text("mine\n")
    assert "1 file uncommitted" in run("checkpoint", cwd=sub).stdout
