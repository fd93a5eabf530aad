"""When a write happened, recorded so that no time zone, daylight-saving change or
clock step can mislead whoever reads it, and how long ago that was.

The Org timestamps of a session file (``UPDATED``, ``STARTED``, every entry's
stamp) are what a person reads in Emacs: the writer's local time, to the
minute, without a zone (Org's timestamp syntax has none). Read on a host in
another zone, after a daylight-saving change, or after the clock was stepped,
such a time says nothing reliable about how long ago the write was. So every
write also records, in the ``UPDATED_AT`` property, the same moment as:

- an instant: ISO 8601 with the writer's UTC offset (``2026-11-21T10:07:31+01:00``,
  RFC 3339), which every host reads alike, whatever its zone;
- and where it was measured: the host name, this boot's id (the first 8 hex
  digits of ``/proc/sys/kernel/random/boot_id``, which Linux draws at random at
  each boot) and the seconds since that boot (``/proc/uptime``). A clock step
  moves the wall clock, never the time since boot, so on the host and boot that
  wrote it the age is measured on that clock.

``UPDATED_AT: 2026-11-21T10:07:31+01:00 devbox 3f2a9c1b 81234.56``. A record is
used only while it agrees with ``UPDATED`` (its local time, to the minute):
a record left behind by an older version that wrote only ``UPDATED``, or by a
person who edited ``UPDATED``, is not believed. The age of a write is, in this
order: the time since boot, on the same host and boot; the instant, elsewhere;
the local timestamp, when there is no record (as before); never below zero.
"""

from __future__ import annotations

from ai_protocols.lean import datetime, record, remembered, timedelta, timezone
from ai_protocols.liveness.host import hostname

__all__ = ["Moment", "age_since", "boot_id", "is_boot_id", "is_word", "now_moment", "since_boot",
           "utc_minute"]

_HEX = frozenset("0123456789abcdef")
#: :func:`boot_id`'s answer once read (a list of it: ``[]`` before; judged once, not at
#: each of the thousand sessions a reader may judge).
_boot_id: list[str | None] = []


def boot_id() -> str | None:
    """This boot's id, its first 8 hexadecimal digits (Linux draws a random one at each
    boot); ``None`` where the system has none."""
    if not _boot_id:
        try:
            with open("/proc/sys/kernel/random/boot_id", "rb") as handle:  # (no codec to load)
                read = handle.read().decode("ascii").strip().replace("-", "")[:8].lower()
        except (OSError, ValueError):
            return None  # (not kept: asked again next time, as before)
        _boot_id.append(read if is_boot_id(read) else None)
    return _boot_id[0]


def is_boot_id(text: str) -> bool:
    """Whether ``text`` is the 8 lowercase hexadecimal digits of a boot id: ``[0-9a-f]{8}``."""
    return len(text) == 8 and _HEX.issuperset(text)


def is_word(text: str) -> bool:
    """Whether ``text`` is one word, ``\\S+``: not empty, no white space (``str.split``'s
    white space is ``str.isspace``'s)."""
    return text.split() == [text]


def _record(value: str) -> tuple[str, str | None, str | None, str | None] | None:
    """The parts of an ``UPDATED_AT`` value, ``(\\S+)(?: (\\S+) ([0-9a-f]{8})
    ([0-9]+(?:\\.[0-9]+)?))?``, whole: the instant, and the host, boot and seconds since
    boot when they are there; ``None`` for anything else."""
    parts = value.split(" ")
    if not all(map(is_word, parts)):
        return None
    if len(parts) == 1:
        return parts[0], None, None, None
    if len(parts) != 4 or not is_boot_id(parts[2]):
        return None
    whole, dot, tenths = parts[3].partition(".")
    if not (whole.isascii() and whole.isdigit()) or \
            (dot and not (tenths.isascii() and tenths.isdigit())):
        return None
    return parts[0], parts[1], parts[2], parts[3]


def since_boot() -> float | None:
    """Seconds since this machine booted, from ``/proc/uptime`` (the kernel's boot
    clock, which a step of the wall clock does not move, and which no program that
    fakes the time for a process can fake); ``None`` where there is none."""
    try:
        with open("/proc/uptime", "rb") as handle:  # (float reads bytes: no codec to load)
            return float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@record(frozen=True)
class Moment:
    """One write's moment: ``wall``, the writer's local time with its UTC offset (an
    aware datetime); and where it was measured, when it was: ``host``, ``boot`` (the
    boot id's first 8 hex digits) and ``uptime`` (seconds since that boot).
    ``measured``: read from the clock now, not given by a caller."""

    wall: datetime
    host: str | None = None
    boot: str | None = None
    uptime: float | None = None
    measured: bool = False

    @property
    def minute(self) -> datetime:
        """The writer's local time to the minute, without a zone: what ``UPDATED`` says."""
        return self.wall.replace(tzinfo=None, second=0, microsecond=0)

    def to_property(self) -> str:
        """The ``UPDATED_AT`` value: the instant, then host, boot and uptime if known."""
        text = self.wall.isoformat(timespec="seconds")
        if self.host and self.boot and self.uptime is not None and " " not in self.host:
            text += f" {self.host} {self.boot} {self.uptime:.2f}"
        return text

    @classmethod
    def parse(cls, value: str | None) -> Moment | None:
        """The moment an ``UPDATED_AT`` value records; ``None`` for anything else (an
        instant without an offset is no record: it could be any zone's). Remembered for
        the last few thousand values (:func:`~ai_protocols.lean.remembered`: ``status``
        asks twice for each session file)."""
        return _moment_of(value) if value else None

    @classmethod
    def _parse(cls, value: str) -> Moment | None:
        match = _record(value.strip())
        if match is None:
            return None
        try:
            wall = datetime.fromisoformat(match[0])
        except ValueError:
            return None
        if wall.tzinfo is None:
            return None
        host, boot, uptime = match[1], match[2], match[3]
        return cls(wall, host, boot, float(uptime) if uptime else None, measured=True)

    def order(self, other: Moment) -> tuple[float, datetime] | tuple[datetime]:
        """This moment's place in time, to compare with ``other.order(self)``: its
        seconds since boot when both were measured on one host and boot (that clock
        only goes forward, whatever happens to the wall clock), then its instant to the
        second, else that instant alone (the records' precision). The one rule for which
        of two writes came first (session files, their merge, claims against a
        wrap-up). The instant after the seconds since boot: ``/proc/uptime`` counts
        hundredths, and two writes a few milliseconds apart record the same; when the
        wall clock's second turned between them, it tells them apart (a write killed
        before its kept copy was in place once made the next one refuse over such a tie,
        test_kills_twelfth.py)."""
        wall = self.wall.replace(microsecond=0)
        if self.host == other.host and self.boot == other.boot and self.host and \
                self.boot and self.uptime is not None and other.uptime is not None:
            return (self.uptime, wall)
        return (wall,)

    def agrees_with(self, updated: datetime | None) -> bool:
        """Whether this record is of the write that set ``updated`` (a local time to the
        minute, as read from ``UPDATED``): the same minute of the same day as
        :attr:`minute` (compared field by field: two ``datetime.replace`` calls, whose
        keywords the C module parses slowly, were a fifth of judging another agent's
        session; issue 16, twenty-second round)."""
        wall = self.wall  # (an aware ``updated`` is never the naive minute: not equal)
        return updated is not None and updated.tzinfo is None and \
            wall.minute == updated.minute and \
            wall.hour == updated.hour and wall.day == updated.day and \
            wall.month == updated.month and wall.year == updated.year


_moment_of = remembered(Moment._parse)


def now_moment(now: datetime | Moment | None = None) -> Moment:
    """This moment (``now``: a given local time instead, naive or aware; a given time
    was not measured, so it carries no host, boot or uptime; or a :class:`Moment`)."""
    if isinstance(now, Moment):
        return now
    if now is not None:
        return Moment(now.astimezone() if now.tzinfo is None else now)
    uptime = since_boot()
    return Moment(datetime.now().astimezone(), hostname(), boot_id(), uptime, measured=True)


#: No time at all: the least an age can be (made once, not at each age).
_NO_TIME = timedelta(0)


def age_since(updated: datetime | None, record: str | None, now: datetime,
              mtime: float | None = None, *, uptime: float | None = None) -> timedelta | None:
    """How long ago the last write was: measured on the boot clock when ``record``
    (an ``UPDATED_AT`` value agreeing with ``updated``) was taken on this host and boot;
    from its instant otherwise; from ``updated``, a local time, without a record; from
    ``mtime`` (the file's modification time, seconds since the epoch) without either.
    ``now`` is the reader's local time (naive, or aware); ``uptime``, the seconds since
    boot at ``now`` when the caller read them once for many ages (:func:`since_boot`;
    ``None``: read them here). Never negative: a clock that stepped back, or another
    host's clock ahead of this one, gives zero, not less. ``None`` when nothing tells."""
    moment = Moment.parse(record)
    if moment is not None and not moment.agrees_with(updated):
        moment = None
    if moment is not None:
        if moment.boot is not None and moment.boot == boot_id() and moment.host == hostname():
            uptime = since_boot() if uptime is None else uptime
            if uptime is not None and moment.uptime is not None:
                return max(timedelta(0, uptime - moment.uptime), _NO_TIME)
        return max(_aware(now) - moment.wall, _NO_TIME)
    if updated is not None:
        local = now.replace(tzinfo=None) if now.tzinfo is not None else now
        return max(local - updated, _NO_TIME)
    if mtime is not None:
        return max(_aware(now) - datetime.fromtimestamp(mtime).astimezone(), _NO_TIME)
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def utc_minute(moment: datetime) -> datetime:
    """``moment`` (aware; naive is this machine's local time) in UTC, to the minute,
    without a zone: the time an archive's name starts with."""
    return _aware(moment).astimezone(timezone.utc).replace(tzinfo=None, second=0,
                                                           microsecond=0)

