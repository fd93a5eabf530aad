"""Issue 14, twenty-second round: the faults a fresh review found in checkpoints and the
"it looks rolled back" warning (docs/checkpoints.md, docs/git.md, docs/decisions.md
"Issue 14, twenty-second round (checkpoints)").

The installed command runs as a real subprocess in temporary git repositories, with
real clones and a bare remote; each printed command is pasted into bash as a person
pastes it.
"""

from __future__ import annotations

import re
import shutil
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


# -- 3. a restore worktree removed by hand ------------------------------------------------------


def test_a_restore_worktree_removed_by_hand_is_made_again(repo: Path, run: Runner) -> None:
    """``rm -rf`` of a restore's worktree, then the same restore: before, git's raw
    "is a missing but already registered worktree;; use 'add -f'...", exit 14."""
    first_commit(repo)
    run("start", "--title", "W")
    (repo / "a").write_text("a\nwork\n")
    run("checkpoint", "--note", "one")
    where = Path(run("checkpoint", "restore", "1").stdout.strip().splitlines()[-1])
    assert (where / "a").read_text() == "a\nwork\n"
    shutil.rmtree(where)
    again = run("checkpoint", "restore", "1", check=False)
    assert again.returncode == 0, again.stderr
    assert (where / "a").read_text() == "a\nwork\n"
    listed = git(repo, "worktree", "list", "--porcelain").split("\n")
    assert listed.count(f"worktree {where}") == 1 and "prunable" not in " ".join(listed)


def test_a_persons_missing_worktree_at_the_folder_is_refused_and_left(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    """A worktree of the person's (no restore made it) registered at the folder given,
    its folder missing (a drive not mounted?): refused (15) with what to do, and its
    registration, and every other, left as it was."""
    first_commit(repo)
    run("start", "--title", "P")
    (repo / "a").write_text("a\nwork\n")
    run("checkpoint")
    theirs, other = tmp_path / "theirs", tmp_path / "other"
    git(repo, "worktree", "add", "-q", "--detach", str(theirs))
    git(repo, "worktree", "add", "-q", "--detach", str(other))
    shutil.rmtree(theirs)
    shutil.rmtree(other)
    before = git(repo, "worktree", "list", "--porcelain")
    refused = run("checkpoint", "restore", "1", "--worktree", str(theirs), check=False)
    assert refused.returncode == 15, refused
    assert "whose folder is missing" in refused.stderr
    assert f"git worktree remove -f -f {theirs}" in refused.stderr
    assert ";;" not in refused.stderr
    assert git(repo, "worktree", "list", "--porcelain") == before
    done = pasted(repo, f"git worktree remove -f -f {theirs}")
    assert done.returncode == 0, done.stderr
    assert run("checkpoint", "restore", "1", "--worktree", str(theirs)).returncode == 0
    assert f"worktree {other}" in git(repo, "worktree", "list", "--porcelain")


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                               blacklist_characters="\n\r\x0b\x0c\x1c\x1d"
                                                                    "\x1e\x85\u2028\u2029"),
                        max_size=30), max_size=5))
def test_what_git_said_is_one_line_with_every_word_and_no_doubled_separator(
        lines: list[str]) -> None:
    """git's lines joined for an error (:func:`ai_protocols.errors.git_said`): each kept,
    in order, one separator between two: ``"; "``, or a space after a line that ends in
    ``;``, ``:`` or ``,`` (git's "worktree;" then "use 'add -f'..." read ``;;``)."""
    from ai_protocols.errors import git_said

    said = git_said("\n".join(lines).encode())
    kept = [line.strip() for line in lines if line.strip()]
    assert "\n" not in said
    at = 0
    for before, line in zip([None, *kept], kept, strict=False):
        if before is not None:
            sep = " " if before.endswith((";", ":", ",")) else "; "
            assert said[at:at + len(sep)] == sep, (said, at)
            at += len(sep)
        assert said[at:at + len(line)] == line, (said, at)
        at += len(line)
    assert at == len(said)


def test_a_persons_locked_missing_worktree_is_refused_too(repo: Path, run: Runner) -> None:
    """The same, the person's worktree locked (git's own refusal reads "is a missing but
    locked worktree;" then "use 'add -f -f'..."): refused (15), said once, its lock and
    registration left."""
    first_commit(repo)
    run("start", "--title", "G")
    (repo / "a").write_text("a\nwork\n")
    run("checkpoint")
    x = repo.parent / "x"
    git(repo, "worktree", "add", "-q", "--detach", str(x))
    git(repo, "worktree", "lock", "--reason", "on the USB drive", str(x))
    shutil.rmtree(x)
    before = git(repo, "worktree", "list", "--porcelain")
    refused = run("checkpoint", "restore", "1", "--worktree", str(x), check=False)
    assert refused.returncode == 15 and ";;" not in refused.stderr, refused.stderr
    assert git(repo, "worktree", "list", "--porcelain") == before
    assert "locked on the USB drive" in before


# -- 4. the pending file stays out of commits ---------------------------------------------------


def test_the_pending_file_is_never_committed(project: Path, run: Runner) -> None:
    """Entries that wait for an Emacs save (``.ai/.NAME.pending.org``, of the one-agent
    file and of an agent's) are this machine's: ``git add -A`` never takes them."""
    for agent, path in ((None, project / ".ai/session-context.org"),
                        ("b", project / ".ai/session-context.d/b.org")):
        run("start", "--title", "E", agent=agent)
        lock = path.with_name(f".#{path.name}")
        lock.symlink_to("someone@elsewhere.1")  # a live lock: a buffer on another host
        waited = run("log", "--progress", "while the buffer is unsaved", agent=agent)
        assert "the entries wait in" in waited.stderr
        pending = path.with_name(f".{path.name}.pending.org")
        assert pending.is_file()
        git(project, "add", "-A")
        tracked = git(project, "ls-files", "--", ".ai").split("\n")
        assert str(path.relative_to(project)) in tracked
        assert str(pending.relative_to(project)) not in tracked, tracked
        lock.unlink()  # saved: the next write folds them in, and removes the file
        run("log", "--progress", "after the save", agent=agent)
        assert not pending.exists()


# -- 5. checkpoint's own path never imports pathlib --------------------------------------------


def test_taking_a_checkpoint_imports_no_pathlib(project: Path, run: Runner) -> None:
    """``checkpoint`` works on text paths (``Checkpoints``' ``PathField``s), so neither
    pathlib nor what it brings (``re``, ``fnmatch``, ``urllib.parse``) is imported: over
    a quarter of its Python process's instructions (docs/performance.md, issue 14,
    twenty-second round); the checkpoint is taken as before, a changed and an untracked
    file."""
    from test_fast_path import NO_PATHLIB, imported

    first_commit(project)
    run("start", "--title", "I")
    (project / "a").write_text("changed\n")
    (project / "new").write_text("new\n")
    names = imported(project, "checkpoint", "--note", "n")
    assert not names & (NO_PATHLIB | {"re", "enum"}), names & (NO_PATHLIB | {"re", "enum"})
    assert "ai_protocols.git.checkpoint" in names
    listed = run("checkpoint", "list").stdout
    assert "2 uncommitted" in listed and listed.count("\n") == 1, listed


def test_an_edited_file_renamed_with_git_mv_is_followed(repo: Path, run: Runner) -> None:
    """A tracked file the checkpoint edited, then renamed with ``git mv`` (staged, not
    committed) and edited further: its edit is under the new name; a file it edited
    that is simply gone is still named."""
    first_commit(repo)
    (repo / "f").write_text("".join(f"line {i}\n" for i in range(10)))
    (repo / "g").write_text("".join(f"other {i}\n" for i in range(10)))
    commit_all(repo, "two files")
    run("start", "--title", "M")
    (repo / "f").write_text("".join(f"line {i}\n" for i in range(10)) + "edited\n")
    (repo / "g").write_text("".join(f"other {i}\n" for i in range(10)) + "edited\n")
    run("checkpoint")
    git(repo, "mv", "f", "h")
    (repo / "h").write_text((repo / "h").read_text() + "more\n")
    git(repo, "checkout", "--", "g")  # (its edit thrown away: lost)
    said = warning_of(run)
    # (f named as a file of the list: "f (", after ": " or ", "; never a hash's last
    # digit, "...0a8f (from", which failed this once)
    assert "g (its edit is not here)" in said and \
        not any(f"{before}f (" in said for before in (": ", ", ", " and ")), said
