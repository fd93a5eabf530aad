"""The readers that big files and many archives take, held to the general ones.

``list`` reads the head of each of 100,000 archives, ``log`` appends to a 50 MB
session file and ``show --json`` prints a 10 MB one (issue 16's budgets,
``docs/performance.md``). Each quick reader here stands beside the general
reader it saves time on, and these properties hold the two equal on varied text,
the person-edited files of ``tests/corpus`` among it. No timing is asserted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.org.file import OrgFile, first_headline_properties
from ai_protocols.org.syntax import Entry

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


ENTRY_LINES = st.sampled_from([
    "- [X] [2026-11-21 Sat 10:00] did it", "- [ ] [2026-11-21 Sat 10:01] to do",
    "- [-] [2026-11-21 Sat 10:02] doing", "- [x] [2026-11-21 Sat 10:03] lower x",
    "- [2026-11-21 Sat 10:04] decided", "- [2026-11-21 Sat 10:05]\ttab", "- [2026-11-21] day",
    "- [2026-11-21 Sat 10:06]", "- [X] [2026-11-21 Sat 10:07]   ", "- [2026-02-30 Mon 10:00] bad",
    "- [2026-11-21 Sat 10:08]--[2026-11-21 Sat 11:00] range", "- [2026-11-21 Sat 10:09>] odd",
    "- [2026-11-21 Sat 10:10] zero\u200bwidth", "- [2026-11-21 Sat 10:11] a\u200b\u200bb",
    "- [2026-11-21 Sat 10:12] a\rb", "- [ ] plain box", "- no stamp", "+ [X] [2026-11-21] plus",
    "1. [2026-11-21 Sat 10:13] numbered", "- [@3] [X] [2026-11-21] counter",
    "  - [X] [2026-11-21 Sat 10:14] nested", "  - Rationale: because", "  - Rationale:",
    "  more text", "    deeper", "", " ", "text", "#+begin_example", "#+end_example",
    "  #+begin_example", "  line in block", "  #+end_example", "\\begin{equation}",
    "\\end{equation}", "#+BEGIN_SRC sh", "#+END_SRC", "- [X] [2026-11-21 Sat 10:15] café ☕",
    "- [X] [2026-11-21 Sat 10:16] \"quoted\" \\ back", "[fn:1] note", "| a | b |",
    "- [X] [2026-11-21 Sat 10:17] x :: y", "-", "- [", "- []", "- [X] [", "\f",
])


@settings(max_examples=1000)
@given(st.lists(ENTRY_LINES, max_size=25), st.sampled_from(["\n", "\n", "\r\n"]),
       st.booleans(), st.integers(min_value=0, max_value=50))
def test_the_quick_entry_reader_reads_as_parse_entries(
        lines: list[str], newline: str, unterminated: bool, first: int) -> None:
    from ai_protocols.org.syntax import parse_entries
    from ai_protocols.session.layout import read_entries

    ended = [line + newline for line in lines]
    if unterminated and ended:
        ended[-1] = lines[-1]
    expected = parse_entries(ended, 0, len(ended), newline)
    for entry in expected:
        entry.line += first
    assert read_entries(ended, newline, first) == expected


def test_the_quick_entry_reader_agrees_on_the_corpus() -> None:
    from ai_protocols.org.syntax import parse_entries
    from ai_protocols.session.layout import read_entries

    for path in sorted(CORPUS.rglob("*.org")):
        doc = OrgFile(path.read_text(encoding="utf-8", errors="replace"))
        lines = list(doc.lines)
        for start in [0, *(h.body_start for h in doc.headlines)]:
            end = next((h.line for h in doc.headlines if h.line >= start), len(lines))
            expected = parse_entries(lines, start, end, doc.newline)
            assert read_entries(lines[start:end], doc.newline, start) == expected, path


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                    st.sampled_from(["},\n      {", '"}', "{", "\n", "\u2028", "é", "\\"]),
                    st.floats(allow_nan=False))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=12)
FLAT_OBJECTS = st.dictionaries(st.sampled_from(["time", "text", "done", "kind", "é"]), SCALARS,
                               min_size=1, max_size=4)
LISTS = st.one_of(st.lists(FLAT_OBJECTS, max_size=6), st.lists(JSON_VALUES, max_size=4),
                  st.lists(st.one_of(FLAT_OBJECTS, JSON_VALUES), max_size=6))


@settings(max_examples=500)
@given(st.dictionaries(st.text(max_size=6), st.one_of(JSON_VALUES, LISTS.map(lambda x: ("map", x))),
                       max_size=6),
       st.integers(min_value=1, max_value=4))
def test_show_json_in_pieces_is_json_dumps(data: dict, batch: int) -> None:
    import json

    import ai_protocols.cli.output as output

    # ("map", list): a value given as a map, as Session.json_items gives its entries
    items = {k: map(lambda x: x, v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    plain = {k: list(v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    saved, output._BATCH = output._BATCH, batch  # small batches: every seam is crossed
    try:
        text = "".join(output.json_pieces(items))
    finally:
        output._BATCH = saved
    assert text == json.dumps(plain, indent=2, ensure_ascii=False) + "\n"


ENTRY_TEXTS = st.one_of(st.text(max_size=40), st.sampled_from(
    ["progress: step 1", "a: b: c", ": x", "done", '"}', "\\", "\u2028", "\x00", "é ☕"]))
ENTRIES = st.builds(
    Entry, st.one_of(st.none(), st.datetimes(), st.datetimes(timezones=st.timezones())),
    ENTRY_TEXTS, st.one_of(st.none(), st.booleans()), st.one_of(st.none(), ENTRY_TEXTS))


@settings(max_examples=500)
@given(st.lists(ENTRIES, max_size=7), st.integers(min_value=1, max_value=4))
def test_entries_as_object_texts_are_json_dumps(entries: list, batch: int) -> None:
    """``show --json`` writes the sections' and the Log's objects from text
    (``Session.json_items(as_text=True)``): byte for byte what ``json.dumps`` of the
    objects ``to_json`` gives, in every batch."""
    import json

    import ai_protocols.cli.output as output
    from ai_protocols.session import model

    items = {"progress": model.ObjectTexts(model.entry_json_text, entries),
             "log": model.ObjectTexts(model.log_json_text, entries), "after": 1}
    plain = {"progress": [e.to_json() for e in entries],
             "log": [model._log_json(e) for e in entries], "after": 1}
    saved, output._BATCH = output._BATCH, batch
    try:
        text = "".join(output.json_pieces(items))
    finally:
        output._BATCH = saved
    assert text == json.dumps(plain, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=1000)
@given(st.one_of(st.text(max_size=120), st.text(alphabet="ab :\t\x01\u00a0\u2028.", max_size=110),
                 st.from_regex(r"[a-z]{1,10}( [a-z:]{1,10}){0,12}", fullmatch=True)))
def test_the_quick_preview_is_preview(text: str) -> None:
    from ai_protocols.session.layout import quick_preview
    from ai_protocols.session.text import preview

    assert quick_preview(text) == preview(text)


@given(st.datetimes(timezones=st.one_of(st.none(), st.timezones())))
def test_the_remembered_iso_text_of_a_moment_is_its_own(moment) -> None:  # type: ignore[no-untyped-def]
    from ai_protocols.org.syntax import iso_minutes

    for _ in range(2):  # (the second from memory)
        assert iso_minutes(moment) == moment.isoformat(timespec="minutes")


def test_equal_instants_in_two_zones_keep_their_own_iso_text() -> None:
    from datetime import datetime, timedelta, timezone

    from ai_protocols.org.syntax import iso_minutes

    utc = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    paris = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == paris
    assert (iso_minutes(utc), iso_minutes(paris)) == ("2026-11-21T10:00+00:00",
                                                      "2026-11-21T11:00+01:00")


@given(st.lists(st.sampled_from("abcd"), max_size=12),
       st.lists(st.sampled_from("abcde"), max_size=14))
def test_taking_repeats_out_is_what_the_list_did(added: list[str], taken: list[str]) -> None:
    from ai_protocols.session.layout import Repeats

    repeats, model = Repeats(), []
    for text in added:
        repeats.add(text)
        model.append(text)
    for text in taken:
        assert repeats.left == len(model)
        if not model:
            break
        repeats.take(text)
        model.remove(text if text in model else model[0])
        remaining = [t for t, gone in zip(repeats.texts, repeats.taken, strict=True) if not gone]
        assert remaining == model


def test_show_json_of_a_long_person_edited_session_is_what_the_general_readers_give(
        project: Path, run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """End to end, through the console script: thousands of the tool's own entries, an
    older file's Log that repeats them, and a person's items among them (more lines, an
    example block, a rationale, a CRLF-free form the quick readers pass to the general
    ones); ``show --json`` prints what ``json.dumps`` of the session read by the general
    readers gives."""
    import json

    from ai_protocols.org.syntax import parse_entries
    from ai_protocols.session import layout
    from ai_protocols.session.text import preview

    run("start", "--title", "Long")
    path = project / ".ai" / "session-context.org"
    text = path.read_text()
    progress = "".join(
        f"- [{'X' if n % 3 else ' '}] [2026-11-21 Sat 10:{n % 60:02d}] step {n}: did it\n"
        + ("  and went on over a second line\n" if n == 700 else "")
        + ("#+begin_example\n- [X] [2026-11-21 Sat 10:00] not an item\n#+end_example\n"
           if n == 2500 else "")
        for n in range(3000))
    log = "".join(f"- [2026-11-21 Sat 10:{n % 60:02d}] progress: step {n}: did it\n"
                  for n in range(0, 3000, 2))
    decisions = ("- [2026-11-21 Sat 11:00] Use X\n  - Rationale: Y is slow\n"
                 "- [2026-11-21 Sat 11:01] ::  spaced  out\n")
    marker = ":CUSTOM_ID: progress\n:END:\n"
    text = text.replace(marker, marker + progress, 1)
    marker = ":CUSTOM_ID: decisions\n:END:\n"
    path.write_text(text.replace(marker, marker + decisions, 1) + log)
    shown = run("show", "--json").stdout

    def general(lines: Iterable[str], newline: str = "\n", first: int = 0) -> list:  # type: ignore[type-arg]
        lines = list(lines)
        entries = parse_entries(lines, 0, len(lines), newline)
        for entry in entries:
            entry.line += first
        return entries

    monkeypatch.setattr(layout, "read_entries", general)
    monkeypatch.setattr(layout, "quick_preview", preview)
    session = layout.read_session(path, path.read_text())
    assert len(session.progress) == 3000
    assert shown == json.dumps(session.to_json(), indent=2, ensure_ascii=False) + "\n"


def test_an_entry_is_a_value_with_slots() -> None:
    """``Entry`` is a ``record(slots=True)`` (a third less memory for each of a big
    file's entries): still a value that compares, shows and copies as before."""
    from ai_protocols.lean import fields, replace
    from ai_protocols.org.syntax import Entry

    entry = Entry(None, "x", done=True, line=3)
    assert not hasattr(entry, "__dict__")
    assert entry == Entry(None, "x", True, None, 3) != Entry(None, "y", True, None, 3)
    assert repr(entry) == ("Entry(time=None, text='x', done=True, rationale=None, line=3, "
                           "box=None, stamp=None)")
    assert replace(entry, text="y") == Entry(None, "y", True, None, 3)
    assert fields(entry) == ("time", "text", "done", "rationale", "line", "box", "stamp")
    entry.line += 1  # (read_entries numbers them so)
    assert entry.line == 4
