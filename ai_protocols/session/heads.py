"""The per-machine record of other agents' session heads: ``.ai/.locks/others.heads``.

``resume``, ``start`` and the SessionStart hook read the heads of the newest
:func:`~ai_protocols.session.resume.others_to_read` other session files when there
are more (``Project.newest_others``), and order them by an ``lstat`` of each. The
heads they read as the tool writes them (:data:`~ai_protocols.session.reading.HeadParts`)
are kept here, each with what ``stat`` said of its file: device, inode, size,
``st_mtime_ns`` and ``st_ctime_ns``. A head whose five numbers match a fresh
``lstat`` of its file is that file's head: any write to a file moves its ``ctime``
to the time of the write, which nothing can set back (``touch -d`` and ``rsync -a``
set ``mtime`` only); an Emacs save written in place included (which leaves the
folder's times as they were: why the key is each file's, not the folder's). A head is
kept only when its file's times were older than
:data:`~ai_protocols.storage.files.RACY_NS` when the reading began (git's "racy"
rule: a second write in the same tick of the file system's clock would not move
them). The record holds the heads read by the last reader, written only when they
differ from those it found and where ``.ai/.locks/`` is (never made here: its
absence tells a stash). Best effort: a record that cannot be read, or an entry not
of its form, is no record; one that cannot be written is not written
(docs/decisions.md, "Issue 16, nineteenth round (other agents' heads)"). Its form is
:mod:`marshal`'s, as the interpreter's own ``.pyc`` files (:func:`encode`, :func:`decode`;
docs/decisions.md, "Twenty-sixth round: the heads' record in marshal's form").
"""

from __future__ import annotations

import marshal
import os
import time

from ai_protocols.errors import AiProtocolsError
from ai_protocols.paths import parent, present
from ai_protocols.session.model import Session
from ai_protocols.session.names import tombstone_path
from ai_protocols.session.reading import HeadParts, head_session
from ai_protocols.storage import files as storage

__all__ = ["HEADS_NAME", "Heads", "decode", "encode"]

HEADS_NAME = "others.heads"
#: The record's first line, with the version of :mod:`marshal`'s form the rest is in; a
#: record of another version is not used (and rewritten).
MAGIC = b"ai-protocols other heads 2 marshal %d\n" % marshal.version
#: The one type a kept property's value may be (a set of it: the values' types asked as
#: one set, no Python per value; issue 16, twenty-fifth round).
_TEXT = {str}


def _key(st: os.stat_result) -> list[int]:
    """What a head is kept with of its file's ``stat``."""
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class Heads:
    """The record of ``ai_dir`` as found (:meth:`session`), and the heads to keep
    (:meth:`keep`) until :meth:`save`."""

    def __init__(self, ai_dir: str) -> None:
        self.ai_dir = ai_dir
        self.path = os.path.join(ai_dir, storage.LOCK_DIR, HEADS_NAME)
        #: When the reading began (ns since the epoch): the racy rule's moment.
        self.began = time.time_ns()
        try:
            data = storage.read_regular(self.path, 1 << 22)
        except (OSError, storage.NotRegular):
            data = b""
        self.found: dict[str, object] = decode(data)
        self.kept: dict[str, list[object]] = {}

    def session(self, path: str) -> Session | None:
        """The session of ``path`` from its kept head, when an ``lstat`` of it gives what
        the head was kept with and no move left a tombstone for it (a move killed before
        it removed the file: the full read decides, ``Project._read``); else ``None``. A
        head used is kept again."""
        entry = self.found.get(path)
        if type(entry) is not list or len(entry) != 7:
            return None
        try:
            if entry[:5] != _key(os.lstat(path)):
                return None
        except OSError:
            return None
        properties, summary = entry[5], entry[6]
        if type(properties) is not dict or not (summary is None or type(summary) is str) or \
                not {*map(type, properties.values())} <= _TEXT or \
                present(tombstone_path(self.ai_dir, path)):
            return None
        self.kept[path] = entry
        return head_session(path, properties, summary)

    def keep(self, path: str, st: os.stat_result, parts: HeadParts) -> None:
        """Keep the head ``parts`` read from ``path``, ``st`` its file's ``fstat`` taken
        before the read, unless the file is too recent (the racy rule)."""
        if max(st.st_mtime_ns, st.st_ctime_ns) < self.began - storage.RACY_NS:
            self.kept[path] = [*_key(st), *parts]

    def save(self) -> None:
        """Write the heads kept, when they are not those found and ``.ai/.locks/`` is
        there. Raises nothing."""
        if self.kept == self.found or not os.path.isdir(parent(self.path)):
            return
        try:
            storage.refuse_symlinks(parent(self.ai_dir), self.path)
            storage.atomic_write(self.path, encode(self.kept))
        except (OSError, AiProtocolsError):
            pass  # (a cache: the next reader reads the heads again)


def encode(kept: dict[str, list[object]]) -> bytes:
    """The record's bytes for the heads ``kept`` (each path's entry: its five ``stat``
    numbers, then its :data:`~ai_protocols.session.reading.HeadParts`): :data:`MAGIC`,
    then :func:`marshal.dumps` of them (about a third of the instructions of reading JSON
    back: issue 16, twenty-sixth round)."""
    return MAGIC + marshal.dumps(kept)


def decode(data: bytes) -> dict[str, object]:
    """The heads a record's bytes ``data`` hold (:func:`encode`), unchecked but for being
    a ``dict`` (:meth:`Heads.session` checks each entry it uses); ``{}`` for bytes of
    another version or not of the form (what :func:`marshal.loads` refuses, or any value
    but a ``dict``). Raises nothing."""
    if not data.startswith(MAGIC):
        return {}
    try:
        found = marshal.loads(memoryview(data)[len(MAGIC):])
    except (EOFError, ValueError, TypeError):
        return {}
    return found if type(found) is dict else {}
