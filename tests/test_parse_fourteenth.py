"""Issue 16, fourteenth round: the items of the tool's own form are read by fixed
positions (``layout._own_prefix``), not asked of ``parse_entries`` once per distinct
timestamp; these hold the quick reader to the full one over odd timestamps Org reads,
and ``show --json`` on a big file of distinct minutes to ``json.dumps`` of the full
reader's session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, clean_env

YEARS = st.one_of(st.integers(min_value=0, max_value=9999).map(lambda y: f"{y:04d}"),
                  st.sampled_from(["2026", "202", "20266", "٢٠٢٦", "2O26", "+026"]))
TWO = st.one_of(st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}"),
                st.sampled_from(["1", "٠٣", "1a", " 1", "+1", "001"]))
DAY_NAMES = st.sampled_from(["Sat", "Mon", "sat", "SAT", "Sa", "Sáb", "Samstag", "土", "Пт",
                             "Xyz", "S1t", "S-t", "", "  Sat", "Sat ", "S t"])
TIMES = st.one_of(
    st.tuples(TWO, TWO).map(lambda t: f"{t[0]}:{t[1]}"),
    st.sampled_from(["8:00", "10:00:30", "10:00-11:00", "24:00", "10:0", "10h00", "10.00",
                     "10:00 +1w", "10:00 .+1d", "10:00 -2d", "", "10:00\t", "10 :00"]))
CLOSERS = st.sampled_from(["]", "]", "]", ">", "]--[2026-11-22 Sun 10:00]",
                           "]--<2026-11-22 Sun>", " +1w]", "]x"])


@st.composite
def stamps(draw: st.DrawFn) -> str:
    """Timestamps of the tool's form most of the time, each part now and then odd."""
    year, month, day = draw(YEARS), draw(TWO), draw(TWO)
    name, time = draw(DAY_NAMES), draw(TIMES)
    middle = " ".join(part for part in (name, time) if part)
    opener = draw(st.sampled_from(["[", "[", "[", "<"]))
    return f"{opener}{year}-{month}-{day}{' ' if middle else ''}{middle}{draw(CLOSERS)}"


BOXES = st.sampled_from(["", "", "[X] ", "[ ] ", "[-] ", "[x] ", "[?] ", "[X]  ", "[X]"])
TEXTS = st.sampled_from(["did it", "", "  ", "a\u200bb", "x :: y", "[2026-11-21 Sat 10:00] x",
                         "café ☕", "\ttab"])
BULLETS = st.sampled_from(["- ", "- ", "- ", "+ ", "1. ", "  - ", "-  "])


@st.composite
def item_lines(draw: st.DrawFn) -> list[str]:
    """One to three lines of items, the later ones often with the first one's stamp."""
    first = draw(stamps())
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        stamp = first if draw(st.booleans()) else draw(stamps())
        lines.append(f"{draw(BULLETS)}{draw(BOXES)}{stamp} {draw(TEXTS)}".rstrip(" ")
                     if draw(st.booleans()) else f"{draw(BULLETS)}{draw(BOXES)}{stamp}")
    return lines


@settings(max_examples=3000)
@given(st.lists(item_lines(), min_size=1, max_size=6), st.booleans())
def test_the_quick_reader_reads_odd_timestamps_as_parse_entries(
        groups: list[list[str]], unterminated: bool) -> None:
    """Every timestamp Org may read (a date alone, any day name, other languages', a
    time without its leading zero, seconds, a range, a repeater, active, impossible
    dates, non-ASCII digits) reads as ``parse_entries`` reads it."""
    from ai_protocols.org.syntax import parse_entries
    from ai_protocols.session.layout import _ITEM_PREFIXES, read_entries

    _ITEM_PREFIXES.clear()  # (no answer remembered from another example)
    lines = [line + "\n" for group in groups for line in group]
    if unterminated:
        lines[-1] = lines[-1][:-1]
    assert read_entries(lines) == parse_entries(lines, 0, len(lines))


@settings(max_examples=3000)
@given(stamps(), BOXES)
def test_the_fixed_position_reader_answers_as_the_prefix_reader(stamp: str, box: str) -> None:
    """``_own_prefix`` gives ``_item_prefix``'s answer for every prefix it takes, and
    takes every well-formed one (the tool's own form, a date that exists)."""
    from ai_protocols.session.layout import _item_prefix, _own_prefix

    line = f"- {box}{stamp} x\n"
    if not line.startswith("- ["):  # (iter_entries asks only about these)
        return
    close = line.find("]", 7 if line.startswith("] [", 4) else 3) + 1
    if not close or not line.startswith(" ", close):
        return
    fast = _own_prefix(line, close) if close in (24, 28) else False
    slow = _item_prefix(line[:close])
    if fast is not False:
        assert fast == slow
        assert type(fast[0]) is type(slow[0])  # type: ignore[index]
    own = len(stamp) == 22 and box in ("", "[X] ", "[ ] ", "[-] ") and stamp.isascii() and \
        stamp.translate(str.maketrans("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
                                      "RSTUVWXYZ", "0" * 10 + "a" * 52)) == \
        "[0000-00-00 aaa 00:00]"
    assert (fast is not False) == (own and slow is not None and slow[0] is not None)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=clean_env())


def test_show_json_of_distinct_minutes_is_the_full_readers(tmp_path: Path) -> None:
    """``show --json`` of a file of 3,000 items, each of its own minute or sharing the one
    before's (no cache of timestamps helps), some of them odd (a person's), is
    ``json.dumps(..., indent=2)`` of the session that ``parse_entries`` reads."""
    import datetime

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _run(["start", "--title", "big"], tmp_path).returncode == 0
    context = tmp_path / ".ai" / "session-context.org"
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    items = []
    for n in range(3000):
        moment = datetime.datetime(2026, 10, 1, 8, 0) + datetime.timedelta(minutes=n * 2 // 3)
        stamp = f"[{moment:%Y-%m-%d} {days[moment.weekday()]} {moment:%H:%M}]"
        if n % 101 == 0:
            stamp = f"[{moment:%Y-%m-%d} Sáb {moment:%H:%M}]"
        elif n % 103 == 0:
            stamp = f"[{moment:%Y-%m-%d} {days[moment.weekday()]} {moment:%H:%M:%S}]"
        elif n % 107 == 0:
            stamp = "[2026-02-30 Mon 10:00]"
        box = ("[X] ", "[ ] ", "[-] ", "")[n % 4] if n % 5 else "[X] "
        items.append(f"- {box}{stamp} step {n}: {'x' * (n % 97)}\n")
    text = context.read_text()
    marker = ":CUSTOM_ID: progress\n:END:\n"
    context.write_text(text.replace(marker, marker + "".join(items), 1))
    shown = _run(["show", "--json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    full = subprocess.run([sys.executable, "-c", """
import json, sys
from ai_protocols.session import layout
from ai_protocols.org import syntax
def read_entries(lines, newline="\\n", first=0):
    listed = list(lines)
    found = syntax.parse_entries(listed, 0, len(listed), newline)
    for entry in found:
        entry.line += first
    return found
layout.iter_entries = lambda lines, newline="\\n", first=0: iter(read_entries(lines, newline,
                                                                              first))
from ai_protocols.session.project import Project
session = Project.discover().show()
print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
"""], cwd=tmp_path, capture_output=True, text=True, check=False,
                          env=clean_env())
    assert full.returncode == 0, full.stderr
    assert shown.stdout == full.stdout
    shown_json = json.loads(shown.stdout)
    assert len(shown_json["progress"]) == 3000
    assert shown_json["progress"][107]["time"] is None  # (2026-02-30: no such day)
    assert shown_json["progress"][101]["time"] == "2026-10-01T09:07"  # (a Spanish day name)


@settings(max_examples=2000)
@given(st.lists(item_lines(), min_size=1, max_size=4),
       st.lists(st.datetimes(), max_size=20))
def test_show_json_s_times_are_the_moments_iso_texts(groups: list[list[str]],
                                                     moments: list) -> None:
    """The ISO text of a moment, put together from its day's (remembered) and its hour's
    and minute's, is ``isoformat(timespec="minutes")``; and ``show --json``'s object
    texts of entries read from odd timestamps are ``json.dumps`` of ``to_json``."""
    import ai_protocols.cli.output as output
    from ai_protocols.org.syntax import iso_minutes
    from ai_protocols.session import model
    from ai_protocols.session.layout import read_entries

    for moment in moments:
        assert iso_minutes(moment) == moment.isoformat(timespec="minutes")
    entries = read_entries([line + "\n" for group in groups for line in group])
    logged = [model.Entry(e.time, f"progress: {e.text}", stamp=e.stamp) for e in entries]
    items = {"progress": model.ObjectTexts(model.entry_json_text, entries),
             "log": model.ObjectTexts(model.log_json_text, logged)}
    plain = {"progress": [e.to_json() for e in entries],
             "log": [model._log_json(e) for e in logged]}
    assert "".join(output.json_pieces(items)) == \
        json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    assert [item["time"] for item in plain["progress"]] == \
        [e.time.isoformat(timespec="minutes") if e.time else None for e in entries]
