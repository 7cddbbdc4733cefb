"""Atomic, exclusive output (annoformat._output), in process: moves, locks, refusals, clean-up.

What real processes do to it (killed, crashed between two steps, racing) is in
tests/test_output_processes.py.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from annoformat import _output
from annoformat._output import staged_output
from annoformat.diagnostics import Report


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _write_folder(dest: Path, report: Report, files: dict[str, str], *,
                  overwrite: bool = False) -> _output.Staging | None:
    with staged_output(dest, report, overwrite=overwrite) as staging:
        if staging is not None:
            for name, text in files.items():
                (staging.path / name).parent.mkdir(parents=True, exist_ok=True)
                (staging.path / name).write_text(text)
    return staging


def test_moves_only_on_success(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    report = Report()
    with pytest.raises(RuntimeError), staged_output(dest, report) as staging:
        assert staging is not None
        staging.path.write_text("half")
        raise RuntimeError("writer crashed")
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # the staging folder and the lock are gone too
    assert not staging.committed


def test_keeps_old_destination_when_errors_are_recorded(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "new.txt").write_text("old")
    report = Report()
    with staged_output(dest, report, overwrite=True) as staging:
        assert staging is not None
        staging.path.mkdir()
        (staging.path / "new.txt").write_text("new")
        report.add("AF102", format="x", reason="invalid output")
    assert _tree(dest) == {"new.txt": "old"} and not staging.committed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_replaces_a_former_output_whole(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    _write_folder(dest, Report(), {"labels/a.txt": "old", "labels/gone.txt": "old",
                                   "data.yaml": "old"})
    staging = _write_folder(dest, Report(), {"labels/a.txt": "new", "data.yaml": "new"},
                            overwrite=True)
    assert staging is not None and staging.committed
    assert _tree(dest) == {"data.yaml": "new", "labels/a.txt": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_replaces_a_file_in_one_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "out.json"
    dest.write_text("old")
    calls: list[tuple[str, str]] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append((Path(a).name, Path(b).name)),
                                                     real(a, b))[1])
    with staged_output(dest, Report(), overwrite=True) as staging:
        assert staging is not None
        staging.path.write_text("new")
    assert dest.read_text() == "new" and staging.committed
    assert calls == [("out.json", "out.json")]  # staged -> destination, nothing else


def test_refuses_source_inside_destination(tmp_path: Path) -> None:
    dest = tmp_path / "ds"
    (dest / "annotations").mkdir(parents=True)
    src = dest / "annotations" / "a.json"
    src.write_text("{}")
    report = Report()
    with staged_output(dest, report, overwrite=True, sources=[src]) as staging:
        assert staging is None
    assert report.codes() == ["AF014"] and src.read_text() == "{}"


def test_overwrite_never_replaces_a_version_controlled_folder(tmp_path: Path) -> None:
    dest = tmp_path / "myproject"
    (dest / ".git").mkdir(parents=True)
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "src").mkdir()
    report = Report()
    assert _write_folder(dest, report, {"data.yaml": "x"}, overwrite=True) is None
    [diag] = report.diagnostics
    assert diag.code == "AF063" and diag.location.path == str(dest)
    assert "(.git)" in diag.message and "version-controlled" in diag.message
    assert (dest / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_overwrite_refuses_a_folder_holding_what_the_output_does_not_write(
        tmp_path: Path) -> None:
    dest = tmp_path / "work"
    dest.mkdir()
    for name in ("data.yaml", "notes.md", "train.py"):
        (dest / name).write_text("mine")
    report = Report()
    staging = _write_folder(dest, report, {"data.yaml": "new", "labels/a.txt": "1"},
                            overwrite=True)
    assert staging is not None and not staging.committed
    [diag] = report.diagnostics
    assert diag.code == "AF063"
    assert "(notes.md, train.py)" in diag.message
    assert _tree(dest) == {"data.yaml": "mine", "notes.md": "mine", "train.py": "mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_folder_is_not_replaced_by_a_file_nor_a_file_by_a_folder(tmp_path: Path) -> None:
    folder, file = tmp_path / "a", tmp_path / "b"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    file.write_text("b")
    report = Report()
    with staged_output(folder, report, overwrite=True) as staging:
        assert staging is not None
        staging.path.write_text("new")
    assert _write_folder(file, report, {"c.txt": "c"}, overwrite=True) is not None
    assert report.codes() == ["AF063", "AF063"]
    assert _tree(folder) == {"x.txt": "x"} and file.read_text() == "b"


def test_an_empty_folder_is_written_into_without_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    staging = _write_folder(dest, Report(), {"a.txt": "a"})
    assert staging is not None and staging.committed and _tree(dest) == {"a.txt": "a"}


def test_parent_folders_made_for_a_failed_write_are_removed(tmp_path: Path) -> None:
    dest = tmp_path / "new" / "deeper" / "out.json"
    report = Report()
    with staged_output(dest, report) as staging:
        assert staging is not None
        staging.path.write_text("x")
        report.add("AF102", format="x", reason="invalid output")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_move_is_an_error_and_keeps_the_old_destination(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "out"
    _write_folder(dest, Report(), {"a.txt": "old"})

    def busy(src: Path, dst: Path, flags: int) -> None:
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(dst))

    monkeypatch.setattr(_output, "_renameat2", busy)
    report = Report()
    staging = _write_folder(dest, report, {"a.txt": "new"}, overwrite=True)
    assert staging is not None and not staging.committed
    [diag] = report.diagnostics
    assert (diag.code, diag.location.path) == ("AF015", str(dest))
    assert diag.message == f"could not write {dest}: {os.strerror(errno.EBUSY)}"
    assert _tree(dest) == {"a.txt": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("folder", [False, True])
def test_without_renameat2_the_fallbacks_move_and_never_replace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: bool) -> None:
    def unsupported(src: Path, dst: Path, flags: int) -> None:
        raise NotImplementedError

    monkeypatch.setattr(_output, "_renameat2", unsupported)
    dest = tmp_path / "out"
    for overwrite, text in ((False, "1"), (True, "2")):
        report = Report()
        with staged_output(dest, report, overwrite=overwrite) as staging:
            assert staging is not None
            if folder:
                staging.path.mkdir()
                (staging.path / "a.txt").write_text(text)
            else:
                staging.path.write_text(text)
            if not overwrite:  # someone else creates it while this output is written
                (dest.mkdir() if folder else dest.write_text("theirs"))
                if folder:
                    (dest / "theirs.txt").write_text("theirs")
        assert report.codes() == (["AF062"] if not overwrite else ["AF063"] if folder else [])
    assert (_tree(dest) == {"theirs.txt": "theirs"}) if folder else dest.read_text() == "2"


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    first, second = Report(), Report()
    with staged_output(dest, first) as staging:
        assert staging is not None
        staging.path.write_text("first")
        with staged_output(dest, second) as other:
            assert other is None
    [diag] = second.diagnostics
    assert diag.code == "AF062" and f".out.json{_output._LOCK}" in diag.message
    assert dest.read_text() == "first" and first.codes() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_stale_staging_folders_are_removed_and_reported(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    for stale in (".out.json.abcd1234.annoformat-tmp", ".out.json.zz_9zz99.annoformat-tmp"):
        (tmp_path / stale / "out.json").mkdir(parents=True)
    other = tmp_path / ".out.json.x.abcd1234.annoformat-tmp"  # belongs to "out.json.x"
    other.mkdir()
    report = Report()
    with staged_output(dest, report) as staging:
        assert staging is not None
        staging.path.write_text("x")
    [diag] = report.diagnostics
    assert (diag.code, diag.severity.value) == ("AF064", "info")
    assert "removed 2 staging folder(s)" in diag.message
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "out.json"]


@pytest.mark.parametrize(("setting", "flushes"), [("1", True), (None, True), ("0", False),
                                                  ("no", False)])
def test_outputs_are_flushed_unless_the_environment_says_fsync_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None,
        flushes: bool) -> None:
    if setting is None:
        monkeypatch.delenv("ANNOFORMAT_FSYNC", raising=False)
    else:
        monkeypatch.setenv("ANNOFORMAT_FSYNC", setting)
    synced: list[int] = []
    real_fsync = os.fsync

    def counting(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting)
    monkeypatch.setattr(_output, "_libc", lambda: None)  # no syncfs: a folder's files one by one
    for dest, body in ((tmp_path / "one.json", "file"), (tmp_path / "folder", "folder")):
        report = Report()
        with staged_output(dest, report) as staging:
            assert staging is not None
            if body == "file":
                staging.path.write_text("{}")
            else:
                staging.path.mkdir()
                (staging.path / "a.txt").write_text("a")
                (staging.path / "b.txt").write_text("b")
        assert staging.committed and report.diagnostics == []
    # the file, its folder, the parent after the move; two files, their folder, its parent,
    # the parent after the move
    assert len(synced) == (3 + 5 if flushes else 0)
    assert (tmp_path / "one.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == ["a.txt", "b.txt"]
