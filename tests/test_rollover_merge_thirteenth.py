"""Merges around a rollover, thirteenth review (issue 16; docs/decisions.md, "Issue 16,
thirteenth round (merges and stale saves around a rollover)").

1. A person fixes the first line of an entry the other side's rollover moved out, in a
   long session where many entries share each minute: the merge keeps the edit and
   names the moved version superseded: ``show --all`` gives the entry once.
4. Both sides re-describe the same ``Earlier entries`` link differently: the conflict
   shows both lines.
5. Both sides' rollovers add the same link and a person re-describes it on one side:
   the new description is kept, whichever side merges.

One real repository after the installed ``ai-protocols init``, its session past the
rollover bound, with branches: ``base`` (not rolled over), ``xroll`` and ``yroll``
(each rolled over by a ``log``); each test works in a copy, with real ``git merge``
running the installed driver.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_rollover import CONTEXT, block, insert, stamp

from ai_protocols.org.syntax import entry_lines
from ai_protocols.session.rollover import BOUND

from conftest import Runner

#: Entries per minute in the big session: every minute holds several, as a long
#: session of an agent's writes does (the timestamp alone names no entry).
PER_MINUTE = 8


def _head(n: int) -> str:
    return f"old decision {n:06d} " + "d" * 150


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository with its three branches (see the module's docstring)."""
    root = (tmp_path_factory.mktemp("big") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q", "-b", "base")
    run = Runner(root)
    run("init")
    run("start", "--title", "Long work")
    path = root / CONTEXT
    pieces, total, n = [], 0, 0
    while total < BOUND - 30_000:
        entry = block(entry_lines(stamp(n // PER_MINUTE), _head(n), rationale=f"because {n}"))
        pieces.append(entry)
        total += len(entry)
        n += 1
    path.write_text(insert(path.read_text(), "decisions", "".join(pieces)))
    run("log", "--progress", "Grown by hand")  # (under the bound)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "big")
    git(root, "checkout", "-q", "-b", "xroll", "base")
    run("log", "--decision", "A long one " + "o" * 60_000, "--rationale", "big")
    run("log", "--progress", "X rolls over")
    assert list((root / ".ai/history").rglob("*.org")), "no rollover"
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "xroll")
    # yroll: the same rollover (the same earlier file, as when both clones roll the same
    # file over), then a write of its own.
    git(root, "checkout", "-q", "-b", "yroll", "base")
    git(root, "checkout", "xroll", "--", ".ai")
    run("log", "--progress", "Y writes")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "yroll")
    git(root, "checkout", "-q", "base")
    return root


def _copy(big: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "proj"
    shutil.copytree(big, copy, symlinks=True)
    return copy


def _edit(root: Path, old: str, new: str, message: str) -> None:
    path = root / CONTEXT
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    git(root, "commit", "-q", "-am", message)


def _link_line(root: Path) -> str:
    [line] = [line for line in (root / CONTEXT).read_text().split("\n")
              if line.startswith("- [[file:history/")]
    return line


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 40), ours_edits=st.booleans())
def test_a_first_line_fixed_in_a_moved_entry_is_shown_once(
        big: Path, tmp_path_factory: pytest.TempPathFactory, index: int,
        ours_edits: bool) -> None:
    """Case 1: on ``base``, a person fixes the first line of decision ``index`` (one of
    PER_MINUTE of its minute); xroll's rollover moved it out. Merged either way: clean,
    the fix in the live file, the moved version superseded: once in ``show --all``."""
    root = _copy(big, tmp_path_factory.mktemp("fix"))
    git(root, "checkout", "-q", "-b", "edit", "base")
    _edit(root, _head(index) + "\n", _head(index) + " FIXED\n", "fix")
    if not ours_edits:
        git(root, "checkout", "-q", "xroll")
    done = git(root, "merge", "--no-edit", "xroll" if ours_edits else "edit", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FIXED" in (root / CONTEXT).read_text()
    shown = json.loads(Runner(root)("show", "--all", "--json").stdout)
    same = [e["text"] for e in shown["decisions"] if e["text"].startswith(_head(index))]
    assert same == [_head(index) + " FIXED"], same


@pytest.mark.parametrize("ours", ["one", "two"])
def test_both_re_describing_one_link_differently_show_both_in_the_conflict(
        big: Path, tmp_path: Path, ours: str) -> None:
    """Case 4: from xroll, one branch names the link ``One's old``, another ``Two's
    old``: the merge stops on a conflict that holds both lines."""
    root = _copy(big, tmp_path)
    git(root, "checkout", "-q", "xroll")
    line = _link_line(root)
    for name in ("one", "two"):
        git(root, "checkout", "-q", "-b", name, "xroll")
        _edit(root, "][earlier entries]]", f"][{name.title()}'s old]]", name)
    git(root, "checkout", "-q", ours)
    done = git(root, "merge", "--no-edit", "two" if ours == "one" else "one", check=False)
    assert done.returncode != 0
    text = (root / CONTEXT).read_text()
    for name in ("one", "two"):
        assert line.replace("][earlier entries]]", f"][{name.title()}'s old]]") in text
    assert "<<<<<<<" in text and ">>>>>>>" in text


@pytest.mark.parametrize("x_merges", [True, False])
def test_a_new_description_of_a_link_both_added_is_kept(
        big: Path, tmp_path: Path, x_merges: bool) -> None:
    """Case 5: xroll and yroll rolled over the same entries (one earlier file); on
    xroll a person re-describes its new link: merged either way, the new description
    stays, without a conflict."""
    root = _copy(big, tmp_path)
    git(root, "checkout", "-q", "xroll")
    _edit(root, "][earlier entries]]", "][X old]]", "redescribe")
    git(root, "checkout", "-q", "xroll" if x_merges else "yroll")
    done = git(root, "merge", "--no-edit", "yroll" if x_merges else "xroll", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "][X old]]" in _link_line(root)


def test_the_tool_s_own_link_lines_merge_as_before(big: Path, tmp_path: Path) -> None:
    """Both rollovers' links untouched: one link, as the rollover wrote it."""
    root = _copy(big, tmp_path)
    git(root, "checkout", "-q", "xroll")
    done = git(root, "merge", "--no-edit", "yroll", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "][earlier entries]]" in _link_line(root)
    assert subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=root).returncode == 0
