"""A session's state after a stale save over a wrap-up or a pause (issue 14, twenty-fourth
round; docs/decisions.md, "Twenty-fourth round: a stale save over a wrap-up or a pause").

A person's buffer of the session file, opened before a change, is saved after it:

7. the change is another clone's wrap-up, pulled: ``log`` and ``start`` refused the file
   ("already wrapped up", exit 7) while ``status``, ``resume`` and ``list`` said it was
   live with no warning. Now they say the refusal itself (one rule:
   ``put_back_refusal``), with its way out (``merge-kept``).
8. the change is ``pause``: ``status`` and ``resume`` said the session active and
   ``start`` said "already started", while the next ``log`` merged the pause back (the
   agent now at work in a paused session). Now the pause stands, by the write's own
   merge (``next_write_merges``): the read commands say paused, ``start`` resumes it.

Real clones of a bare repository, real git, the installed console script; the save is
the stale buffer's bytes with a typed line, written as Emacs writes a buffer.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from clonekit import Clones, git, push, save, two_clones

TYPED = "  typed in the stale buffer"


def _flat(done: subprocess.CompletedProcess[str]) -> str:
    return re.sub(r"\s+", " ", done.stdout + done.stderr)


def _typed_under(buffer: bytes, entry: str, line: str = TYPED) -> bytes:
    """``buffer`` with ``line`` typed under the entry line holding ``entry``."""
    at = buffer.index(entry.encode())
    at = buffer.index(b"\n", at) + 1
    return buffer[:at] + line.encode() + b"\n" + buffer[at:]


# -- 7. another clone's wrap-up pulled under a stale buffer ------------------------------


@pytest.mark.parametrize("how", ["rename", "inplace"])
def test_a_stale_save_over_a_pulled_wrap_up_is_said_as_log_and_start_refuse_it(
        tmp_path: Path, how: str) -> None:
    """Clone one logs ``A one`` and pushes; clone two pulls, logs, wraps up and pushes;
    in one, a buffer opened before the pull is saved after it with a typed line.
    ``log`` and ``start`` refuse it (exit 7, "already wrapped up", ``merge-kept``), and
    ``status``, ``resume`` and ``list`` say that very refusal (not a bare "live"), so a
    person reads what the write will do and the way out; nothing is written."""
    clones = Clones(tmp_path.resolve(), agent="ag1")
    one, two = clones.run_one, clones.run_two
    one("log", "--progress", "A one", "--next", "A next")
    push(one, "s1")
    git(two.cwd, "pull", "-q", "--no-rebase", "origin", "main")
    two("log", "--progress", "B one")
    two("wrap-up", "Done in B")
    push(two, "wrap in B")
    buffer = one.path.read_bytes()
    git(one.cwd, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    assert not one.path.exists()
    save(one.path, _typed_under(buffer, "A one"), how)
    saved = one.path.read_bytes()
    refused = [one("log", "--progress", "A two", check=False),
               one("start", check=False)]
    for done in refused:
        assert done.returncode == 7, done
        assert "already wrapped up" in done.stderr and "merge-kept" in done.stderr, done
    said = re.sub(r"\s+", " ", refused[0].stderr).removeprefix("Error: ").strip()
    said = said.rstrip(".")
    for command in ("status", "resume", "list"):
        shown = _flat(one(command))
        assert said in shown, (command, said, shown)
    assert one.path.read_bytes() == saved


# -- 8. a pause under a stale buffer ---------------------------------------------------


@pytest.mark.parametrize("how", ["rename", "inplace"])
def test_a_stale_save_over_a_pause_leaves_it_paused_and_start_resumes_it(
        tmp_path: Path, how: str) -> None:
    """A buffer opened before ``pause --note 'urgent bug'`` is saved after it with a
    typed line (the file says ``active`` again). ``status`` and ``resume`` say the
    session paused, with the note and the stale save's warning, and change nothing;
    ``start`` resumes it as after a pause (not "already started"): the file then
    holds the typed line once, is active, and its Log says the merge and the
    resumption."""
    one, _two = two_clones(tmp_path.resolve(), "per-agent")
    buffer = one.path.read_bytes()
    one("pause", "--note", "urgent bug")
    save(one.path, _typed_under(buffer, "first step"), how)
    saved = one.path.read_bytes()
    assert b":STATUS:   active" in saved
    status = _flat(one("status"))
    assert re.search(r"\* paused +ag7", status) and "urgent bug" in status, status
    assert "saved from an editor's buffer" in status, status
    resume = one("resume").stdout
    assert resume.splitlines()[0].endswith("(agent ag7, paused)"), resume
    assert "saved from an editor's buffer" in _flat(one("resume")), resume
    assert one.path.read_bytes() == saved
    started = _flat(one("start"))
    assert "already started" not in started and "resumed it" in started, started
    text = one.path.read_text()
    assert ":STATUS:   active" in text and text.count(TYPED) == 1, text
    assert "resumed: after a pause" in text and "merged back:" in text, text
    assert re.search(r"\* live +ag7", _flat(one("status")))
