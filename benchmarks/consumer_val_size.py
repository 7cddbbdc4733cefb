"""COCO-val size, end to end: COCO (with images) -> YOLO with ``--media hardlink`` on the same
file system and ``--media copy`` to another (``/dev/shm``), then Ultralytics' ``YOLODataset``
scans train and val of each. Prints the conversion times and what Ultralytics found.

Usage: python benchmarks/consumer_val_size.py --ultralytics-python PY [--workdir DIR]
       [--images 5000] [--annotations 36781]

The images are real PNG files of the sizes the generated COCO file gives (one grey colour, so
they are small); one in five is in the val subset.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import annoformat as af
from annoformat.testing.images import png_bytes

HERE = Path(__file__).resolve().parent

SCAN = """
import json, os, sys
from pathlib import Path
os.environ["YOLO_CONFIG_DIR"] = sys.argv[2]
from ultralytics.data.dataset import YOLODataset
from ultralytics.data.utils import check_det_dataset, load_dataset_cache_file
data = check_det_dataset(sys.argv[1])
out = {}
for split in ("train", "val"):
    ds = YOLODataset(img_path=data[split], data=data, task="segment", augment=False)
    cache = load_dataset_cache_file(Path(ds.label_files[0]).parent.with_suffix(".cache"))
    found, missing, empty, corrupt, total = cache["results"]
    out[split] = {"images": len(ds.im_files), "found": found, "missing": missing,
                  "empty": empty, "corrupt": corrupt,
                  "instances": int(sum(len(lb["cls"]) for lb in ds.labels))}
print(json.dumps(out))
"""


def make_source(work: Path, images: int, annotations: int) -> Path:
    """A COCO folder (instances_train / instances_val) with every image on disk."""
    src = work / "coco"
    if (src / "done").exists():
        return src
    shutil.rmtree(src, ignore_errors=True)
    raw = work / "val-size.json"
    subprocess.run([sys.executable, str(HERE / "generate_coco.py"), str(raw), "--images",
                    str(images), "--annotations", str(annotations)], check=True)
    ds = af.load(raw)
    for n, item in enumerate(ds.items):
        item.subset = "val" if n % 5 == 4 else "train"
    af.save(ds, src, format="coco")
    cache: dict[tuple[int, int], bytes] = {}
    for item in ds.items:
        media = item.media
        assert isinstance(media, af.Image) and media.width and media.height
        key = (media.width, media.height)
        if key not in cache:
            cache[key] = png_bytes(*key)
        path = src / "images" / str(item.subset) / media.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cache[key])
    (src / "done").write_text("")
    return src


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ultralytics-python", required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/annoformat-val-size"))
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--annotations", type=int, default=36781)
    args = parser.parse_args(argv)
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    src = make_source(work, args.images, args.annotations)
    other = Path("/dev/shm") / f"annoformat-val-size-{os.getpid()}"
    runs = [("hardlink", work / "yolo-hardlink"), ("copy", other / "yolo-copy")]
    try:
        for mode, dest in runs:
            shutil.rmtree(dest, ignore_errors=True)
            start = time.perf_counter()
            result = af.convert(src, dest, to="yolo", allow_loss=True, media=mode,  # type: ignore[arg-type]
                                options={"task": "segment"})
            took = time.perf_counter() - start
            assert result.written, result.report
            same_fs = os.stat(dest).st_dev == os.stat(src).st_dev
            print(f"{mode}: {took:.1f} s, images {result.summary['media']}, "
                  f"{'same' if same_fs else 'another'} file system", flush=True)
            scan = subprocess.run([args.ultralytics_python, "-c", SCAN, str(dest / "data.yaml"),
                                   str(work / ".ultra")], capture_output=True, text=True,
                                  check=True)
            got = json.loads(scan.stdout.strip().splitlines()[-1])
            for split, figures in got.items():
                print(f"  Ultralytics {split}: {figures}", flush=True)
            bad = sum(f["corrupt"] + f["missing"] for f in got.values())
            print(f"  corrupt + missing: {bad}")
    finally:
        shutil.rmtree(other, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
