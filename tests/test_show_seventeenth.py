"""Issue 16, seventeenth round: ``show --json`` of a file whose Log is one long run of
quick items (closed Progress items ticked in Emacs, no Log line between them) holds a
few batches of the Log's JSON at a time, not the whole Log (``view.LogRows.json_texts``
gave a run between two stops only once it was whole: 3x the file), and prints what the
whole read prints."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import CLI, clean_env

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _peak_kib(args: list[str], cwd: Path) -> tuple[int, str]:
    """The installed command's output and peak resident memory (KiB: ``wait4``)."""
    with open(cwd / "out.json", "w+b") as out:
        child = subprocess.Popen([str(CLI), *args], cwd=cwd, stdout=out,
                                 stderr=subprocess.DEVNULL, env=clean_env())
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 0
        out.seek(0)
        return usage.ru_maxrss, out.read().decode("utf-8")


def _project(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run([str(CLI), "start", "--title", "big"], cwd=path, check=True,
                   capture_output=True, env=clean_env())
    return path / ".ai" / "session-context.org"


def test_a_long_run_of_quick_items_is_not_held_whole(tmp_path: Path) -> None:
    """4 MB of closed Progress items and no Log line: ``show --json`` prints the whole
    read's JSON, and its peak memory grows by less than 5x the file over a fresh
    session's (it was about 13x: the Log's JSON of the whole run, joined, then copied
    on its way out)."""
    fresh = tmp_path / "fresh"
    _project(fresh)
    big = tmp_path / "big"
    context = _project(big)
    moment = datetime.datetime(2026, 12, 1, 11, 0)
    lines = []
    size = 0
    n = 0
    while size < 4_000_000:
        at = moment + datetime.timedelta(minutes=n)
        lines.append(f"- [X] [{at:%Y-%m-%d} {DAYS[at.weekday()]} {at:%H:%M}] step {n}: "
                     f"{'did the parser ' * (n % 7)}{'café' if n % 13 == 0 else 'end'}\n")
        size += len(lines[-1])
        n += 1
    marker = ":CUSTOM_ID: progress\n:END:\n"
    context.write_text(context.read_text().replace(marker, marker + "".join(lines), 1))
    file_kib = context.stat().st_size // 1024
    floor, _ = _peak_kib(["show", "--json"], fresh)
    peak, shown = _peak_kib(["show", "--json"], big)
    full = subprocess.run([sys.executable, "-c", """
import json
from ai_protocols.session.project import Project
print(json.dumps(Project.discover().show().to_json(), indent=2, ensure_ascii=False))
"""], cwd=big, capture_output=True, text=True, check=False, env=clean_env())
    assert full.returncode == 0, full.stderr
    assert shown == full.stdout
    assert len(json.loads(shown)["log"]) == n + 1  # (and the start line)
    assert peak - floor < 5 * file_kib, (peak, floor, file_kib)
