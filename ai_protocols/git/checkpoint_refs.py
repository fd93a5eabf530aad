"""The checkpoints' refs: listing them, resolving a name to one, where its commit is
(:meth:`Listing.whereabouts`), the push and fetch commands that share them, a diff.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import AiProtocolsError, CheckpointNotFound
from ai_protocols.git.checkpoint_repo import (
    _SUBJECT,
    FETCH,
    NAMESPACE,
    REFSPEC,
    Checkpoint,
    Recorded,
    Whereabouts,
    _parse,
    _path,
    _s,
    clone_id,
    order,
    ref_part,
    typed_agent,
)
from ai_protocols.lean import digits, shell_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


class Listing:
    """The checkpoints' refs: listing, resolving a name, where a commit is, pushing and
    fetching them."""

    # -- reading them -------------------------------------------------------------------

    def list(self, every_agent: bool = False) -> list[Checkpoint]:
        """This agent's checkpoints (``every_agent``: all of them), oldest first. A ref
        in the namespace that is no commit is not listed (it is in :attr:`bad_refs`)."""
        prefix = f"{NAMESPACE}/" if every_agent else f"{NAMESPACE}/{self.agent}/"
        found = self._refs(prefix)
        found.sort(key=order)
        return found

    def _read(self, ref: str) -> Checkpoint | None:
        found = [c for c in self._refs(ref) if c.ref == ref]
        return found[0] if found else None

    def _refs(self, pattern: str) -> list[Checkpoint]:
        """The checkpoints of the refs ``pattern`` names (``git for-each-ref``); a ref
        there that holds no commit (a blob, a tree or a tag a person or a tool put
        there) is no checkpoint: kept, with what it holds, in :attr:`bad_refs`. In a
        shallow clone (git-clone(1) ``--depth``) a checkpoint at the boundary shows no
        parent: its parent is read from the commit itself."""
        out = self._git("for-each-ref", "--format=%(objecttype)%00%(refname)%00"
                        "%(objectname)%00%(parent)%00%(committerdate:unix)%00%(contents)%00",
                        pattern)
        found = []
        for record in out.split(b"\0\n"):
            kind, _, rest = record.lstrip(b"\n").partition(b"\0")
            if not rest:
                continue
            if kind != b"commit":
                self.bad_refs[_s(rest.partition(b"\0")[0])] = kind.decode()
                continue
            parsed = _parse(rest)
            if parsed is not None:
                found.append(parsed)
        if any(c.parent is None for c in found) and self.shallow:
            for checkpoint in found:
                if checkpoint.parent is None:
                    checkpoint.parent = self._raw_parent(checkpoint.commit)
        return found

    @property
    def shallow(self) -> bool:
        """Whether this clone is shallow (git-clone(1) ``--depth``; its common git
        folder holds ``shallow``, gitrepository-layout(5)): commits past its boundary
        are not here, and a commit at it shows no parent."""
        return os.path.exists(self.common_dir / "shallow")

    def has_commit(self, commit: str) -> bool:
        """Whether the commit ``commit`` (a hash) is in this clone."""
        return bool(self._git("rev-parse", "-q", "--verify", f"{commit}^{{commit}}",
                              ok=(0, 1, 128)).strip())

    def _raw_parent(self, commit: str) -> str | None:
        """The first parent the commit object ``commit`` names (its ``parent`` header,
        git-cat-file(1)), which a shallow clone's boundary hides from ``%(parent)``."""
        out = self._git("cat-file", "commit", commit, ok=(0, 128))
        for line in out.split(b"\n"):
            if not line:
                break
            if line.startswith(b"parent "):
                return line[7:].decode().strip()
        return None

    def resolve(self, name: str,
                session: Callable[[], list[Recorded]] | None = None) -> Checkpoint:
        """The checkpoint ``name`` names: a full ref (``refs/ai-protocols/checkpoints/A/N``),
        ``N`` (this agent's), ``A/N``, or a hash of 4 to 64 hex digits (unique among the
        checkpoints; one of digits only names checkpoint N first, when there is one).
        Raises :class:`~ai_protocols.errors.CheckpointNotFound`. When none does here and
        ``session`` (what gives the checkpoints the caller's session records,
        :func:`recorded`; called only then) has
        one ``name`` names (its hash, its number, its ref), the refusal says where it is
        and what to do (:meth:`whereabouts`: never fetched, collected by git gc...); its
        commit still here without a ref is taken."""
        try:
            return self._resolve(name)
        except CheckpointNotFound:
            import re

            text = name.strip().lower()
            hexa = re.fullmatch(r"[0-9a-f]{4,64}", text) is not None
            number = int(name) if re.fullmatch(r"[1-9][0-9]*", name) else None
            matches = [r for r in (session() if session else ()) if r.ref == name or (
                hexa and (r.commit.startswith(text) or text.startswith(r.commit))) or (
                number is not None and r.number == number)]
            if len(matches) != 1:
                raise
            where = self.whereabouts(matches[0].ref, matches[0].commit, matches[0].number)
            if where.checkpoint is not None:
                return where.checkpoint
            number = f" {matches[0].number}" if matches[0].number else ""
            raise CheckpointNotFound(name, f"this session recorded it (checkpoint{number} "
                                     f"{where.commit[:12]}): "
                                     f"{where.say('it')}") from None

    def _resolve(self, name: str) -> Checkpoint:
        """:meth:`resolve` without the session's records."""
        import re

        text = name
        if not text or text != text.strip():
            raise CheckpointNotFound(name, "it is empty or has spaces or a line break around "
                                     "it; give the REF alone")
        own = f"{NAMESPACE}/{self.agent}/{self.clone}/" if self.clone else None
        if re.fullmatch(r"0[0-9]{0,2}", text):
            raise CheckpointNotFound(name, "checkpoints count from 1, written without "
                                     "leading zeros (a hash has 4 digits or more)")
        agent_form = re.fullmatch(r"([^/]+)/(?:([^/\s]+)/)?([1-9][0-9]*)", text)
        if agent_form and agent_form.group(1) != agent_form.group(1).strip():
            agent_form = None
        if re.fullmatch(r"[1-9][0-9]*", text):  # (0123...: a hash, never N)
            ref = f"{own}{int(text)}" if own else f"{NAMESPACE}/{self.agent}/{int(text)}"
            found = self._read(ref) or self._read(f"{NAMESPACE}/{self.agent}/{int(text)}")
            if found is not None:
                return found
            # Another clone's N (fetched): when only one clone has an N of this agent;
            # never another worktree's of this repository (its own project: its N is
            # named AGENT/CLONE/N).
            siblings = self._siblings()
            numbered = [c for c in self._refs(f"{NAMESPACE}/{self.agent}/")
                        if c.number == int(text) and c.clone is not None]
            near = [c for c in numbered if siblings is not None and (
                c.clone == siblings[0] or c.clone.startswith(siblings[1]))]  # type: ignore[union-attr]
            others = [c for c in numbered if c not in near]
            if len(others) == 1 and not near:
                return others[0]
            if near:
                raise CheckpointNotFound(name, "this worktree has no checkpoint "
                                         f"{int(text)} of this agent (N names this work "
                                         "tree's own); another worktree of this repository "
                                         "has: " + ", ".join(c.name for c in near) +
                                         " (give that name, or its hash)")
            if len(others) > 1:
                raise CheckpointNotFound(name, "several clones have a checkpoint "
                                         f"{int(text)} of this agent; give one of: " +
                                         ", ".join(c.name for c in others))
            if len(text) >= 4:  # a short hash may be all digits
                matches = [c for c in self.list(every_agent=True) if c.commit.startswith(text)]
                if len({c.commit for c in matches}) == 1:
                    return matches[0]
                loose = self._unreferenced(text) if not matches else None
                if loose is not None:
                    return loose
        elif text.startswith(f"{NAMESPACE}/"):
            ref = text
        elif agent_form is not None:  # AGENT/N (this clone's, or older), AGENT/CLONE/N
            given, clone, number = agent_form.groups()
            forms = [given] if not any(c.isspace() for c in given) else []
            from contextlib import suppress

            with suppress(AiProtocolsError):  # the id as set (a b), or as refs write it
                forms.append(ref_part(given))
            for agent in dict.fromkeys(forms):
                places = [f"{agent}/{clone}/{number}"] if clone else \
                    ([f"{agent}/{self.clone}/{number}"] if self.clone else []) + \
                    [f"{agent}/{number}"]
                for place in places:
                    found = self._read(f"{NAMESPACE}/{place}")
                    if found is not None:
                        return found
            ref = f"{NAMESPACE}/{forms[0] if forms else given}/" + \
                (f"{clone}/{number}" if clone else number)
        elif re.fullmatch(r"[0-9a-fA-F]{4,64}", text):
            matches = [c for c in self.list(every_agent=True)
                       if c.commit.startswith(text.lower())]
            if len({c.commit for c in matches}) == 1:
                return matches[0]
            loose = self._unreferenced(text) if not matches else None
            if loose is not None:
                return loose
            raise CheckpointNotFound(name, "no checkpoint's commit in this clone starts "
                                     "with it (another clone's comes here once that clone "
                                     f"pushed it: {self.fetch_command()})"
                                     if not matches else "several checkpoints' commits "
                                     "start with it; give more digits")
        else:
            raise CheckpointNotFound(name, "give N (this agent's checkpoint N), AGENT/N, "
                                     f"AGENT/CLONE/N, {NAMESPACE}/... or a commit hash")
        found = self._read(ref)
        if found is None and ref in self.bad_refs:
            raise CheckpointNotFound(name, f"{ref} holds a {self.bad_refs[ref]}, not a "
                                     "commit: it is no checkpoint (put there by hand or by "
                                     "another tool); delete it with git update-ref -d "
                                     f"{shell_quote(ref)}")
        if found is None:
            mine = own or f"{NAMESPACE}/{self.agent}/"
            raise CheckpointNotFound(name, f"there is no ref {ref}" + (
                f" (this agent's checkpoints in this clone are under {mine}; another "
                f"clone's come with: {self.fetch_command()})"
                if not text.startswith("refs/") else ""))
        return found

    def push_to(self) -> str | None:
        """Where another clone pushes a checkpoint for this one to fetch it: the URL of
        the remote this clone fetches from (its branch's upstream, else its only one:
        :func:`ai_protocols.git.state.remote_for`; a URL, since that clone may name the
        remote otherwise), ``"one of URL (NAME), ..."`` when it has several and none is
        the upstream's, ``None`` when it has none (``git remote``, git-remote(1))."""
        from ai_protocols.git.history import remote_for

        names = self._git("remote").decode("utf-8", "replace").split()
        if not names:
            return None
        remote = remote_for(str(self.top), self.head_branch)

        def url(name: str) -> str:
            out = self._git("remote", "get-url", name, ok=(0, 2, 128)).decode(
                "utf-8", "replace").strip()
            return out or name

        if remote != "REMOTE":
            return url(remote)
        return "one of " + ", ".join(f"{url(n)} ({n})" for n in names)

    def fetch_command(self) -> str:
        """The command that brings other clones' checkpoints here, the one every message
        prints: ``git fetch --no-prune REMOTE 'REFSPEC'`` (:data:`FETCH`) with the remote
        of the current branch's upstream, else the only remote
        (:func:`ai_protocols.git.state.remote_for`); without any remote, the URL they
        were pushed to."""
        from ai_protocols.git.history import remote_for

        remote = remote_for(str(self.top), self.head_branch)
        if remote == "REMOTE" and not self._git("remote").strip():
            return (f"{FETCH} URL '{REFSPEC}', from wherever they were pushed (this clone "
                    "has no remote)")
        return f"{FETCH} {shell_quote(remote) if remote != 'REMOTE' else remote} '{REFSPEC}'"

    def whereabouts(self, ref: str | None, commit: str,
                    number: int | None = None) -> Whereabouts:
        """Where the checkpoint of the commit ``commit`` (a hash of 4 digits or more, as
        a session records it) and the ref ``ref`` (``None``: not recorded) is, seen from
        this clone: the one rule (:class:`Whereabouts`). A ref of this clone holding
        that commit, else the commit alone (no ref), else whose clone took it: the ref's
        ``CLONE`` part is this clone's id (or one of its worktrees'), so git gc collected
        it here; another's: never fetched here; no ref recorded: this clone never took a
        checkpoint (no id yet), or never gave this agent ``number`` (the Log line's ``N``:
        :data:`NUMBERS_DIR` keeps the last given), so never fetched here, else not known.
        The refs and the remote are read once per object; then one git run at most per
        call. Changes nothing."""
        import re

        commit = commit.lower()
        if self._seen is None:  # (once for many: list asks of each)
            self._seen = (self.list(every_agent=True), self.fetch_command(), self.push_to())
        every, fetch, remotes = self._seen
        for point in every:
            if point.ref == ref or point.commit.startswith(commit):
                found = Whereabouts("here", point.commit, point.ref, fetch, point, remotes)
                found.root = str(self.root)
                return found
        parts = (ref or "").split("/")
        base = clone_id(self.common_dir)
        mine = None
        if ref and len(parts) == 6 and ref.startswith(f"{NAMESPACE}/"):
            mine = base is not None and (parts[4] == base or parts[4].startswith(f"{base}-"))
        if mine is None:
            # No ref recorded (an older Log line): a clone that never took one (no id),
            # or never gave this agent so high a number, did not take it: the one rule
            # for a commit found here too (a clone by path copies every object), never
            # "its ref is gone here" (issue 14, thirteenth round).
            number = number if number is not None else \
                int(parts[-1]) if digits(parts[-1]) else None
            if base is None or (number is not None and self.clone is not None and
                                max([self._last_number(), *self._numbers()]) < number):
                mine = False
        if re.fullmatch(r"[0-9a-f]{4,64}", commit):
            loose = self._unreferenced(commit)
            if loose is not None:
                found = Whereabouts("unreferenced", loose.commit, ref, fetch, loose, remotes)
                found.mine = mine
                found.root = str(self.root)
                return found
        found = Whereabouts("unknown" if mine is None else "collected" if mine else
                            "not-fetched", commit, ref, fetch, remotes=remotes)
        found.mine = mine
        found.root = str(self.root)
        return found

    def _unreferenced(self, text: str) -> Checkpoint | None:
        """The checkpoint whose commit ``text`` (4 to 64 hex digits) names when no ref
        holds it but the object store does (a clone by path copies every object; a
        deleted ref leaves its commit until ``git gc``): a commit whose message is a
        checkpoint's (its subject and ``AI-Protocols-Agent`` trailer). Its ``ref`` is
        then the commit's hash, its ``clone`` ``None``. ``None``: not one."""
        import re

        full = self._git("rev-parse", "-q", "--verify", f"{text}^{{commit}}",
                         ok=(0, 1, 128)).decode().strip()
        if not full:
            return None
        out = self._git("show", "-s", "--format=%P%x00%ct%x00%B", full)
        parents, when, message = out.decode("utf-8", "surrogateescape").split("\0", 2)
        subject = re.match(rf"{_SUBJECT} ([0-9]+)", message)
        agent = re.search(r"^AI-Protocols-Agent: (\S+)$", message, re.M)
        if subject is None or agent is None:
            return None
        found = _parse(b"\0".join(part.encode("utf-8", "surrogateescape") for part in (
            f"{NAMESPACE}/{agent.group(1)}/{subject.group(1)}", full, parents, when,
            message)))
        if found is not None:
            found.ref = full
        return found

    def previous(self, checkpoint: Checkpoint) -> Checkpoint | None:
        """The same agent's checkpoint before ``checkpoint`` in :func:`order`, whichever
        clone took it (a session paused in one clone and resumed in another carries on
        from the other's checkpoint); ``None``: it is the first."""
        mine = order(checkpoint)
        earlier = [c for c in self._refs(f"{NAMESPACE}/{checkpoint.agent}/")
                   if order(c) < mine]
        return max(earlier, key=order) if earlier else None

    def diff(self, old: str | None, new: str) -> list[tuple[str, str]]:
        """``(status, path)`` for each path that differs between the commits ``old``
        (``None``: nothing) and ``new``: ``A``dded, ``M``odified, ``D``eleted, ``T``ype."""
        if old is None:
            return [("A", path) for path in self._changed(None, new)]
        out = self._git("diff-tree", "-r", "-z", "--name-status", "--no-renames", old, new)
        fields = [f.decode("utf-8", "surrogateescape") for f in out.split(b"\0") if f]
        return list(zip(fields[0::2], fields[1::2], strict=False))

    def head(self) -> str | None:
        """``HEAD``'s commit, ``None`` before the first commit."""
        return self._read_head()[0]

    # -- putting one back ---------------------------------------------------------------

    def default_worktree(self, checkpoint: Checkpoint) -> Path:
        """Where ``restore`` puts a checkpoint by default: beside the work tree (beside
        the outermost superproject's, for a submodule), ``<top>-checkpoint-<agent>-<n>``
        (``<agent>-<clone>-<n>`` for another clone's; ``<short hash>`` for one no ref
        holds)."""
        other = f"{checkpoint.clone}-" if checkpoint.clone not in (None, self.clone) else ""
        if not checkpoint.ref.startswith("refs/"):  # (no ref holds it: named by its hash)
            return self._outermost().parent / f"{self.top.name}-checkpoint-{checkpoint.short}"
        return self._outermost().parent / (f"{self.top.name}-checkpoint-"
                                           f"{typed_agent(checkpoint.agent)}-{other}"
                                           f"{checkpoint.number}")

    def _outermost(self) -> Path:
        """The top of the outermost work tree this one is a submodule of (itself when
        none: git-rev-parse(1), ``--show-superproject-working-tree``, asked up the
        chain): a new worktree beside a submodule would be inside its superproject."""
        top = self.top
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        for _ in range(64):
            above = self._spawn("rev-parse", "--show-superproject-working-tree", cwd=top,
                                env=env).wait(ok=tuple(range(256))).decode(
                                    "utf-8", "surrogateescape").strip()
            if not above:
                break
            top = _path(above)
        return top

