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
        listed = list(reasons.items())
        why = "; ".join(f"{count} {reason}" for reason, count in listed[:3])
        if len(listed) > 3:  # each skip has its own line above; the summary stays one short line
            why += f"; {sum(count for _, count in listed[3:])} for {len(listed) - 3} other reasons"
        return (f"{self.reports} reports read, {len(self.skipped)} skipped"
                f"{' (' + why + ')' if why else ''}, {self.claims} claims found"
                f"{f', {len(self.undated)} without a report date' if self.undated else ''}")


    def exit_status(self) -> tuple[int, str]:
        """The command's exit status and, when not 0, why in one line.

        0: every input was read. 3: some inputs were skipped (the others were read). 4: no report
        was read at all (every input was skipped, or there was nothing in them).

        Examples
        --------
        >>> BatchSummary(reports=2).exit_status()
        (0, '')
        >>> BatchSummary(reports=2, skipped=[Skipped("a.txt", "empty file")]).exit_status()
        (3, '1 input could not be read (a.txt: empty file); the other reports were read')
        >>> BatchSummary().exit_status()
        (4, 'no report was read (the inputs held none)')
        """
        if self.skipped:
            first = self.skipped[0]
            named = f"{first.name}: {first.reason}" + (f"; and {len(self.skipped) - 1} more, above"
                                                        if len(self.skipped) > 1 else "")
            count = f"{len(self.skipped)} input{'s' if len(self.skipped) > 1 else ''}"
            if self.reports == 0:
                return 4, f"no report was read: {count} could not be read ({named})"
            return 3, f"{count} could not be read ({named}); the other reports were read"
        if self.reports == 0:
            return 4, "no report was read (the inputs held none)"
        return 0, ""


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
