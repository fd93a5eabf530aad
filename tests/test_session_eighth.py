"""Issue 14, the seventh review (the eighth round on sessions against git and other
agents): a session file or task board that git's index holds unmerged without
markers, a paused session another agent adopted, path options and ``@FILE``, a
branch name that is not UTF-8, integer options, and compaction against a pause.

Real git, real clones, the installed console script (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from gitkit import git
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

SESSION = ".ai/session-context.org"


def _clones(base: Path) -> tuple[Path, Path]:
    """A bare origin and two clones of it, ``a`` (which started a session and pushed)
    and ``b``, each after ``init``."""
    origin = base / "o.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(origin), str(a))
    Runner(a)("init")
    Runner(a)("start", "--title", "Shared")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "base")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(base, "clone", "-q", "-b", "main", str(origin), str(b))
    Runner(b)("init")
    return a, b


def _modify_delete(base: Path) -> tuple[Path, Path]:
    """``a`` wraps the session up and pushes; ``b`` logged much meanwhile (so that git
    sees no rename) and merges: a modify/delete conflict, the session file unmerged
    (``UD``) without markers."""
    a, b = _clones(base)
    Runner(a)("log", "--discovery", "A" * 3000)
    Runner(a)("wrap-up", "done in a")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "wrap-up")
    git(a, "push", "-q", "origin", "HEAD:main")
    for i in range(30):
        Runner(b)("log", "--progress", f"b item {i} with some text to grow the file {i}")
    git(b, "commit", "-q", "-am", "b")
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert git(b, "status", "--short", "--", SESSION).startswith("UD")
    return a, b


def test_a_session_file_git_left_unmerged_after_a_modify_delete_is_never_written(
        tmp_path: Path) -> None:
    """The other clone wrapped the session up, this one kept logging: git leaves the
    file unmerged without markers. Every write refuses (exit 6) naming the archive and
    what ``git rm`` and ``git add`` mean, the file unchanged; status, show and resume
    warn; once resolved (``git rm``), writes go on."""
    _, b = _modify_delete(tmp_path.resolve())
    run = Runner(b)
    before = (b / SESSION).read_bytes()
    archive = next((b / ".ai" / "sessions").glob("*.org"))
    for args in (("log", "--progress", "after the merge"), ("pause", "--note", "lunch"),
                 ("wrap-up", "done in b")):
        done = run(*args, check=False)
        assert done.returncode == 6, (args, done.stderr)
        said = done.stderr
        assert "modify/delete" in said and "wrapped this session up" in said
        assert str(archive) in said and "git rm" in said and "git add" in said
        assert (b / SESSION).read_bytes() == before
    for args in (("status",), ("show",), ("resume",)):
        done = run(*args)
        assert "modify/delete" in done.stdout + done.stderr, args
        assert str(archive) in done.stdout + done.stderr
    git(b, "rm", "-q", SESSION)
    run("start", "--title", "After")
    run("log", "--progress", "logged again")


def _driver_gone(base: Path) -> tuple[Path, Path]:
    """Both clones log; ``a``'s merge driver program is gone when it merges: git says
    CONFLICT and keeps ``a``'s side only, stages 1 to 3, no markers."""
    a, b = _clones(base)
    Runner(b)("log", "--progress", "from b")
    git(b, "commit", "-q", "-am", "b")
    git(b, "push", "-q", "origin", "HEAD:main")
    Runner(a)("log", "--progress", "from a")
    git(a, "commit", "-q", "-am", "a")
    git(a, "config", "merge.ai-protocols.driver",
        "/moved/away/ai-protocols merge-driver --marker-size %L %O %A %B %P")
    git(a, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert git(a, "status", "--short", "--", SESSION).startswith("UU")
    assert b"<<<<<<<" not in (a / SESSION).read_bytes()
    return a, b


def test_a_session_file_a_missing_merge_driver_left_unmerged_is_never_written(
        tmp_path: Path) -> None:
    """Without markers, the file holds our side only: a write refuses (exit 6) and
    says how to merge again (``ai-protocols init``, ``git checkout -m``); done so, the
    file holds both sides' entries, and after ``git add`` writes go on."""
    a, _ = _driver_gone(tmp_path.resolve())
    run = Runner(a)
    before = (a / SESSION).read_bytes()
    done = run("log", "--progress", "after the failed merge", check=False)
    assert done.returncode == 6
    assert "ai-protocols init" in done.stderr and "git checkout -m" in done.stderr
    assert (a / SESSION).read_bytes() == before
    warned = run("show")
    assert "git checkout -m" in warned.stderr and "from b" not in warned.stdout
    run("init")
    git(a, "checkout", "-m", SESSION)
    assert b"from b" in (a / SESSION).read_bytes()
    git(a, "add", SESSION)
    run("log", "--progress", "after the merge")
    assert "after the merge" in run("show").stdout


def test_the_task_board_git_left_unmerged_is_refused_as_with_markers(tmp_path: Path) -> None:
    """The same rule for ``.ai/tasks.org``: unmerged without markers (a driver that did
    not run), no board command reads or writes it (exit 6), unchanged."""
    base = tmp_path.resolve()
    a, b = _clones(base)
    Runner(a)("task", "add", "Base task")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "board")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "origin", "main")
    Runner(b)("task", "add", "From b")
    git(b, "commit", "-q", "-am", "b")
    git(b, "push", "-q", "origin", "HEAD:main")
    Runner(a)("task", "add", "From a")
    git(a, "commit", "-q", "-am", "a")
    git(a, "config", "merge.ai-protocols.driver",
        "/moved/away/ai-protocols merge-driver --marker-size %L %O %A %B %P")
    git(a, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    board = a / ".ai" / "tasks.org"
    assert git(a, "status", "--short", "--", ".ai/tasks.org").startswith("UU")
    before = board.read_bytes()
    for args in (("task", "add", "Another"), ("task", "list")):
        done = Runner(a)(*args, check=False)
        assert done.returncode == 6, (args, done.stderr)
        assert "task board" in done.stderr and "git checkout -m" in done.stderr
    assert board.read_bytes() == before


def test_outside_a_merge_log_runs_no_git(project: Path, run: Runner, tmp_path: Path) -> None:
    """The check reads git's index only while a merge (or rebase, cherry-pick) is under
    way: a ``git`` on PATH that records its runs is not run by ``log``."""
    run("start", "--title", "Quiet")
    fake = tmp_path / "fakebin"
    fake.mkdir()
    ran = tmp_path / "git-ran"
    script = fake / "git"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {ran}\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    run("log", "--progress", "a step", env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert not ran.exists() or "ls-files" not in ran.read_text()
    (project / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")  # (as a merge leaves)
    run("log", "--progress", "another step", env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert ran.exists() and "ls-files" in ran.read_text()


# -- 3. a path option never reads @FILE ------------------------------------------------------


def test_a_key_file_starting_with_at_is_a_path_never_a_file_to_read(project: Path,
                                                                     run: Runner) -> None:
    """``--key-file @types/index.d.ts`` (npm's scoped folders) is that path, absent or
    present, never the content of ``types/index.d.ts``; ``-`` is a path there too and
    leaves standard input to a text option."""
    run("start", "--title", "Key files")
    run("log", "--key-file", "@types/index.d.ts")  # (absent: the path still goes in)
    (project / "types").mkdir()
    (project / "types" / "index.d.ts").write_text("src/wrong.py\n")
    (project / "@scope").mkdir()
    (project / "@scope" / "a.ts").write_text("x\n")
    run("log", "--key-file", "@scope/a.ts")
    shown = run("show").stdout
    assert "@types/index.d.ts" in shown and "@scope/a.ts" in shown
    assert "src/wrong.py" not in shown


@settings(max_examples=8, deadline=None)
@given(name=st.text(alphabet="abcxyz_.-@", min_size=1, max_size=12))
def test_any_key_file_name_is_recorded_as_given_property(
        tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    """Whatever a key file is named (``@`` first or not), the path recorded is that name,
    never what a file of another name holds."""
    root = tmp_path_factory.mktemp("kf").resolve()
    git(root, "init", "-q")
    run = Runner(root)
    run("init")
    run("start", "--title", "Names")
    (root / "target").write_text("src/wrong.py\n")
    (root / name.lstrip("@")).write_text("src/wrong.py\n") if name.strip("@.") else None
    done = run("log", "--key-file", f"@{name}")
    assert done.returncode == 0
    shown = run("show").stdout
    assert f"@{name}" in shown and "src/wrong.py" not in shown


# -- 6. one rule for integer options; a note shown as given -----------------------------------


@pytest.mark.parametrize("value", [" 3000", "3000 ", "+3000", "3_000", "\uff13\uff10\uff10\uff10",
                                   "\u0663\u0660\u0660\u0660", "0x1000"])
def test_an_integer_option_takes_ascii_digits_only(project: Path, run: Runner,
                                                   value: str) -> None:
    """``resume --max-bytes`` (both paths) and ``merge-driver --marker-size``: only ASCII
    digits, else a usage error (exit 2) naming the value and the rule."""
    run("start", "--title", "Numbers")
    for args in (("resume", "--max-bytes", value), ("resume", f"--max-bytes={value}")):
        done = run(*args, check=False)
        assert done.returncode == 2, (args, done.stderr)
        assert "ASCII digits only" in done.stderr
    for name in ("base", "ours", "theirs"):
        (project / name).write_text("x\n")
    done = run("merge-driver", "--marker-size", value, "base", "ours", "theirs", check=False)
    assert done.returncode == 2 and "ASCII digits only" in done.stderr
    assert run("resume", "--max-bytes", "3000").returncode == 0


@pytest.mark.parametrize("value", [" ", "  \t", "\n"])
def test_a_white_space_note_is_refused_naming_the_value_given(project: Path, run: Runner,
                                                              value: str) -> None:
    """``pause --note ' '``: refused (exit 4), the value given shown escaped, not ''."""
    run("start", "--title", "Notes")
    shown = repr(value)
    for args in (("pause", "--note", value), ("abandon", "--reason", value),
                 ("checkpoint", "--note", value)):
        done = run(*args, check=False)
        assert done.returncode == 4, (args, done.stderr)
        assert f"{args[1][2:]} {shown} cannot be used" in done.stderr, done.stderr


# -- 2. a paused session another agent adopted ------------------------------------------------


def test_an_agent_whose_paused_session_was_adopted_is_told_by_whom_when_and_where(
        project: Path, run: Runner) -> None:
    """``recover ID --adopt --force`` of a paused session: its agent's next ``resume``,
    ``start`` and the resume context after it (what SessionStart gives) say who adopted
    it, when, and the file it carries on in."""
    git(project, "commit", "-q", "--allow-empty", "-m", "c1")
    me, taker = "orig.1796000001", "taker.1796000000"
    run("start", "--title", "Mine", agent=me)
    run("log", "--current", "my step", agent=me)
    run("pause", "--no-checkpoint", "--note", "lunch", agent=me)
    run("recover", me, "--adopt", "--force", agent=taker)
    theirs = str(project / ".ai" / "session-context.d" / f"{taker}.org")
    before = run("resume", agent=me).stdout
    assert f"adopted by {taker} at " in before and theirs in before
    started = run("start", agent=me).stdout
    assert f"adopted by {taker} at " in started and theirs in started
    assert "Started a fresh session" in started
    for args in (("resume",), ("resume", "--json")):
        context = run(*args, agent=me).stdout
        assert f"adopted by {taker} at " in context and theirs in context, args
    run("log", "--progress", "new work", agent=me)
    assert "adopted by" not in run("resume", agent=me).stdout  # (said until work goes on)


def test_a_session_start_hook_after_an_adoption_says_so(project: Path, run: Runner) -> None:
    """The Claude Code path: SessionStart (source resume) after the paused session was
    adopted gives a context that names the adopter and its file."""
    git(project, "commit", "-q", "--allow-empty", "-m", "c1")
    env = {"CLAUDE_CODE_SESSION_ID": "sess-3"}
    payload = '{"session_id":"sess-3","hook_event_name":"SessionStart","source":"%s"}'
    hook = [str(CLI), "hook", "SessionStart", "--runtime", "claude"]
    subprocess.run(hook, input=payload % "startup", cwd=project, text=True, check=True,
                   env=clean_env(**env), capture_output=True)
    mine = next((project / ".ai" / "session-context.d").glob("*sess-3*.org"))
    run("log", "--current", "s3 step", env=env)
    run("pause", "--no-checkpoint", "--note", "s3 pause", env=env)
    run("recover", str(mine), "--adopt", "--force", agent="taker2.1796000000")
    done = subprocess.run(hook, input=payload % "resume", cwd=project, text=True,
                          check=True, env=clean_env(**env), capture_output=True)
    assert "adopted by taker2.1796000000 at " in done.stdout
    assert "taker2.1796000000.org" in done.stdout


# -- 4. a branch whose name is not UTF-8 --------------------------------------------------------


@settings(max_examples=5, deadline=None)
@given(name=st.lists(st.sampled_from([b"br", b"x", b"\xff", b"\xe9", b"\xc3\xa9", b"-", b"\x80"]),
                     min_size=1, max_size=5).map(lambda parts: b"b" + b"".join(parts)))
def test_a_branch_named_in_any_bytes_is_recorded_and_compared_as_those_bytes_property(
        tmp_path_factory: pytest.TempPathFactory, name: bytes) -> None:
    """git allows any bytes in a branch's name: the session records it (each byte that is
    not UTF-8 as ``\\xNN``, as ``display`` shows it), ``start``, ``resume`` and a
    checkpoint compare it as those bytes (no "rolled back" warning on the very branch),
    and nothing prints a U+FFFD."""
    root = tmp_path_factory.mktemp("br").resolve()
    git(root, "init", "-q")
    git(root, "commit", "-q", "--allow-empty", "-m", "c1")
    subprocess.run([b"git", b"-C", os.fsencode(root), b"switch", b"-qc", name], check=True,
                   capture_output=True)
    run = Runner(root)
    run("init")
    run("start", "--title", "Bytes")
    run("log", "--progress", "on this branch")
    shown = name.decode("utf-8", "backslashreplace")
    text = (root / SESSION).read_text(encoding="utf-8")
    assert f":GIT_BRANCH: {shown}\n" in text
    run("checkpoint")
    for args in (("resume",), ("start",), ("resume", "--json"), ("status",)):
        done = run(*args)
        said = done.stdout + done.stderr
        assert "rolled back" not in said and "\ufffd" not in said, (args, said)
    assert f"branch {shown}," in run("resume").stdout


# -- 6. a compaction is no resumption ---------------------------------------------------------


def test_a_compaction_leaves_a_paused_session_paused_as_the_other_hooks_do(
        project: Path, run: Runner) -> None:
    """SessionStart with ``source: compact`` (the agent was running; it did not come
    back), as Stop, UserPromptSubmit and PreCompact, leaves a paused session paused; a
    SessionStart of ``resume`` resumes it."""
    env = {"CLAUDE_CODE_SESSION_ID": "sess-c"}
    hook = [str(CLI), "hook"]

    def fire(event: str, **fields: str) -> None:
        payload = json.dumps({"session_id": "sess-c", "hook_event_name": event, **fields})
        subprocess.run([*hook, event, "--runtime", "claude"], input=payload, cwd=project,
                       text=True, check=True, env=clean_env(**env), capture_output=True)

    fire("SessionStart", source="startup")
    run("log", "--current", "a step", env=env)
    run("pause", "--no-checkpoint", "--note", "waiting", env=env)
    for event, fields in (("UserPromptSubmit", {"prompt": "continue"}), ("Stop", {}),
                          ("PreCompact", {"trigger": "auto"}),
                          ("SessionStart", {"source": "compact"})):
        fire(event, **fields)
        rows = json.loads(run("status", "--json", env=env).stdout)
        assert [r["state"] for r in rows] == ["paused"], (event, rows)
    fire("SessionStart", source="resume")
    rows = json.loads(run("status", "--json", env=env).stdout)
    assert [r["state"] for r in rows] != ["paused"]


def test_a_session_file_this_side_removed_and_the_other_changed_is_never_written(
        tmp_path: Path) -> None:
    """The other way round (``DU``): this clone wrapped the session up, the other kept
    logging; git puts the other side's version back, unmerged. Every write refuses
    (exit 6) saying this side removed it and what ``git rm`` and ``git add`` keep."""
    a, b = _clones(tmp_path.resolve())
    for i in range(30):
        Runner(b)("log", "--progress", f"b item {i} with some text to grow the file {i}")
    git(b, "commit", "-q", "-am", "b")
    git(b, "push", "-q", "origin", "HEAD:main")
    Runner(a)("log", "--discovery", "A" * 3000)
    Runner(a)("wrap-up", "done in a")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "wrap-up")
    git(a, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert git(a, "status", "--short", "--", SESSION).startswith("DU")
    before = (a / SESSION).read_bytes()
    done = Runner(a)("log", "--progress", "after", check=False)
    assert done.returncode == 6, done.stderr
    # (this side archived it: the advice merges the other side into the archive, issue
    # 14, seventeenth round, tests/test_rename_seventeenth.py)
    assert "this side wrapped this session up" in done.stderr and "git rm" in done.stderr
    assert "ai-protocols merge-kept" in done.stderr
    assert (a / SESSION).read_bytes() == before
