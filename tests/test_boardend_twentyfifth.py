"""The task board's hand deletions of a claim's record and of the tool's end items
(issue 15, twenty-fifth round; docs/decisions.md, "Twenty-fifth round: the board's hand
deletions and stopped operations").

Three clones of one bare origin (tests/test_boardseen_twentythird.py's set-up): ``cb``
claims "Task one" in ``p``; ``c`` pulls it and writes (its kept copy holds the claim);
``a`` pulls it too.

- A person in ``a`` deletes ``cb``'s claim lines by hand and pushes: no clone may take
  that for an end (the owner's clone puts it back). ``task release ID --force`` was
  "not claimed: nothing to release"; it now writes the release record naming the
  claim's ``CLAIMED_AT``, so every clone agrees the claim ended, even when a person
  later tidies that item away.
- A clone that released a claim and then tidied its own ``released by`` item away:
  another clone pulling both must not read that board as a stale save (the claim
  back).

Real clones, real ``git``, the installed console script.
"""

from __future__ import annotations

import types
from datetime import datetime
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boardseen_twentythird import _clones
from test_claimfix_twentyfourth import _claimed_in_p_held_in_c, _owner, _pull, _push
from test_merge_driver import git

from conftest import Runner


def _hand_deleted(clone: Path, item_too: bool) -> None:
    """A person, in an up-to-date buffer of ``clone``'s board, deletes ``cb``'s claim:
    its four properties, the task back to TODO; with ``item_too`` its ``claimed by``
    item as well. No command, no item of the tool's."""
    text = (clone / BOARD).read_text(encoding="utf-8")
    kept = [line for line in text.splitlines(keepends=True)
            if not line.strip().startswith((":OWNER:", ":OWNER_PROCESS:", ":CLAIMED:",
                                            ":CLAIMED_AT:"))
            and not (item_too and "] claimed by cb" in line)]
    out = "".join(kept).replace("* DOING Task one", "* TODO Task one")
    assert out != text and ":OWNER:" not in out, out
    (clone / BOARD).write_text(out, encoding="utf-8")


def _nobody_holds(clones: dict[str, Path], runs: dict[str, Runner], ident: str) -> None:
    """In every clone: ``ident`` shown free, with no word of a loss or a lack."""
    for name in clones:
        owner, said = _owner(runs[name], ident, "cc")
        assert owner is None, (name, owner, said)
        assert "lost" not in said and "lacks" not in said, (name, said)


@pytest.mark.parametrize("item_too", [False, True])
@pytest.mark.parametrize("tidied", [False, True])
def test_release_force_ends_a_claim_deleted_by_hand_in_every_clone(
        tmp_path: Path, item_too: bool, tidied: bool) -> None:
    """Fault 1: ``release --force`` of a claim a person deleted by hand (committed, pushed)
    writes the release record; after ``p`` (the owner's clone) and ``c`` pull, every
    clone shows the task free, ``c``'s claim of it succeeds and no write puts ``cb``'s
    claim back. ``tidied``: a person then deletes that release item too (pushed): still
    ended everywhere. A task never claimed is still "nothing to release"."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = _claimed_in_p_held_in_c(clones, runs)
    _pull(a)
    _hand_deleted(a, item_too)
    _push(a, "a person takes cb's claim off")
    other = runs["a"]("task", "add", "Never claimed", agent="pa").stdout.strip()
    never = runs["a"]("task", "release", other, "--force", agent="pa")
    assert "nothing to release" in never.stdout, never
    released = runs["a"]("task", "release", ident, "--force", agent="pa")
    assert "Released task" in released.stdout, released
    text = (a / BOARD).read_text(encoding="utf-8")
    assert "released by pa" in text and "CLAIMED_AT" in text.split("released by pa")[1], text
    _push(a, "pa ends cb's claim")
    if tidied:
        text = (a / BOARD).read_text(encoding="utf-8")
        (a / BOARD).write_text("".join(line for line in text.splitlines(keepends=True)
                                       if "released by pa" not in line), encoding="utf-8")
        _push(a, "a person tidies the release away")
    _pull(p)
    _pull(c)
    _nobody_holds(clones, runs, ident)
    runs["p"]("task", "add", "P writes", agent="pp")
    assert ":OWNER:    cb" not in (p / BOARD).read_text(encoding="utf-8")
    _push(p, "p writes")
    _pull(c)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 0, claimed
    _push(c, "cc claims")
    _pull(p)
    _pull(a)
    for name in clones:
        assert _owner(runs[name], ident, "pa")[0] == "cc", name


def _in_review(clones: dict[str, Path]) -> None:
    """A person in ``p`` sets "Task one" to ``REVIEW`` (a claim keeps that state, so a
    release adds only its item) and pushes; ``a`` and ``c`` pull."""
    p = clones["p"]
    text = (p / BOARD).read_text(encoding="utf-8")
    (p / BOARD).write_text(text.replace("* TODO Task one", "* REVIEW Task one"),
                           encoding="utf-8")
    _push(p, "Task one in review")
    _pull(clones["a"])
    _pull(clones["c"])


@pytest.mark.parametrize("state", ["TODO", "REVIEW"])
@pytest.mark.parametrize("tidied_where", ["p", "a"])
@pytest.mark.parametrize("again", [False, True, "wrote"])
def test_a_release_tidied_away_after_it_is_known_is_no_stale_save(
        tmp_path: Path, tidied_where: str, again: bool | str, state: str) -> None:
    """Fault 2: ``cb`` releases in ``p`` and pushes; a person in ``tidied_where`` (the
    releasing clone, or ``a`` after pulling it) deletes the ``released by cb`` item and
    pushes (``state``: the task's state when claimed: ``REVIEW`` stays, so the release
    adds its item alone). ``c`` (its kept copy holds the claim) pulls the release and the tidying
    (``again``: in two pulls; ``"wrote"``: ``c`` wrote the board and pushed between
    them) and ``a``/``p`` pull: the task is free everywhere with no
    word of a lack or a loss, no write puts the claim or the item back, and ``cc``'s
    claim of it succeeds and reaches every clone."""
    clones, runs = _clones(tmp_path.resolve())
    p, c = clones["p"], clones["c"]
    if state == "REVIEW":
        _in_review(clones)
    ident = _claimed_in_p_held_in_c(clones, runs)
    _pull(clones["a"])
    runs["p"]("task", "release", ident, agent="cb")
    _push(p, "cb releases")
    if again:
        _pull(c)
    if again == "wrote":
        runs["c"]("task", "add", "C after the release", agent="cc")
        _push(c, "c writes after the release")
    tidier = clones[tidied_where]
    _pull(tidier)
    text = (tidier / BOARD).read_text(encoding="utf-8")
    (tidier / BOARD).write_text("".join(line for line in text.splitlines(keepends=True)
                                        if "released by cb" not in line), encoding="utf-8")
    _push(tidier, "a person tidies the release away")
    for name in clones:
        if clones[name] != tidier:
            _pull(clones[name])
    _nobody_holds(clones, runs, ident)
    for name in clones:
        wrote = runs[name]("task", "add", f"{name} writes", agent=f"{name}w")
        assert "lacks" not in wrote.stderr and "put back" not in wrote.stderr, (name, wrote)
        text = (clones[name] / BOARD).read_text(encoding="utf-8")
        assert ":OWNER:    cb" not in text and "released by cb" not in text, (name, text)
        git(clones[name], "checkout", "-q", "--", str(BOARD))
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode == 0, claimed
    _push(c, "cc claims")
    for name in clones:
        if name != "c":
            _pull(clones[name])
        assert _owner(runs[name], ident, name)[0] == "cc", name


_AGENT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                 min_size=1, max_size=30)
_HOST = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-"), min_size=1,
                max_size=20)


@settings(max_examples=200, deadline=None)
@given(me=_AGENT, owner=_AGENT, host=_HOST,
       when=st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1)),
       pid=st.integers(1, 4_000_000), started=st.floats(0, 1e7, allow_nan=False))
def test_the_release_record_names_the_claim_it_ends(
        me: str, owner: str, host: str, when: datetime, pid: int, started: float) -> None:
    """Whatever agent ids (any text but line breaks) and whichever record
    (``CLAIMED_AT``: instant, host, process, start) the claim had, the item ``release
    --force`` writes, as the board writes a log item, is read back as ending exactly
    that record, and a person's note with the same words but no tool stamp is not."""
    from ai_protocols.board.board import _whole
    from ai_protocols.board.model import BoardFile, named_ends, read_board, release_record
    from ai_protocols.org.syntax import entry_lines, format_timestamp

    record = f"{when.isoformat()}+00:00 {host} {pid:x} {started:.2f}"
    board = BoardFile("* DOING Task\n:PROPERTIES:\n:ID:       t1\n:OWNER:    x\n"
                      f":CLAIMED_AT: {record}\n:END:\n")
    read = read_board(board, check=False)[0][0]
    assert read.claimed_at == record  # (the record as the board reads it back)
    task = types.SimpleNamespace(owner=owner, claimed_at=read.claimed_at)
    lines = entry_lines(format_timestamp(when), _whole(release_record(me, task)))
    data = ("\n".join(lines) + "\n").encode()
    assert named_ends(data) == {record.encode()}, lines
    assert named_ends(data.replace(b"- [", b"- (", 1)) == set()
