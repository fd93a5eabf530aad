"""What reaches a terminal can neither reorder nor hide text.

An agent id, a title, a summary or a path may hold a right-to-left override
(U+202E), an isolate, a zero-width character, an escape sequence, a byte that
is not UTF-8. Printed raw, such a character reorders the rest of the terminal
line (``evil\u202egpj.exe`` reads as ``evilexe.jpg``), recolours or clears it, or
hides text. Every human output of the installed command prints them as
backslash escapes; ``--json`` and ``path`` print the exact text.
"""

from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ai_protocols.errors import InvalidAgentId
from ai_protocols.paths import MAX_SAFE_ID_BYTES, safe_id

from conftest import CLI, Runner, clean_env

#: Categories a terminal does not draw as glyphs (see ai_protocols.cli.output.display).
UNSHOWN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
RLO = "\u202e"
OTHER = "\u2066\u200b\u200f\ufeff\u2028\x1b[2J\x9b\U000e0041"


def hidden(text: str) -> list[str]:
    """The characters of ``text`` that a terminal would not show as themselves (a
    newline between lines aside)."""
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in UNSHOWN]


def test_status_list_show_and_start_escape_what_would_reorder_the_line(
        project: Path, run: Runner) -> None:
    """The case seen: an id holding a right-to-left override, printed raw by status and
    list, reordered the terminal line. Now every human output escapes it, and every
    other invisible or control character; JSON keeps the exact text."""
    # (no C0 in an id, nor white space: U+2028 is Unicode White_Space)
    agent = f"evil{RLO}gpj.exe{OTHER.replace(chr(27), '').replace(chr(0x2028), '')}.1700000000"
    title = f"Title {RLO}reversed"
    summary = f"Sum{OTHER}mary\nsecond line{RLO}"
    run("start", "--title", "Title", agent=agent, as_another_agent=True)
    # The tool refuses an override in a one-line text it is given (session/text.py); a
    # person may still type one in Emacs: the title, as one would edit it there.
    context = Path(run("path", agent=agent).stdout.strip())
    context.write_text(context.read_text().replace("Title", title))
    logged = run("log", "--summary", summary, "--progress", "step\u200bx", agent=agent)
    outputs = {
        "log": logged.stdout,
        "status": run("status").stdout,
        "list": run("list").stdout,
        "show": run("show", agent=agent).stdout,
        "start": run("start", agent="next.proj.claude.1700000001").stdout,
    }
    for command, out in outputs.items():
        assert not hidden(out), (command, out)
    assert "evil\\u202egpj.exe\\u2066\\u200b\\u200f\\ufeff[2J\\u009b\\U000e0041" \
        ".1700000000" in outputs["status"]
    assert "summary: Sum\\u2066\\u200b" in outputs["status"]  # one line: "\n" escaped too
    assert "\\nsecond line\\u202e" in outputs["status"]
    assert "Title \\u202ereversed" in outputs["list"]
    assert "second line\\u202e" in outputs["show"]
    # The command start suggests must work when pasted: the file, not the escaped id.
    suggested = [line for line in outputs["start"].splitlines() if "ai-protocols recover" in line]
    assert suggested and all(".ai/session-context.d/evil%E2%80%AEgpj.exe" in line
                             for line in suggested), outputs["start"]

    rows = {r["agent_id"]: r for r in json.loads(run("status", "--json").stdout)}
    assert rows[agent]["summary"] == summary
    listed = json.loads(run("list", "--json").stdout)
    assert agent in [r["agent_id"] for r in listed]
    assert json.loads(run("show", "--json", agent=agent).stdout)["title"] == title


def test_errors_escape_the_paths_they_name(tmp_path: Path) -> None:
    """An error names a path; a project folder holding an override or an escape (ESC c
    resets a terminal) is shown escaped on stderr too."""
    root = tmp_path / f"proj{RLO}x\x1bc"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = subprocess.run([str(CLI), "log", "--progress", "x"], cwd=root, env=clean_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert not hidden(result.stderr), result.stderr
    assert "proj\\u202ex\\x1bc" in result.stderr


# Ids an environment can hold and the tool accepts (no C0 control, no "/"), mixed with
# the characters that reorder, hide or recolour text.
_ALPHABET = st.one_of(st.sampled_from(list("ab9._- é%" + RLO + OTHER.replace("\x1b", ""))),
                      st.characters(blacklist_categories=("Cs",), min_codepoint=0x20))
# (Not with white space at either end: a property value's ends are not kept, so such an
# id is not read back whole from AGENT_ID; a known limit, apart from what is shown.)
def _accepted(agent_id: str) -> bool:
    """Whether the tool takes ``agent_id`` (its safe form at most 200 bytes: longer is
    refused, exit code 4, tested elsewhere)."""
    try:
        return len(safe_id(agent_id).encode()) <= MAX_SAFE_ID_BYTES
    except InvalidAgentId:
        return False


ids = st.text(_ALPHABET, min_size=1, max_size=30).filter(
    lambda s: "/" not in s and "\x7f" not in s and s.strip(".") != "" and s == s.strip()
    and _accepted(s))
texts = st.text(st.one_of(st.sampled_from(list("ab \n" + RLO + OTHER)),
                          st.characters(blacklist_categories=("Cs",))),
                min_size=1, max_size=40).filter(lambda s: s.strip() and "\0" not in s)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(agent=ids, summary=texts)
@example(agent=f"a{RLO}b", summary=f"x{RLO}\x1b[2Jy")
def test_no_human_output_holds_an_unshown_character(tmp_path: Path, agent: str,
                                                    summary: str) -> None:
    """For any id and any text, status, list and show print nothing a terminal would not
    show as itself, while their JSON keeps the exact id and text."""
    root = Path(os.path.realpath(tmp_path)) / f"p{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    run = Runner(root)
    run("init")
    run("start", agent=agent, as_another_agent=True)
    run("log", f"--summary={summary}", agent=agent)  # (= : a text - or @FILE as it is)
    for args in (("status",), ("list",), ("show",)):
        out = run(*args, agent=agent)
        assert not hidden(out.stdout + out.stderr), (args, out.stdout)
    row = json.loads(run("status", "--json").stdout)[0]
    assert (row["agent_id"], row["summary"]) == (agent, summary)


def test_a_reader_that_goes_away_is_exit_141_and_says_nothing(tmp_path: Path) -> None:
    """Seen: ``status | head -c 10`` left exit code 1 (documented as a bug) with nothing
    on stderr, which breaks ``set -o pipefail`` scripts. A reader that goes away is
    what the shell reports for ``cat`` then: 141 (128 + SIGPIPE), quietly, on both the
    click path (status, list) and the fast path (show)."""
    root = Path(os.path.realpath(tmp_path)) / "p"
    root.mkdir()
    run = Runner(root)
    run("init")
    first = "agent000.p.x.1700000000"
    run("start", agent=first, as_another_agent=True)
    made = root / ".ai/session-context.d" / f"{first}.org"
    text = made.read_text()
    for n in range(1, 400):  # more than a pipe holds (64 KiB), in status's and list's output
        agent = f"agent{n:03d}.p.x.1700000000"
        (made.parent / f"{agent}.org").write_text(text.replace(first, agent))
    run("start")
    run("log", "--progress", "x" * 70000)  # and in show's
    for args in (("status",), ("status", "--json"), ("list",), ("show",), ("show", "--json")):
        reader = subprocess.Popen([str(CLI), *args], cwd=root, env=clean_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert reader.stdout is not None
        reader.stdout.read(10)
        reader.stdout.close()  # the reader goes away
        _, err = reader.communicate(timeout=120)
        assert (reader.returncode, err) == (141, b""), args


def test_show_prints_a_closed_sessions_end_once_and_escaped(tmp_path: Path) -> None:
    """A merge left ``show`` printing the ``ended:`` line twice, the second copy raw."""
    root = Path(os.path.realpath(tmp_path)) / "p"
    root.mkdir()
    run = Runner(root)
    run("init")
    run("start")
    path = root / ".ai/session-context.org"
    path.write_text(path.read_text().replace(
        ":STATUS:   active", f":STATUS:   active\n:ENDED:    [2026-11-21 Sat 10:30]\n"
        f":DESCRIPTION: evil{RLO}gpj.exe", 1))
    out = run("show").stdout
    assert out.count("  ended:") == 1 and not hidden(out), out


def _read_escapes(shown: str) -> str:
    """The text ``display`` showed, read back by its rule: a run of backslashes before
    ``x``, ``u``, ``U``, ``t``, ``n`` or ``r`` is halved, an odd one leaving its last
    to start an escape: ``\\t``, ``\\n``, ``\\r``, ``\\xHH`` (from 0x80: a byte that
    was not UTF-8, a lone surrogate), ``\\uHHHH``, ``\\UHHHHHHHH``; any other
    backslash, and every other character, as it is."""
    out, at = [], 0
    while at < len(shown):
        ch = shown[at]
        if ch != "\\":
            out.append(ch)
            at += 1
            continue
        run = at
        while at < len(shown) and shown[at] == "\\":
            at += 1
        count = at - run
        kind = shown[at] if at < len(shown) else ""
        if not kind or kind not in "tnrxuU":
            out.append("\\" * count)
            continue
        out.append("\\" * (count // 2))
        if count % 2 == 0:
            continue
        if kind in "tnr":
            out.append({"t": "\t", "n": "\n", "r": "\r"}[kind])
            at += 1
            continue
        width = {"x": 2, "u": 4, "U": 8}[kind]
        code = int(shown[at + 1:at + 1 + width], 16)
        out.append(chr(0xDC00 + code if kind == "x" and code >= 0x80 else code))
        at += 1 + width
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(
    "ab \\xu12e[\t\n\x1b\u202e\u200b\u2066é\u3164"), max_size=30), lines=st.booleans())
@example(text="C:\\x1b\u200b", lines=False)
def test_an_escaped_text_reads_back_as_itself(text: str, lines: bool) -> None:
    """Seen: a typed backslash was shown as it is beside escapes, so a title holding
    the four characters ``\\x1b`` and one holding ESC printed alike. Whenever
    ``display`` escapes anything, what it shows reads back as exactly the text (a
    typed backslash doubled); with nothing to escape, the text is shown as it is."""
    from ai_protocols.cli.output import display

    shown = display(text, lines=lines)
    assert _read_escapes(shown) == text  # (eighth review: with nothing else escaped too)
    if not lines:
        assert "\n" not in shown
    if shown == text:
        assert not any(unicodedata.category(ch) in UNSHOWN and not (lines and ch == "\n")
                       for ch in text)


def test_show_doubles_a_typed_backslash_beside_an_escape(project: Path, run: Runner) -> None:
    """The CLI end of the rule above: a progress item holding a typed ``\\x1b`` and a
    zero-width space is shown by ``show`` with the backslash doubled and the space
    escaped, and kept exactly by ``show --json``."""
    text = "C:\\x1b[2J done\u200b"
    run("start", "--title", "T")
    run("log", "--progress", text)
    assert "C:\\\\x1b[2J done\\u200b" in run("show").stdout
    items = json.loads(run("show", "--json").stdout)["progress"]
    assert [item["text"] for item in items] == [text]
