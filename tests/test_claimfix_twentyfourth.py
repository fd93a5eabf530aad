"""A claim's end, in git's history and across time zones (issue 15, twenty-fourth round;
docs/decisions.md, "Twenty-fourth round: a claim's end, in history and across zones").

Three clones of one bare origin (``a``, ``p``, ``c``: tests/test_boardseen_twentythird.py's
set-up); live agents are the test process (the installed console script run as its
child records it as the owner's process).

- B1: ``cb`` claims "Task one" in ``p``; ``c`` writes the board (its kept copy holds the
  claim); ``cb`` releases; a person in ``a`` deletes the inert ``- [T] released by cb``
  item in an up-to-date buffer and commits. The old code knew a claim's end only by that
  item: ``c`` called the claim lost, refused ``task claim`` (exit 21) and put the claim
  back on its next write. Now the commit that took the claim's ``CLAIMED_AT`` out and
  wrote the item tells the end (as ``unlock``'s for a lock).
- The other side: a claim a person (or a stale save) took out with no end written is
  still lost and put back, though an older claim's ``released by`` item is in the log.
- B5: ``p`` claims under one ``TZ``, ``c`` ends the claim under another (``release
  --force``; ``claim --force`` then ``handoff``). The old code compared the end item's
  local stamp with the claim's local ``CLAIMED``: a zone behind read as before the
  claim, and ``p`` put the claim back. And the other way, an older end stamped in a zone
  ahead read as after a newer claim, which a person then deleted: silently lost.

Real clones, real ``git``, the installed console script under real ``TZ`` values.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_boardseen_twentythird import _clones
from test_merge_driver import git
from test_stalefix_nineteenth import _commit

from conftest import Runner

#: Zones far apart (claimer's, ender's): each pair's offsets differ by many hours, so a
#: stamp's wall-clock time read across them is on the wrong side whatever the hour.
ZONES = [("Asia/Tokyo", "America/Los_Angeles"), ("Pacific/Kiritimati", "Pacific/Pago_Pago")]


def _push(clone: Path, message: str) -> None:
    _commit(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def _pull(clone: Path) -> None:
    git(clone, "pull", "-q", "--no-rebase", "origin", "main")


def _task_one(run: Runner) -> str:
    listed = json.loads(run("task", "list", "--json", agent="pa").stdout)
    return next(t["id"] for t in listed if t["title"] == "Task one")


def _owner(run: Runner, ident: str, agent: str) -> tuple[str | None, str]:
    """The owner ``task list`` shows for ``ident``, and what it said on stderr."""
    shown = run("task", "list", "--all", "--json", agent=agent)
    return next(t["owner"] for t in json.loads(shown.stdout) if t["id"] == ident), \
        shown.stderr


def _without_lines(clone: Path, *starts: str) -> None:
    """A person deletes from ``clone``'s board every line that starts with one of
    ``starts`` (stripped), as in an up-to-date buffer."""
    text = (clone / BOARD).read_text(encoding="utf-8")
    kept = [line for line in text.splitlines(keepends=True)
            if not line.strip().startswith(starts) and not any(
                f"] {start}" in line for start in starts if not start.startswith(":"))]
    assert len(kept) < len(text.splitlines()), text
    (clone / BOARD).write_text("".join(kept).replace("* DOING Task one", "* TODO Task one"),
                               encoding="utf-8")


def _claimed_in_p_held_in_c(clones: dict[str, Path], runs: dict[str, Runner],
                            tz: str | None = None) -> str:
    """``cb`` claims "Task one" in ``p`` (under ``TZ=tz``) and pushes; ``c`` pulls and
    writes the board (its kept copy holds the claim) and pushes; ``p`` pulls. The id."""
    p, c = clones["p"], clones["c"]
    zone = {"TZ": tz} if tz else None
    ident = _task_one(runs["p"])
    runs["p"]("task", "claim", ident, agent="cb", env=zone)
    _push(p, "cb claims")
    _pull(c)
    runs["c"]("task", "add", "C task", agent="cc")
    _push(c, "c adds")
    _pull(p)
    return ident


@pytest.mark.parametrize("again", [False, True])
def test_a_release_whose_item_a_person_deleted_stays_a_release_in_every_clone(
        tmp_path: Path, again: bool) -> None:
    """B1: after ``c`` pulls the release and the tidying (``again``: in two pulls), the
    task is free there with no warning, ``cc`` claims it, and ``c``'s write does not put
    ``cb``'s claim back: ``a`` and ``p`` show ``cc`` as its holder."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _claimed_in_p_held_in_c(clones, runs)
    runs["p"]("task", "release", ident, agent="cb")
    _push(p, "cb releases")
    if again:
        _pull(c)
    _pull(a)
    _without_lines(a, "released by cb")
    _push(a, "a person tidies the log")
    _pull(c)
    owner, said = _owner(runs["c"], ident, "cc")
    assert owner is None and "lost" not in said, (owner, said)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 0, claimed
    text = (c / BOARD).read_text(encoding="utf-8")
    assert ":OWNER:    cb" not in text and "released by cb" not in text, text
    _push(c, "cc claims")
    for name in ("a", "p"):
        _pull(clones[name])
        assert _owner(runs[name], ident, "pa")[0] == "cc"


def test_a_claim_taken_out_with_no_end_written_is_still_lost_and_put_back(
        tmp_path: Path) -> None:
    """The other side of B1's rule: the task's log holds an older claim's ``released
    by`` item; ``cb`` claims it again; a person in ``a`` takes the claim out (its
    properties, its item, the state back) and commits: no end was written. In ``c``,
    whose kept copy holds the claim, it is lost, ``task claim`` is refused, and the
    next write puts it back."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _task_one(runs["p"])
    runs["p"]("task", "claim", ident, agent="cb")
    runs["p"]("task", "release", ident, agent="cb")
    _push(p, "cb claims and releases")
    _claimed_in_p_held_in_c(clones, runs)
    _pull(a)
    _without_lines(a, ":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:", ":CLAIMED_AT:")
    text = (a / BOARD).read_text(encoding="utf-8")
    claims = [line for line in text.splitlines() if "claimed by cb" in line]
    (a / BOARD).write_text(text.replace(claims[-1] + "\n", ""), encoding="utf-8")
    assert "released by cb" in (a / BOARD).read_text(encoding="utf-8")
    _push(a, "a person takes cb's claim out")
    _pull(c)
    owner, said = _owner(runs["c"], ident, "cc")
    assert owner == "cb" and "lost" in said, (owner, said)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 21, claimed
    wrote = runs["c"]("task", "add", "After", agent="cc")
    assert "put back" in wrote.stderr, wrote.stderr
    assert ":OWNER:    cb" in (c / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("zones", ZONES)
@pytest.mark.parametrize("how", ["release", "takeover-and-handoff"])
def test_an_end_made_in_a_zone_behind_the_claimer_stays_an_end(
        tmp_path: Path, zones: tuple[str, str], how: str) -> None:
    """B5: ``cb`` claims in ``p`` under the first zone; in ``c``, under the second (many
    hours behind), ``cc`` ends it (``release --force``; or ``claim --force`` then
    ``handoff``) and pushes; ``p`` pulls: no warning, ``cb`` holds it no more, and
    ``p``'s next write does not put the claim back."""
    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    ahead, behind = zones
    ident = _claimed_in_p_held_in_c(clones, runs, ahead)
    _pull(c)
    there = {"TZ": behind}
    if how == "release":
        runs["c"]("task", "release", ident, "--force", agent="cc", env=there)
    else:
        runs["c"]("task", "claim", ident, "--force", agent="cc", env=there)
        runs["c"]("task", "handoff", ident, "--to", "reviewer",
                   "--note", "please review", agent="cc", env=there)
    _push(c, "cc ends cb's claim")
    _pull(p)
    here = {"TZ": ahead}
    shown = runs["p"]("task", "list", "--all", "--json", agent="cb", env=here)
    owner = next(t["owner"] for t in json.loads(shown.stdout) if t["id"] == ident)
    assert owner is None and "lost" not in shown.stderr, (owner, shown.stderr)
    wrote = runs["p"]("task", "add", "After", agent="cb", env=here)
    assert "put back" not in wrote.stderr, wrote.stderr
    assert ":OWNER:    cb" not in (p / BOARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("zones", ZONES)
def test_an_older_end_stamped_in_a_zone_ahead_does_not_end_a_newer_claim(
        tmp_path: Path, zones: tuple[str, str]) -> None:
    """The other way of B5's kind: ``cb`` claims and releases under the zone ahead (its
    ``released by`` item stamped many hours after the next claim's local time); ``cc``
    then claims under the zone behind; ``a`` writes (its kept copy holds ``cc``'s
    claim); a person in ``p`` takes ``cc``'s claim out, no end written. In ``a`` the
    claim is lost and put back (the old code read the older item as its end)."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ahead, behind = zones
    ident = _task_one(runs["p"])
    runs["p"]("task", "claim", ident, agent="cb", env={"TZ": ahead})
    runs["p"]("task", "release", ident, agent="cb", env={"TZ": ahead})
    _push(p, "cb claims and releases")
    _pull(c)
    runs["c"]("task", "claim", ident, agent="cc", env={"TZ": behind})
    _push(c, "cc claims")
    _pull(a)
    runs["a"]("task", "add", "A task", agent="ca")
    _push(a, "a adds")
    _pull(p)
    _without_lines(p, ":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:", ":CLAIMED_AT:",
                   "claimed by cc")
    _push(p, "a person takes cc's claim out")
    _pull(a)
    owner, said = _owner(runs["a"], ident, "ca")
    assert owner == "cc" and "lost" in said, (owner, said)
    wrote = runs["a"]("task", "add", "After", agent="ca")
    assert "put back" in wrote.stderr, wrote.stderr
    assert ":OWNER:    cc" in (a / BOARD).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def _claimed_board(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """A board with "Task one" claimed by ``cb`` (made by the installed console script),
    the same board after ``cb`` released it, and after a person took the claim out
    with no end written (the ``released by`` item of an older claim in its log):
    ``(claimed, released, taken_out)`` texts."""
    root = (tmp_path_factory.mktemp("claimfix") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q")
    run = Runner(root)
    run("init")
    ident = run("task", "add", "Task one", agent="pa").stdout.strip()
    run("task", "claim", ident, agent="cb")
    run("task", "release", ident, agent="cb")
    run("task", "claim", ident, agent="cb")
    claimed = (root / BOARD).read_text(encoding="utf-8")
    run("task", "release", ident, agent="cb")
    released = (root / BOARD).read_text(encoding="utf-8")
    last = [line for line in claimed.splitlines() if "claimed by cb" in line][-1]
    head, _, tail = claimed.rpartition(last + "\n")  # (that item alone: the older stays)
    taken = "".join(line for line in (head + tail).splitlines(keepends=True)
                    if not line.startswith((":OWNER", ":CLAIMED")))
    return claimed, released, taken.replace("* DOING", "* TODO")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(*[st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1))] * 2)
def test_the_end_of_a_claim_reads_no_stamp(_claimed_board: tuple[str, str, str],
                                           claim_time: object, end_time: object) -> None:
    """Whatever wall-clock times the items carry (any two, either order: written in any
    zones), a step that wrote a ``released by`` item ends the claim and one that took
    the claim out without one does not (:func:`ended_since`, the one rule of the kept
    copy's step and a commit's)."""
    import re

    from ai_protocols.board.model import BoardFile, ended_since, read_board
    from ai_protocols.org.syntax import format_timestamp

    claimed, released, taken = _claimed_board

    def stamped(text: str) -> str:
        text = re.sub(r"\[[^]\n]*\] claimed by",
                      f"{format_timestamp(claim_time)} claimed by", text)  # type: ignore
        return re.sub(r"\[[^]\n]*\] released by",
                      f"{format_timestamp(end_time)} released by", text)  # type: ignore

    before = stamped(claimed)
    held = next(t for t in read_board(BoardFile(before), check=False)[0] if t.owner)
    assert ended_since(stamped(released).encode(), before.encode(), held)
    assert not ended_since(stamped(taken).encode(), before.encode(), held)
