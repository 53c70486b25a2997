"""Name normalisation: case, diacritics, hyphens, apostrophes and Arabic letter variants (pure)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Articles written before Arabic names ("al-Qaim", "Al Qaim", "el-Tanf", "ar-Rutba"); the matcher
# strips them from aliases so "Qaim" in an alias list also finds "al-Qa'im" in text.
_ARTICLES = ("al ", "el ", "ar ", "as ", "ad ", "at ", "an ", "az ", "ash ", "ath ")
_APOSTROPHES = "'’‘`´ʿʾʼʹ′"
_DASHES = "-‐‑‒–—―"


@lru_cache(maxsize=1)
def _translation_table() -> dict[int, str]:
    """Map every character to one character, so normalised text keeps the offsets of the original.

    Keeping lengths equal is why this is a translate table rather than NFKD + filtering: spans found
    in the normalised text index the original text directly.
    """
    table: dict[int, str] = {}
    for code in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        lowered = base.lower()
        if len(lowered) == 1 and lowered.isascii() and lowered.isalpha():
            table[code] = lowered
    table.update({ord("ı"): "i", ord("İ"): "i", ord("ß"): "s", ord("ø"): "o", ord("Ø"): "o"})
    table.update({ord("æ"): "a", ord("Æ"): "a", ord("đ"): "d", ord("Đ"): "d", ord("ł"): "l"})
    for char in _APOSTROPHES:
        table[ord(char)] = "'"
    for char in _DASHES:
        table[ord(char)] = " "
    # Arabic: unify alef and yaa forms, taa marbuta; the tatweel becomes a space-free join via "ـ"→"".
    for char in "أإآٱ":
        table[ord(char)] = "ا"
    table[ord("ى")] = "ي"
    table[ord("ة")] = "ه"
    for char in "\u00a0\u2009\u202f\t\r\n":
        table[ord(char)] = " "
    return table


def fold(text: str) -> str:
    """Fold text for matching while keeping its length: ``len(fold(t)) == len(t)``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        Lower-case text with diacritics removed, dashes and line breaks as spaces and every
        apostrophe-like mark as ``'``.

    Examples
    --------
    >>> fold("Al-Qa’im, Öncüpınar")
    "al qa'im, oncupinar"
    """
    folded = text.translate(_translation_table()).lower()
    if len(folded) != len(text):  # a rare character whose lower() is two characters long
        translated = text.translate(_translation_table())
        folded = "".join(lowered if len(lowered) == 1 else lowered[0] for lowered in map(str.lower, translated))
    return folded


_SPACES = re.compile(r"\s+")


def alias_keys(alias: str) -> set[str]:
    """Return the folded forms under which an alias is searched in folded text.

    The bare name (article stripped), and forms with and without apostrophes, so that
    ``Qa'im``, ``Qaim`` and ``al-Qa'im`` all reach the same place.

    Examples
    --------
    >>> sorted(alias_keys("Al-Qa'im"))
    ["qa'im", 'qaim']
    """
    base = _SPACES.sub(" ", fold(alias)).strip(" .,")
    for article in _ARTICLES:
        if base.startswith(article) and len(base) > len(article) + 2:
            base = base[len(article):]
            break
    if base.startswith("ال") and len(base) > 4:
        keys = {base, base[2:]}
    else:
        keys = {base}
    keys |= {key.replace("'", "") for key in keys}
    return {key for key in keys if key}


def slug(text: str) -> str:
    """Return a lower-case, hyphenated ASCII identifier for a name.

    Examples
    --------
    >>> slug("Deir ez-Zor")
    'deir-ez-zor'
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text).replace("'", "")).strip("-")
