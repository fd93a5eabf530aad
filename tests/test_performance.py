"""The shortcuts that make the commands fast give what the long way gives (issue 16).

``status`` parses only a session file's head (the session headline and its
summary), never its entries; :mod:`ai_protocols.lean`'s value classes and lazy
regular expressions stand in for ``dataclasses`` and ``re.compile`` at import.
Timing is ``scripts/bench``'s job; the modules each hot command may not import
are checked in tests/test_imports.py.
"""

from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import UnreadableSession
from ai_protocols.lean import FrozenInstanceError, factory, fields, pattern, record, replace
from ai_protocols.session.layout import new_session_text, read_session, read_session_head

PATH = Path("/p/.ai/session-context.org")
FRESH = new_session_text(agent_id="h.p.claude.1", host="h", title="T",
                         now=datetime(2026, 11, 30, 6, 0))

#: What a person may add, anywhere: headings (one titled Summary, one with the
#: summary's CUSTOM_ID, another session's headline), drawers, text, a summary.
PIECES = [
    "* Notes\n", "** Summary\nmine\n", "** Mine\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nx\n",
    "* Session: old\n:PROPERTIES:\n:STARTED: [2026-11-01 Sun 10:00]\n:END:\n",
    "Some text.\n", ":LOGBOOK:\n- note\n:END:\n", "- [ ] [2026-11-30 Mon 06:01] item\n",
    "*** deeper\n", "*bold* start\n", "#+begin_example\n* not a heading?\n#+end_example\n",
    "The summary: carry on.\n", "\n",
]


@st.composite
def edited(draw: st.DrawFn) -> str:
    """A fresh session file with a person's pieces put in at line starts."""
    lines = FRESH.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = [draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=20)
                                       .map(lambda t: t.replace("\r", "") + "\n")))]
    return "".join(lines)


def _without_entries(text: str) -> object:
    try:
        session = read_session(PATH, text)
    except UnreadableSession as error:
        return type(error)
    session.entries, session.log = {}, []
    return session


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=edited())
def test_the_head_reader_reads_what_the_whole_reader_reads(text: str) -> None:
    """``status`` reads only the head: the same session as the whole file gives, less its
    entries, whatever a person added where."""
    try:
        head: object = read_session_head(PATH, text)
    except UnreadableSession as error:
        head = type(error)
    assert head == _without_entries(text)


def test_the_head_reader_sees_a_summary_further_down() -> None:
    """A summary a person moved below other sections is still found (the whole file is
    read then), and one written by the tool is read from the head."""
    moved = FRESH.replace("** Summary\n", "** Elsewhere\n", 1).replace(
        ":CUSTOM_ID: summary\n", ":CUSTOM_ID: elsewhere\n", 1) + \
        "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nCarry on.\n"
    assert read_session_head(PATH, moved).summary == "Carry on." == \
        read_session(PATH, moved).summary
    written = FRESH.replace(":CUSTOM_ID: summary\n:END:\n", ":CUSTOM_ID: summary\n:END:\nGo.\n")
    assert read_session_head(PATH, written).summary == "Go."
    # A heading with the summary's CUSTOM_ID before the session headline is not its summary.
    at = written.index("* Session")
    before = written[:at] + "* Mine\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nx\n" + written[at:]
    assert read_session_head(PATH, before).summary == "Go." == read_session(PATH, before).summary


# -- the value classes and lazy patterns of ai_protocols.lean ----------------------------------


@record(frozen=True)
class Point:
    x: int
    y: int = 0


@record
class Bag:
    name: str
    items: list[int] = factory(list)


def test_a_record_is_a_value() -> None:
    assert Point(1) == Point(1, 0) == Point(x=1, y=0) != Point(2)
    assert repr(Point(1, 2)) == "Point(x=1, y=2)" and fields(Point) == ("x", "y")
    assert hash(Point(1)) == hash(Point(1)) and {Point(1), Point(1)} == {Point(1)}
    with pytest.raises(FrozenInstanceError):
        Point(1).x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    assert replace(Point(1, 2), y=3) == Point(1, 3)
    assert pickle.loads(pickle.dumps(Point(4, 5))) == Point(4, 5)
    first, second = Bag("a"), Bag("b")
    first.items.append(1)
    assert second.items == [] and first != second and Bag("a", [1]) == first
    with pytest.raises(TypeError):
        hash(first)  # mutable, compared by value: no hash, as with @dataclass


def test_a_records_init_is_made_when_its_first_value_is() -> None:
    """``record`` compiles a class's ``__init__`` only when a value of it is first made
    (a command makes values of few of the classes it imports), for it or a subclass,
    however that first call goes."""

    @record(frozen=True, slots=True)
    class Late:
        a: int
        b: list[int] = factory(list)

    class Later(Late):
        pass

    stub = Late.__dict__["__init__"]
    with pytest.raises(TypeError):
        Later()  # type: ignore[call-arg]
    assert Late.__dict__["__init__"] is not stub  # made, and in its place
    assert Later(1) == Later(1, []) and Late(a=2).b == [] and Late(1).b is not Late(1).b
    assert repr(Late(3)).endswith("Late(a=3, b=[])")


@given(st.text(max_size=30))
def test_a_lazy_pattern_matches_as_the_compiled_one(text: str) -> None:
    import re

    lazy = pattern(r"([a-z]+)\s*(\d*)", 2)
    compiled = re.compile(r"([a-z]+)\s*(\d*)", re.IGNORECASE)
    found, expected = lazy.search(text), compiled.search(text)
    assert (found and found.groups()) == (expected and expected.groups())
    assert lazy.sub("-", text) == compiled.sub("-", text) and lazy.pattern == compiled.pattern
