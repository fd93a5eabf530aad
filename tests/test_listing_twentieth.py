"""The listing of session files, the lock files' paths and the boot id, made cheaper
for thousands of other agents' session files (issue 16, twentieth round,
docs/performance.md): each held to the rule it replaced, and ``resume`` beside other
files of every kind of name counting only the session files.

``session_files`` makes the folder's part of every path once (``join(folder, "")``) and
filters the names before sorting them; ``lock_path`` spells ``os.path.join``'s answer
as one f-string; ``boot_id`` keeps its judged answer. No timing is asserted.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_protocols.liveness import clock
from ai_protocols.paths import clean_path, join, relative_to
from ai_protocols.session.names import is_session_file_name, session_files, tombstone_path
from ai_protocols.session.resume import DEFAULT_MAX_BYTES, others_to_read
from ai_protocols.storage.files import LOCK_DIR, lock_path

from conftest import Runner

#: Names as a folder of session files holds them: sessions, Emacs's lock, auto-save
#: and backup files, hidden files, other files, and odd characters.
NAMES = st.lists(st.one_of(
    st.sampled_from(["a.org", ".#a.org", "#a.org#", "a.org~", ".hidden.org", "b.txt",
                     "h.p.claude.1.org", "é.org", " .org", "z.org"]),
    st.text(alphabet="ab.#~ é-_", min_size=1, max_size=10)),
    max_size=12).map(lambda names: sorted({n for n in names if n not in (".", "..")}))


def _old_session_files(folder: str) -> list[str]:
    """``session_files`` as it was before the twentieth round: the rule it must keep."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [join(folder, name) for name in sorted(names) if is_session_file_name(name)]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=NAMES, spelling=st.sampled_from(["absolute", "slash", "relative", "dot"]))
def test_session_files_are_the_rules_paths(tmp_path_factory, names: list[str],
                                          spelling: str) -> None:
    """Every spelling of the folder (absolute, with a final slash, relative, ``.``):
    the same paths, in the same order, as joining each session name to the folder."""
    root = tmp_path_factory.mktemp("names")
    folder = root / "session-context.d"
    folder.mkdir()
    for name in names:
        (folder / name).write_text("x")
    cwd = os.getcwd()
    try:
        if spelling in ("relative", "dot"):
            os.chdir(root if spelling == "relative" else folder)
        given_as = {"absolute": str(folder), "slash": f"{folder}/",
                    "relative": "session-context.d", "dot": "."}[spelling]
        got = session_files(given_as)
        assert got == _old_session_files(given_as)
        assert [os.path.basename(p) for p in got] == \
            sorted(n for n in names if n.endswith(".org") and not n.startswith((".", "#")))
    finally:
        os.chdir(cwd)


_PART = st.text(alphabet="ab.é -", min_size=1, max_size=6).filter(
    lambda part: part not in (".", ".."))


@given(ai_dir=st.sampled_from(["/p/.ai", "/p/.ai/", "/", ".", "rel/.ai", ".ai"]),
       parts=st.lists(_PART, min_size=1, max_size=3))
def test_lock_paths_are_os_path_joins(ai_dir: str, parts: list[str]) -> None:
    """A lock file's path (and so a tombstone's) is ``os.path.join(AI_DIR, .locks,
    RELATIVE.lock)``, whatever the folder's spelling."""
    target = os.path.join(ai_dir, *parts) if ai_dir != "." else os.path.join(*parts)
    target = clean_path(target)
    base = clean_path(ai_dir) if not ai_dir.endswith("/") or ai_dir == "/" else ai_dir
    want = os.path.join(base, LOCK_DIR, f"{relative_to(target, clean_path(ai_dir))}.lock")
    assert lock_path(base, target) == want
    assert tombstone_path(base, target) == want[:-len(".lock")] + ".gone"


def test_the_boot_id_is_the_systems_every_time() -> None:
    """Asked again and again, the boot id is what ``/proc`` says (its first 8 hexadecimal
    digits), or ``None`` where there is none: the answer kept is the judged one."""
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
            want = handle.read().decode("ascii").strip().replace("-", "")[:8].lower()
    except OSError:
        want = None
    want = want if want is not None and re.fullmatch(r"[0-9a-f]{8}", want) else None
    assert [clock.boot_id() for _ in range(3)] == [want] * 3


def test_resume_counts_only_session_files_beside_others(repo: Path, run: Runner) -> None:
    """Beside more other session files than it reads, and files of Emacs's and other
    names in the same folder: ``resume`` counts as left out the session files it does
    not show, and none of the others (the listing's filter, now before the sort)."""
    me, base = "h.p.claude.1764000000", "h.p.claude.1700000000"
    run("start", "--title", "base", agent=base, as_another_agent=True)
    run("start", "--title", "me", agent=me)
    folder = repo / ".ai" / "session-context.d"
    text = (folder / f"{base}.org").read_text()
    (folder / f"{base}.org").unlink()
    count = others_to_read(DEFAULT_MAX_BYTES) + 9
    for i in range(count):
        agent = f"h.p.claude.{1700000001 + i}"
        path = folder / f"{agent}.org"
        path.write_text(re.sub(r"(?m)^:AGENT_ID: .*$", f":AGENT_ID: {agent}", text))
        os.utime(path, ns=(10**18 + i * 10**9,) * 2)
    for name in (".#x.org", "#x.org#", "x.org~", ".x.org", "x.txt"):
        (folder / name).write_text(text)
        os.utime(folder / name, ns=(2 * 10**18,) * 2)  # (newer than every session file)
    out = run("resume", agent=me).stdout
    shown = re.findall(r"(?m)^  - (h\.p\.claude\.\d+): crashed", out)
    assert shown and all(agent != me for agent in shown)
    left = re.search(r"oldest first: .*?(\d+) sessions? of other agents", out)
    assert left is not None and int(left.group(1)) == count - len(shown)
    assert shown == [f"h.p.claude.{1700000001 + i}"
                     for i in range(count - 1, count - 1 - len(shown), -1)]
