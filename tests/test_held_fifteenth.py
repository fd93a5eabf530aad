"""Issue 16, fifteenth round: a write into a session file held past the rollover bound
by what cannot move (open items, a person's text under an item) tells so without
looking at its lines one by one from Python (``rollover_plan.least_movable``), and tells
the same as the rule read line by line (docs/decisions.md, "Issue 16, fifteenth round
(a held file's writes)")."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scan_fourteenth import LINES, _text

from conftest import CLI, clean_env

#: Lines that end, or do not end, what the least movable bytes are read up to.
EDGES = st.sampled_from([
    "  # a comment", "\t[fn:1] x", "  : fixed", "  \\begin{x}", "  [ ] box", " \t  text",
    "-x", "- ", "  ", "\t", "- [X] [2026-11-21 Sat 10:00] see [[file:a.org]]",
    "- [X] [2026-11-21 Sat 10:00] <<t>>", "- [X] [2026-11-21 Sat 10:00] a {{{m}}}",
    "- [X] [2026-11-21 Sat 10:00] did it \\", "  - [X] [2026-11-21 Sat 10:00] nested",
    "- [ ] [2026-11-21 Sat 10:00] open", "  pasted text", "\r",
])


def _by_line(doc, session, enough):  # type: ignore[no-untyped-def]
    """The rule of ``least_movable``'s docstring, line by line: each run of closed items
    (``- [X] [``) up to the first line neither an item nor indented, or indented
    before ``#``, ``:``, ``\\`` or ``[``; a run's last item left out when the line after
    it may go on it; lines holding a mark left out; 0 for a file with a radio target."""
    from ai_protocols.session.layout import find_section
    from ai_protocols.session.rollover import _GOES_ON, CLOSED_ONLY
    from ai_protocols.session.rollover_plan import _MARKS

    least = 0
    for key in CLOSED_ONLY:
        section = find_section(doc, session, key)
        if section is None or section.line == session.line or \
                section.body_start >= section.body_end:
            continue
        base, lo, hi = doc.window(section.body_start, section.body_end)
        if "<<<" in base:
            return 0
        lines = [line + "\n" for line in base[lo:hi].split("\n")]
        lines[-1] = lines[-1][:-1]
        if not lines[-1]:
            lines.pop()
        run: list[str] = []
        for line in [*lines, None]:
            if line is not None and line.startswith("- [X] ["):
                run.append(line)
                continue
            if run and line is not None and line[:1] in _GOES_ON:
                run.pop()  # (the line after may go on its last item)
            least += sum(len(one) for one in run if not any(m in one for m in _MARKS))
            run = []
            if least >= enough:
                return least
            if line is None:
                break
            if not line.startswith("- ") and (line[:1] not in (" ", "\t") or line.lstrip(
                    " \t").startswith(("#", ":", "\\", "["))):
                break
    return least


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(st.one_of(LINES, EDGES), max_size=24), min_size=5, max_size=5),
       st.sampled_from(["\n", "\r\n"]), st.integers(min_value=1, max_value=600))
def test_the_least_movable_is_the_rule_read_line_by_line(bodies, newline, enough
                                                         ) -> None:  # type: ignore[no-untyped-def]
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import session_headline
    from ai_protocols.session.rollover_plan import least_movable

    text = _text(bodies, newline, False).replace("CUSTOM_ID: key-files", "CUSTOM_ID: blockers")
    doc = OrgFile(text)
    headline = session_headline(doc)
    assert least_movable(doc, headline, 10**9) == _by_line(OrgFile(text), headline, 10**9)
    assert min(least_movable(OrgFile(text), headline, enough), enough) == \
        min(_by_line(OrgFile(text), headline, enough), enough)


def test_runs_of_closed_items_are_found_across_windows() -> None:
    """Runs longer than a window (``closed_until`` doubles it), broken by an open item
    or by an indented line after the last closed item (which may go on it)."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.layout import session_headline
    from ai_protocols.session.rollover_plan import least_movable

    closed = "".join(f"- [X] [2026-10-01 Thu 08:{n % 60:02}] step {n}\n" for n in range(3000))
    body = f"{closed}- [ ] [2026-10-02 Fri 09:00] open\n{closed}  goes on the last\n{closed}"
    text = _text([[], [], [], [], []], "\n", False).replace(
        ":CUSTOM_ID: progress\n:END:\n", ":CUSTOM_ID: progress\n:END:\n" + body)
    doc = OrgFile(text)
    last = len(f"- [X] [2026-10-01 Thu 08:{2999 % 60:02}] step 2999\n")
    assert least_movable(doc, session_headline(doc), 10**9) == 3 * len(closed) - last
    assert least_movable(doc, session_headline(doc), 10**9) == \
        _by_line(doc, session_headline(doc), 10**9)


def _held(repo: Path, lines: list[str]) -> Path:
    env = clean_env(AI_AGENT_ID="held")
    subprocess.run([str(CLI), "start"], cwd=repo, env=env, check=True, capture_output=True)
    path = repo / ".ai" / "session-context.d" / "held.org"
    if not path.exists():
        path = repo / ".ai" / "session-context.org"
    text = path.read_text(encoding="utf-8")
    at = text.index(":END:\n", text.index("** Progress")) + len(":END:\n")
    path.write_text(text[:at] + "".join(lines) + text[at:], encoding="utf-8")
    return path


OPEN_ITEMS = [f"- [ ] [2026-10-01 Thu 08:{n % 60:02}] item {n} {'y' * 100}\n"
              for n in range(40_000)]
INDENTED = ["- [ ] [2026-10-01 Thu 08:00] a paste\n"] + \
    [f"  pasted text line {'y' * 100}\n" for _ in range(42_000)]


@pytest.mark.parametrize("lines", [OPEN_ITEMS, INDENTED], ids=["open", "indented"])
def test_a_file_held_by_open_items_or_indented_text_warns_and_moves_nothing(
        repo: Path, lines: list[str]) -> None:
    """The reviewers' layouts (4.6 MiB of open items; of a person's text indented under
    an item): each write appends its entry, moves nothing and warns, naming Progress."""
    env = clean_env(AI_AGENT_ID="held")
    path = _held(repo, lines)
    for n in range(2):
        before = path.read_bytes()
        done = subprocess.run([str(CLI), "log", "--progress", f"write {n}"], cwd=repo,
                              env=env, capture_output=True, text=True, check=True)
        assert "no rollover moves what holds it there (Progress " in done.stderr
        after = path.read_bytes()
        assert after.count(b"\n") == before.count(b"\n") + 1
        assert f"] write {n}\n".encode() in after
        assert not (repo / ".ai" / "history").exists()
