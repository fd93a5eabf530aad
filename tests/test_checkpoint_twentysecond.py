"""Issue 14, twenty-second round: the faults a fresh review found in checkpoints and the
"it looks rolled back" warning (docs/checkpoints.md, docs/git.md, docs/decisions.md
"Issue 14, twenty-second round (checkpoints)").

The installed command runs as a real subprocess in temporary git repositories, with
real clones and a bare remote; each printed command is pasted into bash as a person
pastes it.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitkit import git, pasted
from test_checkpoint_fifth import two_clones

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
