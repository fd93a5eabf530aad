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
