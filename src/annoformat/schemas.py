"""Load and compile the JSON Schemas in ``schemas/`` (shipped in the wheel as annoformat/schemas).

Fast path: a compiled jsonschema-rs validator answers "valid?" for a whole document in one call.
Only when that says no are errors enumerated, each with its JSON Pointer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annoformat._io import pointer


def schema_dir() -> Path:
    """Where the schema files are: inside the installed package, or the repo's ``schemas/``."""
    # this module's folder is the package's (what importlib.resources.files would say for a
    # package on a file system, without importing it and zipfile: start-up)
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema file ``name`` (e.g. ``coco.schema.json``)."""
    loaded: dict[str, Any] = orjson.loads((schema_dir() / name).read_bytes())
    return loaded


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema_rs  # only when a JSON document is checked (not for XML or YAML alone)

    return jsonschema_rs.validator_for(load_schema(name))


def is_valid(name: str, document: Any) -> bool:
    """True when ``document`` satisfies schema ``name`` (compiled, fast)."""
    return bool(_validator(name).is_valid(document))


def iter_errors(name: str, document: Any) -> Iterator[tuple[str, str]]:
    """``(json_pointer, message)`` for each schema error of ``document``."""
    for err in _validator(name).iter_errors(document):
        yield pointer(*err.instance_path), str(err.message)


@functools.cache
def _xsd(name: str) -> Any:
    from lxml import etree

    # our own schema file: parsed from bytes with the same hardened settings as any input
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring((schema_dir() / name).read_bytes(), parser))


def compiled_xsd(name: str) -> Any:
    """The compiled ``etree.XMLSchema`` of XSD ``name`` (built once), for readers that check
    a document piece by piece."""
    return _xsd(name)


def xsd_errors(name: str, root: Any) -> list[tuple[int, str, str]]:
    """``(line, xpath, message)`` for each way ``root`` breaks XSD ``name``; empty if valid."""
    schema = _xsd(name)
    if schema.validate(root):
        return []
    return [(err.line, err.path or "", err.message) for err in schema.error_log]
