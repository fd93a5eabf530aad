"""The archive index, ``.ai/.locks/sessions.index``: a per-machine cache of ``list``'s
rows of archived sessions.

``list`` must print the same, byte for byte, whether the index is absent, fresh,
stale or corrupt; the index must be used when it is valid (a test plants a
marker in it to see that), must keep up with wrap-ups, archives edited in
place, added by hand or deleted, and must never lose or double a row while
agents wrap up and list at the same time. Everything runs the installed
command; the encoding of a line is checked in-process with hypothesis.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols import Project, SessionInfo
from ai_protocols.lean import replace
from ai_protocols.session import layout
from ai_protocols.session import (
    splice as project_module,  # (read_info: project imports it where it lists)
)
from ai_protocols.storage import archive_index as index

from conftest import CLI, Runner, clean_env

INDEX = ".ai/.locks/sessions.index"
#: A fixed, long past mtime (2023-11-14 22:13:20 UTC): not "racy", not clock-dependent.
PAST_NS = 1_700_000_000 * 10**9


def archive_text(n: int, *, agent: str | None = None, description: str | None = None,
                 title: str | None = None) -> str:
    """An archive as wrap-up writes one (the shape of ``make_archives`` in scripts/bench)."""
    stamp = f"[2026-11-{1 + n % 28:02d} Sat {n % 24:02d}:{n % 60:02d}]"
    props = [("TITLE", title), ("AGENT_ID", agent), ("STARTED", stamp), ("UPDATED", stamp),
             ("STATUS", "wrapped-up"), ("ENDED", stamp),
             ("DESCRIPTION", description or f"Task {n}")]
    lines = ["#+TITLE: Session", "", "* Session", ":PROPERTIES:",
             *(f":{key}: {value}" for key, value in props if value is not None), ":END:",
             "** Log", f"- {stamp} wrap-up: done"]
    return "\n".join(lines) + "\n"


def add_archive(project: Path, name: str, text: str, mtime_ns: int = PAST_NS) -> Path:
    folder = project / ".ai/sessions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def add_archives(project: Path, count: int, start: int = 0) -> list[Path]:
    paths = []
    for n in range(start, start + count):
        agent = f"host.proj.{'claude' if n % 2 else 'codex'}.{1700000000 + n}"
        name = f"2026-11-{1 + n % 28:02d}-{n % 24:02d}-{n % 60:02d}-{agent}-task-{n}.org"
        paths.append(add_archive(project, name, archive_text(n, agent=agent),
                                 PAST_NS + n * 10**9))
    return paths


def read_index(project: Path) -> index._Index:
    found = index._Index(project / INDEX)
    found.read()
    return found


def indexed(project: Path) -> Counter[str]:
    """Each name the index has a row for, with how many rows it has: the block's, and
    every appended line's, even a stale or doubled one."""
    assert read_index(project).block is not None and not read_index(project).stale
    first, data = (project / INDEX).read_bytes().split(b"\n", 1)
    meta = json.loads(first[len(index.MAGIC):])
    keys, rest = data[:meta["keys"]], data[meta["keys"] + meta["texts"]:]
    return Counter(line.split(b"\t", 1)[0].decode()
                   for part in (keys, rest) for line in part.split(b"\n")[:-1])


def archive_names(project: Path) -> Counter[str]:
    return Counter(p.name for p in (project / ".ai/sessions").glob("*.org"))


def row_of(output: str, path: Path) -> dict[str, object]:
    return next(row for row in json.loads(output) if row["path"] == str(path))


def listing(run: Runner, *args: str) -> tuple[str, str]:
    """``list --json`` and ``list`` with ``args``, as printed."""
    return run("list", "--json", *args).stdout, run("list", *args).stdout


def without_index(project: Path, run: Runner, *args: str) -> tuple[str, str]:
    """What ``list`` prints with no index at all (each run starts without one)."""
    (project / INDEX).unlink(missing_ok=True)
    as_json = run("list", "--json", *args).stdout
    (project / INDEX).unlink(missing_ok=True)
    text = run("list", *args).stdout
    return as_json, text


@pytest.fixture
def busy(project: Path, run: Runner) -> Path:
    """A project with two live sessions and 40 archives: 38 made by hand and two
    wrapped up, all of them with mtimes long past."""
    run("start", "--title", "Still going")
    run("start", agent="live.proj.claude.1700000100")
    live = project / ".ai/session-context.d/live.proj.claude.1700000100.org"
    text = re.sub(r"\[\d{4}-\d\d-\d\d \w\w\w \d\d:\d\d\]", "[2026-11-10 Tue 12:30]",
                  live.read_text())
    live.write_text(text)  # (among the archives, not first)
    add_archives(project, 38)
    for n, (agent, what) in enumerate((("a.proj.claude.1790000001", "First thing"),
                                       ("b.proj.codex.1790000002", "Second thing"))):
        run("start", agent=agent)
        archive = run("wrap-up", what, agent=agent).stdout.strip()
        os.utime(archive, ns=(PAST_NS + (100 + n) * 10**9,) * 2)
    return project


FILTERS = [(), ("--agent", "host.proj.claude.1700000003"), ("--runtime", "codex"),
           ("--since", "2026-11-20"), ("--since", "2026-11-05 12:00"), ("--agent", "nobody")]


# -- the index follows wrap-up -------------------------------------------------------------


def test_wrap_up_appends_the_archives_row(project: Path, run: Runner) -> None:
    run("start", agent="a.proj.claude.1790000001")
    archive = Path(run("wrap-up", "Fix the sweep", agent="a.proj.claude.1790000001").stdout
                   .strip())
    found = read_index(project)
    assert found.block is not None and found.block.names == []
    assert list(found.appended) == [archive.name]
    stat, latest, tail = found.appended[archive.name]
    assert stat == index.stat_key(archive.lstat())
    rows = json.loads(run("list", "--json").stdout)
    assert rows == [json.loads(found.block.head + tail)]
    assert latest == rows[0]["ended"] and rows[0]["description"] == "Fix the sweep"


def test_a_wrap_up_ends_a_line_a_killed_writer_left(project: Path, run: Runner) -> None:
    run("start")
    run("wrap-up", "First")
    with (project / INDEX).open("a") as handle:
        handle.write("half-written.org\t12")  # no newline: a writer killed mid-line
    run("start")
    second = Path(run("wrap-up", "Second").stdout.strip())
    assert second.name in read_index(project).appended
    assert json.loads(run("list", "--json").stdout)[0]["path"] == str(second)


def test_a_wrap_up_does_not_fail_when_the_index_cannot_be_written(project: Path,
                                                                   run: Runner) -> None:
    (project / INDEX).parent.mkdir(parents=True, exist_ok=True)
    (project / INDEX).mkdir()  # a folder where the file goes
    run("start")
    archive = Path(run("wrap-up", "Done").stdout.strip())
    assert archive.exists()
    rows = json.loads(run("list", "--json").stdout)
    assert [row["path"] for row in rows] == [str(archive)]


@pytest.mark.parametrize("stale", [False, True], ids=["valid", "stale"])
def test_a_row_both_in_the_block_and_appended_is_listed_once(busy: Path, run: Runner,
                                                              stale: bool) -> None:
    """Only an archive deleted, then made again under its name with the same stat, can
    have both; its valid row is listed, once."""
    expected = without_index(busy, run)
    run("list")
    name = next((busy / ".ai/sessions").glob("*-task-20.org")).name
    stat, latest, tail = read_index(busy).block.entries()[name]  # type: ignore[union-attr]
    if stale:
        stat = "1:2:33188"
    with (busy / INDEX).open("a") as handle:
        handle.write(index.encode_line(name, (stat, latest, tail)) or "")
    assert listing(run) == expected
    assert indexed(busy) == archive_names(busy)


class WrapUpWhileListing:
    """Makes the library's ``list`` run ``action`` (another process) after it has read
    the index and before it rewrites it: when it reads its first archive."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
        real = layout.read_info
        self.done = False

        def info(path: Path, kind: str, *judge: object) -> list[SessionInfo]:
            if kind == "archived" and not self.done:
                self.done = True
                action()
            return real(path, kind, *judge)  # type: ignore[arg-type]

        monkeypatch.setattr(project_module, "read_info", info)


@pytest.mark.parametrize("had_index", [True, False], ids=["index", "no-index"])
def test_a_wrap_up_while_list_rewrites_the_index(busy: Path, run: Runner,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 had_index: bool) -> None:
    """The row the wrap-up appends while a ``list`` reads archives is kept when that
    ``list`` rewrites the index."""
    run("list")
    if not had_index:
        (busy / INDEX).unlink()
    add_archive(busy, "2026-11-30-23-59-by-hand.org", archive_text(97))  # (to be read)
    archived: list[str] = []

    def wrap_up() -> None:
        run("start", agent="late.proj.claude.1790000009")
        archived.append(run("wrap-up", "Late", agent="late.proj.claude.1790000009").stdout)

    hook = WrapUpWhileListing(monkeypatch, wrap_up)
    Project(busy).list_sessions()
    assert hook.done and archived
    late = Path(archived[0].strip()).name
    assert indexed(busy)[late] == 1
    assert indexed(busy) == archive_names(busy)


def test_a_list_leaves_another_lists_rewrite_alone(busy: Path, run: Runner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run("list")
    add_archive(busy, "2026-11-30-23-59-by-hand.org", archive_text(97))  # new to both
    rewritten: list[os.stat_result] = []

    def other_list() -> None:
        run("list")
        rewritten.append((busy / INDEX).stat())

    WrapUpWhileListing(monkeypatch, other_list)
    rows = Project(busy).list_sessions()
    now = (busy / INDEX).stat()
    assert rewritten and (now.st_ino, now.st_mtime_ns) == (rewritten[0].st_ino,
                                                           rewritten[0].st_mtime_ns)
    assert [row.to_json() for row in rows] == json.loads(without_index(busy, run)[0])


# -- the output never depends on the index -------------------------------------------------


@pytest.mark.parametrize("args", FILTERS, ids=lambda a: " ".join(a) or "all")
def test_the_same_output_without_and_with_the_index(busy: Path, run: Runner,
                                                    args: tuple[str, ...]) -> None:
    expected = without_index(busy, run, *args)
    assert listing(run, *args) == expected  # the index written by the run before
    assert listing(run, *args) == expected  # and as it is now
    rows = json.loads(expected[0])
    # As read directly; an open file's state is status's (tests/test_recovery.py).
    assert rows == [{**layout.read_info(Path(r["path"]), r["kind"])[0].to_json(),
                     "state": r["state"]} for r in rows]
    assert {r["state"] for r in rows if r["kind"] == "archived"} <= {None}
    assert rows == sorted(rows, reverse=True, key=lambda r: (
        r["ended"] or r["updated"] or r["started"], Path(r["path"]).name))
    if not args:
        assert len(rows) == 42 and [r["kind"] for r in rows].count("open") == 2
        old_live = row_of(expected[0], busy / ".ai/session-context.d/"
                                        "live.proj.claude.1700000100.org")
        assert 5 < rows.index(old_live) < 35  # among the cached rows
        assert expected[0].startswith("[\n{") and expected[0].endswith("}\n]\n")
        assert len(expected[0].splitlines()) == 44  # one row per line
        assert indexed(busy) == archive_names(busy)


def test_a_fresh_index_is_used_and_not_rewritten(busy: Path, run: Runner) -> None:
    run("list")
    path = busy / INDEX
    written = path.stat()
    assert run("list", "--json").stdout == run("list", "--json").stdout
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino,
                                                            written.st_mtime_ns)
    # The index is trusted while the archive's stat is the same: plant a marker in it.
    data = path.read_bytes()
    assert data.count(b'"description": "Task 7"') == 1
    path.write_bytes(data.replace(b'"description": "Task 7"', b'"description": "Tusk 7"'))
    assert '"description": "Tusk 7"' in run("list", "--json").stdout
    archive = next((busy / ".ai/sessions").glob("*-task-7.org"))
    os.utime(archive, ns=(PAST_NS - 10**9,) * 2)  # the archive changes: the marker goes
    as_json = run("list", "--json").stdout
    assert '"description": "Task 7"' in as_json and "Tusk" not in as_json


@pytest.mark.parametrize("same_size", [True, False], ids=["same-size", "other-size"])
def test_an_archive_edited_in_place(busy: Path, run: Runner, same_size: bool) -> None:
    run("list")
    archive = next((busy / ".ai/sessions").glob("*-task-12.org"))
    before = archive.stat()
    new = "Tusk 12" if same_size else "Task twelve, edited in Emacs"
    archive.write_text(archive.read_text().replace("DESCRIPTION: Task 12", f"DESCRIPTION: {new}"))
    assert (archive.stat().st_size == before.st_size) == same_size
    os.utime(archive, ns=(before.st_mtime_ns + 10**9,) * 2)
    as_json, text = listing(run)
    assert f'"description": "{new}"' in as_json and new in text
    assert "Task 12" not in as_json
    assert (as_json, text) == without_index(busy, run)
    run("list")
    assert f'"description": "{new}"' in (busy / INDEX).read_text()  # cached again


def test_an_archive_added_by_hand(busy: Path, run: Runner) -> None:
    run("list")
    name = "2026-11-30-23-59-by-hand.org"
    add_archive(busy, name, archive_text(99, description="Made by hand"))
    as_json, text = listing(run)
    assert row_of(as_json, busy / ".ai/sessions" / name)["description"] == "Made by hand"
    assert (as_json, text) == without_index(busy, run)
    run("list")
    assert indexed(busy)[name] == 1


def test_an_archive_written_just_now_is_not_cached_yet(busy: Path, run: Runner) -> None:
    """Its mtime may not move at its next change (git's racy entries): read it each time
    until it is two seconds old."""
    run("list")
    name = "2026-11-30-23-59-just-now.org"
    path = add_archive(busy, name, archive_text(98, description="Just now"), time.time_ns())
    for _ in range(2):
        assert row_of(run("list", "--json").stdout, path)["description"] == "Just now"
        assert name not in indexed(busy)
    os.utime(path, ns=(PAST_NS,) * 2)
    run("list")
    assert indexed(busy)[name] == 1


def test_an_archive_deleted(busy: Path, run: Runner) -> None:
    run("list")
    archive = next((busy / ".ai/sessions").glob("*-task-5.org"))
    archive.unlink()
    as_json, text = listing(run)
    assert archive.name not in as_json and "Task 5\n" not in text
    assert len(json.loads(as_json)) == 41
    assert (as_json, text) == without_index(busy, run)
    run("list")
    assert indexed(busy) == archive_names(busy)


def test_an_archive_replaced_by_a_link_or_a_folder(busy: Path, run: Runner) -> None:
    run("list")
    archive = next((busy / ".ai/sessions").glob("*-task-9.org"))
    archive.unlink()
    archive.symlink_to(next((busy / ".ai/sessions").glob("*-task-10.org")))
    folder = next((busy / ".ai/sessions").glob("*-task-11.org"))
    folder.unlink()
    folder.mkdir()
    as_json, text = listing(run)
    row = next(r for r in json.loads(as_json) if r["path"] == str(archive))
    assert row["description"] is None  # a link is listed, never followed
    assert str(folder) not in as_json
    assert (as_json, text) == without_index(busy, run)
    run("list")
    assert archive.name not in indexed(busy) and folder.name not in indexed(busy)


def test_names_that_are_not_cached(busy: Path, run: Runner) -> None:
    """A name with a tab, a newline, a quote or a backslash is read every time."""
    names = ["2026-11-30-10-00-tab\there.org", "2026-11-30-10-01-new\nline.org",
             '2026-11-30-10-02-"quoted".org', "2026-11-30-10-03-back\\slash.org",
             "2026-11-30-10-04-ünïcode.org"]
    for n, name in enumerate(names):
        add_archive(busy, name, archive_text(90 + n, description=f"Odd {n}"))
    as_json, text = listing(run)
    for n, name in enumerate(names):
        assert row_of(as_json, busy / ".ai/sessions" / name)["description"] == f"Odd {n}"
    assert (as_json, text) == without_index(busy, run)
    run("list")
    cached = indexed(busy)
    assert cached[names[4]] == 1 and not any(cached[name] for name in names[:4])
    assert listing(run) == (as_json, text)


def test_a_project_that_moved(busy: Path, run: Runner, tmp_path: Path) -> None:
    run("list")
    moved = tmp_path.resolve() / "elsewhere" / "proj"
    shutil.copytree(busy, moved, symlinks=True)  # (copy2: the mtimes come along)
    there = Runner(moved)
    as_json = there("list", "--json").stdout
    assert str(busy) not in as_json and f'"path": "{moved}/.ai/sessions/' in as_json
    assert (as_json, there("list").stdout) == without_index(moved, there)


CORRUPTIONS = {
    "empty": lambda data: b"",
    "garbage": lambda data: os.urandom(4096),
    "an older format": lambda data: b"ai-protocols sessions index 0\n" + data.split(b"\n", 1)[1],
    "a header only": lambda data: data.split(b"\n", 1)[0] + b"\n",
    "cut in the block": lambda data: data[: len(data) // 2],
    "a truncated last line": lambda data: data + b"2026-11-30-10-00-x.org\t17000",
    "garbage lines appended": lambda data: data + b"\x00\x01\x02\nnot\ta\tline\n\n\t\t\t\n",
    "a line of another format": lambda data: data + b"x.org\t1\t2\t3\t4\t{}\n",
    "a bad number of rows": lambda data: data.replace(b'"count": ', b'"count": 1', 1),
    "a block line missing": lambda data: data.replace(b"-task-3.org\t", b"-task-3.org ", 1),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_index(busy: Path, run: Runner, corrupt: Callable[[bytes], bytes]) -> None:
    expected = without_index(busy, run)
    run("list")
    path = busy / INDEX
    path.write_bytes(corrupt(path.read_bytes()))
    assert listing(run) == expected
    assert indexed(busy) == archive_names(busy)  # rewritten whole
    assert listing(run) == expected


def test_the_library_gives_the_same_rows(busy: Path, run: Runner) -> None:
    (busy / INDEX).unlink(missing_ok=True)
    project = Project(busy)
    read = project.list_sessions()
    assert (busy / INDEX).exists()
    cached = project.list_sessions()
    assert cached == read  # every field, read lazily from the cached text
    assert cached == [replace(layout.read_info(row.path, row.kind)[0],
                                          state=row.state) for row in read]  # as read directly
    assert all(isinstance(row, SessionInfo) for row in cached)
    assert isinstance(cached[-1].path, Path) and isinstance(cached[-1].ended, datetime)
    assert [row.to_json() for row in cached] == json.loads(run("list", "--json").stdout)
    since = datetime(2026, 11, 20)
    assert project.list_sessions(since=since) == [r for r in read if r.latest >= since]
    assert project.list_sessions(runtime="codex") == [
        r for r in read if r.agent_id and r.agent_id.split(".")[2] == "codex"]


# -- the encoding of a line ----------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"),
                min_size=1, max_size=40).filter(lambda n: n not in (".", ".."))
minutes = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(name=names, title=st.none() | texts, description=st.none() | texts,
       agent=st.none() | texts, status=st.none() | texts,
       times=st.tuples(st.none() | minutes, st.none() | minutes, st.none() | minutes),
       size=st.integers(0, 2**40), mtime_ns=st.integers(0, 2**63))
def test_a_line_gives_back_its_row(name: str, title: str | None, description: str | None,
                                   agent: str | None, status: str | None,
                                   times: tuple[datetime | None, ...], size: int,
                                   mtime_ns: int) -> None:
    folder = Path("/home/me/a \"project\"\t/.ai/sessions")
    info = SessionInfo("archived", folder / name, agent, title, description, status, *times)
    row = index.row_of(info)
    head = index.json_head(folder)
    stat = f"{mtime_ns}:{size}:{0o100644}"
    entry = index.entry_of(row, stat, head)
    if any(c in name for c in '\t\n"\\') or any(ord(c) < 32 for c in name):
        assert entry is None  # read every time instead
        return
    assert entry is not None
    line = index.encode_line(name, entry)
    assert line is not None and line.count("\n") == 1 and line.count("\t") == 3
    assert index.decode_lines(line) == ({name: entry}, 0)
    assert index.decode_lines(line[:-1]) == ({}, 1)  # no newline: a killed writer's
    assert json.loads(head + entry[2]) == info.to_json()
    assert SessionInfo.from_json(json.loads(head + entry[2])) == info
    assert entry[1] == index.sort_key(info.latest)
    other = index.row_of(SessionInfo("archived", folder / "b.org", None, None, None, None,
                                      None, None, None))
    entries = {name: entry, "b.org": index.entry_of(other, "1:2:33188", head)}
    data = index.encode_index(head, [name + "~"], entries)  # type: ignore[arg-type]
    found = index._Index(Path("unused"))
    found.read_from(io.BufferedReader(io.BytesIO(data)))  # type: ignore[arg-type]
    assert found.block is not None and not found.stale and found.others == [name + "~"]
    assert found.block.entries() == entries


def made_entry(name: str, latest: str, n: int) -> index.Entry:
    return f"{n}:1:33188", latest, f'{name}", "agent_id": null, "title": "{n}"}}'


@settings(max_examples=200, deadline=None)
@given(rows=st.dictionaries(st.from_regex(r"[a-z0-9-]{1,12}\.org", fullmatch=True),
                            st.sampled_from(["2026-11-01T10:00", "2026-11-02T09:30",
                                             "2026-11-02T09:31", "0001-01-01T00:00"]),
                            max_size=12),
       data=st.data())
def test_a_rewrite_splices_the_block_as_a_whole_write_would(
        rows: dict[str, str], data: st.DataObject) -> None:
    """``list`` rewrites the index by copying the block's lines but for its holes and
    putting the new rows in their places: the same bytes as writing all of it anew."""
    head = index.json_head(Path("/p/.ai/sessions"))
    old = {name: made_entry(name, latest, n) for n, (name, latest) in enumerate(rows.items())}
    found = index._Index(Path("unused"))
    found.read_from(io.BufferedReader(io.BytesIO(index.encode_index(head, [], old))))  # type: ignore[arg-type]
    block = found.block
    assert block is not None and block.entries() == old
    holes = sorted(data.draw(st.sets(st.sampled_from(range(len(block.names))) if block.names
                                     else st.nothing())))
    hole_names = [block.names[i] for i in holes]
    redone = data.draw(st.lists(st.sampled_from(hole_names), unique=True) if holes
                       else st.just([]))
    new = data.draw(st.dictionaries(st.from_regex(r"new[a-z]{1,4}\.org", fullmatch=True),
                                    st.sampled_from(["2026-11-02T09:30", "2026-11-03T00:00"]),
                                    max_size=4))
    extra = {name: made_entry(name, "2026-11-02T09:30", 100 + n)
             for n, name in enumerate(redone)}
    extra |= {name: made_entry(name, latest, 200 + n)
              for n, (name, latest) in enumerate(new.items())}
    whole = {name: entry for name, entry in old.items() if name not in hole_names} | extra
    assert index.encode_index(head, ["x"], extra, block, holes) == \
        index.encode_index(head, ["x"], whole)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(minutes | st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)),
                          st.sampled_from(["a.org", "b.org", "c.org"])), max_size=8))
def test_the_sort_key_sorts_as_the_time(rows: list[tuple[datetime, str]]) -> None:
    by_time = sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)
    by_key = sorted(rows, key=lambda r: (index.sort_key(r[0]), r[1]), reverse=True)
    assert by_key == by_time


# -- many agents at once -------------------------------------------------------------------

LISTER = """
import os, subprocess, sys
cli, out, stop = sys.argv[1:]
n = 0
while not os.path.exists(stop) or n < 3:
    result = subprocess.run([cli, "list", "--json"], capture_output=True)
    with open(os.path.join(out, f"{n:04d}"), "wb") as handle:
        handle.write(result.stdout if result.returncode == 0 else b"exit %d" % result.returncode)
    n += 1
"""


def test_wrap_ups_and_lists_at_once_never_lose_or_double_a_row(project: Path, run: Runner,
                                                               tmp_path: Path) -> None:
    """Eight agents wrap up twice each while two processes list over and over."""
    before = {p.name for p in add_archives(project, 150)}
    run("list")
    outputs, stop = tmp_path / "lists", tmp_path / "stop"
    for i in range(2):
        (outputs / str(i)).mkdir(parents=True)
    listers = [subprocess.Popen([sys.executable, "-c", LISTER, str(CLI), str(outputs / str(i)),
                                 str(stop)], env=clean_env(), cwd=project)
               for i in range(2)]
    script = ('set -e; for n in 1 2; do "$0" start >/dev/null; '
              '"$0" wrap-up "Round $n of $AI_AGENT_ID" >/dev/null; done')
    agents = [f"agent{i}.proj.claude.{1790000000 + i}" for i in range(8)]
    workers = [subprocess.Popen(["sh", "-c", script, str(CLI)], cwd=project,
                                env=clean_env(AI_AGENT_ID=agent)) for agent in agents]
    try:
        assert [worker.wait(timeout=120) for worker in workers] == [0] * 8
    finally:
        stop.touch()
        for lister in listers:
            lister.wait(timeout=120)
    wrapped = archive_names(project).keys() - before
    assert len(wrapped) == 16
    assert indexed(project) == archive_names(project)  # every row once, before any list
    seen = 0
    for output in sorted(outputs.glob("*/*")):
        rows = json.loads(output.read_bytes())
        paths = [row["path"] for row in rows]
        assert len(paths) == len(set(paths)), output  # no row twice
        names = {Path(row["path"]).name for row in rows if row["kind"] == "archived"}
        assert before <= names <= before | wrapped, output  # none lost, none made up
        for row in rows:
            if row["kind"] == "archived" and Path(row["path"]).name in wrapped:
                assert row["description"] == f"Round {row['description'][6]} of " \
                                             f"{row['agent_id']}"
                assert Path(row["path"]).name.split("-round-")[0].endswith(row["agent_id"])
        seen += 1
    assert seen >= 6
    final = json.loads(run("list", "--json").stdout)
    assert {Path(row["path"]).name for row in final if row["kind"] == "archived"} == \
        before | wrapped
    assert run("list", "--json").stdout == without_index(project, run)[0]


@pytest.mark.parametrize("indexed", [False, True], ids=["fresh", "from-index"])
def test_the_agent_filters_read_the_field_not_the_text(tmp_path: Path, indexed: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``--agent`` and ``--runtime`` filter on the row's agent id, wherever its key
    stands in the row's JSON: with ``agent_id`` moved first, ``list --json --agent ID``
    still gives exactly the rows ``list --json`` shows for ID."""
    ids = ["vm.proj.claude.1718400000", "vm.proj.codex.1718400001", "vm.proj.claude.17184000"]
    for agent in ids:
        project = Project(tmp_path, agent)
        project.start()
        project.wrap_up(f"work of {agent}")
    Project(tmp_path, ids[0]).start()  # and one live file
    if indexed:
        Project(tmp_path).list_json()  # the index, written in the usual key order
    original = SessionInfo.to_json

    def agent_first(info: SessionInfo) -> dict[str, object]:
        data = original(info)
        return {"agent_id": data.pop("agent_id"), **data}

    monkeypatch.setattr(SessionInfo, "to_json", agent_first)
    project = Project(tmp_path)
    every = json.loads(b"".join(project.list_json()))
    assert len(every) == 4
    for agent in ids:
        mine = json.loads(b"".join(project.list_json(agent=agent)))
        assert mine == [row for row in every if row["agent_id"] == agent] != []
        assert [str(i.path) for i in project.list_sessions(agent=agent)] == \
            [row["path"] for row in mine]
    claude = json.loads(b"".join(project.list_json(runtime="claude")))
    assert claude == [row for row in every if row["agent_id"] in (ids[0], ids[2])]
    assert len(json.loads(b"".join(project.list_json(runtime="codex")))) == 1
