"""Issue 14, twenty-first round (a fresh review of checkpoints and the "work is elsewhere"
advice): a project whose ``.ai/`` is in a folder below the git work tree's top
(``repo/pkg``), where the advice named paths from the top under ``(from repo/pkg)`` and
went to another work tree's top; a checkpoint restored already into a worktree, which
``resume`` told to restore again; ``checkpoint export``, which gave the bytes git stores
rather than those a checkout writes; and a restore whose new worktree held a second live
copy of the session. Each printed command is run as printed, from the folder it names
(docs/decisions.md, "Issue 14, twenty-first round (work elsewhere)")."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
from gitkit import commit_all, git, pasted
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import Runner

ME = "w.1796000000"


def _sub_project(base: Path, files: dict[str, bytes] | None = None,
                 start: bool = True) -> tuple[Path, Path, Runner]:
    """``base/repo``, a git repository whose project is its folder ``pkg`` (``.ai/``
    there, as ``mkdir .ai && ai-protocols init`` makes it), with ``files`` (paths from the
    top; default: ``pkg/p.txt``, ``pkg/q.txt``, ``top.txt``) committed, and a session
    started (unless not ``start``): ``(top, pkg, runner in pkg)``."""
    top = (base / "repo").resolve()
    (top / "pkg").mkdir(parents=True)
    git(base, "init", "-q", "-b", "main", str(top))
    for name, data in (files or {"pkg/p.txt": b"p\n", "pkg/q.txt": b"q\n",
                                 "top.txt": b"t\n"}).items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_bytes(data)
    commit_all(top, "init")
    pkg = top / "pkg"
    (pkg / ".ai").mkdir()
    run = Runner(pkg)
    run("init")
    if start:
        run("start", "--title", "Sub")
    return top, pkg, run


def _warning(run: Runner, agent: str | None = None) -> str:
    """The warning ``resume`` ends with, on one line ("" when none)."""
    said = run("resume", agent=agent).stdout.rstrip().rsplit("\n\n", 1)[-1]
    return said.replace("\n", " ") if said.startswith("Warning: ") else ""


def _commands(said: str, verb: str) -> list[tuple[str, Path]]:
    """Each ``git VERB ... (from FOLDER`` of the warning ``said``: the command as printed
    and the folder it says it runs from."""
    return [(m.group(1), Path(m.group(2))) for m in
            re.finditer(rf"(git {verb} [^()]*?) \(from ([^;)]+)", said)]


# -- 2. a project below the top: no false alarm, and the commands run where they say ------


def test_a_checkpoint_in_a_folder_below_the_top_is_not_rolled_back(tmp_path: Path) -> None:
    """The reviewer's r2 (a): right after a checkpoint, nothing changed since, ``resume``
    in ``repo/pkg`` said every file of it was "not here": git's paths, from the top, were
    looked up from the project's folder (``pkg/pkg/p.txt``)."""
    top, pkg, run = _sub_project(tmp_path)
    (pkg / "p.txt").write_text("p\ny\n")
    (pkg / "q.txt").write_text("q\nz\n")
    (top / "top.txt").write_text("t\nw\n")
    (top / "new.txt").write_text("new\n")
    run("checkpoint", "--note", "edits here and above")
    assert _warning(run) == ""


def test_what_is_missing_is_named_and_taken_back_from_the_folder_named(tmp_path: Path) -> None:
    """The reviewer's r2 (b): part of the work undone, part changed since. The warning
    names the files from the project's folder (``q.txt``, ``../top.txt``), and its
    ``git restore`` and ``git diff``, pasted from the folder its ``(from ...)`` names,
    take back exactly what is missing and compare what changed since."""
    top, pkg, run = _sub_project(tmp_path)
    (pkg / "p.txt").write_text("p\ny\n")
    (pkg / "q.txt").write_text("q\nz\n")
    (top / "top.txt").write_text("t\nw\n")
    (top / "new.txt").write_text("new\n")
    run("checkpoint", "--note", "edits here and above")
    git(top, "checkout", "-q", "--", "pkg/q.txt", "top.txt")
    (top / "new.txt").unlink()
    (pkg / "p.txt").write_text("other\n")  # (changed since: compared, never written over)
    said = _warning(run)
    assert "q.txt (its edit is not here)" in said and "../top.txt" in said, said
    assert "pkg/q.txt" not in said, said
    restores, diffs = _commands(said, "restore"), _commands(said, "diff")
    assert restores and diffs, said
    for command, folder in restores + diffs:
        assert folder == pkg, said
        done = pasted(folder, command)
        assert done.returncode == 0, (command, done.stderr)
        if command.startswith("git diff"):
            assert "pkg/p.txt" in done.stdout and "\n-y\n" in done.stdout, (command, done.stdout)
    assert (pkg / "q.txt").read_text() == "q\nz\n"
    assert (top / "top.txt").read_text() == "t\nw\n"
    assert (top / "new.txt").read_text() == "new\n"
    assert (pkg / "p.txt").read_text() == "other\n"


NAME = st.text(alphabet=st.sampled_from("abcXYZ019 -_.éü€"), min_size=1, max_size=8).filter(
    lambda n: n.strip() == n and n not in (".", "..") and not n.startswith(("-", ".")))


@settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(st.sampled_from(["pkg/", "", "pkg/sub/", "other/"]), NAME),
                      min_size=1, max_size=4, unique_by=lambda t: t[0] + t[1]),
       data=st.binary(min_size=1, max_size=40))
def test_any_files_undone_come_back_by_the_command_pasted(
        tmp_path_factory: pytest.TempPathFactory, names: list[tuple[str, str]],
        data: bytes) -> None:
    """Any file names, in the project's folder, below it, beside it or at the top: added
    by the work, checkpointed, then lost (removed), the rest of the work (an edit of
    ``p.txt``) still here. The warning names each from the project's folder, and its
    ``git restore`` pasted from there brings each back, byte for byte."""
    base = tmp_path_factory.mktemp("names")
    top, pkg, run = _sub_project(base)
    paths = [f"{folder}{name}" for folder, name in names]
    for path in paths:
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_bytes(data + path.encode())
    (pkg / "p.txt").write_text("p\nkept\n")
    run("checkpoint", "--note", "new files")
    for path in paths:
        (top / path).unlink()
    said = _warning(run)
    restores = _commands(said, "restore")
    assert len(restores) == 1 and restores[0][1] == pkg, said
    done = pasted(pkg, restores[0][0])
    assert done.returncode == 0, (restores, done.stderr)
    for path in paths:
        assert (top / path).read_bytes() == data + path.encode()
    assert _warning(run) == ""


def test_restore_force_names_commands_that_work_from_the_project_folder(tmp_path: Path) -> None:
    """``checkpoint restore --force``'s notes: "git checkout REF -- PATH takes one back"
    (a tool file under ``.ai/`` left as it is) and "git checkout HEAD -- PATH gives one
    back" (a committed file the checkpoint lacks, removed) failed from ``repo/pkg`` with
    the paths listed (from the top). Now ``git -C TOP checkout HASH -- PATH``: pasted from
    the project's folder, with PATH as listed, each gives the file back."""
    top, pkg, run = _sub_project(tmp_path)
    (pkg / "p.txt").write_text("p\ncheckpointed\n")
    run("checkpoint", "--note", "before")
    protocols = pkg / ".ai" / "protocols.org"
    before = protocols.read_bytes()
    protocols.write_bytes(before + b"\n# a line added since\n")
    (pkg / "later.txt").write_text("committed after the checkpoint\n")
    git(top, "add", "pkg/later.txt", "pkg/p.txt")
    git(top, "commit", "-q", "-m", "later")
    done = run("checkpoint", "restore", "1", "--force")
    err = done.stderr
    back = re.search(r"(git -C \S+ checkout [0-9a-f]{12} -- )PATH takes one back", err)
    head = re.search(r"(git -C \S+ checkout HEAD -- )PATH gives one back", err)
    assert back and head, err
    lines = err.splitlines()
    left = lines[next(i for i, line in enumerate(lines) if line.startswith("Left ")) + 1].strip()
    assert left == "pkg/.ai/protocols.org", err
    assert "  pkg/later.txt" in lines, err
    assert not (pkg / "later.txt").exists()
    for command in (back.group(1) + left, head.group(1) + "pkg/later.txt"):
        ran = pasted(pkg, command)
        assert ran.returncode == 0, (command, ran.stderr)
    assert protocols.read_bytes() == before
    assert (pkg / "later.txt").read_text() == "committed after the checkpoint\n"


# -- 3. the carry to another work tree goes to the project's folder there ----------------


def _feature_checked_out_elsewhere(tmp_path: Path) -> tuple[Path, Path, Runner, Path]:
    """A sub-folder project (:func:`_sub_project`) whose session logged work on branch
    ``feature``, then switched back to ``main`` here, ``feature`` checked out in the
    work tree ``wt``: ``(top, pkg, run, wt)``."""
    top, pkg, run = _sub_project(tmp_path)
    commit_all(top, "ai")
    git(top, "switch", "-q", "-c", "feature")
    run("start")
    (pkg / "p.txt").write_text("p\nfeature\n")
    git(top, "commit", "-q", "-am", "feature work")
    run("log", "--progress", "did feature")
    git(top, "switch", "-q", "main")
    wt = (tmp_path / "wt").resolve()
    git(top, "worktree", "add", "-q", str(wt), "feature")
    return top, pkg, run, wt


def test_the_carry_to_another_work_tree_leads_to_the_project_folder_there(
        tmp_path: Path) -> None:
    """The reviewer's r3: the session's branch is checked out in another work tree; the
    carry ended with ``cd`` to that work tree's top, where ``resume`` said "no session
    yet". It now goes to ``pkg`` there; followed, the session is there, and back here
    the record of the carry says where, with a ``cd`` that leads there too."""
    _, pkg, run, wt = _feature_checked_out_elsewhere(tmp_path)
    said = _warning(run)
    command = re.search(r"work there with: (.*?) \(absolute paths", said).group(1)  # type: ignore[union-attr]
    assert command.endswith(f"cd {wt / 'pkg'}"), command
    done = pasted(pkg, f"{command} && ai-protocols resume")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Resume: Sub (active)"), done.stdout
    assert "did feature" in (wt / "pkg/.ai/session-context.org").read_text()
    here = _warning(run)
    go = re.search(r"work there \((cd -- \S+)\)", here)
    assert go and go.group(1) == f"cd -- {wt / 'pkg'}", here
    again = pasted(pkg, f"{go.group(1)} && ai-protocols resume")
    assert again.stdout.startswith("Resume: Sub (active)"), again.stdout


# -- 4. a checkpoint restored already: said, never the same restore again ----------------


def _paused_and_fetched(tmp_path: Path) -> tuple[Path, Path, Runner]:
    """The reviewer's r4: clone A pauses (a checkpoint of uncommitted and untracked
    work), commits the session file, pushes the branch and the checkpoints; clone B
    fetches them: ``(A, B, runner in B)``."""
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "remote.git")
    git(tmp_path, "clone", "-q", "remote.git", "A")
    a = (tmp_path / "A").resolve()
    git(a, "switch", "-q", "-c", "main")
    (a / "f").write_text("x\n")
    run_a = Runner(a)
    run_a("init")
    commit_all(a, "base")
    git(a, "push", "-q", "origin", "main")
    run_a("start", "--objective", "feature")
    (a / "f").write_text("x\nwork\n")
    (a / "g").write_text("new\n")
    run_a("pause", "--note", "urgent bug")
    git(a, "add", ".ai/session-context.org")
    git(a, "commit", "-q", "-m", "session")
    git(a, "push", "-q", "origin", "main")
    git(a, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(tmp_path, "clone", "-q", "remote.git", "B")
    b = (tmp_path / "B").resolve()
    git(b, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    return a, b, Runner(b)


def test_a_checkpoint_restored_already_is_said_and_its_force_restore_works(
        tmp_path: Path) -> None:
    """The second ``resume`` repeated "restore it with" word for word, and the restore
    pasted again was refused (exit 15). It now names the worktree the restore made, and
    what brings the work beside the session: ``restore --force``, which pasted from the
    folder named puts the work here; then nothing is elsewhere."""
    _, b, run = _paused_and_fetched(tmp_path)
    said = _warning(run)
    first = re.search(r"restore it with: (ai-protocols checkpoint restore [0-9a-f]+) "
                      r"\(from ([^)]+)\)", said)
    assert first, said
    made = pasted(Path(first.group(2)), first.group(1))
    assert made.returncode == 0, made.stderr
    worktree = made.stdout.strip().splitlines()[-1]
    again = _warning(run)
    assert f"is restored already, in the worktree {worktree}" in again, again
    assert "restore it with" not in again, again
    refused = pasted(b, first.group(1))
    assert refused.returncode == 15
    assert "a restore of this very checkpoint made" in refused.stderr, refused.stderr
    force = re.search(r"with: (ai-protocols checkpoint restore [0-9a-f]+ --force) "
                      r"\(from ([^;]+);", again)
    assert force and Path(force.group(2)) == b, again
    done = pasted(b, force.group(1))
    assert done.returncode == 0, done.stderr
    assert (b / "f").read_text() == "x\nwork\n" and (b / "g").read_text() == "new\n"
    assert _warning(run) == ""


# -- 5. export: the bytes a checkout writes ------------------------------------------------


def _exported(target: Path) -> dict[str, bytes]:
    with tarfile.open(target) as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar if m.isfile()}


def test_export_gives_the_bytes_of_the_work_tree_and_of_a_restore(tmp_path: Path) -> None:
    """The reviewer's r5: a file with ``eol=crlf`` came out of an export with LF endings,
    and a smudge filter's file as stored; a restore into a worktree gives the CRLF bytes.
    The export now gives what a checkout writes: the work tree's bytes at the checkpoint,
    the restore's; ``export-subst`` is still not applied."""
    repo = (tmp_path / "repo").resolve()
    git(tmp_path, "init", "-q", str(repo))
    (repo / ".gitattributes").write_text("*.bat text eol=crlf\n*.dat filter=upper\n"
                                         "ver.txt export-subst\n")
    git(repo, "config", "filter.upper.smudge", "tr a-z A-Z")
    git(repo, "config", "filter.upper.clean", "tr A-Z a-z")
    (repo / "run.bat").write_bytes(b"echo hi\r\necho two\r\n")
    (repo / "d.dat").write_text("lower\n")
    (repo / "ver.txt").write_text("v=$Format:%H$\n")
    commit_all(repo, "i")
    run = Runner(repo)
    run("init")
    run("start")
    (repo / "run.bat").write_bytes(b"echo hi\r\necho three\r\n")
    (repo / "d.dat").write_text("LOWER AND MORE\n")
    run("checkpoint", "--note", "before")
    target = tmp_path / "cp.tar.gz"
    run("checkpoint", "export", "1", str(target))
    got = _exported(target)
    assert got["run.bat"] == b"echo hi\r\necho three\r\n"
    assert got["d.dat"] == b"LOWER AND MORE\n"
    assert got["ver.txt"] == b"v=$Format:%H$\n"
    restored = Path(run("checkpoint", "restore", "1").stdout.strip().splitlines()[-1])
    for name in ("run.bat", "d.dat", "ver.txt", ".gitattributes"):
        assert got[name] == (restored / name).read_bytes(), name
    assert not [p for p in (repo / ".git").iterdir() if ".export" in p.name]


@settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=60).map(lambda d: d + b"\na line\n"), rule=st.sampled_from(
    ["* text eol=crlf\n", "* text=auto eol=crlf\n", "* -text\n", "* text eol=lf\n"]))
def test_export_is_what_a_restore_into_a_worktree_writes(
        tmp_path_factory: pytest.TempPathFactory, data: bytes, rule: str) -> None:
    """Any bytes (with a line break), under any line-ending rule: the export's file is
    the restored worktree's, byte for byte."""
    base = tmp_path_factory.mktemp("eol")
    repo = (base / "repo").resolve()
    git(base, "init", "-q", str(repo))
    (repo / ".gitattributes").write_text(rule)
    (repo / "f.txt").write_bytes(data)
    run = Runner(repo)
    run("checkpoint", "--note", "any")
    run("checkpoint", "export", "1", str(base / "e.tgz"))
    restored = Path(run("checkpoint", "restore", "1").stdout.strip().splitlines()[-1])
    assert _exported(base / "e.tgz")["f.txt"] == (restored / "f.txt").read_bytes()


# -- 6. a restore's new worktree holds a copy of the live session: never a second one -----


@pytest.mark.parametrize("agent", [None, ME], ids=["default", "agent"])
def test_a_restored_copy_of_the_live_session_is_never_written(tmp_path: Path,
                                                             agent: str | None) -> None:
    """The reviewer's r6: the session file committed, a restore into a new worktree
    brought it along, and there ``status`` showed it live and ``log`` wrote into it: a
    second live copy of one session. The restore says so, and there the copy is a
    carried session's (one rule): ``log`` refused (exit 6, nothing written), ``status``
    names the live file, whose session carries on here."""
    repo = (tmp_path / "repo").resolve()
    git(tmp_path, "init", "-q", str(repo))
    (repo / "a").write_text("a\n")
    commit_all(repo, "i")
    run = Runner(repo)
    run("init")
    run("start", "--objective", "one session", agent=agent)
    commit_all(repo, "project with its session file committed")
    live = repo / (f".ai/session-context.d/{ME}.org" if agent else ".ai/session-context.org")
    (repo / "a").write_text("a\nw\n")
    run("checkpoint", agent=agent)
    done = run("checkpoint", "restore", "1", agent=agent)
    new = Path(done.stdout.strip().splitlines()[-1])
    assert f"whose session is live here ({live})" in done.stderr, done.stderr
    copy = new / live.relative_to(repo)
    before = copy.read_bytes()
    there = Runner(new)
    refused = there("log", "--progress", "into a second copy", agent=agent, check=False)
    assert refused.returncode == 6, refused.stderr
    assert copy.read_bytes() == before
    status = there("status", agent=agent).stdout
    assert str(live) in status and "carries on there" in status, status
    run("log", "--progress", "here, in the live one", agent=agent)
    assert "here, in the live one" in live.read_text()
    # (the way out the note gives: a session of its own there)
    way = re.search(r"instead: (rm -- .*?), then ai-protocols start there", done.stderr)
    assert way, done.stderr
    assert pasted(new, way.group(1)).returncode == 0
    there("start", "--title", "Its own", agent=agent)
    assert "Its own" in copy.read_text()


def test_a_moved_work_tree_s_record_leads_to_the_project_folder_there(tmp_path: Path) -> None:
    """After the carry, ``git worktree move`` took that work tree elsewhere: the refusal's
    ``ln -sf ... && cd -- NEWPATH`` went to its top. It goes to ``pkg`` there now;
    followed, the session is there."""
    top, pkg, run, wt = _feature_checked_out_elsewhere(tmp_path)
    carry = re.search(r"work there with: (.*?) \(absolute paths", _warning(run)).group(1)  # type: ignore[union-attr]
    assert pasted(pkg, carry).returncode == 0
    moved = (tmp_path / "wt moved").resolve()
    git(top, "worktree", "move", str(wt), str(moved))
    said = _warning(run)
    found = re.search(r"up to date with: (ln -sf .*?) \(absolute paths", said)
    assert found and found.group(1).endswith(f"cd -- '{moved / 'pkg'}'"), said
    done = pasted(tmp_path, f"{found.group(1)} && ai-protocols resume")
    assert done.stdout.startswith("Resume: Sub (active)"), (done.stdout, done.stderr)


def test_a_carry_stopped_halfway_is_finished_in_the_project_folder(tmp_path: Path) -> None:
    """A carry across a branch switch stopped halfway (the session file unmerged after a
    conflicted ``git stash pop``): its finishing command began ``cd -- TOP``, so the
    ``ai-protocols`` after it, in the top, found no session. It goes to ``pkg`` now;
    followed, the next ``log`` goes into the session, with every entry."""
    top, pkg, run = _sub_project(tmp_path, start=False)
    commit_all(top, "ai")
    git(top, "switch", "-q", "-c", "feat")
    run("start", "--title", "Sub")
    run("log", "--progress", "F1")
    commit_all(top, "f1")
    run("log", "--progress", "F2 uncommitted")
    git(top, "stash", "-q")
    git(top, "switch", "-q", "main")
    pasted(top, "git stash pop -q")
    session = ".ai/session-context.org"
    stopped = pasted(pkg, f"mv -- {session} {session}.carry && git switch feat && "
                          f"mv -- {session}.carry {session}")
    assert stopped.returncode != 0 and (pkg / f"{session}.carry").exists()
    said = _warning(run) or run("resume").stdout.replace("\n", " ")
    found = re.search(r"finish that carry with: (.*?) \(git reset only", said)
    assert found and found.group(1).startswith(f"cd -- {pkg} "), said
    done = pasted(tmp_path, f"{found.group(1)} && ai-protocols log --progress F3")
    assert done.returncode == 0, done.stderr
    assert git(top, "branch", "--show-current") == "feat"
    logged = re.findall(r"\] (F\S*(?: uncommitted)?)$", (pkg / session).read_text(), re.M)
    assert logged == ["F1", "F2 uncommitted", "F3"]


def test_the_stash_advice_counts_files_above_the_project_and_runs_from_it(
        tmp_path: Path) -> None:
    """``git stash -u`` took the work, the session file and a new file at the top; both
    are here again (``start`` brought the session back, the file made anew). The stash
    advice listed only what is in the project's folder (``git ls-tree`` from there), so
    its ``git stash pop`` refused the file above it. Now every such file is named, from
    the project's folder, and the command pasted there brings the work back."""
    top, pkg, run = _sub_project(tmp_path, start=False)
    commit_all(top, "ai")
    run("start", "--title", "Sub")
    (pkg / "p.txt").write_text("p\ny\n")
    (top / "newtop.txt").write_text("new at the top\n")
    run("checkpoint")
    git(top, "stash", "-u", "-q")
    run("start")
    (top / "newtop.txt").write_text("made again\n")
    said = _warning(run)
    found = re.search(r"bring the work back with: (.*?) \(from ([^)]+)\)", said)
    assert found and "../newtop.txt" in found.group(1), said
    assert Path(found.group(2)) == pkg, said
    done = pasted(pkg, found.group(1))
    assert done.returncode == 0, (found.group(1), done.stderr)
    assert (pkg / "p.txt").read_text() == "p\ny\n"
    assert (top / "newtop.txt").read_text() == "new at the top\n"
    assert (top / "newtop.txt.before-pop").read_text() == "made again\n"
    assert "Sub" in (pkg / ".ai/session-context.org").read_text()


def test_the_board_s_stash_steps_run_at_the_top_whose_paths_they_name(
        tmp_path: Path) -> None:
    """``git stash -u`` took the board of a project below the top; a board write brought
    it back, and its steps (paths from the top: ``pkg/.ai/tasks.org``) began with ``cd``
    to the project's folder, where they name nothing. Pasted from anywhere now, they
    bring back both boards, and leave the shell where it was."""
    top, pkg, run = _sub_project(tmp_path, start=False)
    git(top, "add", "-A")
    git(top, "reset", "-q", "--", "pkg/.ai/tasks.org")
    git(top, "commit", "-q", "-m", "ai, the board not committed")
    run("task", "add", "Before the stash")
    (top / "work.txt").write_text("work\n")
    git(top, "stash", "-u", "-q")
    added = run("task", "add", "During the stash")
    said = re.search(r"losing neither board, with: (.*)", added.stderr)
    assert said, added.stderr
    done = pasted(tmp_path, f"{said.group(1)} && pwd")
    assert done.returncode == 0, (said.group(1), done.stderr)
    assert done.stdout.strip().splitlines()[-1] == str(tmp_path)
    board = (pkg / ".ai/tasks.org").read_text()
    assert "Before the stash" in board and "During the stash" in board, board
    assert (top / "work.txt").read_text() == "work\n"
