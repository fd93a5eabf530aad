"""The board's merge, its open corner cases (issue 15, nineteenth round; docs/decisions.md,
"Issue 15, nineteenth round (the board merge)").

1. A task both sides added (the base has it not: one id, or one title without an id) and
   set differently, the title, tags, TODO keyword, a property, the planning line or the
   text under it: a conflict that keeps both sides' text (git's markers), which Emacs
   parses and every command refuses saying so; never one side's text taken in silence.
   The claim's rule (the earlier claim, the dropped one logged) and a close still decide.
2. ``task merge-copy`` run again after the copy's planning line, property, title, tags or
   keyword changed again: merged (the base is what the earlier run merged), not refused;
   a part the copy left as it was keeps the shared board's change.
3. A task without an ``:ID:`` (a headline a person typed): ``task show`` shows what
   ``task list`` lists, by the key ``task list`` tells.

Real clones of a bare repository with the driver ``ai-protocols init`` installs, real
``git merge``, the installed console script; Emacs judges the merged boards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from boardkit import BOARD, linked_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import Clones, git

from ai_protocols.board.merge import merge_board_bytes

from conftest import Runner
from emacs import org_element

_WORD = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=12)


# -- 1. a task both sides added, set differently --------------------------------------------


def _task_on_both(tmp_path: Path) -> tuple[Clones, Runner, Runner, str]:
    """Two clones whose common board lacks the task "Shared" that both then hold, with
    one id (clone one added it; its board copied into clone two, as a person pastes
    it, or a commit cherry-picked onto both branches): the clones, their runners, and
    the board text both hold."""
    clones = Clones(tmp_path.resolve(), files={"README": b"shared\n"})
    one, two = Runner(clones.one), Runner(clones.two)
    one("task", "add", "Groundwork", agent="planner.1")
    clones.commit(clones.one, "base")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one("task", "add", "Shared", agent="planner.1")
    text = (clones.one / BOARD).read_text(encoding="utf-8")
    (clones.two / BOARD).write_text(text, encoding="utf-8")
    return clones, one, two, text


_SIDES = {  # what each side set differently: (the line as added, one's, two's)
    "title": ("* TODO Shared\n", "* TODO Shared by one\n", "* TODO Shared by two\n"),
    "tags": ("* TODO Shared\n", "* TODO Shared :backend:\n", "* TODO Shared :docs:\n"),
    "keyword": ("* TODO Shared\n", "* NEXT Shared\n", "* DOING Shared\n"),
    "property": (":END:\n- [", ":EFFORT: 1h\n:END:\n- [", ":EFFORT: 3h\n:END:\n- ["),
    "planning": ("* TODO Shared\n", "* TODO Shared\nSCHEDULED: <2026-12-05 Sat>\n",
                 "* TODO Shared\nSCHEDULED: <2026-12-07 Mon>\n"),
    "text": ("added by planner.1\n", "added by planner.1\nOne's note.\n",
             "added by planner.1\nTwo's note.\n"),
}


def _set(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced in the task "Shared" (its last occurrence)."""
    at = text.rindex(old)
    return text[:at] + new + text[at + len(old):]


@pytest.mark.parametrize("field", list(_SIDES))
def test_a_task_both_added_set_differently_is_a_conflict_keeping_both(
        tmp_path: Path, field: str) -> None:
    clones, one, _two, text = _task_on_both(tmp_path)
    old, mine, theirs = _SIDES[field]
    (clones.one / BOARD).write_text(_set(text, old, mine), encoding="utf-8")
    (clones.two / BOARD).write_text(_set(text, old, theirs), encoding="utf-8")
    clones.commit(clones.one, "one sets it")
    clones.commit(clones.two, "two sets it")
    merged = clones.merge_two_into_one()
    assert merged.returncode != 0 and "CONFLICT" in merged.stdout, merged.stdout
    path = clones.one / BOARD
    board = path.read_text(encoding="utf-8")
    for side in (mine, theirs):  # (each side's own line, neither dropped)
        assert side.strip().splitlines()[-1 if field != "property" else 0] in board, board
    assert re.search(r"^<{7} ", board, re.M) and re.search(r"^>{7} ", board, re.M), board
    titles = [h["title"] for h in org_element([path])[0]["headlines"]]  # Emacs parses it
    assert any(title.startswith("Shared") for title in titles), titles
    refused = one("task", "list", check=False)
    assert refused.returncode == 6 and "merge-conflict markers" in refused.stderr, refused


def test_a_task_both_added_merges_by_the_rules_that_lose_nothing(tmp_path: Path) -> None:
    """What a rule settles without dropping text still merges: tags aligned apart by
    Emacs (blanks only), a planning line one side alone added, a claim on one side (its
    state comes with it), notes on both sides (each kept)."""
    clones, one, _two, text = _task_on_both(tmp_path)
    ident = re.findall(r"^:ID: +(\S+)$", text, re.M)[-1]
    mine = _set(text, "* TODO Shared\n", "* TODO Shared  :backend:\nSCHEDULED: <2026-12-05 Sat>\n")
    (clones.one / BOARD).write_text(mine, encoding="utf-8")
    (clones.two / BOARD).write_text(_set(text, "* TODO Shared\n", "* TODO Shared :backend:\n"),
                                    encoding="utf-8")
    Runner(clones.two)("task", "claim", ident, agent="b.1")
    clones.commit(clones.one, "one sets it")
    clones.commit(clones.two, "two claims it")
    merged = clones.merge_two_into_one()
    assert merged.returncode == 0, merged.stdout + merged.stderr
    board = (clones.one / BOARD).read_text(encoding="utf-8")
    assert re.search(r"^\* DOING Shared +:backend:\nSCHEDULED: <2026-12-05 Sat>\n", board,
                     re.M), board
    assert re.search(r"^:OWNER: +b\.1$", board, re.M), board
    org_element([clones.one / BOARD])
    shown = one("task", "show", ident).stdout
    assert "b.1" in shown, shown


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_WORD, second=_WORD, key=st.sampled_from(["title", "value"]))
def test_no_side_of_a_task_both_added_is_dropped(first: str, second: str, key: str) -> None:
    """Any two titles, or values of one property, set apart on a task both sides added:
    the merge (either way round) holds both, with conflict markers; the same text set on
    both merges clean."""
    head = "#+TITLE: Task board\n\n* Locks\n:PROPERTIES:\n:CUSTOM_ID: locks\n:END:\n"
    task = "* TODO {title}\n:PROPERTIES:\n:ID:       20261201-000000-aaaaaaaa\n" \
           ":NOTE_KEY: {value}\n:END:\n- [2026-12-01 Tue 10:00] added by p\n"
    other = "other " + second if key == "title" else second
    a = head + task.format(title="T " + first, value=first)
    b = head + task.format(title="T " + (other if key == "title" else first),
                           value=other if key == "value" else first)
    for ours, theirs in ((a, b), (b, a)):
        result = merge_board_bytes(head.encode(), ours.encode(), theirs.encode())
        assert result is not None
        merged = result.data.decode("utf-8")
        if a == b:
            assert not result.conflicts and merged == a
            continue
        assert result.conflicts, merged
        for line in set(a.splitlines()) ^ set(b.splitlines()):
            assert line in merged.splitlines(), (line, merged)


# -- 2. task merge-copy, a part changed again --------------------------------------------------

_AGAIN = {  # what the copy changes, then changes again: (as committed, first, second)
    "scheduled": ("* TODO task one\n", "* TODO task one\nSCHEDULED: <2026-12-05 Sat>\n",
                  "* TODO task one\nSCHEDULED: <2026-12-08 Tue>\n"),
    "deadline": ("* TODO task one\n",
                 "* TODO task one\nSCHEDULED: <2026-12-05 Sat> DEADLINE: <2026-12-09 Wed>\n",
                 "* TODO task one\nSCHEDULED: <2026-12-05 Sat> DEADLINE: <2026-12-11 Fri>\n"),
    "property": (":END:\n- [", ":EFFORT: 1h\n:END:\n- [", ":EFFORT: 2h\n:END:\n- ["),
    "title": ("* TODO task one\n", "* TODO task one, first\n", "* TODO task one, second\n"),
    "tags": ("* TODO task one\n", "* TODO task one :backend:\n", "* TODO task one :docs:\n"),
    "keyword": ("* TODO task one\n", "* NEXT task one\n", "* DOING task one\n"),
}


@pytest.mark.parametrize("part", list(_AGAIN))
def test_merge_copy_again_takes_a_part_changed_twice(tmp_path: Path, part: str) -> None:
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    was, first, second = _AGAIN[part]
    (tree / BOARD).write_text(text.replace(was, first, 1), encoding="utf-8")
    in_tree("task", "merge-copy")
    assert first in (repo / BOARD).read_text(encoding="utf-8")
    (tree / BOARD).write_text(text.replace(was, second, 1), encoding="utf-8")
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 0 and "Merged" in done.stdout, done.stderr
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert second in shared and first not in shared, shared
    org_element([repo / BOARD])
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


@settings(max_examples=60, deadline=None)
@given(first=_WORD, second=_WORD, part=st.sampled_from(["title", "value", "date"]))
def test_merged_before_makes_a_second_change_one_change(first: str, second: str,
                                                        part: str) -> None:
    """In-process, any values: the copy's part changed to ``first`` (merged: the shared
    board took it, and has changed another task since), then to ``second``: the merge
    from :func:`merged_before`'s base takes ``second``, cleanly; the record then holds
    ``second``."""
    from ai_protocols.board.merge import merged_before

    head = "#+TITLE: Task board\n\n* Locks\n:PROPERTIES:\n:CUSTOM_ID: locks\n:END:\n"
    task = "* TODO T {title}\n{date}:PROPERTIES:\n:ID:       20261201-000000-aaaaaaaa\n" \
           ":NOTE_KEY: {value}\n:END:\n- [2026-12-01 Tue 10:00] added by p\n"
    other = "* TODO Other\n:PROPERTIES:\n:ID:       20261201-000000-bbbbbbbb\n:END:\n"

    def board(value: str, extra: str = "") -> str:
        fields = {"title": "x", "value": "x", "date": ""}
        fields[part] = f"SCHEDULED: <2026-12-05 Sat> {value}\n" if part == "date" else value
        return head + task.format(**fields) + other + extra

    base = board("was")
    copy_one, copy_two = board(first), board(second)
    shared = board(first, "- a note under Other\n")  # (the first run's merge, and more)
    since, record = merged_before(base.encode(), copy_one.encode(), copy_two.encode())
    result = merge_board_bytes(since, shared.encode(), copy_two.encode())
    assert result is not None and not result.conflicts, result
    assert result.data.decode() == board(second, "- a note under Other\n")
    assert record.decode() == copy_two


def test_merge_copy_again_takes_a_date_changed_twice_on_a_task_typed_without_id(
        tmp_path: Path) -> None:
    """A task typed into the copy (no id) with a date, merged (the shared board gave it an
    id), its date changed again in the copy: merged, once, with the new date; a note
    typed under it since comes too."""
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    (tree / BOARD).write_text(text + "* TODO Typed\nSCHEDULED: <2026-12-05 Sat>\nline one\n",
                              encoding="utf-8")
    in_tree("task", "merge-copy")
    (tree / BOARD).write_text(text + "* TODO Typed\nSCHEDULED: <2026-12-09 Wed>\n"
                              "line one\nline two\n", encoding="utf-8")
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 0 and "Merged" in done.stdout, done.stderr
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert shared.count("Typed") == 1 and "<2026-12-05 Sat>" not in shared, shared
    assert re.search(r"^\* TODO Typed\nSCHEDULED: <2026-12-09 Wed>\n:PROPERTIES:\n"
                     r":ID: .*\n(?:.*\n)*?:END:\nline one\nline two\n", shared, re.M), shared
    again = in_tree("task", "merge-copy")
    assert "already holds" in again.stdout and (repo / BOARD).read_text() == shared


def test_merge_copy_after_checkout_keeps_what_it_merged_and_takes_the_new_edit(
        tmp_path: Path) -> None:
    """The copy dropped (``git checkout HEAD --``, as merge-copy advises), then another
    part edited: the earlier merged date stays, the new title comes; a date changed
    again after the checkout comes too."""
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    dated = "* TODO task one\nSCHEDULED: <2026-12-05 Sat>\n"
    (tree / BOARD).write_text(text.replace("* TODO task one\n", dated, 1), encoding="utf-8")
    in_tree("task", "merge-copy")
    from boardkit import git as git_in

    git_in(tree, "checkout", "HEAD", "--", str(BOARD))
    (tree / BOARD).write_text(text.replace("* TODO task one\n", "* TODO task one, renamed\n"),
                              encoding="utf-8")
    in_tree("task", "merge-copy")
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert "* TODO task one, renamed\nSCHEDULED: <2026-12-05 Sat>\n" in shared, shared
    (tree / BOARD).write_text(text.replace(
        "* TODO task one\n", "* TODO task one, renamed\nSCHEDULED: <2026-12-12 Sat>\n"),
        encoding="utf-8")
    in_tree("task", "merge-copy")
    shared = (repo / BOARD).read_text(encoding="utf-8")
    assert "* TODO task one, renamed\nSCHEDULED: <2026-12-12 Sat>\n" in shared, shared


def test_merge_copy_again_still_refuses_a_part_the_shared_board_changed_otherwise(
        tmp_path: Path) -> None:
    """The date the shared board took, changed there since (a person in the main work
    tree), and changed again in the copy: both changed it from what the copy merged, a
    conflict left to a person (exit 6, nothing written)."""
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    text = (tree / BOARD).read_text(encoding="utf-8")
    dated = "* TODO task one\nSCHEDULED: <2026-12-05 Sat>\n"
    (tree / BOARD).write_text(text.replace("* TODO task one\n", dated, 1), encoding="utf-8")
    in_tree("task", "merge-copy")
    shared = (repo / BOARD).read_text(encoding="utf-8")
    (repo / BOARD).write_text(shared.replace("<2026-12-05 Sat>", "<2026-12-06 Sun>"),
                              encoding="utf-8")
    (tree / BOARD).write_text(text.replace(
        "* TODO task one\n", "* TODO task one\nSCHEDULED: <2026-12-08 Tue>\n"), encoding="utf-8")
    before = (repo / BOARD).read_bytes()
    done = in_tree("task", "merge-copy", check=False)
    assert done.returncode == 6 and "'task one'" in done.stderr, done.stderr
    assert (repo / BOARD).read_bytes() == before


# -- 3. task show shows what task list lists, by the key it tells ------------------------------

_TITLE = st.text(st.characters(whitelist_categories=("L", "N", "Zs", "Pd"), max_codepoint=0x2FF),
                 max_size=16).map(lambda text: " ".join(text.split())).filter(
                     lambda title: not title.upper().startswith("COMMENT"))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(titles=st.lists(_TITLE, min_size=1, max_size=4))
def test_task_show_shows_each_task_task_list_lists_by_its_key(tmp_path_factory,
                                                             titles: list[str]) -> None:
    """Tasks typed without an id, with any titles, two of one title, none, an end of
    another task's id, its whole id, a line's key: ``task list --json`` gives each a
    ``key`` (its id, its title, or ``line:N``) and ``task show KEY`` shows that very
    task."""
    project = tmp_path_factory.mktemp("keys").resolve()
    git(project, "init", "-q")
    run = Runner(project)
    run("init")
    ident = run("task", "add", "Task with an id", agent="p.1").stdout.strip()
    typed = [*titles, titles[0], "", ident[-2:], ident, "line:5"]
    with (project / BOARD).open("a", encoding="utf-8") as board:
        board.write("".join(f"* TODO {title}\n" for title in typed))
    listed = run("task", "list", "--json", agent="p.1")
    rows = json.loads(listed.stdout)
    assert len(rows) == 1 + len(typed), rows
    for row in rows:
        assert row["key"] == row["id"] if row["id"] else row["key"], row
        shown = run("task", "show", "--json", "--", row["key"], agent="p.1")
        got = json.loads(shown.stdout)
        assert (got["line"], got["title"], got["id"]) == (row["line"], row["title"],
                                                          row["id"]), (row, got)
    said = run("task", "list", agent="p.1").stderr
    for row in rows[1:]:  # (the advice names the same key)
        key = row["key"]
        assert f"task on line {row['line']} " in said and (
            f"claim line:{row['line']}" in said if key.startswith("line:") else True), said


def test_task_claim_by_the_line_key_claims_the_task_listed(project: Path, run: Runner) -> None:
    run("task", "add", "Seed", agent="p.1")
    with (project / BOARD).open("a", encoding="utf-8") as board:
        board.write("* TODO Dup\nfirst one\n* TODO Dup\nsecond one\n")
    rows = json.loads(run("task", "list", "--json", agent="p.1").stdout)
    second = [row for row in rows if row["title"] == "Dup"][1]
    assert second["key"] == f"line:{second['line']}", rows
    claimed = run("task", "claim", second["key"], agent="b.1")
    assert "Claimed task" in claimed.stdout, claimed
    text = (project / BOARD).read_text(encoding="utf-8")
    assert re.search(r"^\* DOING Dup\n:PROPERTIES:\n(?:.*\n)*?:OWNER: +b\.1\n(?:.*\n)*?"
                     r"second one$", text, re.M), text
    assert re.search(r"^\* TODO Dup\n:PROPERTIES:\n(?:.*\n)*?first one$", text, re.M), text
    missing = run("task", "show", "line:2", agent="p.1", check=False)
    assert missing.returncode == 20 and "no task without an id" in missing.stderr, missing
