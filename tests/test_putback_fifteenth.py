"""Issue 14, fifteenth round (a fresh review of the put-back and merge-kept fixes):
docs/decisions.md, "Issue 14, fifteenth round (put-back sessions)"; docs/git.md, "An
archived session put back".

Real git, the installed console script; each command under libfaketime at a second of
its own (``Clock``), so that a wrap-up and the next ``start`` fall in one minute.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from gitkit import commit_all, git
from hypothesis import given
from hypothesis import strategies as st
from test_putback_fourteenth import KEPT, SESSION, Clock, _flat

from ai_protocols.session.layout import one_session

SESSIONS = ".ai/sessions"


def _without_session_id(path: Path) -> None:
    """The file as a version before ``SESSION_ID`` wrote it, edited in place (the kept
    copy, a hard link, is the same file)."""
    text = path.read_text()
    with path.open("r+") as out:
        out.write("".join(line for line in text.splitlines(True)
                          if not line.startswith(":SESSION_ID:")))
        out.truncate()


def _old_then_new(root: Path) -> Clock:
    """Old (begun before ``SESSION_ID``: none in its file) logs, is committed, wrapped up
    and committed; New starts in the same minute and logs "NEW SESSION WORK"."""
    git(root, "commit", "-q", "--allow-empty", "-m", "root")
    run = Clock(root)
    run("start", "--title", "Old session")
    _without_session_id(root / SESSION)
    run("log", "--progress", "old work A")
    commit_all(root, "s1")
    run("wrap-up", "old done")
    commit_all(root, "wrapped")
    run("start", "--title", "New session")
    run("log", "--progress", "NEW SESSION WORK")
    [archive] = (root / SESSIONS).glob("*.org")
    assert ":SESSION_ID:" not in archive.read_text()
    assert ":SESSION_ID:" in (root / SESSION).read_text()
    return run


# -- 1. the identity rule: a SESSION_ID on one side only is two sessions ---------------------

def test_start_brings_back_a_new_session_git_clean_took_beside_an_archive_without_an_id(
        repo: Path) -> None:
    """``git clean -fd`` takes the new session's untracked file; the archived session of
    the same minute has no ``SESSION_ID`` (an older version's): ``start`` brings the new
    session back from its kept copy, never "Started a fresh session" with it dropped."""
    run = _old_then_new(repo)
    git(repo, "clean", "-fdq")
    assert not (repo / SESSION).exists()
    started = run("start")
    assert "Brought back" in started.stdout, started.stdout
    assert "NEW SESSION WORK" in (repo / SESSION).read_text()
    assert "NEW SESSION WORK" in (repo / KEPT).read_text()


def test_merge_kept_of_an_id_less_archive_put_back_then_start_brings_back_the_new_session(
        repo: Path) -> None:
    """The old session's committed version put back over the new one (``git checkout
    HEAD~1``): ``merge-kept`` as advised, then ``start`` brings the new session back, as
    ``merge-kept`` promised; its entry is never lost."""
    run = _old_then_new(repo)
    git(repo, "checkout", "HEAD~1", "--", SESSION)
    merged = run("merge-kept")
    assert "'ai-protocols start' brings back the session" in _flat(merged.stderr)
    started = run("start")
    assert "Brought back" in started.stdout, started.stdout
    text = (repo / SESSION).read_text()
    assert "NEW SESSION WORK" in text and "old work A" not in text


_IDS = st.sampled_from([None, "", "0a1b2c3d", "ffffffff"])
_AGENTS = st.sampled_from([None, "", "agent-1"])
_STARTED = st.sampled_from(["[2026-11-21 Sat 10:00]", "[2026-11-21 Sat 10:01]"])


def _props(agent: str | None, started: str, sid: str | None) -> dict[str, str]:
    found = {"STARTED": started}
    if agent is not None:
        found["AGENT_ID"] = agent
    if sid is not None:
        found["SESSION_ID"] = sid
    return found


@given(_AGENTS, _STARTED, _IDS, _AGENTS, _STARTED, _IDS)
def test_one_session_over_pairs(a1: str | None, s1: str, i1: str | None, a2: str | None,
                                s2: str, i2: str | None) -> None:
    """The identity rule over pairs of headlines: symmetric; one session exactly when
    ``AGENT_ID`` (absent or empty alike), ``STARTED`` and ``SESSION_ID`` (absent or
    empty alike) agree; a ``SESSION_ID`` on one side only is never one session."""
    one, two = _props(a1, s1, i1), _props(a2, s2, i2)
    same = one_session(one, two)
    assert same == one_session(two, one)
    assert same == ((a1 or None, s1, i1 or None) == (a2 or None, s2, i2 or None))
    if bool(i1) != bool(i2):
        assert not same


def test_a_kept_copy_holding_entries_its_archive_lacks_is_never_dropped(repo: Path) -> None:
    """The kept copy's session is in an archive (wrapped up elsewhere) that lacks one of
    its entries, and the file is gone: ``start`` neither drops the kept copy nor starts
    afresh over it; it puts the copy back and refuses it as a put-back copy (exit 7,
    ``merge-kept``), which then merges the entry into the archive (wrapped up still);
    only then does ``start`` begin a new session."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    run = Clock(repo)
    run("start", "--title", "S")
    run("log", "--progress", "work A")
    earlier = (repo / SESSION).read_text()
    run("log", "--progress", "work B only kept")
    (repo / SESSION).unlink()
    (repo / SESSIONS).mkdir(exist_ok=True)
    archive = repo / SESSIONS / "2026-11-21-10-05-s.org"
    archive.write_text(re.sub(r"(?m)^:STATUS:.*$", ":STATUS: wrapped-up", earlier))
    refused = run("start", check=False)
    assert refused.returncode == 7, (refused.stdout, refused.stderr)
    assert "merge-kept" in refused.stderr and "Started a fresh" not in refused.stdout
    assert "work B only kept" in (repo / KEPT).read_text()
    merged = run("merge-kept")
    said = _flat(merged.stderr)
    assert "1 entry written into it" in said and "another clone" not in said, said
    text = archive.read_text()
    assert "work B only kept" in text
    assert re.findall(r"(?m)^:STATUS:.*$", text) == [":STATUS: wrapped-up"]
    started = run("start")
    assert "Started a fresh session" in started.stdout


# -- 2. merge-kept of a put-back copy a person edited: the version it descends from ---------

def _wrapped_and_put_back(root: Path, *entries: str) -> tuple[Clock, Path]:
    git(root, "commit", "-q", "--allow-empty", "-m", "root")
    run = Clock(root)
    run("start", "--title", "Old session")
    run("log", *(x for e in entries for x in ("--progress", e)))
    commit_all(root, "s1")
    run("wrap-up", "old done")
    commit_all(root, "wrapped")
    git(root, "checkout", "HEAD~1", "--", SESSION)
    [archive] = (root / SESSIONS).glob("*.org")
    return run, archive


def _merge_file(root: Path, archive: Path, copy: bytes) -> bytes:
    """What git merge-file makes of the archive, the committed version the copy came
    from (``HEAD~1``'s) and the copy."""
    base = subprocess.run(["git", "show", f"HEAD~1:{SESSION}"], cwd=root, check=True,
                          capture_output=True).stdout
    (root.parent / "b").write_bytes(base)
    (root.parent / "c").write_bytes(copy)
    (root.parent / "a").write_bytes(archive.read_bytes())
    done = subprocess.run(["git", "merge-file", "-p", str(root.parent / "a"),
                           str(root.parent / "b"), str(root.parent / "c")],
                          capture_output=True)
    assert done.returncode == 0
    return done.stdout


@pytest.mark.parametrize("edit", ["reword", "delete and add"])
def test_merge_kept_takes_a_persons_edit_of_a_put_back_copy_as_git_merge_file_does(
        repo: Path, edit: str) -> None:
    """A person rewords (or deletes one entry and types another) in the put-back copy:
    ``merge-kept`` merges it into the archive against the committed version the copy
    came from (the one whose write record it carries), exactly as ``git merge-file``
    merges the same three; the archive stays wrapped up; the message says what was
    written by kind and names no other clone."""
    run, archive = _wrapped_and_put_back(repo, "old work A", "old work B")
    path = repo / SESSION
    text = path.read_text()
    if edit == "reword":
        text = text.replace("] old work A\n", "] old work A done\n")
    else:
        text = "".join(line for line in text.splitlines(True) if "old work B" not in line)
        text = text.replace("** Decisions", "- [ ] [2026-11-21 Sat 09:00] a person's new "
                                            "item\n** Decisions", 1)
    path.write_text(text)
    expected = _merge_file(repo, archive, path.read_bytes())
    merged = run("merge-kept")
    said = _flat(merged.stderr)
    assert archive.read_bytes() == expected
    assert not path.exists()
    assert "another clone" not in said and "Nothing to merge" not in said, said
    if edit == "reword":
        assert "1 reworded entry written into it" in said, said
        assert "old work A done" in archive.read_text()
    else:
        assert "1 entry written into it and 1 entry removed from it" in said, said
        assert "old work B" not in archive.read_text()
    assert re.search(r"(?m)^:STATUS:\s+wrapped-up$", archive.read_text())


def test_a_put_back_copy_that_cannot_merge_is_said_as_such(repo: Path) -> None:
    """Both the archive and the put-back copy reworded one entry otherwise: refused
    (exit 6, nothing written), the message naming the put-back copy in this clone and
    advising ``rm`` of the copy, never "kept of a session wrapped up in another clone"."""
    run, archive = _wrapped_and_put_back(repo, "old work A")
    archive.write_text(archive.read_text().replace("] old work A\n", "] old work A (archive)\n"))
    path = repo / SESSION
    path.write_text(path.read_text().replace("] old work A\n", "] old work A (copy)\n"))
    before = archive.read_bytes(), path.read_bytes()
    refused = run("merge-kept", check=False)
    said = _flat(refused.stderr)
    assert refused.returncode == 6, said
    assert "a copy of a session wrapped up here put back by hand or by git" in said, said
    assert "another clone" not in said and f"rm {path}" in said, said
    assert (archive.read_bytes(), path.read_bytes()) == before


# -- 3. merge-kept says what it wrote ---------------------------------------------------------

def test_merge_kept_into_an_archive_says_what_it_wrote_by_kind_and_only_that(
        repo: Path) -> None:
    """A tick in the put-back copy: written into the archive and said as "1 tick", never
    "0 entries" or "Nothing to merge". The copy put back untouched: nothing written,
    said so, and no "commit it"."""
    run, archive = _wrapped_and_put_back(repo, "old work A")
    path = repo / SESSION
    path.write_text(re.sub(r"(?m)^- \[ \] (\[.*old work A)$", r"- [X] \1", path.read_text()))
    merged = run("merge-kept")
    said = _flat(merged.stderr)
    assert "1 tick written into it" in said, said
    assert "0 entries" not in said and "Nothing to merge" not in said, said
    assert "- [X]" in archive.read_text()
    commit_all(repo, "ticked")
    git(repo, "checkout", "HEAD~2", "--", SESSION)
    before = archive.read_bytes()
    again = run("merge-kept")
    said = _flat(again.stderr)
    assert archive.read_bytes() == before
    assert "nothing was written into the archive" in said, said
    assert "commit it" not in said and "git add" not in said, said
    assert "Nothing to merge" not in said and "0 entries" not in said, said
    assert not path.exists()
