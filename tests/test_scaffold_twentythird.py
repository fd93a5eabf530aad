"""``init`` and a ``.ai/.gitignore`` a person changed (twenty-third round): the patterns
the protocol needs are appended, a person's lines and negations kept; judged by real
``git check-ignore`` and ``git status``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols.scaffold import IGNORE_LINES, scaffold_files

from conftest import Runner

#: A file of each kind the protocol keeps per machine, under ``.ai/``.
PER_MACHINE = {".locks/live/session-context.org": ".locks/", ".session-context.org.x.tmp":
               ".*.tmp", ".session-context.pending.org": ".*.pending.org",
               ".#session-context.org": ".#*"}


def _ignored(root: Path, names: list[str]) -> set[str]:
    done = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", "--stdin"],
                          input="".join(f".ai/{n}\n" for n in names), capture_output=True,
                          text=True)
    assert done.returncode in (0, 1), done.stderr
    return {line.removeprefix(".ai/") for line in done.stdout.splitlines()}


def test_the_shipped_file_holds_every_needed_line() -> None:
    shipped = scaffold_files()[".gitignore"][0].splitlines()
    assert all(line in shipped for line in IGNORE_LINES), shipped


def test_an_edited_gitignore_gets_what_is_missing(project: Path, run: Runner) -> None:
    """A ``.ai/.gitignore`` a person edited before ``.*.pending.org`` was shipped (their
    line added, the pending line absent): ``git add -A`` would commit this machine's
    pending entries; ``init`` appends the line, every byte of theirs kept, and says
    ``updated``; again, nothing more (``kept``)."""
    ignore = project / ".ai/.gitignore"
    shipped = ignore.read_text()
    mine = shipped.replace(".*.pending.org\n", "") + "notes-*.org\n"
    ignore.write_text(mine)
    (project / ".ai/.session-context.pending.org").write_text("* pending\n")
    assert ".session-context.pending.org" not in _ignored(project, list(PER_MACHINE))
    out = run("init").stdout
    assert f"updated: {ignore}" in out, out
    now = ignore.read_text()
    assert now.startswith(mine) and now.count(".*.pending.org\n") == 1, now
    assert _ignored(project, [*PER_MACHINE, "notes-1.org"]) == {*PER_MACHINE, "notes-1.org"}
    status = subprocess.run(["git", "-C", str(project), "status", "--porcelain",
                             "--untracked-files=all", "--", ".ai"],
                            capture_output=True, text=True, check=True).stdout
    assert "pending" not in status, status
    assert f"kept: {ignore}" in run("init").stdout
    assert ignore.read_text() == now


def test_a_negated_pattern_is_the_persons_decision(project: Path, run: Runner) -> None:
    """``!.#*`` (a person shares Emacs lock links, deliberately): not added back."""
    ignore = project / ".ai/.gitignore"
    mine = ignore.read_text().replace(".#*\n", "!.#*\n")
    ignore.write_text(mine)
    assert f"kept: {ignore}" in run("init").stdout
    assert ignore.read_text() == mine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(typed=st.lists(st.sampled_from([*IGNORE_LINES, *(f"!{p}" for p in IGNORE_LINES),
                                       "  .locks/  ", "*.bak", "# a note", "", "x\r"]),
                      max_size=8),
       newline=st.booleans())
def test_any_edited_gitignore_ends_with_every_needed_pattern(tmp_path: Path, typed: list[str],
                                                             newline: bool) -> None:
    """Whatever a person typed: their bytes stay first, each needed pattern is then
    there once or negated by them, and a second ``init`` changes nothing."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        root = Path(scratch)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        ai_protocols.init_project(root)
        ignore = root / ".ai/.gitignore"
        mine = "\n".join(typed) + ("\n" if newline and typed else "")
        ignore.write_bytes(mine.encode())
        ai_protocols.init_project(root)
        now = ignore.read_bytes().decode()
        assert now.startswith(mine)
        have = [line.strip() for line in now.splitlines()]
        for pattern in IGNORE_LINES:
            assert pattern in have or f"!{pattern}" in have, (pattern, now)
            assert have.count(pattern) <= max(1, [t.strip() for t in typed].count(pattern))
        ai_protocols.init_project(root)
        assert ignore.read_bytes().decode() == now


# -- hooks install in a work tree nested inside another ------------------------------------


def test_hooks_install_in_a_nested_work_tree_names_the_main_one(tmp_path: Path) -> None:
    """A linked work tree inside the main one (``git worktree add wt/b``): ``hooks install
    claude --scope local`` there names the main work tree among those that lack the hooks
    (its path is a folder above, yet it is another work tree); in the main one, the nested
    tree is named and the main one is not."""
    from gitkit import commit_all, git
    from test_live_fifteenth import _cli

    home = tmp_path / "home"
    home.mkdir()
    main = tmp_path / "main"
    main.mkdir()
    (main / "a.txt").write_text("a\n")
    git(tmp_path, "init", "-q", "-b", "main", str(main))
    commit_all(main, "i")
    _cli(main, "init", HOME=str(home))
    nested = main / "wt" / "b"
    git(main, "worktree", "add", "-q", "-b", "feat", str(nested))
    _cli(nested, "init", HOME=str(home))
    said = _cli(nested, "hooks", "install", "claude", "--scope", "local", HOME=str(home)).stderr
    assert "other work trees lack them now: " in said, said
    named = said.split("other work trees lack them now: ", 1)[1]
    assert str(main) in named and str(nested) not in named, said
    there = _cli(main, "hooks", "install", "claude", "--scope", "local", HOME=str(home)).stderr
    named = there.split("other work trees lack them now: ", 1)[1]
    assert str(nested) in named and f"{main}," not in named and \
        not named.rstrip(".\n").endswith(str(main)), there


# -- the commands that show what the hook enforces, in a work tree lacking the hooks -------


def test_the_readers_of_locks_in_a_linked_work_tree_without_hooks_say_so(
        tmp_path: Path) -> None:
    """``task list``, ``locks`` and ``check`` (what an agent runs to learn whether it may
    edit) in a linked work tree lacking the main work tree's uncommitted Claude Code
    hooks warn on stderr as ``lock`` does, their output unchanged (``--json`` parses);
    in the main work tree, and once the fix is followed, they say nothing of hooks."""
    import json

    from gitkit import git
    from test_boardwt_twentysecond import _FIX, _hooked_main_and_tree
    from test_live_fifteenth import _cli

    main, tree, env = _hooked_main_and_tree(tmp_path)
    readers = (("task", "list"), ("task", "list", "--json"), ("locks",), ("locks", "--json"),
               ("check",), ("check", "--json"))
    for args in readers:
        done = _cli(tree, *args, agent="vm.wt.claude.2", check=False, **env)
        assert done.returncode in (0, 23), (args, done.stderr)
        assert "no ai-protocols hooks for Claude Code" in done.stderr and _FIX in done.stderr, \
            (args, done.stderr)
        assert "hooks" not in done.stdout, (args, done.stdout)
        if "--json" in args:
            json.loads(done.stdout)
        if args[0] == "locks":
            assert "src/api/" in done.stdout
        there = _cli(main, *args, agent="vm.main.claude.1", check=False, **env)
        assert "hooks" not in there.stderr, (args, there.stderr)
    git(main, "add", ".claude/settings.json")
    git(main, "commit", "-q", "-m", "hooks")
    git(tree, "merge", "-q", "main")
    for args in readers:
        done = _cli(tree, *args, agent="vm.wt.claude.2", check=False, **env)
        assert "hooks" not in done.stderr, (args, done.stderr)
