"""Atomic, exclusive output: a destination is always the old one or the new one, complete.

Every write goes through :func:`staged_output`:

1. the destination is checked (AF013 exists, AF014 is the source, AF063 not ours to replace);
2. missing parent folders are made (and removed again if the write fails);
3. an exclusive lock beside the destination (``.<name>.annoformat-lock``, ``flock``) makes a
   second annoformat process writing there fail at once (AF062); the kernel drops the lock when
   a process dies, so a killed run never blocks the next one;
4. staging folders left by killed runs for this destination are removed (AF064);
5. the writer writes into a fresh staging folder beside the destination (same file system);
6. every staged file and folder is ``fsync``-ed, then the output is moved into place in one
   step: ``renameat2(RENAME_NOREPLACE)`` for a new destination (a file or folder someone else
   created meanwhile is never replaced), ``rename`` over an existing file, and
   ``renameat2(RENAME_EXCHANGE)`` to swap an existing folder with the new one; the parent
   folder is ``fsync``-ed after the move.

Where the kernel or file system lacks ``renameat2`` the fallbacks are ``link`` + ``unlink``
(files) and a two-step rename with roll-back (folders), which leaves a short window in which a
crash can leave the destination absent; the old content is then kept in the staging folder.

Example:
    >>> import tempfile, pathlib
    >>> from annoformat.diagnostics import Report
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with staged_output(dest, Report()) as staging:
    ...     _ = staging.path.write_text("hello")
    >>> staging.committed, dest.read_text()
    (True, 'hello')
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annoformat.diagnostics import Report

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, the no-replace move still guards
    fcntl = None  # type: ignore[assignment]

#: folders a destination may hold that annoformat never replaces, whatever the flags
VCS_FOLDERS = (".git", ".hg", ".svn", ".bzr", "_darcs", ".jj")
_SUFFIX = ".annoformat-tmp"
_LOCK = ".annoformat-lock"
_AT_FDCWD = -100
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


@dataclass
class Staging:
    """Where the writer writes (``path``), and whether it was moved into place."""

    path: Path
    committed: bool = False


def check_destination(dest: Path, report: Report, *, overwrite: bool) -> bool:
    """The checks that need nothing but the destination (AF013, AF063); run before reading."""
    if not (dest.exists() or dest.is_symlink()):
        return True
    if dest.is_dir() and not dest.is_symlink():
        names = _entries(dest)
        if not names:  # an empty folder holds nothing to lose
            return True
        vcs = sorted(n for n in names if n in VCS_FOLDERS)
        if vcs:
            report.add("AF063", path=str(dest), entries=", ".join(vcs),
                       reason="it is a version-controlled folder")
            return False
    if not overwrite:
        report.add("AF013", path=str(dest))
        return False
    return True


@contextlib.contextmanager
def staged_output(dest: Path, report: Report, *, overwrite: bool = False,
                  sources: Iterable[Path] = ()) -> Iterator[Staging | None]:
    """Yield a :class:`Staging` to write ``dest``'s new content to; move it into place after.

    Yields None (with the reason recorded) when ``dest`` must not be written. The output is
    moved only when the body recorded no error and wrote ``staging.path``; ``committed`` says
    whether it was, and is the only answer to "was it written". Whatever happens, the staging
    folder, the lock and parent folders made for a failed write are removed.
    """
    dest = Path(dest)
    for src in sources:
        if _same_or_inside(Path(src), dest):
            report.add("AF014", path=str(dest))
            yield None
            return
    if not check_destination(dest, report, overwrite=overwrite):
        yield None
        return
    parent = dest.parent if str(dest.parent) else Path(".")
    made: list[Path] = []
    staging: Staging | None = None
    try:
        made = _missing_parents(parent)
        with _locked(dest, parent, report) as locked:
            if locked:
                _remove_stale(dest, parent, report)
                # the name is chosen before the folder is made and the folder made inside the
                # try: a Ctrl-C landing just after the mkdir still reaches the finally below
                tmp_root = _staging_name(dest, parent)
                since = len(report.diagnostics)
                try:
                    os.mkdir(tmp_root, 0o700)
                    staging = Staging(tmp_root / dest.name)
                    errors_before = report.counts["error"]
                    yield staging
                    if report.counts["error"] == errors_before and _lexists(staging.path):
                        _commit(staging.path, dest, tmp_root, report, overwrite=overwrite)
                        staging.committed = report.counts["error"] == errors_before
                finally:
                    # whatever the writer said about its files names the destination, never
                    # the hidden staging folder (also when it stopped half-way)
                    report.relocate(str(tmp_root / dest.name), str(dest), since=since)
                    shutil.rmtree(tmp_root, ignore_errors=True)
            else:
                yield None
    except OSError as exc:
        report.add("AF015", path=str(dest), reason=_reason(exc))
        if staging is None:
            yield None  # the failure came before the body ran; a generator must yield once
    finally:
        if staging is None or not staging.committed:
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _reason(exc: OSError) -> str:
    """The OS's reason without the (hidden, temporary) staging path in it."""
    return exc.strerror or type(exc).__name__


def _lexists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _missing_parents(parent: Path) -> list[Path]:
    """Make ``parent`` and return the folders that did not exist, outermost first."""
    missing = []
    p = parent.absolute()
    while not p.exists():
        missing.append(p)
        p = p.parent
    parent.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


#: the lock descriptors this process holds, closed in each child it forks (a pool worker)
_HELD_LOCKS: set[int] = set()


def _drop_inherited_locks() -> None:
    # flock belongs to the open file, which a fork shares: a worker that outlived its killed
    # parent by a moment would hold the destination locked against the next run (AF062).
    # Closing the child's copy leaves the parent's lock held; LOCK_UN here would release it.
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextlib.contextmanager
def _locked(dest: Path, parent: Path, report: Report) -> Iterator[bool]:
    """Hold ``.<name>.annoformat-lock`` beside ``dest`` exclusively (False: AF062 recorded)."""
    if fcntl is None:  # pragma: no cover
        yield True
        return
    lock = parent / f".{dest.name}{_LOCK}"
    fd: int | None = None
    held = False
    owner = os.getpid()
    try:
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                fd = None
                report.add("AF062", path=str(dest), reason=f"{lock} is locked by another "
                           "process")
                yield False
                return
            held = True
            # the holder before us may have removed the file between our open and our lock
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
            fd, held = None, False
        os.write(fd, f"{owner}\n".encode())
        _HELD_LOCKS.add(fd)
        try:
            yield True
        finally:
            _HELD_LOCKS.discard(fd)
    finally:
        # also when Ctrl-C or SIGTERM lands while the lock is being taken: a lock file that
        # nobody holds is removed (one that another process holds is left to it); a forked
        # child that unwinds through here leaves the lock to its parent
        if fd is not None and os.getpid() == owner:
            if not held:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = True
            if held:
                with contextlib.suppress(OSError):
                    if os.path.samestat(os.fstat(fd), os.stat(lock)):
                        os.unlink(lock)
            os.close(fd)


def _staging_name(dest: Path, parent: Path) -> Path:
    """A free ``.<name>.<8 characters>.annoformat-tmp`` beside ``dest`` (we hold the lock)."""
    while True:
        path = parent / f".{dest.name}.{secrets.token_hex(4)}{_SUFFIX}"
        if not _lexists(path):
            return path


def _remove_stale(dest: Path, parent: Path, report: Report) -> None:
    """Staging folders for ``dest`` left by killed runs (we hold the lock: none is live)."""
    pattern = re.compile(rf"\.{re.escape(dest.name)}\.[a-z0-9_]{{8}}{re.escape(_SUFFIX)}")
    stale = [n for n in _entries(parent) if pattern.fullmatch(n)]
    for name in stale:
        if (parent / name).is_dir():
            shutil.rmtree(parent / name, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                (parent / name).unlink()
    if stale:
        report.add("AF064", path=str(dest), count=len(stale), folders=", ".join(stale))


def _same_or_inside(src: Path, dest: Path) -> bool:
    if not dest.exists() or not src.exists():
        return False
    try:
        if os.path.samefile(src, dest):
            return True
    except OSError:
        return False
    # writing a folder over a folder that contains the source would also destroy it
    return dest.is_dir() and src.resolve().is_relative_to(dest.resolve())


def _in_the_way(staged: Path, dest: Path) -> list[str]:
    """What in ``dest`` the new output would replace without having written it before: a
    folder may be replaced only by a folder whose top-level names include all of its own."""
    if not dest.is_dir() or dest.is_symlink():
        return [dest.name] if staged.is_dir() else []
    old = _entries(dest)
    if not old:
        return []
    new = set(_entries(staged)) if staged.is_dir() else set()
    return [n for n in old if n not in new or n in VCS_FOLDERS]


def _commit(staged: Path, dest: Path, tmp_root: Path, report: Report, *,
            overwrite: bool) -> None:
    """Make ``staged`` durable and move it to ``dest`` in one step (see the module doc)."""
    _fsync_tree(staged)
    if _lexists(dest):
        if not overwrite and not (dest.is_dir() and not _entries(dest)):
            report.add("AF062", path=str(dest),  # it appeared while we were writing
                       reason="it was created by someone else while this output was written")
            return
        blocking = _in_the_way(staged, dest)
        if blocking:
            report.add("AF063", path=str(dest), entries=", ".join(blocking[:10])
                       + (f" and {len(blocking) - 10} more" if len(blocking) > 10 else ""),
                       reason="the new output does not hold them, so replacing the folder "
                              "would delete them")
            return
        if staged.is_dir() or dest.is_dir():
            _exchange(staged, dest, tmp_root)
        else:
            os.replace(staged, dest)
    else:
        try:
            _rename_noreplace(staged, dest)
        except FileExistsError:
            report.add("AF062", path=str(dest),
                       reason="it was created by someone else while this output was written")
            return
    _fsync_dir(dest.parent if str(dest.parent) else Path("."))


def durable() -> bool:
    """Whether outputs are flushed to disk before they are moved into place: yes, unless the
    environment says ``ANNOFORMAT_FSYNC=0`` (a scratch disk; the test suite, whose thousands
    of small writes waited on a slow CI disk's flushes for most of an hour). The move stays
    atomic either way: without the flush only a power cut, not a crash, can lose the output.

    Example:
        >>> durable() in (True, False)
        True
    """
    return os.environ.get("ANNOFORMAT_FSYNC", "1").strip().lower() not in {"0", "no", "false"}


def _fsync_tree(root: Path) -> None:
    """Make everything under ``root`` durable before it is moved into place.

    A file: its fsync. A folder: one ``syncfs`` of its file system where Linux has it (the
    per-file fsyncs cost about 0.2 ms a file, +48% on a 5,000-file YOLO write; ``syncfs``
    flushes the same data in one call, see benchmarks/bench_fsync.py), else an fsync of every
    file and folder (links and symlinks are not followed).
    """
    if not durable():
        return
    if not root.is_dir() or root.is_symlink():
        _fsync_file(root)
        _fsync_dir(root.parent)
        return
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is not None:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            _fsync_file(Path(folder, name))
        _fsync_dir(Path(folder))
    _fsync_dir(root.parent)


def _fsync_file(path: Path) -> None:
    if path.is_symlink():
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if not durable():
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _renameat2(src: Path, dst: Path, flags: int) -> None:
    """``renameat2(2)``; NotImplementedError where libc or the file system lacks it."""
    func = getattr(_libc(), "renameat2", None)
    if func is None:
        raise NotImplementedError
    if func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        raise NotImplementedError
    raise OSError(err, os.strerror(err), str(dst))


_LIBC: list[ctypes.CDLL] = []


def _libc() -> ctypes.CDLL:
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _rename_noreplace(src: Path, dst: Path) -> None:
    try:
        _renameat2(src, dst, _RENAME_NOREPLACE)
        return
    except NotImplementedError:
        pass
    if src.is_dir() and not src.is_symlink():
        if _lexists(dst):
            raise FileExistsError(errno.EEXIST, "exists", str(dst))
        os.rename(src, dst)  # a folder is never renamed over a non-empty one
    else:
        os.link(src, dst, follow_symlinks=False)  # fails with EEXIST: never replaces
        os.unlink(src)


def _exchange(staged: Path, dest: Path, tmp_root: Path) -> None:
    try:
        _renameat2(staged, dest, _RENAME_EXCHANGE)  # the old output is now at ``staged``
        return
    except NotImplementedError:
        pass
    old = tmp_root / ".previous"
    os.replace(dest, old)
    try:
        os.replace(staged, dest)
    except OSError:
        os.replace(old, dest)
        raise
