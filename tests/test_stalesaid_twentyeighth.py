"""What a stale save's merge back is said as, by the write and by the read commands
(twenty-eighth round, issue 14; docs/decisions.md, "Twenty-eighth round: what status,
resume and a write say of a stale save").

The real cases (real clones, real git, real Emacs saves, the installed console script,
every pull and removal kind) are the twenty-seventh round's: its ``_stale_over`` checks
that ``status`` and ``resume`` say, just before the write, the very words the write then
says, and that each version named holds (or, for a removal, lacks) what it is named for.
Here the rules those words come from, over any counts and sources: one phrase per source,
a removal always said as what its version lacks, and the kept copy never named for what
only git's version holds (nor git's for what only the kept copy holds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitkit import first_commit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pulljoin_twentysixth import _five_entries, _without
from test_staleremoval_twentyseventh import PART

from ai_protocols.lean import counted_kinds
from ai_protocols.session.merge import CHANGE_KINDS
from ai_protocols.session.stale_commit import split_removals
from ai_protocols.session.stale_said import next_write_said, said_merged

from conftest import Runner

FILE = ".ai/session-context.org"
KEPT = "/p/.ai/.locks/live/session-context.org"
HEAD = "HEAD:./.ai/session-context.org"
BLOB = "blob 0123456789ab"
WHERES = (KEPT, HEAD, BLOB)
KINDS = st.lists(st.integers(0, 3), min_size=len(CHANGE_KINDS), max_size=len(CHANGE_KINDS))


def _what(counts: list[int], removals: int) -> str:
    """A merge back's ``what``: changes by kind, then the removals (``_regained``'s)."""
    said = [(n, one, many) for n, (one, many) in zip(counts, CHANGE_KINDS, strict=True)]
    return counted_kinds([*said, (removals, "removal", "removals")], none="no change")


@given(counts=KINDS, removals=st.integers(0, 3), where=st.sampled_from(WHERES),
       named=st.booleans())
def test_each_part_is_said_with_what_its_version_does(counts: list[int], removals: int,
                                                       where: str, named: bool) -> None:
    """Changes are said as held by the version named, removals as what it lacks, each
    count once, whatever their mix (the twenty-seventh round said "1 entry and 1 removal
    that git brought (blob ... holds them)": the blob lacks the removed entry)."""
    if not any(counts) and not removals:
        return
    what = _what(counts, removals)
    phrase = said_merged(what, where, named)
    changes, taken = split_removals(what)
    assert bool(taken) == bool(removals) and bool(changes) == any(counts)
    if taken:
        at = phrase.index(taken + " ")
        assert "lacks those entries" in phrase[at:], phrase
        assert re.search(r"holds them[):]", phrase[at:]) is None, phrase
    if changes:
        assert phrase.startswith(changes + " "), phrase
        own = phrase[:phrase.index(taken + " ")] if taken else phrase
        assert re.search(r"holds them[):]", own) and "lacks those entries" not in own, phrase
    for count in re.findall(r"\d+ (?:removal|entr|tick|Log|change|state|propert|line)",
                            what):
        assert phrase.count(count) >= 1, (count, phrase)


@given(counts=KINDS, removals=st.integers(0, 3), first=st.sampled_from(WHERES),
       second=st.sampled_from(WHERES), more=st.integers(1, 3))
def test_two_answers_keep_their_own_sources(counts: list[int], removals: int, first: str,
                                            second: str, more: int) -> None:
    """``said_both``'s two answers, rendered: the first with its own version, the second's
    removals with what the second's version lacks; never "1 entry and 1 entry"."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.stale_said import said_both

    if not any(counts):
        return
    doc = OrgFile("")
    one = (doc, _what(counts, 0), first)
    two = (doc, _what([more, *[0] * (len(CHANGE_KINDS) - 1)], removals), second)
    _, what, where = said_both(one, two)
    phrase = said_merged(what, where, True)
    if first != second:  # (one version: said as one answer, its counts joined)
        assert phrase.startswith(said_merged(one[1], first)), phrase
        assert f"{one[1]} and {two[1]}" not in phrase, phrase
    if removals:
        tail = phrase[phrase.rindex("removal"):]
        assert "lacks those entries" in tail.split(")")[0], phrase


@given(counts=KINDS, removals=st.integers(0, 3), where=st.sampled_from(WHERES),
       unkept=st.booleans())
def test_the_read_commands_say_the_writes_words(counts: list[int], removals: int, where: str,
                                                unkept: bool) -> None:
    """``status`` and ``resume`` (``next_write_said``) hold the write's phrase
    (``said_merged``, named) whole, and say what the write does with each kind."""
    if not any(counts) and not removals:
        return
    what = _what(counts, removals)
    read = next_write_said(what, where, unkept, "ai-protocols merge-kept F (from /p)")
    assert said_merged(what, where, True) in read, read
    assert ("takes them out again" in read or "takes the removed entries out again" in read) \
        == bool(removals), read
    assert ("merges" in read) == any(counts), read
    assert ("that save was committed" in read) == where.startswith("blob "), read


# -- the kept copy named only for what it holds -------------------------------------------


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.lists(st.sampled_from(["base", "first", "second", "both"]), min_size=5,
                      max_size=5),
       removals=st.integers(0, 2))
def test_each_version_named_holds_what_it_is_named_for(
        tmp_path_factory: pytest.TempPathFactory, where: list[str], removals: int) -> None:
    """``stale_said.sourced``: a merge back's answer said as the kept copy's
    (``first``) while some of what the save lacked only ``HEAD``'s version (``second``)
    holds (an entry the pull brought, which the kept copy, written before it, lacks) is
    said by source: every part's version holds every entry it counts, every lacked entry
    counted once, the removals left with the first's version."""
    from ai_protocols.org.file import OrgFile
    from ai_protocols.session.merge import changes_lacking, said_changes
    from ai_protocols.session.stale_said import sourced

    full = _five_entries(tmp_path_factory)
    out = {name: {n for n, w in enumerate(where) if w not in ("base", name, "both")}
           for name in ("base", "first", "second")}
    out["base"] = {n for n, w in enumerate(where) if w != "base"}
    base, first, second = (_without(full, out[name]) for name in ("base", "first", "second"))
    data = base.replace(b"** Discoveries\n", b"** Discoveries\nTyped by the person.\n")
    union = _without(full, out["first"] & out["second"])
    found = changes_lacking(data, union, None, also=(base,))
    said = said_changes(found)
    if removals:
        said = f"{said} and {removals} removal{'s' if removals > 1 else ''}"
    answer = sourced((OrgFile(union.decode()), said, KEPT), data, base, first, second, HEAD)
    assert answer is not None
    phrase = said_merged(answer[1], answer[2], True)
    versions = {KEPT: first, HEAD: second}
    lacked = {n for n, w in enumerate(where) if w != "base"}
    counted = 0
    for count, kind, source, verb in PART.findall(phrase):
        version = next(v for k, v in versions.items() if k in source or
                       (k == KEPT and "ai-protocols wrote last" in source) or
                       (k == HEAD and "git's HEAD" in source))
        if kind.startswith("removal"):
            assert version is first and verb == "lacks those entries", phrase
            continue
        held = {n for n in lacked if f"] E{n}\n".encode() in version}
        assert verb == "holds them" and len(held) >= int(count), (phrase, where)
        counted += int(count)
    assert counted == len(lacked), (phrase, where)


# -- item 3: the cause after a plain `git stash` of a note typed into the agent's write ----


@pytest.mark.parametrize("untracked", [False, True])
@pytest.mark.parametrize("typed", [False, True])
def test_a_plain_stash_of_the_agents_write_is_said_as_git_stash(
        project: Path, run: Runner, typed: bool, untracked: bool) -> None:
    """The agent logs (uncommitted), a person types a note into the file (or not), and
    runs ``git stash`` (``-u`` too): the file is ``HEAD``'s version again. The refusal of
    the next ``log`` (exit 6, nothing written) and ``status`` name the cause ``git
    stash``, never "a git reset or checkout", and say the stash holds the work; the
    twenty-seventh round named the cause "git stash" only when the stash held the agent's
    write byte for byte (no note typed)."""
    first_commit(project)
    run("start", "--title", "S")
    run("log", "--progress", "one")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "s")
    run("log", "--progress", "two")
    path = project / FILE
    if typed:
        path.write_text(path.read_text().replace("** Discoveries\n",
                                                 "** Discoveries\nA typed note.\n", 1))
    git(project, "stash", "-q", *(["-u"] if untracked else []))
    before = path.read_bytes()
    status = " ".join((run("status").stdout + run("status").stderr).split())
    written = run("log", "--progress", "three", check=False)
    said = " ".join(written.stderr.split())
    assert "(git stash" in said and "reset or checkout" not in said, said
    assert "(git stash" in status and "reset or checkout" not in status, status
    assert "git stash list" in said and "git stash list" in status, (said, status)
    if typed:
        assert written.returncode == 6 and path.read_bytes() == before, said
    git(project, "checkout", "--", FILE)
    git(project, "stash", "pop", "-q")
    assert "] two" in path.read_text() and ("A typed note." in path.read_text()) == typed
