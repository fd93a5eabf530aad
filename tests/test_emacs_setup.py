"""The Emacs set-up docs/emacs.md gives works, in Org 9.5 and 9.7, in batch Emacs.

- **Agenda.** ``org-agenda-files`` holding the folders ``.ai/`` and
  ``.ai/session-context.d/``: the agenda lists a person's own TODO items,
  scheduled items and deadlines in the live sessions, and nothing the agents
  logged; after a wrap-up it asks nothing (every way Emacs asks fails the
  test at once) and the wrapped-up session has left it. The positive
  control: naming ``.ai/session-context.org`` itself, as docs/emacs.md once
  said, makes the agenda ask after the wrap-up.
- **Auto-revert.** ``.ai/.dir-locals.el`` with ``((org-mode . ((mode .
  auto-revert))))`` turns on ``auto-revert-mode`` without asking; a buffer
  without changes follows what an agent writes, and one with unsaved changes
  is left alone while the agent's entry waits for the save. (Batch Emacs gets
  no file notifications, so the buffers are checked by polling,
  ``auto-revert-use-notify`` nil, as Emacs does where notifications are
  missing.)
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, Runner, clean_env
from emacs import JUDGES, Judge

AGENT = "velox.proj.claude.1718400000"
DAY = "2026-12-01"

AGENDA_EL = r"""
(require 'org)
(require 'org-agenda)
(require 'json)
;; Any question fails at once, with its prompt (batch Emacs would wait on stdin).
(dolist (asks '(read-char-exclusive read-char read-event y-or-n-p yes-or-no-p
                read-from-minibuffer read-string completing-read))
  (advice-add asks :override (lambda (&rest args) (error "Emacs asked: %S" args))))
(setq org-agenda-files (split-string (getenv "AGENDA_FILES") ":"))
(defun agenda--text (build)
  (funcall build)
  (prog1 (buffer-substring-no-properties (point-min) (point-max))
    (kill-buffer)))
(princ (json-encode
        (list (cons "day" (agenda--text
                           (lambda () (org-agenda-list nil (getenv "AGENDA_DAY") 'day))))
              (cons "todo" (agenda--text #'org-todo-list)))))
(terpri)
"""

AUTO_REVERT_EL = r"""
(require 'org)
(require 'json)
(setq auto-revert-use-notify nil)  ; no file notifications in batch Emacs: poll
(defun agent (&rest args)
  (with-temp-buffer
    (let ((status (apply #'call-process (getenv "CLI") nil t nil args)))
      (unless (eq status 0) (error "ai-protocols %S: %s" args (buffer-string))))))
(let ((buffer (find-file-noselect (getenv "SESSION_FILE")))
      result)
  (with-current-buffer buffer
    (push (cons "auto_revert" auto-revert-mode) result)
    (agent "log" "--progress" "Written while the buffer only reads")
    (auto-revert-handler)
    (push (cons "followed" (and (string-match-p "Written while the buffer only reads"
                                                (buffer-string)) t))
          result)
    (goto-char (point-max))
    (insert "A person's unsaved note.\n")
    (agent "log" "--progress" "Written while the person edits")
    (auto-revert-handler)
    (push (cons "kept_unsaved" (and (string-match-p "A person's unsaved note" (buffer-string))
                                    t))
          result)
    (save-buffer)
    (agent "log" "--progress" "Written after the save")
    (auto-revert-handler)
    (push (cons "after_save" (buffer-string)) result))
  (princ (json-encode result))
  (terpri))
"""


def add_persons_items(path: Path, title: str, planning: str) -> None:
    """A person's own TODO with a date, under the session's Next steps."""
    text = path.read_text(encoding="utf-8")
    text = text.replace(":CUSTOM_ID: next-steps\n:END:\n",
                        f":CUSTOM_ID: next-steps\n:END:\n*** TODO {title}\n{planning}\n", 1)
    path.write_text(text, encoding="utf-8")


def agenda(judge: Judge, files: list[Path]) -> dict[str, str]:
    script = files[0].parent / "agenda.el" if files[0].is_dir() else files[0].with_suffix(".el")
    script.write_text(AGENDA_EL, encoding="utf-8")
    done = subprocess.run([judge.emacs, "--batch", "-Q", "-l", str(script)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          env=judge.env(AGENDA_FILES=":".join(map(str, files)), AGENDA_DAY=DAY))
    script.unlink()
    assert done.returncode == 0, f"{judge}: the agenda failed: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


@pytest.fixture
def sessions(project: Path, run: Runner) -> tuple[Path, Path]:
    """Two live sessions (one per agent file), each with a person's dated TODO and an
    agent's entries that name the day in their text."""
    run("start", "--title", f"Meet on <{DAY} Tue>")
    run("log", "--progress", f"Planned <{DAY} Tue 10:00>", "--next", f"Call on <{DAY} Tue>")
    run("start", "--title", "Other", agent=AGENT)
    run("log", "--blocker", f"Blocked until <{DAY} Tue>", agent=AGENT)
    one = project / ".ai/session-context.org"
    two = project / f".ai/session-context.d/{AGENT}.org"
    add_persons_items(one, "Review the fix", f"SCHEDULED: <{DAY} Tue>")
    add_persons_items(two, "Ask QA for the dump", f"DEADLINE: <{DAY} Tue>")
    return one, two


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_the_agenda_over_the_folders_asks_nothing_after_a_wrap_up(
        judge: Judge, project: Path, run: Runner, sessions: tuple[Path, Path]) -> None:
    folders = [project / ".ai", project / ".ai/session-context.d"]
    before = agenda(judge, folders)
    for shown in (before["day"], before["todo"]):
        assert "Review the fix" in shown and "Ask QA for the dump" in shown
    agents = ("Meet on", "Planned", "Call on", "Blocked until", "Progress", "Next steps",
              "Blockers")
    assert not [text for text in agents if text in before["day"]], before["day"]
    run("wrap-up", "Meeting planned")
    after = agenda(judge, folders)
    for shown in (after["day"], after["todo"]):
        assert "Ask QA for the dump" in shown and "Review the fix" not in shown


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_naming_the_session_file_makes_the_agenda_ask(
        judge: Judge, project: Path, run: Runner, sessions: tuple[Path, Path]) -> None:
    """The positive control: what docs/emacs.md said before (the file itself)."""
    files = [project / ".ai/session-context.org", project / ".ai/session-context.d"]
    assert "Review the fix" in agenda(judge, files)["day"]
    run("wrap-up", "Meeting planned")
    with pytest.raises(AssertionError, match=r"(?s)Non-existent agenda file.*Emacs asked"):
        agenda(judge, files)


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_auto_revert_from_dir_locals_follows_the_agents(
        judge: Judge, project: Path, run: Runner, tmp_path: Path) -> None:
    (project / ".ai/.dir-locals.el").write_text("((org-mode . ((mode . auto-revert))))\n",
                                               encoding="utf-8")
    run("start", "--title", "Followed")
    path = project / ".ai/session-context.org"
    script = tmp_path / "auto-revert.el"
    script.write_text(AUTO_REVERT_EL, encoding="utf-8")
    done = subprocess.run(
        [judge.emacs, "--batch", "-Q", "-l", str(script)], stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, cwd=project,
        env=judge.env(**{k: v for k, v in clean_env().items() if k != "HOME"},
                      CLI=str(CLI), SESSION_FILE=str(path)))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["auto_revert"] is True, "the dir-locals did not turn auto-revert-mode on"
    assert result["followed"] is True, "the buffer did not follow the agent's write"
    assert result["kept_unsaved"] is True, "auto-revert dropped the person's unsaved note"
    text = path.read_text(encoding="utf-8")
    # The entry written while the person edited waited, and was folded in after the save.
    for entry in ("Written while the buffer only reads", "Written while the person edits",
                  "Written after the save", "A person's unsaved note."):
        assert entry in text
    assert "Written after the save" in result["after_save"]


TICK_EL = r"""
(require 'org)
(with-current-buffer (find-file-noselect (getenv "SESSION_FILE"))
  (goto-char (point-min))
  (search-forward "Write the test")
  (org-toggle-checkbox)  ; what C-c C-c on the item does: it updates the cookies too
  (save-buffer))
"""


@pytest.mark.parametrize("judge", JUDGES, ids=str)
def test_a_cookie_in_logged_text_survives_a_person_ticking_a_box(
        judge: Judge, project: Path, run: Runner, tmp_path: Path) -> None:
    """A person ticks another box in Emacs; Org rewrites every statistics cookie of the
    section, but the logged "[1/2]" is no cookie: it stays, and --done finds it."""
    run("start")
    run("log", "--progress", "Step [1/2] of the port", "--progress", "Write the test")
    script = tmp_path / "tick.el"
    script.write_text(TICK_EL, encoding="utf-8")
    path = project / ".ai/session-context.org"
    done = subprocess.run([judge.emacs, "--batch", "-Q", "-l", str(script)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, env=judge.env(SESSION_FILE=str(path)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[0/0]" not in path.read_text(encoding="utf-8")
    run("log", "--done", "Step [1/2] of the port")
    shown = json.loads(run("show", "--json").stdout)
    assert [(e["text"], e["done"]) for e in shown["progress"]] == [
        ("Step [1/2] of the port", True), ("Write the test", True)]
