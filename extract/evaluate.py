"""Measure extraction against a labelled corpus: precision, recall and F1 overall and per construction (pure)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extract.clean import clean_plain_text
from extract.pipeline import Extractor
from geodata.claims import STATUSES
from geodata.names import alias_keys


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
    misses: list[dict] = field(default_factory=list)  # every miss with its cause

    def misses_by_cause(self) -> str:
        """Every miss, grouped by cause: what to read before changing a frame."""
        lines = []
        grouped: dict[str, list[dict]] = defaultdict(list)
        for miss in self.misses:
            grouped[miss["cause"]].append(miss)
        for cause in sorted(grouped, key=lambda c: -len(grouped[c])):
            lines.append(f"{cause}: {len(grouped[cause])}")
            for m in grouped[cause]:
                dates = f" (gold {m['gold_date']}, found {m['found_date']})" if cause == "wrong date" else ""
                lines.append(f"  {m['id']}: {m['place']} / {m['party']}{dates}")
        return "\n".join(lines)

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


# Turkish-backed Syrian factions are scored as either Turkey or the Syrian opposition (shared/eval/README.md).
_TURKISH_BACKED = re.compile(r"turk\w*[- ](?:backed|led|supported|allied)|pro-ankara|ankara-backed|syrian national army"
                             r"|\bSNA\b|euphrates shield|olive branch|peace spring", re.IGNORECASE)
_PAIR = {"turkey": "syrian-opposition", "syrian-opposition": "turkey"}


def _place_id(name: str, gazetteer, aliases: dict, kind: str | None = None) -> str | None:
    """A gold place written as an id, a name or any side name or alias of a place.

    Of the gold's kind where it gives one ("Quneitra", kind crossing, is the crossing, not the governorate).
    """
    if name in gazetteer.places:
        return name
    ids = {place_id for key in alias_keys(name) for place_id, _ in aliases.get(key, ())}
    if kind == "crossing" and not any(gazetteer.places[i].kind == kind for i in ids):
        ids |= {place_id for key in alias_keys(f"{name} crossing") for place_id, _ in aliases.get(key, ())}
    if kind and any(gazetteer.places[i].kind == kind for i in ids):
        ids = {i for i in ids if gazetteer.places[i].kind == kind}
    return ids.pop() if len(ids) == 1 else None


def evaluate(records: list[dict], extractor: Extractor) -> Evaluation:
    """Score the extractor on labelled records: the project corpus or the real sets' format.

    A gold place may be an id or any name the gazetteer knows (either side's); parties are scored
    as their parent (``parties.csv``), claims that control or contest count, ``optional`` gold
    neither earns nor costs. A claim's date is its event date, else its report date, on both sides;
    a gold claim without an event date accepts any date.
    """
    result = Evaluation()
    gazetteer = extractor.gazetteer
    aliases = gazetteer.alias_index()

    def scored(party: str) -> str:
        return gazetteer.parties[party].scored_as if party in gazetteer.parties else party

    for record in records:
        report_date = record.get("report_date")
        claims = extractor.extract(clean_plain_text(record["text"]).text,
                                   date.fromisoformat(report_date) if report_date else None)
        # The project corpus labels statuses ("not-government"); the real sets score holders only.
        statuses = STATUSES if any("status" in g for g in record.get("gold", [])) else ("controls", "contested")
        found: dict[tuple, str | None] = {}
        for c in claims:
            if c.status in statuses:
                effective = c.event_date or c.report_date
                found.setdefault((c.place_id, scored(c.party)), effective.isoformat() if effective else None)
        gold, optional = {}, set()
        for g in record.get("gold", []):
            place_id = _place_id(g["place"], gazetteer, aliases, g.get("kind"))
            if place_id is None:
                result.outside_gazetteer.append(g["place"])
                continue
            key = (place_id, scored(g["party"]))
            if g.get("optional"):
                optional.add(key)
            else:
                gold[key] = g.get("event_date")
        for place_id, party in list(gold):  # the pair rule for Turkish-backed factions
            other = (place_id, _PAIR.get(party))
            if (place_id, party) not in found and other in found and (
                    other in optional or _TURKISH_BACKED.search(record["text"])):
                found[(place_id, party)] = found.pop(other)
        found = {k: v for k, v in found.items() if k not in optional or k in gold}
        hits = gold.keys() & found.keys()
        dated = {k for k in hits if gold[k] is None or gold[k] == found[k]}
        result.place_party.tp += len(hits)
        result.place_party.fp += len(found.keys() - gold.keys())
        result.place_party.fn += len(gold.keys() - found.keys())
        result.place_party_date.tp += len(dated)
        result.place_party_date.fp += len(found.keys() - gold.keys()) + len(hits - dated)
        result.place_party_date.fn += len(gold.keys() - found.keys()) + len(hits - dated)
        for tag in record.get("construction") or ["untagged"]:
            result.by_construction[tag].add(set(gold), set(found))
        result.reports += 1
        for cause, keys in _causes(gold, found, dated).items():
            for place_id, party in keys:
                result.misses.append({"id": record.get("id"), "cause": cause, "place": place_id, "party": party,
                                      "gold_date": gold.get((place_id, party)),
                                      "found_date": found.get((place_id, party))})
        if gold.keys() != found.keys() or dated != hits:
            result.errors.append({"id": record.get("id"),
                                  "missed": sorted(map(str, gold.keys() - found.keys())),
                                  "extra": sorted(map(str, found.keys() - gold.keys())),
                                  "wrong_date": sorted(map(str, hits - dated))})
    return result


def _causes(gold: dict, found: dict, dated: set) -> dict[str, list]:
    """Each miss of one record, by what went wrong."""
    gold_places = {p for p, _ in gold}
    found_places = {p for p, _ in found}
    causes: dict[str, list] = defaultdict(list)
    for key in sorted(gold.keys() - found.keys()):
        causes["wrong party" if key[0] in found_places else "place not found"].append(key)
    for key in sorted(found.keys() - gold.keys()):
        causes["claim for another party" if key[0] in gold_places else "false claim"].append(key)
    for key in sorted((gold.keys() & found.keys()) - dated):
        causes["wrong date"].append(key)
    return causes
