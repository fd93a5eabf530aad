"""``--since`` refuses a duration in any form it does not read (a sign, a leading dot, a
unit in capitals or as a word, seconds, months, years, ``ago``), which dateutil would
read as a time of day (a fresh review: ``3H`` and ``3 hours`` were 03:00, ``.5h``
05:00, ``12M`` 00:12, ``3s`` 00:00:03, all listing a two-hour-old archive); a duration
in its own form is now less that long, and a date is read as before."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner

NOW = datetime(2026, 12, 1, 16, 50)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@pytest.mark.parametrize("given_text", ["3H", "3 hours", ".5h", "-3h", "12M", "3s",
                                        "+2d", "2 days ago", "1 Week", "3 mo", "1y",
                                        "3h30m", "3h 30m", "1h30m", "5m30s", "1h, 30m",
                                        "2d12h", "1 hour 30 minutes ago"])
def test_since_refuses_a_duration_in_a_form_it_does_not_read(
        project: Path, run: Runner, given_text: str) -> None:
    done = run("list", "--since", given_text, check=False)
    assert done.returncode == 4, done
    assert "write a duration as a number and one of m, h, d or w" in done.stderr, done
    assert "90m, 1.5h, 3d, 2w" in done.stderr


@settings(max_examples=300, deadline=None)
@given(sign=st.sampled_from(["", "-", "+", "- "]),
       number=st.from_regex(r"\A(?:[0-9]{1,3}(?:\.[0-9]{1,2})?|\.[0-9]{1,2})\Z"),
       blank=st.sampled_from(["", " ", "  "]),
       unit=st.sampled_from([*sorted(UNITS), "s", "sec", "seconds", "min", "mins", "minute",
                             "hr", "hours", "day", "days", "wk", "weeks", "mo", "months",
                             "y", "years"]),
       upper=st.booleans(), ago=st.booleans())
def test_a_duration_is_read_as_one_or_refused_never_as_a_time_of_day(
        sign: str, number: str, blank: str, unit: str, upper: bool, ago: bool) -> None:
    from ai_protocols.cli.since import parse_since
    from ai_protocols.errors import InvalidText

    text = f"{sign}{number}{blank}{unit.upper() if upper else unit}{' ago' if ago else ''}"
    own = not sign and not number.startswith(".") and unit in UNITS and not upper and not ago
    if own:
        assert parse_since(text, NOW) == NOW - timedelta(**{UNITS[unit]: float(number)})
    else:
        with pytest.raises(InvalidText):
            parse_since(text, NOW)


@pytest.mark.parametrize("given_text", ["10:00", "Nov 1 2026", "2026-11-01T10:00:00+01:00",
                                        "1 Nov 2026 3pm", "3pm", "10:30:05"])
def test_since_still_reads_dates_and_times(project: Path, run: Runner, given_text: str) -> None:
    assert run("list", "--since", given_text).returncode == 0


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.from_regex(r"\A[0-9]{1,3}(?:\.[0-9])?\Z"),
                                st.sampled_from(["", " ", ", "]),
                                st.sampled_from(["h", "m", "s", "d", "w", "H", "min", "hours",
                                                 "days"])),
                      min_size=2, max_size=4))
def test_a_duration_of_several_parts_is_refused_never_read_as_a_time_of_day(
        pairs: list[tuple[str, str, str]]) -> None:
    """``3h30m``, ``1h, 30m``: a fresh review found them read as 03:30 and 01:30."""
    from ai_protocols.cli.since import parse_since
    from ai_protocols.errors import InvalidText

    text = "".join(f"{number}{unit}{between}" for number, between, unit in pairs).strip(" ,")
    with pytest.raises(InvalidText):
        parse_since(text, NOW)
