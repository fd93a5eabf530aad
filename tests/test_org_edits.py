"""``OrgFile`` edits in place: the same text as a plain list of lines would give,
and the same headlines as parsing the result afresh.

``OrgFile`` keeps each headline's text in pieces and shifts line numbers
after an edit instead of parsing the file again (see ``docs/performance.md``).
These properties hold that bookkeeping to the simplest model there is: a list
of lines edited with list operations, and a fresh parse after every edit.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import strip_ending

LINES = st.sampled_from([
    "* Top", "** Child :tag:", "*** TODO Deep", "* DONE [#A] Done", "*bold* text", "*",
    ":PROPERTIES:", ":ID: 1", ":CUSTOM_ID: log", ":END:", "SCHEDULED: <2026-11-21 Sat>",
    "", " ", "text", "- [ ] [2026-11-21 Sat 10:00] item", "[fn:1] a footnote",
    "#+TODO: NEXT | DONE", "  #+begin_example", "café ☕", "\f", "a\rb",
])
NEW_LINES = st.lists(st.sampled_from(["new", "", "* Made", "** Made too", ":X: y", "é"]),
                     max_size=3)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(LINES, max_size=30))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(line + newline for line in lines)
    if draw(st.booleans()) and text:  # no final newline
        text = text[: -len(newline)]
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


class ListModel:
    """What each edit means, on a plain list of lines."""

    def __init__(self, doc: OrgFile) -> None:
        self.lines = list(doc.lines)
        self.newline = doc.newline

    def insert(self, index: int, new: list[str]) -> None:
        if index >= len(self.lines) and self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += self.newline
        self.lines[index:index] = [line + self.newline for line in new]

    def replace(self, start: int, end: int, new: list[str]) -> None:
        unterminated = end == len(self.lines) and not self.lines[-1].endswith("\n")
        block = [line + self.newline for line in new]
        if unterminated and block:
            block[-1] = block[-1][: -len(self.newline)]
        self.lines[start:end] = block
        self._no_empty_last_line()

    def set_line(self, index: int, content: str) -> None:
        old = self.lines[index]
        ending = old[len(strip_ending(old, self.newline)):]
        prefix = "\ufeff" if index == 0 and old.startswith("\ufeff") else ""
        self.lines[index] = prefix + content + ending
        self._no_empty_last_line()

    def _no_empty_last_line(self) -> None:
        """An empty last line without an ending is no line of the text at all."""
        if self.lines and self.lines[-1] == "":
            self.lines.pop()


def assert_consistent(doc: OrgFile, model: ListModel | None = None) -> None:
    text = doc.text
    if model is not None:
        assert text == "".join(model.lines)
        assert list(doc.lines) == model.lines
    assert len(doc.lines) == text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    assert doc.headlines == OrgFile(text).headlines
    assert b"".join(doc.encoded()) == text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(documents(), st.data())
def test_line_edits_match_a_list_of_lines(text: str, data: st.DataObject) -> None:
    doc = OrgFile(text, source=text.encode("utf-8"))
    model = ListModel(doc)
    assert_consistent(doc, model)
    for _ in range(data.draw(st.integers(1, 6))):
        size = len(model.lines)
        edit = data.draw(st.sampled_from(["insert", "replace", "set_line"]))
        if edit == "insert":
            index, new = data.draw(st.integers(0, size)), data.draw(NEW_LINES)
            doc.insert(index, new)
            model.insert(index, new)
        elif edit == "replace" and size:
            start = data.draw(st.integers(0, size - 1))
            end, new = data.draw(st.integers(start, size)), data.draw(NEW_LINES)
            doc.replace(start, end, new)
            model.replace(start, end, new)
        elif edit == "set_line" and size:
            index = data.draw(st.integers(0, size - 1))
            content = data.draw(st.sampled_from(["x", "", "* Now a headline", ":END:"]))
            doc.set_line(index, content)
            model.set_line(index, content)
        assert_consistent(doc, model)


@settings(max_examples=300, deadline=None)
@given(documents(), st.data())
def test_drawer_and_append_edits_match_a_fresh_parse(text: str, data: st.DataObject) -> None:
    """The edits ``log`` makes, each on the incrementally kept file and on one parsed
    afresh from the same text: they must agree on the lines they pick and the result."""
    doc = OrgFile(text, source=text.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 6))):
        if not doc.headlines:
            doc.insert(doc.line_count, ["* Added"])
            continue
        fresh = OrgFile(doc.text)
        number = data.draw(st.integers(0, len(doc.headlines) - 1))
        mine, theirs = doc.headlines[number], fresh.headlines[number]
        assert mine == theirs
        edit = data.draw(st.sampled_from(["set", "remove", "append"]))
        key = data.draw(st.sampled_from(["ID", "UPDATED", "NEW"]))
        if edit == "set":
            doc.set_property(mine, key, "v")
            fresh.set_property(theirs, key, "v")
        elif edit == "remove":
            doc.remove_property(mine, key)
            fresh.remove_property(theirs, key)
        else:
            assert doc.content_end(mine) == fresh.content_end(theirs)
            lines = data.draw(st.lists(st.sampled_from(["- entry", "  more"]), min_size=1,
                                       max_size=2))
            doc.insert(doc.content_end(mine), lines)
            fresh.insert(fresh.content_end(theirs), lines)
        assert doc.text == fresh.text
        assert_consistent(doc)


def test_appending_to_a_big_section_copies_nothing_it_read() -> None:
    """The 10 MB case: an append leaves the text read in place, and writing it back
    takes those bytes as they were read (the same buffer, not a copy)."""
    body = "".join(f"- [2026-11-21 Sat 10:00] note {n}\n" for n in range(50_000))
    text = f"* Session\n:PROPERTIES:\n:STATUS: active\n:END:\n** Log\n{body}* Notes\nend\n"
    source = text.encode("utf-8")
    doc = OrgFile(text, source=source)
    log = doc.headlines[1]
    doc.insert(doc.content_end(log), ["- [2026-11-21 Sat 10:01] new"])
    doc.set_property(doc.headlines[0], "UPDATED", "now")
    pieces = doc.encoded()
    assert b"".join(pieces) == doc.text.encode("utf-8")
    big = max(pieces, key=len)
    assert isinstance(big, memoryview) and big.obj is source
    assert len(big) > len(source) - 200
