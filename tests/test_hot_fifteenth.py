"""Issue 16, fifteenth round (the hot commands): what the changes that made ``log``,
``resume``, ``start`` and the hooks cheaper must keep.

- An edit's session is read from its document (``SessionEdit.session``), no longer
  from its text joined and parsed again: it reads as that text reads, brief or whole,
  after any edit, on every layout of the corpus (CRLF, a byte-order mark, a person's
  headings and blocks).
- ``OrgFile.lines_holding`` remembers the windows of the text as read that lack a
  needle: after any edit it finds what a search of every line finds.
- The ``ai-protocols`` script ends a fast command without the interpreter's teardown,
  but runs the ``atexit`` functions first and keeps the exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import AiProtocolsError
from ai_protocols.org.file import OrgFile
from ai_protocols.session.layout import read_session
from ai_protocols.session.model import ENTRY_KINDS, LogEntry
from ai_protocols.session.transaction import editing

from conftest import CLI, Runner, as_last_written, clean_env

CORPUS = Path(__file__).parent / "corpus"
LAYOUTS = sorted(p.name for p in CORPUS.glob("[0-9]*.org"))
#: Text an entry may hold: Org's own marks among plain words (a link, a block's
#: opening, a checkbox, a headline's star inside a line).
TEXT = st.lists(st.sampled_from([*"abc XY019", "[[", "]]", "file:", "#+", "- [X] [", "*", ":",
                                 "\\", "done: ", "é"]),
                min_size=1, max_size=12).map("".join).map(str.strip).filter(bool)
KINDS = [kind.kind for kind in ENTRY_KINDS if kind.kind not in ("done", "current")]
ENTRIES = st.lists(st.tuples(st.sampled_from(KINDS), TEXT), min_size=1, max_size=6)


def _closed_items(count: int) -> str:
    return "".join(f"- [X] [2026-10-01 Thu 08:{n % 60:02d}] step {n} done\n"
                   for n in range(count))


@pytest.mark.parametrize("layout", [*LAYOUTS, "closed"])
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=ENTRIES, note=TEXT)
def test_an_edits_session_reads_as_its_text(project: Path, run: Runner, layout: str,
                                            entries: list[tuple[str, str]],
                                            note: str) -> None:
    """``edit.session()`` (brief or whole) equals :func:`read_session` of the document's
    text, after entries, a note and properties were spliced in; a broken reading (the
    text as read, the headlines before the edit) misses them or misplaces them."""
    run("start")
    path = project / ".ai" / "session-context.org"
    if layout == "closed":  # (the closed items a brief read passes over)
        text = path.read_text(encoding="utf-8")
        marker = ":CUSTOM_ID: progress\n:END:\n"
        path.write_text(text.replace(marker, marker + _closed_items(300), 1),
                        encoding="utf-8")
    else:
        path.write_bytes((CORPUS / layout).read_bytes())
    as_last_written(project, path)  # (the layout stands for the tool's own last version)
    try:
        with editing(str(project / ".ai"), str(path), if_edited="refuse") as edit:
            for kind, text in entries:
                edit.apply(LogEntry(kind, text, "because" if kind == "decision" else None))
            edit.note(note)
            edit.set_properties(("OBJECTIVE", note))
            for brief in (False, True):
                got = edit.session(brief=brief)
                want = read_session(str(path), edit.doc.text, brief=brief)
                assert got == want, (layout, brief)
                # (the note is there: a brief read passes over a Log line "... done: ...")
                assert brief or any(e.text.endswith(note) for e in got.log), layout
    except AiProtocolsError:  # (a text the tool refuses, a layout it will not write)
        return


LINES = st.lists(st.sampled_from(["* Head\n", "** Sub\n", "- [X] [2026-10-01 Thu 08:00] x\n",
                                  "text [[file:a.org][a]]\n", "plain\n", "#+begin_src\n",
                                  "[[ half\n", "\n"]), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(lines=LINES, edits=st.lists(st.tuples(st.integers(0, 40), LINES), max_size=4),
       needle=st.sampled_from(["[[", "#+", "file:", "x"]))
def test_lines_holding_finds_what_every_line_holds(lines: list[str],
                                                   edits: list[tuple[int, list[str]]],
                                                   needle: str) -> None:
    """Before and after each edit (an insertion, which adds pieces or parses again),
    ``lines_holding`` gives the lines that hold ``needle``, as a look at every line
    does: a window remembered as lacking it is never one an edit changed."""
    doc = OrgFile("".join(lines))

    def every() -> list[tuple[int, str]]:
        return [(n, line) for n, line in enumerate(doc.lines) if needle in line]

    assert list(doc.lines_holding(needle)) == every()
    for at, block in edits:
        doc.insert(min(at, doc.line_count), [line.rstrip("\n") for line in block])
        assert list(doc.lines_holding(needle)) == every()
        assert list(doc.lines_holding(needle)) == every()  # (the second search: remembered)


_AT_EXIT = '''
import atexit, os
@atexit.register
def _report():
    with open(os.environ["AT_EXIT_OUT"], "a") as out:
        out.write("ran\\n")
'''


@pytest.mark.parametrize("args", [["path"], ["log", "--progress", "x"], ["resume"],
                                  ["show", "--json"], ["status"]])
def test_a_fast_command_runs_the_atexit_functions_and_keeps_its_code(
        project: Path, run: Runner, tmp_path: Path, args: list[str]) -> None:
    """The script ends a fast command with ``os._exit`` (no teardown), after the
    ``atexit`` functions a ``sitecustomize`` registered; its exit code and output are
    the command's, and a closed standard output still says so (exit 16, or 9)."""
    run("start")
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(_AT_EXIT)
    out = tmp_path / "ran"
    env = clean_env(PYTHONPATH=str(probe), AT_EXIT_OUT=str(out))
    done = subprocess.run([str(CLI), *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert out.read_text() == "ran\n"
    closed = subprocess.run(f'"{CLI}" {" ".join(args)} >&-', shell=True, cwd=project,
                            env=env, capture_output=True, text=True, timeout=60)
    # (16 for a command that changes something; 9, "run it again", for one that changes
    # nothing: tests/test_output_fifteenth.py)
    from ai_protocols.cli.output import changes_nothing

    assert closed.returncode == (9 if changes_nothing(args) else 16), closed.stderr
    assert out.read_text() == "ran\nran\n"


def test_a_failing_fast_command_keeps_its_code(project: Path, tmp_path: Path) -> None:
    """A fast command that fails (no session to log to) exits
    with its own code through the quick ending, its message on stderr."""
    done = subprocess.run([str(CLI), "log", "--progress", "x"], cwd=project,
                          env=clean_env(AI_AGENT_ID="nobody.here"), capture_output=True,
                          text=True, timeout=60)
    slow = subprocess.run([sys.executable, "-c", "import sys; from ai_protocols.cli.main "
                           "import main; sys.argv[0] = 'ai-protocols'; main()", "log",
                           "--progress", "x"], cwd=project,
                          env=clean_env(AI_AGENT_ID="nobody.here"), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == slow.returncode != 0
    assert done.stderr == slow.stderr
    assert os.path.isdir(project / ".ai")
