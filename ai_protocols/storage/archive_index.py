"""The archive index: a per-machine cache of the ``list`` rows of archived sessions
(and, at the end, the record of the newest archives' names that ``status`` reads).

``list`` must stay fast with 100,000 archives in ``.ai/sessions/``, and reading
every archive costs seconds. Like git's index, ``.ai/.locks/sessions.index``
keeps each archive's row together with what ``lstat`` gave just before the
archive was read; a row is used only while a fresh ``lstat`` gives the same
``st_mtime_ns``, ``st_size`` and ``st_mode`` (so: still a regular file). So
``list`` lists the folder once, stats each archive, reads only the archives
that are new or changed, and rewrites the index when anything was missing or
stale. The output never depends on the index: absent, fresh, stale or corrupt,
it is the same.

The file, UTF-8 text::

    ai-protocols sessions index 3 {"count": N, "keys": BYTES, "texts": BYTES,
                                   "head": HEAD, "others": [NAME, ...]}
    N key lines:      NAME <TAB> STAT <TAB> LATEST
    N text lines:     TEXT,
    appended lines:   NAME <TAB> STAT <TAB> LATEST <TAB> TAIL

``NAME`` is the archive's file name; ``STAT`` is ``MTIME_NS:SIZE:MODE`` as
``lstat`` gave them before it was read; ``LATEST`` the row's sort key
(:func:`sort_key` of ended, else updated, else started); ``TEXT`` the row's
``list --json`` text (``json.dumps(info.to_json(), ensure_ascii=False)``) and
``TAIL`` the same from the file name on, after the folder part (``HEAD``, see
:func:`json_head`). JSON escapes tabs and newlines, so no field holds one. The
first line's JSON says how many archives the block has (the key lines and the
text lines, line *i* of each for the same archive), how many bytes each part
has, the ``HEAD`` its texts start with, and the names in the folder that have
no row (``.gitkeep``, a name that cannot be cached): with it, a ``list`` that
finds as many names in the folder as it knows has nothing new to look for.

The block is what ``list`` writes, whole, newest first as ``list`` sorts, so
that its texts are printed as they are: no work per row but the ``lstat``. The
appended lines are what ``Project._archive`` adds at each wrap-up, one whole
line per archive; ``list`` folds them into the block when it rewrites the file
for another reason, or when there are more than :data:`APPENDED_MAX` of them.
A row of the block whose archive changed or went is a hole, skipped while the
archive is read again; the rewrite copies the other lines as they are. When the
project has moved, the texts' ``HEAD`` is replaced as they are read.

Only names that JSON leaves as they are, in UTF-8, are cached (a name with a
tab, a newline, a quote or a backslash is read every time), and only rows
whose times are whole minutes, so that the text gives back exactly the row it
came from. A file whose first line is another (an older format, garbage), or
whose block does not have the lengths and line counts the first line gives,
is not used, and the next ``list`` rewrites it; an appended line without its
newline (a writer killed mid-line), with another number of fields, or whose
tail does not start with its name and end with ``}`` is ignored, and the file
rewritten. The block is trusted to be in order and its text lines to match its
key lines: only this module writes it, whole, with
:func:`ai_protocols.storage.files.atomic_write`.

Writers: ``Project._archive`` appends (one ``write`` with ``O_APPEND``) while it
holds the archive lock (``.ai/.locks/sessions/.archive.lock``); ``list``
replaces the file atomically under the same lock, after merging the lines
appended since it read the file. One lock for both means an append never lands
in a file that a rewrite is replacing. A rewrite waits for the lock
:data:`LOCK_WAIT` seconds at most and is skipped if it cannot have it: the index
is a cache, and a failure to write it is ignored.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import time
from itertools import repeat
from stat import S_ISREG

from ai_protocols.errors import AiProtocolsError
from ai_protocols.lean import datetime, digits, factory, itemgetter, json_encoder, loads, record
from ai_protocols.paths import parent
from ai_protocols.session.model import SessionInfo
from ai_protocols.session.names import is_session_file_name, runtime_of
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TypeVar

    T = TypeVar("T")

__all__ = ["Listing", "archived", "json_pieces", "newest", "record_archive", "row_of", "select",
           "to_infos"]

INDEX_NAME = "sessions.index"
#: The first line's start. 2: rows have a ``state`` (issue 11); an index of another
#: version is not used, and the next ``list`` rewrites it.
MAGIC = "ai-protocols sessions index 3 "
#: Appended lines that ``list`` leaves as they are before it folds them into the block.
APPENDED_MAX = 256
#: A file changed this recently may change again within the file system's timestamp
#: granularity without its mtime moving (git's "racy" entries): ``list`` does not
#: cache it yet (:data:`~ai_protocols.storage.files.RACY_NS`). ``record_archive`` does
#: not wait: the tool itself wrote that file.
RACY_NS = storage.RACY_NS
#: How long a ``list`` waits for the archive lock to rewrite the index, in seconds.
LOCK_WAIT = 0.1

#: One archive's cached row: (stat, latest, tail).
Entry = tuple[str, str, str]
#: One ``list`` row: (latest, file name, its ``list --json`` text, and the row itself
#: when that text would not give it back exactly, else None).
Row = tuple[str, str, str, "SessionInfo | None"]
if TYPE_CHECKING:  # (collections.abc imports collections: only for type checkers)
    #: Reads one session file into its ``list`` row (``[]`` when it has gone).
    Reader = Callable[[str], list[SessionInfo]]

_key = itemgetter(0, 1)
#: ``json.dumps(value, ensure_ascii=False)``, without making an encoder for each of
#: 100,000 rows, nor importing :mod:`json` (and :mod:`re`) for a wrap-up's one row.
_encode = json_encoder()


def index_path(ai_dir: str) -> str:
    return os.path.join(ai_dir, storage.LOCK_DIR, INDEX_NAME)


def sort_key(moment: datetime | None) -> str:
    """A string that sorts as the (naive) time does: ISO to the minute, or to the
    second or microsecond when it has them (a string sorts before its extensions)."""
    moment = moment or datetime.min
    whole = not (moment.second or moment.microsecond)
    return moment.isoformat(timespec="minutes" if whole else "auto")


def json_head(folder: str) -> str:
    """The JSON text of every archived row in ``folder`` up to its file name."""
    prefix = _encode(f"{folder}{os.sep}")[:-1]
    return '{"kind": "archived", "path": ' + prefix


def stat_key(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_mode}"


def row_of(info: SessionInfo) -> Row:
    """The ``list`` row of a file read just now."""
    text = _encode(info.to_json())
    times = (info.started, info.updated, info.ended)
    whole = all(t is None or not (t.second or t.microsecond or t.tzinfo) for t in times)
    return sort_key(info.latest), os.path.basename(info.path_text), text, \
        None if whole else info


# -- lines ---------------------------------------------------------------------------------


def entry_of(row: Row, stat: str, head: str) -> Entry | None:
    """The cached row of an archived row read from a file with that ``stat_key``, or
    ``None`` when it cannot be cached."""
    latest, name, text, inexact = row
    if inexact is not None or not text.startswith(head):
        return None
    entry = (stat, latest, text[len(head):])
    return entry if encode_line(name, entry) is not None else None


def encode_line(name: str, entry: Entry) -> str | None:
    """An appended line (with its newline), or ``None`` when the row cannot be cached."""
    stat, latest, tail = entry
    if _encode(name) != f'"{name}"' or \
            not tail.startswith(f'{name}", "agent_id": ') or not tail.endswith("}"):
        return None  # a tab, newline, quote, backslash... in the name; or not a row
    line = f"{name}\t{stat}\t{latest}\t{tail}\n"
    if line.count("\t") != 3 or line.count("\n") != 1:
        return None
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 (os.fsdecode's surrogates)
        return None
    return line


def decode_lines(text: str) -> tuple[dict[str, Entry], int]:
    """The valid appended lines in ``text`` (a later line for a name wins), and how
    many lines were not valid (a last line without its newline among them)."""
    lines = text.split("\n")  # never splitlines(): JSON keeps U+2028, U+0085... as they are
    found: dict[str, Entry] = {}
    bad = 1 if lines[-1] else 0
    for line in lines[:-1]:
        try:
            name, stat, latest, tail = line.split("\t")
        except ValueError:
            bad += 1
            continue
        if encode_line(name, (stat, latest, tail)) == line + "\n":
            found.pop(name, None)
            found[name] = (stat, latest, tail)
        else:
            bad += 1
    return found, bad


def encode_index(head: str, others: list[str], extra: dict[str, Entry],
                 block: Block | None = None, holes: list[int] | None = None) -> bytes:
    """A whole index file: ``block`` but for the rows in ``holes``, and ``extra``, newest
    first. The block's lines are copied as they are; each entry of ``extra`` is one
    that :func:`encode_line` takes (made by :func:`entry_of` or read back by
    :func:`decode_lines`), for a name that has no row in the block but a hole."""
    keys: list[bytes] = []
    texts: list[bytes] = []
    old_keys = block.keys.split(b"\n") if block is not None else []
    old_texts = block.texts.split(b"\n") if block is not None else []
    done = 0
    for name in sorted(extra, key=lambda name: (extra[name][1], name), reverse=True):
        stat, latest, tail = extra[name]
        place = _place(block, len(block.names), (latest, name)) if block is not None else 0
        for first, end in _runs(done, place, holes or []):
            keys += old_keys[first:end]
            texts += old_texts[first:end]
        keys.append(f"{name}\t{stat}\t{latest}".encode())
        texts.append(f"{head}{tail},".encode())
        done = place
    for first, end in _runs(done, len(block.names) if block is not None else 0, holes or []):
        keys += old_keys[first:end]
        texts += old_texts[first:end]
    keys_bytes = b"".join([b"\n".join(keys), b"\n"]) if keys else b""
    texts_bytes = b"".join([b"\n".join(texts), b"\n"]) if texts else b""
    import json  # (ASCII, every name escaped: a rewrite of the index, not a wrap-up)

    meta = json.dumps({"count": len(keys), "keys": len(keys_bytes), "texts": len(texts_bytes),
                       "head": head, "others": others})
    return b"".join([f"{MAGIC}{meta}\n".encode(), keys_bytes, texts_bytes])


def _runs(start: int, end: int, holes: list[int]) -> Iterator[tuple[int, int]]:
    """The runs of rows from ``start`` to ``end`` that are not in ``holes`` (sorted)."""
    from bisect import bisect_left

    for hole in holes[bisect_left(holes, start):bisect_left(holes, end)]:
        if hole > start:
            yield start, hole
        start = hole + 1
    if end > start:
        yield start, end


@record
class Block:
    """The part of the index that ``list`` writes: ``N`` archives, newest first."""

    names: list[str]
    stats: list[str]
    latests: list[str]
    keys: bytes  # the key lines, as read
    texts: bytes  # one line "TEXT,\n" per archive, starting with ``head``
    head: str

    def with_head(self, head: str) -> Block:
        """The same block for a project that has moved: its texts start with ``head``."""
        if head == self.head:
            return self
        old, new = (f'\n{h}'.encode() for h in (self.head, head))
        texts = (b"\n" + self.texts).replace(old, new)[1:]
        return Block(self.names, self.stats, self.latests, self.keys, texts, head)

    def entries(self) -> dict[str, Entry]:
        """The block's rows, by name."""
        texts = self.texts.decode("utf-8", "replace").split(",\n")
        cut = len(self.head)
        return {name: (stat, latest, text[cut:]) for name, stat, latest, text in
                zip(self.names, self.stats, self.latests, texts, strict=False)}


def decode_block(count: int, keys: bytes, texts: bytes, head: str) -> Block | None:
    """The block, or ``None`` when its lines are not what the first line says."""
    if count and (texts.count(b"\n") != count or not texts.endswith(b"},\n") or
                  not texts.startswith(head.encode())):
        return None
    # Every key line at once: each newline becomes a field of its own, so that the
    # fields of line i are at 4i..4i+2 and its newline at 4i+3, if every line has three.
    fields = keys.decode("utf-8", "replace").replace("\n", "\t\n\t").split("\t")
    if len(fields) != 4 * count + 1 or fields[-1] or fields[3::4].count("\n") != count:
        return None
    return Block(fields[0:-1:4], fields[1::4], fields[2::4], keys, texts, head)


@record
class _Index:
    """What ``list`` read of the index file."""

    path: str
    block: Block | None = None
    others: list[str] = factory(list)
    appended: dict[str, Entry] = factory(dict)
    stale: bool = False  # to be rewritten whatever the archives say
    seen: os.stat_result | None = None  # the file as it was read
    end: int | None = None  # where lines appended after the read start

    def read(self) -> None:
        try:
            with os.fdopen(storage.open_regular(self.path), "rb") as handle:
                self.seen = os.fstat(handle.fileno())
                self.read_from(handle)
        except FileNotFoundError:
            pass
        except OSError:
            self.block, self.appended, self.stale, self.end = None, {}, True, None

    def read_from(self, handle: io.BufferedReader) -> None:
        first = handle.readline()
        try:
            meta = loads(first[len(MAGIC):]) if first.startswith(MAGIC.encode()) else {}
            count, keys_bytes, texts_bytes = (meta.get(k) for k in ("count", "keys", "texts"))
            head, others = meta.get("head"), meta.get("others")
            head.encode("utf-8")
        except (ValueError, AttributeError):  # (UnicodeError is a ValueError)
            count = None
        if not (first.endswith(b"\n") and isinstance(head, str) and isinstance(others, list)
                and all(type(n) is int and n >= 0 for n in (count, keys_bytes, texts_bytes))
                and all(isinstance(name, str) for name in others)):
            self.stale = True  # another format, or garbage: not used at all
            return
        keys = handle.read(keys_bytes)
        texts = handle.read(texts_bytes)
        rest = handle.read()
        if (len(keys), len(texts)) == (keys_bytes, texts_bytes):
            self.block = decode_block(count, keys, texts, head)
        if self.block is None:
            self.stale = True
            return
        self.others = others
        self.end = len(first) + keys_bytes + texts_bytes + rest.rfind(b"\n") + 1
        self.appended, bad = decode_lines(rest.decode("utf-8", "replace"))
        self.stale = bad > 0 or len(self.appended) > APPENDED_MAX


# -- listing the folder --------------------------------------------------------------------


@record
class Listing:
    """``list``'s rows: the index's block (its first ``count`` rows as they are, but
    for those in ``holes``), and the other rows, each with its place among those
    given by its key."""

    head: str
    block: Block | None
    count: int
    others: list[Row]  # live rows first, until select() sorts them
    holes: list[int] = factory(list)  # the block's rows not valid, in order


def archived(ai_dir: str, folder: str, read: Reader) -> Listing:
    """The rows of the archives in ``folder``, from the index where it is still valid;
    rewrites the index when anything was missing or stale."""
    head = json_head(folder)
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return Listing(head, None, 0, [])
    # No cyclic garbage collection while a hundred thousand strings are made, none of
    # them in a cycle (it would cost a third of the time); only while files are read.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Scan(ai_dir, folder, fd, head, read, collecting).run()
    finally:
        os.close(fd)
        if collecting:
            gc.enable()


class _Scan:
    """One look at the folder, with the index's help."""

    def __init__(self, ai_dir: str, folder: str, fd: int, head: str, read: Reader,
                 collecting: bool) -> None:
        self.ai_dir, self.folder, self.fd, self.head = ai_dir, folder, fd, head
        self.read, self.collecting = read, collecting
        self.index = _Index(index_path(ai_dir))
        self.rows: list[Row] = []  # other than the block's
        self.cached: dict[str, Entry] = {}  # what the index gets, but for the block
        self.dirty = False

    def run(self) -> Listing:
        try:
            storage.refuse_symlinks(parent(self.ai_dir), self.index.path)
            self.head.encode("utf-8")
        except (AiProtocolsError, UnicodeEncodeError):
            usable = False  # a linked .ai/.locks/, or a folder name that is not UTF-8
        else:
            usable = True
            self.index.read()
        self.now_ns = time.time_ns()
        names = os.listdir(self.fd)
        index = self.index
        self.dirty = index.stale
        block = index.block.with_head(self.head) if index.block is not None else None
        known: set[str] = set()  # the names with a row, but for the block's
        holes: list[int] = []
        if block is not None:
            # (one stat per archive is most of a warm run: halves at once, as the
            # first run's reads, on a machine of two processors or more)
            stats = _in_two(self._stats, block.names)
            if stats != block.stats:  # some archives changed or went: read those again
                self.dirty = True
                holes = [i for i, (now, then) in enumerate(zip(stats, block.stats, strict=True))
                         if now != then]
                changed = [block.names[i] for i in holes if stats[i] is not None]
                known.update(changed)
                self._read([name for name in changed if name not in index.appended])
        count = len(block.names) - len(holes) if block is not None else 0
        known |= self._check(index.appended, block, holes)
        present = self._present(index.others, names)
        if len(names) > count + len(known | present):  # some name the index lacks
            have = set(block.names if block is not None else ()) | known | present
            self._read(sorted(name for name in set(names) - have if is_session_file_name(name)))
        self._read(sorted(name for name in present if is_session_file_name(name)))
        if usable and self.dirty:
            # A lock timeout or a refused write skips it: the index is a cache, and the
            # next list tries again.
            try:
                with storage.locked(self.ai_dir, os.path.join(self.folder, ".archive"),
                                    timeout=LOCK_WAIT):
                    _replace(self.ai_dir, index, block, holes, self.cached, self.head,
                             self._without_rows(names, block, holes))
            except (OSError, AiProtocolsError):
                pass
        return Listing(self.head, block, len(block.names) if block else 0, self.rows, holes)

    def _without_rows(self, names: list[str], block: Block | None,
                      holes: list[int]) -> list[str]:
        """The names in the folder that the new index has no row for."""
        listed = set(names)
        others = listed.difference(block.names) if block is not None else listed
        if block is not None and holes:
            others |= listed.intersection([block.names[i] for i in holes])
        return sorted(others.difference(self.cached))

    def _stats(self, names: list[str]) -> list[str | None]:
        """The ``stat_key`` of each name (``None`` for one that has gone)."""
        stat, fd = os.stat, self.fd
        keys: list[str | None] = []
        add = keys.append
        for name in names:
            try:
                st = stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                add(None)
            else:
                add(f"{st.st_mtime_ns}:{st.st_size}:{st.st_mode}")
        return keys

    def _stat_key(self, name: str) -> str | None:
        try:
            return stat_key(os.stat(name, dir_fd=self.fd, follow_symlinks=False))
        except FileNotFoundError:
            return None

    def _check(self, appended: dict[str, Entry], block: Block | None,
               holes: list[int]) -> set[str]:
        """Take the appended lines (newer than the block): keep those still valid, read
        the changed archives again; return the names that have a row, but for those
        whose row in the block stands."""
        known: set[str] = set()
        for name, entry in appended.items():
            stat = self._stat_key(name)
            if stat is None:
                self.dirty = True  # gone
                continue
            if block is not None:
                at = _find(block, name, entry[1] if stat == entry[0] else None)
                if at is not None and not _in(holes, at):
                    self.dirty = True  # the block's row stands: it is valid, so the same
                    continue
            if stat == entry[0]:
                self.rows.append((entry[1], name, self.head + entry[2], None))
                self.cached[name] = entry
            else:
                self._read([name])
            known.add(name)
        return known

    def _present(self, others: list[str], names: list[str]) -> set[str]:
        """Which of the names the index has no row for are in the folder now."""
        if len(others) > 8:  # (a set of 100,000 names costs more than a few scans)
            listed = set(names)
            return {name for name in others if name in listed}
        return {name for name in others if name in names}

    def _read(self, todo: list[str]) -> None:
        """Read these archives (when they are still there) and cache what can be."""
        if todo and self.collecting:
            gc.enable()  # reading files makes garbage that may hold cycles
        try:
            self._read_each(todo)
        finally:
            gc.disable()

    def _read_each(self, todo: list[str]) -> None:
        for name, row, entry in _in_two(self._rows_of, todo):
            self.rows.append(row)
            if entry is not None:
                self.cached[name] = entry
                self.dirty = True

    def _rows_of(self, todo: list[str]) -> list[tuple[str, Row, Entry | None]]:
        """The rows of these archives (those still there), each with its name and its
        cached row (``None``: not to be cached)."""
        found = []
        for name in todo:
            try:
                st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            for info in self.read(os.path.join(self.folder, name)):
                row = row_of(info)
                entry = None  # a link or a folder is never cached; a file just changed not yet
                if S_ISREG(st.st_mode) and st.st_mtime_ns < self.now_ns - RACY_NS:
                    entry = entry_of(row, stat_key(st), self.head)
                found.append((name, row, entry))
        return found


#: How many archives to read before a second process reads half of them
#: (:func:`_in_two`): fewer cost less than starting it.
TWO_PROCESSES_FROM = 4096


def _in_two(work: Callable[[list[str]], list[T]], todo: list[str]) -> list[T]:
    """``work(todo)``, its second half done by a child process at the same time on a
    machine of two processors or more (``list``'s first run reads every one of 100,000
    archives: its budget is wall time), the answer sent back pickled through a pipe.
    Where the child cannot be started, or fails, ``work`` does it all here; and in a
    program running threads (the library's :meth:`~ai_protocols.Project.list_sessions`),
    which a fork would copy in the middle of whatever they hold."""
    threading = sys.modules.get("threading")
    if len(todo) < TWO_PROCESSES_FROM or not hasattr(os, "fork") or _processors() < 2 or \
            (threading is not None and threading.active_count() > 1):
        return work(todo)
    import pickle

    half = len(todo) // 2
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return work(todo)
    if pid == 0:  # the child: its half, then gone without running the parent's exit code
        code = 1
        try:
            os.close(reader)
            with os.fdopen(writer, "wb") as pipe:
                pickle.dump(work(todo[half:]), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        try:
            first = work(todo[:half])
            data = pipe.read()
        finally:
            pipe.close()  # (a child still writing, this process failing: it ends too)
            _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return first + work(todo[half:])
    return first + pickle.loads(data)  # (nothing but what the child made: not untrusted)


def _processors() -> int:
    """How many processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# -- the newest archives (status) ---------------------------------------------------------

NEWEST_NAME = "sessions.newest"
#: The first line of the record of the newest archives' names (:func:`newest`).
NEWEST_MAGIC = b"ai-protocols newest archives 1 "


def newest(ai_dir: str, folder: str, count: int) -> list[str]:
    """The names of the ``count`` newest archives in ``folder`` (``.ai/sessions/``),
    newest first: the names ending in ``.org`` that start with a digit (an archive's
    name starts with the time it was closed), in reverse order of the names; ``[]``
    when the folder cannot be listed. What ``status`` reads (its closed-as-abandoned
    rows), at a cost that does not grow with the number of archives: the answer is kept
    in ``.ai/.locks/sessions.newest`` with what ``stat`` gave of the folder (device,
    inode, ``st_mtime_ns``, ``st_ctime_ns``), and used while a fresh ``stat`` gives the
    same (a name added, removed or renamed changes the folder's times; ``ctime`` cannot
    be set back). Else the folder is listed, one name at a time (no list of 100,000
    names held), and the answer kept when the folder had not changed for
    :data:`RACY_NS` before the listing (git's "racy" rule: a change in the same tick
    as the folder's last would not move its times), and ``.ai/.locks/`` is there (never
    made here: its absence tells a stash). Best effort: a record that cannot be read or
    written is no record. Raises nothing."""
    record = os.path.join(ai_dir, storage.LOCK_DIR, NEWEST_NAME)
    try:
        seen = _folder_key(folder)
    except OSError:
        return []
    try:
        data = storage.read_regular(record, 1 << 20)
        if data.startswith(NEWEST_MAGIC):
            meta = loads(data[len(NEWEST_MAGIC):])
            names = meta["names"]
            if meta["folder"] == seen and meta["count"] == count and \
                    isinstance(names, list) and all(type(n) is str for n in names):
                return names
    except (OSError, storage.NotRegular, ValueError, KeyError, TypeError):
        pass
    from heapq import nlargest

    started = time.time_ns()
    try:
        with os.scandir(folder) as entries:
            names = nlargest(count, (entry.name for entry in entries
                                     if entry.name.endswith(".org") and
                                     digits(entry.name[:1])))
        after = _folder_key(folder)
    except OSError:
        return []
    if after == seen and seen[3] < started - RACY_NS and seen[2] < started - RACY_NS and \
            os.path.isdir(os.path.dirname(record)):
        text = _encode({"folder": seen, "count": count, "names": names})
        try:
            storage.refuse_symlinks(parent(ai_dir), record)
            storage.atomic_write(record, NEWEST_MAGIC + text.encode("utf-8", "surrogatepass")
                                 + b"\n")
        except (OSError, AiProtocolsError):
            pass  # (a cache: the next status lists the folder again)
    return names


def _folder_key(folder: str) -> list[int]:
    """What :func:`newest` keeps of the folder's ``stat``: its device, inode, and the
    times a change of its names moves."""
    st = os.stat(folder)
    return [st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


# -- writing -------------------------------------------------------------------------------


def _replace(ai_dir: str, index: _Index, block: Block | None, holes: list[int],
             entries: dict[str, Entry], head: str, others: list[str]) -> None:
    """Write ``block`` but for its ``holes``, ``entries``, and the lines appended since
    ``index`` was read, as the new index. Call holding the archive lock."""
    storage.refuse_symlinks(parent(ai_dir), index.path)
    try:
        now = os.stat(index.path)
    except FileNotFoundError:
        now = None
    if now is not None:
        seen = index.seen
        if seen is not None and (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
            return  # another list replaced it meanwhile: its rewrite stands
        appended: dict[str, Entry] = {}
        with os.fdopen(storage.open_regular(index.path), "rb") as handle:
            if seen is None:  # made by a wrap-up since: its appended lines
                probe = _Index(index.path)
                probe.read_from(handle)
                appended = probe.appended
            elif index.end is not None:  # lines may have been appended since
                handle.seek(index.end)
                appended, _ = decode_lines(handle.read().decode("utf-8", "replace"))
        for name, entry in appended.items():
            entries.setdefault(name, entry)
            if name in others:
                others.remove(name)
    storage.atomic_write(index.path, encode_index(head, others, entries, block, holes))


def record_archive(ai_dir: str, folder: str, path: str, read: Reader) -> None:
    """Append the line of the archive just renamed to ``path``. Call holding the archive
    lock. Best effort: a failure to write the cache never fails the wrap-up."""
    try:
        index = index_path(ai_dir)
        storage.refuse_symlinks(parent(ai_dir), index)
        st = os.lstat(path)  # before the read: a change after it shows as stale
        infos = read(path)
        if len(infos) != 1 or not S_ISREG(st.st_mode):
            return
        entry = entry_of(row_of(infos[0]), stat_key(st), json_head(folder))
        line = encode_line(os.path.basename(path), entry) if entry is not None else None
        if line is None:
            return
        flags = (os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_NONBLOCK", 0))
        fd = os.open(index, flags, 0o666)  # less the umask, as every file made here
        try:
            st = os.fstat(fd)
            if not S_ISREG(st.st_mode):
                return  # a FIFO or a device where the index goes: never written to
            size = st.st_size
            if size == 0:
                line = encode_index(json_head(folder), [], {}).decode() + line
            elif os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line  # end the line a killed writer left half written
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except Exception:  # the index is only a cache; the archive is what counts
        pass


# -- the output ----------------------------------------------------------------------------


def select(found: Listing, *, agent: str | None = None, runtime: str | None = None,
           since: datetime | None = None) -> Listing:
    """The rows that pass the filters; the others sorted newest first by (latest,
    name), rows that tie keeping their order (live files come first)."""
    if agent is not None or runtime is not None:
        found = Listing(found.head, None, 0, _rows(found))
    rows = found.others
    if agent is not None:  # (a row's JSON holds the id's JSON text if it is the agent's)
        wanted = _encode(agent)
        rows = [r for r in rows if wanted in r[2] and _agent_of(r) == agent]
    if runtime is not None:
        rows = [r for r in rows if (a := _agent_of(r)) and runtime_of(a) == runtime]
    count = found.count
    if since is not None:
        earliest = sort_key(since)
        rows = [r for r in rows if r[0] >= earliest]
        if found.block is not None:  # newest first: those that pass come first
            count = _place(found.block, count, (earliest, ""))
    rows.sort(key=_key, reverse=True)
    return Listing(found.head, found.block, count, rows, found.holes)


def _agent_of(row: Row) -> str | None:
    """The row's agent id, read from its field (never from where it stands in the text)."""
    agent = loads(row[2])["agent_id"]
    return agent if isinstance(agent, str) else None


def _place(block: Block, count: int, key: tuple[str, str]) -> int:
    """How many of the block's first ``count`` rows sort before a row with ``key``."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if (block.latests[middle], block.names[middle]) > key:
            low = middle + 1
        else:
            high = middle
    return low


def _find(block: Block, name: str, latest: str | None) -> int | None:
    """Where the block has a row for ``name``: looked up by its ``latest`` when given
    (quick), else by its name alone."""
    if latest is None:
        return block.names.index(name) if name in block.names else None
    place = _place(block, len(block.names), (latest, name))
    if place < len(block.names) and (block.latests[place], block.names[place]) == \
            (latest, name):
        return place
    return None


def _in(holes: list[int], row: int) -> bool:
    from bisect import bisect_left

    at = bisect_left(holes, row)
    return at < len(holes) and holes[at] == row


def _merged(found: Listing) -> Iterator[tuple[int, int] | Row]:
    """The rows in order: runs ``(start, end)`` of the block, and single other rows."""
    done = 0
    for row in found.others:
        place = _place(found.block, found.count, _key(row)) if found.block else 0
        yield from _runs(done, place, found.holes)
        done = max(done, place)
        yield row
    yield from _runs(done, found.count, found.holes)


def _rows(found: Listing) -> list[Row]:
    """Every row, the block's after the others (as select() wants them)."""
    rows = list(found.others)
    block = found.block
    if block is not None and found.count:
        texts = block.texts.decode("utf-8", "replace").split(",\n", found.count)
        for first, end in _runs(0, found.count, found.holes):
            rows += zip(block.latests[first:end], block.names[first:end], texts[first:end],
                        repeat(None), strict=False)
    return rows


def json_pieces(found: Listing) -> list[bytes | memoryview]:
    """``list --json`` in pieces: a JSON array with one compact object per line."""
    block = found.block
    texts = block.texts if block is not None else b""
    starts = [0]  # where the block's lines start, found as far as needed

    def start(line: int) -> int:
        while len(starts) <= line:
            starts.append(texts.index(b"\n", starts[-1]) + 1)
        return starts[line]

    pieces: list[bytes | memoryview] = [b"[\n"]
    for part in _merged(found):
        if len(part) == 2:  # a run of the block, as it is
            first, end = part  # type: ignore[misc]
            if block is not None and first == 0 and end == len(block.names):
                pieces.append(texts)
            else:
                pieces.append(memoryview(texts)[start(first):start(end)])
        else:
            pieces.append(part[2].encode("utf-8", "surrogateescape") + b",\n")  # type: ignore[index]
    if len(pieces) == 1:
        return [b"[]\n"]
    pieces[-1] = memoryview(pieces[-1])[:-2]  # no comma after the last row
    pieces.append(b"\n]\n")
    return pieces


def to_infos(found: Listing) -> list[SessionInfo]:
    """The rows as :class:`SessionInfo` values, in order."""

    def parse(text: str) -> SessionInfo:
        return SessionInfo.from_json(loads(text))

    block = found.block
    texts = block.texts.decode("utf-8", "replace").split(",\n") if block is not None else []
    infos: list[SessionInfo] = []
    for part in _merged(found):
        if len(part) == 2:
            first, end = part  # type: ignore[misc]
            infos += map(parse, texts[first:end])
        else:
            infos.append(part[3] or parse(part[2]))  # type: ignore[index, misc]
    return infos
