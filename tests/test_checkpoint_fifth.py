"""Issue 14, the fourth reviewer's faults in checkpoints' restore and the "it looks
rolled back" warning (docs/checkpoints.md, docs/decisions.md "Issue 14, fourth review
(checkpoint restore and warnings)").

The installed command runs as a real subprocess in temporary git repositories, with
real clones and remotes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gitkit import first_commit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner


def files_under(root: Path, folder: str) -> dict[str, bytes]:
    base = root / folder
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*")) if p.is_file()}


# -- 1. restore --force never writes nor removes the tool's own files --------------------------


def test_restore_in_place_leaves_the_scaffold_the_board_and_the_archives(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "w").write_text("w\n")
    run("checkpoint", "--note", "before the tool set up .ai/")
    run("start", "--title", "First")
    run("checkpoint", "--note", "c1")
    run("wrap-up", "first done")
    run("start", "--title", "Second")
    run("task", "add", "Build it")
    run("lock", "src/", "--reason", "refactor", agent="other.1700000009")
    run("checkpoint", "--note", "with the board")
    before = files_under(repo, ".ai")
    assert any(p.startswith(".ai/sessions/") and p.endswith(".org") for p in before)
    assert ".ai/tasks.org" in before and ".ai/.gitignore" in before
    done = run("checkpoint", "restore", "1", "--force")
    assert files_under(repo, ".ai") == before  # nothing under .ai/ written nor removed
    assert "under .ai/" in done.stderr
    assert (repo / "w").read_text() == "w\n"
    assert "First" in run("list").stdout or "first done" in run("list").stdout
    assert "src/" in run("locks").stdout
    # .ai/.locks is still ignored: git status shows nothing of it
    assert ".locks" not in git(repo, "status", "--porcelain", "-uall")


@given(st.lists(st.sampled_from(["a", ".ai", "b.ai", ".aix", ".AI", "-", "é .ai"]), min_size=1,
                max_size=5))
def test_a_tool_path_is_one_under_the_top_dot_ai_folder(parts: list[str]) -> None:
    """Only the project's .ai/ is the tool's (issue 14, sixth review): a person's
    docs/.ai/ is work."""
    from ai_protocols.paths import is_tool_path

    assert is_tool_path("/".join(parts)) == (parts[0] == ".ai" and len(parts) > 1)


# -- 11. a file and a folder at one path, restored in any order --------------------------------


def test_a_file_and_a_folder_at_one_path_restore_in_any_order(repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "p").write_text("file\n")
    run("checkpoint", "--note", "file p")
    (repo / "p").unlink()
    (repo / "p").mkdir()
    (repo / "p" / "q").write_text("q\n")
    run("checkpoint", "--note", "folder p")
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "p").read_text() == "file\n"
    run("checkpoint", "restore", "2", "--force")
    assert (repo / "p" / "q").read_text() == "q\n"
    run("checkpoint", "restore", "1", "--force")
    assert (repo / "p").read_text() == "file\n"
    # a folder holding a file kept nowhere else is still in the way
    (repo / "p").unlink()
    (repo / "p").mkdir()
    (repo / "p" / "mine").write_text("only here\n")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15 and "p" in refused.stderr
    assert (repo / "p" / "mine").read_text() == "only here\n"


# -- 2, 13. the words of the warning for each place HEAD can stand ------------------------------


def warning_of(run: Runner, cwd: Path | None = None) -> str:
    out = run("resume", cwd=cwd).stdout
    return out[out.index("\nWarning: ") + 1:] if "\nWarning: " in out else ""


def test_behind_on_the_same_branch_never_advises_reset_hard(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "U")
    (repo / "a").write_text("a\nb\n")
    git(repo, "commit", "-qam", "c2")
    run("log", "--progress", "p")
    recorded = git(repo, "rev-parse", "HEAD")[:12]
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    clean = warning_of(run)
    assert f"git merge --ff-only {recorded}" in clean and "reset --hard" not in clean, clean
    assert "uncommitted changes stay" not in clean
    (repo / "a").write_text("precious uncommitted edit\n")
    dirty = warning_of(run)
    assert "reset --hard" not in dirty, dirty
    assert f"git merge --ff-only {recorded} (from {repo}; your uncommitted changes stay" \
        in dirty
    assert "reset --hard" not in run("start").stderr
    # the advice given keeps the edit, and git refuses where it is in the way
    merged = subprocess.run(["git", "-C", str(repo), "merge", "--ff-only", recorded],
                            capture_output=True, text=True)
    assert merged.returncode != 0
    assert (repo / "a").read_text() == "precious uncommitted edit\n"


def test_work_committed_on_a_detached_head_is_not_blamed_on_a_reset(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    git(repo, "branch", "-M", "main")
    run("start", "--title", "D")
    git(repo, "switch", "-q", "--detach")
    (repo / "a").write_text("detached work\n")
    git(repo, "commit", "-qam", "det")
    run("log", "--progress", "detached")
    recorded = git(repo, "rev-parse", "HEAD")[:12]
    git(repo, "switch", "-q", "main")
    said = warning_of(run)
    assert "on a detached HEAD" in said and "on no branch" in said, said
    assert "a git reset?" not in said and "reset --hard" not in said
    assert f"git switch -c NAME {recorded}" in said
    assert f"bring branch main forward to it with git merge --ff-only {recorded}" in said


def test_a_new_branch_that_descends_from_the_commit_recorded_is_not_rolled_back(
        repo: Path, run: Runner) -> None:
    (repo / ".git" / "info" / "exclude").write_text(".ai/\n")
    first_commit(repo)
    git(repo, "branch", "-M", "main")
    run("start", "--title", "F")
    (repo / "a").write_text("a\nb\n")
    git(repo, "commit", "-qam", "work")
    run("log", "--progress", "did work")
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "a").write_text("a\nb\nc\n")
    git(repo, "commit", "-qam", "more")
    said = warning_of(run)
    assert "this checkout is on branch feature, which descends from that commit" in said, said
    assert "rolled back" not in said and "another checkout" not in said


# -- 7. the warning's facts: the count, a checkpoint never pushed, the remote, stray files ------


def two_clones(tmp_path: Path, run: Runner, origin: str = "origin") -> tuple[Path, Path, str]:
    """A checkpoint of 2 files' work taken in clone c1 (with the session committed and
    pushed, not the checkpoint); c2 cloned after (its remote named ``origin``)."""
    bare = tmp_path / "o.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    c1 = tmp_path / "c1"
    git(tmp_path, "clone", "-q", str(bare), str(c1))
    first_commit(c1)
    git(c1, "branch", "-M", "main")
    run("start", "--title", "RB", cwd=c1)
    (c1 / "a").write_text("a\nwork\n")
    (c1 / "n").write_text("new\n")
    run("checkpoint", "--note", "wip", cwd=c1)
    point = git(c1, "for-each-ref", "--format=%(objectname:short=12) %(refname)",
                "refs/ai-protocols/")
    git(c1, "add", ".ai")
    git(c1, "commit", "-qm", "session")
    git(c1, "push", "-q", "origin", "main")
    c2 = tmp_path / "c2"
    git(tmp_path, "clone", "-q", "-o", origin, "-b", "main", str(bare), str(c2))
    return c1, c2, point


def test_the_warning_counts_only_work_missing_and_says_how_to_get_it(
        tmp_path: Path, run: Runner) -> None:
    c1, c2, point = two_clones(tmp_path, run)
    short, ref = point.split(" ")
    said = warning_of(run, cwd=c2)
    # not here: the count recorded, the .ai/ scaffold left out (issue 14, sixth review)
    assert "holds 2 files of uncommitted work" in said and "7 files" not in said, said
    assert f"push it from the clone that took it (git push {tmp_path / 'o.git'} {ref})" in said
    assert "git fetch --no-prune origin 'refs/ai-protocols/*:refs/ai-protocols/*'" in said
    git(c1, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(c2, "fetch", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    said = warning_of(run, cwd=c2)
    assert "holds 2 files of uncommitted work" in said, said
    assert f"restore it with: ai-protocols checkpoint restore {short}" in said
    # one stray untracked file never silences it; the checkpoint's own file does
    (c2 / ".DS_Store").write_text("x")
    said = warning_of(run, cwd=c2)
    assert "holds 2 files of uncommitted work that this checkout, whose changes touch none " \
        "of it, does not have" in said, said
    # The checkpoint's own file back: the rest of its work is still named, path by path
    # (issue 14, fourteenth round: a change at one of its paths no longer silences it).
    (c2 / "n").write_text("new\n")
    said = warning_of(run, cwd=c2)
    assert "a (its edit is not here)" in said and "n (" not in said, said
    (c2 / "a").write_text("a\nwork\n")
    assert warning_of(run, cwd=c2) == ""


def test_the_remote_named_is_the_real_one(tmp_path: Path, run: Runner) -> None:
    _, c2, _ = two_clones(tmp_path, run, origin="upstream")
    said = warning_of(run, cwd=c2)
    assert "git fetch --no-prune upstream 'refs/ai-protocols/*" in said, said
    git(c2, "config", "--unset", "branch.main.remote")
    git(c2, "remote", "add", "second", str(tmp_path / "o.git"))
    said = warning_of(run, cwd=c2)
    assert "git fetch --no-prune REMOTE 'refs/ai-protocols/*" in said, said
    git(c2, "remote", "remove", "second")
    assert "git fetch --no-prune upstream 'refs/ai-protocols/*" in warning_of(run, cwd=c2)


# -- 8. a second restore into the default folder ------------------------------------------------


def test_a_second_restore_never_calls_a_whole_restore_half_made(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "wip").write_text("wip\n")
    run("checkpoint", "--note", "one")
    where = Path(run("checkpoint", "restore", "1").stdout.strip())
    (where / "important.txt").write_text("new work done in the restored worktree\n")
    again = run("checkpoint", "restore", "1", check=False)
    assert again.returncode == 15, again.stderr
    assert "half way" not in again.stderr and "worktree remove" not in again.stderr
    assert "removing it deletes its files" in again.stderr and "--worktree" in again.stderr
    assert (where / "important.txt").exists()
    # one a restore stopped half way left (git worktree add done, nothing after)
    half = tmp_path / "half"
    git(repo, "worktree", "add", "-q", "--no-checkout", "--lock", "--reason",
        "ai-protocols checkpoint restore under way", "--detach", str(half), "HEAD")
    refused = run("checkpoint", "restore", "1", "--worktree", str(half), check=False)
    assert refused.returncode == 15
    assert f"stopped half way left: remove it with git worktree remove -f -f {half}" \
        in refused.stderr


# -- 14. a path with a newline is printed so that it pastes back --------------------------------


@settings(max_examples=25, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
               max_size=12) | st.binary(max_size=8).map(os.fsdecode).filter(
                   lambda t: "\0" not in t))
def test_shell_quote_pastes_back_as_the_same_argument(text: str) -> None:
    from ai_protocols.lean import shell_quote

    quoted = shell_quote(text)
    assert "\n" not in quoted
    out = subprocess.run(["bash", "-c", f"printf %s {quoted}"], capture_output=True).stdout
    assert out == os.fsencode(text)


def test_the_remove_command_for_a_worktree_with_a_newline_pastes_back(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "wip").write_text("wip\n")
    run("checkpoint")
    target = tmp_path / "new\nline"
    done = run("checkpoint", "restore", "1", "--worktree", str(target))
    command = done.stderr.split("remove it with: ", 1)[1].splitlines()[0]
    assert command == f"git worktree remove --force $'{tmp_path}/new\\012line'", command
    subprocess.run(["bash", "-c", command], cwd=repo, check=True, capture_output=True)
    assert not target.exists()


# -- 9. pause with the session file open with unsaved changes in Emacs -------------------------


def test_pause_with_a_live_emacs_lock_makes_no_checkpoint(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("start", "--title", "E")
    (repo / "w").write_text("w\n")
    session = repo / ".ai" / "session-context.org"
    before = session.read_bytes()
    (repo / ".ai" / ".#session-context.org").symlink_to("someone@elsewhere.1")  # live
    for attempt in ("p1", "p2"):
        done = run("pause", "--note", attempt, check=False)
        assert done.returncode == 10 and "unsaved changes in Emacs" in done.stderr
    assert git(repo, "for-each-ref", "refs/ai-protocols") == ""
    assert session.read_bytes() == before


# -- 10. GIT_DIR and GIT_WORK_TREE naming another repository ------------------------------------


def test_git_variables_naming_another_repository_are_refused(
        tmp_path: Path, run: Runner) -> None:
    other, mine = tmp_path / "E", tmp_path / "M"
    for root in (other, mine):
        git(tmp_path, "init", "-q", str(root))
    (other / "e").write_text("e\n")
    git(mine, "commit", "-q", "--allow-empty", "-m", "i")
    run("start", "--title", "M", cwd=mine)
    session = (mine / ".ai" / "session-context.org").read_bytes()
    crossed = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other)}
    for args in (["checkpoint", "--note", "crossed"], ["pause"], ["checkpoint", "list"]):
        done = run(*args, cwd=mine, env=crossed, check=False)
        assert done.returncode == 14, (args, done.stderr)
        assert "is not this project's" in done.stderr and "GIT_DIR=" in done.stderr
    assert git(other, "for-each-ref", "refs/ai-protocols") == ""
    assert git(mine, "for-each-ref", "refs/ai-protocols") == ""
    assert (mine / ".ai" / "session-context.org").read_bytes() == session
    # the project's own repository named so is fine
    own = {"GIT_DIR": str(mine / ".git"), "GIT_WORK_TREE": str(mine)}
    run("checkpoint", "--note", "mine", cwd=mine, env=own)
    assert git(mine, "for-each-ref", "refs/ai-protocols") != ""


# -- 14. bad input: empty values, option-like words, REF forms, AGENT as set ----------------------


def test_empty_values_and_option_like_words_are_usage_errors(repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "w").write_text("w\n")
    run("checkpoint")
    for args, option in ((["--branch", ""], "--branch"), (["--worktree", ""], "--worktree"),
                         (["--branch="], "--branch")):
        done = run("checkpoint", "restore", "1", *args, check=False)
        assert done.returncode == 2 and f"'{option}'" in done.stderr and "empty" in done.stderr
    assert git(repo, "worktree", "list").count("\n") == 0  # nothing made
    empty = run("checkpoint", "export", "1", "", check=False)
    assert empty.returncode == 2 and "'FILE'" in empty.stderr and "'.'" not in empty.stderr
    shown = run("checkpoint", "show", "-1", check=False)
    assert shown.returncode == 2
    assert "goes after '--', the options before it: ai-protocols checkpoint show -- -1" \
        in shown.stderr
    exported = run("checkpoint", "export", "1", "-x.tar.gz", check=False)
    assert exported.returncode == 2
    assert "A REF or FILE that starts with '-' goes after '--'" in exported.stderr
    assert not (repo / "-x.tar.gz").exists()
    # (an export into the work tree must be one git ignores: fifteenth round)
    with open(repo / ".git" / "info" / "exclude", "a") as exclude:
        exclude.write("*.tar.gz\n")
    run("checkpoint", "export", "1", "--", "-x.tar.gz")
    assert (repo / "-x.tar.gz").exists()


def test_a_ref_is_taken_only_as_written_and_agent_n_as_the_id_was_set(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "w").write_text("w\n")
    run("checkpoint")
    for ref in ("1 ", " 1", "1\n", "01", "0", "00"):
        done = run("checkpoint", "show", ref, check=False)
        assert done.returncode == 5, (ref, done.stdout)
    run("checkpoint", agent="a+b")
    for ref in ("a+b/1", "a%2Bb/1"):
        assert "Checkpoint a+b/" in run("checkpoint", "show", ref).stdout
    clone = (repo / ".git" / "ai-protocols-clone").read_text().strip()
    assert "Checkpoint a+b/" in run("checkpoint", "show", f"a+b/{clone}/1").stdout


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A repository with checkpoint 1 taken (through the library), and the REFs that
    name it."""
    from ai_protocols.git.checkpoint import Checkpoints

    root = tmp_path_factory.mktemp("refs")
    git(root, "init", "-q")
    first_commit(root)
    (root / "w").write_text("w\n")
    point, _ = Checkpoints(root).take()
    return root, ["1", point.short, point.ref, point.name, "default/1"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), st.text(" \n\t\r\x0b\x0c\u00a0\u2003", min_size=1, max_size=2),
       st.booleans())
def test_a_ref_with_space_around_it_is_refused(checkpointed: tuple[Path, list[str]],
                                              data: st.DataObject, space: str,
                                              before: bool) -> None:
    from ai_protocols.errors import CheckpointNotFound
    from ai_protocols.git.checkpoint import Checkpoints

    root, names = checkpointed
    name = data.draw(st.sampled_from(names))
    assert Checkpoints(root).resolve(name).number == 1
    ref = space + name if before else name + space
    try:
        Checkpoints(root).resolve(ref)
    except CheckpointNotFound as error:
        assert error.exit_code == 5
    else:
        raise AssertionError(f"{ref!r} was taken")


# -- 15. git's refusals say what to do; submodules' uncommitted and unpushed work ----------------

FILE_OK = ("-c", "protocol.file.allow=always")


def test_a_git_refusal_says_what_to_do(repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "w").write_text("w\n")
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text('#!/bin/sh\n[ "$1" = prepared ] && exit 1\nexit 0\n')
    hook.chmod(0o755)
    refused = run("checkpoint", check=False)
    assert refused.returncode == 14 and "aborted by hook" in refused.stderr
    assert "a git hook refused it" in refused.stderr and "run it again" in refused.stderr
    hook.unlink()
    (repo / ".gitattributes").write_text("*.x filter=bad\n")
    git(repo, "config", "filter.bad.clean", "false")
    git(repo, "config", "filter.bad.required", "true")
    (repo / "a.x").write_text("x\n")
    refused = run("checkpoint", check=False)
    assert refused.returncode == 14 and "clean filter 'bad' failed" in refused.stderr
    assert "a filter .gitattributes sets failed" in refused.stderr
    (repo / "a.x").unlink()
    run("checkpoint")
    refused = run("checkpoint", "restore", "1", "--branch", "b" * 300, check=False)
    assert refused.returncode == 14 and "a name is too long" in refused.stderr
    assert git(repo, "for-each-ref", "refs/ai-protocols").count("\n") == 0  # one ref


def test_submodules_uncommitted_and_unpushed_work_is_named(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    source = tmp_path / "src"
    git(tmp_path, "init", "-q", str(source))
    first_commit(source)
    first_commit(repo)
    git(repo, *FILE_OK, "submodule", "add", "-q", source.as_uri(), "lib")
    git(repo, "commit", "-qm", "with lib")
    (repo / "lib" / "a").write_text("uncommitted in the submodule\n")
    taken = run("checkpoint")
    assert "uncommitted changes, of 1 submodule: lib" in taken.stderr, taken.stderr
    git(repo / "lib", "commit", "-qam", "never pushed")
    commit = git(repo / "lib", "rev-parse", "HEAD")
    assert "Warning" not in run("checkpoint").stderr  # clean inside: nothing to say
    new = tmp_path / "new"
    done = run("checkpoint", "restore", "2", "--worktree", str(new))
    assert f"The commit of lib ({commit[:12]}) is on no remote-tracking " \
        "branch" in done.stderr, done.stderr
    recipe = done.stderr.split("take it from this checkout: ", 1)[1].splitlines()[0]
    update = subprocess.run(["git", "-C", str(new), *FILE_OK, "submodule", "update", "--init"],
                            capture_output=True)
    assert update.returncode != 0  # as said: its URL lacks the commit
    subprocess.run(["bash", "-c", recipe], check=True, capture_output=True)
    assert git(new / "lib", "rev-parse", "HEAD") == commit


def test_the_advice_for_a_nested_repository_restores_it_and_never_touches_the_worktree(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    """Seen by the sixth review: a checkpoint holding an untracked nested repository (a
    gitlink no .gitmodules names) was restored with advice to run submodule update (no
    URL: it fails) and then git -C NEW/nested fetch ... checkout, which, the folder
    being no repository, git ran in the new worktree itself: its HEAD moved to the
    nested repository's commit. The advice now clones first, and runs git -C in the
    folder only once it is a repository."""
    first_commit(repo)
    nested = repo / "nested"
    git(tmp_path, "init", "-q", str(nested))
    (nested / "f").write_text("nested file\n")
    git(nested, "add", "f")
    git(nested, "commit", "-qm", "nested")
    commit = git(nested, "rev-parse", "HEAD")
    run("checkpoint")
    new = tmp_path / "new"
    done = run("checkpoint", "restore", "1", "--worktree", str(new))
    assert "submodule update" not in done.stderr, done.stderr
    assert f"The commit of nested ({commit[:12]}) is a nested repository's" in done.stderr
    head = git(new, "rev-parse", "HEAD")
    recipe = done.stderr.split("take it from this checkout: ", 1)[1].splitlines()[0]
    subprocess.run(["bash", "-c", recipe], check=True, capture_output=True)
    assert git(new / "nested", "rev-parse", "HEAD") == commit
    assert (new / "nested" / "f").read_text() == "nested file\n"
    assert git(new, "rev-parse", "HEAD") == head and (new / "a").read_text() == "a\n"



def test_an_untracked_repository_with_no_commit_is_left_out_with_a_warning(
        repo: Path, run: Runner) -> None:
    """Seen by the sixth review: `git init sub; echo x > sub/x` made every checkpoint,
    and so every pause, fail with exit 14 (git add: 'sub/' does not have a commit
    checked out). The checkpoint is taken without it, and says so; pause pauses."""
    first_commit(repo)
    run("init")
    run("start")
    git(repo, "init", "-q", "sub")
    (repo / "sub" / "x").write_text("x\n")
    (repo / "work.txt").write_text("work\n")
    index = (repo / ".git" / "index").read_bytes()
    taken = run("checkpoint")
    assert "leaves out 1 untracked git repository with no commit yet (git add cannot " \
        "take one): sub" in taken.stderr, taken.stderr
    ref = git(repo, "for-each-ref", "--format=%(refname)", "refs/ai-protocols/")
    names = git(repo, "ls-tree", "-r", "--name-only", ref).splitlines()
    assert "work.txt" in names and not any(n.startswith("sub") for n in names), names
    assert (repo / ".git" / "index").read_bytes() == index
    paused = run("pause", "--note", "later")
    assert "Paused the session" in paused.stderr
