"""The board's stale saves, what the nineteenth round left (issue 15, twentieth round;
docs/decisions.md, "Issue 15, twentieth round (the board's stale saves and messages)").

- A buffer of ``.ai/tasks.org`` opened before the tool's writes (``task add``,
  ``task claim``, ``lock``) and saved over them, with NO pull ever recorded here:
  every task, claim and lock the tool wrote is in the readers' output and on the board
  after the next write, with what was typed in the buffer (the old code lost the
  tasks for good; the claims and locks were put back).
- A buffer made after those writes stands: a deletion in it is not undone.
- The warnings of the stale paths say whether anything was typed, and whose doing the
  lack is, once, without contradiction (the reviewer's board_f2.sh).
- SessionStart and PreCompact tell the agent, in the context it reads, what the board
  lacks (not only on stderr).

Real git repositories, the installed console script and hooks.
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
from test_merge_driver import git
from test_stalefix_nineteenth import Thing, _commit, _save, _things, two_clones

from conftest import CLI, Runner, clean_env


def _read(run: Runner) -> tuple[set[Thing], str, list[str]]:
    """What the readers show (``task list --all --json``, ``locks --json``), their
    stderr, and the titles listed."""
    tasks = run("task", "list", "--all", "--json", agent="pb")
    locks = run("locks", "--json", agent="pb")
    listed = json.loads(tasks.stdout)
    shown = {("task", t["id"], "") for t in listed if t["id"]}
    shown |= {("claim", t["id"], t["owner"]) for t in listed if t["owner"]}
    shown |= {("lock", h["path"].rstrip("/"), h["owner"]) for h in json.loads(locks.stdout)}
    return shown, tasks.stderr + locks.stderr, [t["title"] for t in listed]


def _drop(text: str, title: str) -> str:
    """``text`` without the task whose headline is ``* TODO TITLE`` (all its lines)."""
    cut = re.sub(rf"^\* TODO {re.escape(title)}\n(?:[^*\n].*\n|\n)*", "", text, flags=re.M)
    assert cut != text, (title, text)
    return cut


def _project(base: Path) -> tuple[Path, Runner]:
    repo = base / "p"
    git(base, "init", "-q", "-b", "main", str(repo))
    run = Runner(repo)
    run("init")
    run("task", "add", "Task one", agent="pb")
    _commit(repo, "board")
    return repo, run


#: The tool's writes in turn (``W``: ``task add``, ``lock``, ``task claim`` of the task
#: it added last), and commits of one's own (``C``); no pull anywhere.
SEQUENCES = ["W", "WW", "WWW", "WCWW", "WWWW"]
TYPED = "* TODO Typed in Emacs\n"


@pytest.mark.parametrize("typed", [False, True], ids=["nothing-typed", "typed"])
@pytest.mark.parametrize("sequence", SEQUENCES)
@settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                     min_size=1, max_size=16).map(lambda s: f"Tool task {s}"))
def test_a_save_over_the_tools_writes_with_no_pull_loses_nothing(
        tmp_path_factory, sequence: str, typed: bool, title: str) -> None:
    """After the tool's writes (no pull ever), a buffer opened on any earlier version
    of the board (before all of them, or between two) is saved, with nothing typed or
    a task typed: the readers show every task, claim and lock the tool wrote and the
    typed task, and the next write keeps them all on the board. The old code lost the
    tool's tasks (its claims and locks were put back)."""
    repo, run = _project(tmp_path_factory.mktemp("s").resolve())
    versions = [(repo / BOARD).read_bytes()]
    added: list[str] = []
    for number, step in enumerate(sequence, 1):
        if step == "C":
            _commit(repo, f"own {number}")
            continue
        kind = sum(1 for s in sequence[:number - 1] if s == "W") % 3
        if kind == 0 or not added:
            added.append(run("task", "add", f"{title} {number}", agent="pb").stdout.strip())
        elif kind == 1:
            run("lock", f"b{number}", "--reason", "b's work", agent="pb")
        else:
            run("task", "claim", added[-1], agent="cb")
        versions.append((repo / BOARD).read_bytes())
    for number, version in enumerate(dict.fromkeys(versions[:-1])):
        want = _things((repo / BOARD).read_text(encoding="utf-8"))
        assert {("task", ident, "") for ident in added} <= want
        _save(repo, version + (TYPED.encode() if typed else b""),
              "rename" if number % 2 == 0 else "inplace")
        shown, said, titles = _read(run)
        assert want <= shown, (sequence, number, sorted(want - shown), said)
        assert ("Typed in Emacs" in titles) == typed, titles
        assert said.count("lacks what ai-protocols wrote since") == 2, said
        written = run("lock", f"w{number}", "--reason", "next write", agent="pb")
        text = (repo / BOARD).read_text(encoding="utf-8")
        after = _things(text)
        assert want | {("lock", f"w{number}", "pb")} <= after, (
            sequence, number, sorted(want - after), written.stderr)
        assert text.count("Typed in Emacs") == (1 if typed else 0), text
        said = "with what was typed in it" if typed else "with nothing typed in it"
        assert f"{said}; merged back" in written.stderr, written.stderr
        if typed:  # (a person deletes the typed task in a fresh buffer: it stays gone)
            _save(repo, _drop(text, "Typed in Emacs").encode(), "rename")
            run("lock", f"x{number}", "--reason", "drop the typed task", agent="pb")
            assert "Typed in Emacs" not in (repo / BOARD).read_text(encoding="utf-8")


def test_a_deletion_in_a_buffer_made_after_the_writes_stands(tmp_path: Path) -> None:
    """The guard: a person deletes, in a buffer made after the tool's writes, a task an
    earlier write added: it stays deleted (the readers and the next write agree). A
    deletion of what the last write alone made cannot be told from a stale save and
    comes back once, said; deleted again, it stays deleted."""
    repo, run = _project(tmp_path.resolve())
    first = run("task", "add", "Added first", agent="pb").stdout.strip()
    run("task", "add", "Added second", agent="pb")
    last = run("task", "add", "Added last", agent="pb").stdout.strip()
    run("lock", "lib", "--reason", "work", agent="pb")
    text = (repo / BOARD).read_text(encoding="utf-8")
    _save(repo, _drop(text, "Added first").encode(), "rename")
    shown, said, _ = _read(run)
    assert ("task", first, "") not in shown and said == "", said
    run("task", "add", "Next", agent="pb")
    assert first not in (repo / BOARD).read_text(encoding="utf-8")
    # (what the last write alone made: the lock; deleted, it comes back once)
    text = (repo / BOARD).read_text(encoding="utf-8")
    _save(repo, _drop(text, "Next").encode(), "inplace")
    run("lock", "other", "--reason", "work", agent="pb")
    text = (repo / BOARD).read_text(encoding="utf-8")
    assert "Next" in text
    _save(repo, _drop(text, "Next").encode(), "rename")
    shown, said, titles = _read(run)
    assert "Next" not in titles and said == "", said
    run("task", "add", "After", agent="pb")
    text = (repo / BOARD).read_text(encoding="utf-8")
    assert "Next" not in text and last in text, text


def test_the_write_after_a_save_with_nothing_typed_does_not_say_it_was_typed(
        tmp_path: Path) -> None:
    """The reviewer's board_f2.sh: clone B pulls A's claimed task and lock, B's agent
    adds a task, a buffer opened before the pull is saved with nothing typed in it; the
    next write's warning says "with nothing typed in it" and never "with what was typed
    in it" (it said both)."""
    base = tmp_path.resolve()
    origin, a, b = base / "origin.git", base / "a", base / "b"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "clone", "-q", str(origin), str(a))
    run_a, run_b = Runner(a), Runner(b)
    run_a("init")
    run_a("task", "add", "Task one", agent="pa")
    _commit(a, "init")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    buffer = (b / BOARD).read_bytes()
    two = run_a("task", "add", "Task two (A)", agent="pa").stdout.strip()
    run_a("task", "claim", two, agent="pa")
    run_a("lock", "src/", "--reason", "r", agent="pa")
    _commit(a, "a2")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    run_b("task", "add", "Task three (B)", agent="pb")
    _save(b, buffer, "rename")
    written = run_b("task", "add", "Task four (B)", agent="pb")
    assert "with nothing typed in it; merged back" in written.stderr, written.stderr
    assert "what was typed" not in written.stderr, written.stderr
    text = (b / BOARD).read_text(encoding="utf-8")
    for title in ("Task one", "Task two (A)", "Task three (B)", "Task four (B)"):
        assert title in text, text


def _session_hook(cwd: Path, event: str, agent: str) -> subprocess.CompletedProcess[str]:
    """The installed ``hook EVENT --runtime claude`` (SessionStart, PreCompact)."""
    payload = {"session_id": "s1", "cwd": str(cwd), "hook_event_name": event,
               "source": "startup", "trigger": "auto"}
    return subprocess.run([str(CLI), "hook", event, "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True, cwd=cwd,
                          env=clean_env(AI_AGENT_ID=agent), timeout=60)


def test_the_session_hooks_tell_the_agent_what_the_board_lacks(tmp_path: Path) -> None:
    """A stale save dropped the agent's task and lock: ``resume`` (text and
    ``--json``), SessionStart and PreCompact put what the board lacks in the context
    the agent reads (stdout), not only on stderr; nothing is written."""
    repo, run = _project(tmp_path.resolve())
    buffer = (repo / BOARD).read_bytes()
    mine = run("task", "add", "Agent task", agent="pb").stdout.strip()
    run("task", "claim", mine, agent="pb")
    run("lock", "lib", "--reason", "work", agent="pb")
    _save(repo, buffer, "rename")
    saved = (repo / BOARD).read_bytes()
    resumed = run("resume", agent="pb")
    assert "the task board (.ai/tasks.org) lacks what ai-protocols wrote since" in \
        resumed.stdout, resumed.stdout
    assert f"{mine} DOING (yours): Agent task" in resumed.stdout, resumed.stdout
    as_json = json.loads(run("resume", "--json", agent="pb").stdout)
    assert "Agent task" in as_json["board_lacks"], as_json
    for event in ("SessionStart", "PreCompact"):
        hooked = _session_hook(repo, event, "pb")
        assert hooked.returncode == 0, hooked.stderr
        assert "lacks what ai-protocols wrote since, 1 task added ('Agent task')" in \
            hooked.stdout, (event, hooked.stdout)
    assert (repo / BOARD).read_bytes() == saved
    (tmp_path / "clean").mkdir()
    clean = _project(tmp_path.resolve() / "clean")[1]("resume", agent="pb")
    assert "lacks" not in clean.stdout, clean.stdout


@pytest.mark.parametrize("pulled", [True, False], ids=["after-a-pull", "no-pull"])
@settings(max_examples=2, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.text(st.characters(whitelist_categories=("L", "N", "Zs"),
                                            max_codepoint=0x2FF), min_size=1, max_size=12)
                      .map(lambda s: f"Note {s.strip()}"), min_size=2, max_size=3,
                      unique=True))
def test_a_second_save_of_one_buffer_with_more_lines_under_the_typed_task_merges(
        tmp_path_factory, pulled: bool, lines: list[str]) -> None:
    """A stale buffer (opened before a pull, or before the tool's writes) with a task
    typed in it and a line under it is saved; the next write merges it back and gives
    the task its id; the same buffer, with more lines typed under that task, is saved
    again: the next write merges it (was: refused, exit 6, git's two additions at one
    place), the task once, with every line once, in order."""
    base = tmp_path_factory.mktemp("m").resolve()
    if pulled:
        origin, a, b = base / "origin.git", base / "a", base / "b"
        git(base, "init", "-q", "--bare", "-b", "main", str(origin))
        git(base, "clone", "-q", str(origin), str(a))
        run_a, run = Runner(a), Runner(b)
        run_a("init")
        run_a("task", "add", "Task one", agent="pa")
        _commit(a, "init")
        git(a, "push", "-q", "origin", "HEAD:main")
        git(base, "clone", "-q", "-b", "main", str(origin), str(b))
        repo = b
        buffer = (b / BOARD).read_bytes()
        run_a("task", "add", "Task two (A)", agent="pa")
        _commit(a, "a2")
        git(a, "push", "-q", "origin", "HEAD:main")
        git(b, "pull", "-q", "--no-rebase", "origin", "main")
        run("task", "add", "Task three (B)", agent="pb")
    else:
        repo, run = _project(base)
        buffer = (repo / BOARD).read_bytes()
        run("task", "add", "Task two", agent="pb")
    typed = b"* TODO Typed task\n" + "".join(f"{line}\n" for line in lines[:1]).encode()
    _save(repo, buffer + typed, "rename")
    run("lock", "w1", "--reason", "first merge back", agent="pb")
    first = (repo / BOARD).read_text(encoding="utf-8")
    assert first.count("Typed task") == 1 and re.search(
        r"^\* TODO Typed task\n:PROPERTIES:\n(?:.*\n)*?:ID: +\S+", first, re.M), first
    typed = b"* TODO Typed task\n" + "".join(f"{line}\n" for line in lines).encode()
    _save(repo, buffer + typed, "inplace")
    written = run("lock", "w2", "--reason", "second merge back", agent="pb", check=False)
    assert written.returncode == 0, written.stderr
    text = (repo / BOARD).read_text(encoding="utf-8")
    assert text.count("Typed task") == 1, text
    at = [text.index(f"\n{line}\n") for line in lines]
    assert at == sorted(at) and all(text.count(f"\n{line}\n") == 1 for line in lines), text
    for title in ("Task one", "Task two", "Typed task"):
        assert title in text, text
    assert {"w1", "w2"} <= {t[1] for t in _things(text) if t[0] == "lock"}, text


@pytest.mark.parametrize("b_writes", [True, False], ids=["b-wrote-between", "no-write"])
def test_a_typed_save_after_two_pulls_loses_nothing(tmp_path: Path, b_writes: bool) -> None:
    """A buffer opened before two pulls (each bringing a task, a claim and a lock;
    between them, or not, a task this clone's agent added) is saved with a task typed
    in it: every task, claim and lock of ``HEAD``'s board and of the tool's writes is
    on the board after the next write, with the typed task. The old code merged back
    only what the newer pull brought: what the older pull brought, and the agent's
    task, were lost from the board."""
    base = tmp_path.resolve()
    origin, a, b = base / "origin.git", base / "a", base / "b"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "clone", "-q", str(origin), str(a))
    run_a, run_b = Runner(a), Runner(b)
    run_a("init")
    run_a("task", "add", "Task one", agent="pa")
    _commit(a, "init")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    run_b("init")
    buffer = (b / BOARD).read_bytes()
    for pull in (1, 2):
        ident = run_a("task", "add", f"Pulled {pull}", agent="pa").stdout.strip()
        run_a("task", "claim", ident, agent=f"ca{pull}")
        run_a("lock", f"a{pull}", "--reason", "a's work", agent=f"ca{pull}")
        _commit(a, f"a {pull}")
        git(a, "push", "-q", "origin", "HEAD:main")
        if git(b, "status", "--porcelain").stdout.strip():
            _commit(b, "before the pull")
        git(b, "pull", "-q", "--no-rebase", "origin", "main")
        if b_writes and pull == 1:
            run_b("task", "add", "Agent task", agent="pb")
    want = _things((b / BOARD).read_text(encoding="utf-8"))
    _save(b, buffer + TYPED.encode(), "rename")
    run_b("lock", "w", "--reason", "next write", agent="pb", check=False)
    text = (b / BOARD).read_text(encoding="utf-8")
    assert want <= _things(text), sorted(want - _things(text))
    assert text.count("Typed in Emacs") == 1, text


#: Sequences of two pulls (``P``, as in tests/test_stalefix_nineteenth.py: a task, a
#: claim, a lock and an unclaimed task each), the tool's writes (``W``) and commits of
#: one's own (``C``) in ``b``. ``PWP``, ``PPW`` and ``PWPW`` failed until the twenty-first
#: round (the walk back of :func:`ai_protocols.board.stale.opened_before`).
TWO_PULLS = ["PP", "PCP", "PWP", "PPW", "PWPW"]


@pytest.mark.parametrize("fresh", [False, True], ids=["b-wrote", "fresh-clone"])
@pytest.mark.parametrize("sequence", TWO_PULLS)
def test_a_typed_save_of_any_version_before_two_pulls_loses_nothing(
        tmp_path: Path, fresh: bool, sequence: str) -> None:
    """The enumeration of the nineteenth round with a task typed in each save: every
    version of the board before the last pull, saved with a task typed in it, loses
    nothing of ``HEAD``'s board or of the tool's writes, and the typed task is on the
    board once after the next write."""
    a, b, run_a, run_b = two_clones(tmp_path.resolve(), fresh)
    versions = [(b / BOARD).read_bytes()]
    pulls = 0
    for number, step in enumerate(sequence):
        if step == "P":
            pulls += 1
            ident = run_a("task", "add", f"Pulled {pulls}", agent="pa").stdout.strip()
            run_a("task", "claim", ident, agent=f"ca{pulls}")
            run_a("lock", f"a{pulls}", "--reason", "a's work", agent=f"ca{pulls}")
            run_a("task", "add", f"Pulled unclaimed {pulls}", agent="pa")
            _commit(a, f"a {pulls}")
            git(a, "push", "-q", "origin", "HEAD:main")
            if git(b, "status", "--porcelain").stdout.strip():
                _commit(b, "before the pull")
            git(b, "pull", "-q", "--no-rebase", "origin", "main")
        elif step == "W":
            run_b("task", "add", f"Tool task {number}", agent="pb")
        else:
            _commit(b, f"own {number}")
        if pulls < 2:
            versions.append((b / BOARD).read_bytes())
    for number, version in enumerate(dict.fromkeys(versions)):
        typed = f"* TODO Typed {number}\n"
        want = _things((b / BOARD).read_text(encoding="utf-8"))
        _save(b, version + typed.encode(), "rename" if number % 2 == 0 else "inplace")
        shown, said, _titles = _read(run_b)
        assert want <= shown, (sequence, number, sorted(want - shown), said)
        written = run_b("lock", f"w{number}", "--reason", "next write", agent="pb")
        text = (b / BOARD).read_text(encoding="utf-8")
        assert want <= _things(text), (sequence, number, sorted(want - _things(text)),
                                       written.stderr)
        assert text.count(f"Typed {number}") == 1, (sequence, number, text)
        _save(b, _drop(text, f"Typed {number}").encode(), "rename")  # (a fresh edit)
        run_b("lock", f"x{number}", "--reason", "the typed task deleted", agent="pb")
