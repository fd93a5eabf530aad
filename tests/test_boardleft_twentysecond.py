"""Issue 15, twenty-second round (the task board: what the twenty-first round left): one
owner rule for sessions and claims; unlock records that do not pile up; a claim whose
whole task another clone deleted; (docs/decisions.md, "Issue 15, twenty-second round").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from boardkit import add, board
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env
from sandbox import left_behind

ME = "bq.1796000000"
OTHER = "br.1796000001"

# -- 1. one owner rule: a session started, a claim made, left behind by its shell ----------------

HOW = ["background", "setsid", "subreaper"]


def _status(run: Runner, agent: str) -> dict:
    """``status --json``'s row of ``agent``'s session, as another agent reads it."""
    rows = json.loads(run("status", "--json", agent="p.1").stdout)
    return next(row for row in rows if row["agent_id"] == agent)


@pytest.mark.parametrize("how", HOW)
def test_a_session_started_left_behind_records_no_process_1(project: Path, run: Runner,
                                                            how: str) -> None:
    """A ``start`` its shell left behind (``(cmd &)``, ``setsid -f``, under a subreaper)
    recorded its adopter, process 1 (always alive: the session live forever) or the
    subreaper, as its ``OWNER``. By the one owner rule it records none: the session is
    judged by the next evidence (``unknown`` on this host until stale), never live by an
    init."""
    out, err, _ = left_behind([str(CLI), "start", "--title", "left behind"], cwd=project,
                                env=clean_env(AI_AGENT_ID=ME), how=how)
    text = (project / ".ai" / "session-context.d" / f"{ME}.org").read_text(encoding="utf-8")
    assert "Session: left behind" in text, (out, err)
    assert ":OWNER:" not in text, text
    row = _status(run, ME)
    assert row["state"] == "unknown", row
    assert "no lease or owner recorded" in row["evidence"], row


@pytest.mark.parametrize("how", HOW)
def test_a_claim_made_left_behind_records_no_process(project: Path, run: Runner,
                                                     how: str) -> None:
    """The same rule for a claim (``OWNER_PROCESS``): nothing recorded, and the claim
    says why no process of its agent can be seen."""
    task = add(run, "Left behind")
    _, err, _ = left_behind([str(CLI), "task", "claim", task], cwd=project,
                            env=clean_env(AI_AGENT_ID=ME), how=how)
    text = board(project)
    assert f":OWNER:    {ME}" in text, (text, err)
    assert ":OWNER_PROCESS:" not in text, text
    assert "no process of the agent is to be seen" in err, err


def test_a_session_recorded_owned_by_process_1_is_not_live(project: Path, run: Runner) -> None:
    """A session file an older version wrote with ``OWNER: pid 1 ...`` (a backgrounded
    ``start``) was live forever; process 1 now stands for no agent: judged as no owner
    recorded, and its agent's next ``start`` carries it on as its own."""
    run("start", "--title", "old", agent=ME)
    path = project / ".ai" / "session-context.d" / f"{ME}.org"
    text = path.read_text(encoding="utf-8")
    owner = re.search(r":OWNER: +pid (\d+) on ", text)
    assert owner is not None, text
    path.write_text(text.replace(owner.group(0), owner.group(0).replace(
        f"pid {owner.group(1)} ", "pid 1 ")), encoding="utf-8")
    (project / ".ai/.locks/live/session-context.d" / path.name).write_bytes(path.read_bytes())
    row = _status(run, ME)
    assert row["state"] == "unknown", row
    again = run("start", agent=ME)
    assert "pid 1 " not in path.read_text(encoding="utf-8"), again.stdout


def test_a_claim_recorded_owned_by_process_1_is_not_live(project: Path, run: Runner) -> None:
    """A claim whose ``OWNER_PROCESS`` an older version recorded as process 1 is not
    judged live by it: another agent's claim is refused only until it is stale, as
    for a claim that records no process (``unknown``)."""
    task = add(run, "Old claim")
    run("task", "claim", task, agent=ME)
    text = board(project)
    owner = re.search(r":OWNER_PROCESS: +pid (\d+) on ", text)
    assert owner is not None, text
    from boardkit import edit

    edit(project, owner.group(0), owner.group(0).replace(f"pid {owner.group(1)} ", "pid 1 "))
    listed = {row["id"]: row for row in json.loads(
        run("task", "list", "--all", "--json", agent="p.1").stdout)}
    assert listed[task]["owner_state"] == "unknown", listed[task]


@settings(max_examples=60, deadline=None)
@given(pid=st.integers(min_value=0, max_value=2 ** 22),
       host=st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                  blacklist_characters=",()"), min_size=1, max_size=20),
       started=st.one_of(st.none(), st.from_regex(r"\A[0-9]{1,10}\.[0-9]{2}\Z")))
def test_an_owner_of_process_0_or_1_reads_as_none(pid: int, host: str,
                                                   started: str | None) -> None:
    """Any ``OWNER`` value of process 0 or 1, in either form, reads as no owner; every
    other reads back as written."""
    from ai_protocols.liveness.evidence import Owner

    owner = Owner(host, pid, started)
    read = Owner.parse(owner.to_property())
    older = Owner.parse(f"{host} {pid} {started or '-'}")
    if pid <= 1:
        assert read is None and older is None
    else:
        assert read == owner and older == owner


# -- 2. unlock records: one per lock, gone once no clone needs them ------------------------------

#: The stale setting at 0: a record is "older than the stale setting" at once.
STALE_NOW = {"AI_PROTOCOLS_STALE_HOURS": "0"}


def _records(repo: Path) -> list[str]:
    """The unlock records of the board of ``repo``, a line each."""
    return [line for line in board(repo).splitlines() if "] unlocked by " in line]


def test_unlock_records_do_not_pile_up(project: Path, run: Runner) -> None:
    """Each unlock appended a record line that nothing removed: one per unlock, forever.
    A record written longer ago than the stale setting whose lock's holder is gone now
    goes at the next unlock: four unlocks of a gone agent's locks leave the last one's
    record only."""
    for number in range(4):
        run("lock", f"p{number}/", "--reason", "r", agent=OTHER, as_another_agent=True,
            env=STALE_NOW)
        run("unlock", f"p{number}/", agent=OTHER, as_another_agent=True, env=STALE_NOW)
    records = _records(project)
    assert len(records) == 1 and "p3/" in records[0], records


def test_the_record_of_a_holder_at_work_stays(project: Path, run: Runner) -> None:
    """The protection the records are for: while the lock's holder is at work (its
    session's owner, this test, runs), its record stays however old; a gone holder's
    goes, and the newest record is always written."""
    run("start", "--title", "at work", agent=ME)
    run("lock", "mine/", "--reason", "r", agent=ME)
    run("unlock", "mine/", agent=ME)
    for path in ("p/", "q/"):
        run("lock", path, "--reason", "r", agent=OTHER, as_another_agent=True, env=STALE_NOW)
        run("unlock", path, agent=OTHER, as_another_agent=True, env=STALE_NOW)
    records = _records(project)
    assert [r for r in records if "mine/" in r] and [r for r in records if "q/" in r], records
    assert not [r for r in records if " p/," in r], records


def test_a_pruned_record_brings_no_lock_back(project: Path, run: Runner,
                                            tmp_path: Path) -> None:
    """A clone that still holds the lock of a record another clone pruned (its holder
    gone) does not put it back, warn of it, or enforce it, when git brings the board."""
    from boardkit import git, write_hook

    run("lock", "lib/", "--reason", "r", agent=OTHER, as_another_agent=True)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "locked")
    other = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(project), str(other))
    Runner(other)("unlock", "lib/", agent=ME)
    Runner(other)("lock", "m/", "--reason", "r", agent=ME, env=STALE_NOW)
    Runner(other)("unlock", "m/", agent=ME, env=STALE_NOW)
    assert "lib/" not in "".join(_records(other)), _records(other)
    git(other, "add", "-A")
    git(other, "commit", "-qm", "unlocked")
    git(project, "pull", "-q", "--no-rebase", str(other), "HEAD")
    listed = run("locks", agent="p.1")
    assert "lib/" not in listed.stdout and "lost" not in listed.stderr, listed
    assert write_hook(project, project / "lib" / "x.py", "p.1").returncode == 0


def test_a_lock_an_older_version_unlocked_comes_back_and_says_why(
        project: Path, run: Runner, tmp_path: Path) -> None:
    """An unlock by a version before the records (the lock's lines taken out, nothing
    written) reads as a loss while its holder works: the lock comes back, and the
    warning and the hook's refusal now name that cause and the fix (unlock it again),
    after which it stays gone."""
    from boardkit import edit, git, write_hook

    run("lock", "lib/", "--reason", "r", agent=ME)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "locked")
    other = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(project), str(other))
    text = board(other)
    at = text.index("** lib/")
    edit(other, text[at:text.index(":END:\n", at) + len(":END:\n")], "")
    git(other, "commit", "-qam", "unlocked by an older version")
    git(project, "pull", "-q", "--no-rebase", str(other), "HEAD")
    listed = run("locks", agent="p.1")
    assert "lib/" in listed.stdout, listed
    assert "older than its unlock records" in listed.stderr, listed.stderr
    refused = write_hook(project, project / "lib" / "x.py", "p.1")
    assert refused.returncode == 2 and "unlock it again" in refused.stderr, refused.stderr
    run("unlock", "lib/", agent=ME)
    assert "lib/" not in run("locks", agent="p.1").stdout


# -- 3. a claim whose whole task another clone deleted ------------------------------------------


def test_a_claimed_task_deleted_in_another_clone_is_said_alike_everywhere(
        tmp_path: Path) -> None:
    """A live claim whose whole task a person deleted in another clone, pulled: git's
    history says it ended (it is not put back), but every command read the board as if
    nothing had been claimed (``task list`` and ``check`` silent, only ``task show``
    naming the commit). Now every board command (``task list``, ``task show``,
    ``locks``, ``check``) says it, naming the holder, its state and the commit, as
    ``task show`` does; the hook refuses nothing (a claim locks no file); the board's
    next write (which keeps the deletion) ends the warning."""
    from boardkit import edit, edit_hook
    from test_stalefix_nineteenth import _commit, two_clones

    a, b, run_a, _ = two_clones(tmp_path.resolve(), fresh=True)
    task = json.loads(run_a("task", "list", "--json", agent="p.1").stdout)[0]["id"]
    run_a("task", "edit", task, "--working-set", "src/", agent="p.1")
    run_a("task", "claim", task, agent=ME)
    _commit(a, "claimed")
    from test_merge_driver import git

    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "--no-rebase", "origin", "main")
    text = board(b)
    start = text.index("* DOING Task one")
    end = text.find("\n* ", start + 1)
    edit(b, text[start:end + 1 if end != -1 else len(text)], "")
    _commit(b, "deleted a task")
    git(b, "push", "-q", "origin", "HEAD:main")
    git(a, "pull", "-q", "--no-rebase", "origin", "main")
    commit = git(a, "rev-parse", "--short=12", "HEAD").stdout.strip()
    said = f"was removed from the board by commit {commit}"
    for args, code in ((("task", "list"), 0), (("task", "show", task), 20), (("locks",), 0),
                       (("check",), 0)):
        done = run_a(*args, agent=OTHER, check=False)
        assert done.returncode == code, (args, done)
        assert f"the claim of {ME} (live) ended with its task" in done.stderr, (args, done)
        assert said in done.stderr, (args, done.stderr)
    (a / "src").mkdir()
    for agent in (ME, OTHER):
        hook = edit_hook(a, "Write", {"file_path": str(a / "src" / "x.py"), "content": "x"},
                         agent)
        assert hook.returncode == 0, hook
    run_a("task", "add", "Next", agent="p.1")
    after = run_a("task", "list", agent=OTHER)
    assert "ended with its task" not in after.stderr and task not in board(a), after


@settings(max_examples=80, deadline=None)
@given(path=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF,
                                  blacklist_categories=("Cc",)), min_size=1, max_size=40),
       holder=st.one_of(st.none(), st.from_regex(r"\A[a-z][a-z0-9.]{0,20}\Z")),
       locked_at=st.one_of(st.none(), st.from_regex(r"\A2026-12-0[1-9]T[0-9:]{8}[+-]0[0-9]:00\Z")),
       by=st.from_regex(r"\A[a-z][a-z0-9.]{0,20}\Z"))
def test_an_unlock_record_reads_back_whatever_the_path(path: str, holder: str | None,
                                                        locked_at: str | None,
                                                        by: str) -> None:
    """Any path (commas, "'s lock (", parentheses, markup), any holder or none, a
    ``LOCKED_AT`` or none: the record ``unlock`` writes on one line reads back with its
    holder, ``LOCKED_AT`` and stamp (the records pruned are those it names)."""
    from ai_protocols.board.model import AreaLock, board_text, unlock_item, unlock_records
    from ai_protocols.lean import datetime
    from ai_protocols.org.file import OrgFile
    from ai_protocols.org.syntax import entry_lines, format_timestamp

    stamp = format_timestamp(datetime(2026, 12, 1, 10, 0))
    lines = entry_lines(stamp, unlock_item(by, AreaLock(path, holder, locked_at=locked_at)))
    if len(lines) != 1:
        return  # (a block: not a record the pruning reads, documented)
    records = unlock_records(OrgFile(board_text() + lines[0] + "\n"))
    assert len(records) == 1, (lines, records)
    found = records[0]
    assert (found.holder, found.locked_at) == (holder, locked_at), lines
    assert found.stamped == datetime(2026, 12, 1, 10, 0), lines
