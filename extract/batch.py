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
        """One closing line: reports read, skipped (with reasons), claims found, undated."""
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


def _pairs(items, extractor: Extractor, workers: int, scheduler: str | None, chunksize: int):
    if workers <= 1 and not scheduler:
        for item in items:
            yield (item, None) if isinstance(item, Skipped) else (
                item, extractor.extract(item.text, item.report_date, item.source, item.url))
        return
    # One parallel engine: Dask, on an existing cluster or on a local one of ``workers`` processes
    # (docs/scaling.md has the measurements against the multiprocessing pool it replaced).
    from extract.distributed import dask_pairs

    yield from dask_pairs(items, extractor.gazetteer, scheduler, workers, chunksize)


def extract_reports(items: Iterable[Report | Skipped], extractor: Extractor, summary: BatchSummary,
                    workers: int = 1, gazetteer_path: str | None = None, chunksize: int = 256,
                    scheduler: str | None = None) -> Iterator[tuple[Report, list[Claim]]]:
    """Extract each report, in input order, recording skips and undated reports in ``summary``.

    With ``scheduler`` (a Dask scheduler address) the reports are extracted on that cluster; with
    ``workers`` > 1 and no address, on a local Dask cluster of that many processes. The workers get
    ``extractor``'s gazetteer (``gazetteer_path`` is no longer needed and is ignored) and the claims
    are identical to a one-process run, in the same order. Raises
    :class:`extract.distributed.DaskError` when the cluster cannot be used.
    """
    for item, claims in _pairs(items, extractor, workers, scheduler, chunksize):
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            continue
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
