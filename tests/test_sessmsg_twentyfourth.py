"""What the messages about a session file that differs from the tool's kept copy say
its cause is, and the advice they give (twenty-fourth round, issue 14; docs/decisions.md,
"Twenty-fourth round: session-file causes, one wording"). A fresh reviewer found:

A3. after ``git revert HEAD`` of a commit that logged an entry, ``status`` and
    ``resume`` called the file an older version and advised the ``cp`` of the kept copy
    (undoing the revert); ``log`` went on, its Log line saying "a git reset or checkout";
A4. a session file ``git stash -u`` took untracked, recreated by a buffer's save: the
    advice ``git commit -m 'Session' -- FILE, then git stash pop`` failed when pasted;
A5. a buffer open when ``wrap-up`` ran, saved after it: ``status``/``start`` blamed git
    ("a copy of it that git or a copy put back"), never the editor's save;
A6. a plain stale save, no git involved: ``status`` guessed "git stash, git reset --hard
    or a checkout", ``log`` "an editor's save": two wordings of one state.

Real git, the installed console script, real Emacs (``emacs --batch``) for a buffer's
save; the pasted advice run by a real shell.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, commit, git, save, two_clones
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_stalecommit_twentysecond import NOTE, _flat, _said
from test_stalesave_twentythird import emacs_edit, type_note, typed_in

from ai_protocols.session.cause import not_git

from conftest import CLI, clean_env

#: The cause both ``status`` and a write's refusal give a stale save git did not write.
EDITOR = not_git()


def _untracked_session(base: Path, layout: str) -> Agent:
    """A repository (a README committed, ``init`` committed) whose session is never
    committed: ``start``, an entry ``one``."""
    base.mkdir(parents=True, exist_ok=True)
    git(base, "init", "-q", "-b", "main")
    (base / "README").write_text("x\n")
    run = Agent(base, LAYOUTS[layout])
    run("init")
    commit(base, "init")
    run("start", "--title", "Test")
    run("log", "--progress", "one")
    return run


def _cli(run: Agent, *args: str) -> list[str]:
    """The command line of the installed ``ai-protocols ARGS`` as ``run``'s agent, for
    Emacs to run while a buffer is open (its environment has no ``AI_AGENT_ID``)."""
    return ["env", f"AI_AGENT_ID={run.agent or ''}", str(CLI), *args]


def _entries(text: str, *names: str) -> dict[str, int]:
    return {name: len(re.findall(rf"\] {re.escape(name)}$", text, re.M)) for name in names}


def _paste(cwd: Path, said: str, start: str) -> str:
    """The commands ``said`` gives after ``start`` (up to `` (from ``), run by ``bash``
    in ``cwd`` as a person pastes them; returns them."""
    found = re.search(re.escape(start) + r" (.*?) \(from ", _flat(said))
    assert found is not None, said
    commands = found.group(1)
    done = subprocess.run(["bash", "-c", commands], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(PATH=f"{CLI.parent}:{os.environ['PATH']}"),
                          timeout=120)
    assert done.returncode == 0, (commands, done.stdout, done.stderr)
    return commands


# -- A3: a revert is a person's committed choice ---------------------------------------------


def _reverted(base: Path, layout: str) -> Agent:
    """The session committed with ``first step``; ``two`` logged and committed; then
    ``git revert HEAD``."""
    run, _other = two_clones(base, layout)
    run("log", "--progress", "two")
    commit(run.cwd, "log two")
    git(run.cwd, "revert", "--no-edit", "HEAD")
    assert "] two" not in run.path.read_text()
    return run


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_revert_is_not_called_an_older_version_nor_advised_undone(tmp_path: Path,
                                                                     layout: str) -> None:
    """A3: ``status``, ``resume`` and ``log`` agree: no warning, no ``cp`` of the kept
    copy, no "reset or checkout"; the write goes into the reverted file and brings no
    reverted entry back."""
    run = _reverted(tmp_path.resolve(), layout)
    for command in (["status"], ["resume"], ["start"]):
        said = _said(run(*command))
        assert "older" not in said and "cp " not in said, (command, said)
        assert "put back" not in said and "reset" not in said, (command, said)
    done = run("log", "--progress", "three")
    assert done.stderr.strip() == "" or "older" not in done.stderr, done.stderr
    assert "reset or checkout" not in done.stderr and "git put" not in done.stderr
    text = run.path.read_text()
    assert _entries(text, "first step", "two", "three") == \
        {"first step": 1, "two": 0, "three": 1}, text
    assert "replaced:" not in text, text


def test_a_reset_is_still_named_and_the_kept_copy_advised(tmp_path: Path) -> None:
    """The guard of A3: ``git reset --hard HEAD~`` is no commit made here: ``status``
    names git's reset (its index says git wrote the file) and advises the ``cp`` of the
    kept copy, which brings ``two`` back."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    run("log", "--progress", "two")
    commit(run.cwd, "log two")
    git(run.cwd, "reset", "-q", "--hard", "HEAD~")
    said = _said(run("status"))
    assert "a git reset or checkout of branch 'main'" in said, said
    commands = _paste(run.cwd, said, "keeps with")
    assert commands.startswith("cp "), commands
    assert _entries(run.path.read_text(), "two") == {"two": 1}


# -- A4: a session file git stash -u took untracked ------------------------------------------


def _stashed_untracked(base: Path, layout: str) -> Agent:
    """An Emacs buffer opened on the uncommitted session; while it is open the agent
    logs ``two`` and ``git stash -u`` takes the file (and ``work.txt``); a note typed,
    the buffer saved (recreating the file without ``two``)."""
    run = _untracked_session(base, layout)
    (run.cwd / "work.txt").write_text("w\n")
    emacs_edit(run.cwd, run.file, type_note(NOTE), _cli(run, "log", "--progress", "two"),
               ["git", "stash", "-u", "-q"])
    text = run.path.read_text()
    assert "] two" not in text and NOTE in text, text
    return run


def _nothing_lost(run: Agent) -> None:
    text = run.path.read_text()
    assert _entries(text, "one", "two", "three") == {"one": 1, "two": 1, "three": 1}, text
    assert text.count(NOTE) == 1, text
    assert git(run.cwd, "stash", "list").stdout == ""
    assert (run.cwd / "work.txt").read_text() == "w\n"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_writes_advice_for_an_untracked_stashed_file_works_pasted(tmp_path: Path,
                                                                        layout: str) -> None:
    """A4: the ``log`` that goes into the recreated file advises no commit of a file git
    does not track, but ``status``, whose commands (said once the write is done: they
    merge it back in), pasted, bring ``two`` back with the note and ``three``, and pop
    the stash."""
    run = _stashed_untracked(tmp_path.resolve(), layout)
    done = run("log", "--progress", "three")
    said = _flat(done.stderr)
    assert "git commit" not in said and "run ai-protocols status" in said, said
    _paste(run.cwd, _said(run("status")), "back with:")
    _nothing_lost(run)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_status_advice_after_the_write_works_pasted(tmp_path: Path, layout: str) -> None:
    """A4: ``status`` after that write says the same commands, which work pasted."""
    run = _stashed_untracked(tmp_path.resolve(), layout)
    run("log", "--progress", "three")
    said = _said(run("status"))
    assert "git commit" not in said and "untracked" in said, said
    _paste(run.cwd, said, "back with:")
    _nothing_lost(run)
    assert "session file" not in _said(run("status")).lower()


def test_a_tracked_stashed_file_keeps_the_commit_and_pop(tmp_path: Path) -> None:
    """The guard of A4: a session file git tracks, taken by ``git stash``, a stale save
    recreating an older one: the commit then the pop still advised, and it works."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    buffer = run.path.read_bytes()
    run("log", "--progress", "two")
    git(run.cwd, "stash", "-q")
    save(run.path, typed_in(buffer), "inplace")
    done = run("log", "--progress", "three")
    said = _flat(done.stderr)
    found = re.search(r"git commit -m 'Session' -- (\S+), then git stash pop", said)
    assert found is not None, said
    git(run.cwd, "commit", "-q", "-m", "Session", "--", found.group(1))
    git(run.cwd, "stash", "pop")
    text = run.path.read_text()
    assert _entries(text, "two", "three") == {"two": 1, "three": 1}, text


# -- A5: an editor's save after a wrap-up ----------------------------------------------------


def test_a_buffer_saved_after_the_wrap_up_is_named_an_editors_save(tmp_path: Path) -> None:
    """A5: ``status`` and ``start`` name the editor's save of a buffer opened before the
    wrap-up (not git), and keep the advice: ``merge-kept`` into the archive."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    emacs_edit(run.cwd, run.file, type_note(NOTE), [str(CLI), "wrap-up", "Done it"])
    assert NOTE in run.path.read_text()
    for command in ("status", "start"):
        done = run(command, check=False)
        said = _said(done)
        assert "editor's save of a buffer opened before the wrap-up" in said, said
        assert "that git or a copy put back" not in said, said
        assert "merge-kept" in said, said
    assert run("start", check=False).returncode == 7


def test_a_copy_git_put_back_after_the_wrap_up_is_named_gits(tmp_path: Path) -> None:
    """The guard of A5: ``git checkout -- FILE`` after the wrap-up (git's index says git
    wrote it) is named git's, not an editor's save."""
    run, _other = two_clones(tmp_path.resolve(), "single")
    run("wrap-up", "Done it")
    git(run.cwd, "checkout", "--", str(run.file))
    said = _said(run("status", check=False))
    assert "git put it back" in said and "editor's save" not in said, said


# -- A6: one wording of a stale save, from one function --------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_stale_emacs_save_is_said_alike_by_status_resume_and_log(tmp_path: Path,
                                                                   layout: str) -> None:
    """A6: a buffer opened before ``log two``, a note typed, saved after (the session
    never committed): ``status``, ``resume`` and the refused ``log`` give the one cause,
    never a git command's."""
    run = _untracked_session(tmp_path.resolve(), layout)
    emacs_edit(run.cwd, run.file, type_note(NOTE), _cli(run, "log", "--progress", "two"))
    for said in (_said(run("status")), _said(run("resume"))):
        assert EDITOR in said, said
        assert "git stash, git reset" not in said and "reset or checkout" not in said, said
    done = run("log", "--progress", "three", check=False)
    assert done.returncode == 6, done.stderr
    assert EDITOR in _flat(done.stderr), done.stderr
    text = run.path.read_text()
    assert NOTE in text and "] three" not in text, text


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=30).filter(lambda t: t.strip() == t and t[:1] not in
                                                    "*#:-+|[" and not t[:1].isdigit()),
       how=st.sampled_from(["rename", "inplace"]))
def test_any_stale_save_git_did_not_write_is_named_the_editors(
        tmp_path_factory: pytest.TempPathFactory, note: str, how: str) -> None:
    """Hypothesis, A6: whatever line is typed, however the buffer is written, a save
    over the tool's write that git did not make is said alike by ``status`` and
    ``log``, and the refusal keeps the typed line byte for byte."""
    run = _untracked_session(tmp_path_factory.mktemp("h").resolve(), "single")
    buffer = run.path.read_bytes()
    run("log", "--progress", "two")
    typed = note.encode("utf-8") + b"\n"
    save(run.path, typed_in(buffer, typed), how)
    assert EDITOR in _said(run("status"))
    done = run("log", "--progress", "three", check=False)
    assert done.returncode == 6 and EDITOR in _flat(done.stderr), done.stderr
    assert typed in run.path.read_bytes()


def test_the_session_start_hook_says_the_same_cause(tmp_path: Path) -> None:
    """A6 through the SessionStart hook: its context names the editor's save as
    ``status`` does (one function), never a git command."""
    base = tmp_path.resolve()
    git(base, "init", "-q", "-b", "main")
    (base / "README").write_text("x\n")
    Agent(base)("init")
    commit(base, "init")
    event = {"session_id": "7c0e2f43-1d2b-4c58-9a4e-0a1b2c3d4e5f", "cwd": str(base),
             "transcript_path": "/tmp/t.jsonl", "hook_event_name": "SessionStart",
             "source": "startup"}

    def hook(source: str) -> str:
        done = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                              cwd=base, input=json.dumps({**event, "source": source}),
                              capture_output=True, text=True, env=clean_env(), timeout=60)
        assert done.returncode == 0, done.stderr
        return _flat(done.stdout + done.stderr)

    hook("startup")
    files = list((base / ".ai" / "session-context.d").glob("*.org"))
    assert len(files) == 1, files
    run = Agent(base, files[0].stem)
    run("log", "--progress", "one")
    buffer = run.path.read_bytes()
    run("log", "--progress", "two")
    save(run.path, typed_in(buffer), "rename")
    said = hook("resume")
    assert EDITOR in said, said
    assert "git stash, git reset" not in said and "reset or checkout" not in said, said
