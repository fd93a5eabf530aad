"""Every reader of the board sees what git brought after a stale save (issue 14,
nineteenth round; docs/decisions.md, "Issue 14, nineteenth round (the board's readers
and one's own commits)").

- ``resume`` and the SessionStart and PreCompact hooks read the board as its next write
  will make it (the stale-save rule moved to ``board/stale.py``, below
  ``session/resume.py``): an agent whose claim and lock a pull brought, dropped by a
  person's stale save, hears of both.
- When the merge back is left to a person, ``locks`` and ``check`` hold the locks of the
  version git brought too, as the PreToolUse hook does.
- One's own commits are not "what git brought": after a pull, an agent's task added
  and committed here, and any number of stale saves of one buffer (with commits of
  one's own between), the warning names only what the pull brought, and each merge back
  keeps ``HEAD``'s board's tasks in ``HEAD``'s order.
- Tasks both sides of a merge added keep each side's own order (ids of one second are in
  no order).

Real clones of a bare repository, real ``git pull``, the installed console script.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_boardstale_seventeenth import _clones, _push, _save
from test_merge_driver import git
from test_readers_eighteenth import _hook, _stale

from conftest import CLI, Runner, clean_env

WARNED = "lacks what git brought"


def _session_hook(cwd: Path, event: str, agent: str) -> subprocess.CompletedProcess[str]:
    """The installed ``hook EVENT --runtime claude`` (SessionStart, PreCompact)."""
    payload = {"session_id": "s1", "cwd": str(cwd), "hook_event_name": event,
               "source": "startup", "trigger": "auto"}
    return subprocess.run([str(CLI), "hook", event, "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True, cwd=cwd,
                          env=clean_env(AI_AGENT_ID=agent), timeout=60)


@pytest.mark.parametrize("b_writes", [True, False], ids=["b-wrote", "fresh-clone"])
def test_resume_and_the_session_hooks_see_the_claim_and_lock_git_brought(
        tmp_path: Path, b_writes: bool) -> None:
    """Agent ``ca`` claimed task one and locked ``lib`` in clone ``a``; clone ``b``
    pulled, and a buffer opened before the pull was saved over the board: ``resume``
    and the SessionStart and PreCompact hooks run in ``b`` as ``ca`` name the claim and
    the lock; nothing is written to the board."""
    b, _run_a, run_b, ids = _stale(tmp_path.resolve(), "Typed by the person",
                                   b_writes=b_writes)
    saved = (b / BOARD).read_bytes()
    assert ids[0].encode() in saved and b"lib" not in saved.split(b"* Locks", 1)[-1]
    resumed = run_b("resume", agent="ca")
    assert f"{ids[0]} DOING (yours): Task one" in resumed.stdout, resumed.stdout
    assert "Locks you hold (.ai/tasks.org):\n  lib" in resumed.stdout, resumed.stdout
    assert resumed.stderr.count(WARNED) == 1, resumed.stderr
    as_json = json.loads(run_b("resume", "--json", agent="ca").stdout)
    assert [t["id"] for t in as_json["tasks"]] == [ids[0]], as_json["tasks"]
    for event in ("SessionStart", "PreCompact"):
        hooked = _session_hook(b, event, "ca")
        assert hooked.returncode == 0, hooked.stderr
        assert f"{ids[0]} DOING (yours): Task one" in hooked.stdout, (event, hooked.stdout)
        assert "lib" in hooked.stdout.split("Locks you hold", 1)[-1], (event, hooked.stdout)
    assert (b / BOARD).read_bytes() == saved  # (no reader wrote the board)


def test_resume_in_the_common_case_is_unchanged(tmp_path: Path) -> None:
    """No stale save: ``resume`` says nothing on stderr and shows the board's claim."""
    _a, _b, _run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=True,
                                         tasks=("one",))
    run_b("task", "claim", ids[0], agent="ca")
    resumed = run_b("resume", agent="ca")
    assert f"{ids[0]} DOING (yours): Task one" in resumed.stdout
    assert resumed.stderr == "", resumed.stderr


def test_locks_and_check_hold_the_lock_git_brought_when_the_merge_is_left_to_a_person(
        tmp_path: Path) -> None:
    """Both retitled a task (the next write refuses, exit 6): ``locks`` lists the lock
    the pull brought (text and JSON), ``check`` reports a change inside it, as the hook
    refuses an edit there; nothing is written."""
    a, b, run_a, run_b, ids = _clones(tmp_path.resolve(), b_writes=True, tasks=("one", "two"))
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "edit", ids[1], "--title", "Task two, per A", agent="pa")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, buffer.replace("* TODO Task two\n", "* TODO Task two, per the person\n"))
    saved = (b / BOARD).read_bytes()
    (b / "lib").mkdir()
    (b / "lib" / "y").write_text("y\n")
    assert _hook(b, b / "lib" / "y", "pb").returncode == 2
    listed = run_b("locks", agent="pb")
    assert re.search(r"^lib/?  locked by ca ", listed.stdout, re.M), listed.stdout
    assert listed.stdout.count("locked by ca") == 1, listed.stdout
    assert "merge-driver" in listed.stderr
    as_json = json.loads(run_b("locks", "--json", agent="pb").stdout)
    assert [(h["path"].rstrip("/"), h["owner"]) for h in as_json] == [("lib", "ca")]
    checked = run_b("check", agent="pb", check=False)
    assert checked.returncode == 23, checked.stdout + checked.stderr
    assert "lib/y" in checked.stdout and "ca" in checked.stdout, checked.stdout
    assert (b / BOARD).read_bytes() == saved
    assert run_b("task", "add", "x", agent="pb", check=False).returncode == 6


def _headlines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("* ") and
            line != "* Locks"]


def _ids_in_order(text: str) -> list[str]:
    return re.findall(r"^:ID: +(\S+)$", text, re.M)


_TYPED = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                 min_size=1, max_size=16).map(lambda s: f"Typed {s}")


@pytest.mark.parametrize(("commits", "saves"), [(2, 2), (0, 3), (1, 1), (3, 2)],
                         ids=["f6", "no-commit-3-saves", "1-commit-1-save", "3-commits"])
@settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_TYPED)
def test_ones_own_commits_are_not_what_git_brought(tmp_path_factory, commits: int,
                                                   saves: int, typed: str) -> None:
    """Fresh clone ``b``: a buffer opened, ``git pull`` brings a claim, a lock and a
    task; ``b``'s agent adds "Agent B task" and ``commits`` commits of one's own
    follow (the first takes the board in); the buffer, with lines typed, is saved
    ``saves`` times (a task typed each time, the first with a line under it), each
    followed by ``task list`` (a reader) and a write (``lock`` / ``unlock``), with one
    more commit of one's own between saves. Every warning names
    what the pull brought and never the agent's own task; after each write the board
    holds ``HEAD``'s tasks in ``HEAD``'s order, and every line typed."""
    base = tmp_path_factory.mktemp("own").resolve()
    a, b, run_a, run_b, ids = _clones(base, b_writes=False, tasks=("one",))
    buffer = (b / BOARD).read_text(encoding="utf-8")
    run_a("task", "claim", ids[0], agent="ca")
    run_a("lock", "lib", "--reason", "a's work", agent="ca")
    two = run_a("task", "add", "Task two", agent="ca").stdout.strip()
    _push(a)
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    own = run_b("task", "add", "Agent B task", agent="pb").stdout.strip()

    def commit(n: int) -> None:
        (b / "README").write_text(f"{n}\n", encoding="utf-8")
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", f"own commit {n}")

    for n in range(commits):
        commit(n)
    buffer += f"* TODO {typed}\ntyped under it\n"
    for n in range(saves):
        buffer += f"* TODO Typed at save {n}\n" if n else ""
        _save(b, buffer)
        listed = run_b("task", "list", agent="pb")
        for said in (listed.stderr, run_b("locks", agent="pb").stderr):
            assert said.count(WARNED) == 1, said
            assert "Agent B task" not in said and "Task two" in said, said
        assert own in listed.stdout and two in listed.stdout and typed in listed.stdout
        wrote = run_b(*(("lock", "README", "--reason", "r") if n % 2 == 0 else
                        ("unlock", "README")), agent="pb")
        assert "Agent B task" not in wrote.stderr and "Task two" in wrote.stderr, wrote.stderr
        text = (b / BOARD).read_text(encoding="utf-8")
        head = git(b, "show", "HEAD:./.ai/tasks.org").stdout
        kept = [i for i in _ids_in_order(text) if i in _ids_in_order(head)]
        assert kept == _ids_in_order(head), (kept, _ids_in_order(head))
        assert all(f"Typed at save {m}" in text for m in range(1, n + 1))
        assert f"* TODO {typed}\n" in text and text.count("typed under it\n") == 1
        assert "lib" in text.split("* Locks", 1)[1]
        if n < saves - 1:
            commit(100 + n)


_SUFFIX = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8)


@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffixes=st.lists(_SUFFIX, min_size=3, max_size=3, unique=True))
def test_tasks_both_sides_added_keep_each_sides_order(tmp_path_factory,
                                                      suffixes: list[str]) -> None:
    """The board's merge (``merge-driver``, as git runs it): ours added two tasks, in
    an order a person chose, theirs one; ids of one second (their random part decides
    nothing): each side's own order is kept, every task once."""
    base = tmp_path_factory.mktemp("order").resolve()
    git(base, "init", "-q")
    run = Runner(base)
    run("init")
    made = [run("task", "add", f"Task {n}", agent="pa").stdout.strip() for n in "xyz"]
    text = (base / BOARD).read_text(encoding="utf-8")
    ids = [f"20260101-120000-{s}" for s in suffixes]
    for old, new in zip(made, ids, strict=True):
        text = text.replace(old, new)
    parts = text.split("\n* ")
    empty = "\n* ".join(parts[:-3]) + "\n"
    tasks = {n: "* " + part for n, part in zip("xyz", parts[-3:], strict=True)}
    tasks = {n: t if t.endswith("\n") else t + "\n" for n, t in tasks.items()}
    files = {"base": empty, "ours": empty + tasks["y"] + tasks["x"],
             "theirs": empty + tasks["z"]}
    for name, body in files.items():
        (base / name).write_text(body, encoding="utf-8")
    merged = subprocess.run([str(CLI), "merge-driver", str(base / "base"), str(base / "ours"),
                             str(base / "theirs"), ".ai/tasks.org"], capture_output=True,
                            text=True, cwd=base, env=clean_env(), timeout=60)
    assert merged.returncode == 0, merged.stderr
    order = _ids_in_order((base / "ours").read_text(encoding="utf-8"))
    assert sorted(order) == sorted(ids), order
    assert order.index(ids[1]) < order.index(ids[0]), order  # (ours: y before x)
