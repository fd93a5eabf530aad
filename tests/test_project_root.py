"""Finding the project root, through the installed ``ai-protocols`` and in-process.

The documented order: ``AI_PROJECT_ROOT``, else, from the working directory
upwards, the first folder that holds ``.ai/`` or is the top of a git work tree
(a ``.git`` folder, or a worktree/submodule ``.git`` file): the search never
crosses a repository's edge. Else the working directory. Every printed path is
absolute and physical (symbolic links resolved).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ai_protocols
from ai_protocols import InvalidProjectRoot, find_project_root
from ai_protocols.paths import id_part

import sandbox
from conftest import CLI, Runner, clean_env

AGENT = "velox.proj.claude.1718400000"
SHIPPED_RESOLVER = Path(ai_protocols.__file__).parent / "data" / "session-context-path"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "protocol.file.allow=always", *args],
        cwd=cwd, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()


def root_from(run: Runner, cwd: Path, **env: str) -> Path:
    """The root ``ai-protocols path`` uses when run in ``cwd``."""
    line = run("path", cwd=cwd, env=env).stdout
    assert line.endswith("\n") and line.count("\n") == 1
    printed = Path(line[:-1])
    assert printed.is_absolute(), printed
    assert printed.name == "session-context.org" and printed.parent.name == ".ai", printed
    return printed.parent.parent


def mkdirs(*folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


# --- nearest .ai/ ----------------------------------------------------------------------


def test_root_from_the_top_and_from_deep_inside(project: Path, run: Runner) -> None:
    deep = project / "a" / "b" / "c"
    mkdirs(deep)
    assert root_from(run, project) == project
    assert root_from(run, deep) == project


def test_nearest_ai_folder_wins(project: Path, run: Runner) -> None:
    inner = project / "tools" / "inner"
    mkdirs(inner / ".ai", inner / "src" / "x")
    assert root_from(run, inner / "src" / "x") == inner
    assert root_from(run, inner) == inner
    assert root_from(run, project / "tools") == project


def test_a_nested_git_repo_is_its_own_project(project: Path, run: Runner) -> None:
    """A git work tree nested in a project is a project of its own: the search for
    ``.ai/`` stops at its top, so the outer ``.ai/`` never captures it (issue 11)."""
    nested = project / "vendor" / "lib"
    mkdirs(nested / "src")
    git(nested, "init", "-q")
    assert root_from(run, nested / "src") == nested
    assert root_from(run, nested) == nested
    assert root_from(run, project / "vendor") == project


def test_nested_git_repo_with_its_own_ai_folder_is_its_own_project(project: Path,
                                                                   run: Runner) -> None:
    nested = project / "vendor" / "lib"
    mkdirs(nested / "src")
    git(nested, "init", "-q")
    result = run("init", cwd=nested / "src")
    assert f"created: {nested}/.ai/scripts/session-context-path" in result.stdout
    assert root_from(run, nested / "src") == nested
    assert root_from(run, project / "vendor") == project


def test_ai_file_is_not_an_ai_folder(repo: Path, run: Runner) -> None:
    sub = repo / "sub"
    mkdirs(sub)
    (sub / ".ai").write_text("not a folder\n")
    assert root_from(run, sub) == repo


def test_ai_folder_outside_any_git_repo(tmp_path: Path, run: Runner) -> None:
    plain = (tmp_path / "plain").resolve()
    mkdirs(plain / ".ai", plain / "x" / "y")
    assert root_from(run, plain / "x" / "y") == plain


# --- git work tree top -------------------------------------------------------------------


def test_git_top_without_any_ai_folder(repo: Path, run: Runner) -> None:
    deep = repo / "p" / "q"
    mkdirs(deep)
    assert root_from(run, deep) == repo
    assert root_from(run, repo) == repo
    assert git(deep, "rev-parse", "--show-toplevel") == str(repo)


def test_nearest_git_top_wins_without_ai_folders(repo: Path, run: Runner) -> None:
    inner = repo / "third_party" / "dep"
    mkdirs(inner / "src")
    git(inner, "init", "-q")
    assert root_from(run, inner / "src") == inner
    assert root_from(run, repo / "third_party") == repo


def test_git_worktree_dot_git_file_is_a_work_tree_top(repo: Path, run: Runner,
                                                      tmp_path: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "first")
    worktree = (tmp_path / "wt").resolve()
    git(repo, "worktree", "add", "-q", str(worktree))
    assert (worktree / ".git").is_file()
    deep = worktree / "a" / "b"
    mkdirs(deep)
    assert git(deep, "rev-parse", "--show-toplevel") == str(worktree)
    assert root_from(run, deep) == worktree
    run("init", cwd=deep)
    assert (worktree / ".ai" / "scripts" / "session-context-path").is_file()
    assert not (repo / ".ai").exists()


def test_submodule_style_dot_git_file_is_a_work_tree_top(repo: Path, run: Runner,
                                                         tmp_path: Path) -> None:
    """A real submodule: its ``.git`` is a file pointing into the superproject."""
    upstream = (tmp_path / "upstream").resolve()
    mkdirs(upstream)
    git(upstream, "init", "-q")
    git(upstream, "commit", "-q", "--allow-empty", "-m", "first")
    git(repo, "submodule", "add", "-q", str(upstream), "mods/up")
    sub = repo / "mods" / "up"
    assert (sub / ".git").is_file()
    mkdirs(sub / "src")
    assert root_from(run, sub / "src") == sub
    assert root_from(run, repo / "mods") == repo


def test_hand_written_dot_git_file_counts(tmp_path: Path, run: Runner) -> None:
    top = (tmp_path / "checkout").resolve()
    mkdirs(top / "src")
    (top / ".git").write_text("gitdir: ../elsewhere/.git/modules/checkout\n")
    assert root_from(run, top / "src") == top


# --- no project at all: the working directory -------------------------------------------


def _outside_any_project(folder: Path) -> None:
    for parent in (folder, *folder.parents):
        if (parent / ".ai").is_dir() or (parent / ".git").exists():
            pytest.skip(f"{parent} holds .ai/ or .git: no folder here is outside a project")


def test_outside_any_git_repo_the_working_directory_is_the_root(tmp_path: Path,
                                                                run: Runner) -> None:
    plain = (tmp_path / "plain" / "sub").resolve()
    mkdirs(plain)
    _outside_any_project(plain)
    assert root_from(run, plain) == plain
    assert root_from(run, plain.parent) == plain.parent
    line = run("path", cwd=plain, agent=AGENT).stdout
    assert line == f"{plain}/.ai/session-context.d/{AGENT}.org\n"


def test_symlinked_working_directory_gives_the_physical_root(project: Path, run: Runner,
                                                             tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(project, target_is_directory=True)
    mkdirs(project / "sub")
    assert root_from(run, link, PWD=str(link)) == project
    assert root_from(run, link / "sub", PWD=str(link / "sub")) == project


# --- AI_PROJECT_ROOT -----------------------------------------------------------------------


def test_ai_project_root_overrides_everything(project: Path, run: Runner,
                                              tmp_path: Path) -> None:
    other = (tmp_path / "other").resolve()
    mkdirs(other)
    assert root_from(run, project, AI_PROJECT_ROOT=str(other)) == other
    line = run("path", agent=AGENT, env={"AI_PROJECT_ROOT": str(other)}).stdout
    assert line == f"{other}/.ai/session-context.d/{AGENT}.org\n"
    assert root_from(run, Path("/"), AI_PROJECT_ROOT=str(project)) == project


def test_empty_ai_project_root_is_ignored(project: Path, run: Runner) -> None:
    assert root_from(run, project, AI_PROJECT_ROOT="") == project


def test_relative_and_symlinked_ai_project_root_print_absolute_physical_paths(
        project: Path, run: Runner, tmp_path: Path) -> None:
    sub = project / "a" / "b"
    mkdirs(sub)
    assert root_from(run, sub, AI_PROJECT_ROOT=".") == sub
    assert root_from(run, sub, AI_PROJECT_ROOT="..") == project / "a"
    assert root_from(run, sub, AI_PROJECT_ROOT="../..") == project
    link = tmp_path / "alias"
    link.symlink_to(project, target_is_directory=True)
    assert root_from(run, Path("/"), AI_PROJECT_ROOT=str(link)) == project
    assert root_from(run, sub, AI_PROJECT_ROOT=f"{project}/a/../a/b/") == sub


@pytest.mark.parametrize("kind", ["file", "missing", "dangling link"])
@pytest.mark.parametrize("command", [["path"], ["agent-id", "--runtime", "claude"], ["init"]])
def test_unusable_ai_project_root_is_refused(project: Path, run: Runner, tmp_path: Path,
                                             kind: str, command: list[str]) -> None:
    target = tmp_path / "not-a-dir"
    if kind == "file":
        target.write_text("x\n")
    elif kind == "dangling link":
        target.symlink_to(tmp_path / "gone")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run(*command, check=False, env={"AI_PROJECT_ROOT": str(target)})
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: AI_PROJECT_ROOT {str(target)[:40]!r}"[:-1])
    assert result.stderr.endswith(" cannot be used: it is not a directory\n")
    assert result.stderr.count("\n") == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_init_prints_absolute_paths(repo: Path, run: Runner) -> None:
    sub = repo / "sub"
    mkdirs(sub)
    lines = run("init", cwd=sub).stdout.splitlines()
    assert lines
    for line in lines:
        action, _, printed = line.partition(": ")
        assert action in {"created", "updated", "unchanged", "kept", "made executable",
                          "configured"}, line
        assert Path(printed).is_absolute() and (Path(printed).is_relative_to(repo / ".ai") or
                                                Path(printed) == repo / ".git/config"), line


def test_sh_resolver_and_cli_agree_on_the_root_from_subfolders(project: Path,
                                                               run: Runner) -> None:
    """From any folder, ``ai-protocols path`` prints what the resolver of the project it
    picks prints: the outer project's, or a nested repository's own."""
    nested = project / "vendor" / "lib"
    inner = nested / "src"
    mkdirs(inner)
    git(nested, "init", "-q")
    run("init", cwd=nested)
    for cwd, root in ((project, project), (project / "vendor", project), (inner, nested),
                      (nested, nested)):
        script = root / ".ai" / "scripts" / "session-context-path"
        sh = subprocess.run(["/bin/sh", str(script)], cwd=cwd, env=clean_env(), text=True,
                            capture_output=True, check=True, timeout=60).stdout
        assert run("path", cwd=cwd).stdout == sh == f"{root}/.ai/session-context.org\n"


# --- in-process: the same order, without subprocesses ---------------------------------------


def test_find_project_root_in_process(tmp_path: Path) -> None:
    base = tmp_path.resolve()
    _outside_any_project(base)
    outer, inner, gitonly = base / "outer", base / "outer" / "x" / "inner", base / "g"
    mkdirs(outer / ".ai", inner / ".git", inner / "deep", gitonly / ".git", gitonly / "d" / "e",
           base / "none" / "z")
    assert find_project_root(inner / "deep", environ={}) == inner  # its own work tree
    assert find_project_root(outer / "x", environ={}) == outer
    assert find_project_root(gitonly / "d" / "e", environ={}) == gitonly
    assert find_project_root(base / "none" / "z", environ={}) == base / "none" / "z"
    assert find_project_root(base / "none" / "z",
                             environ={"AI_PROJECT_ROOT": str(gitonly)}) == gitonly
    with pytest.raises(InvalidProjectRoot) as caught:
        find_project_root(outer, environ={"AI_PROJECT_ROOT": str(base / "missing")})
    assert caught.value.reason == "it is not a directory"
    assert caught.value.exit_code == 4


def test_find_project_root_defaults_to_the_process_cwd(project: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sub = project / "s"
    mkdirs(sub)
    monkeypatch.chdir(sub)
    assert find_project_root() == project
    monkeypatch.setenv("AI_PROJECT_ROOT", os.fspath(sub))
    assert find_project_root() == sub


def test_cli_path_needs_no_git_binary(project: Path, tmp_path: Path) -> None:
    """Root finding reads the file system only: it works with git off PATH."""
    empty = tmp_path / "empty-bin"
    mkdirs(empty)
    sub = project / "s"
    mkdirs(sub)
    result = subprocess.run([str(CLI), "path"], cwd=sub, env=clean_env(PATH=str(empty)),
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"{project}/.ai/session-context.org\n")


def test_unusable_ai_project_root_message_in_full(project: Path, run: Runner) -> None:
    (project / "notes.txt").write_text("x\n")
    for value in ("notes.txt", "no-such-dir"):
        result = run("path", check=False, env={"AI_PROJECT_ROOT": value})
        assert (result.returncode, result.stdout) == (4, "")
        assert result.stderr == (f"Error: AI_PROJECT_ROOT '{value}' cannot be used: "
                                 "it is not a directory\n")


# --- the edge of a repository (issue 11, point 4) -------------------------------------------


def test_a_linked_worktree_inside_the_checkout_is_its_own_project(repo: Path,
                                                                  run: Runner) -> None:
    """Where Claude Code puts its worktrees: ``.claude/worktrees/NAME`` inside the main
    checkout, whose ``.ai/`` (not committed on that branch) must not capture it."""
    (repo / "README").write_text("x\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "first")
    run("init")
    run("start", "--title", "Main checkout")
    feature = repo / ".claude" / "worktrees" / "feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(feature))
    assert (feature / ".git").is_file()
    mkdirs(feature / "src")
    assert root_from(run, feature / "src") == feature
    started = run("start", "--title", "In the worktree", cwd=feature / "src").stdout
    # (.ai/ is not committed on that branch: start sets it up in the worktree first)
    assert started.startswith(f"{feature} had no complete .ai/ yet")
    assert started.endswith(f"Started a fresh session: {feature}/.ai/session-context.org\n")
    assert "In the worktree" not in (repo / ".ai/session-context.org").read_text()
    assert "In the worktree" in (feature / ".ai/session-context.org").read_text()


def test_a_stray_ai_folder_above_a_repository_captures_nothing(tmp_path: Path,
                                                               run: Runner) -> None:
    """A ``.ai/`` left in a parent folder (``~/.ai/``) holds no repository below it:
    ``init`` and ``start`` in the repository write inside it, where git sees them."""
    home = (tmp_path / "home").resolve()
    _outside_any_project(tmp_path.resolve())
    mkdirs(home / ".ai" / "session-context.d", home / "code" / "repo" / "src",
           home / "notes")
    repo = home / "code" / "repo"
    git(repo, "init", "-q")
    stray = sandbox.snapshot(home / ".ai")
    assert root_from(run, repo / "src") == repo
    installed = run("init", cwd=repo / "src").stdout
    assert f"created: {repo}/.ai/scripts/session-context-path" in installed
    assert run("start", cwd=repo / "src").stdout == (
        f"Started a fresh session: {repo}/.ai/session-context.org\n")
    assert sandbox.snapshot(home / ".ai") == stray
    # Outside any repository the nearest .ai/ is still the project, as documented.
    assert root_from(run, home / "notes") == home


FAILING = [
    (("log", "--progress", "a step"), 3),
    (("log", "--summary", "s"), 3),
    (("wrap-up", "Done"), 3),
    (("recover", "gone.p.x.1700000000", "--archive"), 3),
    (("recover", "gone.p.x.1700000000", "--adopt"), 3),
    (("show",), 3),
]


@pytest.mark.parametrize("initialized", [False, True], ids=["fresh repository", "after init"])
@pytest.mark.parametrize("agent", [None, AGENT], ids=["no id", "an id"])
def test_a_command_that_fails_creates_nothing(repo: Path, run: Runner, initialized: bool,
                                              agent: str | None) -> None:
    """``log`` before any session, ``wrap-up``, ``recover`` of an unknown id: they fail
    and leave no ``.ai/`` (nor ``.ai/.locks/``) behind, as reads never did."""
    if initialized:
        run("init")
    before = sandbox.snapshot(repo)
    for args, code in FAILING:
        result = run(*args, agent=agent, check=False)
        assert (result.returncode, result.stdout) == (code, ""), (args, result.stderr)
        assert result.stderr.startswith("Error: no session context at "), result.stderr
    assert sandbox.changes(before, sandbox.snapshot(repo)) == []
    if not initialized:  # and reads, as ever, leave no .ai/ in a repository without one
        for args in (("status",), ("list",), ("resume",), ("path",)):
            assert run(*args, agent=agent).returncode == 0
        assert sandbox.changes(before, sandbox.snapshot(repo)) == []


def test_agent_id_outside_any_project_fails_and_creates_nothing(tmp_path: Path,
                                                                run: Runner) -> None:
    plain = (tmp_path / "plain").resolve()
    mkdirs(plain)
    _outside_any_project(plain)
    refused = (f"Error: no project here: {plain} is not in a git repository and no folder "
               "above it holds .ai/; run 'ai-protocols init' in the project's top folder first "
               "(it sets up .ai/ there), or set AI_PROJECT_ROOT to that folder\n")
    # spawn too (seen: it ran the agent and left .ai/.locks/leases/ there, a stray .ai/
    # that then captured every start below it), before it runs anything.
    for args in (("agent-id", "--runtime", "claude"),
                 ("spawn", "--runtime", "codex", "--", "touch", "ran")):
        result = run(*args, cwd=plain, check=False)
        assert (result.returncode, result.stdout, result.stderr) == (13, "", refused), args
        assert list(plain.iterdir()) == []
    minted = run("agent-id", "--runtime", "claude", cwd=plain,
                 env={"AI_PROJECT_ROOT": str(plain)}).stdout
    assert minted.startswith(f"{id_part(socket.gethostname().split('.')[0], 'host')}.plain.")


# --- the rule, as a property: any tree of .ai/ folders and .git entries ---------------------

MARKS = ["", ".ai", ".git/", ".git", ".ai+.git/", ".ai+.git"]


def _build(base: Path, levels: list[tuple[str, str]]) -> list[Path]:
    """Folders ``base/n0/n1/...`` marked as ``levels`` say: ``.ai`` a folder, ``.git/``
    a folder, ``.git`` a worktree-style file."""
    folders, folder = [], base
    for name, mark in levels:
        folder = folder / name
        mkdirs(folder)
        if ".ai" in mark:
            mkdirs(folder / ".ai")
        if ".git/" in mark:
            mkdirs(folder / ".git")
        elif ".git" in mark:
            (folder / ".git").write_text("gitdir: /nowhere/.git/worktrees/x\n")
        folders.append(folder)
    return folders


def _model(base: Path, levels: list[tuple[str, str]], folders: list[Path], depth: int) -> Path:
    """The documented rule: from the working directory up, the first folder with
    ``.ai/`` or ``.git``; else the working directory itself."""
    for index in range(depth, -1, -1):
        if levels[index][1]:
            return folders[index]
    return folders[depth]


_LEVELS = st.lists(st.tuples(st.sampled_from(["a", "b", "x y", "é", ".hidden", "-d"]),
                             st.sampled_from(MARKS)), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(levels=_LEVELS, data=st.data())
def test_the_root_is_the_first_ai_or_git_folder_upwards(levels: list[tuple[str, str]],
                                                        data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch).resolve()
        _outside_any_project(base)
        folders = _build(base, levels)
        depth = data.draw(st.integers(0, len(folders) - 1), label="cwd")
        expected = _model(base, levels, folders, depth)
        assert find_project_root(folders[depth], environ={}) == expected
        assert find_project_root(folders[depth],
                                 environ={"AI_PROJECT_ROOT": str(base)}) == base


@settings(max_examples=15, deadline=None)
@given(levels=_LEVELS, data=st.data())
def test_the_cli_and_the_sh_resolver_agree_on_any_tree(levels: list[tuple[str, str]],
                                                       data: st.DataObject) -> None:
    """The installed ``path`` prints the model's root; so does the resolver installed in
    that root (it takes the root from where it lives), when the root has ``.ai/``."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch).resolve()
        _outside_any_project(base)
        folders = _build(base, levels)
        depth = data.draw(st.integers(0, len(folders) - 1), label="cwd")
        root = _model(base, levels, folders, depth)
        cwd = folders[depth]
        printed = subprocess.run([str(CLI), "path"], cwd=cwd, env=clean_env(), text=True,
                                 capture_output=True, timeout=60)
        assert (printed.returncode, printed.stdout) == (0, f"{root}/.ai/session-context.org\n")
        if (root / ".ai").is_dir():
            script = root / ".ai" / "scripts" / "session-context-path"
            mkdirs(script.parent)
            shutil.copy(SHIPPED_RESOLVER, script)
            sh = subprocess.run(["/bin/sh", str(script)], cwd=cwd, env=clean_env(), text=True,
                                capture_output=True, timeout=60)
            assert sh.stdout == printed.stdout
