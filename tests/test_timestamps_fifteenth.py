"""A timestamp a person typed, read without orgparse (fifteenth review of issue 16, f6;
docs/decisions.md, "Issue 16, fifteenth round (timestamps a person types)").

Seen: one ``:UPDATED: <2026-12-01 Tue 07:31>`` in another agent's session file, as
Emacs's ``C-u C-c .`` writes it, made ``resume``, ``start``, ``status --json``, ``list
--json`` and the SessionStart hook of every agent import orgparse, and with it ``re``,
``pathlib`` and ``typing``: ``resume`` went from 52 to 102 ms of CPU. The whole values a
person most often types (an active timestamp with a time; a date alone, active or
inactive) are now read by their positions, as the tool's own are; orgparse still reads
every other form, and reads these the same (the property below).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fast_path import HOT_NEVER, imported

from ai_protocols.org.syntax import parse_timestamp

from conftest import Runner

_DIGIT = st.sampled_from("0123456789")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(_DIGIT, min_size=n, max_size=n)


_STAMP = st.builds(
    lambda brackets, year, month, day, name, time, space:
        f"{space}{brackets[0]}{year}-{month}-{day} {name}{time}{brackets[1]}{space}",
    st.sampled_from(["<>", "[]", "<]", "[>"]), _digits(4),
    st.sampled_from(["01", "02", "09", "12", "13", "00"]) | _digits(2),
    st.sampled_from(["01", "28", "29", "30", "31", "00"]) | _digits(2),
    st.sampled_from(["Tue", "tue", "Xyz", "Mon", "Di.", "mar", "Sun"]),
    st.sampled_from(["", " 07:31", " 00:00", " 23:59", " 24:00", " 12:60", " 7:31"])
    | st.builds(lambda h, m: f" {h}:{m}", _digits(2), _digits(2)),
    st.sampled_from(["", " ", "\t"]))


@given(stamp=_STAMP)
def test_the_typed_forms_read_as_orgparse_reads_them(stamp: str) -> None:
    """``x STAMP`` is never a whole timestamp, so orgparse reads it; ``STAMP`` alone
    takes the positions' way when it has one of the typed shapes. Both give the same
    moment (or both none)."""
    assert parse_timestamp(stamp) == parse_timestamp("x " + stamp)


#: orgparse and what it brings, which no hot command needs for a person's timestamps.
ORGPARSE = {"orgparse", "orgparse.date", "orgparse.node", "re", "pathlib", "typing"}
STAMPS = ["<2026-12-01 Tue 07:31>", "<2026-12-01 Tue>", "[2026-12-01 Tue]"]


@pytest.mark.parametrize("stamp", STAMPS)
def test_a_persons_timestamp_in_another_agents_file_imports_no_orgparse(
        project: Path, run: Runner, stamp: str) -> None:
    run("start", agent="vm.mine.claude.1796000001")
    run("start", agent="vm.other.claude.1796000002")
    other = project / ".ai" / "session-context.d" / "vm.other.claude.1796000002.org"
    text = other.read_text()
    at = text.index(":UPDATED:")
    other.write_text(text[:at] + f":UPDATED: {stamp}" + text[text.index("\n", at):])
    me = {"AI_AGENT_ID": "vm.mine.claude.1796000001"}
    payload = json.dumps({"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f",
                          "cwd": str(project), "hook_event_name": "SessionStart",
                          "source": "resume"})
    for args, stdin in ((["resume"], ""), (["start"], ""), (["status", "--json"], ""),
                        (["list", "--json"], ""),
                        (["hook", "SessionStart", "--runtime", "claude"], payload)):
        found = imported(project, *args, stdin=stdin, **me)
        # (JSON's writers import json, and json imports re: allowed them, as test_fast_path)
        forbidden = (ORGPARSE | HOT_NEVER) - ({"re"} if "--json" in args else set())
        assert found & forbidden == set(), (args, found & forbidden)
    shown = json.loads(run("status", "--json", agent="vm.mine.claude.1796000001").stdout)
    row = next(row for row in shown if row["agent_id"] == "vm.other.claude.1796000002")
    assert row["updated"] == ("2026-12-01T07:31" if "07:31" in stamp else "2026-12-01T00:00")
