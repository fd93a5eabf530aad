"""Every write is locked and atomic: real concurrent processes, real SIGKILLs."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ai_protocols import Project, read_session
from ai_protocols._storage import lock_path

from conftest import CLI, Runner, clean_env

WRITER = textwrap.dedent("""
    import sys
    from ai_protocols import LogEntry, Project
    project = Project(sys.argv[1], sys.argv[2] or None)
    tag = sys.argv[3]
    for i in range(int(sys.argv[4])):
        project.log(LogEntry("progress", f"{tag}-{i}"))
        print(f"{tag}-{i}", flush=True)
""")

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ai_protocols._storage import locked
    ai, target, out, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    for _ in range(rounds):
        with locked(ai, target):
            start = time.monotonic()
            time.sleep(0.002)
            end = time.monotonic()
        with open(out, "a") as handle:
            handle.write(f"{start} {end}\\n")
""")


def test_concurrent_cli_logs_lose_nothing(project: Path, run: Runner) -> None:
    run("start")
    procs = [
        subprocess.Popen(
            ["sh", "-c",
             f'for i in 0 1 2 3 4 5; do "{CLI}" log --progress "w{w}-$i" || exit 1; done'],
            cwd=project, env=clean_env(),
        )
        for w in range(6)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 6
    data = json.loads(run("show", "--json").stdout)
    texts = [e["text"] for e in data["progress"]]
    assert sorted(texts) == sorted(f"w{w}-{i}" for w in range(6) for i in range(6))
    assert len([e for e in data["log"] if e["kind"] == "progress"]) == 36


def test_lock_holds_never_overlap(tmp_path: Path) -> None:
    """Exclusion, checked by the hold intervals of real processes, not by counters."""
    ai, target, out = tmp_path / ".ai", tmp_path / ".ai" / "x.org", tmp_path / "intervals"
    ai.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(ai), str(target), str(out),
                               "25"]) for _ in range(6)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 6
    intervals = sorted(tuple(map(float, line.split())) for line in out.read_text().splitlines())
    assert len(intervals) == 150
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "two processes held the lock at once"
    assert lock_path(ai, target).parent == ai / ".locks"


def test_sigkill_during_logs_leaves_a_whole_file(tmp_path: Path) -> None:
    project = Project(tmp_path, None)
    project.start(title="kill test")
    # A large file makes each write long enough for kills to land mid-write.
    filler = "".join(f"- filler line {i} {'x' * 60}\n" for i in range(15000))
    path = project.path
    path.write_text(path.read_text() + "* Person's notes\n" + filler)
    rng = random.Random(1234)
    reported: list[str] = []
    for round_ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "", f"r{round_}",
                                 "1000"], stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.15, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported += out.split()
        session = read_session(path, path.read_bytes().decode("utf-8"))
        texts = [e.text for e in session.progress]
        assert set(reported) <= set(texts), "an entry reported as written is missing"
        assert len(texts) == len(set(texts)), "an entry was written twice"
        assert path.read_text().endswith(filler)
    assert len(reported) > 0
    # The next locked write clears temporary files that killed writers left.
    from ai_protocols import LogEntry

    project.log(LogEntry("progress", "after the kills"))
    assert [n for n in os.listdir(path.parent) if n.endswith(".tmp")] == []


WRAPPER = textwrap.dedent("""
    import sys
    from ai_protocols import LogEntry, Project
    project = Project(sys.argv[1], "k.p.claude.1700000000")
    for i in range(1000):
        project.start()
        project.log(LogEntry("progress", f"{sys.argv[2]}-{i}"))
        print(f"{sys.argv[2]}-{i}", flush=True)
        project.wrap_up(f"round {sys.argv[2]} {i}")
""")


def test_sigkill_during_wrap_up_never_loses_or_doubles(tmp_path: Path) -> None:
    rng = random.Random(99)
    reported: list[str] = []
    for round_ in range(15):
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(tmp_path), f"r{round_}"],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.2, 0.8))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported += out.split()
    project = Project(tmp_path, "k.p.claude.1700000000")
    files = sorted((tmp_path / ".ai/sessions").glob("*.org"))
    if project.path.exists():
        files.append(project.path)
    seen: list[str] = []
    for file in files:
        session = read_session(file, file.read_bytes().decode("utf-8"))
        seen += [e.text for e in session.progress]
    assert len(seen) == len(set(seen)), "a session is both in place and archived"
    assert set(reported) <= set(seen), "a reported entry was lost"


FAILING_WRITE = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from ai_protocols._storage import atomic_write
    from ai_protocols import StorageError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    try:
        atomic_write(Path(sys.argv[1]), b"new" * 10000)
    except StorageError as error:
        print(error)
        sys.exit(9)
""")


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path: Path) -> None:
    """The file-size limit makes the write fail after 4 KiB, as a full disk would."""
    target = tmp_path / "f.org"
    target.write_text("old\n")
    result = subprocess.run([sys.executable, "-c", FAILING_WRITE, str(target)],
                            capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    assert result.stdout == f"the file system refused {target}: File too large\n"
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.org"]


def test_cli_reports_a_lock_held_too_long(project: Path, run: Runner) -> None:
    run("start")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.replace("time.sleep(0.002)", "time.sleep(5)"),
         str(project / ".ai"), str(project / ".ai/session-context.org"),
         str(project / "intervals"), "1"])
    time.sleep(0.8)
    result = run("log", "--progress", "x", check=False,
                 env={"AI_PROTOCOLS_LOCK_TIMEOUT": "0.3"})
    holder.kill()
    holder.wait()
    assert result.returncode == 8
    assert result.stderr == (f"Error: could not lock {project}/.ai/session-context.org "
                             "within 0.3 s; another process holds it\n")
