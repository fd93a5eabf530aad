"""Tasks a person pasted into the board without ids get theirs in one pass (each one's
drawer or property line inserted at once: giving them one by one numbered every headline
again after each, 9 s of CPU for 1,500 pasted tasks), each said with the line it stands
on in the board as written, and nothing else of what the person typed changes."""

from __future__ import annotations

import re
from pathlib import Path

from boardkit import BOARD, board
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

_KINDS = ("bare", "drawer", "empty", "own")
_EXAMPLES = [0]  # (each example's titles its own: the kept copy knows the last one's)


def _task(kind: str, number: int, example: int = 0) -> str:
    """A task as a person types it: no drawer, a drawer without ``:ID:``, an empty
    ``:ID:`` line, or an id of its own; with a line of text."""
    of = f" of {example}" if example else ""
    head = f"* TODO Pasted {number}{of}\n"
    body = f"Text {number}{of}\n"
    if kind == "drawer":
        return head + ":PROPERTIES:\n:ROLE:     dev\n:END:\n" + body
    if kind == "empty":
        return head + ":PROPERTIES:\n:ID:\n:END:\n" + body
    if kind == "own":
        return head + f":PROPERTIES:\n:ID:       own-{example}-{number}\n:END:\n" + body
    return head + body


def _without_given(text: str, ids: set[str]) -> str:
    """``text`` with the drawers and ``:ID:`` lines the tool gave (ids ``ids``) taken out,
    and an ``:ID:`` line it filled emptied again."""
    for given_id in ids:
        text = text.replace(f":PROPERTIES:\n:ID:       {given_id}\n:END:\n", "", 1) \
            if f":PROPERTIES:\n:ID:       {given_id}\n:END:\n" in text else text
        text = re.sub(rf"(?m)^:ID:       {given_id}\n(?=:END:)", "", text, count=1)
    return text


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=10))  # (10: each named)
def test_pasted_tasks_get_their_ids_in_one_pass_and_nothing_else_changes(
        project: Path, run: Runner, kinds: list[str]) -> None:
    from ai_protocols.board.board import Board
    from ai_protocols.session.project import Project

    path = project / BOARD
    if not path.exists():
        run("task", "add", "seed", agent="planner.1")
    start = board(project).split("\n* TODO Pasted ", 1)[0].rstrip("\n") + "\n"
    _EXAMPLES[0] += 1
    example = _EXAMPLES[0]
    typed = start + "".join(_task(kind, n, example) for n, kind in enumerate(kinds))
    path.write_text(typed, encoding="utf-8")
    tool = Board(Project(project, "a.1"))
    with tool.editing() as doc:
        doc.insert(doc.line_count, ["* TODO Added"])
    text = board(project)
    lines = text.split("\n")
    said = [m.groups() for note in tool.corrected if (m := re.match(
        r"task (\S+) \('(.*)', line (\d+)\), added without an id: given its id$", note))]
    assert len(said) == len(tool.corrected)
    wanted = [f"Pasted {n} of {example}" for n, kind in enumerate(kinds) if kind != "own"]
    assert [title for _, title, _ in said] == wanted
    for given_id, title, line in said:  # the line it names holds it, in the board written
        assert lines[int(line) - 1] == f"* TODO {title}"
        assert lines[int(line)] in (":PROPERTIES:", ":ROLE:     dev", f":ID:       {given_id}")
    ids = re.findall(r"(?m)^:ID: +(\S+)$", text)
    assert len(ids) == len(set(ids)) == text.count("\n* ") - 1  # (all but the Locks)
    given_ids = {given_id for given_id, _, _ in said}
    added = text.index("* TODO Added\n")
    assert _without_given(text[:added], given_ids) == typed.replace(
        ":PROPERTIES:\n:ID:\n:END:\n", ":PROPERTIES:\n:END:\n").replace(
        ":PROPERTIES:\n:END:\n", "")  # (an emptied drawer: as the empty one was typed)


def test_a_thousand_pasted_tasks_are_given_ids_by_the_console_script(
        project: Path, run: Runner) -> None:
    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    path.write_text(board(project) + "".join(_task("bare", n) for n in range(1000)),
                    encoding="utf-8")
    done = run("task", "add", "after", agent="a.1")
    assert done.stderr.count("added without an id: given its id") == 10
    text = board(project)
    assert len(re.findall(r"(?m)^:ID: +\S+$", text)) == 1002
    listed = run("task", "list", agent="a.1").stdout
    assert "Pasted 999" in listed and "after" in listed


def test_thousands_of_pasted_tasks_are_said_in_a_few_lines(project: Path, run: Runner) -> None:
    """A pasted list of thousands must not fill an agent's context: ten named, the rest
    counted with their lines, by ``task list`` and by the write that gives the ids."""
    run("task", "add", "seed", agent="planner.1")
    path = project / BOARD
    path.write_text(board(project) + "".join(_task("bare", n) for n in range(300)),
                    encoding="utf-8")
    listed = run("task", "list", agent="a.1")
    assert listed.stderr.count("has no id yet") == 10
    assert "and 290 more tasks without an id (lines " in listed.stderr
    assert len(listed.stderr) < 4000
    done = run("task", "add", "after", agent="a.1")
    assert done.stderr.count("added without an id: given its id") == 10
    assert "290 more tasks added without an id (lines " in done.stderr
    assert len(done.stderr) < 4000
    assert len(re.findall(r"(?m)^:ID: +\S+$", board(project))) == 302
