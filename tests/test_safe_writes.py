"""A write that fails half way, and a lock held too long.

Concurrent writers are in test_concurrency.py, SIGKILLed ones in test_kills.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import Runner

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ai_protocols.storage.files import locked
    ai, target, out, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    for _ in range(rounds):
        with locked(ai, target):
            start = time.monotonic()
            time.sleep(0.002)
            end = time.monotonic()
        with open(out, "a") as handle:
            handle.write(f"{start} {end}\\n")
""")


FAILING_WRITE = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from ai_protocols.storage.files import atomic_write
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
    assert result.stderr.startswith(f"Error: could not lock {project}/.ai/session-context.org "
                                    "within 0.3 s; another process holds it: run the "
                                    "command again once that process is done, or wait "
                                    "longer with AI_PROTOCOLS_LOCK_TIMEOUT=SECONDS")
