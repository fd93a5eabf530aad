"""A task's ``:ID:`` that a person retyped twice, in two commits another clone pulls at
once, is the person's later edit, not a stale save: CI's failure of
``test_board_thirteenth``'s fast-forward case (the twenty-third round's
``stale.pulled_over`` took the second commit for a buffer opened before the first). The
rule (``board.merge._lacks_change``): a change whose every part the later text changed
too, to lines of its own, tells nothing of that text being older; a change that adds
lines (a claim's property) still does. docs/decisions.md, "Twenty-fourth round: an id
retyped twice"."""

from __future__ import annotations

from pathlib import Path

import pytest
from boardkit import BOARD, add, board, git
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.board.merge import _lacks_change

from conftest import Runner

STALE = "lacks what git brought"


def _retype(clone: Path, old: str, new: str, message: str) -> None:
    text = board(clone).replace(f":ID:       {old}\n", f":ID:       {new}\n")
    assert text != board(clone)
    (clone / BOARD).write_text(text, encoding="utf-8")
    git(clone, "commit", "-qam", message)


@pytest.mark.parametrize("how", ["fast-forward", "merge"])
def test_an_id_retyped_twice_in_pulled_commits_is_no_stale_save(
        project: Path, run: Runner, tmp_path: Path, how: str) -> None:
    """Clone C retypes task T's id twice (two commits); this clone pulls both at once
    (a fast-forward, or a real merge through the board's driver over a task of its
    own). No command warns of a stale save, the board keeps the id C typed last (not
    the one between, merged "back"), and the next write keeps it."""
    old = add(run, "the task", "--working-set", "src")
    add(run, "another")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "board")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    between, last = old[:-8] + "zzzzzzzz", old[:-8] + "yyyyyyyy"
    _retype(clone, old, between, "a person's id")
    _retype(clone, between, last, "again")
    if how == "merge":
        add(run, "a task of this clone's")
        git(project, "commit", "-qam", "here")
        git(project, "pull", "-q", "--no-rebase", "--no-edit", str(clone), "HEAD")
        assert len(git(project, "log", "-1", "--format=%P").split()) == 2
    else:
        git(project, "pull", "-q", "--ff-only", str(clone), "HEAD")
    pulled = board(project)
    assert f":ID:       {last}\n" in pulled and between not in pulled
    for args in (["task", "list"], ["task", "show", last], ["locks"]):
        done = run(*args)
        assert STALE not in done.stderr, (args, done.stderr)
    assert board(project) == pulled
    done = run("task", "claim", last, agent="me.1796000000")
    assert STALE not in done.stderr, done.stderr
    after = board(project)
    assert f":ID:       {last}\n" in after and f":ID:       {between}" not in after
    assert f":ID:       {old}" not in after
    assert "claimed by me.1796000000" in after and "* DOING the task" in after


_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=20).map(lambda s: "note " + s)


@settings(max_examples=200, deadline=None)
@given(notes=st.lists(_LINE, max_size=5, unique=True), ids=st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8),
    min_size=3, max_size=3, unique=True), typed=_LINE)
def test_lacks_change_tells_a_retyped_line_from_a_stale_text(
        notes: list[str], ids: list[str], typed: str) -> None:
    """Property: the change of one ``:ID:`` line from A to B. A commit's text that retyped
    it to C (with or without a note typed) holds no sign of being older (not lacking); a
    buffer's save that did is left to a person as a line both changed (lacking: the
    refusal); a text with A (a stale buffer, a note typed in or not) lacks it; a text
    with B holds it.
    A claim (headline changed and a property added): a text whose headline a person
    changed otherwise still lacks the claim's property, so it is older."""
    head = ["* TODO the task", ":PROPERTIES:"]
    tail = [":END:", *notes]
    was, now, third = ([*head, f":ID:       {one}", *tail] for one in ids)
    join = "\n".join
    extra = [typed] if typed not in notes else []
    for committed in (True, False):
        assert not _lacks_change(join(now + extra), join(was), join(now),
                                 committed=committed)
        assert _lacks_change(join(was), join(was), join(now), committed=committed)
        assert _lacks_change(join(was + extra), join(was), join(now), committed=committed)
        assert _lacks_change(join(third), join(was), join(now),
                             committed=committed) is not committed
        assert _lacks_change(join(third + extra), join(was), join(now),
                             committed=committed) is not committed
    claimed = ["* DOING the task", ":PROPERTIES:", f":ID:       {ids[0]}",
               ":CLAIMED_BY: agent.1", *tail]
    closed = ["* DONE the task", *was[1:]]
    assert _lacks_change(join(closed), join(was), join(claimed), committed=True)
    assert not _lacks_change(join(claimed), join(was), join(claimed), committed=True)
