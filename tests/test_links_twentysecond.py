"""A line shaped as a property (``:NAME: text``) at a move (twenty-second round: CI's
hypothesis run of test_links_fourteenth found ``:e: <File:../b.org>`` in a paragraph
kept as typed, a link Org 9.5 and 9.7 both read naming the wrong file after the move).
Org reads no link in a property drawer's values, and reads one on such a line anywhere
else; the rewrite follows Org: the judges say which is which."""

from __future__ import annotations

from pathlib import Path

from test_links_fourteenth import _judged, _project

from ai_protocols.org.file import OrgFile
from ai_protocols.session.layout import move_links

_TEXT = ("* S\n:PROPERTIES:\n:LINK: [[file:../a.org]]\n:END:\n:LINK: [[file:../a.org]]\n"
         "text\n:e: <file:../b.org>\n:LOGBOOK:\n:x: [[file:../b.org][d]]\n:END:\n"
         "** T\nSCHEDULED: <2026-12-02 Wed>\n:PROPERTIES:\n:ID: [[file:../b.org]]\n:END:\n")


def test_a_property_drawer_keeps_its_bytes_and_a_paragraph_line_so_shaped_is_moved(
        tmp_path: Path) -> None:
    project = _project(tmp_path)
    before, after = project / ".ai/s.org", project / ".ai/sessions/s.org"
    before.write_text(_TEXT)
    doc = OrgFile(_TEXT)
    move_links(doc, str(project / ".ai"), str(project / ".ai/sessions"), set())
    after.write_text(doc.text)
    lines = doc.text.split("\n")
    # (the two property drawers' values: no link for Org, bytes kept)
    assert lines[2] == ":LINK: [[file:../a.org]]" and lines[13] == ":ID: [[file:../b.org]]"
    # (the same shapes in the section and a logbook drawer: links, named from the new place)
    assert lines[4] == ":LINK: [[file:../../a.org]]", doc.text
    assert lines[6] == ":e: <file:../../b.org>", doc.text
    assert lines[8] == ":x: [[file:../../b.org][d]]", doc.text
    for seen in _judged([before, after]):  # (Org 9.5, 9.7)
        for name in (before, after):
            found = sorted(seen[str(name)])
            starts = {name.read_text()[:begin - 1].count("\n") for begin, *_ in found}
            assert starts == {4, 6, 8}, (name, found)  # (no link in a property drawer)
            assert [path for *_, path in found] == [f'"{project}/a.org"', f'"{project}/b.org"',
                                                     f'"{project}/b.org"'], found
