"""Issue 16, eleventh round (the rollover and links; docs/decisions.md "Issue 16,
eleventh round"): a move keeps plain and angle ``file:`` links and ``#+INCLUDE:`` /
``#+SETUPFILE:`` paths naming the same file (Org 9.5, real Emacs); the earlier-entries
count comes from the files, never a link's description; an entry edited, committed and
rolled over while the other clone moved the older text is shown once; a wrap-up-vs-
rollover merge's other earlier file goes beside the archive at the next move; a stray
of the history folder is the session's only by its whole identity. The installed CLI,
real git, real Emacs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_rollover_own import rolled_as

from conftest import Runner


def test_show_json_counts_the_files_entries_not_a_links_edited_number(
        project: Path, run: Runner) -> None:
    """Point 2: a person who edits only the number in an intact link's text changes no
    count: ``show --json``, ``show`` and ``resume --json`` read the file's drawer."""
    path = rolled_as(project, run, None, "counted")
    text = path.read_text()
    [number] = re.findall(r"\]\] from [^,\n]*, (\d+) entries", text)
    path.write_text(re.sub(r"(\]\] from [^,\n]*, )\d+( entries)", r"\g<1>9999\2", text))
    [earlier] = json.loads(run("show", "--json").stdout)["earlier"]
    assert earlier["entries"] == int(number) > 0
    assert "9999" not in run("show").stdout
    assert json.loads(run("resume", "--json").stdout)["earlier"]["entries"] == int(number)
