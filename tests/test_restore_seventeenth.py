"""Issue 14, seventeenth round (a fresh reviewer's faults in ``checkpoint restore
--force``, sparse checkouts and pause): a file saved between the restore's check and its
write is never overwritten; work only staged (in no commit or checkpoint) refuses the
restore; ``checkpoint`` and ``pause`` work in a sparse checkout; both warn of work files
an Emacs buffer holds unsaved changes to. Real git, the installed console script."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
                          cwd=where, check=True, capture_output=True, text=True).stdout


def started(project: Path, run: Runner) -> None:
    (project / "a.txt").write_text("a\n")
    (project / "b.txt").write_text("b\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    run("start", "--title", "T")


def boot_time() -> str:
    with open("/proc/stat") as stat:
        return next(line.split()[1] for line in stat if line.startswith("btime"))


# -- 1: a save between the check and the write -------------------------------------------------


def test_a_file_saved_between_the_check_and_the_write_is_never_overwritten(
        project: Path, run: Runner, tmp_path: Path) -> None:
    started(project, run)
    for name in ("a.txt", "b.txt"):
        with open(project / name, "a") as f:
            f.write("checkpointed\n")
    run("checkpoint", "--note", "one")
    git(project, "checkout", "-q", "--", ".")
    # A git that, the first time it is asked to write work tree files (checkout,
    # checkout-index, read-tree -u), lets a person save a.txt first: the save falls
    # exactly between the restore's check of the work tree and its write.
    real = shutil.which("git")
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    saved = tmp_path / "saved"
    (wrapper / "git").write_text(
        "#!/bin/sh\n"
        f"if [ ! -e '{saved}' ]; then for arg; do case \"$arg\" in\n"
        "  checkout|checkout-index|-u)\n"
        f"    echo 'PRECIOUS: typed and saved meanwhile' >> '{project}/a.txt'; : > '{saved}'"
        "; break;;\n"
        "esac; done; fi\n"
        f"exec '{real}' \"$@\"\n")
    (wrapper / "git").chmod(0o755)
    done = run("checkpoint", "restore", "1", "--force", check=False,
               env={"PATH": f"{wrapper}:{os.environ['PATH']}"})
    assert saved.exists()  # (the save happened, at that moment)
    assert "PRECIOUS: typed and saved meanwhile" in (project / "a.txt").read_text()
    assert (project / "b.txt").read_text() == "b\ncheckpointed\n"  # (the rest restored)
    assert done.returncode == 0, done.stderr
    assert "a.txt" in done.stderr and "changed after the restore checked" in done.stderr


# -- 2: work only staged ----------------------------------------------------------------------


_NAME = st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters="-_ "),
                min_size=1, max_size=12).filter(lambda s: s.strip() == s and s not in (
                    "a.txt", "b.txt"))


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAME)
def test_work_only_staged_refuses_the_restore_until_it_is_kept(
        tmp_path: Path, name: str) -> None:
    project = Path(tempfile.mkdtemp(dir=tmp_path))
    git(project, "init", "-q")
    run = Runner(project)
    started(project, run)
    with open(project / "a.txt", "a") as f:
        f.write("checkpointed edit\n")
    point = run("checkpoint", "--note", "one").stdout.split()[2].rstrip(":")
    git(project, "checkout", "-q", "--", "a.txt")
    (project / name).write_text("new work, staged, in no commit and no checkpoint\n")
    with open(project / "b.txt", "a") as f:
        f.write("edit of b, staged\n")
    git(project, "add", "--", name, "b.txt")
    index = (project / ".git" / "index").read_bytes()
    refused = run("checkpoint", "restore", point, "--force", check=False)
    assert refused.returncode == 15, refused.stderr
    assert name in refused.stderr and "b.txt" in refused.stderr
    assert "staged" in refused.stderr and "ai-protocols checkpoint" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert (project / name).exists() and "edit of b" in (project / "b.txt").read_text()
    assert (project / ".git" / "index").read_bytes() == index
    # Kept in a checkpoint (the files are as staged), the same restore goes ahead.
    run("checkpoint", "--note", "keeps the staged work")
    run("checkpoint", "restore", point, "--force")
    assert not (project / name).exists() and (project / "b.txt").read_text() == "b\n"
    assert "checkpointed edit" in (project / "a.txt").read_text()


def test_a_staged_edit_changed_again_in_the_work_tree_still_refuses(
        project: Path, run: Runner) -> None:
    started(project, run)
    with open(project / "a.txt", "a") as f:
        f.write("checkpointed edit\n")
    run("checkpoint", "--note", "one")
    (project / "b.txt").write_text("staged version\n")
    git(project, "add", "b.txt")
    (project / "b.txt").write_text("work tree version\n")
    run("checkpoint", "--note", "holds the work tree's b.txt, not the staged one")
    git(project, "checkout", "-q", "--", "a.txt")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15 and "b.txt" in refused.stderr
    assert (project / "b.txt").read_text() == "work tree version\n"


# -- 3: sparse checkouts ----------------------------------------------------------------------


def test_checkpoint_pause_and_restore_work_in_a_sparse_checkout(project: Path,
                                                                run: Runner) -> None:
    for name in ("in", "out"):
        (project / name).mkdir()
    (project / "in" / "a").write_text("1\n")
    (project / "out" / "b").write_text("2\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "init")
    git(project, "sparse-checkout", "set", "--cone", "in")
    assert not (project / "out" / "b").exists()
    run("start", "--title", "sparse")  # (.ai/ is outside the cone)
    with open(project / "in" / "a", "a") as f:
        f.write("mod\n")
    taken = run("checkpoint", "--note", "sparse", check=False)
    assert taken.returncode == 0, taken.stderr
    assert "sparse" not in taken.stderr
    commit = taken.stdout.split()[2].rstrip(":")
    assert git(project, "show", f"{commit}:out/b") == "2\n"  # (as the index has it)
    assert git(project, "show", f"{commit}:in/a") == "1\nmod\n"
    (project / "out").mkdir()
    (project / "out" / "new.txt").write_text("scratch\n")  # (a new file outside the cone)
    second = run("checkpoint", "--note", "with out/new.txt", check=False)
    assert second.returncode == 0, second.stderr
    assert git(project, "show", f"{second.stdout.split()[2].rstrip(':')}:out/new.txt") == \
        "scratch\n"
    (project / "out" / "new.txt").unlink()
    restored = run("checkpoint", "restore", "2", "--force", check=False)
    assert restored.returncode == 0, restored.stderr
    assert (project / "out" / "new.txt").read_text() == "scratch\n"
    assert not (project / "out" / "b").exists()  # (never checked out by the restore)
    assert git(project, "ls-files", "-v", "out/b").startswith("S ")
    # Into a new worktree (git gives it this one's sparse patterns): every file is there.
    run("checkpoint", "restore", "2")
    beside = project.parent / f"{project.name}-checkpoint-default-2"
    assert (beside / "out" / "new.txt").read_text() == "scratch\n"
    assert (beside / "out" / "b").read_text() == "2\n"
    assert (beside / "in" / "a").read_text() == "1\nmod\n"
    paused = run("pause", "--note", "p", check=False)
    assert paused.returncode == 0, paused.stderr


# -- 4: unsaved Emacs buffers -----------------------------------------------------------------


def test_checkpoint_and_pause_warn_of_files_emacs_holds_unsaved(project: Path,
                                                               run: Runner) -> None:
    started(project, run)
    holder = subprocess.Popen(["sleep", "300"])
    try:
        os.symlink(f"me@{socket.gethostname()}.{holder.pid}:{boot_time()}", project / ".#a.txt")
        (project / "#a.txt#").write_text("a\ntyped, not saved yet\n")
        # A stale lock (its process is gone) is no unsaved buffer.
        os.symlink(f"me@{socket.gethostname()}.{2**22 + 7}:{boot_time()}", project / ".#b.txt")
        taken = run("checkpoint", "--note", "before the urgent bug")
        assert "a.txt" in taken.stderr and "unsaved" in taken.stderr
        assert "save it in Emacs first, then checkpoint again" in taken.stderr
        assert "b.txt" not in taken.stderr
        paused = run("pause", "--note", "urgent bug")
        assert "a.txt" in paused.stderr and "save it in Emacs first" in paused.stderr
    finally:
        holder.kill()
        holder.wait()
    (project / ".#a.txt").unlink()
    run("start")
    quiet = run("checkpoint", "--note", "saved")
    assert "unsaved" not in quiet.stderr


# -- 5: an agent id as typed; a free folder suggested -------------------------------------------


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(letters=st.text(st.characters(whitelist_categories=("Ll", "Lu", "Lo")), min_size=1,
                       max_size=6))
def test_an_agent_id_shows_as_typed_and_the_folder_suggested_is_free(
        tmp_path: Path, letters: str) -> None:
    agent = f"ünï{letters}.1718400000"
    project = Path(tempfile.mkdtemp(dir=tmp_path)) / "proj"
    project.mkdir()
    git(project, "init", "-q")
    (project / "a").write_text("a\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "i")
    run = Runner(project)
    run("start", "--title", "T", agent=agent)
    (project / "a").write_text("a\nb\n")
    taken = run("checkpoint", "--note", "x", agent=agent)
    assert "%" in taken.stdout  # (the ref itself is encoded: git's rules)
    listed = run("checkpoint", "list", agent=agent).stdout
    assert f"  {agent}/" in listed and "%" not in listed
    restored = run("checkpoint", "restore", "1", agent=agent)
    folder = project.parent / f"proj-checkpoint-{agent}-1"
    assert folder.is_dir() and f"checkpoint {agent}/" in restored.stderr
    assert "%" not in restored.stderr
    # The default folder exists now: the refusal suggests one that does not.
    refused = run("checkpoint", "restore", "1", "--worktree", "inside", agent=agent,
                  check=False)
    assert refused.returncode == 15
    suggested = refused.stderr.split("does not exist yet: ", 1)[1].split(")", 1)[0]
    assert not os.path.lexists(suggested) and Path(suggested).parent == project.parent
    run("checkpoint", "restore", "1", "--worktree", suggested, agent=agent)
    assert (Path(suggested) / "a").read_text() == "a\nb\n"
