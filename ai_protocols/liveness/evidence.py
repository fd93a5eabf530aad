"""Who is alive: leases, owning processes and ages, with the evidence that decided.

A session-context file may belong to an agent working right now, to one that
crashed, to one long gone, or to one on another machine. The state is decided
by the strongest evidence there is, in this order:

1. **The lease.** ``ai-protocols spawn`` holds an operating-system lock,
   ``.ai/.locks/leases/<safe-id>.lease``, for exactly as long as its child
   lives; the kernel drops it when the spawner dies. Held: live. Free after
   the spawner recorded the child's exit: crashed (ended without wrap-up).
2. **The owner** recorded at start (``OWNER``: host, process id, process
   start time). On this host: the process is there with the same start time:
   live; gone, or its id now belongs to a younger process: crashed.
3. **The last update.** Older than the stale threshold: abandoned.
   Otherwise, on another host: unknown (nothing here can see that machine).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ai_protocols.errors import StorageError
from ai_protocols.liveness.host import boot_time, hostname, pid_running, process_start, process_stat
from ai_protocols.paths import safe_id
from ai_protocols.storage.files import LOCK_DIR, OsLock

__all__ = [
    "DEFAULT_STALE_HOURS",
    "RECOVERABLE",
    "Liveness",
    "Owner",
    "assess",
    "current_owner",
    "lease_held",
    "lease_path",
    "stale_after",
]

#: Hours without an update after which a session is abandoned (AI_PROTOCOLS_STALE_HOURS).
DEFAULT_STALE_HOURS = 12.0
#: The states of another agent's session that call for ``recover``: its agent is gone
#: (``crashed``, ``abandoned``), or its wrap-up closed it but never moved it.
RECOVERABLE = ("crashed", "abandoned", "wrapped-up")

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from typing import Literal

    State = Literal["live", "ended", "crashed", "abandoned", "unknown", "wrapped-up", "mine"]

# Programs that stand between an agent and the shell commands it runs: the
# owner is the first ancestor that is none of these.
_GO_BETWEENS = frozenset({
    "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "yash", "busybox", "env", "timeout",
    "nice", "nohup", "setsid", "stdbuf", "xargs", "sudo", "su", "doas", "time", "strace",
    "ai-protocols",
})


#: The ``OWNER`` property as written now: ``pid 4370 on vm, started
#: 2026-11-30 10:02 (1795999077.91)``; the time in words is for people, the exact start
#: in parentheses is what is compared. Without a start: ``pid 4370 on vm``.
_OWNER = re.compile(r"pid (\d+) on (\S+?)(?:, started [^()]*\((\S+)\))?")


@dataclass(frozen=True)
class Owner:
    """The process that owns a session: host, process id, and its start time (seconds
    since the epoch, from ``/proc``; ``None`` where the system does not say)."""

    host: str
    pid: int
    started: str | None = None

    def to_property(self) -> str:
        """The ``OWNER`` property: ``pid 4370 on vm, started 2026-11-30 10:02
        (1795999077.91)``, the start in local time to the minute for people and, in
        parentheses, exactly as compared; ``pid 4370 on vm`` without a start."""
        text = f"pid {self.pid} on {self.host}"
        if self.started is None:
            return text
        try:
            when = datetime.fromtimestamp(float(self.started)).strftime("%Y-%m-%d %H:%M")
        except (ValueError, OverflowError, OSError):
            when = "?"
        return f"{text}, started {when} ({self.started})"

    @classmethod
    def parse(cls, value: str) -> Owner | None:
        """The owner an ``OWNER`` property names, in the form :meth:`to_property` writes
        or the older ``HOST PID START`` (``START`` ``-`` when unknown); ``None`` for
        anything else."""
        match = _OWNER.fullmatch(value.strip())
        if match:
            return cls(match.group(2), int(match.group(1)), match.group(3))
        parts = value.split()
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), None if parts[2] == "-" else parts[2])

    def alive(self) -> bool | None:
        """Whether the owner still runs; ``None`` when it is on another host."""
        if self.host != hostname():
            return None
        if self.started is not None and boot_time() is not None:
            return process_start(self.pid) == self.started  # a reused id starts later
        return pid_running(self.pid)


@dataclass(frozen=True)
class Liveness:
    """A session's state and the evidence that decided it, in words."""

    state: State
    evidence: str


def current_owner(environ: dict[str, str] | None = None) -> Owner:
    """The agent process behind this command.

    Under ``ai-protocols spawn`` (``AI_SPAWNER_PID`` set): the spawner's child.
    Otherwise: the nearest ancestor that is not a shell or a go-between, which
    is the agent program that ran the shell command.
    """
    env = os.environ if environ is None else environ
    host = hostname()
    chain: list[tuple[int, str]] = []
    pid = os.getppid()
    while pid > 1 and len(chain) < 64:
        stat = process_stat(pid)
        if stat is None:
            break
        chain.append((pid, stat[0]))
        pid = stat[1]
    spawner = env.get("AI_SPAWNER_PID", "")
    pids = [p for p, _ in chain]
    if spawner.isdigit() and int(spawner) in pids:
        index = pids.index(int(spawner))
        pid = pids[index - 1] if index > 0 else int(spawner)
    else:
        pid = next((p for p, name in chain if name not in _GO_BETWEENS), os.getppid())
    return Owner(host, pid, process_start(pid))


def lease_path(ai_dir: Path, agent_id: str) -> Path:
    return ai_dir / LOCK_DIR / "leases" / f"{safe_id(agent_id)}.lease"


def lease_held(ai_dir: Path, agent_id: str) -> bool:
    """Whether a spawner holds the lease of ``agent_id`` right now."""
    path = lease_path(ai_dir, agent_id)
    if not path.exists():
        return False
    lock = OsLock(path)
    try:
        lock.acquire(0)
    except TimeoutError:
        return True
    except StorageError:
        return False
    lock.release()
    return False


def stale_after() -> timedelta:
    """How long without an update makes a session abandoned: ``AI_PROTOCOLS_STALE_HOURS``
    (hours, a float; :data:`DEFAULT_STALE_HOURS` when unset or not a number)."""
    hours = os.environ.get("AI_PROTOCOLS_STALE_HOURS", "")
    try:
        return timedelta(hours=float(hours) if hours else DEFAULT_STALE_HOURS)
    except ValueError:
        return timedelta(hours=DEFAULT_STALE_HOURS)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


def assess(ai_dir: Path, *, agent_id: str | None, status: str | None, owner: str | None,
           exit_: str | None, exited: datetime | None, host: str | None,
           updated: datetime | None, now: datetime, stale_after: timedelta,
           exit_by: str | None = None) -> Liveness:
    """Decide a session's state from the strongest evidence there is. ``exit_by`` is
    who recorded ``exit_`` (default: its spawner)."""
    if status == "wrapped-up":
        return Liveness("wrapped-up", "closed by a wrap-up that did not finish moving it")
    if agent_id and lease_held(ai_dir, agent_id):
        return Liveness("live", "its spawner holds the lease")
    if exit_ and exit_by and exit_by.endswith("SessionEnd hook"):
        when = f" at {exited:%Y-%m-%d %H:%M}" if exited else ""
        return Liveness("ended", f"its {exit_by} recorded {exit_}{when}; the agent's "
                                 "session can be resumed, or the file recovered")
    if exit_:
        when = f" at {exited:%Y-%m-%d %H:%M}" if exited else ""
        return Liveness("crashed", f"its {exit_by or 'spawner'} recorded {exit_}{when} "
                                   "without a wrap-up")
    recorded = Owner.parse(owner) if owner else None
    if recorded is not None:
        alive = recorded.alive()
        if alive:
            return Liveness("live", f"its owner, process {recorded.pid}, is running")
        if alive is False:
            return Liveness("crashed", f"its owner, process {recorded.pid} on this host, is gone")
    age = now - updated if updated else None
    if age is not None and age > stale_after:
        return Liveness("abandoned", f"last updated {_ago(age)}")
    where = recorded.host if recorded else host
    if where and where != hostname():
        return Liveness("unknown", f"it runs on another host, {where}")
    return Liveness("unknown", "no lease or owner recorded" +
                    (f"; last updated {_ago(age)}" if age is not None else ""))
