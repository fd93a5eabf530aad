"""The library's exceptions: facts as fields, documented exit codes, picklable."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import ai_protocols
from ai_protocols import errors as _errors

EXAMPLES = [
    _errors.NoSession(Path("/p/s.org")),
    _errors.NoProject(Path("/p")),
    _errors.InvalidAgentId("a/b", "it holds a '/'"),
    _errors.InvalidText("title", "x", "it is empty"),
    _errors.InvalidProjectRoot("/nope", "it is not a directory"),
    _errors.InvalidConfigFile(Path("/p/.claude/settings.json"), "it is not valid JSON"),
    _errors.ItemNotFound("thing"),
    _errors.AmbiguousItem("t", ["t1", "t2"]),
    _errors.UnreadableSession(Path("/p/s.org"), "it is empty"),
    _errors.SessionWrappedUp(Path("/p/s.org"), "archived to /p/a.org"),
    _errors.LockTimeout(Path("/p/s.org"), 3.0),
    _errors.StorageError(Path("/p/s.org"), OSError(28, "No space left on device")),
    _errors.BeingEdited(Path("/p/s.org"), "me@host.1"),
    _errors.CannotRecover(Path("/p/s.org"), "it is live"),
    _errors.UnsafePath(Path("/p/s.org"), Path("/p")),
    _errors.MergeConflict(Path("/p/s.org"), [3, 9, 14]),
    _errors.Unmerged(Path("/p/s.org"), (1, 2, 3), "git add it once merged"),
    _errors.SessionRemoved(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org")),
    _errors.SessionCarried(Path("/p/s.org"), Path("/w/.ai/s.org"), "/w"),
    _errors.SessionCarried(Path("/p/s.org"), Path("/w/.ai/s.org"), "/w",
                           Path("/p/.ai/.locks/live/s.org"), gone=True),
    _errors.SessionReplaced(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org")),
    _errors.SessionReplaced(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org"), None, 2),
    _errors.KeptNotMerged(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org"), "not one session"),
    _errors.OtherSession(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org"),
                         "its AGENT_ID is 'b', the kept copy's 'a'", "agent a", "agent b"),
    _errors.OtherSession(Path("/p/s.org"), Path("/p/.ai/.locks/live/s.org"),
                         "its AGENT_ID is 'b'", "agent a", "agent b", same_file=True),
    _errors.RolloverUndone(Path("/p/s.org"), Path("/p/.ai/history/s/2026-11-30-1.org"),
                           "HEAD:.ai/s.org"),
    _errors.OutputLost(OSError(28, "No space left on device")),
    _errors.OutputLost(None),
    _errors.OutputLost(OSError(28, "No space left on device"), changed=False),
    _errors.StaleSave(Path("/p/s.org"), "HEAD:./.ai/s.org", 2, "git show HEAD:./.ai/s.org > k"),
    _errors.StaleSave(Path("/p/s.org"), "HEAD:./.ai/s.org", 1, "git show HEAD:./.ai/s.org > k",
                      True),
    _errors.BoardStaleSave(Path("/p/.ai/tasks.org"), "HEAD:./.ai/tasks.org", 1,
                           "git show HEAD:./.ai/tasks.org > k"),
    _errors.BoardCopyNotMerged(Path("/p/wt/.ai/tasks.org"), Path("/p/.ai/tasks.org"),
                               "both changed task 9's title"),
    _errors.TaskNotFound("k3f9", Path("/p/.ai/tasks.org"), ("20261130-052011-k3f9qxm2 (line 9)",)),
    _errors.TaskTaken("20261130-052011-k3f9qxm2", "vm.p.claude.1", "live", "its owner runs"),
    _errors.PathLocked("src/a.py", "src/", "vm.p.claude.1", "live", "its owner runs", "refactor"),
    _errors.TaskClosed("20261130-052011-k3f9qxm2", "DONE", "claim"),
    _errors.DuplicateTaskId("20261130-052011-k3f9qxm2", Path("/p/.ai/tasks.org"), (9, 30)),
    _errors.MisplacedDrawer(Path("/p/.ai/tasks.org"), 9, 11, 10, "a note"),
    _errors.BrokenDrawer(Path("/p/.ai/tasks.org"), 9, 10, 12, ""),
    _errors.ClaimVoid("20261130-052011-k3f9qxm2",
                      "CLOSED: [2026-11-30 Mon 05:21] is at or after the claim"),
    _errors.GitFailed("update-ref", "cannot lock ref"),
    _errors.NotAGitRepository(Path("/p")),
    _errors.CheckpointNotFound("7", "the agent has no checkpoint 7"),
    _errors.CheckpointRefused("/p", "a.txt has uncommitted changes"),
]


def test_every_error_class_has_an_example_and_is_exported() -> None:
    # (by __all__: a class made on first use, errors.__getattr__, is no member until then)
    every = [getattr(_errors, name) for name in _errors.__all__]
    classes = {cls for cls in every if isinstance(cls, type) and
               issubclass(cls, _errors.AiProtocolsError) and
               cls is not _errors.AiProtocolsError}
    assert {type(e) for e in EXAMPLES} == classes
    assert all(getattr(ai_protocols, cls.__name__) is cls for cls in classes)


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_errors_survive_pickling_with_their_fields(error: _errors.AiProtocolsError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.exit_code == error.exit_code
    fields = {k: v for k, v in vars(error).items() if k != "error"}
    assert {k: v for k, v in vars(copy).items() if k != "error"} == fields


def test_exit_codes_are_distinct_per_kind_of_failure() -> None:
    codes = {type(e).__name__: e.exit_code for e in EXAMPLES}
    assert codes["NoSession"] == 3 and codes["InvalidText"] == 4
    assert codes["UnsafePath"] == 12 and codes["CannotRecover"] == 11
    assert codes["NotAGitRepository"] == codes["GitFailed"] == 14
    assert codes["CheckpointRefused"] == 15 and codes["CheckpointNotFound"] == 5
    assert all(code >= 3 for code in codes.values())


from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(st.one_of(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                         st.characters(blacklist_categories=())), max_size=80))
@example("a\ud800")
def test_an_error_about_any_text_can_be_shown(text: str) -> None:
    """A lone surrogate such as ``"\\ud800"`` (the Python API lets one in) once made the
    message itself raise UnicodeEncodeError. Every str an error quotes is shown, and
    shown as one line of printable UTF-8."""
    message = str(_errors.InvalidText("progress", text, "it is not valid UTF-8"))
    message.encode("utf-8")
    assert "\n" not in message and "\ud800" not in message
