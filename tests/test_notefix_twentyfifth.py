"""A note typed under an entry logged since the last commit (twenty-fifth round, issue 14;
docs/decisions.md, "Twenty-fifth round: a note under an entry no commit holds").

A fresh reviewer's case (review A 6 of the twenty-fourth round): commit; ``log`` "A one"
(not committed); a buffer opened; ``log`` "A two"; a note typed under "A one" in the
buffer and saved. ``status`` said the file lacked 2 entries and advised ``cp`` of the
tool's copy over it, which deletes the note; ``merge-kept`` kept "A one" twice. The
committed version both derive from lacks "A one", and two rules took "A one" with a note
and "A one" without for two entries: the count of what a copy drops
(:func:`~ai_protocols.session.merge.changes_lacking`, which passed over a change of an
entry the base lacks as the tool's own) and the merge of an entry both sides added. Now
one rule (:func:`~ai_protocols.session.model.lines_added`): two texts of one first line,
one the other's with lines added, are one entry edited.

Real git, the installed console script and merge driver, real Emacs for the buffer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, commit, git
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import driver
from test_sessmsg_twentyfourth import _cli
from test_stalecommit_twentysecond import _flat
from test_stalesave_twentythird import emacs_edit

from ai_protocols.session.merge import copy_drops
from ai_protocols.session.model import lines_added

NOTE = "Typed note under A one, to keep."


def _note_under(first_line: str, note: str) -> str:
    """Lisp that types ``note`` as a line under the item whose first line ends with
    ``first_line``."""
    return (f'(search-forward "] {first_line}") (end-of-line) '
            f'(insert "\\n  {note}")')


def _noted(base: Path, agent: str | None, committed: bool = True) -> Agent:
    """The reviewer's set-up in a new repository at ``base``: a session committed (or,
    not ``committed``, never), "A one" logged, a buffer opened in real Emacs, "A two"
    logged while it is open, the note typed under "A one" and the buffer saved."""
    base.mkdir()
    git(base, "init", "-q", "-b", "main")
    (base / "README").write_text("x\n")
    run = Agent(base, agent)
    run("init")
    run("start", "--title", "Test")
    run("log", "--progress", "base")
    if committed:
        commit(base, "s1")
    else:  # (the project's files, not the session file)
        git(base, "add", "README")
        git(base, "commit", "-q", "-m", "README")
    run("log", "--progress", "A one")
    emacs_edit(base, run.file, _note_under("A one", NOTE),
               _cli(run, "log", "--progress", "A two"))
    return run


def _pasted_and_merged(run: Agent, said: str) -> None:
    """``said`` (``status``'s words) advises no ``cp`` nor ``mv -f`` but ``merge-kept``;
    pasted, it succeeds and the file holds "A one" once with the note under it, and "A
    two"; the next ``log`` keeps the note and "A one" once."""
    assert not re.search(r"\bcp \S+ \S+|mv -f", said), said
    found = re.search(r"(ai-protocols merge-kept \S+) \(from ", said)
    assert found is not None, said
    done = pasted(run.cwd, found.group(1))
    assert done.returncode == 0, done.stderr
    text = run.path.read_text()
    assert text.count("] A one\n") == 1 and f"] A one\n  {NOTE}\n" in text, text
    assert text.count("] A two") == 1, text
    run("log", "--progress", "three")
    text = run.path.read_text()
    assert text.count("] A one\n") == 1 and NOTE in text and "] three" in text, text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_note_under_an_uncommitted_entry_is_never_advised_away(tmp_path: Path,
                                                                 layout: str) -> None:
    """``status`` counts one entry lacking ("A two"), says the file holds an edit and
    advises ``merge-kept``, never ``cp``; pasted, the file holds "A one" once with the
    note under it, and "A two"; the next ``log`` keeps both."""
    run = _noted(tmp_path / "r", LAYOUTS[layout])
    said = _flat(run("status").stdout)
    assert "lacks 1 entry of the newer one" in said, said
    _pasted_and_merged(run, said)


_VERSIONS: list[bytes] = []


def _session_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A session file without "A one" (the base) and with it (as the tool wrote it),
    made once by the installed console script."""
    if not _VERSIONS:
        where = tmp_path_factory.mktemp("versions")
        git(where, "init", "-q", "-b", "main")
        run = Agent(where)
        run("init")
        run("start", "--title", "Test")
        run("log", "--progress", "base")
        _VERSIONS.append(run.path.read_bytes())
        run("log", "--progress", "A one")
        _VERSIONS.append(run.path.read_bytes())
    return _VERSIONS[0], _VERSIONS[1]


_NOTE = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                         min_size=1, max_size=40).map(str.strip).filter(
                             lambda t: t and t[0] not in ":#*|-+0123456789" and "\r" not in t),
                 min_size=1, max_size=3)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=_NOTE)
def test_a_copy_drops_any_note_under_an_entry_the_base_lacks(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, note: list[str]) -> None:
    """Whatever lines are typed under an entry the base lacks, a copy of the tool's
    version over the file drops them (counted), and the driver merges the two as one
    entry holding them, whichever side is ours."""
    base, tools = _session_versions(tmp_path_factory)
    typed = "".join(f"  {line}\n" for line in note).encode()
    at = tools.index(b"] A one\n") + len(b"] A one\n")
    persons = tools[:at] + typed + tools[at:]
    drops = copy_drops(persons, tools, base)
    assert drops is not None and sum(drops[0]) >= 1, drops
    assert copy_drops(tools, persons, base) == ((0,) * 7, 0)
    for ours, theirs in ((persons, tools), (tools, persons)):
        code, merged = driver(tmp_path, base, ours, theirs)
        assert code == 0, merged
        assert merged.count(b"] A one\n") == 1, merged
        assert b"] A one\n" + typed in merged, merged


def test_two_different_notes_under_one_entry_both_sides_added_stay_two_entries(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The rule kept where neither is the other's with lines added: each side typed a
    line of its own under an entry both added (no base holds it): both entries kept."""
    base, tools = _session_versions(tmp_path_factory)
    at = tools.index(b"] A one\n") + len(b"] A one\n")
    one = tools[:at] + b"  note of one\n" + tools[at:]
    two = tools[:at] + b"  note of two\n" + tools[at:]
    code, merged = driver(tmp_path, base, one, two)
    assert code == 0, merged
    assert merged.count(b"] A one\n") == 2, merged
    assert b"note of one" in merged and b"note of two" in merged


@given(st.lists(st.text(alphabet="ab ", max_size=6), max_size=5),
       st.lists(st.booleans(), max_size=5))
def test_lines_added_is_the_order_keeping_superset(lines: list[str], keep: list[bool]) -> None:
    """``lines_added``: lines under an item (each ended by a newline, as a file holds
    them) and the same with some taken out give the fuller; texts each holding a line
    the other lacks give ``None``."""
    full = "".join(f"{line}\n" for line in lines)
    kept = (keep + [True] * len(lines))[:len(lines)]
    part = "".join(f"{line}\n" for line, one in zip(lines, kept, strict=True) if one)
    assert lines_added(part, full) == full
    assert lines_added(full, part) == full
    assert lines_added("x\nonly here", "x\nonly there") is None


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_note_under_an_entry_of_a_session_never_committed_merges(tmp_path: Path,
                                                                   layout: str) -> None:
    """The second review's F4 (and F3, through ``git stash -u``): the same, the session
    never committed: no base at all. ``merge-kept`` refused ("the merge would drop 1
    line", the note: the base made of what both hold took the file's text of "A one",
    so the kept copy's took the note out); now the base takes the text without the
    lines added, the note is the file's change and kept."""
    run = _noted(tmp_path / "r", LAYOUTS[layout], committed=False)
    _pasted_and_merged(run, _flat(run("status").stdout))
