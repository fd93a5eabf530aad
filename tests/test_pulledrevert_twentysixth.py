"""A ``git revert`` made in another clone, pulled by a true merge or by ``pull --rebase``
(twenty-sixth round, issue 14; docs/decisions.md, "Twenty-sixth round: reverts that
arrive by a pull").

Fault L: the revert pulled by a fast-forward was a person's act already
(tests/test_pulledrevert_twentyfifth.py); pulled by a true merge (``pull --no-rebase``
over a local commit) or by ``pull --rebase``, ``status`` and ``log`` still advised
putting back what it took out. Fault WRONG 2: ``pull --rebase`` brought back the entry
the other clone reverted (the driver's history folded each version to its newest place,
so the revert's bytes, equal to an older version, looked newer than the base).

Real clones of a bare origin, real ``git revert`` and ``git pull``, the merge driver
``init`` installs, the installed console script, real Emacs reading the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clonekit import LAYOUTS, Clones, git, push
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pulledrevert_twentyfifth import revert_stands
from test_stalecommit_twentysecond import _flat

from emacs import assert_reader_agrees, org_element

PULLS = {"merge": ("--no-rebase",), "rebase": ("--rebase",)}
#: How a clone takes what the origin holds: ``git pull`` (a true merge or a rebase) or
#: ``git fetch`` then ``git merge`` / ``git rebase`` of ``origin/main``.
TAKES = [*PULLS, "fetch-merge", "fetch-rebase"]


def _take(clone: Path, how: str) -> None:
    """``clone`` takes ``origin``'s ``main`` as ``how`` (one of :data:`TAKES`) says; git
    must succeed (the driver merges the session file)."""
    if how in PULLS:
        done = git(clone, "pull", "-q", *PULLS[how], "origin", "main", check=False)
    else:
        git(clone, "fetch", "-q", "origin")
        done = git(clone, how.split("-")[1], "-q", "origin/main", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _commit_own(clone: Path, name: str) -> None:
    """A commit of one's own in ``clone``: a file ``name`` of its own, the session file
    untouched."""
    (clone / name).write_text("mine\n")
    git(clone, "add", name)
    git(clone, "commit", "-q", "-m", name)


def _reverted_elsewhere(tmp_path: Path, layout: str, pull: str, older: bool = False
                        ) -> Clones:
    """The reviewer's steps: ``two`` (B) logs Z1, pushes; ``one`` (A) pulls, logs Z2,
    commits; B reverts its commit, pushes; A takes it as ``pull`` (one of
    :data:`TAKES`) says. ``older``: B logs Z0 after Z1, in a commit of its own, and
    reverts Z1's commit, no longer its newest."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout])
    one, two = clones.run_one, clones.run_two
    git(clones.two, "pull", "-q", "origin", "main")
    two("log", "--progress", "Z1")
    push(two, "z1")
    z1 = git(clones.two, "rev-parse", "HEAD").stdout.strip()
    if older:
        two("log", "--progress", "Z0")
        push(two, "z0")
    git(clones.one, "pull", "-q", "origin", "main")
    one("log", "--progress", "Z2")
    git(clones.one, "add", "-A")
    git(clones.one, "commit", "-q", "-m", "z2")
    git(clones.two, "revert", "--no-edit", z1)
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    _take(clones.one, pull)
    return clones


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pull", TAKES)
@pytest.mark.parametrize("older", [False, True], ids=["newest", "older"])
def test_a_revert_pulled_by_a_merge_or_a_rebase_stands(tmp_path: Path, layout: str,
                                                        pull: str, older: bool) -> None:
    clones = _reverted_elsewhere(tmp_path, layout, pull, older)
    one = clones.run_one
    text = one.path.read_text()
    assert "] Z1" not in text and "] Z2" in text and "] Base step" in text, text
    assert ("] Z0" in text) == older, text
    assert "<<<<<<<" not in text
    assert git(clones.one, "status", "--porcelain").stdout == ""
    assert_reader_agrees(one.path, org_element([one.path])[0])
    for command in ("status", "show"):
        done = one(command)
        said = _flat(done.stdout + done.stderr)
        assert "older version" not in said and "cp " not in said and "lacks" not in said, \
            said
    written = one("log", "--progress", "Z3")
    assert written.returncode == 0, written.stderr
    assert "older version" not in written.stderr and "merged back" not in written.stderr, \
        written.stderr
    text = one.path.read_text()
    assert "] Z1" not in text and "] Z2" in text and "] Z3" in text, text


def _ticked_and_reverted(tmp_path: Path, layout: str, pull: str, revert: bool = True
                         ) -> Clones:
    """Fault L's steps (tests/test_pulledrevert_twentyfifth.py's, with a local commit):
    ``one`` logs and ticks, pushes; ``two`` reverts the tick's commit (``revert``; else
    commits ``one``'s version from before the tick in its own words), pushes; ``one``
    commits a file of its own (the session file untouched) and takes it as ``pull``
    (one of :data:`TAKES`) says: git takes ``two``'s version as it is, no driver."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout])
    one = clones.run_one
    one("log", "--next", "N1", "--progress", "P1")
    push(one, "c1")
    older = one.path.read_bytes()
    one("log", "--done", "N1", "--progress", "P2")
    push(one, "c2")
    git(clones.two, "pull", "-q", "origin", "main")
    if revert:
        git(clones.two, "revert", "--no-edit", "HEAD")
    else:
        (clones.two / one.file).write_bytes(older)
        git(clones.two, "commit", "-q", "-am", "my own words")
    git(clones.two, "push", "-q", "origin", "HEAD:main")
    _commit_own(clones.one, "notes.txt")
    _take(clones.one, pull)
    return clones


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pull", TAKES)
@pytest.mark.parametrize("then", [False, True], ids=["read", "committed-then-read"])
def test_a_revert_pulled_over_a_local_commit_is_a_persons_act(tmp_path: Path, layout: str,
                                                               pull: str, then: bool) -> None:
    """``then``: a commit of one's own (another file) after the pull, before the reads:
    ``HEAD``'s newest move is no pull then, the pull's result still holds the file."""
    clones = _ticked_and_reverted(tmp_path, layout, pull)
    if then:
        _commit_own(clones.one, "more.txt")
    revert_stands(clones.run_one, ("status", "show"))


@pytest.mark.parametrize("pull", TAKES)
def test_a_plain_commit_of_an_older_version_pulled_over_a_local_commit_is_warned(
        tmp_path: Path, pull: str) -> None:
    """The guard: another clone commits an older version in its own words (no git line);
    taken over a local commit, by a merge or a rebase, it is no revert, and ``status``
    still says the file lacks what the tool wrote."""
    clones = _ticked_and_reverted(tmp_path, "single", pull, revert=False)
    said = _flat(clones.run_one("status").stdout)
    assert "older version" in said or "lacks" in said, said


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["a\n", "b\n", "c\n"]), min_size=1, max_size=6))
def test_history_versions_each_keeps_every_place(tmp_path_factory: pytest.TempPathFactory,
                                                 contents: list[str]) -> None:
    """``git.state.history_versions`` with ``each``, over a real repository whose file
    took ``contents`` one commit after another (a version again when a commit puts back
    an older one): every version each commit gave it and took from it, newest first,
    repeats kept; without ``each`` the same, each once at its newest place."""
    from ai_protocols.git.history import history_versions

    repo = tmp_path_factory.mktemp("history")
    git(repo, "init", "-q")
    kept: list[str] = []  # (the versions the commits gave, a commit that changed nothing
    # being none)
    for text in contents:
        (repo / "f.txt").write_text(text)
        git(repo, "add", "f.txt")
        git(repo, "commit", "-q", "--allow-empty", "-m", "c")
        if not kept or kept[-1] != text:
            kept.append(text)
    places: list[bytes] = []
    for at in range(len(kept) - 1, -1, -1):  # (each commit: after, then before)
        places.append(kept[at].encode())
        if at:
            places.append(kept[at - 1].encode())
    assert history_versions(repo, "f.txt", ["HEAD"], 30, before=True, each=True) == places
    assert history_versions(repo, "f.txt", ["HEAD"], 30, before=True) == \
        list(dict.fromkeys(places))
    after = [kept[at].encode() for at in range(len(kept) - 1, -1, -1)]
    assert history_versions(repo, "f.txt", ["HEAD"], 30, before=False, each=True) == after


@given(st.lists(st.sampled_from([b"commit: x", b"checkout: moving", b"reset: moving"]),
                max_size=3),
       st.sampled_from([b"rebase ", b"rebase -i ", b"pull -q --rebase origin main "]),
       st.integers(0, 3), st.integers(0, 3),
       st.sampled_from([None, b"checkout: moving from a to b", b"reset: moving to HEAD~"]))
def test_the_rebase_under_ones_own_commits(before: list[bytes], name: bytes, picks: int,
                                           own: int, after: bytes | None) -> None:
    """``cause._rebased_from`` over a ``HEAD`` reflog (oldest first) of other moves, a
    rebase's steps (``(start)``, ``(pick)``..., ``(finish)``, ``name`` their prefix) and
    ``own`` commits of one's own: the commit before its start and its result; with
    another kind of move (``after``) last: none."""
    from ai_protocols.session.cause import _rebased_from

    messages = [*before, name + b"(start): checkout origin/main",
                *[name + b"(pick): mine"] * picks, name + b"(finish): returning to x",
                *[b"commit: more"] * own, *([after] if after else [])]
    ids = [f"{at + 1:040x}" for at in range(len(messages) + 1)]
    moves = [(ids[at], ids[at + 1], message) for at, message in enumerate(messages)]
    moves[len(before) + picks + 1] = (ids[len(before) + picks + 1],) * 2 + \
        (messages[len(before) + picks + 1],)  # (the finish leaves HEAD where it is)
    for at in range(len(before) + picks + 2, len(moves)):  # (the chain goes on from it)
        moves[at] = (moves[at - 1][1], ids[at + 1], messages[at])
    head = moves[-1][1]
    start = ids[len(before)]
    assert _rebased_from(moves, head) == (None if after else
                                           (start, moves[len(before) + picks + 1][1]))
    assert _rebased_from(moves, "f" * 40) is None
