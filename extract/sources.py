"""Input edge: read text, HTML, JSON Lines and CSV reports from files, folders or stdin into Reports."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import stat
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extract.clean import CleanText, clean_html, clean_plain_text
from extract.dates import EARLIEST, LATEST, dateline_date, plausible
from extract.sentences import MAX_SENTENCE_CHARS, cut_sentences
from geodata.names import fold

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
# One report is an article, not a corpus: a bigger single file is refused with advice to split it,
# which keeps memory bounded (batches are streamed record by record instead).
MAX_REPORT_BYTES = 16 * 1024 * 1024
_MIB = MAX_REPORT_BYTES // 2**20
# Python refuses to turn a longer digit string into an int (CVE-2020-10735); a batch record with one
# is refused with that reason instead of the ValueError escaping.
MAX_JSON_INT_DIGITS = 4300


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
    note: str = ""  # anything else the reader changed ("2 sentences longer than 2000 characters were cut")


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
    cut = cut_sentences(cleaned.text)
    notes = [cleaned.note] if cleaned.note else []
    if cut:
        notes.append(f"{cut} sentence{'s' if cut > 1 else ''} longer than {MAX_SENTENCE_CHARS} characters cut "
                     "into pieces (a claim across a cut is not found)")
    return Report(name=name, text=cleaned.text, report_date=report_date, source=source,
                  url=_storable(fields.get("url") or ""), title=_storable(fields.get("title") or cleaned.title or ""),
                  date_origin=origin, date_note=note, note="; ".join(notes))


def _storable(value) -> str:
    return str(value).encode("utf-8", "replace").decode("utf-8")


class _BadRecord(ValueError):
    """A batch record that cannot be read, with the reason in one line."""


_FIELDS = ("report_date", "source", "url", "title")


def _batch_record(name: str, record, options: InputOptions) -> Report | Skipped:
    if not isinstance(record, dict):
        return Skipped(name, "a batch record must be an object with a 'text' or 'html' field")
    body = record.get("text")
    is_html = False
    if not body and record.get("html"):
        body, is_html = record["html"], True
    if not isinstance(body, str) or not body.strip():
        return Skipped(name, "no 'text' or 'html' field")
    fields = {}
    for key in _FIELDS:  # only text fields go on: a nested value could not even be printed safely
        value = record.get(key)
        if value is None or isinstance(value, str):
            fields[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            fields[key] = str(value)
        else:
            return Skipped(name, f"field {key!r} must be text, not {type(value).__name__}")
    try:
        return make_report(name, body, is_html, options, fields)
    except UnreadableInput as error:
        return Skipped(name, str(error))


def _json_int(digits: str) -> int:
    if len(digits) > MAX_JSON_INT_DIGITS:
        raise _BadRecord(f"a JSON number of {len(digits):,} digits; at most {MAX_JSON_INT_DIGITS} are read")
    return int(digits)


def _json_record(line: str):
    """One JSON value, or :class:`_BadRecord` with a one-line reason (never a traceback)."""
    try:
        return json.loads(line, parse_int=_json_int)
    except _BadRecord:
        raise
    except json.JSONDecodeError as error:
        raise _BadRecord(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise _BadRecord(f"JSON nested too deeply (arrays or objects more than about {sys.getrecursionlimit()} "
                         "levels inside each other)") from None
    except ValueError as error:  # anything else the decoder refuses: its first line is the reason
        raise _BadRecord(f"not valid JSON ({str(error).splitlines()[0][:200]})") from None


def read_jsonl(lines: Iterable[str | bytes], label: str, options: InputOptions) -> Iterator[Report | Skipped]:
    """Stream a JSON Lines batch (text or raw byte lines); a bad line is skipped with its number and why.

    Examples
    --------
    >>> [type(i).__name__ for i in read_jsonl(['{"text": "Rabia."}', '[' * 100000, '{"n": 1' + '0' * 5000 + '}'],
    ...                                       "b", InputOptions())]
    ['Report', 'Skipped', 'Skipped']
    """
    for number, line in enumerate(lines, start=1):
        name = f"{label}, line {number}"
        if isinstance(line, _Oversized):
            yield Skipped(name, f"record is {line.size // 2**20} MiB; one report may be at most {_MIB} MiB")
            continue
        if isinstance(line, bytes):
            if len(line) > MAX_REPORT_BYTES:
                yield Skipped(name, f"record is {len(line) // 2**20} MiB; one report may be at most {_MIB} MiB")
                continue
            try:
                line = _decode_line(line)
            except UnreadableInput as error:
                yield Skipped(name, str(error))
                continue
        if not line.strip():
            continue
        try:
            record = _json_record(line)
        except _BadRecord as error:
            yield Skipped(name, str(error))
            continue
        yield _batch_record(name, record, options)


def read_csv_batch(text_stream, label: str, options: InputOptions) -> Iterator[Report | Skipped]:
    r"""Stream a CSV batch with a header row (``text`` or ``html``, ``report_date``, ``source``...).

    Quotes are read strictly: a quote that is never closed, or text right after a closing quote,
    is an error for the record it starts (named by its line), and reading goes on with the next
    line, so rows an unclosed quote would have swallowed into one report still land. A record over
    16 MiB is skipped without being held whole. A row with more values than the header has
    columns (an unquoted comma in the text?) is skipped, not cut.

    Examples
    --------
    >>> rows = 'text,source\n"Rabia.",AFP\n"unclosed,AFP\n"Al-Qaim.",AFP\nTrebil.,AFP\n'
    >>> [(type(i).__name__, i.name) for i in read_csv_batch(io.StringIO(rows), "b.csv", InputOptions())]
    [('Report', 'b.csv, row 2'), ('Skipped', 'b.csv, line 3'), ('Report', 'b.csv, row 3'), ('Report', 'b.csv, row 4')]
    """
    csv.field_size_limit(MAX_REPORT_BYTES + 1024)  # the record limit below speaks first
    records = _csv_records(text_stream)
    header = None
    for first, row, error in records:
        if error is not None:
            yield Skipped(label, f"header row (line {first}): {error}; the batch is not read")
            return
        if row:
            header = [column.strip() for column in row]
            break
    if header is None or not {"text", "html"} & set(header):
        yield Skipped(label, "CSV batch needs a 'text' or 'html' column")
        return
    number = 1
    for first, row, error in records:
        if error is not None:
            yield Skipped(f"{label}, line {first}", error)
            continue
        if not row:
            continue  # a blank line
        number += 1
        name = f"{label}, row {number}"
        if len(row) > len(header) and any(value.strip() for value in row[len(header):]):
            yield Skipped(name, f"{len(row)} values for {len(header)} columns (line {first}; an unquoted comma "
                                "in the text?)")
            continue
        yield _batch_record(name, dict(zip(header, row)), options)


class _RecordTooLong(Exception):
    """A CSV record longer than one report may be; raised by the line feeder into the csv reader."""

    def __init__(self, number: int, reason: str, inside_quotes: bool):
        super().__init__(reason)
        self.number, self.reason, self.inside_quotes = number, reason, inside_quotes


class _CsvLines:
    """The lines the csv reader pulls, one at a time (it never reads ahead), keeping the current record's.

    The record's lines are at most one report's worth, so that after a quoting error the lines after
    its first one can be read again as records of their own.
    """

    def __init__(self, stream, limit: int):
        self._lines = _bounded_text_lines(stream, limit)
        self.limit = limit
        self.number = 0  # physical lines read from the stream
        self.again: deque[tuple[int, str]] = deque()  # lines to read again after a broken record
        self.record: list[tuple[int, str]] = []
        self._size = 0
        self._quotes = 0  # quote characters in the record so far: odd inside a quoted field

    def start_record(self) -> int:
        """Forget the last record's lines; the number of the line the next record starts on."""
        self.record, self._size, self._quotes = [], 0, 0
        return self.again[0][0] if self.again else self.number + 1

    def _next_line(self) -> tuple[int, str | _Oversized]:
        if self.again:
            return self.again.popleft()
        line = next(self._lines)  # StopIteration ends the reader
        self.number += 1
        return self.number, line

    def skip_quoted_rest(self) -> int:
        """Read past the rest of a quoted field (to the line that closes its quote); the last line's number."""
        last = self.number
        for number, line in iter(self._next_line_or_none, None):
            last = number
            if (line.quotes if isinstance(line, _Oversized) else line.count('"')) % 2:
                break
        return last

    def _next_line_or_none(self):
        try:
            return self._next_line()
        except StopIteration:
            return None

    def __iter__(self):
        return self

    def __next__(self) -> str:
        number, line = self._next_line()
        if isinstance(line, _Oversized):
            self._quotes += line.quotes
            raise _RecordTooLong(number, f"line {number} is {line.size // 2**20} MiB long", self._quotes % 2 == 1)
        self._size += len(line)
        self._quotes += line.count('"')
        if self._size > self.limit:
            raise _RecordTooLong(number, f"a record over {self.limit // 2**20} MiB", self._quotes % 2 == 1)
        self.record.append((number, line))
        return line


def _csv_records(stream, limit: int = MAX_REPORT_BYTES) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """The records of a CSV text stream: ``(first line, values, None)``, or ``(first line, None, reason)``."""
    feed = _CsvLines(stream, limit)
    reader = csv.reader(feed, strict=True)
    while True:
        first = feed.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RecordTooLong as error:
            # Too big to be one report: skipped whole, to the end of the quoted field it stopped in
            # (read past, not held), and reading goes on after it.
            last = feed.skip_quoted_rest() if error.inside_quotes else error.number
            where = f"; lines {first}-{last} skipped" if last > first else ""
            yield first, None, f"{error.reason}; one report may be at most {limit // 2**20} MiB{where}"
            continue
        except csv.Error as error:
            lines = feed.record
            feed.again.extendleft(reversed(lines[1:]))
            why = (f"a quote opened on line {first} is never closed" if str(error) == "unexpected end of data"
                   else f"bad quoting ({error})")
            again = ""
            if len(lines) > 1:
                span = f"line {lines[1][0]}" if len(lines) == 2 else f"lines {lines[1][0]}-{lines[-1][0]}"
                again = f"; {span} read again as {'a row of its own' if len(lines) == 2 else 'rows of their own'}"
            yield first, None, f"{why}: line {first} skipped{again}"
            continue
        yield first, row, None


_TOO_BIG = (f"more than {_MIB} MiB, and one report may be at most {_MIB} MiB: reading stopped there "
            "(split it into a JSONL or CSV batch)")


def _read_limited(handle) -> bytes:
    """At most one report's bytes from an open file, pipe or device; :class:`UnreadableInput` past that.

    The size of a pipe or a device is unknown until it is read, so the limit is enforced while
    reading: never more than the limit plus one byte is held.
    """
    data = handle.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        raise UnreadableInput(_TOO_BIG)
    return data


def _read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_REPORT_BYTES:  # a regular file says its size: refused without reading it
        raise UnreadableInput(f"file is {size // 2**20} MiB; one report may be at most "
                              f"{_MIB} MiB (split it into a JSONL or CSV batch)")
    with open(path, "rb") as handle:
        return _read_limited(handle)  # it may have grown since, or be a pipe or a device


def _csv_text(handle) -> io.TextIOWrapper:
    """A CSV batch as text: the encoding is judged from its first 64 KiB, the rest is streamed.

    Works on a pipe too: the bytes read to judge are put back in front of the stream.
    """
    head = handle.read(65536)
    encoding = _csv_encoding(head)
    return io.TextIOWrapper(io.BufferedReader(_Joined(head, handle)), encoding=encoding, errors="replace",
                            newline="")


def _csv_encoding(head: bytes) -> str:
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


class _Joined(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream (to sniff a pipe and still read it all)."""

    def __init__(self, head: bytes, rest):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        read = getattr(self._rest, "read1", self._rest.read)
        data = read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def read_file(path: Path, options: InputOptions) -> Iterator[Report | Skipped]:
    """Reports in one file, by its suffix; batches are streamed line by line.

    A pipe or a device (``<(cat a.txt)``, ``/dev/stdin``) is read like standard input: a JSON
    Lines batch when it starts with ``{``, else one report, never more than the size limit.
    """
    suffix = path.suffix.lower()
    name = str(path)
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
        if suffix in JSONL_SUFFIXES:
            with open(path, "rb") as handle:
                yield from read_jsonl(_bounded_lines(handle), name, options)
            return
        if suffix in CSV_SUFFIXES:
            with open(path, "rb") as handle:
                yield from read_csv_batch(_csv_text(handle), name, options)
            return
        if not regular:
            with open(path, "rb") as handle:
                yield from read_stream(handle, name, options)
            return
        text = decode(_read_bytes(path))
    except (OSError, UnreadableInput) as error:
        yield Skipped(name, getattr(error, "strerror", None) or str(error))
        return
    yield from _text_report(name, text, suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES
                                                                     and text.lstrip()[:1] == "<"), options)


def _text_report(name: str, text: str, is_html: bool, options: InputOptions) -> Iterator[Report | Skipped]:
    if _looks_binary(text):
        yield Skipped(name, "binary data, not text")
    elif not text.strip():
        yield Skipped(name, "empty file")
    else:
        yield make_report(name, text, is_html, options)


def read_stream(handle, name: str, options: InputOptions) -> Iterator[Report | Skipped]:
    """Standard input, a pipe or a device, in bounded memory.

    A stream that starts with ``{`` is a JSON Lines batch, streamed line by line; anything else is
    one report (HTML when it starts with ``<``), refused once more than the size limit has been read.

    Examples
    --------
    >>> [i.reason.split(" (")[0] for i in read_stream(io.BytesIO(b"x" * (MAX_REPORT_BYTES + 5)), "<stdin>",
    ...                                                InputOptions())]
    ['more than 16 MiB, and one report may be at most 16 MiB: reading stopped there']
    """
    head = handle.read(65536)
    if head.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"{":
        yield from read_jsonl(_bounded_lines(io.BufferedReader(_Joined(head, handle))), name, options)
        return
    try:
        data = head + (_read_limited(handle) if len(head) == 65536 else b"")
        if len(data) > MAX_REPORT_BYTES:
            raise UnreadableInput(_TOO_BIG)
        text = decode(data)
    except (OSError, UnreadableInput) as error:
        yield Skipped(name, getattr(error, "strerror", None) or str(error))
        return
    stripped = text.lstrip()
    if stripped.startswith("{"):  # a UTF-16 batch: small enough to have been read whole
        yield from read_jsonl(text.splitlines(), name, options)
        return
    yield from _text_report(name, text, stripped.startswith("<"), options)


def _bounded_text_lines(stream, limit: int = MAX_REPORT_BYTES) -> Iterator[str | _Oversized]:
    """The lines of a text stream; one longer than ``limit`` characters is read past, not held whole."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith("\n"):
            yield line
            continue
        size, quotes = len(line), line.count('"')
        while line and not line.endswith("\n"):
            line = stream.readline(1 << 20)
            size, quotes = size + len(line), quotes + line.count('"')
        yield _Oversized(size, quotes)


@dataclass(frozen=True)
class _Oversized:
    """A batch line longer than one report may be, read past without keeping it."""

    size: int
    quotes: int = 0  # quote characters in it (CSV: whether it leaves a quoted field open)


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


def expand_paths(paths: Iterable[str | Path | Skipped]) -> Iterator[Path | str | Skipped]:
    """Files named, and the files under folders named (sorted, hidden ones skipped); ``-`` is stdin.

    What a folder holds but cannot be read comes back as :class:`Skipped` with the reason: a
    sub-folder that cannot be listed, a symbolic link that loops back to a folder being read (or to
    one read already), a broken link, a pipe, socket or device (name one on its own to read it).
    """
    for raw in paths:
        if isinstance(raw, Skipped) or raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            root = path.stat()
            yield from _walk(path, {(root.st_dev, root.st_ino): path}, {(root.st_dev, root.st_ino): path})
        elif not path.exists() and path.is_symlink():
            yield Skipped(str(path), _bad_link(path))
        else:
            yield path


def _bad_link(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == 40:  # ELOOP
            return "symbolic link loop (it leads back to itself), not followed"
    return f"broken symbolic link (to {os.readlink(path)}, which does not exist)"


def _walk(folder: Path, ancestors: dict, seen: dict) -> Iterator[Path | Skipped]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        yield Skipped(str(folder), f"cannot read folder ({error.strerror or error})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden files and folders (.git, editor backups) are not reports
        path = Path(entry.path)
        try:
            if entry.is_dir():  # follows a symbolic link
                info = entry.stat()
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    yield Skipped(str(path), f"symbolic link loop (back to {ancestors[key]}), not followed")
                elif key in seen:
                    yield Skipped(str(path), f"the same folder as {seen[key]}, read once")
                else:
                    seen[key] = path
                    yield from _walk(path, {**ancestors, key: path}, seen)
            elif entry.is_file():
                yield path
            elif entry.is_symlink():
                yield Skipped(str(path), _bad_link(path))
            else:
                yield Skipped(str(path), "not a regular file (a pipe, socket or device); name it on its own to read it")
        except OSError as error:
            if entry.is_symlink():
                yield Skipped(str(path), _bad_link(path))
            else:
                yield Skipped(str(path), error.strerror or str(error))


def read_inputs(paths: Iterable[str | Path | Skipped], options: InputOptions | None = None,
                stdin=None) -> Iterator[Report | Skipped]:
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
        if isinstance(path, Skipped):
            yield path
        elif path == "-":
            yield from read_stream(stdin or sys.stdin.buffer, "<stdin>", options)
        elif not path.exists():
            yield Skipped(str(path), "no such file or folder")
        else:
            yield from read_file(path, options)
