"""The session file kept open in Emacs while the agent logs and git moves the file under
the buffer, the old buffer saved after (issue 14, twenty-first round; docs/decisions.md,
"Issue 14, twenty-first round (stale saves, a fresh review)").

A fresh review found, each with a script (its number in brackets):

1. a ``git pull --rebase`` that brings the other clone's entry, an agent's write after
   it and the old buffer saved: the next write dropped the pulled entry for good, the
   rebased commit's version (the same write record as the buffer's, but holding the
   pulled entry) taken for the version the buffer was opened on (r1);
2. a stale save left uncommitted and a second ``git pull --autostash``: the stash's pop
   through the merge driver took what the save dropped for deletions (r4);
3. a wrapped-up session's live file recreated by a stale save holding a typed checkbox
   item and a line: the refusal advised ``rm`` (r7);
4. a buffer opened after a merging pull, an entry deleted in it: the next write kept an
   entry of the other clone twice (r2);
5. the other clone and the stale buffer reworded one entry: the write kept both wordings
   as two entries where the driver stops at a conflict (r5);
7. ``git stash`` and a stale save: ``status`` advised a ``git stash pop`` that fails, with
   wrong counts (r6);
8. ``merge-kept`` named the wrong source, the refusal's files stayed behind (r8), and two
   entries of one minute were called one reworded entry.

Two real clones of a bare repository, real git, the installed console script; both
layouts of the session file (``.ai/session-context.org``, and an agent's
``.ai/session-context.d/ID.org``); the save written as Emacs writes a buffer (a new file
renamed into place, or in place).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, commit, git, push, save, two_clones
from gitkit import pasted
from hypothesis import example, given, settings
from hypothesis import strategies as st


def _between(text: str, start: str, end: str) -> str:
    """The part of a message from ``start`` up to ``end`` (exclusive), white space
    joined."""
    said = " ".join(text.split())
    found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), said)
    assert found, said
    return found.group(1)


# -- 3. a wrapped-up session's file put back by a stale save (r7) --------------------------

#: What a person types into the stale buffer, under Next steps: an entry as the tool
#: writes one, a checkbox item as ``C-c C-x b`` or typing makes it, a free line; or
#: nothing.
TYPED = {
    "entry": "- [ ] [2026-11-30 Mon 09:15] Typed entry for QA",
    "checkbox": "- [ ] Ask QA for the dump",
    "line": "A free line the person typed.",
    "nothing": "",
}


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("typed", list(TYPED))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_put_back_copy_is_advised_rm_only_when_it_holds_nothing_the_archive_lacks(
        tmp_path: Path, layout: str, typed: str, how: str) -> None:
    """The other clone wraps the session up; a buffer opened before the pull that brings
    the wrap-up is saved after it, recreating the live file. Every write refuses it (exit
    7); the advice pasted loses nothing: ``merge-kept`` (the typed text ends in the
    archive) whenever the file holds anything the archive lacks, ``rm`` only when it
    holds nothing (every line of it is in the archive)."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    run_b("wrap-up", "B wrapped up")
    push(run_b, "b wrap")
    buffer = run_a.path.read_text()
    git(run_a.cwd, "pull", "-q", "--no-rebase", "origin", "main")
    assert not run_a.path.exists()
    if TYPED[typed]:
        buffer = re.sub(r"(:CUSTOM_ID: next-steps\n:END:\n)", rf"\1{TYPED[typed]}\n",
                        buffer, count=1)
        assert TYPED[typed] in buffer
    save(run_a.path, buffer.encode(), how)
    refused = run_a("log", "--progress", "A-post", check=False)
    assert refused.returncode == 7, refused.stderr
    said = " ".join(refused.stderr.split())
    archives = list((run_a.cwd / ".ai" / "sessions").glob("*.org"))
    assert len(archives) == 1
    started = run_a("start", "--objective", "Again", check=False)
    assert started.returncode == 7
    assert " ".join(started.stderr.split()).split("nothing is written:")[1] == \
        said.split("nothing is written:")[1]
    if typed == "nothing":
        assert "rm " in said and "merge-kept" not in said, said
        kept = archives[0].read_text()
        assert all(line in kept for line in buffer.splitlines()
                   if line and not re.match(r":\S+:", line)), said
        command = _between(said, "(rm ", ")")
        assert pasted(run_a.cwd, f"rm {command}").returncode == 0
    else:
        assert "merge-kept" in said and "(rm " not in said, said
        assert "never rm it" in said
        command = "ai-protocols merge-kept " + _between(said, "(ai-protocols merge-kept ",
                                                        ";")
        done = pasted(run_a.cwd, command)
        assert done.returncode == 0, done.stderr
        assert TYPED[typed] in archives[0].read_text()
    assert not run_a.path.exists()
    run_a("start", "--objective", "Again")


# -- 7. git stash, then a stale save: status's advice works when pasted (r6) --------------


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_status_after_a_stash_and_a_stale_save_advises_commands_that_work(
        tmp_path: Path, layout: str, how: str) -> None:
    """The agent's entry left uncommitted and a change of a tracked file; a buffer opened;
    ``git stash`` takes both; the agent logs; the person types into the old buffer and
    saves. ``status`` counts what the file lacks by the merge's rule (an entry and the
    ``replaced:`` Log line, no "reworded entry": the two entries of one minute have
    unlike words) and its first advice, pasted, brings back everything: the stash's work,
    the agent's entries before and after the stash, the typed line."""
    base = tmp_path.resolve()
    (base / "a").mkdir()
    git(base / "a", "init", "-q", "-b", "main")
    run = Agent(base / "a", LAYOUTS[layout])
    (run.cwd / "README").write_text("hi\n")
    commit(run.cwd, "init")
    run("init")
    run("start", "--objective", "Fix")
    run("log", "--progress", "first step")
    commit(run.cwd, "session")
    run("log", "--progress", "uncommitted step")
    (run.cwd / "README").write_text("hi\nchange\n")
    buffer = run.path.read_text()
    git(run.cwd, "stash", "-q")
    run("log", "--progress", "after-stash step")
    save(run.path, (buffer + "- [ ] TYPED-note\n").encode(), how)
    said = " ".join(run("status").stdout.split())
    assert "it lacks 1 Log line and 1 entry of the newer one" in said, said
    assert "reworded" not in said, said
    advice = _between(said, f"from {run.cwd}: ", " (the merge driver merges the two)")
    assert advice.startswith("ai-protocols merge-kept ") and "git stash pop" in advice, said
    done = pasted(run.cwd, advice)
    assert done.returncode == 0, done.stderr
    text = run.path.read_text()
    for kept in ("] first step\n", "] uncommitted step\n", "] after-stash step\n",
                 "- [ ] TYPED-note\n"):
        assert text.count(kept) == 1, (kept, text)
    assert (run.cwd / "README").read_text() == "hi\nchange\n"
    assert git(run.cwd, "stash", "list").stdout == ""
    assert "warning" not in run("status").stdout
    run("log", "--progress", "next")


# -- 8c. two entries of one minute are two entries, for every reader ----------------------


def _session_text(progress: list[str]) -> str:
    """A session file whose Progress section holds ``progress``, each an entry of one
    minute."""
    items = "".join(f"- [ ] [2026-11-30 Mon 09:15] {words}\n" for words in progress)
    return ("* Session\n:PROPERTIES:\n:STARTED:  [2026-11-30 Mon 09:00]\n"
            ":STATUS:   active\n:END:\n** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n"
            f":END:\n{items}** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n")


_WORDS = st.text(alphabet="abcdefgh -", min_size=1, max_size=24).map(str.strip).filter(
    lambda w: w and not w.startswith("-"))


@settings(max_examples=150, deadline=None)
@given(mine=st.lists(_WORDS, min_size=1, max_size=3, unique=True),
       theirs=st.lists(_WORDS, min_size=1, max_size=3, unique=True))
def test_the_counted_rewords_are_the_merges(mine: list[str], theirs: list[str]) -> None:
    """What the read commands and refusals count as reworded entries
    (``model.compared``) is what the merge keeps once as one entry reworded
    (``merge.reworded_entries``): two entries of one minute with unlike words are two."""
    from ai_protocols.session.layout import read_session
    from ai_protocols.session.merge import reworded_entries
    from ai_protocols.session.model import compared

    one, two = _session_text(mine), _session_text(theirs)
    counted = compared(read_session("a.org", one), read_session("b.org", two))
    merged = reworded_entries(two.encode(), one.encode())
    assert counted.reworded == len(merged), (mine, theirs, merged)
    assert counted.entries == len(set(mine) - set(theirs)) - counted.reworded


# -- 8a. merge-kept names where what it merged in came from ------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_merge_kept_of_a_stale_save_names_git_head_as_the_source(tmp_path: Path,
                                                                 layout: str) -> None:
    """A buffer opened before a fast-forward pull that brings the other clone's entry,
    saved after with a typed item: ``merge-kept`` merges it as the next write would and
    says the entry came from what git's ``HEAD`` holds, not from the kept copy (which
    never held it)."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    buffer = run_a.path.read_bytes()
    git(run_a.cwd, "pull", "-q", "origin", "main")
    save(run_a.path, buffer + b"- [ ] TYPED-note\n", "inplace")
    kept = run_a.cwd / ".ai" / ".locks" / "live" / run_a.file.relative_to(".ai")
    assert "B-entry" not in kept.read_text()
    done = run_a("merge-kept", str(run_a.file))
    assert "Merged what git's HEAD holds in: 1 entry the file lacked." in done.stderr, \
        done.stderr
    assert "kept copy" not in done.stderr
    text = run_a.path.read_text()
    assert text.count("] B-entry\n") == 1 and "TYPED-note" in text


# -- 2. a stale save carried through a second pull's stash (r4) ---------------------------

#: How the second pull meets the stale save left in the work tree: ``git pull
#: --autostash`` as a fast-forward, as a merge (a commit of one's own first), as a rebase
#: (``--rebase --autostash``); or the save committed first, then a merging pull.
SECOND_PULLS = ["autostash", "autostash-merge", "rebase-autostash", "committed"]


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("second", SECOND_PULLS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_stale_save_carried_through_a_second_pull_loses_nothing(
        tmp_path: Path, layout: str, second: str, how: str) -> None:
    """A buffer opened; a pull brings ``B-entry``; the old buffer saved with a typed
    item (dropping ``B-entry``); the other clone logs ``B2-entry``; a second pull
    carries the save through git's stash (or its commit) and the merge driver. The
    driver must not take what the stale save never held for its deletion: after the
    next write the file holds ``B-entry``, ``B2-entry``, the typed item and the new
    entry, each once."""
    _second_pull(tmp_path, layout, second, how, rebase_first=False)


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("second", ["autostash", "rebase-autostash"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_stale_save_of_a_rebased_write_carried_through_a_second_pull_loses_nothing(
        tmp_path: Path, layout: str, second: str, how: str) -> None:
    """As above, the first pull a ``git pull --rebase`` over the agent's committed
    write: the replayed commit's version carries the very record the stale save
    carries, so the driver finds the tool's write of it (in the reflog) to tell that the
    save never held ``B-entry``. (Committed before the second pull, such a save is a
    commit that deleted ``B-entry``, as git sees it: docs/emacs.md says to run the tool
    or revert the buffer before committing a save.)"""
    _second_pull(tmp_path, layout, second, how, rebase_first=True)


def _second_pull(tmp_path: Path, layout: str, second: str, how: str, *,
                 rebase_first: bool) -> None:
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    wanted = ["] first step\n", "] B-entry\n", "] B2-entry\n", "- [ ] TYPED-note\n",
              "] A-post\n"]
    if rebase_first:
        run_a("log", "--decision", "A-decision", "--rationale", "why")
        commit(run_a.cwd, "a log")
        wanted.append("] A-decision\n")
    buffer = run_a.path.read_bytes()
    git(run_a.cwd, "pull", "-q", "--rebase" if rebase_first else "--no-rebase", "origin",
        "main")
    save(run_a.path, buffer + b"- [ ] TYPED-note\n", how)
    run_b("log", "--progress", "B2-entry")
    push(run_b, "b log 2")
    if second == "committed":
        commit(run_a.cwd, "the save")
        git(run_a.cwd, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    else:
        if second == "autostash-merge":
            (run_a.cwd / "other.txt").write_text("mine\n")
            git(run_a.cwd, "add", "other.txt")
            git(run_a.cwd, "commit", "-q", "-m", "own work")
        rebase = "--rebase" if second == "rebase-autostash" else "--no-rebase"
        git(run_a.cwd, "pull", "-q", rebase, "--no-edit", "--autostash", "origin", "main")
    assert "<<<<<<<" not in run_a.path.read_text()
    follow(run_a, "log", "--progress", "A-post")
    text = run_a.path.read_text()
    for kept in wanted:
        assert text.count(kept) == 1, (kept, text)


# -- 1. a stale save over a rebasing pull and a write after it (r1) -----------------------


def follow(run: Agent, *args: str) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` (a write); when refused (exit 6), what the refusal advises,
    pasted as printed (``cp KEPT FILE``, ``ai-protocols merge-kept FILE``, or the
    ``merge-driver`` commands), then the write again, which must go through."""
    done = run(*args, check=False)
    if done.returncode == 0:
        return done
    assert done.returncode == 6, done.stderr
    said = " ".join(done.stderr.split())
    found = re.search(r"\((cp \S+ \S+)\)", said) or \
        re.search(r"\((ai-protocols merge-kept \S+)\)", said) or \
        re.search(r": ((?:git -C |ai-protocols merge-driver ).*?); it was left unchanged",
                  said)
    assert found, said
    pasted_done = pasted(run.cwd, found.group(1))
    assert pasted_done.returncode == 0, pasted_done.stderr
    return run(*args)


#: The pull that brings ``B-entry`` while the buffer is open, over the agent's write
#: ``A-decision``: committed first, then ``git pull --rebase`` (the review's case) or a
#: merge; left uncommitted, then ``--autostash``, merging or rebasing.
FIRST_PULLS = {"rebase": ["--rebase"], "merge": ["--no-rebase", "--no-edit"],
               "autostash": ["--no-rebase", "--autostash"],
               "rebase-autostash": ["--rebase", "--autostash"]}


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("pull", list(FIRST_PULLS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_stale_save_over_a_pull_and_a_write_after_it_loses_nothing(
        tmp_path: Path, layout: str, pull: str, how: str, typed: bool) -> None:
    """The agent logs ``A-decision`` (committed, or not); a buffer opened; a pull brings
    the other clone's ``B-entry``; the agent logs ``A-after-pull``; the old buffer saved
    (a line typed, or nothing). The next write (with the advice of its refusal followed,
    if it refuses) keeps every entry of the three versions once, and the typed line: the
    rebased commit's version, which carries the buffer's write record but holds
    ``B-entry`` too, is not the version the buffer was opened on."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    run_a("log", "--decision", "A-decision", "--rationale", "why")
    if "autostash" not in pull:
        commit(run_a.cwd, "a log")
    buffer = run_a.path.read_bytes()
    git(run_a.cwd, "pull", "-q", *FIRST_PULLS[pull], "origin", "main")
    assert "B-entry" in run_a.head()
    run_a("log", "--discovery", "A-after-pull")
    save(run_a.path, buffer + (b"- [ ] TYPED-note\n" if typed else b""), how)
    status = " ".join(run_a("status").stdout.split())
    assert "warning" in status, status
    follow(run_a, "log", "--progress", "A-next")
    text = run_a.path.read_text()
    for kept in ("] first step\n", "] B-entry\n", "] A-decision\n", "] A-after-pull\n",
                 "] A-next\n"):
        assert text.count(kept) == 1, (kept, text)
    assert text.count("- [ ] TYPED-note\n") == (1 if typed else 0), text


# -- 4. an entry kept once, by the merge's one identity (r2) ------------------------------


@pytest.mark.parametrize("deleted", ["first step", "A-decision"])
@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_buffer_opened_after_a_merging_pull_keeps_each_entry_once(
        tmp_path: Path, layout: str, how: str, deleted: str) -> None:
    """``git pull --no-rebase`` makes a merge commit (the driver's: ``B-entry`` and
    ``A-decision``); a buffer opened on it; the agent logs; the person deletes an item
    in the buffer and saves. The next write merges back the agent's entry, keeps the
    deletion, and holds the other clone's ``B-entry`` once (it was kept twice: the
    person's deletion next to it read as a reword of the deleted item into it)."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    run_a("log", "--decision", "A-decision", "--rationale", "why")
    commit(run_a.cwd, "a log")
    git(run_a.cwd, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    buffer = run_a.path.read_text()
    run_a("log", "--discovery", "A-after-open")
    line = next(x for x in buffer.splitlines(keepends=True) if x.endswith(f"] {deleted}\n"))
    save(run_a.path, buffer.replace(line, "", 1).encode(), how)
    follow(run_a, "log", "--progress", "A-next")
    text = run_a.path.read_text()
    for kept in ({"] first step\n", "] A-decision\n"} - {f"] {deleted}\n"}) | \
            {"] B-entry\n", "] A-after-open\n", "] A-next\n"}:
        assert text.count(kept) == 1, (kept, text)
    assert f"] {deleted}\n" not in text


def _entries(items: list[tuple[str, str]]) -> bytes:
    """A session file whose Progress section holds ``items``, ``(minute, words)``."""
    lines = "".join(f"- [ ] [2026-11-30 Mon 09:1{minute}] {words}\n"
                    for minute, words in items)
    return ("* Session\n:PROPERTIES:\n:STARTED:  [2026-11-30 Mon 09:00]\n"
            ":STATUS:   active\n:END:\n** Progress\n:PROPERTIES:\n:CUSTOM_ID: progress\n"
            f":END:\n{lines}** Log\n:PROPERTIES:\n:CUSTOM_ID: log\n:END:\n").encode()


_ITEMS = st.lists(st.tuples(st.sampled_from("556"),
                            st.sampled_from(["fs", "B", "x", "fs2"])),
                  max_size=3, unique=True)


@settings(max_examples=400, deadline=None)
@example(base=[("5", "fs")], ours=[("5", "fs"), ("5", "B")], theirs=[("5", "B")])
@given(base=_ITEMS, ours=_ITEMS, theirs=_ITEMS)
def test_the_driver_keeps_each_entry_once(base: list[tuple[str, str]],
                                          ours: list[tuple[str, str]],
                                          theirs: list[tuple[str, str]]) -> None:
    """Entries of one minute added, deleted and kept in any way on two sides: the merge
    driver's clean result holds each entry at most once, and every entry both sides
    hold."""
    from ai_protocols.session.merge import merge_session_bytes

    merged = merge_session_bytes(_entries(base), _entries(ours), _entries(theirs))
    if merged is None or merged.conflicts:
        return
    lines = [x for x in merged.data.decode().splitlines() if x.startswith("- [")]
    assert len(lines) == len(set(lines)), lines
    for minute, words in set(ours) & set(theirs):
        assert f"- [ ] [2026-11-30 Mon 09:1{minute}] {words}" in lines, lines


# -- 5. the write's merge back and the driver agree on a reword on both sides (r5) --------


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("wrote", [False, True])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_reword_on_both_sides_is_refused_as_the_driver_leaves_it(
        tmp_path: Path, layout: str, wrote: bool, how: str) -> None:
    """The other clone rewords ``first step`` by hand and logs ``B-entry``; a pull brings
    both while a buffer is open (the agent logs after it, or not); the person rewords the
    same entry in the old buffer and saves. The merge driver leaves that line to a
    person (a conflict); so the next write refuses (exit 6) with the commands that merge
    the three, counting what git brought by the merge's rule (an entry and a changed
    entry, not two entries), and ``status`` says so first; the commands, pasted, leave
    both wordings between conflict markers and lose nothing."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    text = run_b.path.read_text()
    run_b.path.write_text(text.replace("] first step\n", "] first step (B edited)\n"))
    push(run_b, "b log")
    buffer = run_a.path.read_text()
    git(run_a.cwd, "pull", "-q", "origin", "main")
    if wrote:
        run_a("log", "--discovery", "A-pre")
    saved = buffer.replace("] first step\n", "] first step (A typed)\n")
    save(run_a.path, saved.encode(), how)
    status = " ".join(run_a("status").stdout.split())
    assert "refuses it (exit 6)" in status, status
    refused = run_a("log", "--progress", "A-post", check=False)
    assert refused.returncode == 6, refused.stderr
    said = " ".join(refused.stderr.split())
    assert "it lacks 1 entry and 1 changed entry that git brought" in said, said
    assert run_a.path.read_text() == saved
    commands = _between(said, "conflict markers in the file: ", "; it was left unchanged")
    done = pasted(run_a.cwd, commands)
    assert done.returncode == 1, done.stderr  # (the driver's conflict, left to a person)
    text = run_a.path.read_text()
    assert "<<<<<<<" in text
    for kept in ("] first step (A typed)\n", "] first step (B edited)\n", "] B-entry\n") + \
            (("] A-pre\n",) if wrote else ()):
        assert text.count(kept) == 1, (kept, text)


# -- 8b. the refusal's files are gone once its commands were followed (r8) ----------------


@pytest.mark.parametrize("how", ["rename", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_refusals_files_are_removed_once_the_write_goes_through(
        tmp_path: Path, layout: str, how: str) -> None:
    """Both clones change the summary; a stale save; the write refuses (exit 6) and
    writes the versions its commands merge beside the kept copy (``.base``, ``.head``);
    the commands pasted, the next write goes through and removes them."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--summary", "B summary.")
    push(run_b, "b log")
    buffer = run_a.path.read_text()
    git(run_a.cwd, "pull", "-q", "origin", "main")
    save(run_a.path, buffer.replace("** Progress", "A typed summary.\n** Progress", 1)
         .encode(), how)
    refused = run_a("log", "--progress", "A-post", check=False)
    assert refused.returncode == 6, refused.stderr
    live = run_a.cwd / ".ai" / ".locks" / "live"
    left = sorted(p.name for p in live.rglob("*") if p.suffix in (".base", ".head"))
    assert left, refused.stderr
    said = " ".join(refused.stderr.split())
    found = re.search(r"(ai-protocols merge-driver .*?); it was left unchanged", said)
    assert found, said
    assert pasted(run_a.cwd, found.group(1)).returncode in (0, 1)
    text = run_a.path.read_text()
    if "<<<<<<<" in text:  # (the person settles them: both lines kept)
        text = re.sub(r"^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|).*\n", "", text, flags=re.M)
        run_a.path.write_text(text)
    run_a("log", "--progress", "A-post")
    assert not [p for p in live.rglob("*") if p.suffix in (".base", ".head")]
    text = run_a.path.read_text()
    assert "B summary." in text and "A typed summary." in text


# -- 1 and 2 in real Emacs ----------------------------------------------------------------


@pytest.mark.parametrize("which", ["rebase", "second-pull"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_emacs_a_buffer_kept_open_over_pulls_loses_nothing(tmp_path: Path, layout: str,
                                                           which: str) -> None:
    """In real ``emacs --batch``, the buffer visited first, then (run from Emacs, as
    they would run beside it) a pull that brings ``B-entry``: ``git pull --rebase`` over
    the agent's committed ``A-decision``, and the agent's write after it (fault 1); or a
    fast-forward pull, and after the save a second ``git pull --autostash`` that carries
    the save through git's stash once the other clone logged ``B2-entry`` (fault 2). A
    line typed, the buffer saved ("changed on disk" answered yes). The next write (its
    refusal's advice followed, if it refuses) holds every entry once and the typed
    line."""
    run_a, run_b = two_clones(tmp_path.resolve(), layout)
    run_b("log", "--progress", "B-entry")
    push(run_b, "b log")
    wanted = ["] first step\n", "] B-entry\n", "] A-next\n", "- [ ] TYPED-in-emacs\n"]
    if which == "rebase":
        run_a("log", "--decision", "A-decision", "--rationale", "why")
        commit(run_a.cwd, "a log")
        pull = '"pull" "-q" "--rebase" "origin" "main"'
        after = '(call-process "ai-protocols" nil nil nil "log" "--discovery" "A-after-pull")'
        wanted += ["] A-decision\n", "] A-after-pull\n"]
    else:
        pull, after = '"pull" "-q" "origin" "main"', ""
        wanted += ["] B2-entry\n"]
    from conftest import BIN, clean_env

    env = clean_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                    **({"AI_AGENT_ID": run_a.agent} if run_a.agent else {}),
                    GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.com",
                    GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.com")
    lisp = (f'(progn (call-process "git" nil nil nil {pull}) {after} '
            '(advice-add (quote ask-user-about-supersession-threat) :override '
            '(lambda (f) nil)) (fset (quote yes-or-no-p) (lambda (p) t)) '
            '(goto-char (point-max)) (insert "- [ ] TYPED-in-emacs\\n") (save-buffer))')
    subprocess.run(["emacs", "--batch", "-Q", str(run_a.file), "--eval", lisp],
                   cwd=run_a.cwd, env=env, capture_output=True, timeout=120, check=True)
    assert "B-entry" not in run_a.path.read_text()  # (the stale save dropped it)
    if which == "second-pull":
        run_b("log", "--progress", "B2-entry")
        push(run_b, "b log 2")
        git(run_a.cwd, "pull", "-q", "--no-rebase", "--autostash", "origin", "main")
    follow(run_a, "log", "--progress", "A-next")
    text = run_a.path.read_text()
    for kept in wanted:
        assert text.count(kept) == 1, (kept, text)
