"""Many agents write at once: threads, a pool thrashing one file, real processes, the CLI.

Nothing here trusts counters alone. Every writer records each lock it holds,
``(target, start, end)`` from ``time.monotonic()`` (CLOCK_MONOTONIC: one clock
for every process on the host), taken just after the lock is acquired and just
before it is released; two holds of one lock must never overlap, and there
must be exactly one hold per write. Forked children install the recorder in
themselves only; the installed ``ai-protocols`` gets it through a
``sitecustomize`` on ``PYTHONPATH``. ``test_the_checks_catch_a_broken_lock``
shows that the checks fail when the lock does nothing.
"""

from __future__ import annotations

import contextlib
import inspect
import multiprocessing
import os
import re
import socket
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ai_protocols import (
    AiProtocolsError,
    LogEntry,
    Project,
    SessionWrappedUp,
    mint_agent_id,
    read_session,
)
from ai_protocols.paths import id_part
from ai_protocols.storage import files as storage

from conftest import CLI, Runner, clean_env
from emacs import assert_reader_agrees, org_element

FORK = multiprocessing.get_context("fork")
HOLDS_ENV = "TEST_LOCK_HOLDS"  # not AI_*: conftest's clean_env keeps it


# -- recording lock holds -----------------------------------------------------------------


def recording_lock(real, folder, broken=False):
    """``real`` (``storage.locked``), appending one line per hold to ``folder/<pid>``:
    ``target TAB start TAB end TAB pid/thread``. ``broken`` takes no lock at all.
    (Untyped: its source is also written into a ``sitecustomize``.)"""

    @contextlib.contextmanager
    def locked(ai_dir, target):
        span = []
        try:
            with contextlib.nullcontext() if broken else real(ai_dir, target):
                span.append(time.monotonic())
                try:
                    yield
                finally:
                    span.append(time.monotonic())
        finally:
            if len(span) == 2:
                line = (f"{target}\t{span[0]!r}\t{span[1]!r}\t"
                        f"{os.getpid()}/{threading.get_ident()}\n")
                fd = os.open(os.path.join(folder, str(os.getpid())),
                             os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)

    return locked


def install_hold_recorder(folder, broken=False):
    """Record every lock this whole process takes (call in a child process only)."""
    from ai_protocols import identity as ids
    from ai_protocols.storage import files as storage

    locked = recording_lock(storage.locked, folder, broken)
    storage.locked = locked  # session.project calls it as storage.locked
    ids.locked = locked  # identity imported the name


class Hold(NamedTuple):
    target: str
    start: float
    end: float
    who: str


def read_holds(folder: Path) -> list[Hold]:
    holds = []
    for file in folder.iterdir():
        for line in file.read_text().splitlines():
            target, start, end, who = line.split("\t")
            holds.append(Hold(target, float(start), float(end), who))
    return holds


def overlaps(holds: list[Hold]) -> list[tuple[Hold, Hold]]:
    """Every pair of holds of one lock that overlap in time (a sweep, not just neighbours)."""
    found = []
    by_target: dict[str, list[Hold]] = defaultdict(list)
    for hold in holds:
        by_target[hold.target].append(hold)
    for spans in by_target.values():
        spans.sort(key=lambda h: h.start)
        last = spans[0]  # of the holds so far, the one that ends last
        for hold in spans[1:]:
            if hold.start < last.end:
                found.append((last, hold))
            if hold.end > last.end:
                last = hold
    return found


def assert_exclusive(folder: Path, counts: dict[Path, int | tuple[int, int]]) -> list[Hold]:
    """No two holds of one lock overlap, and each target was locked ``counts`` times (or
    between the two counts given: a ``log`` that finds no file is refused before it
    takes the lock, so whether it locks depends on when it ran)."""
    holds = read_holds(folder)
    bad = overlaps(holds)
    assert not bad, f"{len(bad)} overlapping lock holds, e.g. {bad[0]}"
    held = Counter(h.target for h in holds)
    for target, count in counts.items():
        low, high = count if isinstance(count, tuple) else (count, count)
        assert low <= held[str(target)] <= high, \
            f"{target}: {held[str(target)]} holds, not {count}"
    return holds


@pytest.fixture
def holds_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "holds"
    folder.mkdir()
    return folder


@pytest.fixture
def cli_env(tmp_path: Path, holds_dir: Path) -> dict[str, str]:
    """An environment in which the installed ``ai-protocols`` records its lock holds."""
    hook = tmp_path / "hook"
    hook.mkdir()
    sources = [inspect.getsource(f) for f in (recording_lock, install_hold_recorder)]
    (hook / "sitecustomize.py").write_text(
        "import contextlib, os, threading, time\n\n\n" + "\n\n".join(sources)
        + f"\n\nif os.environ.get({HOLDS_ENV!r}):\n"
        f"    install_hold_recorder(os.environ[{HOLDS_ENV!r}])\n")
    return clean_env(PYTHONPATH=str(hook), **{HOLDS_ENV: str(holds_dir)})


# -- running forked writers ---------------------------------------------------------------


def _child(job: Callable[[], list[str]], barrier: object, report: Path, holds: Path,
           broken: bool) -> None:
    install_hold_recorder(str(holds), broken)
    barrier.wait(timeout=60)  # type: ignore[attr-defined]
    said = job()
    report.write_text("".join(f"{line}\n" for line in said))


def run_forked(tmp_path: Path, holds: Path, jobs: list[Callable[[], list[str]]],
               broken: bool = False) -> list[list[str]]:
    """Run each job in its own forked process, all let go at once; return what each
    reported (one list of lines per job)."""
    reports = tmp_path / f"reports-{time.monotonic_ns()}"
    reports.mkdir()
    barrier = FORK.Barrier(len(jobs))
    procs = [FORK.Process(target=_child, args=(job, barrier, reports / str(n), holds, broken),
                          daemon=True) for n, job in enumerate(jobs)]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + 120
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join()
    assert [p.exitcode for p in procs] == [0] * len(procs), "a writer failed (see stderr)"
    return [(reports / str(n)).read_text().splitlines() for n in range(len(jobs))]


# -- what was written ---------------------------------------------------------------------


def entry(text: str, n: int) -> LogEntry:
    """Entries of four kinds, so that every section is spliced into concurrently."""
    kind = ("progress", "discovery", "next", "decision")[n % 4]
    return LogEntry(kind, text, f"because {text}" if kind == "decision" else None)  # type: ignore[arg-type]


def recorded(path: Path) -> Counter[tuple[str, str]]:
    """``(kind, text)`` of every entry in the file; the Log section must hold one line
    for each, and a decision its rationale."""
    session = read_session(path, path.read_bytes().decode("utf-8"))
    found: Counter[tuple[str, str]] = Counter()
    for kind, bucket in (("progress", session.progress), ("discovery", session.discoveries),
                         ("next", session.next_steps), ("decision", session.decisions)):
        for item in bucket:
            found[(kind, item.text)] += 1
            if kind == "decision":
                assert item.rationale == f"because {item.text}"
    log = Counter(e.text for e in session.log if not e.text.startswith(("start:", "wrap-up:")))
    assert log == Counter(f"{kind}: {text}" for kind, text in found.elements()), \
        f"{path}: the Log section does not match the sections"
    return found


def expected(entries: list[LogEntry]) -> Counter[tuple[str, str]]:
    return Counter((e.kind, e.text) for e in entries)


def assert_no_temporary_files(folder: Path) -> None:
    assert [p for p in folder.rglob("*.tmp")] == []


def log_all(root: Path, agent: str | None, entries: list[LogEntry]) -> Callable[[], list[str]]:
    def job() -> list[str]:
        project = Project(root, agent)
        for item in entries:
            project.log(item)
        return [e.text for e in entries]
    return job


# -- threads in one process ---------------------------------------------------------------


def test_threads_in_one_process_take_turns(tmp_path: Path, holds_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """8 threads x 25 entries: each thread's lock is its own open file, so flock
    excludes threads of one process as it does processes."""
    project = Project(tmp_path, None)
    project.start()
    monkeypatch.setattr(storage, "locked", recording_lock(storage.locked, str(holds_dir)))
    entries = [[entry(f"t{t}-{i}", i) for i in range(25)] for t in range(8)]
    barrier = threading.Barrier(8)

    def work(mine: list[LogEntry]) -> None:
        barrier.wait(timeout=30)
        for item in mine:
            project.log(item)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert_exclusive(holds_dir, {project.path: 200})
    assert recorded(project.path) == expected([e for mine in entries for e in mine])


# -- a pool thrashing one file ------------------------------------------------------------


def _thrash(project: Project, n: int) -> str:
    """One pool task: log one entry, or read the file while others replace it."""
    if n % 5 == 4:
        session = project.show()  # an unlocked reader sees a whole file, old or new
        assert session.status == "active"
        return ""
    project.log(entry(f"task-{n}", n))
    return f"task-{n}"


_POOL_PROJECT: list[Project] = []


def _pool_init(root: str, holds: str) -> None:
    install_hold_recorder(holds)
    _POOL_PROJECT.append(Project(root, None))


def _pool_task(n: int) -> str:
    try:
        return _thrash(_POOL_PROJECT[0], n)
    except Exception as error:  # as text: not every library error survives pickling
        return f"failed: {error!r}"


@pytest.mark.parametrize("pool", ["threads", "processes"])
def test_a_pool_thrashing_one_file(tmp_path: Path, holds_dir: Path, pool: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """300 tasks on 12 workers, one task at a time each, writes mixed with reads."""
    project = Project(tmp_path, None)
    project.start()
    tasks = range(300)
    if pool == "threads":
        monkeypatch.setattr(storage, "locked", recording_lock(storage.locked, str(holds_dir)))
        with ThreadPoolExecutor(max_workers=12) as executor:
            done = list(executor.map(lambda n: _thrash(project, n), tasks))
    else:
        with FORK.Pool(12, initializer=_pool_init, initargs=(str(tmp_path), str(holds_dir))) \
                as workers:
            done = workers.map_async(_pool_task, tasks, chunksize=1).get(timeout=120)
    written = [entry(f"task-{n}", n) for n in tasks if n % 5 != 4]
    assert [t for t in done if t] == [e.text for e in written]
    assert_exclusive(holds_dir, {project.path: len(written)})
    assert recorded(project.path) == expected(written)


# -- real processes -----------------------------------------------------------------------


def test_32_processes_log_50_entries_each_to_one_file(tmp_path: Path, holds_dir: Path) -> None:
    project = Project(tmp_path, None)
    project.start()
    entries = [[entry(f"p{p:02}-{i:02}", i + p) for i in range(50)] for p in range(32)]
    said = run_forked(tmp_path, holds_dir, [log_all(tmp_path, None, mine) for mine in entries])
    assert said == [[e.text for e in mine] for mine in entries]
    holds = assert_exclusive(holds_dir, {project.path: 1600})
    assert len({h.who for h in holds}) == 32
    assert recorded(project.path) == expected([e for mine in entries for e in mine])
    assert_no_temporary_files(tmp_path / ".ai")
    # The lock files live under .ai/.locks/, never beside a file a person opens.
    assert Path(storage.lock_path(tmp_path / ".ai", project.path)).exists()
    assert [p.name for p in (tmp_path / ".ai").glob("*lock*")] == [".locks"]
    assert_reader_agrees(project.path, org_element([project.path])[0])


def test_32_processes_log_50_entries_each_to_32_files(tmp_path: Path, holds_dir: Path) -> None:
    """Process p writes its i-th entry to file (p + i) % 32: each file gets 50 entries
    from 32 different processes."""
    agents = [f"host.proj.claude.17000000{n:02}" for n in range(32)]
    for agent in agents:
        Project(tmp_path, agent).start()
    plan: dict[int, list[tuple[int, LogEntry]]] = {p: [] for p in range(32)}
    for p in range(32):
        for i in range(50):
            plan[p].append(((p + i) % 32, entry(f"p{p:02}-{i:02}", i)))

    def writer(mine: list[tuple[int, LogEntry]]) -> Callable[[], list[str]]:
        def job() -> list[str]:
            for target, item in mine:
                Project(tmp_path, agents[target]).log(item)
            return [item.text for _, item in mine]
        return job

    said = run_forked(tmp_path, holds_dir, [writer(plan[p]) for p in range(32)])
    assert said == [[item.text for _, item in plan[p]] for p in range(32)]
    paths = [Project(tmp_path, agent).path for agent in agents]
    assert_exclusive(holds_dir, dict.fromkeys(paths, 50))
    for n, path in enumerate(paths):
        assert recorded(path) == expected([e for p in range(32) for t, e in plan[p] if t == n])
    assert_no_temporary_files(tmp_path / ".ai")
    for path, parsed in zip(paths, org_element(paths), strict=True):
        assert_reader_agrees(path, parsed)


def test_files_whose_names_share_a_prefix_do_not_disturb_each_other(
        tmp_path: Path, holds_dir: Path) -> None:
    """Agents ``a`` and ``a.org.b`` write ``a.org`` and ``a.org.b.org``, under different
    locks. Cleaning up after killed writers of ``a.org`` once also removed the live
    temporary file ``.a.org.b.org.<random>.tmp``, failing that write (exit 9)."""
    agents = ["a", "a.org.b"]
    for agent in agents:
        Project(tmp_path, agent).start()
    entries = {agent: [entry(f"{agent}-{i}", i) for i in range(150)] for agent in agents}
    run_forked(tmp_path, holds_dir, [log_all(tmp_path, a, entries[a]) for a in agents])
    for agent in agents:
        assert recorded(Project(tmp_path, agent).path) == expected(entries[agent])


def test_the_checks_catch_a_broken_lock(tmp_path: Path, holds_dir: Path) -> None:
    """With ``locked`` made a no-op in the children, the same run must be caught:
    holds overlap, and entries are lost or writes fail."""
    project = Project(tmp_path, None)
    project.start()
    entries = [[entry(f"p{p}-{i:02}", i) for i in range(20)] for p in range(8)]

    def careless(mine: list[LogEntry]) -> Callable[[], list[str]]:
        def job() -> list[str]:
            said = []
            for item in mine:
                try:
                    project.log(item)
                    said.append(f"ok {item.text}")
                except (AiProtocolsError, OSError) as error:
                    said.append(f"failed {item.text}: {error}")
            return said
        return job

    said = run_forked(tmp_path, holds_dir, [careless(mine) for mine in entries], broken=True)
    assert overlaps(read_holds(holds_dir)), "the hold check missed a lock that excludes nothing"
    failed = [line for lines in said for line in lines if line.startswith("failed")]
    lost = expected([e for mine in entries for e in mine]) - recorded(project.path)
    assert failed or lost, "a lock that excludes nothing lost no entry"


# -- the CLI --------------------------------------------------------------------------------


def test_cli_logs_from_8_processes(project: Path, run: Runner,
                                   holds_dir: Path, cli_env: dict[str, str]) -> None:
    run("start")
    script = 'for i in 0 1 2 3 4; do "$0" log --progress "w$1-$i" >/dev/null || exit 1; done'
    procs = [subprocess.Popen(["sh", "-c", script, str(CLI), str(w)], cwd=project, env=cli_env)
             for w in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    path = project / ".ai/session-context.org"
    assert_exclusive(holds_dir, {path: 40})
    assert recorded(path) == Counter(("progress", f"w{w}-{i}") for w in range(8) for i in range(5))


# -- a wrap-up racing with logs -----------------------------------------------------------


def _refusal(path: Path, archive: Path) -> str:
    return (f"the session at {path} is already wrapped up (archived to {archive}); "
            "run 'ai-protocols start'")


def _log_until_refused(project: Project, w: int, written: Any) -> list[str]:
    """Log entries until refused three times; count the ones written in ``written``."""
    said: list[str] = []
    deadline = time.monotonic() + 60
    n = 0
    while sum(s.startswith("refused") for s in said) < 3:
        assert time.monotonic() < deadline, "the wrap-up never came"
        item = entry(f"w{w}-{n}", n + w)
        n += 1
        try:
            project.log(item)
        except SessionWrappedUp as error:
            said.append(f"refused {item.kind} {item.text} {error}")
            continue
        said.append(f"ok {item.kind} {item.text}")
        with written.get_lock():
            written.value += 1
    return said


def _wrap_up_after(project: Project, written: Any, count: int) -> list[str]:
    deadline = time.monotonic() + 60
    while written.value < count:
        assert time.monotonic() < deadline, "the loggers never wrote enough"
        time.sleep(0.001)
    return [str(project.wrap_up("raced by loggers"))]


def test_a_wrap_up_racing_logs_loses_nothing(tmp_path: Path, holds_dir: Path) -> None:
    """8 processes log until refused while a 9th wraps up after 60 entries: every entry
    is in the archive exactly once or was refused, saying the session is already
    wrapped up and where it went; once refused, a writer stays refused."""
    archives: list[Path] = []
    for round_, agent in enumerate(["host.proj.claude.1700000001", None]):
        project = Project(tmp_path, agent)
        project.start()
        written = FORK.Value("i", 0)
        before = set((tmp_path / ".ai/sessions").glob("*.org"))
        holds = holds_dir / str(round_)
        holds.mkdir()
        jobs = [partial(_log_until_refused, project, w, written) for w in range(8)]
        jobs.append(partial(_wrap_up_after, project, written, 60))
        said = run_forked(tmp_path, holds, jobs)
        archive = Path(said[-1][0])
        assert set((tmp_path / ".ai/sessions").glob("*.org")) - before == {archive}
        assert not project.path.exists()
        ok: list[LogEntry] = []
        for lines in said[:-1]:
            outcomes = [line.split(" ", 3) for line in lines]
            assert [o[0] for o in outcomes] == sorted(o[0] for o in outcomes), \
                f"a writer logged after it was refused: {lines}"
            assert outcomes[-1][0] == "refused"
            for verdict, kind, text, *error in outcomes:
                if verdict == "ok":
                    ok.append(LogEntry(kind, text))  # type: ignore[arg-type]
                else:
                    assert error == [_refusal(project.path, archive)]
        assert len(ok) >= 60
        tries = sum(len(lines) for lines in said[:-1])
        assert_exclusive(holds, {project.path: (len(ok) + 1, tries + 1)})
        assert recorded(archive) == expected(ok)  # the refused ones are not there
        archives.append(archive)
    org_element(archives)


def test_a_wrap_up_racing_cli_logs(project: Path, run: Runner,
                                   holds_dir: Path, cli_env: dict[str, str]) -> None:
    """Through the CLI: each ``log`` either exits 0 and is in the archive, or exits 7
    with the documented message."""
    run("start")
    script = ('i=0; while [ $i -lt 300 ]; do '
              '"$0" log --progress "w$1-$i" >/dev/null 2>"err.$1" || '
              '{ echo $? >"rc.$1"; exit 0; }; '
              'echo "w$1-$i" >>"ok.$1"; i=$((i+1)); done; echo never >"rc.$1"')
    procs = [subprocess.Popen(["sh", "-c", script, str(CLI), str(w)], cwd=project, env=cli_env)
             for w in range(4)]
    deadline = time.monotonic() + 60

    def oks() -> list[str]:
        return [line for w in range(4) if (project / f"ok.{w}").exists()
                for line in (project / f"ok.{w}").read_text().splitlines()]

    while len(oks()) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    wrapped = subprocess.run([str(CLI), "wrap-up", "raced"], cwd=project, env=cli_env,
                             capture_output=True, text=True, timeout=60)
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    assert wrapped.returncode == 0, wrapped.stderr
    archive = Path(wrapped.stdout.strip())
    path = project / ".ai/session-context.org"
    assert list((project / ".ai/sessions").glob("*.org")) == [archive]
    assert not path.exists()
    for w in range(4):
        assert (project / f"rc.{w}").read_text() == "7\n"
        assert (project / f"err.{w}").read_text() == f"Error: {_refusal(path, archive)}\n"
    assert recorded(archive) == Counter(("progress", t) for t in oks())
    assert_exclusive(holds_dir, {path: (len(oks()) + 1, len(oks()) + 4 + 1)})


# -- concurrent wrap-ups ------------------------------------------------------------------


def test_concurrent_wrap_ups_make_one_archive(tmp_path: Path, holds_dir: Path) -> None:
    """6 rounds of 4 processes wrapping up one session at once: one archive each round;
    the others are told it is already wrapped up, and where to."""
    project = Project(tmp_path, "host.proj.claude.1700000002")
    sessions = tmp_path / ".ai/sessions"
    for round_ in range(6):
        project.start()
        project.log(LogEntry("progress", f"round {round_}"))
        before = set(sessions.glob("*.org"))

        def wrapper() -> list[str]:
            try:
                return [f"archived {project.wrap_up('both at once')}"]
            except SessionWrappedUp as error:
                return [f"refused {error}"]

        holds = holds_dir / str(round_)
        holds.mkdir()
        said = sorted(lines[0] for lines in run_forked(tmp_path, holds, [wrapper] * 4))
        assert [s.split()[0] for s in said] == ["archived", "refused", "refused", "refused"]
        archive = Path(said[0].removeprefix("archived "))
        assert set(sessions.glob("*.org")) - before == {archive}
        assert not project.path.exists()
        assert said[1:] == [f"refused {_refusal(project.path, archive)}"] * 3
        assert recorded(archive) == Counter([("progress", f"round {round_}")])
        # Each wrap-up takes the archive's lock with the session's, before it reads; one
        # that starts once the file is archived is refused before it locks anything (so
        # whether it locks depends on when it ran, as for log).
        holds_of = assert_exclusive(holds, {project.path: (1, 4), sessions / ".archive": (1, 4)})
        by_target = Counter(h.target for h in holds_of)
        assert by_target[str(project.path)] == by_target[str(sessions / ".archive")]
    assert len(list(sessions.glob("*.org"))) == 6


def test_two_cli_wrap_ups_at_once(project: Path, run: Runner,
                                  holds_dir: Path, cli_env: dict[str, str]) -> None:
    path = project / ".ai/session-context.org"
    for round_ in range(3):
        run("start")
        run("log", "--progress", f"round {round_}")
        procs = [subprocess.Popen([str(CLI), "wrap-up", "twice"], cwd=project, env=cli_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = sorted((p.wait(timeout=60), *p.communicate()) for p in procs)
        assert [code for code, _, _ in results] == [0, 7], results
        archive = Path(results[0][1].strip())
        assert results[1][1:] == ("", f"Error: {_refusal(path, archive)}\n")
        assert recorded(archive) == Counter([("progress", f"round {round_}")])
    assert len(list((project / ".ai/sessions").glob("*.org"))) == 3
    assert not path.exists()
    # Each round's winner holds the lock; its loser too, unless it found the file gone
    # (and its tombstone) before it locked.
    assert_exclusive(holds_dir, {path: (3, 6)})


# -- agent ids ------------------------------------------------------------------------------


def test_agent_ids_minted_at_once_are_all_different(tmp_path: Path, holds_dir: Path) -> None:
    """16 processes x 20 ids, all in the same second or two: no lock, no record, and
    no two alike (the random digits of their tails tell them apart)."""

    def minter() -> list[str]:
        return [mint_agent_id("claude", tmp_path) for _ in range(20)]

    said = run_forked(tmp_path, holds_dir, [minter] * 16)
    ids = [i for lines in said for i in lines]
    assert len(ids) == 320 and len(set(ids)) == 320
    assert read_holds(holds_dir) == []
    for lines in said:  # each process's ids never go back in time
        assert lines == sorted(lines, key=_id_order)


def _id_order(agent_id: str) -> int:
    return int(agent_id.rsplit(".", 1)[1].partition("-")[0])


def test_cli_agent_id_and_spawn_at_once_never_share_an_id(
        project: Path, holds_dir: Path, cli_env: dict[str, str]) -> None:
    """32 ``agent-id`` and 16 ``spawn`` processes started together."""
    host = id_part(socket.gethostname().split(".")[0], "host")
    shape = re.compile(rf"{re.escape(host)}\.proj\.x\.[0-9]{{10}}-[0-9a-f]{{12}}")
    (project / "ids").mkdir()
    minting = [subprocess.Popen([str(CLI), "agent-id", "--runtime", "x"], cwd=project,
                                env=cli_env, stdout=subprocess.PIPE, text=True)
               for _ in range(32)]
    spawning = [subprocess.Popen(
        [str(CLI), "spawn", "--runtime", "x", "--", "sh", "-c",
         'printf %s "$AI_AGENT_ID" > "ids/$$"'],
        cwd=project, env=cli_env, stderr=subprocess.PIPE, text=True) for _ in range(16)]
    minted = []
    for proc in minting:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        minted.append(out.strip())
    announced = []
    for proc in spawning:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        announced.append(err.removeprefix("ai-protocols spawn: AI_AGENT_ID=").strip())
    seen = [p.read_text() for p in (project / "ids").iterdir()]
    assert sorted(seen) == sorted(announced)
    ids = minted + seen
    assert len(ids) == 48 and len(set(ids)) == 48, Counter(ids).most_common(3)
    assert all(shape.fullmatch(i) for i in ids), ids
    # Minting takes no lock; a spawner whose agent started no session finds no file to
    # record the exit in, and takes no lock for it.
    assert read_holds(holds_dir) == []



HOLD_WITH_FILELOCK = """
import sys, time, filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""
HOLD_WITH_OURS = """
import sys, time
from pathlib import Path
from ai_protocols.storage.files import OsLock
lock = OsLock(Path(sys.argv[1]))
lock.acquire(5)
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("holder", [HOLD_WITH_FILELOCK, HOLD_WITH_OURS])
def test_our_lock_and_filelocks_exclude_each_other(project: Path, run: Runner,
                                                   holder: str) -> None:
    """On POSIX the session lock is flock(2) taken directly, not through filelock (whose
    import costs more than a whole log may): it is the same lock, so a filelock holder
    keeps a log out and a holder of ours keeps a filelock waiter out."""
    import json
    import sys

    import filelock

    run("start")
    lock_file = Path(storage.lock_path(project / ".ai", project / ".ai/session-context.org"))
    proc = subprocess.Popen([sys.executable, "-c", holder, str(lock_file)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        refused = run("log", "--progress", "x", check=False,
                      env={"AI_PROTOCOLS_LOCK_TIMEOUT": "0.3"})
        assert refused.returncode == 8, refused.stderr
        assert refused.stderr.startswith("Error: could not lock ")
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(lock_file).acquire(timeout=0.3)
    finally:
        proc.kill()
        proc.wait()
    run("log", "--progress", "x")  # the kernel dropped the killed holder's lock
    with filelock.FileLock(lock_file, timeout=1):
        pass
    progress = json.loads(run("show", "--json").stdout)["progress"]
    assert [entry["text"] for entry in progress] == ["x"]  # the refused log wrote nothing


# -- git deleting the lock files (issue 11, point 3) ------------------------------------------


def test_git_clean_deleting_the_locks_loses_no_acknowledged_entry(
        project: Path, run: Runner, tmp_path: Path, holds_dir: Path,
        cli_env: dict[str, str]) -> None:
    """16 CLI loggers on one session file while ``git clean -fdxq`` runs in a loop beside
    them, deleting ``.ai/.locks/`` (ignored) and any temporary file of a write under way.
    The session file is committed, so only those go. A ``log`` may fail (its temporary
    file deleted: exit 9), but every one that exited 0 is in the file, once; and no two
    holds of the lock overlap although its file is deleted and made again and again."""
    run("start")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                    "-q", "-m", "session"], cwd=project, check=True)
    acks = tmp_path / "acks"  # outside the work tree: git clean must not take these
    acks.mkdir()
    script = ('i=0; while [ $i -lt 13 ]; do '
              'if "$0" log --progress "w$1-$i" >/dev/null 2>>"$2/err.$1"; '
              'then echo "w$1-$i" >>"$2/ok.$1"; else echo $? >>"$2/rc.$1"; fi; '
              'i=$((i+1)); done')
    stop = threading.Event()
    cleans = [0]

    def cleaner() -> None:
        while not stop.is_set():
            subprocess.run(["git", "clean", "-fdxq"], cwd=project, capture_output=True)
            cleans[0] += 1
            stop.wait(0.02)

    thread = threading.Thread(target=cleaner)
    thread.start()
    try:
        procs = [subprocess.Popen(["sh", "-c", script, str(CLI), str(w), str(acks)],
                                  cwd=project, env=cli_env) for w in range(16)]
        assert [p.wait(timeout=300) for p in procs] == [0] * 16
    finally:
        stop.set()
        thread.join(timeout=60)
    assert cleans[0] > 10, "the cleaner hardly ran"
    acknowledged = [line for w in range(16) if (acks / f"ok.{w}").exists()
                    for line in (acks / f"ok.{w}").read_text().splitlines()]
    failures = [code for w in range(16) if (acks / f"rc.{w}").exists()
                for code in (acks / f"rc.{w}").read_text().split()]
    found = recorded(project / ".ai/session-context.org")
    lost = Counter(("progress", text) for text in acknowledged) - found
    assert not lost, f"{sum(lost.values())} of {len(acknowledged)} acknowledged entries lost"
    bad = overlaps(read_holds(holds_dir))
    assert not bad, f"{len(bad)} overlapping holds of one lock, e.g. {bad[0]}"
    assert set(failures) <= {"9"}, failures  # a temporary file deleted under a write
    assert set(found) <= {("progress", f"w{w}-{i}") for w in range(16) for i in range(13)}
    assert max(found.values()) == 1
    print(f"{len(acknowledged)} of 208 logs got through; {cleans[0]} cleans")
    assert len(acknowledged) > 50, f"only {len(acknowledged)} logs got through"
