"""``ai-protocols init --agents-md``: tell the agents, in ``AGENTS.md`` and ``CLAUDE.md``,
what to log and when.

The text is a short block between two marker lines, :data:`BEGIN` and
:data:`END`, added at the end of each file (made when missing) and replaced in
place on later runs; every byte outside the markers stays as it was. It goes
into every model context (Codex reads ``AGENTS.md`` files up to 32 KiB in all),
so it stays short and points to ``.ai/protocols.org`` for the rest.

A file whose markers are broken (a begin without an end, an end without a begin,
two blocks) is refused with :class:`~ai_protocols.errors.InvalidConfigFile`,
and nothing is written to either file. ``CLAUDE.md`` is skipped when it is a
symbolic link to ``AGENTS.md`` (the block reaches Claude Code through it), or
when it imports ``AGENTS.md`` with an ``@AGENTS.md`` line; any other symbolic
link is refused, as everywhere in the tool.
"""

from __future__ import annotations

import re
from pathlib import Path

from ai_protocols.errors import InvalidConfigFile, UnsafePath
from ai_protocols.lean import record
from ai_protocols.storage import files as storage

__all__ = ["BEGIN", "BODY", "END", "FILES", "AgentsMdAction", "block", "install_agents_md",
           "newline_of", "plan_agents_md", "with_block", "write_agents_md"]

BEGIN = "<!-- ai-protocols:begin -->"
END = "<!-- ai-protocols:end -->"
#: The files that get the block, at the project root.
FILES = ("AGENTS.md", "CLAUDE.md")

#: What the agent reads, between the markers.
BODY = """\
## Session log (ai-protocols)

Keep this work session's state in `.ai/` with the `ai-protocols` command, so that
the next session, or you after a compaction, can carry on:

- Start: `ai-protocols start --title "..."`. If it prints an unfinished session,
  carry on from it. `ai-protocols resume` shows where you were at any time.
- As you go, at once, not at the end: `ai-protocols log --progress "..."`,
  `--decision "..." --rationale "why"`, `--discovery "..."`, `--blocker "..."`,
  `--next "..."`.
- When a step is done: `ai-protocols log --done "<the step's text>"`.
- At the end: `ai-protocols wrap-up "what was done"`.

With the hooks installed (`ai-protocols hooks status`) each session finds its own
file: no `AI_AGENT_ID` needed. The whole protocol: `.ai/protocols.org`."""

_IMPORTS_AGENTS_MD = re.compile(r"^[ \t]*@(?:\./)?AGENTS\.md[ \t]*\r?$", re.MULTILINE)


@record(frozen=True)
class AgentsMdAction:
    """What ``init --agents-md`` did to one file: ``created``, ``block added``,
    ``block updated``, ``unchanged`` or ``skipped`` (``note`` says why)."""

    action: str
    path: Path
    note: str = ""


def block(newline: str = "\n") -> str:
    """The whole block, markers included, without a final line break."""
    return newline.join([BEGIN, *BODY.split("\n"), END])


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def newline_of(text: str) -> str:
    """The line ending the block gets: CRLF when every line break of ``text`` is one
    (and there is one), else LF."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf == text.count("\n") else "\n"


def with_block(path: Path, text: str) -> str:
    """``text`` with the block added at its end, or replacing the one between the
    markers; :class:`InvalidConfigFile` (naming ``path``) when the markers are broken."""
    newline = newline_of(text)
    begins = [m.start() for m in re.finditer(re.escape(BEGIN), text)]
    ends = [m.start() for m in re.finditer(re.escape(END), text)]
    if not begins and not ends:
        if not text:
            return block(newline) + newline
        if not text.endswith("\n"):
            text += newline
        if not text.endswith(newline * 2):
            text += newline
        return text + block(newline) + newline
    if len(begins) > 1 or len(ends) > 1:
        raise InvalidConfigFile(path, f"it holds {max(len(begins), len(ends))} {BEGIN} or "
                                      f"{END} markers: keep one block")
    if not ends:
        raise InvalidConfigFile(path, f"it has {BEGIN} (line {_line_of(text, begins[0])}) but "
                                      f"no {END} after it: add the end marker where the block "
                                      "ends, or remove the begin marker")
    if not begins or ends[0] < begins[0]:
        raise InvalidConfigFile(path, f"it has {END} (line {_line_of(text, ends[0])}) without "
                                      f"{BEGIN} before it: remove it, or add the begin marker")
    return text[:begins[0]] + block(newline) + text[ends[0] + len(END):]


def _link_to_sibling(root: Path, path: Path) -> Path | None:
    """The other file of :data:`FILES` that ``path``, a symbolic link, leads to, if so."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return None
    for name in FILES:
        other = root / name
        if other != path and not other.is_symlink() and target == other.resolve():
            return other
    return None


#: What to do to one file: the action, and the bytes to write (``None``: nothing).
Plan = tuple[AgentsMdAction, "bytes | None"]


def plan_agents_md(root: Path) -> list[Plan]:
    """What :func:`install_agents_md` would do to each file, without writing: a broken
    file raises here, before anything is written."""
    plans: list[Plan] = []
    for name in FILES:
        path = root / name
        if path.is_symlink():
            sibling = _link_to_sibling(root, path)
            if sibling is None:
                raise UnsafePath(path, path)
            plans.append((AgentsMdAction("skipped", path, f"a link to {sibling.name}, which "
                                                          "holds the block"), None))
            continue
        storage.refuse_symlinks(root, path)
        if path.is_dir():
            raise InvalidConfigFile(path, "it is a folder")
        data = storage.read_bytes(path)
        if data is None:
            plans.append((AgentsMdAction("created", path), (block() + "\n").encode("utf-8")))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidConfigFile(path, f"it is not UTF-8 (byte 0x{data[error.start]:02X} "
                                          f"at offset {error.start})") from error
        if name == "CLAUDE.md" and BEGIN not in text and END not in text and \
                _IMPORTS_AGENTS_MD.search(text):
            plans.append((AgentsMdAction("skipped", path, "it imports AGENTS.md with @AGENTS.md, "
                                                          "which holds the block"), None))
            continue
        new = with_block(path, text)
        if new == text:
            plans.append((AgentsMdAction("unchanged", path), None))
        else:
            action = "block updated" if BEGIN in text else "block added"
            plans.append((AgentsMdAction(action, path), new.encode("utf-8")))
    return plans


def write_agents_md(plans: list[Plan]) -> list[AgentsMdAction]:
    """Carry out :func:`plan_agents_md`'s plans."""
    for action, data in plans:
        if data is not None:
            storage.atomic_write(action.path, data)
    return [action for action, _ in plans]


def install_agents_md(root: Path) -> list[AgentsMdAction]:
    """Add or update the block in ``AGENTS.md`` and ``CLAUDE.md`` at ``root``. Every
    file is checked before either is written: a refusal changes nothing."""
    return write_agents_md(plan_agents_md(root))
