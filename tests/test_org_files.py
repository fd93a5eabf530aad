"""What the library writes and reads, against golden Org files, and surgical edits.

The golden files were written by hand from the layout in .ai/protocols.org,
not produced by the code they check.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols import LogEntry, Project, read_session
from ai_protocols.org.file import OrgFile
from ai_protocols.session.layout import new_session_text

GOLDEN = Path(__file__).parent / "golden"
AGENT = "velox.proj.claude.1718400000"
T0 = datetime(2026, 11, 21, 10, 2)
T1 = datetime(2026, 11, 22, 9, 5)
T2 = datetime(2026, 11, 23, 14, 30)


@pytest.mark.parametrize("org", sorted((GOLDEN / "read").glob("*.org")), ids=lambda p: p.stem)
def test_reading_golden_files(org: Path) -> None:
    expected = json.loads(org.with_suffix(".json").read_text())
    got = read_session(org, org.read_bytes().decode("utf-8")).to_json()
    assert {key: got[key] for key in expected} == expected


def fresh(root: Path, agent: str | None = AGENT) -> Project:
    project = Project(root, agent)
    project.path.parent.mkdir(parents=True)
    project.path.write_text(new_session_text(agent_id=agent, host="velox",
                                             title="Fix the sweep", now=T0, session_id="5c1e09a2"))
    return project


def test_fresh_file_is_golden(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    assert project.path.read_text() == (GOLDEN / "write/fresh.org").read_text()


def test_logged_file_is_golden(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    project.log(
        LogEntry("progress", "Found the off-by-one"),
        LogEntry("decision", "Iterate in reverse",
                 rationale="Deleting while iterating forward\n* skips items"),
        LogEntry("discovery", "#+TITLE: looks like a keyword"),
        LogEntry("blocker", "term :: definition stays text"),
        LogEntry("next", "Add the regression test"),
        now=T1,
    )
    project.log(LogEntry("done", "off-by-one"), LogEntry("summary", "Sweep fixed; tests next"),
                now=T2)
    assert project.path.read_text() == (GOLDEN / "write/after-log.org").read_text()


def changed_lines(before: str, after: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Lines inserted and (old, new) line pairs replaced; fails on any deletion."""
    old, new = before.split("\n"), after.split("\n")
    inserted: list[str] = []
    replaced: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False)\
            .get_opcodes():
        if tag == "insert":
            inserted += new[j1:j2]
        elif tag == "replace":
            assert i2 - i1 == j2 - j1, f"lines rewritten: {old[i1:i2]} -> {new[j1:j2]}"
            replaced += list(zip(old[i1:i2], new[j1:j2], strict=True))
        elif tag == "delete":
            raise AssertionError(f"lines deleted: {old[i1:i2]}")
    return inserted, replaced


def test_log_is_surgical_in_a_person_edited_file(tmp_path: Path) -> None:
    project = Project(tmp_path, AGENT)
    project.path.parent.mkdir(parents=True)
    source = (GOLDEN / "read/person-edited.org").read_text()
    project.path.write_text(source)
    project.log(LogEntry("progress", "Ported the parser"), LogEntry("blocker", "No tests"),
                LogEntry("discovery", "Found a quirk"), now=T2)
    after = project.path.read_text()
    inserted, replaced = changed_lines(source, after)
    assert replaced == [(":UPDATED:  [2026-11-20 Fri 11:40]", ":UPDATED:  [2026-11-23 Mon 14:30]")]
    stamp = "[2026-11-23 Mon 14:30]"
    assert f"- [ ] {stamp} Ported the parser" in inserted
    assert f"- {stamp} No tests" in inserted
    assert f"- {stamp} Found a quirk" in inserted
    # Each entry lands in its own section wherever the person moved or renamed it.
    sections = re.split(r"^\*+ ", after, flags=re.M)
    by_title = {s.split("\n", 1)[0]: s for s in sections}
    assert "Ported the parser" in by_title["progress"]
    assert "No tests" in by_title["WAIT Open problems [1/2]                                    "
                                  "      :urgent:"]
    # The person had no Discoveries section: it is added inside the session subtree.
    assert after.index("** Discoveries") < after.index("* A top-level heading")
    assert "Found a quirk" in by_title["Discoveries"]
    session = read_session(project.path, after)
    assert [e.text for e in session.discoveries] == ["Found a quirk"]


def test_done_and_summary_touch_only_their_lines(tmp_path: Path) -> None:
    project = Project(tmp_path, AGENT)
    project.path.parent.mkdir(parents=True)
    source = (GOLDEN / "read/person-edited.org").read_text()
    project.path.write_text(source)
    project.log(LogEntry("done", "Handle tabs"), LogEntry("summary", "All ported"), now=T2)
    _, replaced = changed_lines(source, project.path.read_text())
    assert sorted(replaced) == sorted([
        (":UPDATED:  [2026-11-20 Fri 11:40]", ":UPDATED:  [2026-11-23 Mon 14:30]"),
        ("- [ ] [2026-11-20 Fri 10:00] Handle tabs", "- [X] [2026-11-20 Fri 10:00] Handle tabs"),
        ("Parser half ported; tabs remain.", "All ported"),
    ])
    assert "A person's paragraph after the summary." in project.path.read_text()


def test_crlf_bom_and_no_final_newline_are_kept(tmp_path: Path) -> None:
    source = (GOLDEN / "read/crlf-bom-wrapped.org").read_bytes()
    text = source.decode().replace(":STATUS:   wrapped-up", ":STATUS:   active")
    project = Project(tmp_path)
    project.path.parent.mkdir(parents=True)
    project.path.write_bytes(text.encode())
    project.log(LogEntry("progress", "More"), now=T2)
    after = project.path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf#+TITLE: Session\r\n")
    assert b"- [ ] [2026-11-23 Mon 14:30] More\r\n" in after
    assert not after.endswith(b"\n"), "nothing was appended after the last line"
    project.log(LogEntry("summary", "Tidied"), now=T2)  # the Log, at the end, gets a line
    after = project.path.read_bytes()
    assert after.endswith(b"\r\n- [2026-11-23 Mon 14:30] summary: updated\r\n")
    # The last line had no ending; it gets one only because a line now follows it.
    assert after.replace(b"\r\n", b"") .count(b"\n") == 0
    assert after.decode().startswith(text[: text.index(":UPDATED:")])


@st.composite
def logged_text(draw: st.DrawFn) -> str:
    specials = ["*", "** ", "* x", "#+BEGIN_SRC sh", "#+TITLE: t", ":PROPERTIES:", ":END:",
                "| a | b |", "-----", "[fn:1] note", "#+end_example", ",#+end_example",
                ",* x", "- [ ] box", "  indented", "\t", "\r", " :: ", "CLOCK: [2026-01-01]"]
    parts = draw(st.lists(st.one_of(st.sampled_from(specials), st.text(max_size=30)),
                          min_size=1, max_size=8))
    joiner = draw(st.sampled_from(["\n", "", " "]))
    text = joiner.join(parts).replace("\x00", "")
    if not text.strip():
        text = "x" + text
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(text=logged_text(), kind=st.sampled_from(["progress", "discovery", "blocker", "next"]))
def test_logged_text_reads_back_and_stays_text(tmp_path: Path, text: str, kind: str) -> None:
    project = fresh(Path(tempfile.mkdtemp(dir=tmp_path)))
    before = OrgFile(project.path.read_bytes().decode())
    project.log(LogEntry(kind, text), now=T1)  # type: ignore[arg-type]
    written = project.path.read_bytes().decode()  # not read_text: keep every "\r"
    after = OrgFile(written)
    # No new headline, and every old one keeps its title and drawer (but UPDATED).
    def outline(doc: OrgFile) -> list[tuple[int, str, dict[str, str]]]:
        return [(h.level, h.title, {k: v for k, v in h.properties.items() if k != "UPDATED"})
                for h in doc.headlines]

    assert outline(after) == outline(before)
    session = read_session(project.path, written)
    bucket = {"progress": session.progress, "discovery": session.discoveries,
              "blocker": session.blockers, "next": session.next_steps}[kind]
    assert [e.text for e in bucket] == [text]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(summary=logged_text(), rationale=logged_text())
def test_summary_and_rationale_read_back(tmp_path: Path, summary: str, rationale: str) -> None:
    project = fresh(Path(tempfile.mkdtemp(dir=tmp_path)))
    project.log(LogEntry("decision", "d", rationale=rationale), now=T1)
    project.log(LogEntry("summary", summary), now=T1)
    session = project.show()
    assert session.decisions[0].rationale == rationale
    assert session.summary == summary
    project.log(LogEntry("summary", "replaced"), now=T2)
    assert project.show().summary == "replaced"
    assert project.show().decisions[0].rationale == rationale
