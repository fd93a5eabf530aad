"""``ai-protocols init``: scaffolding that never clobbers a person's edits."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

from ai_protocols.scaffold import PLACEHOLDER, scaffold_files

from conftest import REPO_ROOT, Runner

FILES = ("scripts/session-context-path", "protocols.org", ".gitignore", ".gitattributes")


def test_init_installs_everything(repo: Path, run: Runner) -> None:
    out = run("init").stdout.splitlines()
    ai = repo / ".ai"
    for folder in ("", "/scripts", "/sessions", "/session-context.d"):
        assert f"created: {ai}{folder}" in out
    for name in FILES:
        assert f"created: {ai / name}" in out
        assert (ai / name).read_text() == scaffold_files()[name][0]
    assert os.access(ai / "scripts/session-context-path", os.X_OK)
    assert (ai / "sessions/.gitkeep").exists()
    assert (ai / "session-context.d/.gitkeep").exists()
    # The resolver works straight away, from anywhere.
    result = subprocess.run([str(ai / "scripts/session-context-path")], cwd="/",
                            capture_output=True, text=True, check=True, env={})
    assert result.stdout == f"{ai}/session-context.org\n"


def test_init_is_idempotent(repo: Path, run: Runner) -> None:
    run("init")
    before = {p: p.read_bytes() for p in (repo / ".ai").rglob("*") if p.is_file()}
    out = run("init").stdout.splitlines()
    assert sorted(out) == sorted([*(f"unchanged: {repo / '.ai' / name}" for name in FILES),
                                  f"unchanged: {repo / '.git' / 'config'}"])
    assert {p: p.read_bytes() for p in (repo / ".ai").rglob("*") if p.is_file()} == before


def test_init_keeps_a_changed_file(repo: Path, run: Runner) -> None:
    run("init")
    protocol = repo / ".ai/protocols.org"
    protocol.write_text(protocol.read_text() + "* My team's additions\n")
    edited = protocol.read_bytes()
    out = run("init").stdout
    assert f"kept: {protocol}" in out
    assert protocol.read_bytes() == edited


def test_init_updates_a_file_nobody_changed(repo: Path, run: Runner) -> None:
    """An older shipped version (its own digest intact) is replaced by the new one."""
    run("init")
    resolver = repo / ".ai/scripts/session-context-path"
    old_shipped = "#!/bin/sh\n# ai-protocols-scaffold: sha256=@SHA256@\necho old\n"
    digest = hashlib.sha256(old_shipped.encode()).hexdigest()
    resolver.write_text(old_shipped.replace(PLACEHOLDER, digest))
    out = run("init").stdout
    assert f"updated: {resolver}" in out
    assert resolver.read_text() == scaffold_files()["scripts/session-context-path"][0]
    assert os.access(resolver, os.X_OK)


def test_init_restores_the_executable_bit(repo: Path, run: Runner) -> None:
    run("init")
    resolver = repo / ".ai/scripts/session-context-path"
    resolver.chmod(0o644)
    assert f"made executable: {resolver}" in run("init").stdout
    assert resolver.stat().st_mode & stat.S_IXUSR


def test_this_repository_carries_its_own_scaffolding() -> None:
    """The repository's .ai/ is what `init` makes (run `ai-protocols init` to refresh)."""
    for name, (content, mode) in scaffold_files().items():
        path = REPO_ROOT / ".ai" / name
        assert path.read_text() == content, f"{path} differs from what init installs"
        if mode & 0o111:
            assert os.access(path, os.X_OK)
    assert (REPO_ROOT / ".ai/sessions").is_dir()
    assert (REPO_ROOT / ".ai/session-context.d").is_dir()
