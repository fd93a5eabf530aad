"""Exporting a checkpoint (``checkpoint export``): its tree written as a tar archive, its
submodules' too, each file as git would check it out; the temporary files a killed export
left, removed.

docs/decisions.md, "Twenty-sixth round: checkpoint.py and layout.py split by concern".
"""

from __future__ import annotations

import os

from ai_protocols.errors import CheckpointRefused, GitFailed, StorageError
from ai_protocols.git.checkpoint_repo import (
    _CONVERTING,
    _GITLINK,
    _NO_HOOKS,
    Checkpoint,
    _b,
    _discard,
    _path,
    _s,
)
from ai_protocols.git.spawn import temp_index_env
from ai_protocols.lean import shell_quote
from ai_protocols.storage.files import temp_stem, temporary_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tarfile
    from pathlib import Path


def _git_tar_info() -> type[tarfile.TarInfo]:
    """The class of an export's tar entries: :class:`tarfile.TarInfo` writing each
    entry's header as git archive does (git's ``archive-tar.c``, ``write_tar_entry``):
    the path's bytes as stored, in the ustar name field, split at a ``/`` into the
    prefix field (the longest prefix that fits) when longer than 100 bytes; a pax
    extended header only for what no field holds (a ``path`` past those fields, a
    ``linkpath`` past 100 bytes, a size past 8 GiB), its values as stored, and never a
    ``hdrcharset`` record (Python's own writes one for a name that is not UTF-8, and
    GNU tar warns "Ignoring unknown extended header keyword" on every extraction;
    docs/decisions.md, "Issue 14, sixteenth round (git)")."""
    global _TAR_INFO
    if _TAR_INFO is not None:
        return _TAR_INFO
    import tarfile

    def record(keyword: bytes, value: bytes) -> bytes:
        size = len(keyword) + len(value) + 3  # (" ", "=", "\n", then the length itself)
        total = guess = 0
        while (total := size + len(str(guess))) != guess:
            guess = total
        return str(total).encode() + b" " + keyword + b"=" + value + b"\n"

    class GitTarInfo(tarfile.TarInfo):
        def create_pax_header(self, info: dict, encoding: str) -> bytes:  # type: ignore[type-arg]
            info["magic"] = tarfile.POSIX_MAGIC
            extended = []
            path = info["name"].encode("utf-8", "surrogateescape")
            if len(path) > tarfile.LENGTH_NAME:
                cut = path.rfind(b"/", 0, tarfile.LENGTH_PREFIX + 1)
                if cut > 0 and len(path) - cut - 1 <= tarfile.LENGTH_NAME:
                    info["prefix"] = path[:cut].decode("utf-8", "surrogateescape")
                    info["name"] = path[cut + 1:].decode("utf-8", "surrogateescape")
                else:
                    extended.append(record(b"path", path))
            link = info["linkname"].encode("utf-8", "surrogateescape")
            if len(link) > tarfile.LENGTH_LINK:
                extended.append(record(b"linkpath", link))
            if info["size"] >= 8 ** 11:
                extended.append(record(b"size", str(info["size"]).encode()))
                info["size"] = 0
            header = self._create_header(info, tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
            if not extended:
                return header
            records = b"".join(extended)
            pax = {"name": "././@PaxHeader", "type": tarfile.XHDTYPE, "size": len(records),
                   "magic": tarfile.POSIX_MAGIC}
            return (self._create_header(pax, tarfile.USTAR_FORMAT, "ascii", "replace") +
                    self._create_payload(records) + header)

    _TAR_INFO = GitTarInfo
    return GitTarInfo


_TAR_INFO: type[tarfile.TarInfo] | None = None


def _discard_killed_exports(target: Path) -> None:
    """Remove the temporary files (``.NAME.<12 hex digits>.tmp``, the name
    :func:`~ai_protocols.storage.files.temporary_name` gives) that an export to ``target``
    killed before its rename left beside it: those whose ``flock`` nobody holds (a
    writer holds its own until it ends, :meth:`Checkpoints._export`). ``checkpoint export`` takes no
    project lock, so the lock of each file says whether its writer still runs. A file
    made a moment ago whose writer has not taken its lock yet could be removed: that
    export then fails with a clear error and nothing else is lost (docs/checkpoints.md)."""
    import fcntl

    stem = temp_stem(target.name)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        middle = name[len(stem) + 2:-len(".tmp")]
        if not (name.startswith(f".{stem}.") and name.endswith(".tmp") and len(middle) == 12
                and all(c in "0123456789abcdef" for c in middle)):
            continue
        path = target.parent / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)
        except OSError:  # (a live writer holds it, or it went meanwhile)
            pass
        finally:
            os.close(fd)


class Exporting:
    """``checkpoint export``: a checkpoint's files as a tar archive, as git would check
    them out."""

    def export(self, checkpoint: Checkpoint, target: Path) -> Path:
        """Write ``checkpoint``'s files to the gzipped tar file ``target``, under one folder
        named as :meth:`default_worktree`'s; atomically, never over an existing file;
        ``target`` must end in ``.tar.gz`` or ``.tgz`` (``-``, standard output, is
        refused). The files are the bytes a checkout of the checkpoint writes (those a
        restore into a new worktree gives): filters' smudge, line endings, ``ident`` and
        ``working-tree-encoding`` by its ``.gitattributes`` (:meth:`_as_checked_out`),
        never ``export-ignore`` nor ``export-subst``, which git-archive(1) would apply;
        the metadata is git-archive's (modes ``0664``/``0775``, symlinks, owner
        ``root``, each file's time its commit's), so the same checkpoint always gives
        the same file. Raises
        :class:`~ai_protocols.errors.CheckpointRefused` and
        :class:`~ai_protocols.errors.GitFailed`."""
        if str(target) == "-":
            raise CheckpointRefused("-", "writing to standard output is not supported; give "
                                    "a FILE.tar.gz", "export")
        if not str(target).lower().endswith((".tar.gz", ".tgz")):
            raise CheckpointRefused(str(target), "the file it writes is a gzipped tar: give "
                                    "a name ending in .tar.gz or .tgz", "export")
        target = _path(os.path.abspath(target))
        if os.path.lexists(target):
            raise CheckpointRefused(str(target), "that file exists already; remove it or "
                                    "give another name", "export")
        if not target.parent.is_dir():
            raise CheckpointRefused(str(target), f"there is no folder {target.parent}", "export")
        self._refuse_taken(target, checkpoint)
        _discard_killed_exports(target)
        temp = target.with_name(temporary_name(target.name))
        prefix = self.default_worktree(checkpoint).name
        modules = self._modules(self.top, checkpoint.commit, "", target)
        try:
            self._export(temp, prefix, checkpoint.commit, modules)
            os.link(temp, target)  # never over a file made meanwhile
        except FileExistsError:
            raise CheckpointRefused(str(target), "that file exists already", "export") from None
        except OSError as error:  # (a folder it cannot write to, a full disk, /proc)
            raise StorageError(target, error, "nothing was written; give a FILE in a folder "
                               "you can write to, on a disk with room (as in ./NAME.tgz)"
                               ) from None
        finally:
            temp.unlink(missing_ok=True)
        return target

    def _modules(self, repo: Path, commit: str, above: str,
                 target: Path | None = None) -> list[tuple[Path, str, str]]:
        """``(folder, commit, path)`` of each submodule the tree of ``commit`` in the
        repository at ``repo`` holds (``above``: that repository's path from the top),
        and of theirs in turn; refused (:class:`CheckpointRefused`) when a submodule is
        not checked out here or lacks its commit: the export would miss its files."""
        env = {k: v for k, v in self._env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        out = self._spawn("ls-tree", "-r", "-z", "--full-tree", commit, cwd=repo,
                          env=self._env if repo == self.top else env).wait()
        found = []
        for item in out.split(b"\0"):
            info, _, raw = item.partition(b"\t")
            if not info.startswith(_GITLINK.encode()):
                continue
            link, path = info.decode().split(" ")[2], above + _s(raw)
            folder = repo / _s(raw)
            probe = b""
            if os.path.lexists(folder / ".git"):
                probe = self._spawn("rev-parse", "-q", "--verify", f"{link}^{{commit}}",
                                    cwd=folder, env=env).wait(ok=(0, 1, 128))
            if not probe.strip():
                registered = path in self._registered_submodules(commit) if not above \
                    else True
                # (absolute paths: git's path is from the top, wherever it is pasted;
                # issue 14, twenty-first round)
                fix = (f"run git -C {shell_quote(str(self.top))} submodule update --init "
                       f"--recursive, or git -C {shell_quote(str(folder))} fetch"
                       if registered else
                       "it is a nested repository, no submodule (.gitmodules does not name "
                       f"it): put it back at {shell_quote(str(folder))} (git clone URL "
                       f"{shell_quote(str(folder))}, then check out {link[:12]}), or restore "
                       "the checkpoint into a worktree instead")
                what = "the submodule" if registered else "the nested repository"
                raise CheckpointRefused(
                    str(target or self.top), f"the checkpoint holds {what} {path} at commit "
                    f"{link[:12]}, which is not here ({fix}); the export would miss its files",
                    "export")
            found += [(folder, link, path), *self._modules(folder, link, path + "/", target)]
        return found

    def _export(self, temp: Path, prefix: str, commit: str,
                modules: list[tuple[Path, str, str]]) -> None:
        """One gzipped tar of the tree of ``commit`` and, in each submodule's folder, the
        files of the commit the checkpoint holds for it: each tree read with ``git
        ls-tree`` and its blobs with ``git cat-file --batch`` (git-cat-file(1)), as
        stored, but those a checkout converts, as it writes them (:meth:`_as_checked_out`),
        written with :mod:`tarfile` in git-archive(1)'s layout (a pax global
        header whose comment is the commit, then the entries in git's order)."""
        import fcntl
        import gzip
        import tarfile

        # No file name and no time in the gzip header, as git archive (gzip -n) writes
        # it: never the temporary file's name (RFC 1952, FNAME).
        with open(temp, "xb") as raw:
            # held while it is written: a later export's sweep leaves it alone
            fcntl.flock(raw.fileno(), fcntl.LOCK_EX)  # (_discard_killed_exports)
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed, \
                    tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT,
                                 pax_headers={"comment": commit}, encoding="utf-8",
                                 errors="surrogateescape", tarinfo=_git_tar_info()) as out:
                where = {path: (folder, link) for folder, link, path in modules}
                self._tar_tree(out, self.top, self._env, commit, prefix + "/", "", where)

    def _tar_tree(self, out: tarfile.TarFile, repo: Path, env: dict[str, str], commit: str,
                  prefix: str, above: str, modules: dict[str, tuple[Path, str]]) -> None:
        """Write the tree of ``commit`` (of the repository at ``repo``) into the tar
        ``out`` under ``prefix`` (ending in ``/``); a submodule (``above``: this
        repository's path from the top) as its folder, with its commit's files."""
        import subprocess
        import tarfile
        import threading

        when = int(self._spawn("show", "-s", "--format=%ct", commit, cwd=repo,
                               env=env).wait().strip() or 0)

        def entry(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
            info = out.tarinfo(name)  # (_git_tar_info: names as git archive writes them)
            info.type, info.mode, info.size, info.mtime = kind, mode, size, when
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            return info

        if not above:
            out.addfile(entry(prefix.rstrip("/"), tarfile.DIRTYPE, 0o775))
        listed = self._spawn("ls-tree", "-r", "-t", "-z", "--full-tree", commit, cwd=repo,
                             env=env).wait()
        items = []
        for item in listed.split(b"\0"):
            if not item:
                continue
            info, _, raw = item.partition(b"\t")
            mode, kind, oid = info.decode().split(" ")
            items.append((mode, kind, oid, _s(raw)))
        # (the bytes a checkout writes, for the files git converts: issue 14,
        # twenty-first round)
        converted, staging = self._as_checked_out(
            repo, env, commit, [path for mode, kind, _, path in items
                                if kind == "blob" and mode != "120000"])
        blobs = [oid for _, kind, oid, path in items if kind == "blob" and
                 path not in converted]
        batch = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
        assert batch.stdin is not None and batch.stdout is not None

        def ask() -> None:
            try:
                batch.stdin.write(b"".join(oid.encode() + b"\n" for oid in blobs))
                batch.stdin.close()
            except OSError:
                pass  # (git stopped: told below)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        try:
            for mode, kind, oid, path in items:
                name = prefix + path
                if kind == "tree":
                    out.addfile(entry(name, tarfile.DIRTYPE, 0o775))
                elif kind == "commit":  # a submodule: its folder, then its files
                    out.addfile(entry(name, tarfile.DIRTYPE, 0o775))
                    folder, link = modules[above + path]
                    sub = {k: v for k, v in env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
                    self._tar_tree(out, folder, sub, link, name + "/", above + path + "/",
                                   modules)
                elif path in converted:  # (as a checkout writes it: filters, line ends)
                    with open(converted[path], "rb") as data:
                        out.addfile(entry(name, tarfile.REGTYPE,
                                          0o775 if mode == "100755" else 0o664,
                                          os.fstat(data.fileno()).st_size), data)
                else:
                    head = batch.stdout.readline().split()
                    if len(head) != 3 or head[0].decode() != oid:
                        raise GitFailed("cat-file", f"cannot read {path} ({oid}) in {repo}")
                    size = int(head[2])
                    if mode == "120000":
                        info = entry(name, tarfile.SYMTYPE, 0o777)
                        info.linkname = _s(batch.stdout.read(size))
                        out.addfile(info)
                    else:
                        out.addfile(entry(name, tarfile.REGTYPE,
                                          0o775 if mode == "100755" else 0o664, size),
                                    batch.stdout)
                    batch.stdout.read(1)  # (the line break after each object)
        finally:
            batch.stdout.close()
            batch.wait()
            asking.join()
            if staging is not None:
                _discard(staging)
                _discard(_path(f"{staging}.idx"))

    def _as_checked_out(self, repo: Path, env: dict[str, str], commit: str,
                        paths: list[str]) -> tuple[dict[str, Path], Path | None]:
        """The regular files among ``paths`` of the tree of ``commit`` (in the repository
        at ``repo``) whose bytes a checkout converts (gitattributes(5): a ``filter``'s
        smudge, ``text``/``eol``/``crlf`` line endings, ``ident``,
        ``working-tree-encoding``, by the commit's own ``.gitattributes``, read from a
        temporary index of its tree, ``git check-attr --cached``; every file when
        ``core.autocrlf`` is true), each written as a checkout writes it (``git
        checkout-index --prefix``, git-checkout-index(1), on that index) into a folder of
        the git folder: ``(path: where its bytes are, that folder)``; ``({}, None)`` when
        none is converted. The caller removes the folder (a killed run's is removed by
        the next run: :meth:`_temp_index`). So an export gives the bytes a restore into a
        new worktree gives (issue 14, twenty-first round: a file with ``eol=crlf`` came
        out with LF endings). Raises :class:`~ai_protocols.errors.GitFailed` (a filter
        that fails, as the checkout would)."""
        if not paths:
            return {}, None
        self._exports += 1
        staging = _path(f"{self._temp_index()}.export{self._exports}")
        index = _path(f"{staging}.idx")
        _discard(staging)
        _discard(index)
        ienv = temp_index_env(env, str(index))
        self._spawn("read-tree", commit, cwd=repo, env=ienv).wait()
        crlf = self._spawn("config", "core.autocrlf", cwd=repo, env=env).wait(
            ok=(0, 1)).strip().lower() in (b"true", b"yes", b"on", b"1")
        if crlf:
            chosen = list(paths)
        else:
            out = self._spawn("check-attr", "--cached", "-z", "--stdin", *_CONVERTING,
                              cwd=repo, env=ienv,
                              stdin=b"".join(_b(p) + b"\0" for p in paths)).wait()
            fields = out.split(b"\0")
            chosen = list(dict.fromkeys(
                _s(path) for path, _, value in zip(fields[0::3], fields[1::3],
                                                   fields[2::3], strict=False)
                if path and value not in (b"unspecified", b"unset")))
        if not chosen:
            _discard(index)
            return {}, None
        os.makedirs(staging)
        try:
            self._spawn(*_NO_HOOKS, "checkout-index", f"--prefix={staging}/", "-z", "--stdin",
                        cwd=repo, env=ienv,
                        stdin=b"".join(_b(p) + b"\0" for p in chosen)).wait()
        except GitFailed:
            _discard(staging)
            _discard(index)
            raise
        return {p: staging / p for p in chosen}, staging

