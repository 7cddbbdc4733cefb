"""CVAT with one job and with two: a whole read parses the file here while a pool of processes
reads its runs of images (``cvat._read.read_images``), added back in file order. Every CVAT
fixture read both ways is in test_voc_jobs.py, and every test of the streaming reader runs both
ways (formats/test_cvat_stream.py); here files past the default pool threshold are converted
and validated with ``--jobs 1`` and ``--jobs 2`` and the outputs compared byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import annoformat as af
from annoformat.cli import main
from annoformat.diagnostics import Report
from annoformat.formats.cvat._read import Reader
from annoformat.parallel import MIN_ITEMS, use_jobs

META = ('<version>1.1</version><meta><task><labels><label><name>car</name><attributes>'
        '<attribute><name>parked</name><input_type>checkbox</input_type><values>false'
        '</values></attribute></attributes></label><label><name>road</name><attributes/>'
        '</label></labels></task></meta>')


def _cvat(images: int, bad: bool = False) -> str:
    """``images`` images of 0-3 shapes; every 97th box is outside its image (AF301, a
    warning), and with ``bad`` every 89th has no size (AF302) and ids repeat (AF203)."""
    rows = []
    for i in range(images):
        shapes = []
        for k in range(i % 4):
            right = 700 if i % 97 == 0 else 20 + k
            if bad and i % 89 == 0:
                right = 10
            shapes.append(f'<box label="{("car", "road")[k % 2]}" xtl="10.5" ytl="20" '
                          f'xbr="{right}" ybr="40.25" occluded="{k % 2}"><attribute '
                          f'name="parked">{"true" if k else "false"}</attribute></box>'
                          if k % 2 == 0 else
                          f'<polygon label="road" points="1,2;30,4.5;{k},40" z_order="{k}"/>')
        image_id = i % (images - 50) if bad else i
        rows.append(f'<image id="{image_id}" name="img{i:05d}.jpg" width="640" '
                    f'height="480">\n' + "\n".join(shapes) + "\n</image>")
    return "<annotations>" + META + "\n" + "\n".join(rows) + "\n</annotations>\n"


def test_cli_outputs_are_byte_identical_for_one_and_two_jobs(tmp_path: Path) -> None:
    src = tmp_path / "annotations.xml"
    src.write_text(_cvat(3 * MIN_ITEMS + 44))  # past the pool's threshold, several batches
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.json"
        done = runner.invoke(main, ["convert", str(src), str(out), "--to", "coco",
                                    "--jobs", jobs, "--allow-loss"])
        assert done.exit_code == 0, done.output
        outputs.append((out.read_bytes(), done.output.replace(str(out), "OUT")))
    assert outputs[0] == outputs[1]
    assert "AF301" in outputs[0][1]


def test_validate_reports_the_same_with_two_jobs(tmp_path: Path) -> None:
    src = tmp_path / "annotations.xml"
    src.write_text(_cvat(3 * MIN_ITEMS + 44, bad=True))
    one = af.validate(src, jobs=1)
    two = af.validate(src, jobs=2)
    assert [(d.code, d.message, d.location) for d in two] == \
        [(d.code, d.message, d.location) for d in one]
    assert {"AF203", "AF301", "AF302"} <= set(one.codes())
    # a schema error far in: its batch and the ones after it go through the one-by-one check
    broken = tmp_path / "broken.xml"
    broken.write_text(_cvat(3 * MIN_ITEMS + 44).replace('xbr="20"', 'xbr="2O"', 200))
    one = af.validate(broken, jobs=1)
    two = af.validate(broken, jobs=2)
    assert [(d.code, d.message, d.location) for d in two] == \
        [(d.code, d.message, d.location) for d in one]
    assert one.codes() == ["AF101"] * len(one.codes()) and len(one.codes()) > 1


@pytest.mark.parametrize("jobs, pooled", [(1, False), (2, True)])
def test_a_whole_read_uses_a_pool_past_the_threshold(jobs: int, pooled: bool) -> None:
    data = _cvat(3 * MIN_ITEMS).encode()
    reader = Reader("f.xml", Report(), pool=True)
    ids, seen = [], set()
    with use_jobs(jobs):
        for item in reader.iter_stream(data[i:i + 4096] for i in range(0, len(data), 4096)):
            ids.append(item.id)
            seen.add(reader.pool is not None)
    assert seen == {False, pooled}  # the first batch is read here: fewer than MIN_ITEMS
    assert reader.pool is None  # the workers end with the read
    assert ids == [str(i) for i in range(3 * MIN_ITEMS)]
