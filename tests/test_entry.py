"""The console script's fast ``validate`` prints what the click command prints, exit code
included: the validate transcripts and every fixture dataset run through both paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annoformat import _entry
from annoformat.cli import main

from conftest import FIXTURES, ROOT, file_size_limit

_TRANSCRIPTS = sorted(p for p in (FIXTURES / "cli").glob("*.json")
                      if json.loads(p.read_text())["args"][0] == "validate")
_DATASETS = sorted(p for p in FIXTURES.glob("*/*/*") if p.parent.name in ("good", "bad"))


def _both(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``args`` through click and through the fast path: the same stdout, stderr and status
    (or the fast path hands over to click before printing anything)."""
    clicked = CliRunner().invoke(main, args, catch_exceptions=False)
    fast = _entry.fast_validate_args(args)
    assert fast is not None, args
    capsys.readouterr()
    try:
        status = _entry.run_validate(fast)
    except _entry._Fallback:  # click runs it: nothing may have been printed
        assert capsys.readouterr() == ("", "")
        return
    out, err = capsys.readouterr()
    assert (status, out, err) == (clicked.exit_code, clicked.stdout, clicked.stderr)


@pytest.mark.parametrize("path", _TRANSCRIPTS, ids=lambda p: p.stem)
def test_validate_transcripts_print_the_same(path: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads(path.read_text())
    args = [a.replace("{fixtures}", str(FIXTURES)).replace("{tmp}", str(tmp_path))
            for a in case["args"]]
    for key, value in (case.get("env") or {}).items():
        monkeypatch.setenv(key, value)
    if _entry.fast_validate_args(args) is None:  # options only click parses
        pytest.skip("not a fast-path command line")
    with file_size_limit(case.get("file_size_limit")):
        _both(args, capsys)


@pytest.mark.parametrize("path", _DATASETS, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_fixture_validates_the_same(path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = path / "dataset" if (path / "dataset").exists() else path
    _both(["validate", str(target)], capsys)


def test_flags_and_outputs_print_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    bad = FIXTURES / "coco" / "bad"
    files = [str(p / "annotations.json") for p in sorted(bad.iterdir())[:4]]
    for output in ("text", "json", "github", "sarif"):
        _both(["validate", "--output", output, *files], capsys)
    _both(["validate", "--skip-unknown", "--no-config", str(ROOT / "README.md"), *files],
          capsys)
    _both(["validate", "--output=json", "--no-images",
           str(FIXTURES / "yolo" / "good" / "ultralytics-no-images" / "dataset")], capsys)


@pytest.mark.parametrize("args", [
    ["validate"], ["validate", "--help"], ["validate", "--format", "coco", "a.json"],
    ["validate", "--output", "xml", "a.json"], ["validate", "--output"], ["validate", "--", "a"],
    ["validate", "-"], ["validate", ""], ["--max-bytes", "1", "validate", "a.json"],
    ["convert", "a", "b"], ["validate", "--skip-unknown=1", "a.json"], [],
])
def test_click_parses_everything_else(args: list[str]) -> None:
    assert _entry.fast_validate_args(args) is None


def test_the_console_script_takes_the_fast_path_and_exits_as_click(tmp_path: Path) -> None:
    bad = FIXTURES / "coco" / "bad"
    case = str(next(p for p in sorted(bad.iterdir()) if p.is_dir()) / "annotations.json")
    env = {k: v for k, v in os.environ.items() if k != "_ANNOFORMAT_COMPLETE"}
    env["PYTHONIOENCODING"] = "utf-8"
    probe = ("import sys, annoformat._entry as e\n"
             "sys.argv = ['annoformat', *sys.argv[1:]]\n"
             "e.main()\n"
             "print('click' in sys.modules, file=sys.stderr)\n")
    for args in (["validate", case], ["validate", "--output", "json", case],
                 ["validate", str(tmp_path / "missing.json")]):
        fast = subprocess.run([sys.executable, "-m", "annoformat", *args], capture_output=True,
                              text=True, env=env, check=False)
        slow = subprocess.run([sys.executable, "-c", "from annoformat.cli import main; main()",
                               *args], capture_output=True, text=True, env=env, check=False)
        assert (fast.returncode, fast.stdout, fast.stderr) == (
            slow.returncode, slow.stdout, slow.stderr)
    # sys.exit ends main() before the probe's last line: click was never imported
    probe_run = subprocess.run([sys.executable, "-c", probe.replace("e.main()", (
        "try:\n    e.main()\nexcept SystemExit:\n    pass")), "validate", case],
        capture_output=True, text=True, env=env, check=False)
    assert probe_run.stderr.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(("handled", "status"), [(False, -2), (True, 130)])
def test_a_handled_ctrl_c_exits_130_under_python_dash_m(
        tmp_path: Path, handled: bool, status: int) -> None:
    # CPython, run with -m, kills itself with SIGINT at exit when a KeyboardInterrupt ended a
    # string exec/eval (namedtuple, dataclass, during a lazy import), even once caught: the
    # CI flake of the Ctrl-C test. interrupt_handled() clears that; False shows the cause.
    (tmp_path / "kbi").mkdir()
    (tmp_path / "kbi" / "__main__.py").write_text(
        "import sys\n"
        "from annoformat._entry import interrupt_handled\n"
        "try:\n"
        "    exec('raise KeyboardInterrupt')\n"
        "except KeyboardInterrupt:\n"
        f"    {'interrupt_handled()' if handled else 'pass'}\n"
        "    sys.exit(130)\n")
    proc = subprocess.run([sys.executable, "-m", "kbi"], cwd=tmp_path, capture_output=True,
                          timeout=60)
    assert proc.returncode == status, proc.stderr
