"""The bounded session file's rollover, eleventh review (issue 16, rollover b;
docs/decisions.md "Issue 16, eleventh round (rollover b)").

The installed console script runs as a subprocess in temporary git repositories; a
kill at an exact point is a real SIGKILL that strace(1) injects at a chosen system
call (``-e inject=SYSCALL:signal=KILL:when=N``), and the test checks that the kill
left the state it is about before going on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from test_rollover import filler, insert, started
from test_rollover_own import rolled_as

from ai_protocols.session.rollover import BOUND

from conftest import CLI, Runner, clean_env

HISTORY = Path(".ai/history/session-context")


def strace() -> str:
    found = shutil.which("strace")
    if found is None:  # (never a silent skip: the kills at exact points need it)
        pytest.fail("strace(1) is needed for the kills at exact points: install it "
                    "(apt-get install strace)")
    return found


def killed_at(project: Path, syscall: str, when: int, *args: str,
              agent: str | None = None) -> None:
    """Run ``ai-protocols ARGS`` in ``project`` and SIGKILL it at the ``when``-th
    ``syscall`` it makes (strace's fault injection: the call is not made)."""
    done = subprocess.run([strace(), "-f", "-o", "/dev/null", "-e", f"trace={syscall}",
                           "-e", f"inject={syscall}:signal=KILL:when={when}", str(CLI), *args],
                          cwd=project, capture_output=True, text=True,
                          env=clean_env(**({"AI_AGENT_ID": agent} if agent else {})))
    assert done.returncode != 0, done.stderr


def unlink_number(project: Path, matches: Callable[[str], bool], *args: str,
                  agent: str | None = None) -> int:
    """The number of the first ``unlink`` call of ``ai-protocols ARGS`` whose strace(1)
    line ``matches`` (its path, its result), run on a copy of ``project``: a kill at an
    unlink is counted from one that names what it is about, whatever number of names
    the sweep of killed writes' temporary files tries first."""
    copy = project.parent / f"{project.name}-counted"
    shutil.copytree(project, copy, symlinks=True)
    trace = project.parent / f"{project.name}-unlinks.txt"
    try:
        subprocess.run([strace(), "-f", "-o", str(trace), "-e", "trace=unlink", str(CLI),
                        *args], cwd=copy, capture_output=True,
                       env=clean_env(**({"AI_AGENT_ID": agent} if agent else {})))
        calls = [line.replace(str(copy), str(project))
                 for line in trace.read_text().splitlines() if "unlink(" in line]
    finally:
        shutil.rmtree(copy)
    return next(n for n, line in enumerate(calls, 1) if matches(line))


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
                          cwd=project, check=True, capture_output=True, text=True).stdout


def past_bound(project: Path, run: Runner) -> Path:
    """A session file past the bound, committed (its old decisions movable)."""
    path = started(run, project)
    old, _ = filler(0, BOUND + 300_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "big")
    return path


def kept_copies(project: Path) -> list[Path]:
    kept = project / ".git/ai-protocols"
    return sorted(p for p in kept.rglob("*.org")) if kept.exists() else []


# -- 1. A rollover killed after the earlier file got its name, before its kept copy --------


def test_a_write_makes_the_kept_copy_a_killed_rollover_left_out(
        project: Path, run: Runner) -> None:
    """Seen (eleventh review): killed at its first unlink (the earlier file has its
    name, its kept copy in ``.git/ai-protocols/`` not yet), the rollover left no kept
    copy, and no later write made one: ``git clean -fdx`` lost every moved entry. The
    next write makes it (a hard link), and ``git clean -fdx`` loses nothing."""
    past_bound(project, run)
    earlier_named = unlink_number(  # (the earlier file's temporary name, once it has its own)
        project, lambda line: f'"{project / HISTORY}/.' in line and line.endswith(" = 0"),
        "log", "--progress", "killed")
    killed_at(project, "unlink", earlier_named, "log", "--progress", "killed")
    made = sorted((project / HISTORY).glob("*.org"))
    assert made and not kept_copies(project), "the kill missed its window"
    run("log", "--progress", "next")
    (earlier,) = sorted((project / HISTORY).glob("*.org"))
    (kept,) = kept_copies(project)
    assert os.path.samefile(earlier, kept)
    git(project, "clean", "-fdxq")
    assert not earlier.exists()
    shown = run("show", "--all")
    assert "old decision 000000" in shown.stdout
    run("log", "--progress", "after the clean")
    assert earlier.is_file()


# -- 2, 3. An adoption carries the kept copies over, and a re-run finishes a killed one ---


def adopted_folders(project: Path) -> tuple[Path, Path]:
    history = project / ".ai/history/session-context.d"
    return history / "a", history / "b"


def test_an_adoption_carries_the_kept_copies_over(project: Path, run: Runner) -> None:
    """Seen (eleventh review): ``recover --adopt`` removed the old agent's kept copy and
    made none for the adopter's earlier file: a commit of only the session file and
    ``git clean -fd`` lost the moved entries. The adoption makes the new kept copy
    (before the old one goes): nothing is lost, with no write in between."""
    rolled_as(project, run, "a", "adopted")
    run("start", "--title", "b work", agent="b")
    adopted = run("recover", "a", "--adopt", "--force", agent="b")
    theirs, mine = adopted_folders(project)
    (moved,) = sorted(mine.glob("*.org"))
    # (4.) A link elsewhere to the old folder or a file in it breaks: said, with where.
    assert f"moved from {theirs} to {mine}" in adopted.stderr.replace("\n", "")
    kept = kept_copies(project)
    assert len(kept) == 1 and os.path.samefile(kept[0], moved)
    git(project, "add", ".ai/session-context.d/b.org")
    git(project, "commit", "-qm", "the session file only")
    git(project, "clean", "-fdq")
    assert not moved.exists()
    whole = run("show", "--all", agent="b").stdout
    assert "adopted decision 000" in whole and "adopted decision 045" in whole


@pytest.mark.parametrize("when", [1, 3])
def test_an_adoption_killed_before_it_removed_the_old_names_is_finished_by_a_rerun(
        project: Path, run: Runner, when: int) -> None:
    """Seen (eleventh review): an adoption killed at its first unlink (the old agent's
    earlier file) or its third (after the session file went) left the old agent's
    earlier file for good: the re-run exited 0 or 7 and left it, and the old agent's
    next session listed it as its own. The re-run finishes the adoption: the old
    names and their kept copies go, the adopter's file and its kept copy stay."""
    rolled_as(project, run, "a", "adopted")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a rolled over")
    run("start", "--title", "b work", agent="b")
    adopt = ("recover", "a", "--adopt", "--force")
    gone = unlink_number(project, lambda line: f'"{project}/.ai/session-context.d/a.org"' in line,
                         *adopt, agent="b")
    killed_at(project, "unlink", gone + when - 1, *adopt, agent="b")
    theirs, mine = adopted_folders(project)
    assert list(theirs.glob("*.org")) and list(mine.glob("*.org")), "the kill missed"
    again = run("recover", "a", "--adopt", "--force", agent="b")
    assert again.stdout.strip().endswith(".ai/session-context.d/b.org")
    assert not theirs.exists()
    (moved,) = sorted(mine.glob("*.org"))
    (kept,) = kept_copies(project)
    assert os.path.samefile(kept, moved)
    run("start", "--title", "a again", agent="a")
    assert "earlier entries" not in run("show", agent="a").stdout
    whole = run("show", "--all", agent="b").stdout
    assert "adopted decision 000" in whole and "adopted decision 045" in whole


# -- 6. Bad input on a file past the bound changes nothing -----------------------------------


def tree(project: Path) -> dict[str, bytes]:
    """Every file and folder under ``.ai/`` and ``.git/ai-protocols/`` (folders as b"/")."""
    found: dict[str, bytes] = {}
    for top in (project / ".ai", project / ".git/ai-protocols"):
        for one in sorted(top.rglob("*")) if top.exists() else []:
            if ".locks" not in one.parts:
                found[str(one.relative_to(project))] = b"/" if one.is_dir() else one.read_bytes()
    return found


def test_a_refused_done_on_a_file_past_the_bound_makes_nothing(
        project: Path, run: Runner) -> None:
    """Seen (eleventh review): a ``log --done`` that matches nothing (exit 5) on a file
    past the bound first wrote the earlier file and its kept copy, then removed them
    and left their folders; with ``--progress`` before it, the error counted the item
    it refused to write. The entries are checked before any rollover work: nothing is
    made, and the count is the file's."""
    past_bound(project, run)
    before = tree(project)
    alone = run("log", "--done", "no such item", check=False)
    assert alone.returncode == 5
    assert tree(project) == before
    held = alone.stderr[alone.stderr.index("they hold"):].split(":")[0]
    refused = run("log", "--progress", "not written", "--done", "no such item", check=False)
    assert refused.returncode == 5, refused.stderr
    assert held in refused.stderr and "not written" not in run("show").stdout
    assert tree(project) == before
    run("log", "--done", "An open step")  # (a good one rolls the file over)
    assert list((project / HISTORY).glob("*.org")) and kept_copies(project)
