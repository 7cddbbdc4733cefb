"""The import contract (DESIGN.md), checked on the source: layers, no private cross-module imports.

Layers, lowest first; a module may import from its own layer or any lower one:
model ← codes ← diagnostics ← support (_io, _archive, _xml, schemas, sourcemap, masks, geometry,
media, checks, progress, parallel)
← spec ← plugin ← formats ← registry, sources, testing ← labelmap, rules, convert, stream, quality ←
cli, _entry (the console script), dask, the package.
Private means a name or module starting with ``_``: a ``_module`` is imported only from inside
its own package, a ``_name`` only inside its own module, a format's writer modules never
import its reader modules (shared helpers go in a common module), and formats never import each
other (only the shared private helpers of ``formats``, such as ``formats._text``).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import annoformat

SRC = Path(annoformat.__file__).parent

LAYERS: list[set[str]] = [
    {"model"},
    {"codes"},
    {"diagnostics"},
    {"_io", "_output", "_archive", "_xml", "schemas", "sourcemap", "masks", "geometry", "media",
     "checks", "progress", "parallel", "_spill"},
    {"spec"},
    {"plugin"},
    {"formats"},
    {"registry", "sources", "testing"},
    {"labelmap", "rules", "convert", "stream", "quality"},
    {"ops"},
    {"cli", "_entry", "dask", "__init__", "__main__"},
]
_LAYER_OF = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(["annoformat", *parts])


def _imports(root: Path, path: Path) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every annoformat import in ``path``."""
    modules = {_module_name(root, p) for p in root.rglob("*.py")}
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names
                    if a.name.startswith("annoformat")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("annoformat"):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:  # `from annoformat import schemas` imports a module
                    out.append((node.lineno, sub, None))
                else:
                    out.append((node.lineno, str(node.module), alias.name))
    return out


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def violations(root: Path) -> list[str]:
    """Every breach of the import contract in the package at ``root``, as ``file:line: why``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        me = _module_name(root, path)
        my_layer = _LAYER_OF.get(_top(me))
        where = f"{path.relative_to(root)}"
        if my_layer is None:
            found.append(f"{where}: module {_top(me)!r} is in no layer; add it to LAYERS")
            continue
        package = me if path.name == "__init__.py" else me.rpartition(".")[0]
        for line, target, name in _imports(root, path):
            layer = _LAYER_OF.get(_top(target))
            if layer is not None and layer > my_layer and _top(target) != _top(me):
                found.append(f"{where}:{line}: {_top(me)} (layer {my_layer}) imports "
                             f"{target} (layer {layer}), a higher layer")
            parts = target.split(".")
            for i, part in enumerate(parts):
                owner = ".".join(parts[:i])
                if part.startswith("_") and part != "__init__" and not (
                        package == owner or package.startswith(owner + ".")):
                    found.append(f"{where}:{line}: imports {target}, private to {owner}")
            if name is not None and name.startswith("_") and not name.startswith("__") and (
                    target != me):
                found.append(f"{where}:{line}: imports the private name {name} from {target}")
            if (_top(me) == "formats" and _top(target) == "formats" and len(parts) > 2
                    and len(me.split(".")) > 2 and not parts[2].startswith("_")
                    and parts[2] != me.split(".")[2]):
                found.append(f"{where}:{line}: formats never import each other: {target}")
            mine, theirs = me.rpartition(".")[2], parts[-1]
            if (mine.startswith("_write") and theirs.startswith("_read")) or (
                    mine.startswith("_read") and theirs.startswith("_write")):
                found.append(f"{where}:{line}: {mine} imports {target}; move what both "
                             "need to a common module")
    return found


def test_the_package_keeps_the_import_contract() -> None:
    assert violations(SRC) == []


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "annoformat"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__", "schemas"))
    return root


def _new(before: list[str], after: list[str]) -> list[str]:
    """The violations in ``after`` that ``before`` did not have (line numbers aside)."""
    def strip(v: str) -> str:
        return re.sub(r":\d+:", ":", v, count=1)
    old = {strip(v) for v in before}
    return [v for v in after if strip(v) not in old]


def _inject(path: Path, line: str) -> int:
    """Add ``line`` after the ``__future__`` import; its line number."""
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest)
    return (head + sep).count("\n") + 1


def test_the_contract_fails_on_an_upward_import(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = violations(root)
    n = _inject(root / "model.py", "from annoformat.convert import convert")
    assert _new(before, violations(root)) == [
        f"model.py:{n}: model (layer 0) imports annoformat.convert (layer 8), a higher layer"]


def test_the_contract_fails_on_private_imports(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = violations(root)
    a = _inject(root / "testing" / "strategies.py",
                "from annoformat.formats.coco._read import read")
    b = _inject(root / "cli.py", "from annoformat.diagnostics import _where")
    c = _inject(root / "formats" / "voc" / "_write.py", "from annoformat.formats.voc import _read")
    d = _inject(root / "formats" / "conll.py", "from annoformat.formats.coco import read")
    assert _new(before, violations(root)) == [
        f"cli.py:{b}: imports the private name _where from annoformat.diagnostics",
        f"formats/conll.py:{d}: formats never import each other: annoformat.formats.coco",
        f"formats/voc/_write.py:{c}: _write imports annoformat.formats.voc._read; move what both "
        "need to a common module",
        f"testing/strategies.py:{a}: imports annoformat.formats.coco._read, private to "
        "annoformat.formats.coco",
    ]


def test_a_module_outside_every_layer_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = violations(root)
    (root / "stray.py").write_text("x = 1\n")
    assert _new(before, violations(root)) == [
        "stray.py: module 'stray' is in no layer; add it to LAYERS"]


def test_only_the_dask_module_imports_dask() -> None:
    """The ``annoformat[dask]`` extra stays optional: no other module imports dask, distributed
    or fsspec, and importing annoformat (or running a conversion) loads none of them."""
    import subprocess
    import sys

    pattern = re.compile(r"^\s*(?:import|from)\s+(dask|distributed|fsspec)\b", re.M)
    users = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
                   if pattern.search(p.read_text(encoding="utf-8")))
    assert users == ["dask.py"]
    code = ("import sys, annoformat as af; af.convert(sys.argv[1], sys.argv[2], to='jsonl'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed', 'fsspec')))")
    out = subprocess.run([sys.executable, "-c", code,
                          str(SRC.parents[1] / "fixtures/coco/good/minimal/annotations.json"),
                          "/dev/null/never"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
