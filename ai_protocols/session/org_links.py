"""Org links in a session file: the links a move of the file rewrites
(:func:`move_links`: bracket, plain, angle links and ``#+INCLUDE``-like keywords, none
inside a block, a verbatim span or markup Org reads as inert). A link's path escaped
(``org_link_escape``) stands below, in :mod:`~ai_protocols.session.earlier_links`.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os
from itertools import product

from ai_protocols.org.file import OrgFile
from ai_protocols.org.syntax import bracket_link, bracket_links, file_scheme, strip_ending
from ai_protocols.session.earlier_links import org_link_escape, org_link_unescape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator


def _moved_path(where: str, old_folder: str, new_folder: str,
                existing_only: bool, renamed: dict[str, str] | None = None) -> str | None:
    """The relative path ``where`` (from ``old_folder``) as it names the same file from
    ``new_folder`` (a final ``/`` kept, and given to a path that would end in ``:``);
    ``None`` when it is to stay as it is: empty,
    absolute (``/``, ``~``), or (``existing_only``) naming nothing that exists.
    ``renamed`` (absolute old path: absolute new path): files moving too, whose new
    place a link to them then names."""
    if not where or where.startswith(("/", "~")):
        return None
    named = os.path.join(os.path.abspath(old_folder or "."), where)
    if renamed:
        named = renamed.get(os.path.normpath(named), named)
    if existing_only and not os.path.lexists(named) and not (
            renamed and named in renamed.values()):
        return None
    moved = os.path.relpath(named, os.path.abspath(new_folder or "."))
    if (where.endswith("/") or (moved.endswith(":") and not where.endswith(":"))) and \
            not moved.endswith("/"):
        # (a final ``:`` only where the path went on through that folder, ``:/.``: kept
        # as ``:/``, since Org reads ``PATH:::SEARCH`` as ``PATH`` and ``:SEARCH``, the
        # first ``::`` beginning the search option)
        moved += "/"
    return moved


def moved_link_line(line: str, old_folder: str, new_folder: str,
                    existing_only: bool = False, renamed: dict[str, str] | None = None,
                    inert: Iterable[tuple[int, int]] = (), marks: str = "",
                    opened: tuple[int, int] | None = None,
                    org: set[tuple[int, int, str]] | None = None) -> str:
    """``line`` with each relative file link in it naming, from ``new_folder``, the file
    it named from ``old_folder``: a file moving there keeps its links (Org's links,
    https://orgmode.org/manual/External-Links.html and "Link Format", as Org 9.5's
    ``org-element-link-parser`` reads them). Bracket links (``[[file:PATH]]``,
    ``[[file+sys:PATH]]``, ``[[file+emacs:PATH]]``, ``[[./PATH]]``, ``[[../PATH]]``, with
    or without a description or a ``::SEARCH``), and outside them angle links
    (``<file:PATH>``, on one line) and plain links (``file:PATH``: Org's
    ``org-link-plain-re``, :func:`_plain_links`). Only each link's path changes (in a
    bracket link escaped as :func:`org_link_escape` writes it; a link's span and its
    type's case as Org reads them, :func:`~ai_protocols.org.syntax.bracket_links`,
    :func:`~ai_protocols.org.syntax.file_scheme`); an absolute path (``/``,
    ``~``), any other link, a link in a bracket link's description (no link there for
    Org) and a plain link this reading is not sure Org sees as this very text stay as
    they are; with ``existing_only``, so does a link naming nothing that exists (no
    meaning to keep: its bytes, as typed, are kept instead). ``renamed``: files moving
    too (:func:`_moved_path`), a link to one, its ``::SEARCH`` kept, naming its new
    place. ``inert``: ``(open, close)`` columns of verbatim or code markup
    (:func:`_markup_spans`): a link beginning after ``open`` and up to ``close`` is no
    link for Org, and keeps its bytes. ``marks``: the emphasis marks that may open
    markup in the line's paragraph (:func:`_openers`): a new path that would add a
    place where one of them may open or close (``../`` made ``../../``: a ``/`` before
    a ``.``) could change where Org's markup ends, and so the link (Org reads markup
    before the links in it): that link keeps its bytes. ``opened``: ``(begin, close)``
    of a bracket link that begins in the line and goes on past its end (its
    description across lines: Org reads it in the paragraph, :func:`_crossing_links`),
    its target ``line[begin + 2:close]``, rewritten as any; the rest of the line is
    its description. ``org``: the links Org 9.5 and 9.7 both read (:func:`org_links`),
    in the line's columns (one may end past the line's end), by default the line's own:
    a link is rewritten only where it is one of them (a ``[[../a.org]]`` in an angle
    link's path, ``<file:x [[../a.org]]>``, is that link's text; where the versions
    differ, ``File:x<file:][[[../a.org]]>``, no link), its span as both read it."""
    inert = list(inert)
    out = []
    at = 0
    if org is None:
        org = org_links(line)
    links = [link for link in bracket_links(line)  # (Org's spans: the one rule)
             if (link[0], link[2], "bracket") in org]
    if opened is not None and any(begin == opened[0] and kind == "bracket"
                                  for begin, _, kind in org):
        links.append((opened[0], opened[1], len(line)))
    for start, end, after in links:
        out.append(_moved_unbracketed(line, at, start, old_folder, new_folder,
                                      existing_only, renamed, inert, marks, org))
        target = org_link_unescape(line[start + 2:end])
        scheme = file_scheme(target)
        rest = target[len(scheme):]
        bare = not scheme and (rest.startswith("./") or rest.startswith("../"))
        where, sep, search = rest.partition("::")
        moved = _moved_path(where, old_folder, new_folder, existing_only, renamed) \
            if (scheme or bare) and not _inert_at(inert, start) else None
        if moved is not None and bare and not moved.startswith("../"):
            moved = "./" + moved
        new_text = org_link_escape(scheme + moved + sep + search) \
            if moved is not None and moved != where else line[start + 2:end]
        if marks and _adds_boundary(line[start + 2:end], new_text, marks):
            new_text = line[start + 2:end]
        out.append(line[start:start + 2])
        out.append(new_text)
        out.append(line[end:after])  # (a description as it is: no link in it for Org)
        at = after
    out.append(_moved_unbracketed(line, at, len(line), old_folder, new_folder,
                                  existing_only, renamed, inert, marks, org))
    return "".join(out)


def org_links(text: str) -> set[tuple[int, int, str]]:
    """The links Org 9.5 and 9.7 both read in ``text`` (a paragraph, or one line of it),
    each ``(begin, end, kind)`` (``kind``: ``"bracket"``, ``"angle"`` or ``"plain"``;
    ``text[begin:end]`` the link less its trailing blanks): :func:`_lexed` for each
    version, the links both give alike. Where the versions differ, the stricter
    reading wins: a link only one of them reads is no link here (its bytes kept)."""
    return set(_lexed(text, 0)) & set(_lexed(text, 1))


def _lexed(text: str, version: int) -> list[tuple[int, int, str]]:
    """The links Org's object lexer reads in ``text``, in order, as Org 9.5
    (``version`` 0) or 9.7 (1) reads them: ``org-element--object-lex`` (the same in
    both) searches for the earliest place an object may begin (``[[``, ``<TYPE:``, a
    ``TYPE:`` at a word's start, ...), tries that place's parser
    (``org-element-link-parser``: ``org-link-bracket-re``, then ``org-link-plain-re``,
    then ``org-link-angle-re``) and, when it reads an object there, goes on after its
    end; else from the next character. So the link that begins first wins, and any
    link-like text inside it (a ``[[../a.org]]`` in ``<file:x [[../a.org]]>``'s path,
    a ``<file:a.org>`` in a bracket link's target) is part of it, no link. The
    versions differ in the plain link alone: 9.7's path takes bracketed text
    (``File:x<file:]``, ``file:d[[x.org]]``). Any ``TYPE:`` counts, a superset of Org's
    link types (``org-link-types``: a person's Emacs may have more), and a word starts
    after any character but a letter, a digit or ``'`` (word characters of Org's
    syntax table). A target (``<<x>>``) is read as the lexer reads it, no link.
    Other objects (markup, footnotes...) are the callers' (:func:`_markup_spans`)."""
    import re  # (only at a move)

    if not _ANY_PLAIN:
        part = r"[^\[\] \t\n()<>]"
        paren = rf"\((?:{part}|\({part}*\))*\)"
        group = rf"[(<\[](?:{part}|[(<\[]{part}*[\])>])*[\])>]"
        plain = r"[A-Za-z][A-Za-z0-9+._-]*:(?:{0}|{1})+(?:[^\W_]|/|{1})"
        _ANY_PLAIN.extend((re.compile(plain.format(part, paren)),
                           re.compile(plain.format(part, group)),
                           re.compile(_ANGLE),
                           re.compile(_TARGET),
                           re.compile(r"\[\[|<|(?<![^\W_])(?<!')[A-Za-z]")))
    plain, angle, target, candidate = _ANY_PLAIN[version], *_ANY_PLAIN[2:]  # type: ignore[misc]
    found: list[tuple[int, int, str]] = []
    at = 0
    while True:
        hit = candidate.search(text, at)  # type: ignore[attr-defined]
        if hit is None:
            return found
        at = hit.start()
        if text.startswith("[[", at):
            span = bracket_link(text, at)
            if span is not None:
                found.append((at, span[1], "bracket"))
                at = span[1]
                continue
        elif text[at] == "<":
            read = target.match(text, at) if text.startswith("<<", at) else \
                angle.match(text, at)  # type: ignore[attr-defined]
            if read is not None:
                if not text.startswith("<<", at):
                    found.append((at, read.end(), "angle"))
                at = read.end()
                continue
        else:
            read = plain.match(text, at)  # type: ignore[attr-defined]
            if read is not None:
                found.append((at, read.end(), "plain"))
                at = read.end()
                continue
        at += 1


_ANY_PLAIN: list[object] = []
#: An angle link of any type (Org 9.5 and 9.7's ``org-link-angle-re``, any ``TYPE:``),
#: its path going on across lines whose first non-blank is no ``>``.
_ANGLE = r"<[A-Za-z][A-Za-z0-9+._-]*:[^>\n]*(?:\n[ \t]*[^> \t\n][^>\n]*)*>"
#: A radio target or a target (Org 9.5 and 9.7: ``org-radio-target-regexp``,
#: ``org-target-regexp``, which ``org-element-radio-target-parser`` and
#: ``org-element-target-parser`` look for, in this order, at a ``<<``).
_TARGET = r"<<<(?:{0}|{0}[^<>\n\r]*{0})>>>|<<(?:{0}|{0}[^<>\n\r]*{0})>>".format(r"[^<>\n\r \t]")


def _adds_boundary(old: str, new: str, marks: str) -> bool:
    """Whether ``new`` (a link's new text) holds more places than ``old`` where one of
    ``marks`` may open (after a blank or one of :data:`_MARKUP_PRE`, before a non-blank)
    or close (after a non-blank, before one of :data:`_MARKUP_POST`) emphasis (Org
    9.5's ``org-emphasis-regexp-components``)."""
    def places(text: str, mark: str) -> int:
        count = 0
        for at, char in enumerate(text):
            if char != mark:
                continue
            before, after = text[at - 1:at], text[at + 1:at + 2]
            if (before in _MARKUP_PRE and after and after not in _BLANK) or \
                    (before and before not in _BLANK and after in _MARKUP_POST):
                count += 1
        return count

    return any(places(new, mark) > places(old, mark) for mark in marks)


def _inert_at(inert: list[tuple[int, int]], at: int) -> bool:
    """Whether column ``at`` lies in one of the markup spans ``inert`` (after its
    opening mark, up to its closing one)."""
    return any(open_ < at <= close for open_, close in inert)


#: Where a plain link may begin for this reading: at the start of a line or after one of
#: these (Org asks for the start of a word, ``\\<``, and its object lexer takes some
#: marks, ``_`` and ``^`` say, as the start of other objects: the safe few only).
_BEFORE_PLAIN = frozenset(" \t([{\",;")
_NOT_IN_PLAIN = frozenset("[] \t\n()<>")


def _plain_links(line: str, begin: int, end: int,
                 org: set[tuple[int, int, str]] | None = None) -> list[tuple[int, int]]:
    """Where the paths of the plain file links of ``line[begin:end]`` (outside bracket
    and angle links) are: ``(start, end)`` in ``line``. Org 9.5's ``org-link-plain-re``:
    a ``file``, ``file+sys`` or ``file+emacs`` type at the start of a word, ``:``, then
    characters but brackets, blanks and ``()<>`` (or a balanced ``(...)``), ending in one
    that is not punctuation, or ``/``, or ``(...)``. Only when sure: the character
    before is in :data:`_BEFORE_PLAIN` (or the line begins there), and the path's last
    character and those that could follow it are ASCII (Emacs's ``[:punct:]`` of
    other characters depends on its syntax table); and only a link Org 9.5 and 9.7 both
    read so (``(start, end, "plain")`` in ``org``, :func:`org_links`, by default the
    line's)."""
    import re  # (only at a move)

    if org is None:
        org = org_links(line)

    found = []
    for match in _plain_re(re).finditer(line, begin, end):  # type: ignore[attr-defined]
        start = match.start()
        if start and line[start - 1] not in _BEFORE_PLAIN:
            continue
        stop = match.end()
        run = stop
        while run < end and line[run] not in _NOT_IN_PLAIN:
            run += 1
        if line[stop - 1].isascii() and line[stop:run].isascii() and \
                (start, stop, "plain") in org:
            found.append((match.start(2), stop))
    return found


_PLAIN: list[object] = []


def _plain_re(re: object) -> object:
    """``org-link-plain-re`` for the file types, as Org 9.5 and 9.7 both read a plain
    link here (compiled at its first use): 9.5's expression, a type in any case
    (Org reads a type so: ``FILE:x.org``), which :meth:`_BothPlain.match` and
    ``finditer`` take only where 9.7's reads the very same path (9.7 lets a path hold
    bracketed text, ``file:a[b].org``: that link keeps its bytes) and the type is
    ASCII (:func:`~ai_protocols.org.syntax.file_scheme`)."""
    if not _PLAIN:
        part = r"[^\[\] \t\n()<>]"
        paren = rf"\((?:{part}|\({part}*\))*\)"
        group = rf"[(<\[](?:{part}|[(<\[]{part}*[\])>])*[\])>]"  # (9.7's)
        shape = r"((?i:file\+sys|file\+emacs|file)):((?:{0}|{1})+(?:[A-Za-z0-9]|/|{1}))"
        _PLAIN.append(_BothPlain(re.compile(shape.format(part, paren)),  # type: ignore[attr-defined]
                                 re.compile(shape.format(part, group))))  # type: ignore[attr-defined]
    return _PLAIN[0]


class _BothPlain:
    """A plain file link's expression as Org 9.5 (``old``) and 9.7 (``new``) read it:
    a match of ``old`` is given only where ``new`` matches the same text from there."""

    def __init__(self, old: object, new: object) -> None:
        self.old, self.new = old, new

    def _same(self, found: object) -> bool:
        if found is None or not found.group(1).isascii():  # type: ignore[attr-defined]
            return False
        again = self.new.match(found.string, found.start())  # type: ignore[attr-defined]
        return again is not None and again.end() == found.end()  # type: ignore[attr-defined]

    def finditer(self, text: str, *bounds: int) -> Iterator[object]:
        return (found for found in self.old.finditer(text, *bounds)  # type: ignore[attr-defined]
                if self._same(found))

    def fullmatch(self, text: str) -> object:
        found = self.old.fullmatch(text)  # type: ignore[attr-defined]
        return found if self._same(found) and self.new.fullmatch(text) else None  # type: ignore[attr-defined]


def _moved_unbracketed(line: str, begin: int, end: int, old_folder: str,
                       new_folder: str, existing_only: bool,
                       renamed: dict[str, str] | None = None,
                       inert: list[tuple[int, int]] | None = None, marks: str = "",
                       org: set[tuple[int, int, str]] | None = None) -> str:
    """``line[begin:end]`` (text outside bracket links) with each angle link
    (``<file:PATH>``, on one line) and plain link (:func:`_plain_links`) naming a file
    moved as :func:`moved_link_line` says, each where it is a link in ``org``
    (:func:`org_links`, by default the line's)."""
    if "file" not in line[begin:end].lower():  # (a type in any case: file_scheme)
        return line[begin:end]
    if org is None:
        org = org_links(line)
    paths = []
    at = begin
    while True:
        angle = line.find("<", at, end)
        close = line.find(">", angle, end) if angle != -1 else -1
        if close == -1:
            break
        scheme = file_scheme(line, angle + 1)
        if not scheme or angle + 1 + len(scheme) > close:
            paths += _plain_links(line, at, angle + 1, org)
            at = angle + 1
            continue
        paths += _plain_links(line, at, angle, org)
        if (angle, close + 1, "angle") in org:
            paths.append((angle + 1 + len(scheme), -close))  # (negative: an angle link's)
        at = close + 1
    paths += _plain_links(line, at, end, org)
    out = []
    at = begin
    for start, stop in paths:
        angled, stop = stop < 0, abs(stop)
        if inert and _inert_at(inert, start - 1):  # (its scheme's ":" in markup)
            continue
        where, sep, search = line[start:stop].partition("::")
        moved = _moved_path(where, old_folder, new_folder, existing_only, renamed)
        if moved is None or moved == where or (
                any(c in moved for c in "\n>") if angled else
                _plain_re(None).fullmatch("file:" + moved + sep + search) is None):  # type: ignore[attr-defined]
            continue  # (it would not read back as one path)
        if marks and _adds_boundary(line[start:stop + 1], moved + sep + search +
                                    line[stop:stop + 1], marks):
            continue  # (it could change where the paragraph's markup ends)
        out.append(line[at:start])
        out.append(moved + sep + search)
        at = stop
    out.append(line[at:end])
    return "".join(out)


#: The keywords whose value is a file Org reads relative to the file's folder (Org 9.5:
#: ``org-export-expand-include-keyword``; ``org-collect-keywords`` for SETUPFILE;
#: ``org-cite-list-bibliography-files``, oc.el, for BIBLIOGRAPHY).
_PATH_KEYWORDS = ("#+include:", "#+setupfile:", "#+bibliography:")


def moved_keyword_line(line: str, old_folder: str, new_folder: str,
                       existing_only: bool = False, renamed: dict[str, str] | None = None
                       ) -> str:
    """``line``, when it is an ``#+INCLUDE:``, ``#+SETUPFILE:`` or ``#+BIBLIOGRAPHY:``
    keyword (any case, indented or not) naming a relative file, with that path naming
    from ``new_folder`` the file it named from ``old_folder``; any other line as it is.
    Org 9.5's reading: INCLUDE's file is the value's first word or ``"quoted text"``,
    less a ``::location`` (``org-export-expand-include-keyword``); SETUPFILE's and
    BIBLIOGRAPHY's the whole value, less surrounding double quotes (``org-strip-quotes``;
    ``org-cite-list-bibliography-files``), a URL (``scheme:``) left alone.
    Only the path changes: the quotes, the location and the rest of the line stay. An
    absolute path (``/``, ``~``) stays; with ``existing_only``, so does one naming
    nothing that exists. ``renamed``: as :func:`moved_link_line`'s."""
    body = line.lstrip(" \t")
    key = next((k for k in _PATH_KEYWORDS if body[:len(k)].casefold() == k), None)
    if key is None:
        return line
    import re  # (only at a move)

    indent = len(line) - len(body)
    value_at = indent + len(key)
    while value_at < len(line) and line[value_at] in " \t":
        value_at += 1
    value_end = len(line.rstrip(" \t"))
    value = line[value_at:value_end]
    if key == "#+include:":
        match = re.match(r'("[^"\n]+?"|\S+)(?:\s+|$)', value)
        if match is None:
            return line
        token_end = value_at + match.end(1)
        token = value[:match.end(1)]
    else:
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value.strip('"')):
            return line  # (a URL)
        token_end, token = value_end, value
    quoted = len(token) >= 2 and token.startswith('"') and token.endswith('"')
    inner = token[1:-1] if quoted else token
    location = ""
    if key == "#+include:":
        cut = inner.find("::")
        if cut != -1:
            inner, location = inner[:cut], inner[cut:]
    moved = _moved_path(inner, old_folder, new_folder, existing_only, renamed)
    if moved is None or moved == inner:
        return line
    if not quoted and (any(c.isspace() for c in moved) or moved.startswith('"')):
        return line  # (it would not read back as one path: left as it is)
    new = f'"{moved}{location}"' if quoted else moved + location
    return line[:value_at] + new + line[token_end:]


#: The blocks whose contents Org reads as verbatim text (no link, no keyword in them:
#: "lesser blocks", https://orgmode.org/worg/org-syntax.html, "Blocks"); a verse
#: block's contents are objects (links, but no keyword); any other block (quote,
#: center, a special block such as ``NOTE``) holds elements, links and keywords
#: included.
_VERBATIM_BLOCKS = frozenset(("src", "example", "export", "comment"))


def _no_link_lines(doc: OrgFile) -> tuple[list[tuple[int, int, bool]], set[int]]:
    """Where Org sees no link or no keyword in ``doc``, by Org's blocks (Org 9.5's
    ``org-element--current-element``: ``#+BEGIN_NAME`` up to the first
    ``#+END_NAME`` alone on its line, any case, before the next headline; a begin with
    no such end is no block): the spans ``(begin, end, verse)`` of the verbatim and
    verse blocks, their fences included, in file order (``verse``: links in it, but no
    keyword and no comment or fixed-width line), and the fence lines of every other
    block (its parameters hold no link)."""
    from bisect import bisect_right

    heads = [h.line for h in doc.headlines]
    marks = [(index, strip_ending(line, doc.newline).lstrip(" \t").rstrip(" \t").casefold())
             for index, line in doc.lines_holding("#+")]
    spans: list[tuple[int, int, bool]] = []
    fences: set[int] = set()
    k = 0
    while k < len(marks):
        index, body = marks[k]
        k += 1
        if not body.startswith("#+begin_") or len(body) == 8 or body[8] in " \t":
            continue
        name = body[8:].split(None, 1)[0]
        at = bisect_right(heads, index)
        limit = heads[at] if at < len(heads) else len(doc.lines)
        close = "#+end_" + name
        end = k
        while end < len(marks) and marks[end][0] < limit and marks[end][1] != close:
            end += 1
        if end == len(marks) or marks[end][0] >= limit:
            continue
        if name in _VERBATIM_BLOCKS or name == "verse":
            spans.append((index, marks[end][0], name == "verse"))
            k = end + 1
        else:
            fences.update((index, marks[end][0]))
    fences.update(_latex_environments(doc, heads))
    return spans, fences


def _latex_environments(doc: OrgFile, heads: list[int]) -> set[int]:
    """The lines of ``doc``'s LaTeX environments, where Org sees no link (Org 9.5's
    ``org-element-latex-environment-parser``: a line beginning ``\\begin{NAME}``,
    indented or not, up to the first ``\\end{NAME}`` (any case) that ends a line, blanks
    after it allowed, before the next headline; a begin with no such end is a
    paragraph). Taken wherever they are (in a list item or a block too: a superset, so
    a link they hold keeps its bytes)."""
    from bisect import bisect_right

    found: set[int] = set()
    starts = [(index, line) for index, line in doc.lines_holding("\\begin{")]
    if not starts:
        return found
    import re  # (only at a move)

    begin = re.compile(r"[ \t]*\\begin\{([A-Za-z0-9*]+)\}")
    for index, line in starts:
        if index in found or (opened := begin.match(line)) is None:
            continue
        end = re.compile(r"\\end\{" + re.escape(opened.group(1)) + r"\}[ \t]*$",
                         re.IGNORECASE)
        at = bisect_right(heads, index)
        limit = heads[at] if at < len(heads) else len(doc.lines)
        for last in range(index, limit):
            text = strip_ending(doc.lines[last], doc.newline)
            if end.search(text, opened.end() if last == index else 0):
                found.update(range(index, last + 1))
                break
    return found


def _no_link_line(line: str, in_drawer: bool = True) -> bool:
    """Whether ``line`` (outside a verse block) is a comment (``#`` then a blank or the
    line's end), a fixed-width line (``:`` so), a keyword (``#+`` then a run of
    non-blanks holding a ``:``, Org 9.5's ``org-element--current-element``:
    ``#+TITLE:``, ``#+CAPTION:``...; the path keywords are read apart,
    :func:`moved_keyword_line`; a ``#+BEGIN_NAME`` with no end is a paragraph) or
    a property's line (``:NAME:`` then a blank or the end) where ``in_drawer`` (the line
    is in a headline's property drawer, or before the first headline, where this
    reading does not follow a drawer), indented or not: Org sees no link there (Org
    syntax, "Comments", "Fixed Width Areas", "Keywords", "Property Drawers":
    ``org-element-parse-buffer`` makes no link object of a keyword's or a property's
    value). Elsewhere a ``:NAME: text`` line is a paragraph's, whose links Org 9.5 and
    9.7 both read (a drawer's own ``:NAME:`` and ``:END:`` lines hold no link). A
    superset: a paragraph's line of the other shapes keeps its bytes too."""
    body = line.lstrip(" \t")
    if body[:2] == "#+":  # (a keyword: "#+" then a run of non-blanks holding a ":")
        return ":" in body[2:].split(None, 1)[0] if body[2:3].strip() else False
    if body[:1] == "#":
        return body[1:2] in ("", " ", "\r", "\n")
    if body[:1] != ":":
        return False
    if body[1:2] in ("", " ", "\r", "\n"):
        return True
    if not in_drawer:
        return False
    close = body.find(":", 2)
    return close != -1 and not any(c in " \t" for c in body[1:close]) and \
        body[close + 1:close + 2] in ("", " ", "\t", "\r", "\n")


#: Org's verbatim and code markup (Org 9.5's ``org-emphasis-regexp-components``, Org
#: 9.7's ``org-element--parse-generic-emphasis``): an opening mark follows the line's
#: start or one of these, and a non-blank; a closing one follows a non-blank, and is
#: followed by one of these or the line's end.
_MARKUP_PRE = frozenset(" \t\n-('\"{")
_MARKUP_POST = frozenset(" \t\n-.,:!?;'\")}\\[")
_BLANK = frozenset(" \t\n")


def _markup_spans(text: str) -> list[tuple[int, int]] | None:
    """The spans ``(open, close)`` of ``text`` (one paragraph, or more: its lines joined
    by ``\\n``) that may be verbatim (``=...=``) or code (``~...~``) for Org 9.5 or 9.7,
    where Org sees no link: the union of the readings of each version (9.5: one line
    break at most in the text; 9.7: any), each mark alone or both, objects that are links
    taken first or not (a superset, so that a link this reading rewrites is one Org
    sees; a link in a span it adds keeps its bytes); ``None`` when a character by a mark
    is not plain ASCII (Emacs's ``[:space:]`` of others depends on its syntax table: not
    sure)."""
    if "=" not in text and "~" not in text:
        return []
    import re  # (only at a move)

    for at, char in enumerate(text):
        if char in "=~":
            for near in (text[at - 1:at] if at else "", text[at + 1:at + 2]):
                if near and not (" " <= near <= "~" or near in _BLANK):
                    return None
    links = {start: end for start, _, end in bracket_links(text)}
    for found in _plain_re(re).finditer(text):  # type: ignore[attr-defined]
        links.setdefault(found.start(), found.end())
    at = 0
    while (start := text.find("<", at)) != -1:
        close = text.find(">", start)
        if close != -1 and "\n" not in text[start:close] and file_scheme(text, start + 1):
            links.setdefault(start, close + 1)
        at = start + 1
    closers: dict[str, list[int]] = {"=": [], "~": []}
    for at in range(1, len(text)):  # (a closing mark does not depend on its opening one)
        mark = text[at]
        if mark in closers and text[at - 1] not in _BLANK and (
                at + 1 == len(text) or text[at + 1] in _MARKUP_POST):
            closers[mark].append(at)
    spans: set[tuple[int, int]] = set()
    for skip in (links, {}):
        for marks in ("=~", "=", "~"):
            for breaks in (1, len(text)):
                spans.update(_markup_reading(text, marks, skip, breaks, closers))
    return sorted(spans)


#: What may open an object whose text Org reads raw (no link in it): inline src blocks,
#: LaTeX fragments, export snippets, macros, targets and angle links (their
#: :func:`_raw_spans`).
_RAW_OPENERS = ("src_", "\\", "$", "@@", "{{{", "<")


def _raw_spans(text: str) -> list[tuple[int, int]]:
    """The spans ``(open, close)`` of ``text`` (a paragraph, its lines joined by
    ``\\n``) where Org 9.5 or 9.7 may read an object whose text holds no link (Org
    syntax, "Objects"; Org 9.5's parsers named): an inline src block
    (``src_LANG[...]{...}``, ``org-element-inline-src-block-parser``: to the last ``}``
    after it, its braces being balanced across lines), a LaTeX fragment
    (``org-element-latex-fragment-parser``: ``\\(...\\)``, ``\\[...\\]``,
    ``$...$``, ``$$...$$``, a ``\\command`` with its ``[...]``/``{...}`` arguments), an
    export snippet (``@@BACKEND:...@@``), a macro (``{{{NAME(ARGS)}}}``: to the first
    ``)}}}`` or ``}}}``, whichever is later), a target (``<<...>>``, as :data:`_TARGET`
    reads it: nothing but ``<<`` and ``>>`` in it are ``<`` or ``>``) and an angle link
    of another type, or of any type across lines (``<TYPE:...>``, :data:`_ANGLE`,
    ``org-link-angle-re``: the text in it is the link's path; a ``>`` at the start of a
    line ends none). Each opener to the first closer after it, with
    no regard to what Org checks before or after (a superset: a link in a span Org does
    not make keeps its bytes, and may break at a move, never is it changed into
    something else)."""
    if not any(opener in text for opener in _RAW_OPENERS):
        return []
    import re  # (only at a move)

    spans = []
    for found in re.finditer(r"src_[^ \t\n\[{]+[\[{]", text):
        close = text.rfind("}")
        if close >= found.end() - 1:
            spans.append((found.start(), close))
    pairs = {"(": "\\)", "[": "\\]"}
    for found in re.finditer(r"\\(?:[(\[]|[a-zA-Z]+\*?(?:\[[^\][\n{}]*\]|\{[^{}\n]*\})*)",
                             text):
        at = found.start()
        if text[at + 1] in pairs:
            close = text.find(pairs[text[at + 1]], at + 2)
            if close != -1:
                spans.append((at, close + 1))
        elif found.end() > at + 1:
            spans.append((at, found.end() - 1))
    at = 0
    while (at := text.find("$", at)) != -1:
        double = text.startswith("$$", at)
        close = text.find("$$", at + 2) + 1 if double else text.find("$", at + 1)
        if close > at:
            spans.append((at, close))
        at += 1
    spans += [(found.start(), found.end() - 1) for found in re.finditer(_TARGET, text)]
    for found in re.finditer(r"@@[-A-Za-z0-9]+:", text):
        close = text.find("@@", found.end())
        if close != -1:
            spans.append((found.start(), close + 1))
    for found in re.finditer(_ANGLE, text):
        if "\n" in found.group() or not file_scheme(text, found.start() + 1):
            spans.append((found.start(), found.end() - 1))  # (else rewritten as a link)
    at = 0
    while (at := text.find("{{{", at)) != -1:
        ends = [n for n in (text.find("}}}", at + 3), text.find(")}}}", at + 3) + 1) if n > 0]
        if ends:
            spans.append((at, max(ends) + 2))
        at += 3
    return spans


def _crossing_links(text: str) -> list[tuple[int, int, int]]:
    """The bracket links of ``text`` (a paragraph, its lines joined by ``\\n``) that go
    on across a line break (Org reads a link's target and description across lines:
    ``[[file:a.org][two`` then ``lines]]``): ``(begin, close, end)`` as
    :func:`~ai_protocols.org.syntax.bracket_links` gives them. Read line by line, no
    part of one is a link: its description keeps its bytes (:func:`_inert_columns`), its
    target is rewritten when it is on one line (``opened``, :func:`moved_link_line`),
    else it keeps its bytes too."""
    if "\n" not in text:
        return []
    return [(start, close, end) for start, close, end in bracket_links(text)
            if "\n" in text[start:end]]


def _markup_reading(text: str, marks: str, links: dict[int, int], breaks: int,
                    closers: dict[str, list[int]]) -> list[tuple[int, int]]:
    """One reading of :func:`_markup_spans`: ``text`` read from its start, a link of
    ``links`` (start: end) passed over whole, each opening mark of ``marks`` closed by
    the first closing mark of its kind after it (``closers``, in order), with at most
    ``breaks`` line breaks between them, the reading going on after it."""
    from bisect import bisect_left

    spans = []
    at = 0
    size = len(text)
    ends = [n for n, char in enumerate(text) if char == "\n"] if breaks < size else []
    while at < size:
        if at in links:
            at = links[at]
            continue
        mark = text[at]
        if mark in marks and (at == 0 or text[at - 1] in _MARKUP_PRE) and \
                at + 1 < size and text[at + 1] not in _BLANK:
            found = closers[mark]
            k = bisect_left(found, at + 2)
            close = found[k] if k < len(found) else size
            if close < size and (breaks >= size or bisect_left(ends, close) -
                                 bisect_left(ends, at) <= breaks):
                spans.append((at, close))
                at = close + 1
                continue
        at += 1
    return spans


def _line_kind(line: str) -> str:
    """How a line bounds a paragraph for :func:`_markup_spans`: ``blank``; ``alone`` (a
    headline, a table row, a comment or fixed-width line: no paragraph goes on across
    it); ``item`` (a list item's first line: a paragraph begins in it); else ``text``
    (Org 9.5's ``org-element-paragraph-separate``, its sure cases only: a line it may
    pass over stays in the paragraph, which then is wider, never narrower)."""
    body = line.lstrip(" \t")
    if not body.strip():
        return "blank"
    if line.startswith("*"):
        stars = len(line) - len(line.lstrip("*"))
        if line[stars:stars + 1] == " ":
            return "alone"
    if body[0] == "|" or (body[0] in "#:" and body[1:2] in ("", " ")):
        return "alone"
    bullet = body[0] in "-+*" and line[0] != "*"
    if not bullet:
        digits = len(body) - len(body.lstrip("0123456789"))
        bullet = digits > 0 and body[digits:digits + 1] in (".", ")")
        body = body[digits:] if bullet else body
    return "item" if bullet and body[1:2] in ("", " ", "\t") else "text"


def _paragraph(doc: OrgFile, index: int, out: Callable[[int], bool]) -> tuple[int, int]:
    """The lines ``(first, last)`` of the paragraph of line ``index`` as
    :func:`_line_kind` bounds it, not across a line ``out`` says is in a block Org reads
    as verbatim."""
    def kind(at: int) -> str:
        return "alone" if out(at) else _line_kind(strip_ending(doc.lines[at], doc.newline))

    own = kind(index)
    if own == "alone":
        return index, index
    first = index
    high = len(doc.lines)
    while own != "item" and first > 0:
        above = kind(first - 1)
        if above in ("blank", "alone"):
            break
        first -= 1
        if above == "item":
            break
    last = index
    while last + 1 < high and kind(last + 1) == "text":
        last += 1
    return first, last


def _inert_columns(doc: OrgFile, index: int, verse: tuple[int, int] | None,
                   out: Callable[[int], bool],
                   cache: dict[tuple[int, int], list[tuple[int, int]] | None]
                   ) -> list[tuple[int, int]] | None:
    """The spans of line ``index`` where its paragraph's verbatim or code markup may
    hide a link from Org (:func:`_markup_spans`), as columns of the line (``open`` may
    be before it, ``close`` after); ``None`` when not sure. ``verse``: the first and
    last lines of the verse block's contents the line is in (one container for Org).
    ``cache``: each paragraph's spans, by its lines, for the next line of it."""
    first, last = verse if verse is not None else _paragraph(doc, index, out)
    lines = [strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1)]
    if not any(mark in line for line in lines for mark in ("=", "~", "[[", *_RAW_OPENERS)):
        return []
    if (first, last) not in cache:
        text = "\n".join(lines)
        markup = _markup_spans(text)
        cache[first, last] = None if markup is None else markup + _raw_spans(text) + [
            (start if "\n" in text[start:close] else close, end - 1)
            for start, close, end in _crossing_links(text)]
    spans = cache[first, last]
    if spans is None:
        return None
    offset = sum(len(line) + 1 for line in lines[:index - first])
    size = len(lines[index - first])
    return [(o - offset, c - offset) for o, c in spans if c >= offset and o <= offset + size]


#: The emphasis marks (Org syntax, "Emphasis Markers"): bold, italic, underline,
#: strike-through, verbatim, code.
_EMPHASIS = "*/_+=~"


def _openers(text: str) -> str:
    """The emphasis marks of :data:`_EMPHASIS` that may open markup somewhere in
    ``text`` (a paragraph, its lines joined by ``\\n``): after its start, a blank or one
    of :data:`_MARKUP_PRE`, before a non-blank."""
    found = ""
    for at, char in enumerate(text):
        if char in _EMPHASIS and char not in found and \
                (at == 0 or text[at - 1] in _MARKUP_PRE) and \
                at + 1 < len(text) and text[at + 1] not in _BLANK:
            found += char
    return found


#: ``file`` in each case a link's type may be typed in (Org reads it in any case:
#: :func:`~ai_protocols.org.syntax.file_scheme`), for :meth:`OrgFile.lines_holding`.
_CASES = tuple("".join(letters) for letters in
               product("fF", "iI", "lL", "eE"))


def move_links(doc: OrgFile, old_folder: str, new_folder: str, skip: set[int],
               renamed: dict[str, str] | None = None) -> None:
    """:func:`moved_link_line` on each line of ``doc`` holding a link (``[[``, ``file``)
    and :func:`moved_keyword_line` on each ``#+INCLUDE:``/``#+SETUPFILE:`` line, for a
    file moving from ``old_folder`` to ``new_folder`` (an archive, an adoption): a
    person's relative links and included files that exist stay right; a link to nothing
    keeps its bytes (``existing_only``). ``renamed``: the files moving too (absolute old
    path: absolute new path; the session's own earlier files): a link to one names its
    new place. Passed over: the lines in ``skip`` (rewritten already) and those where Org
    sees no link (:func:`_no_link_lines`, :func:`_no_link_line`: a verbatim block, src,
    example, export or comment, with its fences, and a comment or fixed-width line;
    a verse block holds links but no keyword; a quote, center or special block holds
    both, Org syntax, "Blocks"). Surgical: only a changed line is set."""
    from bisect import bisect_right

    spans, fences = _no_link_lines(doc)
    starts = [span[0] for span in spans]

    def out(at: int) -> bool:  # (in a verbatim block, or a block's fence)
        k = bisect_right(starts, at) - 1
        return at in fences or (k >= 0 and at <= spans[k][1] and (
            not spans[k][2] or at in (spans[k][0], spans[k][1])))

    keywords = {index for index, line in doc.lines_holding("#+")
                if line.lstrip(" \t")[:15].casefold().startswith(_PATH_KEYWORDS)}
    heads = doc.headlines  # (a property drawer's lines; all before the first headline)
    drawers = None if not heads else set(range(heads[0].line)).union(*(
        range(h.drawer[0], h.drawer[1] + 1) for h in heads if h.drawer is not None))
    lines = sorted({index for index, _ in doc.lines_holding("[[")} |
                   {index for case in _CASES for index, _ in doc.lines_holding(case)} |
                   keywords)
    changes = []
    cache: dict[tuple[int, int], list[tuple[int, int]] | None] = {}
    openers: dict[tuple[int, int], str] = {}
    crossing: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    read: dict[tuple[int, int], set[tuple[int, int, str]]] = {}
    for index in lines:
        at = bisect_right(starts, index) - 1
        inside = at >= 0 and index <= spans[at][1]
        verse = inside and spans[at][2]
        if index in skip or index in fences or (inside and (
                not verse or index in (spans[at][0], spans[at][1]))):
            continue
        bare = strip_ending(doc.lines[index], doc.newline).lstrip("\ufeff")
        if index in keywords and not verse:
            moved = moved_keyword_line(bare, old_folder, new_folder, existing_only=True,
                                       renamed=renamed)
        elif not verse and _no_link_line(bare, drawers is None or index in drawers):
            continue
        else:
            bounds = (spans[at][0] + 1, spans[at][1] - 1) if verse else None
            inert = _inert_columns(doc, index, bounds, out, cache)
            if inert is None:
                continue  # (markup by it this reading is not sure of: its bytes kept)
            first, last = bounds if bounds is not None else _paragraph(doc, index, out)
            if (first, last) not in openers:
                whole = "\n".join(
                    strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1))
                openers[first, last] = _openers(whole)
                read[first, last] = org_links(whole)
            offset = sum(len(strip_ending(doc.lines[n], doc.newline)) + 1
                         for n in range(first, index)) + \
                len(strip_ending(doc.lines[index], doc.newline)) - len(bare)  # (a BOM)
            moved = moved_link_line(bare, old_folder, new_folder, existing_only=True,
                                    renamed=renamed, inert=inert,
                                    marks=openers[first, last],
                                    opened=_opened(doc, index, (first, last), crossing),
                                    org={(begin - offset, end - offset, kind)
                                         for begin, end, kind in read[first, last]
                                         if offset <= begin <= offset + len(bare)})
        if moved != bare:
            changes.append((index, moved))
    for index, moved in changes:
        doc.set_line(index, moved)


def _opened(doc: OrgFile, index: int, paragraph: tuple[int, int],
            cache: dict[tuple[int, int], list[tuple[int, int, int]]]) -> tuple[int, int] | None:
    """The bracket link that begins on line ``index`` of ``doc``, its target on that
    line, and goes on past its end (:func:`_crossing_links` of its ``paragraph``, its
    first and last lines): ``(begin, close)`` in the line, for :func:`moved_link_line`;
    else ``None``. ``cache``: each paragraph's crossing links."""
    first, last = paragraph
    if paragraph not in cache:
        text = "\n".join(strip_ending(doc.lines[n], doc.newline) for n in range(first, last + 1))
        cache[paragraph] = _crossing_links(text) if "[[" in text else []
    if not cache[paragraph]:
        return None
    offset = sum(len(strip_ending(doc.lines[n], doc.newline)) + 1 for n in range(first, index))
    size = len(strip_ending(doc.lines[index], doc.newline))
    for start, close, end in cache[paragraph]:
        if offset <= start and close <= offset + size < end:
            return start - offset, close - offset
    return None
