"""Reliability with real processes and real files: size limits, a full disk, a read-only and a
corrupt store, impossible dates, and the last injection checks (CSV formulas, SQL built from values).

Every command runs as ``borderwatch`` in a subprocess; its peak memory is measured by a small
wrapper process (``getrusage(RUSAGE_CHILDREN)``). Figures go to test-output/reliability/ and
docs/reliability.md.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from conftest import require

from geodata.store import ClaimStore

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "test-output" / "reliability"
RSS_BOUND_MB = 600  # the bound every run below must stay under
WRAPPER = ("import resource, subprocess, sys, time; t = time.time(); "
           "p = subprocess.run(sys.argv[1:], capture_output=True); "
           "sys.stdout.buffer.write(p.stdout); sys.stderr.buffer.write(p.stderr); "
           "print(f'@@ {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {time.time() - t:.2f}', "
           "file=sys.stderr); sys.exit(p.returncode)")


def borderwatch(*args: str, user: str | None = None, timeout: float = 300) -> tuple[int, str, str, float, float]:
    """Run ``borderwatch ARGS``; returns (exit code, stdout, stderr without the wrapper's line, peak MB, seconds)."""
    script = shutil.which("borderwatch", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "dashboard.cli"]
    full = [sys.executable, "-c", WRAPPER, *command, *args]
    if user is not None:
        full = ["runuser", "-u", user, "--", *full]
    done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    lines = done.stderr.rstrip("\n").split("\n")
    assert lines[-1].startswith("@@ "), done.stderr[-2000:]
    _, rss_kb, seconds = lines[-1].split()
    return done.returncode, done.stdout, "\n".join(lines[:-1]), int(rss_kb) / 1024, float(seconds)


def record(name: str, **figures) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str) + "\n")
    print(f"\n{name}: {figures}")


def one_line_error(stderr: str) -> str:
    """The command's error: exactly one line starting with 'borderwatch: error:', no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("borderwatch: error:")]
    assert len(errors) == 1, stderr[-3000:]
    assert "Traceback" not in stderr and "╭" not in stderr, stderr[-3000:]
    return errors[0]


def jsonl(path: Path, count: int, start: int = 0, filler: int = 0) -> Path:
    """``count`` dated reports, each with one claim (Rabia), optionally padded with ``filler`` words."""
    pad = " and" * filler
    with open(path, "w", encoding="utf-8") as out:
        for n in range(start, start + count):
            out.write(json.dumps({"text": f"Report {n}: militants seized the Rabia crossing on Sunday{pad}.",
                                  "report_date": f"2014-06-{1 + n % 28:02d}"}) + "\n")
    return path


def stored_ids(db: Path) -> dict[str, int]:
    """Report name -> claims stored for it."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select r.name, count(c.id) from reports r left join claims c "
                                 "on c.report_id = r.report_id group by r.report_id"))


# -- size limits -------------------------------------------------------------------------------
BIG = 200 * 2**20


def _write_big(path: Path, head: bytes = b"", tail: bytes = b"", newlines: bool = True) -> Path:
    line = b"Militants seized the Rabia crossing on Sunday, officials said. " * 16 + (b"\n" if newlines else b" ")
    block = line * (2**20 // len(line) + 1)
    with open(path, "wb") as out:
        out.write(head)
        written = len(head)
        while written < BIG:
            out.write(block)
            written += len(block)
        out.write(tail)
    return path


def test_a_200_mb_text_file_is_refused_with_a_clear_message(tmp_path):
    big = _write_big(tmp_path / "huge.txt")
    code, _, err, rss, seconds = borderwatch("extract", str(big), "--db", str(tmp_path / "s.db"))
    record("size-200mb-text", bytes=big.stat().st_size, exit=code, peak_rss_mb=round(rss), seconds=seconds,
           message=err.splitlines()[0])
    assert f"skipped {big}: file is 200 MiB; one report may be at most 16 MiB (split it into a JSONL or CSV batch)" \
        in err
    assert "Traceback" not in err and rss < 250  # refused from its size, never read


def test_a_200_mb_jsonl_line_and_csv_field_are_skipped_in_bounded_memory(tmp_path):
    """One record bigger than a report may be: skipped by name, read past in 1 MiB pieces, the rest kept."""
    good = json.dumps({"text": "Militants seized the Rabia crossing on Sunday.", "report_date": "2014-06-23"})
    batch = _write_big(tmp_path / "huge.jsonl", head=(good + "\n").encode() + b'{"text": "',
                       tail=b'", "report_date": "2014-06-23"}\n' + good.replace("Rabia", "Al-Qaim").encode() + b"\n",
                       newlines=False)
    code, _, err, rss, seconds = borderwatch("extract", str(batch), "--dry-run")
    record("size-200mb-jsonl-line", bytes=batch.stat().st_size, exit=code, peak_rss_mb=round(rss), seconds=seconds,
           summary=err.splitlines()[-1])
    assert code == 0, err
    assert f"skipped {batch}, line 2: record is 200 MiB; one report may be at most 16 MiB" in err
    assert "2 reports read, 1 skipped" in err  # the lines before and after it are read
    assert rss < 250, f"peak {rss:.0f} MB: the long line was held in memory"

    head = b'text,report_date\n"Rebels seized the Nasib crossing.",2015-04-02\n"'
    table = _write_big(tmp_path / "huge.csv", head=head, newlines=False)
    code, _, err, rss, seconds = borderwatch("extract", str(table), "--dry-run")
    record("size-200mb-csv-field", bytes=table.stat().st_size, exit=code, peak_rss_mb=round(rss), seconds=seconds,
           summary=err.splitlines()[-1])
    assert code == 0, err
    assert f"skipped {table}, row 3: a line longer than 16 MiB" in err and "the rest of the batch is not read" in err
    assert "1 reports read, 1 skipped" in err
    assert rss < 250


def test_a_million_line_jsonl_batch_is_streamed_in_bounded_memory(tmp_path):
    """1,000,000 short reports (each read, cleaned, hashed and extracted; --dry-run stores nothing)."""
    path = tmp_path / "million.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for start in range(0, 1_000_000, 10_000):
            out.write("".join(f'{{"text": "r{n}", "report_date": "2014-06-01"}}\n'
                              for n in range(start, start + 10_000)))
    code, _, err, rss, seconds = borderwatch("extract", str(path), "--dry-run")
    record("size-1m-lines-dry-run", lines=1_000_000, bytes=path.stat().st_size, exit=code, peak_rss_mb=round(rss),
           seconds=seconds, summary=err.splitlines()[-1])
    assert code == 0, err
    assert err.splitlines()[-1] == "1000000 reports read, 0 skipped, 0 claims found"
    assert rss < RSS_BOUND_MB


def test_a_large_batch_is_stored_in_bounded_memory(tmp_path):
    """50,000 reports with claims into a real store, 200 per transaction."""
    path = jsonl(tmp_path / "batch.jsonl", 50_000)
    db = tmp_path / "store.db"
    code, _, err, rss, seconds = borderwatch("extract", str(path), "--db", str(db))
    record("size-50k-stored", reports=50_000, exit=code, peak_rss_mb=round(rss), seconds=seconds,
           store_mb=round(db.stat().st_size / 2**20), summary=err.splitlines()[-1])
    assert code == 0, err
    assert "50000 reports read, 0 skipped, 50000 claims found; stored 50000 new reports" in err
    assert rss < RSS_BOUND_MB


# -- faults: a full disk, a read-only store, a corrupt file ------------------------------------
@contextmanager
def tmpfs(folder: Path, size: str):
    """A small tmpfs mounted at ``folder`` for the test (needs root: skipped, or failed under CI, without)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    require(mounted, "cannot mount a tmpfs here (needs root); see docs/reliability.md")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_disk_gives_one_clear_error_and_keeps_the_store_whole(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        db = disk / "store.db"
        code, _, err, _, _ = borderwatch("extract", str(jsonl(tmp_path / "first.jsonl", 20)), "--db", str(db))
        assert code == 0, err
        before = stored_ids(db)
        big = jsonl(tmp_path / "big.jsonl", 3000, start=1000, filler=150)  # ~2.5 MB of text: more than the disk
        code, _, err, _, seconds = borderwatch("extract", str(big), "--db", str(db), "--batch-size", "50")
        message = one_line_error(err)
        record("fault-full-disk", filesystem="tmpfs size=2m", exit=code, message=message, seconds=seconds)
        assert code == 1
        assert "database or disk is full" in message and str(db) in message
        store = ClaimStore(db, create=False)
        assert store.check() == []
        after = stored_ids(db)
        assert {k: v for k, v in after.items() if k in before} == before  # the earlier reports are intact
        assert all(claims == 1 for claims in after.values())  # every report whole, with its one claim
        assert len(after) < 20 + 3000
        store.close()


def test_a_read_only_store_gives_one_clear_error_and_is_not_changed(tmp_path):
    with tmpfs(tmp_path / "ro", "16m") as disk:
        db = disk / "store.db"
        code, _, err, _, _ = borderwatch("extract", str(jsonl(tmp_path / "first.jsonl", 20)), "--db", str(db))
        assert code == 0, err
        before = db.read_bytes()
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode == 0
        code, _, err, _, _ = borderwatch("extract", str(jsonl(tmp_path / "more.jsonl", 5, start=100)),
                                         "--db", str(db))
        message = one_line_error(err)
        record_ro = {"filesystem": "tmpfs remounted ro", "exit": code, "message": message}
        assert code != 0 and str(db) in message
        assert "readonly" in message or "read-only" in message or "unable to open" in message
        code, _, err, _, _ = borderwatch("export", "--db", str(db))  # reading it: works, or one clear line
        export_message = one_line_error(err) if code else "exported"
        record("fault-read-only", **record_ro, export=export_message)
        assert db.read_bytes() == before
        assert subprocess.run(["mount", "-o", "remount,rw", str(disk)], capture_output=True).returncode == 0
        store = ClaimStore(db, create=False)
        assert store.check() == [] and store.counts()["reports"] == 20
        store.close()


def test_a_corrupt_store_is_detected_and_reported_by_every_entry_point(tmp_path):
    db = tmp_path / "store.db"
    code, _, err, _, _ = borderwatch("extract", str(jsonl(tmp_path / "first.jsonl", 400, filler=100)),
                                     "--db", str(db))
    assert code == 0, err
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # four pages of garbage in the middle of a real store
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(os.urandom(4 * 4096))
    damaged = db.read_bytes()
    messages = {}
    more = jsonl(tmp_path / "more.jsonl", 3, start=1000)
    for name, args in {"extract": ["extract", str(more)], "export": ["export"],
                       "serve": ["serve", "--port", "1", "--no-demo"]}.items():
        code, out, err, _, _ = borderwatch(*args, "--db", str(db), timeout=60)
        messages[name] = one_line_error(err)
        assert code == 1 and out == ""
        assert messages[name] == (f"borderwatch: error: {db}: the database file is damaged "
                                  "(database disk image is malformed); restore it from a backup")
    assert db.read_bytes() == damaged  # nothing was written into the damaged file
    store = ClaimStore(db, create=False)
    problems = store.check()
    store.close()
    record("fault-corrupt", store_bytes=size, overwritten_bytes=4 * 4096, messages=messages, check=problems[:3])
    assert problems and all(isinstance(p, str) for p in problems)


# -- dates -------------------------------------------------------------------------------------
def test_impossible_and_far_dates_leave_claims_undated_with_a_warning(tmp_path):
    batch = tmp_path / "dates.jsonl"
    rows = [
        ("feb30", {"report_date": "2014-02-30", "text": "Militants seized the Rabia crossing on Sunday."}),
        ("year9999", {"report_date": "9999-01-01", "text": "Militants seized the Al-Qaim crossing on Sunday."}),
        ("year2150", {"report_date": "2150-06-01", "text": "Militants seized the Al-Waleed crossing on Sunday."}),
        ("june31", {"report_date": "2014-07-02", "text": "Militants seized the Rabia crossing on June 31."}),
        ("far_event", {"report_date": "2014-07-02", "text": "Militants seized the Al-Qaim crossing on June 9, 2150."}),
        ("sunday", {"text": "Militants seized the Al-Waleed crossing on Sunday."}),
    ]
    batch.write_text("".join(json.dumps({**row, "title": name}) + "\n" for name, row in rows), encoding="utf-8")
    code, out, err, _, _ = borderwatch("extract", str(batch), "--jsonl", "--db", str(tmp_path / "s.db"))
    assert code == 0 and "Traceback" not in err, err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert any(f"{batch}, line 1: report_date '2014-02-30' is not a real YYYY-MM-DD date" in w for w in warnings)
    assert any(f"{batch}, line 2: report_date 9999-01-01 is outside 1900-2100" in w for w in warnings)
    assert any(f"{batch}, line 3: report_date 2150-06-01 is outside 1900-2100" in w for w in warnings)
    assert any(f"{batch}, line 6: no report date found" in w for w in warnings)
    claims = [json.loads(line) for line in out.splitlines()]
    by_place = {}
    for claim in claims:
        by_place.setdefault((claim["report_date"], claim["place_id"]), claim)
    assert len(claims) == 6  # every report still gave its claim
    for claim in claims:
        if claim["report_date"] is None:
            assert claim["event_date"] is None  # "on Sunday" with no report date: no date
        else:
            assert claim["report_date"] == "2014-07-02" and claim["event_date"] is None  # June 31, 2150
    assert sum(c["report_date"] is None for c in claims) == 4
    # --report-date with an impossible date is refused as a usage error, in one line
    code, _, err, _, _ = borderwatch("extract", str(batch), "--report-date", "2014-02-30", "--dry-run")
    assert code == 2 and "--report-date '2014-02-30' is not a date in YYYY-MM-DD form" in one_line_error(err)
    # a far-future --report-date is taken as no date, with the warning naming every report
    code, _, err, _, _ = borderwatch("extract", str(batch), "--report-date", "2150-01-01", "--dry-run")
    assert code == 0 and err.count("--report-date 2150-01-01 is outside 1900-2100") == len(rows)
    record("dates", warnings=warnings, claims=[(c["place_id"], c["report_date"], c["event_date"]) for c in claims])


# -- injection: CSV formulas, SQL from values ---------------------------------------------------
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1"]


def test_csv_export_neutralises_spreadsheet_formulas_and_geojson_keeps_text(tmp_path):
    from extract import Extractor
    from extract.batch import report_record
    from extract.sources import InputOptions, make_report
    from geodata import load_gazetteer

    extractor = Extractor(load_gazetteer())
    batch = []
    for number, formula in enumerate(FORMULAS):
        options = InputOptions(report_date=date(2014, 6, 23), source=formula)
        report = make_report(f"r{number}", f"Militants seized the Rabia crossing on Sunday. {number}", False,
                             options, {"url": f"https://example.org/{number}", "title": formula})
        batch.append((report_record(report), extractor.extract(report.text, report.report_date, report.source,
                                                               report.url)))
    db = tmp_path / "s.db"
    store = ClaimStore(db)
    store.add_reports(batch)
    store.close()
    code, _, err, _, _ = borderwatch("export", "--db", str(db), "--from", "2014-01-01", "--to", "2014-12-31",
                                     "--format", "csv", "-o", str(tmp_path / "claims.csv"))
    assert code == 0, err
    with open(tmp_path / "claims.csv", newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert sorted(r[header.index("source")] for r in rows) == sorted("'" + f for f in FORMULAS)  # text, not formulas
    for row in rows:
        for value in row:
            assert value[:1] not in ("=", "+", "@", "\t", "\r") and not (value[:1] == "-" and not _number(value))
    code, _, err, _, _ = borderwatch("export", "--db", str(db), "--from", "2014-01-01", "--to", "2014-12-31",
                                     "--format", "geojson", "-o", str(tmp_path / "claims.geojson"))
    features = json.loads((tmp_path / "claims.geojson").read_text())["features"]
    assert sorted(f["properties"]["source"] for f in features) == sorted(FORMULAS)  # JSON keeps the text verbatim


def _number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


SQL_CALLS = {"execute", "exec_driver_sql", "executemany", "executescript", "text", "read_sql", "read_sql_query"}


def test_no_sql_is_built_from_strings_with_values():
    """Every SQL call in the project gets a constant string or a SQLAlchemy construct, never a built string."""
    offenders, calls = [], 0
    for folder in ("geodata", "extract", "dashboard"):  # bench/ builds INSERTs from the schema's column names
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in SQL_CALLS and node.args):
                    continue
                calls += 1
                sql = node.args[0]
                built = isinstance(sql, ast.JoinedStr) or (isinstance(sql, ast.BinOp)) or (
                    isinstance(sql, ast.Call) and isinstance(sql.func, ast.Attribute) and sql.func.attr == "format")
                if built:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    record("sql-scan", calls=calls, offenders=offenders)
    assert calls >= 10  # the scan sees the store's queries
    assert offenders == []
