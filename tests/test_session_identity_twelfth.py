"""What counts as another session (issue 14, twelfth round: items 3, 4, 10 and 13).

Seen by the eleventh review: two sessions of one agent started in one minute (same
title and objective, or none) were taken for one and merged by ``merge-kept``; with no
kept copy (a fresh clone, ``git clean -fdx``) the other-session advice named a kept copy
that did not exist, and the default agent wrote into another agent's session put at its
path; two sessions meeting in a merge (an add/add conflict, or another clone's wrap-up
and new session) were given "keep what each side logged", which makes one session of
two; after such a pull resolved with the other side, the advice put the wrapped-up
session back over the new one. Real git and the installed console script throughout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, commit_all, git
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.lean import datetime
from ai_protocols.session.layout import new_session_text, other_session
from ai_protocols.session.merge import merge_session_bytes

from conftest import CLI, Runner, clean_env

SESSION = ".ai/session-context.org"


def _at(project: Path, second: int, *args: str, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` with the clock at 10:00:SECOND (libfaketime, ticking from
    there): every command of a test in one minute, in order."""
    faketime = shutil.which("faketime")
    assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
    done = subprocess.run([faketime, "-f", f"@2026-11-21 10:00:{second:02d}", str(CLI), *args],
                          cwd=project, env=clean_env(TZ="UTC"), capture_output=True,
                          text=True, timeout=60)
    if check:
        assert done.returncode == 0, (args, done.stderr)
    return done


def test_two_sessions_started_in_one_minute_are_two(project: Path) -> None:
    """Item 4: start, log, commit; wrap-up, commit; start again in the same minute with
    the same title and objective; log; ``git reset --hard HEAD~1``: the write is refused
    as another session (exit 6, not "a write went into the older version"), and
    ``merge-kept`` refuses too: session 2's entry never goes into session 1."""
    git(project, "commit", "-q", "--allow-empty", "-m", "init")
    _at(project, 1, "start", "--title", "Fix", "--objective", "fix bug")
    _at(project, 2, "log", "--progress", "first session entry")
    commit_all(project, "one")
    _at(project, 3, "wrap-up", "done one")
    commit_all(project, "wrapped")
    _at(project, 4, "start", "--title", "Fix", "--objective", "fix bug")
    _at(project, 5, "log", "--progress", "second session entry")
    git(project, "reset", "-q", "--hard", "HEAD~1")
    before = (project / SESSION).read_bytes()
    assert b"10:00]" in before and b"second session" not in before
    refused = _at(project, 6, "log", "--progress", "after reset", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "another session" in refused.stderr and "SESSION_ID" in refused.stderr, \
        refused.stderr
    merged = _at(project, 7, "merge-kept", check=False)
    assert merged.returncode == 6, merged.stderr
    assert (project / SESSION).read_bytes() == before


_NOW = datetime(2026, 11, 21, 10, 0)


@settings(max_examples=30, deadline=None)
@given(title=st.one_of(st.none(), st.text(st.characters(categories=["L", "N"]), min_size=1,
                                          max_size=12)))
def test_the_session_id_tells_two_sessions_apart(title: str | None) -> None:
    """Item 4, the rule: two files ``start`` wrote in one minute, for one agent with one
    title (or none), are two sessions (:func:`other_session`), and the merge driver does
    not merge them as one (``None``: git merge-file's conflict); two files an older
    version wrote (no ``SESSION_ID``) compare as before, by the rest; one with an id and
    one without are two sessions (fifteenth round, ``layout.same_session_id``)."""
    one = new_session_text(agent_id="a", host="h", title=title, now=_NOW)
    two = new_session_text(agent_id="a", host="h", title=title, now=_NOW)
    props = [dict(line.strip(":").split(": ", 1) for line in text.splitlines()
                  if line.startswith(":") and ": " in line) for text in (one, two)]
    props = [{k.strip(":"): v.strip() for k, v in p.items()} for p in props]
    assert props[0]["SESSION_ID"] != props[1]["SESSION_ID"]
    assert other_session(props[0], props[1], lambda: (one, two)) is not None
    assert merge_session_bytes(one.encode(), one.encode(), two.encode()) is None
    # (a file an older version wrote, no SESSION_ID, against one with an id: two
    # sessions since the fifteenth round, layout.same_session_id; two without: as before)
    old = {k: v for k, v in props[0].items() if k != "SESSION_ID"}
    assert other_session(old, props[1], lambda: (one, two)) is not None
    older = {k: v for k, v in props[1].items() if k != "SESSION_ID"}
    assert other_session(old, older, lambda: (one, two)) is None
    assert other_session(props[0], dict(props[0], UPDATED_AT="x"), lambda: (one, one)) is None


def test_another_agents_session_with_no_kept_copy(project: Path, run: Runner) -> None:
    """Item 10: B's session copied to A's path and to the default agent's path, with no
    kept copy there (a fresh clone, ``git clean -fdx``): both writes are refused (exit
    6, nothing written), the advice names no kept copy to ``cp`` (there is none) and,
    pasted (the ``mv``, then ``start``), leaves A a session of its own."""
    run("start", "--title", "B work", agent="B")
    run("log", "--progress", "B entry", agent="B")
    theirs = project / ".ai/session-context.d/B.org"
    mine = project / ".ai/session-context.d/A.org"
    shutil.copyfile(theirs, mine)
    shutil.copyfile(theirs, project / SESSION)
    before = theirs.read_bytes()
    for agent, path in (("A", mine), (None, project / SESSION)):
        refused = run("log", "--progress", "mine", agent=agent, check=False)
        assert refused.returncode == 6, refused.stderr
        assert "another session" in refused.stderr and "no copy" in refused.stderr
        assert " cp " not in refused.stderr and ".locks/live" not in refused.stderr
        assert path.read_bytes() == before
        said = run("resume", agent=agent, check=False)
        assert "another session" in said.stdout + said.stderr, said
    aside = subprocess.run(["bash", "-c", refused.stderr.split("(mv ", 1)[1].split(")")[0]
                            .join(["mv ", ""])], cwd=project, env=clean_env())
    assert aside.returncode == 0 and not (project / SESSION).exists()
    run("start")
    run("log", "--progress", "mine at last")
    assert b"mine at last" in (project / SESSION).read_bytes()
    assert theirs.read_bytes() == before


def _clones(tmp_path: Path) -> tuple[Path, Path, Runner, Runner]:
    """Two clones A and B of one remote, each after ``ai-protocols init`` (its merge
    driver configured), A's first commit pushed."""
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    a, b = tmp_path / "A", tmp_path / "B"
    subprocess.run(["git", "clone", "-q", str(remote), str(a)], check=True,
                   capture_output=True)
    Runner(a)("init")
    commit_all(a, "init")
    git(a, "push", "-q", "origin", "HEAD:main")
    subprocess.run(["git", "clone", "-q", str(remote), str(b)], check=True)
    Runner(b)("init")
    return a, b, Runner(a), Runner(b)


def _pull(clone: Path) -> None:
    done = subprocess.run(["git", "-C", str(clone), "pull", "-q", "--no-rebase", "--no-edit",
                           "origin", "main"], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})
    assert done.returncode != 0, done.stdout  # (a conflict)


def wrapped_in_b_and_pulled(a: Path, b: Path, run_a: Runner, run_b: Runner,
                            s2_entry: str | None = None) -> None:
    """Clone B wraps up S1 (started in A, pushed) and starts S2 in the single-agent file
    (logging ``s2_entry`` there, if given), and pushes; clone A logs to S1, commits and
    pulls: the single-agent file in conflict, S1 against S2."""
    run_a("start", "--title", "S1")
    run_a("log", "--progress", "S1 shared entry")
    commit_all(a, "s1")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(b, "pull", "-q", "origin", "main")
    run_b("wrap-up", "S1 done in B")
    commit_all(b, "wrap S1")
    run_b("start", "--title", "S2")
    if s2_entry is not None:
        run_b("log", "--progress", s2_entry)
    commit_all(b, "S2")
    git(b, "push", "-q", "origin", "HEAD:main")
    run_a("log", "--progress", "S1 entry only in A")
    commit_all(a, "more S1")
    _pull(a)


def _paste(cwd: Path, said: str, start: str) -> None:
    """Run, through bash, the first command in parentheses in ``said`` that begins with
    ``start``, as a person pastes it; it must succeed."""
    import re

    commands = [c for c in re.findall(r"\(((?:git|ai-protocols) [^()]*)\)", said)
                if c.startswith(start)]
    assert commands, said
    env = {**os.environ, **GIT_ENV, "PATH": f"{CLI.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", commands[0]], cwd=cwd, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, (commands[0], done.stderr)


def test_two_clones_each_started_a_session(tmp_path: Path) -> None:
    """Item 13: two clones each ran ``start`` in the single-agent file, committed; A pulls
    B's: the merge keeps each session whole (one conflict of the whole file, not an
    interleaving), and the refusal says they are two sessions and how to keep both, never
    "keep what each side logged"; its commands, pasted, keep each in a file of its own."""
    a, b, run_a, run_b = _clones(tmp_path)
    run_b("start", "--title", "B work")
    run_b("log", "--progress", "B entry")
    commit_all(b, "B session")
    git(b, "push", "-q", "origin", "HEAD:main")
    run_a("start")
    run_a("log", "--progress", "A entry")
    commit_all(a, "A session")
    _pull(a)
    text = (a / SESSION).read_text()
    assert text.count("<<<<<<<") == 1 and text.startswith("<<<<<<<"), text
    refused = run_a("log", "--progress", "after pull", check=False)
    assert refused.returncode == 6, refused.stderr
    assert "two sessions" in refused.stderr and "logged, delete" not in refused.stderr
    _paste(a, refused.stderr, "git checkout --ours")
    subprocess.run(["bash", "-c", "git show :3:.ai/session-context.org > "
                    ".ai/session-context.d/B2.org && git add -A && git commit -qm merged"],
                   cwd=a, check=True, env={**os.environ, **GIT_ENV})
    run_a("log", "--progress", "after pull")
    run_a("log", "--progress", "B's, carried on here", agent="B2")
    mine, theirs = (a / SESSION).read_text(), (a / ".ai/session-context.d/B2.org").read_text()
    assert "A entry" in mine and "after pull" in mine and "B entry" not in mine
    assert "B entry" in theirs and "carried on" in theirs and "A entry" not in theirs


def test_a_pull_of_a_wrap_up_and_a_new_session(tmp_path: Path) -> None:
    """Item 3: clone B wrapped up S1 and started S2 in the single-agent file, pushed;
    clone A logged to S1, committed, pulled. The conflict keeps S1 and S2 whole, and the
    refusal advises keeping S2 live and ``merge-kept``; once resolved, the writes'
    refusal (another session) advises ``merge-kept`` too, never putting S1 back over S2;
    ``merge-kept`` brings A's entry into S1's archive (still wrapped up) and drops the
    kept copy, and A's writes go into S2."""
    a, b, run_a, run_b = _clones(tmp_path)
    wrapped_in_b_and_pulled(a, b, run_a, run_b, s2_entry="S2 entry from B")
    assert (a / SESSION).read_text().count("<<<<<<<") == 1
    refused = run_a("log", "--progress", "x", check=False)
    assert refused.returncode == 6 and "wrapped up" in refused.stderr, refused.stderr
    _paste(a, refused.stderr, "git checkout --theirs")
    refused = run_a("log", "--progress", "x", check=False)
    assert refused.returncode == 6 and "merge-kept" in refused.stderr, refused.stderr
    assert " cp " not in refused.stderr
    said = run_a("resume", check=False)
    assert "merge-kept" in said.stdout + said.stderr
    assert " cp " not in said.stdout + said.stderr
    _paste(a, refused.stderr, "ai-protocols merge-kept")
    [archive] = (a / ".ai/sessions").glob("*.org")
    kept = archive.read_text()
    assert "S1 entry only in A" in kept and "S1 shared entry" in kept
    assert ":STATUS:   wrapped-up" in kept and "S2 entry" not in kept
    run_a("log", "--progress", "A in S2")
    live = (a / SESSION).read_text()
    assert "S2 entry from B" in live and "A in S2" in live and "S1 entry" not in live
