"""Issue 16, twenty-first round: ``show --json`` keeps a block read in bulk as the runs of
its items of one day (``session/view.py``: no key or place per item; each run cut by one
``rsplit`` at its lines' day, its JSON by one ``replace`` per item at its clock time and
a ``join``), and writes the Log as a merge of the sections' parts (a part whole where no
other part's entry nor Log line falls among its entries, else the parts that meet sorted
together by their times). These hold what the view prints (``show --json``, ``show``,
the Log's order) and reads (each section's and the Log's entries, in order, by index,
reversed, counted) to what the whole read (``layout.read_session``) prints and reads,
over sections whose runs span days, hold days out of order or a day twice, clock times
out of order and many of one minute, are broken by a person's lines into several parts,
and meet other sections' entries and Log lines of their minutes; and the installed
command over a file big enough for several blocks a section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_show_fifteenth import HEAD, _both, _same
from test_show_sixteenth import PLAIN_TEXTS, RUN_TEXTS

from conftest import CLI, clean_env

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # (2026-10-05 is a Monday)
#: A few minutes over four days (many shared: entries of one minute, across sections).
MINUTES = st.integers(0, 11).map(lambda at: (at // 3) * 1440 + 600 + (at % 3) * 7)
#: The tool's own texts mostly, now and then one a run read in bulk must still take
#: right (``] ``, quotes, two spaces, ``::``, other than ASCII, past 100 characters) or
#: must leave to the line-by-line read (white space at either end, a tab, an escape).
TEXTS = st.one_of(PLAIN_TEXTS, PLAIN_TEXTS, PLAIN_TEXTS, RUN_TEXTS,
                  st.sampled_from(["a] b", "[X] done] twice", 'say "so"', "x  y", "a :: b",
                                   "café ☕ " * 20, " lead", "trail ", "tab\tin", "a\u200bb"]))
REASONS = st.one_of(PLAIN_TEXTS, PLAIN_TEXTS.map(lambda text: text + "  "),
                    st.sampled_from(["", " lead", "x  y", 'a "b"', "back\\slash"]))
#: A person's line, which breaks a run of the tool's items into parts.
BREAKS = st.sampled_from(["A person's note.", "- plain item", "", "- [ ] [2026-10-05 Mon] open"])


def _stamp(minute: int) -> str:
    day, minute = divmod(minute, 1440)
    return f"[2026-10-{day + 5:02d} {WEEKDAYS[day]} {minute // 60:02d}:{minute % 60:02d}]"


@st.composite
def minutes(draw: st.DrawFn) -> list[int]:
    """The items' minutes of a section: in order mostly; else with a stretch of them
    reversed or a day's items moved after the next day's (a day twice in one run)."""
    found = sorted(draw(st.lists(MINUTES, min_size=1, max_size=40)))
    shape = draw(st.integers(0, 3))
    if shape == 0:
        start = draw(st.integers(0, len(found) - 1))
        found[start:] = reversed(found[start:])
    elif shape == 1:
        day = draw(st.integers(0, 3)) * 1440
        found = [m for m in found if m // 1440 != day // 1440] + \
            [m for m in found if m // 1440 == day // 1440]
        if len(found) > 2:
            found.insert(1, found.pop())  # (and one of them first)
    return found


@st.composite
def items(draw: st.DrawFn, kind: str) -> list[str]:
    """A section's body of the tool's own items of ``kind`` (a decision with its
    rationale, now and then none), now and then a person's line between them."""
    lines: list[str] = []
    for minute in draw(minutes()):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(BREAKS))
        text = draw(TEXTS).replace("\n", " ")
        if kind == "progress":
            box = draw(st.sampled_from(["[X] ", "[X] ", "[X] ", "[ ] ", "[-] "]))
            lines.append(f"- {box}{_stamp(minute)} {text}")
        else:
            lines.append(f"- {_stamp(minute)} {text}")
            if kind == "decisions" and draw(st.integers(0, 9)):
                lines.append(f"  - Rationale: {draw(REASONS)}")
    return lines


@st.composite
def log_lines(draw: st.DrawFn, stamps_used: list[str]) -> list[str]:
    """The Log's own lines at the sections' minutes: lines that begin a minute (``start``,
    ``resumed``, ``adopted``: before its entries) and others (after them), done lines
    naming items by their timestamps, a line of a date alone; in order mostly."""
    lines = []
    for minute in sorted(draw(st.lists(MINUTES, max_size=10))):
        kind = draw(st.sampled_from(["start", "resumed", "adopted", "hook", "done"]))
        if kind == "done" and stamps_used:
            named = draw(st.sampled_from(stamps_used))
            lines.append(f"- {_stamp(minute)} done: Progress item of {named[1:-1]}")
        else:
            lines.append(f"- {_stamp(minute)} {kind}: at {minute}")
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "- [2026-10-06 Tue] hook: a date alone")
    return lines


@st.composite
def sessions(draw: st.DrawFn) -> str:
    """Progress items, decisions, discoveries and closed next steps over the same few
    days and minutes, and the Log's lines of those minutes."""
    parts = [HEAD]
    used: list[str] = []
    for title, key in (("Progress", "progress"), ("Decisions", "decisions"),
                       ("Discoveries", "discoveries"), ("Next steps", "next-steps"),
                       ("Log", "log")):
        if key == "log":
            lines = draw(log_lines(used))
        elif key == "next-steps":
            lines = [f"- [X] {_stamp(minute)} next at {minute}" for minute in
                     sorted(draw(st.lists(MINUTES, max_size=6)))]
        else:
            lines = draw(items(key)) if draw(st.integers(0, 4)) else []
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {key}\n:END:\n")
        parts += (line + "\n" for line in lines)
        used += (line[6:28] for line in lines if line.startswith("- [X] ["))
    text = "".join(parts)
    return text[:-1] if draw(st.integers(0, 7)) == 0 else text


def _reads_alike(text: str) -> None:
    """What :func:`test_show_fifteenth._same` holds, and each section's entries and the
    Log's read by index (first, last, from the end), reversed and counted as the whole
    read's (the rows of a section's parts, numbered across them)."""
    _same(text)
    view, full = _both(text)
    for kind, entries in full.entries.items():  # type: ignore[attr-defined]
        rows = view.entries[kind]  # type: ignore[attr-defined]
        assert len(rows) == len(entries), kind
        assert list(reversed(rows)) == entries[::-1], kind
        for at in {0, len(entries) // 2, len(entries) - 1, -1} if entries else ():
            assert rows[at] == entries[at], (kind, at)
        assert rows[1:-1] == entries[1:-1], kind
    assert len(view.log) == len(full.log)  # type: ignore[attr-defined]
    assert list(reversed(view.log)) == full.log[::-1]  # type: ignore[attr-defined]


@settings(max_examples=500, deadline=None)
@given(sessions())
def test_runs_of_days_and_parts_print_and_read_as_the_whole_read(text: str) -> None:
    """``show --json``'s text, ``show``'s, the Log's order and every section's entries,
    from runs of a day read in bulk and the Log merged by parts, are the whole read's."""
    _reads_alike(text)


def test_a_section_broken_into_parts_numbers_its_rows_across_them() -> None:
    """A section of items read in bulk, then line by line (an open item, a person's
    line), then in bulk again: its rows are numbered across the parts (an entry read by
    index is the whole read's), and the Log puts its entries of one minute in file order
    among another section's."""
    lines = [f"- [X] {_stamp(600)} first {n}" for n in range(3)] + \
        [f"- [ ] {_stamp(600)} open", "A person's note."] + \
        [f"- [X] {_stamp(600)} then {n}" for n in range(3)]
    body = "".join(line + "\n" for line in lines)
    text = HEAD + "** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n:END:\n" + body + \
        "** Discoveries\n:PROPERTIES:\n:CUSTOM_ID: discoveries\n:END:\n" + \
        f"- {_stamp(600)} found\n" + "** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n" + \
        f"- {_stamp(600)} resumed: here\n"
    _reads_alike(text)
    view, _ = _both(text)
    rows = view.entries["progress"]  # type: ignore[attr-defined]
    assert [type(part).__name__ for part in rows.read()] == ["_Block", "_Singles", "_Block"]
    assert rows[4].text == "then 0" and rows[-1].text == "then 2"
    assert [entry.text for entry in view.log] == [  # type: ignore[attr-defined]
        "resumed: here", "progress: first 0", "progress: first 1", "progress: first 2",
        "progress: open", "progress: then 0", "progress: then 1", "progress: then 2",
        "discovery: found"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, check=False,
                          env=clean_env())


def test_a_file_of_several_blocks_a_section_is_the_whole_reads(tmp_path: Path) -> None:
    """The installed ``show --json``, ``show`` and ``show --all`` of a file whose
    Progress section is several bulk blocks (about 1.4 MB: runs of a day past a block's
    end, a day whose items come back after the next day's, clock times out of order,
    many entries of one minute, texts with ``] ``, quotes and past 100 characters, a
    person's line), with decisions and discoveries among its minutes and Log lines of
    them, print what the whole read prints, byte for byte."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _run(["start", "--title", "blocks"], tmp_path).returncode == 0
    context = tmp_path / ".ai" / "session-context.org"
    progress, decisions, discoveries, log = [], [], [], []
    for n in range(14000):
        minute = n // 3 if n < 9000 or n >= 12000 else 9000 // 3 + (12000 - n) // 2
        if 6000 <= n < 6500:
            minute += 1440  # (a run of the next day, then this day's again)
        text = f"step {n}: " + "word " * (n % 23) + ("a] b" if n % 97 == 0 else
                                                     'say "so"' if n % 89 == 0 else "end")
        progress.append(f"- [X] {_stamp(minute % (6 * 1440))} {text}\n")
        if n % 5000 == 4999:
            progress.append("A person's note.\n")
        if n % 13 == 0:
            decisions.append(f"- {_stamp(minute % (6 * 1440))} chose {n}\n"
                             f"  - Rationale: because {n}{' ' * (n % 3)}\n")
        if n % 17 == 0:
            discoveries.append(f"- {_stamp(minute % (6 * 1440))} found {n}\n")
        if n % 400 == 7:
            log.append(f"- {_stamp(minute % (6 * 1440))} "
                       f"{'resumed: again' if n % 800 == 7 else 'hook: noted'}\n")
    text = context.read_text()
    for key, lines in (("progress", progress), ("decisions", decisions),
                       ("discoveries", discoveries)):
        marker = f":CUSTOM_ID: {key}\n:END:\n"
        text = text.replace(marker, marker + "".join(lines), 1)
    context.write_text(text + "".join(log))
    assert context.stat().st_size > 1_000_000
    full = subprocess.run([sys.executable, "-c", """
import json
from ai_protocols.cli.output import render_session
from ai_protocols.session.project import Project
session = Project.discover().show()
print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
print(render_session(session))
"""], cwd=tmp_path, capture_output=True, check=False, env=clean_env())
    assert full.returncode == 0, full.stderr
    shown, plain, every = (_run(args, tmp_path) for args in
                           (["show", "--json"], ["show"], ["show", "--all"]))
    assert shown.returncode == plain.returncode == every.returncode == 0
    assert shown.stdout + plain.stdout == full.stdout
    assert every.stdout == plain.stdout
