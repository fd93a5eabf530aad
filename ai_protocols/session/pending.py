"""Entries kept beside a session-context file while a person edits it in Emacs.

The pending file ``.NAME.pending.org`` is itself Org: one level-1 headline
per entry, with its sequence number, kind and time in a property drawer and
its text (and a decision's rationale) in example blocks. Entries are folded
into the session-context file, in order, at its first write after the Emacs
lock is gone. The session headline's ``PENDING_FOLDED`` property records the
last sequence number folded in, so a fold that is killed after writing the
session file but before removing the pending file never folds twice.
"""

from __future__ import annotations

import os

from ai_protocols.errors import AiProtocolsError
from ai_protocols.lean import record
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import example_block, format_property, read_text_block
from ai_protocols.paths import sibling
from ai_protocols.storage import files as storage

__all__ = ["PendingEntry", "append_pending", "pending_path", "read_pending"]

_HEADER = (
    "#+TITLE: Entries waiting for {name}\n"
    "# {name} had unsaved changes in Emacs when these were logged.\n"
    "# ai-protocols folds them into it, in order, at its first write after the\n"
    "# buffer is saved, then removes this file. Do not edit it.\n"
)


@record(frozen=True)
class PendingEntry:
    """One logged entry that waits: its kind, text, rationale and stamp as logged."""

    seq: int
    kind: str
    text: str
    stamp: str
    rationale: str | None = None


def pending_path(path: str) -> str:
    """Hidden, and not ``*.org``-shaped like a session file, so scans pass it over."""
    return sibling(path, f".{os.path.basename(path)}.pending.org")


def read_pending(path: str, kept: str | None = None) -> list[PendingEntry]:
    """The entries waiting beside ``path``, in order (none when there is no file);
    when the pending file is gone (``git clean -fdx`` takes it, though ``.ai/.gitignore``
    keeps it out of commits; so may a person), those of its copy ``kept``, if given."""
    source = pending_path(path)
    data = storage.read_bytes(source)
    if data is None and kept is not None:
        source, data = kept, _copy_bytes(kept)
    if data is None:
        return []
    doc = OrgFile(storage.decode(source, data))
    entries: list[PendingEntry] = []
    tops = [h for h in doc.headlines if h.level == 1]
    for headline in tops:
        props = headline.properties
        body = read_text_block(doc.lines, headline.body_start, "", doc.newline)
        rationale = None
        child = next((h for h in doc.headlines if h.level == 2
                      and headline.line < h.line < headline.subtree_end), None)
        if child is not None:
            block = read_text_block(doc.lines, child.body_start, "", doc.newline)
            rationale = block[0] if block else None
        entries.append(PendingEntry(
            seq=int(props.get("SEQ", "0")),
            kind=props.get("KIND", ""),
            text=body[0] if body else "",
            stamp=props.get("TIME", ""),
            rationale=rationale,
        ))
    return entries


def append_pending(path: str, entries: list[PendingEntry], keep: str | None = None
                   ) -> tuple[str, OSError | None]:
    """Add ``entries`` to the pending file of ``path`` (atomically); return its path,
    and why its copy ``keep`` could not be made (``None`` when it was, or none was
    asked for: :func:`ai_protocols.storage.files.atomic_write`'s answer, for the caller
    to say, :func:`ai_protocols.session.edit_base.say_not_kept`). With ``keep``, also
    keep a copy of it there, and add to that copy when the pending file is gone.
    Raises :class:`~ai_protocols.errors.StorageError` when the pending file cannot be
    written (nothing changed). Call holding the session file's lock (its temporary
    files take their fixed names: :func:`~ai_protocols.storage.files.temporary_name`)."""
    target = pending_path(path)
    data = storage.read_bytes(target)
    if data is None and keep is not None:
        data = _copy_bytes(keep)
    text = data.decode("utf-8") if data else _HEADER.format(name=os.path.basename(path))
    lines: list[str] = []
    for entry in entries:
        lines += [f"* {entry.kind}", ":PROPERTIES:", format_property("SEQ", str(entry.seq)),
                  format_property("KIND", entry.kind), format_property("TIME", entry.stamp),
                  ":END:", *example_block(entry.text, "")]
        if entry.rationale is not None:
            lines += ["** rationale", *example_block(entry.rationale, "")]
    if not text.endswith("\n"):
        text += "\n"
    error = storage.atomic_write(target, (text + "\n".join(lines) + "\n").encode("utf-8"),
                                 keep=keep, locked=True)
    return target, error


def _copy_bytes(kept: str) -> bytes | None:
    """The bytes of the pending file's copy ``kept``; ``None`` when there is none, or
    something else stands there (a folder, a link: no copy was made, which the write
    says, :func:`ai_protocols.session.edit_base.say_not_kept`)."""
    try:
        return storage.read_bytes(kept)
    except AiProtocolsError:
        return None
