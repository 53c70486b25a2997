"""Property-based fuzzing: no input makes the readers or the extractor raise (10,000+ generated inputs)."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.clean import clean_html, clean_plain_text
from extract.sources import InputOptions, Report, Skipped, UnreadableInput, decode, read_inputs


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

WORDS = ["ISIL", "seized", "Al-Qaim", "Rabia", "the first", "the second", "fell to", "it", "Kurdish", "forces",
         "on Sunday", "yesterday", "on June 9", "withdrew from", "al-Tanf", "respectively", "not", "failed to take",
         "ربيعة", "القائم", "Peshmerga", "government", "hands", "under", "control", "all crossings between",
         "Iraq", "Syria", "and", ",", ".", ";", "\n", "\u200f", "\x00", "\ufeff", "Öncüpınar", "Qa'im", "—"]
sentences = st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join)
any_text = st.text(st.characters(codec=None), max_size=400)
report_dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))


def _check_claims(claims, text):
    for claim in claims:
        assert 0 <= claim.span[0] <= claim.span[1] <= len(text)
        assert claim.evidence == text[claim.span[0]:claim.span[1]]
        assert 0 <= claim.confidence <= 1


@fuzz(3000)
@given(text=any_text, report_date=report_dates)
def test_extractor_never_raises_on_any_text(extractor, text, report_date):
    _check_claims(extractor.extract(text, report_date), text)


@fuzz(3000)
@given(text=sentences, report_date=report_dates)
def test_extractor_never_raises_on_sentence_soup(extractor, text, report_date):
    cleaned = clean_plain_text(text).text
    _check_claims(extractor.extract(cleaned, report_date), cleaned)


tags = st.sampled_from(["p", "div", "article", "script", "style", "span", "table", "tr", "td", "a", "b", "nav"])


@st.composite
def html_soup(draw):
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(tags)
        parts.append(draw(st.sampled_from([f"<{tag}>", f"</{tag}>", f"<{tag} class='x'", draw(sentences),
                                           "<!--", "-->", "&amp;", "&#x0;", "<![CDATA[", draw(any_text)])))
    return "".join(parts)


@fuzz(1200)
@given(html=html_soup())
def test_html_cleaning_never_raises(html):
    cleaned = clean_html(html)
    assert isinstance(cleaned.text, str)


@fuzz(2500)
@given(data=st.binary(max_size=600))
def test_decode_returns_text_or_a_named_reason(data):
    try:
        assert isinstance(decode(data), str)
    except UnreadableInput as error:
        assert str(error)


@fuzz(1300)
@given(data=st.one_of(st.binary(max_size=400), any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      any_text.map(lambda t: t.encode("utf-16", "surrogatepass"))),
       suffix=st.sampled_from([".txt", ".html", ".jsonl", ".csv", ".dat"]))
def test_any_file_is_read_or_skipped_with_a_reason(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    for item in read_inputs([str(path)], InputOptions()):
        assert isinstance(item, (Report, Skipped))
        if isinstance(item, Skipped):
            assert item.reason and str(path) in item.name
