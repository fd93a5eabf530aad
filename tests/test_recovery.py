"""Knowing who is alive, and recovering the dead: spawn, status, start, recover.

Agents here are real processes started by the installed ``ai-protocols spawn``;
they are killed with real signals.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ai_protocols.liveness.host import process_start
from ai_protocols.paths import derived_agent_id

from conftest import CLI, Runner, clean_env

ID_SHAPE = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.{runtime}\.[0-9]{{9,}}-[0-9a-f]{{12}}"


def wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the agent ended early ({proc.returncode}): "
                                 f"{proc.communicate()}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return path.read_text().strip()


def spawn(project: Path, script: str, runtime: str = "test") -> subprocess.Popen:
    """``ai-protocols spawn --runtime RUNTIME -- sh -c SCRIPT`` in the background."""
    return subprocess.Popen([str(CLI), "spawn", "--runtime", runtime, "--", "sh", "-c", script],
                            cwd=project, env=clean_env(PATH=f"{CLI.parent}:{os.environ['PATH']}"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_signals)


def _default_signals() -> None:
    """SIGINT and SIGQUIT as a terminal gives them: a suite run as a background job of a
    non-interactive shell (``pytest &``) has them ignored (POSIX, "Asynchronous Lists"),
    the ignoring is inherited through exec, and ``sh`` cannot trap a signal ignored on
    its entry; the spawned agent would then never see the SIGINT spawn forwards."""
    import signal

    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


def status(run: Runner, agent: str | None = None) -> dict[str, dict]:
    rows = json.loads(run("status", "--json", agent=agent).stdout)
    return {row["agent_id"]: row for row in rows}


def session_file(project: Path, agent: str) -> Path:
    return project / ".ai/session-context.d" / f"{agent}.org"


AGENT_AT_WORK = (
    'echo "$AI_AGENT_ID" > "$1.id"; echo $$ > "$1.pid"; '
    'ai-protocols start --title "$1" && '
    'ai-protocols log --summary "Summary of $1" --next "Next step of $1" '
    '--progress "Progress of $1" && touch "$1.ready" && exec sleep 60'
)


def agent_at_work(project: Path, name: str) -> tuple[subprocess.Popen, str, int]:
    proc = spawn(project, AGENT_AT_WORK.replace("$1", name))
    agent = wait_for(project / f"{name}.id", proc)
    deadline = time.monotonic() + 30
    while not (project / f"{name}.ready").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc, agent, int((project / f"{name}.pid").read_text())


def test_as_a_new_user_would(project: Path, run: Runner) -> None:
    """Two spawned agents; one is killed with SIGKILL; a third shell sees one live and
    one crashed, with evidence; a new agent adopts the crashed one's work."""
    first, first_id, first_pid = agent_at_work(project, "alpha")
    second, second_id, _ = agent_at_work(project, "beta")
    try:
        os.kill(first_pid, signal.SIGKILL)
        assert first.wait(timeout=30) == 128 + 9
        rows = status(run)
        assert rows[first_id]["state"] == "crashed"
        assert rows[first_id]["evidence"].startswith(
            "its spawner recorded signal 9 (SIGKILL) at ")
        assert rows[second_id]["state"] == "live"
        assert rows[second_id]["evidence"] == "its spawner holds the lease"
        text = run("status").stdout
        assert f"crashed    {first_id}" in text and f"live       {second_id}" in text

        newcomer = "gamma.proj.test.1800000000"
        out = run("start", agent=newcomer).stdout
        assert f"  {first_id}: crashed (its spawner recorded signal 9 (SIGKILL)" in out
        assert f"ai-protocols recover {first_id} --adopt" in out
        assert second_id not in out
        adopted = run("recover", first_id, "--adopt", agent=newcomer).stdout.strip()
        assert adopted == str(session_file(project, newcomer))
        shown = json.loads(run("show", "--json", agent=newcomer).stdout)
        assert shown["summary"] == "Summary of alpha"
        assert [e["text"] for e in shown["next"]] == ["Next step of alpha"]
        assert [e["text"] for e in shown["progress"]] == ["Progress of alpha"]
        assert shown["adopted_from"] == first_id
        assert shown["agent_id"] == newcomer
        assert shown["exit"] is None
        assert shown["log"][-1]["kind"] == "adopted"
        assert shown["log"][-1]["text"].startswith(f"from {first_id} (crashed: ")
        assert not session_file(project, first_id).exists()
        rows = status(run, newcomer)
        assert rows[newcomer]["state"] == "live" and rows[newcomer]["mine"] is True
        assert first_id not in rows
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)


def test_spawn_mints_an_id_and_passes_the_exit_status_on(project: Path, run: Runner) -> None:
    proc = spawn(project, 'echo "$AI_AGENT_ID" > id; ai-protocols start; exit 3', "codex")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    agent = (project / "id").read_text().strip()
    assert re.fullmatch(ID_SHAPE.format(runtime="codex"), agent)
    assert f"ai-protocols spawn: AI_AGENT_ID={agent}" in err
    text = session_file(project, agent).read_text()
    assert ":STATUS:   crashed" in text  # the word status says for it (not "ended")
    assert ":EXIT:     exit status 3" in text
    assert re.search(r"^:EXITED:   \[\d{4}-\d\d-\d\d \w{3} \d\d:\d\d\]$", text, re.M)
    assert "exit: ended without wrap-up (exit status 3)" in text
    row = status(run)[agent]
    assert row["state"] == "crashed"
    assert row["evidence"].startswith("its spawner recorded exit status 3 at ")


def test_a_wrapped_up_agent_leaves_nothing_to_record(project: Path) -> None:
    proc = spawn(project, 'ai-protocols start && ai-protocols wrap-up "All done"')
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert list((project / ".ai/session-context.d").glob("*.org")) == []
    (archive,) = (project / ".ai/sessions").glob("*-all-done.org")
    assert ":EXIT:" not in archive.read_text()


def test_spawn_forwards_signals(project: Path) -> None:
    for sig, code in ((signal.SIGTERM, 5), (signal.SIGINT, 6)):
        name = sig.name[3:]
        marker = project / f"got-{name}"
        proc = spawn(project, f'trap \'echo got > "{marker}"; exit {code}\' {name}; '
                              'touch ready-$$; while :; do sleep 0.05; done')
        deadline = time.monotonic() + 30
        while not list(project.glob("ready-*")):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.communicate(timeout=30)
        assert proc.returncode == code
        assert marker.read_text() == "got\n"
        for ready in project.glob("ready-*"):
            ready.unlink()


def test_spawn_reports_a_command_it_cannot_run(project: Path) -> None:
    result = subprocess.run([str(CLI), "spawn", "--runtime", "x", "--", "no-such-agent-xyz"],
                            cwd=project, env=clean_env(), capture_output=True, text=True)
    assert result.returncode == 127
    assert "Error: cannot run 'no-such-agent-xyz': No such file or directory" in result.stderr


def test_a_killed_spawner_leaves_a_live_child_then_a_crashed_one(project: Path,
                                                                   run: Runner) -> None:
    """Without the lease, the owner recorded at start decides: the spawner's child."""
    proc, agent, pid = agent_at_work(project, "orphan")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    row = status(run)[agent]
    assert row["state"] == "live"
    assert row["evidence"] == f"its owner, process {pid}, is running"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_start(pid) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    row = status(run)[agent]
    assert row["state"] == "crashed"
    assert row["evidence"] == f"its owner, process {pid} on this host, is gone"


def owned_session(project: Path, run: Runner, agent: str, owner: str,
                  updated: str | None = None) -> Path:
    run("start", agent=agent)
    path = session_file(project, agent)
    text = re.sub(r"^:OWNER:.*$", f":OWNER:    {owner}", path.read_text(), flags=re.M)
    if updated:
        text = re.sub(r"^:UPDATED:.*$", f":UPDATED:  {updated}", text, flags=re.M)
    path.write_text(text)
    return path


def test_evidence_of_owners(project: Path, run: Runner) -> None:
    host = socket.gethostname()
    me = f"{host} {os.getpid()} {process_start(os.getpid())}"
    owned_session(project, run, "a.p.x.1700000001", me)
    owned_session(project, run, "b.p.x.1700000002", f"{host} {os.getpid()} 12345.00")
    owned_session(project, run, "c.p.x.1700000003", "elsewhere 4242 1.00")
    owned_session(project, run, "d.p.x.1700000004", "elsewhere 4242 1.00",
                  "[2020-01-01 Wed 10:00]")
    rows = status(run)
    assert (rows["a.p.x.1700000001"]["state"], rows["a.p.x.1700000001"]["evidence"]) == (
        "live", f"its owner, process {os.getpid()}, is running")
    # Same process id, another start time: the id was reused, the owner is gone.
    assert (rows["b.p.x.1700000002"]["state"], rows["b.p.x.1700000002"]["evidence"]) == (
        "crashed", f"its owner, process {os.getpid()} on this host, is gone")
    assert (rows["c.p.x.1700000003"]["state"], rows["c.p.x.1700000003"]["evidence"]) == (
        "unknown", "it runs on another host, elsewhere")
    assert rows["d.p.x.1700000004"]["state"] == "abandoned"
    assert rows["d.p.x.1700000004"]["evidence"].startswith("last updated ")
    assert rows["d.p.x.1700000004"]["age_seconds"] > 3600 * 24 * 300
    assert all(not row["mine"] for row in rows.values())


def test_status_marks_the_callers_own_file(project: Path, run: Runner) -> None:
    run("start", agent="mine.p.x.1700000001")
    run("log", "--summary", "Mine", agent="mine.p.x.1700000001")
    run("start", agent="other.p.x.1700000002")
    rows = json.loads(run("status", "--json", agent="mine.p.x.1700000001").stdout)
    assert list(rows[0]) == ["path", "agent_id", "mine", "state", "evidence", "updated",
                             "updated_at", "age_seconds", "title", "summary", "kept",
                             "missing_earlier"]
    by_id = {row["agent_id"]: row for row in rows}
    assert by_id["mine.p.x.1700000001"]["mine"] is True
    assert by_id["mine.p.x.1700000001"]["summary"] == "Mine"
    assert by_id["other.p.x.1700000002"]["mine"] is False
    text = run("status", agent="mine.p.x.1700000001").stdout
    assert "* live       mine.p.x.1700000001" in text


def test_recover_archive(project: Path, run: Runner) -> None:
    dead = "dead.p.x.1700000001"
    run("start", agent=dead, as_another_agent=True)
    run("log", "--progress", "Half done", agent=dead)
    archive = Path(run("recover", dead, "--archive", agent="me.p.x.1700000002").stdout.strip())
    assert archive.parent == project / ".ai/sessions"
    assert re.fullmatch(rf"\d{{4}}(-\d\d){{4}}-{re.escape(dead)}-crashed\.org", archive.name)
    text = archive.read_text()
    assert ":STATUS:   crashed" in text and "Half done" in text
    assert "recover: archived as crashed (crashed: its owner, process" in text
    assert not session_file(project, dead).exists()
    late = run("log", "--progress", "late", agent=dead, check=False)
    assert late.returncode == 7
    assert late.stderr == (f"Error: the session at {session_file(project, dead)} is already "
                           f"wrapped up (archived to {archive}); run 'ai-protocols start'\n")


def test_recover_refuses_what_may_be_at_work(project: Path, run: Runner) -> None:
    busy = "busy.p.x.1700000001"
    run("start", agent=busy)  # its owner is this test process: live
    before = session_file(project, busy).read_bytes()
    me = "me.p.x.1700000002"
    result = run("recover", busy, "--adopt", agent=me, check=False)
    assert result.returncode == 11
    assert result.stderr == (
        f"Error: cannot recover {session_file(project, busy)}: it may still be at work "
        f"(live: its owner, process {os.getpid()}, is running); use --force if you are sure\n")
    assert session_file(project, busy).read_bytes() == before
    assert not session_file(project, me).exists()
    forced = run("recover", busy, "--archive", "--force", agent=me)
    assert Path(forced.stdout.strip()).exists()


def test_recover_refuses_to_merge_into_a_session_with_entries(project: Path,
                                                              run: Runner) -> None:
    dead, me = "dead.p.x.1700000001", "me.p.x.1700000002"
    run("start", agent=dead, as_another_agent=True)
    run("start", agent=me)
    run("log", "--progress", "my own work", agent=me)
    before = {p: p.read_bytes() for p in (project / ".ai/session-context.d").glob("*.org")}
    result = run("recover", dead, "--adopt", agent=me, check=False)
    assert result.returncode == 11
    assert "already holds entries of its own; adopt before logging, or use --archive" in \
        result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_recover_usage_and_missing(project: Path, run: Runner) -> None:
    result = run("recover", "x.p.x.1700000001", check=False)
    assert result.returncode == 2 and "give one of --adopt or --archive" in result.stderr
    result = run("recover", "x.p.x.1700000001", "--adopt", agent="me.p.x.1", check=False)
    assert result.returncode == 3
    result = run("recover", "me.p.x.1", "--adopt", agent="me.p.x.1", check=False)
    assert result.returncode == 11 and "it is this agent's own session" in result.stderr


def test_an_interrupted_adoption_is_finished(project: Path, run: Runner) -> None:
    """Killed after writing the adopter's file, before removing the adopted one."""
    dead, me = "dead.p.x.1700000001", "me.p.x.1700000002"
    run("start", agent=dead, as_another_agent=True)
    run("log", "--next", "carry on", agent=dead)
    kept = session_file(project, dead).read_bytes()
    run("start", agent=me)
    run("recover", dead, "--adopt", agent=me)
    session_file(project, dead).write_bytes(kept)
    again = run("recover", dead, "--adopt", agent=me)
    assert again.stdout.strip() == str(session_file(project, me))
    assert not session_file(project, dead).exists()
    shown = json.loads(run("show", "--json", agent=me).stdout)
    assert [e["text"] for e in shown["next"]] == ["carry on"]
    assert sum(e["kind"] == "adopted" for e in shown["log"]) == 1


def test_start_takes_over_its_own_crashed_file(project: Path, run: Runner) -> None:
    run("start", "--title", "Before the crash", as_another_agent=True)
    out = run("start").stdout
    assert "The previous session did not wrap up (crashed: its owner, process" in out
    row = status(run)[None]
    assert row["state"] == "live" and row["mine"] is True
    assert "This session already started" in run("start").stdout


def test_python_spawn_exit_code_for_a_signal(project: Path) -> None:
    result = subprocess.run([str(CLI), "spawn", "--runtime", "x", "--", sys.executable, "-c",
                             "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"],
                            cwd=project, env=clean_env(), capture_output=True, text=True)
    assert result.returncode == 128 + 15


def test_a_zombie_owner_is_gone(project: Path, run: Runner) -> None:
    """A process that has exited but not been reaped is not at work any more."""
    zombie = subprocess.Popen(["sleep", "0"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{zombie.pid}/stat").read_text().split(") ")[1][0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        owned_session(project, run, "z.p.x.1700000001",
                      f"{socket.gethostname()} {zombie.pid} -")
        row = status(run)["z.p.x.1700000001"]
        assert (row["state"], row["evidence"]) == (
            "crashed", f"its owner, process {zombie.pid} on this host, is gone")
    finally:
        zombie.wait()


def test_recover_finishes_another_agents_interrupted_wrap_up(project: Path,
                                                             run: Runner) -> None:
    other = "closed.p.x.1700000001"
    run("start", agent=other)
    path = session_file(project, other)
    path.write_text(path.read_text().replace(":STATUS:   active", ":STATUS:   wrapped-up")
                    .replace(":END:", ":ENDED:    [2026-11-21 Sat 10:02]\n"
                                      ":DESCRIPTION: Nearly done\n:END:", 1))
    out = run("start", agent="me.p.x.1700000002").stdout
    assert f"  {other}: wrapped-up (closed by a wrap-up that did not finish moving it)" in out
    assert f"recover {other} --adopt" not in out
    archive = Path(run("recover", other, "--archive", agent="me.p.x.1700000002").stdout.strip())
    assert archive.name == f"2026-11-21-10-02-{other}-nearly-done.org"
    assert not path.exists()


def test_recover_options(project: Path, run: Runner) -> None:
    result = run("recover", "x.p.x.1", "--adopt", "--archive", check=False)
    assert result.returncode == 2 and "give one of --adopt or --archive" in result.stderr


def test_adopting_into_the_default_file(project: Path, run: Runner) -> None:
    """Without AI_AGENT_ID the adopted session carries no AGENT_ID; HOST and OWNER
    are this machine's and this agent's."""
    dead = "dead.p.x.1700000001"
    run("start", agent=dead, as_another_agent=True)
    path = session_file(project, dead)
    path.write_text(re.sub(r"^:HOST:.*$", ":HOST:     far-away", path.read_text(), flags=re.M))
    run("recover", dead, "--adopt")
    text = (project / ".ai/session-context.org").read_text()
    assert ":AGENT_ID:" not in text
    assert f":HOST:     {socket.gethostname()}" in text
    assert f":OWNER:    pid {os.getpid()} on {socket.gethostname()}, started " in text
    assert f":ADOPTED_FROM: {dead}" in text


def test_forced_archive_of_a_live_session_is_named_so(project: Path, run: Runner) -> None:
    run("start", agent="busy.p.x.1700000001")
    archive = Path(run("recover", "busy.p.x.1700000001", "--archive", "--force",
                       agent="me.p.x.1").stdout.strip())
    assert archive.name.endswith("-busy.p.x.1700000001-forced.org")


def test_start_warns_about_its_own_file_in_use_elsewhere(project: Path, run: Runner) -> None:
    agent = "shared.p.x.1700000001"
    path = owned_session(project, run, agent, "elsewhere 4242 1.00")
    before = path.read_bytes()
    result = run("start", agent=agent)
    assert path.read_bytes() == before
    assert "may be in use by another agent (unknown: it runs on another host, elsewhere)" in \
        result.stderr


def test_spawn_trust_hooks_starts_codex_with_its_option(project: Path, run: Runner,
                                                        tmp_path: Path) -> None:
    """--trust-hooks puts Codex's --dangerously-bypass-hook-trust first among its
    arguments; for another program it is a usage error, and nothing runs."""
    codex = tmp_path / "bin" / "codex"
    codex.parent.mkdir()
    codex.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n')
    codex.chmod(0o755)
    run("spawn", "--runtime", "codex", "--trust-hooks", "--", str(codex), "exec", "hi")
    assert (tmp_path / "bin/codex.args").read_text().split("\n")[:3] == [
        "--dangerously-bypass-hook-trust", "exec", "hi"]
    other = tmp_path / "bin" / "claude"
    other.write_text('#!/bin/sh\ntouch "$0.ran"\n')
    other.chmod(0o755)
    done = run("spawn", "--runtime", "claude", "--trust-hooks", "--", str(other), check=False)
    assert done.returncode == 2 and "Codex only" in done.stderr
    assert not (tmp_path / "bin/claude.ran").exists()


# -- evidence after an exit, and one word for each state (issue 11) ------------------------

WORKER = (
    'echo "$AI_AGENT_ID" > id; ai-protocols start --title Worker || exit 1; '
    '(while [ ! -e stop ]; do ai-protocols log --progress tick || exit; sleep 0.1; done; '
    ' touch stopped) </dev/null >/dev/null 2>&1 & exit 0'
)


def _wait(predicate: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def _written_after_the_exit(path: Path) -> bool:
    text = path.read_text()
    exit_at = text.find("exit: ended without wrap-up (exit status 0)")
    return exit_at >= 0 and "active: written to after its end was recorded" in text[exit_at:]


def _ticks(path: Path) -> int:
    """How many ``tick`` progress items the worker has logged (each in the Progress
    section, once)."""
    return len(re.findall(r"(?m)^- \[ \] \[[^]]*\] tick$", path.read_text()))


def test_writes_after_the_exit_record_outrank_it(project: Path, run: Runner) -> None:
    """The case seen: ``spawn -- sh -c 'ai-protocols start; (worker that keeps logging)
    & exit 0'``: status said ``crashed: its spawner recorded exit status 0`` while the
    worker was still writing, and ``recover --archive`` succeeded without --force, so
    the worker's next log was refused. A write after the exit record is evidence of
    life: the session is live, recovering it is refused, the worker logs on."""
    proc = spawn(project, WORKER)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    agent = (project / "id").read_text().strip()
    path = session_file(project, agent)
    try:
        _wait(lambda: _written_after_the_exit(path), "a write after the exit record")
        row = status(run)[agent]
        assert row["state"] == "live", row
        assert row["evidence"].startswith("written to after its spawner recorded exit status "
                                          "0 at "), row
        assert f"live       {agent}" in run("status").stdout
        refused = run("recover", agent, "--archive", check=False, agent="other.p.x.1700000009")
        assert refused.returncode == 11, refused.stderr
        assert "it may still be at work (live: written to after" in refused.stderr
        ticks = _ticks(path)
        _wait(lambda: _ticks(path) > ticks,
              "the worker's next log, not refused")
        text = path.read_text()
        assert ":STATUS:   active" in text and ":EXIT:     exit status 0" in text
        assert text.count("active: written to after its end was recorded (exit status 0)") == 1
    finally:
        (project / "stop").touch()
        _wait(lambda: (project / "stopped").exists(), "the worker to stop")
    # Nobody writes any more: once older than the stale threshold, it is abandoned.
    rows = json.loads(run("status", "--json", env={"AI_PROTOCOLS_STALE_HOURS": "0"}).stdout)
    [mine] = [r for r in rows if r["agent_id"] == agent]
    assert mine["state"] == "abandoned", mine
    assert "after its spawner recorded exit status 0" in mine["evidence"]


def _states_everywhere(project: Path, run: Runner, newcomer: str) -> dict[str, list[str]]:
    """Each session's state word as status (JSON and text), list (JSON and text), start
    (other agents' sessions to recover) and resume --json say it."""
    words: dict[str, list[str]] = {}
    for row in json.loads(run("status", "--json").stdout):
        words.setdefault(row["agent_id"], []).append(row["state"])
    for line in run("status").stdout.splitlines():
        if found := re.match(r"[* ] (\S+) +(\S+)  updated", line):
            words[found[2]].append(found[1])
    for row in json.loads(run("list", "--json").stdout):
        if row["kind"] == "open":
            words[row["agent_id"]].append(row["state"])
    for line in run("list").stdout.splitlines():
        if found := re.match(r"\S+ \S+  open +(\S+) +(\S+)", line):
            words[found[2]].append(found[1])
    for line in run("start", agent=newcomer).stdout.splitlines():
        if found := re.match(r"  (\S+): (\S+) \(", line):
            words[found[1]].append(found[2])
    resumed = json.loads(run("resume", "--json", "--max-bytes", "100000", agent=newcomer).stdout)
    for other in resumed["others"]:
        words[other["agent_id"]].append(other["state"])
    return words


def test_one_word_for_each_state_everywhere(project: Path, run: Runner) -> None:
    """An agent that exits with status 0 without a wrap-up did not crash: it ended. And
    ``list`` printed ``live`` for a file ``status`` called ``crashed``. Now every
    command says the same word for the same file, in text and in JSON."""
    ids = {}
    for name, script in (("ended", "exit 0"), ("failed", "exit 3"),
                         ("killed", "kill -9 $$")):
        proc = spawn(project, f'echo "$AI_AGENT_ID" > {name}; ai-protocols start; {script}')
        proc.communicate(timeout=60)
        ids[name] = (project / name).read_text().strip()
    ids["gone"] = "gone.p.x.1700000001"
    run("start", agent=ids["gone"], as_another_agent=True)
    ids["live"] = "live.p.x.1700000002"
    run("start", agent=ids["live"])
    for name in ("old", "fresh"):  # sessions a person wrote: no owner; one long untouched
        ids[name] = f"{name}.p.x.1700000003"
        run("start", agent=ids[name])
        path = session_file(project, ids[name])
        text = re.sub(r"(?m)^:OWNER:.*\n", "", path.read_text())
        if name == "old":
            text = re.sub(r"(?m)^:UPDATED:.*$", ":UPDATED:  [2020-01-01 Wed 10:00]", text)
        path.write_text(text)
    ids["closed"] = "closed.p.x.1700000004"
    run("start", agent=ids["closed"])
    path = session_file(project, ids["closed"])
    path.write_text(path.read_text().replace(":STATUS:   active", ":STATUS:   wrapped-up"))
    # An agent's own SessionEnd hook records a normal end too.
    sid = "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f"
    for event in ("SessionStart", "SessionEnd"):
        payload = json.dumps({"session_id": sid, "cwd": str(project), "reason": "logout",
                              "hook_event_name": event, "source": "startup"})
        done = subprocess.run([str(CLI), "hook", event, "--runtime", "claude"], cwd=project,
                              env=clean_env(), input=payload, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
    ids["hooked"] = derived_agent_id("claude", sid, project)

    words = _states_everywhere(project, run, "newcomer.p.x.1700000009")
    want = {"ended": "ended", "failed": "crashed", "killed": "crashed", "gone": "crashed",
            "live": "live", "old": "abandoned", "fresh": "unknown", "closed": "wrapped-up",
            "hooked": "ended"}
    recoverable = {"crashed", "abandoned", "wrapped-up"}  # ended: its agent may resume it
    for name, state in want.items():
        said = words[ids[name]]
        count = 6 if state in recoverable else 4  # start and resume list only those
        assert said == [state] * count, (name, said)
    evidence = {r["agent_id"]: r["evidence"] for r in status(run).values()}
    assert evidence[ids["ended"]].startswith("its spawner recorded exit status 0 at ")
    assert evidence[ids["failed"]].startswith("its spawner recorded exit status 3 at ")
    assert evidence[ids["killed"]].startswith("its spawner recorded signal 9 (SIGKILL) at ")
    assert evidence[ids["hooked"]].startswith(
        "its claude SessionEnd hook recorded session end (logout) at ")


def test_recover_archives_an_ended_session_under_its_state(project: Path,
                                                           run: Runner) -> None:
    """An ended session is recoverable like a crashed one, and its archive says what
    happened: STATUS and DESCRIPTION ``ended``, not ``crashed``."""
    proc = spawn(project, 'echo "$AI_AGENT_ID" > id; ai-protocols start; exit 0')
    proc.communicate(timeout=60)
    agent = (project / "id").read_text().strip()
    archive = Path(run("recover", agent, "--archive", agent="me.p.x.1700000001").stdout.strip())
    assert archive.name.endswith(f"-{agent}-ended.org")
    text = archive.read_text()
    assert ":STATUS:   ended" in text and ":DESCRIPTION: ended" in text
    assert "recover: archived as ended (ended: its spawner recorded exit status 0" in text


def test_an_agent_in_a_pid_namespace_is_not_judged_gone(project: Path, run: Runner) -> None:
    """Seen: a sandbox that unshares process ids but keeps the host name (bubblewrap's
    --unshare-pid): its agent's OWNER was ``pid 2 on vm``, which outside the sandbox is
    another process or none, so the live session was crashed and archived without
    --force. The PID namespace is recorded; from another one the owner cannot be
    seen: unknown, and recovering it is refused."""
    agent = "sb.p.x.1700000080"
    inner = (f"AI_AGENT_ID={agent} {sys.executable} -c 'import subprocess, time; "
             f"subprocess.run([\"{CLI}\", \"start\", \"--title\", \"sandboxed\"], check=True); "
             "open(\"started\", \"w\").close(); time.sleep(60)'")
    sandbox = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", inner],
                               cwd=project, env=clean_env())
    try:
        _wait(lambda: (project / "started").exists(), "the sandboxed start")
        path = session_file(project, agent)
        owner = re.search(r"^:OWNER: +(.*)$", path.read_text(), re.M).group(1)  # type: ignore[union-attr]
        assert re.search(r" pidns [0-9]+\)$", owner), owner
        row = status(run)[agent]
        assert row["state"] == "unknown", row
        assert "runs in another PID namespace" in row["evidence"], row
        refused = run("recover", agent, "--archive", check=False, agent="other.p.x.1700000009")
        assert refused.returncode == 11, refused.stderr
        assert path.exists()
    finally:
        sandbox.kill()
        sandbox.wait(timeout=60)


def test_the_recover_commands_offered_work_for_an_id_that_starts_with_a_dash(
        project: Path, run: Runner) -> None:
    """Seen: for AI_AGENT_ID=-a, start and resume offered 'ai-protocols recover -a
    --archive', which click reads as an option (exit 2). The command offered is the
    one that works, pasted as it is."""
    me = "me.p.x.1700000001"
    for agent, form in (("-a", "-a"), ("-a;b", "'-a;b'")):  # (and one the shell quotes)
        run("start", agent=agent, as_another_agent=True)  # its owner gone: crashed
        offered = [line.split(": ", 1)[1] for line in run("start", agent=me).stdout.splitlines()
                   if line.strip().startswith("archive it:")]
        assert offered == [f"ai-protocols recover --archive -- {form}"]
        resumed = json.loads(run("resume", "--json", agent=me).stdout)["others"]
        assert [o["archive"] for o in resumed] == offered
        done = subprocess.run(offered[0].replace("ai-protocols", str(CLI), 1), shell=True,
                              cwd=project, env=clean_env(AI_AGENT_ID=me),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
