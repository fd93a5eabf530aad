"""Git operations, stashes and messages, thirteenth round of issue 14 (the faults of
review 6, 8, 11, 12 and 13 of that round), with real git and the installed command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, first_commit, git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols import LogEntry, Project
from ai_protocols.session.resume import dumps

from conftest import Runner, clean_env

FILE = ".ai/session-context.org"


# -- review 6: no kept copy, a write into what git stash put back ------------------------


def test_stash_then_clean_write_warns_and_advice_brings_both_back(project: Path,
                                                                  run: Runner) -> None:
    """A committed session, an entry, plain ``git stash``, ``git clean -fdx`` (the kept
    copy gone): the next write warns that the newer version is only in the stash and
    gives the commit-then-pop procedure; ``status`` says it after; the procedure,
    pasted, brings both entries together."""
    first_commit(project)
    run("start", "--title", "CX")
    run("log", "--progress", "P0")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    run("log", "--progress", "P1-stashed")
    git(project, "stash", "-q")
    git(project, "clean", "-qfdx")
    for command in ("resume", "status"):  # (before any write too)
        before = run(command)
        assert "only in the stash" in (before.stdout + before.stderr).replace("\n", " ")
    wrote = run("log", "--progress", "P2")
    said = wrote.stderr.replace("\n", " ")
    assert "only in the stash" in said, wrote.stderr
    assert "git stash pop" in said, said
    status = run("status").stdout + run("status").stderr
    assert "only in the stash" in status.replace("\n", " "), status
    procedure = re.search(r"what is written here: (.*?)(?: \(the merge driver|$)", said)
    assert procedure, said
    done = pasted(project, " && ".join(procedure.group(1).split(", then ")))
    assert done.returncode == 0, (procedure.group(1), done.stdout, done.stderr)
    text = (project / FILE).read_text()
    assert "P1-stashed" in text and "P2" in text, text
    assert git(project, "stash", "list") == ""


def test_stash_of_another_session_then_clean_says_nothing(project: Path,
                                                          run: Runner) -> None:
    """The stash's session file is another session's (another ``SESSION_ID``): no
    warning of an older version."""
    first_commit(project)
    run("start", "--title", "A")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    run("log", "--progress", "A1")
    git(project, "stash", "-q")
    git(project, "clean", "-qfdx")
    run("wrap-up", "done")
    run("start", "--title", "B")
    wrote = run("log", "--progress", "B1")
    assert "older version" not in wrote.stderr, wrote.stderr


# -- review 8: core.autocrlf=true: the resolver and the files stay LF ------------------------


def _resolver(clone: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", ".ai/scripts/session-context-path"], cwd=clone,
                          capture_output=True, text=True, env=clean_env(**GIT_ENV))


def test_autocrlf_clone_checks_out_the_resolver_and_sessions_with_lf(project: Path,
                                                                     run: Runner) -> None:
    """A clone with ``core.autocrlf=true`` (Git for Windows's default): the resolver runs
    under sh, and every file the tool ships or writes is checked out with LF."""
    first_commit(project)
    run("start", "--title", "CR")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    clone = project.parent / "crlf"
    git(project.parent, "-c", "core.autocrlf=true", "clone", "-q", str(project), str(clone))
    done = _resolver(clone)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(clone / FILE)
    for name in (FILE, ".ai/protocols.org", ".ai/.gitignore", ".ai/.gitattributes",
                 ".ai/scripts/session-context-path"):
        assert b"\r" not in (clone / name).read_bytes(), name
    Runner(clone)("log", "--progress", "in the clone")


def test_init_gives_an_older_project_the_lf_rules(project: Path, run: Runner) -> None:
    """A project set up before the rule (its ``.ai/.gitattributes`` as shipped then, or
    changed by a person) gets the LF lines at the next ``init``, a person's lines kept;
    a resolver a CRLF checkout left is written back with LF, and runs."""
    attributes = project / ".ai/.gitattributes"
    text = attributes.read_text()
    assert "eol=lf" in text
    old = text[: text.index("# Line endings")]  # (what the shipped file held before)
    import hashlib

    marker = re.search(r"sha256=([0-9a-f]{64})", old)
    assert marker
    shipped = old.replace(marker.group(1), "@SHA256@")
    attributes.write_text(old.replace(marker.group(1),
                                      hashlib.sha256(shipped.encode()).hexdigest()))
    script = project / ".ai/scripts/session-context-path"
    script.write_bytes(script.read_bytes().replace(b"\n", b"\r\n"))
    assert _resolver(project).returncode != 0
    out = run("init").stdout
    assert f"updated: {attributes}" in out and f"updated: {script}" in out, out
    assert attributes.read_text() == text
    assert _resolver(project).returncode == 0
    mine = old + "*.txt merge=union\n"  # (a person's change: kept, the rules appended)
    attributes.write_text(mine)
    run("init")
    now = attributes.read_text()
    assert now.startswith(mine) and now.count("eol=lf") == 4, now
    assert f"kept: {attributes}" in run("init").stdout


# -- review 13: a long step or summary never pushes the key files and context out --------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=st.integers(0, 9000), summary=st.integers(0, 9000),
       files=st.integers(1, 3), facts=st.integers(1, 3),
       budget=st.integers(4096, 6000))
def test_a_long_step_or_summary_leaves_the_key_files_and_context(
        step: int, summary: int, files: int, facts: int,
        budget: int) -> None:
    """``log --current`` and ``--summary`` of any length (the step is one line or
    many): ``resume`` cuts them, and the key files and facts of context, filled first,
    are all there, in the text and the JSON, within the bound."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch).resolve()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        ai_protocols.init_project(root)
        project = Project(root)
        project.start(title="Long")
        for n in range(files):
            (root / f"k{n}.txt").write_text("k\n")
        project.log(*(LogEntry("key-file", str(root / f"k{n}.txt")) for n in range(files)),
                    *(LogEntry("context", f"fact number {n}") for n in range(facts)))
        if step:
            project.log(LogEntry("current", ("step " * (step // 5 + 1)).strip()))
        if summary:
            project.log(LogEntry("summary", "sum\n" * (summary // 4 + 1)))
        context = project.resume()
        context.max_bytes = budget
        text = context.to_text()
        assert len(text.encode()) <= budget
        for n in range(files):
            assert f"k{n}.txt" in text, text
        for n in range(facts):
            assert f"fact number {n}" in text, text
        data = context.to_json()
        assert len(dumps(data).encode()) + 1 <= budget
        assert len(data["key_files"]) == files and len(data["context"]) == facts


def test_resume_of_a_5000_character_step_keeps_the_key_file(project: Path,
                                                            run: Runner) -> None:
    """The reviewer's case through the command: ``--current`` of 5,000 characters."""
    (project / "a.txt").write_text("a\n")
    run("start", "--title", "S", "--objective", "obj")
    run("log", "--key-file", "a.txt", "--context", "keep this fact")
    run("log", "--current", "x" * 5000)
    out = run("resume").stdout
    assert "a.txt" in out and "keep this fact" in out and "Left out" not in out, out


# -- review 12: every change of branch or detached HEAD recorded writes its moved: line ----


def _moved(project: Path) -> list[str]:
    return re.findall(r"moved: from .*", (project / FILE).read_text())


def test_detached_to_its_branch_at_the_same_commit_writes_moved(project: Path,
                                                               run: Runner) -> None:
    """A write on a detached ``HEAD``, then ``git switch main`` at the same commit: the
    next write records the move back, as the move away was recorded."""
    first_commit(project)
    run("start", "--title", "HM")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    git(project, "switch", "-q", "--detach")
    run("log", "--progress", "detached")
    head = git(project, "rev-parse", "HEAD")
    git(project, "switch", "-q", "-C", "main")  # (the same commit, the file's changes kept)
    run("log", "--progress", "on main")
    moved = _moved(project)
    assert moved[-1] == f"moved: from a detached HEAD at {head} to branch main at {head}", moved


def test_bisect_then_reset_and_merge_kept_writes_the_moved_line_back(project: Path,
                                                                      run: Runner) -> None:
    """The reviewer's bisect procedure: a write during the bisect records the move to the
    detached ``HEAD``; after ``git bisect reset``, ``git stash pop`` and ``merge-kept``,
    the move back to main is recorded too."""
    first_commit(project)
    run("start", "--title", "BI")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    for n in range(1, 5):
        (project / f"f{n}").write_text(f"{n}\n")
        git(project, "add", f"f{n}")
        git(project, "commit", "-qm", f"c{n}")
    tip = git(project, "rev-parse", "HEAD")
    run("log", "--progress", "P1-stashed")
    git(project, "stash", "-q")
    git(project, "bisect", "start", "HEAD", "HEAD~4")
    run("log", "--progress", "P2-during-bisect")
    git(project, "checkout", "--", FILE)
    git(project, "bisect", "reset")
    git(project, "stash", "pop", "-q")
    run("merge-kept", FILE)
    text = (project / FILE).read_text()
    assert "P1-stashed" in text and "P2-during-bisect" in text
    moved = _moved(project)
    branch = git(project, "branch", "--show-current")
    assert moved[-1].startswith("moved: from a detached HEAD at ") and \
        moved[-1].endswith(f" to branch {branch} at {tip}"), moved


# -- review 11: the older version's counts by kind, and no cause said that is not known ----


def test_older_version_counts_by_kind_and_a_reword_is_no_write(project: Path,
                                                                run: Runner) -> None:
    """A committed version put back over one that holds a Progress entry, a tick and
    its ``done:`` Log line more, and a person rewords an item in it: ``status`` counts
    1 entry, 1 tick and 1 Log line, and says the next write merges. The next write takes it
    for a buffer opened on the committed version and saved over the tool's write (the
    kept copy is a copy of its own since the seventeenth round) and merges the three:
    the reword and every entry of the newer one are kept, and it says so."""
    first_commit(project)
    run("start", "--title", "S")
    run("log", "--progress", "P1", "--next", "N1", "--next", "N2")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    run("log", "--progress", "P2", "--done", "N1")
    git(project, "checkout", "--", FILE)
    path = project / FILE
    path.write_text(path.read_text().replace("] N2\n", "] N2 reworded\n"))
    said = (run("status").stdout + run("status").stderr).replace("\n", " ")
    said = re.sub(r"\s+", " ", said)
    # (twentieth round: status says what the next write does, by the write's own rule)
    assert "it lacks 1 entry, 1 tick and 1 Log line that git brought or ai-protocols wrote " \
        "since (" in said and "the version ai-protocols wrote last, holds them)" in said, said
    assert "the next write here merges the two on its own, with what git's HEAD holds and " \
        "what was typed" in said, said
    assert "1 entry the newer one lacks" not in said, said
    written = run("log", "--progress", "x")
    assert "merged back" in written.stderr, written.stderr
    text = path.read_text()
    for kept in ("] P2\n", "] N1\n", "] N2 reworded\n", "] x\n"):
        assert kept in text, (kept, text)
    assert "] N2\n" not in text, text
    assert re.search(r"(?m)^- \[X\] \[[^]]*\] N1$", text), text  # (the tick)
    assert "] done: " in text, text  # (its Log line)


def test_older_version_lacking_only_a_progress_entry_says_so(project: Path,
                                                            run: Runner) -> None:
    """The issue-16 review's case: the Log sections are the same and a Progress item is
    missing: ``1 entry``, not ``1 Log entry``."""
    first_commit(project)
    run("start", "--title", "S")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    run("log", "--progress", "only progress")
    git(project, "checkout", "--", FILE)
    said = re.sub(r"\s+", " ", run("status").stdout + run("status").stderr)
    assert "it lacks 1 entry of the newer one" in said, said
