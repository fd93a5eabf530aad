"""An editor's stale save over a rolled-over session file (issue 16, fourteenth round;
docs/decisions.md, "Issue 16, fourteenth round (stale saves over a rollover)").

A person opens the session file before a rollover; the agent's ``log`` rolls it over
(committed or not); the person saves the old buffer: the moved entries back, no link.
Emacs writes a second save in place, a first save by a new file: both are played, as
a plain write after the lock file is gone (the kept copy, a copy of its own since the
seventeenth round, keeps the newer version either way). Every entry must end up
exactly once (the live file and the earlier files), the earlier file kept, its link
back; Emacs (Org 9.5 and 9.7) judges the file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from test_merge_driver import git
from test_rollover import CONTEXT, filler, insert

from ai_protocols.session.rollover import BOUND

from conftest import Runner
from emacs import assert_reader_agrees, org_element

KEPT = Path(".ai/.locks/live/session-context.org")


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, list[str]]:
    """A repository whose session is just under the bound, committed; the file's bytes
    (the person's buffer), and each old decision's text."""
    root = (tmp_path_factory.mktemp("stale") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    run = Runner(root)
    run("init")
    run("start", "--title", "Long work")
    path = root / CONTEXT
    old, entries = filler(0, BOUND - 20_000, "old")
    path.write_text(insert(path.read_text(), "decisions", old))
    run("log", "--progress", "Under the bound")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "big")
    heads = [e.split("\n", 1)[0].split("] ", 1)[1] for e in entries]
    return root, path.read_bytes(), heads


def _rolled(before: tuple[Path, bytes, list[str]], tmp_path: Path, *, commit: bool
            ) -> tuple[Path, Runner]:
    root = tmp_path / "proj"
    shutil.copytree(before[0], root, symlinks=True)
    run = Runner(root)
    run("log", "--decision", "Rolling " + "o" * 60_000, "--rationale", "big")
    run("log", "--progress", "After the rollover")
    assert list((root / ".ai/history").rglob("*.org")), "no rollover"
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "rolled")
    return root, run


def _save(root: Path, data: bytes, *, in_place: bool) -> None:
    """The person's save of the old buffer: in place (Emacs's second save of a buffer:
    the kept copy, the same inode, takes the bytes too) or as a new file (a first save,
    the old one renamed to a backup)."""
    path = root / CONTEXT
    if in_place:
        with open(path, "r+b") as out:
            out.truncate(0)
            out.write(data)
    else:
        new = path.with_name(".new")
        new.write_bytes(data)
        os.replace(new, path)


def _counts(root: Path, run: Runner, texts: list[str]) -> dict[str, int]:
    """How often ``show --all`` gives each of ``texts`` (decisions and progress)."""
    shown = json.loads(run("show", "--all", "--json").stdout)
    found = [e["text"] for key in ("decisions", "progress") for e in shown[key]]
    return {t: sum(1 for f in found if f == t or f.startswith(t + "\n")) for t in texts}


def _stored_once(root: Path, texts: list[str]) -> None:
    """Each of ``texts`` is stored once across the live file and its earlier files (by
    bytes: a doubled entry would be found twice), and the earlier file is linked."""
    live = (root / CONTEXT).read_text()
    earlier = [p.read_text() for p in sorted((root / ".ai/history").rglob("*.org"))]
    assert earlier, "the earlier file went"
    for name in sorted((root / ".ai/history").rglob("*.org")):
        assert f"[[file:history/session-context/{name.name}]" in live
    for text in texts:
        count = sum(t.count("] " + text + "\n") for t in [live, *earlier])
        assert count == 1, (text[:60], count)


def _judged(root: Path) -> None:
    """Emacs reads the live file as the tool does (the earlier file is the rollover's,
    byte for byte, judged by tests/test_rollover.py)."""
    [parsed] = org_element([root / CONTEXT])
    assert_reader_agrees(root / CONTEXT, parsed)


@pytest.mark.parametrize("in_place", [True, False])
def test_a_stale_save_over_a_committed_rollover_is_refused_and_merged(
        before: tuple[Path, bytes, list[str]], tmp_path: Path, in_place: bool) -> None:
    """Committed rollover, then the old buffer saved: ``log`` refuses (exit 6, the file
    and the earlier file unchanged, the advice ``merge-kept``); ``merge-kept`` merges
    HEAD's version in; every entry once, the link back, new writes go on."""
    root, run = _rolled(before, tmp_path, commit=True)
    _save(root, before[1], in_place=in_place)
    [earlier] = sorted((root / ".ai/history").rglob("*.org"))
    kept_bytes = earlier.read_bytes()
    done = run("log", "--progress", "Next", check=False)
    assert done.returncode == 6, done.stderr
    assert "from before its rollover" in done.stderr and "merge-kept" in done.stderr
    assert (root / CONTEXT).read_bytes() == before[1]
    assert earlier.read_bytes() == kept_bytes
    # (the command ends at the sentence's ";", before the twentieth round its ":")
    advice = re.split("[:;]", done.stderr.split("(ai-protocols merge-kept ", 1)[1],
                      maxsplit=1)[0]
    merged = run("merge-kept", *shlex.split(advice), check=False)
    assert merged.returncode == 0, merged.stderr
    assert "Merged" in merged.stderr
    run("log", "--progress", "Next")
    texts = ["Rolling " + "o" * 60_000, "After the rollover", "Under the bound", "Next",
             *before[2][::500], before[2][-1]]
    _stored_once(root, texts)
    assert set(_counts(root, run, texts).values()) == {1}
    _judged(root)


@pytest.mark.parametrize("in_place", [False, True], ids=["new-file", "in-place"])
def test_a_stale_save_over_an_uncommitted_rollover_is_refused(
        before: tuple[Path, bytes, list[str]], tmp_path: Path, in_place: bool) -> None:
    """Uncommitted rollover, the old buffer saved as a new file or in place (the kept
    copy, a copy of its own since the seventeenth round, holds the newer version
    either way; as a hard link it took the save in place, and the rollover's entries
    were lost): refused (exit 6); the advice, followed literally, leaves every entry
    once."""
    root, run = _rolled(before, tmp_path, commit=False)
    _save(root, before[1], in_place=in_place)
    done = run("log", "--progress", "Next", check=False)
    assert done.returncode == 6, done.stderr
    assert (root / CONTEXT).read_bytes() == before[1]
    if "(cp " in done.stderr:
        command = done.stderr.split("(cp ", 1)[1].split(")", 1)[0]
        subprocess.run(["cp", *shlex.split(command)], cwd=root, check=True)
    else:
        advice = done.stderr.split("(ai-protocols merge-kept ", 1)[1].split(")", 1)[0]
        run("merge-kept", *shlex.split(advice))
    run("log", "--progress", "Next")
    texts = ["Rolling " + "o" * 60_000, "After the rollover", "Under the bound", "Next",
             *before[2][::500], before[2][-1]]
    _stored_once(root, texts)
    assert set(_counts(root, run, texts).values()) == {1}


def test_merge_kept_conflict_advice_after_a_rollover_stores_each_entry_once(
        before: tuple[Path, bytes, list[str]], tmp_path: Path) -> None:
    """Item 2: the person's stale buffer and the agent both changed the summary after
    a rollover: ``merge-kept`` cannot merge; its advice, followed literally (the file
    aside, the newer version put back, the person's summary added to it by hand), stores
    each entry once. Adding the other way (the kept copy's news into the old file)
    would have stored every moved entry twice."""
    root = tmp_path / "proj"
    shutil.copytree(before[0], root, symlinks=True)
    run = Runner(root)
    run("log", "--summary", "The agent's summary")
    git(root, "commit", "-q", "-am", "summary")
    stale = (root / CONTEXT).read_bytes()
    run("log", "--decision", "Rolling " + "o" * 60_000, "--rationale", "big")
    run("log", "--progress", "After the rollover", "--summary", "The agent's new summary")
    assert list((root / ".ai/history").rglob("*.org")), "no rollover"
    mine = stale.replace(b"The agent's summary", b"The person's summary")
    _save(root, mine, in_place=False)
    done = run("merge-kept", check=False)
    assert done.returncode == 6, done.stderr
    said = " ".join(done.stderr.split())
    assert "add to it, not to the file" in said, said
    aside = said.split("keep the file aside (cp ", 1)[1].split(")", 1)[0]
    subprocess.run(["cp", *shlex.split(aside)], cwd=root, check=True)
    back = said.split("put the newer version back (cp ", 1)[1].split(")", 1)[0]
    subprocess.run(["cp", *shlex.split(back)], cwd=root, check=True)
    path = root / CONTEXT
    # "add by hand what only the file aside holds": the person's summary.
    path.write_text(path.read_text().replace("The agent's new summary",
                                             "The person's summary"))
    Path(shlex.split(aside)[1]).unlink()
    run("log", "--progress", "Next")
    texts = ["Rolling " + "o" * 60_000, "After the rollover", "Under the bound", "Next",
             *before[2][::500], before[2][-1]]
    _stored_once(root, texts)
    assert "The person's summary" in path.read_text()
