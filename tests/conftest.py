"""Shared fixtures: temporary git repositories and the installed console script.

The command under test is the ``ai-protocols`` that ``pip install`` put
beside this interpreter, run as a real subprocess, never imported: that is
what agents and hooks run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.fake_api import FakeAPI
from agents.programs import Claude, Codex, installed

#: Set by scripts/test: a folder outside the tree where this pytest process (never the
#: commands it runs) keeps the compiled test modules, pytest's assert-rewritten ones,
#: while it collects them. Where PYTHONDONTWRITEBYTECODE is set pytest rewrites every
#: test module at every collection, about 17 s of CPU in each worker; with this, once
#: after a change (docs/performance.md, "Twenty-seventh round: the suite's time"). The
#: test modules are imported after this file; once they are collected the interpreter's
#: settings are put back (:func:`pytest_collection_finish`), so the tests run as
#: without it, and the environment the tests' commands get is not touched.
_BYTECODE = os.environ.get("AI_PROTOCOLS_TEST_BYTECODE")
_AS_STARTED = (sys.pycache_prefix, sys.dont_write_bytecode)
if _BYTECODE:
    sys.pycache_prefix = _BYTECODE
    sys.dont_write_bytecode = False


def pytest_collection_finish() -> None:
    """The interpreter's bytecode settings as the process started with them."""
    sys.pycache_prefix, sys.dont_write_bytecode = _AS_STARTED


BIN = Path(sys.executable).parent
CLI = BIN / "ai-protocols"
REPO_ROOT = Path(__file__).resolve().parent.parent


#: Variables an agent program running these tests would set, which the tool reads.
AGENT_VARIABLES = ("CLAUDE_CODE_SESSION_ID", "CODEX_THREAD_ID", "CODEX_SESSION_ID",
                   "CLAUDE_ENV_FILE", "CLAUDE_PROJECT_DIR")


def as_last_written(project: Path, path: Path) -> None:
    """Make the session file ``path`` under ``project/.ai``, just written by hand, the
    version the tool wrote last: its kept copy under ``.ai/.locks/live/`` a copy with its
    time. A test that puts a text in place as if the tool had written it (a corpus
    layout, an older version standing for the other side of a merge) calls this; without
    it the tool rightly takes the text for another session or a stale save (the kept copy
    is a copy of its own since the seventeenth round: a write in place no longer
    changes it)."""
    shutil.copy2(path, project / ".ai/.locks/live" / path.relative_to(project / ".ai"))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any AI_* variable of the caller's, nor an agent
    program's session variables (a developer may run the tests inside one), plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AI_") and k not in AGENT_VARIABLES}
    env["LC_ALL"] = "C.UTF-8"
    env.update(extra)
    return env


#: Each test file's seconds in a whole-suite run (the sum of its tests' setup, call and
#: teardown), written by ``scripts/gen_test_durations.py`` from pytest's JUnit XML.
DURATIONS = Path(__file__).with_name("durations.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test files longest first (by :data:`DURATIONS`; a file it does not name first of
    all, as if it were the longest), each file's tests in their own order.

    ``scripts/test`` hands the files to the workers one at a time in this order
    (``--dist loadfile --no-loadscope-reorder``): the longest first, so that the last
    ones, which one worker runs while the other has nothing left, are short. xdist's own
    order (the files with the most tests first) left files of one long test to the end.
    Where the tests run changes nothing they check."""
    try:
        seconds = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    items.sort(key=lambda item: -seconds.get(item.nodeid.partition("::")[0], math.inf))


@pytest.fixture(autouse=True)
def _no_outer_ai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library in-process must not see the developer's own AI_AGENT_ID."""
    for key in list(os.environ):
        if key.startswith("AI_") or key in AGENT_VARIABLES:
            monkeypatch.delenv(key)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository (resolved path, as the tool prints)."""
    root = (tmp_path / "proj").resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


class Runner:
    """Runs the installed ``ai-protocols`` in one project."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *args: str, agent: str | None = None, check: bool = True,
                 cwd: Path | None = None, env: dict[str, str] | None = None,
                 as_another_agent: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``ai-protocols ARGS``. Its owner (the agent behind it) is this test
        process; ``as_another_agent`` runs it under a short-lived agent process
        instead, which is gone when the call returns, as after a crash."""
        extra = dict(env or {})
        if agent is not None:
            extra["AI_AGENT_ID"] = agent
        command = [str(CLI), *args]
        if as_another_agent:  # (the command in the environment, not on its command
            # line: a process whose command line runs ai-protocols is a wrapper of it,
            # not an agent, docs/user-guide.md)
            import json

            extra["TEST_AGENT_COMMAND"] = json.dumps(command)
            command = [sys.executable, "-c",
                       "import json, os, subprocess, sys; sys.exit(subprocess.call("
                       "json.loads(os.environ.pop('TEST_AGENT_COMMAND'))))"]
        result = subprocess.run(
            command, cwd=cwd or self.cwd, env=clean_env(**extra),
            capture_output=True, text=True, timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"ai-protocols {' '.join(args)} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result


@pytest.fixture
def run(repo: Path) -> Runner:
    return Runner(repo)


@pytest.fixture(scope="session")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository after ``git init`` and ``ai-protocols init``, made once per test
    process: what :func:`project` copies. Read it, never write into it."""
    root = (tmp_path_factory.mktemp("initialized") / "proj").resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    Runner(root)("init")
    return root


def copy_initialized(template: Path, root: Path) -> None:
    """What ``ai-protocols init`` made in ``template`` (``.ai/`` and the merge driver in
    ``.git/config``), made in ``root``, a fresh ``git init``: the same bytes and modes,
    new files and folders (their times now's, as after an ``init`` of its own)."""
    for folder, dirs, files in os.walk(template / ".ai"):
        target = root / Path(folder).relative_to(template)
        target.mkdir(exist_ok=True)
        for name in files:
            (target / name).write_bytes((Path(folder) / name).read_bytes())
            os.chmod(target / name, os.stat(Path(folder) / name).st_mode & 0o7777)
        dirs.sort()
    (root / ".git" / "config").write_bytes((template / ".git" / "config").read_bytes())


@pytest.fixture
def project(repo: Path, initialized: Path) -> Iterator[Path]:
    """A repository after ``ai-protocols init``: a copy of :func:`initialized`'s (init
    runs through the console script once per test process; its ~0.15 s of CPU, git's
    runs included, was paid by every test that starts from an initialized project)."""
    copy_initialized(initialized, repo)
    yield repo


# -- the real agent programs (tests/agents, docs/agents-testing.md) --------------------------


@pytest.fixture(scope="session")
def agent_programs() -> dict[str, Path]:
    """The pinned ``claude`` and ``codex`` executables, installed once through
    scripts/install-agents into its cache. An install that fails fails the test."""
    try:
        return installed()
    except AssertionError as error:
        failure = str(error)
    pytest.fail(failure, pytrace=False)


@pytest.fixture
def fake_api() -> Iterator[FakeAPI]:
    """A fake model API on 127.0.0.1 with an empty script (queue replies with
    ``reply``). A callable reply that raised fails the test."""
    with FakeAPI() as api:
        yield api
    assert not api.errors, "a scripted reply raised:\n" + "\n".join(api.errors)


@pytest.fixture
def claude(agent_programs: dict[str, Path], repo: Path, tmp_path: Path,
           fake_api: FakeAPI) -> Claude:
    """The real Claude Code in ``repo``, its home private, talking to ``fake_api``."""
    return Claude(agent_programs["claude"], repo, tmp_path / "claude-home", fake_api)


@pytest.fixture
def codex(agent_programs: dict[str, Path], repo: Path, tmp_path: Path,
          fake_api: FakeAPI) -> Codex:
    """The real Codex in ``repo``, its home private, talking to ``fake_api``."""
    return Codex(agent_programs["codex"], repo, tmp_path / "codex-home", fake_api)
