"""Span precision, recall and F1 of ``compare`` against seqeval's on the same BIO data, both
files read through annoformat's CoNLL reader (random sentences, random tagging errors)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score, precision_score, recall_score

import annoformat as af

TYPES = ["PER", "ORG", "LOC"]
WORDS = ["Ann", "met", "Bob", "in", "Paris", "at", "ACME", "on", "Monday", "and", "left"]


def bio(rng: random.Random, n: int) -> list[str]:
    """A well-formed BIO sequence of ``n`` tags."""
    tags: list[str] = []
    while len(tags) < n:
        if rng.random() < 0.4:
            kind, size = rng.choice(TYPES), rng.randint(1, 3)
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (size - 1)
        else:
            tags.append("O")
    return tags[:n]  # a cut entity is still well-formed: its B- comes first


def perturb(rng: random.Random, tags: list[str]) -> list[str]:
    """A tagger's mistakes: a type changed, an entity dropped or shortened, one invented;
    kept well-formed (an I- never follows O or another type)."""
    out = list(tags)
    for _ in range(rng.randint(0, 3)):
        k = rng.randrange(len(out))
        what = rng.choice(["type", "drop", "new"])
        if what == "type" and out[k] != "O":
            start = k
            while out[start].startswith("I-"):
                start -= 1
            end = k + 1
            while end < len(out) and out[end].startswith("I-"):
                end += 1
            kind = rng.choice(TYPES)
            out[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif what == "drop" and out[k].startswith("B-"):
            end = k + 1
            while end < len(out) and out[end].startswith("I-"):
                end += 1
            out[k:end] = ["O"] * (end - k)
        elif what == "new" and out[k] == "O":
            out[k] = f"B-{rng.choice(TYPES)}"
            if k + 1 < len(out) and out[k + 1].startswith("I-"):
                out[k + 1] = "B-" + out[k + 1][2:]
    return out


def write(path: Path, sentences: list[list[str]], tags: list[list[str]]) -> None:
    blocks = ["\n".join(f"{w} {t}" for w, t in zip(s, ts, strict=True))
              for s, ts in zip(sentences, tags, strict=True)]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # seqeval averages empty classes
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_span_scores_equal_seqeval(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                   count: int) -> None:
    rng = random.Random(seed)
    sentences = [[rng.choice(WORDS) for _ in range(rng.randint(2, 9))] for _ in range(count)]
    gold = [bio(rng, len(s)) for s in sentences]
    pred = [perturb(rng, t) for t in gold]
    folder = tmp_path_factory.mktemp("bio")
    write(folder / "gold.conll", sentences, gold)
    write(folder / "pred.conll", sentences, pred)
    c = af.compare(folder / "gold.conll", folder / "pred.conll")
    s = c.summary
    assert s["reference"] == sum(t.count("B") for t in map(" ".join, gold))
    # seqeval scores 0 where our ratio is null (an empty denominator): compare where defined
    if s["candidate"]:
        assert s["precision"] == pytest.approx(precision_score(gold, pred))
    if s["reference"]:
        assert s["recall"] == pytest.approx(recall_score(gold, pred))
    if s["reference"] + s["candidate"]:
        assert s["f1"] == pytest.approx(f1_score(gold, pred))
    # per type too: seqeval's report by entity type
    from seqeval.metrics import classification_report

    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    for kind, row in c.by_label.items():
        if row["reference"]:
            assert row["recall"] == pytest.approx(report[kind]["recall"]), kind
