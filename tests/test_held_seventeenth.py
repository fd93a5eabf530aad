"""Issue 16, seventeenth round: the searches a write into a big held file makes through
its text (``lean.holds``: each character of the needle by ``memchr`` first, then the
first places of its first character, then ``str.rfind``) answer as ``str.find`` does,
for any text, needle and bounds; and a write into a file held past the bound by open
items and a person's text still finds the closed item or the link among them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI, clean_env

# (a small alphabet, so that needles are often found, and often found only in part)
TEXTS = st.text(alphabet="[]Xx<#+\n a", max_size=400)
NEEDLES = st.sampled_from(["[X]", "[x]", "[[", "<<<", "#+", "\n[fn:", "a", "", "\n*", "Xa"])
BOUNDS = st.one_of(st.none(), st.integers(min_value=-450, max_value=450))


@settings(max_examples=3000)
@given(TEXTS, NEEDLES, st.integers(min_value=-450, max_value=450), BOUNDS)
def test_holds_is_find(text: str, needle: str, lo: int, hi: int | None) -> None:
    """``holds(text, needle, lo, hi)`` is ``text.find(needle, lo, hi) != -1``."""
    from ai_protocols.lean import holds

    if hi is None:
        assert holds(text, needle, lo) == (text.find(needle, lo) != -1)
    else:
        assert holds(text, needle, lo, hi) == (text.find(needle, lo, hi) != -1)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=600), st.sampled_from(["[X]", "[x]", "[["]),
       st.booleans())
def test_holds_past_the_first_places(count: int, needle: str, tail: bool) -> None:
    """Past :data:`~ai_protocols.lean.LOOKS` places of the needle's first character (a
    section of open items: ``[`` on every line), the needle is still found, at the end
    or not at all."""
    from ai_protocols.lean import holds

    text = "- [ ] [2026-11-30 Mon 10:00] step xX\n" * count + (f"- {needle}\n" if tail else "")
    assert holds(text, needle) == (needle in text)
    assert holds(text, needle, 0, len(text) - 1) == (needle in text[:-1])


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=clean_env())


def test_a_held_file_is_told_by_what_it_holds(tmp_path: Path) -> None:
    """A 5 MB session of open Next steps (``[`` and ``x`` on every line, no ``X``) is
    held: the write warns and moves nothing; one closed item at the end of its
    Progress section of open items is found, and moves."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _run(["start", "--title", "held"], tmp_path).returncode == 0
    context = tmp_path / ".ai" / "session-context.org"
    items = "".join(f"- [ ] [2026-11-30 Mon {k // 60 % 24:02d}:{k % 60:02d}] next step {k} "
                    f"of a usual length for a next step item\n" for k in range(55_000))
    text = context.read_text()
    marker = ":CUSTOM_ID: next-steps\n:END:\n"
    context.write_text(text.replace(marker, marker + items, 1))
    logged = _run(["log", "--progress", "x"], tmp_path)
    assert logged.returncode == 0, logged.stderr
    assert "no rollover moves what holds it there (Next steps" in logged.stderr
    assert not (tmp_path / ".ai" / "history").exists()
    written = context.read_text()
    assert written.replace("- [X] [", "", 1).count("- [X] [") == 0  # (only the new one)
    # One closed item among open ones, 1 MiB of closed items after them: moved.
    closed = "".join(f"- [X] [2026-11-29 Sun {k // 60 % 24:02d}:{k % 60:02d}] done {k} "
                     f"{'with care ' * 8}\n" for k in range(12_000))
    marker = ":CUSTOM_ID: progress\n:END:\n"
    context.write_text(written.replace(marker, marker + items[:200_000] + closed, 1))
    logged = _run(["log", "--progress", "y"], tmp_path)
    assert logged.returncode == 0, logged.stderr
    assert any((tmp_path / ".ai" / "history").rglob("*.org"))


LINK_PARTS = st.lists(st.sampled_from(
    ["", " ", "\t", "-", "+", "1.", " [[", "[[", "[[file:", "[[FILE:", "[[File:", "file:",
     "history/2026-11-30T0905--2026-11-30T1240-0123abcd.org", "x.org", "::*h", "][", "]]",
     "earlier entries", " from 2026-11-30 09:05 to 2026-11-30 12:40, 3 entries", "- "]),
    max_size=8)


@settings(max_examples=3000)
@given(LINK_PARTS)
def test_every_earlier_link_line_holds_what_is_searched_for(parts: list[str]) -> None:
    """``earlier_links`` looks only at the lines holding ``layout._EARLIER_ITEM``: every
    line its test (``_earlier_link_on``) takes holds it, so none is passed over."""
    from ai_protocols.session.layout import (
        _EARLIER_ITEM,
        _earlier_link_on,
        earlier_link_line,
    )

    line = "".join(parts)
    if _earlier_link_on(line) is not None:
        assert _EARLIER_ITEM in line
    own = "  " * len(parts) + earlier_link_line(
        "history/2026-11-30T0905--2026-11-30T1240-0123abcd.org", None, None, len(parts))
    assert _earlier_link_on(own) is not None and _EARLIER_ITEM in own
