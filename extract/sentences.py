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
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")


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
            word = _WORD_BEFORE.search(text, 0, match.start())
            token = word.group(1).lower().strip(".") if word else ""
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


def paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs start (after a blank line, or a line break, or 0)."""
    return [0] + [m.end() for m in re.finditer(r"\n\s*", text)]
