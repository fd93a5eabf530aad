"""The rollover's robustness and reports (issue 16, ninth review; docs/decisions.md
"Issue 16, eighth review (rollover robustness, reports and wording)").

A symbolic link on the rollover's own paths skips the rollover with a warning and
writes the entry; the ``--done`` error says what was searched and what to do. The
installed console script runs as a subprocess in temporary git repositories.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rollover import block, filler, insert, rolled, stamp, started

from ai_protocols.org.syntax import entry_lines
from ai_protocols.session.layout import _name_range, is_earlier_name
from ai_protocols.session.rollover import BOUND

from conftest import Runner


@pytest.mark.parametrize("where", [".ai/history", ".ai/history/session-context",
                                   ".ai/.locks/live/history", ".git/ai-protocols",
                                   ".git/ai-protocols/.ai/history"])
def test_a_symbolic_link_on_the_rollovers_way_skips_it_and_writes_the_entry(
        project: Path, run: Runner, tmp_path: Path, where: str) -> None:
    """Seen: a symbolic link at ``.ai/history``, its session folder or the kept copies'
    folder in the git folder made every write past the bound fail (exit 12) and the
    agent's entry was lost. The rollover is skipped with one warning naming the link;
    the entry is written; nothing is written through the link. Once the link is gone
    the next write rolls over."""
    path = started(run, project)
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = project / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(elsewhere)
    for n in range(2):
        done = run("log", "--progress", f"Still written {n}")
        assert done.returncode == 0, done.stderr
        warnings = [x for x in done.stderr.splitlines() if x.startswith("Warning:")]
        assert len(warnings) == 1 and "not rolled over" in warnings[0], done.stderr
        assert "symbolic link" in warnings[0] and str(link) in warnings[0]
        text = path.read_text()
        assert f"Still written {n}" in text and "[[file:history/" not in text
    assert not list(elsewhere.rglob("*"))
    link.unlink()
    run("log", "--progress", "Rolled now")
    assert "[[file:history/" in path.read_text()


def test_a_done_that_matches_nothing_says_where_it_looked_and_what_to_do(
        project: Path, run: Runner) -> None:
    """Seen: ``log --done`` matching nothing named only two sections (it ticks an open
    checkbox in any section ``show`` lists) and gave no next step. The error names the
    sections searched, how many open items they hold, and what to do; exit 5, nothing
    changed."""
    path = started(run, project)
    before = path.read_bytes()
    empty = run("log", "--done", "progress 1", check=False)
    assert empty.returncode == 5 and path.read_bytes() == before
    assert empty.stderr.startswith("Error: no open checkbox item matches 'progress 1'")
    assert "Progress" in empty.stderr and "Next steps" in empty.stderr
    assert "Decisions" in empty.stderr and "ai-protocols show" in empty.stderr
    held = int(re.search(r"they hold (\d+) open item", empty.stderr).group(1))  # type: ignore[union-attr]
    run("log", "--progress", "write parser", "--next", "write docs")
    before = path.read_bytes()
    some = run("log", "--done", "progress 1", check=False)
    assert some.returncode == 5 and path.read_bytes() == before
    assert f"{held + 2} open items" in some.stderr
    assert "'ai-protocols show' lists them" in some.stderr
    assert "whole text" in some.stderr
    assert len(some.stderr.splitlines()) == 1


def rolled_twice(project: Path, run: Runner) -> tuple[Path, list[str]]:
    """A session rolled over twice: two earlier files, the second's entries later."""
    path, _ = rolled(project, run)
    more = [block(entry_lines(stamp(1000 + n), f"later decision {n:03d}\n" + "c" * 100_000,
                              rationale=f"why {n:03d}")) for n in range(46)]
    path.write_text(insert(path.read_text(), "decisions", "".join(more)))
    run("log", "--discovery", "Rolled again")
    links = [x for x in path.read_text().splitlines() if x.startswith("- [[file:history/")]
    assert len(links) == 2
    return path, links


def reports(run: Runner) -> tuple[str, list[dict[str, object]], str]:
    """``show``'s earlier-entries line, ``show --json``'s ``earlier``, ``resume``'s line."""
    shown = next(x for x in run("show").stdout.splitlines() if "earlier entries:" in x)
    earlier = json.loads(run("show", "--json").stdout)["earlier"]
    resumed = next(x for x in run("resume").stdout.splitlines() if "older entries" in x)
    return shown, earlier, resumed


@pytest.mark.parametrize("tidy", ["newest first", "absolute path too", "descriptions"])
def test_show_and_resume_report_the_files_own_ranges_and_counts_after_tidying(
        project: Path, run: Runner, tidy: str) -> None:
    """Seen: link lines put newest first gave an inverted range and ``earlier`` not
    oldest first; a file also linked by its absolute path was counted twice; tidied
    descriptions (``[[file:...][older notes]]``) gave ``0 from ? to ?``. Each report
    is the same as before the tidying: ranges from the file names, oldest first, each
    file once, counts from the description or else the file's drawer."""
    path, links = rolled_twice(project, run)
    before = reports(run)
    assert " 0 " not in before[0] and "?" not in before[0]
    text = path.read_text()
    if tidy == "newest first":
        text = text.replace(links[0], "@@").replace(links[1], links[0]).replace("@@", links[1])
    elif tidy == "absolute path too":
        absolute = links[0].replace("file:history/", f"file:{project / '.ai/history'}/")
        text = text.replace(links[1], links[1] + "\n" + absolute)
    else:
        for line in links:
            text = text.replace(line, line.split("][")[0] + "][older notes]]")
    path.write_text(text)
    after = reports(run)
    assert after == before, (tidy, before, after)
    firsts = [e["from"] for e in after[1]]
    assert firsts == sorted(firsts) and len(after[1]) == 2  # type: ignore[type-var]


_SINCE_1000 = st.datetimes(datetime(1000, 1, 1))  # (strftime pads no year before 1000)


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=40), first=_SINCE_1000, last=_SINCE_1000,
       digest=st.text("0123456789abcdef", min_size=8, max_size=8))
def test_an_earlier_files_name_gives_its_range_or_nothing(name: str, first: datetime,
                                                           last: datetime, digest: str) -> None:
    """Any name: a range or ``None``, never an error; a rollover's name gives its own
    minutes back (``undated`` as ``None``)."""
    got = _name_range(name + ".org")
    assert got is None or len(got) == 2
    first, last = first.replace(second=0, microsecond=0), last.replace(second=0, microsecond=0)
    named = f"{first:%Y-%m-%dT%H-%M}--{last:%Y-%m-%dT%H-%M}-{digest}.org"
    assert is_earlier_name(named) and _name_range(named) == (first, last)
    assert _name_range(f"undated--undated-{digest}.org") == (None, None)
