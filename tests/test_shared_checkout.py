"""A checkout shared by the users of one group, as git's own files allow.

The usual set-up (git's ``core.sharedRepository`` documentation, and the setgid
bit in ``chmod(1)``): a folder owned by the team's group with the setgid bit,
so that what is made inside belongs to the group, and a umask of 002, so that
it is group-writable. Every file and folder the tool makes (session files, lock
files, leases, pending files, tombstones, archives, the archive index, what
``init`` installs) must follow the umask and the folder's group the same way,
so that the next user of the group can carry on.

Real users and a real group: the test makes them with ``groupadd`` and
``useradd`` and runs the installed command as each (``setpriv``, under the
umask given). That needs root; a machine where it cannot be done fails these
tests with a message, as tests/test_hostile_input.py does; they never skip.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CLI, clean_env


@dataclass(frozen=True)
class Person:
    name: str
    uid: int
    gid: int  # the person's own group (Debian's user private groups)


@dataclass(frozen=True)
class Team:
    group: str
    gid: int
    alice: Person
    bob: Person


def _cannot() -> str | None:
    if os.geteuid() != 0:
        return "making users and groups needs root"
    if not (shutil.which("useradd") and shutil.which("groupadd")):
        return "useradd and groupadd are not installed"
    return None


@pytest.fixture
def team() -> Iterator[Team]:
    """A group and two users in it, made for this test and removed after it. Names
    carry the process id: other test runs on this machine may do the same at once."""
    reason = _cannot()
    if reason is not None:  # never skipped: a machine that cannot make users fails here
        pytest.fail(f"these tests make real users and a group, and {reason}", pytrace=False)
    tag = f"aip{os.getpid()}"
    group, users = f"{tag}t", [f"{tag}a", f"{tag}b"]
    subprocess.run(["groupadd", group], check=True, capture_output=True)
    try:
        for user in users:
            subprocess.run(["useradd", "--no-create-home", "--user-group", "--shell",
                            "/bin/sh", "--groups", group, user], check=True,
                           capture_output=True)
        people = [Person(u, pwd.getpwnam(u).pw_uid, pwd.getpwnam(u).pw_gid) for u in users]
        yield Team(group, grp.getgrnam(group).gr_gid, *people)
    finally:
        for user in users:
            subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)


@pytest.fixture
def shared_base() -> Iterator[Path]:
    """A folder every user can reach (pytest's own temporary folders are root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="aip-shared-", dir="/tmp")).resolve()
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_person(person: Person, team: Team, umask: int, *args: str, cwd: Path,
              agent: str | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
    """``ai-protocols ARGS`` run by ``person`` (a member of the team) under ``umask``:
    ``setpriv`` (util-linux) becomes the user, as ``sandbox.as_nobody`` does, and the
    umask is the child's (subprocess's ``umask``), which setpriv passes on."""
    setpriv = shutil.which("setpriv")
    assert setpriv, "these tests need setpriv (util-linux) to run as another user"
    env = clean_env(HOME=str(cwd), **({"AI_AGENT_ID": agent} if agent else {}))
    result = subprocess.run([setpriv, f"--reuid={person.uid}", f"--regid={person.gid}",
                             f"--groups={team.gid}", str(CLI), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=60, umask=umask)
    if check:
        assert result.returncode == 0, (person.name, args, result.stdout, result.stderr)
    return result


def shared_project(base: Path, team: Team, setgid: bool = True) -> Path:
    """The team's checkout: owned by root, in the team's group, group-writable and
    setgid, as a person sets one up (``chgrp team proj; chmod 2775 proj``)."""
    root = base / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for path in [root, *root.rglob("*")]:
        os.chown(path, 0, team.gid, follow_symlinks=False)
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o2775 if setgid else 0o775)
    return root


def made_by_the_tool(root: Path) -> list[Path]:
    """Everything under .ai/ (the tool made all of it), and .ai/ itself."""
    ai = root / ".ai"
    return [ai, *sorted(ai.rglob("*"))]


def test_two_users_of_one_group_share_a_checkout(team: Team, shared_base: Path) -> None:
    """The case seen: in a group-shared checkout (setgid folder, umask 002) the lock
    files one user made were 0644, so the next user of the group got "Permission
    denied" on log, wrap-up and agent-id; session files and archives were 0644 whatever
    the umask. Alice and Bob now take turns on every command, on each other's files,
    and everything the tool made is group-writable and the team's."""
    root = shared_project(shared_base, team)
    alice, bob = team.alice, team.bob

    def a(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return as_person(alice, team, 0o002, *args, cwd=root, **kw)  # type: ignore[arg-type]

    def b(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return as_person(bob, team, 0o002, *args, cwd=root, **kw)  # type: ignore[arg-type]

    a("init")
    a("start", "--title", "Alice starts")
    a("log", "--progress", "alice's step")
    b("log", "--progress", "bob carries on", "--next", "bob's next")  # alice's file, lock
    b("log", "--done", "bob's next")
    a("log", "--summary", "both wrote here")
    archive = Path(b("wrap-up", "Shared work").stdout.strip())  # the archive, index, tombstone
    assert a("log", "--progress", "late", check=False).returncode == 7  # bob's tombstone
    a("list")  # rewrites the index bob's wrap-up started
    b("list")
    a("start")  # a fresh session in the place bob's wrap-up left
    b("wrap-up", "Second")

    minted = b("agent-id", "--runtime", "codex").stdout.strip()
    b("start", agent=minted)
    b("log", "--progress", "bob's agent", agent=minted)
    # A person has bob's file open with unsaved changes in Emacs: alice's entry waits in
    # a pending file, which bob's next write folds in and removes.
    context = root / ".ai" / "session-context.d"
    emacs = context / f".#{minted}.org"
    os.symlink(f"carol@{os.uname().nodename}.{os.getpid()}", emacs)
    a("log", "--progress", "while emacs holds it", agent=minted)
    assert (context / f".{minted}.org.pending.org").exists()
    emacs.unlink()
    b("log", "--progress", "after the save", agent=minted)
    assert not (context / f".{minted}.org.pending.org").exists()
    a("recover", minted, "--archive", "--force")  # bob's session, archived by alice
    b("spawn", "--runtime", "x", "--", "true")  # a lease in a folder bob makes...
    a("spawn", "--runtime", "x", "--", "true")  # ...and alice uses
    a("status")
    b("status")
    a("init")  # again: nothing to change, and nothing refused
    b("init")

    shown = a("list", "--json").stdout
    assert str(archive) in shown and "Second" in shown
    wrong = []
    for path in made_by_the_tool(root):
        st = path.lstat()
        if st.st_gid != team.gid:
            wrong.append(f"{path}: group {st.st_gid}, not the team's {team.gid}")
        if stat.S_ISDIR(st.st_mode):
            want = 0o2775
        else:
            want = 0o775 if path.name == "session-context-path" else 0o664
        if stat.S_IMODE(st.st_mode) != want:
            wrong.append(f"{path}: mode {stat.S_IMODE(st.st_mode):o}, not {want:o}")
    assert not wrong, "\n".join(wrong)
    kinds = {p.name.rsplit(".", 1)[-1] for p in made_by_the_tool(root) if p.is_file()}
    assert {"lock", "gone", "index", "org", "gitignore", "gitkeep"} <= kinds, kinds
    assert (root / ".ai" / ".locks" / "leases").is_dir()


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o027, 0o077])
def test_every_file_follows_the_umask(team: Team, shared_base: Path, umask: int) -> None:
    """Whatever the umask, what the tool makes has the bits git gives the files it
    checks out: 0666 (0777 for the resolver and folders) less the umask."""
    root = shared_project(shared_base, team)
    run = lambda *args, **kw: as_person(team.alice, team, umask, *args, cwd=root, **kw)  # noqa: E731
    run("init")
    run("start")
    run("log", "--progress", "x")
    run("wrap-up", "Done")
    minted = run("agent-id", "--runtime", "x").stdout.strip()
    run("start", agent=minted)
    run("list")
    wrong = []
    for path in made_by_the_tool(root):
        st = path.lstat()
        executable = stat.S_ISDIR(st.st_mode) or path.name == "session-context-path"
        want = (0o777 if executable else 0o666) & ~umask
        if stat.S_IMODE(st.st_mode) & 0o777 != want:
            wrong.append(f"{path}: mode {stat.S_IMODE(st.st_mode):o}, not {want:o}")
    assert not wrong, "\n".join(wrong)


def test_lock_files_an_older_version_made_0644_still_lock(team: Team,
                                                          shared_base: Path) -> None:
    """A lock file another user made that this user may only read (an older version
    made them 0644) still serves as a lock: flock needs only a descriptor to read."""
    root = shared_project(shared_base, team)
    as_person(team.alice, team, 0o002, "init", cwd=root)
    as_person(team.alice, team, 0o002, "start", cwd=root)
    for lock in (root / ".ai" / ".locks").rglob("*.lock"):
        lock.chmod(0o644)
        os.chown(lock, team.alice.uid, team.gid)
    result = as_person(team.bob, team, 0o002, "log", "--progress", "bob", cwd=root)
    assert result.stdout == "logged progress: bob\n"
