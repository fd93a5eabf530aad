"""A bounded session file: its older entries moved, once, to an earlier-entries file.

A write through the session transaction (:mod:`ai_protocols.session.transaction`)
into a file of more than :data:`BOUND` bytes moves the file's oldest movable
entries out, until what is left is at most about :data:`KEEP` bytes, into one new
Org file of the same shape under ``.ai/history/`` (:func:`history_folder`), and
adds a link to it to the live file's ``Earlier entries`` section
(:data:`~ai_protocols.session.sections.EARLIER`). docs/decisions.md, "Issue 16, part
g", says why and what a person sees.

Movable: the closed (``[X]``) items of Progress, Blockers and Next steps and every
entry of Decisions, Discoveries and Log, each with the lines under it that are
part of its item by Org's rule (indented past its bullet: a rationale, an example
block, a person's note), oldest first; an entry holding an open checkbox item
anywhere under it stays, and so does one Org ties to text that stays (a labelled
footnote, a link target, a link within the file, an element a person's drawer,
block, footnote definition or named list holds:
:class:`~ai_protocols.session.rollover_plan._Ties`). Everything else
stays where it is, byte for byte: the
session headline and its drawer, Summary, Key files, Context, open items, a
person's text between entries and headings
(:func:`~ai_protocols.session.rollover_plan.held_by` names what of it keeps a file
past the bound). The plan and what holds a file are in
:mod:`ai_protocols.session.rollover_plan`, which a write below the bound does not load
(twenty-seventh round).

Safe across a kill: :func:`~ai_protocols.session.rollover_plan.plan` works on the
file as read (and the pending entries folded into it), before the command's own
change, so the same file read again plans the very same move; the earlier file's
name holds a hash of its bytes, and it is written (fsynced) before the live file
is, where a file of that name with those bytes already there (a write killed between
the two) is taken as it is. An entry is always in the live file, or in a linked earlier file, or (in
that window) in both the live file and an earlier file no link names yet, which the
next write then links while removing the entries from the live file. When a person
edits the live file in that window, the next write plans another file; the first,
linked from nowhere, is then removed once it is provably redundant
(:func:`redundant_strays`).
"""

from __future__ import annotations

import os

from ai_protocols.errors import AiProtocolsError, UnreadableSession
from ai_protocols.lean import datetime, digits
from ai_protocols.org.file import Headline, OrgFile
from ai_protocols.org.syntax import Entry, format_property, strip_ending
from ai_protocols.paths import join, parent
from ai_protocols.session.earlier_links import (
    earlier_link_line,
    earlier_link_paths,
    earlier_section,
    is_earlier_name,
    read_earlier,
)
from ai_protocols.session.model import EarlierEntries, Session
from ai_protocols.session.names import HISTORY, history_folder
from ai_protocols.session.reading import read_session
from ai_protocols.session.sections import (
    EARLIER,
    NO_SESSION_HEADLINE,
    after_drawers,
    find_section,
    identity_differences,
    iter_entries,
    session_headline,
)
from ai_protocols.session.splice import section_for_write
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = ["BOUND", "CLOSED_ONLY", "KEEP", "LEAST", "MOVABLE", "SESSION_IDENTITY",
           "SUPERSEDED", "Planned", "blank_box", "edited_digests", "entry_digest",
           "held_entries", "history_folder", "identity", "in_written_order", "is_ours",
           "link_again", "linked_earlier", "missing_linked", "named_as_ours",
           "of_another_session", "read_whole", "redundant_and_not", "redundant_strays",
           "same_session", "sorted_strays", "superseded_edits", "unlinked_earlier"]

#: The size, in bytes, past which a write moves a session file's older entries out.
BOUND = 4 * 1024 * 1024
#: About how many bytes the live file keeps when it is rolled over: half the bound,
#: so that it rolls over again only after as many bytes more have been written.
KEEP = BOUND // 2
#: A rollover moves at least this many bytes, or it does not happen: a file whose
#: entries that may not move (open items, a person's text) pass the bound is left
#: as it is, rather than rolled over at every write.
LEAST = BOUND // 4
#: The sections whose entries move, by CUSTOM_ID, in file order; of Progress, Blockers
#: and Next steps (:data:`CLOSED_ONLY`) only the closed items.
MOVABLE = ("progress", "decisions", "discoveries", "blockers", "next-steps", "log")
#: The sections of which only the closed (``[X]``) items move: an open one is work to do.
CLOSED_ONLY = ("progress", "blockers", "next-steps")
#: The property of the live file's ``Earlier entries`` section that names the moved
#: entries a merge replaced by another clone's edit of them (:func:`entry_digest`
#: each; docs/merge-driver.md): ``show --all`` gives the edited entry, in the live
#: file, and leaves these copies in the earlier files out.
SUPERSEDED = "SUPERSEDED"
_EPOCH = datetime(1, 1, 1)
#: How a line may begin that can go on an item, or be blank (see :func:`_entry_end`).
_GOES_ON = ("", " ", "\t", "\n", "\r")


def named_as_ours(ai_dir: str, path: str) -> bool:
    """Whether ``path`` is where this tool puts an earlier-entries file: under
    ``.ai/history/`` (:func:`history_folder`) or an archive's folder of
    ``.ai/sessions/``, named ``FIRST--LAST-HASH8.org`` as :func:`plan` names one
    (``HASH8``: 8 lowercase hex digits). The path alone: no file is read."""
    if not _ours_name(os.path.basename(path)):
        return False
    ai = os.path.normpath(ai_dir)
    below = os.path.relpath(os.path.normpath(path), ai)
    parts = below.split(os.sep)
    return len(parts) >= 2 and parts[0] != os.pardir and (
        parts[0] == HISTORY or (parts[0] == "sessions" and len(parts) == 3))


_ours_name = is_earlier_name  # (the one rule of the name, in the layout)


def is_ours(ai_dir: str, path: str, data: bytes | None = None, *,
            edited: bool = False) -> bool:
    """Whether ``path`` is an earlier-entries file this tool wrote: :func:`named_as_ours`,
    a regular file (not a symbolic link), and the SHA-256 of its bytes (``data``, when
    given: read already) begins with the name's 8 hex digits. Only such a file is ever
    moved, removed or written by the tool; any other file an ``Earlier entries`` link
    names is a person's (docs/decisions.md, "Issue 16, sixth review (rollover
    safety)"). With ``edited`` (a move with its session: ``wrap-up``, ``abandon``), one
    a person edited since (a typo fixed, a box ticked in Emacs: its hash is another) is
    ours too while its session headline still holds the drawer the tool writes
    (``ENTRIES`` and ``SESSION_STARTED``), so that it goes with the archive and its link
    stays right (eighth review)."""
    if not named_as_ours(ai_dir, path):
        return False
    if data is None:
        try:
            data = storage.read_bytes(path)
        except AiProtocolsError:
            return False
    if data is None:
        return False
    import hashlib  # (only here: rare)

    if hashlib.sha256(data).hexdigest()[:8] == os.path.basename(path)[-12:-4]:
        return True
    head = bytes(data[:4096])
    return edited and b"\n:ENTRIES:" in head and b"\n:SESSION_STARTED:" in head


class Planned:
    """A rollover :func:`plan` made: the earlier file's ``path`` and ``data`` (its bytes,
    as pieces written one after another: views of the bytes read), which the
    transaction writes before the live file
    (:func:`ai_protocols.session.transaction.editing`)."""

    __slots__ = ("data", "path")

    def __init__(self, path: str, data: list[bytes | memoryview]) -> None:
        self.path, self.data = path, data

    def same_as(self, found: bytes) -> bool:
        """Whether ``found`` holds exactly ``data`` (no copy of either is made)."""
        if len(found) != sum(len(piece) for piece in self.data):
            return False
        view = memoryview(found)
        at = 0
        for piece in self.data:
            if view[at:at + len(piece)] != piece:
                return False
            at += len(piece)
        return True


class _Lines:
    """A section's lines, by index, each cut from the text when asked for."""

    __slots__ = ("base", "offsets")

    def __init__(self, base: str, offsets: list[int]) -> None:
        self.base, self.offsets = base, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self.offsets) - 1:
            raise IndexError(index)
        return self.base[self.offsets[index]:self.offsets[index + 1]]

    def __iter__(self) -> Iterator[str]:
        base, offsets = self.base, self.offsets
        return (base[offsets[n]:offsets[n + 1]] for n in range(len(offsets) - 1))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _entry_end(lines: Sequence[str] | _Lines, at: int, newline: str) -> int:
    """The end of the item that begins at ``lines[at]``: the lines after it that are
    blank or indented past its bullet, up to two blank lines in a row (which end a
    list in Org) or a line that is not, blocks and drawers opened in it taken whole
    (:func:`_closing`); trailing blank lines are not the item's (they stay). The rule
    is Org's (the Org manual, "Plain Lists": an item ends before the first line
    indented no more than its bullet, or at two blank lines; Org 9.5's
    ``org-element--list-struct`` skips the contents of a block or drawer opened on a
    line of the item)."""
    bullet = _indent(lines[at])
    end = at + 1
    index = at + 1
    blank = 0
    while index < len(lines):
        bare = strip_ending(lines[index], newline)
        if not bare.strip():
            blank += 1
            if blank >= 2:
                break
            index += 1
            continue
        if _indent(bare) <= bullet:
            break
        blank = 0
        opened = bare.lstrip(" \t")
        if opened[:1] in ("#", ":"):
            close = _closing(lines, index, opened, newline)
            if close is not None:
                index = close
        index += 1
        end = index
    return end


def _closing(lines: Sequence[str] | _Lines, index: int, opened: str, newline: str
             ) -> int | None:
    """The line that closes the block or drawer opened at ``lines[index]`` (``opened``:
    that line without its indentation and ending), or ``None`` when it opens none or
    nothing closes it. Org's rule (Org 9.5, ``org-element--list-struct``, case
    ignored): ``#+BEGIN_NAME`` closes at ``#+END_NAME``, a dynamic block's ``#+BEGIN:``
    at ``#+END:``, a drawer ``:NAME:`` (letters, digits, ``-``, ``_``) at ``:END:``,
    each alone on its line but for blanks."""
    head = opened[:8].lower()
    if head == "#+begin_":
        name = opened[8:].split(None, 1)[0].lower() if opened[8:].strip() else ""
        marker = f"#+end_{name}"
    elif head == "#+begin:":
        marker = "#+end:"
    elif _is_drawer(opened.rstrip(" \t")):
        marker = ":end:"
    else:
        return None
    return next((i for i in range(index + 1, len(lines))
                 if strip_ending(lines[i], newline).strip(" \t").lower() == marker), None)


def _is_drawer(text: str) -> bool:
    """Whether ``text`` (a line without its indentation, ending and trailing blanks) opens
    a drawer: ``:NAME:``, ``NAME`` of word characters, ``-`` and ``_`` (Org's
    ``org-drawer-regexp``)."""
    return len(text) > 2 and text[0] == ":" and text[-1] == ":" and \
        text[1:-1].replace("-", "").replace("_", "x").isalnum()


def _add_link(doc: OrgFile, session: Headline | None, line: str) -> None:
    """Append ``line`` to the session's ``Earlier entries`` section, made first (right
    after the Summary's subtree, else at the end of the session's) when there is none."""
    assert session is not None
    section = earlier_section(doc, session)
    if section is None:
        summary = find_section(doc, session, "summary")
        at = summary.subtree_end if summary is not None and \
            session.line < summary.line < session.subtree_end else session.subtree_end
        doc.insert(at, [f"{'*' * (session.level + 1)} {EARLIER[1]}", ":PROPERTIES:",
                        format_property("CUSTOM_ID", EARLIER[0]), ":END:"])
        session = session_headline(doc)
        assert session is not None
        section = earlier_section(doc, session)
        assert section is not None
    doc.insert(doc.content_end(section), [line])


def unlinked_earlier(ai_dir: str, path: str, doc: OrgFile) -> list[str]:
    """The files of the live session file ``path``'s history folder (:func:`history_folder`)
    named as a rollover names one (:func:`~ai_protocols.session.earlier_links.is_earlier_name`),
    regular files, that no link of ``doc`` names: what a rollover killed between its two
    writes leaves, or a person's deleted link line. One ``listdir`` (nothing when the
    folder is not there)."""
    folder = history_folder(ai_dir, path)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    if not any(is_earlier_name(name) for name in names):
        return []
    linked = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
    return [join(folder, name) for name in names if is_earlier_name(name) and
            os.path.normpath(join(folder, name)) not in linked and
            os.path.isfile(join(folder, name)) and not os.path.islink(join(folder, name))]


def redundant_strays(ai_dir: str, path: str, doc: OrgFile,
                     strays: list[str] | None = None) -> list[str]:
    """Of ``strays`` (by default :func:`unlinked_earlier`: the history folder's files no
    link of ``doc``, the file as it is written, names), those that may go: provably
    ours (named ``FIRST--LAST-HASH8.org``, ``HASH8`` the first 8 hex digits of the
    SHA-256 of their bytes, as :func:`plan` names them) and provably redundant: every
    entry in them (each item at the start of a line with the lines under it,
    :func:`_blocks`) is in ``doc`` or in a file it links, byte for byte. A file holding
    anything else (an entry found nowhere else, text outside the entries) is not named.
    What a rollover killed between its two writes leaves when a person edits the live
    file before the next write (docs/decisions.md, "Issue 16, sixth review" and "eighth
    review"). An unreadable file is passed over."""
    return redundant_and_not(ai_dir, path, doc, strays)[0]


def redundant_and_not(ai_dir: str, path: str, doc: OrgFile, strays: list[str] | None = None
                      ) -> tuple[list[str], list[str]]:
    """:func:`redundant_strays`, and the others of ``strays`` whose entries are not all
    elsewhere (they hold an entry found nowhere else, or text outside the entries):
    those a write links again (:func:`link_again`) when they are ours."""
    found, copies, others = sorted_strays(ai_dir, path, doc, strays)
    return found + copies, others


def sorted_strays(ai_dir: str, path: str, doc: OrgFile, strays: list[str] | None = None
                  ) -> tuple[list[str], list[str], list[str]]:
    """``strays`` (by default :func:`unlinked_earlier`) in three: the provably redundant
    (:func:`redundant_strays`); the copies a rollover killed between its two writes
    left, the live file edited since (ours by their hash, every line theirs an entry,
    and at least half of their entries still in ``doc`` byte for byte: a rollover
    moves its entries out of the live file, so a file whose link a person deleted holds
    none there): the live file holds what they copied, as edited since, so they go
    rather than move the same entries twice; and the others, which a write links again
    (:func:`link_again`) when they are ours (docs/decisions.md, "Issue 16, eighth
    review (which earlier files are the session's)")."""
    if strays is None:
        strays = unlinked_earlier(ai_dir, path, doc)
    if not strays:
        return [], [], []
    import hashlib  # (only here: rare)

    linked = {os.path.normpath(e.path) for e in linked_earlier(doc, path)}
    have: set[str] | None = None
    live: set[str] = set()
    found: list[str] = []
    copies: list[str] = []
    others: list[str] = []
    for stray in strays:
        try:
            data = storage.read_bytes(stray)
        except AiProtocolsError:
            continue
        if data is None:
            continue
        blocks, whole = _blocks(data.decode("utf-8", "replace"), strict=True)
        if have is None:
            live = _blocks(doc.text, strict=False)[0]
            have = set(live)
            for other in linked:
                try:
                    there = storage.read_bytes(other)
                except AiProtocolsError:
                    there = None
                if there is not None:
                    have |= _blocks(there.decode("utf-8", "replace"), strict=False)[0]
        ours = hashlib.sha256(data).hexdigest()[:8] == stray[-12:-4]
        if whole and blocks <= have:
            if ours:
                found.append(stray)
        elif ours and whole and blocks and 2 * len(blocks & live) >= len(blocks) and \
                _each_still_there(blocks - live, live - blocks):
            copies.append(stray)
        else:
            others.append(stray)
    return found, copies, others


def regained_strays(ai_dir: str, path: str, doc: OrgFile, strays: list[str]
                    ) -> list[tuple[str, set[str]]]:
    """Of ``strays`` (earlier-entries files of ``path``'s history folder that no link of
    ``doc`` names, :func:`unlinked_earlier`), those whose entries the live file holds
    again: ours, unedited (the name's hash is their bytes'), every line an entry or the
    structure (:func:`_blocks`, strict), their drawer naming this very session
    (:func:`same_session`), at least one of their entries in ``doc`` (checkbox aside,
    :func:`blank_box`) and none in a file ``doc`` links (:func:`held_entries`). An
    editor's buffer from before the rollover saved over the rolled-over file, an older
    version put back, or a rollover killed between its two writes leaves such a file
    (docs/decisions.md, "Issue 16, fourteenth round"). Each with its entries, checkbox
    blanked. Reads each stray; nothing when ``strays`` is empty."""
    if not strays:
        return []
    import hashlib  # (only here: rare)

    from ai_protocols.org.file import first_headline_properties

    session = session_headline(doc)
    if session is None:
        return []
    live: set[str] | None = None
    linked: set[str] = set()
    found: list[tuple[str, set[str]]] = []
    for stray in strays:
        try:
            data = storage.read_bytes(stray)
        except AiProtocolsError:
            continue
        if data is None or hashlib.sha256(data).hexdigest()[:8] != stray[-12:-4]:
            continue
        text = data.decode("utf-8", "replace")
        blocks, whole = _blocks(text, strict=True)
        props = first_headline_properties(text[:8192]) or {}
        if not whole or not blocks or "SESSION_STARTED" not in props or \
                not same_session(props, session.properties,
                                 objective_changed=_objective_changed(doc)):
            continue
        if live is None:
            live = {blank_box(b) for b in _blocks(doc.text, strict=False)[0]}
            linked = held_entries(ai_dir, path, doc)
        mine = {blank_box(b) for b in blocks}
        if mine & live and not mine & linked:
            found.append((stray, mine))
    return found


def regained_edits(earlier: OrgFile, doc: OrgFile) -> set[str]:
    """The :func:`entry_digest` of each entry of the earlier-entries file ``earlier``
    that the session file ``doc`` holds edited: in one movable section, the only entry
    of its timestamp (:func:`_stamp_of`) that ``earlier`` holds and ``doc`` lacks, and
    the only one of that timestamp that ``doc`` holds and ``earlier`` lacks (checkbox
    aside), for :data:`SUPERSEDED` when the file is linked again and ``doc`` keeps the
    edit (:func:`regained_strays`). Two candidates of one minute: none recorded (the
    entry is shown twice, never hidden)."""
    found: set[str] = set()
    tops = (next((h for h in earlier.headlines if h.level == 1), None),
            session_headline(doc))
    for key in MOVABLE:
        theirs = _section_blocks(earlier, tops[0], key)
        if not theirs:
            continue
        mine = _section_blocks(doc, tops[1], key)
        known = {blank_box("\n".join(b)) for b in theirs}
        have = {blank_box("\n".join(b)) for b in mine}
        gone: dict[str | None, list[list[str]]] = {}
        came: dict[str | None, int] = {}
        for block in theirs:
            if blank_box("\n".join(block)) not in have:
                gone.setdefault(_stamp_of(block[0]), []).append(block)
        for block in mine:
            if blank_box("\n".join(block)) not in known:
                came[_stamp_of(block[0])] = came.get(_stamp_of(block[0]), 0) + 1
        for stamp, blocks in gone.items():
            if stamp is not None and len(blocks) == 1 and came.get(stamp) == 1:
                found.add(entry_digest(key, blocks[0]))
    return found


def _stamp_of(block: str) -> str:
    """An entry's first line up to its timestamp's end (``- [2026-01-01 Thu 00:03]``,
    a checkbox blanked): what an edit of its text keeps."""
    first = block.split("\n", 1)[0]
    box = first[2:3] == "[" and first[4:6] == "] "
    first = first[:3] + " " + first[4:] if box else first
    end = first.find("]", max(first.find("[", 6 if box else 2), 0))
    return first[:end + 1] if end != -1 else first


def _each_still_there(gone: set[str], changed: set[str]) -> bool:
    """Whether each entry of ``gone`` (a stray's entries the live file no longer holds
    byte for byte) has its own counterpart in ``changed`` (the live file's entries the
    stray does not hold): one of the same timestamp (:func:`_stamp_of`), an edit of it.
    An entry with none was removed from the live file since: the stray is then the only
    place it is, and it is linked again, not removed."""
    from collections import Counter  # (only here: rare)

    have = Counter(_stamp_of(b) for b in changed)
    need = Counter(_stamp_of(b) for b in gone)
    return all(have[key] >= count for key, count in need.items())


#: The fields of :data:`~ai_protocols.session.sections.IDENTITY`, each with the name an
#: earlier file's drawer gives it (:func:`_head`; not the session's own names, so that no
#: reader takes the file for a session).
SESSION_IDENTITY = (("AGENT_ID", "AGENT_ID"), ("STARTED", "SESSION_STARTED"),
                    ("SESSION_ID", "SESSION_ID"), ("OBJECTIVE", "SESSION_OBJECTIVE"),
                    ("SESSION_TITLE", "SESSION_TITLE"))


def same_session(drawer: dict[str, str], session: dict[str, str], *,
                 objective_changed: bool = False) -> bool:
    """Whether an earlier file whose drawer is ``drawer`` is of the session whose headline
    properties are ``session``: by its whole identity
    (:func:`~ai_protocols.session.sections.identity_differences`, the rule a write's check
    uses too), not agent id and start minute alone (a session a person deleted by hand
    and a new one of the same agent started in the same minute share those).
    ``AGENT_ID`` and ``STARTED`` must be alike (both absent counts as alike); the
    objective and title must be alike when both hold one (an earlier file an older
    version wrote holds neither, a session a hook started has no title yet); the
    objective may differ when the session's Log says ``start`` replaced it
    (``objective_changed``). A few strings compared; no I/O."""
    theirs = {own: drawer[named] for own, named in SESSION_IDENTITY if drawer.get(named)}
    mine = dict(session)
    if not mine.get("SESSION_TITLE") and session.get("TITLE"):
        mine["SESSION_TITLE"] = session["TITLE"]
    differ = identity_differences(theirs, mine, one_sided=True)
    return not [key for key in differ if not (key == "OBJECTIVE" and objective_changed)]


def of_another_session(earlier: str, doc: OrgFile) -> bool:
    """Whether the earlier-entries file ``earlier`` says, in its drawer (its first 8 KiB,
    the file's first headline), that it is another session's than the one in ``doc``
    (:func:`same_session`): such a file in the session's history folder (an archived
    session's file a merge brought there, a hand-deleted session's) is neither linked
    again nor listed as this session's. ``False`` when it has no such drawer or cannot
    be read (then it may be this session's: a person's or a killed rollover's)."""
    from ai_protocols.org.file import first_headline_properties

    try:
        head = storage.read_regular(earlier, 8192)
    except (OSError, storage.NotRegular):
        return False
    props = first_headline_properties(bytes(head).decode("utf-8", "replace"))
    session = session_headline(doc)
    if not props or "SESSION_STARTED" not in props or session is None:
        return False
    return not same_session(props, session.properties,
                            objective_changed=_objective_changed(doc))


def _objective_changed(doc: OrgFile) -> bool:
    """Whether the Log of ``doc`` says ``start`` replaced the objective (``objective:``)."""
    return any(True for _ in doc.lines_holding("] objective: "))


def link_again(ai_dir: str, doc: OrgFile, path: str, earlier: str) -> bool:
    """Add to the session in ``doc`` (the file ``path``) the link to ``earlier``, an
    earlier-entries file of its history folder that no link names and that holds entries
    found nowhere else (:func:`redundant_and_not`), when it is the tool's
    (:func:`is_ours`, edited or not) and its drawer names this very session
    (:func:`same_session`, its whole identity): its range and count read from its drawer
    (``ENTRIES_FROM``, ``ENTRIES_TO``, ``ENTRIES``), the line as :func:`plan` writes one,
    in the ``Earlier entries`` section (made when there is none). Returns whether it
    did."""
    if not is_ours(ai_dir, earlier, edited=True):
        return False
    from ai_protocols.org.file import first_headline_properties
    from ai_protocols.org.syntax import parse_timestamp

    try:
        head = storage.read_bytes(earlier)
    except AiProtocolsError:
        return False
    props = first_headline_properties(bytes((head or b"")[:8192]).decode("utf-8", "replace"))
    props = props or {}
    session = session_headline(doc)
    if session is None or not same_session(props, session.properties,
                                           objective_changed=_objective_changed(doc)):
        return False  # (another session's: one whose file a person removed, say)
    count = props.get("ENTRIES", "0")
    rel = os.path.relpath(earlier, parent(path) if parent(path) != "" else ".")
    line = earlier_link_line(rel, parse_timestamp(props.get("ENTRIES_FROM", "")),
                             parse_timestamp(props.get("ENTRIES_TO", "")),
                             int(count) if count.isascii() and count.isdigit() else 0)
    _add_link(doc, session, line)
    return True


def _blocks(text: str, *, strict: bool) -> tuple[set[str], bool]:
    """The items of ``text`` at the start of a line (``- ``), each with the lines after
    it that are blank or indented, up to the next line at the start of a line, its
    trailing blank lines left out; and (``strict``, for an earlier-entries file)
    whether every other line of its sections is their structure (a headline, a
    property drawer): ``False`` when some text is in no such item."""
    blocks: set[str] = set()
    current: list[str] | None = None
    whole = True
    sections = False

    def flush() -> None:
        if current is not None:
            while current and not current[-1].strip():
                current.pop()
            blocks.add("\n".join(current))

    for line in text.split("\n"):
        if line.startswith("- "):
            flush()
            current = [line]
        elif not line.strip() or line[0] in " \t":
            if current is not None:
                current.append(line)
            elif strict and sections and line.strip():
                whole = False
        else:
            flush()
            current = None
            if line.startswith("** "):
                sections = True
            elif strict and sections and line.rstrip("\r") not in (":PROPERTIES:", ":END:") \
                    and not line.startswith(":CUSTOM_ID:"):
                whole = False
    flush()
    return blocks, whole


def linked_earlier(doc: OrgFile, path: str) -> list[EarlierEntries]:
    """The earlier-entries files the session in ``doc`` (the file ``path``) links."""
    session = session_headline(doc)
    return [] if session is None else read_earlier(doc, session, path)


def missing_linked(ai_dir: str, path: str, text: str) -> list[str]:
    """The earlier-entries files of its own (:func:`linked_earlier`) that the session
    file ``path`` (under ``ai_dir``), whose text is ``text``, links and that are neither
    in the work tree nor kept in the git folder
    (:func:`~ai_protocols.session.names.earlier_kept_paths`), in link order: ``show
    --all`` cannot read them and their count is unknown. Parses ``text`` only when one
    of its ``[[file:`` links names a file of the rollover's shape that is neither here
    nor kept (:func:`~ai_protocols.session.earlier_links.earlier_link_paths` first, a search
    of the text); one ``lstat`` per link, and per kept place of a missing one. Raises
    nothing of its own."""
    from ai_protocols.session.names import earlier_kept_paths

    def kept(place: str) -> bool:
        try:
            return any(os.path.isfile(copy) for copy in earlier_kept_paths(ai_dir, place))
        except ValueError:
            return False

    # The links' lines alone first (earlier_link_paths: a search, no parse): when
    # every file they may name is here, none of the session's own is missing, and the
    # file is parsed only when one is not (a clone that lacks them).
    if all(os.path.lexists(where) or kept(where) for where in earlier_link_paths(path, text)):
        return []
    return [e.path for e in linked_earlier(OrgFile(text), path)
            if not os.path.lexists(e.path) and not kept(e.path)]


def held_entries(ai_dir: str, path: str, doc: OrgFile) -> set[str]:
    """The entries that the earlier-entries files the session in ``doc`` (the file
    ``path``, under ``ai_dir``) links hold: each item at the start of a line with the
    lines under it, its trailing blank lines left out (:func:`_blocks`), its checkbox
    blanked (:func:`blank_box`: a moved entry was ticked before it moved). Only links
    to files of the session's own folder named as :func:`plan` names them (a person's
    link holds no moved entry); each read from its place, else from its kept copy
    (:func:`~ai_protocols.session.names.earlier_kept_paths`, as after ``git clean``);
    one found in neither adds nothing. An entry of a version of the session file found
    here is no entry that version alone holds: the rollover moved it (docs/decisions.md,
    "Issue 16, eleventh round (rollover against the kept copy and merges)"). Raises
    nothing of its own; reads nothing when ``doc`` links no file."""
    held: set[str] = set()
    for earlier in linked_earlier(doc, path):
        if not _ours_name(os.path.basename(earlier.path)):
            continue
        text = _earlier_text(ai_dir, earlier.path)
        if text is not None:
            held |= {blank_box(block) for block in _blocks(text, strict=False)[0]}
    return held


def _earlier_text(ai_dir: str, path: str) -> str | None:
    """The text of the earlier-entries file ``path``, read from its place, else from its
    kept copy (:func:`~ai_protocols.session.names.earlier_kept_paths`, as after ``git
    clean``); ``None`` when neither can be read. Undecodable bytes replaced."""
    from ai_protocols.session.names import earlier_kept_paths

    try:
        places = [path, *earlier_kept_paths(ai_dir, path)]
    except ValueError:
        places = [path]
    for place in places:
        try:
            found = storage.read_bytes(place)
        except AiProtocolsError:
            found = None
        if found is not None:
            return found.decode("utf-8", "replace")
    return None


def _section_blocks(doc: OrgFile, top: Headline | None, key: str) -> list[list[str]]:
    """The entries of the section ``key`` (by its ``CUSTOM_ID``) under ``top`` in
    ``doc``, each as its lines without endings (:func:`_entry_blocks`); ``[]`` without
    one."""
    if top is None:
        return []
    section = next((h for h in doc.headlines if h.properties.get("CUSTOM_ID") == key
                    and top.line < h.line < top.subtree_end), None)
    if section is None:
        return []
    return _entry_blocks(doc.lines_between(section.body_start, section.body_end),
                         section.body_start, doc.newline)


def superseded_edits(ai_dir: str, path: str, edited: OrgFile, newer: OrgFile) -> set[str]:
    """The :func:`entry_digest` of each entry an earlier-entries file holds that the
    version ``edited`` of the session file ``path`` (a person's, say a ``git checkout``
    of a version from before the rollover that moved the entry, edited since) holds
    edited, for ``merge-kept`` to record (:data:`SUPERSEDED`, as a rollover records a
    sure edit), so that ``show --all`` gives the entry once, as edited. Entry identity
    across files, the one rule of :func:`edited_digests`: in one movable section, the
    only entry of its timestamp that the linked earlier files (of ``edited`` or
    ``newer``, the tool's last write, its kept copy; each read from its place, else its
    kept copy) hold, and the only entry of that timestamp of ``edited`` that neither
    ``newer`` nor an earlier file holds (checkbox aside); a new entry of the same
    minute logged since the rollover is in ``newer``, never taken for an edit. Reads
    nothing when neither links an earlier file."""
    files: dict[str, OrgFile] = {}
    for doc in (edited, newer):
        for earlier in linked_earlier(doc, path):
            if earlier.path in files or not _ours_name(os.path.basename(earlier.path)):
                continue
            text = _earlier_text(ai_dir, earlier.path)
            if text is not None:
                files[earlier.path] = OrgFile(text)
    if not files:
        return set()
    found_digests: set[str] = set()
    heads = (session_headline(edited), session_headline(newer))
    for key in MOVABLE:
        held: dict[str | None, list[list[str]]] = {}
        for other in files.values():
            top = next((h for h in other.headlines if h.level == 1), None)
            for block in _section_blocks(other, top, key):
                held.setdefault(_stamp_of(block[0]), []).append(block)
        if not held:
            continue
        known = {blank_box("\n".join(b)) for blocks in held.values() for b in blocks}
        known |= {blank_box("\n".join(b)) for b in _section_blocks(newer, heads[1], key)}
        came: dict[str | None, list[list[str]]] = {}
        for block in _section_blocks(edited, heads[0], key):
            if blank_box("\n".join(block)) not in known:
                came.setdefault(_stamp_of(block[0]), []).append(block)
        for stamp, blocks in came.items():
            if stamp is not None and len(blocks) == 1 and len(held.get(stamp, ())) == 1:
                found_digests.add(entry_digest(key, held[stamp][0]))
    return found_digests


def blank_box(block: str) -> str:
    """``block`` (an item's text) with the checkbox of its first line blanked (``- [X]
    `` and ``- [-] `` as ``- [ ] ``; Org syntax, "Checkboxes"): an entry ticked on one
    side and open on the other is one entry."""
    if block[:3] in ("- [", "+ [") and block[4:6] == "] " and block[3:4] in "xX-":
        return block[:3] + " " + block[4:]
    return block


def entry_digest(section: str, lines: Sequence[str]) -> str:
    """``SECTION:HEX``, naming one entry's very text: the first 16 hex digits of the
    SHA-256 of ``lines`` (the entry's lines without their endings, trailing blank
    lines aside, joined by ``\\n``) in the section of ``CUSTOM_ID`` ``section``. The
    merge driver writes it (:data:`SUPERSEDED`) for the base's version of an entry one
    side's rollover moved out and the other side edited; :func:`read_whole` leaves an
    earlier file's entry of that digest out."""
    import hashlib

    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    text = "\n".join(lines[:end]).encode("utf-8", "surrogatepass")
    return f"{section}:{hashlib.sha256(text).hexdigest()[:16]}"


def identity(line: str, box: int | None) -> str:
    """An entry's identity, as the session merge knows one
    (:class:`ai_protocols.session.merge_entries._Entries`): its first line ``line`` with its
    checkbox (whose ``[`` is at column ``box``, if any) blanked, so that ticking it
    keeps it the same entry."""
    if box is None or line[box + 1: box + 2] not in (" ", "x", "X", "-"):
        return line
    return line[:box + 1] + " " + line[box + 2:]


def _not_given(lines: list[str], first: int, newline: str, given: dict[str, int],
               superseded: tuple[str, set[str]] = ("", set())) -> list[str]:
    """The lines (without their endings) of one earlier file's section (``lines``, the
    first at line ``first``) but those of the entries an earlier-linked file already
    gave: an entry whose :func:`identity` came ``n`` times before it in this section
    is left out when one file before gave that identity more than ``n`` times. Two
    clones that rolled one session over from different states each moved its oldest
    entries (docs/decisions.md, "Issues 14 and 16"): both files hold those. ``given``
    (identity: how many times) is updated with this file's. A person's lines between
    entries are all kept.
    ``superseded``: the section's key and the :func:`entry_digest` of the entries a merge
    replaced by an edited version in the live file (:data:`SUPERSEDED`): left out too."""
    counts: dict[str, int] = {}
    dropped: list[tuple[int, int]] = []
    for entry, at, reach in _entry_spans(lines, first, newline):
        key = identity(strip_ending(lines[at], newline), entry.box)
        seen = counts.get(key, 0)
        counts[key] = seen + 1
        if given.get(key, 0) > seen or (superseded[1] and entry_digest(
                superseded[0], [strip_ending(line, newline)
                                for line in lines[at:reach - first]]) in superseded[1]):
            dropped.append((at, reach - first))
    for key, count in counts.items():
        given[key] = max(given.get(key, 0), count)
    kept: list[str] = []
    at = 0
    for start, end in dropped:
        kept.extend(lines[at:start])
        at = end
    kept.extend(lines[at:])
    return [strip_ending(line, newline) for line in kept]


def _entry_blocks(lines: list[str], first: int, newline: str) -> list[list[str]]:
    """The entries of one section's lines (``lines``, the first at line ``first``), each
    as its lines without their endings, cut as :func:`_not_given` cuts them (so that
    :func:`entry_digest` of a block here is the digest :func:`read_whole` computes)."""
    return [[strip_ending(line, newline) for line in lines[at:reach - first]]
            for _, at, reach in _entry_spans(lines, first, newline)]


def _entry_spans(lines: list[str], first: int, newline: str) -> Iterator[tuple[Entry, int, int]]:
    """Each entry of one section's lines (``lines``, the first at line ``first``): the
    entry, its index in ``lines`` and the line number after it (an entry nested in the
    one before goes or stays with it: not given on its own)."""
    reach = first
    for entry in iter_entries(iter(lines), newline, first):
        if entry.line < reach:
            continue
        at = entry.line - first
        after = lines[at + 1] if at + 1 < len(lines) else "x"
        if after[:1] not in _GOES_ON and lines[at][:1] not in _GOES_ON:
            reach = entry.line + 1
        else:
            reach = _entry_end(lines, at, newline) + first
        yield entry, at, reach


def _stamp_of(line: str) -> str | None:
    """The first inactive timestamp of an entry's first line (``[2026-11-30 Mon 09:05]``),
    what pairs two versions of one entry; ``None`` without one."""
    start = line.find("[")
    while start != -1:
        end = line.find("]", start)
        if end == -1:
            return None
        inner = line[start + 1:end]
        if len(inner) >= 16 and digits(inner[:4]) and inner[4] == "-" and \
                inner[-3] == ":" and digits(inner[-2:]):
            return inner
        start = line.find("[", start + 1)
    return None


def edited_digests(before: OrgFile, now: OrgFile) -> set[str]:
    """The :func:`entry_digest` of each entry of ``before`` (the version this tool last
    wrote, its kept copy) that a person edited into another text in ``now`` (the file
    as read): in one movable section, the only entry of its timestamp gone from
    ``now`` and the only entry of that timestamp new in ``now`` (a sure edit: never two
    entries of one minute guessed at). A rollover records them (:data:`SUPERSEDED`):
    another clone may have moved the old text out, and ``show --all`` then gives the
    entry once, as edited (docs/decisions.md, "Issue 16, eighth review (rollover vs
    git, ninth reviewer)")."""
    found: set[str] = set()
    heads = [session_headline(doc) for doc in (before, now)]
    if heads[0] is None or heads[1] is None:
        return found
    for key in MOVABLE:
        sides = []
        for doc, head in zip((before, now), heads, strict=True):
            section = find_section(doc, head, key)
            sides.append(_entry_blocks(doc.lines_between(section.body_start,
                                                         section.body_end),
                                       section.body_start, doc.newline)
                         if section is not None else [])
        old_set = {tuple(b) for b in sides[0]}
        new_set = {tuple(b) for b in sides[1]}
        gone: dict[str | None, list[list[str]]] = {}
        came: dict[str | None, list[list[str]]] = {}
        for block in sides[0]:
            if tuple(block) not in new_set:
                gone.setdefault(_stamp_of(block[0]), []).append(block)
        for block in sides[1]:
            if tuple(block) not in old_set:
                came.setdefault(_stamp_of(block[0]), []).append(block)
        for stamp, blocks in gone.items():
            if stamp is not None and len(blocks) == 1 and len(came.get(stamp, ())) == 1:
                found.add(entry_digest(key, blocks[0]))
    return found


def read_whole(path: str, text: str, kept: Callable[[str], str | None] | None = None,
               missing: Callable[[str], str] | None = None) -> Session:
    """The whole session of the live file ``path`` (its text ``text``), as if nothing
    had moved: the entries of each file its ``Earlier entries`` section links, oldest
    file first, go back at the top of their sections, before the live file's
    (``show --all``), each entry once: an entry a file linked before already gave is
    not given again (:func:`_not_given`), nor one the live file's ``Earlier entries``
    section names as superseded by an edit a merge kept (:data:`SUPERSEDED`); a link
    to a file not named as :func:`plan` names one is a person's, passed over.
    ``earlier`` still lists the files. ``kept`` gives where the copy of an earlier
    file is kept (read when the file is gone, as after ``git clean``); ``missing`` how to
    get back one that is gone with no copy (the error's advice). Raises
    :class:`~ai_protocols.errors.UnreadableSession` when a linked file is missing or
    is no earlier-entries file, and what reading a file raises."""
    doc = OrgFile(text)
    headline = session_headline(doc)
    if headline is None:
        raise UnreadableSession(path, NO_SESSION_HEADLINE)
    moved: dict[str, list[str]] = {key: [] for key in MOVABLE}
    given: dict[str, dict[str, int]] = {key: {} for key in MOVABLE}  # identities, so far
    section = next((h for h in doc.headlines if h.properties.get("CUSTOM_ID") == EARLIER[0]
                    and headline.line < h.line < headline.subtree_end), None)
    tokens = section.properties.get(SUPERSEDED, "").split() if section is not None else []
    replaced = {key: {t for t in tokens if t.startswith(key + ":")} for key in MOVABLE}
    for earlier in read_earlier(doc, headline, path):
        if not _ours_name(os.path.basename(earlier.path)):
            continue  # (a person's link, to a file of theirs: no earlier entries)
        found = storage.read_bytes(earlier.path)
        copy = kept(earlier.path) if kept is not None and found is None else None
        if copy is not None:
            found = storage.read_bytes(copy)
        if found is None:
            raise UnreadableSession(earlier.path, (
                f"it is not there, nor a copy of it, and {path} links it as the file of "
                f"its earlier entries; "
                + (missing(earlier.path) if missing is not None else
                   f"if it was committed, get it back from git ('git log --all -- "
                   f"{earlier.path}' names the commits)")
                + "; 'ai-protocols show' without --all reads the live file alone"))
        other = OrgFile(storage.decode(earlier.path, found))
        top = next((h for h in other.headlines if h.level == 1), None)
        if top is None:
            raise UnreadableSession(earlier.path, "it has no headline: no earlier-entries file")
        for key in MOVABLE:
            section = next((h for h in other.headlines if h.properties.get("CUSTOM_ID") == key
                            and top.line < h.line < top.subtree_end), None)
            if section is not None:
                moved[key] += _not_given(other.lines_between(section.body_start,
                                                             section.body_end),
                                         section.body_start, other.newline, given[key],
                                         (key, replaced[key]))
    for key in reversed(MOVABLE):
        if moved[key]:
            session_line = session_headline(doc).line  # type: ignore[union-attr]
            section = section_for_write(doc, session_line, key)
            doc.insert(after_drawers(doc, section), moved[key])
    session = read_session(path, doc.text)
    for key in ("progress", "decision", "discovery", "blocker", "next"):
        session.entries[key] = in_written_order(session.entries[key])
    return session


def in_written_order(entries: list[Entry]) -> list[Entry]:
    """``entries`` (of one section, in file order) in the order they were written: by
    time, file order the tie-break; one without a time goes right after the entry
    before it. ``show --all`` puts a section's entries so: a closed Progress item
    that moved comes after the open items older than it, as before it moved (the
    moved entries of the other sections are the oldest of their section anyway)."""
    keyed = []
    last = _EPOCH
    for number, entry in enumerate(entries):
        if entry.time is not None:
            last = entry.time
        keyed.append((last, number, entry))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [entry for _, _, entry in keyed]
