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

from test_rollover import CONTEXT
from test_rollover_stash import commit_all, earlier_files, git, past_bound

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
