"""A claim and lock a clone had seen stay another agent's after a committed stale save
of another clone drops them (issue 15, twenty-third round; docs/decisions.md,
"Twenty-third round: the board's claims a clone had seen").

Three clones of one bare origin: ``a`` claims a task and locks ``src/api`` (a live
agent: the test process) and pushes; ``c`` pulls it and runs a board command (it has
shown ``a``'s claim and lock); ``p`` has the board open in a buffer opened before the
pull that brought them, types a line, saves, commits and pushes (the save drops them);
``c`` pulls that by a fast-forward. The old code (``board/hidden.py`` judged only the
clone's own pulls against its own kept copy) showed the task free in ``c``, let another
agent claim it and lock inside ``a``'s lock, and let the PreToolUse hook pass an edit
into ``a``'s locked path. A person's deliberate removal on an up-to-date buffer is no
end either (twenty-sixth round): ``unlock PATH --force`` is.

Real clones, real ``git``, the installed console script and its real hook command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boardkit import BOARD, write_hook
from test_merge_driver import git
from test_stalefix_nineteenth import _commit, _save, _things

from conftest import Runner


def _clones(base: Path) -> tuple[dict[str, Path], dict[str, Runner]]:
    """Clones ``a``, ``p``, ``c`` of one bare ``origin.git`` under ``base``; ``a`` made
    the board with "Task one" and pushed it, ``p`` and ``c`` cloned it and ran
    ``init`` (nothing to commit)."""
    origin = base / "origin.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    clones = {name: base / name for name in ("a", "p", "c")}
    git(base, "clone", "-q", str(origin), str(clones["a"]))
    runs = {name: Runner(path) for name, path in clones.items()}
    runs["a"]("init")
    runs["a"]("task", "add", "Task one", agent="pa")
    _commit(clones["a"], "board")
    git(clones["a"], "push", "-q", "origin", "HEAD:main")
    for name in ("p", "c"):
        git(base, "clone", "-q", "-b", "main", str(origin), str(clones[name]))
        runs[name]("init")
        assert not git(clones[name], "status", "--porcelain").stdout.strip()
    return clones, runs


def _a_claims(clones: dict[str, Path], runs: dict[str, Runner], existing: bool = False
              ) -> str:
    """``a`` adds "Claimed task" (``existing``: takes "Task one", on the board before),
    claims it as ``ca``, locks ``src/api`` and pushes; the task's id."""
    if existing:
        listed = json.loads(runs["a"]("task", "list", "--json", agent="pa").stdout)
        ident = next(t["id"] for t in listed if t["title"] == "Task one")
    else:
        ident = runs["a"]("task", "add", "Claimed task", agent="pa").stdout.strip()
    runs["a"]("task", "claim", ident, agent="ca")
    runs["a"]("lock", "src/api", "--reason", "a reshapes it", agent="ca")
    _commit(clones["a"], "a's claim and lock")
    git(clones["a"], "push", "-q", "origin", "HEAD:main")
    return ident


def _shown(run: Runner) -> set[tuple[str, str, str]]:
    """What ``task list --all --json`` and ``locks --json`` show."""
    listed = json.loads(run("task", "list", "--all", "--json", agent="cc").stdout)
    found = {("task", t["id"], "") for t in listed}
    found |= {("claim", t["id"], t["owner"]) for t in listed if t["owner"]}
    locks = json.loads(run("locks", "--json", agent="cc").stdout)
    return found | {("lock", h["path"].rstrip("/"), h["owner"]) for h in locks}


def _stale_save_pushed(clones: dict[str, Path], buffer: bytes, note: str) -> None:
    """``p`` pulls, saves ``buffer`` (opened before that pull) with ``note`` typed,
    commits it (``git commit -am``) and pushes."""
    p = clones["p"]
    git(p, "pull", "-q", "--no-rebase", "origin", "main")
    _save(p, buffer.rstrip(b"\n") + b"\n" + note.encode() + b"\n", "rename")
    git(p, "commit", "-q", "-am", "notes")
    git(p, "push", "-q", "origin", "HEAD:main")


@pytest.mark.parametrize("existing", [False, True], ids=["new-task", "existing-task"])
def test_a_clone_that_had_seen_a_claim_keeps_it_after_a_pulled_stale_save(
        tmp_path: Path, existing: bool) -> None:
    """The reviewer's case: in ``c``, after the fast-forward to ``p``'s committed stale
    save, ``a``'s claim and lock are still ``a``'s; a claim of the task is refused
    naming ``ca``; a lock inside ``src/api`` is refused; the hook refuses an edit into
    it; the next write puts them back on the board with ``p``'s note kept once."""
    clones, runs = _clones(tmp_path.resolve())
    buffer = (clones["p"] / BOARD).read_bytes()  # (p's buffer, before the pull)
    ident = _a_claims(clones, runs, existing)
    c = clones["c"]
    git(c, "pull", "-q", "--no-rebase", "origin", "main")
    seen = _shown(runs["c"])
    assert {("claim", ident, "ca"), ("lock", "src/api", "ca")} <= seen, seen
    _stale_save_pushed(clones, buffer, "P typed this")
    git(c, "pull", "-q", "--ff-only", "origin", "main")
    assert ":OWNER:    ca" not in (c / BOARD).read_text(encoding="utf-8")  # (the save)
    shown = _shown(runs["c"])
    assert {("claim", ident, "ca"), ("lock", "src/api", "ca")} <= shown, shown
    hook = write_hook(c, c / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 2 and "src/api/" in hook.stderr, (hook.returncode, hook.stderr)
    claimed = runs["c"]("task", "claim", ident, agent="cc", check=False)
    assert claimed.returncode != 0 and "ca" in claimed.stderr, claimed
    locked = runs["c"]("lock", "src/api/inner", "--reason", "c", agent="cc", check=False)
    assert locked.returncode != 0 and "ca" in locked.stderr, locked
    runs["c"]("task", "add", "After", agent="cc")
    text = (c / BOARD).read_text(encoding="utf-8")
    assert {("claim", ident, "ca"), ("lock", "src/api", "ca")} <= _things(text), text
    assert text.count("P typed this") == 1, text


def test_the_reviewers_case_is_said_and_is_the_same_in_every_clone(tmp_path: Path) -> None:
    """What ``c``'s readers say names the earlier pull and the other clone's committed
    save; ``a`` (whose claim it is) and ``p`` (whose save it was) show the claim and lock
    as ``c`` does, and ``c``'s hook refuses as ``a``'s other agents' would."""
    clones, runs = _clones(tmp_path.resolve())
    buffer = (clones["p"] / BOARD).read_bytes()
    ident = _a_claims(clones, runs)
    git(clones["c"], "pull", "-q", "--no-rebase", "origin", "main")
    _shown(runs["c"])
    _stale_save_pushed(clones, buffer, "P typed this")
    for name in ("a", "c"):
        git(clones[name], "pull", "-q", "--ff-only", "origin", "main")
    lost = {("claim", ident, "ca"), ("lock", "src/api", "ca")}
    for name in ("a", "p", "c"):
        assert lost <= _shown(runs[name]), name
    said = " ".join(runs["c"]("locks", agent="cc").stderr.split())
    assert "lacks what an earlier pull brought here" in said and "src/api" in said, said
    assert "in another clone, was saved over it there, committed" in said, said


def test_a_deliberate_removal_on_an_up_to_date_buffer_is_no_end_in_the_clone_that_saw_it(
        tmp_path: Path) -> None:
    """``p`` opens the board after its pull (it holds ``a``'s claim and lock), deletes
    the lock's entry, types a note, commits and pushes; ``c``, which had shown the lock,
    pulls it. Twenty-sixth round (docs/decisions.md, "Twenty-sixth round: the board
    across clones"): a hand deletion is no end in any clone, so ``c`` holds the lock as
    ``HEAD``'s history does (said, a lock inside ``src/api`` refused, the hook refuses
    the edit) until ``unlock src/api --force`` ends it; then the lock inside is taken,
    the person's note kept. The claim, which the save kept, is ``ca``'s throughout."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    c, p = clones["c"], clones["p"]
    git(c, "pull", "-q", "--no-rebase", "origin", "main")
    assert ("lock", "src/api", "ca") in _shown(runs["c"])
    git(p, "pull", "-q", "--no-rebase", "origin", "main")
    text = (p / BOARD).read_text(encoding="utf-8")
    start = text.index("** ", text.index("* Locks"))
    end = text.find("\n*", start + 1)
    edited = text[:start] + (text[end + 1:] if end >= 0 else "")
    assert ":PATH:" not in edited and "Claimed task" in edited, edited
    _save(p, (edited.rstrip("\n") + "\nDeliberate note\n").encode(), "rename")
    git(p, "commit", "-q", "-am", "lock taken out by hand")
    git(p, "push", "-q", "origin", "HEAD:main")
    git(c, "pull", "-q", "--ff-only", "origin", "main")
    said = runs["c"]("locks", agent="cc").stderr
    assert "lacks" not in said and "by hand with no end" in said, said
    shown = _shown(runs["c"])
    assert ("claim", ident, "ca") in shown and ("lock", "src/api", "ca") in shown, shown
    hook = write_hook(c, c / "src" / "api" / "x.py", "pc")
    assert hook.returncode == 2 and "unlock PATH --force" in hook.stderr, hook.stderr
    refused = runs["c"]("lock", "src/api/inner", "--reason", "c", agent="cc", check=False)
    assert refused.returncode == 22, refused
    runs["c"]("unlock", "src/api", "--force", agent="cc")
    assert write_hook(c, c / "src" / "api" / "x.py", "pc").returncode == 0
    runs["c"]("lock", "src/api/inner", "--reason", "c", agent="cc")
    text = (c / BOARD).read_text(encoding="utf-8")
    assert text.count("Deliberate note") == 1 and "src/api/inner" in text, text


@pytest.mark.parametrize("end", ["unlock", "release"])
def test_an_end_the_tool_made_in_the_other_clone_stands_in_the_clone_that_saw_it(
        tmp_path: Path, end: str) -> None:
    """The guard of the rule: ``a`` ends its own lock (``unlock``) or claim (``task
    release``) and pushes; ``c``, which had shown them, pulls: the end stands there (no
    warning; the lock or claim gone), as ``unlock``'s item and the release's log item
    say, never taken for a stale save that dropped them."""
    clones, runs = _clones(tmp_path.resolve())
    ident = _a_claims(clones, runs)
    c = clones["c"]
    git(c, "pull", "-q", "--no-rebase", "origin", "main")
    assert ("lock", "src/api", "ca") in _shown(runs["c"])
    if end == "unlock":  # (a step of its own that made only the lock: lib)
        runs["a"]("lock", "lib", "--reason", "a's lib", agent="ca")
        _commit(clones["a"], "lock lib")
        git(clones["a"], "push", "-q", "origin", "HEAD:main")
        git(c, "pull", "-q", "--ff-only", "origin", "main")
        assert ("lock", "lib", "ca") in _shown(runs["c"])
        runs["a"]("unlock", "lib", agent="ca")
    else:
        runs["a"]("task", "release", ident, agent="ca")
    _commit(clones["a"], end)
    git(clones["a"], "push", "-q", "origin", "HEAD:main")
    git(c, "pull", "-q", "--ff-only", "origin", "main")
    said = runs["c"]("locks", agent="cc").stderr + \
        runs["c"]("task", "list", agent="cc").stderr
    assert "lacks" not in said, said
    shown = _shown(runs["c"])
    gone = ("lock", "lib", "ca") if end == "unlock" else ("claim", ident, "ca")
    assert gone not in shown, shown
