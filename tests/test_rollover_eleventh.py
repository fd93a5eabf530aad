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

from test_rollover import insert
from test_rollover_own import big_entries, rolled_as

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


def test_a_stray_of_a_hand_deleted_session_is_not_linked_by_a_new_one_of_its_minute(
        project: Path, run: Runner) -> None:
    """Point 5: agent a's session rolled over; a person deletes its file by hand, and a new
    session of a starts in the same minute (its STARTED set to the old one's: one minute).
    Agent id and start minute alike, the title and objective not: the old earlier file is
    not this session's, so the new session's write does not link it again; the old
    session's file, linked from its own session, still is (the whole identity)."""
    run("start", "--title", "old work", "--objective", "the old goal", agent="a")
    path = project / ".ai/session-context.d/a.org"
    path.write_text(insert(path.read_text(), "decisions", big_entries("old")))
    run("log", "--discovery", "Rolled", agent="a")
    [old_file] = sorted((project / ".ai/history/session-context.d/a").glob("*--*.org"))
    started = re.search(r"^:STARTED: +(.*)$", path.read_text(), re.MULTILINE)[1]
    path.unlink()
    (project / ".ai/.locks/live/session-context.d/a.org").unlink()  # (its kept copy too)
    run("start", "--title", "new work", "--objective", "a new goal", agent="a")
    text = path.read_text()
    path.write_text(re.sub(r"^(:STARTED: +).*$", lambda m: m[1] + started, text, count=1,
                           flags=re.MULTILINE))
    result = run("log", "--progress", "a step", agent="a")
    assert "linked again" not in result.stderr, result.stderr
    assert old_file.name not in path.read_text()
    assert json.loads(run("show", "--json", agent="a").stdout)["earlier"] == []
    assert old_file.exists()  # (the old session's entries, found nowhere else, stay)


def judged(path: Path) -> list[str]:
    """What Org 9.5 makes of ``path``'s file links, SETUPFILE and INCLUDE keywords
    (tests/links_resolved.el)."""
    from test_rollover_own import LINKS

    from emacs import JUDGES

    return JUDGES[0].run(["-l", str(LINKS), str(path)]).stdout.split("\n")


def test_a_move_keeps_plain_and_angle_links_and_included_files_naming_the_same_file(
        project: Path, run: Runner) -> None:
    """Point 1: a wrap-up moves the session file into .ai/sessions/: its plain
    (``file:PATH``, with a ``::search``, a ``(...)`` in the name, punctuation after it)
    and angle (``<file:PATH with blanks>``) links and its ``#+INCLUDE:`` (quoted, with a
    ``::location`` and options) and ``#+SETUPFILE:`` paths name the same files for Org
    9.5 after the move as before, only the paths changed; a keyword in a block, an
    absolute path and a plain link to nothing keep their bytes."""
    for name in ("notes.org", "docs/y(1).org", "my notes.org", "setup.org", "in c.org"):
        target = project / name
        target.parent.mkdir(exist_ok=True)
        target.write_text(f"#+TITLE: SETUP {name}\n* Heading\nINCLUDED: {name}\n")
    path = project / ".ai/session-context.org"
    run("start", "--title", "linked work")
    text = path.read_text()
    top = text.index("\n* ")
    path.write_text(text[:top + 1] + "#+SETUPFILE: ../setup.org\n" + text[top + 1:])
    kept = ["- [ ] gone: file:missing.txt, typed as it is\n",
            f"- [ ] absolute: file:{project}/notes.org.\n",
            "#+begin_example\n#+INCLUDE: ../notes.org\n#+end_example\n"]
    path.write_text(insert(path.read_text(), "next-steps",
                           "- [ ] read file:../notes.org::*Heading, (file:../docs/y(1).org) "
                           "and <file:../my notes.org>\n"
                           "#+INCLUDE: \"../in c.org::*Heading\" :minlevel 2\n" +
                           "".join(kept)))
    before = judged(path)
    assert sum(line.startswith("file ") for line in before) == 5, before
    assert {"setup SETUP setup.org", "include in c.org"} <= set(before), before
    run("wrap-up", "linked done")
    [archive] = (project / ".ai/sessions").glob("*linked-done.org")
    after = archive.read_text()
    assert all(line in after for line in kept)
    assert "file:../../notes.org::*Heading, (file:../../docs/y(1).org) and " \
           "<file:../../my notes.org>\n" in after
    assert '#+INCLUDE: "../../in c.org::*Heading" :minlevel 2\n' in after
    assert "#+SETUPFILE: ../../setup.org\n" in after
    resolved = [line for line in judged(archive) if "missing.txt" not in line]
    assert resolved == [line for line in before if "missing.txt" not in line]
