"""``ai-protocols agent-id``: fresh ``host.project.runtime.<epoch>-<random>`` ids, never
repeated: not in one clone, not across clones, users or hosts."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols import mint_agent_id, safe_id
from ai_protocols.identity import has_unique_tail
from ai_protocols.liveness import host as host_module
from ai_protocols.paths import id_part

from conftest import CLI, Runner, clean_env

PART = re.compile(r"[A-Za-z0-9_-]{1,40}")
FIXED = 1_718_400_000


def short_host() -> str:
    """The host part as documented: short host name, other characters made ``-``."""
    name = socket.gethostname().split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40].strip("-") or "host"


def split_id(agent: str) -> tuple[str, str, str, int, str]:
    """(host, project, runtime, epoch, random digits) of a minted id."""
    match = re.fullmatch(r"([^.]+)\.([^.]+)\.([^.]+)\.(\d{9,})-([0-9a-f]{12})", agent)
    assert match, agent
    host, project, runtime, epoch, tail = match.groups()
    return host, project, runtime, int(epoch), tail


# --- the shape of an id -----------------------------------------------------------------


def test_agent_id_is_host_project_runtime_epoch(project: Path, run: Runner) -> None:
    before = int(time.time())
    line = run("agent-id", "--runtime", "claude").stdout
    after = int(time.time())
    assert line.endswith("\n") and line.count("\n") == 1
    agent = line[:-1]
    host, name, runtime, epoch, _ = split_id(agent)
    assert (host, name, runtime) == (short_host(), "proj", "claude")
    assert before <= epoch <= after + 1
    assert PART.fullmatch(host) and PART.fullmatch(name)
    assert safe_id(agent) == agent  # used as it is: no percent-encoding
    assert has_unique_tail(agent)


def test_minted_id_resolves_to_its_own_file(project: Path, run: Runner) -> None:
    agent = run("agent-id", "--runtime", "codex").stdout.strip()
    script = project / ".ai" / "scripts" / "session-context-path"
    resolved = subprocess.run(["/bin/sh", str(script)], env=clean_env(AI_AGENT_ID=agent),
                              capture_output=True, text=True, check=True, timeout=60).stdout
    assert resolved == f"{project}/.ai/session-context.d/{agent}.org\n"
    assert run("path", agent=agent).stdout == resolved


def test_agent_id_from_a_subfolder_names_the_project(project: Path, run: Runner) -> None:
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    _, name, _, _, _ = split_id(run("agent-id", "--runtime", "claude", cwd=sub).stdout.strip())
    assert name == "proj"


@pytest.mark.parametrize(("folder", "part"), [
    ("My Project (v2)", "My-Project-v2"),
    ("proj.with.dots", "proj-with-dots"),
    ("under_score-dash", "under_score-dash"),
    ("--lead", "lead"),
    ("日本語", "project"),
    ("x" * 60, "x" * 40),
])
def test_project_part_is_the_folder_name_made_safe(tmp_path: Path, folder: str,
                                                   part: str) -> None:
    root = (tmp_path / folder).resolve()
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = subprocess.run([str(CLI), "agent-id", "--runtime", "claude"], cwd=root,
                            env=clean_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    agent = result.stdout.strip()
    assert split_id(agent)[1] == part
    assert safe_id(agent) == agent


def _can_set_hostname() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--uts", sys.executable, "-c",
         "import socket; socket.sethostname('probe.x'); print(socket.gethostname())"],
        capture_output=True, text=True, timeout=60,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "probe.x"


@pytest.mark.skipif(not _can_set_hostname(), reason="needs unshare --uts (root)")
@pytest.mark.parametrize(("hostname", "part"), [
    ("velox.example.com", "velox"),
    ("my_Host-1.lan", "my_Host-1"),
    ("host with spaces.x", "host-with-spaces"),
    ("w3ird+host!", "w3ird-host"),
    ("!!!.example.com", "host"),
])
def test_host_part_is_the_short_host_name_made_safe(project: Path, hostname: str,
                                                    part: str) -> None:
    """A real process under its own host name (a private UTS namespace)."""
    code = ("import os, socket, sys; socket.sethostname(sys.argv[1]); "
            "os.execv(sys.argv[2], sys.argv[2:])")
    result = subprocess.run(
        ["unshare", "--uts", sys.executable, "-c", code, hostname, str(CLI),
         "agent-id", "--runtime", "claude"],
        cwd=project, env=clean_env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    agent = result.stdout.strip()
    assert split_id(agent)[0] == part
    assert safe_id(agent) == agent


def test_host_part_in_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for hostname, part in (("a.b.c", "a"), ("a b", "a-b"), ("", "host"), ("é", "host"),
                           ("-x-", "x"), ("h" * 50 + ".d", "h" * 40)):
        monkeypatch.setattr(host_module, "hostname", lambda h=hostname: h)
        agent = mint_agent_id("claude", project, now=FIXED)
        assert agent.startswith(f"{part}.proj.claude.{FIXED}-"), agent
        assert safe_id(agent) == agent


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_id_part_is_always_one_safe_id_part(value: str) -> None:
    part = id_part(value, "fallback")
    assert PART.fullmatch(part)
    assert not part.startswith("-") and not part.endswith("-") and "--" not in part
    if re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,38}[A-Za-z0-9_])?", value) and \
            "--" not in value:
        assert part == value


# --- uniqueness -------------------------------------------------------------------------


def _assert_all_different(ids: list[str]) -> None:
    assert len(set(ids)) == len(ids), sorted(ids)
    assert len({split_id(agent)[4] for agent in ids}) == len(ids)  # the tails alone differ


def test_concurrent_processes_never_get_the_same_id(project: Path) -> None:
    sub = project / "sub"
    sub.mkdir()
    before = int(time.time())
    procs = [
        subprocess.Popen([str(CLI), "agent-id", "--runtime", "claude"],
                         cwd=project if i % 2 else sub, env=clean_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(24)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    after = int(time.time())
    assert [proc.returncode for proc in procs] == [0] * 24, [err for _, err in outputs]
    ids = [out.strip() for out, _ in outputs]
    pattern = re.compile(rf"^{re.escape(short_host())}\.proj\.claude\.\d{{9,}}-[0-9a-f]{{12}}$")
    for agent in ids:
        assert pattern.match(agent), agent
        assert has_unique_tail(agent)
        assert before <= split_id(agent)[3] <= after + 1
    _assert_all_different(ids)


def test_many_calls_in_one_second_in_process(project: Path) -> None:
    ids = [mint_agent_id("claude", project, now=FIXED) for _ in range(200)]
    _assert_all_different(ids)
    assert {split_id(agent)[3] for agent in ids} == {FIXED}


def test_clock_stepping_back_still_gives_fresh_ids(project: Path) -> None:
    ids = [mint_agent_id("claude", project, now=now)
           for now in (FIXED, FIXED - 1, FIXED - 3600, FIXED, FIXED + 5, FIXED)]
    _assert_all_different(ids)
    assert [split_id(agent)[3] for agent in ids] == [FIXED, FIXED - 1, FIXED - 3600, FIXED,
                                                      FIXED + 5, FIXED]


def test_minting_writes_nothing(project: Path, run: Runner) -> None:
    """No record kept anywhere: nothing under .ai/ (a shared checkout's other users
    never meet a file of ours they cannot write), and no project needs .ai/ at all."""
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    run("agent-id", "--runtime", "claude")
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


# --- unique across clones and hosts (issue 11) -------------------------------------------

#: The same second for every mint: libfaketime (the Debian package faketime) stops the
#: clock of the process it runs at this time, as two mints in one real second see it.
SECOND = "2026-11-21 10:00:00"
SECOND_EPOCH = 1795255200  # SECOND in UTC, and the clock's zone is UTC below


def faked(*argv: str) -> list[str]:
    faketime = shutil.which("faketime")
    assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
    return [faketime, "-f", SECOND, *argv]


def clone_pair(tmp_path: Path) -> list[Path]:
    """Two clones of one remote on this host, both in folders named ``app``."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    clones = [tmp_path / "alice" / "app", tmp_path / "bob" / "app"]
    for clone in clones:
        clone.parent.mkdir()
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True,
                       capture_output=True)
        Runner(clone)("init")
    return clones


def test_two_clones_of_one_name_never_mint_the_same_id_in_one_second(tmp_path: Path) -> None:
    """The case seen: two clones of one remote, in folders of one name, minting
    ``agent-id --runtime codex`` in the same second, got the same id (the record that
    keeps ids apart lived in each clone), and after a pull one took over the other's
    session. Each clone mints ten, alternately, all in one frozen second."""
    clones = clone_pair(tmp_path)
    ids = []
    for _ in range(10):
        for clone in clones:
            result = subprocess.run(faked(str(CLI), "agent-id", "--runtime", "codex"),
                                    cwd=clone, env=clean_env(TZ="UTC"), capture_output=True,
                                    text=True, timeout=60)
            assert result.returncode == 0, result.stderr
            ids.append(result.stdout.strip())
    assert len(set(ids)) == len(ids), sorted(ids)  # twenty ids...
    assert {split_id(agent)[:4] for agent in ids} == {
        (short_host(), "app", "codex", SECOND_EPOCH)}  # ...of one prefix and one second
    _assert_all_different(ids)


def test_spawn_in_two_clones_in_one_second_gives_two_sessions(tmp_path: Path) -> None:
    """Through spawn, as agents are started: each agent of each clone its own file."""
    clones = clone_pair(tmp_path)
    script = 'printf %s "$AI_AGENT_ID" > id && ai-protocols start'
    env = clean_env(TZ="UTC", PATH=f"{CLI.parent}:{clean_env()['PATH']}")
    for clone in clones:
        result = subprocess.run(faked(str(CLI), "spawn", "--runtime", "codex", "--", "sh",
                                      "-c", script), cwd=clone, env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    first, second = ((clone / "id").read_text() for clone in clones)
    assert first != second, first
    assert split_id(first)[3] == split_id(second)[3] == SECOND_EPOCH


def test_hosts_whose_short_names_are_alike_never_mint_the_same_id(tmp_path: Path) -> None:
    """Different hosts (real processes under their own host names) whose names share
    their first label, in folders of one name, minting in one second. Never skipped:
    it fails where a process cannot take a host name of its own."""
    assert _can_set_hostname(), "this test needs unshare --uts (root, or a user namespace)"
    clones = clone_pair(tmp_path)
    code = ("import os, socket, sys; socket.sethostname(sys.argv[1]); "
            "os.execv(sys.argv[2], sys.argv[2:])")
    ids = []
    for hostname, clone in (("web1.dc-east", clones[0]), ("web1.dc-west", clones[1])) * 5:
        result = subprocess.run(
            ["unshare", "--uts", sys.executable, "-c", code, hostname,
             *faked(str(CLI), "agent-id", "--runtime", "codex")],
            cwd=clone, env=clean_env(TZ="UTC"), capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        ids.append(result.stdout.strip())
    assert len(set(ids)) == len(ids), sorted(ids)
    assert {split_id(agent)[:4] for agent in ids} == {("web1", "app", "codex", SECOND_EPOCH)}
    _assert_all_different(ids)


# --- invalid runtimes ---------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["a.b", "", "x y", "r" * 41, "a/b", "é", "claude\n"])
def test_invalid_runtime_is_refused(project: Path, run: Runner, runtime: str) -> None:
    before = sorted(project.rglob("*"))
    result = run("agent-id", f"--runtime={runtime}", check=False)
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: runtime ")
    assert "cannot be used:" in result.stderr
    assert result.stderr.count("\n") == 1
    assert sorted(project.rglob("*")) == before  # nothing was minted, nothing created


@pytest.mark.parametrize("runtime", ["r" * 40, "claude_code", "gpt-5", "-x", "X"])
def test_valid_runtimes(project: Path, run: Runner, runtime: str) -> None:
    agent = run("agent-id", f"--runtime={runtime}").stdout.strip()
    assert split_id(agent)[2] == runtime
    assert safe_id(agent) == agent and has_unique_tail(agent)


def test_runtime_is_required(project: Path, run: Runner) -> None:
    result = run("agent-id", check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--runtime" in result.stderr


# --- has_unique_tail -----------------------------------------------------------------------


@pytest.mark.parametrize(("agent", "tail"), [
    ("codex", False),
    ("velox.p.claude.1718400000", True),
    ("x.1718400000-3", True),
    ("velox.p.claude.1718400000-12", True),
    ("x-1718400000", True),
    ("x_1718400000", True),
    ("x.123456789", True),
    ("x.12345678", False),
    ("x1718400000", False),
    ("1718400000", False),
    ("x.1718400000-", False),
    ("x.1718400000-3a", False),
    ("velox.p.claude.1718400000-3f2a9c1b7d4e", True),  # minted since issue 11
    ("velox.p.claude.1718400000-3f2a9c1b7d4", False),
    ("velox.p.claude.1718400000-3F2A9C1B7D4E", False),
    ("x.1718400000.y", False),
    ("", False),
    ("velox.proj.claude", False),
    ("vm.proj.claude.7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", True),  # a derived id
    ("vm.proj.codex.019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b", True),
    ("vm.proj.claude.7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5", False),  # one digit short
    ("vm.proj.claude.7c0e2f431d2b4c589a4e0a1b2c3d4e5f", False),
])
def test_has_unique_tail_examples(agent: str, tail: bool) -> None:
    assert has_unique_tail(agent) is tail


@settings(max_examples=200, deadline=None)
@given(st.from_regex(PART, fullmatch=True), st.integers(10**8, 10**12),
       st.one_of(st.none(), st.integers(2, 10**4), st.binary(min_size=6, max_size=6)))
def test_every_minted_shape_has_an_epoch_tail(part: str, epoch: int,
                                              tail: int | bytes | None) -> None:
    """Minted now (``-<12 hex digits>``), and as older versions minted (none, ``-N``)."""
    end = "" if tail is None else f"-{tail.hex() if isinstance(tail, bytes) else tail}"
    assert has_unique_tail(f"{part}.{part}.{part}.{epoch}{end}")
