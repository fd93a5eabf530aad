"""Write records (``UPDATED_AT`` values) and the merge driver's own records made from
them: one pure rule that every write asks (:mod:`ai_protocols.session.stale_over`) and the
merge driver states (:mod:`ai_protocols.session.merge`, which re-exports it), kept out of
``merge.py`` so that a write does not import the merge (difflib, hashlib, pathlib...)."""

from __future__ import annotations

__all__ = ["merge_record_of"]


def merge_record_of(record: str, kept: str) -> bool:
    """Whether the write record ``record`` (an ``UPDATED_AT`` value) is ``kept`` or a
    merge's own record made from it (:func:`~ai_protocols.session.merge_session.merged_record`:
    four more digits of the seconds since boot for each merge, or microseconds in the
    instant). Raises
    nothing."""
    parts, was = record.split(" "), kept.split(" ")
    if record == kept or len(parts) != len(was) or parts[1:-1] != was[1:-1]:
        return record == kept
    if len(parts) == 4:
        dot = "" if "." in was[3] else r"\."
        return parts[0] == was[0] and \
            _digits_after(parts[3], was[3] + ("." if dot else ""), 4, every=True)
    zone = max(was[0].rfind("+"), was[0].rfind("-"), was[0].rfind("Z"))
    return zone > 0 and parts[0].endswith(was[0][zone:]) and _digits_after(
        parts[0][:len(parts[0]) - len(was[0][zone:])], was[0][:zone] + ".", 6)


def _digits_after(text: str, head: str, width: int, every: bool = False) -> bool:
    """Whether ``text`` is ``head`` followed by ``width`` decimal digits (``every``: by
    one or more runs of ``width``), what ``re.fullmatch`` of ``head`` escaped and
    ``\\d{width}`` (or ``(\\d{width})+``) says, without importing ``re`` on every write."""
    tail = text[len(head):]
    return text.startswith(head) and tail.isdecimal() and (
        len(tail) % width == 0 if every else len(tail) == width)
