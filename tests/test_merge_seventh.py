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

from pathlib import Path

from test_merge_driver import Clones, git

from ai_protocols.board.merge import merge_board_bytes

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
