"""``init`` on the console script's fast path (twentieth round, docs/performance.md "The
test suite's time, twentieth round"): answered without click, it prints, says and
writes exactly what its click command does: the same exit code, stdout, stderr, files
under ``.ai/`` (bytes and modes), ``AGENTS.md``/``CLAUDE.md`` and git configuration.
Each form runs twice in one folder, made again between the runs the same way: once
through the console script, once forced through the click CLI (as
``tests/test_fast_path.py``'s ``CLICK_PATH``, with the console script's own name, which
the merge driver's command names)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fast_path import SESSION_MERGE, imported

from conftest import CLI, clean_env

#: The click CLI, run as the console script would be (its ``argv[0]``).
CLICK_AS_SCRIPT = (f"import sys; sys.argv[0] = {str(CLI)!r}; "
                   "from ai_protocols.cli.app import main; main()")


def _state(root: Path) -> dict[str, object]:
    """Every file and folder under ``root`` but ``.git`` (bytes and mode), and the
    repository's configuration."""
    found: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in [*dirs, *files]:
            path = Path(folder, name)
            mode = stat.S_IMODE(path.lstat().st_mode)
            found[str(path.relative_to(root))] = (mode, None if path.is_dir()
                                                  else path.read_bytes())
    config = root / ".git" / "config"
    found[".git/config"] = config.read_bytes() if config.exists() else None
    return found


def both(root: Path, make: Callable[[Path], None], args: list[str]) -> \
        subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` in ``root`` made by ``make``, through the console script,
    then (``root`` made again) through click: the same exit code, output and files.
    Returns the console script's run."""
    runs = []
    for command in ([str(CLI), *args], [sys.executable, "-c", CLICK_AS_SCRIPT, *args]):
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        make(root)
        done = subprocess.run(command, cwd=root, env=clean_env(), capture_output=True,
                              text=True, timeout=60)
        runs.append((done, (done.returncode, done.stdout, done.stderr, _state(root))))
    assert runs[0][1] == runs[1][1], args
    return runs[0][0]


def _git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def _initialized(root: Path) -> None:
    _git_init(root)
    subprocess.run([str(CLI), "init"], cwd=root, env=clean_env(), check=True,
                   capture_output=True)


def _changed(root: Path) -> None:
    """Set up, then a person's edit of the protocol and the resolver made not executable."""
    _initialized(root)
    with open(root / ".ai" / "protocols.org", "a", encoding="utf-8") as file:
        file.write("* My own notes\n")
    os.chmod(root / ".ai" / "scripts" / "session-context-path", 0o644)


def _agents_files(root: Path) -> None:
    _git_init(root)
    (root / "AGENTS.md").write_text("# Ours\n\nKeep this.\n", encoding="utf-8")


def _broken_markers(root: Path) -> None:
    _git_init(root)
    (root / "CLAUDE.md").write_text("<!-- ai-protocols:begin -->\nno end\n",
                                    encoding="utf-8")


def _no_repository(root: Path) -> None:
    pass


@pytest.mark.parametrize(("make", "args"), [
    (_git_init, ["init"]),
    (_initialized, ["init"]),
    (_changed, ["init"]),
    (_git_init, ["init", "--agents-md"]),
    (_agents_files, ["init", "--agents-md"]),
    (_broken_markers, ["init", "--agents-md"]),
    (_no_repository, ["init"]),
    # what the fast path leaves to click: click's words on both
    (_git_init, ["init", "--help"]),
    (_git_init, ["init", "--agents-md=yes"]),
    (_git_init, ["init", "extra"]),
    (_git_init, ["init", "--agents"]),
])
def test_init_is_the_same_on_both_paths(tmp_path: Path, make: Callable[[Path], None],
                                        args: list[str]) -> None:
    done = both(tmp_path / "proj", make, args)
    if make is _git_init and args == ["init"]:  # (the comparison has something to compare)
        assert "created: " in done.stdout and "configured: " in done.stdout, done.stdout


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=("Cs",),
                                  blacklist_characters="/\x00"), min_size=1, max_size=12)
       .filter(lambda n: n not in (".", "..")))
def test_a_project_of_any_name_is_said_the_same(tmp_path_factory: pytest.TempPathFactory,
                                                name: str) -> None:
    """A project folder of any name (control characters, other scripts, spaces): the
    same lines, escaped alike, and the same files and configuration."""
    root = tmp_path_factory.mktemp("named") / name
    both(root, _git_init, ["init", "--agents-md"])


def test_init_imports_neither_click_nor_the_merge(repo: Path) -> None:
    """The fast path answers ``init`` (the comparisons above would pass with click on
    both sides), and setting the merge driver imports no merge: nor does a ``start`` in a
    project not set up yet, which sets it up."""
    for args in (["init"], ["start"]):
        shutil.rmtree(repo / ".ai", ignore_errors=True)
        subprocess.run(["git", "config", "--remove-section", "merge.ai-protocols"],
                       cwd=repo, capture_output=True)
        names = imported(repo, *args, AI_AGENT_ID="host.1.claude.1")
        assert "click" not in names, args
        assert not names & SESSION_MERGE, args
        assert (repo / ".ai" / "protocols.org").is_file()
        config = subprocess.run(["git", "config", "merge.ai-protocols.driver"], cwd=repo,
                                capture_output=True, text=True, check=True).stdout
        assert config.startswith(str(CLI)), config
