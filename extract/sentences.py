"""Sentence and paragraph splitting that keeps character offsets into the cleaned text (pure)."""

from __future__ import annotations

import re

# A full stop ends a sentence unless it closes an abbreviation or an initial ("U.S.", "Lt. Col.").
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "brig", "adm", "gov", "sen",
    "rep", "st", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.g", "i.e", "approx", "km", "inc", "co", "corp",
}
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9\u0600-\u06FF])|\n\s*\n|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text``, whitespace trimmed.

    Examples
    --------
    >>> t = "Lt. Col. Ali spoke. U.S. forces left. Then rain."
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Lt. Col. Ali spoke.', 'U.S. forces left.', 'Then rain.']
    """
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group().startswith("."):
            token = _word_before(text, match.start()).lower().strip(".")
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            result.append((s, e))
    return result


def _word_before(text: str, end: int) -> str:
    """The run of ASCII letters and dots that ends at ``end`` ("U.S", "Col"), read backwards.

    A regular expression anchored at ``end`` would be tried from every earlier position.
    """
    start = end
    while start > 0 and end - start < 40 and (text[start - 1] == "." or
                                              (text[start - 1].isascii() and text[start - 1].isalpha())):
        start -= 1
    return text[start:end]


def paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs start (after a blank line, or a line break, or 0)."""
    return [0] + [m.end() for m in re.finditer(r"\n\s*", text)]
