"""Uploaded files and pasted text, read by the same reader as ``borderwatch extract`` (edge).

Each upload is written to a private temporary folder under a name that keeps only its suffix,
then read with :func:`extract.sources.read_file` (size limits, encodings, binary detection, JSON
Lines and CSV batches) and extracted with :func:`extract.batch.extract_reports`, exactly as the
command line does. The reports and skips then carry the name the user gave the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePath

from extract.batch import BatchSummary, extract_reports, report_record
from extract.sources import InputOptions, Report, Skipped, read_file

SUFFIXES = (".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".csv")
UPLOAD_TYPES = tuple(s.lstrip(".") for s in SUFFIXES)


def _renamed(item: Report | Skipped, path: Path, name: str) -> Report | Skipped:
    """The reader names items after the file it read ("x.jsonl, line 3"): put the user's name back."""
    return replace(item, name=item.name.replace(str(path), name, 1))


def read_upload(name: str, data: bytes, options: InputOptions) -> list[Report | Skipped]:
    """Reports (and skipped records) in one uploaded file, read as ``borderwatch extract`` reads a file."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        return [Skipped(name, f"not a report file ({', '.join(SUFFIXES)})")]
    with tempfile.TemporaryDirectory(prefix="borderwatch-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return [_renamed(item, path, name) for item in read_file(path, options)]


def read_pasted(text: str, options: InputOptions, url: str | None = None) -> list[Report | Skipped]:
    """A pasted report (HTML when it starts with ``<``), read through the same reader as a file."""
    suffix = ".html" if text.lstrip()[:1] == "<" else ".txt"
    with tempfile.TemporaryDirectory(prefix="borderwatch-paste-") as folder:
        path = Path(folder) / f"pasted{suffix}"
        path.write_text(text, encoding="utf-8")
        items = [_renamed(item, path, "pasted report") for item in read_file(path, options)]
    return [replace(item, url=url) if url and isinstance(item, Report) else item for item in items]


def extract(items: Iterable[Report | Skipped], extractor) -> tuple[list[tuple[dict, list]], list[Skipped]]:
    """Extract each report: ``([(store record, claims)], [skipped])``, ready for ``ClaimStore.add_reports``."""
    summary = BatchSummary()
    batch = [(report_record(report), claims) for report, claims in extract_reports(items, extractor, summary)]
    return batch, list(summary.skipped)
