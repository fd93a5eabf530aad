"""Issue 14, fourteenth round (review fault 9): a ``checkpoint export`` killed before
its link into place left its ``.NAME.<random>.tmp`` beside the target for good, and
inside the work tree the next checkpoint took it. The next export to that name now
removes what a killed export left: a real SIGKILL at the ``link`` (strace), and a live
writer's file, held by its ``flock``, left alone."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

from test_rollover_eleventh_b import killed_at

from conftest import CLI, Runner, clean_env


def temporaries(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def test_an_export_killed_before_its_link_leaves_nothing_after_the_next(
        project: Path, run: Runner, tmp_path: Path) -> None:
    (project / "work.txt").write_text("work\n")
    run("checkpoint")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "snap.tar.gz"
    killed_at(project, "link", 1, "checkpoint", "export", "1", str(target))
    left = temporaries(out, "snap.tar.gz")
    assert len(left) == 1 and not target.exists()  # what the kill left (the fault's case)
    # A person's file of a like name that is no temporary of ours stays.
    mine = out / ".snap.tar.gz.notes.tmp"
    mine.write_text("mine\n")
    assert run("checkpoint", "export", "1", str(target)).returncode == 0
    assert temporaries(out, "snap.tar.gz") == [mine] and target.exists()


def test_a_live_exports_temporary_file_is_left_alone(project: Path, run: Runner,
                                                     tmp_path: Path) -> None:
    """A temporary file whose writer still holds its flock (another export under way)
    is not removed by a second export's sweep."""
    (project / "work.txt").write_text("work\n")
    run("checkpoint")
    live = tmp_path / ".snap.tar.gz.0123456789ab.tmp"
    live.write_bytes(b"half")
    holder = subprocess.Popen(
        ["python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'rb'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = subprocess.run([str(CLI), "checkpoint", "export", "1",
                               str(tmp_path / "snap.tar.gz")], cwd=project, env=clean_env(),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert live.read_bytes() == b"half"
    finally:
        holder.kill()
        holder.wait()
    # Its writer gone, the next export removes it.
    os.unlink(tmp_path / "snap.tar.gz")
    assert run("checkpoint", "export", "1", str(tmp_path / "snap.tar.gz")).returncode == 0
    assert not live.exists()
    with open(tmp_path / "snap.tar.gz", "rb") as done_file:  # (and no lock is left held)
        fcntl.flock(done_file, fcntl.LOCK_EX | fcntl.LOCK_NB)


# -- review fault 11: a symbolic link where the checkpoint has a folder -----------------------


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=project,
                   check=True, capture_output=True)


def link_where_a_folder_was(project: Path, run: Runner, tmp_path: Path) -> Path:
    """A checkpoint holding the folder ``link/`` (its ``x.txt``), then ``link`` made a
    symbolic link to a folder outside the repository holding its own ``x.txt``; that
    folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("OUTSIDE\n")
    (project / "link").mkdir()
    (project / "link" / "x.txt").write_text("inside\n")
    run("checkpoint")
    (project / "link" / "x.txt").unlink()
    (project / "link").rmdir()
    (project / "link").symlink_to(outside)
    return outside


def test_a_committed_symbolic_link_where_a_folder_goes_is_removed_first(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """HEAD holds ``link`` as a symbolic link to a folder outside the repository; the
    checkpoint has a real folder there. ``restore --force`` removes the link (HEAD holds
    it) and writes the folder: what lies beyond the link is never judged nor touched
    (it was refused, naming ``link/x.txt``, a file outside the repository)."""
    outside = link_where_a_folder_was(project, run, tmp_path)
    git(project, "add", "link")
    git(project, "commit", "-qm", "link is a symbolic link now")
    done = run("checkpoint", "restore", "1", "--force")
    assert "  link/x.txt" in done.stderr
    assert not (project / "link").is_symlink()
    assert (project / "link" / "x.txt").read_text() == "inside\n"
    assert (outside / "x.txt").read_text() == "OUTSIDE\n"


def test_an_uncommitted_symbolic_link_where_a_folder_goes_is_named_itself(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """The same link, but the work tree's alone: refused (exit 15), naming ``link``, the
    path in the way, never a file seen through it; nothing changes."""
    outside = link_where_a_folder_was(project, run, tmp_path)
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15
    assert "work in link;" in refused.stderr and "link/x.txt" not in refused.stderr
    assert (project / "link").is_symlink()
    assert (outside / "x.txt").read_text() == "OUTSIDE\n"
