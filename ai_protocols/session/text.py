"""What text a session accepts, and the forms made from it: input checks, the
slug an archive is named by, and the one-line preview the Log section keeps.

Every check runs before anything is written, so refused input changes nothing.
"""

from __future__ import annotations

import os

from ai_protocols.errors import InvalidText
from ai_protocols.lean import MULTILINE, pattern, quoted

__all__ = ["MAX_LINE_TEXT", "MAX_TEXT", "check_text", "conflict_marker_lines", "key_file_path",
           "note_text",
           "preview", "slugify"]

#: Characters an entry's text may hold (``InvalidText`` beyond).
MAX_TEXT = 1_000_000
#: Characters of a title or a description: one line each.
MAX_LINE_TEXT = 200

#: The lines git writes around the two sides of a conflict it could not merge
#: (git-merge(1), "How conflicts are presented"; ``|||||||`` opens the common
#: ancestor's side in the diff3 and zdiff3 styles): seven ``<``, ``|``, ``=`` or ``>``
#: at the start of a line, the first, second and last followed by a space and a
#: label or by nothing.
_MARKER = pattern(r"^(?:(?:<{7}|\|{7}|>{7})(?:[ \t][^\n]*)?|={7}[ \t]*)\r?$", MULTILINE)
_OPENER = pattern(r"^(?:<{7,}|>{7,})(?:[ \t][^\n]*)?\r?$", MULTILINE)
_OPENER_7 = pattern(r"^(?:<{7}|>{7})(?:[ \t][^\n]*)?\r?$", MULTILINE)
#: A marker line of more than seven characters, as git writes them for a file whose
#: ``conflict-marker-size`` attribute is larger (gitattributes(5)): it counts only
#: with its fellows of the same size, ``<<<...`` then ``===...`` then ``>>>...``.
_LONG = pattern(r"^(?:(<{8,}|\|{8,}|>{8,})(?:[ \t][^\n]*)?|(={8,})[ \t]*)\r?$", MULTILINE)


def check_text(field_name: str, text: str, *, one_line: bool = False,
               limit: int | None = None, lines: bool = False) -> str:
    """Refuse text that cannot be stored faithfully, before anything is written: not
    UTF-8, empty, holding NUL, longer than ``limit`` characters (by default
    ``MAX_LINE_TEXT`` for ``one_line`` text, else ``MAX_TEXT``); ``one_line`` text
    holding a control character; ``lines`` text (several lines, as ``checkpoint
    --note``: each line held to the one-line rule) holding a control character other
    than a line feed. Raises :class:`~ai_protocols.errors.InvalidText`."""
    if lines and not one_line:
        split = text.split("\n")
        for number, line in enumerate(split, start=1):
            odd = next((ch for ch in line if _not_in_a_line(ch)), None)
            if odd is not None:
                what = "a carriage return (CR) not followed by a line feed" \
                    if odd == "\r" else f"a control character (byte 0x{ord(odd):02X})" \
                    if odd < " " or odd == "\x7f" else f"U+{ord(odd):04X} ({_kind_of(odd)})"
                where = f" (line {number} of {len(split)})" if len(split) > 1 else ""
                raise InvalidText(field_name, text, f"each of its lines must be without "
                                                    f"control characters, and it holds "
                                                    f"{what}{where}; take it out")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidText(field_name, text, "it is not valid UTF-8") from error
    if not text.strip():
        raise InvalidText(field_name, text, "it is empty; give it some text (white "
                                            "space alone is none)")
    if "\x00" in text:
        raise InvalidText(field_name, text, "it holds a NUL character")
    odd = next((ch for ch in text if _not_in_a_line(ch)), None) if one_line else None
    if odd is not None:
        if odd < " " or odd == "\x7f":  # (what the terminal shows: \n, \x1b)
            raise InvalidText(field_name, text, "it must be one line without control "
                                                "characters")
        raise InvalidText(field_name, text, f"it must be one line without control "
                                            f"characters, and it holds U+{ord(odd):04X} "
                                            f"({_kind_of(odd)}); take it out")
    most = limit if limit is not None else MAX_LINE_TEXT if one_line else MAX_TEXT
    if len(text) > most:
        raise InvalidText(field_name, text, f"it is longer than {most:,} characters")
    if field_name == "summary" and ("<<<<<<<" in text or ">>>>>>>" in text) and \
            _OPENER.search(text.replace("\r", "")):
        # The summary is the one text written at the start of a line: such a line
        # would make the session file read as one with an unresolved merge.
        raise InvalidText(field_name, text, "a line of it starts with <<<<<<< or >>>>>>>, "
                          "which would read as a git merge-conflict marker")
    return text


def note_text(text: str) -> str:
    """A note as the tool keeps it (``checkpoint --note``, ``pause --note``, ``abandon
    --reason``): the white space around it dropped (blank lines before and after it,
    spaces at its two ends), every line in between as given; when it is all white
    space, as given (which :func:`check_text` then refuses, naming the value given,
    escaped: ``note ' '``, not ``note ''``). The one rule for a
    note of several lines, so that its first line, a commit's subject and the Log's
    preview, is never empty nor indented (docs/decisions.md, "Issue 14, sixth
    review"); Org drops a property value's outer white space anyway. A CRLF line ending
    (a file saved on Windows, given as ``@FILE``) is a line break, as ``log`` takes it:
    one rule (issue 14, twelfth round)."""
    text = text.replace("\r\n", "\n")
    return text.strip() or text


def _not_in_a_line(ch: str) -> bool:
    """Whether ``ch`` has no place in one line of text: a control character (Unicode's
    general category Cc: C0 U+0000-U+001F, DEL, C1 U+0080-U+009F, NEL U+0085 among
    them), a line or paragraph separator (U+2028, U+2029: Unicode's line breaks,
    UAX #14, as Python's ``str.splitlines`` splits on them), or an explicit
    bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069,
    UAX #9), which shows the text in another order than it is stored (CVE-2021-42574,
    "Trojan Source"). The marks U+200E and U+200F stay allowed."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029) or \
        0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


def _kind_of(ch: str) -> str:
    code = ord(ch)
    if code in (0x2028, 0x2029):
        return "a line or paragraph separator"
    if code >= 0x202A:
        return "a bidirectional override, which shows text in another order than it is"
    return "a control character"


def key_file_path(root: os.PathLike[str] | str, text: str) -> str:
    """The key file ``text`` names (``log --key-file``: relative to the working
    directory, or absolute) as the path from the project ``root`` that the session
    records, ``/``-separated. It need not exist yet. Raises
    :class:`~ai_protocols.errors.InvalidText` when it is not one line, or is not inside
    the project (``..`` past its root, or a symbolic link on the way that leads out), or
    is a folder or ends in ``/``, or is under ``.git/`` (any repository's: git's own
    files) or the project's ``.ai/`` (the tool's own: the session file itself), or
    cannot be a file (a part of it is a file: ``a.py/b``), or a name in it starts or
    ends with white space while no such file exists (legal on disk, but mostly a
    quoting slip: docs/decisions.md, "Issue 14, sixth review"; the rest: "Issue 14,
    twentieth round (advice and messages)"). A hard link of a listed key file is that
    file: the log says it is listed already
    (:func:`~ai_protocols.session.splice.as_listed_key_file`). The same file, however
    spelled (``./a``, ``sub/../a``, absolute,
    through a linked folder above the project or a link inside it), gives the same
    path, where it really is (:func:`~ai_protocols.paths.real_inside`, the one rule of
    a person's paths in the project, as ``lock`` and ``--working-set`` take them): the
    session lists it once."""
    check_text("key-file", text, one_line=True)
    from ai_protocols.paths import real_inside

    found = real_inside(root, text)
    if found is None or found == ".":
        raise InvalidText("key-file", text, f"it is not a file inside the project "
                          f"({root}); give a path in it, relative to the working "
                          "directory or absolute")
    wanted = os.path.join(os.getcwd(), text)
    if os.path.isdir(wanted):
        raise InvalidText("key-file", text, "it is a folder: give the files in it to read "
                          "first, one --key-file each")
    if text.endswith(("/", os.sep)):  # (src/a.py/: no file is there, file or not)
        raise InvalidText("key-file", text, "it ends in /, which names a folder: a key file "
                          "is a file; give its path without the final /")
    from ai_protocols.paths import AI_DIR

    parts = found.split("/")
    if ".git" in parts or parts[0] == AI_DIR:  # (git's own files, and the tool's)
        whose = "git's own files" if ".git" in parts else \
            "ai-protocols' own files (the session files, the board)"
        raise InvalidText("key-file", text, f"it is among {whose}, not the project's work: "
                          "give a file of the work tree")
    real_root = os.path.realpath(root)
    above = os.path.dirname(os.path.join(real_root, found))
    while not os.path.lexists(above) and len(above) > len(real_root):
        above = os.path.dirname(above)
    if not os.path.isdir(above):  # (a file on the way: nothing can ever be there)
        raise InvalidText("key-file", text, f"{quoted(os.path.relpath(above, real_root))} "
                          "in it is a file, not a folder, so no file can be at that path")
    if any(p != p.strip() for p in parts) and not os.path.lexists(wanted):
        # (legal on disk, but mostly a quoting slip: recorded, it names no file)
        meant = "/".join(p.strip() for p in parts)
        raise InvalidText("key-file", text, f"a name in it starts or ends with white space "
                          f"and no such file exists; did you mean {quoted(meant)}? (a file whose "
                          "name has it is taken once it exists)")
    return found


def conflict_marker_lines(text: str) -> list[int]:
    """The numbers (from 1) of the lines of ``text`` that git writes around a merge
    conflict; ``[]`` when there is no ``<<<<<<<`` or ``>>>>>>>`` line: a lone
    ``=======`` is text. Git's markers are seven characters unless a file's
    ``conflict-marker-size`` attribute says more (gitattributes(5)): a marker of seven
    counts alone, as git writes them by default; a longer one counts with its fellows
    of the same size (``<`` * N, optionally ``|`` * N, ``=`` * N, ``>`` * N, in that
    order), so that a person's line of eight ``<`` is text. Scans a 50 MB file in a
    few milliseconds when it has none."""
    if not _has_opener(text):
        return []
    found, line, at = [], 1, 0
    if _OPENER_7.search(text):  # (seven exactly: a longer one opens no such conflict)
        for match in _MARKER.finditer(text):
            line += text.count("\n", at, match.start())
            at = match.start()
            found.append(line)
    line, at = 1, 0
    group: list[int] = []  # the lines of one conflict of long markers, being read
    size, stage = 0, ""
    for match in _LONG.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        mark = match.group(1) or match.group(2)
        if mark[0] == "<":
            group, size, stage = [line], len(mark), "<"
        elif len(mark) != size:
            continue
        elif (mark[0], stage) in (("|", "<"), ("=", "<"), ("=", "|")):
            group.append(line)
            stage = mark[0]
        elif mark[0] == ">" and stage == "=":
            found += [*group, line]
            group, size, stage = [], 0, ""
    return sorted(found)


def _has_opener(text: str) -> bool:
    """Whether a line of ``text`` is a ``<<<<<<<`` or ``>>>>>>>`` marker (:data:`_OPENER`).
    Each ``<`` (``>``) is found with a one-character search (a ``memchr``, many times
    faster than a search for seven of them or a regular expression); after 64 that
    start no marker, the rest is searched for the marker at a line's start."""
    for mark in ("<<<<<<<", ">>>>>>>"):
        at = text.find(mark[0])
        for _ in range(64):
            if at == -1:
                break
            if text.startswith(mark, at) and _OPENER.match(text, at):  # (^: a line's start)
                return True
            at = text.find(mark[0], at + 1)
        else:  # a text full of them: look only at lines' starts
            at = text.find("\n" + mark, at - 1) if at != -1 else -1
            while at != -1:
                if _OPENER.match(text, at + 1):
                    return True
                at = text.find("\n" + mark, at + 1)
    return False


def slugify(description: str, field: str = "description") -> str:
    """The archive name's slug of ``description``: ``"Fix sweep bug"`` ->
    ``"fix-sweep-bug"``, lower-case ASCII letters and digits in runs joined by ``-``.

    Letters of any script are transliterated to ASCII by anyascii (``"Привет мир"``
    -> ``"privet-mir"``); a syllable of a script without letter case (Chinese,
    Japanese kanji, Korean) is a word of its own (``"修复错误"`` -> ``"xiu-fu-cuo-wu"``),
    as anyascii marks it with a capital. A description whose letters and digits all
    have no ASCII form is named by their code points instead (``u0627``). So any
    description with a letter or a digit names its archive, and the name holds only
    ``a-z 0-9 -``: the same on every file system, whatever its case folding or
    Unicode normalisation.

    Raises :class:`~ai_protocols.errors.InvalidText` for a description that is not
    one line of at most :data:`MAX_LINE_TEXT` characters, or has no letter or digit;
    it names ``field``, the option the text was given as (``reason`` for ``abandon
    --reason``), as every error about a text names it.
    """
    check_text(field, description, one_line=True)
    # [^a-z0-9]+ to "-", none at either end
    slug = "-".join("".join(char if char in _SLUG_CHARS else " "
                            for char in _ascii(description).lower()).split())
    if not slug:  # letters anyascii writes as nothing (an Arabic alif, say): their numbers
        slug = "-".join(f"u{ord(c):04x}" for c in description if c.isalnum())
    if not slug:
        raise InvalidText(field, description, "it has no letters or digits to name by")
    return slug


def _ascii(text: str) -> str:
    """``text`` transliterated to ASCII (see :func:`slugify`)."""
    if text.isascii():
        return text
    import unicodedata  # (here: only a text that is not ASCII needs it)

    from anyascii import anyascii

    out = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(char)
            continue
        ascii_ = anyascii(char)
        if ascii_[:1].isupper() and char.lower() == char.upper():
            ascii_ = f" {ascii_} "  # a syllable of a caseless script: a word
        out.append(ascii_)
    return "".join(out)


#: What a slug is made of.
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
#: The control characters [\x00-\x1f\x7f], to a space.
_CONTROLS = {code: " " for code in (*range(32), 127)}


def preview(text: str, limit: int = 100) -> str:
    """A one-line, structure-free preview of ``text`` for the Log section."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    line = " ".join(line.translate(_CONTROLS).split())
    # no description-list tag: (?:^| )::(?= |$) becomes " :"
    line = " ".join(":" if word == "::" else word for word in line.split(" "))
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
