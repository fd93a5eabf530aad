"""A bounded session file: what moves, and what is printed (issue 16, sixth review of
part g; docs/decisions.md "Issue 16, sixth review (rollover output and what moves)").

The installed console script and hook run as subprocesses in temporary git
repositories, on files made past the real bound (4 MiB).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rollover import block, filler, insert, stamp, started, texts_of

from ai_protocols.session.rollover import BOUND

from conftest import CLI, Runner, clean_env


def _closed(section: str, count: int, tag: str) -> str:
    """``count`` closed items (``[X]``) of about 190 bytes, from minute 0 on."""
    return "".join(block([f"- [X] {stamp(n)} {tag}-{n:06d} " + "n" * 150])
                   for n in range(count))


@pytest.mark.parametrize("key", ["next-steps", "blockers"])
def test_closed_next_steps_and_blockers_move_as_closed_progress_items(
        project: Path, run: Runner, key: str) -> None:
    """5.7 MB of closed items in Next steps (or Blockers): the next write moves the
    oldest of them out, keeping the open ones, and the file is back under the bound."""
    path = started(run, project)
    text = insert(path.read_text(), key, _closed(key, 30_000, "CLOSED"))
    text = insert(text, key, block([f"- [ ] {stamp(50_000)} STILL-OPEN step"]))
    path.write_text(text)
    assert path.stat().st_size > BOUND

    result = run("log", "--progress", "roll now")

    assert path.stat().st_size < BOUND
    live, history = texts_of(project)
    assert len(history) == 1
    earlier = history[0].read_text()
    assert "CLOSED-000000 " in earlier and "CLOSED-000000 " not in live
    assert "STILL-OPEN step" in live and "STILL-OPEN step" not in earlier
    assert "Warning" not in result.stderr
    shown = json.loads(run("show", "--all", "--json").stdout)
    json_key = {"next-steps": "next", "blockers": "blockers"}[key]
    assert len(shown[json_key]) == 30_000 + 2  # (and started()'s own, open)


def test_log_warns_at_each_write_while_what_may_not_move_keeps_the_file_past_the_bound(
        project: Path, run: Runner) -> None:
    """5 MB of open next steps: nothing may move; the write that takes the file past
    the bound warns on stderr, naming the section that holds it, and so does each
    write after it (eleventh review: a file made past the bound by hand was never
    said), with no section said to hold 0.0 MiB."""
    path = started(run, project)
    opened = "".join(block([f"- [ ] {stamp(n)} OPEN-{n:06d} " + "o" * 150])
                     for n in range((BOUND - 60_000) // 192))
    path.write_text(insert(path.read_text(), "next-steps", opened))
    assert path.stat().st_size < BOUND

    past = BOUND - path.stat().st_size + 10_000
    first = run("log", "--context", "c" * past)  # takes it past the bound
    second = run("log", "--progress", "one more")

    assert path.stat().st_size > BOUND
    assert not (project / ".ai/history").exists()
    assert "Warning: the session file is still over 4 MiB" in first.stderr
    assert "(Next steps 3.9 MiB, " in first.stderr
    assert "still over 4 MiB" in second.stderr and "(Next steps 3.9 MiB, " in second.stderr
    assert "0.0 MiB" not in first.stderr + second.stderr


def test_a_rollover_that_leaves_the_file_past_the_bound_warns(project: Path, run: Runner
                                                              ) -> None:
    """2 MB of decisions and 4 MB of open next steps: the rollover moves the decisions,
    and the file stays past the bound: the write says so, naming Next steps."""
    path = started(run, project)
    decisions, _ = filler(0, 2_000_000, "old")
    opened = "".join(block([f"- [ ] {stamp(n)} OPEN-{n:06d} " + "o" * 150])
                     for n in range(BOUND // 190))
    path.write_text(insert(insert(path.read_text(), "decisions", decisions), "next-steps",
                           opened))

    result = run("log", "--progress", "roll now")

    assert len(texts_of(project)[1]) == 1
    assert path.stat().st_size > BOUND
    assert "still over 4 MiB" in result.stderr and "Next steps" in result.stderr
    assert "still over 4 MiB" in run("log", "--progress", "again").stderr


_FOLLOWUP = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1,
                    max_size=12).map(lambda s: "FOLLOWUP " + s)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(where=st.sampled_from(["decisions", "discoveries", "log", "progress", "next-steps"]),
       depth=st.integers(1, 3), followup=_FOLLOWUP, box=st.sampled_from(["[ ]", "[-]"]))
def test_an_entry_holding_an_open_checkbox_anywhere_under_it_stays(
        tmp_path_factory: pytest.TempPathFactory, where: str, depth: int, followup: str,
        box: str) -> None:
    """An open checkbox a person typed under the oldest entry of a movable section (at
    any depth): that entry stays in the live file with it, whatever else moves; the
    open item is shown and ``--done`` ticks it (under a Log entry: kept, and in ``show
    --json``; the Log's lines are no items to tick)."""
    root = tmp_path_factory.mktemp("nested") / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Runner(root)
    run("init")
    path = started(run, root)
    closed = where in ("progress", "next-steps")
    holder = [f"- {'[X] ' if closed else ''}{stamp(0)} HOLDER entry"] if where != "log" \
        else [f"- {stamp(0)} progress: HOLDER entry"]
    holder += ["  " * n + "  - a note" for n in range(depth - 1)]
    holder.append("  " * depth + f"- {box} {followup}")
    text = insert(path.read_text(), where, block(holder), first=True)
    bulk, _ = filler(1, BOUND + 200_000, "bulk")
    path.write_text(insert(text, "decisions", bulk))

    run("log", "--progress", "roll now")

    live, history = texts_of(root)
    assert len(history) == 1
    assert "HOLDER entry" in live and followup in live
    assert "HOLDER entry" not in history[0].read_text()
    assert "bulk decision 000000 " in history[0].read_text()
    if where == "log":  # (the Log is a chronology: not listed by show, nor ticked)
        assert followup in run("show", "--json").stdout
        return
    assert followup in run("show").stdout
    run("log", "--done", followup)
    assert f"- [X] {followup}" in path.read_text()


def test_done_ticks_an_open_checkbox_show_lists_under_a_decision(project: Path,
                                                                 run: Runner) -> None:
    """What ``show`` lists as an open item, ``--done`` can tick: a checkbox a person
    typed under a decision."""
    path = started(run, project)
    run("log", "--decision", "Use X", "--rationale", "Y is slow")
    text = path.read_text().replace("  - Rationale: Y is slow\n",
                                    "  - Rationale: Y is slow\n  - [ ] check with ops\n")
    path.write_text(text)
    assert "[ ] ?  check with ops" in run("show").stdout

    result = run("log", "--done", "check with ops")

    assert "  - [X] check with ops\n" in path.read_text()
    assert result.stdout == "logged done: check with ops\n"
    assert 'done: Decisions item "check with ops"' in path.read_text()
    assert "[ ] ?  check with ops" not in run("show").stdout


def _session_start(project: Path) -> str:
    payload = {"session_id": "abc", "cwd": str(project), "hook_event_name": "SessionStart",
               "source": "startup"}
    done = subprocess.run([str(CLI), "hook", "SessionStart", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=project, env=clean_env(), timeout=120, check=True)
    return done.stdout


def test_the_session_start_hook_that_rolls_the_file_over_tells_of_the_file_written(
        project: Path, run: Runner) -> None:
    """The SessionStart hook's write rolls a file past the bound over: the context it
    prints is that of the file as written (it names the earlier entries, and leaves
    out only what the file still holds), the very text the next SessionStart gives."""
    _session_start(project)
    (path,) = (project / ".ai/session-context.d").glob("*.org")
    decisions, _ = filler(0, BOUND + 400_000, "old")
    path.write_text(insert(path.read_text(), "decisions", decisions))

    first = _session_start(project)

    assert list((project / ".ai/history").rglob("*.org"))
    assert "older entries moved to 1 earlier-entries file: ai-protocols show --all" in first
    second = _session_start(project)
    assert first.splitlines()[:40] == second.splitlines()[:40]
    left = [line for line in first.splitlines() if line.startswith("Left out")]
    assert left == [line for line in second.splitlines() if line.startswith("Left out")]


@pytest.mark.parametrize("leftover", ["mine", "crashed"])
def test_start_on_a_big_leftover_session_prints_a_bounded_context(
        project: Path, run: Runner, leftover: str) -> None:
    """``start`` carrying on a session of 1 MB of decisions (its own, or one a crashed
    agent left) prints the resume context fitted to resume's bound, not the whole
    session: the newest decision is there, the rest is named (``ai-protocols show``)."""
    from ai_protocols.session.resume import DEFAULT_MAX_BYTES

    run("start", "--title", "Long work", as_another_agent=leftover == "crashed")
    path = project / ".ai/session-context.org"
    decisions, entries = filler(0, 1_000_000, "old")
    path.write_text(insert(path.read_text(), "decisions", decisions))

    out = run("start").stdout

    head = {"mine": "This session already started", "crashed": "did not wrap up"}[leftover]
    assert head in out
    assert len(out.encode()) < DEFAULT_MAX_BYTES + 600  # (start's own lines around it)
    assert "old decision 000000 " not in out
    assert entries[-1].splitlines()[0].split("] ", 1)[1] in out
    assert "ai-protocols show" in out


def test_start_on_a_small_leftover_session_prints_it_whole(project: Path, run: Runner) -> None:
    """A session that fits resume's bound: ``start`` prints it as ``show`` does."""
    run("start", "--title", "Short work")
    run("log", "--decision", "Use X", "--rationale", "Y is slow")
    out = run("start").stdout
    assert out.split("\n", 2)[2] == run("show").stdout


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.integers(2560, 10**6), how=st.sampled_from(
    ["fullwidth", "arabic", "space before", "space after", "plus", "underscore"]))
def test_an_integer_option_takes_ascii_digits_only(project: Path, run: Runner, number: int,
                                                   how: str) -> None:
    """``--max-bytes`` 500 in fullwidth digits, `` 500``, ``+500``, ``5_00``: int() reads
    them all;
    refused (a usage error, exit 2, on the fast path and click's alike), as not written
    in the digits 0-9."""
    digits = str(number)
    written = {"fullwidth": "".join(chr(0xFF10 + int(d)) for d in digits),
               "arabic": "".join(chr(0x0660 + int(d)) for d in digits),
               "space before": " " + digits, "space after": digits + " ",
               "plus": "+" + digits, "underscore": digits[0] + "_" + digits[1:]}[how]
    assert int(written) == number
    for args in (["resume", "--max-bytes", written], ["resume", f"--max-bytes={written}"],
                 ["resume", "--json", "--max-bytes", written]):
        result = run(*args, check=False)
        assert result.returncode == 2 and result.stdout == ""
        assert "is not a whole number: give ASCII digits only" in result.stderr
    assert run("resume", "--max-bytes", digits).returncode == 0


def test_start_refuses_an_empty_title_given(project: Path, run: Runner) -> None:
    """``start --title ""`` is refused (exit 4) as every empty text is, and starts
    nothing; ``start`` without ``--title`` starts an untitled session."""
    result = run("start", "--title", "", check=False)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr == ("Error: title '' cannot be used: it is empty; give it some "
                             "text (white space alone is none)\n")
    assert not (project / ".ai/session-context.org").exists()
    assert run("start").returncode == 0


@pytest.mark.parametrize("action", ["--archive", "--adopt"])
@pytest.mark.parametrize("empty", ["", " "])
def test_recover_an_empty_id_is_refused_as_empty(project: Path, run: Runner, action: str,
                                                 empty: str) -> None:
    """``recover '' --archive``: "empty ID" (exit 4), not "this agent's own session"; the
    files are left as they were."""
    run("start", "--title", "Mine", agent="me.1")
    run("start", "--title", "Theirs", agent="other.2", as_another_agent=True)
    before = {p: p.read_bytes() for p in (project / ".ai").rglob("*.org")}
    result = run("recover", empty, action, agent="me.1", check=False)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr.startswith(f"Error: ID {empty!r} cannot be used: it is empty;")
    assert {p: p.read_bytes() for p in (project / ".ai").rglob("*.org")} == before


def test_a_crlf_file_keeps_its_line_ending_through_a_rollover(project: Path,
                                                              run: Runner) -> None:
    """A session file with CRLF line endings (a Windows editor's): the rollover's write,
    its new link line and the logged entry, and the earlier file, all end their lines
    in CRLF, as every other write keeps the file's own line ending."""
    path = started(run, project)
    decisions, _ = filler(0, BOUND + 200_000, "old")
    text = insert(path.read_text(), "decisions", decisions)
    path.write_bytes(text.replace("\n", "\r\n").encode())

    run("log", "--progress", "roll now", "--decision", "New", "--rationale", "R")

    history = texts_of(project)[1]
    assert len(history) == 1
    for data in (path.read_bytes(), history[0].read_bytes()):
        assert data.count(b"\n") == data.count(b"\r\n") > 1000
    assert b"earlier entries]] from " in path.read_bytes()


def test_show_and_show_all_say_the_same_of_an_earlier_file_that_is_gone(
        project: Path, run: Runner) -> None:
    """An earlier-entries file removed (``git clean``): ``show`` says so, and names the
    kept copy ``show --all`` reads in its place; with that copy gone too, ``show`` says
    there is none and ``show --all`` fails naming the file (exit 6)."""
    path = started(run, project)
    decisions, _ = filler(0, BOUND + 200_000, "old")
    path.write_text(insert(path.read_text(), "decisions", decisions))
    run("log", "--progress", "roll now")
    (earlier,) = texts_of(project)[1]
    # (kept inside the git folder, where git clean never goes; .ai/.locks/ outside git)
    (kept,) = [p for folder in (project / ".git", project / ".ai/.locks")
               for p in folder.rglob(earlier.name)]
    assert f"    {earlier}\n" in run("show").stdout

    earlier.unlink()
    out = run("show").stdout
    assert f"    {earlier} (not there: show --all reads its kept copy, {kept}; the next " \
        "write puts it back)\n" in out
    assert "old decision 000000 " in run("show", "--all").stdout

    kept.unlink()
    assert f"    {earlier} (not there, and no copy is kept: show --all fails)\n" in \
        run("show").stdout
    failed = run("show", "--all", check=False)
    assert failed.returncode == 6 and str(earlier) in failed.stderr
