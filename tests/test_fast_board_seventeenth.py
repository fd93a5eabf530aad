"""The task board's commands on the console script's fast path (issue 17, seventeenth
round): ``task add|list|show|claim|release|done``, ``lock``, ``unlock`` and ``locks``
answered without click print, say and write exactly what their click commands do: the
same stdout, stderr, exit code and board bytes, on two copies of one project, one run
through the console script, the other forced through the click CLI
(``tests/test_fast_path.py``'s ``CLICK_PATH``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fast_path import CLICK_PATH, imported

from conftest import CLI, Runner, clean_env

ME, OTHER = "host.1.claude.1", "host.2.codex.1"
#: What differs between two copies of one project run a moment apart: a task's id (its
#: time and random part), the minute, a claim's or lock's exact time, a commit's hash
#: (and the hash of the project's path in a checkpoint's ref).
_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-z]{8}\b")
_VARYING = [
    (re.compile(r"(?m)^(:[A-Z_]+_AT:).*$"), r"\1"),
    (re.compile(r"\d{4}-\d\d-\d\d(?:T| [A-Z][a-z]{2} | )\d\d:\d\d(?::\d\d)?"), "T"),
    (re.compile(r"\b[0-9a-f]{8,40}\b"), "HASH"),  # (a ref names the root's; all digits too)
]


def normal(text: str, root: Path) -> str:
    """``text`` with what differs between the two copies made the same: the project's
    path, each task id numbered by its first appearance, times and hashes."""
    text = text.replace(str(root), "P")
    ids: dict[str, str] = {}
    text = _ID.sub(lambda m: ids.setdefault(m.group(), f"ID{len(ids)}"), text)
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


def twins(base: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of the project ``base`` (its git repository too)."""
    fast, slow = tmp_path / "fast" / "proj", tmp_path / "slow" / "proj"
    for copy in (fast, slow):
        shutil.copytree(base, copy, symlinks=True)
    return fast, slow


def both(fast: Path, slow: Path, args: list[str], *, agent: str = ME,
         stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``args`` run through the console script in ``fast`` and through click in ``slow``:
    the same exit code, stdout, stderr and board, but for what :func:`normal` evens out
    (``NEWEST`` in ``args``: the id of the task added last in each). Returns the fast
    run."""
    env = clean_env(AI_AGENT_ID=agent)

    def own(root: Path) -> list[str]:
        return [_ID.findall(_board(root))[-1] if a == "NEWEST" else a for a in args]

    ran = [subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          input=stdin, timeout=60)
           for command, cwd in (([str(CLI), *own(fast)], fast),
                                ([sys.executable, "-c", CLICK_PATH, *own(slow)], slow))]
    got = [(r.returncode, normal(r.stdout, root), normal(r.stderr, root),
            normal(_board(root), root)) for r, root in zip(ran, (fast, slow), strict=True)]
    assert got[0] == got[1], args
    return ran[0]


def _board(root: Path) -> str:
    path = root / ".ai" / "tasks.org"
    return path.read_text(encoding="utf-8", errors="surrogateescape") if path.exists() else ""


@pytest.fixture
def board_project(project: Path, run: Runner) -> Path:
    """A project with a board: two tasks (one with a working set), committed."""
    run("task", "add", "First task", "--working-set", "src/", "--role", "implementer",
        "--tag", "backend")
    run("task", "add", "Second task")
    (project / "src").mkdir()
    (project / "src" / "a.txt").write_text("a\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "b"],
                   cwd=project, check=True)
    return project


def first_id(root: Path, n: int = 0) -> str:
    return _ID.findall(_board(root))[n]


def test_a_session_of_board_commands_is_the_same_on_both_paths(
        board_project: Path, tmp_path: Path) -> None:
    """Each new fast command, its plain forms and the errors the library raises, step by
    step: what each path printed and left on the board is the same."""
    fast, slow = twins(board_project, tmp_path)
    one, two = first_id(fast)[-8:], first_id(fast, 1)
    (fast / "why.txt").write_text("a reason\nfrom a file\n", encoding="utf-8")
    (slow / "why.txt").write_text("a reason\nfrom a file\n", encoding="utf-8")
    steps: list[tuple[list[str], str]] = [
        (["task", "list"], ME), (["task", "list", "--json"], ME),
        (["task", "list", "--all", "--role", "IMPLEMENTER"], ME),
        (["task", "list", "--mine"], ME), (["task", "list", "--free", "--json"], ME),
        (["task", "list", "--role="], ME),  # an empty role: the library's error
        (["task", "show", one], ME), (["task", "show", one, "--json"], ME),
        (["task", "show", "nosuchid"], ME),  # exit 20
        (["task", "add", "Third task", "--tag", "a", "--tag=b", "--working-set", "lib/"], ME),
        (["task", "add", "bad\ttag", "--tag", "not a tag"], ME),
        (["task", "claim", one], ME), (["task", "claim", one], ME),  # yours already
        (["task", "claim", one], OTHER),  # held by a live agent: exit 21
        (["task", "list"], OTHER), (["task", "show", one], OTHER),
        (["lock", "src/", "--reason", "refactoring"], OTHER),  # over my working set
        (["lock", "lib/", "docs/", "--reason", "@why.txt"], ME),
        (["lock", "x/", "--reason", "@missing.txt"], ME),  # the file cannot be read
        (["locks"], ME), (["locks", "--json"], OTHER), (["locks"], OTHER),
        (["unlock", "lib/", "--force"], OTHER), (["unlock", "docs/"], ME),
        (["unlock", "nothing/"], ME),
        (["task", "release", two], ME),  # not claimed
        (["task", "release", one], OTHER),  # another's claim
        (["task", "release", one], ME), (["task", "claim", one, "--force"], OTHER),
        (["task", "done", one, "--force"], ME),
        (["task", "done", two, "--checkpoint-ref", "HEAD"], ME),
        (["task", "done", two, "--checkpoint-ref=nosuchref"], ME),
        (["task", "list", "--all", "--json"], ME),
    ]
    codes = set()
    for args, agent in steps:
        codes.add(both(fast, slow, args, agent=agent).returncode)
    assert {0, 20, 21} <= codes and len(codes) > 3  # successes and the library's errors


def test_a_claim_git_took_away_is_said_and_put_back_the_same(
        board_project: Path, tmp_path: Path) -> None:
    """What a command says before and after its change (the lost claim, then what it put
    back), and after an error, in the same order on both paths."""
    fast, slow = twins(board_project, tmp_path)
    one, two = first_id(fast), first_id(fast, 1)
    for root in (fast, slow):
        Runner(root)("task", "claim", one, env={"AI_AGENT_ID": ME})
        subprocess.run(["git", "checkout", "-q", "--", ".ai/tasks.org"], cwd=root, check=True)
    said = both(fast, slow, ["task", "list"])
    assert "lost" in said.stderr
    both(fast, slow, ["task", "show", "nosuchid"])  # an error, with the warning before it
    said = both(fast, slow, ["task", "claim", two])
    assert "put back" in said.stderr


def test_a_done_with_a_checkpoint_and_a_title_from_stdin(board_project: Path,
                                                         tmp_path: Path) -> None:
    fast, slow = twins(board_project, tmp_path)
    one = first_id(fast)
    both(fast, slow, ["task", "add", "-"], stdin="A title\nfrom stdin\n")
    done = both(fast, slow, ["task", "done", one, "--checkpoint"])
    assert done.returncode == 0 and "refs/ai-protocols/" in done.stdout + done.stderr
    # both given: click's usage error, on both paths
    usage = both(fast, slow, ["task", "done", one, "--checkpoint", "--checkpoint-ref", "HEAD"])
    assert usage.returncode == 2 and "not both" in usage.stderr


@pytest.mark.parametrize("args", [
    ["task", "show"], ["task", "claim", "a", "b"], ["task", "add", "--title", "x"],
    ["lock", "a/"], ["lock", "a/", "--reason", "two", "words"], ["task", "list", "--nope"],
    ["task", "show", "--json", "x"], ["locks", "-h"], ["task", "list", "--role", "--all"],
    ["unlock"], ["task", "done", "x", "--checkpoint-ref", "a", "--checkpoint-ref", "b"],
    ["task", "done", "x", "--checkpoint", "--checkpoint-ref="],  # (an empty REF: given)
])
def test_what_the_fast_path_leaves_to_click_click_says(board_project: Path, tmp_path: Path,
                                                       args: list[str]) -> None:
    """Help, usage errors and odd forms: the same words (click's) on both paths."""
    fast, slow = twins(board_project, tmp_path)
    both(fast, slow, args)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     min_size=1, max_size=30),  # (NUL: no argument can hold it, execve(2))
       role=st.sampled_from([None, "reviewer", "Big Role", ""]),
       tags=st.lists(st.sampled_from(["a", "b_c", "x:y", "é"]), max_size=2))
def test_any_task_added_and_listed_is_the_same_on_both_paths(
        board_project: Path, tmp_path_factory: pytest.TempPathFactory, title: str,
        role: str | None, tags: list[str]) -> None:
    """Arbitrary titles (control characters, '@', '-', quotes, other scripts), roles and
    tags: what task add, list and show say, refuse and write is the same."""
    fast, slow = twins(board_project, tmp_path_factory.mktemp("twins"))
    args = ["task", "add", title, *(["--role", role] if role is not None else []),
            *[f"--tag={tag}" for tag in tags]]
    added = both(fast, slow, args)
    for args in (["task", "list", "--all"], ["task", "list", "--json"]):
        both(fast, slow, args)
    if added.returncode == 0:
        both(fast, slow, ["task", "show", "NEWEST"])


@pytest.mark.parametrize("args", [
    ["task", "list"], ["task", "list", "--json"], ["task", "show", "ID"],
    ["task", "add", "New"], ["task", "claim", "ID"], ["task", "release", "ID"],
    ["task", "done", "ID"], ["lock", "a/", "--reason", "r"], ["locks", "--json"],
    ["unlock", "a/"],
])
def test_the_board_commands_import_no_click(board_project: Path, args: list[str]) -> None:
    """The fast path answers them (the comparisons above would pass with click on both
    sides): click is not imported."""
    before = {("task", "release"): ["task", "claim", "ID"],
              ("unlock", "a/"): ["lock", "a/", "--reason", "r"]}.get((args[0], args[1]))
    if before is not None:  # (what it undoes, done first)
        Runner(board_project)(*[first_id(board_project) if a == "ID" else a for a in before],
                              env={"AI_AGENT_ID": ME})
    args = [first_id(board_project) if a == "ID" else a for a in args]
    assert "click" not in imported(board_project, *args, AI_AGENT_ID=ME)
