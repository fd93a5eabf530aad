"""The task board after its seventh fresh review (issue 15, rev15g): the PreToolUse hook
and a nested repository, ``--checkpoint-ref`` and git-rev-parse(1), the wording of
errors (what to do), and paths compared on case-insensitive or normalizing file systems.

Every command runs as the installed ``ai-protocols`` in real git repositories; a live
lock holder is a command run under the test's own process (``run``); property tests
of the rules that take arbitrary text or paths run in-process.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from boardkit import add, write_hook
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Runner, clean_env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                   GIT_COMMITTER_NAME="t",
                                                   GIT_COMMITTER_EMAIL="t@t")).stdout


# -- 1. a nested (non-submodule) repository inside a locked folder -------------------------------


def test_a_lock_holds_a_nested_repositorys_file_whatever_the_cwd(project: Path, run: Runner,
                                                                 tmp_path: Path) -> None:
    nested = project / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (nested / "x.py").write_text("1\n")
    run("lock", "vendor/", "--reason", "upgrading vendored libs", agent="holder.1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (project, nested, elsewhere):
        refused = write_hook(cwd, nested / "x.py", "other.1")
        assert refused.returncode == 2, (cwd, refused)
        assert "vendor/lib/x.py is inside vendor/, which holder.1 has locked" in refused.stderr
    # From inside the nested repository, the refusal says whose board holds the lock.
    said = write_hook(nested, nested / "x.py", "other.1").stderr
    assert f"the board of the project {project}, around the repository" in said
    # A new file too, in a folder not made yet; the holder itself goes through.
    assert write_hook(nested, nested / "new" / "y.py", "other.1").returncode == 2
    assert write_hook(nested, nested / "x.py", "holder.1").returncode == 0
    # With a board of its own (its own locks count as before), the outer lock still holds.
    run("init", cwd=nested)
    assert write_hook(nested, nested / "x.py", "other.1").returncode == 2
    # A file of the project outside the lock, and the nested repository after the unlock.
    assert write_hook(nested, project / "src.py", "other.1").returncode == 0
    run("unlock", "vendor/", agent="holder.1")
    assert write_hook(nested, nested / "x.py", "other.1").returncode == 0


def test_a_lock_in_a_project_two_repositories_up_counts(project: Path, run: Runner) -> None:
    """Nested twice, the middle one with no board: the outermost project's lock holds."""
    middle = project / "third_party"
    inner = middle / "deep" / "lib"
    inner.mkdir(parents=True)
    git(middle, "init", "-q")
    git(inner, "init", "-q")
    run("lock", "third_party/deep/", "--reason", "r", agent="holder.1")
    for cwd in (project, middle, inner):
        assert write_hook(cwd, inner / "a.py", "other.1").returncode == 2, cwd
    assert write_hook(inner, middle / "b.py", "other.1").returncode == 0


_NAME = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1,
                max_size=8)


@settings(max_examples=40, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=5, unique=True),
       marks=st.lists(st.sampled_from(["", ".git", ".ai", "gitfile"]), min_size=5, max_size=5))
def test_enclosing_projects_are_the_folders_above_holding_ai_or_git(names: list[str],
                                                                    marks: list[str]) -> None:
    from ai_protocols.paths import enclosing_projects

    with tempfile.TemporaryDirectory() as folder:
        base = os.path.realpath(folder)
        path = base
        expected: list[str] = []
        for name, mark in zip(names, marks, strict=False):
            path = os.path.join(path, name)
            os.mkdir(path)
            if mark == "gitfile":
                Path(path, ".git").write_text("gitdir: elsewhere\n")
            elif mark:
                os.mkdir(os.path.join(path, mark))
            if mark:
                expected.insert(0, path)
        inner = os.path.join(path, "project")
        os.mkdir(inner)
        found = enclosing_projects(inner)
        assert [f for f in found if f.startswith(base + os.sep)] == expected


# -- 2. --checkpoint-ref takes every git-rev-parse(1) form ---------------------------------------


def test_checkpoint_ref_takes_every_rev_parse_form(project: Path, run: Runner) -> None:
    git(project, "commit", "-q", "--allow-empty", "-m", "release candidate")
    git(project, "tag", "-a", "-m", "annotated", "v1")
    git(project, "commit", "-q", "--allow-empty", "-m", "later")
    first = git(project, "rev-parse", ":/release candidate").strip()
    head = git(project, "rev-parse", "HEAD").strip()
    branch = git(project, "symbolic-ref", "HEAD").strip()
    for ref, kept in ((":/release candidate", first), ("HEAD@{0}", head),
                      ("v1^{commit}", first), ("v1", f"refs/tags/v1 {first}"),
                      ("HEAD~1", first), ("HEAD", f"{branch} {head}"),
                      (":/^later", head), (head[:12], head)):
        task = add(run, f"T {ref}")
        run("task", "claim", task, agent="c.1")
        done = run("task", "done", task, "--checkpoint-ref", ref, agent="c.1", check=False)
        assert done.returncode == 0, (ref, done.stderr)
        shown = run("task", "show", task).stdout
        assert kept in shown, (ref, shown)
    # What names no commit: refused, nothing changed.
    tree = git(project, "rev-parse", "HEAD^{tree}").strip()
    for ref, words in ((":/no such message", "names no commit"), ("HEAD^{tree}", "no commit"),
                       (tree, "a tree or a blob")):
        task = add(run, f"U {ref}")
        run("task", "claim", task, agent="c.1")
        refused = run("task", "done", task, "--checkpoint-ref", ref, agent="c.1", check=False)
        assert refused.returncode == 4, (ref, refused)
        assert words in refused.stderr, (ref, refused.stderr)
        assert "DONE" not in run("task", "show", task).stdout


# -- 3. errors say what to do ------------------------------------------------------------------


SETTINGS_REFUSED = [
    # (the file, what the refusal asks for, the file put right as it asks)
    ("null", "its top level is null, not an object: make it an object ({} when", "{}"),
    ("[]", "its top level is a list, not an object: make it an object ({} when", "{}"),
    ('{"keep": 1, "hooks": []}', 'its "hooks" is a list, not an object: make it an object',
     '{"keep": 1, "hooks": {}}'),
    ('{"hooks": {"PreToolUse": {}}}',
     'its "hooks" > "PreToolUse" is an object, not a list: make it a list ([] when',
     '{"hooks": {"PreToolUse": []}}'),
    ('{"a": 1, "a": 2}', "keep the one you mean and delete the other", '{"a": 2}'),
    ('{"a": NaN}', "put a number, a string or null in its place", '{"a": null}'),
    ('{"a": 1,}', "correct it there (an empty file counts as {})", '{"a": 1}'),
    ("\ufeff{}", "save it without one", "{}"),
]


def test_a_refused_settings_file_says_what_to_change(project: Path, run: Runner,
                                                    tmp_path: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir()
    env = {"HOME": str(tmp_path / "home"), "CLAUDE_CONFIG_DIR": "", "CODEX_HOME": ""}
    for content, todo, fixed in SETTINGS_REFUSED:
        settings.write_text(content)
        refused = run("hooks", "install", "claude", env=env, check=False)
        assert refused.returncode == 4, refused
        assert todo in refused.stderr, (content, refused.stderr)
        assert "then run the command again ('hooks install' merges the ai-protocols hooks " \
            "into what is there and keeps the rest); it was left unchanged\n" in refused.stderr
        if "shape" in refused.stderr or "make it" in todo:
            assert '{"hooks": {"EVENT": [{"matcher": "...", "hooks": [{"type": "command"' \
                in refused.stderr
        assert settings.read_text() == content
        settings.write_text(fixed)  # as the refusal says: then it goes through
        run("hooks", "install", "claude", env=env)
        assert "ai-protocols hook PreToolUse" in settings.read_text()
        if "keep" in fixed:
            assert '"keep": 1' in settings.read_text()
