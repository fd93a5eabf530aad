"""Agent ids: minting fresh ones for spawners, and spotting reused ones.

The epoch is baked into the id by the spawner, never by the resolver: the
resolver runs many times per session and must answer the same each time.
"""

from __future__ import annotations

import os
import time

from ai_protocols.errors import InvalidText
from ai_protocols.lean import pattern
from ai_protocols.paths import id_prefix

__all__ = ["has_unique_tail", "mint_agent_id"]

_UNIQUE_TAIL = pattern(  # an epoch (then -N, or random hex), or an agent program's UUID
    r"(?:[._-][0-9]{9,}(?:-[0-9]+|-[0-9a-f]{12})?"
    r"|\.[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
_RUNTIME = pattern(r"[A-Za-z0-9_-]{1,40}")
#: Random bytes in a minted id's tail (shown as twice as many hexadecimal digits).
RANDOM_BYTES = 6


def has_unique_tail(agent_id: str) -> bool:
    """Whether the id ends in something unique to one run: an epoch, as a minted
    ``host.project.runtime.1718400000-3f2a9c1b7d4e`` does (older versions minted
    ``.1718400000`` and ``.1718400000-2``), or the UUID of an agent program's session,
    as an id derived from it does (:func:`ai_protocols.paths.derived_agent_id`)."""
    return bool(_UNIQUE_TAIL.search(agent_id))


def mint_agent_id(runtime: str, root: str | os.PathLike[str], *,
                  now: float | None = None) -> str:
    """A fresh ``host.project.runtime.<epoch>-<random>`` id: this host's short name and
    the project folder's name (:func:`ai_protocols.paths.id_prefix`), ``runtime``, the
    Unix time (``now``, default the clock) and 12 hexadecimal digits from the operating
    system's random source (``os.urandom``, 48 bits).

    Nothing is read or written: the random digits, not a record kept somewhere, tell
    apart ids minted in one second, so ids never repeat across clones of one project,
    folders of one name, users of one host, or hosts whose short names are alike
    (two ids minted in the same second under the same prefix share their tail with a
    chance of one in 2**48), and a clock that stepped back cannot repeat an id either.
    Raises :class:`~ai_protocols.errors.InvalidText` for a runtime that is not 1 to 40
    of ``A-Z a-z 0-9 _ -``.
    """
    if not _RUNTIME.fullmatch(runtime):
        raise InvalidText(
            "runtime", runtime, "use 1 to 40 of the characters A-Z a-z 0-9 _ - (no dots)"
        )
    epoch = int(time.time() if now is None else now)
    return f"{id_prefix(runtime, root)}.{epoch}-{os.urandom(RANDOM_BYTES).hex()}"
