"""The CLI's results and messages, fourteenth review of issue 16 (docs/decisions.md,
"Issue 16, fourteenth round (the CLI)").

The installed console script runs as a subprocess in temporary git repositories, its
standard output a full device (``/dev/full``), a closed descriptor (``>&-``) or a pipe
whose reader is gone, as an agent or a shell gives it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env

# -- 1. Output that cannot be written, after the command's change was made ---------------

AGENT = "vm.g14.claude.1796000001"


def run_with_stdout(project: Path, how: str, *args: str, stdin: bytes = b"",
                    env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``ai-protocols ARGS`` with standard output ``how``: ``full`` (``/dev/full``),
    ``closed`` (``>&-``) or ``gone`` (a pipe whose reader has closed it)."""
    environment = clean_env(AI_AGENT_ID=AGENT, **(env or {}))
    if how == "closed":
        return subprocess.run(["sh", "-c", '"$@" >&-', "sh", str(CLI), *args], cwd=project,
                              env=environment, input=stdin, capture_output=True, timeout=60)
    if how == "full":
        with open("/dev/full", "wb") as full:
            return subprocess.run([str(CLI), *args], cwd=project, env=environment,
                                  input=stdin, stdout=full, stderr=subprocess.PIPE,
                                  timeout=60)
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([str(CLI), *args], cwd=project, env=environment, input=stdin,
                              stdout=write, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write)


def _session_text(project: Path) -> str:
    return (project / ".ai" / "session-context.d" / f"{AGENT}.org").read_text()


def _archives(project: Path) -> list[Path]:
    return sorted((project / ".ai" / "sessions").glob("*.org"))


def _checkpoints(project: Path) -> str:
    return subprocess.run(["git", "for-each-ref", "refs/ai-protocols/"], cwd=project,
                          capture_output=True, text=True, check=True).stdout


def _tasks(project: Path) -> str:
    return (project / ".ai" / "tasks.org").read_text() if \
        (project / ".ai" / "tasks.org").exists() else ""


#: Each writing command: its arguments, and how many times its change is found after it
#: ran once (it must be 1: made, once).
WRITES = {
    "log": (("log", "--progress", "written once"),
            lambda p: _session_text(p).count("written once")),
    "start": (("start", "--title", "begun once"),
              lambda p: _session_text(p).count("#+TITLE: Session: begun once")),
    "wrap-up": (("wrap-up", "wrapped once"), lambda p: len(_archives(p))),
    "abandon": (("abandon", "--reason", "abandoned once"), lambda p: len(_archives(p))),
    "pause": (("pause", "--note", "paused once"),
              lambda p: _session_text(p).count("pause: paused once")),
    "checkpoint": (("checkpoint", "--note", "taken once"),
                   lambda p: _checkpoints(p).count("\n")),
    "task add": (("task", "add", "added once"), lambda p: _tasks(p).count("added once")),
}


@pytest.fixture
def ready(project: Path, run: Runner) -> Path:
    """A project with a commit, a change to take, and (for every command but ``start``)
    this agent's session."""
    (project / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "a.txt"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "a"],
                   cwd=project, check=True)
    (project / "a.txt").write_text("b\n")
    return project


@pytest.mark.parametrize("how", ["full", "closed"])
@pytest.mark.parametrize("command", sorted(WRITES))
def test_output_lost_after_the_change_is_exit_16_never_nothing_changed(
        ready: Path, run: Runner, command: str, how: str) -> None:
    """Seen (fourteenth review, f11): ``log --progress X > /dev/full`` wrote the entry,
    then exited 9, "the file system refused ?: ...", whose documented meaning is
    "nothing was changed": an agent that ran it again doubled the entry. Output that
    cannot be written once the command was carried out is exit 16, on both paths
    (fast and click), its message naming standard output and saying not to run it
    again; the change is made once."""
    args, count = WRITES[command]
    if command != "start":
        run("start", "--title", "s", agent=AGENT)
    done = run_with_stdout(ready, how, *args)
    stderr = done.stderr.decode()
    assert done.returncode == 16, stderr
    assert "Error: standard output could not be written" in stderr
    assert "do not run it again" in stderr and "?" not in stderr.split("Error:")[1][:60]
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert count(ready) == 1


@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_reader_gone_after_the_change_is_141_and_the_change_made_once(
        ready: Path, run: Runner, command: str) -> None:
    """A pipe whose reader is gone: exit 141, quietly, as for ``| head`` (documented: the
    command's change is made), never 9."""
    args, count = WRITES[command]
    if command != "start":
        run("start", "--title", "s", agent=AGENT)
    done = run_with_stdout(ready, "gone", *args)
    assert done.returncode == 141, done.stderr.decode()
    assert b"Error" not in done.stderr and b"Traceback" not in done.stderr
    assert count(ready) == 1


@pytest.mark.parametrize("how", ["full", "closed"])
def test_a_hook_whose_output_is_lost_says_so(ready: Path, run: Runner, how: str) -> None:
    """Seen (f11): the SessionStart hook with a full standard output exited 1 with
    nothing on stderr. It exits 16 and says that its context was not written."""
    run("start", "--title", "s", agent=AGENT)
    payload = json.dumps({"session_id": "dddd-1", "cwd": str(ready),
                          "hook_event_name": "SessionStart", "source": "startup"})
    done = run_with_stdout(ready, how, "hook", "SessionStart", "--runtime", "claude",
                           stdin=payload.encode())
    assert done.returncode == 16, done.stderr.decode()
    assert b"Error: standard output could not be written" in done.stderr


def test_a_failure_keeps_its_own_code_with_lost_output(ready: Path, run: Runner) -> None:
    """A command that failed (nothing changed) keeps its code when its output is lost
    too: exit 16 only says "done"."""
    done = run_with_stdout(ready, "full", "log", "--progress", "x")
    assert done.returncode == 3, done.stderr.decode()
    assert b"standard output" not in done.stderr


# -- 4, 6. One reading of every text option, on both paths; '@' alone --------------------


def _note_of(taken: subprocess.CompletedProcess[str]) -> str:
    """The note ``checkpoint`` printed on its first line, ``Checkpoint N HASH: ... (NOTE)``."""
    first = taken.stdout.splitlines()[0]
    return first[first.index("(") + 1:-1]


@pytest.fixture
def changing(ready: Path, run: Runner) -> Path:
    run("start", "--title", "s")
    return ready


@pytest.mark.parametrize("tail", [(), ("--",)], ids=["fast", "click"])
def test_checkpoint_note_reads_as_every_text_option(changing: Path, run: Runner,
                                                    tail: tuple[str, ...]) -> None:
    """Seen (fourteenth review, f5): ``checkpoint --note=-`` stored ``-`` (the fast path's
    own parser), ``checkpoint --note=- --`` read standard input (click): which one ran
    depended on an unrelated ``--``. One rule (``text_of``), both paths: ``--note=TEXT``
    is the text as it is; ``--note -`` standard input; ``--note @FILE`` the file;
    ``--note @`` (no file name) the text ``@``."""
    (changing / "n.txt").write_text("from the file\n")
    for args, stdin, note in (
            (("--note=-",), "typed on stdin", "-"),
            (("--note=@n.txt",), "", "@n.txt"),
            (("--note", "-"), "typed on stdin", "typed on stdin"),
            (("--note", "@n.txt"), "", "from the file"),
            (("--note", "@"), "", "@"),
            (("--note=@",), "", "@")):
        (changing / "a.txt").write_text(f"{args} {tail}\n")
        taken = subprocess.run([str(CLI), "checkpoint", *args, *tail], cwd=changing,
                               env=clean_env(), input=stdin, capture_output=True,
                               text=True, timeout=60)
        assert taken.returncode == 0, taken.stderr
        assert _note_of(taken) == note, (args, tail, taken.stdout)


@pytest.mark.parametrize(("args", "option"), [
    (("checkpoint", "--note", "@no-such-file"), "--note"),
    (("checkpoint", "--note", "@no-such-file", "--"), "--note"),
    (("pause", "--note", "@no-such-file"), "--note"),
    (("abandon", "--reason", "@no-such-file"), "--reason"),
    (("log", "--progress", "@no-such-file"), "--progress"),
    (("log", "--progress", "@no-such-file", "--"), "--progress"),
])
def test_a_file_that_cannot_be_read_names_the_option_as_typed(
        changing: Path, run: Runner, args: tuple[str, ...], option: str) -> None:
    """6: every ``@FILE`` that cannot be read: exit 4, the option as typed first, the
    file named, and the ``=`` form that gives the text itself; nothing changed."""
    path = changing / ".ai" / "session-context.org"
    before = path.read_bytes()
    done = run(*args, check=False)
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"Error: {option} '@no-such-file' cannot be used: the file "
                                  "'no-such-file' cannot be read"), done.stderr
    assert f"write {option}=@" in done.stderr
    assert path.read_bytes() == before


_NOTE = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1,
                max_size=20)


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=_NOTE)
@example(note="-")
@example(note="@")
def test_note_with_equals_is_the_text_on_both_paths(changing: Path, note: str) -> None:
    """``--note=TEXT`` is TEXT, whatever it is, on the fast path and on click's."""
    for tail in ((), ("--",)):
        (changing / "a.txt").write_text(f"{note!r} {tail}\n")
        taken = subprocess.run([str(CLI), "checkpoint", f"--note={note}", *tail],
                               cwd=changing, env=clean_env(), capture_output=True,
                               text=True, timeout=60, input="")
        assert taken.returncode == 0, taken.stderr
        assert _note_of(taken) == note, (note, tail, taken.stdout)


# -- 5. The UserPromptSubmit hook's pre-check is never wrong ------------------------------


def _payload(cwd: Path, prompt: str, form: str) -> bytes:
    """A UserPromptSubmit payload asking ``prompt``, in ``form``: ``plain`` JSON in UTF-8,
    ``escaped`` (every letter as a ``\\uXXXX`` escape), ``ascii`` (``json.dumps``'s
    default: non-ASCII escaped), or UTF-16 / UTF-32 (which JSON allows)."""
    data = {"session_id": "11111111-2222-3333-4444-555555555555", "cwd": str(cwd),
            "hook_event_name": "UserPromptSubmit", "prompt": prompt}
    if form == "escaped":
        text = json.dumps({**data, "prompt": "@@"}, ensure_ascii=False)
        escaped = "".join(f"\\u{ord(c):04x}" if c.isalpha() and ord(c) < 0x10000 else
                          json.dumps(c)[1:-1] for c in prompt)
        return text.replace('"@@"', f'"{escaped}"').encode()
    if form == "ascii":
        return json.dumps(data).encode()
    text = json.dumps(data, ensure_ascii=False)
    return text.encode({"plain": "utf-8", "utf16": "utf-16", "utf16le": "utf-16-le",
                        "utf32": "utf-32"}[form])


def _hook_context(cwd: Path, payload: bytes) -> str:
    done = subprocess.run([str(CLI), "hook", "UserPromptSubmit", "--runtime", "claude"],
                          cwd=cwd, env=clean_env(), input=payload, capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


FORMS = ["plain", "escaped", "ascii", "utf16", "utf16le", "utf32"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("prompt", ["continue", "\u212aeep going", "Please carry on"])
def test_a_prompt_to_continue_gets_its_context_in_every_form(
        changing: Path, prompt: str, form: str) -> None:
    """Seen (fourteenth review, f6): the import-free pre-check searched the payload's raw
    bytes for the phrases, so ``"\\u0063ontinue"`` or a UTF-16 payload (which every other
    hook reads) got no context. It is read whole when its bytes may not show its letters
    (an escape, a NUL, U+212A KELVIN SIGN, whose lower case is ``k``)."""
    context = _hook_context(changing, _payload(changing, prompt, form))
    assert context == _hook_context(changing, _payload(changing, "continue", "plain"))
    assert context


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.sampled_from(["continue", "go on", "keep going", "what's next", "hello",
                               "fix the bug"]).flatmap(
    lambda words: st.builds(lambda case, extra: "".join(
        c.upper() if up else c for c, up in zip(words, case, strict=False)) + extra,
        st.lists(st.booleans(), min_size=len(words), max_size=len(words)),
        st.sampled_from(["", ".", " now", " \u00e9t\u00e9"]))),
       form=st.sampled_from(FORMS))
def test_the_pre_check_agrees_with_the_full_read(changing: Path, prompt: str,
                                                 form: str) -> None:
    """Whatever the prompt and the payload's form: context exactly when the prompt asks
    to continue, as the plain form says."""
    from ai_protocols.integrations.hooks import asks_to_continue

    context = _hook_context(changing, _payload(changing, prompt, form))
    assert bool(context) is asks_to_continue(prompt), (prompt, form)


# -- 2, 3. list reads an open file as status does; the archive row from the whole file ---


def _preamble(path: Path, size: int = 80_000) -> None:
    """A person's own headline, ``size`` bytes of notes, put before the session headline
    (the docs allow a person's headlines anywhere)."""
    text = path.read_text()
    at = text.index("* Session:")
    notes = "".join(f"note {n} " + "y" * 70 + "\n" for n in range(size // 80))
    path.write_text(text[:at] + "* My notes\n" + notes + text[at:])


def _list_json(run: Runner, *args: str) -> list[dict[str, object]]:
    return json.loads(run("list", "--json", *args, agent=AGENT).stdout)


def test_list_finds_the_session_headline_below_a_persons_long_headline(
        project: Path, run: Runner) -> None:
    """Seen (fourteenth review, f1): a person's headline over 64 KiB before the session
    headline: ``show`` and ``status`` read the session, ``list`` gave ``? open
    unknown``, ``list --agent ID`` dropped it, and after ``wrap-up`` the archive's row
    had title, description, status and started null for good."""
    run("start", "--title", "Big preamble", agent=AGENT)
    path = Path(run("path", agent=AGENT).stdout.strip())
    _preamble(path)
    (row,) = _list_json(run)
    assert (row["title"], row["state"], row["agent_id"]) == ("Big preamble", "live", AGENT)
    assert [r["title"] for r in _list_json(run, "--agent", AGENT)] == ["Big preamble"]
    run("wrap-up", "wrapped big", agent=AGENT)
    for _ in range(2):  # (read, then from the index)
        (row,) = _list_json(run, "--agent", AGENT)
        assert (row["kind"], row["title"], row["description"], row["status"]) == \
            ("archived", "Big preamble", "wrapped big", "wrapped-up")
        assert row["started"] is not None


def test_rows_an_older_index_cached_wrong_are_read_again(project: Path, run: Runner) -> None:
    """The rows older versions cached with null fields (f1) are read again: the index's
    format number went up, so an index of an older version is not used."""
    run("start", "--title", "Big preamble", agent=AGENT)
    _preamble(Path(run("path", agent=AGENT).stdout.strip()))
    run("wrap-up", "wrapped big", agent=AGENT)
    run("list", agent=AGENT)
    index = project / ".ai" / ".locks" / "sessions.index"
    text = index.read_text()
    magic = text.split(" {", 1)[0]
    assert magic.startswith("ai-protocols sessions index ")
    older = f"ai-protocols sessions index {int(magic.rsplit(' ', 1)[1]) - 1}"
    wrong = text.replace(magic, older, 1).replace('"Big preamble"', "null") \
        .replace('"wrapped big"', "null")
    index.write_text(wrong)
    (row,) = _list_json(run)
    assert (row["title"], row["description"]) == ("Big preamble", "wrapped big")


def _conflict(path: Path) -> None:
    text = path.read_text()
    mark = ":CUSTOM_ID: progress\n:END:\n"
    path.write_text(text.replace(mark, mark + "<<<<<<< HEAD\n- [ ] ours\n=======\n"
                                 "- [ ] theirs\n>>>>>>> other\n", 1))


MUTATIONS = {
    "conflict markers below the head": _conflict,
    "a byte that is not UTF-8 below the head":
        lambda p: p.write_bytes(p.read_bytes() + b"- [2026-12-01 Tue 03:30] bad \xff\n"),
    "empty": lambda p: p.write_bytes(b""),
    "no session headline": lambda p: p.write_text("* notes\nonly a person's text\n"),
    "UTF-16": lambda p: p.write_bytes(p.read_text().encode("utf-16")),
    "a long preamble": _preamble,
    "as written": lambda p: None,
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_list_gives_an_open_files_state_as_status_says_it(
        project: Path, run: Runner, mutation: str) -> None:
    """Seen (fourteenth review, f10): merge-conflict markers below the head, or a byte that
    is not UTF-8: ``status`` said ``unknown`` (every write exits 6), ``list`` said
    ``live``. One reading for both (``Project._read``), so the same state, whatever
    the file holds."""
    run("start", "--title", "t", agent=AGENT)
    run("log", "--summary", "s", "--progress", "p", agent=AGENT)
    path = Path(run("path", agent=AGENT).stdout.strip())
    MUTATIONS[mutation](path)
    status = {r["path"]: r["state"]
              for r in json.loads(run("status", "--json", agent=AGENT).stdout)}
    listed = {r["path"]: r["state"] for r in _list_json(run)}
    assert listed == status, (listed, status)
    assert status[str(path)] == ("live" if mutation in ("as written", "a long preamble")
                                 else "unknown")
