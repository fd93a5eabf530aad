"""``--since`` reads digits as 0-9 only, and a number without its unit is refused, not
read by dateutil as a day of this month (a fresh review: ``--since ٣h`` was today at
03:00, ``--since 3`` the 3rd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Runner


@pytest.mark.parametrize(("given", "said"), [
    ("\u0663h", "write its digits as 0-9"),
    ("\u0662\u0660\u0662\u0666-\u0661\u0661-\u0660\u0661", "write its digits as 0-9"),
    ("2026-\u0661\u0661-01 \u0661\u0660:00", "write its digits as 0-9"),
    ("3", "a number needs its unit: 3m, 3h, 3d or 3w"),
    ("1.5", "a number needs its unit: 1.5m, 1.5h, 1.5d or 1.5w"),
])
def test_since_refuses_what_it_cannot_read_as_meant(project: Path, run: Runner, given: str,
                                                    said: str) -> None:
    done = run("list", "--since", given, check=False)
    assert done.returncode == 4 and said in done.stderr, done


@pytest.mark.parametrize("given", ["3h", "2026-11-01", "Nov 1 2026", "2026-11-01 10:00"])
def test_since_still_reads_durations_and_dates(project: Path, run: Runner, given: str) -> None:
    assert run("list", "--since", given).returncode == 0
