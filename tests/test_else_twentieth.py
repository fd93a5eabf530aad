"""Issue 14, twentieth round (work elsewhere, what the last rounds left): every piece of
advice that sends a person where the work is, FOLLOWED as printed (pasted into bash) in
real repositories and work trees with the installed console script, then checked where
it led; and the messages say what happened and what to do (docs/decisions.md, "Issue
14, twentieth round (work elsewhere, what was left)")."""

from __future__ import annotations

import re
from pathlib import Path

from gitkit import commit_all, git, pasted

from conftest import Runner

ME = "w.1796000000"
FILES = {ME: f".ai/session-context.d/{ME}.org", None: ".ai/session-context.org"}
KEPT = {ME: f".ai/.locks/live/session-context.d/{ME}.org",
        None: ".ai/.locks/live/session-context.org"}


def _project(root: Path) -> Runner:
    """``root``, a git repository with ``app.py`` and ``.ai/`` committed."""
    git(root.parent, "init", "-q", str(root))
    (root / "app.py").write_text("".join(f"{n}\n" for n in range(1, 11)))
    commit_all(root, "base")
    run = Runner(root)
    run("init")
    commit_all(root, "init")
    return run


def _follow(cwd: Path, command: str) -> None:
    done = pasted(cwd, command)
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _carry(said: str) -> str:
    """The carry command of a work-tree advice, as a person copies it."""
    return said.split("carry it there and work there with: ", 1)[1] \
        .split(" (absolute paths", 1)[0]


# -- 1. the board's claim on a branch checked out in another work tree ------------------------


def test_the_boards_work_tree_advice_followed_keeps_the_claimants_session(
        tmp_path: Path) -> None:
    """A task claimed on branch feature (committed there) by agent A of this work tree,
    this checkout back on the first branch, feature checked out in another work tree:
    the board said ``(cd PATH)`` only, and A's session file (never committed) stayed
    here. The advice is resume's: the file carried there; followed as printed, A's
    session is there, with its claim's task, and no longer here."""
    from boardkit import add

    root = tmp_path / "proj"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    add(run, "on the first branch")
    commit_all(root, "board")
    git(root, "checkout", "-q", "-b", "feature")
    only = add(run, "feature-only task")
    run("start", "--title", "Claimant", agent="vm.f.x.A")
    run("task", "claim", only, agent="vm.f.x.A")
    run("log", "--progress", "claimed it", agent="vm.f.x.A")
    git(root, "commit", "-q", "-am", "feature board")
    git(root, "checkout", "-q", trunk)
    other = (tmp_path / "feature wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feature")
    said = _one_line(run("task", "add", "B here", agent="vm.f.x.B").stderr)
    assert f"task {only} (feature-only task) is claimed by vm.f.x.A on branch 'feature'" \
        in said, said
    assert "git switch feature" not in said, said
    command = _carry(said)
    assert command.endswith(f"cd '{other}'") and "mv -- " in command, command
    _follow(root, f"{command} && AI_AGENT_ID=vm.f.x.A ai-protocols log --progress there")
    there = Runner(other)("resume", agent="vm.f.x.A").stdout
    assert there.startswith("Resume: Claimant (") and "feature-only task" in there, there
    assert "claimed it" in (other / ".ai/session-context.d/vm.f.x.A.org").read_text()
    assert not (root / ".ai/session-context.d/vm.f.x.A.org").exists()


def test_the_boards_switch_back_advice_carries_the_claimants_file(tmp_path: Path) -> None:
    """The same claim, no other work tree, and the claimant's session file committed on
    the first branch only: ``git switch feature`` (the board's advice) removed it. The
    advice is resume's carried switch; followed as printed, A's session is on feature
    with every entry."""
    from boardkit import add

    root = tmp_path / "proj"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    add(run, "on the first branch")
    commit_all(root, "board")
    git(root, "checkout", "-q", "-b", "feature")
    only = add(run, "feature-only task")
    run("start", "--title", "Claimant", agent="vm.f.x.A")
    run("task", "claim", only, agent="vm.f.x.A")
    git(root, "commit", "-q", "-am", "feature board")
    git(root, "checkout", "-q", trunk)
    run("log", "--progress", "logged on the first branch", agent="vm.f.x.A")
    commit_all(root, "the session, on the first branch only")
    said = _one_line(run("task", "add", "B here", agent="vm.f.x.B").stderr)
    assert f"task {only} (feature-only task) is claimed by vm.f.x.A" in said, said
    found = re.search(r"switch to it with: (.*?) \(from ", said)
    assert found, said
    git(root, "commit", "-q", "-m", "B's task", "--", ".ai/tasks.org")  # (B's add: its own)
    _follow(root, found.group(1))
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "feature"
    text = (root / ".ai/session-context.d/vm.f.x.A.org").read_text()
    assert "logged on the first branch" in text, text


# -- 2. git merge --ff-only with the session file in its way ---------------------------------


def test_the_fast_forward_advice_followed_carries_the_session_file(tmp_path: Path) -> None:
    """The session file committed with the work (commit C), written again since, then
    ``git reset HEAD~1`` and the work put back (``git restore``): the file is untracked
    here and C holds it, so ``git merge --ff-only C`` (the advice) refused. The advice
    carries the file across; followed as printed, the branch is at C, the session file
    holds what was written after C, and nothing is said any more."""
    root = tmp_path / "main"
    run = _project(root)
    run("start", "--title", "Forward", agent=ME)
    (root / "app.py").write_text("changed\n")
    run("log", "--progress", "the work", agent=ME)
    commit_all(root, "work and session")
    commit = git(root, "rev-parse", "HEAD")
    run("log", "--progress", "after the commit", agent=ME)
    git(root, "reset", "-q", "HEAD~1")
    git(root, "restore", "app.py")
    said = _one_line(run("resume", agent=ME).stdout)
    found = re.search(r"bring branch \S+ forward to it with (.*?) \(from ", said)
    assert found, said
    assert f"git merge --ff-only {commit[:12]}" in found.group(1), said
    _follow(root, found.group(1))
    assert git(root, "rev-parse", "HEAD") == commit
    assert "after the commit" in (root / FILES[ME]).read_text()
    resumed = run("resume", agent=ME).stdout
    assert "Warning" not in resumed and "after the commit" in resumed, resumed


# -- 5, 6. the record of a carry whose file is gone; the carried refusal's words --------------


def _carried(tmp_path: Path) -> tuple[Path, Path, Runner]:
    """The nineteenth round's f3 case: the session file committed on the first branch, a
    later version on feat, what was logged after feat's commit only in the kept copy
    here (a forced switch put the first branch's version back), feat checked out in
    another work tree, and the carry advice followed as printed: ``(here, there,
    runner)``."""
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
    said = _one_line(run("resume", agent=ME).stdout)
    _follow(root, _carry(said))
    assert "e3 uncommitted" in (other / FILES[ME]).read_text()
    return root, other, run


def test_the_carried_refusal_says_it_was_carried(tmp_path: Path) -> None:
    """A write here after the carry is refused (exit 6) with what happened first: the
    session was carried (not "cannot read session context", which read as if the file
    were broken), where, and the ``cd`` there."""
    root, other, run = _carried(tmp_path)
    refused = run("log", "--progress", "here", agent=ME, check=False)
    assert refused.returncode == 6, refused.stderr
    assert refused.stderr.startswith(f"Error: session context {root / FILES[ME]} not "
                                     f"written: this session was carried to the work tree "
                                     f"{other}"), refused.stderr
    assert "cannot read" not in refused.stderr, refused.stderr


def test_a_carry_whose_file_is_gone_is_said_and_the_way_on_works(tmp_path: Path) -> None:
    """The work tree the session was carried to removed (``git worktree remove``): the
    record's target is gone. It was taken for no record (no word, and the next write
    went into the older version here). ``resume`` now says it was carried there and is
    gone, a write is refused (exit 6, nothing written), and the way on it gives, followed
    as printed, lets the session carry on here from this version."""
    root, other, run = _carried(tmp_path)
    git(root, "worktree", "remove", "--force", str(other))
    said = _one_line(run("resume", agent=ME).stdout)
    assert f"carried to the work tree {other}, and its file there" in said, said
    assert "is gone" in said, said
    before = (root / FILES[ME]).read_bytes()
    refused = run("log", "--progress", "here", agent=ME, check=False)
    assert refused.returncode == 6 and "is gone" in refused.stderr, refused.stderr
    assert (root / FILES[ME]).read_bytes() == before
    found = re.search(r"remove the record with (.*?) \(absolute path", said)
    assert found, said
    _follow(tmp_path, found.group(1))
    run("log", "--progress", "carried on here", agent=ME)
    resumed = run("resume", agent=ME).stdout
    assert "carried on here" in resumed and "Warning" not in resumed, resumed


# -- 7. back in the first work tree after the work went on where the branch is ----------------


def _committed_there(tmp_path: Path) -> tuple[Path, Path, Runner]:
    """The last review's f1 case: the session committed on the first branch, then two
    entries committed on feat; back on the first branch (git put its older file here),
    feat checked out in another work tree: ``(here, there, runner)``."""
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
    other = (tmp_path / "other wt").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    return root, other, run


def test_back_here_after_the_cd_the_warning_says_where_the_session_is(tmp_path: Path) -> None:
    """The nineteenth round's advice there was ``cd`` only; followed, and the session
    written there since, ``resume`` back here gave the switched-file warning, then "that
    one has a session file of its own": it now says first that the session carries on
    in that work tree, with the ``cd`` there."""
    root, other, run = _committed_there(tmp_path)
    _follow(root, f"cd '{other}' && ai-protocols log --progress 'there three'")
    said = _one_line(run("resume").stdout)
    assert f"Warning: this session carries on in the work tree {other}," in said, said
    assert "a session file of its own" not in said, said
    assert f"cd '{other}' (absolute paths" in said, said


def test_the_advice_followed_leaves_the_record_and_this_work_tree_says_carried(
        tmp_path: Path) -> None:
    """Followed as printed (the record left here, then ``cd``), the session carries on
    there; back here, ``resume`` says it was carried there, and a write into the older
    file here is refused (exit 6), nothing written: no second live copy."""
    root, other, run = _committed_there(tmp_path)
    said = _one_line(run("resume").stdout)
    command = re.search(r"leaving here the record of the carry with: (.*?) \(absolute",
                        said)
    assert command, said
    _follow(root, f"{command.group(1)} && ai-protocols log --progress 'there three'")
    there = (other / FILES[None]).read_text()
    assert "feat two" in there and "there three" in there
    back = _one_line(run("resume").stdout)
    assert f"this session was carried to the work tree {other}" in back, back
    before = (root / FILES[None]).read_bytes()
    refused = run("log", "--progress", "a second copy", check=False)
    assert refused.returncode == 6, refused.stderr
    assert (root / FILES[None]).read_bytes() == before
    assert (other / FILES[None]).read_text() == there


# -- 4. not fetched yet, and the branch checked out in another work tree ----------------------


def test_before_a_fetch_a_branch_checked_out_elsewhere_is_brought_forward_there(
        tmp_path: Path) -> None:
    """Clone A commits on branch side and logs it (the session file committed on its
    first branch only, and pushed); clone B has a branch side of its own (behind), which
    another work tree of B has checked out. The advice was ``git fetch origin && git
    switch side && git merge --ff-only origin/side``: git refuses the switch. It now
    fetches, brings side forward in that work tree and carries the session file there;
    followed as printed (after A's push), the session is there with its work."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    (a / "f").write_text("l1\n")
    commit_all(a, "base")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    git(a, "push", "-q", "origin", trunk)
    git(a, "switch", "-q", "-c", "side")
    git(a, "push", "-q", "origin", "side")
    run = Runner(a)
    run("start", "--title", "Side", agent=ME)
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
    b = tmp_path / "B"
    git(b, "branch", "-q", "side", "origin/side")
    other = (tmp_path / "B side").resolve()
    git(b, "worktree", "add", "-q", str(other), "side")
    said = _one_line(Runner(b)("resume", agent=ME).stdout)
    assert f"checked out in the work tree {other}" in said, said
    assert "git switch side" not in said, said
    command = _carry(said)
    assert "fetch origin && git -C " in command and "merge --ff-only origin/side" in command
    git(a, "push", "-q", "origin", "side")
    _follow(tmp_path, command)
    assert git(other, "rev-parse", "HEAD") == commit
    resumed = Runner(other)("resume", agent=ME).stdout
    assert resumed.startswith("Resume: Side (") and "Warning" not in resumed, resumed
    assert "Side committed" in (other / FILES[ME]).read_text()


def test_after_a_fetch_the_branch_elsewhere_is_brought_forward_with_the_session(
        tmp_path: Path) -> None:
    """The same, fetched already: the advice named the work tree and the merge to run
    there, but left the session file here (``cd`` alone). Followed as printed, the
    branch there is brought forward and the session is there."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(tmp_path, "clone", "-q", "origin.git", "A")
    a = tmp_path / "A"
    (a / "f").write_text("l1\n")
    commit_all(a, "base")
    trunk = git(a, "rev-parse", "--abbrev-ref", "HEAD")
    git(a, "switch", "-q", "-c", "side")
    git(a, "push", "-q", "origin", trunk, "side")
    run = Runner(a)
    run("start", "--title", "Side", agent=ME)
    (a / "s").write_text("s\n")
    git(a, "add", "s")
    git(a, "commit", "-q", "-m", "side work")
    run("log", "--progress", "Side committed", agent=ME)
    commit = git(a, "rev-parse", "HEAD")
    git(a, "push", "-q", "origin", "side")
    git(a, "switch", "-q", trunk)
    git(a, "add", ".ai")
    git(a, "commit", "-q", "-m", "session on the first branch only")
    git(a, "push", "-q", "origin", trunk)
    git(tmp_path, "clone", "-q", "origin.git", "B")
    b = tmp_path / "B"
    git(b, "branch", "-q", "side", f"{commit}~1")
    other = (tmp_path / "B side").resolve()
    git(b, "worktree", "add", "-q", str(other), "side")
    said = _one_line(Runner(b)("resume", agent=ME).stdout)
    assert "here is behind it" in said and f"work tree {other}" in said, said
    command = _carry(said)
    assert command.startswith(f"git -C '{other}' merge --ff-only origin/side"), command
    _follow(tmp_path, command)
    assert git(other, "rev-parse", "HEAD") == commit
    resumed = Runner(other)("resume", agent=ME).stdout
    assert resumed.startswith("Resume: Side (") and "Warning" not in resumed, resumed


# -- 3. the carry takes a rolled-over session's earlier-entries files along ----------------


def test_the_carry_takes_the_earlier_entries_files_along(tmp_path: Path) -> None:
    """A session past 4 MiB on branch feat, rolled over (its oldest entries moved to an
    earlier-entries file under ``.ai/history/``, never committed), this checkout back on
    the first branch, feat checked out in another work tree: the carry moved the session
    file only, and ``show --all`` there lacked the moved entries. Followed as printed,
    the earlier file goes too: ``show --all`` there has the oldest entry, and says no
    earlier file is missing."""
    from test_rollover import block, insert, stamp

    from ai_protocols.org.syntax import entry_lines
    from ai_protocols.session.rollover import BOUND

    root = tmp_path / "main"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    git(root, "switch", "-q", "-c", "feat")
    run("start", "--title", "Long")
    path = root / FILES[None]
    pieces, total, n = [], 0, 0
    while total < BOUND + 10_000:
        entry = block(entry_lines(stamp(n), f"old decision {n:06d} " + "d" * 150))
        pieces.append(entry)
        total += len(entry)
        n += 1
    path.write_text(insert(path.read_text(), "decisions", "".join(pieces)))
    run("log", "--progress", "rolls over")
    assert list((root / ".ai/history").rglob("*.org")), "no rollover"
    (root / "feat.py").write_text("feat\n")
    git(root, "add", "feat.py")
    git(root, "commit", "-q", "-m", "feat work")
    run("log", "--progress", "Long committed")
    git(root, "switch", "-q", trunk)
    other = (tmp_path / "other").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    said = _one_line(run("resume").stdout)
    command = _carry(said)
    assert ".ai/history/session-context" in command, command
    _follow(root, command)
    shown = Runner(other)("show", "--all")
    assert "old decision 000000 " in shown.stdout, shown.stdout[-2000:]
    assert "missing" not in shown.stderr and "Warning" not in shown.stderr, shown.stderr


# -- 8. a committed version put back, then edited: the next write merges it --------------------


def test_status_says_the_next_write_merges_a_version_put_back_and_edited(
        tmp_path: Path) -> None:
    """The session file committed, an entry logged since, ``git checkout -- FILE`` (the
    committed version back), then a note typed into it: ``status`` and ``resume``
    advised ``merge-kept``, though the next write merges the two on its own. They now
    say so; and it is so: the next ``log`` goes on, and the file holds the note, the
    entry the checkout took and the new one."""
    root = tmp_path / "main"
    run = _project(root)
    run("start", "--title", "Put back", agent=ME)
    run("log", "--progress", "one", agent=ME)
    commit_all(root, "session")
    run("log", "--progress", "two after the commit", agent=ME)
    git(root, "checkout", "--", FILES[ME])
    path = root / FILES[ME]
    path.write_text(path.read_text().replace("one\n", "one\n  a note typed by hand\n", 1))
    for said in (_one_line(run("status", agent=ME).stdout + run("status", agent=ME).stderr),
                 _one_line(run("resume", agent=ME).stdout)):
        assert "the next write here merges the two on its own" in said, said
        assert "merge the two with" not in said, said
    run("log", "--progress", "three", agent=ME)
    text = path.read_text()
    for line in ("a note typed by hand", "two after the commit", "three"):
        assert line in text, (line, text)


# -- 9. every command printed is pasteable: refusals, the board's warnings, the hooks ----------


def _pasteable_all(text: str) -> list[str]:
    """Each command of ``text`` (one line) as a person copies it, checked as the
    nineteenth round's sweep checks ``resume``'s: parsed by bash, and no sentence
    punctuation glued to it (``test_elsefix_nineteenth._pasteable``, the one rule)."""
    import shlex

    from test_elsefix_nineteenth import _pasteable

    found = _pasteable(_one_line(text))
    # (and none inside it: "git diff HEAD C, and ...", "FILE: each"; a question, "(git
    # clean, git stash -u or git checkout?)", names commands in prose: no command)
    for command in (c for c in found if "?" not in c):
        try:
            words = shlex.split(command, posix=False)
        except ValueError:
            words = command.split()
        glued = [w for w in words if w[:1] not in "'\"" and w.endswith((".", ",", ";", ":"))]
        assert not glued, (glued, command, text)
    return found


def test_every_refusal_of_errors_py_is_pasteable() -> None:
    """Every error class's message (``test_errors.EXAMPLES``, one or more of each, and
    their paths with a space, as a user's are): each command in it pastes as printed
    (a prose mention of ``git stash pop, git checkout, ...`` read as a command with a
    comma glued to it, and is worded as prose now)."""
    import pickle

    from test_errors import EXAMPLES

    found = 0
    for error in EXAMPLES:
        found += len(_pasteable_all(str(error)))
        spaced = pickle.loads(pickle.dumps(error))
        for key, value in list(vars(spaced).items()):
            if isinstance(value, Path) and str(value).startswith("/p"):
                setattr(spaced, key, Path("/my work" + str(value)))
        found += len(_pasteable_all(str(spaced)))
    assert found > 20, found


def test_the_boards_warnings_and_the_hooks_messages_are_pasteable(tmp_path: Path) -> None:
    """The board's warnings (a claim and a lock git took, put back; a claim on another
    branch, with its carry) and the hooks' messages (PreToolUse's refusal of an edit in
    another agent's lock; SessionStart's context with the rolled-back warning): each
    command in them pastes as printed."""
    from boardkit import add, write_hook

    root = tmp_path / "my proj"
    run = _project(root)
    trunk = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    task = add(run, "shared task")
    commit_all(root, "board")
    run("start", "--title", "Holder", agent="vm.h.x.A")
    run("task", "claim", task, agent="vm.h.x.A")
    run("lock", "app.py", "--reason", "refactor", agent="vm.h.x.A")
    git(root, "checkout", "--", ".ai/tasks.org")
    texts = [run("task", "list", agent="vm.h.x.B").stderr,
             run("task", "add", "another", agent="vm.h.x.B").stderr]
    refused = write_hook(root, root / "app.py", "vm.h.x.B")
    texts += [refused.stdout, refused.stderr]
    git(root, "checkout", "-q", "-b", "feature")
    only = add(run, "feature-only task")
    run("task", "claim", only, agent="vm.h.x.A")
    git(root, "commit", "-q", "-am", "feature board")
    git(root, "checkout", "-q", trunk)
    git(root, "worktree", "add", "-q", str(tmp_path / "feature wt"), "feature")
    texts.append(run("task", "add", "B here", agent="vm.h.x.B").stderr)
    started = pasted(root, "AI_AGENT_ID=vm.h.x.A ai-protocols hook SessionStart --runtime "
                     "claude <<< '{\"session_id\": \"s\", \"source\": \"startup\"}'")
    texts += [started.stdout, started.stderr]
    said = " ".join(texts)
    assert "claimed by vm.h.x.A on branch 'feature'" in said, said
    found = [c for text in texts for c in _pasteable_all(text)]
    assert any(c.startswith("mv -- ") for c in found), said
