"""Twenty-third round: the merge driver's look into git's history (docs/decisions.md,
"Twenty-third round: one history_versions").

1. the session's readers of git's history ran ``git log --raw`` without ``-m``: a version
   a merge commit made (the driver's result of a merging pull) was never seen;
2. a person's deliberate deletion of an entry (in Emacs, on an up-to-date buffer,
   committed and pushed from one clone) came back through a real ``git pull`` in the
   agent's clone, which had logged other entries: the driver took the version the
   person's commit made, fetched into the reflog of ``origin/main``, for the tool's
   write the base was made from, and so the deletion for a stale buffer's.

Two real clones of a bare origin (tests/clonekit.py), real ``git pull``/``git merge``
running the installed ``ai-protocols`` as the driver, real Emacs making the deletion.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from clonekit import LAYOUTS, Agent, Clones, commit, git, push
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.git.history import history_versions

from conftest import clean_env


def _entries(first: Agent) -> None:
    first("init")
    first("start", "--objective", "Fix")
    for text in ("Entry one", "Entry two", "Entry three"):
        first("log", "--progress", text)


def emacs_delete(run: Agent, text: str) -> None:
    """A person deletes the Log item holding ``text`` in Emacs (the buffer opened now,
    up to date: ``org-end-of-item``) and saves."""
    code = ('(progn (require (quote org)) (goto-char (point-min)) '
            '(search-forward (getenv "TEXT")) (beginning-of-line) '
            '(let ((start (point))) (org-end-of-item) (delete-region start (point))) '
            '(save-buffer))')
    done = subprocess.run(["emacs", "--batch", str(run.file), "--eval", code], cwd=run.cwd,
                          env=clean_env(TEXT=text), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert text not in run.path.read_text(), "Emacs did not delete it"


#: How the merging clone takes the other's commit: git's merging pull or a rebasing one.
PULLS = {"merge": ["--no-rebase", "--no-edit"], "rebase": ["--rebase"]}


@pytest.mark.parametrize("where", ["agent", "person"])
@pytest.mark.parametrize("pull", list(PULLS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_persons_committed_deletion_stands_through_a_real_pull(
        tmp_path: Path, layout: str, pull: str, where: str) -> None:
    """The person deletes ``Entry two`` in clone ``p`` (Emacs, up to date), commits and
    pushes; the agent logs ``A-more`` in clone ``a`` and commits; ``a`` pulls (or ``p``
    pulls ``a``'s commit, pushed): the merge holds no ``Entry two``, and every other
    entry once; so does the merging clone's next write."""
    clones = Clones(tmp_path.resolve(), agent=LAYOUTS[layout], names=("a", "p"),
                    prepare=_entries)
    run_a, run_p = clones.run_one, clones.run_two
    emacs_delete(run_p, "Entry two")
    run_a("log", "--progress", "A-more")
    if where == "agent":
        push(run_p, "the person drops Entry two")
        commit(run_a.cwd, "a log")
        merging = run_a
    else:
        push(run_a, "a log")
        commit(run_p.cwd, "the person drops Entry two")
        merging = run_p
    done = git(merging.cwd, "pull", "-q", *PULLS[pull], "origin", "main", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = merging.path.read_text()
    assert "Entry two" not in text, text
    for kept in ("] Entry one\n", "] Entry three\n", "] A-more\n"):
        assert text.count(kept) == 1, (kept, text)
    merging("log", "--progress", "after")
    assert "Entry two" not in merging.path.read_text()


def test_a_version_only_a_merge_commit_made_is_in_the_history(tmp_path: Path) -> None:
    """A merging pull whose driver makes a version no side held (each clone logged):
    the merge commit's version is among ``history_versions`` of ``HEAD`` (``git log
    -m``), after each commit and with the versions before; ``--reflog`` too."""
    clones = Clones(tmp_path.resolve())
    clones.run_two("log", "--progress", "two's step")
    push(clones.run_two, "two")
    clones.run_one("log", "--progress", "one's step")
    commit(clones.one, "one")
    git(clones.one, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    merged = (clones.one / ".ai" / "session-context.org").read_bytes()
    assert b"two's step" in merged and b"one's step" in merged
    assert git(clones.one, "rev-parse", "-q", "--verify", "HEAD^2").returncode == 0
    for before in (True, False):
        for revs in (["HEAD"], ["HEAD", "--reflog"]):
            found = history_versions(clones.one, ".ai/session-context.org", revs, 30, before)
            assert found and found[0] == merged, (before, revs)
    below = clones.one / "sub"
    below.mkdir()
    assert history_versions(below, "../.ai/session-context.org")[0] == merged


PATHS = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                min_size=1, max_size=12).filter(lambda s: s not in (".", "..")
                                               and not s.startswith("-") and s.strip() == s)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hist").resolve()
    git(root, "init", "-q", "-b", "main")
    return root


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=PATHS, texts=st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=4,
                                  unique=True))
def test_history_versions_reads_any_name_literally(repo: Path, name: str,
                                                   texts: list[bytes]) -> None:
    """Any file name (a pathspec's magic characters, ``*``, ``:``, spaces): each
    committed version, newest first, each once, and nothing of another file."""
    (repo / "other").write_bytes(b"other\n")
    for text in texts:
        (repo / name).write_bytes(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", "v")
    found = history_versions(repo, name, ["HEAD"], 200, before=False)
    committed = list(dict.fromkeys(reversed(texts)))
    assert found[:len(committed)] == committed, found
    assert b"other\n" not in found or b"other\n" in texts
