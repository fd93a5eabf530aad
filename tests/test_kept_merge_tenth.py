"""merge-kept and a person's edits (issue 14, tenth review).

Seen: after a write went into an older version git put back (exit 6), a person ticked a
checkbox and added a note line in Emacs on the file on disk; ``merge-kept`` answered
"Merged" (exit 0) with the tick undone and the note gone. A guard now checks, after the
merge, that every line of either side (the tool's property lines aside) is in the result,
a ``[ ]`` allowed to come back ``[X]``; else it refuses (exit 6) and writes nothing.
Real git throughout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_kept_merge_ninth import KEPT, SESSION, _paste, _progress, _start, written_at_an_old_commit

from ai_protocols.session.merge import lines_dropped

from conftest import Runner


def _diverge(project: Path, run: Runner) -> None:
    written_at_an_old_commit(project, run)
    assert run("log", "--progress", "refused", check=False).returncode == 6


def test_merge_kept_keeps_a_person_tick_and_note_or_refuses(project: Path, run: Runner) -> None:
    _diverge(project, run)
    path = project / SESSION
    text = path.read_text()
    entry = next(line for line in text.splitlines() if line.endswith("step 1"))
    assert "[ ]" in entry, text
    person = text.replace(entry, entry.replace("[ ]", "[X]", 1)
                          + "\n  A person note: do not touch the parser.", 1)
    path.write_text(person)
    kept = (project / KEPT).read_bytes()
    done = run("merge-kept", check=False)
    after = path.read_text()
    if done.returncode == 0:
        assert lines_dropped(person.encode(), after.encode()) == [], after
        assert lines_dropped(kept, after.encode()) == [], after
    else:
        assert done.returncode == 6, done.stderr
        assert "drop" in done.stderr and "nothing was written" in done.stderr, done.stderr
        assert after == person
        assert (project / KEPT).read_bytes() == kept
        # the advice works: the kept copy's lines added by hand, then the cp advised
        only = [line for line in lines_dropped(kept, person.encode())
                if line.startswith("- ")]
        path.write_text(person + "".join(line + "\n" for line in only))
        _paste(project, done.stderr, "cp ")
        run("log", "--progress", "after the hand merge")
        text = path.read_text()
        assert "A person note" in text and "[X]" in text and "after the hand merge" in text
        assert {"step 1", "step 2", "step 3", "testing old"} <= _progress(text), text


_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r[:"),
                max_size=30)


@given(st.lists(st.tuples(_line, st.booleans()), max_size=12))
def test_lines_dropped_finds_every_missing_line(lines: list[tuple[str, bool]]) -> None:
    """A result lacking some lines of a side is caught, each lacking line once (a
    multiset); one holding every line, or a box ticked in the result, is not."""
    side = "".join(line + "\n" for line, _ in lines).encode()
    result = "".join(line + "\n" for line, keep in lines if keep).encode()
    assert len(lines_dropped(side, result)) == sum(1 for _, keep in lines if not keep)
    assert lines_dropped(side, side) == []
    assert lines_dropped(b"- [ ] a\n:UPDATED: x\n", b"- [X] a\n") == []
    assert lines_dropped(b"- [X] a\n", b"- [ ] a\n") == ["- [X] a"]


@pytest.mark.parametrize("target", ["/etc/passwd", "a\nb", ".ai/tasks.org"])
def test_merge_kept_wording_names_merge_kept(project: Path, run: Runner, target: str) -> None:
    """Item 4: merge-kept's errors name merge-kept, and a .ai/ Org file that is not a
    session file is said to be one, not "no session context ... start"."""
    _start(project, run)
    (project / ".ai" / "tasks.org").touch()
    done = run("merge-kept", target, check=False)
    assert done.returncode != 0, done.stderr
    assert "recover" not in done.stderr and "run 'ai-protocols start'" not in done.stderr, \
        done.stderr
    if target != "a\nb":
        assert "cannot merge-kept" in done.stderr, done.stderr
    if target.endswith("tasks.org"):
        assert "not a session file" in done.stderr, done.stderr
