"""Issue 14, the seventh reviewer's faults in checkpoints and restore (docs/checkpoints.md,
docs/decisions.md "Issue 14, sixth review (checkpoints and restore, eighth round)").

The installed command runs as a real subprocess in temporary git repositories.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import commit_all, first_commit, git
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner

# -- 1. a linked worktree of the same repository inside the work tree -----------------------


def test_a_linked_worktree_inside_is_left_out_and_never_touched(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    git(repo, "worktree", "add", "-q", ".claude/worktrees/w1", "-b", "w1")
    (repo / "m").write_text("m\n")
    taken = run("checkpoint", "--note", "main-cp")
    said = taken.stdout + taken.stderr
    assert "submodule" not in said and "git clone" not in said, said
    ref = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")
    listed = git(repo, "ls-tree", "-r", "--name-only", ref).split("\n")
    assert not any(p.startswith(".claude") for p in listed), listed
    w1 = repo / ".claude" / "worktrees" / "w1"
    (w1 / "wtfile").write_text("wt\n")
    commit_all(w1, "w1 work")
    head = git(w1, "rev-parse", "HEAD")
    restored = run("checkpoint", "restore", "1", "--force")
    assert git(w1, "branch", "--show-current") == "w1"
    assert git(w1, "rev-parse", "HEAD") == head
    assert (w1 / "wtfile").read_text() == "wt\n"
    new = tmp_path / "new"
    elsewhere = run("checkpoint", "restore", "1", "--worktree", str(new))
    for text in (restored.stdout + restored.stderr, elsewhere.stdout + elsewhere.stderr):
        assert ".claude" not in text, text
    assert git(new, "ls-files", "-s", "--", ".claude") == ""


def test_a_worktree_of_another_repository_inside_is_still_a_nested_repository(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    first_commit(other)
    git(other, "worktree", "add", "-q", str(repo / "nested"), "-b", "n")
    taken = run("checkpoint")
    ref = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")
    assert git(repo, "ls-tree", ref, "nested").startswith("160000 commit"), taken
    assert "submodule" in taken.stdout + taken.stderr


# -- 4. a restore runs no hook, in place as into a new worktree ------------------------------


def test_a_restore_runs_no_post_checkout_hook(repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "x").write_text("x1\n")
    run("checkpoint", "--note", "A")
    (repo / "x").write_text("x2\n")
    run("checkpoint", "--note", "B")
    hooks, ran = tmp_path / "hooks", tmp_path / "ran"
    hooks.mkdir()
    hook = hooks / "post-checkout"
    hook.write_text(f"#!/bin/sh\necho \"$@\" >> '{ran}'\nexit 1\n")
    hook.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    done = run("checkpoint", "restore", "1", "--force", check=False)
    assert done.returncode == 0, done.stderr
    assert (repo / "x").read_text() == "x1\n"
    run("checkpoint", "restore", "2", "--worktree", str(tmp_path / "new"))
    assert not ran.exists(), ran.read_text()


# -- 7. a branch-switch warning ends with the checkpoint's restore command -------------------


def test_the_branch_switch_warning_names_the_checkpoint(repo: Path, run: Runner) -> None:
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    first_commit(repo)
    run("init")
    (repo / ".ai" / ".gitignore").open("a").write("session-context.org\n")
    commit_all(repo, "ai")
    git(repo, "switch", "-q", "-c", "feat")
    run("start", "--title", "BS")
    (repo / "f").write_text("f\n")
    commit_all(repo, "f")
    (repo / "wip.txt").write_text("wip\n")
    run("checkpoint", "--note", "wip")
    short = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")[:12]
    git(repo, "switch", "-q", "main")
    (repo / "wip.txt").unlink()
    flat = " ".join(run("resume").stdout.split())
    assert "git switch feat" in flat, flat
    assert f"ai-protocols checkpoint restore {short} (from " in flat, flat


# -- 8. one rule for every single-valued option of every command ----------------------------


def _single_valued() -> list[tuple[list[str], str]]:
    """(the command's words, the option) for every option of every command that takes
    one value, walked from the click tree the console script runs."""
    import click

    from ai_protocols.cli.app import cli

    found: list[tuple[list[str], str]] = []

    def walk(command: click.Command, words: list[str]) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and not (
                    param.is_flag or param.count or param.multiple or param.nargs != 1):
                found.append((words, max(param.opts, key=len)))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])

    walk(cli, [])
    return found


def test_every_single_valued_option_given_twice_is_refused(repo: Path, run: Runner) -> None:
    options = _single_valued()
    assert (["checkpoint"], "--note") in options and len(options) > 20
    for words, option in options:
        done = run(*words, option, "v1", option, "v2", check=False)
        if words == ["hook"]:  # (an agent reads a hook's exit 2 as "block": it says 1)
            assert done.returncode == 1 and "usage" in done.stderr, done.stderr
            continue
        assert done.returncode == 2, (words, option, done.stdout, done.stderr)
        assert f"{option} is given twice" in done.stderr, (words, option, done.stderr)
    assert git(repo, "for-each-ref", "refs/ai-protocols") == ""


# -- 6. a temporary name fits NAME_MAX; an export the file system refuses says what to do ----


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
               min_size=1, max_size=255).filter(lambda n: len(n.encode()) <= 255))
def test_a_temporary_name_always_fits(name: str) -> None:
    from ai_protocols.storage.files import temp_stem, temporary_name

    made = temporary_name(name)
    assert len(made.encode()) <= 255
    assert made.startswith(f".{temp_stem(name)}.") and made.endswith(".tmp")
    assert temp_stem(name) == temp_stem(name)
    if len(name.encode()) <= 255 - 18:
        assert temp_stem(name) == name


def test_an_atomic_write_of_a_name_near_the_limit(tmp_path: Path) -> None:
    from ai_protocols.storage.files import atomic_write, discard_partial_writes

    path = tmp_path / ("é" * 120 + "x.org")  # 245 bytes
    atomic_write(path, b"one\n")
    assert path.read_bytes() == b"one\n"
    from ai_protocols.storage.files import temporary_name

    left = tmp_path / temporary_name(path.name, locked=True)  # as a killed writer leaves one
    left.write_bytes(b"half")
    discard_partial_writes(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_export_takes_a_legal_long_name_and_says_what_to_do_when_refused(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    (repo / "a").write_text("b\n")
    run("checkpoint")
    target = tmp_path / ("e" * 248 + ".tgz")
    run("checkpoint", "export", "1", str(target))
    assert target.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    refused = run("checkpoint", "export", "1", "/proc/x.tgz", check=False)
    assert refused.returncode == 9, refused.stderr
    assert "/proc/x.tgz" in refused.stderr and "nothing was written" in refused.stderr
    assert ".tmp" not in refused.stderr


# -- 3. a squash keeps every change: no rolled-back alarm ------------------------------------


def _recorded_feature(repo: Path, run: Runner, branch: str) -> None:
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    first_commit(repo)
    run("init")
    (repo / ".ai" / ".gitignore").open("a").write("session-context.org\n")
    commit_all(repo, "ai")
    if branch != "main":
        git(repo, "switch", "-q", "-c", branch)
    run("start", "--title", "SQ")
    for name in ("f1", "f2"):
        (repo / name).write_text(f"{name}\n")
        commit_all(repo, name)
    run("log", "--progress", "done")


@pytest.mark.parametrize("how", ["reset --soft", "merge --squash"])
def test_a_squash_raises_no_alarm(repo: Path, run: Runner, how: str) -> None:
    _recorded_feature(repo, run, "main" if how == "reset --soft" else "feat")
    if how == "reset --soft":
        git(repo, "reset", "-q", "--soft", "HEAD~2")
        git(repo, "commit", "-q", "-m", "f1+f2 squashed")
    else:
        git(repo, "switch", "-q", "main")
        git(repo, "merge", "-q", "--squash", "feat")
        git(repo, "commit", "-q", "-m", "squash feat")
        git(repo, "branch", "-q", "-D", "feat")
    said = " ".join(run("resume").stdout.split())
    assert "does not descend" not in said and "git switch -c" not in said, said
    assert "rolled back" not in said, said


def test_a_squash_that_dropped_a_change_still_warns(repo: Path, run: Runner) -> None:
    _recorded_feature(repo, run, "feat")
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--squash", "feat")
    git(repo, "rm", "-q", "--cached", "f2")
    (repo / "f2").unlink()
    git(repo, "commit", "-q", "-m", "squash feat, less f2")
    git(repo, "branch", "-q", "-D", "feat")
    said = " ".join(run("resume").stdout.split())
    assert "git switch -c NAME" in said, said


# -- 2. a shallow clone: history past the boundary is said so, never "no commit yet" ---------


def test_a_shallow_clone_says_so_and_restores_on_the_recorded_commit(
        tmp_path: Path, run: Runner) -> None:
    origin, a, s = tmp_path / "o.git", tmp_path / "a", tmp_path / "s"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(a))
    (a / "f").write_text("base\n")
    commit_all(a, "c0")
    run("init", cwd=a)
    run("start", "--title", "SH", cwd=a)
    (a / "w.txt").write_text("work\n")
    run("checkpoint", "--note", "wip", cwd=a)
    taken_on = git(a, "rev-parse", "HEAD")
    commit_all(a, "work and session")
    (a / "f").write_text("more\n")
    commit_all(a, "c2")
    git(a, "push", "-q", "origin", "HEAD")
    git(a, "push", "-q", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(s))
    git(s, "fetch", "-q", "--depth", "1", "origin", "refs/ai-protocols/*:refs/ai-protocols/*")
    assert git(s, "rev-parse", "--is-shallow-repository") == "true"
    said = " ".join(run("resume", cwd=s).stdout.split())
    assert "shallow" in said and "git fetch --unshallow" in said, said
    assert "looks rolled back" not in said, said
    shown = run("checkpoint", "show", "1", cwd=s).stdout
    assert "no commit yet" not in shown and taken_on[:12] in shown, shown
    assert "shallow" in shown, shown
    new = tmp_path / "new"
    refused = run("checkpoint", "restore", "1", "--worktree", str(new), cwd=s, check=False)
    assert refused.returncode == 15, refused.stderr
    assert "git fetch --unshallow" in refused.stderr and not new.exists()
    git(s, "fetch", "-q", "--unshallow", "origin")
    run("checkpoint", "restore", "1", "--worktree", str(new), cwd=s)
    assert git(new, "rev-parse", "HEAD") == taken_on
    assert "?? w.txt" in git(new, "status", "--short")


# -- 9. the minor faults ----------------------------------------------------------------------


def test_a_ref_that_is_no_commit_is_never_listed_and_its_deletion_is_advised(
        repo: Path, run: Runner) -> None:
    first_commit(repo)
    (repo / "a").write_text("b\n")
    run("checkpoint")
    blob = git(repo, "hash-object", "-w", "a")
    bad = "refs/ai-protocols/checkpoints/default/2"
    git(repo, "update-ref", bad, blob)
    listed = run("checkpoint", "list", "--all")
    assert "1970" not in listed.stdout and len(listed.stdout.splitlines()) == 1, listed.stdout
    assert f"git update-ref -d {bad}" in listed.stderr, listed.stderr
    refused = run("checkpoint", "restore", bad, "--force", check=False)
    assert refused.returncode != 0 and "unable to read tree" not in refused.stderr
    assert "holds a blob" in refused.stderr and f"git update-ref -d {bad}" in refused.stderr


# -- 5. a smudge filter that fails: checked before writing, or undone, and said --------------


def test_a_failing_smudge_filter_changes_nothing(repo: Path, run: Runner,
                                                tmp_path: Path) -> None:
    git(repo, "config", "filter.up.clean", "tr a-z A-Z")
    git(repo, "config", "filter.up.smudge", "tr A-Z a-z")
    (repo / ".gitattributes").write_text("*.up filter=up\n")
    (repo / "x.up").write_text("hello\n")
    commit_all(repo, "i")
    (repo / "x.up").write_text("world\n")
    run("checkpoint", "--note", "one")
    (repo / "x.up").write_text("again\n")
    run("checkpoint", "--note", "two")
    git(repo, "config", "filter.up.smudge", "false")
    git(repo, "config", "filter.up.required", "true")
    before = git(repo, "status", "--short")
    refused = run("checkpoint", "restore", "1", "--force", check=False)
    assert refused.returncode == 15, refused.stderr
    assert "no file was written or removed" in refused.stderr, refused.stderr
    assert "filter.NAME.smudge" in refused.stderr and ".clean" not in refused.stderr
    assert (repo / "x.up").read_text() == "again\n"
    assert git(repo, "status", "--short") == before
    new = tmp_path / "new"
    failed = run("checkpoint", "restore", "1", "--worktree", str(new), "--branch", "b",
                 check=False)
    assert failed.returncode == 14, failed.stderr
    assert "the worktree it began was removed, and its branch b" in failed.stderr
    assert "filter.NAME.smudge" in failed.stderr, failed.stderr
    assert not new.exists()
    assert str(new) not in git(repo, "worktree", "list")
    assert git(repo, "branch", "--list", "b") == ""


def test_the_fetch_advice_names_the_real_remote(repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    said = run("checkpoint", "show", "1", check=False)
    assert said.returncode == 5 and "git fetch --no-prune origin" not in said.stderr, said.stderr
    assert "git fetch --no-prune URL 'refs/ai-protocols/*:refs/ai-protocols/*'" in said.stderr
    assert "git fetch --no-prune origin" not in run("checkpoint", "list").stdout
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "up.git"))
    git(repo, "remote", "add", "upstream", str(tmp_path / "up.git"))
    said = run("checkpoint", "show", "1", check=False)
    assert "git fetch --no-prune upstream 'refs/ai-protocols/*:refs/ai-protocols/*'" in said.stderr


def test_export_of_a_missing_nested_repository_names_the_file_and_no_submodule(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    first_commit(repo)
    nested = repo / "nested"
    nested.mkdir()
    git(nested, "init", "-q")
    first_commit(nested)
    run("checkpoint")
    import shutil

    shutil.rmtree(nested)
    target = tmp_path / "out.tgz"
    refused = run("checkpoint", "export", "1", str(target), check=False)
    assert refused.returncode == 15, refused.stderr
    flat = " ".join(refused.stderr.split())
    assert f"cannot export to {target}" in flat, flat
    assert "nested repository" in flat and "submodule update" not in flat, flat
    assert not target.exists()


def test_show_given_two_refs_never_advises_quoting_them(repo: Path, run: Runner) -> None:
    first_commit(repo)
    said = run("checkpoint", "show", "1", "2", check=False)
    assert said.returncode == 2 and "'1 2'" not in said.stderr, said.stderr
    assert "takes one REF" in said.stderr and "show 1" in said.stderr


def test_the_checkpoint_warning_names_the_stash(repo: Path, run: Runner) -> None:
    first_commit(repo)
    run("init")
    (repo / ".ai" / ".gitignore").open("a").write("session-context.org\n")
    commit_all(repo, "ai")
    run("start", "--title", "ST")
    (repo / "a").write_text("work\n")
    (repo / "new.txt").write_text("n\n")
    run("checkpoint", "--note", "wip")
    git(repo, "stash", "-u", "-q")
    flat = " ".join(run("resume").stdout.split())
    assert "looks rolled back" in flat, flat
    assert "(git stash list): git stash pop brings the work back" in flat, flat


def test_a_checkpoint_that_holds_a_linked_worktree_as_a_gitlink_never_moves_it(
        repo: Path, run: Runner, tmp_path: Path) -> None:
    """One staged by hand (git add -A takes it as an embedded repository) is in the
    checkpoint's tree; no restore touches the worktree all the same."""
    first_commit(repo)
    git(repo, "worktree", "add", "-q", ".claude/worktrees/w1", "-b", "w1")
    git(repo, "add", "-A")
    (repo / "m").write_text("m\n")
    run("checkpoint")
    ref = git(repo, "for-each-ref", "--format=%(objectname)", "refs/ai-protocols")
    assert git(repo, "ls-tree", ref, ".claude/worktrees/w1").startswith("160000")
    w1 = repo / ".claude" / "worktrees" / "w1"
    (w1 / "wtfile").write_text("wt\n")
    commit_all(w1, "w1 work")
    head = git(w1, "rev-parse", "HEAD")
    restored = run("checkpoint", "restore", "1", "--force")
    assert git(w1, "rev-parse", "HEAD") == head and git(w1, "branch", "--show-current") == "w1"
    new = tmp_path / "new"
    elsewhere = run("checkpoint", "restore", "1", "--worktree", str(new))
    for text in (restored.stdout + restored.stderr, elsewhere.stdout + elsewhere.stderr):
        assert ".claude" not in text, text
