"""Issue 14, thirteenth round: the items the twelfth left open (docs/decisions.md,
"Issue 14, thirteenth round").

1. A write command takes its time holding its lock: a command that waited on the lock
   stamps no time earlier than the write it waited for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from boardkit import BOARD, add

from ai_protocols.storage import files as storage

from conftest import CLI, Runner, clean_env

# -- 1. the time taken inside the lock ---------------------------------------------------------

#: Holds the lock file argv[1] (the very flock(2) lock the tool takes) until a line comes
#: on stdin, then prints the seconds since boot at its release, and releases it.
HOLDER = """
import sys
from pathlib import Path
from ai_protocols.storage.files import OsLock
lock = OsLock(Path(sys.argv[1]))
lock.acquire(5)
print("held", flush=True)
sys.stdin.readline()
print(open("/proc/uptime").read().split()[0], flush=True)
lock.release()
"""


def _waiting_on(pid: int, lock_file: Path) -> bool:
    """Whether process ``pid`` has ``lock_file`` open (it is trying to lock it)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(lock_file):
                return True
        except OSError:
            continue
    return False


def _stamped_after_release(cwd: Path, lock_file: Path, args: list[str],
                           agent: str | None = None) -> float:
    """Run ``ai-protocols ARGS`` while another process holds ``lock_file``; let it go
    once the command waits on it (and a second more, longer than the boot clock's
    resolution); return the seconds since boot at the release."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock_file.touch()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_file)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        extra = {"AI_AGENT_ID": agent} if agent else {}
        command = subprocess.Popen([str(CLI), *args], cwd=cwd, env=clean_env(**extra),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not _waiting_on(command.pid, lock_file):
            assert command.poll() is None, command.communicate()
            time.sleep(0.01)
        time.sleep(1.1)  # (not an assertion: the gap an early stamp would show)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        released = float(holder.stdout.readline())
        _out, err = command.communicate(timeout=60)
        assert command.returncode == 0, err
    finally:
        holder.kill()
        holder.wait()
    return released


def _uptime_of(record: str) -> float:
    """The seconds since boot of an ``UPDATED_AT``/``CLAIMED_AT`` value."""
    return float(record.split(" ")[3])


def _property(text: str, name: str) -> str:
    return next(line.split(":", 2)[2].strip() for line in text.splitlines()
                if line.strip().startswith(f":{name}:"))


def test_start_waiting_on_the_lock_stamps_a_time_after_its_release(
        repo: Path, run: Runner) -> None:
    """A start that waits on the session file's lock (another write holds it) takes its
    STARTED/UPDATED_AT time once it holds the lock: not earlier than the release."""
    run("init")
    path = repo / ".ai/session-context.org"
    lock_file = Path(storage.lock_path(repo / ".ai", path))
    released = _stamped_after_release(repo, lock_file, ["start", "--title", "t"])
    assert _uptime_of(_property(path.read_text(), "UPDATED_AT")) >= released


def test_a_claim_waiting_on_the_board_lock_stamps_a_time_after_its_release(
        project: Path, run: Runner) -> None:
    """The board's commands too: a claim that waited on the board's lock records
    CLAIMED_AT no earlier than the release."""
    task_id = add(run, "Fix it")
    board = project / BOARD
    lock_file = Path(storage.lock_path(project / ".ai", board))
    released = _stamped_after_release(project, lock_file, ["task", "claim", task_id],
                                      agent="impl.1")
    assert _uptime_of(_property(board.read_text(), "CLAIMED_AT")) >= released
