"""A clean ``git pull`` after a local ``git revert`` of a claim or a lock (issue 15,
twenty-eighth round; docs/decisions.md, "Twenty-eighth round: a clean pull after a
local revert").

The fault: ``ca`` claims "Task one" (or locks ``src/api``) in ``a``, committed and
pushed; ``p`` and ``c`` pull; a person in ``a`` reverts that commit (``git revert
--no-edit HEAD``) and pushes; ``p`` and ``c`` pull; ``cc`` claims the task (locks the
path) in ``p`` in the same minute as ``ca`` did, so that its lines are ``ca``'s byte
for byte but for its owner and record; ``a`` adds a task and commits; ``p`` commits
``cc``'s claim and pushes; ``a`` pulls (a clean merge, a rebase, a fast-forward). Every
board write in ``a`` then exited 6, taking ``p``'s commit for a stale save made from a
buffer opened before the revert: the step of the history that took ``ca``'s claim out
was a sign of it though ``p``'s board holds none of ``ca``'s records. Now a step that
took a claim's record out tells nothing of a version holding none of its records (as
the locks an ``unlock`` took out already told nothing), and a true stale save over the
pull (a buffer opened before the revert, holding ``ca``'s claim) is still caught: after
a fast-forward it stood before unless the fault fired, and is now merged back on the
board before the revert (``stale_history.opened_before_revert``).

Real clones of one bare origin, real ``git``, the installed console script; the claims'
minute pinned with libfaketime (the Debian package faketime).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from boardkit import BOARD
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boardseen_twentythird import _clones, _shown
from test_claimfix_twentyfourth import _owner, _pull, _push
from test_merge_driver import git

from conftest import CLI, Runner, clean_env


def _at(clone: Path, when: datetime, agent: str, *args: str) -> None:
    """``ai-protocols ARGS`` in ``clone`` as ``agent``, its clock set to ``when`` (UTC)
    by libfaketime; the test process is its owner, as :class:`Runner`'s."""
    faketime = shutil.which("faketime")
    assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
    done = subprocess.run([faketime, "-f", when.strftime("@%Y-%m-%d %H:%M:%S"), str(CLI),
                           *args], cwd=clone, env=clean_env(AI_AGENT_ID=agent, TZ="UTC"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (args, done.returncode, done.stderr)


def _takes(clone: Path, what: str, when: datetime, agent: str, ident: str) -> None:
    """``agent`` claims ``ident`` (``what`` ``claim``) or locks ``src/api`` (``lock``)
    in ``clone`` at ``when``."""
    if what == "claim":
        _at(clone, when, agent, "task", "claim", ident)
    else:
        _at(clone, when, agent, "lock", "src/api", "--reason", "reshaping it")


def _held_by(run: Runner, what: str, ident: str) -> str | None:
    """Who holds the claim of ``ident`` (``what`` ``claim``) or the lock on ``src/api``,
    as ``task list`` and ``locks`` show."""
    if what == "claim":
        return _owner(run, ident, "dd")[0]
    return next((s[2] for s in _shown(run) if s[:2] == ("lock", "src/api")), None)


def _reverted_then_taken(tmp_path: Path, what: str, pull: str
                         ) -> tuple[dict[str, Path], dict[str, Runner], str]:
    """The fault's history up to ``a``'s pull (``pull``: ``merge``, ``rebase``, ``ff``:
    no commit of ``a``'s own after the revert) of ``cc``'s claim (lock), in one minute
    with ``ca``'s. Returns the clones, their runners, and "Task one"'s id."""
    clones, runs = _clones(tmp_path.resolve())
    a, p, c = clones["a"], clones["p"], clones["c"]
    ident = json.loads(runs["a"]("task", "list", "--json", agent="pa").stdout)[0]["id"]
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0) - \
        timedelta(minutes=1)
    _takes(a, what, minute + timedelta(seconds=10), "ca", ident)
    _push(a, f"ca's {what}")
    _pull(p)
    _pull(c)
    git(a, "revert", "--no-edit", "HEAD")
    git(a, "push", "-q", "origin", "HEAD:main")
    _pull(p)
    _pull(c)
    assert _held_by(runs["p"], what, ident) is None
    _takes(p, what, minute + timedelta(seconds=20), "cc", ident)
    if pull != "ff":
        runs["a"]("task", "add", "Third", agent="pa")
        git(a, "commit", "-qam", "third")
    _push(p, f"cc's {what}")
    git(a, "pull", "-q", "--rebase" if pull == "rebase" else "--no-rebase", "origin", "main")
    assert not git(a, "status", "--porcelain").stdout.strip()
    return clones, runs, ident


@pytest.mark.parametrize("pull", ["merge", "rebase", "ff"])
@pytest.mark.parametrize("what", ["claim", "lock"])
def test_a_clean_pull_after_a_local_revert_lets_every_write_through(
        tmp_path: Path, what: str, pull: str) -> None:
    """The fault (:func:`_reverted_then_taken`): after the clean pull, ``a``'s board
    holds ``cc``'s claim (lock) and "Third"; every reader shows ``cc`` holding it with no
    word of a stale save, and a write (``task add Fourth``) goes through, changing
    nothing else; so does one in ``c`` after it pulls. Before, every write in ``a``
    exited 6 naming ``p``'s commit's parent."""
    clones, runs, ident = _reverted_then_taken(tmp_path, what, pull)
    a, c = clones["a"], clones["c"]
    before = (a / BOARD).read_text(encoding="utf-8")
    assert ("** src/api" in before) == (what == "lock"), before
    assert (":OWNER:    cc" in before) and ":OWNER:    ca" not in before, before
    assert ("* TODO Third" in before) == (pull != "ff"), before
    assert _held_by(runs["a"], what, ident) == "cc"
    wrote = runs["a"]("task", "add", "Fourth", agent="pa", check=False)
    assert wrote.returncode == 0, (wrote.returncode, wrote.stderr)
    for word in ("stale", "lacks", "put back", "lost"):
        assert word not in wrote.stderr, (word, wrote.stderr)
    after = (a / BOARD).read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and "* TODO Fourth" in after, after
    assert _held_by(runs["a"], what, ident) == "cc"
    _push(a, "fourth")
    _pull(c)
    wrote = runs["c"]("task", "add", "Fifth", agent="pc", check=False)
    assert wrote.returncode == 0 and "stale" not in wrote.stderr, wrote
    assert _held_by(runs["c"], what, ident) == "cc"


@pytest.mark.parametrize("pull", ["merge", "ff"])
def test_a_stale_save_from_before_the_revert_is_still_caught(
        tmp_path: Path, pull: str) -> None:
    """A true stale save over the same pull: a buffer opened in ``a`` on ``ca``'s claim
    (before the revert) and saved after the pull, with a note typed at its end, lacks
    ``cc``'s claim (and "Third"): the next write does not let it stand. It merges back
    what git brought (``cc`` holds the task, "Third" is there, the note kept) or refuses
    naming the stale save (exit 6, nothing written). Before, after the fast-forward
    (no commit of ``a``'s own after the revert) the save stood, putting ``ca``'s claim
    back over ``cc``'s, unless ``cc``'s claim fell in ``ca``'s minute (the fault above
    then caught it by chance): the board before the pull (the revert's) made its claim
    look like a person's edit (``stale_history.opened_before_revert``)."""
    clones, runs = _clones(tmp_path.resolve())
    a, p = clones["a"], clones["p"]
    ident = json.loads(runs["a"]("task", "list", "--json", agent="pa").stdout)[0]["id"]
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0) - \
        timedelta(minutes=1)
    _takes(a, "claim", minute + timedelta(seconds=10), "ca", ident)
    _push(a, "ca's claim")
    buffer = (a / BOARD).read_bytes()  # (a's buffer, opened before the revert)
    _pull(p)
    git(a, "revert", "--no-edit", "HEAD")
    git(a, "push", "-q", "origin", "HEAD:main")
    _pull(p)
    _takes(p, "claim", minute + timedelta(seconds=20), "cc", ident)
    if pull == "merge":
        runs["a"]("task", "add", "Third", agent="pa")
        git(a, "commit", "-qam", "third")
    _push(p, "cc's claim")
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    (a / BOARD).write_bytes(buffer + b"A note typed in the old buffer.\n")
    wrote = runs["a"]("task", "add", "Fourth", agent="pa", check=False)
    text = (a / BOARD).read_text(encoding="utf-8")
    if wrote.returncode == 6:
        assert "stale" in wrote.stderr or "lacks" in wrote.stderr, wrote.stderr
        assert "* TODO Fourth" not in text, text
        return
    assert wrote.returncode == 0, (wrote.returncode, wrote.stderr)
    assert "merged back" in wrote.stderr or "put back" in wrote.stderr, wrote.stderr
    assert ":OWNER:    cc" in text and ":OWNER:    ca" not in text, text
    assert ("* TODO Third" in text) == (pull == "merge"), text
    assert "A note typed in the old buffer." in text and "* TODO Fourth" in text, text


_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=150, deadline=None)
@given(title=_WORDS.filter(lambda t: t.strip() and "\n" not in t),
       record=_WORDS.filter(lambda t: t.strip() == t and t and ":" not in t),
       other=_WORDS.filter(lambda t: t.strip() == t and t and ":" not in t),
       typed=_WORDS)
def test_a_step_that_took_a_claims_record_out_tells_nothing_of_a_version_without_it(
        title: str, record: str, other: str, typed: str) -> None:
    """The rule (``stale_history._ended_out_of``), for any title, records and text typed:
    a step that took a claim's record out (no end item: a revert, a hand edit) gives no
    sign for its task about a version that holds none of the records it took out (another
    claim, ``other``'s, made later), and does about one that holds the record (a buffer
    opened before the step). Pure: no git."""
    from ai_protocols.board.stale_history import _ended_out_of

    def board(state: str, held: str | None) -> bytes:
        claim = f":OWNER:    ca\n:CLAIMED_AT: {held}\n" if held is not None else ""
        return (f"#+TODO: TODO DOING | DONE\n* Locks\n* {state} {title}\n:PROPERTIES:\n"
                f":ID:       t1\n{claim}:END:\n{typed}\n").encode()

    before, after, later = board("DOING", record), board("TODO", None), board("DOING", other)
    from ai_protocols.board.board_file import BoardFile
    from ai_protocols.board.board_read import read_board

    try:  # (a title or text the board cannot read as one task: no claim to judge)
        tasks = read_board(BoardFile(before.decode()), check=False)[0]
    except ValueError:
        return
    if [t.claimed_at for t in tasks] != [record] or tasks[0].title != title.strip():
        return
    assert _ended_out_of(before, before, after) == set()
    if record != other and record not in other:
        assert _ended_out_of(later, before, after) == {tasks[0].title}
