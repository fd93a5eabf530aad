"""Issue 16, twenty-third round: ``start`` on a session already started by its caller
writes nothing and imports none of the write machinery (``session.transaction``,
``rollover``, ``archive``, ``recovery``, ``pause``); its cheap checks
(:mod:`ai_protocols.session.locks`) decide so exactly as the full path does.

The full path is the same command with the two cheap predicates that let a start skip
the write machinery (``moved_may_be``, ``put_back_may_be``) answering "look" always, and
the write machinery imported first: the path every start took before this round. Each
state a session can be in when ``start`` runs is set up twice, and ``start`` run on each,
the installed script on one and the full path on the other: the same exit status, output
and files (times, ids and the roots aside).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CLI, Runner, as_last_written, clean_env

AGENT = "claude-startimp.1718400000"
WRITE_MACHINERY = ("ai_protocols.session.transaction", "ai_protocols.session.rollover",
                   "ai_protocols.session.archive", "ai_protocols.session.recovery",
                   "ai_protocols.session.pause",
                   # the modules split out of the transaction (twenty-fifth round)
                   *(f"ai_protocols.session.{name}" for name in (
                       "edit_base", "entries_compared", "carries", "wrapped_copy", "unmerged",
                       "stale_saves", "stale_over", "replaced", "away", "merge_kept")))

#: The full path: the cheap predicates say "look", the write machinery imported first.
FULL = (
    "import sys\n"
    "from ai_protocols.session import locks\n"
    "locks.moved_may_be = lambda *a: True\n"
    "locks.put_back_may_be = lambda *a: True\n"
    "import ai_protocols.session.transaction, ai_protocols.session.rollover\n"
    "import ai_protocols.session.archive, ai_protocols.session.recovery\n"
    "import ai_protocols.session.pause\n"
    "from ai_protocols.cli.main import main\n"
    "sys.argv[0] = sys.argv[1]; del sys.argv[1]\n"
    "main(end=True)\n"
)

#: A time: an Org timestamp's, an ISO one's, an archive name's minute (``-HH-MM``: two
#: projects made across a minute's end name their archives apart).
_TIMES = re.compile(r"\d{4}-\d\d-\d\d(?:-\d\d-\d\d|[ T][^\]\n>)]*)?")
#: What differs between two projects set up alike: a session's id (random), a commit's
#: (a checkpoint's), a process id, a file's inode and time in nanoseconds (the archive
#: index's, a tombstone's record).
_IDS = re.compile(r"\b\d{8}-\d{6}-[0-9a-z]+\b|\b[0-9a-f]{8,40}\b|\b\d{4,}\b")


def _session_file(root: Path) -> Path:
    found = sorted((root / ".ai/session-context.d").glob("*.org"))
    assert len(found) == 1, found
    return found[0]


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every file under ``root/.ai`` (and the Emacs lock beside the session file): its
    bytes, or a symbolic link's target."""
    out: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root / ".ai"):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, root)
            out[key] = os.readlink(path) if os.path.islink(path) else Path(path).read_bytes()
    return out


def _normal(text: str, root: Path) -> str:
    return _IDS.sub("N", _TIMES.sub("T", text.replace(str(root), "ROOT")))


def _run(root: Path, args: tuple[str, ...], full: bool) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", FULL, str(CLI), *args] if full else [str(CLI), *args]
    return subprocess.run(command, cwd=root, env=clean_env(AI_AGENT_ID=AGENT),
                          capture_output=True, text=True, timeout=120)


def _base(root: Path, title: str | None = "base") -> None:
    run = Runner(root)
    run("start", *(("--title", title) if title else ()), agent=AGENT)
    run("log", "--progress", "did a thing", agent=AGENT)


def _fresh(root: Path) -> None:
    Runner(root)("init")


def _mine(root: Path) -> None:
    _base(root)


def _untitled(root: Path) -> None:
    _base(root, title=None)


def _paused(root: Path) -> None:
    _base(root)
    Runner(root)("pause", agent=AGENT)


def _dead_owner(root: Path) -> None:
    Runner(root)("start", "--title", "theirs", agent=AGENT, as_another_agent=True)


def _props(root: Path, **values: str) -> None:
    """Set the session headline's properties ``values`` by hand, then make that the
    version the tool wrote last (its kept copy)."""
    path = _session_file(root)
    text = path.read_text()
    for key, value in values.items():
        text = re.sub(rf"(?m)^:{key}:.*$", f":{key}: {value}", text)
    path.write_text(text)
    as_last_written(root, path)


def _other_host(root: Path) -> None:
    _base(root)
    _props(root, HOST="elsewhere", OWNER="pid 1 on elsewhere, started 2026-01-01 10:00")


def _wrapped_in_place(root: Path) -> None:
    _base(root)
    _props(root, STATUS="wrapped-up")


def _edited(root: Path) -> None:
    """A person's edit since the tool's last write: the kept copy differs."""
    _base(root)
    path = _session_file(root)
    path.write_text(path.read_text() + "- a line a person typed\n")


def _stale_save(root: Path) -> None:
    """An editor's save of the version before the tool's last write."""
    _base(root)
    path = _session_file(root)
    older = path.read_bytes()
    Runner(root)("log", "--progress", "a later step", agent=AGENT)
    path.write_bytes(older)


def _head_moved(root: Path) -> None:
    _base(root)
    (root / "f.txt").write_text("x\n")
    subprocess.run(["git", "add", "f.txt"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                    "moved"], cwd=root, check=True)


def _emacs_pending(root: Path) -> None:
    """A person's buffer holds the file (a live Emacs lock), an entry pending."""
    _base(root, title=None)
    path = _session_file(root)
    os.symlink("someone", path.parent / f".#{path.name}")
    Runner(root)("log", "--progress", "while Emacs holds it", agent=AGENT)


def _wrapped_up_aside(root: Path) -> tuple[Path, Path]:
    """Wrap the session up with its file's inode kept aside (a hard link): returns the
    file's path and the link."""
    _base(root)
    path = _session_file(root)
    aside = root / "aside.org"
    os.link(path, aside)
    Runner(root)("wrap-up", "done", agent=AGENT)
    return path, aside


def _put_back(root: Path) -> None:
    """The version from before its wrap-up put back (by hand, or git): the move's
    tombstone gone (pruned), so not what the move left."""
    from ai_protocols.session.names import tombstone_path

    path, aside = _wrapped_up_aside(root)
    os.unlink(tombstone_path(str(root / ".ai"), str(path)))
    os.rename(aside, path)


def _moved_left(root: Path) -> None:
    """What a move killed before its end leaves: the very file it moved, and the move's
    tombstone naming it."""
    path, aside = _wrapped_up_aside(root)
    os.rename(aside, path)


def _archive_copy(root: Path) -> None:
    """A copy of the wrapped-up session's archive put back as the file."""
    path, aside = _wrapped_up_aside(root)
    os.unlink(aside)
    shutil.copy(next((root / ".ai/sessions").glob("*.org")), path)


STATES: dict[str, Callable[[Path], None]] = {
    "fresh": _fresh, "mine": _mine, "untitled": _untitled, "paused": _paused,
    "dead owner": _dead_owner, "other host": _other_host,
    "wrapped up in place": _wrapped_in_place, "a person's edit": _edited,
    "stale save": _stale_save, "HEAD moved": _head_moved,
    "Emacs holds it, an entry pending": _emacs_pending, "put back": _put_back,
    "a move's tombstone": _moved_left, "the archive copied back": _archive_copy,
}
ARGS: dict[str, tuple[str, ...]] = {
    "none": (), "title": ("--title", "new title"), "objective": ("--objective", "the aim"),
    "task": ("--task",),  # (the id of a task added to the board first)
}


@pytest.mark.parametrize("args", list(ARGS))
@pytest.mark.parametrize("state", list(STATES))
def test_start_decides_as_the_full_path(tmp_path: Path, state: str, args: str) -> None:
    """Fault: a start that skips the write machinery on a cheap check could decide
    otherwise than the full path (write nothing where it writes, or the reverse). Over
    the states a session can be in, the installed ``start`` and the full path give the
    same exit status, output and files."""
    fast_root, full_root = tmp_path / "fast", tmp_path / "full"
    for root in (fast_root, full_root):  # (made twice, not copied: a copy is another inode)
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        STATES[state](root)
    given = {root: ARGS[args] for root in (fast_root, full_root)}
    if args == "task":
        for root in given:
            added = Runner(root)("task", "add", "the task", agent=AGENT).stdout.split()[0]
            given[root] = ("--task", added)
    before = _tree(fast_root)
    fast = _run(fast_root, ("start", *given[fast_root]), full=False)
    full = _run(full_root, ("start", *given[full_root]), full=True)
    assert (fast.returncode, _normal(fast.stdout, fast_root), _normal(fast.stderr, fast_root)) \
        == (full.returncode, _normal(full.stdout, full_root), _normal(full.stderr, full_root))
    fast_after, full_after = _tree(fast_root), _tree(full_root)
    fast_keys = {_normal(key, fast_root): key for key in fast_after}
    full_keys = {_normal(key, full_root): key for key in full_after}
    assert len(fast_keys) == len(fast_after) and sorted(fast_keys) == sorted(full_keys)
    for name, key in fast_keys.items():
        data, other = fast_after[key], full_after[full_keys[name]]
        if isinstance(data, bytes) and isinstance(other, bytes):
            assert _normal(data.decode("utf-8", "replace"), fast_root) == \
                _normal(other.decode("utf-8", "replace"), full_root), key
        else:
            assert data == other, key
    if state == "mine" and args == "none":  # (the case the fast path is for: untouched)
        assert fast_after == before


def _imported(root: Path, *args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", str(CLI), *args], cwd=root,
                            env=clean_env(AI_AGENT_ID=AGENT), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_an_already_started_start_imports_no_write_machinery(project: Path) -> None:
    """Fault: ``start`` on a session already started by its caller imported the write
    machinery (about 8.9 M instructions, 1 MB) for its lock and settle, and wrote
    nothing. Now none of it; a start that writes (a title given to an untitled session)
    still imports what it writes with."""
    run = Runner(project)
    run("start", agent=AGENT)
    before = _tree(project)
    modules = _imported(project, "start")
    assert "ai_protocols.session.locks" in modules  # (it did read the imports)
    assert not modules & set(WRITE_MACHINERY), sorted(modules & set(WRITE_MACHINERY))
    assert _tree(project) == before  # (it wrote nothing)
    modules = _imported(project, "start", "--title", "already has none")
    assert "ai_protocols.session.transaction" in modules
    assert ":SESSION_TITLE: already has none" in _session_file(project).read_text()
