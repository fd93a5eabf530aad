"""What a version of the board lacks of another's tasks, claims and locks (:func:`lacking_said`,
:func:`without_merged`), and whether a save was merged before (:func:`merged_before`,
:func:`tied_record`). Split out of :mod:`ai_protocols.board.merge`, which re-exports
every name imported from it.
docs/decisions.md, "Twenty-seventh round: the board's modules split by concern".
"""

from __future__ import annotations

from collections import Counter

from ai_protocols.board.merge_pairs import (
    _Conflict,
    _is_id_line,
    _Version,
    split_headline,
    task_key,
)
from ai_protocols.board.merge_tasks import _headline, _renamed, _with_id
from ai_protocols.org.syntax import strip_ending
from ai_protocols.session.merge_units import _CannotMerge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ai_protocols.board.merge_pairs import _Chunk


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
