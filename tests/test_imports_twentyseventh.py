"""Issue 16, twenty-seventh round: fewer modules on the hot paths.

A module of the package costs a command's start about 330,000 instructions before its own
code runs, and a C module of its own (``fcntl``, ``_bisect``) as much again: the hot
paths now import only what they use. Each change keeps what a caller sees; these tests
hold the places names moved to, and the behaviour behind the imports moved into the
functions that need them (docs/performance.md and docs/decisions.md, "Twenty-seventh
round"). ``tests/test_fast_path.py`` lists, per hot command, the modules it may not
import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ai_protocols.git import history, state
from ai_protocols.session import earlier_links, layout, org_links, reading


def _fresh(code: str, cwd: Path | None = None) -> str:
    """What ``code`` prints, run in a fresh interpreter (in ``cwd``)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60, cwd=cwd).stdout


@given(st.text())
def test_a_link_path_escaped_reads_back_the_same(path: str) -> None:
    """``org_link_escape`` (now in ``earlier_links``, where a read finds it without
    ``org_links``) is undone by ``org_link_unescape`` for any text, and leaves no bracket
    without its backslash; both are still importable from where they were."""
    escaped = earlier_links.org_link_escape(path)
    assert earlier_links.org_link_unescape(escaped) == path
    assert escaped.count("[") == path.count("[") and escaped.count("]") == path.count("]")
    assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c in "[]")
    for module in (layout, org_links):
        assert module.org_link_escape is earlier_links.org_link_escape
        assert module.org_link_unescape is earlier_links.org_link_unescape


def test_reading_a_session_imports_no_org_links_nor_the_layout() -> None:
    """A session read (``reading``, the head and the brief read) loads neither the links a
    move rewrites nor the layout's re-exports; ``layout`` still gives every part's names."""
    said = _fresh("import sys, ai_protocols.session.reading, ai_protocols.session.project\n"
                  "print(sorted(m for m in ('ai_protocols.session.org_links', "
                  "'ai_protocols.session.layout', 'ai_protocols.session.splice', "
                  "'ai_protocols.session.pending', 'fcntl') if m in sys.modules))")
    assert said.strip() == "[]"
    assert layout.read_session is reading.read_session
    assert layout.move_links is org_links.move_links


def test_fcntl_loads_at_the_first_lock_and_the_lock_holds(tmp_path: Path) -> None:
    """``storage.files`` imports no ``fcntl`` until a lock is taken; the lock then taken
    excludes another process's (which times out: ``LockTimeout``)."""
    ai = tmp_path / ".ai"
    ai.mkdir()
    target = ai / "x.org"
    target.write_text("x\n")
    other = tmp_path / "other.py"
    other.write_text(f"from ai_protocols.storage import files\ntry:\n"
                     f"    files.locked({str(ai)!r}, {str(target)!r}, timeout=0.2).__enter__()\n"
                     f"except Exception as error:\n    print(type(error).__name__)\n")
    code = (f"import sys\nfrom ai_protocols.storage import files\n"
            f"print('fcntl' in sys.modules, files.FLOCK)\n"
            f"with files.locked({str(ai)!r}, {str(target)!r}, timeout=5):\n"
            f"    print('fcntl' in sys.modules)\n"
            f"    import subprocess\n"
            f"    print(subprocess.run([sys.executable, {str(other)!r}], capture_output=True,"
            f" text=True).stdout.strip())\n")
    first, held, waited = _fresh(code).splitlines()
    assert first == "False True"
    assert held == "True"  # (asked before subprocess, which imports it too, is imported)
    assert waited == "LockTimeout"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_work_tree_s_state_imports_no_history(tmp_path: Path) -> None:
    """``git.state`` (what ``resume``, ``start`` and the hooks show) loads no
    ``git.history``; the history's queries, in their module, answer as before against a
    real repository: the commits it holds, a file at a commit, which other work tree has
    a branch checked out. None of them is ``git.state``'s any more (one place each)."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = _git(tmp_path, "rev-parse", "HEAD")
    said = _fresh("import sys, ai_protocols.git.state as s\n"
                  f"print(s.read_state({str(tmp_path)!r}).commit)\n"
                  "print('ai_protocols.git.history' in sys.modules)")
    assert said.split() == [head, "False"]
    assert history.present_commits(tmp_path, head, "0" * 40) == {head}
    assert history.file_at(tmp_path, head, "a.txt") == b"one\n"
    _git(tmp_path, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    assert history.checked_out_at(tmp_path, "side") == str((tmp_path / "side").resolve())
    assert history.checked_out_at(tmp_path, "main") is None  # (this work tree's own)
    assert not set(history.__all__) & set(vars(state))
