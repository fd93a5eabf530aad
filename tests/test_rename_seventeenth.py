"""Issue 14, seventeenth round: a session archived on one side and changed on the other,
past git's rename detection (docs/merge-driver.md, "A session archived on one side,
changed on the other").

Clone ``a`` logs many entries and wraps the session up (or abandons it) in one commit:
the archive is past git's 50% rename similarity of the live file, so git pairs no
rename and never runs the merge driver; clone ``b`` logged meanwhile. Whichever side
pulls, by merge or by rebase, git stops on a modify/delete of the live file. The advice
is ``ai-protocols merge-kept FILE``, which merges the changed side into the archive as
the driver would have (and writes nothing else), then gives the one command left;
pasted, the operation finishes with every entry of both sides once in the archive.

Real clones, real ``git pull``/``git merge``/``git rebase``, the installed console
script (tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitkit import git, pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner

SESSION = ".ai/session-context.org"


def _clones(base: Path) -> tuple[Path, Path]:
    """A bare origin and two clones, ``a`` (which started a session with a few entries
    and pushed) and ``b``, each after ``init``; git's editor is ``true`` (a rebase's
    ``--continue`` opens it)."""
    origin = base / "o.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(origin), str(a))
    run = Runner(a)
    run("init")
    run("start", "--title", "Shared")
    run("log", "--progress", "base item", "--decision", "base decision", "--rationale",
        "base why")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "base")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    Runner(b)("init")
    for clone in (a, b):
        git(clone, "config", "core.editor", "true")
    return a, b


def _a_entries(count: int) -> list[str]:
    return [f"A step {i}: a longer line of work done on clone A so that the file grows "
            f"well past what git pairs as a rename {i}" for i in range(count)]


def _diverge(base: Path, close: str = "wrap-up", count: int = 12,
             b_texts: tuple[str, str] = ("B entry that matters", "B decision")
             ) -> tuple[Path, Path, list[str]]:
    """``a`` logs ``count`` entries and closes the session (``close``: ``wrap-up`` or
    ``abandon``) in one commit; ``b`` logs a progress item and a decision in one. Returns
    the clones and ``a``'s entries."""
    a, b = _clones(base)
    entries = _a_entries(count)
    for text in entries:
        Runner(a)("log", "--progress", text)
    if close == "wrap-up":
        Runner(a)("wrap-up", "done in a")
    else:
        Runner(a)("abandon", "--reason", "dead end")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", close)
    Runner(b)("log", "--progress", b_texts[0], "--decision", b_texts[1], "--rationale",
              "B why")
    git(b, "commit", "-q", "-am", "b")
    return a, b, entries


def _pull(a: Path, b: Path, who: str, how: str) -> Path:
    """The other clone pushes; ``who`` (``a``, the archiving side, or ``b``) pulls by
    ``how`` (``merge`` or ``rebase``). Returns the clone that pulled, stopped on the
    modify/delete of the live file (asserted: git paired no rename)."""
    pusher, puller = (b, a) if who == "a" else (a, b)
    git(pusher, "push", "-q", "origin", "HEAD:main")
    git(puller, "pull", "-q", "--rebase" if how == "rebase" else "--no-rebase", "origin",
        "main", check=False)
    state = git(puller, "status", "--short", "--", SESSION)
    assert state[:2] in ("UD", "DU"), state  # (modify/delete: no rename paired)
    return puller


def _archive(clone: Path) -> Path:
    (archive,) = (clone / ".ai" / "sessions").glob("*.org")
    return archive


def _quoted_command(said: str, starts: str) -> str:
    """The command a message gives between single quotes that starts with ``starts``."""
    found = re.search(r"'(" + re.escape(starts) + r"[^']*)'", said)
    assert found, said
    return found.group(1)


def _count(text: str, line: str) -> int:
    return sum(1 for one in text.splitlines() if one.endswith(line))


def _resolve(clone: Path) -> str:
    """Follow the advice as pasted: ``status`` names ``merge-kept``; its output names
    the one command left; both run. Returns merge-kept's stderr."""
    said = Runner(clone)("status").stdout
    merge = pasted(clone, _quoted_command(said, "ai-protocols merge-kept "))
    assert merge.returncode == 0, merge.stderr
    left = _quoted_command(merge.stderr, "git rm -q -- ")
    done = pasted(clone, left)
    assert done.returncode == 0, done.stdout + done.stderr
    return merge.stderr


@pytest.mark.parametrize(("who", "how"), [("b", "merge"), ("a", "merge"), ("b", "rebase"),
                                          ("a", "rebase")])
def test_the_changed_side_goes_into_the_archive_whichever_side_pulls(
        tmp_path: Path, who: str, how: str) -> None:
    """Both directions, merge and rebase: the advice's merge-kept and the one command
    it gives finish the operation; the archive holds every entry of both sides once,
    closed; the live file is gone; status and start say the session is closed and begin
    a fresh one (the old code advised ``git rm``: b's entries left every file)."""
    a, b, entries = _diverge(tmp_path.resolve())
    clone = _pull(a, b, who, how)
    said = _resolve(clone)
    assert "2 entries written into it" in said
    assert git(clone, "status", "--short") == ""
    assert not (clone / ".git" / "MERGE_HEAD").exists()
    assert not (clone / ".git" / "rebase-merge").exists()
    assert not (clone / SESSION).exists()
    text = _archive(clone).read_text()
    for line in [*entries, "B entry that matters", "B decision", "base item",
                 "base decision"]:
        assert _count(text, line) == 1, line
    assert ":STATUS:   wrapped-up" in text
    assert "wrap-up: done in a" in text
    listed = Runner(clone)("list").stdout
    assert listed.count("wrapped-up") == 1, listed
    Runner(clone)("start", "--title", "Next")
    assert "B entry that matters" not in (clone / SESSION).read_text()


@pytest.mark.parametrize("who", ["a", "b"])
def test_an_abandon_merges_the_same_and_stays_abandoned(tmp_path: Path, who: str) -> None:
    """The reviewer's case (``abandon``): the same advice, the archive abandoned with
    both sides' entries."""
    a, b, entries = _diverge(tmp_path.resolve(), close="abandon", count=10)
    clone = _pull(a, b, who, "merge")
    _resolve(clone)
    text = _archive(clone).read_text()
    assert ":STATUS:   abandoned" in text
    for line in [*entries, "B entry that matters", "B decision"]:
        assert _count(text, line) == 1, line


def test_the_read_commands_only_advise_and_the_advice_follows_the_state(
        tmp_path: Path) -> None:
    """status, show, resume and start write nothing while git stops (the file and the
    archive as git left them); the advice names merge-kept and what a bare ``git rm``
    would leave in git's history only; after merge-kept, it names the one command left
    instead; merge-kept run again writes nothing and gives that command."""
    a, b, _ = _diverge(tmp_path.resolve())
    clone = _pull(a, b, "b", "merge")
    archive = _archive(clone)
    before = (clone / SESSION).read_bytes(), archive.read_bytes()
    run = Runner(clone)
    for args in (("status",), ("show",), ("resume",)):
        out = run(*args)
        said = out.stdout + out.stderr
        assert "ai-protocols merge-kept" in said, args
        assert "would leave 2 entries in git's history only" in said
    started = run("start")  # (the session under way, shown, with the warning)
    assert "ai-protocols merge-kept" in started.stderr
    logged = run("log", "--progress", "more", check=False)
    assert logged.returncode == 6 and "ai-protocols merge-kept" in logged.stderr
    assert ((clone / SESSION).read_bytes(), archive.read_bytes()) == before
    run("merge-kept", str(clone / SESSION))
    merged = archive.read_bytes()
    said = run("status").stdout
    assert "ai-protocols merge-kept" not in said
    assert "the archive holds all of it (merged in)" in said
    assert "git rm -q -- " in said and "git commit --no-edit" in said
    again = run("merge-kept", str(clone / SESSION))
    assert "nothing was written" in again.stderr and "git rm -q -- " in again.stderr
    assert archive.read_bytes() == merged


def test_an_agents_own_session_file_merges_the_same(tmp_path: Path) -> None:
    """An agent's file under ``.ai/session-context.d/`` (``AI_AGENT_ID``): the same
    modify/delete, the same advice; the archive holds both sides' entries."""
    base = tmp_path.resolve()
    origin = base / "o.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(origin), str(a))
    agent = "vm.proj.claude.1796133737-ab12"
    run = Runner(a)
    run("init")
    run("start", "--title", "Agent", agent=agent)
    run("log", "--progress", "base item", agent=agent)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "base")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    Runner(b)("init")
    for text in _a_entries(12):
        run("log", "--progress", text, agent=agent)
    run("wrap-up", "done in a", agent=agent)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "wrap-up")
    git(a, "push", "-q", "origin", "HEAD:main")
    Runner(b)("log", "--decision", "B decision", "--rationale", "B why", agent=agent)
    git(b, "commit", "-q", "-am", "b")
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    live = b / ".ai" / "session-context.d" / f"{agent}.org"
    assert git(b, "status", "--short", "--", str(live)).startswith("UD")
    refused = Runner(b)("log", "--progress", "more", agent=agent, check=False)
    assert refused.returncode == 6
    merge = pasted(b, _quoted_command(refused.stderr, "ai-protocols merge-kept "))
    assert merge.returncode == 0, merge.stderr
    assert pasted(b, _quoted_command(merge.stderr, "git rm -q -- ")).returncode == 0
    text = _archive(b).read_text()
    assert _count(text, "B decision") == 1 and _count(text, "base item") == 1
    assert all(_count(text, line) == 1 for line in _a_entries(12))
    assert git(b, "status", "--short") == ""


def test_the_kept_copy_goes_with_the_file_merged(tmp_path: Path) -> None:
    """The file was this tool's last write in b (its kept copy, a hard link): once its
    entries are in the archive, the kept copy goes, so that nothing brings the old
    session back after ``git rm``."""
    a, b, _ = _diverge(tmp_path.resolve())
    clone = _pull(a, b, "b", "merge")
    kept = clone / ".ai" / ".locks" / "live" / "session-context.org"
    assert kept.exists()
    Runner(clone)("merge-kept", str(clone / SESSION))
    assert not kept.exists()


def test_an_entry_both_sides_edited_is_refused_with_the_merge_by_hand(
        tmp_path: Path) -> None:
    """Both sides edited one entry's first line differently (in an editor): the
    driver's merge would leave conflict markers, so merge-kept writes nothing (exit 6)
    and gives the merge by hand; pasted, the archive holds both edits between markers
    (nothing lost) and every entry of b."""
    a, b = _clones(tmp_path.resolve())
    for clone, word in ((a, "fixed in A"), (b, "fixed in B")):
        path = clone / SESSION
        path.write_text(path.read_text().replace("] base item", f"] base item {word}"))
    for text in _a_entries(12):
        Runner(a)("log", "--progress", text)
    Runner(a)("wrap-up", "done in a")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "wrap-up")
    Runner(b)("log", "--progress", "B entry that matters")
    git(b, "commit", "-q", "-am", "b")
    clone = _pull(a, b, "b", "merge")
    archive = _archive(clone)
    before = (clone / SESSION).read_bytes(), archive.read_bytes()
    refused = Runner(clone)("merge-kept", str(clone / SESSION), check=False)
    assert refused.returncode == 6, refused.stderr
    assert "nothing was written" in refused.stderr
    assert ((clone / SESSION).read_bytes(), archive.read_bytes()) == before
    by_hand = pasted(clone, re.search(r"nothing was written: (B=.*?); then",
                                      refused.stderr).group(1))
    text = archive.read_text()
    assert by_hand.returncode == 1 and "<<<<<<<" in text, by_hand.stderr
    assert "base item fixed in A" in text and "base item fixed in B" in text
    assert _count(text, "B entry that matters") == 1


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.tuples(*[st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF,
                                               blacklist_categories=("Cs", "Cc")),
                                 min_size=1, max_size=40).map(lambda t: f"B {t}")] * 2),
       count=st.integers(min_value=8, max_value=20))
def test_any_text_b_logged_reaches_the_archive_once(tmp_path_factory: pytest.TempPathFactory,
                                                    texts: tuple[str, str],
                                                    count: int) -> None:
    """Whatever b logged (any text), however much a logged: merge-kept puts every line b
    added into the archive, each entry once, and a's entries stay, each once."""
    a, b, entries = _diverge(tmp_path_factory.mktemp("r").resolve(), count=count,
                             b_texts=texts)
    base = set(git(b, "show", f"HEAD~1:{SESSION}").splitlines())
    added = [line for line in git(b, "show", f"HEAD:{SESSION}").splitlines()
             if line not in base and not line.lstrip().startswith(":")]
    assert sum(1 for line in added if line.startswith("- ")) == 2, added
    clone = _pull(a, b, "b", "merge")
    Runner(clone)("merge-kept", str(clone / SESSION))
    lines = _archive(clone).read_text().splitlines()
    for line in added:
        assert lines.count(line) == (1 if line.startswith("- ") else lines.count(line) or 1)
    for line in entries:
        assert _count("\n".join(lines), line) == 1, line


@pytest.mark.parametrize(("who", "how"), [("b", "merge"), ("b", "rebase")])
def test_merge_kept_says_how_to_give_up_the_operation_instead(tmp_path: Path, who: str,
                                                              how: str) -> None:
    """After the advised ``merge-kept``, ``git merge --abort`` refuses (the archive differs
    from the index): its output gives the command that gives the operation up, which,
    pasted, leaves the clone as before the pull. A rebase's abort goes through as it is
    (tests/test_restore_eighteenth.py: each operation's)."""
    a, b, _ = _diverge(tmp_path.resolve())
    before = git(b, "rev-parse", "HEAD")
    clone = _pull(a, b, who, how)
    said = Runner(clone)("status").stdout
    merge = pasted(clone, _quoted_command(said, "ai-protocols merge-kept "))
    assert merge.returncode == 0, merge.stderr
    abort = _quoted_command(merge.stderr, "git checkout -- " if how == "merge" else
                            "git rebase --abort")
    assert abort.endswith(f"git {how} --abort")
    done = pasted(clone, abort)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(clone, "rev-parse", "HEAD") == before
    assert git(clone, "status", "--porcelain") == ""
