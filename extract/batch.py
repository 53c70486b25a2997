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


_worker_extractor: Extractor | None = None


def _start_worker(gazetteer_path: str | None) -> None:
    """Build the extractor once per worker process (matchers compile once, not per report)."""
    global _worker_extractor
    from geodata.gazetteer import load_gazetteer

    _worker_extractor = Extractor(load_gazetteer(gazetteer_path))


def _extract_in_worker(item: Report | Skipped):
    if isinstance(item, Skipped):
        return item, None
    return item, _worker_extractor.extract(item.text, item.report_date, item.source, item.url)


def _pairs(items, extractor: Extractor, workers: int, gazetteer_path: str | None, chunksize: int):
    if workers <= 1:
        for item in items:
            yield (item, None) if isinstance(item, Skipped) else (
                item, extractor.extract(item.text, item.report_date, item.source, item.url))
        return
    import multiprocessing

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(gazetteer_path,)) as pool:
        # imap keeps input order, so output is the same as a one-process run.
        yield from pool.imap(_extract_in_worker, items, chunksize=chunksize)


def extract_reports(items: Iterable[Report | Skipped], extractor: Extractor, summary: BatchSummary,
                    workers: int = 1, gazetteer_path: str | None = None,
                    chunksize: int = 64) -> Iterator[tuple[Report, list[Claim]]]:
    """Extract each report, in input order, recording skips and undated reports in ``summary``.

    With ``workers`` > 1 the reports are extracted by a pool of processes (each building its own
    extractor from ``gazetteer_path``); the claims are identical to a one-process run.
    """
    for item, claims in _pairs(items, extractor, workers, gazetteer_path, chunksize):
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
