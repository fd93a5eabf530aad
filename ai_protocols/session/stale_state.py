"""A session's state (``STATUS``, ``PAUSED``, ``PAUSE_NOTE``) as the read commands say
it when the session file is a stale save: an editor's buffer opened before this tool
changed the state (``pause``, a resumption) and saved after it. The next write merges
the save back with the version this tool wrote last, by its own rule
(:func:`~ai_protocols.session.transaction.next_write_merges`), and that merge keeps the
state the tool wrote: a pause stands. ``status``, ``resume``, ``show`` and ``start`` read
the session through :func:`merged_state`, so they say (and ``start`` does) what that
write will find, not the state the stale buffer held. docs/decisions.md, "Twenty-fourth
round: a stale save over a wrap-up or a pause".
"""

from __future__ import annotations

from ai_protocols.lean import replace
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.session.model import Session
from ai_protocols.session.names import kept_path
from ai_protocols.session.sections import head_of
from ai_protocols.storage import files as storage

__all__ = ["merged_state"]

#: How far into the kept copy its session headline is looked for (its properties).
_HEAD_BYTES = 65536


def merged_state(ai_dir: str, path: str, session: Session) -> Session:
    """``session`` (read from the session file ``path``, which is not the version this
    tool wrote last: call only when :func:`~ai_protocols.session.names.kept_is_other`)
    with the state the next write's merge gives it (``status``, ``paused``,
    ``pause_note``, from the merged session headline) when that state is not the
    file's; ``session`` itself otherwise: the kept copy holds the file's ``STATUS``
    (read from its first 64 KiB, no git run), the write merges nothing back, or it
    refuses the save (:class:`~ai_protocols.errors.StaleSave`: the file's state is what
    stays until the three are merged). Raises nothing of its own."""
    from ai_protocols.errors import AiProtocolsError

    try:
        with open(kept_path(ai_dir, path), "rb") as kept:
            headline = head_of(kept.read(_HEAD_BYTES))
    except OSError:
        return session
    if headline is None or headline.properties.get("STATUS") == session.status:
        return session
    from ai_protocols.session.sections import session_headline
    from ai_protocols.session.transaction import next_write_merges

    try:
        stale = next_write_merges(ai_dir, path)
    except (AiProtocolsError, OSError, storage.NotRegular):
        return session
    merged = None if stale is None else session_headline(stale[0])
    if merged is None:
        return session
    props = merged.properties
    status = props.get("STATUS") or None
    if status is None or status == session.status:
        return session
    return replace(session, status=status,
                   paused=parse_timestamp(props.get("PAUSED", "")),
                   pause_note=props.get("PAUSE_NOTE") or None)
