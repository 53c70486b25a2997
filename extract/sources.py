"""Input edge: read text, HTML, JSON Lines and CSV reports from files, folders or stdin into Reports."""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extract.clean import CleanText, clean_html, clean_plain_text
from extract.dates import EARLIEST, LATEST, dateline_date, plausible
from geodata.names import fold

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
# One report is an article, not a corpus: a bigger single file is refused with advice to split it,
# which keeps memory bounded (batches are streamed record by record instead).
MAX_REPORT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Report:
    """One report ready for extraction: cleaned article text and what is known about it."""

    name: str  # where it came from: a path, or "batch.jsonl, line 7"
    text: str
    report_date: date | None
    source: str = ""
    url: str = ""
    title: str = ""
    date_origin: str = ""  # "given" | "batch" | "html" | "dateline" | ""
    date_note: str = ""  # why a stated report date was not used ("report_date '2014-02-30' is not a real date")


@dataclass(frozen=True)
class Skipped:
    """An input that could not be read, and why, so the batch goes on without it."""

    name: str
    reason: str


@dataclass
class InputOptions:
    """What the command line says about every input."""

    report_date: date | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)


class UnreadableInput(ValueError):
    """Bytes that are not text in any supported encoding."""


def decode(data: bytes) -> str:
    """Decode report bytes: UTF-8 (with or without BOM), UTF-16, else the best single-byte guess.

    Windows-1252 and Windows-1256 (Arabic) are told apart by charset-normalizer.
    Raises :class:`UnreadableInput` for binary data.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if len(data) >= 4 and data.count(b"\x00") > len(data) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        even_zeros = data[0::2].count(0) > data[1::2].count(0)
        try:
            return data.decode("utf-16-be" if even_zeros else "utf-16-le")
        except UnicodeDecodeError:
            raise UnreadableInput("binary data (NUL bytes), not text") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise UnreadableInput("binary data (NUL bytes), not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1252", "cp1256", "iso-8859-1", "iso-8859-6", "utf-8"]).best()
    if best is None:
        raise UnreadableInput("not text in UTF-8, UTF-16, Windows-1252 or Windows-1256")
    return str(best)


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls > len(text[:4096]) * 0.05 or text[:4096].count("\ufffd") > 20


def _parse_date(value) -> tuple[date | None, str]:
    """A batch's report date, or no date and why (an impossible or implausible date is not fatal)."""
    if value in (None, ""):
        return None, ""
    try:
        found = date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None, f"report_date {str(value)[:40]!r} is not a real YYYY-MM-DD date"
    return _checked(found, "report_date")


def _checked(value: date | None, what: str) -> tuple[date | None, str]:
    if value is None or plausible(value):
        return value, ""
    return None, f"{what} {value.isoformat()} is outside {EARLIEST.year}-{LATEST.year}"


def make_report(name: str, body: str, is_html: bool, options: InputOptions, fields: dict | None = None) -> Report:
    """Clean one report body and settle its date, source and title by the documented precedence.

    The report date comes from, in order: ``--report-date``/the batch field, HTML metadata, the
    article's dateline. Never from boilerplate, which is dropped before the dateline is read.
    """
    fields = fields or {}
    # Lone surrogates (from JSON "\ud800" escapes) cannot be stored or hashed: replace them.
    body = _storable(body)
    cleaned: CleanText = clean_html(body) if is_html else clean_plain_text(body)
    # A stated date that is impossible (2014-02-30) or far off (9999) leaves the report undated,
    # with a note naming it, instead of refusing the report or trusting the next source of a date.
    report_date, note = _checked(options.report_date, "--report-date")
    origin = "given" if report_date else ""
    if report_date is None and not note and fields.get("report_date"):
        report_date, note = _parse_date(fields.get("report_date"))
        origin = "batch" if report_date else ""
    if report_date is None and not note and cleaned.report_date is not None:
        report_date, note = _checked(cleaned.report_date, "the page's date")
        origin = "html" if report_date else ""
    if report_date is None and not note:
        found = dateline_date(fold(cleaned.text))
        if found is not None:
            report_date, origin = found, "dateline"
    source = _storable(fields.get("source") or options.source or cleaned.source or "")
    return Report(name=name, text=cleaned.text, report_date=report_date, source=source,
                  url=_storable(fields.get("url") or ""), title=_storable(fields.get("title") or cleaned.title or ""),
                  date_origin=origin, date_note=note)


def _storable(value) -> str:
    return str(value).encode("utf-8", "replace").decode("utf-8")


def _batch_record(name: str, record, options: InputOptions) -> Report | Skipped:
    if not isinstance(record, dict):
        return Skipped(name, "a batch record must be an object with a 'text' or 'html' field")
    body = record.get("text")
    is_html = False
    if not body and record.get("html"):
        body, is_html = record["html"], True
    if not isinstance(body, str) or not body.strip():
        return Skipped(name, "no 'text' or 'html' field")
    try:
        return make_report(name, body, is_html, options, record)
    except UnreadableInput as error:
        return Skipped(name, str(error))


def read_jsonl(lines: Iterable[str | bytes], label: str, options: InputOptions) -> Iterator[Report | Skipped]:
    """Stream a JSON Lines batch (text or raw byte lines); a bad line is skipped with its number."""
    for number, line in enumerate(lines, start=1):
        name = f"{label}, line {number}"
        if isinstance(line, _Oversized):
            yield Skipped(name, f"record is {line.size // 2**20} MiB; one report may be at most "
                                f"{MAX_REPORT_BYTES // 2**20} MiB")
            continue
        if isinstance(line, bytes):
            if len(line) > MAX_REPORT_BYTES:
                yield Skipped(name, f"record is {len(line) // 2**20} MiB; one report may be at most "
                                    f"{MAX_REPORT_BYTES // 2**20} MiB")
                continue
            try:
                line = _decode_line(line)
            except UnreadableInput as error:
                yield Skipped(name, str(error))
                continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            yield Skipped(name, f"not valid JSON ({error.msg})")
            continue
        yield _batch_record(name, record, options)


def read_csv_batch(text_stream, label: str, options: InputOptions) -> Iterator[Report | Skipped]:
    """Stream a CSV batch with a header row (``text`` or ``html``, ``report_date``, ``source``...)."""
    csv.field_size_limit(MAX_REPORT_BYTES)
    reader = csv.DictReader(_bounded_text_lines(text_stream))
    if not reader.fieldnames or not {"text", "html"} & set(reader.fieldnames):
        yield Skipped(label, "CSV batch needs a 'text' or 'html' column")
        return
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            yield _batch_record(f"{label}, row {number}", row, options)
    except (csv.Error, _LineTooLong) as error:  # a field over the limit: the rows after it cannot be trusted
        yield Skipped(f"{label}, row {number + 1}", f"{error} (one report may be at most "
                      f"{MAX_REPORT_BYTES // 2**20} MiB); the rest of the batch is not read")


def _read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_REPORT_BYTES:
        raise UnreadableInput(f"file is {size // 2**20} MiB; one report may be at most "
                              f"{MAX_REPORT_BYTES // 2**20} MiB (split it into a JSONL or CSV batch)")
    return path.read_bytes()


def _csv_encoding(path: Path) -> str:
    """The encoding of a CSV batch, judged from its first 64 KiB (the rest is streamed)."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:
            return "utf-8"  # a character cut by the 64 KiB boundary
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=["cp1252", "cp1256", "utf-8"]).best()
    if best is None:
        raise UnreadableInput("CSV batch is not text in UTF-8, UTF-16, Windows-1252 or Windows-1256")
    return best.encoding


def read_file(path: Path, options: InputOptions) -> Iterator[Report | Skipped]:
    """Reports in one file, by its suffix; batches are streamed line by line."""
    suffix = path.suffix.lower()
    name = str(path)
    try:
        if suffix in JSONL_SUFFIXES:
            with open(path, "rb") as handle:
                yield from read_jsonl(_bounded_lines(handle), name, options)
            return
        if suffix in CSV_SUFFIXES:
            with open(path, encoding=_csv_encoding(path), errors="replace", newline="") as handle:
                yield from read_csv_batch(handle, name, options)
            return
        text = decode(_read_bytes(path))
    except (OSError, UnreadableInput) as error:
        yield Skipped(name, getattr(error, "strerror", None) or str(error))
        return
    if _looks_binary(text):
        yield Skipped(name, "binary data, not text")
        return
    is_html = suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and text.lstrip()[:1] == "<")
    if not text.strip():
        yield Skipped(name, "empty file")
        return
    yield make_report(name, text, is_html, options)


class _LineTooLong(ValueError):
    """A CSV line longer than one report may be (checked before the line is held whole)."""


def _bounded_text_lines(stream, limit: int = MAX_REPORT_BYTES) -> Iterator[str]:
    """The lines of a text stream, refusing (not reading whole) one longer than ``limit`` characters."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith("\n"):
            raise _LineTooLong(f"a line longer than {limit // 2**20} MiB")
        yield line


@dataclass(frozen=True)
class _Oversized:
    """A batch line longer than one report may be, read past without keeping it."""

    size: int


def _bounded_lines(handle, limit: int = MAX_REPORT_BYTES) -> Iterator[bytes | _Oversized]:
    """The lines of a binary file, never holding more than ``limit`` bytes of one line in memory."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while line and not line.endswith(b"\n"):
            line = handle.readline(1 << 20)
            size += len(line)
        yield _Oversized(size)


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode(raw)



def expand_paths(paths: Iterable[str]) -> Iterator[Path | str]:
    """Files named, and the files under folders named (sorted, hidden ones skipped); ``-`` is stdin."""
    for raw in paths:
        if raw == "-":
            yield "-"
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child
        else:
            yield path


def read_inputs(paths: Iterable[str], options: InputOptions | None = None, stdin=None) -> Iterator[Report | Skipped]:
    """Every report in ``paths`` (files, folders, ``-``), or why an input was skipped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("Rebels seized the Nasib crossing on Sunday.")
    >>> [r.name.endswith("a.txt") for r in read_inputs([str(folder)])]
    [True]
    """
    options = options or InputOptions()
    for path in expand_paths(paths):
        if path == "-":
            data = (stdin or sys.stdin.buffer).read()
            try:
                text = decode(data)
            except UnreadableInput as error:
                yield Skipped("<stdin>", str(error))
                continue
            stripped = text.lstrip()
            if stripped.startswith("{"):
                yield from read_jsonl(text.splitlines(), "<stdin>", options)
            elif stripped:
                yield make_report("<stdin>", text, stripped.startswith("<"), options)
            continue
        if not path.exists():
            yield Skipped(str(path), "no such file or folder")
            continue
        yield from read_file(path, options)
