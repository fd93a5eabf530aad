"""A session exports to HTML that reads well, with Org (9.5 and 9.7) and with pandoc.

New files carry ``#+OPTIONS: ^:{} toc:nil num:nil author:nil``: ``snake_case``
stays as written (no subscript), and there is no table of contents, no section
numbers and no author (the person exporting, not the agent). pandoc's Org
reader honours the same options, and warns about none of them.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from ai_protocols.org.syntax import WJ, ZWSP

from conftest import Runner
from emacs import JUDGES, Judge, lint_export


@pytest.fixture
def archive(project: Path, run: Runner) -> Path:
    run("start", "--title", "Fix parse_args in snake_case")
    run("log", "--progress", "Renamed max_len to max_width", "--decision", "Keep a_b names",
        "--rationale", "the API uses them", "--next", "Check x^2 and y_1")
    run("log", "--done", "max_len", "--summary", "parse_args fixed; user_id next")
    return Path(run("wrap-up", "Fixed parse_args").stdout.strip())


def visible(html: str) -> str:
    return html.replace(ZWSP, "").replace(WJ, "")


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_orgs_html_export_reads_well(judge: Judge, archive: Path) -> None:
    [result] = lint_export(judge, [archive], ORG_LINT_EXPORT_TEXT="1")
    html = visible(result["html"])
    for words in ("Fix parse_args in snake_case", "Renamed max_len to max_width",
                  "Keep a_b names", "parse_args fixed; user_id next", "Check x^2 and y_1"):
        assert words in html, words
    assert "<sub>" not in html and "<sup>" not in html
    assert 'id="table-of-contents"' not in html
    assert "section-number" not in html
    assert 'class="author"' not in html
    assert "Session: Fix parse_args in snake_case" in visible(result["ascii"])


def test_pandocs_html_reads_well(archive: Path) -> None:
    done = subprocess.run(["pandoc", "-f", "org", "-t", "html", "--wrap=none", str(archive)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "pandoc warns about the file"
    html = visible(done.stdout)
    for words in ("Renamed max_len to max_width", "parse_args fixed; user_id next",
                  "Check x^2 and y_1"):
        assert words in html, words
    assert "<sub>" not in html and "<sup>" not in html
    # Property drawers are attributes for pandoc, never text.
    assert not re.search(r">[^<]*:STATUS:", html)
