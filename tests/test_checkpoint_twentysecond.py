"""Issue 14, twenty-second round: the faults a fresh review found in checkpoints and the
"it looks rolled back" warning (docs/checkpoints.md, docs/git.md, docs/decisions.md
"Issue 14, twenty-second round (checkpoints)").

The installed command runs as a real subprocess in temporary git repositories, with
real clones and a bare remote; each printed command is pasted into bash as a person
pastes it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from gitkit import commit_all, first_commit, git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_checkpoint_fifth import two_clones, warning_of

from conftest import Runner

# -- 1. no printed fetch of the checkpoint namespace prunes ------------------------------------

#: A fetch of the checkpoint namespace as the messages print it, up to its refspec.
FETCHED = re.compile(r"git fetch [^&;()]*?'refs/ai-protocols/\*:refs/ai-protocols/\*'")


def test_no_printed_fetch_of_checkpoints_deletes_this_clones_own(tmp_path: Path,
                                                                 run: Runner) -> None:
    """Clone c1's checkpoint, pushed; clone c2, with ``fetch.prune`` and
    ``remote.origin.prune`` set (common settings), takes its own and never pushes it.
    Every fetch ``start``, ``resume``, ``checkpoint restore``, ``show`` and ``export``
    print for c1's, pasted, brings c1's and leaves c2's own ref where it was (before:
    ``git fetch origin 'refs/ai-protocols/*:...'`` pruned it)."""
    c1, c2, point = two_clones(tmp_path, run)
    short, ref = point.split(" ")
    git(c1, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(c2, "config", "fetch.prune", "true")
    git(c2, "config", "remote.origin.prune", "true")
    said = []
    for args in (("start",), ("resume",)):
        done = run(*args, cwd=c2)
        said.append(done.stdout + done.stderr)
    run("checkpoint", "--note", "mine, never pushed", cwd=c2)
    mine = git(c2, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
    assert mine and ref not in mine
    for args in (("checkpoint", "restore", short), ("checkpoint", "show", short),
                 ("checkpoint", "export", short, str(tmp_path / "x.tar.gz"))):
        done = run(*args, cwd=c2, check=False)
        assert done.returncode == 5, done
        said.append(done.stderr)
    found = [FETCHED.findall(text) for text in said]
    assert all(found), said  # (each of them says how to fetch it)
    for command in {c for commands in found for c in commands}:
        assert command.startswith("git fetch --no-prune origin "), command
        done = pasted(c2, command)
        assert done.returncode == 0, done.stderr
        refs = git(c2, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
        assert mine in refs.split("\n") and ref in refs.split("\n"), (command, refs)
    assert run("checkpoint", "restore", short, cwd=c2).returncode == 0


# -- 2. work carried on and committed under another name is here --------------------------------


def test_an_added_file_committed_then_renamed_is_not_rolled_back(repo: Path,
                                                                  run: Runner) -> None:
    """A checkpoint added ``new.py``; the user committed it, then renamed it (``git mv``,
    committed): before, ``resume`` said the checkout "does not have" the work and "looks
    rolled back"."""
    first_commit(repo)
    run("start", "--title", "R")
    (repo / "new.py").write_text("one = 1\ntwo = 2\nthree = 3\n")
    run("checkpoint", "--note", "new module")
    git(repo, "add", "new.py")
    git(repo, "commit", "-qm", "add new.py")
    git(repo, "mv", "new.py", "renamed.py")
    git(repo, "commit", "-qm", "rename")
    assert warning_of(run) == ""
    (repo / "renamed.py").write_text("one = 1\ntwo = 2\nthree = 3\nfour = 4\n")
    assert warning_of(run) == ""  # (and edited further since)


def test_a_rename_staged_only_is_followed_too(repo: Path, run: Runner) -> None:
    """Renamed with ``git mv`` and not committed: the work tree's tracked file is the
    checkpoint's, under another name."""
    first_commit(repo)
    run("start", "--title", "S")
    (repo / "new.py").write_text("alpha\nbeta\ngamma\n")
    run("checkpoint")
    git(repo, "add", "new.py")
    git(repo, "mv", "new.py", "lib.py")
    assert warning_of(run) == ""


def test_what_a_reset_lost_is_named_and_a_file_renamed_since_is_not(repo: Path,
                                                                    run: Runner) -> None:
    """The review's variant: the checkpoint's new file committed, its edit of ``a``
    committed after, ``git reset --hard HEAD~1`` (the edit is lost), then the new file
    renamed: the warning names ``a`` alone, and the take-back advice never brings the
    renamed file back under its old name (before: ``git restore --source HASH -- new
    a``)."""
    first_commit(repo)
    run("start", "--title", "V")
    (repo / "a").write_text("a\nedit\n")
    (repo / "new").write_text("n1\nn2\nn3\n")
    run("checkpoint")
    short = git(repo, "for-each-ref", "--format=%(objectname:short=12)", "refs/ai-protocols/")
    git(repo, "add", "new")
    git(repo, "commit", "-qm", "new")
    git(repo, "commit", "-qam", "a")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "mv", "new", "renamed")
    git(repo, "commit", "-qm", "mv")
    said = warning_of(run)
    assert "holds 1 file of uncommitted work that neither this work tree nor HEAD has: " \
        "a (its edit is not here)" in said, said
    assert f"git restore --source {short} -- a (from" in said
    assert "new" not in said.replace("new worktree", "")
    begin = said.index("git restore --source")
    done = pasted(repo, said[begin:said.index(" (from", begin)])
    assert done.returncode == 0 and (repo / "a").read_text() == "a\nedit\n"
    assert not (repo / "new").exists() and (repo / "renamed").read_text() == "n1\nn2\nn3\n"


def test_an_executable_renamed_keeps_its_mode_as_work_here(repo: Path, run: Runner) -> None:
    """An executable the checkpoint added, committed and renamed: its ``chmod +x`` is
    the renamed file's, never named as missing."""
    first_commit(repo)
    run("start", "--title", "X")
    script = repo / "run.sh"
    script.write_text("#!/bin/sh\necho one\necho two\n")
    script.chmod(0o755)
    run("checkpoint")
    commit_all(repo, "script")
    git(repo, "mv", "run.sh", "go.sh")
    git(repo, "commit", "-qm", "mv")
    assert warning_of(run) == ""


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäé0123456789 -_.*[?:",
                min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..") and not n.startswith((".", "-", ":")) and
    not n.endswith((" ", ".")) and n != "a")


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=_NAME, new=_NAME, folder=st.sampled_from(["", "src/", "d e/"]))
def test_renamed_anywhere_under_any_name_is_here(old: str, new: str, folder: str) -> None:
    """Any added file, committed, then renamed (into a folder or not) and committed: no
    warning, whatever the names (wildcards, colons, spaces, non-ASCII)."""
    if old == new or folder.rstrip("/") == old:
        return
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch).resolve()
        git(repo, "init", "-q")
        first_commit(repo)
        run = Runner(repo)
        run("start", "--title", "H")
        (repo / old).write_text("\n".join(f"line {i}" for i in range(8)) + "\n")
        run("checkpoint")
        git(repo, "add", "--", f":(literal){old}")
        git(repo, "commit", "-qm", "add")
        if folder:
            (repo / folder).mkdir()
        git(repo, "mv", "--", old, f"{folder}{new}")
        git(repo, "commit", "-qm", "mv")
        assert warning_of(run) == "", (old, new, folder)
