"""Numbers are ``[0-9]+`` everywhere the tool reads one (Org's syntax, git's refs, its
own records, the environment): one rule, ``lean.digits``. ``str.isdigit`` also takes
``²``, on which ``int`` raised (a PreCompact hook on a file whose ``COMPACTIONS`` a person
typed as ``²`` died with a traceback), and ``٣``, which ``int`` reads as 3."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import CLI, Runner, clean_env


@given(st.text(st.characters(codec="utf-8"), max_size=12) |
       st.text(st.sampled_from("0123456789\u00b2\u00b3\u00b9\u0663\u0664\u07c1\u0966\u0967"
                               "\U0001d7d9"), max_size=6))
def test_digits_is_ascii_digits_and_nothing_else(text: str) -> None:
    from ai_protocols.lean import digits

    assert digits(text) == bool(re.fullmatch(r"[0-9]+", text, re.ASCII))


def _drawer_value(path: Path, key: str, value: str) -> None:
    """Set ``key`` in the session headline's drawer to ``value``, as a person types it."""
    text = path.read_text(encoding="utf-8")
    head, end, rest = text.partition("\n:END:\n")
    head = re.sub(rf"(?m)^:{key}:.*\n?", "", head)
    path.write_text(f"{head}\n:{key}: {value}{end}{rest}", encoding="utf-8")


def test_a_compaction_count_typed_with_other_digits_counts_from_one(
        project: Path, run: Runner) -> None:
    run("start", "--title", "digits", agent="a.1")
    path = Path(run("path", agent="a.1").stdout.strip())
    _drawer_value(path, "COMPACTIONS", "²")
    payload = {"session_id": "s1", "hook_event_name": "PreCompact", "trigger": "auto",
               "cwd": str(project)}
    done = subprocess.run([str(CLI), "hook", "PreCompact", "--runtime", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=project, env=clean_env(AI_AGENT_ID="a.1"), timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    assert re.search(r"(?m)^:COMPACTIONS: +1$", path.read_text(encoding="utf-8"))


def test_a_spawner_pid_of_other_digits_is_no_spawner(project: Path, run: Runner) -> None:
    done = subprocess.run([str(CLI), "start", "--title", "spawned"], capture_output=True,
                          text=True, cwd=project, timeout=60,
                          env=clean_env(AI_AGENT_ID="a.1", AI_SPAWNER_PID="²"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    shown = json.loads(run("show", "--json", agent="a.1").stdout)
    assert shown["title"] == "spawned"
