"""Issue 16, eighteenth round: the brief read (``resume``, ``start``, the SessionStart and
PreCompact hooks) tells the search for earlier-entries links which lines it passed over
(the older decisions and discoveries of the tool's own form, the runs of closed Progress
and Next steps items): none is a link line, so ``OrgFile.lines_holding`` searches only
the rest of their chunk (``passing``). The notes are split on ``"\\n- ["`` and their
timestamps checked by one ``bytes.translate``. What the brief read finds is what the
whole read finds (docs/performance.md)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_notes_seventeenth import HEAD, LINE, _ordered, _stamp

#: An earlier-entries file's path as a rollover names it, in the history folder of a
#: live file ``session.org`` (``layout.own_earlier_folder``), by its number.
_EARLIER = "history/session/2026-11-{:02d}T00-00--2026-11-{:02d}T09-00-0123abc{}.org"


def _link(n: int, indent: str = "") -> str:
    from ai_protocols.session.layout import earlier_link_line

    return indent + earlier_link_line(_EARLIER.format(n % 28 + 1, n % 28 + 1, n % 10),
                                      None, None, 10 + n)


def _logged_link(n: int) -> str:
    """A link line that is a Log ``done:`` line too, as the brief read of the Log passes
    it over (``- [`` and a ``]`` followed by `` done: ``)."""
    return f"- [[file:{_EARLIER.format(n % 28 + 1, n % 28 + 1, n % 10)}][earlier]] done: x"


#: What a person, Emacs or the tool may leave among the items a brief read passes over:
#: a link line (indented or not), an item whose text holds the link search's needle,
#: a Log line that is a link line too.
NEAR = st.one_of(
    LINE,
    st.builds(_link, st.integers(0, 40), st.sampled_from(["", "  ", "\t"])),
    st.builds(lambda m: f"- {_stamp(m)} see - [[file:x.org][x]] here", st.integers(0, 4000)),
    st.builds(lambda m: f"- [X] {_stamp(m)} closed, - [[file:y.org][y]] in it",
              st.integers(0, 4000)),
    st.builds(lambda m: f"- [X] {_stamp(m)} closed {m}", st.integers(0, 4000)),
    st.builds(_logged_link, st.integers(0, 40)),
)


def _closed(count: int, start: int) -> list[str]:
    """``count`` closed Progress items of the tool's own form, a minute apart."""
    return [f"- [X] {_stamp(start + n)} step {n}" for n in range(count)]


def _session(sections: dict[str, list[str]]) -> str:
    parts = [HEAD]
    for title, custom in (("Progress", "progress"), ("Decisions", "decisions"),
                          ("Discoveries", "discoveries"), ("Next steps", "next-steps"),
                          ("Earlier entries", "earlier"), ("Log", "log")):
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {custom}\n:END:\n")
        parts.extend(line + "\n" for line in sections.get(custom, []))
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 4), st.integers(0, 40), st.lists(NEAR, max_size=6),
       st.lists(NEAR, max_size=6), st.lists(NEAR, max_size=4), st.lists(NEAR, max_size=4),
       st.lists(st.integers(0, 40), max_size=3), st.booleans(),
       st.sampled_from(["\n", "\n", "\r\n"]))
def test_the_brief_read_finds_the_links_the_whole_read_finds(
        tmp_path_factory, notes, count, in_progress, in_notes, in_next, in_log, links,
        rationale, newline) -> None:  # type: ignore[no-untyped-def]
    """Link lines (and lines holding the search's needle) before, among and after the
    runs the brief read passes over, in every section: the brief read's earlier files
    are the whole read's, and so are its entries read again whole."""
    from ai_protocols.session.layout import read_session, whole

    path = tmp_path_factory.mktemp("links") / "session.org"
    own = _ordered(count, 600, rationale)
    at = len(own) // 2
    closed = _closed(count, 300)
    text = _session({
        "progress": [*closed[:at], *in_progress, *closed[at:], *in_progress[:1]],
        "decisions": [*own[:at], *in_notes, *own[at:]],
        "discoveries": [*own, *in_notes[:1]],
        "next-steps": [*closed, *in_next],
        "earlier": [_link(n) for n in links],
        "log": [f"- {_stamp(m)} done: Progress item of x" for m in range(count)] + in_log,
    }).replace("\n", newline)
    full = read_session(str(path), text)
    brief = read_session(str(path), text, brief=True, notes=notes)
    assert brief.earlier == full.earlier
    path.write_text(text, encoding="utf-8", newline="")
    again = whole(brief)
    assert (again.entries, again.log, again.earlier) == (full.entries, full.log, full.earlier)


def test_a_link_beside_what_the_brief_read_passes_over_is_found(tmp_path: Path) -> None:
    """A link line a person moved before, among or after the closed items the brief
    read passes over, right after the newest note it reads (indented: a line of that
    item), among the older notes, or into the Log among its ``done:`` lines (a Log line
    the brief read passes over may be a link line): found, as by the whole read; and
    the brief read did pass over what it may."""
    from ai_protocols.session.layout import read_session

    path = tmp_path / "session.org"
    own, closed = _ordered(60, 600, True), _closed(60, 300)
    done = [f"- {_stamp(m)} done: Progress item of x" for m in range(60)]
    plain = {"progress": closed, "decisions": own, "discoveries": own,
             "next-steps": closed, "log": done}
    link = _link(7)
    cases = [("progress", [link, *closed]), ("progress", [*closed[:30], link, *closed[30:]]),
             ("progress", [*closed, link]), ("next-steps", [*closed[:59], link, closed[59]]),
             ("decisions", [*own, "  " + link]), ("discoveries", [*own, "\t" + link]),
             ("decisions", [*own[:20], link, *own[20:]]),
             ("log", [*done[:30], _logged_link(7), *done[30:]]),
             ("log", [*done[:30], _logged_link(7), *done[30:], f"- {_stamp(9)} note: read"])]
    for where, lines in cases:
        text = _session({**plain, where: lines})
        full = read_session(str(path), text)
        brief = read_session(str(path), text, brief=True, notes=4)
        named = [str(tmp_path / _EARLIER.format(8, 8, 7))]
        assert [e.path for e in full.earlier] == named, where
        assert brief.earlier == full.earlier, where
        assert brief.left_out >= 59 and brief.left_out_log >= 59, where
        if where in ("decisions", "discoveries") and lines[-1] != own[-1]:
            assert brief.unread == {"decision": 56, "discovery": 56}, where


# -- OrgFile.lines_holding, with the windows a reader passes over -----------------------------

WORDS = st.sampled_from(["- [[", "- [", "[[", "- ", "x", "", "* not a headline", "- [[x]]",
                         "* H", "** Sub", "  - [[file:a.org][a]]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=3).map(" ".join), min_size=1, max_size=40),
       st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=3),
       st.sampled_from(["- [[", "[[", "x"]), st.integers(0, 40), st.booleans())
def test_lines_holding_passes_over_only_the_windows_given(  # type: ignore[no-untyped-def]
        lines, spans, needle, at, edit_first) -> None:
    """Windows of whole lines (as ``OrgFile.window`` gives them) passed over for a
    needle: every line outside them that holds it is still given, with its index, in
    order, and nothing that does not hold it; a chunk whose lines outside them lack it
    gives no line at all (its text outside them was all that was searched); a line
    holding it that an edit puts anywhere, inside a window too, is given, before or
    after a search."""
    from ai_protocols.org.file import OrgFile

    text = "* Top\n" + "".join(line + "\n" for line in lines)
    doc = OrgFile(text)
    every = list(doc.lines_holding(needle))
    body = (doc.headlines[0].body_start, doc.headlines[0].body_end)
    passing, inside = [], set()
    for a, b in spans:  # (lines of the first headline's body: one chunk's)
        a, b = sorted(min(max(x, body[0]), body[1]) for x in (a, b))
        if a < b:
            passing.append(doc.window(a, b))
            inside |= set(range(a, b))
    other = OrgFile(text)
    other.pass_over(needle, passing)
    given_ = list(other.lines_holding(needle))
    assert [g for g in given_ if g[0] not in inside] == [e for e in every if e[0] not in inside]
    assert set(given_) <= set(every)
    first = doc.headlines[1].line if len(doc.headlines) > 1 else doc.line_count
    if passing and not any(needle in line for index, line in every
                           if index < first and index not in inside):
        assert not [g for g in given_ if g[0] < first]
    # an edit: a new line holding the needle, at any line of the first body
    where = min(max(at, body[0]), body[1])
    edited = OrgFile(text)
    if edit_first:
        list(edited.lines_holding(needle))  # (the windows searched remembered first)
    edited.pass_over(needle, passing)
    edited.insert(where, [f"new {needle} line"])
    assert (where, f"new {needle} line\n") in list(edited.lines_holding(needle))


# -- the timestamps' check, as bytes ----------------------------------------------------------

STAMPISH = st.tuples(st.integers(0, 40000), st.integers(0, 22),
                     st.sampled_from([*"0a[] :-Zz9\u0663\u00e9\u212a\t\n", ""])).map(
    lambda t: (f"{_stamp(t[0])} "[:t[1]] + t[2] + f"{_stamp(t[0])} "[t[1] + 1:]))


@settings(max_examples=500, deadline=None)
@given(st.lists(STAMPISH, max_size=6), st.sampled_from([-1, 0, 1]))
def test_the_timestamps_check_is_each_stamp_s(stamps, off) -> None:  # type: ignore[no-untyped-def]
    """``are_own_timestamps`` of texts joined says what ``is_own_timestamp`` of each, and
    a space after it, says (any character at any place: a digit or letter beyond ASCII,
    a missing one, a tab); a count that is not theirs is refused."""
    from ai_protocols.org.syntax import are_own_timestamps, is_own_timestamp

    each = all(len(s) == 23 and is_own_timestamp(s[:22]) and s[22] == " " for s in stamps)
    count = max(len(stamps) + off, 0)
    assert are_own_timestamps("".join(stamps), count) == (each and count == len(stamps))
