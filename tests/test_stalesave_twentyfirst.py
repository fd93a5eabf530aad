"""A stale save of the session file, issue 14, twenty-first round (docs/decisions.md,
"Issue 14, twenty-first round (the stale save's refusal)", "(a stale save in a fresh
clone)").

An Emacs buffer opened on the session file before a ``git pull`` and saved after it
lacks what the pull brought. The faults found after the twentieth round, each a test
here that fails on the code before:

1. the refusal (exit 6) where both sides changed the summary: after the printed
   commands were followed once, the next write refused again (``HEAD``'s summary, moved
   into a Log line by the merge, or settled by hand from conflict markers, was counted
   as something the file lacks);
2. the same stale save over a plain ``git pull`` (the tool's write committed first)
   went through the rule of an older version put back: the write went into the stale
   file, the pull's entries and the tool's own left it, and the words blamed a reset or
   a checkout; it is now refused with the same commands as the ``--autostash`` variant;
3. ``merge-kept``'s by-hand advice named nothing of what the ``cp`` it gives loses;
4. (the board: tests/test_boardline_twentyfirst.py);
5. a stale save in a clone where the tool never wrote (no kept copy) was not found;
6. ``status`` and ``resume`` said nothing before the write in these cases; they now say
   what the write does, by the write's own functions (merge, or refuse with the
   commands).

Two real clones of a bare repository, real ``git pull``, the installed console script;
the save written as Emacs writes a buffer (the bytes it was opened on, edited, a new
file renamed into place).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitkit import pasted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_driver import git
from test_stale_fourteenth import before  # noqa: F401 (its fixture, a rolled-over file)
from test_stalesave_twentieth import SESSION, _clones, _commit, _save, _things

from conftest import Runner

KEPT = Path(".ai") / ".locks" / "live" / "session-context.org"
TYPED = "typed-by-hand note, kept"
_MARKERS = re.compile(r"^<<<<<<<[^\n]*\n(.*?)^=======\n.*?^>>>>>>>[^\n]*\n", re.M | re.S)


def _summarised(base: Path) -> tuple[Path, Path, Runner, Runner]:
    """:func:`_clones`, then ``a`` gives the session a summary, pushed, and ``b`` pulls
    it (a fast-forward): the version a buffer in ``b`` is opened on."""
    a, b, run_a, run_b = _clones(base)
    run_a("log", "--summary", "First summary")
    _commit(a, "summary")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    return a, b, run_a, run_b


def _a_changes(a: Path, run_a: Runner, summary: str) -> None:
    """``a`` logs an entry and ticks a next step, and changes the summary: through the
    tool (``summary == "tool"``: a ``summary: updated`` Log line) or by hand in its file
    (``"hand"``), or not at all (``"none"``); commits and pushes."""
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    if summary == "hand":
        path = a / SESSION
        path.write_text(path.read_text().replace("\nFirst summary\n", "\nSummary of a\n"))
    more = ("--summary", "Summary of a") if summary == "tool" else ()
    run_a("log", "--progress", "a1-pulled", "--done", "n1-step", *more)
    _commit(a, "a 1")
    git(a, "push", "-q", "origin", "HEAD:main")


def _b_pulls(b: Path, how: str) -> None:
    """``b`` pulls: ``autostash`` leaves its uncommitted write over the pull; ``pull``
    commits it first and pulls plainly (a merge through the driver)."""
    if how == "autostash":
        git(b, "pull", "-q", "--no-rebase", "--autostash", "origin", "main")
        return
    _commit(b, "b's write")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")


def _refusal_commands(said: str) -> str:
    """The commands a stale save's refusal (or status's warning of it) prints."""
    flat = " ".join(said.split())
    found = re.search(r"(ai-protocols merge-driver \S+ \S+ \S+ \S+?)(?: \(from|; it was)",
                      flat)
    assert found, flat
    return found.group(1)


def _follow(b: Path, commands: str) -> str:
    """The refusal's commands pasted into bash; conflict markers they leave settled as a
    person who keeps their own side does. The file's text after."""
    done = pasted(b, commands)
    assert done.returncode in (0, 1), done.stderr
    text = (b / SESSION).read_text(encoding="utf-8")
    if done.returncode == 1:
        assert "<<<<<<<" in text, text
        text = _MARKERS.sub(r"\1", text)
        (b / SESSION).write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize("how", ["autostash", "pull"])
@pytest.mark.parametrize("summary", ["tool", "hand"])
def test_the_refusals_commands_followed_once_let_the_next_write_through(
        tmp_path: Path, summary: str, how: str) -> None:
    """Both changed the summary (``a`` through the tool: the driver keeps the person's
    and writes ``a``'s into the Log; by hand: conflict markers, settled for the person's
    words): the write refuses (exit 6), ``status`` said so beforehand with the same
    commands; once they are followed, ``status`` warns no more and the next write goes
    through (the code before refused it again), every entry, tick and typed line kept,
    and ``a``'s summary too where the driver kept it."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _summarised(base)
    opened = (b / SESSION).read_text(encoding="utf-8")
    _a_changes(a, run_a, summary)
    run_b("log", "--progress", "b1-wrote")
    _b_pulls(b, how)
    saved = opened.replace("\nFirst summary\n", "\nSummary typed in b\n") + f"{TYPED}\n"
    _save(b, saved.encode(), "rename")
    status = run_b("status").stdout
    assert "refuses it (exit 6)" in status, status
    refused = run_b("log", "--progress", "w8-refused", check=False)
    assert refused.returncode == 6, refused.stderr
    assert (b / SESSION).read_text(encoding="utf-8") == saved  # (nothing written)
    commands = _refusal_commands(refused.stderr)
    assert commands == _refusal_commands(status)  # (one rule: the write's)
    _follow(b, commands)
    assert "refuses" not in run_b("status").stdout
    run_b("log", "--progress", "w9-next")
    text = (b / SESSION).read_text(encoding="utf-8")
    items, ticked = _things(text)
    assert {"a0-start", "a1-pulled", "b1-wrote", "w9-next"} <= items, text
    assert "n1-step" in ticked and TYPED in text and "Summary typed in b" in text, text
    if summary == "tool":  # (the driver's: the summary that gave way, in the Log)
        assert "gave way to the other clone's (the one a person edited): Summary of a" \
            in text, text
    assert not list((b / KEPT).parent.glob("*.head")), "the refusal's copies stay"


def test_a_buffer_on_the_settled_file_saved_after_another_pull_is_a_stale_save(
        tmp_path: Path) -> None:
    """The file the refusal's commands made carries their write record, which the next
    write takes as settled by the person; but only while ``HEAD`` stays: a buffer
    opened on that file, another pull, the buffer saved, is a stale save again, and
    what the second pull brought is not lost (merged back, or refused with commands
    that keep it)."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _summarised(base)
    opened = (b / SESSION).read_text(encoding="utf-8")
    _a_changes(a, run_a, "tool")
    run_b("log", "--progress", "b1-wrote")
    _b_pulls(b, "autostash")
    saved = opened.replace("\nFirst summary\n", "\nSummary typed in b\n") + f"{TYPED}\n"
    _save(b, saved.encode(), "rename")
    refused = run_b("log", "--progress", "w8-refused", check=False)
    assert refused.returncode == 6, refused.stderr
    settled = _follow(b, _refusal_commands(refused.stderr))  # (the buffer, reverted)
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    run_a("log", "--progress", "a2-pulled", "--done", "n2-step")
    _commit(a, "a 2")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "--autostash", "origin", "main")
    assert "a2-pulled" in (b / SESSION).read_text(encoding="utf-8")
    _save(b, (settled + "typed again\n").encode(), "rename")
    done = run_b("log", "--progress", "w9-next", check=False)
    if done.returncode == 6:  # (left to the person: followed, then written)
        _follow(b, _refusal_commands(done.stderr))
        done = run_b("log", "--progress", "w9-next")
    assert done.returncode == 0, done.stderr
    text = (b / SESSION).read_text(encoding="utf-8")
    items, ticked = _things(text)
    assert {"a1-pulled", "a2-pulled", "b1-wrote", "w9-next"} <= items, text
    assert {"n1-step", "n2-step"} <= ticked and "typed again" in text, text


@pytest.mark.parametrize("how", ["autostash", "pull"])
def test_a_stale_save_of_a_plain_pull_is_refused_as_the_autostash_one_is(
        tmp_path: Path, how: str) -> None:
    """The buffer opened before the tool's write, the pull ticks an entry the person
    rewords in it: both changed one line. Over a plain pull (the write committed
    first) the write went into the stale file as into a version git put back (exit 0,
    a ``replaced:`` Log line, the pull's entry and tick and the tool's ``b1-wrote``
    gone from the file, "a git reset or checkout" said); it now refuses as over
    ``--autostash``, with the same words and commands, which keep everything."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    opened = (b / SESSION).read_text(encoding="utf-8")
    _a_changes(a, run_a, "none")
    run_b("log", "--progress", "b1-wrote")
    _b_pulls(b, how)
    saved = opened.replace("] n1-step\n", "] n1-step, reworded in b\n") + f"{TYPED}\n"
    _save(b, saved.encode(), "rename")
    status = " ".join(run_b("status").stdout.split())
    assert "saved from an editor's buffer opened before git changed it" in status, status
    assert "refuses it (exit 6)" in status and "put it back?" not in status, status
    refused = run_b("log", "--progress", "w8-refused", check=False)
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 6, said
    assert "an editor's buffer opened before git changed the file" in said, said
    assert "git reset or checkout" not in said and "git put an older" not in said, said
    assert (b / SESSION).read_text(encoding="utf-8") == saved
    _follow(b, _refusal_commands(said))
    run_b("log", "--progress", "w9-next")
    text = (b / SESSION).read_text(encoding="utf-8")
    items, _ticked = _things(text)
    assert {"a0-start", "a1-pulled", "b1-wrote", "w9-next"} <= items, text
    assert "n1-step, reworded in b" in text and TYPED in text, text
    assert "replaced:" not in text, text


def test_status_and_resume_say_the_next_write_merges_a_save_over_a_pull(
        tmp_path: Path) -> None:
    """The common case: a buffer opened on the tool's last write, a pull, a line typed,
    saved (the file carries the kept copy's write record, so it is no older version):
    ``status`` and ``resume`` said nothing before the write merged back what the pull
    brought; they now say that it will."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    run_b("log", "--progress", "b1-wrote")
    _commit(b, "b1")
    git(b, "push", "-q", "origin", "HEAD:main")
    opened = (b / SESSION).read_bytes()
    _a_changes(a, run_a, "none")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, opened + f"{TYPED}\n".encode(), "rename")
    for said in (run_b("status").stdout, run_b("resume").stdout):
        flat = " ".join(said.split())
        assert "it lacks 1 entry, 1 tick and 1 Log line" in flat, flat
        assert "the next write here merges the two on its own" in flat, flat
    done = run_b("log", "--progress", "w9-next")
    assert "merged back" in done.stderr, done.stderr
    items, ticked = _things((b / SESSION).read_text(encoding="utf-8"))
    assert {"a1-pulled", "b1-wrote", "w9-next"} <= items and "n1-step" in ticked


# -- a fresh clone: no kept copy ----------------------------------------------------------


@pytest.mark.parametrize("action", ["write", "merge-kept"])
@pytest.mark.parametrize("typed", [True, False])
def test_a_stale_save_in_a_fresh_clone_loses_nothing_the_pull_brought(
        tmp_path: Path, typed: bool, action: str) -> None:
    """The tool never wrote in ``b`` (no kept copy): the buffer opened on the version
    the clone checked out, a pull, the buffer saved. The save carries the write record
    of a version git committed before ``HEAD``'s: found by git's history, ``status``
    and ``resume`` say the next write merges, and it does (or ``merge-kept``). The code
    before dropped the pull's entry and tick, with no word."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    assert not (b / KEPT).exists()
    opened = (b / SESSION).read_bytes()
    _a_changes(a, run_a, "none")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    _save(b, opened + (f"{TYPED}\n".encode() if typed else b""), "rename")
    for said in (run_b("status").stdout, run_b("resume").stdout):
        flat = " ".join(said.split())
        assert "it lacks 1 entry, 1 tick and 1 Log line that git brought (HEAD:./" in flat \
            and " holds them)" in flat, flat
        assert "the next write here merges the two on its own" in flat, flat
    if action == "merge-kept":
        run_b("merge-kept", str(SESSION))
    run_b("log", "--progress", "w9-next")
    text = (b / SESSION).read_text(encoding="utf-8")
    items, ticked = _things(text)
    assert {"a0-start", "a1-pulled", "w9-next"} <= items and "n1-step" in ticked, text
    assert (TYPED in text) == typed and "merged back:" in text, text


def test_a_conflicting_stale_save_in_a_fresh_clone_is_refused_with_commands(
        tmp_path: Path) -> None:
    """The same, the person rewording the step the pull ticked: refused (exit 6), the
    refusal's files written beside where the kept copy goes, and its commands keep
    everything."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    opened = (b / SESSION).read_text(encoding="utf-8")
    _a_changes(a, run_a, "none")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    saved = opened.replace("] n1-step\n", "] n1-step, reworded in b\n")
    _save(b, saved.encode(), "rename")
    assert "refuses it (exit 6)" in run_b("status").stdout
    refused = run_b("log", "--progress", "w8", check=False)
    assert refused.returncode == 6, refused.stderr
    _follow(b, _refusal_commands(refused.stderr))
    run_b("log", "--progress", "w9-next")
    text = (b / SESSION).read_text(encoding="utf-8")
    items, _ = _things(text)
    assert {"a0-start", "a1-pulled", "w9-next"} <= items, text
    assert "n1-step, reworded in b" in text, text


@pytest.mark.parametrize("pulled", [False, True])
def test_a_persons_deletion_in_a_fresh_clone_stands(tmp_path: Path, pulled: bool) -> None:
    """The guard: in a fresh clone a person deletes an entry from a buffer opened on
    the version there (no pull since the clone, or after the pull): a deliberate
    deletion, not a stale save; nothing is said and nothing merged back."""
    base = tmp_path.resolve()
    a, b, run_a, run_b = _clones(base)
    if pulled:
        _a_changes(a, run_a, "none")
        git(b, "pull", "-q", "--no-rebase", "origin", "main")
        gone = "a1-pulled"
    else:
        gone = "a0-start"
    path = b / SESSION
    text = path.read_text(encoding="utf-8")
    path.write_text("".join(line for line in text.splitlines(True)
                            if not line.endswith(f"] {gone}\n")), encoding="utf-8")
    assert "warning" not in run_b("status").stdout
    done = run_b("log", "--progress", "w9-next")
    assert "merged back" not in done.stderr, done.stderr
    items, _ = _things(path.read_text(encoding="utf-8"))
    assert gone not in items and "w9-next" in items


# -- merge-kept's by-hand advice names what each holds ---------------------------------------


def test_merge_kept_by_hand_advice_names_what_the_cp_loses(repo: Path, run: Runner) -> None:
    """Both added a note by hand at the file's end (the kept copy's, made before the
    tool's last write; the file's, typed after ``git checkout -- FILE`` put the
    committed version back): ``merge-kept`` cannot merge; its advice to add by hand what
    only the kept copy holds before the ``cp`` names it by kind and count (the code
    before said only "what only the kept copy holds"); followed, nothing is lost."""
    (repo / "a").write_text("a\n")
    _commit(repo, "first")
    run("start", "--title", "K")
    run("log", "--progress", "step-1")
    _commit(repo, "step 1")
    path = repo / SESSION
    with path.open("a", encoding="utf-8") as out:
        out.write("NOTE B, typed before the tool's last write\n")
    run("log", "--progress", "step-2", "--done", "step-1")
    kept = (repo / KEPT).read_text(encoding="utf-8")
    git(repo, "checkout", "--", str(SESSION))
    with path.open("a", encoding="utf-8") as out:
        out.write("NOTE A, typed after the checkout\n")
    done = run("merge-kept", check=False)
    said = " ".join(done.stderr.split())
    assert done.returncode == 6, said
    assert "what only the kept copy holds: 1 entry, 1 tick, 1 Log line and 1 line " \
        "(compare them: diff " in said, said
    assert "(what of them is not added by then is lost)" in said, said
    # (followed: the kept copy's lines added by hand, then the cp it gives)
    mine = path.read_text(encoding="utf-8")
    added = [line for line in kept.splitlines(True) if line not in mine.splitlines(True)
             and not line.startswith(":")]
    step = next(line for line in added if line.endswith("] step-1\n"))
    mine = re.sub(r"^- \[ \] (\[[^]\n]*\]) step-1\n", lambda m: step, mine, flags=re.M)
    path.write_text(mine + "".join(line for line in added if line != step),
                    encoding="utf-8")
    copy = re.search(r"then run '(cp [^']+)'", said)
    assert copy, said
    assert pasted(repo, copy.group(1)).returncode == 0
    run("log", "--progress", "step-3")
    text = path.read_text(encoding="utf-8")
    items, ticked = _things_of(text)
    assert {"step-1", "step-2", "step-3"} <= items and "step-1" in ticked, text
    assert "NOTE A" in text and "NOTE B" in text


def _things_of(text: str) -> tuple[set[str], set[str]]:
    """The items of a session file by their words (``step-N``), and those ticked."""
    items = re.findall(r"^- \[([ X])\] \[[^]\n]*\] (step-\d)$", text, re.M)
    return {w for _, w in items}, {w for box, w in items if box == "X"}


# -- the summary a merge moved into the Log is no line the file lacks -----------------------


@pytest.fixture(scope="module")
def summarised(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A session file the tool wrote, with a summary ``First summary``."""
    root = (tmp_path_factory.mktemp("summary") / "proj").resolve()
    root.mkdir()
    git(root, "init", "-q")
    run = Runner(root)
    run("start", "--title", "S")
    run("log", "--summary", "First summary", "--progress", "p1")
    return (root / SESSION).read_bytes()


_words = st.text(st.characters(whitelist_categories=("L", "N", "Zs", "Po", "Pd", "Ps", "Pe"),
                               blacklist_characters="\r\n*#:|"),
                 min_size=1, max_size=40).map(lambda t: "w " + t.strip())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ours=_words, theirs=_words)
def test_a_summary_kept_in_the_merges_log_line_is_not_lacking(
        summarised: bytes, ours: str, theirs: str) -> None:
    """For any two summaries, one set through the tool (its ``summary: updated`` Log
    line) and one by hand: the driver keeps the person's and writes the other, whole,
    into a Log line; what the stale-save rule counts as lacking of the tool's side
    (``changes_lacking``) then holds no line of that summary (the code before counted
    it, and the next write refused again)."""
    from ai_protocols.session.merge import changes_lacking, merge_session_bytes

    if ours == theirs:
        return
    base = summarised
    text = base.decode("utf-8")
    stamp = re.search(r"^- (\[[^]\n]*\]) summary: updated$", text, re.M)
    assert stamp
    by_tool = (text.replace("\nFirst summary\n", f"\n{theirs}\n")
               + f"- {stamp.group(1)} summary: updated\n").encode("utf-8")
    by_hand = text.replace("\nFirst summary\n", f"\n{ours}\n").encode("utf-8")
    merged = merge_session_bytes(base, by_hand, by_tool)
    assert merged is not None and not merged.conflicts
    kept = merged.data.decode("utf-8")
    # (a Log line is written without blanks at its end: its words, not a summary line's
    # trailing space, are what it keeps; hypothesis found "w ")
    assert f"\n{ours}\n" in kept and theirs.rstrip() in kept.split("** Log", 1)[1], kept
    found = changes_lacking(merged.data, by_tool, also=(base,))
    assert found is not None and found[-1] == 0, (found, kept)


def test_merge_kept_by_hand_advice_after_a_rollover_names_what_the_cp_loses(
        before: tuple[Path, bytes, list[str]], tmp_path: Path) -> None:  # noqa: F811
    """The same advice where the newer version moved entries out (a rollover): the file
    is put aside and the newer version put back (``cp``), so what only the file holds is
    named (the code before: "what only FILE.older holds"), and the advice followed
    stores each entry once and keeps the person's summary."""
    import shlex
    import shutil
    import subprocess

    from test_stale_fourteenth import _save as _save_in_place
    from test_stale_fourteenth import _stored_once

    root = tmp_path / "proj"
    shutil.copytree(before[0], root, symlinks=True)
    run = Runner(root)
    run("log", "--summary", "The agent's summary")
    git(root, "commit", "-q", "-am", "summary")
    stale = (root / SESSION).read_bytes()
    run("log", "--decision", "Rolling " + "o" * 60_000, "--rationale", "big")
    run("log", "--progress", "After the rollover", "--summary", "The agent's new summary")
    _save_in_place(root, stale.replace(b"The agent's summary", b"The person's summary"),
                   in_place=False)
    done = run("merge-kept", check=False)
    said = " ".join(done.stderr.split())
    assert done.returncode == 6, said
    assert ".older holds (1 line, which the newer version lacks), an entry or an edit" \
        in said, said
    aside = said.split("keep the file aside (cp ", 1)[1].split(")", 1)[0]
    subprocess.run(["cp", *shlex.split(aside)], cwd=root, check=True)
    back = said.split("put the newer version back (cp ", 1)[1].split(")", 1)[0]
    subprocess.run(["cp", *shlex.split(back)], cwd=root, check=True)
    path = root / SESSION
    path.write_text(path.read_text().replace("The agent's new summary",
                                             "The person's summary"))
    Path(shlex.split(aside)[1]).unlink()
    run("log", "--progress", "Next")
    _stored_once(root, ["Rolling " + "o" * 60_000, "After the rollover", "Under the bound",
                        "Next", *before[2][::500], before[2][-1]])
    assert "The person's summary" in path.read_text()
