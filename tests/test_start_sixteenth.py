"""``start``, ``resume``, ``status`` and the hooks: what they import and when git runs
(issue 16, sixteenth round; docs/decisions.md "Issue 16, sixteenth round (start, resume
and the hooks beside many sessions)").

- A text of the characters :func:`shlex.quote` leaves as they are is its own quoting
  (:data:`ai_protocols.lean.SHELL_SAFE`): naming other agents' sessions imports neither
  ``shlex`` nor ``re``; every other text is quoted as before.
- ``status --json`` tells its own row's "another agent's session here" by a string
  compare (:func:`ai_protocols.session.names.may_be_misplaced`), without importing
  ``session.resume``; the warning itself is unchanged.
- The resume context waits for git only where its state is needed: the output is the
  same, git's state that of the work tree as it is.

No timing is asserted.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_fast_path import imported

from ai_protocols.lean import SHELL_SAFE, display, shell_quote
from ai_protocols.session.names import may_be_misplaced

from conftest import Runner

ME = "h.p.claude.1764000000"
#: Text near the edge of what is safe: the safe characters, and those next to them.
EDGY = st.text(st.sampled_from([*sorted(SHELL_SAFE), "'", '"', " ", "$", "\\", "\n", "~",
                                "\u202e", "é", "\udc80"]), max_size=12)


@given(st.one_of(EDGY, st.text(max_size=12)))
def test_shell_quote_is_shlex_quote_whenever_nothing_needs_escaping(text: str) -> None:
    quoted, reference = shell_quote(text), shlex.quote(text)
    if display(reference) == reference:
        assert quoted == reference
    else:  # (a character a terminal does not show as itself: $'...', issue 14)
        assert quoted.startswith("$'") and quoted.endswith("'")
    if text and SHELL_SAFE.issuperset(text):
        assert quoted == text  # (the fast path's answer, shlex's too)


@given(st.one_of(st.none(), st.sampled_from([ME, "other", ""])), st.sampled_from([
    f"/p/.ai/session-context.d/{ME}.org", "/p/.ai/session-context.org",
    "/p/.ai/session-context.d/other.org"]), st.one_of(st.none(), st.sampled_from(
        [ME, "other", ""])))
def test_may_be_misplaced_is_the_first_test_of_misplaced_of(own: str | None, path: str,
                                                            agent: str | None) -> None:
    # misplaced_of's test as it was written there (a file holding no id, or this agent's
    # id in its own file, holds no other agent's session)
    before = not (not agent or (own == agent and
                                not path.endswith("/.ai/session-context.org")))
    assert may_be_misplaced(own, path, agent) is before


def _crashed(run: Runner, *agents: str) -> None:
    """Other agents' sessions whose agents are gone (each started by a process that
    ended), then this agent's."""
    for agent in agents:
        run("start", "--title", f"work of {agent}", agent=agent, as_another_agent=True)
    run("start", "--title", "mine", agent=ME)


def test_start_names_plain_ids_without_importing_shlex_or_re(project: Path,
                                                             run: Runner) -> None:
    others = ["h.p.claude.1700000001", "h.p.claude.1700000002"]
    _crashed(run, *others)
    out = run("start", agent=ME).stdout
    for other in others:
        assert f"take it over: ai-protocols recover {other} --adopt" in out
        assert f"archive it: ai-protocols recover {other} --archive" in out
    assert {"shlex", "re"} & imported(project, "start", AI_AGENT_ID=ME) == set()
    resumed = run("resume", agent=ME).stdout
    assert f"or archive it: ai-protocols recover {others[0]} --archive" in resumed


def test_start_and_resume_quote_an_id_as_shlex_does(project: Path, run: Runner) -> None:
    odd = "h.p.claude.it's$1700000003"
    _crashed(run, odd)
    out = run("start", agent=ME).stdout
    assert f"take it over: ai-protocols recover {shlex.quote(odd)} --adopt" in out
    resumed = run("resume", agent=ME).stdout
    assert f"or archive it: ai-protocols recover {shlex.quote(odd)} --archive" in resumed
    assert "shlex" in imported(project, "start", AI_AGENT_ID=ME)  # (the probe sees it)


def test_status_json_tells_its_own_row_without_the_resume_module(project: Path,
                                                                run: Runner) -> None:
    _crashed(run, "h.p.claude.1700000004")
    rows = json.loads(run("status", "--json", agent=ME).stdout)
    mine = [row for row in rows if row.get("agent_id") == ME]
    assert len(mine) == 1 and mine[0]["state"] == "live"
    assert "ai_protocols.session.resume" not in imported(project, "status", "--json",
                                                         AI_AGENT_ID=ME)


def test_status_still_warns_of_another_agents_own_session_in_this_agents_file(
        project: Path, run: Runner) -> None:
    other = "h.p.claude.1700000005"
    _crashed(run, other)
    folder = project / ".ai" / "session-context.d"
    (folder / f"{ME}.org").write_bytes((folder / f"{other}.org").read_bytes())
    warned = [line for line in run("status", agent=ME).stdout.splitlines()
              if line.strip().startswith("warning:")]
    assert any(other in line for line in warned), warned
    assert "ai_protocols.session.resume" in imported(project, "status", "--json",
                                                     AI_AGENT_ID=ME)  # (then it asks)


def test_resume_shows_the_work_tree_as_git_sees_it_after_reading_the_others(
        project: Path, run: Runner) -> None:
    _crashed(run, "h.p.claude.1700000006")
    (project / "changed.txt").write_text("new\n")
    text = run("resume", agent=ME).stdout
    data = json.loads(run("resume", "--json", agent=ME).stdout)
    assert "changed.txt" in text and "changed.txt" in json.dumps(data["git"])
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert "changed.txt" in status
