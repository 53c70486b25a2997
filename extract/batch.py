"""Run extraction over many inputs: read, extract, and hand each report with its claims to a sink."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from extract.pipeline import Extractor, report_id_of
from extract.sources import InputOptions, Report, Skipped, read_inputs
from geodata.claims import Claim


@dataclass
class BatchSummary:
    """What a run did, for the closing summary line."""

    reports: int = 0
    claims: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)

    def line(self) -> str:
        reasons = {}
        for skip in self.skipped:
            reasons[skip.reason] = reasons.get(skip.reason, 0) + 1
        why = "; ".join(f"{count} {reason}" for reason, count in reasons.items())
        return (f"{self.reports} reports read, {len(self.skipped)} skipped"
                f"{' (' + why + ')' if why else ''}, {self.claims} claims found"
                f"{f', {len(self.undated)} without a report date' if self.undated else ''}")


def report_record(report: Report) -> dict:
    """The store's row for a report."""
    return {"report_id": report_id_of(report.text), "text": report.text, "url": report.url,
            "source": report.source, "title": report.title, "name": report.name,
            "report_date": report.report_date}


def extract_reports(items: Iterable[Report | Skipped], extractor: Extractor,
                    summary: BatchSummary) -> Iterator[tuple[Report, list[Claim]]]:
    """Extract each report in turn, recording skips and undated reports in ``summary``."""
    for item in items:
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            continue
        claims = extractor.extract(item.text, item.report_date, item.source, item.url)
        summary.reports += 1
        summary.claims += len(claims)
        if item.report_date is None:
            summary.undated.append(item.name)
        yield item, claims


def run(paths: list[str], options: InputOptions, extractor: Extractor,
        on_report: Callable[[Report, list[Claim]], None], summary: BatchSummary | None = None) -> BatchSummary:
    """Read every input in ``paths``, extract, and call ``on_report`` for each report."""
    summary = summary or BatchSummary()
    for report, claims in extract_reports(read_inputs(paths, options), extractor, summary):
        on_report(report, claims)
    return summary
