"""A person's path inside the project is one path however spelled (issue 14, twentieth
round; docs/decisions.md, "Issue 14, twentieth round (a person's paths in the
project)").

The reviewer's f2.sh: a project entered through a linked folder (``cd /tmp/link``, the
shell's ``$PWD`` holds the link) refused ``log --key-file "$PWD/src/main.py"`` (exit 4,
"not a file inside the project"), as did ``AI_PROJECT_ROOT`` naming the link; and
``--key-file alias/main.py`` (``alias`` a link inside the project to ``src``) was
listed beside ``src/main.py``. ``log --key-file``, ``lock`` and ``task add
--working-set`` now take one rule (:func:`ai_protocols.paths.real_inside`): each
spelling of one file gives the same path, and each refuses the same paths outside.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git

from conftest import Runner


def _project(base: Path) -> tuple[Path, Path, Runner]:
    """A project at ``real`` with ``src/main.py``, ``alias`` (a link to ``src``) and
    ``out`` (a link outside it), and ``link``, a link to ``real`` from outside."""
    real, link = base / "real", base / "link"
    (real / "src").mkdir(parents=True)
    (real / "src" / "main.py").write_text("x\n")
    (base / "elsewhere").mkdir()
    os.symlink("src", real / "alias")
    os.symlink(base / "elsewhere", real / "out")
    os.symlink(real, link)
    git(real, "init", "-q")
    git(real, "add", "-A")
    git(real, "commit", "-q", "-m", "i")
    run = Runner(real)
    run("init")
    run("start", "--title", "paths", agent="ag")
    return real, link, run


_PARTS = st.lists(st.sampled_from(["", ".", "src/..", "alias/.."]), max_size=2)


@st.composite
def _spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A spelling of ``src/main.py`` from the project's top (``rel``), absolute through
    the real folder (``real``) or through the link to it (``link``): ``./``, ``//``,
    ``X/..`` between the parts, ``src`` or ``alias``."""
    where = draw(st.sampled_from(["rel", "real", "link"]))
    folder = draw(st.sampled_from(["src", "alias"]))
    text = "/".join([*draw(_PARTS), folder, *draw(_PARTS), "main.py"])
    return where, "./" + text if where == "rel" and text.startswith("/") else text


_MADE: dict[str, tuple[Path, Path, Runner]] = {}


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelling=_spellings())
def test_one_file_however_spelled_is_one_path(tmp_path: Path, spelling: tuple[str, str]
                                              ) -> None:
    """Every spelling, in one project, one after another: each command names
    ``src/main.py``, and the session lists one key file."""
    if str(tmp_path) not in _MADE:
        _MADE[str(tmp_path)] = _project(tmp_path.resolve())
    real, link, run = _MADE[str(tmp_path)]
    where, text = spelling
    spelled = text if where == "rel" else f"{real if where == 'real' else link}/{text}"
    for root in (None, str(link)):  # (the project found from the working folder, or
        env = {"AI_PROJECT_ROOT": root} if root else None  # named through the link)
        logged = run("log", "--key-file", spelled, agent="ag", env=env)
        assert logged.stdout.startswith("logged key-file: src/main.py"), (spelled, logged)
        locked = run("lock", spelled, "--reason", "r", agent="ag", env=env)
        assert locked.stdout.split()[1:] == ["src/main.py"], (spelled, locked.stdout)
        ident = run("task", "add", "T", "--working-set", spelled, agent="ag",
                    env=env).stdout.strip()
        tasks = json.loads(run("task", "list", "--all", "--json", agent="ag").stdout)
        assert [t["working_set"] for t in tasks if t["id"] == ident] == [
            ["src/main.py"]], (spelled, ident, tasks)
    shown = run("show", agent="ag").stdout
    assert shown.count("src/main.py") == 1 and "alias" not in shown, shown


def test_paths_outside_are_refused_alike(tmp_path: Path) -> None:
    """A path that leaves the project (``..``, or a link inside it that leads out) is
    refused by each command (exit 4, nothing changed), through the linked folder too."""
    _real, link, run = _project(tmp_path.resolve())
    for spelled in ("../x.py", "out/x.py", f"{link}/out/x.py", f"{link}/../x.py"):
        for args in (("log", "--key-file", spelled), ("lock", spelled, "--reason", "r"),
                     ("task", "add", "T", "--working-set", spelled)):
            done = run(*args, agent="ag", check=False)
            assert done.returncode == 4, (args, done)
            assert "project" in done.stderr, done.stderr
    assert "x.py" not in run("show", agent="ag").stdout
    assert run("locks", agent="ag").stdout.strip() == "No locks."
