"""The merge driver of ``.ai/`` in git's configuration: the command git runs to merge
session files and the task board (``ai-protocols merge-driver``, docs/merge-driver.md),
set in a clone's local configuration by ``init`` and by the first write of a clone that
lacks it.

Apart from :mod:`ai_protocols.session.merge` (the merge itself, whose imports cost a
command about as much as click's) so that ``init``, and ``start`` or ``task add`` in a
project not set up yet, set the driver without importing the merge (docs/performance.md,
"The test suite's time, twentieth round").
"""

from __future__ import annotations

import os
import sys

from ai_protocols.paths import DRIVER_NAME
from ai_protocols.storage import files as storage

__all__ = ["configure_driver", "configure_missing_merge_driver", "driver_command",
           "driver_configured_note", "tool_command"]


def driver_command(executable: str | None = None) -> str:
    """The command git runs as ``merge.ai-protocols.driver``: this installation's console
    script by its absolute path (a person's PATH is not always git's; ``executable``,
    else :func:`tool_command`), with git's placeholders (gitattributes(5)): ``%O`` base,
    ``%A`` ours and the result, ``%B`` theirs, ``%L`` the conflict marker size, ``%P``
    the path in the tree."""
    if executable is None:
        executable = tool_command()
    return f"{executable} merge-driver --marker-size %L %O %A %B %P"


def tool_command() -> str:
    """This installation's console script as a shell command: its absolute path, quoted
    (a person's PATH is not always the one it ran from), or ``python -m ai_protocols``
    by this interpreter's path when it was not run as ``ai-protocols``; for the merge
    driver (:func:`driver_command`) and commands a message gives to paste."""
    import shlex
    from pathlib import Path

    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "ai-protocols" and script.is_file():
        return shlex.quote(os.path.abspath(script))
    return f"{shlex.quote(sys.executable)} -m ai_protocols"


def configure_driver(root: str, command: str) -> tuple[str, bool] | None:
    """Define the merge driver (``command``, :func:`driver_command`) in the local git
    configuration of the work tree around ``root`` (``git config --local``, which locks
    and rewrites the file itself; git-config(1)), only where a value differs; return
    the configuration file and whether a value changed, ``None`` outside a git work
    tree or without git. Raises :class:`~ai_protocols.storage.files.StorageError` when
    git cannot write it."""
    import subprocess

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True,
                              check=False)

    try:
        found = git("rev-parse", "--git-path", "config")  # relative to root, or absolute
    except OSError:
        return None  # no git at all: nothing to configure
    if found.returncode != 0:
        return None  # not a git work tree: nothing to configure
    config = os.path.normpath(os.path.join(root, found.stdout.strip()))
    wanted = {f"merge.{DRIVER_NAME}.name": "ai-protocols: session files entry by entry",
              f"merge.{DRIVER_NAME}.driver": command}
    changed = False
    for key, value in wanted.items():
        if git("config", "--local", "--get", key).stdout.rstrip("\n") != value:
            done = git("config", "--local", key, value)
            if done.returncode != 0:
                raise storage.StorageError(config, OSError(done.stderr.strip() or
                                                           "git config failed"))
            changed = True
    return config, changed


def configure_missing_merge_driver(root: str) -> str | None:
    """Configure the merge driver in the local git configuration of the work tree
    around ``root`` when it is not there (:func:`ai_protocols.paths.merge_driver_missing`:
    the file read, no git run), as ``init`` does; return the configuration file when it
    did, else ``None``. Never raises: nothing that calls it fails for its sake. ``start``,
    board changes and every write of a session file ask it (docs/decisions.md, "Issue
    14, sixteenth round (git)")."""
    from ai_protocols.paths import merge_driver_missing

    config = merge_driver_missing(root)
    if config is None:
        return None
    try:
        done = configure_driver(root, driver_command())
    except Exception:  # (a git that fails here: the caller's work goes on)
        return None
    return config if done is not None and done[1] else None


def driver_configured_note(config: str) -> str:
    """What a command says when it configured the merge driver in a clone's local git
    configuration ``config`` (:func:`configure_missing_merge_driver`)."""
    from ai_protocols.lean import display

    return ("Note: the merge driver of .ai/ was not in this clone's local git configuration "
            "(git does not clone it; without it, two clones that change one session file or "
            f"the task board conflict): configured it in {display(config)}, as "
            "'ai-protocols init' does.")
