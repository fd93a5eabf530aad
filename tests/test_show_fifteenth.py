"""Issue 16, fifteenth round: ``show`` reads a session through its view
(``session/view.py``): the sections' entries kept as places in the text, their JSON and
the Log's made as they are written. These hold what ``show``, ``show --json`` and
``show --all`` print to what the whole read (``layout.read_session``) prints, over
arbitrary sections (the tool's own items, odd timestamps, items a person typed,
rationales, blocks, escapes, long texts, CRLF) and the corpus of Emacs-edited files;
and the tool's own timestamp to one rule (``org.syntax.own_time``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_fourteenth import item_lines, stamps

from conftest import CLI, clean_env

CORPUS = Path(__file__).parent / "corpus"
HEAD = """#+TITLE: Session: T

* Session: T
:PROPERTIES:
:SESSION_TITLE: T
:STARTED:  [2026-12-01 Tue 07:17]
:UPDATED:  [2026-12-01 Tue 07:17]
:STATUS:   active
:END:
** Summary
:PROPERTIES:
:CUSTOM_ID: summary
:END:
"""
SECTIONS = (("Progress", "progress"), ("Decisions", "decisions"),
            ("Discoveries", "discoveries"), ("Next steps", "next-steps"),
            ("Key files", "key-files"), ("Log", "log"))
OWN_STAMPS = st.builds(
    lambda d, h, m: f"[2026-10-{d:02d} Thu {h:02d}:{m:02d}]",
    st.integers(min_value=1, max_value=3), st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59))
TEXTS = st.one_of(
    st.sampled_from(["did it", "a\u200bb", "x :: y", "two  spaces", " lead", "trail ",
                     "tab\tin", "café ☕ \"quoted\" \\ back", "a" * 99, "b " * 60, "c" * 140,
                     "ends in cr\r", "[[file:x.org][x]]", "\u2060x", "", "  "]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=120))
BOXES = st.sampled_from(["[X] ", "[X] ", "[ ] ", "[-] ", "", "[x] "])


@st.composite
def own_items(draw: st.DrawFn) -> list[str]:
    """An item of the tool's form, now and then with a rationale or a line that goes on."""
    lines = [f"- {draw(BOXES)}{draw(OWN_STAMPS)} {draw(TEXTS)}".rstrip(" ")
             if draw(st.integers(0, 9)) else f"- {draw(BOXES)}{draw(OWN_STAMPS)}"]
    extra = draw(st.integers(0, 9))
    if extra == 0:
        lines.append(f"  - Rationale: {draw(TEXTS)}")
    elif extra == 1:
        lines.append(f"  {draw(TEXTS)}")
    return lines


OTHER_LINES = st.sampled_from([
    [""], ["A person's note."], ["#+begin_example", "- [X] [2026-10-01 Thu 08:00] inside",
                                 "#+end_example"],
    [":LOGBOOK:", "- [X] [2026-10-01 Thu 08:00] in a drawer", ":END:"], ["\\begin{x}"],
    ["*** A person's headline"], ["- plain item"], ["  indented"], ["\t- tabbed"]])
BODY = st.lists(st.one_of(own_items(), own_items(), own_items(), item_lines(), OTHER_LINES),
                max_size=12)


@st.composite
def log_lines(draw: st.DrawFn, stamps_used: list[str]) -> list[str]:
    """The Log's own lines: starts, resumes, done lines naming items (some that are
    there), hook notes, now and then a line of an older layout that repeats an entry."""
    kind = draw(st.integers(0, 6))
    stamp = draw(OWN_STAMPS)
    if kind == 0 and stamps_used:
        named = draw(st.sampled_from(stamps_used))
        section = draw(st.sampled_from(["Progress", "Next steps", "Decisions"]))
        return [f"- {stamp} done: {section} item of {named[1:-1]}"]
    if kind == 1:
        return [f"- {stamp} done: Next steps item \"{draw(TEXTS)}\""]
    if kind == 2:
        return [f"- {stamp} {draw(st.sampled_from(['start', 'resumed', 'adopted']))}: x"]
    if kind == 3 and draw(st.integers(0, 4)) == 0:
        return [f"- {stamp} progress: {draw(TEXTS)}"]  # (an older layout: the whole read)
    if kind == 4:
        return [f"- [2026-10-0{draw(st.integers(1, 3))} Thu] hook: a date alone"]
    return [f"- {stamp} hook: {draw(TEXTS)}"]


@st.composite
def sessions(draw: st.DrawFn) -> str:
    """A session file: each section's body arbitrary, the Log's lines of its own."""
    parts = [HEAD]
    used: list[str] = []
    for title, key in SECTIONS:
        if key == "key-files" and draw(st.booleans()):
            continue
        parts.append(f"** {title}\n:PROPERTIES:\n:CUSTOM_ID: {key}\n:END:\n")
        groups = draw(st.lists(log_lines(used), max_size=8)) if key == "log" else draw(BODY)
        for group in groups:
            for line in group:
                parts.append(line + "\n")
                if line.startswith("- [X] [") and len(line) > 27:
                    used.append(line[6:28])
    text = "".join(parts)
    if draw(st.integers(0, 7)) == 0:
        text = text[:-1]  # (no final newline)
    if draw(st.integers(0, 7)) == 0:
        text = text.replace("\n", "\r\n")
    return text


def _both(text: str) -> tuple[object, object]:
    from ai_protocols.session.layout import _ITEM_PREFIXES, read_session
    from ai_protocols.session.view import read_view

    _ITEM_PREFIXES.clear()
    return read_view("s.org", [text]), read_session("s.org", text)


def _same(text: str) -> None:
    """The view of ``text`` prints what the whole read prints, and reads as it."""
    from ai_protocols.cli.output import json_pieces, render_session

    view, full = _both(text)
    shown = "".join(json_pieces(view.json_items(as_text=True)))  # type: ignore[attr-defined]
    assert shown == "".join(json_pieces(full.json_items(as_text=True)))  # type: ignore
    assert shown == json.dumps(full.to_json(), indent=2, ensure_ascii=False) + "\n"  # type: ignore
    view, full = _both(text)  # (read afresh: each reader's order of use)
    assert render_session(view) == render_session(full)  # type: ignore[arg-type]
    assert list(view.log) == full.log  # type: ignore[attr-defined]
    assert view.current == full.current  # type: ignore[attr-defined]
    for kind, entries in full.entries.items():  # type: ignore[attr-defined]
        assert list(view.entries[kind]) == entries, kind  # type: ignore[attr-defined]
    assert view.to_json() == full.to_json()  # type: ignore[attr-defined]


@settings(max_examples=700, deadline=None)
@given(sessions())
def test_the_view_prints_what_the_whole_read_prints(text: str) -> None:
    """``show --json``'s text, ``show``'s, the Log's order, the step in progress and
    every section's entries, from the view, are the whole read's."""
    _same(text)


def test_the_view_agrees_on_the_corpus() -> None:
    """Every file of the corpus (Emacs-edited layouts, CRLF, a byte-order mark, no final
    newline, a person's headlines, drawers, blocks) reads through the view as whole."""
    from ai_protocols.errors import UnreadableSession

    checked = 0
    for path in sorted(CORPUS.glob("*.org")):
        text = path.read_bytes().decode("utf-8")
        try:
            _same(text)
        except UnreadableSession:
            continue
        checked += 1
    assert checked >= 20


@settings(max_examples=3000)
@given(stamps())
def test_the_own_timestamp_is_one_rule(stamp: str) -> None:
    """``own_parts`` (its day and its clock time judged apart, remembered) reads a stamp
    as ``own_time`` does, which is ``is_own_timestamp`` and a moment that exists; and
    ``parse_entries`` reads an item of such a stamp at that moment."""
    from ai_protocols.org.syntax import (
        is_own_timestamp,
        iso_minutes,
        own_parts,
        own_time,
        parse_entries,
    )

    time = own_time(stamp)
    parts = own_parts(stamp)
    if time is None:
        assert parts is None
    else:
        assert is_own_timestamp(stamp)
        assert parts == (iso_minutes(time),
                         time.toordinal() * 1440 + time.hour * 60 + time.minute)
        assert parse_entries([f"- {stamp} x"], 0, 1)[0].time == time


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=clean_env())


def test_show_of_a_big_file_is_the_whole_reads(tmp_path: Path) -> None:
    """The installed ``show``, ``show --json`` and ``show --all`` of a file of 6,000
    entries in the layout ``log`` writes (a minute or a few apart, decisions with a
    rationale, a step in progress, the Log's done lines naming their items, a hook
    note between) print what the whole read prints."""
    import datetime

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _run(["start", "--title", "big"], tmp_path).returncode == 0
    context = tmp_path / ".ai" / "session-context.org"
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    progress, decisions, log = [], [], []
    for n in range(6000):
        moment = datetime.datetime(2026, 10, 1, 8, 0) + datetime.timedelta(minutes=n * 3 // 2)
        stamp = f"[{moment:%Y-%m-%d} {days[moment.weekday()]} {moment:%H:%M}]"
        text = f"step {n}: " + "word " * (n % 37) + ("::" if n % 211 == 0 else "end")
        if n % 10 == 9:
            decisions += [f"- {stamp} {text}\n", f"  - Rationale: because {n}\n"]
        else:
            box = "[-] " if n == 4000 else "[ ] " if n % 53 == 0 else "[X] "
            progress.append(f"- {box}{stamp} {text}\n")
        if n % 500 == 7:
            log.append(f"- {stamp} done: Progress item of {stamp[1:-1]}\n")
        if n % 700 == 3:
            log.append(f"- {stamp} hook: compacted\n")
    text = context.read_text()
    for key, lines in (("progress", progress), ("decisions", decisions)):
        marker = f":CUSTOM_ID: {key}\n:END:\n"
        text = text.replace(marker, marker + "".join(lines), 1)
    context.write_text(text + "".join(log))
    full = subprocess.run([sys.executable, "-c", """
import json, sys
from ai_protocols.cli.output import render_session
from ai_protocols.session.project import Project
session = Project.discover().show()
print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
print(render_session(session))
"""], cwd=tmp_path, capture_output=True, text=True, check=False, env=clean_env())
    assert full.returncode == 0, full.stderr
    shown = _run(["show", "--json"], tmp_path)
    plain = _run(["show"], tmp_path)
    every = _run(["show", "--all"], tmp_path)
    assert shown.returncode == plain.returncode == every.returncode == 0
    assert shown.stdout + plain.stdout == full.stdout
    assert every.stdout == plain.stdout
    data = json.loads(shown.stdout)
    assert data["current"]["text"].startswith("step 4000:")
    assert len(data["log"]) == 6000 + len(log) + 1  # (and the start line)
    assert "[-] " in plain.stdout
