"""Measure extraction against a labelled corpus: precision, recall and F1 overall and per construction (pure)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extract.clean import clean_plain_text
from extract.pipeline import Extractor


@dataclass
class Score:
    """True positives, false positives and false negatives, with the rates they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of found claims that are gold."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of gold claims that were found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gold: set, found: set) -> None:
        """Count one report's gold and found claims."""
        self.tp += len(gold & found)
        self.fp += len(found - gold)
        self.fn += len(gold - found)


@dataclass
class Evaluation:
    """Scores for (place, party), (place, party, date) and per construction; the misses, for reading."""

    place_party: Score = field(default_factory=Score)
    place_party_date: Score = field(default_factory=Score)
    by_construction: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    errors: list[dict] = field(default_factory=list)
    reports: int = 0
    outside_gazetteer: list[str] = field(default_factory=list)  # gold places the gazetteer lacks

    def table(self) -> str:
        """The figures as a plain-text table."""
        lines = [f"{'measure':<32} {'P':>6} {'R':>6} {'F1':>6} {'TP':>5} {'FP':>5} {'FN':>5}"]
        def row(name, s):
            lines.append(f"{name:<32} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.tp:5d} {s.fp:5d} {s.fn:5d}")
        row("(place, party)", self.place_party)
        row("(place, party, event date)", self.place_party_date)
        for name in sorted(self.by_construction):
            row(f"  {name}", self.by_construction[name])
        lines.append(f"{self.reports} reports")
        if self.outside_gazetteer:
            lines.append(f"{len(self.outside_gazetteer)} gold claims not scored: their place is not in the gazetteer "
                         f"({', '.join(sorted(set(self.outside_gazetteer)))})")
        return "\n".join(lines)


def load_corpus(path: str | Path) -> list[dict]:
    """Read a corpus JSONL file; raise ``ValueError`` naming the line of a bad record."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["text"], record.get("gold", [])
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path}, line {number}: not a corpus record with 'text' and 'gold'") from None
            records.append(record)
    return records


def _effective(item_date, report_date) -> str | None:
    return item_date or report_date


def evaluate(records: list[dict], extractor: Extractor) -> Evaluation:
    """Score the extractor on corpus records (``text``, ``report_date``, ``gold``, ``construction``).

    A claim's date is its event date, else its report date, on both sides, so "no date stated"
    in the gold (the report's own date) matches an extractor that leaves the event date empty.
    """
    result = Evaluation()
    for record in records:
        report_date = date.fromisoformat(record["report_date"]) if record.get("report_date") else None
        claims = extractor.extract(clean_plain_text(record["text"]).text, report_date)
        found = {(c.place_id, c.party, c.status) for c in claims}
        found_dated = {(c.place_id, c.party, c.status,
                        (c.event_date or c.report_date).isoformat() if (c.event_date or c.report_date) else None)
                       for c in claims}
        known = [g for g in record.get("gold", []) if g["place"] in extractor.gazetteer.places]
        result.outside_gazetteer += [g["place"] for g in record.get("gold", [])
                                     if g["place"] not in extractor.gazetteer.places]
        gold = {(g["place"], g["party"], g.get("status", "controls")) for g in known}
        gold_dated = {(g["place"], g["party"], g.get("status", "controls"),
                       _effective(g.get("event_date"), record.get("report_date"))) for g in known}
        result.place_party.add(gold, found)
        result.place_party_date.add(gold_dated, found_dated)
        for tag in record.get("construction") or ["untagged"]:
            result.by_construction[tag].add(gold, found)
        result.reports += 1
        if gold != found or gold_dated != found_dated:
            result.errors.append({"id": record.get("id"), "missed": sorted(map(str, gold_dated - found_dated)),
                                  "extra": sorted(map(str, found_dated - gold_dated))})
    return result
