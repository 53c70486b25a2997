"""The project's seed article: three named holders, and nothing from its page boilerplate."""

from __future__ import annotations

from datetime import date


def test_seed_gives_the_three_named_holders(seed_report, extractor):
    claims = extractor.extract(seed_report.text, seed_report.report_date)
    named = {(c.place_id, c.party) for c in claims if c.status == "controls" and c.party != "unknown"}
    assert named == {("al-waleed", "isil"), ("al-qaim", "isil"), ("rabia", "krg")}
    assert len([c for c in claims if c.status == "controls"]) == 3
    (waleed,) = [c for c in claims if c.place_id == "al-waleed" and c.status == "controls"]
    assert waleed.event_date == date(2014, 6, 22)
    others = [c for c in claims if c.status != "controls"]
    assert all(c.status == "not-government" and {"IQ", "SY"} == set(_countries(c, extractor)) for c in others)


def _countries(claim, extractor):
    return extractor.gazetteer.places[claim.place_id].countries


def test_seed_boilerplate_yields_no_place_party_or_date(seed_path, extractor):
    from extract.clean import clean_plain_text

    raw = seed_path.read_text(encoding="utf-8")
    article = clean_plain_text(raw).text
    boilerplate = raw[raw.index("Source: AFP"):]
    assert "GMT" not in article and "All rights reserved" not in article and "comment" not in article.lower()
    assert extractor.matcher.find(article[-400:])  # the article itself still names places
    kinds = {m.kind for m in extractor.matcher.find(boilerplate)}
    # The raw boilerplate does name countries; the point is that none of it survives cleaning.
    assert not any(line in article for line in boilerplate.splitlines()[1:] if line.strip())
    assert kinds  # sanity: the test would notice if the boilerplate were matched


def test_seed_report_date_is_not_taken_from_boilerplate(seed_path):
    from extract.sources import read_inputs

    (report,) = list(read_inputs([str(seed_path)]))
    assert report.report_date is None  # "GMT 16:04 2018 Friday ,14 December" is a teaser's stamp
    assert report.source == "AFP"
