"""The task board's merge: ``.ai/tasks.org`` merged task by task, keyed by the task's ID.

Two clones that each add a task append at the end of the board, and git's line
merge calls that a conflict. ``ai-protocols merge-driver`` (the driver ``init``
installs for ``.ai/*.org``, docs/merge-driver.md) merges the board with
:func:`merge_board_bytes` instead:

- each version is read as every board reader reads it
  (:class:`~ai_protocols.board.model.BoardFile`: without a ``#+TODO:`` line, with the
  board's states) and cut into the text before the first headline, and one chunk per
  level-1 headline with its whole subtree: a task known by its ``ID``, the locks
  section (``CUSTOM_ID`` ``locks``), any other headline (a person's task without an
  ``ID``) by its title and tags, its state aside, or as the base's headline whose
  line that side edited, when that is sure (:func:`_renamed`); a task whose ``ID``
  that side deleted or retyped as the base's task, by the identity rule of
  :func:`same_tasks`, its deleted id given back;
- the order of the chunks is merged three ways (``git merge-file`` on the names);
  tasks both sides added at one place are kept in id order (their creation time),
  each side's own order kept (:func:`_interleaved`);
- a task only one side changed takes that side; one side removed and the other
  left as it was goes; one side removed and the other changed is kept between
  conflict markers;
- a task both sides changed is merged part by part: the headline's state by the
  rule of :func:`merge_task_properties` (a closed state, any of the board's done
  states, wins over an open one; DONE over CANCELLED), its title and tags, its
  planning line and each property by three-way rules (a claim as one: a side that
  released gives way to a side that claimed; two claims: the earlier one wins), its
  log items by the session merge's entry rules (each known by its identity over the
  task: moved on one side and noted on the other, one item; removed on one side and
  changed on the other, a conflict on that item alone), and a person's free text as
  ``git merge-file`` merges it; a headline without an ``ID``: its line three ways
  (its state and its title each, the state by the same rule: :func:`_heading_line`),
  then its body so;
- the locks section's locks are merged the same way, keyed by ``PATH``.

Where a part of one task cannot be settled by a rule (both sides retitled it, set
its working set differently...), that task alone is left as ``git merge-file``
merges it, with ordinary conflict markers, and the driver exits 1. Anything this
module does not understand (not UTF-8, other line endings, conflict markers
already there) is left to the caller, who merges it as ``git merge-file`` does.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TypeVar

from ai_protocols.board.model import (
    CLOSED_STATES,
    RETYPED,
    STATES,
    BoardFile,
    Task,
    done_states,
    locks_section,
    read_board,
    task_headlines,
)
from ai_protocols.lean import datetime, timedelta
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import (
    format_property,
    format_timestamp,
    parse_timestamp,
    strip_ending,
)
from ai_protocols.session.merge import (
    MergeResult,
    _CannotMerge,  # (the board merge gives up as the session merge does: git merges it)
    _merge_entry_chunk,
    _token_merge,
    _union,
    _units,
    conflict_block,
    merge_text,
)

__all__ = ["CLAIM_KEYS", "LOCK_KEYS", "STATE_RANK", "is_board", "merge_board_bytes",
           "merge_task_properties"]

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


# -- the rules ----------------------------------------------------------------------------------


def _three(o: object, a: object, b: object) -> tuple[bool, object]:
    """A three-way pick: ``(True, value)`` when at most one side changed, else ``(False,
    None)``."""
    if a == b or b == o:
        return True, a
    if a == o:
        return True, b
    return False, None


def _time(value: str | None) -> datetime:
    return parse_timestamp(value or "") or datetime.min


def _instant(value: str | None) -> tuple[float, str, str, float]:
    """Where a ``CLAIMED_AT``/``LOCKED_AT`` record stands in time, to sort by: its instant
    to the second (the record's precision; 0 without one), then the host and boot it
    was measured on and its seconds since that boot. So two records of one host and
    boot taken in the same second are in their true order (as the session files'
    writes are compared: :meth:`ai_protocols.liveness.clock.Moment.order`); those
    of two hosts in one second, in an order that is the same whichever side is ours."""
    from ai_protocols.liveness.clock import Moment

    moment = Moment.parse(value)
    if moment is None:
        return 0.0, "", "", -1.0
    uptime = moment.uptime if moment.uptime is not None and moment.host and moment.boot \
        else -1.0
    return (moment.wall.replace(microsecond=0).timestamp(), moment.host or "",
            moment.boot or "", uptime)


def _offset(values: dict[str, str | None], stamp: str) -> timedelta | None:
    """The UTC offset the ``stamp`` time (``CLAIMED``, ``LOCKED``: an Org time, local and
    zone-less) was written with: its ``stamp`` + ``_AT`` record's, when that record is
    of the same write (:meth:`~ai_protocols.liveness.clock.Moment.agrees_with`);
    ``None`` when unknown."""
    from ai_protocols.liveness.clock import Moment

    moment = Moment.parse(values.get(stamp + "_AT"))
    if moment is None or not moment.agrees_with(parse_timestamp(values.get(stamp) or "")):
        return None
    return moment.wall.utcoffset()


def _real(group: tuple[str, ...], stamp: str, *claims: tuple[str | None, ...]) -> bool:
    """Whether every one of ``claims`` (values of ``group``) knows its ``stamp`` time's UTC
    offset: then they are compared by their real instants, else as written."""
    return all(_offset(dict(zip(group, values, strict=True)), stamp) is not None
               for values in claims)


def _key(values: tuple[str | None, ...], group: tuple[str, ...], stamp: str,
         real: bool = False,
         ) -> tuple[datetime, tuple[float, str, str, float], tuple[str, ...]]:
    """How a claim or lock sorts, the same whichever side git calls ours: its time (the
    ``stamp`` key, to the minute; ``real``: placed in real time by its record's UTC
    offset, :func:`_offset`, so that a claim in Tokyo and one in Los Angeles are in
    their true order; give it only when every claim compared has one, :func:`_real`,
    else the times are compared as written), its record's place in time (``stamp`` +
    ``_AT``: :func:`_instant`), then all its values as text (the owner first)."""
    named = dict(zip(group, values, strict=True))
    when = _time(named.get(stamp))
    offset = _offset(named, stamp) if real else None
    if offset is not None:
        when -= offset
    return (when, _instant(named.get(stamp + "_AT")), tuple(v or "" for v in values))


def _state_rank(state: str | None, closed: frozenset[str] = frozenset(CLOSED_STATES),
                ) -> float:
    """Where ``state`` stands in :data:`STATE_RANK`; a done-type state the board declares
    (in ``closed``) right after ``CANCELLED``, before every open one; any other after
    them all."""
    if state in STATE_RANK:
        return -STATE_RANK.index(state)
    return -1.5 if state in closed else -len(STATE_RANK)


def merge_task_properties(base: dict[str, str], ours: dict[str, str], theirs: dict[str, str],
                          states: tuple[str | None, str | None, str | None],
                          *, group: tuple[str, ...] = CLAIM_KEYS,
                          stamp: str = "CLAIMED", closed: frozenset[str] | None = None,
                          ) -> tuple[str | None, dict[str, str | None]]:
    """A task's state and properties both sides changed, merged three ways (the rule of
    docs/merge-driver.md, "The task board"): returns the state and each key's value
    (``None``: the key goes).

    - A claim (``group``: ``OWNER``, ``OWNER_PROCESS``, ``CLAIMED``) is one value. Both
      sides changed it: a side that claimed wins over a side that released (no
      ``OWNER``); two claims, the earlier ``stamp`` wins (first come, as the board's
      lock decides on one clone), equal times the smaller owner.
    - The state: a side that changed it alone wins; both changed it: the stronger by
      :data:`STATE_RANK` (closed over open: ``DONE`` and ``CANCELLED`` win, then the
      other done-type states of ``closed``, the board's
      (:func:`~ai_protocols.board.model.done_states`: those its ``#+TODO:`` line declares
      after ``|``; ``None``: ``DONE`` and ``CANCELLED``), then the open ones). When both
      changed the claim and the task stays open, the state is that of the side whose
      claim won; when a side closed it, the claim is that side's (its record of who
      closed it).
    - The state, ``ROLE`` and the claim are one thing: when both sides changed it, all
      three come from one side (the side that closed the task; each closed it its own
      way, the stronger state's; else the side whose claim won: the one side that
      changed it, a claim over a release, the earlier claim; else, the claims alike,
      the side whose state won), never a hand-off's state and role with the other
      side's claim.
    - Any other key one side changed takes that side; both changed it differently:
      the value of the side whose state won when both changed the state, else the
      task is a conflict (:class:`_Conflict`).
    """
    so, sa, sb = states
    closed = frozenset(CLOSED_STATES) if closed is None else closed | set(CLOSED_STATES)
    decided, state = _three(so, sa, sb)
    winner = None  # the side whose state won over the other's
    if not decided:
        state = max((_state_rank(sa, closed), sa or ""),
                    (_state_rank(sb, closed), sb or ""))[1] or None
        winner = "a" if state == sa else "b"
    go, ga, gb = (tuple(side.get(k) for k in group) for side in (base, ours, theirs))
    claimed, claim = _three(go, ga, gb)
    if not claimed:
        if ga[0] is None or gb[0] is None:
            claim = ga if gb[0] is None else gb
        else:
            real = _real(group, stamp, ga, gb)
            claim = ga if _key(ga, group, stamp, real) <= _key(gb, group, stamp, real) else gb
    # A task's state, ROLE and claim are one thing, which both sides changed: they come
    # together from one side (a hand-off's REVIEW and role never with the other side's
    # claim): the side that closed it; else the side whose claim won (the one side that
    # changed the claim; a claim over a release; the earlier claim); else, the claims
    # alike, the side whose state won.
    role = "ROLE" if group == CLAIM_KEYS else None
    ro, ra, rb = ((side.get(role) if role else None) for side in (base, ours, theirs))
    side: str | None = None
    closed_a, closed_b = sa in closed and sa != so, sb in closed and sb != so
    if state in closed and (closed_a or closed_b):  # the claim of whoever closed it: its record
        if closed_a and closed_b and sa == sb:
            # Both closed it alike: the earlier closing, then the earlier claim; all that
            # equal, nobody (a key they set differently, a checkpoint, is then a conflict).
            real = _real(group, stamp, ga, gb)  # (CLOSED_AT has no record: as written)
            key_a = (_time(ours.get("CLOSED_AT")), _key(ga, group, stamp, real))
            key_b = (_time(theirs.get("CLOSED_AT")), _key(gb, group, stamp, real))
            if key_a != key_b:
                side = "a" if key_a < key_b else "b"
        else:  # one closed it, or each its own way: the stronger state's
            side = winner or ("a" if closed_a else "b")
    elif (sa, ra, ga) != (so, ro, go) and (sb, rb, gb) != (so, ro, go) and \
            (sa, ra, ga) != (sb, rb, gb):
        if ga != gb:
            side = "a" if claim == ga else "b"
        elif sa != sb:
            side = winner or ("a" if sa != so else "b")
    forced: dict[str, str | None] = {}
    if side is not None:
        winner = side
        state, claim = (sa, ga) if side == "a" else (sb, gb)
        if role and (ra, rb) != (ro, ro):
            forced[role] = ra if side == "a" else rb
    merged: dict[str, str | None] = dict(zip(group, claim, strict=True))  # type: ignore[arg-type]
    merged.update(forced)
    for key in {*base, *ours, *theirs} - set(group) - set(forced):
        same, value = _three(base.get(key), ours.get(key), theirs.get(key))
        if not same:
            if winner is None:
                raise _Conflict
            value = ours.get(key) if winner == "a" else theirs.get(key)
        merged[key] = value  # type: ignore[assignment]
    return state, merged


# -- merging ------------------------------------------------------------------------------------


def _ours_first(a: str, b: str) -> bool:
    return a >= b  # the same answer whichever side git calls ours


def _merge_order(base: list[str], ours: list[str], theirs: list[str], first: bool) -> list[str]:
    order: list[str] = []
    for part in _token_merge(base, ours, theirs):
        if len(part) == 1:
            order += part[0]
            continue
        a, _o, b = part
        merged = _union(a, b) if first else _union(b, a)
        if all(n.startswith(("task:", "lock:")) and n not in base for n in merged):
            # (tasks both sides added: in id order, which is creation order, each side's
            # own order kept: two ids of one second are in no order, and a person may
            # have moved a task)
            merged = _interleaved(a, b) if first else _interleaved(b, a)
        order += merged
    return order


def _interleaved(first: list[str], second: list[str]) -> list[str]:
    """The names of ``first`` and ``second`` (each in its side's order), each once,
    interleaved by name (``task:ID``: an id's creation time), as a merge of two sorted
    runs: the smaller of the two sides' next names first, so each side's own order is
    kept whatever its names are."""
    result: list[str] = []
    taken: set[str] = set()
    i = j = 0
    while i < len(first) or j < len(second):
        if i < len(first) and first[i] in taken:
            i += 1
        elif j < len(second) and second[j] in taken:
            j += 1
        else:
            one = first[i] if i < len(first) else None
            two = second[j] if j < len(second) else None
            name = one if two is None or (one is not None and one <= two) else two
            result.append(name)  # type: ignore[arg-type]
            taken.add(name)  # type: ignore[arg-type]
    return result


def _merge_list(o: dict[str, _Chunk], a: dict[str, _Chunk], b: dict[str, _Chunk],
                order_o: list[str], order_a: list[str], order_b: list[str], *,
                first: bool, labels: tuple[str, str, str], marker_size: int,
                keep_changed: bool) -> tuple[str, bool]:
    """Chunks keyed by name merged: their order three ways, each by :func:`_merge_chunk`.
    A chunk one side removed and the other changed is kept (``keep_changed``) or set
    between conflict markers. A headline known by its text whose line one side edited
    is the base's chunk when that is sure (:func:`_renamed`)."""
    a, order_a = _renamed(o, a, order_a)
    b, order_b = _renamed(o, b, order_b)
    order = _merge_order(order_o, order_a, order_b, first)
    placed = set(order)
    for side, other, names in ((a, b, order_a), (b, a, order_b)):
        for index, name in enumerate(names):
            if name not in placed and name in o and name not in other \
                    and side[name].raw != o[name].raw:
                before = next((names[j] for j in range(index - 1, -1, -1) if names[j] in order),
                              None)
                order.insert(order.index(before) + 1 if before is not None else 0, name)
                placed.add(name)
    pieces: list[str] = []
    conflict = False
    done: set[str] = set()
    for name in order:
        if name in done:
            continue
        done.add(name)
        ca, cb, co = a.get(name), b.get(name), o.get(name)
        if ca is not None and cb is not None:
            text, clash = _merge_chunk(name, co, ca, cb, first=first, labels=labels,
                                       marker_size=marker_size)
        elif ca is None and cb is None:
            continue
        elif co is None:
            text, clash = (ca or cb).raw, False  # type: ignore[union-attr]
        elif (ca or cb).raw == co.raw:  # type: ignore[union-attr]
            continue  # the other side removed it
        elif keep_changed:
            text, clash = (ca or cb).raw, False  # type: ignore[union-attr]
        else:
            newline = (ca or cb).newline  # type: ignore[union-attr]
            text = conflict_block(ca.raw if ca else "", cb.raw if cb else "", labels,
                                  marker_size, newline)
            clash = True
        pieces.append(text)
        conflict = conflict or clash
    return "".join(pieces), conflict


def _renamed(o: dict[str, _Chunk], side: dict[str, _Chunk], order: list[str],
             ) -> tuple[dict[str, _Chunk], list[str]]:
    """``side``'s chunks and order with each headline known by its text (``heading:``:
    no ``ID``, no lock ``PATH``) whose line that side edited (a task's state or title
    changed in Emacs) named as the base's: when that is sure, as for a session's
    entries (:class:`ai_protocols.session.merge._Entries`): the base's chunk is gone on
    that side, one new ``heading:`` chunk there has exactly its lines under the
    headline, and no other gone or new one has those lines. A task whose ``ID`` that
    side lost (its ``:ID:`` line deleted or retyped, and retitled or not) is the base's
    task by the one identity rule (:func:`same_tasks`), its id given back when it has
    none (:func:`_with_id`). Any other change of a headline's line is a removal and
    an addition."""
    def body(chunk: _Chunk) -> str:
        return "".join(chunk.lines[1:])

    gone = [n for n in o if n.startswith("heading:") and n not in side]
    new = [n for n in order if n.startswith("heading:") and n not in o]
    names: dict[str, str] = {}
    for name in new:
        text = body(side[name])
        was = [g for g in gone if body(o[g]) == text]
        if len(was) == 1 and sum(body(side[n]) == text for n in new) == 1:
            names[name] = was[0]
    # A task whose :ID: line that side deleted or retyped: the same task, by the one
    # identity rule (:func:`same_tasks`), its id given back when it has none.
    # (and ids that side swapped, or moved to another task: :func:`_moved_ids`'s rule)
    moved = _moved_names(o, side)
    lost = {n: _Seen.of_chunk(o[n]) for n in o if n.startswith("task:") and
            (n not in side or n in moved)}
    if lost:
        free = {n: _Seen.of_chunk(side[n]) for n in order if (n not in o or n in moved)
                and n not in names and n.startswith(("heading:", "task:"))}
        side = dict(side)
        every = ([_Seen.of_chunk(o[n]) for n in o if n.startswith(("heading:", "task:"))],
                 [_Seen.of_chunk(side[n]) for n in order if n.startswith(("heading:", "task:"))])
        for was, name in _pair(lost, free, *every):
            names[name] = was
            if name.startswith("heading:"):
                side[name] = _with_id(side[name], o[was])
            elif _ident(was) and _ident(was) not in free[name].was and "preamble" in o:
                # (an id a person changed in a clone that never ran the tool: the merge
                # says so, as the next command would: ``Board._same_again``)
                side[name] = _noted(side[name], o["preamble"].raw,
                                    f"its id was {_ident(was)} (changed by hand to "
                                    f"{_ident(name)}): the same task")
    if not names:
        return side, order
    return ({names.get(n, n): c for n, c in side.items()}, [names.get(n, n) for n in order])


def _moved_names(o: dict[str, _Chunk], side: dict[str, _Chunk]) -> set[str]:
    """The names (``task:ID``) of the base's tasks whose ``ID`` a task of ``side`` holds
    that is not that task by :func:`_moved`'s rule (the one :func:`_moved_ids` applies
    to the kept copy and the board): a person swapped two tasks' ``:ID:`` lines in one
    clone. Such a task is paired by the identity rule, not by its id."""
    kinds = ("task:", "heading:")
    return _moved([(n, _Seen.of_chunk(c)) for n, c in o.items() if n.startswith("task:")],
                  [(n if n.startswith("task:") else None, _Seen.of_chunk(c))
                   for n, c in side.items() if n.startswith(kinds)])


def _noted(chunk: _Chunk, preamble: str, text: str) -> _Chunk:
    """``chunk`` (a task) with a log item saying ``text`` at its end, stamped with its
    log's latest time (:func:`_latest_stamp`; the format
    :data:`~ai_protocols.board.model.RETYPED` reads); ``preamble``: the text before the
    board's first headline, to read it with."""
    lines = list(chunk.lines)
    if not lines[-1].endswith(chunk.newline):
        lines[-1] += chunk.newline
    lines.append(f"- {_latest_stamp(lines)} {text}{chunk.newline}")
    again = _Version(preamble + "".join(lines))
    return again.chunks[again.order[1]]


def _with_id(chunk: _Chunk, base: _Chunk) -> _Chunk:
    """``chunk`` (a task whose ``:ID:`` line a person deleted) with the ``:ID:`` line of
    ``base`` (the same task in the base) first in its drawer, as the next command would
    give it back (``Board._same_again``), in a drawer as the base's when it has none."""
    line = next((raw for key, _value, raw in base.properties if key == "ID"), None)
    if line is None or (chunk.drawer is None and base.drawer is None):
        return chunk
    if chunk.drawer is None:  # (a drawer as the base's, holding the id alone)
        cut = chunk.body_start
        again = _Chunk([*chunk.lines[:cut], base.lines[base.drawer[0]], line,  # type: ignore[index]
                        base.lines[base.drawer[1]], *chunk.lines[cut:]],  # type: ignore[index]
                       chunk.newline, chunk.keywords, (cut, cut + 2), cut + 3)
        again.done = chunk.done
        return again
    at = chunk.drawer[0] + 1
    again = _Chunk([*chunk.lines[:at], line, *chunk.lines[at:]], chunk.newline,
                   chunk.keywords, (chunk.drawer[0], chunk.drawer[1] + 1),
                   chunk.body_start + 1)
    again.done = chunk.done
    return again


def _merge_body(o: list[str], a: list[str], b: list[str], *, first: bool,
                labels: tuple[str, str, str], marker_size: int, newline: str,
                offsets: tuple[timedelta | None, timedelta | None] = (None, None),
                ) -> tuple[str, bool]:
    """A task's body (or the locks section's own text): its log items merged by the
    session merge's entry rules (:func:`ai_protocols.session.merge._merge_entry_chunk`:
    each item known by its identity over the whole body, so an item moved on one side
    and noted on the other is one item; removed on one side and changed on the other,
    a conflict on that item alone), free text as git merges it. The items only one
    side holds are placed by time: by their real instants when ``offsets`` (ours' and
    theirs' UTC offsets: :func:`_writer_offsets`) are both known, else as written."""
    units = [_units(lines, 0, len(lines), entries=True, drawer=None, newline=newline)
             for lines in (o, a, b)]
    return _merge_entry_chunk(*units, ours_first=first, labels=labels,
                              marker_size=marker_size, newline=newline, offsets=offsets)


def _writer_offsets(base: dict[str, str], ours: dict[str, str], theirs: dict[str, str],
                    ) -> tuple[timedelta | None, timedelta | None]:
    """The UTC offsets of the writers of a task's new log items on each side, as far as
    the board tells them: a side that changed the task's claim wrote it with its
    ``CLAIMED_AT`` record's offset (:func:`_offset`), and its ``claimed by`` item with
    it; ``None`` for a side that did not (the board has no record of the zone of other
    writes: its items are then compared as written)."""
    def offset(side: dict[str, str]) -> timedelta | None:
        if all(side.get(k) == base.get(k) for k in CLAIM_KEYS):
            return None
        return _offset(side, "CLAIMED")  # type: ignore[arg-type]

    return offset(ours), offset(theirs)


def _merge_chunk(name: str, o: _Chunk | None, a: _Chunk, b: _Chunk, *, first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    ro = o.raw if o is not None else ""
    if a.raw == b.raw or b.raw == ro:
        return a.raw, False
    if a.raw == ro:
        return b.raw, False
    if name.startswith("heading:") and o is not None:  # its line, then what is under it
        same, head = _three(o.lines[0], a.lines[0], b.lines[0])
        if not same:
            same, head = _heading_line(o, a, b, first)
        if same:
            body, clash = _merge_body(o.lines[1:], a.lines[1:], b.lines[1:], first=first,
                                      labels=labels, marker_size=marker_size,
                                      newline=a.newline)
            return str(head) + body, clash
    if name.startswith(("preamble", "heading:")):
        return merge_text(ro, a.raw, b.raw, labels=labels, marker_size=marker_size)
    try:
        return _merge_entry(name, o, a, b, first=first, labels=labels, marker_size=marker_size)
    except _Conflict:
        return merge_text(ro, a.raw, b.raw, labels=labels, marker_size=marker_size)


def _heading_line(o: _Chunk, a: _Chunk, b: _Chunk, first: bool) -> tuple[bool, str]:
    """The line of a headline known by its text (a person's task without an ``ID``) that
    both sides changed, when its state and its title were each changed by one side at
    most, or its state by both (the stronger wins, as for a task with an ``ID``:
    :func:`_state_rank` with the board's done states): ``(True, line)``; else ``(False,
    "")`` (git merges the task's text)."""
    (go, so, ro), (ga, sa, ra), (gb, sb, rb) = (c.head for c in (o, a, b))
    same, rest = _three(ro, ra, rb)
    if not same:
        return False, ""
    same, state = _three(so, sa, sb)
    if not same:
        closed = a.done | b.done | o.done
        state = max((_state_rank(sa, closed), sa or ""), (_state_rank(sb, closed), sb or ""))[1] \
            or None
    one, two = (a, b) if first else (b, a)
    gap = ga if ga == gb else (gb if ga == go else (ga if gb == go else one.head[0]))
    return True, _headline(state, str(rest), (one, two, o), gap=gap)  # type: ignore[arg-type]


def _merge_entry(name: str, o: _Chunk | None, a: _Chunk, b: _Chunk, *, first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """A task or lock (or the locks section) both sides changed, part by part."""
    newline = a.newline
    if a.drawer is None or b.drawer is None or (o is not None and o.drawer is None):
        raise _Conflict
    empty = _Chunk([a.lines[0]], newline, a.keywords, None, 1) if o is None else o
    if o is None:
        empty.done = a.done
    (go, so, ro), (ga, sa, ra), (gb, sb, rb) = (c.head for c in (empty, a, b))
    if o is None:  # (both added it: nothing is the base's, the state neither)
        so, rest = None, _added_both(name, a, b, first)
    else:
        same, rest = _three(ro, ra, rb)
        if not same:
            raise _Conflict  # both retitled or retagged it differently
    same, planning = _three(empty.planning, a.planning, b.planning)
    if not same:
        raise _Conflict
    values_o = empty.values if o is not None else {}
    if name.startswith("locks"):
        state, values = so, _plain_merge(values_o, a.values, b.values)
    elif name.startswith("lock:"):
        state, values = merge_task_properties(values_o, a.values, b.values, (so, sa, sb),
                                              group=LOCK_KEYS, stamp="LOCKED")
        if a.values.get("OWNER") == b.values.get("OWNER") and \
                _three(*(tuple(v.get(k) for k in LOCK_KEYS)
                         for v in (values_o, a.values, b.values)))[0] is False:
            # One agent renewed it on both: the later renewal (its LOCKED, then LOCKED_AT);
            # two renewals at the very same moment that differ, or in one second on two
            # hosts or boots: nobody's, a conflict.
            la, lb = (tuple(side.values.get(k) for k in LOCK_KEYS) for side in (a, b))
            real = _real(LOCK_KEYS, "LOCKED", la, lb)
            key_a = _key(la, LOCK_KEYS, "LOCKED", real)[:2]
            key_b = _key(lb, LOCK_KEYS, "LOCKED", real)[:2]
            if key_a == key_b or (key_a[0] == key_b[0] and key_a[1][0] == key_b[1][0] and
                                  key_a[1][1:3] != key_b[1][1:3]):
                raise _Conflict  # (one second on two hosts or boots: no order to tell)
            side = a if key_a > key_b else b
            values.update({k: side.values.get(k) for k in LOCK_KEYS})
    else:
        values_a, values_b, also = _one_id(values_o, a.values, b.values)
        state, values = merge_task_properties(values_o, values_a, values_b, (so, sa, sb),
                                              closed=a.done | b.done | empty.done)
    # (both sides changed the spacing, or spell one headline apart: the side that sorts
    # first, as for the drawer's order, so either clone gets the same line)
    one, two = (a, b) if first else (b, a)
    gap = ga if ga == gb else (gb if ga == go else (ga if gb == go else one.head[0]))
    head = _headline(state, rest, (one, two, empty), gap=gap)
    drawer = _drawer(values, (o, a, b) if first else (o, b, a), newline)
    if name.startswith("locks"):
        body, conflict = _merge_locks(o, a, b, first=first, labels=labels,
                                      marker_size=marker_size)
    else:
        body, conflict = _merge_body(empty.body if o is not None else
                                     _added_base(a.body, b.body), a.body, b.body,
                                     first=first, labels=labels, marker_size=marker_size,
                                     newline=newline,
                                     offsets=_writer_offsets(values_o, a.values, b.values))
        if not conflict and name.startswith("task:"):
            done = a.done | b.done | empty.done | set(CLOSED_STATES)
            shut = (state in done and sa not in done, state in done and sb not in done)
            body = _log_dropped_claims(body, values_o, (a.values, b.values) if first else
                                       (b.values, a.values), values, newline,
                                       shut=shut if first else shut[::-1])
            body = _log_lost_role(body, values_o, (a.values, b.values), values, newline,
                                  closed=state in done)
            body = _id_said(body, values.get("ID"), also, newline)
        elif not conflict and name.startswith("lock:"):  # one path locked on both sides
            body = _log_dropped_claims(body, values_o, (a.values, b.values) if first else
                                       (b.values, a.values), values, newline,
                                       group=LOCK_KEYS, stamp="LOCKED",
                                       what=f"lock on {values.get('PATH') or ''}")
    return head + planning + drawer + body, conflict


def _added_base(a: list[str], b: list[str]) -> list[str]:
    """The base of the text under a task (or lock) both sides added (``a``, ``b``: the
    lines under each side's drawer): the shorter side's lines when they are, in order,
    lines of the longer (a subsequence: the longer is the shorter with lines typed on
    between or after them, as a stale buffer saved again after the write that merged
    its first save back and gave the task its id), so the merge takes the lines added
    as one side's change; else none (nothing is known to be the base: two texts that
    differ at one place are git's conflict). Never drops a line: every line of the base
    is on both sides. Raises nothing."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    rest = iter(long)
    return list(short) if all(line in rest for line in short) else []


def _added_both(name: str, a: _Chunk, b: _Chunk, first: bool) -> str:
    """The title and tags of a task (or lock) both sides added, the base without it
    (``name``: its chunk's name; ``a``, ``b``: the two sides): when the sides differ only
    in the blanks between words (Emacs aligns tags), the side whose board sorts first
    (``first``: ``a``'s; the same line whichever side git calls ours).
    :class:`_Conflict` where both set a part to different values and no rule settles
    it without dropping one side's: the title or tags; the TODO
    keyword, unless the claim decides (a side claimed or released: the state comes with
    its claim, :func:`merge_task_properties`) or one side alone closed it (a closed task
    stays closed); a property other than the claim's and ``ROLE`` (which a claim
    decides, the side that gave way named in the task's log), or the lock's
    (:data:`LOCK_KEYS`). The planning line and the text under the drawer conflict by
    their own three-way rules on an empty base; the claim's and the lock's rule log the
    one dropped (docs/decisions.md, "Issue 15, nineteenth round (the board merge)")."""
    (_ga, sa, ra), (_gb, sb, rb) = a.head, b.head
    if ra != rb and ra.split() != rb.split():
        raise _Conflict  # (both titled or tagged it, differently)
    group = LOCK_KEYS if name.startswith("lock:") else CLAIM_KEYS
    values_a, values_b = a.values, b.values
    if sa != sb:
        closed = a.done | b.done | set(CLOSED_STATES)
        claimed = any(values_a.get(k) != values_b.get(k) for k in group)
        if not claimed and (sa in closed) == (sb in closed):
            raise _Conflict  # (two keywords typed, nothing decides: both kept for a person)
    free = set(values_a) & set(values_b) - set(group) - {"ROLE"}
    if any(values_a[key] != values_b[key] for key in free):
        raise _Conflict
    return ra if ra == rb or first else rb


def _log_dropped_claims(body: str, base: dict[str, str], sides: tuple[dict[str, str], ...],
                        merged: dict[str, str | None], newline: str, *,
                        group: tuple[str, ...] = CLAIM_KEYS, stamp: str = "CLAIMED",
                        what: str = "claim", shut: tuple[bool, ...] = (False, False)) -> str:
    """``body`` (a merged task's text under its drawer) with a log item for each side's
    claim the merge dropped (a claim that side made, by an agent other than the one
    whose claim stayed: the later of two, or one made while the other side closed the
    task), as a dropped lock has one (:func:`_drop_overlaps`): stamped with the dropped
    claim's ``CLAIMED`` (so that the result does not depend on when the merge ran), at
    the end of the task's own log, before any sub-headline. A lock of one path taken on
    both sides by two agents is logged so too, under the lock that stays (``group``
    :data:`LOCK_KEYS`, ``stamp`` ``"LOCKED"``, ``what`` ``"lock on PATH"``). ``shut``: for
    each of ``sides``, whether the merged task is closed while that side had it open (the
    other side closed it): a claim of that side is logged as made while the task was
    closed on the other side, whoever's claim the closed task keeps, so that its agent is
    told why (:func:`~ai_protocols.board.model.dropped_by_merge`)."""
    kept = merged.get("OWNER")
    items = []
    for side, closed in zip(sides, shut, strict=True):
        owner = side.get("OWNER")
        if not owner or owner == kept or \
                all(side.get(k) == base.get(k) for k in group):
            continue
        when = side.get(stamp) or ""
        why = "made while the task was closed on the other side" if closed or not kept \
            else f"which came after {kept}'s (the earlier {what.split()[0]} stands)"
        items.append(f"- {when + ' ' if when else ''}merge: dropped {owner}'s {what}, "
                     f"{why}{newline}")
    if not items:
        return body
    return _append_to_log(body, items, newline)


def _log_lost_role(body: str, base: dict[str, str], sides: tuple[dict[str, str], ...],
                   merged: dict[str, str | None], newline: str, *, closed: bool) -> str:
    """``body`` with a log item when one side's ``ROLE`` (a hand-off's, a person's) gave
    way because the task's state, role and claim came from the other side
    (:func:`merge_task_properties`): stamped with the claim that stayed (``CLAIMED``),
    or unstamped without one, so that the result does not depend on when the merge ran;
    at the end of the task's own log. ``closed``: the merged task is closed."""
    role = merged.get("ROLE")
    lost = [side.get("ROLE") for side in sides
            if side.get("ROLE") != base.get("ROLE") and side.get("ROLE") != role]
    if not lost:
        return body
    when = merged.get("CLAIMED") or ""
    owner = merged.get("OWNER")
    why = "the other side closed the task" if closed else \
        f"{owner}'s claim from the other side stands" if owner else \
        "the other side's state stands"
    item = (f"- {when + ' ' if when else ''}merge: the role {lost[0] or '(none)'} set on one "
            f"side (a hand-off or an edit) gave way: {why}, with role {role or '(none)'}"
            f"{newline}")
    return _append_to_log(body, [item], newline)


def _one_id(base: dict[str, str], ours: dict[str, str], theirs: dict[str, str],
            ) -> tuple[dict[str, str], dict[str, str], str | None]:
    """The properties of the two sides of a task whose ``ID`` each side changed to
    another (two clones: a person retyped it in each, docs/merge-driver.md): the
    smaller id (plain text order: the same whichever side is ours) on both, and the
    other, for the task's log (:func:`_id_said`); else the sides as they are, and
    ``None``."""
    was, mine, other = base.get("ID"), ours.get("ID"), theirs.get("ID")
    if not (mine and other) or mine == other or was in (mine, other):
        return ours, theirs, None
    kept, also = sorted((mine, other))
    return {**ours, "ID": kept}, {**theirs, "ID": kept}, also


def _id_said(body: str, ident: str | None, also: str | None, newline: str) -> str:
    """``body`` (a merged task's lines under its drawer; ``ident``: its merged ``ID``)
    with the log item that makes its log's latest id note say the id it has: ``its id
    was also ALSO (changed by hand in another clone; a merge kept ID)`` for the other
    side's id of :func:`_one_id`; else, when the latest note of its id (a person's
    change, :data:`~ai_protocols.board.model.RETYPED`; git's put-back,
    :data:`~ai_protocols.board.model.PUT_BACK`) names another id as the one it has
    (one branch put the old id back, the other changed it, and the merge kept the
    change), ``its id was OTHER (a merge kept the change by hand to ID)``. Stamped
    with the latest time stamp of its log (the same board whenever and whichever way
    the merge ran); what the log said stays."""
    from ai_protocols.board.model import PUT_BACK

    if not ident:
        return body
    lines = body.splitlines()
    said = None
    if also is not None:
        said = f"its id was also {also} (changed by hand in another clone; a merge kept " \
            f"{ident}): the same task"
    else:
        for line in reversed(lines):
            found = RETYPED.match(line.strip())
            now = found.group(2) if found else None
            if found is None and (back := PUT_BACK.match(line.strip())) is not None:
                now = back.group(1)
            if now is None:
                continue
            if now != ident:
                said = f"its id was {now} (a merge kept the change by hand to {ident}): " \
                    "the same task"
            break
    if said is None:
        return body
    return _append_to_log(body, [f"- {_latest_stamp(lines)} {said}{newline}"], newline)


def _latest_stamp(lines: list[str]) -> str:
    """The latest time stamp of the log items among ``lines`` (a task's), as written;
    now's, when there is none: what the merge stamps its own notes with, so that the
    board is the same whenever, and whichever way, the merge ran."""
    from ai_protocols.board.model import _NOTE_STAMP

    stamps = [stamp for line in lines if (found := _NOTE_STAMP.match(line.strip()))
              and (stamp := found.group(1)) and parse_timestamp(stamp) is not None]
    if not stamps:
        return format_timestamp(datetime.now())
    return max(stamps, key=lambda stamp: (parse_timestamp(stamp) or datetime.min, stamp))


def _append_to_log(body: str, items: list[str], newline: str) -> str:
    """``body`` (a task's lines) with ``items`` (log items, each ending in ``newline``)
    at the end of the task's own log: before its first sub-headline and the blank lines
    before it."""
    lines = body.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if re.match(r"\*+[ \t]", line)), len(lines))
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    return "".join([*lines[:at], *items, *lines[at:]])


def _headline(state: str | None, rest: str, sides: tuple[_Chunk, ...], gap: str) -> str:
    """The merged headline: a side's own line when it says the same, else made anew."""
    for side in sides:
        _gap, side_state, side_rest = side.head
        if side_state == state and side_rest.lstrip(" \t") == rest:
            return side.lines[0]
    line = gap if gap.endswith((" ", "\t")) else gap + " "
    line += f"{state} {rest}" if state and rest else (state or rest)
    return line + sides[0].newline


def _plain_merge(o: dict[str, str], a: dict[str, str], b: dict[str, str],
                 ) -> dict[str, str | None]:
    merged: dict[str, str | None] = {}
    for key in {*o, *a, *b}:
        same, value = _three(o.get(key), a.get(key), b.get(key))
        if not same:
            raise _Conflict
        merged[key] = value  # type: ignore[assignment]
    return merged


def _drawer(values: dict[str, str | None], sides: tuple[_Chunk | None, _Chunk, _Chunk],
            newline: str) -> str:
    """The drawer: keys in the order of the first side, then the other's new keys; a
    line whose value is kept keeps its bytes."""
    base, first, second = sides
    lines = [first.lines[first.drawer[0]]]  # type: ignore[index]
    order: list[str] = []
    for side in (first, second, base):
        if side is not None:
            order += [k for k, _v, _r in side.properties if k not in order]
    for key in order:
        value = values.get(key)
        if value is None:
            continue
        for side in (first, second, base):
            if side is None:
                continue
            raw = next((r for k, v, r in side.properties if k == key and v == value), None)
            if raw is not None:
                lines.append(raw)
                break
        else:
            lines.append(format_property(key, value) + newline)
    lines.append(first.lines[first.drawer[1]])  # type: ignore[index]
    return "".join(lines)


def _merge_locks(o: _Chunk | None, a: _Chunk, b: _Chunk, *, first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """The locks section's own text by git, then its locks keyed by path (a lock one
    side removed and the other renewed is kept: that agent still counts on it)."""
    (lo, co, no), (la, ca, na), (lb, cb, nb) = (
        _children(c) if c is not None else ([], {}, []) for c in (o, a, b))
    strip = [lines[c.body_start:] if c is not None else [] for lines, c in
             ((lo, o), (la, a), (lb, b))]
    own, clash = _merge_body(*strip, first=first, labels=labels, marker_size=marker_size,
                             newline=a.newline)
    kids, clash2 = _merge_list(co, ca, cb, no, na, nb, first=first, labels=labels,
                               marker_size=marker_size, keep_changed=True)
    if not (clash or clash2):
        kids = _drop_overlaps(kids, a.newline)
    return own + kids, clash or clash2


def _drop_overlaps(text: str, newline: str) -> str:
    """The merged locks (``text``: lock subtrees) with ``lock``'s rule that no two
    agents hold overlapping areas: where two locks of different owners overlap (one
    path holds the other: :func:`~ai_protocols.board.model.overlap`), the earlier
    (``LOCKED``, then ``LOCKED_AT``'s instant, then its values as text: :func:`_key`,
    the same whichever side git calls ours) stays; the later is dropped, and a log line
    under the one that stays says so, stamped with the dropped lock's ``LOCKED`` (so
    that the result does not depend on when the merge ran)."""
    from ai_protocols.board.model import board_title, overlap
    from ai_protocols.org.syntax import unescape_inline

    if not text:
        return text
    plain = text.replace(newline, "\n") if newline != "\n" else text
    doc = OrgFile(plain)
    heads = [h for h in doc.headlines if h.properties.get("PATH")]
    if len(heads) < 2:
        return text
    held = [tuple(h.properties.get(k) for k in LOCK_KEYS) for h in heads]
    real = _real(LOCK_KEYS, "LOCKED", *held)
    order = [h for _, h in sorted(zip(held, heads, strict=True),
                                  key=lambda pair: _key(pair[0], LOCK_KEYS, "LOCKED", real))]
    kept: list = []
    dropped: dict[int, str] = {}  # a kept lock's headline line: its added log lines
    gone: list = []
    for head in order:
        path, owner = unescape_inline(head.properties["PATH"]), head.properties.get("OWNER")
        winner = next((k for k in kept if k.properties.get("OWNER") != owner and
                       overlap(unescape_inline(k.properties["PATH"]), path)), None)
        if winner is None:
            kept.append(head)
            continue
        gone.append(head)
        stamp = head.properties.get("LOCKED") or ""
        dropped[winner.line] = dropped.get(winner.line, "") + (
            f"- {stamp} merge: dropped {owner or '(nobody)'}'s lock on {board_title(path)}, "
            f"which "
            f"overlaps this earlier one (no two agents hold overlapping areas)" + "\n")
    if not gone:
        return text
    split = plain.split("\n")
    out: list[str] = []
    skip = {n for h in gone for n in range(h.line, h.subtree_end)}
    ends = {h.subtree_end: h.line for h in kept if h.line in dropped}
    for n, line in enumerate(split):
        if n in ends:
            out.append(dropped[ends.pop(n)].rstrip("\n"))
        if n not in skip:
            out.append(line)
    for line_no in ends.values():  # a kept lock that ends the text
        out.insert(len(out) - (1 if split and split[-1] == "" else 0),
                   dropped[line_no].rstrip("\n"))
    return newline.join("\n".join(out).split("\n"))


def _result_names(text: str) -> set[str] | None:
    try:
        version = _Version(text)
    except _CannotMerge:
        return None
    return {n for n in version.order if n.startswith("task:")}


def merge_board_bytes(base: bytes, ours: bytes, theirs: bytes, *,
                      labels: tuple[str, str, str] = ("ours", "base", "theirs"),
                      marker_size: int = 7) -> MergeResult | None:
    """Merge three versions of the task board task by task (see the module's docstring);
    ``None`` when they are not three boards this merge understands, and the caller
    merges them as ``git merge-file`` does. Runs ``git merge-file``; raises nothing of
    its own."""
    try:
        texts = [data.decode("utf-8") for data in (base, ours, theirs)]
    except UnicodeDecodeError:
        return None
    if any("\x00" in t for t in texts):
        return None
    try:
        o, a, b = (_Version(t) for t in texts)
        if len({v.newline for v in (o, a, b)}) != 1:
            return None
        first = _ours_first(a.text, b.text)
        _adopt_ids(o, a, b)
        _added_alike(o, a, b)
        merged, conflict = _merge_list(o.chunks, a.chunks, b.chunks, o.order, a.order,
                                       b.order, first=first, labels=labels,
                                       marker_size=marker_size, keep_changed=False)
    except (_CannotMerge, _Conflict, UnicodeDecodeError, OSError):
        return None
    keep_final = a.final_newline if a.final_newline == b.final_newline else \
        (b.final_newline if a.final_newline == o.final_newline else a.final_newline)
    if not keep_final and merged.endswith(a.newline):
        merged = merged[: -len(a.newline)]
    if not conflict:  # every task either side kept, once, and no other: else git decides
        found = _result_names(merged)
        # (a task whose id one side lost or retyped is the base's: known by either id)
        side_a, order_a = _renamed(o.chunks, a.chunks, a.order)
        side_b, order_b = _renamed(o.chunks, b.chunks, b.order)
        aliases = {now: was for names, renamed in ((a.order, order_a), (b.order, order_b))
                   for now, was in zip(names, renamed, strict=True) if now != was}
        tasks = {n for n in (*order_a, *order_b) if n.startswith("task:")}
        if found is None or {aliases.get(n, n) for n in found} != \
                tasks - _removed(o.chunks, o.order, side_a, side_b):
            return None
    return MergeResult(merged.encode("utf-8"), conflict)


def tasks_lacking(version: bytes, other: bytes, also: tuple[bytes, ...] = ()) -> int:
    """How many tasks (and locks sections) the board ``other`` holds as neither the board
    ``version`` nor any board of ``also`` holds them: a task none of them has (known by
    ``ID``, a task without one by its headline: title, tags, as the board's merge pairs
    them), or one ``version`` holds in another text that is one of ``also``'s (or
    ``also`` being empty), that is an older text of it, or a text of it that lacks the
    change from each of ``also``'s texts to ``other``'s (:func:`_lacks_change`: a
    stale buffer in which a person typed into a task git changed too): a claim, a
    close, a lock ``other`` made that ``version`` never took, as a stale save keeps the
    text from before the pull; each lock of a locks section so held counted
    (:func:`lacking_said`). -1 when one is no board this merge reads. For the
    stale-save merge back of the board
    (:func:`ai_protocols.session.entries_compared.brought_lacking`). Raises nothing."""
    found = lacking_said(version, other, also)
    return -1 if found is None else sum(len(kind) for kind in found)


def lacking_said(version: bytes, other: bytes, also: tuple[bytes, ...] = (), *,
                 committed: bool = False) -> tuple[list[str], list[str], list[str]] | None:
    """What :func:`tasks_lacking` counts, by kind: ``(the titles of the tasks none of
    the boards holds, the titles of the tasks held in an older text, the paths of the
    locks)`` (the locks section counted as one ``locks section`` when it changed and no
    lock of it is new); ``None`` when one is no board this merge reads. ``committed``:
    ``version`` is a board a commit holds, judged against the commits before it
    (:func:`_lacks_change`'s ``committed``). For the stale-save warning, which says what
    it merged back. Raises nothing."""
    try:
        read = [_Version(data.decode("utf-8")) for data in (version, other, *also)]
        mine, theirs, before = read[0], read[1], read[2:]
        # (a task whose :ID: line a person deleted or retyped is the same task: known by
        # the one identity rule, each board named as ``other`` names its tasks, ``version``
        # first as the boards before do, the one a buffer was opened on among them)
        for one in before:
            _known_as(theirs, one)
        for one in [*before, theirs]:
            _known_as(one, mine)
    except (_CannotMerge, _Conflict, UnicodeDecodeError, ValueError):
        return None
    have = {name for one in [mine, *before] for name in one.order}
    added: list[str] = []
    changed: list[str] = []
    locks: list[str] = []
    for name in theirs.order:
        chunk = theirs.chunks[name]
        if not (name.startswith(("task:", "locks")) or
                (name.startswith("heading:") and chunk.head[1] is not None)):
            continue
        if name in have and name not in mine.chunks:
            continue  # (taken out on this side: a person's deletion, not a stale save)
        if name in have:
            older = {one.chunks[name].raw for one in before if name in one.chunks}
            text = mine.chunks[name].raw
            if not (chunk.raw != text and chunk.raw not in older and
                    (not before or text in older or
                     (bool(older) and all(_lacks_change(text, was, chunk.raw,
                                                        committed=committed)
                                          for was in older)))):
                continue
        if name.startswith("locks"):
            held = [_locks_of(one.chunks[name]) for one in [mine, *before]
                    if name in one.chunks]
            new = [path for path, raw in _locks_of(chunk).items()
                   if all(one.get(path) != raw for one in held)]
            locks.extend(new or ["locks section"])
        else:
            (changed if name in have else added).append(
                _title_of(chunk.head[2]))
    return added, changed, locks


def _known_as(known: _Version, side: _Version) -> None:
    """``side``'s tasks whose ``:ID:`` line a person deleted or retyped, or a headline
    edited, renamed as the same task of ``known`` (:func:`_renamed`, the one identity
    rule the merge pairs them by), so that :func:`lacking_said` compares a task with
    itself, not a retyped id with a task that seems gone. Changes ``side`` in place."""
    side.chunks, side.order = _renamed(known.chunks, side.chunks, side.order)


def _locks_of(chunk: _Chunk) -> dict[str, str]:
    """The locks of the locks section ``chunk``: each level-2 headline's text (the
    locked path) and its subtree's text."""
    found: dict[str, str] = {}
    head: str | None = None
    for raw in chunk.lines[1:]:
        line = strip_ending(raw, chunk.newline)
        if line.startswith("** "):
            head = line[3:].strip()
            found[head] = ""
        if head is not None:
            found[head] += raw
    return found


def _title_of(rest: str) -> str:
    """A headline's title and tags (:attr:`_Chunk.head`'s last part) without the tags."""
    title = rest.rstrip()
    if title.endswith(":") and " :" in title:
        title = title[:title.rindex(" :")].rstrip()
    return title


def _lacks_change(text: str, was: str, now: str, *, committed: bool = False) -> bool:
    """Whether the text ``text`` of one task holds no part of the change from its text
    ``was`` to its text ``now``, line by line: no line ``now`` adds (holds more often
    than ``was``) is held more often than ``was`` held it; a change that only takes
    lines out: each still held as often as ``was`` held it. (A stale buffer's text of
    ``was`` with a note typed in, or a line both changed: yes; a person's text made
    from ``now``, or from the merge of the two with one side of a conflict kept, which
    holds the rest of it: no.) ``committed``: ``text`` is a commit's, ``was`` to
    ``now`` a change git's history holds before it; a change whose every part that
    commit changed too, to lines of its own (:func:`_retyped`: an ``:ID:`` a person
    retyped in two commits), is a later edit in that history, not a buffer from before
    it: no. (A buffer's save that changed a line a pull changed is still "yes": the
    refusal leaves the line both changed to a person.) For :func:`tasks_lacking`;
    raises nothing."""
    old, new, held = (Counter(one.splitlines()) for one in (was, now, text))
    added = [line for line in new if new[line] > old[line]]
    if added:
        return all(held[line] <= old[line] for line in added) and \
            not (committed and _retyped(held, was, now))
    return all(held[line] >= old[line] for line in old if new[line] < old[line])


def _retyped(held: Counter[str], was: str, now: str) -> bool:
    """Whether every part of the change from ``was`` to ``now`` (each run of lines
    ``difflib`` finds changed) replaced or took out lines that the text whose lines are
    counted in ``held`` lacks too: that text changed the very lines the change did, to
    lines of its own, so it tells nothing of being older than the change. A part that
    only adds lines (a claim's property, a log item) is never retyped."""
    from difflib import SequenceMatcher

    before, after = was.splitlines(), now.splitlines()
    parts = [(i1, i2) for tag, i1, i2, _j1, _j2 in SequenceMatcher(
        None, before, after, autojunk=False).get_opcodes() if tag != "equal"]
    return bool(parts) and all(
        i1 < i2 and all(held[line] < Counter(before[i1:i2])[line] for line in before[i1:i2])
        for i1, i2 in parts)


def without_merged(base: bytes, ours: bytes, theirs: bytes, merged: bytes | None = None,
                   ) -> tuple[bytes, bytes, bytes, dict[str, str]]:
    """``(base, ours, theirs)`` for ``task merge-copy``'s merge: ``theirs`` (a linked work
    tree's copy of the board) without each task of it that has no ``ID``, that ``base``
    (the copy's ``HEAD``) lacks, and that is a task ``ours`` (the shared board) holds
    with an ``ID`` it does not: a task a person typed into the copy that ``task
    merge-copy`` merged already (an id given to it in the shared board only), so that
    running it again adds it no second time (docs/decisions.md, "Issue 14, sixteenth
    round (stale saves and put-back copies)"). Which task is that one is its identity,
    not its every line (the tool adds lines under a task, a claim's note, never takes
    one; the person may type on under it in the copy): the same headline (title, tags)
    and, when the copy's task has lines under it, its first such line held by the
    shared board's task; a task whose every line the shared board's task holds, in
    order, first. Each task of ``ours`` stands for one such task. The lines typed into
    the copy's task since that the shared board's task lacks are put into it in
    ``ours`` (each after the line it follows in the copy: :func:`_typed_into`), so the
    merge keeps them; what the copy changed above them since (a planning line, a
    drawer) stays in ``theirs``, in the copy's task given the shared task's ``:ID:``
    line (:func:`_with_id`), so the merge merges it as any change. A task with an
    ``ID`` under which lines were typed in the copy, merged by an earlier run
    (:func:`_typed_again`: the shared task holds the first line typed), is dealt with
    by the same rule: its typed lines go into ``ours`` and ``theirs`` holds the text
    under it as ``base`` does (its headline, planning line and drawer as the copy has
    them: merged as any change). ``merged``: the record of what an earlier run merged
    (:func:`merged_before`), which holds such a task typed without an ``ID`` as the
    shared board took it: the base is given that task (with the shared task's ``:ID:``
    line, its text under the drawer as ``theirs`` has it), so that what the copy
    changed in it since (a date changed again) is one change, not two sides' setting
    of a task the base lacks. A record that ties such a task to the shared task's id
    (:func:`tied_record`) names it first, whatever the person changed in it since (its
    title, tags, keyword, the text under it: :func:`_tied`); the headline's rule is
    for a task no record ties. Fourth: each task of ``theirs`` so found (its name in
    the merge) with the shared task's (``task:ID#1``), for :func:`tied_record`. All
    three as they are (and no ties) when any of them is no board this merge reads.
    Raises nothing."""
    ties: dict[str, str] = {}
    try:
        o, a, b = (_Version(data.decode("utf-8")) for data in (base, ours, theirs))
        r = _Version(merged.decode("utf-8")) if merged is not None else None
        before: list[str] = []  # (typed tasks as the record holds them: for the base)
        merged: list[tuple[str, str]] = [
            (name, a.chunks[name].head[2]) for name in a.order
            if name.startswith("task:") and name not in o.chunks]
        tied = {n: t for n, t in (_tied(o, b, r) if r is not None else {}).items()
                if any(m[0] == t for m in merged)}  # (a shared task deleted since: none)
        reserved = set(tied.values())
        kept, grown = [], {}
        for name in b.order:
            chunk = b.chunks[name]
            again = _typed_again(o.chunks[name], a.chunks[name], chunk) \
                if name.startswith("task:") and name in o.chunks and name in a.chunks else None
            if again is not None:  # (a task with an ID, merged by an earlier run)
                grown[name] = again[0]
                kept.append(again[1])  # (what it typed is in ``ours`` now)
                continue
            if name.startswith("heading:") and name not in o.chunks and \
                    chunk.head[1] is not None:
                body = [strip_ending(line, b.newline) for line in chunk.body]
                first = next((line for line in body if line.strip()), None)
                alike = [m for m in merged if m[1] == chunk.head[2] and m[0] not in reserved]
                shared = [(m, [strip_ending(line, a.newline)
                               for line in a.chunks[m[0]].body]) for m in alike]
                same = next((m for m in merged if m[0] == tied[name]), None) \
                    if name in tied else \
                    next((m for m, lines in shared if _holds_in_order(lines, body)), None) or \
                    next((m for m, lines in shared if first is None or first in lines), None)
                if same is not None:
                    merged.remove(same)
                    ties[name] = same[0]
                    shared_task = a.chunks[same[0]]
                    grown[same[0]] = _typed_into(shared_task, body)
                    # (what the copy changed above the lines, a planning line, a drawer:
                    # the shared task's with its id, merged as any change)
                    head = _with_id(chunk, shared_task)
                    under = grown[same[0]].splitlines(True)[shared_task.body_start:]
                    kept.append("".join(head.lines[:head.body_start] + under))
                    was = r.chunks.get(tied[name]) if name in tied and r is not None else \
                        _with_id(r.chunks[name], shared_task) \
                        if r is not None and name in r.chunks else None
                    if was is not None:  # (as the earlier run merged it, with its id)
                        before.append("".join(was.lines[:was.body_start] + under))
                    continue
            kept.append(chunk.raw)
    except (_CannotMerge, _Conflict, UnicodeDecodeError, ValueError):
        return base, ours, theirs, {}
    text = "".join(kept)
    if not b.final_newline and text.endswith(b.newline):
        text = text[: -len(b.newline)]
    shared_text = "".join(grown.get(name, a.chunks[name].raw) for name in a.order)
    if not a.final_newline and shared_text.endswith(a.newline):
        shared_text = shared_text[: -len(a.newline)]
    if before:
        base = (o.text + ("" if o.final_newline else o.newline) + "".join(before)).encode()
    return base, shared_text.encode("utf-8"), text.encode("utf-8"), ties


def _typed(head: _Version, copy: _Version) -> list[str]:
    """The names of the tasks of ``copy`` (a linked work tree's copy of the board) that
    a person typed there without an ``ID``: ``head`` (the copy in the work tree's
    ``HEAD``) lacks them. In the copy's order."""
    return [n for n in copy.order if n.startswith("heading:") and n not in head.chunks
            and copy.chunks[n].head[1] is not None]


def _tied(head: _Version, copy: _Version, record: _Version) -> dict[str, str]:
    """Which task typed into ``copy`` without an ``ID`` (:func:`_typed`) is which task
    ``record`` (what an earlier ``task merge-copy`` merged, :func:`tied_record`) holds
    with the id the shared board gave it: ``{copy's name: record's name}``
    (``task:ID#1``). Paired by the strongest evidence first, each step on what the
    ones before left, in board order: the same text (but the ``:ID:`` line); the same
    title and tags (a keyword changed); the same first line under the headline (a
    title or tags changed); then, when as many are left on both sides, by their order
    (everything changed: the same place among the typed tasks). So a task the person
    changed in any way after the first run is still the task the shared board holds,
    and is merged as a change of it, never added a second time."""
    recorded = [n for n in record.order if n.startswith("task:") and n not in head.chunks
                and n not in copy.chunks]
    typed = _typed(head, copy)
    if not recorded or not typed:
        return {}

    def text(chunk: _Chunk) -> tuple[str, ...]:
        return tuple(strip_ending(line, chunk.newline).rstrip()
                     for line in _without_id(chunk))

    def first(chunk: _Chunk) -> str | None:
        return next((line for line in (strip_ending(raw, chunk.newline).strip()
                                       for raw in chunk.body) if line), None)

    found: dict[str, str] = {}
    for key in (text, lambda chunk: task_key(chunk.head[2]), first):
        for name in list(typed):
            mine = key(copy.chunks[name])
            pair = next((n for n in recorded if mine is not None
                         and key(record.chunks[n]) == mine), None)
            if pair is not None:
                found[name] = pair
                typed.remove(name)
                recorded.remove(pair)
    if len(typed) == len(recorded):
        found.update(zip(typed, recorded, strict=True))
    return found


def tied_record(record: bytes, head: bytes, copy: bytes, before: bytes, after: bytes,
                ties: dict[str, str]) -> bytes:
    """The record ``task merge-copy`` keeps (``record``: :func:`merged_before`'s) with
    each task typed into ``copy`` without an ``ID`` (:func:`_typed`; ``head``: the copy
    in the work tree's ``HEAD``) given the ``:ID:`` line of the task of the shared
    board that is it (``after``: the shared board as this run wrote it): the one
    ``ties`` names (:func:`without_merged`'s, from an earlier run's record), else the
    task this run added (an id ``before``, the shared board as read, lacks), of the
    same text but the ``:ID:`` line, or else of the same title and tags, each paired
    once, in order. The next run knows the copy's task by that tie
    (:func:`_tied`) whatever the person changes in it next. ``record`` as it is when
    any of them is no board this merge reads. Raises nothing."""
    try:
        r, h, c, was, now = (_Version(data.decode("utf-8"))
                             for data in (record, head, copy, before, after))
        ties = {n: t for n, t in ties.items() if t in now.chunks}
        added = [n for n in now.order if n.startswith("task:") and n not in was.chunks]
        for same in (lambda x, y: _without_id(x) == y.lines,
                     lambda x, y: task_key(x.head[2]) == task_key(y.head[2])):
            for name in _typed(h, c):
                if name in ties:
                    continue
                pair = next((n for n in added if same(now.chunks[n], c.chunks[name])), None)
                if pair is not None:
                    ties[name] = pair
                    added.remove(pair)
        if not ties:
            return record
        text = "".join(_with_id(r.chunks[n], now.chunks[ties[n]]).raw if n in ties
                       else r.chunks[n].raw for n in r.order)
    except (_CannotMerge, _Conflict, UnicodeDecodeError, ValueError):
        return record
    if not r.final_newline and text.endswith(r.newline):
        text = text[: -len(r.newline)]
    return text.encode("utf-8")


def merged_before(head: bytes, merged: bytes | None, copy: bytes) -> tuple[bytes, bytes]:
    """The base of ``task merge-copy``'s merge run again, and the record to keep after
    it. ``head``: the copy as the work tree's ``HEAD`` holds it; ``merged``: the record
    an earlier run kept (``None``: none), each part of a task as the shared board took
    it from the copy; ``copy``: the copy now. The base is ``head`` with each part of a
    task (or of the locks section) that ``copy`` changed from ``head`` as ``merged``
    holds it: the headline's TODO keyword, and its title and tags, each; the planning
    line (``SCHEDULED``, ``DEADLINE``, ``CLOSED``) as one; each property. So a date, a
    property, a title a person changed again in the copy is one change from what the
    shared board took, merged as any change, not both sides' change of ``head``'s (a
    conflict). A part the copy holds as ``head`` does (what ``git checkout HEAD --``
    gives back, before a person types on) is ``head``'s: the shared board's change of
    it stands. The text under the drawer is ``head``'s (lines typed again are
    :func:`without_merged`'s: each known by the first typed line). The record is
    ``copy`` with each part it holds as ``head`` does as ``merged`` holds it (what the
    shared board took from the copy, an earlier run's or this one's). ``(head, copy)``
    when there is no record, or any of them is no board this merge reads. Raises
    nothing."""
    if merged is None:
        return head, copy
    try:
        h, r, c = (_Version(data.decode("utf-8")) for data in (head, merged, copy))
        both = [name for name in c.order if name.startswith(("task:", "locks"))
                and name in h.chunks and name in r.chunks]
        base = {name: _part_by_part(h.chunks[name], c.chunks[name], r.chunks[name],
                                    h.chunks[name]) for name in both}
        kept = {name: _part_by_part(h.chunks[name], c.chunks[name], c.chunks[name],
                                    r.chunks[name]) for name in both}
    except (_CannotMerge, _Conflict, UnicodeDecodeError, ValueError):
        return head, copy
    out = []
    for version, parts in ((h, base), (c, kept)):
        text = "".join(parts.get(name, version.chunks[name].raw) for name in version.order)
        if not version.final_newline and text.endswith(version.newline):
            text = text[: -len(version.newline)]
        out.append(text.encode("utf-8"))
    return out[0], out[1]


def _part_by_part(head: _Chunk, copy: _Chunk, changed: _Chunk, same: _Chunk) -> str:
    """:func:`merged_before`'s rule on one task: each part of it (the TODO keyword; the
    title and tags; the planning line; each property) as ``changed`` has it where
    ``copy`` changed it from ``head``, else as ``same`` has it; the text under the
    drawer ``same``'s. :class:`_Conflict` from a drawer line that is no property or a
    key twice (then there is no record to go by)."""
    chunks = (head, copy, changed, same)
    if any(chunk.drawer is None for chunk in chunks):
        return same.raw
    heads = [chunk.head for chunk in chunks]
    state = (heads[2] if heads[1][1] != heads[0][1] else heads[3])[1]
    rest = (heads[2] if heads[1][2] != heads[0][2] else heads[3])[2]
    line = _headline(state, rest, (same, changed), gap=heads[3][0])
    planning = (changed if copy.planning != head.planning else same).planning
    was, now = head.values, copy.values
    raws = [{key: raw for key, _value, raw in chunk.properties} for chunk in (same, changed)]
    drawer = []
    for key in [*raws[0], *(key for key in raws[1] if key not in raws[0])]:
        raw = raws[1 if now.get(key) != was.get(key) else 0].get(key)
        if raw is not None:  # (absent there: a key the copy added, or removed)
            drawer.append(raw)
    return "".join([line, planning, same.lines[same.drawer[0]], *drawer,  # type: ignore[index]
                    same.lines[same.drawer[1]], *same.body])  # type: ignore[index]


def _typed_again(base: _Chunk, shared: _Chunk, copy: _Chunk) -> tuple[str, str] | None:
    """For :func:`without_merged`: ``(the text of shared, with what was typed under the
    same task in the copy since, the copy's task with the text under it as base's)``
    for a task with an ``ID`` that an earlier ``task merge-copy`` merged, when that is
    what happened: the copy added lines under the task (every line under ``base``'s
    task still there, in order) and the shared task holds the first line it added (the
    one rule for tasks with and without an id: identity by the first typed line). The
    lines typed go into ``shared`` (:func:`_typed_into`); what the copy changed above
    them (its headline, a planning line ``C-c C-s`` added, its drawer) stays in the
    copy's task, which the board's merge then merges as any change (held by the shared
    task already: nothing to do). ``None`` otherwise (the copy's change is merged as
    any other)."""
    if copy.raw in (base.raw, shared.raw):
        return None
    typed = [strip_ending(line, copy.newline) for line in copy.body]
    was = [strip_ending(line, base.newline) for line in base.body]
    if not _holds_in_order(typed, was):
        return None
    rest = list(was)
    added = []
    for line in typed:
        if line in rest:
            rest.remove(line)
        elif line.strip():
            added.append(line)
    held = [strip_ending(line, shared.newline) for line in shared.body]
    if not added or added[0] not in held:
        return None
    return _typed_into(shared, typed), "".join(copy.lines[:copy.body_start] + base.body)


def _typed_into(chunk: _Chunk, typed: list[str]) -> str:
    """The text of ``chunk`` (a task of the shared board) with each line of ``typed``
    (the lines under the same task in a work tree's copy, without their endings) that
    it lacks put in after the line the one before it in ``typed`` is (the first ones
    after its headline, drawer and planning), with the chunk's line ending."""
    lines = list(chunk.lines)
    at = chunk.body_start
    for line in typed:
        found = next((i for i in range(at, len(lines))
                      if strip_ending(lines[i], chunk.newline) == line), None)
        if found is None:
            lines.insert(at, line + chunk.newline)
            found = at
        at = found + 1
    return "".join(lines)


def _holds_in_order(lines: list[str], wanted: list[str]) -> bool:
    """Whether ``lines`` holds each of ``wanted``, in its order (others may be between)."""
    found = iter(lines)
    return all(any(line == want for line in found) for want in wanted)


def _without_id(chunk: _Chunk) -> list[str]:
    """``chunk``'s lines without its ``:ID:`` line, and without its drawer when that
    held nothing else: the task as it was before a command gave it an id."""
    lines = [raw for raw in chunk.lines if not _is_id_line(strip_ending(raw, chunk.newline))]
    if chunk.drawer is not None and chunk.drawer[1] - chunk.drawer[0] == 2 and \
            len(lines) == len(chunk.lines) - 1:
        del lines[chunk.drawer[0]:chunk.drawer[0] + 2]
    return lines


def _given_id(o: _Chunk, side: _Version, base: _Version | None = None,
              name: str | None = None) -> str | None:
    """The name of the one task of ``side`` that is ``o`` (a base task without an
    ``ID``, named ``name`` in the board ``base``) with an ``ID`` a command gave it and
    nothing else changed; else, when that side has no task named ``name`` any more,
    the one task of it with an ``ID`` the base does not know that is ``o`` given an id
    and edited in the same commit (:func:`given_and_edited`), when no other task of the
    base without an ``ID`` that side no longer has is it too; ``None``."""
    bare = _without_id(o)  # (an empty :ID: line is no id)
    found = [n for n, chunk in side.chunks.items()
             if n.startswith("task:") and _without_id(chunk) == bare
             and (base is None or n not in base.chunks)]  # (a base's task is no new id)
    alike = [] if base is None else [n for n in base.order if n.startswith("heading:")
                                     and _without_id(base.chunks[n]) == bare]
    if len(alike) > 1 and name in alike and base is not None:
        # (tasks alike, several: paired in their order when as many of that side's new
        # tasks are each of them, given an id and edited or not, and none is left
        # without one: the one identity rule, :func:`same_tasks`)
        mine = _under(bare, o.newline, o.keywords)
        found = [n for n, chunk in side.chunks.items()
                 if n.startswith("task:") and n not in base.chunks and given_and_edited(
                     mine, _under(_without_id(chunk), chunk.newline, chunk.keywords))]
        if len(found) != len(alike) or any(n in side.chunks for n in alike):
            return None
        return found[alike.index(name)]
    if found or base is None or name is None or name in side.chunks:
        return found[0] if len(found) == 1 else None
    gone = [base.chunks[n] for n in base.order
            if n.startswith("heading:") and n not in side.chunks]
    new = {n: _under(_without_id(chunk), chunk.newline, chunk.keywords)
           for n, chunk in side.chunks.items() if n.startswith("task:") and n not in base.chunks}
    mine = _under(bare, o.newline, o.keywords)  # (its drawer as the given one's)
    found = [n for n, lines in new.items() if given_and_edited(mine, lines)]
    if len(found) != 1 or sum(given_and_edited(_under(_without_id(g), g.newline, g.keywords),
                                               new[found[0]]) for g in gone) != 1:
        return None
    return found[0]


def _under(lines: list[str], newline: str,
           keywords: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """A task's lines (its headline first) as :func:`given_and_edited` compares them: the
    headline's title and tags (:func:`task_key`, its state aside), and the lines under
    it but the ``:ID:`` line, each without trailing blanks, blank lines left out."""
    head = split_headline(strip_ending(lines[0], newline), keywords)[2]
    return task_key(head), tuple(
        strip_ending(raw, newline).rstrip() for raw in lines[1:]
        if raw.strip() and not _is_id_line(strip_ending(raw, newline)))


def given_and_edited(base: tuple[str, tuple[str, ...]],
                     side: tuple[str, tuple[str, ...]]) -> bool:
    """Whether a task of one side (``side``: its title and tags, and its lines under the
    headline but its ``:ID:`` line, as ``_under`` gives them) is the base's task
    without an ``ID`` (``base``, the same) that a command gave an id while a person
    edited it, in one commit: the same title and tags and every line the base had
    under it still there, in order, among lines added (a note, a log item, a property:
    CREATED too must be the base's, so a task added anew by ``task add`` is never
    it); or every line under it the same, the title or tags changed (retitled). Both
    changed (retitled and its text edited) is no evidence: two tasks, as before."""
    title, lines = base
    other_title, other_lines = side
    if title != other_title:
        return lines == other_lines and bool(lines)
    found = iter(other_lines)
    return all(line in found for line in lines)


def _ident(name: str) -> str:
    """The id of the chunk named ``name`` (``task:ID#1``)."""
    return name[len("task:"):].rsplit("#", 1)[0]


def _reparsed(like: _Version, lines: list[str]) -> _Chunk:
    """``lines`` (one level-1 headline and its subtree) as a chunk of a board with the
    preamble of ``like``."""
    again = _Version(like.chunks["preamble"].raw + "".join(lines))
    return again.chunks[again.order[1]]


def _adopt_ids(o: _Version, a: _Version, b: _Version) -> None:
    """A base task without an ``ID`` that a command on one side or on both gave one
    (each its own: two clones each ran a command), known as that task on both sides:
    the smaller id kept (the base's task given it too, and the other side's edits of
    the task, without an id, merged into it), the other named in its log, the id it
    was (:data:`~ai_protocols.board.model.RETYPED`: ``task ... OTHERID`` finds it).
    Changes ``o``, ``a`` and ``b`` in place."""
    # (each decided on the boards as they came, before any is changed)
    every = {name: {side: _given_id(o.chunks[name], side, o, name) for side in (a, b)}
             for name in o.order if name.startswith("heading:")}
    for name, given in every.items():
        base = o.chunks[name]
        named = {side: ident for side, ident in given.items() if ident is not None}
        if not named:
            continue  # (none gave it an id)
        # (a side that removed it, or retitled it, has no task of that name: the base's
        # task, with the id, is then what it removed, or what it retitled: the one
        # identity rule, :func:`_renamed`, knows it by the text under its headline)
        kept = min(named.values(), key=_ident)
        model = (a if given[a] == kept else b).chunks[kept]
        ident = next((raw for raw in model.lines
                      if _is_id_line(strip_ending(raw, model.newline))), None)
        if ident is None or model.drawer is None:
            continue

        def put_id(chunk: _Chunk, model: _Chunk = model, ident: str = ident) -> list[str]:
            """``chunk`` (the task without an id) with the kept id's line: in place of
            an empty or blank ``:ID:`` line it held, else where the command put it in
            its drawer (one made as the command made it, when it has none): the same
            task given an id whatever its drawer held before."""
            blank = [i for i, raw in enumerate(chunk.lines)
                     if _is_id_line(strip_ending(raw, chunk.newline))]
            if blank:
                return [ident if i == blank[0] else raw for i, raw in enumerate(chunk.lines)
                        if i == blank[0] or i not in blank]
            if chunk.drawer is not None:
                at = next(i for i, raw in enumerate(model.lines)
                          if _is_id_line(strip_ending(raw, model.newline))) - model.drawer[0]  # type: ignore[index]
                at = chunk.drawer[0] + max(1, min(at, chunk.drawer[1] - chunk.drawer[0]))
                return [*chunk.lines[:at], ident, *chunk.lines[at:]]
            cut = chunk.body_start
            return [*chunk.lines[:cut], model.lines[model.drawer[0]], ident,  # type: ignore[index]
                    model.lines[model.drawer[1]], *chunk.lines[cut:]]  # type: ignore[index]

        # The base: its own task with the id (not the side's, which may hold an edit made
        # in the same commit: that edit is the side's, merged as any edit).
        o.chunks[kept] = _reparsed(o, put_id(base))
        o.order[o.order.index(name)] = kept
        del o.chunks[name]
        for side in (a, b):
            if side in named:
                chunk = side.chunks.pop(named[side])
                if named[side] != kept:  # its own task, edits and all, with the kept id
                    lines = [ident if _is_id_line(strip_ending(raw, chunk.newline)) else raw
                             for raw in chunk.lines]
                    if not lines[-1].endswith(chunk.newline):
                        lines[-1] += chunk.newline
                    stamp = _latest_stamp(lines)
                    lines.append(f"- {stamp} its id was also {_ident(named[side])} (given "
                                 f"in another clone; a merge kept {_ident(kept)}): the "
                                 f"same task{model.newline}")
                    chunk = _reparsed(side, lines)
                side.chunks[kept] = chunk
                side.order[side.order.index(named[side])] = kept
            elif name in side.chunks:  # (that side's task, edited or not, with the id)
                chunk = side.chunks.pop(name)
                side.chunks[kept] = _reparsed(side, put_id(chunk))
                side.order[side.order.index(name)] = kept


def _added_alike(o: _Version, a: _Version, b: _Version) -> None:
    """A task both sides added (the base has it by neither name) that one side holds
    without an ``ID`` and the other with one (a stale buffer saved again after a write
    gave the task it held an id: the task a person typed, saved twice), known as one
    task: the side without the id given the other's ``:ID:`` line
    (:func:`_with_id`), so the two merge as one task. Which task of the other side it
    is: the one identity rule (:func:`_pair`, as :func:`same_tasks` and :func:`_renamed`
    pair a task whose ``:ID:`` line is gone: its whole text, its claim, the text under
    its headline when no other task has it and it is not empty, else its title and
    tags), with the same title and tags (both added it: neither title is known to be
    the newer, so the merge never picks one), among the tasks
    that side added that this side lacks; a task :func:`_renamed` pairs with a base
    task is that task, never this one. Changes ``a`` and ``b`` in place."""
    kinds = ("heading:", "task:")
    for side, other in ((a, b), (b, a)):
        known = set(_renamed(o.chunks, side.chunks, side.order)[1])
        free = {n: _Seen.of_chunk(side.chunks[n]) for n in side.order
                if n.startswith("heading:") and n in known and n not in o.chunks
                and n not in other.chunks and side.chunks[n].head[1] is not None}
        gone = {n: _Seen.of_chunk(other.chunks[n]) for n in other.order
                if n.startswith("task:") and n not in o.chunks and n not in side.chunks}
        if not free or not gone:
            continue
        every = ([_Seen.of_chunk(other.chunks[n]) for n in other.order if n.startswith(kinds)],
                 [_Seen.of_chunk(side.chunks[n]) for n in side.order if n.startswith(kinds)])
        for was, name in _pair(gone, free, *every, bare=False):
            if gone[was].title != free[name].title:
                continue  # (both added: nothing says which title is the newer one)
            side.chunks[was] = _with_id(side.chunks.pop(name), other.chunks[was])
            side.order[side.order.index(name)] = was


#: How many changes of a task's id :func:`id_in_history` follows (each one git run for
#: the commit and two for its boards): a bound on a miss's cost.
HISTORY_HOPS = 8


def id_in_history(doc: OrgFile, wanted: str, root: str,
                  ) -> tuple[Task | None, list[str], str | None] | None:
    """What the board's git history (the project at ``root``) says of the id ``wanted``
    (whole, or an end of it, as ``board.find_task`` reads one) that no task of ``doc``
    has and no task's log names: the id a person changed in a commit git then took as
    it was (a fast-forward, or a merge that took that side whole, without the merge
    driver: no note was written). The newest commit of ``HEAD``'s history that changed
    how often the board holds ``wanted`` (``git log -S``, git-log(1)) is the one that
    changed or removed it; its parent's board had the task; the one identity rule
    (:func:`same_tasks`, the merge's) pairs that task with the task of the commit's
    board that it became. Followed while that id, too, is gone (at most
    :data:`HISTORY_HOPS` changes). Returns the task of ``doc`` that has the id now, with
    the changes that led to it (``commit C changed X to Y``); or ``None`` and what to
    say of a commit that removed the task; ``None`` when the history says nothing (no
    git, no such commit, a board git cannot read, a task the rule pairs with none of
    the new board's). The one rule of an id's history, for a command's id
    (``board._history_says``) and a session's linked task (:func:`current_or_history`)
    alike; run only on a miss: a found id costs no git run."""
    from pathlib import Path

    from ai_protocols.board.model import find_task
    from ai_protocols.errors import TaskNotFound
    from ai_protocols.git.history import file_at, recorded_in_history
    from ai_protocols.paths import AI_DIR, BOARD_FILE

    path = f"{AI_DIR}/{BOARD_FILE}"
    board = Path(root, path)
    tasks = read_board(doc, check=False)[0]
    ident, seen, said = wanted, {wanted}, []
    for _ in range(HISTORY_HOPS):
        commit = recorded_in_history(root, path, ident)
        if commit is None:
            return None
        before, after = file_at(root, f"{commit}^", path), file_at(root, commit, path)
        if before is None:
            return None
        try:
            old = BoardFile(before.decode("utf-8"))
            task = find_task(read_board(old, check=False)[0], ident, board)
            new = BoardFile(after.decode("utf-8")) if after is not None else None
        except (UnicodeDecodeError, ValueError, TaskNotFound):
            return None
        short = commit[:12]
        pair = [b for a, b in (same_tasks(old, new) if new is not None else [])
                if old.headlines[a].line == task.line - 1]
        now = read_board(new, check=False)[0] if new is not None and pair else []
        found = next((t for t in now if t.line == new.headlines[pair[0]].line + 1), None) \
            if new is not None and pair else None
        if found is None or not found.id:
            if any(t.id == task.id for t in read_board(new, check=False)[0]) \
                    if new is not None else False:
                return None  # (still there in that commit: not what changed it)
            return None, said, (f"its task, {task.id} ({task.title}), was removed from the "
                                f"board by commit {short}"
                                + (f" ({'; '.join(said)})" if said else "")
                                + "; 'git show " + short + "' shows how")
        said.append(f"commit {short} changed {task.id} to {found.id}")
        here = [t for t in tasks if t.id == found.id]
        if len(here) == 1:
            return here[0], said, None
        if found.id in seen:
            return None
        ident = found.id
        seen.add(ident)
    return None


def current_or_history(doc: OrgFile, tasks: list[Task], wanted: str,
                       linked_at: datetime | None, root: str) -> Task | None:
    """The task a session's link to ``wanted`` names now: the one rule of its log's notes
    (:func:`~ai_protocols.board.model.current_task`), else, when no task has the id and
    no log names it, the board's git history (:func:`id_in_history`: a person changed
    the id in a commit the clone fast-forwarded), as ``task show`` reads an id; ``None``
    when neither says. Git runs only on that miss."""
    from ai_protocols.board.model import current_task

    found = current_task(doc, tasks, wanted, linked_at)
    if found is not None or any(t.id == wanted for t in tasks):
        return found
    history = id_in_history(doc, wanted, root)
    return history[0] if history is not None else None


def _removed(o: dict[str, _Chunk], order: list[str], a: dict[str, _Chunk],
             b: dict[str, _Chunk]) -> set[str]:
    """The tasks one side removed and the other left as they were: they go. ``o``, ``a``,
    ``b``: the chunks by name (each side's as :func:`_renamed` names them); ``order``:
    the base's names."""
    gone = set()
    for side, other in ((a, b), (b, a)):
        for name in order:
            if name not in side and name in other and other[name].raw == o[name].raw:
                gone.add(name)
    return gone


def is_board(path: str | None, data: bytes) -> bool:
    """Whether the file git merges is the task board: its path in the tree (git's ``%P``)
    is ``.ai/tasks.org``, or, without one, its text declares the board's states."""
    if path:
        parts = path.replace("\\", "/").split("/")
        return parts[-1] == "tasks.org" and len(parts) >= 2 and parts[-2] == ".ai"
    first = data[:4096].decode("utf-8", "replace")
    return "#+TODO: " + " ".join(STATES[:4]) in first
