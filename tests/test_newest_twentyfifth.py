"""Issue 16, twenty-fifth round: ``Project.newest_others`` picks the newest of many other
session files without a tuple per file or a sort of every path.

The old rule (kept here as the reference): every other file's path in the order of
``session_paths`` (the one-agent file first, the folder's files sorted), each with its
``lstat``'s ``st_mtime_ns`` (``-1``: not there), ``sorted(zip(times, paths),
reverse=True)``, the first ``most`` kept in the order of the paths, the rest counted when
their time is not below 0. ``_newest`` must keep the same paths in the same order and
count the same, whatever the times (ties, files not there, times before 1970); and the
commands must say with it what they say with the old rule.
"""

from __future__ import annotations

import difflib
import os
import shutil
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_others_twentyfourth import COMMANDS, FULL, _project, _run

from ai_protocols.storage.files import RACY_NS

#: The commands with the old rule of the order in place of ``_newest``.
OLD = FULL.replace("from ai_protocols.cli.main import main\n", (
    "def _old(paths, most, lead):\n"
    "    ordered = ([lead] if paths[0] == lead else []) + sorted(p for p in paths "
    "if p != lead)\n"
    "    order = sorted(zip(project._mtimes(ordered), ordered, strict=True), reverse=True)\n"
    "    newest = {path for _, path in order[:most]}\n"
    "    unread = sum(1 for when, _ in order[most:] if when >= 0)\n"
    "    return [path for path in ordered if path in newest], unread\n"
    "project._newest = _old\n"
    "from ai_protocols.cli.main import main\n"))


def _old_rule(paths: list[str], most: int, lead: str) -> tuple[list[str], int]:
    """The order of the twenty-fourth round, on ``paths`` in any order."""
    ordered = ([lead] if lead in paths else []) + sorted(p for p in paths if p != lead)
    times = []
    for path in ordered:
        try:
            times.append(os.lstat(path).st_mtime_ns)
        except OSError:
            times.append(-1)
    order = sorted(zip(times, ordered, strict=True), reverse=True)
    newest = {path for _, path in order[:most]}
    unread = sum(1 for when, _ in order[most:] if when >= 0)
    return [path for path in ordered if path in newest], unread


#: A few times, so that ties are common; some before 1970 (below 0).
TIMES = st.sampled_from([-3 * 10**9, -1, 0, 5, 10**9, 10**9 + 1, 2 * 10**18])


@settings(max_examples=150, deadline=None)
@given(files=st.dictionaries(st.text("abcx.-", min_size=1, max_size=4).map(
           lambda name: f"f{name}.org"), st.none() | TIMES, min_size=2, max_size=12),
       one=st.none() | TIMES, most=st.integers(1, 12), data=st.data())
def test_the_newest_are_those_of_the_old_rule(tmp_path_factory, files: dict[str, int | None],
                                              one: int | None, most: int, data) -> None:
    """``_newest`` keeps the paths the old rule keeps, in its order, and counts the same
    rest, the listing in any order, for files with equal times, before 1970, not there
    (``None``), and the one-agent file there or not, kept or not."""
    from ai_protocols.session.project import _newest

    root = tmp_path_factory.mktemp("newest")
    folder = root / "d"
    folder.mkdir()
    lead = str(root / "session-context.org")
    for name, when in {**{k: v for k, v in files.items()}, "": one}.items():
        path = root / "session-context.org" if name == "" else folder / name
        if when is not None:
            path.write_text(name)
            os.utime(path, ns=(when, when))
    listed = data.draw(st.permutations([str(folder / name) for name in files]))
    paths = [lead, *listed]
    if most >= len(paths):
        most = len(paths) - 1
    assert _newest(list(paths), most, lead) == _old_rule(paths, most, lead)
    # (the one-agent file being this agent's own: not among the paths)
    if most < len(listed):
        assert _newest(list(listed), most, lead) == _old_rule(listed, most, lead)


def test_beside_many_others_the_new_order_says_what_the_old_one_says(tmp_path: Path
                                                                       ) -> None:
    """Beside 90 other agents' files of every kind (some with equal times: the tie by
    path), the one-agent file among the newest, each command says with ``_newest`` what
    it says with the old rule of the order, run after run (the heads' record filled)."""
    new, old = tmp_path / "new", tmp_path / "old"
    new.mkdir()
    _project(new, 90, False)
    one = new / ".ai/session-context.org"
    later = time.time() + 3600
    os.utime(one, (later, later))  # (the newest: kept, and shown first among its peers)
    shutil.copytree(new, old, symlinks=True)
    time.sleep(RACY_NS / 1e9 + 0.1)
    for _ in range(2):
        for args, stdin in COMMANDS:
            said = _run(new, args, None, stdin)
            wanted = _run(old, args, OLD, stdin)
            assert said == wanted, (args, said[0], wanted[0], said[2], wanted[2], "".join(
                difflib.unified_diff(wanted[1].splitlines(True), said[1].splitlines(True))))
            assert said[0] == 0, said
    assert "host.proj.codex.1700009999" in _run(new, ("resume",), None, None)[1]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", ".", "#", "a", "/", ".org", "org", "~", "\n",
                                           "b.org"]), max_size=4).map("".join), max_size=24))
def test_the_listing_rule_by_text_is_the_comprehension(names: list[str]) -> None:
    """:func:`session_file_names` asked of the names joined by ``/`` keeps what the rule
    keeps, in order, for names made of the characters the rule and the join look at
    (``.`` and ``#`` first, ``.org`` last, a ``/`` in a name, repeated names, many left
    out), and leaves the list given as it was."""
    from ai_protocols.session.names import session_file_names

    given_names = list(names)
    rule = [n for n in names if n.endswith(".org") and not n.startswith((".", "#"))]
    assert session_file_names(names) == rule
    assert names == given_names
    hidden = [".gitkeep", *names, "#x.org#", ".#y.org", "#z.org"]  # (a folder's few, kept out)
    assert session_file_names(hidden) == rule


def test_the_one_agent_session_alone_and_beside_others(tmp_path: Path) -> None:
    """The one-agent session (no agent id: ``.ai/session-context.org``) is the reader's
    own: taken out of the others, nothing is left when the folder holds no other file,
    and ``resume``, ``start`` and ``status`` say so (no other agent's session); beside
    one other agent's file, that one is shown (its owner gone: crashed)."""
    import subprocess

    from conftest import Runner

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    run = Runner(tmp_path)
    run("init")
    run("start", "--title", "Alone")
    assert (tmp_path / ".ai/session-context.org").exists()
    for args in (("resume",), ("start",), ("status",), ("resume", "--json")):
        done = run(*args)
        assert "Traceback" not in done.stderr, done.stderr
        assert "host.proj.claude.1700000000" not in done.stdout
    other = tmp_path / ".ai/session-context.d/host.proj.claude.1700000000.org"
    other.parent.mkdir(exist_ok=True)
    text = (tmp_path / ".ai/session-context.org").read_text()
    text = text.replace(":HOST:", ":AGENT_ID: host.proj.claude.1700000000\n:HOST:", 1)
    import re

    other.write_text(re.sub(r"(?m)^(:OWNER: +pid )\d+", r"\g<1>999999", text))
    shown = run("resume").stdout
    assert "host.proj.claude.1700000000: crashed" in shown, shown
