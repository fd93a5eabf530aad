"""Issue 14, fourteenth round (the review's put-back faults): an archived session git or
a copy put back, over a session started since (docs/git.md, "An archived session put
back"; docs/decisions.md, "Issue 14, fourteenth round (put-back sessions: one identity)").

Real git, the installed console script; each command runs under libfaketime at a moment
of its own (one second after the one before), so that the wrap-up and the next ``start``
fall in one minute, as they often do: the two sessions then share ``AGENT_ID`` and
``STARTED`` and only ``SESSION_ID`` tells them apart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from gitkit import commit_all, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLI, clean_env

SESSION = ".ai/session-context.org"
KEPT = ".ai/.locks/live/session-context.org"
#: What the refusal of a wrapped-up session's copy says, before its cause (twenty-fourth
#: round: the cause as git's index says it, session/cause.py).
PUT_BACK = "this file is a copy of it ("


class Clock:
    """Runs ``ai-protocols`` in ``root``, each call at the next second (or the next
    minute, with ``minute=True``) from 2026-11-21 10:00:01 UTC."""

    def __init__(self, root: Path) -> None:
        self.root, self.second = root, 0

    def __call__(self, *args: str, check: bool = True, minute: bool = False
                 ) -> subprocess.CompletedProcess[str]:
        faketime = shutil.which("faketime")
        assert faketime, "the Debian package faketime is needed (scripts/test installs it)"
        self.second = (self.second // 60 + 1) * 60 if minute else self.second + 1
        at = f"@2026-11-21 10:{self.second // 60:02d}:{self.second % 60:02d}"
        result = subprocess.run([faketime, "-f", at, str(CLI), *args], cwd=self.root,
                                env=clean_env(TZ="UTC"), capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"ai-protocols {' '.join(args)} exited {result.returncode}"
                                 f"\nstdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    @property
    def stamp(self) -> str:
        """The Org timestamp of the current minute, as a person types it."""
        return f"[2026-11-21 Sat 10:{self.second // 60:02d}]"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _put_back_over_a_new_session(root: Path, *, gap: bool, uncommitted: bool) -> Clock:
    """Session Old is committed while active, wrapped up; New starts (in the same minute
    unless ``gap``), logs, is committed (and logs once more, not committed, with
    ``uncommitted``); git puts Old's committed pre-wrap-up version back and a person
    types a line into it."""
    git(root, "commit", "-q", "--allow-empty", "-m", "root")
    run = Clock(root)
    run("start", "--title", "Old one")
    run("log", "--progress", "Old entry")
    commit_all(root, "old")
    run("wrap-up", "Old done")
    run("start", "--title", "New one", minute=gap)
    run("log", "--progress", "New entry")
    commit_all(root, "new")
    if uncommitted:
        run("log", "--progress", "New entry not committed")
    git(root, "checkout", "HEAD~1", "--", SESSION)
    path = root / SESSION
    text = path.read_text()
    line = next(x for x in text.splitlines() if x.endswith("] Old entry"))
    path.write_text(text.replace(line, f"{line}\n- [ ] {run.stamp} Typed after the put-back"))
    return run


@pytest.mark.parametrize("gap", [False, True], ids=["same minute", "a minute later"])
@pytest.mark.parametrize("uncommitted", [False, True], ids=["committed", "not committed"])
def test_merge_kept_of_a_put_back_archive_never_loses_the_session_started_since(
        repo: Path, gap: bool, uncommitted: bool) -> None:
    """Following the tool's advice (``log`` refuses, exit 7, ``merge-kept``, ``start``)
    after git put a wrapped-up session's older version back over the session started
    since: the typed line goes into the archive, and the new session is brought back
    whole, never taken for the archived one (same ``AGENT_ID`` and ``STARTED``, another
    ``SESSION_ID``) and its kept copy never dropped or overwritten."""
    run = _put_back_over_a_new_session(repo, gap=gap, uncommitted=uncommitted)
    kept = (repo / KEPT).read_bytes()
    refused = run("log", "--progress", "x", check=False)
    assert refused.returncode == 7, refused.stderr
    said = _flat(refused.stderr)
    assert PUT_BACK in said and f"ai-protocols merge-kept {repo / SESSION}" in said, said
    assert f"brings back the session ai-protocols wrote last here (kept in {repo / KEPT})" \
        in said, said
    run("merge-kept", SESSION)
    [archive] = (repo / ".ai/sessions").glob("*.org")
    assert "Typed after the put-back" in archive.read_text()
    assert "New entry" not in archive.read_text()
    assert (repo / KEPT).read_bytes() == kept
    shown = run("show", check=False)
    assert "already wrapped up" not in shown.stderr, shown.stderr
    started = run("start", "--title", "next")
    assert "Brought back" in started.stdout, started.stdout
    text = (repo / SESSION).read_text()
    assert "New one" in text and "New entry" in text and "Old entry" not in text
    assert ("New entry not committed" in text) == uncommitted
    listed = run("list").stdout
    assert re.search(r"open .*New one", listed) and re.search(r"archived .*Old done", listed)


@pytest.mark.parametrize("command", [
    ("start", "--title", "New one"), ("log", "--progress", "x"), ("log", "--done", "Old entry"),
    ("log", "--decision", "d", "--rationale", "r"), ("wrap-up", "x"), ("pause", "--no-checkpoint")])
def test_every_write_refuses_a_pre_wrap_up_version_put_back_over_a_new_session(
        repo: Path, command: tuple[str, ...]) -> None:
    """git put back the version from before the wrap-up (``STATUS`` active) over the
    session started a minute later: ``start`` and every write refuse it alike (exit 7,
    naming the archive and ``merge-kept``), never "This session already started" with
    the archived session as current, never the other-session refusal's ``mv``/``cp``;
    nothing changes; ``status`` warns in the same words."""
    run = _put_back_over_a_new_session(repo, gap=True, uncommitted=True)
    before = {p: p.read_bytes() for p in (repo / ".ai").rglob("*") if p.is_file()
              and ".locks/" not in str(p)} | {repo / KEPT: (repo / KEPT).read_bytes()}
    refused = run(*command, check=False)
    assert refused.returncode == 7, (refused.stdout, refused.stderr)
    said = _flat(refused.stderr)
    [archive] = (repo / ".ai/sessions").glob("*.org")
    assert f"archived to {archive}" in said and PUT_BACK in said, said
    assert "merge-kept" in said and " cp " not in said, said
    assert "This session already started" not in refused.stdout
    after = {p: p.read_bytes() for p in before if p.exists()}
    assert after == before
    assert PUT_BACK in _flat(run("status").stdout + run("status").stderr)


_WORDS = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                 max_size=30).map(str.strip).filter(lambda t: bool(t) and t[0] not in "-@*#")


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(typed=_WORDS)
def test_writes_on_an_archived_copy_put_back_by_hand_name_the_archive(
        tmp_path_factory: pytest.TempPathFactory, typed: str) -> None:
    """The archive copied back by hand (``STATUS`` wrapped-up) with a line typed into it:
    ``log --progress``, ``log --done``, ``pause`` and ``wrap-up`` refuse it as ``start``
    does (exit 7, the archive and ``merge-kept`` named), never "already wrapped up; run
    'ai-protocols start'" (which ``start`` refuses)."""
    root = tmp_path_factory.mktemp("p").resolve()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    run = Clock(root)
    run("start", "--title", "Old one")
    run("log", "--progress", "Old entry")
    run("wrap-up", "Old done")
    [archive] = (root / ".ai/sessions").glob("*.org")
    text = archive.read_text()
    line = next(x for x in text.splitlines() if x.endswith("] Old entry"))
    (root / SESSION).write_text(text.replace(line, f"{line}\n- [ ] {run.stamp} {typed}"))
    for command in (("log", "--progress", "x"), ("log", "--done", "Old entry"),
                    ("pause", "--no-checkpoint"), ("wrap-up", "x"), ("start",)):
        refused = run(*command, check=False)
        assert refused.returncode == 7, (command, refused.stderr)
        said = _flat(refused.stderr)
        assert f"archived to {archive}" in said and PUT_BACK in said, (command, said)
        assert f"ai-protocols merge-kept {root / SESSION}" in said, (command, said)
    assert archive.read_text() == text


def test_the_protocol_says_what_to_do_on_a_put_back_archive(project: Path) -> None:
    """``.ai/protocols.org`` (what ``init`` writes) names start's exit-7 refusal of a
    put-back archive with its ``merge-kept`` advice and the "another session" warning,
    and after a wrap-up's exit 7 does not send the agent back to a ``start`` that
    refuses."""
    protocol = _flat((project / ".ai/protocols.org").read_text())
    assert f"already wrapped up (archived to ARCHIVE): {PUT_BACK}" in protocol
    assert "=ai-protocols merge-kept PATH=" in protocol
    assert "Warning: this session file holds another session (...) than the one " \
        "ai-protocols wrote last here" in protocol
    assert "Run =start= for new work. When the error says the file is a copy" in protocol
