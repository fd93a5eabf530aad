"""The board's merge task by task: the rules of a task's properties (a claim, a state,
a time: :func:`merge_task_properties`), of its body and log, of the lock list, and
the entries merged in order. Split out of :mod:`ai_protocols.board.merge`, which
re-exports every name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

import re

from ai_protocols.board.board_file import CLOSED_STATES
from ai_protocols.board.claim_history import RETYPED
from ai_protocols.board.merge_pairs import (
    CLAIM_KEYS,
    LOCK_KEYS,
    STATE_RANK,
    _children,
    _Chunk,
    _Conflict,
    _moved,
    _pair,
    _Seen,
    _Version,
)
from ai_protocols.lean import datetime
from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import format_property, format_timestamp, parse_timestamp
from ai_protocols.session.merge_entries import _merge_entry_chunk
from ai_protocols.session.merge_units import (
    _token_merge,
    _union,
    _units,
    conflict_block,
    merge_text,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ai_protocols.lean import timedelta


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
    entries (:class:`ai_protocols.session.merge_entries._Entries`): the base's chunk is gone on
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
    session merge's entry rules (:func:`ai_protocols.session.merge_entries._merge_entry_chunk`:
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


def _ident(name: str) -> str:
    """The id of the chunk named ``name`` (``task:ID#1``)."""
    return name[len("task:"):].rsplit("#", 1)[0]
