"""Issue 14, sixteenth round (git): faults a fresh reviewer found in checkpoints, pauses
and merges, each the reviewer's case run as a test. Real git, the installed console
script (docs/decisions.md, "Issue 14, sixteenth round (git)")."""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from gitkit import GIT_ENV, commit_all, first_commit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(**GIT_ENV, **env), timeout=60)


def _git_done(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True,
                          env={**os.environ, **GIT_ENV, **env})


# -- 1. a split index: the temporary index never touches the user's --------------------------


def _index_state(repo: Path) -> tuple[bytes, bytes, bytes, list[str]]:
    # (GIT_OPTIONAL_LOCKS=0: git's reads here never refresh the index they measure)
    status = _git_done(repo, "status", "--porcelain", GIT_OPTIONAL_LOCKS="0")
    cached = _git_done(repo, "diff", "--cached", GIT_OPTIONAL_LOCKS="0")
    assert status.returncode == 0 and cached.returncode == 0, status.stderr + cached.stderr
    return ((repo / ".git/index").read_bytes(), status.stdout, cached.stdout,
            sorted(n for n in os.listdir(repo / ".git") if n.startswith("sharedindex.")))


@pytest.mark.parametrize("configured", [True, False], ids=["core.splitIndex", "--split-index"])
def test_a_checkpoint_and_a_restore_leave_a_split_index_and_its_shared_index(
        repo: Path, run: Runner, configured: bool) -> None:
    """The reviewer's case: with a split index (``core.splitIndex true``, or only
    ``git update-index --split-index``), ``splitIndex.sharedIndexExpire=now`` and
    ``maxPercentChange=1`` (every write makes a new shared index), work staged and
    unstaged: a checkpoint, then a restore in place, leave ``.git/index``'s bytes,
    ``git status`` and ``git diff --cached`` as they were, the shared index it needs in
    place, and no other ``sharedindex.*`` (the temporary index was a link to the user's:
    git wrote it split, made a shared index and expired the user's)."""
    for i in range(30):
        (repo / f"f{i}").write_text(f"{i}\n")
    commit_all(repo, "i")
    if configured:
        git(repo, "config", "core.splitIndex", "true")
    git(repo, "config", "splitIndex.sharedIndexExpire", "now")
    git(repo, "config", "splitIndex.maxPercentChange", "1")
    git(repo, "update-index", "--split-index")
    run("start", "--title", "split")
    with open(repo / "f1", "a") as f:
        f.write("staged version\n")
    git(repo, "add", "f1")
    with open(repo / "f1", "a") as f:
        f.write("later unstaged edit\n")
    for i in range(2, 25):
        with open(repo / f"f{i}", "a") as f:
            f.write("x\n")
    _git_done(repo, "status")  # (git's own write of the index, settled before)
    before = _index_state(repo)
    assert before[3], "the index is not split: the test tests nothing"
    run("checkpoint", "--note", "many edits")
    assert _index_state(repo) == before
    (repo / "f26").write_text("changed\n")  # (held by checkpoint 2: restore 1 writes it)
    run("checkpoint", "--note", "f26")
    changed = _index_state(repo)
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "f26").read_text() == "26\n"
    after = _index_state(repo)
    assert after[0] == changed[0] and after[1:] == before[1:]
    assert not [n for n in os.listdir(repo / ".git") if n.startswith("ai-protocols-checkpoint")]


# -- 2. modes follow content's rule: kept by a checkpoint ------------------------------------


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def test_restoring_one_checkpoint_then_another_that_differ_in_a_mode_only(
        repo: Path, run: Runner) -> None:
    """The reviewer's case: checkpoint 1 holds a.txt executable, checkpoint 2 not;
    ``restore 1 --force`` then ``restore 2 --force`` (and back) each give that
    checkpoint's mode: the mode in the work tree is held by a checkpoint, as content
    held by one is (before: refused, exit 15)."""
    first_commit(repo)
    (repo / "a.txt").write_text("a\n")
    commit_all(repo, "a")
    run("start", "--title", "modes")
    os.chmod(repo / "a.txt", 0o755)
    run("checkpoint", "--note", "exec")
    os.chmod(repo / "a.txt", 0o644)
    (repo / "b.txt").write_text("b\n")
    run("checkpoint", "--note", "plain")
    for number, executable in (("1", True), ("2", False), ("1", True), ("2", False)):
        done = run("checkpoint", "restore", number, "--force", check=False)
        assert done.returncode == 0, done.stderr
        assert _executable(repo / "a.txt") is executable


def test_a_mode_no_place_keeps_is_refused_and_said_to_be_the_mode(repo: Path,
                                                                  run: Runner) -> None:
    """A chmod +x of a file whose content HEAD and the index hold, kept by no
    checkpoint, is work the work tree alone holds: ``restore --force`` of a checkpoint
    that writes that file is refused (exit 15, nothing changed), saying that only the
    mode is not kept elsewhere."""
    first_commit(repo)
    (repo / "a.txt").write_text("a\n")
    commit_all(repo, "a")
    run("start", "--title", "modes")
    (repo / "a.txt").write_text("b\n")
    run("checkpoint")
    (repo / "a.txt").write_text("a\n")
    os.chmod(repo / "a.txt", 0o755)
    done = run("checkpoint", "restore", "1", "--force", check=False)
    assert done.returncode == 15, done.stderr
    assert "a.txt" in done.stderr and "only the file mode" in done.stderr, done.stderr
    assert (repo / "a.txt").read_text() == "a\n" and _executable(repo / "a.txt")


# -- 3. every write of a session file configures the merge driver ----------------------------


@pytest.mark.parametrize("write", [("log", "--progress", "B1"), ("checkpoint",),
                                   ("pause", "--no-checkpoint")],
                         ids=["log", "checkpoint", "pause"])
def test_a_fresh_clones_first_write_configures_the_merge_driver(
        tmp_path: Path, write: tuple[str, ...]) -> None:
    """The reviewer's case: clone A commits a session; clone B, fresh (git clones no
    local configuration), writes it first with ``log`` (or ``checkpoint``, ``pause``),
    never ``start``: the write configures the driver and says so once; A and B both
    change the file and B's pull merges it entry by entry, without a conflict."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a, b = tmp_path / "A", tmp_path / "B"
    (a / "x").write_text("x\n")
    assert _run(a, "init").returncode == 0
    assert _run(a, "start", "--title", "S").returncode == 0
    commit_all(a, "s")
    git(a, "push", "-q", "origin", "HEAD:master")
    git(tmp_path, "clone", "-q", "origin.git", "B")
    assert _run(a, "log", "--progress", "A1").returncode == 0
    commit_all(a, "A1")
    git(a, "push", "-q", "origin", "HEAD:master")
    assert git(b, "config", "--get", "merge.ai-protocols.driver", check=False) == ""
    done = _run(b, *write)
    assert done.returncode == 0, done.stderr
    assert "configured it in" in done.stderr, done.stderr
    assert "merge-driver" in git(b, "config", "--get", "merge.ai-protocols.driver")
    again = _run(b, "log", "--progress", "B2")
    assert "configured" not in again.stderr, again.stderr
    commit_all(b, "B")
    pulled = _git_done(b, "pull", "-q", "--no-rebase", "origin", "master")
    assert pulled.returncode == 0, pulled.stderr
    text = (b / ".ai/session-context.org").read_text()
    assert "A1" in text and "B2" in text and "<<<<<<<" not in text


# -- 4. relative GIT_DIR and GIT_WORK_TREE, a GIT_DIR naming nothing ---------------------------


def test_relative_git_dir_and_work_tree_are_read_from_the_callers_folder(repo: Path,
                                                                        run: Runner) -> None:
    """The reviewer's case: from ``repo/sub``, ``GIT_DIR=../.git GIT_WORK_TREE=..`` is
    valid for git; checkpoint takes the checkpoint and resume reads git's state (before:
    "not in a git work tree", exit 14). ``GIT_DIR=/nonexistent`` is refused saying
    GIT_DIR names no repository, nothing made."""
    first_commit(repo)
    (repo / "sub").mkdir()
    run("start", "--title", "rel")
    with open(repo / "a", "a") as f:
        f.write("edit\n")
    sub = repo / "sub"
    done = _run(sub, "checkpoint", "--note", "x", GIT_DIR="../.git", GIT_WORK_TREE="..")
    assert done.returncode == 0, done.stderr
    assert git(repo, "for-each-ref", "refs/ai-protocols/")
    assert git(repo, "show", f"{done.stdout.split()[2].rstrip(':')}:a") == "a\nedit"
    resumed = _run(sub, "resume", GIT_DIR="../.git", GIT_WORK_TREE="..")
    assert "Git: not a git work tree" not in resumed.stdout, resumed.stdout
    assert "1 changed" in resumed.stdout, resumed.stdout
    refs = git(repo, "for-each-ref", "refs/ai-protocols/")
    wrong = _run(sub, "checkpoint", "--note", "y", GIT_DIR="/nonexistent")
    assert wrong.returncode == 14
    assert "GIT_DIR=/nonexistent names no git repository" in wrong.stderr, wrong.stderr
    assert git(repo, "for-each-ref", "refs/ai-protocols/") == refs
    said = _run(sub, "resume", GIT_DIR="/nonexistent").stdout
    assert "GIT_DIR=/nonexistent names no git repository" in said, said


# -- 5. start --title OTHER on a paused session ------------------------------------------------


def test_start_with_another_title_refuses_to_resume_the_paused_session(repo: Path,
                                                                      run: Runner) -> None:
    """The issue's own case: pause the refactoring to fix an urgent bug. ``start --title
    'Urgent bug' --objective B`` refuses (exit 4), changes nothing, and names what
    resumes the paused session and how to begin the other work beside it; that way
    works (its own file) and leaves the paused session paused; ``start`` alone then
    resumes it."""
    first_commit(repo)
    run("start", "--title", "Refactor", "--objective", "refactor the parser")
    run("log", "--progress", "half done")
    run("pause", "--no-checkpoint", "--note", "urgent bug first")
    path = repo / ".ai/session-context.org"
    before = path.read_bytes()
    done = run("start", "--title", "Urgent bug", "--objective", "fix the crash", check=False)
    assert done.returncode == 4, done.stderr
    assert path.read_bytes() == before
    assert "'ai-protocols start'" in done.stderr and "AI_AGENT_ID=" in done.stderr
    assert "nothing was changed" in done.stderr
    other = run("start", "--title", "Urgent bug", "--objective", "fix the crash",
                agent="urgent")
    assert other.returncode == 0
    assert path.read_bytes() == before
    assert ":OBJECTIVE: fix the crash" in (repo / ".ai/session-context.d/urgent.org").read_text()
    run("start", "--title", "Refactor")  # its own title: resumes it
    text = path.read_text()
    assert ":STATUS:   active" in text and ":OBJECTIVE: refactor the parser" in text


# -- 6. a rebase whose conflict was resolved ---------------------------------------------------


def _rebase_with_a_conflict(repo: Path, run: Runner) -> None:
    git(repo, "checkout", "-q", "-b", "main")
    (repo / "c").write_text("base\n")
    (repo / "other").write_text("o\n")
    commit_all(repo, "i")
    run("init")
    with open(repo / ".git/info/exclude", "a") as f:
        f.write(".ai/session-context.org\n")
    commit_all(repo, "ai")
    git(repo, "switch", "-q", "-c", "feat")
    (repo / "c").write_text("feat\n")
    commit_all(repo, "feat")
    (repo / "f2").write_text("f2\n")
    commit_all(repo, "f2")
    git(repo, "switch", "-q", "main")
    (repo / "c").write_text("main\n")
    commit_all(repo, "main")
    git(repo, "switch", "-q", "feat")
    run("start", "--title", "rbs")
    assert _git_done(repo, "rebase", "main").returncode != 0  # (the conflict on c)


def test_a_rebase_finished_after_its_conflict_was_resolved_is_no_lost_work(
        repo: Path, run: Runner) -> None:
    """The reviewer's case: the agent resolves a rebase's conflict (logging and taking a
    checkpoint while it is stopped), the rebase finishes: resume gives no warning that
    the work may be lost, nor advice to get it back (its reflog records the rebase)."""
    _rebase_with_a_conflict(repo, run)
    (repo / "c").write_text("resolved\n")
    git(repo, "add", "c")
    (repo / "w").write_text("wip\n")
    run("log", "--progress", "resolving c")
    run("checkpoint", "--note", "mid rebase")
    assert _git_done(repo, "rebase", "--continue", GIT_EDITOR="true").returncode == 0
    said = run("resume").stdout
    assert "does not descend" not in said and "git switch -c" not in said, said


def test_a_branch_reset_to_another_line_is_still_said(repo: Path, run: Runner) -> None:
    """The other side of the rule: the rebase aborted and the branch reset to main's
    line (no rebase finished from the recorded commit): resume still says HEAD does not
    descend from the commit recorded, and how to get it back."""
    _rebase_with_a_conflict(repo, run)
    git(repo, "rebase", "--abort")
    git(repo, "reset", "-q", "--hard", "main")
    said = run("resume").stdout
    assert "does not descend" in said and "git switch -c" in said, said


# -- 7. export: tar headers as git archive writes them ----------------------------------------


def _listing(tgz: Path) -> tuple[str, str]:
    done = subprocess.run(["tar", "tvzf", str(tgz), "--full-time"], capture_output=True)
    return (done.stdout.decode("latin-1"), done.stderr.decode("latin-1"))


def _export_matches_git_archive(repo: Path, names: list[bytes], out: Path) -> None:
    """Each of ``names`` (``/``-separated bytes) made a file (a name starting ``L:``
    a symbolic link to the rest), a checkpoint taken and exported: GNU tar lists it as
    it lists git archive's tar of the same commit, and warns of nothing; Python's
    tarfile reads each name back as its bytes."""
    for name in names:
        target = repo / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.rsplit(b"/", 1)[-1].startswith(b"L:"):
            os.symlink(os.fsdecode(name.rsplit(b"/", 1)[-1][2:] * 3), target)
        else:
            target.write_bytes(b"content of " + name + b"\n")
    done = _run(repo, "checkpoint")
    assert done.returncode == 0, done.stderr
    commit = git(repo, "for-each-ref", "--sort=-creatordate", "--count=1",
                 "--format=%(objectname)", "refs/ai-protocols/")
    ours, theirs = out / "ours.tgz", out / "theirs.tgz"
    for f in (ours, theirs):
        f.unlink(missing_ok=True)
    number = done.stdout.split()[1]
    assert _run(repo, "checkpoint", "export", number, str(ours)).returncode == 0
    with tarfile.open(ours) as tar:
        members = tar.getmembers()
        prefix = members[0].name
        read = {os.fsencode(m.name) for m in members}
    git(repo, "archive", "--format=tar.gz", f"--prefix={prefix}/", "-o", str(theirs), commit)
    listed, warned = _listing(ours)
    assert warned == "", warned
    assert (listed, warned) == _listing(theirs)
    for name in names:
        assert os.fsencode(prefix) + b"/" + name in read


def test_export_names_and_links_are_git_archives(repo: Path, tmp_path: Path) -> None:
    """The reviewer's case (a name that is not UTF-8: Python wrote a pax
    ``hdrcharset``, GNU tar warned), and names of every length: UTF-8, long enough for
    the prefix field, too long for it (a pax ``path``), a symbolic link past 100 bytes
    (a pax ``linkpath``)."""
    first_commit(repo)
    assert _run(repo, "start", "--title", "names").returncode == 0
    _export_matches_git_archive(repo, [
        b"bad\xffname", "é.txt".encode(), b"d" * 120 + b"/" + b"f" * 50,
        b"m" * 60 + b"/" + b"g" * 150, b"x\xfe/" + b"h" * 110, b"L:" + b"t" * 60,
        b"p" * 160 + b"/q" * 3 + b"/" + b"r" * 90], tmp_path)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(min_size=1, max_size=120).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..") and
    not b.startswith(b".") and not b.endswith(b"~") and b"#" not in b and
    not b.startswith(b"L:")), min_size=1, max_size=3, unique=True),
    st.integers(min_value=0, max_value=200))
def test_any_name_exports_as_git_archive_lists_it(tmp_path_factory: pytest.TempPathFactory,
                                                  names: list[bytes], depth: int) -> None:
    """Any file names (bytes, not UTF-8 too), under a folder of any length: the export
    lists as git archive's tar of the same commit, without a warning."""
    root = tmp_path_factory.mktemp("names")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    first_commit(repo)
    assert _run(repo, "start", "--title", "names").returncode == 0
    folder = (b"k" * depth + b"/") if depth else b""
    _export_matches_git_archive(repo, [folder + n for n in names], root)


# -- minor: an Emacs lock on a file the restore would remove -----------------------------------


def test_an_emacs_buffer_on_a_file_the_restore_would_remove_says_remove(
        repo: Path, run: Runner) -> None:
    """b.txt, new since checkpoint 1 and held by checkpoint 2, would be removed by
    ``restore 1 --force``; a live Emacs lock beside it refuses the restore (15, nothing
    changed), saying the restore would remove it, not write it."""
    import socket

    first_commit(repo)
    run("start", "--title", "lock")
    run("checkpoint")
    (repo / "b.txt").write_text("b\n")
    run("checkpoint")
    holder = subprocess.Popen(["sleep", "300"])
    try:
        with open("/proc/stat") as proc:
            boot = next(line.split()[1] for line in proc if line.startswith("btime"))
        os.symlink(f"me@{socket.gethostname()}.{holder.pid}:{boot}", repo / ".#b.txt")
        done = run("checkpoint", "restore", "1", "--force", check=False)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 15, done.stderr
    assert "b.txt, which the restore would remove" in done.stderr, done.stderr
    assert (repo / "b.txt").read_text() == "b\n"


def test_a_note_refused_for_a_control_character_names_its_line(repo: Path,
                                                              run: Runner) -> None:
    """A note of several lines (``checkpoint --note``) holding an escape on its third
    line is refused (exit 4, no checkpoint) naming the character and the line."""
    first_commit(repo)
    run("start", "--title", "note")
    done = run("checkpoint", "--note", "one\ntwo\nth\x1bree", check=False)
    assert done.returncode == 4, done.stderr
    assert "a control character (byte 0x1B) (line 3 of 3)" in done.stderr, done.stderr
    assert git(repo, "for-each-ref", "refs/ai-protocols/") == ""


def test_restore_in_place_of_a_checkpoint_taken_on_another_commit_says_so(
        repo: Path, run: Runner) -> None:
    """A checkpoint taken on branch main, restored with ``--force`` on branch feat whose
    commit added feat.txt: the restore removes feat.txt (the checkpoint has no such
    file) and says first that the checkpoint was taken on another commit and that a
    committed file was removed, with the command that gives it back (run: it does)."""
    first_commit(repo)
    run("start", "--title", "elsewhere")
    (repo / "w.txt").write_text("w\n")
    run("checkpoint")
    os.remove(repo / "w.txt")
    git(repo, "switch", "-q", "-c", "feat")
    (repo / "feat.txt").write_text("feat\n")
    commit_all(repo, "feat")
    done = run("checkpoint", "restore", "1", "--force")
    first = done.stderr.splitlines()[0]
    assert first.startswith("Note: checkpoint ") and "not on HEAD" in first, done.stderr
    assert "1 path HEAD has was removed" in first, done.stderr
    assert not (repo / "feat.txt").exists() and (repo / "w.txt").exists()
    git(repo, "checkout", "HEAD", "--", "feat.txt")
    assert (repo / "feat.txt").read_text() == "feat\n"
    again = run("checkpoint", "restore", "1", "--force", check=False)
    assert "Note: checkpoint" in again.stderr  # (still another commit: said again)
