"""Issue 14, twentieth round (advice and messages): five faults a fresh review found in the
advice of the work-elsewhere and outside-git cases and in ``log --key-file``, each FOLLOWED
as printed (pasted into bash) in real repositories and work trees with the installed
console script (docs/decisions.md, "Issue 14, twentieth round (advice and messages)")."""

from __future__ import annotations

import os
import re
from pathlib import Path

from gitkit import commit_all, git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

SESSION = ".ai/session-context.org"
KEPT = ".ai/.locks/live/session-context.org"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _follow(cwd: Path, command: str) -> None:
    done = pasted(cwd, command)
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def _project(root: Path) -> Runner:
    """``root``, a git repository on branch main with ``a`` and ``.ai/`` committed."""
    git(root.parent, "init", "-q", "-b", "main", str(root))
    (root / "a").write_text("a\n")
    commit_all(root, "base")
    run = Runner(root)
    run("init")
    commit_all(root, "init")
    return run


def _elsewhere(tmp_path: Path) -> tuple[Path, Path, Runner]:
    """A session started on branch feat (never committed), this checkout back on main,
    feat checked out in the work tree ``W2``: ``(W1, W2, runner)``."""
    root = tmp_path / "W1"
    run = _project(root)
    git(root, "switch", "-q", "-c", "feat")
    (root / "b").write_text("b\n")
    commit_all(root, "feat")
    run("start", "--title", "T")
    run("log", "--progress", "P1")
    git(root, "switch", "-q", "main")
    other = (tmp_path / "W2").resolve()
    git(root, "worktree", "add", "-q", str(other), "feat")
    return root, other, run


def _carry(said: str) -> str:
    return said.split("carry it there and work there with: ", 1)[1] \
        .split(" (absolute paths", 1)[0]


# -- F3: the plain carry leaves the record of the carry ---------------------------------------


def test_the_plain_carry_leaves_a_record_the_first_work_tree_reads(tmp_path: Path) -> None:
    """The carry of the file itself (``mv FILE W2/FILE && rm -f KEPT && cd W2``) left
    nothing here: ``resume`` said "no session yet", ``status`` "No session is under way",
    and ``start`` began a second session with the same agent id. Followed as printed now,
    the kept copy's place here links to the file there: ``resume`` and ``status`` say
    where the session went, and ``start`` and ``log`` are refused (exit 6), writing
    nothing, while the session carries on there."""
    root, other, run = _elsewhere(tmp_path)
    _follow(root, _carry(_one_line(run("resume").stdout)))
    assert not (root / SESSION).exists()
    assert os.readlink(root / KEPT) == str(other / SESSION)
    Runner(other)("log", "--progress", "in W2")
    where = f"carried to the work tree {other}"
    resumed = _one_line(run("resume").stdout)
    assert where in resumed and "no session yet" not in resumed, resumed
    status = _one_line(run("status").stdout)
    assert where in status and "No session is under way" not in status, status
    for args in (("start", "--title", "again"), ("log", "--progress", "here")):
        refused = run(*args, check=False)
        assert refused.returncode == 6 and where in refused.stderr, (args, refused.stderr)
    assert not (root / SESSION).exists() and (root / KEPT).is_symlink()
    assert "in W2" in (other / SESSION).read_text()


# -- F7: outside git, git init where the project is --------------------------------------------


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=12).filter(lambda n: n not in (".", "..") and "/" not in n)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_outside_git_the_advice_makes_the_projects_root_a_repository(
        tmp_path_factory, name: str) -> None:
    """``.ai/`` in a folder that is not a git repository, ``checkpoint`` run from a folder
    below it: "git init makes one", pasted where the person stood, made that folder the
    project. The advice now names the root (``git -C ROOT init``, quoted for the shell);
    followed as printed from the folder below, the root is the repository and the
    checkpoint then works."""
    base = tmp_path_factory.mktemp("plain")
    root = base / name
    (root / "sub").mkdir(parents=True)
    Runner(root)("init")
    refused = Runner(root / "sub")("checkpoint", check=False)
    assert refused.returncode == 14, refused.stderr
    found = re.search(r"with: (git -C .*) init \(from anywhere\)", refused.stderr)
    assert found, refused.stderr
    _follow(root / "sub", found.group(1) + " init")
    assert (root / ".git").is_dir() and not (root / "sub" / ".git").exists()
    Runner(root / "sub")("checkpoint")


# -- F8: what a key file may be -----------------------------------------------------------------


def test_one_file_is_one_key_file_and_a_key_file_is_a_file_of_the_work_tree(
        tmp_path: Path) -> None:
    """A hard link of a listed key file was listed as a second one, and ``src/a.py/``,
    a path below a file, ``.git/config`` and the session file itself were taken. Now a
    hard link (the same device and inode) is the listed file ("listed already"), in
    one call too; the others are refused (exit 4, nothing written); a file that does
    not exist yet is taken."""
    root = tmp_path / "p"
    run = _project(root)
    (root / "src").mkdir()
    (root / "src" / "a.py").write_text("x\n")
    os.link(root / "src" / "a.py", root / "hard.py")
    (root / "c.py").write_text("c\n")
    os.link(root / "c.py", root / "d.py")
    run("start", "--title", "T")
    run("log", "--key-file", "src/a.py")
    again = run("log", "--key-file", "hard.py")
    assert "src/a.py (listed already)" in again.stdout, again.stdout
    both = run("log", "--key-file", "d.py", "--key-file", "c.py")
    assert "d.py (listed already)" in both.stdout, both.stdout
    before = (root / SESSION).read_bytes()
    for bad in ("src/a.py/", "src/a.py/x", ".git/config", SESSION, "sub/.git/HEAD"):
        refused = run("log", "--key-file", bad, check=False)
        assert refused.returncode == 4, (bad, refused.stderr)
    assert (root / SESSION).read_bytes() == before
    run("log", "--key-file", "src/new.py")
    listed = (root / SESSION).read_text().split("** Key files", 1)[1].split("** ", 1)[0]
    assert re.findall(r"\] (\S+)$", listed, re.M) == ["src/a.py", "d.py", "src/new.py"], listed


# -- F5: the carry's work tree moved -------------------------------------------------------------


def test_a_carry_whose_work_tree_moved_says_where_and_the_way_there_works(
        tmp_path: Path) -> None:
    """The work tree the session was carried to moved (``git worktree move W2 W3``): the
    first work tree said the file "is gone" and offered only the record's removal
    (carrying on here from the older version: two live copies). It now says where git
    moved it; the ``ln -sf && cd`` it gives, followed as printed, brings the record up to
    date, and the session is said to carry on there."""
    root, other, run = _elsewhere(tmp_path)
    _follow(root, _carry(_one_line(run("resume").stdout)))
    moved = (tmp_path / "W3 moved").resolve()
    git(root, "worktree", "move", str(other), str(moved))
    said = _one_line(run("resume").stdout)
    assert f"took to {moved}" in said and "is gone" not in said, said
    found = re.search(r"up to date with: (ln -sf .*?) \(absolute paths", said)
    assert found, said
    _follow(tmp_path, found.group(1))
    assert os.readlink(root / KEPT) == str(moved / SESSION)
    resumed = _one_line(run("resume").stdout)
    assert f"carried to the work tree {moved} (its file there" in resumed, resumed
    refused = run("log", "--progress", "here", check=False)
    assert refused.returncode == 6, refused.stderr


# -- F6: a conflicted git stash pop left the session file unmerged --------------------------------


def _unmerged(tmp_path: Path) -> tuple[Path, Runner]:
    """The session file committed on feat, an entry logged since, stashed, main checked
    out, the stash popped: a modify/delete conflict (``DU``)."""
    root = tmp_path / "W 1"
    run = _project(root)
    git(root, "switch", "-q", "-c", "feat")
    run("start", "--title", "T")
    run("log", "--progress", "F1")
    commit_all(root, "f1")
    run("log", "--progress", "F2 uncommitted")
    git(root, "stash", "-q")
    git(root, "switch", "-q", "main")
    pasted(root, "git stash pop -q")
    assert "DU " + SESSION in git(root, "status", "--short")
    return root, run


def _logged(root: Path) -> list[str]:
    return re.findall(r"\] (F\S*(?: uncommitted)?)$", (root / SESSION).read_text(), re.M)


def test_the_carry_advice_works_with_the_session_file_unmerged(tmp_path: Path) -> None:
    """With the session file unmerged, ``mv ... && git switch feat && mv ...`` failed
    ("resolve your current index first"). Followed as printed now, it takes the file's
    unmerged entries out of the index first: on feat, with every entry."""
    root, run = _unmerged(tmp_path)
    said = _one_line(run("resume").stdout)
    found = re.search(r"switch to it with: (.*?) \(from ", said)
    assert found, said
    _follow(root, found.group(1))
    assert git(root, "branch", "--show-current") == "feat"
    run("log", "--progress", "F3")
    assert _logged(root) == ["F1", "F2 uncommitted", "F3"]


def test_a_carry_stopped_halfway_is_named_and_finished(tmp_path: Path) -> None:
    """The advice of before, pasted with the file unmerged, stopped at its git switch and
    left ``FILE.carry``; the next advice repeated the switch git refuses and never named
    that file. ``resume`` (and ``log``'s refusal) now name it, and its command, followed
    as printed, finishes the carry: on feat, with every entry."""
    root, run = _unmerged(tmp_path)
    stopped = pasted(root, f"mv -- {SESSION} {SESSION}.carry && git switch feat && "
                           f"mv -- {SESSION}.carry {SESSION}")
    assert stopped.returncode != 0 and (root / f"{SESSION}.carry").exists()
    refused = run("log", "--progress", "x", check=False)
    assert refused.returncode == 3 and f"{SESSION}.carry" in refused.stderr, refused.stderr
    said = _one_line(run("resume").stdout)
    found = re.search(r"finish that carry with: (.*?) \(git reset only", said)
    assert found, said
    _follow(tmp_path, found.group(1))
    assert git(root, "branch", "--show-current") == "feat"
    assert not (root / f"{SESSION}.carry").exists()
    run("log", "--progress", "F3")
    assert _logged(root) == ["F1", "F2 uncommitted", "F3"]
