"""Agent ids: minting fresh ones for spawners, and spotting reused ones.

The epoch is baked into the id by the spawner, never by the resolver: the
resolver runs many times per session and must answer the same each time.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from ai_protocols.errors import InvalidText
from ai_protocols.paths import AI_DIR, id_prefix
from ai_protocols.storage.files import (
    LOCK_DIR,
    atomic_write,
    discard_partial_writes,
    locked,
    read_regular,
    refuse_symlinks,
)

__all__ = ["has_unique_tail", "mint_agent_id"]

_UNIQUE_TAIL = re.compile(  # an epoch (-N after it), or an agent program's session UUID
    r"(?:[._-][0-9]{9,}(?:-[0-9]+)?|\.[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
_RUNTIME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def has_unique_tail(agent_id: str) -> bool:
    """Whether the id ends in something unique to one run: an epoch, as a minted
    ``host.project.runtime.1718400000`` does, or the UUID of an agent program's
    session, as an id derived from it does (:func:`ai_protocols.paths.derived_agent_id`)."""
    return bool(_UNIQUE_TAIL.search(agent_id))


def mint_agent_id(runtime: str, root: Path, *, now: float | None = None) -> str:
    """A fresh ``host.project.runtime.<epoch>`` id, never the same twice for a project.

    A second id for the same host, project and runtime within one second (or
    after the clock stepped back) gets ``-2``, ``-3``... after the epoch. The
    last minted tail is kept under ``.ai/.locks/`` so that concurrent calls,
    serialised by the lock, always see each other.
    """
    if not _RUNTIME.fullmatch(runtime):
        raise InvalidText(
            "runtime", runtime, "use 1 to 40 of the characters A-Z a-z 0-9 _ - (no dots)"
        )
    prefix = id_prefix(runtime, root)
    ai_dir = root / AI_DIR
    record = ai_dir / LOCK_DIR / f"agent-id.{prefix}"
    refuse_symlinks(root, record)
    with locked(ai_dir, ai_dir / f"agent-id.{prefix}"):
        discard_partial_writes(record)  # a minting killed mid-write left it
        epoch = int(time.time() if now is None else now)
        try:
            last_epoch, last_count = (int(n) for n in read_regular(record).decode().split())
        except (OSError, ValueError):
            last_epoch, last_count = 0, 0
        if epoch <= last_epoch:
            epoch, count = last_epoch, last_count + 1
        else:
            count = 1
        atomic_write(record, f"{epoch} {count}\n".encode())
    tail = str(epoch) if count == 1 else f"{epoch}-{count}"
    return f"{prefix}.{tail}"

