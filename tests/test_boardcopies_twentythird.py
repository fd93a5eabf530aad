"""One place for each rule of the task board (issue 15, twenty-third round;
docs/decisions.md, "Twenty-third round: the board's claims a clone had seen").

- A version kept beside the board's kept copy (``tasks.org.head``, the file a stale
  save's refusal merges the board with) is read by the project's one reader, which
  refuses a symbolic link: one put there is replaced by the version written, never read
  through or left in place (the old ``board_file_bytes`` followed it).
- A lock is ended elsewhere only by the item ``unlock`` writes (one parser of those
  items, ``model.unlock_records``): a person's note in the Locks section that names a
  lock's record and the words "unlocked by" is no end, so a live agent's lock taken
  off by hand is still held (the old second parser read any such line as its end).
- A claim of a closed task says the ``CLOSED: [T]`` Org's rule takes out
  (``org.syntax.closed_taken``), not the text from the first "CLOSED:" of the line.

The installed console script, real git, the real hook command.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_boardcache_twentythird import _refused
from test_merge_driver import git
from test_readers_eighteenth import _hook

from conftest import Runner, copy_initialized

ME, OTHER = "h.p.claude.1", "h.q.claude.2"


def test_a_symbolic_link_put_for_the_refusals_version_is_replaced_not_followed(
        tmp_path: Path) -> None:
    """After a refusal wrote ``tasks.org.head``, a symbolic link to a file of the very
    same bytes is put in its place, and the board changes (judged again): the refusal
    stands, its version is written again as a regular file (the link is gone, its
    target untouched), and the hook still holds the lock of both sides."""
    b, env, _log = _refused(tmp_path.resolve())
    assert _hook(b, b / "lib" / "y", "pb", env=env).returncode == 2
    head = b / ".ai" / ".locks" / "live" / "tasks.org.head"
    target = tmp_path / "elsewhere.org"
    target.write_bytes(head.read_bytes())
    head.unlink()
    head.symlink_to(target)
    (b / BOARD).write_text((b / BOARD).read_text(encoding="utf-8") + "Typed later\n",
                           encoding="utf-8")
    again = _hook(b, b / "lib" / "y", "pb", env=env)
    assert again.returncode == 2 and "lib" in again.stderr, again
    assert not head.is_symlink() and head.is_file()
    assert target.read_bytes() == head.read_bytes()  # (the target as it was)
    listed = Runner(b)("locks", agent="pb")
    assert "merge-driver" in listed.stderr and "tasks.org.head" in listed.stderr


def _lock_taken_off_by_hand(project: Path, run: Runner, note: str) -> None:
    """``ME`` (live: this test) locks ``src``; a person deletes the lock's entry and
    types ``note`` (``{record}``: the lock's ``LOCKED_AT``) in the Locks section's
    own text."""
    run("lock", "src", "--reason", "mine", agent=ME)
    text = (project / BOARD).read_text(encoding="utf-8")
    record = re.search(r"^:LOCKED_AT: +(.+)$", text, re.M)
    assert record is not None
    start = text.index("** src")
    end = text.find("\n*", start + 1)
    text = text[:start] + (text[end + 1:] if end >= 0 else "")
    intro = text.index("Areas an agent keeps")
    line_end = text.index("\n", intro) + 1
    text = text[:line_end] + note.format(record=record.group(1)) + "\n" + text[line_end:]
    (project / BOARD).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("note", [
    "- a note: src was unlocked by mistake? its (LOCKED_AT {record}) is kept here",
    "See: unlocked by nobody (LOCKED_AT {record})",
])
def test_a_persons_note_naming_the_record_is_no_unlock(
        project: Path, run: Runner, note: str) -> None:
    """The note is no ``unlock`` item: the live lock is still held (``locks``), another
    agent's lock inside it is refused, and the hook refuses the other agent's edit."""
    _lock_taken_off_by_hand(project, run, note)
    listed = run("locks", agent=OTHER)
    assert re.search(rf"^src/?  locked by {re.escape(ME)}", listed.stdout, re.M), listed
    hook = write_hook(project, project / "src" / "x.py", OTHER)
    assert hook.returncode == 2 and "src" in hook.stderr, (hook.returncode, hook.stderr)
    refused = run("lock", "src/inner", "--reason", "other", agent=OTHER, check=False)
    assert refused.returncode != 0 and ME in refused.stderr, refused


def test_the_unlock_item_itself_still_ends_the_lock(project: Path, run: Runner) -> None:
    """The guard: the very item ``unlock`` writes, typed by the person where the lock was
    (as a merge of another clone's unlock leaves it), ends the lock: not held."""
    _lock_taken_off_by_hand(
        project, run, f"- [2026-12-02 Wed 10:00] unlocked by {OTHER}: src, {ME}'s lock "
        "(LOCKED_AT {record})")
    listed = run("locks", agent=OTHER)
    assert "locked by" not in listed.stdout, listed.stdout
    assert write_hook(project, project / "src" / "x.py", OTHER).returncode == 0


_CLOSED = "CLOSED: [2099-01-01 Thu 10:00]"


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.sampled_from(["DEADLINE: <2099-01-05 Mon> ", "SCHEDULED: <2099-01-02 Fri> "]),
       decoy=st.sampled_from(["XCLOSED: x ", "NOT-CLOSED: y ", "CLOSED: <2099-01-03 Sat> "]),
       after=st.sampled_from(["", " DEADLINE: <2099-01-09 Fri>"]))
def test_a_claim_says_the_closed_orgs_rule_takes_out(
        tmp_path_factory: pytest.TempPathFactory, initialized: Path, before: str,
        decoy: str, after: str) -> None:
    """A planning line with a decoy ``CLOSED:`` before Org's own (inside a word, or
    before an active timestamp, which Org's ``org-closed-time-regexp`` does not take):
    the claim's log item names the ``CLOSED: [T]`` taken out, and the line keeps every
    other byte (the old code named the text from the decoy on)."""
    project = tmp_path_factory.mktemp("closed").resolve()
    git(project, "init", "-q")
    copy_initialized(initialized, project)
    run = Runner(project)
    task = run("task", "add", "Closed by mistake", agent=ME).stdout.strip()
    text = (project / BOARD).read_text(encoding="utf-8")
    text = text.replace("* TODO Closed by mistake\n",
                        f"* DOING Closed by mistake\n{before}{decoy}{_CLOSED}{after}\n")
    (project / BOARD).write_text(text, encoding="utf-8")
    run("task", "claim", task, agent=ME)
    written = (project / BOARD).read_text(encoding="utf-8")
    inert = written.replace("\u200b", "").replace("\u2060", "")  # (the log item's text)
    assert f"its planning line's {_CLOSED} taken out" in inert, written
    assert f"{before}{decoy}{after.lstrip()}".rstrip() in written.splitlines(), written
