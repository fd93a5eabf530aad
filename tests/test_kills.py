"""SIGKILL at random moments, hundreds of times, during start, log and wrap-up.

Each round forks three writers (``os.fork``: milliseconds, not an interpreter
start): two share one session-context file, the third has its own. Each runs
start, log, log..., wrap-up, over and over, saying on a pipe what it is about to
do and what it has done, and is killed with SIGKILL a random delay after it
begins a step chosen at random. The files are large (a 100 KB entry in every
session, two in some), so kills land mid-write.

Afterwards every file is whole and parses (the library, then Emacs in one
batch); every entry a writer was told was written is there exactly once; every
session is in exactly one place, in place or archived (a wrap-up killed between
writing its archive and removing the file leaves a file that is no session, and
that the next command removes); and the temporary files
of killed writes are gone after the next locked write. The randomness is
seeded: a failure names its seed and replays with it.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ai_protocols import LogEntry, NoSession, Project, SessionWrappedUp, read_session

from emacs import assert_reader_agrees, org_element

SEED = int(os.environ.get("KILL_TEST_SEED", "20261121"))
ROUNDS = 100  # three writers killed in each
MAX_STEPS = 6  # a writer is killed during or after one of its first MAX_STEPS steps
MAX_DELAY = 0.02  # seconds after the start of that step
AGENT = "host.proj.claude.1700000000"
SLOTS = (AGENT, AGENT, None)  # two writers contend for one file
BIG = "".join(f"{n:04} {'lorem ipsum dolor sit amet ' * 32}\n" for n in range(120))


def _writer(root: Path, agent: str | None, tag: str, fd: int) -> NoReturn:
    """Start, log and wrap up until killed; say each step on ``fd`` before and after."""

    def say(line: str) -> None:
        os.write(fd, f"{line}\n".encode())

    try:
        project = Project(root, agent)
        n = 0
        while True:
            n += 1
            say("doing start")
            report = project.start(title=f"{tag}n{n}")
            title = report.session.title
            say(f"started {title}")
            try:
                if not report.session.discoveries:  # make the file large
                    n += 1
                    say("doing log")
                    project.log(LogEntry("discovery", f"big-{tag}n{n}\n{BIG}"))
                    say(f"logged big-{tag}n{n}")
                for _ in range(3):
                    n += 1
                    say("doing log")
                    project.log(LogEntry("progress", f"e-{tag}n{n}"))
                    say(f"logged e-{tag}n{n}")
                say("doing wrap-up")
                say(f"archived {project.wrap_up(f'done {title}')}")
            except (SessionWrappedUp, NoSession) as error:  # the other writer wrapped it up
                say(f"refused {type(error).__name__}")
    except BaseException:
        say("crashed " + traceback.format_exc().replace("\n", " | "))
        os._exit(1)


def _temporary_files(ai: Path) -> list[Path]:
    return sorted(ai.rglob("*.tmp"))


def _kill_round(root: Path, round_: int, rng: random.Random) -> list[list[str]]:
    """Fork the writers; kill each a random delay after it announces its n-th step,
    n at random (a delay, not a clock from the fork: a loaded machine shifts nothing).
    Return what each said."""
    writers = []
    for slot, agent in enumerate(SLOTS):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer
            os.close(read_end)
            _writer(root, agent, f"r{round_}w{slot}", write_end)
        os.close(write_end)
        writers.append(_Victim(pid, read_end, rng.randint(1, MAX_STEPS),
                               rng.uniform(0, MAX_DELAY)))
    live = list(writers)
    deadline = time.monotonic() + 60
    while live:
        now = time.monotonic()
        assert now < deadline, f"seed {SEED}, round {round_}: the writers hang"
        for writer in [w for w in live if w.kill_at is not None and w.kill_at <= now]:
            os.kill(writer.pid, signal.SIGKILL)
            live.remove(writer)
        if not live:
            break
        watched = [w for w in live if w.kill_at is None]
        dues = [w.kill_at for w in live if w.kill_at is not None]
        timeout = max(0.0, min(dues) - now) if dues else 1.0
        ready, _, _ = select.select([w.fd for w in watched], [], [], timeout)
        for writer in watched:
            if writer.fd in ready:
                chunk = os.read(writer.fd, 65536)
                writer.said += chunk
                steps = sum(line.startswith(b"doing ") for line in writer.said.split(b"\n"))
                if not chunk or steps >= writer.step:  # (no more: it ended by itself)
                    writer.kill_at = time.monotonic() + writer.delay
    reports = []
    for writer in writers:
        _, status = os.waitpid(writer.pid, 0)
        while chunk := os.read(writer.fd, 65536):
            writer.said += chunk
        os.close(writer.fd)
        lines = writer.said.decode().splitlines()
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
            f"seed {SEED}, round {round_}: a writer ended by itself: {lines[-1:]}"
        reports.append(lines)
    return reports


@dataclass
class _Victim:
    pid: int
    fd: int
    step: int  # killed after announcing this many steps...
    delay: float  # ... and this many seconds more
    kill_at: float | None = None
    said: bytes = b""


def test_sigkill_during_start_log_and_wrap_up(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    ai = root / ".ai"
    rng = random.Random(SEED)
    said: list[str] = []
    killed_in: Counter[str] = Counter()
    partial_writes: set[Path] = set()  # temporary files that killed writes left
    for round_ in range(ROUNDS):
        for lines in _kill_round(root, round_, rng):
            said += lines
            last = lines[-1] if lines else "doing nothing yet"
            killed_in[last.split()[1] if last.startswith("doing ") else "between steps"] += 1
        partial_writes.update(_temporary_files(ai))

    context = f"seed {SEED}"
    # The kills landed everywhere: in each step, and mid-write.
    print(f"kills by step: {dict(killed_in)}; kills mid-write: {len(partial_writes)}")
    assert sum(killed_in.values()) == 3 * ROUNDS
    for step in ("start", "log", "wrap-up"):
        assert killed_in[step] >= 15, f"{context}: too few kills during {step}: {killed_in}"
    assert len(partial_writes) >= 5, f"{context}: too few kills landed mid-write"

    logged = [line.split()[1] for line in said if line.startswith("logged ")]
    started = {line.split()[1] for line in said if line.startswith("started ")}
    # Not which session each archive holds: while a writer logs, the other writer of
    # its file may wrap its session up and start another, which it then wraps up.
    archived = {line.split()[1] for line in said if line.startswith("archived ")}
    print(f"wrap-ups finished: {len(archived)}; archives: "
          f"{len(list((ai / 'sessions').glob('*.org')))}")
    assert len(archived) >= 10, f"{context}: too few wrap-ups finished: {len(archived)}"

    # A move (wrap-up) killed after it wrote the archive but before it removed the file
    # leaves both; the file is then no session (Project.read says so, and the next
    # command removes it), so it is not counted in place.
    in_place = [p for p in [ai / "session-context.org", *(ai / "session-context.d").glob("*.org")]
                if p.exists() and Project(root).read(p) is not None]
    snapshot = tmp_path / "in-place"
    snapshot.mkdir()
    copies = [Path(shutil.copy(p, snapshot / p.name)) for p in in_place]
    check_state(ai, in_place, logged, started, archived, context)

    # The next locked write of each session clears what killed writes left, and each
    # session can be carried on and wrapped up.
    for agent in (AGENT, None):
        project = Project(root, agent)
        project.start(title=f"final {agent}")
        project.log(LogEntry("progress", f"after the kills {agent}"))
        project.wrap_up("after the kills")
        logged.append(f"after the kills {agent}")
    assert _temporary_files(ai) == []
    # (protocols.org: the first fresh start set the project up, as init does)
    assert not [p for p in ai.rglob("*.org")
                if "sessions" not in p.parts and p.name != "protocols.org"]
    check_state(ai, [], logged, started, archived, context)

    files = [*copies, *sorted((ai / "sessions").glob("*.org"))]
    for path, parsed in zip(files, org_element(files), strict=True):
        assert_reader_agrees(path, parsed)


def check_state(ai: Path, in_place: list[Path], logged: list[str], started: set[str],
                archived: set[str], context: str) -> None:
    """Every file whole; every session in exactly one place; every entry once."""
    archives = sorted((ai / "sessions").glob("*.org"))
    where: dict[str, list[Path]] = {}
    entries: Counter[str] = Counter()
    for path in [*in_place, *archives]:
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{context}: {path} is cut short"
        session = read_session(path, data.decode("utf-8"))
        assert session.status in (("active", "wrapped-up") if path in in_place
                                  else ("wrapped-up",)), f"{context}: {path}: {session.status}"
        where.setdefault(str(session.title), []).append(path)
        for item in session.discoveries:
            name, _, text = item.text.partition("\n")
            assert text == BIG, f"{context}: {path}: the entry {name} is not whole"
            entries[name] += 1
        entries.update(item.text for item in session.progress)
    doubled = {title: paths for title, paths in where.items() if len(paths) > 1}
    assert not doubled, f"{context}: sessions in more than one place: {doubled}"
    assert started <= where.keys(), f"{context}: sessions lost: {started - where.keys()}"
    assert archived <= {str(p) for p in archives}, f"{context}: archives lost"
    assert entries.most_common(1)[0][1] == 1, f"{context}: {entries.most_common(3)} twice"
    missing = set(logged) - entries.keys()
    assert not missing, f"{context}: entries reported written are missing: {sorted(missing)}"


def test_the_next_locked_write_removes_what_killed_writes_left(tmp_path: Path) -> None:
    """The temporary files a killed write leaves (as ``atomic_write`` names them under
    the lock: :func:`~ai_protocols.storage.files.temporary_name`) beside the session
    file, its pending file, its tombstone and its kept copy go at the next write
    under the same lock, and nothing else does: not the live temporary file of
    ``a.org.b.org``, which another lock guards."""
    from ai_protocols.storage.files import temporary_name

    def temporary(name: str, second: bool = False) -> str:
        return temporary_name(name, locked=True, second=second)

    project = Project(tmp_path, "a")
    project.start()
    Project(tmp_path, "a.org.b").start()
    ai = tmp_path / ".ai"
    context = ai / "session-context.d"
    left = [context / temporary("a.org"), context / temporary(".a.org.pending.org"),
            ai / ".locks/session-context.d" / temporary("a.org.gone"),
            ai / ".locks/live/session-context.d" / temporary("a.org"),
            context / temporary("a.org", second=True)]
    others = [context / temporary("a.org.b.org"), context / "a.org.notes.tmp"]
    for path in [*left, *others]:
        path.write_text("partial")
    project.log(LogEntry("progress", "after a kill"))
    assert [p.exists() for p in left + others] == [False] * len(left) + [True] * len(others)
