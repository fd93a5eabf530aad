"""What a session holds, as values: the entries one logs, the session read back
from its file, and the rows of ``list``.

Nothing here reads or writes a file. :data:`ENTRY_KINDS` is the one table of
the kinds of entry ``log`` takes: the click command, the fast path of the
console script (:mod:`ai_protocols.cli.options`) and the layout of the file
(:mod:`ai_protocols.session.layout`) are all built from it.
"""

from __future__ import annotations

from ai_protocols.lean import PathField, TextOf, datetime, factory, record
from ai_protocols.org.syntax import Entry, iso_minutes, parse_timestamp

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path
    from typing import Literal

    from ai_protocols.session.pending import PendingEntry

__all__ = [
    "ENTRY_KINDS",
    "ITEM_SEPARATOR",
    "Compared",
    "EarlierEntries",
    "EntryKind",
    "FlatObjects",
    "LogEntry",
    "ObjectTexts",
    "Session",
    "SessionInfo",
    "compared",
    "iso",
    "moved_count",
    "newest_first",
]


@record(frozen=True)
class EntryKind:
    """One kind of entry that ``log`` records, and how it is asked for.

    ``section`` is the CUSTOM_ID of the section the entry's item goes in
    (``None``: it has no item of its own, such as a summary, which replaces
    the Summary section's text, or ``done``, which ticks an item), ``title``
    that section's title in a new file and in ``show``, and ``json_key`` its
    key in ``show --json``; ``checkbox`` whether its item is a checkbox item;
    ``option`` the ``log`` option that asks for it, ``repeatable`` whether the
    option may be given more than once, and ``help`` its help text.
    """

    kind: str
    option: str
    section: str | None
    checkbox: bool
    repeatable: bool
    help: str
    title: str = ""
    json_key: str = ""


#: Every kind of entry, in the order ``log`` writes them when given together.
#: ``decision``'s rationale comes with it (``--rationale``, see ``RATIONALE_OPTION``): each
#: ``--rationale`` goes with the ``--decision`` before it on the command line.
#: The kinds with a section come in the order of their sections in the file.
ENTRY_KINDS: tuple[EntryKind, ...] = (
    EntryKind("progress", "--progress", "progress", True, True,
              "Something under way or done (a checkbox).", "Progress", "progress"),
    EntryKind("decision", "--decision", "decisions", False, True,
              "A decision taken; the --rationale after it says why.", "Decisions",
              "decisions"),
    EntryKind("discovery", "--discovery", "discoveries", False, True, "Something found out.",
              "Discoveries", "discoveries"),
    EntryKind("blocker", "--blocker", "blockers", False, True, "Something in the way.",
              "Blockers", "blockers"),
    EntryKind("next", "--next", "next-steps", True, True, "A next step (a checkbox).",
              "Next steps", "next"),
    EntryKind("done", "--done", None, False, True,
              "Tick the open checkbox item with this text (a progress or next-step item, "
              "or one a person added under another section); an open Next step of the same text "
              "is ticked too."),
    EntryKind("summary", "--summary", None, False, False,
              "Replace the short summary read first on resume (once per call)."),
    EntryKind("current", "--current", None, False, False,
              "The step in progress now, read first on resume: a Progress item marked "
              "[-]; the one marked before goes back to open; an open Next step of that text is "
              "ticked, taken up (once per call)."),
    EntryKind("key-file", "--key-file", "key-files", False, True,
              "A file the next session must read first (a path inside the project).",
              "Key files", "key_files"),
    EntryKind("context", "--context", "context", False, True,
              "A fact that must survive a compaction of the agent's context.",
              "Context", "context"),
)
#: The option that gives a decision's rationale, and its help text.
RATIONALE_OPTION = ("--rationale", "Why the --decision before it was taken.")
#: Kinds recorded by the tool itself, never asked for by ``log``: a spawner's exit record,
#: and a checkpoint's record (its Log line, and its headline properties as ``KEY VALUE``
#: lines in the entry's rationale: :func:`ai_protocols.git.checkpoint.record`), which
#: waits in the pending file like any entry while Emacs holds the session file.
INTERNAL_KINDS = ("exit", "checkpoint")
KIND_OF: dict[str, EntryKind] = {k.kind: k for k in ENTRY_KINDS}
#: The kinds whose entries are items of a section of their own, in file order.
SECTION_KINDS: tuple[EntryKind, ...] = tuple(k for k in ENTRY_KINDS if k.section)
#: How many of them ``show --json`` gives in their place; the later ones come after
#: the older keys, which keep their order.
_FIRST_SECTIONS = 5


@record(frozen=True)
class LogEntry:
    """One thing to record: ``LogEntry("decision", "Use X", rationale="Y is slow")``.

    ``kind`` is one of the kinds of :data:`ENTRY_KINDS`. A plain value: it is not
    checked when made, because entries folded from a pending file may carry a kind
    a newer version wrote; :meth:`ai_protocols.Project.log` refuses any other kind
    (:class:`~ai_protocols.errors.InvalidText`, naming the kinds it takes).
    """

    kind: str
    text: str
    rationale: str | None = None


@record(frozen=True)
class EarlierEntries:
    """A file of a session's earlier entries, as the live file's ``Earlier entries``
    section names it (docs/decisions.md, "Issue 16, part g"): ``path`` the file's path
    (text: the link's target, resolved against the live file's folder), ``first`` and
    ``last`` the times of the oldest and newest entries moved there (``None`` when
    the link does not say), ``entries`` how many were moved (``None`` when neither the
    link nor the file, or its kept copy, says: unknown, never 0);
    ``kept`` the copy ``show --all`` reads in its place when the file is gone (``git
    clean``; the next write puts it back), and ``missing`` whether it is gone with no
    copy kept (``show --all`` then fails, naming it)."""

    path: str
    first: datetime | None = None
    last: datetime | None = None
    entries: int | None = 0
    kept: str | None = None
    missing: bool = False

    def to_json(self) -> dict[str, object]:
        """``{"path", "from", "to", "entries"}``: ``show --json``'s ``earlier`` items
        (``entries`` ``null`` when unknown)."""
        return {"path": self.path, "from": iso(self.first), "to": iso(self.last),
                "entries": self.entries}


def moved_count(earlier: list[EarlierEntries]) -> int | None:
    """How many entries the files ``earlier`` hold, together; ``None`` when the count of
    one of them is unknown (:attr:`EarlierEntries.entries`): a sum that leaves a file
    out would say too few."""
    counts = [e.entries for e in earlier]
    return None if any(c is None for c in counts) else sum(c for c in counts if c)


@record
class Session:
    """What a session-context file holds, as read back from it. ``path`` reads as a
    ``pathlib.Path``, ``path_text`` as its text (see :class:`~ai_protocols.lean.PathField`)."""

    path: Path = PathField()
    agent_id: str | None = None
    title: str | None = None
    host: str | None = None
    status: str | None = None
    started: datetime | None = None
    updated: datetime | None = None
    #: UPDATED_AT: the moment of the last write, zone- and step-proof (see
    #: ai_protocols.liveness.clock); believed only while it agrees with ``updated``.
    updated_at: str | None = None
    ended: datetime | None = None
    description: str | None = None
    owner: str | None = None  # "host pid start", see ai_protocols.liveness.evidence.Owner
    exit: str | None = None  # recorded by a spawner whose child ended without wrap-up
    exited: datetime | None = None
    exit_by: str | None = None  # who recorded the exit: a spawner (None), or a hook
    adopted_from: str | None = None
    # Recorded by the agents' hooks (ai_protocols.integrations.hooks):
    agent_session: str | None = None  # the agent program's own session id
    agent_source: str | None = None  # how the agent's session last began: startup, resume...
    transcript: str | None = None  # the agent's transcript file
    compactions: int = 0  # how many times the agent compacted its context
    compacted: datetime | None = None  # when it last did
    git_branch: str | None = None  # the branch and commit the session last saw
    git_commit: str | None = None
    # The last checkpoint (ai_protocols.git.checkpoint.record): its ref, its commit, the
    # commit it was taken on ("none" before the first) and how many paths it holds
    # uncommitted.
    checkpoint: str | None = None
    checkpoint_commit: str | None = None
    checkpoint_base: str | None = None
    checkpoint_files: int = 0
    context_shown: str | None = None  # a digest of the context a hook last gave the agent
    task: str | None = None  # the id of its task on the board (start/log --task; docs/tasks.md)
    objective: str | None = None  # OBJECTIVE: what the session is for (start --objective)
    paused: datetime | None = None  # PAUSED: when it was paused (STATUS paused)
    pause_note: str | None = None  # PAUSE_NOTE: why, or what to do on resuming
    #: The step in progress (``log --current``): the Progress item marked ``[-]``.
    current: Entry | None = None
    summary: str | None = None
    #: The items of each section, by kind (:data:`SECTION_KINDS`), in file order.
    entries: dict[str, list[Entry]] = factory(dict)
    log: list[Entry] = factory(list)
    pending: list[PendingEntry] = factory(list)
    #: The files the session's older entries were moved to, oldest first (its
    #: ``Earlier entries`` section; ``show --all`` reads them too).
    earlier: list[EarlierEntries] = factory(list)
    #: Earlier-entries files of the session's history folder that no link names (a
    #: link line deleted; what a killed rollover left): ``show`` says so, ``show
    #: --all`` leaves them out, and the next write links them again or removes them
    #: when every entry of theirs is elsewhere (docs/decisions.md, eighth review).
    unlinked: list[str] = factory(list)
    #: Read brief (``reading.read_session(brief=True)``: ``resume``, ``start``, the hooks):
    #: how many closed Progress and Next steps items were passed over, and how many
    #: ``done:`` lines of the Log (``reading.whole`` reads the file again whole).
    left_out: int = 0
    left_out_log: int = 0
    #: Read brief: how many of the oldest entries of each kind of ``reading.NOTE_KINDS``
    #: (decisions, discoveries) were counted, not read, by kind (``{}``: none): each one
    #: after all those read in :func:`newest_first` order (``reading.read_session``).
    unread: dict[str, int] = factory(dict)
    path_text = TextOf("path")

    def items(self, kind: str) -> list[Entry]:
        """The items of the section of entries of ``kind`` (``[]`` when it has none)."""
        return self.entries.get(kind, [])

    @property
    def progress(self) -> list[Entry]:
        return self.items("progress")

    @property
    def decisions(self) -> list[Entry]:
        return self.items("decision")

    @property
    def discoveries(self) -> list[Entry]:
        return self.items("discovery")

    @property
    def blockers(self) -> list[Entry]:
        return self.items("blocker")

    @property
    def next_steps(self) -> list[Entry]:
        return self.items("next")

    def to_json(self) -> dict[str, object]:
        """The stable ``show --json`` form (schema 1, documented in docs/)."""
        return {key: list(value) if isinstance(value, map) else value
                for key, value in self.json_items().items()}

    def json_items(self, *, as_text: bool = False) -> dict[str, object]:
        """:meth:`to_json`, but each list of entries a ``map`` (a :class:`FlatObjects`)
        that makes their JSON objects one by one, as ``show --json`` prints them (a
        10 MB file holds a hundred thousand entries); ``as_text``: the sections' and the
        Log's maps make each object's items as JSON text (:class:`ObjectTexts`), as
        :func:`ai_protocols.cli.output.json_pieces` writes them."""
        entry_json: Callable[[Entry], object] = entry_json_text if as_text else Entry.to_json
        log_json: Callable[[Entry], object] = log_json_text if as_text else _log_json

        def entries(each: Callable[[Entry], object], items: list[Entry]) -> map:
            # (show's view of a big file, session.view: its texts made as written)
            texts = getattr(items, "json_texts", None) if as_text else None
            if texts is not None:
                return ObjectBatches(_as_given, texts())
            return (ObjectTexts if as_text else FlatObjects)(each, items)

        return {
            "schema": 1,
            "path": self.path_text,
            "agent_id": self.agent_id,
            "title": self.title,
            "host": self.host,
            "status": self.status,
            "started": iso(self.started),
            "updated": iso(self.updated),
            "ended": iso(self.ended),
            "description": self.description,
            "summary": self.summary,
            **{k.json_key: entries(entry_json, self.items(k.kind))
               for k in SECTION_KINDS[:_FIRST_SECTIONS]},
            "log": entries(log_json, self.log),
            "pending": FlatObjects(_pending_json, self.pending),
            "owner": self.owner,
            "exit": self.exit,
            "exited": iso(self.exited),
            "adopted_from": self.adopted_from,
            "agent_session": self.agent_session,
            "agent_source": self.agent_source,
            "transcript": self.transcript,
            "compactions": self.compactions,
            "compacted": iso(self.compacted),
            "git_branch": self.git_branch,
            "git_commit": self.git_commit,
            "exit_by": self.exit_by,
            "updated_at": instant(self.updated_at, self.updated),
            "checkpoint": None if self.checkpoint is None else {
                "ref": self.checkpoint, "commit": self.checkpoint_commit,
                "base": self.checkpoint_base, "files": self.checkpoint_files},
            # (the keys of issue 14 last: those before keep their order)
            **{k.json_key: entries(entry_json, self.items(k.kind))
               for k in SECTION_KINDS[_FIRST_SECTIONS:]},
            "objective": self.objective,
            "current": self.current.to_json() if self.current is not None else None,
            "paused": iso(self.paused),
            "pause_note": self.pause_note,
            "earlier": FlatObjects(EarlierEntries.to_json, self.earlier),
        }


@record
class SessionInfo:
    """One row of ``list``: an open session-context file (``kind`` ``open``, with its
    ``state``, one of :data:`ai_protocols.liveness.evidence.STATES`) or an archived
    session (``archived``, no state: its ``status`` says how it was closed)."""

    kind: Literal["open", "archived"]
    path: Path = PathField()  # (path_text: its text)
    agent_id: str | None
    title: str | None
    description: str | None
    status: str | None
    started: datetime | None
    updated: datetime | None
    ended: datetime | None
    state: str | None = None
    path_text = TextOf("path")

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SessionInfo:
        """The row :meth:`to_json` gave (times to the second as ISO 8601 text)."""
        started, updated, ended = (
            datetime.fromisoformat(data[key]) if data[key] is not None else None  # type: ignore[arg-type]
            for key in ("started", "updated", "ended"))
        return cls(kind=data["kind"], path=data["path"],  # type: ignore[arg-type]
                   agent_id=data["agent_id"], title=data["title"],  # type: ignore[arg-type]
                   description=data["description"], status=data["status"],  # type: ignore[arg-type]
                   started=started, updated=updated, ended=ended,
                   state=data.get("state"))  # type: ignore[arg-type]

    @property
    def latest(self) -> datetime:
        """When the session was last seen active: ended, else updated, else started."""
        return self.ended or self.updated or self.started or datetime.min

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "path": self.path_text,
            "agent_id": self.agent_id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "started": iso(self.started),
            "updated": iso(self.updated),
            "ended": iso(self.ended),
            "state": self.state,
        }


class Compared:
    """What a session ``older`` lacks of a session ``newer`` (:func:`compared`), by kind,
    as a person sees the file: ``log``, the Log lines (the tool's records, not an
    entry's own line) it lacks; ``entries``, the items it lacks; ``ticks``, the items it
    holds unticked that ``newer`` ticked; ``reworded``, the items it holds worded
    otherwise (an item of the same section and timestamp whose text differs: a person's
    reword, not an entry missing)."""

    __slots__ = ("entries", "log", "reworded", "ticks")

    def __init__(self, log: list[Entry], entries: int, ticks: int, reworded: int) -> None:
        self.log, self.entries, self.ticks, self.reworded = log, entries, ticks, reworded

    def said(self, *, log: bool = True, none: str = "no entry") -> str:
        """The counts said by kind (:func:`~ai_protocols.lean.counted`: ``1 Log line, 2
        entries, 1 reworded entry and 1 tick``; without ``log``, no Log lines), ``none``
        when every count is 0: the one wording of the read commands' warning and the
        writes' refusal (issue 14, thirteenth and fourteenth rounds)."""
        from ai_protocols.lean import counted_kinds

        return counted_kinds([(len(self.log) if log else 0, "Log line", "Log lines"),
                              (self.entries, "entry", "entries"),
                              (self.reworded, "reworded entry", "reworded entries"),
                              (self.ticks, "tick", "ticks")], none=none)


#: How alike (difflib's ratio, 0 to 1) the words of two entries of one section and
#: minute must be to be taken as one entry reworded (:func:`reworded_among`): most of
#: the words kept, or every word of one kept in the other (:func:`words_extended`).
#: Unlike ones are two entries, both kept.
REWORD_RATIO = 0.6


def words_extended(one: str, other: str) -> bool:
    """Whether one of two entries' words holds every word of the other (split on white
    space), in the same order, with words added: ``N2`` and ``N2 reworded``, ``fix bug``
    and ``fix the login bug``. The words' counterpart of :func:`lines_added`: a person
    who adds words to an entry keeps it the same entry, however short it was (difflib's
    ratio of ``N2`` and ``N2 reworded`` is 0.31). Two texts without a word, or of the
    same words, extend neither."""
    short, long = sorted((one.split(), other.split()), key=len)
    if not short or len(short) == len(long):
        return False
    rest = iter(long)
    return all(any(word == there for there in rest) for word in short)


def reworded_among(found: list[str], twins: list[str]) -> dict[int, int]:
    """Which of the words ``found`` (the entries of one section and minute that one
    version alone holds) are a reword of which of ``twins`` (those the other version
    alone holds there): ``{index in found: index in twins}``, each paired with its
    closest in words (difflib's ratio, the same whichever side each is on), when that
    is the only best on both sides and the two are alike enough
    (:data:`REWORD_RATIO`, or one's words extended to the other's,
    :func:`words_extended`, which counts before the ratio). The one rule of a reword,
    for the merge (:func:`ai_protocols.session.merge_entries.reworded_pairs`: what it keeps
    once) and for what the read commands and refusals count (:func:`compared`): two entries of
    one minute with unlike words are two entries, never one reworded (docs/decisions.md,
    "Issue 14, twenty-first round (stale saves, a fresh review)"). Raises nothing."""
    if not found or not twins:
        return {}
    import difflib

    # (difflib's ratio is not symmetric: taken on the two in one order, so that either
    # version's side gives the same pairs)
    # (a score of (alike enough, ratio): an extension of words is alike enough and
    # closer than any pair that is not)
    ratio = {}
    for i, a in enumerate(found):
        for j, b in enumerate(twins):
            r = difflib.SequenceMatcher(None, *sorted((a, b))).ratio()
            ratio[(i, j)] = (r >= REWORD_RATIO or words_extended(a, b), r)
    pairs: dict[int, int] = {}
    for i in range(len(found)):
        row = sorted(((r, j) for (x, j), r in ratio.items() if x == i), reverse=True)
        best, j = row[0]
        if not best[0] or (len(row) > 1 and row[1][0] == best):
            continue
        column = sorted((r for (x, y), r in ratio.items() if y == j), reverse=True)
        if column[0] == best and (len(column) == 1 or column[1] < best):
            pairs[i] = j
    return pairs


def compared(newer: Session, older: Session, base: Session | None = None) -> Compared:
    """What the session ``older`` lacks of ``newer``, counted by kind
    (:class:`Compared`; issue 14, thirteenth round: a tick and an entry were counted as
    Log entries, a reword as an entry missing). Items are matched by section, timestamp
    and text; of the items of one section and timestamp that only one side holds, those
    the merge takes for one entry reworded are rewords, the rest are entries (the one
    rule of the merge; twenty-first round: two entries of one minute were called one
    reworded). With ``base``, the version both derive from (a three-way merge's): an
    item one side holds as ``base`` has it, the other in other words, is a reword (that
    side changed it); two items ``base`` lacks are two entries, as the merge keeps both
    added. Without it: :func:`reworded_among`, the merge's pairing by words."""
    kinds = {k.kind for k in SECTION_KINDS}
    have = {(e.time, e.text) for e in older.log}
    missing = [e for e in newer.log if e.text.partition(": ")[0] not in kinds and
               (e.time, e.text) not in have]
    lacking = ticks = reworded = 0
    for kind in kinds:
        old = {(e.time, e.text): e for e in older.items(kind)}
        new = {(e.time, e.text): e for e in newer.items(kind)}
        ticks += sum(1 for key, e in new.items()
                     if key in old and e.done is True and old[key].done is not True)
        extra: dict[datetime | None, list[str]] = {}
        for key in old:
            if key not in new:
                extra.setdefault(key[0], []).append(key[1])
        alone: dict[datetime | None, list[str]] = {}
        for key in new:
            if key not in old:
                alone.setdefault(key[0], []).append(key[1])
        was = None if base is None else {(e.time, e.text) for e in base.items(kind)}
        for time, texts in alone.items():
            # (one entry, one side's lines added under it: a note older typed is no
            # entry it lacks; a note only newer holds is a changed entry it lacks)
            for text in list(texts):
                others = extra.get(time, [])
                other = next((o for o in others if o.partition("\n")[0] ==
                              text.partition("\n")[0] and lines_added(o, text)), None)
                if other is not None:
                    texts.remove(text)
                    others.remove(other)
                    reworded += lines_added(other, text) == text

            others = extra.get(time, [])
            if not time or not others:
                paired = 0
            elif was is None:
                paired = len(reworded_among([_words(t) for t in texts],
                                            [_words(t) for t in others]))
            else:
                paired = reworded_on(time, texts, others, was)
            reworded += paired
            lacking += len(texts) - paired
    return Compared(missing, lacking, ticks, reworded)


def lines_added(one: str, other: str) -> str | None:
    """Of two texts of an entry (or of the lines under it), the one that holds every
    line of the other, in the same order, with lines added (a note typed under an
    item; blank lines count as lines); ``None`` when neither does (each holds a line
    the other lacks). The one rule by which the merge
    (:func:`ai_protocols.session.merge_entries._merge_entry`, an entry both sides added) and
    :func:`compared` take two texts of one first line for one entry, one side's edit
    of it."""
    lines_one, lines_other = one.split("\n"), other.split("\n")
    for short, long, text in ((lines_one, lines_other, other), (lines_other, lines_one, one)):
        rest = iter(long)
        if all(any(line == there for there in rest) for line in short):
            return text
    return None


def reworded_on(time: datetime, texts: list[str], others: list[str],
                was: set[tuple[datetime | None, str]]) -> int:
    """How many of the items ``texts`` (of one section and minute ``time`` that one
    version alone holds) are a reword of one of ``others`` (those the other version
    alone holds there), judged on the version both derive from, whose items ``was``
    holds: a pair alike in words by the one rule of a reword (:func:`reworded_among`),
    one of the two as it was there, the other not (the merge's rule with a base: that
    side changed it; :func:`compared`, and
    :func:`ai_protocols.session.merge_changes.changes_lacking`'s count of a changed entry). An
    entry added in the minute another was removed, in unlike words, is a new entry, never
    a reword (docs/decisions.md, "Twenty-seventh round: a stale save over a pull that
    removed an entry")."""
    pairs = reworded_among([_words(text) for text in texts], [_words(other) for other in others])
    return sum(1 for i, j in pairs.items()
               if ((time, texts[i]) in was) != ((time, others[j]) in was))


def _words(text: str) -> str:
    """An entry's words as the merge compares them: its first line."""
    return text.split("\n", 1)[0].strip()


def instant(record: str | None, updated: datetime | None) -> str | None:
    """The instant an ``UPDATED_AT`` record holds (ISO 8601 with the writer's UTC offset),
    when it agrees with ``updated``; else ``None``."""
    from ai_protocols.liveness.clock import Moment

    moment = Moment.parse(record)
    if moment is None or not moment.agrees_with(updated):
        return None
    return moment.wall.isoformat(timespec="seconds")


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` newest first by timestamp, and among entries of the same minute (or
    without one), the later in the file first: the order in which the resume context
    shows a section's entries (and a brief read keeps the first of them)."""
    return sorted(entries, key=_newness, reverse=True)


def _newness(entry: Entry) -> tuple[datetime, int]:
    return entry.time or datetime.min, entry.line


def iso(moment: datetime | None) -> str | None:
    """``moment`` as ISO 8601 text to the minute (``None`` stays ``None``)."""
    return iso_minutes(moment) if moment else None


class FlatObjects(map):
    """A ``map`` whose items are objects (``dict``) with at least one item, whose values
    are all ``str``, ``int``, ``bool`` or ``None``: what
    :func:`ai_protocols.cli.output.json_pieces` encodes a batch at a time without
    looking at each first."""

    __slots__ = ()


class ObjectTexts(map):
    """A ``map`` whose items are the JSON texts of objects' items, as ``json.dumps(...,
    indent=2)`` writes an object in a list that is a value of the top object: the items
    joined by :data:`ITEM_SEPARATOR`, without the braces. An object has one item at
    least."""

    __slots__ = ()


class ObjectBatches(map):
    """An :class:`ObjectTexts` whose items each hold the texts of a batch of objects,
    joined by :data:`OBJECT_SEPARATOR` (``show``'s view makes them a few thousand at a
    time: ``json_pieces`` writes each as it comes); a batch may come as its UTF-8 bytes
    (``session.view``'s Log: a batch of ASCII texts but for the ``…`` of cut ones)."""

    __slots__ = ()


def _as_given(batch: str | bytes) -> str | bytes:
    """A batch of :class:`ObjectBatches` as it came (``str`` or UTF-8 ``bytes``)."""
    return batch


#: What joins two items of an object in a list that is a value of the top object, in
#: ``json.dumps(..., indent=2)``'s text.
ITEM_SEPARATOR = ",\n      "
#: What joins the items of two such objects (the first's closing brace, the second's
#: opening one).
OBJECT_SEPARATOR = "\n    },\n    {\n      "


def _json_string(text: str) -> str:
    """``json.dumps(text, ensure_ascii=False)``, by json's C function when there is one."""
    global _json_string
    try:
        from _json import encode_basestring as found
    except ImportError:  # pragma: no cover - no C accelerator (PyPy)
        from json.encoder import py_encode_basestring as found
    _json_string = found  # (looked up once)
    return found(text)  # type: ignore[no-any-return]


def string_encoder() -> Callable[[str], str]:
    """:func:`_json_string`'s function itself, looked up: for a loop over many texts."""
    _json_string("")
    return _json_string


def entry_json_text(entry: Entry) -> str:
    """:meth:`Entry.to_json` as :class:`ObjectTexts` text."""
    time = f'"{iso_minutes(entry.time)}"' if entry.time else "null"  # (ISO: nothing to escape)
    text = f'"time": {time}{ITEM_SEPARATOR}"text": {_json_string(entry.text)}'
    if entry.done is not None:
        text += f'{ITEM_SEPARATOR}"done": {"true" if entry.done else "false"}'
    if entry.rationale is not None:
        text += f'{ITEM_SEPARATOR}"rationale": {_json_string(entry.rationale)}'
    return text


def log_json_text(entry: Entry) -> str:
    """:func:`_log_json` as :class:`ObjectTexts` text."""
    kind, _, text = entry.text.partition(": ")
    time = f'"{iso_minutes(entry.time)}"' if entry.time else "null"
    return (f'"time": {time}{ITEM_SEPARATOR}"kind": {_json_string(kind)}{ITEM_SEPARATOR}'
            f'"text": {_json_string(text)}')


def _log_json(entry: Entry) -> dict[str, object]:
    kind, _, text = entry.text.partition(": ")
    return {"time": iso(entry.time), "kind": kind, "text": text}


def _pending_json(entry: PendingEntry) -> dict[str, object]:
    data: dict[str, object] = {"time": iso(parse_timestamp(entry.stamp)), "kind": entry.kind,
                               "text": entry.text}
    if entry.rationale is not None:
        data["rationale"] = entry.rationale
    return data
