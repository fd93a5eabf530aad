"""Facts about this host and its processes, read from the operating system.

``/proc`` on Linux gives each process's name, parent and start time, and the
boot time; elsewhere ``os.kill(pid, 0)`` says whether a process exists. Both
the liveness evidence (:mod:`ai_protocols.liveness.evidence`) and the Emacs
lock policy (:mod:`ai_protocols.org.emacs_lock`) ask these questions here, so
they always agree.
"""

from __future__ import annotations

import os

__all__ = ["INIT_PID_NAMESPACE", "boot_time", "hostname", "pid_namespace", "pid_running",
           "process_start", "process_stat"]


#: This machine's name, read once per process (:func:`hostname`).
_HOST: list[str] = []


def hostname() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it (the ``uname``
    node name), without importing ``socket`` on every command. Read once per process,
    as the boot time is: a judgement of a thousand other agents' files asked it twice
    for each (their owner's host, their write record's), a ``uname`` each time (issue
    16, twenty-third round); a command does not outlive a change of the name that
    matters to it."""
    if not _HOST:
        try:
            _HOST.append(os.uname().nodename)
        except AttributeError:  # pragma: no cover - no uname (Windows)
            import socket

            _HOST.append(socket.gethostname())
    return _HOST[0]


def process_stat(pid: int) -> tuple[str, int, int] | None:
    """Command name, parent id and start time (clock ticks since boot) from /proc;
    ``None`` for a process that does not exist or has ended (a zombie)."""
    try:  # (os.read, not open(): no text stream for each of status's thousand files)
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    raw = b"".join(chunks).decode("utf-8", "replace")
    if not raw:
        return None
    name = raw[raw.index("(") + 1: raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):  # a zombie has ended; only its exit status is left
        return None
    return name, int(fields[1]), int(fields[19])


#: The boot time, read once per process (it cannot change while the process runs).
_BOOT: list[float | None] = []


def boot_time() -> float | None:
    """When this machine booted (seconds since the epoch); ``None`` without /proc.
    Read from /proc/stat once per process (``status`` asks for each file)."""
    if _BOOT:
        return _BOOT[0]
    found = None
    try:
        with open("/proc/stat", "rb") as handle:
            for line in handle:
                if line.startswith(b"btime "):
                    found = float(line.split()[1])
                    break
    except (OSError, ValueError):
        pass
    _BOOT.append(found)
    return found


def pid_running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie has ended)."""
    if boot_time() is not None:
        return process_stat(pid) is not None
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as text that is the same on every reading, or
    ``None`` when it does not exist (or the system has no /proc)."""
    stat = process_stat(pid)
    boot = boot_time()
    if stat is None or boot is None:
        return None
    return f"{boot + stat[2] / os.sysconf('SC_CLK_TCK'):.2f}"


#: The inode of Linux's initial PID namespace (``PROC_PID_INIT_INO`` in the kernel's
#: ``include/linux/proc_ns.h``), the one every process outside a sandbox is in.
INIT_PID_NAMESPACE = "4026531836"
_PID_NAMESPACE: list[str | None] = []


def pid_namespace() -> str | None:
    """The inode of this process's PID namespace (``/proc/self/ns/pid``, see
    namespaces(7)) when it is not the initial one: process ids recorded in another
    namespace name other processes here. ``None`` in the initial namespace, or where
    the system does not say. Read once per process."""
    if not _PID_NAMESPACE:
        try:
            link = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
        except OSError:
            link = ""
        found = link[5:-1] if link.startswith("pid:[") and link.endswith("]") else None
        _PID_NAMESPACE.append(None if found == INIT_PID_NAMESPACE else found)
    return _PID_NAMESPACE[0]

