"""The SessionStart hook reads its session file once (issue 16, sixteenth round;
docs/decisions.md "Issue 16, sixteenth round (SessionStart's one read)").

- ``start`` hands the file as it read it (:class:`~ai_protocols.session.edit_base.AsRead`:
  its bytes and document) to the record's edit, which reads the file again under its
  lock and takes that document only when the bytes are the same: the file written is
  byte for byte what the edit's own read would write, for every layout a person's
  Emacs leaves (the corpus), a rolled-over file's closed items, non-ASCII text.
- A change between the two reads (a person's save, however alike: the same size and
  modification time) is read and kept, never written over by the older document.
- ``start`` no longer reads the file to settle a move that left no tombstone.

No timing is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hot_fifteenth import CORPUS, LAYOUTS, TEXT, _closed_items

from ai_protocols.errors import AiProtocolsError
from ai_protocols.session.edit_base import AsRead
from ai_protocols.session.project import Project
from ai_protocols.session.transaction import editing
from ai_protocols.storage.files import SAME_BLOCK, read_file

from conftest import CLI, Runner, clean_env

NOW = datetime(2026, 10, 2, 9, 30)


def _layout_bytes(project: Path, layout: str) -> bytes:
    """The session file's bytes for ``layout``: a corpus file, or the tool's own file
    with a rolled-over file's closed items (``closed``), or with non-ASCII text."""
    text = (project / ".ai" / "session-context.org").read_text(encoding="utf-8")
    marker = ":CUSTOM_ID: progress\n:END:\n"
    if layout == "closed":
        return text.replace(marker, marker + _closed_items(400), 1).encode("utf-8")
    if layout == "unicode":
        return text.replace(marker, marker + "- [ ] [2026-10-01 Thu 08:00] café ☕ naïve\n"
                            + _closed_items(50), 1).encode("utf-8")
    return (CORPUS / layout).read_bytes()


def _record(root: Path, as_read: AsRead | None, note: str) -> tuple[bytes, bool]:
    """What the SessionStart hook's record does, given the file as read or not: the
    bytes written, and whether the edit took the document it was given."""
    path = str(root / ".ai" / "session-context.org")
    with editing(str(root / ".ai"), path, now=NOW, as_read=as_read) as edit:
        taken = as_read is not None and edit.doc is as_read.doc
        edit.set_properties(("AGENT_SOURCE", "compact"), ("CONTEXT_SHOWN", "0123abcd"))
        edit.note(f"claude: session compact {note}")
    return Path(path).read_bytes(), taken


@pytest.mark.parametrize("layout", [*LAYOUTS, "closed", "unicode"])
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=TEXT)
def test_the_record_writes_what_its_own_read_would(project: Path, run: Runner, layout: str,
                                                   note: str) -> None:
    run("start")
    data = _layout_bytes(project, layout)
    with tempfile.TemporaryDirectory() as scratch:
        one, two = Path(scratch) / "one", Path(scratch) / "two"
        for root in (one, two):
            shutil.copytree(project, root, symlinks=True)
            (root / ".ai" / "session-context.org").write_bytes(data)
        kept: list[AsRead] = []
        try:
            Project(one)._read(str(one / ".ai" / "session-context.org"), brief=True,
                               keep=kept)
        except AiProtocolsError:  # (a layout the tool does not read: nothing to hand on)
            assert not kept
            return
        assert len(kept) == 1 and kept[0].data == data
        try:
            fast, taken = _record(one, kept.pop(), note)
        except AiProtocolsError as error:  # (refused alike on both ways)
            with pytest.raises(type(error)):
                _record(two, None, note)
            return
        plain, _ = _record(two, None, note)
        assert taken, layout  # (the one read: else this test compares the plain way twice)
        assert fast == plain, layout


@pytest.mark.parametrize("same_stat", [False, True])
def test_a_save_between_the_reads_is_kept(project: Path, run: Runner,
                                          same_stat: bool) -> None:
    """A person's save between the start's read and the record: the edit reads it and
    keeps it; with the same size and modification time too (compared byte for byte,
    not by ``stat``)."""
    run("start")
    path = project / ".ai" / "session-context.org"
    path.write_bytes(_layout_bytes(project, "closed"))
    kept: list[AsRead] = []
    Project(project)._read(str(path), brief=True, keep=kept)
    before = os.stat(path)
    data = path.read_bytes()
    saved = data.replace(b"step 7 done", b"step 7 DONE", 1)  # (one word, the same size)
    assert saved != data and len(saved) == len(data)
    if same_stat:
        with open(path, "r+b") as handle:  # (in place: the same inode)
            handle.write(saved)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert os.stat(path).st_size == before.st_size
        assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    else:
        path.write_bytes(saved)
    written, taken = _record(project, kept.pop(), "after a save")
    assert not taken
    assert b"step 7 DONE" in written and b"step 7 done" not in written
    assert b"claude: session compact after a save" in written


def test_the_hook_records_over_the_file_it_read(project: Path, run: Runner) -> None:
    """The SessionStart hook end to end, on a file with a person's headline, CRLF line
    endings and closed items: its record keeps every byte of theirs, once."""
    payload = json.dumps({"session_id": "0f3c", "cwd": str(project),
                          "hook_event_name": "SessionStart", "source": "compact"})

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                              cwd=project, input=payload, capture_output=True, text=True,
                              env=clean_env(), timeout=60)

    first = hook()
    assert first.returncode == 0, first.stderr
    live = next((project / ".ai" / "session-context.d").glob("*.org"))
    text = live.read_text(encoding="utf-8")
    marker = ":CUSTOM_ID: progress\n:END:\n"
    mine = "* A person's own notes\nkept as typed ☕\n"
    text = text.replace(marker, marker + _closed_items(200), 1) + mine
    live.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    second = hook()
    assert second.returncode == 0, second.stderr
    after = live.read_bytes()
    assert after.count(mine.replace("\n", "\r\n").encode("utf-8")) == 1
    assert after.count(b"step 199 done\r\n") == 1
    assert b"\n" not in after.replace(b"\r\n", b"")  # (its line endings stay CRLF)
    assert b":AGENT_SOURCE: compact\r\n" in after


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 3 * SAME_BLOCK), edit=st.sampled_from(
    ["none", "first", "last", "middle", "grow", "shrink"]), at=st.floats(0, 1))
def test_read_file_compared_as_read_is_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                size: int, edit: str, at: float) -> None:
    """``read_file(path, same=...)`` gives the file's bytes whatever changed (a byte in
    its first, middle or last block, more bytes, fewer), and ``same`` itself (no second
    copy) only when the file holds exactly those bytes."""
    same = bytes((n * 7 + 3) % 251 for n in range(size))
    data = bytearray(same)
    where = min(int(at * size), size - 1)
    if edit == "grow":
        data += b"x"
    elif edit == "shrink" and size:
        del data[where:]
    elif edit != "none" and size:
        spot = {"first": 0, "last": size - 1, "middle": where}[edit]
        data[spot] ^= 0xFF
    path = tmp_path_factory.mktemp("same") / "session.org"
    path.write_bytes(bytes(data))
    found = read_file(str(path), same=same)
    assert found is not None
    assert found[0] == bytes(data)
    assert (found[0] is same) == (bytes(data) == same)
