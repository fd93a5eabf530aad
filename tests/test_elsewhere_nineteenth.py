"""Issue 14, nineteenth round ("it looks rolled back": advice about work that is
elsewhere must not lose the session): every piece of advice that names a git command to
go where the work is, FOLLOWED here as given (pasted into bash) in real repositories,
then checked: ``ai-protocols resume`` where the advice led shows the session, with no
warning left, and ``HEAD`` holds the commit the session recorded (docs/decisions.md,
"Issue 14, nineteenth round (work elsewhere)")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitkit import commit_all, git, pasted
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import Runner

ME = "w.1796000000"
FILES = {ME: f".ai/session-context.d/{ME}.org", None: ".ai/session-context.org"}


def _project(root: Path) -> Runner:
    """``root``, a git repository with ``app.py`` and ``.ai/`` committed."""
    git(root.parent, "init", "-q", str(root))
    (root / "app.py").write_text("".join(f"{n}\n" for n in range(1, 11)))
    commit_all(root, "base")
    run = Runner(root)
    run("init")
    commit_all(root, "init")
    return run


def _work(root: Path, run: Runner, agent: str | None, title: str, branch: str = "feat") -> str:
    """A session ``title`` started on a new branch ``branch`` of ``root``, whose work is
    committed there (the session file left out, as an agent leaves it) and logged: the
    commit recorded."""
    git(root, "switch", "-q", "-c", branch)
    run("start", "--title", title, agent=agent)
    (root / "feat.py").write_text("feat\n")
    git(root, "add", "feat.py")
    git(root, "commit", "-q", "-m", "feat work")
    run("log", "--progress", f"{title} committed", agent=agent)
    return git(root, "rev-parse", "HEAD")


def _warning(run: Runner, agent: str | None) -> str:
    """The last paragraph ``resume`` prints (the warning), on one line."""
    said = run("resume", agent=agent).stdout.rstrip().rsplit("\n\n", 1)[-1]
    assert said.startswith("Warning: "), said
    return said.replace("\n", " ")


def _follow(cwd: Path, command: str) -> None:
    done = pasted(cwd, command)
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def _session_is_there(where: Path, agent: str | None, title: str, commit: str) -> None:
    """Where the advice led: the session is there (``resume`` shows it, and what it
    logged), nothing is said elsewhere any more, and ``HEAD`` holds the work recorded."""
    resumed = Runner(where)("resume", agent=agent).stdout
    assert re.match(rf"Resume: {title} \((agent \S+, )?active\)\n", resumed), resumed
    assert f"{title} committed" in (where / FILES[agent]).read_text()
    assert "Warning" not in resumed, resumed
    git(where, "merge-base", "--is-ancestor", commit, "HEAD")


# -- 1. the branch is checked out in another work tree (f4) -------------------------------


@pytest.mark.parametrize("agent", [None, ME], ids=["default", "agent"])
def test_the_work_tree_advice_followed_keeps_the_session(tmp_path: Path,
                                                        agent: str | None) -> None:
    """The reviewer's f4: the session's branch feat is checked out in another work tree,
    its session file (never committed) in this one: ``cd PATH`` alone led to a work tree
    with no session. The advice carries the file there (and makes its kept copy here,
    the same version, the record of the carry: a link to the file there); followed, the
    session is there and carries on, and this work tree has none left, and says where
    it went."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    commit = _work(root, run, agent, "Wt")
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "other wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = _warning(run, agent)
    assert f"checked out in the work tree {other}" in said, said
    assert run("start", agent=agent).stderr.replace("\n", " ").count("carry it there") == 1
    command = said.split("carry it there and work there with: ", 1)[1] \
        .split(" (absolute paths", 1)[0]
    assert command.endswith(f"cd '{other}'"), command
    _follow(root, f"{command} && {f'AI_AGENT_ID={agent} ' if agent else ''}"
            "ai-protocols log --progress 'carried on there'")
    _session_is_there(other, agent, "Wt", commit)
    assert "carried on there" in (other / FILES[agent]).read_text()
    here = run("resume", agent=agent)
    # (twentieth round, F3: the kept copy here is left the record of the carry, not
    # removed, so that this work tree says where the session went: no "no session yet")
    assert f"carried to the work tree {other}" in " ".join(here.stdout.split()), here.stdout
    assert "no session yet" not in here.stdout and "removed" not in here.stdout, here.stdout
    assert not (root / FILES[agent]).exists()


def test_a_session_file_of_its_own_there_is_never_written_over(tmp_path: Path) -> None:
    """When that work tree has a session file of its own at the same place (another
    session started there), the advice names it and gives no ``mv`` over it: followed
    as given, no session is lost."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    _work(root, run, ME, "Here")
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    Runner(other)("start", "--title", "Theirs", agent=ME)
    theirs = (other / FILES[ME]).read_text()
    said = _warning(run, ME)
    assert "a session file of its own at the same place" in said, said
    assert "mv --" not in said and "rm -f" not in said, said
    assert (other / FILES[ME]).read_text() == theirs


# -- 2. the commit is on a branch of another clone, not fetched here (f5) -----------------


def _two_clones(tmp_path: Path) -> tuple[Path, Path, str]:
    """Clone A commits on branch side and logs it, then commits the session file on its
    first branch only, and pushes that; clone B clones it: ``(A, B, commit)``."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    (a / "f").write_text("l1\n")
    commit_all(a, "base")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    git(a, "push", "-q", "origin", trunk)
    run = Runner(a)
    run("start", "--title", "Side", agent=ME)
    git(a, "switch", "-q", "-c", "side")
    (a / "s").write_text("s\n")
    git(a, "add", "s")
    git(a, "commit", "-q", "-m", "side work")
    run("log", "--progress", "Side committed", agent=ME)
    commit = git(a, "rev-parse", "HEAD")
    git(a, "switch", "-q", trunk)
    git(a, "add", ".ai")
    git(a, "commit", "-q", "-m", "session on the first branch only")
    git(a, "push", "-q", "origin", trunk)
    git(tmp_path, "clone", "-q", "origin.git", "B")
    return a, tmp_path / "B", commit


def test_the_missing_commit_advice_followed_keeps_the_session(tmp_path: Path) -> None:
    """The reviewer's f5: followed, ``git fetch`` and ``git switch side`` removed the
    session file, committed on the first branch only (``.ai/`` was empty). The advice
    now carries the file across the switch; followed (after the push from A), the
    session is in B, on side, with its work."""
    a, b, commit = _two_clones(tmp_path)
    said = _warning(Runner(b), ME)
    found = re.search(r"then here: (.*?) \(from ", said)
    assert found, said
    command = found.group(1)
    assert command.startswith("git fetch origin && mv -- ") and "git switch side" in command
    git(a, "push", "-q", "origin", "side")
    _follow(b, command)
    assert git(b, "rev-parse", "--abbrev-ref", "HEAD") == "side"
    _session_is_there(b, ME, "Side", commit)


def test_after_a_fetch_the_branch_is_made_by_a_plain_switch(tmp_path: Path) -> None:
    """Fetched already: ``origin/side`` holds the commit and no branch side is here, so
    ``git switch side`` makes it (git's guess from the one remote-tracking branch), not
    ``git switch -c NAME C``; the session file, committed on the first branch only, is
    carried across. Followed, side tracks ``origin/side`` and the session is there."""
    a, b, commit = _two_clones(tmp_path)
    git(a, "push", "-q", "origin", "side")
    git(b, "fetch", "-q", "origin")
    said = _warning(Runner(b), ME)
    assert "it is on origin/side, fetched" in said and "switch -c" not in said, said
    command = re.search(r"make it from that one with: (.*?) \(from ", said).group(1)  # type: ignore[union-attr]
    assert "&& git switch side &&" in command, command
    _follow(b, command)
    assert git(b, "rev-parse", "--abbrev-ref", "side@{upstream}") == "origin/side"
    _session_is_there(b, ME, "Side", commit)


def test_a_plain_switch_when_it_keeps_the_session_file(tmp_path: Path) -> None:
    """The simplest command that works: the branch only on the remote (deleted here
    after a push), the session file never committed: ``git switch feat`` alone keeps it,
    so that is the advice, no ``mv``; followed, the session is there."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    commit = _work(root, run, ME, "Plain")
    git(root, "push", "-q", "origin", "feat")
    git(root, "switch", "-q", trunk)
    git(root, "branch", "-q", "-D", "feat")
    said = _warning(run, ME)
    assert said.endswith(f"make it from that one with: git switch feat (from {root})."), said
    _follow(root, "git switch feat")
    _session_is_there(root, ME, "Plain", commit)


# -- 3. a local branch the switch would take the session file from ------------------------


def test_the_switch_advice_carries_a_file_committed_here_only(tmp_path: Path) -> None:
    """The work is on branch feat, here; the session file was committed on this branch
    only (feat lacks it): ``git switch feat`` would remove it. The advice carries it
    across; followed, the session is on feat with its work."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    commit = _work(root, run, ME, "Carry")
    git(root, "switch", "-q", trunk)
    commit_all(root, "the session, on the first branch")
    said = _warning(run, ME)
    command = re.search(r"switch to it with: (.*?) \(from ", said).group(1)  # type: ignore[union-attr]
    assert command == (f"mv -- {FILES[ME]} {FILES[ME]}.carry && git switch feat && "
                       f"mv -- {FILES[ME]}.carry {FILES[ME]}"), command
    _follow(root, command)
    _session_is_there(root, ME, "Carry", commit)


def _branch_name(text: str) -> bool:
    return git(Path("."), "check-ref-format", "--branch", text, check=False) == text


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet="ab$'\"`();&|{}-_", min_size=1, max_size=10).filter(_branch_name))
@example(name="`touch${IFS}pwned`")
@example(name="it's")
def test_the_carried_switch_pasted_runs_nothing_else(tmp_path_factory: pytest.TempPathFactory,
                                                     name: str) -> None:
    """Any branch name git takes: the carried switch, pasted, switches to that branch and
    runs nothing else (quoted for a shell); the session is there after it."""
    base = tmp_path_factory.mktemp("name")
    root = base / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    commit = _work(root, run, ME, "Named", name)
    git(root, "switch", "-q", trunk)
    commit_all(root, "the session, on the first branch")
    said = _warning(run, ME)
    command = re.search(r"switch to it with: (.*?) \(from ", said).group(1)  # type: ignore[union-attr]
    _follow(root, command)
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == name
    assert not any(p.name == "pwned" for p in base.rglob("pwned"))
    _session_is_there(root, ME, "Named", commit)


# -- 4. the stash advice: the branch it was made on is in another work tree ---------------


def test_the_stash_advice_goes_back_detached_when_its_branch_is_elsewhere(
        tmp_path: Path) -> None:
    """``git stash``, then ``HEAD`` moved to another branch, and the branch the stash was
    made on checked out in another work tree: "go back where the stash was made" said
    ``git switch B``, which git refuses there. It goes back to that commit, detached,
    naming the work tree; followed as given, every entry is in the session file."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    run("start", "--title", "Stash", agent=ME)
    for step in ("p1", "p2"):
        run("log", "--progress", step, agent=ME)
        commit_all(root, step)
    run("log", "--progress", "p3 uncommitted", agent=ME)
    git(root, "stash", "-q")
    base = git(root, "rev-parse", "HEAD")
    git(root, "switch", "-q", "-c", "aside", "HEAD~1")
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), trunk)
    said = run("log", "--progress", "p4 aside", agent=ME).stderr.replace("\n", " ")
    assert f"checked out in the work tree '{other}'" in said, said
    assert f"git switch {trunk}," not in said, said
    back = re.search(r"go back to where the stash was made: (.*?), then (ai-protocols "
                     r"merge-kept \S+)", said)
    assert back, said
    steps = [re.sub(r" \(what was written here[^)]*\)", "", s) for s in back.group(1).split(", ")]
    assert f"git switch --detach {base[:12]}" in steps, steps
    for step in steps:
        _follow(root, step)
    run(*back.group(2).split()[1:], agent=ME)
    run("log", "--progress", "p5", agent=ME)
    text = (root / FILES[ME]).read_text()
    for step in ("p1", "p2", "p3 uncommitted", "p4 aside", "p5"):
        assert f"{step}\n" in text, (step, text)


# -- 5. the session file git took or replaced, its branch in another work tree -------------


def test_a_file_a_switch_removed_comes_back_by_start_then_goes_there(tmp_path: Path) -> None:
    """The session file committed on feat, removed by the switch back to the first
    branch, and feat then checked out in another work tree: ``git switch feat`` (the
    way back a removed file is given) would be refused, so ``start`` is the advice;
    followed, then the work tree advice followed, the session is there."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    commit = _work(root, run, ME, "Removed")
    commit_all(root, "the session, on feat")
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    refused = run("log", "--progress", "x", agent=ME, check=False)
    assert refused.returncode == 3 and "switch feat" not in refused.stderr, refused.stderr
    said = run("resume", agent=ME).stdout
    assert "Bring it back with: " in said and "switch feat" not in said, said
    run("start", agent=ME)
    command = _warning(run, ME).split("carry it there and work there with: ", 1)[1]
    _follow(root, command.split(" (absolute paths", 1)[0])
    _session_is_there(other, ME, "Removed", commit)


def test_the_newest_version_kept_here_is_carried_to_the_branch_there(tmp_path: Path) -> None:
    """The first branch has a version of the session file committed (the session began
    there), feat a later one, and what was logged after feat's last commit is only in the
    kept copy here (a forced switch put the first branch's version back); feat is
    checked out in another work tree. The advice moves the kept copy there (over feat's
    committed version, which git keeps); followed, the session there holds every
    entry."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    run("start", "--title", "Kept", agent=ME)
    run("log", "--progress", "on the first branch", agent=ME)
    commit_all(root, "the session, on the first branch")
    git(root, "switch", "-q", "-c", "feat")
    (root / "feat.py").write_text("feat\n")
    run("log", "--progress", "Kept committed", agent=ME)
    commit_all(root, "feat work and the session")
    commit = git(root, "rev-parse", "HEAD")
    run("log", "--progress", "only in the kept copy", agent=ME)
    git(root, "checkout", "-q", "-f", trunk)
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = run("resume", agent=ME).stdout.replace("\n", " ")
    assert f"checked out in the work tree {other}" in said, said
    command = said.split("carry it there and work there with: ", 1)[1] \
        .split(" (absolute paths", 1)[0]
    assert command.startswith(f"mv -- {root}/.ai/.locks/live/"), command
    _follow(root, command)
    _session_is_there(other, ME, "Kept", commit)
    assert "only in the kept copy" in (other / FILES[ME]).read_text()
    assert "only in the kept copy" not in (root / FILES[ME]).read_text()  # (the branch's)


def test_keep_both_after_a_reset_is_a_switch_that_keeps_the_session(tmp_path: Path) -> None:
    """The same branch reset behind the commit recorded (the session file never
    committed): "keep both with git switch -c NAME C" is given alone (git leaves the
    file as it is: neither commit holds it); followed with a name, the session is on
    that branch with its work."""
    root = tmp_path / "main"
    run = _project(root)
    run("start", "--title", "Reset", agent=ME)
    (root / "r.py").write_text("r\n")
    git(root, "add", "r.py")
    git(root, "commit", "-q", "-m", "work")
    run("log", "--progress", "Reset committed", agent=ME)
    commit = git(root, "rev-parse", "HEAD")
    git(root, "reset", "-q", "--hard", "HEAD~1")
    said = _warning(run, ME)
    assert said.endswith(f"or keep both with git switch -c NAME {commit[:12]} "
                         f"(from {root})."), said
    _follow(root, f"git switch -c kept {commit[:12]}")
    _session_is_there(root, ME, "Reset", commit)


def test_a_session_committed_on_the_branch_there_is_never_written_over_by_this_one(
        tmp_path: Path) -> None:
    """The last review's f1: the session committed on main, then two entries committed on
    feat; back on main (git put main's older file here), feat checked out in another work
    tree. The newest version is the one committed on feat, which that work tree has: the
    advice is ``cd`` there only, no ``mv`` of the older file over it; followed, the
    session there holds every entry."""
    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    run("start", "--title", "Tip")
    run("log", "--progress", "first on main")
    commit_all(root, "session on main")
    git(root, "switch", "-q", "-c", "feat")
    for text in ("feat one", "feat two"):
        run("log", "--progress", text)
        commit_all(root, text)
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "other").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = " ".join(run("resume").stdout.split())
    assert "carries on in the work tree" in said and "mv -- " not in said, said
    assert f"&& cd {other} (absolute paths" in said, said  # (twentieth round: the record)
    there = (other / FILES[None]).read_text()
    assert "feat one" in there and "feat two" in there
    resumed = Runner(other)("resume").stdout
    assert "feat two" in resumed and "Warning" not in resumed, resumed
