"""Reading ``--since``: a duration back from now (``90m``, ``12h``, ``3d``, ``2w``)
or a date and time in any form dateutil understands (``2026-11-01``,
``2026-11-01 10:00``, ``Nov 1 2026``)."""

from __future__ import annotations

import re

from ai_protocols.errors import InvalidText
from ai_protocols.lean import datetime, timedelta

__all__ = ["parse_since"]

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """The local time ``value`` names; :class:`InvalidText` (exit 4) when it names none:
    an empty value, text that is neither a duration nor a date, or a duration reaching
    back before the year 1 (``datetime``'s range)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", value)
    if match:
        amount, unit = match.groups()
        try:
            return (now or datetime.now()) - timedelta(**{_UNITS[unit]: float(amount)})
        except (OverflowError, ValueError) as error:  # (before year 1, or past timedelta)
            raise InvalidText("--since", value, "that reaches back before the year 1; give a "
                              "shorter duration, such as 52w, or a date such as 2026-11-01"
                              ) from error
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
