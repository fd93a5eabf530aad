"""Issue 16, sixteenth round: the test suite's own set-up, made cheaper, gives what it
gave before (docs/performance.md, "The test suite's time, sixteenth round").

- ``scripts/org-element-json.el`` counts an element's line on from the last one it
  counted (``oej--line``), not from the top of the buffer each time: its output is
  byte for byte the output of ``line-number-at-pos`` from the top, on both judges,
  for files whose elements it visits out of buffer order, with CRLF, a byte-order
  mark and no final newline, and with the judges' garbage collector given room
  (``emacs.GC_EVAL``).
- ``project`` (tests/conftest.py) copies one ``init`` per test process: what it gives
  is, byte for byte and mode for mode, what ``init`` makes in a fresh repository now.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import Runner
from emacs import GC_EVAL, JUDGES, SCRIPT, Judge

#: ``oej--line`` as it was: ``line-number-at-pos`` from the top for every element.
FROM_THE_TOP = ("--eval", "(advice-add 'oej--line :override (lambda (element) "
                "(line-number-at-pos (org-element-property :begin element))))")

FILES = {
    # Keywords after headlines, a drawer, timestamps before and inside items: the script
    # visits keywords, then headlines, drawers, timestamps... each from the top again.
    "order.org": "* A\n#+TITLE: late\n:LOGBOOK:\nx\n:END:\n- [2026-01-01 Thu 10:00] one\n"
                 "  - [ ] [2026-01-02 Fri 11:00] two\n#+KEYWORD: again\n** B\n"
                 "<2026-01-03 Sat> text\n#+begin_example\nx\n#+end_example\n- last\n",
    "crlf.org": "\ufeff#+TITLE: t\r\n* A\r\n- [X] [2026-01-01 Thu 10:00] one\r\n\r\n"
                "paragraph\r\n* B\r\n- two",
    "mixed.org": "* A\r\n- one\n\n\n- [2026-01-01 Thu 10:00] two\r\n** B\n   \n- three",
    "empty.org": "",
    # A headline on line 3, then one on line 2 at a later position: a count carried over
    # from one file to the next would put the second on line 4.
    "low.org": "\n\n* A\n",
    "high.org": "abc\n* B\n",
    "many.org": "".join(f"* H{n}\n- [{' X'[n % 2]}] [2026-01-01 Thu 10:{n % 60:02d}] "
                        f"item {n}\n\n  text {n}\n#+TITLE: k{n}\n" for n in range(300)),
}


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_the_lines_counted_on_are_the_lines_counted_from_the_top(
        tmp_path: Path, judge: Judge) -> None:
    paths = []
    for name, text in FILES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
        paths.append(str(tmp_path / name))
    counted_on = judge.run(["-l", str(SCRIPT), *paths]).stdout
    from_the_top = judge.run([*FROM_THE_TOP, "-l", str(SCRIPT), *paths]).stdout
    assert counted_on == from_the_top
    assert '"line":' in counted_on
    # (and the collector's room is what Judge.run gives every judge)
    done = judge.run(["--eval", "(princ gc-cons-threshold)"])
    assert done.stdout == str(64 * 1024 * 1024) and GC_EVAL[0] == "--eval"


def _tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under ``root/.ai`` and ``.git/config``: its mode and bytes."""
    found: dict[str, tuple[int, bytes | None]] = {}
    for folder, dirs, files in os.walk(root / ".ai"):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = (
                os.lstat(path).st_mode, None if path.is_dir() else path.read_bytes())
    found[".git/config"] = (0, (root / ".git" / "config").read_bytes())
    return found


def test_a_project_is_what_init_makes_in_a_fresh_repository(
        project: Path, initialized: Path, tmp_path: Path) -> None:
    fresh = (tmp_path / "fresh").resolve()
    subprocess.run(["git", "init", "-q", str(fresh)], check=True)
    Runner(fresh)("init")
    assert _tree(project) == _tree(fresh)
    assert len(_tree(fresh)) > 5
    # (its own files, not links to the template's: a write into this project is seen by
    # no other test's)
    for name in _tree(initialized):
        if (initialized / name).is_file():
            assert not (project / name).samefile(initialized / name), name
    again = Runner(project)("init").stdout.splitlines()
    assert again and all(line.startswith("unchanged: ") for line in again), again
