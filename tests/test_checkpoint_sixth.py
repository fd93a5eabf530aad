"""Issue 14, the fifth reviewer's faults in checkpoints, restore, export, pause and
abandon, and the "it looks rolled back" warning (docs/checkpoints.md, docs/decisions.md
"Issue 14, fifth review (checkpoints and pause)").

The installed command runs as a real subprocess in temporary git repositories.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path

import pytest
from gitkit import commit_all, first_commit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

# -- 2. restore into an existing worktree never advises removing it ----------------------------


def wip_checkpoint(repo: Path, run: Runner) -> None:
    """A first commit, an uncommitted change to ``a`` and checkpoint 1 of it."""
    first_commit(repo)
    (repo / "a").write_text("wip\n")
    run("checkpoint", "--note", "x")


def test_restore_into_a_persons_worktree_never_advises_removing_it(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    wip_checkpoint(repo, run)
    theirs = tmp_path / "feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(theirs))
    (theirs / "precious.txt").write_text("precious, uncommitted\n")
    for where in (str(theirs), "."):
        refused = run("checkpoint", "restore", "1", "--worktree", where, check=False)
        assert refused.returncode == 15, refused.stderr
        assert "half way" not in refused.stderr and "remove" not in refused.stderr
        assert "exists already" in refused.stderr and "give another folder (--worktree)" \
            in refused.stderr, refused.stderr
    assert (theirs / "precious.txt").read_text() == "precious, uncommitted\n"


def test_a_restore_is_locked_with_our_reason_until_it_is_whole(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    wip_checkpoint(repo, run)
    where = tmp_path / "r"
    run("checkpoint", "restore", "1", "--worktree", str(where))
    listed = git(repo, "worktree", "list", "--porcelain")
    assert not [line for line in listed.splitlines() if line.startswith("locked")]
    assert (where / "a").read_text() == "wip\n"


def test_restore_into_an_empty_folder_is_accepted_as_git_does(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    wip_checkpoint(repo, run)
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("checkpoint", "restore", "1", "--worktree", str(empty))
    assert done.stdout.strip() == str(empty)
    assert (empty / "a").read_text() == "wip\n"
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep").write_text("k\n")
    refused = run("checkpoint", "restore", "1", "--worktree", str(full), check=False)
    assert refused.returncode == 15
    assert "exists already; give another folder (--worktree)" in refused.stderr
    assert "remove" not in refused.stderr
    assert (full / "keep").read_text() == "k\n"


# -- 11. an empty clone id is replaced as garbage is -------------------------------------------


def test_an_empty_clone_id_is_replaced(repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "a").write_text("wip\n")
    mark = repo / ".git" / "ai-protocols-clone"
    mark.write_text("")
    run("checkpoint", "--note", "x")
    made = mark.read_text().strip()
    assert len(made) == 8 and all(c in "0123456789abcdef" for c in made)
    assert f"/{made}/1" in git(repo, "for-each-ref", "refs/ai-protocols/")
    run("start", "--title", "T")
    mark.write_text("\n")
    run("pause", "--note", "p")


# -- 10. pause --note and abandon --reason read - and @FILE as every text option does ----------


def run_with_stdin(cwd: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    from conftest import CLI, clean_env

    return subprocess.run([str(CLI), *args], cwd=cwd, env=clean_env(), input=text,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("form", ["-", "@FILE", "=@FILE"])
@pytest.mark.parametrize("command", ["pause", "abandon"])
def test_pause_note_and_abandon_reason_read_stdin_and_files(repo: Path, run: Runner,
                                                            command: str, form: str) -> None:
    """``-`` reads standard input, ``@FILE`` the file, and the ``=`` form stays literal,
    as for every text option."""
    first_commit(repo)
    run("start", "--title", "T")
    (repo / "why.txt").write_text("text from a file\n")
    option, extra = ("--note", ["--no-checkpoint"]) if command == "pause" else ("--reason", [])
    if form == "-":
        done = run_with_stdin(repo, "text from stdin\n", command, *extra, option, "-")
        assert done.returncode == 0, done.stderr
    elif form == "@FILE":
        done = run(command, *extra, option, "@why.txt")
    else:
        done = run(command, *extra, f"{option}=@why.txt")
    kept = run("show").stdout if command == "pause" else Path(done.stdout.strip()).read_text()
    want = {"-": "text from stdin", "@FILE": "text from a file", "=@FILE": "@why.txt"}[form]
    assert want in kept, kept
    if form != "=@FILE":
        assert "@why.txt" not in kept


# -- 13. recover's refusal of a paused session says what pause says ----------------------------


def test_recover_refusing_a_paused_session_names_what_resumes_it_as_pause_does(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "T", agent="alice")
    paused = run("pause", "--no-checkpoint", "--note", "later", agent="alice")
    said = "'AI_AGENT_ID=alice ai-protocols start'"
    assert f"It resumes with {said}" in paused.stderr, paused.stderr
    refused = run("recover", "alice", "--adopt", agent="bob", check=False)
    assert refused.returncode != 0
    assert f"it resumes with {said}" in refused.stderr, refused.stderr
    assert "its agent resumes it with 'ai-protocols start'" not in refused.stderr
    assert f"it resumes with {said}" in run("resume", agent="alice").stdout


# -- 14. restore --force names the paths under .ai/ it left as they are -------------------------


def test_restore_in_place_names_the_tool_paths_it_left(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "First")
    run("task", "add", "Build it")
    run("checkpoint", "--note", "c1")
    run("task", "add", "Another")
    run("wrap-up", "done")
    done = run("checkpoint", "restore", "1", "--force")
    lines = done.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Left "))
    count = int(lines[at].split()[1])
    named = [line.strip() for line in lines[at + 1:at + 1 + count]]
    assert all(line.startswith(".ai/") for line in named), done.stderr
    assert ".ai/tasks.org" in named, done.stderr


# -- 3. export holds the checkpoint's files as a checkout writes them, never export-ignore or
# export-subst (the twenty-first round: filters and line endings apply, as in a restore) ---


def tar_files(target: Path) -> dict[str, tuple[int, bytes]]:
    import tarfile

    found = {}
    with tarfile.open(target) as tar:
        for member in tar:
            name = member.name.split("/", 1)[1] if "/" in member.name else ""
            if member.isfile():
                found[name] = (member.mode, tar.extractfile(member).read())
            elif member.issym():
                found[name] = (member.mode, ("-> " + member.linkname).encode(
                    "utf-8", "surrogateescape"))
    return found


def test_export_ignores_export_attributes_and_filters(repo: Path, run: Runner,
                                                      tmp_path: Path) -> None:
    (repo / ".gitattributes").write_text("tests/ export-ignore\nver.txt export-subst\n"
                                         "*.dat filter=upper\n*.txt text eol=crlf\n")
    git(repo, "config", "filter.upper.smudge", "tr a-z A-Z")
    git(repo, "config", "filter.upper.clean", "cat")
    (repo / "tests").mkdir()
    (repo / "tests" / "t.py").write_text("t\n")
    (repo / "ver.txt").write_text("v=$Format:%H$\n")
    (repo / "d.dat").write_text("lower\n")
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    os.symlink("ver.txt", repo / "link")
    commit_all(repo)
    with (repo / "tests" / "t.py").open("a") as out:
        out.write("the uncommitted work\n")
    run("checkpoint", "--note", "e")
    target = tmp_path / "e.tar.gz"
    run("checkpoint", "export", "1", str(target))
    got = tar_files(target)
    assert got["tests/t.py"] == (0o664, b"t\nthe uncommitted work\n")
    # (a checkout's bytes since the twenty-first round: eol=crlf, the smudge filter; never
    # export-subst)
    assert got["ver.txt"] == (0o664, b"v=$Format:%H$\r\n")
    assert got["d.dat"] == (0o664, b"LOWER\n")
    assert got["run.sh"] == (0o775, b"#!/bin/sh\n")
    assert got["link"] == (0o777, b"-> ver.txt")
    again = tmp_path / "again.tar.gz"
    run("checkpoint", "export", "1", str(again))
    assert again.read_bytes() == target.read_bytes()  # the same file every time


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                min_size=1, max_size=12).filter(lambda n: n not in (".", "..", ".git", ".ai")
                                                and not n.startswith(".git")).filter(
    # (Emacs's own files, .#NAME, #NAME#, NAME~, a checkpoint leaves out by design:
    # tests/test_checkpoint_fourteenth.py; the names it keeps are the question here)
    lambda n: not fnmatch.fnmatchcase(n, "?*~") and not fnmatch.fnmatchcase(n, ".#?*")
    and not fnmatch.fnmatchcase(n, "#?*#"))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(NAMES, st.binary(max_size=64), min_size=1, max_size=4))
def test_export_holds_every_file_byte_for_byte(repo: Path, run: Runner, tmp_path: Path,
                                               files: dict[str, bytes]) -> None:
    import shutil
    import uuid

    work = tmp_path / uuid.uuid4().hex
    git(tmp_path, "init", "-q", str(work))
    (work / ".gitattributes").write_bytes(b"* export-ignore\n")
    for name, data in files.items():
        (work / name).write_bytes(data)
    target = tmp_path / f"{work.name}.tar.gz"
    run("checkpoint", "--note", "p", cwd=work)
    run("checkpoint", "export", "1", str(target), cwd=work)
    got = tar_files(target)
    want = {name: (0o664, data) for name, data in files.items()}
    want[".gitattributes"] = (0o664, b"* export-ignore\n")
    assert got == want
    shutil.rmtree(work)


# -- 9. a pull --rebase that kept every change is no rolled-back work --------------------------


def clones(tmp_path: Path, run: Runner) -> tuple[Path, Path]:
    origin, a, b = tmp_path / "origin.git", tmp_path / "a", tmp_path / "b"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(a))
    git(a, "switch", "-q", "-c", "main")
    (a / "x").write_text("x\n")
    run("start", "--title", "Shared", cwd=a)
    run("log", "--progress", "step one", cwd=a)
    commit_all(a, "base")
    git(a, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(origin), str(b))
    run("init", cwd=b)
    return a, b


def test_pull_rebase_keeping_every_change_raises_no_alarm(tmp_path: Path, run: Runner) -> None:
    a, b = clones(tmp_path, run)
    run("log", "--progress", "A1", cwd=a)
    commit_all(a, "a1")
    git(a, "push", "-q", "origin", "main")
    (b / "code.txt").write_text("code\n")
    git(b, "add", "code.txt")
    git(b, "commit", "-qm", "code")
    run("log", "--progress", "B1", cwd=b)  # records the commit "code"
    commit_all(b, "b1")
    git(b, "pull", "-q", "--rebase", "origin", "main")
    said = run("resume", cwd=b).stdout
    assert "does not descend" not in said and "Warning" not in said, said
    # a rewrite that lost the change still warns
    recorded = git(b, "rev-parse", "HEAD")
    run("log", "--progress", "B2", cwd=b)
    git(b, "reset", "-q", "--hard", "origin/main")
    assert recorded != git(b, "rev-parse", "HEAD")
    said = run("resume", cwd=b).stdout
    assert "does not descend" in said or "behind" in said, said


def test_rebased_into_compares_patches_outside_dot_ai(repo: Path) -> None:
    from ai_protocols.git.history import rebased_into

    first_commit(repo)
    base = git(repo, "rev-parse", "HEAD")
    (repo / "w").write_text("w\n")
    (repo / ".ai").mkdir()
    (repo / ".ai" / "s.org").write_text("one\n")
    commit_all(repo, "work")
    mine = git(repo, "rev-parse", "HEAD")
    git(repo, "switch", "-q", "-c", "other", base)
    (repo / "o").write_text("o\n")
    commit_all(repo, "other work")
    git(repo, "cherry-pick", mine)
    (repo / ".ai" / "s.org").write_text("two\n")  # the session file differs: ignored
    commit_all(repo, "session")
    assert rebased_into(str(repo), mine, git(repo, "rev-parse", "HEAD"))
    git(repo, "switch", "-q", "-c", "third", base)
    (repo / "o").write_text("o\n")
    commit_all(repo, "no w")
    assert not rebased_into(str(repo), mine, git(repo, "rev-parse", "HEAD"))


# -- 12. start --objective: one rule, active or paused, the old objective kept in the Log ------


def test_start_objective_replaces_with_the_old_one_in_the_log_active_or_paused(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "T", "--objective", "first aim")
    run("start", "--objective", "second aim")  # active
    run("pause", "--no-checkpoint", "--note", "later")
    resumed = run("start", "--objective", "third aim")  # paused, resumed
    assert "the old one is kept in its Log" in resumed.stderr, resumed.stderr
    text = (repo / ".ai" / "session-context.org").read_text()
    assert ":OBJECTIVE: third aim" in text
    assert "objective: second aim (it was: first aim)" in text
    assert "objective: third aim (it was: second aim)" in text


# -- 7. a log after a switch or a reset keeps the evidence and warns ---------------------------


def test_a_log_after_a_branch_switch_keeps_where_the_session_was(repo: Path,
                                                                  run: Runner) -> None:
    first_commit(repo)
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "f").write_text("f\n")
    commit_all(repo, "feature work")
    c1 = git(repo, "rev-parse", "HEAD")
    run("start", "--title", "T")
    run("log", "--progress", "on feature")
    git(repo, "switch", "-q", "master")
    c2 = git(repo, "rev-parse", "HEAD")
    assert "Warning" in run("resume").stdout
    logged = run("log", "--progress", "on master now")
    line = f"moved: from branch feature at {c1} to branch master at {c2}"
    warnings = [x for x in logged.stderr.splitlines() if x.startswith("Warning: HEAD moved")]
    assert len(warnings) == 1 and f"from branch feature at {c1}" in warnings[0], logged.stderr
    text = (repo / ".ai" / "session-context.org").read_text()
    assert line in text
    # the next log, with nothing moved, says nothing more
    again = run("log", "--progress", "more")
    assert "moved" not in again.stderr
    assert text.count("moved:") == 1


def test_a_log_after_a_reset_keeps_where_the_session_was(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "T")
    base = git(repo, "rev-parse", "HEAD")
    for name in ("w1", "w2"):
        (repo / name).write_text(name)
        git(repo, "add", name)
        git(repo, "commit", "-qm", name)
        forward = run("log", "--progress", name)  # a commit ahead: no word
        assert "moved" not in forward.stderr, forward.stderr
    w2 = git(repo, "rev-parse", "HEAD")
    git(repo, "reset", "-q", "--hard", base)
    logged = run("log", "--progress", "after the reset")
    assert f"Warning: HEAD moved from branch master at {w2}" in logged.stderr, logged.stderr
    text = (repo / ".ai" / "session-context.org").read_text()
    assert f"moved: from branch master at {w2} to branch master at {base}" in text


# -- 15. a linked worktree numbers its own checkpoints; N never names another's -----------------


def test_a_linked_worktree_numbers_its_own_checkpoints(repo: Path, run: Runner,
                                                       tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "a").write_text("main 1\n")
    run("checkpoint", "--note", "main one")
    (repo / "a").write_text("main 2\n")
    run("checkpoint", "--note", "main two")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "lk", str(linked))
    # before it has one: N is this worktree's own, never the main work tree's
    refused = run("checkpoint", "restore", "1", "--force", cwd=linked, check=False)
    assert refused.returncode == 5, refused.stderr
    assert "this worktree has no checkpoint 1" in refused.stderr, refused.stderr
    assert (linked / "a").read_text() == "a\n"
    (linked / "a").write_text("linked 1\n")
    taken = run("checkpoint", "--note", "linked one", cwd=linked)
    assert taken.stdout.startswith("Checkpoint 1 "), taken.stdout
    base = (repo / ".git" / "ai-protocols-clone").read_text().strip()
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
    [mine] = [r for r in refs.splitlines() if r.startswith(
        f"refs/ai-protocols/checkpoints/default/{base}-")]
    assert mine.endswith("/1")
    git(linked, "checkout", "--", "a")
    run("checkpoint", "restore", "1", "--force", cwd=linked)
    assert (linked / "a").read_text() == "linked 1\n"
    git(repo, "checkout", "--", "a")
    run("checkpoint", "restore", "1", "--force")  # the main work tree's own 1
    assert (repo / "a").read_text() == "main 1\n"
    # another worktree's by its full name
    other = mine.split("checkpoints/", 1)[1]
    shown = run("checkpoint", "show", other)
    assert "linked one" in shown.stdout
    # the main work tree's numbers go on as they were
    (repo / "a").write_text("main 3\n")
    assert run("checkpoint", "--note", "main three").stdout.startswith("Checkpoint 3 ")
