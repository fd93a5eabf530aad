"""``status`` and ``list`` near issue 16's budgets, reading as they did (fifteenth round).

``status`` reads the head of each session file with ``str`` methods when it is as
the tool writes it (``layout._plain_head``), and judges every file with what it read
once per command (the stale setting, the time since boot); ``status --json`` prints
through ``json``'s C encoder. Each shortcut is held here to the long way on varied
text, and the command's output to what the long way prints. No timing is asserted.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import UnreadableSession
from ai_protocols.session import layout
from ai_protocols.session.layout import new_session_text

from conftest import CLI, Runner, clean_env

PATH = "/p/.ai/session-context.org"
FRESH = new_session_text(agent_id="h.p.claude.1", host="h", title="T",
                         now=datetime(2026, 11, 30, 6, 0))

#: What a summary's section may hold, as a person or the tool writes it.
SUMMARY_LINES = st.sampled_from([
    "Carry on.", "Two\u200b\u200b zero-width spaces", "escaped\u200b*bold*", "", " ", "\t",
    ":LOGBOOK:", "- note", ":END:", "#+begin_example", "* not a headline", "#+end_example",
    "#+BEGIN_QUOTE", "#+END_QUOTE", "- item", "| a | b |", "  indented", "\f", "text\u2028more",
    "*bold* start", "#+TITLE: x", "# comment", "-----", "\\begin{x}", "\\end{x}", "[fn:1] x",
])
#: What may stand where the tool writes the session headline's drawer and the summary's.
PROPERTY_LINES = st.sampled_from([
    ":STATUS:   active", ":STARTED:  [2026-11-30 Mon 06:00]", ":UPDATED:  [2026-11-30 Mon 06:01]",
    ":OWNER:    pid 12 on h", ":AGENT_ID: h.p.claude.2", ":SESSION_TITLE: x\u200by",
    ":DESCRIPTION: d", ":status: paused", ":KEY:", ":X:value", ":A-B: c", " :IND: x", ":END: x",
    ":CUSTOM_ID: summary", ":CUSTOM_ID: summary ", ":CUSTOM_ID:  summary", ":custom_id: summary",
    ":CUSTOM_ID: other",
])
HEADLINES = st.sampled_from([
    "* Session: T", "** Summary", "*** Summary", "* Summary", "** TODO Summary :tag:",
    "** Progress", "* Notes", "**bold**", "*bold*",
])


@st.composite
def heads(draw: st.DrawFn) -> str:
    """A session file as the tool writes it, then changed where the fast reader looks:
    its drawers' lines, the summary section's headline, level and text, what comes
    before the session headline and after the summary, the line ending."""
    lines = FRESH.split("\n")
    session = lines.index("* Session: T")
    summary = lines.index("** Summary")
    drawer = lines.index(":CUSTOM_ID: summary")
    body = [*draw(st.lists(SUMMARY_LINES, max_size=6))]
    if draw(st.integers(0, 3)) == 0:
        lines[summary] = draw(HEADLINES)
    if draw(st.integers(0, 3)) == 0:
        lines[drawer] = draw(PROPERTY_LINES)
    lines[drawer + 2:drawer + 2] = body
    if draw(st.integers(0, 2)) == 0:  # a property of the session headline changed or added
        at = draw(st.integers(session + 2, session + 8))
        lines[at:at + draw(st.integers(0, 1))] = [draw(PROPERTY_LINES)]
    if draw(st.integers(0, 3)) == 0:  # lines before the session headline, or after it
        at = draw(st.sampled_from([0, session, session + 1]))
        lines[at:at] = draw(st.lists(st.one_of(HEADLINES, SUMMARY_LINES), min_size=1,
                                     max_size=3))
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text.rstrip("\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", "\r\n")
    return text


def _general(text: str) -> object:
    try:
        return layout._general_head(PATH, text)
    except UnreadableSession as error:
        return type(error)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(heads())
def test_the_plain_head_reader_reads_what_the_general_one_reads(text: str) -> None:
    """Where the fast reader answers, it answers what the general reader (the head parsed
    as an OrgFile, the whole file when that is not enough) answers."""
    plain = layout._plain_head(PATH, text)
    event("read plain" if plain is not None else "read in general")
    if plain is not None:
        assert plain == _general(text)
    try:
        whole: object = layout.read_session(PATH, text)
        whole.entries, whole.log = {}, []  # type: ignore[attr-defined]
    except UnreadableSession as error:
        whole = type(error)
    assert (plain if plain is not None else _general(text)) == whole


def test_the_plain_head_reader_reads_the_files_the_tool_writes() -> None:
    """The fast reader is the one that reads what the tool writes: a fresh session,
    one with a summary, one with an escaped summary and title (else the shortcut is
    never taken, and the budget is missed)."""
    with_summary = FRESH.replace(":CUSTOM_ID: summary\n:END:\n",
                                 ":CUSTOM_ID: summary\n:END:\nGo\u200b\u200b on.\n")
    for text in (FRESH, with_summary):
        plain = layout._plain_head(PATH, text)
        assert plain is not None and plain == layout._general_head(PATH, text)
    assert layout._plain_head(PATH, with_summary).summary == "Go\u200b on."  # type: ignore[union-attr]
    assert layout._plain_head(PATH, FRESH).summary is None  # type: ignore[union-attr]


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                    st.floats(allow_nan=False), st.just([]), st.just({}))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


@settings(max_examples=500)
@given(st.lists(st.one_of(st.dictionaries(st.text(max_size=8), SCALARS, max_size=6),
                          st.dictionaries(st.text(max_size=8), VALUES, max_size=4), VALUES),
                max_size=6))
def test_the_json_of_a_list_of_rows_is_what_json_dumps_writes(data: list[object]) -> None:
    """``status --json`` and the other lists of rows print through json's C encoder: the
    same text as ``json.dumps(indent=2)`` for every list, objects with nested values,
    empty ones and text with newlines, quotes or U+2028 among them."""
    from ai_protocols.cli.output import json_text

    assert json_text(data) == json.dumps(data, indent=2, ensure_ascii=False)


def test_status_reads_every_layout_as_the_whole_file_reader_does(project: Path,
                                                                  run: Runner) -> None:
    """``status --json`` over session files of the tool's own layout (a summary, an
    escaped one, none) and of a person's (a CRLF file, a headline first, a LOGBOOK
    before the summary's text, a summary moved down): each row's title and summary are
    the whole-file reader's, and the text is ``json.dumps(indent=2)`` of its rows."""
    run("start", "--title", "Mine", agent="h.p.claude.100")
    run("log", "--summary", "Own\u200b summary, *bold*", agent="h.p.claude.100")
    folder = project / ".ai" / "session-context.d"
    own = (folder / "h.p.claude.100.org").read_text()
    base = own.replace("h.p.claude.100", "h.p.claude.{n}")
    summary = next(line for line in own.split("\n") if line.startswith("Own"))
    layouts = {
        "none": base.replace(summary + "\n", ""),
        "crlf": base.replace("\n", "\r\n"),
        "headline first": "* My notes\nkeep\n" + base,
        "logbook": base.replace(summary, ":LOGBOOK:\n- x\n:END:\n" + summary),
        "moved": base.replace(":CUSTOM_ID: summary", ":CUSTOM_ID: elsewhere", 1) +
        "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nMoved down.\n",
        "block": base.replace(summary, "#+begin_example\n  inert\n#+end_example"),
    }
    expected = {}
    for n, text in enumerate(layouts.values(), start=101):
        path = folder / f"h.p.claude.{n}.org"
        path.write_bytes(text.replace("{n}", str(n)).encode())
        whole = layout.read_session(str(path), path.read_bytes().decode())
        expected[str(path)] = (whole.title, whole.summary)
    expected[str(folder / "h.p.claude.100.org")] = ("Mine", "Own\u200b summary, *bold*")
    out = run("status", "--json").stdout
    rows = json.loads(out)
    assert out == json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    got = {row["path"]: (row["title"], row["summary"]) for row in rows}
    assert got == expected
    assert got[str(folder / "h.p.claude.106.org")][1] == "  inert"


def test_the_first_list_reads_the_archives_in_two_processes_as_in_one(project: Path,
                                                                      run: Runner) -> None:
    """``list``'s first run over more archives than ``TWO_PROCESSES_FROM`` reads half of
    them in a second process on a machine of two processors: the same rows, in the same
    order, and the same index as one process reading them all (``taskset`` to one
    processor), and as the next run reading the index."""
    import os
    import shutil
    import subprocess

    import pytest

    from ai_protocols.storage.archive_index import TWO_PROCESSES_FROM

    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        pytest.skip("needs two processors and taskset")
    from test_archive_index import PAST_NS, add_archive, add_archives, archive_text

    add_archives(project, TWO_PROCESSES_FROM + 98)
    # a person's layout (its headline second), and a symbolic link (listed, never followed)
    add_archive(project, "2026-11-02-00-00-h.p.claude.2-mine.org",
                "* Notes\nmine\n" + archive_text(2, agent="h.p.claude.2"), PAST_NS)
    (project / ".ai/sessions/2026-11-03-00-00-h.p.claude.3-link.org").symlink_to(
        project / ".ai/sessions/2026-11-02-00-00-h.p.claude.2-mine.org")
    index = project / ".ai" / ".locks" / "sessions.index"

    def first(*prefix: str) -> tuple[str, bytes, int]:
        """The output and index of a first run, and how many processes it made (strace:
        the second process is made only by the way under test, so a test that passed
        with it never taken could not tell)."""
        index.unlink(missing_ok=True)
        trace = project.parent / "forks.trace"
        out = subprocess.run([*prefix, "strace", "-f", "-qq", "-o", str(trace), "-e",
                              "trace=fork,vfork,clone,clone3", str(CLI), "list", "--json"],
                             cwd=project, env=clean_env(), capture_output=True, text=True,
                             check=True, timeout=300).stdout
        made = sum(1 for line in trace.read_text().splitlines()
                   if "clone" in line or "fork(" in line)
        return out, index.read_bytes(), made

    if not shutil.which("strace"):
        pytest.fail("strace is not installed; scripts/test installs it")
    one = first("taskset", "-c", "0")
    two = first()
    assert two[:2] == one[:2]
    assert two[2] == one[2] + 1, (one[2], two[2])
    assert run("list", "--json").stdout == one[0]
    rows = json.loads(one[0])
    assert len(rows) == TWO_PROCESSES_FROM + 100 and rows[0]["path"] != rows[-1]["path"]
    assert len({row["path"] for row in rows}) == len(rows)

    # A warm run stats every archive (to see one a person changed in place): in two
    # processes too (sixteenth round), with the same answer, a change in either half seen.
    def warm(*prefix: str) -> tuple[str, int]:
        trace = project.parent / "forks.trace"
        out = subprocess.run([*prefix, "strace", "-f", "-qq", "-o", str(trace), "-e",
                              "trace=fork,vfork,clone,clone3", str(CLI), "list", "--json"],
                             cwd=project, env=clean_env(), capture_output=True, text=True,
                             check=True, timeout=300).stdout
        return out, sum(1 for line in trace.read_text().splitlines()
                        if "clone" in line or "fork(" in line)

    names = sorted(p.name for p in (project / ".ai/sessions").iterdir())
    for changed in (names[3], names[-3]):  # one in each half
        path = project / ".ai/sessions" / changed
        path.write_text(path.read_text().replace(":DESCRIPTION: ", ":DESCRIPTION: edited ", 1))
        os.utime(path, ns=(PAST_NS + 7, PAST_NS + 7))
        single = warm("taskset", "-c", "0")
        index.write_bytes(index.read_bytes())  # (the same index for the second run)
        path.write_text(path.read_text())
        os.utime(path, ns=(PAST_NS + 9, PAST_NS + 9))
        double = warm()
        assert double[0] == single[0] and double[1] == single[1] + 1, (single[1], double[1])
        assert "edited " in double[0]
