"""The session merge's entries: the items of an entry section known by their identity
over the three versions (:class:`_Entries`: their first line, or the base's entry whose
first line a side edited, when that is sure), each merged once (:func:`_merge_entry`: a
tick on either side wins, the lines under it merged), both sides' new ones placed by real
time (:func:`_interleave`), an entry section's chunk merged (:func:`_merge_entry_chunk`,
which the board's merge uses for a task's log too), and the pairing of rewords: the
entries one version holds in other words than another (:func:`reworded_pairs`), and the
base a merge of two versions without one stands on (:func:`_common_base`).

Moved from :mod:`ai_protocols.session.merge`, a pure move (twenty-eighth round);
docs/decisions.md, "Twenty-eighth round: the session merge split by concern".
"""

from __future__ import annotations

import difflib
import hashlib

from ai_protocols.lean import datetime, timedelta
from ai_protocols.org.syntax import parse_timestamp
from ai_protocols.session.merge_units import (
    _CHECK_RANK,
    _UNTICKED,
    _box,
    _CannotMerge,
    _compare,
    _entry_keys,
    _lines,
    _parse_merge,
    _shows_base,
    _stamp,
    _token_merge,
    _Unit,
    _Version,
    _with_box,
    _words,
    conflict_block,
    git_merge_file,
    merge_text,
)
from ai_protocols.session.model import lines_added, reworded_among
from ai_protocols.session.rollover import entry_digest


def _merge_notes(base: str, ours: str, theirs: str, *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """The lines under one item (whole lines), merged as ``git merge-file`` merges them,
    except that where both sides only added lines at one place (a note each, as people
    type them in Emacs), both sides' lines are kept, the side updated last's first;
    where both changed the same lines, conflict markers (git-merge-file(1)). Returns the
    text and whether markers remain."""
    def data(text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass")

    merged, status = git_merge_file(data(ours), data(base), data(theirs), labels=labels,
                                    marker_size=marker_size, style="diff3")
    if status < 0:
        raise _CannotMerge
    pieces: list[str] = []
    conflict = False
    text = merged.decode("utf-8", "surrogatepass")
    for part in _parse_merge(_lines(text), marker_size):
        if len(part) == 1:
            pieces.extend(part[0])
            continue
        a, o, b = ("".join(side) for side in part[:3])
        if not o:  # both only added lines here: both kept, the side updated last's first
            pieces.append(a + b if ours_first else b + a)
        else:
            newline = "\r\n" if part[3][0].endswith("\r\n") else "\n"
            pieces.append(conflict_block(a, b, labels, marker_size, newline,
                                         base=o if _shows_base() else None))
            conflict = True
    return "".join(pieces), conflict


def _merge_entry(base: _Unit | None, a: _Unit, b: _Unit, *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int) -> tuple[list[_Unit], bool]:
    """One entry (one first line) both sides hold, merged: the changed side's, or, when
    both changed it, the checkbox further along (one side's when the other left it as
    it was) and the lines under the item (a person's notes) merged as ``git
    merge-file`` merges them, conflict markers limited to those lines when both changed
    the same ones. Two entries both sides added with the same first line but other
    lines under it are both kept. Returns the entries and whether markers remain."""
    if a.raw == b.raw or (base is not None and b.raw == base.raw):
        return [a], False
    if base is not None and a.raw == base.raw:
        return [b], False
    head_a, _, rest_a = a.raw.partition("\n")
    rest_b = b.raw.partition("\n")[2]
    if base is None:
        rank_a, rank_b = (_CHECK_RANK.get(_box(u) or " ", 0) for u in (a, b))
        if rest_a != rest_b:
            # One side's lines under it all stand, in order, in the other's, which only
            # added lines among them: one entry, the other's edit of it (a note typed
            # under an entry the tool logged since the last commit, merged with the
            # tool's version by merge-kept: no base holds the entry). Else two entries.
            fuller = lines_added(rest_a, rest_b)
            if fuller is None:
                return [a, b], False
            unit = a if fuller == rest_a else b
            box = _box(a) if rank_a >= rank_b else _box(b)
            return [_Unit("E", _with_box(unit, box), a.key)], False
        # Both added it, alike but for the box (one side ticked it since: a next step
        # taken up, layout._take_up_next): the box further along, whichever is ours.
        return [b if rank_b > rank_a else a], False
    box, rest, conflict = _box_and_notes(
        (_box(base), _box(a), _box(b)), (base.raw.partition("\n")[2], rest_a, rest_b),
        ours_first=ours_first, labels=labels, marker_size=marker_size)
    unit = _Unit("E", head_a + "\n" + rest, a.key)
    return [_Unit("E", _with_box(unit, box), a.key)], conflict


def _interleave(in_first: list, in_second: list, kept: dict,
                offsets: tuple[timedelta | None, timedelta | None]) -> list:
    """The keys of two sides' entries of one place (``in_first``: the side updated
    last's) in one order: the keys both hold as ``in_first`` has them; between two of
    those, the keys only one side holds by the time of their entries in ``kept``
    (placed in real time by ``offsets``, first's and second's); at the same minute,
    second's before first's."""
    offset_first, offset_second = offsets
    both = set(in_first) & set(in_second)
    order: list = []
    used: set = set()
    i = j = 0
    while i < len(in_first) or j < len(in_second):
        if i < len(in_first) and in_first[i] in used:
            i += 1
            continue
        if j < len(in_second) and in_second[j] in used:
            j += 1
            continue
        if j >= len(in_second):
            take, i = in_first[i], i + 1
        elif i >= len(in_first):
            take, j = in_second[j], j + 1
        else:
            f, g = in_first[i], in_second[j]
            if f == g or g in both:  # an entry both hold waits for its place in first
                take, i = f, i + 1
            elif f in both or _compare(kept[g].time, offset_second, kept[f].time,
                                       offset_first) in (-1, 0):
                take, j = g, j + 1  # only second's: before one both hold, or not later
            else:
                take, i = f, i + 1
        order.append(take)
        used.add(take)
    return order


def _leading(units: list[_Unit]) -> set[tuple[str, int]]:
    """The keys of the entries before the first line of free text of a part (none when
    the part has no free text: the tool appends entries after a person's text)."""
    if not any(u.kind == "T" for u in units):
        return set()
    entries = [u for u in units if u.kind == "E"]
    keys = iter(_entry_keys(entries))
    lead: set[tuple[str, int]] = set()
    for unit in units:
        if unit.kind == "T":
            break
        lead.add(next(keys))
    return lead


def _merge_free(base: list[_Unit], ours: list[_Unit], theirs: list[_Unit], *,
                labels: tuple[str, str, str], marker_size: int) -> tuple[str, bool]:
    """The free text (all but the entries) of a place both sides changed, as git merges
    it (``git merge-file``), and whether that left conflict markers."""
    def text(units: list[_Unit]) -> str:
        return "".join(u.raw for u in units if u.kind != "E")

    to, ta, tb = text(base), text(ours), text(theirs)
    if ta == tb or tb == to:
        return ta, False
    if ta == to:
        return tb, False
    return merge_text(to, ta, tb, labels=labels, marker_size=marker_size)


class _Entries:
    """The entries of one section on the three sides, each known by its **identity**:
    its first line (the checkbox aside) with how many the same came before it, as in
    the base. An entry whose first line one side edited is the same entry only when
    that is sure: on that side, exactly one entry of the base with that timestamp is
    gone, the base holds no other entry of that timestamp, and exactly one new entry
    has it; any other change of a first line is a removal and an addition.

    Each identity is merged once for the whole section (:meth:`text`), wherever the
    two sides put it: an entry a person moved (Emacs's M-up) and the other side
    ticked is one entry, at its new place, with the tick."""

    def __init__(self, o: list[_Unit], a: list[_Unit], b: list[_Unit], *, ours_first: bool,
                 labels: tuple[str, str, str], marker_size: int, newline: str,
                 rolled: _Rolled | None = None, records: bool = False,
                 since: tuple[datetime | None, datetime | None] = (None, None)) -> None:
        self.ours_first, self.labels, self.marker_size = ours_first, labels, marker_size
        self.newline = newline
        self.rolled = rolled
        self.units_o, self.o = self._known(o, {})
        stamps: dict[str | None, int] = {}
        for unit in self.o.values():
            stamps[_stamp(unit)] = stamps.get(_stamp(unit), 0) + 1
        # (an entry the other side added with the same first line is that entry, both
        # added it: never one side's edit of another's first line, which would keep it
        # twice: twenty-first round)
        self.units_a, self.a = self._known(a, self._renamed(a, stamps, self._plain(b),
                                                             since[0], b))
        self.units_b, self.b = self._known(b, self._renamed(b, stamps, self._plain(a),
                                                             since[1], a))
        if records:  # (the Log: a line each side added alike is two writes, kept twice)
            self.units_b = [_Unit("E", u.raw, u.key + "\x00theirs")
                            if u.kind == "E" and u.key in self.a and u.key not in self.o
                            else u for u in self.units_b]
            self.b = {u.key: u for u in self.units_b if u.kind == "E"}
        self.done: dict[str, tuple[str, bool]] = {}
        self.emitted: set[str] = set()

    @staticmethod
    def _known(units: list[_Unit], renamed: dict[int, str],
               ) -> tuple[list[_Unit], dict[str, _Unit]]:
        """``units`` with each entry's key set to its identity (``renamed``: by index)."""
        out: list[_Unit] = []
        by_identity: dict[str, _Unit] = {}
        seen: dict[str, int] = {}
        for index, unit in enumerate(units):
            if unit.kind != "E":
                out.append(unit)
                continue
            seen[unit.key] = seen.get(unit.key, -1) + 1
            identity = renamed.get(index, f"{unit.key}\x00{seen[unit.key]}")
            known = _Unit("E", unit.raw, identity)
            out.append(known)
            by_identity[identity] = known
        return out, by_identity

    @staticmethod
    def _plain(units: list[_Unit]) -> dict[int, str]:
        """The identities of ``units``' entries as written (their first line, with how
        many the same came before), by index."""
        plain: dict[int, str] = {}
        seen: dict[str, int] = {}
        for index, unit in enumerate(units):
            if unit.kind == "E":
                seen[unit.key] = seen.get(unit.key, -1) + 1
                plain[index] = f"{unit.key}\x00{seen[unit.key]}"
        return plain

    def _renamed(self, units: list[_Unit], stamps: dict[str | None, int],
                 other: dict[int, str], since: datetime | None = None,
                 other_units: list[_Unit] = ()) -> dict[int, str]:  # type: ignore[assignment]
        """The entries of a side whose first line was edited, for sure (see the class),
        by their index in ``units``: the identity of the base's entry they are. An entry
        whose first line the other side holds too (``other``: its identities as written)
        is never one: both hold it, one entry. Nor is one the tool may have added
        (``since``: the minute of the base's last write when the side's tool wrote
        since, :func:`_tool_since`; its timestamp that minute or later) in place of a
        base entry the other side changed (``other_units``: a tick, a note): a
        deletion and the tool's new entry of one minute look like an edited first
        line, and the other side's change is not moved onto another entry; the
        deleted entry stays, changed, as a conflict (docs/decisions.md, "Twenty-third
        round: a merge's own write record")."""
        plain = self._plain(units)
        present = set(plain.values())
        theirs = set(other.values())
        gone = [i for i in self.o if i not in present]
        new = [(index, units[index]) for index, identity in plain.items()
               if identity not in self.o and identity not in theirs]
        renamed: dict[int, str] = {}
        for index, unit in new:
            stamp = _stamp(unit)
            if stamp is None or stamps.get(stamp) != 1:
                continue
            was = [i for i in gone if _stamp(self.o[i]) == stamp]
            if len(was) == 1 and sum(_stamp(u) == stamp for _, u in new) == 1:
                renamed[index] = was[0]
        if len(renamed) < min(len(new), len(gone)):
            renamed.update(self._replaced(plain, renamed, theirs))
        if since is None or not renamed:
            return renamed
        changed = {identity for index, identity in other.items()
                   if identity in self.o and other_units[index].raw != self.o[identity].raw}
        return {index: was for index, was in renamed.items()
                if was not in changed or not _may_be_tools(units[index], since)}

    def _replaced(self, plain: dict[int, str], renamed: dict[int, str],
                  theirs: set[str] = frozenset()) -> dict[int, str]:  # type: ignore[assignment]
        """The entries of a side (``plain``: index to identity as written) that stand
        where the base's entry of the same timestamp stood and replace it one for one
        (its first line edited where the base holds others of that timestamp, as
        every minute of a long session does: thirteenth review): in
        :class:`difflib.SequenceMatcher`'s comparison of the entries in order, a
        replaced run as long as the run that replaces it, each pair of one timestamp,
        neither known already (``renamed``), the new one not held by the other side
        (``theirs``: its identities)."""
        base = list(self.o)
        indexes = list(plain)
        side = [plain[i] for i in indexes]
        taken = set(renamed.values())
        found: dict[int, str] = {}
        matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "replace" or i2 - i1 != j2 - j1:
                continue
            for was, now in zip(range(i1, i2), range(j1, j2), strict=True):
                index = indexes[now]
                if index in renamed or base[was] in taken or side[now] in self.o or \
                        side[now] in theirs or \
                        _stamp(self.o[base[was]]) != _stamp(_Unit("E", side[now])):
                    continue
                found[index] = base[was]
        return found

    def token(self, unit: _Unit, side: str) -> str:
        """The unit's stand-in line for ``git merge-file`` on ``side`` (``"o"``, ``"a"``
        ours, ``"b"`` theirs): an entry's identity, marked when the other side removed it
        and this side changed it (so that git sees both sides changed that place)."""
        if unit.kind != "E":
            return unit.token
        token = "E" + hashlib.sha1(unit.key.encode("utf-8", "surrogatepass")).hexdigest()
        base = self.o.get(unit.key)
        other = {"a": self.b, "b": self.a}.get(side)
        if base is not None and other is not None and unit.key not in other and \
                unit.raw != base.raw:
            token += "*"
        return token

    def text(self, identity: str) -> tuple[str, bool]:
        """The merged entry ``identity`` (``""``: removed) and whether it holds conflict
        markers: one side's when only it changed it; both changed it: the checkbox
        further along, the first line a side changed (both, differently: a conflict on
        the entry), the lines under it merged as git merges them; one side removed it
        and the other changed it: a conflict on the entry, as git marks one."""
        if identity in self.done:
            return self.done[identity]
        uo, ua, ub = self.o.get(identity), self.a.get(identity), self.b.get(identity)
        if ua is not None and ub is not None:
            result = self._both(uo, ua, ub)
        elif ua is None and ub is None:
            result = "", False
        else:
            only = ua or ub
            assert only is not None
            if uo is None:
                result = only.raw, False
            elif only.raw == uo.raw:
                result = "", False  # the other side removed it
            elif self.rolled is not None and self.rolled.moved(uo, by_ours=ua is None):
                # The other side's rollover moved the base's version out, and this side
                # edited it: the edit stays here, and the moved copy is named superseded.
                result = only.raw, False
                self.rolled.superseded.add(entry_digest(self.rolled.section,
                                                        uo.raw.split(self.newline)))
            else:
                result = self._block(ua, ub, uo), True
        self.done[identity] = result
        return result

    def _block(self, a: _Unit | None, b: _Unit | None, o: _Unit | None) -> str:
        return conflict_block(a.raw if a else "", b.raw if b else "", self.labels,
                              self.marker_size, self.newline,
                              base=(o.raw if o else "") if _shows_base() else None)

    def _both(self, o: _Unit | None, a: _Unit, b: _Unit) -> tuple[str, bool]:
        if a.raw == b.raw or (o is not None and b.raw == o.raw):
            return a.raw, False
        if o is not None and a.raw == o.raw:
            return b.raw, False
        if o is None:  # both added it: once, or both when the lines under it differ
            units, _ = _merge_entry(None, a, b, ours_first=self.ours_first,
                                    labels=self.labels, marker_size=self.marker_size)
            if len(units) > 1 and not self.ours_first:
                units = units[::-1]
            return "".join(u.raw for u in units), False
        heads = [_Unit("E", u.raw.partition("\n")[0]) for u in (o, a, b)]
        ho, ha, hb = (_with_box(h, " ") for h in heads)
        if ha != ho and hb != ho and ha != hb:
            return self._block(a, b, o), True  # both edited its first line
        head = hb if ha == ho else ha
        box, rest, conflict = _box_and_notes(
            (_box(o), _box(a), _box(b)), tuple(u.raw.partition("\n")[2] for u in (o, a, b)),
            ours_first=self.ours_first, labels=self.labels, marker_size=self.marker_size)
        unit = _Unit("E", head + "\n" + rest)
        return _with_box(unit, box), conflict

    def emit(self, identity: str) -> tuple[str, bool]:
        """The merged entry at the place being written, once for the section."""
        if identity in self.emitted:
            return "", False
        self.emitted.add(identity)
        return self.text(identity)

    def rest(self) -> tuple[str, bool]:
        """The entries no place wrote (none, unless both sides moved one): at the end."""
        pieces, conflict = [], False
        for identity in [*self.a, *self.b]:
            text, clash = self.emit(identity)
            pieces.append(text)
            conflict = conflict or clash
        return "".join(pieces), conflict

    def _both_rewrote(self, local_o: set[str], local_a: list[str], local_b: list[str]) -> bool:
        """Whether both sides removed an entry of the base here and each put a new entry
        of its timestamp here: both edited its first line, and which new entry is
        it cannot be told (:meth:`_renamed` did not match them)."""
        for identity in local_o:
            if identity in self.a or identity in self.b:
                continue
            stamp = _stamp(self.o[identity])
            if all(any(k not in self.o and _stamp(side[k]) == stamp for k in local)
                   for side, local in ((self.a, local_a), (self.b, local_b))):
                return True
        return False

    def region(self, base: list[_Unit], ours: list[_Unit], theirs: list[_Unit],
               offsets: tuple[timedelta | None, timedelta | None]) -> tuple[str, bool]:
        """A place both sides changed (units with identities): its entries merged as a
        set in :func:`_interleave`'s order, its free text as git merges it."""
        free, conflict = _merge_free(base, ours, theirs, labels=self.labels,
                                     marker_size=self.marker_size)
        local_o = {u.key for u in base if u.kind == "E"}
        local_a = [u.key for u in ours if u.kind == "E"]
        local_b = [u.key for u in theirs if u.kind == "E"]
        if self._both_rewrote(local_o, local_a, local_b):
            for identity in (*local_a, *local_b):
                self.emitted.add(identity)
            block = self._block(*(_Unit("E", "".join(u.raw for u in side if u.kind == "E"))
                                  for side in (ours, theirs, base)))
            return block + free, True
        kept: dict[str, _Unit] = {}
        for identity in [*local_a, *local_b]:
            here = (identity in local_a) + (identity in local_b)
            if here == 1 and identity in local_o and identity in self.a and identity in self.b:
                continue  # moved away by one side: written where that side put it
            kept[identity] = (self.a.get(identity) or self.b[identity])
        first, second = (local_a, local_b) if self.ours_first else (local_b, local_a)
        order = _interleave([k for k in first if k in kept], [k for k in second if k in kept],
                            kept, offsets if self.ours_first else offsets[::-1])
        lead_keys = {k for k, _ in _leading(ours) | _leading(theirs)}
        lead, trail = [], []
        for identity in order:
            piece, clash = self.emit(identity)
            (lead if identity in lead_keys else trail).append(piece)
            conflict = conflict or clash
        return "".join(lead) + free + "".join(trail), conflict


class _Rolled:
    """What each side's own rollovers moved out of the live file: the ranges (oldest,
    newest entry's minute) of the earlier-entries files it links and the base does not
    (``ours``, ``theirs``), for the section of ``CUSTOM_ID`` ``section``; and the
    :func:`~ai_protocols.session.rollover.entry_digest` of each moved entry the other
    side edited, whose edit the merge keeps (``superseded``, filled by the merge)."""

    def __init__(self, ours: list[tuple[datetime, datetime]],
                 theirs: list[tuple[datetime, datetime]], superseded: set[str]) -> None:
        self.ours, self.theirs, self.superseded = ours, theirs, superseded
        self.section = ""

    def moved(self, base: _Unit, *, by_ours: bool) -> bool:
        """Whether the base's entry ``base`` is in the range of a file that side (ours
        when ``by_ours``) linked since the base: its rollover moved it out."""
        time = base.time
        return time is not None and any(first <= time <= last for first, last in
                                        (self.ours if by_ours else self.theirs))


def _may_be_tools(unit: _Unit, since: datetime) -> bool:
    """Whether the entry ``unit`` may be one the tool added in a write at or after
    ``since`` (a minute): its timestamp is not before it, or is none the tool writes."""
    stamp = _stamp(unit)
    at = parse_timestamp(stamp) if stamp else None
    return at is None or at >= since


def _merge_entry_chunk(o: list[_Unit], a: list[_Unit], b: list[_Unit], *, ours_first: bool,
                       labels: tuple[str, str, str], marker_size: int, newline: str,
                       offsets: tuple[timedelta | None, timedelta | None],
                       rolled: _Rolled | None = None, records: bool = False,
                       since: tuple[datetime | None, datetime | None] = (None, None),
                       ) -> tuple[str, bool]:
    """A section of entries both sides changed: its units merged by git, each entry
    standing by its identity (:class:`_Entries`), each entry merged once. ``rolled``:
    what each side's rollovers moved out (an entry one side moved out and the other
    edited keeps the edit, :class:`_Rolled`). ``records``: the Log, whose lines are
    each write's record: a line both sides added alike (``summary: updated`` in one
    minute on two clones) is two writes, and stays twice. ``since``: ours' and theirs'
    :func:`_tool_since`."""
    entries = _Entries(o, a, b, ours_first=ours_first, labels=labels,
                       marker_size=marker_size, newline=newline, rolled=rolled,
                       records=records, since=since)
    sides = (entries.units_o, entries.units_a, entries.units_b)
    tokens = tuple([entries.token(u, side) for u in units]
                   for side, units in zip("oab", sides, strict=True))
    by_token = [dict(zip(t, s, strict=True)) for t, s in zip(tokens, sides, strict=True)]
    pieces: list[str] = []
    conflict = False
    for part in _token_merge(*tokens):
        if len(part) == 1:
            for token in part[0]:
                unit = by_token[1].get(token) or by_token[2].get(token) or by_token[0][token]
                text, clash = entries.emit(unit.key) if unit.kind == "E" else (unit.raw, False)
                pieces.append(text)
                conflict = conflict or clash
            continue
        in_a, in_o, in_b = ([lookup[t] for t in side]
                            for lookup, side in zip((by_token[1], by_token[0], by_token[2]),
                                                    part, strict=True))
        text, clash = entries.region(in_o, in_a, in_b, offsets)
        pieces.append(text)
        conflict = conflict or clash
    text, clash = entries.rest()
    pieces.append(text)
    return "".join(pieces), conflict or clash


#: Whose wording ``merge-kept`` keeps of an entry the file and the kept copy word
#: differently, with no committed version of both to tell which changed it
#: (:func:`reworded_pairs`): the file's (a person's edit after git put it back) or the
#: kept copy's.
WORDINGS = ("file", "kept")


def reworded_pairs(first: _Version, second: _Version) -> dict[tuple[str, str], _Unit]:
    """The entries of ``first`` that ``second`` holds in other words, each paired with
    ``second``'s: by ``(chunk, key)`` of ``first``'s entry. In one section (never the
    Log, whose lines are the tool's records), an entry of ``first`` whose key
    ``second`` lacks is paired with an entry of ``second`` whose key ``first`` lacks,
    of the same timestamp (to the minute: the tool writes an entry's stamp once, and
    only a person changes its words), when each is the other's closest in words among
    those (difflib's ratio of their words, the only best on both sides) and they
    are alike enough (:func:`~ai_protocols.session.model.reworded_among`, the one rule
    of a reword, which the read commands count by too): the same entry, reworded. Two entries of
    one minute with unlike words are two entries, never paired (a person's new entry
    is never taken for another's reword): both are kept. Raises nothing of its own."""
    pairs: dict[tuple[str, str], _Unit] = {}
    for name, units in first.chunks.items():
        if name == "section:log" or name not in second.chunks:
            continue
        mine = {u.key for u in units if u.kind == "E"}
        theirs = {u.key for u in second.chunks[name] if u.kind == "E"}
        alone: list[dict[datetime | None, list[_Unit]]] = [{}, {}]
        for side, (group, other) in enumerate(((units, theirs),
                                               (second.chunks[name], mine))):
            for unit in group:
                if unit.kind == "E" and unit.key not in other:
                    alone[side].setdefault(unit.time, []).append(unit)
        for when, found in alone[0].items():
            twins = alone[1].get(when, [])
            if when is None or not twins:
                continue
            paired = reworded_among([_words(u) for u in found], [_words(u) for u in twins])
            for i, j in paired.items():
                pairs[(name, found[i].key)] = twins[j]
    return pairs


def _common_base(first: _Version, second: _Version, wording: str | None = None) -> str:
    """A base for merging two versions of one session that git gives no common ancestor
    of: what both hold. The chunks both have, in ``first``'s order; in each, the units of
    ``first`` that ``second`` holds too (an entry by its key, ticked or not, as
    ``first`` has it; a line of free text by its text, as many times as both have it);
    the drawer's property lines both have alike (a ``STATUS`` they hold differently
    with no value: the precedence of statuses decides it, :func:`merge_properties`,
    a wrapped-up archive staying wrapped up). Against it, whatever one side alone
    holds (an entry, a line, a property) is that side's addition, and the three-way
    merge keeps it. ``wording`` (``"file"``: ``first``'s, ``"kept"``: ``second``'s; see
    :data:`WORDINGS`): an entry the two word differently (:func:`reworded_pairs`) is in
    the base in the other side's words, with the checkbox of the side whose words are
    kept, so that the merge takes that side's words as its change (a tick on the other
    side then meets that change: a conflict, nothing merged); ``None``: in neither
    (both wordings kept)."""
    pieces: list[str] = []
    common_props = {raw for _key, raw in second.drawer}
    pairs = reworded_pairs(first, second) if wording in WORDINGS else {}
    for name in first.order:
        if name not in second.chunks:
            continue
        keys = {unit.key: unit.raw for unit in second.chunks[name] if unit.kind == "E"}
        lines: dict[str, int] = {}
        for unit in second.chunks[name]:
            if unit.kind == "T":
                lines[unit.raw] = lines.get(unit.raw, 0) + 1
        for unit in first.chunks[name]:
            if unit.kind == "E" and unit.key in keys:
                # An entry open on one side and ticked on the other: the open one is the
                # base, so the tick is that side's change (Org's [ ] -> [X]) and is kept.
                other = keys[unit.key]
                if _UNTICKED.sub(r"\1[X]", other, count=1) == unit.raw and other != unit.raw:
                    pieces.append(other)
                else:
                    # (one side's lines added under it, a note: the other's text is the
                    # base, so the note is that side's change, kept; model.lines_added)
                    fuller = lines_added(unit.raw, other)
                    pieces.append(other if fuller == unit.raw and other != unit.raw
                                  else unit.raw)
            elif unit.kind == "E" and (name, unit.key) in pairs:
                twin = pairs[(name, unit.key)]
                pieces.append(_with_box(twin, _box(unit)) if wording == "file"
                              else _with_box(unit, _box(twin)))
            elif unit.kind == "T" and lines.get(unit.raw, 0) > 0:
                lines[unit.raw] -= 1
                pieces.append(unit.raw)
            elif unit.kind == "D":
                raw = unit.raw.split(first.newline)
                opening, closing = raw[0] + first.newline, raw[-2] + first.newline
                # (a STATUS the two hold differently: in the base with no value, so that
                # each side's is a change and the statuses' precedence decides, as the
                # driver's when both changed it; a base without one is no session)
                pieces.append(opening + "".join(
                    r if r in common_props else ":STATUS:" + first.newline
                    for key, r in first.drawer
                    if r in common_props or key == "STATUS") + closing)
    return "".join(pieces)


def _new_or_reworded(name: str, units: list[_Unit], new: dict[datetime | None, list[str]],
                     mine: _Version, before: list[_Version]) -> dict[str, int]:
    """How many of the entries ``new`` (by minute: the first lines of the entries of the
    chunk ``name`` of a version, ``units``, that none of the others holds) are new
    entries, and how many an entry the others hold, reworded (a changed entry): the
    merge's rule of a reword (:func:`~ai_protocols.session.model.reworded_on` on
    ``before``, the versions it derives from, an entry of theirs of that minute the
    version lacks being its old words; without them,
    :func:`~ai_protocols.session.model.reworded_among` with ``mine``'s). Reads
    nothing."""
    from ai_protocols.session.model import reworded_on

    theirs = {unit.key for unit in units if unit.kind == "E"}
    gone: dict[datetime | None, list[str]] = {}
    for one in before or [mine]:
        for unit in one.chunks.get(name, ()):
            if unit.kind == "E" and unit.key not in theirs and \
                    unit.key not in gone.get(unit.time, []):
                gone.setdefault(unit.time, []).append(unit.key)
    counts = {"entry": 0, "changed entry": 0}
    for when, keys in new.items():
        olds = gone.get(when, [])
        words = [[_words(_Unit("E", k, k)) for k in group] for group in (keys, olds)]
        if when is None or not olds:
            paired = 0
        elif before:  # (by their words: the stamp every key begins with is no likeness)
            paired = reworded_on(when, *words, {(when, word) for word in words[1]})
        else:
            paired = len(reworded_among(*words))
        counts["changed entry"] += paired
        counts["entry"] += len(keys) - paired
    return counts


def _box_and_notes(boxes: tuple[str | None, str | None, str | None],
                   rests: tuple[str, ...], *, ours_first: bool, labels: tuple[str, str, str],
                   marker_size: int) -> tuple[str | None, str, bool]:
    """An entry both sides changed, three ways from the base: its checkbox and the lines
    below its first, from ``boxes`` and ``rests`` (base's, ours, theirs). The checkbox a
    side changed, or the further along of two (:data:`_CHECK_RANK`); the lines below as
    the side that changed them has them, or merged as git would (:func:`_merge_notes`:
    ``True`` when it left conflict markers). The one rule of both merges of an entry."""
    box_o, box_a, box_b = boxes
    box = box_b if box_a == box_o else box_a if box_b == box_o else \
        max(box_a or " ", box_b or " ", key=lambda c: _CHECK_RANK.get(c, 0))
    rest_o, rest_a, rest_b = rests
    if rest_a == rest_b or rest_b == rest_o:
        return box, rest_a, False
    if rest_a == rest_o:
        return box, rest_b, False
    rest, conflict = _merge_notes(rest_o, rest_a, rest_b, ours_first=ours_first,
                                  labels=labels, marker_size=marker_size)
    return box, rest, conflict
