"""``ai-protocols spawn``: start an agent with a fresh id, and know when it ends.

The spawner mints ``AI_AGENT_ID``, holds the agent's lease (an
operating-system lock the kernel drops when the spawner dies) for exactly as
long as the child lives, forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to it,
and when the child ends without a wrap-up records that in its session file,
with the exit status or signal and the time (with no session file: beside the
lease, :func:`record_spawn_exit`). Only then does it let the lease
go, so whoever sees the lease free also sees the record.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ai_protocols.errors import AiProtocolsError, LockTimeout, StorageError
from ai_protocols.identity import mint_agent_id
from ai_protocols.liveness.evidence import exit_record_path, lease_path
from ai_protocols.paths import AI_DIR
from ai_protocols.storage.files import LOCK_DIR, OsLock, refuse_symlinks

__all__ = ["CODEX_TRUST_HOOKS", "FORWARDED", "is_codex", "record_spawn_exit", "spawn"]

#: Codex's option to run hooks without the per-hook trust review (``codex --help``):
#: a top-level option, given before its subcommand.
CODEX_TRUST_HOOKS = "--dangerously-bypass-hook-trust"


def is_codex(program: str) -> bool:
    """Whether ``program`` (a command's first word) is Codex's CLI."""
    return os.path.basename(program) in ("codex", "codex.js", "codex.exe")

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def describe_exit(returncode: int) -> str:
    """``exit status 3`` or ``signal 9 (SIGKILL)``, from a Popen return code."""
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
    return f"signal {-returncode} ({name})"


def record_spawn_exit(ai_dir: str | os.PathLike[str], agent_id: str, how: str) -> None:
    """For a spawner whose child ended without a session file: record ``how`` it ended
    (``exit status 0``, ``signal 9 (SIGKILL)``) and when (an ``UPDATED_AT`` record) in
    :func:`~ai_protocols.liveness.evidence.exit_record_path`, atomically, so that a
    claim or lock its process took is judged by it
    (:func:`~ai_protocols.liveness.evidence.assess`: ``ended``, not ``crashed``, for exit
    status 0); then prunes what ended sessions left long ago
    (:func:`~ai_protocols.session.leftovers.prune`). Raises
    :class:`~ai_protocols.errors.StorageError` when it cannot be written."""
    import time

    from ai_protocols.liveness.clock import now_moment
    from ai_protocols.session.leftovers import prune
    from ai_protocols.storage import files as storage

    text = f"{how}\n{now_moment().to_property()}\n"
    record = exit_record_path(ai_dir, agent_id)
    storage.atomic_write(record, text.encode("utf-8"))
    prune(ai_dir, time.time(), keep=(record,))  # (earlier runs' old records)


def spawn(root: Path, runtime: str, command: Sequence[str]) -> int:
    """Run ``command`` as an agent of the project at ``root``; return the exit code
    to leave with (the child's, or 128 + the signal that ended it)."""
    from ai_protocols.session.project import Project

    refuse_symlinks(root, root / AI_DIR / LOCK_DIR / "leases")  # before minting changes anything
    agent_id = mint_agent_id(runtime, root)
    lease_file = Path(lease_path(root / AI_DIR, agent_id))
    refuse_symlinks(root, lease_file)
    try:
        lease_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(lease_file.parent, error) from error
    lease = OsLock(lease_file)
    try:
        lease.acquire(10)
    except TimeoutError as error:
        raise LockTimeout(lease_file, 10) from error
    try:
        print(f"ai-protocols spawn: AI_AGENT_ID={agent_id}", file=sys.stderr, flush=True)
        env = {**os.environ, "AI_AGENT_ID": agent_id, "AI_SPAWNER_PID": str(os.getpid())}
        try:
            child = subprocess.Popen(list(command), env=env)
        except OSError as error:
            print(f"Error: cannot run {command[0]!r}: {error.strerror}", file=sys.stderr)
            return 127 if isinstance(error, FileNotFoundError) else 126
        previous = {sig: signal.signal(sig, lambda number, _frame: child.send_signal(number))
                    for sig in FORWARDED}
        try:
            returncode = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        try:
            if not Project(root, agent_id).record_exit(describe_exit(returncode)):
                # (no session file: beside the lease, so that a claim or lock it took
                # is judged by how it ended, issue 15 fifteenth round)
                record_spawn_exit(root / AI_DIR, agent_id, describe_exit(returncode))
        except AiProtocolsError as error:  # the child's exit code matters more
            print(f"Warning: could not record the exit: {error}", file=sys.stderr)
        return returncode if returncode >= 0 else 128 - returncode
    finally:
        lease_file.unlink(missing_ok=True)  # first: a waiter then locks the file anew
        lease.release()  # a missing lease reads as free, as it is
