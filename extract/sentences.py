"""Sentence and paragraph splitting that keeps character offsets into the cleaned text (pure)."""

from __future__ import annotations

import re
from functools import lru_cache

# No sentence is longer than this: a longer one (a page without full stops, a pasted table) is cut
# into pieces at the last space or comma before the bound, so every later step works on bounded
# sentences and extraction time stays linear in the report's length (docs/reliability.md).
MAX_SENTENCE_CHARS = 2000
# A full stop ends a sentence unless it closes an abbreviation or an initial ("U.S.", "Lt. Col.").
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "brig", "adm", "gov", "sen",
    "rep", "st", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.g", "i.e", "approx", "km", "inc", "co", "corp",
}
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9\u0600-\u06FF])|\n\s*\n|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text``, whitespace trimmed.

    A sentence longer than :data:`MAX_SENTENCE_CHARS` comes back as several pieces, each cut at the
    last whitespace or comma before the bound (see :func:`cut_sentences` for how many were cut).

    Examples
    --------
    >>> t = "Lt. Col. Ali spoke. U.S. forces left. Then rain."
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Lt. Col. Ali spoke.', 'U.S. forces left.', 'Then rain.']
    >>> long = "ISIL seized Rabia, " * 200
    >>> max(e - s for s, e in split_sentences(long)) <= MAX_SENTENCE_CHARS
    True
    """
    return list(_split(text)[0])


def cut_sentences(text: str) -> int:
    """How many sentences of ``text`` were longer than :data:`MAX_SENTENCE_CHARS` and cut into pieces.

    Examples
    --------
    >>> cut_sentences("A short one. " + "and more words " * 300), cut_sentences("Short.")
    (1, 0)
    """
    return _split(text)[1]


@lru_cache(maxsize=2)  # the reader asks for the count, then the extractor splits the same text
def _split(text: str) -> tuple[tuple[tuple[int, int], ...], int]:
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
    result: list[tuple[int, int]] = []
    cut = 0
    for s, e in spans:
        s, e = _trimmed(text, s, e)
        if e - s > MAX_SENTENCE_CHARS:
            cut += 1
            result.extend(_pieces(text, s, e))
        elif e > s:
            result.append((s, e))
    return tuple(result), cut


def _trimmed(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _pieces(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Cut ``text[s:e]`` into trimmed pieces of at most MAX_SENTENCE_CHARS, at a space or after a comma."""
    pieces = []
    while e - s > MAX_SENTENCE_CHARS:
        window = text[s:s + MAX_SENTENCE_CHARS + 1]  # a space right at the bound is a clean cut too
        after_comma = max(window.rfind(c, 0, MAX_SENTENCE_CHARS) for c in _COMMAS) + 1
        at_space = max(window.rfind(c) for c in _SPACES)
        at = max(after_comma, at_space)
        if at <= 0:
            at = MAX_SENTENCE_CHARS  # no space or comma in the whole window: a hard cut
        piece = _trimmed(text, s, s + at)
        if piece[1] > piece[0]:
            pieces.append(piece)
        s = _trimmed(text, s + at, e)[0]
    if e > s:
        pieces.append((s, e))
    return pieces


_COMMAS = (",", ";", "\u060c")  # and the Arabic comma
_SPACES = (" ", "\n", "\t", "\r", "\u00a0")


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
