"""Per-file work on every usable core, with results in input order.

Readers and writers of per-file formats keep the work on one file in a module-level function
(picklable arguments and results) and call :func:`map_ordered` on it. With ``jobs() > 1`` and
enough items the function runs in a process pool; otherwise in this process. Either way the
results come back in input order, so what is built from them (and written) does not depend on
the number of jobs.

Example:
    >>> from annoformat.parallel import map_ordered, use_jobs
    >>> with use_jobs(2):
    ...     list(map_ordered(abs, [-3, 1, -2]))
    [3, 1, 2]
"""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: below this many items a pool costs more than it saves (start-up, pickling)
MIN_ITEMS = 256

_JOBS: ContextVar[int | None] = ContextVar("annoformat_jobs", default=None)
_MIN_ITEMS: ContextVar[int] = ContextVar("annoformat_min_items", default=MIN_ITEMS)
_CGROUP = Path("/sys/fs/cgroup")
_PR_SET_PDEATHSIG = 1


def cgroup_cpus(root: Path = _CGROUP) -> float | None:
    """The CPU limit a cgroup puts on this process (v2 ``cpu.max``, else v1
    ``cpu.cfs_quota_us / cpu.cfs_period_us``), in cores; None when there is none.

    Example:
        >>> cgroup_cpus(Path("/nonexistent")) is None
        True
    """
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max" and int(period) > 0:
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    for folder in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            v1_quota = int((folder / "cpu.cfs_quota_us").read_text())
            v1_period = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return v1_quota / v1_period if v1_quota > 0 and v1_period > 0 else None
    return None


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup CPU quota
    (rounded up: 1.5 cores of quota still let two processes share the time).

    Example:
        >>> usable_cores() >= 1
        True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    limit = cgroup_cpus()
    if limit is not None:
        cores = min(cores, math.ceil(limit))
    return max(1, cores)


def jobs() -> int:
    """The number of processes per-file work may use: set by :func:`use_jobs`, else
    :func:`usable_cores`.

    Example:
        >>> with use_jobs(1):
        ...     jobs()
        1
    """
    n = _JOBS.get()
    return usable_cores() if n is None else n


@contextmanager
def use_jobs(n: int, *, min_items: int | None = None) -> Iterator[None]:
    """Run the enclosed work with ``n`` processes (1: all in this process). ``min_items``:
    the fewest items worth a pool (default :data:`MIN_ITEMS`; tests set 1 to use the pool on
    small fixtures).

    Example:
        >>> with use_jobs(2):
        ...     jobs()
        2
    """
    if n < 1:
        raise ValueError(f"jobs must be at least 1, got {n}")
    token = _JOBS.set(n)
    limit = _MIN_ITEMS.set(min_items) if min_items is not None else None
    try:
        yield
    finally:
        if limit is not None:
            _MIN_ITEMS.reset(limit)
        _JOBS.reset(token)


def _die_with_parent() -> None:
    # SIGKILL runs no clean-up in the parent: without this its workers would go on with their
    # tasks for nobody (Linux: the kernel sends SIGKILL when the parent ends)
    if sys.platform != "linux":
        return
    import ctypes
    import multiprocessing

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it ended before the prctl
        os._exit(1)


def _worker_init() -> None:
    # a worker does its items itself: no pools inside the pool
    _JOBS.set(1)
    _die_with_parent()
    # the parent owns the signals: Pool.terminate's SIGTERM ends a worker at once (a forked
    # worker inherits the CLI's handler, which unwinds in Python and could wait forever on a
    # lock another thread of the parent held at the fork), and Ctrl-C reaches the parent,
    # which stops the pool, instead of printing a traceback per worker
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def forks() -> bool:
    """Whether pools fork their workers here (Linux): a worker then starts with the parent's
    memory, so work that reads a large object (a whole dataset) need not send it.

    Example:
        >>> forks() == sys.platform.startswith("linux")
        True
    """
    return sys.platform == "linux"


def _context() -> Any:
    # fork: workers start in milliseconds with the parent's modules already imported (spawn
    # would import annoformat again in each); only where fork is the platform's own way.
    # (multiprocessing is imported here: only work that uses a pool pays its import)
    import multiprocessing

    if forks():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def map_ordered(fn: Callable[[T], R], items: Iterable[T], *,
                chunksize: int | None = None) -> Iterator[R]:
    """``fn`` of each item, in input order: in a pool of :func:`jobs` processes when that is
    more than 1 and there are at least ``min_items`` items, else here. ``fn`` must be a
    module-level function with picklable arguments and results.

    Example:
        >>> list(map_ordered(str, [1, 2]))
        ['1', '2']
    """
    n = jobs()
    if n <= 1:
        return map(fn, items)
    listed = items if isinstance(items, (list, tuple)) else list(items)
    if len(listed) < max(1, _MIN_ITEMS.get()):
        return map(fn, listed)
    return _pooled(fn, listed, n, chunksize)


def _pooled(fn: Callable[[T], R], items: list[T] | tuple[T, ...], n: int,
            chunksize: int | None, init: Callable[..., None] = _worker_init,
            initargs: tuple[Any, ...] = ()) -> Iterator[R]:
    workers = min(n, len(items))
    if chunksize is None:  # a few chunks per worker keep them all busy to the end
        chunksize = max(1, min(512, len(items) // (workers * 8)))
    pool = _context().Pool(workers, initializer=init, initargs=initargs)
    try:
        yield from pool.imap(fn, items, chunksize)
        pool.close()
        pool.join()
    finally:
        pool.terminate()  # (also when the consumer stops early or fails)


S = TypeVar("S")

#: what :func:`map_shared`'s workers read: set once per worker by its initializer
_SHARED: list[Any] = []


def _shared_init(shared: Any) -> None:
    _worker_init()
    _SHARED[:] = [shared]


def _call_shared(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = task
    return fn(_SHARED[0], item)


def map_shared(fn: Callable[[S, T], R], shared: S, items: Iterable[T], *,
               chunksize: int | None = None) -> Iterator[R]:
    """``fn(shared, item)`` of each item, in input order, as :func:`map_ordered`, for work
    that reads one large object (the two datasets ``compare`` pairs items of): ``shared``
    reaches each worker once (inherited where processes fork, pickled once per worker
    elsewhere) and only the items travel with each task.

    Example:
        >>> with use_jobs(2, min_items=1):
        ...     list(map_shared(divmod, 7, [2, 3]))
        [(3, 1), (2, 1)]
    """
    n = jobs()
    listed = items if isinstance(items, (list, tuple)) else list(items)
    if n <= 1 or len(listed) < max(1, _MIN_ITEMS.get()):
        return (fn(shared, item) for item in listed)
    tasks: list[tuple[Callable[[S, T], R], T]] = [(fn, item) for item in listed]
    return _pooled(_call_shared, tasks, n, chunksize, _shared_init, (shared,))


def map_inherited(fn: Callable[[S, T], R], shared: S, items: Iterable[T], *,
                  min_items: int) -> Iterator[R]:
    """:func:`map_shared` where pools fork (:func:`forks`: each worker reads ``shared`` as
    it inherited it, nothing of it pickled), worth a pool from ``min_items`` items; elsewhere
    in this process, where a spawned worker would be sent ``shared`` whole (a dataset).

    Example:
        >>> with use_jobs(2):
        ...     list(map_inherited(divmod, 7, [2, 3], min_items=1))
        [(3, 1), (2, 1)]
    """
    if not forks():
        return (fn(shared, item) for item in items)
    with use_jobs(jobs(), min_items=min_items):
        return map_shared(fn, shared, items)
