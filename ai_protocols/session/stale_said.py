"""What a stale save's merge back is said as: where each change came from
(:func:`brought_how`, :func:`said_merged`), two merge backs of one write as one answer
(:func:`said_both`), an answer said by source (:func:`sourced`), the Log line
(:func:`merged_back_note`) and the read commands' warning (:func:`next_write_said`): one
rule for the write, ``merge-kept`` and ``status``/``resume``, which say the same words
(docs/decisions.md, "Twenty-eighth round: what status, resume and a write say of a stale
save"). Moved out of ``stale_saves``, ``stale_over`` and ``stale_commit``, which use it. No
I/O.
"""

from __future__ import annotations

from ai_protocols.org.file import OrgFile
from ai_protocols.session import edit_base
from ai_protocols.session.stale_commit import BLOB, held_as, removals_only, split_removals

__all__ = ["brought_how", "merged_back_note", "next_write_said", "said_both", "said_merged",
           "sourced"]


def brought_how(where: str, named: bool = False, what: str = "") -> str:
    """How the changes a stale save dropped came, by ``where`` the version holding them
    is (:func:`~ai_protocols.session.stale_saves.brought_back`'s ``HEAD:./REL``,
    :func:`~ai_protocols.session.stale_over.stale_over_kept`'s kept copy,
    :func:`~ai_protocols.session.stale_over.stale_committed`'s and
    :func:`~ai_protocols.session.stale_saves.removal_undone`'s blob): for the Log line, or
    (``named``) for stderr, naming that version; ``what``: the changes said by kind (removals
    only are said as what that version lacks, whatever the version). No I/O."""
    said = held_as(where, named, what)
    if said is not None:
        return said
    if where.startswith("HEAD:"):
        holds = "lacks those entries" if removals_only(what) else "holds them"
        return f"that git brought ({where} {holds})" if named else \
            f"git brought (git's HEAD {holds})"
    if removals_only(what):  # (what git removed: never as what ai-protocols wrote)
        return f"that git brought ({where}, the version ai-protocols wrote last, lacks " \
            f"those entries)" if named else \
            "git brought (the version ai-protocols wrote last lacks those entries)"
    what = "that git brought or ai-protocols wrote since"
    return f"{what} ({where}, the version ai-protocols wrote last, holds them)" if named \
        else f"{what} (the version ai-protocols wrote last holds them)"


def said_merged(what: str, where: str, named: bool = False) -> str:
    """A stale save's merge back said with where each change came from: ``what`` (the
    changes said by kind, as a merge back's answer gives them: ``1 entry``, ``1 entry and
    1 removal``, or :func:`said_both`'s two answers, the
    first said with its source already) and :func:`brought_how` of ``where`` (the version
    holding them) after each part: the changes as what that version holds, the removals
    (what git removed that the save held again) as what it lacks, never one verb for both
    (docs/decisions.md, "Twenty-eighth round: what status, resume and a write say of a
    stale save"). For the Log line, or (``named``) for stderr, where the write and the
    read commands say the same words. No I/O."""
    cut = what.rfind(") and ")
    if cut >= 0:  # (said_both's: the first answer said with its own source)
        return f"{what[:cut + 6]}{said_merged(what[cut + 6:], where, named)}"
    changes, removals = split_removals(what)
    if not changes or not removals:
        return f"{what} {brought_how(where, named, what)}"
    return (f"{changes} {brought_how(where, named, changes)} and "
            f"{removals} {brought_how(where, named, removals)}")


def merged_back_note(what: str, where: str) -> str:
    """The Log line of a stale save's merge back (the write's and ``merge-kept``'s alike):
    ``what`` and ``where`` as :func:`said_merged` takes them. No I/O."""
    return (f"merged back: {said_merged(what, where)} that a save over this file dropped "
            f"(an editor's buffer opened before git changed the file, saved after)")


def said_both(first: tuple[OrgFile, str, str] | None, second: tuple[OrgFile, str, str]
              ) -> tuple[OrgFile, str, str]:
    """Two merge backs of one write (a stale save's, then what git brought that it still
    lacked: :meth:`~ai_protocols.session.transaction.Editing._open`) said as one answer:
    ``second``'s document and version, the changes of both said by kind, ``first``'s with
    where they came from (:func:`said_merged`) when that is another version than
    ``second``'s, else as more of the same: never "1 entry and 1 entry" of one source
    (docs/decisions.md, "Twenty-seventh round: a stale save over a pull that removed an
    entry"). No I/O."""
    if first is None:  # (one merge back: said as it is)
        return second
    if first[2] == second[2]:
        return second[0], f"{first[1]} and {second[1]} more", second[2]
    return second[0], f"{said_merged(first[1], first[2])} and {second[1]}", second[2]


def sourced(regained: tuple[OrgFile, str, str] | None, data: bytes, base: bytes,
             first: bytes, second: bytes, where: str, held: set[str] | None = None
             ) -> tuple[OrgFile, str, str] | None:
    """A merge back's answer ``regained`` (its changes said as held by ``first``, the
    version its ``where`` names) said by source: what the stale save ``data`` lacked that
    ``first`` holds (:func:`~ai_protocols.session.merge.changes_lacking`, less what
    ``base``, the version the buffer was opened on, holds: a person's deletion stands) as
    ``first``'s, then what only ``second`` holds as ``second``'s, at ``where``
    (:func:`said_both`, said first). So no warning names the kept copy for what git alone
    brought (an entry the pull brought, which the kept copy, written before it, lacks),
    nor git's version for what only the kept copy holds (the agent's entry, uncommitted),
    and every change the merge takes back is counted, the tool's own too (the
    twenty-seventh round said "1 entry that git brought" for the other clone's entry and
    the agent's committed one): docs/decisions.md, "Twenty-eighth round: what status,
    resume and a write say of a stale save". A removal said in ``regained`` stays
    ``first``'s; ``regained`` as it is when neither holds a change ``data`` lacks.
    ``held``: the earlier-entries files' entries. No I/O."""
    if regained is None:
        return None
    from ai_protocols.session.merge_changes import changes_lacking, said_changes
    own = changes_lacking(data, first, held, also=(base,))
    only = changes_lacking(data, second, held, also=(base, first))
    mine, theirs = edit_base._changed(own) > 0, edit_base._changed(only) > 0
    if not mine and not theirs:
        return regained
    removals = split_removals(regained[1])[1]
    doc = regained[0]
    said = " and ".join(p for p in (said_changes(own) if mine else "", removals) if p)
    if not theirs:
        return doc, said, regained[2]
    other = (doc, said_changes(only), where)
    return other if not said else said_both(other, (doc, said, regained[2]))


def next_write_said(what: str, where: str, unkept: bool, merge: str) -> str:
    """The read commands' warning (``status``, ``resume``, ``show``) for a stale save that
    the next write merges back on its own (:func:`~ai_protocols.session.transaction.
    next_write_merges`' ``what`` and ``where``): what the file lacks and where each part
    came from in the very words the write's warning says (:func:`~ai_protocols.session.
    stale_saves.said_merged`), what the write will do (merge the changes back, take
    what git removed out again), and ``merge``, the ``merge-kept`` command that does it
    now; ``where`` a blob (:func:`went_over`'s): the save was committed, said so. ``unkept``:
    the clone has no kept copy (the tool never wrote the file here). No I/O
    (docs/decisions.md, "Twenty-eighth round: what status, resume and a write say of a
    stale save")."""
    said = said_merged(what, where, True)
    changes, removals = split_removals(what)
    lacks = f"it holds again what git removed ({said})" if not changes else \
        f"it lacks {said}"
    if where.startswith(BLOB):
        does = "takes them out again" if not changes else \
            "merges them back and takes the removed entries out again" if removals else \
            "merges them back"
        return (f"this session file was saved from an editor's buffer opened on an older "
                f"version, and that save was committed (git's HEAD holds it): {lacks}; the "
                f"next write here {does} on its own, with what was typed (its Log says so); "
                f"to {'take them out' if not changes else 'merge them'} now, {merge}; then "
                f"commit the file; in Emacs, revert the buffer first")
    # (before the commit: once committed, HEAD holds the save, and every other clone
    # that pulls it gets a file without what it lacks)
    does = "takes them out again" if not changes else \
        "merges the two and takes the removed entries out again" if removals else \
        "merges the two"
    by = "" if unkept or not changes else " or ai-protocols"
    return (f"this session file was saved from an editor's buffer opened before git{by} "
            f"changed it: {lacks}; the next write here {does} on its own, with what git's "
            f"HEAD holds and what was typed (its Log says so); run it, or {merge}, before "
            f"you commit the file; in Emacs, revert the buffer first")
