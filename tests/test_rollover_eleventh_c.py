"""The rolled-over session file against its kept copy and merges, eleventh round (issue
16; docs/decisions.md, "Issue 16, eleventh round (rollover against the kept copy and
merges)").

3. After a rollover, git puts the file as it was before back (``git checkout`` of it,
   ``git reset --hard`` + ``git clean``): the entries it holds that the kept copy
   lacks are the ones the rollover moved, in an earlier file the kept copy links (or
   that file's kept copy): the refusal advises ``cp`` (nothing lost), and
   ``merge-kept`` never puts the moved entries back beside the earlier file that
   holds them, while it keeps an entry only the older file holds.
5. A merge where one clone rolled over again and the other re-described a link: the
   new description stays (three ways: only that side changed that line).
12. A linked earlier file missing in a clone: ``status`` says so; a count nobody can
   know is said unknown (``null`` in JSON), never 0.

Real git in temporary repositories, the installed console script as a subprocess.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_rollover import CONTEXT
from test_rollover_stash import _at, _entry, commit_all, earlier_files, git, past_bound

from ai_protocols.session.layout import earlier_link_line
from ai_protocols.session.merge import entries_lacking, merge_session_bytes, without_held
from ai_protocols.session.rollover import blank_box

from conftest import Runner


def decisions_shown(run: Runner) -> Counter[str]:
    whole = json.loads(run("show", "--all", "--json").stdout)
    return Counter(d["text"] for d in whole["decisions"])


def _rolled(project: Path, run: Runner) -> list[str]:
    """A session past the bound, committed, then rolled over by a write (not
    committed). The decisions' texts."""
    entries = past_bound(project, run)
    run("log", "--discovery", "Rolled over")
    assert earlier_files(project), "no rollover"
    return entries


def _each_once(run: Runner, entries: list[str]) -> None:
    shown = decisions_shown(run)
    assert [t for t, n in shown.items() if n > 1] == [], "an entry shown twice"
    assert len(shown) == len(entries)


def test_git_checkout_after_a_rollover_advises_cp_and_merge_kept_doubles_nothing(
        project: Path, run: Runner) -> None:
    entries = _rolled(project, run)
    path = project / CONTEXT
    git(project, "checkout", "-q", "--", str(CONTEXT))
    refused = run("log", "--progress", "next", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "cp " in refused.stderr and "merge-kept" not in refused.stderr, refused.stderr
    assert "lacks" not in refused.stderr
    resumed = run("resume", check=False).stdout
    assert "merge-kept" not in resumed and "cp " in resumed, resumed
    # merge-kept anyway: the moved entries are not put back beside their earlier file
    run("merge-kept", str(path))
    text = path.read_text()
    assert text.count("old decision 000000 ") == 0, "a moved entry is back in the live file"
    _each_once(run, entries)
    run("log", "--progress", "after")
    assert len(earlier_files(project)) == 1, "rolled over again"


def test_an_entry_only_the_older_file_holds_is_merged_the_moved_ones_not(
        project: Path, run: Runner) -> None:
    """``git reset --hard`` to before the rollover and ``git clean`` (the earlier file is
    only in its kept copy), then a person adds an entry to the older file by hand: the
    refusal counts that one entry alone, and merge-kept keeps it and doubles nothing."""
    entries = _rolled(project, run)
    commit_all(project, "rolled")
    git(project, "reset", "-q", "--hard", "HEAD~1")
    git(project, "clean", "-qfd", ".ai")
    assert not earlier_files(project)
    path = project / CONTEXT
    text = path.read_text()
    mine = "- [2026-02-03 Tue 10:00] A person's own discovery\n"
    at = text.index(":CUSTOM_ID: discoveries\n:END:\n") + len(":CUSTOM_ID: discoveries\n:END:\n")
    path.write_text(text[:at] + mine + text[at:])
    refused = run("log", "--progress", "next", check=False)
    assert refused.returncode == 6, refused.stderr
    assert re.search(r"holds 1 entry the kept copy lacks", refused.stderr), refused.stderr
    run("merge-kept", str(path))
    assert path.read_text().count("A person's own discovery") == 1
    assert path.read_text().count("old decision 000000 ") == 0
    _each_once(run, entries)
    found = json.loads(run("show", "--all", "--json").stdout)["discoveries"]
    assert [d["text"] for d in found].count("A person's own discovery") == 1


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                min_size=1, max_size=20).filter(lambda t: t.strip() == t)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.one_of(st.none(), _TEXT), st.booleans()), min_size=1,
                max_size=6), st.data())
def test_entries_held_elsewhere_come_out_and_nothing_else_property(
        entries: list[tuple[str, str | None, bool]], data: st.DataObject) -> None:
    """Any decisions (any text, a line under some, the same text twice): those an earlier
    file holds (as the rollover moved them, ticked or not) come out of the file, every
    other byte stays, and they are not counted as entries the other version lacks."""
    blocks = [_entry(n, text, under).replace("- [", "- [X] [", 1) if ticked
              else _entry(n, text, under) for n, (text, under, ticked) in enumerate(entries)]
    moved = data.draw(st.sets(st.integers(0, len(blocks) - 1)))
    held = {blank_box(blocks[n].rstrip("\n")) for n in moved}
    whole = _session([]).replace(b"- [2026-01-01 Thu 23:20] The newest decision\n",
                                 "".join(blocks).encode())
    out, taken = without_held(whole, held)
    kept = [b for b in blocks if blank_box(b.rstrip("\n")) not in held]
    assert out == whole.replace("".join(blocks).encode(), "".join(kept).encode())
    assert taken == len(blocks) - len(kept)
    assert entries_lacking(out, whole, held) == 0
    assert entries_lacking(out, whole) == len({b.split("\n")[0] for b in blocks} -
                                              {b.split("\n")[0] for b in kept})


# -- 5. a link line re-described on one side ---------------------------------------------


def _session(links: list[str]) -> bytes:
    """A small session file whose ``Earlier entries`` section holds ``links``."""
    return ("#+TITLE: Session\n\n* Session: Work\n:PROPERTIES:\n:STARTED:  [2026-01-01 Thu "
            "00:00]\n:STATUS:   active\n:UPDATED:  [2026-01-01 Thu 09:00]\n:END:\n"
            "** Summary\n:PROPERTIES:\n:CUSTOM_ID: summary\n:END:\nWork.\n"
            "** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n"
            + "".join(line + "\n" for line in links)
            + "** Decisions\n:PROPERTIES:\n:CUSTOM_ID: decisions\n:END:\n"
            + _entry(1400, "The newest decision", None)).encode()


def _link(n: int, description: str | None = None) -> str:
    name = f"{_at(600 * n):%Y-%m-%dT%H-%M}--{_at(600 * n + 99):%Y-%m-%dT%H-%M}-0000000{n}.org"
    line = earlier_link_line(f"history/session-context/{name}", _at(600 * n),
                             _at(600 * n + 99), 50)
    return line if description is None else \
        line[:line.index("][") + 2] + description + "]]"


_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                               blacklist_characters="[]"), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), _WORDS), st.one_of(st.none(), _WORDS), st.booleans(),
       st.booleans())
def test_a_link_re_described_on_one_side_keeps_the_new_description_property(
        mine: str | None, theirs: str | None, rolls: bool, ours_is_mine: bool) -> None:
    """Base: one link. One side ("mine") may re-describe it and may roll over again
    (a second link); the other may re-describe it. Three ways: the description only one
    side changed is the result's; both changed it alike: that; differently: a
    conflict, both descriptions in it, never one silently lost. The second link stays."""
    base = _session([_link(1)])
    a = _session([_link(1, mine), *([_link(2)] if rolls else [])])
    b = _session([_link(1, theirs)])
    ours, other = (a, b) if ours_is_mine else (b, a)
    result = merge_session_bytes(base, ours, other)
    assert result is not None
    text = result.data.decode()
    if rolls:
        assert text.count(_link(2)) == 1, text
    changed = [d for d in (mine, theirs) if d is not None and _link(1, d) != _link(1)]
    if len(set(changed)) == 2:
        assert result.conflicts, text
        for description in changed:
            assert _link(1, description) + "\n" in text
        return
    assert not result.conflicts, text
    expected = _link(1, changed[0]) if changed else _link(1)
    assert text.count(expected + "\n") == 1, text
    assert text.count("[[file:history/session-context/") == 1 + rolls, text


# -- 12. a linked earlier file this clone lacks ------------------------------------------


def link_an_uncommitted_earlier_file(path: Path) -> tuple[str, str]:
    """An "Earlier entries" section, after the summary of the session file ``path``,
    linking an earlier-entries file that is not there (a clone of a session whose
    rollover was never committed): its name, and the link's line."""
    name = "2026-01-01T10-00--2026-01-01T11-39-0badcafe.org"
    line = earlier_link_line(f"history/session-context/{name}", _at(600), _at(699), 57)
    text = path.read_text()
    at = text.index("\n** ", text.index(":CUSTOM_ID: summary")) + 1
    section = "** Earlier entries\n:PROPERTIES:\n:CUSTOM_ID: earlier\n:END:\n"
    path.write_text(text[:at] + section + line + "\n" + text[at:])
    return name, line


def test_a_missing_earlier_file_is_said_by_status_and_its_count_is_unknown(
        project: Path, run: Runner) -> None:
    """The session links an earlier file of its own that is not here and not kept (a
    clone of one that rolled over and committed with ``git commit -a``): ``status``
    warns, naming it; with the link's description tidied so it gives no count, ``show``,
    ``resume`` and their JSON say the count is unknown (``null``), never 0."""
    from test_rollover import started

    path = started(run, project)
    name, line = link_an_uncommitted_earlier_file(path)
    commit_all(project, "a session whose earlier file was never committed")
    shown = run("status").stdout
    assert name in shown and "not here and not kept" in shown, shown
    assert "no commit of this repository holds it" in shown, shown
    assert json.loads(run("show", "--json").stdout)["earlier"][0]["entries"] == 57
    tidied = path.read_text().replace(line, line[:line.index("][") + 2] + "the first batch]]")
    path.write_text(tidied)
    assert json.loads(run("show", "--json").stdout)["earlier"][0]["entries"] is None
    assert json.loads(run("resume", "--json").stdout)["earlier"] == {"files": 1,
                                                                      "entries": None}
    assert "earlier entries: unknown count" in run("show").stdout
    assert "an unknown number of older entries moved" in run("resume").stdout
