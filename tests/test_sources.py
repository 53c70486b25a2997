"""Reading reports: encodings, batches, folders, stdin, HTML; bad inputs are skipped with a reason."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from extract.sources import InputOptions, Report, Skipped, decode, read_inputs

SENTENCE = "Kurdish Peshmerga forces retook the Rabia border crossing on Tuesday, officials said."
ARABIC = "استعادت قوات البيشمركة منفذ ربيعة الحدودي يوم الثلاثاء."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_latin_encodings_decode(encoding):
    text = SENTENCE + " Café – “quoted”."
    data = text.encode(encoding)
    assert decode(data) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1256"])
def test_arabic_encodings_decode(encoding):
    text = ARABIC + " " + ARABIC
    assert decode(text.encode(encoding)) == text


def test_binary_and_undecodable_files_are_skipped_and_the_rest_lands(tmp_path):
    (tmp_path / "a.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "c.txt").write_text("", encoding="utf-8")
    (tmp_path / "d.txt").write_text(SENTENCE, encoding="utf-16")
    items = list(read_inputs([str(tmp_path)], InputOptions(report_date=date(2014, 10, 2))))
    reports = [i for i in items if isinstance(i, Report)]
    skipped = {i.name.rsplit("/", 1)[-1]: i.reason for i in items if isinstance(i, Skipped)}
    assert sorted(r.name.rsplit("/", 1)[-1] for r in reports) == ["a.txt", "d.txt"]
    assert "binary" in skipped["b.txt"] and "empty" in skipped["c.txt"]


def test_jsonl_batch_streams_and_names_bad_lines(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [json.dumps({"text": SENTENCE, "report_date": "2014-10-02", "source": "Wire", "url": "u1", "title": "t"}),
             "{not json",
             json.dumps({"html": f"<html><body><article><p>{SENTENCE}</p></article></body></html>",
                         "report_date": "2014-10-03"}),
             json.dumps({"report_date": "2014-10-03"}),
             json.dumps({"text": SENTENCE, "report_date": "2014-02-30"})]
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_inputs([str(path)]))
    # an impossible report date leaves the report undated, with a note naming it (not skipped)
    assert [type(i).__name__ for i in items] == ["Report", "Skipped", "Report", "Skipped", "Report"]
    assert items[0].report_date == date(2014, 10, 2) and items[0].source == "Wire" and items[0].url == "u1"
    assert items[1].name.endswith("line 2") and "JSON" in items[1].reason
    assert "Rabia" in items[2].text
    assert items[4].report_date is None and "2014-02-30" in items[4].date_note


def test_csv_batch(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(f'text,report_date,source,url,title\n"{SENTENCE}",2014-10-02,Wire,https://x.org/1,T\n',
                    encoding="utf-8")
    (report,) = list(read_inputs([str(path)]))
    assert report.report_date == date(2014, 10, 2) and report.url == "https://x.org/1"


def test_stdin_text_and_jsonl():
    (report,) = list(read_inputs(["-"], stdin=io.BytesIO(SENTENCE.encode())))
    assert report.name == "<stdin>" and "Rabia" in report.text
    batch = json.dumps({"text": SENTENCE, "report_date": "2014-10-02"}).encode()
    (report,) = list(read_inputs(["-"], stdin=io.BytesIO(batch)))
    assert report.report_date == date(2014, 10, 2)


def test_html_page_main_text_and_metadata_date(tmp_path):
    page = f"""<html><head><title>Rabia retaken</title>
    <meta property="article:published_time" content="2014-10-02T08:00:00Z"></head>
    <body><nav>Home | World | Sport</nav>
    <article><h1>Rabia retaken</h1><p>{SENTENCE}</p>
    <p>Residents said shops reopened in the afternoon and traffic resumed on the main road.</p></article>
    <aside><ul><li>ISIL seized Trebil, says rival outlet</li></ul></aside>
    <footer>All rights reserved 2014</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    (report,) = list(read_inputs([str(path)]))
    assert report.report_date == date(2014, 10, 2) and report.date_origin == "html"
    assert "Rabia" in report.text and "All rights reserved" not in report.text and "Home |" not in report.text


def test_report_date_precedence(tmp_path):
    path = tmp_path / "wire.txt"
    path.write_text("BAGHDAD, June 23, 2014 (Wire) - " + SENTENCE, encoding="utf-8")
    (report,) = list(read_inputs([str(path)]))
    assert report.report_date == date(2014, 6, 23) and report.date_origin == "dateline"
    (report,) = list(read_inputs([str(path)], InputOptions(report_date=date(2014, 6, 24))))
    assert report.report_date == date(2014, 6, 24) and report.date_origin == "given"


def test_missing_path_is_reported(tmp_path):
    (item,) = list(read_inputs([str(tmp_path / "nope.txt")]))
    assert isinstance(item, Skipped) and "no such file" in item.reason
