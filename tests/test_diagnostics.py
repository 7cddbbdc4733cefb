"""Reports and renderers."""

from __future__ import annotations

import json

from annoformat.diagnostics import Report, render_github, render_json, render_text


def test_report_cap_counts_everything_but_stores_max() -> None:
    report = Report(max_errors=2)
    for i in range(5):
        report.add("AF302", path="a.json", line=i + 1, w=0, h=1)
    assert report.codes() == ["AF302", "AF302", "AF903"]
    assert report.summary() == {"error": 5, "warning": 0, "info": 0}


def test_text_rendering_is_sorted_and_marks_severity() -> None:
    report = Report()
    report.add("AF301", path="b.json", line=3, column=4, pointer="/annotations/0/bbox",
               x=1, y=2, w=3, h=4, width=2, height=2)
    report.add("AF203", path="a.json", line=9, column=1, image_id=1, first="/images/0")
    assert render_text(report).splitlines() == [
        "a.json:9:1: AF203 duplicate-image-id: image id 1 is used more than once (first at "
        "/images/0)",
        "b.json:3:4: AF301 bbox-outside-image: (warning) box [1, 2, 3, 4] extends outside the "
        "2x2 image [/annotations/0/bbox]",
    ]


def test_github_rendering_escapes_properties_and_data() -> None:
    report = Report()
    report.add("AF005", path="dir,x/a:b.json", line=2, column=7, reason="50% bad\nnext")
    # a line break from the input shows as written (\n), never as a second line
    assert render_github(report) == (
        "::error file=dir%2Cx/a%3Ab.json,line=2,col=7,title=AF005 invalid-json::invalid JSON: "
        "50%25 bad\\nnext")


def test_json_rendering_round_trips() -> None:
    report = Report()
    report.add("AF201", path="a.json", pointer="/annotations/1/image_id", image_id=9,
               annotation_id=4)
    doc = json.loads(render_json(report))
    assert doc["diagnostics"] == [{
        "code": "AF201", "name": "unknown-image", "severity": "error",
        "message": "annotation refers to image id 9, which is not in 'images'",
        "location": {"path": "a.json", "pointer": "/annotations/1/image_id", "annotation_id": 4},
        "ctx": {"image_id": 9},
    }]


def test_filter_by_code_name_and_prefix() -> None:
    report = Report()
    report.add("AF201", image_id=1)
    report.add("AF301", x=0, y=0, w=1, h=1, width=1, height=1)
    assert report.filter(select=["AF2"]).codes() == ["AF201"]
    assert report.filter(ignore=["bbox-outside-image"]).codes() == ["AF201"]
