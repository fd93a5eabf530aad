"""Issue 16, twentieth round: ``show --json`` reads a run of decisions of the tool's own
two-line form (``- [STAMP] text`` and ``  - Rationale: TEXT``) in bulk and keeps each as
a place in the text, as it keeps the quick items (``session/view.py``, the bulk read),
so that the Log writes them in bulk too. These hold what the view prints (``show
--json``, ``show``, the Log's order, every section's entries with their rationales) to
what the whole read prints over sections of such pairs, interleaved in time with another
section's quick items: rationales that end in spaces (the rationale is the text without
them), that are blank, begin with a space, go on on a further line, hold two spaces,
``::``, quotes, backslashes, control characters, escapes or other than ASCII; item lines
with a space at their end; a pair broken by a line of a person's; a block that ends
between an item and its rationale. And the installed ``show --json`` of a big file of
such decisions and discoveries to the whole read's, byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_show_fifteenth import HEAD, _same, log_lines
from test_show_sixteenth import PLAIN_TEXTS, RUN_TEXTS

from conftest import CLI, clean_env

#: A rationale's text as the line holds it after ``  - Rationale: ``.
REASONS = st.one_of(
    PLAIN_TEXTS, PLAIN_TEXTS.map(lambda text: text + " "), PLAIN_TEXTS.map(lambda t: t + "   "),
    st.sampled_from(["", " ", " lead", "x  y", "a :: b", 'say "so"', "back\\slash",
                     "tab\tin", "a\u200bb", "\u2060x", "café ☕", "ctl\x07", "x" * 130,
                     "ends ", "a " * 70]),
    RUN_TEXTS.map(lambda text: text.replace("\n", " ")))
DAYS = ("Thu", "Fri", "Sat")


def _stamp(minute: int) -> str:
    day, minute = divmod(minute, 1440)
    return f"[2026-10-{day + 1:02d} {DAYS[day]} {minute // 60:02d}:{minute % 60:02d}]"


@st.composite
def pairs(draw: st.DrawFn, minutes: list[int]) -> list[str]:
    """The Decisions section's body: a run of decisions of the tool's form, each with a
    rationale of one line, at ``minutes``, now and then something else."""
    lines: list[str] = []
    texts = PLAIN_TEXTS if draw(st.booleans()) else RUN_TEXTS
    for minute in minutes:
        text = draw(texts).replace("\n", " ")
        if draw(st.integers(0, 12)) == 0:
            text += " "  # (an item line with a space at its end: line by line)
        lines.append(f"- {_stamp(minute)} {text}")
        roll = draw(st.integers(0, 30))
        if roll == 0:
            continue  # (no rationale)
        lines.append(f"  - Rationale: {draw(REASONS)}")
        if roll == 1:
            lines.append(draw(st.sampled_from(["    goes on", "", "A person's note.",
                                               "  - another", "- plain item"])))
    return lines


@st.composite
def sessions(draw: st.DrawFn) -> str:
    """Progress items and decisions interleaved in time, Log lines of the tool's own."""
    count = draw(st.integers(8, 80))
    minutes = sorted(draw(st.lists(st.integers(0, 3 * 1440 - 1), min_size=count,
                                   max_size=count)))
    decided = [minute for at, minute in enumerate(minutes) if at % 2]
    progress = [f"- [X] {_stamp(minute)} {draw(PLAIN_TEXTS)}"
                for at, minute in enumerate(minutes) if not at % 2]
    parts = [HEAD]
    used = [line[6:28] for line in progress]
    for title, key, lines in (("Progress", "progress", progress),
                              ("Decisions", "decisions", draw(pairs(decided))),
                              ("Discoveries", "discoveries", []), ("Log", "log", None)):
        if lines is None:
            lines = [line for group in draw(st.lists(log_lines(used), max_size=6))
                     for line in group]
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {key}\n:END:\n")
        parts += (line + "\n" for line in lines)
    text = "".join(parts)
    return text[:-1] if draw(st.integers(0, 7)) == 0 else text


@settings(max_examples=400, deadline=None)
@given(sessions())
def test_decisions_read_in_bulk_print_what_the_whole_read_prints(text: str) -> None:
    """``show --json``'s text, ``show``'s, the Log's order and every section's entries
    (their rationales too), from the view's bulk read of decisions, are the whole
    read's."""
    _same(text)


def test_a_big_file_of_decisions_is_the_whole_reads(tmp_path: Path) -> None:
    """The installed ``show --json`` of 3,000 decisions (rationales past the bulk read's
    block, some ending in spaces) and discoveries in turn, one a minute, is the whole
    read's, byte for byte."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    run = subprocess.run([str(CLI), "start", "--title", "notes"], cwd=tmp_path,
                         capture_output=True, text=True, check=False, env=clean_env())
    assert run.returncode == 0, run.stderr
    context = tmp_path / ".ai" / "session-context.org"
    decisions, discoveries = [], []
    for n in range(6000):
        stamp = _stamp(n % (3 * 1440))
        text = f"step {n}: " + "did the parser " * (n % 11) + "end"
        if n % 2:
            decisions.append(f"- {stamp} {text}\n  - Rationale: because {text[:60]}"
                             f"{' ' * (n % 3)}{'x' * 90 if n % 7 == 0 else ''}\n")
        else:
            discoveries.append(f"- {stamp} {text}\n")
    text = context.read_text()
    for key, lines in (("decisions", decisions), ("discoveries", discoveries)):
        marker = f":CUSTOM_ID: {key}\n:END:\n"
        text = text.replace(marker, marker + "".join(lines), 1)
    context.write_text(text)
    full = subprocess.run([sys.executable, "-c", """
import json
from ai_protocols.session.project import Project
session = Project.discover().show()
print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
"""], cwd=tmp_path, capture_output=True, check=False, env=clean_env())
    assert full.returncode == 0, full.stderr
    shown = subprocess.run([str(CLI), "show", "--json"], cwd=tmp_path, capture_output=True,
                           check=False, env=clean_env())
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == full.stdout
    assert shown.stdout.count(b'"rationale": ') == 3000


def test_the_logs_cut_texts_are_written_in_the_streams_encoding(tmp_path: Path) -> None:
    """The Log's batches of ASCII texts whose cut texts end in ``…`` go out as UTF-8
    bytes only when standard output encodes in UTF-8: under another encoding (here
    ASCII with ``backslashreplace``) ``show --json`` writes what the stream makes of the
    whole read's text, and under UTF-8 the whole read's text itself."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    run = subprocess.run([str(CLI), "start", "--title", "cut"], cwd=tmp_path,
                         capture_output=True, text=True, check=False, env=clean_env())
    assert run.returncode == 0, run.stderr
    context = tmp_path / ".ai" / "session-context.org"
    items = "".join(f"- [X] {_stamp(n)} step {n}: {'word ' * (n % 30)}end\n"
                    for n in range(400))
    marker = ":CUSTOM_ID: progress\n:END:\n"
    context.write_text(context.read_text().replace(marker, marker + items, 1))
    full = subprocess.run([sys.executable, "-c", """
import json
from ai_protocols.session.project import Project
session = Project.discover().show()
print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
"""], cwd=tmp_path, capture_output=True, text=True, check=False, env=clean_env())
    assert full.returncode == 0, full.stderr
    assert full.stdout.count("…") >= 100
    for encoding in ("utf-8", "ascii:backslashreplace"):
        shown = subprocess.run([str(CLI), "show", "--json"], cwd=tmp_path,
                               capture_output=True, check=False,
                               env={**clean_env(), "PYTHONIOENCODING": encoding})
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == full.stdout.encode(*encoding.split(":")), encoding
