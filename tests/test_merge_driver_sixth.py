"""The session merge driver, fifth review (issue 14 point 4): an entry is known for
sure or its change is a conflict, never a person's line lost; the branch and its
commit are one unit; conflict markers of any size are seen; the lines under an entry
conflict in git's configured style.

Real clones of a bare repository, written by the installed CLI and edited by real
Emacs (``emacs --batch -Q`` in org-mode, as a person's M-up or typing), merged by a
real ``git pull`` that runs the installed driver; real Emacs parses the results.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_merge_driver import CONTEXT, git

from ai_protocols.session.text import conflict_marker_lines

from conftest import Runner


class Pair:
    """A bare origin and clones ``a`` and ``b`` of a session whose base holds what
    ``log ARGS`` logged (a person on ``a`` in Emacs, an agent or a person on ``b``)."""

    def __init__(self, base: Path, *log_args: str) -> None:
        self.origin = base / "origin.git"
        git(base, "init", "-q", "--bare", "-b", "main", str(self.origin))
        self.a, self.b = base / "a", base / "b"
        git(base, "clone", "-q", str(self.origin), str(self.a))
        Runner(self.a)("init")
        Runner(self.a)("start", "--title", "Shared")
        if log_args:
            Runner(self.a)("log", *log_args)
        git(self.a, "add", "-A")
        git(self.a, "commit", "-q", "-m", "base")
        git(self.a, "push", "-q", "origin", "HEAD:main")
        git(base, "clone", "-q", "-b", "main", str(self.origin), str(self.b))
        Runner(self.b)("init")

    def pull_into_b(self) -> subprocess.CompletedProcess[str]:
        """``a`` commits and pushes; ``b`` commits and runs ``git pull`` (the driver)."""
        for clone, name in ((self.a, "a side"), (self.b, "b side")):
            git(clone, "add", "-A")
            git(clone, "commit", "-q", "-m", name)
        git(self.a, "push", "-q", "origin", "HEAD:main")
        return git(self.b, "pull", "-q", "--no-rebase", "origin", "main", check=False)

    @property
    def merged(self) -> str:
        return (self.b / CONTEXT).read_text(encoding="utf-8")


def emacs_edit(path: Path, elisp: str) -> None:
    """Edit ``path`` as a person does in Emacs: org-mode, point at the start, ``elisp``,
    then save."""
    subprocess.run(
        ["emacs", "--batch", "-Q", "--eval",
         f'(progn (require \'org) (find-file "{path}") (org-mode) '
         f"(goto-char (point-min)) {elisp} (save-buffer))"],
        check=True, capture_output=True, timeout=120)


def section(text: str, title: str) -> str:
    """The lines of section ``title`` that are not properties."""
    body = text.split(f"** {title}\n", 1)[1].split("\n** ", 1)[0]
    return "\n".join(line for line in body.splitlines() if not line.startswith(":"))


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path.resolve()


# -- 6: the branch and its commit, one unit ---------------------------------------------------


def test_a_cherry_pick_takes_the_branch_and_its_commit_from_one_side(base: Path) -> None:
    """Fifth review, fault 7: logged on ``feat`` and on ``master``, then ``git
    cherry-pick feat`` on master: GIT_BRANCH and GIT_COMMIT come from one side (the one
    updated last), so the commit recorded is on the branch recorded, and ``resume`` does
    not warn of a rewritten history."""
    repo = base / "r"
    git(base, "init", "-q", "-b", "master", str(repo))
    run = Runner(repo)
    (repo / "x").write_text("x\n")
    run("init")
    run("start", "--title", "CP")
    run("log", "--progress", "base")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "switch", "-q", "-c", "feat")
    run("log", "--progress", "F1")
    (repo / "f").write_text("f\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "f1")
    run("log", "--progress", "F2")
    git(repo, "commit", "-q", "-am", "f2")
    git(repo, "switch", "-q", "master")
    run("log", "--progress", "M1")
    git(repo, "commit", "-q", "-am", "m1")
    git(repo, "cherry-pick", "feat")
    text = (repo / CONTEXT).read_text()
    branch = re.search(r"^:GIT_BRANCH: (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    commit = re.search(r"^:GIT_COMMIT: (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    holding = git(repo, "branch", "--format=%(refname:short)", "--contains", commit).stdout
    assert branch in holding.split(), (branch, commit, holding)
    assert "does not descend" not in run("resume").stdout


# -- 8: conflict markers of any size -----------------------------------------------------------


def test_a_conflict_with_long_markers_is_refused_by_show_and_log(base: Path) -> None:
    """Fifth review, fault 9: with ``conflict-marker-size=12`` for the session files,
    a conflicting merge leaves 12-character markers; ``show`` and ``log`` refuse the
    file (exit 6, MergeConflict) and ``log`` writes nothing."""
    pair = Pair(base, "--decision", "dec one", "--rationale", "why one")
    emacs_edit(pair.a / CONTEXT, '(re-search-forward "why one") (insert " -- A says")')
    emacs_edit(pair.b / CONTEXT, '(re-search-forward "why one") (insert " -- B says")')
    with (pair.b / ".git" / "info" / "attributes").open("a") as out:
        out.write(".ai/*.org conflict-marker-size=12\n")
    assert pair.pull_into_b().returncode != 0
    before = (pair.b / CONTEXT).read_bytes()
    assert re.search(rb"^<{12} ", before, re.M)
    run = Runner(pair.b)
    assert run("show", check=False).returncode == 6
    done = run("log", "--progress", "written into a conflicted file", check=False)
    assert done.returncode == 6, done.stderr
    assert "conflict" in done.stderr
    assert (pair.b / CONTEXT).read_bytes() == before


def test_marker_lines_of_any_size() -> None:
    """The one rule: seven-character markers as before; longer ones only as a set of the
    same size, in order; a person's line of eight ``<`` alone is text."""
    for size in (7, 8, 12, 40):
        text = (f"a\n{'<' * size} ours\nx\n{'|' * size} base\no\n{'=' * size}\ny\n"
                f"{'>' * size} theirs\nz\n")
        assert conflict_marker_lines(text) == [2, 4, 6, 8], size
    assert conflict_marker_lines("a\n<<<<<<<< not a conflict\nb\n") == []
    assert conflict_marker_lines("<<<<<<<<\n========\n>>>>>>>>>\n") == []  # sizes differ
    assert conflict_marker_lines("x\n" + "<" * 9 + "\n" + "=" * 9 + "\n" + ">" * 9) == [2, 3, 4]


# -- 16b: the configured conflict style ---------------------------------------------------------


def test_a_conflict_under_an_entry_shows_the_base_in_the_diff3_style(base: Path) -> None:
    """Fifth review, 16b: with ``merge.conflictStyle=diff3``, a conflict in the lines under
    an entry shows the base's lines (``|||||||``), as git's own conflicts in free text
    do; without it, it does not."""
    for style in ("diff3", "zdiff3", None):
        folder = base / str(style)
        folder.mkdir()
        pair = Pair(folder, "--decision", "dec one", "--rationale", "why one")
        if style:
            git(pair.b, "config", "merge.conflictStyle", style)
        emacs_edit(pair.a / CONTEXT, '(re-search-forward "why one") (insert " -- A says")')
        emacs_edit(pair.b / CONTEXT, '(re-search-forward "why one") (insert " -- B says")')
        assert pair.pull_into_b().returncode != 0
        text = pair.merged
        assert "A says" in text and "B says" in text
        assert bool(re.search(r"^\|{7} ", text, re.M)) == (style is not None), (style, text)
        if style:
            shown = text.split("|||||||", 1)[1].split("=======", 1)[0]
            assert "why one\n" in shown


_PLAIN_LINE = st.text(st.characters(blacklist_characters="\n\r<>|=", codec="utf-8"),
                      max_size=20)


@given(before=st.lists(_PLAIN_LINE, max_size=5), ours=st.lists(_PLAIN_LINE, max_size=3),
       theirs=st.lists(_PLAIN_LINE, max_size=3), after=st.lists(_PLAIN_LINE, max_size=5),
       size=st.integers(7, 60), diff3=st.booleans())
@settings(max_examples=200, deadline=None)
def test_git_markers_of_any_size_are_found_property(
        before: list[str], ours: list[str], theirs: list[str], after: list[str], size: int,
        diff3: bool) -> None:
    """Any conflict as git writes it, markers of ``size`` (>= 7) characters, around any
    text: exactly its marker lines are found; without it, none."""
    lines = [*before, "<" * size + " ours", *ours]
    if diff3:
        lines += ["|" * size + " base"]
    lines += ["=" * size, *theirs, ">" * size + " theirs", *after]
    first = len(before) + 1
    expected = [first] + ([first + len(ours) + 1] if diff3 else [])
    expected += [first + len(ours) + 1 + diff3, first + len(ours) + 2 + diff3 + len(theirs)]
    assert conflict_marker_lines("\n".join(lines) + "\n") == expected
    assert conflict_marker_lines("\n".join([*before, *ours, *theirs, *after])) == []
