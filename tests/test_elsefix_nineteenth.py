"""Issue 14, nineteenth round ("work elsewhere", the second review): advice about work
that is elsewhere, followed as printed, must lead to the work, leave no second live copy
of the session behind, and be pasteable: no sentence punctuation glued to a command
(docs/decisions.md, "Issue 14, nineteenth round (advice followed, pasteable)").

Every warning these scenarios print is read by :func:`commands`, which takes each shell
command out of it as a person copies it (from where it starts to the parenthesis, the
``;`` or the end of the text that ends it); each one must parse in bash (``bash -n``),
and none may end in the sentence's full stop. Where a test can, the command is run as
printed (``gitkit.pasted``) and what it led to is checked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from gitkit import commit_all, git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

ME = "w.1796000000"
FILE = f".ai/session-context.d/{ME}.org"
KEPT = f".ai/.locks/live/session-context.d/{ME}.org"

#: Where a command starts in advice: after a colon, "with", an opening parenthesis or a
#: semicolon; what it starts with: the programs advice names.
_COMMAND = re.compile(r"(?:(?<=: )|(?<=with )|(?<=\()|(?<=; )|(?<=then: ))"
                      r"((?:git|ai-protocols|mv|cd|cp|mkdir|rm|ln) .*?)(?= \(|; |\)|$)")


def commands(text: str) -> list[str]:
    """Each shell command in the warning ``text`` (one line, as printed, with its full
    stop), as a person copies it."""
    return [m.group(1) for m in _COMMAND.finditer(text)]


def _warnings(out: str) -> list[str]:
    """The ``Warning: ...`` paragraphs of ``resume``'s output, each on one line."""
    return [p.replace("\n", " ").strip() for p in re.split(r"\n\n|\n(?=Warning: )", out)
            if p.startswith("Warning: ")]


def _pasteable(text: str) -> list[str]:
    """The commands of ``text``, each checked: parsed by bash, and none ends in the
    sentence's punctuation (``cd PATH.`` fails, ``git switch feat.`` too)."""
    found = commands(text)
    for command in found:
        assert not command.endswith((".", ",", ";", ":")), (command, text)
        done = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
    return found


def _one(text: str, start: str) -> str:
    """The one command of ``text`` that starts with ``start``."""
    found = [c for c in _pasteable(text) if c.startswith(start)]
    assert len(found) == 1, (start, text)
    return found[0]


def _follow(cwd: Path, command: str) -> str:
    done = pasted(cwd, f"{command} && pwd")
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout.strip().splitlines()[-1]


def _project(root: Path) -> Runner:
    git(root.parent, "init", "-q", str(root))
    (root / "app.py").write_text("app\n")
    commit_all(root, "base")
    run = Runner(root)
    run("init")
    commit_all(root, "init")
    return run


# -- F3: the kept copy carried to the work tree of its branch ------------------------------


def _kept_elsewhere(tmp_path: Path) -> tuple[Path, Path, Runner, str]:
    """The reviewer's f3: the session file committed on the first branch, a later
    version on feat, what was logged after feat's commit only in the kept copy here (a
    forced switch put the first branch's version back), feat checked out in another
    work tree: ``(here, there, runner, the warning)``."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    run("start", "--title", "K", agent=ME)
    run("log", "--progress", "e1 first", agent=ME)
    commit_all(root, "session on the first branch")
    git(root, "switch", "-q", "-c", "feat")
    (root / "f").write_text("f\n")
    run("log", "--progress", "e2 feat", agent=ME)
    commit_all(root, "feat")
    run("log", "--progress", "e3 uncommitted", agent=ME)
    git(root, "checkout", "-q", "-f", trunk)
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = _warnings(run("resume", agent=ME).stdout)
    assert len(said) == 1, said
    return root, other, run, said[0]


def test_the_carry_leaves_a_record_here(tmp_path: Path) -> None:
    """Followed as printed, the carry moves the kept copy there; back here, ``resume``
    says the session was carried (no "active" session with the older entries alone, and
    a ``cd`` that goes there), and a write here is refused (exit 6), nothing changed
    here or there: no second live copy of the session."""
    root, other, run, said = _kept_elsewhere(tmp_path)
    assert "kept here stays" not in said, said  # (the garbled text of the review)
    carry = _one(said, "mv -- ")
    assert _follow(root, carry) == str(other)
    there = (other / FILE).read_text()
    assert "e3 uncommitted" in there
    back = run("resume", agent=ME).stdout
    warned = _warnings(back)
    assert len(warned) == 1 and f"carried to the work tree {other}" in warned[0], back
    assert _follow(root, _one(warned[0], "cd ")) == str(other)
    before = (root / FILE).read_bytes()
    refused = run("log", "--progress", "a second copy", agent=ME, check=False)
    assert refused.returncode == 6, (refused.stdout, refused.stderr)
    assert f"carried to the work tree {other}" in refused.stderr
    assert (root / FILE).read_bytes() == before and (other / FILE).read_text() == there
    resumed = Runner(other)("resume", agent=ME).stdout
    assert "e3 uncommitted" in resumed and "Warning" not in resumed, resumed
    Runner(other)("log", "--progress", "e4 there", agent=ME)
    assert "e4 there" in (other / FILE).read_text()


def test_the_two_ways_are_said_as_alternatives(tmp_path: Path) -> None:
    """The warning's two commands (carry it there; put it back here) are alternatives,
    said so: the second, followed instead of the first, puts the newest version back
    here, which then holds every entry."""
    root, _, run, said = _kept_elsewhere(tmp_path)
    assert "or, instead of that carry (not after it), to work here" in said, said
    _follow(root, _one(said, "cp "))
    assert "e3 uncommitted" in (root / FILE).read_text()
    after = _warnings(run("resume", agent=ME).stdout)
    # (the newest version is here now: what is left is that its work is on feat, there)
    assert not any("not the one ai-protocols last wrote" in w for w in after), after
    for warning in after:
        _pasteable(warning)


# -- F4: a local branch behind the remote one that holds the commit ------------------------


def _behind(tmp_path: Path) -> tuple[Path, Path, str]:
    """The reviewer's f4: clone B has a local feat at the first commit; clone A commits
    again on feat and logs it there, commits the session file on its first branch and
    pushes that: ``(A, B, the commit)``."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    Runner(a)("init")
    commit_all(a, "init")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    git(a, "push", "-q", "origin", trunk)
    git(a, "switch", "-q", "-c", "feat")
    (a / "f").write_text("one\n")
    commit_all(a, "F1")
    git(a, "push", "-q", "-u", "origin", "feat")
    git(tmp_path, "clone", "-q", "origin.git", "B")
    b = tmp_path / "B"
    git(b, "switch", "-q", "feat")
    git(b, "switch", "-q", trunk)
    (a / "f").write_text("one\ntwo\n")
    commit_all(a, "F2")
    run = Runner(a)
    run("start", "--title", "Z", agent=ME)
    run("log", "--progress", "F2 done", agent=ME)
    commit = git(a, "rev-parse", "HEAD")
    git(a, "switch", "-q", trunk)
    git(a, "add", ".ai")
    git(a, "commit", "-q", "-m", "session file on the first branch")
    git(a, "push", "-q", "origin", trunk)
    git(b, "pull", "-q", "origin", trunk)
    return a, b, commit


def _there(b: Path, commit: str) -> None:
    assert git(b, "rev-parse", "--abbrev-ref", "HEAD") == "feat"
    assert git(b, "rev-parse", "HEAD") == commit
    resumed = Runner(b)("resume", agent=ME).stdout
    assert "F2 done" in resumed and "Warning" not in resumed, resumed


@pytest.mark.parametrize("fetched", [False, True], ids=["before-fetch", "after-fetch"])
def test_a_branch_behind_is_brought_forward(tmp_path: Path, fetched: bool) -> None:
    """Before a fetch, the advice's ``git switch feat`` landed on the old feat (then
    "a git reset?"); after one, it said no branch feat holds it and made a new one.
    Either way it now brings feat forward (``git merge --ff-only origin/feat``);
    followed as printed, B is on feat at the commit, the session there, no warning."""
    a, b, commit = _behind(tmp_path)
    git(a, "push", "-q", "origin", "feat")
    if fetched:
        git(b, "fetch", "-q", "origin")
    said = _warnings(Runner(b)("resume", agent=ME).stdout)
    assert len(said) == 1, said
    start = "mv -- " if fetched else "git fetch "
    command = _one(said[0], start)
    assert "git merge --ff-only origin/feat" in command, command
    assert "switch -c" not in said[0] and "no branch feat here holds" not in said[0]
    _follow(b, command)
    _there(b, commit)


# -- F7: every command as printed is pasteable --------------------------------------------


def _names(text: str) -> bool:
    return bool(text.strip(" .")) and text == text.strip() and "/" not in text


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet="ab .'-", min_size=1, max_size=8).filter(_names))
def test_the_work_tree_carry_pasted_as_printed_goes_there(
        tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    """The reviewer's f7: the carry advice ended ``cd PATH.``, which fails pasted.
    Any work tree name (a dot at its end, a quote, a space): the command as printed,
    up to the parenthesis after it, runs, ends in that work tree, and the session is
    there."""
    base = tmp_path_factory.mktemp("f7")
    root = base / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "switch", "-q", "-c", "feat")
    (root / "b").write_text("b\n")
    commit_all(root, "feat1")
    run("start", "--title", "Feat work", agent=ME)
    run("log", "--progress", "did b", agent=ME)
    git(root, "switch", "-q", trunk)
    other = (base / f"wt{name}").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = _warnings(run("resume", agent=ME).stdout)
    assert len(said) == 1, said
    carry = _one(said[0], "mv -- ")
    assert os.path.realpath(_follow(root, carry)) == str(other)
    assert "did b" in Runner(other)("resume", agent=ME).stdout


def test_each_rolled_back_command_ends_before_the_full_stop(tmp_path: Path) -> None:
    """The advice of the same branch reset back ("keep both with git switch -c NAME C"
    and the ``git merge --ff-only`` that brings the branch forward) and of a branch only
    on the remote ("make it from that one with: git switch feat") ended in the full
    stop: each command, as printed, parses and ends before it; the ones a test can run
    are run."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    root = tmp_path / "main"
    run = _project(root)
    run("start", "--title", "R", agent=ME)
    (root / "r").write_text("r\n")
    git(root, "add", "r")
    git(root, "commit", "-q", "-m", "work")
    run("log", "--progress", "R committed", agent=ME)
    commit = git(root, "rev-parse", "HEAD")
    git(root, "reset", "-q", "--hard", "HEAD~1")
    said = _warnings(run("resume", agent=ME).stdout)
    assert len(said) == 1, said
    found = _pasteable(said[0])
    assert f"git switch -c NAME {commit[:12]}" in found, found
    _follow(root, _one(said[0], "git merge --ff-only"))
    assert git(root, "rev-parse", "HEAD") == commit
    # (the branch only on the remote: deleted here after a push)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "switch", "-q", "-c", "feat")
    (root / "g").write_text("g\n")
    git(root, "add", "g")
    git(root, "commit", "-q", "-m", "feat work")
    run("log", "--progress", "on feat", agent=ME)
    feat = git(root, "rev-parse", "HEAD")
    git(root, "push", "-q", "origin", "feat")
    git(root, "switch", "-q", trunk)
    git(root, "branch", "-q", "-D", "feat")
    said = _warnings(run("resume", agent=ME).stdout)
    assert len(said) == 1, said
    _follow(root, _one(said[0], "git switch feat"))
    assert git(root, "rev-parse", "HEAD") == feat


def test_the_checkpoint_fetch_and_restore_pasted_as_printed(tmp_path: Path) -> None:
    """A checkpoint taken in another clone: "then here: git fetch origin 'REFSPEC',
    then: ai-protocols checkpoint restore C." glued a comma to the refspec and the full
    stop to the hash. Now one command, ``git fetch ... && ai-protocols checkpoint
    restore C (from ROOT)``: pasted as printed (after the push), it restores the work."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    (a / "a.txt").write_text("one\n")
    commit_all(a, "base")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    run = Runner(a)
    run("start", "--title", "C", agent=ME)
    (a / "a.txt").write_text("uncommitted work\n")
    run("checkpoint", agent=ME)
    git(a, "add", FILE)
    git(a, "commit", "-q", "-m", "session", "--", FILE)
    git(a, "push", "-q", "origin", trunk)
    git(tmp_path, "clone", "-q", "origin.git", "B")
    b = tmp_path / "B"
    said = _warnings(Runner(b)("resume", agent=ME).stdout)
    assert len(said) == 1, said
    command = _one(said[0], "git fetch ")
    assert "&& ai-protocols checkpoint restore " in command, command
    git(a, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    pasted_run = pasted(b, f"export AI_AGENT_ID={ME}; {command} --force")
    assert pasted_run.returncode == 0, (command, pasted_run.stderr)
    assert (b / "a.txt").read_text() == "uncommitted work\n"
