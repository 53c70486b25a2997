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


# -- bad batch input: one clear reason for that record, the rest of the batch lands (issue 16) ---------------
GOOD = json.dumps({"text": SENTENCE, "report_date": "2014-10-02"})


@pytest.mark.parametrize("line, reason", [
    ("[" * 200_000, "JSON nested too deeply"),  # was a RecursionError traceback that stopped the run
    ('{"text": "x", "n": ' + "1" * 5000 + "}", "a JSON number of 5,000 digits; at most 4300 are read"),  # was
    # AttributeError: 'ValueError' object has no attribute 'msg'
    ('{"text": "x", "source": ' + "[" * 900 + "]" * 900 + "}", "field 'source' must be text, not list"),
    ('{"text": "x", "report_date": {"y": 2014}}', "field 'report_date' must be text, not dict"),
    ("{not json", "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
])
def test_a_bad_jsonl_line_is_skipped_with_its_reason_and_the_next_line_read(tmp_path, line, reason):
    path = tmp_path / "batch.jsonl"
    path.write_text(line + "\n" + GOOD + "\n", encoding="utf-8")
    bad, good = list(read_inputs([str(path)]))
    assert isinstance(bad, Skipped) and bad.name == f"{path}, line 1" and bad.reason.startswith(reason)
    assert "\n" not in bad.reason and len(bad.reason) < 200
    assert isinstance(good, Report) and "Rabia" in good.text


def _csv(tmp_path, text: str):
    path = tmp_path / "batch.csv"
    path.write_text(text, encoding="utf-8")
    return path, list(read_inputs([str(path)]))


def test_an_unclosed_quote_is_reported_and_the_rows_it_would_swallow_still_land(tmp_path):
    rows = [f'"{SENTENCE} {n}",2014-10-02,Wire' for n in range(200)]
    path, items = _csv(tmp_path, "text,report_date,source\n" + f'"{SENTENCE}",2014-10-01,Wire\n'
                       + f'"{SENTENCE} unclosed,2014-10-01,Wire\n' + "\n".join(rows) + "\n")
    reports = [i for i in items if isinstance(i, Report)]
    (skipped,) = [i for i in items if isinstance(i, Skipped)]
    assert len(reports) == 201  # was 2: the 200 rows became one report's text, "0 skipped"
    assert skipped.name == f"{path}, line 3" and "bad quoting" in skipped.reason and "line 4 read again" in \
        skipped.reason
    # unquoted rows after it: the quote runs to the end of the file, and that is said too
    unquoted = [f"{SENTENCE.replace(',', '')} {n},2014-10-02,Wire" for n in range(200)]
    path, items = _csv(tmp_path, "text,report_date,source\n" + f'"{SENTENCE} unclosed,2014-10-01,Wire\n'
                       + "\n".join(unquoted) + "\n")
    (skipped,) = [i for i in items if isinstance(i, Skipped)]
    assert skipped.reason == ("a quote opened on line 2 is never closed: line 2 skipped; lines 3-202 read again "
                              "as rows of their own")
    assert sum(isinstance(i, Report) for i in items) == 200


def test_a_row_with_more_values_than_columns_is_skipped_not_cut(tmp_path):
    path, items = _csv(tmp_path, "text,report_date\nIS seized Rabia, officials said,2014-10-01\n"
                                 f'"{SENTENCE}",2014-10-02,\n')
    bad, good = items
    assert isinstance(bad, Skipped) and "3 values for 2 columns" in bad.reason
    assert isinstance(good, Report) and good.report_date == date(2014, 10, 2)  # a trailing empty value is fine


@pytest.mark.parametrize("header, reason", [
    ("text" + "x" * (17 * 2**20) + ",b\n", "header row (line 1): line 1 is 17 MiB long"),  # was _LineTooLong
    ('"text\n' + ("x" * 1023 + "\n") * (17 * 2**10), "header row (line 1): a record over 16 MiB"),  # was
    # _csv.Error: field larger than field limit
    ('"text,report_date\n', "header row (line 1): a quote opened on line 1 is never closed"),
])
def test_csv_header_errors_are_one_line(tmp_path, header, reason):
    path, items = _csv(tmp_path, header)
    (item,) = items
    assert isinstance(item, Skipped) and item.reason.startswith(reason) and "\n" not in item.reason


def test_a_csv_record_over_the_limit_is_skipped_and_the_rows_after_it_land(tmp_path):
    field = ("word " * 200 + "\n") * 17_000  # 17 MB over 17,000 lines, inside one quoted field
    path, items = _csv(tmp_path, f'text,report_date\n"{SENTENCE}",2014-10-01\n"{field}more",2014-10-01\n'
                                 f'"{SENTENCE}",2014-10-02\n')
    assert [type(i).__name__ for i in items] == ["Report", "Skipped", "Report"]  # no piece of it became a report
    assert items[1].reason == "a record over 16 MiB; one report may be at most 16 MiB; lines 3-17003 skipped"
    assert items[2].report_date == date(2014, 10, 2)
    # one line over the limit inside a quoted field: read past (not held) to the end of that field
    path, items = _csv(tmp_path, f'text,report_date\n"{"word " * (4 * 2**20)}\nmore words",2014-10-01\n'
                                 f'"{SENTENCE}",2014-10-02\n')
    assert [type(i).__name__ for i in items] == ["Skipped", "Report"]
    assert items[0].reason == "line 2 is 20 MiB long; one report may be at most 16 MiB; lines 2-3 skipped"


# -- streams: stdin, pipes, devices are limited while reading -------------------------------------------------
def test_stdin_over_the_limit_is_refused_after_reading_the_limit_only():
    class Counting(io.BytesIO):
        read_total = 0

        def read(self, size=-1):
            data = super().read(size)
            Counting.read_total += len(data)
            return data

    stream = Counting(b"Rebels took Nasib. " * (2 * 2**20))  # 38 MiB
    (item,) = list(read_inputs(["-"], stdin=stream))
    assert isinstance(item, Skipped) and item.reason.startswith("more than 16 MiB")
    assert Counting.read_total <= 16 * 2**20 + 65536 + 1  # was: the whole stream, then the check


def test_a_jsonl_batch_on_stdin_is_streamed_past_the_one_report_limit():
    lines = b"".join(json.dumps({"text": f"{SENTENCE} {n}" + " pad" * 500}).encode() + b"\n" for n in range(9000))
    assert len(lines) > 16 * 2**20
    items = list(read_inputs(["-"], stdin=io.BytesIO(lines)))
    assert len(items) == 9000 and all(isinstance(i, Report) for i in items)


def test_a_named_pipe_is_read_like_stdin(tmp_path):
    import os
    import threading

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w", encoding="utf-8") as out:
            out.write(f'text,report_date\n"{SENTENCE}",2014-10-02\n')

    writer = threading.Thread(target=write)
    writer.start()
    (report,) = list(read_inputs([str(fifo)]))
    writer.join(10)
    assert isinstance(report, Report) and report.report_date == date(2014, 10, 2)  # the sniffed head is kept


# -- folders: what cannot be read is named, not dropped --------------------------------------------------------
def test_symlink_loops_broken_links_and_pipes_in_a_folder_are_reported(tmp_path):
    import os

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "a" / "up").symlink_to("..")
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "broken").symlink_to("nowhere")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / ".hidden.txt").write_text(SENTENCE, encoding="utf-8")
    items = list(read_inputs([str(tmp_path)]))
    reports = [i.name for i in items if isinstance(i, Report)]
    skipped = {i.name.rsplit("/", 1)[-1]: i.reason for i in items if isinstance(i, Skipped)}
    assert reports == [str(tmp_path / "a" / "r.txt")]  # read once, not once per trip round the loop
    assert skipped["up"].startswith("symbolic link loop (back to ")
    assert skipped["self"] == "symbolic link loop (it leads back to itself), not followed"
    assert skipped["broken"] == "broken symbolic link (to nowhere, which does not exist)"
    assert skipped["fifo"].startswith("not a regular file")
    assert ".hidden.txt" not in skipped  # hidden files are not reports (documented)


def test_an_unreadable_sub_folder_is_reported(tmp_path, monkeypatch):
    import os

    import extract.sources as sources

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "r.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "ok.txt").write_text(SENTENCE, encoding="utf-8")
    real = os.scandir

    def scandir(path):  # root reads any folder, so the refusal is simulated at the one call that meets it
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(sources.os, "scandir", scandir)
    items = list(read_inputs([str(tmp_path)]))
    assert [(type(i).__name__, i.name.rsplit("/", 1)[-1]) for i in items] == [("Skipped", "locked"),
                                                                              ("Report", "ok.txt")]
    assert items[0].reason == "cannot read folder (Permission denied)"


# -- HTML without trafilatura, long sentences -----------------------------------------------------------------
def test_html_is_read_plainly_with_a_note_when_trafilatura_cannot_be_imported(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as a broken install: the import raises ImportError
    path = tmp_path / "page.html"
    path.write_text(f"<html><head><title>Rabia</title></head><body><nav>Home | World</nav><p>{SENTENCE}</p>"
                    "<script>var x = 1;</script></body></html>", encoding="utf-8")
    (report,) = list(read_inputs([str(path)]))
    assert report.text == SENTENCE and report.title == "Rabia"
    assert report.note.startswith("HTML read without trafilatura")


def test_a_sentence_longer_than_the_bound_is_cut_with_a_note(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("Militants seized the Rabia crossing and " * 300, encoding="utf-8")  # 12,000 characters
    (report,) = list(read_inputs([str(path)]))
    assert report.note == "1 sentence longer than 2000 characters cut into pieces (a claim across a cut is not found)"
