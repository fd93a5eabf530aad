"""Emacs's lock files: is a person editing this file right now?

While a buffer visiting ``NAME`` has unsaved changes, Emacs keeps ``.#NAME``
beside it: a symbolic link whose target reads ``user@host.pid:boottime``
(or a plain file holding that text where links are not available). If we
rewrote ``NAME`` then, the person's save would ask to overwrite, and "yes"
would silently drop what the agent wrote. So a live lock means: do not
rewrite the file now.

A lock is live when it names another host (we cannot look there), or this
host and a process that still runs (and, when the lock records it, since
this boot). A lock that cannot be read is taken as live: waiting is safe,
clobbering is not.
"""

from __future__ import annotations

import os

from ai_protocols.lean import PathField, TextOf, pattern, record
from ai_protocols.liveness.host import boot_time, hostname, pid_running
from ai_protocols.paths import sibling
from ai_protocols.storage.files import read_regular

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["EmacsLock", "live_emacs_lock", "lock_kind"]

_OWNER = pattern(r"(?P<user>.*)@(?P<host>.*)\.(?P<pid>[0-9]+)(?::(?P<boot>[0-9]+))?")
_BOOT_SLOP = 60  # seconds: the boot time is measured, not recorded, on each side


@record(frozen=True)
class EmacsLock:
    """A live Emacs lock: who holds it, as its ``.#NAME`` file says."""

    path: Path = PathField()  # (a pathlib.Path when read; path_text: its text)
    owner: str
    path_text = TextOf("path")


def live_emacs_lock(path: str) -> EmacsLock | None:
    """The live Emacs lock on ``path`` (text), or ``None`` when there is none or it is
    stale."""
    path = os.fspath(path)
    lock = sibling(path, f".#{os.path.basename(path)}")
    try:
        owner = os.readlink(lock)
    except FileNotFoundError:
        return None
    except OSError:  # not a link: Emacs writes a plain file where it cannot make one
        try:
            owner = read_regular(lock, 4096).decode("utf-8", "replace").strip()
        except OSError:
            return None
    match = _OWNER.fullmatch(owner)
    if match is None:
        return EmacsLock(lock, owner)
    if match["host"] != hostname():
        return EmacsLock(lock, owner)
    if not pid_running(int(match["pid"])):
        return None
    boot = boot_time()
    if match["boot"] and boot is not None and abs(int(match["boot"]) - boot) > _BOOT_SLOP:
        return None  # the process that took it died with the last boot; its pid is reused
    return EmacsLock(lock, owner)


def lock_kind(lock: EmacsLock) -> str:
    """Why a live lock counts as live, for a message that fits: ``"running"`` (an Emacs
    on this host that runs), ``"other host"`` (another host's, which cannot be checked
    from here) or ``"unreadable"`` (a ``.#NAME`` that is not ``user@host.pid:boot``:
    taken as live, since waiting is safe and clobbering is not)."""
    match = _OWNER.fullmatch(lock.owner)
    if match is None:
        return "unreadable"
    return "running" if match["host"] == hostname() else "other host"
