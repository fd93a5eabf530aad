"""A stale buffer saved over a pull that REMOVED an entry, the agent's write between
(twenty-seventh round, issue 14; docs/decisions.md, "Twenty-seventh round: a stale save
over a pull that removed an entry").

Clone ``a`` logs and pushes "Entry E"; ``b`` pulls it, logs "B synced" and pushes; ``a``
pulls, then removes E (a person deletes its line in Emacs, or ``git revert`` of E's
commit) or logs "A added", and pushes. In ``b`` a person's Emacs buffer of the session
file is opened (on "B synced"), a line is typed; while it is open ``b``'s agent logs "B
agent write" (WRONG 2: and commits it), and ``b`` pulls (``--autostash`` merge or rebase,
``git stash; git pull; git stash pop``; a merge over a commit of ``b``'s own); the buffer
is saved over all that. The next write keeps: E removed (a person's act in another clone
stands), "A added", the typed line, the agent's write; no conflict marker.

Real clones of a bare origin, real git, real Emacs, the installed console script; both
layouts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pulljoin_twentysixth import EDITS, REMOVALS, _five_entries, _removed_in_b, _without
from test_removal_twentysixth import PULL
from test_sessmsg_twentyfourth import _cli
from test_stalesave_twentythird import delete_line, emacs_edit, type_note

NOTE = "Typed by the person."

#: How ``b`` pulls while the buffer is open (each a list of git commands).
PULLS = {
    "ff": [["git", "pull", "-q", "--no-rebase", "--autostash", "origin", "main"]],
    "merge": [["git", "pull", "-q", "--no-rebase", "--no-edit", "--autostash", "origin",
               "main"]],
    "rebase": [["git", "pull", "-q", "--rebase", "--autostash", "origin", "main"]],
    "stashpop": [["git", "stash", "-q"], ["git", "pull", "-q", "--no-rebase", "--no-edit",
                                          "origin", "main"], ["git", "stash", "pop", "-q"]],
}
#: What ``a`` did to the file before ``b``'s pull.
OPS = ("add", "by-hand", "revert")


def _stale_over(tmp_path: Path, layout: str, pull: str, op: str, committed: bool,
                then: str = "") -> tuple[str, str]:
    """The steps above; ``committed``: ``b``'s agent write committed before the pull;
    ``then``: what ``b`` does with the save before the next write (``"commit"``: commits
    it; ``"driver"``: commits it, ``a`` logs and pushes, ``b`` pulls that through a merge,
    the merge driver's). ``(the session file after the next write, that write's
    stderr)``. Checked on the way (twenty-eighth round): ``status`` and ``resume`` just
    before that write say what it merges back and from where in the write's own words,
    and each version named holds (or, for a removal, lacks) what it is named for
    (:func:`_said_as_the_write_says`)."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "b"))
    a, b = clones.run_one, clones.run_two
    for clone, name in ((clones.one, "A"), (clones.two, "B")):
        git(clone, "config", "user.name", name)
        git(clone, "config", "user.email", f"{name.lower()}@example.org")
    a("log", "--progress", "Entry E")
    push(a, "E")
    git(clones.two, "pull", "-q", "--no-rebase", "origin", "main")
    b("log", "--progress", "B synced")
    push(b, "B synced")
    git(clones.one, "pull", "-q", "--no-rebase", "origin", "main")
    if op == "add":
        a("log", "--progress", "A added")
        commit(clones.one, "A added")
    elif op == "by-hand":
        emacs_edit(clones.one, a.file, delete_line("] Entry E"))
        commit(clones.one, "E deleted by hand")
    else:
        e = git(clones.one, "log", "-1", "--format=%H", "--grep=^E$").stdout.strip()
        git(clones.one, "revert", "--no-edit", e)
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    if pull == "merge":
        (clones.two / "README.b").write_text("b's own\n")
        commit(clones.two, "b's own")
    between = [_cli(b, "log", "--progress", "B agent write")]
    if committed:
        between.append(["git", "commit", "-q", "-am", "agent write"])
    emacs_edit(clones.two, b.file, type_note(NOTE), *between, *PULLS[pull])
    saved = b.path.read_text()
    assert NOTE in saved and "] Entry E" in saved, saved  # (the stale save put E back)
    if then:
        git(clones.two, "commit", "-q", "-am", "stale save")
    if then == "driver":
        git(clones.one, "pull", "-q", "--no-rebase", "origin", "main")
        a("log", "--progress", "A later")
        push(a, "A later")
        git(clones.two, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
        assert "<<<<<<<" not in b.path.read_text()
    saved = b.path.read_text()
    reads = [_flat(b(command).stdout + b(command).stderr) for command in ("status", "resume")]
    assert b.path.read_text() == saved  # (a read command writes nothing)
    live = clones.two / ".ai" / ".locks" / "live"
    kept = {str(p): p.read_text() for p in live.rglob("*.org")} if live.is_dir() else {}
    written = b("log", "--progress", "After")
    _said_as_the_write_says(written.stderr, reads, b, saved, kept)
    return b.path.read_text(), written.stderr


#: A part of a merge back's words: a count of entries or removals, then the version
#: named (``HEAD:./FILE``, ``git's HEAD``, ``blob ID``, the kept copy) and what it is
#: named for (``stale_saves.said_merged``).
PART = re.compile(r"(\d+) (entry|entries|removal|removals) (?:that )?git brought"
                  r"(?: or ai-protocols wrote since)? \(([^()]*?)(holds them|lacks those "
                  r"entries)")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _said_as_the_write_says(stderr: str, reads: list[str], b: Agent, saved: str,
                            kept: dict[str, str]) -> None:
    """Issue 14, twenty-eighth round: what the write said it merged back (``stderr``),
    part by part, is what ``status`` and ``resume`` said before it (``reads``), word for
    word; and each part names the version that holds it (an entry the save lacked:
    ``saved``, the file as the write read it) or, for a removal, lacks it (Entry E, which
    the save holds again): ``HEAD``'s, a blob's (``git show``), or the kept copy's
    (``kept``, the kept copies as they were before the write, by path)."""
    said = _flat(stderr)
    found = re.search(r" lacked (.*?): a buffer opened before git", said)
    assert found is not None, said
    phrase = found.group(1)
    for read in reads:
        assert phrase in read, (phrase, read)
    text = b.path.read_text()
    lacked = [n for n in ("] B agent write", "] A added") if n in text and n not in saved]
    entries = removals = 0
    for count, kind, source, verb in PART.findall(phrase):
        blob = re.search(r"blob ([0-9a-f]{12})", source)
        if blob is not None:
            version = git(b.cwd, "show", blob.group(1)).stdout
        elif "HEAD" in source:
            version = b.head()
        else:
            assert "ai-protocols wrote last" in source, (source, phrase)
            named = [v for k, v in kept.items() if k.endswith(str(b.file.name))]
            assert len(named) == 1, kept.keys()
            version = named[0]
        if kind.startswith("removal"):
            assert verb == "lacks those entries", phrase
            assert "] Entry E" in saved and "] Entry E" not in version, (phrase, version)
            removals += int(count)
        else:
            assert verb == "holds them", phrase
            assert sum(n in version for n in lacked) >= int(count), (phrase, lacked, version)
            entries += int(count)
    assert entries == len(lacked), (phrase, lacked)
    assert removals == ("] Entry E" in saved and "] Entry E" not in text), phrase


def _kept_as_the_person_and_the_agent_left_it(text: str, op: str, said: str) -> None:
    """What the next write must leave, and say: no entry was reworded here (the agent's new
    entry is no "changed entry"), and no count said twice of one source."""
    said = " ".join(said.split())
    assert "changed entr" not in said and "1 entry and 1 entry" not in said, said
    if "removal" in said:  # (S3: the removal is git's, never the kept copy's, which holds it)
        assert "wrote last" not in said[said.rindex("removal"):].split(")")[0], said
    assert text.count("] Entry E") == (1 if op == "add" else 0), text
    assert text.count("] A added") == (1 if op == "add" else 0), text
    for needle in (NOTE, "] B agent write", "] B synced", "] After"):
        assert text.count(needle) == 1, (needle, text)
    assert "<<<<<<<" not in text and ">>>>>>>" not in text, text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("pull", sorted(PULLS))
def test_a_stale_save_over_a_pull_and_the_agents_write_loses_nothing(
        tmp_path: Path, layout: str, pull: str, op: str) -> None:
    """WRONG 1: the agent's write left uncommitted, stashed by the pull and popped back
    through the merge driver; the stale save goes over that join."""
    text, said = _stale_over(tmp_path, layout, pull, op, committed=False)
    _kept_as_the_person_and_the_agent_left_it(text, op, said)
    if op != "add":
        assert "1 removal" in said, said


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("pull", ["ff", "merge", "rebase"])
def test_a_stale_save_over_a_pull_and_the_agents_committed_write_loses_nothing(
        tmp_path: Path, layout: str, pull: str, op: str) -> None:
    """WRONG 2: the agent's write committed before the pull (which merges, or rebases,
    that commit with the other clone's)."""
    text, said = _stale_over(tmp_path, layout, pull, op, committed=True)
    _kept_as_the_person_and_the_agent_left_it(text, op, said)
    if op != "add":
        assert "1 removal" in said, said


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", ("by-hand", "revert"))
# (with the agent's write committed before the pull there is nothing to stash: `git stash;
# git pull; git stash pop` is the merge pull, so that pair is not made)
@pytest.mark.parametrize(("pull", "committed"), [
    pytest.param(pull, committed, id=f"{pull}-{'committed' if committed else 'uncommitted'}")
    for pull in sorted(PULLS) for committed in (False, True)
    if not (committed and pull == "stashpop")])
@pytest.mark.parametrize("then", ["commit", "driver"])
def test_a_committed_stale_save_over_a_removal_and_the_agents_write_loses_nothing(
        tmp_path: Path, layout: str, pull: str, op: str, committed: bool, then: str) -> None:
    """The review's S1 and S2 (twenty-seventh round): the save above committed before the
    next write (``commit``), or committed and then merged by the driver with the other
    clone's later commit (``driver``); the agent's write left to the pull's stash or
    committed before it. The removed entry stays out (S1: it came back), the agent's entry
    and the typed line stay (S2: the agent's entry was lost after the driver's merge)."""
    text, said = _stale_over(tmp_path, layout, pull, op, committed, then)
    _kept_as_the_person_and_the_agent_left_it(text, op, said)
    if then == "driver":
        assert text.count("] A later") == 1, text
    assert "1 removal" in said, said


# -- the version a buffer was opened on, among versions carrying one write record ---------


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(removed=st.sets(st.integers(0, 4), min_size=1), lacked=st.sets(st.integers(0, 4)),
       typed=st.booleans(), order=st.booleans())
def test_a_hand_deletion_of_what_the_save_holds_is_not_what_it_was_opened_on(
        tmp_path_factory: pytest.TempPathFactory, removed: set[int], lacked: set[int],
        typed: bool, order: bool) -> None:
    """A hand deletion keeps the write record: the version before it (``before``) and the
    version after it (``deleted``, another clone's, committed) carry the same one. A save
    holding every deleted entry as it was (a line typed or not; entries the person deleted
    too) was opened on ``before``, in either order of git's history; a save lacking one of
    them may have been opened on either: both stay."""
    from ai_protocols.session.merge import not_deleted_from

    before = _five_entries(tmp_path_factory)
    deleted = _without(before, removed)
    data = _without(before, lacked)
    if typed:
        data = data.replace(b"** Discoveries\n", b"** Discoveries\n" + NOTE.encode() + b"\n")
    versions = [before, deleted] if order else [deleted, before]
    expected = versions if removed & lacked else [before]
    assert not_deleted_from(data, versions) == expected
    assert not_deleted_from(data, [deleted]) == [deleted]


# -- a committed stale save over a removal, merged by the driver ---------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("where", ["remover", "saver"])
def test_a_committed_stale_save_over_a_removal_merged_by_the_driver(
        tmp_path: Path, layout: str, removal: str, where: str) -> None:
    """``b`` removes E and pushes; in ``a`` a stale buffer (a line typed) is saved over the
    pull of it and committed. Then the two meet through a real merge (``git pull
    --no-rebase``, the merge driver): ``b``, having logged "B later" since, pulls ``a``'s
    commit (``remover``); or ``a``, after ``b`` pushed "B later", pulls it (``saver``).
    The merge holds E again (the save's commit added it, for git); the next write there
    takes it out again (``merged_removal``), keeping the typed line and both clones'
    entries."""
    clones = _removed_in_b(tmp_path, layout, removal, False)
    a, b = clones.run_one, clones.run_two
    emacs_edit(clones.one, a.file, EDITS["typed"], PULL)
    git(clones.one, "commit", "-q", "-am", "stale save")
    if where == "remover":
        git(clones.one, "push", "-q", "origin", "HEAD:main")
        b("log", "--progress", "B later")
        commit(clones.two, "B later")
        git(clones.two, *PULL[1:])
        run = b
    else:
        b("log", "--progress", "B later")
        push(b, "B later")
        git(clones.one, *PULL[1:])
        run = a
    merged = run.path.read_text()
    assert "] Entry E" in merged and "<<<<<<<" not in merged, merged
    written = run("log", "--progress", "After")
    assert "1 removal" in written.stderr, written.stderr
    text = run.path.read_text()
    assert "] Entry E" not in text, text
    for needle in ("Typed by the person.", "] B later", "] Base step", "] After"):
        assert text.count(needle) == 1, (needle, text)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("removal", REMOVALS)
def test_the_clone_that_wrote_since_the_removal_takes_it_out_by_a_fast_forward(
        tmp_path: Path, layout: str, removal: str) -> None:
    """Last round's left case (1): ``b`` removed E (by hand too: every version carries one
    write record, and the version the buffer was opened on was taken for the deletion's)
    and logged "Later step of b"; ``a``'s stale save (E again, a line typed) committed and
    pushed; ``b`` pulls it by a fast-forward and writes: its entry comes back, E goes out
    again, the typed line stays."""
    clones = _removed_in_b(tmp_path, layout, removal, False, then="Later step of b")
    a, b = clones.run_one, clones.run_two
    emacs_edit(clones.one, a.file, EDITS["typed"], PULL)
    git(clones.one, "commit", "-q", "-am", "stale save")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    git(clones.two, *PULL[1:])
    assert "] Entry E" in b.path.read_text()
    written = b("log", "--progress", "After")
    text = b.path.read_text()
    assert "] Entry E" not in text, (written.stderr, text)
    for needle in ("Typed by the person.", "] Later step of b", "] Base step", "] After"):
        assert text.count(needle) == 1, (needle, written.stderr, text)


@given(texts=st.lists(st.text(alphabet="abcdef ", min_size=1, max_size=12), max_size=4,
                      unique=True),
       others=st.lists(st.text(alphabet="abcdef ", min_size=1, max_size=12), max_size=4,
                       unique=True))
def test_a_reword_on_a_base_is_alike_in_words(texts: list[str], others: list[str]) -> None:
    """``reworded_on`` (the count of changed entries with a base: one side's entries new,
    the other's on the base) pairs exactly what the one rule of a reword pairs by words:
    an entry added in the minute another was removed, in unlike words, is never counted a
    changed entry (DOUBT 2)."""
    from datetime import datetime

    from ai_protocols.session.model import reworded_among, reworded_on

    others = [o for o in others if o not in texts]
    when = datetime(2026, 12, 3, 6, 40)
    was = {(when, other) for other in others}
    expected = len(reworded_among([t.strip() for t in texts], [o.strip() for o in others]))
    assert reworded_on(when, texts, others, was) == expected
    assert reworded_on(when, texts, others, set()) == 0  # (neither on the base: no side's)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_an_entry_put_back_after_a_pulled_revert_stands_through_the_driver(
        tmp_path: Path, layout: str) -> None:
    """The guard: in ``a`` the buffer opened AFTER the pull of ``b``'s revert, the entry
    typed back and committed (a person's act); ``b``, having logged since, pulls it through
    a merge: E stays, nothing said of a removal."""
    clones = _removed_in_b(tmp_path, layout, "revert", False)
    a, b = clones.run_one, clones.run_two
    git(clones.one, *PULL[1:])
    line = next(x for x in a.head().splitlines() if x.endswith("] Base step"))
    again = line.replace("Base step", "Entry E")
    emacs_edit(clones.one, a.file,
               f'(search-forward "] Base step") (end-of-line) (insert "\\n{again}")')
    git(clones.one, "commit", "-q", "-am", "E typed back")
    git(clones.one, "push", "-q", "origin", "HEAD:main")
    b("log", "--progress", "B later")
    commit(clones.two, "B later")
    git(clones.two, *PULL[1:])
    written = b("log", "--progress", "After")
    assert "removal" not in written.stderr and "lacked" not in written.stderr, written.stderr
    text = b.path.read_text()
    assert text.count("] Entry E") == 1 and "] B later" in text and "] After" in text, text
