"""The one display rule (issue 14, eighth review): what reaches a terminal is escaped
once, by one unambiguous rule (``ai_protocols.lean.display``), and every error that
quotes user text leaves the escaping to it (never a ``repr`` and then a second pass:
``note 'n\\\\xe9'``).

Seen: a typed ``\\x1b`` with nothing else to escape was shown as it is, exactly as an
ESC is shown; an error quoting a byte that was not UTF-8 showed it as ``\\\\xe9``; an
ESC sequence in an error was dropped when stderr was not a terminal.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_terminal_output import UNSHOWN, _read_escapes

from ai_protocols.lean import display, quoted

from conftest import Runner

#: Any text a user can give: arbitrary code points (lone surrogates among them), and
#: arbitrary bytes read as the tool reads a name that is not UTF-8 (PEP 383).
TEXTS = st.one_of(
    st.text(st.characters(codec=None, categories=None), max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.text(st.sampled_from("\\xuUtnr01bé \x1b\x85\udc85\u202e\n"), max_size=20),
)


@settings(max_examples=500, deadline=None)
@given(text=TEXTS, lines=st.booleans())
@example(text="\\x1b", lines=False)
@example(text="\x1b", lines=False)
@example(text="\\\x1b", lines=False)
@example(text="\udc85\x85", lines=False)
@example(text="C:\\Users\\me", lines=False)
def test_display_reads_back_and_shows_no_control_character(text: str, lines: bool) -> None:
    """Round-trippable, so injective: what ``display`` shows reads back as exactly the
    text (``_read_escapes``, the rule written out), whatever the text; and it holds no
    character a terminal would not draw (a newline only with ``lines``)."""
    shown = display(text, lines=lines)
    assert _read_escapes(shown) == text
    assert not any(unicodedata.category(ch) in UNSHOWN and not (lines and ch == "\n")
                   for ch in shown), ascii(shown)


@settings(max_examples=300, deadline=None)
@given(one=TEXTS, other=TEXTS)
def test_distinct_texts_never_display_alike(one: str, other: str) -> None:
    if one != other:
        assert display(one) != display(other)


def test_the_cases_that_looked_alike() -> None:
    assert display("\\x1b") == "\\\\x1b" and display("\x1b") == "\\x1b"
    assert display("\udce9") == "\\xe9" and display("\x85") == "\\u0085"
    assert display("C:\\dir\\a.b") == "C:\\dir\\a.b"  # (nothing that reads as an escape)
    assert display(quoted(b"n\xe9")) == "'n\\xe9'"


def test_an_error_quoting_bytes_that_are_not_utf8_shows_each_once(project: Path,
                                                                  run: Runner) -> None:
    """``log --key-file`` of a name that is not UTF-8: the error shows ``\\xe9``, one
    backslash, as ``display`` shows that byte everywhere."""
    run("start", "--title", "T")
    name = b"n\xe9 ".decode("utf-8", "surrogateescape")
    import subprocess

    from conftest import CLI, clean_env

    done = subprocess.run([str(CLI), "log", "--key-file", name], cwd=project,
                          env=clean_env(), capture_output=True)
    err = done.stderr.decode()
    assert done.returncode != 0 and "'n\\xe9 '" in err and "\\\\xe9" not in err, err


def test_an_error_shows_a_typed_escape_and_an_esc_apart(project: Path, run: Runner) -> None:
    """The same error for a key file named with the four characters ``\\x1b`` and for
    one named with ESC: two different lines, the ESC neither sent nor dropped."""
    run("start", "--title", "T")
    typed = run("log", "--key-file", "a\\x1b ", check=False)
    esc = run("log", "--key-file", "a\x1b[31m ", check=False)
    assert typed.returncode != 0 and esc.returncode != 0
    assert "'a\\\\x1b '" in typed.stderr, typed.stderr
    assert "'a\\x1b[31m '" in esc.stderr and "\x1b" not in esc.stderr, esc.stderr


def test_click_s_usage_errors_show_user_text_once_escaped(project: Path) -> None:
    """A usage error click raises (``--branch`` not a branch name; ``--bogus`` after a
    TITLE holding ESC) shows a byte that is not UTF-8 as ``\\xff`` and an ESC as
    ``\\x1b``: escaped once, by ``display``, on the way out; never a ``repr``'s
    ``\\udcff``, never a raw ESC."""
    import subprocess

    from conftest import CLI, clean_env

    run = Runner(project)
    run("start", "--title", "T")
    run("checkpoint")
    branch = b"a..\xff\x1b".decode("utf-8", "surrogateescape")
    done = subprocess.run([str(CLI), "checkpoint", "restore", "--branch", branch, "default/1"],
                          cwd=project, env=clean_env(), capture_output=True)
    err = done.stderr.decode()
    assert done.returncode == 2 and "'a..\\xff\\x1b'" in err, err
    assert "udcff" not in err and "\x1b" not in err.replace("\\x1b", ""), err
    done = subprocess.run([str(CLI), "task", "add", "\x1b", "--bogus"], cwd=project,
                          env=clean_env(), capture_output=True)
    err = done.stderr.decode()
    assert done.returncode == 2 and "--bogus" in err and "\x1b" not in err, err


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                    max_size=12) | st.binary(max_size=8).map(
                        lambda b: b.decode("utf-8", "surrogateescape")).filter(
                        lambda t: "\0" not in t))
@example(text="caf\udce9")
@example(text="a\\x1b")
@example(text="new\nline\u202e")
def test_a_quoted_command_reads_the_same_through_display_and_pastes_back(text: str) -> None:
    """Seen with the one display rule: ``$'caf\\xe9'`` in an advised command became
    ``$'caf\\\\xe9'`` where the message goes through ``display``, and pasted, named another
    branch. ``shell_quote`` now writes octal escapes (``\\351``), which ``display`` leaves
    as they are: the command is the same printed either way, and bash reads it back
    as the text's bytes."""
    import os
    import subprocess

    from ai_protocols.lean import shell_quote

    command = shell_quote(text)
    assert display(command) == command
    out = subprocess.run(["bash", "-c", f"printf %s {command}"], capture_output=True).stdout
    assert out == os.fsencode(text)
