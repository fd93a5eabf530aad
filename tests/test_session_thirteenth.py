"""Issue 14, thirteenth round: the items the twelfth left open (docs/decisions.md,
"Issue 14, thirteenth round").

1. A write command takes its time holding its lock: a command that waited on the lock
   stamps no time earlier than the write it waited for.
2. ``merge-kept`` into the archive of a session wrapped up in another clone: the write
   keeps the discipline of every session-file write (no write under a person's unsaved
   buffer, every byte typed kept) and says what it did (the archive, not "the file").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from boardkit import BOARD, add
from gitkit import commit_all, git
from hypothesis import given
from hypothesis import strategies as st
from test_session_identity_twelfth import SESSION, _clones, _paste, wrapped_in_b_and_pulled

from ai_protocols.lean import counted
from ai_protocols.session.layout import earlier_link_line, parse_earlier_link
from ai_protocols.storage import files as storage

from conftest import CLI, Runner, clean_env

# -- 1. the time taken inside the lock ---------------------------------------------------------

#: Holds the lock file argv[1] (the very flock(2) lock the tool takes) until a line comes
#: on stdin, then prints the seconds since boot at its release, and releases it.
HOLDER = """
import sys
from pathlib import Path
from ai_protocols.storage.files import OsLock
lock = OsLock(Path(sys.argv[1]))
lock.acquire(5)
print("held", flush=True)
sys.stdin.readline()
print(open("/proc/uptime").read().split()[0], flush=True)
lock.release()
"""


def _waiting_on(pid: int, lock_file: Path) -> bool:
    """Whether process ``pid`` has ``lock_file`` open (it is trying to lock it)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(lock_file):
                return True
        except OSError:
            continue
    return False


def _stamped_after_release(cwd: Path, lock_file: Path, args: list[str],
                           agent: str | None = None) -> float:
    """Run ``ai-protocols ARGS`` while another process holds ``lock_file``; let it go
    once the command waits on it (and a second more, longer than the boot clock's
    resolution); return the seconds since boot at the release."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock_file.touch()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_file)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        extra = {"AI_AGENT_ID": agent} if agent else {}
        command = subprocess.Popen([str(CLI), *args], cwd=cwd, env=clean_env(**extra),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not _waiting_on(command.pid, lock_file):
            assert command.poll() is None, command.communicate()
            time.sleep(0.01)
        time.sleep(1.1)  # (not an assertion: the gap an early stamp would show)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        released = float(holder.stdout.readline())
        _out, err = command.communicate(timeout=60)
        assert command.returncode == 0, err
    finally:
        holder.kill()
        holder.wait()
    return released


def _uptime_of(record: str) -> float:
    """The seconds since boot of an ``UPDATED_AT``/``CLAIMED_AT`` value."""
    return float(record.split(" ")[3])


def _property(text: str, name: str) -> str:
    return next(line.split(":", 2)[2].strip() for line in text.splitlines()
                if line.strip().startswith(f":{name}:"))


def test_start_waiting_on_the_lock_stamps_a_time_after_its_release(
        repo: Path, run: Runner) -> None:
    """A start that waits on the session file's lock (another write holds it) takes its
    STARTED/UPDATED_AT time once it holds the lock: not earlier than the release."""
    run("init")
    path = repo / ".ai/session-context.org"
    lock_file = Path(storage.lock_path(repo / ".ai", path))
    released = _stamped_after_release(repo, lock_file, ["start", "--title", "t"])
    assert _uptime_of(_property(path.read_text(), "UPDATED_AT")) >= released


def test_a_claim_waiting_on_the_board_lock_stamps_a_time_after_its_release(
        project: Path, run: Runner) -> None:
    """The board's commands too: a claim that waited on the board's lock records
    CLAIMED_AT no earlier than the release."""
    task_id = add(run, "Fix it")
    board = project / BOARD
    lock_file = Path(storage.lock_path(project / ".ai", board))
    released = _stamped_after_release(project, lock_file, ["task", "claim", task_id],
                                      agent="impl.1")
    assert _uptime_of(_property(board.read_text(), "CLAIMED_AT")) >= released


# -- 2. merge-kept into an archive ---------------------------------------------------------------


@pytest.fixture(scope="module")
def wrapped_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clone A, whose kept copy holds session S1 with an entry only A has, after a pull of
    clone B's wrap-up of S1 and B's new session S2 (the conflict resolved with B's side),
    a person's line typed into S1's archive: the state where ``merge-kept`` advises
    merging into the archive. Copied by each test (``cp -a``)."""
    a, b, run_a, run_b = _clones(tmp_path_factory.mktemp("wrapped"))
    wrapped_in_b_and_pulled(a, b, run_a, run_b)
    refused = run_a("log", "--progress", "x", check=False)
    _paste(a, refused.stderr, "git checkout --theirs")
    [archive] = (a / ".ai/sessions").glob("*.org")
    with archive.open("a") as out:  # a person's note, odd spacing and all, kept as typed
        out.write("  a   note\ttyped by hand  \n")
    return a


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "A"
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


def test_merge_kept_into_an_archive_says_so_and_keeps_every_byte(
        wrapped_elsewhere: Path, tmp_path: Path) -> None:
    """The archive gains A's entry, every line of it as it was stays (in order), and the
    message names the archive that gained it, never "the file lacked"."""
    a = _copy(wrapped_elsewhere, tmp_path)
    [archive] = (a / ".ai/sessions").glob("*.org")
    before = archive.read_bytes().splitlines(keepends=True)
    done = Runner(a)("merge-kept")
    after = archive.read_bytes().splitlines(keepends=True)
    assert any(b"S1 entry only in A" in line for line in after)
    # Every line as it was, in order, but the write record the merge driver's rule
    # takes from the side written last (docs/merge-driver.md: later UPDATED wins).
    record = (b":UPDATED", b":GIT_COMMIT:", b":GIT_BRANCH:")
    left = iter(after)
    assert all(any(line == kept for kept in left) for line in before
               if not line.startswith(record))  # (a subsequence)
    assert after[-1] == b"  a   note\ttyped by hand  \n"
    assert "the file lacked" not in done.stderr
    assert f"merged the kept copy, of a session wrapped up in another clone, into its " \
           f"archive {archive}: 1 entry written into it" in done.stderr, done.stderr
    assert done.stdout.strip() == str(archive)
    assert "S1 entry" not in (a / SESSION).read_text()


def test_merge_kept_into_an_archive_a_person_edits_writes_nothing(
        wrapped_elsewhere: Path, tmp_path: Path) -> None:
    """While Emacs holds unsaved changes to the archive, the merge is refused (exit 10, as
    every write of a session file is) and nothing changes: not the archive, not the kept
    copy."""
    a = _copy(wrapped_elsewhere, tmp_path)
    [archive] = (a / ".ai/sessions").glob("*.org")
    (archive.parent / f".#{archive.name}").symlink_to("someone@elsewhere.1")  # live
    files = {p: p.read_bytes() for p in (a / ".ai").rglob("*")
             if (p.is_file() and not p.is_symlink() and "/.locks/" not in str(p) + "/")
             or (p.is_file() and "/live/" in str(p))}
    done = Runner(a)("merge-kept", check=False)
    assert done.returncode == 10 and "unsaved changes in Emacs" in done.stderr, done.stderr
    assert {p: p.read_bytes() for p in files} == files


# -- 4. one pluralising rule ---------------------------------------------------------------------

#: A number put in a message (an f-string's ``{...}``) followed by a plural noun: what
#: printed "1 entries" (rollover's Earlier-entries link line, ``show``'s moved-entries
#: line); every count goes through :func:`ai_protocols.lean.counted` instead.
_BARE_COUNT = r"\{[^{}]*\}\)? ?(?:[a-z-]+ )?(?:entries|lines|files|checkpoints|paths|tasks|" \
              r"times|repositories|submodules|items|commits|claims|locks|sessions)\b" \
              r"|(?:'s'|\"s\"|'ies'|\"ies\") if |[a-z]\((?:s|ies)\)(?![)\w])"


def test_no_message_counts_without_the_one_rule() -> None:
    """No message of the package puts a number before a plural noun by hand (nor picks an
    ``s`` by hand, nor writes ``(s)``): the one rule, ``counted``, says ``1 entry``."""
    import re

    package = Path(__file__).resolve().parent.parent / "ai_protocols"
    found = [f"{path.relative_to(package)}:{n}: {line.strip()}"
             for path in sorted(package.rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(_BARE_COUNT, line) and not line.lstrip().startswith("#")]
    assert found == []


@given(st.integers(min_value=0, max_value=10**6))
def test_counted_says_one_for_one_only(count: int) -> None:
    said = counted(count, "entry", "entries")
    assert said == (f"{count} entry" if count == 1 else f"{count} entries")
    line = earlier_link_line("../history/x.org", None, None, count)
    assert line.endswith(said) and parse_earlier_link(line)[3] == count


# -- 3. merge-kept with no committed base ---------------------------------------------------------


def _deleted_then_merged(project: Path, run: Runner, *, committed: bool
                         ) -> subprocess.CompletedProcess[str]:
    """Log two entries with an older copy of the file taken between them, put that copy
    back (``mv``: a new file, the kept copy stays), a person deletes the first entry's
    line from it, then ``merge-kept``."""
    session = project / SESSION
    run("start", "--title", "T")
    run("log", "--progress", "first entry, deleted by hand")
    if committed:
        commit_all(project, "first")
    older = project / "older.org"
    older.write_bytes(session.read_bytes())
    run("log", "--progress", "second entry")
    older.write_text("".join(line for line in older.read_text().splitlines(keepends=True)
                             if "first entry, deleted by hand" not in line))
    older.replace(session)
    return run("merge-kept")


def test_merge_kept_without_a_base_says_which_lines_came_back(
        project: Path, run: Runner) -> None:
    """Never committed: no base to tell a deleted line from a newer one, so the merge
    keeps both sides' lines and says plainly which came back (stderr and the Log)."""
    done = _deleted_then_merged(project, run, committed=False)
    text = (project / SESSION).read_text()
    assert "second entry" in text
    assert "no committed version that both the file and the kept copy come from was found" \
        in done.stderr, done.stderr
    assert "first entry, deleted by hand" in done.stderr and "delete it again" in done.stderr
    assert "(no committed version of both found: 2 lines of the kept copy kept that the " \
        "file lacked)" in text


def test_merge_kept_with_a_base_keeps_a_deletion_and_says_nothing_of_it(
        project: Path, run: Runner) -> None:
    done = _deleted_then_merged(project, run, committed=True)
    text = (project / SESSION).read_text()
    assert "second entry" in text and "first entry, deleted by hand" not in text
    assert "came back" not in done.stderr and "no committed version" not in text


# -- 4. the checkpoint advice: the real remote, "never fetched", one "but" -----------------------


@pytest.fixture(scope="module")
def checkpointed_clones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``O.git``, clone ``A`` that took two checkpoints (the first recorded by its Log line
    only) and pushed its branch, not its checkpoints; ``B``, cloned from A by path (every
    object copied, no ref of the checkpoints); ``C``, cloned from O (neither)."""
    top = tmp_path_factory.mktemp("points")
    git(top, "init", "-q", "--bare", "O.git")
    git(top, "clone", "-q", "O.git", "A")
    a = top / "A"
    git(a, "commit", "-q", "--allow-empty", "-m", "i")
    run_a = Runner(a)
    run_a("start", "--title", "T")
    for note in ("one", "two"):
        (a / note).write_text(note)
        run_a("checkpoint", "--note", note)
    commit_all(a, "s")
    git(a, "push", "-q", "origin", "HEAD")
    git(top, "clone", "-q", str(a), "B")
    git(top, "clone", "-q", "O.git", "C")
    return top


def test_a_clone_by_path_says_never_fetched_not_pruned(checkpointed_clones: Path) -> None:
    """Checkpoint 1, recorded by a Log line only (no ref), whose commit a clone by path
    copied: never fetched here, as checkpoint 2 (whose ref is recorded) is; not "its ref is
    gone here (deleted, or pruned ...)"."""
    said = Runner(checkpointed_clones / "B")("checkpoint", "list").stderr
    [one] = [line for line in said.splitlines() if "checkpoint 1 " in line]
    assert "never fetched here" in one and "pruned" not in one and "gone" not in one, one


def test_the_push_advice_names_the_real_remote_and_ref(
        checkpointed_clones: Path, tmp_path: Path) -> None:
    """The advice for a checkpoint never fetched names the URL this clone fetches from and
    the real ref, never ``REMOTE``; without a remote it says there is none; a checkpoint
    the session recorded but that is not here is said with one "but" at most."""
    c = tmp_path / "C"
    subprocess.run(["cp", "-a", str(checkpointed_clones / "C"), str(c)], check=True)
    said = Runner(c)("checkpoint", "list").stderr
    [two] = [line for line in said.splitlines() if "checkpoint 2 " in line]
    ref = two.split(", ref ", 1)[1].split(")", 1)[0]
    assert f"git push {checkpointed_clones / 'O.git'} {ref}" in two, two
    assert "REMOTE" not in said
    refused = Runner(c)("checkpoint", "restore", "2", check=False)
    assert refused.returncode != 0 and refused.stderr.count("but") <= 1, refused.stderr
    assert "recorded it (checkpoint 2 " in refused.stderr
    git(c, "remote", "remove", "origin")
    said = Runner(c)("checkpoint", "list").stderr
    assert "this clone has no remote" in said and "REMOTE" not in said, said


# -- 4. status after git stash -a; resume: its warning first, paused sessions as paused ----------


def test_status_after_git_stash_all_says_where_the_session_went(
        project: Path, run: Runner) -> None:
    """``git stash -a`` takes the session file and its kept copy (.ai/.locks/, ignored):
    status says the stash holds it and how to get it back, as start and resume do, not
    "No session is under way"."""
    git(project, "commit", "-q", "--allow-empty", "-m", "i")
    run("start", "--title", "T")
    git(project, "stash", "-q", "-a")
    said = run("status")
    assert "No session is under way" not in said.stdout
    assert "stashed" in said.stdout and "stash pop" in said.stdout, said.stdout
    [row] = json.loads(run("status", "--json").stdout)
    assert row["state"] == "stashed" and row["mine"] and "stash pop" in row["evidence"]


def test_resume_puts_the_warning_that_the_file_is_not_the_last_written_first(
        project: Path, run: Runner) -> None:
    session = project / SESSION
    run("start", "--title", "T")
    run("log", "--progress", "one")
    older = project / "older.org"
    older.write_bytes(session.read_bytes())
    run("log", "--progress", "two")
    older.replace(session)  # (an older version put back, as git would)
    said = run("resume").stdout
    assert "Warning:" in said and said.index("Warning:") < said.index("In progress:"), said
    assert said.count("Warning:") == 1


def test_resume_lists_a_paused_session_as_paused(project: Path, run: Runner) -> None:
    """Another agent's paused session waits for its agent: resume lists it under the
    paused heading start uses, never under "to recover"."""
    run("start", "--title", "O", agent="other.1")
    run("pause", "--note", "back soon", "--no-checkpoint", agent="other.1")
    run("start", "--title", "Me")
    said = run("resume").stdout
    assert "Other agents' sessions to recover" not in said, said
    assert "Other agents' paused sessions (they wait for their agents):\n  - other.1: paused" \
        in said, said
