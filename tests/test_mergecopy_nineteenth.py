"""``task merge-copy`` run again after a person changed, in the linked work tree's copy,
a task typed there without an ``:ID:`` that an earlier run merged (issue 17, nineteenth
round; docs/decisions.md, "Issue 17, nineteenth round (keys of tasks without an id)").

The earlier run's record ties the copy's task to the id the shared board gave it, so
whatever the person changes next (its title, tags, TODO keyword, the text under it, all
at once) the next run merges it as a change of that task: never added a second time
(before: a tag added made ``Typed :t:`` and ``Typed :t:u:``, two ids).

Real git work trees, the installed console script.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from boardkit import BOARD, linked_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

_TITLE = st.from_regex(r"[A-Z][a-z]{0,7}( [a-z]{1,6}){0,2}", fullmatch=True).filter(
    lambda t: t.split()[0] not in {"TODO", "NEXT", "DOING", "REVIEW", "DONE", "COMMENT"})
_TAGS = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True), max_size=3,
                 unique=True)
_STATE = st.sampled_from(["TODO", "NEXT", "REVIEW"])
#: What a person changes in a typed task: None keeps it as it is.
_CHANGE = st.fixed_dictionaries({
    "title": st.none() | _TITLE, "tags": st.none() | _TAGS, "state": st.none() | _STATE,
    "note": st.none() | st.from_regex(r"[a-z]{1,8}( [a-z]{1,8}){0,2}", fullmatch=True),
})


def _headline(state: str, title: str, tags: list[str]) -> str:
    return f"* {state} {title}" + (f" :{':'.join(tags)}:" if tags else "")


def _shared(run: Runner) -> list[dict]:
    return [t for t in json.loads(run("task", "list", "--json").stdout)
            if t["title"] != "task one"]


class _Typed:
    """A task typed into the copy: its headline's parts and the lines under it."""

    def __init__(self, title: str, tags: list[str], lines: list[str]) -> None:
        self.state, self.title, self.tags, self.lines = "TODO", title, tags, lines

    def text(self) -> str:
        return "".join(line + "\n" for line in [
            _headline(self.state, self.title, self.tags), *self.lines])

    def change(self, change: dict) -> None:
        self.title = change["title"] or self.title
        self.tags = self.tags if change["tags"] is None else change["tags"]
        self.state = change["state"] or self.state
        if change["note"]:
            self.lines = [change["note"], *self.lines]  # (typed above the first line)


def _copy_with(tree: Path, head: str, typed: list[_Typed]) -> None:
    (tree / BOARD).write_text(head + "".join(t.text() for t in typed), encoding="utf-8")


_counter = iter(range(10**6))


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(_CHANGE, _CHANGE), min_size=1, max_size=2))
def test_a_typed_task_changed_after_merge_copy_is_merged_never_added_again(
        tmp_path: Path, rounds: list[tuple[dict, dict]]) -> None:
    folder = tmp_path / str(next(_counter))
    folder.mkdir()
    run, in_tree, repo, tree = linked_copy(folder)
    head = (tree / BOARD).read_text(encoding="utf-8")
    typed = [_Typed("Typed", ["t"], ["first line of one"]), _Typed("Other", [], [])]
    _copy_with(tree, head, typed)
    in_tree("task", "merge-copy")
    first = _shared(run)
    assert [t["title"] for t in first] == ["Typed", "Other"]
    ids = [t["id"] for t in first]
    for changes in rounds:
        for task, change in zip(typed, changes, strict=True):
            task.change(change)
        _copy_with(tree, head, typed)
        done = in_tree("task", "merge-copy", check=False)
        assert done.returncode == 0, done.stderr
        now = _shared(run)
        # one task each, the id the first run gave it, as the copy holds it now
        assert [t["id"] for t in now] == ids, (now, rounds)
        for task, shown in zip(typed, now, strict=True):
            assert (shown["state"], shown["title"], shown["tags"]) == \
                (task.state, task.title, task.tags)
        text = (repo / BOARD).read_text(encoding="utf-8")
        for task in typed:
            for line in task.lines:
                assert line in text


def test_the_reviewers_case_a_tag_added_then_retitled(tmp_path: Path) -> None:
    """f2.sh: ``Typed :t:`` merged, then ``:u:`` added, then retitled: one task."""
    _run, in_tree, repo, tree = linked_copy(tmp_path)
    head = (tree / BOARD).read_text(encoding="utf-8")
    for line in ("* TODO Typed :t:", "* TODO Typed :t:u:", "* NEXT Retitled :u:"):
        (tree / BOARD).write_text(head + line + "\n", encoding="utf-8")
        in_tree("task", "merge-copy")
    text = (repo / BOARD).read_text(encoding="utf-8")
    assert text.count(":ID:") == 2, text  # task one, and the typed task: once
    assert "* NEXT Retitled :u:" in text and "Typed" not in text
    # the copy dropped as merge-copy advises: nothing more to merge, nothing added
    subprocess.run(["git", "checkout", "HEAD", "--", str(BOARD)], cwd=tree, check=True)
    in_tree("task", "merge-copy")
    assert (repo / BOARD).read_text(encoding="utf-8") == text
