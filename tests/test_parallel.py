"""annoformat.parallel: core counting, the jobs setting, ordered results from a real pool."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from annoformat import parallel
from annoformat.parallel import cgroup_cpus, jobs, map_ordered, usable_cores, use_jobs


def _pid_and_square(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


def _inner_jobs(_: int) -> int:
    return jobs()


def _fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("three")
    return value


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpus(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpus(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    folder = tmp_path / "cpu"
    folder.mkdir()
    (folder / "cpu.cfs_quota_us").write_text("200000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpus(tmp_path) == 2.0
    (folder / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpus(tmp_path) is None
    assert cgroup_cpus(tmp_path / "absent") is None


def test_usable_cores_is_the_affinity_capped_by_the_quota(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    assert usable_cores() <= affinity
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a core: still one process
    monkeypatch.setattr(parallel, "_CGROUP", tmp_path)
    monkeypatch.setattr(parallel.cgroup_cpus, "__defaults__", (tmp_path,))
    assert usable_cores() == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cores() == affinity


def test_jobs_defaults_to_usable_cores_and_use_jobs_nests() -> None:
    assert jobs() == usable_cores()
    with use_jobs(3):
        assert jobs() == 3
        with use_jobs(1):
            assert jobs() == 1
        assert jobs() == 3
    assert jobs() == usable_cores()
    with pytest.raises(ValueError, match="at least 1"), use_jobs(0):
        pass


def test_one_job_runs_in_this_process() -> None:
    with use_jobs(1, min_items=1):
        out = list(map_ordered(_pid_and_square, range(5)))
    assert out == [(os.getpid(), v * v) for v in range(5)]


def test_two_jobs_use_other_processes_and_keep_the_order() -> None:
    values = list(range(1000))
    with use_jobs(2, min_items=1):
        out = list(map_ordered(_pid_and_square, values, chunksize=7))
    assert [square for _, square in out] == [v * v for v in values]
    pids = {pid for pid, _ in out}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2  # (one worker may take every chunk of such quick work)


def test_few_items_stay_in_this_process() -> None:
    with use_jobs(2):  # fewer than MIN_ITEMS: a pool would cost more than it saves
        out = list(map_ordered(_pid_and_square, range(parallel.MIN_ITEMS - 1)))
    assert {pid for pid, _ in out} == {os.getpid()}


def test_workers_do_not_start_pools_of_their_own() -> None:
    with use_jobs(2, min_items=1):
        assert set(map_ordered(_inner_jobs, range(50))) == {1}


def test_a_worker_error_reaches_the_caller() -> None:
    with use_jobs(2, min_items=1), pytest.raises(ValueError, match="three"):
        list(map_ordered(_fail_on_three, range(10)))


def _signals(_: int) -> tuple[Any, Any]:
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def _raise_terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("shared", [False, True])
def test_workers_leave_sigterm_and_ctrl_c_to_the_parent(shared: bool) -> None:
    """The CLI's SIGTERM handler (it raises, to unwind) is not a forked worker's: the pool's
    terminate ends a worker at once, where running Python could wait on a lock another thread
    of the parent held at the fork (seen: a test run hung in Pool.join)."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with use_jobs(2, min_items=1):
            got = (set(parallel.map_shared(_shared_signals, None, range(20))) if shared
                   else set(map_ordered(_signals, range(20))))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert got == {(signal.SIG_DFL, signal.SIG_IGN)}


def _shared_signals(_shared: Any, item: int) -> tuple[Any, Any]:
    return _signals(item)
