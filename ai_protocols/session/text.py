"""What text a session accepts, and the forms made from it: input checks, the
slug an archive is named by, and the one-line preview the Log section keeps.

Every check runs before anything is written, so refused input changes nothing.
"""

from __future__ import annotations

import re
import unicodedata

from ai_protocols.errors import InvalidText

__all__ = ["MAX_LINE_TEXT", "MAX_TEXT", "check_text", "preview", "slugify"]

#: Characters an entry's text may hold (``InvalidText`` beyond).
MAX_TEXT = 1_000_000
#: Characters of a title or a description: one line each.
MAX_LINE_TEXT = 200


def check_text(field_name: str, text: str, *, one_line: bool = False) -> str:
    """Refuse text that cannot be stored faithfully, before anything is written."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidText(field_name, text, "it is not valid UTF-8") from error
    if not text.strip():
        raise InvalidText(field_name, text, "it is empty")
    if "\x00" in text:
        raise InvalidText(field_name, text, "it holds a NUL character")
    if one_line:
        if any(ch < " " or ch == "\x7f" for ch in text):
            raise InvalidText(field_name, text, "it must be one line without control characters")
        if len(text) > MAX_LINE_TEXT:
            raise InvalidText(field_name, text, f"it is longer than {MAX_LINE_TEXT} characters")
    elif len(text) > MAX_TEXT:
        raise InvalidText(field_name, text, f"it is longer than {MAX_TEXT:,} characters")
    return text


def slugify(description: str) -> str:
    """``"Fix sweep bug"`` -> ``"fix-sweep-bug"``: lower-case ASCII letters, digits, ``-``."""
    check_text("description", description, one_line=True)
    folded = unicodedata.normalize("NFKD", description).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise InvalidText("description", description, "it has no letters or digits to name by")
    return slug


def preview(text: str, limit: int = 100) -> str:
    """A one-line, structure-free preview of ``text`` for the Log section."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    line = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", line).split())
    line = re.sub(r"(?:^| )::(?= |$)", " :", line).strip()  # not a description-list tag
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
