"""The rollover's safety (issue 16, sixth review of part g; docs/decisions.md "Issue
16, sixth review (rollover safety)").

Only the files the tool wrote as earlier-entries files are ever moved or written;
symbolic links on the way are refused (exit 12) before anything is written; an
earlier file that cannot be written never stops the live write; ``git clean -fdx``
loses no moved entry; a write over an older version than the kept copy says so;
a wrap-up leaves no empty folder of its own. The installed console script runs as
a subprocess in temporary git repositories, with real git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_rollover import CONTEXT, filler, insert, rolled, started

from ai_protocols.session.rollover import BOUND

from conftest import Runner

EARLIER = ":CUSTOM_ID: earlier\n:END:\n"


def add_link(path: Path, line: str) -> None:
    """A person's line put first in the ``Earlier entries`` section."""
    text = path.read_text()
    assert EARLIER in text
    path.write_text(text.replace(EARLIER, EARLIER + line + "\n", 1))


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                          text=True).stdout


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def archived(project: Path) -> list[Path]:
    return sorted(p for p in (project / ".ai/sessions").glob("*.org"))


# -- 1. Only the tool's earlier files move ---------------------------------------------------


@pytest.mark.parametrize("command", [("wrap-up", "Done"), ("abandon", "--reason", "No")])
@pytest.mark.parametrize("kind", ["tracked", "outside", "folder", "named-as-ours"])
def test_a_link_to_a_file_the_tool_did_not_write_is_left_and_not_moved(
        project: Path, run: Runner, tmp_path: Path, kind: str, command: tuple[str, ...]) -> None:
    path, _ = rolled(project, run)
    ours = sorted((project / ".ai/history").rglob("*.org"))
    assert len(ours) == 1
    if kind == "tracked":
        target = project / "important.py"
        target.write_text('print("precious")\n')
        git(project, "add", "important.py")
        git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "imp")
        rel = "../important.py"
    elif kind == "outside":
        target = tmp_path / "OUTSIDE-precious.txt"
        target.write_text("precious\n")
        rel = str(target)
    elif kind == "folder":
        target = project / "src"
        (target / "a").mkdir(parents=True)
        (target / "a" / "x.py").write_text("x = 1\n")
        rel = "../src"
    else:  # a person's file where the tool puts its own, named so, but not its bytes' hash
        target = ours[0].parent / "2026-01-01T00-00--2026-01-02T00-00-0123abcd.org"
        target.write_text("* My own notes\n- a person's list\n")
        rel = os.path.relpath(target, path.parent)
    before = tree(target) if target.is_dir() else target.read_bytes()
    line = f"- [[file:{rel}][earlier entries]] see also"
    add_link(path, line)
    assert "big decision 000" in run("show", "--all").stdout  # (the person's link passed over)

    done = run(*command)

    assert (tree(target) if target.is_dir() else target.read_bytes()) == before
    assert done.stderr.count(line) == 1 and "left as it is" in done.stderr
    archive = archived(project)[0]
    # The person's line, byte for byte but for a relative path, made to name the same
    # file from the archive (decisions.md, "Issue 16, eighth review (which earlier files
    # are the session's)").
    there = rel if kind == "outside" else os.path.relpath(target, archive.parent)
    assert line.replace(rel, there) + "\n" in archive.read_text()
    moved = list(archive.with_suffix("").glob("*.org"))
    assert [p.name for p in moved] == [ours[0].name]  # the tool's own file did move
    if kind == "tracked":
        assert git(project, "status", "--short", "important.py") == ""


@pytest.fixture(scope="module")
def rolled_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose session rolled over, copied for each example below."""
    root = (tmp_path_factory.mktemp("template") / "proj").resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    rolled(root, run)
    return root


_SEGMENT = st.sampled_from(["..", ".", "src", "history", "session-context", "sessions",
                            ".ai", "notes.org", "a b", "x[1]",
                            "2026-01-01T00-00--2026-01-02T00-00-0123abcd.org"])


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_SEGMENT, min_size=1, max_size=4), folder=st.booleans())
@example(parts=["history", "session-context"], folder=False)  # (the tool's own folder: CI)
@example(parts=["x[1]"], folder=False)  # (no link for Org: CI, fourteenth round)
def test_no_link_target_but_the_tools_own_files_is_moved_property(
        rolled_template: Path, tmp_path_factory: pytest.TempPathFactory, parts: list[str],
        folder: bool) -> None:
    """Whatever an ``Earlier entries`` link names (in the project, outside it, a file or a
    folder), a wrap-up moves it only when it is the tool's earlier file."""
    base = tmp_path_factory.mktemp("example")
    project = base / "proj"
    shutil.copytree(rolled_template, project, symlinks=True)
    path = project / CONTEXT
    rel = "/".join(parts)
    target = Path(os.path.normpath(path.parent / rel))
    if base not in target.parents or target == path or path.parent == target or \
            target in path.parents or (project / ".ai").is_relative_to(target) or \
            target == project / ".ai" / "sessions":
        return  # (only targets inside the example's own folder, not the session's own,
        # nor the archive folder, where the wrap-up writes the archive by design)
    ours = sorted((project / ".ai/history").rglob("*.org"))
    if target.exists() or target.is_symlink():
        pass
    elif folder:
        target.mkdir(parents=True)
        (target / "kept.txt").write_text("a person's\n")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("a person's\n")

    def persons() -> dict[str, bytes] | bytes:  # (what is there but the tool's own files)
        if not target.is_dir():
            return target.read_bytes()
        return {k: v for k, v in tree(target).items() if target / k not in ours}

    before = persons()
    tools_folder = before == {} and any(target in p.parents for p in ours)
    line = f"- [[file:{rel}][earlier entries]] a person's link"
    add_link(path, line)
    done = Runner(project)("wrap-up", "Done")
    if target in ours or tools_folder:
        return  # (the tool's own file, or its own folder of them, removed once empty)
    assert target.exists(), rel
    assert persons() == before, rel
    if "[" in rel or "]" in rel:  # (no link for Org: a bracket link's target holds no
        # bracket unescaped, org-link-bracket-re; the line is a person's text, kept)
        assert line + "\n" in Path(done.stdout.strip()).read_text()
    else:
        assert line in done.stderr


# -- 2. Symbolic links on the way: nothing written through them --------------------------------


def over_bound(project: Path, run: Runner) -> Path:
    """A session file past the bound, not yet rolled over (the next write rolls it)."""
    path = started(run, project)
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    return path


# (a log past the bound with a symbolic link on the way: skipped with a warning, the entry
# written: tests/test_rollover_robustness.py)


def test_an_archive_folder_made_as_a_symbolic_link_is_refused(
        project: Path, run: Runner, tmp_path: Path) -> None:
    path, _ = rolled(project, run)
    outside = tmp_path / "outside"
    outside.mkdir()
    # The archive's name is known from a dry copy's wrap-up.
    dry = tmp_path / "dry"
    shutil.copytree(project, dry, symlinks=True)
    name = archived_after(Runner(dry), dry)
    (project / ".ai/sessions" / name).symlink_to(outside)
    before = path.read_bytes()

    refused = run("wrap-up", "Done", check=False)

    assert refused.returncode == 12, refused.stderr
    assert path.read_bytes() == before and list(outside.rglob("*")) == []
    assert archived(project) == []


def archived_after(run: Runner, project: Path) -> str:
    run("wrap-up", "Done")
    return archived(project)[0].stem


# -- 4. An earlier file that cannot be written: the entry is written, with a warning -----------


def test_history_a_plain_file_the_entry_is_written_and_one_warning_names_it(
        project: Path, run: Runner) -> None:
    path = over_bound(project, run)
    (project / ".ai/history").write_text("a person's file\n")

    done = run("log", "--progress", "Still written")

    assert "Still written" in path.read_text()
    warnings = [line for line in done.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1, done.stderr
    assert ".ai/history" in warnings[0] and "rename or remove" in warnings[0]
    assert (project / ".ai/history").read_text() == "a person's file\n"
    assert "CUSTOM_ID: earlier" not in path.read_text()
    # Once it is out of the way, the next write rolls over.
    (project / ".ai/history").unlink()
    run("log", "--progress", "Rolled now")
    assert len(list((project / ".ai/history").rglob("*.org"))) == 1


# -- 6. No empty folder of the session's left after a wrap-up ---------------------------------


def test_a_wrap_up_removes_the_sessions_own_empty_folders_only(
        project: Path, run: Runner) -> None:
    agent = "host.proj.claude.1"
    other = "host.proj.claude.2"
    run("start", "--title", "Theirs", agent=agent)
    run("start", "--title", "Another's", agent=other)
    path = project / ".ai/session-context.d" / f"{agent}.org"
    old, _ = filler(0, BOUND + 100_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    run("log", "--discovery", "Rolled", agent=agent)
    mine = project / ".ai/history/session-context.d" / agent
    kept = project / ".git/ai-protocols/.ai/history/session-context.d" / agent
    assert len(list(mine.glob("*.org"))) == 1 and len(list(kept.glob("*.org"))) == 1
    theirs = project / ".ai/history/session-context.d" / other
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("a person's\n")

    run("wrap-up", "Done", agent=agent)

    assert not mine.exists() and not kept.exists()
    assert (theirs / "notes.txt").read_text() == "a person's\n"


# -- 3. git clean -fdx loses no moved entry --------------------------------------------------


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A", ".ai")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)


def test_git_clean_fdx_after_a_rollover_loses_no_entry(project: Path, run: Runner) -> None:
    """The earlier file is untracked until committed, and ``git clean -fdx`` also takes
    ``.ai/.locks/``: its copy is kept in the git folder, and the next write puts it back."""
    path = over_bound(project, run)
    commit_all(project, "the session, past the bound")
    run("log", "--discovery", "Rolled")
    earlier = sorted((project / ".ai/history").rglob("*.org"))
    assert len(earlier) == 1
    data = earlier[0].read_bytes()

    git(project, "clean", "-fdxq")
    assert not earlier[0].exists() and path.exists()

    assert "old decision 000000" in run("show", "--all").stdout  # (read from the copy)
    done = run("log", "--discovery", "After the clean")
    assert earlier[0].read_bytes() == data and "Warning" not in done.stderr


def test_a_linked_earlier_file_lost_for_good_is_said_and_show_all_tells_how_to_get_it(
        project: Path, run: Runner) -> None:
    over_bound(project, run)
    run("log", "--discovery", "Rolled")
    earlier = sorted((project / ".ai/history").rglob("*.org"))[0]
    for copy in [earlier, *project.joinpath(".git/ai-protocols").rglob("*.org"),
                 *project.joinpath(".ai/.locks/live/history").rglob("*.org")]:
        copy.unlink()

    done = run("log", "--discovery", "Still written")
    assert "Still written" in (project / CONTEXT).read_text()
    warnings = [line for line in done.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and str(earlier) in warnings[0]
    # Never committed: no git command that cannot work (ninth review, item 2).
    assert "no commit of this repository holds it" in warnings[0]
    assert "git log" not in warnings[0] and "git show" not in warnings[0]

    shown = run("show", "--all", check=False)
    assert shown.returncode == 6
    assert "no commit of this repository holds it" in shown.stderr
    assert "git log" not in shown.stderr and "git show" not in shown.stderr


# -- 5. A write over an older version: said, and refused when only the reflog holds it -------


def test_a_write_after_a_reset_past_the_newer_version_is_refused(
        project: Path, run: Runner) -> None:
    """``git reset --hard HEAD~`` after the commit that held the newer session file: only
    HEAD's reflog holds it now (gone at the next gc), so it is not "in git": the write is
    refused (exit 6) as for entries never committed, and nothing changes."""
    path = started(run, project)
    commit_all(project, "one")
    run("log", "--discovery", "The newer entry")
    commit_all(project, "two")
    git(project, "reset", "-q", "--hard", "HEAD~")
    before = path.read_bytes()
    assert b"The newer entry" not in before

    refused = run("log", "--discovery", "Over the older one", check=False)

    assert refused.returncode == 6, refused.stderr
    assert "older" in refused.stderr and path.read_bytes() == before


def test_a_write_after_a_branch_switch_goes_on_and_says_so(project: Path, run: Runner) -> None:
    """The newer version is on another branch: the write goes on, and says on stderr that
    it writes into an older version, naming the blob."""
    path = started(run, project)
    commit_all(project, "one")
    git(project, "branch", "older")
    run("log", "--discovery", "The newer entry")
    commit_all(project, "two")
    git(project, "checkout", "-q", "older")

    done = run("log", "--discovery", "On the older branch")

    assert "On the older branch" in path.read_text()
    warnings = [line for line in done.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "git show" in warnings[0]  # (named as what happened:)
    assert "the session file of branch 'older'" in warnings[0]
