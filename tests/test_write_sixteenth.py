"""Issue 16, sixteenth round: a write into a session file held past the rollover bound
costs less (docs/performance.md, "A write into a held file, sixteenth round"): the most
that may move is read before the least (read only when the most reaches LEAST), the
held sections are read piece by piece (``OrgFile.windows``, ``OrgFile.holds``) and
sized without copying their text, and a section that opens with a person's line is
told held without the regular expression. Each shortcut is compared with what it
replaces, over arbitrary text, and a write into a held file is checked byte for byte."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_held_fifteenth import _held

from conftest import CLI, as_last_written, clean_env

#: Lines of a section: the tool's items, a person's text (non-ASCII too), the lines
#: that end what least_movable reads, or not, and line ends of both kinds.
LINE = st.one_of(
    st.sampled_from(["- [X] [2026-11-21 Sat 10:00] done", "- [ ] [2026-11-21 Sat 10:00] open",
                     "- [x] [2026-11-21 Sat 10:00] x", "-x", "- ", "", "  ", "\t", "  # c",
                     "\t[fn:1] x", "  : fixed", "  \\begin{x}", "  [ ] box", " \t  text",
                     "My pasted notes:", "élan [X]", "#+begin_example", "[X] at the start"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
            max_size=30))


def _section(lines: list[str], newline: str, before: str) -> tuple[str, int, int]:
    """A base holding ``before``, then the section's lines (each ended), as a window."""
    body = "".join(line + newline for line in lines)
    base = f"{before}\n{body}** Next\n"
    lo = len(before) + 1
    return base, lo, lo + len(body)


@settings(max_examples=800, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=30), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from(["x", "é [X] <<<"]))
def test_the_first_held_line_is_the_regular_expressions(lines, newline, before) -> None:  # type: ignore[no-untyped-def]
    """``_first_held`` finds the line the regular expression alone finds (its shortcut:
    a first line beginning with neither ``-`` nor white space)."""
    from ai_protocols.session.rollover_plan import _HELD_LINE, _first_held

    base, lo, hi = _section(lines, newline, before)
    end = hi - 1 if base[hi - 1] == "\n" else hi
    found = re.compile(_HELD_LINE.pattern).search(base, lo - 1, end)
    assert _first_held(base, lo, hi) == (hi if found is None else found.start() + 1)


@settings(max_examples=800, deadline=None)
@given(st.lists(LINE, max_size=300), st.sampled_from(["\n", "\r\n"]),
       st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_holds_and_the_sizes_are_the_plain_answers(lines, newline, cut, short) -> None:  # type: ignore[no-untyped-def]
    """``lean.holds`` (the search rollover's held write uses) says what ``in`` says, and
    ``_utf8_size`` (no copy of an ASCII text) what encoding says, for any window."""
    from ai_protocols.lean import holds
    from ai_protocols.session.rollover_plan import _utf8_size

    base = "".join(line + newline for line in lines)
    lo, hi = min(cut, len(base)), max(min(cut, len(base)), len(base) - short)
    window = base[lo:hi]
    for texts in (("[X]", "[x]"), ("<<<",)):
        assert any(holds(base, t, lo, hi) for t in texts) == any(t in window for t in texts)
    assert _utf8_size(base, lo, hi) == len(window.encode("utf-8"))


#: A person's text (non-ASCII: the sizes are encoded) opening a Progress section held
#: past the bound, then the tool's open items; 4.4 MiB.
PERSON = ["Mes notes collées, à garder :\n"] + \
    [f"  ligne {n} {'é' * 20} {'z' * 60}\n" for n in range(30_000)] + \
    [f"- [ ] [2026-10-01 Thu 08:{n % 60:02}] item {n} {'y' * 60}\n" for n in range(10_000)]


def _sizes(text: str, newline: str) -> str:
    """The warning's figure for Progress, read the plain way: the bytes of its body less
    the heading and drawer (no link, nothing movable: every item open)."""
    drawer_end = f":END:{newline}"
    body = text[text.index(drawer_end, text.index("** Progress")) + len(drawer_end):
                text.index("** Decisions")]
    size = len(body.encode("utf-8"))
    return f"Progress {size / 1048576:.1f} MiB"


def test_a_write_into_a_held_file_splices_its_entry_and_says_the_sizes(repo: Path) -> None:
    """Each write into a held file that opens with a person's (non-ASCII) text, LF and
    CRLF: the file after is the file before with the entry and the UPDATED values
    spliced in, every other byte as it was, and the warning names Progress with its
    size read the plain way."""
    env = clean_env(AI_AGENT_ID="held")
    path = _held(repo, PERSON)
    for newline in ("\n", "\r\n"):
        if newline != "\n":
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        for n in (len(newline) * 10, len(newline) * 10 + 1):
            before = path.read_bytes()
            done = subprocess.run([str(CLI), "log", "--progress", f"write {n}"], cwd=repo,
                                  env=env, capture_output=True, text=True, check=True)
            after = path.read_bytes()
            old, new = before.split(newline.encode()), after.split(newline.encode())
            added = [at for at, line in enumerate(new) if line.endswith(f"] write {n}".encode())]
            assert len(added) == 1 and new[added[0] + 1] == b"** Decisions"
            assert re.fullmatch(rb"- \[ \] \[\d{4}-\d\d-\d\d \w{3} \d\d:\d\d\] write \d+",
                                new[added[0]])
            del new[added[0]]
            assert len(new) == len(old)
            assert [(o, w) for o, w in zip(old, new, strict=True) if o != w and not
                    (o.startswith(b":UPDATED") and w.startswith(b":UPDATED"))] == []
            warning = f"no rollover moves what holds it there ({_sizes(after.decode(), newline)})"
            assert warning in done.stderr.replace("\r", ""), done.stderr


def test_a_held_file_is_told_held_without_regular_expressions(repo: Path) -> None:
    """A file held by a person's text on top, then by open items only: each write warns
    and never imports :mod:`re` (its import and the pattern's compilation are a third
    of a fresh log's time): the most that may move is under the least a rollover
    moves, so the least is not read (``least_movable``'s expression); and the text on
    top is held at its first line."""
    env = clean_env(AI_AGENT_ID="held")
    path = _held(repo, PERSON)
    python = Path(CLI).parent / "python3"
    text = path.read_text(encoding="utf-8")
    items = text.replace(PERSON[0], "- [ ] [2026-10-01 Thu 08:00] first\n", 1) \
        .replace("\n  ligne", "\n- ligne")
    for layout in (text, items):
        path.write_text(layout, encoding="utf-8")
        as_last_written(repo, path)  # (a layout in place of the tool's own, not a stale save)
        done = subprocess.run([str(python), "-X", "importtime", str(CLI), "log",
                               "--progress", "x"], cwd=repo, env=env, capture_output=True,
                              text=True, check=True)
        assert "no rollover moves what holds it there (Progress" in done.stderr
        assert not re.search(r"\|\s+re$", done.stderr, re.M), "re was imported"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(LINE, max_size=12), min_size=1, max_size=5),
       st.sampled_from(["\n", "\r\n"]),
       st.lists(st.tuples(st.integers(min_value=0, max_value=4), st.booleans(),
                          st.lists(LINE, min_size=1, max_size=3)), max_size=4))
def test_a_sections_windows_are_its_lines(bodies, newline, edits) -> None:  # type: ignore[no-untyped-def]
    """``OrgFile.windows`` and ``OrgFile.holds`` (a section's pieces, not joined; the
    text as read's answers remembered) give the section's lines and what they hold, as
    read and after lines are appended to or inserted into sections, asked before and
    after each edit."""
    from ai_protocols.org.file import OrgFile

    text = "#+TITLE: t" + newline + "* Session" + newline + "".join(
        f"** S{n}{newline}:PROPERTIES:{newline}:CUSTOM_ID: s{n}{newline}:END:{newline}" +
        "".join(line + newline for line in body) for n, body in enumerate(bodies))
    doc = OrgFile(text, source=text.encode("utf-8"))
    needles = ("[X]", "[x]", "<<<", "é")

    def check() -> None:
        for headline in doc.headlines[1:]:
            start, end = headline.body_start, headline.body_end
            lines = "".join(doc.lines[start:end])
            if start >= end:
                continue
            assert "".join(b[lo:hi] for b, lo, hi in doc.windows(start, end)) == lines
            for needle in needles:
                assert doc.holds(start, end, (needle,)) == (needle in lines)

    check()
    for section, at_end, lines in edits:
        headline = doc.headlines[1 + section % (len(doc.headlines) - 1)]
        clean = [line.replace("*", "x").replace("#+", "x").replace("\r", "") for line in lines]
        at = headline.body_end if at_end or headline.body_start >= headline.body_end else \
            headline.body_start
        doc.insert(at, clean)
        check()
