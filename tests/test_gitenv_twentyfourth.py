"""An inherited ``GIT_INDEX_FILE`` (set by git for a hook it runs, or by a person's
script) is not the repository's index: every git run of the tool, the hot reads of
``git.state`` too, leaves it out (``paths.git_env``, the one rule). The twenty-third
round's note found ``state._start`` keeping it: ``resume`` then listed every tracked file
as changed. docs/decisions.md, "Twenty-fourth round: one environment for git"."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Runner

AGENT = "me.1796000000"


def _timeless(text: str) -> object:
    """``status --json``'s rows without the ages in seconds (they move between runs)."""
    def drop(value: object) -> object:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if "seconds" not in k}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value
    return drop(json.loads(text))


@pytest.mark.parametrize("index", ["missing", "empty", "another"])
def test_an_inherited_index_file_changes_nothing_read(
        project: Path, run: Runner, tmp_path: Path, index: str) -> None:
    """``resume`` and ``status --json`` say the same with ``GIT_INDEX_FILE`` naming a
    missing index, an empty one, or another work tree's, as without it: one file changed
    and the session file untracked, not every tracked file."""
    (project / "a.txt").write_text("a\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(project), "commit", "-qm", "init"], check=True)
    run("start", "--title", "T", agent=AGENT)
    (project / "a.txt").write_text("a\nb\n", encoding="utf-8")
    other = tmp_path / "other-index"
    if index == "empty":
        other.write_bytes(b"")
        other.unlink()
        subprocess.run(["git", "-C", str(project), "read-tree", "--empty"], check=True,
                       env={"GIT_INDEX_FILE": str(other), "PATH": "/usr/bin:/bin"})
    elif index == "another":
        subprocess.run(["git", "init", "-q", str(tmp_path / "elsewhere")], check=True)
        (tmp_path / "elsewhere" / "z.txt").write_text("z\n", encoding="utf-8")
        subprocess.run(["git", "-C", str(tmp_path / "elsewhere"), "add", "z.txt"],
                       check=True)
        other = tmp_path / "elsewhere" / ".git" / "index"
    plain = run("resume", agent=AGENT)
    assert "1 changed, 1 untracked" in plain.stdout and "a.txt" in plain.stdout, plain.stdout
    given = run("resume", agent=AGENT, env={"GIT_INDEX_FILE": str(other)})
    assert given.stdout == plain.stdout
    assert _timeless(run("status", "--json", agent=AGENT,
                         env={"GIT_INDEX_FILE": str(other)}).stdout) == \
        _timeless(run("status", "--json", agent=AGENT).stdout)
    assert not (project / ".git" / "index.lock").exists()
