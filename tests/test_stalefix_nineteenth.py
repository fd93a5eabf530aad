"""A stale save of the board with nothing typed in it loses nothing (issue 15,
nineteenth round; docs/decisions.md, "Issue 15, nineteenth round (a stale save with
nothing typed, after the tool wrote since the pull)").

A buffer of ``.ai/tasks.org`` saved with nothing new typed in it puts back, byte for
byte, a version the board had: the board before a pull, as the pull left it, after
one of the tool's writes, ``HEAD``'s, a commit's. After any sequence of pulls (each
bringing a task, a claim and a lock), the tool's writes (``task add``, ``lock``,
``task claim``) and commits of one's own, a save of each such version (as Emacs saves:
a new file renamed into place, or written in place) must lose nothing: every task,
claim and lock of ``HEAD``'s board and of the tool's writes is in every reader's
output (``task list``, ``locks``) before the next write, and on the board after it.
The old code lost the tool's task for good (the reviewer's f1.sh, f1b.sh).

Two real clones of a bare repository, real ``git pull``, the installed console script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_merge_driver import git

from conftest import Runner, clean_env

Thing = tuple[str, str, str]


def _things(text: str) -> set[Thing]:
    """The tasks (by ``:ID:``), their claims (the ``:ID:`` with its ``:OWNER:``) and the
    locks (by ``:PATH:``, with their ``:OWNER:``) of a board's text."""
    found: set[Thing] = set()
    for chunk in re.split(r"^(?=\*{1,2} )", text, flags=re.M):
        owner = re.search(r"^:OWNER: +(\S+)$", chunk, re.M)
        who = owner.group(1) if owner else "-"
        if chunk.startswith("** "):
            path = re.search(r"^:PATH: +(\S+)$", chunk, re.M)
            if path:
                found.add(("lock", path.group(1).rstrip("/"), who))
        elif chunk.startswith("* "):
            ident = re.search(r"^:ID: +(\S+)$", chunk, re.M)
            if ident:
                found.add(("task", ident.group(1), ""))
                if owner:
                    found.add(("claim", ident.group(1), who))
    return found


def _read(run: Runner) -> tuple[set[Thing], str]:
    """What the readers show (``task list --all --json``, ``locks --json``), and their
    stderr."""
    tasks = run("task", "list", "--all", "--json", agent="pb")
    locks = run("locks", "--json", agent="pb")
    listed = json.loads(tasks.stdout)
    shown = {("task", t["id"], "") for t in listed}
    shown |= {("claim", t["id"], t["owner"]) for t in listed if t["owner"]}
    shown |= {("lock", h["path"].rstrip("/"), h["owner"]) for h in json.loads(locks.stdout)}
    return shown, tasks.stderr + locks.stderr


def _save(clone: Path, data: bytes, how: str) -> None:
    """The person's save with nothing typed: ``data`` written as Emacs does, a new file
    renamed into place (``rename``) or the file written over (``inplace``)."""
    board = clone / BOARD
    if how == "rename":
        temp = clone / ".ai" / "tasks.org.saving"
        temp.write_bytes(data)
        os.replace(temp, board)
    else:
        with open(board, "r+b") as file:
            file.write(data)
            file.truncate()


def _show(clone: Path, where: str) -> bytes | None:
    """The bytes of ``git show WHERE`` in ``clone``; ``None`` when git holds none."""
    done = subprocess.run(["git", "show", where], cwd=clone, capture_output=True,
                          env=clean_env(), timeout=60)
    return done.stdout if done.returncode == 0 else None


def _commit(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "--allow-empty", "-m", message)


def two_clones(base: Path, fresh: bool) -> tuple[Path, Path, Runner, Runner]:
    """Clones ``a`` and ``b`` of one bare ``origin.git`` under ``base``: ``a`` made the
    board with "Task one" (``pa``) and pushed it, ``b`` cloned it and ran ``init``; not
    ``fresh``: ``b`` added and committed "B own task" (``pb``) too. Returns ``(a, b,
    their runners)``."""
    origin, a, b = base / "origin.git", base / "a", base / "b"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "clone", "-q", str(origin), str(a))
    run_a, run_b = Runner(a), Runner(b)
    run_a("init")
    run_a("task", "add", "Task one", agent="pa")
    _commit(a, "board")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b("init")
    if not fresh:
        run_b("task", "add", "B own task", agent="pb")
        _commit(b, "b")
    return a, b, run_a, run_b


def pull_from(a: Path, b: Path, run_a: Runner, name: str, claimer: str, lock: str, *,
              unclaimed: bool = True, then: Callable[[], object] | None = None) -> None:
    """A pull into ``b`` of what ``a`` pushed (clones of :func:`two_clones`): in ``a``,
    "Pulled NAME" added and claimed by ``claimer``, who locks ``lock``, and, with
    ``unclaimed``, "Pulled unclaimed NAME" added; ``then`` run before ``a`` commits and
    pushes; ``b`` commits its changes first when it has any (git refuses a pull over an
    uncommitted board it changes), then pulls by a merge."""
    ident = run_a("task", "add", f"Pulled {name}", agent="pa").stdout.strip()
    run_a("task", "claim", ident, agent=claimer)
    run_a("lock", lock, "--reason", "a's work", agent=claimer)
    if unclaimed:
        run_a("task", "add", f"Pulled unclaimed {name}", agent="pa")
    if then is not None:
        then()
    _commit(a, f"a {name}")
    git(a, "push", "-q", "origin", "HEAD:main")
    if git(b, "status", "--porcelain").stdout.strip():
        _commit(b, "before the pull")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")


#: The sequences: ``P`` a pull that brings a task, a claim and a lock (``a`` pushed them;
#: ``b`` commits its work first when the board has changes, as git wants), ``W`` a write
#: of the tool in ``b`` (in turn ``task add``, ``lock``, ``task claim`` of the task it
#: added), ``C`` a commit of one's own in ``b``.
SEQUENCES = ["PW", "PWC", "PCW", "PWW", "PWCW", "PWP", "PPW", "WPW", "CPWC", "PWPW"]


@pytest.mark.parametrize("fresh", [False, True], ids=["b-wrote", "fresh-clone"])
@pytest.mark.parametrize("sequence", SEQUENCES)
@settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                     min_size=1, max_size=16).map(lambda s: f"Tool task {s}"))
def test_a_save_of_any_earlier_version_loses_nothing(tmp_path_factory, fresh: bool,
                                                     sequence: str, title: str) -> None:
    a, b, run_a, run_b = two_clones(tmp_path_factory.mktemp("s").resolve(), fresh)
    versions = [(b / BOARD).read_bytes()]  # (the buffer opened before the first pull)
    added: list[str] = []
    seen = _things(versions[0].decode("utf-8"))  # (all the board held so far)
    pulls = writes = 0
    for step in sequence:
        if step == "P":
            pulls += 1
            pull_from(a, b, run_a, str(pulls), f"ca{pulls}", f"a{pulls}")
        elif step == "W":
            kind = writes % 3
            writes += 1
            if kind == 0 or not added:
                added.append(run_b("task", "add", f"{title} {writes}",
                                   agent="pb").stdout.strip())
            elif kind == 1:
                run_b("lock", f"b{writes}", "--reason", "b's work", agent="pb")
            else:
                run_b("task", "claim", added[-1], agent="cb")
        else:
            _commit(b, f"own {step}")
        versions.append((b / BOARD).read_bytes())
        now = _things(versions[-1].decode("utf-8"))
        assert seen <= now, (sequence, step, sorted(seen - now))  # (no save yet)
        seen |= now | _things((_show(b, f"HEAD:./{BOARD}") or b"").decode("utf-8"))
    for commit in git(b, "rev-list", "HEAD").stdout.split():  # (HEAD's first)
        shown = _show(b, f"{commit}:./{BOARD}")
        if shown:
            versions.append(shown)
    unique = list(dict.fromkeys(versions))
    for number, version in enumerate(unique):
        before = (b / BOARD).read_bytes()
        want = seen | _things(before.decode("utf-8")) | _things(
            (_show(b, f"HEAD:./{BOARD}") or b"").decode("utf-8"))
        assert any(t[0] == "task" and t[1] in added for t in want) or not added
        _save(b, version, "rename" if number % 2 == 0 else "inplace")
        shown, said = _read(run_b)
        assert want <= shown, (sequence, number, sorted(want - shown), said[-1500:])
        run_b("lock", f"w{number}", "--reason", "next write", agent="pb")
        after = _things((b / BOARD).read_text(encoding="utf-8"))
        assert want | {("lock", f"w{number}", "pb")} <= after, (
            sequence, number, sorted(want - after))
        seen = want | after


@pytest.mark.parametrize("then", ["add", "commit"])
def test_a_deletion_made_after_the_tools_write_stands_once_git_holds_it(
        tmp_path: Path, then: str) -> None:
    """The guard: after a pull and the tool's write since, a person deletes a task in a
    buffer made after that write and saves, then stages or commits the board: the save
    is a version git holds, but not one from before the tool's write, so the deletion
    stands (a rule that took any version git holds for a stale buffer brings it
    back)."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), True)
    found = re.search(r"^:ID: +(\S+)$", (a / BOARD).read_text(encoding="utf-8"), re.M)
    assert found is not None
    gone = found.group(1)
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    _commit(a, "lock")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("task", "add", "Task four", agent="pb")
    text = (b / BOARD).read_text(encoding="utf-8")
    start = text.index("* TODO Task one\n")
    end = text.index("\n* ", start + 1) + 1
    _save(b, (text[:start] + text[end:]).encode("utf-8"), "rename")
    git(b, "add", "-A")
    if then == "commit":
        git(b, "commit", "-q", "-m", "the person took Task one out")
    shown, said = _read(run_b)
    assert ("task", gone, "") not in shown, said
    run_b("lock", "docs", "--reason", "next", agent="pb")
    after = (b / BOARD).read_text(encoding="utf-8")
    assert gone not in after and "Task four" in after and "lib" in after, after
