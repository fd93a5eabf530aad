"""Logged text stays text at the second level of Org too: objects inside a line.

What an agent logs, and the title and description it gives, may hold anything
Org would read as a live object: a footnote reference, a macro, a target, an
active timestamp or a diary sexp, a statistics cookie, an inline source block
or babel call, an export snippet, an internal or code link. Written by the
tool, none of it is live: ``org-lint`` (Org 9.5 and 9.7) reports nothing, a
real export to HTML and to plain text finishes without an error and without
evaluating anything, and the agenda finds nothing in it; and the text reads
back exactly as it was logged. ``scripts/org-lint-export.el`` is the judge,
run by both Emacs versions at once over a batch of files.

Evaluation is proved absent, not assumed: the texts hold an inline source
block, and a diary sexp, that would each create a file in :data:`PROOF`; the
positive control (:func:`test_the_judge_sees_live_org`) shows the same Emacs
run creating it from a file written without the tool.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from ai_protocols import LogEntry, Project
from ai_protocols.org.syntax import (
    WJ,
    ZWSP,
    escape_headline,
    escape_inline,
    escape_property,
    unescape_inline,
)
from ai_protocols.session.layout import new_session_text
from ai_protocols.session.pending import pending_path
from ai_protocols.session.text import MAX_LINE_TEXT

from conftest import Runner
from emacs import JUDGES, Judge, lint_export, on_both

PROOF = Path(tempfile.mkdtemp(prefix="org-evaluated-"))
T0 = datetime(2026, 11, 21, 10, 2)
T1 = datetime(2026, 11, 22, 9, 5)

# Every object Org 9.5 or 9.7 reads inside a line, in the forms people write.
LIVE = [
    "[fn:1]", "[fn::an inline note]", "[fn:name:a definition]", "[fn:2] at the start",
    "{{{x}}}", "{{{title}}}", "{{{property(STATUS)}}}", "{{{{y}}}}",
    "<<t>>", "<<<radio>>>", "<<t>>>",
    "<2026-01-01 Thu>", "<2026-01-02 Fri 10:00>", "<2026-01-01 Thu>--<2026-01-03 Sat>",
    "<2026-01-01 Thu +1w>", "<%%(diary-float t 4 1)>",
    f'<%%(progn (with-temp-file "{PROOF}/diary" (insert "x")) t)>',
    "[2026-01-01 Thu]", "[2026-01-01 Thu 10:00]", "[2026-13-45 Sat]",
    "[1/2]", "[50%]", "[%]", "[/]", "[0/0]",
    f'src_emacs-lisp{{(with-temp-file "{PROOF}/src" (insert "x"))}}',
    f'src_elisp[:results silent]{{(with-temp-file "{PROOF}/src2" (insert "x"))}}',
    "call_proof()", "call_proof[:results raw]()",
    "@@html:<b>bold</b>@@", "@@latex:\\alpha@@",
    "[[nowhere]]", "[[#custom-id]]", "[[*A heading]]", "[[id:abc-123]]", "[[(ref)]]",
    "[[elisp:(message \"x\")][run me]]", "[[shell:ls]]", "[[https://example.com][a site]]",
    "[[file:missing.txt]]", "id:abc-123", "elisp:(message)", "shell:ls",
    "<elisp:(message)>", "help:org-mode", "attachment:x.png",
    "[cite:@key]", "[cite/t:@key; @other]",
    "$x$", "$$y$$", "$5 and $6", "\\(z\\)", "\\[w\\]", "\\begin{equation}",
    "a** b", "text** Oops heading", "*bold*", "/italic/", "=verbatim=", "~code~", "+strike+",
    "_under_", "snake_case", "a_{b}", "x^2", "\\alpha", "\\\\", "https://example.com/a_b",
    "file:missing.txt", "mailto:a@b.c", ":tag:", " :a:b:", "[#A]", "TODO", "COMMENT",
    "DONE", "[X]", "[ ]", "[-]", "[@3]", "::", "CLOSED: [2026-01-01 Thu]",
    "DEADLINE: <2026-01-01 Thu>", "SCHEDULED: <2026-01-02 Fri>", "%%(diary-float t 4 1)",
    "#+MACRO: x y", "#+TITLE: t", ZWSP, ZWSP * 2, f"<{ZWSP}2026-01-01 Thu>", "\u00a0", WJ,
    "$.50", "- State \"DONE\"       from \"TODO\"       [2026-01-01 Thu 10:00]",
    "CLOCK: [2026-01-01 Thu 10:00]--[2026-01-01 Thu 11:00] =>  1:00",
    "<2026-13-45 Sat>--<2026-01-01 Thu>",
]
# Lines that would be structure (the first level), as in test_emacs_agreement.py.
STRUCTURE = ["*", "* x", "** x :tag:", "#+BEGIN_SRC emacs-lisp", "#+END_SRC",
             "#+name: proof", "#+begin_example", "#+end_example", ":PROPERTIES:", ":END:",
             ":LOGBOOK:", "| a | b |", "-----", "[fn:1] a definition", "- [ ] box",
             "1. item", "  indented", "\t", "# comment", ": fixed", "CLOCK: [2026-01-01]",
             "  %%(diary-float t 4 1)", "%%(diary-float t 4 1)", ":ID: abc"]
ALLOWED = {"link-to-local-file"}  # a file the text names is not there: the writer's business


@st.composite
def one_line(draw: st.DrawFn) -> str:
    """A title or a description: one line of at most 200 characters."""
    parts = draw(st.lists(st.one_of(st.sampled_from(LIVE), st.text(
        st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)), min_size=1, max_size=5))
    text = draw(st.sampled_from([" ", "", " x "])).join(parts)[:MAX_LINE_TEXT]
    return text if text.strip() and re.search(r"[A-Za-z0-9]", text) else f"x{text}"[:MAX_LINE_TEXT]


@st.composite
def texts(draw: st.DrawFn) -> str:
    """An entry's text: the live objects, structure, anything, over one or more lines."""
    parts = draw(st.lists(st.one_of(st.sampled_from(LIVE), st.sampled_from(LIVE),
                                    st.sampled_from(STRUCTURE), st.text(max_size=12)),
                          min_size=1, max_size=6))
    text = draw(st.sampled_from([" ", " ", "", "\n"])).join(parts).replace("\x00", "")
    return text if text.strip() else f"x{text}"


@st.composite
def sessions(draw: st.DrawFn) -> dict:
    return {
        "title": draw(one_line()),
        "entries": [(kind, draw(texts())) for kind in
                    ("progress", "decision", "discovery", "blocker", "next")],
        "rationale": draw(texts()),
        "summary": draw(texts()),
        "done": draw(st.booleans()),
        "waiting": draw(texts()),  # logged while a person holds the file in Emacs
        "description": draw(one_line()),
    }


def write_session(root: Path, spec: dict) -> list[Path]:
    """One whole session with the texts of ``spec``; every file it wrote, copied aside:
    the live file, its pending file (entries waiting for a person's save), the archive."""
    project = Project(root, "velox.proj.claude.1718400000")
    project.path.parent.mkdir(parents=True)
    project.path.write_text(new_session_text(agent_id=project.agent_id, host="velox",
                                             title=spec["title"], now=T0))
    for kind, text in spec["entries"]:
        rationale = spec["rationale"] if kind == "decision" else None
        project.log(LogEntry(kind, text, rationale=rationale), now=T1)
    project.log(LogEntry("summary", spec["summary"]), now=T1)
    if spec["done"]:
        project.log(LogEntry("done", spec["entries"][0][1]), now=T1)
    lock = project.path.with_name(f".#{project.path.name}")
    lock.symlink_to("someone@another-host.example.4242:1700000000")  # Emacs holds it
    project.log(LogEntry("discovery", spec["waiting"]), now=T1)
    copies = [root / "live.org", root / "pending.org"]
    copies[0].write_bytes(project.path.read_bytes())
    copies[1].write_bytes(Path(pending_path(project.path)).read_bytes())
    lock.unlink()
    archive = project.wrap_up(spec["description"], now=T1)
    return [*copies, archive]


def read_back(archive: Path, spec: dict) -> None:
    """The archive reads back exactly as logged."""
    from ai_protocols import read_session

    session = read_session(archive, archive.read_bytes().decode("utf-8"))
    assert session.title == spec["title"]
    assert session.description == spec["description"]
    assert session.summary == spec["summary"]
    for kind, text in spec["entries"]:
        entry = session.items(kind)[0]
        assert entry.text == text, kind
        if kind == "decision":
            assert entry.rationale == spec["rationale"]
    assert [e.text for e in session.discoveries[1:]] == [spec["waiting"]]
    assert session.progress[0].done is spec["done"]


def assert_inert(judge: Judge, result: dict) -> None:
    lint = [w for w in result["lint"] if w["checker"] not in ALLOWED]
    assert lint == [], f"{judge}: org-lint on {result['file']}: {lint}"
    assert result["objects"] == [], f"{judge}: live Org in {result['file']}"
    for backend in ("html", "ascii"):
        assert isinstance(result[backend], int), \
            f"{judge}: {backend} export of {result['file']} failed: {result[backend]}"
    assert result["agenda"] == [], f"{judge}: agenda entries from {result['file']}"


# Each example is a batch of sessions judged by one Emacs run per Org version;
# shrinking a batch would cost minutes of Emacs runs, and the per-file message
# names the culprit.
@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(batch=st.lists(sessions(), min_size=6, max_size=8))
def test_logged_text_is_inert_for_org_lint_export_and_agenda(tmp_path: Path,
                                                            batch: list[dict]) -> None:
    files: list[Path] = []
    for spec in batch:
        written = write_session(Path(tempfile.mkdtemp(dir=tmp_path)), spec)
        read_back(written[-1], spec)
        files += written
    for judge, results in zip(JUDGES, on_both(lint_export, files), strict=True):
        for result in results:
            assert_inert(judge, result)
    assert list(PROOF.iterdir()) == [], "Org evaluated code from logged text"


def test_the_judge_sees_live_org(tmp_path: Path) -> None:
    """The positive control: the same constructs written into a file as they are, not
    by the tool, make org-lint warn, stop the export, fill the agenda and run code."""
    proof = tmp_path / "proof"
    proof.mkdir()
    raw = tmp_path / "raw.org"
    raw.write_text(
        "* Session: Meet <2026-01-01 Thu> [fn:1]\n"
        "- [2026-01-02 Fri 10:00] src_emacs-lisp{(with-temp-file "
        f'"{proof}/src" (insert "x"))}} <<t>>\n'
        f'- [2026-01-02 Fri 10:00] <%%(progn (with-temp-file "{proof}/diary" (insert "x")) t)>\n'
        "- [2026-01-02 Fri 10:00] step [1/2]\n", encoding="utf-8")
    macro = tmp_path / "macro.org"
    macro.write_text("* S\n- [2026-01-02 Fri 10:00] {{{x}}}\n", encoding="utf-8")
    for judge in JUDGES:
        for found in proof.iterdir():
            found.unlink()
        result, stopped = lint_export(judge, [raw, macro])
        checkers = {w["checker"] for w in result["lint"]}
        assert {"undefined-footnote-reference"} <= checkers, (judge, checkers)
        assert {o["type"] for o in result["objects"]} >= {
            "footnote-reference", "inline-src-block", "target", "timestamp",
            "statistics-cookie"}, (judge, result["objects"])
        assert "Undefined Org macro" in stopped["html"]["error"], judge
        assert result["agenda"], judge
        assert sorted(p.name for p in proof.iterdir()) == ["diary", "src"], judge


@given(st.text())
def test_escapes_read_back_exactly(text: str) -> None:
    for escape in (escape_inline, escape_property, escape_headline):
        assert unescape_inline(escape(text)) == text


@given(st.lists(st.one_of(st.sampled_from(LIVE), st.text(max_size=8)), max_size=8))
@example(["[%"])  # no cookie: Org's statistics cookie is [N%] or [N/M], closed
@example(["[1/"])
def test_no_object_starts_in_escaped_text(parts: list[str]) -> None:
    """A quick check of the rule without Emacs (Emacs judges above): none of the
    openings of Org's live objects is left in the escaped text. (A statistics cookie
    is ``[N%]`` or ``[N/M]`` with its closing bracket, org-element's
    ``org-element-statistics-cookie-parser``: ``[%`` alone is plain text.)"""
    escaped = escape_inline(" ".join(parts))
    for opening in (r"\[fn:", r"\[cite", r"\[[0-9]*/[0-9]*\]", r"\[[0-9]*%\]", r"\[\d{4}-", r"\[\[",
                    r"<[0-9%<]", r"\{\{", r"@@", r"(?<![A-Za-z0-9])(?:src|call)_",
                    r"\$[^" + WJ + "]", r"\*\* ", r"%%\(", r"(?:CLOCK|CLOSED|SCHEDULED):",
                    r"(?<![A-Za-z0-9])(?:elisp|shell|id|help):\S"):
        assert not re.search(opening, escaped, re.IGNORECASE), (opening, escaped)


def test_a_title_with_live_org_reads_back_through_the_cli(project: Path, run: Runner) -> None:
    title = "Fix <2026-01-01 Thu> [fn:1] {{{x}}} [1/2] :wip:"
    run("start", "--title", title)
    run("log", "--progress", "step [1/2] <<t>>", "--next", "ask call_qa()")
    run("log", "--done", "step [1/2]")
    shown = json.loads(run("show", "--json").stdout)
    assert shown["title"] == title
    assert [(e["text"], e["done"]) for e in shown["progress"]] == [("step [1/2] <<t>>", True)]
    assert shown["next"][0]["text"] == "ask call_qa()"
    text = (project / ".ai/session-context.org").read_text(encoding="utf-8")
    assert "<2026" not in text  # the agenda finds no timestamp, in the property either
    outside = re.sub(r"(?m)^:SESSION_TITLE:.*\n", "", text)  # Org reads no object there
    assert "{{{" not in outside and "[1/2]" not in outside and "[fn:" not in outside
    assert f"* Session: {escape_headline(title)}\n" in text


def test_reading_a_persons_own_escape(tmp_path: Path) -> None:
    """A zero-width space a person typed as Org's escape is not part of the text; two
    stand for one."""
    assert unescape_inline(f"<{ZWSP}2026-01-01 Thu>") == "<2026-01-01 Thu>"
    assert unescape_inline(f"a{ZWSP}{ZWSP}b") == f"a{ZWSP}b"
    assert escape_inline(f"a{ZWSP}b") == f"a{ZWSP}{ZWSP}b"


def test_pandoc_reads_the_escaped_text_as_written(tmp_path: Path) -> None:
    """pandoc's Org reader (what many tools use) shows the logged text, not objects."""
    path = tmp_path / "s.org"
    text = "step [1/2] {{{x}}} <2026-01-01 Thu> [fn:1] snake_case"
    path.write_text(new_session_text(agent_id=None, host="h", title="T [fn:2]", now=T0) +
                    f"- [2026-11-21 Sat 10:02] {escape_inline(text)}\n", encoding="utf-8")
    done = subprocess.run(["pandoc", "-f", "org", "-t", "plain", "--wrap=none", str(path)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert text in done.stdout.replace(ZWSP, "")


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_the_judges_are_the_org_versions_we_name(judge: Judge) -> None:
    done = judge.run(["--eval", '(progn (require (quote org)) (princ org-version))'])
    assert done.stdout.startswith(judge.org + "."), done.stdout
