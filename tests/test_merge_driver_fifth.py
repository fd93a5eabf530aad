"""The session merge driver, fourth review (issue 14 point 4): real instants decide,
the status is one unit, notes under one item merge into it, entries keep their order.

Real clones of a bare repository (tests/test_merge_driver.py's ``Clones``), each
written by the installed CLI (in the time zone the test gives it, ``TZ``), merged by
a real ``git merge`` that runs the installed driver; real Emacs judges each merged
file. Every case is also merged in-process both ways (which side is ours), and
must give the same bytes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import CONTEXT, Clones, git, judge

from ai_protocols import LogEntry, Project
from ai_protocols.liveness.clock import Moment
from ai_protocols.session.merge import merge_properties, merge_record_of, merge_session_bytes

from conftest import Runner, as_last_written

TOKYO, LOS_ANGELES = "Asia/Tokyo", "America/Los_Angeles"


@pytest.fixture
def clones(tmp_path: Path) -> Clones:
    return Clones(tmp_path.resolve())


def _both_ways(base: bytes, ours: bytes, theirs: bytes) -> bytes:
    """The in-process merge of the three, checked to be the same whichever side is ours
    and clean."""
    results = [merge_session_bytes(base, ours, theirs), merge_session_bytes(base, theirs, ours)]
    assert all(r is not None and not r.conflicts for r in results)
    assert results[0].data == results[1].data  # type: ignore[union-attr]
    return results[0].data  # type: ignore[union-attr]


def _property(data: bytes, key: str) -> str | None:
    found = re.search(rf"^:{key}:[ \t]*(.*)$", data.decode(), re.M)
    return found.group(1).strip() if found else None


def _merge(clones: Clones) -> tuple[bytes, bytes, bytes, bytes]:
    """``two`` into ``one`` with a real ``git merge``: the base, ours, theirs (before)
    and the merged file; checked clean, judged by Emacs, the same both ways."""
    base = git(clones.one, "show", f"HEAD~1:{CONTEXT}").stdout.encode()
    ours, theirs = (clones.one / CONTEXT).read_bytes(), (clones.two / CONTEXT).read_bytes()
    saved = clones.one.parent / "ours.org"
    saved.write_bytes(ours)
    done = clones.merge_two_into_one()
    assert done.returncode == 0, done.stdout + done.stderr
    merged = (clones.one / CONTEXT).read_bytes()
    judge(saved, clones.two / CONTEXT, clones.one / CONTEXT)
    assert _both_ways(base, ours, theirs) == merged
    return base, ours, theirs, merged


def test_the_side_that_wrote_last_by_real_time_wins_across_time_zones(clones: Clones) -> None:
    """Fourth review, fault 3: clone one (Tokyo) sets the objective, then clone two (Los
    Angeles) does, later in real time but hours "earlier" on its clock. Two's objective,
    UPDATED and UPDATED_AT win (the side updated last), whichever side is ours."""
    one, two = Runner(clones.one), Runner(clones.two)
    one("start", "--objective", "One's objective (earlier, Tokyo)", env={"TZ": TOKYO})
    clones.commit(clones.one, "one")
    two("start", "--objective", "Two's objective (later, Los Angeles)",
        env={"TZ": LOS_ANGELES})
    clones.commit(clones.two, "two")
    _base, _ours, theirs, merged = _merge(clones)
    assert _property(merged, "OBJECTIVE") == "Two's objective (later, Los Angeles)"
    assert _property(merged, "UPDATED") == _property(theirs, "UPDATED")
    _assert_record_of(merged, theirs)


def _assert_record_of(merged: bytes, side: bytes) -> None:
    """``merged`` carries ``side``'s write record: as it is, or the merge's own made from
    it (a clean merge that differs from the side whose record it keeps: twenty-fourth
    round, docs/decisions.md), and then not as it is."""
    record, kept = _property(merged, "UPDATED_AT"), _property(side, "UPDATED_AT")
    assert record is not None and kept is not None
    assert merge_record_of(record, kept), (record, kept)
    assert (record == kept) == (merged == side), (record, kept)


def test_the_later_checkpoint_by_real_time_wins_and_the_log_is_in_real_time_order(
        clones: Clones) -> None:
    """Fourth review, fault 3: one (Tokyo) checkpoints, then two (UTC). Two's checkpoint
    record wins, and the Log lists one's checkpoint line before two's."""
    one, two = Runner(clones.one), Runner(clones.two)
    (clones.one / "a.txt").write_text("a\n")
    one("checkpoint", "--note", "one, earlier", env={"TZ": TOKYO})
    clones.commit(clones.one, "one")
    (clones.two / "b.txt").write_text("b\n")
    two("checkpoint", "--note", "two, later", env={"TZ": "UTC"})
    clones.commit(clones.two, "two")
    _base, _ours, theirs, merged = _merge(clones)
    for key in ("CHECKPOINT", "CHECKPOINT_COMMIT", "CHECKPOINT_BASE", "CHECKPOINT_FILES"):
        assert _property(merged, key) == _property(theirs, key), key
    text = merged.decode()
    assert text.index("): one, earlier") < text.index("): two, later")


def test_a_pause_after_the_other_sides_resume_stays_paused_and_whole(clones: Clones) -> None:
    """Fourth review, fault 4: from a paused base, two resumes and works; one resumes,
    works and pauses again, later. The merge is one's pause, all of it (STATUS,
    PAUSED, PAUSE_NOTE), and in the other order (one pauses first, two resumes later)
    an active session without pause fields."""
    one, two = Runner(clones.one), Runner(clones.two)
    one("pause", "--no-checkpoint", "--note", "base pause")
    clones.commit(clones.one, "paused")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    two("start")
    two("log", "--progress", "Two resumed work")
    clones.commit(clones.two, "two")
    one("start")
    one("log", "--progress", "One more")
    one("pause", "--no-checkpoint", "--note", "One paused at the end")
    clones.commit(clones.one, "one")
    _base, ours, _theirs, merged = _merge(clones)
    assert _property(merged, "STATUS") == "paused"
    assert _property(merged, "PAUSE_NOTE") == "One paused at the end"
    assert _property(merged, "PAUSED") == _property(ours, "PAUSED")
    assert "paused" in one("status").stdout
    # The other order: the pause first, the resume last: active, no pause fields.
    git(clones.one, "reset", "-q", "--hard", "HEAD~1")  # ours again, before the merge
    two("log", "--progress", "Two works on, later")  # two: active, updated last
    clones.commit(clones.two, "two again")
    base = git(clones.one, "merge-base", "HEAD", "origin/main").stdout.strip()
    base_bytes = git(clones.one, "show", f"{base}:{CONTEXT}").stdout.encode()
    again = _both_ways(base_bytes, (clones.one / CONTEXT).read_bytes(),
                       (clones.two / CONTEXT).read_bytes())
    assert _property(again, "STATUS") == "active"
    assert _property(again, "PAUSED") is None and _property(again, "PAUSE_NOTE") is None


def test_a_note_under_one_item_on_each_side_is_one_item_with_both_notes(
        clones: Clones) -> None:
    """Fourth review, fault 5: a person on each clone types a note under the same next
    step. One item, with both notes, and ``log --done`` finds it."""
    one = Runner(clones.one)
    for clone, note in ((clones.two, b"  Bob: check the Windows build too.\n"),
                        (clones.one, b"  Alice: the fixture is in tests/data.\n")):
        path = clone / CONTEXT
        path.write_bytes(path.read_bytes().replace(b"] Write the tests\n",
                                                   b"] Write the tests\n" + note))
        clones.commit(clone, "a note")
    _base, _ours, _theirs, merged = _merge(clones)
    text = merged.decode()
    assert text.count("] Write the tests\n") == 1
    item = re.search(r"\] Write the tests\n((?:  .*\n)+)", text)
    assert item is not None
    assert sorted(item.group(1).splitlines()) == [
        "  Alice: the fixture is in tests/data.", "  Bob: check the Windows build too."]
    one("log", "--done", "Write the tests")


def test_two_changes_to_the_same_note_line_are_a_conflict_on_that_line_only(
        tmp_path: Path) -> None:
    """Where both sides changed the same line under one item, the conflict markers hold
    just that line; the item and every other entry stay outside them."""
    project = Project(tmp_path)
    (tmp_path / ".ai").mkdir()
    when = datetime(2026, 11, 21, 10, 0)
    project.start("Notes", now=when)
    project.log(LogEntry("next", "Ship it"), now=when)
    path = project.path_of(None)
    path.write_bytes(path.read_bytes().replace(b"] Ship it\n", b"] Ship it\n  Note: draft\n"))
    base = path.read_bytes()
    ours = base.replace(b"Note: draft", b"Note: ours")
    theirs = base.replace(b"Note: draft", b"Note: theirs")
    result = merge_session_bytes(base, ours, theirs)
    assert result is not None and result.conflicts
    text = result.data.decode()
    assert text.count("] Ship it\n") == 1
    assert re.search(r"\] Ship it\n<<<<<<< ours\n  Note: ours\n=======\n  Note: theirs\n"
                     r">>>>>>> theirs\n", text), text


def test_same_minute_items_neither_side_moved_keep_their_order(clones: Clones) -> None:
    """Fourth review, fault 12: "write tests" then "deploy", logged in one minute; two
    (a person) adds a note under the first and ticks the second, one ticks the first.
    They stay in that order."""
    one = Runner(clones.one)
    one("log", "--next", "write tests", "--next", "deploy")
    clones.commit(clones.one, "steps")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    path = clones.two / CONTEXT
    data = path.read_bytes().replace(b"] write tests\n",
                                     b"] write tests\n  Bob: use pytest, not unittest.\n")
    data = re.sub(rb"- \[ \] (\[[^]]+\] deploy\n)", rb"- [X] \1", data)
    path.write_bytes(data)
    clones.commit(clones.two, "two")
    one("log", "--done", "write tests")
    clones.commit(clones.one, "one")
    _base, _ours, _theirs, merged = _merge(clones)
    text = merged.decode()
    assert re.search(r"- \[X\] \[[^]]+\] write tests\n  Bob: use pytest, not unittest.\n"
                     r"- \[X\] \[[^]]+\] deploy\n", text), text


def _written(at: datetime, zone: timezone) -> Moment:
    """``at`` as a write in ``zone`` records it (``UPDATED_AT`` with that offset)."""
    return Moment(at.astimezone(zone), measured=True)


ZONES = st.sampled_from([timezone(timedelta(hours=h)) for h in (-8, -5, 0, 1, 9, 13)])


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone_ours=ZONES, zone_theirs=ZONES, ours_at=st.lists(st.integers(0, 120), max_size=4),
       theirs_at=st.lists(st.integers(0, 120), max_size=4))
def test_entries_of_two_zones_merge_in_real_time_order_whichever_side_is_ours(
        tmp_path_factory: pytest.TempPathFactory, zone_ours: timezone, zone_theirs: timezone,
        ours_at: list[int], theirs_at: list[int]) -> None:
    """Two sides in generated time zones log at generated instants (minutes after a
    common base): the merged Log and Progress hold every entry once, in the order of
    their real instants (the same minute: the side updated last after the other), and
    the side whose last write is later in real time gives UPDATED_AT; the same bytes
    whichever side is ours."""
    root = tmp_path_factory.mktemp("zones")
    (root / ".ai").mkdir()
    project = Project(root)
    start = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    project.start("Zones", now=start)
    project.log(LogEntry("progress", "base"), now=start)
    path = project.path_of(None)
    base = path.read_bytes()
    sides = []
    instants: dict[str, datetime] = {}
    for who, zone, minutes in (("ours", zone_ours, ours_at), ("theirs", zone_theirs, theirs_at)):
        path.write_bytes(base)
        as_last_written(root, path)  # (each side starts from the base)
        for n, minute in enumerate(sorted(minutes)):
            at = (start + timedelta(minutes=1 + minute, seconds=7 if who == "ours" else 11))
            instants[f"{who} {n}"] = at
            project.log(LogEntry("progress", f"{who} {n}"), now=_written(at, zone))
        project.log(LogEntry("discovery", f"last of {who}"),
                    now=_written(start + timedelta(minutes=200, seconds=len(sides)), zone))
        sides.append(path.read_bytes())
    merged = _both_ways(base, *sides).decode()
    _assert_record_of(merged.encode(), sides[1])
    progress = re.findall(r"^- \[.\] \[[^]]+\] ((?:ours|theirs) \d)$", merged, re.M)
    assert sorted(progress) == sorted(instants)
    # the same minute: theirs (updated last, one second later) after ours
    assert progress == sorted(progress, key=lambda name: (
        instants[name].replace(second=0), name.startswith("theirs"), name))


def test_the_status_unit_rule() -> None:
    """STATUS with its pause, exit and close fields, as one unit, whichever side is
    ours: the side updated last; a closed session stays closed; a pause against an
    exit record stays paused (a pause outlives its agent)."""
    base = {"STATUS": "paused", "PAUSED": "[2026-11-21 Sat 10:00]", "PAUSE_NOTE": "base"}
    resumed = {"STATUS": "active", "OWNER": "b"}
    paused = {"STATUS": "paused", "PAUSED": "[2026-11-21 Sat 11:00]", "PAUSE_NOTE": "again"}
    ended = {"STATUS": "ended", "EXIT": "exit status 0", "EXITED": "[2026-11-21 Sat 12:00]"}
    wrapped = {"STATUS": "wrapped-up", "ENDED": "[2026-11-21 Sat 09:00]",
               "DESCRIPTION": "done"}
    unit = ("STATUS", "PAUSED", "PAUSE_NOTE", "EXIT", "EXITED", "ENDED", "DESCRIPTION")

    def merged(ours: dict[str, str], theirs: dict[str, str], ours_first: bool,
               start: dict[str, str] = base) -> dict[str, str | None]:
        one = merge_properties(start, ours, theirs, ours_first=ours_first).values
        other = merge_properties(start, theirs, ours, ours_first=not ours_first).values
        assert one == other  # the same whichever side is ours
        return {k: one.get(k) for k in unit}

    def whole(side: dict[str, str]) -> dict[str, str | None]:
        return {k: side.get(k) for k in unit}

    assert merged(paused, resumed, True) == whole(paused)  # paused last: paused
    repaused = {**paused, "PAUSE_NOTE": "once more"}
    assert merged(paused, repaused, True) == whole(paused)  # both paused: the last
    assert merged(paused, repaused, False) == whole(repaused)
    assert merged(paused, resumed, False) == whole(resumed)  # resumed last: active
    for first in (True, False):
        assert merged(wrapped, paused, first) == whole(wrapped)
        assert merged(paused, ended, first, {"STATUS": "active"}) == whole(paused)
