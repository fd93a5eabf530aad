"""The readers that big files and many archives take, held to the general ones.

``list`` reads the head of each of 100,000 archives, ``log`` appends to a 50 MB
session file and ``show --json`` prints a 10 MB one (issue 16's budgets,
``docs/performance.md``). Each quick reader here stands beside the general
reader it saves time on, and these properties hold the two equal on varied text,
the person-edited files of ``tests/corpus`` among it. No timing is asserted.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.org.file import OrgFile, first_headline_properties

CORPUS = Path(__file__).parent / "corpus"

PREAMBLE = st.sampled_from(["#+TITLE: x", "", "text", "*bold*"])
HEADLINES = st.sampled_from(["* Session", "** Summary", "* TODO Other :tag:", "*bold*"])
OPENERS = st.sampled_from([":PROPERTIES:", ":PROPERTIES:", ":properties:", " :PROPERTIES:",
                           "SCHEDULED: <2026-11-21 Sat>", ""])
PROPERTY_LINES = st.sampled_from([
    ":AGENT_ID: host.proj.claude.1", ":STATUS:   active", ":STARTED:  [2026-11-21 Sat 10:00]",
    ":CUSTOM_ID: summary", ":KEY:", ":KEY:\tvalue", ":KEY:  two  spaces  ", ":a:b: c",
    ":A-B: hyphen", ":Ké: non-ASCII", ":X: :Y: z", "::x: y", ":: y", ":X:value", ":DUP: 1",
    ":dup: 2", ":end:", ":END: x", " :END:", ":PROPERTIES:", " :X: indented", "text", "",
    "* Next", "a\rb", ":_1: u", ":1a: d",
])
ENDS = st.sampled_from([":END:", ":END:", ":end:", ":END:  ", "", "* Next"])


@st.composite
def heads(draw: st.DrawFn) -> str:
    """A file's head: lines, a headline, maybe a planning line, a drawer of sorts."""
    lines = [*draw(st.lists(PREAMBLE, max_size=3)), draw(HEADLINES), draw(OPENERS),
             *draw(st.lists(PROPERTY_LINES, max_size=6)), draw(ENDS),
             *draw(st.lists(st.one_of(HEADLINES, PROPERTY_LINES), max_size=3))]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = "".join(line + newline for line in lines)
    if draw(st.booleans()):
        text = text[: -len(newline)]
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


def _general_first_properties(text: str) -> dict[str, str] | None:
    headlines = OrgFile(text).headlines
    return headlines[0].properties if headlines else None


@settings(max_examples=800)
@given(heads())
def test_the_head_reader_of_list_reads_the_first_drawer_as_orgfile_does(text: str) -> None:
    assert first_headline_properties(text) == _general_first_properties(text)


def test_the_head_reader_agrees_on_the_corpus() -> None:
    files = sorted(CORPUS.rglob("*.org"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert first_headline_properties(text) == _general_first_properties(text), path


MARKER_PIECES = st.sampled_from([
    "<<<<<<< HEAD", ">>>>>>> theirs", "=======", "|||||||", "<<<<<<<", ">>>>>>>\r",
    "<<<<<<<x", " <<<<<<< HEAD", "a <<<<<<< b", "<", ">", "<<", "a < b", "x > y", "<<<<<<<\t",
    "text", "", "- [ ] [2026-11-21 Sat 10:00] item", "<<<<<<<<", ">>>>>>> ",
])


def _general_marker_lines(text: str) -> list[int]:
    """The regular expressions of ``session/text.py`` applied as they were before issue
    16: every marker line when some line opens a conflict."""
    import re

    opener = re.compile(r"^(?:<{7}|>{7})(?:[ \t][^\n]*)?\r?$", re.MULTILINE)
    marker = re.compile(r"^(?:(?:<{7}|\|{7}|>{7})(?:[ \t][^\n]*)?|={7}[ \t]*)\r?$",
                        re.MULTILINE)
    if opener.search(text) is None:
        return []
    return [text.count("\n", 0, m.start()) + 1 for m in marker.finditer(text)]


@settings(max_examples=500)
@given(st.lists(MARKER_PIECES, max_size=12), st.sampled_from(["\n", "\r\n"]),
       st.integers(min_value=0, max_value=200))
def test_the_conflict_marker_scan_finds_what_the_regular_expressions_find(
        pieces: list[str], newline: str, crowd: int) -> None:
    from ai_protocols.session.text import conflict_marker_lines

    # ``crowd`` lines of "<" and ">" first: past 64 of them the scan looks only at the
    # starts of lines
    text = "a < b > c\n" * crowd + newline.join(pieces)
    assert conflict_marker_lines(text) == _general_marker_lines(text)
