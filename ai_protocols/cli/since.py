"""Reading ``--since``: a duration back from now (``90m``, ``12h``, ``3d``, ``2w``)
or a date and time in any form dateutil understands (``2026-11-01``,
``2026-11-01 10:00``, ``Nov 1 2026``)."""

from __future__ import annotations

from ai_protocols.errors import InvalidText
from ai_protocols.lean import datetime, digits, timedelta

__all__ = ["parse_since"]

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

#: Words of units a person may write a duration in (any case), which dateutil would read
#: as a time of day (``3H`` and ``3 hours`` as 03:00, ``12M`` as 00:12, ``3s`` as
#: 00:00:03): such a duration in any form but :func:`_duration`'s is refused, never read
#: so (:func:`_duration_like`).
_UNIT_WORDS = frozenset((
    "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h",
    "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "wks", "week", "weeks",
    "mo", "mon", "month", "months", "y", "yr", "yrs", "year", "years"))


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """The local time ``value`` names; :class:`InvalidText` (exit 4) when it names none:
    an empty value, text that is neither a duration nor a date, a number without its unit
    (which dateutil would read as a day of this month), digits other than ``0``-``9``
    (which dateutil reads), or a duration reaching back before the year 1
    (``datetime``'s range)."""
    duration = _duration(value)
    if duration is not None:
        amount, unit = duration
        try:
            return (now or datetime.now()) - timedelta(**{_UNITS[unit]: float(amount)})
        except (OverflowError, ValueError) as error:  # (before year 1, or past timedelta)
            raise InvalidText("--since", value, "that reaches back before the year 1; give a "
                              "shorter duration, such as 52w, or a date such as 2026-11-01"
                              ) from error
    moment = _iso_date(value)
    if moment is not None:
        return moment
    text = value.strip()
    if digits(text) or digits(text.replace(".", "", 1)):  # (dateutil: the day of the month)
        raise InvalidText("--since", value, f"a number needs its unit: {text}m, {text}h, "
                          f"{text}d or {text}w (minutes, hours, days, weeks), or give a date "
                          "such as 2026-11-01")
    if _duration_like(text):  # (dateutil: a time of day)
        raise InvalidText("--since", value, "write a duration as a number and one of m, h, "
                          "d or w (minutes, hours, days, weeks), lowercase, with no sign or "
                          "word: 90m, 1.5h, 3d, 2w; or give a date such as 2026-11-01")
    if any(ch.isdigit() and not ch.isascii() for ch in text):  # (dateutil reads them)
        raise InvalidText("--since", value, "write its digits as 0-9: a duration such as "
                          "12h or 3d, or a date such as 2026-11-01")
    from dateutil import parser

    try:
        moment = parser.parse(value)
    except (ValueError, OverflowError) as error:
        raise InvalidText(
            "--since", value, "give a date such as 2026-11-01 or a duration such as 12h or 3d"
        ) from error
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


def _duration(value: str) -> tuple[str, str] | None:
    """The number and unit of a duration (``90m``, ``1.5 h``): what the regular expression
    ``\\s*(\\d+(?:\\.\\d+)?)\\s*([mhdw])\\s*`` matches whole, read with ``str`` methods
    (``str.strip`` and ``\\s`` take the same characters; digits are ``[0-9]``:
    :func:`~ai_protocols.lean.digits`),
    so that ``list --since`` imports no :mod:`re` (tests/test_history_sixteenth.py holds
    them equal); ``None`` for anything else."""
    text = value.strip()
    if not text or text[-1] not in _UNITS:
        return None
    number = text[:-1].rstrip()
    whole, dot, part = number.partition(".")
    if not digits(whole) or (dot and not digits(part)):
        return None
    return number, text[-1]


def _duration_like(text: str) -> bool:
    """Whether ``text`` (stripped) is a duration in a form :func:`_duration` does not
    read: a sign, then one or more pairs of a number (digits ``0``-``9`` and dots,
    holding a digit) and a unit word of :data:`_UNIT_WORDS` in any case, blanks or a
    comma between, and ``ago`` after (``-3h``, ``.5h``, ``3H``, ``3 hours``, ``12M``,
    ``3s``, ``3h30m``, ``1h, 30m``, ``2 days ago``)."""
    rest = text.lstrip("+-").lstrip()
    pairs = 0
    while rest:
        end = len(rest) - len(rest.lstrip("0123456789."))
        if not any(ch in "0123456789" for ch in rest[:end]):
            return pairs > 0 and rest.lower() == "ago"
        rest = rest[end:].lstrip()
        stop = next((at for at, ch in enumerate(rest) if not ch.isascii() or
                     not ch.isalpha()), len(rest))
        if rest[:stop].lower() not in _UNIT_WORDS:
            return False
        pairs += 1
        rest = rest[stop:].lstrip().lstrip(",").lstrip()
    return pairs > 0


def _iso_date(value: str) -> datetime | None:
    """The time a date written ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DDTHH:MM``
    (``:SS`` added, blanks around) names, as dateutil reads it, without importing
    dateutil (and :mod:`re` and :mod:`pathlib` with it); ``None`` for any other text, or
    a date or time that is not one (dateutil decides those)."""
    text = value.strip()
    if len(text) not in (10, 16, 19) or not text.isascii():
        return None
    date, time = text[:10], text[11:]
    numbers = date[:4] + date[5:7] + date[8:10] + time[:2] + time[3:5] + time[6:8]
    if date[4] + date[7] != "--" or not numbers.isdigit() or \
            (time and (text[10] not in " T" or time[2:3] != ":" or time[5:6] not in ("", ":"))):
        return None
    try:
        return datetime(int(date[:4]), int(date[5:7]), int(date[8:10]),
                        int(time[:2] or 0), int(time[3:5] or 0), int(time[6:8] or 0))
    except ValueError:
        return None
