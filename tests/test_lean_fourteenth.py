"""The hot path's sweep of killed writes' temporary files, fourteenth round (issue 16;
docs/decisions.md "Issue 16, fourteenth round (the sweep of temporary files)",
docs/performance.md).

A write under a lock names its temporary files with fixed names, so the next write
under that lock removes what a killed one left with an ``unlink`` a name: no
``log`` lists ``.ai/session-context.d/`` (or ``.ai/.locks/``), whose size grows with
the number of sessions. The installed console script runs as a subprocess in
temporary git repositories; a kill at an exact point is a real SIGKILL that strace(1)
injects at a chosen system call, and each test checks that the kill left the state
it is about before going on.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_rollover_eleventh_b import killed_at, strace

from ai_protocols.storage.files import discard_partial_writes, temporary_name

from conftest import CLI, Runner, clean_env

AGENT = "host.proj.claude.1"
CONTEXT = Path(".ai/session-context.d")
KEPT = Path(".ai/.locks/live/session-context.d")


def temporaries(project: Path) -> list[Path]:
    """Every temporary file under ``.ai/``."""
    return sorted((project / ".ai").rglob(".*.tmp"))


def test_a_temporary_file_of_a_write_killed_at_its_rename_goes_at_the_next_write(
        project: Path, run: Runner) -> None:
    """A ``log`` killed at the rename of its session file leaves the written temporary
    file (and its kept copy's second name) and changes nothing; the next ``log``
    removes both and writes its entry."""
    run("start", "--title", "work", agent=AGENT)
    path = project / CONTEXT / f"{AGENT}.org"
    before = path.read_bytes()
    killed_at(project, "rename", 1, "log", "--progress", "killed step", agent=AGENT)
    left = temporaries(project)
    assert project / CONTEXT / temporary_name(path.name, locked=True) in left, \
        "the kill missed its window"
    assert path.read_bytes() == before
    run("log", "--progress", "next step", agent=AGENT)
    assert temporaries(project) == []
    text = path.read_text()
    assert "next step" in text and "killed step" not in text


def test_a_kept_copy_killed_at_its_rename_goes_at_the_next_write(
        project: Path, run: Runner) -> None:
    """Killed at the second rename (the kept copy's, the session file in place): the
    kept copy's temporary name holds a copy of the live file (its own inode, with its
    time, since the seventeenth round); the next write removes that name, and the live
    file keeps the killed write's entry."""
    run("start", "--title", "work", agent=AGENT)
    path = project / CONTEXT / f"{AGENT}.org"
    killed_at(project, "rename", 2, "log", "--progress", "killed step", agent=AGENT)
    second = project / KEPT / temporary_name(path.name, locked=True)
    assert second.exists() and second.read_bytes() == path.read_bytes() and \
        second.stat().st_mtime_ns == path.stat().st_mtime_ns, "the kill missed its window"
    run("log", "--progress", "next step", agent=AGENT)
    assert temporaries(project) == []
    text = path.read_text()
    assert "killed step" in text and "next step" in text
    assert (project / KEPT / path.name).read_bytes() == path.read_bytes()


def listed(project: Path, *args: str) -> list[str]:
    """The folders ``ai-protocols ARGS`` lists (``getdents64`` on them, as strace(1)
    shows them with ``-y``), relative to ``project``."""
    trace = project.parent / "trace.txt"
    subprocess.run([strace(), "-f", "-y", "-o", str(trace), "-e", "trace=getdents64",
                    str(CLI), *args], cwd=project, check=True, capture_output=True,
                   env=clean_env(AI_AGENT_ID=AGENT))
    folders = set()
    for line in trace.read_text().splitlines():
        if "getdents64(" in line and "<" in line:
            folder = line.split("<", 1)[1].split(">", 1)[0]
            folders.add(os.path.relpath(folder, project))
    return sorted(folders)


def test_log_lists_no_folder_that_grows_with_the_sessions(
        project: Path, run: Runner) -> None:
    """Every ``log`` sweeps what killed writes left, but a folder whose size grows with
    the number of sessions (``.ai/session-context.d/``, ``.ai/.locks/`` and the kept
    copies' folder) is never listed for it: one ``unlink`` a known name instead. Nor is
    ``.ai/sessions/`` (the archives)."""
    run("start", "--title", "work", agent=AGENT)
    for n in range(2, 40):
        run("start", "--title", f"other {n}", agent=f"host.proj.claude.{n}")
    run("log", "--progress", "warm", agent=AGENT)
    folders = listed(project, "log", "--progress", "a step")
    grown = [f for f in folders if f.startswith(".ai")]
    assert grown == [], f"log listed {grown}"


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(st.characters(blacklist_characters="/\0",
                                            blacklist_categories=("Cs",)),
                              min_size=1, max_size=60)
                      .filter(lambda n: n not in (".", "..")),
                      min_size=2, max_size=4, unique=True))
def test_the_sweep_removes_a_files_own_temporary_files_and_nothing_else(
        tmp_path_factory: object, names: list[str]) -> None:
    """For arbitrary file names: the sweep of one file removes the temporary files a
    killed write of it under its lock left (both fixed names), and neither another
    file's (a name that starts with it, say) nor any file."""
    folder = Path(tmp_path_factory.mktemp("sweep"))  # type: ignore[attr-defined]
    target, *others = names
    mine = [folder / temporary_name(target, locked=True, second=s) for s in (False, True)]
    theirs = [folder / temporary_name(other, locked=True, second=s)
              for other in others for s in (False, True)]
    files = [folder / name for name in names]
    for made in [*mine, *theirs, *files]:
        made.write_bytes(b"x")
    discard_partial_writes(str(folder / target))
    assert [p.exists() for p in mine] == [False, False]
    assert all(p.exists() for p in [*theirs, *files])


# -- status: a rolled-over file's links read without parsing the file ------------------


_LINK_NAMES = ["2026-01-01T00-00--2026-01-01T00-25-26e759a5.org",
               "2026-01-02T00-00--2026-01-02T01-00-0a1b2c3d.org", "notes.org"]


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.tuples(
    st.sampled_from(["- ", "  - ", "", "* x ", "- [ ] "]),
    st.sampled_from(["../history/session-context.d/ID/", "../history/session-context.d/OTHER/",
                     "", "./../history/session-context.d/ID/", "/abs/"]),
    st.sampled_from(_LINK_NAMES), st.sampled_from(["", "::*x"]),
    st.sampled_from(["[earlier entries]] 3 entries", "]", "[x]]"]),
    st.booleans(), st.sampled_from(["\n", "\r\n"])), max_size=6),
    other_session=st.booleans(), here=st.sets(st.sampled_from(_LINK_NAMES)))
def test_the_missing_earlier_files_are_those_of_the_whole_rule(
        tmp_path_factory: object, lines: list[tuple[str, str, str, str, str, bool, str]],
        other_session: bool, here: set[str]) -> None:
    """``status``'s missing earlier files (``missing_linked``) search the text for the
    links' lines first and parse the file only when one names a file that is not
    here: for arbitrary link lines (the session's own folder or another, a search
    option, a person's link, a CRLF ending, inside another session's subtree), some
    of the files there, the answer is the whole rule's (``linked_earlier`` of the
    parsed file, less those here)."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.rollover import linked_earlier, missing_linked

    root = Path(tmp_path_factory.mktemp("links"))  # type: ignore[attr-defined]
    ai = root / ".ai"
    path = ai / "session-context.d/ID.org"
    history = ai / "history/session-context.d/ID"
    history.mkdir(parents=True)
    path.parent.mkdir(parents=True)
    for name in here:
        (history / name).write_text("* earlier\n")
    head = ("* Session: x\n:PROPERTIES:\n:STATUS: active\n:STARTED: [2026-01-01 Thu 00:00]\n"
            ":END:\n** Earlier entries\n")
    body = "".join(f"{lead}[[file:{folder.replace('/abs/', str(history) + '/')}{name}{search}"
                   f"{tail}{'' if keep else ' x'}{ending}"
                   for lead, folder, name, search, tail, keep, ending in lines)
    other = ("* Session: y\n:PROPERTIES:\n:STATUS: active\n:STARTED: [2026-01-01 Thu 00:00]\n"
             ":END:\n") if other_session else ""
    half = len(body) // 2
    text = head + body[:half] + ("\n" if half else "") + other + body[half:]
    path.write_text(text)
    whole = [e.path for e in linked_earlier(OrgFile(text), str(path))
             if not os.path.lexists(e.path)]
    assert missing_linked(str(ai), str(path), text) == whole


def test_a_folder_where_the_temporary_file_goes_is_a_clear_error(
        project: Path, run: Runner) -> None:
    """A folder (a person's, say) stands at the fixed temporary name of the session
    file: the write cannot remove it, so it fails at once with the storage error
    (exit 9, naming the file), never loops, and changes nothing."""
    run("start", "--title", "work", agent=AGENT)
    path = project / CONTEXT / f"{AGENT}.org"
    before = path.read_bytes()
    stands = project / CONTEXT / temporary_name(path.name, locked=True)
    stands.mkdir()
    (stands / "a person's file").write_text("kept\n")
    refused = run("log", "--progress", "a step", agent=AGENT, check=False)
    assert refused.returncode == 9, refused.stderr
    assert str(path) in refused.stderr
    assert path.read_bytes() == before
    assert (stands / "a person's file").read_text() == "kept\n"
