"""The merge drivers, sixth review (issue 14 point 4, issue 15): the task board's log
items known by the session merge's identity rules; one parser of ``git merge-file``'s
diff3 output; times of two time zones placed by their real instants.

Real clones of a bare repository, each set up by the installed ``ai-protocols init``
(the driver in ``.ai/.gitattributes`` and the clone's git configuration), changed as a
person changes them (text edits, as in Emacs) or through the installed CLI, merged by
a real ``git merge`` that runs the installed driver; real Emacs parses every clean
result.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_merge_driver import CONTEXT, Clones, git

from ai_protocols.board.merge import merge_board_bytes
from ai_protocols.session.merge import merge_session_bytes

from emacs import assert_reader_agrees, org_element

BOARD = Path(".ai") / "tasks.org"
HEADER = """#+TITLE: Task board
#+TODO: TODO NEXT DOING REVIEW | DONE CANCELLED

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
"""


def task(title: str, ident: str, items: list[str], state: str = "TODO") -> str:
    lines = [f"* {state} {title}", ":PROPERTIES:", f":ID:       {ident}",
             ":CREATED:  [2026-11-21 Sat 10:00]", ":END:", *items]
    return "\n".join(lines) + "\n"


ITEMS = ["- [2026-11-21 Sat 10:01] added by planner.1",
         "- [2026-11-21 Sat 10:02] claimed by a.1",
         "- [2026-11-21 Sat 10:03] handed to review by a.1",
         "- [2026-11-21 Sat 10:04] note: the parser first"]
BASE = HEADER + task("First", "20261121-100000-aaaaaaaa", ITEMS, "DOING") + \
    task("Second", "20261121-100000-bbbbbbbb", ["- [2026-11-21 Sat 10:05] added by p.1"])


class Board:
    """Clones ``one`` and ``two`` of a repository whose board is ``BASE``."""

    def __init__(self, tmp_path: Path, base: str = BASE) -> None:
        self.clones = Clones(tmp_path.resolve(), files={str(BOARD): base.encode()})
        self.base = base

    def edit(self, clone: Path, old: str, new: str) -> None:
        path = clone / BOARD
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def merge(self) -> tuple[int, str]:
        self.clones.commit(self.clones.one, "one")
        self.clones.commit(self.clones.two, "two")
        done = self.clones.merge_two_into_one()
        return done.returncode, (self.clones.one / BOARD).read_text(encoding="utf-8")

    def same_both_ways(self) -> None:
        """The clean merge is the same whichever clone is ours."""
        one = self.clones.one
        sides = [git(one, "show", f"{rev}:{BOARD}").stdout.encode()
                 for rev in ("HEAD^1^", "HEAD^1", "HEAD^2")]
        ways = [merge_board_bytes(sides[0], sides[1], sides[2]),
                merge_board_bytes(sides[0], sides[2], sides[1])]
        assert ways[0] is not None and ways[1] is not None
        assert ways[0].data == ways[1].data == (one / BOARD).read_bytes()


def judge(path: Path) -> dict:
    parsed = org_element([path])[0]
    assert_reader_agrees(path, parsed)
    return parsed


def items(parsed: dict) -> list[str]:
    return [i["first_line"].strip() for i in parsed["items"] if i["depth"] == 0]


# -- 1: the board's log items, by identity ------------------------------------------------------


def test_a_board_log_item_moved_on_one_side_and_noted_on_the_other_is_there_once(
        tmp_path: Path) -> None:
    board = Board(tmp_path)
    first = ITEMS[0] + "\n"
    board.edit(board.clones.one, first, "")  # a person moves it below the others (M-down)
    board.edit(board.clones.one, ITEMS[3] + "\n", ITEMS[3] + "\n" + first)
    board.edit(board.clones.two, first, first + "  by hand, from the meeting\n")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert text.count("added by planner.1") == 1, text
    assert ITEMS[0] + "\n  by hand, from the meeting\n" in text
    assert text.index(ITEMS[3]) < text.index(ITEMS[0])  # where the mover put it
    parsed = judge(board.clones.one / BOARD)
    assert items(parsed).count(ITEMS[0][2:]) == 1
    board.same_both_ways()


def test_a_board_log_item_whose_first_line_one_side_edited_and_the_other_noted_is_one(
        tmp_path: Path) -> None:
    board = Board(tmp_path)
    board.edit(board.clones.one, "claimed by a.1\n", "claimed by a.1 (for the release)\n")
    board.edit(board.clones.two, "claimed by a.1\n", "claimed by a.1\n  she asked first\n")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert text.count("claimed by a.1") == 1, text
    assert "claimed by a.1 (for the release)\n  she asked first\n" in text
    judge(board.clones.one / BOARD)
    board.same_both_ways()


def test_a_board_log_item_removed_on_one_side_and_noted_on_the_other_is_a_conflict_on_it(
        tmp_path: Path) -> None:
    board = Board(tmp_path)
    board.edit(board.clones.one, ITEMS[2] + "\n", "")
    board.edit(board.clones.one, "added by p.1\n", "added by p.1\nSecond's note\n")
    board.edit(board.clones.two, ITEMS[2] + "\n", ITEMS[2] + "\n  waiting for b.2\n")
    status, text = board.merge()
    assert status == 1, text
    conflict = text[text.index("<<<<<<<"):text.index(">>>>>>>")]
    assert "handed to review by a.1\n  waiting for b.2\n" in conflict
    assert text.count("<<<<<<<") == 1 and text.count("handed to review") == 1
    for item in (ITEMS[0], ITEMS[1], ITEMS[3], "Second's note"):  # the rest merged
        assert text.count(item) == 1 and item not in conflict


def test_a_persons_task_without_an_id_closed_on_one_side_and_noted_on_the_other_is_one(
        tmp_path: Path) -> None:
    """A task a person typed in Emacs, without an ID: its state changed on one side (the
    headline's line) and a note added under it on the other is one task, merged; before,
    the changed headline was a removal and an addition: the task twice once resolved."""
    base = BASE + "* TODO Buy the domain\nbefore the launch\nask finance\n"
    board = Board(tmp_path, base)
    board.edit(board.clones.one, "* TODO Buy the domain\n", "* DONE Buy the domain\n")
    board.edit(board.clones.two, "ask finance\n", "ask finance\nfinance said yes\n")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert text.count("Buy the domain") == 1
    assert "* DONE Buy the domain\nbefore the launch\nask finance\nfinance said yes\n" in text
    parsed = judge(board.clones.one / BOARD)
    assert [h["todo"] for h in parsed["headlines"] if h["title"] == "Buy the domain"] == \
        ["DONE"]
    board.same_both_ways()


_TASKS = 5  # four with an ID, the last a person's without one
_OP = st.tuples(st.sampled_from(["move", "note", "delete", "state", "item", "move item"]),
                st.integers(0, _TASKS - 1), st.integers(0, _TASKS - 1))


def _board(tasks: list[tuple[str, list[str]]]) -> str:
    return HEADER + "".join(head + "\n" + "".join(line + "\n" for line in body)
                            for head, body in tasks)


def _base_tasks() -> list[tuple[str, list[str]]]:
    tasks = []
    for n in range(_TASKS):
        items = [f"- [2026-11-21 Sat 10:{n}1] added by p.1",
                 f"- [2026-11-21 Sat 10:{n}2] claimed by a.{n}"]
        drawer = [":PROPERTIES:", f":ID:       20261121-100000-task000{n}", ":END:"] \
            if n < _TASKS - 1 else []
        tasks.append((f"* TODO Task {n}", [*drawer, *items]))
    return tasks


def _side(ops: list[tuple[str, int, int]], name: str,
          ) -> tuple[list[tuple[str, list[str]]], list[str], set[str], set[str]]:
    """The base's tasks changed by ``ops``: the tasks, the lines this side typed, the
    titles it removed and those it changed."""
    tasks = _base_tasks()
    typed: list[str] = []
    removed: set[str] = set()
    for number, (kind, at, to) in enumerate(ops):
        if not tasks:
            break
        at, to = at % len(tasks), to % len(tasks)
        head, body = tasks[at]
        title = head.split(" ", 2)[2]
        items = [i for i, line in enumerate(body) if line.startswith("- [")]
        if kind == "move":
            tasks.insert(to, tasks.pop(at))
            continue
        if kind == "delete":
            removed.add(title)
            del tasks[at]
            continue
        if kind == "note":
            typed.append(f"{name} typed {number}")
            body = [*body, typed[-1]]
        elif kind == "state":
            head = head.replace("* TODO", "* NEXT").replace("* NEXT", "* DONE", 1) \
                if name == "b" else head.replace("* TODO", "* NEXT")
        elif kind == "item":
            typed.append(f"  {name} item note {number}")
            body = [*body[:items[0] + 1], typed[-1], *body[items[0] + 1:]]
        else:  # the first log item (with the lines under it) to the end of the task
            end = items[1] if len(items) > 1 else len(body)
            body = body[:items[0]] + body[end:] + body[items[0]:end]
        tasks[at] = (head, body)
    was = {head.split(" ", 2)[2]: (head, body) for head, body in _base_tasks()}
    changed = {head.split(" ", 2)[2] for head, body in tasks
               if was[head.split(" ", 2)[2]] != (head, body)}
    return tasks, typed, removed, changed


@given(a=st.lists(_OP, max_size=5), b=st.lists(_OP, max_size=5))
@settings(max_examples=200, deadline=None)
def test_the_board_merge_never_loses_or_doubles_a_task_or_a_typed_line_property(
        a: list, b: list) -> None:
    """Both sides move, note, close, delete tasks (four with an ID, one a person typed
    without one) and note or move their log items; merged either way round: a clean
    result holds every task once (but one a side removed that the other left as it
    was), every line a side typed once; a task removed on one side and changed on the
    other is a conflict, never a silent loss; with conflicts, no typed line is lost."""
    base = _board(_base_tasks())
    ours, typed_a, removed_a, changed_a = _side(a, "a")
    theirs, typed_b, removed_b, changed_b = _side(b, "b")
    typed_a = [t for t in typed_a if any(t in body for _h, body in ours)]
    typed_b = [t for t in typed_b if any(t in body for _h, body in theirs)]
    clash = (removed_a & (changed_b - removed_b)) | (removed_b & (changed_a - removed_a))
    gone = removed_a | removed_b
    for one, other in ((ours, theirs), (theirs, ours)):
        result = merge_board_bytes(base.encode(), _board(one).encode(),
                                   _board(other).encode())
        assert result is not None
        merged = result.data.decode()
        lines = merged.splitlines()
        if clash:
            assert result.conflicts, merged
        for line in (*typed_a, *typed_b):
            assert line in lines, (line, merged)
        if result.conflicts:
            continue
        for line in (*typed_a, *typed_b):
            assert lines.count(line) == 1, (line, merged)
        for n in range(_TASKS):
            title = f"Task {n}"
            count = sum(line.startswith("* ") and line.endswith(" " + title)
                        for line in lines)
            assert count == (0 if title in gone else 1), (title, merged)


def test_one_path_locked_on_both_clones_by_two_agents_keeps_one_and_says_so(
        tmp_path: Path) -> None:
    """Each clone locks ``src/`` for another agent (the installed CLI): one lock stays
    (the earlier), and the other is not silently lost: a line under the lock that
    stays says whose lock the merge dropped, as for overlapping paths."""
    from conftest import Runner

    board = Board(tmp_path)
    Runner(board.clones.one)("lock", "src/", "--reason", "parser", agent="a.1")
    Runner(board.clones.two)("lock", "src/", "--reason", "docs", agent="b.1")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert text.count(":PATH:     src/") == 1
    assert re.search(r"^- \[[^]]+\] merge: dropped b\.1's lock on src/, which came after "
                     r"a\.1's", text, re.M), text
    judge(board.clones.one / BOARD)
    board.same_both_ways()
    locks = Runner(board.clones.one)("locks", agent="c.1").stdout
    assert "locked by a.1" in locks and "b.1" not in locks, locks


# -- 2: one reader of git merge-file's diff3 output ---------------------------------------------


@pytest.fixture(scope="module")
def session_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A session file by the installed CLI with one Progress entry: the text, and the
    entry's first line."""
    from conftest import Runner

    repo = tmp_path_factory.mktemp("notes").resolve()
    git(repo, "init", "-q")
    run = Runner(repo)
    run("init")
    run("start", "--title", "Notes")
    run("log", "--progress", "The step")
    text = (repo / CONTEXT).read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.endswith("] The step"))
    return text.replace(first + "\n", first + "\n  base note\n"), first


# Any text a person may type on a line: a form feed (Emacs's page break), U+2028, a
# vertical tab, and what looks like git's markers after them, included.
_NOTE = st.one_of(
    st.text(st.sampled_from(["a", " ", "<", "=", ">", "|", "\x0c", "\u2028", "\x0b", "\x1c",
                             "\x85", "é"]), min_size=1, max_size=12),
    st.builds("".join, st.tuples(
        st.sampled_from(["", "x", "x\x0c", "x\u2028", "x\x0b", "x\x1d", "x\x85"]),
        st.sampled_from(["<" * 7, "|" * 7, "=" * 7, ">" * 7]),
        st.sampled_from(["", " ours", " base"]))))


@given(a=st.lists(_NOTE, min_size=1, max_size=3), b=st.lists(_NOTE, min_size=1, max_size=3))
@settings(max_examples=150, deadline=None)
def test_notes_both_sides_typed_under_one_entry_are_both_kept_whatever_they_hold_property(
        session_base: tuple[str, str], a: list[str], b: list[str]) -> None:
    """Both sides type lines under one entry, at its end: the lines of both are kept,
    each once and whole, whatever characters they hold. Only a newline ends a line,
    as for git and Org: a form feed or U+2028 in a line, with marker-like text after
    it, is text (it was cut there, and the rest read as a conflict marker)."""
    text, first = session_base
    typed_a = [f"  a{n} {line}" for n, line in enumerate(a)]
    typed_b = [f"  b{n} {line}" for n, line in enumerate(b)]

    def side(lines: list[str]) -> str:
        return text.replace("  base note\n", "  base note\n" + "".join(f"{x}\n" for x in lines))

    for one, other in ((side(typed_a), side(typed_b)), (side(typed_b), side(typed_a))):
        result = merge_session_bytes(text.encode(), one.encode(), other.encode())
        assert result is not None and not result.conflicts, result
        merged = result.data.decode().split("\n")
        for line in (*typed_a, *typed_b):
            assert merged.count(line) == 1, (line, merged)
        assert sum(first in line for line in merged) == 1


# -- 3: times of two time zones, by their real instants -----------------------------------------

TOKYO, LOS_ANGELES = "Asia/Tokyo", "America/Los_Angeles"


def test_a_claim_race_across_time_zones_is_won_by_the_claim_first_in_real_time(
        tmp_path: Path) -> None:
    """Clone one (Tokyo) claims a task and locks ``src/``; then clone two (Los Angeles),
    later in real time but hours "earlier" on its clock, claims the same task and locks
    ``src/`` too. One's claim and lock stand (first come, by the real instants of their
    ``CLAIMED_AT``/``LOCKED_AT`` records, not the zone-less ``CLAIMED``/``LOCKED`` as
    written), two's are dropped with a line saying so, and the task's log lists one's
    claim before two's; the same whichever clone is ours."""
    from conftest import Runner

    board = Board(tmp_path)
    second = "20261121-100000-bbbbbbbb"
    one, two = Runner(board.clones.one), Runner(board.clones.two)
    one("task", "claim", second, agent="a.1", env={"TZ": TOKYO})
    one("lock", "src/", "--reason", "parser", agent="a.1", env={"TZ": TOKYO})
    two("task", "claim", second, agent="b.1", env={"TZ": LOS_ANGELES})
    two("lock", "src/", "--reason", "docs", agent="b.1", env={"TZ": LOS_ANGELES})
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    task = text[text.index(f":ID:       {second}"):]
    assert re.search(r"^:OWNER:\s+a\.1$", task, re.M), task
    assert "merge: dropped b.1's claim, which came after a.1's" in task
    assert task.index("claimed by a.1") < task.index("claimed by b.1"), task
    locks = text[:text.index("* DOING First")]
    assert re.search(r"^:OWNER:\s+a\.1$", locks, re.M) and ":OWNER:    b.1" not in locks
    assert "merge: dropped b.1's lock on src/, which came after a.1's" in locks
    judge(board.clones.one / BOARD)
    board.same_both_ways()


def _written(text: str, updated: str, updated_at: str, progress: list[str]) -> str:
    """``text`` (a session file) last written at ``updated`` (Org, local) and
    ``updated_at`` (its record, with the writer's UTC offset), its Progress entries
    ``progress`` (first lines)."""
    text = re.sub(r"^:UPDATED: .*$", f":UPDATED:  [{updated}]", text, count=1, flags=re.M)
    text = re.sub(r"^:UPDATED_AT: .*$", f":UPDATED_AT: {updated_at}", text, count=1,
                  flags=re.M)
    head, _, rest = text.partition("** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n:END:\n")
    rest = rest[rest.index("** Decisions"):]
    return head + "** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n:END:\n" + \
        "".join(line + "\n" for line in progress) + rest


def test_one_step_in_progress_is_the_latest_in_real_time_whichever_side_is_ours(
        session_base: tuple[str, str]) -> None:
    """The base's step in progress (written in UTC, kept by both sides), one in Tokyo
    and one in Los Angeles: the step that stays marked is the latest by real instants,
    the same whichever side is ours. Before, the base's step was placed by ours' zone:
    from Tokyo 01:00 UTC, from Los Angeles 18:00 UTC, so the answer depended on it."""
    text, _first = session_base
    kept = "- [-] [2026-11-30 Mon 10:00] The base's step"
    base = _written(text, "2026-11-30 Mon 10:00", "2026-11-30T10:00:00+00:00", [kept])
    tokyo = _written(text, "2026-11-30 Mon 19:30", "2026-11-30T19:30:00+09:00",
                     [kept, "- [-] [2026-11-30 Mon 19:30] Tokyo's step"])
    angeles = _written(text, "2026-11-30 Mon 02:40", "2026-11-30T02:40:00-08:00",
                       [kept, "- [-] [2026-11-30 Mon 02:40] Los Angeles's step"])
    results = []
    for ours, theirs in ((tokyo, angeles), (angeles, tokyo)):
        result = merge_session_bytes(base.encode(), ours.encode(), theirs.encode())
        assert result is not None and not result.conflicts
        merged = result.data.decode()
        marked = [line for line in merged.splitlines() if line.startswith("- [-]")]
        assert marked == ["- [-] [2026-11-30 Mon 02:40] Los Angeles's step"], merged
        results.append(result.data)
    assert results[0] == results[1]


def test_one_step_in_progress_in_one_minute_is_the_last_writers_whichever_side_is_ours(
        session_base: tuple[str, str]) -> None:
    """Seen (seventh review): both clones set ``log --current`` in the same minute; the
    step kept marked was the greater line, so ``resume`` pointed at the step set first.
    Now the step of the side whose write came last (``UPDATED_AT``, to the second)
    stays marked, the same whichever side is ours."""
    text, _first = session_base
    base = _written(text, "2026-11-30 Mon 10:00", "2026-11-30T10:00:00+00:00", [])
    first = _written(text, "2026-11-30 Mon 10:30", "2026-11-30T10:30:10+00:00",
                     ["- [-] [2026-11-30 Mon 10:30] zeta: set first"])
    last = _written(text, "2026-11-30 Mon 10:30", "2026-11-30T10:30:50+00:00",
                    ["- [-] [2026-11-30 Mon 10:30] alpha: set last"])
    results = []
    for ours, theirs in ((first, last), (last, first)):
        result = merge_session_bytes(base.encode(), ours.encode(), theirs.encode())
        assert result is not None and not result.conflicts
        merged = result.data.decode()
        marked = [line for line in merged.splitlines() if line.startswith("- [-]")]
        assert marked == ["- [-] [2026-11-30 Mon 10:30] alpha: set last"], merged
        results.append(result.data)
    assert results[0] == results[1]
