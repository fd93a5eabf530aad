"""Every console example in the README and the user guide runs, and prints what the
page says it prints (issue 13, point 9): the docs cannot drift from the tool.

A page's ```console blocks run in order in one bash, as a person would type them
into one terminal: ``cd`` and ``export`` carry over. Each ``$ `` line is a command
(stdout and stderr together, in the order a terminal shows them); the lines up to
the next ``$ `` are what it prints. A line ``...`` stands for any number of lines.
An HTML comment right before a block, ``<!-- console setup: ... -->``, holds shell
lines that bring the project into the state the example starts from; they print
nothing on the page and must succeed.

The run happens in a home of its own (``/home/me`` on the page), with ``devbox`` as
the host name (a UTS namespace of its own), and these are made the same on both
sides before comparing: times and dates, Unix times in ids, process ids, and how
many minutes ago something was updated.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import CLI, clean_env

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPO_ROOT / "README.md", REPO_ROOT / "docs" / "user-guide.md"]
MARK = "\x1e"


@dataclass
class Command:
    line: int  # on the page
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int
    setup: str
    commands: list[Command]


def blocks(page: Path) -> list[Block]:
    """The console blocks of ``page``, with their setups."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        if line.strip() != "```console":
            continue
        setup = ""
        if number and lines[number - 1].strip() == "-->":
            start = max(i for i in range(number) if lines[i].startswith("<!-- console setup:"))
            setup = "\n".join(lines[start + 1:number - 1])
        commands: list[Command] = []
        for offset, text in enumerate(lines[number + 1:], start=number + 2):
            if text.strip() == "```":
                break
            if text.startswith("$ "):
                commands.append(Command(offset, text[2:]))
            else:
                assert commands, f"{page.name}:{offset}: output before any command"
                commands[-1].expected.append(text)
        found.append(Block(number + 1, setup, commands))
    return found


def script(page_blocks: list[Block]) -> str:
    """One bash script that runs the blocks, each command after a marker line."""
    out = ["set +e", "export PYTHONUNBUFFERED=1"]
    for block in page_blocks:
        if block.setup:  # (its output kept apart: shown only when it fails)
            out += ["set -e", "exec 3>&1 4>&2 >>\"$SETUP_LOG\" 2>&1", block.setup,
                    "exec 1>&3 2>&4", "set +e"]
        for number, command in enumerate(block.commands):
            out += [f"printf '{MARK}%s\\n' '{block.line}.{number}'", f"{command.text} 2>&1"]
    return "\n".join(out) + "\n"


NORMAL = [
    (re.compile(r"\[\d{4}-\d\d-\d\d [A-Z][a-z]{2} \d\d:\d\d\]"), "[TIME]"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T-]\d\d[:-]\d\d"), "TIME"),
    (re.compile(r"\b1[6-9]\d{8}(?:\.\d+)?(?:-\d+|-[0-9a-f]{12})?\b"), "EPOCH"),
    (re.compile(r"\bboot [0-9a-f]{8}:\d+"), "boot BOOT"),
    (re.compile(r"\b(pid|process) \d+"), r"\1 PID"),
    (re.compile(r"\b\d+ (min|minutes|hours|days) ago\b"), r"N \1 ago"),
]


def normal(text: str, home: str) -> str:
    text = text.replace(home, "/home/me")
    for pattern, replacement in NORMAL:
        text = pattern.sub(replacement, text)
    return text.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, each ``...`` line standing for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_console_example_prints_what_the_page_says(page: Path, tmp_path: Path) -> None:
    page_blocks = blocks(page)
    assert page_blocks, f"{page.name} has no console example"
    home = tmp_path / "home" / "me"
    (home / "bin").mkdir(parents=True)
    claude = home / "bin" / "claude"  # the agent the spawner examples start
    claude.write_text("#!/bin/sh\nexit 0\n")
    claude.chmod(0o755)
    setup_log = tmp_path / "setup.log"
    env = clean_env(HOME=str(home), PATH=f"{CLI.parent}:{home / 'bin'}:/usr/bin:/bin",
                    GIT_CONFIG_NOSYSTEM="1", SETUP_LOG=str(setup_log))
    body = tmp_path / "page.sh"
    body.write_text(script(page_blocks))
    result = subprocess.run(
        ["unshare", "--uts", "bash", "-c", 'hostname devbox && cd && exec bash "$0"', str(body)],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"a setup failed, or the examples could not run (unshare --uts needs root):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}\nsetups printed:\n"
        f"{setup_log.read_text()[-3000:] if setup_log.exists() else ''}")
    printed: dict[str, str] = {}
    for chunk in result.stdout.split(MARK)[1:]:
        key, _, out = chunk.partition("\n")
        printed[key] = out
    wrong = []
    for block in page_blocks:
        for number, command in enumerate(block.commands):
            actual = normal(printed.get(f"{block.line}.{number}", "(not run)"),
                            str(home)).splitlines()
            expected = normal("\n".join(command.expected), "/home/me").splitlines()
            if not matches(expected, actual):
                wrong.append(f"{page.name}:{command.line}: $ {command.text}\n  the page says:\n"
                             + "\n".join(f"    {e}" for e in expected) + "\n  it prints:\n"
                             + "\n".join(f"    {a}" for a in actual))
    assert not wrong, "\n".join(wrong)


def test_the_comparison_can_fail() -> None:
    assert matches(["a", "...", "c"], ["a", "b", "b", "c"])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["a"], [])
    assert normal("updated 3 min ago at 2026-11-21 10:02 by pid 4", "/x") == \
        "updated N min ago at TIME by pid PID"

