"""``ai-protocols init``: install the ``.ai/`` scaffolding, never clobbering a person's edits.

Each installed file carries a line ``ai-protocols-scaffold: sha256=<hex>``,
the digest of the file as shipped (with ``@SHA256@`` in place of the hex).
A file whose content still matches its own digest is unchanged since we
installed it and may be replaced by a newer shipped version; a file that no
longer matches was changed by someone and is kept as it is.
"""

from __future__ import annotations

import os

from ai_protocols.lean import PathField, TextOf, pattern, record
from ai_protocols.paths import AI_DIR, CONTEXT_DIR, SESSIONS_DIR
from ai_protocols.storage import files as storage

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds)
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InitAction", "init_project", "is_set_up", "scaffold_files"]

PLACEHOLDER = "@SHA256@"
_MARKER = pattern(r"ai-protocols-scaffold: sha256=([0-9a-f]{64}|@SHA256@)")

#: Installed path under ``.ai/`` -> (packaged data file, permission bits).
_FILES: dict[str, tuple[str, int]] = {
    # Less the umask, as git checks files out: 0o755 and 0o644 under umask 022.
    "scripts/session-context-path": ("session-context-path", 0o777),
    "protocols.org": ("protocols.org", 0o666),
    ".gitignore": ("gitignore", 0o666),
    ".gitattributes": ("gitattributes", 0o666),
}
_DIRS = ("scripts", SESSIONS_DIR, CONTEXT_DIR)


@record(frozen=True)
class InitAction:
    """One thing ``init`` did or found: ``created``, ``updated``, ``unchanged``,
    ``kept`` (changed by someone, left alone), ``made executable``, or ``configured``
    (the merge driver set in git's configuration; ``path`` is then its file)."""

    action: str
    path: Path = PathField()  # (path_text: its text)
    path_text = TextOf("path")


def _stamp(shipped: str) -> str:
    import hashlib  # (here: hashlib and importlib.resources cost a hook milliseconds)

    digest = hashlib.sha256(shipped.encode("utf-8")).hexdigest()
    return shipped.replace(PLACEHOLDER, digest, 1)


def scaffold_files() -> dict[str, tuple[str, int]]:
    """What ``init`` installs: path under ``.ai/`` -> (content, permission bits)."""
    from importlib import resources

    data = resources.files("ai_protocols") / "data"
    return {
        target: (_stamp((data / source).read_text(encoding="utf-8")), mode)
        for target, (source, mode) in _FILES.items()
    }


#: The lines of ``.ai/.gitattributes`` that keep LF line endings in every clone, whatever
#: ``core.autocrlf`` says (gitattributes(5), ``eol``; issue 14, thirteenth round: a
#: clone with ``core.autocrlf=true``, Git for Windows's default, checked the sh resolver
#: out with CRLF, and sh refused it). ``init`` appends those missing to a file a person
#: changed, too: each line stands alone (attributes of several lines add up).
EOL_LINES = ("*.org text eol=lf", "scripts/session-context-path text eol=lf",
             ".gitignore text eol=lf", ".gitattributes text eol=lf")


def _unchanged_since_install(text: str) -> bool:
    """Whether ``text`` is a file as ``init`` installed it (its digest matches), also
    when a checkout turned its line endings into CRLF (``core.autocrlf``)."""
    match = _MARKER.search(text)
    if not match:
        return False
    shipped = text[: match.start(1)] + PLACEHOLDER + text[match.end(1):]
    import hashlib

    digest = hashlib.sha256(shipped.encode("utf-8")).hexdigest()
    return digest == match.group(1) or \
        hashlib.sha256(shipped.replace("\r\n", "\n").encode("utf-8")).hexdigest() \
        == match.group(1)


#: The lines of ``.ai/.gitignore`` the protocol needs in every clone: the per-machine
#: locks, leases and kept copies, the temporary files of atomic writes, the entries
#: waiting for an Emacs save, and Emacs's lock links (docs/git.md). ``init`` appends those
#: missing to a file a person changed, as it does :data:`EOL_LINES` (twenty-third round: a
#: ``.ai/.gitignore`` edited before ``.*.pending.org`` was shipped never got it, so
#: ``git add -A`` committed this machine's pending entries). A pattern the person negated
#: (``!PATTERN``) is their decision and is not added back.
IGNORE_LINES = (".locks/", ".*.tmp", ".*.pending.org", ".#*")

#: Installed path under ``.ai/`` -> (the lines it must hold, the comment said before those
#: ``init`` appends).
_NEEDED = {
    ".gitattributes": (EOL_LINES, "LF in every clone (gitattributes(5), eol)"),
    ".gitignore": (IGNORE_LINES, "this machine's files, never shared (docs/git.md)"),
}


def _missing_lines(target: str, text: str) -> str:
    """What to append to the file ``target`` (a path under ``.ai/`` in :data:`_NEEDED`)
    a person changed so that it holds every line the protocol needs (``""`` when it
    does, or for any other file): lines only added, the person's own left as they are.
    A line counts as there when a line of ``text``, stripped of blanks, is it or (for
    gitignore(5)'s negation) ``!`` and it."""
    if target not in _NEEDED:
        return ""
    lines, why = _NEEDED[target]
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in lines if line not in have and f"!{line}" not in have]
    if not missing:
        return ""
    lead = "" if not text or text.endswith("\n") else "\n"
    return lead + f"# ai-protocols init: {why}\n" + "".join(f"{line}\n" for line in missing)


def is_set_up(root: str | os.PathLike[str]) -> bool:
    """Whether every folder and file ``init`` installs is in ``root``'s ``.ai/`` (whatever
    its content: a file a person changed counts)."""
    ai_dir = os.path.join(root, AI_DIR)
    return all(os.path.lexists(os.path.join(ai_dir, name)) for name in (*_DIRS, *_FILES))


def init_project(root: str | os.PathLike[str], *,
                 merge_driver: str | None = None) -> list[InitAction]:
    """Install ``.ai/`` into ``root``; safe to run again at any time. ``merge_driver``:
    the command git runs to merge session files (``.ai/.gitattributes`` names it), set
    in the local git configuration when ``root`` is in a git work tree."""
    from pathlib import Path  # (init is rare: the hot paths import no pathlib)

    root = Path(root)
    ai_dir = root / AI_DIR
    # Before anything is written: a symbolic link among the paths written must not
    # lead a write outside the project.
    for folder in (ai_dir, *(ai_dir / d for d in _DIRS)):
        storage.refuse_symlinks(root, folder)
    for target in (*_FILES, *(f"{d}/.gitkeep" for d in (SESSIONS_DIR, CONTEXT_DIR))):
        storage.refuse_symlinks(root, ai_dir / target)
    actions: list[InitAction] = []
    for folder in (ai_dir, *(ai_dir / d for d in _DIRS)):
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True)
            except OSError as error:
                raise storage.StorageError(folder, error) from error
            actions.append(InitAction("created", folder))
    targets = [*(ai_dir / d / ".gitkeep" for d in (SESSIONS_DIR, CONTEXT_DIR)),
               *(ai_dir / t for t in scaffold_files())]
    # One init at a time, which first removes what a killed one left half written.
    with storage.locked(ai_dir, ai_dir / ".scaffold"):
        storage.discard_partial_writes(*targets)
        for folder in (ai_dir / SESSIONS_DIR, ai_dir / CONTEXT_DIR):
            keep = folder / ".gitkeep"
            if not keep.exists():
                storage.atomic_write(keep, b"", locked=True)
        for target, (content, mode) in scaffold_files().items():
            path = ai_dir / target
            try:
                current = storage.read_regular(path).decode("utf-8")
            except FileNotFoundError:
                current = None
            except (OSError, UnicodeDecodeError):
                actions.append(InitAction("kept", path))
                continue
            if current == content:
                now = path.stat().st_mode
                if mode & 0o111 and not now & 0o100:
                    path.chmod(now | (now & 0o444) >> 2)  # executable by whoever may read it
                    actions.append(InitAction("made executable", path))
                else:
                    actions.append(InitAction("unchanged", path))
            elif current is None or _unchanged_since_install(current):
                storage.atomic_write(path, content.encode("utf-8"), mode, locked=True)
                actions.append(InitAction("created" if current is None else "updated", path))
            elif _missing_lines(target, current):
                storage.atomic_write(path, (current + _missing_lines(target, current))
                                     .encode("utf-8"), mode, locked=True)
                actions.append(InitAction("updated", path))
            else:
                actions.append(InitAction("kept", path))
    if merge_driver is not None:
        actions += _configure_merge_driver(root, merge_driver)
    return actions


def _configure_merge_driver(root: Path, command: str) -> list[InitAction]:
    """Define the merge driver in the git configuration of ``root``'s repository
    (:func:`ai_protocols.git.driver.configure_driver`); nothing outside a git work
    tree."""
    from pathlib import Path

    from ai_protocols.git.driver import configure_driver

    done = configure_driver(str(root), command)
    if done is None:
        return []
    config, changed = done
    return [InitAction("configured" if changed else "unchanged", Path(config))]
