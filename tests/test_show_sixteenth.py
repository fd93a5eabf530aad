"""Issue 16, sixteenth round: ``show --json`` of a big file writes runs of the tool's own
items in bulk (``session/view.py``: a section's lines and the Log's keys by ``map``,
``zip`` and ``str.join``; a text judged plain once, by its section's read; a decision's
one-line rationale read without ``parse_entries``). These hold what the view prints to
what the whole read prints over sections made of such runs (texts that are plain and
texts that are not: quotes, backslashes, control characters, two spaces, ``::``, white
space at either end, escapes, other than ASCII, past 100 characters), and ``show`` to
importing no rollover machinery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_show_fifteenth import HEAD, OWN_STAMPS, TEXTS, _same, log_lines

from conftest import CLI, clean_env

#: Texts of printable ASCII (plain ones, and ones with ``"``, ``\\``, ``"  "``, ``::``),
#: of any length up to past the Log's 100 characters, and any other text.
RUN_TEXTS = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
             max_size=140),
    st.text(alphabet="ab :", min_size=1, max_size=110),
    st.text(alphabet="abc é", min_size=1, max_size=110).map(str.strip).filter(bool),
    st.sampled_from(["did it", "word " * 30 + "end", "x"]), TEXTS)
#: Plain texts: printable, nothing to escape, one space between words, some past 100.
PLAIN_TEXTS = st.lists(st.sampled_from(["did", "it", "the", "parser", "é", "a" * 30]),
                       min_size=1, max_size=12).map(" ".join)
FORMS = st.sampled_from(["[X] ", ""])


@st.composite
def runs(draw: st.DrawFn) -> list[str]:
    """A section's body: a run of the tool's own items of one form, either alone (read
    in bulk when each reads as such) or now and then with an item of another form, a
    decision with a rationale (one line, blank, going on, escaped), or a line of a
    person's."""
    form = draw(FORMS)
    alone = draw(st.booleans())
    texts = PLAIN_TEXTS if alone and draw(st.booleans()) else RUN_TEXTS
    count = draw(st.integers(16, 60))
    stamps = sorted(draw(st.lists(OWN_STAMPS, min_size=count, max_size=count)))
    lines: list[str] = []
    for stamp in stamps:
        roll = 19 if alone else draw(st.integers(0, 19))
        text = draw(texts).replace("\n", " ")
        if roll == 0:
            lines.append(f"- {draw(st.sampled_from(['[ ] ', '[-] ', '[X] ', '']))}{stamp} "
                         f"{text}".rstrip(" "))
        elif roll == 1:  # (a decision: of the tool's form, or of a form a person types)
            typed = draw(st.sampled_from([stamp, stamp, "[2026-10-01 Thu]", "[2026-10-02]",
                                          "[2026-10-01 Thu 9:05]"]))
            lines.append(f"- {form}{typed} {text}")
            rationale = draw(st.sampled_from(["because", "", " spaced ", "a\u200bb", "x  y",
                                              '"quoted"']))
            lines.append(f"  - Rationale: {rationale}".rstrip(" ") if rationale != " spaced "
                         else f"  - Rationale:{rationale}")
            if draw(st.integers(0, 3)) == 0:
                lines.append(draw(st.sampled_from(["    goes on", "", "  - another"])))
        elif roll == 2:
            lines.append(draw(st.sampled_from(["A person's note.", "- plain item", ""])))
        else:
            lines.append(f"- {form}{stamp} {text}")
    return lines


@st.composite
def big_sessions(draw: st.DrawFn) -> str:
    """A session file whose sections hold runs (:func:`runs`), the Log lines of its own."""
    parts = [HEAD]
    used: list[str] = []
    for title, key in (("Progress", "progress"), ("Decisions", "decisions"),
                       ("Discoveries", "discoveries"), ("Next steps", "next-steps"),
                       ("Log", "log")):
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {key}\n:END:\n")
        if key == "log":
            lines = [line for group in draw(st.lists(log_lines(used), max_size=8))
                     for line in group]
        else:
            lines = draw(runs()) if draw(st.integers(0, 5)) else []
        for line in lines:
            parts.append(line + "\n")
            if line.startswith("- [X] [") and len(line) > 27:
                used.append(line[6:28])
    text = "".join(parts)
    return text[:-1] if draw(st.integers(0, 7)) == 0 else text


@settings(max_examples=400, deadline=None)
@given(big_sessions())
def test_the_bulk_reads_print_what_the_whole_read_prints(text: str) -> None:
    """``show --json``'s text, ``show``'s, the Log's order and every section's entries,
    from the view's bulk reads of runs of items, are the whole read's."""
    _same(text)


def test_show_imports_no_rollover(tmp_path: Path) -> None:
    """``show`` and ``show --json`` (the installed console script) import neither
    ``session.rollover`` nor ``session.transaction``: where an earlier-entries file goes
    is a naming rule (``session.names.history_folder``)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = clean_env()
    assert subprocess.run([str(CLI), "start", "--title", "t"], cwd=tmp_path, env=env,
                          capture_output=True, check=False).returncode == 0
    for args in (["show", "--json"], ["show"]):
        run = subprocess.run([sys.executable, "-X", "importtime", str(CLI), *args],
                             cwd=tmp_path, env=env, capture_output=True, text=True,
                             check=False)
        assert run.returncode == 0, run.stderr
        imported = {line.rpartition("|")[2].strip() for line in run.stderr.splitlines()
                    if line.startswith("import time:")}
        assert "ai_protocols.session.view" in imported or args == ["show"]
        assert "ai_protocols.session.rollover" not in imported, args
        assert "ai_protocols.session.transaction" not in imported, args
        assert not {m for m in imported if m.startswith("ai_protocols.session.") and m[21:] in (
            "edit_base", "entries_compared", "carries", "wrapped_copy", "unmerged",
            "stale_saves", "stale_over", "replaced", "away", "merge_kept")}, args  # (split from it)
