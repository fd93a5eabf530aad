"""Paths in printed git commands are read by git as those paths (twenty-second round:
the last round's note, "file names starting with ``:`` or holding glob characters still
act as pathspec magic in the printed ``git restore``/``git diff`` commands"). A
checkpoint's edits of ``a*.txt``, ``:colon.txt``, ``x?.txt`` and ``[b].txt`` lost by
``git reset --hard``, the last made again: ``resume`` advises ``git restore
--source``, which, pasted, gives back the three others and leaves ``ab.txt`` and
``xy.txt``, which their names would match as wildcards, as they are.
Real git, the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_checkpoint_fourteenth import git, started, warning

from ai_protocols.paths import literal_pathspec

from conftest import Runner

_ODD = ["a*.txt", ":colon.txt", "x?.txt", "[b].txt"]
_PLAIN = ["ab.txt", "xy.txt", "b.txt", "colon.txt"]


def test_a_pasted_restore_takes_back_only_the_files_it_names(project: Path,
                                                             run: Runner) -> None:
    for name in _ODD + _PLAIN:
        (project / name).write_text(f"{name} committed\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "files")
    started(project, run)
    for name in _ODD:
        (project / name).write_text(f"{name} checkpointed\n")
    run("checkpoint", "--note", "odd names")
    session = (project / ".ai/session-context.org").read_bytes()
    git(project, "reset", "-q", "--hard")
    (project / ".ai/session-context.org").write_bytes(session)
    for name in _PLAIN:  # (work here since, that a wildcard would overwrite)
        (project / name).write_text(f"{name} edited here\n")
    (project / "[b].txt").write_text("[b].txt checkpointed\n")  # (one edit made again)
    said = warning(run)
    assert "git restore --source" in said, said
    command = said[said.index("git restore --source"):].splitlines()[0]
    command = command.split(" (from ")[0].split(";")[0].strip()
    assert ":(literal)" in command, command
    subprocess.run(command, shell=True, cwd=project, check=True)
    for name in _ODD:
        assert (project / name).read_text() == f"{name} checkpointed\n", name
    for name in _PLAIN:
        assert (project / name).read_text() == f"{name} edited here\n", name


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(st.sampled_from("ab:*?[]\\. -"), min_size=1, max_size=8).filter(
    lambda n: n not in (".", "..") and "/" not in n and not n.startswith("-")))
def test_git_reads_the_pathspec_as_the_one_path(tmp_path_factory: object, name: str) -> None:
    """Any file name: ``git ls-files -- PATHSPEC`` of :func:`literal_pathspec` lists that
    file and no other, among files whose names its wildcards would match."""
    repo = tmp_path_factory.mktemp("spec")  # type: ignore[attr-defined]
    git(repo, "init", "-q")
    bare = name.strip(":")  # (":." stripped is ".", the folder itself: no file's name)
    names = {name, "a", "b", "ab", ":a", "[a]", "a*", "x",
             bare if bare not in ("", ".", "..") else "z"}
    for each in names:
        (repo / each).write_text("x\n")
    git(repo, "add", "-A", "--", ":(literal)" + name, *(":(literal)" + n for n in names))
    listed = subprocess.run(["git", "ls-files", "-z", "--", literal_pathspec(name)], cwd=repo,
                            capture_output=True, check=True).stdout.decode().split("\0")
    assert [n for n in listed if n] == [name], (name, listed)
