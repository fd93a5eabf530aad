"""Time zones, daylight-saving changes and clock steps never judge a session dead.

The Org timestamps stay the writer's local time (what a person reads in Emacs);
``UPDATED_AT`` records the same moment as an instant with its UTC offset, and
where it was measured (host, boot, seconds since boot). Real processes under
real settings: ``TZ`` for the zone, the Debian package ``faketime`` (libfaketime)
for a clock that is set elsewhere or stepped, ``unshare --uts`` for a writer on
another host (its own host name), as ``tests/test_agent_id.py`` does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.lean import replace
from ai_protocols.liveness.evidence import Owner

from conftest import CLI, Runner, clean_env

AGENT = "far.proj.claude.1700000000"
SET_HOST = ("import os, socket, sys; socket.sethostname(sys.argv[1]); "
            "os.execv(sys.argv[2], sys.argv[2:])")


def faketime() -> str:
    found = shutil.which("faketime")
    assert found, "the Debian package faketime is needed (scripts/test installs it)"
    return found


def cli(project: Path, *args: str, tz: str = "UTC", at: str | None = None,
        shift: str | None = None, host: str | None = None, agent: str | None = None,
        env: dict[str, str] | None = None, check: bool = True,
        ) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` under ``TZ=tz``; with ``at`` (``"2026-11-01 05:30:00 UTC"``)
    its clock starts at that moment, with ``shift`` (``"-3h"``) it runs that far from
    the real one (libfaketime; the boot clock, /proc/uptime, is the kernel's and stays
    true, as it does when a clock is stepped); with ``host`` it runs under that host
    name, as a process on another machine would."""
    argv = [str(CLI), *args]
    if at is not None:
        argv = [faketime(), at, *argv]
    elif shift is not None:
        argv = [faketime(), "-f", shift, *argv]
    if host is not None:
        argv = ["unshare", "--uts", sys.executable, "-c", SET_HOST, host, *argv]
    extra = {"TZ": tz, **(env or {})}
    if agent is not None:
        extra["AI_AGENT_ID"] = agent
    result = subprocess.run(argv, cwd=project, env=clean_env(**extra), capture_output=True,
                            text=True, timeout=60)
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def row_of(project: Path, agent: str | None, **kw: object) -> dict:
    rows = json.loads(cli(project, "status", "--json", **kw).stdout)  # type: ignore[arg-type]
    [row] = [r for r in rows if r["agent_id"] == agent]
    return row


def minutes_ago(project: Path, agent: str | None, **kw: object) -> int:
    """The N of ``updated N min ago`` that ``status`` prints for ``agent``'s file."""
    text = cli(project, "status", **kw).stdout  # type: ignore[arg-type]
    name = agent or "(no id)"
    found = re.search(rf"{re.escape(name)}  updated (-?\d+) min ago", text)
    assert found, text
    return int(found[1])


def prop(path: Path, key: str) -> str:
    found = re.search(rf"(?m)^:{key}:[ \t]+(.*)$", path.read_text())
    assert found, key
    return found[1]


def refused_to_archive(project: Path, target: str, path: Path, **kw: object) -> None:
    """``recover TARGET --archive`` without --force is refused (exit 11), nothing changed."""
    before = path.read_bytes()
    result = cli(project, "recover", target, "--archive", check=False, **kw)  # type: ignore[arg-type]
    assert result.returncode == 11, (result.stdout, result.stderr)
    assert path.read_bytes() == before


def _can_set_hostname() -> bool:
    probe = subprocess.run(["unshare", "--uts", sys.executable, "-c",
                            "import socket; socket.sethostname('probe.x')"],
                           capture_output=True, timeout=60) if shutil.which("unshare") else None
    return probe is not None and probe.returncode == 0


def another_host() -> None:
    """Fail, never skip, where a process cannot take a host name of its own."""
    assert _can_set_hostname(), ("these tests run a writer under another host name with "
                                 "unshare --uts, which needs root (or a user namespace)")


# -- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(("writer_tz", "reader_tz", "offset"), [
    ("Pacific/Kiritimati", "Pacific/Pago_Pago", "+14:00"),  # the writer 25 hours ahead
    ("Pacific/Pago_Pago", "Pacific/Kiritimati", "-11:00"),  # the writer 25 hours behind
], ids=["writer-ahead", "writer-behind"])
def test_another_time_zone_never_makes_a_session_abandoned(project: Path, writer_tz: str,
                                                           reader_tz: str, offset: str) -> None:
    """The case seen: a session updated seconds ago on a host in another zone read as
    ``abandoned, last updated 19 hours ago``, ``start`` offered it for recovery and
    ``recover --archive`` archived it without --force; the other way round, ages came
    out negative. Now its age is what it is, and it is left alone."""
    another_host()
    cli(project, "start", "--title", "Far away", tz=writer_tz, host="far-away", agent=AGENT)
    cli(project, "log", "--progress", "seconds ago", tz=writer_tz, host="far-away", agent=AGENT)
    path = project / ".ai/session-context.d" / f"{AGENT}.org"
    row = row_of(project, AGENT, tz=reader_tz)
    assert row["state"] == "unknown", row
    assert row["evidence"] == "it runs on another host, far-away"
    assert 0 <= row["age_seconds"] < 600, row
    assert 0 <= minutes_ago(project, AGENT, tz=reader_tz) < 10
    started = cli(project, "start", tz=reader_tz, agent="near.proj.claude.1700000001").stdout
    assert AGENT not in started  # not offered for recovery
    refused_to_archive(project, AGENT, path, tz=reader_tz)
    # What a person reads stays the writer's local time; the record says its offset.
    from ai_protocols.liveness.clock import Moment

    record = Moment.parse(prop(path, "UPDATED_AT"))
    assert record is not None and record.wall.isoformat().endswith(offset)
    assert prop(path, "UPDATED") == f"[{record.minute:%Y-%m-%d %a %H:%M}]"
    assert record.host == "far-away"
    assert row["updated_at"] == record.wall.isoformat()


# -- daylight-saving changes ----------------------------------------------------------------


@pytest.mark.parametrize(("written", "read", "minutes"), [
    # 01:59 EST, then 03:01 EDT: an hour and two minutes on the clock, two in fact.
    ("2026-03-08 06:59:00 UTC", "2026-03-08 07:01:00 UTC", 2),
    # 01:50 EDT, then 01:10 EST: forty minutes back on the clock, twenty on in fact.
    ("2026-11-01 05:50:00 UTC", "2026-11-01 06:10:00 UTC", 20),
], ids=["spring-forward", "fall-back"])
def test_a_daylight_saving_change_never_makes_a_session_abandoned(
        project: Path, written: str, read: str, minutes: int) -> None:
    """With the stale threshold at one hour, a session written two minutes before it is
    read is not abandoned because the clocks went forward an hour in between; and an
    age across the fall-back hour is never negative."""
    another_host()
    zone = "America/New_York"
    cli(project, "start", tz=zone, at=written, host="other-host", agent=AGENT)
    cli(project, "log", "--progress", "before the change", tz=zone, at=written,
        host="other-host", agent=AGENT)
    path = project / ".ai/session-context.d" / f"{AGENT}.org"
    stale = {"AI_PROTOCOLS_STALE_HOURS": "1"}
    row = row_of(project, AGENT, tz=zone, at=read, env=stale)
    assert row["state"] == "unknown", row
    assert minutes * 60 - 5 <= row["age_seconds"] < minutes * 60 + 60, row
    assert 0 <= minutes_ago(project, AGENT, tz=zone, at=read, env=stale) <= minutes + 1
    refused_to_archive(project, AGENT, path, tz=zone, at=read, env=stale)


def test_two_wrap_ups_in_a_repeated_hour_never_collide(project: Path) -> None:
    """01:30 comes twice on the night the clocks go back. Archive names are in UTC (the
    rule .ai/protocols.org states), so the two wrap-ups of one agent with one
    description get two names in the order they ended; ENDED stays local time."""
    zone = "America/New_York"
    archives = []
    for at in ("2026-11-01 05:30:00 UTC", "2026-11-01 06:30:00 UTC"):  # 01:30 EDT, 01:30 EST
        cli(project, "start", tz=zone, at=at, agent=AGENT)
        archives.append(Path(cli(project, "wrap-up", "Night shift", tz=zone, at=at,
                                 agent=AGENT).stdout.strip()))
    assert [a.name for a in archives] == [f"2026-11-01-05-30-{AGENT}-night-shift.org",
                                          f"2026-11-01-06-30-{AGENT}-night-shift.org"]
    assert [prop(a, "ENDED") for a in archives] == ["[2026-11-01 Sun 01:30]"] * 2
    listed = json.loads(cli(project, "list", "--json", tz=zone).stdout)
    assert [Path(r["path"]).name for r in listed] == [a.name for a in reversed(archives)]


# -- clock steps ----------------------------------------------------------------------------


@pytest.mark.parametrize("shift", ["-3h", "+3h"], ids=["behind", "ahead"])
def test_a_clock_step_never_makes_a_session_abandoned(project: Path, run: Runner,
                                                      shift: str) -> None:
    """The case seen: a clock stepped back made ``status`` say "updated 180 min ago"
    right after a write. A session a person started by hand (no owner recorded, so
    only its age can tell) is written to by a process whose clock is three hours off:
    read right after, it was written just now, and it is not abandoned (stale after 2
    hours) nor recoverable without --force."""
    run("start", "--title", "By hand")
    path = project / ".ai/session-context.org"
    path.write_text(re.sub(r"(?m)^:OWNER:.*\n", "", path.read_text()))
    cli(project, "log", "--progress", "just now", shift=shift)
    stale = {"AI_PROTOCOLS_STALE_HOURS": "2"}
    row = row_of(project, None, env=stale)
    assert row["state"] == "unknown", row
    assert 0 <= row["age_seconds"] < 600, row
    assert 0 <= minutes_ago(project, None, env=stale) < 10
    refused_to_archive(project, str(path), path, env=stale)


def test_a_clock_step_does_not_make_a_running_owner_look_gone(project: Path,
                                                              run: Runner) -> None:
    """A process's start time in seconds is the kernel's boot time plus its ticks since
    boot, and a step of the wall clock moves the boot time: after a step of three
    hours, a running owner's start reads three hours off what start recorded, and it
    was judged gone (crashed: recoverable without --force, taken over by start).
    The file below is the file as such a step leaves it (no program can step this
    machine's clock in a test): its owner, this test process, still runs."""
    run("start", agent=AGENT)
    path = project / ".ai/session-context.d" / f"{AGENT}.org"
    owner = Owner.parse(prop(path, "OWNER"))
    assert owner is not None and owner.started and owner.since_boot
    stepped = replace(owner, started=f"{float(owner.started) + 3 * 3600:.2f}")
    path.write_text(re.sub(r"(?m)^:OWNER:.*$", f":OWNER:    {stepped.to_property()}",
                           path.read_text()))
    row = row_of(project, AGENT)
    assert (row["state"], row["evidence"]) == (
        "live", f"its owner, process {os.getpid()}, is running"), row
    refused_to_archive(project, AGENT, path)
    assert "This session already started" in run("start", agent=AGENT).stdout


# -- the rule, for any zones and any instants -------------------------------------------------

ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York",
         "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns"]


@settings(max_examples=300, deadline=None)
@given(writer=st.sampled_from(ZONES), reader=st.sampled_from(ZONES),
       instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1),
                            timezones=st.just(timezone.utc)),
       seconds=st.integers(-10 * 86400, 10 * 86400))
def test_the_age_of_a_write_is_the_same_in_every_zone(writer: str, reader: str,
                                                      instant: datetime, seconds: int) -> None:
    """Whatever zone wrote the record and whatever zone reads it, across any
    daylight-saving change, the age is the time between the two instants, and zero
    when the reader's clock is behind the writer's."""
    from ai_protocols.liveness.clock import Moment, age_since

    instant = instant.replace(microsecond=0)
    wall = instant.astimezone(ZoneInfo(writer))
    record = Moment(wall).to_property()  # an instant, not measured here: no boot part
    updated = wall.replace(tzinfo=None, second=0)
    now = (instant + timedelta(seconds=seconds)).astimezone(ZoneInfo(reader))
    assert age_since(updated, record, now) == timedelta(seconds=max(seconds, 0))
    # A record that does not agree with UPDATED (an older version wrote UPDATED
    # alone, or a person edited it) is not believed: UPDATED is read as it is.
    other = updated - timedelta(minutes=5)
    naive = now.replace(tzinfo=None)
    assert age_since(other, record, now) == max(naive - other, timedelta(0))
