"""An error changes nothing, for every command that takes several steps (issue 11,
point 7): ``wrap-up``, ``recover --archive``, ``recover --adopt``, ``start``
finishing a wrap-up an older version left half done, and ``start``'s takeover.

Real failures, never mocks: a tmpfs with no inodes left (``unshare -m``, as
``tests/sandbox.py`` does it), ``.ai/sessions/`` on another file system, a
project so deep that an archive's path would pass ``PATH_MAX``, and a real
SIGKILL between two steps of an adoption. After any failure the project is as
it was (a snapshot of every file and folder; only empty lock files, and their
folders, may appear), and the same command succeeds once the cause is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sandbox
from conftest import CLI, Runner, clean_env

ME = "me.host.claude.1700000001"
OTHER = "other.host.claude.1700000000"
CLOSED = "closed.host.claude.1700000003"

#: The commands, each as (arguments, agent id), and the case's name.
CASES: dict[str, tuple[list[str], str | None]] = {
    "wrap-up": (["wrap-up", "Done for today"], None),
    "recover --archive": (["recover", OTHER, "--archive"], None),
    "recover --adopt": (["recover", OTHER, "--adopt"], ME),
    "start finishing a wrap-up": (["start"], CLOSED),
    "start taking over": (["start"], OTHER),
}


def populate(run: Runner) -> None:
    """This agent's session with entries; another agent's crashed one (``OTHER``); a
    fresh one (``ME``); one closed in place by an older version's wrap-up killed
    between its two steps (``CLOSED``). No archive, so no archive lock, yet."""
    run("init")
    run("start", "--title", "Many steps")
    run("log", "--progress", "first step", "--next", "second step")
    run("start", agent=OTHER, as_another_agent=True)
    run("log", "--progress", "other's step", agent=OTHER)
    run("start", agent=ME, as_another_agent=True)
    run("start", agent=CLOSED, as_another_agent=True)
    run("log", "--progress", "closed's step", agent=CLOSED)
    closed = run.cwd / ".ai/session-context.d" / f"{CLOSED}.org"
    closed.write_text(closed.read_text().replace(":STATUS:   active", ":STATUS:   wrapped-up")
                      .replace(":END:", ":ENDED:    [2026-11-21 Sat 10:02]\n"
                                        ":DESCRIPTION: Nearly done\n:END:", 1))


def outcome(root: Path) -> dict[str, str]:
    """The session files and archives (not .ai/.locks/), with their text."""
    found = {}
    for path in sorted((root / ".ai").rglob("*.org")):
        relative = path.relative_to(root)
        if relative.parts[1] not in (".locks",) and path.name != "protocols.org":
            found[str(relative)] = path.read_text()
    return found


def _no_inodes_scenario(base: str, case: str) -> dict[str, Any]:
    """Under ``unshare -m``: for each number of free inodes from 0 to 6, a copy of one
    populated project on a tmpfs of its own, the command run, then run again once the
    inodes are freed."""
    args, agent = CASES[case]
    template = Path(base) / "template"
    template.mkdir()
    (template / ".git").mkdir()  # marks the project root
    populate(Runner(template))
    runs = []
    for free in range(7):
        root = Path(base) / f"free-{free}"
        root.mkdir()
        sandbox.mount_tmpfs(root, "4m", inodes=600)
        subprocess.run(["cp", "-a", f"{template}/.", str(root)], check=True)
        filler = sandbox.fill_inodes(root, free)
        before = sandbox.snapshot(root)
        first = Runner(root)(*args, agent=agent, check=False)
        changes = sandbox.changes(before, sandbox.snapshot(root), locks_may_appear=True,
                                  folder_mtimes=False)
        shutil.rmtree(filler)
        again = Runner(root)(*args, agent=agent, check=False) if first.returncode else first
        runs.append({"free": free, "first": [first.returncode, first.stdout, first.stderr],
                     "changes": changes, "again": [again.returncode, again.stdout, again.stderr],
                     "outcome": outcome(root), "temporary": [str(p) for p in root.rglob("*.tmp")]})
    return {"runs": runs, "before": outcome(template)}


def expected_outcome(case: str, before: dict[str, str], after: dict[str, str]) -> None:
    """What the command did once it succeeded: the session where it belongs, whole."""
    gone = {k for k in before if k not in after}
    new = {k: v for k, v in after.items() if k not in before}
    other = f".ai/session-context.d/{OTHER}.org"
    if case == "wrap-up":
        assert gone == {".ai/session-context.org"}
        [(name, text)] = new.items()
        assert name.startswith(".ai/sessions/") and "- [ ] " in text and "first step" in text
        assert ":STATUS:   wrapped-up" in text
    elif case == "recover --archive":
        assert gone == {other}
        [(name, text)] = new.items()
        assert name.startswith(".ai/sessions/") and "other's step" in text
    elif case == "recover --adopt":
        assert gone == {other} and not new
        mine = after[f".ai/session-context.d/{ME}.org"]
        assert "other's step" in mine and f":ADOPTED_FROM: {OTHER}" in mine
    elif case == "start finishing a wrap-up":
        closed = f".ai/session-context.d/{CLOSED}.org"
        assert not gone
        [(name, text)] = new.items()
        assert name == f".ai/sessions/2026-11-21-10-02-{CLOSED}-nearly-done.org"
        assert "closed's step" in text and "closed's step" not in after[closed]
        assert ":STATUS:   active" in after[closed]
    else:  # taking over its own crashed file
        assert not gone and not new
        assert "resumed: the previous session did not wrap up" in after[other]
        assert "other's step" in after[other]


@pytest.mark.parametrize("case", CASES)
def test_no_inodes_left_changes_nothing_and_a_retry_succeeds(tmp_path: Path, case: str) -> None:
    facts = sandbox.in_mount_namespace(_no_inodes_scenario, str(tmp_path.resolve()), case)
    succeeded_first = []
    for run in facts["runs"]:
        code, stdout, stderr = run["first"]
        where = f"with {run['free']} inodes free"
        if code == 0:
            succeeded_first.append(run["free"])
        else:
            assert (code, stdout) == (9, ""), f"{where}: {stderr}"
            assert stderr.startswith("Error: the file system refused "), stderr
            assert stderr.endswith(": No space left on device\n"), stderr
            assert run["changes"] == [], f"{where}, the failed command changed:\n" + \
                "\n".join(run["changes"])
            assert run["again"][0] == 0, f"{where}, the retry failed: {run['again'][2]}"
        assert run["temporary"] == [], where
        expected_outcome(case, facts["before"], run["outcome"])
    assert 0 not in succeeded_first, "no inode at all, and it still wrote?"
    assert succeeded_first, "the test never left enough inodes to succeed"


# -- .ai/sessions/ on another file system ----------------------------------------------------


def _cross_device_scenario(base: str) -> dict[str, Any]:
    """Under ``unshare -m``: ``.ai/sessions/`` is a tmpfs of its own, so that moving a
    file there from ``.ai/`` cannot be a rename."""
    root = Path(base) / "proj"
    root.mkdir()
    (root / ".git").mkdir()
    run = Runner(root)
    populate(run)
    sandbox.mount_tmpfs(root / ".ai/sessions", "1m")
    results = {name: run(*CASES[name][0], agent=CASES[name][1], check=False)
               for name in ("wrap-up", "recover --archive", "start finishing a wrap-up")}
    return {"results": {k: [r.returncode, r.stdout, r.stderr] for k, r in results.items()},
            "outcome": outcome(root), "devices": [os.stat(root / ".ai").st_dev,
                                                  os.stat(root / ".ai/sessions").st_dev]}


def test_archives_go_to_another_file_system(tmp_path: Path) -> None:
    facts = sandbox.in_mount_namespace(_cross_device_scenario, str(tmp_path.resolve()))
    assert facts["devices"][0] != facts["devices"][1]
    for name, (code, _, stderr) in facts["results"].items():
        assert code == 0, f"{name}: {stderr}"
    after = facts["outcome"]
    archives = {k: v for k, v in after.items() if k.startswith(".ai/sessions/")}
    assert len(archives) == 3
    assert ".ai/session-context.org" not in after
    assert f".ai/session-context.d/{OTHER}.org" not in after
    assert sum("first step" in t for t in archives.values()) == 1
    assert sum("other's step" in t for t in archives.values()) == 1
    assert sum("closed's step" in t for t in archives.values()) == 1


# -- a path near PATH_MAX ---------------------------------------------------------------------

LONG = "a long description " * 10  # a 190-character slug


@pytest.mark.parametrize("agent", [None, ME], ids=["no id", "an id"])
def test_an_archive_path_past_path_max_is_cut_to_fit(tmp_path: Path, agent: str | None) -> None:
    """A project so deep that its session file and locks fit under PATH_MAX but an
    archive named after the whole description would not: the name is cut to fit."""
    root = tmp_path.resolve()
    while len(str(root)) < 4095 - 140:
        root = root / ("d" * min(200, 4095 - 140 - len(str(root)) - 1 or 1))
    os.makedirs(root, exist_ok=True)
    (root / ".git").mkdir()
    run = Runner(root)
    run("init")
    run("start", agent=agent)
    run("log", "--progress", "deep step", agent=agent)
    path = Path(run("path", agent=agent).stdout.strip())
    result = run("wrap-up", LONG, agent=agent, check=False)
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip())
    assert len(os.fsencode(archive)) <= 4095 and len(archive.name) <= 255
    assert archive.parent == root / ".ai/sessions"
    assert archive.name.startswith(archive.name[:16] + (f"-{agent}-a-long" if agent
                                                        else "-a-long-description"))
    with open(os.open(archive, os.O_RDONLY), encoding="utf-8") as handle:
        assert "deep step" in handle.read()
    assert not os.path.lexists(path)


# -- an adoption killed between its steps ----------------------------------------------------

KILL_AT = """
import os, signal
_unlink = os.unlink
def unlink(path, *args, **kwargs):  # (pathlib's unlink calls it too)
    if os.fspath(path) == os.environ.get("TEST_KILL_AT_UNLINK"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _unlink(path, *args, **kwargs)
os.unlink = unlink
"""


def test_an_adoption_killed_half_way_is_never_archived_again(project: Path, run: Runner,
                                                             tmp_path: Path) -> None:
    """SIGKILL after the adopter's file is written, before the adopted one is removed:
    another agent's ``recover --archive`` must not archive it a second time (a doubled
    session); it is told where the session went, and the leftover goes."""
    run("start", agent=OTHER, as_another_agent=True)
    run("log", "--progress", "other's step", agent=OTHER)
    run("start", agent=ME)
    theirs = project / f".ai/session-context.d/{OTHER}.org"
    mine = project / f".ai/session-context.d/{ME}.org"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_AT)
    killed = subprocess.run([str(CLI), "recover", OTHER, "--adopt"], cwd=project,
                            env=clean_env(AI_AGENT_ID=ME, PYTHONPATH=str(hook),
                                          TEST_KILL_AT_UNLINK=str(theirs)),
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert theirs.exists() and "other's step" in mine.read_text()  # killed between the two
    status = json.loads(run("status", "--json").stdout)
    assert [row["agent_id"] for row in status] == [ME]  # the leftover is no session
    listed = json.loads(run("list", "--json").stdout)
    assert str(theirs) not in [row["path"] for row in listed]
    third = "third.host.claude.1700000009"
    result = run("recover", OTHER, "--archive", agent=third, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        7, "", f"Error: the session at {theirs} is already wrapped up (adopted by {mine}); "
               "run 'ai-protocols start'\n")
    assert not theirs.exists()
    assert not list((project / ".ai/sessions").glob("*.org"))
    shown = json.loads(run("show", "--json", agent=ME).stdout)
    assert [e["text"] for e in shown["progress"]] == ["other's step"]
    # The adopter's own re-run finishes its adoption (docs/decisions.md, "The re-run
    # finishes a killed adoption"): exit 0, nothing archived, the entry there once.
    again = run("recover", OTHER, "--adopt", agent=ME, check=False)
    assert again.returncode == 0 and "Adopted" in again.stderr, again.stderr
    assert not theirs.exists() and not list((project / ".ai/sessions").glob("*.org"))
    assert mine.read_text().count("other's step") == 1


def test_a_wrap_up_killed_half_way_is_finished_once(project: Path, run: Runner,
                                                    tmp_path: Path) -> None:
    """SIGKILL after the archive is written, before the session file is removed: the
    next call finishes the move; the session is archived once."""
    run("start")
    run("log", "--progress", "a step")
    path = project / ".ai/session-context.org"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_AT)
    killed = subprocess.run([str(CLI), "wrap-up", "Done"], cwd=project,
                            env=clean_env(PYTHONPATH=str(hook), TEST_KILL_AT_UNLINK=str(path)),
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [archive] = (project / ".ai/sessions").glob("*.org")
    assert path.exists()  # killed between the two
    for args in (("log", "--progress", "late"), ("wrap-up", "Again")):
        late = run(*args, check=False)
        assert (late.returncode, late.stderr) == (
            7, f"Error: the session at {path} is already wrapped up (archived to {archive}); "
               "run 'ai-protocols start'\n"), args
    assert not path.exists()
    assert list((project / ".ai/sessions").glob("*.org")) == [archive]
    assert run("start").stdout.startswith("Started a fresh session")
    assert "late" not in archive.read_text()


def test_the_kill_hook_is_live(project: Path, tmp_path: Path) -> None:
    """The injected kill fires where the tests say, and nowhere else."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_AT)
    probe = tmp_path / "probe"
    probe.write_text("x")
    code = ("import pathlib, sys; pathlib.Path(sys.argv[1]).unlink(); "
            "pathlib.Path(sys.argv[2]).unlink()")
    other = tmp_path / "other"
    other.write_text("x")
    result = subprocess.run([sys.executable, "-c", code, str(other), str(probe)],
                            env=clean_env(PYTHONPATH=str(hook), TEST_KILL_AT_UNLINK=str(probe)))
    assert result.returncode == -signal.SIGKILL
    assert not other.exists() and probe.exists()


# -- a folder that refuses one step ----------------------------------------------------------


def test_an_adoption_whose_tombstone_is_refused_changes_nothing() -> None:
    """The tombstones' folder is read-only (the rest is not): the adoption cannot leave
    the note that says where the session went, so it must not take the session either:
    neither file changes; once the folder is writable again, the adoption succeeds."""
    with sandbox.world_readable_tmpdir() as base:
        root = base / "proj"
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        run = Runner(root)
        populate(run)
        notes = root / ".ai/.locks/session-context.d"
        sandbox.give_to_nobody(base)
        notes.chmod(0o555)
        before = sandbox.snapshot(root)
        env = clean_env(AI_AGENT_ID=ME)
        refused = subprocess.run(sandbox.as_nobody([str(CLI), "recover", OTHER, "--adopt"]),
                                 cwd=root, env=env, capture_output=True, text=True, timeout=60)
        mine = root / f".ai/session-context.d/{ME}.org"
        changes = sandbox.changes(before, sandbox.snapshot(root), folder_mtimes=False)
        assert changes == [], "\n".join(changes)
        assert (refused.returncode, refused.stdout, refused.stderr) == (
            9, "", f"Error: the file system refused {mine}: Permission denied\n")
        notes.chmod(0o755)
        adopted = subprocess.run(sandbox.as_nobody([str(CLI), "recover", OTHER, "--adopt"]),
                                 cwd=root, env=env, capture_output=True, text=True, timeout=60)
        assert adopted.returncode == 0, adopted.stderr
        assert "other's step" in mine.read_text()
        assert not (root / f".ai/session-context.d/{OTHER}.org").exists()
