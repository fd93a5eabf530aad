"""Issue 14, fifteenth round (a fresh review of checkpoints): a checkpoint's change of a
file's mode (``chmod +x``, ``chmod -x``, an executable added) is work
(docs/checkpoints.md): when it is lost, ``resume`` and ``start`` name it, and the
``git restore --source`` they advise, run as printed, gives it back. Real git, the
installed console script."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from test_checkpoint_fourteenth import git, started, warning

from conftest import Runner


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _restore_as_advised(project: Path, said: str) -> None:
    command = said[said.index("git restore --source"):].splitlines()[0]
    command = command.split(" (from ")[0].split(";")[0].strip()
    subprocess.run(command, shell=True, cwd=project, check=True)


@pytest.mark.parametrize("also_edited", [False, True], ids=["mode only", "mode and edit"])
def test_a_lost_chmod_is_named_and_the_advice_gives_it_back(project: Path, run: Runner,
                                                            also_edited: bool) -> None:
    """``chmod +x run.sh`` (with an edit of it, or without) and an edit of B.txt are
    checkpointed; ``git reset --hard`` loses both; B's edit is made again, run.sh's mode
    is not: the warning names run.sh and its chmod, not B.txt; the advised ``git restore
    --source`` makes run.sh executable again with the checkpoint's content."""
    (project / "run.sh").write_text("#!/bin/sh\necho run\n")
    (project / "B.txt").write_text("b\n")
    started(project, run)
    os.chmod(project / "run.sh", 0o755)
    if also_edited:
        with open(project / "run.sh", "a") as f:
            f.write("echo more\n")
    with open(project / "B.txt", "a") as f:
        f.write("b2\n")
    point = run("checkpoint", "--note", "run.sh executable").stdout.split()[2].rstrip(":")
    session = (project / ".ai/session-context.org").read_bytes()
    saved = (project / "run.sh").read_bytes()
    git(project, "reset", "-q", "--hard")
    (project / ".ai/session-context.org").write_bytes(session)
    with open(project / "B.txt", "a") as f:
        f.write("b2\n")
    assert not _executable(project / "run.sh")
    said = warning(run)
    assert "run.sh" in said and "B.txt" not in said, said
    assert ("its edit and its chmod +x are not here" if also_edited else
            "its chmod +x is not here") in said, said
    assert f"git restore --source {point} -- run.sh" in said, said
    done = run("start")
    started_said = done.stdout + done.stderr
    assert "run.sh" in started_said and "chmod +x" in started_said, started_said
    _restore_as_advised(project, said)
    assert _executable(project / "run.sh")
    assert (project / "run.sh").read_bytes() == saved
    assert warning(run) == ""


def test_a_lost_chmod_minus_x_and_an_added_executable_are_named(project: Path,
                                                                run: Runner) -> None:
    """``chmod -x`` of a tracked script and a new executable file, checkpointed and lost
    (the new file made again without its mode): both named by what is missing."""
    (project / "tool.sh").write_text("#!/bin/sh\n")
    os.chmod(project / "tool.sh", 0o755)
    started(project, run)
    os.chmod(project / "tool.sh", 0o644)
    (project / "new.sh").write_text("#!/bin/sh\necho new\n")
    os.chmod(project / "new.sh", 0o755)
    run("checkpoint")
    session = (project / ".ai/session-context.org").read_bytes()
    git(project, "reset", "-q", "--hard")
    assert _executable(project / "tool.sh")  # (HEAD's mode back)
    (project / "new.sh").write_text("#!/bin/sh\necho new\n")
    os.chmod(project / "new.sh", 0o644)
    (project / ".ai/session-context.org").write_bytes(session)
    said = warning(run)
    assert "tool.sh (its chmod -x is not here)" in said, said
    assert "new.sh (its chmod +x is not here)" in said, said


def test_a_kept_mode_is_not_named(project: Path, run: Runner) -> None:
    """The chmod is here still (only another file's edit lost): run.sh is not named."""
    (project / "run.sh").write_text("#!/bin/sh\n")
    started(project, run)
    os.chmod(project / "run.sh", 0o755)
    with open(project / "a.txt", "a") as f:
        f.write("more\n")
    run("checkpoint")
    git(project, "checkout", "-q", "--", "a.txt")
    said = warning(run)
    assert "a.txt" in said and "run.sh" not in said, said
