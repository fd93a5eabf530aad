"""``ai-protocols agent-id``: fresh ``host.project.runtime.<epoch>`` ids, never repeated."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections import defaultdict
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


def split_id(agent: str) -> tuple[str, str, str, int, int]:
    """(host, project, runtime, epoch, count) of a minted id; count 1 has no tail."""
    match = re.fullmatch(r"([^.]+)\.([^.]+)\.([^.]+)\.(\d{9,})(?:-(\d+))?", agent)
    assert match, agent
    host, project, runtime, epoch, count = match.groups()
    if count is not None:
        assert int(count) >= 2, agent
    return host, project, runtime, int(epoch), int(count or 1)


# --- the shape of an id -----------------------------------------------------------------


def test_agent_id_is_host_project_runtime_epoch(project: Path, run: Runner) -> None:
    before = int(time.time())
    line = run("agent-id", "--runtime", "claude").stdout
    after = int(time.time())
    assert line.endswith("\n") and line.count("\n") == 1
    agent = line[:-1]
    host, name, runtime, epoch, count = split_id(agent)
    assert (host, name, runtime, count) == (short_host(), "proj", "claude", 1)
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
        assert agent.startswith(f"{part}.proj.claude.{FIXED}"), agent
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


def _assert_fresh_sequence(ids: list[str]) -> None:
    """All distinct; per epoch the tails are exactly 1 (no tail), -2, -3, ..."""
    assert len(set(ids)) == len(ids), sorted(ids)
    counts: dict[tuple[str, str, str, int], list[int]] = defaultdict(list)
    for agent in ids:
        host, name, runtime, epoch, count = split_id(agent)
        counts[host, name, runtime, epoch].append(count)
    for key, seen in counts.items():
        assert sorted(seen) == list(range(1, len(seen) + 1)), (key, sorted(seen))


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
    pattern = re.compile(rf"^{re.escape(short_host())}\.proj\.claude\.\d{{9,}}(-\d+)?$")
    for agent in ids:
        assert pattern.match(agent), agent
        assert has_unique_tail(agent)
        assert before <= split_id(agent)[3] <= after + 1
    _assert_fresh_sequence(ids)


def test_concurrent_runtimes_count_separately(project: Path) -> None:
    procs = [
        subprocess.Popen([str(CLI), "agent-id", "--runtime", runtime], cwd=project,
                         env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for runtime in ["claude", "codex"] * 6
    ]
    ids = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    for runtime in ("claude", "codex"):
        mine = [agent for agent in ids if split_id(agent)[2] == runtime]
        assert len(mine) == 6
        _assert_fresh_sequence(mine)


def test_many_calls_in_one_second_in_process(project: Path) -> None:
    ids = [mint_agent_id("claude", project) for _ in range(50)]
    _assert_fresh_sequence(ids)


def test_same_second_gets_counting_tails(project: Path) -> None:
    prefix = f"{short_host()}.proj.claude"
    got = [mint_agent_id("claude", project, now=FIXED + 0.9) for _ in range(3)]
    assert got == [f"{prefix}.{FIXED}", f"{prefix}.{FIXED}-2", f"{prefix}.{FIXED}-3"]
    assert all(has_unique_tail(agent) for agent in got)
    assert mint_agent_id("claude", project, now=FIXED + 1) == f"{prefix}.{FIXED + 1}"
    assert mint_agent_id("codex", project, now=FIXED) == f"{short_host()}.proj.codex.{FIXED}"


def test_clock_stepping_back_still_gives_fresh_ids(project: Path) -> None:
    prefix = f"{short_host()}.proj.claude"
    first = mint_agent_id("claude", project, now=FIXED)
    back = [mint_agent_id("claude", project, now=FIXED - step) for step in (1, 3600, 0)]
    assert [first, *back] == [f"{prefix}.{FIXED}", f"{prefix}.{FIXED}-2",
                              f"{prefix}.{FIXED}-3", f"{prefix}.{FIXED}-4"]
    assert mint_agent_id("claude", project, now=FIXED + 5) == f"{prefix}.{FIXED + 5}"
    assert mint_agent_id("claude", project, now=FIXED) == f"{prefix}.{FIXED + 5}-2"


def test_a_later_process_sees_ids_minted_before(project: Path, run: Runner) -> None:
    """The last tail is kept on disk: a clock behind the record still gets a fresh id."""
    future = int(time.time()) + 10_000
    minted = mint_agent_id("claude", project, now=future)
    assert minted.endswith(f".{future}")
    from_cli = run("agent-id", "--runtime", "claude").stdout.strip()
    assert from_cli == f"{minted}-2"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(FIXED - 5, FIXED + 5), min_size=1, max_size=12))
def test_any_clock_sequence_never_repeats(tmp_path_factory: pytest.TempPathFactory,
                                          clock: list[int]) -> None:
    root = tmp_path_factory.mktemp("clock") / "proj"
    (root / ".ai").mkdir(parents=True)
    ids = [mint_agent_id("claude", root, now=now) for now in clock]
    assert len(set(ids)) == len(ids)
    epochs = [split_id(agent)[3] for agent in ids]
    assert epochs == sorted(epochs)  # never earlier than an id already given
    assert epochs[-1] == max(clock)


# --- invalid runtimes ---------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["a.b", "", "x y", "r" * 41, "a/b", "é", "claude\n"])
def test_invalid_runtime_is_refused(project: Path, run: Runner, runtime: str) -> None:
    result = run("agent-id", f"--runtime={runtime}", check=False)
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: runtime ")
    assert "cannot be used:" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not list(project.glob(".ai/.locks/agent-id.*"))  # nothing was minted


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
       st.one_of(st.none(), st.integers(2, 10**4)))
def test_every_minted_shape_has_an_epoch_tail(part: str, epoch: int, count: int | None) -> None:
    agent = f"{part}.{part}.{part}.{epoch}" + ("" if count is None else f"-{count}")
    assert has_unique_tail(agent)
