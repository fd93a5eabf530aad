"""Issue 16, twenty-fourth round: ``resume``, ``start`` and the SessionStart hook beside
many other agents' session files, each other file read the least that answers them.

The cheap path (this round): the ``lstat`` of every other file by one ``map``, no
Python call per file; the listing's rule as one comprehension; a head's absent times
not parsed; the leases' folder asked once per judge of many sessions. The
full path is the same command with every other agent's file read whole
(``Project._read``, no heads' record), each ``lstat`` taken one by one through a Python
call, and the leases asked for each session as before. Two copies of one project, each
command run on one with the installed script and on the other with the full path:
the same exit status, output and error output (the roots aside), the first time (no
heads' record) and the second (the record filled by the first).
"""

from __future__ import annotations

import difflib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.storage.files import RACY_NS

from conftest import CLI, Runner, clean_env

AGENT = "host.proj.claude.1764000000"

#: The full path: each other file read whole, no heads' record, the lstats one by one,
#: the leases asked for per session.
FULL = (
    "import sys\n"
    "from ai_protocols.session import project\n"
    "from ai_protocols.liveness import evidence\n"
    "project.Project._head = lambda self, path, heads: self._read(path)\n"
    "import os\n"
    "def _modified(path):\n"
    "    try:\n"
    "        return os.lstat(path).st_mtime_ns\n"
    "    except OSError:\n"
    "        return -1\n"
    "project._mtimes = lambda paths: [_modified(path) for path in paths]\n"
    "_assess = evidence.assess\n"
    "def assess(*args, leases=True, **kwargs):\n"
    "    return _assess(*args, leases=True, **kwargs)\n"
    "evidence.assess = assess\n"
    "from ai_protocols.cli.main import main\n"
    "sys.argv[0] = sys.argv[1]; del sys.argv[1]\n"
    "main(end=True)\n"
)

#: What each other file is, by the text put in place of the own session's (``None``:
#: the own session's text with the other's id and a gone owner, a crash).
CONFLICT = "<<<<<<< ours\n* Session: x\n=======\n* Session: y\n>>>>>>> theirs\n"


def _other(mine: str, agent: str, kind: str) -> str:
    text = mine.replace(f":AGENT_ID: {AGENT}", f":AGENT_ID: {agent}")
    text = re.sub(r"(?m)^(:OWNER: +pid )\d+", r"\g<1>999999", text)  # (gone)
    if kind == "paused":
        text = text.replace(":STATUS:   active", ":STATUS:   paused\n"
                            ":PAUSED:   [2026-01-02 Fri 10:00]\n:PAUSE_NOTE: back soon")
    elif kind == "stale":
        text = text.replace(":UPDATED:  [", ":UPDATED:  [2020-01-01 Wed 10:00] [", 1)
    elif kind == "other host":
        text = text.replace("on vm,", "on elsewhere,").replace(":HOST:     vm",
                                                                ":HOST:     elsewhere")
    elif kind == "exited":
        text = text.replace(":STATUS:   active", ":STATUS:   ended\n"
                            ":EXIT:     exit status 3\n:EXITED:   [2026-01-02 Fri 11:00]")
    elif kind == "wrapped":
        text = text.replace(":STATUS:   active", ":STATUS:   wrapped-up")
    elif kind == "edited":  # a person's edit: spacing, a property of theirs, a summary
        text = text.replace(":HOST:     vm", ":HOST: vm\n:MINE: a note").replace(
            ":CUSTOM_ID: summary\n:END:\n", ":CUSTOM_ID: summary\n:END:\nWhat I did.\n")
    elif kind == "crlf":
        text = text.replace("\n", "\r\n")
    elif kind == "no owner":
        text = "\n".join(line for line in text.split("\n") if not line.startswith(":OWNER:"))
    elif kind == "empty":
        text = ""
    elif kind == "conflict":
        text = CONFLICT
    elif kind == "garbage":
        text = "not a session at all\n"
    elif kind == "leased":  # its spawner holds its lease (the test holds the lock)
        pass
    elif kind == "spawn exit":  # its spawner recorded how it ended, well after its last
        earlier = datetime.now() - timedelta(hours=2)  # write (else a record of a run
        text = re.sub(r"(?m)^:UPDATED_AT:.*\n", "", text)  # before it, by a second)
        text = re.sub(r"(?m)^(:UPDATED: +)\[.*\]$", rf"\g<1>[{earlier:%Y-%m-%d %a %H:%M}]",
                      text)
    return text


KINDS = ["crashed", "paused", "stale", "other host", "exited", "wrapped", "edited", "crlf",
         "no owner", "empty", "conflict", "garbage", "leased", "spawn exit"]


def _project(root: Path, count: int, leases: bool) -> list[str]:
    """A project with this agent's session and ``count`` other agents' files of every
    kind, their times spread so that the newest are a mix of kinds (some times equal:
    the order's tie by path). Returns the leased agents' ids."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    run("start", "--title", "Mine", agent=AGENT)
    run("log", "--progress", "a step", agent=AGENT)
    folder = root / ".ai/session-context.d"
    mine = (folder / f"{AGENT}.org").read_text()
    leased = []
    base = datetime(2026, 1, 1).timestamp()
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        agent = f"host.proj.claude.{1700000000 + n}"
        path = folder / f"{agent}.org"
        path.write_bytes(_other(mine, agent, kind).encode())
        when = base + (n * 7919 % count) * 60 + (n % 3 == 0) * 0  # (a few equal times)
        os.utime(path, (when, when if n % 5 else base))
        if kind == "leased":
            leased.append(agent)
    # the one-agent file, another agent's (the map's ``None`` when absent is the other case)
    one = root / ".ai/session-context.org"
    one.write_text(_other(mine, "host.proj.codex.1700009999", "crashed"))
    if leases:
        from ai_protocols.liveness.clock import now_moment

        folder = root / ".ai/.locks/leases"
        folder.mkdir()
        for n in range(count):
            if KINDS[n % len(KINDS)] == "spawn exit":
                (folder / f"host.proj.claude.{1700000000 + n}.exit").write_text(
                    f"exit status 1\n{now_moment().to_property()}\n")
    return leased


def _hold(root: Path, leased: list[str]) -> list[int]:
    """Hold the leases of ``leased`` (as their spawners would): open descriptors."""
    held = []
    folder = root / ".ai/.locks/leases"
    for agent in leased:
        fd = os.open(folder / f"{agent}.lease", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.append(fd)
    return held


def _run(root: Path, args: tuple[str, ...], script: str | None, stdin: str | None
         ) -> tuple[int, str, str]:
    """The installed console script run with ``args`` in ``root`` as agent ``AGENT``
    (``stdin`` with ``ROOT`` put in), or, ``script`` given, the same run under
    ``python -c script`` (which patches a rule before it runs the console script: the
    full read, an old order): its exit status and its output with what differs between
    two projects put aside (:func:`_normal`)."""
    command = [sys.executable, "-c", script, str(CLI), *args] if script else \
        [str(CLI), *args]
    done = subprocess.run(command, cwd=root, env=clean_env(AI_AGENT_ID=AGENT),
                          capture_output=True, text=True, timeout=120,
                          input=(stdin or "").replace("ROOT", str(root)))
    return done.returncode, _normal(done.stdout, root), _normal(done.stderr, root)


def _normal(text: str, root: Path) -> str:
    """``text`` with the root, the clock times (the own session's writes, a second or
    a minute apart in the two projects) and the time since a write (``status --json``'s
    ``age_seconds``, the minutes ago a minute's tick between two runs moves) put
    aside."""
    text = re.sub(r'"age_seconds": \d+', '"age_seconds": N', text.replace(str(root), "ROOT"))
    text = re.sub(r"\b\d+ (minutes|min|hours|days) ago", r"N \1 ago", text)
    return re.sub(r"\b\d\d:\d\d(?::\d\d(?:\.\d+)?)?\b", "HH:MM", text)


HOOK = ('{"session_id": "1764000000", "cwd": "ROOT", "hook_event_name": "SessionStart", '
        '"source": "startup"}')
COMMANDS = [(("resume",), None), (("resume", "--json"), None), (("start",), None),
            (("hook", "SessionStart", "--runtime", "claude"), HOOK),
            (("status", "--json"), None)]


@pytest.mark.parametrize("leases", [False, True], ids=["no leases", "leases"])
def test_beside_many_others_the_cheap_read_says_what_the_whole_read_says(
        tmp_path: Path, leases: bool) -> None:
    """Beside 90 other agents' files (more than the 68 ``resume`` reads: the cheap
    path's order, heads' record and judge run), of every kind a file can be in
    (crashed, paused, stale, on another host, exited, wrapped up in place, a person's
    edit, CRLF, no owner, empty, git's conflict markers, not a session, a held lease, a
    spawner's exit record), each command says with the cheap path what it says reading
    every other file whole, run after run."""
    cheap, full = tmp_path / "cheap", tmp_path / "full"
    cheap.mkdir()
    leased = _project(cheap, 90, leases)
    shutil.copytree(cheap, full, symlinks=True)  # (copy2: the same modification times)
    held = _hold(cheap, leased) + _hold(full, leased) if leases else []
    # (a head is kept only once its file's ctime, which os.utime set to now, is older
    # than git's racy window when a read begins: on a fast machine the whole test ran
    # inside it, and no record was ever written)
    time.sleep(RACY_NS / 1e9 + 0.1)
    try:
        for _ in range(2):  # (the second run: the heads' record the first one filled)
            for args, stdin in COMMANDS:
                said = _run(cheap, args, None, stdin)
                wanted = _run(full, args, FULL, stdin)
                assert said == wanted, (args, said[0], wanted[0], said[2], wanted[2], "".join(
                    difflib.unified_diff(wanted[1].splitlines(True), said[1].splitlines(True))))
                assert said[0] == 0, said
        record = cheap / ".ai/.locks/others.heads"
        assert record.exists()  # (the cheap path ran: its record of heads is there)
        shown = _run(cheap, ("resume",), None, None)[1]
        assert "Left out to fit" in shown and "paused" in shown and "crashed" in shown
        if leases:
            status = _run(cheap, ("status",), None, None)[1]
            assert "its spawner holds the lease" in status, status
            assert "its spawner recorded exit status 1" in status, status
    finally:
        for fd in held:
            os.close(fd)


def test_a_file_gone_between_the_listing_and_its_lstat_is_passed_over(tmp_path: Path
                                                                       ) -> None:
    """``_mtimes`` goes on after a path that is not there (``-1`` in its place), after
    several in a row, and at the start (the one-agent file, mostly not there, comes
    first): what one ``lstat`` per path gives, in the order given."""
    from ai_protocols.session.project import _mtimes

    def one(path: str) -> int:
        try:
            return os.lstat(path).st_mtime_ns
        except OSError:
            return -1

    names = ["gone0", "a", "gone", "b", "gone2", "gone3", "c", "gone4"]
    for n, name in enumerate(("a", "b", "c")):
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, ns=(n * 10**9 + 7, n * 10**9 + 7))
    paths = [str(tmp_path / name) for name in names]
    got = _mtimes(paths)
    assert got == [one(path) for path in paths]
    assert got == [-1, 7, -1, 10**9 + 7, -1, -1, 2 * 10**9 + 7, -1]
    assert _mtimes([]) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), max_size=20))
def test_the_listing_rule_is_the_old_one(names: list[str]) -> None:
    """:func:`session_file_names` keeps what the rule before this round kept, in order:
    an ``.org`` name not hidden (``.``) nor Emacs's (``#``)."""
    from ai_protocols.session.names import is_session_file_name, session_file_names

    old = [n for n in names if n.endswith(".org") and not n.startswith((".", "#"))]
    assert session_file_names(names) == old
    assert [n for n in names if is_session_file_name(n)] == old


_KEYS = ["AGENT_ID", "SESSION_TITLE", "TITLE", "HOST", "STATUS", "STARTED", "UPDATED",
         "UPDATED_AT", "ENDED", "OWNER", "EXIT", "EXITED", "EXIT_BY", "COMPACTIONS",
         "COMPACTED", "CHECKPOINT_FILES", "TASK", "PAUSED", "PAUSE_NOTE", "OBJECTIVE"]
_VALUES = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "[2026-01-02 Fri 10:00]", "<2026-01-02 Fri>", "12", "0", "x [2026-02-30 Mon 10:00]",
     "[2026-01-02 Fri 10:00]--[2026-01-03 Sat 10:00]", "²"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _VALUES))
def test_a_head_without_its_absent_times_parsed_is_the_old_head(props: dict[str, str]
                                                                 ) -> None:
    """A head's times and counts not there (or empty) are not parsed; the session is
    field for field the one every time and count parsed gave."""
    from ai_protocols.org.syntax import parse_timestamp
    from ai_protocols.session.layout import _count, _session_from

    got = _session_from("/p/x.org", props)
    for field, key in (("started", "STARTED"), ("updated", "UPDATED"), ("ended", "ENDED"),
                       ("exited", "EXITED"), ("compacted", "COMPACTED"),
                       ("paused", "PAUSED")):
        assert getattr(got, field) == parse_timestamp(props.get(key, "")), field
    assert got.compactions == _count(props.get("COMPACTIONS", ""))
    assert got.checkpoint_files == _count(props.get("CHECKPOINT_FILES", ""))
    assert got.agent_id == (props.get("AGENT_ID") or None)
    assert got.task == (props.get("TASK") or None)
