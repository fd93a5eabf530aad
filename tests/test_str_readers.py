"""The readers the hot commands use instead of regular expressions (issue 16: importing
``re`` costs half an interpreter's start) are held here to the regular expressions they
stand for: each expression below is the rule, as the code had it before, and each
property says that the ``str``-method reader answers as the expression does on any text,
with the characters that matter to it (spaces and tabs, ``*``, ``#+``, ``:``, ``[``,
digits of every script, the letters ``re``'s ``IGNORECASE`` takes for ASCII ones, CR,
zero-width spaces...) drawn far more often than chance would."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ai_protocols import identity
from ai_protocols.board import model as board_model
from ai_protocols.cli import options
from ai_protocols.cli.output import _has_time, indented
from ai_protocols.integrations import hooks
from ai_protocols.lean import fold
from ai_protocols.liveness import clock, evidence
from ai_protocols.org import file as org_file
from ai_protocols.org import syntax
from ai_protocols.session import layout, text

TRICKY = [*" \t\n\r*#+:[]<>{}@%-_.,()\"'|\\/=$0123456789aAxXsScCkKeEnNdD",
          "\u200b", "\u2060", "\u0130", "\u0131", "\u017f", "\u212a", "é", "ß", "٣", "²",
          "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028", "\ufeff", "\x7f", "\x00"]
TOKENS = ["CLOSED:", "DEADLINE:", "SCHEDULED:", "CLOCK:", "clock:", ":PROPERTIES:", ":END:",
          ":properties:", ":end:", "#+", "TODO:", "todo:", "SEQ_", "TYP_", "begin_", "BEGIN_",
          "end_", "example", "src", "\\begin{", "\\end{", "}", "[fn:", "[#A]", "[1/2]",
          "[50%]", "[/]", "2026-11-30", "2026", "-11", " Mon ", " Sat", "10:02", "9:05", "--",
          "[@3]", "[@start:2]", "[@b]", "[ ]", "[X]", "[x]", "[-]", "done: ", " item of ",
          ' item "', "pid ", "4370", " on ", ", started ", " boot ", " pidns ", "1a2b3c4d",
          "1a2b3c4d:123", "(1795999077.91", "http", "https:", "file:", "mailto:", "doi:",
          "src_", "call_", "State ", 'State "', ' "', "**", "%%(", "{{", "@@", "::", " :: ",
          "COMMENT", "rc_", "all_", "- ", "+ ", "1. ", "2) ", "  ", "|", "-----", "+--+",
          "\\\\", "--x", "-x",
          "2026-11-30T10:02:00+01:00", " vm ", "1700000000.5", "٣٠", "\u212a", "\u017f",
          "\u0131", "\u0130"]
#: What re's IGNORECASE takes for each ASCII letter beyond its other case.
_LOOKALIKES = {"s": "\u017f", "i": "\u0131", "I": "\u0130", "k": "\u212a"}


def _vary(token: str, choices: list[int]) -> str:
    """``token`` with the case of its letters changed, some to their look-alikes."""
    out = []
    for char, choice in zip(token, choices + [0] * len(token), strict=False):
        out.append([char, char.upper(), char.lower(),
                    _LOOKALIKES.get(char, _LOOKALIKES.get(char.lower(), char))][choice])
    return "".join(out)


VARIED = st.builds(_vary, st.sampled_from(TOKENS), st.lists(st.integers(0, 3), max_size=12))
TEXTS = st.lists(st.one_of(st.sampled_from(TRICKY), st.sampled_from(TOKENS), VARIED,
                           st.characters()), max_size=14).map("".join)
LINES = TEXTS.map(lambda t: t.replace("\n", ""))  # a line without its ending...
ENDED = st.one_of(LINES, LINES.map(lambda t: t + "\n"))  # ... or with one
PROPERTY = settings(max_examples=600, deadline=None)


def test_fold_is_ignorecase_for_ascii() -> None:
    """``fold`` equals an ASCII word exactly when re's IGNORECASE matches it: checked for
    every character there is."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    for code in range(0x110000):
        char = chr(code)
        folded = fold(char)
        if char.isascii():
            assert folded == char.lower()
        elif letter.fullmatch(char):
            assert len(folded) == 1 and re.fullmatch(folded, char, re.IGNORECASE), hex(code)
        else:  # nothing else folds to anything ASCII, in part or whole
            assert not any(c.isascii() for c in folded), hex(code)


@PROPERTY
@given(TEXTS)
@example("**\t*** ")
def test_headlines(text_: str) -> None:
    for at in range(len(text_) + 1):
        assert org_file.is_headline(text_, at) == bool(re.compile(r"\*+ ").match(text_, at))


@PROPERTY
@given(ENDED)
def test_planning_lines(line: str) -> None:
    assert syntax.is_planning(line) == bool(
        re.match(r"[ \t]*(?:CLOSED|DEADLINE|SCHEDULED):", line))


@PROPERTY
@given(ENDED, st.sampled_from(["properties", "end"]))
@example(":END\u0130", "end")
@example(":PROPERTIE\u017f:", "properties")
@example(" :End:\t\n", "end")
def test_drawer_lines(line: str, name: str) -> None:
    assert org_file.is_drawer_line(line, name) == bool(
        re.match(rf"[ \t]*:{name}:[ \t]*$", line, re.IGNORECASE))


@PROPERTY
@given(ENDED)
@example(":a:b: c")
@example(":KEY:\tvalue")
@example(" :KEY: ")
@example(":KEY:\n")
@example(":KEY:\t")
def test_property_lines(line: str) -> None:
    match = re.match(r"[ \t]*:(\S+?):(?: (.*?))?[ \t]*$", line)
    assert org_file.read_property(line) == (match.groups() if match else None)


@PROPERTY
@given(ENDED)
@example("Title :a:b:")
@example("Title\t:a::\t")
def test_tags(line: str) -> None:
    match = re.search(r"[ \t]+(:[\w@#%:]+:)[ \t]*$", line)
    assert org_file.find_tags(line) == ((match.start(), match.group(1)) if match else None)


def _split_headline_spec(rest: str, keywords: frozenset[str]) -> tuple[object, ...]:
    """org_file._split_headline, with regular expressions: tags are a tag group with
    white space before it in the line, also right after the keyword, the priority or
    COMMENT (``TODO :t:``: Org 9.7's reading; decisions.md, issue 15, thirteenth
    round)."""
    line = rest
    text_ = rest.lstrip(" \t")
    todo = None
    word = re.match(r"(\S+)(?: |$)", text_)
    if word and word.group(1) in keywords:
        todo = word.group(1)
        text_ = text_[word.end():].lstrip(" \t")
    priority = re.match(r"\[#.\][ \t]*", text_)
    if priority:
        text_ = text_[priority.end():]
    comment = re.match(r"COMMENT(?: |$)", text_)
    if comment:
        text_ = text_[comment.end():]
    before = line[:len(line) - len(text_)]
    tags: tuple[str, ...] = ()
    found = re.search(r"[ \t]+(:[\w@#%:]+:)[ \t]*$", before[-1:] + text_)
    if found:
        tags = tuple(t for t in found.group(1).split(":") if t)
        text_ = text_[: max(found.start() - len(before[-1:]), 0)]
    return todo, tags, text_.strip(" \t\n\r")


@PROPERTY
@given(st.lists(st.sampled_from(["TODO", "DONE", "[#A]", "[#", "COMMENT", " ", "\t", ":a:",
                                 "b:", "Title", "\n", "\r", "\xa0", "x"]), max_size=8).map("".join)
       | ENDED)
def test_headline_parts(rest: str) -> None:
    keywords = frozenset({"TODO", "DONE", "TODO\n"})
    assert org_file._split_headline(rest, keywords) == _split_headline_spec(rest, keywords)


@PROPERTY
@given(TEXTS)
@example("#+seq_todo: A B")
@example("#+\u017feq_todo: A")
def test_todo_lines(text_: str) -> None:
    spec = re.compile(r"#\+(?:SEQ_|TYP_)?TODO:(.*)", re.IGNORECASE)
    for at in range(len(text_) + 1):
        match = spec.match(text_, at)
        assert org_file.todo_line_value(text_, at) == (match.start(1) if match else -1)
    assert org_file._mentions_todo_line(text_) == bool(spec.search(text_))


@PROPERTY
@given(st.lists(st.sampled_from([*"()x|", "DONE", "\n"]), max_size=8).map("".join) | TEXTS)
def test_todo_keywords_without_keys(value: str) -> None:
    for word in value.split():  # (a #+TODO: line's words)
        assert org_file._keyword(word) == re.sub(r"\(.*\)$", "", word)


@PROPERTY
@given(TEXTS)
@example("Tasks [1/2] [50%] [#A] [#]] [/]")
def test_cookies(title: str) -> None:
    assert org_file.without_cookies(title) == re.sub(r"\[(?:#.|\d*/\d*|\d*%)\]", "", title)


@PROPERTY
@given(ENDED)
@example("[fn:1] text")
@example("[fn:a-b_٣]")
def test_footnotes(line: str) -> None:
    assert org_file.is_footnote(line) == bool(re.match(r"\[fn:[-_\w]+\]", line))


OWN_STAMPS = st.builds(
    lambda d, day, m: f"[{d:%Y-%m-%d} {day} {m}]",
    st.datetimes(min_value=datetime(1000, 1, 1)), st.sampled_from(["Sat", "sun", "XYZ", "é"]),
    st.sampled_from(["10:02", "٣٣:٣٣", "99:99", "1:02"]))


@PROPERTY
@given(st.lists(OWN_STAMPS | TEXTS, max_size=3).map("".join))
def test_own_timestamps(value: str) -> None:
    match = re.search(r"\[([0-9]{4})-([0-9]{2})-([0-9]{2}) [A-Za-z]{3} ([0-9]{2}):([0-9]{2})\]",
                      value)  # (Org's digits are 0-9: lean.digits)
    if match:
        try:
            want = datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type]
        except ValueError:
            want = None
        assert syntax.parse_timestamp(value) == want
    assert syntax.is_own_timestamp(value) == bool(
        re.fullmatch(r"\[[0-9]{4}-[0-9]{2}-[0-9]{2} [A-Za-z]{3} [0-9]{2}:[0-9]{2}\]", value))


@PROPERTY
@given(TEXTS)
def test_description_tags(value: str) -> None:
    assert syntax.has_description_tag(value) == bool(re.search(r"[ \t]::(?:[ \t]|$)", value))


def _escape_inline_spec(value: str) -> set[int]:
    """Where escape_inline put escapes, with its regular expressions."""
    live = re.compile("|".join(syntax._LIVE), re.IGNORECASE)
    link_type = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+_-]*(?=:[^ \t\n])")
    positions = {match.end() for match in live.finditer(value)}
    positions.update(match.end() for match in link_type.finditer(value)
                     if match.group(0).lower() not in syntax._SAFE_LINKS)
    positions.update(match.end() for match in re.finditer(syntax._LINK_BRACKET.pattern,
                                                          value, re.IGNORECASE))
    return positions


@PROPERTY
@given(TEXTS)
@example('state  "x" State"y"')
@example("\u017frc_x{1} DEADL\u0130NE: x STATE \"a\" CLOCK: see file.py:12 and abc+d-e:f")
def test_inline_escapes(value: str) -> None:
    joins = {index + 1 for index, char in enumerate(value) if char == "$"}
    assert syntax.escape_inline(value) == \
        syntax._insert_escapes(value, _escape_inline_spec(value), joins)
    link_type = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+_-]*(?=:[^ \t\n])")
    assert syntax.link_types(value) == [m.span() for m in link_type.finditer(value)]


@PROPERTY
@given(TEXTS)
def test_property_escapes_and_unescapes(value: str) -> None:
    positions = {m.end() for m in re.finditer(r"\[(?=[0-9])|<(?=[0-9%])", value)}
    if value[:1].isspace():
        positions.add(0)
    if value[-1:].isspace():
        positions.add(len(value))
    assert syntax.escape_property(value) == syntax._insert_escapes(value, positions)
    zwsp, wj = syntax.ZWSP, syntax.WJ
    assert syntax.unescape_inline(value) == re.sub(f"({zwsp}|{wj})(\\1)?",
                                                   lambda m: m.group(2) or "", value)


@PROPERTY
@given(ENDED)
@example("#+begin_example")
@example("#+end_example")
@example("#+CAPTION[short]: long")
@example(":drawer-name_٣:\t")
@example("  12) x")
def test_paragraph_separators(line: str) -> None:
    assert syntax.separates_paragraph(line) == bool(syntax._PARAGRAPH_SEPARATE.match(line))


@PROPERTY
@given(TEXTS)
def test_comma_escapes(value: str) -> None:
    escaped = "\n".join(syntax._comma_escaped(line) for line in value.split("\n"))
    assert escaped == re.sub(r"^([ \t]*)(,*(?:\*|#\+))", r"\1,\2", value, flags=re.MULTILINE)
    unescaped = "\n".join(syntax._comma_unescaped(line) for line in value.split("\n"))
    assert unescaped == re.sub(r"^([ \t]*),(,*(?:\*|#\+))", r"\1\2", value, flags=re.MULTILINE)


def _past_block_spec(lines: list[str], line: str) -> int | None:
    opened = re.match(r"[ \t]*#\+begin_(\S+)", line, re.IGNORECASE)
    if opened and opened.group(1).lower() in syntax._RAW_BLOCKS:
        closing = re.compile(rf"[ \t]*#\+end_{re.escape(opened.group(1))}[ \t]*$",
                             re.IGNORECASE)
    else:
        latex = re.match(r"[ \t]*\\begin\{([A-Za-z0-9*]+)\}", line)
        if not latex:
            return None
        closing = re.compile(rf"[ \t]*\\end\{{{re.escape(latex.group(1))}\}}[ \t]*$")
    for later in range(1, len(lines)):
        if closing.match(syntax.strip_ending(lines[later])):
            return later + 1
    return None


BLOCK_LINES = st.lists(st.sampled_from(
    ["#+begin_", "#+end_", "#+BEGIN_", "#+End_", "\\begin{", "\\end{", "}", "example", "SRC",
     "src", "EXAMPLE", "\u017frc", "ver\u017fe", "verse", "a*", " ", "\t", "x", "\n", "\u0130",
     "exampłe"]),
    max_size=5).map("".join)


@PROPERTY
@given(st.lists(BLOCK_LINES | ENDED, min_size=1, max_size=5))
@example(["#+begin_src", "x", "#+END_SRC \t"])
@example(["\\begin{a*}", "\\end{a*}"])
@example(["#+begin_exampłe", "#+end_EXAMPŁE"])
def test_raw_blocks(lines: list[str]) -> None:
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    first = syntax.strip_ending(lines[0])
    assert syntax._past_block(lines, 0, len(lines), first, "\n") == \
        _past_block_spec(lines, first)


ITEM_LINES = st.lists(st.sampled_from(
    ["- ", "+ ", "* ", "1. ", "12)", "-", "\t", " ", "[@3] ", "[@start:b]", "[@start:]", "[ ]",
     "[X] ", "[x]", "[-]\t", "[2026-11-30 Mon 10:02]", "[2026-11-30]", "<2026-11-30 x>",
     "[2026-11-30 Mon 10:02]--[2026-12-01 Tue 9:05]", "--<2026-11-30>", "--[2026-1",
     "[2026-11-30 Mon", " Sat", " 10:02", " 123:45", " 9:5", " +1w", "]", ">", "text", "\n",
     "\r", "٣", "é", "2026-11-30"]), max_size=7).map("".join)


def _item_spec(line: str) -> tuple[object, ...] | None:
    """syntax._item as it was, with regular expressions."""
    bullet = re.match(r"([ \t]*)(?:[-+*]|[0-9]+[.)])(?:[ \t]+|$)", line)
    if not bullet or line.startswith("*"):
        return None
    at = bullet.end()
    counter = re.compile(r"\[@(?:start:)?(?:[0-9]+|[A-Za-z])\][ \t]*").match(line, at)
    if counter:
        at = counter.end()
    done = box = None
    checkbox = re.compile(r"\[([ xX-])\](?:[ \t]+|$)").match(line, at)
    if checkbox:
        if checkbox.group(1) != "x":
            done, box = checkbox.group(1) == "X", at
        at = checkbox.end()
    date = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [^\]>\n]*)?[\]>]"
    stamp = re.compile(rf"\[{date}(?:--[<\[]{date})?").match(line, at)
    if box is None and stamp is None:
        return None
    rest = line[stamp.end():] if stamp else line[at:]
    return (len(bullet.group(1)), done, box, stamp.group(0) if stamp else None,
            rest.strip(" \t"))


def _stamp_time_spec(stamp: str) -> datetime | None:
    parts = re.search(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: +[^\]+0-9>\r\n -]+)?"
                      r"(?: +([0-9]{1,2}):([0-9]{2}))?", stamp)
    if parts is None:
        return None
    year, month, day, hour, minute = parts.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


@PROPERTY
@given(ITEM_LINES | ENDED)
@example("- [2026-11-30 Sat. 9:05]")
@example("- [X] [2026-11-30 Mon 10:02]--[2026-12-01 Tue 9:05] x")
@example("- [-] [2026-11-30 Mon 10:02] x")
@example("- [2026-11-30 Mon 10:02]--<2026-12-01 Tue> x")
@example("- [2026-02-30]")
def test_items(line: str) -> None:
    found = syntax._item(line)
    assert found == _item_spec(line)
    if found and found[3]:
        assert syntax._stamp_time(found[3]) == _stamp_time_spec(found[3])


@PROPERTY
@given(ITEM_LINES | ENDED)
@example("-\n")
@example("12)")
@example("[@start:b]\t")
@example("[X]\n")
@example("[2026-11-30 x\n]")
def test_item_parts(line: str) -> None:
    """Each part of an item alone (some differences would not show in a whole item)."""
    bullet = re.match(r"([ \t]*)(?:[-+*]|[0-9]+[.)])(?:[ \t]+|$)", line)
    assert syntax._bullet(line) == ((len(bullet.group(1)), bullet.end()) if bullet else None)
    for at in range(len(line) + 1):
        _item_parts_at(line, at)


def _item_parts_at(line: str, at: int) -> None:
    counter = re.compile(r"\[@(?:start:)?(?:[0-9]+|[A-Za-z])\][ \t]*").match(line, at)
    assert syntax._counter_end(line, at) == (counter.end() if counter else at)
    checkbox = re.compile(r"\[([ xX-])\](?:[ \t]+|$)").match(line, at)
    assert syntax._checkbox(line, at) == \
        ((checkbox.group(1), checkbox.end()) if checkbox else None)
    date = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [^\]>\n]*)?[\]>]"
    stamp = re.compile(rf"\[{date}(?:--[<\[]{date})?").match(line, at)
    assert syntax._stamp_end(line, at) == (stamp.end() if stamp else -1)


@PROPERTY
@given(BLOCK_LINES | ENDED)
@example("#+begin_\u017frc")
@example("\\begin{a*}x")
def test_block_beginnings(line: str) -> None:
    opened = re.match(r"[ \t]*#\+begin_(\S+)", line, re.IGNORECASE)
    assert syntax._block_name(line) == (opened.group(1) if opened else None)
    latex = re.match(r"[ \t]*\\begin\{([A-Za-z0-9*]+)\}", line)
    assert syntax._latex_name(line) == (latex.group(1) if latex else None)


@PROPERTY
@given(st.lists(st.sampled_from(["2026-11-30", "2026-1", " ", "  ", "Mon", "Sat.", "+1w",
                                 "9:05", "10:02", "123:45", "1:2", "٣", "]", ">", "\r", "-",
                                 "x", "10"]), max_size=6).map(lambda t: "[2026-11-30" + "".join(t)))
def test_stamp_times(stamp: str) -> None:
    assert syntax._stamp_time(stamp) == _stamp_time_spec(stamp)


@PROPERTY
@given(LINES)
@example(":LOGBOOK:")
@example(" :a-b_٣: ")
def test_section_drawers(line: str) -> None:
    assert layout._opens_drawer(line) == bool(re.fullmatch(r"[ \t]*:[-_\w]+:[ \t]*", line))
    assert (fold(line.strip(" \t")) == ":end:") == bool(
        re.fullmatch(r"[ \t]*:END:[ \t]*", line, re.IGNORECASE))


@PROPERTY
@given(TEXTS | st.sampled_from(["0", "123456789", "1234567890", "٣", "²", "+1", " 1"]))
def test_counts(value: str) -> None:
    assert layout._count(value) == (int(value) if re.fullmatch(r"[0-9]{1,9}", value) else 0)


@PROPERTY
@given(st.lists(st.sampled_from(["done: ", "Progress", " item of ", ' item "', "2026-11-22",
                                 " Sun 09:05", "]", ">", '"', "\n", "x", " ", "٣"]),
                max_size=6).map("".join) | TEXTS)
@example('done: a item of b item of 2026-11-22 Sun')
@example('done: a item "b" item "c"')
def test_done_lines(line: str) -> None:
    reference = re.fullmatch(r"done: (.+?) item of ([0-9]{4}-[0-9]{2}-[0-9]{2}[^\]>]*)", line)
    assert layout._done_reference(line) == (reference.groups() if reference else None)
    by_text = re.fullmatch(r'done: (.+?) item "(.*)"', line)
    assert layout._done_by_text(line) == (by_text.groups() if by_text else None)


@PROPERTY
@given(TEXTS)
@example("Fix :: the\x01 bug :: ::")
@example(":: x")
def test_previews(value: str) -> None:
    line = next((ln for ln in value.split("\n") if ln.strip()), "")
    line = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", line).split())
    line = re.sub(r"(?:^| )::(?= |$)", " :", line).strip()
    assert text.preview(value, 10_000) == line


@PROPERTY
@given(LINES.filter(lambda t: t.strip() and len(t) <= 200 and "\x00" not in t and
                    not any(c < " " or "\x7f" <= c <= "\x9f" or "\ud800" <= c <= "\udfff" or
                            c in "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                                 "\u2068\u2069" for c in t)))
def test_slugs(description: str) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", text._ascii(description).lower()).strip("-")
    if not slug:
        slug = "-".join(f"u{ord(c):04x}" for c in description if c.isalnum())
    if slug:
        assert text.slugify(description) == slug


@PROPERTY
@given(TEXTS)
@example("2026-11-30T10:02:00+01:00 vm 1a2b3c4d 1700000000.5")
@example("2026-11-30T10:02:00+01:00 vm 1a2b3c4d 17.")
def test_clock_records(value: str) -> None:
    match = re.fullmatch(r"(\S+)(?: (\S+) ([0-9a-f]{8}) ([0-9]+(?:\.[0-9]+)?))?", value)
    assert clock._record(value) == (match.groups() if match else None)
    assert clock.is_boot_id(value) == bool(re.fullmatch(r"[0-9a-f]{8}", value))
    assert evidence._is_since_boot(value) == bool(re.fullmatch(r"[0-9a-f]{8}:[0-9]+", value))


OWNERS = st.lists(st.sampled_from(
    ["pid ", "4370", "٣", " on ", "vm", "v,m", ",", ", started ", "2026-11-30 10:02 ", "(",
     ")", "1795999077.91", " boot ", "1a2b3c4d:12345", "1a2b3c4d", " pidns ", "4026531836",
     " ", "\t", "x"]), max_size=10).map("".join)


@PROPERTY
@given(OWNERS | TEXTS)
@example("pid 4370 on vm, started 2026-11-30 10:02 (1795999077.91 boot 1a2b3c4d:12345"
         " pidns 4026531836)")
@example("pid 4370 on v,m, started x (a) (b)")
@example("pid 4370 on vm, started x (a))")
def test_owners(value: str) -> None:
    match = re.fullmatch(
        r"pid (\d+) on (\S+?)(?:, started [^()]*\((\S+?)(?: boot ([0-9a-f]{8}:[0-9]+))?"
        r"(?: pidns ([0-9]+))?\))?", value)
    want = (int(match.group(1)), *match.groups()[1:]) if match else None
    assert evidence._read_owner(value) == want


@PROPERTY
@given(TEXTS | st.sampled_from(["--", "--\n", "--x", "-x", "-", "-5", "-----", "-é", "--é"]))
def test_option_like_values(value: str) -> None:
    assert options.looks_like_option(value) == bool(
        re.match(r"-(?:-(?:[A-Za-z]|$)|[A-Za-z])", value))
    assert options._is_whole(value) == bool(re.fullmatch(r"[0-9]{1,18}", value))


@PROPERTY
@given(TEXTS)
def test_stamps_with_a_time(stamp: str) -> None:
    assert _has_time(stamp) == bool(re.search(r"[0-9]:[0-9]", stamp))


@PROPERTY
@given(TEXTS)
def test_multi_valued_properties(value: str) -> None:
    # (the value as the board writes it, made inert: its escapes taken out first, as
    # join_paths put them over the whole value, fifteenth round)
    from ai_protocols.org.syntax import unescape_inline

    assert board_model.split_paths(value) == tuple(
        board_model.restore(v) for v in re.split(r"[ \f\t\n\r\v]+", unescape_inline(value))
        if v)


@PROPERTY
@given(TEXTS, st.sampled_from(["  ", "      ", "\t"]))
def test_shown_blocks_are_indented_as_textwrap_does(value: str, indent: str) -> None:
    assert indented(value, indent) == textwrap.indent(value, indent)


def test_the_tricky_characters_are_what_they_claim() -> None:
    """The strategies draw what the readers must tell apart."""
    assert unicodedata.category("\u200b") == "Cf" and "٣".isdecimal() and not "²".isdecimal()
    assert re.match("s", "\u017f", re.IGNORECASE) and re.match("k", "\u212a", re.IGNORECASE)


_UNIQUE_TAIL = re.compile(r"(?:[._-][0-9]{9,}(?:-[0-9]+|-[0-9a-f]{12})?"
                          r"|\.[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
#: The pieces of agent ids, epochs, counters, random and UUID tails, and what is near them.
_ID_PIECES = st.one_of(
    st.sampled_from([*"._-0123456789abcdefABCDEFgxz\n", "٣", "²", "\u0660", "vm.proj.claude"]),
    st.integers(0, 10**13).map(str), st.uuids().map(str),
    st.binary(min_size=6, max_size=6).map(bytes.hex), st.characters())


@PROPERTY
@given(st.lists(_ID_PIECES, max_size=8).map("".join))
@example("x.1718400000-3f2a9c1b7d4e")
@example("x.1718400000-3f2a9c1b7d4e\n")
@example("x.1718400000\n\n")
@example("x-1718400000-")
@example("x.7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f")
@example(".7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f")
@example("7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f")
@example("x.7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5-")
@example("x.٣٣٣٣٣٣٣٣٣")
@example("-123456789-12")
def test_unique_tails(agent_id: str) -> None:
    """``identity.has_unique_tail``, asked by every ``start`` of an agent."""
    assert identity.has_unique_tail(agent_id) == bool(_UNIQUE_TAIL.search(agent_id))


@PROPERTY
@given(TEXTS | st.lists(st.sampled_from([*"az'\u2019 .,!?\t\n", "AZ", "é", "\u0131", "\u212a", "İ",
                                         "where were we", "let's", "ok,"]),
                        max_size=12).map("".join))
@example("ok, please continue")
@example("İ'm back")
def test_prompt_words(prompt: str) -> None:
    """The words the UserPromptSubmit hook reads a prompt as (``asks_to_continue``)."""
    for text_ in (prompt, prompt.lower()):
        assert hooks._words(text_) == re.findall(r"[a-z']+", text_)
