"""Advice about a session file that loses nothing when pasted (twenty-fourth round, issue
14; docs/decisions.md, "Twenty-fourth round: advice that loses nothing when pasted"). A
``cp KEPT FILE``, ``mv -f ... FILE`` or ``rm FILE`` is advised only when it loses nothing,
by one judgement (:func:`ai_protocols.session.merge.copy_drops`, compared directly);
else ``ai-protocols merge-kept``. A fresh reviewer found:

A1. never committed, a note typed, ``git stash -u``, ``start``, ``log``: ``resume``
    advised ``... && git stash pop && mv -f -- F.before-pop F``, which wrote over the
    popped note (the stash dropped);
A2. never committed, a buffer saved over the agent's ``log`` with a note typed:
    ``status`` and ``log`` advised ``cp KEPT FILE``, which deleted the note;
A5. committed, a buffer opened before ``wrap-up`` with an entry deleted, saved after:
    ``status`` and ``log`` advised ``rm FILE``, which left the entry in the archive.

Real git, the installed console script, real Emacs for a buffer's save, the advice run
by a real shell (bash).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clonekit import Agent, commit, git
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sessmsg_twentyfourth import _cli, _untracked_session
from test_stalecommit_twentysecond import _flat, _said
from test_stalesave_twentythird import delete_line, emacs_edit, type_note, typed_in

from ai_protocols.session.entries_compared import copy_loses
from ai_protocols.session.merge import copy_drops

NOTE = "Note typed by a person, to keep."


def _advised(said: str, start: str) -> str:
    """The commands ``said`` gives after ``start``, up to `` (from ``."""
    found = re.search(re.escape(start) + r" (.*?) \(from ", _flat(said))
    assert found is not None, said
    return found.group(1)


def _no_copy_advised(said: str) -> None:
    """No advice in ``said`` puts another file over the session file or removes it."""
    flat = _flat(said)
    assert not re.search(r"\bcp \S+ \S+|mv -f|\brm (?!it\b)\S", flat), flat
    assert "merge-kept" in flat, flat


def _started(base: Path, file: str = "README") -> Agent:
    """A git repository at ``base`` (made) with one committed-to-be file ``file``,
    ``init`` run and agent ``ag1``'s session started, titled "Test"."""
    base.mkdir()
    git(base, "init", "-q", "-b", "main")
    (base / file).write_text("x\n")
    run = Agent(base, "ag1")
    run("init")
    run("start", "--title", "Test")
    return run


# -- A2: a note typed in a stale buffer, the session never committed ---------------------


def test_a_note_in_a_stale_save_never_committed_is_not_copied_over(tmp_path: Path) -> None:
    run = _untracked_session(tmp_path / "r", "per-agent")
    emacs_edit(run.cwd, run.path, type_note(NOTE), _cli(run, "log", "--progress", "two"))
    status = run("status")
    refused = run("log", "--progress", "three", check=False)
    assert refused.returncode != 0, _said(refused)
    for said in (_said(status), _said(refused)):
        _no_copy_advised(said)
    commands = _advised(_said(status), "merge the two with")
    done = pasted(run.cwd, commands)
    assert done.returncode == 0, (commands, done.stdout, done.stderr)
    text = run.path.read_text()
    assert NOTE in text and "] two" in text, text
    run("log", "--progress", "three")
    assert NOTE in run.path.read_text()


# -- A1: a note typed, the never-committed file taken by git stash -u --------------------


def test_the_stash_advice_never_writes_over_a_popped_note(tmp_path: Path) -> None:
    run = _untracked_session(tmp_path / "r", "per-agent")
    emacs_edit(run.cwd, run.path, type_note(NOTE))
    (run.cwd / "README").write_text("changed\n")
    git(run.cwd, "stash", "-u", "-q")
    run("start")
    run("log", "--progress", "three")
    said = _said(run("resume"))
    commands = _advised(said, "bring the work and the session file back with:")
    assert "mv -f" not in commands and not re.search(r"\bcp ", commands), commands
    pasted(run.cwd, commands)  # (merge-kept may refuse the merge: it then writes nothing)
    text = run.path.read_text()
    assert NOTE in text, (commands, text)
    aside = run.path.with_name(run.path.name + ".before-pop")
    kept = text + (aside.read_text() if aside.exists() else "")
    assert "] three" in kept, kept
    assert (run.cwd / "README").read_text() == "changed\n"


# -- A5: an entry deleted in a buffer opened before wrap-up ------------------------------


def test_a_deletion_saved_after_wrap_up_is_not_advised_away_by_rm(tmp_path: Path) -> None:
    base = tmp_path / "r"
    run = _started(base)
    run("log", "--progress", "one", "--progress", "two to delete")
    commit(base, "s1")
    emacs_edit(base, run.path, delete_line("two to delete"),
               _cli(run, "log", "--progress", "three"), _cli(run, "wrap-up", "Done"))
    status = run("status")
    refused = run("log", "--progress", "x", check=False)
    assert refused.returncode == 7, _said(refused)
    for said in (_said(status), _said(refused)):
        _no_copy_advised(said)
    assert "1 deletion of an entry" in _said(refused), _said(refused)
    found = re.search(r"\((ai-protocols merge-kept \S+); each once", _said(refused))
    assert found is not None, _said(refused)
    commands = found.group(1)
    done = pasted(base, commands)
    assert done.returncode == 0, (commands, done.stdout, done.stderr)
    archived = next((base / ".ai/sessions").glob("*.org")).read_text()
    assert "two to delete" not in archived and "] one" in archived and \
        "] three" in archived, archived


# -- the judgement itself, over arbitrary typed lines ------------------------------------

_SESSION: dict[str, bytes] = {}


def _versions(tmp_path_factory) -> tuple[bytes, bytes]:
    """A committed session (``base``: entries one and two) and the version the tool
    wrote after it (``newer``: entry three logged)."""
    if not _SESSION:
        base = tmp_path_factory.mktemp("judge")
        git(base, "init", "-q", "-b", "main")
        run = Agent(base, "ag1")
        run("init")
        run("start", "--title", "Test")
        run("log", "--progress", "one", "--progress", "two")
        _SESSION["base"] = run.path.read_bytes()
        run("log", "--progress", "three")
        _SESSION["newer"] = run.path.read_bytes()
    return _SESSION["base"], _SESSION["newer"]


_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=60).map(str.strip).filter(
                    lambda text: text and text[0] not in ":#*|" and "\r" not in text)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=_LINE, committed=st.booleans(), under_entry=st.booleans())
def test_any_typed_line_counts_as_lost_by_a_copy(
        tmp_path_factory: pytest.TempPathFactory, line: str, committed: bool,
        under_entry: bool) -> None:
    """A line typed under Discoveries, or as a note under the last entry (where the
    tool's next entry goes: the merge with no base dropped it, A1, A2), is lost by a
    copy, with or without the committed version both derive from."""
    base, newer = _versions(tmp_path_factory)
    typed = ("  " + line + "\n").encode()
    if under_entry:
        at = base.index(b"] two\n") + len(b"] two\n")
        older = base[:at] + typed + base[at:]
    else:
        older = typed_in(base, typed)
    drops = copy_drops(older, newer, base if committed else None)
    assert drops is not None and sum(drops[0]) + drops[1] > 0, (line, drops)
    assert copy_loses("", older, newer)  # (no repository: no base, the case A1, A2 hit)
    # (what the tool wrote since, and nothing typed, loses nothing)
    assert copy_drops(base, newer, base if committed else None) == ((0,) * 7, 0)
    assert not copy_loses("", base, newer)


def test_a_deletion_counts_against_the_base_only(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    base, newer = _versions(tmp_path_factory)
    older = re.sub(rb"\n- \[ \] \[[^\]]*\] two\n", b"\n", base)
    assert older != base
    assert copy_drops(older, newer, base) == ((0,) * 7, 1)
    assert copy_drops(base, newer, base) == ((0,) * 7, 0)


# -- A9: a plain git stash holding a typed note: the refusal names the stash first -------


def test_a_writes_refusal_names_the_stash_before_its_cp(tmp_path: Path) -> None:
    base = tmp_path / "r"
    run = _started(base, "w.txt")
    run("log", "--progress", "one")
    commit(base, "s1")
    run("log", "--progress", "two")
    emacs_edit(base, run.path, type_note(NOTE))
    (base / "w.txt").write_text("y\n")
    git(base, "stash", "-q")
    refused = run("log", "--progress", "three", check=False)
    assert refused.returncode == 6, _said(refused)
    said = _said(refused)
    assert "if git stash took the work" in said and \
        said.index("git stash list") < said.index("cp "), said
    assert "git stash pop brings the work" in _said(run("status"))
    done = pasted(base, "git stash pop")
    assert done.returncode == 0, done.stderr
    run("log", "--progress", "three")
    text = run.path.read_text()
    assert NOTE in text and "] two" in text and "] three" in text, text
    assert (base / "w.txt").read_text() == "y\n"
