"""Issue 16, twenty-sixth round: ``scripts/bench`` measures what a project's older files
cost, and counts instructions.

The ``many`` group's 1,000 other session files were timed right after they were written,
all inside the tool's racy window (``RACY_NS``), so ``.ai/.locks/others.heads`` kept none
of their heads and the rows measured the uncached path. The bench now waits the window
out after writing a group's files (no longer than needed). ``--instructions`` counts
the ratio rows by valgrind's callgrind; without valgrind it exits 2, having made nothing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ai_protocols.session.heads import HEADS_NAME, MAGIC, decode
from ai_protocols.session.resume import DEFAULT_MAX_BYTES, others_to_read
from ai_protocols.storage.files import RACY_NS

from conftest import CLI, REPO_ROOT, clean_env

BENCH = REPO_ROOT / "scripts" / "bench"


def _bench():
    """``scripts/bench`` as a module (its ``main`` not run)."""
    loader = importlib.machinery.SourceFileLoader("bench_twentysixth", str(BENCH))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # (its dataclass looks its module up)
    loader.exec_module(module)
    return module


def _heads(project: Path) -> dict[str, list[object]]:
    data = (project / ".ai/.locks" / HEADS_NAME).read_bytes()
    assert data.startswith(MAGIC)
    return decode(data)


def test_the_many_groups_rows_are_served_by_the_heads_record(tmp_path: Path) -> None:
    """The ``many`` group's project, as the bench builds it: the first ``resume`` keeps the
    head of every other file it reads in ``others.heads`` (none when the files are inside
    the racy window, as they were), and a second ``resume`` finds every one of them there
    (the record is not written again: what it found is what it kept)."""
    bench = _bench()
    most = others_to_read(DEFAULT_MAX_BYTES)
    env = clean_env()
    many, agent, payload = bench.make_many(tmp_path, env, count=most + 20)
    assert payload.is_file()
    newest = max(max(os.lstat(path).st_mtime_ns, os.lstat(path).st_ctime_ns)
                 for path in (many / ".ai/session-context.d").iterdir())
    assert newest < time.time_ns() - RACY_NS
    record = many / ".ai/.locks" / HEADS_NAME
    assert not record.exists()
    resume = [str(CLI), "resume"]
    first = subprocess.run(resume, cwd=many, env={**env, "AI_AGENT_ID": agent},
                           capture_output=True, text=True, check=True)
    kept = _heads(many)
    assert len(kept) == most, (len(kept), most)
    assert all(Path(path).parent.name == "session-context.d" for path in kept)
    before = record.stat()
    second = subprocess.run(resume, cwd=many, env={**env, "AI_AGENT_ID": agent},
                            capture_output=True, text=True, check=True)
    after = record.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _heads(many) == kept
    assert first.stdout == second.stdout


def test_the_wait_is_the_racy_window_and_no_longer(tmp_path: Path) -> None:
    """``wait_out_racy`` returns once every file and folder under the roots has times
    older than ``RACY_NS``, having slept no longer than the newest one needs; on files
    already that old it does not sleep."""
    bench = _bench()
    folder = tmp_path / "d" / "e"
    folder.mkdir(parents=True)
    (folder / "f").write_text("x")
    (tmp_path / "d" / "g").write_text("y")
    newest = max(max(st.st_mtime_ns, st.st_ctime_ns) for st in map(os.lstat, (
        tmp_path / "d", folder, folder / "f", tmp_path / "d" / "g")))
    waited = bench.wait_out_racy(tmp_path / "d")
    now = time.time_ns()
    assert newest < now - RACY_NS
    # (no longer than the window past the newest time, less what passed before the call)
    assert 0 < waited <= (newest + RACY_NS + 1 - (now - int(waited * 1e9))) / 1e9 + 0.01
    assert waited <= RACY_NS / 1e9
    assert bench.wait_out_racy(tmp_path / "d") == 0


def _path_without(tmp_path: Path, *left_out: str) -> str:
    """A ``PATH`` of one folder holding links to every program on the caller's ``PATH``
    but ``left_out``."""
    linked = tmp_path / "bin"
    linked.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            target = os.path.join(folder, name)
            if name not in left_out and not (linked / name).exists() and \
                    os.access(target, os.X_OK) and not os.path.isdir(target):
                (linked / name).symlink_to(target)
    return str(linked)


def test_instructions_without_valgrind_exits_2_having_made_nothing(tmp_path: Path) -> None:
    """``--instructions`` with no valgrind on ``PATH``: exit status 2, a message that names
    valgrind and how to install it, and no scratch project made."""
    kept = tmp_path / "kept"
    proc = subprocess.run([sys.executable, str(BENCH), "--instructions", "--only", "tens",
                           "--keep", str(kept)], capture_output=True, text=True,
                          env=clean_env(PATH=_path_without(tmp_path, "valgrind")), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "valgrind" in proc.stderr and "apt-get install valgrind" in proc.stderr
    assert proc.stdout == ""
    assert not kept.exists()


def test_instructions_refuses_groups_it_does_not_count(tmp_path: Path) -> None:
    """``--instructions --only status``: a usage error (exit 2) naming the groups counted."""
    proc = subprocess.run([sys.executable, str(BENCH), "--instructions", "--only", "status",
                           "--keep", str(tmp_path / "kept")], capture_output=True, text=True,
                          env=clean_env(), timeout=120)
    assert proc.returncode == 2
    assert "not counted" in proc.stderr and "hot, tens, many" in proc.stderr
    assert not (tmp_path / "kept").exists()


@pytest.mark.skipif(not any(os.access(os.path.join(folder, "valgrind"), os.X_OK)
                            for folder in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="valgrind is not installed")
def test_instructions_counts_the_rows_and_their_floor(tmp_path: Path) -> None:
    """A real run of ``--instructions --only tens``: each row's count and its floor's
    (``python3 -c pass``, some tens of millions of instructions), their ratio as the
    counts give it, judged against the budget."""
    proc = subprocess.run([sys.executable, str(BENCH), "--instructions", "--only", "tens"],
                          capture_output=True, text=True, env=clean_env(), timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()
            if line.startswith(("status --json", "list --json"))]
    assert len(rows) == 2, proc.stdout
    for words in rows:
        # "... 81.1 M python3 -c pass 38.2 M 2.13x ≤ 3x yes"
        at = words.index("python3")
        counted, floor = float(words[at - 2]), float(words[at + 3])
        ratio = float(words[at + 5].rstrip("x"))
        assert 10 < floor < counted
        assert abs(ratio - counted / floor) < 0.01
        assert words[-1] == ("yes" if ratio <= 3 else "NO")
    assert "callgrind" in proc.stdout
