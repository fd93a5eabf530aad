"""What the checkpoint tests share: git run as a person runs it, in a temporary
repository, with a fixed identity."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """``git -C cwd ARGS``' stdout, stripped; raises when it fails and ``check``."""
    done = subprocess.run(["git", "-C", str(cwd), *args], check=check, capture_output=True,
                          env={**os.environ, **GIT_ENV}, text=True)
    return done.stdout.strip()


def commit_all(root: Path, message: str = "c") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def first_commit(repo: Path) -> None:
    (repo / "a").write_text("a\n")
    commit_all(repo, "i")


def pasted(cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` pasted into bash in ``cwd``, as a person pastes advice: the installed
    ``ai-protocols`` first on ``PATH``, git's identity fixed, no ``AI_*`` variable of
    the caller's (``conftest.clean_env``)."""
    from conftest import BIN, clean_env

    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          env=clean_env(**GIT_ENV, PATH=path))
