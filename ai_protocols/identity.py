"""Agent ids: minting fresh ones for spawners, and spotting reused ones.

The epoch is baked into the id by the spawner, never by the resolver: the
resolver runs many times per session and must answer the same each time.
"""

from __future__ import annotations

import os
import time

from ai_protocols.errors import InvalidText
from ai_protocols.lean import pattern  # (mint_agent_id only: on first use)
from ai_protocols.paths import id_prefix

__all__ = ["has_unique_tail", "mint_agent_id"]

_DIGITS = frozenset("0123456789")
_LOWER_HEX = frozenset("0123456789abcdef")
_HEX = frozenset("0123456789abcdefABCDEF")
_RUNTIME = pattern(r"[A-Za-z0-9_-]{1,40}")
#: Random bytes in a minted id's tail (shown as twice as many hexadecimal digits).
RANDOM_BYTES = 6


def has_unique_tail(agent_id: str) -> bool:
    """Whether the id ends in something unique to one run: an epoch, as a minted
    ``host.project.runtime.1718400000-3f2a9c1b7d4e`` does (older versions minted
    ``.1718400000`` and ``.1718400000-2``), or the UUID of an agent program's session,
    as an id derived from it does (:func:`ai_protocols.paths.derived_agent_id`).

    The rule is the regular expression
    ``(?:[._-][0-9]{9,}(?:-[0-9]+|-[0-9a-f]{12})?|\\.[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$``
    searched for, read with ``str`` methods (every ``start`` of an agent asks, and
    importing :mod:`re` costs half an interpreter's start); ``tests/test_str_readers.py``
    holds the two equal."""
    return _unique_tail(agent_id) or (agent_id[-1:] == "\n" and _unique_tail(agent_id[:-1]))


def _unique_tail(text: str) -> bool:
    """:func:`has_unique_tail` at the very end of ``text`` (``$`` also matches before a
    final newline: the caller tries that too)."""
    if _epoch_ends_at(text, len(text)):
        return True
    dash = text.rfind("-")
    after = text[dash + 1:]
    if dash > 0 and after and (all(char in _DIGITS for char in after) or (
            len(after) == 12 and all(char in _LOWER_HEX for char in after))) \
            and _epoch_ends_at(text, dash):
        return True
    uuid = text[-36:]
    return len(text) >= 37 and text[-37] == "." and \
        [len(part) for part in uuid.split("-")] == [8, 4, 4, 4, 12] and \
        all(char in _HEX for char in uuid.replace("-", ""))


def _epoch_ends_at(text: str, end: int) -> bool:
    """Whether ``text[:end]`` ends in ``[._-][0-9]{9,}``."""
    start = end
    while start and text[start - 1] in _DIGITS:
        start -= 1
    return end - start >= 9 and start > 0 and text[start - 1] in "._-"


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
