"""A write killed between putting the session file in place and putting its kept copy
in place, when the write before it recorded the same seconds since boot (issue 14,
twelfth round; seen in test_kills.py, seed 11, round 62).

``/proc/uptime`` counts hundredths of a second, and a log write takes a few
milliseconds: two writes in a row often record the same seconds since boot. When the
wall clock's second turned between them, their ``UPDATED_AT`` records differed only in
the instant, and the tie was read as "the kept copy is not older": after a kill that
left the kept copy one write behind the file (another inode), the next write refused
with SessionReplaced ("a write went into the older version"), though nothing was lost.
Now the instant breaks a tie of the boot clock (:meth:`Moment.order`). A real SIGKILL
at the very moment (the folder's fsync between the two renames), in a forked writer.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime, timezone
from pathlib import Path

from ai_protocols import LogEntry, Project, read_session
from ai_protocols.liveness.clock import Moment, boot_id
from ai_protocols.liveness.host import hostname
from ai_protocols.session.edit_base import written_later
from ai_protocols.storage.files import same_version

AGENT = "host.proj.claude.1700000000"


def _at(second: int, uptime: float) -> Moment:
    wall = datetime(2026, 11, 30, 21, 35, second, 500000, tzinfo=timezone.utc)
    return Moment(wall, hostname(), boot_id(), uptime, measured=True)


def test_a_tie_of_the_boot_clock_is_broken_by_the_instant() -> None:
    first, second = _at(31, 7006.76), _at(32, 7006.76)
    records = [(m.to_property(), m.wall.replace(tzinfo=None)) for m in (first, second)]
    assert records[0][0] != records[1][0]
    assert not written_later(records[0], records[1])  # (the kept copy is the older one)
    assert written_later(records[1], records[0])
    assert not written_later(records[0], records[0])  # (one write's record: not later)


def test_a_write_killed_before_its_kept_copy_after_a_tied_write_stops_nothing(
        tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    project = Project(root, AGENT)
    project.start(title="tie")
    path = Path(project.path_text)
    kept = root / ".ai/.locks/live/session-context.d" / path.name
    project.log(LogEntry("progress", "first"), now=_at(31, 7006.76))
    pid = os.fork()
    if pid == 0:  # the writer, killed between the two renames of its log
        try:
            from ai_protocols.storage import files

            real = files.fsync_dir

            def killed(folder: object) -> None:
                real(folder)  # type: ignore[arg-type]
                if os.path.samefile(folder, path.parent):  # type: ignore[arg-type]
                    os.kill(os.getpid(), signal.SIGKILL)

            files.fsync_dir = killed  # type: ignore[assignment]
            project.log(LogEntry("progress", "second"), now=_at(32, 7006.76))
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert "second" in path.read_text() and "second" not in kept.read_text()
    # (the window: the kept copy one write behind)
    assert not same_version(os.stat(path), os.stat(kept))
    project.log(LogEntry("progress", "third"), now=_at(33, 7007.80))  # (refused before)
    texts = [e.text for e in read_session(str(path), path.read_text()).progress]
    assert texts == ["first", "second", "third"]
    assert same_version(os.stat(path), os.stat(kept)) and path.read_bytes() == kept.read_bytes()
