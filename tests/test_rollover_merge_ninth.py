"""Rollover vs git and merges, ninth review (issue 16; docs/decisions.md, "Issue 16,
eighth review (rollover vs git, ninth reviewer)").

1. One clone's wrap-up merged with another clone's rollover: the archive holds the
   other clone's new entries and links its earlier files from its own folder; no
   earlier file ever gets conflict markers, even when git's rename detection pairs
   the old live file with an earlier file of the archive.
2. A rollover's new file is named for ``git add``; a clone missing it is told where it
   may be.
3. An entry one clone edited and then moved by its own rollover, while the other moved
   the old text: ``show --all`` gives it once, as edited.

Real clones of a bare repository set up by the installed ``ai-protocols init``, real
``git merge`` running the installed driver, the installed CLI as a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_merge_driver import Clones, git
from test_rollover import CONTEXT, filler, insert

from ai_protocols.org.file import OrgFile
from ai_protocols.session.layout import parse_earlier_link
from ai_protocols.session.rollover import BOUND, edited_digests, entry_digest

from conftest import Runner, clean_env

NAME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d-\d\d--\d{4}-\d\d-\d\dT\d\d-\d\d-([0-9a-f]{8})\.org$")


def _setup(base: Path, size: int) -> Clones:
    """Two clones of a session of about ``size`` bytes, committed on both; ``one`` logs
    (a rollover when past the bound) and commits; ``two`` wraps up and commits. Each
    pushes its own branch (``one``, ``two``) to the origin."""
    clones = Clones(base)
    path = clones.one / CONTEXT
    old, _entries = filler(0, size, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one, two = Runner(clones.one), Runner(clones.two)
    if size < BOUND:  # (past it on one only: one rolls over, two does not)
        one("log", "--decision", "One's big decision " + "o" * 60_000, "--rationale", "big")
    one("log", "--discovery", "One rolls over")
    clones.commit(clones.one, "one")
    two("wrap-up", "Two wraps up")
    clones.commit(clones.two, "two")
    git(clones.one, "push", "-q", "origin", "HEAD:one")
    git(clones.two, "push", "-q", "origin", "HEAD:two")
    for clone in (clones.one, clones.two):
        git(clone, "fetch", "-q", "origin")
    return clones


def _archive(clone: Path) -> Path:
    [archive] = list((clone / ".ai/sessions").glob("*.org"))
    return archive


def _links_resolve(archive: Path) -> list[Path]:
    """The earlier files the archive links, each found from the archive's folder."""
    found = []
    for line in archive.read_text().split("\n"):
        link = parse_earlier_link(line)
        if link is not None:
            target = (archive.parent / link[0]).resolve()
            assert target.is_file(), f"{archive.name} links {link[0]}: no such file"
            found.append(target)
    assert found
    return found


def _earlier_files_intact(clone: Path) -> None:
    """Every file named as an earlier file holds the bytes its name's hash says, and
    no conflict marker."""
    for path in (clone / ".ai").rglob("*.org"):
        match = NAME.match(path.name)
        if match:
            data = path.read_bytes()
            assert b"<<<<<<<" not in data, path
            assert hashlib.sha256(data).hexdigest()[:8] == match.group(1), path


def test_wrap_up_merged_with_a_rollover_under_the_bound_links_from_the_archive(
        tmp_path: Path) -> None:
    """Case b: two's file stays under the bound (no rollover at its wrap-up); git pairs
    the live file with the archive and the driver merges one's entries into it: the
    archive's link to one's earlier file is written from ``.ai/sessions/``."""
    clones = _setup(tmp_path.resolve(), BOUND - 50_000)
    done = git(clones.two, "merge", "--no-edit", "origin/one", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    archive = _archive(clones.two)
    text = archive.read_text()
    assert "One rolls over" in text and "<<<<<<<" not in text
    [target] = _links_resolve(archive)
    assert target.parent.name == "session-context"  # one's file, where one's merge put it
    _earlier_files_intact(clones.two)


@pytest.fixture(scope="module")
def both_rolled(tmp_path_factory: pytest.TempPathFactory) -> Clones:
    """Case a: past the bound on both, so two's wrap-up rolls over too (the same plan
    as one's rollover: the same earlier file, which two's wrap-up moves beside the
    archive); git's rename detection pairs the old live file with that earlier file."""
    return _setup(tmp_path_factory.mktemp("both").resolve(), BOUND + 600_000)


def test_the_archiving_clone_merging_a_rollover_keeps_the_earlier_file_and_fills_the_archive(
        both_rolled: Clones) -> None:
    clones = both_rolled
    done = git(clones.two, "merge", "--no-edit", "origin/one", check=False)
    assert done.returncode != 0  # (the merge stops: the person checks and commits)
    assert "earlier-entries file" in done.stdout + done.stderr
    _earlier_files_intact(clones.two)
    archive = _archive(clones.two)
    text = archive.read_text()
    assert "One rolls over" in text and "<<<<<<<" not in text
    assert all(t.parent == archive.with_suffix("") for t in _links_resolve(archive))
    said = Runner(clones.two)("status").stderr
    assert re.search(r"unmerged \S*\.ai/sessions/\S*/\S+\.org \(a merge stopped on it", said), said
    git(clones.two, "add", "-A")
    git(clones.two, "commit", "-q", "--no-edit")


def test_the_rolling_clone_merging_a_wrap_up_is_told_commands_that_work(
        both_rolled: Clones) -> None:
    """The other direction: the archive is theirs, not yet in the work tree when git
    runs the driver; the driver says how to merge this clone's session changes into it,
    and those very commands work."""
    clones = both_rolled
    done = git(clones.one, "merge", "--no-edit", "origin/two", check=False)
    assert done.returncode != 0
    _earlier_files_intact(clones.one)
    said = done.stdout + done.stderr
    started = Runner(clones.one)("start", "--title", "Next").stderr
    assert re.search(r"Warning: git's index holds unmerged \S*\.ai/sessions/", started), started
    assert "This clone's session changes are git's stage 2 of it" in said, said
    # (twentieth round: one command, pasteable, then the commit)
    command = re.search(r"to merge them into \S+: (.*? && git add .*?) \(from the "
                        r"repository's top\), then commit", said)
    assert command, said
    env = clean_env(PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    subprocess.run(command.group(1), shell=True, cwd=clones.one, env=env, check=True,
                   timeout=120)
    archive = _archive(clones.one)
    text = archive.read_text()
    assert "One rolls over" in text and "<<<<<<<" not in text
    _links_resolve(archive)


# -- 2. a rollover's new file and `git commit -a` --------------------------------------------


def test_a_new_earlier_file_is_named_for_git_add_and_a_clone_is_told_where_it_is(
        tmp_path: Path) -> None:
    """The rolling write names the new file to ``git add``; ``status`` and ``show`` say
    it is untracked; after ``git commit -a`` a clone's warning and ``show --all``'s
    error say the file may exist only in the clone that rolled over (no git command
    that cannot work); once committed there and missing here, the advised command
    brings it back."""
    clones = Clones(tmp_path.resolve())
    one, two = Runner(clones.one), Runner(clones.two)
    path = clones.one / CONTEXT
    old, _entries = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    rolled = one("log", "--discovery", "One rolls over")
    [made] = list((clones.one / ".ai/history").rglob("*.org"))
    rel = made.relative_to(clones.one).as_posix()
    assert f"git add {rel}" in rolled.stderr and "git commit -a" in rolled.stderr, rolled.stderr
    assert "earlier-entries file" in one("status").stdout
    assert rel in one("show").stderr
    git(clones.one, "commit", "-q", "-a", "-m", "commit -a")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    for said in (two("log", "--discovery", "Two logs").stderr,
                 two("show", "--all", check=False).stderr):
        assert "may exist only in the clone that rolled the session over" in said, said
        assert f"git add {rel}" in said and "git log" not in said and "git show" not in said
    failed = two("show", "--all", check=False)
    assert failed.returncode == 6
    git(clones.one, "add", rel)
    git(clones.one, "commit", "-q", "-m", "earlier file")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    assert (clones.two / rel).is_file()
    (clones.two / rel).unlink()  # (and no copy is kept in this clone)
    failed = two("show", "--all", check=False)
    assert failed.returncode == 6
    advice = re.search(r"get it back from git: (git show \S+ > \S+)", failed.stderr)
    assert advice, failed.stderr
    subprocess.run(advice.group(1), shell=True, cwd=clones.two, check=True, timeout=60,
                   env=clean_env())
    whole = two("show", "--all", "--json")
    assert "One rolls over" in whole.stdout


# -- 3. an entry edited and then moved on one clone, moved unedited on the other -------------


def _edit_as_emacs_saves(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in ``path`` as Emacs saves a file: a new file renamed
    over it (the tool's kept copy, a hard link to the version it wrote, stays that)."""
    text = path.read_text()
    assert text.count(old) == 1
    fresh = path.with_name(path.name + ".saving")
    fresh.write_text(text.replace(old, new))
    os.replace(fresh, path)


@pytest.mark.parametrize(("ours", "later"), [("edited", False), ("unedited", False),
                                             ("edited", True)])
def test_an_entry_edited_then_moved_on_one_clone_and_moved_on_the_other_shows_once_edited(
        tmp_path: Path, ours: str, later: bool) -> None:
    """Clone two edits the first line of an old decision (as Emacs saves), and its next
    write rolls it over (``later``: writes that do not roll over come first); clone one
    moved the old text out. After the merge, whichever clone merges, ``show --all``
    gives the decision once, as edited; every other entry once."""
    clones = Clones(tmp_path.resolve())
    path = clones.one / CONTEXT
    old, _entries = filler(0, BOUND - 50_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    clones.commit(clones.one, "big")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, "pull", "-q", "origin", "main")
    one, two = Runner(clones.one), Runner(clones.two)
    if later:
        _edit_as_emacs_saves(clones.two / CONTEXT, "old decision 000000 ",
                             "old decision 000000 (edited) ")
        two("log", "--discovery", "Two writes without a rollover")
    for runner, name in ((one, "one"), (two, "two")):  # (each passes the bound; the next
        # write rolls over; each clone's decision its own text: of one text, the two are
        # one entry when logged in one minute and two entries when not, and this test
        # is not about that: "every other entry once" counted them as one, and failed
        # when a minute began between the two writes, a slow machine's case)
        runner("log", "--decision", f"A big decision of {name} " + "b" * 60_000,
               "--rationale", "big")
    one("log", "--discovery", "One rolls over")
    if not later:
        _edit_as_emacs_saves(clones.two / CONTEXT, "old decision 000000 ",
                             "old decision 000000 (edited) ")
    two("log", "--discovery", "Two rolls over")
    assert "(edited)" not in (clones.two / CONTEXT).read_text()  # (it moved out)
    clones.commit(clones.one, "one")
    clones.commit(clones.two, "two")
    git(clones.one, "push", "-q", "origin", "HEAD:one")
    git(clones.two, "push", "-q", "origin", "HEAD:two")
    here, other = (clones.two, "one") if ours == "edited" else (clones.one, "two")
    git(here, "fetch", "-q", "origin")
    git(here, "merge", "--no-edit", f"origin/{other}")
    assert "<<<<<<<" not in (here / CONTEXT).read_text()
    whole = json.loads(Runner(here)("show", "--all", "--json").stdout)
    decisions = [d["text"] for d in whole["decisions"]]
    firsts = [d for d in decisions if d.startswith("old decision 000000 ")]
    assert len(firsts) == 1 and "(edited)" in firsts[0], firsts
    assert len(decisions) == len(set(decisions))  # (every other entry once)
    for name in ("one", "two"):
        assert sum(d.startswith(f"A big decision of {name} ") for d in decisions) == 1


_HEAD = ("* Session\n:PROPERTIES:\n:STARTED: [2026-01-01 Thu 00:00]\n:STATUS: active\n:END:\n"
         "** Decisions\n:PROPERTIES:\n:CUSTOM_ID: decisions\n:END:\n")
_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                               blacklist_characters="[]\n\r"), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), _WORDS), min_size=1, max_size=8),
       st.data())
def test_edited_digests_names_only_sure_edits_property(entries: list[tuple[int, str]],
                                                       data: st.DataObject) -> None:
    """Of arbitrary entries (some sharing a minute), one edited: its old text's digest
    is recorded exactly when its minute is its own (a sure edit), and never the digest
    of an entry the edited file still holds (no distinct entry is ever hidden)."""
    def line(minute: int, words: str) -> str:
        return f"- [2026-01-01 Thu 00:{minute:02d}] {words.strip() or 'x'}"

    before = [line(m, w) for m, w in entries]
    which = data.draw(st.integers(0, len(before) - 1))
    after = list(before)
    after[which] = before[which] + " (edited)"
    old, new = (OrgFile(_HEAD + "".join(x + "\n" for x in side)) for side in (before, after))
    found = edited_digests(old, new)
    digest = entry_digest("decisions", [before[which]])
    alone = sum(1 for m, _ in entries if m == entries[which][0]) == 1
    still = {entry_digest("decisions", [x]) for x in after}
    assert not found & still
    if before[which] in after:  # (a twin of it stays: nothing is gone)
        assert not found
    elif alone:
        assert found == {digest}
    else:
        assert found <= {digest}
