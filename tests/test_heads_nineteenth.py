"""The record of other agents' heads (``.ai/.locks/others.heads``, issue 16, nineteenth
round): ``resume`` and ``start`` (and the SessionStart hook, through ``resume``'s
reader) beside more other session files
than they read take the heads of the newest from it while each file's ``stat`` is what
it was kept with, and print byte for byte what reading every head gives: after a file
was rewritten in place with its size and modification time kept (only its ``ctime``
tells), with a record that is not one, and never making ``.ai/.locks/``. No timing is
asserted; the set-ups wait :data:`~ai_protocols.storage.files.RACY_NS` once, so that
the files are old enough to be kept.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_many_fifteenth import ME, _crashed_others

from ai_protocols.session.heads import HEADS_NAME, MAGIC, decode, encode
from ai_protocols.session.resume import DEFAULT_MAX_BYTES, others_to_read
from ai_protocols.storage.files import RACY_NS

from conftest import Runner

#: More other files than ``resume`` reads at its default bound: the record is used.
MANY = others_to_read(DEFAULT_MAX_BYTES) + 4
SUMMARY_AT = ":CUSTOM_ID: summary\n:END:\n"


def _record(root: Path) -> Path:
    return root / ".ai" / ".locks" / HEADS_NAME


def _outputs(run: Runner, root: Path) -> list[str]:
    """What the readers print: ``resume``, ``resume --json`` and ``start`` (none of
    which writes here). The SessionStart hook's context is ``resume``'s text, read by
    the same ``resume_context``; it writes its record into the session, so two runs of
    it do not start from the same files."""
    return [run("resume", agent=ME).stdout,
            run("resume", "--json", agent=ME).stdout,
            run("start", agent=ME).stdout]


def _in_place(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` in place (as Emacs's later saves of a buffer do): ``old``
    replaced by ``new`` of as many bytes, its access and modification times put back,
    so that only its ``ctime`` moves."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    data = path.read_bytes()
    assert old.encode() in data
    with open(path, "r+b") as handle:
        handle.write(data.replace(old.encode(), new.encode(), 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == \
        (before.st_size, before.st_mtime_ns, before.st_ino)


def _many(run: Runner, root: Path, summaries: list[str], paused: list[bool]) -> list[Path]:
    """:data:`MANY` crashed other sessions, the ``i``-th with the summary
    ``summaries[i]`` (when given) and paused when ``paused[i]``; then a wait, so that
    every file is old enough to be kept. Returns their paths."""
    ids = _crashed_others(run, root, MANY, list(range(MANY)))
    paths = []
    for i, agent in enumerate(ids):
        path = root / ".ai" / "session-context.d" / f"{agent}.org"
        text = path.read_text()
        stat = path.stat()
        if i < len(summaries):
            text = text.replace(SUMMARY_AT, f"{SUMMARY_AT}{summaries[i]}\n", 1)
        if i < len(paused) and paused[i]:
            text = text.replace(":STATUS:   active", ":STATUS:   paused", 1)
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        paths.append(path)
    time.sleep(RACY_NS / 1e9 + 0.2)
    return paths


def _project(tmp_path_factory) -> tuple[Path, Runner]:
    root = tmp_path_factory.mktemp("heads").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root, Runner(root)


def test_the_record_is_read_and_a_file_rewritten_in_place_is_read_again(
        tmp_path_factory) -> None:
    """The readers take a kept head from the record (a summary changed in the record
    alone is printed), and read the file again once it was rewritten in place with its
    size and modification time kept: what it holds then is printed, as a full read
    prints it."""
    root, run = _project(tmp_path_factory)
    paths = _many(run, root, [f"summary {i:03d}" for i in range(MANY)], [])
    full = _outputs(run, root)
    record = _record(root)
    data = record.read_bytes()
    assert data.startswith(MAGIC)
    newest = paths[-1]
    assert str(newest).encode() in data and b"summary %03d" % (MANY - 1) in data
    record.write_bytes(data.replace(b"summary %03d" % (MANY - 1), b"SUMMARY %03d" % (MANY - 1)))
    poisoned = run("resume", agent=ME).stdout
    assert f"summary: SUMMARY {MANY - 1:03d}" in poisoned  # (the record was read)
    _in_place(newest, f"summary {MANY - 1:03d}", f"changed {MANY - 1:03d}")
    got = _outputs(run, root)
    assert f"summary: changed {MANY - 1:03d}" in got[0]
    record.unlink()
    assert got == _outputs(run, root)  # (every head read from its file)
    assert got != full


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
               max_size=40)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(summaries=st.lists(TEXT, min_size=MANY, max_size=MANY),
       paused=st.lists(st.booleans(), min_size=MANY, max_size=MANY),
       changed=st.sets(st.integers(0, MANY - 1), max_size=6))
def test_the_readers_print_what_reading_every_head_gives(
        tmp_path_factory, summaries: list[str], paused: list[bool], changed: set[int]) -> None:
    """Arbitrary summaries (Org markup, headline stars, escapes, any character but a
    NUL or a carriage return), some sessions paused: with the record kept by a first
    run, and after some of the files were rewritten in place (size and modification
    time kept), ``resume``, ``resume --json``, ``start`` and the SessionStart hook print
    what they print with no record, byte for byte."""
    root, run = _project(tmp_path_factory)
    marked = [f"<{i:03d}>{text}" for i, text in enumerate(summaries)]
    paths = _many(run, root, marked, paused)
    first = _outputs(run, root)
    assert _record(root).exists()
    assert _outputs(run, root) == first  # (from the record)
    for i in changed:
        _in_place(paths[i], f"<{i:03d}>", f"[{i:03d}]")
    got = _outputs(run, root)
    _record(root).unlink()
    assert got == _outputs(run, root)


def test_a_record_that_is_not_one_is_read_past(tmp_path_factory) -> None:
    """Garbage, another version's record (the first, JSON's), a record cut short, data of
    another shape, entries of another form: the readers print what they print without
    one, and write it again."""
    root, run = _project(tmp_path_factory)
    _many(run, root, [f"summary {i:03d}" for i in range(MANY)], [])
    want = _outputs(run, root)
    record = _record(root)
    data = record.read_bytes()
    kept = decode(data)
    path, entry = next(iter(kept.items()))
    for bad in (b"\x00\xff garbage", b"ai-protocols other heads 0\n{}",
                b"ai-protocols other heads 1\n" + json.dumps(kept).encode(),
                data[:len(data) // 2], MAGIC + b"\xff\x00", encode([1, 2]),  # type: ignore[arg-type]
                encode({path: (*entry[:5], entry[5], None)}),  # type: ignore[dict-item]
                encode({path: [*entry[:5], ["x"], None]}),
                encode({path: [*entry[:5], {"STATUS": 1}, None]}),
                encode({path: [*entry[:5], {"STATUS": b"active"}, None]}),
                encode({path: [*entry[:5], entry[5], 7]}),
                encode({path: entry[:4]})):
        record.write_bytes(bad)
        assert _outputs(run, root) == want, bad
        assert record.read_bytes().startswith(MAGIC)


def test_no_locks_folder_is_made(tmp_path_factory) -> None:
    """Without ``.ai/.locks/`` (``git stash -a`` took it) the readers write no record
    and make no folder: its absence is what tells a stash."""
    root, run = _project(tmp_path_factory)
    _many(run, root, [], [])
    shutil.rmtree(root / ".ai" / ".locks")
    run("resume", agent=ME, check=False)
    assert not (root / ".ai" / ".locks").exists()


def test_a_kept_head_whose_move_was_killed_is_read_again(tmp_path_factory) -> None:
    """A move (a wrap-up, a recover) killed after it archived a session and wrote its
    tombstone but before it removed the file: the file is still there with the stat
    its head was kept with, and the session is not shown (it went to the archive), as
    the full read decides."""
    root, run = _project(tmp_path_factory)
    paths = _many(run, root, [f"summary {i:03d}" for i in range(MANY)], [])
    run("resume", agent=ME)
    newest = paths[-1]
    assert str(newest) in decode(_record(root).read_bytes())
    archive = root / ".ai" / "sessions" / f"2026-11-30-06-00-{newest.stem}.org"
    archive.parent.mkdir(exist_ok=True)
    shutil.copyfile(newest, archive)
    st = newest.stat()
    tomb = root / ".ai" / ".locks" / "session-context.d" / f"{newest.name}.gone"
    tomb.parent.mkdir(parents=True, exist_ok=True)
    tomb.write_text(f"archived to {archive}\n"
                    f"source {st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns}\n")
    got = _outputs(run, root)
    assert f"{newest.stem}:" not in got[0] and f"summary {MANY - 1:03d}" not in got[0]
    _record(root).unlink()
    assert got == _outputs(run, root)
