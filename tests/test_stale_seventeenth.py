"""Where a person's or a pull's work was lost in session files (issue 14, seventeenth
round; docs/decisions.md, "Issue 14, seventeenth round (stale saves)").

1. A ``git pull`` that changes no entry (it ticks a Next step, sets the objective or the
   summary, pauses the session) under an editor's buffer opened before it; the buffer,
   with a line typed, is saved after: the next ``log`` merges back what the pull
   changed (the merge back counted new entries only: the pulled tick was lost, nothing
   said). A person who unticks the pulled tick after the pull keeps it unticked.
2. ``merge-kept`` of a never-committed session's copy put back from the editor's backup
   (``F~``) after the wrap-up, an entry reworded in it: the archive takes the person's
   words, once (it kept the old ones, the person's only as a Log line). The base is
   the version the wrap-up left beside its tombstone; without one the copy's words are
   kept and stderr says which, and how to take the archive's.

Real git (clones of a bare repository, real pulls), the installed console script.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_emacs_git_fifteenth import CONTEXT, open_in_emacs, pull, save_from_emacs, typed_into
from test_merge_driver import Clones, git

from conftest import Runner

#: What clone one's pull brings clone two, changing no entry: the command, and what the
#: file holds after it (a regular expression).
CHANGES = {
    "tick": (("log", "--done", "Write the tests"), r"- \[X\] \[[^]]*\] Write the tests\n"),
    "objective": (("start", "--objective", "the new objective"),
                  r":OBJECTIVE: +the new objective\n"),
    "summary": (("log", "--summary", "a summary from A"), r"\na summary from A\n"),
    "state": (("pause", "--note", "for lunch"),
              r":STATUS: +paused\n(.*\n)*:PAUSE_NOTE: +for lunch\n"),
}

_WORDS = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                 min_size=1, max_size=16)


def _pulled(base: Path, change: tuple[str, ...]) -> tuple[Clones, Runner]:
    """Clone two logs (its tool's last write there) and pushes; clone one pulls, makes
    ``change`` and pushes; clone two pulls it (a fast-forward)... with a buffer opened
    before: returned after the pull, the buffer in :attr:`Clones.buffer`."""
    clones = Clones(base)
    one, two = Runner(clones.one), Runner(clones.two)
    two("log", "--discovery", "B found")
    clones.commit(clones.two, "b")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    pull(clones.one)
    one(*change)
    clones.commit(clones.one, "change")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    clones.buffer = open_in_emacs(clones.two)  # type: ignore[attr-defined]
    pull(clones.two)
    return clones, two


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_a_stale_save_over_a_pull_that_changed_no_entry_is_merged_back(
        tmp_path: Path, kind: str) -> None:
    change, held = CHANGES[kind]
    clones, two = _pulled(tmp_path.resolve(), change)
    path = clones.two / CONTEXT
    assert re.search(held, path.read_text()), path.read_text()  # (the pull brought it)
    save_from_emacs(clones.two, typed_into(clones.buffer, "typed by a person"))
    assert not re.search(held, path.read_text())  # (the stale save dropped it)
    done = two("log", "--progress", "B more")
    text = path.read_text()
    assert re.search(held, text), (kind, done.stderr, text)
    assert "- typed by a person\n" in text and "B more" in text and "B found" in text
    assert "that git brought" in done.stderr and "merged back: " in text
    again = two("log", "--progress", "B again")  # (said once)
    assert "git brought" not in again.stderr and re.search(held, path.read_text())


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_WORDS)
def test_a_pulled_tick_survives_a_stale_save_of_any_typed_line(tmp_path_factory,
                                                                typed: str) -> None:
    clones, two = _pulled(tmp_path_factory.mktemp("tick").resolve(), CHANGES["tick"][0])
    save_from_emacs(clones.two, typed_into(clones.buffer, typed))
    done = two("log", "--progress", "B more")
    text = (clones.two / CONTEXT).read_text()
    assert re.search(CHANGES["tick"][1], text), done.stderr
    assert f"- {typed}\n" in text
    assert "1 tick and 1 Log line that git brought" in done.stderr, done.stderr


def test_a_person_who_unticks_a_pulled_tick_keeps_it_unticked(tmp_path: Path) -> None:
    """No stale buffer: after the pull a person unticks the item (the file holds the
    pull's Log line of that tick and HEAD's write record): a deliberate change, kept."""
    clones, two = _pulled(tmp_path.resolve(), CHANGES["tick"][0])
    (clones.two / ".ai" / ".#session-context.org").unlink()  # (no buffer saved)
    path = clones.two / CONTEXT
    text = path.read_text()
    ticked = re.search(CHANGES["tick"][1], text)
    assert ticked
    path.write_text(text.replace(ticked.group(0), ticked.group(0).replace("[X]", "[ ]")))
    done = two("log", "--progress", "B more")
    text = path.read_text()
    assert "git brought" not in done.stderr and "merged back" not in text
    assert not re.search(CHANGES["tick"][1], text)
    assert re.search(r"- \[ \] \[[^]]*\] Write the tests\n", text)


# -- merge-kept of a copy put back from an editor's backup ---------------------------------

_DECISION = "take the fast path for lists"


def _wrapped_with_backup(repo: Path, *, log_after: bool) -> tuple[Runner, Path, Path]:
    """A session never committed: a decision logged, the editor's backup ``F~`` taken
    (``log_after``: one more entry logged after it), wrapped up. Returns the runner,
    the session file's path and the backup's."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "init")
    run = Runner(repo)
    run("init")
    run("start", "--title", "K")
    run("log", "--progress", "first thing", "--decision", _DECISION, "--rationale", "fast")
    path = repo / CONTEXT
    backup = path.with_name(path.name + "~")
    shutil.copyfile(path, backup)
    if log_after:
        run("log", "--progress", "logged after the backup")
    run("wrap-up", "K done")
    assert not path.exists()
    return run, path, backup


def _decisions(archive: Path) -> list[str]:
    text = archive.read_text()
    part = text.split("** Decisions\n", 1)[1].split("\n** ", 1)[0]
    return [line for line in part.splitlines() if line.startswith("- [")]


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=_WORDS, alike=st.booleans())
def test_merge_kept_of_an_uncommitted_copy_from_a_backup_takes_the_persons_words(
        tmp_path_factory, words: str, alike: bool) -> None:
    repo = tmp_path_factory.mktemp("mk").resolve()
    run, path, backup = _wrapped_with_backup(repo, log_after=False)
    (archive,) = (repo / ".ai" / "sessions").glob("*.org")
    # (alike: a word added; else other words altogether, which no likeness pairs)
    reworded = f"take the fast path for {words} lists" if alike else f"{words} instead"
    shutil.copyfile(backup, path)  # put back by hand
    path.write_text(path.read_text().replace(f"{_DECISION}\n", f"{reworded}\n"))
    done = run("merge-kept", str(path))
    decisions = _decisions(archive)
    assert len(decisions) == 1 and decisions[0].endswith(f"] {reworded}"), \
        (decisions, done.stderr)
    text = archive.read_text()
    assert f"{_DECISION}\n" not in text and "left out" not in text
    assert ":STATUS:   wrapped-up" in text and "first thing" in text
    assert not path.exists()
    run("start", "--title", "next")  # (the version the wrap-up left goes with its tombstone)
    assert not list((repo / ".ai" / ".locks").rglob("*.left"))


@pytest.mark.parametrize("wording", ["file", "kept"])
def test_merge_kept_without_a_base_says_whose_words_it_kept(tmp_path: Path,
                                                             wording: str) -> None:
    """The backup is older than the version the wrap-up left (an entry logged after it):
    no base. The copy's words (the file's, a person's) are kept unless ``--wording
    kept`` (the archive's); the others go whole into the archive's Log, and stderr names
    them and how to take them instead."""
    repo = tmp_path.resolve()
    run, path, backup = _wrapped_with_backup(repo, log_after=True)
    (archive,) = (repo / ".ai" / "sessions").glob("*.org")
    reworded = "take the fast path for long lists"
    shutil.copyfile(backup, path)
    path.write_text(path.read_text().replace(f"{_DECISION}\n", f"{reworded}\n"))
    done = run("merge-kept", "--wording", wording, str(path))
    text = archive.read_text()
    kept, other = (reworded, _DECISION) if wording == "file" else (_DECISION, reworded)
    assert [d.split("] ", 1)[1] for d in _decisions(archive)] == [kept], done.stderr
    whose, others = ("the copy", "the archive") if wording == "file" else \
        ("the archive", "the copy")
    assert f"merged: {others}'s words of an entry worded differently, left out: " in text
    assert f"{other}\n" in text.split("left out: ", 1)[1]  # (whole, in the Log)
    assert f"kept {whose}'s words, left out {others}'s" in done.stderr, done.stderr
    assert other in done.stderr and "type them back in by hand" in done.stderr
    assert "logged after the backup" in text and not path.exists()
