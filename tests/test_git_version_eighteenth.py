"""`checkpoint` and `pause` work with a git older than 2.34, which refuses `git add
--sparse` ("error: unknown option `sparse'", exit 129): the option is given only in a
sparse checkout (its `info/sparse-checkout` file), where it is needed. The older git is
the real one behind a wrapper that refuses the option as that git does."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import Runner, clean_env

_OLD_GIT = """#!/bin/sh
for arg in "$@"; do
  if [ "$arg" = "--sparse" ]; then
    echo "error: unknown option \\`sparse'" >&2
    echo "usage: git add [<options>] [--] <pathspec>..." >&2
    exit 129
  fi
done
exec {git} "$@"
"""


def test_a_checkpoint_is_taken_with_a_git_that_lacks_add_sparse(
        project: Path, run: Runner, tmp_path: Path) -> None:
    shim = tmp_path / "old-git"
    shim.mkdir()
    (shim / "git").write_text(_OLD_GIT.format(git=shutil.which("git")))
    (shim / "git").chmod(0o755)
    env = {"PATH": f"{shim}{os.pathsep}{clean_env()['PATH']}"}
    (project / "work.txt").write_text("work\n")
    run("start", agent="a.1", env=env)
    run("checkpoint", "--note", "old git", agent="a.1", env=env)
    listed = json.loads(run("checkpoint", "list", "--json", agent="a.1", env=env).stdout)
    assert [c["note"] for c in listed] == ["old git"]
    shown = run("checkpoint", "show", listed[0]["ref"], agent="a.1", env=env).stdout
    assert "work.txt" in shown
    paused = run("pause", "--note", "lunch", agent="a.1", env=env)
    assert paused.returncode == 0
    assert len(json.loads(run("checkpoint", "list", "--json", agent="a.1").stdout)) == 2
