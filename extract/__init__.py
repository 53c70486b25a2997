"""Report text to control claims (middle layer): ``extract_claims`` is the one entry point."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from extract.pipeline import EXTRACTOR_VERSION, Extractor, report_id_of
from geodata.claims import Claim
from geodata.gazetteer import Gazetteer, load_gazetteer


@lru_cache(maxsize=4)
def _default_extractor() -> Extractor:
    return Extractor(load_gazetteer())


def extract_claims(text: str, report_date: date | None, source: str = "", url: str = "",
                   gazetteer: Gazetteer | None = None) -> list[Claim]:
    """Extract control claims from one report's cleaned text.

    Parameters
    ----------
    text : str
        The article body (boilerplate already removed, see :mod:`extract.clean`).
    report_date : datetime.date or None
        The date the report was published; relative dates ("on Sunday") resolve against it.
    source, url : str
        Provenance copied into every claim.
    gazetteer : Gazetteer, optional
        Places and parties; the shipped gazetteer by default.

    Examples
    --------
    >>> from datetime import date
    >>> [(c.place_id, c.party, str(c.event_date)) for c in extract_claims(
    ...     "Kurdish Peshmerga forces retook the Rabia crossing on Sunday.", date(2014, 9, 30))]
    [('rabia', 'krg', '2014-09-28')]
    """
    extractor = _default_extractor() if gazetteer is None else Extractor(gazetteer)
    return extractor.extract(text, report_date, source, url)


def split_sentences_worth_parsing(extractor: Extractor, text: str) -> tuple[int, int]:
    """(sentences the parser reads, all sentences) of one cleaned report: what the benchmark reports."""
    return extractor.parse_share(text)


__all__ = ["EXTRACTOR_VERSION", "Extractor", "extract_claims", "report_id_of", "split_sentences_worth_parsing"]
