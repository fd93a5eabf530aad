"""A command that changes nothing, whose standard output cannot be written (fifteenth
review of issue 16, f8; docs/decisions.md, "Issue 16, fifteenth round (output lost)").

Seen: ``show``, ``resume``, ``status``, ``list``, ``task list`` and ``checkpoint list``
with ``> /dev/full`` exited 16, "what it changes is changed ... do not run it again":
an agent that obeyed went without its resume context, for a command that changes
nothing. Such a command now exits 9 ("nothing was changed"), naming standard output
and saying to run it again; a command that changes the project keeps 16
(tests/test_cli_fourteenth.py). Every command of the CLI is one or the other.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from test_cli_fourteenth import WRITES, run_with_stdout

from conftest import CLI, Runner, clean_env

AGENT = "vm.g14.claude.1796000001"

#: Each command that changes nothing, as run here (a task and a checkpoint exist).
READS = {
    ("agent-id",): ("agent-id", "--runtime", "claude"),
    ("check",): ("check",),
    ("list",): ("list",),
    ("locks",): ("locks",),
    ("path",): ("path",),
    ("resume",): ("resume",),
    ("show",): ("show",),
    ("status",): ("status",),
    ("checkpoint", "list"): ("checkpoint", "list"),
    ("checkpoint", "show"): ("checkpoint", "show", "1"),
    ("task", "list"): ("task", "list"),
    ("task", "show"): ("task", "show", "TASK"),
    ("hooks", "plugin-dir"): ("hooks", "plugin-dir"),
    ("hooks", "status"): ("hooks", "status"),
}


def _tree(project: Path) -> dict[str, str]:
    """Every file of the project (outside .git) and every ref, by a digest of its bytes;
    the caches (list's index, status's record of the newest archives, the readers'
    record of other agents' heads) left out."""
    files = {}
    for folder, dirs, names in os.walk(project):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = Path(folder, name)
            if "archive-index" in name or path.is_symlink() or \
                    name in ("sessions.index", "sessions.newest", "others.heads"):
                continue
            files[str(path.relative_to(project))] = hashlib.sha1(path.read_bytes()).hexdigest()
    refs = subprocess.run(["git", "for-each-ref"], cwd=project, capture_output=True,
                          text=True, check=True).stdout
    return {**files, "refs": refs}


@pytest.fixture
def busy(project: Path, run: Runner) -> tuple[Path, str]:
    """A project with a commit, a session, a checkpoint and a claimed task; its task id."""
    (project / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "a.txt"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "a"],
                   cwd=project, check=True)
    run("start", "--title", "s", agent=AGENT)
    (project / "a.txt").write_text("b\n")
    run("checkpoint", "--note", "n", agent=AGENT)
    task = run("task", "add", "a task", agent=AGENT).stdout.split()[-1]
    run("task", "claim", task, agent=AGENT)
    return project, task


def test_a_command_that_changes_nothing_says_run_it_again(busy: tuple[Path, str]) -> None:
    """Each command of :data:`READS`, its output a full device and a closed descriptor:
    exit 9, "changes nothing: run it again", and not a byte of the project changed."""
    project, task = busy
    before = _tree(project)
    for words, given in sorted(READS.items()):
        args = tuple(task if arg == "TASK" else arg for arg in given)
        for how in ("full", "closed"):
            done = run_with_stdout(project, how, *args)
            stderr = done.stderr.decode()
            assert done.returncode == 9, (words, how, stderr)
            assert "Error: standard output could not be written" in stderr, (words, how)
            assert "changes nothing: run it again" in stderr, (words, how)
            assert "do not run it again" not in stderr and "refused ?" not in stderr
            assert "Traceback" not in stderr
            assert _tree(project) == before, (words, how)


def test_help_and_version_with_lost_output_say_run_it_again(project: Path) -> None:
    for args in (("--help",), ("log", "--help"), ("task", "add", "--help"), ("--version",)):
        done = run_with_stdout(project, "full", *args)
        assert done.returncode == 9, (args, done.stderr.decode())
        assert b"changes nothing: run it again" in done.stderr


def _commands(*group: str) -> set[str]:
    """The commands ``ai-protocols GROUP --help`` lists (none: GROUP is no group)."""
    shown = subprocess.run([str(CLI), *group, "--help"], capture_output=True, text=True,
                           env=clean_env(), check=True).stdout
    if "Commands:" not in shown:
        return set()
    listed = shown[shown.index("Commands:"):].splitlines()[1:]
    return {line.split()[0] for line in listed if line.startswith("  ") and line.split()}


def test_every_command_is_known_to_change_something_or_nothing() -> None:
    """The rule cannot drift: each command the CLI has is either one that changes
    nothing (exit 9 above) or one whose change this suite checks is made once (exit
    16), or one that writes by its nature (listed here, with why)."""
    from ai_protocols.cli.output import CHANGES_NOTHING

    assert set(READS) == set(CHANGES_NOTHING)
    writers = {tuple(name.split()) for name in WRITES} | {
        ("hook",), ("hooks",), ("init",), ("lock",), ("unlock",), ("merge-driver",),
        ("merge-kept",), ("recover",), ("spawn",), ("checkpoint", "export"),
        ("checkpoint", "restore"), ("hooks", "install"), ("hooks", "uninstall"),
        *(("task", sub) for sub in (
            "cancel", "claim", "done", "edit", "handoff", "merge-copy", "release", "reopen"))}
    known = set(CHANGES_NOTHING) | writers
    groups = [(name,) for name in _commands() if _commands(name)]  # (every group)
    assert {("task",), ("checkpoint",), ("hooks",)} <= set(groups)
    for group in ((), *groups):
        for name in _commands(*group):
            words = (*group, name)
            if words in set(groups):
                continue
            assert words in known, f"{' '.join(words)}: does it change anything?"


def test_an_os_error_naming_no_file_is_said_without_a_question_mark() -> None:
    """An ``OSError`` the library did not expect and that names no file (a write to a
    pipe, an ``fsync``) was reported as "the file system refused ?: ...". The console
    script's one reporter (``report_error``) now says "a read or write", exit 9."""
    import sys

    program = ("import errno, sys\nfrom ai_protocols.cli.output import report_error\n"
               "sys.exit(report_error(OSError(errno.ENOSPC, 'No space left on device')))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert done.returncode == 9, done.stderr
    assert done.stderr == ("Error: the file system refused a read or write: "
                           "No space left on device\n")
