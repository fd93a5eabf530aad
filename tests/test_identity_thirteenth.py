"""The session identity and its advice (issue 14, thirteenth round).

Seen by the thirteenth review: after two clones each began a session at the default
path and one gave the other's a file of its own in the merge (as the refusal advises),
the other clone was told to ``cp`` its kept copy back: one session live at two paths;
a switch to a branch with its own committed session refused every write and advised
putting the other branch's session over it; a person's retitle in the version git put
back counted as another session though ``SESSION_ID`` was the same; ``status`` and
``show`` said nothing of another agent's session at the default path when no kept copy
was there; a session wrapped up and archived, put back by git, was written into and
archived a second time. Real git and the installed console script throughout.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitkit import GIT_ENV, commit_all, git
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_protocols.session.layout import other_session

from conftest import Runner

SESSION = ".ai/session-context.org"
KEPT = ".ai/.locks/live/session-context.org"


def _clone(origin: Path, into: Path) -> Runner:
    subprocess.run(["git", "clone", "-q", str(origin), str(into)], check=True,
                   env={**os.environ, **GIT_ENV}, capture_output=True)
    return Runner(into)


def test_the_kept_copys_session_in_its_own_file_is_named_never_cp(tmp_path: Path) -> None:
    """Item 1: A and B each ``start`` at the default path; A merges B's, gives B's session
    a file of its own (``git show :3:`` into ``session-context.d/bobs-1796000200.org``)
    and pushes; B pulls: B's write is refused and the advice names that file's agent id
    and the kept copy's removal, never ``cp``; under that id the write goes on there."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    a_dir, b_dir = tmp_path / "A", tmp_path / "B"
    a_dir.mkdir()
    git(a_dir, "init", "-q", "-b", "main")
    a = Runner(a_dir)
    a("init")
    commit_all(a_dir, "init")
    git(a_dir, "remote", "add", "origin", str(origin))
    git(a_dir, "push", "-q", "origin", "main")
    b = _clone(origin, b_dir)
    b("init")
    b("start", "--title", "B's")
    b("log", "--progress", "B1")
    commit_all(b_dir, "b")
    git(b_dir, "push", "-q", "origin", "main")
    a("start", "--title", "A's")
    a("log", "--progress", "A1")
    commit_all(a_dir, "a")
    git(a_dir, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    own = ".ai/session-context.d/bobs-1796000200.org"
    (a_dir / own).write_text(git(a_dir, "show", f":3:{SESSION}") + "\n")
    git(a_dir, "checkout", "--ours", "--", SESSION)
    commit_all(a_dir, "merged")
    git(a_dir, "push", "-q", "origin", "main")
    git(b_dir, "pull", "-q", "--no-rebase", "origin", "main")
    before = (b_dir / SESSION).read_bytes()
    resumed = b("resume")
    told = " ".join((resumed.stdout + resumed.stderr).split())
    assert "AI_AGENT_ID=bobs-1796000200" in told and "cp " not in told, told
    refused = b("log", "--progress", "B2", check=False)
    assert refused.returncode == 6, refused.stderr
    said = " ".join(refused.stderr.split())
    assert "AI_AGENT_ID=bobs-1796000200" in said and own in said, said
    assert f"rm {b_dir / KEPT}" in said and "cp " not in said, said
    assert (b_dir / SESSION).read_bytes() == before
    os.unlink(b_dir / KEPT)
    b("log", "--progress", "B2", agent="bobs-1796000200")
    assert "B2" in (b_dir / own).read_text() and (b_dir / SESSION).read_bytes() == before


def test_a_branch_with_its_own_session_is_that_branchs_session(project: Path,
                                                                run: Runner) -> None:
    """Item 2: branch feature has its own committed session; main another, committed
    (its kept copy is that commit's version); ``git switch feature``: the write goes
    into feature's session with a warning naming where git keeps main's, feature's file
    is not replaced by main's session, and ``git switch main`` works after a commit."""
    commit_all(project, "init")
    git(project, "branch", "-M", "main")
    git(project, "switch", "-q", "-c", "feature")
    run("start", "--title", "Feature session")
    run("log", "--progress", "FX")
    commit_all(project, "fx")
    git(project, "switch", "-q", "main")
    os.unlink(project / KEPT)
    run("start", "--title", "Main session")
    run("log", "--progress", "MY")
    commit_all(project, "my")
    git(project, "switch", "-q", "feature")
    resumed = run("resume")
    told = " ".join((resumed.stdout + resumed.stderr).split())
    assert "this branch's session now" in told and "cp " not in told, told
    done = run("log", "--progress", "F2")
    said = " ".join(done.stderr.split())
    assert "this branch's session now" in said and "branch main" in said, said
    text = (project / SESSION).read_text()
    assert "Feature session" in text and "F2" in text and "Main session" not in text
    commit_all(project, "f2")
    git(project, "switch", "-q", "main")
    assert "MY" in (project / SESSION).read_text()


def test_a_retitle_of_the_same_session_is_the_same_session(project: Path,
                                                            run: Runner) -> None:
    """Item 3: a person retitles the version git put back (same ``SESSION_ID``): the
    write is not refused as another session, and ``merge-kept`` keeps the retitle and
    the kept copy's entry."""
    run("start", "--title", "Old title", "--objective", "obj one")
    commit_all(project, "started")
    run("log", "--progress", "P1")
    git(project, "checkout", "--", SESSION)
    path = project / SESSION
    path.write_text(path.read_text().replace("Old title", "New title by person")
                    .replace("obj one", "obj two"))
    refused = run("log", "--progress", "P2", check=False)
    assert "another session" not in refused.stderr, refused.stderr
    run("merge-kept")
    text = path.read_text()
    assert "New title by person" in text and "obj two" in text and "P1" in text


_WORDS = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(one=_WORDS, two=_WORDS, three=_WORDS, four=_WORDS, same=st.booleans())
def test_the_session_id_decides(one: str, two: str, three: str, four: str,
                                same: bool) -> None:
    """Item 3, the rule: titles and objectives whatever they are, the same
    ``SESSION_ID`` is one session and two are two (:func:`other_session`)."""
    file = {"STARTED": "[2026-11-21 Sat 10:00]", "SESSION_ID": "ab12cd34",
            "OBJECTIVE": one, "TITLE": two}
    kept = {"STARTED": "[2026-11-21 Sat 10:00]",
            "SESSION_ID": "ab12cd34" if same else "ef56ab78", "OBJECTIVE": three,
            "TITLE": four}
    said = other_session(file, kept, lambda: ("", ""))
    assert (said is None) == same


def test_status_and_show_warn_of_another_agents_session_without_kept_copy(
        project: Path, run: Runner) -> None:
    """Item 4: agent B's session copied to the default path, committed, ``git clean
    -fdx`` (no kept copy): the write refuses, and ``status`` and ``show`` warn of it too
    (one rule); ``status`` does not say this agent started it."""
    agent = "agent-b-1796000002"
    run("start", "--title", "B", agent=agent)
    run("log", "--progress", "B1", agent=agent)
    (project / SESSION).write_bytes(
        (project / f".ai/session-context.d/{agent}.org").read_bytes())
    commit_all(project, "x")
    git(project, "clean", "-q", "-fdx")
    assert run("log", "--progress", "D1", check=False).returncode == 6
    status = run("status").stdout
    mine = status.split(str(project / SESSION))[0].rsplit("updated", 1)[1]
    assert "this agent started it" not in mine, status
    assert "warning: it holds another session" in " ".join(status.split()), status
    shown = run("show")
    assert "Warning: it holds another session" in shown.stderr, shown.stderr


def test_an_archived_session_put_back_is_refused(project: Path, run: Runner) -> None:
    """Item 5: after a committed wrap-up, ``git checkout HEAD~1 -- FILE`` puts the
    session back: writes and wrap-up are refused (advice: remove it), nothing written,
    no second archive; a copy of the archive put over the live path is replaced by
    ``start``'s fresh session without a second archive."""
    run("start", "--title", "WX")
    run("log", "--progress", "X1")
    commit_all(project, "x")
    run("wrap-up", "WX done")
    commit_all(project, "wrap")
    git(project, "checkout", "HEAD~1", "--", SESSION)
    before = (project / SESSION).read_bytes()
    refused = run("log", "--progress", "X2", check=False)
    assert refused.returncode == 7, refused.stderr
    assert f"rm {project / SESSION}" in " ".join(refused.stderr.split()), refused.stderr
    assert run("wrap-up", "WX again", check=False).returncode == 7
    assert (project / SESSION).read_bytes() == before
    archives = sorted(os.listdir(project / ".ai/sessions"))
    assert len([n for n in archives if n.endswith(".org")]) == 1, archives
    archive = project / ".ai/sessions" / next(n for n in archives if n.endswith(".org"))
    (project / SESSION).write_bytes(archive.read_bytes())
    started = run("start", "--title", "Next")
    assert "Finished an interrupted wrap-up" not in started.stdout, started.stdout
    assert "copy of the wrapped-up session" in " ".join(started.stdout.split())
    assert sorted(os.listdir(project / ".ai/sessions")) == archives
    assert "Next" in (project / SESSION).read_text()
