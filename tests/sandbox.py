"""Helpers for tests that need more than a temporary folder: tree snapshots, an
unprivileged user, a private mount namespace with a tiny tmpfs.

None of these skips a test: a machine that cannot do what a test needs makes
the test fail with a message that says what is missing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent

#: One entry of a snapshot: ("dir", mode, mtime_ns), ("file", mode, mtime_ns,
#: size, sha256) or ("link", target).
Entry = tuple[Any, ...]
Snapshot = dict[str, Entry]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (``root`` itself is ``"."``), never following a
    symbolic link: a file's bytes (as a digest), permission bits and mtime, a
    folder's permission bits and mtime, a link's target."""
    shot: Snapshot = {}

    def visit(path: Path, name: str) -> None:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            shot[name] = ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            shot[name] = ("dir", stat.S_IMODE(info.st_mode), info.st_mtime_ns)
            for child in sorted(os.listdir(path)):
                visit(path / child, child if name == "." else f"{name}/{child}")
        elif stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            shot[name] = ("file", stat.S_IMODE(info.st_mode), info.st_mtime_ns,
                          info.st_size, digest)
        else:
            shot[name] = ("other", stat.S_IFMT(info.st_mode))

    visit(root, ".")
    return shot


_EMPTY = hashlib.sha256(b"").hexdigest()


def _lock_noise(name: str, old: Entry | None, new: Entry | None) -> bool:
    """Under ``.ai/.locks/`` only: a new, empty ``*.lock`` file; a new folder to hold
    one; a folder's mtime changed by either. A lock is taken before the file it
    guards can be read, so a command refused for what it finds there may leave
    the (empty, data-free) lock file behind. (The readers' caches there are never a
    change: ``_cache``.) Nothing else may change."""
    parts = name.split("/")
    if not any(parts[i:i + 2] == [".ai", ".locks"] for i in range(len(parts) - 1)):
        return False
    if old is None and new is not None:
        if new[0] == "dir":
            return True
        return new[0] == "file" and name.endswith(".lock") and new[4] == _EMPTY
    return (old is not None and new is not None and old[0] == new[0] == "dir"
            and old[1] == new[1])


def _cache(name: str) -> bool:
    """Whether ``name`` is one of the readers' per-machine caches in ``.ai/.locks/``:
    ``status``'s record of the newest archives and the record of other agents' heads.
    Each is written once what it records has been still a while (git's "racy" rule),
    so whether a run writes it depends on the machine's speed and load; neither holds
    anything a person or an agent wrote, so any command may write them."""
    from ai_protocols.session.heads import HEADS_NAME
    from ai_protocols.storage.archive_index import NEWEST_NAME

    parts = name.split("/")
    return len(parts) > 2 and parts[-2:-1] == [".locks"] and parts[-3] == ".ai" and \
        parts[-1] in (NEWEST_NAME, HEADS_NAME)


def changes(before: Snapshot, after: Snapshot, *, locks_may_appear: bool = False,
            folder_mtimes: bool = True) -> list[str]:
    """What differs between two snapshots, one line per entry, as allowed by:

    ``locks_may_appear``: new lock files under ``.ai/.locks/`` (see ``_lock_noise``;
    the readers' caches there, ``_cache``, never count);
    ``folder_mtimes=False``: a folder's mtime (a write that failed created and
    removed its temporary file); its listing must still be the same.
    """
    found = []
    names = sorted(before.keys() | after.keys())
    cached = {name.rpartition("/")[0] for name in names if _cache(name)
              and before.get(name) != after.get(name)}
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new or _cache(name):
            continue
        if name in cached and old is not None and new is not None and \
                old[0] == new[0] == "dir" and old[1] == new[1]:
            continue  # (its mtime, moved by a cache written in it)
        if locks_may_appear and _lock_noise(name, old, new):
            continue
        if (not folder_mtimes and old is not None and new is not None
                and old[0] == new[0] == "dir" and old[1] == new[1]):
            continue
        found.append(f"{name}: {old} -> {new}")
    return found


# -- an unprivileged user ------------------------------------------------------------------

NOBODY = 65534


def as_nobody(command: list[str]) -> list[str]:
    """``command`` run so that file permissions apply: as is for an ordinary user;
    for root (who ignores them), as user and group 65534 through ``setpriv``."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    assert setpriv, ("running as root, these tests need setpriv (util-linux) to run the "
                     "command as an unprivileged user; install util-linux")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


@contextlib.contextmanager
def world_readable_tmpdir() -> Iterator[Path]:
    """A fresh folder under /tmp that any user can traverse (pytest's own tmp_path
    sits in a folder only its owner can enter)."""
    folder = Path(tempfile.mkdtemp(prefix="ai-protocols-", dir="/tmp")).resolve()
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        for path, dirs, _files in os.walk(folder):
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(path, name), 0o755)
        shutil.rmtree(folder, ignore_errors=True)


def give_to_nobody(root: Path) -> None:
    """Make ``root`` and everything in it belong to the unprivileged user (as root)."""
    if os.geteuid() != 0:
        return
    for path, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(path, name), NOBODY, NOBODY)
    os.lchown(root, NOBODY, NOBODY)


# -- a private mount namespace ---------------------------------------------------------------

_CHILD = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
function = getattr(importlib.import_module(sys.argv[2]), sys.argv[3])
print(json.dumps(function(*json.loads(sys.argv[4]))))
"""


def in_mount_namespace(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` (a module-level function of a test module; JSON in,
    JSON out) in a new process inside its own mount namespace (``unshare -m``), so
    that whatever it mounts disappears with it."""
    unshare = shutil.which("unshare")
    assert unshare, "this test needs unshare (util-linux) for a private mount namespace"
    module = function.__module__
    importlib.import_module(module)  # the child imports it by the same name
    result = subprocess.run(
        [unshare, "--mount", "--propagation", "private", sys.executable, "-c", _CHILD,
         str(TESTS), module, function.__qualname__, json.dumps(args)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (
        f"the scenario in a private mount namespace failed (exit {result.returncode}); "
        f"this test needs root and unshare -m (util-linux)\n{result.stderr}")
    return json.loads(result.stdout)


def mount_tmpfs(folder: Path, size: str, inodes: int | None = None) -> None:
    """Mount a tmpfs of ``size`` (``256k``) on ``folder``, with at most ``inodes`` files
    and folders when given; call only inside :func:`in_mount_namespace`. A machine
    that refuses fails the test, loudly."""
    options = f"size={size},mode=0755" + (f",nr_inodes={inodes}" if inodes else "")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options,
                             "tmpfs", str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"cannot mount a {size} tmpfs on {folder} (needs root and "
                           f"a private mount namespace): {result.stderr.strip()}")


def fill(folder: Path, leave: int = 0, name: str = "filler") -> Path:
    """Fill the file system of ``folder`` with a file ``name``, then free ``leave``
    bytes (rounded by the file system to its blocks)."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        chunk = b"\0" * 4096
        while True:
            try:
                os.write(fd, chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
    finally:
        os.close(fd)
    if leave:
        os.truncate(path, max(path.stat().st_size - leave, 0))
    return path


def fill_inodes(folder: Path, leave: int = 0) -> Path:
    """Take every free inode of the file system of ``folder`` with empty files in a
    new folder ``folder/inodes``, then free ``leave`` of them; return that folder."""
    filler = folder / "inodes"
    filler.mkdir()
    made = 0
    while True:
        try:
            os.close(os.open(filler / str(made), os.O_WRONLY | os.O_CREAT, 0o644))
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            break
        made += 1
    for n in range(made - 1, made - 1 - leave, -1):
        (filler / str(n)).unlink()
    return filler


#: The script :func:`left_behind` runs: argv ``HOW PIDFILE OUT ERR COMMAND...``.
_LEFT_BEHIND = r"""
import ctypes, os, sys, time
how, pidfile, out, err, *command = sys.argv[1:]
if how == "subreaper":
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
shell = os.fork()
if shell == 0:  # the shell that leaves the command behind: '(command &)'
    if how == "subreaper":
        os.setsid()  # (an agent's terminal in a session of its own, under systemd --user)
    shell = os.getpid()
    if os.fork() == 0:
        for _ in range(3000):  # (until its shell has gone and it is adopted)
            if os.getppid() != shell:
                break
            time.sleep(0.01)
        if how == "setsid":
            os.setsid()
        with open(pidfile + ".new", "w") as handle:
            handle.write(str(os.getpid()))
        os.replace(pidfile + ".new", pidfile)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        os.execv(command[0], command)
    os._exit(0)
if how == "subreaper":
    try:
        while True:
            os.wait()
    except ChildProcessError:
        pass
else:
    os.waitpid(-1, 0)
"""


def left_behind(command: list[str], *, cwd: Path, env: dict[str, str],
                how: str = "background") -> tuple[str, str, int]:
    """Run ``command`` as a shell leaves it behind, and wait until it has ended: its
    shell forks it and exits first (``(command &)``), so that it is adopted by process 1
    (``how="background"``), by process 1 leading a session of its own (``"setsid"``:
    ``setsid -f command``), or by a subreaper (``"subreaper"``: the process that runs
    this, ``PR_SET_CHILD_SUBREAPER``, above a shell in a session of its own, as an
    agent's terminal under ``systemd --user``). The command never runs before its shell
    is gone (it waits for its adoption, not for a time). Returns its stdout, stderr and
    process id."""
    with tempfile.TemporaryDirectory() as folder:
        pidfile, out, err = (os.path.join(folder, name) for name in ("pid", "out", "err"))
        subprocess.run([sys.executable, "-c", _LEFT_BEHIND, how, pidfile, out, err, *command],
                       cwd=cwd, env=env, check=True, timeout=120)
        pid = None
        for _ in range(6000):  # (no time judged: a bound on a wait that always ends)
            if pid is None and os.path.exists(pidfile):
                pid = int(Path(pidfile).read_text())
            if pid is not None and not _running(pid):
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"{command} left behind did not end")
        return (Path(out).read_text(encoding="utf-8"), Path(err).read_text(encoding="utf-8"),
                pid)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (not gone, not a zombie waiting for its reaper)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rpartition(")")[2].split()[0] != "Z"
