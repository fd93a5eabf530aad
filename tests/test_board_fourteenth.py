"""Issue 15, fourteenth round: the task board's ids a person retypes, the notes that say
what the board holds, and the merge of two clones' ids.

Every case runs the installed console script (and real ``git merge`` through the
installed merge driver where the case is a merge); Emacs judges the boards written."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from boardkit import add, board, edit, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner
from emacs import assert_reader_agrees, org_element

# -- 1. an id retyped to a text no id can be -------------------------------------------------

#: What a task's id may not hold: white space (a no-break one too), ``:``, ``(``, ``)``,
#: ``/``, a control or format character (a zero-width space, a right-to-left override).
_BAD = [" ", "\u00a0", "\u3000", ":", "(", ")", "/", "\t", "\x1b", "\u200b", "\u202e",
        "\u2060"]
_WORD = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=8)


def _invisible(text: str) -> list[str]:
    """The characters of ``text`` a person cannot see: format characters (a zero-width
    space, a word joiner, a right-to-left override) and controls but the newline."""
    return [c for c in text if unicodedata.category(c) in ("Cf", "Cc") and c != "\n"]


def _project(root: Path) -> tuple[Runner, str, str]:
    """A committed project with two tasks; their ids."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    first = add(run, "first")
    second = add(run, "second")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return run, first, second


def _retype(root: Path, old: str, typed: str) -> None:
    edit(root, f":ID:       {old}\n", f":ID:       {typed}\n")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=_WORD, bad=st.sampled_from(_BAD), tail=st.text(st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=6))
def test_an_id_retyped_to_a_text_no_id_can_be_is_given_back_with_a_visible_note(
        tmp_path_factory: pytest.TempPathFactory, head: str, bad: str, tail: str) -> None:
    """A person retypes a task's id to a text holding a space, a ``:``, an invisible
    character...: the next command gives the task its own id back (the board holds one
    id that commands, sessions and git agree on), says so on stderr naming the typed
    text, and the note in the task's log holds no invisible character (before: the
    tool kept the text, and its note held a zero-width space, ``y\\u200b:z``)."""
    root = tmp_path_factory.mktemp("p") / "proj"
    run, first, _ = _project(root)
    typed = f"{head}{bad}{tail}x"  # (Org drops white space at a property's ends)
    _retype(root, first, typed)
    done = run("task", "add", "third")
    text = board(root)
    assert f":ID:       {first}\n" in text, text
    assert not _invisible(text), [hex(ord(c)) for c in _invisible(text)]
    assert "cannot be a task's id" in done.stderr and "given back" in done.stderr, done.stderr
    note = [line for line in text.splitlines() if "cannot be a task's id" in line]
    assert len(note) == 1 and note[0].endswith(f"given back ({first})"), note
    shown = run("task", "show", first)
    assert "first" in shown.stdout


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_WORD.filter(lambda t: t.strip(".") != ""))
def test_an_id_retyped_to_one_word_is_followed_as_the_persons_id(
        tmp_path_factory: pytest.TempPathFactory, typed: str) -> None:
    """An id retyped to one word (letters, digits, ``.``, ``_``, ``-``) is the person's
    id: kept, named in the note with the old id, found by ``task show``."""
    root = tmp_path_factory.mktemp("p") / "proj"
    run, first, _ = _project(root)
    _retype(root, first, typed)
    run("task", "add", "third")
    text = board(root)
    assert f":ID:       {typed}\n" in text
    assert f"its id was {first} (changed by hand to {typed}): the same task" in text
    assert "first" in run("task", "show", "--", typed).stdout  # (an id may start with -)


def test_an_unusable_id_typed_on_a_new_task_gets_a_new_one_and_emacs_reads_the_board(
        tmp_path: Path) -> None:
    """A task a person adds with an id no task can have (``[fn:1] x``, ``a\\u200bb``)
    gets a minted id, as one without an id does, and a note without the invisible
    text; Org 9.5 and 9.7 read the board's ids as the tool does."""
    root = tmp_path / "proj"
    run, first, _ = _project(root)
    _retype(root, first, "x y:z")
    with (root / ".ai" / "tasks.org").open("a", encoding="utf-8") as handle:
        handle.write("* TODO by hand\n:PROPERTIES:\n:ID:       [fn:1] x\n:END:\n"
                     "* TODO hidden\n:PROPERTIES:\n:ID:       a\u200bb\n:END:\n")
    done = run("task", "add", "third")
    text = board(root)
    assert not _invisible(text)
    ids = re.findall(r"^:ID: +(.*)$", text, re.M)
    assert len(ids) == 5 and all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-z]{8}", i) for i in ids), ids
    assert first in ids
    assert done.stderr.count("given a new one") == 2, done.stderr
    parsed = org_element([root / ".ai" / "tasks.org"])[0]
    assert_reader_agrees(root / ".ai" / "tasks.org", parsed)
    assert [h["properties"].get("ID") for h in parsed["headlines"]
            if h["todo"]] == ids


# -- 5. the notes of many retyped ids, put in at once ----------------------------------------


@settings(max_examples=30, deadline=None)
@given(lines=st.lists(st.sampled_from(["* TODO a", "text", ":PROPERTIES:", ":ID: x",
                                       ":END:", "** sub", "", "- [2026-01-01 Thu 10:00] n"]),
                      min_size=1, max_size=12),
       inserts=st.lists(st.tuples(st.integers(0, 12), st.lists(
           st.sampled_from(["- [2026-01-01 Thu 10:01] note", "more", "x"]), min_size=1,
           max_size=3)), max_size=6),
       last_newline=st.booleans())
def test_inserting_all_blocks_at_once_is_inserting_them_one_by_one(
        lines: list[str], inserts: list[tuple[int, list[str]]], last_newline: bool) -> None:
    """``OrgFile.insert_all`` (one numbering of the headlines for every note of
    ``Board._same_again``) gives the text and headlines of inserting each block in turn,
    from the last place to the first."""
    from ai_protocols.org.file import OrgFile

    text = "\n".join(lines) + ("\n" if last_newline else "")
    count = len(OrgFile(text).lines)  # ("" holds no line; "a" one, unterminated)
    inserts = [(min(index, count), block) for index, block in inserts]
    once = OrgFile(text)
    once.insert_all(inserts)
    each = OrgFile(text)
    for index in sorted({i for i, _ in inserts}, reverse=True):
        each.insert(index, [line for i, block in inserts if i == index for line in block])
    assert once.text == each.text
    assert [(h.line, h.title, h.body_end, h.subtree_end) for h in once.headlines] == \
        [(h.line, h.title, h.body_end, h.subtree_end) for h in each.headlines]
    assert [(h.line, h.title) for h in OrgFile(once.text).headlines] == \
        [(h.line, h.title) for h in once.headlines]


def test_many_retyped_ids_are_each_noted_on_their_own_task(tmp_path: Path) -> None:
    """Forty tasks whose ids a person retyped (every other one to a text no id can be,
    one deleted): one command notes each under its own task, gives the deleted and the
    unusable ones theirs back, and Org 9.5 and 9.7 read the board as the tool does."""
    root = tmp_path / "proj"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    ids = [add(run, f"task {n}") for n in range(40)]
    text = board(root)
    typed = {}
    for n, ident in enumerate(ids):
        typed[ident] = "" if n == 7 else f"hand-{n}" if n % 2 else f"hand {n}"
        text = text.replace(f":ID:       {ident}\n", f":ID:       {typed[ident]}\n")
    (root / ".ai" / "tasks.org.new").write_text(text, encoding="utf-8")
    (root / ".ai" / "tasks.org.new").replace(root / ".ai" / "tasks.org")
    run("task", "add", "more")
    parsed = org_element([root / ".ai" / "tasks.org"])[0]
    assert_reader_agrees(root / ".ai" / "tasks.org", parsed)
    after = board(root)
    chunks = after.split("\n* ")[2:]  # (after the locks section)
    for n, (ident, chunk) in enumerate(zip(ids, chunks, strict=False)):
        assert chunk.startswith(f"TODO task {n}\n"), chunk
        if n == 7:
            assert f":ID:       {ident}\n" in chunk and "its id" not in chunk, chunk
        elif n % 2:
            assert f":ID:       hand-{n}\n" in chunk, chunk
            assert chunk.rstrip().endswith(
                f"its id was {ident} (changed by hand to hand-{n}): the same task"), chunk
        else:
            assert f":ID:       {ident}\n" in chunk, chunk
            assert chunk.rstrip().endswith(f"given back ({ident})"), chunk
            assert "hand" not in chunk.split(":END:")[0], chunk


# -- 2 and 3: what a merge keeps of a task's id, and what its log says -----------------------

_ID_NOTE = re.compile(r"^- \[[^]]*\] its id (?:was (?:also )?\S+ \((?:changed by hand to|"
                      r"(?:given|changed by hand) in another clone; a merge kept|a merge kept "
                      r"the change by hand to) (\S+)\)|is (\S+) again)", re.M)


def _clones(root: Path) -> tuple[Runner, str, Path, Path]:
    """A committed project with two tasks ("first" is returned by id) and two clones,
    each with the board's merge driver in its git configuration."""
    run, first, _ = _project(root)
    clones = []
    for name in ("a", "b"):
        clone = root.parent / name
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        for key in ("name", "driver"):
            git(clone, "config", f"merge.ai-protocols.{key}",
                git(root, "config", f"merge.ai-protocols.{key}").strip())
        clones.append(clone)
    return run, first, clones[0], clones[1]


def _commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _task_chunk(text: str, title: str) -> str:
    return next(c for c in text.split("\n* ") if c.startswith(f"TODO {title}\n"))


def _last_id_note(chunk: str) -> str:
    """The id the task's latest id note says it has."""
    notes = _ID_NOTE.findall(chunk)
    assert notes, chunk
    now, again = notes[-1]
    return now or again


@pytest.mark.parametrize("commands", [True, False], ids=["noted", "unnoted"])
def test_two_clones_that_retype_one_id_merge_to_the_same_board_either_way(
        tmp_path: Path, commands: bool) -> None:
    """Clones a and b each retype the task's id to another (and run a command, which
    notes it, or not); a merges b, and b merges a, with real ``git merge``: no conflict,
    the same board both ways, the smaller id kept, the other named in the log as an id
    it had, so that ``task show`` given it or the first id names the kept one (before:
    a conflict in the drawer)."""
    _, first, a, b = _clones(tmp_path / "proj")
    for clone, typed in ((a, "zeta-id"), (b, "alpha-id")):
        if commands:  # (a clone's board as a command wrote it: the next notes the change)
            add(Runner(clone), f"from {clone.name}")
        edit(clone, f":ID:       {first}\n", f":ID:       {typed}\n")
        if commands:
            add(Runner(clone), f"more from {clone.name}")
            assert f"changed by hand to {typed}" in board(clone)
        _commit(clone, clone.name)
    head_a, head_b = git(a, "rev-parse", "HEAD").strip(), git(b, "rev-parse", "HEAD").strip()
    git(a, "fetch", "-q", str(b), "HEAD")
    git(b, "fetch", "-q", str(a), "HEAD")
    git(a, "merge", "-q", "--no-edit", head_b)
    git(b, "merge", "-q", "--no-edit", head_a)
    assert board(a) == board(b)
    text = board(a)
    assert "<<<<<<<" not in text
    chunk = _task_chunk(text, "first")
    assert ":ID:       alpha-id\n" in chunk and "zeta-id" not in chunk.split(":END:")[0]
    assert "its id was also zeta-id (changed by hand in another clone; a merge kept " \
        "alpha-id): the same task" in chunk
    assert _last_id_note(chunk) == "alpha-id"
    for old in ("zeta-id", first):
        said = Runner(a)("task", "show", old, check=False)
        assert said.returncode == 20 and "its id is now alpha-id" in said.stderr, said
    assert "first" in Runner(a)("task", "show", "alpha-id").stdout
    done = Runner(b)("task", "add", "after")  # (the next command adds no other note)
    assert "noted on the task board" not in done.stderr, done.stderr
    assert _last_id_note(_task_chunk(board(b), "first")) == "alpha-id"
    parsed = org_element([a / ".ai" / "tasks.org"])[0]
    assert_reader_agrees(a / ".ai" / "tasks.org", parsed)


def test_after_a_branch_switch_and_a_merge_the_last_id_note_says_the_id_kept(
        tmp_path: Path) -> None:
    """A person retypes a task's id on a branch (a command notes it); back on main,
    git's older board makes the next command note "its id is X again"; main then merges
    the branch, whose change of the id the merge keeps: the log's last id note names the
    id the task has (before: "its id is X again", under the id Y), and the next command
    adds no note of its own; ``task show X`` names Y."""
    root = tmp_path / "proj"
    run, first, _ = _project(root)
    git(root, "checkout", "-q", "-b", "feature")
    edit(root, f":ID:       {first}\n", ":ID:       typed-y\n")
    add(run, "on feature")
    _commit(root, "feature")
    git(root, "checkout", "-q", "-")
    done = run("task", "add", "on main")
    assert f"its id is {first} again" in done.stderr
    _commit(root, "main")
    git(root, "merge", "-q", "--no-edit", "feature")
    chunk = _task_chunk(board(root), "first")
    assert ":ID:       typed-y\n" in chunk
    assert f"its id is {first} again" in chunk  # (what happened stays said)
    assert _last_id_note(chunk) == "typed-y", chunk
    done = run("task", "add", "after")
    assert "noted on the task board" not in done.stderr, done.stderr
    assert _last_id_note(_task_chunk(board(root), "first")) == "typed-y"
    said = run("task", "show", first, check=False)
    assert said.returncode == 20 and "its id is now typed-y" in said.stderr, said
    parsed = org_element([root / ".ai" / "tasks.org"])[0]
    assert_reader_agrees(root / ".ai" / "tasks.org", parsed)


# -- 6. a session's link through an id changed in a fast-forwarded commit --------------------


def test_a_sessions_link_follows_an_id_changed_in_a_fast_forwarded_commit(
        tmp_path: Path) -> None:
    """A session linked by ``start --task A``; in a clone, a person changes A's id in
    Emacs and commits (no command, so no note); the project fast-forwards to it. The
    session's task is found as ``task show A`` finds it, by the board's git history
    (``git log -S``): ``resume`` names the task by the id it has now (before: the link
    named no task, and the context lost it)."""
    root = tmp_path / "proj"
    run, first, second = _project(root)
    agent = "worker.1"
    run("start", "--task", first, agent=agent)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    edit(clone, f":ID:       {first}\n", ":ID:       moved-by-hand\n")
    _commit(clone, "an id changed by hand")
    git(root, "pull", "-q", "--ff-only", str(clone), "HEAD")
    assert ":ID:       moved-by-hand\n" in board(root) and "its id was" not in board(root)
    said = run("task", "show", first, check=False)
    assert said.returncode == 20 and "its id is now moved-by-hand" in said.stderr, said
    shown = run("resume", agent=agent).stdout
    assert "moved-by-hand" in shown and "first" in shown, shown
    assert second not in shown and "second" not in shown, shown
    data = run("resume", "--json", agent=agent).stdout
    assert "moved-by-hand" in data, data


# -- 4. the order of notes of one minute after a merge (seconds: not written) ----------------


def test_notes_of_one_minute_in_two_clones_merge_in_one_order_either_way(
        tmp_path: Path) -> None:
    """Two clones each claim and release one task (notes in one minute, as the board's
    time stamps have no seconds: Org 9.7's org-lint calls ``[... 10:00:05]`` a
    malformed timestamp, docs/decisions.md); a merges b and b merges a with real
    ``git merge``: every note once, and the same board both ways."""
    _, first, a, b = _clones(tmp_path / "proj")
    for clone, agent in ((a, "ann.1"), (b, "bob.1")):
        Runner(clone)("task", "claim", first, agent=agent)
        Runner(clone)("task", "release", first, agent=agent)
        _commit(clone, clone.name)
    head_a, head_b = git(a, "rev-parse", "HEAD").strip(), git(b, "rev-parse", "HEAD").strip()
    git(a, "fetch", "-q", str(b), "HEAD")
    git(b, "fetch", "-q", str(a), "HEAD")
    git(a, "merge", "-q", "--no-edit", head_b)
    git(b, "merge", "-q", "--no-edit", head_a)
    assert board(a) == board(b)
    chunk = _task_chunk(board(a), "first")
    for agent in ("ann.1", "bob.1"):
        assert chunk.count(f"claimed by {agent}") == 1, chunk
        assert chunk.count(f"released by {agent}") == 1, chunk
        assert chunk.index(f"claimed by {agent}") < chunk.index(f"released by {agent}")
    assert not re.search(r"\[\d{4}-\d\d-\d\d \w+ \d\d:\d\d:\d\d\]", board(a))
