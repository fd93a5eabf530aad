"""The README's first command, on Debian's own Python, and what scripts/test says
before it installs anything (issue 13, points 1 and 2).

The first command must work as written where pip refuses to install into the
system (PEP 668): here, Debian's ``/usr/bin/python3``, with no pyenv, virtual
environment or ``.venv/bin`` on ``PATH``. It runs in a copy of the work tree as a
fresh clone would hold it, with a home of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")


def fresh_clone(target: Path) -> Path:
    """The files a clone of this work tree would hold (tracked and new, not ignored),
    copied to ``target``: what a newcomer has after ``git clone``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def system_env(home: Path, **extra: str) -> dict[str, str]:
    """A login's environment on a stock Debian machine: the system's PATH only (so
    ``python3`` is ``/usr/bin/python3``), a home of its own, and the machine's pip
    settings (where it finds packages)."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}}
    env.update(extra)
    return env


def first_command() -> str:
    """The README's first shell command, as written."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block, "the README has no sh block"
    return block.group(1).strip()


def test_the_readme_first_command_works_on_debians_own_python(tmp_path: Path) -> None:
    assert SYSTEM_PYTHON.exists(), "Debian's python3 is missing; scripts/test installs it"
    clone = fresh_clone(tmp_path / "ai-protocols")
    home = tmp_path / "home"
    home.mkdir()
    env = system_env(home)
    # The premise: this Python refuses `pip install` into the system.
    refused = subprocess.run(["python3", "-m", "pip", "install", "."], cwd=clone, env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stderr or \
        "No module named pip" in refused.stderr, refused.stderr
    assert (Path("/usr/lib") / f"python3.{sys_minor()}" / "EXTERNALLY-MANAGED").exists()
    # The README's first command, as written, from the clone.
    command = first_command()
    result = subprocess.run(["sh", "-c", command], cwd=clone, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scripts/install: installed ai-protocols, version" in result.stderr
    assert f"note: {home}/.local/bin is not on your PATH" in result.stderr
    assert "Started a fresh session" in result.stdout
    assert "logged decision: Sweep in reverse order" in result.stdout
    installed = home / ".local" / "bin" / "ai-protocols"
    assert os.path.realpath(installed).startswith(f"{home}/.local/share/ai-protocols/venv/")
    # Run again, it upgrades in place.
    again = subprocess.run(["scripts/install"], cwd=clone, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "making a virtual environment" not in again.stderr


def sys_minor() -> int:
    out = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[1])"],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


def test_install_says_what_to_do_without_a_python_that_can_make_environments(
        tmp_path: Path) -> None:
    """A Python without venv (Debian's without python3-venv): a message that names the
    package, exit 1, nothing left behind."""
    fake = tmp_path / "bin"
    fake.mkdir()
    no_venv = fake / "python3"  # Debian's python3 as it is without python3-venv
    no_venv.write_text(f'#!/bin/sh\nif [ "$1 $2" = "-m venv" ]; then\n'
                       f'  echo "The virtual environment was not created successfully because '
                       f'ensurepip is not available." >&2; exit 1\nfi\n'
                       f'exec {SYSTEM_PYTHON} "$@"\n')
    no_venv.chmod(0o755)
    home = tmp_path / "home"
    env = system_env(home, PATH=f"{fake}:/usr/bin:/bin")
    result = subprocess.run([str(REPO_ROOT / "scripts" / "install")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot make a virtual environment" in result.stderr
    assert "Debian/Ubuntu: sudo apt install python3-venv" in result.stderr
    assert not (home / ".local" / "share" / "ai-protocols" / "venv").exists()
    assert not (home / ".local" / "bin").exists()


# -- scripts/test -----------------------------------------------------------------------------


def bare_path(tmp_path: Path, *programs: str) -> Path:
    """A folder of links to ``programs`` only (what scripts/test needs before its
    first install), to stand for a machine without Emacs or apt-get."""
    folder = tmp_path / "path"
    folder.mkdir(exist_ok=True)
    for program in programs:
        found = shutil.which(program)
        assert found, program
        (folder / program).symlink_to(found)
    return folder


BASICS = ("bash", "sh", "dirname", "id", "cat")


def test_scripts_test_without_apt_get_says_what_to_install_and_stops(tmp_path: Path) -> None:
    path = bare_path(tmp_path, *BASICS)
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "test")],
                            env={"PATH": str(path), "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, "a clear stop, not 127 (command not found)"
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("scripts/test: Emacs is missing (real Emacs judges the Org "
                              "files the tests write)"), message
    assert "Debian/Ubuntu: sudo apt-get install emacs-nox" in message
    assert "Fedora: sudo dnf install emacs-nox" in message
    assert "macOS: brew install emacs" in message
    assert "command not found" not in message
    assert not (tmp_path / ".venv").exists()


def test_scripts_test_says_what_it_installs_before_it_does(tmp_path: Path) -> None:
    """apt-get here is a stand-in that says it ran and fails (a real one would change
    this machine): what matters is what scripts/test says, and when."""
    path = bare_path(tmp_path, *BASICS)
    for name in ("apt-get", "sudo"):
        stand_in = path / name
        body = 'exec "$@"' if name == "sudo" else 'echo "apt-get ran: $*" >&2; exit 100'
        stand_in.write_text(f"#!/bin/sh\n{body}\n")
        stand_in.chmod(0o755)
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "test")],
                            env={"PATH": str(path), "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    announce = next(i for i, line in enumerate(lines) if "installing the Debian package(s) "
                    "emacs-nox with" in line)
    ran = next(i for i, line in enumerate(lines) if line.startswith("apt-get ran: update"))
    assert announce < ran, lines
    assert lines[announce].startswith("scripts/test: Emacs is missing (real Emacs judges")
    assert "apt-get update failed" in lines[-1] and "Debian/Ubuntu" in lines[-1]


@pytest.mark.parametrize("what", ["Emacs", "npm", "python3-venv"])
def test_the_readme_says_what_the_test_command_needs_and_fetches(what: str) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("scripts/test\n```", 1)[1].split("\n## ", 1)[0]
    assert what in section
    assert "scripts/install-agents" in section and "~/.cache/ai-protocols/agents" in section


def test_the_package_carries_what_an_index_shows() -> None:
    """``pipx install ai-protocols`` is one publish away: the installed metadata has
    a summary, the licence, classifiers and the README as its description."""
    from importlib.metadata import metadata

    meta = metadata("ai-protocols")
    assert meta["Summary"] and meta["License-Expression"] == "MIT"
    assert "Programming Language :: Python :: 3" in meta.get_all("Classifier")
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "scripts/install && scripts/demo" in (meta["Description"] or meta.get_payload())
    assert "LICENSE" in (meta.get_all("License-File") or [])
