"""``resume``, ``start`` and the SessionStart hook with many other agents' session files
(issue 16, fifteenth round: every scan independent of history).

Past :func:`~ai_protocols.session.resume.others_to_read` other session files, only the
newest by modification time are read; the rest are counted from the folder's listing,
unread. Up to that many, the output is what reading every file gives; past it, the same
whenever the files' modification times go as their ``UPDATED`` do. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.liveness.evidence import NAMED_TO_OTHERS
from ai_protocols.org.syntax import format_timestamp
from ai_protocols.session.project import Project
from ai_protocols.session.resume import DEFAULT_MAX_BYTES, MIN_MAX_BYTES, others_to_read

from conftest import CLI, Runner, clean_env

ME = "h.p.claude.1764000000"
BASE = "h.p.claude.1700000000"
#: What a crashed other session looks like: its owner process gone.
LEFT_OUT = re.compile(r"Left out to fit \d+ bytes, oldest first: .*?(\d+) sessions? of "
                      r"other agents")


def _crashed_others(run: Runner, root: Path, count: int, minutes: list[int] | None = None,
                    ) -> list[str]:
    """``count`` other agents' crashed sessions beside this agent's own (as a run that
    crashed leaves them), copies of one real crashed session under new ids; the ``i``-th
    updated ``minutes[i]`` minutes past 2026-11-30 06:00 and modified as long after the
    epoch, so that modification times go as ``UPDATED`` does. Returns their ids."""
    folder = root / ".ai" / "session-context.d"
    if not (folder / f"{BASE}.org").exists():
        run("start", "--title", "base", agent=BASE, as_another_agent=True)
        run("start", "--title", "me", agent=ME)
    text = (folder / f"{BASE}.org").read_text()
    (folder / f"{BASE}.org").unlink()
    ids = []
    for i in range(count):
        agent = f"h.p.claude.{1700000001 + i}"
        minute = minutes[i] if minutes else 0
        stamp = format_timestamp(datetime(2026, 11, 30, 6 + minute // 60, minute % 60))
        body = re.sub(r"(?m)^:AGENT_ID: .*$", f":AGENT_ID: {agent}", text)
        body = re.sub(r"(?m)^:UPDATED:  .*$", f":UPDATED:  {stamp}", body)
        path = folder / f"{agent}.org"
        path.write_text(body)
        os.utime(path, ns=(10**18 + minute * 60 * 10**9 + i,) * 2)
        ids.append(agent)
    return ids


def _oldest_updated_last(run: Runner, root: Path, count: int) -> list[str]:
    """:func:`_crashed_others`, the first of them modified before all others but
    updated after them: the full read shows it first; reading the newest files does not
    read it. Returns their ids."""
    ids = _crashed_others(run, root, count)
    oldest = root / ".ai" / "session-context.d" / f"{ids[0]}.org"
    oldest.write_text(oldest.read_text().replace(
        ":UPDATED:  [2026-11-30 Mon 06:00]", ":UPDATED:  [2026-11-30 Mon 23:00]"))
    os.utime(oldest, ns=(10**17, 10**17))
    return ids


def _full_read(root: Path, max_bytes: int) -> tuple[str, dict]:
    """The resume context as reading every other session file gives it (the way before
    the fifteenth round), in text and JSON."""
    project = Project(root, ME)
    context = project.resume(max_bytes=max_bytes)
    others = [(s, live) for s, live in project.others(head=True)
              if live.state in NAMED_TO_OTHERS]
    others.sort(key=lambda pair: (pair[0].updated or pair[0].started or datetime.min,
                                  pair[0].path_text), reverse=True)
    context.others, context.others_unread = others, 0
    return context.to_text(), context.to_json()


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.sampled_from([0, 2, 30, others_to_read(MIN_MAX_BYTES) + 12]).flatmap(
    lambda count: st.lists(st.integers(0, 600), min_size=count, max_size=count)),
       max_bytes=st.sampled_from([MIN_MAX_BYTES, DEFAULT_MAX_BYTES, 20000]))
def test_resume_is_what_reading_every_file_gives(tmp_path_factory, minutes: list[int],
                                                  max_bytes: int) -> None:
    """Few or many other files (past the number read at the least bound, when the
    modification times go as UPDATED does): ``resume`` and ``resume --json`` print what
    the full read gives, byte for byte, the count of those left out included."""
    root = tmp_path_factory.mktemp("many").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    _crashed_others(run, root, len(minutes), minutes)
    text, data = _full_read(root, max_bytes)
    assert run("resume", "--max-bytes", str(max_bytes), agent=ME).stdout == text
    got = json.loads(run("resume", "--json", "--max-bytes", str(max_bytes), agent=ME).stdout)
    assert got == data


def test_resume_reads_only_the_newest_and_counts_the_rest(repo: Path, run: Runner) -> None:
    """Past the number it can show, ``resume`` reads the newest files by modification
    time: the oldest, whose UPDATED is the newest of all, is not read, so not shown (a
    full read shows it first), and every file not shown is counted as left out."""
    count = others_to_read(DEFAULT_MAX_BYTES) + 5
    ids = _oldest_updated_last(run, repo, count)
    full, _ = _full_read(repo, DEFAULT_MAX_BYTES)
    assert f"- {ids[0]}:" in full
    out = run("resume", agent=ME).stdout
    assert f"- {ids[0]}:" not in out
    shown = re.findall(r"(?m)^  - (h\.p\.claude\.\d+): crashed", out)
    assert shown == sorted(ids[1:], reverse=True)[:len(shown)]
    assert int(LEFT_OUT.search(out).group(1)) == count - len(shown)


def test_start_lists_the_newest_and_counts_the_rest(repo: Path, run: Runner) -> None:
    """``start`` lists every other session to recover when they are few; past the number
    read, only the newest, and says how many files it did not read (main listed them
    all: an output without bound)."""
    most = others_to_read(DEFAULT_MAX_BYTES)
    ids = _crashed_others(run, repo, 3)
    out = run("start", agent=ME).stdout
    assert re.findall(r"(?m)^  (h\.p\.claude\.\d+): crashed", out) == ids
    assert "not read here" not in out
    ids += _crashed_others(run, repo, most + 7)[3:]
    out = run("start", agent=ME).stdout
    listed = re.findall(r"(?m)^  (h\.p\.claude\.\d+): crashed", out)
    assert listed == sorted(ids)[-most:]
    assert f"Other agents' session files not read here (older): {len(ids) - most}; " \
        "all of them: ai-protocols status" in out


def test_session_start_hook_counts_what_it_did_not_read(repo: Path, run: Runner) -> None:
    """The SessionStart hook's context is ``resume``'s: past the number read, the newest
    files by modification time (not the one updated last but modified first), and the
    count of those left out from the listing."""
    count = others_to_read(DEFAULT_MAX_BYTES) + 9
    ids = _oldest_updated_last(run, repo, count)
    event = json.dumps({"session_id": "1764000000", "hook_event_name": "SessionStart",
                        "source": "startup"})
    result = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                            input=event, cwd=repo, capture_output=True, text=True,
                            env=clean_env(AI_AGENT_ID=ME), timeout=60)
    assert result.returncode == 0, result.stderr
    shown = re.findall(r"(?m)^  - (h\.p\.claude\.\d+): crashed", result.stdout)
    assert shown == sorted(ids[1:], reverse=True)[:len(shown)]
    assert int(LEFT_OUT.search(result.stdout).group(1)) == count - len(shown)
