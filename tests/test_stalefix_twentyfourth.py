"""A merge's own write record is the git merge driver's alone (twenty-fourth round;
docs/decisions.md, "Twenty-fourth round: a merge's own record, the driver's alone").

The twenty-third round gave every clean structural merge a record of its own
(``merge.merged_record``) when it differs from the side whose record it keeps; that
reached ``merge-kept`` and the put-back merges (which write their result as the tool's
own write) and merges of two person's edits that both carry the base's record, and ten
older tests failed. Now: only the driver's merge (``own_record``), only over a record
other than the base's; ``merge_record_of`` tells a merge's record from the one it was
made from. The real-clone cases (a deletion after a pull stays deleted) are
tests/test_stalefix_twentythird.py; the older tests it broke pass again.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols import LogEntry, Project
from ai_protocols.liveness.clock import Moment
from ai_protocols.session.merge import (
    merge_diverged_bytes,
    merge_record_of,
    merge_session_bytes,
    merged_record,
)

from conftest import as_last_written

_INSTANT = st.builds(
    lambda day, second, hours: datetime(2026, 11, day, tzinfo=timezone(timedelta(
        hours=hours))) + timedelta(seconds=second),
    st.integers(1, 28), st.integers(0, 86399), st.integers(-11, 13))
_UPTIME = st.one_of(st.integers(0, 10**7).map(str),
                    st.tuples(st.integers(0, 10**7), st.integers(0, 99)).map(
                        lambda t: f"{t[0]}.{t[1]:02d}"))
RECORDS = st.one_of(
    _INSTANT.map(lambda at: at.isoformat()),
    st.builds(lambda at, host, boot, up: f"{at.isoformat()} {host} {boot} {up}",
              _INSTANT, st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
              st.from_regex(r"[0-9a-f]{8}", fullmatch=True), _UPTIME))
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n:"),
               max_size=40)


def _file(record: str, body: str) -> bytes:
    return f"* S\n:PROPERTIES:\n:UPDATED_AT: {record}\n:END:\n{body}\n".encode()


def _record(data: bytes) -> str:
    found = re.search(rb"^:UPDATED_AT:[ \t]*(.*)$", data, re.M)
    assert found is not None, data
    return found.group(1).decode().strip()


@settings(max_examples=200, deadline=None)
@given(kept=RECORDS, based=st.one_of(st.none(), RECORDS), side=TEXT, merged=TEXT)
def test_a_merge_record_is_made_from_the_kept_one_and_told_from_it(
        kept: str, based: str | None, side: str, merged: str) -> None:
    """For generated records and texts: a merge that differs from the side carrying a
    record other than the base's gets a record of its own, the same for the same
    bytes, not the kept one, told by ``merge_record_of`` as made from it (and the kept
    one not as made from it), ordered not before it, after it where the seconds since
    boot are written; no record of its own over the base's record or over the same
    bytes (``based`` ``None``: the base carries the kept record)."""
    based = kept if based is None else based
    mine, result = _file(kept, "side " + side), _file(kept, "merged " + merged)
    base = _file(based, "base")
    own = merged_record(result, base, mine)
    if based == kept:
        assert own == result
        return
    assert own == merged_record(result, base, _file(kept, "other " + side), mine)
    record = _record(own)
    assert record != kept
    assert merge_record_of(record, kept) and merge_record_of(kept, kept)
    assert not merge_record_of(kept, record)
    order = Moment.parse(record).order(Moment.parse(kept))  # type: ignore[union-attr]
    assert order >= Moment.parse(kept).order(Moment.parse(kept))  # type: ignore[union-attr]
    if len(kept.split(" ")) == 4:
        assert order > Moment.parse(kept).order(Moment.parse(kept))  # type: ignore[union-attr]
    assert merged_record(mine, base, mine) == mine  # (the same bytes: its record)
    assert merge_record_of(_record(merged_record(own, base, own + b"x")), kept)


@pytest.fixture
def sides(tmp_path: Path) -> tuple[bytes, bytes, bytes]:
    """A base, ours and theirs of one session, each side a write of the tool since the
    base (theirs the later), each with an entry of its own."""
    (tmp_path / ".ai").mkdir()
    project = Project(tmp_path)
    start = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    project.start("Own record", now=Moment(start, measured=True))
    project.log(LogEntry("progress", "base"), now=Moment(start, measured=True))
    path = project.path_of(None)
    base = path.read_bytes()
    written = []
    for minutes, name in ((5, "ours"), (9, "theirs")):
        path.write_bytes(base)
        as_last_written(tmp_path, path)
        project.log(LogEntry("progress", name),
                    now=Moment(start + timedelta(minutes=minutes), measured=True))
        written.append(path.read_bytes())
    return base, written[0], written[1]


def test_only_the_drivers_merge_gets_a_record_of_its_own(
        sides: tuple[bytes, bytes, bytes]) -> None:
    """The driver's merge (the default) of two tool writes carries a record made from the
    later side's; the same merge for the tool's own write (``own_record=False``) and
    ``merge-kept``'s (``merge_diverged_bytes``) carry that side's record as it is."""
    base, ours, theirs = sides
    driver = merge_session_bytes(base, ours, theirs)
    tools = merge_session_bytes(base, ours, theirs, own_record=False)
    assert driver is not None and tools is not None
    assert not driver.conflicts and not tools.conflicts
    assert _record(driver.data) != _record(theirs)
    assert merge_record_of(_record(driver.data), _record(theirs))
    assert _record(tools.data) == _record(theirs)
    assert driver.data.replace(_record(driver.data).encode(),
                               _record(theirs).encode()) == tools.data
    kept = merge_diverged_bytes(ours, theirs, base)
    assert kept is not None and _record(kept.data) in (_record(ours), _record(theirs))
