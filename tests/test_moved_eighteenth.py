"""Issue 14, eighteenth round ("HEAD moved", "it looks rolled back"): faults a fresh
reviewer found, each the reviewer's case run as a test with real git (an amend, a
``git pull --rebase`` from a real remote, a reset, work trees, two clones) and the
installed console script (docs/decisions.md, "Issue 14, eighteenth round (HEAD
moved)"). ``log``'s warning and ``moved:`` line and the warning of ``resume`` and
``start`` follow one rule (``ai_protocols.git.state.work_of``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitkit import commit_all, git, pasted

from conftest import Runner

ME = "w.1796000000"


def _session(root: Path) -> str:
    return (root / ".ai" / "session-context.d" / f"{ME}.org").read_text()


def _project(root: Path) -> Runner:
    """``root``, a git repository with ``app.py`` and ``.ai/`` committed, and a session."""
    (root / "app.py").write_text("".join(f"{n}\n" for n in range(1, 21)))
    commit_all(root, "base")
    run = Runner(root)
    run("init")
    commit_all(root, "init")
    return run


def _warnings(run: Runner) -> tuple[str, str, str]:
    """What ``resume`` says last, and ``start``'s stderr (the SessionStart hook's
    context is ``resume``'s)."""
    resumed = run("resume", agent=ME).stdout
    started = run("start", agent=ME).stderr
    return resumed, started, resumed.rsplit("\n\n", 1)[-1]


def _commit(root: Path, message: str) -> None:
    """Commit the work, the session file left out (uncommitted, as an agent leaves it)."""
    git(root, "add", "-A", "--", ".", ":(exclude).ai")
    git(root, "commit", "-q", "-m", message)


def _edit(path: Path, line: str, text: str) -> None:
    path.write_text(path.read_text().replace(f"{line}\n", f"{text}\n", 1))


# -- 1. an amend that adds a change holds the old commit's work ------------------------------


def _feature_logged(root: Path, title: str) -> tuple[Path, Runner]:
    """A project at ``root`` whose session ``title`` logged a committed change of
    ``app.py`` (line 5 made ``five (feature)``)."""
    git(root.parent, "init", "-q", str(root))
    run = _project(root)
    run("start", "--title", title, agent=ME)
    _edit(root / "app.py", "5", "five (feature)")
    _commit(root, "feature")
    run("log", "--progress", "feature committed", agent=ME)
    return root, run


def test_an_amend_that_adds_a_change_is_not_said_moved(tmp_path: Path) -> None:
    """The reviewer's case (f1): a commit logged, then ``git commit --amend`` adding one
    more change: the old commit's change is in HEAD (its patch id differs: the commit
    gained more), so ``log`` writes no ``moved:`` line and warns nothing, and
    ``resume``/``start`` give no "does not descend" advice (before: all three did,
    until a new commit and a log)."""
    root, run = _feature_logged(tmp_path / "am", "Am")
    _edit(root / "app.py", "6", "six (more)")
    git(root, "commit", "-q", "--amend", "-am", "feature, amended with more")
    logged = run("log", "--progress", "amended", agent=ME)
    assert "HEAD moved" not in logged.stderr, logged.stderr
    assert "moved:" not in _session(root)
    resumed, started, _ = _warnings(run)
    assert "Warning" not in resumed and "Warning" not in started, resumed + started


def test_an_amend_that_drops_the_change_is_still_said_moved(tmp_path: Path) -> None:
    """The other side of the rule: an amend that replaced the logged change by another
    (the old commit's line is not in HEAD) still writes ``moved:``, and ``log`` and
    ``resume`` both say so."""
    root, run = _feature_logged(tmp_path / "drop", "Drop")
    _edit(root / "app.py", "five (feature)", "five (another idea)")
    git(root, "commit", "-q", "--amend", "-am", "another idea")
    logged = run("log", "--progress", "amended", agent=ME)
    assert "HEAD moved" in logged.stderr, logged.stderr
    assert "moved: from branch" in _session(root)
    _, _, last = _warnings(run)
    assert "does not descend from it" in last, last


# -- 2. a pull --rebase whose upstream changed nearby lines ----------------------------------


@pytest.mark.parametrize("reflog", [True, False], ids=["reflog", "no-reflog"])
def test_a_pull_rebase_with_nearby_upstream_lines_is_one_verdict(tmp_path: Path,
                                                                 reflog: bool) -> None:
    """The reviewer's case (f2): upstream changed line 7, this clone line 10 (within
    the patch's context: the patch ids differ); after ``git pull --rebase`` the change
    is in HEAD: ``log`` writes no ``moved:`` line and warns nothing, and ``resume``
    says nothing either (before: ``log`` warned and wrote ``moved:`` while ``resume``
    was silent). Without the branch's reflog (no record of the rebase) the same: the
    change itself is judged."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    run = _project(a)
    git(a, "push", "-q", "origin", "HEAD:master")
    git(tmp_path, "clone", "-q", "origin.git", "B")
    b = tmp_path / "B"
    _edit(b / "app.py", "7", "seven (upstream)")
    _commit(b, "up")
    git(b, "push", "-q", "origin", "HEAD:master")
    run("start", "--title", "prb", agent=ME)
    _edit(a / "app.py", "10", "ten (mine)")
    _commit(a, "mine")
    run("log", "--progress", "mine committed", agent=ME)
    git(a, "pull", "-q", "--rebase", "origin", "master")
    assert "seven (upstream)" in (a / "app.py").read_text()
    if not reflog:
        shutil.rmtree(a / ".git" / "logs")
    logged = run("log", "--progress", "after", agent=ME)
    assert "HEAD moved" not in logged.stderr, logged.stderr
    assert "moved:" not in _session(a)
    resumed, started, _ = _warnings(run)
    assert "Warning" not in resumed and "Warning" not in started, resumed + started


@pytest.mark.parametrize("how", ["amend-more", "amend-lost", "reset-other-line"])
def test_log_and_resume_give_one_verdict(tmp_path: Path, how: str) -> None:
    """One rule: whatever moved HEAD, ``log``'s warning (and its ``moved:`` line) is
    given exactly when ``resume`` warns that the work recorded is not in HEAD."""
    root = tmp_path / how
    git(tmp_path, "init", "-q", str(root))
    run = _project(root)
    run("start", "--title", "one rule", agent=ME)
    _edit(root / "app.py", "3", "three (work)")
    _commit(root, "work")
    run("log", "--progress", "work committed", agent=ME)
    if how == "amend-more":
        _edit(root / "app.py", "4", "four (more)")
        git(root, "commit", "-q", "--amend", "-am", "work and more")
    elif how == "amend-lost":
        _edit(root / "app.py", "three (work)", "3")
        _edit(root / "app.py", "4", "four (instead)")
        git(root, "commit", "-q", "--amend", "-am", "instead")
    else:
        git(root, "reset", "-q", "--hard", "HEAD~1")
        _edit(root / "app.py", "15", "fifteen (another line)")
        _commit(root, "another line")
    held = how == "amend-more"
    logged = run("log", "--progress", "after", agent=ME)
    assert ("HEAD moved" in logged.stderr) is not held, logged.stderr
    assert ("moved: from" in _session(root)) is not held
    _, _, last = _warnings(run)
    assert ("Warning" in last) is not held, last


# -- 3. a reset that kept the commit's work in the work tree ---------------------------------


def test_a_reset_keeping_the_work_says_it_is_uncommitted_here(tmp_path: Path) -> None:
    """The reviewer's case (f3): ``git reset HEAD~1`` undoes the commit logged and keeps
    its change in the work tree: ``log``, ``resume`` and ``start`` say its work is
    uncommitted here, never "rolled back" nor ``git merge --ff-only`` (which git
    refuses: the change is in the way). Once that change is thrown away, the warning
    and its advice are back; the advice, pasted, then works."""
    root = tmp_path / "soft"
    git(tmp_path, "init", "-q", str(root))
    run = _project(root)
    run("start", "--title", "soft", agent=ME)
    _edit(root / "app.py", "8", "eight (feature)")
    (root / "new.py").write_text("added by the commit\n")
    _commit(root, "feature")
    commit = git(root, "rev-parse", "HEAD")
    run("log", "--progress", "feature committed", agent=ME)
    git(root, "reset", "-q", "HEAD~1")
    logged = run("log", "--progress", "splitting the commit", agent=ME)
    assert f"the work of {commit[:12]} is uncommitted here" in logged.stderr, logged.stderr
    _, started, last = _warnings(run)
    for said in (last, started):
        assert "its work is uncommitted here (a git reset kept it)" in said, said
        assert "merge --ff-only" not in said and "rolled back" not in said, said
    git(root, "checkout", "--", "app.py")  # the change thrown away: the work is elsewhere
    (root / "new.py").unlink()
    _, _, last = _warnings(run)
    assert f"git merge --ff-only {commit[:12]}" in last, last
    git(root, "merge", "-q", "--ff-only", commit[:12])
    assert "eight (feature)" in (root / "app.py").read_text()


# -- 4. the branch holding the work is checked out in another work tree ----------------------


def test_a_branch_checked_out_in_another_work_tree_is_named_there(tmp_path: Path) -> None:
    """The reviewer's case (f4): the work is on branch feat, which the person moved
    into its own work tree: ``git switch feat`` fails here ("already checked out"), so
    ``resume`` and ``start`` name that work tree; once it is removed, ``git switch
    feat`` is the advice, and it works."""
    root = tmp_path / "main"
    git(tmp_path, "init", "-q", str(root))
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "switch", "-q", "-c", "feat")
    run("start", "--title", "wt", agent=ME)
    _edit(root / "app.py", "2", "two (feat)")
    _commit(root, "feat1")
    run("log", "--progress", "feat1 committed", agent=ME)
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    _, started, last = _warnings(run)
    for said in (last, started):
        assert f"checked out in the work tree {other}" in said, said
        assert f"&& cd {other} (absolute paths" in said and "git switch feat" not in said, said
    git(root, "worktree", "remove", str(other))
    _, _, last = _warnings(run)
    assert "switch to it (git switch feat)" in last, last
    git(root, "switch", "-q", "feat")


# -- 5. a commit missing on another branch: what to check ------------------------------------


def test_a_commit_missing_on_another_branch_says_what_to_check(tmp_path: Path) -> None:
    """The reviewer's case (f5): clone A committed on branch feat, never pushed, paused
    and committed the session on master; clone B clones: ``resume`` and ``start`` say
    what to check, as for the same branch: push it from the other clone, fetch, switch
    (before: "it looks rolled back" with no advice). Followed, the commit is here."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    run = _project(a)
    git(a, "push", "-q", "origin", "HEAD:master")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    git(a, "switch", "-q", "-c", "feat")
    run("start", "--title", "Mc2", agent=ME)
    _edit(a / "app.py", "4", "four (feat)")
    _commit(a, "feat work")
    run("log", "--progress", "feat committed", agent=ME)
    run("pause", "--no-checkpoint", "--note", "later", agent=ME)
    git(a, "switch", "-q", trunk)
    commit_all(a, "session")
    git(a, "push", "-q", "origin", f"HEAD:{trunk}")
    git(tmp_path, "clone", "-q", "origin.git", "B")
    b = tmp_path / "B"
    other = Runner(b)
    resumed = other("resume", agent=ME).stdout
    check = ("check: branch feat of another clone not pushed or not fetched here: push it "
             "from that clone (git push origin feat), then here: git fetch origin && mv -- ")
    assert check in resumed, resumed
    started = other("start", agent=ME).stderr
    assert check in started, started
    git(a, "push", "-q", "origin", "feat")
    git(b, "fetch", "-q", "origin")
    resumed = other("resume", agent=ME).stdout
    assert "does not have that commit" not in resumed, resumed


@pytest.mark.parametrize("name", ["w t", "it's", "$(touch pwned)", 'a"b`c`'],
                         ids=["space", "quote", "command", "backticks"])
def test_the_work_tree_advice_pasted_goes_there(tmp_path: Path, name: str) -> None:
    """The work tree named is quoted for a shell: ``cd PATH`` pasted from the warning
    goes there, whatever its name, and runs nothing else."""
    root = tmp_path / "main"
    git(tmp_path, "init", "-q", str(root))
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "switch", "-q", "-c", "feat")
    run("start", "--title", "wt", agent=ME)
    _edit(root / "app.py", "2", "two (feat)")
    _commit(root, "feat1")
    run("log", "--progress", "feat1 committed", agent=ME)
    git(root, "switch", "-q", trunk)
    other = (tmp_path / name).resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    _, _, last = _warnings(run)
    # (the whole command, as given since the nineteenth round: the session file carried
    # there first, then the cd)
    assert "carry it there and work there with: " in last, last
    command = last.rstrip().split("carry it there and work there with: ", 1)[1] \
        .split(" (absolute paths", 1)[0]
    done = pasted(root, f"{command} && pwd")
    assert done.returncode == 0 and done.stdout.strip() == str(other), done
    assert not (tmp_path / "pwned").exists() and not (root / "pwned").exists()
    assert "feat1 committed" in (other / ".ai" / "session-context.d" / f"{ME}.org").read_text()


def test_the_boards_claim_on_a_branch_in_another_work_tree_names_it(repo: Path) -> None:
    """The same kind of advice on the task board: a task claimed on branch feature
    (committed there) by an agent of this work tree, this checkout back on main, and
    feature checked out in another work tree: the board names that work tree (``cd
    PATH``), not ``git switch feature``, which git refuses."""
    from boardkit import add, board

    run = Runner(repo)
    git(repo, "checkout", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "i")
    add(run, "on main")
    commit_all(repo, "board")
    git(repo, "checkout", "-q", "-b", "feature")
    only = add(run, "feature-only task")
    run("start", "--title", "A", agent="vm.f.x.A")  # (A works in this work tree)
    run("task", "claim", only, agent="vm.f.x.A")
    git(repo, "commit", "-q", "-am", "feature board")
    git(repo, "checkout", "-q", "main")
    other = (repo.parent / "feature wt").resolve()
    git(repo, "worktree", "add", "-q", str(other), "feature")
    added = run("task", "add", "B on main", agent="vm.f.x.B")
    assert "feature-only task" not in board(repo)
    assert f"task {only} (feature-only task) is claimed by vm.f.x.A on branch 'feature'" \
        in added.stderr, added.stderr
    # (twentieth round: resume's advice, the claimant's session file carried there)
    assert f"&& cd '{other}' (absolute paths" in added.stderr, added.stderr
    assert "git switch feature" not in added.stderr, added.stderr
