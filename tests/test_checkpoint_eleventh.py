"""Checkpoints and the stash warnings, eleventh round of issue 14: where a checkpoint is
and what to do (one rule for list, restore and resume), a note of several lines kept
whole, a stash followed by a checkout, ``git stash -a``, one ``has_stash``. Real git
throughout."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, commit_all, first_commit, git
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner

AGENT = "agent1.1796000000"
FILE = f".ai/session-context.d/{AGENT}.org"


def _sh(cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` pasted into bash in ``cwd``, as a person pastes advice."""
    on_path = f"{Path(CLI).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # (as installed)
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV, "PATH": on_path})


# -- the stash warnings (5, 6) ----------------------------------------------------------


def _stash_then_checkout(project: Path, run: Runner) -> str:
    """Two commits of logged entries, one more entry uncommitted, ``git stash``, a
    checkout of the commit before: the write's warning (stderr)."""
    first_commit(project)
    run("start", "--objective", "o", agent=AGENT)
    for step in ("p1", "p2"):
        run("log", "--progress", step, agent=AGENT)
        commit_all(project, step)
    run("log", "--progress", "p3 uncommitted", agent=AGENT)
    git(project, "stash", "-q")
    git(project, "checkout", "-q", "HEAD~1")
    return run("log", "--progress", "p4 at old commit", agent=AGENT).stderr


def test_a_stash_then_a_checkout_is_named_and_its_advice_works(project: Path,
                                                              run: Runner) -> None:
    """5: after ``git stash`` and ``git checkout HEAD~1`` the warning names both (not the
    stash alone), and advises no bare commit on the detached HEAD: going back (the
    commands pasted as given) keeps every entry, and ``log`` goes on."""
    warning = _stash_then_checkout(project, run)
    assert "HEAD moved off the commit the stash was made on" in warning, warning
    assert "to a detached HEAD at" in warning and "git stash took that one" in warning
    assert "git switch -c NAME" in warning, warning  # (a commit there needs a branch)
    back = re.search(r"go back to where the stash was made: (.*?), then (ai-protocols "
                     r"merge-kept \S+)", warning)
    assert back, warning
    steps = [re.sub(r" \(what was written here[^)]*\)", "", s) for s in back.group(1).split(", ")]
    for step in steps:
        done = _sh(project, step)
        assert done.returncode == 0, (step, done.stderr)
    run(*back.group(2).split()[1:], agent=AGENT)
    run("log", "--progress", "p5", agent=AGENT)
    text = (project / FILE).read_text()
    for step in ("p1", "p2", "p3 uncommitted", "p4 at old commit", "p5"):
        assert f"{step}\n" in text, (step, text)
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD") != "HEAD"  # on a branch


def test_a_checkout_of_an_old_commit_is_named_as_such(project: Path, run: Runner) -> None:
    """5: a write into the version a checkout of an older commit put back (no stash)
    names that checkout and the detached HEAD, not "a branch switch or git reset"."""
    first_commit(project)
    run("start", "--objective", "o", agent=AGENT)
    for step in ("p1", "p2"):
        run("log", "--progress", step, agent=AGENT)
        commit_all(project, step)
    git(project, "checkout", "-q", "HEAD~1")
    said = run("log", "--progress", "p3", agent=AGENT).stderr
    head = git(project, "rev-parse", "HEAD")[:12]
    assert f"(a checkout of commit {head}, HEAD detached)" in said, said
    assert "branch switch or git reset" not in said


def test_stash_all_is_handled_as_stash_untracked(project: Path, run: Runner) -> None:
    """5: ``git stash -a`` takes the session file with ``.ai/.locks/`` (its kept copy):
    a write says git stash took it and names ``git stash pop``, exit 3, not "run start
    first"; nothing is made."""
    first_commit(project)
    run("start", "--objective", "o", agent=AGENT)
    run("log", "--progress", "p1", agent=AGENT)
    git(project, "stash", "-q", "-a")
    assert not (project / FILE).exists() and not (project / ".ai/.locks").exists()
    refused = run("log", "--progress", "p2", agent=AGENT, check=False)
    assert refused.returncode == 3, refused.stderr
    assert "removed by git stash" in refused.stderr and "stash pop" in refused.stderr
    assert "git stash -a" in refused.stderr and "start' first" not in refused.stderr
    assert not (project / FILE).exists() and not (project / ".ai/.locks").exists()
    said = run("show", agent=AGENT, check=False)
    assert said.returncode == 3 and "removed by git stash" in said.stderr, said.stderr
    started = run("start", agent=AGENT)  # (a fresh one in its place: said, with the way)
    assert "newest stash entry holds this agent's last session file" in started.stderr
    advice = re.search(r"bring the work and the session file back with: (.*) \(from ",
                       run("resume", agent=AGENT).stdout.replace("\n", " "))
    assert advice, run("resume", agent=AGENT).stdout
    done = _sh(project, advice.group(1))
    assert done.returncode == 0, done.stderr
    run("log", "--progress", "p2", agent=AGENT)
    assert "p1\n" in (project / FILE).read_text()


def test_one_has_stash_reads_packed_refs(project: Path) -> None:
    """6: one ``has_stash`` (git's files, no process), also for a stash ref ``git
    pack-refs`` packed."""
    import ai_protocols.git.state as state
    from ai_protocols.git.head import has_stash

    assert not hasattr(state, "has_stash")
    first_commit(project)
    assert not has_stash(project)
    (project / "a").write_text("b\n")
    git(project, "stash", "-q")
    git(project, "pack-refs", "--all")
    assert not (project / ".git/refs/stash").exists()
    assert has_stash(project / "a") is has_stash(project) is True


# -- a note of several lines (4) ---------------------------------------------------------

_LINE = st.text(st.characters(codec="utf-8", categories=("L", "N", "P")) | st.just(" "),
                min_size=1, max_size=120).filter(lambda t: t.strip())


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, min_size=1, max_size=4))
@example(lines=["before refactor", "second line", "fourth"])
def test_a_note_is_never_cut_without_saying_where_the_rest_is(project: Path, run: Runner,
                                                              lines: list[str]) -> None:
    """4: a ``checkpoint --note`` of several lines (or one past 100 characters): the Log
    line says the note goes on and names the command that shows it whole, which does;
    ``list`` and the command's own line say more lines follow."""
    if not (project / "a").exists():
        first_commit(project)
        run("start", "--title", "S")
    (project / "a").write_text(f"{len(lines)}\n")
    note = "\n".join(lines)
    taken = run("checkpoint", f"--note={note}")  # (as it is: a note may start with '@')
    log = (project / ".ai/session-context.org").read_text().rstrip("\n").rsplit("\n", 1)[-1]
    whole = [ln for ln in note.split("\n") if ln.strip()]
    first = " ".join(whole[0].split())
    if len(whole) == 1 and len(first) <= 100:
        assert log.endswith(f": {first}") or "the whole note" not in log, log
        return
    found = re.search(r"\(the whole note(?:, (\d+) lines)?: ai-protocols (checkpoint show "
                      r"[0-9a-f]{12})\)$", log)
    assert found, log
    assert found.group(1) is None if len(whole) == 1 else int(found.group(1)) == len(whole)
    shown = run(*found.group(2).split()).stdout
    for line in whole:
        assert line.strip() in shown, (line, shown)
    if len(whole) > 1:
        assert "more line" in taken.stdout, taken.stdout
        assert "more line" in run("checkpoint", "list").stdout


def test_a_bad_note_is_still_refused(project: Path, run: Runner, tmp_path: Path) -> None:
    """4: NUL (from a file: argv cannot hold one) and white space alone: exit 4, no
    checkpoint."""
    first_commit(project)
    (tmp_path / "nul").write_bytes(b"first\nsec\0ond\n")
    for note in ("   ", "\n \n", f"@{tmp_path / 'nul'}"):
        refused = run("checkpoint", "--note", note, check=False)
        assert refused.returncode == 4 and "Error: note" in refused.stderr, refused.stderr
    assert git(project, "for-each-ref", "refs/ai-protocols") == ""


# -- where a checkpoint is, and what to do: one rule (1, 2, 3) ---------------------------

FETCH = "git fetch --no-prune origin 'refs/ai-protocols/*:refs/ai-protocols/*'"


def _pushed_and_cloned(tmp_path: Path, run: Runner) -> tuple[Path, Path, str]:
    """A clone that took a checkpoint, committed the session and pushed both, and a
    fresh clone of the branch (which brings no checkpoint ref); the checkpoint's hash."""
    bare, c1, c2 = tmp_path / "o.git", tmp_path / "c1", tmp_path / "c2"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(tmp_path, "clone", "-q", f"file://{bare}", str(c1))  # (a URL: no object copied)
    git(c1, "checkout", "-q", "-b", "main")
    run("init", cwd=c1)
    first_commit(c1)
    run("start", "--title", "S", agent=AGENT, cwd=c1)
    (c1 / "w").write_text("work\n")
    run("checkpoint", "--note", "n", agent=AGENT, cwd=c1)
    git(c1, "add", ".ai")  # (the session, not the work: that is the checkpoint's)
    git(c1, "commit", "-q", "-m", "session")
    git(c1, "push", "-q", "origin", "main")
    git(c1, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(tmp_path, "clone", "-q", "-b", "main", f"file://{bare}", str(c2))
    return c1, c2, git(c1, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")


def test_a_fresh_clone_is_told_to_fetch_by_list_restore_and_resume(tmp_path: Path,
                                                                   run: Runner) -> None:
    """1: in a fresh clone, ``checkpoint list`` says the checkpoint was never fetched
    and gives the fetch with its refspec (not "cannot be restored", not "pruned");
    ``restore HASH`` and ``resume`` say the same; pasting the fetch brings it."""
    _, c2, commit = _pushed_and_cloned(tmp_path, run)
    said = run("checkpoint", "list", agent=AGENT, cwd=c2).stderr
    assert "not in this clone (taken in another clone" in said, said
    assert FETCH in said and "cannot be restored" not in said and "pruned" not in said
    refused = run("checkpoint", "restore", commit[:12], agent=AGENT, cwd=c2, check=False)
    assert refused.returncode == 5 and FETCH in refused.stderr, refused.stderr
    assert "this session recorded it" in refused.stderr
    resumed = run("resume", agent=AGENT, cwd=c2).stdout
    advice = said.split(": it is not in this clone", 1)[1].strip()
    assert advice in " ".join(resumed.split()), (advice, resumed)  # (the one rule's words)
    assert _sh(c2, FETCH).returncode == 0
    listed = run("checkpoint", "list", agent=AGENT, cwd=c2)
    assert commit[:12] in listed.stdout and listed.stderr == "", listed
    run("checkpoint", "restore", commit[:12], "--worktree", str(tmp_path / "r"),
        agent=AGENT, cwd=c2)
    assert (tmp_path / "r" / "w").read_text() == "work\n"


def test_list_says_the_state_of_every_recorded_checkpoint(project: Path, run: Runner) -> None:
    """2 and 3: with both recorded checkpoints' refs deleted, ``list`` says of each that
    its commit is still here (with the restore); after git gc, of each that it is gone
    from this clone, the last one (its ref recorded) collected by git gc; ``restore
    HASH`` of a collected one says so and what can still be done (exit 5)."""
    first_commit(project)
    run("start", "--title", "S")
    hashes = []
    for text in ("one\n", "two\n"):
        (project / "a").write_text(text)
        run("checkpoint")
        hashes.append(git(project, "rev-parse", "--short=12", "refs/ai-protocols/checkpoints/"
                          f"default/{_clone(project)}/{len(hashes) + 1}"))
    for ref in git(project, "for-each-ref", "--format=%(refname)",
                   "refs/ai-protocols").split():
        git(project, "update-ref", "-d", ref)
    said = run("checkpoint", "list").stderr
    for number, short in enumerate(hashes, 1):
        assert re.search(rf"Note: this session records checkpoint {number} \({short}[^\n]*"
                         rf"still in this clone[^\n]*checkpoint restore {short}", said), said
    git(project, "reflog", "expire", "--expire=now", "--all")
    git(project, "gc", "-q", "--prune=now")
    said = run("checkpoint", "list").stderr
    lines = [line for line in said.splitlines() if line.startswith("Note: this session")]
    assert len(lines) == 2, said
    assert all("still in this clone" not in line for line in lines)
    assert "git gc collected its commit" in lines[1] and "taken in this clone" in lines[1]
    refused = run("checkpoint", "restore", hashes[1], check=False)
    assert refused.returncode == 5, refused.stderr
    assert "git gc collected its commit" in refused.stderr, refused.stderr
    assert "checkpoint list --all there" in refused.stderr
    shown = run("checkpoint", "show", "2", check=False)  # (N too: the session recorded it)
    assert shown.returncode == 5 and "git gc collected" in shown.stderr, shown.stderr


def _clone(root: Path) -> str:
    return (root / ".git" / "ai-protocols-clone").read_text().strip()
