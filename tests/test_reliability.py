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
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
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


def borderwatch_command() -> list[str]:
    """The installed console script, as a user runs it (the module when there is none)."""
    script = shutil.which("borderwatch", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "dashboard.cli"]


def borderwatch(*args: str, user: str | None = None, timeout: float = 300, stdin: Path | None = None,
                shell: str | None = None) -> tuple[int, str, str, float, float]:
    """Run ``borderwatch ARGS``; returns (exit code, stdout, stderr without the wrapper's line, peak MB, seconds).

    ``stdin`` is a file given as standard input; ``shell`` a bash command line run instead, in which
    ``BORDERWATCH`` stands for the command (for process substitution such as ``<(cat file)``).
    """
    command = borderwatch_command()
    full = [sys.executable, "-c", WRAPPER, *command, *args]
    if shell is not None:
        full = [sys.executable, "-c", WRAPPER, "bash", "-c", shell.replace("BORDERWATCH", " ".join(command))]
    if user is not None:
        full = ["runuser", "-u", user, "--", *full]
    with open(stdin or os.devnull, "rb") as given:
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=REPO, stdin=given)
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
           summary=err.splitlines()[-2])
    assert code == 3, err  # some input was not read: a script can tell
    assert f"skipped {batch}, line 2: record is 200 MiB; one report may be at most 16 MiB" in err
    assert "2 reports read, 1 skipped" in err  # the lines before and after it are read
    assert rss < 350, f"peak {rss:.0f} MB: the long line was held in memory"  # ~100 MB of it is the parser model

    head = b'text,report_date\n"Rebels seized the Nasib crossing.",2015-04-02\n"'
    table = _write_big(tmp_path / "huge.csv", head=head, newlines=False)
    code, _, err, rss, seconds = borderwatch("extract", str(table), "--dry-run")
    record("size-200mb-csv-field", bytes=table.stat().st_size, exit=code, peak_rss_mb=round(rss), seconds=seconds,
           summary=err.splitlines()[-2])
    assert code == 3, err
    assert f"skipped {table}, line 3: line 3 is 200 MiB long; one report may be at most 16 MiB" in err
    assert "1 reports read, 1 skipped" in err
    assert rss < 350  # ~100 MB of it is the parser model


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


def test_a_large_batch_is_stored_in_bounded_memory(tmp_path, monkeypatch):
    """50,000 reports with claims into a real store, 200 per transaction.

    The store's memory is what is measured: the word-order rules extract (the parse would take
    ~40 minutes for 50,000 reports on this machine; its speed is a benchmark, docs/benchmarks.md).
    """
    monkeypatch.setenv("BORDERWATCH_PARSER", "off")
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
    assert code == 2 and "--report-date '2014-02-30' is not a date (2014-02 has no day 30)" in one_line_error(err)
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


# -- issue 16: twelve breaks found by trying to break it ----------------------------------------------------
RABIA_PAGE = """<html><head><title>Rabia retaken</title>
<meta property="article:published_time" content="2014-09-30T08:00:00Z"></head>
<body><nav>Home | World | Sport</nav>
<article><h1>Rabia retaken</h1>
<p>Kurdish Peshmerga forces retook the Rabia border crossing on Sunday, officials said.</p>
<p>Residents said shops reopened in the afternoon and traffic resumed on the main road to the border.</p>
</article><footer>All rights reserved 2014</footer></body></html>"""


RABIA_SENTENCE = "Kurdish Peshmerga forces retook the Rabia border crossing on Sunday, officials said."


def _claims(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_an_html_page_through_the_installed_command_gives_its_claims(tmp_path):
    """Item 1: every HTML input crashed (lxml.html.clean ImportError) on a fresh install."""
    page = tmp_path / "page.html"
    page.write_text(RABIA_PAGE, encoding="utf-8")
    code, out, err, _, _ = borderwatch("extract", str(page), "--jsonl")
    assert code == 0 and "Traceback" not in err and "warning" not in err, err
    (claim,) = _claims(out)
    assert (claim["place_id"], claim["party"], claim["report_date"]) == ("rabia", "krg", "2014-09-30")


HTML_REQUIREMENTS = ("trafilatura", "htmldate", "lxml", "lxml-html-clean", "charset-normalizer")


@pytest.mark.slow
def test_the_html_path_works_in_a_fresh_virtual_environment(tmp_path):
    """Item 1, at its cause: a new venv (its own bundled pip, 23.2 here, as Debian's) and the HTML requirements
    exactly as pyproject.toml declares them. With jusText's `lxml[html_clean]` alone, that pip installs lxml 6
    without lxml_html_clean and `import trafilatura` fails; the declared `lxml_html_clean` closes it."""
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    wanted = [d for d in declared if re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-")
              in HTML_REQUIREMENTS]
    assert any(d.lower().replace("_", "-").startswith("lxml-html-clean") for d in wanted), declared
    venv = tmp_path / "venv"
    base = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, timeout=300, capture_output=True)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted], capture_output=True,
                               text=True, timeout=600)
    require(installed.returncode == 0 or "Could not find a version" not in installed.stderr,
            f"no package index reachable: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stderr[-3000:]
    # extract/clean.py on its own (the package's __init__ would need the whole stack), as a user's install runs it
    probe = ("import importlib.util, json, sys; spec = importlib.util.spec_from_file_location('clean', sys.argv[1]); "
             "clean = sys.modules['clean'] = importlib.util.module_from_spec(spec); spec.loader.exec_module(clean); "
             "c = clean.clean_html(open(sys.argv[2]).read()); "
             "print(json.dumps({'text': c.text, 'date': str(c.report_date), 'note': c.note}))")
    page = tmp_path / "page.html"
    page.write_text(RABIA_PAGE, encoding="utf-8")
    done = subprocess.run([str(python), "-c", probe, str(REPO / "extract" / "clean.py"), str(page)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["note"] == ""  # trafilatura itself, not the plain fallback
    assert "Rabia border crossing" in result["text"] and "All rights reserved" not in result["text"]
    assert result["date"] == "2014-09-30"


def test_bad_json_lines_give_one_line_each_and_the_rest_of_the_batch_lands(tmp_path):
    """Items 2 and 4: 200,000 nested brackets (RecursionError) and a 5,000-digit number (AttributeError)."""
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 200_000 + "\n", encoding="utf-8")
    number = tmp_path / "number.jsonl"
    number.write_text('{"text": "x", "n": ' + "1" * 5000 + "}\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(RABIA_SENTENCE, encoding="utf-8")
    code, out, err, _, _ = borderwatch("extract", str(deep), str(number), str(good), "--report-date", "2014-06-23",
                                       "--jsonl")
    assert "Traceback" not in err and "╭" not in err, err
    assert f"skipped {deep}, line 1: JSON nested too deeply" in err
    assert f"skipped {number}, line 1: a JSON number of 5,000 digits; at most 4300 are read" in err
    assert [c["place_id"] for c in _claims(out)] == ["rabia"]  # good.txt was read
    assert code == 3 and err.splitlines()[-1].startswith("borderwatch: error: 2 inputs could not be read")
    record("issue16-bad-json", exit=code, stderr=err.splitlines())


def test_csv_header_errors_and_an_unclosed_quote_are_reported_and_the_good_rows_land(tmp_path):
    """Items 5 and 6: header errors escaped as tracebacks; an unclosed quote made 200 rows one report, silently."""
    long_header = tmp_path / "long-header.csv"
    long_header.write_text("text" + "x" * (17 * 2**20) + ",b\nfoo,1\n", encoding="utf-8")
    quoted_header = tmp_path / "quoted-header.csv"
    quoted_header.write_text('"text\n' + ("x" * 1023 + "\n") * (17 * 2**10), encoding="utf-8")
    swallow = tmp_path / "swallow.csv"
    rows = ["text,report_date", '"Militants seized the Rabia crossing.",2014-06-01',
            '"Militants seized the Al-Qaim crossing. Unclosed,2014-06-02']
    rows += [f"Islamic State militants seized the Al-Waleed border crossing on Sunday (report {n}).,2014-06-03"
             for n in range(200)]
    swallow.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err, rss, _ = borderwatch("extract", str(long_header), str(quoted_header), str(swallow), "--jsonl")
    assert "Traceback" not in err and "╭" not in err, err
    assert f"skipped {long_header}: header row (line 1): line 1 is 17 MiB long" in err
    assert f"skipped {quoted_header}: header row (line 1): a record over 16 MiB" in err
    assert (f"skipped {swallow}, line 3: a quote opened on line 3 is never closed: line 3 skipped; lines 4-203 "
            "read again as rows of their own") in err
    assert "201 reports read, 3 skipped" in err  # was "2 reports read, 0 skipped", exit 0
    assert len([c for c in _claims(out) if c["place_id"] == "al-waleed"]) == 200
    assert code == 3 and rss < 300  # 241 MB measured: the floor plus one 17 MB line read in pieces
    record("issue16-csv", exit=code, peak_rss_mb=round(rss), stderr=err.splitlines())


FIFTY_MB = 50 * 2**20


@pytest.mark.parametrize("how", ["stdin", "process substitution", "/dev/zero"])
def test_streams_are_refused_past_the_limit_in_bounded_memory(tmp_path, how):
    """Item 7: the limit applied to regular files only (1.1 GB for 50 MB on stdin, MemoryError on /dev/zero)."""
    big = _write_big(tmp_path / "big.txt") if how != "/dev/zero" else None
    if how == "stdin":
        code, _, err, rss, seconds = borderwatch("extract", "-", "--dry-run", stdin=big)
        name = "<stdin>"
    elif how == "process substitution":
        code, _, err, rss, seconds = borderwatch(shell=f"exec BORDERWATCH extract <(cat {big}) --dry-run")
        name = "/dev/fd/"
    else:
        code, _, err, rss, seconds = borderwatch("extract", "/dev/zero", "--dry-run")
        name = "/dev/zero"
    record(f"issue16-stream-{how.replace(' ', '-').strip('/').replace('/', '-')}", exit=code,
           peak_rss_mb=round(rss), seconds=seconds, stderr=err.splitlines())
    assert f"skipped {name}" in err and "more than 16 MiB, and one report may be at most 16 MiB" in err, err
    assert code == 4 and "Traceback" not in err
    assert rss < 350, f"peak {rss:.0f} MB"  # ~100 MB of it is the parser model


def test_a_jsonl_batch_through_a_pipe_is_streamed(tmp_path):
    batch = tmp_path / "batch.jsonl"
    with open(batch, "w", encoding="utf-8") as out:  # 17.6 MB of 16 KB reports: more than one report may be
        for n in range(1100):
            out.write(json.dumps({"text": f"Report {n}. " + "Nothing happened today " * 700,
                                  "report_date": "2014-06-01"}) + "\n")
    assert batch.stat().st_size > 16 * 2**20
    code, _, err, rss, _ = borderwatch(shell=f"cat {batch} | BORDERWATCH extract - --dry-run")
    assert code == 0 and "1100 reports read, 0 skipped, 0 claims found" in err, err
    assert rss < 300


@pytest.mark.parametrize("inputs, code, reason", [
    (["missing.txt"], 4, "no report was read: 1 input could not be read (missing.txt: no such file or folder)"),
    (["binary.txt"], 4, "binary"),
    (["empty.txt"], 4, "empty file"),
    (["blank.jsonl"], 4, "no report was read (the inputs held none)"),
    (["good.txt", "missing.txt"], 3, "1 input could not be read (missing.txt: no such file or folder); the other "
                                     "reports were read"),
    (["good.txt"], 0, ""),
])
def test_exit_codes_a_script_can_trust(tmp_path, inputs, code, reason):
    """Item 9: a missing file, or input all binary or empty, exited 0 with "0 reports read"."""
    (tmp_path / "good.txt").write_text("Militants seized the Rabia crossing on Sunday.", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.jsonl").write_text("\n\n", encoding="utf-8")
    done = subprocess.run([*borderwatch_command(), "extract", *inputs, "--dry-run", "--report-date", "2014-06-23"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == code, done.stderr
    if code:
        assert reason in one_line_error(done.stderr)
    else:
        assert "error" not in done.stderr


def test_the_exit_codes_are_documented_in_help():
    done = subprocess.run([*borderwatch_command(), "extract", "--help"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0
    text = " ".join(done.stdout.replace("│", " ").split())
    assert "Exit status: 0 every input was read; 3 some inputs could not be read (the others were stored); 4 no " \
           "report was read at all; 1 the store or the Dask cluster failed; 2 a usage error." in text


def test_silent_drops_are_reported(tmp_path):
    """Item 10: an unknown claim key, symbolic link loops, a batch size of 0 or less were accepted silently."""
    db = tmp_path / "s.db"
    good = tmp_path / "reports" / "good.txt"
    good.parent.mkdir()
    good.write_text(RABIA_SENTENCE, encoding="utf-8")
    (good.parent / "loop").symlink_to(".")
    (good.parent / "broken").symlink_to("nowhere.txt")
    code, _, err, _, _ = borderwatch("extract", str(good.parent), "--report-date", "2014-06-23", "--db", str(db))
    assert code == 3, err
    assert f"skipped {good.parent / 'loop'}: symbolic link loop (back to {good.parent}), not followed" in err
    assert f"skipped {good.parent / 'broken'}: broken symbolic link (to nowhere.txt, which does not exist)" in err
    assert "1 reports read, 2 skipped" in err
    code, _, err, _, _ = borderwatch("correct", "reject", "nosuchkey", "--db", str(db))
    assert code == 2 and "no claim with key 'nosuchkey'" in one_line_error(err)
    assert sqlite3.connect(db).execute("select count(*) from corrections").fetchone() == (0,)
    for size in ("0", "-5"):
        code, _, err, _, _ = borderwatch("extract", str(good), "--batch-size", size, "--db", str(db))
        assert code == 2 and "'--batch-size': Input should be greater than or equal to 1" in one_line_error(err)


def test_cli_rough_edges(tmp_path):
    """Item 11: gpkg without -o, a broken pipe, an impossible date, boxed errors for bad options, stray " ." in help."""
    db = tmp_path / "s.db"
    reports = tmp_path / "batch.jsonl"
    reports.write_text("".join(json.dumps({"text": f"{RABIA_SENTENCE} ({n})", "report_date": f"2014-06-{n:02d}"})
                               + "\n" for n in range(1, 29)), encoding="utf-8")
    assert borderwatch("extract", str(reports), "--db", str(db))[0] == 0
    code, out, err, _, _ = borderwatch("export", "--db", str(db), "--format", "gpkg")
    assert code == 2 and out == ""
    assert one_line_error(err).endswith("--format gpkg needs an output file (a GeoPackage cannot go to standard "
                                        "output): give -o FILE.gpkg")
    code, _, err, _, _ = borderwatch("export", "--db", str(db), "--as-of", "2014-02-30")
    assert code == 2
    assert one_line_error(err) == "borderwatch: error: --as-of '2014-02-30' is not a date (2014-02 has no day 30)"
    code, _, err, _, _ = borderwatch("export", "--db", str(db), "--as-of", "2014-13-01")
    assert code == 2
    assert one_line_error(err) == "borderwatch: error: --as-of '2014-13-01' is not a date (there is no month 13)"
    for option, value, known in (("--kind", "crossings", "'crossing', 'province'"),
                                 ("--format", "shp", "'geojson', 'csv', 'gpkg'")):
        code, _, err, _, _ = borderwatch("export", "--db", str(db), option, value)
        assert code == 2 and one_line_error(err) == (
            f"borderwatch: error: export: Invalid value for '{option}': '{value}' is not one of {known} "
            "(see borderwatch export --help)")
        assert len(err.strip().splitlines()) == 1
    # a reader that stops reading (| head): no message, the exit status of a writer killed by SIGPIPE
    for args in (["export", "--db", str(db), "--format", "csv"], ["gazetteer"],
                 ["extract", str(reports), "--jsonl"]):
        process = subprocess.Popen([*borderwatch_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141 and "error" not in err and "Traceback" not in err, (args, err)
    for command in ([], ["extract"], ["export"], ["evaluate"], ["correct", "reject"], ["correct", "set"],
                    ["serve"], ["gazetteer"], ["demo"]):
        done = subprocess.run([*borderwatch_command(), *command, "--help"], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "COLUMNS": "200"})
        assert done.returncode == 0
        assert not re.search(r"\s\.(\s|$)", done.stdout.replace("│", " ")), (command, done.stdout)
    code, _, err, _, _ = borderwatch("export", "--db", str(db), "--format", "csv")
    assert code == 0


def test_a_sentence_without_full_stops_is_cut_with_a_warning(tmp_path):
    """Item 3 (the reader's part): a 256 KB line without full stops took 52 s; now pieces of 2,000 characters.

    That the time is linear in the length is tests/test_fuzz.py's test_extraction_time_grows_linearly_*."""
    line = tmp_path / "line.txt"
    unit = "militants seized the Rabia crossing and Kurdish forces retook Al-Qaim, "
    line.write_text(unit * (256_000 // len(unit)), encoding="utf-8")
    code, out, err, rss, seconds = borderwatch("extract", str(line), "--report-date", "2014-06-23", "--jsonl")
    record("issue16-long-sentence", bytes=line.stat().st_size, exit=code, seconds=seconds, peak_rss_mb=round(rss),
           claims=len(_claims(out)))
    assert code == 0, err
    assert "sentences longer than 2000 characters cut into pieces (a claim across a cut is not found)" not in err
    assert "1 sentence longer than 2000 characters cut into pieces (a claim across a cut is not found)" in err
    assert _claims(out)  # the pieces still give claims
