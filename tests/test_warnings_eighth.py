"""The commands the warnings give are safe to paste (eighth review of issue 14).

``resume`` and ``start`` advise git commands with a branch's or a remote's name in
them. Seen: a branch named ``x;touch${IFS}pwned``, pasted as advised, ran ``touch``; a
branch whose name is not UTF-8 was recorded in its escaped form and looked deleted ("no
branch caf\\xe9 here holds it"), though git held it at that very commit. Every name in
an advised command is now quoted for a POSIX shell (``$'...'`` for a byte that is not
UTF-8), and a recorded name is given to git as the bytes it is.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitkit import commit_all, first_commit, git

from conftest import Runner


def _switch_advice(said: str) -> str:
    """The command inside ``(git switch ...)`` of a warning, one line."""
    flat = " ".join(said.split())
    start = flat.index("switch to it (git switch ") + len("switch to it (")
    return flat[start:flat.index(")", start)]


def _work_on(repo: Path, run: Runner, branch: bytes) -> None:
    first_commit(repo)
    subprocess.run([b"git", b"switch", b"-q", b"-c", branch], cwd=repo, check=True)
    (repo / "f").write_text("work\n")
    commit_all(repo, "feature work")
    run("start", "--title", "T")
    run("log", "--progress", "on the branch")
    git(repo, "switch", "-q", "master")


def _current_branch(repo: Path) -> bytes:
    return subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=repo, check=True,
                          capture_output=True).stdout.rstrip(b"\n")


def test_a_branch_name_that_holds_shell_syntax_is_quoted_in_the_advice(
        repo: Path, run: Runner) -> None:
    name = b"x;touch${IFS}pwned"
    _work_on(repo, run, name)
    command = _switch_advice(run("resume").stdout)
    subprocess.run(["sh", "-c", command], cwd=repo, check=True, capture_output=True)
    assert not (repo / "pwned").exists()
    assert _current_branch(repo) == name


def test_a_branch_named_in_bytes_that_are_not_utf8_is_found_and_switched_to(
        repo: Path, run: Runner) -> None:
    name = b"caf\xe9"
    _work_on(repo, run, name)
    said = run("resume").stdout
    flat = " ".join(said.split())
    assert "here holds it" not in flat, said
    assert "the work is on branch caf\\xe9: switch to it" in flat, said
    command = _switch_advice(said)
    assert command == "git switch $'caf\\351'", command  # (octal: eighth review)
    subprocess.run(["bash", "-c", command], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "LC_ALL": "C"})
    assert _current_branch(repo) == name


def test_a_whole_number_past_18_digits_is_said_too_large_not_no_number(
        project: Path, run: Runner) -> None:
    """Seen: ``--marker-size 99999999999999999999`` was refused as "not a whole number:
    give ASCII digits only", though it is all ASCII digits."""
    for args in (["resume", "--max-bytes", "9" * 20],
                 ["merge-driver", "--marker-size", "9" * 20, "b", "o", "t"]):
        done = run(*args, check=False)
        assert done.returncode == 2, done
        assert "is too large: give at most 18 digits" in done.stderr, done.stderr
        assert "not a whole number" not in done.stderr


def test_a_ref_that_starts_with_a_dash_is_advised_only_what_works(
        project: Path, run: Runner) -> None:
    """Seen: ``checkpoint show -1`` advised quoting ``-1``, which gives the same error;
    only the '--' part of the advice worked. Now only that is said, and it works as far
    as reading the REF (no such checkpoint: exit 5, not a usage error)."""
    done = run("checkpoint", "show", "-1", check=False)
    assert done.returncode == 2 and "goes in quotes" not in done.stderr, done.stderr
    assert "ai-protocols checkpoint show -- -1" in done.stderr, done.stderr
    assert run("checkpoint", "show", "--", "-1", check=False).returncode != 2
