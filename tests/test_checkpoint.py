"""``ai-protocols checkpoint``: the work tree kept in git, and put back.

The installed command runs as a real subprocess in temporary git repositories,
with real clones and a bare remote. Around every command, the user's git state
is compared byte for byte: ``git status --porcelain=v2`` (run without optional
locks, so that the comparison itself refreshes nothing), the bytes of
``.git/index``, ``HEAD`` and the refs of branches and the stash. The property
test takes and restores checkpoints of files with odd names through the
library, for speed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import CheckpointRefused
from ai_protocols.git.checkpoint import Checkpoints
from ai_protocols.git.spawn import EMACS_FILES

from conftest import Runner

GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
ME = "me.proj.claude.1800000000"


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          input=input,
                          env={**os.environ, **GIT_ENV, "GIT_OPTIONAL_LOCKS": "0"}
                          ).stdout.decode("utf-8", "surrogateescape").strip()


def cref(root: Path, number: int, agent: str = ME) -> str:
    """The ref of checkpoint ``number`` of ``agent`` taken in the clone at ``root``."""
    clone = (root / ".git" / "ai-protocols-clone").read_text().strip()
    return f"refs/ai-protocols/checkpoints/{agent}/{clone}/{number}"


def git_state(root: Path) -> dict[str, bytes | str]:
    """What the user's git holds, byte for byte: status, index, HEAD, branches, stash."""
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain=v2", "--branch",
                             "-z", "--untracked-files=all"], check=True, capture_output=True,
                            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}).stdout
    dot_git = root / ".git"
    index = dot_git / "index"
    return {"status": status, "index": index.read_bytes() if index.exists() else b"(none)",
            "HEAD": (dot_git / "HEAD").read_bytes(),
            "refs": git(root, "for-each-ref", "--format=%(refname) %(objectname)",
                        "refs/heads", "refs/stash", "refs/tags")}


def files_of(root: Path, leave_out: tuple[str, ...] = (".ai/session-context",)) -> dict[str, bytes]:
    """Every file of the work tree but .git, ignored files and the session files, by
    path: what a checkpoint is to give back."""
    ignored = set(git(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard",
                      "--directory").split("\0"))
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if rel in ignored or any(rel.startswith(i) for i in ignored if i.endswith("/")) \
                    or rel.startswith(leave_out) or rel == ".git":
                continue
            found[rel] = path.read_bytes()
    return found


def make_work(repo: Path) -> None:
    """A repository with a commit, then a staged change, an unstaged change, a deleted
    file, an untracked file and an ignored one."""
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    (repo / ".gitignore").write_text("*.log\n")
    for name in ("a.txt", "b.txt", "gone.txt", "sub/c.txt"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text(f"{name} one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Base")
    (repo / "a.txt").write_text("a staged\n")
    git(repo, "add", "a.txt")
    (repo / "a.txt").write_text("a staged, then edited\n")
    (repo / "b.txt").write_text("b edited\n")
    (repo / "gone.txt").unlink()
    (repo / "sub/new file.txt").write_text("untracked\n")
    (repo / "build.log").write_text("ignored\n")


def test_a_checkpoint_restored_into_a_new_worktree_is_the_tree_as_it_was(
        project: Path, run: Runner, tmp_path: Path) -> None:
    make_work(project)
    run("start", "--title", "Refactor", agent=ME)
    before = git_state(project)
    at_checkpoint = files_of(project)
    taken = run("checkpoint", "--note", "before refactor", agent=ME)
    assert git_state(project) == before
    assert files_of(project) == at_checkpoint
    assert taken.stdout.startswith("Checkpoint 1 ")
    ref = cref(project, 1)
    assert f"  ref: {ref}\n" in taken.stdout
    assert git(project, "rev-parse", f"{ref}^") == git(project, "rev-parse", "HEAD")
    assert "build.log" not in git(project, "ls-tree", "-r", "--name-only", ref)

    (project / "b.txt").write_text("b after the refactor\n")  # more edits
    (project / "later.txt").write_text("later\n")
    before = git_state(project)
    for args in (("checkpoint", "list"), ("checkpoint", "list", "--json"),
                 ("checkpoint", "show", "1")):
        run(*args, agent=ME)
        assert git_state(project) == before
    target = tmp_path / "restored"
    out = run("checkpoint", "restore", "1", "--worktree", str(target), agent=ME)
    assert out.stderr.rstrip().endswith(f"remove it with: git worktree remove --force {target}")
    assert git_state(project) == before
    assert out.stdout == f"{target}\n"
    assert files_of(target) == at_checkpoint
    # Its HEAD is the commit the checkpoint was taken on; the work is uncommitted again.
    assert git(target, "rev-parse", "HEAD") == git(project, "rev-parse", "HEAD")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=target, capture_output=True, text=True, check=True).stdout
    assert sorted(status.splitlines()) == [' D gone.txt', ' M a.txt', ' M b.txt',
                                           '?? "sub/new file.txt"']


def test_the_checkpoint_is_recorded_in_the_session(project: Path, run: Runner) -> None:
    make_work(project)
    run("start", agent=ME)
    run("checkpoint", "--note", "before refactor", agent=ME)
    shown = run("show", "--json", agent=ME).stdout
    data = json.loads(shown)
    commit = git(project, "rev-parse", cref(project, 1))
    assert data["checkpoint"] == {"ref": cref(project, 1),
                                  "commit": commit, "base": git(project, "rev-parse", "HEAD"),
                                  "files": 4}
    assert data["git_branch"] == "main"
    assert data["log"][-1]["kind"] == "checkpoint"
    assert data["log"][-1]["text"] == f"1 {commit[:12]} (4 files uncommitted): before refactor"
    assert f"  checkpoint: {cref(project, 1)} ({commit[:12]}, 4 uncommitted)" \
        in run("show", agent=ME).stdout
    listed = json.loads(run("checkpoint", "list", "--json", agent=ME).stdout)
    assert [(c["number"], c["note"], c["files"], c["commit"]) for c in listed] == \
        [(1, "before refactor", 4, commit)]
    (project / "note.txt").write_text("from a file\n")
    run("checkpoint", "--note", "@note.txt", agent=ME)
    assert json.loads(run("checkpoint", "list", "--json", agent=ME).stdout)[1]["note"] == \
        "from a file"
    subprocess.run(["git", "update-ref", "-d", cref(project, 2)],
                   cwd=project, check=True)
    (project / "note.txt").unlink()
    run("checkpoint", agent=ME)  # without a note
    second = json.loads(run("checkpoint", "list", "--json", agent=ME).stdout)[1]
    assert (second["number"], second["note"]) == (3, None)  # (never 2 again: fault 3)
    shown = run("checkpoint", "show", "3", agent=ME).stdout
    assert "Against checkpoint 1" in shown and ": the same files" in shown
    assert "4 paths differ" in shown


def test_without_a_session_the_checkpoint_is_taken_and_says_it_was_not_recorded(
        project: Path, run: Runner) -> None:
    make_work(project)
    out = run("checkpoint", agent=ME)
    assert "Note: the checkpoint was taken but not recorded in a session: there is no " \
           "session file" in out.stderr
    assert git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/") == \
        cref(project, 1)


def test_before_the_first_commit(project: Path, run: Runner, tmp_path: Path) -> None:
    (project / "a.txt").write_text("a\n")
    before = git_state(project)
    run("checkpoint", "--note", "unborn")
    assert git_state(project) == before
    ref = cref(project, 1, "default")
    assert git(project, "log", "--format=%P", "-1", ref) == ""  # no parent
    target = tmp_path / "restored"
    run("checkpoint", "restore", "1", "--worktree", str(target))
    assert files_of(target) == files_of(project)


def test_restore_in_place_only_over_nothing_uncommitted(project: Path, run: Runner) -> None:
    make_work(project)
    run("start", agent=ME)
    at_checkpoint = files_of(project)
    run("checkpoint", agent=ME)
    (project / "b.txt").write_text("b changed again\n")  # uncommitted, and in the checkpoint
    before, files = git_state(project), files_of(project, ())
    refused = run("checkpoint", "restore", "1", "--force", agent=ME, check=False)
    assert refused.returncode == 15
    assert refused.stderr == (f"Error: cannot restore to {project}: it would overwrite "
                              "uncommitted, untracked or ignored work in b.txt; keep it "
                              "first: take a checkpoint (ai-protocols checkpoint), which "
                              "records it (but a file git ignores: move that), or commit or "
                              "move it; then restore again (or restore into a new worktree, "
                              "without --force); nothing was changed\n")
    assert git_state(project) == before and files_of(project, ()) == files

    # Once the work is committed, in place is allowed: HEAD and the index stay.
    git(project, "add", "-A")
    git(project, "commit", "-qm", "The refactor")
    (project / "notes.txt").write_text("untracked, and not in the checkpoint: kept\n")
    before = git_state(project)
    session = (project / f".ai/session-context.d/{ME}.org").read_bytes()
    out = run("checkpoint", "restore", "1", "--force", agent=ME)
    assert out.stdout == f"{project}\n"
    assert "Kept 1 path that the checkpoint does not have, whose work is kept nowhere " \
        "else (or a submodule's folder):\n" \
        "  notes.txt\n" in out.stderr
    after = git_state(project)
    assert (after["index"], after["HEAD"], after["refs"]) == \
        (before["index"], before["HEAD"], before["refs"])
    now = files_of(project)
    assert now.pop("notes.txt") == b"untracked, and not in the checkpoint: kept\n"
    assert now == at_checkpoint
    assert (project / f".ai/session-context.d/{ME}.org").read_bytes() == session


def test_restore_on_a_new_branch_and_what_it_refuses(project: Path, run: Runner,
                                                     tmp_path: Path) -> None:
    make_work(project)
    run("checkpoint")
    out = run("checkpoint", "restore", "1", "--branch", "rescued", "--worktree",
              str(tmp_path / "w"))
    assert git(tmp_path / "w", "symbolic-ref", "--short", "HEAD") == "rescued"
    assert "on the new branch rescued" in out.stderr
    for args, code, said in (
            (("--worktree", str(tmp_path / "w")), 15, "it exists already"),
            (("--branch", "rescued", "--worktree", str(tmp_path / "w2")), 15,
             "that branch exists already"),
            (("--force", "--branch", "x"), 2, "--force restores into this work tree")):
        refused = run("checkpoint", "restore", "1", *args, check=False)
        assert refused.returncode == code and said in refused.stderr
    assert not (tmp_path / "w2").exists()
    default = project.parent / f"{project.name}-checkpoint-default-1"
    assert run("checkpoint", "restore", "1").stdout == f"{default}\n"
    assert files_of(default) == files_of(tmp_path / "w")


def test_refs_by_number_agent_ref_and_hash_and_bad_ones(project: Path, run: Runner) -> None:
    make_work(project)
    run("checkpoint", agent=ME)
    run("checkpoint", agent="other.proj.codex.1800000001")
    commit = git(project, "rev-parse", cref(project, 1))
    clone = (project / ".git/ai-protocols-clone").read_text().strip()
    for name in ("1", f"{ME}/1", f"{ME}/{clone}/1", cref(project, 1), commit[:7], commit):
        assert run("checkpoint", "show", name, agent=ME).stdout.startswith(
            f"Checkpoint {ME}/{clone}/1 {commit}\n")
    assert len(json.loads(run("checkpoint", "list", "--all", "--json").stdout)) == 2
    assert json.loads(run("checkpoint", "list", "--json").stdout) == []  # no id: none
    for name, why in (("2", f"there is no ref {cref(project, 2)}"),
                      ("HEAD", "give N"), ("--all", "give N"), ("abcdef0", "no checkpoint's"),
                      ("refs/heads/main", "give N"), ("1 2", "give N")):
        refused = run("checkpoint", "show", "--", name, agent=ME, check=False)
        assert refused.returncode == 5, (name, refused.stderr)
        assert why in refused.stderr and "checkpoint list --all" in refused.stderr


def test_export_is_a_portable_restore_point(project: Path, run: Runner,
                                            tmp_path: Path) -> None:
    make_work(project)
    at_checkpoint = files_of(project, ())  # (no session file here)
    run("checkpoint")
    target = tmp_path / "point.tar.gz"
    before = git_state(project)
    assert run("checkpoint", "export", "1", str(target)).stdout == f"{target}\n"
    assert git_state(project) == before
    with tarfile.open(target) as archive:
        archive.extractall(tmp_path / "x", filter="data")
    assert _all_files(tmp_path / "x" / f"{project.name}-checkpoint-default-1") == at_checkpoint
    data = target.read_bytes()
    refused = run("checkpoint", "export", "1", str(target), check=False)
    assert refused.returncode == 15 and "exists already" in refused.stderr
    assert refused.stderr.startswith(f"Error: cannot export to {target}: ")  # (not "restore")
    assert target.read_bytes() == data
    assert not list(tmp_path.glob(".*.tmp"))
    # Small faults of the review: '-' made a file named '-'; any extension was taken.
    for name in ("-", str(tmp_path / "point.zip"), str(tmp_path / "point.tar")):
        refused = run("checkpoint", "export", "1", name, check=False, cwd=project)
        assert refused.returncode == 15, (name, refused.stderr)
        assert ".tar.gz" in refused.stderr
    assert not (project / "-").exists() and not (tmp_path / "point.zip").exists()
    assert run("checkpoint", "export", "1", str(tmp_path / "p.TGZ")).returncode == 0


def test_outside_git_a_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".ai").mkdir()  # a project, but not in git
    for args in (("checkpoint",), ("checkpoint", "list")):
        out = Runner(plain)(*args, check=False)
        assert out.returncode == 14
        assert out.stderr == (f"Error: {plain} is not in a git work tree: checkpoints are git "
                              f"commits; make the project a git repository with: git -C "
                              f"{plain} init (from anywhere), then run it again\n")
    # A bare repository is said to be one (a small fault of the review: "not in a git
    # repository").
    bare = (tmp_path / "bare.git").resolve()
    git(tmp_path, "init", "-q", "--bare", str(bare))
    for where in (bare, bare / "refs"):
        for args in (("checkpoint",), ("pause",), ("start",)):
            out = Runner(where)(*args, check=False)
            assert out.returncode == 13, out.stderr
            assert f"is in the bare git repository {bare}" in out.stderr, out.stderr


def test_pushed_to_a_bare_remote_and_restored_from_a_fresh_clone(
        project: Path, run: Runner, tmp_path: Path) -> None:
    make_work(project)
    at_checkpoint = files_of(project)
    run("start", agent=ME)
    run("checkpoint", "--note", "to share", agent=ME)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main", "refs/ai-protocols/*:refs/ai-protocols/*")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    elsewhere = Runner(clone)
    refused = elsewhere("checkpoint", "show", "1", agent=ME, check=False)
    assert refused.returncode == 5 and "git fetch --no-prune origin 'refs/ai-protocols/*:refs/ai-" \
        "protocols/*'" in refused.stderr
    git(clone, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    assert elsewhere("checkpoint", "list", agent=ME).stdout.split()[3:] == \
        [git(project, "rev-parse", cref(project, 1))[:12],
         "4", "uncommitted", "to", "share"]
    target = tmp_path / "restored"
    elsewhere("checkpoint", "restore", "1", "--worktree", str(target), agent=ME)
    assert files_of(target) == at_checkpoint


def test_two_clones_never_name_a_checkpoint_alike_and_share_them_without_force(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Fault 1 of the review: each clone's refs are under its own id, so pushing and
    fetching with the documented refspec (no ``+``) never overwrites or rejects one,
    and ``N`` is still this clone's N; a ref of the older form still reads."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Base")
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (project / "f1.txt").write_text("from one\n")
    (other / "f2.txt").write_text("from two\n")
    run("checkpoint")
    Runner(other)("checkpoint")
    assert cref(project, 1, "default") != cref(other, 1, "default")
    for here in (project, other):
        git(here, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    for here in (project, other):
        git(here, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
        assert len(json.loads(Runner(here)("checkpoint", "list", "--json").stdout)) == 2
    target = tmp_path / "back"
    Runner(other)("checkpoint", "restore", "1", "--worktree", str(target))
    assert (target / "f2.txt").exists() and not (target / "f1.txt").exists()
    commit = git(project, "rev-parse", cref(project, 1, "default"))
    git(project, "update-ref", "refs/ai-protocols/checkpoints/default/7", commit)
    assert run("checkpoint", "show", "7").stdout.startswith(f"Checkpoint default/7 {commit}")


@pytest.mark.parametrize("how", ["gitignore", "info/exclude", "agent files"])
def test_a_git_ignored_session_file_is_left_out_and_the_checkpoint_taken(
        project: Path, run: Runner, how: str) -> None:
    """Fault 2 of the review: git refused the exclude pathspec naming an ignored
    session file ("The following paths are ignored"), so checkpoint and pause failed."""
    agent = ME if how == "agent files" else None
    rule = ".ai/session-context.d/*.org\n" if agent else ".ai/session-context.org\n"
    if how == "info/exclude":
        with open(project / ".git/info/exclude", "a") as handle:
            handle.write(rule)
    else:
        (project / ".gitignore").write_text(rule)
    (project / "work.txt").write_text("work\n")
    run("start", agent=agent)
    taken = run("checkpoint", "--note", "ignored session", agent=agent)
    assert "recorded in:" in taken.stdout, taken.stderr
    part = ME if agent else "default"
    names = git(project, "ls-tree", "-r", "--name-only", cref(project, 1, part)).split("\n")
    assert "work.txt" in names and not [n for n in names if n.startswith(".ai/session-context")]
    run("pause", "--note", "later", agent=agent)
    assert len(git(project, "for-each-ref", "refs/ai-protocols/").split("\n")) == 2


# -- odd file names ---------------------------------------------------------------------------


def _usable(name: str) -> bool:
    folded = name.lower().rstrip(". ")
    return (name not in (".", "..") and folded not in (".git", "git~1")
            and len(name.encode("utf-8", "surrogateescape")) <= 200)


NAMES = st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
                min_size=1, max_size=30).filter(_usable).filter(
    # (Emacs's own files, .#NAME, #NAME#, NAME~, a checkpoint leaves out by design:
    # tests/test_checkpoint_fourteenth.py; the names it keeps are the question here)
    lambda name: not fnmatch.fnmatchcase(name, "?*~") and
    not fnmatch.fnmatchcase(name, ".#?*") and not fnmatch.fnmatchcase(name, "#?*#"))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(committed=st.lists(NAMES, max_size=4, unique=True),
       untracked=st.lists(NAMES, max_size=4, unique=True), data=st.data())
def test_odd_file_names_come_back_as_they_were(tmp_path_factory, committed: list[str],
                                               untracked: list[str], data: st.DataObject
                                               ) -> None:
    base = tmp_path_factory.mktemp("odd")
    repo = base / "repo"
    git(base, "init", "-q", str(repo))
    for name in committed:
        (repo / name).write_bytes(hashlib.sha256(name.encode()).digest())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "Base")
    edited = data.draw(st.lists(st.sampled_from(committed), unique=True)) if committed else []
    for name in edited:
        (repo / name).write_bytes(b"edited\n" + name.encode())
    for name in untracked:
        if name not in committed:
            (repo / name).write_text(f"untracked {name!r}\n")
    expected = files_of(repo)
    before = git_state(repo)
    points = Checkpoints(repo)
    point, _ = points.take("odd names")
    assert git_state(repo) == before
    assert sorted(p for _, p in points.diff(point.parent, point.commit)) == sorted(
        set(edited) | (set(untracked) - set(committed)))
    points.restore(point, worktree=base / "restored")
    assert files_of(base / "restored") == expected


# -- a checkpoint killed at any moment ---------------------------------------------------------


def _all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts}


def test_sigkill_at_any_moment_of_a_checkpoint(project: Path, run: Runner) -> None:
    """Each round starts a real ``checkpoint`` and kills it with SIGKILL: after a random
    delay across its whole run, the moment its temporary index appears (mid ``git
    add``), or the moment its ref appears (before the session records it). The user's
    files, index, HEAD and branches never change, every checkpoint ref there is points
    to a whole commit of the work tree, and the session file always parses; kills
    land before the ref and between the ref and the record (and, some, after
    both). The randomness is seeded (``KILL_TEST_SEED``)."""
    import random
    import signal
    import time

    from ai_protocols import read_session

    from conftest import CLI, clean_env

    make_work(project)
    for n in range(300):  # a bigger tree: the run lasts longer
        (project / "bulk" / f"{n % 10}").mkdir(parents=True, exist_ok=True)
        (project / "bulk" / f"{n % 10}" / f"f{n}.txt").write_text(f"{n}\n" * 50)
    run("start", agent=ME)
    env = clean_env(AI_AGENT_ID=ME)
    took = []
    for _ in range(3):
        started = time.monotonic()
        run("checkpoint", agent=ME)
        took.append(time.monotonic() - started)
    tree = git(project, "rev-parse", f"{cref(project, 1)}^{{tree}}")
    state, files = git_state(project), _all_files(project)
    session_path = project / f".ai/session-context.d/{ME}.org"
    refs_dir = (project / ".git" / cref(project, 1)).parent
    seed = int(os.environ.get("KILL_TEST_SEED", "20261130"))
    rng = random.Random(seed)
    outcomes = {"no ref": 0, "ref, not recorded": 0, "ref and record": 0}
    for round_ in range(45):
        refs = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
        logged = session_path.read_text().count("checkpoint: ")
        known = set(os.listdir(refs_dir))
        mode = ("delay", "temp index", "ref")[round_ % 3]
        delay = rng.uniform(0, min(took) * 1.5)
        proc = subprocess.Popen([str(CLI), "checkpoint"], cwd=project, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + (delay if mode == "delay" else 30)
        while time.monotonic() < deadline and proc.poll() is None:
            if mode == "temp index" and list((project / ".git").glob("ai-protocols-check*")):
                break
            if mode == "ref" and set(os.listdir(refs_dir)) - known:
                break
            time.sleep(0.0002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
        now_logged = session_path.read_text().count("checkpoint: ")
        if after == refs:
            outcomes["no ref"] += 1
        else:
            outcomes["ref and record" if now_logged > logged else "ref, not recorded"] += 1
        context = f"seed {seed}, round {round_} ({mode})"
        assert git_state(project) == state, context
        # A killed write's temporary file (cleared by the next write) and the per-machine
        # copy kept of the session file (.ai/.locks/live/: the session's own bytes) aside.
        def mine(path: str) -> bool:
            return not ((path.startswith(".ai/") and path.endswith(".tmp"))
                        or path.startswith(".ai/.locks/"))
        now = {p: data for p, data in _all_files(project).items() if mine(p)}
        assert now == {**{p: data for p, data in files.items() if mine(p)},
                       session_path.relative_to(project).as_posix():
                       session_path.read_bytes()}, context
        read_session(session_path, session_path.read_text())  # whole
        for ref in after.split():
            assert git(project, "rev-parse", f"{ref}^{{tree}}") == tree, (ref, context)
            git(project, "cat-file", "-e", f"{ref}^")  # its parent is there too
    print(f"outcomes: {outcomes}")
    assert outcomes["no ref"] and outcomes["ref, not recorded"], outcomes  # mid-way kills
    run("checkpoint", agent=ME)  # the next run clears what killed runs left
    assert not list((project / ".git").glob("ai-protocols-checkpoint-*"))
    assert not list((project / ".ai").rglob("*.tmp"))
    assert git_state(project) == state


# -- "it looks rolled back" (issue 14, point 5) -----------------------------------------------


def test_resume_and_start_say_when_the_work_is_in_another_clone(
        project: Path, run: Runner, tmp_path: Path) -> None:
    make_work(project)
    run("start", "--title", "Refactor", agent=ME)
    run("checkpoint", "--note", "before refactor", agent=ME)
    point = git(project, "rev-parse", cref(project, 1))[:12]
    assert "Warning" not in run("resume", agent=ME).stdout  # the work is here
    # The session file is committed and pushed; the checkpoint is not (yet).
    git(project, "add", f".ai/session-context.d/{ME}.org")
    git(project, "commit", "-qm", "Session", "--", f".ai/session-context.d/{ME}.org")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(clone))
    elsewhere = Runner(clone)
    lost = (f"its last checkpoint ({point}) holds 4 files of uncommitted work that this "
            "checkout, with no uncommitted change outside .ai/, does not have: it looks "
            "rolled back: the work may be in another checkout")
    fetch = "git fetch --no-prune origin 'refs/ai-protocols/*:refs/ai-protocols/*'"
    unknown = lost  # (the count leaves the tool's .ai/ out, in this clone or not)
    assert elsewhere("resume", agent=ME).stdout.endswith(
        f"\nWarning: {unknown}; it is not in this clone (taken in another clone; a plain "
        "git clone or fetch never brings checkpoint refs): if it was never pushed, push it "
        f"from the clone that took it (git push {remote} {cref(project, 1)}); then here: "
        f"{fetch} && ai-protocols checkpoint restore {point} (from {clone}).\n")
    data = json.loads(elsewhere("resume", "--json", agent=ME).stdout)
    assert data["rolled_back"].startswith(unknown)
    started = elsewhere("start", agent=ME)
    assert f"Warning: {unknown}; it is not in this clone" in started.stderr

    git(project, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(clone, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    assert elsewhere("resume", agent=ME).stdout.endswith(
        f"\nWarning: {lost}; restore it with: ai-protocols checkpoint restore {point} "
        f"(from {clone}).\n")
    elsewhere("checkpoint", "restore", point, "--force", agent=ME)
    assert "Warning" not in elsewhere("resume", agent=ME).stdout  # the work is here now
    assert files_of(clone) == {**files_of(project), ".gitignore": b"*.log\n"}

    # In the first clone, the work stashed away looks rolled back too; committed, it does not.
    git(project, "stash", "-q", "-u")
    assert run("resume", agent=ME).stdout.endswith(  # (the stash named: issue 14, 7th review)
        f"\nWarning: {lost}; if git stash took the work, it is in the stash (git stash list): "
        f"git stash pop brings the work back; restore it with: ai-protocols checkpoint "
        f"restore {point} (from {project}).\n")
    git(project, "stash", "pop", "-q")
    (project / "b.txt").write_text("b edited further after the checkpoint\n")
    git(project, "add", "-A", "--", ":!.ai")
    git(project, "commit", "-qm", "The work, and more")  # not the checkpoint's files
    assert "Warning" not in run("resume", agent=ME).stdout


def test_a_checkpoint_on_another_branch_says_where_it_is(project: Path, run: Runner) -> None:
    make_work(project)
    run("start", agent=ME)
    run("checkpoint", agent=ME)
    point = git(project, "rev-parse", cref(project, 1))[:12]
    recorded = json.loads(run("show", "--json", agent=ME).stdout)["git_commit"]
    git(project, "add", f".ai/session-context.d/{ME}.org")
    git(project, "commit", "-qm", "Session", "--", f".ai/session-context.d/{ME}.org")
    git(project, "stash", "-q", "-u")
    git(project, "checkout", "-qb", "other")
    out = run("resume", agent=ME).stdout
    assert out.endswith(f"\nWarning: this session was recorded on branch main at commit "
                        f"{recorded}; this checkout is on branch other, which descends "
                        "from that commit: its commits are here, carried on; its last "
                        f"checkpoint ({point}) holds 4 files of uncommitted "
                        "work that this checkout, with no uncommitted change outside .ai/, "
                        "does not have: "
                        "it looks rolled back: the work may be in another checkout; if git "
                        "stash took the work, it is in the stash (git stash list): git stash "
                        "pop brings the work back; restore "
                        f"it with: ai-protocols checkpoint restore {point} "
                        f"(from {project}).\n")


# -- the fast path: checkpoint without click ----------------------------------------------------


@pytest.mark.parametrize("args", [["checkpoint"], ["checkpoint", "--note", "before refactor"],
                                  ["checkpoint", "--note=x"], ["checkpoint", "--note", " "]])
def test_checkpoint_does_the_same_on_both_paths(tmp_path: Path, args: list[str]) -> None:
    import re
    import sys

    from test_fast_path import CLICK_PATH

    from conftest import CLI, clean_env

    outs = []
    for name, command in (("fast", [str(CLI)]), ("slow", [sys.executable, "-c", CLICK_PATH])):
        root = tmp_path / name / "proj"
        root.mkdir(parents=True)
        git(root, "init", "-q")
        (root / "a.txt").write_text("a\n")
        Runner(root)("start")
        done = subprocess.run([*command, *args], cwd=root, env=clean_env(),
                              capture_output=True, text=True, timeout=60)
        outs.append((done.returncode,
                     *(re.sub(r"\b[0-9a-f]{12}\b|/[0-9a-f]{8}/", "H", text.replace(str(root), "P"))
                       for text in (done.stdout, done.stderr))))
    assert outs[0] == outs[1]
    assert outs[0][0] == (4 if args[-1] == " " else 0)


def test_checkpoint_imports_no_heavy_dependency(project: Path, run: Runner) -> None:
    from test_fast_path import HEAVY, imported

    run("start")
    assert imported(project, "checkpoint") & (HEAVY | {"subprocess"}) == set()


def test_checkpoints_taken_at_once_get_numbers_of_their_own(project: Path, run: Runner) -> None:
    from conftest import CLI, clean_env

    make_work(project)
    before = git_state(project)
    procs = [subprocess.Popen([str(CLI), "checkpoint", "--note", f"at once {n}"], cwd=project,
                              env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n in range(6)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    listed = json.loads(run("checkpoint", "list", "--json").stdout)
    assert [c["number"] for c in listed] == [1, 2, 3, 4, 5, 6]
    assert sorted(c["note"] for c in listed) == [f"at once {n}" for n in range(6)]
    # The last number given is the greatest, whichever run wrote it last (a lock).
    numbers = project / ".git/ai-protocols-numbers/default"
    assert numbers.read_text() == "6\n"
    for point in listed:  # each commit names the number of its ref
        assert git(project, "log", "-1", "--format=%s", point["ref"]) == \
            f"ai-protocols checkpoint {point['number']}: {point['note']}"
    assert git_state(project) == before


def test_a_file_changed_in_the_tick_the_index_was_written_is_seen(repo: Path,
                                                                   run: Runner) -> None:
    """Git tells a "racily clean" file (changed in the same tick as the index was
    written, same size) by comparing with the index file's time: the temporary copy
    keeps that time, so the checkpoint holds the change, not what the index says."""
    git(repo, "config", "core.trustctime", "false")  # (ctime cannot be set back)
    path = repo / "f.txt"
    path.write_text("AAAA")
    recorded = path.stat().st_mtime_ns - 10**10  # ten seconds ago: not racy when added
    os.utime(path, ns=(recorded, recorded))
    git(repo, "add", "f.txt")
    git(repo, "commit", "-qm", "Base")
    with open(path, "r+") as handle:  # same size, same inode, the recorded time
        handle.write("BBBB")
    os.utime(path, ns=(recorded, recorded))
    os.utime(repo / ".git/index", ns=(recorded, recorded))  # written in that tick
    run("checkpoint")
    assert git(repo, "show", f"{cref(repo, 1, 'default')}:f.txt") == "BBBB"


def test_numbers_go_on_after_git_gc_and_from_a_linked_worktree(project: Path, run: Runner,
                                                               tmp_path: Path) -> None:
    make_work(project)
    run("checkpoint")
    run("checkpoint")
    git(project, "pack-refs", "--all")  # the refs now live in packed-refs
    run("checkpoint")
    git(project, "worktree", "add", "-q", "--detach", str(tmp_path / "linked"))
    Runner(tmp_path / "linked")("checkpoint", "--note", "from the linked worktree")
    run("checkpoint")
    listed = json.loads(run("checkpoint", "list", "--json").stdout)
    # (issue 14, fifth review: a linked worktree numbers its own, under its own id;
    # fourteenth round: the list is oldest first by time, whichever clone took each)
    assert [c["time"] for c in listed] == sorted(c["time"] for c in listed)
    linked = [c for c in listed if c["note"] == "from the linked worktree"]
    assert [c["number"] for c in listed if c not in linked] == [1, 2, 3, 4]
    assert [c["number"] for c in linked] == [1]
    assert linked[0]["clone"].startswith(listed[0]["clone"] + "-")
    assert git(project, "log", "-1", "--format=%s", linked[0]["ref"]) == \
        "ai-protocols checkpoint 1: from the linked worktree"


@pytest.mark.parametrize("case", ["untracked folder where a file goes",
                                  "untracked file where a folder goes", "ignored file"])
def test_restore_in_place_never_destroys_what_the_snapshot_does_not_hold(
        project: Path, run: Runner, case: str) -> None:
    """Seen: restore --force checked only the paths it wrote. An untracked folder where
    the checkpoint has a file lost its files (and was reported kept); an untracked file
    where the checkpoint has a folder was replaced; an ignored file was overwritten.
    Each is refused now (exit 15), and nothing changes."""
    (project / "base.txt").write_text("base\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    run("start", agent=ME)
    if case == "untracked folder where a file goes":
        (project / "dfile").write_text("old\n")
        run("checkpoint", agent=ME)
        (project / "dfile").unlink()
        (project / "dfile").mkdir()
        (project / "dfile" / "inner").write_text("precious work\n")
    elif case == "untracked file where a folder goes":
        (project / "dd").mkdir()
        (project / "dd" / "f").write_text("old\n")
        run("checkpoint", agent=ME)
        (project / "dd" / "f").unlink()
        (project / "dd").rmdir()
        (project / "dd").write_text("precious untracked file\n")
    else:
        (project / ".env").write_text("old\n")
        run("checkpoint", agent=ME)
        (project / ".gitignore").write_text(".env\n")
        git(project, "add", ".gitignore")
        git(project, "commit", "-qm", "ignore .env")
        (project / ".env").write_text("NEW SECRET\n")
    before, files = git_state(project), files_of(project, ())
    refused = run("checkpoint", "restore", "1", "--force", agent=ME, check=False)
    assert refused.returncode == 15, refused.stderr
    assert "would overwrite uncommitted, untracked or ignored work in" in refused.stderr
    assert git_state(project) == before and files_of(project, ()) == files
    if case == "ignored file":
        assert (project / ".env").read_text() == "NEW SECRET\n"


def test_a_short_hash_of_digits_only_names_its_checkpoint(project: Path, run: Runner) -> None:
    """Seen (a flaky run): ``checkpoint show 3975367``, a short hash of digits only, was
    read as checkpoint number 3975367 and refused. Digits name checkpoint N when there
    is one, else the checkpoint whose commit starts with them."""
    make_work(project)
    for number in range(1, 401):  # until a commit's first 7 hex digits are digits (p ~ 4%)
        run("checkpoint", "--note", f"try {number}", agent=ME)
        commit = git(project, "rev-parse", cref(project, number))
        if commit[:7].isdigit() and int(commit[:7]) > 200:
            break
    else:
        pytest.fail("no checkpoint's commit started with 7 digits in 400")
    shown = run("checkpoint", "show", commit[:7], agent=ME).stdout
    name = cref(project, number).rsplit("/", 3)
    assert shown.startswith(f"Checkpoint {ME}/{name[2]}/{number} {commit}\n")
    assert run("checkpoint", "show", "1", agent=ME).stdout.startswith(
        f"Checkpoint {ME}/{name[2]}/1 ")


# -- what checkpoint output prints is escaped --------------------------------------------------

HOSTILE = ["two\nlines.txt", "\x1b[31mred\x1b[0m.txt", "\u202eevil\u202c.txt", "tab\there.txt",
           "bell\x07.txt", "zero\u200bwidth.txt"]


def _shown_as_itself(text: str) -> bool:
    """Every line holds only characters a terminal draws as themselves (what ``display``
    shows; its escapes are not fixed points of it: a shown ``\\n`` is shown again as
    ``\\\\n``, issue 14, eighth review)."""
    import unicodedata

    return not any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
                   for line in text.split("\n") for ch in line)


def _check_escaped(project: Path, run: Runner, names: list[str], note: str) -> None:
    git(project, "commit", "-q", "--allow-empty", "-m", "Base")
    run("start", agent=ME)
    for name in names:
        (project / name).write_bytes(b"new\n")
    outs = [run("checkpoint", "--note", note, agent=ME)]
    shown = run("checkpoint", "show", "1", agent=ME)
    lines = shown.stdout.splitlines()  # one line per path: a name never splits its line
    at = next(i for i, line in enumerate(lines) if line.startswith("Against HEAD"))
    listed = [line for line in lines[at + 1:] if line.startswith("  ")]
    assert (f": {len(listed)} paths differ" if len(listed) != 1 else ": 1 path differs") \
        in lines[at], shown.stdout
    assert len([line for line in listed if not line.startswith("  A .ai/")]) == len(names)
    outs += [shown, run("checkpoint", "list", agent=ME)]
    git(project, "add", "-A")
    git(project, "commit", "-qm", "The odd names")
    git(project, "--literal-pathspecs", "rm", "-q", "--", *names)
    git(project, "commit", "-qm", "Without them")
    restored = run("checkpoint", "restore", "1", "--force", agent=ME)  # writes them back
    assert f": {len(names)} path{'s' if len(names) != 1 else ''} written or removed\n" \
        in restored.stderr
    # (and the .ai/ left, and the note that the checkpoint was taken on another commit:
    # two commits were made since, sixteenth round)
    assert restored.stderr.startswith("Note: checkpoint "), restored.stderr
    assert len([line for line in restored.stderr.splitlines()
                if not line.startswith(("Left ", "  .ai/", "Note: "))]) == 1 + len(names), \
        restored.stderr
    for done in [*outs, restored]:
        for out in (done.stdout, done.stderr):
            assert _shown_as_itself(out), out


def test_checkpoint_output_escapes_hostile_names_and_notes(project: Path, run: Runner) -> None:
    """checkpoint, show, list and restore --force print each path and note through the
    one display escaping: a newline in a name never splits its line, and no control,
    format or invisible character reaches the terminal."""
    names = [*HOSTILE, os.fsdecode(b"not-utf8-\xff.txt")]
    # (a control character in a note is refused since the ninth review: invisible and
    # format characters the one-line rule lets through are what display must escape)
    _check_escaped(project, run, names, "a \u200b note\u200e\u2060")


#: (Names Emacs gives its lock, auto-save and backup files are left out of every
#: checkpoint by design, git/spawn.py's EMACS_FILES: no name here is one.)
HOSTILE_NAMES = st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
                        min_size=1, max_size=12).filter(
    lambda n: _usable(n) and n not in (".ai", ".gitignore", ".gitattributes") and
    not any(fnmatch.fnmatchcase(n, glob) for glob in EMACS_FILES))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.lists(st.one_of(st.sampled_from(HOSTILE), HOSTILE_NAMES), min_size=1,
                      max_size=3, unique_by=lambda n: n.casefold()))
def test_any_file_name_is_printed_escaped(tmp_path_factory, names: list[str]) -> None:
    base = tmp_path_factory.mktemp("hostile")
    repo = (base / "repo").resolve()
    git(base, "init", "-q", str(repo))
    runner = Runner(repo)
    runner("init")
    _check_escaped(repo, runner, names, "note")


@pytest.mark.parametrize("where", ["inside", "deep inside", "the git folder", "through a link",
                                   "relative"])
def test_restore_into_a_worktree_nested_in_the_work_tree_is_refused(
        project: Path, run: Runner, tmp_path: Path, where: str) -> None:
    """Seen: --worktree PATH inside the work tree was made, and the next checkpoint stored
    it as a gitlink. Any destination that would nest in the work tree or its git folder
    (through a link too) is refused (exit 15), nothing made, nothing changed."""
    make_work(project)
    run("checkpoint", agent=ME)
    link = tmp_path / "link"
    link.symlink_to(project / "sub")
    target = {"inside": str(project / "restored"),
              "deep inside": str(project / "sub" / "new" / "restored"),
              "the git folder": str(project / ".git" / "wt"),
              "through a link": str(link / "restored"),
              "relative": "restored"}[where]
    before, files = git_state(project), files_of(project, ())
    worktrees = git(project, "worktree", "list", "--porcelain")
    refused = run("checkpoint", "restore", "1", "--worktree", target, agent=ME, check=False)
    assert refused.returncode == 15, refused.stderr
    shown = os.path.abspath(os.path.join(project, target))
    assert refused.stderr.startswith(f"Error: cannot restore to {shown}: it is inside ")
    assert "give --worktree a folder outside it" in refused.stderr
    assert refused.stderr.endswith("; nothing was changed\n")
    assert git_state(project) == before and files_of(project, ()) == files
    assert git(project, "worktree", "list", "--porcelain") == worktrees
    assert not (project / "restored").exists() and not (project / "sub" / "new").exists()
    assert not (project / ".git" / "wt").exists()
    run("checkpoint", agent=ME)  # and the next checkpoint holds no gitlink
    assert "160000" not in git(project, "ls-tree", "-r", cref(project, 2))


# -- in place, again and again ---------------------------------------------------------------


def test_restoring_an_earlier_then_a_later_checkpoint_in_place(project: Path,
                                                               run: Runner) -> None:
    """Seen: restore --force of an earlier checkpoint removed a file committed since, and
    the later checkpoint, which has it, was then refused (its deletion counted as
    uncommitted work). A deletion loses nothing, and content a checkpoint holds is not
    the work tree's alone: both restores go through, each giving its checkpoint's files."""
    make_work(project)
    run("start", agent=ME)
    first = files_of(project)
    run("checkpoint", agent=ME)
    (project / "later.txt").write_text("committed later\n")
    (project / "b.txt").write_text("b, later\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Later")
    (project / "a.txt").write_text("a, uncommitted in checkpoint 2\n")
    second = files_of(project)
    run("checkpoint", agent=ME)
    for number, files in ((1, first), (2, second), (1, first), (2, second)):
        done = run("checkpoint", "restore", str(number), "--force", agent=ME, check=False)
        assert done.returncode == 0, done.stderr
        assert files_of(project) == files, number


FILES = ["a.txt", "b.txt", "d/c.txt", "e.txt"]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.dictionaries(st.sampled_from(FILES),
                                                st.sampled_from([None, "1", "2", "3"])),
                                st.booleans()), min_size=2, max_size=4),
       restores=st.lists(st.tuples(st.integers(0, 3),
                                   st.sampled_from([None, None, *FILES, "new.txt"])),
                         min_size=1, max_size=5))
def test_any_sequence_of_in_place_restores_gives_each_checkpoint_and_loses_nothing(
        tmp_path_factory, steps: list[tuple[dict[str, str | None], bool]],
        restores: list[tuple[int, str | None]]) -> None:
    """Checkpoints of a history of edits, deletions and commits, then in-place restores
    of them in any order: each gives exactly its checkpoint's files; a file whose
    content exists only in the work tree (``precious``) is refused when the checkpoint
    would write over it, kept when it would remove it, never lost; HEAD and the index
    stay as they were."""
    from ai_protocols.errors import CheckpointRefused

    repo = tmp_path_factory.mktemp("sequence") / "repo"
    git(repo.parent, "init", "-q", str(repo))
    for name in FILES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"{name} base\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Base")
    taken = []
    for edits, commit in steps:
        for name, content in edits.items():
            if content is None:
                (repo / name).unlink(missing_ok=True)
            else:
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                (repo / name).write_text(f"{name} {content}\n")
        point, _ = Checkpoints(repo).take()
        taken.append((point, files_of(repo)))
        if commit:
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "--allow-empty", "-m", "Step")
    before = git_state(repo)
    for number, (which, precious) in enumerate(restores):
        point, files = taken[which % len(taken)]
        if precious is not None:
            (repo / precious).parent.mkdir(parents=True, exist_ok=True)
            (repo / precious).write_text(f"precious {number}\n")
        now = files_of(repo)
        try:
            Checkpoints(repo).restore(point, in_place=True)
        except CheckpointRefused:
            assert precious is not None and precious in files
            assert files_of(repo) == now
        else:
            assert precious not in files
            expected = dict(files)
            if precious is not None:
                expected[precious] = f"precious {number}\n".encode()
            assert files_of(repo) == expected
        if precious is not None:
            (repo / precious).unlink()
        after = git_state(repo)
        assert (after["index"], after["HEAD"], after["refs"]) == \
            (before["index"], before["HEAD"], before["refs"])


# -- submodules --------------------------------------------------------------------------------

FILE_OK = ("-c", "protocol.file.allow=always")


def _with_a_submodule(project: Path, tmp_path: Path) -> tuple[str, str]:
    """``lib``, a submodule of ``project`` committed at S1 and checked out at S2 (a commit
    of its own repository): a submodule change the checkpoint is to hold. Returns S1, S2."""
    source = tmp_path / "libsrc"
    git(tmp_path, "init", "-q", str(source))
    (source / "lib.txt").write_text("one\n")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "S1")
    first = git(source, "rev-parse", "HEAD")
    (source / "lib.txt").write_text("two\n")
    (source / "more.txt").write_text("more\n")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "S2")
    second = git(source, "rev-parse", "HEAD")
    git(project, *FILE_OK, "submodule", "add", "-q", source.as_uri(), "lib")
    git(project / "lib", "checkout", "-q", "--detach", first)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "With lib at S1")
    git(project / "lib", "checkout", "-q", "--detach", second)
    return first, second


def test_a_checkpoint_gives_back_its_submodule_commits(project: Path, run: Runner,
                                                       tmp_path: Path) -> None:
    """Seen: restoring a checkpoint holding a submodule change dropped the submodule's
    commit. Each way of restoring gives back the checkpoint's gitlink: a new worktree
    (and on a new branch) stages it, for git submodule update to check out; in place
    the submodule is moved to it; an export holds its files at that commit."""
    run("start", agent=ME)
    first, second = _with_a_submodule(project, tmp_path)
    run("checkpoint", agent=ME)
    ref = cref(project, 1)
    assert git(project, "ls-tree", ref, "lib").split()[:3] == ["160000", "commit", second]
    for args, where in ((("--worktree", str(tmp_path / "wt")), tmp_path / "wt"),
                        (("--worktree", str(tmp_path / "wb"), "--branch", "back"),
                         tmp_path / "wb")):
        done = run("checkpoint", "restore", "1", *args, agent=ME)
        assert "Its 1 submodule is staged at the checkpoint's commits" in done.stderr
        assert git(where, "ls-files", "-s", "lib").split()[:2] == ["160000", second]
        assert git(where, "rev-parse", "HEAD") == git(project, "rev-parse", "HEAD")
        git(where, *FILE_OK, "submodule", "update", "--init", "--recursive")
        assert git(where / "lib", "rev-parse", "HEAD") == second
        assert (where / "lib" / "more.txt").read_text() == "more\n"

    target = tmp_path / "out.tar.gz"
    run("checkpoint", "export", "1", str(target), agent=ME)
    with tarfile.open(target) as tar:
        folder = f"{project.name}-checkpoint-{ME}-1"
        assert tar.extractfile(f"{folder}/lib/lib.txt").read() == b"two\n"
        assert tar.extractfile(f"{folder}/lib/more.txt").read() == b"more\n"
    header = target.read_bytes()[:10]  # RFC 1952: FNAME is flag 0x08
    assert header[:2] == b"\x1f\x8b" and not header[3] & 0x08, header  # no temporary name

    git(project / "lib", "checkout", "-q", "--detach", first)  # back to HEAD's commit
    done = run("checkpoint", "restore", "1", "--force", agent=ME)
    assert "\n  lib\n" in done.stderr
    assert git(project / "lib", "rev-parse", "HEAD") == second
    assert git(project, "ls-files", "-s", "lib").split()[1] == first  # (the index stays)

    git(project / "lib", "checkout", "-q", "--detach", first)
    (project / "lib" / "lib.txt").write_text("uncommitted in the submodule\n")
    before, files = git_state(project), files_of(project, ())
    refused = run("checkpoint", "restore", "1", "--force", agent=ME, check=False)
    assert refused.returncode == 15 and "the submodule lib has uncommitted changes" in \
        refused.stderr
    assert git_state(project) == before and files_of(project, ()) == files


def test_after_an_amend_the_warning_never_sends_back_to_an_older_checkpoint(
        project: Path, run: Runner) -> None:
    """Seen: the work of a checkpoint committed, the session recording that commit, then
    ``git commit --amend`` (and the old commit pruned): resume said "it looks rolled
    back" and sent the user to restore the checkpoint, older than what HEAD holds. HEAD
    descends from the checkpoint's commit and holds work committed since: the warning
    says the branch moved on, and names no restore."""
    make_work(project)
    git(project, "add", "-A", "--", ":!.ai")
    git(project, "commit", "-qm", "Base, again")
    run("start", agent=ME)
    (project / "a.txt").write_text("the work\n")
    (project / "n.txt").write_text("new work\n")
    run("checkpoint", agent=ME)
    point = git(project, "rev-parse", cref(project, 1))[:12]
    git(project, "add", "a.txt", "n.txt")
    git(project, "commit", "-qm", "The work")
    run("log", "--progress", "committed the work", agent=ME)  # records that commit
    recorded = json.loads(run("show", "--json", agent=ME).stdout)["git_commit"]
    assert recorded == git(project, "rev-parse", "HEAD")
    (project / "a.txt").write_text("the work, amended\n")
    git(project, "commit", "-q", "--amend", "-m", "The work, amended", "--", "a.txt")
    git(project, "reflog", "expire", "--expire-unreachable=now", "--all")
    git(project, "gc", "-q", "--prune=now")
    head = git(project, "rev-parse", "HEAD")[:12]
    out = run("resume", agent=ME).stdout
    assert out.endswith(
        f"\nWarning: this session was recorded on branch main at commit {recorded}, but this "
        f"checkout does not have that commit; HEAD ({head}) holds work committed since its "
        f"last checkpoint ({point}) was taken: the branch moved on (an amend or a rebase "
        "leaves the commit recorded behind), so the work is likely here, and that older "
        "checkpoint is not the place to go back to (git reflog shows how HEAD moved).\n"), out
    assert "checkpoint restore" not in out and "rolled back" not in out
    assert "checkpoint restore" not in run("start", agent=ME).stderr
    # Rolled back for real (reset to before the work, the work thrown away): it says so.
    git(project, "reset", "-q", "--hard", "HEAD~1")
    out = run("resume", agent=ME).stdout
    assert "it looks rolled back" in out and f"checkpoint restore {point}" in out


def test_the_rolled_back_warning_for_each_place_head_can_be(project: Path, run: Runner) -> None:
    """Fault 4 of the review, each case with real git: HEAD behind the commit recorded
    on another branch (switch to it, never "moved on"); behind it on the same branch (a
    reset: say so, and how to go back); on another line (rewritten); ahead (nothing)."""
    make_work(project)
    git(project, "add", "-A", "--", ":!.ai")
    git(project, "commit", "-qm", "Base, again")
    run("start")
    run("checkpoint")
    (project / "m.txt").write_text("on main\n")
    git(project, "add", "m.txt")
    git(project, "commit", "-qm", "On main")
    git(project, "switch", "-qc", "feature")
    (project / "feat.txt").write_text("feature\n")
    git(project, "add", "feat.txt")
    git(project, "commit", "-qm", "Feature")
    run("log", "--progress", "feature work")  # records branch feature, commit F

    git(project, "switch", "-q", "main")
    out = run("resume").stdout
    assert "switch to it (git switch feature)" in out and "moved on" not in out, out
    assert "checkpoint restore" not in out
    # b) A real roll back on one branch: w1, w2, w3 recorded, then reset to w1.
    git(project, "switch", "-q", "feature")
    for name in ("w1", "w2", "w3"):
        (project / name).write_text(name)
        git(project, "add", name)
        git(project, "commit", "-qm", name)
    run("log", "--progress", "three commits")
    w3 = git(project, "rev-parse", "HEAD")
    git(project, "reset", "-q", "--hard", "HEAD~2")
    for command in ("resume", "start"):
        done = run(command)
        said = done.stdout + done.stderr
        assert "is behind it" in said and f"git merge --ff-only {w3[:12]}" in said, said
        assert "reset --hard" not in said  # (issue 14, fourth review: never advised)
    # On another line of the same branch: an amend of what was recorded (its change
    # changed too: an amend that keeps every change, its message only, loses nothing).
    git(project, "reset", "-q", "--hard", w3)
    git(project, "commit", "-q", "--amend", "-m", "w3, message only")
    assert "does not descend" not in run("resume").stdout
    (project / "w3").write_text("w3, changed")
    git(project, "commit", "-q", "-a", "--amend", "-m", "w3, amended")
    out = run("resume").stdout
    assert "does not descend from it" in out and f"git diff HEAD {w3[:12]}" in out, out
    # Ahead of it: work carried on; nothing to say.
    git(project, "reset", "-q", "--hard", w3)
    (project / "w4").write_text("w4")
    git(project, "add", "w4")
    git(project, "commit", "-qm", "w4")
    assert "Warning" not in run("resume").stdout



def test_the_restore_the_warning_names_works_when_no_ref_holds_the_checkpoint(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Fault 5 of the review: the warning said "restore it with: ... restore HASH" for a
    checkpoint whose commit is here but under no ref (deleted, as the docs say how), and
    restore refused the hash (exit 5). restore now takes any checkpoint commit here."""
    make_work(project)
    at_checkpoint = files_of(project)
    run("start", agent=ME)
    run("checkpoint", agent=ME)
    ref = cref(project, 1)
    point = git(project, "rev-parse", ref)[:12]
    git(project, "update-ref", "-d", ref)
    session = f".ai/session-context.d/{ME}.org"
    git(project, "add", session)
    git(project, "commit", "-qm", "Session", "--", session)
    git(project, "stash", "-q", "-u")
    out = run("resume", agent=ME).stdout
    assert f"restore it with: ai-protocols checkpoint restore {point}" in out, out
    target = tmp_path / "back"
    run("checkpoint", "restore", point, "--worktree", str(target), agent=ME)
    assert files_of(target) == at_checkpoint
    head = git(project, "rev-parse", "HEAD")
    refused = run("checkpoint", "restore", head[:12], agent=ME, check=False)
    assert refused.returncode == 5 and "no checkpoint's commit" in refused.stderr


def _make(root: Path, kind: str, tag: str) -> None:
    """Make the path ``e`` of ``root`` a ``file``, a ``folder`` (holding ``f``), a
    ``link`` (to a folder outside) or ``missing``."""
    target = root / "e"
    if kind == "file":
        target.write_text(f"file {tag}\n")
    elif kind == "folder":
        target.mkdir()
        (target / "f").write_text(f"f {tag}\n")
    elif kind == "link":
        outside = root.parent / f"outside-{tag}"
        outside.mkdir(exist_ok=True)
        os.symlink(outside, target)


def _entry(root: Path) -> object:
    """What the path ``e`` holds, to compare: a link's target, a file's bytes, a folder's
    files."""
    target = root / "e"
    if os.path.islink(target):
        return ("link", os.readlink(target))
    if target.is_dir():
        return ("folder", {p.name: p.read_bytes() for p in target.iterdir()})
    return ("file", target.read_bytes()) if target.exists() else None


@pytest.mark.parametrize("at_checkpoint", ["file", "folder", "link", "missing"])
@pytest.mark.parametrize("here", ["file", "folder", "link", "missing"])
def test_restoring_in_place_never_replaces_what_only_the_work_tree_holds(
        tmp_path: Path, at_checkpoint: str, here: str) -> None:
    """Fault 6 of the review: an untracked link where the checkpoint has a folder was
    replaced, and reported "kept". For every pair of what the checkpoint and the work
    tree hold at one path (untracked: its content is the work tree's alone), the
    restore either is refused and changes nothing, or gives the checkpoint's when the
    path held nothing, and what it reports kept is there as it was."""
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(repo))
    (repo / "base.txt").write_text("base\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Base")
    _make(repo, at_checkpoint, "at checkpoint")
    points = Checkpoints(repo)
    point, _ = points.take()
    wanted = _entry(repo)
    if at_checkpoint == "folder":
        shutil.rmtree(repo / "e")
    elif at_checkpoint != "missing":
        os.unlink(repo / "e")
    _make(repo, here, "here")
    before, state = _entry(repo), git_state(repo)
    try:
        restored = Checkpoints(repo).restore(point, in_place=True)
    except CheckpointRefused:
        assert (_entry(repo), git_state(repo)) == (before, state)
        assert before is not None  # nothing there: nothing to refuse for
        return
    after = _entry(repo)
    if "e" in restored.kept or any(k.startswith("e/") for k in restored.kept):
        assert after == before
    else:
        assert before is None or before == wanted, (before, after)
        assert after == wanted


def test_a_session_file_unmerged_in_the_index_is_kept_as_ours_in_the_checkpoint(
        project: Path, run: Runner) -> None:
    """Fault 9 of the review: with the session file unmerged in the index (a merge left
    it in conflict), checkpoint failed with git's raw "write-tree ... unmerged". It is
    now taken, the session file left out (a restore never writes it), the index as it
    was."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    run("start")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Base")
    session = ".ai/session-context.org"
    sides = [git(project, "hash-object", "-w", "--stdin", input=f"side {n}\n".encode())
             for n in (1, 2, 3)]
    git(project, "update-index", "--index-info", input=(
        f"0 {'0' * 40} 0\t{session}\n" +
        "".join(f"100644 {blob} {n}\t{session}\n" for n, blob in enumerate(sides, 1))
    ).encode())
    (project / "work.txt").write_text("work\n")
    before = git_state(project)
    taken = run("checkpoint")
    assert taken.returncode == 0 and taken.stdout.startswith("Checkpoint 1 "), taken.stderr
    assert git_state(project) == before
    names = git(project, "ls-tree", "-r", "--name-only", cref(project, 1, "default"))
    assert "work.txt" in names.split("\n")
    # Third review, fault 4: left out, it showed as deleted in a restored worktree
    # (and `git commit -a` there deleted the session): ours, stage 2, is kept.
    assert git(project, "rev-parse", f"{cref(project, 1, 'default')}:{session}") == sides[1]


def test_restoring_from_inside_a_submodule_goes_beside_the_superproject(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Fault 7 of the review: restore run in a submodule made its default worktree beside
    the submodule, so inside the superproject (whose next checkpoint took it as a
    gitlink). The default goes beside the outermost work tree."""
    _with_a_submodule(project, tmp_path)
    lib = project / "lib"
    (lib / "new.txt").write_text("in the submodule\n")
    run("checkpoint", cwd=lib)
    done = run("checkpoint", "restore", "1", cwd=lib)
    assert (project.parent / "lib-checkpoint-default-1" / "new.txt").exists(), done.stdout
    assert not (project / "lib-checkpoint-default-1").exists()
    assert "lib-checkpoint" not in git(project, "status", "--porcelain")


@pytest.mark.parametrize("branch", ["bad..name", "-x", "refs/heads/foo", "a b", "@{-1}"])
def test_a_bad_branch_name_is_a_usage_error(project: Path, run: Runner, tmp_path: Path,
                                           branch: str) -> None:
    """Small faults of the review: --branch 'bad..name' or --branch=-x failed with exit
    14 and git's raw message; --branch refs/heads/foo made a branch named so."""
    make_work(project)
    run("checkpoint")
    before = git(project, "for-each-ref", "refs/heads/")
    refused = run("checkpoint", "restore", "1", f"--branch={branch}", "--worktree",
                  str(tmp_path / "wt"), check=False)
    assert refused.returncode == 2, refused.stderr
    assert "--branch" in refused.stderr and "fatal:" not in refused.stderr
    assert git(project, "for-each-ref", "refs/heads/") == before
    assert not (tmp_path / "wt").exists()


def test_note_refuses_a_value_that_looks_like_an_option(project: Path, run: Runner) -> None:
    """Small fault of the review: checkpoint --note -x was taken, while every other
    option refuses a separate value that looks like an option (cli/options.py)."""
    refused = run("checkpoint", "--note", "-x", check=False)
    assert refused.returncode == 2 and "--note=-x" in refused.stderr, refused.stderr
    assert git(project, "for-each-ref", "refs/ai-protocols/") == ""
    assert run("checkpoint", "--note=-x").returncode == 0


def test_an_agent_named_default_never_shares_the_one_agent_files_refs(
        project: Path, run: Runner) -> None:
    """Small fault of the review: AI_AGENT_ID=default named its refs as the one-agent
    file's (no id) did, so each one's N could be the other's."""
    (project / "a.txt").write_text("no id\n")
    run("checkpoint", agent=None)
    (project / "a.txt").write_text("agent default\n")
    run("checkpoint", agent="default")
    assert len(json.loads(run("checkpoint", "list", "--json", agent=None).stdout)) == 1
    listed = json.loads(run("checkpoint", "list", "--json", agent="default").stdout)
    assert len(listed) == 1 and listed[0]["agent"] == "%64efault"
    assert git(project, "show", f"{listed[0]['commit']}:a.txt") == "agent default"
    assert git(project, "show", f"{cref(project, 1, 'default')}:a.txt") == "no id"


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_a_flagged_files_work_tree_content_is_recorded_and_never_overwritten(
        project: Path, run: Runner, flag: str) -> None:
    """Third review, fault 1: the temporary index kept the user's skip-worktree and
    assume-unchanged flags, so ``git add -A`` never hashed those files: the checkpoint
    left out their local content and restore --force overwrote it. The checkpoint now
    holds it, the user's index keeps its flags, and restore --force refuses (15)."""
    (project / "g.txt").write_text("committed\n")
    git(project, "add", "g.txt")
    git(project, "commit", "-qm", "g")
    run("start", agent=ME)
    git(project, "update-index", flag, "g.txt")
    (project / "g.txt").write_text("secret\n")
    before = git_state(project)
    run("checkpoint", agent=ME)
    assert git_state(project) == before
    assert git(project, "show", f"{cref(project, 1)}:g.txt") == "secret"
    (project / "g.txt").write_text("committed\n")
    run("checkpoint", agent=ME)  # g.txt as committed
    (project / "g.txt").write_text("another secret\n")
    before, files = git_state(project), files_of(project, ())
    refused = run("checkpoint", "restore", "2", "--force", agent=ME, check=False)
    assert refused.returncode == 15 and "g.txt" in refused.stderr, refused.stderr
    assert git_state(project) == before and files_of(project, ()) == files


@pytest.mark.parametrize("rule", [".ai/", ".ai", "/.ai", ".ai/*", "*.org",
                                  ".ai/session-context.d/", ".ai/**"])
@pytest.mark.parametrize("where", [".gitignore", "info/exclude"])
def test_an_ignored_ai_folder_never_stops_a_checkpoint(project: Path, run: Runner,
                                                        rule: str, where: str) -> None:
    """Third review, fault 2: with the whole ``.ai`` folder git-ignored, the exclude
    pathspecs of the session files lay under an ignored folder and ``git add`` failed
    ("The following paths are ignored ...; .ai", exit 14) at every checkpoint and
    pause. The checkpoint is taken, without what git ignores."""
    run("start", agent=ME)
    target = project / (".gitignore" if where == ".gitignore" else ".git/info/exclude")
    with open(target, "a") as handle:
        handle.write(f"\n{rule}\n")
    (project / "work.txt").write_text("work\n")
    before = git_state(project)
    taken = run("checkpoint", agent=ME, check=False)
    assert taken.returncode == 0, taken.stderr
    assert git_state(project) == before
    names = git(project, "ls-tree", "-r", "--name-only", cref(project, 1)).split("\n")
    assert "work.txt" in names and not [n for n in names if n.startswith(".ai/session-con")]
    paused = run("pause", agent=ME, check=False)
    assert paused.returncode == 0, paused.stderr


def test_a_number_is_never_given_twice_in_a_clone(project: Path, run: Runner,
                                                  tmp_path: Path) -> None:
    """Third review, fault 3: a checkpoint deleted (as the docs say) or pruned by ``git
    fetch --prune`` gave its number to the next one, so another clone that had fetched
    the old one could no longer fetch (non-fast-forward). Numbers go on instead."""
    make_work(project)
    run("start", agent=ME)
    run("checkpoint", agent=ME)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main", "refs/ai-protocols/*:refs/ai-protocols/*")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    git(other, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    first = cref(project, 1)
    git(project, "update-ref", "-d", first)
    git(project, "push", "-q", "origin", f":{first}")
    run("checkpoint", agent=ME)
    assert git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/") == \
        cref(project, 2)
    git(project, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(other, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    # --prune with the documented refspec removes the checkpoints not pushed yet.
    run("checkpoint", agent=ME)
    git(project, "fetch", "-q", "--prune", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    assert git(project, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/") == \
        cref(project, 2)
    taken = run("checkpoint", agent=ME)
    assert taken.stdout.startswith("Checkpoint 4 "), taken.stdout


def test_the_rolled_back_warning_at_the_recorded_commit_and_for_a_gone_branch(
        project: Path, run: Runner) -> None:
    """Third review, fault 6: HEAD exactly at the commit recorded (detached, or a new
    branch there) was said to look rolled back, ending with "restore the last
    checkpoint", older than what is committed; and the warning said ``git switch
    feature`` for a branch deleted, or one no longer holding the commit."""
    make_work(project)
    git(project, "add", "-A", "--", ":!.ai")
    git(project, "commit", "-qm", "Base, again")
    run("start")
    run("checkpoint")
    git(project, "switch", "-qc", "feature")
    (project / "feat.txt").write_text("feature\n")
    git(project, "add", "feat.txt")
    git(project, "commit", "-qm", "Feature")
    run("log", "--progress", "feature work")  # records branch feature, commit F
    feature = git(project, "rev-parse", "HEAD")
    for how in (["--detach", feature], ["-c", "other", feature]):
        git(project, "switch", "-q", *how)
        out = run("resume")
        assert "Warning" not in out.stdout and "rolled back" not in out.stdout + out.stderr, \
            out.stdout
    git(project, "switch", "-q", "main")
    git(project, "branch", "-qD", "feature")
    out = run("resume").stdout
    assert "git switch feature" not in out and f"git switch -c NAME {feature[:12]}" in out, out
    git(project, "branch", "-q", "feature", "main")  # the name again, not holding it
    out = run("resume").stdout
    assert "git switch feature" not in out and f"git switch -c NAME {feature[:12]}" in out, out


def test_restore_in_place_refuses_to_drop_a_work_tree_only_chmod(project: Path,
                                                                  run: Runner) -> None:
    """Third review, fault 8: restore --force reset a ``chmod +x`` only the work tree held,
    silently. It is refused (15), as for content; once staged, it is held and allowed."""
    (project / "run.sh").write_text("echo hi\n")
    git(project, "add", "run.sh")
    git(project, "commit", "-qm", "run.sh")
    run("start", agent=ME)
    (project / "other.txt").write_text("other\n")
    run("checkpoint", agent=ME)
    os.chmod(project / "run.sh", 0o755)
    before, files = git_state(project), files_of(project, ())
    refused = run("checkpoint", "restore", "1", "--force", agent=ME, check=False)
    assert refused.returncode == 15 and "run.sh" in refused.stderr, refused.stderr
    assert git_state(project) == before and files_of(project, ()) == files
    assert os.stat(project / "run.sh").st_mode & 0o111


def test_a_worktree_a_stopped_restore_left_says_how_to_remove_it(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """Third review, fault 8: a restore killed half way leaves a registered worktree,
    and a retry said only "exists already". It now says how to remove it."""
    make_work(project)
    run("checkpoint", agent=ME)
    target = tmp_path / "half"
    git(project, "worktree", "add", "-q", "--no-checkout", "--lock", "--reason",
        "ai-protocols checkpoint restore under way", "--detach", str(target), "HEAD")
    refused = run("checkpoint", "restore", "1", "--worktree", str(target), agent=ME,
                  check=False)
    assert refused.returncode == 15
    assert f"git worktree remove -f -f {target}" in refused.stderr, refused.stderr


def test_a_nested_untracked_repository_is_named_in_a_warning(project: Path,
                                                              run: Runner) -> None:
    """Third review, fault 8: an untracked git repository inside the work tree went into
    the checkpoint as a bare gitlink (its commit, not its files), silently."""
    inner = project / "vendor" / "lib"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    (inner / "x.txt").write_text("x\n")
    git(inner, "add", "x.txt")
    git(inner, "commit", "-qm", "x")
    run("start", agent=ME)
    taken = run("checkpoint", agent=ME)
    assert "Warning: the checkpoint holds only the commit, not the files, of 1 untracked " \
        "git repository inside the work tree: vendor/lib" in taken.stderr, taken.stderr
