"""What real processes do to a write: a move the OS refuses, two writers racing, SIGKILL at
random points of a large write, and a crash between any two file-system steps.

After each, the destination is the old output or the new one, complete (compared file by file
with outputs made by uninterrupted runs), and the next run succeeds.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import annoformat as af
from annoformat import _output

from conftest import FIXTURES, ROOT

MINIMAL = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
CLI = [sys.executable, "-m", "annoformat"]


@pytest.fixture(autouse=True)
def _flushed(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests kill and crash real writes: they flush to disk as a user's run does (the
    suite's conftest turns flushing off)."""
    monkeypatch.setenv("ANNOFORMAT_FSYNC", "1")


def _snapshot(root: Path) -> dict[str, bytes]:
    if not (root.exists() or root.is_symlink()):
        return {}
    if root.is_file():
        return {"": root.read_bytes()}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _generated(tmp: Path, annotations: int, seed: int = 1, images: int | None = None) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate_coco
    finally:
        sys.path.pop(0)
    path = tmp / f"gen-{annotations}-{seed}.json"
    generate_coco.generate(path, images or max(annotations // 7, 1), annotations, seed)
    return path


def _reference(src: Path, tmp: Path, name: str, to: str = "yolo",
               **kw: Any) -> dict[str, bytes]:
    out = tmp / f"reference-{name}" if to != "coco" else tmp / f"reference-{name}.json"
    result = af.convert(src, out, to=to, media="none", allow_loss=True, **kw)
    assert result.written, result.report.codes()
    snap = _snapshot(out)
    shutil.rmtree(out) if out.is_dir() else out.unlink()
    return snap


def _leftovers(folder: Path, dest: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{dest.name}."))


def test_a_move_the_os_refuses_is_a_failed_write_in_a_real_process(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    dest.write_text("old")
    # the OS calls that move an output into place fail as on a busy mount point
    script = (
        "import errno, os, sys\n"
        "from annoformat import _output\n"
        "def busy(*a, **k):\n"
        "    raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))\n"
        "_output._renameat2 = busy\n"
        "os.replace = busy\n"
        "from annoformat.cli import main\n"
        "sys.argv = ['annoformat'] + sys.argv[1:]\n"
        "main()\n")
    proc = subprocess.run([sys.executable, "-c", script, "convert", str(MINIMAL), str(dest),
                           "--to", "coco", "--overwrite"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert f"{dest}: AF015 write-failed: could not write {dest}: " \
           f"{os.strerror(16)}" in proc.stderr + proc.stdout
    assert "written to" not in proc.stderr + proc.stdout
    assert "NOT written" in proc.stderr + proc.stdout
    assert dest.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_two_concurrent_conversions_to_one_destination_exactly_one_wins(tmp_path: Path) -> None:
    src = _generated(tmp_path, 20_000)
    expected = _reference(src, tmp_path, "new")
    for attempt in range(3):
        dest = tmp_path / f"out{attempt}"
        args = [*CLI, "convert", str(src), str(dest), "--to", "yolo", "--media", "none",
                "--allow-loss"]
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        codes = sorted(p.returncode for p in procs)
        assert codes == [0, 1], outs
        loser = outs[[p.returncode for p in procs].index(1)]
        assert ("AF062" in loser[1]) or ("AF013" in loser[1]), loser
        assert _snapshot(dest) == expected
        assert _leftovers(tmp_path, dest) == []


@pytest.mark.parametrize("to", ["yolo", "coco", "voc"])
def test_sigkill_at_random_points_leaves_the_old_or_the_new_output(tmp_path: Path,
                                                                   to: str) -> None:
    # with the default jobs (every usable core) each writer runs its pool of forked workers
    old_src, new_src = _generated(tmp_path, 2_000, seed=1), _generated(tmp_path, 30_000, seed=2)
    old, new = (_reference(old_src, tmp_path, "old", to),
                _reference(new_src, tmp_path, "new", to))
    dest = tmp_path / ("out.json" if to == "coco" else "out")

    def write_old(**kw: Any) -> None:
        result = af.convert(old_src, dest, to=to, media="none", allow_loss=True, **kw)
        assert result.written, result.report.codes()

    def remove() -> None:
        shutil.rmtree(dest) if dest.is_dir() else dest.unlink()

    write_old()
    args = [*CLI, "convert", str(new_src), str(dest), "--to", to, "--media", "none",
            "--allow-loss", "--overwrite"]
    start = time.monotonic()
    subprocess.run(args, check=True, capture_output=True, timeout=600)
    full = time.monotonic() - start
    remove()
    write_old()
    rng = random.Random(13)
    outcomes = []
    for _ in range(5):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        snap = _snapshot(dest)
        assert snap in (old, new), f"killed after part of {full:.1f}s: a mixed destination"
        outcomes.append("new" if snap == new else "old")
        # the next run removes what the killed one left and succeeds, at once
        write_old(overwrite=True)
        assert _snapshot(dest) == old
        assert _leftovers(tmp_path, dest) == []
    assert "old" in outcomes  # at least one kill landed before the move


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (an unreaped zombie is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:  # (a thread may end between the listing and the read)
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, /proc and flock: Linux")
def test_a_child_forked_while_the_lock_is_held_does_not_hold_it_after_its_parent(
        tmp_path: Path) -> None:
    # a pool worker can outlive its SIGKILLed parent by a moment; the lock must end with the
    # parent, or the next run is refused (AF062) though nobody is writing
    dest = tmp_path / "out.json"
    script = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from annoformat import _output\n"
        "from annoformat.diagnostics import Report\n"
        "with _output.staged_output(Path(sys.argv[1]), Report()):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    print(child, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(dest)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    proc.wait(timeout=60)
    try:
        assert proc.returncode == -signal.SIGKILL
        assert _alive(child)
        result = af.convert(MINIMAL, dest, to="coco")
        assert result.written, result.report.codes()
        assert _alive(child)  # it was still there: the lock ended with the parent
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG: Linux")
def test_pool_workers_end_with_a_killed_parent(tmp_path: Path) -> None:
    script = (
        "import time\n"
        "from annoformat import parallel\n"
        "with parallel.use_jobs(2, min_items=1):\n"
        "    list(parallel.map_ordered(time.sleep, [60, 60]))\n")
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        workers = _children(proc.pid)
    assert len(workers) == 2
    time.sleep(0.2)  # past the workers' initializer
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert left == []


# the steps of a write that touch the file system, as the OS sees them
_STEPS = [(os, "mkdir"), (os, "open"), (os, "fsync"), (os, "replace"), (os, "rename"),
          (os, "link"), (os, "unlink"), (os, "rmdir"), (_output, "_renameat2"),
          (shutil, "rmtree")]


def _crash_at(n: int, run: Callable[[], Any]) -> int:
    """Run ``run`` in a forked child that dies (``os._exit``) at its ``n``-th file-system
    step; the child's exit status (137: crashed, 0: finished first)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        count = [0]

        def counting(func: Callable[..., Any]) -> Callable[..., Any]:
            def step(*a: Any, **k: Any) -> Any:
                count[0] += 1
                if count[0] == n:
                    os._exit(137)
                return func(*a, **k)
            return step

        for module, name in _STEPS:
            setattr(module, name, counting(getattr(module, name)))
        try:
            run()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("target", ["coco", "yolo"])
def test_a_crash_between_any_two_file_system_steps(tmp_path: Path, target: str) -> None:
    dest = tmp_path / ("out.json" if target == "coco" else "out")
    other = FIXTURES / "coco" / "good" / "rle-and-attributes" / "annotations.json"
    old_src, new_src = MINIMAL, other
    kw: dict[str, Any] = {"to": target, "allow_loss": True}
    if target == "yolo":
        kw["media"] = "none"

    def write(src: Path) -> None:
        assert af.convert(src, dest, overwrite=True, **kw).written

    write(new_src)
    new = _snapshot(dest)
    shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
    write(old_src)
    old = _snapshot(dest)
    assert old != new
    steps = 0
    for n in range(1, 400):
        status = _crash_at(n, lambda: write(new_src))
        snap = _snapshot(dest)
        assert snap in (old, new), f"crash at step {n}: a mixed or missing destination"
        if status == 0:
            break
        steps = n
        write(old_src)  # back to the old output; this run also clears what the crash left
        assert _snapshot(dest) == old and _leftovers(tmp_path, dest) == []
    else:
        pytest.fail("the write never finished")
    assert steps >= 8  # the protocol's steps were all crashed at


def test_a_write_the_os_cuts_short_names_the_destination_and_leaves_nothing(
        tmp_path: Path) -> None:
    # a file-size limit makes the kernel refuse writes past 64 KiB (EFBIG), as a full disk does
    src = _generated(tmp_path, 2_000)
    dest = tmp_path / "new" / "out.json"

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run([*CLI, "convert", str(src), str(dest), "--to", "coco"],
                          capture_output=True, text=True, timeout=300, preexec_fn=limited)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"{dest}: AF015 write-failed: could not write {dest}: File too large" in out
    assert "annoformat-tmp" not in out and "NOT written" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]  # new/ removed too


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_exit_with_their_status_and_leave_nothing(
        tmp_path: Path, sig: signal.Signals, status: int) -> None:
    src = _generated(tmp_path, 25_000, images=20_000)  # 20k label files: a write that lasts
    dest = tmp_path / "out"
    # Ctrl-C's default disposition in the child: a process started with SIGINT ignored (a
    # background job of a non-interactive shell, and so pytest run that way) passes that on,
    # and Python then never raises KeyboardInterrupt: the run went on to exit 0
    proc = subprocess.Popen([*CLI, "convert", str(src), str(dest), "--to", "yolo", "--media",
                             "none", "--allow-loss"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    # into the write: the staging folder exists (a fixed sleep raced the conversion's end on
    # a fast machine, and an output committed before the signal is rightly kept)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.") and p.name.endswith(".annoformat-tmp")
                  for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "never started writing"
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert ("terminated" if sig == signal.SIGTERM else "interrupted") in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


@pytest.mark.parametrize("kind", ["coco", "cvat"])
def test_a_memory_limit_is_a_coded_refusal_never_a_crash(tmp_path: Path, kind: str) -> None:
    # ulimit -v in a real process: orjson (SIGSEGV) and lxml (a hang) cannot survive a failed
    # allocation, so a file that would not fit is refused before parsing, with what it needs
    # and what is left
    if kind == "coco":
        src = _generated(tmp_path, 20_000)
    else:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        try:
            import bench_cvat
        finally:
            sys.path.pop(0)
        src = tmp_path / "big.xml"
        bench_cvat.generate(src, 8_000, 112_000)
    script = (
        "import resource, sys\n"
        "import annoformat.cli\n"
        "from annoformat._io import _status_kib\n"
        "import numpy, pycocotools.mask  # loaded (their threads started) before the limit\n"
        "try:\n"
        "    annoformat.cli.main(['validate', sys.argv[2]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "room = int(sys.argv[3]) * 2**20\n"
        "limit = _status_kib('VmSize') * 1024 + room\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "sys.argv = ['annoformat', 'validate', sys.argv[1]]\n"
        "annoformat.cli.main()\n")
    small = FIXTURES / "coco" / "good" / "minimal" / "annotations.json"
    for room, status in ((120, 1), (1024, 0)):
        proc = subprocess.run([sys.executable, "-c", script, str(src), str(small), str(room)],
                              capture_output=True, text=True, timeout=300)
        out = proc.stdout + proc.stderr
        assert proc.returncode == status, out
        assert "Traceback" not in out
        if status:
            assert f"{src}: AF905 out-of-memory: {src}: ran out of memory while reading it " \
                   "(it needs about" in out
