"""The merge drivers after the bounded session file and the board's done states
(issues 14 and 16; docs/decisions.md, "Issues 14 and 16, merge of rolled-over files and
board done states").

1. Two clones roll one session over from different states: the two links of the
   ``Earlier entries`` section merge as a set (each once, in the order of their
   ranges), and ``show --all`` gives each entry once although both earlier files hold
   the oldest ones.
2. The board's merge reads the board as every board reader does (``BoardFile``: a board
   without ``#+TODO:`` has the board's states) and closes a task on any of its done
   states (``done_states``); ``Board.sunk_claims`` too.

Real clones of a bare repository set up by the installed ``ai-protocols init``, real
``git merge`` running the installed driver, the installed CLI as a subprocess; real
Emacs parses every clean result.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from boardkit import add
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import Clones, git
from test_merge_seventh import Board, judge
from test_rollover import CONTEXT, filler, insert, texts_of

from ai_protocols.lean import datetime
from ai_protocols.session.layout import earlier_link_line, parse_earlier_link
from ai_protocols.session.merge import merge_session_bytes
from ai_protocols.session.rollover import BOUND

from conftest import Runner, clean_env
from emacs import assert_reader_agrees, org_element

BOARD = Path(".ai") / "tasks.org"

# -- 1. a session rolled over on both clones, from different states ---------------------------


def _earlier_links(text: str) -> list[str]:
    return [line for line in text.split("\n") if parse_earlier_link(line) is not None]


def _whole(clone: Path) -> dict:
    return json.loads(Runner(clone)("show", "--all", "--json").stdout)


def near_the_bound(base: Path) -> tuple[Clones, list[str]]:
    """Two clones under ``base`` of a session 50 kB under the bound, committed and
    pulled by both; then ``one`` logs a 60 kB decision (its file passes the bound; its
    next write rolls over). Returns the clones and the texts of the base's decisions."""
    clones = Clones(base)
    one = Runner(clones.one)
    path = clones.one / CONTEXT
    old, _entries = filler(0, BOUND - 50_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    texts = [d["text"] for d in json.loads(one("show", "--json").stdout)["decisions"]]
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one("log", "--decision", "One's big decision " + "o" * 60_000, "--rationale", "big")
    return clones, texts


@pytest.fixture(scope="module")
def rolled_both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clones, list[str]]:
    """Two clones of a session 50 kB under the bound; each logs one big decision (one
    60 kB, two 100 kB: the file passes the bound) and rolls the session over at its
    next write, so two moved more of the oldest entries than one did. Committed on
    both; ``one`` also on the branch ``mine``. The texts of the base's decisions."""
    clones, base = near_the_bound(tmp_path_factory.mktemp("rolled").resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    assert not texts_of(clones.one)[1]
    one("log", "--discovery", "One rolls over")
    two("log", "--decision", "Two's big decision " + "t" * 100_000, "--rationale", "big")
    assert not texts_of(clones.two)[1]
    two("log", "--discovery", "Two rolls over")
    names = [[p.name for p in texts_of(clone)[1]] for clone in (clones.one, clones.two)]
    assert len(names[0]) == len(names[1]) == 1 and names[0] != names[1], names
    clones.commit(clones.one, "one")
    git(clones.one, "branch", "mine")
    clones.commit(clones.two, "two")
    return clones, base


def _check_merged(clone: Path, base: list[str]) -> str:
    text = (clone / CONTEXT).read_text()
    assert "<<<<<<<" not in text
    links = _earlier_links(text)
    assert len(links) == 2 and len({parse_earlier_link(li)[0] for li in links}) == 2, links
    ranges = [parse_earlier_link(li)[1:3] for li in links]
    assert ranges == sorted(ranges), links  # (in the order of their ranges)
    assert ranges[0][0] == ranges[1][0]  # (both moved the oldest entries: they overlap)
    assert len(texts_of(clone)[1]) == 2
    whole = _whole(clone)
    decisions = [d["text"] for d in whole["decisions"]]
    assert [t for t, n in Counter(decisions).items() if n > 1] == [], "shown twice"
    assert decisions[:len(base)] == base  # every one, once, in order
    assert sorted(decisions[len(base):]) == ["One's big decision " + "o" * 60_000,
                                            "Two's big decision " + "t" * 100_000]
    found = [d["text"] for d in whole["discoveries"]]
    assert found.count("One rolls over") == found.count("Two rolls over") == 1
    return text


def test_two_clones_rolled_over_from_different_states_merge_both_links_and_show_each_once(
        rolled_both: tuple[Clones, list[str]]) -> None:
    clones, base = rolled_both
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = _check_merged(clones.one, base)
    path = clones.one / CONTEXT
    parsed = org_element([path])[0]
    assert_reader_agrees(path, parsed)
    assert [h["title"] for h in parsed["headlines"]].count("Earlier entries") == 1
    # The other way round: two merges one's commit (one is theirs now).
    git(clones.two, "fetch", "-q", str(clones.one), "mine")
    other = git(clones.two, "merge", "--no-edit", "FETCH_HEAD", check=False)
    assert other.returncode == 0, other.stdout + other.stderr
    again = _check_merged(clones.two, base)
    assert _earlier_links(again) == _earlier_links(text)
    assert _whole(clones.two)["decisions"] == _whole(clones.one)["decisions"]


_MINUTE = st.integers(0, 20_000)
_NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                              blacklist_characters="/\\"),
                min_size=1, max_size=12).filter(lambda s: s.strip() == s and "\n" not in s)


def _link(name: str, first: int, length: int, count: int) -> str:
    def at(minute: int) -> datetime:
        return datetime(2026, 1, 1 + minute // 1440, minute % 1440 // 60, minute % 60)

    return earlier_link_line(f"../history/x/{name}.org", at(first), at(first + length),
                             count)


def _session(links: list[str], log: list[str], section: bool) -> bytes:
    head = ("#+TITLE: Session\n\n* Session: Work\n:PROPERTIES:\n:STARTED:  [2026-01-01 Thu "
            "09:00]\n:STATUS:   active\n:UPDATED:  [2026-01-01 Thu 09:00]\n:END:\n"
            "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nWork.\n")
    section = ("** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n" +
               "".join(line + "\n" for line in links)) if links or section else ""
    return (head + section + "** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n" +
            "".join(line + "\n" for line in log)).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_NAME, _MINUTE, _MINUTE, st.integers(1, 999)), min_size=1,
                max_size=6, unique_by=lambda t: t[0]),
       st.data())
def test_the_earlier_entries_links_merge_as_a_set_in_range_order_property(
        files: list[tuple[str, int, int, int]], data: st.DataObject) -> None:
    """Any links (any file names, any ranges): each side's rollovers add links, a side
    may remove one of the base's; the merge keeps each link either side holds that no
    side removed, once, in the order of their ranges, the same whichever side is ours,
    without a conflict."""
    lines = {name: _link(name, *rest) for name, *rest in files}
    names = list(lines)
    base = data.draw(st.lists(st.sampled_from(names), unique=True))
    new = [n for n in names if n not in base]
    ours = [n for n in base if data.draw(st.booleans())] + \
        (data.draw(st.lists(st.sampled_from(new), unique=True)) if new else [])
    theirs = [n for n in base if data.draw(st.booleans())] + \
        [n for n in names if n not in base and n not in ours and data.draw(st.booleans())]
    log = ["- [2026-01-01 Thu 09:00] progress: started"]
    def in_range_order(side: list[str]) -> list[str]:  # (as rollovers append them)
        return sorted(side, key=lambda n: (*parse_earlier_link(lines[n])[1:3],
                                           parse_earlier_link(lines[n])[0]))

    texts = [_session([lines[n] for n in in_range_order(side)], log, bool(base))
             for side in (base, ours, theirs)]
    texts[1] += b"- [2026-01-01 Thu 09:05] progress: ours\n"
    texts[2] += b"- [2026-01-01 Thu 09:06] progress: theirs\n"
    one = merge_session_bytes(texts[0], texts[1], texts[2])
    two = merge_session_bytes(texts[0], texts[2], texts[1])
    assert one is not None and two is not None
    assert not one.conflicts and one.data == two.data
    kept = [n for n in dict.fromkeys([*ours, *theirs])
            if n not in base or (n in ours and n in theirs)]
    found = _earlier_links(one.data.decode())
    expected = sorted((lines[n] for n in kept),
                      key=lambda li: (*parse_earlier_link(li)[1:3],
                                      parse_earlier_link(li)[0]))
    assert found == expected


_TEXT = st.text(st.sampled_from("ab c#*[]:-"), min_size=1, max_size=8).map(str.strip) \
    .filter(bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), _TEXT), min_size=1, max_size=14),
       st.data())
def test_show_all_gives_each_entry_once_from_overlapping_or_successive_files_property(
        entries: list[tuple[int, str]], data: st.DataObject) -> None:
    """The Log's entries (any text, the same first line more than once) split over two
    earlier files and the live file: as two clones roll over (both files hold the
    oldest entries: a prefix of one another), or as one clone rolls over twice (the
    files hold successive entries, no first line in both): ``read_whole`` gives each
    entry once, in order."""
    import tempfile

    from ai_protocols.session.rollover import read_whole

    entries.sort(key=lambda e: e[0])
    lines = [f"- [2026-01-01 Thu 09:{minute:02d}] {text}" for minute, text in entries]
    first = data.draw(st.integers(0, len(lines)))
    second = data.draw(st.integers(first, len(lines)))
    overlapping = data.draw(st.booleans())
    if not overlapping and set(lines[:first]) & set(lines[first:second]):
        overlapping = True  # (successive files that share a first line: not this case)
    files = [lines[:first], lines[:second] if overlapping else lines[first:second]]
    live = lines[second:]
    at = datetime(2026, 1, 1, 9, 0)
    with tempfile.TemporaryDirectory() as folder:
        links = []
        for number, held in enumerate(files):
            # (named as the tool names one, in the session file's own history folder)
            name = f"history/session-context/f{number}--x-{number:08x}.org"
            Path(folder, "history/session-context").mkdir(parents=True, exist_ok=True)
            Path(folder, name).write_text(
                "* Earlier entries\n:PROPERTIES:\n:ENTRIES: 1\n:END:\n** Log\n"
                ":PROPERTIES:\n:CUSTOM_ID: log\n:END:\n" + "".join(f"{li}\n" for li in held))
            links.append(earlier_link_line(name, at, at, len(held)))
        path = str(Path(folder, "session-context.org"))
        text = _session(links, live, True).decode()
        whole = read_whole(path, text)
    assert [e.text for e in whole.log] == [text for _minute, text in entries]


# -- 2. the board: its own done states, read as BoardFile --------------------------------------

SHIPPED_HEADER = """#+TITLE: Task board
#+TODO: TODO NEXT DOING REVIEW | DONE SHIPPED CANCELLED

* Locks
:PROPERTIES:
:CUSTOM_ID: locks
:END:
"""
TASK_ID = "20261121-100000-bbbbbbbb"


def _shipped_board(tmp_path: Path) -> Board:
    from test_merge_seventh import task

    base = SHIPPED_HEADER + task("Second", TASK_ID,
                                 ["- [2026-11-21 Sat 10:05] added by p.1"])
    return Board(tmp_path, base)


def _ship(board: Board, clone: Path) -> None:
    """A person closes the task in Emacs with the board's own done state."""
    board.edit(clone, "* TODO Second\n", "* SHIPPED Second\nCLOSED: [2026-11-22 Sun 09:00]\n")


def _state(parsed: dict, title: str) -> list[str | None]:
    return [h["todo"] for h in parsed["headlines"] if h["title"] == title]


def test_a_task_shipped_on_one_side_and_claimed_on_the_other_stays_closed(
        tmp_path: Path) -> None:
    board = _shipped_board(tmp_path)
    _ship(board, board.clones.one)
    Runner(board.clones.two)("task", "claim", TASK_ID, agent="b.1")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    task = text[text.index("SHIPPED Second"):]
    assert not re.search(r"^:OWNER:", task, re.M), task
    assert "merge: dropped b.1's claim, made while the task was closed on the other side" \
        in task
    assert _state(judge(board.clones.one / BOARD), "Second") == ["SHIPPED"]
    board.same_both_ways()


def test_a_task_shipped_on_one_side_and_handed_to_review_with_a_note_stays_closed(
        tmp_path: Path) -> None:
    board = _shipped_board(tmp_path)
    _ship(board, board.clones.one)
    board.edit(board.clones.two, "* TODO Second\n", "* REVIEW Second\n")
    board.edit(board.clones.two, "added by p.1\n",
               "added by p.1\n- [2026-11-22 Sun 08:00] note: ready for review\n")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert "* SHIPPED Second\n" in text and "note: ready for review" in text
    assert _state(judge(board.clones.one / BOARD), "Second") == ["SHIPPED"]
    board.same_both_ways()


NO_TODO_BASE = """#+TITLE: Task board

* DOING Parser
:PROPERTIES:
:ID:       20261121-100000-aaaaaaaa
:OWNER:    a.1
:CLAIMED:  [2026-11-21 Sat 10:02]
:END:
- [2026-11-21 Sat 10:02] claimed by a.1
* DOING Release notes
written by hand
"""


def test_a_board_without_a_todo_line_merges_its_doing_tasks_as_tasks(tmp_path: Path) -> None:
    """A hand-written board with no ``#+TODO:`` line: a ``DOING`` task is one (its state
    is no part of its title), for a task with an ``ID`` and for a person's without one.
    Closed on one side and retitled on the other: one task, closed, with the new
    title."""
    board = Board(tmp_path, NO_TODO_BASE)
    one, two = board.clones.one, board.clones.two
    board.edit(one, "* DOING Parser\n", "* DONE Parser\n")
    board.edit(two, "* DOING Parser\n", "* DOING Parser for v2\n")
    board.edit(one, "* DOING Release notes\n", "* DONE Release notes\n")
    board.edit(two, "* DOING Release notes\n", "* DOING Release notes for v2\n")
    status, text = board.merge()
    assert status == 0 and "<<<<<<<" not in text, text
    assert "* DONE Parser for v2\n" in text and "* DONE Release notes for v2\n" in text
    assert text.count("Parser") == 1 and text.count("Release notes") == 1, text
    board.same_both_ways()


def _emacs(project: Path, code: str) -> None:
    done = subprocess.run(["emacs", "--batch", "--eval",
                           '(progn (require (quote org)) (find-file ".ai/tasks.org") '
                           f'(org-mode) (goto-char (point-min)) {code} (save-some-buffers t))'],
                          cwd=project, capture_output=True, text=True, env=clean_env(),
                          timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("where", ["demoted", "archived"])
def test_a_sunk_task_in_a_declared_done_state_is_not_warned_about(
        project: Path, run: Runner, where: str) -> None:
    """A task claimed, then demoted (or archived) in Emacs and closed with the board's
    own done state: its task is closed, so its claim is no live claim lost
    (``Board.sunk_claims``); one still open is warned about."""
    add(run, "Parent")
    task = add(run, "Child")
    run("task", "claim", task, agent="impl.1")
    path = project / BOARD
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^#\+TODO:.*$", "#+TODO: TODO NEXT DOING REVIEW | DONE SHIPPED "
                           "CANCELLED", text, count=1, flags=re.M), encoding="utf-8")
    action = "(org-demote-subtree)" if where == "demoted" else "(org-archive-subtree)"
    _emacs(project, f'(re-search-forward "^\\\\* DOING Child") {action}')
    listed = run("task", "list", agent="p.1")
    assert f"warning: task {task}, claimed by impl.1" in listed.stderr  # (open: said)
    if where == "demoted":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("** DOING Child", "** SHIPPED Child"), encoding="utf-8")
    else:
        archive = project / ".ai" / "tasks.org_archive"
        text = archive.read_text(encoding="utf-8")
        assert re.search(r":ARCHIVE_TODO: DOING", text), text
        archive.write_text(re.sub(r":ARCHIVE_TODO: DOING", ":ARCHIVE_TODO: SHIPPED", text),
                           encoding="utf-8")
    listed = run("task", "list", agent="p.1")
    assert "is no task on the board" not in listed.stderr, listed.stderr
