"""The board's merge, its first step: each version of ``.ai/tasks.org`` cut into its
entries (:class:`_Version`, :class:`_Chunk`), and the tasks of two versions paired as
the same task (by ``:ID:``, else by title: :func:`same_tasks`). Split out of
:mod:`ai_protocols.board.merge`, which re-exports every name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TypeVar

from ai_protocols.board.board_file import (
    CLOSED_STATES,
    BoardFile,
    done_states,
    locks_section,
    task_headlines,
)
from ai_protocols.board.board_read import read_board
from ai_protocols.board.claim_history import RETYPED
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import strip_ending
from ai_protocols.session.merge_units import _CannotMerge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ai_protocols.board.board_file import Task


#: The properties of a claim, merged as one: who, which process, since when.
CLAIM_KEYS = ("OWNER", "OWNER_PROCESS", "CLAIMED", "CLAIMED_AT")
#: The properties of a lock, merged as one.
LOCK_KEYS = ("OWNER", "OWNER_PROCESS", "LOCKED", "LOCKED_AT", "REASON")
#: States, the strongest first: when both sides changed a task's state, the stronger
#: wins (a closed task stays closed; DONE over CANCELLED; a hand-off to review over a
#: claim, a claim over a task made ready, over a fresh one).
STATE_RANK = ("DONE", "CANCELLED", "REVIEW", "DOING", "NEXT", "TODO")
_MARKERS = re.compile(r"^(?:<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
_PROPERTY = re.compile(r"[ \t]*:(\S+?):(?: (.*?))?[ \t]*$")
_Key = TypeVar("_Key", int, str)


class _Conflict(Exception):
    """A part of one task that no rule settles: that task is merged by git, with markers."""


class _Chunk:
    """One level-1 headline with its subtree (or the text before the first headline):
    its lines with their endings, and where its parts are."""

    def __init__(self, lines: list[str], newline: str, keywords: frozenset[str],
                 drawer: tuple[int, int] | None, body_start: int) -> None:
        self.lines = lines
        self.newline = newline
        self.drawer = drawer  # relative line indexes of :PROPERTIES: and :END:
        self.body_start = body_start
        self.keywords = keywords
        #: the board's done-type states (:func:`~ai_protocols.board.model.done_states`)
        self.done: frozenset[str] = frozenset(CLOSED_STATES)

    @property
    def raw(self) -> str:
        return "".join(self.lines)

    @property
    def head(self) -> tuple[str, str | None, str]:
        """The headline as its stars and gap, its state, and the rest (title, tags)."""
        return split_headline(strip_ending(self.lines[0], self.newline), self.keywords)

    @property
    def planning(self) -> str:
        end = self.drawer[0] if self.drawer else self.body_start
        return "".join(self.lines[1:end])

    @property
    def properties(self) -> list[tuple[str, str, str]]:
        """``(KEY, value, raw line)`` of the drawer, in order."""
        if self.drawer is None:
            return []
        found = []
        for raw in self.lines[self.drawer[0] + 1:self.drawer[1]]:
            match = _PROPERTY.match(strip_ending(raw, self.newline))
            if match is None:
                raise _Conflict
            found.append((match.group(1).upper(), (match.group(2) or "").strip(), raw))
        return found

    @property
    def values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, value, _raw in self.properties:
            if key in values:
                raise _Conflict  # a key twice: which line counts is not ours to decide
            values[key] = value
        return values

    @property
    def body(self) -> list[str]:
        return self.lines[self.body_start:]


class _Version:
    """One side: its chunks by name, in file order, and each lock of its locks section."""

    def __init__(self, text: str) -> None:
        if _MARKERS.search(text):
            raise _CannotMerge  # an unresolved merge already: left to git
        doc = BoardFile(text)  # (no #+TODO: line: the board's states, as every reader)
        self.newline = doc.newline
        parts = text.split("\n")
        lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        self.final_newline = not lines or lines[-1].endswith("\n")
        if not self.final_newline:
            lines[-1] += doc.newline
        self.text = text
        tasks = set(task_headlines(doc))
        locks = locks_section(doc)
        self.order: list[str] = []
        self.chunks: dict[str, _Chunk] = {}
        self.locks: dict[str, _Version] | None = None
        tops = [i for i, h in enumerate(doc.headlines) if h.level == 1]
        first = doc.headlines[tops[0]].line if tops else len(lines)
        self._add("preamble", _Chunk(lines[:first], doc.newline, doc.todo_keywords, None, 0))
        seen: dict[str, int] = {}
        for number, index in enumerate(tops):
            h = doc.headlines[index]
            end = doc.headlines[tops[number + 1]].line if number + 1 < len(tops) else len(lines)
            drawer = (h.drawer[0] - h.line, h.drawer[1] - h.line) if h.drawer else None
            chunk = _Chunk(lines[h.line:end], doc.newline, doc.todo_keywords, drawer,
                           h.body_start - h.line)
            if index in tasks and h.properties.get("ID"):
                name = f"task:{h.properties['ID']}"
            elif index == locks:
                name = "locks"
            else:
                # (known by its title and tags: a state changed in Emacs keeps it)
                name = "heading:" + task_key(chunk.head[2])
            seen[name] = seen.get(name, 0) + 1
            self._add(f"{name}#{seen[name]}", chunk)
        self.keywords = doc.todo_keywords
        self.done = done_states(doc)
        for chunk in self.chunks.values():
            chunk.done = self.done

    def _add(self, name: str, chunk: _Chunk) -> None:
        self.order.append(name)
        self.chunks[name] = chunk


def split_headline(bare: str, keywords: frozenset[str] | set[str],
                   ) -> tuple[str, str | None, str]:
    """A headline's line ``bare`` (without its line end) as its stars and the gap after
    them, its state (its first word, when ``keywords``, the file's TODO keywords, hold
    it: Org manual, "Headlines" and "TODO Items") and the rest: priority, title, tags."""
    found = re.match(r"(\*+[ \t]+)(\S+)(?=[ \t]|$)", bare)
    if found and found.group(2) in keywords:
        return found.group(1), found.group(2), bare[found.end():].lstrip(" \t")
    stars = re.match(r"\*+[ \t]*", bare)
    cut = stars.end() if stars else 0
    return bare[:cut], None, bare[cut:]


def task_key(rest: str) -> str:
    """What the merge knows a task by when its ``ID`` cannot say (a headline without
    one): the rest of its headline after the stars and the state
    (:func:`split_headline`), its title and tags, trailing blanks aside. A state changed
    in Emacs keeps the key; of several with one key, each is known by its place among
    them (the first, the second...): :func:`same_tasks`."""
    return rest.rstrip()


def same_tasks(old: OrgFile, new: OrgFile) -> list[tuple[int, int]]:
    """The tasks of the board ``old`` (a board this tool wrote) whose ``ID`` no headline
    of ``new`` holds, each paired with the task of ``new`` that is the same task though
    its ``ID`` is gone or another (a person deleted or retyped the ``:ID:`` line). A
    task of ``new`` whose ``ID`` ``old`` holds is that task (but for two swapped ids,
    below); one whose
    ``ID`` is new, or one another task of ``new`` has too (retyped into another's),
    may be paired by strong evidence alone; one without an ``ID`` by that, or by its
    title. The one identity rule, tried in this order, each on the tasks the one before
    left unpaired. A task of ``new`` whose ``ID`` ``old`` holds is not that task when
    it has nothing of it (title, text, claim) and one other task of ``new`` has its
    whole text or its claim (two ``:ID:`` lines swapped: :func:`_moved_ids`); then
    both are paired by the steps below:

    0. the id its log says a person changed it from (:data:`RETYPED`), when one task
       of ``new`` has it: git put back a board older than that change; or the other
       way, the id the log of a task of ``new`` says it had (a person's change, or
       the merge's ``its id was also Z``), when one task of ``old`` has it;
    1. its whole text but the ``:ID:`` line: its headline's title and tags (its state
       aside: :func:`task_key`), the properties and the text under it;
    2. its claim: the same ``OWNER`` and ``CLAIMED_AT`` (the claim's moment, to the
       hundredth of a second: :mod:`ai_protocols.liveness.clock`), both set;
    3. only for a task of ``new`` without an ``ID``: the text under its headline (it
       was retitled), when no other task of ``old`` or of ``new`` has that text;
    4. only for a task of ``new`` without an ``ID``: its title and tags.

    Never by ``CREATED`` alone (a minute, the same for tasks added together). At each
    step, tasks that agree pair only when as many of ``old`` as of ``new`` agree (then
    in file order: their place breaks the tie); more of one side than of the other is
    no evidence which one it is, and none pairs (a deleted task's id is not given to
    another). No task twice. Returns ``(old headline index, new headline index)``
    pairs, into each file's ``headlines``."""
    held = {h.properties.get("ID") for h in new.headlines if h.properties.get("ID")}
    known = {h.properties.get("ID") for h in old.headlines if h.properties.get("ID")}
    old_tasks, new_tasks = task_headlines(old), task_headlines(new)
    moved = _moved_ids(old, new, old_tasks, new_tasks)
    gone = [index for index in old_tasks
            if (ident := old.headlines[index].properties.get("ID")) in moved
            or (ident and ident not in held)]
    if not gone:
        return []
    ids = [new.headlines[index].properties.get("ID") for index in new_tasks]
    times = Counter(ids)  # (each id's count, once: not a count per task)
    # (an id two tasks have: the one retyped into another's is free too)
    free = [index for index, ident in zip(new_tasks, ids, strict=True)
            if not ident or ident not in known or times[ident] > 1 or ident in moved]
    return _pair({index: _Seen.of(old, index) for index in gone},
                 {index: _Seen.of(new, index) for index in free},
                 [_Seen.of(old, index) for index in old_tasks],
                 [_Seen.of(new, index) for index in new_tasks])


def _moved_ids(old: OrgFile, new: OrgFile, old_tasks: list[int],
               new_tasks: list[int]) -> set[str]:
    """The ids of ``old``'s tasks that a task of ``new`` holds but that is no evidence:
    that task has nothing of the old one (another title, other text under it, not its
    claim) while exactly one other task of ``new`` has its whole text but the ``:ID:``
    line, or its claim (a person swapped two tasks' ``:ID:`` lines, or typed one task's
    id into another and its own into the first): the stronger evidence decides which
    task it is (:func:`same_tasks`). ``old_tasks``, ``new_tasks``: their tasks'
    headline indexes (:func:`task_headlines`). The rule is :func:`_moved`'s."""
    return _moved([(old.headlines[i].properties.get("ID"), _Seen.of(old, i)) for i in old_tasks],
                  [(new.headlines[j].properties.get("ID"), _Seen.of(new, j)) for j in new_tasks])


def _moved(olds: list[tuple[str | None, _Seen]],
           news: list[tuple[str | None, _Seen]]) -> set[str]:
    """:func:`_moved_ids`'s rule on tasks given as ``(id, seen)``: the base's ``olds``,
    a side's ``news``. The text under a headline is something of the task only when no
    other task of ``olds`` has that text (tasks added in one minute by one agent have
    the same); when it is such a shared text, the id moved only in a swap: the task of
    ``news`` holding the old task's whole text holds an id of ``olds`` whose task's
    whole text is the one now holding the old id (each has the other's). Linear: the
    tasks of ``news`` are looked up by id, whole text and claim."""
    holders: dict[str, list[int]] = {}
    for k, (ident, _) in enumerate(news):
        if ident:
            holders.setdefault(ident, []).append(k)
    unique = Counter(ident for ident, _ in olds if ident)
    back = {ident: seen for ident, seen in olds if ident and unique[ident] == 1}
    unders = Counter(seen.under for _, seen in olds)
    by_whole: dict[tuple[str, tuple[str, ...]], set[int]] | None = None
    by_claim: dict[tuple[str, str], set[int]] = {}
    moved: set[str] = set()
    for ident, mine in olds:
        if not ident or len(holders.get(ident, ())) != 1:
            continue
        there = holders[ident][0]
        now = news[there][1]
        if mine.title == now.title or (mine.claim is not None and mine.claim == now.claim) \
                or (mine.under == now.under and unders[mine.under] == 1):
            continue  # (it has something of the old task: its id says which it is)
        if by_whole is None:  # (the index of the side's tasks, made on the first need)
            by_whole = {}
            for k, (_, seen) in enumerate(news):
                by_whole.setdefault(seen.whole, set()).add(k)
                if seen.claim is not None:
                    by_claim.setdefault(seen.claim, set()).add(k)
        others = set(by_whole.get(mine.whole, ()))
        if mine.claim is not None:
            others |= by_claim.get(mine.claim, set())
        others.discard(there)
        if len(others) != 1:
            continue
        if mine.under == now.under:  # (a text others share says nothing: a swap only)
            other = news[next(iter(others))][0]
            if other is None or other not in back or back[other].whole != now.whole:
                continue
        moved.add(ident)
    return moved


class _Seen:
    """A task as the identity rule sees it (:func:`_pair`): the key of its headline's
    title and tags (:func:`task_key`), its properties, and the lines under its headline
    but the ``:ID:`` property and the log's notes of its id changed (:data:`RETYPED`,
    kept apart: :attr:`was`) (without line ends and blank lines; a drawer that held the
    ``ID`` alone left out, as a task a command gave an id has it)."""

    def __init__(self, title: str, values: dict[str, str], under: list[str]) -> None:
        self.title = task_key(title)
        self.values = values
        kept = [text.rstrip() for text in under if text.strip() and not _is_id_line(text)]
        if [t.strip().upper() for t in kept[:2]] == [":PROPERTIES:", ":END:"]:
            kept = kept[2:]  # (a drawer that held the id alone: as no drawer)
        # (the log's notes of an id changed are of its id, as its :ID: line is: not of
        # its text, which is the same task's with or without them)
        self.notes = tuple(text for text in kept if RETYPED.match(text.strip()))
        self.under = tuple(text for text in kept if not RETYPED.match(text.strip()))

    @classmethod
    def of(cls, doc: OrgFile, index: int) -> _Seen:
        h = doc.headlines[index]
        line = strip_ending(doc.lines[h.line], doc.newline)
        return cls(split_headline(line, doc.todo_keywords)[2], dict(h.properties),
                   [strip_ending(raw, doc.newline) for raw in doc.lines[h.line + 1:h.subtree_end]])

    @classmethod
    def of_chunk(cls, chunk: _Chunk) -> _Seen:
        try:
            values = chunk.values
        except _Conflict:  # (a drawer line that is no property, a key twice)
            values = {}
        return cls(chunk.head[2], values,
                   [strip_ending(raw, chunk.newline) for raw in chunk.lines[1:]])

    @property
    def was(self) -> set[str]:
        """The ids its log says it had (``Board._same_again``'s note of a person's
        change, or the merge's of an id two clones gave: :data:`RETYPED`)."""
        return {found.group(1) for text in self.notes
                if (found := RETYPED.match(text.strip())) is not None}

    @property
    def has_id(self) -> bool:
        return bool((self.values.get("ID") or "").strip())

    @property
    def whole(self) -> tuple[str, tuple[str, ...]]:
        """Its whole text but the ``:ID:`` line (its state aside)."""
        return self.title, self.under

    @property
    def claim(self) -> tuple[str, str] | None:
        """Its claim's ``OWNER`` and ``CLAIMED_AT``; ``None`` unless both are set."""
        owner = (self.values.get("OWNER") or "").strip()
        claimed = (self.values.get("CLAIMED_AT") or "").strip()
        return (owner, claimed) if owner and claimed else None


def _pair(gone: dict[_Key, _Seen], free: dict[_Key, _Seen], every_old: list[_Seen],
          every_new: list[_Seen], *, bare: bool = True) -> list[tuple[_Key, _Key]]:
    """The identity rule of :func:`same_tasks`: each task of ``gone`` (keyed by where it
    is) paired with the one of ``free`` that is it, by its whole text, then its claim,
    then the text under its headline when no other task has it (retitled; with
    ``bare`` false, only a text that is not empty: for tasks both sides added, where
    nothing says one was retitled), then (a task of ``free`` without an ``ID`` only)
    its title; each step on what the one before left; tasks that agree pair, in the
    keys' order, only when as many of ``gone`` as of ``free`` agree."""
    pairs: list[tuple[_Key, _Key]] = []
    paired_old: set[_Key] = set()
    paired_new: set[_Key] = set()

    def pair(a: _Key, b: _Key) -> None:
        pairs.append((a, b))
        paired_old.add(a)
        paired_new.add(b)

    # (each count below made once, by id or text: never a count over the tasks per task)
    free_ids = Counter((seen.values.get("ID") or "").strip() for seen in free.values())
    free_was = Counter(was for seen in free.values() for was in seen.was)
    # 0. the id its log says a person changed it from, which one task has now: git put
    # back a board older than that change (``Board._same_again``)
    had: dict[str, list[_Key]] = {}
    for where, seen in gone.items():
        for was in seen.was:
            had.setdefault(was, []).append(where)
    for where, seen in free.items():
        ident = (seen.values.get("ID") or "").strip()
        olds = had.get(ident, [])
        if ident and len(olds) == 1 and free_ids[ident] == 1:
            pair(olds[0], where)
    # ... and the other way: the id its own log says it had (a person's change, or the
    # merge's "its id was also Z": ``_adopt_ids``), when one task of ``gone`` has it
    # and no other task of ``free`` says so (one rule follows an id through its notes)
    by_id: dict[str, list[_Key]] = {}
    for where, seen in gone.items():
        by_id.setdefault((seen.values.get("ID") or "").strip(), []).append(where)
    for where, seen in free.items():
        for was in seen.was:
            olds = by_id.get(was, [])
            if was and len(olds) == 1 and free_was[was] == 1 \
                    and olds[0] not in paired_old and where not in paired_new:
                pair(olds[0], where)
    # (the text under its headline, retitled: only when no other task of either board
    # has that text: tasks added in one minute have the same)
    old_under = Counter(t.under for t in every_old)
    new_under = Counter(t.under for t in every_new)
    once = {rest for rest, n in old_under.items() if n == 1 and new_under[rest] == 1
            and (bare or rest)}
    rules = ((lambda t: t.whole, False), (lambda t: t.claim, False),
             (lambda t: t.under if t.under in once else None, True),
             (lambda t: t.title, True))
    for rule, bare_only in rules:
        olds: dict[object, list[_Key]] = {}
        for where, seen in gone.items():
            key = rule(seen) if where not in paired_old else None
            if key is not None:
                olds.setdefault(key, []).append(where)
        news: dict[object, list[_Key]] = {}
        for where, seen in free.items():
            if where in paired_new or (bare_only and seen.has_id):
                continue
            key = rule(seen)
            if key is not None:
                news.setdefault(key, []).append(where)
        for key, places in olds.items():
            if len(places) == len(news.get(key, ())):
                for a, b in zip(places, news[key], strict=True):
                    pair(a, b)
    place = {where: n for n, where in enumerate(gone)}
    return sorted(pairs, key=lambda found: place[found[0]])


def _is_id_line(text: str) -> bool:
    match = _PROPERTY.match(text)
    return match is not None and match.group(1).upper() == "ID"


def kept_task_pairs(doc: OrgFile, kept: OrgFile, old_tasks: list[Task],
                    archived: set[str]) -> list[tuple[Task, Task]]:
    """The tasks of the board's kept copy ``kept`` (read as ``old_tasks``) whose ``ID``
    the board ``doc`` no longer holds, each with the task of ``doc`` that is the same
    task (:func:`same_tasks`: a person deleted or retyped its ``:ID:`` line); not one
    whose id is in ``archived`` (the ids the board's Org archive holds: a person
    archived it). The one rule for ``Board.lost`` and the resume context."""
    olds = {t.line: t for t in old_tasks}
    news = {t.line: t for t in read_board(doc, check=False)[0]}
    pairs = []
    for a, b in same_tasks(kept, doc):
        old = olds.get(kept.headlines[a].line + 1)
        new = news.get(doc.headlines[b].line + 1)
        if old is not None and new is not None and old.id not in archived:
            pairs.append((old, new))
    return pairs


def _children(chunk: _Chunk) -> tuple[list[str], dict[str, _Chunk], list[str]]:
    """The locks section cut into its own lines (before its first child) and one chunk
    per child headline with its subtree, keyed by the lock's ``PATH``."""
    doc = OrgFile(chunk.raw)
    lines = chunk.lines
    level = min((h.level for h in doc.headlines[1:]), default=2)
    kids = [h for h in doc.headlines[1:] if h.level == level]
    first = kids[0].line if kids else len(lines)
    order: list[str] = []
    chunks: dict[str, _Chunk] = {}
    seen: dict[str, int] = {}
    for number, h in enumerate(kids):
        end = kids[number + 1].line if number + 1 < len(kids) else len(lines)
        drawer = (h.drawer[0] - h.line, h.drawer[1] - h.line) if h.drawer else None
        name = f"lock:{h.properties['PATH']}" if h.properties.get("PATH") else \
            "heading:" + strip_ending(lines[h.line], doc.newline).rstrip()
        seen[name] = seen.get(name, 0) + 1
        key = f"{name}#{seen[name]}"
        order.append(key)
        chunks[key] = _Chunk(lines[h.line:end], chunk.newline, chunk.keywords, drawer,
                             h.body_start - h.line)
        chunks[key].done = chunk.done
    return lines[:first], chunks, order
